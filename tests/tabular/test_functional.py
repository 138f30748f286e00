import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.tabular import functional as F


def test_sample_beta_moments_and_range():
    g = torch.Generator().manual_seed(0)
    for a in (0.2, 0.5, 1.0, 2.0):
        lam = F.sample_beta(a, a, 20000, g)
        assert lam.dtype == torch.float32 and bool(((lam >= 0) & (lam <= 1)).all())
        assert abs(float(lam.mean()) - 0.5) < 0.02
        var = 1.0 / (4 * (2 * a + 1))
        assert abs(float(lam.var()) - var) < 0.1 * var + 0.003


@pytest.mark.parametrize("a", [1e-2, 1e-3, 1e-6, 1e-30])
def test_sample_beta_of_small_shapes_is_near_0_or_1_as_beta_is(a):
    # Gamma(a) = Gamma(a + 1) * U ** (1 / a) underflows to 0 for small a: both sides 0 gave 0.5 in a
    # quarter of the draws at a = 1e-3, where Beta(a, a) puts ~0.1% of its mass in [0.3, 0.7]
    from scipy.stats import beta

    lam = F.sample_beta(a, a, 20000, torch.Generator().manual_seed(1)).double()
    middle = float(((lam > 0.3) & (lam < 0.7)).double().mean())
    expected = beta(a, a).cdf(0.7) - beta(a, a).cdf(0.3)
    assert middle <= expected + 4 * np.sqrt(max(expected, 1e-4) / 20000)
    assert abs(float((lam > 0.5).double().mean()) - 0.5) < 0.02  # symmetric: 0 and 1 equally often
    assert bool(((lam >= 0) & (lam <= 1)).all())


def test_sample_beta_replays_with_same_generator():
    a = F.sample_beta(0.4, 0.4, 50, torch.Generator().manual_seed(3))
    b = F.sample_beta(0.4, 0.4, 50, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 60), d=st.integers(1, 6), k=st.integers(1, 5), chunk=st.integers(1, 70), seed=st.integers(0, 10_000))
def test_knn_matches_brute_force(n, d, k, chunk, seed):
    k = min(k, n - 1)
    x = torch.randn(n, d, generator=torch.Generator().manual_seed(seed))
    dist, idx = F.knn(x, k, chunk_size=chunk)
    full = torch.cdist(x, x) ** 2
    full.fill_diagonal_(float("inf"))
    ref = full.topk(k, largest=False).values
    assert idx.shape == (n, k)
    assert not bool((idx == torch.arange(n)[:, None]).any())
    np.testing.assert_allclose(dist.numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(full.gather(1, idx).numpy(), ref.numpy(), rtol=1e-4, atol=1e-4)


def test_knn_query_and_bad_k():
    ref = torch.randn(10, 3)
    q = torch.randn(4, 3)
    _, idx = F.knn(ref, 3, query=q)
    assert idx.shape == (4, 3)
    with pytest.raises(ValueError, match="k must be"):
        F.knn(ref, 10)


def test_draw_partners_among_neighbours_stays_within_k():
    nbr = torch.arange(20).reshape(4, 5)
    k = torch.tensor([1, 2, 5, 3])
    u = torch.tensor([0.99, 0.99, 0.99, 0.0])
    p = F.draw_partners_among_neighbours(nbr, k, u)
    assert p.tolist() == [0, 6, 14, 15]


def test_mix_rows_hard_columns_and_nan():
    x = torch.tensor([[0.0, 1.0, float("nan")], [10.0, 2.0, 5.0]])
    partner = torch.tensor([1, 0])
    lam = torch.tensor([0.7, 0.7])
    hard = torch.tensor([False, True, False])
    out = F.mix_rows(x, partner, lam, hard)
    assert out[0, 0] == pytest.approx(3.0)
    assert out[0, 1] == 1.0 and out[1, 1] == 2.0  # larger weight = own side
    assert torch.isnan(out[0, 2]) and out[1, 2] == 5.0


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 20), k=st.integers(1, 5), seed=st.integers(0, 1000))
def test_mix_targets_keeps_probability_mass(n, k, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.softmax(torch.randn(n, k, generator=g), 1)
    lam = torch.rand(n, generator=g)
    out = F.mix_targets(y, torch.randperm(n, generator=g), lam)
    assert torch.allclose(out.sum(1), torch.ones(n), atol=1e-5)
    assert bool((out >= 0).all())
