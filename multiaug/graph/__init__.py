"""Graph augmentation on PyG ``Data``/``Batch`` (see :mod:`multiaug.graph.base`)."""
from .base import GraphAugmenter
from .structural import EdgeDrop
from .structural import DiffusionView, EdgeAdd, FeatureMask, FeatureNoise, NodeDrop, RandomWalkSubgraph
from .schur import SchurView
from .local import LocalAugmentation
from .models import LAGAT, LAGCN

__all__ = ["GraphAugmenter", "EdgeDrop", "EdgeAdd", "NodeDrop", "FeatureMask", "FeatureNoise", "RandomWalkSubgraph",
           "DiffusionView", "SchurView", "LocalAugmentation", "LAGCN", "LAGAT"]
