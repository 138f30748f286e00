"""Pure graph kernels: functions of tensors (and of PyG ``Data``/``Batch`` containers) with every
random number passed in explicitly.

Two groups:

* container helpers that keep a ``Data``/``Batch`` consistent when nodes or edges change:
  :func:`node_edge_keys`, :func:`subgraph` (drop nodes and/or edges, relabel), :func:`replace_edges`
  (new edge set, node attributes kept or filtered). For a ``Batch`` they also rebuild ``batch``,
  ``ptr``, the per-graph node counts, the internal slice/increment dictionaries and a DataLoader's
  ``follow_batch`` companions (``x_batch``, ``x_ptr``...), so ``to_data_list()`` still returns the
  individual graphs; a ``Data`` stores ``num_nodes`` only where the input did (PyG's
  ``Data.subgraph`` rule) or has no node attribute to count by; :func:`as_weighted_view` gives a graph
  the attribute set of the views that rebuild edges;
* array kernels: :func:`drop_mask` (undirected edge dropout: both directions of an edge share one
  draw, a hash of the sum of per-node draws, without a sort), :func:`pair_keys`, :func:`segment_*` helpers,
  :func:`sample_per_group` (choose k items per group), :func:`random_walks`, the diffusion kernels
  (:func:`diffusion_matrix`) and the randomized Schur complement (:func:`approx_schur`,
  :func:`sample_clique_trees`) with the dense exact reference :func:`dense_schur_complement`.
"""
from __future__ import annotations

import itertools
import math
import warnings
from typing import Any, Callable

import torch

from ..core.hostreads import host_reads_cheap
from ..core.report import warn_user
from .base import _pyg, follow_batch_keys, refuse_unfollowable, refuse_unfollowable_all, set_follow_batch

__all__ = [
    "symmetric_edge_draws",
    "drop_mask",
    "pair_keys",
    "num_graphs",
    "node_graph_index",
    "node_graph_values",
    "node_edge_keys",
    "other_edge_set_keys",
    "subgraph",
    "replace_edges",
    "as_weighted_view",
    "view_weight_dtype",
    "sort_edges_by_graph",
    "segment_offsets",
    "sample_per_group",
    "random_walks",
    "coalesce_undirected",
    "coalesce_sum",
    "compact",
    "sorted_groups",
    "sum_groups",
    "diffusion_matrix",
    "sparsify",
    "sample_clique_trees",
    "approx_schur",
    "undirected_to_edge_index",
    "laplacian",
    "dense_schur_complement",
    "EDGE_IDS",
    "NO_EDGE_ID",
]

#: NeighborLoader's edge ids: the id of each edge of a mini-batch in the full graph (PyG's ``E_KEYS``)
EDGE_IDS = "e_id"
#: the ``e_id`` of an edge a view added, which is no edge of the full graph: PyG's mark of "no edge"
#: (TGN's neighbour loader keeps ``e_id >= 0``); never 0 (the full graph's edge 0)
NO_EDGE_ID = -1


def symmetric_edge_draws(edge_index: torch.Tensor, node_draws: torch.Tensor) -> torch.Tensor:
    """One integer per edge, ``mix32(node_draws[u] + node_draws[v])`` (wrapping): both directions (and
    parallel copies) of an edge get the same value. With ``node_draws`` uniform over int32, the sums
    are uniform and pairwise independent (two edges share at most one endpoint; the sums over a forest
    are jointly uniform), but linearly tied around every even cycle (on a 4-cycle the fourth sum is
    s1 - s2 + s3: thresholded, the whole cycle is dropped or kept far more often than by independent
    draws); :func:`_mix32`, a bijection of int32 that is not linear modulo 2**32, breaks those ties and
    keeps each value uniform. It costs two gathers, an add, a shift, an xor and a multiply, no sort."""
    z = node_draws.index_select(0, edge_index[0])
    z += node_draws.index_select(0, edge_index[1])
    return _mix32(z)


#: odd multiplier of :func:`_mix32` (murmur3's first fmix32 constant, as a signed int32)
_M32 = 0x85EBCA6B - (1 << 32)


def _mix32(z: torch.Tensor) -> torch.Tensor:
    """``(z ^ (z << 16)) * _M32`` on int32 (wrapping), in place on ``z`` (a fresh tensor): a bijection
    of the 32-bit integers (the xor-shift is undone by the same xor, the multiplier is odd) whose high
    bits, which a threshold reads, depend on every bit of ``z`` through both the xor (not linear modulo
    2**32) and the multiply (not linear over bits). One xor-shift and one multiply, where murmur3's
    fmix32 finaliser has three and two; a left shift needs no mask (int32 has no logical right shift).
    The order matters: a multiply followed by a right xor-shift (which keeps the high 16 bits as they
    are) would leave the high bits linear in ``z``. On independent uniform node draws, the thresholded
    draws of the edges of 3-, 4-, 6- and 8-cycles, K4, K2,3, a 3x3 grid and triangles and squares
    sharing nodes or edges pass chi-square tests of independence over 16-40 million copies, at several
    rates, as the full finaliser does (the plain sum fails them at 1 million)."""
    z ^= z << 16
    z *= _M32
    return z


def keep_threshold(rate: torch.Tensor) -> torch.Tensor:
    """int32 thresholds t with P(uniform int32 >= t) = 1 - rate (rate 1 is handled by the caller)."""
    t = torch.round(rate.to(torch.float64) * 2.0**32 - 2.0**31)
    return t.clamp(max=2.0**31 - 1).to(torch.int32)


def drop_mask(edge_index: torch.Tensor, node_draws: torch.Tensor, rate: torch.Tensor,
              edge_graph: torch.Tensor | None = None, data: Any = None) -> torch.Tensor:
    """Keep-mask of an undirected edge dropout: edge kept iff its symmetric draw clears its graph's
    threshold (``rate`` per graph). With several graphs, give ``edge_graph`` (graph of each edge) or
    the Batch ``data`` whose edges these are."""
    draws = symmetric_edge_draws(edge_index, node_draws)
    if rate.numel() == 1 and host_reads_cheap(rate.device):  # one graph on the CPU: the threshold in Python
        r = float(rate[0])
        return draws >= min(round(r * 2.0**32 - 2.0**31), 2**31 - 1) if r < 1 else torch.zeros_like(draws, dtype=torch.bool)
    thr = keep_threshold(rate)
    if rate.numel() == 1:
        return (draws >= thr[0]) & (rate[0] < 1)  # no read: rate 1 drops every edge
    if edge_graph is not None:
        keep = draws >= thr[edge_graph]
        if _any(rate >= 1):
            keep &= (rate < 1)[edge_graph]
        return keep
    keep = draws >= edge_graph_values(data, thr)
    if _any(rate >= 1):
        keep &= edge_graph_values(data, rate < 1)
    return keep


def _any(mask: torch.Tensor) -> bool:
    """``mask.any()`` where reading it is free (the CPU); True elsewhere, so the caller does the
    (cheap, exact either way) masking instead of waiting for the device."""
    return bool(mask.any()) if host_reads_cheap(mask.device) else True


def random_int32(n: int, generator: torch.Generator, device: Any) -> torch.Tensor:
    """``n`` integers uniform over the whole int32 range (drawn as int64, wrapped to int32)."""
    return torch.randint(0, 2**32, (n,), generator=generator, device=device, dtype=torch.int64).to(torch.int32)


def pair_keys(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """One int64 per edge identifying the unordered pair {u, v} (both directions share it)."""
    lo = torch.minimum(edge_index[0], edge_index[1])
    hi = torch.maximum(edge_index[0], edge_index[1])
    return lo * int(num_nodes) + hi


# --------------------------------------------------------------------------------------------------
# Data / Batch bookkeeping
# --------------------------------------------------------------------------------------------------


def _is_batch(data: Any) -> bool:
    return isinstance(data, _pyg()[1])


def num_graphs(data: Any) -> int:
    """Number of graphs: 1 for a ``Data``, ``num_graphs`` for a ``Batch``."""
    return int(data.num_graphs) if _is_batch(data) else 1


def node_graph_index(data: Any) -> tuple[torch.Tensor, int]:
    """(graph id of every node, number of graphs); a ``Data`` is one graph."""
    dev = data.edge_index.device
    if _is_batch(data):
        return data.batch.to(dev), int(data.num_graphs)
    return torch.zeros(int(data.num_nodes), dtype=torch.long, device=dev), 1


def node_graph_values(data: Any, per_graph: torch.Tensor) -> torch.Tensor:
    """``per_graph[graph of each node]`` (one row of ``per_graph`` per graph, on its device): a gather
    through ``batch`` for a Batch, a broadcast view of the one row for a ``Data`` (no index built)."""
    if _is_batch(data):
        return per_graph[data.batch.to(per_graph.device)]
    return per_graph[:1].expand(int(data.num_nodes), *per_graph.shape[1:])


def node_edge_keys(data: Any, num_nodes: int | None = None) -> tuple[list[str], list[str]]:
    """Names of the node-level and edge-level tensor attributes of ``data`` (``edge_index`` and the
    ``batch``/``ptr`` bookkeeping excluded); ``num_nodes``: ``data.num_nodes`` where the caller has it.

    For a ``Batch`` the slice dictionary decides (an attribute sliced like the nodes is a node
    attribute); otherwise, and when nodes and edges have the same counts, the size along the
    concatenation dimension decides, with names containing ``edge`` taken as edge attributes. A sparse
    adjacency (``adj_t``), which no change of the edges can keep consistent, raises ``ValueError``.

    Attributes of another edge set are neither (:func:`other_edge_set_keys`): ``edge_label_index`` of
    link prediction and its ``edge_label`` (often as long as ``edge_index``: ``RandomLinkSplit``'s
    training split) describe supervision pairs, not the edges a view changes, and stay as they are."""
    n = int(data.num_nodes) if num_nodes is None else num_nodes
    e = int(data.edge_index.shape[1])
    node_keys, edge_keys = [], []
    slices = getattr(data, "_slice_dict", None) if _is_batch(data) else None
    node_sl = edge_sl = None
    skip = ("edge_index", "batch", "ptr", "num_nodes", "x_aug")  # x_aug: nodes on its 2nd axis
    if slices is not None:
        follow = follow_batch_keys(data)
        if follow:  # K_batch / K_ptr of a DataLoader's follow_batch=[K]: recomputed by _fix_batch
            skip = (*skip, *(f"{k}_batch" for k in follow), *(f"{k}_ptr" for k in follow))
        node_sl = _node_slices(data)
        edge_sl = slices.get("edge_index")
        edge_sl = edge_sl.cpu() if isinstance(edge_sl, torch.Tensor) else None
    items = list(data._store.items())  # (the store: PyG's keys() and data[key] cost more)
    other = other_edge_set_keys(items)
    for key, value in items:
        if key in skip:
            continue
        if not isinstance(value, torch.Tensor) or value.layout != torch.strided:
            refuse_unfollowable(data, key, value, "graph view", removes_nodes=False)
        if not isinstance(value, torch.Tensor) or value.dim() == 0 or (other and key in other):
            continue
        cat = data.__cat_dim__(key, value)
        if cat is None:
            continue
        size = value.shape[cat]
        named_edge = "edge" in key or key == EDGE_IDS  # (e_id: PyG's E_KEYS, NeighborLoader's edge ids)
        if slices is not None and key in slices and node_sl is not None and edge_sl is not None:
            sl = slices[key].cpu()
            is_node = sl.shape == node_sl.shape and torch.equal(sl, node_sl)
            is_edge = sl.shape == edge_sl.shape and torch.equal(sl, edge_sl)
            if is_node and is_edge:
                (edge_keys if named_edge else node_keys).append(key)
            elif is_node:
                node_keys.append(key)
            elif is_edge:
                edge_keys.append(key)
            continue
        if size == e and (named_edge or size != n):
            edge_keys.append(key)
        elif size == n:
            node_keys.append(key)
    return node_keys, edge_keys


def other_edge_set_keys(items: Any) -> frozenset[str]:
    """The attributes, among the store's ``(key, value)`` ``items``, of edge sets other than
    ``edge_index``: each ``P_index`` besides ``edge_index`` holding node pairs (a (2, M) tensor, e.g.
    link prediction's ``edge_label_index``) with every attribute named ``P`` or ``P_...``
    (``edge_label``, ``edge_label_time``...). They describe other pairs of nodes than the edges a view
    changes: never node or edge attributes of ``edge_index``, even when their length matches it."""
    prefixes = [k[:-6] for k, v in items if len(k) > 6 and k.endswith("_index") and k != "edge_index"
                and isinstance(v, torch.Tensor) and v.dim() == 2 and v.shape[0] == 2]
    if not prefixes:
        return frozenset()
    return frozenset(k for k, _ in items if any(k == p or k.startswith(p + "_") for p in prefixes))


def _node_slices(data: Any) -> torch.Tensor | None:
    """Node offsets per graph of a Batch on the CPU: the slices of ``x`` (PyG's node features, which
    PyG counts nodes by), kept on the CPU by the Batch, when they are consistent (no host read); else
    ``ptr``."""
    sl = (getattr(data, "_slice_dict", None) or {}).get("x")
    x = getattr(data, "x", None)
    if (isinstance(sl, torch.Tensor) and sl.device.type == "cpu" and isinstance(x, torch.Tensor)
            and sl.numel() == int(data.num_graphs) + 1 and int(sl[-1]) == x.shape[0] == int(data.num_nodes)):
        return sl
    return data.ptr.detach().cpu() if getattr(data, "ptr", None) is not None else None


def _take(value: torch.Tensor, index: torch.Tensor, dim: int) -> torch.Tensor:
    return value.index_select(dim, index) if index.dtype == torch.long else (value[index] if dim == 0 else value[..., index])


def _fix_batch(out: Any, data: Any, node_keys: list[str], edge_keys: list[str], node_graph: torch.Tensor,
               nodes_per: torch.Tensor, edges_per: torch.Tensor, removed: list[str]) -> None:
    """Rebuild ``batch``, ``ptr``, node counts and the slice/increment dicts of a Batch ``out``."""
    cpu_nodes, cpu_edges = torch.stack((nodes_per.detach(), edges_per.detach().to(nodes_per.device))).cpu()  # one read
    node_sl = torch.zeros(cpu_nodes.numel() + 1, dtype=torch.long)
    node_sl[1:] = torch.cumsum(cpu_nodes, 0)
    edge_sl = torch.zeros(cpu_edges.numel() + 1, dtype=torch.long)
    edge_sl[1:] = torch.cumsum(cpu_edges, 0)
    out.batch = node_graph
    out.ptr = node_sl.to(node_graph.device)
    old_slices = dict(getattr(data, "_slice_dict", {}) or {})
    old_incs = dict(getattr(data, "_inc_dict", {}) or {})
    slices, incs = {}, {}
    for key, sl in old_slices.items():
        if key in removed:
            continue
        if key == "edge_index" or key in edge_keys:
            slices[key] = edge_sl
        elif key in node_keys:
            slices[key] = node_sl
        else:
            slices[key] = sl
        incs[key] = old_incs.get(key)
    for key in ["edge_index", *edge_keys]:
        if key not in slices and key in out.keys():  # an edge attribute this view created
            slices[key] = edge_sl
            incs[key] = torch.zeros(cpu_edges.numel(), dtype=torch.long)
    incs["edge_index"] = node_sl[:-1].clone()
    out._slice_dict = slices
    out._inc_dict = incs
    store = out._store
    if "_num_nodes" in store.__dict__:
        store.__dict__["_num_nodes"] = cpu_nodes.tolist()
    if "num_nodes" in store.keys():
        store["num_nodes"] = int(cpu_nodes.sum())
    follow = follow_batch_keys(data)
    if follow:
        set_follow_batch(out, follow)


def edge_slices(data: Any) -> torch.Tensor | None:
    """Edge offsets per graph of a Batch (from its slice dict), on the edges' device; None when
    unknown or inconsistent with ``edge_index``."""
    if not _is_batch(data):
        return None
    sl = (getattr(data, "_slice_dict", None) or {}).get("edge_index")
    if not isinstance(sl, torch.Tensor) or sl.numel() != int(data.num_graphs) + 1 or int(sl[-1]) != data.edge_index.shape[1]:
        return None
    return sl.to(data.edge_index.device)


def edge_graph_values(data: Any, per_graph: torch.Tensor) -> torch.Tensor:
    """``per_graph[graph of each edge]``: a sequential repeat when the Batch's edge slices are known
    (edges are stored graph by graph), otherwise a gather through the source node's graph. int32
    values (EdgeDrop's thresholds) are filled by a running sum of each graph's step from the previous
    one, placed at its first edge (exact in wrapping int32 arithmetic; about half the time of
    ``repeat_interleave``, which builds and gathers an int64 index)."""
    sl = edge_slices(data)
    if sl is not None:
        E = data.edge_index.shape[1]
        if per_graph.dtype == torch.int32 and E:
            step = per_graph.clone()
            step[1:] -= per_graph[:-1]
            start = sl[:-1]
            step = torch.where(start < E, step, 0)  # graphs after the last edge (none of their own): no step
            fill = torch.zeros(E, dtype=torch.int32, device=per_graph.device).index_add_(0, start.clamp(max=E - 1), step)
            return torch.cumsum(fill, 0, dtype=torch.int32)
        return per_graph.repeat_interleave(sl[1:] - sl[:-1], output_size=E)
    node_graph, _ = node_graph_index(data)
    return per_graph[node_graph[data.edge_index[0]]]


#: node attributes PyG's ``Data.num_nodes`` counts nodes by (``torch_geometric.data.storage.N_KEYS``)
_NODE_COUNT_KEYS = frozenset({"x", "feat", "pos", "batch", "node_type", "n_id", "tf"})


def _counts_nodes(data: Any) -> bool:
    """Whether PyG counts the nodes of the ``Data`` ``data`` from one of its attributes (``x``, ``pos``...
    or a name containing ``node``) rather than a stored ``num_nodes`` or ``edge_index``'s largest id."""
    keys = data._store.keys()  # a view of the stored dict: cheap membership tests
    return "x" in keys or any(k in _NODE_COUNT_KEYS or "node" in k for k in keys if k != "num_nodes")


def _warn_edge_ids_removed() -> None:
    warn_user(f"data.{EDGE_IDS} removed: the view rebuilt the edge set, whose edges are not the full graph's edges "
              f"that {EDGE_IDS} numbers (full.edge_attr[out.{EDGE_IDS}] would read other edges); use a view that only "
              "removes edges or nodes (EdgeDrop, NodeDrop...) to keep it", RuntimeWarning)


def _rebuild(data: Any, node_keep: torch.Tensor | None, edge_index: torch.Tensor,
             edge_values: dict[str, torch.Tensor], removed_edge_keys: list[str],
             edges_per: torch.Tensor | None = None, node_keys: list[str] | None = None) -> Any:
    """Shared body of :func:`subgraph` and :func:`replace_edges` (``edge_index`` already relabelled;
    ``node_keys``: :func:`node_edge_keys`'s node attributes where the caller has them). Removing
    ``e_id`` (NeighborLoader's edge ids) warns, naming it."""
    if EDGE_IDS in removed_edge_keys and EDGE_IDS in data._store.keys():
        _warn_edge_ids_removed()
    batch = _is_batch(data)
    if node_keep is not None and "x_aug" in data._store.keys():
        from .base import refuse_x_aug

        refuse_x_aug([data], "an augmenter that removes nodes (NodeDrop, RandomWalkSubgraph, SchurView)")
    if node_keep is not None:
        refuse_unfollowable_all(data, "graph view removing nodes", removes_nodes=True)
    if node_keys is None:
        node_keys, _ = node_edge_keys(data)
    out = data.__copy__()  # shallow: tensors are replaced, never modified in place
    if batch:
        node_graph, n_graphs = node_graph_index(data)
    n_new = None
    if node_keep is not None:
        keep_idx = node_keep.nonzero().flatten() if node_keep.dtype == torch.bool else node_keep
        for key in node_keys:
            value = data[key]
            out[key] = value.index_select(data.__cat_dim__(key, value), keep_idx.to(value.device))
        if batch:
            node_graph = node_graph[keep_idx]
        n_new = int(keep_idx.numel())
    for key in removed_edge_keys:
        if key in out.keys():
            del out[key]
    out.edge_index = edge_index
    for key, value in edge_values.items():
        out[key] = value
    if not batch:
        # PyG's Data.subgraph convention: a stored num_nodes is updated, none is added (the count then
        # comes from x, pos... as for the input), so augmented graphs batch with untouched ones. A graph
        # without any node attribute PyG counts nodes by keeps its exact count stored instead (PyG
        # would re-infer it from edge_index and lose the isolated nodes with the highest ids)
        if node_keep is not None and ("num_nodes" in data._store.keys() or not _counts_nodes(data)):
            out.num_nodes = n_new
        return out
    nodes_per = torch.bincount(node_graph, minlength=n_graphs)
    if edges_per is None:
        edge_graph = node_graph[edge_index[0]] if edge_index.numel() else edge_index.new_zeros(0)
        edges_per = torch.bincount(edge_graph, minlength=n_graphs)
    _fix_batch(out, data, node_keys, list(edge_values), node_graph, nodes_per, edges_per, removed_edge_keys)
    return out


#: NeighborLoader's per-hop counts (lists of ints; lists of lists in a Batch of its mini-batches): nodes and
#: edges come hop by hop, and PyG's ``trim_to_layer`` slices them by these counts
_HOP_COUNT_KEYS = {"num_sampled_nodes": "nodes", "num_sampled_edges": "edges"}


def _hop_counts(data: Any) -> dict[str, Any]:
    """The per-hop counts ``data`` stores (``num_sampled_nodes``/``num_sampled_edges``), by key."""
    store = data._store
    return {k: store[k] for k in _HOP_COUNT_KEYS if k in store.keys() and store[k] is not None}


def _recount_hops(key: str, counts: Any, keep: torch.Tensor) -> Any:
    """``counts`` (one count per hop, or per graph and hop: a list of lists) after keeping the rows
    where the bool mask ``keep`` holds (rows kept in order, so each hop keeps its place)."""
    nested = bool(counts) and isinstance(counts[0], (list, tuple))
    groups = [list(c) for c in counts] if nested else [list(counts)]
    flat = [c for grp in groups for c in grp]
    if not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in flat) or sum(flat) != keep.numel():
        raise ValueError(f"graph view: data.{key} must count the graph's {_HOP_COUNT_KEYS[key]} per hop (NeighborLoader's "
                         f"list of ints summing to {keep.numel()}), got {counts!r:.200}; fix or delete it (del data.{key})")
    seg = torch.repeat_interleave(torch.arange(len(flat)), torch.tensor(flat, dtype=torch.long), output_size=keep.numel())
    new = torch.bincount(seg[keep.cpu()], minlength=len(flat)).tolist()
    out, i = [], 0
    for grp in groups:
        out.append(new[i:i + len(grp)])
        i += len(grp)
    return out if nested else out[0]


def _follow_hops(out: Any, hops: dict[str, Any], node_keep: torch.Tensor | None, edge_keep: torch.Tensor | None,
                 edges_rebuilt: bool, num_nodes: int) -> None:
    """Keep a NeighborLoader mini-batch's per-hop counts true in ``out``: recounted over the kept nodes
    (``node_keep``: bool mask or sorted index, None: all kept) and edges (``edge_keep``: bool mask, None:
    all kept). A rebuilt edge set (``edges_rebuilt``) has no hops: ``num_sampled_edges`` is removed,
    with a warning."""
    for key, counts in hops.items():
        if _HOP_COUNT_KEYS[key] == "nodes":
            if node_keep is None:
                continue
            mask = node_keep if node_keep.dtype == torch.bool else torch.zeros(
                num_nodes, dtype=torch.bool, device=node_keep.device).index_fill_(0, node_keep, True)
            out[key] = _recount_hops(key, counts, mask)
        elif edges_rebuilt:
            del out[key]
            for d in (getattr(out, "_slice_dict", None), getattr(out, "_inc_dict", None)):
                if isinstance(d, dict):
                    d.pop(key, None)
            warn_user(f"data.{key} removed: the view rebuilt the edge set, whose edges belong to no hop of the "
                      "NeighborLoader's sampling (trim_to_layer cannot slice them); use a view that only removes "
                      "edges or nodes (EdgeDrop, NodeDrop...) to keep it", RuntimeWarning)
        elif edge_keep is not None:
            out[key] = _recount_hops(key, counts, edge_keep)


def subgraph(data: Any, node_keep: torch.Tensor | None = None, edge_keep: torch.Tensor | None = None) -> Any:
    """Copy of ``data`` keeping the nodes where ``node_keep`` (bool mask or sorted long index) and the
    edges where ``edge_keep`` (bool mask) hold; edges touching a removed node go too. Nodes are
    relabelled ``0..n'-1`` in their original order; every node and edge attribute follows, and a
    Batch keeps working with ``to_data_list()``. The input is not modified."""
    ei = data.edge_index
    N = int(data.num_nodes)
    node_keys, edge_keys = node_edge_keys(data, N)
    keep_e = edge_keep
    new_id = None
    if node_keep is not None:
        mask = node_keep if node_keep.dtype == torch.bool else torch.zeros(N, dtype=torch.bool, device=ei.device).index_fill_(0, node_keep, True)
        ok = mask.index_select(0, ei[0]) & mask.index_select(0, ei[1])
        keep_e = ok if keep_e is None else (keep_e & ok)
        new_id = torch.cumsum(mask.to(torch.long), 0) - 1
        node_keep = mask
    edges_per = None
    if keep_e is None:
        new_ei = ei.clone()
        values = {k: data[k] for k in edge_keys}
    else:
        idx = keep_e.nonzero().flatten()
        new_ei = ei.new_empty((2, idx.numel()))  # row by row: a gather along dim 1 of (2, E) is ~1.3x slower
        torch.index_select(ei[0], 0, idx, out=new_ei[0])
        torch.index_select(ei[1], 0, idx, out=new_ei[1])
        values = {k: data[k].index_select(data.__cat_dim__(k, data[k]), idx.to(data[k].device)) for k in edge_keys}
        sl = edge_slices(data)
        if sl is not None:  # kept edges stay in order, so the old slices cut them per graph
            edges_per = torch.diff(torch.searchsorted(idx, sl))
    if new_id is not None:
        new_ei = new_id.index_select(0, new_ei.reshape(-1)).view(new_ei.shape)
    out = _rebuild(data, node_keep, new_ei, values, [], edges_per=edges_per, node_keys=node_keys)
    hops = _hop_counts(data)
    if hops:
        _follow_hops(out, hops, node_keep, keep_e, False, N)
    return out


def replace_edges(data: Any, edge_index: torch.Tensor, edge_values: dict[str, torch.Tensor] | None = None,
                  node_keep: torch.Tensor | None = None, keys: tuple[list[str], list[str]] | None = None) -> Any:
    """Copy of ``data`` with a new edge set (indices already in the output's numbering). Edge
    attributes of ``data`` not given in ``edge_values`` are removed (they cannot follow new edges;
    NeighborLoader's ``e_id`` with a ``RuntimeWarning``, as ``num_sampled_edges``).
    For a Batch the edges must be grouped by graph in graph order (see :func:`sort_edges_by_graph`).
    ``keys``: :func:`node_edge_keys` of ``data`` where the caller has them."""
    edge_values = dict(edge_values or {})
    node_keys, edge_keys = node_edge_keys(data) if keys is None else keys
    removed = [k for k in edge_keys if k not in edge_values]
    out = _rebuild(data, node_keep, edge_index, edge_values, removed, node_keys=node_keys)
    hops = _hop_counts(data)
    if hops:
        _follow_hops(out, hops, node_keep, None, True, int(data.num_nodes))
    return out


def view_weight_dtype(data: Any) -> torch.dtype:
    """dtype of a weighted view's ``edge_weight``: the input's when it is floating point, else float32
    (integer or bool weights, or none). One rule for the graphs a view rebuilds and those it leaves
    alone, so ``p < 1`` does not decide the dtype."""
    w = getattr(data, "edge_weight", None)
    return w.dtype if isinstance(w, torch.Tensor) and w.is_floating_point() else torch.float32


def view_edge_weight(data: Any) -> torch.Tensor:
    """``data``'s ``edge_weight`` in :func:`view_weight_dtype` (weight 1 on every edge where it is
    missing): what a weighted view starts from and gives the graphs it leaves alone."""
    w = getattr(data, "edge_weight", None)
    dt = view_weight_dtype(data)
    if isinstance(w, torch.Tensor):
        return w.to(dt)
    return torch.ones(data.edge_index.shape[1], dtype=dt, device=data.edge_index.device)


def as_weighted_view(data: Any) -> Any:
    """``data`` with the attribute set of a weighted view (DiffusionView, SchurView): ``edge_weight``
    (weight 1 on every edge where it is missing) and no other edge attribute (``edge_attr``...: they
    cannot follow a rebuilt edge set). ``data`` itself when it already has that set; else a copy (a
    Batch keeps its slices). Views apply it to the graphs ``p`` did not draw, and compositions holding
    a view to every output, so a per-graph transform gives every graph the same attributes."""
    node_keys, edge_keys = node_edge_keys(data)
    w = getattr(data, "edge_weight", None)
    if isinstance(w, torch.Tensor) and w.is_floating_point() and all(k == "edge_weight" for k in edge_keys):
        return data
    removed = [k for k in edge_keys if k != "edge_weight"]
    return _rebuild(data, None, data.edge_index, {"edge_weight": view_edge_weight(data)}, removed, node_keys=node_keys)


def sort_edges_by_graph(edge_index: torch.Tensor, node_graph: torch.Tensor, *values: torch.Tensor):
    """Stable sort of edges by the graph of their source (needed to slice a Batch)."""
    if edge_index.numel() == 0:
        return (edge_index, *values)
    order = torch.sort(node_graph[edge_index[0]], stable=True)[1]
    return (edge_index[:, order], *(v[order] for v in values))


# --------------------------------------------------------------------------------------------------
# Segments and per-group sampling
# --------------------------------------------------------------------------------------------------


def segment_offsets(counts: torch.Tensor) -> torch.Tensor:
    """Exclusive cumulative sum: start of each segment."""
    return torch.cumsum(counts, 0) - counts


def sample_per_group(group: torch.Tensor, k: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Bool mask choosing ``k[g]`` items of each group ``g`` uniformly without replacement.

    ``group``: group id of every item; ``u``: one uniform per item (the randomness). The items with
    the smallest ``u`` in their group are chosen."""
    if group.numel() == 0:
        return torch.zeros(0, dtype=torch.bool, device=group.device)
    order = torch.argsort(u)
    order = order[torch.sort(group[order], stable=True)[1]]
    counts = torch.bincount(group, minlength=k.numel())
    start = segment_offsets(counts)
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=group.device) - start[group[order]]
    return rank < k[group]


def _csr(edge_index: torch.Tensor, num_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
    order = torch.sort(edge_index[0], stable=True)[1]
    col = edge_index[1, order]
    deg = torch.bincount(edge_index[0], minlength=num_nodes)
    rowptr = torch.zeros(num_nodes + 1, dtype=torch.long, device=edge_index.device)
    rowptr[1:] = torch.cumsum(deg, 0)
    return rowptr, col


def random_walks(edge_index: torch.Tensor, num_nodes: int, start: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Uniform random walks, all at once: ``u`` is (len(start), walk_length) uniforms; returns the
    visited nodes (len(start), walk_length + 1). A walk at a node without out-edges stays there."""
    rowptr, col = _csr(edge_index, num_nodes)
    deg = rowptr[1:] - rowptr[:-1]
    cur = start
    path = [cur]
    for t in range(u.shape[1]):
        d = deg[cur]
        off = torch.clamp((u[:, t] * d).to(torch.long), max=torch.clamp(d - 1, min=0))
        nxt = col[torch.clamp(rowptr[cur] + off, max=max(col.numel() - 1, 0))] if col.numel() else cur
        cur = torch.where(d > 0, nxt, cur)
        path.append(cur)
    return torch.stack(path, dim=1)


# --------------------------------------------------------------------------------------------------
# Undirected weighted graphs
# --------------------------------------------------------------------------------------------------


def compact(mask: torch.Tensor, count: int | None = None) -> torch.Tensor:
    """Positions of the True entries of the 1-D ``mask``: ``nonzero`` where host reads are cheap or the
    ``count`` is unknown (a host read), else ``nonzero_static`` with the ``count`` the caller knows (no
    read; on the CPU it is slower than ``nonzero``)."""
    if count is None or host_reads_cheap(mask.device):
        return mask.nonzero().squeeze(1)
    return torch.nonzero_static(mask, size=count).squeeze(1)


def sorted_groups(key: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(sorted keys, sort order, first)``: ``first`` marks the first of each run of equal keys (the
    first half of :func:`coalesce_sum`, for callers that read the number of groups together with other
    counts)."""
    ks, order = torch.sort(key)
    first = torch.ones(ks.numel(), dtype=torch.bool, device=ks.device)
    first[1:] = ks[1:] != ks[:-1]
    return ks, order, first


def sum_groups(ks: torch.Tensor, order: torch.Tensor, first: torch.Tensor, value: torch.Tensor,
               count: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The second half of :func:`coalesce_sum`: distinct keys and the sums of ``value`` per group.
    ``count`` (the number of groups, ``first.sum()``) where the caller knows it: no host read then."""
    vs = value.index_select(0, order)
    if count is None:
        count = int(first.sum())  # (the one host read)
    if count == ks.numel():
        return ks, vs
    seg = torch.cumsum(first, 0) - 1
    out = torch.zeros(count, dtype=value.dtype, device=value.device).index_add_(0, seg, vs)
    return ks.index_select(0, compact(first, count)), out


def coalesce_sum(key: torch.Tensor, value: torch.Tensor, count: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Sorted distinct ``key`` values and the sums of ``value`` over equal keys (one sort, cheaper
    than ``torch.unique(return_inverse=True)``). ``count``: the number of distinct keys where the caller
    knows it (no host read; otherwise one)."""
    if key.numel() == 0:
        return key, value
    ks, order, first = sorted_groups(key)
    return sum_groups(ks, order, first, value, count)


_C1 = 0xBF58476D1CE4E5B9 - (1 << 64)  # splitmix64 constants as signed int64
_C2 = 0x94D049BB133111EB - (1 << 64)


def _mix64(z: torch.Tensor) -> torch.Tensor:
    """splitmix64 finaliser on int64 (wrapping arithmetic, logical shifts)."""
    z = (z ^ ((z >> 30) & ((1 << 34) - 1))) * _C1
    z = (z ^ ((z >> 27) & ((1 << 37) - 1))) * _C2
    return z ^ ((z >> 31) & ((1 << 33) - 1))


def _same_multiset(ka: torch.Tensor, wa: torch.Tensor, kb: torch.Tensor, wb: torch.Tensor) -> bool:
    """Fast probabilistic test that the (key, weight) multisets are equal: sums of a 64-bit hash of
    the keys (exact, wrapping) and of hash-weighted weights (float64, relative tolerance 1e-9),
    compared on the device and read once."""
    if ka.numel() != kb.numel():
        return False
    ha, hb = _mix64(ka), _mix64(kb)
    fa = ((ha >> 11) & ((1 << 53) - 1)).to(torch.float64)
    fb = ((hb >> 11) & ((1 << 53) - 1)).to(torch.float64)
    sa, sb = (fa * wa.to(torch.float64)).sum(), (fb * wb.to(torch.float64)).sum()
    scale = torch.maximum(torch.maximum(sa.abs(), sb.abs()), sa.new_tensor(1e-300))
    return bool((ha.sum() == hb.sum()) & ((sa - sb).abs() <= 1e-9 * scale))


def coalesce_undirected(edge_index: torch.Tensor, edge_weight: torch.Tensor, num_nodes: int,
                        symmetrize: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Check an undirected weighted graph given in both directions; return each edge once.

    Returns ``(lo, hi, w)`` with lo < hi. Raises ``ValueError`` for self-loops, non-positive or
    non-finite weights, and for a directed graph (a pair whose two directions differ) unless
    ``symmetrize`` is True, in which case each pair takes the larger of its two directed weights (a
    one-way edge becomes two-way). The common case (each entry mirrored exactly) is recognised in
    O(E) without sorting, and parallel edges are then returned as they are (not merged); otherwise
    pairs are merged (parallel edges summed) and compared exactly. Two host reads in the common case
    (the checks with the count of forward entries; the mirror test)."""
    src, dst = edge_index[0], edge_index[1]
    E = src.numel()
    fwd = src < dst
    loops = src == dst
    bad_w = (~torch.isfinite(edge_weight) | (edge_weight <= 0)) if edge_weight.numel() else loops
    n_loops, n_bad, n_f = torch.stack((loops.sum(), bad_w.sum(), fwd.sum())).tolist()
    if n_loops:
        raise ValueError(f"the graph has {n_loops} self-loop(s); remove them first (e.g. torch_geometric.utils.remove_self_loops)")
    if n_bad:
        bad = edge_weight[bad_w][:3].tolist()
        raise ValueError(f"edge_weight must be positive and finite, found {bad} (expected weights > 0)")
    N = int(num_nodes)
    fi, bi = compact(fwd, n_f), compact(~fwd, E - n_f)
    lo_f, hi_f, w_f = src.index_select(0, fi), dst.index_select(0, fi), edge_weight.index_select(0, fi)
    kf = lo_f * N + hi_f
    kb = dst.index_select(0, bi) * N + src.index_select(0, bi)
    w_b = edge_weight.index_select(0, bi)
    if _same_multiset(kf, w_f, kb, w_b):
        return lo_f, hi_f, w_f
    uf, wf = coalesce_sum(kf, w_f)
    ub, wb = coalesce_sum(kb, w_b)
    same = uf.numel() == ub.numel() and bool(torch.equal(uf, ub)) and bool(torch.allclose(wf, wb, rtol=1e-5, atol=0.0))
    if same:
        key, w = uf, wf
    elif symmetrize:
        key, inv = torch.unique(torch.cat([uf, ub]), return_inverse=True)
        w = torch.zeros(key.numel(), dtype=edge_weight.dtype, device=edge_weight.device)
        w = w.scatter_reduce(0, inv, torch.cat([wf, wb]), reduce="amax", include_self=False)
    else:
        raise ValueError(f"the graph is directed: {_asymmetry(uf, wf, ub, wb, N)}; pass symmetrize=True to use the "
                         "undirected version, or make it undirected with torch_geometric.utils.to_undirected")
    return torch.div(key, N, rounding_mode="floor"), key % N, w


def _asymmetry(uf: torch.Tensor, wf: torch.Tensor, ub: torch.Tensor, wb: torch.Tensor, N: int) -> str:
    """What makes a graph directed, for :func:`coalesce_undirected`'s error: the node pairs (sorted
    ``lo * N + hi`` keys, parallel edges summed: ``uf``/``wf`` from the entries u < v, ``ub``/``wb``
    from u > v) stored in one direction only, and those whose two directions differ in weight, each
    with an example."""
    def member(a: torch.Tensor, sorted_b: torch.Tensor) -> torch.Tensor:
        if not sorted_b.numel():
            return torch.zeros_like(a, dtype=torch.bool)
        return sorted_b[torch.searchsorted(sorted_b, a).clamp(max=sorted_b.numel() - 1)] == a

    in_b, in_f = member(uf, ub), member(ub, uf)
    only_f, only_b = uf[~in_b], ub[~in_f]
    n_one_way = only_f.numel() + only_b.numel()
    # (the keys both have are sorted in both: the same pairs in the same order)
    w1, w2 = wf[in_b], wb[in_f]
    differ = (~torch.isclose(w1, w2, rtol=1e-5, atol=0.0)).nonzero().flatten()
    parts = []
    if n_one_way:
        u, v = divmod(int(only_f[0]), N) if only_f.numel() else divmod(int(only_b[0]), N)[::-1]
        parts.append(f"{n_one_way} edge(s) stored in one direction only, e.g. ({u}, {v}) without ({v}, {u})")
    if differ.numel():
        i = int(differ[0])
        u, v = divmod(int(uf[in_b][i]), N)
        parts.append(f"{differ.numel()} edge(s) whose two directions differ in weight (parallel edges summed), "
                     f"e.g. ({u}, {v}): {float(w1[i]):g} vs ({v}, {u}): {float(w2[i]):g}")
    return "; ".join(parts) if parts else "the two directions of some edges differ"


def laplacian(edge_index: torch.Tensor, edge_weight: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Dense Laplacian D - A of a graph given as directed entries (each undirected edge twice)."""
    A = torch.zeros(num_nodes, num_nodes, dtype=torch.float64, device=edge_index.device)
    A.index_put_((edge_index[0], edge_index[1]), edge_weight.to(torch.float64), accumulate=True)
    A.fill_diagonal_(0.0)
    return torch.diag(A.sum(1)) - A


def dense_schur_complement(L: torch.Tensor, eliminate: torch.Tensor) -> torch.Tensor:
    """Exact Schur complement of the dense matrix ``L`` onto the nodes not in ``eliminate`` (bool).
    A singular eliminated block (an isolated node, a whole component eliminated) takes the
    pseudo-inverse: the generalised Schur complement, which is what elimination gives there."""
    k = ~eliminate
    Lkk = L[k][:, k]
    Lke = L[k][:, eliminate]
    Lee = L[eliminate][:, eliminate]
    if Lee.numel() == 0:
        return Lkk
    sol, info = torch.linalg.solve_ex(Lee, Lke.T)
    if bool(info.any()):  # singular: not a hot path (a reference helper), so the host read is fine
        sol = torch.linalg.pinv(Lee) @ Lke.T
    return Lkk - Lke @ sol


# --------------------------------------------------------------------------------------------------
# Diffusion (personalized PageRank, heat kernel)
# --------------------------------------------------------------------------------------------------


#: graphs of at most this many nodes get the exact diffusion (dense, per graph: O(n^2) memory; about
#: 0.5 s for PPR (Cholesky, O(n^3)) and 0.4 to 1.3 s for the heat kernel at t = 3 to 50 on Cora's 2708
#: nodes, one CPU thread); larger graphs the sparse truncated series
DENSE_DIFFUSION_MAX_NODES = 4096
#: entries of the padded (graphs x n x n) blocks that one dense batch of graphs may hold
_DENSE_BLOCK_ENTRIES = 1 << 24


def diffusion_matrix(edge_index: torch.Tensor, edge_weight: torch.Tensor | None, num_nodes: int, method: str = "ppr",
                     alpha: float = 0.15, t: float = 3.0, tol: float = 1e-4, max_terms: int | None = None,
                     node_graph: torch.Tensor | None = None, dense_max_nodes: int | None = None,
                     keep_min: float | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Graph diffusion S = Σ_k θ_k T^k with T = D_out^-1/2 A D_in^-1/2 (``A[u, v]``: weight of the edge
    u -> v, ``edge_weight`` when given, else 1; ``D_out``/``D_in``: weighted out-/in-degrees, a zero degree
    giving 0): ``method='ppr'``, θ_k = α(1-α)^k, S = α(I - (1-α)T)^-1; ``'heat'``, θ_k = e^-t t^k/k!,
    S = exp(-t(I - T)).

    On an undirected graph D_out = D_in = D and T is the symmetric normalisation D^-1/2 A D^-1/2 of
    MVGRL and PyG's ``GDC``. On a directed graph the two-sided rule keeps every edge: a sink (no
    out-edge) keeps its in-edges and a source (no in-edge) its out-edges, where one degree on both
    sides would zero them (the out-degree loses the edges into sinks; the in-degree, as PyG's
    ``GDC.transition_matrix(normalization='sym')`` and hence PyGCL's ``PPRDiffusion`` do, the edges out
    of sources; MVGRL builds an undirected ``networkx.Graph``, i.e. symmetrises first). ||T||_2 <= 1 in
    both cases (Schur test with the vectors sqrt(D_out), sqrt(D_in)), so the series and the error
    bounds below hold for directed graphs too.

    Returns ``(edge_index, value)`` of the entries of S that are ``>= tol`` (symmetrised, (S + Sᵀ)/2,
    self-loops included), in row-major order. ``node_graph`` (graph of each node, sorted, as a Batch's
    ``batch``) makes S block-diagonal, one block per graph.

    * graphs of at most ``dense_max_nodes`` nodes (default :data:`DENSE_DIFFUSION_MAX_NODES`): S is
      computed densely per graph (several small graphs per batched call): PPR exactly (Cholesky, or
      a general inverse for a directed graph), the heat kernel by its Taylor series with the terms
      left out weighing < ``tol / 2`` (Horner, sparse T times a dense matrix), so every entry is
      within ``tol / 2`` (plus float32 rounding) of the exact one, and entries ``< tol`` are omitted;
    * larger graphs (all graphs of the input once one is larger): the sparse series, summed term by
      term until the remaining coefficient mass R_k = Σ_{j>=k} θ_j is below ``tol`` (or ``max_terms``
      terms, with a warning when mass is left). To stay sparse, entries v of T^k with v·R_k < ``tol``
      are dropped (T^k's entries reach S through every later term, whose weights sum to R_k): an
      approximation from below that keeps the first entries and the mass of S far better than
      truncating by θ_k alone, but on large graphs with slow decay (small α, large t) the thin
      long-range tail of S (entries around ``tol``) is lost.

    ``keep_min``: where the caller keeps only entries ``>= keep_min`` (> ``tol``) of the result, the
    dense path omits the smaller ones per group of graphs already (memory in line with the output,
    not with n² per graph); the sparse path still needs ``tol`` for its accuracy."""
    if method not in ("ppr", "heat"):
        raise ValueError(f"method must be 'ppr' or 'heat', got {method!r}")
    dev = edge_index.device
    N = int(num_nodes)
    w = torch.ones(edge_index.shape[1], device=dev, dtype=torch.float32) if edge_weight is None else edge_weight.to(torch.float32)
    if N == 0:
        return edge_index.new_zeros(2, 0), w.new_zeros(0)
    if node_graph is None:
        node_graph = torch.zeros(N, dtype=torch.long, device=dev)
    nodes_per = torch.bincount(node_graph)
    limit = DENSE_DIFFUSION_MAX_NODES if dense_max_nodes is None else int(dense_max_nodes)
    if int(nodes_per.max()) <= limit:
        return _dense_diffusion(edge_index, w, N, node_graph, nodes_per, method, alpha, t, tol,
                                max(tol, keep_min) if keep_min is not None else tol)
    return _sparse_diffusion(edge_index, w, N, method, alpha, t, tol, max_terms)


def _inv_sqrt(deg: torch.Tensor) -> torch.Tensor:
    """deg^-1/2, 0 where the degree is 0."""
    return torch.where(deg > 0, deg.clamp(min=1e-30).rsqrt(), torch.zeros_like(deg))


def _dense_diffusion(edge_index: torch.Tensor, w: torch.Tensor, N: int, node_graph: torch.Tensor,
                     nodes_per: torch.Tensor, method: str, alpha: float, t: float, tol: float,
                     keep_min: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Exact diffusion of each graph, dense, graphs of similar sizes batched (padding nodes are
    isolated and dropped); entries ``>= keep_min`` kept."""
    dev = edge_index.device
    ptr = segment_offsets(nodes_per)
    local = torch.arange(N, device=dev) - ptr[node_graph]
    edge_graph = node_graph[edge_index[0]]
    sizes = nodes_per.tolist()
    order = sorted(range(len(sizes)), key=sizes.__getitem__)
    groups, cur = [], []
    for g in order:  # consecutive sizes, each padded block within the entry budget
        if cur and (len(cur) + 1) * max(sizes[g], 1) ** 2 > _DENSE_BLOCK_ENTRIES:
            groups.append(cur)
            cur = []
        cur.append(g)
    groups.append(cur)
    ptr_host = [0] + list(itertools.accumulate(sizes))
    out_k, out_v = [], []
    for group in groups:
        n = max(sizes[group[-1]], 1)
        B = len(group)
        slot = torch.full((len(sizes),), -1, dtype=torch.long, device=dev)
        slot[torch.tensor(group, device=dev)] = torch.arange(B, device=dev)
        e_slot = slot[edge_graph]
        sel = (e_slot >= 0).nonzero().squeeze(1) if B < len(sizes) else None
        src, dst, ww, eb = ((edge_index[0], edge_index[1], w, e_slot) if sel is None else
                            (edge_index[0, sel], edge_index[1, sel], w[sel], e_slot[sel]))
        if method == "ppr":
            A = torch.zeros(B, n, n, dtype=torch.float32, device=dev)
            A.index_put_((eb, local[src], local[dst]), ww, accumulate=True)
            symmetric = bool(torch.equal(A, A.transpose(1, 2)))
            d_out = _inv_sqrt(A.sum(2))
            d_in = d_out if symmetric else _inv_sqrt(A.sum(1))
            M = torch.eye(n, dtype=torch.float32, device=dev) - (1 - alpha) * (d_out[:, :, None] * A * d_in[:, None, :])
            if symmetric:  # symmetric positive definite (eigenvalues in [α, 2-α])
                S = alpha * torch.cholesky_inverse(torch.linalg.cholesky(M))
            else:
                S = alpha * torch.linalg.inv(M)
        else:
            # Horner on the Taylor series with the sparse block-diagonal T: K products T @ (B n x n),
            # far cheaper than an eigendecomposition; the terms left out weigh < tol / 2 and
            # |(T^k)_ij| <= 1 (||T||_2 <= 1), so they change no entry by more than that
            row = eb * n + local[src]
            col = eb * n + local[dst]
            d_out = _inv_sqrt(torch.zeros(B * n, dtype=torch.float32, device=dev).index_add_(0, row, ww))
            d_in = _inv_sqrt(torch.zeros(B * n, dtype=torch.float32, device=dev).index_add_(0, col, ww))
            T = torch.sparse_coo_tensor(torch.stack([row, col]), d_out[row] * ww * d_in[col], (B * n, B * n),
                                        check_invariants=False).coalesce()
            coef = _heat_coefficients(t, tol / 2)
            P = torch.zeros(B * n, n, dtype=torch.float32, device=dev)
            P.view(B, n, n).diagonal(dim1=1, dim2=2).fill_(coef[-1])
            for c in reversed(coef[:-1]):
                P = torch.sparse.mm(T, P)
                P.view(B, n, n).diagonal(dim1=1, dim2=2).add_(c)
            S = P.view(B, n, n)
        S = (S + S.transpose(1, 2)) * 0.5
        n_g = torch.tensor([sizes[g] for g in group], device=dev)
        valid = torch.arange(n, device=dev)[None, :] < n_g[:, None]
        keep = (S >= keep_min) & valid[:, :, None] & valid[:, None, :]
        b, i, j = keep.nonzero().unbind(1)
        off = torch.tensor([ptr_host[g] for g in group], device=dev)[b]
        out_k.append((off + i) * N + off + j)
        out_v.append(S[b, i, j])
    key, val = torch.cat(out_k), torch.cat(out_v)
    if len(groups) > 1 or order != sorted(order):
        key, perm = torch.sort(key)
        val = val[perm]
    return torch.stack([torch.div(key, N, rounding_mode="floor"), key % N]), val


def _heat_coefficients(t: float, tail: float) -> list[float]:
    """e^-t t^k / k! for k = 0, 1, ... until the coefficients left out weigh less than ``tail``."""
    if t <= 0:
        return [1.0]
    coef, rest, k = [], 1.0, 0
    while True:
        c = math.exp(-t + k * math.log(t) - math.lgamma(k + 1))
        coef.append(c)
        rest -= c
        k += 1
        if k > t and rest < tail:
            return coef


def _sparse_diffusion(edge_index: torch.Tensor, w: torch.Tensor, N: int, method: str, alpha: float, t: float,
                      tol: float, max_terms: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """The truncated sparse series of :func:`diffusion_matrix` (large graphs)."""
    dev = edge_index.device
    d_out = _inv_sqrt(torch.zeros(N, device=dev, dtype=torch.float32).index_add_(0, edge_index[0], w))
    d_in = _inv_sqrt(torch.zeros(N, device=dev, dtype=torch.float32).index_add_(0, edge_index[1], w))
    tv = d_out[edge_index[0]] * w * d_in[edge_index[1]]
    T = torch.sparse_coo_tensor(edge_index, tv, (N, N), check_invariants=False).coalesce()
    eye_idx = torch.arange(N, device=dev).repeat(2, 1)
    term = torch.sparse_coo_tensor(eye_idx, torch.ones(N, device=dev, dtype=torch.float32), (N, N), check_invariants=False).coalesce()

    def coef(k: int) -> float:
        if method == "ppr":
            return alpha * (1 - alpha) ** k
        return math.exp(-t + k * math.log(t) - math.lgamma(k + 1)) if t > 0 else float(k == 0)

    total = term * coef(0)
    rest = 1.0 - coef(0)  # R_k: the coefficient mass of the terms k, k+1, ...
    k = 1
    while rest >= tol and (method == "ppr" or rest > 0):
        if max_terms is not None and k >= max_terms:
            warn_user(f"diffusion_matrix: stopped at max_terms={max_terms} with {rest:.3g} of the coefficient "
                          f"mass left (more than tol={tol:g}); the diffusion is truncated", RuntimeWarning)
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
            term = torch.sparse.mm(T, term).coalesce()
        # T^k reaches S through the terms k, k+1, ..., whose weights sum to R_k (not θ_k alone)
        keep = term.values().abs() * rest >= tol
        term = torch.sparse_coo_tensor(term.indices()[:, keep], term.values()[keep], (N, N), check_invariants=False).coalesce()
        c = coef(k)
        total = (total + term * c).coalesce()
        rest = max(rest - c, 0.0) if method == "heat" else (1 - alpha) ** (k + 1)
        k += 1
        if term._nnz() == 0:
            break
    total = ((total + total.t()) * 0.5).coalesce()
    idx, val = total.indices(), total.values()
    keep = val >= tol
    return idx[:, keep], val[keep]


def sparsify(edge_index: torch.Tensor, value: torch.Tensor, num_nodes: int, top_k: int | None = None,
             eps: float | None = None, self_loops: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep entries ``>= eps`` and/or the ``top_k`` largest of each row; the result is made
    symmetric again (an entry kept in either direction is kept in both)."""
    keep = torch.ones(value.numel(), dtype=torch.bool, device=value.device)
    if not self_loops:
        keep &= edge_index[0] != edge_index[1]
    if eps is not None:
        keep &= value >= eps
    ei, v = edge_index[:, keep], value[keep]
    if top_k is not None and v.numel():
        order = torch.argsort(v, descending=True)
        order = order[torch.sort(ei[0, order], stable=True)[1]]
        counts = torch.bincount(ei[0], minlength=num_nodes)
        start = segment_offsets(counts)
        rank = torch.arange(order.numel(), device=v.device) - start[ei[0, order]]
        chosen = torch.zeros_like(keep[: v.numel()])
        chosen[order[rank < top_k]] = True
        key = ei[0] * num_nodes + ei[1]
        rkey = ei[1] * num_nodes + ei[0]
        kept_keys = torch.sort(key[chosen])[0]
        pos = torch.searchsorted(kept_keys, rkey).clamp(max=max(kept_keys.numel() - 1, 0))
        mirrored = (kept_keys.numel() > 0) & (kept_keys[pos] == rkey) if kept_keys.numel() else torch.zeros_like(chosen)
        sel = chosen | mirrored
        ei, v = ei[:, sel], v[sel]
    return ei, v


# --------------------------------------------------------------------------------------------------
# Randomized Schur complement (rLap / Kyng–Sachdeva)
# --------------------------------------------------------------------------------------------------


def sample_clique_trees(center: torch.Tensor, nbr: torch.Tensor, w: torch.Tensor, u: torch.Tensor,
                        num_stars: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Replace each eliminated node's neighbour clique by a sampled tree (rLap / Kyng–Sachdeva).

    Input: the star edges ``(center, nbr, w)`` of the eliminated nodes, **sorted by center** and,
    within a center, in the neighbour order to use; neighbours of one center are distinct. ``u``:
    one uniform per star edge. For the neighbour at position t of a star with weights w_0..w_{d-1},
    total W and R_t = Σ_{s>=t} w_s, the reference's recursion (f = w·colScale/wdeg, colScale *= 1-f,
    wdeg *= (1-f)²) reduces to f_t = w_t/R_t; it adds the edge (nbr_t, nbr_k) of weight
    f_t(1-f_t)·wdeg_t = w_t·R_{t+1}/W, with k > t drawn with probability w_k/R_{t+1}. Hence the
    expected weight on (j, k) is w_j·w_k/W, the clique of the exact Schur complement.
    Returns the new edges ``(a, b, weight)`` (d-1 per star of d neighbours); never a self-loop (the
    two ends are distinct neighbours of one star). ``num_stars``: the number of distinct centers,
    where the caller knows it (no host read then; otherwise two)."""
    n = w.numel()
    if n == 0:
        return nbr[:0], nbr[:0], w[:0]
    w64 = w.to(torch.float64)
    csum = torch.cumsum(w64, 0)  # inclusive
    first = torch.ones(n, dtype=torch.bool, device=w.device)
    first[1:] = center[1:] != center[:-1]
    seg = torch.cumsum(first.to(torch.long), 0) - 1
    starts = compact(first, num_stars)
    ends = torch.cat([starts[1:], starts.new_tensor([n])]) - 1  # last position of each star
    # (index_select: the same gathers as x[idx], two to three times faster on the CPU)
    base = (csum - w64).index_select(0, starts)  # cumulative sum before each star
    total = csum.index_select(0, ends) - base  # W per star
    end_pos = ends.index_select(0, seg)
    W = total.index_select(0, seg)
    rest = csum.index_select(0, end_pos) - csum  # R_{t+1}
    not_last = torch.arange(n, device=w.device) < end_pos
    new_w = w64 * rest / W
    r = csum + u.to(torch.float64) * rest  # a point in (csum_t, csum_end]
    k = torch.searchsorted(csum, r, right=True)
    k = torch.minimum(torch.maximum(k, torch.arange(n, device=w.device) + 1), end_pos)
    sel = compact(not_last, None if num_stars is None else n - num_stars)
    return nbr.index_select(0, sel), nbr.index_select(0, k.index_select(0, sel)), new_w.index_select(0, sel).to(w.dtype)


def _local_minima(ed: torch.Tensor, prio: torch.Tensor, cand: torch.Tensor, maximal: bool = False,
                  max_iter: int = 2, compact: bool = True) -> torch.Tensor:
    """Candidates whose (integer) priority is below that of every candidate neighbour: an
    independent set. ``ed`` is (2, E); ``prio`` holds distinct int64 values. With ``maximal``,
    Luby-style passes then add local minima among the candidates not adjacent to a chosen node
    (``max_iter`` passes in all: the first pass or two give most of the gain; more passes cost more
    than the rounds they save, measured on 1M-edge random graphs), which eliminates more nodes per
    round; candidates left without candidate neighbours are added at the end.

    ``compact``: the passes work on the edges between candidates, gathered with ``nonzero`` (host
    reads; the cheaper choice on the CPU); otherwise on every edge with masks, without any host read
    (the device path). Both give the same set."""
    if not compact:
        return _local_minima_masked(ed, prio, cand, maximal, max_iter)
    big = torch.iinfo(torch.int64).max
    both = (cand.index_select(0, ed[0]) & cand.index_select(0, ed[1])).nonzero().squeeze(1)
    a, b = ed[0].index_select(0, both), ed[1].index_select(0, both)
    sel = torch.zeros_like(cand)
    rem = cand
    for _ in range(max_iter if maximal else 1):
        nmin = torch.full_like(prio, big)
        nmin = nmin.scatter_reduce(0, a, prio.index_select(0, b), reduce="amin")
        nmin = nmin.scatter_reduce(0, b, prio.index_select(0, a), reduce="amin")
        new = rem & (prio < nmin)
        sel |= new
        if not maximal:
            break
        # drop the new nodes and their neighbours from the candidates, and their edges
        blocked = new.clone()
        blocked[a[new[b]]] = True
        blocked[b[new[a]]] = True
        rem = rem & ~blocked
        live = (rem.index_select(0, a) & rem.index_select(0, b)).nonzero().squeeze(1)
        a, b = a.index_select(0, live), b.index_select(0, live)
        if live.numel() == 0:
            break
    if maximal:
        # candidates left without candidate neighbours are independent of everything chosen
        isolated = rem.clone()
        isolated[a] = False
        isolated[b] = False
        sel |= isolated
    return sel


def _local_minima_masked(ed: torch.Tensor, prio: torch.Tensor, cand: torch.Tensor, maximal: bool,
                         max_iter: int) -> torch.Tensor:
    """:func:`_local_minima` without host reads: every edge takes part, the edges not between two
    remaining candidates pointing at a dummy node ``N`` (priority +inf) instead of being removed. A
    pass after the live edges ran out selects every remaining candidate, as the compacting version's
    final step does, so the two agree exactly."""
    big = torch.iinfo(torch.int64).max
    N = prio.numel()
    a, b = ed[0], ed[1]
    prio_x = torch.cat([prio, prio.new_full((1,), big)])
    live = cand[a] & cand[b]
    sel = torch.zeros_like(cand)
    rem = cand
    for _ in range(max_iter if maximal else 1):
        am, bm = torch.where(live, a, N), torch.where(live, b, N)
        nmin = torch.full((N + 1,), big, dtype=prio.dtype, device=prio.device)
        nmin.scatter_reduce_(0, am, prio_x.index_select(0, bm), reduce="amin")
        nmin.scatter_reduce_(0, bm, prio_x.index_select(0, am), reduce="amin")
        new = rem & (prio < nmin[:N])
        sel |= new
        if not maximal:
            break
        blocked = torch.cat([new, new.new_zeros(1)])
        blocked.index_fill_(0, torch.where(live & new[b], a, N), True)
        blocked.index_fill_(0, torch.where(live & new[a], b, N), True)
        rem = rem & ~blocked[:N]
        live = live & rem[a] & rem[b]
    if maximal:
        touched = cand.new_zeros(N + 1)
        touched.index_fill_(0, torch.where(live, a, N), True)
        touched.index_fill_(0, torch.where(live, b, N), True)
        sel |= rem & ~touched[:N]
    return sel




def _distinct_where(key: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Number of distinct values of ``key`` where ``mask`` holds (keys >= 0), as a device scalar
    (one sort, no host read)."""
    if key.numel() == 0:
        return key.new_zeros(())
    ks = torch.sort(torch.where(mask, key, torch.iinfo(torch.int64).max))[0]
    real = ks < torch.iinfo(torch.int64).max
    first = real.clone()
    first[1:] &= ks[1:] != ks[:-1]
    return first.sum()


def approx_schur(lo: torch.Tensor, hi: torch.Tensor, w: torch.Tensor, num_nodes: int, eliminate: torch.Tensor | None,
                 priority: torch.Tensor, generator: torch.Generator, neighbor_order: str = "asc",
                 quota: torch.Tensor | None = None, node_graph: torch.Tensor | None = None,
                 tree_sampler: Callable = sample_clique_trees, max_rounds: int = 100000, strict_order: bool = True,
                 protect: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, int]:
    """Randomized approximate Gaussian elimination of a weighted undirected graph, in rounds.

    The graph is ``(lo, hi, w)``, each undirected edge once (parallel edges allowed). Two modes:

    * fixed set: ``eliminate`` (bool per node) lists the nodes to eliminate; each round eliminates
      those whose ``priority`` is smaller than that of all their neighbours still to eliminate (an
      independent set, so their cliques are sampled independently, given the current graph). This
      is the sequential elimination in increasing ``priority``, reordered only where eliminations
      commute, so its distribution is the sequential one. With ``strict_order=False`` each round
      grows that set to a maximal independent set (Luby passes), so fewer rounds are needed; the
      order is then still random but no longer exactly increasing ``priority``;
    * dynamic (``eliminate=None``, degree order): each round the alive nodes whose (current degree,
      ``priority``) is a local minimum among alive neighbours are candidates, and per graph at most
      the remaining ``quota`` of them, lowest degree first, are eliminated. ``protect`` (bool per
      node, optional: a NeighborLoader mini-batch's seed nodes) are never candidates; each graph's
      ``quota`` must then be at most its unprotected nodes.

    Each eliminated node's star is merged (parallel edges summed), ordered by ``neighbor_order``
    ('asc'/'desc' weight, or 'random') and replaced by :func:`tree_sampler`'s tree. Returns
    ``(lo, hi, w, eliminated_mask, rounds)`` for the final graph (self-loops dropped, parallel edges
    not yet merged).

    Host reads: where they are cheap (the CPU) the sizes are read where they arise. Elsewhere (a GPU,
    or :func:`multiaug.core.hostreads.assume_costly_host_reads`) each round makes **one** read, of
    all the sizes it needs (whether to go on, the star edges, the merged neighbours, the stars),
    counted before the edges change; the selection and every compaction then run without reading
    (masked passes, ``nonzero_static``). Both paths draw the same random numbers and give the same
    result."""
    if neighbor_order not in ("asc", "desc", "random"):
        raise ValueError(f"neighbor_order must be 'asc', 'desc' or 'random', got {neighbor_order!r}")
    dev = lo.device
    N = int(num_nodes)
    cheap = host_reads_cheap(dev)
    # distinct integer ranks (ties broken by node id) so that local minima always exist
    rank = torch.empty(N, dtype=torch.long, device=dev)
    rank[torch.argsort(priority, stable=True)] = torch.arange(N, device=dev)
    done = torch.zeros(N, dtype=torch.bool, device=dev)
    pending = eliminate.clone() if eliminate is not None else None
    if eliminate is None:
        if quota is None or node_graph is None:
            raise ValueError("approx_schur: the dynamic (degree) mode needs quota and node_graph")
        remaining = quota.clone()
    ed = torch.stack([lo, hi])
    frozen_ed, frozen_w = [], []
    rounds = 0
    go_on = None  # device path: whether this round has nodes to eliminate, read with the last round's sizes
    # the default sampler takes the star count and never returns a self-loop: no read for either
    fast_sampler = tree_sampler is sample_clique_trees
    while rounds < max_rounds:
        if go_on is False:
            break
        if pending is not None:
            if cheap:
                if not bool(pending.any()):
                    break
                # edges between two nodes that will never be eliminated are final: set them aside (the
                # device path keeps them, which needs no read of their count; the order of the edges,
                # which the sums over parallel edges follow, is the same: such an edge stays inactive,
                # so each set aside holds edges created after those of the sets before it)
                act = pending.index_select(0, ed[0]) | pending.index_select(0, ed[1])
                n_act = int(act.sum())
                if n_act < 0.9 * act.numel():
                    fz = (~act).nonzero().squeeze(1)
                    frozen_ed.append(ed.index_select(1, fz))
                    frozen_w.append(w.index_select(0, fz))
                    ai = act.nonzero().squeeze(1)
                    ed, w = ed.index_select(1, ai), w.index_select(0, ai)
            sel = _local_minima(ed, rank, pending, maximal=not strict_order, compact=cheap)
            start = pending.any() if go_on is None and not cheap else None
        else:
            if cheap and int(remaining.sum()) <= 0:
                break
            sel = _degree_round(ed, rank, done if protect is None else done | protect, remaining, node_graph, N, cheap)
            start = (remaining.sum() > 0) if go_on is None and not cheap else None
        s_lo = sel.index_select(0, ed[0])
        star = s_lo | sel.index_select(0, ed[1])
        n_star = m = n_stars = None
        if not cheap:
            # the one read of the round: go on after it?, star edges, merged neighbours, stars
            center_all = torch.where(s_lo, ed[0], ed[1])
            nbr_all = torch.where(s_lo, ed[1], ed[0])
            m_dev = _distinct_where(center_all * N + nbr_all, star)
            has_star = torch.zeros(N + 1, dtype=torch.bool, device=dev)
            has_star.index_fill_(0, torch.where(star, center_all, N), True)
            if pending is not None:
                after = (pending & ~sel).any()
            else:
                taken = torch.zeros_like(remaining).index_add_(0, node_graph, sel.to(remaining.dtype))
                after = (remaining - taken).sum() > 0
            first_round = start if start is not None else after.new_ones(())
            first_round, after, n_star, m, n_stars = torch.stack(
                (first_round.long(), after.long(), star.sum(), m_dev, has_star[:N].sum())).tolist()
            if not first_round:
                break
            go_on = bool(after)
        if pending is None:
            remaining = remaining - (taken if not cheap else
                                     torch.bincount(node_graph[sel], minlength=remaining.numel()))
        rounds += 1
        si = compact(star, n_star)
        ki = compact(~star, None if n_star is None else ed.shape[1] - n_star)
        sed = ed.index_select(1, si)
        s_lo = s_lo.index_select(0, si)
        sw = w.index_select(0, si)
        ed, w = ed.index_select(1, ki), w.index_select(0, ki)
        # star edges (center, neighbour): an independent set never has both ends selected
        center = torch.where(s_lo, sed[0], sed[1])
        nbr = torch.where(s_lo, sed[1], sed[0])
        # merge parallel edges inside each star (sorted by center, then neighbour)
        uk, mw = coalesce_sum(center * N + nbr, sw, count=m)
        center = torch.div(uk, N, rounding_mode="floor")
        nbr = uk - center * N
        # order inside each star with one sort of center + a fraction in [0, 0.5) ranking the
        # neighbours (weight up or down, or random)
        if neighbor_order == "random":
            frac = torch.rand(mw.numel(), generator=generator, device=dev, dtype=torch.float64)
        else:
            # the same double arithmetic as float(mw.max()) * 1.0000001, without reading it on the host
            frac = mw.to(torch.float64) / (mw.max().to(torch.float64) * 1.0000001) if mw.numel() else mw.to(torch.float64)
            frac = frac if neighbor_order == "asc" else 1.0 - frac
        order = torch.argsort(center.to(torch.float64) + 0.5 * frac)
        center, nbr, mw = center.index_select(0, order), nbr.index_select(0, order), mw.index_select(0, order)
        u = torch.rand(mw.numel(), generator=generator, device=dev, dtype=torch.float64)
        if fast_sampler and not cheap:
            a, b, nw = tree_sampler(center, nbr, mw, u, num_stars=n_stars)
        else:
            a, b, nw = tree_sampler(center, nbr, mw, u)
            if not fast_sampler:  # another sampler may return self-loops: dropped
                ok = (a != b).nonzero().squeeze(1)
                a, b, nw = a.index_select(0, ok), b.index_select(0, ok), nw.index_select(0, ok)
        ed = torch.cat([ed, torch.stack([torch.minimum(a, b), torch.maximum(a, b)])], dim=1)
        w = torch.cat([w, nw.to(w.dtype)])
        done |= sel
        if pending is not None:
            pending &= ~sel
    if frozen_ed:
        ed = torch.cat([*frozen_ed, ed], dim=1)
        w = torch.cat([*frozen_w, w])
    return ed[0], ed[1], w, done, rounds


def _degree_round(ed: torch.Tensor, rank: torch.Tensor, done: torch.Tensor, remaining: torch.Tensor,
                  node_graph: torch.Tensor, N: int, cheap: bool) -> torch.Tensor:
    """The nodes one round of the degree order eliminates: local minima of (current degree, rank)
    among the alive nodes of graphs with quota left, at most the remaining quota per graph, lowest
    degree first. ``cheap``: gather the candidates (host reads); else masks and whole-length sorts,
    without a read (the same set: the keys are distinct)."""
    G = remaining.numel()
    if cheap:
        deg = torch.bincount(ed.flatten(), minlength=N)
    else:  # (bincount reads its maximum on CUDA)
        deg = torch.zeros(N, dtype=torch.long, device=ed.device).index_add_(
            0, ed.flatten(), torch.ones(ed.numel(), dtype=torch.long, device=ed.device))
    key = deg * N + rank
    cand = ~done & (remaining[node_graph] > 0)
    sel = _local_minima(ed, key, cand, compact=cheap)
    dev = ed.device
    if cheap:
        ids = sel.nonzero().squeeze(1)
        order = ids[torch.argsort(key[ids])]
        order = order[torch.sort(node_graph[order], stable=True)[1]]
        gcount = torch.bincount(node_graph[order], minlength=G)
        r = torch.arange(order.numel(), device=dev) - segment_offsets(gcount)[node_graph[order]]
        take = order[r < remaining[node_graph[order]]]
        out = torch.zeros(N, dtype=torch.bool, device=dev)
        out[take] = True
        return out
    # the candidates first (by key: distinct), the others after them; then by graph (stable)
    order = torch.argsort(torch.where(sel, key, torch.iinfo(torch.int64).max))
    g = torch.where(sel, node_graph, G).index_select(0, order)
    by_graph = torch.sort(g, stable=True)[1]
    order, g = order.index_select(0, by_graph), g.index_select(0, by_graph)
    gcount = torch.zeros(G + 1, dtype=torch.long, device=dev).index_add_(0, g, torch.ones_like(g))
    r = torch.arange(N, device=dev) - segment_offsets(gcount).index_select(0, g)
    quota_left = torch.cat([remaining, remaining.new_zeros(1)]).index_select(0, g)
    out = torch.zeros(N, dtype=torch.bool, device=dev)
    out[order] = (g < G) & (r < quota_left)
    return out


def undirected_to_edge_index(lo: torch.Tensor, hi: torch.Tensor, w: torch.Tensor, node_graph: torch.Tensor,
                             num_graphs: int, grouped: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Both directions of each edge ``(lo, hi, w)``, grouped by graph in graph order (as a Batch
    needs): per graph its forward edges then their reverses. No sort: positions are computed.
    ``grouped``: the caller knows the edges come grouped by graph in graph order already (no host
    read to check it)."""
    if num_graphs <= 1 or lo.numel() == 0:
        return torch.stack([torch.cat([lo, hi]), torch.cat([hi, lo])]), torch.cat([w, w])
    g = node_graph[lo]
    order = None if grouped or not bool((g[1:] < g[:-1]).any()) else torch.sort(g, stable=True)[1]
    if order is not None:
        lo, hi, w, g = lo[order], hi[order], w[order], g[order]
    counts = torch.zeros(num_graphs, dtype=torch.long, device=g.device).index_add_(0, g, torch.ones_like(g))
    start = segment_offsets(counts)
    r = torch.arange(lo.numel(), device=lo.device) - start[g]
    pos_f = 2 * start[g] + r
    pos_b = pos_f + counts[g]
    E = 2 * lo.numel()
    src = torch.empty(E, dtype=lo.dtype, device=lo.device)
    dst = torch.empty(E, dtype=lo.dtype, device=lo.device)
    ww = torch.empty(E, dtype=w.dtype, device=w.device)
    src[pos_f], dst[pos_f], ww[pos_f] = lo, hi, w
    src[pos_b], dst[pos_b], ww[pos_b] = hi, lo, w
    return torch.stack([src, dst]), ww
