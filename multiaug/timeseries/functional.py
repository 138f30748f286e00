"""Time-series kernels: pure functions of a ``(N, C, T)`` tensor and explicit random parameters."""
from __future__ import annotations

import torch


def jitter(x: torch.Tensor, noise: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``x + sigma * noise``; ``noise`` has x's shape (standard normal), ``sigma`` is per series (N,)."""
    return x + sigma.to(x.dtype).view(-1, 1, 1) * noise.to(x.dtype)
