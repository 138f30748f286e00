"""Classic time-series augmentations (classes; the math lives in :mod:`.functional`)."""
from __future__ import annotations

from typing import Any

import torch

from ..core import Params
from ..registry import register
from . import functional as F
from .base import TimeSeriesAugmenter


@register("jitter")
class Jitter(TimeSeriesAugmenter):
    """Add Gaussian noise to every time step: ``x + sigma * N(0, 1)``.

    ``sigma`` is a float or a ``(low, high)`` range drawn uniformly per series."""

    magnitude_range = {"sigma": (0.0, 0.2)}

    def __init__(self, sigma: float | tuple[float, float] = 0.03, **kwargs: Any):
        self.sigma = sigma
        super().__init__(**kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        s = self.sigma
        ok = (isinstance(s, (int, float)) and s >= 0) or (
            isinstance(s, (list, tuple)) and len(s) == 2 and all(isinstance(v, (int, float)) for v in s) and 0 <= s[0] <= s[1]
        )
        self._check_param("sigma", ok, "a non-negative float or a (low, high) range")

    def _sample(self, x: torch.Tensor) -> Params:
        g = self.generator(x.device)
        n = x.shape[0]
        if isinstance(self.sigma, (list, tuple)):
            lo, hi = map(float, self.sigma)
            sigma = lo + (hi - lo) * torch.rand(n, generator=g, device=x.device)
        else:
            sigma = torch.full((n,), float(self.sigma), device=x.device)
        noise = torch.randn(x.shape, generator=g, device=x.device, dtype=torch.float32)
        return {"sigma": sigma, "noise": noise}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.jitter(x, params["noise"], params["sigma"])
