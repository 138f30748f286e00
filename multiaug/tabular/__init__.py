"""Tabular augmentation on ``(N, F)`` tensors, arrays and DataFrames (see :mod:`multiaug.tabular.base`)."""
from .base import TabularAugmenter
from .noise import GaussianNoise

__all__ = ["TabularAugmenter", "GaussianNoise"]
