"""Structural views: invariants (property tests) and per-augmenter behaviour."""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch, Data

from multiaug.graph import (
    DiffusionView,
    EdgeAdd,
    EdgeDrop,
    FeatureMask,
    FeatureNoise,
    NodeDrop,
    RandomWalkSubgraph,
    SchurView,
)
from tests.conftest import outputs_equal, small_graph, small_graph_batch


def make_graph(n: int, m: int, seed: int) -> Data:
    """Undirected graph with symmetric edge_weight/edge_attr, node ids in x[:, 0], y, a mask."""
    g = torch.Generator().manual_seed(seed)
    e = torch.randint(0, max(n, 1), (2, m), generator=g)
    e = e[:, e[0] != e[1]]
    key = torch.unique(torch.minimum(e[0], e[1]) * n + torch.maximum(e[0], e[1])) if e.numel() else torch.zeros(0, dtype=torch.long)
    lo, hi = key // max(n, 1), key % max(n, 1)
    w = torch.rand(key.numel(), generator=g) + 0.1
    attr = torch.rand(key.numel(), 2, generator=g)
    ei = torch.stack([torch.cat([lo, hi]), torch.cat([hi, lo])])
    x = torch.cat([torch.arange(n, dtype=torch.float32)[:, None], torch.rand(n, 3, generator=g)], 1)
    return Data(x=x, edge_index=ei, edge_weight=torch.cat([w, w]), edge_attr=torch.cat([attr, attr]),
                y=torch.randint(0, 3, (n,), generator=g), train_mask=torch.rand(n, generator=g) > 0.5, num_nodes=n)


@st.composite
def graphs(draw, batch: bool = True):
    k = draw(st.integers(1, 4)) if batch else 1
    parts = [make_graph(draw(st.integers(1, 12)), draw(st.integers(0, 30)), draw(st.integers(0, 10**6))) for _ in range(k)]
    return Batch.from_data_list(parts) if batch else parts[0]


def edge_dict(data, key="edge_weight"):
    v = data[key]
    return {(a, b): (tuple(v[i].flatten().tolist())) for i, (a, b) in enumerate(data.edge_index.t().tolist())}


def assert_consistent(out, symmetric=True):
    ei = out.edge_index
    n = out.num_nodes
    assert ei.dtype == torch.long and ei.shape[0] == 2
    assert ei.numel() == 0 or (int(ei.min()) >= 0 and int(ei.max()) < n)
    for key in ("x", "y", "train_mask"):
        if key in out:
            assert out[key].shape[0] == n, key
    for key in ("edge_weight", "edge_attr"):
        if key in out:
            assert out[key].shape[0] == ei.shape[1], key
    if "edge_weight" in out:
        assert bool((out.edge_weight > 0).all())
    if symmetric and "edge_weight" in out:
        d = edge_dict(out)
        assert all(d.get((b, a)) == v for (a, b), v in d.items()), "undirected input must stay undirected"
    if isinstance(out, Batch):
        parts = out.to_data_list()
        assert len(parts) == out.num_graphs
        assert sum(p.num_nodes for p in parts) == n
        assert out.ptr.tolist()[-1] == n and out.batch.numel() == n
        for p in parts:
            assert_consistent(p, symmetric)


AUGMENTERS = [
    lambda s: EdgeDrop(rate=(0.0, 0.8), seed=s),
    lambda s: EdgeAdd(rate=(0.0, 1.0), seed=s),
    lambda s: NodeDrop(rate=(0.0, 0.8), seed=s),
    lambda s: FeatureMask(rate=0.5, mode="entry", seed=s),
    lambda s: FeatureNoise(sigma=(0.0, 1.0), seed=s),
    lambda s: RandomWalkSubgraph(root_fraction=0.2, walk_length=4, seed=s),
    lambda s: DiffusionView(rate=0.2, seed=s),
    lambda s: SchurView(fraction=(0.0, 0.8), seed=s),
    lambda s: SchurView(fraction=0.5, order="degree", neighbor_order="random", seed=s),
]


@pytest.mark.filterwarnings("ignore:.*could not be changed")
@pytest.mark.parametrize("make", AUGMENTERS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=graphs(), seed=st.integers(0, 2**31))
def test_invariants_on_batches(make, data, seed):
    out = make(seed)(data)
    assert type(out) is type(data) and out.num_graphs == data.num_graphs
    assert_consistent(out)
    again = make(seed)(data)
    assert outputs_equal(out, again), "same seed, same output"


@pytest.mark.filterwarnings("ignore:.*could not be changed")
@pytest.mark.parametrize("make", AUGMENTERS)
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=graphs(batch=False), seed=st.integers(0, 2**31))
def test_invariants_on_single_graphs(make, data, seed):
    out = make(seed)(data)
    assert type(out) is Data
    assert_consistent(out)


def test_input_is_not_modified():
    b = small_graph_batch()
    before = {k: v.clone() for k, v in b.items() if isinstance(v, torch.Tensor)}
    for make in AUGMENTERS:
        make(0)(b)
    for k, v in before.items():
        assert torch.equal(b[k], v), k


SINGLE_GRAPH_PATHS = [
    lambda: EdgeDrop(rate=(0.1, 0.9), seed=1),
    lambda: EdgeDrop(rate=1.0, seed=1),
    lambda: NodeDrop(rate=(0.3, 0.95), seed=1),
    lambda: NodeDrop(rate=0.9, min_nodes=3, seed=1),
    lambda: FeatureMask(rate=0.5, mode="column", seed=1),
    lambda: FeatureMask(rate=0.5, mode="row", seed=1),
    lambda: FeatureMask(rate=(0.2, 0.8), mode="entry", seed=1),
    lambda: FeatureNoise(sigma=(0.1, 1.0), seed=1),
]


@pytest.mark.parametrize("make", SINGLE_GRAPH_PATHS)
@pytest.mark.parametrize("seed", range(4))
def test_a_data_gives_what_the_batch_and_device_code_give(make, seed):
    """A single Data takes shortcuts (per-graph values broadcast, top-k for min_nodes, the dropout
    threshold computed in Python on the CPU); with the same draws it must give what the Batch code
    (graph 0 of a two-graph Batch) and the device code (no host reads) give."""
    from multiaug.core.hostreads import assume_costly_host_reads

    data, n = make_graph(25, 60, seed), 25
    aug = make()
    pair = Batch.from_data_list([data, make_graph(25, 60, seed + 100)])
    params = aug.sample(pair)
    batched = aug.apply(pair, params).to_data_list()[0]
    # the Data's share of the draws: per-graph rows (2 -> 1) and per-node rows (2n -> n)
    mine = {k: v[:1] if v.shape[0] == 2 else v[:n] for k, v in params.items()}
    assert all(v.shape[0] in (2, 2 * n) for v in params.values())
    single = aug.apply(data, mine)
    with assume_costly_host_reads():
        device_path = aug.apply(data, mine)
    for other in (batched, device_path):
        assert set(other.keys()) == set(single.keys())
        for key in single.keys():
            assert torch.equal(torch.as_tensor(single[key]), torch.as_tensor(other[key])), key


# ---- per-graph rates ------------------------------------------------------------------------------


def test_edge_drop_rate_is_per_graph():
    b = small_graph_batch()
    aug = EdgeDrop(seed=0)
    params = aug.sample(b)
    params["rate"] = torch.tensor([0.0, 1.0, 0.0])
    parts = aug.apply(b, params).to_data_list()
    orig = b.to_data_list()
    assert parts[0].edge_index.shape[1] == orig[0].edge_index.shape[1]
    assert parts[1].edge_index.shape[1] == 0
    assert torch.equal(parts[2].edge_weight, orig[2].edge_weight)


def test_edge_drop_rate_statistics_and_pairs():
    data = make_graph(300, 3000, 1)
    m = data.edge_index.shape[1] // 2
    out = EdgeDrop(rate=0.3, seed=0)(data)
    kept = out.edge_index.shape[1] // 2
    assert abs(kept / m - 0.7) < 4 * (0.21 / m) ** 0.5
    # every kept edge keeps its own weight and attribute row
    before_w, before_a = edge_dict(data), edge_dict(data, "edge_attr")
    assert all(before_w[k] == v for k, v in edge_dict(out).items())
    assert all(before_a[k] == v for k, v in edge_dict(out, "edge_attr").items())


def test_node_drop_per_graph_and_relabel():
    b = Batch.from_data_list([make_graph(10, 30, 1), make_graph(8, 20, 2)])
    aug = NodeDrop(seed=0)
    params = aug.sample(b)
    params["rate"] = torch.tensor([0.0, 1.0])
    parts = aug.apply(b, params).to_data_list()
    assert parts[0].num_nodes == 10 and parts[1].num_nodes == 1  # min_nodes=1 keeps one
    out = NodeDrop(rate=0.5, seed=3)(make_graph(30, 80, 5))
    ids = out.x[:, 0].long()
    assert bool((ids[1:] > ids[:-1]).all()), "kept nodes keep their order"
    src = make_graph(30, 80, 5)
    orig_pairs = set(map(tuple, src.edge_index.t().tolist()))
    new_pairs = {(int(ids[a]), int(ids[b])) for a, b in out.edge_index.t().tolist()}
    kept = set(ids.tolist())
    assert new_pairs == {(a, b) for a, b in orig_pairs if a in kept and b in kept}


def test_edge_add_properties():
    data = make_graph(12, 20, 0)
    n = data.num_nodes
    existing = set(map(tuple, data.edge_index.t().tolist()))
    seen_last = False
    for s in range(20):
        out = EdgeAdd(rate=0.5, seed=s)(data)
        pairs = list(map(tuple, out.edge_index.t().tolist()))
        assert len(pairs) == len(set(pairs)), "no duplicates"
        assert all(a != b for a, b in pairs), "no self-loops"
        assert existing <= set(pairs)
        new = set(pairs) - existing
        assert len(new) == 2 * round(0.5 * len(existing) / 2)
        seen_last |= any(n - 1 in p for p in new)
        w = edge_dict(out)
        assert all(w[p] == (1.0,) for p in new)
    assert seen_last, "the last node must be choosable"


def test_edge_add_saturates_and_self_loops():
    data = make_graph(4, 50, 0)  # nearly complete
    out = EdgeAdd(rate=10.0, seed=0)(data)
    assert out.edge_index.shape[1] == 4 * 3
    out = EdgeAdd(rate=10.0, self_loops=True, seed=0)(data)
    assert out.edge_index.shape[1] == 4 * 3 + 4


def test_feature_mask_modes():
    data = make_graph(20, 40, 0)
    out = FeatureMask(rate=1.0, mode="column", seed=0)(data)
    assert bool((out.x == 0).all())
    out = FeatureMask(rate=0.5, mode="column", seed=1)(data)
    cols = (out.x == 0).all(0)
    assert bool(((out.x == data.x) | (out.x == 0)).all()) and 0 < int(cols.sum()) < 4
    out = FeatureMask(rate=0.5, mode="row", seed=1)(data)
    rows = (out.x == 0).all(1)
    assert bool(torch.equal(out.x[~rows], data.x[~rows]))
    assert torch.equal(out.edge_index, data.edge_index)
    with pytest.raises(ValueError, match="mode"):
        FeatureMask(mode="pixels")(small_graph_batch())  # checked at first use
    with pytest.raises(ValueError, match="features x"):
        FeatureMask()(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=3))


def test_feature_noise_per_graph_sigma():
    b = Batch.from_data_list([make_graph(50, 10, 1), make_graph(50, 10, 2)])
    aug = FeatureNoise(seed=0)
    params = aug.sample(b)
    params["sigma"] = torch.tensor([0.0, 2.0])
    out = aug.apply(b, params)
    assert torch.equal(out.x[:50], b.x[:50]) and not torch.equal(out.x[50:], b.x[50:])
    assert torch.equal(out.edge_index, b.edge_index)


def test_random_walk_subgraph_keeps_walk_nodes():
    data = make_graph(40, 120, 0)
    out = RandomWalkSubgraph(root_fraction=0.05, walk_length=3, seed=0)(data)
    assert 1 <= out.num_nodes <= 2 * 4
    path = small_graph(20, 1)
    full = RandomWalkSubgraph(root_fraction=1.0, walk_length=0, seed=0)(path)
    assert full.num_nodes == 20 and full.edge_index.shape == path.edge_index.shape


def test_diffusion_matches_dense_ppr_and_is_cached():
    data = make_graph(15, 40, 3)
    del data.edge_attr
    aug = DiffusionView(method="ppr", alpha=0.2, eps=0.0, rate=0.0, self_loops=True, seed=0)
    out = aug(data)
    n = data.num_nodes
    A = torch.zeros(n, n, dtype=torch.float64)
    A[data.edge_index[0], data.edge_index[1]] = data.edge_weight.double()
    d = A.sum(1)
    dinv = torch.where(d > 0, d.rsqrt(), torch.zeros_like(d))
    T = dinv[:, None] * A * dinv[None, :]
    S = 0.2 * torch.linalg.inv(torch.eye(n, dtype=torch.float64) - 0.8 * T)
    got = torch.zeros(n, n, dtype=torch.float64)
    got[out.edge_index[0], out.edge_index[1]] = out.edge_weight.double()
    assert torch.allclose(got, S, atol=2e-3)
    assert len(aug._cache) == 1
    a2 = aug(data)
    assert len(aug._cache) == 1 and outputs_equal(a2, out)
    heat = DiffusionView(method="heat", t=2.0, top_k=3, rate=0.3, seed=0)(data)
    assert_consistent(heat)
    assert "edge_attr" not in heat


def test_bad_params_name_the_argument():
    for cls, kw in [(EdgeDrop, {"rate": 2}), (EdgeDrop, {"rate": (0.5, 0.1)}), (NodeDrop, {"min_nodes": -1}),
                    (EdgeAdd, {"rate": -1}), (FeatureNoise, {"sigma": -0.1}), (RandomWalkSubgraph, {"walk_length": 1.5}),
                    (DiffusionView, {"method": "katz"}), (DiffusionView, {"alpha": 0})]:
        with pytest.raises(ValueError, match=list(kw)[0]):
            cls(**kw)(small_graph_batch())  # checked at first use, not in __init__


def test_bad_graph_input():
    with pytest.raises(ValueError, match="outside"):
        EdgeDrop()(Data(edge_index=torch.tensor([[0, 9], [9, 0]]), num_nodes=3))
    with pytest.raises(ValueError, match="edge_attr"):
        EdgeDrop()(Data(edge_index=torch.tensor([[0, 1], [1, 0]]), edge_attr=torch.ones(5, 1), num_nodes=3))
    with pytest.raises(TypeError):
        NodeDrop()(torch.zeros(3, 3))


def test_p_and_composition_keep_batches_consistent():
    from multiaug import Sequential

    b = small_graph_batch()
    out = Sequential([NodeDrop(rate=0.3), EdgeAdd(rate=0.3), SchurView(fraction=0.3)], seed=0)(b)
    assert_consistent(out)
    out = EdgeDrop(rate=0.5, p=0.5, seed=1)(b)
    assert_consistent(out)
    assert out.num_graphs == 3


def test_legacy_helpers_still_work():
    from multiaug.graph.structural import keep_edges, undirected_pair_id

    d = small_graph(8, 0)
    pid = undirected_pair_id(d.edge_index, d.num_nodes)
    assert int(pid.max()) + 1 == d.edge_index.shape[1] // 2
    out = keep_edges(d, torch.ones(d.edge_index.shape[1], dtype=torch.bool))
    assert torch.equal(out.edge_index, d.edge_index)


def test_unchangeable_inputs_are_reported():
    full = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), num_nodes=2)
    with pytest.warns(RuntimeWarning, match="could not be changed"):
        EdgeAdd(rate=1.0, seed=0)(full)
    with pytest.warns(RuntimeWarning, match="could not be changed"):
        SchurView(fraction=0.5, seed=0)(Data(edge_index=torch.zeros(2, 0, dtype=torch.long), num_nodes=1))


@pytest.mark.parametrize("make", [
    lambda: DiffusionView(p=0.5, seed=0),
    lambda: SchurView(fraction=0.5, p=0.5, seed=0),
    lambda: __import__("multiaug").OneOf([DiffusionView(), FeatureNoise(sigma=0.1)], seed=0),
    lambda: __import__("multiaug").Sometimes(SchurView(fraction=0.5), p=0.5, seed=3),
])
def test_weighted_views_batch_with_graphs_left_alone(make):
    # views that rebuild the edge set carry edge_weight; graphs a p < 1 draw left alone get weight 1
    sizes = (5, 6, 7, 8, 9, 10)
    b = Batch.from_data_list([small_graph(n, i) for i, n in enumerate(sizes)])
    for k in ("edge_weight", "edge_attr"):
        if k in b:
            del b[k]
    out = make()(b)
    assert out.num_graphs == len(sizes) and out.edge_weight.shape == (out.edge_index.shape[1],)
    assert_consistent(out, symmetric=False)
    left_alone = 0
    for g_in, g_out in zip(b.to_data_list(), out.to_data_list()):
        if g_out.edge_index.shape == g_in.edge_index.shape and torch.equal(g_out.edge_index, g_in.edge_index) and bool(
                (g_out.edge_weight == 1).all()):
            left_alone += 1
    assert 0 < left_alone < len(sizes)


def test_edge_attributes_a_view_removed_are_removed_from_the_whole_batch_with_a_warning():
    from multiaug import Sometimes

    gs = [small_graph(n, i) for i, n in enumerate((5, 6, 7, 8))]
    for g in gs:
        g.edge_attr = torch.randn(g.edge_index.shape[1], 3)
        g.y = torch.tensor([1])
    b = Batch.from_data_list(gs)
    with pytest.warns(RuntimeWarning, match=r"edge attribute\(s\) \['edge_attr'\] removed"):
        out = Sometimes(DiffusionView(), p=0.5, seed=1)(b)
    assert "edge_attr" not in out and out.y.tolist() == [1, 1, 1, 1]


def test_graphs_differing_in_node_attributes_are_refused_by_name():
    from multiaug.graph.base import same_attributes

    a, b = small_graph(5, 0), small_graph(6, 1)
    a.mask = torch.ones(5, dtype=torch.bool)
    with pytest.raises(ValueError, match=r"\['mask'\]"):
        same_attributes([a, b])


def test_edge_add_reports_graphs_it_cannot_grow():
    empty = Data(x=torch.randn(4, 2), edge_index=torch.zeros(2, 0, dtype=torch.long))
    with pytest.warns(RuntimeWarning, match="rounds to 0 new edges"):
        out = EdgeAdd(rate=0.5, seed=0)(empty)
    assert out.edge_index.shape[1] == 0


def test_sparse_node_features_are_refused_by_name():
    d = small_graph(6, 0)
    d.x = d.x.to_sparse()
    for aug in (FeatureNoise(seed=0), EdgeDrop(seed=0), SchurView(seed=0)):
        with pytest.raises(TypeError, match=r"x is a sparse tensor .*to_dense"):
            aug(d)


def _dense_graph(n: int, missing: float, seed: int, directed: bool = False) -> Data:
    """All node pairs but a share ``missing`` of them (both directions unless ``directed``)."""
    g = torch.Generator().manual_seed(seed)
    if directed:
        a, b = torch.meshgrid(torch.arange(n), torch.arange(n), indexing="ij")
        ei = torch.stack([a.flatten(), b.flatten()])
        ei = ei[:, ei[0] != ei[1]]
        ei = ei[:, torch.rand(ei.shape[1], generator=g) >= missing]
    else:
        iu = torch.triu_indices(n, n, 1)
        iu = iu[:, torch.rand(iu.shape[1], generator=g) >= missing]
        ei = torch.cat([iu, iu.flip(0)], 1)
    return Data(x=torch.randn(n, 2, generator=g), edge_index=ei, edge_attr=torch.ones(ei.shape[1], 1))


@pytest.mark.parametrize("directed", [False, True])
def test_edge_add_fills_the_few_free_pairs_of_a_dense_graph(directed):
    # regression: rejection sampling found the last free pairs of a dense graph too rarely and raised
    # RuntimeError("could not find enough free node pairs") for every seed
    dense = _dense_graph(40, 0.03, 0, directed)
    sparse = _dense_graph(15, 0.8, 1, directed)
    for s in range(5):
        out = EdgeAdd(rate=1.0, directed=directed, seed=s)(dense)
        assert out.edge_index.shape[1] == 40 * 39 and len(set(map(tuple, out.edge_index.t().tolist()))) == 40 * 39
        batch = EdgeAdd(rate=0.2, directed=directed, seed=s)(Batch.from_data_list([dense, sparse]))
        for before, after in zip([dense, sparse], batch.to_data_list()):
            old = set(map(tuple, before.edge_index.t().tolist()))
            new = list(map(tuple, after.edge_index.t().tolist()))
            assert len(new) == len(set(new)) and old <= set(new) and all(a != b for a, b in new)
            added = set(new) - old
            k = 1 if directed else 2  # directed entries per pair
            n = before.num_nodes
            m, free = len(old) // k, n * (n - 1) // k - len(old) // k
            assert len(added) == k * min(round(0.2 * m), free)
            assert directed or all((b, a) in added for a, b in added)
            assert all(float(after.edge_attr[i]) == (0.0 if e in added else 1.0) for i, e in enumerate(new))


def test_edge_add_listed_pairs_are_uniform():
    dense = _dense_graph(12, 0.12, 0)
    free = 66 - dense.edge_index.shape[1] // 2
    old = set(map(tuple, dense.edge_index.t().tolist()))
    counts: dict = {}
    for s in range(400):
        out = EdgeAdd(rate=2 / (66 - free), seed=s)(dense)  # 2 new pairs of the free ones
        for e in set(map(tuple, out.edge_index.t().tolist())) - old:
            if e[0] < e[1]:
                counts[e] = counts.get(e, 0) + 1
    assert len(counts) == free
    expected = 400 * 2 / free
    assert all(abs(c - expected) < 5 * expected**0.5 for c in counts.values()), (counts, expected)


def test_edge_add_self_loops_as_likely_as_other_pairs():
    # regression: with self_loops=True (undirected) a self-loop was drawn half as often as another pair
    n = 10
    data = Data(x=torch.randn(n, 2), edge_index=torch.tensor([[0, 1, 2, 3, 4, 5, 6, 7], [1, 0, 3, 2, 5, 4, 7, 6]]))
    old = set(map(tuple, data.edge_index.t().tolist()))
    loops = total = 0
    for s in range(1500):
        out = EdgeAdd(rate=0.25, self_loops=True, seed=s)(data)  # one new pair of the 51 free ones
        new = {(a, b) for a, b in map(tuple, out.edge_index.t().tolist()) if (a, b) not in old and a <= b}
        assert len(new) == 1
        loops += sum(a == b for a, b in new)
        total += 1
    share, expected = loops / total, n / (n + n * (n - 1) // 2 - 4)
    assert abs(share - expected) < 4 * (expected * (1 - expected) / total) ** 0.5, (share, expected)


@pytest.mark.parametrize("dtype,weight", [(torch.long, 0.5), (torch.bool, 2.0), (torch.float16, 1e6)])
def test_edge_add_refuses_a_weight_edge_weight_cannot_hold(dtype, weight):
    """EdgeAdd(weight=0.5) on integer weights wrote 0 (truncated) silently, and 1e6 in float16 failed
    with torch's "cannot be converted to type c10::Half"; now a ValueError naming weight."""
    d = small_graph(8, 0)
    d.edge_weight = torch.ones(d.edge_index.shape[1], dtype=dtype)
    with pytest.raises(ValueError, match=rf"EdgeAdd: weight={weight!r} cannot be stored in edge_weight of dtype {dtype}"):
        EdgeAdd(rate=0.5, weight=weight, seed=0)(d)
    out = EdgeAdd(rate=0.5, weight=1, seed=0)(d)  # a weight the dtype holds is written as it is
    assert out.edge_weight.dtype == dtype and out.edge_index.shape[1] > d.edge_index.shape[1]
    assert bool((out.edge_weight == 1).all())


@pytest.mark.filterwarnings("ignore:.*could not be changed")
@pytest.mark.parametrize("kw", [dict(rate=0.3), dict(rate=(0.1, 2.0)), dict(rate=0.5, directed=True),
                                dict(rate=0.5, self_loops=True), dict(rate=0.7, directed=True, self_loops=True),
                                dict(rate=10.0), dict(rate=0.4, weight=3.0)])
def test_edge_add_one_graph_path_draws_and_chooses_what_the_batched_path_does(kw):
    """EdgeAdd samples one graph on the CPU with Python counts and a one-group pass (the per-call cost
    of the batched bookkeeping was most of a small graph's ~0.8 ms); the same seed must give the same
    new edges as the batched code a device runs, sparse and dense (listed pairs) graphs alike."""
    from multiaug.core.hostreads import assume_costly_host_reads

    for n, m, seed in ((18, 20, 0), (60, 150, 1), (6, 30, 2), (1, 0, 3), (12, 0, 4)):
        data = make_graph(n, m, seed)
        for s in range(3):
            a, b = EdgeAdd(**kw, seed=s), EdgeAdd(**kw, seed=s)
            for _ in range(2):  # the stream goes on alike
                fast = a(data)
                with assume_costly_host_reads():
                    batched = b(data)
                assert set(fast.keys()) == set(batched.keys())
                for key in fast.keys():
                    assert torch.equal(torch.as_tensor(fast[key]), torch.as_tensor(batched[key])), (kw, n, key)


# NeighborLoader mini-batches: the seed nodes (the first batch_size, read by out[:batch.batch_size]) stay
# ----------------------------------------------------------------------------------------------------

def _check_mini_batch(source: Data, batch: Data, out: Data) -> None:
    k = batch.batch_size
    assert out.batch_size == k and torch.equal(out.input_id, batch.input_id)
    assert torch.equal(out.y[:k], batch.y[:k])  # the seeds, first and in order
    assert torch.equal(out.n_id, out.y)  # n_id sliced with the nodes (y holds the source graph's node ids)
    if "e_id" in out:
        assert torch.equal(source.edge_attr[out.e_id], out.edge_attr)  # e_id sliced with the edges
    if "num_sampled_nodes" in out:
        assert out.num_sampled_nodes[0] == k and sum(out.num_sampled_nodes) == out.num_nodes
    if "num_sampled_edges" in out:
        assert sum(out.num_sampled_edges) == out.edge_index.shape[1]


NODE_REMOVERS = [
    lambda s: NodeDrop(rate=0.8, seed=s),
    lambda s: NodeDrop(rate=(0.5, 1.0), min_nodes=0, seed=s),
    lambda s: RandomWalkSubgraph(walk_length=2, seed=s),
    lambda s: SchurView(fraction=(0.3, 1.0), symmetrize=True, seed=s),
    lambda s: SchurView(fraction=0.9, order="degree", symmetrize=True, seed=s),
]


@pytest.mark.filterwarnings("ignore:data.num_sampled_edges removed")  # (SchurView rebuilds the edges)
@pytest.mark.filterwarnings("ignore:data.e_id removed")
@pytest.mark.parametrize("make", NODE_REMOVERS, ids=["node_drop", "node_drop_range", "random_walk", "schur", "schur_degree"])
def test_node_removing_views_keep_the_seed_nodes_of_neighbor_loader_batches(make):
    from tests.graph.neighbor_batches import neighbor_batches

    source, batches = neighbor_batches()
    for seed in range(4):
        for batch in batches:
            out = make(seed)(batch)
            assert out.num_nodes < batch.num_nodes  # nodes were removed: the seeds had to be kept on purpose
            _check_mini_batch(source, batch, out)
            if not isinstance(make(0), SchurView):  # (SchurView rebuilds the edges: e_id and per-hop edges go)
                assert out.num_sampled_edges[0] <= batch.num_sampled_edges[0]


def test_neighbor_loader_seeds_kept_per_graph_of_a_batch_and_with_p():
    from tests.graph.neighbor_batches import neighbor_batches

    _, batches = neighbor_batches()
    batch = Batch.from_data_list(batches[:3])
    for seed in range(5):
        for aug in (NodeDrop(rate=0.9, seed=seed), NodeDrop(rate=0.9, p=0.5, seed=seed),
                    RandomWalkSubgraph(walk_length=1, seed=seed)):
            for b, g in zip(batches[:3], aug(batch).to_data_list()):
                assert torch.equal(g.y[:b.batch_size], b.y[:b.batch_size])
                assert torch.equal(g.n_id, g.y) and sum(g.num_sampled_nodes) == g.num_nodes


def test_edge_views_keep_neighbor_loader_hop_counts_true():
    from tests.graph.neighbor_batches import neighbor_batches

    source, batches = neighbor_batches()
    out = EdgeDrop(rate=0.5, seed=0)(batches[0])
    assert out.num_sampled_edges != batches[0].num_sampled_edges  # recounted over the kept edges
    _check_mini_batch(source, batches[0], out)
    with pytest.warns(RuntimeWarning, match="num_sampled_edges removed"), \
            pytest.warns(RuntimeWarning, match="data.e_id removed"):  # nor edges of the full graph
        out = DiffusionView(seed=0)(batches[0])  # a rebuilt edge set has no hops
    assert "num_sampled_edges" not in out and out.num_sampled_nodes == batches[0].num_sampled_nodes


def test_edge_rebuilding_views_with_p_on_a_batch_of_mini_batches_drop_the_hop_edge_counts_of_all():
    # with p < 1 (or inside OneOf) the graphs drawn lost num_sampled_edges and the others kept it: the
    # Batch could not be made again ("graphs to batch together differ in the attributes ['num_sampled_edges']")
    from multiaug import OneOf
    from tests.graph.neighbor_batches import neighbor_batches

    _, batches = neighbor_batches()
    batch = Batch.from_data_list(batches[:4])
    for aug in (EdgeAdd(p=0.5, seed=0), DiffusionView(p=0.5, seed=1),
                OneOf([EdgeAdd(), EdgeDrop()], seed=2)):
        with pytest.warns(RuntimeWarning, match="num_sampled_edges"):
            out = aug(batch)
        assert "num_sampled_edges" not in out.keys() and out.num_graphs == 4
        for b, g in zip(batches[:4], out.to_data_list()):
            assert torch.equal(g.y[:b.batch_size], b.y[:b.batch_size])


def test_bad_neighbor_loader_batch_size_refused_whatever_p():
    from tests.graph.neighbor_batches import neighbor_batches

    _, batches = neighbor_batches()
    bad = batches[0].clone()
    bad.batch_size = bad.num_nodes + 1
    for aug in (NodeDrop(), NodeDrop(p=0.0), SchurView(symmetrize=True)):
        with pytest.raises(ValueError, match=r"batch_size=43 must be the number of seed nodes .* integer in \[0, 42\]"):
            aug(bad)
    FeatureMask(seed=0)(bad)  # keeps every node: batch_size is not its business


# NeighborLoader's e_id (each edge's id in the full graph) on views that add or rebuild edges
# ----------------------------------------------------------------------------------------------------

def _caught(fn, *args):
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn(*args)
    return out, [str(w.message) for w in caught]


def test_edge_add_keeps_e_id_and_gives_the_new_edges_minus_one():
    # the new edges got e_id = 0 (zero fill, as every edge attribute): full.edge_attr[out.e_id] read the full
    # graph's edge 0 for them, silently
    from tests.graph.neighbor_batches import neighbor_batches

    source, batches = neighbor_batches()
    for data in (batches[0], Batch.from_data_list([b.__copy__() for b in batches[:3]])):
        if isinstance(data, Batch):  # (a p < 1 draw would mix graphs with and without num_sampled_edges)
            del data.num_sampled_edges
        for aug in (EdgeAdd(rate=0.5, seed=0), EdgeAdd(rate=0.5, directed=True, p=0.5, seed=1)):
            out, caught = _caught(aug, data)
            old = out.e_id >= 0
            assert int(old.sum()) == data.edge_index.shape[1] and bool((out.e_id[~old] == -1).all())
            assert torch.equal(source.edge_attr[out.e_id[old]], out.edge_attr[old])  # the kept edges' ids are true
            assert bool((out.edge_attr[~old] == 0).all())
            added = out.edge_index.shape[1] > data.edge_index.shape[1]
            assert added == (~old).any() == any(m.startswith("EdgeAdd: the added edges get e_id = -1") for m in caught)
            assert added or aug.p < 1
    # an e_id that cannot hold -1 is removed, with the warning of the views that rebuild edges
    data = make_graph(10, 20, 0)
    data.e_id = torch.arange(data.edge_index.shape[1], dtype=torch.uint8)
    out, caught = _caught(EdgeAdd(rate=0.5, seed=0), data)
    assert "e_id" not in out and any(m.startswith("data.e_id removed") for m in caught)
    # no e_id: no word about it, the outputs as before
    out, caught = _caught(EdgeAdd(rate=0.5, seed=0), make_graph(10, 20, 0))
    assert "e_id" not in out and not any("e_id" in m for m in caught)


@pytest.mark.parametrize("make", [lambda: DiffusionView(seed=0), lambda: DiffusionView(p=0.0, seed=0),
                                  lambda: SchurView(fraction=0.3, symmetrize=True, seed=0)],
                         ids=["diffusion", "diffusion_p0", "schur"])
def test_views_that_rebuild_the_edges_remove_e_id_with_a_warning(make):
    # they removed it silently with the other edge attributes (their edges are not the full graph's)
    from tests.graph.neighbor_batches import neighbor_batches

    _, batches = neighbor_batches()
    out, caught = _caught(make(), batches[0])
    assert "e_id" not in out and "edge_attr" not in out
    assert any(m.startswith("data.e_id removed: the view rebuilt the edge set") for m in caught)
    _, caught = _caught(make(), make_graph(10, 20, 0))
    assert not any("e_id" in m for m in caught)
