"""Text augmentation on lists of strings (see :mod:`multiaug.text.base`)."""
from .base import TextAugmenter
from .char import CharNoise, KeyboardTypo, OCRNoise
from .contextual import ContextualSubstitution
from .eda import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from .nlpaug import NlpaugAugmenter
from .paraphrase import Paraphrase
from .tagged import (
    LabelwiseTokenReplacement,
    MentionReplacement,
    SegmentShuffle,
    TaggedBatch,
    TaggedCharNoise,
    TaggedRandomDeletion,
    TaggedRandomInsertion,
    TaggedRandomSwap,
    TaggedSynonymReplacement,
)

__all__ = ["TextAugmenter", "EDA", "SynonymReplacement", "RandomInsertion", "RandomSwap", "RandomDeletion", "KeyboardTypo", "OCRNoise", "CharNoise", "NlpaugAugmenter", "ContextualSubstitution", "Paraphrase", "TaggedBatch", "LabelwiseTokenReplacement", "TaggedSynonymReplacement", "MentionReplacement", "SegmentShuffle", "TaggedRandomSwap", "TaggedRandomDeletion", "TaggedRandomInsertion", "TaggedCharNoise"]
