"""Mini-batches laid out as PyG's NeighborLoader gives them (seed nodes first, ``batch_size``, ``n_id``,
``e_id``, ``input_id``, per-hop counts), built by PyG's own ``NodeLoader`` with a pure-torch sampler:
``NeighborLoader`` itself needs pyg-lib or torch-sparse, which the test environment may not have."""
from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.loader import NodeLoader
from torch_geometric.sampler import BaseSampler, SamplerOutput
from torch_geometric.utils import to_undirected


class FullHopSampler(BaseSampler):
    """Every in-neighbour for ``hops`` hops, nodes and edges in hop order (NeighborLoader's layout)."""

    def __init__(self, data: Data, hops: int = 2):
        self.ei, self.hops = data.edge_index, hops

    def sample_from_nodes(self, inputs, **kwargs):
        nodes = inputs.node.tolist()
        local = {v: i for i, v in enumerate(nodes)}
        frontier, rows, cols, eids = set(nodes), [], [], []
        n_nodes, n_edges = [len(nodes)], []
        src, dst = self.ei.tolist()
        for _ in range(self.hops):
            new = []
            count = 0
            for e, (u, v) in enumerate(zip(src, dst)):
                if v in frontier:
                    if u not in local:
                        local[u] = len(nodes)
                        nodes.append(u)
                        new.append(u)
                    rows.append(local[u])
                    cols.append(local[v])
                    eids.append(e)
                    count += 1
            n_nodes.append(len(new))
            n_edges.append(count)
            frontier = set(new)
        t = lambda a: torch.tensor(a, dtype=torch.long)  # noqa: E731
        return SamplerOutput(node=t(nodes), row=t(rows), col=t(cols), edge=t(eids), num_sampled_nodes=n_nodes,
                             num_sampled_edges=n_edges, metadata=(inputs.input_id, inputs.time))

    def sample_from_edges(self, *args, **kwargs):  # pragma: no cover - node loaders only
        raise NotImplementedError


def source_graph(n: int = 60, seed: int = 1) -> Data:
    """An undirected random graph whose y and edge_attr are the node and edge ids (to check what follows)."""
    g = torch.Generator().manual_seed(seed)
    ei = to_undirected(torch.randint(0, n, (2, 3 * n // 2), generator=g), num_nodes=n)
    ei = ei[:, ei[0] != ei[1]]
    return Data(x=torch.randn(n, 4, generator=g), edge_index=ei, y=torch.arange(n),
                edge_attr=torch.arange(ei.shape[1], dtype=torch.float32)[:, None])


def neighbor_batches(hops: int = 2, batch_size: int = 5, n: int = 60) -> tuple[Data, list[Data]]:
    """(source graph, its mini-batches over the seeds 20..39)."""
    data = source_graph(n)
    loader = NodeLoader(data, node_sampler=FullHopSampler(data, hops), input_nodes=torch.arange(20, 40),
                        batch_size=batch_size, shuffle=False)
    return data, list(loader)
