"""Structural graph views on PyG ``Data``/``Batch``.

Every augmenter here takes a ``Data`` (one graph) or a ``Batch`` and returns the same type. Rates
are per graph: a number, or a ``(low, high)`` range drawn once per graph. Node-level and edge-level
attributes (``x``, ``y``, masks, ``edge_attr``, ``edge_weight``, ``batch``, ``ptr``, ...) follow the
nodes and edges they belong to, and a Batch keeps its slice bookkeeping so ``to_data_list()`` gives
the augmented graphs back. Another set of node pairs with its attributes (link prediction's
``edge_label_index`` and ``edge_label``) is not an edge attribute of ``edge_index``: views that keep
every node leave it as it is. What cannot follow is refused by name (``ValueError``) before any draw:
a sparse adjacency (``adj_t``) next to ``edge_index`` for views that change edges, attributes holding
node ids (``edge_label_index``, ``face``) for views that remove nodes, and per-node (per-edge) values
kept as lists, tuples or numpy arrays (``from_networkx``'s node properties) for views that remove
nodes (change edges): see :func:`~multiaug.graph.base.per_element_sequence`. Undirected graphs stay
undirected: both directions of an edge share one random draw. ``sample`` draws every random number; ``apply`` is deterministic given them.
"""
from __future__ import annotations

import math
from typing import Any

import torch

from ..core import Params, warn_unchanged
from ..core.constraints import Boolean, Integral, Interval, Options, Pair, Real
from ..core.hostreads import host_reads_cheap
from ..core.report import warn_user
from ..registry import register
from . import functional as F
from .base import GraphAugmenter, check_edge_weight, graph_sizes, per_graph_value, seed_nodes

__all__ = [
    "EdgeDrop",
    "EdgeAdd",
    "NodeDrop",
    "FeatureMask",
    "FeatureNoise",
    "RandomWalkSubgraph",
    "DiffusionView",
    "undirected_pair_id",
    "keep_edges",
]


def undirected_pair_id(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Id of each edge's unordered pair {u, v}: both directions of an edge share it."""
    return torch.unique(F.pair_keys(edge_index, num_nodes), return_inverse=True)[1]


def keep_edges(data: Any, keep: torch.Tensor) -> Any:
    """Copy of ``data`` with only the edges where ``keep`` is True; edge attributes follow."""
    return F.subgraph(data, edge_keep=keep)


class _RateAugmenter(GraphAugmenter):
    """Shared hyperparameter ``rate``: a probability, or a (low, high) range drawn per graph."""

    magnitude_range = {"rate": (0.0, 0.5)}

    def __init__(self, rate: float | tuple[float, float] = 0.2, **kwargs: Any):
        self.rate = rate
        super().__init__(**kwargs)

    _parameter_constraints = {"rate": [Interval(Real, 0, 1), Pair(Real, 0, 1)]}

    def _rates(self, data: Any, g: torch.Generator) -> torch.Tensor:
        return per_graph_value(self.rate, F.num_graphs(data), g, data.edge_index.device)

    def _warn_too_small(self, data: Any, key: str, at_most: int, why: str, size: int | None = None) -> None:
        """Warn (``warn_unchanged``) about the graphs with at most ``at_most`` rows of ``key``
        ('edge_index': edges, 'x': nodes; ``size``: that count of a ``Data`` where the caller has it),
        which a positive rate cannot change; no device read."""
        hi = self.rate[1] if isinstance(self.rate, (list, tuple)) else self.rate
        if not float(hi) > 0:
            return
        if not F._is_batch(data):
            if size is None:
                size = data.edge_index.shape[1] if key == "edge_index" else int(data.num_nodes)
            if size <= at_most:
                warn_unchanged(self, 1, 1, why)
            return
        sl = F._node_slices(data) if key == "x" else (getattr(data, "_slice_dict", None) or {}).get("edge_index")
        if isinstance(sl, torch.Tensor) and sl.device.type == "cpu":
            warn_unchanged(self, int(((sl[1:] - sl[:-1]) <= at_most).sum()), sl.numel() - 1, why)


@register("edge_drop")
class EdgeDrop(_RateAugmenter):
    """Drop each edge with probability ``rate`` (a float, or a ``(low, high)`` range drawn per graph).

    Both directions of an undirected edge are dropped together, so undirected graphs stay
    undirected: each node draws a random 32-bit integer and an edge's draw is a bijective hash of the
    (wrapping) sum of its endpoints' (uniform, no sort needed; the hash keeps the edges of a cycle
    from being tied, see :func:`~multiaug.graph.functional.symmetric_edge_draws`); ``edge_attr``/
    ``edge_weight`` and every other edge attribute follow."""

    def _sample(self, data: Any) -> Params:
        self._warn_too_small(data, "edge_index", 0, "graphs without edges")
        dev = data.edge_index.device
        g = self.generator(dev)
        return {"rate": self._rates(data, g), "node_draws": F.random_int32(int(data.num_nodes), g, dev)}

    def _apply(self, data: Any, params: Params) -> Any:
        keep = F.drop_mask(data.edge_index, params["node_draws"], params["rate"], data=data)
        return F.subgraph(data, edge_keep=keep)


@register("edge_add")
class EdgeAdd(_RateAugmenter):
    """Add ``rate`` × (number of edges) new edges to each graph, between nodes chosen uniformly.

    Per graph, the new pairs are distinct, are not existing edges and are not self-loops (unless
    ``self_loops=True``), drawn uniformly among the free pairs (self-loops included with
    ``self_loops=True``; dense graphs too, whose few free pairs are listed rather than drawn by
    rejection); every node, the last one included, can be chosen. For an undirected graph
    (``directed=False``) both directions are added and ``rate`` counts undirected edges. New edges
    get ``edge_weight = weight`` and zero rows in other edge attributes (``edge_attr``...); a ``weight``
    that ``edge_weight``'s dtype cannot hold (0.5 in integer weights) is a ``ValueError``. The edge ids
    ``e_id`` of a NeighborLoader mini-batch are kept for its edges, and the new edges, which are no edge of
    the full graph, get ``e_id = -1`` (PyG's mark of no edge; 0 would name the full graph's edge 0),
    with a ``RuntimeWarning``: keep ``e_id >= 0`` before indexing the full graph by it. When a
    graph has fewer free pairs than asked, all free pairs are added."""

    def __init__(self, rate: float | tuple[float, float] = 0.2, directed: bool = False, self_loops: bool = False,
                 weight: float = 1.0, **kwargs: Any):
        self.directed = directed
        self.self_loops = self_loops
        self.weight = weight
        super().__init__(rate=rate, **kwargs)

    # more edges than the graph has is fine: rate is a multiple of the edge count
    _parameter_constraints = {
        "rate": [Interval(Real, 0, None), Pair(Real, 0, None)],
        "directed": [Boolean()],
        "self_loops": [Boolean()],
        "weight": [Interval(Real, desc="a finite float (the new edges' edge_weight; NaN and inf are refused)")],
    }

    def _weight(self, data: Any) -> float:
        """``weight``, refused when ``edge_weight``'s dtype cannot hold it."""
        w = getattr(data, "edge_weight", None)
        if isinstance(w, torch.Tensor):
            return _storable(self.weight, w.dtype, type(self).__name__, "weight", "edge_weight")
        return float(self.weight)

    def _sample(self, data: Any) -> Params:
        self._weight(data)
        ei = data.edge_index
        dev = ei.device
        g = self.generator(dev)
        N = int(data.num_nodes)
        if not F._is_batch(data) and host_reads_cheap(dev):
            return self._sample_one(ei, N, self._rates(data, g), g)
        node_graph, nodes_per, _ = graph_sizes(data)
        G = nodes_per.numel()
        rate = self._rates(data, g)
        ptr = F.segment_offsets(nodes_per)
        existing = self._existing_keys(ei, N)
        m_g = torch.bincount(node_graph[torch.div(existing, N, rounding_mode="floor")], minlength=G)
        n64 = nodes_per.to(torch.float64)
        pairs = n64 * (n64 - 1) if self.directed else n64 * (n64 - 1) / 2
        if self.self_loops:
            pairs = pairs + n64
        free = (pairs - m_g.to(torch.float64)).clamp(min=0).to(torch.long)
        want = torch.round(rate.to(torch.float64) * m_g.to(torch.float64)).to(torch.long)
        need = torch.minimum(want, free)
        # graphs with few free pairs (under a quarter of all pairs: the graph already holds most of them, so
        # listing its pairs costs about its own size) get them listed, as rejection would rarely hit them
        dense = (need > 0) & (4 * free.to(torch.float64) < pairs)
        # one read for the counts: graphs with no free pair left, graphs whose rate x edges rounds to 0
        # (a graph without edges among them: the count of new edges is a multiple of the existing ones)
        full, none, n_dense = torch.stack((((need < want) & (need == 0)).sum(), ((want == 0) & (rate > 0)).sum(),
                                           dense.sum())).tolist()
        warn_unchanged(self, full, G, "no free node pairs left")
        warn_unchanged(self, none, G, "rate x number of edges rounds to 0 new edges: graphs without edges, or too few")
        chosen = existing[:0]
        taken = existing
        if n_dense:
            chosen = self._listed_pairs(dense, need, nodes_per, ptr, N, taken, g)
            # (taken stays as it is: the graphs drawn below are other graphs, whose keys never meet these)
            need = torch.where(dense, torch.zeros_like(need), need)
        for _ in range(64):
            if int(need.sum()) == 0:
                break
            # oversample candidate pairs per graph, reject bad ones, keep a random subset
            c = torch.where(need > 0, 2 * need + 8, torch.zeros_like(need))
            gid = torch.repeat_interleave(torch.arange(G, device=dev), c)
            key, ok = self._candidates(gid.numel(), nodes_per[gid], ptr[gid], N, taken, g)
            if ok is not None:
                key, gid = key[ok], gid[ok]
            key, inv = torch.unique(key, return_inverse=True)
            first = torch.full((key.numel(),), gid.numel(), dtype=torch.long, device=dev)
            first = first.scatter_reduce(0, inv, torch.arange(gid.numel(), device=dev), reduce="amin")
            gid = gid[first]
            pick = F.sample_per_group(gid, need, torch.rand(key.numel(), generator=g, device=dev, dtype=torch.float32))
            new = key[pick]
            need = need - torch.bincount(gid[pick], minlength=G)
            chosen = torch.cat([chosen, new])
            taken = torch.sort(torch.cat([taken, new]))[0]
        if int(need.sum()) > 0:  # pragma: no cover - only with very unlikely draws: list the pairs left
            chosen = torch.cat([chosen, self._listed_pairs(need > 0, need, nodes_per, ptr, N, taken, g)])
        new_ei = torch.stack([torch.div(chosen, N, rounding_mode="floor"), chosen % N])
        return {"new_edge_index": new_ei}

    def _existing_keys(self, ei: torch.Tensor, N: int) -> torch.Tensor:
        """Sorted distinct keys of the graph's node pairs (ordered pairs when ``directed``), self-loops
        left out unless ``self_loops``."""
        keys = ei[0] * N + ei[1] if self.directed else F.pair_keys(ei, N)
        if not self.self_loops:
            keys = keys[ei[0] != ei[1]]
        return torch.unique(keys)

    def _sample_one(self, ei: torch.Tensor, N: int, rate: torch.Tensor, g: torch.Generator) -> Params:
        """:meth:`_sample` for one graph where host reads are free (the CPU): the counts as Python
        numbers instead of per-graph tensors, and one group in the rejection passes, drawing the same
        random numbers and choosing the same pairs as the batched code (which a device runs)."""
        dev = ei.device
        existing = self._existing_keys(ei, N)
        m = existing.numel()
        pairs = N * (N - 1) if self.directed else N * (N - 1) // 2
        if self.self_loops:
            pairs += N
        free = max(pairs - m, 0)
        r = float(rate[0])
        want = round(r * m)  # (half to even, as torch.round of the batched code)
        need = min(want, free)
        warn_unchanged(self, int(need < want and need == 0), 1, "no free node pairs left")
        warn_unchanged(self, int(want == 0 and r > 0), 1,
                       "rate x number of edges rounds to 0 new edges: graphs without edges, or too few")
        chosen = existing[:0]
        taken = existing
        def listed(k: int, taken: torch.Tensor) -> torch.Tensor:  # _listed_pairs for the one graph
            one = torch.ones(1, dtype=torch.bool, device=dev)
            return self._listed_pairs(one, torch.full((1,), k, dtype=torch.long, device=dev),
                                      torch.full((1,), N, dtype=torch.long, device=dev),
                                      torch.zeros(1, dtype=torch.long, device=dev), N, taken, g)

        if need > 0 and 4 * free < pairs:  # few free pairs: list them (see _sample)
            chosen = listed(need, taken)
            need = 0
        for _ in range(64):
            if need == 0:
                break
            key, ok = self._candidates(2 * need + 8, N, None, N, taken, g)
            key = torch.unique(key if ok is None else key[ok])
            # the need smallest of one uniform per distinct candidate (sample_per_group with one group)
            u = torch.rand(key.numel(), generator=g, device=dev, dtype=torch.float32)
            pick = torch.zeros(key.numel(), dtype=torch.bool, device=dev)
            pick[torch.argsort(u)[:need]] = True
            new = key[pick]
            need -= new.numel()
            chosen = torch.cat([chosen, new])
            taken = torch.sort(torch.cat([taken, new]))[0]
        if need > 0:  # pragma: no cover - only with very unlikely draws: list the pairs left
            chosen = torch.cat([chosen, listed(need, taken)])
        return {"new_edge_index": torch.stack([torch.div(chosen, N, rounding_mode="floor"), chosen % N])}

    def _candidates(self, count: int, n: Any, base: torch.Tensor | None, N: int, taken: torch.Tensor,
                    g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The candidate pass of the rejection sampling, shared by :meth:`_sample` and :meth:`_sample_one`:
        ``count`` pairs, each of two nodes drawn uniformly in its graph (``n`` nodes from ``base``: tensors
        with one value per candidate, or the one graph's ``n`` and ``None``), as keys, and the mask of the
        allowed ones (not a self-loop unless ``self_loops``, not in the sorted ``taken``; ``None``: all)."""
        dev = taken.device
        a = (torch.rand(count, generator=g, device=dev, dtype=torch.float32) * n).to(torch.long).clamp(max=n - 1)
        if base is not None:
            a = base + a
        if self.self_loops and not self.directed:
            # b in [0, n]: n stands for a itself, so that a self-loop {a, a} (from b = a or b = n) is as
            # likely as any other unordered pair {a, b} (from (a, b) or (b, a))
            b = (torch.rand(count, generator=g, device=dev, dtype=torch.float32) * (n + 1)).to(torch.long).clamp(max=n)
            b = torch.where(b == n, a, b if base is None else base + b)
        else:
            b = (torch.rand(count, generator=g, device=dev, dtype=torch.float32) * n).to(torch.long).clamp(max=n - 1)
            if base is not None:
                b = base + b
        key = a * N + b if self.directed else torch.minimum(a, b) * N + torch.maximum(a, b)
        ok = None if self.self_loops else a != b
        if taken.numel():
            pos = torch.searchsorted(taken, key).clamp(max=taken.numel() - 1)
            fresh = taken[pos] != key
            ok = fresh if ok is None else ok & fresh
        return key, ok

    def _listed_pairs(self, graphs: torch.Tensor, need: torch.Tensor, nodes_per: torch.Tensor, ptr: torch.Tensor,
                      N: int, taken: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """Keys of ``need[i]`` new pairs for each graph ``i`` in the mask ``graphs``, uniform among its free
        pairs, found by listing all of its node pairs (for graphs with few free pairs left)."""
        dev = nodes_per.device
        gs = graphs.nonzero().flatten()
        size = nodes_per[gs]
        count = size * size
        gid = torch.repeat_interleave(gs, count)
        r = torch.arange(gid.numel(), device=dev) - torch.repeat_interleave(F.segment_offsets(count), count)
        n_c = nodes_per[gid]
        i, j = torch.div(r, n_c, rounding_mode="floor"), r % n_c
        if self.directed:
            ok = torch.ones_like(i, dtype=torch.bool) if self.self_loops else i != j
        else:  # each unordered pair once, as (low, high)
            ok = (i <= j) if self.self_loops else (i < j)
        key = (ptr[gid] + i) * N + ptr[gid] + j
        if taken.numel():
            pos = torch.searchsorted(taken, key).clamp(max=taken.numel() - 1)
            ok &= taken[pos] != key
        key, gid = key[ok], gid[ok]
        want = torch.where(graphs, need, torch.zeros_like(need))
        pick = F.sample_per_group(gid, want, torch.rand(key.numel(), generator=g, device=dev, dtype=torch.float32))
        return key[pick]

    def _apply(self, data: Any, params: Params) -> Any:
        new = params["new_edge_index"]
        if not self.directed:  # the reverse direction too (a self-loop once)
            new = torch.cat([new, new[:, new[0] != new[1]].flip(0)], dim=1)
        ei = data.edge_index
        keys = F.node_edge_keys(data)
        K = new.shape[1]
        values = {}
        for key in keys[1]:
            v = data[key]
            fill = self._weight(data) if key == "edge_weight" else 0
            if key == F.EDGE_IDS:  # NeighborLoader's edge ids: the new edges are no edge of the full graph
                if not _holds_no_edge_id(v.dtype):
                    continue  # (no -1 in this dtype: removed by replace_edges, with its warning)
                fill = F.NO_EDGE_ID
                if K:
                    warn_user(_NEW_EDGE_IDS, RuntimeWarning)
            values[key] = torch.cat([v, torch.full((K, *v.shape[1:]), fill, dtype=v.dtype, device=v.device)])
        all_ei = torch.cat([ei, new], dim=1)
        if F._is_batch(data):  # (one graph: its edges are grouped already)
            node_graph, _ = F.node_graph_index(data)
            out = F.sort_edges_by_graph(all_ei, node_graph, *values.values())
            all_ei, values = out[0], dict(zip(values, out[1:]))
        return F.replace_edges(data, all_ei, values, keys=keys)


#: EdgeAdd's warning about the e_id of the edges it adds
_NEW_EDGE_IDS = (f"EdgeAdd: the added edges get {F.EDGE_IDS} = {F.NO_EDGE_ID} (they are no edge of the full graph; PyG's "
                 f"mark of no edge); keep the edges with {F.EDGE_IDS} >= 0 before indexing the full graph by it "
                 f"(full.edge_attr[out.{F.EDGE_IDS}] reads its last edge at {F.NO_EDGE_ID})")


def _holds_no_edge_id(dtype: torch.dtype) -> bool:
    """Whether an ``e_id`` of ``dtype`` can hold :data:`~multiaug.graph.functional.NO_EDGE_ID` (-1)."""
    return dtype.is_floating_point or (dtype != torch.bool and not dtype.is_complex and torch.iinfo(dtype).min < 0)


@register("node_drop")
class NodeDrop(_RateAugmenter):
    """Remove each node with probability ``rate`` (per graph), with its edges; nodes are relabelled.

    Node attributes (``x``, ``y``, masks, ``batch``) and edge attributes follow. At least
    ``min_nodes`` nodes of each graph are kept (those with the largest draws). Attributes holding node
    ids besides ``edge_index`` (``edge_label_index``, ``face``...) cannot follow: ``ValueError``. The seed
    nodes of a NeighborLoader mini-batch (its first ``batch_size``) are always kept
    (:func:`~multiaug.graph.base.seed_nodes`)."""

    removes_nodes = True

    def __init__(self, rate: float | tuple[float, float] = 0.2, min_nodes: int = 1, **kwargs: Any):
        self.min_nodes = min_nodes
        super().__init__(rate=rate, **kwargs)

    _parameter_constraints = {"min_nodes": [Interval(Integral, 0, None)]}

    def _sample(self, data: Any) -> Params:
        n = int(data.num_nodes)
        self._warn_too_small(data, "x", int(self.min_nodes), f"graphs with at most min_nodes={self.min_nodes} nodes", n)
        dev = data.edge_index.device
        g = self.generator(dev)
        return {"rate": self._rates(data, g), "u": torch.rand(n, generator=g, device=dev, dtype=torch.float32)}

    def _apply(self, data: Any, params: Params) -> Any:
        u = params["u"]
        rate = params["rate"]
        keep = u >= _node_values(data, rate)
        if self.min_nodes > 0 and u.numel():
            # the min_nodes largest draws of each graph are always kept
            if F.num_graphs(data) == 1:
                keep[torch.topk(u, min(self.min_nodes, u.numel())).indices] = True
            else:
                node_graph, nodes_per, _ = graph_sizes(data)
                keep |= F.sample_per_group(node_graph, torch.clamp(nodes_per, max=self.min_nodes), -u)
        seeds = seed_nodes(data, type(self).__name__)
        if seeds is not None:  # a NeighborLoader mini-batch: its seed nodes stay, first and in order
            keep |= seeds
        return F.subgraph(data, node_keep=keep)


@register("feature_mask")
class FeatureMask(_RateAugmenter):
    """Set node features to ``value`` with probability ``rate`` (per graph).

    ``mode='column'``: whole feature columns, drawn per graph (GRACE/PyGCL's feature masking);
    ``'row'``: whole nodes' feature vectors; ``'entry'``: single entries. Only ``x`` changes; its
    dtype is kept, and a ``value`` that dtype cannot hold (0.5 in integer or bool features) is a
    ``ValueError``. ``value`` must be finite: NaN or inf would spread through message passing (and
    graph augmenters refuse NaN/inf in ``x``), so it is refused when the augmenter is built."""

    changes_edges = False

    def __init__(self, rate: float | tuple[float, float] = 0.2, mode: str = "column", value: float = 0.0, **kwargs: Any):
        self.mode = mode
        self.value = value
        super().__init__(rate=rate, **kwargs)

    # NaN/inf refused: they would spread through message passing to every neighbour (GRACE, PyGCL and
    # GraphCL mask with 0; GraphMAE adds a learned token to the zeroed rows), and graph inputs refuse them
    _parameter_constraints = {"mode": [Options("column", "row", "entry")],
                              "value": [Interval(Real, desc="a finite float (the masked features' new value, 0 in "
                                                            "GRACE/PyGCL; NaN and inf are refused: message passing "
                                                            "would spread them)")]}

    def _check_value(self, x: torch.Tensor) -> float:
        """``value``, refused when ``x``'s dtype cannot hold it exactly."""
        return _storable(self.value, x.dtype, type(self).__name__, "value", "x")

    def _sample(self, data: Any) -> Params:
        x = _features(data, type(self).__name__)
        self._check_value(x)
        dev = x.device
        ei_dev = data.edge_index.device
        g = self.generator(ei_dev)
        rate = self._rates(data, g).to(dev)
        if self.mode == "column":
            shape = (F.num_graphs(data), x.shape[1])
        else:
            shape = (x.shape[0],) if self.mode == "row" else tuple(x.shape[:2])
        return {"rate": rate, "u": torch.rand(shape, generator=g, device=ei_dev, dtype=torch.float32).to(dev)}

    def _apply(self, data: Any, params: Params) -> Any:
        x = _features(data, type(self).__name__)
        rate, u = params["rate"], params["u"]
        if self.mode == "column":
            mask = _node_values(data, u < rate[:, None])
        elif self.mode == "row":
            mask = (u < _node_values(data, rate))[:, None]
        else:
            mask = u < _node_values(data, rate)[:, None]
        if x.dim() > 2:
            mask = mask.reshape(*mask.shape, *([1] * (x.dim() - 2)))
        out = data.__copy__()
        out.x = x.masked_fill(mask, self._check_value(x))
        return out


_FLOAT_MAX = {dt: torch.finfo(dt).max for dt in (torch.float16, torch.bfloat16, torch.float32, torch.float64)}


def _storable(value: float, dtype: torch.dtype, who: str, name: str, key: str) -> float:
    """``value`` (the hyperparameter ``name``) as a float, refused with ``ValueError`` when the
    attribute ``key`` of dtype ``dtype`` cannot hold it (0.5 in integers or bools, 1e6 in float16):
    it would be truncated or overflow."""
    v = float(value)
    fmax = _FLOAT_MAX.get(dtype)
    if fmax is not None and (abs(v) <= fmax or math.isinf(v)):
        return v
    if dtype == torch.bool:
        ok, expected = v in (0.0, 1.0), "0 or 1"
    elif dtype.is_floating_point or dtype.is_complex:
        info = torch.finfo(dtype)
        ok, expected = abs(v) <= info.max, f"a number within +-{info.max:g}"
    else:
        info = torch.iinfo(dtype)
        ok, expected = v.is_integer() and info.min <= v <= info.max, f"an integer in [{info.min}, {info.max}]"
    if not ok:
        convert = f"data.{key} = data.{key}.double()" if dtype.is_floating_point else f"data.{key} = data.{key}.float()"
        raise ValueError(f"{who}: {name}={value!r} cannot be stored in {key} of dtype {dtype}; "
                         f"expected {expected} (or convert {key}, e.g. {convert})")
    return v


def _node_values(data: Any, per_graph: torch.Tensor) -> torch.Tensor:
    """The per-graph rows of ``per_graph`` for the nodes: gathered through ``batch`` for a Batch
    (:func:`~multiaug.graph.functional.node_graph_values`); for one graph its one row, which broadcasts
    over the nodes (no node count read, nothing expanded)."""
    return F.node_graph_values(data, per_graph) if F._is_batch(data) else per_graph[:1]


def _features(data: Any, who: str) -> torch.Tensor:
    x = getattr(data, "x", None)
    if not isinstance(x, torch.Tensor) or x.dim() < 2:
        raise ValueError(f"{who}: the graph needs node features x of shape (num_nodes, num_features), got "
                         f"{None if x is None else tuple(getattr(x, 'shape', ()))}")
    return x


@register("feature_noise")
class FeatureNoise(GraphAugmenter):
    """Add Gaussian noise of standard deviation ``sigma`` (a float, or a range drawn per graph) to
    the node features ``x`` (floating point)."""

    changes_edges = False

    magnitude_range = {"sigma": (0.0, 0.5)}

    def __init__(self, sigma: float | tuple[float, float] = 0.1, **kwargs: Any):
        self.sigma = sigma
        super().__init__(**kwargs)

    _parameter_constraints = {"sigma": [Interval(Real, 0, None), Pair(Real, 0, None)]}

    def _sample(self, data: Any) -> Params:
        x = _features(data, "FeatureNoise")
        if not x.is_floating_point():
            raise TypeError(f"FeatureNoise: x must be floating point, got {x.dtype}")
        dev = data.edge_index.device
        g = self.generator(dev)
        return {"sigma": per_graph_value(self.sigma, F.num_graphs(data), g, dev).to(x.device),
                "noise": torch.randn(x.shape, generator=g, device=dev, dtype=torch.float32).to(x.device, x.dtype)}

    def _apply(self, data: Any, params: Params) -> Any:
        x = _features(data, "FeatureNoise")
        sigma = _node_values(data, params["sigma"]).to(x.dtype)
        out = data.__copy__()
        out.x = x + sigma.reshape(-1, *([1] * (x.dim() - 1))) * params["noise"]
        return out


@register("random_walk_subgraph")
class RandomWalkSubgraph(GraphAugmenter):
    """Keep the subgraph induced by the nodes visited by random walks (GraphCL's subgraph view).

    Per graph, ``ceil(root_fraction * n)`` of its ``n`` nodes (at least one), chosen uniformly,
    start a uniform random walk of
    ``walk_length`` steps; visited nodes are kept with all edges between them and relabelled.
    Attributes holding node ids besides ``edge_index`` (``edge_label_index``...): ``ValueError``. The
    seed nodes of a NeighborLoader mini-batch (its first ``batch_size``) are always kept
    (:func:`~multiaug.graph.base.seed_nodes`)."""

    removes_nodes = True

    magnitude_range = {"walk_length": (20, 2)}

    def __init__(self, root_fraction: float = 0.1, walk_length: int = 10, **kwargs: Any):
        self.root_fraction = root_fraction
        self.walk_length = walk_length
        super().__init__(**kwargs)

    _parameter_constraints = {"root_fraction": [Interval(Real, 0, 1)], "walk_length": [Interval(Integral, 0, None)]}

    def _sample(self, data: Any) -> Params:
        dev = data.edge_index.device
        g = self.generator(dev)
        node_graph, nodes_per, _ = graph_sizes(data)
        k = torch.where(nodes_per > 0, torch.clamp(torch.ceil(nodes_per.double() * float(self.root_fraction) - 1e-9).long(), min=1), nodes_per)
        pick = F.sample_per_group(node_graph, k, torch.rand(int(data.num_nodes), generator=g, device=dev, dtype=torch.float32))
        roots = pick.nonzero().flatten()
        return {"roots": roots, "u": torch.rand(roots.numel(), int(self.walk_length), generator=g, device=dev, dtype=torch.float32)}

    def _apply(self, data: Any, params: Params) -> Any:
        walks = F.random_walks(data.edge_index, int(data.num_nodes), params["roots"], params["u"])
        keep = torch.zeros(int(data.num_nodes), dtype=torch.bool, device=data.edge_index.device)
        keep[walks.flatten()] = True
        seeds = seed_nodes(data, type(self).__name__)
        if seeds is not None:  # a NeighborLoader mini-batch: its seed nodes stay, first and in order
            keep |= seeds
        return F.subgraph(data, node_keep=keep)


@register("diffusion_view")
class DiffusionView(_RateAugmenter):
    """Graph diffusion view (MVGRL): personalized PageRank or heat kernel, sparse and sparsified.

    ``method='ppr'`` (teleport ``alpha``) or ``'heat'`` (time ``t``), with T = D^-1/2 A D^-1/2 and
    ``edge_weight`` when present (a directed graph: T = D_out^-1/2 A D_in^-1/2, so that a sink keeps its
    in-edges and a source its out-edges; the diffusion output is symmetrised, (S + Sᵀ)/2, so the view
    is undirected), computed per graph by :func:`multiaug.graph.functional.diffusion_matrix`:
    exactly for graphs of up to ``DENSE_DIFFUSION_MAX_NODES`` (4096) nodes, by a sparse truncated
    series for larger ones; entries below ``min(1e-4, eps / 10)`` are left out. Sparsification keeps entries ``>= eps`` and/or the ``top_k``
    largest per node (then symmetrised). The diffusion is deterministic, so it is computed once per
    input graph and cached (``cache_size`` graphs); the per-call randomness is an edge dropout of
    the diffusion graph with probability ``rate`` per graph (0 gives the plain diffusion). Output:
    the diffusion edges with their values in ``edge_weight``; other edge attributes are removed.

    The input's ``edge_weight`` (default 1) must be a 1-D tensor of positive weights (``ValueError``
    otherwise, for every graph of the input, drawn or not). Every output has this attribute set,
    also the graphs ``p < 1`` (or a composition such as ``OneOf``) left alone: their edges are kept,
    with ``edge_weight`` (1 where the input has none) and without other edge attributes, so that a
    Dataset ``transform=DiffusionView(p=0.5)`` gives graphs a DataLoader can batch."""

    magnitude_range = {"rate": (0.0, 0.5)}
    reads_edge_attributes = ("edge_weight",)
    weighted_view = True

    def __init__(self, method: str = "ppr", alpha: float = 0.15, t: float = 3.0, eps: float | None = 1e-3,
                 top_k: int | None = None, self_loops: bool = False, rate: float | tuple[float, float] = 0.1,
                 cache_size: int = 8, **kwargs: Any):
        self.method = method
        self.alpha = alpha
        self.t = t
        self.eps = eps
        self.top_k = top_k
        self.self_loops = self_loops
        self.cache_size = cache_size
        super().__init__(rate=rate, **kwargs)

    _parameter_constraints = {
        "method": [Options("ppr", "heat")],
        "alpha": [Interval(Real, 0, 1, closed="right")],
        "t": [Interval(Real, 0, None, closed="neither")],
        "eps": [None, Interval(Real, 0, None)],
        "top_k": [None, Interval(Integral, 1, None)],
        "self_loops": [Boolean()],
        "cache_size": [Interval(Integral, 0, None)],
    }

    def _fingerprint(self, data: Any) -> tuple:
        ei = data.edge_index
        w = getattr(data, "edge_weight", None)
        pos = torch.arange(1, ei.shape[1] + 1, device=ei.device, dtype=torch.float64)
        zero = torch.zeros((), dtype=torch.float64, device=ei.device)
        h = ((ei[0].double() * 1.000003 + ei[1].double() * 0.7071) * pos.sin()).sum() if ei.numel() else zero
        hw = (w.double().to(ei.device) * pos.cos()).sum() if isinstance(w, torch.Tensor) and w.numel() else zero
        h, hw = torch.stack((h, hw)).tolist()  # one host read for the cache key
        return (str(ei.device), int(data.num_nodes), int(ei.shape[1]), h, hw, self.method, float(self.alpha),
                float(self.t), self.eps, self.top_k, self.self_loops)

    def diffusion(self, data: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """(edge_index, value) of the sparsified diffusion of ``data`` (cached)."""
        cache = self.__dict__.setdefault("_cache", {})
        key = self._fingerprint(data)
        if key in cache:
            return cache[key]
        N = int(data.num_nodes)
        check_edge_weight(data, "DiffusionView")
        node_graph, _ = F.node_graph_index(data)
        ei, val = F.diffusion_matrix(data.edge_index, getattr(data, "edge_weight", None), N, self.method,
                                     alpha=float(self.alpha), t=float(self.t),
                                     tol=min(1e-4, float(self.eps) * 0.1) if self.eps else 1e-4,
                                     node_graph=node_graph,
                                     keep_min=float(self.eps) if self.eps and self.top_k is None else None)
        ei, val = F.sparsify(ei, val, N, top_k=self.top_k, eps=self.eps, self_loops=self.self_loops)
        if self.cache_size:
            while len(cache) >= self.cache_size:
                cache.pop(next(iter(cache)))
            cache[key] = (ei, val)
        return ei, val

    def _sample(self, data: Any) -> Params:
        dev = data.edge_index.device
        g = self.generator(dev)
        return {"rate": self._rates(data, g), "node_draws": F.random_int32(int(data.num_nodes), g, dev)}

    def _apply(self, data: Any, params: Params) -> Any:
        ei, val = self.diffusion(data)
        node_graph, _ = F.node_graph_index(data)
        keep = F.drop_mask(ei, params["node_draws"], params["rate"], edge_graph=node_graph[ei[0]])
        ei, val = ei[:, keep], val[keep]
        ei, val = F.sort_edges_by_graph(ei, node_graph, val)
        return F.replace_edges(data, ei, {"edge_weight": val.to(F.view_weight_dtype(data))})

    def _finish(self, out: Any, x: Any, params: Params) -> Any:
        # the graphs p did not draw get the view's attribute set too (edge_weight, no other edge attribute)
        return F.as_weighted_view(out)
