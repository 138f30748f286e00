"""Time-series kernels: pure functions of a ``(N, C, T)`` tensor and explicit random parameters.

Nothing here draws random numbers except the ``draw_*`` helpers, which take an explicit
``torch.Generator``. Every kernel is vectorised over the batch (no Python loop over series) and runs
on the input's device.

Time-axis operations (warps, crops, permutation, reversal) are expressed as a *source position map*
``pos`` of shape ``(N, T)``: output step ``t`` of series ``i`` reads the input at (fractional) time
``pos[i, t]``. :func:`resample` applies such a map with linear interpolation (series) or nearest
neighbour (masks / segmentation labels, any dtype), so one map can be replayed on paired data.

Position maps are float32 for float32 (and half) series and float64 for float64 series (pass
``dtype=``; :func:`pos_dtype` picks it): a float64 series at an identity setting (``WindowSlice(
reduce_ratio=1)``, ``TimeWarp(max_speed_ratio=1)``...) gets integer positions exactly and comes back
unchanged, where float32 positions moved its values by ~1e-6.

Variable lengths: ``lengths`` is an ``(N,)`` integer tensor (valid steps per series, the rest is
padding at the end). Maps built with ``lengths`` act on ``[0, lengths[i])`` only and leave the padding
where it is (``pos[i, t] = t`` for ``t >= lengths[i]``).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch

from ..core.hostreads import host_reads_cheap

# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------


def valid_mask(lengths: torch.Tensor | None, n: int, t: int, device: torch.device) -> torch.Tensor | None:
    """``(N, T)`` bool, True on valid steps (None when every series has full length)."""
    if lengths is None:
        return None
    return torch.arange(t, device=device)[None, :] < lengths.to(device)[:, None]


def keep_padding(out: torch.Tensor, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Put ``x``'s padding (steps past ``lengths``) back into ``out``."""
    if lengths is None:
        return out
    m = valid_mask(lengths, x.shape[0], x.shape[-1], x.device)
    return torch.where(m[:, None, :], out, x.to(out.dtype))


def length_groups(lengths: torch.Tensor) -> list[tuple[int, torch.Tensor]]:
    """``(length, rows)`` for each distinct length of ``lengths`` ``(N,)``, shortest first: ``rows`` are
    the indices of the series of that length (one host read for the whole batch: the lengths, copied to
    the host and counted there; a device ``unique`` would wait once more for its size)."""
    order, groups = length_order(lengths)
    return [(n, order[a:b]) for n, a, b in groups]


def length_order(lengths: torch.Tensor) -> tuple[torch.Tensor, list[tuple[int, int, int]]]:
    """``(order, groups)``: ``order`` sorts the series by length (stable), and each group
    ``(length, start, stop)`` is the run ``order[start:stop]`` of series of one length, shortest first
    (one host read, as :func:`length_groups`)."""
    values, counts = np.unique(lengths.cpu().numpy(), return_counts=True)
    order = torch.argsort(lengths, stable=True)
    stops = np.cumsum(counts).tolist()
    return order, [(n, stop - k, stop) for n, k, stop in zip(values.tolist(), counts.tolist(), stops)]


class _Sorted:
    """A batch's series sorted by length (:func:`length_order`), for kernels that run once per length:
    ``take`` gathers per-series data in that order, so that each group is a slice, and ``back`` puts
    rows given in that order back in the batch's own (one gather and one put for the whole batch,
    instead of one per length). One length: the order is the batch's own (a stable sort of equal
    values), so nothing is gathered or put back."""

    def __init__(self, lengths: torch.Tensor):
        self.order, self.groups = length_order(lengths)
        self.identity = len(self.groups) == 1

    def take(self, t: torch.Tensor) -> torch.Tensor:
        return t if self.identity else t[self.order.to(t.device)]

    def back(self, t: torch.Tensor) -> torch.Tensor:
        if self.identity:
            return t
        out = torch.empty_like(t)
        out[self.order.to(t.device)] = t
        return out


#: elements of a batch per length from which :func:`by_length` reads each length's series by one gather
#: and writes them by one put (below: the batch sorted by length once, each group a slice; measured on
#: the CPU, N=2000 C=3 T=512: the sorted batch costs ~5 % at 2-8 lengths and saves ~8 % at 128, ~15 %
#: when every series has its own length)
_GATHER_PER_GROUP = 100_000


def by_length(x: torch.Tensor, lengths: torch.Tensor, fn, *rowwise: torch.Tensor) -> torch.Tensor:
    """``x`` with the valid part of each group of equal-length series replaced by ``fn(L, xg, *rg)``,
    where ``xg`` ``(G, C, L)`` holds those series' first ``L`` steps and each ``rg`` the same rows of the
    matching ``rowwise`` tensor (per-series data: masks, draws): for kernels whose result depends on the
    length they run over (spectra, networks). The padding is ``x``'s; nothing past a series' length is
    passed to ``fn``. One length: no gather; many small groups (up to one per series): the batch is
    sorted by length once and each group read as a slice."""
    lengths = lengths.to(x.device)
    srt = _Sorted(lengths)
    rowwise = tuple(r.to(x.device) for r in rowwise)
    if srt.identity or x.numel() >= _GATHER_PER_GROUP * len(srt.groups):
        out = x.clone()
        for n, a, b in srt.groups:
            rows = slice(None) if srt.identity else srt.order[a:b]
            out[rows, :, :n] = fn(n, x[rows, :, :n], *(r[rows] for r in rowwise)).to(out.dtype)
        return out
    xs = srt.take(x)  # a fresh copy: each group's valid part is written over in place
    rs = [srt.take(r) for r in rowwise]
    for n, a, b in srt.groups:
        part = xs[a:b, :, :n]
        part.copy_(fn(n, part, *(r[a:b] for r in rs)))
    return srt.back(xs)


def partner_pos(perm: torch.Tensor, lengths: torch.Tensor, t: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(N, T)`` positions in series ``perm[i]`` at which series ``i`` reads its partner: the partner's
    valid part ``[0, lengths[perm[i]] - 1]`` stretched or shrunk over ``[0, lengths[i] - 1]`` (first step
    on first step, last on last; exactly ``t`` for a partner of the same length), clamped to the
    partner's last valid step past ``lengths[i]``."""
    dev = perm.device
    lengths = lengths.to(dev)
    last = (lengths[perm] - 1).to(dtype)[:, None]
    ratio = last / (lengths - 1).clamp_min(1).to(dtype)[:, None]
    return torch.minimum(_steps(t, dev, dtype) * ratio, last)


def partner_series(x: torch.Tensor, perm: torch.Tensor, lengths: torch.Tensor, mode: str | None = None) -> torch.Tensor:
    """``(N, C, T)``: row ``i`` holds its partner ``x[perm[i]]``'s valid part read at :func:`partner_pos`
    (linear interpolation, :func:`resample`; ``mode="nearest"``, the default for integer/bool ``x`` such
    as masks, takes the nearest step). Its valid steps never read a partner's padding, and a partner of
    the same length is read exactly as it is (when every partner is, on the CPU, the batch is gathered
    and not resampled). Steps past row ``i``'s own length are not the mix's (the partner's last valid
    step repeated, or its own padding when every partner has its series' length): put row ``i``'s
    padding back (:func:`keep_padding`)."""
    perm = perm.to(x.device)
    lengths = lengths.to(x.device)
    part = x[perm]
    same = lengths[perm] == lengths
    if host_reads_cheap(x.device) and bool(same.all()):
        return part  # every partner as long as its series: read as it is (what the resampling gives them)
    pos = partner_pos(perm, lengths, x.shape[-1], pos_dtype(x))
    if mode is None:
        mode = "linear" if x.is_floating_point() else "nearest"
    if mode == "nearest" or not x.is_floating_point():
        return _read_steps(part, pos)
    # (resample reads the partner's last valid step for its first padding step: a position a rounding
    # error past the end reads no padding)
    out = resample(part, pos, "linear", lengths[perm])
    if x.dtype == torch.float32:  # grid_sample moves whole steps by ~1 ulp: the same length, read as it is
        out = torch.where(same[:, None, None], part, out)
    return out


def pos_dtype(x: torch.Tensor) -> torch.dtype:
    """The dtype of the position maps (and curves) built for series ``x``: float64 for float64 series
    (so that identity maps are exact), float32 otherwise (speed)."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def _span(lengths: torch.Tensor | None, n: int, t: int, device: torch.device,
          dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(N, 1)`` float: last valid index per series (``T - 1`` when no lengths)."""
    if lengths is None:
        return torch.full((n, 1), float(t - 1), device=device, dtype=dtype)
    return (lengths.to(device).to(dtype) - 1.0)[:, None]


def _finish_pos(pos_valid: torch.Tensor, lengths: torch.Tensor | None, t: int) -> torch.Tensor:
    """Identity on the padding, ``pos_valid`` on valid steps."""
    if lengths is None:
        return pos_valid
    ar = torch.arange(t, device=pos_valid.device, dtype=pos_valid.dtype).expand_as(pos_valid)
    m = valid_mask(lengths, pos_valid.shape[0], t, pos_valid.device)
    return torch.where(m, pos_valid, ar)


def _unit_grid(n: int, t: int, lengths: torch.Tensor | None, device: torch.device,
               dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """``(N, T)`` output positions scaled to [0, 1] over each series' valid part (a ``(1, T)`` row,
    broadcast by the caller, when every series has full length)."""
    if lengths is None:
        return (torch.arange(t, device=device, dtype=dtype) / max(t - 1, 1)).clamp_(0.0, 1.0)[None, :]
    span = _span(lengths, n, t, device, dtype)
    ar = torch.arange(t, device=device, dtype=dtype)[None, :]
    return (ar / span.clamp_min(1.0)).clamp(0.0, 1.0)


def _steps(t: int, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """``(1, T)`` output steps ``0 .. T - 1`` (exact integers: maps built on them are exact at identity
    settings, where ``(t / span) * span`` is not)."""
    return torch.arange(t, device=device, dtype=dtype)[None, :]


def _basis(k: int, t: int, mode: str, device, dtype) -> torch.Tensor:
    """``(K, T)`` interpolation weights: row ``j`` is the curve through the ``j``-th unit knot (cached
    per shape, mode, device and dtype: building it is most of a small call's cost; read-only). Large
    bases (over ``_BASIS_CACHE_MAX`` entries, long series) are built each time: a cache of them could
    hold gigabytes of device memory, and their build cost is small next to the call's own work."""
    if int(k) * int(t) > _BASIS_CACHE_MAX:
        with torch.no_grad():
            return _build_basis(int(k), int(t), mode, torch.device(device), dtype)
    return _basis_cached(int(k), int(t), mode, torch.device(device), dtype)


_BASIS_CACHE_MAX = 1 << 18  # entries: 1 MiB in float32; 64 such bases at most


@functools.lru_cache(maxsize=64)
def _basis_cached(k: int, t: int, mode: str, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    # a plain tensor even when first built under torch.inference_mode, so later autograd use is allowed
    with torch.inference_mode(False), torch.no_grad():
        return _build_basis(k, t, mode, device, dtype)


def _build_basis(k: int, t: int, mode: str, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    eye = torch.eye(k, device=device, dtype=torch.float32)
    if mode == "bicubic":
        w = torch.nn.functional.interpolate(eye.reshape(k, 1, 1, k), size=(1, t), mode="bicubic", align_corners=True)
    else:
        w = torch.nn.functional.interpolate(eye.reshape(k, 1, k), size=t, mode="linear", align_corners=True)
    return w.reshape(k, t).to(dtype)


def _curve(knots: torch.Tensor, t: int, mode: str) -> torch.Tensor:
    n, c, k = knots.shape
    dtype = knots.dtype if knots.dtype in (torch.float32, torch.float64) else torch.float32
    if k == 1:
        return knots.to(dtype).expand(n, c, t).clone()
    # interpolation is linear in the knots: one small matrix product for the whole batch. It runs on
    # the knots minus the first one, added back after: the basis rows sum to 1 only up to rounding,
    # so equal knots (an identity setting: speed 1, factor 1) give exactly that constant
    flat = knots.reshape(n * c, k).to(dtype)
    first = flat[:, :1]
    out = torch.addmm(first, flat - first, _basis(k, t, mode, knots.device, dtype))
    return out.reshape(n, c, t)


def smooth_curve(knots: torch.Tensor, t: int) -> torch.Tensor:
    """Cubic (Keys/bicubic) interpolation of knot values ``(N, C, K)`` at ``t`` evenly spaced points
    (first and last knots on the first and last step) -> ``(N, C, T)``. Smooth (C1) and vectorised."""
    return _curve(knots, t, "bicubic")


def linear_curve(knots: torch.Tensor, t: int) -> torch.Tensor:
    """Piecewise-linear interpolation of ``(N, C, K)`` knots at ``t`` evenly spaced points."""
    return _curve(knots, t, "linear")


def resample(x: torch.Tensor, pos: torch.Tensor, mode: str | None = None,
             lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Read ``x`` (``(N, C, T)``, any dtype) at source positions ``pos`` (``(N, T_out)``).

    ``mode='linear'`` (default for floating ``x``) interpolates between neighbouring steps;
    ``mode='nearest'`` (default for integer/bool ``x``: masks, segmentation labels) rounds the
    position, so labels stay labels. Positions are clamped to ``[0, T - 1]``. A float64 (or half,
    bfloat16, integer) series is read exactly at whole-step positions, so an identity map returns it
    unchanged; a float32 one may move there by ~1e-6 of its values (one grid_sample pass, no check).

    ``lengths`` (``(N,)``, valid steps per series, for maps that read ``[0, lengths[i] - 1]`` only,
    as the ``*_pos`` maps built with lengths do on valid steps): linear interpolation at the last valid
    step also reads the first padding step, with weight 0 up to rounding (grid_sample's coordinates,
    a warp's end: a weight of ~1e-7 moved the valid steps with the padding's value), and ``0 * NaN`` is
    NaN; that step is read as the last valid value instead, so the valid steps do not depend on the
    padding (finite or NaN, as ``sample``/``apply`` take it)."""
    n, c, t = x.shape
    if mode is None:
        mode = "linear" if x.is_floating_point() else "nearest"
    if mode not in ("linear", "nearest"):
        raise ValueError(f"mode must be 'linear' or 'nearest', got {mode!r}")
    if mode == "nearest":
        return _read_steps(x, pos.to(x.device))
    if lengths is not None and x.is_floating_point():
        x = _last_past_lengths(x, lengths)
    pdt = torch.float64 if x.dtype == torch.float64 or pos.dtype == torch.float64 else torch.float32
    pos = pos.to(x.device, pdt)
    if x.dtype != torch.float32 or t == 1:  # (float32: grid_sample's border padding clamps, one pass less)
        pos = pos.clamp(0.0, float(t - 1))
    if x.dtype not in (torch.float32, torch.float64) or t == 1:
        return _lerp_steps(x, pos)
    # grid_sample reads all channels at each position in one vectorised pass (float64 too: 2-5x faster
    # on the CPU than two gathers and a lerp). The input has height 1, so with align_corners=True any y
    # coordinate maps to row 0: the grid is the x column expanded to (x, x) (no copy; torch.stack of
    # (x, 0) costs ~10x more)
    gx = pos.to(x.dtype).mul(2.0 / (t - 1)).sub_(1.0)
    grid = gx[:, None, :, None].expand(n, 1, gx.shape[1], 2)
    out = torch.nn.functional.grid_sample(
        x[:, :, None, :], grid, mode="bilinear", padding_mode="border", align_corners=True,
    )[:, :, 0, :]
    if x.dtype != torch.float64:
        return out
    # its normalised coordinates round-trip through (pos * 2 / (T - 1) - 1): a whole step comes back
    # off by ~1e-13. float64 series read those steps exactly (an identity map returns the series
    # unchanged; float32 ones move by ~1e-6 there, the price of one pass without the check)
    whole = pos == pos.floor()
    if not host_reads_cheap(x.device) or out.numel() <= _SMALL_READ:
        # (one select, no host read; on the CPU, for a small batch, cheaper than the sparse copy below)
        return torch.where(whole[:, None, :], _read_steps(x, pos), out)
    count = int(whole.sum())
    if count == 0:
        return out
    if count == whole.numel():
        return _read_steps(x, pos)
    # the few whole steps (a warp's ends, a window clamped at the last step) through flat indices: an
    # index_put with the channel slice between two index tensors costs ~10x more
    i, j = whole.nonzero(as_tuple=True)
    chan = torch.arange(c, device=x.device)
    rows = (i * c)[:, None] + chan                       # (K, C) rows of out / x viewed as (N * C, steps)
    src = x.reshape(-1).index_select(0, (rows * t + pos[i, j].long()[:, None]).reshape(-1))
    out = out.contiguous()
    out.view(-1).index_copy_(0, (rows * out.shape[-1] + j[:, None]).reshape(-1), src)
    return out


#: output size up to which resample fixes a float64 batch's whole steps with one select (same values)
_SMALL_READ = 1 << 14


def _last_past_lengths(x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """``x`` with its first padding step (step ``lengths[i]``: the right neighbour that linear
    interpolation reads at the last valid step, with weight 0 up to rounding) set to the last valid
    step's values: one gather and one scatter of ``(N, C)`` values. A position a rounding error past the
    last valid step (grid_sample's normalised coordinates, a warp's end) then reads the last valid value,
    never the padding: the valid steps do not depend on what the padding holds (finite or not)."""
    n, c, t = x.shape
    lengths = lengths.to(x.device)
    nxt = lengths.clamp(max=t - 1)[:, None, None].expand(n, c, 1)
    last = x.gather(2, (lengths - 1).clamp(min=0)[:, None, None].expand(n, c, 1))
    # (a series without padding: its last step, written with its own value)
    return x.scatter(2, nxt, torch.where((lengths < t)[:, None, None], last, x.gather(2, nxt)))


def _read_steps(x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """``x`` read at the nearest step of each position (one gather with a per-series index shared by
    all channels; round half to even, like grid_sample)."""
    n, c, t = x.shape
    idx = (pos if pos.dtype == torch.float64 else pos.float()).clamp(0.0, float(t - 1)).round().long()
    return x.gather(2, idx[:, None, :].expand(n, c, idx.shape[1]))


def _lerp_steps(x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
    """Linear interpolation by two gathers (half/bfloat16/integer series and single steps): exact where
    a position is a whole step. ``pos`` is clamped to ``[0, T - 1]``."""
    n, c, t = x.shape
    i0 = pos.floor().long()
    w = (pos - i0.to(pos.dtype)).to(x.dtype if x.is_floating_point() else pos.dtype)[:, None, :]
    # read through flat indices with index_select (a gather with the per-series index expanded over the
    # channels, stride 0, is ~5x slower on the CPU); at the last step the right neighbour is the step
    # itself (its weight is 0 there)
    m = pos.shape[1]
    flat = x.reshape(-1)
    base = (torch.arange(n * c, device=x.device) * t).view(n, c, 1)
    a = flat.index_select(0, (i0[:, None, :] + base).reshape(-1)).view(n, c, m)
    b = flat.index_select(0, ((i0 + 1).clamp_(max=t - 1)[:, None, :] + base).reshape(-1)).view(n, c, m)
    if a.is_floating_point():
        return torch.lerp(a, b, w.expand_as(a))
    return (a + w * (b - a)).round_().to(x.dtype)  # integer series: the nearer value of the line


# --------------------------------------------------------------------------------------------------
# random draws (explicit generator)
# --------------------------------------------------------------------------------------------------


def draw_uniform(shape, low, high, g: torch.Generator, device) -> torch.Tensor:
    return float(low) + (float(high) - float(low)) * torch.rand(shape, generator=g, device=device, dtype=torch.float32)


def draw_range(value, n: int, g: torch.Generator, device) -> torch.Tensor:
    """``(n,)`` float: ``value`` repeated, or drawn uniformly per series when ``value`` is (low, high)."""
    if isinstance(value, (list, tuple)):
        return draw_uniform((n,), value[0], value[1], g, device)
    return torch.full((n,), float(value), device=device, dtype=torch.float32)


def draw_bernoulli(shape, rate: float, g: torch.Generator, device) -> torch.Tensor:
    """Bool tensor of ``shape`` with independent Bernoulli(``rate``) entries.

    For small rates on the CPU the True entries are placed by geometric gaps (the gaps between
    successive successes of Bernoulli trials are independent Geometric(rate)), which draws about
    ``rate * numel`` numbers instead of one uniform per entry; the distribution is the same."""
    device = torch.device(device)
    rate = float(rate)
    m = math.prod(shape)
    if rate <= 0.0 or m == 0:
        return torch.zeros(shape, dtype=torch.bool, device=device)
    if rate >= 1.0:
        return torch.ones(shape, dtype=torch.bool, device=device)
    if rate > 0.2 or not host_reads_cheap(device):  # the gap walk reads its last position each pass
        return torch.rand(shape, generator=g, device=device, dtype=torch.float32) < rate
    mask = torch.zeros(m, dtype=torch.bool, device=device)
    log_q = math.log1p(-rate)
    mean = m * rate
    k = int(mean + 6.0 * math.sqrt(mean) + 16)
    last = -1
    while True:  # one pass almost always; more only when the draws fall short of the end
        u = torch.rand(k, generator=g, device=device, dtype=torch.float64)
        gaps = torch.floor(torch.log1p(-u) / log_q).clamp_(max=float(m)).long() + 1
        pos = torch.cumsum(gaps, 0).add_(last)
        mask[pos[pos < m]] = True
        end = int(pos[-1])
        if end >= m:
            return mask.view(shape)
        last = end


def _gamma_parts(alpha: torch.Tensor, g: torch.Generator, tries: int) -> tuple[torch.Tensor, ...]:
    """The draws of :func:`draw_gamma`: ``(sample, ub, a, boost)``, the Gamma(``a1``) sample, the boost
    uniform, ``alpha`` as float32 and where the boost applies (``Gamma(a) = sample * ub ** (1 / a)``)."""
    dev = alpha.device
    a = alpha.float()
    boost = a < 1
    a1 = torch.where(boost, a + 1.0, a)
    d = a1 - 1.0 / 3.0
    c = 1.0 / torch.sqrt(9.0 * d)
    shape = (tries,) + tuple(a.shape)
    z = torch.randn(shape, generator=g, device=dev, dtype=torch.float32)
    u = torch.rand(shape, generator=g, device=dev, dtype=torch.float32)
    v = (1.0 + c * z) ** 3
    ok = (v > 0) & (torch.log(u.clamp_min(1e-30)) < 0.5 * z * z + d - d * v + d * torch.log(v.clamp_min(1e-30)))
    # first accepted try (the acceptance rate is > 95%, so 16 tries all failing is ~1e-21)
    first = torch.where(ok.any(0), ok.float().argmax(0), torch.zeros_like(a, dtype=torch.long))
    vv = v.gather(0, first[None]).squeeze(0)
    sample = torch.where(ok.any(0), d * vv, d)
    ub = torch.rand(a.shape, generator=g, device=dev, dtype=torch.float32).clamp_min(1e-30)
    return sample, ub, a, boost


def draw_gamma(alpha: torch.Tensor, g: torch.Generator, tries: int = 16) -> torch.Tensor:
    """Gamma(alpha, 1) samples (one per entry of ``alpha``) with Marsaglia–Tsang, vectorised, from an
    explicit generator (``torch.distributions`` only uses the global RNG). ``alpha < 1`` uses the
    boost ``Gamma(alpha + 1) * U ** (1 / alpha)``."""
    sample, ub, a, boost = _gamma_parts(alpha, g, tries)
    return torch.where(boost, sample * ub ** (1.0 / a), sample)


def draw_beta(alpha: float, beta: float, n: int, g: torch.Generator, device) -> torch.Tensor:
    """``(n,)`` Beta(alpha, beta) samples from an explicit generator.

    The ratio ``Ga / (Ga + Gb)`` is taken in log space: for small shapes (``alpha < 0.05``) both
    float32 gammas ``sample * U ** (1 / alpha)`` often underflow to 0, which gave 0 (the partner
    only) instead of 0 or 1 with equal chance."""

    def log_gamma(shape: float) -> tuple[torch.Tensor, torch.Tensor]:
        sample, ub, a, boost = _gamma_parts(torch.full((n,), float(shape), device=device, dtype=torch.float32), g, 16)
        lu = torch.where(boost, torch.log(ub), torch.zeros_like(a))  # (0 without the boost: lu / a is 0 there)
        return torch.log(sample) + lu / a, lu

    la, lua = log_gamma(alpha)
    lb, lub = log_gamma(beta)
    d = la - lb
    # shapes below ~1e-36 (float32's normal range ends at 1.2e-38): log(U) / shape is -inf on both
    # sides and -inf - -inf is NaN. The limit is decided by the larger log(U) / shape, compared in
    # float64 from the given shapes (0 or 1, as Beta(a, a) gives for a -> 0)
    tie = torch.sign(lua.double() / float(alpha) - lub.double() / float(beta)).to(d.dtype) * math.inf
    return torch.sigmoid(torch.where(torch.isnan(d), tie, d)).clamp(0.0, 1.0).nan_to_num(0.5)


# --------------------------------------------------------------------------------------------------
# value (magnitude) kernels
# --------------------------------------------------------------------------------------------------


def jitter(x: torch.Tensor, noise: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """``x + sigma * noise``; ``noise`` has x's shape (standard normal), ``sigma`` is per series (N,)."""
    return torch.addcmul(x, noise.to(x.dtype), sigma.to(x.dtype).view(-1, 1, 1))


def scale(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``x * factor`` with ``factor`` of shape ``(N, C)`` (per series and channel)."""
    return x * factor.to(x.dtype)[:, :, None]


def magnitude_warp(x: torch.Tensor, knots: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Multiply by a smooth random curve through ``knots`` ``(N, C, K)`` (values around 1), stretched
    over each series' valid length."""
    n, c, t = x.shape
    knots = knots.to(pos_dtype(x))
    if lengths is None:
        curve = smooth_curve(knots, t)
    else:
        # evaluate the curve at u in [0, 1] of each series' own length
        fine = smooth_curve(knots, 1024)
        u = _unit_grid(n, t, lengths, x.device, knots.dtype) * 1023.0
        curve = resample(fine, u)
    return x * curve.to(x.dtype)


def drift(x: torch.Tensor, knots: torch.Tensor, max_drift: torch.Tensor, normalize: bool = True,
          lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Add a smooth random trend (tsaug ``Drift``): a cubic curve through the random-walk ``knots``
    ``(N, C, K)``, shifted to start at 0, scaled to a maximal absolute value of ``max_drift`` ``(N, C)``
    and, when ``normalize``, multiplied by each channel's range (max - min)."""
    n, c, t = x.shape
    # interpolation weights sum to one, so shifting the knots shifts the curve: it starts at 0
    knots = knots.to(pos_dtype(x))
    knots = knots - knots[:, :, :1]
    if lengths is None:
        curve = smooth_curve(knots, t)
    else:
        fine = smooth_curve(knots, 1024)
        curve = resample(fine, _unit_grid(n, t, lengths, x.device, knots.dtype) * 1023.0)
    # out = x + curve * factor with one (N, C) factor: a single pass over (N, C, T)
    m = valid_mask(lengths, n, t, x.device)
    if m is None:
        hi, lo = curve.amax(dim=2, keepdim=True), curve.amin(dim=2, keepdim=True)
    else:
        masked = torch.where(m[:, None, :], curve, 0.0)
        hi, lo = masked.amax(dim=2, keepdim=True), masked.amin(dim=2, keepdim=True)
    factor = max_drift.to(curve.dtype)[:, :, None] / torch.maximum(hi, -lo).clamp_min(1e-12)
    if normalize:
        if m is None:
            rng = x.amax(dim=2, keepdim=True) - x.amin(dim=2, keepdim=True)
        else:
            big = torch.finfo(x.dtype).max
            mm = m[:, None, :]
            rng = torch.where(mm, x, -big).amax(2, keepdim=True) - torch.where(mm, x, big).amin(2, keepdim=True)
        factor = factor * rng.to(curve.dtype)
    return keep_padding(torch.addcmul(x, curve.to(x.dtype), factor.to(x.dtype)), x, lengths)


def dropout(x: torch.Tensor, drop: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
    """Set the entries where ``drop`` (bool, x's shape) is True to ``fill``."""
    return torch.where(drop, torch.as_tensor(fill, dtype=x.dtype, device=x.device), x)


def rotation_matrices(skew: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """Rotation matrices ``exp(angle * A)`` ``(N, C, C)`` from random skew-symmetric directions.

    ``skew`` is ``(N, C, C)`` Gaussian; ``A = (S - S^T)`` normalised to unit spectral norm, so ``angle``
    is the largest rotation angle (radians) in any plane."""
    a = skew - skew.transpose(1, 2)
    norm = torch.linalg.matrix_norm(a, ord=2).clamp_min(1e-12)
    a = a / norm[:, None, None]
    return torch.linalg.matrix_exp(a * angle.to(a.dtype)[:, None, None])


def rotate(x: torch.Tensor, rot: torch.Tensor) -> torch.Tensor:
    """Apply per-series channel rotations ``rot`` ``(N, C, C)``: ``x'[i] = rot[i] @ x[i]``."""
    return torch.bmm(rot.to(x.dtype), x)


def frequency_mask(x: torch.Tensor, keep: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """Zero the rFFT bins where ``keep`` ``(N, C, T // 2 + 1)`` is False; back to the time domain.

    ``lengths``: each series is transformed over its own valid steps (series of one length together),
    bin ``k`` (``k`` cycles per series) masked by ``keep[:, :, k]``, ``k <= length // 2``; the padding is
    neither read nor changed."""
    if lengths is not None:
        return by_length(x, lengths, lambda n, xg, kg: frequency_mask(xg, kg[:, :, : n // 2 + 1]), keep)
    dt = x.dtype
    xf = x.float() if dt in (torch.float16, torch.bfloat16) else x
    spec = torch.fft.rfft(xf, dim=2).mul_(keep)  # the spectrum is ours: zero the bins in place
    out = torch.fft.irfft(spec, n=x.shape[2], dim=2).to(dt)
    # a series that keeps every bin is the series itself: exactly (the FFT round trip is off by ~1 ulp)
    return torch.where(keep.all(dim=2, keepdim=True), x, out)


def _spectrum(x: torch.Tensor) -> torch.Tensor:
    xf = x.float() if x.dtype in (torch.float16, torch.bfloat16) else x
    return torch.fft.rfft(xf, dim=2)


def _energy(spec: torch.Tensor) -> torch.Tensor:
    """``(N, F)`` energy per bin of spectra ``spec`` ``(N, C, F)``, summed over the channels: ``|X|^2``
    without a sqrt."""
    return (spec.real.square() + spec.imag.square()).sum(dim=1)


def _own_share(own_energy: torch.Tensor, part_energy: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """``(N,)`` share of the spectral energy of own bins (``own_energy`` where ``keep``) and partner bins
    (``part_energy`` elsewhere) that is the series' own."""
    k = keep[:, 0].to(own_energy.dtype)
    own = (own_energy * k).sum(1)
    other = (part_energy * (1 - k)).sum(1)
    lam = own / (own + other).clamp_min(1e-30)
    return torch.where(own + other > 0, lam, k.mean(1)).float()


class MixSpectra:
    """The spectra :func:`frequency_mix` mixes and :func:`frequency_mix_lambda` weighs, computed once for
    both (the augmenter's ``sample`` draws ``lam`` from them, its ``apply`` mixes them: one FFT pass per
    call instead of two). Without lengths ``spec`` is the batch's rFFT ``(N, C, T // 2 + 1)`` (the
    partner's is ``spec[perm]``). With lengths the series are sorted by length (``srt``) and ``own[g]``/
    ``partner[g]`` are the spectra of group ``g``'s valid parts and of its partners' valid parts resampled
    to that length (:func:`partner_series`); ``xs`` is the sorted batch."""

    def __init__(self, x: torch.Tensor, perm: torch.Tensor, lengths: torch.Tensor | None = None):
        self.lengths = lengths
        if lengths is None:
            self.spec = _spectrum(x)
            return
        lengths = lengths.to(x.device)
        part = partner_series(x, perm, lengths)
        self.srt = _Sorted(lengths)
        self.xs, ps = self.srt.take(x), self.srt.take(part)
        self.own = [_spectrum(self.xs[a:b, :, :n]) for n, a, b in self.srt.groups]
        self.partner = [_spectrum(ps[a:b, :, :n]) for n, a, b in self.srt.groups]


def frequency_mix_lambda(x: torch.Tensor, perm: torch.Tensor, keep: torch.Tensor,
                         lengths: torch.Tensor | None = None, spectra: MixSpectra | None = None) -> torch.Tensor:
    """``(N,)`` share of the spectral energy of :func:`frequency_mix`'s output that comes from the
    series itself (used to mix labels). ``lengths``: the spectra of :func:`frequency_mix` with lengths
    (each series' valid part, its partner's resampled to it). ``spectra``: those of ``x``, ``perm`` and
    ``lengths`` computed before (:class:`MixSpectra`)."""
    sp = MixSpectra(x, perm, lengths) if spectra is None else spectra
    if lengths is not None:
        ks = sp.srt.take(keep.to(x.device))
        lam = torch.empty(x.shape[0], device=x.device, dtype=torch.float32)
        for (n, a, b), own, part in zip(sp.srt.groups, sp.own, sp.partner):
            lam[a:b] = _own_share(_energy(own), _energy(part), ks[a:b, :, : n // 2 + 1])
        return sp.srt.back(lam)
    energy = _energy(sp.spec)
    return _own_share(energy, energy[perm], keep)


def frequency_mix(x: torch.Tensor, perm: torch.Tensor, keep: torch.Tensor,
                  lengths: torch.Tensor | None = None, spectra: MixSpectra | None = None) -> torch.Tensor:
    """FreqMix: rFFT bins where ``keep`` ``(N, 1, F)`` is True come from the series itself, the others
    from its partner ``x[perm]``.

    ``lengths``: each series is transformed over its own valid steps, its partner's valid part
    resampled to that length first (:func:`partner_series`), so bin ``k`` is ``k`` cycles per series
    in both; bins ``k <= length // 2`` are used. No padding is read; each series keeps its own.
    ``spectra``: those of ``x``, ``perm`` and ``lengths`` computed before (:class:`MixSpectra`)."""
    own_partner = (perm == torch.arange(len(perm), device=perm.device))[:, None, None]
    sp = MixSpectra(x, perm, lengths) if spectra is None else spectra
    if lengths is not None:
        srt = sp.srt
        xs, ks, os_ = sp.xs.clone(), srt.take(keep.to(x.device)), srt.take(own_partner.to(x.device))
        for (n, a, b), own, part in zip(srt.groups, sp.own, sp.partner):
            xg, k = xs[a:b, :, :n], ks[a:b, :, : n // 2 + 1]
            out = torch.fft.irfft(torch.where(k, own, part), n=n, dim=2)
            xg.copy_(torch.where(k.all(dim=2, keepdim=True) | os_[a:b], xg, out.to(x.dtype)))
        return srt.back(xs)
    spec = sp.spec
    out = torch.fft.irfft(torch.where(keep, spec, spec[perm]), n=x.shape[2], dim=2).to(x.dtype)
    # every bin its own (or its own partner): the series itself, exactly (not up to the FFT's rounding)
    own = keep.all(dim=2, keepdim=True) | own_partner
    return torch.where(own, x, out)


def mixup(x: torch.Tensor, perm: torch.Tensor, lam: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
    """``lam * x + (1 - lam) * x[perm]`` with ``lam`` per series (N,). ``lengths``: the partner's valid
    part resampled to the series' own length (:func:`partner_series`); the series keeps its padding."""
    if lengths is not None:
        out = partner_series(x, perm, lengths).lerp_(x, lam.to(x.dtype)[:, None, None])
        return keep_padding(out, x, lengths)
    return x[perm].lerp_(x, lam.to(x.dtype)[:, None, None])  # x[perm] is a fresh copy: mix into it


def cut_mask(start: torch.Tensor, length: torch.Tensor, t: int) -> torch.Tensor:
    """``(N, T)`` bool: True on ``[start, start + length)`` per series."""
    ar = torch.arange(t, device=start.device)[None, :]
    return (ar >= start[:, None]) & (ar < (start + length)[:, None])


def cutmix(x: torch.Tensor, perm: torch.Tensor, cut: torch.Tensor, lengths: torch.Tensor | None = None,
           mode: str | None = None) -> torch.Tensor:
    """Replace the steps where ``cut`` ``(N, T)`` is True with the partner's (``x[perm]``; with
    ``lengths``, its valid part resampled to the series' own length, :func:`partner_series` with
    ``mode``: a cut within the series' length takes the same stretch of the partner's series, never its
    padding)."""
    part = x[perm] if lengths is None else partner_series(x, perm, lengths, mode)  # fresh: keep x outside the cut
    if torch.is_grad_enabled() and x.requires_grad:  # out= is not differentiable: a new tensor
        return torch.where(cut[:, None, :], part, x)
    return torch.where(cut[:, None, :], part, x, out=part)


def class_ids(y: torch.Tensor, n_classes: int, who: str = "") -> torch.Tensor:
    """1-D float labels ``y`` that hold class ids (``2.0``, as ``np.load`` or pandas give them) as
    ``int64`` ids, checked to be integers in ``[0, n_classes)``: ``ValueError`` naming ``y`` and
    ``n_classes`` otherwise (NaN/inf, non-integer values, ids out of range). One host read."""
    pre = f"{who}: " if who else ""
    want = f"with n_classes={n_classes}, y must hold class ids, integers in [0, {n_classes})"
    if y.numel() == 0:
        return y.long()
    lo_t, hi_t = torch.aminmax(y)  # NaN propagates, +-inf shows; the fraction part is NaN for both
    lo, hi, frac = torch.stack((lo_t, hi_t, (y - y.round()).abs().amax())).tolist()
    if not (math.isfinite(lo) and math.isfinite(hi) and frac == 0):
        from ..core.labels import check_no_missing_labels

        check_no_missing_labels(y, who)  # NaN: missing labels, named with their positions
        i = int(torch.nonzero(~torch.isfinite(y) | (y != y.round()))[0, 0])
        raise ValueError(
            f"{pre}y holds the non-integer value {y[i].item()!r} (position {i}); {want} (floats such as 2.0 are "
            "read as class 2). Leave n_classes=None to mix float targets as regression values"
        )
    if lo < 0 or hi >= n_classes:
        i = int(torch.nonzero((y < 0) | (y >= n_classes))[0, 0])
        raise ValueError(f"{pre}y holds the class id {int(y[i].item())} (position {i}); {want}")
    return y.long()


def mix_targets(y: torch.Tensor, perm: torch.Tensor, lam: torch.Tensor, n_classes: int | None) -> torch.Tensor:
    """Mix targets like the inputs. Integer/bool 1-D labels become soft targets ``(N, K)``, and so do
    float 1-D labels when ``n_classes`` is given (class ids stored as floats, see :func:`class_ids`);
    float 1-D values with ``n_classes=None`` (regression) and 2-D soft targets are mixed as values."""
    lam = lam.to(y.device)
    if y.dim() == 1 and y.is_floating_point() and n_classes is not None:
        y = class_ids(y, n_classes)
    if not y.is_floating_point() and y.dim() == 1:
        k = int(y.max().item()) + 1 if n_classes is None else int(n_classes)
        oh = torch.nn.functional.one_hot(y.long(), k).to(torch.float32)
        return lam[:, None] * oh + (1 - lam[:, None]) * oh[perm.to(y.device)]
    yf = y.to(torch.float32) if not y.is_floating_point() else y
    w = lam.to(yf.dtype).view(-1, *([1] * (yf.dim() - 1)))
    return w * yf + (1 - w) * yf[perm.to(y.device)]


# --------------------------------------------------------------------------------------------------
# time-axis kernels: source position maps (N, T)
# --------------------------------------------------------------------------------------------------


def _map_dtype(dtype: torch.dtype | None, *like: torch.Tensor) -> torch.dtype:
    """The dtype of a position map: ``dtype`` when given, else float64 when a float input is float64."""
    if dtype is not None:
        return dtype
    return torch.float64 if any(v.dtype == torch.float64 for v in like) else torch.float32


#: speeds above this are rescaled by :func:`time_warp_pos` (a cumulative sum of 2**31 of them stays finite)
_HUGE_SPEED = 2.0 ** 64


def time_warp_pos(speed_knots: torch.Tensor, t: int, lengths: torch.Tensor | None = None,
                  dtype: torch.dtype | None = None) -> torch.Tensor:
    """Monotone time warp from positive speeds at ``K`` knots ``(N, K)``.

    The speed is linearly interpolated over the output axis and integrated (cumulative sum), then
    rescaled so the warp maps the first valid step to 0 and the last to ``length - 1``. Speeds > 0
    make it strictly increasing. ``dtype``: of the map (float32, or float64 for float64 series; by
    default float64 when ``speed_knots`` is). Only the speeds' ratios matter: speeds above ``2**64``
    are divided by each series' largest first (their float32 cumulative sum overflowed from ratios of
    about 1e36, and ``inf / inf`` gave NaN positions)."""
    dtype = _map_dtype(dtype, speed_knots)
    n = speed_knots.shape[0]
    dev = speed_knots.device
    res = 1024 if lengths is not None else t
    knots = speed_knots.to(dtype)
    top = knots.amax(1, keepdim=True)
    knots = knots / torch.where(top > _HUGE_SPEED, top, 1.0)  # (exact for ordinary speeds: divided by 1)
    speed = linear_curve(knots[:, None, :], res)[:, 0]  # (N, res)
    cum = torch.cumsum(speed, dim=1)
    cum = cum.sub_(cum[:, :1].clone())
    span = _span(lengths, n, t, dev, dtype)
    if lengths is None:  # [0, T - 1], increasing, in one pass
        return cum.mul_(span / cum[:, -1:].clamp_min(1e-12))
    cum = cum.div_(cum[:, -1:].clamp_min(1e-12))  # [0, 1], increasing
    # read the warp at each valid step's place on the fine grid; a constant speed is the identity
    # (cum is linear), where this gives each step itself up to rounding: the residual is read
    # instead, ``pos = t + span * (cum - u)(t)``, exactly ``t`` for a constant speed
    u = _unit_grid(n, t, lengths, dev, dtype)
    ramp = torch.arange(res, device=dev, dtype=dtype)[None, :] / float(res - 1)  # cum's own rounding
    resid = resample((cum - ramp)[:, None, :], u * float(res - 1))[:, 0]
    pos = torch.addcmul(_steps(t, dev, dtype).expand(n, t), resid, span)
    return _finish_pos(pos, lengths, t)


def crop_pos(start: torch.Tensor, size: torch.Tensor, t: int, lengths: torch.Tensor | None = None,
             dtype: torch.dtype | None = None) -> torch.Tensor:
    """Window ``[start, start + size]`` (fractions of each series' valid span, ``(N,)`` each) stretched
    over the whole series (window slicing / random resized crop). ``dtype`` as for
    :func:`time_warp_pos`: output step ``t`` reads ``start * span + t * size`` (exactly ``t`` for the
    whole series)."""
    dtype = _map_dtype(dtype, start, size)
    n = start.shape[0]
    dev = start.device
    span = _span(lengths, n, t, dev, dtype)
    steps = _steps(t, dev, dtype)
    if lengths is not None:  # within each valid part (the padding is put back below)
        steps = torch.minimum(steps, span.clamp_min(0.0))
    pos = torch.addcmul(start.to(dtype)[:, None] * span, steps, size.to(dtype)[:, None])
    return _finish_pos(pos, lengths, t)


def window_warp_pos(start: torch.Tensor, width: torch.Tensor, speed: torch.Tensor, t: int,
                    lengths: torch.Tensor | None = None, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Window warping (Le Guennec et al.): the window ``[start, start + width]`` (fractions of the valid
    span) is stretched by ``speed`` (2 = twice as long, 0.5 = half) and the whole series resampled back
    to its length. Piecewise linear and increasing. ``dtype`` as for :func:`time_warp_pos`."""
    dtype = _map_dtype(dtype, start, width, speed)
    n = start.shape[0]
    dev = start.device
    span = _span(lengths, n, t, dev, dtype)
    # in steps of the valid span (exact integers at identity settings: width 0 or speed 1)
    a = start.to(dtype)[:, None] * span
    w = width.to(dtype)[:, None] * span
    s = speed[:, None].to(dtype)
    total = 1.0 + (s - 1.0) * width.to(dtype)[:, None]
    steps = _steps(t, dev, dtype)
    if lengths is not None:
        steps = torch.minimum(steps, span.clamp_min(0.0))
    v = steps * total  # position on the warped axis
    # slope 1 before the window, 1 / s inside (width s * w on the warped axis), 1 after:
    # src = v - (1 - 1/s) * clamp(v - a, 0, s * w)
    inside = (v - a).clamp_(min=0.0)
    inside = torch.minimum(inside, s * w, out=inside)
    src = v.sub_(inside.mul_(1.0 - 1.0 / s))
    pos = torch.minimum(src.clamp_(min=0.0), span, out=src)
    return _finish_pos(pos, lengths, t)


def reverse_pos(n: int, t: int, lengths: torch.Tensor | None, device, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Time reversal within each series' valid part."""
    span = _span(lengths, n, t, device, dtype)
    ar = torch.arange(t, device=device, dtype=dtype)[None, :].expand(n, t)
    return _finish_pos(span - ar, lengths, t)


def permutation_pos(cuts: torch.Tensor, order: torch.Tensor, t: int, lengths: torch.Tensor | None = None,
                    dtype: torch.dtype | None = None) -> torch.Tensor:
    """Segment permutation. ``cuts`` ``(N, S - 1)`` are sorted cut fractions in (0, 1) that split each
    series into ``S`` segments; ``order`` ``(N, S)`` is the permutation: output segment ``j`` is input
    segment ``order[:, j]``. Integer positions (no interpolation); ``dtype`` float64 (the default for
    float64 ``cuts``) keeps them exact beyond float32's 2**24 steps."""
    dtype = _map_dtype(dtype, cuts)
    n, s = order.shape
    dev = order.device
    length = (lengths.to(dev) if lengths is not None else torch.full((n,), t, device=dev)).long()
    bounds = (cuts.to(dtype) * length[:, None].to(dtype)).round().long()
    zero = torch.zeros(n, 1, dtype=torch.long, device=dev)
    edges = torch.cat([zero, bounds, length[:, None]], dim=1)  # (N, S + 1)
    seg_start = edges[:, :-1]
    seg_len = edges[:, 1:] - seg_start  # (N, S), may be 0
    out_len = seg_len.gather(1, order)
    out_start = torch.cumsum(out_len, dim=1) - out_len  # (N, S)
    # inside output segment j, pos = step + delta[j] with delta[j] = its source start - its output
    # start. delta as a step function of the step: scatter its increments at the segment starts and
    # take a running sum (no (N, T) search or gathers; empty segments telescope away)
    delta = (seg_start.gather(1, order) - out_start).to(dtype)
    inc = torch.diff(delta, dim=1, prepend=torch.zeros(n, 1, device=dev, dtype=dtype))
    marks = torch.zeros(n, t + 1, device=dev, dtype=dtype)
    marks.scatter_add_(1, out_start, inc)
    pos = marks[:, :t].cumsum_(1).add_(torch.arange(t, device=dev, dtype=dtype))
    return _finish_pos(pos, lengths, t)
