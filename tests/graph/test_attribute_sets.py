"""Graph outputs keep one attribute set (PyG can batch them), diffusion accuracy, input checks and
LocalAugmentation's x_aug in compositions (regressions of a bug hunt)."""
from __future__ import annotations

import contextlib
import warnings

import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.datasets import FakeDataset
from torch_geometric.loader import DataLoader

import multiaug
from multiaug.graph import (
    DiffusionView,
    EdgeAdd,
    EdgeDrop,
    FeatureMask,
    FeatureNoise,
    LocalAugmentation,
    NodeDrop,
    RandomWalkSubgraph,
    SchurView,
)
from multiaug.graph import functional as F


def ring(n: int, seed: int = 0, features: int = 3) -> Data:
    g = torch.Generator().manual_seed(seed)
    i = torch.arange(n)
    ei = torch.stack([torch.cat([i, (i + 1) % n]), torch.cat([(i + 1) % n, i])])
    return Data(x=torch.randn(n, features, generator=g), edge_index=ei, y=torch.tensor([seed % 2]))


@contextlib.contextmanager
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---- 1. node-removing augmenters add no stored num_nodes ------------------------------------------


@pytest.mark.parametrize("make", [
    lambda: NodeDrop(rate=0.4, seed=0),
    lambda: RandomWalkSubgraph(root_fraction=0.2, walk_length=2, seed=0),
    lambda: SchurView(fraction=0.5, seed=0),
])
def test_node_removing_views_store_num_nodes_only_where_the_input_did(make):
    d = ring(8)
    out = make()(d)
    assert "num_nodes" not in out.keys() and out.num_nodes == out.x.shape[0] < 8
    Batch.from_data_list([out, make().set_params(p=0.0)(ring(5))])  # PyG batches it with an untouched graph
    stored = ring(8)
    stored.num_nodes = 8
    out = make()(stored)
    assert "num_nodes" in out.keys() and out.num_nodes == out.x.shape[0]


def test_graph_without_node_attributes_keeps_its_exact_count_stored():
    # no x: PyG would infer the count from edge_index and lose isolated nodes with the highest ids
    ei = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    with no_warnings():
        out = NodeDrop(rate=0.5, seed=3)(Data(edge_index=ei))
        assert "num_nodes" in out.keys()
        kept = out.num_nodes
        assert out.edge_index.numel() == 0 or int(out.edge_index.max()) < kept
        # and batching it with untouched ones (p < 1, augment) stores their counts too
        b = NodeDrop(rate=0.5, p=0.5, seed=0).augment(Data(edge_index=ei), n_aug=6)[0]
    assert b.num_graphs == 6 and int(b.ptr[-1]) == b.num_nodes


def test_p_below_one_and_compositions_with_node_drop_augment_and_batch():
    d = ring(6)
    out = NodeDrop(p=0.5, seed=0).augment(d, n_aug=6)[0]
    assert out.num_graphs == 6
    out = multiaug.SomeOf([NodeDrop(), EdgeDrop(), FeatureMask()], n=1, seed=0).augment(d, n_aug=6)[0]
    assert out.num_graphs == 6
    out = multiaug.RandAugment([NodeDrop(), EdgeDrop()], n=1, seed=0).augment(d, n_aug=6)[0]
    assert out.num_graphs == 6


@pytest.mark.parametrize("make", [
    lambda: NodeDrop(p=0.5, seed=0),
    lambda: RandomWalkSubgraph(p=0.5, seed=0),
    lambda: multiaug.OneOf([NodeDrop(), EdgeDrop(), FeatureMask()], seed=0),
])
def test_node_drop_as_a_dataset_transform_collates_every_epoch(make):
    torch.manual_seed(0)  # FakeDataset draws from the global generator
    ds = FakeDataset(num_graphs=16, avg_num_nodes=12, num_channels=3, transform=make())
    for _ in range(4):
        for b in DataLoader(ds, batch_size=8):
            assert int(b.ptr[-1]) == b.x.shape[0]


def test_cli_node_drop_on_a_file_of_one_graph(tmp_path):
    from multiaug import io
    from multiaug.cli import main

    io.write_graphs(str(tmp_path / "one.pt"), [ring(6)])
    try:
        main(["augment", str(tmp_path / "one.pt"), "-o", str(tmp_path / "out.pt"), "--augmenter", "node_drop", "--seed", "0"])
        code = 0
    except SystemExit as e:  # the CLI exits 0 on success, 2 on a user error
        code = e.code
    assert code == 0 and len(io.read_graphs(str(tmp_path / "out.pt"))) == 2


# ---- 2. weighted views give every output their attribute set -------------------------------------


@pytest.mark.parametrize("make", [
    lambda: DiffusionView(p=0.5, seed=0),
    lambda: SchurView(fraction=0.5, p=0.5, seed=0),
    lambda: multiaug.OneOf([DiffusionView(), EdgeDrop()], seed=0),
    lambda: multiaug.Sometimes(SchurView(fraction=0.5), p=0.5, seed=0),
])
def test_weighted_views_as_a_dataset_transform_give_one_attribute_set(make):
    torch.manual_seed(0)
    ds = FakeDataset(num_graphs=16, avg_num_nodes=12, num_channels=3, edge_dim=2, transform=make())
    for _ in range(4):
        for b in DataLoader(ds, batch_size=8):
            assert "edge_weight" in b and "edge_attr" not in b
            assert b.edge_weight.shape == (b.edge_index.shape[1],)


def test_graphs_a_weighted_view_leaves_alone_get_weight_one_and_lose_other_edge_attributes():
    d = ring(6)
    d.edge_attr = torch.randn(12, 2)
    aug = DiffusionView(p=0.0, seed=0)
    out = aug(d)
    assert torch.equal(out.edge_index, d.edge_index) and torch.equal(out.edge_weight, torch.ones(12))
    assert "edge_attr" not in out and "edge_attr" in d  # the input is left alone
    d.edge_weight = torch.full((12,), 2.0)
    assert torch.equal(SchurView(p=0.0, seed=0)(d).edge_weight, d.edge_weight)  # kept where present
    # a Batch keeps working graph by graph
    gs = [ring(n, n) for n in (5, 6, 7)]
    for g in gs:
        g.edge_attr = torch.randn(g.edge_index.shape[1], 2)
    b = Batch.from_data_list(gs)
    with no_warnings():
        out = DiffusionView(p=0.5, seed=1)(b)
    assert "edge_attr" not in out
    for g in out.to_data_list():
        assert g.edge_weight.shape == (g.edge_index.shape[1],) and "edge_attr" not in g


# ---- 3. diffusion accuracy ------------------------------------------------------------------------


def random_graph(n: int = 60, m: int = 150, seed: int = 0) -> torch.Tensor:
    from torch_geometric.utils import to_undirected

    g = torch.Generator().manual_seed(seed)
    ei = to_undirected(torch.randint(0, n, (2, m), generator=g))
    return ei[:, ei[0] != ei[1]]


def exact_diffusion(ei: torch.Tensor, n: int, method: str, alpha: float = 0.15, t: float = 3.0) -> torch.Tensor:
    """Exact S (float64) with T = D_out^-1/2 A D_in^-1/2 (D^-1/2 A D^-1/2 on an undirected graph)."""
    A = torch.zeros(n, n, dtype=torch.float64)
    A[ei[0], ei[1]] = 1
    d_out, d_in = A.sum(1), A.sum(0)
    T = torch.where(d_out > 0, d_out.rsqrt(), 0.0)[:, None] * A * torch.where(d_in > 0, d_in.rsqrt(), 0.0)[None, :]
    eye = torch.eye(n, dtype=torch.float64)
    if method == "heat":
        return torch.linalg.matrix_exp(-t * (eye - T))
    return alpha * torch.linalg.inv(eye - (1 - alpha) * T)


def dense(idx: torch.Tensor, val: torch.Tensor, n: int) -> torch.Tensor:
    out = torch.zeros(n, n, dtype=torch.float64)
    out[idx[0], idx[1]] = val.double()
    return out


@pytest.mark.parametrize("method,kw", [("heat", {"t": t}) for t in (1.0, 5.0, 10.0, 20.0, 50.0)]
                         + [("ppr", {"alpha": a}) for a in (0.15, 0.05)])
def test_diffusion_matches_the_exact_kernel_within_tol(method, kw):
    n, tol = 60, 1e-4
    ei = random_graph(n)
    S = exact_diffusion(ei, n, method, **kw)
    got = dense(*F.diffusion_matrix(ei, None, n, method, tol=tol, **kw), n)
    # entries >= tol are kept (within tol / 2 plus float32 rounding), smaller ones left out
    assert float((got - S).abs().max()) <= tol + 1e-6
    assert bool(((got == 0) | (S >= tol - 1e-5)).all())
    # the sparse series (what graphs above DENSE_DIFFUSION_MAX_NODES get): from below, close, mass kept
    sp = dense(*F.diffusion_matrix(ei, None, n, method, tol=tol, dense_max_nodes=0, **kw), n)
    assert float((sp - S).abs().max()) <= 3 * tol
    assert float((sp - S).max()) <= 1e-5
    assert float(sp.sum(1).mean()) >= float(S.sum(1).mean()) - 0.01


@pytest.mark.parametrize("method", ["ppr", "heat"])
def test_diffusion_of_a_directed_graph_keeps_the_edges_of_sinks_and_sources(method):
    """Regression: T was D_out^-1/2 A D_out^-1/2, so a sink (no out-edge) had a zero column and lost its
    in-edges (its row of S held only the diagonal). With D_out^-1/2 A D_in^-1/2 every edge counts."""
    ei = torch.tensor([[0, 1, 2, 0], [1, 2, 3, 3]])  # 0 is a source, 3 a sink
    S = exact_diffusion(ei, 4, method)
    S = (S + S.T) / 2
    assert bool((S > 1e-2).all())  # the path 0 -> 1 -> 2 -> 3 connects every pair
    for dense_max in (None, 0):  # dense (exact) and sparse (series) paths
        got = dense(*F.diffusion_matrix(ei, None, 4, method, tol=1e-6, dense_max_nodes=dense_max), 4)
        assert float((got - S).abs().max()) <= 1e-5
    out = DiffusionView(method=method, rate=0.0, seed=0)(Data(edge_index=ei, num_nodes=4))
    touching = {v: int((out.edge_index == v).any(0).sum()) for v in (0, 3)}
    assert touching == {0: 6, 3: 6}, touching  # both directions of its 3 edges each
    # a directed graph with random orientations: the dense exact path and the series agree with S
    g = torch.Generator().manual_seed(3)
    e = torch.randint(0, 30, (2, 90), generator=g)
    e = torch.unique(e[:, e[0] != e[1]], dim=1)
    S = exact_diffusion(e, 30, method)
    S = (S + S.T) / 2
    got = dense(*F.diffusion_matrix(e, None, 30, method, tol=1e-4), 30)
    assert float((got - S * (S >= 1e-4)).abs().max()) <= 2e-4
    sp = dense(*F.diffusion_matrix(e, None, 30, method, tol=1e-4, dense_max_nodes=0), 30)
    assert float((sp - S).abs().max()) <= 3e-4


def test_dense_diffusion_keeps_only_what_the_view_keeps():
    """keep_min (the view's eps) filters the dense blocks early: the same view, far fewer entries held."""
    ei = random_graph(60)
    full = F.diffusion_matrix(ei, None, 60, "ppr", tol=1e-4)
    early = F.diffusion_matrix(ei, None, 60, "ppr", tol=1e-4, keep_min=1e-2)
    assert early[1].numel() < full[1].numel()
    late = full[0][:, full[1] >= 1e-2], full[1][full[1] >= 1e-2]
    assert torch.equal(early[0], late[0]) and torch.equal(early[1], late[1])


def test_heat_view_at_large_times_is_not_empty():
    ei = random_graph(40, 100, 1)
    data = Data(x=torch.randn(40, 2), edge_index=ei)
    for t in (10.0, 20.0, 50.0):
        out = DiffusionView(method="heat", t=t, rate=0.0, seed=0)(data)
        S = exact_diffusion(ei, 40, "heat", t=t)
        want = int(((S >= 1e-3) & ~torch.eye(40, dtype=torch.bool)).sum())
        assert abs(out.edge_index.shape[1] - want) <= 4


def test_diffusion_of_a_batch_is_the_diffusion_of_each_graph():
    graphs = [Data(x=torch.randn(n, 2), edge_index=random_graph(n, 2 * n, s)) for s, n in enumerate((12, 30, 7))]
    b = Batch.from_data_list(graphs)
    idx, val = F.diffusion_matrix(b.edge_index, None, b.num_nodes, "heat", t=5.0, node_graph=b.batch)
    got = dense(idx, val, b.num_nodes)
    for g, lo, hi in zip(graphs, b.ptr[:-1].tolist(), b.ptr[1:].tolist()):
        S = exact_diffusion(g.edge_index, g.num_nodes, "heat", t=5.0)
        assert float((got[lo:hi, lo:hi] - S * (S >= 1e-4)).abs().max()) <= 2e-4
    off = got.clone()
    for lo, hi in zip(b.ptr[:-1].tolist(), b.ptr[1:].tolist()):
        off[lo:hi, lo:hi] = 0
    assert not off.any()  # block-diagonal
    assert bool((idx[0, 1:] * b.num_nodes + idx[1, 1:] > idx[0, :-1] * b.num_nodes + idx[1, :-1]).all())  # row-major


# ---- 4. edge_weight the weighted views cannot read -------------------------------------------------


@pytest.mark.parametrize("cls", [DiffusionView, SchurView])
def test_weighted_views_refuse_2d_and_non_positive_edge_weight_by_name(cls):
    d = ring(6)
    d.edge_weight = torch.ones(12, 1)
    with pytest.raises(ValueError, match=r"edge_weight must be a 1-D tensor .* \(12\), got shape \(12, 1\)"):
        cls(seed=0)(d)
    for w in (-torch.ones(12), torch.zeros(12)):
        d.edge_weight = w
        with pytest.raises(ValueError, match=rf"{cls.__name__}: edge_weight must be positive"):
            cls(seed=0)(d)
    # also for graphs p or a composition would not route to the view
    with pytest.raises(ValueError, match="edge_weight must be positive"):
        multiaug.OneOf([cls(), EdgeDrop()], seed=0)(d)
    with pytest.raises(ValueError, match="edge_weight must be positive"):
        cls(p=0.0, seed=0)(d)


# ---- 5. FeatureMask value the features' dtype cannot hold -----------------------------------------


@pytest.mark.parametrize("x,value", [
    (torch.arange(12).reshape(6, 2), 0.5),
    (torch.ones(6, 2, dtype=torch.bool), 0.5),
    (torch.ones(6, 2, dtype=torch.uint8), -1),
    (torch.ones(6, 2, dtype=torch.float16), 1e6),
])
def test_feature_mask_refuses_a_value_the_dtype_cannot_hold(x, value):
    d = Data(x=x, edge_index=ring(6).edge_index)
    hint = r"\.double\(\)" if x.is_floating_point() else r"\.float\(\)"
    with pytest.raises(ValueError, match=rf"value={value!r} cannot be stored in x of dtype {x.dtype}.*{hint}"):
        FeatureMask(rate=1.0, value=value, seed=0)(d)


def test_feature_mask_writes_values_the_dtype_holds():
    ei = ring(6).edge_index
    assert FeatureMask(rate=1.0, value=-3, seed=0)(Data(x=torch.ones(6, 2, dtype=torch.long), edge_index=ei)).x.unique().tolist() == [-3]
    assert FeatureMask(rate=1.0, value=0, seed=0)(Data(x=torch.ones(6, 2, dtype=torch.bool), edge_index=ei)).x.unique().tolist() == [False]
    assert FeatureMask(rate=1.0, value=0.5, seed=0)(Data(x=torch.ones(6, 2), edge_index=ei)).x.unique().tolist() == [0.5]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_feature_mask_and_edge_add_refuse_non_finite_values_by_name(value):
    d = ring(6)
    d.x = torch.ones(6, 2)
    with pytest.raises(ValueError, match=r"^FeatureMask: value must be a finite float \(.*NaN and inf are refused"):
        FeatureMask(rate=1.0, value=value, seed=0)(d)
    with pytest.raises(ValueError, match=r"^EdgeAdd: weight must be a finite float \(.*NaN and inf are refused"):
        EdgeAdd(weight=value, seed=0)(d)


# ---- 6. LocalAugmentation's x_aug in compositions ---------------------------------------------------


def bin_ring(n, seed):
    g = ring(n, seed, features=6)
    g.x = (g.x > 0).float()
    return g


@pytest.fixture(scope="module")
def la():
    torch.set_num_threads(1)
    return LocalAugmentation(k=2, epochs=1, hidden_dim=8, seed=0).fit(bin_ring(30, 0))


@pytest.mark.parametrize("make", [
    lambda la: multiaug.OneOf([la, FeatureNoise()], seed=0),
    lambda la: multiaug.Sometimes(la, p=0.5, seed=1),
    lambda la: multiaug.SomeOf([la, FeatureNoise()], n=1, seed=0),
    lambda la: multiaug.Sequential([FeatureNoise(), la], p=0.5, seed=0),
])
def test_local_augmentation_routed_to_some_graphs_is_refused(la, make):
    batch = Batch.from_data_list([bin_ring(10, 1), bin_ring(12, 2), bin_ring(8, 3)])
    with pytest.raises(ValueError, match="LocalAugmentation: inside .* routes only some graphs"):
        make(la)(batch)


def test_local_augmentation_before_a_node_removing_or_partial_step_is_refused(la):
    with pytest.raises(ValueError, match="LocalAugmentation: the graph carries x_aug .* removes nodes"):
        multiaug.Sequential([la, NodeDrop(rate=0.3)], seed=0)(bin_ring(20, 4))
    batch = Batch.from_data_list([bin_ring(10, 1), bin_ring(12, 2)])
    with pytest.raises(ValueError, match="LocalAugmentation: the graph carries x_aug .* only some graphs"):
        multiaug.Sequential([la, EdgeDrop(p=0.5)], seed=0)(batch)
    # where x_aug survives, it is allowed: after the node-removing step, or p < 1 on one graph
    out = multiaug.Sequential([NodeDrop(rate=0.3), la], seed=0)(bin_ring(20, 4))
    assert out.x_aug.shape == (2, out.num_nodes, 6)
    out = multiaug.Sometimes(la, p=1.0, seed=0)(batch)
    assert out.x_aug.shape == (2, batch.num_nodes, 6)


def test_augment_of_a_composition_joins_x_aug_node_by_node():
    torch.set_num_threads(1)
    d = bin_ring(10, 1)

    def fresh():
        return LocalAugmentation(k=2, epochs=1, hidden_dim=8, seed=0).fit(bin_ring(30, 0))

    out = multiaug.Sequential([fresh(), EdgeDrop()], seed=0).augment(d, n_aug=3)[0]
    assert out.x_aug.shape == (2, 30, 6)
    seq = multiaug.Sequential([fresh(), EdgeDrop()], seed=0)
    again = [seq(d) for _ in range(3)]  # the same draws, one call per copy
    assert torch.equal(out.x_aug, torch.cat([g.x_aug for g in again], dim=1))
    assert torch.equal(out.edge_index, Batch.from_data_list([Data(x=g.x, edge_index=g.edge_index) for g in again]).edge_index)
    # fit_resample: the originals join with a copy of x, as graphs LocalAugmentation's p did not draw
    X, y = fresh().fit_resample(d, torch.tensor([1]))
    assert X.x_aug.shape == (2, 20, 6) and torch.equal(X.x_aug[:, :10], d.x[None].expand(2, 10, 6))


# ---- 7. Batches of a DataLoader with follow_batch, graphs a rate cannot change ----------------------


def follow_batch_batch():
    torch.manual_seed(0)
    ds = FakeDataset(num_graphs=4, avg_num_nodes=10, num_channels=3, edge_dim=2)
    return next(iter(DataLoader(ds, batch_size=4, follow_batch=["x", "edge_attr"])))


def assert_follow_batch(out):
    assert torch.equal(out.x_batch, out.batch) and torch.equal(out.x_ptr, out.ptr)
    edge_graph = out.batch[out.edge_index[0]]
    assert torch.equal(out.edge_attr_batch, edge_graph)
    assert out.edge_attr_ptr.tolist() == [0, *torch.bincount(edge_graph, minlength=out.num_graphs).cumsum(0).tolist()]


@pytest.mark.parametrize("make", [
    lambda: NodeDrop(rate=0.3, seed=0),
    lambda: multiaug.graph.EdgeAdd(rate=0.5, seed=0),
    lambda: EdgeDrop(rate=0.3, p=0.5, seed=0),
    lambda: NodeDrop(rate=0.3, p=0.5, seed=1),
    lambda: multiaug.OneOf([NodeDrop(), EdgeDrop(), FeatureMask()], seed=0),
])
def test_follow_batch_companions_follow_the_nodes_and_edges(make):
    b = follow_batch_batch()
    out = make()(b)
    assert_follow_batch(out)
    assert len(out.to_data_list()) == 4


def test_follow_batch_companions_of_an_edge_attribute_a_view_removes_are_removed():
    b = follow_batch_batch()
    b.edge_index, b.edge_attr = torch_geometric_undirected(b.edge_index, b.edge_attr, b.num_nodes)
    out = DiffusionView(seed=0)(b)
    assert "edge_attr" not in out and "edge_attr_batch" not in out and "edge_attr_ptr" not in out
    assert torch.equal(out.x_batch, out.batch)


def torch_geometric_undirected(ei, attr, n):
    from torch_geometric.utils import to_undirected

    return to_undirected(ei, attr, num_nodes=n)


def test_rates_that_cannot_change_a_graph_are_reported():
    empty = Data(x=torch.randn(4, 3), edge_index=torch.zeros(2, 0, dtype=torch.long))
    with pytest.warns(RuntimeWarning, match=r"EdgeDrop: 1 of 1 inputs could not be changed \(graphs without edges\)"):
        EdgeDrop(rate=0.5, seed=0)(empty)
    one = Data(x=torch.randn(1, 3), edge_index=torch.zeros(2, 0, dtype=torch.long))
    with pytest.warns(RuntimeWarning, match=r"NodeDrop: 1 of 1 inputs .*min_nodes=1"):
        NodeDrop(rate=0.5, seed=0)(one)
    b = Batch.from_data_list([empty, ring(5)])
    with pytest.warns(RuntimeWarning, match=r"EdgeDrop: 1 of 2 inputs"):
        EdgeDrop(rate=0.5, seed=0)(b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EdgeDrop(rate=0.0, seed=0)(empty)  # nothing asked: nothing to report
        EdgeDrop(rate=0.5, seed=0)(ring(5))


@pytest.mark.parametrize("wdtype, expected", [(torch.float64, torch.float64), (torch.int64, torch.float32),
                                              (torch.float16, torch.float16)])
@pytest.mark.parametrize("make", [lambda s: DiffusionView(seed=s, p=0.5), lambda s: SchurView(seed=s, p=0.5),
                                  lambda s: multiaug.OneOf([DiffusionView(), SchurView()], seed=s, p=0.5)])
def test_weighted_view_edge_weight_dtype_does_not_depend_on_the_draw(make, wdtype, expected):
    # DiffusionView gave float32 to the graphs it drew and left float64 weights on the others; both views
    # left integer weights integer on undrawn graphs but gave float32 to drawn ones
    ei = torch.tensor([[0, 1, 1, 2, 2, 0, 2, 3], [1, 0, 2, 1, 0, 2, 3, 2]])
    g = Data(edge_index=ei, edge_weight=torch.tensor([1, 1, 2, 2, 3, 3, 1, 1]).to(wdtype), num_nodes=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [make(s)(g) for s in range(8)]
    changed = [not torch.equal(o.edge_index, ei) for o in outs]
    assert any(changed) and not all(changed)  # both drawn and undrawn graphs are seen
    assert {o.edge_weight.dtype for o in outs} == {expected}
    batch = Batch.from_data_list([g] * 6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert make(3)(batch).edge_weight.dtype == expected
        assert make(3).set_params(p=1.0)(batch).edge_weight.dtype == expected


@pytest.mark.parametrize("make", [lambda s: NodeDrop(p=0.5, seed=s), lambda s: EdgeDrop(rate=0.9, p=0.5, seed=s),
                                  lambda s: DiffusionView(rate=0.9, p=0.5, seed=s),
                                  lambda s: multiaug.OneOf([NodeDrop(), EdgeDrop(rate=0.9)], p=0.5, seed=s)])
def test_graph_counted_by_edge_index_keeps_its_count_and_batches(make):
    # without x or a stored num_nodes: NodeDrop's drawn outputs stored num_nodes and the undrawn did not
    # (Batch.from_data_list: KeyError 'num_nodes'); EdgeDrop/DiffusionView lost nodes with the highest ids
    d = Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outs = [make(s)(d) for s in range(12)]
    assert all("num_nodes" in o.keys() for o in outs)
    if isinstance(make(0), (EdgeDrop, DiffusionView)):  # they keep every node
        assert {int(o.num_nodes) for o in outs} == {3}
    assert int(Batch.from_data_list(outs).num_nodes) == sum(int(o.num_nodes) for o in outs)
    assert "num_nodes" not in d.keys()  # the input is not modified


# ---- attributes no structural view can keep consistent: refused by name, whatever p draws ----------


def _sparse_adj(d: Data) -> torch.Tensor:
    n = d.num_nodes
    return torch.sparse_coo_tensor(d.edge_index.flip(0), torch.ones(d.edge_index.shape[1]), (n, n))


@pytest.mark.parametrize("make", [
    lambda p: EdgeDrop(rate=0.5, p=p, seed=0),
    lambda p: multiaug.graph.EdgeAdd(rate=0.5, p=p, seed=0),
    lambda p: NodeDrop(rate=0.5, p=p, seed=0),
    lambda p: RandomWalkSubgraph(p=p, seed=0),
    lambda p: DiffusionView(p=p, seed=0),
    lambda p: SchurView(p=p, seed=0),
])
@pytest.mark.parametrize("p", [1.0, 0.0])
def test_a_sparse_adjacency_next_to_edge_index_is_refused_by_name(make, p):
    """adj_t (ToSparseTensor(remove_edge_index=False)) cannot follow changed edges: before the fix it
    crashed with "tuple indices must be integers" or stayed stale; now a ValueError naming it."""
    d = ring(6)
    d.adj_t = _sparse_adj(d)
    with pytest.raises(ValueError, match=r"data\.adj_t is a sparse adjacency"):
        make(p)(d)
    with pytest.raises(ValueError, match=r"data\.adj_t is a sparse adjacency"):
        make(p)(Batch.from_data_list([d, d]))


def test_feature_views_keep_a_sparse_adjacency_and_adj_t_alone_is_named():
    d = ring(6)
    d.adj_t = _sparse_adj(d)
    for aug in (FeatureMask(rate=0.5, seed=0), FeatureNoise(seed=0)):
        assert aug(d).adj_t is d.adj_t  # features only: the adjacency stays valid
    del d.edge_index
    with pytest.raises(ValueError, match=r"edge_index is missing and the edges are in the sparse adjacency data\.adj_t"):
        EdgeDrop(seed=0)(d)


@pytest.mark.parametrize("make", [
    lambda p: NodeDrop(rate=0.5, p=p, seed=0),
    lambda p: RandomWalkSubgraph(p=p, seed=0),
    lambda p: SchurView(fraction=0.5, p=p, seed=0),
])
@pytest.mark.parametrize("p", [1.0, 0.0])
def test_node_ids_outside_edge_index_are_refused_by_node_removing_views(make, p):
    """edge_label_index (link prediction) or face hold node ids: a view removing and relabelling nodes
    left them with ids of removed nodes (out of range); now a ValueError naming the attribute."""
    d = ring(8)
    d.edge_label_index = torch.tensor([[0, 2, 7], [5, 6, 3]])
    d.edge_label = torch.tensor([1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match=r"data\.edge_label_index holds node ids"):
        make(p)(d)
    with pytest.raises(ValueError, match=r"data\.edge_label_index holds node ids"):
        make(p)(Batch.from_data_list([d, d]))
    with pytest.raises(ValueError, match=r"holds node ids"):  # the kernel refuses too
        F.subgraph(d, node_keep=torch.tensor([0, 1, 2]))


def test_node_ids_outside_edge_index_are_kept_by_views_that_keep_every_node():
    d = ring(8)
    d.edge_label_index = torch.tensor([[0, 2, 7], [5, 6, 3]])
    with no_warnings():
        for aug in (EdgeDrop(rate=0.5, seed=0), multiaug.graph.EdgeAdd(rate=0.5, seed=0),
                    SchurView(fraction=0.5, keep_eliminated=True, seed=0), FeatureMask(seed=0)):
            out = aug(d)
            assert out.num_nodes == 8 and torch.equal(out.edge_label_index, d.edge_label_index)


@pytest.mark.parametrize("make", [
    lambda: EdgeDrop(rate=0.5, seed=0),
    lambda: multiaug.graph.EdgeAdd(rate=0.5, seed=0),
    lambda: DiffusionView(seed=0),
    lambda: DiffusionView(p=0.5, seed=0),
    lambda: SchurView(fraction=0.5, keep_eliminated=True, seed=0),
])
def test_link_prediction_supervision_as_long_as_edge_index_is_kept(make):
    """RandomLinkSplit's training split has edge_label_index (2, M) and edge_label (M,) with M equal to
    edge_index's column count (positives + as many negatives). They were taken for edge attributes of
    edge_index: EdgeDrop cut them with the edge mask (pairs and labels of other edges), EdgeAdd padded
    edge_label_index to (36, 110) (crashed on a Batch), DiffusionView/SchurView removed both silently."""
    d = ring(8)
    g = torch.Generator().manual_seed(1)
    d.edge_label_index = torch.randint(0, 8, (2, 16), generator=g)
    d.edge_label = (torch.arange(16) < 8).float()
    d.edge_label_time = torch.arange(16)
    assert d.edge_index.shape[1] == 16
    b = Batch.from_data_list([d, ring(8, seed=1, features=3).update({"edge_label_index": d.edge_label_index.flip(0),
                                                                      "edge_label": d.edge_label.flip(0),
                                                                      "edge_label_time": d.edge_label_time})])
    with no_warnings():
        for x in (d, b):
            out = make()(x)
            for key in ("edge_label_index", "edge_label", "edge_label_time"):
                assert torch.equal(out[key], x[key]), key
            if isinstance(x, Batch):
                for o, i in zip(out.to_data_list(), x.to_data_list()):
                    assert torch.equal(o.edge_label_index, i.edge_label_index)
                    assert torch.equal(o.edge_label, i.edge_label)


def test_real_link_split_with_edge_drop_keeps_pairs_and_labels_together():
    import torch_geometric.transforms as T

    d = ring(20)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        train, _, _ = T.RandomLinkSplit(num_val=0.1, num_test=0.1, is_undirected=True)(d)
    assert train.edge_label.numel() == train.edge_index.shape[1]  # the coincidence that mattered
    out = EdgeDrop(rate=0.5, seed=0)(train)
    assert out.edge_index.shape[1] < train.edge_index.shape[1]
    assert torch.equal(out.edge_label_index, train.edge_label_index) and torch.equal(out.edge_label, train.edge_label)


@pytest.mark.parametrize("aug", [NodeDrop(rate=0.5, seed=0), RandomWalkSubgraph(seed=0), SchurView(seed=0),
                                 NodeDrop(rate=0.5, p=0.0, seed=0)])
def test_a_per_node_list_is_refused_by_views_that_remove_nodes(aug):
    # from_networkx keeps node properties as lists (Karate club's `club`): they were left at full length
    # beside the cut nodes (34 entries for 17 nodes), silently misaligned
    d = ring(8)
    d.club = [f"c{i}" for i in range(8)]
    with pytest.raises(ValueError, match="data.club is a list with one entry per node"):
        aug(d)
    with pytest.raises(ValueError, match="data.club is a list with one entry per node"):
        aug(Batch.from_data_list([d, ring(5, seed=1).update({"club": list("abcde")})]))
    # views that keep every node keep such a list as it is
    assert EdgeDrop(seed=0)(d).club == d.club
    assert SchurView(keep_eliminated=True, seed=0)(d).club == d.club


def test_a_per_edge_list_is_refused_by_views_that_change_edges():
    d = ring(6)
    d.relation = ["r"] * d.edge_index.shape[1]
    for aug in (EdgeDrop(seed=0), EdgeAdd(seed=0), DiffusionView(seed=0)):
        with pytest.raises(ValueError, match="data.relation is a list with one entry per edge"):
            aug(d)
    assert FeatureMask(seed=0)(d).relation == d.relation  # features only: the edges stay


@pytest.mark.parametrize("cls", [DiffusionView, SchurView])
def test_weighted_views_refuse_edge_weights_stored_under_another_name(cls):
    # from_networkx stores networkx's edge weights as data.weight; the weighted views read edge_weight only,
    # so they gave an unweighted view and removed data.weight without a word
    d = ring(6)
    d.weight = torch.arange(1.0, 7.0).repeat(2)  # (both directions of an edge: one weight)
    for aug in (cls(seed=0), cls(p=0.0, seed=0), multiaug.OneOf([cls(), EdgeDrop()], seed=0)):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: data.weight holds one number per edge.*"
                                             r"data.edge_weight = data.weight.view\(-1\)"):
            aug(d)
    with pytest.raises(ValueError, match="data.weight holds one number per edge"):
        cls(seed=0)(Batch.from_data_list([d, ring(5, seed=1).update({"weight": torch.ones(10)})]))
    d2 = ring(6)
    d2.edge_weights = torch.ones(12, 1)
    with pytest.raises(ValueError, match="data.edge_weights holds one number per edge"):
        cls(seed=0)(d2)
    # renamed, the weights are read; next to edge_weight, weight is one more edge attribute (removed)
    renamed = ring(6).update({"edge_weight": d.weight})
    assert torch.equal(cls(seed=0)(renamed).edge_weight, cls(seed=0)(d.update({"edge_weight": d.weight})).edge_weight)
    assert "weight" not in cls(seed=0)(d).keys()
    # views that follow the edges keep it; a per-node or per-graph weight is no edge weight
    assert torch.equal(EdgeDrop(rate=0.0, seed=0)(ring(6).update({"weight": torch.ones(12)})).weight, torch.ones(12))
    cls(seed=0)(ring(6).update({"node_weight": torch.ones(6), "graph_weight": torch.ones(1)}))
