"""Graph augmenters on degenerate but valid graphs (no edges, one graph in a Batch, isolated nodes, no
nodes) must not crash; NaN/inf in the node features (and in the edge attributes an augmenter reads)
are refused with one message naming the augmenter, the attribute and the count."""
from __future__ import annotations

import re
import warnings

import pytest
import torch
from torch_geometric.data import Batch, Data

from multiaug import Sequential, registry
from multiaug.graph import DiffusionView, EdgeDrop, FeatureNoise, LocalAugmentation, SchurView
from multiaug.graph.base import check_graph
from tests.conftest import small_graph, small_graph_batch

NAMES = [n for n, c in registry.items() if c.__module__.startswith("multiaug.graph")]
EMPTY_EI = torch.zeros(2, 0, dtype=torch.long)


def _make(name, seed=0):
    cls = registry.get(name)
    if name == "local_augmentation":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cls(hidden_dim=16, epochs=1, k=2, seed=seed).fit(small_graph_batch())
    return cls(seed=seed)


def _no_edges(n=10, seed=1):
    g = small_graph(n, seed)
    return Data(x=g.x, edge_index=EMPTY_EI, edge_weight=torch.zeros(0), y=g.y, num_nodes=n)


DEGENERATE = {
    "no_edges": lambda: _no_edges(),
    "batch_of_one": lambda: Batch.from_data_list([small_graph(10, 1)]),
    "batch_of_one_without_edges": lambda: Batch.from_data_list([_no_edges()]),
    "batch_with_an_edgeless_graph": lambda: Batch.from_data_list([small_graph(10, 1), _no_edges(7, 2), small_graph(9, 3)]),
    "single_node": lambda: Data(x=torch.rand(1, 8), edge_index=EMPTY_EI, num_nodes=1),
    "no_nodes": lambda: Data(x=torch.zeros(0, 8), edge_index=EMPTY_EI, num_nodes=0),
    "isolated_nodes_with_edge_attr": lambda: Batch.from_data_list(
        [Data(x=torch.rand(3, 8), edge_index=EMPTY_EI, edge_attr=torch.zeros(0, 4), num_nodes=3)] * 2),
}


@pytest.mark.parametrize("case", sorted(DEGENERATE))
@pytest.mark.parametrize("name", NAMES)
def test_degenerate_graphs_do_not_crash(name, case):
    data = DEGENERATE[case]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "nothing to change" warnings are expected here
        out = _make(name)(data)
    assert type(out) is type(data)
    check_graph(out, "out")
    if isinstance(data, Batch):
        assert out.num_graphs == data.num_graphs
    if isinstance(getattr(out, "x", None), torch.Tensor):
        assert out.x.shape[0] == out.num_nodes and out.x.shape[1:] == data.x.shape[1:]
        assert bool(torch.isfinite(out.x).all())
    if out.edge_index.numel():
        assert bool((out.edge_index[0] != out.edge_index[1]).all()) or name == "diffusion_view"


def _with_bad_x(value, count):
    b = small_graph_batch()
    b.x[torch.arange(count) * 5, torch.arange(count) % b.x.shape[1]] = value
    return b


@pytest.mark.parametrize("value, count", [(float("nan"), 1), (float("inf"), 3), (float("-inf"), 2)])
@pytest.mark.parametrize("name", NAMES)
def test_non_finite_node_features_are_refused(name, value, count):
    data = _with_bad_x(value, count)
    aug = _make(name)
    msg = f"{type(aug).__name__}: data.x contains {count} NaN or inf values (of {data.x.numel()}); clean or impute them first"
    with pytest.raises(ValueError, match="^" + re.escape(msg) + "$"):
        aug(data)
    with pytest.raises(ValueError, match=re.escape("data.x contains")):
        aug.augment(data, n_aug=2)


def test_feature_noise_no_longer_passes_nan_through():
    data = _with_bad_x(float("nan"), 4)
    with pytest.raises(ValueError, match=r"^FeatureNoise: data\.x contains 4 NaN or inf values"):
        FeatureNoise(sigma=0.1, seed=0)(data)
    clean = small_graph_batch()
    assert bool(torch.isfinite(FeatureNoise(sigma=0.1, seed=0)(clean).x).all())


def test_composition_is_refused_too():
    with pytest.raises(ValueError, match=r"^Sequential: data\.x contains 1 NaN or inf values"):
        Sequential([EdgeDrop(), FeatureNoise()], seed=0)(_with_bad_x(float("nan"), 1))


def test_local_augmentation_fit_refuses_non_finite_features():
    with pytest.raises(ValueError, match=r"^LocalAugmentation: data\.x contains 2 NaN or inf values"):
        LocalAugmentation(hidden_dim=16, epochs=1, seed=0).fit(_with_bad_x(float("nan"), 2))


def test_edge_weight_is_checked_where_it_is_read():
    data = small_graph_batch()
    data.edge_weight[[0, 7]] = torch.tensor([float("nan"), float("inf")])
    n = data.edge_weight.numel()
    for cls in (DiffusionView, SchurView):
        with pytest.raises(ValueError, match=re.escape(f"{cls.__name__}: data.edge_weight contains 2 NaN or inf values (of {n})")):
            cls(seed=0)(data)
    with pytest.raises(ValueError, match=r"^Sequential: data\.edge_weight contains 2"):
        Sequential([EdgeDrop(), DiffusionView()], seed=0)(data)
    # EdgeDrop never reads the weights: it carries them along (kept edges keep theirs, NaN included)
    out = EdgeDrop(rate=0.0, seed=0)(data)
    assert int(torch.isnan(out.edge_weight).sum()) == 1


def test_integer_and_missing_features_are_not_checked():
    g = small_graph(10, 1)
    g.x = torch.randint(0, 5, (10, 3))
    assert EdgeDrop(seed=0)(g).x.dtype == torch.long
    g.x = None
    assert EdgeDrop(seed=0)(g).x is None


def test_inputs_that_are_not_one_graph_get_a_message_saying_what_to_pass():
    """A HeteroData, a list of Data, a PyG dataset, a bare edge_index and an int32 edge_index were refused
    naming only the type; the messages now say what to pass instead."""
    from torch_geometric.data import HeteroData
    from torch_geometric.datasets import FakeDataset

    h = HeteroData()
    h["paper"].x = torch.randn(3, 2)
    h["paper", "cites", "paper"].edge_index = torch.tensor([[0, 1], [1, 2]])
    g = small_graph(6, 0)
    for x, hint in [(h, r"to_homogeneous\(\)"), ([g, g], r"list of 2 graphs.*Batch\.from_data_list\(graphs\)"),
                    (FakeDataset(num_graphs=2), r"FakeDataset \(a dataset\); pass the augmenter as the dataset's transform="),
                    (g.edge_index, r"Tensor \(an edge_index\?\).*pass Data\(x=x, edge_index=edge_index\)")]:
        for aug in (EdgeDrop(seed=0), Sequential([EdgeDrop(), FeatureNoise()], seed=0)):
            with pytest.raises(TypeError, match=r"expected a torch_geometric\.data\.Data or Batch, got .*" + hint):
                aug(x)
    g.edge_index = g.edge_index.int()
    with pytest.raises(TypeError, match=re.escape("got torch.int32 (convert it: data.edge_index = data.edge_index.long())")):
        EdgeDrop(seed=0)(g)
