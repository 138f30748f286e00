"""Graph augmentation on PyG ``Data``/``Batch`` (see :mod:`multiaug.graph.base`)."""
from .base import GraphAugmenter
from .structural import EdgeDrop

__all__ = ["GraphAugmenter", "EdgeDrop"]
