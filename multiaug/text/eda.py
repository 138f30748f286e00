"""EDA operations (Wei & Zou): synonym replacement, random insertion, swap and deletion."""
from __future__ import annotations

from typing import Any

import torch

from ..core import Params
from ..registry import register
from .base import TextAugmenter


@register("random_swap")
class RandomSwap(TextAugmenter):
    """Swap two random words, ``n = max(1, round(alpha * words))`` times per sentence."""

    magnitude_range = {"alpha": (0.0, 0.5)}

    def __init__(self, alpha: float = 0.1, **kwargs: Any):
        self.alpha = alpha
        super().__init__(**kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        self._check_param("alpha", isinstance(self.alpha, (int, float)) and 0 <= self.alpha <= 1, "in [0, 1]")

    def _sample(self, x: list[str]) -> Params:
        words = [s.split() for s in x]
        lens = torch.tensor([len(w) for w in words], dtype=torch.long)
        n_ops = torch.clamp(torch.round(float(self.alpha) * lens).long(), min=1)
        m = int(n_ops.max()) if len(x) else 0
        u = torch.rand(len(x), max(m, 1), 2, generator=self.generator())
        pos = (u * lens.clamp(min=1)[:, None, None]).long()
        return {"pos": pos, "n_ops": n_ops}

    def _apply(self, x: list[str], params: Params) -> list[str]:
        out = []
        pos, n_ops = params["pos"].tolist(), params["n_ops"].tolist()
        for s, p, n in zip(x, pos, n_ops):
            w = s.split()
            if len(w) >= 2:
                for a, b in p[:n]:
                    w[a], w[b] = w[b], w[a]
            out.append(" ".join(w))
        return out
