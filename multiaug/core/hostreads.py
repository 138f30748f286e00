"""Host reads: the points where a computation on an accelerator waits for the device.

On a CUDA device every read of a tensor's *values* by Python (``.item()``, ``bool(t)``, ``int(t)``,
``.tolist()``, ``.cpu()``, ``.numpy()``) and every operation whose output *shape* depends on the values
(``nonzero``, boolean-mask indexing, ``unique``, ``masked_select``, ``repeat_interleave`` without
``output_size``) blocks the host until the device has finished all queued work. On the CPU the same reads
cost nothing beyond the read itself, and a shortcut that reads a value (``if not active.any(): return x``)
saves real work.

:func:`host_reads_cheap` is the one policy the library applies: shortcuts that need a host read are taken
only where the data lives on the CPU; on any other device the code computes without looking.
:func:`count_host_reads` lists the reads a piece of code makes, attributed to the line of multiaug (or of
the caller) that made them -- the check behind ``tests/core/test_hostreads.py`` and the sync table of
``benchmarks/gpu_bench.py``, and a tool for users who want to know where their own pipeline waits::

    from multiaug.core.hostreads import count_host_reads
    with count_host_reads() as reads:
        pipeline(x)
    print(reads.table())

:func:`assume_costly_host_reads` makes :func:`host_reads_cheap` answer False for CPU tensors too (in the
current context only), so the device code path and its reads can be examined on a machine without a GPU.
"""
from __future__ import annotations

import contextlib
import contextvars
import math
import os
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterator

import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

__all__ = ["host_reads_cheap", "assume_costly_host_reads", "count_host_reads", "HostReads", "all_true", "all_finite",
           "split_active", "host_item", "min_max"]

_COSTLY: contextvars.ContextVar[bool] = contextvars.ContextVar("multiaug_costly_host_reads", default=False)
_HOST_SIDE: contextvars.ContextVar[bool] = contextvars.ContextVar("multiaug_host_side_read", default=False)


def host_reads_cheap(device: torch.device | str | None) -> bool:
    """True where reading a tensor's values from Python costs no device synchronisation: the CPU
    (unless :func:`assume_costly_host_reads` is active). ``None`` counts as the CPU."""
    if _COSTLY.get():
        return False
    return device is None or torch.device(device).type == "cpu"


@contextlib.contextmanager
def assume_costly_host_reads() -> Iterator[None]:
    """Within the block (this thread / task only), :func:`host_reads_cheap` answers False everywhere,
    so code takes its device path on the CPU as well."""
    token = _COSTLY.set(True)
    try:
        yield
    finally:
        _COSTLY.reset(token)


def min_max(t: torch.Tensor) -> tuple:
    """``(min, max)`` of non-empty tensor ``t`` as Python numbers: one pass (``aminmax``) and one host read
    for both (range checks of labels and indices)."""
    lo, hi = torch.aminmax(t)
    if host_reads_cheap(t.device):
        return lo.item(), hi.item()
    return tuple(torch.stack((lo, hi)).tolist())


def all_finite(t: torch.Tensor) -> bool:
    """No NaN/inf in floating tensor ``t``: :func:`min_max` (``aminmax`` propagates NaN and exposes
    +-inf), tested in Python (no ``isfinite`` kernels)."""
    if t.numel() == 0 or not t.is_floating_point():
        return True
    return all(math.isfinite(v) for v in min_max(t))


def host_item(t: torch.Tensor) -> int | float | bool:
    """The value of one-element CPU tensor ``t`` that lives on the host by construction (a draw from a
    CPU generator, a seed): read without counting as a device wait, on every device. A tensor on
    another device is refused, since reading it would wait."""
    if t.device.type != "cpu":
        raise ValueError(f"host_item: expected a CPU tensor (a host-side value), got one on {t.device}")
    token = _HOST_SIDE.set(True)
    try:
        return t.item()
    finally:
        _HOST_SIDE.reset(token)


_ALL_TRUE_ATTR = "_multiaug_all_true"


def all_true(n: int, device: torch.device | str | None) -> torch.Tensor:
    """A boolean ``(n,)`` mask of True, remembered as such: :func:`split_active` (and ``where`` of the
    handlers) answer "all active" for it without reading it, as long as it is not modified in place.
    (Under ``torch.inference_mode`` tensors keep no version counter: the mask is then not remembered,
    and reading it decides, as for any other mask.)"""
    t = torch.ones(n, dtype=torch.bool, device=device)
    if not t.is_inference():
        setattr(t, _ALL_TRUE_ATTR, t._version)
    return t


def known_all_true(mask: torch.Tensor) -> bool:
    """True if ``mask`` came from :func:`all_true` and was not modified since (no host read)."""
    mark = getattr(mask, _ALL_TRUE_ATTR, None)
    return mark is not None and not mask.is_inference() and mark == mask._version


def split_active(mask: torch.Tensor) -> tuple[str, torch.Tensor | None]:
    """``("all", None)``, ``("none", idx)`` or ``("some", idx)`` for a boolean ``(N,)`` mask, with
    ``idx`` the positions of its True entries: at most one host read (``nonzero``; its size tells all
    three apart), none for a mask from :func:`all_true`."""
    if mask.numel() == 0:  # an empty batch: nothing drawn, nothing to run
        return "none", torch.zeros(0, dtype=torch.long, device=mask.device)
    if known_all_true(mask):
        return "all", None
    idx = torch.nonzero(mask).flatten()
    if idx.numel() == mask.numel():
        return "all", None
    return ("none" if idx.numel() == 0 else "some"), idx


# Tensor methods that read values into Python (on CPU tensors some of them never reach the dispatcher);
# numpy() is not among them: it refuses device tensors, so a device read shows as the cpu() before it.
# (cpu() and to("cpu") are counted as the copies they are, see _FunctionSpy)
_VALUE_READS = {"item", "tolist", "__bool__", "__int__", "__float__", "__index__"}
# aten ops whose output shape depends on the values (a hidden synchronisation on CUDA); item/bool/int
# reach aten as _local_scalar_dense, which the function-level spy already counts.
_SHAPE_OPS = {"nonzero", "_unique2", "unique_dim", "unique_consecutive", "masked_select", "repeat_interleave",
              "_unique", "argwhere", "nonzero_numpy"}


@dataclass
class HostReads:
    """What :func:`count_host_reads` saw: ``counts[(kind, site)]``, where ``kind`` is the method or
    aten op (``item``, ``__bool__``, ``tolist``, ``nonzero``...) and ``site`` the innermost line of
    multiaug that made it (``path:line  code``; the caller's line if multiaug is not on the stack)."""

    counts: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def sites(self) -> list[str]:
        """The distinct call sites, most frequent first."""
        per: Counter = Counter()
        for (_, site), n in self.counts.items():
            per[site] += n
        return [s for s, _ in per.most_common()]

    def table(self) -> str:
        rows = [f"{n:5d}  {kind:<18} {site}" for (kind, site), n in self.counts.most_common()]
        return "\n".join([f"{self.total} host read(s)"] + rows)


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_TORCH = os.path.dirname(os.path.abspath(torch.__file__)) + os.sep
_HOST_ATTR = "_multiaug_host_copy"


def _site() -> str:
    here = os.path.abspath(__file__)
    frames = [f for f in traceback.extract_stack() if os.path.abspath(f.filename) != here]
    ours = [f for f in frames if os.path.abspath(f.filename).startswith(_PKG)]
    outside_torch = [f for f in frames if not os.path.abspath(f.filename).startswith(_TORCH)]
    f = ours[-1] if ours else (outside_torch[-1] if outside_torch else frames[-1])
    path = os.path.abspath(f.filename)
    if path.startswith(_PKG):
        path = "multiaug/" + os.path.relpath(path, _PKG).replace(os.sep, "/")
    return f"{path}:{f.lineno}  {(f.line or '').strip()}"


def _counted(t: object) -> bool:
    """A read of ``t`` waits for a device: ``t`` lives on one, or (under
    :func:`assume_costly_host_reads`) ``t`` is a CPU tensor that is not a host copy made by ``cpu()``."""
    if not isinstance(t, torch.Tensor) or _HOST_SIDE.get():
        return False
    if t.device.type != "cpu":
        return True
    return _COSTLY.get() and not getattr(t, _HOST_ATTR, False)


def _moves_to_cpu(args: tuple, kwargs: dict) -> bool:
    dev = kwargs.get("device")
    for a in args[1:]:
        if isinstance(a, (str, torch.device)):
            dev = a
    return dev is not None and torch.device(dev).type == "cpu"


class _FunctionSpy(TorchFunctionMode):
    def __init__(self, reads: HostReads):
        super().__init__()
        self.reads = reads

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        t = args[0] if args else None
        # to(cpu) of a CPU tensor is ambiguous on a CPU-only run (x.to(device) with device = cpu): counted
        # only from a real device
        to_host = name == "cpu" or (name == "to" and _moves_to_cpu(args, kwargs)
                                    and isinstance(t, torch.Tensor) and t.device.type != "cpu")
        if (name in _VALUE_READS or to_host) and _counted(t):
            self.reads.counts[("to(cpu)" if name == "to" else name, _site())] += 1
        out = func(*args, **kwargs)
        if out is t and name in ("cpu", "to") and _COSTLY.get():
            out = _alias(t)  # on a device these return a new tensor: keep host marks off the original
        if to_host or (name not in ("to", "cuda") and any(getattr(a, _HOST_ATTR, False) for a in args)):
            _mark_host(out)  # the copy and what is computed from it live on the host: reading them is free
        return out


def _alias(t: torch.Tensor) -> torch.Tensor:
    try:
        return t.view(t.shape)
    except RuntimeError:  # pragma: no cover - layouts without views (sparse)
        return t


def _mark_host(out: object) -> None:
    if isinstance(out, torch.Tensor):
        try:
            setattr(out, _HOST_ATTR, True)
        except (AttributeError, RuntimeError):  # pragma: no cover - tensor subclasses without __dict__
            pass
    elif isinstance(out, (tuple, list)):
        for o in out:
            _mark_host(o)


class _DispatchSpy(TorchDispatchMode):
    def __init__(self, reads: HostReads):
        super().__init__()
        self.reads = reads

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = func.overloadpacket.__name__
        first = args[0] if args else None
        if (name in _SHAPE_OPS and _counted(first)
                and not (name == "repeat_interleave" and (kwargs or {}).get("output_size") is not None)):
            self.reads.counts[(name, _site())] += 1
        elif name in ("index", "index_put", "index_put_") and len(args) > 1 and _counted(first) and any(
                isinstance(i, torch.Tensor) and i.dtype == torch.bool for i in (args[1] or ())):
            self.reads.counts[(name.rstrip("_") + "(bool)", _site())] += 1  # a boolean mask index: nonzero inside
        return func(*args, **(kwargs or {}))


@contextlib.contextmanager
def count_host_reads() -> Iterator[HostReads]:
    """Count the host reads (value reads and data-dependent shapes) made inside the block; yields a
    :class:`HostReads`, filled when the block ends. Works on any device (on the CPU it finds the reads
    that would synchronise on a GPU); adds Python overhead to every tensor operation, so time nothing
    inside it."""
    reads = HostReads()
    fspy, dspy = _FunctionSpy(reads), _DispatchSpy(reads)
    with fspy, dspy:
        yield reads
