"""Graph views: PyG's ``dropout_edge`` vs multiaug ``EdgeDrop``; ``SchurView`` (rLap) timings.

One run, CPU by default (``--device cuda`` for GPU figures). Prints medians and ratios:

* EdgeDrop vs ``torch_geometric.utils.dropout_edge`` on a random undirected graph with 1M edge
  entries (``force_undirected`` both ways, since EdgeDrop keeps undirected graphs undirected);
* SchurView at fraction 0.5 on random graphs of about 10k, 100k and 1M edge entries, against the
  reference C++ figures quoted in the issue (3.5 ms Cora, 0.08 s 100k, 1.6 s 1M; single thread);
* Cora (Planetoid read from a temporary copy of ``../shared/data/planetoid/Cora/raw``, no download);
* one small graph per call, as a Dataset's ``transform=`` makes them (18 nodes, x, edge_attr, a graph
  label, like a molecule of MUTAG): each structural view against what a PyG user writes for it
  (``Data.edge_subgraph`` with one draw per undirected edge, ``Data.subgraph``, ``mask_feature``...),
  attributes following in both.

Usage: ``python benchmarks/graph_views.py [--device cpu|cuda] [--threads N] [--quick] [--per-call-only]``
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from multiaug.graph import DiffusionView, EdgeDrop, SchurView

REFERENCE_S = {"cora": 0.0035, "100k": 0.08, "1M": 1.6}
CORA_RAW = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "planetoid" / "Cora" / "raw"


def timeit(fn, repeat: int, device: str, warm: bool = True) -> float:
    if warm:
        fn()  # warm-up
    times = []
    for _ in range(max(repeat, 1)):
        if device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        fn()
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def paired(fa, fb, repeat: int, device: str) -> tuple[float, float]:
    """Medians of ``fa`` and ``fb`` timed alternately (fair on a machine whose load varies)."""
    ta, tb = [], []
    fa(), fb()
    for _ in range(repeat):
        ta.append(timeit(fa, 0, device, warm=False))
        tb.append(timeit(fb, 0, device, warm=False))
    return statistics.median(ta), statistics.median(tb)


def random_graph(num_entries: int, avg_degree: int, seed: int, device: str):
    """Random undirected graph with about ``num_entries`` edge_index columns (both directions)."""
    from torch_geometric.data import Data

    n = max(2, num_entries // avg_degree)
    g = torch.Generator().manual_seed(seed)
    m = num_entries // 2
    a = torch.randint(0, n, (m,), generator=g)
    b = torch.randint(0, n, (m,), generator=g)
    ok = a != b
    key = torch.unique(torch.minimum(a[ok], b[ok]) * n + torch.maximum(a[ok], b[ok]))
    lo, hi = key // n, key % n
    ei = torch.stack([torch.cat([lo, hi]), torch.cat([hi, lo])])
    w = torch.rand(key.numel(), generator=g) + 0.5
    return Data(edge_index=ei, edge_weight=torch.cat([w, w]), num_nodes=n).to(device)


def load_cora(device: str):
    from torch_geometric.datasets import Planetoid

    tmp = tempfile.mkdtemp(prefix="cora_")
    shutil.copytree(CORA_RAW, Path(tmp) / "Cora" / "raw")
    try:
        return Planetoid(tmp, "Cora")[0].to(device)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def small_graph(seed: int, device: str, n: int = 18, m: int = 20, features: int = 7):
    """A molecule-sized undirected graph with node features, 4 edge features and a graph label."""
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    g = torch.Generator().manual_seed(seed)
    a, b = torch.randint(0, n, (m,), generator=g), torch.randint(0, n, (m,), generator=g)
    ei = to_undirected(torch.stack([a[a != b], b[a != b]]), num_nodes=n)
    return Data(x=torch.rand(n, features, generator=g), edge_index=ei, edge_attr=torch.rand(ei.shape[1], 4, generator=g),
                y=torch.tensor([seed % 2])).to(device)


def per_call(dev: str, repeat: int) -> None:
    """One small graph per call: multiaug's structural views vs the PyG code a user writes for each."""
    import copy

    from torch_geometric.utils import add_random_edge, dropout_edge, mask_feature

    from multiaug.graph import EdgeAdd, FeatureMask, FeatureNoise, NodeDrop

    d = small_graph(0, dev)
    n, gen = d.num_nodes, torch.Generator(device=dev).manual_seed(0)

    def pyg_edge_drop():  # one draw per undirected pair, attributes follow (PyG's force_undirected
        lo = torch.minimum(d.edge_index[0], d.edge_index[1])  # returns duplicated indices instead)
        key = lo * n + torch.maximum(d.edge_index[0], d.edge_index[1])
        _, inv = torch.unique(key, return_inverse=True)
        return d.edge_subgraph((torch.rand(key.numel(), generator=gen, device=dev) >= 0.2)[inv])

    def pyg_feature_mask():
        out = copy.copy(d)
        out.x = mask_feature(d.x, p=0.2, mode="col")[0]
        return out

    def pyg_feature_noise():
        out = copy.copy(d)
        out.x = d.x + 0.1 * torch.randn(d.x.shape, generator=gen, device=dev)
        return out

    cases = [
        ("EdgeDrop(0.2)", EdgeDrop(rate=0.2, seed=0), "edge_subgraph, one draw per undirected edge", pyg_edge_drop),
        ("", None, "dropout_edge(force_undirected), edge_index only",
         lambda: dropout_edge(d.edge_index, p=0.2, force_undirected=True)),
        ("NodeDrop(0.2)", NodeDrop(rate=0.2, seed=0), "Data.subgraph(rand >= 0.2)",
         lambda: d.subgraph(torch.rand(n, generator=gen, device=dev) >= 0.2)),
        ("FeatureMask(0.2)", FeatureMask(rate=0.2, seed=0), "copy + mask_feature(mode='col')", pyg_feature_mask),
        ("FeatureNoise(0.1)", FeatureNoise(sigma=0.1, seed=0), "copy + x + 0.1 * randn", pyg_feature_noise),
        ("EdgeAdd(0.2)", EdgeAdd(rate=0.2, seed=0), "add_random_edge(force_undirected), edge_index only",
         lambda: add_random_edge(d.edge_index, p=0.2, force_undirected=True, num_nodes=n)),
    ]
    print(f"\nOne graph per call ({n} nodes, {d.edge_index.shape[1]} edge entries, x {tuple(d.x.shape)}, edge_attr, y; "
          f"median microseconds over {repeat} calls, timed alternately)")
    print(f"  {'multiaug':<18} {'us':>7}   {'PyG equivalent':<52} {'us':>7}  {'PyG / multiaug':>14}")
    last = None
    for name, aug, ref_name, ref in cases:
        aug = aug or last
        t_ref, t_ours = paired(ref, lambda a=aug: a(d), repeat, dev)
        last = aug
        label = name or "  (same)"
        print(f"  {label:<18} {t_ours * 1e6:>7.1f}   {ref_name:<52} {t_ref * 1e6:>7.1f}  {t_ref / t_ours:>13.2f}x")


def schur_reads(data) -> tuple[int, int]:
    """(host reads, elimination rounds) of one SchurView(fraction=0.5) call on the device code path,
    counted on the CPU (``assume_costly_host_reads``; on a GPU each read is a synchronisation). The
    device path reads once per round, at its ``first_round`` line (tests/graph/test_schur.py checks
    that count against the rounds approx_schur returns): the rounds are read off the same table."""
    from multiaug.core.hostreads import assume_costly_host_reads, count_host_reads

    with assume_costly_host_reads(), count_host_reads() as reads:
        SchurView(fraction=0.5, seed=0)(data.cpu())
    rounds = sum(n for (_, site), n in reads.counts.items() if "first_round" in site)
    return reads.total, rounds


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (default 1, like the reference)")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--per-call-only", action="store_true", help="only the one-graph-per-call section")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = args.device
    rep_small, rep_big = (3, 1) if args.quick else (7, 3)
    from torch_geometric.utils import dropout_edge

    print(f"device={dev} torch={torch.__version__} threads={torch.get_num_threads()} load={os.getloadavg()[0]:.1f} "
          f"cpus={os.cpu_count()}")
    calib = torch.randint(0, 10**10, (1_000_000,))
    print(f"machine calibration: torch.sort of 1M int64 takes {timeit(lambda: torch.sort(calib), 5, 'cpu') * 1000:.1f} ms")
    per_call(dev, 200 if args.quick else 1000)
    if args.per_call_only:
        return

    # ---- EdgeDrop vs dropout_edge, 1M edge entries ------------------------------------------------
    big = random_graph(1_000_000, 10, 0, dev)
    E = big.edge_index.shape[1]
    aug = EdgeDrop(rate=0.2, seed=0)
    plain = big.__copy__()
    del plain.edge_weight
    reps = rep_big * 10 + 1  # (each call takes ~20 ms: enough calls for a median on a shared machine)
    t_pyg, t_ours = paired(lambda: dropout_edge(big.edge_index, p=0.2), lambda: aug(plain), reps, dev)
    t_pyg_u, t_ours2 = paired(lambda: dropout_edge(big.edge_index, p=0.2, force_undirected=True), lambda: aug(plain), reps, dev)
    t_pyg_w, t_ours_w = paired(lambda: dropout_edge(big.edge_index, p=0.2), lambda: aug(big), reps, dev)
    print(f"\nEdgeDrop vs PyG dropout_edge, random graph, {E} edge entries, p=0.2 (median seconds)")
    print(f"  PyG dropout_edge                          {t_pyg:.4f}")
    print(f"  PyG dropout_edge(force_undirected=True)   {t_pyg_u:.4f}")
    print(f"  multiaug EdgeDrop (Data, edge_index only) {t_ours:.4f} / {t_ours2:.4f} (timed alternately with each)  "
          f"ratio vs plain {t_ours / t_pyg:.2f}x, vs force_undirected {t_ours2 / t_pyg_u:.2f}x")
    print(f"  multiaug EdgeDrop (+ edge_weight follows) {t_ours_w:.4f}  ratio vs plain {t_ours_w / t_pyg_w:.2f}x "
          f"(timed alternately with dropout_edge: {t_pyg_w:.4f})")
    from torch_geometric.data import Batch

    parts = [random_graph(10_000, 10, s, "cpu") for s in range(100)]
    batch = Batch.from_data_list(parts).to(dev)
    aug_b = EdgeDrop(rate=(0.1, 0.4), seed=0)
    t_b_pyg, t_b = paired(lambda: dropout_edge(batch.edge_index, p=0.2), lambda: aug_b(batch), reps, dev)
    print(f"  Batch of 100 graphs ({batch.edge_index.shape[1]} entries), per-graph rates: EdgeDrop {t_b:.4f} "
          f"vs dropout_edge (one rate, no slices) {t_b_pyg:.4f}  ratio {t_b / t_b_pyg:.2f}x")

    # ---- SchurView on growing random graphs ---------------------------------------------------------
    print("\nSchurView(fraction=0.5), random graphs with average degree 10 (median seconds)")
    print(f"  {'edges':>9} {'nodes':>8} {'random/asc':>11} {'degree/asc':>11} {'random/rand':>11} {'out edges':>10} "
          f"{'reference':>10}  device-path host reads per call (rounds), random/asc")
    prev = None
    for target, label, rep in ((10_000, "10k", rep_small), (100_000, "100k", rep_small), (1_000_000, "1M", rep_big)):
        gdata = random_graph(target, 10, 1, dev)
        a1 = SchurView(fraction=0.5, seed=0)
        a2 = SchurView(fraction=0.5, order="degree", seed=0)
        a3 = SchurView(fraction=0.5, neighbor_order="random", seed=0)
        t1 = timeit(lambda a=a1, g=gdata: a(g), rep, dev)
        t2 = timeit(lambda a=a2, g=gdata: a(g), rep, dev)
        t3 = timeit(lambda a=a3, g=gdata: a(g), rep, dev)
        out = a1(gdata)
        reads, rounds = schur_reads(gdata)
        ref = REFERENCE_S.get(label)
        grow = f"  x{t1 / prev:.1f} for 10x edges" if prev else ""
        print(f"  {gdata.edge_index.shape[1]:>9} {gdata.num_nodes:>8} {t1:>11.4f} {t2:>11.4f} {t3:>11.4f} "
              f"{out.edge_index.shape[1]:>10} {('%.3f' % ref) if ref else '-':>10}  {reads} ({rounds}){grow}")
        prev = t1

    # ---- Cora ----------------------------------------------------------------------------------------
    try:
        cora = load_cora(dev)
    except Exception as err:  # pragma: no cover - data missing
        print(f"\nCora: not available ({err})")
        return
    print(f"\nCora ({cora.num_nodes} nodes, {cora.edge_index.shape[1]} edge entries; median seconds)")
    s = SchurView(fraction=0.5, seed=0)
    sd = SchurView(fraction=0.5, order="degree", seed=0)
    t_s = timeit(lambda: s(cora), rep_small * 3, dev)
    t_sd = timeit(lambda: sd(cora), rep_small * 3, dev)
    print(f"  SchurView fraction 0.5 random  {t_s:.4f}  (reference C++ {REFERENCE_S['cora']:.4f}, ratio {t_s / REFERENCE_S['cora']:.2f}x)")
    print(f"  SchurView fraction 0.5 degree  {t_sd:.4f}")
    from torch_geometric.data import Data

    bare = Data(edge_index=cora.edge_index, num_nodes=cora.num_nodes)  # the graph alone, like the reference
    t_bare = timeit(lambda: s(bare), rep_small * 3, dev)
    print(f"  SchurView fraction 0.5 random, graph only (no node attributes to carry) {t_bare:.4f}  "
          f"ratio to reference {t_bare / REFERENCE_S['cora']:.2f}x")
    ed = EdgeDrop(rate=0.2, seed=0)
    t_ep, t_e = paired(lambda: dropout_edge(cora.edge_index, p=0.2, force_undirected=True), lambda: ed(cora), rep_small * 5, dev)
    print(f"  EdgeDrop 0.2 {t_e:.5f} vs dropout_edge(force_undirected) {t_ep:.5f}  ratio {t_e / t_ep:.2f}x")
    dv = DiffusionView(method="ppr", alpha=0.15, eps=1e-3, seed=0)
    t0 = time.perf_counter()
    first = dv(cora)
    t_first = time.perf_counter() - t0
    t_next = timeit(lambda: dv(cora), rep_small * 3, dev)
    print(f"  DiffusionView ppr eps=1e-3: first call (diffusion, cached) {t_first:.3f}, later calls {t_next:.5f}, "
          f"{first.edge_index.shape[1]} edges")
    v = s(cora)
    print(f"  one SchurView: {v.num_nodes} nodes, {v.edge_index.shape[1]} edges, x {tuple(v.x.shape)}, "
          f"train_mask {int(v.train_mask.sum())}")


if __name__ == "__main__":
    main()
