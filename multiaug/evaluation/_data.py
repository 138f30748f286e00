"""Modality adapters: how to index, split, augment (training rows only) and score each kind of data.

Every adapter exposes the *units* that cross-validation splits (rows, texts, series, labelled nodes or
graphs) and builds, for one fold, the training set "training units + augmented copies of them" and the
test set "held-out units, never augmented".
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..core.labels import labels_to_numpy

MODALITIES = ("text", "tabular", "timeseries", "graph-node", "graph-graph")


def _is_graph(x: Any) -> bool:
    try:
        from torch_geometric.data import Data, HeteroData
        from torch_geometric.data.data import BaseData
    except ImportError:  # pragma: no cover
        return False
    return isinstance(x, (Data, HeteroData, BaseData))


def detect_modality(X: Any, graph_mode: str | None = None) -> str:
    """"text", "tabular", "timeseries", "graph-node" or "graph-graph" from the type and shape of ``X``."""
    if graph_mode not in (None, "node", "graph"):
        raise ValueError(f"graph_mode: expected None, 'node' or 'graph', got {graph_mode!r}")
    try:
        from torch_geometric.data import Batch
    except ImportError:  # pragma: no cover
        Batch = ()  # noqa: N806
    if isinstance(X, Batch) or (isinstance(X, (list, tuple)) and len(X) and _is_graph(X[0])):
        if graph_mode == "node":
            raise ValueError("graph_mode='node' needs one graph (a Data with y), got a list/Batch of graphs")
        return "graph-graph"
    if _is_graph(X):
        if graph_mode == "graph":
            raise ValueError("graph_mode='graph' needs a list or Batch of graphs, got a single Data")
        return "graph-node"
    if graph_mode is not None:
        raise ValueError(f"graph_mode={graph_mode!r} is for graph data, got {type(X).__name__}")
    if isinstance(X, (list, tuple)) and len(X) and all(isinstance(s, str) for s in X):
        return "text"
    if type(X).__module__.startswith("pandas"):
        return "tabular"
    if isinstance(X, (np.ndarray, torch.Tensor)):
        if X.ndim == 2:
            return "tabular"
        if X.ndim == 3:
            return "timeseries"
        raise ValueError(f"X: expected a table (N, F) or series (N, C, T), got an array of shape {tuple(X.shape)}")
    raise TypeError(
        f"X: expected a list of str, an (N, F) table or DataFrame, an (N, C, T) series array, a graph (Data) "
        f"or a list/Batch of graphs, got {type(X).__name__}"
    )


def detect_task(y: np.ndarray, task: str) -> str:
    if task in ("classification", "regression"):
        return task
    if task != "auto":
        raise ValueError(f"task: expected 'auto', 'classification' or 'regression', got {task!r}")
    from sklearn.utils.multiclass import type_of_target

    if type_of_target(y) in ("continuous", "continuous-multioutput"):
        return "regression"
    # whole-number floats (e.g. scikit-learn's diabetes targets) with many values are targets, not classes
    if np.asarray(y).dtype.kind == "f" and len(np.unique(y)) > 20:
        return "regression"
    return "classification"


def _take(X: Any, idx: np.ndarray) -> Any:
    if isinstance(X, list):
        return [X[i] for i in idx]
    if isinstance(X, tuple):
        return [X[i] for i in idx]
    if hasattr(X, "iloc"):
        return X.iloc[idx]
    if isinstance(X, torch.Tensor):
        return X[torch.as_tensor(idx, dtype=torch.long)]
    return X[idx]


def _concat(parts: list) -> Any:
    a = parts[0]
    if isinstance(a, list):
        return [v for p in parts for v in (p if isinstance(p, list) else list(p))]
    if hasattr(a, "iloc"):
        import pandas as pd

        return pd.concat(parts, ignore_index=True)
    if isinstance(a, torch.Tensor):
        return torch.cat([torch.as_tensor(p) for p in parts])
    return np.concatenate([np.asarray(p) for p in parts])


def harden(y_aug: Any, task: str) -> np.ndarray:
    """Soft targets (N, K) of mixing augmenters -> the dominant class (scikit-learn models need hard labels)."""
    ya = labels_to_numpy(y_aug)
    if task == "classification" and ya.ndim == 2:
        return ya.argmax(axis=1)
    return ya


def augment_fold(aug: Any, X: Any, y: Any, n_aug: int, **inputs: Any) -> tuple[Any, Any, Any]:
    """The augmented copies of a training fold: ``n_aug`` per sample, or, for an augmenter with a
    ``sampling_strategy``, those that balance the fold's classes (``n_aug`` does not apply to it).
    ``inputs``: the modality's call inputs of the fold's samples (time series' ``lengths``)."""
    if getattr(aug, "sampling_strategy", None) is not None:
        return aug.augment(X, y, **inputs)
    return aug.augment(X, y, n_aug=n_aug, **inputs)


def _fold_lengths(lengths: Any, X: Any, modality: str) -> np.ndarray | None:
    """``lengths`` of :func:`~multiaug.evaluation.evaluate` (series padded at the end: the valid length
    of each) checked against the series ``X``, as an int64 array; None when not given."""
    if lengths is None:
        return None
    n, count = len(X), np.size(lengths)
    if np.ndim(lengths) != 1 or count != n:  # said here in one line, not with the whole array printed
        raise ValueError(f"lengths: expected {n} integers (one per series), got "
                         f"{count if np.ndim(lengths) == 1 else f'shape {np.shape(lengths)}'}")
    from ..timeseries.base import TimeSeriesHandler, _valid_lengths

    xi, _ = TimeSeriesHandler().check(X)
    return _valid_lengths(lengths, xi, None)[0].cpu().numpy()


class ArrayAdapter:
    """Text lists, tables (ndarray/tensor/DataFrame) and series (N, C, T): units are rows.

    Class labels are split and augmented as indices into ``classes_`` (mixing augmenters' soft-target
    columns are those indices), but the model is trained and scored on the user's own labels
    (``classes_[index]``): a model with ``class_weight={"spam": 5}`` or a scorer with
    ``pos_label="spam"`` works as it does in scikit-learn's ``cross_val_score``."""

    #: the model sees the user's labels: its predictions need no mapping back (see AugmentationSearchCV.predict)
    model_codes = False

    def __init__(self, X: Any, y: Any, modality: str, task: str, lengths: Any = None):
        if y is None:
            raise ValueError(f"y: labels or targets are needed to evaluate on {modality} data, got None")
        self.X = X
        self.modality = modality
        self.lengths = _fold_lengths(lengths, X, modality)
        y = labels_to_numpy(y)
        n = len(X)
        if len(y) != n:
            raise ValueError(f"X has {n} samples but y has {len(y)}; expected one label/target per sample")
        from ..core.labels import check_no_missing_labels

        check_no_missing_labels(y, "evaluate")
        if task == "regression" and y.dtype.kind not in "biuf":
            try:
                y = y.astype(float)
            except (TypeError, ValueError):
                raise ValueError(f"y: task='regression' needs numeric targets, got {y.dtype} values such as "
                                 f"{y[:3].tolist()}") from None
        self.task = detect_task(y, task)
        if self.task == "classification":
            if y.ndim != 1:
                raise ValueError(f"y: expected one class label per sample (shape ({n},)), got shape {y.shape}; "
                                 "pass class labels, not one-hot rows (e.g. y.argmax(axis=1))")
            self.classes_, self.y = np.unique(y, return_inverse=True)
            self.y = self.y.reshape(-1)
        else:
            self.classes_, self.y = None, y.astype(float)
        self.n = n

    def units(self) -> tuple[np.ndarray, np.ndarray]:
        return np.arange(self.n), self.y

    def _labels(self, codes: np.ndarray) -> np.ndarray:
        """The user's labels of class indices (targets unchanged)."""
        return codes if self.classes_ is None else self.classes_[codes]

    def test_set(self, idx: np.ndarray, train: np.ndarray | None = None) -> tuple[Any, np.ndarray]:
        return _take(self.X, idx), self._labels(self.y[idx])

    def train_set(self, aug: Any, idx: np.ndarray, n_aug: int, times: dict) -> tuple[Any, np.ndarray]:
        import time

        X_tr, y_tr = _take(self.X, idx), self.y[idx]
        if aug is None:
            return X_tr, self._labels(y_tr)
        t0 = time.perf_counter()
        aug.fit(X_tr, y_tr)
        t1 = time.perf_counter()
        X_a, y_a, _ = augment_fold(aug, X_tr, y_tr, n_aug,
                                   **({} if self.lengths is None else {"lengths": self.lengths[idx]}))
        times["augment_fit"] += t1 - t0
        times["augment"] += time.perf_counter() - t1
        if len(X_a) == 0:
            return X_tr, self._labels(y_tr)
        y_fit = np.concatenate([y_tr, harden(y_a, self.task).astype(y_tr.dtype, copy=False)])
        return _concat([X_tr, X_a]), self._labels(y_fit)


class NodeAdapter:
    """One graph, node classification: units are the labelled nodes (``y >= 0``, and inside
    ``label_mask`` when the graph has one). In a fold the augmenter sees the graph with every label
    outside the training fold set to -1 and ``train_mask`` marking the training fold; the model is
    trained on that graph plus its augmented copies and predicts the test nodes on that graph (test labels hidden there too)."""

    def __init__(self, data: Any, y: Any, task: str):
        if getattr(data, "x", None) is None or getattr(data, "edge_index", None) is None:
            raise ValueError("graph: node-level evaluation needs data.x and data.edge_index")
        yy = data.y if y is None else torch.as_tensor(labels_to_numpy(y))
        if yy is None:
            raise ValueError("y: node-level evaluation needs labels (data.y or y=), got None")
        yy = torch.as_tensor(yy).view(-1).long()
        if yy.numel() != data.num_nodes:
            raise ValueError(f"y: expected one label per node ({data.num_nodes}), got {yy.numel()}")
        if task == "regression":
            raise ValueError("task='regression' is not supported for node-level graphs; labels must be classes")
        self.task = "classification"
        labelled = yy >= 0
        mask = getattr(data, "label_mask", None)
        if mask is not None:
            labelled &= torch.as_tensor(mask).bool()
        self.nodes = torch.nonzero(labelled).view(-1).numpy()
        if len(self.nodes) < 2:
            raise ValueError(f"graph: node-level evaluation needs labelled nodes (y >= 0), got {len(self.nodes)}")
        self.data = data
        self.full_y = yy
        self.y = yy[self.nodes].numpy()
        self.classes_ = None  # labels are class indices already; not re-encoded
        self.model_codes = False
        self.n = len(self.nodes)
        self.modality = "graph-node"

    def units(self):
        return np.arange(self.n), self.y

    def test_set(self, idx, train=None):
        """The test nodes, predicted on a graph whose test labels are hidden (-1): the training fold's
        graph when ``train`` is given (a model that reads ``data.y`` while predicting, e.g. label
        propagation, sees the training labels only), else the graph with the ``idx`` labels hidden."""
        from .models import NodeSubset

        if train is not None:
            g = self.fold_graph(train, copy_features=False)
        else:
            g = self._shallow()
            y = self.full_y.clone()
            y[torch.as_tensor(self.nodes[idx], dtype=torch.long)] = -1
            g.y = y
        return NodeSubset(g, self.nodes[idx]), self.y[idx]

    def _shallow(self):
        """A copy of the graph sharing its tensors (setting an attribute leaves the original alone), without masks."""
        import copy

        g = copy.copy(self.data)
        for k in ("train_mask", "val_mask", "test_mask", "label_mask"):
            if k in g:
                del g[k]
        return g

    def fold_graph(self, idx, copy_features: bool = True):
        """The graph with every label outside the units ``idx`` hidden (-1) and ``train_mask`` marking ``idx``."""
        g = self._shallow().clone() if copy_features else self._shallow()
        nodes = torch.as_tensor(self.nodes[idx], dtype=torch.long)
        y = torch.full_like(self.full_y, -1)
        y[nodes] = self.full_y[nodes]
        g.y = y
        m = torch.zeros(self.data.num_nodes, dtype=torch.bool)
        m[nodes] = True
        g.train_mask = m
        return g

    def train_set(self, aug, idx, n_aug, times):
        import time

        g = self.fold_graph(idx)
        if aug is None:
            return [g], None
        t0 = time.perf_counter()
        aug.fit(g)
        t1 = time.perf_counter()
        out, _, _ = augment_fold(aug, g, None, n_aug)
        times["augment_fit"] += t1 - t0
        times["augment"] += time.perf_counter() - t1
        return [g, out], None


class GraphListAdapter:
    """A list (or Batch) of graphs, graph classification: units are graphs."""

    def __init__(self, graphs: Any, y: Any, task: str):
        from torch_geometric.data import Batch

        self.graphs = graphs.to_data_list() if isinstance(graphs, Batch) else list(graphs)
        if y is None:
            ys = [getattr(g, "y", None) for g in self.graphs]
            if any(v is None for v in ys):
                raise ValueError("y: graph-level evaluation needs one label per graph (y= or each graph's .y)")
            sizes = [int(torch.as_tensor(v).numel()) for v in ys]
            bad = [i for i, k in enumerate(sizes) if k != 1]
            if bad:
                raise ValueError(
                    f"y: graph classification needs one label per graph, but graph {bad[0]}'s .y holds {sizes[bad[0]]} "
                    "values (node labels? pass graph_mode='node' with one graph, or y= with one label per graph)")
            y = torch.cat([torch.as_tensor(v).reshape(1) for v in ys])
        y = labels_to_numpy(y)
        if y.ndim == 2 and y.shape[1] == 1:
            y = y[:, 0]
        if y.ndim != 1 or len(y) != len(self.graphs):
            raise ValueError(f"y: expected one label per graph, shape ({len(self.graphs)},), got shape {y.shape}")
        if task == "regression":
            raise ValueError("task='regression' is not supported for graph-level evaluation; labels must be classes")
        self.task = "classification"
        self.classes_, self.y = np.unique(y, return_inverse=True)
        self.model_codes = True  # the graph models take class indices (0..K-1), mapped back by classes_
        self.n = len(self.graphs)
        self.modality = "graph-graph"

    def units(self):
        return np.arange(self.n), self.y

    def test_set(self, idx, train=None):
        """The test graphs without their ``.y`` (a model must not be able to read the label it predicts)."""
        return [self._unlabelled(self.graphs[i]) for i in idx], self.y[idx]

    @staticmethod
    def _unlabelled(g):
        import copy

        if getattr(g, "y", None) is None:
            return g
        g = copy.copy(g)  # shares the tensors; deleting y leaves the original alone
        del g.y
        return g

    def train_set(self, aug, idx, n_aug, times):
        import time

        from torch_geometric.data import Batch

        gs, y_tr = [self.graphs[i] for i in idx], self.y[idx]
        if aug is None:
            return gs, y_tr
        b = Batch.from_data_list(gs)
        t0 = time.perf_counter()
        aug.fit(b, torch.as_tensor(y_tr))
        t1 = time.perf_counter()
        out, y_a, _ = augment_fold(aug, b, torch.as_tensor(y_tr), n_aug)
        times["augment_fit"] += t1 - t0
        times["augment"] += time.perf_counter() - t1
        extra = out.to_data_list() if isinstance(out, Batch) else list(out)
        return gs + extra, np.concatenate([y_tr, harden(y_a, "classification")])


def make_adapter(X: Any, y: Any, task: str = "auto", graph_mode: str | None = None, lengths: Any = None,
                 modality: str | None = None):
    """The adapter of ``X``; ``modality``: what the caller knows ``X`` holds (a 2-D array of univariate
    series, see :func:`~multiaug.evaluation.evaluate.series_2d`), else detected from ``X``."""
    modality = detect_modality(X, graph_mode) if modality is None else modality
    if lengths is not None and modality != "timeseries":
        raise ValueError(f"lengths: the valid lengths of time series padded at the end; X holds {modality} data")
    if modality == "graph-node":
        adapter = NodeAdapter(X, y, task)
    elif modality == "graph-graph":
        adapter = GraphListAdapter(X, y, task)
    else:
        adapter = ArrayAdapter(X, y, modality, task, lengths)
    if adapter.task == "classification":
        # one class: every model predicts it, every candidate scores 1.0, and the comparison means nothing
        found = np.unique(adapter.units()[1])
        if len(found) < 2:
            shown = "" if not len(found) else f" ({(found if adapter.classes_ is None else adapter.classes_)[:1].tolist()[0]!r})"
            raise ValueError(f"y: every sample has the same class{shown}; classification needs at least 2 classes")
    return adapter
