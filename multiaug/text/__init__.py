"""Text augmentation on lists of strings (see :mod:`multiaug.text.base`)."""
from .base import TextAugmenter
from .eda import RandomSwap

__all__ = ["TextAugmenter", "RandomSwap"]
