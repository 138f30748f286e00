"""What an augmenter reports about a call (``report_``) and small helpers for messages."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # annotations only (base imports this module)
    from .base import Augmenter

__all__ = ["AugmentReport", "warn_unchanged", "ensure_callable"]


@dataclass
class AugmentReport:
    """Counts an augmenter can attach to ``report_`` after a call (e.g. inputs that could not change)."""

    n_inputs: int = 0
    n_outputs: int = 0
    n_unchanged: int = 0
    n_dropped: int = 0
    details: dict | None = None


def warn_unchanged(aug: Augmenter, n_unchanged: int, n_total: int, why: str = "") -> None:
    if n_unchanged:
        warnings.warn(
            f"{type(aug).__name__}: {n_unchanged} of {n_total} inputs could not be changed{(' (' + why + ')') if why else ''}",
            RuntimeWarning,
            stacklevel=3,
        )


def ensure_callable(fn: Any, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn
