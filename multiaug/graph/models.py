"""Plug-in GNNs for Local Augmentation (LA-GNN): ``LAGCN``, ``LAGAT`` and the consistency loss.

Both models take the original features ``x`` (N, F) and ``k`` generated matrices ``x_aug`` (k, N, F)
from :class:`multiaug.graph.LocalAugmentation`. Each of the ``k + 1`` inputs goes through its own first
layer (in parallel, as in the paper); the hidden outputs are concatenated and fed to a shared second
layer. Training, as in the reference: per step draw ``S`` fresh ``x_aug`` (S ~ 4), average the
cross-entropy over the ``S`` predictions and add :func:`consistency_loss`; see :func:`lagnn_loss` and
``docs/graph_local_augmentation.md``. At evaluation time, pass one fresh ``x_aug``.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["LAGCN", "LAGAT", "consistency_loss", "lagnn_loss", "dropout"]


def _keep_mask(n: int, p: float) -> torch.Tensor:
    """n independent Bernoulli(1 - p) draws from packed random integers: 8 bits per draw when p is a
    multiple of 1/256 (exact), else 16 bits (within 1/65536)."""
    words = lambda count: torch.randint(-(2**63), 2**63 - 1, (count,), dtype=torch.int64)  # noqa: E731
    if abs(p * 256 - round(p * 256)) < 1e-9:
        return words((n + 7) // 8).view(torch.uint8)[:n] >= int(round(p * 256))
    return words((n + 3) // 4).view(torch.int16)[:n] >= int(round(p * 65536)) - 32768


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """``F.dropout`` with the same distribution, several times faster on CPU.

    On CPU, drawing one float per element (as ``F.dropout`` does) dominates a GCN epoch on wide
    bag-of-words inputs; here the keep mask comes from packed random integers (8 bits per element, exact
    for multiples of 1/256 such as 0.5; 16 bits otherwise, within 1/65536). On other
    devices it is ``F.dropout``. A sparse COO ``x`` (e.g. bag-of-words features, which ``GCNConv`` and
    ``GATConv`` accept) keeps its sparsity: only the stored values are dropped. Uses torch's default
    generator, like ``F.dropout``."""
    if not training or p == 0:
        return x
    if x.is_sparse:  # only the stored values can change: draw for those alone
        x = x.coalesce()
        vals = x.values()
        if x.device.type == "cpu":
            keep = _keep_mask(vals.numel(), float(p))
        else:
            keep = torch.rand(vals.numel(), device=x.device, dtype=torch.float32) >= p
        return torch.sparse_coo_tensor(
            x.indices()[:, keep], vals[keep] * (1.0 / (1.0 - p)), x.shape, is_coalesced=True, check_invariants=False
        )
    if x.device.type != "cpu" or p >= 1 or not x.is_floating_point():
        return F.dropout(x, p, training=True)
    keep = _keep_mask(x.numel(), float(p)).view(x.shape)
    return x.mul(keep).mul_(1.0 / (1.0 - p))


def consistency_loss(logits: Sequence[torch.Tensor], temperature: float = 0.5) -> torch.Tensor:
    """GRAND-style consistency of several predictions of the same nodes.

    ``logits``: S tensors (N, C). With p_s = softmax(logits_s) and the mean p, the target is the
    sharpened mean q = p^(1/T) / sum(p^(1/T)) (no gradient); the loss is the mean over nodes and
    samples of ||p_s - q||^2."""
    if len(logits) == 0:
        raise ValueError("consistency_loss needs at least one prediction, got an empty sequence")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    ps = torch.stack([torch.softmax(lg, dim=-1) for lg in logits])
    avg = ps.mean(dim=0)
    sharp = avg.pow(1.0 / temperature)
    sharp = (sharp / sharp.sum(dim=-1, keepdim=True)).detach()
    return (ps - sharp).pow(2).sum(dim=-1).mean()


def lagnn_loss(
    logits: Sequence[torch.Tensor],
    y: torch.Tensor,
    mask: torch.Tensor | None = None,
    lam: float = 1.0,
    temperature: float = 0.5,
) -> torch.Tensor:
    """Mean cross-entropy of the S predictions on the labelled nodes (``mask``) plus ``lam`` times
    :func:`consistency_loss` over all nodes (the reference's training loss; ``lam=0`` turns it off)."""
    ce = torch.stack([F.cross_entropy(lg[mask] if mask is not None else lg, y[mask] if mask is not None else y) for lg in logits]).mean()
    if lam == 0:
        return ce
    return ce + lam * consistency_loss(logits, temperature)


def _inputs(x: torch.Tensor, x_aug: torch.Tensor | Sequence[torch.Tensor] | None, k: int) -> list[torch.Tensor]:
    aug = [] if x_aug is None else list(x_aug.unbind(0) if isinstance(x_aug, torch.Tensor) else x_aug)
    if len(aug) != k:
        raise ValueError(f"expected x_aug with k={k} generated feature matrices (shape (k, N, F)), got {len(aug)}")
    for a in aug:
        if a.shape != x.shape:
            raise ValueError(f"each generated matrix must have the shape of x {tuple(x.shape)}, got {tuple(a.shape)}")
    return aug + [x]


class LAGCN(nn.Module):
    """LA-GCN: ``k + 1`` parallel first-layer ``GCNConv`` (one per generated matrix, one for ``x``),
    ReLU, concatenation, dropout, second ``GCNConv``. Reference settings on Cora: hidden 8, k 1,
    dropout 0.5, Adam lr 0.01, weight decay 5e-4, 4 samples per step, consistency lam 1, temperature 0.5.

    ``forward(x, x_aug, edge_index, edge_weight=None)`` returns logits (N, out_channels).
    ``cached=True`` caches the normalised adjacency (transductive training on one graph only)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, k: int = 1, dropout: float = 0.5, cached: bool = False):
        super().__init__()
        from torch_geometric.nn import GCNConv

        if k < 1:
            raise ValueError(f"k must be >= 1, got {k!r}")
        self.k = k
        self.dropout = dropout
        self.convs1 = nn.ModuleList(GCNConv(in_channels, hidden_channels, cached=cached) for _ in range(k + 1))
        self.conv2 = GCNConv((k + 1) * hidden_channels, out_channels, cached=cached)

    def reset_parameters(self) -> None:
        for c in [*self.convs1, self.conv2]:
            c.reset_parameters()

    def forward(self, x, x_aug, edge_index, edge_weight=None):
        hs = []
        for conv, xi in zip(self.convs1, _inputs(x, x_aug, self.k)):
            xi = dropout(xi, self.dropout, self.training)
            hs.append(F.relu(conv(xi, edge_index, edge_weight)))
        h = dropout(torch.cat(hs, dim=-1), self.dropout, self.training)
        return self.conv2(h, edge_index, edge_weight)


class LAGAT(nn.Module):
    """LA-GAT: ``k + 1`` parallel first-layer ``GATConv`` (``heads`` heads each), ELU, concatenation,
    dropout, second ``GATConv`` (``out_heads`` heads, averaged). Reference settings on Cora: hidden 8,
    heads 4, out_heads 1, dropout 0.6 (also on attention), lr 0.01, weight decay 5e-4, k 1, 4 samples.

    ``forward(x, x_aug, edge_index)`` returns logits (N, out_channels)."""

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        k: int = 1,
        heads: int = 4,
        out_heads: int = 1,
        dropout: float = 0.6,
    ):
        super().__init__()
        from torch_geometric.nn import GATConv

        if k < 1:
            raise ValueError(f"k must be >= 1, got {k!r}")
        self.k = k
        self.dropout = dropout
        self.convs1 = nn.ModuleList(GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout) for _ in range(k + 1))
        self.conv2 = GATConv((k + 1) * hidden_channels * heads, out_channels, heads=out_heads, concat=False, dropout=dropout)

    def reset_parameters(self) -> None:
        for c in [*self.convs1, self.conv2]:
            c.reset_parameters()

    def forward(self, x, x_aug, edge_index):
        hs = []
        for conv, xi in zip(self.convs1, _inputs(x, x_aug, self.k)):
            xi = dropout(xi, self.dropout, self.training)
            hs.append(F.elu(conv(xi, edge_index)))
        h = dropout(torch.cat(hs, dim=-1), self.dropout, self.training)
        return self.conv2(h, edge_index)
