"""Shared fixtures: one default batch per modality and helpers to compare outputs."""
from __future__ import annotations

import os

import numpy as np
import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SENTENCES = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Data augmentation makes small training sets go a long way.",
    "She bought fresh bread and cheese at the market this morning.",
    "Researchers measured the temperature of the lake every single day.",
    "A good teacher explains difficult ideas with simple examples.",
    "The old library downtown opens early on Saturday mornings.",
    "Heavy rain delayed the train for almost two hours yesterday.",
    "Children were playing football happily in the large green park.",
]


def default_batch(modality: str):
    """A fresh default batch (the contract test uses it when a case gives no ``x``)."""
    g = torch.Generator().manual_seed(1234)
    if modality == "timeseries":
        return torch.cumsum(torch.randn(8, 2, 64, generator=g), dim=-1)
    if modality == "tabular":
        return torch.randn(32, 5, generator=g)
    if modality == "text":
        return list(SENTENCES)
    if modality == "graph":
        return small_graph_batch()
    raise ValueError(modality)


def small_graph(n: int, seed: int, features: int = 8):
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    g = torch.Generator().manual_seed(seed)
    ring = torch.stack([torch.arange(n), (torch.arange(n) + 1) % n])
    extra = torch.randint(0, n, (2, n), generator=g)
    extra = extra[:, extra[0] != extra[1]]
    ei = to_undirected(torch.cat([ring, extra], dim=1), num_nodes=n)
    w = torch.rand(ei.shape[1], generator=g) + 0.5
    # symmetric weights: the weight of (u, v) equals that of (v, u)
    lo, hi = torch.minimum(ei[0], ei[1]), torch.maximum(ei[0], ei[1])
    key = lo * n + hi
    uniq, inv = torch.unique(key, return_inverse=True)
    w = (torch.rand(uniq.numel(), generator=g) + 0.5)[inv]
    x = torch.rand(n, features, generator=g)
    y = torch.randint(0, 3, (n,), generator=g)
    return Data(x=x, edge_index=ei, edge_weight=w, y=y, num_nodes=n)


def small_graph_batch():
    from torch_geometric.data import Batch

    return Batch.from_data_list([small_graph(12, 1), small_graph(9, 2), small_graph(15, 3)])


def _is_pyg(x) -> bool:
    try:
        from torch_geometric.data.data import BaseData
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, BaseData)


def to_comparable(x):
    """Flatten an output of any modality into a list of numpy arrays / python objects."""
    if isinstance(x, tuple):
        return [v for e in x for v in to_comparable(e)]
    if isinstance(x, torch.Tensor):
        return [x.detach().cpu().float().numpy() if x.is_floating_point() else x.detach().cpu().numpy()]
    if isinstance(x, np.ndarray):
        return [x]
    if hasattr(x, "to_numpy") and hasattr(x, "columns"):
        return [x.to_numpy()]
    if hasattr(x, "to_numpy"):
        return [x.to_numpy()]
    if _is_pyg(x):
        out = []
        for k in sorted(x.keys()):
            v = x[k]
            if isinstance(v, torch.Tensor):
                out.append((k, v.detach().cpu().numpy()))
        return out
    if isinstance(x, list):
        return [list(x)]
    return [x]


def outputs_equal(a, b) -> bool:
    ca, cb = to_comparable(a), to_comparable(b)
    if len(ca) != len(cb):
        return False
    for u, v in zip(ca, cb):
        if isinstance(u, tuple):
            if u[0] != v[0]:
                return False
            u, v = u[1], v[1]
        if isinstance(u, np.ndarray):
            if not isinstance(v, np.ndarray) or u.shape != v.shape:
                return False
            if u.dtype == object:
                if not (u == v).all():
                    return False
            elif not np.array_equal(u, v, equal_nan=np.issubdtype(u.dtype, np.floating)):
                return False
        elif u != v:
            return False
    return True


requires_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
