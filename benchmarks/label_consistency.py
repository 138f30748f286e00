"""What does the label-consistency filter reject, and does downstream accuracy improve?

    .venv-bench/bin/python benchmarks/label_consistency.py [--only tables,series,text,graphs] [--cv 5] [--repeats 2]

One data set per modality, each with a deliberately strong augmenter (the case the filter is for) and
three candidates compared by ``multiaug.evaluation.evaluate`` (leakage-free repeated stratified k-fold,
paired differences to "none" with Nadeau-Bengio corrected 95% intervals, seed 0):

* ``none``: no augmentation;
* the augmenter alone;
* ``LabelConsistent(augmenter, reference, fit_model=True)``: the reference model is fitted on each
  training fold only (never on test rows), then filters the fold's augmented copies (threshold below,
  3 tries, rejected-at-every-try copies dropped).

Data (all offline): scikit-learn's wine table; UCR ArrowHead (the copy bundled with ``aeon``);
Debian's ``fortunes`` (four categories, as benchmarks/evaluation.py); graph classification built from
Cora (raw Planetoid files at ../shared/data/planetoid): the 1-hop ego-net of 500 nodes (stratified,
seeded), labelled by its centre node's class, the centre being node 0 of its graph.
"Several seeds": every row is ``cv`` folds x ``repeats`` differently shuffled repeats (split seeds
derived from seed 0); the interval is the corrected one over those paired splits.

The downstream model is each modality's evaluation default (multiaug/evaluation/models.py); the
reference models are small probabilistic classifiers fitted on the training fold. The filter's counts
(share of augmented copies rejected at the first draw, share still rejected after 3 tries and
dropped) are summed over all folds. One thread; results to benchmarks/results/label_consistency.txt.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from evaluation import cora, fortunes, ucr  # noqa: E402  (the loaders of benchmarks/evaluation.py)

import multiaug  # noqa: E402
from multiaug import LabelConsistent  # noqa: E402

#: filter counts of every fold, per candidate label
STATS: dict[str, list] = {}


class Recorded(LabelConsistent):
    """LabelConsistent that keeps each call's counts (benchmark only: the harness clones candidates)."""

    tag = "filter"

    def _augment_batch(self, xi, ctx, y, n_aug, inputs):
        out = super()._augment_batch(xi, ctx, y, n_aug, inputs)
        d = self.report_.details
        STATS.setdefault(self.tag, []).append((self.report_.n_inputs, d["rejected"], d["failed"], self.report_.n_dropped))
        return out


def filtered(tag, aug, reference, threshold):
    cls = type(f"Recorded_{tag}", (Recorded,), {"tag": tag})
    return cls(aug, reference, threshold=threshold, max_tries=3, on_fail="drop", fit_model=True)


def ego_graphs(n_graphs=600, seed=0):
    """1-hop ego-nets of Cora nodes (centre first), labelled by the centre's class."""
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import k_hop_subgraph

    data = cora()
    y = data.y.numpy()
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    per = n_graphs // len(classes)
    centres = np.concatenate([rng.choice(np.flatnonzero(y == c), min(per, int((y == c).sum())), replace=False) for c in classes])
    graphs = []
    for c in centres.tolist():
        nodes, ei, mapping, _ = k_hop_subgraph(c, 1, data.edge_index, relabel_nodes=False, num_nodes=data.num_nodes)
        order = torch.cat([torch.tensor([c]), nodes[nodes != c]])  # centre first
        pos = torch.full((data.num_nodes,), -1, dtype=torch.long)
        pos[order] = torch.arange(len(order))
        graphs.append(Data(x=data.x[order], edge_index=pos[ei], y=torch.tensor([int(y[c])])))
    return graphs, y[centres]


def run(name, candidates, X, y, args, **kw):
    from multiaug.evaluation import evaluate

    t0 = time.perf_counter()
    res = evaluate(candidates, X, y, cv=args.cv, repeats=args.repeats, seed=0, **kw)
    took = time.perf_counter() - t0
    lines = [f"## {name}", "", res.to_markdown(), ""]
    from multiaug.evaluation.results import paired_stats

    labels = [lab for lab, _ in candidates]
    for lab in labels:  # the filter against the same augmenter unfiltered, paired over the same splits
        if lab.startswith("+filter"):
            plain = labels[labels.index(lab) - 1]
            st = paired_stats(res.scores[lab] - res.scores[plain], res.test_train_ratio)
            lines.append(f"{lab} vs {plain}: {st['diff']:+.4f} [{st['ci_low']:+.4f}, {st['ci_high']:+.4f}] (p {st['p_value']:.3f})")
    lines.append("")
    for tag, rows in STATS.items():
        if not tag.startswith(name):
            continue
        a = np.asarray(rows).sum(axis=0)
        lines.append(f"filter ({tag.split(':', 1)[1]}): {a[0]} augmented copies drawn over {len(rows)} folds; "
                     f"{a[1]} ({a[1] / a[0]:.1%}) rejected at the first draw, {a[2]} ({a[2] / a[0]:.1%}) still rejected "
                     f"after 3 tries and dropped")
    lines.append(f"(wall time {took:.0f} s, one thread)")
    text = "\n".join(lines) + "\n"
    print(text, flush=True)
    return text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="tables,series,text,graphs")
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    only = set(args.only.split(","))
    out = [f"# benchmarks/label_consistency.py --cv {args.cv} --repeats {args.repeats} (seed 0; "
           f"{args.cv}x{args.repeats} = {args.cv * args.repeats} paired splits per row)\n"]

    if "tables" in only:
        from sklearn.datasets import load_wine
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        X, y = load_wine(return_X_y=True)
        ref = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        cands = []
        for sigma in (1.0, 2.0):
            cands.append((f"gaussian_noise(sigma={sigma})", multiaug.create("gaussian_noise", sigma=sigma)))
            cands.append((f"+filter(sigma={sigma})", filtered(f"wine:sigma={sigma}", multiaug.create("gaussian_noise", sigma=sigma), ref, 0.5)))
        out.append(run("wine", cands, X.astype(np.float32), y, args, n_aug=2))

    if "series" in only:
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        from multiaug.evaluation.models import RandomKernelFeatures

        X, y = ucr("ArrowHead")
        ref = make_pipeline(RandomKernelFeatures(n_kernels=200, random_state=0), StandardScaler(), LogisticRegression(max_iter=2000))
        cands = []
        for nm, prm in (("magnitude_warp", {"sigma": 0.5}), ("window_warp", {"window_ratio": 0.3})):
            label = f"{nm}({', '.join(f'{k}={v}' for k, v in prm.items())})"
            cands.append((label, multiaug.create(nm, **prm)))
            cands.append(("+filter " + label, filtered(f"arrowhead:{label}", multiaug.create(nm, **prm), ref, 0.5)))
        out.append(run("arrowhead", cands, X, y, args, n_aug=2))

    if "text" in only:
        from multiaug.evaluation.models import default_model

        X, y = fortunes()
        ref = default_model("text", "classification", 0)
        cands = []
        for nm, prm in (("eda", {"alpha_sr": 0.3, "alpha_ri": 0.3, "alpha_rs": 0.3, "p_rd": 0.3}), ("random_deletion", {"alpha": 0.5})):
            label = f"{nm}({', '.join(f'{k}={v}' for k, v in prm.items())})"
            cands.append((label, multiaug.create(nm, **prm)))
            cands.append(("+filter " + label, filtered(f"fortunes:{label}", multiaug.create(nm, **prm), ref, 0.5)))
        out.append(run("fortunes", cands, X, y, args, n_aug=2))

    if "graphs" in only:
        from multiaug.evaluation.models import GCNGraphClassifier

        graphs, y = ego_graphs(500)
        ref = GCNGraphClassifier(epochs=60, random_state=0)
        cands = []
        for nm, prm in (("node_drop", {"rate": 0.5}), ("feature_mask", {"rate": 0.5})):
            label = f"{nm}({', '.join(f'{k}={v}' for k, v in prm.items())})"
            cands.append((label, multiaug.create(nm, **prm)))
            cands.append(("+filter " + label, filtered(f"cora-ego:{label}", multiaug.create(nm, **prm), ref, 0.5)))
        out.append(run("cora-ego", cands, graphs, y, args, graph_mode="graph", n_aug=1))

    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "label_consistency.txt"
    if only == {"tables", "series", "text", "graphs"}:
        target.write_text("\n".join(out))
        print(f"written to {target}")


if __name__ == "__main__":
    main()
