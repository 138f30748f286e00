"""Graph batches: validation and the base class of graph augmenters.

A batch is a PyG ``Data`` (one graph) or ``Batch`` (several graphs); the output has the same type.
Per-sample probability ``p`` and composition act per graph. ``edge_index`` must be a long tensor of
shape (2, E) with entries in ``[0, num_nodes)``.

Non-finite values: NaN or inf in the node features ``x`` raise ``ValueError`` (naming the augmenter
and the count) for every graph augmenter, as tables and series do; so do NaN or inf in the edge
attributes an augmenter reads (its ``reads_edge_attributes``, e.g. ``edge_weight`` for the diffusion
and Schur views). Other edge attributes are carried along, never read, and not checked.
"""
from __future__ import annotations

import functools
from typing import Any, Sequence

import torch

from ..core import Augmenter, ModalityHandler, register_modality
from ..core.hostreads import all_finite, min_max
from ..core.report import warn_user


@functools.cache
def _pyg():
    """PyG's (Data, Batch), imported on first use (graph code runs per sample in a Dataset's transform)."""
    from torch_geometric.data import Batch, Data

    return Data, Batch


def check_graph(data: Any, name: str = "data") -> None:
    """Validate a PyG graph; raise ``TypeError``/``ValueError`` naming the problem."""
    Data, Batch = _pyg()
    if not isinstance(data, Data):
        raise TypeError(f"{name}: expected a torch_geometric.data.Data or Batch, got {type(data).__name__}"
                        + _not_a_graph_hint(data))
    store = data._store  # (attributes read from the store: PyG's attribute access costs a few us each)
    ei = store.get("edge_index")
    n = data.num_nodes
    if n is None:
        raise ValueError(f"{name}: the graph has no nodes (set x or num_nodes)")
    if ei is None:
        adj = [k for k in data.keys() if is_sparse_adjacency(data[k])]
        if adj:
            raise ValueError(f"{name}: edge_index is missing and the edges are in the sparse adjacency {name}.{adj[0]}; "
                             "graph augmenters read and change edge_index (2, E): build the graph with edge_index "
                             "and apply T.ToSparseTensor() after the augmenter (T.Compose([aug, T.ToSparseTensor()]))")
        raise ValueError(f"{name}: edge_index is missing (use an empty (2, 0) long tensor for a graph without edges)")
    if not isinstance(ei, torch.Tensor) or ei.dim() != 2 or ei.shape[0] != 2:
        raise ValueError(f"{name}: edge_index must be a tensor of shape (2, E), got {getattr(ei, 'shape', type(ei))}")
    if ei.dtype != torch.long:
        raise TypeError(f"{name}: edge_index must have dtype torch.long, got {ei.dtype} "
                        f"(convert it: {name}.edge_index = {name}.edge_index.long())")
    if ei.numel():
        lo, hi = min_max(ei)
        if lo < 0 or hi >= n:
            raise ValueError(f"{name}: edge_index has entries outside [0, {n}) (min {lo}, max {hi})")
    E = ei.shape[1]
    for key in ("edge_attr", "edge_weight"):
        v = store.get(key)
        if isinstance(v, torch.Tensor) and v.shape[0] != E:
            raise ValueError(f"{name}: {key} has {v.shape[0]} rows but edge_index has {E} edges")
    x = store.get("x")
    if isinstance(x, torch.Tensor) and x.layout != torch.strided:
        raise TypeError(f"{name}: x is a sparse tensor ({x.layout}); pass dense node features (data.x = data.x.to_dense())")
    if isinstance(x, torch.Tensor) and x.shape[0] != n:
        raise ValueError(f"{name}: x has {x.shape[0]} rows but the graph has {n} nodes")


def _not_a_graph_hint(data: Any) -> str:
    """What to pass instead of ``data`` (not a ``Data``): the end of :func:`check_graph`'s message."""
    Data, _ = _pyg()
    kind = type(data).__name__
    if kind == "HeteroData":
        return ("; a HeteroData has several node and edge types, which these augmenters do not tell apart: convert "
                "it with data.to_homogeneous() (node_type and edge_type then follow the nodes and edges that "
                "EdgeDrop, NodeDrop, RandomWalkSubgraph and the feature views keep, but EdgeAdd's new edges get "
                "edge_type 0 and DiffusionView and SchurView drop edge_type), or augment one edge type's graph as a Data")
    if isinstance(data, torch.Tensor) and data.dim() == 2 and data.shape[0] == 2:
        return (" (an edge_index?); graph augmenters take the whole graph, so that node and edge attributes "
                "follow: pass Data(x=x, edge_index=edge_index) (or Data(edge_index=edge_index, num_nodes=n))")
    if isinstance(data, (list, tuple)) and data and all(isinstance(g, Data) for g in data):
        return (f" of {len(data)} graphs; pass one graph, or the graphs as one batch: "
                "torch_geometric.data.Batch.from_data_list(graphs)")
    from torch_geometric.data import Dataset

    if isinstance(data, Dataset):
        return (" (a dataset); pass the augmenter as the dataset's transform= (new copies at every read), or "
                "augment its graphs: aug(dataset[i]), aug(Batch.from_data_list(list(dataset)))")
    return ""


def is_sparse_adjacency(value: Any) -> bool:
    """A sparse tensor (torch's sparse layouts, or torch_sparse's ``SparseTensor``): how PyG's
    ``ToSparseTensor`` stores a graph's adjacency (``adj_t``)."""
    if isinstance(value, torch.Tensor):
        return value.layout != torch.strided
    return type(value).__name__ == "SparseTensor" and type(value).__module__.startswith("torch_sparse")


def holds_node_ids(data: Any, key: str, value: Any) -> bool:
    """Whether the attribute ``key`` (not ``edge_index``) holds node ids: PyG offsets it by the node
    count when batching (``__inc__``: keys containing ``index``, ``face``, or a subclass's own rule),
    as ``edge_label_index`` of link prediction does."""
    if not isinstance(value, torch.Tensor) or key in ("edge_index", "ptr", "source_index") or "batch" in key:
        return False  # (``*batch`` keys: bookkeeping, and PyG's __inc__ would read their maximum; source_index:
        # the engines' lineage of a graph, not a node id)
    if value.numel() <= 1:  # a graph-level number (one id of the graph, a count): nothing to follow
        return False
    inc = data.__inc__(key, value)  # 0 (no read of num_nodes) for the other keys
    if not isinstance(inc, int) or isinstance(inc, bool) or inc == 0:
        return False
    return inc == data.num_nodes


#: lists that are no per-node or per-edge values: NeighborLoader's per-hop counts (followed by the views)
_NOT_PER_ELEMENT = ("num_sampled_nodes", "num_sampled_edges")


def per_element_sequence(data: Any, key: str, value: Any) -> str | None:
    """'node' or 'edge' when ``value`` is a list, tuple or numpy array with one entry per node (or per
    edge) of ``data`` (in a Batch, where PyG keeps one such sequence per graph: per node or edge of each
    graph), as ``from_networkx`` stores node properties (Karate club's ``club``); else None."""
    import numpy as np

    if key in _NOT_PER_ELEMENT or not isinstance(value, (list, tuple, np.ndarray)) or isinstance(value, str):
        return None
    _, Batch = _pyg()
    ei = data._store.get("edge_index")
    if not isinstance(ei, torch.Tensor) or ei.dim() != 2:
        return None
    if not isinstance(data, Batch):
        n, e = int(data.num_nodes), int(ei.shape[1])
        return "node" if len(value) == n else ("edge" if len(value) == e else None)
    if len(value) != data.num_graphs or not all(isinstance(v, (list, tuple, np.ndarray)) and not isinstance(v, str)
                                                for v in value):
        return None
    lengths = [len(v) for v in value]
    nodes = torch.diff(data.ptr).tolist() if "ptr" in data._store.keys() else None
    edge_sl = (getattr(data, "_slice_dict", None) or {}).get("edge_index")
    edges = torch.diff(edge_sl).tolist() if isinstance(edge_sl, torch.Tensor) else None
    return "node" if lengths == nodes else ("edge" if lengths == edges else None)


def refuse_unfollowable(data: Any, key: str, value: Any, who: str, removes_nodes: bool) -> None:
    """Refuse an attribute that a view changing the edges (``removes_nodes``: and removing nodes)
    cannot keep consistent: a sparse adjacency (``adj_t``), or node ids outside ``edge_index``
    (``edge_label_index``, ``face``...), which would keep the ids of removed nodes. Nothing is left
    stale or dropped silently."""
    if is_sparse_adjacency(value):
        raise ValueError(
            f"{who}: data.{key} is a sparse adjacency, which cannot follow the edges this augmenter changes "
            f"(it reads and changes edge_index); remove it before augmenting (del data.{key}) and rebuild it "
            "after, e.g. T.Compose([aug, T.ToSparseTensor(remove_edge_index=False)])"
        )
    kind = per_element_sequence(data, key, value)
    if kind == "edge" or (kind == "node" and removes_nodes):
        raise ValueError(
            f"{who}: data.{key} is a {type(value).__name__} with one entry per {kind} (not a tensor), which graph "
            f"views cannot cut or reorder with the {kind}s they change (it would keep the entries of removed {kind}s); "
            f"store it as a tensor (e.g. class ids: data.{key} = torch.tensor(ids)) or set it aside before augmenting "
            f"(del data.{key})"
        )
    if removes_nodes and holds_node_ids(data, key, value):
        raise ValueError(
            f"{who}: data.{key} holds node ids (PyG offsets it by num_nodes when batching), which cannot follow "
            f"the nodes this augmenter removes and relabels; remove it before augmenting (del data.{key}), or use "
            "an augmenter that keeps every node (EdgeDrop, EdgeAdd, FeatureMask, SchurView(keep_eliminated=True))"
        )


def check_followable(data: Any, augs: Sequence[Any]) -> None:
    """Before any draw (so that ``p`` does not decide whether it raises): refuse the attributes that
    the structure-changing augmenters among ``augs`` cannot keep consistent (:func:`refuse_unfollowable`)."""
    first, removes = None, False  # named in the error: the first remover, else the first edge changer
    for a in augs:
        if getattr(a, "changes_edges", False):
            if getattr(a, "removes_nodes", False):
                first, removes = a, True
                break
            if first is None:
                first = a
    if first is not None:
        refuse_unfollowable_all(data, type(first).__name__, removes)


def refuse_unfollowable_all(data: Any, who: str, removes_nodes: bool) -> None:
    """:func:`refuse_unfollowable` for every attribute but ``edge_index`` (per call: one pass over the
    stores, dense tensors that cannot hold node ids skipped without a call)."""
    for store in data.stores:
        for key, value in store.items():
            if key == "edge_index":
                continue
            if isinstance(value, torch.Tensor) and value.layout == torch.strided and (
                    not removes_nodes or value.numel() <= 1):
                continue
            refuse_unfollowable(data, key, value, who, removes_nodes)


def seed_nodes(data: Any, who: str) -> torch.Tensor | None:
    """Bool mask of the seed nodes of a mini-batch from PyG's ``NeighborLoader`` (None for other graphs).

    Such a ``Data`` stores ``batch_size``: its first ``batch_size`` nodes are the seeds, in the order of
    ``input_id``, and training reads ``out[:batch.batch_size]``. The views that remove nodes keep them
    (first and in order: kept nodes keep their order), so ``batch_size``, ``input_id`` and the seeds'
    rows of ``n_id`` stay true. A ``Batch`` of such graphs (whose ``batch_size`` attribute PyG collates
    into one count per graph; ``Batch.batch_size`` itself is ``num_graphs``) keeps the first
    ``batch_size[g]`` nodes of each graph ``g``. A ``batch_size`` that is not a count of nodes the graph
    has is a ``ValueError``."""
    bs = data._store.get("batch_size")  # (the store: a Batch's batch_size property is num_graphs)
    if bs is None:
        return None
    n = int(data.num_nodes)
    dev = data.edge_index.device
    from .functional import _is_batch, node_graph_index

    if not _is_batch(data):
        if isinstance(bs, torch.Tensor) and bs.numel() == 1 and not (bs.is_floating_point() or bs.dtype == torch.bool):
            bs = int(bs)
        if not isinstance(bs, int) or isinstance(bs, bool) or not 0 <= bs <= n:
            raise ValueError(f"{who}: data.batch_size={bs!r} must be the number of seed nodes of a NeighborLoader "
                             f"mini-batch, an integer in [0, {n}] (the graph's nodes); fix or delete it (del data.batch_size)")
        return torch.arange(n, device=dev) < bs
    node_graph, g = node_graph_index(data)
    bs_t = torch.as_tensor(bs)
    nodes_per = torch.bincount(node_graph, minlength=g).cpu()
    if (bs_t.dim() != 1 or bs_t.shape[0] != g or bs_t.is_floating_point() or bs_t.dtype == torch.bool
            or bool((bs_t < 0).any()) or bool((bs_t.cpu() > nodes_per).any())):
        raise ValueError(f"{who}: the Batch's batch_size attribute must hold the number of seed nodes of each of its "
                         f"{g} graphs (NeighborLoader mini-batches), at most the graph's nodes {nodes_per.tolist()[:10]}, "
                         f"got {bs_t.tolist() if bs_t.numel() <= 10 else tuple(bs_t.shape)}; fix or delete it")
    start = torch.cumsum(nodes_per, 0) - nodes_per
    local = torch.arange(n, device=dev) - start.to(dev)[node_graph]
    return local < bs_t.to(dev)[node_graph]


def _walk(aug: Any):
    return () if aug is None else aug._descendants()


def _count_non_finite(t: torch.Tensor) -> int:
    """Number of NaN/inf entries of a floating tensor (0 for other dtypes); one cheap pass when clean."""
    if not (t.is_floating_point() or t.is_complex()) or t.numel() == 0:
        return 0
    if t.is_floating_point() and all_finite(t):
        return 0
    return int((~torch.isfinite(t)).sum())


def check_finite(data: Any, aug: Any = None, tree: Sequence[Any] | None = None) -> None:
    """Refuse NaN/inf in ``data.x`` and in the edge attributes that ``aug`` (or one of its children) reads
    (``tree``: ``aug`` and its descendants, where the caller has listed them)."""
    who = type(aug).__name__ if aug is not None else "data"
    keys = ["x"]
    for a in (_walk(aug) if tree is None else tree):
        keys += [k for k in getattr(a, "reads_edge_attributes", ()) if k not in keys]
    store = data._store
    for key in keys:
        v = store.get(key)
        if isinstance(v, torch.Tensor):
            bad = _count_non_finite(v)
            if bad:
                raise ValueError(
                    f"{who}: data.{key} contains {bad} NaN or inf values (of {v.numel()}); clean or impute them first"
                )


def check_edge_weight(data: Any, who: str, positive: bool = True) -> None:
    """Refuse an ``edge_weight`` the weighted views cannot read: not a 1-D tensor with one weight per
    edge, or (``positive``) with a weight <= 0. A missing ``edge_weight`` is fine (weight 1), unless
    the weights are stored under another name (:func:`refuse_misnamed_weight`)."""
    w = getattr(data, "edge_weight", None)
    if w is None:
        refuse_misnamed_weight(data, who)
        return
    E = data.edge_index.shape[1]
    if not isinstance(w, torch.Tensor) or w.dim() != 1 or w.shape[0] != E:
        got = f"shape {tuple(w.shape)}" if isinstance(w, torch.Tensor) else type(w).__name__
        raise ValueError(f"{who}: edge_weight must be a 1-D tensor with one weight per edge ({E}), got {got}"
                         + (" (flatten it: data.edge_weight = data.edge_weight.view(-1))" if isinstance(w, torch.Tensor)
                            and w.numel() == E else ""))
    if positive and w.numel() and bool((w <= 0).any()):
        bad = w[w <= 0]
        raise ValueError(f"{who}: edge_weight must be positive, found {bad.numel()} weight(s) <= 0 (e.g. "
                         f"{bad[:3].tolist()}); expected weights > 0 (drop zero-weight edges, or shift the weights)")


def refuse_misnamed_weight(data: Any, who: str) -> None:
    """Refuse, for a weighted view (which reads ``edge_weight`` only, PyG's name, and removes the
    other edge attributes), a graph without ``edge_weight`` that holds one number per edge under a
    name containing ``weight`` (``weight``: what ``torch_geometric.utils.from_networkx`` names
    networkx's edge weights): the view would compute an unweighted view and drop the weights without a
    word. An edge attribute is one the views cut with the edges (:func:`~.functional.node_edge_keys`)."""
    names = [k for k, v in data._store.items() if "weight" in k.lower() and isinstance(v, torch.Tensor)
             and (v.dim() == 1 or (v.dim() == 2 and v.shape[1] == 1))]
    if not names:
        return
    from .functional import node_edge_keys

    _, edge_keys = node_edge_keys(data)
    for key in names:
        if key in edge_keys:
            raise ValueError(
                f"{who}: data.{key} holds one number per edge, but {who} reads edge weights only from data.edge_weight "
                f"(PyG's name; from_networkx names networkx's edge weights 'weight') and would drop data.{key}, giving an "
                f"unweighted view; rename it (data.edge_weight = data.{key}.view(-1); del data.{key}) or delete it "
                f"(del data.{key})"
            )


class GraphHandler(ModalityHandler):
    name = "graph"

    def check(self, x: Any, aug: Any = None) -> tuple[Any, Any]:
        check_graph(x, "data")
        tree = list(_walk(aug))
        check_finite(x, aug, tree)
        check_followable(x, tree)
        removers = [a for a in tree if getattr(a, "removes_nodes", False)]
        if removers:  # a NeighborLoader mini-batch's batch_size checked before any draw (p does not decide)
            seed_nodes(x, type(removers[0]).__name__)
        from .functional import _counts_nodes, _is_batch

        if not _is_batch(x) and "num_nodes" not in x._store and not _counts_nodes(x):
            # PyG counts this graph's nodes by edge_index's largest id: store the count, so that a view
            # dropping edges keeps it and every output, drawn by p or not, has the same attribute set
            x = x.__copy__()
            x.num_nodes = int(x.num_nodes)
        ctx = None
        if aug is not None and len(tree) > 1:
            views = [a for a in tree if getattr(a, "weighted_view", False)]
            if views:  # every graph, drawn or not, whichever child it is routed to
                check_edge_weight(x, type(views[0]).__name__)
                ctx = True  # a composition holding a weighted view: restore gives every output its attribute set
            if any(getattr(a, "makes_x_aug", False) for a in tree):
                _check_x_aug_routing(aug)
        elif getattr(aug, "weighted_view", False):
            check_edge_weight(x, type(aug).__name__)
        dev = getattr(aug, "device", None)
        if dev is not None:
            x = x.to(dev)
        return x, ctx

    def restore(self, x: Any, ctx: Any) -> Any:
        if ctx is True:
            from .functional import as_weighted_view

            return as_weighted_view(x)
        return x

    def check_internal(self, x: Any, who: str) -> None:
        if not isinstance(getattr(x, "edge_index", None), torch.Tensor):
            raise TypeError(f"{who}: x must be a PyG Data or Batch with an edge_index tensor, got {type(x).__name__}")

    def length(self, x: Any) -> int:
        _, Batch = _pyg()
        return x.num_graphs if isinstance(x, Batch) else 1

    def device(self, x: Any) -> torch.device:
        ei = x.edge_index
        return ei.device

    def take(self, x: Any, index: torch.Tensor) -> Any:
        _, Batch = _pyg()
        idx = index.tolist()
        if not isinstance(x, Batch):
            if idx != [0]:
                raise IndexError(f"a single graph has only sample 0, asked for {idx}")
            return x
        refuse_x_aug([x], "a step that augments only some graphs of a Batch (p < 1, OneOf, SomeOf, RandAugment)")
        return set_follow_batch(Batch.from_data_list([x.get_example(i) for i in idx]), follow_batch_keys(x))

    def merge(self, x: Any, index: torch.Tensor, part: Any) -> Any:
        _, Batch = _pyg()
        if not isinstance(x, Batch):
            return part
        refuse_x_aug([x, part], "a step that augments only some graphs of a Batch (p < 1, OneOf, SomeOf, RandAugment)")
        graphs = x.to_data_list()
        parts = part.to_data_list() if isinstance(part, Batch) else [part]
        for i, g in zip(index.tolist(), parts):
            graphs[i] = g
        return set_follow_batch(Batch.from_data_list(same_attributes(graphs)), follow_batch_keys(x))

    def concat(self, batches: Sequence[Any]) -> Any:
        _, Batch = _pyg()
        x_aug = _join_x_aug(batches)
        if x_aug is not None:
            batches = [_without(b, "x_aug") for b in batches]
        graphs = []
        for b in batches:
            graphs.extend(b.to_data_list() if isinstance(b, Batch) else [b])
        out = Batch.from_data_list(same_attributes(graphs))
        if x_aug is not None:
            out.x_aug = x_aug
        # follow_batch companions that every input batch has
        follow = set.intersection(*(set(follow_batch_keys(b)) if isinstance(b, Batch) else set() for b in batches))
        return set_follow_batch(out, sorted(follow)) if follow else out


def follow_batch_keys(data: Any) -> list[str]:
    """The attributes K a Batch was collated for with ``follow_batch=[K]`` (PyG's DataLoader): it holds
    K, ``K_batch`` (graph of each row of K) and ``K_ptr`` (offsets of each graph's rows)."""
    store = data._store
    return [k for k in store.keys() if f"{k}_batch" in store and f"{k}_ptr" in store]


def set_follow_batch(batch: Any, keys: Sequence[str]) -> Any:
    """Recompute ``K_batch``/``K_ptr`` of a Batch from its slices for each K of ``keys``, as PyG's
    collate makes them (after nodes or edges changed, or graphs were split and joined again); a K the
    batch no longer has loses them. Returns ``batch``."""
    slices = getattr(batch, "_slice_dict", None) or {}
    for k in keys:
        sl = slices.get(k)
        if k not in batch or not isinstance(sl, torch.Tensor):
            for extra in (f"{k}_batch", f"{k}_ptr"):
                if extra in batch:
                    del batch[extra]
            continue
        dev = batch[k].device
        counts = (sl[1:] - sl[:-1]).to(dev)
        batch[f"{k}_batch"] = torch.repeat_interleave(torch.arange(counts.numel(), device=dev), counts,
                                                      output_size=int(sl[-1] - sl[0]))
        batch[f"{k}_ptr"] = sl.to(dev)
    return batch


def _without(data: Any, key: str) -> Any:
    if key not in data:
        return data
    data = data.__copy__()
    del data[key]
    return data


def x_as_x_aug(data: Any, like: torch.Tensor) -> torch.Tensor:
    """``data.x`` in the place of an ``x_aug`` like ``like`` (k, nodes, F): k views of the graph's own
    features (no copy), what LocalAugmentation gives a graph it leaves alone."""
    return data.x.to(like.dtype)[None].expand(like.shape[0], *data.x.shape)


def _join_x_aug(batches: Sequence[Any]) -> torch.Tensor | None:
    """LocalAugmentation's ``x_aug`` (k, nodes, F) of batches joined node by node, as their graphs are
    (a batch without one, such as the originals of ``fit_resample``, contributes a copy of its ``x``,
    as LocalAugmentation gives the graphs ``p`` did not draw); None when no batch has one."""
    have = [b.x_aug for b in batches if "x_aug" in b]
    if not have:
        return None
    k = have[0].shape[0]
    parts = []
    for b in batches:
        xa = b.x_aug if "x_aug" in b else x_as_x_aug(b, have[0])
        if xa.shape[0] != k or xa.shape[1] != b.num_nodes:
            raise ValueError(f"LocalAugmentation: x_aug of shape {tuple(xa.shape)} cannot be joined: expected "
                             f"({k}, {b.num_nodes}, F), k generated matrices over the graph's nodes")
        parts.append(xa)
    return torch.cat(parts, dim=1)


def to_data_list(data: Any) -> list:
    """The graphs of a ``Batch`` (``[data]`` for a ``Data``), as ``Batch.to_data_list()`` gives them, with
    LocalAugmentation's ``x_aug`` (k, nodes, F), which PyG cannot split, cut per graph along its node
    axis: each graph gets its own ``x_aug`` (k, num_nodes, F). For writing augmented graphs one by one."""
    _, Batch = _pyg()
    if not isinstance(data, Batch):
        return [data]
    if "x_aug" not in data:
        return data.to_data_list()
    x_aug = data.x_aug
    if x_aug.dim() < 2 or x_aug.shape[1] != data.num_nodes:
        raise ValueError(f"LocalAugmentation: x_aug of shape {tuple(x_aug.shape)} cannot be split per graph: expected "
                         f"(k, {data.num_nodes}, F), k generated matrices over the batch's nodes")
    counts = torch.bincount(data.batch, minlength=data.num_graphs).tolist()
    graphs = _without(data, "x_aug").to_data_list()
    for g, part in zip(graphs, torch.split(x_aug, counts, dim=1)):
        g.x_aug = part
    return graphs


def refuse_x_aug(graphs: Sequence[Any], where: str) -> None:
    """LocalAugmentation's ``x_aug`` (k, num_nodes, F) spans a graph's (or a Batch's) nodes along its
    second axis, which PyG cannot split or join graph by graph: refuse, naming what would lose or
    misalign it, rather than drop it silently."""
    if any("x_aug" in g for g in graphs):
        raise ValueError(
            f"LocalAugmentation: the graph carries x_aug (k, num_nodes, F), which {where} would lose or misalign; "
            "apply LocalAugmentation last and on its own (la(data), la.augment(data, n_aug); its own p keeps x_aug "
            "for every graph), e.g. out = la(Sequential([NodeDrop(), EdgeDrop(p=0.5)])(data))"
        )


def _check_x_aug_routing(aug: Any) -> None:
    """Refuse LocalAugmentation inside a composition that routes only some graphs to it (OneOf, SomeOf,
    RandAugment, a composition with p < 1): the others would come back without ``x_aug``."""

    def visit(a: Any, owner: Any) -> None:
        if getattr(a, "makes_x_aug", False) and owner is not None:
            raise ValueError(
                f"LocalAugmentation: inside {type(owner).__name__}"
                f"{' with p < 1' if float(owner.p) < 1 else ''}, which routes only some graphs to it, so the "
                "others would have no x_aug (k, num_nodes, F); use LocalAugmentation's own p instead (graphs not "
                "drawn get a copy of x in x_aug) and apply it on its own, after the other augmenters"
            )
        kids = a._children()
        routes = bool(kids) and (float(a.p) < 1 or a.routes_subsets)
        for c in kids:
            visit(c, owner if owner is not None else (a if routes else None))

    visit(aug, None)


def same_attributes(graphs: list) -> list:
    """Graphs that one ``Batch`` can hold: views that rebuild the edge set (DiffusionView, SchurView)
    give their graphs ``edge_weight`` and remove other edge attributes, while the graphs a ``p < 1``
    draw (or ``OneOf``) left alone keep theirs. A graph without ``edge_weight`` gets weight 1 on every
    edge (what the weighted views assume of it); an edge attribute only some graphs still have is
    removed from all of them, with a warning naming it (so is a NeighborLoader mini-batch's
    ``num_sampled_edges``, which those views remove). A stored ``num_nodes`` that only some graphs
    have (node-dropping views store it on graphs without node attributes) is stored on the others too,
    with the count PyG gives them. Any other difference raises ``ValueError``."""
    keysets = [set(g.keys()) for g in graphs]
    if all(k == keysets[0] for k in keysets):
        return graphs
    union = set().union(*keysets)
    if "num_nodes" in union and any("num_nodes" not in ks for ks in keysets):
        graphs = list(graphs)
        for i, ks in enumerate(keysets):
            if "num_nodes" not in ks:
                g = graphs[i] = graphs[i].__copy__()
                g.num_nodes = g.num_nodes  # the count PyG infers, now stored
                ks.add("num_nodes")
        if all(k == keysets[0] for k in keysets):
            return graphs
    partial = sorted(k for k in union if any(k not in ks for ks in keysets))
    owners = {k: next(g for g, ks in zip(graphs, keysets) if k in ks) for k in partial}
    # (NeighborLoader's per-hop edge counts, which a view that rebuilds the edge set removes: as edge attributes)
    not_edge = [k for k in partial if not owners[k].is_edge_attr(k) and k != "num_sampled_edges"]
    if not_edge:
        raise ValueError(
            f"graphs to batch together differ in the attributes {not_edge}: only edge attributes can be "
            "reconciled (edge_weight filled with 1, others removed); give every graph the same attributes"
        )
    dropped = [k for k in partial if k != "edge_weight"]
    if dropped:
        warn_user(
            f"edge attribute(s) {dropped} removed from every graph of the batch: some graphs lost them to a "
            "view that rebuilds the edge set (DiffusionView, SchurView), and one Batch needs one attribute set",
            RuntimeWarning,
        )
    out = []
    for g, ks in zip(graphs, keysets):
        add_weight = "edge_weight" in partial and "edge_weight" not in ks
        if not add_weight and not any(k in ks for k in dropped):
            out.append(g)
            continue
        g = g.__copy__()  # shallow: attributes are removed or added, never modified in place
        for k in dropped:
            if k in ks:
                del g[k]
        if add_weight:
            ref = owners["edge_weight"].edge_weight
            g.edge_weight = torch.ones(g.edge_index.shape[1], dtype=ref.dtype, device=g.edge_index.device)
        out.append(g)
    return out


def as_batch(graphs: Sequence[Any]) -> Any:
    """A list of graphs as one input: the ``Data`` itself when there is one, else one ``Batch`` (how
    files of graphs are fitted and augmented)."""
    if len(graphs) == 1:
        return graphs[0]
    _, Batch = _pyg()
    return Batch.from_data_list(graphs)


register_modality(GraphHandler())


class GraphAugmenter(Augmenter):
    """Base class of graph augmenters. Kernels see a PyG ``Data`` or ``Batch``.

    ``reads_edge_attributes``: the edge attributes whose values the augmenter reads (checked for
    NaN/inf like ``x``); attributes it only carries along are not listed."""

    modality = "graph"
    #: with p < 1, _sample and _apply see only the graphs drawn (taken out of the batch and put back)
    p_mode = "subset"
    reads_edge_attributes: tuple[str, ...] = ()
    #: a view that rebuilds the edge set (DiffusionView, SchurView): every output, drawn by ``p`` or not
    #: and in any composition, has ``edge_weight`` and no other edge attribute (see
    #: :func:`multiaug.graph.functional.as_weighted_view`), so one Dataset transform gives one attribute set
    weighted_view: bool = False
    #: LocalAugmentation: adds ``x_aug`` (k, num_nodes, F), which compositions cannot route graph by graph
    makes_x_aug: bool = False
    #: changes the edge set (a sparse adjacency such as ``adj_t`` could not follow: refused by name)
    changes_edges: bool = True
    #: removes nodes (attributes holding node ids outside ``edge_index``, e.g. ``edge_label_index``,
    #: could not follow: refused by name)
    removes_nodes: bool = False


def graph_sizes(data: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(node-to-graph index, nodes per graph, edges per graph) for a Data (one graph) or Batch."""
    _, Batch = _pyg()
    dev = data.edge_index.device
    n = data.num_nodes
    if isinstance(data, Batch):
        node_graph = data.batch
        g = data.num_graphs
    else:
        node_graph = torch.zeros(n, dtype=torch.long, device=dev)
        g = 1
    nodes_per = torch.bincount(node_graph, minlength=g)
    edge_graph = node_graph[data.edge_index[0]] if data.edge_index.numel() else torch.zeros(0, dtype=torch.long, device=dev)
    edges_per = torch.bincount(edge_graph, minlength=g)
    return node_graph, nodes_per, edges_per


def is_range(value: Any) -> bool:
    """True for a ``(low, high)`` pair of numbers."""
    return isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
    )


def per_graph_value(value: Any, n_graphs: int, generator: torch.Generator, device: Any,
                    dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """One value per graph: ``value`` itself, or uniform in ``(low, high)`` drawn per graph (the
    draw is float32 whatever ``dtype``; ask float64 where the value is multiplied into a count, so
    that e.g. 0.9 x 20 nodes gives 18, not float32's 17.9999996)."""
    if is_range(value):
        lo, hi = float(value[0]), float(value[1])
        return lo + (hi - lo) * torch.rand(n_graphs, generator=generator, device=device, dtype=torch.float32).to(dtype)
    return torch.full((n_graphs,), float(value), device=device, dtype=dtype)
