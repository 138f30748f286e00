"""AutoTCL: parametric (learned) augmentation for time-series contrastive learning.

Zheng et al., "Parametric Augmentation for Time Series Contrastive Learning" (ICLR 2024); authors'
code: AutoTCL_CoST.py and models/losses.py. An augmentation network factorises a series into an
informative part, kept by a mask ``M`` over time steps, and the rest; the view is
``x' = g(x) * M(x) * x`` with ``g(x)`` a positive rescaling. The augmentation network and a
contrastive encoder are trained alternately:

* augmentation step (encoder frozen): ``MMD(z(x), z(x'))`` + ``sparsity_weight * relu(mean(h) -
  sparsity_threshold)`` + ``smoothness_weight * mean |h_t - h_{t+1}|``, with ``h = sigmoid(head)``
  (by default, as in the authors' code, ``h`` is also the logit of the hard-concrete mask) (``aug_objective="adversarial"``: ``-InfoNCE(z(x), z(x'))`` instead);
* encoder step (augmentation frozen): global InfoNCE between the pooled representations of ``x`` and
  ``x'`` + ``local_weight`` * a local InfoNCE between neighbouring segments of each series.

Where the paper and the code differ, and which one this follows, is written down in
docs/timeseries_autotcl.md.
"""
from __future__ import annotations

import copy
from typing import Any, Callable

import torch
from sklearn.utils._available_if import available_if
from torch import nn

from ..core import Params
from ..core.constraints import Boolean, InstanceOf, Integral, Interval, Options, Real, Satisfies
from ..core.hostreads import host_item
from ..core.sklearn import _shows_fit_resample, _shows_transform
from ..registry import register
from . import functional as F
from .base import TimeSeriesAugmenter, _refuse_fit_lengths, _transposed_hint
from .encoders import DilatedConvEncoder, build_module, deterministic_convolutions, pool

# --------------------------------------------------------------------------------------------------
# networks and losses
# --------------------------------------------------------------------------------------------------


class AugmentationNet(nn.Module):
    """``x`` ``(N, C, T)`` -> (mask logits ``(N, 1, T)``, scale ``g(x)`` in (0, 1) ``(N, 1, T)``).

    A small dilated-convolution encoder (same family as the contrastive encoder) followed by two
    per-time-step linear heads; both are shared across channels (the authors' ``agu_channel=1``)."""

    def __init__(self, in_channels: int, hidden_dims: int = 64, depth: int = 3, aug_dims: int = 16):
        super().__init__()
        self.body = DilatedConvEncoder(in_channels, output_dims=aug_dims, hidden_dims=hidden_dims, depth=depth)
        self.mask_head = nn.Conv1d(aug_dims, 1, 1)
        self.scale_head = nn.Conv1d(aug_dims, 1, 1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        e = self.body(x)
        return self.mask_head(e), torch.sigmoid(self.scale_head(e))


def hard_concrete(logits: torch.Tensor, u: torch.Tensor, temperature: float = 1.0, gamma: float = -0.05,
                  zeta: float = 1.0, hard: bool = True) -> torch.Tensor:
    """Hard-concrete mask from ``logits`` and uniform noise ``u`` (same shape): a logistic (Gumbel-
    sigmoid) sample, stretched to ``(gamma, zeta)`` and clipped to [0, 1]; with ``hard`` it is binarised
    at 0.5 with a straight-through gradient."""
    s = torch.sigmoid((torch.log(u) - torch.log1p(-u) + logits) / temperature)
    m = (s * (zeta - gamma) + gamma).clamp(0.0, 1.0)
    if hard:
        m = (m > 0.5).to(m.dtype) - m.detach() + m
    return m


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """InfoNCE between pooled representations ``(N, D)``: ``z1[i]`` must pick ``z2[i]`` among all ``z2``
    (cosine similarity / temperature), as in the authors' ``InfoNCE``."""
    a = nn.functional.normalize(z1, dim=1)
    b = nn.functional.normalize(z2, dim=1)
    logits = a @ b.T / temperature
    return nn.functional.cross_entropy(logits, torch.arange(a.shape[0], device=a.device))


def local_info_nce(reps: torch.Tensor, segments: int = 16, temperature: float = 1.0,
                   start: int = 0) -> torch.Tensor:
    """Local InfoNCE within each series: the time axis of ``reps`` ``(N, D, T)`` is cut into
    ``segments`` max-pooled pieces; each piece must pick its right neighbour (the last one its left
    neighbour) among the pieces that are not adjacent to it. Zero when there are fewer than 4 pieces."""
    n, d, t = reps.shape
    k = min(int(segments), t)
    size = t // k if k else 0
    if k < 4 or size < 1:
        return reps.new_zeros(())
    z = reps[:, :, start : start + k * size].reshape(n, d, k, size).amax(dim=3).transpose(1, 2)  # (N, k, D)
    z = nn.functional.normalize(z, dim=2)
    sim = z @ z.transpose(1, 2) / temperature  # (N, k, k)
    idx = torch.arange(k, device=reps.device)
    pos = torch.where(idx < k - 1, idx + 1, idx - 1)
    other = torch.where(idx < k - 1, idx - 1, idx - 2)  # the other neighbour: neither positive nor negative
    excluded = (idx[None, :] == idx[:, None]) | (idx[None, :] == other[:, None])
    excluded = excluded & ~(idx[None, :] == pos[:, None])
    sim = sim.masked_fill(excluded[None], float("-inf"))
    return nn.functional.cross_entropy(sim.reshape(n * k, k), pos.repeat(n))


def _contrast_pairs(z: torch.Tensor, b: int) -> torch.Tensor:
    """``z`` ``(G, 2b, D)``: groups of ``2b`` vectors where item ``i`` and ``b + i`` are positives and
    every other item of the group is a negative (raw dot products, self excluded); mean cross-entropy."""
    sim = z @ z.transpose(1, 2)
    eye = torch.eye(2 * b, dtype=torch.bool, device=z.device)
    logp = torch.log_softmax(sim.masked_fill(eye, float("-inf")), dim=-1)
    i = torch.arange(b, device=z.device)
    return -(logp[:, i, b + i].mean() + logp[:, b + i, i].mean()) / 2


def hierarchical_contrastive_loss(r1: torch.Tensor, r2: torch.Tensor, alpha: float = 0.5) -> torch.Tensor:
    """TS2Vec's hierarchical contrastive loss between two aligned per-step representations ``(N, D, T)``
    (the same time steps of two views). At each scale: ``alpha`` * an instance term (step ``t`` of the
    other view of the same series is the positive, step ``t`` of the other series are the negatives) +
    ``1 - alpha`` * a temporal term (the same step of the other view is the positive, the other steps
    of both views of the same series are the negatives), on raw dot products (no normalisation, no
    temperature); then the time axis is max-pooled by 2, until one step is left (instance term only);
    the terms are averaged over scales. Written from Yue et al., TS2Vec (AAAI 2022)."""
    if r1.shape != r2.shape or r1.dim() != 3:
        raise ValueError(f"representations: expected two (N, D, T) tensors of one shape, got {tuple(r1.shape)} "
                         f"and {tuple(r2.shape)}")
    loss = r1.new_zeros(())
    scales = 0
    n = r1.shape[0]
    while r1.shape[2] >= 1:
        t = r1.shape[2]
        if alpha and n > 1:  # instance term: per time step, 2N candidates
            loss = loss + alpha * _contrast_pairs(torch.cat([r1, r2], 0).permute(2, 0, 1), n)
        if t > 1 and 1 - alpha:  # temporal term: per series, 2T candidates
            loss = loss + (1 - alpha) * _contrast_pairs(torch.cat([r1, r2], 2).transpose(1, 2), t)
        scales += 1
        if t == 1:
            break
        r1 = nn.functional.max_pool1d(r1, 2)
        r2 = nn.functional.max_pool1d(r2, 2)
    return loss / scales


def ts2vec_crop(n: int, t: int, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int], int]:
    """TS2Vec's random overlapping crops for ``n`` series of length ``t >= 2``, drawn from ``g``.

    Returns ``(start1, start2, (length1, length2), overlap)``: view 1 of series ``i`` is
    ``[start1[i], start1[i] + length1)``, view 2 ``[start2[i], start2[i] + length2)``; they share
    ``overlap >= 2`` steps, the last ``overlap`` steps of view 1 and the first ``overlap`` of view 2.
    The lengths are common to the batch, the position is shifted by a random offset per series."""

    def draw(lo: int, hi: int, size: tuple[int, ...] = (1,)) -> torch.Tensor:  # uniform on [lo, hi)
        return torch.randint(lo, hi, size, generator=g)

    overlap = host_item(draw(2, t + 1))  # g is a CPU generator: host-side values
    left = host_item(draw(0, t - overlap + 1))
    right = left + overlap
    eleft = host_item(draw(0, left + 1))
    eright = host_item(draw(right, t + 1))
    offset = draw(-eleft, t - eright + 1, (n,))
    return offset + eleft, offset + left, (right - eleft, eright - left), overlap


def take_per_row(x: torch.Tensor, start: torch.Tensor, length: int) -> torch.Tensor:
    """``x[i, :, start[i] : start[i] + length]`` for every series ``i`` of ``x`` ``(N, C, T)``."""
    n, c, _ = x.shape
    idx = start.to(x.device)[:, None] + torch.arange(length, device=x.device)[None, :]
    return x.gather(2, idx[:, None, :].expand(n, c, length))


def encode_masked(encoder: nn.Module, x: torch.Tensor, p: float, g: torch.Generator | None) -> torch.Tensor:
    """``encoder(x)`` with TS2Vec's timestamp masking: each time step is zeroed with probability ``p``
    (drawn from ``g``) after the input projection of a :class:`DilatedConvEncoder` (in the latent space,
    as TS2Vec), or on the input for any other encoder."""
    if not p or g is None:
        return encoder(x)
    n, _, t = x.shape
    keep = (torch.rand((n, 1, t), generator=g, dtype=torch.float32) >= p).to(device=x.device, dtype=x.dtype)
    if isinstance(encoder, DilatedConvEncoder):
        return encoder.blocks(encoder.input_fc(x) * keep)
    return encoder(x * keep)


def mmd(z1: torch.Tensor, z2: torch.Tensor, kernel_mul: float = 2.0, kernel_num: int = 5) -> torch.Tensor:
    """Maximum mean discrepancy between two sets of representations ``(N, D)`` with a sum of
    ``kernel_num`` Gaussian kernels whose bandwidths are spread around the mean pairwise distance
    (the authors' ``mmdx``)."""
    n = z1.shape[0]
    total = torch.cat([z1, z2], dim=0)
    d2 = torch.cdist(total, total).pow(2)
    m = total.shape[0]
    bandwidth = d2.detach().sum() / max(m * m - m, 1)
    bandwidth = bandwidth.clamp_min(1e-12) / (kernel_mul ** (kernel_num // 2))
    k = sum(torch.exp(-d2 / (bandwidth * kernel_mul**i)) for i in range(kernel_num))
    return (k[:n, :n] + k[n:, n:] - k[:n, n:] - k[n:, :n]).mean()


MODES = ("ts2vec", "reference")


def _mask_rate(mode: str, timestamp_mask: float | None) -> float:
    if timestamp_mask is not None:
        return float(timestamp_mask)
    return 0.5 if mode == "ts2vec" else 0.0


def contrastive_loss(encoder: nn.Module, x: torch.Tensor, view: torch.Tensor, temperature: float = 1.0,
                     local_weight: float = 0.1, local_segments: int = 16, local_start: int = 0,
                     mode: str = "reference", timestamp_mask: float | None = None,
                     g: torch.Generator | None = None, crop: bool = True) -> torch.Tensor:
    """Encoder objective between series ``x`` and their views ``view`` (both ``(N, C, T)``).

    ``mode="reference"`` (the AutoTCL authors' code): InfoNCE(pool(f(x)), pool(f(view))) at
    ``temperature`` + ``local_weight`` * local InfoNCE on f(x). ``mode="ts2vec"``: TS2Vec's recipe with
    ``view`` in place of the second crop: a random overlapping crop of ``x`` and one of ``view``
    (:func:`ts2vec_crop`, drawn from ``g``), encoded with timestamp masking, and the hierarchical
    contrastive loss on the overlap (``temperature`` and the local term are not used). With
    ``crop=False`` (for encoders whose output has no time axis aligned with the input, see
    :func:`time_aligned`) the whole series and view are compared; unaligned outputs are pooled.
    ``timestamp_mask`` (None: 0.5 for "ts2vec", 0 for "reference") is the probability of masking a
    time step inside the encoder (:func:`encode_masked`; needs ``g``)."""
    p = _mask_rate(mode, timestamp_mask)
    if mode == "reference":
        rx = encode_masked(encoder, x, p, g)
        rv = encode_masked(encoder, view, p, g)
        loss = info_nce(pool(rx), pool(rv), temperature)
        if local_weight and rx.dim() == 3:
            loss = loss + local_weight * local_info_nce(rx, local_segments, temperature, local_start)
        return loss
    if mode != "ts2vec":
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    n, _, t = x.shape
    if crop and t >= 2 and g is not None:
        s1, s2, (l1, l2), overlap = ts2vec_crop(n, t, g)
        in1, in2 = take_per_row(x, s1, l1), take_per_row(view, s2, l2)
    else:
        in1, in2, overlap = x, view, t
    r1 = encode_masked(encoder, in1, p, g)
    r2 = encode_masked(encoder, in2, p, g)
    if r1.dim() == 3 and r1.shape[2] == in1.shape[2] and r2.shape[2] == in2.shape[2]:
        r1, r2 = r1[:, :, r1.shape[2] - overlap :], r2[:, :, :overlap]
    else:
        r1, r2 = pool(r1)[:, :, None], pool(r2)[:, :, None]
    return hierarchical_contrastive_loss(r1, r2)


class _Averager:
    """Running equal-weight average of a module's parameters, like the authors' SWA copy
    (``torch.optim.swa_utils.AveragedModel``): ``update`` after each step; ``module`` holds the average."""

    def __init__(self, module: nn.Module):
        self.module = copy.deepcopy(module)
        self.module.requires_grad_(False)
        self.count = 1

    @torch.no_grad()
    def update(self, module: nn.Module) -> None:
        self.count += 1
        for a, p in zip(self.module.parameters(), module.parameters()):
            a.add_((p.detach() - a) / self.count)
        for a, b in zip(self.module.buffers(), module.buffers()):
            a.copy_(b)


def _read_history(losses: list[torch.Tensor], aug_losses: list[torch.Tensor | None],
                  view_stats: list[torch.Tensor]) -> tuple[list[list[float | None]], list[list[float]]]:
    """The fit's loss and view histories as Python lists, in one host read."""
    if not losses:
        return [], []
    aug = [a for a in aug_losses if a is not None]
    flat = torch.cat([torch.stack(losses).float(), torch.stack(aug).float() if aug else losses[0].new_zeros(0),
                      torch.stack(view_stats).float().flatten()]).tolist()
    n, m = len(losses), len(aug)
    it_aug = iter(flat[n:n + m])
    history = [[flat[i], next(it_aug) if a is not None else None] for i, a in enumerate(aug_losses)]
    v = flat[n + m:]
    return history, [v[3 * i:3 * i + 3] for i in range(n)]


def _batches(n: int, batch_size: int, n_iters: int, g: torch.Generator):
    """Yield index tensors of shuffled mini-batches (dropping the last incomplete one) for ``n_iters``."""
    bs = min(batch_size, n)
    it = 0
    while True:
        perm = torch.randperm(n, generator=g)
        for b in range(0, n - bs + 1, bs):
            if it >= n_iters:
                return
            yield perm[b : b + bs]
            it += 1


@torch.no_grad()
def time_aligned(encoder: nn.Module, x: torch.Tensor) -> bool:
    """Whether ``encoder`` maps ``(N, C, T)`` to per-step representations ``(N, D, T)`` of the same length
    for ``x`` and for a shorter crop of it (then TS2Vec's cropping applies)."""
    if isinstance(encoder, DilatedConvEncoder):
        return True
    try:
        full, part = encoder(x[:2]), encoder(x[:2, :, : max(2, x.shape[-1] // 2)])
    except RuntimeError:  # e.g. a fixed-length linear layer
        return False
    return full.dim() == 3 and full.shape[-1] == x.shape[-1] and part.shape[-1] == max(2, x.shape[-1] // 2)


def fit_contrastive(encoder: nn.Module, X: torch.Tensor,
                    make_view: Callable[[torch.Tensor], torch.Tensor] | None = None,
                    n_iters: int = 200, batch_size: int = 16, lr: float = 1e-3, temperature: float = 1.0,
                    local_weight: float = 0.1, local_segments: int = 16, seed: int = 0,
                    average: bool = True, mode: str = "ts2vec", timestamp_mask: float | None = None,
                    callback: Callable[[int, nn.Module], None] | None = None) -> nn.Module:
    """Train ``encoder`` contrastively on ``X`` ``(N, C, T)`` with views from ``make_view`` (e.g. a
    fixed multiaug pipeline; None: the series itself, which with ``mode="ts2vec"`` is TS2Vec: two
    crops + timestamp masking): the same objective (:func:`contrastive_loss`) and loop as AutoTCL's
    encoder step, without the augmentation network. ``callback(iteration, encoder)`` is called after
    each step with the (averaged) encoder. Returns the (averaged) encoder in eval mode."""
    if mode not in MODES:
        raise ValueError(f"mode: expected one of {MODES}, got {mode!r}")
    g = torch.Generator().manual_seed(int(seed))
    opt = torch.optim.AdamW(encoder.parameters(), lr=lr)
    avg = _Averager(encoder) if average else None
    crop = mode == "ts2vec" and time_aligned(encoder, X)
    encoder.train()
    with deterministic_convolutions(X.device):
        for it, idx in enumerate(_batches(X.shape[0], batch_size, n_iters, g)):
            x = X[idx.to(X.device)]
            with torch.no_grad():
                view = make_view(x) if make_view is not None else x
            start = host_item(torch.randint(0, 2**31 - 1, (1,), generator=g)) if local_segments else 0
            loss = contrastive_loss(encoder, x, view, temperature, local_weight, local_segments,
                                    _local_start(x.shape[-1], local_segments, start), mode, timestamp_mask, g, crop)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if avg is not None:
                avg.update(encoder)
            if callback is not None:
                callback(it + 1, avg.module if avg is not None else encoder)
    out = avg.module if avg is not None else encoder
    return out.eval()


def split_long_series(x: torch.Tensor, max_length: int | None) -> torch.Tensor:
    """``x`` ``(N, C, T)`` as windows of at most ``max_length`` steps (TS2Vec's ``max_train_length``):
    with ``T > max_length``, each series becomes ``k = ceil(T / max_length)`` windows of ``ceil(T / k)``
    steps at evenly spread starts (the first at 0, the last ending at ``T``: every step is in one),
    ``(N * k, C, ceil(T / k))``, the windows of series ``i`` at rows ``i * k .. i * k + k - 1``."""
    t = x.shape[-1]
    if max_length is None or t <= int(max_length):
        return x
    k = -(-t // int(max_length))
    size = -(-t // k)
    starts = [round(i * (t - size) / (k - 1)) for i in range(k)]
    return torch.stack([x[:, :, s : s + size] for s in starts], dim=1).flatten(0, 1)


def _local_start(t: int, segments: int, r: int) -> int:
    k = min(int(segments), t)
    if k < 1:
        return 0
    return r % (t - (t // k) * k + 1)


# --------------------------------------------------------------------------------------------------
# the augmenter
# --------------------------------------------------------------------------------------------------


@register("autotcl")
class AutoTCL(TimeSeriesAugmenter):
    """AutoTCL learned augmentation: ``fit(X)`` trains a mask/scale network with a contrastive encoder.

    When to prefer fixed views: at the reference budget (benchmarks/timeseries_autotcl.py
    --reference-budget; GunPoint, ArrowHead, ItalyPowerDemand, BasicMotions, OSULeaf, 5 seeds) AutoTCL at
    these defaults does not beat fixed views: mean probe accuracy 0.902 vs 0.906 (jitter+scaling) and
    0.905 (TS2Vec cropping), 4 points under jitter+scaling on OSULeaf, 2.3 points under TS2Vec's
    published mean; on ACSF1 (1460 steps, 5 seeds) 0.820 vs 0.872 (jitter+scaling) and 0.890 (cropping).
    Its learned scale goes to 1 and its keep rate to a bound of the mask, so the views amount to random
    time-step dropout at about 50 %; with ``mask_logits="free"`` the network learns the identity view
    instead. If you only need representations, train the same encoder with
    ``fit_contrastive(encoder, X, None)`` (TS2Vec cropping) or a fixed ``Jitter`` + ``Scaling`` view:
    as accurate or better, about 35 % cheaper, no augmentation network. ``mode="reference"`` (the
    authors' objective) lowers accuracy as it trains (GunPoint 0.980 untrained -> 0.753 after 200
    iterations); do not use it for representations. See docs/timeseries_autotcl.md.

    ``fit(X)`` (unlabelled series) alternates between the augmentation network and the encoder (see
    the module docstring). Afterwards ``aug(X)`` returns learned views ``g(x) * M(x) * x`` (a fresh
    hard-concrete mask sample per call, drawn with the instance's generator), ``encode(X)`` returns
    the encoder's ``(N, D)`` representations and ``transform(X)`` returns views or representations
    according to ``output``.

    Parameters: ``encoder`` (None = :class:`~multiaug.timeseries.encoders.DilatedConvEncoder` with
    ``output_dims``/``hidden_dims``/``depth``; or any ``nn.Module`` mapping ``(N, C, T)`` to ``(N, D)``
    or ``(N, D, T')``; it is copied, not modified; an encoder module cannot be written to a config,
    so ``save`` needs ``encoder=None``), ``aug_hidden_dims``/``aug_depth``/``aug_dims`` (augmentation
    network), ``n_iters`` (training iterations, overridden by ``epochs`` when given), ``batch_size``,
    ``lr`` (encoder), ``aug_lr`` (augmentation network), ``aug_every`` (an augmentation step every
    that many iterations), ``aug_objective`` ("mmd" or "adversarial"), ``hard_mask``,
    ``mask_temperature``, ``gumbel_bias``, ``stretch`` ((gamma, zeta) of the hard-concrete),
    ``mask_logits`` ("bounded", the authors' code: ``h(x) = sigmoid(head)`` is used as the concrete
    logit, so each step is kept with probability about 0.48-0.71 and views stay random; "free": the head
    output is the logit, which lets the MMD objective collapse the view to the identity),
    ``sparsity_threshold``/``sparsity_weight``, ``smoothness_weight``, ``local_weight``,
    ``local_segments``, ``temperature`` (InfoNCE), ``average`` (use the running average of the encoder
    weights, as the authors' SWA copy), ``output`` ("views" or "representations", for ``transform``),
    ``mode`` ("ts2vec", default: TS2Vec's hierarchical contrastive loss between random overlapping crops
    of ``x`` and of its learned view, with timestamp masking in the encoder; "reference": the authors'
    code, global InfoNCE between ``x`` and its view at ``temperature`` + ``local_weight`` * local
    InfoNCE, no cropping, no masking; ``temperature``, ``local_weight`` and ``local_segments`` apply to
    "reference" only), ``timestamp_mask`` (probability of masking a time step inside the encoder during
    training; None: 0.5 for "ts2vec", 0 for "reference"), ``max_train_length`` (TS2Vec's: ``fit`` trains
    on windows of at most that many steps, series longer than it being cut into equal, evenly spread
    windows that cover them; the "ts2vec" loss holds ``batch_size * (2 * T) ** 2`` similarities, ~6 GB at
    T = 4000; None: whole series). ``fit(X, callback=f)`` calls
    ``f(iteration, state)`` after each iteration; ``view_history_`` holds per-iteration keep rate and
    scale mean/std of the views.
    Labels pass through unchanged."""

    learned = True
    architecture_params = ("output_dims", "hidden_dims", "depth", "aug_hidden_dims", "aug_depth", "aug_dims")

    def __init__(self, encoder: nn.Module | None = None, output_dims: int = 320, hidden_dims: int = 64, depth: int = 10,
                 aug_hidden_dims: int = 64, aug_depth: int = 3, aug_dims: int = 16, n_iters: int = 200,
                 epochs: int | None = None, batch_size: int = 8, lr: float = 1e-3, aug_lr: float = 1e-2,
                 aug_every: int = 1, aug_objective: str = "mmd", hard_mask: bool = True, mask_temperature: float = 1.0,
                 gumbel_bias: float = 0.001, stretch: tuple[float, float] = (-0.05, 1.0),
                 mask_logits: str = "bounded", sparsity_threshold: float = 0.4, sparsity_weight: float = 0.001, smoothness_weight: float = 0.001,
                 local_weight: float = 0.1, local_segments: int = 16, temperature: float = 1.0, average: bool = True,
                 output: str = "views", mode: str = "ts2vec", timestamp_mask: float | None = None,
                 max_train_length: int | None = 3000, **kwargs: Any):
        self.encoder = encoder
        self.output_dims = output_dims
        self.hidden_dims = hidden_dims
        self.depth = depth
        self.aug_hidden_dims = aug_hidden_dims
        self.aug_depth = aug_depth
        self.aug_dims = aug_dims
        self.n_iters = n_iters
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.aug_lr = aug_lr
        self.aug_every = aug_every
        self.aug_objective = aug_objective
        self.hard_mask = hard_mask
        self.mask_temperature = mask_temperature
        self.gumbel_bias = gumbel_bias
        self.stretch = stretch
        self.mask_logits = mask_logits
        self.sparsity_threshold = sparsity_threshold
        self.sparsity_weight = sparsity_weight
        self.smoothness_weight = smoothness_weight
        self.local_weight = local_weight
        self.local_segments = local_segments
        self.temperature = temperature
        self.average = average
        self.output = output
        self.mode = mode
        self.timestamp_mask = timestamp_mask
        self.max_train_length = max_train_length
        super().__init__(**kwargs)

    # ---- validation ------------------------------------------------------------------------------

    _parameter_constraints = {
        "encoder": [None, InstanceOf(nn.Module, "a torch.nn.Module")],
        **{name: [Interval(Integral, 1, None)] for name in (
            "output_dims", "hidden_dims", "depth", "aug_hidden_dims", "aug_depth", "aug_dims", "n_iters",
            "batch_size", "aug_every", "local_segments")},
        "epochs": [None, Interval(Integral, 1, None)],
        **{name: [Interval(Real, 0, None, closed="neither")] for name in ("lr", "aug_lr", "mask_temperature", "temperature")},
        **{name: [Interval(Real, 0, None)] for name in (
            "sparsity_threshold", "sparsity_weight", "smoothness_weight", "local_weight")},
        "gumbel_bias": [Interval(Real, 0, 0.5, closed="left")],
        "stretch": [Satisfies(lambda st: isinstance(st, (list, tuple)) and len(st) == 2 and st[0] <= 0 < 1 <= st[1],
                              "a (gamma, zeta) pair with gamma <= 0 and zeta >= 1")],
        "aug_objective": [Options("mmd", "adversarial")],
        "mask_logits": [Options("bounded", "free")],
        "output": [Options("views", "representations")],
        "mode": [Options(*MODES)],
        "timestamp_mask": [None, Interval(Real, 0, 1, closed="left")],
        "max_train_length": [None, Interval(Integral, 2, None)],
        "hard_mask": [Boolean()],
        "average": [Boolean()],
    }

    # ---- networks --------------------------------------------------------------------------------

    def _new_encoder(self, n_channels: int, device: Any, g: torch.Generator | None) -> nn.Module:
        if self.encoder is not None:
            return copy.deepcopy(self.encoder).to(device)
        return build_module(
            lambda: DilatedConvEncoder(n_channels, int(self.output_dims), int(self.hidden_dims), int(self.depth)), device, g
        )

    def _new_aug_net(self, n_channels: int, device: Any, g: torch.Generator | None) -> nn.Module:
        return build_module(
            lambda: AugmentationNet(n_channels, int(self.aug_hidden_dims), int(self.aug_depth), int(self.aug_dims)),
            device, g,
        )

    def _build_fitted_modules(self, meta: dict[str, Any]) -> dict[str, nn.Module]:
        c = int(meta["n_channels_"])
        return {"encoder_": self._new_encoder(c, "cpu", None), "aug_net_": self._new_aug_net(c, "cpu", None)}

    def _weight(self, raw: torch.Tensor) -> torch.Tensor:
        """``h(x)`` from the mask head's raw output: the logit of the concrete distribution."""
        return torch.sigmoid(raw) if self.mask_logits == "bounded" else raw

    def _mask(self, raw: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        gamma, zeta = map(float, self.stretch)
        return hard_concrete(self._weight(raw), u, float(self.mask_temperature), gamma, zeta, bool(self.hard_mask))

    def _draw_u(self, shape: tuple[int, ...], device: torch.device, g: torch.Generator | None = None) -> torch.Tensor:
        b = float(self.gumbel_bias)
        if g is None:
            u = torch.rand(shape, generator=self.generator(device), device=device, dtype=torch.float32)
        else:  # the fitting stream lives on the CPU
            u = torch.rand(shape, generator=g, dtype=torch.float32).to(device)
        return (b + (1 - 2 * b) * u).clamp(1e-6, 1 - 1e-6)

    def _view(self, x: torch.Tensor, u: torch.Tensor, aug_net: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        logits, scale = aug_net(x)
        return scale * self._mask(logits, u) * x, logits

    # ---- fitting ---------------------------------------------------------------------------------

    def fit(self, X: Any, y: Any = None, callback: Callable[[int, dict[str, Any]], None] | None = None,
            **fit_params: Any) -> "AutoTCL":
        """Train the augmentation network and the encoder on unlabelled series ``X`` (``y`` is ignored).

        ``callback(iteration, state)``, when given, is called after every iteration with ``state`` holding
        ``encoder`` (the averaged encoder when ``average``), ``aug_net``, the batch ``x`` and its ``view``
        (for diagnostics; it must not modify them). ``lengths`` is not taken: the networks train on whole
        series (fit on equal-length series)."""
        _refuse_fit_lengths(self, fit_params)
        if fit_params:
            raise TypeError(f"AutoTCL.fit: unexpected keyword argument(s) {sorted(fit_params)}; it takes X, y "
                            "(ignored) and callback")
        self._ensure_valid()
        x_all, _ = self._to_internal(X)
        x_all = x_all.float()
        n, c, t = x_all.shape
        if n < 2:
            raise ValueError(f"X: AutoTCL.fit needs at least 2 series (contrastive negatives), got {n}")
        x_all = split_long_series(x_all, self.max_train_length)
        n, c, t = x_all.shape
        dev = x_all.device
        # fitting draws from its own stream (derived from the seed), so that the augmentation stream
        # of a fitted instance and of one saved and loaded again are the same
        g_cpu = torch.Generator().manual_seed((self.generator("cpu").initial_seed() + 0x9E3779B97F4A7C15) % 2**63)
        encoder = self._new_encoder(c, dev, g_cpu)
        aug_net = self._new_aug_net(c, dev, g_cpu)
        opt = torch.optim.AdamW(encoder.parameters(), lr=float(self.lr))
        aug_opt = torch.optim.AdamW(aug_net.parameters(), lr=float(self.aug_lr))
        avg = _Averager(encoder) if self.average else None
        bs = min(int(self.batch_size), n)
        n_iters = int(self.n_iters) if self.epochs is None else int(self.epochs) * max(n // bs, 1)
        # per-iteration figures stay on the device and are read once after the loop (no sync per step)
        losses: list[torch.Tensor] = []
        aug_losses: list[torch.Tensor | None] = []
        view_stats: list[torch.Tensor] = []
        crop = self.mode == "ts2vec" and time_aligned(encoder, x_all)
        with deterministic_convolutions(dev):
            for it, idx in enumerate(_batches(n, bs, n_iters, g_cpu)):
                x = x_all[idx.to(dev)]
                aug_loss = None
                if it % int(self.aug_every) == 0:
                    aug_loss = self._aug_step(encoder, aug_net, aug_opt, x, g_cpu)
                aug_net.eval()
                encoder.train()
                with torch.no_grad():
                    logits, scale = aug_net(x)
                    keep = self._mask(logits, self._draw_u((x.shape[0], 1, t), dev, g_cpu))
                    view = scale * keep * x
                start = _local_start(t, int(self.local_segments), host_item(torch.randint(0, 2**31 - 1, (1,), generator=g_cpu)))
                loss = contrastive_loss(encoder, x, view, float(self.temperature), float(self.local_weight),
                                        int(self.local_segments), start, self.mode, self.timestamp_mask, g_cpu, crop)
                opt.zero_grad()
                loss.backward()
                opt.step()
                if avg is not None:
                    avg.update(encoder)
                losses.append(loss.detach())
                aug_losses.append(aug_loss)
                view_stats.append(torch.stack((keep.float().mean(), scale.mean(),
                                               scale.std() if scale.numel() > 1 else scale.new_zeros(()))))
                if callback is not None:
                    callback(it + 1, {"encoder": avg.module if avg is not None else encoder, "aug_net": aug_net,
                                      "x": x, "view": view})
        history, views = _read_history(losses, aug_losses, view_stats)
        final = avg.module if avg is not None else encoder
        final.requires_grad_(False)
        aug_net.requires_grad_(False)
        self.encoder_ = final.eval()
        self.aug_net_ = aug_net.eval()
        self.n_channels_ = int(c)
        self.n_iter_ = len(history)
        self.loss_history_ = history
        self.view_history_ = views
        self._record_architecture()
        return self

    def _aug_step(self, encoder: nn.Module, aug_net: nn.Module, aug_opt: torch.optim.Optimizer, x: torch.Tensor,
                  g: torch.Generator) -> torch.Tensor:
        encoder.eval()
        aug_net.train()
        encoder.requires_grad_(False)
        try:
            view, logits = self._view(x, self._draw_u((x.shape[0], 1, x.shape[-1]), x.device, g), aug_net)
            zx, zv = pool(encoder(x)), pool(encoder(view))
            if self.aug_objective == "adversarial":
                loss = -info_nce(zx, zv, float(self.temperature))
            else:
                keep = torch.sigmoid(logits)  # h(x), the authors' weight_h, in both mask_logits modes
                sparsity = torch.relu(keep.mean() - float(self.sparsity_threshold))
                smooth = (keep[:, :, 1:] - keep[:, :, :-1]).abs().mean() if keep.shape[-1] > 1 else keep.new_zeros(())
                loss = mmd(zx, zv) + float(self.sparsity_weight) * sparsity + float(self.smoothness_weight) * smooth
            aug_opt.zero_grad()
            loss.backward()
            aug_opt.step()
        finally:
            encoder.requires_grad_(True)
        return loss.detach()

    # ---- augmenting ------------------------------------------------------------------------------

    def _sample(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> Params:
        self._check_channels(x)
        return {"u": self._draw_u((x.shape[0], 1, x.shape[-1]), x.device)}

    def _check_channels(self, x: torch.Tensor) -> None:
        if x.shape[1] != self.n_channels_:
            raise ValueError(f"x: AutoTCL was fitted on {self.n_channels_} channels, got {x.shape[1]}"
                             f"{_transposed_hint(self, x, channels=self.n_channels_)}")

    @torch.no_grad()
    def _apply(self, x: torch.Tensor, params: Params) -> torch.Tensor:
        self._check_channels(x)
        net = self.aug_net_.to(x.device)
        u = params["u"].to(x.device)
        lengths = params.get("lengths")
        if lengths is None:
            view, _ = self._view(x.float(), u, net)
            return view.to(x.dtype)
        # the network's convolutions would read the padding near each series' end: run it on the valid
        # steps of each group of equal-length series (the padding is neither read nor changed)
        return F.by_length(x, lengths, lambda n, xg, ug: self._view(xg.float(), ug[:, :, :n], net)[0], u)

    @torch.no_grad()
    def mask(self, X: Any, params: Params | None = None) -> Any:
        """The learned keep-mask ``M`` ``(N, T)`` for ``X`` (a fresh sample unless ``params`` is given).
        Returns a NumPy array for NumPy input, a tensor otherwise (as ``aug(X)`` and :meth:`encode`)."""
        self._check_fitted()
        x, ctx = self._to_internal(X)
        self._check_channels(x)
        if params is not None:
            self._check_drawn_for(x, params, "X", channels=False)
        params = params if params is not None else self._sample(x)
        logits, _ = self.aug_net_.to(x.device)(x.float())
        m = self._mask(logits, params["u"].to(x.device))[:, 0]
        return m.detach().cpu().numpy() if ctx.kind == "numpy" else m

    @torch.no_grad()
    def encode(self, X: Any, batch_size: int = 256) -> Any:
        """Series representations ``(N, D)`` from the trained encoder (max-pooled over time). Returns a
        NumPy array for NumPy input, a tensor otherwise."""
        self._check_fitted()
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"AutoTCL.encode: batch_size must be an integer >= 1, got {batch_size!r}")
        x, ctx = self._to_internal(X)
        self._check_channels(x)
        enc = self.encoder_.to(x.device).eval()
        out = torch.cat([pool(enc(x[i : i + batch_size].float())) for i in range(0, x.shape[0], batch_size)])
        return out.cpu().numpy() if ctx.kind == "numpy" else out

    # the scikit-learn faces, as every augmenter shows them (multiaug.core.sklearn): imblearn's Pipeline
    # refuses a step with both transform and fit_resample, so transform is absent where it asks
    # (the default "auto" face) and after set_sklearn_api("sampler")

    @available_if(_shows_transform)
    def transform(self, X: Any) -> Any:
        """Learned views (``output="views"``) or representations (``output="representations"``).
        Absent to imblearn's Pipeline unless ``set_sklearn_api("transformer")`` (there the augmenter is a
        sampler: ``fit_resample``)."""
        if self.output == "representations":
            return self.encode(X)
        return self(X)

    @available_if(_shows_fit_resample)
    def fit_resample(self, X: Any, y: Any, **fit_params: Any) -> tuple[Any, Any]:
        """Fit, then the originals followed by ``n_aug`` learned views of each (imblearn sampler; in an
        ``imblearn.pipeline.Pipeline`` at fit time only). With ``output="representations"`` it is refused:
        it gives series, not representations; use the encoder as a Pipeline step with
        ``set_sklearn_api("transformer")`` (``transform`` then gives ``encode(X)`` at fit and predict time)."""
        if self.output == "representations":
            raise ValueError(
                "AutoTCL.fit_resample: output='representations', but fit_resample returns series (the originals and "
                "their learned views), not representations; to use the encoder as a feature extractor in a Pipeline "
                "call aug.set_sklearn_api('transformer') (transform then returns encode(X), at fit and predict time); "
                "for augmented training series set output='views'"
            )
        return super().fit_resample(X, y, **fit_params)
