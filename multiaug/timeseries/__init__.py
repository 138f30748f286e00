"""Time-series augmentation on ``(N, C, T)`` batches (see :mod:`multiaug.timeseries.base`)."""
from .base import TimeSeriesAugmenter
from .transforms import Jitter

__all__ = ["TimeSeriesAugmenter", "Jitter"]
