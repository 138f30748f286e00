"""Does augmentation help my model? Leakage-free evaluation and search (see docs/evaluation.md).

- :func:`evaluate`: cross-validated score of a model trained without augmentation (``"none"``) and
  with each candidate, augmentation fitted and applied inside each training fold only, with paired
  differences and corrected confidence intervals.
- :class:`AugmentationSearchCV`: the same protocol as a scikit-learn style search, with early
  stopping of hopeless candidates and a refitted ``best_estimator_``.
- :func:`default_model` / :func:`default_candidates`: the documented, seeded defaults per modality.
"""
from .evaluate import evaluate, normalize_candidates
from .models import (
    DEFAULT_CANDIDATES,
    GCNGraphClassifier,
    GCNNodeClassifier,
    NodeSubset,
    RandomKernelClassifier,
    RandomKernelFeatures,
    default_candidates,
    default_model,
)
from .results import EvaluationResult, paired_stats
from .search import AugmentationSearchCV, expand_grid

__all__ = [
    "AugmentationSearchCV",
    "DEFAULT_CANDIDATES",
    "EvaluationResult",
    "GCNGraphClassifier",
    "GCNNodeClassifier",
    "NodeSubset",
    "RandomKernelClassifier",
    "RandomKernelFeatures",
    "default_candidates",
    "default_model",
    "evaluate",
    "expand_grid",
    "normalize_candidates",
    "paired_stats",
]
