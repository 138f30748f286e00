"""Time-series batches: conversion and the base class of time-series augmenters.

Convention: a batch is ``(N, C, T)`` (series, channels, time steps), as a torch tensor or a NumPy
array. Also accepted: ``(T,)`` (one univariate series) and ``(N, T)`` (N univariate series); the output
has the shape of the input. With ``channels_last=True`` a 3-D input is ``(N, T, C)`` and a 2-D input is
``(T, C)`` (one multivariate series). Integer and boolean inputs are cast to float32 (the output stays
float); float16/bfloat16/float64 are kept. NaN or inf values raise ``ValueError``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Augmenter, ModalityHandler, register_modality


@dataclass
class _Ctx:
    kind: str  # "tensor" | "numpy"
    ndim: int
    channels_last: bool
    np_dtype: Any = None


def _channels_last(aug: Any) -> bool:
    return bool(getattr(aug, "channels_last", False))


class TimeSeriesHandler(ModalityHandler):
    name = "timeseries"

    def check(self, x: Any, aug: Any = None) -> tuple[torch.Tensor, _Ctx]:
        cl = _channels_last(aug)
        if isinstance(x, torch.Tensor):
            kind, t, np_dtype = "tensor", x, None
        elif isinstance(x, np.ndarray):
            if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
                raise TypeError(f"x: expected a numeric array of series, got dtype {x.dtype}")
            kind, t, np_dtype = "numpy", torch.from_numpy(np.ascontiguousarray(x)), x.dtype
        else:
            raise TypeError(
                f"x: expected a torch.Tensor or numpy.ndarray of shape (N, C, T), (N, T) or (T,), got {type(x).__name__}"
            )
        if t.dim() not in (1, 2, 3):
            raise ValueError(f"x: expected 1, 2 or 3 dimensions ((T,), (N, T), (N, C, T)), got shape {tuple(t.shape)}")
        if t.numel() == 0:
            raise ValueError(f"x: empty batch of shape {tuple(t.shape)}")
        if t.is_complex():
            raise TypeError("x: complex series are not supported")
        if not t.is_floating_point():
            t = t.to(torch.float32)
        if not torch.isfinite(t).all():
            raise ValueError("x: contains NaN or inf values; clean or impute them first")
        ndim = t.dim()
        if ndim == 1:
            t = t[None, None, :]
        elif ndim == 2:
            t = t.T[None] if cl else t[:, None, :]
        elif cl:
            t = t.transpose(1, 2)
        dev = getattr(aug, "device", None)
        if dev is not None:
            t = t.to(dev)
        return t, _Ctx(kind, ndim, cl, np_dtype)

    def restore(self, x: torch.Tensor, ctx: _Ctx) -> Any:
        if ctx.ndim == 1:
            x = x[0, 0]
        elif ctx.ndim == 2:
            x = x[0].T if ctx.channels_last else x[:, 0, :]
        elif ctx.channels_last:
            x = x.transpose(1, 2)
        if ctx.kind == "numpy":
            arr = x.detach().cpu().numpy()
            if ctx.np_dtype is not None and np.issubdtype(ctx.np_dtype, np.floating):
                arr = arr.astype(ctx.np_dtype, copy=False)
            return arr
        return x

    def length(self, x: torch.Tensor) -> int:
        return x.shape[0]

    def device(self, x: torch.Tensor) -> torch.device:
        return x.device

    def take(self, x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
        return x[index.to(x.device)]

    def merge(self, x: torch.Tensor, index: torch.Tensor, part: torch.Tensor) -> torch.Tensor:
        out = x.clone()
        out[index.to(x.device)] = part.to(out.dtype)
        return out

    def concat(self, batches: Sequence[Any]) -> Any:
        if isinstance(batches[0], torch.Tensor):
            return torch.cat(list(batches))
        b0 = np.asarray(batches[0])
        if b0.ndim == 1:
            return np.stack(batches)
        return np.concatenate(batches)


register_modality(TimeSeriesHandler())


class TimeSeriesAugmenter(Augmenter):
    """Base class of time-series augmenters. Kernels see a float tensor ``(N, C, T)``."""

    modality = "timeseries"

    def __init__(self, *, channels_last: bool = False, **kwargs: Any):
        self.channels_last = channels_last
        super().__init__(**kwargs)
