"""Kernels of multiaug.timeseries.functional: position maps, resampling, random draws."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.timeseries import functional as F

FAST = settings(max_examples=25, deadline=None)


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_resample_identity_and_dtypes():
    x = torch.randn(3, 2, 20)
    pos = torch.arange(20.0).expand(3, 20)
    assert torch.allclose(F.resample(x, pos), x, atol=1e-5)
    labels = torch.randint(0, 5, (3, 1, 20))
    out = F.resample(labels, pos + 0.4)
    assert out.dtype == labels.dtype and torch.equal(out, labels)
    with_half = F.resample(labels, pos + 0.6)
    assert torch.equal(with_half[:, :, :-1], labels[:, :, 1:])


def test_resample_linear_between_steps():
    x = torch.arange(10.0).view(1, 1, 10)
    pos = torch.tensor([[0.25, 3.5, 8.75]])
    assert torch.allclose(F.resample(x, pos), pos[:, None, :])


@FAST
@given(k=st.integers(1, 8), ratio=st.floats(1.0, 6.0), t=st.integers(2, 300), seed=st.integers(0, 100))
def test_time_warp_pos_is_monotone_and_keeps_ends(k, ratio, t, seed):
    speed = torch.exp(torch.rand(4, k + 1, generator=_gen(seed)) * torch.log(torch.tensor(ratio)))
    pos = F.time_warp_pos(speed, t)
    assert pos.shape == (4, t)
    assert (pos[:, 1:] >= pos[:, :-1] - 1e-5).all()
    assert torch.allclose(pos[:, 0], torch.zeros(4), atol=1e-4)
    assert torch.allclose(pos[:, -1], torch.full((4,), float(t - 1)), atol=1e-3)


@FAST
@given(t=st.integers(4, 200), width=st.floats(0.0, 1.0), speed=st.sampled_from([0.25, 0.5, 1.0, 2.0, 3.0]),
       seed=st.integers(0, 100))
def test_window_warp_pos_is_monotone(t, width, speed, seed):
    g = _gen(seed)
    w = torch.full((5,), width)
    start = torch.rand(5, generator=g) * (1 - w)
    pos = F.window_warp_pos(start, w, torch.full((5,), speed), t)
    assert (pos[:, 1:] >= pos[:, :-1] - 1e-4).all()
    assert pos.min() >= 0 and pos.max() <= t - 1 + 1e-4
    assert torch.allclose(pos[:, -1], torch.full((5,), float(t - 1)), atol=1e-3)


@FAST
@given(t=st.integers(2, 200), s=st.integers(1, 10), seed=st.integers(0, 100))
def test_permutation_pos_is_a_permutation(t, s, seed):
    s = min(s, t)
    g = _gen(seed)
    cuts = torch.rand(6, s - 1, generator=g).sort(dim=1).values
    order = torch.rand(6, s, generator=g).argsort(dim=1)
    pos = F.permutation_pos(cuts, order, t)
    assert torch.equal(pos.long().sort(dim=1).values, torch.arange(t).expand(6, t))


def test_variable_length_maps_stay_inside_each_series():
    lengths = torch.tensor([10, 4, 30])
    t = 30
    speed = torch.tensor([[1.0, 3.0, 1.0], [2.0, 1.0, 1.0], [1.0, 1.0, 1.0]])
    pos = F.time_warp_pos(speed, t, lengths)
    for i, n in enumerate(lengths.tolist()):
        assert pos[i, :n].max() <= n - 1 + 1e-4
        assert torch.equal(pos[i, n:], torch.arange(n, t, dtype=pos.dtype))
    rev = F.reverse_pos(3, t, lengths, torch.device("cpu"))
    assert torch.equal(rev[1, :4], torch.tensor([3.0, 2.0, 1.0, 0.0]))


def test_beta_and_gamma_draws_follow_their_law():
    g = _gen(3)
    for a, b in [(0.2, 0.2), (1.0, 1.0), (2.0, 5.0)]:
        s = F.draw_beta(a, b, 20000, g, "cpu")
        assert s.min() >= 0 and s.max() <= 1
        assert abs(s.mean().item() - a / (a + b)) < 0.02
    gam = F.draw_gamma(torch.full((20000,), 0.5), g)
    assert abs(gam.mean().item() - 0.5) < 0.03


@pytest.mark.parametrize("a", [0.02, 0.01])
def test_beta_with_a_small_shape_stays_symmetric(a):
    # both float32 gammas underflowed to 0 for small shapes, which gave lam = 0 (the partner only)
    # in a third of the draws: Beta(a, a) has mean 0.5, half its mass near 0 and half near 1
    s = F.draw_beta(a, a, 100000, _gen(4), "cpu")
    assert s.min() >= 0 and s.max() <= 1 and torch.isfinite(s).all()
    assert abs(s.mean().item() - 0.5) < 0.01
    assert abs((s < 0.5).float().mean().item() - 0.5) < 0.01


def test_smooth_curve_hits_end_knots():
    knots = torch.randn(2, 3, 5)
    curve = F.smooth_curve(knots, 101)
    assert torch.allclose(curve[:, :, 0], knots[:, :, 0], atol=1e-5)
    assert torch.allclose(curve[:, :, -1], knots[:, :, -1], atol=1e-5)


def test_rotation_matrices_are_orthogonal():
    rot = F.rotation_matrices(torch.randn(7, 3, 3, generator=_gen(1)), torch.rand(7, generator=_gen(2)) * 3)
    eye = torch.eye(3).expand(7, 3, 3)
    assert torch.allclose(rot @ rot.transpose(1, 2), eye, atol=1e-5)
    assert torch.allclose(torch.linalg.det(rot), torch.ones(7), atol=1e-5)


def test_mix_targets_soft_and_regression():
    perm = torch.tensor([1, 0, 2])
    lam = torch.tensor([0.7, 0.4, 1.0])
    soft = F.mix_targets(torch.tensor([0, 2, 1]), perm, lam, None)
    assert soft.shape == (3, 3) and torch.allclose(soft.sum(1), torch.ones(3))
    assert torch.allclose(soft[0], torch.tensor([0.7, 0.0, 0.3]))
    reg = F.mix_targets(torch.tensor([1.0, 3.0, 5.0]), perm, lam, None)
    assert torch.allclose(reg, torch.tensor([0.7 * 1 + 0.3 * 3, 0.4 * 3 + 0.6 * 1, 5.0]))


def test_mix_targets_float_class_ids_with_n_classes():
    perm = torch.tensor([1, 0, 2])
    lam = torch.tensor([0.7, 0.4, 1.0])
    soft = F.mix_targets(torch.tensor([0.0, 2.0, 1.0]), perm, lam, 3)
    assert torch.allclose(soft, F.mix_targets(torch.tensor([0, 2, 1]), perm, lam, 3))
    for bad in ([0.0, 2.5, 1.0], [0.0, 3.0, 1.0], [0.0, float("nan"), 1.0]):
        with pytest.raises(ValueError, match=r"y holds .*n_classes=3|y has missing labels"):
            F.mix_targets(torch.tensor(bad), perm, lam, 3)


@FAST
@given(t=st.integers(2, 60), s=st.integers(1, 8), seed=st.integers(0, 100))
def test_permutation_pos_matches_searchsorted_reference(t, s, seed):
    # the segment lookup is a scatter + running sum; it must agree with a plain searchsorted,
    # including empty segments (repeated cuts)
    s = min(s, t)
    g = _gen(seed)
    cuts = (torch.randint(0, 4, (5, s - 1), generator=g).float() / 4).sort(dim=1).values
    order = torch.rand(5, s, generator=g).argsort(dim=1)
    pos = F.permutation_pos(cuts, order, t)
    length = torch.full((5,), t)
    edges = torch.cat([torch.zeros(5, 1, dtype=torch.long), (cuts * t).round().long(), length[:, None]], 1)
    seg_len = edges[:, 1:] - edges[:, :-1]
    out_end = seg_len.gather(1, order).cumsum(1)
    ar = torch.arange(t).expand(5, t).contiguous()
    j = torch.searchsorted(out_end, ar, right=True).clamp(max=s - 1)
    ref = edges[:, :-1].gather(1, order.gather(1, j)) + ar - (out_end - seg_len.gather(1, order)).gather(1, j)
    assert torch.equal(pos.long(), ref)


def test_draw_bernoulli_rate_gaps_and_determinism():
    for rate in (0.0, 0.01, 0.1, 0.5, 1.0):
        m = F.draw_bernoulli((40, 3, 500), rate, _gen(1), "cpu")
        assert m.dtype == torch.bool and m.shape == (40, 3, 500)
        assert abs(m.float().mean().item() - rate) < 0.01
        assert torch.equal(m, F.draw_bernoulli((40, 3, 500), rate, _gen(1), "cpu"))
    # sparse path: gaps between drops are Geometric(rate) (mean 1/rate, variance (1-rate)/rate^2)
    m = F.draw_bernoulli((400000,), 0.05, _gen(2), "cpu")
    gaps = m.nonzero().flatten().diff().double()
    assert abs(gaps.mean().item() - 20.0) < 0.5
    assert abs(gaps.var().item() - 380.0) < 30.0
    first = torch.stack([F.draw_bernoulli((3,), 0.1, _gen(i), "cpu") for i in range(3000)]).double().mean(0)
    assert torch.allclose(first, torch.full((3,), 0.1, dtype=torch.float64), atol=0.025)


# ---- values computed another way (each one guards a kernel detail that a shape check misses) ----


def test_resample_linear_fallback_for_half_precision_matches_numpy_interp():
    """float16/bfloat16 take the gather path (grid_sample needs float32/64): checked against np.interp,
    positions on the last step and beyond both ends included."""
    import numpy as np

    t = 9
    base = np.array([0.0, 2.0, -1.0, 4.0, 3.0, 0.5, -2.0, 1.0, 6.0])
    pos = torch.tensor([[-3.0, 0.0, 0.25, 3.5, 7.75, 8.0, 11.0], [8.0, 6.5, 1.0, 0.5, 2.25, 7.0, 4.0]])
    for dtype in (torch.float16, torch.bfloat16):
        x = torch.tensor(np.stack([base, base[::-1].copy()]), dtype=dtype).view(2, 1, t)
        out = F.resample(x, pos).float()
        for i in range(2):
            want = np.interp(pos[i].numpy(), np.arange(t), x[i, 0].float().numpy())
            assert np.allclose(out[i, 0].numpy(), want, atol=2e-2), (dtype, i)


def test_smooth_curve_is_keys_cubic_not_linear():
    """Keys' cubic kernel (a = -0.75, as torch's bicubic) at a half step: knots (0, 1, 0, 0) give
    W(0.5) = 0.59375 between the 2nd and 3rd knot, where linear interpolation gives 0.5."""
    knots = torch.tensor([[[0.0, 1.0, 0.0, 0.0]]])
    curve = F.smooth_curve(knots, 7)  # steps at knot positions 0, 0.5, ..., 3
    assert torch.allclose(curve[0, 0, ::2], knots[0, 0], atol=1e-6)
    assert abs(float(curve[0, 0, 3]) - 0.59375) < 1e-5
    assert abs(float(F.linear_curve(knots, 7)[0, 0, 3]) - 0.5) < 1e-6


def test_magnitude_warp_with_full_lengths_equals_the_unpadded_path():
    g = _gen(3)
    x = torch.randn(5, 2, 50, generator=g)
    knots = 1 + 0.2 * torch.randn(5, 2, 4, generator=g)
    full = torch.full((5,), 50)
    assert torch.allclose(F.magnitude_warp(x, knots), F.magnitude_warp(x, knots, full), atol=1e-4)
    assert torch.allclose(F.drift(x, knots, torch.full((5, 2), 0.3)), F.drift(x, knots, torch.full((5, 2), 0.3), lengths=full),
                          atol=1e-4)


def test_drift_reaches_max_drift_times_range_per_series_and_channel_with_lengths():
    g = _gen(4)
    n, c, t = 6, 3, 40
    x = torch.randn(n, c, t, generator=g)
    knots = torch.cumsum(torch.randn(n, c, 5, generator=g), dim=2)
    max_drift = torch.rand(n, c, generator=g) * 0.5 + 0.1
    lengths = torch.tensor([40, 12, 25, 7, 33, 40])
    out = F.drift(x, knots, max_drift, normalize=True, lengths=lengths)
    for i, length in enumerate(lengths.tolist()):
        seg = x[i, :, :length]
        added = (out[i, :, :length] - seg).abs().amax(dim=1)
        rng = seg.amax(dim=1) - seg.amin(dim=1)
        assert torch.allclose(added, max_drift[i] * rng, rtol=1e-4, atol=1e-5), i
        assert torch.equal(out[i, :, length:], x[i, :, length:])
    raw = F.drift(x, knots, max_drift, normalize=False)
    assert torch.allclose((raw - x).abs().amax(dim=2), max_drift, rtol=1e-4)


def test_dropout_fills_zero_by_default():
    x = torch.ones(2, 1, 4)
    drop = torch.tensor([[[True, False, True, False]], [[False, False, False, True]]])
    assert F.dropout(x, drop).tolist() == [[[0.0, 1.0, 0.0, 1.0]], [[1.0, 1.0, 1.0, 0.0]]]
    assert F.dropout(x, drop, fill=-5.0)[0, 0, 0] == -5.0


def test_frequency_mix_lambda_is_each_series_energy_share_by_hand():
    import numpy as np

    g = _gen(5)
    x = torch.randn(4, 2, 16, generator=g, dtype=torch.float64)
    perm = torch.tensor([2, 0, 3, 1])
    keep = (torch.rand(4, 1, 9, generator=g) < 0.5)
    lam = F.frequency_mix_lambda(x, perm, keep)
    spec = np.fft.rfft(x.numpy(), axis=2)
    energy = (np.abs(spec) ** 2).sum(axis=1)  # (N, F)
    k = keep[:, 0].numpy()
    for i in range(4):
        own, part = energy[i][k[i]].sum(), energy[perm[i]][~k[i]].sum()
        assert abs(float(lam[i]) - own / (own + part)) < 1e-5


def test_position_maps_with_lengths_are_identity_on_the_padding_and_exact_inside():
    t = 20
    lengths = torch.tensor([20, 8, 13])
    ar = torch.arange(t, dtype=torch.float32)
    flat = F.time_warp_pos(torch.ones(3, 4), t, lengths)  # constant speed: the identity
    crop = F.crop_pos(torch.tensor([0.25, 0.5, 0.0]), torch.tensor([0.5, 0.5, 1.0]), t, lengths)
    rev = F.reverse_pos(3, t, lengths, torch.device("cpu"))
    for i, n in enumerate(lengths.tolist()):
        for pos in (flat, crop, rev):
            assert torch.equal(pos[i, n:], ar[n:]), i
        assert torch.allclose(flat[i, :n], ar[:n], atol=1e-3)
        span = n - 1
        want = (0.25 + 0.5 * ar[:n] / span) * span if i == 0 else (0.5 + 0.5 * ar[:n] / span) * span if i == 1 else ar[:n]
        assert torch.allclose(crop[i, :n], want, atol=1e-4), i
        assert torch.equal(rev[i, :n], span - ar[:n])


def test_unit_grid_maps_the_last_step_to_one():
    for t in (2, 3, 17):
        pos = F.crop_pos(torch.zeros(1), torch.ones(1), t)  # the whole series: the identity
        assert torch.allclose(pos[0], torch.arange(t, dtype=torch.float32), atol=1e-5)
        ww = F.window_warp_pos(torch.tensor([0.2]), torch.tensor([0.3]), torch.tensor([1.0]), t)
        assert torch.allclose(ww[0], torch.arange(t, dtype=torch.float32), atol=1e-4)


@pytest.mark.parametrize("costly_reads", [False, True])
def test_resample_float64_reads_whole_steps_exactly_and_interpolates_the_rest(costly_reads):
    """float64 goes through grid_sample (two gathers and a lerp cost 2-5x more) and then reads the
    whole-step positions exactly (grid_sample's normalised coordinates move them by ~1e-13): a few
    whole steps among fractional ones (the sparse fix), all whole, none; the device path (no host
    reads) gives the same values; gradients flow to the series."""
    from multiaug.core.hostreads import assume_costly_host_reads

    g = _gen(3)
    t = 37
    x = torch.randn(6, 3, t, generator=g, dtype=torch.float64) * 1e6
    frac = torch.rand(6, t, generator=g, dtype=torch.float64) * (t - 1)
    some = frac.clone()
    some[:, ::4] = some[:, ::4].floor()
    some[0, -1] = t - 1
    whole = torch.arange(t, dtype=torch.float64).flip(0).expand(6, t)
    ctx = assume_costly_host_reads if costly_reads else contextlib.nullcontext
    for pos in (some, frac, whole):
        xr = x.clone().requires_grad_()
        with ctx():
            out = F.resample(xr, pos)
        assert out.dtype == torch.float64 and out.shape == x.shape
        is_whole = (pos == pos.floor())[:, None, :].expand_as(out)
        idx = pos.round().long()[:, None, :].expand_as(out)
        assert torch.equal(out.detach()[is_whole], x.gather(2, idx)[is_whole])
        for i in range(6):
            for ch in range(3):
                want = np.interp(pos[i].numpy(), np.arange(t), x[i, ch].numpy())
                assert np.allclose(out[i, ch].detach().numpy(), want, rtol=0, atol=1e-6)
        out.sum().backward()
        assert torch.isclose(xr.grad.sum(), torch.tensor(float(out.numel()), dtype=torch.float64))


def _nan_padded(dtype, n=16, c=3, t=40, seed=0):
    """Walks NaN-padded past random lengths, and the same walks padded with their last valid value."""
    g = _gen(seed)
    x = torch.randn(n, c, t, generator=g).cumsum(-1).to(dtype)
    lengths = torch.randint(2, t, (n,), generator=g)
    lengths[0] = t  # one series without padding
    pad = (torch.arange(t)[None, :] >= lengths[:, None])[:, None, :].expand(n, c, t)
    last = x.gather(2, (lengths - 1)[:, None, None].expand(n, c, 1)).expand(n, c, t)
    return x.masked_fill(pad, float("nan")), torch.where(pad, last, x), lengths, pad


@pytest.mark.parametrize("costly_reads", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
def test_resample_with_lengths_reads_no_nan_of_the_padding(dtype, costly_reads):
    # at the last valid step linear interpolation also reads the first padding step with weight 0:
    # float32 (grid_sample) and half (two gathers and a lerp) gave 0 * NaN = NaN there
    from multiaug.core.hostreads import assume_costly_host_reads

    xn, xe, lengths, pad = _nan_padded(dtype)
    n, c, t = xn.shape
    span = (lengths - 1).to(torch.float64)[:, None]
    pos = (torch.rand(n, t, generator=_gen(1), dtype=torch.float64) * span).to(F.pos_dtype(xn))
    pos[:, :3] = span.to(pos.dtype)  # the last valid step itself
    ctx = assume_costly_host_reads if costly_reads else contextlib.nullcontext
    with ctx():
        out = F.resample(xn, pos, lengths=lengths)
        ref = F.resample(xe, pos, lengths=lengths)
    assert torch.isfinite(out).all()
    assert torch.equal(out, ref)  # as if padded with the last valid value
    assert torch.equal(F.resample(xe, pos), ref)  # finite padding: the same values as without lengths
    want = xe.gather(2, (lengths - 1)[:, None, None].expand(n, c, 3))
    exact = dtype != torch.float32  # float32: grid_sample's coordinates move a whole step by ~1 ulp
    assert torch.equal(out[:, :, :3], want) if exact else torch.allclose(out[:, :, :3], want, rtol=1e-6, atol=1e-6)
    if dtype == torch.float32:  # grad flows to the valid steps as without NaN
        xr = xe.clone().requires_grad_()
        F.resample(xr.masked_fill(pad, float("nan")), pos, lengths=lengths).sum().backward()
        assert torch.isfinite(xr.grad).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("name", ["time_warp", "window_warp", "window_slice", "crop_resize"])
def test_interpolating_warps_of_nan_padded_series_via_sample_and_apply(name, dtype):
    # the public call refuses NaN; sample/apply take it, and TimeWarp/WindowWarp put NaN on each
    # series' last valid step (float32, half)
    from multiaug import registry

    xn, xe, lengths, pad = _nan_padded(dtype, n=32)
    kw = {"reduce_ratio": 1.0} if name == "window_slice" else {}  # the window's end on the last valid step
    aug = registry.create(name, seed=0, **kw)
    params = aug.sample(xn, lengths=lengths)
    out = aug.apply(xn, params)
    assert torch.isfinite(out[~pad]).all() and out[pad].isnan().all()  # padding stays padding
    assert torch.equal(out[~pad], aug.apply(xe, params)[~pad])


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("with_lengths", [False, True])
def test_time_warp_pos_of_huge_speed_ratios_stays_finite(dtype, with_lengths):
    # only the speeds' ratios matter, but their float32 cumulative sum overflowed from a ratio of about
    # 1e36 (TimeWarp's max_speed_ratio may be up to float32's max): inf / inf gave NaN positions
    n, t = 8, 300
    u = torch.rand(n, 5, generator=_gen(0))
    u = (u - u.amin(1, keepdim=True)) / (u.amax(1, keepdim=True) - u.amin(1, keepdim=True))
    lengths = torch.randint(2, t + 1, (n,), generator=_gen(1)) if with_lengths else None
    last = (lengths if with_lengths else torch.full((n,), t)) - 1
    for ratio in (3.0, 1e36, 3.4e38):
        speed = torch.exp(u * torch.log(torch.tensor(ratio)))
        pos = F.time_warp_pos(speed, t, lengths, dtype=dtype)
        assert torch.isfinite(pos).all()
        assert (pos.diff(dim=1) >= 0).all() or with_lengths  # (with lengths the padding restarts at its step)
        valid = torch.arange(t)[None, :] <= last[:, None]
        assert (pos[valid] >= -1e-3).all() and (pos <= t - 1 + 1e-3).all()  # (ends: up to rounding)
        assert torch.allclose(pos.gather(1, last[:, None]), last[:, None].to(dtype), atol=1e-3)
    # speeds below the rescaling threshold are used as they are: the same map as before, bit for bit
    small = torch.exp(u * torch.log(torch.tensor(1e18)))
    ref = F.time_warp_pos(small * 1.0, t, lengths, dtype=dtype)
    assert torch.equal(F.time_warp_pos(small, t, lengths, dtype=dtype), ref)


@pytest.mark.parametrize("alpha", [1e-36, 1e-39, 1e-45, 1e-300])
def test_beta_with_shapes_below_float32_normals_gives_zero_or_one(alpha):
    # log(U) / alpha was -inf on both sides: -inf - -inf = NaN mixing weights (NaN series and labels)
    lam = F.draw_beta(alpha, alpha, 4000, _gen(0), "cpu")
    assert torch.isfinite(lam).all() and ((lam == 0) | (lam == 1)).all()
    assert abs(float(lam.mean()) - 0.5) < 0.05  # Beta(a, a) -> 0 or 1 with equal chance
    assert torch.equal(F.draw_beta(alpha, alpha, 4000, _gen(0), "cpu"), lam)


def test_window_warp_pos_is_the_piecewise_linear_warp():
    # the map, piece by piece: slope 1 / total before and after the window, speed times slower inside
    n, t = 64, 100
    g = _gen(4)
    width = torch.rand(n, generator=g, dtype=torch.float64) * 0.5
    start = torch.rand(n, generator=g, dtype=torch.float64) * (1 - width)
    speed = torch.tensor([0.25, 0.5, 2.0, 3.0], dtype=torch.float64)[torch.randint(0, 4, (n,), generator=g)]
    pos = F.window_warp_pos(start, width, speed, t)
    span = t - 1
    for i in range(n):
        a, w, s = float(start[i]) * span, float(width[i]) * span, float(speed[i])
        total = 1 + (s - 1) * float(width[i])
        v = np.arange(t) * total  # the warped axis
        want = np.interp(v, [0, a, a + s * w, span * total], [0, a, a + w, span])
        np.testing.assert_allclose(pos[i].numpy(), want, rtol=0, atol=1e-9)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_window_warp_scales_are_bounded_where_the_position_map_stays_exact(dtype):
    # beyond 100x (or 1/100) the float32 map lost precision (0.3 steps at 1e3) and overflowed to NaN
    # positions from ~1e38: those scales are refused, the bounds give finite increasing maps
    from multiaug.core.constraints import InvalidParameterError
    from multiaug.timeseries import WindowWarp

    x = torch.randn(4, 2, 512, generator=_gen(0)).cumsum(-1)
    for scales in ((1e38,), (1e-45,), (0.5, 1e3), (0.0,)):
        with pytest.raises(InvalidParameterError, match=r"scales must be a non-empty list of speed factors in \[0.01, 100\]"):
            WindowWarp(seed=0, scales=scales)(x)
    n, t = 16, 4096
    for ratio in (0.1, 0.5, 0.99):
        width = torch.full((n,), ratio)
        start = torch.rand(n, generator=_gen(2)) * (1 - width)
        for s in (0.01, 100.0):
            speed = torch.full((n,), s)
            pos = F.window_warp_pos(start, width, speed, t, dtype=dtype)
            exact = F.window_warp_pos(start, width, speed.double(), t, dtype=torch.float64)
            assert torch.isfinite(pos).all() and (pos.diff(dim=1) >= 0).all()
            assert float((pos.double() - exact).abs().max()) < 0.1  # of a step


def test_length_groups_read_the_lengths_once():
    # the groups need the distinct lengths on the host (FFT sizes, slices): one read of the lengths
    # (a device unique waited once more for its size, and its values and counts twice more)
    from multiaug.core.hostreads import assume_costly_host_reads, count_host_reads

    lengths = torch.tensor([7, 3, 7, 12, 3, 3, 9])
    with assume_costly_host_reads(), count_host_reads() as reads:
        groups = F.length_groups(lengths)
    assert reads.total == 1, reads.table()
    assert [n for n, _ in groups] == [3, 7, 9, 12]
    assert [rows.tolist() for _, rows in groups] == [[1, 4, 5], [0, 2], [6], [3]]


@pytest.mark.parametrize("groups", [1, 2, 5, 60])
@pytest.mark.parametrize("big", [False, True])
def test_by_length_gives_each_group_its_valid_steps_whatever_the_path(groups, big):
    # one length (no gather), few large groups (one gather per length) and many small ones (the batch
    # sorted by length once): the same result as a loop over the series
    g = torch.Generator().manual_seed(groups)
    n, c, t = (600, 2, 200) if big else (64, 3, 70)
    x = torch.randn(n, c, t, generator=g)
    values = torch.randperm(t - 1, generator=g)[:groups] + 2
    lengths = values[torch.randint(0, groups, (n,), generator=g)]
    scale = torch.rand(n, 1, 1, generator=g)
    calls = []

    def fn(length, xg, sg):
        calls.append((length, xg.shape[0]))
        assert xg.shape[2] == length
        return xg.flip(-1) * sg + length  # depends on the length, on each row's data and on its own scale

    out = F.by_length(x, lengths, fn, scale)
    want = x.clone()
    for i, m in enumerate(lengths.tolist()):
        want[i, :, :m] = x[i, :, :m].flip(-1) * scale[i] + m
    assert torch.equal(out, want)
    assert sorted(calls) == sorted((m, int((lengths == m).sum())) for m in lengths.unique().tolist())


def test_frequency_mix_transforms_each_length_once_per_call(monkeypatch):
    # sample draws lam from the spectra and apply mixes them: aug(x) used to compute them (and resample the
    # partners) twice, 4 FFTs per length instead of 2
    from multiaug.timeseries import FrequencyMix

    g = torch.Generator().manual_seed(0)
    x = torch.randn(40, 2, 64, generator=g)
    lengths = torch.randint(20, 65, (40,), generator=g)
    ffts = []
    real = torch.fft.rfft
    monkeypatch.setattr(torch.fft, "rfft", lambda *a, **k: ffts.append(1) or real(*a, **k))
    FrequencyMix(seed=0)(x, lengths=lengths)
    assert len(ffts) == 2 * len(lengths.unique())
    ffts.clear()
    FrequencyMix(seed=0)(x)
    assert len(ffts) == 1
    # the two-phase form called by hand computes them in each phase, so params replay on any batch
    aug = FrequencyMix(seed=0)
    params = aug.sample(x, lengths=lengths)
    other = x.flip(0)
    assert torch.equal(aug.apply(other, params), F.frequency_mix(other, params["perm"], params["keep"], lengths))


def test_partners_all_as_long_as_their_series_are_read_without_resampling(monkeypatch):
    # a batch of one valid length (a bucketed loader's) resampled every partner to its own length: the
    # identity, at the cost of a grid_sample pass over the batch (TSMixup 50 -> 22 ms, N=2000 C=3 T=512)
    from multiaug.timeseries import TSCutMix, TSMixup

    g = torch.Generator().manual_seed(0)
    x = torch.randn(30, 2, 40, generator=g)
    lengths = torch.full((30,), 25)
    passes = []
    real = torch.nn.functional.grid_sample
    monkeypatch.setattr(torch.nn.functional, "grid_sample", lambda *a, **k: passes.append(1) or real(*a, **k))
    perm = torch.randperm(30, generator=g)
    part = F.partner_series(x, perm, lengths)
    assert not passes and torch.equal(part[:, :, :25], x[perm, :, :25])
    for cls in (TSMixup, TSCutMix):
        out = cls(seed=0)(x, lengths=lengths)
        assert not passes and torch.equal(out[:, :, 25:], x[:, :, 25:])
    F.partner_series(x, perm, torch.randint(2, 41, (30,), generator=g))  # other lengths: resampled
    assert passes
