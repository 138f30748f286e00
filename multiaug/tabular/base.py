"""Tabular batches: conversion and the base class of tabular augmenters.

A batch is ``(N, F)``: a torch tensor, a NumPy array or a pandas DataFrame. Kernels see a float tensor
``(N, F)``; the output has the input's type (a DataFrame keeps its index, column names and dtypes;
integer columns are rounded back). Non-numeric columns raise ``TypeError`` naming them, and NaN/inf
raise ``ValueError``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Augmenter, ModalityHandler, register_modality


@dataclass
class _Ctx:
    kind: str  # "tensor" | "numpy" | "frame"
    np_dtype: Any = None
    columns: Any = None
    index: Any = None
    dtypes: Any = None
    extra: dict = field(default_factory=dict)


class TabularHandler(ModalityHandler):
    name = "tabular"

    def check(self, x: Any, aug: Any = None) -> tuple[torch.Tensor, _Ctx]:
        import pandas as pd

        if isinstance(x, pd.DataFrame):
            bad = [c for c in x.columns if not (pd.api.types.is_numeric_dtype(x[c]) or pd.api.types.is_bool_dtype(x[c]))]
            if bad:
                raise TypeError(
                    f"x: columns {bad} are not numeric; encode them or declare them categorical where the augmenter supports it"
                )
            arr = x.to_numpy(dtype=np.float64)
            t = torch.from_numpy(arr).to(torch.float32)
            ctx = _Ctx("frame", columns=x.columns, index=x.index, dtypes=x.dtypes)
        elif isinstance(x, np.ndarray):
            if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
                raise TypeError(f"x: expected a numeric array, got dtype {x.dtype}")
            t = torch.from_numpy(np.ascontiguousarray(x))
            ctx = _Ctx("numpy", np_dtype=x.dtype)
        elif isinstance(x, torch.Tensor):
            t = x
            ctx = _Ctx("tensor")
        else:
            raise TypeError(f"x: expected a torch.Tensor, numpy.ndarray or pandas.DataFrame of shape (N, F), got {type(x).__name__}")
        if t.dim() != 2:
            raise ValueError(f"x: expected a 2-D table (N, F), got shape {tuple(t.shape)}")
        if t.shape[0] == 0 or t.shape[1] == 0:
            raise ValueError(f"x: empty table of shape {tuple(t.shape)}")
        if not t.is_floating_point():
            t = t.to(torch.float32)
        if not torch.isfinite(t).all():
            raise ValueError("x: contains NaN or inf values; impute them first")
        dev = getattr(aug, "device", None)
        if dev is not None:
            t = t.to(dev)
        return t, ctx

    def restore(self, x: torch.Tensor, ctx: _Ctx) -> Any:
        if ctx.kind == "tensor":
            return x
        arr = x.detach().cpu().numpy()
        if ctx.kind == "numpy":
            if np.issubdtype(ctx.np_dtype, np.integer):
                return np.rint(arr).astype(ctx.np_dtype)
            if ctx.np_dtype == bool:
                return arr >= 0.5
            return arr.astype(ctx.np_dtype, copy=False)
        import pandas as pd

        df = pd.DataFrame(arr, columns=ctx.columns)
        for c, dt in zip(ctx.columns, ctx.dtypes):
            if pd.api.types.is_bool_dtype(dt):
                df[c] = df[c] >= 0.5
            elif pd.api.types.is_integer_dtype(dt):
                df[c] = np.rint(df[c].to_numpy()).astype(dt)
            else:
                df[c] = df[c].astype(dt)
        if len(df) == len(ctx.index):
            df.index = ctx.index
        return df

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
        b0 = batches[0]
        if isinstance(b0, torch.Tensor):
            return torch.cat(list(batches))
        if isinstance(b0, np.ndarray):
            return np.concatenate(batches)
        import pandas as pd

        return pd.concat(list(batches), ignore_index=True)


register_modality(TabularHandler())


class TabularAugmenter(Augmenter):
    """Base class of tabular augmenters. Kernels see a float tensor ``(N, F)``."""

    modality = "tabular"
