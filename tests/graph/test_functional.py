"""Pure graph kernels."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch

from multiaug.graph import functional as F
from tests.conftest import small_graph, small_graph_batch


def test_drop_mask_is_symmetric_and_has_the_right_rate():
    n = 2000
    g = torch.Generator().manual_seed(0)
    e = torch.randint(0, n, (2, 40000), generator=g)
    e = e[:, e[0] != e[1]]
    ei = torch.cat([e, e.flip(0)], dim=1)
    draws = F.random_int32(n, g, "cpu")
    keep = F.drop_mask(ei, draws, torch.tensor([0.3]))
    m = e.shape[1]
    assert torch.equal(keep[:m], keep[m:]), "both directions share one draw"
    assert abs(float(keep[:m].float().mean()) - 0.7) < 0.02
    assert bool(F.drop_mask(ei, draws, torch.tensor([0.0])).all())
    assert not bool(F.drop_mask(ei, draws, torch.tensor([1.0])).any())
    two = F.drop_mask(ei, draws, torch.tensor([0.0, 1.0]), (ei[0] >= n // 2).long())
    assert bool(two[ei[0] < n // 2].all()) and not bool(two[ei[0] >= n // 2].any())


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(0, 20), min_size=1, max_size=5), seed=st.integers(0, 1000))
def test_sample_per_group_counts(sizes, seed):
    group = torch.repeat_interleave(torch.arange(len(sizes)), torch.tensor(sizes))
    k = torch.tensor([s // 2 for s in sizes])
    u = torch.rand(group.numel(), generator=torch.Generator().manual_seed(seed))
    pick = F.sample_per_group(group, k, u)
    assert torch.equal(torch.bincount(group[pick], minlength=len(sizes)), k)


def test_subgraph_and_replace_edges_keep_batches_sliceable():
    b = small_graph_batch()
    keep = torch.ones(b.num_nodes, dtype=torch.bool)
    keep[[0, 13, 14, 30]] = False
    out = F.subgraph(b, node_keep=keep)
    parts = out.to_data_list()
    assert [p.num_nodes for p in parts] == [11, 7, 14]
    for p, orig in zip(parts, b.to_data_list()):
        assert p.x.shape[0] == p.y.shape[0] == p.num_nodes
        assert p.edge_weight.shape[0] == p.edge_index.shape[1]
    ei, w = F.undirected_to_edge_index(torch.tensor([0, 12, 1]), torch.tensor([1, 13, 2]), torch.tensor([1.0, 2.0, 3.0]),
                                       b.batch, b.num_graphs)
    assert ei.tolist() == [[0, 1, 1, 2, 12, 13], [1, 2, 0, 1, 13, 12]]
    out = F.replace_edges(b, ei, {"edge_weight": w})
    parts = out.to_data_list()
    assert [p.edge_index.shape[1] for p in parts] == [4, 2, 0]
    assert parts[1].edge_index.tolist() == [[0, 1], [1, 0]]


def test_coalesce_undirected_checks():
    d = small_graph(10, 0)
    lo, hi, w = F.coalesce_undirected(d.edge_index, d.edge_weight, 10)
    assert bool((lo < hi).all()) and lo.numel() == d.edge_index.shape[1] // 2
    with pytest.raises(ValueError, match="directed"):
        F.coalesce_undirected(torch.tensor([[0], [1]]), torch.ones(1), 2)
    lo, hi, w = F.coalesce_undirected(torch.tensor([[0, 1, 0], [1, 0, 2]]), torch.tensor([1.0, 3.0, 2.0]), 3, symmetrize=True)
    assert lo.tolist() == [0, 0] and hi.tolist() == [1, 2] and w.tolist() == [3.0, 2.0]
    with pytest.raises(ValueError, match="self-loop"):
        F.coalesce_undirected(torch.tensor([[1], [1]]), torch.ones(1), 2)
    with pytest.raises(ValueError, match="positive"):
        F.coalesce_undirected(torch.tensor([[0, 1], [1, 0]]), torch.tensor([0.0, 0.0]), 2)


def test_clique_tree_single_star_expectation():
    """One star, many draws: the mean tree equals the weighted clique w_j w_k / W."""
    w = torch.tensor([0.5, 1.0, 2.0, 3.0], dtype=torch.float64)
    reps = 20000
    center = torch.arange(reps).repeat_interleave(4)
    nbr = torch.arange(4).repeat(reps)
    u = torch.rand(4 * reps, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    a, b, nw = F.sample_clique_trees(center, nbr, w.repeat(reps), u)
    assert a.numel() == 3 * reps
    M = torch.zeros(4, 4, dtype=torch.float64)
    M.index_put_((torch.minimum(a, b), torch.maximum(a, b)), nw, accumulate=True)
    M /= reps
    W = float(w.sum())
    for j in range(4):
        for k in range(j + 1, 4):
            assert float(M[j, k]) == pytest.approx(float(w[j] * w[k]) / W, rel=0.05)


def test_random_walks_follow_edges():
    d = small_graph(15, 2)
    start = torch.arange(15)
    u = torch.rand(15, 6, generator=torch.Generator().manual_seed(0))
    walks = F.random_walks(d.edge_index, 15, start, u)
    edges = set(map(tuple, d.edge_index.t().tolist()))
    for w in walks.tolist():
        assert all((a, b) in edges for a, b in zip(w[:-1], w[1:]))


def test_dense_schur_of_a_path():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    L = F.laplacian(ei, torch.tensor([1.0, 1.0, 3.0, 3.0]), 3)
    S = F.dense_schur_complement(L, torch.tensor([False, True, False]))
    assert torch.allclose(S, torch.tensor([[0.75, -0.75], [-0.75, 0.75]], dtype=torch.float64))


def test_batch_without_stored_num_nodes():
    from torch_geometric.data import Data

    parts = [Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]])) for _ in range(2)]
    b = Batch.from_data_list(parts)
    out = F.subgraph(b, node_keep=torch.tensor([True, False, True, True, True, True, False, True]))
    assert [p.num_nodes for p in out.to_data_list()] == [3, 3]
