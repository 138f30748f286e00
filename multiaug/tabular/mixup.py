"""Mixing augmenters for tables: the shared label logic, Mixup and CutMix."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..core import Params
from ..core.constraints import Integral, Interval, Options, Real
from ..registry import register
from . import functional as F
from . import labels as L
from .base import TabularAugmenter


class MixingAugmenter(TabularAugmenter):
    """Base of augmenters that combine each row with a partner row and mix the targets with the
    label weight ``lam`` (the share of the row's own sample).

    Targets passed as ``aug(X, y)``:

    * ``task="auto"`` (default): bool/string/category labels, and integer labels with at most 32
      distinct values, are classes; float labels are regression targets; 2-D targets (soft targets,
      multi-output regression) are mixed row-wise as they are. ``task="classification"`` or
      ``"regression"`` forces the choice; ``num_classes`` implies classification.
    * regression -> mixed values ``lam * y + (1 - lam) * y[partner]``;
    * classification -> soft targets ``(N, K)`` (float32): column ``j`` is label ``j`` when labels are
      non-negative integers (``K = num_classes`` or max label + 1), else the ``j``-th sorted distinct
      label (call ``fit(X, y)`` first so that ``K`` does not depend on the batch); integer labels
      above 2**24 (ids: a column per integer up to them) raise ``ValueError`` before anything is
      allocated, and labels of several unorderable types (``[1, "a"]``) ``TypeError``, naming ``y``;
    * ``fit_resample`` (imblearn) turns soft targets into the *dominant* label (the side with the
      larger weight; the row's own label on a tie) because scikit-learn classifiers need hard labels.

    A tensor ``y`` gives a tensor on its device; other containers give NumPy arrays (a pandas Series of
    regression targets stays a Series).

    A batch of one row has nothing to mix with: calling the augmenter (``aug(X)``, ``augment``,
    ``fit_resample``, ``fit``) on a single row raises ``ValueError`` (the same rule as the time-series
    mixing augmenters). Inside a composition that routes a single row of a larger batch to it
    (``OneOf``, ``SomeOf``...), that row is its own partner and comes back unchanged. The command line
    engines mix a lone last row with partners from the previous batch."""

    #: the augmenter combines samples of the batch (the engines give a lone row partner rows)
    mixes_samples = True

    def __init__(self, task: str = "auto", num_classes: int | None = None, **kwargs: Any):
        self.task = task
        self.num_classes = num_classes
        super().__init__(**kwargs)

    _parameter_constraints = {"task": [Options(*L.TASKS)], "num_classes": [None, Interval(Integral, 1, None)]}

    # ---- fitting: remember the task and the classes ---------------------------------------------

    def _fit_targets(self, X: Any, y: Any) -> torch.Tensor:
        """Validate ``X``/``y`` (same length, at least 2 rows) and remember the task and classes."""
        self._ensure_valid()
        self._reset_feature_names()
        for stale in ("task_", "classes_"):  # a refit forgets what an earlier fit learned about y
            self.__dict__.pop(stale, None)
        x, _ = self._to_internal(X)
        if y is not None:
            if len(y) != x.shape[0]:
                raise ValueError(f"X has {x.shape[0]} rows but y has {len(y)}; expected one target per row")
            t = L.encode(y, self.task, num_classes=self.num_classes, who=type(self).__name__)
            self.task_ = t.task
            if t.task == "classification":
                self.classes_ = list(t.classes)
        self._record_feature_names(X)
        return x

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "MixingAugmenter":
        self._fit_targets(X, y)
        return self

    def _encode_y(self, y: Any, arg: str = "y") -> L.Targets:
        task = self.__dict__.get("task_", self.task) if self.task == "auto" else self.task
        return L.encode(y, task, num_classes=self.num_classes, classes=self.__dict__.get("classes_"),
                        who=type(self).__name__, arg=arg)

    def _label_weight(self, params: Params) -> torch.Tensor:
        lam = params["lam"]
        active = params.get("active")
        if active is not None:
            lam = torch.where(active, lam, torch.ones_like(lam))
        return lam

    def _apply_labels(self, y: Any, params: Params) -> Any:
        t = self._encode_y(y)
        vals = t.values
        partner = params["partner"].to(vals.device)
        lam = self._label_weight(params).to(vals.device)
        return L.decode(t, F.mix_targets(vals.to(torch.float32) if not vals.is_floating_point() else vals, partner, lam))

    def _resample_labels(self, y: Any, y_aug: Any) -> Any:
        nd_y = y.dim() if isinstance(y, torch.Tensor) else np.ndim(L.labels_to_numpy(y))
        nd_a = y_aug.dim() if isinstance(y_aug, torch.Tensor) else np.ndim(y_aug)
        if nd_y == 1 and nd_a == 2:
            classes = self.__dict__.get("classes_")
            if classes is None:  # not fitted: the classes the batch was encoded with
                classes, integer = L.class_list(y)
            else:
                integer = all(isinstance(c, (int, bool)) and c >= 0 for c in classes)
            return L.hard_labels(y_aug, classes, integer, y)
        return y_aug

    def _partners(self, x: torch.Tensor) -> torch.Tensor:
        # a single row (routed here by a composition) is its own partner: see the class docstring
        return torch.randperm(x.shape[0], generator=self.generator(x.device), device=x.device)


@register("mixup")
class Mixup(MixingAugmenter):
    """Mixup for tables: each row is mixed with a random partner, ``lam * x + (1 - lam) * x[partner]``.

    ``lam ~ Beta(alpha, alpha)`` is drawn per row; partners are a random permutation of the batch.
    Categorical/boolean columns (and NaN cells under ``nan_policy='keep'``) take the value of the side
    with the larger weight; integer columns are rounded. Targets are mixed with the same ``lam``
    (see :class:`MixingAugmenter` for the label rules)."""

    magnitude_range = {"alpha": (0.05, 1.0)}

    def __init__(self, alpha: float = 0.4, **kwargs: Any):
        self.alpha = alpha
        super().__init__(**kwargs)

    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def _sample(self, x: torch.Tensor) -> Params:
        partner = self._partners(x)
        lam = F.sample_beta(self.alpha, self.alpha, x.shape[0], self.generator(x.device), x.device)
        return {"partner": partner, "lam": lam}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.mix_rows(x, params["partner"], params["lam"], params.get("hard"))


@register("cutmix")
class CutMix(MixingAugmenter):
    """CutMix for tables: each row takes a random subset of its columns from a random partner.

    Per row a keep rate ``r ~ Beta(alpha, alpha)``; each column is kept with probability ``r`` (else
    taken from the partner, a random permutation of the batch). The label weight is the share of
    columns actually kept. Nothing is interpolated, so categorical columns are safe as they are."""

    magnitude_range = {"alpha": (0.2, 2.0)}

    def __init__(self, alpha: float = 1.0, **kwargs: Any):
        self.alpha = alpha
        super().__init__(**kwargs)

    _parameter_constraints = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def _keep_rate(self, x: torch.Tensor) -> torch.Tensor:
        return F.sample_beta(self.alpha, self.alpha, x.shape[0], self.generator(x.device), x.device)

    def _column_weights(self, x: torch.Tensor) -> torch.Tensor:
        """Weight of each column in the label weight (uniform for CutMix)."""
        return torch.full((x.shape[1],), 1.0 / x.shape[1], device=x.device, dtype=torch.float32)

    def _sample(self, x: torch.Tensor) -> Params:
        partner = self._partners(x)
        rate = self._keep_rate(x)
        u = torch.rand(x.shape[0], x.shape[1], generator=self.generator(x.device), device=x.device, dtype=torch.float32)
        keep = F.column_mask(rate, u)
        lam = (keep.to(torch.float32) * self._column_weights(x)[None, :]).sum(1)
        return {"partner": partner, "keep": keep, "lam": lam}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.mix_rows(x, params["partner"], params["keep"], params.get("hard"))
