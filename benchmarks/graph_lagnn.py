"""LA-GNN on Cora (public Planetoid split): GCN vs LA-GCN and GAT vs LA-GAT, same budget.

Reproduces "Local Augmentation for Graph Neural Networks" (Liu et al., ICML 2022) with
multiaug.graph.LocalAugmentation (the CVAE) and multiaug.graph.models (LAGCN/LAGAT):

* features row-normalised (PyG NormalizeFeatures); the augmenter detects that, trains its CVAE on the
  0/1 bag-of-words (row / row max) with BCE + KL, and row-normalises what it generates;
* CVAE: latent 10, hidden 256, Adam lr 0.01, batch 64, 10 epochs over the edges, fitted once; as in the
  reference, the checkpoint kept is the one whose generated features score best on a pre-trained GCN's
  uncertainty (``fit(score=...)``; scored every --select-every steps after --warmup steps, where the
  reference scores every step and also fine-tunes that GCN on each new best; --select-every 0: last);
* every model: Adam lr 0.01, weight decay 5e-4, at most --epochs epochs, early stopping on the validation
  loss (patience --patience), test accuracy of the best-validation-loss checkpoint;
* GCN: 2 layers, hidden 16, dropout 0.5.  LA-GCN: 2 parallel first layers (original + k=1 generated)
  of hidden 8 (16 in all), dropout 0.5, S=4 generated samples per step, consistency loss lam 1, T 0.5;
* GAT: 8 heads x 8, dropout 0.6.  LA-GAT: 2 parallel first layers of 4 heads x 8 (64 in all), dropout 0.6,
  S=4, consistency as above.

To fit the 2 shared CPU cores, generated matrices are drawn from a pool of --pool samples made once
by the fitted augmenter (the reference decodes fresh ones at every step; --pool 0 does that too, at
about 0.2 s per matrix on one core). Raw Cora files come from ../shared/data/planetoid (copied to a
temporary directory; PyG processes them without downloading).

    python benchmarks/graph_lagnn.py [--seeds 10] [--epochs 300] [--patience 100] [--models gcn,lagcn,gat,lagat]
"""
from __future__ import annotations

import argparse
import copy
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from multiaug.graph import LocalAugmentation
from multiaug.graph.models import LAGAT, LAGCN, dropout, lagnn_loss

RAW = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "planetoid" / "Cora" / "raw"


def load_cora(raw_dir: Path):
    import torch_geometric.transforms as T
    from torch_geometric.datasets import Planetoid

    root = Path(tempfile.mkdtemp(prefix="cora_"))
    shutil.copytree(raw_dir, root / "Cora" / "raw")
    try:
        return Planetoid(str(root), "Cora", split="public", transform=T.NormalizeFeatures())[0]
    finally:
        shutil.rmtree(root, ignore_errors=True)


class GCN(nn.Module):
    def __init__(self, f, h, c, p=0.5):
        super().__init__()
        from torch_geometric.nn import GCNConv

        self.c1, self.c2, self.p = GCNConv(f, h, cached=True), GCNConv(h, c, cached=True), p

    def forward(self, x, x_aug, ei):
        h = F.relu(self.c1(dropout(x, self.p, self.training), ei))
        return self.c2(dropout(h, self.p, self.training), ei)


class GAT(nn.Module):
    def __init__(self, f, h, c, heads=8, p=0.6):
        super().__init__()
        from torch_geometric.nn import GATConv

        self.c1 = GATConv(f, h, heads=heads, dropout=p)
        self.c2 = GATConv(h * heads, c, heads=1, concat=False, dropout=p)
        self.p = p

    def forward(self, x, x_aug, ei):
        h = F.elu(self.c1(dropout(x, self.p, self.training), ei))
        return self.c2(dropout(h, self.p, self.training), ei)


def uncertainty_score(data, passes, seed=0):
    """The reference's CVAE checkpoint score: a 2-layer GCN (hidden 32, dropout 0.5) trained 100 epochs
    on the original features; for generated features, U = NLL of the mean prediction over ``passes``
    dropout passes minus the mean NLL of the passes, on the training nodes. U <= 0 (Jensen); the
    closer to 0, the more the dropout passes agree on the training nodes' classes given the generated
    features. The kept checkpoint maximises U, as in the reference."""
    torch.manual_seed(seed)
    gcn = GCN(data.num_features, 32, int(data.y.max()) + 1)
    opt = torch.optim.Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
    m, y = data.train_mask, data.y
    for _ in range(100):
        gcn.train()
        opt.zero_grad()
        F.cross_entropy(gcn(data.x, None, data.edge_index)[m], y[m]).backward()
        opt.step()
    gcn.train()  # dropout on while scoring

    def score(x_gen):
        with torch.no_grad():
            logp = torch.stack([F.log_softmax(gcn(x_gen, None, data.edge_index)[m], -1) for _ in range(passes)])
            mean_nll = float(torch.stack([F.nll_loss(lp, y[m]) for lp in logp]).mean())
            nll_mean = float(F.nll_loss(torch.logsumexp(logp, 0) - torch.log(torch.tensor(float(passes))), y[m]))
        return nll_mean - mean_nll

    return score


def build(name, f, c, k):
    if name == "gcn":
        return GCN(f, 16, c)
    if name == "lagcn":
        return LAGCN(f, 8, c, k=k, dropout=0.5, cached=True)
    if name == "gat":
        return GAT(f, 8, c)
    if name == "lagat":
        return LAGAT(f, 8, c, k=k, heads=4, out_heads=1, dropout=0.6)
    raise ValueError(name)


def run(name, data, draw, seed, args):
    torch.manual_seed(seed)  # benchmark script: model init and dropout use torch's default RNG
    la = name.startswith("la")
    model = build(name, data.num_features, int(data.y.max()) + 1, args.k)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, weight_decay=5e-4)
    y, ei = data.y, data.edge_index
    best, best_state, best_aug, wait, epochs_run = float("inf"), None, None, 0, 0
    for epoch in range(args.epochs):
        epochs_run = epoch + 1
        model.train()
        opt.zero_grad()
        if la:
            xa = draw(args.samples * args.k)
            logits = [model(data.x, xa[s * args.k : (s + 1) * args.k], ei) for s in range(args.samples)]
            loss = lagnn_loss(logits, y, data.train_mask, lam=args.lam, temperature=args.tem)
        else:
            loss = F.cross_entropy(model(data.x, None, ei)[data.train_mask], y[data.train_mask])
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            xa = draw(args.k) if la else None
            out = model(data.x, xa, ei)
            val = float(F.cross_entropy(out[data.val_mask], y[data.val_mask]))
        if val < best:
            best, best_state, best_aug, wait = val, copy.deepcopy(model.state_dict()), xa, 0
        else:
            wait += 1
            if wait >= args.patience:
                break
    model.load_state_dict(best_state)
    model.eval()
    with torch.no_grad():
        pred = model(data.x, best_aug, ei).argmax(-1)
    acc = lambda m: float((pred[m] == y[m]).float().mean())  # noqa: E731
    return acc(data.val_mask), acc(data.test_mask), epochs_run


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--patience", type=int, default=100)
    ap.add_argument("--samples", type=int, default=4)
    ap.add_argument("--k", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--lam", type=float, default=1.0)
    ap.add_argument("--tem", type=float, default=0.5)
    ap.add_argument("--cvae-epochs", type=int, default=10)
    ap.add_argument("--pool", type=int, default=32, help="generated matrices made once (0: fresh ones at every step)")
    ap.add_argument("--select-every", type=int, default=10,
                    help="score the CVAE every N steps with the reference's GCN-uncertainty score and keep the best (0: keep the last)")
    ap.add_argument("--warmup", type=int, default=200, help="CVAE steps before checkpoints are scored")
    ap.add_argument("--u-passes", type=int, default=20, help="dropout passes of the uncertainty score")
    ap.add_argument("--models", default="gcn,lagcn,gat,lagat")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--raw", default=str(RAW), help="folder with the raw Planetoid Cora files")
    ap.add_argument("--cvae-dir", default=None, help="load the fitted augmenter from here if saved, else fit and save it there")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    data = load_cora(Path(args.raw))
    print(f"Cora: {data.num_nodes} nodes, {data.edge_index.shape[1]} directed edges, {data.num_features} features, "
          f"train/val/test {int(data.train_mask.sum())}/{int(data.val_mask.sum())}/{int(data.test_mask.sum())}", flush=True)
    x_dense = data.x
    data.x = data.x.to_sparse()  # bag-of-words: 1.3% non-zeros; GCNConv/GATConv accept sparse input
    models = args.models.split(",")
    draw = None
    dense = data.clone()
    dense.x = x_dense
    if any(m.startswith("la") for m in models):
        if args.cvae_dir and (Path(args.cvae_dir) / "config.json").exists():
            aug = LocalAugmentation.load(args.cvae_dir)
            print(f"CVAE loaded from {args.cvae_dir} (fitted in {aug.fit_time_:.1f} s)", flush=True)
        else:
            aug = LocalAugmentation(k=args.k, epochs=args.cvae_epochs, seed=0)
            t0 = time.perf_counter()
            if args.select_every > 0:
                aug.fit(dense, score=uncertainty_score(data, args.u_passes), score_every=args.select_every,
                        warmup=args.warmup)
                sel = f", checkpoint of step {aug.selected_step_} kept (U score {aug.selection_score_:.4f})"
            else:
                aug.fit(dense)
                sel = ", last checkpoint"
            print(f"CVAE fit: {time.perf_counter() - t0:.1f} s ({args.cvae_epochs} epochs{sel})", flush=True)
            if args.cvae_dir:
                aug.save(args.cvae_dir)
        print(f"  loss {aug.loss_}, row-normalised input: {aug.row_normalized_}, epoch losses "
              f"{', '.join(f'{v:.1f}' for v in aug.loss_history_)}", flush=True)
        if args.pool > 0:
            t0 = time.perf_counter()
            pool = torch.cat([aug.generate(dense, min(8, args.pool - i)) for i in range(0, args.pool, 8)])
            print(f"pool of {args.pool} generated matrices: {time.perf_counter() - t0:.1f} s", flush=True)
            g = torch.Generator().manual_seed(0)
            draw = lambda n: [pool[i] for i in torch.randint(0, args.pool, (n,), generator=g).tolist()]  # noqa: E731
        else:
            draw = lambda n: list(aug.generate(dense, n))  # noqa: E731

    res = {name: [] for name in models}
    spent = {name: 0.0 for name in models}
    for seed in range(args.seeds):
        for name in models:
            t0 = time.perf_counter()
            v, t, e = run(name, data, draw, seed, args)
            spent[name] += time.perf_counter() - t0
            res[name].append((v, t))
            print(f"  seed {seed} {name:6s}: val {100 * v:.1f}  test {100 * t:.1f}  epochs {e}", flush=True)
    rows = {}
    for name in models:
        vals, tests = [r[0] for r in res[name]], [r[1] for r in res[name]]
        sd = statistics.stdev(tests) if len(tests) > 1 else 0.0
        rows[name] = (100 * statistics.mean(tests), 100 * sd, 100 * statistics.mean(vals), spent[name])

    print(f"\nCora, public split, {args.seeds} seeds, <= {args.epochs} epochs, patience {args.patience}")
    print(f"{'model':8s} {'test acc (%)':>16s} {'val acc (%)':>12s} {'time (s)':>9s}")
    for name, (m, s, v, t) in rows.items():
        print(f"{name:8s} {m:9.2f} ± {s:4.2f} {v:12.2f} {t:9.0f}")
    for base, la in (("gcn", "lagcn"), ("gat", "lagat")):
        if base in rows and la in rows:
            print(f"{la} - {base}: {rows[la][0] - rows[base][0]:+.2f} points")


if __name__ == "__main__":
    main()
