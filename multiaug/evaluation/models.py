"""Default downstream models, one per modality, each seeded and CPU-fast.

==============  ========================================================================================
modality        default model (``default_model(modality, task, seed)``)
==============  ========================================================================================
text            TF-IDF (word 1-2 grams, sublinear tf) + logistic regression (``C=10``, lbfgs);
                regression: TF-IDF + ridge
tabular         ``HistGradientBoostingClassifier`` / ``Regressor`` (``min_samples_leaf=10`` so that small
                tables can be split, ``random_state=seed``)
timeseries      :class:`RandomKernelClassifier`: MiniRocket-like random dilated convolution kernels
                (PPV and max pooling) + standardisation + ``RidgeClassifierCV`` (``RidgeCV`` for regression)
graph, node     :class:`GCNNodeClassifier`: 2-layer GCN (``GCNConv``, 16 hidden units, dropout 0.5,
                Adam lr 0.01, weight decay 5e-4, 200 full-batch epochs; one torch thread while fitting)
graph, graph    :class:`GCNGraphClassifier`: 2 ``GCNConv`` layers (64 units), mean pooling, linear head
                (Adam lr 0.01, 100 full-batch epochs)
==============  ========================================================================================

The torch models draw every random number (initial weights, dropout masks) from their own
``torch.Generator`` seeded by ``random_state``; no global random state is read or changed.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin

# --------------------------------------------------------------------------------------------------
# time series: random dilated convolution kernels (MiniRocket-like)
# --------------------------------------------------------------------------------------------------


class _threads:
    """Run torch with ``n`` intra-op threads inside the block, restoring the previous count after (full-batch
    GCNs on small graphs are many times faster on one thread than on a busy machine's many)."""

    def __init__(self, n: int | None):
        self.n = n

    def __enter__(self):
        self.old = torch.get_num_threads()
        if self.n:
            torch.set_num_threads(int(self.n))

    def __exit__(self, *exc):
        if self.n:
            torch.set_num_threads(self.old)


def _as_series(X: Any) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(X) if not isinstance(X, torch.Tensor) else X).detach().cpu().float()
    if t.dim() == 2:
        t = t[:, None, :]
    if t.dim() != 3:
        raise ValueError(f"RandomKernelFeatures: expected series of shape (N, C, T) or (N, T), got {tuple(t.shape)}")
    return t


class RandomKernelFeatures(TransformerMixin, BaseEstimator):
    """MiniRocket-like features: ``n_kernels`` kernels of length 9 with weights in {-1, 2} (three 2s),
    exponentially spaced dilations, a random channel subset per kernel and biases drawn from quantiles
    of the training convolutions; each kernel gives PPV (share of positive outputs) and the max.
    A simplification of Dempster et al. (2021), not a reimplementation: kernels and channels are drawn
    at random from ``random_state`` rather than enumerated."""

    def __init__(self, n_kernels: int = 500, random_state: int | None = 0, n_threads: int | None = 1):
        self.n_kernels = n_kernels
        self.random_state = random_state
        self.n_threads = n_threads

    def fit(self, X: Any, y: Any = None) -> "RandomKernelFeatures":
        with _threads(self.n_threads):
            return self._fit(X)

    def _fit(self, X: Any) -> "RandomKernelFeatures":
        x = _as_series(X)
        n, c, t = x.shape
        rng = np.random.default_rng(self.random_state)
        max_exp = math.log2(max((t - 1) / 8, 1))
        self.dilations_ = np.floor(2 ** rng.uniform(0, max_exp, self.n_kernels)).astype(int)
        w = -np.ones((self.n_kernels, 9), dtype=np.float32)
        for k in range(self.n_kernels):
            w[k, rng.choice(9, 3, replace=False)] = 2.0
        self.weights_ = w
        n_ch = rng.integers(1, min(c, 3) + 1, self.n_kernels)
        self.channels_ = [np.sort(rng.choice(c, int(m), replace=False)) for m in n_ch]
        self.n_channels_ = c
        sel = np.zeros((self.n_kernels, c), dtype=np.float32)
        for k, ch in enumerate(self.channels_):
            sel[k, ch] = 1.0
        self.channel_weights_ = sel
        # biases from quantiles of each kernel's convolution of one random training example
        ex = torch.as_tensor(rng.integers(0, n, self.n_kernels))
        q = rng.uniform(0.25, 0.75, self.n_kernels)
        self.biases_ = np.zeros(self.n_kernels, dtype=np.float32)
        for ks, out in self._convolve(x, ex):
            self.biases_[ks] = [np.quantile(out[0, j].numpy(), q[k]) for j, k in enumerate(ks)]
        return self

    def _convolve(self, x: torch.Tensor, examples: torch.Tensor | None = None):
        """Yield (kernel indices, (N, K_d, T) outputs) per dilation; ``examples``: kernel k convolves only
        sample ``examples[k]`` (then N = 1)."""
        mix = torch.einsum("nct,kc->nkt", x, torch.from_numpy(self.channel_weights_))  # (N, K, T)
        for d in np.unique(self.dilations_):
            ks = np.flatnonzero(self.dilations_ == d)
            kt = torch.as_tensor(ks)
            xs = mix[examples[kt], kt][None] if examples is not None else mix[:, kt]
            wk = torch.from_numpy(self.weights_[ks]).view(len(ks), 1, 9)
            yield ks, torch.nn.functional.conv1d(xs, wk, dilation=int(d), padding=4 * int(d), groups=len(ks))

    def transform(self, X: Any) -> np.ndarray:
        with _threads(self.n_threads):
            return self._transform(X)

    def _transform(self, X: Any) -> np.ndarray:
        x = _as_series(X)
        if x.shape[1] != self.n_channels_:
            raise ValueError(f"RandomKernelFeatures: fitted on {self.n_channels_} channels, got {x.shape[1]}")
        feats = np.empty((x.shape[0], 2 * self.n_kernels), dtype=np.float32)
        for ks, out in self._convolve(x):
            out = out - torch.from_numpy(self.biases_[ks]).view(1, -1, 1)
            feats[:, 2 * ks] = (out > 0).float().mean(dim=2).numpy()
            feats[:, 2 * ks + 1] = out.amax(dim=2).numpy()
        return feats


def RandomKernelClassifier(n_kernels: int = 500, random_state: int | None = 0, task: str = "classification"):
    """:class:`RandomKernelFeatures` + ``StandardScaler`` + ``RidgeClassifierCV`` (``RidgeCV`` for
    regression), alphas 10^-3..10^3, as in Rocket's recommended setup."""
    from sklearn.linear_model import RidgeClassifierCV, RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    alphas = np.logspace(-3, 3, 10)
    head = RidgeCV(alphas=alphas) if task == "regression" else RidgeClassifierCV(alphas=alphas)
    return make_pipeline(RandomKernelFeatures(n_kernels, random_state), StandardScaler(), head)


# --------------------------------------------------------------------------------------------------
# graphs: seeded 2-layer GCNs
# --------------------------------------------------------------------------------------------------


class NodeSubset:
    """The nodes ``index`` of the graph ``data``: what node-level models predict on (their "X")."""

    def __init__(self, data: Any, index: Any):
        self.data = data
        self.index = torch.as_tensor(np.asarray(index), dtype=torch.long)

    def __len__(self) -> int:
        return int(self.index.numel())


def _seeded_init(module: torch.nn.Module, g: torch.Generator) -> None:
    """Glorot-uniform weights and zero biases, drawn from ``g`` (no global random state)."""
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() >= 2:
                a = math.sqrt(6.0 / (p.shape[0] + p.shape[1]))
                p.copy_(torch.rand(p.shape, generator=g, dtype=torch.float32) * 2 * a - a)
            else:
                p.zero_()


def _dropout(h: torch.Tensor, p: float, g: torch.Generator, training: bool) -> torch.Tensor:
    if not training or p == 0:
        return h
    keep = (torch.rand(h.shape, generator=g, dtype=torch.float32) >= p).to(h.dtype)
    return h * keep / (1 - p)


def _soft_targets(y: torch.Tensor, k: int) -> torch.Tensor:
    if y.dim() == 2:
        if y.shape[1] < k:
            y = torch.nn.functional.pad(y, (0, k - y.shape[1]))
        return y.float()
    return torch.nn.functional.one_hot(y.long(), k).float()


class _GCNBase(ClassifierMixin, BaseEstimator):
    def _layers(self, f: int, k: int) -> torch.nn.ModuleList:
        from torch_geometric.nn import GCNConv

        # normalisation computed once per graph (``_norm``), not at every epoch
        return torch.nn.ModuleList([GCNConv(f, self.hidden, normalize=False),
                                    GCNConv(self.hidden, self.hidden if self._pooled else k, normalize=False)])

    _pooled = False

    @staticmethod
    def _norm(edge_index: torch.Tensor, num_nodes: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Self loops and the symmetric normalisation D^-1/2 (A + I) D^-1/2 of Kipf & Welling."""
        from torch_geometric.nn.conv.gcn_conv import gcn_norm

        return gcn_norm(edge_index, None, num_nodes, add_self_loops=True)


class GCNNodeClassifier(_GCNBase):
    """2-layer GCN for node classification on one graph (Kipf & Welling setup).

    ``fit(graphs)``: ``graphs`` is a ``Data``, a ``Batch`` or a list of them (e.g. the graph and its
    augmented copies); each needs ``x``, ``edge_index``, ``y`` (class index per node, or soft targets
    ``(N, K)``) and ``train_mask`` (the nodes whose labels the loss may use). ``predict(NodeSubset)``
    returns the class of the subset's nodes in its graph (``eval`` mode, no dropout)."""

    def __init__(self, hidden: int = 16, dropout: float = 0.5, lr: float = 0.01, weight_decay: float = 5e-4,
                 epochs: int = 200, random_state: int | None = 0, n_threads: int | None = 1):
        self.n_threads = n_threads
        self.hidden = hidden
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.random_state = random_state

    def _forward(self, x, ei, g, training):
        ei, w = ei
        h = _dropout(x, self.dropout, g, training)
        h = torch.relu(self.net_[0](h, ei, w))
        h = _dropout(h, self.dropout, g, training)
        return self.net_[1](h, ei, w)

    def fit(self, graphs: Any, y: Any = None) -> "GCNNodeClassifier":
        with _threads(self.n_threads):
            return self._fit(graphs)

    def _fit(self, graphs: Any) -> "GCNNodeClassifier":
        from torch_geometric.data import Batch

        if not isinstance(graphs, (list, tuple)):
            graphs = [graphs]
        batch = Batch.from_data_list([gr for b in graphs for gr in (b.to_data_list() if isinstance(b, Batch) else [b])])
        yy = batch.y
        mask = batch.train_mask.bool()
        k = int(yy.shape[1]) if yy.dim() == 2 else int(yy[mask].max().item()) + 1
        self.n_classes_ = k
        self.classes_ = np.arange(self.n_classes_)
        g = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
        self.net_ = self._layers(batch.x.shape[1], self.n_classes_)
        _seeded_init(self.net_, g)
        opt = torch.optim.Adam(self.net_.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        target = _soft_targets(torch.where(yy < 0, torch.zeros_like(yy), yy) if yy.dim() == 1 else yy, self.n_classes_)
        x = batch.x.float()
        norm = self._norm(batch.edge_index, batch.num_nodes)
        self.net_.train()
        for _ in range(self.epochs):
            opt.zero_grad()
            out = self._forward(x, norm, g, True)
            loss = -(target[mask] * torch.log_softmax(out[mask], dim=1)).sum(dim=1).mean()
            loss.backward()
            opt.step()
        self.net_.eval()
        return self

    def predict_proba(self, X: NodeSubset) -> np.ndarray:
        if not isinstance(X, NodeSubset):
            raise TypeError(f"GCNNodeClassifier.predict: expected a NodeSubset(data, index), got {type(X).__name__}")
        with torch.no_grad(), _threads(self.n_threads):
            out = self._forward(X.data.x.float(), self._norm(X.data.edge_index, X.data.num_nodes), None, False)
        return torch.softmax(out[X.index], dim=1).numpy()

    def predict(self, X: NodeSubset) -> np.ndarray:
        return self.predict_proba(X).argmax(axis=1)


class GCNGraphClassifier(_GCNBase):
    """Graph classification: 2 ``GCNConv`` layers, mean pooling, a linear head; full-batch Adam.
    ``fit(graphs, y)``: a list of ``Data`` (or a ``Batch``) and one label (or soft target row) per graph."""

    _pooled = True

    def __init__(self, hidden: int = 64, dropout: float = 0.5, lr: float = 0.01, weight_decay: float = 5e-4,
                 epochs: int = 100, random_state: int | None = 0, n_threads: int | None = 1):
        self.n_threads = n_threads
        self.hidden = hidden
        self.dropout = dropout
        self.lr = lr
        self.weight_decay = weight_decay
        self.epochs = epochs
        self.random_state = random_state

    @staticmethod
    def _batch(graphs: Any):
        from torch_geometric.data import Batch

        if isinstance(graphs, Batch):
            return graphs
        return Batch.from_data_list(list(graphs))

    def _forward(self, b, g, training, norm=None):
        from torch_geometric.nn import global_mean_pool

        ei, w = self._norm(b.edge_index, b.num_nodes) if norm is None else norm
        h = torch.relu(self.net_[0](b.x.float(), ei, w))
        h = _dropout(h, self.dropout, g, training)
        h = torch.relu(self.net_[1](h, ei, w))
        h = global_mean_pool(h, b.batch, size=b.num_graphs)
        return self.head_(_dropout(h, self.dropout, g, training))

    def fit(self, graphs: Any, y: Any) -> "GCNGraphClassifier":
        with _threads(self.n_threads):
            return self._fit(graphs, y)

    def _fit(self, graphs: Any, y: Any) -> "GCNGraphClassifier":
        b = self._batch(graphs)
        yy = torch.as_tensor(np.asarray(y))
        k = int(yy.shape[1]) if yy.dim() == 2 else int(yy.max().item()) + 1
        self.n_classes_ = k
        self.classes_ = np.arange(k)
        g = torch.Generator().manual_seed(0 if self.random_state is None else int(self.random_state))
        self.net_ = self._layers(b.x.shape[1], k)
        self.head_ = torch.nn.Linear(self.hidden, k)
        _seeded_init(self.net_, g)
        _seeded_init(self.head_, g)
        params = list(self.net_.parameters()) + list(self.head_.parameters())
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        target = _soft_targets(yy, k)
        norm = self._norm(b.edge_index, b.num_nodes)
        for _ in range(self.epochs):
            opt.zero_grad()
            out = self._forward(b, g, True, norm)
            loss = -(target * torch.log_softmax(out, dim=1)).sum(dim=1).mean()
            loss.backward()
            opt.step()
        return self

    def predict_proba(self, graphs: Any) -> np.ndarray:
        with torch.no_grad(), _threads(self.n_threads):
            return torch.softmax(self._forward(self._batch(graphs), None, False), dim=1).numpy()

    def predict(self, graphs: Any) -> np.ndarray:
        return self.predict_proba(graphs).argmax(axis=1)


# --------------------------------------------------------------------------------------------------


def default_model(modality: str, task: str = "classification", seed: int | None = 0) -> Any:
    """The documented default downstream model for ``modality`` ("text", "tabular", "timeseries",
    "graph-node", "graph-graph") and ``task`` ("classification" or "regression")."""
    if task not in ("classification", "regression"):
        raise ValueError(f"task: expected 'classification' or 'regression', got {task!r}")
    if modality == "text":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline

        vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        head = Ridge() if task == "regression" else LogisticRegression(C=10.0, max_iter=2000, random_state=seed)
        return make_pipeline(vec, head)
    if modality == "tabular":
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        cls = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
        return cls(min_samples_leaf=10, random_state=seed)
    if modality == "timeseries":
        return RandomKernelClassifier(random_state=seed, task=task)
    if task == "regression":
        raise ValueError(f"no default regression model for {modality!r}; pass model=")
    if modality == "graph-node":
        return GCNNodeClassifier(random_state=seed)
    if modality == "graph-graph":
        return GCNGraphClassifier(random_state=seed)
    raise ValueError(f"modality: expected one of text, tabular, timeseries, graph-node, graph-graph, got {modality!r}")


#: Default candidates per modality (registry names with parameters); "none" is always compared too.
DEFAULT_CANDIDATES: dict[str, list[tuple[str, dict]]] = {
    "text": [("eda", {}), ("random_swap", {}), ("random_deletion", {}), ("char_noise", {})],
    "tabular": [("gaussian_noise", {"sigma": 0.05}), ("mixup", {}), ("cutmix", {})],
    "timeseries": [("jitter", {}), ("scaling", {}), ("magnitude_warp", {}), ("window_warp", {})],
    "graph-node": [("edge_drop", {"rate": 0.2}), ("feature_mask", {"rate": 0.2}), ("feature_noise", {"sigma": 0.1})],
    "graph-graph": [("edge_drop", {"rate": 0.2}), ("node_drop", {"rate": 0.1}), ("feature_mask", {"rate": 0.2})],
}


def default_candidates(modality: str) -> list:
    """Fresh augmenters of :data:`DEFAULT_CANDIDATES` for ``modality``."""
    from .. import registry

    if modality not in DEFAULT_CANDIDATES:
        raise ValueError(f"modality: expected one of {sorted(DEFAULT_CANDIDATES)}, got {modality!r}")
    return [registry.create(name, **params) for name, params in DEFAULT_CANDIDATES[modality]]
