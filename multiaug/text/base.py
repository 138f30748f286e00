"""Text batches: validation and the base class of text augmenters.

A batch is a list (or tuple, pandas Series, 1-D object array) of ``str``; a single ``str`` is accepted
and a single ``str`` is returned. ``None`` or non-string entries raise ``TypeError`` naming the index.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..core import _ACTIVE, _INNER, AugmentReport, Augmenter, ModalityHandler, Params, concat_labels, register_modality, take_labels


@dataclass
class _Ctx:
    kind: str  # "list" | "tuple" | "str" | "series" | "numpy"
    index: Any = None
    name: Any = None


class TextHandler(ModalityHandler):
    name = "text"

    def check(self, x: Any, aug: Any = None) -> tuple[list[str], _Ctx]:
        if isinstance(x, str):
            return [x], _Ctx("str")
        if isinstance(x, (list, tuple)):
            items, ctx = list(x), _Ctx("list" if isinstance(x, list) else "tuple")
        elif hasattr(x, "iloc") and hasattr(x, "index") and not hasattr(x, "columns"):
            items, ctx = x.tolist(), _Ctx("series", index=x.index, name=x.name)
        elif isinstance(x, np.ndarray) and x.ndim == 1:
            items, ctx = x.tolist(), _Ctx("numpy")
        else:
            raise TypeError(f"x: expected a list of str (or a str, tuple, pandas Series), got {type(x).__name__}")
        if not all(issubclass(t, str) for t in set(map(type, items))):  # C-speed scan, then locate
            for i, s in enumerate(items):
                if not isinstance(s, str):
                    raise TypeError(f"x[{i}]: expected str, got {type(s).__name__} {s!r:.50}")
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
            return np.array(x, dtype=object)
        return list(x)

    def take(self, x: list[str], index: torch.Tensor) -> list[str]:
        return [x[i] for i in index.tolist()]

    def merge(self, x: list[str], index: torch.Tensor, part: list[str]) -> list[str]:
        out = list(x)
        for i, s in zip(index.tolist(), part):
            out[i] = s
        return out

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
    """

    modality = "text"

    def __init__(self, *, on_unchanged: str = "drop", **kwargs: Any):
        self.on_unchanged = on_unchanged
        super().__init__(**kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        if getattr(self, "on_unchanged", "drop") not in ("drop", "keep", "error"):
            raise ValueError(
                f"{type(self).__name__}: on_unchanged must be 'drop', 'keep' or 'error', got {self.on_unchanged!r}"
            )

    def _same(self, out: str, src: str) -> bool:
        """Whether output ``out`` counts as not augmented w.r.t. its input ``src``."""
        return _same(out, src)

    @property
    def report_(self) -> AugmentReport | None:
        """Counts from the last call (None before the first one)."""
        return self.__dict__.get("_report")

    def sample(self, x: list[str]) -> Params:
        """As :meth:`multiaug.core.Augmenter.sample`; an empty batch draws nothing and selects no sample
        (its params have the ``p < 1`` layout with an empty ``active`` index), so every text augmenter
        maps ``[]`` to ``[]`` without reaching its kernel."""
        if len(x) == 0:
            return {_ACTIVE: torch.zeros(0, dtype=torch.long), _INNER: {}}
        return super().sample(x)

    def apply(self, x: list[str], params: Params) -> list[str]:
        out = super().apply(x, params)
        active = params.get(_ACTIVE) if isinstance(params, dict) else None
        idx = list(range(len(x))) if active is None else active.tolist()
        self.__dict__["_last_unchanged"] = self._unchanged_positions(x, out, idx)
        return out

    def _unchanged_positions(self, x: list[str], out: list[str], idx: list[int]) -> list[int]:
        """Positions (among ``idx``, the samples ``_apply`` saw) whose output is not augmented.
        Subclasses that know which samples they changed may answer without comparing strings."""
        return [i for i in idx if self._same(out[i], x[i])]

    def _record(self, n_in: int, n_out: int, unchanged: list[int], dropped: int, action: str) -> None:
        self.__dict__["_report"] = AugmentReport(
            n_inputs=n_in, n_outputs=n_out, n_unchanged=len(unchanged), n_dropped=dropped,
            details={"unchanged_index": unchanged[:100]},
        )
        if not unchanged:
            return
        msg = (
            f"{type(self).__name__}: {len(unchanged)} of {n_in} outputs are identical to their input "
            f"(nothing it could change, e.g. empty, too short or only stop words; first rows: {unchanged[:5]}); {action}"
        )
        if self.on_unchanged == "error":
            raise ValueError(msg + " (on_unchanged='error')")
        warnings.warn(msg, RuntimeWarning, stacklevel=3)

    def __call__(self, x: Any, y: Any = None) -> Any:
        self.__dict__["_last_unchanged"] = []
        res = super().__call__(x, y)
        unchanged = self.__dict__.pop("_last_unchanged", [])
        n = len(res[0] if y is not None else res) if not isinstance(x, str) else 1
        self._record(n, n, unchanged, 0, "they are returned as they are (1:1 call)")
        return res

    def _augment_internal(self, xi: list[str], y: Any, n_aug: int) -> tuple[list[str], Any, list[int]]:
        """``n_aug`` copies of ``xi`` concatenated, their labels and the positions of unchanged
        outputs. Subclasses may override it to do all copies in one batched pass."""
        outs: list[str] = []
        ys, unchanged = [], []
        n = len(xi)
        for c in range(int(n_aug)):
            self.__dict__["_last_unchanged"] = []
            o, yo = self._forward(xi, y)
            unchanged.extend(c * n + i for i in self.__dict__.pop("_last_unchanged", []))
            outs.extend(o)
            ys.append(yo)
        return outs, (concat_labels(ys) if y is not None else None), unchanged

    def augment(self, X: Any, y: Any = None, n_aug: int | None = None) -> tuple[Any, Any, np.ndarray]:
        """``n_aug`` augmented copies of ``X`` as in :meth:`multiaug.core.Augmenter.augment`, except that
        outputs identical to their input are left out when ``on_unchanged="drop"`` (see the class doc)."""
        n_aug = self.n_aug if n_aug is None else n_aug
        if isinstance(n_aug, bool) or not isinstance(n_aug, (int, np.integer)) or n_aug < 1:
            raise ValueError(f"n_aug must be an integer >= 1, got {n_aug!r}")
        self._validate_params()
        xi, ctx = self._to_internal(X)
        n = len(xi)
        if y is not None and len(y) != n:
            raise ValueError(f"y has {len(y)} labels but the batch has {n} samples; expected one label per sample")
        outs, y_out, unchanged = self._augment_internal(xi, y, int(n_aug))
        src = np.tile(np.arange(n), int(n_aug))
        drop = self.on_unchanged == "drop" and len(unchanged) > 0
        if drop:
            keep = np.ones(len(outs), dtype=bool)
            keep[unchanged] = False
            outs = [s for s, k in zip(outs, keep.tolist()) if k]
            src = src[keep]
            if y_out is not None:
                y_out = take_labels(y_out, torch.from_numpy(np.nonzero(keep)[0]))
        self._record(n * int(n_aug), len(outs), [int(u % max(n, 1)) for u in unchanged], len(unchanged) if drop else 0,
                     "left out of the augmented data" if drop else "kept")
        return self._restore_many(outs, ctx), y_out, src

    @staticmethod
    def _restore_many(outs: list[str], ctx: _Ctx) -> Any:
        if ctx.kind == "series":
            import pandas as pd

            return pd.Series(outs, name=ctx.name, dtype=object)
        if ctx.kind == "numpy":
            return np.array(outs, dtype=object)
        if ctx.kind == "tuple":
            return tuple(outs)
        return list(outs)
