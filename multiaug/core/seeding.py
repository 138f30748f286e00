"""Randomness: seeds from OS entropy, seed mixing, DataLoader-worker streams, and the per-instance
``torch.Generator`` streams that every augmenter owns (the :class:`RandomStreams` mixin).

The only state an augmenter keeps across calls besides its hyperparameters and fitted attributes is
its random stream; it lives in private keys of the instance ``__dict__`` (``_generators``,
``_rng_seed``, ``_rng_entropy``, ``_stream_for``, ``_stream_seed``, ``_stream_adopted``,
``_children_reseeded``, ``_seeded_children``, ``_seed_seen``), written only by the methods of this module's
:class:`RandomStreams` and by :class:`multiaug.core.compose.Composition`'s ``generator``. Read them
through :meth:`RandomStreams.stream_seed` and :meth:`RandomStreams.generator`.
"""
from __future__ import annotations

import copy
import os
from typing import Any

import numpy as np
import torch
from torch.utils.data import get_worker_info

from .hostreads import host_item

__all__ = ["fresh_seed", "mix_seeds", "worker_seed", "RandomStreams"]


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


# Salt for augmenters without a seed inside a worker (so that their streams differ from a seeded
# augmenter's whose seed happens to equal the counter).
_UNSEEDED_SALT = 0x6D756C7469617567  # "multiaug"
# worker seed -> number of unseeded augmenters that started a stream in this worker, in order of use
_UNSEEDED_IN_WORKER: dict[int, int] = {}


_NOT_SEEN = object()


def _seed_key(seed: Any) -> Any:
    """``seed`` compared by value (``np.int64(1)`` is ``1``); other values by ``repr``."""
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, (bool, np.bool_)):
        return int(seed)
    return None if seed is None else repr(seed)


class RandomStreams:
    """Mixin: this instance's random streams (one ``torch.Generator`` per device), seeded from the
    ``seed`` hyperparameter on first use, advancing across calls, copied and pickled with their state."""

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
        if self.__dict__.get("_seed_seen", _NOT_SEEN) is not self.seed:  # (the call only where it may act)
            self._follow_seed()
        device = torch.device(device)
        if device.type == "cpu":  # "cpu:0" is the CPU: one stream (two seeded alike would repeat draws)
            if device.index is not None:
                device = torch.device("cpu")
        elif device.type == "cuda" and device.index is None:
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


    def _follow_seed(self) -> None:
        """Restart the stream (:meth:`reseed` with None) when the ``seed`` hyperparameter was given
        another value (``set_params(seed=...)``, ``aug.seed = ...``) since the stream started: the new
        seed takes effect at the next draw, as a fresh instance with that seed would draw."""
        d = self.__dict__
        seen = d.get("_seed_seen", _NOT_SEEN)
        if seen is _NOT_SEEN:
            d["_seed_seen"] = self.seed
        elif seen is not self.seed and _seed_key(seen) != _seed_key(self.seed):
            self.reseed(None)

    def stream_seed(self) -> int:
        """The seed of this instance's stream outside DataLoader workers: ``seed``, the seed given to
        :meth:`reseed`, or one drawn from OS entropy on first use (then kept). Learned augmenters derive
        private streams (e.g. for fitting) from it so that sampling is not moved by them."""
        self._follow_seed()
        if self.__dict__.get("_rng_seed") is None:
            self.generator("cpu")
        seed = self.__dict__.get("_rng_seed")
        if seed is None:  # inside a worker before first use outside it
            seed = self.__dict__["_stream_seed"]
        return int(seed)

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

    def reseed(self, seed: int | None) -> "RandomStreams":
        """Restart the random stream from ``seed`` (the ``seed`` hyperparameter is left as it is).
        Inside a DataLoader worker the new stream is still mixed with the worker's seed.

        The same call replays the same stream whatever ran before: ``reseed(s)`` on a fresh or a used
        instance gives the same results, and ``reseed(None)`` puts the instance back as it was built
        (its stream restarts from ``seed``; a seeded composition seeds its children at first use)."""
        self.__dict__["_generators"] = {}
        self.__dict__["_seed_seen"] = self.seed  # a later change of ``seed`` restarts from it (_follow_seed)
        if seed is None:  # as a fresh instance: no stream started yet
            self.__dict__.pop("_rng_seed", None)
        else:
            self.__dict__["_rng_seed"] = int(seed)
        self.__dict__.pop("_rng_entropy", None)
        self.__dict__.pop("_stream_for", None)
        self.__dict__.pop("_stream_seed", None)
        self.__dict__.pop("_stream_adopted", None)
        # a composition seeds its children from its stream at first use (Composition.generator) unless
        # that was done: here the children's seeds are drawn below (int), or left to that first use (None)
        children = self._children()
        if seed is None or not children:
            self.__dict__.pop("_seeded_children", None)
        else:
            self.__dict__["_seeded_children"] = True
        for child in children:
            child.reseed(None if seed is None else host_item(torch.randint(0, 2**62, (1,), generator=self.generator())))
        self.__dict__["_children_reseeded"] = seed is not None
        return self

    def _children(self) -> list["RandomStreams"]:
        return []

    def _descendants(self):
        """This augmenter, then every augmenter inside it (depth first, in order)."""
        yield self
        for child in self._children():
            yield from child._descendants()

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        gens = state.pop("_generators", None) or {}
        # plain bytes, not tensors: a tensor made here would die as soon as pickling returns, and
        # torch's multiprocessing pickler (spawn/forkserver DataLoader workers) shares a CPU tensor's
        # storage through a file descriptor that closes with it, before the worker reads it
        state["_generator_states"] = {k: g.get_state().numpy().tobytes() for k, g in gens.items()}
        return state

    def __setstate__(self, state: dict) -> None:
        saved = state.pop("_generator_states", {}) or {}
        self.__dict__.update(state)
        gens = {}
        for key, st in saved.items():
            g = torch.Generator(device=torch.device(key))
            if not isinstance(st, torch.Tensor):  # bytes (see __getstate__); tensors from older pickles
                st = torch.frombuffer(bytearray(st), dtype=torch.uint8)
            g.set_state(st)
            gens[key] = g
        self.__dict__["_generators"] = gens

    def __deepcopy__(self, memo: dict) -> "RandomStreams":
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        new.__setstate__(copy.deepcopy(self.__getstate__(), memo))
        return new
