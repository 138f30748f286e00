"""Pure tensor kernels for tabular augmentation.

Every function here is deterministic given its inputs; random numbers come in as arguments or are
drawn from an explicit ``torch.Generator`` (never a global RNG). Everything runs on the input's
device.
"""
from __future__ import annotations

import math

import torch

from ..core.hostreads import host_reads_cheap

__all__ = [
    "sample_gamma",
    "sample_beta",
    "knn",
    "mix_rows",
    "mix_targets",
    "column_mask",
    "draw_partners_among_neighbours",
]


# --------------------------------------------------------------------------------------------------
# Random draws with an explicit generator (torch's Beta/Gamma distributions take no generator)
# --------------------------------------------------------------------------------------------------


_CANDIDATES = 8


def sample_gamma(shape_param: float, n: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """``n`` draws of Gamma(shape_param, 1) in float64 (Marsaglia & Tsang 2000, vectorised rejection).

    For ``shape_param < 1`` uses ``Gamma(a) = Gamma(a + 1) * U ** (1 / a)``, which underflows to 0 for
    small shapes (``a = 1e-3``: half the draws); :func:`sample_beta` works with the logarithm instead."""
    out, log_boost = _gamma_parts(shape_param, n, generator, device)
    return out if log_boost is None else out * log_boost.exp()


def _log_gamma(shape_param: float, n: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """``log`` of :func:`sample_gamma`'s draws (the same random numbers), finite for small shapes."""
    out, log_boost = _gamma_parts(shape_param, n, generator, device)
    return out.log() if log_boost is None else out.log() + log_boost


def _gamma_parts(shape_param: float, n: int, generator: torch.Generator, device=None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Gamma draws as ``(Gamma(a') draws, log of the factor U ** (1 / a) or None)`` (``a' = a + 1`` for
    ``a < 1``, else ``a``)."""
    a = float(shape_param)
    if not a > 0:
        raise ValueError(f"gamma shape must be > 0, got {shape_param!r}")
    boost = a < 1.0
    a_eff = a + 1.0 if boost else a
    d = a_eff - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    out = torch.empty(n, dtype=torch.float64, device=device)
    pending = torch.arange(n, device=device)
    if not host_reads_cheap(device) and n:
        # on a device: _CANDIDATES proposals per draw in one shot, the first accepted one kept (the
        # acceptance rate is >= 0.95, so a draw with none left is ~1e-11 rare); one read, not a loop
        k = _CANDIDATES
        z = torch.randn(k, n, generator=generator, device=device, dtype=torch.float64)
        u = torch.rand(k, n, generator=generator, device=device, dtype=torch.float64)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (torch.log(u.clamp_min(1e-300)) < 0.5 * z * z + d - d * v + d * torch.log(v.clamp_min(1e-300)))
        first = ok.to(torch.uint8).argmax(dim=0, keepdim=True)
        out = (d * v).gather(0, first).squeeze(0)
        got = ok.any(dim=0)
        if bool(got.all()):
            pending = pending[:0]
        else:  # pragma: no cover - needs ~1e11 draws
            pending = pending[~got]
    while pending.numel():
        m = pending.numel()
        z = torch.randn(m, generator=generator, device=device, dtype=torch.float64)
        u = torch.rand(m, generator=generator, device=device, dtype=torch.float64)
        v = (1.0 + c * z) ** 3
        ok = (v > 0) & (torch.log(u.clamp_min(1e-300)) < 0.5 * z * z + d - d * v + d * torch.log(v.clamp_min(1e-300)))
        out[pending[ok]] = (d * v)[ok]
        pending = pending[~ok]
    if not boost:
        return out, None
    u = torch.rand(n, generator=generator, device=device, dtype=torch.float64)
    return out, u.clamp_min(1e-300).log() / a


def sample_beta(a: float, b: float, n: int, generator: torch.Generator, device=None) -> torch.Tensor:
    """``n`` draws of Beta(a, b) as float32: ``Ga / (Ga + Gb) = sigmoid(log Ga - log Gb)``, in log
    space because for small shapes both Gammas underflow to 0 (``a = 1e-3``: a quarter of the draws,
    which gave 0.5 where Beta(a, a) is near 0 or 1)."""
    d = _log_gamma(a, n, generator, device) - _log_gamma(b, n, generator, device)
    return torch.sigmoid(d).nan_to_num(0.5).to(torch.float32)  # (NaN: shapes below ~1e-306 on both sides)


# --------------------------------------------------------------------------------------------------
# Nearest neighbours: chunked distances + top-k (never an N x N matrix)
# --------------------------------------------------------------------------------------------------


_KNN_BLOCK = 8


def knn(
    ref: torch.Tensor,
    k: int,
    query: torch.Tensor | None = None,
    *,
    exclude_self: bool | None = None,
    chunk_size: int | None = None,
    max_chunk_elements: int = 1 << 23,
    tile_columns: int = 2048,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The ``k`` nearest rows of ``ref`` (Euclidean) for each row of ``query`` (default: ``ref``).

    Exact, in float32, without an N x N matrix. For large ``ref`` (two-pass, block-min prefilter):
    for ``chunk_size`` query rows (default 1024) the distances to ``tile_columns`` reference rows at a
    time (one GEMM tile) are reduced at once to the minimum of each block of 8
    consecutive reference rows (tiles and chunks are large enough that per-call overhead and thread
    hand-offs stay small on a loaded machine); the ``k`` (``k + 1`` with ``exclude_self``) smallest block minima
    pick candidate blocks, whose distances are recomputed exactly and ranked. This is exact: every
    block left out has its minimum >= the ``k``-th (``k + 1``-th) smallest selected block minimum,
    which bounds the distance of the ``k``-th neighbour from above, since each selected block holds a
    row at most that far (ties at the boundary may resolve to either row). Small ``ref``: one
    distance chunk (``max_chunk_elements`` entries) + ``topk``. Memory is ``O(chunk_size * len(ref)
    / 8 + chunk_size * tile_columns)``; the block minima are chosen in two levels (minima of 8 blocks
    first), which gives the same blocks. When ``query`` is ``ref`` (or ``None``) the point itself is excluded unless
    ``exclude_self=False``. Returns ``(squared_distances, indices)``, both ``(n_query, k)``, sorted
    by distance."""
    if ref.dim() != 2:
        raise ValueError(f"ref: expected a 2-D tensor (N, D), got shape {tuple(ref.shape)}")
    same = query is None or query is ref
    q_all = ref if query is None else query
    if exclude_self is None:
        exclude_self = same
    n_ref = ref.shape[0]
    avail = n_ref - (1 if exclude_self else 0)
    if not 1 <= k <= avail:
        raise ValueError(f"k must be in [1, {avail}] for {n_ref} reference rows, got {k}")
    # distances do not change under a shift: centring on ref's mean keeps |r|^2 - 2 q.r from losing
    # the float32 digits that tell neighbours apart in columns with a large offset (1e8 + unit spread)
    # (in float64 for float64 input: a float32 copy of 1e8 + x has already lost them)
    wide = torch.float64 if ref.dtype == torch.float64 else torch.float32
    ref_w = ref.to(wide)
    centre = ref_w.mean(0)
    ref_f = (ref_w - centre).to(torch.float32)
    q_all = ref_f if same else (q_all.to(wide) - centre).to(torch.float32)
    ref_sq = (ref_f * ref_f).sum(1)
    n_blocks_needed = k + (1 if exclude_self else 0)
    if n_ref >= 8 * _KNN_BLOCK * n_blocks_needed and n_ref > tile_columns:
        return _knn_blockmin(ref_f, ref_sq, q_all, k, n_blocks_needed, exclude_self, chunk_size or 1024, tile_columns)
    if chunk_size is None:
        chunk_size = max(1, min(q_all.shape[0], max_chunk_elements // max(n_ref, 1)))
    ref_t = ref_f.T.contiguous()
    dists, idxs = [], []
    for start in range(0, q_all.shape[0], chunk_size):
        q = q_all[start : start + chunk_size].to(torch.float32)
        # |r|^2 - 2 q.r ranks the references like the full distance (|q|^2 is constant per row),
        # so |q|^2 is added to the k winners only: two fewer passes over the chunk
        d = torch.addmm(ref_sq[None, :], q, ref_t, alpha=-2.0)
        if exclude_self:
            rows = torch.arange(q.shape[0], device=q.device)
            d[rows, rows + start] = float("inf")
        v, i = torch.topk(d, k, dim=1, largest=False, sorted=False)
        dists.append(v)
        idxs.append(i)
    return _finish_knn(torch.cat(dists), torch.cat(idxs), q_all.to(torch.float32))


def _finish_knn(v: torch.Tensor, i: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Adds ``|q|^2`` to the ``k`` ranked ``|r|^2 - 2 q.r`` values and sorts them."""
    v = (v + (q * q).sum(1, keepdim=True)).clamp_min_(0.0)
    v, order = torch.sort(v, dim=1)
    return v, i.gather(1, order)


def _knn_blockmin(ref_f, ref_sq, q_all, k, n_sel, exclude_self, chunk_size, tile_columns):
    """Block-min prefilter + exact re-rank (see ``knn``)."""
    B = _KNN_BLOCK
    n_ref, dim = ref_f.shape
    dev = ref_f.device
    pad = (-n_ref) % (B * B)  # whole super-blocks of B blocks
    if pad:  # padded rows: zero features, infinite |r|^2 -> never selected
        ref_f = torch.cat([ref_f, ref_f.new_zeros(pad, dim)])
        ref_sq = torch.cat([ref_sq, ref_sq.new_full((pad,), float("inf"))])
    n_pad = n_ref + pad
    n_blocks = n_pad // B
    tile = max(B * B, tile_columns // (B * B) * (B * B))
    # augmented rows [-2 r, |r|^2] and [q, 1]: one plain GEMM gives |r|^2 - 2 q.r (no bias copy)
    ref_blocks = torch.cat([-2.0 * ref_f, ref_sq[:, None]], 1).view(n_blocks, B, dim + 1)
    # GEMM order: inside each tile, row s * (w / B) + j is row j * B + s of the tile, so block j
    # (rows j * B .. j * B + B - 1) is the strided column set {s * (w / B) + j}: a min over the
    # middle axis of a (c, B, w / B) view, much faster than over a contiguous inner axis of B
    tiles = [(t0, min(tile, n_pad - t0)) for t0 in range(0, n_pad, tile)]
    ref_g = torch.cat([ref_blocks[t0 // B : (t0 + w) // B].transpose(0, 1).reshape(w, dim + 1) for t0, w in tiles])
    offs = torch.arange(B, device=dev)
    # super-block u of a tile of wb blocks: its blocks {u + m * wb / B}, m < B (the halvings' order)
    n_super = n_blocks // B
    sb_blocks = torch.empty(n_super, B, dtype=torch.long, device=dev)
    for t0, w in tiles:
        per = w // (B * B)
        sb_blocks[t0 // (B * B) : t0 // (B * B) + per] = t0 // B + torch.arange(per, device=dev)[:, None] + offs * per
    # buffers made once: fresh multi-MB tensors per chunk cost page faults on every chunk
    buf = torch.empty(chunk_size * tile, device=dev, dtype=torch.float32)
    bmin_buf = torch.empty(chunk_size * n_blocks, device=dev, dtype=torch.float32)
    sbmin_buf = torch.empty(chunk_size * n_super, device=dev, dtype=torch.float32)
    rv_buf = torch.empty(chunk_size * n_sel, B * (dim + 1), device=dev, dtype=torch.float32)
    dc_buf = torch.empty(chunk_size * n_sel * B, device=dev, dtype=torch.float32)
    dists, idxs = [], []
    for start in range(0, q_all.shape[0], chunk_size):
        q = q_all[start : start + chunk_size].to(torch.float32)
        c = q.shape[0]
        qa = torch.cat([q, q.new_ones(c, 1)], 1)
        bmin = bmin_buf[: c * n_blocks].view(c, n_blocks)
        sbmin = sbmin_buf[: c * n_super].view(c, n_super)
        for t0, w in tiles:
            d = buf[: c * w].view(c, w)
            torch.mm(qa, ref_g[t0 : t0 + w].T, out=d)
            for _ in range(B.bit_length() - 1):  # halve: min of the two halves (blocks are strided)
                w //= 2
                torch.minimum(d[:, :w], d[:, w : 2 * w], out=d[:, :w])
            bmin[:, t0 // B : t0 // B + w] = d[:, :w]
            for _ in range(B.bit_length() - 1):  # and on to super-block minima (B blocks each)
                w //= 2
                torch.minimum(d[:, :w], d[:, w : 2 * w], out=d[:, :w])
            sbmin[:, t0 // (B * B) : t0 // (B * B) + w] = d[:, :w]
        # two-level selection, the same blocks as a top-n_sel over all block minima: the n_sel smallest
        # super-block minima, then the n_sel smallest block minima inside those super-blocks (a block
        # outside them has a minimum >= the n_sel-th selected super-block minimum >= the n_sel-th
        # selected block minimum)
        sb = torch.topk(sbmin, n_sel, dim=1, largest=False, sorted=False)[1]  # (c, n_sel)
        cb = sb_blocks[sb].view(c, -1)  # (c, n_sel * B) candidate blocks
        blk = cb.gather(1, torch.topk(bmin.gather(1, cb), n_sel, dim=1, largest=False, sorted=False)[1])
        cand = (blk[:, :, None] * B + offs).reshape(c, -1)  # (c, n_sel * B) reference rows
        # exact re-rank: |r|^2 - 2 q.r for the candidates, by one batched matmul
        rv = torch.index_select(ref_blocks.view(n_blocks, -1), 0, blk.view(-1), out=rv_buf[: c * n_sel])
        # as (1, dim+1) x (dim+1, n_sel*B) products on the transposed view: ~4x faster than gemv-shaped bmm
        dc = dc_buf[: c * n_sel * B].view(c, 1, -1)
        torch.bmm(qa[:, None, :], rv.view(c, -1, dim + 1).transpose(1, 2), out=dc)
        dc = dc.view(c, -1)
        if exclude_self:
            dc.masked_fill_(cand == torch.arange(start, start + c, device=dev)[:, None], float("inf"))
        v, j = torch.topk(dc, k, dim=1, largest=False, sorted=False)
        dists.append(v)
        idxs.append(cand.gather(1, j))
    return _finish_knn(torch.cat(dists), torch.cat(idxs), q_all.to(torch.float32))


def draw_partners_among_neighbours(neighbours: torch.Tensor, k: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Partner of row ``i``: ``neighbours[i, floor(u_i * k_i)]`` (uniform among its ``k_i`` nearest).

    ``neighbours`` is ``(N, K_max)`` sorted by distance, ``k`` holds per-row counts in ``[1, K_max]``
    and ``u`` uniforms in ``[0, 1)``."""
    k = k.clamp(1, neighbours.shape[1])
    col = torch.minimum((u * k.to(u.dtype)).long(), k - 1)
    return neighbours.gather(1, col[:, None]).squeeze(1)


# --------------------------------------------------------------------------------------------------
# Mixing
# --------------------------------------------------------------------------------------------------


def _expand(w: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return w.reshape(w.shape + (1,) * (like.dim() - w.dim()))


def mix_rows(
    x: torch.Tensor,
    partner: torch.Tensor,
    weight: torch.Tensor,
    hard: torch.Tensor | None = None,
) -> torch.Tensor:
    """``weight * x + (1 - weight) * x[partner]``, cell by cell.

    ``weight`` is ``(N,)`` (one λ per row), ``(N, F)`` (per cell: a column mask) or broadcastable to
    ``x``. Columns flagged in ``hard`` (``(F,)`` bool: categorical, boolean) and cells where either side
    is NaN are never interpolated: they take the value of the side with the larger weight (the row's
    own value on a tie)."""
    other = x[partner]
    w = _expand(weight.to(x.dtype), x)
    soft = w * x + (1.0 - w) * other
    take_own = w >= 0.5
    pick = torch.where(take_own, x, other)
    nan = torch.isnan(x) | torch.isnan(other)
    if hard is not None:
        nan = nan | hard.to(x.device).reshape((1, -1) + (1,) * (x.dim() - 2))
    # on the CPU a read saves the select when nothing is NaN or hard; on a device, select without looking
    if not host_reads_cheap(x.device) or bool(nan.any()):
        soft = torch.where(nan, pick, soft)
    return soft


def mix_targets(y: torch.Tensor, partner: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """``lam * y + (1 - lam) * y[partner]`` for targets ``(N,)`` or ``(N, K)`` (one λ per row)."""
    lam = _expand(lam.to(y.dtype), y)
    return lam * y + (1.0 - lam) * y[partner]


def column_mask(keep_rate: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Boolean ``(N, F)`` mask of the cells a row keeps: ``u[i, f] < keep_rate[i]``."""
    return u < keep_rate[:, None].to(u.dtype)
