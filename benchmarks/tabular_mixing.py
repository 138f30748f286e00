"""Evaluation of the tabular mixing augmenters with one small MLP (not a test).

Datasets: scikit-learn's diabetes (regression), make_friedman1 (regression), a sharp sinusoid
(regression, y = sin(4 pi x0) + 0.5 x1 + noise: mixing far-apart rows lands off the curve),
breast_cancer and wine (classification). For each seed: a 75/25 split (stratified for classes),
features (and regression targets) standardised on the training part, the same MLP (2 x 64 ReLU, Adam
lr 3e-3, full batch, ``--epochs`` epochs) trained

* ``none``: on the training rows only;
* ``mixup``/``cutmix``/``feat_mix``/``regmix``/``knn_mix_k8``: each epoch on the training rows plus one
  freshly augmented copy (what ``fit_resample`` gives an estimator; soft targets for classes, loss =
  cross-entropy against them). ``knn_mix_k8`` is RegMix with a single candidate k = 8 (neighbour
  mixing without the learned policy: an ablation); FeatMix and RegMix are fitted on the training part
  (RegMix holds out 20 % of it for its policy);
* ``tok_none``/``tok_hid_mix``: the example model with ExcelFormer's per-feature tokenizer
  (:class:`multiaug.tabular.TokenMLP`, d_token 8), without mixing and with Hid-Mix inside the model
  (ExcelFormer's protocol: the loss is on the mixed batch only).

Metrics on the test part: RMSE in the target's units (lower is better) and accuracy (higher is
better), mean +- std over ``--seeds`` seeds. Run: ``python benchmarks/tabular_mixing.py``.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine, make_friedman1  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from multiaug.tabular import CutMix, FeatMix, Mixup, RegMix, TokenMLP, mix_loss  # noqa: E402


def sharp_sinusoid(n=400, seed=0):
    g = np.random.default_rng(seed)
    x = g.uniform(0, 1, size=(n, 3))
    y = np.sin(4 * np.pi * x[:, 0]) + 0.5 * x[:, 1] + 0.1 * g.normal(size=n)
    return x, y


DATASETS = {
    "diabetes": ("regression", lambda: load_diabetes(return_X_y=True)),
    "friedman1": ("regression", lambda: make_friedman1(n_samples=400, noise=1.0, random_state=0)),
    "sinusoid": ("regression", sharp_sinusoid),
    "breast_cancer": ("classification", lambda: load_breast_cancer(return_X_y=True)),
    "wine": ("classification", lambda: load_wine(return_X_y=True)),
}
METHODS = ["none", "mixup", "cutmix", "feat_mix", "regmix", "knn_mix_k8", "tok_none", "tok_hid_mix"]


def mlp(n_in, n_out):
    return nn.Sequential(nn.Linear(n_in, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, n_out))


def make_aug(method, task, n_classes, seed, Xtr, ytr, regmix_iter):
    common = dict(seed=seed)
    if task == "classification":
        common["num_classes"] = n_classes
    if method == "mixup":
        return Mixup(alpha=0.4, **common)
    if method == "cutmix":
        return CutMix(alpha=1.0, **common)
    if method == "feat_mix":
        return FeatMix(beta=0.5, **common).fit(Xtr, ytr)
    if method in ("regmix", "knn_mix_k8"):
        if task != "regression":
            return None
        if method == "knn_mix_k8":
            return RegMix(k_candidates=[8], n_iter=1, episodes=2, n_random_features=16, seed=seed).fit(Xtr, ytr)
        return RegMix(n_iter=regmix_iter, seed=seed).fit(Xtr, ytr)
    raise ValueError(method)


def run_one(name, method, seed, epochs, regmix_iter, reports):
    task, load = DATASETS[name]
    X, y = load()
    X = X.astype(np.float32)
    strat = y if task == "classification" else None
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=seed, stratify=strat)
    mu, sd = Xtr.mean(0), Xtr.std(0) + 1e-8
    Xtr, Xte = (Xtr - mu) / sd, (Xte - mu) / sd
    if task == "regression":
        ym, ys = ytr.mean(), ytr.std()
        ytr_s = ((ytr - ym) / ys).astype(np.float32)
        n_out, n_classes = 1, None
        Ytr = torch.as_tensor(ytr_s)
    else:
        n_classes = int(y.max()) + 1
        n_out = n_classes
        Ytr = torch.nn.functional.one_hot(torch.as_tensor(ytr), n_classes).float()
    xt = torch.as_tensor(Xtr)
    torch.manual_seed(seed)  # model initialisation (benchmark script, not library code)
    if method.startswith("tok_"):
        model = TokenMLP(X.shape[1], n_out, d_token=8, hidden=64, mix="hid_mix" if method == "tok_hid_mix" else None, seed=seed)
    else:
        model = mlp(X.shape[1], n_out)
    aug = None
    if not method.startswith("tok_") and method != "none":
        yfit = ytr_s if task == "regression" else ytr
        aug = make_aug(method, task, n_classes, seed, Xtr, yfit, regmix_iter)
        if aug is None:
            return None
        if method == "regmix":
            reports.setdefault(name, []).append(aug.fit_report_)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    ylab = torch.as_tensor(ytr_s if task == "regression" else ytr)

    def loss_fn(out, target):
        if task == "regression":
            return nn.functional.mse_loss(out.squeeze(1), target)
        return -(target * torch.log_softmax(out, 1)).sum(1).mean()

    for _ in range(epochs):
        model.train()
        if method.startswith("tok_"):
            out, info = model(xt)
            loss = mix_loss(out.squeeze(1) if task == "regression" else out, ylab, info, task)
        else:
            xb, yb = xt, Ytr
            if aug is not None:
                xa, ya = aug(xt, ylab)
                xb = torch.cat([xt, xa])
                yb = torch.cat([Ytr, ya.to(torch.float32)])
            out = model(xb)
            out = out[0] if isinstance(out, tuple) else out
            loss = loss_fn(out, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        out = model(torch.as_tensor(Xte))
        out = out[0] if isinstance(out, tuple) else out
    if task == "regression":
        pred = out.squeeze(1).numpy() * ys + ym
        return float(np.sqrt(np.mean((pred - yte) ** 2)))
    return float((out.argmax(1).numpy() == yte).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--regmix-iter", type=int, default=20)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--methods", nargs="*", default=METHODS)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    results: dict = {}
    reports: dict = {}
    for name in args.datasets:
        for method in args.methods:
            vals = [run_one(name, method, s, args.epochs, args.regmix_iter, reports) for s in range(args.seeds)]
            if vals[0] is not None:
                results[(name, method)] = vals
        print(f"  {name} done ({time.time() - t0:.0f}s)", flush=True)
    print(f"\nTest metric, mean +- std over {args.seeds} seeds ({args.epochs} epochs; RMSE lower is better, accuracy higher)")
    header = f"{'dataset':<14}{'metric':<9}" + "".join(f"{m:>17}" for m in args.methods)
    print(header)
    for name in args.datasets:
        metric = "RMSE" if DATASETS[name][0] == "regression" else "accuracy"
        row = f"{name:<14}{metric:<9}"
        for m in args.methods:
            v = results.get((name, m))
            row += f"{'-':>17}" if v is None else f"{np.mean(v):.4f} ± {np.std(v):.4f}".rjust(17)
        print(row)
    if reports:
        print("\nRegMix policy search (inner random-feature ridge; validation MSE on standardised y; mean over seeds)")
        keys = ["val_mse_no_mixing", "val_mse_random_partner_mixup", "val_mse_uniform_k", "val_mse_learned_policy", "mean_k"]
        print(f"{'dataset':<14}" + "".join(f"{k.replace('val_mse_', ''):>24}" for k in keys))
        for name, reps in reports.items():
            print(f"{name:<14}" + "".join(f"{np.mean([r[k] for r in reps]):>24.4f}" for k in keys))
    print(f"\ntotal time {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
