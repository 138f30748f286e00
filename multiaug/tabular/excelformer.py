"""ExcelFormer's Feat-Mix and Hid-Mix (Chen et al., "ExcelFormer", reference code WhatAShot/ExcelFormer).

What the reference does (``lib/aug_utils.py`` and ``run_default_config_excel.py``), and what we follow:

* feature importance = scikit-learn ``mutual_info_classif``/``mutual_info_regression`` on the training
  features, normalised to sum 1;
* **Feat-Mix** (on columns, or on per-feature token embeddings ``(N, F, D)``): per row a rate
  ``r ~ Beta(beta, beta)``, a mask ``m[i, f] = U > r_i`` (True = keep the row's own feature) and a
  partner permutation ``pi``; ``x~ = m * x + (1 - m) * x[pi]``; label weight ``lam_i = sum_f s_f m[i, f]``;
* **Hid-Mix** (inside a model, on token embeddings ``(N, F, D)``): a mask over the embedding dimensions
  ``m[i, d] = U < r_i`` broadcast over features; ``lam_i = r_i`` (the reference uses the rate, not the
  realised share of kept dimensions; we follow it);
* targets: regression ``lam * y + (1 - lam) * y[pi]``; classification
  ``lam * CE(y_hat, y) + (1 - lam) * CE(y_hat, y[pi])`` (:func:`mix_loss`), which equals the
  cross-entropy against the soft target that :class:`FeatMix`/:class:`HidMix` return from ``aug(x, y)``.

Differences: randomness comes from the augmenter's own generator on the data's device (the reference
uses NumPy's global RNG); the reference reorders features by MI, which is not needed here; a zero MI
sum raises (the reference would divide by zero).

Example of use inside a model (see :class:`TokenMLP`)::

    model = TokenMLP(n_features=10, n_out=3, mix="hid_mix", beta=0.5, seed=0)
    out, info = model(x)                  # training mode: mixed tokens, info = MixInfo(lam, partner)
    loss = mix_loss(out, y, info, task="classification")
    model.eval(); out, _ = model(x)       # evaluation: no mixing, info is None
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..core import Params
from ..core.constraints import Interval, Options, Real, SequenceOf
from ..registry import register
from . import functional as F
from .mixup import MixingAugmenter

__all__ = ["FeatMix", "HidMix", "HidMixLayer", "MixInfo", "mix_loss", "GatedTokenizer", "TokenMLP"]


def mutual_information(x: np.ndarray, y: Any, task: str, discrete: np.ndarray, seed: int) -> np.ndarray:
    """Mutual information of each column with the target (scikit-learn's estimators)."""
    from sklearn.feature_selection import mutual_info_classif, mutual_info_regression

    if task == "classification":
        return mutual_info_classif(x, np.asarray(y), discrete_features=discrete, random_state=seed)
    return mutual_info_regression(x, np.asarray(y, dtype=np.float64), discrete_features=discrete, random_state=seed)


@register("feat_mix")
class FeatMix(MixingAugmenter):
    """Feat-Mix (ExcelFormer): swap a random subset of features with a partner; the label weight is the
    share of feature importance (mutual information) kept.

    ``fit(X, y)`` computes the importance: ``importance="mi"`` (default, needs ``y``; MI from
    scikit-learn, categorical columns treated as discrete, normalised to sum 1; raises when every
    feature has zero MI), ``"uniform"`` (no ``y`` needed), or a sequence of non-negative weights.
    Works on tables ``(N, F)`` and on per-feature token embeddings ``(N, F, D)`` (mask broadcast over
    ``D``; fit on the raw ``(N, F)`` table)."""

    learned = True
    accepts_tokens = True
    magnitude_range = {"beta": (0.1, 3.0)}

    def __init__(self, beta: float = 0.5, importance: str | Sequence[float] = "mi", **kwargs: Any):
        self.beta = beta
        self.importance = importance
        super().__init__(**kwargs)

    _parameter_constraints = {
        "beta": [Interval(Real, 0, None, closed="neither")],
        "importance": [Options("mi", "uniform"), SequenceOf(Interval(Real, 0, None), min_len=1, positive_sum=True,
                                                            desc="a list of non-negative weights with a positive sum")],
    }

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "FeatMix":
        x = self._fit_targets(X, y)
        n_feat = x.shape[1]
        if self.importance == "uniform":
            s = np.full(n_feat, 1.0 / n_feat)
        elif self.importance == "mi":
            if y is None:
                raise ValueError("FeatMix.fit: importance='mi' needs y (labels or regression targets); pass y or importance='uniform'")
            if x.dim() != 2:
                raise ValueError(f"FeatMix.fit: mutual information needs the raw (N, F) table, got shape {tuple(x.shape)}")
            t = self._encode_y(y)
            target = t.values
            if t.task == "rows":
                raise ValueError("FeatMix.fit: mutual information needs 1-D y (class labels or one regression target), got 2-D y")
            if t.task == "classification":
                target = target.argmax(1)
            task = "classification" if t.task == "classification" else "regression"
            seed = self.stream_seed() % 2**32  # seed, or what reseed() set (evaluate reseeds per split)
            hard = self._hard_columns(x).cpu().numpy()
            xn = x.detach().cpu().numpy().astype(np.float64)
            if bool(np.isnan(xn).any()):
                raise ValueError("FeatMix.fit: mutual information cannot be computed with NaN in X; impute first or pass importance='uniform'")
            mi = mutual_information(xn, target.cpu().numpy(), task, hard, seed)
            mi = np.where(mi > 1e-9, mi, 0.0)  # estimator round-off on constant columns
            mi[np.ptp(xn, axis=0) == 0] = 0.0
            if not mi.sum() > 0:
                raise ValueError(
                    "FeatMix.fit: every feature has zero mutual information with y (constant columns or y "
                    "independent of X), so the label weights are undefined; pass importance='uniform'"
                )
            s = mi / mi.sum()
        else:
            s = np.asarray(self.importance, dtype=np.float64)
            if len(s) != n_feat:
                raise ValueError(f"FeatMix.fit: importance has {len(s)} weights but X has {n_feat} features")
            s = s / s.sum()
        self.importance_ = torch.as_tensor(s, dtype=torch.float32)
        self.n_features_in_ = int(n_feat)
        return self

    def _sample(self, x: torch.Tensor) -> Params:
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"x has {x.shape[1]} features but FeatMix was fitted on {self.n_features_in_}")
        partner = self._partners(x)
        g = self.generator(x.device)
        rate = F.sample_beta(self.beta, self.beta, x.shape[0], g, x.device)
        u = torch.rand(x.shape[0], x.shape[1], generator=g, device=x.device, dtype=torch.float32)
        keep = u > rate[:, None]
        lam = (keep.to(torch.float32) * self.importance_.to(x.device)[None, :]).sum(1)
        return {"partner": partner, "keep": keep, "lam": lam}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.mix_rows(x, params["partner"], params["keep"], params.get("hard"))


@register("hid_mix")
class HidMix(MixingAugmenter):
    """Hid-Mix (ExcelFormer): swap a random subset of embedding dimensions of per-feature tokens
    ``(N, F, D)`` with a partner; label weight = the row's keep rate ``r ~ Beta(beta, beta)``.

    Meant to run inside a model, between a per-feature tokenizer and the rest of the network: use
    :class:`HidMixLayer` (an ``nn.Module``) and :func:`mix_loss`. As an augmenter it accepts only 3-D
    tensors/arrays ``(N, F, D)``; a 2-D table raises ``ValueError`` (use FeatMix there)."""

    accepts_tokens = True
    magnitude_range = {"beta": (0.1, 3.0)}

    def __init__(self, beta: float = 0.5, **kwargs: Any):
        self.beta = beta
        super().__init__(**kwargs)

    _parameter_constraints = {"beta": [Interval(Real, 0, None, closed="neither")]}

    def _sample(self, x: torch.Tensor) -> Params:
        if x.dim() != 3:
            raise ValueError(f"HidMix: expected token embeddings (N, F, D), got shape {tuple(x.shape)}; use FeatMix on tables")
        partner = self._partners(x)
        g = self.generator(x.device)
        rate = F.sample_beta(self.beta, self.beta, x.shape[0], g, x.device)
        u = torch.rand(x.shape[0], x.shape[2], generator=g, device=x.device, dtype=torch.float32)
        keep = F.column_mask(rate, u)[:, None, :]  # (N, 1, D): broadcast over features
        return {"partner": partner, "keep": keep, "lam": rate}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.mix_rows(x, params["partner"], params["keep"], None)


# --------------------------------------------------------------------------------------------------
# In-model use
# --------------------------------------------------------------------------------------------------


@dataclass
class MixInfo:
    """What a mixing layer did: label weight of the row's own sample, and its partner."""

    lam: torch.Tensor
    partner: torch.Tensor


def mix_loss(pred: torch.Tensor, y: torch.Tensor, info: MixInfo | None, task: str = "regression") -> torch.Tensor:
    """Loss under mixing: regression MSE against ``lam * y + (1 - lam) * y[partner]``; classification
    ``lam * CE(pred, y) + (1 - lam) * CE(pred, y[partner])`` (``y`` class indices or soft targets)."""
    if task not in ("regression", "classification"):
        raise ValueError(f"task must be 'regression' or 'classification', got {task!r}")
    if task == "regression":
        pred = pred.reshape(y.shape) if pred.numel() == y.numel() else pred
        target = y if info is None else F.mix_targets(y.to(pred.dtype), info.partner, info.lam)
        return torch.nn.functional.mse_loss(pred, target)
    ce = torch.nn.functional.cross_entropy
    if info is None:
        return ce(pred, y)
    own = ce(pred, y, reduction="none")
    other = ce(pred, y[info.partner], reduction="none")
    return (info.lam * own + (1.0 - info.lam) * other).mean()


class HidMixLayer(nn.Module):
    """``nn.Module`` wrapper of :class:`HidMix` (or of a token-level :class:`FeatMix` via ``mixer``).

    ``forward(h)`` returns ``(h_mixed, MixInfo)`` in training mode and ``(h, None)`` in eval mode.
    Randomness comes from the wrapped augmenter's own generator (``seed``)."""

    def __init__(self, beta: float = 0.5, seed: int | None = None, mixer: MixingAugmenter | None = None):
        super().__init__()
        self.mixer = mixer if mixer is not None else HidMix(beta=beta, seed=seed)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, MixInfo | None]:
        if not self.training:
            return h, None
        if h.dim() != 3:
            raise ValueError(f"HidMixLayer: expected token embeddings (N, F, D), got shape {tuple(h.shape)}")
        params = self.mixer.sample(h.detach())
        return self.mixer.apply(h, params), MixInfo(lam=self.mixer._label_weight(params), partner=params["partner"])


class GatedTokenizer(nn.Module):
    """ExcelFormer's per-feature tokenizer: ``(x W1 + b1) * tanh(x W2 + b2)`` per feature -> ``(N, F, D)``."""

    def __init__(self, n_features: int, d_token: int = 16):
        super().__init__()
        bound = 1.0 / math.sqrt(d_token)
        self.weight1 = nn.Parameter(torch.empty(n_features, d_token, dtype=torch.float32).uniform_(-bound, bound))
        self.weight2 = nn.Parameter(torch.empty(n_features, d_token, dtype=torch.float32).uniform_(-bound, bound))
        self.bias1 = nn.Parameter(torch.empty(n_features, d_token, dtype=torch.float32).uniform_(-bound, bound))
        self.bias2 = nn.Parameter(torch.empty(n_features, d_token, dtype=torch.float32).uniform_(-bound, bound))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, None]
        return (self.weight1 * x + self.bias1) * torch.tanh(self.weight2 * x + self.bias2)


class TokenMLP(nn.Module):
    """Example model with a per-feature tokenizer: tokens ``(N, F, D)`` -> optional Hid-Mix/Feat-Mix
    (training mode only) -> flatten -> MLP. ``forward(x)`` returns ``(output, MixInfo | None)``.

    Parameter initialisation uses torch's global RNG like any ``nn.Module``; the mixing uses the
    layer's own generator."""

    def __init__(self, n_features: int, n_out: int = 1, d_token: int = 8, hidden: int = 64,
                 mix: str | None = "hid_mix", beta: float = 0.5, seed: int | None = None,
                 importance: Sequence[float] | None = None):
        super().__init__()
        self.tokenizer = GatedTokenizer(n_features, d_token)
        if mix == "hid_mix":
            self.mix = HidMixLayer(beta=beta, seed=seed)
        elif mix == "feat_mix":
            fm = FeatMix(beta=beta, importance=list(importance) if importance is not None else "uniform", seed=seed)
            fm.fit(torch.zeros(2, n_features, dtype=torch.float32))
            self.mix = HidMixLayer(mixer=fm)
        elif mix is None:
            self.mix = None
        else:
            raise ValueError(f"mix must be 'hid_mix', 'feat_mix' or None, got {mix!r}")
        self.head = nn.Sequential(nn.Linear(n_features * d_token, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_out))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, MixInfo | None]:
        h = self.tokenizer(x)
        info = None
        if self.mix is not None:
            h, info = self.mix(h)
        return self.head(h.flatten(1)), info
