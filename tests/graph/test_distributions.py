"""Distribution tests at the augmenter level (public calls, ~20,000 draws each, a few seconds in all).

Each check is a z-test at 4 standard errors (or an exact count where the parameter fixes it), and each
test shows that its check has power: the same data tested against a wrong parameter (a rate off by a
few points, a biased selection) is rejected, as tests/graph/test_schur.py does with biased samplers.
"""
from __future__ import annotations

import math

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from multiaug.graph import EdgeDrop, FeatureMask, FeatureNoise, NodeDrop, RandomWalkSubgraph, SchurView

Z = 4.0


def binomial_z(successes: int, trials: int, p: float) -> float:
    """Standard score of ``successes`` out of ``trials`` under Binomial(trials, p)."""
    if p <= 0 or p >= 1:
        return 0.0 if successes == round(trials * p) else math.inf
    return (successes - trials * p) / math.sqrt(trials * p * (1 - p))


def random_graph(n: int, m: int, seed: int, features: int = 4) -> Data:
    """An undirected graph with about ``m`` distinct undirected edges (both directions stored)."""
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, int(m * 1.1)), generator=g)
    ei, _ = remove_self_loops(ei)
    lo, hi = torch.minimum(ei[0], ei[1]), torch.maximum(ei[0], ei[1])
    ei = coalesce(torch.stack([lo, hi]), num_nodes=n)[:, :m]
    ei = to_undirected(ei, num_nodes=n)
    return Data(x=torch.rand(n, features, generator=g) + 1.0, edge_index=ei, num_nodes=n)


def undirected_count(edge_index: torch.Tensor) -> int:
    return int((edge_index[0] < edge_index[1]).sum())


# ---- EdgeDrop -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def edge_batch():
    return Batch.from_data_list([random_graph(4000, 20000, s) for s in range(4)])


def _edges_per_graph(b) -> list[int]:
    return [undirected_count(g.edge_index) for g in b.to_data_list()]


def test_edge_drop_rate_per_graph_within_binomial_bounds(edge_batch):
    before = _edges_per_graph(edge_batch)
    assert min(before) >= 19000
    out = EdgeDrop(rate=0.3, seed=0)(edge_batch)
    after = _edges_per_graph(out)
    assert out.edge_index.shape[1] == 2 * sum(after)  # both directions dropped together
    for m, k in zip(before, after):
        assert abs(binomial_z(k, m, 0.7)) < Z, (k, m)
        assert abs(binomial_z(k, m, 0.67)) > Z  # the check rejects a rate 3 points off
    # different rates per graph (replayed params): each graph follows its own rate
    aug = EdgeDrop(seed=1)
    params = aug.sample(edge_batch)
    rates = [0.1, 0.35, 0.6, 0.85]
    params["rate"] = torch.tensor(rates)
    after = _edges_per_graph(aug.apply(edge_batch, params))
    for m, k, r in zip(before, after, rates):
        assert abs(binomial_z(k, m, 1 - r)) < Z, (r, k, m)
        assert abs(binomial_z(k, m, 1 - r - 0.03)) > Z


def test_edge_drop_draws_the_edges_of_a_cycle_independently():
    # 4-cycles are where per-edge draws made as sums of per-node draws are tied (s4 = s1 - s2 + s3):
    # all four edges of a square went together about 3x as often as independent draws allow
    squares = 20000
    base = 4 * torch.arange(squares)
    a = base.repeat_interleave(4) + torch.arange(4).repeat(squares)
    b = base.repeat_interleave(4) + (torch.arange(4) + 1).remainder(4).repeat(squares)
    data = Data(edge_index=to_undirected(torch.stack([a, b]), num_nodes=4 * squares), num_nodes=4 * squares)
    out = EdgeDrop(rate=0.2, seed=0)(data)
    kept = out.edge_index[:, out.edge_index[0] < out.edge_index[1]]
    per_square = torch.bincount(torch.div(kept[0], 4, rounding_mode="floor"), minlength=squares)
    assert abs(binomial_z(int((per_square == 4).sum()), squares, 0.8**4)) < Z
    gone = int((per_square == 0).sum())
    assert abs(binomial_z(gone, squares, 0.2**4)) < Z, gone
    # the check has power: the tied draws (the sums themselves, the old kernel) fail it
    nd = torch.randint(-2**31, 2**31, (4 * squares,), generator=torch.Generator().manual_seed(0), dtype=torch.int64).to(torch.int32)
    lo, hi = torch.minimum(a, b), torch.maximum(a, b)
    tied_keep = (nd[lo] + nd[hi]) >= round(0.2 * 2**32 - 2**31)
    tied_gone = int((torch.bincount(torch.div(lo, 4, rounding_mode="floor"), weights=tied_keep.double(),
                                    minlength=squares) == 0).sum())
    assert binomial_z(tied_gone, squares, 0.2**4) > Z, tied_gone


def _chi2_z(counts: torch.Tensor, expected: torch.Tensor) -> float:
    """Chi-square of ``counts`` against ``expected`` as a standard score (Wilson-Hilferty)."""
    x, df = float(((counts - expected) ** 2 / expected).sum()), counts.numel() - 1
    return ((x / df) ** (1 / 3) - (1 - 2 / (9 * df))) / math.sqrt(2 / (9 * df))


@pytest.mark.parametrize("edges", [
    [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)],  # K4: three 4-cycles, four triangles
    [(0, 1), (1, 2), (2, 0), (1, 3), (3, 4), (4, 2)],  # a triangle and a square sharing an edge
    [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0)],  # a 6-cycle
], ids=["K4", "triangle+square", "hexagon"])
def test_edge_drop_draws_the_edges_of_overlapping_cycles_independently(edges):
    # EdgeDrop's edge draw hashes the sum of its endpoints' draws with a short mix (an xor-shift, then a
    # multiply): the joint keep pattern of every edge of a small structure must be that of independent draws
    copies, k = 20000, len(edges)
    n = 1 + max(max(e) for e in edges)
    e = torch.tensor(edges).t()
    base = (n * torch.arange(copies)).repeat_interleave(k)
    a, b = base + e[0].repeat(copies), base + e[1].repeat(copies)
    data = Data(edge_index=torch.stack([torch.cat([a, b]), torch.cat([b, a])]), num_nodes=n * copies)
    out = EdgeDrop(rate=0.5, seed=0)(data)
    kept = torch.isin(a * n * copies + b, out.edge_index[0] * n * copies + out.edge_index[1])
    patterns = (kept.view(copies, k).long() << torch.arange(k)).sum(1)
    expected = torch.full((2**k,), copies / 2**k, dtype=torch.float64)
    assert abs(_chi2_z(torch.bincount(patterns, minlength=2**k).double(), expected)) < Z
    # the check has power: the same mix in the other order (multiply, then xor-shift: the high bits a
    # threshold reads stay linear in the sum) ties the cycles again
    nd = torch.randint(-2**31, 2**31, (n * copies,), generator=torch.Generator().manual_seed(0), dtype=torch.int32)
    z = (nd[a] + nd[b]) * (0x85EBCA6B - (1 << 32))
    z ^= torch.bitwise_right_shift(z, 16).bitwise_and_(0xFFFF)
    tied = ((z >= 0).view(copies, k).long() << torch.arange(k)).sum(1)
    assert _chi2_z(torch.bincount(tied, minlength=2**k).double(), expected) > Z


def test_edge_drop_range_rate_is_drawn_per_graph():
    graphs = [random_graph(60, 200, s) for s in range(200)]
    b = Batch.from_data_list(graphs)
    before = _edges_per_graph(b)
    after = _edges_per_graph(EdgeDrop(rate=(0.2, 0.6), seed=0)(b))
    frac = torch.tensor([1 - k / m for m, k in zip(before, after)])
    # per-graph drop fractions spread over the range (a single rate for the batch would not)
    assert float(frac.std()) > 0.08 and float(frac.min()) < 0.3 and float(frac.max()) > 0.5
    # pooled count of dropped edges, r ~ U(0.2, 0.6) per graph: mean m E[r]; variance
    # m E[r(1 - r)] + m^2 Var(r) per graph (binomial given r, plus the spread of r)
    mu, var_r = 0.4, 0.4**2 / 12
    m_tot, dropped = sum(before), sum(before) - sum(after)
    var = sum(m * (mu - (var_r + mu**2)) + m * m * var_r for m in before)
    assert abs(dropped - mu * m_tot) / math.sqrt(var) < Z
    assert abs(dropped - 0.45 * m_tot) / math.sqrt(var) > Z


# ---- NodeDrop -------------------------------------------------------------------------------------


def test_node_drop_rate_per_graph_within_binomial_bounds():
    b = Batch.from_data_list([random_graph(20000, 1000, s) for s in range(3)])
    out = NodeDrop(rate=0.25, seed=0)(b)
    for g in out.to_data_list():
        assert abs(binomial_z(g.num_nodes, 20000, 0.75)) < Z
        assert abs(binomial_z(g.num_nodes, 20000, 0.72)) > Z
    aug = NodeDrop(seed=2)
    params = aug.sample(b)
    params["rate"] = torch.tensor([0.05, 0.5, 0.9])
    for g, r in zip(aug.apply(b, params).to_data_list(), [0.05, 0.5, 0.9]):
        assert abs(binomial_z(g.num_nodes, 20000, 1 - r)) < Z
        assert abs(binomial_z(g.num_nodes, 20000, 1 - r - 0.02)) > Z


# ---- FeatureMask ----------------------------------------------------------------------------------


MASK = -5.0


def test_feature_mask_entry_and_row_rates():
    data = random_graph(200, 400, 0, features=100)  # 20,000 entries
    out = FeatureMask(rate=0.3, mode="entry", value=MASK, seed=0)(data)
    masked = out.x == MASK
    assert torch.equal(out.x[~masked], data.x[~masked])
    k = int(masked.sum())
    assert abs(binomial_z(k, 20000, 0.3)) < Z and abs(binomial_z(k, 20000, 0.33)) > Z
    data = random_graph(20000, 1000, 1, features=3)  # 20,000 rows
    out = FeatureMask(rate=0.4, mode="row", value=MASK, seed=0)(data)
    rows = (out.x == MASK).all(1)
    assert torch.equal((out.x == MASK).any(1), rows)  # whole rows only
    k = int(rows.sum())
    assert abs(binomial_z(k, 20000, 0.4)) < Z and abs(binomial_z(k, 20000, 0.43)) > Z


def test_feature_mask_column_rate_is_per_graph_column():
    b = Batch.from_data_list([random_graph(5, 6, s, features=100) for s in range(200)])  # 20,000 columns
    out = FeatureMask(rate=0.2, mode="column", value=MASK, seed=0)(b)
    k = 0
    for g in out.to_data_list():
        cols = (g.x == MASK).all(0)
        assert torch.equal((g.x == MASK).any(0), cols)  # a masked column covers all of the graph's nodes
        k += int(cols.sum())
    assert abs(binomial_z(k, 20000, 0.2)) < Z and abs(binomial_z(k, 20000, 0.23)) > Z


# ---- FeatureNoise ---------------------------------------------------------------------------------


def _noise_z(noise: torch.Tensor, sigma: float) -> tuple[float, float]:
    """(z of the mean against 0, z of the sample variance against sigma^2) for Gaussian noise."""
    n = noise.numel()
    mean_z = float(noise.mean()) / (sigma / math.sqrt(n))
    var_z = (float(noise.double().pow(2).mean()) / sigma**2 - 1) / math.sqrt(2 / n)
    return mean_z, var_z


def test_feature_noise_magnitude_per_graph():
    b = Batch.from_data_list([random_graph(5000, 100, s, features=4) for s in range(2)])  # 20,000 values each
    out = FeatureNoise(sigma=0.3, seed=0)(b)
    noise = (out.x - b.x).double()
    mz, vz = _noise_z(noise, 0.3)
    assert abs(mz) < Z and abs(vz) < Z
    assert abs(_noise_z(noise, 0.3 * 1.05)[1]) > Z  # a 5% error in sigma is caught
    aug = FeatureNoise(seed=1)
    params = aug.sample(b)
    params["sigma"] = torch.tensor([0.5, 2.0])
    noise = (aug.apply(b, params).x - b.x).double()
    for part, s in ((noise[:5000], 0.5), (noise[5000:], 2.0)):
        mz, vz = _noise_z(part, s)
        assert abs(mz) < Z and abs(vz) < Z
        assert abs(_noise_z(part, s * 0.95)[1]) > Z
    # and it is Gaussian: about 68.3% of the values within one sigma
    within = int((noise[:5000].abs() < 0.5).sum())
    assert abs(binomial_z(within, 20000, math.erf(1 / math.sqrt(2)))) < Z
    assert abs(binomial_z(within, 20000, 0.70)) > Z


# ---- SchurView: the quota of eliminated nodes per graph, through the public call ------------------


@pytest.fixture(scope="module")
def schur_batch():
    from tests.conftest import small_graph

    return Batch.from_data_list([small_graph(20 + (i % 7) * 5, i) for i in range(300)])


def _sizes(b) -> list[int]:
    return [g.num_nodes for g in b.to_data_list()]


def _quota(n: int, f: float) -> int:
    return min(math.floor(f * n + 1e-9), n - 1)


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.9])
def test_schur_view_fixed_fraction_eliminates_the_quota_of_every_graph(schur_batch, fraction):
    n_in = _sizes(schur_batch)
    eliminated = [a - b for a, b in zip(n_in, _sizes(SchurView(fraction=fraction, seed=0)(schur_batch)))]
    assert eliminated == [_quota(n, fraction) for n in n_in]
    assert eliminated != [_quota(n, fraction + 0.05) for n in n_in]


def _range_moments(n: int, lo: float, hi: float) -> tuple[float, float, float]:
    """Exact (mean, variance) of floor(f * n), f ~ U(lo, hi), and P(floor(f * n) < floor(mid * n))."""
    probs = {}
    for q in range(math.floor(lo * n), math.floor(hi * n) + 1):
        a, b = max(lo, q / n), min(hi, (q + 1) / n)
        if b > a:
            probs[q] = (b - a) / (hi - lo)
    mean = sum(q * p for q, p in probs.items())
    var = sum((q - mean) ** 2 * p for q, p in probs.items())
    cut = math.floor((lo + hi) / 2 * n)
    return mean, var, sum(p for q, p in probs.items() if q < cut)


def _range_check(n_in, eliminated, lo, hi) -> tuple[float, float, bool]:
    """z of the total eliminated count, z of the number of graphs below the range's midpoint, and
    whether every quota lies in [floor(lo n), floor(hi n)]."""
    moments = [_range_moments(n, lo, hi) for n in n_in]
    total_z = (sum(eliminated) - sum(m for m, _, _ in moments)) / math.sqrt(sum(v for _, v, _ in moments))
    below = sum(q < math.floor((lo + hi) / 2 * n) for q, n in zip(eliminated, n_in))
    ps = [p for _, _, p in moments]
    below_z = (below - sum(ps)) / math.sqrt(sum(p * (1 - p) for p in ps))
    inside = all(math.floor(lo * n) <= q <= math.floor(hi * n) for q, n in zip(eliminated, n_in))
    return total_z, below_z, inside


def test_schur_view_range_fraction_is_drawn_uniformly_per_graph(schur_batch):
    n_in = _sizes(schur_batch)
    lo, hi = 0.2, 0.6
    eliminated = [a - b for a, b in zip(n_in, _sizes(SchurView(fraction=(lo, hi), seed=0)(schur_batch)))]
    total_z, below_z, inside = _range_check(n_in, eliminated, lo, hi)
    assert inside and abs(total_z) < Z and abs(below_z) < Z, (total_z, below_z)
    # power: a shifted range, and one fraction for the whole batch at the range's middle, are rejected
    t, _, _ = _range_check(n_in, eliminated, lo + 0.05, hi + 0.05)
    assert abs(t) > Z
    fixed = [_quota(n, (lo + hi) / 2) for n in n_in]
    _, b, _ = _range_check(n_in, fixed, lo, hi)
    assert abs(b) > Z


def _elimination_check(counts: torch.Tensor, copies: int, p: float) -> float:
    return max(abs(binomial_z(int(c), copies, p)) for c in counts)


def test_schur_view_random_order_eliminates_a_uniform_set():
    from tests.conftest import small_graph

    n, copies, fraction = 25, 400, 0.4
    g = small_graph(n, 7)
    b = Batch.from_data_list([g] * copies)  # 10,000 node draws
    out = SchurView(fraction=fraction, keep_eliminated=True, seed=0)(b)
    deg = torch.bincount(out.edge_index[0], minlength=out.num_nodes)
    # the ring keeps the graph connected, so kept nodes keep an edge: isolated = eliminated
    eliminated = (deg == 0).reshape(copies, n)
    assert bool((eliminated.sum(1) == _quota(n, fraction)).all())
    counts = eliminated.sum(0)
    p = _quota(n, fraction) / n
    assert _elimination_check(counts, copies, p) < 4.5
    # a biased selection (low node ids first, with a little randomness) is rejected by the same check
    gen = torch.Generator().manual_seed(0)
    score = torch.arange(n).float() + 6 * torch.rand(copies, n, generator=gen)
    biased = torch.zeros(copies, n, dtype=torch.bool).scatter_(1, score.argsort(1)[:, : _quota(n, fraction)], True)
    assert _elimination_check(biased.sum(0), copies, p) > 4.5


# ---- RandomWalkSubgraph: the number of roots per graph ---------------------------------------------


@pytest.mark.parametrize("root_fraction", [0.3, 0.15, 0.5])
def test_random_walk_roots_are_the_quota_of_each_graph(schur_batch, root_fraction):
    # walk_length=0 keeps exactly the roots: ceil(root_fraction * n) per graph (0.3 x 10 is 3, not
    # float32's ceil(3.0000001) = 4)
    n_in = _sizes(schur_batch) + [10, 20, 40]
    from tests.conftest import small_graph

    b = Batch.from_data_list(schur_batch.to_data_list() + [small_graph(n, n) for n in (10, 20, 40)])
    out = RandomWalkSubgraph(root_fraction=root_fraction, walk_length=0, seed=0)(b)
    expected = [max(1, math.ceil(round(root_fraction * n, 9))) for n in n_in]
    assert _sizes(out) == expected
    assert _sizes(out) != [max(1, math.ceil(round((root_fraction + 0.05) * n, 9))) for n in n_in]
