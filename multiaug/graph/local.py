"""Local Augmentation for GNNs (LA-GNN, Liu et al., ICML 2022).

A conditional VAE learns the distribution of a node's *neighbours'* features given the node's own
features; features sampled from it are fed to a GNN as extra inputs (see :mod:`multiaug.graph.models`
for ``LAGCN``/``LAGAT`` and ``docs/graph_local_augmentation.md`` for the recipe with any GNN).

Differences from the reference code (SongtaoLiu0823/LAGNN): (centre, neighbour) pairs are drawn as
mini-batches of edge ids from ``edge_index`` (O(batch * F) memory instead of a dense |E| x F matrix),
all randomness comes from the instance's generator, and the fitted generator is saved as safetensors
(no pickled modules).
"""
from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..core import Params, concat_labels
from ..core.constraints import Boolean, Integral, Interval, Options, Real
from ..core.hostreads import known_all_true
from ..registry import register
from .base import GraphAugmenter, _count_non_finite, check_graph, graph_sizes

__all__ = ["CVAE", "LocalAugmentation", "row_normalize"]

_FIT_SALT = 0x5DEECE66D  # separates the fitting stream from the sampling stream of the same seed


def row_normalize(x: torch.Tensor) -> torch.Tensor:
    """Divide each row by its sum (rows summing to 0 are left at 0), like PyG's ``NormalizeFeatures``."""
    s = x.sum(dim=-1, keepdim=True)
    return x / torch.where(s == 0, torch.ones_like(s), s)


def _linear(n_in: int, n_out: int) -> nn.Linear:
    # built without drawing from torch's global RNG; weights are set by CVAE.reset_parameters
    return torch.nn.utils.skip_init(nn.Linear, n_in, n_out)


class CVAE(nn.Module):
    """Conditional VAE of the reference (citation variant): encoder ``[x, c] -> hidden -> (mu, log var)``,
    decoder ``[z, c] -> hidden -> F``. ``decode`` returns raw outputs (logits for the BCE loss)."""

    def __init__(self, num_features: int, latent_dim: int = 10, hidden_dim: int = 256):
        super().__init__()
        self.num_features = int(num_features)
        self.latent_dim = int(latent_dim)
        self.enc = _linear(2 * num_features, hidden_dim)
        self.enc_mean = _linear(hidden_dim, latent_dim)
        self.enc_log_var = _linear(hidden_dim, latent_dim)
        self.dec = _linear(latent_dim + num_features, hidden_dim)
        self.dec_out = _linear(hidden_dim, num_features)

    @torch.no_grad()
    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default ``nn.Linear`` initialisation, drawn from ``generator``."""
        for lin in (self.enc, self.enc_mean, self.enc_log_var, self.dec, self.dec_out):
            bound = 1.0 / math.sqrt(lin.in_features)
            for prm in (lin.weight, lin.bias):
                u = torch.rand(prm.shape, generator=generator, device=prm.device, dtype=prm.dtype)
                prm.copy_((2 * u - 1) * bound)

    def encode(self, x: torch.Tensor, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = F.relu(self.enc(torch.cat([x, c], dim=-1)))
        return self.enc_mean(h), self.enc_log_var(h)

    def decode(self, z: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        """``z``: (..., N, latent); ``c``: (N, F). The condition's share of the first layer is computed
        once and broadcast over the leading sample dimensions (cheap for several samples)."""
        w = self.dec.weight
        h_c = F.linear(c, w[:, self.latent_dim :], self.dec.bias)
        h = F.relu(F.linear(z, w[:, : self.latent_dim]) + h_c)
        return self.dec_out(h)

    def forward(self, x: torch.Tensor, c: torch.Tensor, eps: torch.Tensor):
        mean, log_var = self.encode(x, c)
        z = mean + eps * torch.exp(0.5 * log_var)
        return self.decode(z, c), mean, log_var


@register("local_augmentation")
class LocalAugmentation(GraphAugmenter):
    """LA-GNN: generate neighbour-like node features with a CVAE fitted on (node, neighbour) pairs.

    ``fit(data)`` trains a conditional VAE on (centre features, neighbour features) pairs taken from
    ``data.edge_index`` (for an edge ``j -> i``, ``i`` is the centre and ``j`` the neighbour), drawn as
    mini-batches of edge ids, so memory stays O(batch_size * F). ``generate(data, k)`` returns ``k``
    generated feature matrices of shape ``(k, N, F)``, each node's sample decoded from ``z ~ N(0, I)``
    with the node's own features as the condition (nodes without neighbours get samples too), drawn with
    the instance's generator. ``aug(data)`` returns a copy of the graph with ``x_aug`` of shape
    ``(k, N, F)``; for a ``Batch``, ``x_aug`` covers all nodes of the batch (index it with
    ``data.batch``; ``Batch.to_data_list()`` does not split it). With ``p < 1``, the rows of graphs that
    were not drawn hold a copy of their original features.

    Parameters
    ----------
    k : int
        Generated feature matrices per call (the reference's ``concat``; 1 on Cora).
    latent_dim, hidden_dim : int
        CVAE sizes (reference: 10 and 256).
    epochs : int
        Passes over the edges (an epoch is ``ceil(E / batch_size)`` mini-batches of edge ids).
    lr, batch_size : float, int
        Adam learning rate and pairs per step (reference: 0.01, 64).
    loss : "auto", "bce" or "mse"
        Reconstruction loss. "auto": BCE (sum over features, the reference's choice for
        bag-of-words) when every feature lies in [0, 1] (after the row rescaling below), MSE on
        standardised features otherwise.
    normalize : "auto", True or False
        Row-normalise generated features (divide by the row sum). "auto": when the fitted features are
        row-normalised (non-negative rows summing to 1, as after PyG's ``NormalizeFeatures``). In that
        case the CVAE itself works on each row divided by its maximum (which restores the 0/1
        bag-of-words of Cora), exactly like the reference, which trains on raw binary features and
        row-normalises what it generates.
    kl_weight : float
        Weight of the KL term (1 in the reference).
    max_steps : int or None
        Optional cap on the total number of mini-batches.

    Fitted attributes: ``cvae_`` (the :class:`CVAE`), ``num_features_``, ``loss_`` ("bce"/"mse"),
    ``row_normalized_``, ``feature_mean_``/``feature_std_`` (MSE only), ``loss_history_`` (mean loss
    per epoch) and ``fit_time_`` (seconds).

    Labels are not changed. Errors: ``fit`` on a graph without edges, features that are missing, not
    floating point or not finite, and a feature width at call time other than the fitted one raise
    ``ValueError``/``TypeError``.
    """

    learned = True
    architecture_params = ("latent_dim", "hidden_dim")
    #: x_aug spans the batch: _apply keeps the original features of the graphs p did not draw
    p_mode = "kernel"
    makes_x_aug = True
    changes_edges = False

    def __init__(
        self,
        k: int = 1,
        latent_dim: int = 10,
        hidden_dim: int = 256,
        epochs: int = 10,
        lr: float = 0.01,
        batch_size: int = 64,
        loss: str = "auto",
        normalize: Any = "auto",
        kl_weight: float = 1.0,
        max_steps: int | None = None,
        **kwargs: Any,
    ):
        self.k = k
        self.latent_dim = latent_dim
        self.hidden_dim = hidden_dim
        self.epochs = epochs
        self.lr = lr
        self.batch_size = batch_size
        self.loss = loss
        self.normalize = normalize
        self.kl_weight = kl_weight
        self.max_steps = max_steps
        super().__init__(**kwargs)

    # ---- validation -------------------------------------------------------------------------------

    _parameter_constraints = {
        **{name: [Interval(Integral, 1, None)] for name in ("k", "latent_dim", "hidden_dim", "epochs", "batch_size")},
        "max_steps": [None, Interval(Integral, 1, None)],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "kl_weight": [Interval(Real, 0, None)],
        "loss": [Options("auto", "bce", "mse")],
        "normalize": [Options("auto"), Boolean()],
    }

    def _features(self, data: Any, where: str) -> torch.Tensor:
        check_graph(data, where)
        x = getattr(data, "x", None)
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"{where}.x: LocalAugmentation needs node features in data.x, got {type(x).__name__}")
        if x.dim() != 2:
            raise ValueError(f"{where}.x must have shape (num_nodes, num_features), got {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"{where}.x must be a floating-point tensor, got dtype {x.dtype} (convert with x.float())")
        bad = _count_non_finite(x)
        if bad:
            raise ValueError(
                f"LocalAugmentation: {where}.x contains {bad} NaN or inf values (of {x.numel()}); clean or impute them first"
            )
        nf = self.__dict__.get("num_features_")
        if nf is not None and x.shape[1] != nf:
            raise ValueError(
                f"{where}.x has {x.shape[1]} features but LocalAugmentation was fitted on {nf}; "
                "use graphs with the fitted feature width or fit again"
            )
        return x

    # ---- the CVAE's view of the features -----------------------------------------------------------

    def _encode_features(self, x: torch.Tensor) -> torch.Tensor:
        """Features as the CVAE sees them (targets and conditions)."""
        x = x.float()
        if self.loss_ == "mse":
            return (x - self.feature_mean_.to(x.device)) / self.feature_std_.to(x.device)
        if self.row_normalized_:
            m = x.amax(dim=1, keepdim=True)
            return x / torch.where(m > 0, m, torch.ones_like(m))
        return x

    def _decode_output(self, out: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        if self.loss_ == "bce":
            out = torch.sigmoid(out)
        else:
            out = out * self.feature_std_.to(out.device) + self.feature_mean_.to(out.device)
        norm = self.row_normalized_ if self.normalize == "auto" else bool(self.normalize)
        if norm:
            out = row_normalize(out)
        return out.to(dtype)

    # ---- fitting ------------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, *, score: Any = None, score_every: int = 10, warmup: int = 200,
            **fit_params: Any) -> "LocalAugmentation":
        """Train the CVAE on (centre, neighbour) feature pairs of the graph ``X`` (``Data`` or ``Batch``).
        ``y`` is ignored.

        Checkpoint selection (the reference's, optional): with ``score`` — a callable taking one
        generated feature matrix ``(N, F)`` (in the input's feature space, as ``generate`` returns it)
        and returning a number, higher is better — every ``score_every`` steps after the first
        ``warmup`` steps one matrix is generated (from a stream of its own, so training is the same
        with or without ``score``) and scored, and the CVAE weights with the best score are kept
        (``selected_step_``, ``selection_score_``). The reference scores with a pre-trained GCN's uncertainty on the training nodes (NLL of the mean
        prediction over dropout passes minus the mean NLL) at every step; see
        ``benchmarks/graph_lagnn.py``."""
        if fit_params:
            raise TypeError(f"LocalAugmentation.fit: unexpected arguments {sorted(fit_params)}")
        if score is not None and not callable(score):
            raise TypeError(f"score: expected a callable (generated features -> number), got {type(score).__name__}")
        for name, v, least in (("score_every", score_every, 1), ("warmup", warmup, 0)):
            if not Interval(Integral, least, None).accepts(v):
                raise ValueError(f"{name}: expected an integer >= {least}, got {v!r}")
        self._ensure_valid()
        data, _ = self._to_internal(X)
        for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
            delattr(self, name)  # refitting starts from scratch (a new feature width is fine)
        x = self._features(data, "data")
        ei = data.edge_index
        E = ei.shape[1]
        if E == 0:
            raise ValueError("data: LocalAugmentation.fit needs a graph with edges (edge_index has 0 columns); "
                             "the neighbour distribution cannot be learned without neighbours")
        dev = x.device
        xf = x.detach().float()  # the CVAE learns from the features: no gradient into them (x may require grad)
        nonneg = bool((xf >= 0).all())
        sums = xf.sum(dim=1)
        nz = sums > 0
        row_norm = nonneg and bool(nz.any()) and bool(torch.allclose(sums[nz], torch.ones_like(sums[nz]), atol=1e-4))
        self.row_normalized_ = row_norm
        in_unit = nonneg and bool((xf <= 1).all())
        loss = self.loss if self.loss != "auto" else ("bce" if in_unit else "mse")
        if loss == "bce" and not in_unit:
            raise ValueError(
                f"LocalAugmentation: loss='bce' needs features in [0, 1], got values in [{float(xf.min()):.4g}, {float(xf.max()):.4g}]; "
                "use loss='mse' or 'auto'"
            )
        self.loss_ = loss
        if loss == "mse":
            self.feature_mean_ = xf.mean(dim=0).detach()
            self.feature_std_ = xf.std(dim=0).clamp_min(1e-6).detach() if xf.shape[0] > 1 else torch.ones_like(xf[0])
        else:
            self.feature_mean_ = None
            self.feature_std_ = None
        self.num_features_ = int(x.shape[1])
        feats = self._encode_features(xf)

        # a private stream: fitting does not move the sampling stream, so a saved and reloaded
        # augmenter replays what the fitted one generates
        self.generator("cpu")
        g = torch.Generator(device=dev)
        g.manual_seed((self.stream_seed() ^ _FIT_SALT) % (2**63))

        cvae = CVAE(self.num_features_, self.latent_dim, self.hidden_dim).to(device=dev, dtype=torch.float32)
        cvae.reset_parameters(g)
        opt = torch.optim.Adam(cvae.parameters(), lr=float(self.lr))
        src, dst = ei[0], ei[1]
        bs = int(self.batch_size)
        steps_per_epoch = math.ceil(E / bs)
        budget = None if self.max_steps is None else int(self.max_steps)
        history: list[float] = []
        t0 = time.perf_counter()
        cvae.train()
        step = 0
        best = None  # (score, step, weights) with ``score``
        # scoring draws from a stream of their own: training is the same with or without ``score``
        g_score = torch.Generator(device=dev)
        g_score.manual_seed((self.stream_seed() ^ _FIT_SALT ^ 0x5C0E) % (2**63))
        for _ in range(int(self.epochs)):
            perm = torch.randperm(E, generator=g, device=dev)
            total, count = torch.zeros((), device=dev, dtype=torch.float32), 0
            for b in range(steps_per_epoch):
                if budget is not None and step >= budget:
                    break
                ids = perm[b * bs : (b + 1) * bs]
                target, cond = feats[src[ids]], feats[dst[ids]]
                eps = torch.randn(ids.numel(), self.latent_dim, generator=g, device=dev, dtype=torch.float32)
                out, mean, log_var = cvae(target, cond, eps)
                if loss == "bce":
                    rec = F.binary_cross_entropy_with_logits(out, target, reduction="sum")
                else:
                    rec = F.mse_loss(out, target, reduction="sum")
                kld = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
                batch_loss = (rec + float(self.kl_weight) * kld) / ids.numel()
                opt.zero_grad(set_to_none=True)
                batch_loss.backward()
                opt.step()
                total = total + batch_loss.detach() * ids.numel()
                count += ids.numel()
                step += 1
                if score is not None and step > warmup and (step - warmup) % score_every == 0:
                    with torch.no_grad():
                        z = torch.randn(xf.shape[0], self.latent_dim, generator=g_score, device=dev, dtype=torch.float32)
                        cand = self._decode_output(cvae.decode(z, feats), x.dtype)
                    value = float(score(cand))
                    if not math.isfinite(value):
                        raise ValueError(f"score: returned {value!r} at step {step}; expected a finite number")
                    if best is None or value > best[0]:
                        best = (value, step, {k: v.detach().clone() for k, v in cvae.state_dict().items()})
            if count:
                history.append(float(total) / count)
            if budget is not None and step >= budget:
                break
        if score is not None:
            if best is None:
                raise ValueError(f"score: no checkpoint was scored (warmup={warmup} of {step} steps, "
                                 f"score_every={score_every}); lower warmup or train longer")
            cvae.load_state_dict(best[2])
            self.selection_score_, self.selected_step_ = best[0], best[1]
        cvae.eval()
        for prm in cvae.parameters():
            prm.requires_grad_(False)
        self.fit_time_ = time.perf_counter() - t0
        self.loss_history_ = history
        self.cvae_ = cvae
        self._record_architecture()
        return self

    def _build_fitted_modules(self, meta: dict[str, Any]) -> dict[str, nn.Module]:
        cvae = CVAE(int(meta["num_features_"]), self.latent_dim, self.hidden_dim).to(torch.float32)
        for prm in cvae.parameters():
            prm.requires_grad_(False)
        return {"cvae_": cvae}

    # ---- generation -----------------------------------------------------------------------------------

    def _decode(self, data: Any, z: torch.Tensor) -> torch.Tensor:
        x = self._features(data, "data")
        cvae = self.cvae_
        if next(cvae.parameters()).device != x.device:
            cvae = cvae.to(x.device)
            self.cvae_ = cvae
        with torch.no_grad():
            out = cvae.decode(z, self._encode_features(x))
        return self._decode_output(out, x.dtype)

    def generate(self, data: Any, k: int | None = None) -> torch.Tensor:
        """``k`` (default ``self.k``) generated feature matrices for the nodes of ``data``: a tensor of
        shape ``(k, N, F)`` on the data's device, drawn with the instance's generator."""
        self._check_fitted()
        k = self.k if k is None else k
        if not Interval(Integral, 1, None).accepts(k):
            raise ValueError(f"k must be an integer >= 1, got {k!r}")
        k = int(k)
        data, _ = self._to_internal(data)
        x = self._features(data, "data")
        g = self.generator(x.device)
        z = torch.randn(k, x.shape[0], self.latent_dim, generator=g, device=x.device, dtype=torch.float32)
        return self._decode(data, z)

    def _sample(self, data: Any) -> Params:
        """Latent draws ``z`` of shape (k, N, latent_dim) for every node of the batch; ``p`` is read by
        ``_apply`` from ``params["active"]`` (``p_mode = "kernel"``: ``x_aug`` spans the batch)."""
        self._features(data, "data")
        dev = data.edge_index.device
        g = self.generator(dev)
        return {"z": torch.randn(int(self.k), data.num_nodes, self.latent_dim, generator=g, device=dev, dtype=torch.float32)}

    def _apply(self, data: Any, params: Params) -> Any:
        x_aug = self._decode(data, params["z"])
        active = params["active"]
        if not known_all_true(active):  # p < 1: inactive graphs keep their features (a select, no read)
            node_graph, _, _ = graph_sizes(data)
            keep = ~active.to(node_graph.device)[node_graph]
            x_aug = torch.where(keep[None, :, None], data.x.to(x_aug.dtype)[None], x_aug)
        out = data.clone()
        out.x_aug = x_aug
        return out

    def _augment_batch(self, xi: Any, ctx: Any, y: Any, n_aug: int, inputs: dict):
        """``augment``: ``n_aug`` augmented copies of the graph(s), concatenated into one ``Batch`` whose
        ``x_aug`` (k, total nodes, F) follows the concatenated nodes."""
        outs, ys = [], []
        for _ in range(n_aug):
            o, yo = self._forward(xi, y, **inputs)
            outs.append(o)
            ys.append(yo)
        x_aug = torch.cat([o.x_aug for o in outs], dim=1)
        stripped = []
        for o in outs:
            o = o.clone()
            del o.x_aug
            stripped.append(o)
        batch = self.handler.concat(stripped)
        batch.x_aug = x_aug
        src = np.tile(np.arange(self.handler.length(xi)), n_aug)
        return batch, (concat_labels(ys) if y is not None else None), src
