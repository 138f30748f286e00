"""The Augmenter base class: the one contract every augmenter follows.

Every augmenter in multiaug is a scikit-learn estimator with:

* keyword hyperparameters stored unchanged (``get_params``/``set_params``/``clone``/``repr``);
* ``n_aug`` (copies made by :meth:`Augmenter.augment`, :meth:`Augmenter.fit_resample` and the CLI),
  ``p`` (probability that each *sample* is augmented), ``seed`` and ``device``;
* its own :class:`torch.Generator` per device, seeded from ``seed`` on first use, whose state
  advances across calls (two calls differ; a fresh instance with the same seed replays them)
  (:mod:`multiaug.core.seeding`);
* two phases: :meth:`Augmenter.sample` draws every random number (one draw per sample, vectorised)
  and :meth:`Augmenter.apply` is deterministic given those parameters; ``__call__`` does both. The
  public methods are closed: subclasses fill hooks (see :class:`Augmenter`);
* ``fit`` for learned augmenters (fitted attributes end in ``_``; calling an unfitted learned
  augmenter raises scikit-learn's ``NotFittedError``);
* ``to_config``/``from_config`` and ``save``/``load`` (JSON or YAML config + safetensors state)
  (:mod:`multiaug.core.persistence`).
"""
from __future__ import annotations

import contextlib
import contextvars
import functools
import operator
from itertools import repeat
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError

from .balance import STRATEGY_DESC, balanced_augment, mixer_of, take_inputs, valid_strategy
from .constraints import (
    Integral,
    Interval,
    InvalidParameterError,
    Real,
    Satisfies,
    short_repr,
    validate_parameters,
)
from .handlers import ModalityHandler, get_modality
from .hostreads import all_true, host_reads_cheap, split_active
from .labels import concat_labels, graph_labels, label_length, merge_labels, take_labels
from .persistence import Persistence
from .report import AugmentReport, note_report
from .seeding import RandomStreams
from .sklearn import SklearnMixin


def _autocast_off() -> Any:
    """Autocast switched off for the block where the caller has it on (a mixed-precision training loop
    that augments its batch): augmentation is computed in the data's own precision, so the output (and
    its dtype) is the one the same call gives outside autocast. The public entry points (``sample``,
    ``apply``, ``apply_labels``, ``__call__``, ``augment``) open it in their bodies."""
    any_on = getattr(torch._C, "_is_any_autocast_enabled", None)  # one C call on the hot path
    if any_on is not None and not any_on():
        return contextlib.nullcontext()
    on = [t for t in ("cpu", "cuda") if torch.is_autocast_enabled(t)]
    if not on:
        return contextlib.nullcontext()
    stack = contextlib.ExitStack()
    for t in on:
        stack.enter_context(torch.autocast(t, enabled=False))
    return stack


def _trains(fit: Any) -> Any:
    """Run ``fit`` with autograd on, also when the caller is inside ``torch.no_grad()`` or
    ``torch.inference_mode()`` (evaluation code, a ``@torch.no_grad()`` data pipeline): learned
    augmenters train networks there. Wrapped once per class by :meth:`Augmenter.__init_subclass__`."""
    if getattr(fit, "_multiaug_trains", False):
        return fit

    @functools.wraps(fit)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if torch.is_grad_enabled() and not torch.is_inference_mode_enabled():
            return fit(self, *args, **kwargs)
        with torch.inference_mode(False), torch.enable_grad():
            return fit(self, *args, **kwargs)

    wrapper._multiaug_trains = True  # type: ignore[attr-defined]
    return wrapper


__all__ = ["Augmenter", "Params", "NotFittedError", "device_unavailable", "input_settings", "InvalidParameterError"]

Params = dict[str, Any]

#: how ``p`` is applied (see :attr:`Augmenter.p_mode`)
P_MODES = ("mask", "subset", "kernel")


#: during a ``clone``: id of each augmenter cloned so far -> (it, its clone)
_CLONES: contextvars.ContextVar[dict[int, tuple[Any, Any]] | None] = contextvars.ContextVar("multiaug_clones", default=None)

#: the composition whose children are fitting on its raw input (see :func:`read_input_as`)
_INPUT_READER: contextvars.ContextVar[Any] = contextvars.ContextVar("multiaug_input_reader", default=None)


def input_settings(aug: Any, name: str) -> list[tuple[Any, Any]]:
    """``(augmenter, value)`` for each augmenter that decides the setting ``name`` of the *input*
    (``categorical_columns``, ``nan_policy``, ``channels_last``...: how the data is read, not how it is
    augmented): ``aug`` itself, or for a composition every augmenter inside it (depth first) that has
    the setting. The handler reading the input combines them (a composition reads its input once, for
    all its children, so it honours their settings rather than having its own). Inside
    :func:`read_input_as` every augmenter reads the input as that composition does."""
    aug = _INPUT_READER.get() or aug
    if aug is None:
        return []
    walk = getattr(aug, "_descendants", None)
    leaves = [a for a in walk() if not a._children()] if walk is not None else [aug]
    return [(a, getattr(a, name)) for a in leaves if hasattr(a, name)]


@contextlib.contextmanager
def read_input_as(comp: Any) -> Any:
    """Within the block (this thread / task), every augmenter reads its input with the settings of
    composition ``comp`` (its children fit on the raw input, each reading it itself, as ``comp`` would)."""
    token = _INPUT_READER.set(comp)
    try:
        yield
    finally:
        _INPUT_READER.reset(token)


def device_unavailable(device: torch.device) -> str | None:
    """Why ``device`` cannot be used on this machine (a short phrase), or None when it can."""
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return "torch.cuda.is_available() is False"
        if device.index is not None and device.index >= torch.cuda.device_count():
            return f"this machine has {torch.cuda.device_count()} CUDA device(s)"
    elif device.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return "torch.backends.mps.is_available() is False"
    elif device.type not in ("cpu", "meta"):
        backend = getattr(torch, device.type, None)
        available = getattr(backend, "is_available", None)
        if callable(available) and not available():
            return f"torch.{device.type}.is_available() is False"
    return None


class Augmenter(SklearnMixin, RandomStreams, Persistence, BaseEstimator):
    """Base class of every augmenter (see the module docstring for the contract).

    **The params layout.** ``params = aug.sample(x)`` is a flat ``dict``, the same keys whatever ``p``::

        {"active": <bool tensor (N,) on the data's device: the samples that are augmented>,
         **<the subclass's draws, e.g. "noise", "sigma", "partner", "lam">,
         **<modality inputs kept for apply: "lengths" (time series), "hard" (tabular categorical mask)>}

    ``active`` is all True when ``p == 1`` (no random number is spent on it). How the subclass's draws
    relate to ``active`` is the class's :attr:`p_mode`:

    * ``"mask"`` (tables, time series): ``_sample`` draws for the whole batch (one draw per sample,
      mixing partners from the whole batch) and ``_apply`` runs on the whole batch; ``apply`` then
      keeps the inactive samples of the input (``handler.where``) and ``apply_labels`` their labels;
    * ``"subset"`` (text, graphs, the default): ``_sample`` and ``_apply`` see only the active samples
      (``handler.take`` then ``handler.merge``), so their per-sample draws have ``active.sum()`` rows;
      nothing is drawn, and no kernel runs, when no sample is active (an empty batch);
    * ``"kernel"``: as ``"mask"``, but ``_apply`` reads ``params["active"]`` itself (LA-GNN, whose
      output spans the batch).

    A params dict is plain tensors (and small Python values), so it can be logged, inspected, edited
    and replayed: ``aug.apply(x, params)`` is deterministic, and the same ``params`` replays the draw on
    paired data (``apply_labels``, a time series' ``apply_mask``).

    **Hooks** (the public ``sample``/``apply``/``apply_labels``/``__call__``/``augment`` live here only):

    * ``_sample(x)`` -> params and ``_apply(x, params)`` -> batch, on the modality's internal
      representation (a float tensor for tables and series, ``list[str]`` for text, a PyG
      ``Data``/``Batch`` for graphs); ``_apply_labels(y, params)`` when labels change;
    * ``_extra_inputs(x, y=None, **extra)`` -> dict: checks the keyword inputs ``sample`` accepts
      besides ``x`` (time series: ``lengths``; tables: ``y`` and ``hard``); ``_sample_with(x, inputs)``
      passes them to ``_sample`` (and keeps those ``apply`` needs in params);
    * ``_finish(out, x, params)``: a last step after the blend (text: counts unchanged outputs);
    * ``_after_call(x, out)``: bookkeeping after ``__call__`` (text: ``report_``);
    * ``_call_scope()``: a context around the library's own ``sample`` + ``apply`` of one batch;
    * ``_augment_batch(x, ctx, y, n_aug, inputs)``: how ``augment`` makes ``n_aug`` copies (batched
      text operations, paraphrase generation, LA-GNN's ``x_aug``);
    * ``_resample_labels(y, y_aug)``: the labels ``fit_resample`` gives estimators.

    Per-call results never stay on the estimator, except the last call's :class:`AugmentReport` in
    ``report_``, written by :meth:`_set_report` alone.
    """

    #: "text", "graph", "tabular", "timeseries" (or "any" for compositions, resolved from children)
    modality: ClassVar[str] = "any"
    #: how ``p`` is applied: "mask", "subset" or "kernel" (see the class docstring)
    p_mode: ClassVar[str] = "subset"
    #: For RandAugment: hyperparameter name -> (value at magnitude 0, value at magnitude 1)
    magnitude_range: ClassVar[dict[str, tuple[float, float]]] = {}
    #: For RandAugment: True for an augmenter that has no strength to set (a flip), which RandAugment
    #: then applies as it is (image RandAugment's equalize/auto-contrast); False and no
    #: ``magnitude_range``: refused by RandAugment
    magnitude_free: ClassVar[bool] = False
    #: True when the augmenter must be fitted before use
    learned: ClassVar[bool] = False
    #: learned augmenters: the hyperparameters that fix the shape of the fitted networks; ``fit``
    #: records them (``architecture_``) and a later change is refused until the next fit
    architecture_params: ClassVar[tuple[str, ...]] = ()
    #: Name in the registry (set by ``registry.register``)
    registry_name: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # a learned class's own fit trains with autograd on (see _trains); only theirs are wrapped
        if getattr(cls, "learned", False) is True and callable(cls.__dict__.get("fit")):
            cls.fit = _trains(cls.__dict__["fit"])

    def __init__(self, *, n_aug: int = 1, p: float = 1.0, seed: int | None = None, device: Any = None,
                 sampling_strategy: Any = None, **unknown: Any):
        if unknown:  # a misspelt keyword reaches the base class through the subclasses' **kwargs: name them
            self._unknown_keywords(unknown)
        self.n_aug = n_aug
        self.p = p
        self.seed = seed
        self.device = device
        self.sampling_strategy = sampling_strategy

    def _unknown_keywords(self, unknown: dict) -> None:
        """The ``TypeError`` for keywords that are no hyperparameter of this class, naming the class, the
        closest hyperparameter and the list (Python's own message named ``Augmenter.__init__``)."""
        import difflib

        known = type(self)._get_param_names()
        key = next(iter(unknown))
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise TypeError(f"{type(self).__name__}.__init__() got an unexpected keyword argument {key!r}{hint}; its "
                        f"parameters are {', '.join(known)}")

    # scikit-learn/imblearn plumbing (param names, tags, transform, fit_resample): SklearnMixin

    def __sklearn_clone__(self) -> "Augmenter":
        """``sklearn.base.clone``: a new augmenter from the hyperparameters, cloned. One augmenter object
        held at several places of a composition (``Sequential([j, s, j])``) is cloned once: the clone
        holds one new object at those places, drawing from one stream as the original does."""
        clones = _CLONES.get()
        if clones is None:  # the outermost clone: every object met inside it is cloned once
            token = _CLONES.set({})
            try:
                return self.__sklearn_clone__()
            finally:
                _CLONES.reset(token)
        hit = clones.get(id(self))
        if hit is not None and hit[0] is self:
            return hit[1]
        new = self._clone_new()
        clones[id(self)] = (self, new)
        return new

    def _clone_new(self) -> "Augmenter":
        """The clone of this augmenter (scikit-learn's: a new instance from ``get_params(deep=False)``,
        cloned); :meth:`__sklearn_clone__` makes sure one object is cloned once."""
        return SklearnMixin.__sklearn_clone__(self)

    # ---- parameter validation ---------------------------------------------------------------------

    #: hyperparameter -> accepted values (see :mod:`multiaug.core.constraints`); merged along the MRO,
    #: a subclass's entry replaces its parent's. Every name of ``_get_param_names()`` needs one.
    _parameter_constraints: ClassVar[dict[str, Any]] = {
        "n_aug": [Interval(Integral, 1, None)],
        "p": [Interval(Real, 0, 1, desc="a probability in [0, 1]")],
        "seed": [None, Interval(Integral, desc="an int")],
        "device": [None, Satisfies(lambda d: _as_device(d) is not None, "a torch device such as 'cpu' or 'cuda'")],
        # class balancing (multiaug/core/balance.py): imblearn's over-sampling strategies
        "sampling_strategy": [Satisfies(valid_strategy, STRATEGY_DESC)],
    }

    def _check_extra(self) -> None:
        """Rules spanning several fields, after each field passed its constraint. Each class of the
        MRO that defines ``_check_extra`` has its own run (base first): no ``super()`` call needed.
        Raise ``InvalidParameterError`` (or ``ValueError``) naming the augmenter and the fields."""
        if self.device is not None:
            why = device_unavailable(_as_device(self.device))
            if why:
                raise InvalidParameterError(
                    f"{type(self).__name__}: device {str(self.device)!r} is not available ({why}); "
                    "use device='cpu' or None"
                )

    def _validate_params(self) -> None:
        """The one check of the hyperparameters: each against its declared constraint (merged along
        the MRO), then each class's ``_check_extra``. Runs at ``fit`` and first use (``sample``,
        ``apply``, ``__call__``, ``augment``, ``fit_resample``, ``transform``), not in ``__init__`` or
        ``set_params``, so ``clone``/``set_params`` round-trip any value; see :meth:`_ensure_valid`."""
        validate_parameters(self, self._get_param_names())
        for klass in reversed(type(self).__mro__):
            hook = klass.__dict__.get("_check_extra")
            if hook is not None:
                hook(self)

    def _ensure_valid(self) -> None:
        """:meth:`_validate_params` once per set of values: the check is cached until a hyperparameter
        is assigned another object (``set_params``, ``aug.sigma = ...``), so hot paths pay an identity
        comparison. (Mutating a list hyperparameter in place is not seen: assign a new one.)"""
        names = _param_names(type(self))
        d = self.__dict__
        snap = d.get("_valid_params")
        if snap is not None and all(map(operator.is_, map(d.get, names, repeat(_MISSING)), snap)):
            return
        self._validate_params()
        d["_valid_params"] = tuple(d.get(n, _MISSING) for n in names)

    def _check_param(self, name: str, ok: bool, expected: str) -> None:
        """For ``_check_extra``: raise naming the augmenter and ``name`` unless ``ok``."""
        if not ok:
            raise InvalidParameterError(
                f"{type(self).__name__}: {name} must be {expected}, got {short_repr(getattr(self, name))}"
            )

    # ---- modality ------------------------------------------------------------------------------------

    @property
    def handler(self) -> ModalityHandler:
        return get_modality(self.modality)

    def _to_internal(self, x: Any) -> tuple[Any, Any]:
        self._ensure_valid()
        xi, ctx = self.handler.check(x, self)
        self._check_partners(xi)
        return xi, ctx

    def _check_partners(self, xi: Any) -> None:
        """The one rule of the mixing augmenters (``mixes_samples``), also inside a composition: a batch
        called with a single sample has no partner to mix it with."""
        n = self.handler.length(xi)
        if n >= 2:
            return
        mixer = mixer_of(self)
        if mixer is self:
            raise ValueError(
                f"{type(self).__name__}: a mixing augmenter needs at least 2 {self.handler.unit} in the batch to draw "
                f"partners from, got {n}; pass a larger batch"
            )
        if mixer is not None:
            raise ValueError(
                f"{type(self).__name__}: holds the mixing augmenter {type(mixer).__name__}, which needs at least 2 "
                f"samples in the batch to draw partners from, got {n}; pass a larger batch"
            )

    # ---- the two phases ----------------------------------------------------------------------------

    def _sample(self, x: Any) -> Params:
        """Draw all random parameters for the batch ``x`` (internal representation)."""
        return {}

    def _apply(self, x: Any, params: Params) -> Any:
        raise NotImplementedError

    def _apply_labels(self, y: Any, params: Params) -> Any:
        """Labels after ``_apply``; the default leaves them as they are."""
        return y

    def _extra_inputs(self, x: Any, y: Any = None, **extra: Any) -> dict[str, Any]:
        """Check the keyword inputs of :meth:`sample` besides ``x`` (``y``: the batch's labels, which
        most augmenters ignore). The default accepts no other keyword."""
        if extra:
            raise TypeError(
                f"{type(self).__name__}.sample: unexpected keyword argument(s) {sorted(extra)}; "
                "this augmenter takes only x (and y)"
            )
        return {}

    def _sample_with(self, x: Any, inputs: dict[str, Any]) -> Params:
        """The subclass's draws for ``x`` given the checked extra inputs (default: ``_sample(x)``)."""
        return self._sample(x)

    def _finish(self, out: Any, x: Any, params: Params) -> Any:
        """Last step of :meth:`apply`, after inactive samples were put back (default: none)."""
        return out

    def _after_call(self, x: Any, out: Any) -> None:
        """Bookkeeping after ``__call__`` on the internal input and output (default: none)."""

    def _active_mask(self, n: int, device: torch.device) -> torch.Tensor:
        """Boolean ``(n,)``: the samples drawn with probability ``p`` (all, without a draw, at p = 1)."""
        if float(self.p) >= 1.0:
            return all_true(n, device)
        return torch.rand(n, generator=self.generator(device), device=device, dtype=torch.float32) < float(self.p)

    def sample(self, x: Any, y: Any = None, **extra: Any) -> Params:
        """Draw every random number for batch ``x`` (internal representation: see the modality's
        handler), one draw per sample; the result has the layout documented in the class docstring
        (always with the ``active`` mask) and can be logged and replayed with :meth:`apply`.
        Keyword inputs: ``y`` (labels; used by the draws of a few augmenters) and the modality's
        (``lengths`` for time series)."""
        with _autocast_off():
            self._ensure_valid()
            self.handler.check_internal(x, f"{type(self).__name__}.sample")
            inputs = self._extra_inputs(x, y=y, **extra)
            h = self.handler
            active = self._active_mask(h.length(x), h.device(x))
            if self.p_mode != "subset":
                return {"active": active, **self._sample_with(x, inputs)}
            state, idx = split_active(active)
            if state == "none":
                return {"active": active}
            if state == "all":
                return {"active": active, **self._sample_with(x, inputs)}
            if inputs:  # per-sample keyword inputs follow the drawn subset
                inputs = take_inputs(inputs, idx, h.length(x), h.batch_inputs)
            return {"active": active, **self._sample_with(h.take(x, idx), inputs)}

    def apply(self, x: Any, params: Params) -> Any:
        """Deterministic: transform ``x`` (internal representation) with ``params`` from :meth:`sample`;
        samples whose ``active`` entry is False come back as they were."""
        with _autocast_off():
            self._ensure_valid()
            self.handler.check_internal(x, f"{type(self).__name__}.apply")
            active = self._params_active(x, params)
            h = self.handler
            if self.p_mode == "kernel":
                out = self._apply(x, params)
            elif self.p_mode == "mask":
                # on the CPU a read skips the work when no sample is drawn; on a device, compute and select
                if host_reads_cheap(h.device(x)) and not bool(active.any()):
                    out = x
                else:
                    out = h.where(active, self._apply(x, params), x)
            else:
                state, idx = split_active(active)
                if state == "none":
                    out = x
                elif state == "all":
                    out = self._apply(x, params)
                else:
                    out = h.merge(x, idx, self._apply(h.take(x, idx), params))
            return self._finish(out, x, params)

    def apply_labels(self, y: Any, params: Params) -> Any:
        """Labels after :meth:`apply` with the same ``params``; inactive samples keep their label
        (hard labels become one-hot rows when the active ones get soft targets)."""
        with _autocast_off():
            if y is None:
                return None
            active = params["active"]
            if self.p_mode == "kernel":
                return self._apply_labels(y, params)
            if self.p_mode == "subset":
                state, idx = split_active(active)
                if state == "none":
                    return y
                if state == "all":
                    return self._apply_labels(y, params)
                return merge_labels(y, idx, self._apply_labels(take_labels(y, idx), params))
            out = self._apply_labels(y, params)
            if out is y:  # labels this augmenter leaves alone: nothing to merge, nothing to read
                return y
            state, idx = split_active(active)
            return out if state == "all" else merge_labels(y, idx, take_labels(out, idx))

    def _params_active(self, x: Any, params: Params) -> torch.Tensor:
        if not isinstance(params, dict) or "active" not in params:
            raise ValueError(
                f"{type(self).__name__}.apply: params must be the dict returned by sample(), with its 'active' "
                f"mask; got {type(params).__name__} with keys {sorted(params) if isinstance(params, dict) else None}"
            )
        return params["active"]

    def _check_y(self, x: Any, y: Any) -> None:
        n = self.handler.length(x)
        if y is not None and label_length(y) != n:
            raise ValueError(
                f"y has {label_length(y)} labels but the batch has {n} samples; expected one label per sample"
            )

    def _forward(self, x: Any, y: Any = None, **inputs: Any) -> tuple[Any, Any]:
        """sample + apply on the internal representation (used by ``__call__``, ``augment`` and compositions)."""
        if self.learned:
            self._check_fitted()
        self._check_y(x, y)
        with self._call_scope():
            params = self.sample(x, y=y, **inputs)
            out = self.apply(x, params)
        return out, (self.apply_labels(y, params) if y is not None else None)

    def _call_scope(self) -> Any:
        """Context around the library's own ``sample`` + ``apply`` on one batch (``_forward``); default:
        none (time series: tells the user's own sample/apply calls apart, and lets apply reuse what
        sample computed from the batch)."""
        return contextlib.nullcontext()

    def __call__(self, x: Any, y: Any = None, **extra: Any) -> Any:
        """Augment a batch: ``aug(x)`` returns ``x'``; ``aug(x, y)`` returns ``(x', y')``. Keyword
        inputs are passed to :meth:`sample` (``lengths`` for time series)."""
        with _autocast_off():
            xi, ctx = self._to_internal(x)
            out, y_out = self._forward(xi, y, **{**self.handler.inputs(ctx), **extra})
            self._after_call(xi, out)
            out = self.handler.restore(out, ctx)
            return out if y is None else (out, y_out)

    # ---- what stays on the estimator after a call ------------------------------------------------

    @property
    def report_(self) -> AugmentReport | None:
        """Counts from the last call that reports any (None before; see :class:`AugmentReport`)."""
        return self.__dict__.get("_report")

    def _set_report(self, report: AugmentReport | None) -> None:
        """The one writer of ``report_`` (inside a composition, the composition collects it: see
        :func:`multiaug.core.report.note_report`)."""
        self.__dict__["_report"] = report
        note_report(self, report)

    # ---- fitting -----------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this augmenter."
            )
        self._check_architecture()

    def _record_architecture(self) -> None:
        """End of ``fit``: the values of ``architecture_params`` the fitted networks were built with."""
        if self.architecture_params:
            self.architecture_ = {k: _plain(getattr(self, k)) for k in self.architecture_params}

    def _check_architecture(self, where: str = "") -> None:
        """Refuse hyperparameters changed (``set_params``, ``--param``) since ``fit`` that fix the shape
        of the fitted networks: using or saving them would mix two architectures."""
        rec = self.__dict__.get("architecture_")
        if not rec:
            return
        changed = [f"{k}={rec[k]!r} (now {_plain(getattr(self, k))!r})" for k in rec
                   if hasattr(self, k) and _plain(getattr(self, k)) != rec[k]]
        if changed:
            raise ValueError(
                f"{type(self).__name__}{where}: fitted with {', '.join(changed)}; these fix the shape of the "
                "fitted network: set them back, or fit again to change them"
            )

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "Augmenter":
        """Non-learned augmenters have nothing to learn: ``fit`` validates ``X`` and returns ``self``."""
        self._ensure_valid()
        self._to_internal(X)
        return self

    def _check_n_aug(self, n_aug: Any) -> int:
        """``augment``'s ``n_aug`` argument (None: the hyperparameter), checked as the hyperparameter is."""
        self._ensure_valid()
        if n_aug is None:
            return int(self.n_aug)
        if not Augmenter._parameter_constraints["n_aug"][0].accepts(n_aug):
            raise InvalidParameterError(f"{type(self).__name__}: n_aug must be an integer >= 1, got {short_repr(n_aug)}")
        return int(n_aug)

    def preview(self, x: Any, y: Any = None, **kwargs: Any) -> Any:
        """Originals next to augmented samples (see :func:`multiaug.preview.preview`): a matplotlib
        Figure for series, graphs and tables, HTML for text and tagged sentences; ``path=`` writes
        .png/.svg/.html."""
        from ..preview import preview

        return preview(self, x, y, **kwargs)

    def augment(self, X: Any, y: Any = None, n_aug: int | None = None, *, sampling_strategy: Any = None,
                **extra: Any) -> tuple[Any, Any, np.ndarray]:
        """``n_aug`` augmented copies of ``X`` (default ``self.n_aug``), concatenated.

        Returns ``(X_aug, y_aug, source_index)`` where ``source_index[i]`` is the row of ``X`` that
        augmented sample ``i`` comes from. ``y_aug`` is None when ``y`` is None. Keyword inputs are
        passed to :meth:`sample` as in ``__call__``.

        Class balancing: with ``sampling_strategy`` (this argument, else the hyperparameter) the copies
        are not ``n_aug`` per sample but those that bring each class of ``y`` to its target count
        (imblearn's strategies: see :mod:`multiaug.core.balance`); ``n_aug`` does not apply then, and
        giving both arguments is an error."""
        with _autocast_off():
            strategy = self.sampling_strategy if sampling_strategy is None else sampling_strategy
            if strategy is not None:
                if sampling_strategy is not None and n_aug is not None:
                    raise ValueError(f"{type(self).__name__}.augment: give n_aug or sampling_strategy, not both")
                if n_aug is not None:  # the hyperparameter decides the copies: n_aug would be ignored
                    raise ValueError(
                        f"{type(self).__name__}.augment: n_aug={n_aug!r} does not apply: sampling_strategy="
                        f"{short_repr(strategy)} is set and decides each class's copies; call augment(X, y), or "
                        "set_params(sampling_strategy=None) for n_aug copies of every sample"
                    )
                self._ensure_valid()
                if not valid_strategy(strategy):
                    raise InvalidParameterError(
                        f"{type(self).__name__}: sampling_strategy must be {STRATEGY_DESC}, got {short_repr(strategy)}"
                    )
                xi, ctx = self._to_internal(X)
                self._check_y(xi, y)
                # graphs that carry one label each (a Batch's y) are balanced by it when no y is given
                ys = y if y is not None else graph_labels(xi, self.modality, self.handler.length(xi))
                out = balanced_augment(self, xi, ctx, ys, {**self.handler.inputs(ctx), **extra}, strategy)
                return out if y is not None or ys is None else (out[0], None, out[2])
            n_aug = self._check_n_aug(n_aug)
            xi, ctx = self._to_internal(X)
            self._check_y(xi, y)
            return self._augment_batch(xi, ctx, y, n_aug, {**self.handler.inputs(ctx), **extra})

    def _augment_batch(self, xi: Any, ctx: Any, y: Any, n_aug: int, inputs: dict) -> tuple[Any, Any, np.ndarray]:
        """Hook of :meth:`augment`: ``n_aug`` copies of the internal batch ``xi`` (default: one
        ``_forward`` per copy, restored and concatenated)."""
        ctx = self.handler.many_ctx(ctx)  # copies of a sample given alone are rows of a batch
        outs, ys = [], []
        for _ in range(n_aug):
            o, yo = self._forward(xi, y, **inputs)
            outs.append(self.handler.restore(o, ctx))
            ys.append(yo)
        src = np.tile(np.arange(self.handler.length(xi)), n_aug)
        return self.handler.concat(outs), (concat_labels(ys) if y is not None else None), src


_MISSING = object()
_PARAM_NAMES: dict[type, tuple[str, ...]] = {}


def _param_names(cls: type) -> tuple[str, ...]:
    names = _PARAM_NAMES.get(cls)
    if names is None:
        names = _PARAM_NAMES[cls] = tuple(cls._get_param_names())
    return names


def _as_device(value: Any) -> torch.device | None:
    """``torch.device(value)``, or None when ``value`` names no device."""
    if isinstance(value, torch.device):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    try:
        return torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        return None


def _plain(value: Any) -> Any:
    """``value`` as JSON would give it back (tuples become lists), to compare hyperparameters."""
    import json

    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return repr(value)
