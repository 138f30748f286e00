"""Label-consistency filtering for every modality: :class:`LabelConsistent`.

An augmented sample can silently change class ("great" -> "bad", the one edge that carried the
signal dropped, the peak that made the series class 1 smoothed away). ``LabelConsistent(augmenter,
model)`` keeps an augmented sample only when a *reference model* still gives its source label at least
``threshold`` probability (or, for regression, predicts within ``tolerance`` of its target); rejected
samples are redrawn from the wrapped augmenter's own (seeded) stream up to ``max_tries`` draws in all,
and what still fails is dropped (``on_fail="drop"``), replaced by its source sample
(``"keep_original"``), kept anyway (``"keep"``) or raises (``"error"``). Counts and the source rows
involved are in ``report_``.

**What the model sees.** The augmented samples exactly as the wrapped augmenter would return them to
you: a ``list[str]`` for text, the type you passed for tables (DataFrame with its columns, ndarray,
tensor) and series (ndarray or tensor, ``(N, C, T)``/``(N, T)``; a single series ``(T,)`` is seen as
``(N, T)``), and for graphs a list of ``Data`` when you passed a list, a ``Batch`` otherwise. So the
model is whatever you would fit on that data: a scikit-learn ``Pipeline`` with its vectoriser for text,
a classifier on feature columns for tables, a series classifier, a graph classifier (e.g.
``multiaug.evaluation.models.GCNGraphClassifier``). Inside a composition (``Sequential([...,
LabelConsistent(...)])``) the user's type is not known: the model then gets ``list[str]``, NumPy arrays
``(N, F)`` / ``(N, C, T)`` or a ``Batch``.

**Models.** A fitted classifier with ``predict_proba`` (its ``classes_`` map labels to columns) or a
callable ``f(X) -> (N, K)`` probabilities (``classes`` maps labels to columns; default ``0..K-1``);
for ``task="regression"`` a fitted regressor's ``predict`` or a callable ``f(X) -> (N,)``. The model is
only read, never fitted: ``clone`` shares it.

**Labels.** ``y`` (one hard label per sample) is required, except for graphs whose graphs each carry
one label in ``y`` (then read from the batch). Mixing augmenters are refused: their labels are blends
by design.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Sequence

import numpy as np
import torch

from .balance import batch_standin, take_inputs
from .base import Augmenter, Params, input_settings
from .compose import Composition
from .constraints import Boolean, InstanceOf, Integral, Interval, Options, Real, Satisfies
from .handlers import ModalityHandler, get_modality
from .labels import graph_labels, merge_labels, take_labels
from .labels import labels_to_numpy as _np
from .report import AugmentReport, UnchangedWarning, warn_user
from .seeding import worker_seed

__all__ = ["LabelConsistent"]

ON_FAIL = ("drop", "keep_original", "keep", "error")


@dataclasses.dataclass
class _Ctx:
    inner: Any
    as_list: bool = False


class _Handler(ModalityHandler):
    """The wrapped modality's handler, plus: graph classification batches given as a list of ``Data``
    (read as a ``Batch``, given back as a list), the conversion checked with the *wrapped* augmenter's
    settings (categorical columns, ``channels_last``, ``device``...), and the conversion context passed
    on to :meth:`LabelConsistent._forward` so the model sees the user's type."""

    def __init__(self, inner: ModalityHandler, owner: "LabelConsistent"):
        self.inner = inner
        self.owner = owner
        self.name, self.unit = inner.name, inner.unit
        self.batch_inputs = tuple(inner.batch_inputs) + ("_ctx",)
        self.sample_inputs = tuple(inner.sample_inputs)

    def check(self, x: Any, aug: Any = None) -> tuple[Any, _Ctx]:
        as_list = False
        if self.inner.name == "graph" and isinstance(x, (list, tuple)):
            from torch_geometric.data import Batch, Data

            if not x:
                raise ValueError("LabelConsistent: x is an empty list of graphs")
            for i, g in enumerate(x):
                if not isinstance(g, Data):
                    raise TypeError(f"x[{i}]: expected a torch_geometric.data.Data, got {type(g).__name__}")
            x, as_list = Batch.from_data_list(list(x)), True
        xi, ctx = self.inner.check(x, self.owner.augmenter)
        return xi, _Ctx(ctx, as_list)

    def restore(self, x: Any, ctx: Any) -> Any:
        out = self.inner.restore(x, ctx.inner if isinstance(ctx, _Ctx) else ctx)
        if isinstance(ctx, _Ctx) and ctx.as_list:
            from torch_geometric.data import Batch

            return out.to_data_list() if isinstance(out, Batch) else [out]
        return out

    def inputs(self, ctx: Any) -> dict[str, Any]:
        return {**self.inner.inputs(ctx.inner), "_ctx": ctx}

    def many_ctx(self, ctx: Any) -> Any:
        if isinstance(ctx, _Ctx):
            return dataclasses.replace(ctx, inner=self.inner.many_ctx(ctx.inner))
        return self.inner.many_ctx(ctx)

    def rows_ctx(self, ctx: Any, rows: Any) -> Any:
        if isinstance(ctx, _Ctx):
            return dataclasses.replace(ctx, inner=self.inner.rows_ctx(ctx.inner, rows))
        return self.inner.rows_ctx(ctx, rows) if ctx is not None else ctx

    def length(self, x: Any) -> int:
        return self.inner.length(x)

    def device(self, x: Any) -> torch.device:
        return self.inner.device(x)

    def take(self, x: Any, index: torch.Tensor) -> Any:
        return _take(self.inner, x, index)

    def merge(self, x: Any, index: torch.Tensor, part: Any) -> Any:
        return self.inner.merge(x, index, part)

    def where(self, active: torch.Tensor, out: Any, x: Any) -> Any:
        return self.inner.where(active, out, x)

    def concat(self, batches: Sequence[Any]) -> Any:
        if self.inner.name == "graph" and all(isinstance(b, list) for b in batches):
            return [g for b in batches for g in b]
        return self.inner.concat([b for b in batches if not (isinstance(b, list) and not b)] or batches[:1])


def _take(h: ModalityHandler, x: Any, index: torch.Tensor) -> Any:
    """``h.take``, also repeating the one graph of a ``Data`` (a ``Batch`` of copies)."""
    if h.name == "graph":
        from torch_geometric.data import Batch

        if not isinstance(x, Batch):
            idx = index.tolist()
            return x if idx == [0] else Batch.from_data_list([x] * len(idx))
    return h.take(x, index)


class LabelConsistent(Composition):
    """Keep augmented samples only when a reference model still gives them their source label.

    ``augmenter``: any augmenter (or composition) of any modality that keeps labels (mixing augmenters
    are refused). ``model``: a fitted classifier with ``predict_proba`` or a callable returning
    ``(N, K)`` probabilities; with ``task="regression"`` a fitted regressor or a callable returning
    predictions. The model gets the augmented samples as the augmenter returns them to you (see the
    module docstring). ``threshold``: least probability of the source label (classification).
    ``tolerance``: largest ``|prediction - target|`` (regression; required there). ``max_tries``: draws
    per sample, the first included; the redraws come from the wrapped augmenter's stream, so a seeded
    run replays. ``on_fail``: what becomes of a sample rejected at every try: ``"drop"`` (left out of
    :meth:`augment`/``fit_resample``; a 1:1 call puts its source sample back), ``"keep_original"``
    (its source sample instead), ``"keep"`` (the last draw anyway) or ``"error"``. ``classes``: the
    label of each probability column for a callable model (default ``model.classes_`` or ``0..K-1``).
    ``fit_model``: False (the model is fitted already and only read) or True (``fit(X, y)`` fits a clone
    of it into ``model_``: leakage-free inside cross-validation and imblearn pipelines, where
    ``fit_resample`` fits on the training fold). ``n_aug`` None: the wrapped augmenter's. ``sampling_strategy``: class balancing (set it here, not on
    the wrapped augmenter); rejected copies are redrawn, then short classes topped up.

    Text outputs identical to their input (nothing augmented) are redrawn too, and left out when still
    unchanged (unless the wrapped augmenter has ``on_unchanged="keep"``).

    ``report_`` (an :class:`AugmentReport`) after each call: ``n_inputs`` (samples drawn), ``n_outputs``,
    ``n_dropped``, ``n_unchanged`` and ``details``: ``rejected`` (samples rejected at their first draw),
    ``redraws``, ``rejected_per_try``, ``accepted_after_redraw``, ``failed`` (rejected at every try),
    ``kept_original``, ``kept_rejected``, the source rows ``rejected_index``, ``failed_index`` and
    ``dropped_index``, and the model's ``scores`` of the samples returned (probability of the source
    label, or ``|prediction - target|``).
    """

    def __init__(self, augmenter: Augmenter | None = None, model: Any = None, threshold: float = 0.5,
                 max_tries: int = 3, on_fail: str = "drop", task: str = "classification",
                 tolerance: float | None = None, classes: Sequence[Any] | None = None, fit_model: bool = False,
                 **kwargs: Any):
        self.augmenter = augmenter
        self.fit_model = fit_model
        self.model = model
        self.threshold = threshold
        self.max_tries = max_tries
        self.on_fail = on_fail
        self.task = task
        self.tolerance = tolerance
        self.classes = classes
        kwargs.setdefault("n_aug", None)
        super().__init__([augmenter] if augmenter is not None else [], **kwargs)

    _parameter_constraints = {
        "augmenter": [InstanceOf(Augmenter, "an Augmenter")],
        "model": [Satisfies(lambda m: m is not None and (callable(m) or hasattr(m, "predict_proba") or hasattr(m, "predict")),
                            "a fitted model with predict_proba (or predict, for regression) or a callable")],
        "threshold": [Interval(Real, 0, 1, desc="a probability in [0, 1]")],
        "max_tries": [Interval(Integral, 1, None)],
        "on_fail": [Options(*ON_FAIL)],
        "task": [Options("classification", "regression")],
        "tolerance": [None, Interval(Real, 0, None)],
        "classes": [None, Satisfies(lambda c: len(c) > 0 and not isinstance(c, str), "a non-empty sequence of labels")],
        "fit_model": [Boolean()],
        "n_aug": [None, Interval(Integral, 1, None)],
        "p": [Satisfies(lambda v: not isinstance(v, bool) and v == 1, "1 (set p on the wrapped augmenter)")],
    }

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return [n for n in super()._get_param_names() if n != "augmenters"]

    @property
    def augmenters(self) -> list[Augmenter]:  # type: ignore[override]
        """The one child, always ``[augmenter]`` (so ``set_params(augmenter=...)`` is followed)."""
        return [self.augmenter] if self.augmenter is not None else []

    @augmenters.setter
    def augmenters(self, value: Any) -> None:  # Composition.__init__ assigns it; derived from augmenter
        pass

    def _check_extra(self) -> None:
        from .balance import mixer_of

        mixer = mixer_of(self.augmenter)
        if mixer is not None:
            raise ValueError(
                f"LabelConsistent: {type(mixer).__name__} mixes samples and their labels (soft targets), so a mixed "
                "sample has no single source label to check; wrap a label-preserving augmenter"
            )
        if getattr(self.augmenter, "sampling_strategy", None) is not None:
            raise ValueError(
                f"LabelConsistent: set sampling_strategy on LabelConsistent, not on the wrapped "
                f"{type(self.augmenter).__name__} (the wrapper makes the copies)"
            )
        m = self.model
        if self.task == "classification" and not (hasattr(m, "predict_proba") or callable(m)):
            raise ValueError(
                f"LabelConsistent: model {type(m).__name__} has no predict_proba; pass a probabilistic classifier "
                "(e.g. LogisticRegression, or CalibratedClassifierCV around yours) or a callable X -> (N, K) probabilities"
            )
        if self.task == "regression":
            if self.tolerance is None:
                raise ValueError("LabelConsistent: task='regression' needs tolerance (the largest |prediction - target| kept)")
            if not (hasattr(m, "predict") or callable(m)):
                raise ValueError(f"LabelConsistent: model {type(m).__name__} has no predict; pass a fitted regressor or a callable")
        if not self.fit_model and hasattr(m, "fit") and (hasattr(m, "predict_proba") or hasattr(m, "predict")):
            from sklearn.exceptions import NotFittedError
            from sklearn.utils.validation import check_is_fitted

            try:
                check_is_fitted(m)
            except NotFittedError:
                raise ValueError(
                    f"LabelConsistent: the reference model {type(m).__name__} is not fitted; fit it on labelled data first "
                    "(it is only read, never fitted here)"
                ) from None
            except TypeError:  # not a scikit-learn estimator: trust it
                pass

    # ---- plumbing -------------------------------------------------------------------------------------

    @property
    def handler(self) -> ModalityHandler:
        return _Handler(get_modality(self.modality), self)

    def generator(self, device: Any = "cpu") -> torch.Generator:
        """Own stream when seeded (or reseeded); otherwise the wrapped augmenter's, so that a seeded
        augmenter alone replays the whole run (balancing draws included)."""
        if self.seed is None and self.__dict__.get("_rng_seed") is None and worker_seed() is None:
            return self.augmenter.generator(device)
        return super().generator(device)

    def _clone_new(self) -> "LabelConsistent":
        """A clone with a cloned augmenter and the *same* fitted model (it is only read, never refitted)."""
        from sklearn.base import clone

        params = self.get_params(deep=False)
        model = params.pop("model")
        new = type(self)(model=model, **{k: clone(v, safe=False) for k, v in params.items()})
        if "_sklearn_api" in self.__dict__:
            new.__dict__["_sklearn_api"] = self.__dict__["_sklearn_api"]
        return new

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "LabelConsistent":
        """Fit the wrapped augmenter (a list of graphs is given to it as a ``Batch``). The model is
        fitted only with ``fit_model=True``: a clone of it, on ``(X, y)`` as given, into ``model_``
        (so that inside a cross-validation or an imblearn pipeline it sees the training fold only)."""
        self._ensure_valid()
        Xc = self.handler.check(X)[0] if self.modality == "graph" and isinstance(X, (list, tuple)) else X
        if self.fit_model:
            from sklearn.base import clone

            if not hasattr(self.model, "fit"):
                raise ValueError(f"LabelConsistent: fit_model=True needs a model with fit, got {type(self.model).__name__}")
            self.model_ = clone(self.model).fit(X, _np(self._source_labels(Xc, y)) if y is None else y)
        self.augmenter.fit(Xc, y, **fit_params)
        return self

    @property
    def reference_(self) -> Any:
        """The model the filter reads: ``model_`` (fitted by ``fit`` with ``fit_model=True``) or ``model``."""
        if self.fit_model:
            m = self.__dict__.get("model_")
            if m is None:
                from sklearn.exceptions import NotFittedError

                raise NotFittedError("LabelConsistent(fit_model=True) is not fitted yet; call fit(X, y) first")
            return m
        return self.model

    def __sklearn_is_fitted__(self) -> bool:
        return (not self.fit_model or "model_" in self.__dict__) and super().__sklearn_is_fitted__()

    def _check_n_aug(self, n_aug: Any) -> int:
        if n_aug is None and self.n_aug is None:
            self._ensure_valid()
            return self.augmenter._check_n_aug(None)
        return super()._check_n_aug(n_aug)

    def _source_labels(self, x: Any, y: Any) -> Any:
        if y is not None:
            return y
        yy = graph_labels(x, self.modality, self.handler.length(x))
        if yy is not None:
            return yy
        raise ValueError(
            "LabelConsistent needs y, the source label of each sample (graphs: one label per graph in y, or in each graph's y)"
        )

    # ---- the model ------------------------------------------------------------------------------------

    def _model_input(self, out: Any, ctx: Any) -> Any:
        h = get_modality(self.modality)
        if h.name == "text":
            return list(out)
        if h.name == "graph":
            from torch_geometric.data import Batch

            if isinstance(ctx, _Ctx) and ctx.as_list:
                return out.to_data_list() if isinstance(out, Batch) else [out]
            return out if isinstance(out, Batch) else Batch.from_data_list([out])
        if not isinstance(ctx, _Ctx):
            return out.detach().cpu().numpy()
        return h.restore(out, h.many_ctx(ctx.inner))

    def _judge(self, out: Any, labels: np.ndarray, ctx: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(ok, score)`` per sample: the model's probability of the source label (classification) or
        ``|prediction - target|`` (regression)."""
        X = self._model_input(out, ctx)
        m = self.reference_
        n = len(labels)
        with torch.no_grad():
            if self.task == "regression":
                pred = m.predict(X) if hasattr(m, "predict") else m(X)
                pred = _np(pred).astype(np.float64).reshape(-1)
                if len(pred) != n:
                    raise ValueError(f"LabelConsistent: the model returned {len(pred)} predictions for {n} samples")
                score = np.abs(pred - labels.astype(np.float64))
                return score <= float(self.tolerance), score
            proba = m.predict_proba(X) if hasattr(m, "predict_proba") else m(X)
        proba = _np(proba).astype(np.float64)
        if proba.ndim != 2 or proba.shape[0] != n:
            raise ValueError(
                f"LabelConsistent: the model must return (N, K) probabilities for N = {n} samples, got shape {proba.shape}"
            )
        score = proba[np.arange(n), self._columns(labels, proba.shape[1])]
        return score >= float(self.threshold), score

    def _columns(self, labels: np.ndarray, k: int) -> np.ndarray:
        classes = self.classes if self.classes is not None else getattr(self.reference_, "classes_", None)
        classes = list(_np(classes)) if classes is not None else list(range(k))
        if len(classes) != k:
            raise ValueError(f"LabelConsistent: {len(classes)} classes for {k} probability columns; pass classes=")
        pos = {c.item() if hasattr(c, "item") else c: i for i, c in enumerate(classes)}
        by_text = {str(c): i for c, i in pos.items()}
        cols = np.empty(len(labels), dtype=np.int64)
        for j, lab in enumerate(labels.tolist()):
            i = pos.get(lab, by_text.get(str(lab)))
            if i is None:
                raise ValueError(f"LabelConsistent: label {lab!r} is not one of the model's classes {list(pos)}")
            cols[j] = i
        return cols

    # ---- the filter -----------------------------------------------------------------------------------

    def _unchanged(self, x: Any, out: Any) -> np.ndarray:
        """Text outputs identical to their input (nothing augmented); False elsewhere."""
        n = self.handler.length(out)
        if self.modality != "text":
            return np.zeros(n, dtype=bool)
        from ..text.base import _same

        return np.array([_same(o, s) for o, s in zip(out, x)], dtype=bool)

    def _filter(self, xi: Any, y: Any, ctx: Any, inputs: dict, rows: np.ndarray) -> dict:
        """Draw one augmented sample per source row in ``rows``, redraw the rejected ones; return the
        draws and what became of each."""
        h = get_modality(self.modality)
        n = h.length(xi)
        self.generator(h.device(xi))  # seed a wrapped augmenter without a seed from ours, before it draws
        child = batch_standin(self.augmenter, xi)  # redraws see subsets: batch statistics from the whole batch
        identity = len(rows) == n and bool(np.all(rows == np.arange(n)))
        idx_all = torch.as_tensor(rows)
        x_rep = xi if identity else _take(h, xi, idx_all)
        y_rep = y if identity else take_labels(y, idx_all)
        in_rep = inputs if identity else take_inputs(inputs, rows, n, h.batch_inputs)
        labels = _np(y_rep)
        if labels.ndim != 1:
            raise ValueError(f"LabelConsistent: y must hold one label per sample (1-D), got shape {labels.shape}")
        out, y_out = child._forward(x_rep, y_rep, **in_rep)
        # the model sees the outputs restored from their source rows (exact table integers)
        ok, score = self._judge(out, labels, self.handler.rows_ctx(ctx, rows))
        keeps = [v for _, v in input_settings(child, "on_unchanged")]  # a composition: its augmenters'
        unchanged_bad = not (keeps and all(v == "keep" for v in keeps))
        unchanged = self._unchanged(x_rep, out)
        rejected = ~ok
        tries = np.ones(len(rows), dtype=np.int64)
        pending = np.flatnonzero(~ok | (unchanged & unchanged_bad))
        per_try = [int((~ok).sum())]
        for _ in range(int(self.max_tries) - 1):
            if len(pending) == 0:
                break
            pi = torch.as_tensor(pending)
            sub = _take(h, x_rep, pi)
            o2, y2 = child._forward(sub, take_labels(y_rep, pi), **take_inputs(in_rep, pending, len(rows), h.batch_inputs))
            ok2, s2 = self._judge(o2, labels[pending], self.handler.rows_ctx(ctx, rows[pending]))
            u2 = self._unchanged(sub, o2)
            out = h.merge(out, pi, o2) if len(pending) < len(rows) else o2
            if y_out is not None:
                y_out = merge_labels(y_out, pi, y2) if len(pending) < len(rows) else y2
            ok[pending], score[pending], unchanged[pending] = ok2, s2, u2
            tries[pending] += 1
            per_try.append(int((~ok2).sum()))
            pending = pending[~ok2 | (u2 & unchanged_bad)]
        return {"x_rep": x_rep, "y_rep": y_rep, "out": out, "y_out": y_out, "ok": ok, "score": score,
                "unchanged": unchanged & unchanged_bad, "rejected": rejected, "tries": tries, "per_try": per_try,
                "rows": rows, "labels": labels, "ctx": ctx}

    def _resolve(self, r: dict, can_drop: bool) -> tuple[Any, Any, np.ndarray]:
        """Apply ``on_fail`` to the samples rejected at every try; ``(out, y_out, kept positions)`` and
        ``report_``."""
        h = get_modality(self.modality)
        ok, unchanged, rows = r["ok"], r["unchanged"], r["rows"]
        failed = ~ok
        out, y_out = r["out"], r["y_out"]
        if self.on_fail == "error" and failed.any():
            raise ValueError(
                f"LabelConsistent: {int(failed.sum())} of {len(rows)} augmented samples were rejected by the model at all "
                f"{self.max_tries} tries (source rows {sorted(set(rows[failed].tolist()))[:10]}); on_fail='error'"
            )
        # a 1:1 call cannot drop: "drop" puts the source sample back (unchanged texts are their source already)
        back = self.on_fail == "keep_original" or (self.on_fail == "drop" and not can_drop)
        replace = failed & ~unchanged if back else np.zeros_like(failed)
        score = r["score"]
        if replace.any():
            ri = torch.as_tensor(np.flatnonzero(replace))
            back_x = _take(h, r["x_rep"], ri)
            out = h.merge(out, ri, back_x) if len(ri) < len(rows) else r["x_rep"]
            if y_out is not None:
                y_out = merge_labels(y_out, ri, take_labels(r["y_rep"], ri))
            # the scores reported are those of the samples returned: the source samples put back
            score = score.copy()
            score[replace] = self._judge(back_x, r["labels"][replace], self.handler.rows_ctx(r["ctx"], rows[replace]))[1]
        drop = np.zeros_like(failed)
        if can_drop:
            drop = unchanged | (failed & (self.on_fail == "drop"))
        keep = np.flatnonzero(~drop)
        kept_rejected = failed & ~unchanged & ~replace & ~drop
        details = {
            "rejected": int(r["rejected"].sum()), "redraws": int((r["tries"] - 1).sum()),
            "rejected_per_try": r["per_try"], "accepted_after_redraw": int((r["rejected"] & ok).sum()),
            "failed": int((failed & ~unchanged).sum()), "kept_original": int(replace.sum()),
            "kept_rejected": int(kept_rejected.sum()),
            "rejected_index": sorted(set(rows[r["rejected"]].tolist())),
            "failed_index": sorted(set(rows[failed & ~unchanged].tolist())),
            "dropped_index": rows[drop].tolist(),
            "scores": score[keep].tolist(),
            "threshold": self.threshold if self.task == "classification" else self.tolerance,
            "on_fail": self.on_fail,
        }
        self._set_report(AugmentReport(n_inputs=len(rows), n_outputs=len(keep), n_unchanged=int(unchanged.sum()),
                                       n_dropped=int(drop.sum()), details=details))
        lost = int((failed & ~unchanged).sum())
        if lost:
            what = {"drop": "dropped" if can_drop else "replaced by their source sample (1:1 call)",
                    "keep_original": "replaced by their source sample", "keep": "kept anyway"}[self.on_fail]
            warn_user(UnchangedWarning(
                "LabelConsistent", lost, len(rows),
                f"augmented samples were rejected by the model at all {self.max_tries} tries ({what}); see report_.details",
            ))
        if len(keep) == len(rows):
            return out, y_out, keep
        ki = torch.as_tensor(keep)
        return (_take(h, out, ki) if len(keep) else None), (take_labels(y_out, ki) if y_out is not None else None), keep

    def _forward(self, x: Any, y: Any = None, **inputs: Any) -> tuple[Any, Any]:
        ctx = inputs.pop("_ctx", None)
        if self.learned:
            self._check_fitted()
        self._check_y(x, y)
        ys = self._source_labels(x, y)
        n = get_modality(self.modality).length(x)
        r = self._filter(x, ys, ctx, inputs, np.arange(n))
        out, y_out, _ = self._resolve(r, can_drop=False)
        return out, (y_out if y is not None else None)

    def _augment_batch(self, xi: Any, ctx: Any, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        inputs = dict(inputs)
        inputs.pop("_ctx", None)
        if self.learned:
            self._check_fitted()
        ys = self._source_labels(xi, y)
        n = get_modality(self.modality).length(xi)
        rows = np.tile(np.arange(n), int(n_aug))
        r = self._filter(xi, ys, ctx, inputs, rows)
        out, y_out, keep = self._resolve(r, can_drop=True)
        src = rows[keep]
        if len(keep) == 0:
            from .balance import _empty

            X0, y0, _ = _empty(self, xi, ctx, y)
            return X0, y0, src
        return self._restore_many(out, self.handler.rows_ctx(ctx, src)), (y_out if y is not None else None), src

    def _restore_many(self, out: Any, ctx: Any) -> Any:
        """A batch of outputs in the user's type (a list of graphs stays a list; one text, graph or
        series given alone comes back as a batch of them)."""
        inner = ctx.inner if isinstance(ctx, _Ctx) else ctx
        if self.modality == "text":
            from ..text.base import TextAugmenter

            return TextAugmenter._restore_many(list(out), inner)
        if self.modality == "graph":
            from torch_geometric.data import Batch

            if isinstance(ctx, _Ctx) and ctx.as_list:
                return out.to_data_list() if isinstance(out, Batch) else [out]
            return out if isinstance(out, Batch) else Batch.from_data_list([out])
        h = get_modality(self.modality)
        return h.restore(out, h.many_ctx(inner))

    def _sample(self, x: Any) -> Params:
        raise NotImplementedError("LabelConsistent draws while filtering; call it directly (aug(x, y)) or use augment")


# ---- reference models from files (the CLI's --consistency-model) -------------------------------------------

#: model config keys besides "model" (passed to LabelConsistent)
_CONFIG_KEYS = ("threshold", "max_tries", "on_fail", "task", "tolerance", "seed")


def default_reference_model(modality: str, seed: int | None = 0) -> Any:
    """An unfitted probabilistic classifier for ``modality`` ("text", "tabular", "timeseries",
    "graph"), from the evaluation defaults (:mod:`multiaug.evaluation.models`): TF-IDF + logistic
    regression, ``HistGradientBoostingClassifier``, MiniRocket-like features + logistic regression
    (the evaluation's ridge head has no probabilities), ``GCNGraphClassifier``."""
    from ..evaluation.models import GCNGraphClassifier, RandomKernelFeatures, default_model

    if modality in ("text", "tabular"):
        return default_model(modality, "classification", seed)
    if modality == "timeseries":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(RandomKernelFeatures(random_state=seed), StandardScaler(),
                             LogisticRegression(max_iter=2000, random_state=seed))
    if modality in ("graph", "graph-graph"):
        return GCNGraphClassifier(random_state=seed)
    raise ValueError(f"no default reference model for {modality!r}; expected text, tabular, timeseries or graph")


def read_reference_model(path: Any, modality: str, trusted: Sequence[str] = ()) -> tuple[Any, dict, bool]:
    """``(model, settings, needs_fit)`` from ``path`` -- never by unpickling:

    * ``.skops``: a fitted scikit-learn model saved with ``skops.io.dump``, read with
      ``skops.io.load``; types that skops does not trust by default are refused unless each is
      listed in ``trusted`` (see ``skops.io.get_untrusted_types``);
    * ``.json``/``.yaml``/``.yml``: ``{"model": "default", "threshold": 0.6, "max_tries": 3,
      "on_fail": "drop", "seed": 0}`` -- the modality's default reference model
      (:func:`default_reference_model`; "model" may also name the modality), *unfitted*: the caller
      fits it on the labelled input (``needs_fit`` True). The other keys are ``LabelConsistent``
      settings (``settings``).

    Pickle and joblib files are refused: loading them can run arbitrary code."""
    from pathlib import Path

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".pkl", ".pickle", ".joblib", ".sav", ".pt", ".pth"):
        raise ValueError(
            f"--consistency-model {str(path)!r}: pickle/joblib files are refused (loading one can run arbitrary code); "
            "save the fitted model with skops (skops.io.dump(model, 'model.skops')) or pass a model config (.json/.yaml)"
        )
    if not p.is_file():
        raise ValueError(f"--consistency-model {str(path)!r}: no such file")
    if suffix == ".skops":
        try:
            import skops.io as sio
        except ImportError:
            raise ImportError(f"--consistency-model {str(path)!r}: reading .skops files needs the skops package (pip install skops)") from None
        untrusted = list(sio.get_untrusted_types(file=p))
        left = [t for t in untrusted if t not in set(trusted)]
        if left:
            raise ValueError(
                f"--consistency-model {str(path)!r}: the file holds types skops does not trust by default: {left}; "
                "if you trust them, name each with --trust-type"
            )
        return sio.load(p, trusted=untrusted or None), {}, False
    if suffix in (".json", ".yaml", ".yml"):
        from .persistence import read_config

        cfg = read_config(p)
        if not isinstance(cfg, dict) or "model" not in cfg:
            raise ValueError(f"--consistency-model {str(path)!r}: expected a mapping with a 'model' key, e.g. {{\"model\": \"default\"}}")
        unknown = sorted(set(cfg) - {"model", *_CONFIG_KEYS})
        if unknown:
            raise ValueError(f"--consistency-model {str(path)!r}: unknown key(s) {unknown}; expected model and some of {list(_CONFIG_KEYS)}")
        name = cfg["model"]
        if name not in ("default", modality, "graph-graph" if modality == "graph" else modality):
            raise ValueError(
                f"--consistency-model {str(path)!r}: model {name!r} is not available for {modality} data; use \"default\""
            )
        settings = {k: cfg[k] for k in _CONFIG_KEYS if k in cfg and k != "seed"}
        if settings.get("task", "classification") != "classification":
            raise ValueError(f"--consistency-model {str(path)!r}: the default models are classifiers; use a .skops regressor for regression")
        return default_reference_model(modality, cfg.get("seed", 0)), settings, True
    raise ValueError(f"--consistency-model {str(path)!r}: expected a .skops file or a model config (.json/.yaml), got {suffix or 'no suffix'}")
