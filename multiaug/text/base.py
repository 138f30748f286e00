"""Text batches: validation and the base class of text augmenters.

A batch is a list (or tuple, pandas Series, 1-D object array) of ``str``; a single ``str`` is accepted
and a single ``str`` is returned. ``None`` or non-string entries raise ``TypeError`` naming the index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Augmenter, AugmentReport, ModalityHandler, Params, concat_labels, register_modality, take_labels
from ..core.base import input_settings
from ..core.constraints import Options
from ..core.hostreads import split_active
from ..core.report import UnchangedWarning, warn_user


class TextOutput(list):
    """``list[str]`` returned by a text kernel and by :meth:`TextAugmenter.apply`, carrying what is
    known about the call (it travels in the return value, never on the augmenter):

    * ``changed``: per text, True/False when the kernel knows whether it changed it, None otherwise
      (the base class then compares strings);
    * ``unchanged``: positions of the samples drawn by ``p`` whose output is not augmented (set by
      ``apply``);
    * ``details``: extra counts for ``report_`` (e.g. Paraphrase's generation and filter counts);
    * ``status``: per text, what the augmenters it went through did to it (see :func:`fold_status`);
      set by ``apply`` and combined across the steps of a composition, which reads it to tell the
      outputs nothing augmented (``UnchangedRule``).
    """

    def __init__(self, texts: Sequence[str] = (), changed: list | None = None, details: dict | None = None,
                 unchanged: list[int] | None = None, status: np.ndarray | None = None):
        super().__init__(texts)
        self.changed = changed
        self.details = details
        self.unchanged = unchanged
        self.status = status


@dataclass
class _Ctx:
    kind: str  # "list" | "tuple" | "str" | "series" | "numpy"
    index: Any = None
    name: Any = None


# ---- outputs nothing augmented, for one augmenter and for compositions ---------------------------------

#: ``status`` values (``int8``, one per sample): no augmenter drew the sample (its ``p``, a composition's
#: routing), every augmenter that drew it left it as it was, one of them changed it
NOT_DRAWN, LEFT, CHANGED = -1, 0, 1


def fold_status(prior: np.ndarray | None, n: int, drawn: Any, unchanged: Sequence[int]) -> np.ndarray:
    """``status`` after one augmenter: that of its input (``prior``; None before any augmenter) folded
    with this step, which drew the samples at ``drawn`` (None: all of them) and left those at
    ``unchanged`` as they were. A sample once changed stays CHANGED (a later step may still turn it back
    into its input: :meth:`UnchangedRule.composed_unchanged` compares the texts too)."""
    here = np.full(n, NOT_DRAWN, dtype=np.int8)
    if drawn is None:
        here[:] = CHANGED
    elif len(drawn):
        here[np.asarray(drawn, dtype=np.int64)] = CHANGED
    if len(unchanged):
        here[np.asarray(unchanged, dtype=np.int64)] = LEFT
    if prior is None or len(prior) != n:
        return here
    return np.maximum(prior, here)


def merge_status(x_status: np.ndarray | None, n: int, pos: list[int], part_status: np.ndarray | None) -> np.ndarray | None:
    """``status`` of a batch of ``n`` whose samples at ``pos`` were replaced by a part that went through
    augmenters (a composition's share, ``p``'s subset): each of them folded as in :func:`fold_status`."""
    if part_status is None:
        return x_status
    st = np.full(n, NOT_DRAWN, dtype=np.int8) if x_status is None or len(x_status) != n else x_status.copy()
    if pos:
        idx = np.asarray(pos, dtype=np.int64)
        st[idx] = np.maximum(st[idx], part_status)
    return st


_IDENTICAL = "outputs are identical to their input (nothing it could change, e.g. empty, too short or only stop words; "


def record_unchanged(aug: Any, on_unchanged: str, n_in: int, n_out: int, unchanged: list[int], dropped: int,
                     action: str, *, details: dict | None = None, reason: str = _IDENTICAL,
                     after: str = ")", see: str = "") -> None:
    """Set ``aug``'s ``report_`` (``unchanged``: source rows of the outputs nothing augmented; ``details``:
    more of ``report_.details``) and warn about them (an :class:`~multiaug.core.UnchangedWarning`
    "Name: k of n {reason}first rows: [...]{after}; {action}{see}"), or raise ``ValueError`` with
    ``on_unchanged="error"`` (the action replaced by the refusal)."""
    aug._set_report(AugmentReport(
        n_inputs=n_in, n_outputs=n_out, n_unchanged=len(unchanged), n_dropped=dropped,
        details={"unchanged_index": unchanged[:100], **(details or {})},
    ))
    if not unchanged:
        return
    if on_unchanged == "error":
        action = "on_unchanged='error' refuses them"
    warning = UnchangedWarning(type(aug).__name__, len(unchanged), n_in, reason, unchanged, f"{after}; {action}{see}")
    if on_unchanged == "error":
        raise ValueError(str(warning))
    warn_user(warning)


def drop_unchanged(outs: list, y_out: Any, n: int, n_aug: int, unchanged: list[int], on_unchanged: str,
                   ) -> tuple[list, Any, np.ndarray, int]:
    """``n_aug`` copies of a batch of ``n`` (``outs``, their labels ``y_out``), less the outputs at
    ``unchanged`` when ``on_unchanged="drop"``: ``(outs, y_out, source_index, number dropped)``."""
    src = np.tile(np.arange(n), int(n_aug))
    if on_unchanged != "drop" or not unchanged:
        return outs, y_out, src, 0
    keep = np.ones(len(outs), dtype=bool)
    keep[unchanged] = False
    outs = [s for s, k in zip(outs, keep.tolist()) if k]
    if y_out is not None:
        y_out = take_labels(y_out, torch.from_numpy(np.nonzero(keep)[0]))
    return outs, y_out, src[keep], len(unchanged)


def composed_on_unchanged(comp: Any) -> str:
    """The ``on_unchanged`` of a composition: it has none of its own and follows the augmenters inside
    it (as it honours their input settings), which must agree: one call returns one set of outputs."""
    settings = input_settings(comp, "on_unchanged")
    values: list = []
    for _, v in settings:
        if v not in values:
            values.append(v)
    if len(values) > 1:
        desc = ", ".join(f"{type(a).__name__}: {v!r}" for a, v in settings)
        raise ValueError(
            f"{type(comp).__name__}: its augmenters disagree on on_unchanged ({desc}); the composition drops, keeps "
            "or refuses its unchanged outputs as one, so set the same on_unchanged on each"
        )
    return values[0] if values else "drop"


class UnchangedRule:
    """The text modalities' rule for *compositions* (``Sequential``, ``OneOf``...) of their augmenters,
    mixed into their handlers and called by :class:`multiaug.core.Composition`: as for one text
    augmenter (:class:`TextAugmenter`), an output nothing augmented is counted in the composition's
    ``report_`` (``details["unchanged_index"]``), warned about and, in ``augment`` (so ``fit_resample``,
    class balancing and the CLI too), left out unless ``on_unchanged`` says otherwise; ``__call__``
    (1:1) keeps it.

    Which outputs: those of the samples that at least one augmenter inside drew and that come out as
    they went in: every augmenter that drew the sample left it as it was (by that augmenter's own test:
    its kernel's flags, EDA's case and punctuation options), or the output equals the input
    (:meth:`same_sample`: changes that cancel out). Samples that no augmenter inside drew (their ``p``,
    ``Sometimes``, ``SomeOf`` with ``n`` 0, the composition's own ``p``) come back as they are and are
    not counted, as with one augmenter's ``p``. What each sample went through travels with the batch
    (``status`` on the outputs, see :func:`fold_status`), set by ``TextAugmenter.apply`` and kept by
    ``take``/``merge``. ``on_unchanged``: that of the augmenters inside (:func:`composed_on_unchanged`)."""

    def same_sample(self, out: Any, src: Any) -> bool:
        """Whether output sample ``out`` is its input ``src`` (nothing augmented)."""
        raise NotImplementedError

    def restore_outputs(self, outs: list, xi: Any, ctx: Any) -> Any:
        """The samples ``outs`` (copies made by ``augment`` from the internal batch ``xi``) as a batch of
        the caller's type (``ctx``)."""
        raise NotImplementedError

    def composed_unchanged(self, x: Any, out: Any) -> list[int]:
        """Positions of ``out`` (a composition's output for the batch ``x``) nothing augmented."""
        st = getattr(out, "status", None)
        if st is None or len(st) != len(out):
            return []
        return [i for i in np.flatnonzero(st >= LEFT).tolist() if st[i] == LEFT or self.same_sample(out[i], x[i])]

    def composed_call(self, comp: Any, x: Any, out: Any) -> None:
        """After ``comp(x)``: count the outputs nothing augmented in ``report_`` and warn (they are
        returned: a call is 1:1), or raise with ``on_unchanged="error"``."""
        setting = composed_on_unchanged(comp)
        n = len(x)
        record_unchanged(comp, setting, n, n, self.composed_unchanged(x, out), 0,
                         "they are returned as they are (1:1 call)")

    def composed_augment(self, comp: Any, xi: Any, ctx: Any, y: Any, n_aug: int, inputs: dict,
                         ) -> tuple[Any, Any, np.ndarray]:
        """``comp.augment``: ``n_aug`` copies as in :meth:`multiaug.core.Augmenter.augment`, except that
        outputs nothing augmented are counted, warned about and left out with ``on_unchanged="drop"``."""
        setting = composed_on_unchanged(comp)
        n = len(xi)
        outs: list = []
        ys, unchanged = [], []
        for c in range(int(n_aug)):
            o, yo = comp._forward(xi, y, **inputs)
            unchanged.extend(c * n + i for i in self.composed_unchanged(xi, o))
            outs.extend(o)
            ys.append(yo)
        y_out = concat_labels(ys) if y is not None else None
        outs, y_out, src, dropped = drop_unchanged(outs, y_out, n, n_aug, unchanged, setting)
        record_unchanged(comp, setting, n * int(n_aug), len(outs), [int(u % max(n, 1)) for u in unchanged], dropped,
                         "left out of the augmented data" if dropped else "kept")
        return self.restore_outputs(outs, xi, ctx), y_out, src


class TextHandler(UnchangedRule, ModalityHandler):
    name = "text"

    def check(self, x: Any, aug: Any = None) -> tuple[list[str], _Ctx]:
        if isinstance(x, str):
            return [x], _Ctx("str")
        if isinstance(x, (list, tuple)):
            items, ctx = list(x), _Ctx("list" if isinstance(x, list) else "tuple")
        elif hasattr(x, "iloc") and hasattr(x, "index") and not hasattr(x, "columns"):
            items, ctx = x.tolist(), _Ctx("series", index=x.index, name=x.name)
        elif isinstance(x, np.ndarray) and x.ndim == 1:
            items, ctx = x.tolist(), _Ctx("numpy", name=x.dtype)
        else:
            hint = ""
            if isinstance(x, (bytes, bytearray)):
                hint = "; decode it first (e.g. x.decode('utf-8'))"
            elif hasattr(x, "columns"):
                hint = "; pass the text column (e.g. df['text'])"
            raise TypeError(f"x: expected a list of str (or a str, tuple, pandas Series), got {type(x).__name__}{hint}")
        if not all(issubclass(t, str) for t in set(map(type, items))):  # C-speed scan, then locate
            for i, s in enumerate(items):
                if not isinstance(s, str):
                    raise TypeError(_not_a_text(i, s, ctx))
        return items, ctx

    def restore(self, x: list[str], ctx: _Ctx) -> Any:
        if ctx.kind == "str":
            return x[0]
        if ctx.kind == "tuple":
            return tuple(x)
        if ctx.kind == "series":
            import pandas as pd

            return pd.Series(x, index=ctx.index if len(ctx.index) == len(x) else None, name=ctx.name)
        if ctx.kind == "numpy":
            return _text_array(x, ctx)
        return list(x)

    def many_ctx(self, ctx: _Ctx) -> _Ctx:
        # one str given alone: the copies made from it (augment, fit_resample) are a list
        return _Ctx("list") if ctx.kind == "str" else ctx

    def take(self, x: list[str], index: torch.Tensor) -> list[str]:
        return [x[i] for i in index.tolist()]

    def merge(self, x: list[str], index: torch.Tensor, part: list[str]) -> list[str]:
        out = list(x)
        pos = index.tolist()
        for i, s in zip(pos, part):
            out[i] = s
        status = merge_status(getattr(x, "status", None), len(out), pos, getattr(part, "status", None))
        if not isinstance(part, TextOutput):
            return out if status is None else TextOutput(out, status=status)
        changed = None
        if part.changed is not None:
            changed = [None] * len(out)
            for i, c in zip(pos, part.changed):
                changed[i] = c
        return TextOutput(out, changed=changed, details=part.details, status=status)

    def same_sample(self, out: str, src: str) -> bool:
        return _same(out, src)

    def restore_outputs(self, outs: list[str], xi: list[str], ctx: _Ctx) -> Any:
        return TextAugmenter._restore_many(outs, ctx)

    def concat(self, batches: Sequence[Any]) -> Any:
        b0 = batches[0]
        if isinstance(b0, str):
            return list(batches)
        if hasattr(b0, "iloc"):
            import pandas as pd

            return pd.concat(list(batches), ignore_index=True)
        if isinstance(b0, np.ndarray):
            return np.concatenate(batches)
        out: list = []
        for b in batches:
            out.extend(b)
        return type(b0)(out) if isinstance(b0, tuple) else out


register_modality(TextHandler())


def _not_a_text(i: int, s: Any, ctx: _Ctx) -> str:
    """The error for entry ``i`` of a batch, which is ``s`` and no str: the position, and for a Series
    whose index is not 0..n-1 its label too; a missing value (None, NaN, pd.NA) and bytes say what to do."""
    where = f"x[{i}]"
    if ctx.kind == "series":
        label = ctx.index[i]
        label = label.item() if isinstance(label, np.generic) else label
        if not (isinstance(label, (int, np.integer)) and label == i):
            where += f" (index label {label!r})"
    missing = s is None or (isinstance(s, float) and s != s) or type(s).__name__ in ("NAType", "NaTType")
    if missing:
        return f"{where}: expected str, got a missing value ({s!r}); drop or fill the missing texts first (e.g. s.fillna(''))"
    if isinstance(s, (bytes, bytearray)):
        return f"{where}: expected str, got {type(s).__name__} {s!r:.50}; decode it first (e.g. b.decode('utf-8'))"
    return f"{where}: expected str, got {type(s).__name__} {s!r:.50}"


def _text_array(texts: list[str], ctx: _Ctx) -> np.ndarray:
    """Texts as the caller's kind of array: object dtype stays object, a fixed-width ``<U`` array
    comes back ``<U`` (as wide as the longest output)."""
    if ctx.name is not None and np.dtype(ctx.name).kind == "U":
        return np.array(texts, dtype=str) if texts else np.array([], dtype=ctx.name)
    return np.array(texts, dtype=object)


def _same(out: str, src: str) -> bool:
    """True when ``out`` is ``src`` up to whitespace normalisation (nothing was augmented)."""
    return out == src or out == " ".join(src.split())


class TextAugmenter(Augmenter):
    """Base class of text augmenters. Kernels see ``list[str]``.

    Outputs identical to their input (up to whitespace) are never passed off as augmented: every
    call counts them (among the samples selected by ``p``) in ``report_`` (a
    :class:`multiaug.core.AugmentReport`, with ``details["unchanged_index"]``, the first 100 source
    rows) and emits a ``RuntimeWarning``. ``on_unchanged`` says what else happens:

    * ``"drop"`` (default): :meth:`augment` / ``fit_resample`` / the CLI leave them out (the returned
      ``source_index`` says where each kept output comes from); ``__call__`` is 1:1 so it keeps them;
    * ``"keep"``: they are returned everywhere (still counted and warned about);
    * ``"error"``: a ``ValueError`` is raised.

    Samples that ``p < 1`` did not draw are not counted: they come back as they are, in :meth:`augment`
    too (copies of their source; ``p`` asked for them), as in every modality.

    Compositions of text augmenters (``Sequential``, ``OneOf``...) follow the same rule, with the
    ``on_unchanged`` of the augmenters inside them (see :class:`UnchangedRule`).
    """

    modality = "text"

    def __init__(self, *, on_unchanged: str = "drop", **kwargs: Any):
        self.on_unchanged = on_unchanged
        super().__init__(**kwargs)

    _parameter_constraints = {"on_unchanged": [Options("drop", "keep", "error")]}

    def _same(self, out: str, src: str) -> bool:
        """Whether output ``out`` counts as not augmented w.r.t. its input ``src``."""
        return _same(out, src)

    def _finish(self, out: list[str], x: list[str], params: Params) -> TextOutput:
        """Count the drawn samples whose output is not augmented (returned with the texts)."""
        state, drawn = split_active(params["active"])
        idx = range(len(x)) if state == "all" else drawn.tolist()
        changed = getattr(out, "changed", None)
        unchanged = self._unchanged_positions(x, out, idx, changed)
        # what the batch went through, for a composition holding this augmenter (UnchangedRule)
        status = fold_status(getattr(x, "status", None), len(x), None if state == "all" else idx, unchanged)
        return TextOutput(out, changed=changed, details=getattr(out, "details", None), unchanged=unchanged,
                          status=status)

    def _unchanged_positions(self, x: list[str], out: list[str], idx: list[int], changed: list | None = None) -> list[int]:
        """Positions (among ``idx``, the samples ``_apply`` saw) whose output is not augmented: by the
        kernel's own ``changed`` flags where it gives them, else by comparing strings (``_same``)."""
        return [
            i for i in idx
            if (not changed[i] if changed is not None and changed[i] is not None else self._same(out[i], x[i]))
        ]

    def _record(self, n_in: int, n_out: int, unchanged: list[int], dropped: int, action: str,
                details: dict | None = None) -> None:
        record_unchanged(self, self.on_unchanged, n_in, n_out, unchanged, dropped, action)

    def _after_call(self, x: list[str], out: TextOutput) -> None:
        n = len(x)
        self._record(n, n, list(getattr(out, "unchanged", None) or []), 0, "they are returned as they are (1:1 call)",
                     getattr(out, "details", None))

    def _augment_internal(self, xi: list[str], y: Any, n_aug: int) -> tuple[list[str], Any, list[int], dict | None]:
        """``n_aug`` copies of ``xi`` concatenated, their labels, the positions of unchanged outputs
        and the kernel's report details. Subclasses may override it to do all copies in one pass."""
        outs: list[str] = []
        ys, unchanged = [], []
        n = len(xi)
        details = None
        for c in range(int(n_aug)):
            o, yo = self._forward(xi, y)
            unchanged.extend(c * n + i for i in (o.unchanged or []))
            details = o.details
            outs.extend(o)
            ys.append(yo)
        return outs, (concat_labels(ys) if y is not None else None), unchanged, details

    def _augment_batch(self, xi: list[str], ctx: _Ctx, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        """``n_aug`` augmented copies as in :meth:`multiaug.core.Augmenter.augment`, except that
        outputs identical to their input are left out when ``on_unchanged="drop"`` (see the class doc)."""
        self._extra_inputs(xi, **inputs)
        self._ensure_valid()
        n = len(xi)
        outs, y_out, unchanged, details = self._augment_internal(xi, y, int(n_aug))
        outs, y_out, src, dropped = drop_unchanged(outs, y_out, n, int(n_aug), unchanged, self.on_unchanged)
        self._record(n * int(n_aug), len(outs), [int(u % max(n, 1)) for u in unchanged], dropped,
                     "left out of the augmented data" if dropped else "kept", details)
        return self._restore_many(outs, ctx), y_out, src

    @staticmethod
    def _restore_many(outs: list[str], ctx: _Ctx) -> Any:
        if ctx.kind == "series":
            import pandas as pd

            return pd.Series(outs, name=ctx.name, dtype=object)
        if ctx.kind == "numpy":
            return _text_array(outs, ctx)
        if ctx.kind == "tuple":
            return tuple(outs)
        return list(outs)
