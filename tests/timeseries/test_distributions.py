"""Laws of the time-series augmenters over ~20,000 draws, recovered from their outputs.

Each law is checked with a KS test (or a binomial bound), and the same draws must reject a wrong law."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from multiaug.timeseries import Drift, Dropout, FrequencyMask, Jitter, Scaling, TSCutMix, TSMixup
from tests.stats import EDGE, ks_beta  # noqa: F401

N = 20_000


def _series(n, c=1, t=32, seed=0):
    return torch.randn(n, c, t, generator=torch.Generator().manual_seed(seed))


def test_jitter_noise_is_normal_with_std_sigma():
    sigma = 0.3
    x = _series(N // 10, t=64)
    d = (Jitter(sigma=sigma, seed=0)(x) - x).flatten().numpy()
    assert stats.kstest(d, stats.norm(scale=sigma).cdf).pvalue > 1e-3
    assert stats.kstest(d, stats.norm(scale=1.1 * sigma).cdf).pvalue < 1e-6
    # a (low, high) sigma is drawn per series, uniformly
    per_series = (Jitter(sigma=(0.1, 0.5), seed=1)(x) - x).std(dim=(1, 2)).numpy()
    assert per_series.min() > 0.05 and per_series.max() < 0.6
    assert stats.kstest(per_series, stats.uniform(0.1, 0.4).cdf).pvalue > 1e-4


def test_scaling_factor_is_normal_around_one():
    sigma = 0.2
    x = torch.ones(N, 2, 8)
    f = Scaling(sigma=sigma, seed=0)(x)
    assert torch.equal(f, f[:, :, :1].expand_as(f)), "one factor per series and channel"
    v = f[:, :, 0].flatten().numpy()
    assert stats.kstest(v, stats.norm(1.0, sigma).cdf).pvalue > 1e-3
    assert stats.kstest(v, stats.norm(1.0, 2 * sigma).cdf).pvalue < 1e-6


def test_drift_peak_is_max_drift_times_channel_range():
    x = _series(2000, c=2, t=50)
    out = Drift(max_drift=0.5, seed=0)(x)
    d = out - x
    rng = x.amax(2) - x.amin(2)
    assert torch.allclose(d[:, :, 0], torch.zeros(2000, 2), atol=1e-5), "the trend starts at 0"
    assert torch.allclose(d.abs().amax(2), 0.5 * rng, rtol=1e-4, atol=1e-5)
    ratio = ((Drift(max_drift=(0.2, 0.8), seed=1)(x) - x).abs().amax(2) / rng)[:, 0].numpy()
    assert stats.kstest(ratio, stats.uniform(0.2, 0.6).cdf).pvalue > 1e-3
    assert stats.kstest(ratio, stats.uniform(0.2, 0.7).cdf).pvalue < 1e-6


@pytest.mark.parametrize("rate", [0.05, 0.3])
def test_dropout_rate_and_per_entry_independence(rate):
    n, c, t = 2000, 2, 50
    x = torch.rand(n, c, t) + 1.0  # never 0
    dropped = (Dropout(rate=rate, seed=0)(x) == 0).numpy()
    m = dropped.size
    assert abs(dropped.sum() - m * rate) <= 4 * math.sqrt(m * rate * (1 - rate))
    per_series = dropped.reshape(n, -1).sum(1)
    var = c * t * rate * (1 - rate)  # Binomial: one draw per entry, not one rate per batch/series
    assert abs(per_series.var() / var - 1) < 0.15
    whole = (Dropout(rate=rate, per_channel=False, seed=1)(x) == 0).numpy()
    assert (whole[:, 0] == whole[:, 1]).all(), "per_channel=False drops whole time steps"


def test_frequency_mask_masked_share_is_rate():
    rate, t = 0.3, 64
    x = _series(N // 10, c=2, t=t)
    out = FrequencyMask(rate=rate, seed=0)(x)
    fx, fo = torch.fft.rfft(x, dim=2), torch.fft.rfft(out, dim=2)
    # a kept bin comes back as it was (ratio ~1), a masked one as float32 round-off (~1e-6); a tight
    # threshold (1e-4 x the bin) mistook round-off for "kept" where the original bin is itself small
    # (thread-dependent FFT rounding), so the ratio is compared to 1/2
    masked = fo.abs() < 0.5 * fx.abs()
    assert not masked[:, :, 0].any(), "the mean (DC bin) is kept"
    assert torch.equal(masked[:, 0], masked[:, 1]), "one mask shared across channels"
    bins = masked[:, 0, 1:].numpy()
    m = bins.size
    assert abs(bins.sum() - m * rate) <= 4 * math.sqrt(m * rate * (1 - rate))
    kept = ~masked
    assert torch.allclose(fo[kept], fx[kept], atol=1e-3), "kept bins are unchanged"


def _lam_from_constant_series(aug_cls, **kw):
    x = torch.arange(N, dtype=torch.float32)[:, None, None].expand(N, 1, 40).contiguous()
    twin = aug_cls(**kw, seed=0)
    perm = twin.sample(x)["perm"]
    out = aug_cls(**kw, seed=0)(x)
    ok = perm != torch.arange(N)
    return out, x, perm, ok


@pytest.mark.parametrize("alpha", [0.2, 1.5])
def test_ts_mixup_lambda_is_beta_alpha_alpha(alpha):
    out, x, perm, ok = _lam_from_constant_series(TSMixup, alpha=alpha)
    lam = ((out[:, 0, 0] - x[perm, 0, 0]) / (x[:, 0, 0] - x[perm, 0, 0]))[ok].double().numpy()
    assert ks_beta(lam, alpha, alpha) > 1e-3
    assert ks_beta(lam, 2 * alpha, 2 * alpha) < 1e-6
    assert ks_beta(lam, 1, 1) < 1e-6


def test_ts_cutmix_cut_is_one_segment_of_beta_length():
    alpha, t = 0.5, 40
    out, x, perm, ok = _lam_from_constant_series(TSCutMix, alpha=alpha)
    cut = (out[:, 0] != x[:, 0])[ok]
    steps = cut.int().diff(dim=1).abs().sum(1) + cut[:, 0].int() + cut[:, -1].int()
    assert (steps <= 2).all(), "the pasted part is one contiguous segment"
    share = cut.float().mean(1).double().numpy()
    # 1 - lam ~ Beta(alpha, alpha), rounded to whole steps: compare on the grid of T steps
    grid = np.arange(t + 1)
    def chi2(law):
        exp = np.diff(law.cdf(np.r_[-np.inf, (grid[:-1] + 0.5) / t, np.inf])) * len(share)
        return stats.chisquare(np.bincount(np.round(share * t).astype(int), minlength=t + 1), exp).pvalue
    assert chi2(stats.beta(alpha, alpha)) > 1e-3
    assert chi2(stats.beta(2 * alpha, 2 * alpha)) < 1e-6
