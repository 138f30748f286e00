"""Laws of the tabular augmenters over ~20,000 draws, recovered from their outputs.

Each law is checked with a KS (or chi-square) test, and the same draws must reject a wrong law, so
that the tests would catch an augmenter drawing from the wrong distribution."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from multiaug.tabular import CutMix, GaussianNoise, HidMix, Mixup
from tests.stats import EDGE, ks_beta  # noqa: F401

N = 20_000


def _partner_and_lam(aug_cls, x, y, **kw):
    """Run ``aug_cls(**kw, seed=0)`` on (x, y); a twin with the same seed gives the partners it used."""
    twin = aug_cls(**kw, seed=0)
    params = twin.sample(twin._to_internal(x)[0])
    out, y_out = aug_cls(**kw, seed=0)(x, y)
    return out, y_out, params["partner"]


def _lam_from_labels(y, y_out, partner):
    """lam = (y' - y[partner]) / (y - y[partner]) for the rows whose partner has another target."""
    y, y_out, yp = y.double(), torch.as_tensor(y_out).double(), y[partner].double()
    ok = partner != torch.arange(len(y))
    return ((y_out - yp)[ok] / (y - yp)[ok]).numpy()


@pytest.mark.parametrize("alpha", [0.4, 2.0])
def test_mixup_lambda_is_beta_alpha_alpha(alpha):
    y = torch.arange(N, dtype=torch.float32) / N
    x = torch.stack([y, 1 - y], 1)
    out, y_out, partner = _partner_and_lam(Mixup, x, y, alpha=alpha)
    lam = _lam_from_labels(y, y_out, partner)
    lam_x = ((out[:, 0] - x[partner, 0]) / (x[:, 0] - x[partner, 0]))[partner != torch.arange(N)].numpy()
    assert np.allclose(lam, lam_x, atol=2e-3), "features and targets must be mixed with the same lam"
    assert ks_beta(lam, alpha, alpha) > 1e-3
    assert ks_beta(lam, 2 * alpha, 2 * alpha) < 1e-6
    assert ks_beta(lam, 1, 1) < 1e-6


def test_cutmix_kept_share_is_beta_binomial():
    f, alpha = 8, 0.5
    x = torch.arange(N * f, dtype=torch.float32).view(N, f)  # every cell distinct
    y = torch.arange(N, dtype=torch.float32)
    out, y_out, partner = _partner_and_lam(CutMix, x, y, alpha=alpha)
    own = partner != torch.arange(N)
    kept = (out == x)[own].sum(1).numpy()
    assert ((out == x) | (out == x[partner])).all(), "each cell is the row's own or its partner's"
    lam = _lam_from_labels(y, y_out, partner)
    assert np.allclose(lam, kept / f, atol=1e-3), "the label weight is the share of columns kept"
    counts = np.bincount(kept, minlength=f + 1)

    def chi2(law):
        expected = law.pmf(np.arange(f + 1)) * len(kept)
        return stats.chisquare(counts, expected).pvalue

    assert chi2(stats.betabinom(f, alpha, alpha)) > 1e-3
    assert chi2(stats.betabinom(f, 2 * alpha, 2 * alpha)) < 1e-6
    assert chi2(stats.binom(f, 0.5)) < 1e-6


def test_hidmix_label_weight_is_the_beta_rate():
    beta, d = 0.5, 16
    h = torch.randn(N, 2, d, generator=torch.Generator().manual_seed(0))
    y = torch.arange(N, dtype=torch.float32) / N
    out, y_out, partner = _partner_and_lam(HidMix, h, y, beta=beta)
    lam = _lam_from_labels(y, y_out, partner)
    assert ks_beta(lam, beta, beta) > 1e-3
    assert ks_beta(lam, 2 * beta, 2 * beta) < 1e-6
    # and the dimensions kept follow the same rate: Binomial(D, lam) per row
    own = (partner != torch.arange(N)).numpy()
    kept = (out == h).all(1).sum(1).numpy()[own]
    assert abs(kept.mean() - d * lam.mean()) < 0.05 * d


def test_gaussian_noise_std_is_sigma_times_column_std():
    sigma = 0.2
    scales = torch.tensor([1.0, 10.0, 0.1, 3.0])
    x = torch.randn(N, 4, generator=torch.Generator().manual_seed(1)) * scales
    out = GaussianNoise(sigma=sigma, seed=0)(x)
    col_std = x.std(0, unbiased=False)
    z = ((out - x) / (sigma * col_std)).numpy()
    for j in range(4):
        assert abs(z[:, j].std() - 1.0) < 0.03, f"column {j}: noise std / (sigma * column std) = {z[:, j].std():.3f}"
        assert stats.kstest(z[:, j], stats.norm().cdf).pvalue > 1e-4
        assert stats.kstest(z[:, j], stats.norm(scale=1.1).cdf).pvalue < 1e-6
    # a fitted scale is the training data's, not the batch's
    aug = GaussianNoise(sigma=sigma, seed=0).fit(x * 2)
    z2 = ((aug(x) - x) / (sigma * 2 * col_std)).numpy()
    assert np.all(np.abs(z2.std(0) - 1.0) < 0.03)
