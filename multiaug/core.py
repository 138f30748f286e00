"""The shared Augmenter contract and the composition operators.

Every augmenter in multiaug is a scikit-learn estimator with:

* keyword hyperparameters stored unchanged (``get_params``/``set_params``/``clone``/``repr``);
* ``n_aug`` (copies made by :meth:`Augmenter.augment`, :meth:`Augmenter.fit_resample` and the CLI),
  ``p`` (probability that each *sample* is augmented), ``seed`` and ``device``;
* its own :class:`torch.Generator` per device, seeded from ``seed`` on first use, whose state
  advances across calls (two calls differ; a fresh instance with the same seed replays them);
* two phases: :meth:`sample` draws every random number (one draw per sample, vectorised) and
  :meth:`apply` is deterministic given those parameters; ``__call__`` does both;
* ``fit`` for learned augmenters (fitted attributes end in ``_``; calling an unfitted learned
  augmenter raises scikit-learn's ``NotFittedError``);
* ``to_config``/``from_config`` and ``save``/``load`` (JSON or YAML config + safetensors state).

Subclasses implement ``_sample(x)`` and ``_apply(x, params)`` on the modality's *internal*
representation (a float tensor for tables and series, ``list[str]`` for text, a PyG ``Data``/``Batch``
for graphs) and, when they change labels, ``_apply_labels(y, params)``. The base class handles input
conversion, device placement, the per-sample probability ``p`` and label bookkeeping.
"""
from __future__ import annotations

import copy
import inspect
import json
import os
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.utils._available_if import available_if
from torch.utils.data import get_worker_info

__all__ = [
    "Augmenter",
    "Composition",
    "Sequential",
    "OneOf",
    "SomeOf",
    "Sometimes",
    "RandAugment",
    "ModalityHandler",
    "register_modality",
    "get_modality",
    "NotFittedError",
    "fresh_seed",
]

Params = dict[str, Any]
_ACTIVE = "_active"  # key in params: indices of the samples that were augmented (when p < 1)
_INNER = "_inner"  # key in params: the subclass's own params for those samples


def fresh_seed() -> int:
    """A 63-bit seed from the operating system's entropy (never from a global RNG)."""
    return int.from_bytes(os.urandom(8), "little") >> 1


def mix_seeds(*parts: int) -> int:
    """A 63-bit seed mixing ``parts`` (ints of any sign and size) with numpy's ``SeedSequence``."""
    words = [int(v) % 2**64 for v in parts]
    return int(np.random.SeedSequence(words).generate_state(1, np.uint64)[0]) >> 1


def worker_seed() -> int | None:
    """The seed PyTorch gave this DataLoader worker process (``get_worker_info().seed``), or None
    outside DataLoader workers. PyTorch draws it from the main process's RNG (or the loader's
    ``generator``) each time workers start, so it differs between workers and between the epochs of
    non-persistent workers, and ``torch.manual_seed`` reproduces it."""
    info = get_worker_info()
    return None if info is None else int(info.seed)


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


# Salt for augmenters without a seed inside a worker (so that their streams differ from a seeded
# augmenter's whose seed happens to equal the counter).
_UNSEEDED_SALT = 0x6D756C7469617567  # "multiaug"
# worker seed -> number of unseeded augmenters that started a stream in this worker, in order of use
_UNSEEDED_IN_WORKER: dict[int, int] = {}


# --------------------------------------------------------------------------------------------------
# Modalities
# --------------------------------------------------------------------------------------------------


class ModalityHandler:
    """How a modality's batches are validated, converted, indexed and concatenated.

    ``check`` turns a user batch into the internal representation plus a context object that
    ``restore`` uses to give the caller back the type it passed in. ``take``/``merge`` select and
    put back samples (used for ``p`` and per-sample composition), ``concat`` joins external batches
    (used by ``augment``/``fit_resample``).
    """

    name: str = "any"

    def check(self, x: Any, aug: "Augmenter | None" = None) -> tuple[Any, Any]:
        raise NotImplementedError

    def restore(self, x: Any, ctx: Any) -> Any:
        raise NotImplementedError

    def length(self, x: Any) -> int:
        return len(x)

    def device(self, x: Any) -> torch.device:
        return torch.device("cpu")

    def take(self, x: Any, index: torch.Tensor) -> Any:
        raise NotImplementedError

    def merge(self, x: Any, index: torch.Tensor, part: Any) -> Any:
        """Return ``x`` with the samples at ``index`` replaced by ``part`` (in order)."""
        raise NotImplementedError

    def concat(self, batches: Sequence[Any]) -> Any:
        """Concatenate *external* batches (as returned to users) along the sample axis."""
        raise NotImplementedError


_MODALITIES: dict[str, ModalityHandler] = {}


def register_modality(handler: ModalityHandler) -> ModalityHandler:
    _MODALITIES[handler.name] = handler
    return handler


def get_modality(name: str) -> ModalityHandler:
    if name not in _MODALITIES:
        # Modality packages register their handler on import.
        from . import registry

        registry.load_all()
    try:
        return _MODALITIES[name]
    except KeyError:
        raise ValueError(f"unknown modality {name!r}; expected one of {sorted(_MODALITIES)}") from None


# --------------------------------------------------------------------------------------------------
# Labels: generic helpers for tensors, arrays, lists and pandas Series
# --------------------------------------------------------------------------------------------------


def label_length(y: Any) -> int:
    return len(y)


def take_labels(y: Any, index: torch.Tensor) -> Any:
    if y is None:
        return None
    if isinstance(y, torch.Tensor):
        return y[index.to(y.device)]
    idx = index.detach().cpu().numpy()
    if isinstance(y, np.ndarray):
        return y[idx]
    if hasattr(y, "iloc"):
        return y.iloc[idx]
    return [y[i] for i in idx.tolist()]


def _one_hot(y: Any, num_classes: int) -> Any:
    if isinstance(y, torch.Tensor):
        return torch.nn.functional.one_hot(y.long(), num_classes).to(torch.float32)
    arr = np.asarray(y)
    out = np.zeros((len(arr), num_classes), dtype=np.float32)
    out[np.arange(len(arr)), arr.astype(np.int64)] = 1.0
    return out


def _n_columns(y: Any) -> int:
    """Classes a label container spans: its width for soft targets (N, K), max label + 1 for hard ones."""
    nd = y.dim() if isinstance(y, torch.Tensor) else np.ndim(y)
    if nd == 2:
        return int(y.shape[1])
    if len(y) == 0:
        return 0
    return int(y.max().item()) + 1 if isinstance(y, torch.Tensor) else int(np.max(np.asarray(y))) + 1


def _pad_columns(y: Any, k: int) -> Any:
    """Soft targets (N, K) widened with zero columns to (N, k)."""
    if y.shape[1] >= k:
        return y
    if isinstance(y, torch.Tensor):
        return torch.nn.functional.pad(y, (0, k - y.shape[1]))
    arr = np.asarray(y)
    return np.pad(arr, ((0, 0), (0, k - arr.shape[1])))


def merge_labels(y: Any, index: torch.Tensor, part: Any) -> Any:
    """Put ``part`` back into ``y`` at ``index``. Hard labels are upgraded to one-hot rows when the
    augmented part carries soft targets (a mixing augmenter applied to some samples only)."""
    if y is None:
        return None
    ndim_y = np.ndim(y) if not isinstance(y, torch.Tensor) else y.dim()
    ndim_p = np.ndim(part) if not isinstance(part, torch.Tensor) else part.dim()
    if ndim_p == 2:
        # a mixing child run on a subset sizes its soft targets by the labels it saw: widen both sides
        # to the classes of the whole batch (a label absent from the subset still has its column)
        k = max(int(part.shape[1]), _n_columns(y))
        if ndim_y == 1:
            y = _one_hot(y, k)
        else:
            y = _pad_columns(y, k)
        part = _pad_columns(part, k)
    if isinstance(y, torch.Tensor):
        out = y.clone() if y.dtype == torch.as_tensor(part).dtype else y.to(torch.as_tensor(part).dtype)
        out[index.to(out.device)] = torch.as_tensor(part, device=out.device, dtype=out.dtype)
        return out
    idx = index.detach().cpu().numpy()
    if isinstance(y, np.ndarray):
        part_np = part.detach().cpu().numpy() if isinstance(part, torch.Tensor) else np.asarray(part)
        out = y.astype(np.result_type(y.dtype, part_np.dtype), copy=True)
        out[idx] = part_np
        return out
    if hasattr(y, "iloc"):
        out = y.copy()
        out.iloc[idx] = list(part) if not hasattr(part, "values") else part.values
        return out
    out = list(y)
    for i, v in zip(idx.tolist(), list(part)):
        out[i] = v
    return out


def concat_labels(ys: Sequence[Any]) -> Any:
    if any(y is None for y in ys):
        return None
    first = ys[0]
    if any(np.ndim(y) if not isinstance(y, torch.Tensor) else y.dim() for y in ys) and len(
        {(np.ndim(y) if not isinstance(y, torch.Tensor) else y.dim()) for y in ys}
    ) > 1:
        # hard labels next to soft targets: upgrade the hard ones
        k = max(_n_columns(y) for y in ys)
        ys = [
            _one_hot(y, k) if (y.dim() if isinstance(y, torch.Tensor) else np.ndim(y)) == 1 else _pad_columns(y, k)
            for y in ys
        ]
        first = ys[0]
    if isinstance(first, torch.Tensor):
        return torch.cat([torch.as_tensor(y, device=first.device) for y in ys])
    if isinstance(first, np.ndarray):
        return np.concatenate(
            [y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y) for y in ys]
        )
    if hasattr(first, "iloc"):
        import pandas as pd

        return pd.concat([pd.Series(np.asarray(y), name=first.name) for y in ys], ignore_index=True)
    out: list = []
    for y in ys:
        out.extend(list(y))
    return out


# --------------------------------------------------------------------------------------------------
# The base class
# --------------------------------------------------------------------------------------------------


class Augmenter(BaseEstimator):
    """Base class of every augmenter. See the module docstring for the contract."""

    #: "text", "graph", "tabular", "timeseries" (or "any" for compositions, resolved from children)
    modality: ClassVar[str] = "any"
    #: For RandAugment: hyperparameter name -> (value at magnitude 0, value at magnitude 1)
    magnitude_range: ClassVar[dict[str, tuple[float, float]]] = {}
    #: True when the augmenter must be fitted before use
    learned: ClassVar[bool] = False
    #: Name in the registry (set by ``registry.register``)
    registry_name: ClassVar[str | None] = None

    def __init__(self, *, n_aug: int = 1, p: float = 1.0, seed: int | None = None, device: Any = None):
        self.n_aug = n_aug
        self.p = p
        self.seed = seed
        self.device = device
        self._validate_params()

    # ---- scikit-learn plumbing -------------------------------------------------------------------

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """Hyperparameters of every ``__init__`` along the MRO (subclasses may forward ``**kwargs``)."""
        names: list[str] = []
        for klass in cls.__mro__:
            init = klass.__dict__.get("__init__")
            if init is None or klass is BaseEstimator or klass is object:
                continue
            for prm in inspect.signature(init).parameters.values():
                if prm.name == "self" or prm.kind in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL):
                    continue
                if prm.name not in names:
                    names.append(prm.name)
            if klass is Augmenter:
                break
        return sorted(names)

    @classmethod
    def param_defaults(cls) -> dict[str, Any]:
        """Hyperparameter -> default value (``inspect.Parameter.empty`` when required)."""
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            init = klass.__dict__.get("__init__")
            if init is None or not issubclass(klass, Augmenter):
                continue
            for prm in inspect.signature(init).parameters.values():
                if prm.name == "self" or prm.kind in (prm.VAR_KEYWORD, prm.VAR_POSITIONAL):
                    continue
                out[prm.name] = prm.default
        return {k: out[k] for k in cls._get_param_names() if k in out}

    def set_params(self, **params: Any) -> "Augmenter":
        super().set_params(**params)
        self._validate_params()
        return self

    def __sklearn_is_fitted__(self) -> bool:
        if not self.learned:
            return True
        return any(k.endswith("_") and not k.startswith("_") for k in vars(self))

    def _more_tags(self) -> dict:  # older scikit-learn
        return {"stateless": not self.learned, "requires_y": False}

    # ---- parameter validation ---------------------------------------------------------------------

    def _validate_params(self) -> None:
        """Raise ``ValueError``/``TypeError`` naming a bad hyperparameter. Subclasses extend and call
        ``super()._validate_params()``. Called at construction, by ``set_params`` and at each use."""
        if isinstance(self.n_aug, bool) or not isinstance(self.n_aug, (int, np.integer)) or self.n_aug < 1:
            raise ValueError(f"n_aug must be an integer >= 1, got {self.n_aug!r}")
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float, np.floating)) or not 0.0 <= float(self.p) <= 1.0:
            raise ValueError(f"p must be a probability in [0, 1], got {self.p!r}")
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer))):
            raise TypeError(f"seed must be an int or None, got {type(self.seed).__name__} {self.seed!r}")
        if self.device is not None:
            try:
                dev = torch.device(self.device)
            except (RuntimeError, TypeError):
                raise ValueError(f"device must be None or a torch device such as 'cpu' or 'cuda', got {self.device!r}") from None
            self._check_device_available(dev)

    def _check_device_available(self, dev: torch.device) -> None:
        why = device_unavailable(dev)
        if why:
            raise ValueError(
                f"{type(self).__name__}: device {str(self.device)!r} is not available ({why}); use device='cpu' or None"
            )

    def _check_param(self, name: str, ok: bool, expected: str) -> None:
        if not ok:
            raise ValueError(f"{type(self).__name__}: {name} must be {expected}, got {getattr(self, name)!r}")

    # ---- randomness --------------------------------------------------------------------------------

    def generator(self, device: Any = "cpu") -> torch.Generator:
        """This instance's generator for ``device``, seeded from ``seed`` on first use.

        Draw with ``torch.rand(..., generator=self.generator(x.device), device=x.device)`` so that
        random numbers are made where the data lives (no host round trip).

        Inside a PyTorch DataLoader worker the stream is derived from ``seed`` *and* the worker's seed
        (``torch.utils.data.get_worker_info().seed``), re-derived whenever the process runs as a worker
        with a seed other than the one the cached generators were made for (the augmenter is copied
        into each worker). So workers draw different numbers, every epoch of non-persistent workers
        differs, persistent workers' streams advance across epochs, and one ``torch.manual_seed`` (or
        the loader's ``generator=``) reproduces the whole run. Without a ``seed``, an augmenter in a
        worker takes its stream from the worker's seed and its order of first use in that worker, so
        that run is reproducible too. Outside workers nothing of this applies."""
        device = torch.device(device)
        if device.type == "cuda" and device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        gens = self.__dict__.setdefault("_generators", {})
        wseed = worker_seed()
        if self.__dict__.get("_stream_for") != wseed:
            # first use in this worker (or in a new worker): derive a new stream; clear in place so
            # copies sharing the dict (RandAugment's scaled children) follow
            gens.clear()
            self.__dict__["_stream_for"] = wseed
            self.__dict__["_stream_seed"] = None if wseed is None else self._worker_stream_seed(wseed)
            self.__dict__["_stream_adopted"] = False
            if wseed is not None:
                self._started_worker_stream(wseed)
        key = str(device)
        if key not in gens:
            if wseed is not None:
                seed = self.__dict__["_stream_seed"]
            else:
                seed = self.__dict__.get("_rng_seed")
                if seed is None:
                    if self.seed is None:
                        seed = fresh_seed()
                        self.__dict__["_rng_entropy"] = True
                    else:
                        seed = int(self.seed)
                    self.__dict__["_rng_seed"] = seed
            g = torch.Generator(device=device)
            g.manual_seed(seed)
            gens[key] = g
        return gens[key]

    def _worker_stream_seed(self, wseed: int) -> int:
        """The seed of this instance's stream in the DataLoader worker seeded ``wseed``."""
        base = self.__dict__.get("_rng_seed")
        if base is None or self.__dict__.get("_rng_entropy"):
            base = None if self.seed is None else int(self.seed)
        if base is not None:
            if self.__dict__.get("_rng_seed") is None:  # as outside workers, set after first use
                self.__dict__["_rng_seed"] = base
            return mix_seeds(base, wseed)
        k = _UNSEEDED_IN_WORKER.get(wseed, 0)
        _UNSEEDED_IN_WORKER[wseed] = k + 1
        stream = mix_seeds(_UNSEEDED_SALT, wseed, k)
        self._set_stand_in_seed(stream)
        return stream

    def _set_stand_in_seed(self, seed: int) -> None:
        """Fill ``_rng_seed`` (always set after first use, as outside workers) with a worker stream's
        seed, flagged as not the user's: a later worker derives its own stream."""
        if self.__dict__.get("_rng_seed") is None:
            self.__dict__["_rng_seed"] = int(seed)
            self.__dict__["_rng_entropy"] = True

    def _started_worker_stream(self, wseed: int) -> None:
        """Hook run when a new worker stream starts (compositions reseed their children from it)."""

    def _adopt_worker_stream(self, seed: int, wseed: int) -> None:
        """Use ``seed`` as this instance's stream in the worker seeded ``wseed`` (set by a parent
        composition, whose stream is already specific to the worker)."""
        self.__dict__.setdefault("_generators", {}).clear()
        self.__dict__["_stream_for"] = wseed
        self.__dict__["_stream_seed"] = int(seed)
        self.__dict__["_stream_adopted"] = True
        self._set_stand_in_seed(seed)
        self._started_worker_stream(wseed)

    def reseed(self, seed: int | None) -> "Augmenter":
        """Restart the random stream from ``seed`` (the ``seed`` hyperparameter is left as it is).
        Inside a DataLoader worker the new stream is still mixed with the worker's seed."""
        self.__dict__["_generators"] = {}
        self.__dict__["_rng_seed"] = None if seed is None else int(seed)
        self.__dict__.pop("_rng_entropy", None)
        self.__dict__.pop("_stream_for", None)
        self.__dict__.pop("_stream_seed", None)
        self.__dict__.pop("_stream_adopted", None)
        for child in self._children():
            child.reseed(None if seed is None else int(torch.randint(0, 2**62, (1,), generator=self.generator()).item()))
        self.__dict__["_children_reseeded"] = seed is not None
        return self

    def _children(self) -> list["Augmenter"]:
        return []

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        gens = state.pop("_generators", None) or {}
        state["_generator_states"] = {k: g.get_state() for k, g in gens.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        saved = state.pop("_generator_states", {}) or {}
        self.__dict__.update(state)
        gens = {}
        for key, st in saved.items():
            g = torch.Generator(device=torch.device(key))
            g.set_state(st)
            gens[key] = g
        self.__dict__["_generators"] = gens

    def __deepcopy__(self, memo: dict) -> "Augmenter":
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return new

    # ---- modality ------------------------------------------------------------------------------------

    @property
    def handler(self) -> ModalityHandler:
        return get_modality(self.modality)

    def _to_internal(self, x: Any) -> tuple[Any, Any]:
        if self.device is not None:
            # checked at use too: ``aug.device = "cuda"`` assigned directly skips set_params
            try:
                dev = torch.device(self.device)
            except (RuntimeError, TypeError):
                dev = None  # a malformed device is reported by _validate_params
            if dev is not None:
                self._check_device_available(dev)
        return self.handler.check(x, self)

    # ---- the two phases ----------------------------------------------------------------------------

    def _sample(self, x: Any) -> Params:
        """Draw all random parameters for the batch ``x`` (internal representation)."""
        return {}

    def _apply(self, x: Any, params: Params) -> Any:
        raise NotImplementedError

    def _apply_labels(self, y: Any, params: Params) -> Any:
        """Labels after ``_apply``; the default leaves them as they are."""
        return y

    def _draw_active(self, n: int, device: torch.device) -> torch.Tensor | None:
        if float(self.p) >= 1.0:
            return None
        u = torch.rand(n, generator=self.generator(device), device=device)
        return torch.nonzero(u < float(self.p)).flatten()

    def sample(self, x: Any) -> Params:
        """Draw every random number for batch ``x`` (internal representation: see the modality's
        handler), one draw per sample. The result can be logged and replayed with :meth:`apply`."""
        h = self.handler
        n = h.length(x)
        dev = h.device(x)
        active = self._draw_active(n, dev)
        if active is None:
            return self._sample(x)
        inner = self._sample(h.take(x, active)) if active.numel() else {}
        return {_ACTIVE: active, _INNER: inner}

    def apply(self, x: Any, params: Params) -> Any:
        """Deterministic: transform ``x`` (internal representation) with ``params`` from :meth:`sample`."""
        if _ACTIVE not in params:
            return self._apply(x, params)
        active = params[_ACTIVE]
        if active.numel() == 0:
            return x
        h = self.handler
        return h.merge(x, active, self._apply(h.take(x, active), params[_INNER]))

    def apply_labels(self, y: Any, params: Params) -> Any:
        if y is None:
            return None
        if _ACTIVE not in params:
            return self._apply_labels(y, params)
        active = params[_ACTIVE]
        if active.numel() == 0:
            return y
        return merge_labels(y, active, self._apply_labels(take_labels(y, active), params[_INNER]))

    def _forward(self, x: Any, y: Any = None) -> tuple[Any, Any]:
        """sample + apply on the internal representation (used by compositions)."""
        if self.learned:
            self._check_fitted()
        if y is not None and label_length(y) != self.handler.length(x):
            raise ValueError(
                f"y has {label_length(y)} labels but the batch has {self.handler.length(x)} samples; expected one label per sample"
            )
        params = self.sample(x)
        out = self.apply(x, params)
        return out, (self.apply_labels(y, params) if y is not None else None)

    def __call__(self, x: Any, y: Any = None) -> Any:
        """Augment a batch: ``aug(x)`` returns ``x'``; ``aug(x, y)`` returns ``(x', y')``."""
        xi, ctx = self._to_internal(x)
        out, y_out = self._forward(xi, y)
        out = self.handler.restore(out, ctx)
        return out if y is None else (out, y_out)

    # ---- fitting -----------------------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not self.__sklearn_is_fitted__():
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet. Call 'fit' with appropriate "
                "arguments before using this augmenter."
            )

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "Augmenter":
        """Non-learned augmenters have nothing to learn: ``fit`` validates ``X`` and returns ``self``."""
        self._validate_params()
        self._to_internal(X)
        return self

    @available_if(lambda self: not _asked_by_imblearn())
    def transform(self, X: Any) -> Any:
        """Augment ``X`` (scikit-learn transformer API; meant for the training side).

        Inside ``imblearn.pipeline.Pipeline`` an augmenter presents itself as a sampler only
        (``fit_resample``), because imblearn refuses steps that are both; it is then skipped at
        predict time, as augmentation should be."""
        return self(X)

    @available_if(lambda self: not _asked_by_imblearn())
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        return self.fit(X, y, **fit_params).transform(X)

    def augment(self, X: Any, y: Any = None, n_aug: int | None = None) -> tuple[Any, Any, np.ndarray]:
        """``n_aug`` augmented copies of ``X`` (default ``self.n_aug``), concatenated.

        Returns ``(X_aug, y_aug, source_index)`` where ``source_index[i]`` is the row of ``X`` that
        augmented sample ``i`` comes from. ``y_aug`` is None when ``y`` is None."""
        n_aug = self.n_aug if n_aug is None else n_aug
        if isinstance(n_aug, bool) or not isinstance(n_aug, (int, np.integer)) or n_aug < 1:
            raise ValueError(f"n_aug must be an integer >= 1, got {n_aug!r}")
        xi, ctx = self._to_internal(X)
        n = self.handler.length(xi)
        outs, ys = [], []
        for _ in range(int(n_aug)):
            o, yo = self._forward(xi, y)
            outs.append(self.handler.restore(o, ctx))
            ys.append(yo)
        src = np.tile(np.arange(n), int(n_aug))
        return self.handler.concat(outs), (concat_labels(ys) if y is not None else None), src

    def fit_resample(self, X: Any, y: Any) -> tuple[Any, Any]:
        """imblearn sampler API: fit, then return the originals followed by ``n_aug`` augmented
        copies. Works for classification and regression targets; inside an
        ``imblearn.pipeline.Pipeline`` it only runs at fit time."""
        if y is None:
            raise ValueError("fit_resample needs y (labels or regression targets); got None")
        xi, ctx = self._to_internal(X)
        n = self.handler.length(xi)
        if label_length(y) != n:
            raise ValueError(f"X has {n} samples but y has {label_length(y)}; expected one target per sample")
        self.fit(X, y)
        X_aug, y_aug, _ = self.augment(X, y)
        y_aug = self._resample_labels(y, y_aug)
        X_orig = self.handler.restore(xi, ctx)
        return self.handler.concat([X_orig, X_aug]), concat_labels([y, y_aug])

    def _resample_labels(self, y: Any, y_aug: Any) -> Any:
        """Labels given to estimators by ``fit_resample``. Soft targets (N, K) from mixing are turned
        into the dominant class when ``y`` holds hard labels, because scikit-learn classifiers need them."""
        nd_y = y.dim() if isinstance(y, torch.Tensor) else np.ndim(y)
        nd_a = y_aug.dim() if isinstance(y_aug, torch.Tensor) else np.ndim(y_aug)
        if nd_y == 1 and nd_a == 2:
            if isinstance(y_aug, torch.Tensor):
                arg = y_aug.argmax(dim=1)
                return arg.to(y.dtype) if isinstance(y, torch.Tensor) else arg.cpu().numpy()
            arg = np.asarray(y_aug).argmax(axis=1)
            classes = np.unique(np.asarray(y))
            return arg if isinstance(y, torch.Tensor) else arg.astype(np.asarray(y).dtype) if np.array_equal(classes, np.arange(len(classes))) else arg
        return y_aug

    # ---- persistence ---------------------------------------------------------------------------------

    def to_config(self) -> dict:
        """A JSON/YAML-able description: ``{"augmenter": name, "params": {...}}`` (nested for compositions)."""
        from .registry import name_of

        params = {}
        for k, v in self.get_params(deep=False).items():
            params[k] = _param_to_config(v, f"{type(self).__name__}.{k}")
        return {"augmenter": name_of(type(self)), "params": params}

    @classmethod
    def from_config(cls, config: dict | str | os.PathLike) -> "Augmenter":
        """Build an augmenter from :meth:`to_config`'s output, or from a .json/.yaml file holding it."""
        if isinstance(config, (str, os.PathLike)):
            config = read_config(config)
        from .registry import get

        if not isinstance(config, dict) or "augmenter" not in config:
            raise ValueError(f"config must be a mapping with an 'augmenter' key, got {config!r:.200}")
        klass = get(config["augmenter"])
        if cls is not Augmenter and not issubclass(klass, cls):
            raise TypeError(f"config describes {klass.__name__}, which is not a {cls.__name__}")
        params = {k: _param_from_config(v) for k, v in (config.get("params") or {}).items()}
        unknown = set(params) - set(klass._get_param_names())
        if unknown:
            raise ValueError(
                f"unknown parameter(s) {sorted(unknown)} for augmenter {config['augmenter']!r}; "
                f"expected some of {klass._get_param_names()}"
            )
        return klass(**params)

    # fitted state: tensors and modules go to safetensors, small metadata to the config
    def _fitted_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        tensors: dict[str, torch.Tensor] = {}
        meta: dict[str, Any] = {}
        for k, v in vars(self).items():
            if not k.endswith("_") or k.startswith("_"):
                continue
            if isinstance(v, torch.nn.Module):
                for sk, sv in v.state_dict().items():
                    tensors[f"{k}.{sk}"] = sv.detach().cpu().contiguous()
                meta[k] = {"__module__": True}
            elif isinstance(v, torch.Tensor):
                tensors[k] = v.detach().cpu().contiguous()
            elif isinstance(v, np.ndarray) and v.dtype != object:
                tensors[k] = torch.from_numpy(np.ascontiguousarray(v))
                meta[k] = {"__ndarray__": True}
            else:
                try:
                    json.dumps(v)
                except TypeError:
                    raise TypeError(
                        f"{type(self).__name__}.{k} ({type(v).__name__}) cannot be saved; override "
                        "_fitted_state/_load_fitted_state"
                    ) from None
                meta[k] = {"value": v}
        for i, child in enumerate(self._children()):
            ct, cm = child._fitted_state()
            tensors.update({f"child{i}.{k}": v for k, v in ct.items()})
            if cm:
                meta[f"child{i}"] = cm
        return tensors, meta

    def _build_fitted_modules(self, meta: dict[str, Any]) -> dict[str, torch.nn.Module]:
        """Learned augmenters holding ``nn.Module`` fitted attributes return freshly built (untrained)
        modules here, from the hyperparameters and the plain fitted metadata; weights are loaded next."""
        return {}

    def _load_fitted_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        own_meta = {k: v for k, v in meta.items() if not k.startswith("child")}
        for k, m in own_meta.items():
            if "value" in m:
                setattr(self, k, m["value"])
        modules = self._build_fitted_modules({k: m.get("value") for k, m in own_meta.items() if "value" in m})
        for k, m in own_meta.items():
            if m.get("__module__"):
                if k not in modules:
                    raise ValueError(f"{type(self).__name__} cannot rebuild fitted module {k!r}")
                mod = modules[k]
                sd = {sk[len(k) + 1 :]: v for sk, v in tensors.items() if sk.startswith(k + ".")}
                mod.load_state_dict(sd)
                mod.eval()
                setattr(self, k, mod)
            elif m.get("__ndarray__"):
                setattr(self, k, tensors[k].numpy())
        for k, v in tensors.items():
            if "." not in k and not k.startswith("child") and k not in own_meta:
                setattr(self, k, v)
        for i, child in enumerate(self._children()):
            pre = f"child{i}."
            child._load_fitted_state(
                {k[len(pre) :]: v for k, v in tensors.items() if k.startswith(pre)}, meta.get(f"child{i}", {})
            )

    def save(self, path: str | os.PathLike) -> Path:
        """Save to a directory: ``config.json`` (+ ``state.safetensors`` when fitted state exists)."""
        from safetensors.torch import save_file

        path = Path(path)
        if path.exists() and not path.is_dir():
            raise ValueError(f"save: {str(path)!r} is a file; expected a directory (it is created when missing)")
        tensors, meta = self._fitted_state()
        cfg = self.to_config()
        if meta or tensors:
            cfg["fitted"] = meta
        text = json.dumps(cfg, indent=2)
        path.mkdir(parents=True, exist_ok=True)
        state_file = path / "state.safetensors"
        # each file is written to a temporary name and renamed into place; a state file left by an
        # earlier save into the same directory is removed when this augmenter has no state, so that
        # load never pairs this config with someone else's weights
        if tensors:
            tmp = path / f".state.safetensors.{os.getpid()}.tmp"
            try:
                save_file(tensors, str(tmp))
                os.replace(tmp, state_file)
            finally:
                tmp.unlink(missing_ok=True)
        else:
            state_file.unlink(missing_ok=True)
        tmp = path / f".config.json.{os.getpid()}.tmp"
        try:
            tmp.write_text(text)
            os.replace(tmp, path / "config.json")
        finally:
            tmp.unlink(missing_ok=True)
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Augmenter":
        """Load what :meth:`save` wrote (no pickle: JSON + safetensors)."""
        from safetensors.torch import load_file

        path = Path(path)
        cfg_file = path / "config.json" if path.is_dir() else path
        if not cfg_file.exists():
            raise FileNotFoundError(f"no saved augmenter at {str(path)!r} (expected a directory with config.json)")
        cfg = read_config(cfg_file)
        aug = cls.from_config(cfg)
        state_file = cfg_file.parent / "state.safetensors"
        tensors = load_file(str(state_file)) if state_file.exists() else {}
        if cfg.get("fitted") or tensors:
            aug._load_fitted_state(tensors, cfg.get("fitted") or {})
        return aug


def _asked_by_imblearn(depth: int = 6) -> bool:
    """True when imblearn's pipeline is checking which API a step has (see ``Augmenter.transform``)."""
    frame = sys._getframe(2)
    for _ in range(depth):
        if frame is None:
            return False
        if str(frame.f_globals.get("__name__", "")).startswith("imblearn."):
            return True
        frame = frame.f_back
    return False


def _param_to_config(v: Any, where: str) -> Any:
    if isinstance(v, Augmenter):
        return v.to_config()
    if isinstance(v, (list, tuple)):
        return [_param_to_config(e, where) for e in v]
    if isinstance(v, dict):
        return {str(k): _param_to_config(e, where) for k, e in v.items()}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if isinstance(v, torch.device):
        return str(v)
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    raise TypeError(f"{where}={v!r} cannot be written to a config (expected numbers, strings, lists, dicts or augmenters)")


def _param_from_config(v: Any) -> Any:
    if isinstance(v, dict) and "augmenter" in v and set(v) <= {"augmenter", "params", "fitted"}:
        return Augmenter.from_config(v)
    if isinstance(v, list):
        return [_param_from_config(e) for e in v]
    if isinstance(v, dict):
        return {k: _param_from_config(e) for k, e in v.items()}
    return v


def read_config(path: str | os.PathLike) -> dict:
    """Read a .json/.yaml/.yml config file holding a mapping. A file that cannot be parsed, or whose
    top level is not a mapping, raises a one-line ``ValueError`` naming the file and the place."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"config file {str(path)!r} does not exist")
    if path.is_dir():
        raise ValueError(f"config file {str(path)!r} is a directory; expected a .json, .yaml or .yml file")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        kind = "YAML"
    elif suffix == ".json":
        kind = "JSON"
    else:
        raise ValueError(f"config file {str(path)!r}: expected a .json, .yaml or .yml file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ValueError(f"config file {str(path)!r} is not UTF-8 text (byte {e.start}: {e.reason})") from None
    if kind == "YAML":
        import yaml

        try:
            config = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise ValueError(f"config file {str(path)!r} is not valid YAML: {_yaml_error(e)}") from None
    else:
        try:
            config = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(
                f"config file {str(path)!r} is not valid JSON: line {e.lineno}, column {e.colno}: {e.msg}"
            ) from None
    if not isinstance(config, dict):
        got = "nothing (the file is empty)" if config is None else f"a {type(config).__name__} ({config!r:.60})"
        raise ValueError(
            f"config file {str(path)!r} must hold a mapping such as {{augmenter: jitter, params: {{sigma: 0.1}}}} "
            f"at the top level, got {got}"
        )
    return config


def _yaml_error(e: Exception) -> str:
    """``line L, column C: problem`` (1-based) from a PyYAML error, on one line."""
    mark = getattr(e, "problem_mark", None) or getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or getattr(e, "context", None) or str(e)
    problem = " ".join(str(problem).split())
    context = getattr(e, "context", None)
    if context and getattr(e, "problem", None):
        problem = f"{problem} ({' '.join(str(context).split())})"
    if mark is None:
        return problem
    return f"line {mark.line + 1}, column {mark.column + 1}: {problem}"


def write_config(config: dict, path: str | os.PathLike) -> None:
    path = Path(path)
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        path.write_text(yaml.safe_dump(config, sort_keys=False))
    else:
        path.write_text(json.dumps(config, indent=2))


# --------------------------------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------------------------------


class Composition(Augmenter):
    """Base of the composition operators: holds child augmenters of a single modality."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), **kwargs: Any):
        self.augmenters = augmenters
        super().__init__(**kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        augs = self.augmenters
        if not isinstance(augs, (list, tuple)) or not augs:
            raise ValueError(f"{type(self).__name__}: augmenters must be a non-empty list of Augmenter, got {augs!r}")
        for i, a in enumerate(augs):
            if not isinstance(a, Augmenter):
                raise TypeError(f"{type(self).__name__}: augmenters[{i}] must be an Augmenter, got {type(a).__name__}")
        mods = {a.modality for a in augs} - {"any"}
        if len(mods) > 1:
            desc = ", ".join(f"{type(a).__name__} ({a.modality})" for a in augs)
            raise ValueError(f"{type(self).__name__}: cannot compose augmenters of different modalities: {desc}")

    @property
    def modality(self) -> str:  # type: ignore[override]
        mods = {a.modality for a in self.augmenters} - {"any"}
        return mods.pop() if mods else "any"

    @property
    def learned(self) -> bool:  # type: ignore[override]
        return any(a.learned for a in self.augmenters)

    def __sklearn_is_fitted__(self) -> bool:
        return all(a.__sklearn_is_fitted__() for a in self.augmenters)

    def _children(self) -> list[Augmenter]:
        return list(self.augmenters)

    def _to_internal(self, x: Any) -> tuple[Any, Any]:
        xi, ctx = super()._to_internal(x)
        # the rule of the mixing augmenters, for a composition called on a batch: one sample has no partner
        n = self.handler.length(xi)
        if n < 2:
            mixer = next((a for a in _descendants(self) if getattr(a, "mixes_samples", False)), None)
            if mixer is not None:
                raise ValueError(
                    f"{type(self).__name__}: holds the mixing augmenter {type(mixer).__name__}, which needs at least 2 "
                    f"samples in the batch to draw partners from, got {n}; pass a larger batch"
                )
        return xi, ctx

    def generator(self, device: Any = "cpu") -> torch.Generator:
        if worker_seed() is not None:
            # in a DataLoader worker: _started_worker_stream seeds the children from our stream
            return super().generator(device)
        fresh = "_rng_seed" not in self.__dict__ or not self.__dict__.get("_generators")
        g = super().generator(device)
        if fresh and self.__dict__.get("_seeded_children") is None and self.seed is not None:
            # children without their own seed draw theirs from ours, so the whole tree replays
            self.__dict__["_seeded_children"] = True
            for child in self.augmenters:
                if child.seed is None and "_rng_seed" not in child.__dict__:
                    child.reseed(int(torch.randint(0, 2**62, (1,), generator=super().generator("cpu")).item()))
        return g

    def _started_worker_stream(self, wseed: int) -> None:
        """In a DataLoader worker, the children that outside workers take their stream from ours
        (those without their own ``seed`` when we have one; all of them after ``reseed(int)`` or when
        our own stream comes from a parent) take it from our worker stream, so the whole tree follows
        (seed, worker seed) alone, whatever ran in the main process before."""
        adopted = bool(self.__dict__.get("_stream_adopted"))
        seeded = adopted or self.seed is not None or (
            self.__dict__.get("_rng_seed") is not None and not self.__dict__.get("_rng_entropy")
        )
        if not seeded:
            return  # children derive their own worker streams
        everyone = adopted or bool(self.__dict__.get("_children_reseeded"))
        g = self.generator("cpu")
        for child in self.augmenters:
            if everyone or child.seed is None:
                child._adopt_worker_stream(int(torch.randint(0, 2**62, (1,), generator=g).item()), wseed)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "Composition":
        self._validate_params()
        for a in self.augmenters:
            a.fit(X, y, **fit_params)
        return self

    def _apply_labels(self, y: Any, params: Params) -> Any:
        return params.get("_labels", y)

    def _run_on(self, aug: Augmenter, x: Any, y: Any, index: torch.Tensor | None) -> tuple[Any, Any]:
        """Run ``aug`` on the samples at ``index`` (all when None) and put them back."""
        if index is None:
            return aug._forward(x, y)
        if index.numel() == 0:
            return x, y
        h = self.handler
        part, ypart = aug._forward(h.take(x, index), take_labels(y, index))
        x = h.merge(x, index, part)
        if y is not None:
            y = merge_labels(y, index, ypart)
        return x, y

    # Compositions are applied as one step: sample() draws the routing, apply() runs the children.
    def _forward(self, x: Any, y: Any = None) -> tuple[Any, Any]:
        if self.learned:
            self._check_fitted()
        self.generator(self.handler.device(x))  # seed the children first
        h = self.handler
        active = self._draw_active(h.length(x), h.device(x))
        if active is None:
            return self._route(x, y)
        if active.numel() == 0:  # no sample drawn (always at p=0): the children see nothing
            return x, y
        part, ypart = self._route(h.take(x, active), take_labels(y, active))
        x = h.merge(x, active, part)
        return x, (merge_labels(y, active, ypart) if y is not None else None)

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        raise NotImplementedError

    def sample(self, x: Any) -> Params:
        raise NotImplementedError(
            f"{type(self).__name__} draws its children's parameters while applying them; call it directly"
        )


def _descendants(aug: Augmenter) -> list[Augmenter]:
    out = []
    for child in aug._children():
        out.append(child)
        out.extend(_descendants(child))
    return out


class Sequential(Composition):
    """Apply every augmenter in order."""

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        for a in self.augmenters:
            x, y = a._forward(x, y)
        return x, y


class OneOf(Composition):
    """Apply exactly one augmenter to each sample, chosen per sample (``weights`` optional)."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), weights: Sequence[float] | None = None, **kwargs: Any):
        self.weights = weights
        super().__init__(augmenters, **kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        if self.weights is not None:
            w = list(self.weights)
            if len(w) != len(self.augmenters) or any(not isinstance(v, (int, float)) or v < 0 for v in w) or sum(w) <= 0:
                raise ValueError(
                    f"OneOf: weights must be {len(self.augmenters)} non-negative numbers with a positive sum, got {self.weights!r}"
                )

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        k = len(self.augmenters)
        w = torch.ones(k) if self.weights is None else torch.tensor([float(v) for v in self.weights])
        choice = torch.multinomial(w.to(dev).expand(n, k), 1, replacement=True, generator=self.generator(dev)).flatten()
        for j, a in enumerate(self.augmenters):
            x, y = self._run_on(a, x, y, torch.nonzero(choice == j).flatten())
        return x, y


class SomeOf(Composition):
    """Apply ``n`` distinct augmenters to each sample (chosen per sample), in the listed order.
    ``n`` may be an int or a ``(low, high)`` inclusive range drawn per sample."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), n: int | Sequence[int] = 1, **kwargs: Any):
        self.n = n
        super().__init__(augmenters, **kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        k = len(self.augmenters)
        rng = (self.n, self.n) if isinstance(self.n, (int, np.integer)) else tuple(self.n) if isinstance(self.n, (list, tuple)) else None
        if rng is None or len(rng) != 2 or not all(isinstance(v, (int, np.integer)) for v in rng) or not 0 <= rng[0] <= rng[1] <= k:
            raise ValueError(f"SomeOf: n must be an int or (low, high) with 0 <= low <= high <= {k}, got {self.n!r}")

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        k = len(self.augmenters)
        g = self.generator(dev)
        lo, hi = (self.n, self.n) if isinstance(self.n, (int, np.integer)) else self.n
        count = torch.randint(int(lo), int(hi) + 1, (n,), generator=g, device=dev)
        rank = torch.rand(n, k, generator=g, device=dev).argsort(dim=1).argsort(dim=1)
        chosen = rank < count[:, None]
        for j, a in enumerate(self.augmenters):
            x, y = self._run_on(a, x, y, torch.nonzero(chosen[:, j]).flatten())
        return x, y


class Sometimes(Composition):
    """Apply ``augmenter`` to each sample with probability ``p`` (alias of setting ``p``)."""

    def __init__(self, augmenter: Augmenter | None = None, **kwargs: Any):
        self.augmenter = augmenter
        kwargs.setdefault("p", 0.5)
        super().__init__([augmenter] if augmenter is not None else [], **kwargs)

    @classmethod
    def _get_param_names(cls) -> list[str]:
        return [n for n in super()._get_param_names() if n != "augmenters"]

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        return self.augmenter._forward(x, y)


class RandAugment(Composition):
    """RandAugment policy: for each sample apply ``n`` augmenters drawn uniformly (with replacement)
    from ``augmenters``, each with its strength set by the shared ``magnitude`` in [0, 1]. Every
    augmenter must declare ``magnitude_range`` (hyperparameter -> (value at 0, value at 1))."""

    def __init__(self, augmenters: Sequence[Augmenter] = (), n: int = 2, magnitude: float = 0.5, **kwargs: Any):
        self.n = n
        self.magnitude = magnitude
        super().__init__(augmenters, **kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ValueError(f"RandAugment: n must be an integer >= 1, got {self.n!r}")
        if not isinstance(self.magnitude, (int, float)) or not 0.0 <= self.magnitude <= 1.0:
            raise ValueError(f"RandAugment: magnitude must be in [0, 1], got {self.magnitude!r}")
        for a in self.augmenters:
            if not a.magnitude_range:
                raise ValueError(
                    f"RandAugment: {type(a).__name__} declares no magnitude_range, so its strength cannot be set; "
                    "use augmenters that declare one"
                )

    def _scaled(self) -> list[Augmenter]:
        """Shallow copies of the children with their magnitude hyperparameters set from ``magnitude``;
        each copy shares its child's random stream (same generator objects)."""
        m = float(self.magnitude)
        scaled = []
        for a in self.augmenters:
            a.generator("cpu")  # make sure the child's generator dict exists, so the copy shares it
            vals = {}
            for name, (lo, hi) in a.magnitude_range.items():
                v = lo + m * (hi - lo)
                vals[name] = int(round(v)) if isinstance(lo, int) and isinstance(hi, int) else float(v)
            b = copy.copy(a)
            b.__dict__ = {**a.__dict__, **vals}
            scaled.append(b)
        return scaled

    def _route(self, x: Any, y: Any) -> tuple[Any, Any]:
        h = self.handler
        n, dev = h.length(x), h.device(x)
        ops = self._scaled()
        g = self.generator(dev)
        for _ in range(int(self.n)):
            choice = torch.randint(0, len(ops), (n,), generator=g, device=dev)
            for j, a in enumerate(ops):
                x, y = self._run_on(a, x, y, torch.nonzero(choice == j).flatten())
        return x, y



@dataclass
class AugmentReport:
    """Counts an augmenter can attach to ``report_`` after a call (e.g. inputs that could not change)."""

    n_inputs: int = 0
    n_outputs: int = 0
    n_unchanged: int = 0
    n_dropped: int = 0
    details: dict | None = None


def warn_unchanged(aug: Augmenter, n_unchanged: int, n_total: int, why: str = "") -> None:
    if n_unchanged:
        warnings.warn(
            f"{type(aug).__name__}: {n_unchanged} of {n_total} inputs could not be changed{(' (' + why + ')') if why else ''}",
            RuntimeWarning,
            stacklevel=3,
        )


def ensure_callable(fn: Any, name: str) -> Callable:
    if not callable(fn):
        raise TypeError(f"{name} must be callable, got {type(fn).__name__}")
    return fn


def _register_compositions() -> None:
    from .registry import register

    register("sequential")(Sequential)
    register("one_of")(OneOf)
    register("some_of")(SomeOf)
    register("sometimes")(Sometimes)
    register("rand_augment")(RandAugment)


_register_compositions()
