"""Additive noise for tables."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..core import Params, warn_unchanged
from ..core.constraints import Integral, Interval, Real, SequenceOf
from ..core.hostreads import host_reads_cheap
from ..registry import register
from .base import TabularAugmenter


@register("gaussian_noise")
class GaussianNoise(TabularAugmenter):
    """Add Gaussian noise scaled per column: ``x + sigma * std(column) * N(0, 1)``.

    The column scale is the batch's standard deviation unless ``fit`` was called, which stores the
    training data's (``scale_``); a single-row batch has no spread, so it needs ``fit`` first.
    ``partial_fit`` accumulates the statistics over several batches (streaming; ``multiaug augment``
    uses it to scale every batch by the whole file's spread, whatever the batch size).
    ``columns`` restricts the noise to some column positions. Categorical/boolean columns (see
    :mod:`multiaug.tabular.base`) and NaN cells are left unchanged; integer columns are rounded. The
    labels are unchanged.

    Fitted attributes: ``scale_`` (float64), ``n_rows_seen_`` and the per-column running statistics
    that ``partial_fit`` updates with ``scale_``, ``count_`` and ``mean_`` (float64; saved with the
    augmenter, so ``partial_fit`` continues after ``load``). They are finite for any finite values,
    however large (computed on columns divided by a power of two near their largest magnitude)."""

    magnitude_range = {"sigma": (0.0, 0.3)}

    def __init__(self, sigma: float = 0.1, columns: list[int] | None = None, **kwargs: Any):
        self.sigma = sigma
        self.columns = columns
        super().__init__(**kwargs)

    _parameter_constraints = {
        "sigma": [Interval(Real, 0, None)],
        "columns": [None, SequenceOf(Interval(Integral), desc="a list of column positions")],
    }

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "GaussianNoise":
        self._ensure_valid()
        self._reset_feature_names()
        t, _ = self._to_internal(X)
        if t.shape[0] < 2:
            raise ValueError(f"GaussianNoise.fit: needs at least 2 rows to measure column spread, got {t.shape[0]}")
        for k in ("count_", "mean_", "m2_", "scale_", "n_rows_seen_"):
            self.__dict__.pop(k, None)
        return self.partial_fit(X)

    def partial_fit(self, X: Any, y: Any = None, **fit_params: Any) -> "GaussianNoise":
        """Update ``scale_`` with one more batch: the per-column population standard deviation of all
        rows seen since the last ``fit`` (NaN cells ignored; Chan et al.'s pairwise update in float64,
        on values divided by a power of two near each column's largest magnitude, so that no sum
        overflows or underflows whatever the values' size)."""
        self._ensure_valid()
        t, _ = self._to_internal(X)
        t = t.detach().to("cpu", torch.float64).reshape(t.shape[0], -1)
        cnt, mean, std = _column_stats(t)
        # running per-column statistics since the last fit (fitted attributes, saved with the augmenter)
        stats = self._running_stats()
        if stats is not None and stats[0].shape == cnt.shape:
            cnt, mean, std = _merge_stats(*stats, cnt, mean, std)
        elif stats is not None:
            raise ValueError(f"GaussianNoise.partial_fit: x has {t.shape[1]} columns but earlier batches had {stats[0].shape[0]}")
        self.count_, self.mean_ = cnt, mean
        self.__dict__.pop("m2_", None)  # (an earlier version's statistics: now in scale_)
        self.n_rows_seen_ = int(self.__dict__.get("n_rows_seen_", 0) if stats is not None else 0) + int(t.shape[0])
        self.scale_ = std  # float64 (a float32 spread overflows past 3.4e38); 0 while a column has < 2 values
        self._record_feature_names(X)
        return self

    def _running_stats(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None:
        """``(count_, mean_, std)`` of the rows seen since the last ``fit``; None before any. An
        augmenter saved by an earlier version holds ``m2_`` (the sum of squared deviations) in place of
        a float64 ``scale_``: its spread is read from it."""
        if "count_" not in self.__dict__:
            return None
        cnt, mean = self.count_.to(torch.float64), self.mean_.to(torch.float64)
        m2 = self.__dict__.get("m2_")
        std = (m2.to(torch.float64) / cnt.clamp_min(1)).sqrt() if m2 is not None else self.scale_.to(torch.float64)
        return cnt, mean, std

    def _measure_batch(self, t: torch.Tensor) -> None:
        """The stand-in's statistics (see ``core.balance.batch_standin``): the column spread of the
        whole internal batch ``t``, as an unfitted call measures it, without reading the input again."""
        if t.shape[0] >= 2:
            self.scale_ = _nanstd(t)

    def _scale(self, x: torch.Tensor) -> torch.Tensor:
        scale = getattr(self, "scale_", None)
        if scale is not None:
            if scale.shape[0] != x.shape[1]:
                raise ValueError(f"x has {x.shape[1]} columns but GaussianNoise was fitted on {scale.shape[0]}")
            return scale.to(x.device, x.dtype)
        if x.shape[0] < 2:
            raise ValueError(
                "GaussianNoise: a single row has no column spread to scale the noise; call fit() on training data first"
            )
        return _nanstd(x)

    def _sample(self, x: torch.Tensor) -> Params:
        noise = torch.randn(x.shape, generator=self.generator(x.device), device=x.device, dtype=torch.float32)
        return {"noise": noise}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        scale = self._scale(x)
        delta = float(self.sigma) * scale * params["noise"].to(x.dtype)
        noised = None  # the columns noise may change (None: all of them; no mask built per call)
        if self.columns is not None:
            keep = torch.zeros(x.shape[1], dtype=torch.bool, device=x.device)
            cols = [int(c) for c in self.columns]  # checked on the host list: no device read
            if any(c < -x.shape[1] or c >= x.shape[1] for c in cols):
                raise ValueError(f"GaussianNoise: columns {list(self.columns)} out of range for a table with {x.shape[1]} columns")
            keep[torch.as_tensor(cols, dtype=torch.long, device=x.device)] = True
            delta = delta * keep
            noised = keep
        hard = params.get("hard")
        if hard is not None:
            free = ~hard.to(x.device)
            delta = delta * free
            noised = free if noised is None else noised & free
        if getattr(self, "scale_", None) is None and host_reads_cheap(x.device) and _no_spread(scale, noised):
            # the batch's own spread is 0 in every column noise may change (identical rows): unchanged, said
            warn_unchanged(self, x.shape[0], x.shape[0], "the batch has no spread in the columns it may noise (its "
                           "rows are alike there), and the noise is scaled by that spread; call fit() on training data")
        return x + delta

    def _extra_inputs(self, x: torch.Tensor, y: Any = None, hard: Any = None, **extra: Any) -> dict[str, Any]:
        inputs = super()._extra_inputs(x, y=y, hard=hard, **extra)
        if hard is not None and (not isinstance(hard, torch.Tensor) or host_reads_cheap(hard.device)):
            # the conversion's column flags are a host array: no device read
            self._warn_if_nothing_to_noise(x, hard)
        return inputs

    def _warn_if_nothing_to_noise(self, x: torch.Tensor, hard: Any) -> None:
        """Contract: an augmenter that cannot change its input says so. Every column it may noise
        (``columns``, else all) categorical/boolean leaves each row as it was (``warn_unchanged``)."""
        flags = np.asarray(hard.cpu() if isinstance(hard, torch.Tensor) else hard, dtype=bool).reshape(-1)
        if flags.size != x.shape[1]:
            return
        sel = flags if self.columns is None else flags[[int(c) % x.shape[1] for c in self.columns]]
        if not sel.all():
            return
        if self.columns is not None and not len(self.columns):
            why = "columns=[] selects no column to noise; set columns= to numeric columns, or None for all"
        else:
            which = "every column" if self.columns is None else f"columns={list(self.columns)}"
            why = (f"the columns it may noise ({which}) are all categorical or boolean, which noise never changes; "
                   "set columns= to numeric columns")
        warn_unchanged(self, x.shape[0], x.shape[0], why)


def _no_spread(scale: torch.Tensor, noised: torch.Tensor | None) -> bool:
    """Whether noise may change a column (``noised``: bool per column, None: every column) and every
    such column has a spread of 0 (``scale`` >= 0). One reduction and one read per call."""
    if not scale.numel():
        return False
    top = (scale if noised is None else torch.where(noised, scale, -1.0)).amax().item()
    if math.isnan(top):  # a NaN spread: is there a positive one among the noised columns
        noised = torch.ones_like(scale, dtype=torch.bool) if noised is None else noised
        return bool(noised.any()) and not bool(((scale > 0) & noised).any())
    return top == 0  # (< 0: no column noised; > 0: a column with spread)


def _pow2_at_least(peak: torch.Tensor) -> torch.Tensor:
    """Per column the power of two ``>= peak`` (1 where ``peak`` is 0): dividing by it is exact."""
    exp = torch.frexp(peak)[1]  # peak = m * 2**exp with 0.5 <= m < 1 (exp 0 for 0)
    # (2**1024 is inf: values past 2**1023 are divided by 2**1023, to below 2)
    return torch.ldexp(torch.ones_like(peak), exp.clamp_max(1023))


def _moments(u: torch.Tensor, ok: torch.Tensor | None = None) -> tuple[Any, torch.Tensor, torch.Tensor]:
    """``(count, mean, population std)`` per column of ``u`` (already divided by a per-column scale):
    without ``ok`` over every row (the usual table: the same sums without the masks, which cost more
    than the other passes together; ``count`` is the row count), else over the cells ``ok`` marks
    (``u`` holding 0 elsewhere; ``count`` per column, std 0 where it is 0). Out of place: a table that
    requires grad keeps its graph."""
    if ok is None:
        mean = u.mean(0)  # (the sum divided by the count, in one call)
        d = u - mean
        return u.shape[0], mean, (d * d).mean(0).sqrt()
    cnt = ok.sum(0)
    n = cnt.clamp_min(1)
    mean = u.sum(0) / n
    d = torch.where(ok, u - mean, u.new_zeros(()))
    return cnt, mean, ((d * d).sum(0) / n).sqrt()


def _column_stats(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(count, mean, std)`` per column of a float64 table ``t`` (NaN cells ignored; population std),
    two-pass on the columns divided by a power of two at least their largest magnitude (exact), so
    that neither the sums nor the squares overflow or underflow (1e200 squared is inf in float64)."""
    peak = torch.nan_to_num(t, nan=0.0).abs().amax(0) if t.shape[0] else t.new_zeros(t.shape[1])
    scale = _pow2_at_least(peak)
    u = t / scale
    ok = ~torch.isnan(u)
    if bool(ok.all()):
        n, mean, std = _moments(u)
        cnt = torch.full_like(peak, float(n))
    else:
        cnt, mean, std = _moments(torch.where(ok, u, u.new_zeros(())), ok)
        cnt = cnt.to(torch.float64)
    return cnt, mean * scale, std * scale


def _merge_stats(n0: torch.Tensor, mean0: torch.Tensor, std0: torch.Tensor, n1: torch.Tensor, mean1: torch.Tensor,
                 std1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Chan et al.'s pairwise update of ``(count, mean, population std)`` per column, on values
    divided by a power of two at least every magnitude involved (no overflow, however large)."""
    n = n0 + n1
    scale = _pow2_at_least(torch.stack([std0, std1, mean0.abs(), mean1.abs()]).amax(0))
    a0, a1 = std0 / scale, std1 / scale
    m0 = mean0 / scale
    delta = mean1 / scale - m0
    w = torch.where(n > 0, n1 / n.clamp_min(1), torch.zeros_like(n))
    mean = (m0 + delta * w) * scale
    var = (n0 * a0 * a0 + n1 * a1 * a1 + delta * delta * n0 * w) / n.clamp_min(1)
    return n, mean, var.sqrt() * scale


def _nanstd(t: torch.Tensor) -> torch.Tensor:
    """Per-column population standard deviation ignoring NaN cells (0 for all-NaN columns).

    Computed on the columns divided by their largest magnitude, then scaled back: the sums of
    values and of squares never overflow (a float32 column of 1e18s would give an infinite spread)."""
    if host_reads_cheap(t.device):
        peak = t.abs().amax(0)  # NaN in the columns holding a NaN cell (amax propagates it)
        if not math.isnan(peak.sum().item()):  # no NaN cell (the usual table): no masks
            peak = peak.masked_fill(peak == 0, 1)
            return _moments(t / peak)[2] * peak
    ok = ~torch.isnan(t)
    u = torch.where(ok, t, t.new_zeros(()))
    peak = u.abs().amax(0)
    peak = torch.where(peak > 0, peak, torch.ones_like(peak))
    return _moments(u / peak, ok)[2] * peak
