"""Text batches: validation and the base class of text augmenters.

A batch is a list (or tuple, pandas Series, 1-D object array) of ``str``; a single ``str`` is accepted
and a single ``str`` is returned. ``None`` or non-string entries raise ``TypeError`` naming the index.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Augmenter, ModalityHandler, register_modality


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


class TextAugmenter(Augmenter):
    """Base class of text augmenters. Kernels see ``list[str]``."""

    modality = "text"
