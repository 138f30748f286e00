"""Adapter: any nlpaug augmenter as a multiaug text augmenter (composition, seeding, CLI, configs).

nlpaug draws from Python's global ``random`` and NumPy's global ``np.random``. The adapter draws one
seed per call from the instance's own generator, seeds those two global RNGs with it *inside a
save/restore of their state* around the nlpaug call, and puts the previous state back afterwards, so
the program's global streams are left as they were and a fresh instance with the same ``seed``
replays the same outputs.

What can be made deterministic, and what cannot:

* nlpaug augmenters that only use ``random``/``np.random`` (RandomWordAug, SynonymAug, SpellingAug,
  KeyboardAug, OcrAug, RandomCharAug, flows of those, ...) replay exactly, **single-threaded**: another
  thread drawing from the global RNGs during the call changes the result, and nlpaug's own
  ``num_thread > 1`` is not used;
* model-based augmenters (ContextualWordEmbsAug, BackTranslationAug, ...) also draw from torch's global
  RNG, which the adapter does not seed (seeding it would touch CUDA state): they are not reproducible
  here (and they download models, which multiaug never does at run time).

Configs: ``aug`` given as a class name (``"RandomWordAug"``, ``"nlpaug.augmenter.word.RandomWordAug"``,
``"nlpaug.flow.Sequential"``) plus ``aug_params`` (JSON-able keyword arguments) round-trips through
``to_config``/the CLI. An augmenter *object* works in the library, but ``to_config`` cannot describe it
and raises ``TypeError``. Only classes under the ``nlpaug`` package can be named.
"""
from __future__ import annotations

import contextlib
import importlib
import json
import random
from typing import Any, Iterator

import numpy as np
import torch

from ..core import Params
from ..core.constraints import InstanceOf, InvalidParameterError, Satisfies
from ..registry import register
from .base import TextAugmenter

_SEARCH = ("nlpaug.augmenter.word", "nlpaug.augmenter.char", "nlpaug.augmenter.sentence", "nlpaug.flow")


@contextlib.contextmanager
def global_rng_guard(seed: int | None = None) -> Iterator[None]:
    """Save Python's and NumPy's global RNG states, optionally seed both, and restore them on exit."""
    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        if seed is not None:
            random.seed(seed)
            np.random.seed(seed)
        yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def resolve_nlpaug_class(name: str) -> type:
    """The nlpaug class named ``name`` (short name or dotted path inside the ``nlpaug`` package)."""
    with global_rng_guard():  # importing nlpaug modules draws from the global RNG
        return _resolve(name)


def _nlpaug_installed() -> bool:
    """Whether the ``nlpaug`` package itself imports (a missing submodule is a bad class name)."""
    try:
        return hasattr(importlib.import_module("nlpaug"), "__path__")
    except ImportError:
        return False


def _resolve(name: str) -> type:
    if not isinstance(name, str) or not name:
        raise TypeError(f"aug must be an nlpaug augmenter or its class name, got {name!r}")
    if "." in name:
        if not name.startswith("nlpaug."):
            raise ValueError(f"aug: only classes from the nlpaug package can be named, got {name!r}")
        mod, _, cls = name.rpartition(".")
        candidates = [(mod, cls)]
    else:
        candidates = [(m, name) for m in _SEARCH]
    for mod, cls in candidates:
        try:
            obj = getattr(importlib.import_module(mod), cls, None)
        except ImportError as err:
            if mod == candidates[0][0] and mod.startswith("nlpaug.") and not _nlpaug_installed():
                raise ImportError("NlpaugAugmenter needs nlpaug: pip install nlpaug") from err
            continue
        if isinstance(obj, type):
            return obj
    raise ValueError(f"aug: no nlpaug class {name!r} (looked in {', '.join(m for m, _ in candidates)})")


@register("nlpaug")
class NlpaugAugmenter(TextAugmenter):
    """Wrap an nlpaug augmenter (object, or class name + ``aug_params``) as a multiaug augmenter.

    ``aug``: an nlpaug augmenter/flow object, or a class name such as ``"RandomWordAug"`` or
    ``"nlpaug.augmenter.char.KeyboardAug"``; ``aug_params``: keyword arguments for that class. One
    output per input; nlpaug's global-RNG draws are seeded per call from this instance's generator
    inside a save/restore of the global state (reproducible single-threaded; see the module doc).
    Inputs nlpaug returns unchanged are counted and reported. Labels are unchanged."""

    def __init__(self, aug: Any = "nlpaug.augmenter.word.RandomWordAug", aug_params: dict | None = None, **kwargs: Any):
        self.aug = aug
        self.aug_params = aug_params
        super().__init__(**kwargs)

    _parameter_constraints = {
        "aug": [Satisfies(lambda a: isinstance(a, str) or callable(getattr(a, "augment", None)),
                          "an nlpaug augmenter (with .augment) or a class name")],
        "aug_params": [None, InstanceOf(dict, "a dict of keyword arguments")],
    }

    def _check_extra(self) -> None:
        if isinstance(self.aug, str):
            resolve_nlpaug_class(self.aug)
        elif self.aug_params:
            raise InvalidParameterError("NlpaugAugmenter: aug_params only applies when aug is a class name, not an augmenter object")

    def _built(self) -> Any:
        if not isinstance(self.aug, str):
            return self.aug
        key = (self.aug, json.dumps(self.aug_params or {}, sort_keys=True, default=str))
        cached = self.__dict__.get("_built_aug")
        if cached is None or cached[0] != key:
            cls = resolve_nlpaug_class(self.aug)
            try:
                obj = cls(**(self.aug_params or {}))
            except TypeError as err:
                raise ValueError(f"NlpaugAugmenter: cannot build {self.aug} with aug_params={self.aug_params!r}: {err}") from None
            cached = (key, obj)
            self.__dict__["_built_aug"] = cached
        return cached[1]

    def to_config(self) -> dict:
        if not isinstance(self.aug, str):
            raise TypeError(
                "NlpaugAugmenter.to_config: an nlpaug augmenter object cannot be written to a config; "
                "construct it as NlpaugAugmenter(aug='<nlpaug class name>', aug_params={...}) instead"
            )
        return super().to_config()

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("_built_aug", None)  # rebuilt on demand
        return state

    def _sample(self, x: list[str]) -> Params:
        g = self.generator("cpu")
        return {"seed": torch.randint(0, 2**31 - 1, (1,), generator=g)}

    def _apply(self, x: list[str], params: Params) -> list[str]:
        with global_rng_guard(int(params["seed"])):
            aug = self._built()  # building may draw from the global RNGs too
            out = aug.augment(list(x)) if x else []
            if not isinstance(out, list) or len(out) != len(x):
                out = []
                for s in x:
                    r = aug.augment(s)
                    out.append(r[0] if isinstance(r, list) and r else r if isinstance(r, str) else s)
        return [s if isinstance(s, str) else str(s) for s in out]
