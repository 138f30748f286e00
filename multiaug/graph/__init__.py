"""Graph augmentation on PyG ``Data``/``Batch`` (see :mod:`multiaug.graph.base`)."""
from .base import GraphAugmenter
from .local import LocalAugmentation
from .models import LAGAT, LAGCN
from .schur import SchurView
from .structural import DiffusionView, EdgeAdd, EdgeDrop, FeatureMask, FeatureNoise, NodeDrop, RandomWalkSubgraph

__all__ = ["GraphAugmenter", "EdgeDrop", "EdgeAdd", "NodeDrop", "FeatureMask", "FeatureNoise", "RandomWalkSubgraph",
           "DiffusionView", "SchurView", "LocalAugmentation", "LAGCN", "LAGAT"]
