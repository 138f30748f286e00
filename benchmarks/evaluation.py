"""Does augmentation help? ``multiaug.evaluation.evaluate`` on real data that ships offline.

    .venv/bin/python benchmarks/evaluation.py [--only tables,series,cora,text] [--cv 5] [--repeats 2]
    (--only also takes one table: breast_cancer, wine or diabetes)

Data: scikit-learn's breast_cancer, wine (classification) and diabetes (regression) tables; UCR GunPoint,
BasicMotions and ArrowHead (the copies bundled inside the ``aeon`` package: ``make bench`` installs it; read
here from the .ts files, so numba is not needed); Cora (raw Planetoid files at
../shared/data/planetoid, node classification with 5-fold CV over all labelled nodes, i.e. 80% of the
labels for training, not the 140-label public split); Debian's ``fortunes`` package (``make bench``
installs it): four categories of /usr/share/games/fortunes as a text classification corpus.

Every run uses the default model of its modality (see multiaug/evaluation/models.py), ``cv`` folds x
``repeats`` repeats, seed 0, one thread (the machine is shared), and prints the Markdown table with
Nadeau-Bengio corrected 95% intervals; results go to benchmarks/results/evaluation_<name>.txt.
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
CORA_RAW = HERE.parent / ".." / "shared" / "data" / "planetoid" / "Cora" / "raw"
FORTUNES = Path("/usr/share/games/fortunes")


def read_ts(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A UCR/UEA .ts file (equal length, no missing values) -> (N, C, T) float32, labels."""
    xs, ys, data = [], [], False
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.lower() == "@data":
            data = True
            continue
        if not data:
            continue
        *dims, label = line.split(":")
        xs.append([[float(v) for v in d.split(",")] for d in dims])
        ys.append(label)
    return np.asarray(xs, dtype=np.float32), np.asarray(ys)


def ucr(name: str) -> tuple[np.ndarray, np.ndarray]:
    import importlib.util

    spec = importlib.util.find_spec("aeon")
    if spec is None:
        raise SystemExit("aeon is not installed (make bench installs it); its bundled UCR files are read here")
    d = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / name
    Xa, ya = read_ts(d / f"{name}_TRAIN.ts")
    Xb, yb = read_ts(d / f"{name}_TEST.ts")
    return np.concatenate([Xa, Xb]), np.concatenate([ya, yb])


def fortunes(categories=("computers", "politics", "science", "love"), per_class=150, max_chars=300):
    if not FORTUNES.exists():
        raise SystemExit("Debian's fortunes package is missing: apt-get install fortunes (make bench does)")
    texts, labels = [], []
    for c in categories:
        items = [" ".join(t.split()) for t in (FORTUNES / c).read_text(errors="replace").split("\n%\n")]
        items = [t for t in items if 20 <= len(t) <= max_chars]
        for t in items[:per_class]:
            texts.append(t)
            labels.append(c)
    return texts, np.asarray(labels)


def cora():
    import torch_geometric.transforms as T
    from torch_geometric.datasets import Planetoid

    root = Path(tempfile.mkdtemp(prefix="cora_"))
    shutil.copytree(CORA_RAW, root / "Cora" / "raw")
    try:
        data = Planetoid(str(root), "Cora", split="public", transform=T.NormalizeFeatures())[0]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for k in ("train_mask", "val_mask", "test_mask"):
        del data[k]
    return data


def run(name, candidates, X, y, args, **kw):
    import multiaug
    from multiaug.evaluation import evaluate

    t0 = time.perf_counter()
    res = evaluate([multiaug.create(n, **p) if isinstance(n, str) and n != "none" else n for n, p in candidates], X, y,
                   cv=args.cv, repeats=args.repeats, seed=0, **kw)
    took = time.perf_counter() - t0
    text = f"## {name}\n\n{res.to_markdown()}\n\n(wall time {took:.0f} s, one thread)\n"
    print(text, flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"evaluation_{name}.txt").write_text(
        f"# benchmarks/evaluation.py --cv {args.cv} --repeats {args.repeats} (seed 0)\n\n{text}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="tables,series,cora,text")
    ap.add_argument("--cv", type=int, default=5)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(1)
    threadpool_limits(1)
    only = set(args.only.split(","))
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine

    tab = [("none", {}), ("gaussian_noise", {"sigma": 0.05}), ("gaussian_noise", {"sigma": 0.3}), ("mixup", {}),
           ("cutmix", {})]
    for nm, loader in (("breast_cancer", load_breast_cancer), ("wine", load_wine)):
        if "tables" in only or nm in only:
            X, y = loader(return_X_y=True)
            run(f"tables_{nm}", tab, X.astype(np.float32), y, args)
    if "tables" in only or "diabetes" in only:  # regression: mixup mixes the targets; cutmix is for classes
        X, y = load_diabetes(return_X_y=True)
        run("tables_diabetes", [c for c in tab if c[0] != "cutmix"], X.astype(np.float32), y, args)
    if "series" in only or "ArrowHead" in only:
        ts = [("none", {}), ("jitter", {}), ("scaling", {}), ("magnitude_warp", {}), ("window_warp", {}),
              ("ts_mixup", {})]
        for nm in ("GunPoint", "BasicMotions", "ArrowHead"):
            if "series" not in only and nm not in only:
                continue
            X, y = ucr(nm)
            run(f"series_{nm}", ts, X, y, args)
    if "cora" in only:
        data = cora()
        run("graph_cora", [("none", {}), ("edge_drop", {"rate": 0.2}), ("feature_mask", {"rate": 0.2}),
                           ("feature_noise", {"sigma": 0.1})], data, None, args)
    if "text" in only:
        texts, labels = fortunes()
        run("text_fortunes", [("none", {}), ("eda", {}), ("random_swap", {}), ("random_deletion", {}),
                              ("char_noise", {})], texts, labels, args)


if __name__ == "__main__":
    sys.exit(main())
