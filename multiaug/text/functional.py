"""Text kernels on flat token-id tensors (pure functions of tensors and explicit random draws).

Layout (see :mod:`.vocab`): ``ids`` (T,) codes, ``sent`` (T,) the sentence of each token, sorted
(non-decreasing), ``n`` sentences. Per-sentence quantities are (n,) tensors; random draws are
uniform [0, 1) tensors made by the caller (the augmenter's ``_sample``). Everything runs on the
tensors' device with a fixed number of tensor operations, whatever the batch size.
"""
from __future__ import annotations

import numpy as np
import torch


def segment_sum(values: torch.Tensor, sent: torch.Tensor, n: int) -> torch.Tensor:
    """Per-sentence sum of ``values`` (long)."""
    return torch.zeros(n, dtype=torch.long, device=sent.device).index_add_(0, sent, values.long())


def segment_starts(counts: torch.Tensor) -> torch.Tensor:
    return torch.cumsum(counts, 0) - counts


def n_changes(alpha: float, n_words: torch.Tensor) -> torch.Tensor:
    """EDA's number of changed words: ``max(1, round(alpha * n_words))`` (0 for empty sentences or
    ``alpha == 0``)."""
    if alpha <= 0:
        return torch.zeros_like(n_words)
    n = torch.round(n_words.to(torch.float32) * float(alpha)).long().clamp(min=1)
    return torch.where(n_words > 0, n, torch.zeros_like(n))


def segment_rank(sent: torch.Tensor, key: torch.Tensor, valid: torch.Tensor, n: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Rank of each element within its sentence, ordered by ``key`` in [0, 1); invalid elements rank
    after every valid one. Returns ``(rank, order, starts)``: ``order`` sorts by (sentence, key) and
    ``order[starts[s] + r]`` is the element of rank ``r`` in sentence ``s``."""
    t = sent.numel()
    counts = torch.bincount(sent, minlength=n) if t else torch.zeros(n, dtype=torch.long, device=sent.device)
    starts = segment_starts(counts)
    order = _order_numpy(sent, key, valid) if sent.device.type == "cpu" else _order_torch(sent, key, valid)
    rank = torch.empty_like(sent)
    rank[order] = torch.arange(t, device=sent.device) - starts[sent[order]]
    return rank, order, starts


def _order_numpy(sent: torch.Tensor, key: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """:func:`segment_rank`'s order on the CPU: integer keys (sentence << 32) | (key * 2^31), invalid =
    2^31 (the same order as :func:`_order_torch`'s sent * 2 + key). NumPy's stable sort (timsort) runs
    ~4x faster than its introsort here (keys come in sentence order, so runs are long) and ~30x faster
    than torch's CPU sort."""
    kq = (key.numpy().astype(np.float64) * 2.0**31).astype(np.int64)
    kq[~valid.numpy()] = 1 << 31
    kq |= sent.numpy().astype(np.int64) << 32
    return torch.from_numpy(np.argsort(kq, kind="stable"))


def _order_torch(sent: torch.Tensor, key: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """:func:`segment_rank`'s order on other devices: one float64 sort of sent * 2 + key (1.5 if invalid)."""
    k = sent.to(torch.float64) * 2.0 + torch.where(valid, key.to(torch.float64), torch.full_like(key, 1.5, dtype=torch.float64))
    return torch.argsort(k)


def pick_synonyms(tid: torch.Tensor, u: torch.Tensor, indptr: torch.Tensor, indices: torch.Tensor,
                  degree: torch.Tensor) -> torch.Tensor:
    """A uniformly chosen synonym (table id) of every table id in ``tid`` (all must have one)."""
    d = degree[tid]
    k = torch.minimum((u * d.to(u.dtype)).long(), d - 1)
    return indices[indptr[tid] + k]


def synonym_replacement(ids: torch.Tensor, sent: torch.Tensor, n: int, n_replace: torch.Tensor,
                        eligible: torch.Tensor, tid: torch.Tensor, u_pick: torch.Tensor, u_syn: torch.Tensor,
                        table: tuple[torch.Tensor, torch.Tensor, torch.Tensor], encode) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace ``n_replace[s]`` distinct eligible tokens of each sentence by a random synonym.

    ``eligible`` (T,) marks tokens with synonyms (not stop words), ``tid`` (T,) their table ids,
    ``encode(token_codes, synonym_ids)`` gives the new codes. Returns ``(new_ids, n_replaced)``."""
    rank, _, _ = segment_rank(sent, u_pick, eligible, n)
    chosen = eligible & (rank < n_replace[sent])
    idx = torch.nonzero(chosen).flatten()
    out = ids.clone()
    if idx.numel():
        syn = pick_synonyms(tid[idx], u_syn[idx], *table)
        out[idx] = encode(ids[idx], syn)
    return out, segment_sum(chosen, sent, n)


def random_insertion(ids: torch.Tensor, sent: torch.Tensor, n: int, n_insert: torch.Tensor, eligible: torch.Tensor,
                     tid: torch.Tensor, u_src: torch.Tensor, u_syn: torch.Tensor, u_pos: torch.Tensor,
                     table: tuple[torch.Tensor, torch.Tensor, torch.Tensor], encode) -> tuple[torch.Tensor, torch.Tensor]:
    """Insert, ``n_insert[s]`` times per sentence, a synonym of a random eligible word (drawn with
    replacement) at a random position (0 .. length). ``n_insert`` must be 0 where a sentence has no
    eligible word; ``u_*`` have ``n_insert.sum()`` entries. Returns ``(new_ids, new_sent)``."""
    dev = ids.device
    total = int(n_insert.sum())
    if total == 0:
        return ids, sent
    ins_sent = torch.repeat_interleave(torch.arange(n, device=dev), n_insert)
    elig_idx = torch.nonzero(eligible).flatten()
    m = segment_sum(eligible, sent, n)
    eoff = segment_starts(m)
    mi = m[ins_sent]
    r = torch.minimum((u_src * mi.to(u_src.dtype)).long(), mi - 1)
    src = elig_idx[eoff[ins_sent] + r]
    syn = pick_synonyms(tid[src], u_syn, *table)
    new = encode(None, syn)
    counts = torch.bincount(sent, minlength=n) if sent.numel() else torch.zeros(n, dtype=torch.long, device=dev)
    starts = segment_starts(counts)
    li = counts[ins_sent]
    pos = torch.minimum((u_pos * (li + 1).to(u_pos.dtype)).long(), li)
    width = 2 * (int(counts.max()) if counts.numel() else 0) + 4
    j = torch.arange(sent.numel(), device=dev) - starts[sent]
    key = torch.cat([sent * width + 2 * j + 1, ins_sent * width + 2 * pos])
    order = torch.argsort(key, stable=True)
    return torch.cat([ids, new])[order], torch.cat([sent, ins_sent])[order]


def random_swap(ids: torch.Tensor, sent: torch.Tensor, n: int, n_swaps: torch.Tensor, movable: torch.Tensor,
                u: torch.Tensor) -> torch.Tensor:
    """``n_swaps[s]`` disjoint swaps of two random movable tokens per sentence (at most
    ``movable // 2``): the ``2 k`` lowest-keyed movable tokens are paired (0,1), (2,3), ..."""
    rank, order, starts = segment_rank(sent, u, movable, n)
    pairs = torch.minimum(n_swaps, segment_sum(movable, sent, n) // 2)
    chosen = movable & (rank < 2 * pairs[sent])
    idx = torch.nonzero(chosen).flatten()
    out = ids.clone()
    if idx.numel():
        partner = order[starts[sent[idx]] + (rank[idx] ^ 1)]
        out[idx] = ids[partner]
    return out


def random_deletion(ids: torch.Tensor, sent: torch.Tensor, n: int, p: torch.Tensor, u: torch.Tensor,
                    at_least_one: bool = True, valid: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Delete each ``valid`` token (default: every token) with its sentence's probability ``p[s]``;
    other tokens always stay. A sentence keeps at least one valid token (the one with the largest
    draw) and, with ``at_least_one``, loses at least one when it has two or more valid tokens and
    ``p[s] > 0`` (the one with the smallest draw). Returns ``(ids, sent)``."""
    if sent.numel() == 0:
        return ids, sent
    if valid is None:
        valid = torch.ones_like(sent, dtype=torch.bool)
    ps = p[sent]
    drop = (u < ps) & valid
    counts = segment_sum(valid, sent, n)
    umax = torch.full((n,), -1.0, device=u.device, dtype=u.dtype).scatter_reduce(
        0, sent, torch.where(valid, u, torch.full_like(u, -1.0)), "amax")
    umin = torch.full((n,), 2.0, device=u.device, dtype=u.dtype).scatter_reduce(
        0, sent, torch.where(valid, u, torch.full_like(u, 2.0)), "amin")
    if at_least_one:
        none = segment_sum(drop, sent, n) == 0
        drop |= none[sent] & (counts[sent] >= 2) & (ps > 0) & valid & (u == umin[sent])
    kept = segment_sum(valid & ~drop, sent, n)
    drop &= ~((kept[sent] == 0) & valid & (u == umax[sent]))
    keep = ~drop
    return ids[keep], sent[keep]


# --------------------------------------------------------------------------------------------------
# Character kernels: flat int64 code points of the whole batch (sentences separated by a sentinel
# code that is never a word character), words = maximal runs of word characters.
# --------------------------------------------------------------------------------------------------


def char_words(is_word_char: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Word segmentation of a flat code array: ``(word_id (C,) or -1, word_start (W,), word_len (W,))``."""
    prev = torch.zeros_like(is_word_char)
    prev[1:] = is_word_char[:-1]
    start = is_word_char & ~prev
    word_id = torch.cumsum(start.long(), 0) - 1
    word_id = torch.where(is_word_char, word_id, torch.full_like(word_id, -1))
    starts = torch.nonzero(start).flatten()
    w = starts.numel()
    lens = torch.bincount(word_id[is_word_char], minlength=w) if w else torch.zeros(0, dtype=torch.long, device=starts.device)
    return word_id, starts, lens


def choose_chars(word_id: torch.Tensor, cand: torch.Tensor, n_per_word: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Mask of ``n_per_word[w]`` distinct random candidate characters in each word (0: none)."""
    w = n_per_word.numel()
    out = torch.zeros_like(cand)
    if w == 0 or word_id.numel() == 0:
        return out
    wc = torch.nonzero(word_id >= 0).flatten()  # word characters: contiguous per word, words in order
    seg = word_id[wc]
    rank, _, _ = segment_rank(seg, u[wc], cand[wc], w)
    out[wc] = cand[wc] & (rank < n_per_word[seg])
    return out


def substitute_chars(codes: torch.Tensor, chosen: torch.Tensor, indptr: torch.Tensor, indices: torch.Tensor,
                     u: torch.Tensor) -> torch.Tensor:
    """Replace each chosen code by a random entry of its row in the CSR map (codes must have one)."""
    idx = torch.nonzero(chosen).flatten()
    out = codes.clone()
    if idx.numel():
        c = codes[idx]
        deg = indptr[c + 1] - indptr[c]
        k = torch.minimum((u[idx] * deg.to(u.dtype)).long(), deg - 1)
        out[idx] = indices[indptr[c] + k]
    return out


def insert_chars(codes: torch.Tensor, after: torch.Tensor, new: torch.Tensor) -> torch.Tensor:
    """Insert ``new[i]`` after every position ``i`` marked in ``after``."""
    idx = torch.nonzero(after).flatten()
    if idx.numel() == 0:
        return codes
    pos = torch.arange(codes.numel(), device=codes.device)
    key = torch.cat([2 * pos, 2 * idx + 1])
    order = torch.argsort(key)
    return torch.cat([codes, new[idx]])[order]


def swap_next_chars(codes: torch.Tensor, chosen: torch.Tensor) -> torch.Tensor:
    """Swap every chosen character with the next one (callers make sure the next one is in the same
    word); a choice right after another one is skipped so that swaps do not overlap."""
    prev = torch.zeros_like(chosen)
    prev[1:] = chosen[:-1]
    idx = torch.nonzero(chosen & ~prev).flatten()
    out = codes.clone()
    if idx.numel():
        out[idx] = codes[idx + 1]
        out[idx + 1] = codes[idx]
    return out
