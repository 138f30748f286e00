"""Text augmentation on lists of strings (see :mod:`multiaug.text.base`)."""
from .base import TextAugmenter
from .eda import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from .contextual import ContextualSubstitution
from .paraphrase import Paraphrase

__all__ = ["TextAugmenter", "EDA", "SynonymReplacement", "RandomInsertion", "RandomSwap", "RandomDeletion", "ContextualSubstitution", "Paraphrase"]
