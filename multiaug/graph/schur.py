"""Randomized Schur-complement views (rLap, "Randomized Schur Complement Views for Graph
Contrastive Learning"), vectorised in torch.

A fraction of the nodes is eliminated by randomized approximate Gaussian elimination of the graph
Laplacian: each eliminated node's neighbour clique (weights w_ij·w_ik/d_i in the exact Schur
complement) is replaced by a random tree whose expected Laplacian equals the clique (the
Kyng–Sachdeva sampler used by the reference C++ code). Nodes are eliminated in rounds: each round
takes an independent set of the nodes still to eliminate and samples all their trees at once with
sort/segment/scatter operations (no Python loop over nodes), so it runs on any device and on whole
batches. One round (an independent elimination set) is exactly unbiased: the expected Laplacian of
the view is the Schur complement onto the kept nodes; over several rounds a small bias remains, as in
the reference, because the Schur complement is not linear in the weights.
"""
from __future__ import annotations

from typing import Any

import torch

from ..core import Params, warn_unchanged
from ..core.constraints import Boolean, Interval, Options, Pair, Real
from ..core.hostreads import host_item
from ..registry import register
from . import functional as F
from .base import GraphAugmenter, check_edge_weight, graph_sizes, per_graph_value, seed_nodes

__all__ = ["SchurView"]


@register("schur_view")
class SchurView(GraphAugmenter):
    """Randomized Schur-complement view (rLap): eliminate a fraction of nodes, sampling cliques as trees.

    Parameters
    ----------
    fraction : float or (low, high)
        Share of each graph's nodes to eliminate (drawn per graph for a range); at most n - 1 nodes
        of a graph are eliminated, and never the seed nodes of a NeighborLoader mini-batch (its first
        ``batch_size``, see :func:`~multiaug.graph.base.seed_nodes`).
    order : 'random' | 'degree'
        'random': a uniformly random set, eliminated in a random order (each round a maximal
        independent set of the remaining nodes, chosen by random priorities). 'degree': approximate minimum degree — each
        round eliminates nodes whose current degree is smallest among their neighbours (ties at
        random), lowest degrees first, until the graph's quota is reached (the reference uses a
        global minimum-degree queue; this parallel rule approximates it).
    neighbor_order : 'asc' | 'desc' | 'random'
        Order of an eliminated node's neighbours (by weight) in the tree sampler, as in the reference.
    keep_eliminated : bool
        Keep eliminated nodes as isolated nodes (indices unchanged) instead of removing them.
    symmetrize : bool
        Accept a directed graph by using, for each pair, the larger of its two directed weights.
        Without it a directed graph is an error.

    The input's ``edge_weight`` (default 1) must be a 1-D tensor of positive weights (for every graph
    of the input, drawn or not); self-loops are an error. The output
    carries ``edge_weight`` (both directions of every edge); node attributes follow the kept nodes;
    other edge attributes (``edge_attr``...) cannot follow the new edges and are removed. Every
    output has this attribute set, also the graphs ``p < 1`` (or a composition such as ``OneOf``)
    left alone: their edges are kept, with ``edge_weight`` (1 where the input has none) and without
    other edge attributes, so that a Dataset ``transform=SchurView(p=0.5)`` gives graphs a
    DataLoader can batch.
    An explicit elimination set and order can be given with :meth:`eliminate`.

    Host reads (synchronisations on a GPU): one per elimination round (the round's sizes, read
    together) and a fixed few per call (the input checks, the mirror test of the edges, the output's
    sizes); see :func:`multiaug.graph.functional.approx_schur`.
    """

    magnitude_range = {"fraction": (0.1, 0.7)}
    reads_edge_attributes = ("edge_weight",)
    weighted_view = True

    @property
    def removes_nodes(self) -> bool:
        """Eliminated nodes are removed (attributes holding node ids besides ``edge_index``, such as
        ``edge_label_index``, are then refused), unless ``keep_eliminated``."""
        return not self.keep_eliminated

    def __init__(self, fraction: float | tuple[float, float] = 0.5, order: str = "random", neighbor_order: str = "asc",
                 keep_eliminated: bool = False, symmetrize: bool = False, **kwargs: Any):
        self.fraction = fraction
        self.order = order
        self.neighbor_order = neighbor_order
        self.keep_eliminated = keep_eliminated
        self.symmetrize = symmetrize
        super().__init__(**kwargs)

    _parameter_constraints = {
        "fraction": [Interval(Real, 0, 1), Pair(Real, 0, 1)],
        "order": [Options("random", "degree")],
        "neighbor_order": [Options("asc", "desc", "random")],
        "keep_eliminated": [Boolean()],
        "symmetrize": [Boolean()],
    }

    # ---- the two phases ---------------------------------------------------------------------------

    def _sample(self, data: Any) -> Params:
        dev = data.edge_index.device
        g = self.generator(dev)
        node_graph, nodes_per, _ = graph_sizes(data)
        frac = per_graph_value(self.fraction, nodes_per.numel(), g, dev, dtype=torch.float64)
        quota = torch.minimum(torch.floor(frac * nodes_per.double() + 1e-9).long(), (nodes_per - 1).clamp(min=0))
        seeds = seed_nodes(data, type(self).__name__) if not self.keep_eliminated else None
        if seeds is not None:  # a NeighborLoader mini-batch: its seed nodes are never eliminated
            quota = torch.minimum(quota, nodes_per - torch.bincount(node_graph[seeds], minlength=nodes_per.numel()))
        warn_unchanged(self, int(((quota == 0) & (frac > 0)).sum()), nodes_per.numel(),
                       "too few nodes to eliminate any at this fraction")
        priority = torch.rand(int(data.num_nodes), generator=g, device=dev, dtype=torch.float32)
        eliminate = None
        if self.order == "random":  # (seeds: ranked after every other node, so none is chosen)
            eliminate = F.sample_per_group(node_graph, quota, priority if seeds is None else priority.masked_fill(seeds, 2.0))
        # the tree sampler's seed, drawn on the CPU (the input's stream there): _apply reads it without waiting
        seed = torch.randint(0, 2**62, (), generator=g if dev.type == "cpu" else self.generator("cpu"))
        # random order: rounds are grown to maximal independent sets (fewer rounds; the order stays random)
        return {"eliminate": eliminate, "priority": priority, "quota": quota, "seed": seed, "strict_order": False,
                "protect": seeds}

    def _apply(self, data: Any, params: Params) -> Any:
        ei = data.edge_index
        dev = ei.device
        N = int(data.num_nodes)
        if N == 0:  # nothing to eliminate (already counted as unchanged by _sample): the same empty view
            return F.replace_edges(data, ei, {"edge_weight": torch.zeros(0, device=dev, dtype=F.view_weight_dtype(data))})
        check_edge_weight(data, "SchurView", positive=False)  # positivity: coalesce_undirected
        w = F.view_edge_weight(data)
        try:
            lo, hi, w = F.coalesce_undirected(ei, w, N, symmetrize=self.symmetrize)
        except ValueError as err:
            raise ValueError(f"SchurView: {err}") from None
        node_graph, _ = F.node_graph_index(data)
        eliminate = params.get("eliminate")
        if eliminate is not None:
            eliminate = eliminate.to(dev)
            if eliminate.dtype != torch.bool or eliminate.shape != (N,):
                raise ValueError(f"SchurView: eliminate must be a bool mask of shape ({N},), got {eliminate.dtype} {tuple(eliminate.shape)}")
        priority = params["priority"].to(dev)
        if priority.shape != (N,):
            raise ValueError(f"SchurView: priority must have one value per node ({N}), got shape {tuple(priority.shape)}")
        seed = params["seed"]
        gen = torch.Generator(device=dev)
        gen.manual_seed(host_item(seed) if isinstance(seed, torch.Tensor) and seed.device.type == "cpu" else int(seed))
        lo, hi, w, done, _ = F.approx_schur(lo, hi, w, N, eliminate, priority, gen, self.neighbor_order,
                                            quota=params.get("quota"), node_graph=node_graph,
                                            strict_order=bool(params.get("strict_order", True)),
                                            protect=params.get("protect"))
        # merge parallel edges (sorted by (lo, hi), hence by graph), emit both directions per graph; one
        # read for the sizes (distinct edges, kept nodes)
        ks, order, first = F.sorted_groups(lo * N + hi)
        kept = ~done
        n_edges, n_kept = torch.stack((first.sum(), kept.sum())).tolist()
        key, wsum = F.sum_groups(ks, order, first, w, count=n_edges)
        a = torch.div(key, N, rounding_mode="floor")
        b = key - a * N
        keep_idx = None
        if not self.keep_eliminated:
            new_id = torch.cumsum(kept.long(), 0) - 1
            a, b = new_id[a], new_id[b]
            keep_idx = F.compact(kept, n_kept)
            node_graph = node_graph.index_select(0, keep_idx)
        _, n_graphs = F.node_graph_index(data)
        # (sorted by the first end, and node ids are grouped by graph: edges come grouped by graph)
        ei, ww = F.undirected_to_edge_index(a, b, wsum, node_graph, n_graphs, grouped=True)
        return F.replace_edges(data, ei, {"edge_weight": ww}, node_keep=keep_idx)

    def _finish(self, out: Any, x: Any, params: Params) -> Any:
        # the graphs p did not draw get the view's attribute set too (edge_weight, no other edge attribute)
        return F.as_weighted_view(out)

    # ---- explicit elimination ----------------------------------------------------------------------

    def eliminate(self, data: Any, eliminate: torch.Tensor, priority: torch.Tensor | None = None) -> Any:
        """View of ``data`` eliminating exactly the nodes in ``eliminate`` (bool mask or index),
        in increasing ``priority`` (default: random), the tree sampling drawn from this instance's
        generator. Nodes that are never adjacent may be eliminated in the same round."""
        xi, _ = self._to_internal(data)
        N = int(xi.num_nodes)
        dev = xi.edge_index.device
        if eliminate.dtype != torch.bool:
            eliminate = torch.zeros(N, dtype=torch.bool, device=dev).index_fill_(0, eliminate.to(dev).long(), True)
        params = self._sample(xi)
        seeds = params.get("protect")
        if seeds is not None and eliminate.shape == seeds.shape and bool((eliminate.to(dev) & seeds).any()):
            raise ValueError(f"SchurView.eliminate: eliminate holds seed nodes of a NeighborLoader mini-batch (the first "
                             f"batch_size={xi.batch_size} nodes), which training reads; eliminate other nodes, or pass "
                             "keep_eliminated=True")
        params["eliminate"] = eliminate.to(dev)
        params["strict_order"] = True
        if priority is not None:
            params["priority"] = torch.as_tensor(priority, device=dev).to(torch.float64)
        return self._apply(xi, params)
