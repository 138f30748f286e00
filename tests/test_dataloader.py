"""Augmenters inside PyTorch DataLoader workers (real ``num_workers=2`` loaders).

Every item of the dataset is the same input, so two workers (or two epochs) produce the same outputs
exactly when they draw the same random numbers. Inside a worker an augmenter's stream is derived from
its ``seed`` and the worker's seed, so workers and epochs differ and ``torch.manual_seed`` (or the
loader's ``generator=``) reproduces the whole run, without a ``worker_init_fn``.
"""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, Dataset, get_worker_info
from torch_geometric.data import Data  # imported here, not in the workers (PyG's import takes seconds)

import multiaug
from multiaug.graph import EdgeDrop
from multiaug.text import EDA
from multiaug.timeseries import Jitter, Scaling

N_ITEMS = 8  # 2 workers x 2 batches of 2 items
SYN = {"quick": ["fast", "speedy", "rapid"], "brown": ["tan", "umber"], "lazy": ["idle", "slothful"],
       "dog": ["hound", "pup"], "jumps": ["leaps", "hops"], "fox": ["vixen"]}
SENTENCE = "the quick brown fox jumps over the lazy dog near the old river bank today"


def _graph():
    n = 20
    ring = torch.arange(n)
    src = torch.cat([ring, ring])
    dst = torch.cat([(ring + 1) % n, (ring + 7) % n])
    return Data(x=torch.arange(n, dtype=torch.float32)[:, None], edge_index=torch.stack([src, dst]))


class AugmentedItems(Dataset):
    """Module level, so it pickles under any multiprocessing start method."""

    def __init__(self, kind: str, aug):
        self.kind, self.aug = kind, aug

    def __len__(self) -> int:
        return N_ITEMS

    def __getitem__(self, i: int):
        info = get_worker_info()
        wid = -1 if info is None else info.id
        if self.kind == "series":
            out = self.aug(np.zeros((1, 1, 16), dtype=np.float32))[0]
            key = tuple(np.round(out.ravel(), 5).tolist())
        elif self.kind == "graph":
            out = self.aug(_graph())
            key = tuple(map(tuple, out.edge_index.t().tolist()))
        else:
            key = self.aug(SENTENCE)
        return wid, key


def keep(batch):
    return batch


def run(kind, aug, manual_seed, persistent=False, epochs=2, generator=None):
    """Outputs of every epoch: a tuple of (worker id, output fingerprint) per item, in dataset order."""
    torch.manual_seed(manual_seed)
    loader = DataLoader(AugmentedItems(kind, aug), batch_size=2, num_workers=2, collate_fn=keep,
                        persistent_workers=persistent, generator=generator)
    out = []
    for _ in range(epochs):
        out.append(tuple(item for batch in loader for item in batch))
    return out


def by_worker(epoch):
    w = {}
    for wid, key in epoch:
        w.setdefault(wid, []).append(key)
    return w


AUGS = {
    "series": lambda seed=0: Jitter(sigma=1.0, seed=seed),
    "graph": lambda seed=0: EdgeDrop(rate=0.5, seed=seed),
    "text": lambda seed=0: EDA(synonyms=SYN, seed=seed),
}


@pytest.fixture(autouse=True)
def _restore_torch_rng():
    state = torch.get_rng_state()
    yield
    torch.set_rng_state(state)


@pytest.mark.parametrize("kind", sorted(AUGS))
def test_non_persistent_workers_differ_epochs_differ_and_manual_seed_replays(kind):
    first = run(kind, AUGS[kind](), manual_seed=1)
    e1, e2 = first
    w = by_worker(e1)
    assert sorted(w) == [0, 1]
    assert w[0] != w[1], "both workers drew the same numbers"
    assert len(set(w[0])) > 1, "one worker repeated the same draw for every item"
    assert e1 != e2, "the second epoch repeated the first"
    assert run(kind, AUGS[kind](), manual_seed=1) == first
    assert run(kind, AUGS[kind](), manual_seed=2) != first


@pytest.mark.parametrize("kind", sorted(AUGS))
def test_persistent_workers_advance_across_epochs(kind):
    first = run(kind, AUGS[kind](), manual_seed=3, persistent=True)
    e1, e2 = first
    assert by_worker(e1)[0] != by_worker(e1)[1]
    assert e1 != e2, "persistent workers repeated their first epoch"
    assert run(kind, AUGS[kind](), manual_seed=3, persistent=True) == first


@pytest.mark.parametrize("kind", sorted(AUGS))
def test_unseeded_augmenter_is_reproducible_in_workers(kind):
    a = run(kind, AUGS[kind](seed=None), manual_seed=4, epochs=1)
    b = run(kind, AUGS[kind](seed=None), manual_seed=4, epochs=1)
    assert a == b
    w = by_worker(a[0])
    assert w[0] != w[1]


def test_seed_matters_in_workers():
    assert run("series", Jitter(sigma=1.0, seed=0), 5, epochs=1) != run("series", Jitter(sigma=1.0, seed=1), 5, epochs=1)


def test_loader_generator_reproduces_without_manual_seed():
    a = run("series", Jitter(sigma=1.0, seed=0), 6, epochs=1, generator=torch.Generator().manual_seed(42))
    b = run("series", Jitter(sigma=1.0, seed=0), 7, epochs=1, generator=torch.Generator().manual_seed(42))
    assert a == b


def test_composition_in_workers_does_not_depend_on_earlier_use_in_the_main_process():
    def make():
        return multiaug.Sequential([Jitter(sigma=1.0), multiaug.Sometimes(Scaling(sigma=0.5), p=0.5)], seed=0)

    fresh = run("series", make(), manual_seed=8)
    used = make()
    used(np.ones((4, 1, 16), dtype=np.float32))  # advances the streams in the main process
    assert run("series", used, manual_seed=8) == fresh
    w = by_worker(fresh[0])
    assert w[0] != w[1] and fresh[0] != fresh[1]


def test_main_process_stream_is_untouched_by_workers():
    aug = Jitter(sigma=1.0, seed=0)
    x = np.zeros((3, 1, 8), dtype=np.float32)
    expected = Jitter(sigma=1.0, seed=0)(x)
    run("series", aug, manual_seed=9, epochs=1)
    np.testing.assert_array_equal(aug(x), expected)


def test_used_augmenter_pickles_its_streams_as_bytes():
    """A used augmenter pickles its generator states as bytes: a tensor made in ``__getstate__`` dies
    when pickling returns, and with spawn torch shares it through a file descriptor that closes with it
    (the worker failed with "unable to resize file" / "bad value(s) in fds_to_keep")."""
    import copy
    import pickle

    aug = Jitter(sigma=1.0, seed=0)
    x = np.zeros((1, 1, 16), dtype=np.float32)
    aug(x)
    assert not any(isinstance(v, torch.Tensor) for v in aug.__getstate__()["_generator_states"].values())
    for again in (pickle.loads(pickle.dumps(aug)), copy.deepcopy(aug)):
        np.testing.assert_array_equal(again(x), copy.deepcopy(aug)(x))  # replays from where it was


@pytest.mark.slow  # ~35 s: spawn workers re-import torch and this module
def test_used_augmenter_pickles_for_spawn_workers():
    aug = Jitter(sigma=1.0, seed=0)
    x = np.zeros((1, 1, 16), dtype=np.float32)
    aug(x)
    torch.manual_seed(10)
    loader = DataLoader(AugmentedItems("series", aug), batch_size=2, num_workers=1, collate_fn=keep,
                        multiprocessing_context="spawn")
    items = [item for batch in loader for item in batch]
    assert len(items) == N_ITEMS and len({key for _, key in items}) > 1
    ref = Jitter(sigma=1.0, seed=0)
    ref(x)
    np.testing.assert_array_equal(aug(x), ref(x))  # the main process's stream went on where it was
