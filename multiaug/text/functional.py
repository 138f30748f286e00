"""Text kernels on flat token-id arrays (pure functions of arrays and explicit random draws).

Layout (see :mod:`.vocab`): ``ids`` (T,) codes, ``sent`` (T,) the sentence of each token, sorted
(non-decreasing), ``n`` sentences. Per-sentence quantities are (n,) arrays; random draws are
uniform [0, 1) arrays made by the caller (the augmenter's ``_sample``). Everything runs with a fixed
number of array operations, whatever the batch size.

Every kernel takes either torch tensors (any device) or NumPy arrays and gives back the same kind
(:func:`ops` picks the namespace from the first array). The augmenters hand the kernels NumPy views
of their CPU tensors (:func:`host`): a NumPy operation on a short array costs a fraction of a
microsecond where torch's dispatcher costs a few, which is what a call on one sentence (a Dataset's
``__getitem__``) is made of. Off the CPU the same kernels run on the tensors. Both namespaces give
the same result for the same draws (tested on the CPU by running both: under
:func:`multiaug.core.hostreads.assume_costly_host_reads` the CPU takes the device path).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ..core.hostreads import host_reads_cheap

_NP_DTYPES = {"long": np.int64, "bool": np.bool_, "float32": np.float32, "float64": np.float64}
_TORCH_DTYPES = {"long": torch.long, "bool": torch.bool, "float32": torch.float32, "float64": torch.float64}


class _NumPyOps:
    """The array operations the kernels need, on NumPy arrays."""

    @staticmethod
    def zeros(n: int, dtype: str, like: Any) -> np.ndarray:
        return np.zeros(n, dtype=_NP_DTYPES[dtype])

    @staticmethod
    def full(n: int, value: Any, dtype: str, like: Any) -> np.ndarray:
        return np.full(n, value, dtype=_NP_DTYPES[dtype])

    @staticmethod
    def arange(n: int, like: Any) -> np.ndarray:
        return np.arange(n, dtype=np.int64)

    @staticmethod
    def astype(x: np.ndarray, dtype: str) -> np.ndarray:
        return x.astype(_NP_DTYPES[dtype], copy=False)

    @staticmethod
    def tensor(values: list, dtype: str, like: Any) -> np.ndarray:
        return np.asarray(values, dtype=_NP_DTYPES[dtype])

    @staticmethod
    def segment_sum(values: np.ndarray, sent: np.ndarray, n: int) -> np.ndarray:
        if values.dtype == np.bool_:
            return np.bincount(sent[values], minlength=n)[:n]
        return np.bincount(sent, weights=values, minlength=n)[:n].astype(np.int64)

    @staticmethod
    def segment_max(values: np.ndarray, sent: np.ndarray, n: int, init: float) -> np.ndarray:
        out = np.full(n, init, dtype=values.dtype)
        np.maximum.at(out, sent, values)
        return out

    @staticmethod
    def segment_min(values: np.ndarray, sent: np.ndarray, n: int, init: float) -> np.ndarray:
        out = np.full(n, init, dtype=values.dtype)
        np.minimum.at(out, sent, values)
        return out

    bincount = staticmethod(lambda x, n: np.bincount(x, minlength=n)[:n] if n else np.zeros(0, dtype=np.int64))
    cumsum = staticmethod(np.cumsum)
    nonzero = staticmethod(np.flatnonzero)
    argsort = staticmethod(lambda x: np.argsort(x, kind="stable"))
    where = staticmethod(np.where)
    minimum = staticmethod(np.minimum)
    round = staticmethod(np.round)

    @staticmethod
    def clip(x: np.ndarray, lo: Any = None, hi: Any = None) -> np.ndarray:
        if lo is not None:
            x = np.maximum(x, lo)
        return x if hi is None else np.minimum(x, hi)

    cat = staticmethod(np.concatenate)
    clone = staticmethod(np.copy)
    repeat = staticmethod(np.repeat)
    numel = staticmethod(np.size)


class _TorchOps:
    """The same operations on torch tensors (the tensors' device)."""

    @staticmethod
    def zeros(n: int, dtype: str, like: torch.Tensor) -> torch.Tensor:
        return torch.zeros(n, dtype=_TORCH_DTYPES[dtype], device=like.device)

    @staticmethod
    def full(n: int, value: Any, dtype: str, like: torch.Tensor) -> torch.Tensor:
        return torch.full((n,), value, dtype=_TORCH_DTYPES[dtype], device=like.device)

    @staticmethod
    def arange(n: int, like: torch.Tensor) -> torch.Tensor:
        return torch.arange(n, device=like.device)

    @staticmethod
    def astype(x: torch.Tensor, dtype: str) -> torch.Tensor:
        return x.to(_TORCH_DTYPES[dtype])

    @staticmethod
    def tensor(values: list, dtype: str, like: torch.Tensor) -> torch.Tensor:
        return torch.tensor(values, dtype=_TORCH_DTYPES[dtype], device=like.device)

    @staticmethod
    def segment_sum(values: torch.Tensor, sent: torch.Tensor, n: int) -> torch.Tensor:
        return torch.zeros(n, dtype=torch.long, device=sent.device).index_add_(0, sent, values.long())

    @staticmethod
    def segment_max(values: torch.Tensor, sent: torch.Tensor, n: int, init: float) -> torch.Tensor:
        return torch.full((n,), init, device=values.device, dtype=values.dtype).scatter_reduce(0, sent, values, "amax")

    @staticmethod
    def segment_min(values: torch.Tensor, sent: torch.Tensor, n: int, init: float) -> torch.Tensor:
        return torch.full((n,), init, device=values.device, dtype=values.dtype).scatter_reduce(0, sent, values, "amin")

    @staticmethod
    def bincount(x: torch.Tensor, n: int) -> torch.Tensor:
        return torch.bincount(x, minlength=n) if x.numel() else torch.zeros(n, dtype=torch.long, device=x.device)

    cumsum = staticmethod(lambda x: torch.cumsum(x, 0))
    nonzero = staticmethod(lambda m: torch.nonzero(m).flatten())
    argsort = staticmethod(lambda x: torch.argsort(x, stable=True))
    where = staticmethod(torch.where)
    minimum = staticmethod(torch.minimum)
    round = staticmethod(torch.round)
    clip = staticmethod(lambda x, lo=None, hi=None: x.clamp(min=lo, max=hi))
    cat = staticmethod(torch.cat)
    clone = staticmethod(torch.clone)
    repeat = staticmethod(torch.repeat_interleave)
    numel = staticmethod(torch.numel)


NUMPY, TORCH = _NumPyOps(), _TorchOps()


def ops(x: Any) -> Any:
    """The namespace of ``x``: :data:`NUMPY` for NumPy arrays, :data:`TORCH` for tensors."""
    return NUMPY if isinstance(x, np.ndarray) else TORCH


def host(t: Any) -> Any:
    """What the kernels get for tensor ``t``: a NumPy view on the CPU (no copy), ``t`` elsewhere and
    under :func:`multiaug.core.hostreads.assume_costly_host_reads` (the device path, examined on the
    CPU); anything else unchanged."""
    if isinstance(t, torch.Tensor) and t.device.type == "cpu" and host_reads_cheap(None):
        return t.numpy()
    return t


def to_numpy(a: Any) -> np.ndarray:
    """``a`` as a NumPy array on the host (a view of a CPU tensor, a copy from a device)."""
    return a if isinstance(a, np.ndarray) else a.detach().to("cpu").numpy()


def segment_sum(values: Any, sent: Any, n: int) -> Any:
    """Per-sentence sum of ``values`` (bool or integer; long result)."""
    return ops(sent).segment_sum(values, sent, n)


def segment_starts(counts: Any) -> Any:
    return ops(counts).cumsum(counts) - counts


def n_changes(alpha: float, n_words: Any) -> Any:
    """EDA's number of changed words: ``max(1, round(alpha * n_words))`` (0 for empty sentences or
    ``alpha == 0``)."""
    xp = ops(n_words)
    if alpha <= 0:
        return xp.zeros(xp.numel(n_words), "long", n_words)
    n = xp.clip(xp.astype(xp.round(xp.astype(n_words, "float32") * float(alpha)), "long"), 1)
    return xp.where(n_words > 0, n, 0)


def segment_rank(sent: Any, key: Any, valid: Any, n: int) -> tuple[Any, Any, Any]:
    """Rank of each element within its sentence, ordered by ``key`` in [0, 1); invalid elements rank
    after every valid one. Returns ``(rank, order, starts)``: ``order`` sorts by (sentence, key) and
    ``order[starts[s] + r]`` is the element of rank ``r`` in sentence ``s``."""
    xp = ops(sent)
    t = xp.numel(sent)
    starts = segment_starts(xp.bincount(sent, n))
    if xp is NUMPY:
        order = _order_numpy(sent, key, valid)
    elif sent.device.type == "cpu":
        order = torch.from_numpy(_order_numpy(sent.numpy(), key.numpy(), valid.numpy()))
    else:
        order = _order_torch(sent, key, valid)
    rank = xp.zeros(t, "long", sent)
    rank[order] = xp.arange(t, sent) - starts[sent[order]]
    return rank, order, starts


def _order_numpy(sent: np.ndarray, key: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """:func:`segment_rank`'s order with NumPy: integer keys (sentence << 32) | (key * 2^31), invalid =
    2^31 (the same order as :func:`_order_torch`'s sent * 2 + key). NumPy's stable sort (timsort) runs
    ~4x faster than its introsort here (keys come in sentence order, so runs are long) and ~30x faster
    than torch's CPU sort."""
    kq = (key.astype(np.float64) * 2.0**31).astype(np.int64)
    kq[~valid] = 1 << 31
    kq |= sent.astype(np.int64) << 32
    return np.argsort(kq, kind="stable")


def _order_torch(sent: torch.Tensor, key: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """:func:`segment_rank`'s order on other devices: one float64 sort of sent * 2 + key (1.5 if invalid)."""
    k = sent.to(torch.float64) * 2.0 + torch.where(valid, key.to(torch.float64), torch.full_like(key, 1.5, dtype=torch.float64))
    return torch.argsort(k)


def pick_synonyms(tid: Any, u: Any, indptr: Any, indices: Any, degree: Any) -> Any:
    """A uniformly chosen synonym (table id) of every table id in ``tid`` (all must have one)."""
    xp = ops(tid)
    d = degree[tid]
    k = xp.minimum(xp.astype(u * xp.astype(d, "float32"), "long"), d - 1)
    return indices[indptr[tid] + k]


def synonym_replacement(ids: Any, sent: Any, n: int, n_replace: Any, eligible: Any, tid: Any, u_pick: Any,
                        u_syn: Any, table: tuple[Any, Any, Any], encode) -> Any:
    """Replace ``n_replace[s]`` distinct eligible tokens of each sentence by a random synonym.

    ``eligible`` (T,) marks tokens with synonyms (not stop words), ``tid`` (T,) their table ids,
    ``encode(token_codes, synonym_ids)`` gives the new codes. Returns the new ids."""
    xp = ops(ids)
    rank, _, _ = segment_rank(sent, u_pick, eligible, n)
    chosen = eligible & (rank < n_replace[sent])
    idx = xp.nonzero(chosen)
    out = xp.clone(ids)
    if xp.numel(idx):
        syn = pick_synonyms(tid[idx], u_syn[idx], *table)
        out[idx] = encode(ids[idx], syn)
    return out


def random_insertion(ids: Any, sent: Any, n: int, n_insert: Any, eligible: Any, tid: Any, u_src: Any, u_syn: Any,
                     u_pos: Any, table: tuple[Any, Any, Any], encode, carry: Any = None) -> tuple[Any, ...]:
    """Insert, ``n_insert[s]`` times per sentence, a synonym of a random eligible word (drawn with
    replacement) at a random position (0 .. length); ``u_*`` have ``n_insert.sum()`` entries. The
    insertions of a sentence without an eligible word are skipped (in EDA's ``mode="all"`` synonym
    replacement may have replaced its only one). Returns ``(new_ids, new_sent)``, and with ``carry``
    (T,) (a long array that travels with the tokens, e.g. their input positions) a third array: it
    reordered as the tokens are, -1 for the inserted ones."""
    xp = ops(ids)
    total = int(n_insert.sum())
    if total == 0:
        return (ids, sent) if carry is None else (ids, sent, carry)
    ins_sent = xp.repeat(xp.arange(n, ids), n_insert)
    elig_idx = xp.nonzero(eligible)
    m = segment_sum(eligible, sent, n)
    ok = m[ins_sent] > 0
    if not bool(ok.all()):
        ins_sent, u_src, u_syn, u_pos = ins_sent[ok], u_src[ok], u_syn[ok], u_pos[ok]
        if xp.numel(ins_sent) == 0:
            return (ids, sent) if carry is None else (ids, sent, carry)
    eoff = segment_starts(m)
    mi = m[ins_sent]
    r = xp.minimum(xp.astype(u_src * xp.astype(mi, "float32"), "long"), mi - 1)
    src = elig_idx[eoff[ins_sent] + r]
    syn = pick_synonyms(tid[src], u_syn, *table)
    new = encode(None, syn)
    counts = xp.bincount(sent, n)
    starts = segment_starts(counts)
    li = counts[ins_sent]
    pos = xp.minimum(xp.astype(u_pos * xp.astype(li + 1, "float32"), "long"), li)
    width = 2 * (int(counts.max()) if xp.numel(counts) else 0) + 4
    j = xp.arange(xp.numel(sent), ids) - starts[sent]
    key = xp.cat([sent * width + 2 * j + 1, ins_sent * width + 2 * pos])
    order = xp.argsort(key)
    if carry is None:
        return xp.cat([ids, new])[order], xp.cat([sent, ins_sent])[order]
    fill = xp.full(xp.numel(ins_sent), -1, "long", ids)
    return xp.cat([ids, new])[order], xp.cat([sent, ins_sent])[order], xp.cat([carry, fill])[order]


def random_swap(ids: Any, sent: Any, n: int, n_swaps: Any, movable: Any, u: Any) -> Any:
    """``n_swaps[s]`` disjoint swaps of two random movable tokens per sentence (at most
    ``movable // 2``): the ``2 k`` lowest-keyed movable tokens are paired (0,1), (2,3), ..."""
    xp = ops(ids)
    rank, order, starts = segment_rank(sent, u, movable, n)
    pairs = xp.minimum(n_swaps, segment_sum(movable, sent, n) // 2)
    chosen = movable & (rank < 2 * pairs[sent])
    idx = xp.nonzero(chosen)
    out = xp.clone(ids)
    if xp.numel(idx):
        partner = order[starts[sent[idx]] + (rank[idx] ^ 1)]
        out[idx] = ids[partner]
    return out


def random_deletion(ids: Any, sent: Any, n: int, p: Any, u: Any, at_least_one: bool = True,
                    valid: Any = None, carry: Any = None) -> tuple[Any, ...]:
    """Delete each ``valid`` token (default: every token) with its sentence's probability ``p[s]``;
    other tokens always stay. A sentence keeps at least one valid token (the one with the largest
    draw) and, with ``at_least_one``, loses at least one when it has two or more valid tokens and
    ``p[s] > 0`` (the one with the smallest draw). Returns ``(ids, sent)``, and ``carry`` (T,) (an
    array that travels with the tokens) of the kept tokens when it is given."""
    xp = ops(sent)
    if xp.numel(sent) == 0:
        return (ids, sent) if carry is None else (ids, sent, carry)
    if valid is None:
        valid = xp.full(xp.numel(sent), True, "bool", sent)
    ps = p[sent]
    drop = (u < ps) & valid
    counts = segment_sum(valid, sent, n)
    umax = xp.segment_max(xp.where(valid, u, -1.0), sent, n, -1.0)
    umin = xp.segment_min(xp.where(valid, u, 2.0), sent, n, 2.0)
    if at_least_one:
        none = segment_sum(drop, sent, n) == 0
        drop |= none[sent] & (counts[sent] >= 2) & (ps > 0) & valid & (u == umin[sent])
    kept = segment_sum(valid & ~drop, sent, n)
    drop &= ~((kept[sent] == 0) & valid & (u == umax[sent]))
    keep = ~drop
    return (ids[keep], sent[keep]) if carry is None else (ids[keep], sent[keep], carry[keep])


# --------------------------------------------------------------------------------------------------
# Character kernels: flat int64 code points of the whole batch (sentences separated by a sentinel
# code that is never a word character), words = maximal runs of word characters.
# --------------------------------------------------------------------------------------------------


def char_words(is_word_char: Any) -> tuple[Any, Any, Any]:
    """Word segmentation of a flat code array: ``(word_id (C,) or -1, word_start (W,), word_len (W,))``."""
    xp = ops(is_word_char)
    prev = xp.zeros(xp.numel(is_word_char), "bool", is_word_char)
    prev[1:] = is_word_char[:-1]
    start = is_word_char & ~prev
    word_id = xp.cumsum(xp.astype(start, "long")) - 1
    word_id = xp.where(is_word_char, word_id, -1)
    starts = xp.nonzero(start)
    w = xp.numel(starts)
    lens = xp.bincount(word_id[is_word_char], w)
    return word_id, starts, lens


def choose_chars(word_id: Any, cand: Any, n_per_word: Any, u: Any) -> Any:
    """Mask of ``n_per_word[w]`` distinct random candidate characters in each word (0: none).

    Only the characters of words with ``n_per_word > 0`` are ranked (a word with as many choices as
    candidates takes them all without a draw)."""
    xp = ops(cand)
    w = xp.numel(n_per_word)
    out = xp.zeros(xp.numel(cand), "bool", cand)
    if w == 0 or xp.numel(word_id) == 0:
        return out
    wc = xp.nonzero(word_id >= 0)  # word characters: contiguous per word, words in order
    seg = word_id[wc]
    live = n_per_word[seg] > 0
    wc, seg = wc[live], seg[live]
    if xp.numel(wc) == 0:
        return out
    rank, _, _ = segment_rank(seg, u[wc], cand[wc], w)
    out[wc] = cand[wc] & (rank < n_per_word[seg])
    return out


def substitute_chars(codes: Any, chosen: Any, indptr: Any, indices: Any, u: Any) -> Any:
    """Replace each chosen code by a random entry of its row in the CSR map (codes must have one)."""
    xp = ops(codes)
    idx = xp.nonzero(chosen)
    out = xp.clone(codes)
    if xp.numel(idx):
        c = codes[idx]
        deg = indptr[c + 1] - indptr[c]
        k = xp.minimum(xp.astype(u[idx] * xp.astype(deg, "float32"), "long"), deg - 1)
        out[idx] = indices[indptr[c] + k]
    return out


def insert_chars(codes: Any, after: Any, new: Any) -> Any:
    """Insert ``new[i]`` after every position ``i`` marked in ``after``."""
    xp = ops(codes)
    idx = xp.nonzero(after)
    if xp.numel(idx) == 0:
        return codes
    pos = xp.arange(xp.numel(codes), codes)
    key = xp.cat([2 * pos, 2 * idx + 1])
    order = xp.argsort(key)
    return xp.cat([codes, new[idx]])[order]


def swap_next_chars(codes: Any, chosen: Any) -> Any:
    """Swap every chosen character with the next one (callers make sure the next one is in the same
    word); a choice right after another one is skipped so that swaps do not overlap."""
    xp = ops(codes)
    prev = xp.zeros(xp.numel(chosen), "bool", chosen)
    prev[1:] = chosen[:-1]
    idx = xp.nonzero(chosen & ~prev)
    out = xp.clone(codes)
    if xp.numel(idx):
        out[idx] = codes[idx + 1]
        out[idx + 1] = codes[idx]
    return out
