"""Pure graph kernels."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch_geometric.data import Batch, Data

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


def test_edge_graph_values_fills_int32_values_graph_by_graph():
    # int32 (EdgeDrop's per-graph thresholds) takes a running sum of steps instead of repeat_interleave:
    # the same values, with graphs without edges first, in the middle and last, and steps that wrap
    counts = [0, 3, 0, 0, 2, 1, 0]
    graphs = [Data(edge_index=torch.zeros(2, c, dtype=torch.long), num_nodes=1) for c in counts]
    b = Batch.from_data_list(graphs)
    thr = torch.tensor([5, 2**31 - 1, -7, 0, -2**31, 2**31 - 1, 9], dtype=torch.int32)
    got = F.edge_graph_values(b, thr)
    assert got.dtype == torch.int32
    assert torch.equal(got, thr.repeat_interleave(torch.tensor(counts)))
    assert torch.equal(F.edge_graph_values(b, thr > 0), (thr > 0).repeat_interleave(torch.tensor(counts)))
    empty = Batch.from_data_list(graphs[:1] * 2)
    assert F.edge_graph_values(empty, thr[:2]).numel() == 0


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
    for p in parts:
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
    # an isolated node eliminated (a singular block): the generalised complement, not LinAlgError
    L4 = F.laplacian(torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), torch.ones(4), 4)
    S = F.dense_schur_complement(L4, torch.tensor([False, True, False, True]))
    assert torch.allclose(S, torch.tensor([[0.5, -0.5], [-0.5, 0.5]], dtype=L4.dtype))


def test_batch_without_stored_num_nodes():
    from torch_geometric.data import Data

    parts = [Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]])) for _ in range(2)]
    b = Batch.from_data_list(parts)
    out = F.subgraph(b, node_keep=torch.tensor([True, False, True, True, True, True, False, True]))
    assert [p.num_nodes for p in out.to_data_list()] == [3, 3]


def test_subgraph_takes_a_sorted_index_as_well_as_a_mask():
    d = small_graph(12, 1)
    idx = torch.tensor([0, 2, 3, 7, 11])
    mask = torch.zeros(12, dtype=torch.bool)
    mask[idx] = True
    by_idx, by_mask = F.subgraph(d, node_keep=idx), F.subgraph(d, node_keep=mask)
    assert by_idx.num_nodes == 5 and torch.equal(by_idx.x, d.x[idx])
    assert torch.equal(by_idx.edge_index, by_mask.edge_index) and torch.equal(by_idx.edge_weight, by_mask.edge_weight)
    # by hand: the kept edges are those with both ends in idx, relabelled by position in idx
    new_id = {int(v): i for i, v in enumerate(idx)}
    want = sorted((new_id[int(a)], new_id[int(b)]) for a, b in d.edge_index.t() if int(a) in new_id and int(b) in new_id)
    assert sorted(map(tuple, by_idx.edge_index.t().tolist())) == want


def test_coalesce_undirected_names_only_the_bad_weights_and_sees_small_asymmetries():
    ei = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    with pytest.raises(ValueError, match=r"found \[-1\.0, -1\.0\]"):
        F.coalesce_undirected(ei, torch.tensor([0.5, 0.5, -1.0, -1.0]), 3)
    with pytest.raises(ValueError, match="directed"):  # 1.0 one way, 1.5 the other: not the same edge
        F.coalesce_undirected(ei, torch.tensor([1.0, 1.5, 2.0, 2.0]), 3)
    lo, hi, w = F.coalesce_undirected(ei, torch.tensor([1.0, 1.5, 2.0, 2.0]), 3, symmetrize=True)
    assert w.tolist() == [1.5, 2.0]


def test_coalesce_undirected_names_the_edges_that_make_a_graph_directed():
    # a multigraph whose (0, 1) is stored twice and (1, 0) once: the old message counted all pairs of each
    # direction ("2 pairs one way, 2 the other"), which reads as symmetric
    multi = torch.tensor([[0, 1, 1, 2, 0], [1, 0, 2, 1, 1]])
    with pytest.raises(ValueError, match=r"1 edge\(s\) whose two directions differ in weight .*\(0, 1\): 2 vs \(1, 0\): 1;"):
        F.coalesce_undirected(multi, torch.ones(5), 3)
    one_way = torch.tensor([[0, 1, 3], [1, 2, 1]])
    with pytest.raises(ValueError, match=r"3 edge\(s\) stored in one direction only, e.g. \(0, 1\) without \(1, 0\);"):
        F.coalesce_undirected(one_way, torch.ones(3), 4)


def test_heat_diffusion_at_time_zero_is_the_identity_and_ppr_matches_a_dense_series():
    ei = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])
    idx, val = F.diffusion_matrix(ei, None, 4, method="heat", t=0.0)
    dense = torch.zeros(4, 4).index_put_((idx[0], idx[1]), val)
    assert torch.allclose(dense, torch.eye(4))
    # PPR by a dense matrix power series, computed without the kernel
    a = torch.zeros(4, 4).index_put_((ei[0], ei[1]), torch.ones(6))
    dinv = a.sum(1).rsqrt()
    t = dinv[:, None] * a * dinv[None, :]
    want = sum(0.15 * 0.85 ** k * torch.linalg.matrix_power(t, k) for k in range(200))
    idx, val = F.diffusion_matrix(ei, None, 4, method="ppr", alpha=0.15, tol=1e-7, max_terms=200)
    got = torch.zeros(4, 4).index_put_((idx[0], idx[1]), val)
    assert torch.allclose(got, want, atol=1e-5)


def test_sparsify_top_k_keeps_each_rows_largest_entries():
    # a star around node 0 with distinct weights: its row keeps the 2 largest; the result is symmetric
    leaves = torch.arange(1, 6)
    ei = torch.cat([torch.stack([torch.zeros(5, dtype=torch.long), leaves]), torch.stack([leaves, torch.zeros(5, dtype=torch.long)])], 1)
    val = torch.tensor([0.1, 0.9, 0.3, 0.7, 0.2] * 2)
    out, v = F.sparsify(ei, val, 6, top_k=2)
    # leaves keep their single edge (top_k=2 >= 1), so each kept in either direction stays in both
    pairs = {(int(a), int(b)) for a, b in out.t()}
    assert pairs == {(a, b) for a, b in ei.t().tolist()}
    out, v = F.sparsify(ei, val, 6, top_k=2, eps=0.25)  # eps first: leaves of weight < 0.25 lose their edge
    kept = sorted({int(b) for a, b in out.t() if int(a) == 0})
    assert kept == [2, 3, 4]
    big = torch.tensor([[0, 0, 0, 1, 2, 3], [1, 2, 3, 0, 0, 0]])
    out, v = F.sparsify(big, torch.tensor([0.2, 0.8, 0.5, 0.2, 0.8, 0.5]), 4, top_k=1)
    # row 0 keeps 0-2 (largest); rows 1, 2, 3 keep their only edge, so every pair survives in both directions
    assert {(int(a), int(b)) for a, b in out.t()} == {(0, 1), (0, 2), (0, 3), (1, 0), (2, 0), (3, 0)}


def test_sparsify_top_k_picks_the_largest_not_the_smallest():
    # a 4-clique: every row has 3 entries; top_k=1 with self_loops keeps the row's largest only
    ei = torch.tensor([[0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], [1, 2, 3, 0, 2, 3, 0, 1, 3, 0, 1, 2]])
    w = {(0, 1): 0.9, (0, 2): 0.1, (0, 3): 0.2, (1, 2): 0.3, (1, 3): 0.15, (2, 3): 0.8}
    val = torch.tensor([w[(min(a, b), max(a, b))] for a, b in ei.t().tolist()])
    out, v = F.sparsify(ei, val, 4, top_k=1)
    pairs = {(min(int(a), int(b)), max(int(a), int(b))) for a, b in out.t()}
    assert pairs == {(0, 1), (2, 3)}  # rows 0, 1 pick 0-1; rows 2, 3 pick 2-3


def test_approx_schur_strict_order_eliminates_in_priority_order():
    """On a path with increasing priority the strict mode can eliminate one node per round (each
    pending node waits for its lower-priority neighbour); the Luby mode takes several per round."""
    n = 12
    lo, hi, w = torch.arange(n - 1), torch.arange(1, n), torch.ones(n - 1)
    elim = torch.zeros(n, dtype=torch.bool)
    elim[1:-1] = True
    prio = torch.arange(n, dtype=torch.float32)
    strict = F.approx_schur(lo, hi, w, n, elim, prio, torch.Generator().manual_seed(0), strict_order=True)
    loose = F.approx_schur(lo, hi, w, n, elim, prio, torch.Generator().manual_seed(0), strict_order=False)
    assert strict[4] == n - 2 and loose[4] < n - 2
    for out in (strict, loose):
        assert torch.equal(out[3], elim)
        # a path's Schur complement onto its ends is one edge of weight 1 / (n - 1) (series resistors)
        assert out[0].tolist() == [0] and out[1].tolist() == [n - 1] and abs(float(out[2].sum()) - 1 / (n - 1)) < 1e-5


def test_e_id_is_an_edge_attribute_when_nodes_and_edges_are_as_many():
    # NeighborLoader's e_id (PyG's E_KEYS) has no "edge" in its name: with as many edges as nodes it was cut as
    # a node attribute
    ei = torch.tensor([[0, 1, 2], [1, 2, 0]])
    data = Data(x=torch.arange(3.0)[:, None], edge_index=ei, e_id=torch.tensor([7, 8, 9]))
    out = F.subgraph(data, edge_keep=torch.tensor([True, False, True]))
    assert out.e_id.tolist() == [7, 9]
    assert F.node_edge_keys(data) == (["x"], ["e_id"])
