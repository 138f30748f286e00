"""kNN + neighbour mixing on a large table: multiaug's chunked torch kNN vs scikit-learn's
NearestNeighbors (not a test).

Both sides get the same float32 table (default 100k rows x 50 columns), find the k = 32 nearest
neighbours of every row (itself excluded), draw one partner per row among them and a
lam ~ Beta(1, 1), and mix the rows. multiaug: ``functional.knn`` (exact: GEMM tiles reduced to block minima, candidate blocks re-ranked;
no N x N matrix) + ``draw_partners_among_neighbours`` + ``mix_rows``; scikit-learn:
``NearestNeighbors(algorithm="brute").fit(X).kneighbors(X)`` + the same mixing in NumPy. Also timed:
with ``--regmix``, a whole ``RegMix`` call (policy forward, kNN, mixing; the fit on 2000 rows is
not timed) on the same table. Medians of ``--repeats``
runs, interleaved; same thread count for both (``--threads``). Run: ``python benchmarks/tabular_knn.py``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=50)
    ap.add_argument("--k", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--regmix", action="store_true", help="also time a whole RegMix call")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import torch
    from sklearn.neighbors import NearestNeighbors
    from threadpoolctl import threadpool_limits

    from multiaug.tabular import RegMix
    from multiaug.tabular import functional as F

    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    X = torch.randn(args.rows, args.cols, generator=g)
    y = X[:, 0].sin() + 0.1 * torch.randn(args.rows, generator=g)
    Xn = X.numpy()
    dev = torch.device(args.device)
    Xd = X.to(dev)

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize()

    def ours():
        gen = torch.Generator(device=dev).manual_seed(1)
        sync()
        t = time.perf_counter()
        nbr = F.knn(Xd, args.k)[1]
        kk = torch.full((args.rows,), args.k, device=dev)
        partner = F.draw_partners_among_neighbours(nbr, kk, torch.rand(args.rows, generator=gen, device=dev))
        lam = F.sample_beta(1.0, 1.0, args.rows, gen, dev)
        out = F.mix_rows(Xd, partner, lam)
        sync()
        return time.perf_counter() - t, out

    def theirs():
        rng = np.random.default_rng(1)
        t = time.perf_counter()
        with threadpool_limits(args.threads):
            nn = NearestNeighbors(n_neighbors=args.k + 1, algorithm="brute").fit(Xn)
            idx = nn.kneighbors(Xn, return_distance=False)[:, 1:]
        partner = idx[np.arange(args.rows), rng.integers(0, args.k, args.rows)]
        lam = rng.beta(1.0, 1.0, args.rows).astype(np.float32)[:, None]
        out = lam * Xn + (1 - lam) * Xn[partner]
        return time.perf_counter() - t, out

    def regmix_call():
        small = RegMix(k_candidates=[1, 2, 4, 8, 16, 32], n_iter=5, seed=0).fit(Xn[:2000], y[:2000].numpy())
        sync()
        t = time.perf_counter()
        small(Xd, y.to(dev))
        sync()
        return time.perf_counter() - t, None

    runs = [("multiaug knn+mix (torch, block-min)", ours), ("sklearn NearestNeighbors+mix", theirs)]
    if args.regmix:
        runs.append(("multiaug RegMix call (policy+knn+mix)", regmix_call))
    # interleaved: each repeat runs every side once, the order rotating, so load from other jobs on a
    # shared machine hits all sides alike
    times = {label: [] for label, _ in runs}
    for r in range(args.repeats):
        for label, fn in runs[r % len(runs) :] + runs[: r % len(runs)]:
            times[label].append(fn()[0])
            print(f"  repeat {r}: {label:<40} {times[label][-1]:8.2f}s", flush=True)
    rows = [(label, float(np.median(times[label])), times[label]) for label, _ in runs]
    for label, med, ts in rows:
        print(f"{label:<40} median {med:8.2f}s  runs {[round(v, 2) for v in ts]}", flush=True)
    ratio = rows[1][1] / rows[0][1]
    import resource

    print(f"peak RSS of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"\n{args.rows} x {args.cols}, k={args.k}, threads={args.threads}, device={dev}: sklearn / multiaug = {ratio:.2f}x")


if __name__ == "__main__":
    main()
