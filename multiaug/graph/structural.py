"""Structural graph views on PyG ``Data``/``Batch``."""
from __future__ import annotations

from typing import Any

import torch

from ..core import Params
from ..registry import register
from .base import GraphAugmenter, graph_sizes


def undirected_pair_id(edge_index: torch.Tensor, num_nodes: int) -> torch.Tensor:
    """Id of each edge's unordered pair {u, v}: both directions of an edge share it."""
    lo = torch.minimum(edge_index[0], edge_index[1])
    hi = torch.maximum(edge_index[0], edge_index[1])
    return torch.unique(lo * num_nodes + hi, return_inverse=True)[1]


def keep_edges(data: Any, keep: torch.Tensor) -> Any:
    """Copy of ``data`` with only the edges where ``keep`` is True; edge attributes follow."""
    out = data.clone()
    E = data.edge_index.shape[1]
    for key, value in data.items():
        if isinstance(value, torch.Tensor) and data.is_edge_attr(key) and value.shape[0] == E and key != "edge_index":
            out[key] = value[keep]
    out.edge_index = data.edge_index[:, keep]
    if hasattr(out, "_slice_dict") and "edge_index" in getattr(out, "_slice_dict", {}):
        # a Batch: edges per graph changed, so rebuild the slices
        _, _, before = graph_sizes(data)
        graph_of_edge = data.batch[data.edge_index[0]]
        after = torch.bincount(graph_of_edge[keep], minlength=before.numel())
        sl = torch.zeros(after.numel() + 1, dtype=torch.long)
        sl[1:] = torch.cumsum(after.cpu(), 0)
        for key in list(out._slice_dict):
            if key == "edge_index" or (data.is_edge_attr(key) and key in out._slice_dict):
                out._slice_dict[key] = sl
    return out


@register("edge_drop")
class EdgeDrop(GraphAugmenter):
    """Drop each edge with probability ``rate`` (a float, or a ``(low, high)`` range drawn per graph).

    Both directions of an undirected edge are dropped together, so undirected graphs stay undirected;
    ``edge_attr``/``edge_weight`` and every other edge attribute follow."""

    magnitude_range = {"rate": (0.0, 0.5)}

    def __init__(self, rate: float | tuple[float, float] = 0.2, **kwargs: Any):
        self.rate = rate
        super().__init__(**kwargs)

    def _validate_params(self) -> None:
        super()._validate_params()
        r = self.rate
        ok = (isinstance(r, (int, float)) and 0 <= r <= 1) or (
            isinstance(r, (list, tuple)) and len(r) == 2 and all(isinstance(v, (int, float)) for v in r) and 0 <= r[0] <= r[1] <= 1
        )
        self._check_param("rate", ok, "a probability in [0, 1] or a (low, high) range in [0, 1]")

    def _sample(self, data: Any) -> Params:
        dev = data.edge_index.device
        g = self.generator(dev)
        _, nodes_per, _ = graph_sizes(data)
        n_graphs = nodes_per.numel()
        if isinstance(self.rate, (list, tuple)):
            lo, hi = map(float, self.rate)
            rate = lo + (hi - lo) * torch.rand(n_graphs, generator=g, device=dev)
        else:
            rate = torch.full((n_graphs,), float(self.rate), device=dev)
        pair = undirected_pair_id(data.edge_index, data.num_nodes)
        n_pairs = int(pair.max()) + 1 if pair.numel() else 0
        u = torch.rand(n_pairs, generator=g, device=dev)
        return {"rate": rate, "u": u}

    def _apply(self, data: Any, params: Params) -> Any:
        if data.edge_index.numel() == 0:
            return data.clone()
        node_graph, _, _ = graph_sizes(data)
        pair = undirected_pair_id(data.edge_index, data.num_nodes)
        rate = params["rate"][node_graph[data.edge_index[0]]]
        keep = params["u"][pair] >= rate
        return keep_edges(data, keep)
