"""Modality handlers: how a modality's batches are validated, converted, indexed, blended and joined,
and the registry of handlers by modality name."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import torch

from .hostreads import host_reads_cheap, known_all_true

if TYPE_CHECKING:  # pragma: no cover
    from .base import Augmenter

__all__ = ["ModalityHandler", "TensorHandler", "register_modality", "get_modality"]


class ModalityHandler:
    """How a modality's batches are validated, converted, indexed and concatenated.

    ``check`` turns a user batch into the internal representation plus a context object that
    ``restore`` uses to give the caller back the type it passed in; ``inputs(ctx)`` names what the
    conversion found that travels with the internal batch into :meth:`Augmenter.sample` (tabular: the
    ``hard`` column mask). ``take``/``merge`` select and put back samples, ``where`` keeps the active
    samples of an output and the inactive ones of the input (the one place ``p`` is blended),
    ``concat`` joins external batches (used by ``augment``/``fit_resample``).
    """

    name: str = "any"
    #: what one sample of a batch is called in messages ("rows", "series", ...)
    unit: str = "samples"
    #: keyword inputs found by ``check`` (batch-level, not per sample) that compositions pass on
    batch_inputs: tuple[str, ...] = ()
    #: per-sample keyword inputs of the modality's augmenters (time series: ``lengths``, one per
    #: series) that compositions pass on, each child getting the entries of the samples routed to it
    sample_inputs: tuple[str, ...] = ()

    def check_sample_inputs(self, x: Any, inputs: dict[str, Any], aug: "Augmenter | None" = None) -> dict[str, Any]:
        """``inputs`` with the :attr:`sample_inputs` among them checked against batch ``x`` (internal
        representation) and in the form children take them (compositions check them once, for the whole
        batch, before routing shares of it); default: as they are."""
        return inputs

    def check(self, x: Any, aug: "Augmenter | None" = None) -> tuple[Any, Any]:
        raise NotImplementedError

    def restore(self, x: Any, ctx: Any) -> Any:
        raise NotImplementedError

    def inputs(self, ctx: Any) -> dict[str, Any]:
        """Extra inputs of :meth:`Augmenter.sample` found while converting the batch (default: none)."""
        return {}

    def many_ctx(self, ctx: Any) -> Any:
        """The context that restores a *batch* of samples made from the input of ``ctx``: where the
        input was one sample without a sample axis (a series ``(T,)`` or channels-last ``(T, C)``), the
        context of a batch of them (``(N, T)``, ``(N, T, C)``), so that ``augment``/``fit_resample``
        give each copy its own row. Default: ``ctx`` (the input already is a batch)."""
        return ctx

    def rows_ctx(self, ctx: Any, rows: Any) -> Any:
        """The context that restores a batch whose sample ``i`` comes from sample ``rows[i]`` of the
        input of ``ctx`` (class balancing, redraws of some samples): ``restore`` otherwise takes output
        sample ``i`` for input sample ``i`` when the counts match (tables: to give back integers
        float64 cannot hold). Default: ``ctx``."""
        return ctx

    def check_internal(self, x: Any, who: str) -> None:
        """Refuse, naming ``x``, a batch given to ``sample``/``apply`` that is not this modality's
        internal representation (default: no check)."""

    def length(self, x: Any) -> int:
        return len(x)

    def device(self, x: Any) -> torch.device:
        return torch.device("cpu")

    def take(self, x: Any, index: torch.Tensor) -> Any:
        raise NotImplementedError

    def merge(self, x: Any, index: torch.Tensor, part: Any) -> Any:
        """Return ``x`` with the samples at ``index`` replaced by ``part`` (in order)."""
        raise NotImplementedError

    def where(self, active: torch.Tensor, out: Any, x: Any) -> Any:
        """Samples of ``out`` where ``active`` (a boolean ``(N,)`` mask) is True, of ``x`` elsewhere."""
        if known_all_true(active):
            return out
        idle = torch.nonzero(~active).flatten()
        if idle.numel() == 0:
            return out
        return self.merge(out, idle, self.take(x, idle))

    def concat(self, batches: Sequence[Any]) -> Any:
        """Concatenate *external* batches (as returned to users) along the sample axis."""
        raise NotImplementedError


#: integer dtypes float32 cannot hold exactly (beyond 2**24: ids, counts): carried in float64
WIDE_INTS = (torch.int32, torch.int64, torch.uint32, torch.uint64)


def float_of_ints(t: torch.Tensor) -> torch.Tensor:
    """An integer or boolean tensor as floats, exactly where it can be: integers wider than 16 bits
    in float64, narrower ones and bool in float32 (tables and series read integers alike)."""
    return t.to(torch.float64 if t.dtype in WIDE_INTS else torch.float32)


class TensorHandler(ModalityHandler):
    """Shared indexing of modalities whose internal batch is one tensor with samples on axis 0
    (tables ``(N, F)``, series ``(N, C, T)``)."""

    #: dimensions the internal tensor may have (tables 2, or 3 for token embeddings; series 3)
    internal_dims: tuple[int, ...] = (2, 3)
    internal_shape: str = "(N, F)"

    @staticmethod
    def fresh(arr: np.ndarray, source: Any) -> np.ndarray:
        """``arr``, copied when it may share memory with the caller's array ``source`` (nothing drawn at
        p < 1, a no-op kernel): outputs are always fresh arrays, never the caller's."""
        return arr.copy() if source is not None and np.may_share_memory(arr, source) else arr

    def check_internal(self, x: Any, who: str) -> None:
        if not isinstance(x, torch.Tensor) or x.dim() not in self.internal_dims:
            got = f"a tensor of shape {tuple(x.shape)}" if isinstance(x, torch.Tensor) else type(x).__name__
            raise TypeError(
                f"{who}: x must be the internal batch, a torch.Tensor {self.internal_shape}, got {got}; "
                f"convert it first (torch.as_tensor(x) with shape {self.internal_shape}) or call the augmenter itself, "
                "aug(x), which converts arrays, DataFrames and other shapes"
            )

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

    def where(self, active: torch.Tensor, out: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        # a mask from all_true needs no look; on the CPU a read may save the select, on a device it costs more
        if known_all_true(active) or (host_reads_cheap(x.device) and bool(active.all())):
            return out
        return torch.where(active.to(x.device).reshape((-1,) + (1,) * (x.dim() - 1)), out, x.to(out.dtype))

    def concat(self, batches: Sequence[Any]) -> Any:
        b0 = batches[0]
        if isinstance(b0, torch.Tensor):
            return torch.cat(list(batches))
        if isinstance(b0, np.ndarray):
            return np.concatenate(batches)
        raise TypeError(f"cannot concatenate batches of type {type(b0).__name__}")


_MODALITIES: dict[str, ModalityHandler] = {}


def register_modality(handler: ModalityHandler) -> ModalityHandler:
    _MODALITIES[handler.name] = handler
    return handler


def get_modality(name: str) -> ModalityHandler:
    if name not in _MODALITIES:
        # Modality packages register their handler on import.
        from .. import registry

        registry.load_all()
    try:
        return _MODALITIES[name]
    except KeyError:
        raise ValueError(f"unknown modality {name!r}; expected one of {sorted(_MODALITIES)}") from None
