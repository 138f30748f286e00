"""The variable-length contract of every time-series augmenter (``TimeSeriesAugmenter``, lengths=)."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug import registry
from tests.timeseries.contract_cases_timeseries import TINY_AUTOTCL

#: every registered time-series augmenter (a new one is held to the contract the moment it registers)
# the library's own (other test modules register test-only augmenters, e.g. tests/test_core.py)
NAMES = [n for n, cls in registry.items() if registry.modality_of(cls) == "timeseries" and cls.__module__.startswith("multiaug.")]
C = 2  # channels: AutoTCL is fitted once, on this many


def _walks(n: int, t: int, seed: int) -> torch.Tensor:
    return torch.randn(n, C, t, generator=torch.Generator().manual_seed(seed)).cumsum(-1)


def _padding(lengths: torch.Tensor, t: int) -> torch.Tensor:
    """``(N, C, T)`` bool: True on each series' padding (steps past its length)."""
    return (torch.arange(t)[None, :] >= lengths[:, None])[:, None, :].expand(len(lengths), C, t)


@functools.lru_cache(maxsize=None)
def _fitted(name: str):
    """One instance per augmenter; a learned one (AutoTCL) fitted once, on small equal-length series
    (its fit trains on whole series: lengths are for the calls)."""
    cls = registry.get(name)
    if not cls.learned:
        return registry.create(name, seed=0)
    return registry.create(name, seed=0, **TINY_AUTOTCL).fit(_walks(8, 24, 99))


def test_every_registered_time_series_augmenter_is_covered():
    assert len(NAMES) >= 17 and {"frequency_mask", "frequency_mix", "ts_mixup", "ts_cutmix", "autotcl"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_lengths_valid_part_ignores_the_padding_and_the_padding_comes_back(name, data):
    # docs/timeseries.md: with lengths each augmenter acts on each series' valid part and leaves its
    # padding as it was. FrequencyMask/FrequencyMix transformed the padded series and the mixing
    # augmenters read a partner's padding: the valid part changed with the fill value
    n = data.draw(st.integers(2, 5), label="n")
    t = data.draw(st.integers(8, 24), label="t")
    lengths = torch.tensor(data.draw(st.lists(st.integers(5, t), min_size=n, max_size=n), label="lengths"))
    fill = data.draw(st.sampled_from([1e3, -7.25, 0.5]), label="fill")
    dtype = data.draw(st.sampled_from([torch.float32, torch.float64]), label="dtype")
    seed = data.draw(st.integers(0, 2**16), label="seed")
    x = _walks(n, t, seed).to(dtype)
    y = np.arange(n) % 2
    pad = _padding(lengths, t)
    xa, xb = x.masked_fill(pad, 0.0), x.masked_fill(pad, fill)
    aug = _fitted(name)
    aug.reseed(seed)
    oa, ya = aug(xa, y, lengths=lengths)
    aug.reseed(seed)
    ob, yb = aug(xb, y, lengths=lengths)
    assert torch.equal(oa[~pad], ob[~pad])  # the valid part does not read the padding
    assert torch.equal(oa[pad], xa[pad]) and torch.equal(ob[pad], xb[pad])  # the padding comes back
    assert np.array_equal(np.asarray(ya), np.asarray(yb))  # nor do the mixed labels (FrequencyMix's energy share)


@pytest.mark.parametrize("name", NAMES)
def test_nan_padding_given_to_sample_and_apply_stays_in_the_padding(name):
    # the public call refuses NaN; sample/apply take it: no augmenter reads the padding, so the valid
    # steps stay finite (the spectral and mixing ones spread it) and the padding stays NaN
    n, t = 6, 20
    x = _walks(n, t, 0)
    lengths = torch.tensor([20, 6, 13, 9, 20, 7])
    pad = _padding(lengths, t)
    aug = _fitted(name)
    aug.reseed(0)
    xn = x.masked_fill(pad, float("nan"))
    out = aug.apply(xn, aug.sample(xn, lengths=lengths))
    assert torch.isfinite(out[~pad]).all() and out[pad].isnan().all()
