"""What an augmenter reports about a call (``report_``) and small helpers for messages."""
from __future__ import annotations

import contextlib
import contextvars
import os
import sys
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:  # annotations only (base imports this module)
    from .base import Augmenter

__all__ = ["AugmentReport", "UnchangedWarning", "warn_unchanged", "warn_user", "ensure_callable"]

#: while a composition without a modality rule of its own runs its children (see
#: :meth:`multiaug.core.compose.Composition._forward`): what its direct children report, their
#: ``unchanged_index`` rows mapped to the composition's batch (:func:`note_report`)
_FRAME: contextvars.ContextVar[dict | None] = contextvars.ContextVar("multiaug_report_frame", default=None)


#: inside an augmenter's ``augment`` (its copies, one call each): (its id, one ``(n, rows)`` per call:
#: the samples it was given and the positions of those it left as they were); None elsewhere
_COPIES: contextvars.ContextVar[tuple[int, list] | None] = contextvars.ContextVar("multiaug_copies", default=None)


@contextlib.contextmanager
def copies_tally(aug: Any) -> Iterator[list]:
    """Around ``aug``'s calls for the copies of one ``augment``: yields the list that :func:`tally_copy`
    fills with each call's ``(n, rows)``, so that ``aug`` reports once for all the copies."""
    seen: list = []
    token = _COPIES.set((id(aug), seen))
    try:
        yield seen
    finally:
        _COPIES.reset(token)


def tally_copy(aug: Any, n: int, rows: list[int]) -> bool:
    """Inside :func:`copies_tally` for ``aug``: record one call's count and unchanged rows and return True
    (the report is made for all copies at the end); False elsewhere (the call reports itself)."""
    tally = _COPIES.get()
    if tally is None or tally[0] != id(aug):
        return False
    tally[1].append((n, rows))
    return True


def report_frame(children: Any) -> dict:
    """A new collecting frame for a composition whose direct children are ``children``."""
    return {"direct": {id(a) for a in children}, "chain": [], "rows": [], "seen": [], "reporters": set(),
            "reported": False}


def note_report(aug: Any, report: Any) -> None:
    """``aug`` wrote ``report`` (:meth:`Augmenter._set_report`): inside a composition's frame, a report of
    one of its direct children is collected, its ``details["unchanged_index"]`` (rows of the child's
    input) mapped through the shares the child was given (``frame["chain"]``) to rows of the
    composition's batch; the child's own :func:`warn_unchanged` is then left to the composition."""
    frame = _FRAME.get()
    if frame is None or report is None or id(aug) not in frame["direct"]:
        return
    if any(r is report for r in frame["seen"]):  # a stand-in's report handed to its original
        return
    frame["seen"].append(report)
    frame["reporters"].add(id(aug))
    frame["reported"] = True
    rows = (report.details or {}).get("unchanged_index") or []
    if rows:
        import numpy as np

        r = np.asarray(rows, dtype=np.int64)
        for idx in reversed(frame["chain"]):
            r = (idx.cpu().numpy() if hasattr(idx, "cpu") else np.asarray(idx))[r]
        frame["rows"].extend(r.tolist())


@dataclass
class AugmentReport:
    """Counts an augmenter can attach to ``report_`` after a call (e.g. inputs that could not change)."""

    n_inputs: int = 0
    n_outputs: int = 0
    n_unchanged: int = 0
    n_dropped: int = 0
    details: dict | None = None


class UnchangedWarning(RuntimeWarning):
    """A ``RuntimeWarning`` about samples an augmenter could not change (or, ``LabelConsistent``, could
    not change validly): its text is
    ``"{name}: {n_unchanged} of {n_total} {reason}first rows: {rows[:5]}{rest}"`` (without the rows part
    when ``rows`` is None), and its parts are attributes, so code that sums such warnings over batches
    (the CLI) need not read the text.

    * ``name``: the augmenter (class name);
    * ``n_unchanged`` of ``n_total``: the samples it could not change, of those it was given;
    * ``reason``: the text between the counts and the rows, ``rest``: the text after them;
    * ``rows``: positions of the unchanged samples in the input (may repeat), None when the message names none."""

    def __init__(self, name: str, n_unchanged: int, n_total: int, reason: str, rows: list[int] | None = None,
                 rest: str = ""):
        self.name, self.n_unchanged, self.n_total = name, int(n_unchanged), int(n_total)
        self.reason, self.rest = reason, rest
        self.rows = None if rows is None else [int(r) for r in rows]
        shown = "" if self.rows is None else f"first rows: {self.rows[:5]}"
        super().__init__(self.text(self.n_unchanged, self.n_total, shown))

    def __reduce__(self):  # pickled and copied with its fields (args holds the text only)
        return type(self), (self.name, self.n_unchanged, self.n_total, self.reason, self.rows, self.rest)

    def text(self, n_unchanged: Any, n_total: Any, rows: str) -> str:
        """The message with other counts and ``rows`` in place of the rows part."""
        return f"{self.name}: {n_unchanged} of {n_total} {self.reason}{rows}{self.rest}"


_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_user(message: Any, category: type[Warning] | None = None) -> None:
    """``warnings.warn`` attributed to the first frame outside the multiaug package: the user's line
    (or the library that called multiaug), however deep in multiaug the warning is raised, so
    ``filterwarnings(module=...)`` and the printed location name the caller's code. (A fixed
    ``stacklevel`` breaks whenever a call path gains or loses a frame; Python 3.12's
    ``skip_file_prefixes`` does this, 3.10 and 3.11 have no such option.)"""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    if isinstance(message, Warning):
        warnings.warn(message, stacklevel=level)
    else:
        warnings.warn(message, category or UserWarning, stacklevel=level)


def warn_unchanged(aug: Augmenter, n_unchanged: int, n_total: int, why: str = "") -> None:
    frame = _FRAME.get()
    if frame is not None and id(aug) in frame["reporters"]:
        return  # a composition's child that reported: the composition reports and warns for the batch
    if n_unchanged:
        reason = f"inputs could not be changed{(' (' + why + ')') if why else ''}"
        warn_user(UnchangedWarning(type(aug).__name__, n_unchanged, n_total, reason))


def ensure_callable(fn: Any, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn
