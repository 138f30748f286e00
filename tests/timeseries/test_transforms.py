"""Classic time-series augmenters: properties, variable lengths, paired masks, labels, bad input."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import multiaug
from multiaug import registry
from multiaug.timeseries import (
    CropResize,
    Drift,
    FrequencyMask,
    FrequencyMix,
    Jitter,
    Permutation,
    Reverse,
    Rotation,
    Scaling,
    TimeWarp,
    TSCutMix,
    TSMixup,
    WindowSlice,
    WindowWarp,
)
from multiaug.timeseries.base import TimeSeriesAugmenter
from tests.conftest import requires_cuda

CLASSIC = [n for n, c in registry.items() if issubclass(c, TimeSeriesAugmenter) and not c.learned]
WARPS = [n for n in CLASSIC if registry.get(n).warps_time]
FAST = settings(max_examples=15, deadline=None)


def _walks(n=6, c=2, t=50, seed=0) -> torch.Tensor:
    return torch.randn(n, c, t, generator=torch.Generator().manual_seed(seed)).cumsum(-1)


def test_all_expected_names_are_registered():
    expected = {"jitter", "scaling", "magnitude_warp", "time_warp", "window_slice", "window_warp", "permutation",
                "rotation", "frequency_mask", "frequency_mix", "drift", "dropout", "crop_resize", "reverse",
                "ts_mixup", "ts_cutmix", "autotcl"}
    assert expected <= set(registry.names())


@FAST
@pytest.mark.parametrize("name", CLASSIC)
@given(n=st.integers(1, 5), c=st.integers(1, 3), t=st.integers(10, 80), seed=st.integers(0, 2**31))
def test_shape_finite_and_seed_determinism(name, n, c, t, seed):
    x = torch.randn(n, c, t, generator=torch.Generator().manual_seed(seed % 1000)).cumsum(-1)
    a, b = registry.create(name, seed=seed), registry.create(name, seed=seed)
    if n == 1 and getattr(a, "mixes_samples", False):  # nothing to mix a single series with
        with pytest.raises(ValueError, match="at least 2 series"):
            a(x)
        return
    out = a(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    assert torch.isfinite(out).all()
    assert torch.equal(out, b(x))


@FAST
@pytest.mark.parametrize("name", WARPS)
@given(t=st.integers(10, 120), seed=st.integers(0, 10_000))
def test_warps_are_monotone_on_a_ramp(name, t, seed):
    if name in ("permutation", "reverse"):
        pytest.skip("segment shuffling and reversal are not meant to be monotone")
    ramp = torch.arange(float(t)).expand(4, 1, t).contiguous()
    out = registry.create(name, seed=seed)(ramp)
    assert (out[:, :, 1:] >= out[:, :, :-1] - 1e-4).all()
    assert out.min() >= -1e-4 and out.max() <= t - 1 + 1e-4


def test_one_draw_per_series():
    x = torch.zeros(64, 1, 40) + torch.arange(40.0)
    out = TimeWarp(seed=0)(x)
    assert len({tuple(r.round(decimals=3).tolist()) for r in out[:, 0]}) == 64
    sc = Scaling(seed=0).sample(torch.ones(64, 3, 10))["factor"]
    assert sc.shape == (64, 3) and sc.std() > 0


def test_successive_calls_differ_and_instances_replay():
    x = _walks()
    a = TimeWarp(seed=5)
    first, second = a(x), a(x)
    assert not torch.equal(first, second)
    b = TimeWarp(seed=5)
    assert torch.equal(b(x), first) and torch.equal(b(x), second)


# ---- variable lengths ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", CLASSIC)
def test_lengths_keep_padding(name):
    x = _walks(n=5, t=40)
    lengths = torch.tensor([40, 12, 25, 6, 39])
    out = registry.create(name, seed=1)(x, lengths=lengths)
    assert torch.isfinite(out).all()
    # every augmenter, the mixing ones too (they read the partner's steps, never write the padding)
    pad = (torch.arange(40)[None, :] >= lengths[:, None])[:, None, :].expand_as(x)
    assert torch.equal(out[pad], x[pad])


def test_lengths_warps_read_only_valid_steps():
    t = 30
    ramp = torch.arange(float(t)).expand(3, 1, t).contiguous()
    lengths = [30, 10, 5]
    for aug in (TimeWarp(seed=0), WindowWarp(seed=0), WindowSlice(seed=0), CropResize(seed=0), Reverse(p=1.0),
                Permutation(n_segments=3, seed=0)):
        out = aug(ramp, lengths=lengths)
        for i, n in enumerate(lengths):
            assert out[i, 0, :n].max() <= n - 1 + 1e-4, type(aug).__name__


def test_lengths_validation():
    x = _walks(n=3, t=20)
    with pytest.raises(ValueError, match="lengths"):
        Jitter()(x, lengths=[20, 30, 5])
    with pytest.raises(ValueError, match="lengths"):
        Jitter()(x, lengths=[20, 5])
    with pytest.raises(TypeError, match="lengths"):
        Jitter()(x, lengths=torch.tensor([1.5, 2.0, 3.0]))
    # a series of 1 valid step is left as it is (tests/timeseries/test_base.py), the batch is not refused
    with pytest.warns(RuntimeWarning, match=r"TimeWarp: 1 of 3 inputs could not be changed \(series with fewer than 2"):
        out = TimeWarp(seed=0)(x, lengths=[20, 1, 5])
    assert torch.equal(out[1], x[1]) and not torch.equal(out[0], x[0])


def test_lengths_accepts_array_likes_and_names_values_that_are_not_integers():
    pd = pytest.importorskip("pandas")
    x = _walks(n=3, t=20)
    ref = TimeWarp(seed=0)(x, lengths=[20, 5, 9])
    assert torch.equal(TimeWarp(seed=0)(x, lengths=pd.Series([20, 5, 9])), ref)  # a DataFrame column
    # strings used to fail inside torch.as_tensor, without naming lengths
    with pytest.raises(TypeError, match="lengths: expected integers"):
        Jitter()(x, lengths=["20", "5", "9"])
    with pytest.raises(TypeError, match="lengths: expected integers"):
        Jitter()(x, lengths=[20, None, 9])


def _padded_by_row(n=8, c=2, t=30, seed=0):
    """Walks padded at the end with a value that names the row (1000 + i): a copy's padding tells its source."""
    x = _walks(n=n, c=c, t=t, seed=seed)
    lengths = torch.tensor([t - 1, 10, 17, 25, 12, 29, 14, 21][:n])
    pad = torch.arange(t)[None, :] >= lengths[:, None]
    x = torch.where(pad[:, None, :], (1000.0 + torch.arange(n, dtype=x.dtype))[:, None, None], x)
    return x, lengths


@pytest.mark.parametrize("balance", [False, True])
@pytest.mark.parametrize("name", [n for n in CLASSIC if not getattr(registry.get(n), "mixes_samples", False)])
def test_fit_resample_with_lengths_keeps_each_copys_padding_and_label(name, balance):
    # fit_resample(X, y, lengths=...) was refused (its keywords went to fit only): the lengths now reach
    # the augmentation, per copy, with n_aug copies or with class balancing
    x, lengths = _padded_by_row()
    y = np.array([0, 0, 0, 0, 0, 1, 1, 2])
    kw = {"sampling_strategy": "auto"} if balance else {"n_aug": 2}
    Xr, yr = registry.create(name, seed=0, **kw).fit_resample(x, y, lengths=lengths.numpy())
    n = len(y)
    assert torch.equal(Xr[:n], x) and np.array_equal(yr[:n], y)
    if balance:
        assert np.bincount(yr).tolist() == [5, 5, 5]
    else:
        assert len(yr) == 3 * n
    for row, label in zip(Xr[n:], yr[n:]):
        src = int(row[0, -1].item()) - 1000  # every series is padded: its last step names its source
        assert 0 <= src < n and label == y[src]
        length = int(lengths[src])
        assert torch.equal(row[:, length:], x[src, :, length:])  # padding stays padding
        assert torch.isfinite(row).all()
        if registry.get(name).warps_time:  # a warp reads the valid steps only, never the padding
            assert row[:, :length].abs().max() < 500


def test_fit_resample_with_lengths_of_a_mixing_augmenter_keeps_each_series_padding():
    x, lengths = _padded_by_row()
    Xr, yr = TSMixup(seed=0).fit_resample(x, np.array([0, 1] * 4), lengths=lengths)
    for row in Xr[8:]:
        src = int(row[0, -1].item()) - 1000
        assert torch.equal(row[:, int(lengths[src]):], x[src, :, int(lengths[src]):])
    assert len(yr) == 16


def test_fit_resample_with_lengths_equals_augment_with_lengths():
    x, lengths = _padded_by_row()
    y = np.arange(8) % 2
    Xr, yr = TimeWarp(seed=3, n_aug=2).fit_resample(x.numpy(), y, lengths=lengths.tolist())
    Xa, ya, src = TimeWarp(seed=3, n_aug=2).augment(x.numpy(), y, lengths=lengths.tolist())
    assert np.array_equal(Xr[8:], Xa) and np.array_equal(yr[8:], ya) and np.array_equal(src, np.tile(np.arange(8), 2))


def test_fit_resample_names_keywords_it_does_not_take():
    x, lengths = _padded_by_row()
    y = np.arange(8) % 2
    # a misspelt keyword went to fit, which ignored it: the copies were augmented over the padding
    with pytest.raises(TypeError, match=r"Jitter.fit_resample: unexpected keyword argument\(s\) \['lenghts'\]; "
                                        r"it takes the call's lengths"):
        Jitter(seed=0).fit_resample(x, y, lenghts=lengths)
    with pytest.raises(ValueError, match=r"lengths: expected 8 integers"):
        Jitter(seed=0).fit_resample(x, y, lengths=[10, 5])
    with pytest.raises(ValueError, match=r"lengths: expected 8 integers \(one per series\), got \[10, 5\]"):
        multiaug.Sequential([Jitter(), Scaling()], seed=0).fit_resample(x, y, lengths=[10, 5])
    with pytest.raises(TypeError, match="lengths is not a fit argument.*fit_resample\\(X, y, lengths=lengths\\)"):
        TimeWarp(seed=0).fit(x, lengths=lengths)


@pytest.mark.parametrize("name", CLASSIC)
def test_params_replayed_on_another_batch_are_refused_by_name(name):
    x = _walks(n=4, t=20)
    aug = registry.create(name, seed=0)
    params = aug.sample(x)
    with pytest.raises(ValueError, match="x: params were drawn for 4 series, got 3"):
        aug.apply(x[:3], params)
    with pytest.raises(ValueError, match="mask: params were drawn for 4 series, got 5"):
        aug.apply_mask(torch.zeros(5, 20, dtype=torch.long), params)
    if aug.warps_time:  # a warp replayed on 25 steps used to return 20 of them
        with pytest.raises(ValueError, match="x: params were drawn for series of 20 time steps, got 25"):
            aug.apply(_walks(n=4, t=25), params)


@pytest.mark.parametrize("name", ["time_warp", "jitter", "ts_cutmix"])
def test_a_mask_with_time_not_last_is_refused(name):
    # channels-last users' (N, T, K) masks used to come back as (N, T, T) nonsense; then they were refused
    # without saying that sample/apply/apply_mask take time last whatever channels_last is, nor how to fix it
    x = _walks(n=3, c=4, t=20)
    aug = registry.create(name, seed=0, channels_last=True)
    params = aug.sample(x)  # the internal layout (N, C, T), also with channels_last=True
    for mask in (torch.zeros(3, 20, 2, dtype=torch.long), np.zeros((3, 20, 2), dtype=bool)):
        with pytest.raises(ValueError, match=r"mask: expected \(N, K, T\) with time last, got shape \(3, 20, 2\), "
                                             r"which looks channels-last \(N, T, K\) for the 20 time steps.*"
                                             r"channels_last=True tells only aug\(x\).*mask.transpose\(1, 2\)"):
            aug.apply_mask(mask, params)
    with pytest.raises(ValueError, match=r"mask: params were drawn for series of 20 time steps, got 3; a mask is \(N, T\) "
                                         r"or \(N, K, T\), time last, as sample/apply take series \(N, C, T\)"):
        aug.apply_mask(torch.zeros(3, 2, 3, dtype=torch.long), params)
    assert aug.apply_mask(torch.zeros(3, 2, 20, dtype=torch.long), params).shape == (3, 2, 20)
    assert aug.apply_mask(torch.zeros(3, 20, 20, dtype=torch.long), params).shape == (3, 20, 20)  # K == T: as given
    with pytest.raises(ValueError, match="rFFT|20 or 21 time steps, got 30"):
        FrequencyMix(seed=0).apply(_walks(n=6, t=30), FrequencyMix(seed=0).sample(_walks(n=6, t=20)))


@pytest.mark.parametrize("name", CLASSIC)
def test_sample_given_a_channels_last_batch_warns_and_says_to_transpose(name):
    # with channels_last=True, aug(x) takes (N, T, C) but sample/apply take time last: an (N, T, C) batch given
    # to sample was read as 40 channels of 3 steps (warped, masked, mixed along its channels), silently
    x_cl = _walks(n=4, c=3, t=40).transpose(1, 2)  # (N, T, C)
    kw = {"n_segments": 3} if name == "permutation" else {}  # (the (N, 40, 3) batch is read as 3 steps)
    aug = registry.create(name, seed=0, channels_last=True, **kw)
    with pytest.warns(RuntimeWarning, match=r"sample: x of shape \(4, 40, 3\) is read as \(N, C, T\) = 4 series of 40 "
                                            r"channels x 3 time steps, but this augmenter has channels_last=True.*"
                                            r"x.transpose\(1, 2\)") as rec:
        aug.sample(x_cl)
    assert len([w for w in rec if issubclass(w.category, RuntimeWarning)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aug = registry.create(name, seed=0, channels_last=True, **kw)
        params = aug.sample(x_cl.transpose(1, 2))  # the documented layout: no warning
        out = aug.apply(x_cl.transpose(1, 2), params).transpose(1, 2)
        # the same draws as aug(x_cl), through which the layout is the augmenter's: no warning either
        assert torch.equal(out, registry.create(name, seed=0, channels_last=True, **kw)(x_cl))
        registry.create(name, seed=0, channels_last=True, **kw)(_walks(n=4, c=40, t=3).transpose(1, 2))
        # without channels_last the rule of aug(x) (64+ channels, 8x the steps); a 40 x 3 batch is legit there
        registry.create(name, seed=0, **kw).sample(x_cl)
    with pytest.warns(RuntimeWarning, match=r"sample: x of shape \(4, 500, 3\).*if it is channels-last"):
        registry.create(name, seed=0, **kw).sample(_walks(n=4, c=3, t=500).transpose(1, 2))


def test_batches_that_are_provably_transposed_are_refused_saying_so():
    x = _walks(n=4, c=3, t=40)
    x_cl = x.transpose(1, 2)
    lengths = [40, 30, 20, 35]
    fix = r"x looks transposed, \(N, T, C\): sample, apply and apply_mask take time last.*x.transpose\(1, 2\)"
    # lengths of the time axis that fit the "channel" axis: the series were given channels-last
    with pytest.warns(RuntimeWarning), pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 3\].*" + fix):
        TimeWarp(seed=0, channels_last=True).sample(x_cl, lengths=lengths)
    # aug(x): the conversion is the augmenter's, so the fix is channels_last
    with pytest.raises(ValueError, match=r"\[1, 3\].*; if x is channels-last, \(N, T, C\), pass channels_last=True$"):
        TimeWarp(seed=0)(x_cl, lengths=lengths)
    with pytest.raises(ValueError, match=r"\[1, 3\].*x was read as channels-last.*leave channels_last False$"):
        TimeWarp(seed=0, channels_last=True)(x, lengths=lengths)
    # params drawn for the (N, C, T) batch, applied to its transpose
    for aug in (TimeWarp(seed=0), Scaling(seed=0), Rotation(seed=0), FrequencyMask(seed=0), TSCutMix(seed=0)):
        params = aug.sample(x)
        with pytest.raises(ValueError, match=r"params were drawn for .*; " + fix):
            aug.apply(x_cl, params)
    params = Jitter(seed=0).sample(x)
    with pytest.raises(ValueError, match="params were drawn for series of 40 time steps, got 30$"):
        Jitter(seed=0).apply(_walks(n=4, c=3, t=30), params)  # not a transpose: no hint


def test_lengths_with_p_below_one():
    x = _walks(n=40, t=30)
    lengths = torch.randint(5, 31, (40,), generator=torch.Generator().manual_seed(0))
    out = TimeWarp(p=0.5, seed=2)(x, lengths=lengths)
    changed = (out != x).flatten(1).any(1)
    assert 0 < changed.sum() < 40


# ---- paired masks (tsaug's Y) ------------------------------------------------------------------------


@pytest.mark.parametrize("name", WARPS)
def test_mask_replay_follows_the_series(name):
    t = 48
    ramp = torch.arange(float(t)).expand(5, 1, t).contiguous()
    seg = (torch.arange(t) // 8).expand(5, t).contiguous()  # segmentation labels
    aug = registry.create(name, seed=3, **({"p": 1.0} if name == "reverse" else {}))
    params = aug.sample(ramp)
    out = aug.apply(ramp, params)
    mask = aug.apply_mask(seg, params)
    assert mask.dtype == seg.dtype and mask.shape == seg.shape
    # the series is a ramp, so its value says where each output step was read from
    assert torch.equal(mask, (out[:, 0].round().long() // 8))
    # integer masks can also be replayed with apply() directly
    assert torch.equal(aug.apply(seg[:, None, :], params)[:, 0], mask)
    # numpy masks come back as numpy
    assert isinstance(aug.apply_mask(seg.numpy(), params), np.ndarray)


def test_mask_unchanged_by_value_augmenters_and_cut_by_cutmix():
    x = _walks(n=6, t=32)
    seg = torch.randint(0, 3, (6, 32), generator=torch.Generator().manual_seed(0))
    for aug in (Jitter(seed=0), Scaling(seed=0), Drift(seed=0), Rotation(seed=0)):
        assert torch.equal(aug.apply_mask(seg, aug.sample(x)), seg)
    cm = TSCutMix(seed=1)
    params = cm.sample(x)
    mixed = cm.apply_mask(seg, params)
    cut = params["cut"]
    assert torch.equal(mixed[cut], seg[params["perm"]][cut]) and torch.equal(mixed[~cut], seg[~cut])


@pytest.mark.parametrize("cls", [TSMixup, FrequencyMix])
def test_mixing_mask_keeps_each_series_padding(cls):
    # with lengths, a series mixed mostly from its partner keeps its own padding in the mask, as in
    # the values (the partner's labels must not appear past the series' own length), and reads the
    # partner's valid labels stretched over its own length (nearest step), as its values are
    n, t = 40, 16
    lengths = torch.randint(4, t + 1, (n,), generator=torch.Generator().manual_seed(0))
    x = torch.randn(n, 1, t, generator=torch.Generator().manual_seed(1))
    seg = (torch.arange(t) + 100 * torch.arange(n)[:, None]).contiguous()
    pad = torch.arange(t)[None, :] >= lengths[:, None]
    x[pad[:, None, :]] = 0.0
    seg[pad] = -1
    aug = cls(seed=0, **({"alpha": 0.2} if cls is TSMixup else {"rate": 0.9}))
    params = aug.sample(x, lengths=lengths)
    out, mask = aug.apply(x, params), aug.apply_mask(seg, params)
    take = params["lam"] < 0.5
    assert bool(take.any())  # some series are dominated by their partner
    assert torch.equal(out[pad[:, None, :]], x[pad[:, None, :]])
    assert torch.equal(mask[pad], seg[pad])
    inside = ~pad
    perm = params["perm"]
    last = (lengths[perm] - 1).float()[:, None]
    src = torch.minimum(torch.arange(t, dtype=torch.float32)[None, :] * (last / (lengths - 1).float()[:, None]), last)
    expect = torch.where(take[:, None], seg[perm].gather(1, src.round().long()), seg)
    assert torch.equal(mask[inside], expect[inside])
    assert (mask[inside] >= 0).all()  # never a partner's padding label


def test_mask_replay_with_p_below_one():
    x = torch.arange(30.0).expand(20, 1, 30).contiguous()
    seg = (torch.arange(30) // 5).expand(20, 30).contiguous()
    aug = TimeWarp(p=0.5, seed=0)
    params = aug.sample(x)
    out, mask = aug.apply(x, params), aug.apply_mask(seg, params)
    assert torch.equal(mask, out[:, 0].round().long() // 5)


# ---- labels ------------------------------------------------------------------------------------------


def test_cutmix_fit_resample_gives_a_tie_to_the_series_own_label():
    # series of 4 steps: a cut of 2 steps is lam = 0.5, half own and half partner; the hard label
    # fit_resample gives is the series' own (argmax gave every tie to class 0)
    x = torch.randn(200, 1, 4, generator=torch.Generator().manual_seed(0))
    y = np.array([0, 1] * 100)
    _, yr = TSCutMix(seed=0).fit_resample(x, y)
    _, soft, src = TSCutMix(seed=0).augment(x, y)
    tie = np.isclose(soft.max(1), 0.5)
    assert tie.sum() > 10
    np.testing.assert_array_equal(yr[200:][tie], y[src][tie])
    np.testing.assert_array_equal(yr[200:][~tie], soft[~tie].argmax(1))


@pytest.mark.parametrize("cls", [TSMixup, TSCutMix, FrequencyMix])
def test_mixing_gives_soft_targets_and_mixed_regression_values(cls):
    x = _walks(n=10)
    y = torch.arange(10) % 3
    out, soft = cls(seed=0)(x, y)
    assert soft.shape == (10, 3) and torch.allclose(soft.sum(1), torch.ones(10))
    assert (soft >= 0).all()
    aug = cls(seed=1)
    params = aug.sample(x)
    yr = torch.linspace(0, 1, 10)
    mixed = aug.apply_labels(yr, params)
    lam = params["lam"]
    assert torch.allclose(mixed, lam * yr + (1 - lam) * yr[params["perm"]], atol=1e-6)
    # numpy labels stay numpy; n_classes fixes K
    _, soft_np = cls(seed=0, n_classes=5)(x.numpy(), y.numpy())
    assert isinstance(soft_np, np.ndarray) and soft_np.shape == (10, 5)
    with pytest.raises(TypeError, match="y"):
        cls(seed=0)(x, np.array(["a", 1] * 5, dtype=object))  # labels of two unorderable types
    with pytest.raises(ValueError, match="y"):
        cls(seed=0)(x, np.array(["a", None] * 5, dtype=object))  # missing labels


@pytest.mark.parametrize("cls", [TSMixup, TSCutMix, FrequencyMix])
def test_mixing_numbers_named_classes_by_their_sorted_order(cls):
    # strings and negative class ids: column j is the j-th sorted class, as in tables (docs/contract.md)
    x = _walks(n=10).numpy()
    ids = np.arange(10) % 3
    _, ref = cls(seed=0)(x, ids)
    for named in (np.array(["a", "b", "c"])[ids], ids - 1, [["x", "y", "z"][i] for i in ids]):
        _, soft = cls(seed=0)(x, named)
        assert np.array_equal(soft, ref)
    X2, y2 = cls(seed=0).fit_resample(x, np.array(["a", "b", "c"])[ids])  # soft targets back to the names
    assert set(y2.tolist()) <= {"a", "b", "c"} and list(y2[:10]) == list(np.array(["a", "b", "c"])[ids])
    _, soft = multiaug.OneOf([cls(), cls()], seed=0)(x[:4], np.array(["a", "b", "c", "c"]))
    assert soft.shape == (4, 3)  # inside a composition: the whole batch's classes


@pytest.mark.parametrize("cls", [TSMixup, TSCutMix, FrequencyMix])
def test_mixing_takes_labels_in_a_pandas_series(cls):
    pd = pytest.importorskip("pandas")
    x = _walks(n=8).numpy()
    y = pd.Series([0, 1, 2, 0, 1, 2, 0, 1], name="label", index=range(10, 18))
    _, soft = cls(seed=0)(x, y)  # was TypeError: y must be a tensor, array or list, got Series
    _, ref = cls(seed=0)(x, y.to_numpy())
    assert isinstance(soft, np.ndarray) and soft.shape == (8, 3) and np.array_equal(soft, ref)
    _, soft_cat = cls(seed=0)(x, y.astype("category"))
    assert np.array_equal(soft_cat, ref)
    X2, y2 = cls(seed=0).fit_resample(x, y)
    assert X2.shape == (16, 2, 50) and len(y2) == 16 and set(np.asarray(y2).tolist()) <= {0, 1, 2}
    # regression values in a Series stay a Series with the same index and name, as in tables
    yr = pd.Series(np.linspace(0.0, 1.0, 8), name="t", index=range(10, 18))
    aug = cls(seed=1)
    params = aug.sample(torch.as_tensor(x))
    mixed = aug.apply_labels(yr, params)
    assert isinstance(mixed, pd.Series) and mixed.name == "t" and list(mixed.index) == list(yr.index)
    lam, perm = params["lam"].numpy(), params["perm"].numpy()
    assert np.allclose(mixed.to_numpy(), lam * yr.to_numpy() + (1 - lam) * yr.to_numpy()[perm], atol=1e-6)


def test_cutmix_lambda_matches_the_cut():
    x = _walks(n=8, t=40)
    params = TSCutMix(seed=0).sample(x)
    assert torch.allclose(params["lam"], 1 - params["cut"].float().mean(1))


def test_mixup_fit_resample_regression_and_classification():
    x = _walks(n=12).numpy()
    y = np.arange(12) % 2
    X2, y2 = TSMixup(seed=0, n_aug=2).fit_resample(x, y)
    assert X2.shape == (36, 2, 50) and y2.shape == (36,)
    X3, y3 = TSMixup(seed=0).fit_resample(x, np.linspace(0, 1, 12))
    assert X3.shape == (24, 2, 50) and y3.dtype.kind == "f"


@pytest.mark.parametrize("cls", [TSMixup, TSCutMix, FrequencyMix])
@pytest.mark.parametrize("as_", ["float64", "float32", "tensor", "list"])
def test_n_classes_reads_float_labels_as_class_ids(cls, as_):
    # class ids stored as floats (np.load, pandas): with n_classes they are classes, as integer labels are
    x = _walks(n=9).numpy()
    yi = np.arange(9) % 3
    y = {"float64": yi.astype(np.float64), "float32": yi.astype(np.float32), "tensor": torch.tensor(yi, dtype=torch.float32),
         "list": [float(v) for v in yi]}[as_]
    _, soft = cls(seed=0, n_classes=3)(x, y)
    _, ref = cls(seed=0, n_classes=3)(x, yi)
    soft = soft.numpy() if isinstance(soft, torch.Tensor) else soft
    assert soft.shape == (9, 3) and np.allclose(soft, ref)
    X2, y2 = cls(seed=0, n_classes=3, n_aug=2).fit_resample(x, y)
    y2 = np.asarray(y2)
    assert X2.shape == (27, 2, 50) and y2.shape == (27,)
    assert set(y2.tolist()) <= {0.0, 1.0, 2.0}  # class ids a classifier takes, not blends
    from sklearn.utils.multiclass import type_of_target

    assert type_of_target(y2) == "multiclass"  # what a classifier accepts (blends read as "continuous")


@pytest.mark.parametrize("bad", [2.5, 3.0, -1.0, float("inf")])
def test_n_classes_refuses_float_labels_that_are_not_class_ids(bad):
    x = _walks(n=6).numpy()
    y = np.array([0.0, 1.0, 2.0, 0.0, 1.0, bad])
    want = r"^TSMixup: y holds .* \(position 5\); with n_classes=3, y must hold class ids, integers in \[0, 3\)"
    with pytest.raises(ValueError, match=want):
        TSMixup(seed=0, n_classes=3)(x, y)
    with pytest.raises(ValueError, match=want):
        TSMixup(seed=0, n_classes=3).fit_resample(x, y)
    y[5] = np.nan
    with pytest.raises(ValueError, match=r"^TSMixup: y has missing labels \(NaN\): 1 of 6 missing at position \[5\]"):
        TSMixup(seed=0, n_classes=3)(x, y)


def test_float_targets_without_n_classes_stay_regression_values():
    x = _walks(n=6).numpy()
    y = np.array([0.0, 1.0, 2.0, 0.0, 1.0, 2.0])  # integral floats, but no n_classes: mixed as values
    aug = TSMixup(seed=0)
    params = aug.sample(torch.from_numpy(x))
    mixed = aug.apply_labels(y, params)
    lam, perm = params["lam"].numpy(), params["perm"].numpy()
    assert mixed.shape == (6,) and np.allclose(mixed, lam * y + (1 - lam) * y[perm], atol=1e-6)


# ---- specific behaviour ------------------------------------------------------------------------------


def test_rotation_keeps_the_norm_of_each_step_and_flips_univariate():
    x = torch.randn(5, 3, 20)
    out = Rotation(seed=0)(x)
    assert torch.allclose(out.norm(dim=1), x.norm(dim=1), atol=1e-4)
    uni = torch.randn(64, 1, 10)
    flipped = Rotation(seed=0)(uni)
    signs = (flipped / uni)[:, 0, 0]
    assert set(signs.round().tolist()) == {-1.0, 1.0}


def test_rotation_of_univariate_series_follows_max_angle():
    # a univariate series has no rotation but the identity: the sign flip is the nearest 1-D map to a rotation
    # past pi/2. Rotation(max_angle=0.1) (or RandAugment at a low magnitude) used to negate half the series
    uni = torch.randn(4000, 1, 10) + 5
    for angle in (0.0, 0.1, math.pi / 2):
        assert torch.equal(Rotation(max_angle=angle, seed=0)(uni), uni)
    assert torch.equal(multiaug.RandAugment([Rotation()], n=1, magnitude=0.0, seed=0)(uni), uni)
    for angle, share in ((2.5, 1 - math.pi / 5), (math.pi, 0.5)):
        signs = (Rotation(max_angle=angle, seed=0)(uni) / uni)[:, 0, 0]
        assert set(signs.round().tolist()) == {-1.0, 1.0}
        assert abs(float((signs < 0).float().mean()) - share) < 0.03


def test_permutation_is_a_rearrangement():
    x = _walks(n=4, t=30)
    out = Permutation(n_segments=4, seed=0)(x)
    assert torch.allclose(out.sort(dim=2).values, x.sort(dim=2).values)


def test_reverse_and_p():
    x = _walks(n=3)
    assert torch.equal(Reverse(p=1.0)(x), x.flip(-1))
    assert Reverse.param_defaults()["p"] == 0.5


def test_rand_augment_over_timeseries():
    ops = [registry.create(n) for n in CLASSIC if registry.get(n).magnitude_range or registry.get(n).magnitude_free]
    assert any(type(o).__name__ == "Reverse" for o in ops)
    ra = multiaug.RandAugment(ops, n=2, magnitude=0.7, seed=0)
    out = ra(_walks(n=16))
    assert out.shape == (16, 2, 50) and torch.isfinite(out).all()


# ---- input conventions and bad input -----------------------------------------------------------------


def test_input_shapes_and_types():
    aug = TimeWarp(seed=0)
    assert aug(torch.randn(40)).shape == (40,)
    assert aug(torch.randn(3, 40)).shape == (3, 40)
    out = aug(np.random.default_rng(0).normal(size=(3, 2, 40)).astype(np.float32))
    assert isinstance(out, np.ndarray) and out.dtype == np.float32
    cl = TimeWarp(seed=0, channels_last=True)
    assert cl(torch.randn(3, 40, 2)).shape == (3, 40, 2)
    assert cl(torch.randn(40, 2)).shape == (40, 2)
    ints = aug(torch.arange(40).expand(2, 40))
    assert ints.dtype == torch.float64  # integers wider than 16 bits are cast to float64
    assert aug(torch.arange(40, dtype=torch.int16).expand(2, 40)).dtype == torch.float32
    half = Jitter(seed=0)(torch.randn(2, 1, 16, dtype=torch.float64))
    assert half.dtype == torch.float64


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i4", ">i8"])
def test_arrays_in_the_other_byte_order_are_read_as_their_values(dtype):
    # big-endian arrays (FITS files, some HDF5/MATLAB exports) crashed in torch.from_numpy with "given numpy
    # array has byte order different from the native byte order"
    x = (np.random.default_rng(0).normal(size=(4, 2, 30)) * 100).astype(dtype)
    native = x.astype(x.dtype.newbyteorder("="))
    out = TimeWarp(seed=0)(x, lengths=[30, 20, 25, 30])
    assert np.array_equal(out, TimeWarp(seed=0)(native, lengths=[30, 20, 25, 30]))
    assert out.dtype == (x.dtype if x.dtype.kind == "f" else np.float64)  # floats keep their dtype, as any input
    Xr, yr = TSMixup(seed=0).fit_resample(x, np.array([0, 1, 0, 1]))
    assert np.array_equal(Xr[:4], native)  # the originals first, as they were


def _single_series(kind):
    """One series given alone: (T,) or channels-last (T, C), as an array or a tensor, and its settings."""
    x1 = np.sin(np.linspace(0, 6, 32)).astype(np.float32)
    x = x1 if kind.endswith("(T,)") else np.stack([x1, np.cos(x1)], axis=1)
    kw = {} if kind.endswith("(T,)") else {"channels_last": True}
    return (torch.from_numpy(x) if kind.startswith("tensor") else x), kw


SINGLE = ["numpy (T,)", "tensor (T,)", "numpy (T, C)", "tensor (T, C)"]


def _np(a):
    return a.numpy() if isinstance(a, torch.Tensor) else a


@pytest.mark.parametrize("kind", SINGLE)
def test_augment_of_a_single_series_gives_a_batch_of_copies(kind):
    x, kw = _single_series(kind)
    assert Jitter(seed=0, **kw)(x).shape == x.shape  # a call keeps the input's shape
    X, y, src = Jitter(seed=0, sigma=0.01, **kw).augment(x, [7], n_aug=3)
    assert type(X) is type(x) and X.dtype == x.dtype
    assert tuple(X.shape) == (3, *x.shape)  # one row per copy, never copies joined along time
    assert y == [7, 7, 7] and src.tolist() == [0, 0, 0]
    for row in _np(X):  # each row is a noisy copy of the series
        assert np.abs(row - _np(x)).max() < 0.1
    Xb, yb, sb = Jitter(seed=0, **kw).augment(x, np.array([7]), sampling_strategy={7: 3})
    assert tuple(Xb.shape) == (2, *x.shape) and yb.tolist() == [7, 7] and sb.tolist() == [0, 0]


@pytest.mark.parametrize("kind", SINGLE)
def test_fit_resample_of_a_single_series_gives_the_original_then_the_copies(kind):
    x, kw = _single_series(kind)
    X, y = Jitter(seed=0, n_aug=2, **kw).fit_resample(x, [1])
    assert type(X) is type(x) and tuple(X.shape) == (3, *x.shape) and y == [1, 1, 1]
    assert np.array_equal(_np(X)[0], _np(x))
    # one class, nothing to balance: the original alone, as a batch of one
    X0, y0 = Jitter(seed=0, sampling_strategy="auto", **kw).fit_resample(x, np.array([1]))
    assert tuple(X0.shape) == (1, *x.shape) and y0.tolist() == [1]
    assert np.array_equal(_np(X0)[0], _np(x))
    Xa, ya, sa = Jitter(seed=0, sampling_strategy="auto", **kw).augment(x, np.array([1]))
    assert tuple(Xa.shape) == (0, *x.shape) and len(ya) == 0 and len(sa) == 0


@pytest.mark.parametrize("kind", ["numpy (T,)", "tensor (T,)"])
def test_composition_of_a_univariate_single_series_gives_a_batch_of_copies(kind):
    x, kw = _single_series(kind)
    seq = multiaug.Sequential([Jitter(), Scaling()], seed=0)
    X, y, src = seq.augment(x, [0], n_aug=3)
    assert tuple(X.shape) == (3, *x.shape) and y == [0, 0, 0] and src.tolist() == [0, 0, 0]
    Xr, yr = multiaug.Sequential([Jitter(), Scaling()], seed=0).fit_resample(x, [0])
    assert tuple(Xr.shape) == (2, *x.shape) and yr == [0, 0]


@pytest.mark.parametrize("kind", ["numpy (T, C)", "tensor (T, C)"])
def test_composition_of_a_channels_last_single_series_gives_a_batch_of_copies(kind):
    x, kw = _single_series(kind)
    X, y, src = multiaug.Sequential([Jitter(**kw), Scaling(**kw)], seed=0).augment(x, [0], n_aug=3)
    assert tuple(X.shape) == (3, *x.shape) and src.tolist() == [0, 0, 0]
    Xr, yr = multiaug.Sequential([Jitter(**kw), Scaling(**kw)], seed=0).fit_resample(x, [0])
    assert tuple(Xr.shape) == (2, *x.shape) and yr == [0, 0]


@pytest.mark.parametrize("name", CLASSIC)
def test_bad_input_raises(name):
    aug = registry.create(name, seed=0)
    bad = _walks(n=2, t=20)
    bad[0, 0, 3] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        aug(bad)
    inf = _walks(n=2, t=20)
    inf[1, 1, 0] = float("inf")
    with pytest.raises(ValueError, match="NaN or inf"):
        aug(inf)
    with pytest.raises(ValueError, match="dimensions"):
        aug(torch.randn(2, 2, 2, 20))
    with pytest.raises(TypeError):
        aug([[1.0, 2.0]])


def test_a_list_of_series_or_a_dataframe_is_refused_saying_what_to_pass():
    # aeon/sktime give series of different lengths as a list of (C, T_i) arrays: "got list" did not say what to do
    ragged = [np.zeros((2, 30)), np.zeros((2, 20))]
    fix = r"of different lengths: pad each at the end to the longest and pass lengths="
    with pytest.raises(TypeError, match=r"got list; series of equal length: np.stack them; " + fix):
        Jitter(seed=0)(ragged)
    with pytest.raises(TypeError, match=r"got dtype object; .*" + fix):
        Jitter(seed=0)(np.array([np.zeros(3), np.zeros(2)], dtype=object))
    import pandas as pd

    with pytest.raises(TypeError, match=r"got DataFrame; a DataFrame of N series x T steps: pass df.to_numpy\(\)"):
        Jitter(seed=0)(pd.DataFrame(np.zeros((3, 5))))


def test_too_short_series_and_bad_hyperparameters():
    with pytest.raises(ValueError, match="too short"):
        TimeWarp()(torch.randn(3, 1, 1))
    for bad in (lambda: Jitter(sigma=-1), lambda: TimeWarp(max_speed_ratio=0.5), lambda: WindowSlice(reduce_ratio=0),
                lambda: WindowWarp(scales=()), lambda: TSMixup(alpha=0), lambda: Drift(max_drift=(0.5, 0.1)),
                lambda: Scaling(channels_last="yes")):
        aug = bad()  # stored unchecked (clone/set_params round-trip anything); checked at first use
        with pytest.raises((ValueError, TypeError), match=f"^{type(aug).__name__}: "):
            aug(torch.randn(2, 1, 8))


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("name", CLASSIC)
def test_runs_on_cuda(name):
    x = _walks(n=16, t=64).cuda()
    out = registry.create(name, seed=0)(x)
    assert out.device == x.device and out.shape == x.shape and torch.isfinite(out).all()
    assert torch.equal(out, registry.create(name, seed=0)(x))


def test_channels_last_looking_input_warns_once_per_call():
    x = np.random.default_rng(0).normal(size=(4, 500, 3)).astype(np.float32)  # (N, T, C) without channels_last
    with pytest.warns(RuntimeWarning, match=r"channels_last=True") as rec:
        Jitter(seed=0)(x)
    assert len([w for w in rec if issubclass(w.category, RuntimeWarning)]) == 1
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Jitter(seed=0, channels_last=True)(x)  # said so: no warning
        Jitter(seed=0)(np.zeros((4, 64, 32), np.float32))  # 64 channels of 32 steps: a legit batch
        Jitter(seed=0)(np.zeros((4, 12, 5), np.float32))


def test_single_channels_last_series_without_the_flag_warns_once_per_call():
    # one (T, C) series (a Dataset item of a 3-axis sensor) given as it is was read silently as T univariate
    # series of C steps, each "warped" along its channel values
    item = np.random.default_rng(0).normal(size=(500, 3)).cumsum(0)
    for call in (lambda a: a(item), lambda a: a.augment(item, None, n_aug=3)):
        with pytest.warns(RuntimeWarning, match=r"TimeWarp: x of shape \(500, 3\) is read as \(N, T\) = 500 univariate "
                                                r"series of 3 time steps; if it is one channels-last series \(T, C\), "
                                                r"pass channels_last=True") as rec:
            call(TimeWarp(seed=0))
        assert len([w for w in rec if issubclass(w.category, RuntimeWarning)]) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        TimeWarp(seed=0, channels_last=True)(item)  # said so: no warning
        Jitter(seed=0)(np.zeros((5000, 9), np.float32))  # univariate series of 9 steps or more: a batch
        Jitter(seed=0)(np.zeros((63, 3), np.float32))
        Jitter(seed=0)(torch.zeros(3, 500))  # (C, T) rows: read as series, as documented


def test_mixing_a_single_series_is_an_error_and_a_routed_one_is_its_own_partner():
    from multiaug import OneOf
    from multiaug.timeseries import FrequencyMix, TSCutMix, TSMixup

    for cls in (TSMixup, TSCutMix, FrequencyMix):
        with pytest.raises(ValueError, match=f"{cls.__name__}: a mixing augmenter needs at least 2 series"):
            cls(seed=0)(np.ones((1, 1, 16), np.float32))
        with pytest.raises(ValueError, match="at least 2 series"):
            cls(seed=0).augment(np.ones(16, np.float32))
    x = torch.randn(6, 1, 16)
    out = OneOf([TSMixup(), Jitter(sigma=0.0)], seed=0)(x)  # whatever the routing, never an error
    assert out.shape == x.shape


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("writeable", [True, False])
def test_numpy_outputs_are_fresh_arrays(p, writeable):
    # also when no series is drawn: writing to the output must never reach the caller's data
    x = np.zeros((4, 1, 16), dtype=np.float32)
    x.setflags(write=writeable)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "NumPy array is not writable" from torch either
        out = Jitter(p=p, seed=0)(x)
    assert not np.may_share_memory(out, x) and out.flags.writeable
    out[...] = 5.0
    assert (x == 0).all()


@pytest.mark.parametrize("t", [2, 50, 128, 1000])
def test_identity_settings_return_a_float64_series_exactly(t):
    # the position maps (and curves) were built in float32: on a float64 series WindowSlice(
    # reduce_ratio=1) moved values by ~3e-6; float64 series now get float64 maps, exact at identity
    from multiaug.timeseries import MagnitudeWarp

    g = torch.Generator().manual_seed(0)
    x = torch.randn(4, 3, t, generator=g, dtype=torch.float64)
    lengths = torch.tensor([t, max(t - 7, 2), max(t // 2, 2), 2])
    for aug in (WindowSlice(reduce_ratio=1.0, seed=0), CropResize(scale=(1.0, 1.0), seed=0),
                WindowWarp(window_ratio=0.0, seed=0), WindowWarp(scales=(1.0,), seed=0),
                TimeWarp(max_speed_ratio=1.0, seed=0), MagnitudeWarp(sigma=0.0, seed=0)):
        assert torch.equal(aug(x), x), aug
        assert torch.equal(aug(x, lengths=lengths), x), aug
        assert aug.sample(x)["pos" if aug.warps_time else "knots"].dtype in (torch.float64, torch.float32)
        if aug.warps_time:
            assert aug.sample(x)["pos"].dtype == torch.float64
            assert aug.sample(x.float())["pos"].dtype == torch.float32  # float32 series: float32 work


def test_float64_warps_still_warp_like_float32():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 2, 64, generator=g, dtype=torch.float64)
    for cls in (TimeWarp, WindowWarp, WindowSlice, CropResize, Permutation):
        a = cls(seed=3)(x)
        b = cls(seed=3)(x.float())
        assert not torch.equal(a, x)
        assert torch.allclose(a.float(), b, atol=1e-3), cls


def test_wide_integer_series_keep_their_values():
    # int64 series were cast to float32, exact only up to 2**24: a reversed series of counts around
    # 1e8 came back off by up to 4
    x = np.arange(100_000_001, 100_000_041, dtype=np.int64).reshape(2, 1, 20)
    out = Reverse(p=1.0, seed=0)(x)
    assert out.dtype == np.float64 and np.array_equal(out, x[:, :, ::-1])
    out = Permutation(seed=0, p=1.0)(torch.from_numpy(x.astype(np.int32)))
    assert out.dtype == torch.float64 and np.array_equal(np.sort(out.numpy(), axis=-1), x)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_spectral_augmenters_return_series_they_leave_alone_exactly(dtype):
    # FrequencyMask(rate=0) / FrequencyMix(rate=0) gave the series back through an FFT round trip,
    # off by ~1 ulp; a series whose bins are all kept (or all its own) is now returned exactly
    from multiaug.timeseries import FrequencyMask

    x = torch.randn(5, 3, 33, generator=torch.Generator().manual_seed(0), dtype=dtype)
    assert torch.equal(FrequencyMask(rate=0.0, seed=0)(x), x)
    assert torch.equal(FrequencyMix(rate=0.0, seed=0)(x), x)
    out = FrequencyMask(rate=0.5, seed=0)(x)
    assert not torch.equal(out, x)


def test_extreme_but_valid_shape_parameters_give_finite_outputs():
    # TimeWarp(max_speed_ratio=1e37) drew NaN position maps (float32 overflow in the integrated speed) and
    # TSMixup/TSCutMix(alpha=1e-40) NaN mixing weights: NaN series and labels, or cuts of garbage length
    x = _walks(n=8, t=64)
    y = np.arange(8) % 2
    lengths = torch.tensor([64, 40, 33, 64, 20, 50, 64, 12])
    for ratio in (1e37, 3.4e38):
        aug = TimeWarp(max_speed_ratio=ratio, seed=0)
        for kw in ({}, {"lengths": lengths}):
            assert torch.isfinite(aug.sample(x, **kw)["pos"]).all()
    for cls in (TSMixup, TSCutMix):
        out, soft = cls(alpha=1e-40, seed=0)(x, y)
        assert torch.isfinite(out).all() and np.isfinite(soft).all()
        lam = cls(alpha=1e-40, seed=0).sample(x)["lam"]
        assert ((lam == 0) | (lam == 1)).all()


_COMPOSITIONS = {
    "sequential": lambda: multiaug.Sequential([TimeWarp(), Jitter()], seed=0),
    "sequential_p": lambda: multiaug.Sequential([TimeWarp(), Jitter()], p=0.5, seed=1),
    "one_of": lambda: multiaug.OneOf([TimeWarp(), Scaling(), WindowWarp()], seed=2),
    "some_of": lambda: multiaug.SomeOf([TimeWarp(), Jitter(), Scaling()], n=(1, 2), seed=3),
    "sometimes": lambda: multiaug.Sometimes(WindowWarp(), seed=4),
    "rand_augment": lambda: multiaug.RandAugment([TimeWarp(), Jitter(), Scaling()], n=2, seed=5),
    "nested": lambda: multiaug.OneOf([multiaug.Sequential([TimeWarp(), Jitter()]), Scaling()], p=0.7, seed=6),
}


@pytest.mark.parametrize("name", sorted(_COMPOSITIONS))
def test_compositions_pass_lengths_to_each_child_for_its_share(name):
    # compositions refused lengths ("call the augmenters in turn"): each child now gets the lengths of
    # the series routed to it, so no padding is warped into a series, whatever the routing
    x, lengths = _padded_by_row()
    pad = torch.arange(x.shape[-1])[None, None, :] >= lengths[:, None, None]
    y = np.arange(8) % 2
    out = _COMPOSITIONS[name]()(x, lengths=lengths)
    assert torch.equal(out[pad.expand_as(x)], x[pad.expand_as(x)])  # every padding value where it was
    assert not torch.allclose(out, x)
    # copies keep their source's padding (augment, fit_resample, class balancing), tensors or lists
    X_aug, y_aug, src = _COMPOSITIONS[name]().augment(x, y, n_aug=3, lengths=lengths.tolist())
    assert torch.equal(X_aug[pad[src].expand_as(X_aug)], x[src][pad[src].expand_as(X_aug)])
    Xr, yr = _COMPOSITIONS[name]().fit_resample(x.numpy(), y, lengths=lengths.numpy())
    assert Xr.shape == (16,) + tuple(x.shape[1:])
    # the same seed gives the same output; lengths given once per call, checked for the whole batch
    assert torch.equal(_COMPOSITIONS[name]()(x, lengths=lengths), out)


def test_compositions_check_lengths_once_and_refuse_other_keywords_by_name():
    x, lengths = _padded_by_row()
    with pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 30\]"):
        multiaug.OneOf([Jitter(), Scaling()], p=0.5, seed=0)(x, lengths=lengths + 5)
    with pytest.raises(TypeError, match=r"Sequential: unexpected keyword argument\(s\) \['lenghts'\]; its children "
                                        r"\(timeseries\) take lengths"):
        multiaug.Sequential([Jitter()], seed=0)(x, lenghts=lengths)
    # a learned child refuses lengths in fit_resample inside a composition as it does alone
    from multiaug.timeseries import AutoTCL

    with pytest.raises(TypeError, match="AutoTCL.fit_resample: lengths would reach the augmentation but not fit"):
        multiaug.Sequential([AutoTCL(), Jitter()], seed=0).fit_resample(x, np.arange(8) % 2, lengths=lengths)


def test_permutation_cuts_a_series_shorter_than_n_segments_into_single_steps():
    # one series with fewer valid steps than n_segments refused the whole batch; now that series is cut into
    # one-step segments (a uniform permutation of its steps), its padding untouched, the others cut as before
    x = torch.arange(3 * 20, dtype=torch.float32).reshape(3, 1, 20)
    lengths = torch.tensor([20, 3, 12])
    seen = set()
    for seed in range(60):
        out = Permutation(n_segments=5, seed=seed)(x, lengths=lengths)
        assert torch.equal(out[1, 0, 3:], x[1, 0, 3:])  # padding
        assert sorted(out[1, 0, :3].tolist()) == [20.0, 21.0, 22.0]
        seen.add(tuple(out[1, 0, :3].tolist()))
        # the long series: as in a batch whose every series is long enough (the same draws)
        usual = Permutation(n_segments=5, seed=seed)(x, lengths=torch.tensor([20, 5, 12]))
        assert torch.equal(out[[0, 2]], usual[[0, 2]])
    assert len(seen) == 6  # every order of the 3 steps
    # equal-length series shorter than n_segments: the same rule (all their steps shuffled)
    out = Permutation(n_segments=10, seed=0)(torch.arange(10.0).reshape(2, 1, 5))
    assert sorted(out[0, 0].tolist()) == [0.0, 1.0, 2.0, 3.0, 4.0] and sorted(out[1, 0].tolist()) == [5.0, 6.0, 7.0, 8.0, 9.0]
    assert not torch.equal(out, torch.arange(10.0).reshape(2, 1, 5))


@pytest.mark.parametrize("cls", [TSMixup, TSCutMix, FrequencyMix])
def test_mixers_refuse_id_like_labels_and_unorderable_mixtures_before_allocating(cls):
    # y = [0, 10**12]: one soft-target column per integer up to the largest (a 14.6 TiB allocation attempt);
    # [1, "a"]: NumPy read the list as strings, so 1 became '1' (one class with a '1' beside it)
    x = _walks(n=4, t=20)
    with pytest.raises(ValueError, match=r"y holds the class label 1000000000000; .*LabelEncoder"):
        cls(seed=0)(x, [0, 10**12, 0, 3])
    with pytest.raises(TypeError, match=r"y mixes labels of types \['int', 'str'\]"):
        cls(seed=0)(x, [1, "a", 1, "a"])
    out, y = cls(seed=0)(x, [0, 2, 1, 2])  # ordinary class numbers: soft targets as before
    assert tuple(y.shape) == (4, 3)
    with pytest.raises(ValueError, match=r"n_classes=100000000000 asks for 100000000000 soft-target columns"):
        cls(n_classes=10**11, seed=0)(x, [0, 2, 1, 2])


def test_a_series_given_alone_takes_its_length_as_one_integer():
    # a Dataset's __getitem__ augments one series with its own length: lengths=8 was refused
    # ("expected 1 integers"), only lengths=[8] worked
    x = np.zeros(20, dtype=np.float32)
    x[:8] = np.arange(8)
    want = TimeWarp(seed=0)(x, lengths=[8])
    for length in (8, np.int64(8), np.array(8), torch.tensor(8)):
        assert np.array_equal(TimeWarp(seed=0)(x, lengths=length), want)
    assert np.array_equal(multiaug.Sequential([TimeWarp()], seed=0)(x, lengths=8)[8:], x[8:])
    for bad in (True, 8.0, np.array([8, 8])):
        with pytest.raises(ValueError, match=r"lengths: expected one integer \(the valid length of the series\)"):
            TimeWarp(seed=0)(x, lengths=bad)
    with pytest.raises(ValueError, match=r"lengths: expected 2 integers \(one per series\), got 8"):
        TimeWarp(seed=0)(np.zeros((2, 20), dtype=np.float32), lengths=8)
