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


# ---- series too short for an augmenter (fewer valid steps than its min_length) ------------------------

def _unchanged_warnings(fn, *args, **kwargs):
    import warnings

    from multiaug.core import UnchangedWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args, **kwargs)
    return out, [w.message for w in caught if isinstance(w.message, UnchangedWarning)]


@pytest.mark.parametrize("name", NAMES)
def test_a_series_too_short_is_left_as_it_is_and_the_others_are_augmented(name):
    # the time maps (min_length 2) refused the whole batch ("lengths: series of 1 valid steps are too
    # short"), and a CLI run over a file with it; now a 1-step series comes back as it was, counted, and
    # the others get the draws they get when it is long enough (the draws do not depend on the lengths)
    n, t = 6, 20
    x = _walks(n, t, 1)
    short, longer = [20, 1, 13, 1, 20, 7], [20, 2, 13, 2, 20, 7]
    aug = _fitted(name)
    aug.reseed(3)
    out, caught = _unchanged_warnings(aug, x, lengths=short)
    rep = aug.report_
    aug.reseed(3)
    ref = aug(x, lengths=longer)
    pad = _padding(torch.tensor(short), t)
    assert torch.isfinite(out).all() and torch.equal(out[pad], x[pad])
    if aug.min_length < 2:  # nothing too short for it: as before
        assert caught == [] and (rep is None or rep.n_unchanged == 0)
        return
    rows = [0, 2, 4, 5]
    assert torch.equal(out[[1, 3]], x[[1, 3]]) and torch.equal(out[rows], ref[rows])
    (w,) = caught
    assert (w.name, w.n_unchanged, w.n_total) == (type(aug).__name__, 2, n)
    assert str(w).endswith(f"inputs could not be changed (series with fewer than {aug.min_length} valid steps "
                           "(lengths), returned as they are)")
    assert (rep.n_inputs, rep.n_outputs, rep.n_unchanged, rep.details["unchanged_index"]) == (n, n, 2, [1, 3])


def test_too_short_series_in_params_apply_mask_and_without_lengths():
    from multiaug.timeseries import Jitter, TimeWarp

    x = _walks(4, 12, 2)
    aug = TimeWarp(seed=0)
    params = aug.sample(x, lengths=[12, 1, 9, 12])
    assert params["too_short"].tolist() == [False, True, False, False] and params["active"].all()
    out, (w,) = _unchanged_warnings(aug.apply, x, params)
    assert torch.equal(out[1], x[1]) and w.n_unchanged == 1
    mask = torch.arange(12).expand(4, 12)
    moved = aug.apply_mask(mask, params)
    assert torch.equal(moved[1], mask[1]) and not torch.equal(moved[0], mask[0])
    # no series too short: the params keep their layout
    assert "too_short" not in TimeWarp(seed=0).sample(x, lengths=[12, 2, 9, 12])
    assert "too_short" not in Jitter(seed=0).sample(x, lengths=[12, 1, 9, 12])
    # all series too short with lengths: each left as it is; without lengths nothing could be augmented
    out, (w,) = _unchanged_warnings(TimeWarp(seed=0), x, lengths=[1, 1, 1, 1])
    assert torch.equal(out, x) and (w.n_unchanged, w.n_total) == (4, 4)
    with pytest.raises(ValueError, match=r"x: series of 1 time steps are too short for TimeWarp \(needs at least 2\)"):
        TimeWarp(seed=0)(x[:, :, :1])


def test_augment_fit_resample_and_balancing_report_the_series_too_short():
    from multiaug.timeseries import Permutation, TimeWarp

    x = _walks(6, 16, 4).numpy()
    y = np.array([0, 0, 0, 0, 1, 1])
    short, longer = [16, 1, 9, 1, 16, 5], [16, 2, 9, 2, 16, 5]
    aug = TimeWarp(seed=1)
    (xa, ya, src), caught = _unchanged_warnings(aug.augment, x, y, n_aug=3, lengths=short)
    (w,) = caught  # one warning for the three copies
    assert (w.n_unchanged, w.n_total) == (6, 18)
    rep = aug.report_
    assert (rep.n_inputs, rep.n_outputs, rep.n_unchanged, rep.details["unchanged_index"]) == (18, 18, 6, [1, 3] * 3)
    ref = TimeWarp(seed=1).augment(x, y, n_aug=3, lengths=longer)[0]
    keep = ~np.isin(src, [1, 3])
    assert np.array_equal(xa[~keep], x[src[~keep]]) and np.array_equal(xa[keep], ref[keep])
    # p < 1: only the drawn series count
    half = TimeWarp(seed=1, p=0.5)
    _, caught = _unchanged_warnings(half.augment, x, y, n_aug=4, lengths=short)
    assert half.report_.n_unchanged == sum(w.n_unchanged for w in caught) < 8
    fr = Permutation(seed=2)
    (xr, yr), (w,) = _unchanged_warnings(fr.fit_resample, x, y, lengths=short)
    assert np.array_equal(xr[6 + 1], x[1]) and fr.report_.n_unchanged == w.n_unchanged == 2
    # class balancing: the copies' rows named in the input's numbering
    bal = TimeWarp(seed=3, sampling_strategy={0: 6, 1: 6})
    (xb, yb, sb), _ = _unchanged_warnings(bal.augment, x, y, lengths=short)
    assert bal.report_.n_unchanged == int(np.isin(sb, [1, 3]).sum()) and set(bal.report_.details["unchanged_index"]) <= {1, 3}
    assert np.array_equal(xb[np.isin(sb, [1, 3])], x[sb[np.isin(sb, [1, 3])]])


def test_compositions_take_a_batch_with_a_series_too_short():
    from multiaug import OneOf, RandAugment, Sequential
    from multiaug.timeseries import Jitter, Reverse, TimeWarp, WindowWarp

    x = _walks(6, 16, 5)
    short, longer = [16, 1, 9, 1, 16, 5], [16, 2, 9, 2, 16, 5]
    rows = [0, 2, 4, 5]
    for make in (lambda: Sequential([TimeWarp(), Reverse(p=1.0)], seed=0),
                 lambda: OneOf([TimeWarp(), Reverse(), WindowWarp()], seed=0),
                 lambda: RandAugment([TimeWarp(), Reverse(), Jitter()], n=2, magnitude=0.5, seed=0)):
        out, caught = _unchanged_warnings(make(), x, lengths=short)
        assert torch.equal(out[rows], make()(x, lengths=longer)[rows]) and caught
        if not isinstance(make(), RandAugment):  # (RandAugment may draw Jitter, which changes them)
            assert torch.equal(out[[1, 3]], x[[1, 3]])
        (xa, _, src), caught = _unchanged_warnings(make().augment, x.numpy(), None, n_aug=2, lengths=short)
        assert xa.shape == (12, 2, 16) and caught


def test_a_file_run_goes_on_past_a_series_too_short(tmp_path):
    # one 1-step series stopped the whole run over the file (the batch holding it was refused)
    from multiaug.engines.local import augment_file
    from multiaug.timeseries import TimeWarp

    x = _walks(7, 12, 6).numpy()
    lengths = np.array([12, 1, 8, 12, 1, 5, 12])
    np.savez(tmp_path / "in.npz", x=x, y=np.arange(7) % 2, lengths=lengths)
    report = augment_file(TimeWarp(), tmp_path / "in.npz", tmp_path / "out.npz", seed=0, n_aug=2, batch_size=3,
                          progress=False)
    out = np.load(tmp_path / "out.npz")
    src, got = out["source_index"], out["x"]
    assert np.array_equal(out["lengths"], lengths[src]) and len(src) == 21
    assert all(np.array_equal(got[j], x[s]) for j, s in enumerate(src) if lengths[s] == 1)
    assert report.unchanged == 4
    assert any(w.startswith("TimeWarp: 4 of 14 inputs could not be changed (series with fewer than 2") for w in report.warnings)
