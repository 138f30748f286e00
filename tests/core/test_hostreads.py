"""Host reads (the points where a GPU run waits for the device), checked on the CPU.

``assume_costly_host_reads`` makes the library take its device code path on CPU tensors, and
``count_host_reads`` lists the reads it makes. The invariants: the contract machinery (p-gating,
compositions) reads nothing when every sample is drawn; no augmenter reads once per sample (its count
does not grow with the batch); the classic time-series kernels read nothing once the batch is checked.
"""
from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pytest
import torch

from multiaug import registry
from multiaug.core.hostreads import (
    all_true,
    assume_costly_host_reads,
    count_host_reads,
    host_reads_cheap,
    known_all_true,
    split_active,
)
from tests.test_contract import COMPOSITIONS, _build, _call, _case

MACHINERY = ("multiaug/core/base.py", "multiaug/core/handlers.py", "multiaug/core/compose.py")
ROUTING = {"one_of", "some_of", "rand_augment"}
# iterative algorithms: rejection passes (EdgeAdd), elimination rounds (SchurView, its batch form)
ROUNDS = {"edge_add", "schur_view"}
# model-based text augmenters: generate()/tokenizers read per token by design (see docs/gpu.md)
MODEL_TEXT = {"paraphrase", "contextual_substitution", "back_translation", "nlpaug"}


def _names():
    return [n for n in registry.names() if n not in MODEL_TEXT]


def _doubled(x):
    """The batch (or labels) twice over; None for a container this test does not know."""
    if isinstance(x, torch.Tensor):
        return torch.cat([x, x])
    if isinstance(x, np.ndarray):
        return np.concatenate([x, x])
    if isinstance(x, list):
        return x + x
    from torch_geometric.data import Batch

    if isinstance(x, Batch):
        return Batch.from_data_list(x.to_data_list() * 2)
    return None


def _reads(name, x, y, **extra):
    cls, params, _, _, fit = _case(name)
    names = cls._get_param_names()
    if "p" in names:
        params = {**params, "p": 1.0}
    aug = cls(**{**params, **extra}, seed=0, **({"device": "cpu"} if "device" in names else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if fit:
            aug.fit(x, y) if y is not None else aug.fit(x)
        call = (lambda: aug(x)) if y is None else (lambda: aug(x, y))
        call()  # first call: lazy tables, caches, child seeding
        with assume_costly_host_reads(), count_host_reads() as reads:
            call()
    return reads


def _inputs(name):
    _, _, make_x, make_y, _ = _case(name)
    return make_x(), make_y()


@pytest.mark.parametrize("name", _names())
def test_no_read_in_the_contract_machinery_when_every_sample_is_drawn(name):
    if name in ROUTING:
        pytest.skip("routes each sample to a child: one index per child (checked by the batch-size test)")
    x, y = _inputs(name)
    reads = _reads(name, x, y)
    bad = [s for s in reads.sites() if s.startswith(MACHINERY)]
    assert not bad, f"{name}: the contract machinery waits for the device at p=1:\n{reads.table()}"


@pytest.mark.parametrize("name", _names())
def test_reads_do_not_grow_with_the_batch(name):
    x, y = _inputs(name)
    x2, y2 = _doubled(x), (_doubled(y) if y is not None else None)
    if x2 is None or (y is not None and y2 is None):
        pytest.skip(f"no doubled batch for {type(x).__name__}")
    one, two = _reads(name, x, y), _reads(name, x2, y2)
    if name in ROUNDS:  # reads per pass: the number of passes follows the draws, not the number of samples
        assert two.total <= 2 * one.total + 2, f"{name}:\n{one.table()}\n---\n{two.table()}"
    else:
        assert two.total == one.total, f"{name}: a read per sample?\n{one.table()}\n--- doubled batch:\n{two.table()}"


def _classic_timeseries():
    return [n for n in registry.names() if registry.modality_of(registry.get(n)) == "timeseries"
            and not getattr(registry.get(n), "learned", False) and n not in COMPOSITIONS]


@pytest.mark.parametrize("name", _classic_timeseries())
def test_classic_timeseries_kernels_read_only_to_check_the_input(name):
    x = torch.cumsum(torch.randn(16, 3, 64, generator=torch.Generator().manual_seed(0)), -1)
    y = torch.arange(16) % 3
    reads = _reads(name, x, y, **({"n_classes": 3} if "n_classes" in registry.get(name)().get_params() else {}))
    sites = reads.sites()
    check = [s for s in sites if "all_finite" in s]
    labels = [s for s in sites if "labels" in s or "min_max(yt)" in s]  # the label range check
    assert len(check) == 1 and reads.total <= 1 + len(labels) <= 2, reads.table()


def test_counter_sees_value_reads_and_data_dependent_shapes():
    t = torch.arange(6.0)
    with assume_costly_host_reads(), count_host_reads() as r:
        t.sum().item()
        bool(t.any())
        int(t.max())
        torch.nonzero(t > 2)
        torch.unique(t)
        t[t > 2]  # boolean indexing hides a nonzero
        t[t > 2] = 0.0  # so does a boolean index_put_
        t.tolist()
    kinds = {k for k, _ in r.counts}
    assert {"item", "__bool__", "__int__", "nonzero", "_unique2", "tolist", "index(bool)", "index_put(bool)"} <= kinds
    assert r.total == 8, r.table()
    assert all(site.split(":")[0].endswith("test_hostreads.py") for site in r.sites())


def test_host_copies_and_plain_cpu_runs_are_not_counted():
    t = torch.arange(6.0)
    with count_host_reads() as r:  # not assumed costly: CPU tensors read for free
        t.sum().item()
        t.tolist()
    assert r.total == 0
    with assume_costly_host_reads(), count_host_reads() as r:
        h = t.cpu()  # the one read
        h.tolist()  # free: a host copy
        (h + 1).sum().item()  # computed from the copy: still on the host
        t.to("cpu").sum().item()  # counted once: to(cpu) of a CPU tensor is not a device copy, the item is
    assert r.total == 2, r.table()
    assert t.sum().item() == 15.0  # the original is not marked as a host copy
    with assume_costly_host_reads(), count_host_reads() as r:
        t.sum().item()
    assert r.total == 1


def test_costly_mode_is_scoped_to_the_block():
    assert host_reads_cheap("cpu") and host_reads_cheap(None)
    with assume_costly_host_reads():
        assert not host_reads_cheap("cpu")
    assert host_reads_cheap("cpu")
    assert not host_reads_cheap("meta")


def test_split_active_reads_at_most_once_and_never_for_all_true():
    m = all_true(5, "cpu")
    with assume_costly_host_reads(), count_host_reads() as r:
        assert split_active(m) == ("all", None)
    assert r.total == 0 and known_all_true(m)
    m[0] = False  # modified in place: no longer known
    assert not known_all_true(m)
    with assume_costly_host_reads(), count_host_reads() as r:
        state, idx = split_active(m)
    assert state == "some" and idx.tolist() == [1, 2, 3, 4] and r.total == 1
    assert split_active(torch.zeros(3, dtype=torch.bool))[0] == "none"
    assert split_active(torch.ones(3, dtype=torch.bool))[0] == "all"


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_device_path_gives_the_cpu_path_outputs(p):
    """The device path (compute then select, no shortcut) is the same function as the CPU path."""
    from multiaug import Sequential
    from multiaug.tabular import Mixup
    from multiaug.timeseries import Drift, Jitter, Reverse

    x = torch.cumsum(torch.randn(32, 2, 40, generator=torch.Generator().manual_seed(1)), -1)
    for make in (lambda: Jitter(sigma=0.3, p=p, seed=3), lambda: Reverse(p=p, seed=3),
                 lambda: Sequential([Drift(), Jitter()], p=p, seed=3)):
        a, b = make(), make()
        with assume_costly_host_reads():
            out_dev = a(x)
        assert torch.equal(b(x), out_dev)
    # Mixup draws lam differently on a device (see the next test): replay one draw through both paths
    xt = torch.randn(40, 4, generator=torch.Generator().manual_seed(2))
    yt = torch.arange(40) % 3
    a = Mixup(p=p, seed=5)
    params = a.sample(xt, yt)
    with assume_costly_host_reads():
        xa, ya = a.apply(xt, params), a.apply_labels(yt, params)
    xb, yb = a.apply(xt, params), a.apply_labels(yt, params)
    assert torch.equal(xa, xb) and torch.equal(torch.as_tensor(ya), torch.as_tensor(yb))


@pytest.mark.parametrize("shape", [0.3, 1.0, 4.0])
def test_gamma_draws_of_the_device_path_follow_gamma(shape):
    from scipy import stats

    from multiaug.tabular.functional import sample_gamma

    g = torch.Generator().manual_seed(0)
    with assume_costly_host_reads(), count_host_reads() as r:
        dev = sample_gamma(shape, 20_000, g, "cpu")
    cpu = sample_gamma(shape, 20_000, g, "cpu")
    assert r.total == 1, r.table()
    for draws in (dev, cpu):
        assert stats.kstest(draws.numpy(), stats.gamma(shape).cdf).pvalue > 1e-3


# draws that differ by design between the paths (same distribution, other stream): Beta/Gamma proposals
# in one shot on a device, Bernoulli by uniform comparison instead of the CPU's geometric gaps
STREAM_DIFFERS = {"mixup", "cutmix", "feat_mix", "hid_mix", "regmix", "ts_mixup", "ts_cutmix", "dropout"}


@pytest.mark.parametrize("name", [n for n in _names() if n not in STREAM_DIFFERS])
@pytest.mark.parametrize("p", [1.0, 0.5])
def test_device_path_equals_the_cpu_path_for_every_augmenter(name, p):
    """The code a GPU run takes (no shortcut reads; select instead of skip) computes what the CPU path
    computes, for every registered augmenter whose draws do not depend on the path."""
    cls = registry.get(name)
    if "p" not in cls._get_param_names() and p != 1.0:
        pytest.skip("no p")

    def run(costly: bool):
        aug, x, y = _build(name, seed=0, **({"p": p} if "p" in cls._get_param_names() else {}))  # fresh children
        with assume_costly_host_reads() if costly else contextlib.nullcontext():
            return _call(aug, x, y)

    from tests.conftest import outputs_equal

    assert outputs_equal(run(False), run(True)), f"{name}: the device path gives other outputs than the CPU path"


def test_host_item_reads_host_values_without_counting_and_refuses_device_tensors():
    from multiaug.core.hostreads import host_item

    g = torch.Generator().manual_seed(0)
    with assume_costly_host_reads(), count_host_reads() as r:
        v = host_item(torch.randint(0, 10, (1,), generator=g))
    assert isinstance(v, int) and r.total == 0
    with pytest.raises(ValueError, match="CPU tensor"):
        host_item(torch.zeros(1, device="meta"))
