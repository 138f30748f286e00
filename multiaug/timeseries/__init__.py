"""Time-series augmentation on ``(N, C, T)`` batches (see :mod:`multiaug.timeseries.base`)."""
from .base import TimeSeriesAugmenter
from .encoders import DilatedConvEncoder
from .parametric import AutoTCL, fit_contrastive
from .transforms import (
    CropResize,
    Drift,
    Dropout,
    FrequencyMask,
    FrequencyMix,
    Jitter,
    MagnitudeWarp,
    Permutation,
    Reverse,
    Rotation,
    Scaling,
    TimeWarp,
    TSCutMix,
    TSMixup,
    WindowSlice,
    WindowWarp,
)

__all__ = [
    "TimeSeriesAugmenter",
    "Jitter",
    "Scaling",
    "MagnitudeWarp",
    "TimeWarp",
    "WindowSlice",
    "WindowWarp",
    "CropResize",
    "Permutation",
    "Reverse",
    "Rotation",
    "FrequencyMask",
    "FrequencyMix",
    "Drift",
    "Dropout",
    "TSMixup",
    "TSCutMix",
    "AutoTCL",
    "DilatedConvEncoder",
    "fit_contrastive",
]
