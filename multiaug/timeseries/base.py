"""Time-series batches: conversion and the base class of time-series augmenters.

Convention: a batch is ``(N, C, T)`` (series, channels, time steps), as a torch tensor or a NumPy
array. Also accepted: ``(T,)`` (one univariate series) and ``(N, T)`` (N univariate series); the output
has the shape of the input. With ``channels_last=True`` a 3-D input is ``(N, T, C)`` and a 2-D input is
``(T, C)`` (one multivariate series). ``augment`` and ``fit_resample`` on one series given alone,
``(T,)`` or channels-last ``(T, C)``, return a batch of them, ``(N, T)`` or ``(N, T, C)``: one row per
copy (``fit_resample``: the original first), with ``source_index`` and labels one per row. Integer
and boolean inputs are cast to float: integers wider than 16 bits (int32, int64, uint32, uint64) to
float64, which holds them exactly up to 2**53 (float32 only to 2**24: a reversed int64 series of
counts around 1e8 came back off by up to 4), narrower ones and bool to float32; the output stays
float. float16/bfloat16/float32/float64 are kept. Arrays in the other byte order (big-endian on most
machines: FITS, some HDF5 files) are read by value. NaN or inf values raise ``ValueError``; a list of
series (aeon's unequal-length form) raises ``TypeError`` saying to pad them and pass ``lengths=``.

Channels-last data passed without ``channels_last=True`` would be read with its time axis as
channels: a 3-D input whose channel axis is at least 64 long and at least 8 times longer than its time
axis (say ``(N, 500, 3)``: 500 "channels" of 3 steps) gets a ``RuntimeWarning`` (once per call) saying
so; pass ``channels_last=True`` if the array is ``(N, T, C)``. Genuine short multichannel series
(``(N, 64, 32)``, ``(N, 12, 5)``) are below the rule and get no warning. Likewise a 2-D input read as
``(N, T)`` with at least 64 rows of at most 8 steps (say ``(500, 3)``: one 3-axis series ``(T, C)``
given as it is, read as 500 series of 3 steps) gets a ``RuntimeWarning`` saying to pass
``channels_last=True``; univariate batches of more than 8 steps get none.
"""
from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import weakref
from dataclasses import dataclass
from typing import Any, ClassVar, Sequence

import numpy as np
import torch

from ..core import Augmenter, Params, TensorHandler, register_modality, warn_unchanged
from ..core.base import input_settings
from ..core.constraints import Boolean
from ..core.handlers import float_of_ints
from ..core.hostreads import all_finite, min_max
from ..core.report import AugmentReport, copies_tally, tally_copy, warn_user


@dataclass
class _Ctx:
    kind: str  # "tensor" | "numpy"
    ndim: int
    channels_last: bool
    np_dtype: Any = None
    source: Any = None  # the caller's array: an output must never share its memory


def _channels_last(aug: Any) -> bool:
    """The augmenter's ``channels_last``; a composition's children must agree on it (one input, one layout)."""
    settings = input_settings(aug, "channels_last")
    values = {bool(v) for _, v in settings}
    if len(values) > 1:
        desc = ", ".join(f"{type(a).__name__}: {bool(v)}" for a, v in settings)
        raise ValueError(
            f"{type(aug).__name__}: its augmenters disagree on channels_last ({desc}); the input has one layout, "
            "set the same channels_last on each"
        )
    return values.pop() if values else False


#: a (N, C, T) input with C >= _CL_MIN_CHANNELS and C >= _CL_RATIO * T looks channels-last
_CL_MIN_CHANNELS = 64
_CL_RATIO = 8


#: a 2-D (N, T) input with N >= _CL_MIN_CHANNELS and T <= _CL_2D_MAX_STEPS looks like one channels-last (T, C) series
_CL_2D_MAX_STEPS = 8


def _warn_if_single_channels_last(shape: tuple[int, ...], aug: Any) -> None:
    """A 2-D input read as ``(N, T)`` whose "series" axis is long and whose "time" axis is a handful of
    steps (``(500, 3)``: 500 series of 3 steps) is most likely one multichannel series ``(T, C)``
    given without ``channels_last=True`` (a Dataset item of a 3-axis sensor): each time step's channel
    values would be warped, mixed or masked as if they were a series."""
    n, t = shape
    if n >= _CL_MIN_CHANNELS and t <= _CL_2D_MAX_STEPS:
        who = type(aug).__name__ if aug is not None else "x"
        warn_user(
            f"{who}: x of shape {tuple(shape)} is read as (N, T) = {n} univariate series of {t} time steps; "
            f"if it is one channels-last series (T, C), pass channels_last=True",
            RuntimeWarning,
        )


def _warn_if_channels_last(shape: tuple[int, ...], aug: Any) -> None:
    n, c, t = shape
    if c >= _CL_MIN_CHANNELS and c >= _CL_RATIO * t:
        who = type(aug).__name__ if aug is not None else "x"
        warn_user(
            f"{who}: x of shape {tuple(shape)} is read as (N, C, T) = {n} series of {c} channels x {t} time steps; "
            f"if it is channels-last (N, T, C), pass channels_last=True",
            RuntimeWarning,
        )


#: inside the library's own ``sample``/``apply`` of a batch it converted from the user's layout
#: (``_call_scope``): each running scope's scratch space by augmenter; None when the user calls them
_SCOPES: contextvars.ContextVar[dict[int, dict] | None] = contextvars.ContextVar("multiaug_ts_scopes", default=None)
#: a weak reference to the batch the handler converted last (``preview`` samples on it)
_CONVERTED: contextvars.ContextVar[Any] = contextvars.ContextVar("multiaug_ts_converted", default=None)


def _user_call(x: Any = None) -> bool:
    """True when ``sample``/``apply`` were called by the user on a batch of their own, not by ``aug(x)``,
    ``augment``, a composition... (nor on the batch the handler just converted, as ``preview`` does):
    the batch is then the user's, which sample/apply take time last whatever ``channels_last``."""
    if _SCOPES.get() is not None:
        return False
    converted = _CONVERTED.get()
    return x is None or converted is None or converted() is not x


#: how sample/apply take their batch; said by every message about a batch that looks transposed
_TIME_LAST = ("sample, apply and apply_mask take time last, (N, C, T), also with channels_last=True (which tells "
              "only aug(x), augment and fit_resample how to read their input)")
_TRANSPOSE = "pass x.transpose(1, 2) (NumPy: np.swapaxes(x, 1, 2)) and transpose the result back"


def _warn_if_transposed(x: Any, aug: Any) -> None:
    """``sample`` called by the user: warn when ``x`` looks channels-last. With ``channels_last=True`` the
    user's series are ``(N, T, C)``, so a batch with more "channels" than time steps most likely is one
    of them given as it is (a ``(N, 40, 3)`` batch read as 40 channels of 3 steps; silent otherwise);
    without it, the rule of ``aug(x)`` (:func:`_warn_if_channels_last`)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 3:
        return
    n, c, t = x.shape
    if not aug.channels_last:
        if c >= _CL_MIN_CHANNELS and c >= _CL_RATIO * t:
            warn_user(
                f"{type(aug).__name__}.sample: x of shape {tuple(x.shape)} is read as (N, C, T) = {n} series of {c} "
                f"channels x {t} time steps; if it is channels-last (N, T, C), {_TRANSPOSE}",
                RuntimeWarning,
            )
        return
    if c > t:
        warn_user(
            f"{type(aug).__name__}.sample: x of shape {tuple(x.shape)} is read as (N, C, T) = {n} series of {c} "
            f"channels x {t} time steps, but this augmenter has channels_last=True: {_TIME_LAST}; if x is the "
            f"channels-last (N, T, C) batch, {_TRANSPOSE}",
            RuntimeWarning,
        )


def _transposed_hint(aug: Any, x: torch.Tensor, channels: int | None = None, steps: int | None = None) -> str:
    """The end of a message refusing the batch ``x`` ``(N, C, T)`` where ``channels`` channels or
    ``steps`` time steps were expected (None: either): how to fix it when the batch is that shape with
    its two last axes swapped, else nothing."""
    c, t = x.shape[1], x.shape[2]
    if c == t or (steps is not None and c != steps) or (channels is not None and t != channels):
        return ""
    if _user_call(x):
        return f"; x looks transposed, (N, T, C): {_TIME_LAST}: {_TRANSPOSE}"
    if getattr(aug, "channels_last", False):
        return "; x was read as channels-last, (N, T, C) (channels_last=True): if it is (N, C, T), leave channels_last False"
    return "; if x is channels-last, (N, T, C), pass channels_last=True"


#: what to do with series of different lengths given as a list (aeon's and sktime's unequal-length form)
_RAGGED = ("; series of equal length: np.stack them; of different lengths: pad each at the end to the longest "
           "and pass lengths= (the valid length of each), see docs/timeseries.md")


def _is_integer_scalar(v: Any) -> bool:
    """An int (not a bool), a NumPy integer, or a 0-d integer array/tensor."""
    if isinstance(v, bool):
        return False
    if isinstance(v, (int, np.integer)):
        return True
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return v.dtype.kind in "iu"
    if isinstance(v, torch.Tensor) and v.dim() == 0:
        return not (v.is_floating_point() or v.is_complex() or v.dtype == torch.bool)
    return False


def _valid_lengths(lengths: Any, x: torch.Tensor, aug: Any) -> tuple[torch.Tensor, int]:
    """``lengths`` (one valid length per series of ``x`` ``(N, C, T)``: a list, array, Series or
    tensor) as a long tensor on ``x``'s device, with the shortest length; ``TypeError``/``ValueError``
    naming ``lengths`` otherwise. Checked where they are (lengths from a list or an array: on the CPU,
    no device wait), one read for both bounds, then moved to the series' device."""
    n, t = x.shape[0], x.shape[-1]
    given = lengths
    if n == 1 and _is_integer_scalar(lengths):  # one series given alone (a Dataset's item): its length
        lengths = [lengths.item() if hasattr(lengths, "item") else lengths]
    as_array = isinstance(lengths, (list, tuple)) or hasattr(lengths, "__array__")  # lists, arrays, Series
    if as_array and not isinstance(lengths, torch.Tensor):
        arr = np.asarray(lengths)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"lengths: expected integers (one per series), got values of dtype {arr.dtype}: "
                            f"{arr.tolist()!r:.200}")
        lengths = torch.tensor(arr)  # a copy: a read-only array (a pandas Series) is fine
    if not isinstance(lengths, torch.Tensor) or lengths.dim() != 1 or lengths.shape[0] != n:
        what = f"{n} integers (one per series)" if n != 1 else "one integer (the valid length of the series)"
        raise ValueError(f"lengths: expected {what}, got {given!r:.200}")
    if lengths.is_floating_point() or lengths.is_complex() or lengths.dtype == torch.bool:
        if not lengths.is_floating_point() or not torch.equal(lengths, lengths.round()):
            raise TypeError(f"lengths: expected integers, got dtype {lengths.dtype}")
    lengths = lengths.to(dtype=torch.long)
    lo, hi = min_max(lengths)
    if lo < 1 or hi > t:
        hint = _transposed_hint(aug, x) if lo >= 1 and hi <= x.shape[1] else ""
        raise ValueError(f"lengths: every length must be in [1, {t}] (the padded length), got "
                         f"{lengths.tolist()[:20]}{hint}")
    return lengths.to(device=x.device), lo


class TimeSeriesHandler(TensorHandler):
    name = "timeseries"
    unit = "series"
    internal_dims = (3,)
    internal_shape = "(N, C, T)"
    sample_inputs = ("lengths",)

    def check_sample_inputs(self, x: torch.Tensor, inputs: dict[str, Any], aug: Any = None) -> dict[str, Any]:
        if inputs.get("lengths") is None:
            return inputs
        return {**inputs, "lengths": _valid_lengths(inputs["lengths"], x, aug)[0]}

    def check(self, x: Any, aug: Any = None) -> tuple[torch.Tensor, _Ctx]:
        cl = _channels_last(aug)
        if isinstance(x, torch.Tensor):
            kind, t, np_dtype = "tensor", x, None
        elif isinstance(x, np.ndarray):
            if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
                raise TypeError(f"x: expected a numeric array of series, got dtype {x.dtype}"
                                f"{_RAGGED if x.dtype == object else ''}")
            # torch.from_numpy shares memory (the kernels never write to their input; restore copies an
            # output that would still be the caller's array); a read-only array is copied first, and so
            # is one in the other byte order (FITS, some HDF5 files: torch refuses it), to the native one
            if not x.dtype.isnative:
                arr = x.astype(x.dtype.newbyteorder("="))
            else:
                arr = np.ascontiguousarray(x) if x.flags.writeable else np.array(x)
            kind, t, np_dtype = "numpy", torch.from_numpy(arr), x.dtype
        else:
            hint = _RAGGED if isinstance(x, (list, tuple)) else ""
            if hasattr(x, "to_numpy") and hasattr(x, "columns"):
                hint = "; a DataFrame of N series x T steps: pass df.to_numpy()"
            raise TypeError(
                f"x: expected a torch.Tensor or numpy.ndarray of shape (N, C, T), (N, T) or (T,), got "
                f"{type(x).__name__}{hint}"
            )
        if t.dim() not in (1, 2, 3):
            raise ValueError(f"x: expected 1, 2 or 3 dimensions ((T,), (N, T), (N, C, T)), got shape {tuple(t.shape)}")
        if t.numel() == 0:
            raise ValueError(f"x: empty batch of shape {tuple(t.shape)}")
        if t.is_complex():  # the tables' policy: refused with ValueError, never cast to real
            who = type(aug).__name__ if aug is not None else "x"
            raise ValueError(f"{who}: Complex data not supported: x has dtype {x.dtype}; expected real numbers")
        if not t.is_floating_point():
            t = float_of_ints(t)
        if not all_finite(t):  # on the CPU before any move to the device: a device input costs one read
            raise ValueError("x: contains NaN or inf values; clean or impute them first (NaN padding of "
                             "variable-length series: fill it, e.g. np.nan_to_num(x), and pass lengths=)")
        ndim = t.dim()
        if ndim == 3 and not cl:
            _warn_if_channels_last(tuple(t.shape), aug)
        elif ndim == 2 and not cl:
            _warn_if_single_channels_last(tuple(t.shape), aug)
        if ndim == 1:
            t = t[None, None, :]
        elif ndim == 2:
            t = t.T[None] if cl else t[:, None, :]
        elif cl:
            t = t.transpose(1, 2)
        dev = getattr(aug, "device", None)
        if dev is not None:
            t = t.to(dev)
        _CONVERTED.set(weakref.ref(t))  # the library's own batch: sample/apply on it read it as converted
        return t, _Ctx(kind, ndim, cl, np_dtype, x if kind == "numpy" else None)

    def many_ctx(self, ctx: _Ctx) -> _Ctx:
        """One series given alone, ``(T,)`` or channels-last ``(T, C)``: a batch of series made from it
        (``augment``'s copies, ``fit_resample``) comes back as ``(N, T)`` or ``(N, T, C)``."""
        if ctx.ndim == 1:
            return dataclasses.replace(ctx, ndim=2, channels_last=False)
        if ctx.ndim == 2 and ctx.channels_last:
            return dataclasses.replace(ctx, ndim=3)
        return ctx

    def restore(self, x: torch.Tensor, ctx: _Ctx) -> Any:
        if x.shape[0] != 1:  # not one series (copies of a series given alone, or none): a batch of them
            ctx = self.many_ctx(ctx)
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
            # nothing drawn (p < 1): the output is a fresh array all the same, never the caller's
            return self.fresh(arr, ctx.source)
        return x

    def concat(self, batches: Sequence[Any]) -> Any:
        # a 1-D batch is one series (T,): it becomes one row, never a stretch of another series' time axis
        return super().concat([b[None] if isinstance(b, (np.ndarray, torch.Tensor)) and b.ndim == 1 else b
                               for b in batches])


register_modality(TimeSeriesHandler())


def _refuse_fit_lengths(aug: Any, fit_params: dict[str, Any]) -> None:
    if "lengths" in fit_params:
        raise TypeError(
            f"{type(aug).__name__}.fit: lengths is not a fit argument (fit does not use it); give lengths to the "
            "call: aug(X, lengths=lengths), aug.augment(X, y, lengths=lengths) or "
            "aug.fit_resample(X, y, lengths=lengths)"
        )


def _drawn_steps(params: Any) -> int | None:
    """The number of time steps of the batch ``params`` were drawn for, when an entry shows it."""
    if not isinstance(params, dict):
        return None
    for key in TimeSeriesAugmenter._time_keys:
        v = params.get(key)
        if isinstance(v, torch.Tensor) and v.dim() >= 2:
            return int(v.shape[-1])
    return None


class TimeSeriesAugmenter(Augmenter):
    """Base class of time-series augmenters. Kernels see a float tensor ``(N, C, T)``.

    Variable-length batches: pad every series at the end to a common ``T`` and pass the valid
    lengths, ``aug(x, lengths=lengths)`` (or ``aug.sample(x, lengths=lengths)`` then
    ``aug.apply(x, params)``), with ``lengths`` an ``(N,)`` integer tensor/array/list in ``[1, T]``.
    Augmenters then act on each series' valid part only and leave its padding as it was.
    ``aug.augment(x, y, lengths=lengths)`` and ``aug.fit_resample(x, y, lengths=lengths)`` (class
    balancing with ``sampling_strategy`` too) give each copy its source series' length: its padding
    stays padding. NaN padding is refused (as any NaN): fill it (``np.nan_to_num(x)``) and pass the
    lengths. Compositions (``Sequential``, ``OneOf``...) take ``lengths`` too: checked once for the
    whole batch, each child gets the lengths of the series routed to it.

    Params: ``{"active": (N,) bool, **draws}`` plus ``"lengths"`` when lengths were given; with
    ``p < 1`` the draws are made for every series (``p_mode = "mask"``) and the inactive series are
    returned as they were.

    Series with fewer valid steps than :attr:`min_length` (a 1-step series for the time warps) are
    returned as they are: params then hold ``"too_short"``, their ``(N,)`` bool mask, which ``apply``
    and ``apply_mask`` honour whatever ``active`` says; ``_sample`` sees their lengths raised to
    ``min_length``, so the other series get the draws they get when every series is long enough. The
    drawn ones among them are counted in ``report_`` (set by every ``apply`` with lengths, None after one
    without; ``augment`` and ``fit_resample``: one report for all copies, ``details["unchanged_index"]``
    their rows) and in an :class:`~multiaug.core.UnchangedWarning`. Without ``lengths``, a ``T`` below
    ``min_length`` is refused (nothing could be augmented).

    Paired per-time-step data (a mask or segmentation labels, tsaug's ``Y``): draw once with
    ``params = aug.sample(x)``, then ``aug.apply(x, params)`` for the series and
    ``aug.apply_mask(mask, params)`` for the mask (``(N, T)`` or ``(N, K, T)``, any dtype; time-axis
    augmenters move it with the series by nearest-step lookup, value-only augmenters leave it as it
    is). Time-axis augmenters also accept an integer/bool mask directly in ``aug.apply(mask, params)``.
    ``sample``/``apply``/``apply_mask`` take the internal layout, time last (series ``(N, C, T)``,
    masks ``(N, K, T)``), also with ``channels_last=True``, which tells only ``aug(x)``, ``augment``
    and ``fit_resample`` how to read their input: transpose channels-last data and masks for them,
    ``x.transpose(1, 2)`` (NumPy: ``np.swapaxes(x, 1, 2)``), and the results back. (An ``(N, T, K)``
    mask is not read as channels-last: the mask pairs with ``apply``'s time-last series, and the two
    layouts cannot be told apart when ``K == T``.) A batch given to ``sample`` that looks channels-last
    gets a ``RuntimeWarning`` (with ``channels_last=True``: more channels than time steps), and one
    whose shape proves it (``lengths`` of its second axis, ``apply`` on the transpose of the batch the
    params were drawn for) is refused with a message saying to transpose it.
    """

    modality = "timeseries"
    #: draws for the whole batch (mixing partners from the whole batch), inactive series put back
    p_mode = "mask"
    #: True when the augmenter moves values along the time axis (params hold a position map ``pos``)
    warps_time: ClassVar[bool] = False
    #: fewest valid time steps a series needs for this augmenter (shorter ones are left as they are)
    min_length: ClassVar[int] = 1

    def __init__(self, *, channels_last: bool = False, **kwargs: Any):
        self.channels_last = channels_last
        super().__init__(**kwargs)

    _parameter_constraints = {"channels_last": [Boolean()]}

    # ---- variable lengths ------------------------------------------------------------------------

    def _check_lengths(self, lengths: Any, x: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor | None]:
        """``(lengths, too_short)``: the checked lengths (None when not given) and, when some series
        have fewer valid steps than :attr:`min_length`, the ``(N,)`` bool mask of those (else None;
        the bound read with the lengths' check, no other host read). Without ``lengths`` every series
        has ``T`` steps: a ``T`` below ``min_length`` is refused (nothing could be augmented)."""
        t = x.shape[-1]
        if lengths is None:
            if t < self.min_length:
                raise ValueError(
                    f"x: series of {t} time steps are too short for {type(self).__name__} "
                    f"(needs at least {self.min_length})"
                )
            return None, None
        lengths, lo = _valid_lengths(lengths, x, self)
        return lengths, (lengths < self.min_length if lo < self.min_length else None)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "TimeSeriesAugmenter":
        """Nothing to learn: checks ``X``. ``lengths`` is refused here: ``fit`` has no use for it
        (``fit_resample`` gives it to the augmentation, not to ``fit``)."""
        _refuse_fit_lengths(self, fit_params)
        return super().fit(X, y, **fit_params)

    def _check_fit_resample_inputs(self, inputs: dict[str, Any]) -> None:
        # a learned augmenter's fit trains on whole series: with lengths its networks would learn the padding
        if self.learned and inputs.get("lengths") is not None:
            raise TypeError(
                f"{type(self).__name__}.fit_resample: lengths would reach the augmentation but not fit, which trains "
                "on whole series (padding included); fit on equal-length series, then call "
                "aug.augment(X, y, lengths=lengths)"
            )

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:  # noqa: D401
        return {}

    # ---- the layout of sample/apply ----------------------------------------------------------------

    @contextlib.contextmanager
    def _call_scope(self) -> Any:
        # the library's own sample/apply, on the batch it converted from the user's layout: no layout
        # warning; and the one place where apply is known to follow sample on the same batch: a memo
        # lets apply reuse what sample computed from the data (FrequencyMix's spectra)
        token = _SCOPES.set({**(_SCOPES.get() or {}), id(self): {}})
        try:
            yield
        finally:
            _SCOPES.reset(token)

    def _call_memo(self) -> dict[str, Any] | None:
        """Scratch space of the current ``aug(x)``-style call (``_forward``: ``sample`` then ``apply`` on
        one batch), emptied when it ends; None when the user calls ``sample``/``apply`` themselves."""
        return (_SCOPES.get() or {}).get(id(self))

    def _extra_inputs(self, x: torch.Tensor, y: Any = None, lengths: Any = None, **extra: Any) -> dict[str, Any]:
        """``lengths``: the valid length of each series (see the class docstring), checked here. A batch
        the user gives ``sample`` that looks channels-last gets a ``RuntimeWarning`` saying to transpose
        it: sample/apply take time last ``(N, C, T)`` whatever ``channels_last`` (with
        ``channels_last=True``, more channels than time steps: an ``(N, T, C)`` batch given as it is
        would be warped, masked or mixed along its channels)."""
        if _user_call(x):
            _warn_if_transposed(x, self)
        super()._extra_inputs(x, **extra)
        lengths, too_short = self._check_lengths(lengths, x)
        return {"lengths": lengths, "too_short": too_short}

    def _sample_with(self, x: torch.Tensor, inputs: dict[str, Any]) -> Params:
        # subclasses written to the core contract take only x; pass lengths only when there are some
        lengths, too_short = inputs["lengths"], inputs.get("too_short")
        if too_short is None:
            params = self._sample(x) if lengths is None else self._sample(x, lengths)
        else:
            # series too short for the augmenter are left as they are (``too_short``); _sample sees them
            # at min_length steps, so every series gets the draws it gets when all are long enough
            params = self._sample(x, lengths.clamp_min(self.min_length))
            params["too_short"] = too_short
        if lengths is not None:
            params["lengths"] = lengths
        return params

    # ---- series too short for the augmenter (fewer valid steps than min_length) --------------------

    @staticmethod
    def _without_too_short(active: torch.Tensor, params: Params) -> torch.Tensor:
        """``active`` less the series ``params["too_short"]`` marks (left as they are)."""
        short = params.get("too_short")
        return active if short is None else active & ~short.to(active.device)

    def _finish(self, out: torch.Tensor, x: torch.Tensor, params: Params) -> torch.Tensor:
        """With lengths: count the drawn series left as they were because they are too short
        (``too_short``), in ``report_`` and an :class:`~multiaug.core.UnchangedWarning` (in ``augment``:
        one for all copies, see :meth:`_augment_batch`); one host read, only when some series are too
        short. Without lengths no series is too short: ``report_`` is None (no work on the hot path)."""
        if params.get("lengths") is None:
            if self.__dict__.get("_report") is not None:
                self._set_report(None)
            return out
        short = params.get("too_short")
        rows: list[int] = []
        if short is not None:
            rows = torch.nonzero(params["active"].to(short.device) & short).flatten().tolist()
        n = x.shape[0]
        if not tally_copy(self, n, rows):  # in augment: one report for all the copies (_augment_batch)
            self._report_too_short(n, rows)
        return out

    def _report_too_short(self, n: int, rows: list[int], n_out: int | None = None) -> None:
        """``report_`` of a call of ``n`` series (``n_out`` outputs) whose ``rows`` were left as they were."""
        self._set_report(AugmentReport(n_inputs=n, n_outputs=n if n_out is None else n_out, n_unchanged=len(rows),
                                       details={"unchanged_index": list(rows)}))
        warn_unchanged(self, len(rows), n, f"series with fewer than {self.min_length} valid steps (lengths), "
                                           "returned as they are")

    def _augment_batch(self, xi: torch.Tensor, ctx: Any, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        """The copies as :meth:`Augmenter.augment` makes them, with one ``report_`` and one warning for
        all of them (the series left as they were, ``report_.details['unchanged_index']``: their rows in ``xi``)."""
        if inputs.get("lengths") is None:
            return super()._augment_batch(xi, ctx, y, n_aug, inputs)
        with copies_tally(self) as seen:
            out = super()._augment_batch(xi, ctx, y, n_aug, inputs)
        n = sum(k for k, _ in seen)
        self._report_too_short(n, [r for k, rows in seen for r in rows], len(out[2]))
        return out

    # ---- params drawn for another batch -----------------------------------------------------------

    #: params entries with the drawn series' time axis last (a warp replayed on another length would
    #: return the params' length; the other kernels would fail on a broadcast)
    _time_keys: ClassVar[tuple[str, ...]] = ("pos", "noise", "drop", "cut", "u")
    #: params entries with the drawn series' channel axis second
    _channel_keys: ClassVar[tuple[str, ...]] = ("noise", "drop", "knots", "factor", "amp")

    def _check_drawn_for(self, x: torch.Tensor, params: Params, name: str, channels: bool = True) -> None:
        """Refuse, naming ``name``, a batch of another number of series, time steps or (``channels``)
        channels than the batch ``params`` were drawn for."""
        n, c, t = x.shape
        hint = ("; a mask is (N, T) or (N, K, T), time last, as sample/apply take series (N, C, T), also with "
                "channels_last=True" if name == "mask" else "")
        active = params.get("active")
        if isinstance(active, torch.Tensor) and active.dim() == 1 and active.shape[0] != n:
            raise ValueError(f"{name}: params were drawn for {active.shape[0]} series, got {n}")
        for key in self._time_keys:
            v = params.get(key)
            if isinstance(v, torch.Tensor) and v.dim() >= 2 and v.shape[-1] != t:
                hint = hint or _transposed_hint(self, x, steps=int(v.shape[-1]))
                raise ValueError(f"{name}: params were drawn for series of {v.shape[-1]} time steps, got {t}{hint}")
        keep = params.get("keep")  # rFFT bins: T // 2 + 1
        if isinstance(keep, torch.Tensor) and keep.dim() == 3 and keep.shape[-1] != t // 2 + 1:
            f = keep.shape[-1]
            hint = hint or (_transposed_hint(self, x, steps=c) if c // 2 + 1 == f else "")
            raise ValueError(
                f"{name}: params were drawn for series of {2 * f - 2} or {2 * f - 1} time steps, got {t}{hint}"
            )
        if channels:
            for key in self._channel_keys:
                v = params.get(key)
                if isinstance(v, torch.Tensor) and v.dim() >= 2 and v.shape[1] != c:
                    raise ValueError(f"{name}: params were drawn for {v.shape[1]} channels, got {c}"
                                     f"{_transposed_hint(self, x, channels=int(v.shape[1]))}")

    def _params_active(self, x: Any, params: Params) -> torch.Tensor:
        active = super()._params_active(x, params)
        self._check_drawn_for(x, params, "x")
        return self._without_too_short(active, params)

    # ---- paired masks ----------------------------------------------------------------------------

    def apply_mask(self, mask: Any, params: Params) -> Any:
        """Replay ``params`` (from :meth:`sample`) on a per-time-step mask or segmentation label
        ``(N, T)`` or ``(N, K, T)`` (tensor or array, any dtype). Returns the same type and shape."""
        is_np = isinstance(mask, np.ndarray)
        m = torch.from_numpy(np.ascontiguousarray(mask)) if is_np else mask
        if not isinstance(m, torch.Tensor) or m.dim() not in (2, 3):
            raise ValueError(f"mask: expected a (N, T) or (N, K, T) tensor or array, got {type(mask).__name__} "
                             f"of shape {tuple(getattr(mask, 'shape', ()))}")
        squeeze = m.dim() == 2
        mi = m[:, None, :] if squeeze else m
        steps = _drawn_steps(params)
        if not squeeze and steps is not None and m.shape[2] != steps and m.shape[1] == steps:
            cl = " (channels_last=True tells only aug(x), augment and fit_resample how to read their input)"
            raise ValueError(
                f"mask: expected (N, K, T) with time last, got shape {tuple(m.shape)}, which looks channels-last "
                f"(N, T, K) for the {steps} time steps params were drawn for; sample, apply and apply_mask take "
                f"time last{cl if self.channels_last else ''}: pass mask.transpose(1, 2) "
                "(NumPy: np.swapaxes(mask, 1, 2)) and transpose the result back"
            )
        active = self._without_too_short(Augmenter._params_active(self, mi, params), params).to(mi.device)
        self._check_drawn_for(mi, params, "mask", channels=False)
        out = self.handler.where(active, self._apply_mask(mi, params).to(mi.dtype), mi)
        out = out[:, 0, :] if squeeze else out
        return out.cpu().numpy() if is_np else out

    def _apply_mask(self, mask: torch.Tensor, params: Params) -> torch.Tensor:
        if self.warps_time and "pos" in params:
            from .functional import resample

            return resample(mask, params["pos"], mode="nearest")
        return mask.clone()
