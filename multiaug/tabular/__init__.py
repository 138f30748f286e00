"""Tabular augmentation on ``(N, F)`` tensors, arrays and DataFrames (see :mod:`multiaug.tabular.base`)."""
from .base import TabularAugmenter
from .excelformer import FeatMix, GatedTokenizer, HidMix, HidMixLayer, MixInfo, TokenMLP, mix_loss
from .mixup import CutMix, MixingAugmenter, Mixup
from .noise import GaussianNoise
from .regmix import RegMix

__all__ = [
    "TabularAugmenter",
    "MixingAugmenter",
    "GaussianNoise",
    "Mixup",
    "CutMix",
    "FeatMix",
    "RegMix",
    "HidMix",
    "HidMixLayer",
    "MixInfo",
    "mix_loss",
    "GatedTokenizer",
    "TokenMLP",
]
