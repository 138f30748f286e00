"""RegMix / MixRL: mixup for regression with a learned, per-example neighbourhood size.

Papers: Hwang & Whang, "RegMix: Data Mixing Augmentation for Regression" (later "MixRL"). There is no
public code; this is our design, documented here exactly.

**Claim.** Mixing rows far apart (in features or target) produces points off the data manifold and
hurts regression; mixing each row only with one of its ``k`` nearest neighbours helps, and the best
``k`` differs between examples.

**Mixing (at call time).** For a batch ``(x, y)``: features are standardised with the statistics
learned in ``fit`` (target too); the ``k_max = max(k_candidates)`` nearest neighbours of every row are
found *within the batch* by a chunked torch kNN (distance on standardised features, plus the
standardised target weighted by ``target_weight`` when ``use_target`` and ``y`` is given; never an
``N x N`` matrix, runs on the data's device). Each row draws ``k ~ pi(k | x, y)`` from the policy, a
partner uniformly among its ``k`` nearest neighbours, and ``lam ~ Beta(alpha, alpha)``; ``x`` and ``y``
are mixed with the same ``lam`` (categorical columns take the larger-weight side). Without ``y`` the
policy cannot look at the target, so ``k`` is drawn from the average learned distribution
(``k_marginal_``) and the kNN uses features only. Categorical columns of a DataFrame are coded with
the categories seen in ``fit`` (``categories_in_``, saved with the augmenter), so a batch lacking one
codes the others as the policy learned them; a category not seen in ``fit`` raises ``ValueError``.

**Learning the policy (fit).** ``fit(X, y, X_val=None, y_val=None)``; without a validation set,
``val_fraction`` of the rows is held out (drawn with a generator seeded from ``seed``; the
augmenter's own random stream is not consumed). The policy is a small MLP
``[x_std, y_std] -> softmax over k_candidates`` (zero-initialised output layer: starts uniform). It is
trained by REINFORCE (Monte Carlo policy gradient), as MixRL does:

* an *episode* samples ``k_i`` for every training row, builds one mixed copy of the training set as
  above, fits the *inner model* on originals + mixed rows and measures its squared error on every
  validation row. The inner model is closed-form ridge regression on ``n_random_features`` random
  Fourier features (an RBF kernel approximation; length scale ``lengthscale``, or by default the best
  of (1, 1/2, 1/4, 1/8) x the median pairwise distance by validation MSE without mixing): non-linear,
  so off-manifold mixed points do hurt it, yet one fit costs a ``D x D`` solve, so hundreds of episodes
  take seconds on a CPU (a trained MLP per episode would cost minutes);
* reward of row ``i`` in an episode: minus the mean validation error over the ``reward_neighbours``
  validation rows nearest to ``x_i`` (a *local* reward: a single scalar for all rows gives a gradient
  whose signal-to-noise shrinks as ``1/sqrt(N)``; the rows mixed near ``x_i`` mostly change the
  predictions near ``x_i``). This is our credit-assignment choice, not from the paper;
* ``episodes`` episodes per policy step share a baseline: the advantage of row ``i`` is its reward
  minus its mean reward over those episodes (variance reduction), normalised by the batch standard
  deviation; loss ``-mean(A * log pi(k_i)) - entropy_coef * entropy``; Adam with ``policy_lr``;
  ``n_iter`` steps.

At most 4096 training rows are used for the policy search (a random subset; the policy generalises to
other rows through its inputs). ``fit_report_`` records the validation MSE (standardised target) of the
inner model trained without mixing, with random-partner Mixup, and with the learned policy, plus the
mean learned ``k``: check it to see whether the policy helped on your data.
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import torch
from torch import nn

from ..core import Params
from ..core.constraints import Boolean, Integral, Interval, Options, Real, SequenceOf
from ..core.labels import label_length
from ..registry import register
from . import functional as F
from .base import _codes_in
from .mixup import MixingAugmenter

_MAX_POLICY_ROWS = 4096


def _policy(n_in: int, hidden: int, n_out: int) -> nn.Module:
    """The policy MLP, built on the meta device so that building it never reads or advances torch's
    global RNG (``nn.Linear``'s default initialisation draws from it); every parameter starts at zero:
    ``fit`` initialises them from the augmenter's own generator, ``load`` loads the fitted weights."""
    with torch.device("meta"):
        module = nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, n_out))
    module = module.to(torch.float32).to_empty(device="cpu")
    with torch.no_grad():
        for prm in module.parameters():
            prm.zero_()
    return module


def _in_categories_of(X_val: Any, categories: dict, columns: Any) -> Any:
    """``X_val`` (a DataFrame) checked against the categories of ``X`` (``categories``: position ->
    categories, those the conversion of ``X``, with ``columns``, found): a category ``X`` lacks raises
    ``ValueError`` naming the column. Its conversion then codes it with them (``categories_in_``, recorded
    from ``X`` before ``X_val`` is read), so that both are coded alike. Anything else is returned as it is."""
    if not categories or columns is None or not hasattr(X_val, "iloc"):
        return X_val
    if X_val.ndim != 2 or X_val.shape[1] != len(columns):
        return X_val  # the column count check that follows names the problem
    import pandas as pd

    for j, cats in categories.items():
        col = X_val.iloc[:, j]
        if isinstance(col.dtype, pd.CategoricalDtype):
            own = col.cat.codes.to_numpy()
            idx = _codes_in(cats, np.asarray(col.cat.categories, dtype=object))
            codes = np.where(own >= 0, idx[own], -1) if len(idx) else np.full(len(own), -1)
        else:
            codes = _codes_in(cats, col.to_numpy(dtype=object))
        unseen = col[(codes < 0) & col.notna().to_numpy()]
        if len(unseen):
            raise ValueError(
                f"RegMix.fit: X_val column {columns[j]!r} holds categories not seen in X: "
                f"{list(dict.fromkeys(unseen.tolist()))[:5]}; X and X_val must share their categories"
            )
    return X_val


@register("regmix")
class RegMix(MixingAugmenter):
    """RegMix/MixRL: mixup of each row with one of its k nearest neighbours, with k learned per example
    by a policy network trained by REINFORCE on validation loss (regression targets only).

    See the module docstring of :mod:`multiaug.tabular.regmix` for exactly what is implemented."""

    learned = True
    reads_category_codes = True  # kNN distances and the policy read categorical codes: coded as at fit
    architecture_params = ("k_candidates", "policy_hidden")
    magnitude_range = {"alpha": (0.1, 2.0)}

    def __init__(
        self,
        k_candidates: Sequence[int] = (1, 2, 4, 8, 16, 32),
        alpha: float = 1.0,
        use_target: bool = True,
        target_weight: float = 1.0,
        val_fraction: float = 0.2,
        n_iter: int = 30,
        episodes: int = 8,
        policy_hidden: int = 32,
        policy_lr: float = 0.05,
        entropy_coef: float = 0.01,
        n_random_features: int = 128,
        ridge: float = 1e-2,
        lengthscale: float | None = None,
        reward_neighbours: int = 5,
        chunk_size: int | None = None,
        **kwargs: Any,
    ):
        self.k_candidates = k_candidates
        self.alpha = alpha
        self.use_target = use_target
        self.target_weight = target_weight
        self.val_fraction = val_fraction
        self.n_iter = n_iter
        self.episodes = episodes
        self.policy_hidden = policy_hidden
        self.policy_lr = policy_lr
        self.entropy_coef = entropy_coef
        self.n_random_features = n_random_features
        self.ridge = ridge
        self.lengthscale = lengthscale
        self.reward_neighbours = reward_neighbours
        self.chunk_size = chunk_size
        super().__init__(**kwargs)

    _parameter_constraints = {
        "k_candidates": [SequenceOf(Interval(Integral, 1, None), min_len=1, distinct=True,
                                    desc="a non-empty list of distinct positive integers")],
        "alpha": [Interval(Real, 0, None, closed="neither")],
        "use_target": [Boolean()],
        "target_weight": [Interval(Real, 0, None)],
        "val_fraction": [Interval(Real, 0, 1, closed="neither")],
        **{name: [Interval(Integral, 1, None)] for name in ("n_iter", "policy_hidden", "n_random_features", "reward_neighbours")},
        "episodes": [Interval(Integral, 2, None, desc="an integer >= 2 (the baseline needs several episodes)")],
        "policy_lr": [Interval(Real, 0, None, closed="neither")],
        "entropy_coef": [Interval(Real, 0, None)],
        "ridge": [Interval(Real, 0, None, closed="neither")],
        "lengthscale": [None, Interval(Real, 0, None, closed="neither")],
        "chunk_size": [None, Interval(Integral, 1, None)],
        "task": [Options("auto", "regression", desc="'auto' or 'regression' (RegMix is for regression)")],
        "num_classes": [Options(None, desc="None (RegMix is for regression)")],
    }

    # ---- helpers ------------------------------------------------------------------------------------

    def _targets(self, y: Any, arg: str = "y") -> torch.Tensor:
        t = self._encode_y(y, arg)
        if t.task == "classification":
            raise ValueError(
                f"RegMix: {arg} looks like class labels; RegMix is for regression targets (pass float targets or "
                "task='regression'), use Mixup for classification"
            )
        v = t.values.to(torch.float32)
        return v.reshape(v.shape[0], -1)

    def _standardise(self, x: torch.Tensor, Y: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor | None]:
        if x.shape[1] != self.n_features_in_:
            raise ValueError(f"x has {x.shape[1]} features but RegMix was fitted on {self.n_features_in_}")
        if bool(torch.isnan(x).any()):
            raise ValueError("RegMix: x contains NaN; nearest neighbours need complete rows (impute first)")
        x = x.to(torch.float32)
        xs = (x - self.x_mean_.to(x.device)) / self.x_scale_.to(x.device)
        ys = None
        if Y is not None:
            if Y.shape[1] != self.n_targets_:
                raise ValueError(f"y has {Y.shape[1]} target columns but RegMix was fitted on {self.n_targets_}")
            ys = (Y.to(x.device) - self.y_mean_.to(x.device)) / self.y_scale_.to(x.device)
        return xs, ys

    def _knn_space(self, xs: torch.Tensor, ys: torch.Tensor | None) -> torch.Tensor:
        if ys is None or not self.use_target or self.target_weight == 0:
            return xs
        return torch.cat([xs, ys * (float(self.target_weight) / math.sqrt(ys.shape[1]))], dim=1)

    def _k_tensor(self, kmax: int, device) -> torch.Tensor:
        return torch.as_tensor([int(k) for k in self.k_candidates], device=device).clamp(max=kmax)

    def _build_fitted_modules(self, meta: dict[str, Any]) -> dict[str, nn.Module]:
        n_in = int(meta["n_features_in_"]) + int(meta["n_targets_"])
        return {"policy_": _policy(n_in, int(self.policy_hidden), len(self.k_candidates))}

    # ---- fit: REINFORCE over per-example k ----------------------------------------------------------

    def fit(self, X: Any, y: Any = None, X_val: Any = None, y_val: Any = None, **fit_params: Any) -> "RegMix":
        x = self._fit_targets(X, y)
        if y is None:
            raise ValueError("RegMix.fit needs y (regression targets)")
        if x.dim() != 2:
            raise ValueError(f"RegMix: expected a 2-D table, got shape {tuple(x.shape)}")
        if bool(torch.isnan(x).any()):
            raise ValueError("RegMix.fit: X contains NaN; nearest neighbours need complete rows (impute first)")
        x = x.to(torch.float32)
        Y = self._targets(y).to(x.device)
        dev = x.device
        g = torch.Generator(device=dev)
        # the instance's stream seed (seed, or what reseed() set: evaluate and the CLI reseed per split/batch)
        g.manual_seed((self.stream_seed() + 7919) % 2**63)
        if X_val is None:
            if y_val is not None:
                raise ValueError("RegMix.fit: y_val given without X_val")
            n = x.shape[0]
            n_val = int(round(float(self.val_fraction) * n))
            if n_val < 1 or n - n_val < 3:
                raise ValueError(f"RegMix.fit: {n} rows are too few to hold out a validation split (val_fraction={self.val_fraction}); pass X_val/y_val or more rows")
            perm = torch.randperm(n, generator=g, device=dev)
            val_idx, tr_idx = perm[:n_val], perm[n_val:]
            xv, Yv, xt, Yt = x[val_idx], Y[val_idx], x[tr_idx], Y[tr_idx]
        else:
            if y_val is None:
                raise ValueError("RegMix.fit: X_val given without y_val")
            self._check_feature_names(X_val, "X_val")
            # X_val's categorical columns are coded with X's categories (categories_in_, recorded from X
            # above; X_val's own would shift the codes wherever X_val lacks a category of X)
            cats = self.__dict__.get("_fit_categories") or {}
            xv, _ = self.handler.check(_in_categories_of(X_val, cats, getattr(X, "columns", None)), self, arg="X_val")
            if xv.shape[1] != x.shape[1]:
                raise ValueError(f"RegMix.fit: X_val has {xv.shape[1]} columns but X has {x.shape[1]}")
            if label_length(y_val, "y_val") != xv.shape[0]:
                raise ValueError(f"RegMix.fit: X_val has {xv.shape[0]} rows but y_val has {len(y_val)}")
            xv = xv.to(dev, torch.float32)
            Yv = self._targets(y_val, "y_val").to(dev)
            if Yv.shape[1] != Y.shape[1]:
                raise ValueError(f"RegMix.fit: y_val has {Yv.shape[1]} target columns but y has {Y.shape[1]}")
            xt, Yt = x, Y
            if bool(torch.isnan(xv).any()):
                raise ValueError("RegMix.fit: X_val contains NaN")
        if xt.shape[0] > _MAX_POLICY_ROWS:
            sub = torch.randperm(xt.shape[0], generator=g, device=dev)[:_MAX_POLICY_ROWS]
            xt, Yt = xt[sub], Yt[sub]
        self.n_features_in_ = int(x.shape[1])
        self.n_targets_ = int(Y.shape[1])
        self.x_mean_ = xt.mean(0).cpu()
        sd = xt.std(0, unbiased=False)
        self.x_scale_ = torch.where(sd > 1e-12, sd, torch.ones_like(sd)).cpu()
        self.y_mean_ = Yt.mean(0).cpu()
        sdy = Yt.std(0, unbiased=False)
        self.y_scale_ = torch.where(sdy > 1e-12, sdy, torch.ones_like(sdy)).cpu()
        xs, ys = self._standardise(xt, Yt)
        xvs, yvs = self._standardise(xv, Yv)
        hard = self._hard_columns(xs)
        policy, report = self._train_policy(xs, ys, xvs, yvs, hard, g)
        self.policy_ = policy.cpu().eval()
        self.fit_report_ = report
        with torch.no_grad():
            self.k_marginal_ = torch.softmax(policy(torch.cat([xs, ys], 1)), dim=1).mean(0).cpu()
        self._record_architecture()
        return self

    def _train_policy(self, xs, ys, xvs, yvs, hard, g):
        dev = xs.device
        n, d = xs.shape
        E = int(self.episodes)
        kmax = min(max(int(k) for k in self.k_candidates), n - 1)
        ks = self._k_tensor(kmax, dev)
        nbr = F.knn(self._knn_space(xs, ys), kmax, chunk_size=self.chunk_size)[1]
        m = min(int(self.reward_neighbours), xvs.shape[0])
        val_nbr = F.knn(xvs, m, query=xs, exclude_self=False, chunk_size=self.chunk_size)[1]  # (n, m)

        # random Fourier features of an RBF kernel; length scale given, or the best of
        # median-pairwise-distance x (1, 1/2, 1/4, 1/8) by validation MSE without mixing
        D = int(self.n_random_features)
        W0 = torch.randn(d, D, generator=g, device=dev, dtype=torch.float32)
        b = torch.rand(D, generator=g, device=dev, dtype=torch.float32) * (2 * math.pi)
        eye = torch.eye(D, device=dev, dtype=torch.float32) * float(self.ridge) * (2 * n) / D

        def features(z, scale):
            return math.sqrt(2.0 / D) * torch.cos(z @ (W0 / scale) + b)

        if self.lengthscale is not None:
            scale = float(self.lengthscale)
        else:
            sub = xs[torch.randperm(n, generator=g, device=dev)[: min(n, 256)]]
            pd_ = torch.cdist(sub, sub)
            med = float(pd_[pd_ > 0].median()) if bool((pd_ > 0).any()) else 1.0
            mses = []
            for c in (1.0, 0.5, 0.25, 0.125):
                ft = features(xs, med * c)
                w = torch.cholesky_solve(ft.T @ ys, torch.linalg.cholesky(ft.T @ ft + eye))
                mses.append(((features(xvs, med * c) @ w - yvs) ** 2).mean())
            mse_l = torch.stack(mses).tolist()  # one read for the four candidates
            scale = med * (1.0, 0.5, 0.25, 0.125)[mse_l.index(min(mse_l))]  # the first of equal ones, as before

        def phi(z):
            return features(z, scale)

        phi_tr, phi_val = phi(xs), phi(xvs)
        G0 = phi_tr.T @ phi_tr
        r0 = phi_tr.T @ ys

        any_hard = bool(hard.any())  # a column flag: read once, not per iteration

        def val_errors(partner, lam):
            """Squared validation error per episode and validation row, inner model fitted on
            originals + the mixed copy given by ``partner``/``lam`` (E, n)."""
            lam3 = lam[..., None]
            xm = lam3 * xs[None] + (1 - lam3) * xs[partner]
            if any_hard:
                xm = torch.where(hard & (lam3 < 0.5), xs[partner], torch.where(hard, xs[None].expand_as(xm), xm))
            ym = lam3 * ys[None] + (1 - lam3) * ys[partner]
            pm = phi(xm)
            A = G0 + pm.transpose(1, 2) @ pm + eye
            rhs = r0 + pm.transpose(1, 2) @ ym
            w = torch.cholesky_solve(rhs, torch.linalg.cholesky(A))
            pred = phi_val @ w  # (E, n_val, T)
            return ((pred - yvs[None]) ** 2).mean(-1)

        def draw(k_of_row):
            u = torch.rand(E, n, generator=g, device=dev, dtype=torch.float32)
            col = torch.minimum((u * k_of_row).long(), k_of_row - 1)
            partner = nbr.gather(1, col.T).T
            lam = F.sample_beta(self.alpha, self.alpha, E * n, g, dev).view(E, n)
            return partner, lam

        policy = _policy(d + ys.shape[1], int(self.policy_hidden), len(ks)).to(dev)
        with torch.no_grad():
            lin0, lin1 = policy[0], policy[2]
            lin0.weight.copy_(torch.randn(lin0.weight.shape, generator=g, device=dev, dtype=torch.float32) / math.sqrt(lin0.in_features))
            lin0.bias.zero_()
            lin1.weight.zero_()
            lin1.bias.zero_()
        opt = torch.optim.Adam(policy.parameters(), lr=float(self.policy_lr))
        s = torch.cat([xs, ys], 1)
        history = []
        for _ in range(int(self.n_iter)):
            logits = policy(s)
            logp = torch.log_softmax(logits, dim=1)
            k_idx = torch.multinomial(logp.detach().exp(), E, replacement=True, generator=g).T  # (E, n)
            partner, lam = draw(ks[k_idx])
            with torch.no_grad():
                err = val_errors(partner, lam)
                reward = -err[:, val_nbr].mean(-1)  # (E, n) local reward
                adv = reward - reward.mean(0, keepdim=True)
                adv = adv / (adv.std() + 1e-8)
            chosen = logp.gather(1, k_idx.T).T  # (E, n)
            entropy = -(logp.exp() * logp).sum(1).mean()
            loss = -(adv * chosen).mean() - float(self.entropy_coef) * entropy
            opt.zero_grad()
            loss.backward()
            opt.step()
            history.append(err.mean())  # read once after the loop: no sync per iteration

        history = torch.stack(history).tolist() if history else []
        with torch.no_grad():
            A = G0 + eye
            w = torch.linalg.solve(A, r0)
            mse_none = float(((phi_val @ w - yvs) ** 2).mean())
            partner_rand = torch.stack([torch.randperm(n, generator=g, device=dev) for _ in range(E)])
            lam_rand = F.sample_beta(self.alpha, self.alpha, E * n, g, dev).view(E, n)
            mse_mixup = float(val_errors(partner_rand, lam_rand).mean())
            probs = torch.softmax(policy(s), 1)
            k_idx = torch.multinomial(probs, E, replacement=True, generator=g).T
            partner, lam = draw(ks[k_idx])
            mse_policy = float(val_errors(partner, lam).mean())
            partner_u, lam_u = draw(ks[torch.randint(0, len(ks), (E, n), generator=g, device=dev)])
            mse_uniform_k = float(val_errors(partner_u, lam_u).mean())
            mean_k = float((probs * ks.to(probs.dtype)).sum(1).mean())
        report = {
            "val_mse_no_mixing": mse_none,
            "val_mse_random_partner_mixup": mse_mixup,
            "val_mse_uniform_k": mse_uniform_k,
            "val_mse_learned_policy": mse_policy,
            "mean_k": mean_k,
            "k_candidates_used": [int(k) for k in ks.tolist()],
            "history": history,
            "n_train": int(n),
            "n_val": int(xvs.shape[0]),
            "lengthscale": float(scale),
        }
        return policy, report

    # ---- mixing ---------------------------------------------------------------------------------------

    def _sample(self, x: torch.Tensor) -> Params:
        return self._sample_xy(x, None)

    def _sample_xy(self, x: torch.Tensor, y: Any) -> Params:
        if x.dim() != 2:
            raise ValueError(f"RegMix: expected a 2-D table, got shape {tuple(x.shape)}")
        Y = self._targets(y) if y is not None else None
        xs, ys = self._standardise(x, Y)
        n = x.shape[0]
        g = self.generator(x.device)
        if n == 1:  # a single row routed here by a composition: its own partner (see MixingAugmenter)
            lam = F.sample_beta(self.alpha, self.alpha, 1, g, x.device)
            zero = torch.zeros(1, dtype=torch.long, device=x.device)
            return {"partner": zero, "lam": lam, "k": zero + 1}
        kmax = min(max(int(k) for k in self.k_candidates), n - 1)
        ks = self._k_tensor(kmax, x.device)
        with torch.no_grad():
            if ys is not None:
                policy = self.policy_.to(x.device)
                probs = torch.softmax(policy(torch.cat([xs, ys], 1)), dim=1)
            else:
                probs = self.k_marginal_.to(x.device).expand(n, -1)
        nbr = F.knn(self._knn_space(xs, ys), kmax, chunk_size=self.chunk_size)[1]
        k = ks[torch.multinomial(probs, 1, generator=g).flatten()]
        u = torch.rand(n, generator=g, device=x.device, dtype=torch.float32)
        partner = F.draw_partners_among_neighbours(nbr, k, u)
        lam = F.sample_beta(self.alpha, self.alpha, n, g, x.device)
        return {"partner": partner, "lam": lam, "k": k}

    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        return F.mix_rows(x, params["partner"], params["lam"], params.get("hard"))
