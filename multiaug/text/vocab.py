"""Batch tokenisation to flat id tensors, and detokenisation.

A batch of ``N`` strings becomes a :class:`TokenBatch`: ``ids`` (T,) token-type ids (into ``types``,
one vocabulary per batch), ``sent`` (T,) the sentence of each token (non-decreasing) and ``lengths``
(N,). This ragged ("flat") layout keeps memory at O(tokens) even when one document is very long; the
kernels in :mod:`.functional` work on it with segment operations.

Tokens are whitespace-separated chunks, as ``str.split()`` makes them (the whole batch is split in
one call, texts separated by a sentinel token); leading and trailing
punctuation stays attached to its word ("world." is one token whose *core* is "world"), so a swap
moves a word with its punctuation and a synonym keeps it ("world." -> "globe."). Detokenisation keeps
the input's whitespace: texts whose words are separated by single spaces (no leading or trailing
space) are joined with one space, as they came; the others carry a :class:`Layout` (the whitespace
before, between and after their tokens) and come back with it, see :func:`detokenize`.

A :class:`Lexicon` holds a persistent vocabulary (token type -> id, shared by the batches that use the
same synonym source and stop words) and, per *type* (not per token), the core, its affixes and its
synonym-table id (stop words get none), worked out once when the type is first seen. That is the only
Python work proportional to the vocabulary; everything proportional to the number of tokens is done by
C loops (``str.split``, dict lookups through ``map``, ``str.join``) or tensor operations.
"""
from __future__ import annotations

import string
import threading
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Iterable

import numpy as np
import torch

from .functional import to_numpy
from .synonyms import STOP_WORDS, SynonymTable, cache_put, get_table, source_key

PUNCT = string.punctuation + "“”‘’«»„‚‹›—–…¡¿·•"


SENTINELS = ("\x00", "\ue000", "\U000f0000")  # text separators (ids 0..2 of every vocabulary)


class _Vocab(dict):
    """type -> id; an unknown type gets the next id (C-speed lookups for known types)."""

    def __missing__(self, key: str) -> int:
        i = len(self)
        self[key] = i
        return i


def factorize(items: list) -> tuple[list, np.ndarray]:
    """``(uniques, codes)``: the distinct items in order of first occurrence and, per item, its index
    in them (int64). One dict lookup per item: memory O(items), whatever their length (unlike
    ``np.unique`` on a fixed-width string array, which is as wide as the longest item)."""
    index = _Vocab()
    codes = np.fromiter(map(index.__getitem__, items), dtype=np.int64, count=len(items))
    return list(index), codes


def _grow(arr: np.ndarray, n: int) -> np.ndarray:
    if n <= len(arr):
        return arr
    out = np.empty(max(n, 2 * len(arr), 1024), dtype=arr.dtype)
    out[: len(arr)] = arr
    return out


class Lexicon:
    """Persistent vocabulary + per-type analysis for one synonym table and stop-word set.

    Shared by every augmenter (and thread) that uses the same synonym source and stop words: it only
    grows (new types are appended, under a lock), so a :class:`TokenBatch` stays valid whatever other
    calls add; :func:`get_lexicon` starts a fresh one once it holds more than ``max_types`` types."""

    def __init__(self, table: SynonymTable | None, stopwords: Iterable[str] = STOP_WORDS, max_types: int = 1_000_000):
        self.table = table
        self.stopwords = frozenset(w.lower() for w in stopwords)
        self.max_types = max_types
        self._lock = threading.RLock()
        self.reset()

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def reset(self) -> None:
        """Forget the vocabulary (token batches made before keep their own views)."""
        self.vocab = _Vocab()
        for s in SENTINELS:
            self.vocab[s]
        self.n = 0
        self.prefix = np.empty(0, dtype=object)
        self.core = np.empty(0, dtype=object)
        self.suffix = np.empty(0, dtype=object)
        self.tid = np.empty(0, dtype=np.int64)
        self.is_word = np.empty(0, dtype=bool)
        self.length = np.empty(0, dtype=np.int64)  # characters per type (to find texts with other whitespace)
        self._styled: dict[tuple[bool, bool], tuple[int, np.ndarray, np.ndarray]] = {}
        self._on: dict[torch.device, tuple[int, torch.Tensor, torch.Tensor]] = {}
        self.update()

    def analyse(self, tok: str) -> tuple[str, str, str, int]:
        """``(prefix, core, suffix, table_id)`` of a token type (table_id -1: no synonyms / stop word)."""
        core = tok.strip(PUNCT)
        if core:
            i = tok.find(core)
            pre, suf = tok[:i], tok[i + len(core) :]
        else:
            pre, suf = tok, ""
        low = core.lower()
        tid = -1
        if core and self.table is not None and low not in self.stopwords and any(c.isalpha() for c in core):
            tid = self.table.lookup(low)
        return pre, core, suf, tid

    def update(self) -> None:
        """Analyse the types added to the vocabulary since the last update."""
        n0, n1 = self.n, len(self.vocab)
        if n1 == n0:
            return
        infos = [self.analyse(t) for t in islice(self.vocab, n0, None)]
        pre, core, suf, tid = zip(*infos)
        for name, vals in (("prefix", pre), ("core", core), ("suffix", suf), ("tid", tid)):
            arr = _grow(getattr(self, name), n1)
            arr[n0:n1] = vals
            setattr(self, name, arr)
        self.is_word = _grow(self.is_word, n1)
        self.is_word[n0:n1] = [c != "" for c in core]
        self.length = _grow(self.length, n1)
        self.length[n0:n1] = np.fromiter(map(len, islice(self.vocab, n0, None)), dtype=np.int64, count=n1 - n0)
        if n0 < len(SENTINELS):
            self.is_word[: len(SENTINELS)] = False
        self.n = n1

    def styled(self, lowercase: bool, keep_punct: bool, v: int) -> np.ndarray:
        """Output string of types ``0 .. v-1`` under the case/punctuation options (cached)."""
        return self._styled_types(lowercase, keep_punct, v)[0]

    def _styled_types(self, lowercase: bool, keep_punct: bool, v: int) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`styled`'s strings and their lengths."""
        key = (lowercase, keep_punct)
        with self._lock:
            done, arr, lens = self._styled.get(key, (0, np.empty(0, dtype=object), np.empty(0, dtype=np.int64)))
            if done < v:
                arr, lens = _grow(arr, v), _grow(lens, v)
                src = islice(self.vocab, done, v) if keep_punct else self.core[done:v]
                arr[done:v] = [t.lower() for t in src] if lowercase else list(src)
                lens[done:v] = np.fromiter(map(len, arr[done:v]), dtype=np.int64, count=v - done)
                self._styled[key] = (v, arr, lens)
            return arr[:v], lens[:v]

    def tensors(self, device: Any, v: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tid, is_word)`` of types ``0 .. v-1`` on ``device`` (cached)."""
        key = device if isinstance(device, torch.device) else torch.device(device)
        with self._lock:
            got = self._on.get(key)
            if got is None or got[0] < v:
                got = (self.n, torch.from_numpy(self.tid[: self.n].copy()).to(key),
                       torch.from_numpy(self.is_word[: self.n].copy()).to(key))
                self._on[key] = got
        return got[1][:v], got[2][:v]


_LEXICONS: dict[tuple, Lexicon] = {}
_LEXICONS_LOCK = threading.Lock()


def get_lexicon(synonyms: Any = "wordnet", stopwords: Iterable[str] | None = None) -> Lexicon:
    """A cached :class:`Lexicon` for a ``synonyms`` source (None: no synonyms) and stop words
    (None: the built-in English list). One that grew past its ``max_types`` is replaced by a fresh one
    (never emptied in place: batches tokenised with it, maybe in another thread, stay valid)."""
    sw = STOP_WORDS if stopwords is None else frozenset(w.lower() for w in stopwords)
    # a file's key holds its modification time and size: an edited file gets a new lexicon
    src = None if synonyms is None else source_key(synonyms) if not isinstance(synonyms, SynonymTable) else id(synonyms)
    key = (src, sw)
    with _LEXICONS_LOCK:
        lex = _LEXICONS.get(key)
        if lex is None or len(lex.vocab) > lex.max_types:
            table = None if synonyms is None else lex.table if lex is not None else get_table(synonyms)
            _LEXICONS.pop(key, None)
            cache_put(_LEXICONS, key, Lexicon(table, sw), source_of=lambda k: k[0])
        return _LEXICONS[key]


@dataclass
class Layout:
    """The whitespace of the texts of a batch that are not single-space separated (see :func:`tokenize`).

    Between two tokens of a text there is one space except after the flat positions ``odd_at``
    (sorted), followed by ``odd_run`` (object); ``lead`` / ``trail`` (N,) object: the whitespace
    before the first token and after the last one (a text without tokens is all ``lead``); ``sent``
    (T,) the text of each token, on the host. ``t`` and ``n`` are the sizes of the batch it was made
    for: a tiled batch (:meth:`TokenBatch.repeat`) looks its flat positions up modulo ``t`` and its
    texts modulo ``n``."""

    odd_at: np.ndarray
    odd_run: np.ndarray
    lead: np.ndarray
    trail: np.ndarray
    sent: np.ndarray
    t: int
    n: int

    def text_of(self, j: np.ndarray) -> np.ndarray:
        """The text (of a tiled batch) of each of its flat positions ``j``."""
        return j // self.t * self.n + self.sent[j % self.t]

    def gaps(self, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(odd, runs)`` for flat positions ``j`` (of this batch): whether the whitespace after each
        is not one space, and that whitespace (object)."""
        runs = np.full(len(j), " ", dtype=object)
        if not len(self.odd_at) or not len(j):
            return np.zeros(len(j), dtype=bool), runs
        k = np.minimum(np.searchsorted(self.odd_at, j), len(self.odd_at) - 1)
        odd = self.odd_at[k] == j
        runs[odd] = self.odd_run[k[odd]]
        return odd, runs


@dataclass
class TokenBatch:
    """A tokenised batch in flat layout (see the module docstring)."""

    ids: torch.Tensor  # (T,) long, type ids (< vocab_size)
    sent: torch.Tensor  # (T,) long, sentence of each token
    lengths: torch.Tensor  # (N,) long
    vocab_size: int
    lexicon: Lexicon
    sep: str  # a sentinel that occurs in no text of the batch
    prefix: np.ndarray = field(repr=False, default=None)  # (V,) object views, fixed at tokenisation
    core: np.ndarray = field(repr=False, default=None)
    suffix: np.ndarray = field(repr=False, default=None)
    layout: Layout | None = field(repr=False, default=None)  # None: every text single-space separated

    @property
    def n(self) -> int:
        return int(self.lengths.numel())

    @property
    def table(self) -> SynonymTable | None:
        return self.lexicon.table

    def type_tensors(self, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tid, is_word)`` per type on ``device``."""
        return self.lexicon.tensors(device, self.vocab_size)

    def repeat(self, k: int) -> "TokenBatch":
        """The batch tiled ``k`` times (sentence ``i`` of copy ``c`` is ``c * N + i``)."""
        if k == 1:
            return self
        n, t = self.n, int(self.ids.numel())
        ids = self.ids.repeat(k)
        sent = self.sent.repeat(k) + torch.arange(k, device=self.sent.device).repeat_interleave(t) * n
        return TokenBatch(ids, sent, self.lengths.repeat(k), self.vocab_size, self.lexicon, self.sep,
                          self.prefix, self.core, self.suffix, self.layout)


def _pick_sentinel(texts: list[str]) -> tuple[str, str]:
    for sep in SENTINELS:
        joined = f" {sep} ".join(texts)
        if joined.count(sep) == max(len(texts) - 1, 0):
            return sep, joined + f" {sep}"
    raise ValueError("x: the texts contain every separator character (U+0000, U+E000, U+F0000); cannot tokenise them")


def tokenize(texts: list[str], lexicon: Lexicon | None = None, device: Any = "cpu") -> TokenBatch:
    """Tokenise a batch once: one whitespace split of the whole batch, persistent vocabulary, flat
    id tensors on ``device``."""
    lexicon = lexicon or get_lexicon(None)
    sep, joined = _pick_sentinel(texts)
    flat = joined.split()
    with lexicon._lock:  # the lexicon is shared (augmenters, threads): new types get their ids one call at a time
        all_ids = np.fromiter(map(lexicon.vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
        lexicon.update()
        v = lexicon.n
        prefix, core, suffix = lexicon.prefix[:v], lexicon.core[:v], lexicon.suffix[:v]
        type_len = lexicon.length[:v]
    # every text is followed by exactly one separator token: its length is the gap between them
    n = len(texts)
    if n == 1:  # one text (a Dataset's __getitem__): its separator is the last token
        lengths = np.array([len(flat) - 1], dtype=np.int64)
        ids_np, sent_np = all_ids[:-1], np.zeros(len(flat) - 1, dtype=np.int64)
    else:
        pos = np.flatnonzero(all_ids == SENTINELS.index(sep))
        lengths = np.diff(pos, prepend=-1) - 1
        ids_np = np.delete(all_ids, pos)
        sent_np = np.repeat(np.arange(n, dtype=np.int64), lengths)
    # every gap between two tokens of ``joined`` one space, nothing before or after: all texts are single-spaced
    plain = len(joined) - int(type_len[all_ids].sum()) == len(flat) - 1 and joined.count(" ") == len(flat) - 1
    layout = None if plain else _layout(texts, ids_np, sent_np, lengths, type_len)
    dev = torch.device(device)
    return TokenBatch(torch.from_numpy(ids_np).to(dev), torch.from_numpy(sent_np).to(dev),
                      torch.from_numpy(lengths).to(dev), v, lexicon, sep, prefix, core, suffix, layout)


def _layout(texts: list[str], ids: np.ndarray, sent: np.ndarray, lengths: np.ndarray,
            type_len: np.ndarray) -> Layout | None:
    """The :class:`Layout` of a tokenised batch (``ids``/``sent``/``lengths`` as in :class:`TokenBatch`,
    ``type_len`` the length of each type), None when every text is its tokens joined by single spaces.

    The texts are scanned together as one array of code points, with a fixed number of array
    operations: whitespace other than a lone space between two tokens is what is kept, and only those
    runs become strings (one slice each). Which gap a run is follows from the tokens' lengths: with one
    space between every two tokens and none before the first, token ``k`` would start at the sum of
    ``len + 1`` over the tokens before it; a run stands where that sum, plus the extra width of the runs
    before it, says."""
    n = len(texts)
    big = "".join(texts)
    if not big:
        return None
    cp = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    # whitespace: " ", and the few code points outside 32..0x84 that are (looked up in a table)
    special = np.flatnonzero((cp - np.uint32(32)) > 0x64)
    special = special[np.take(_IS_WS, cp[special], mode="clip")]
    ws = cp == 32
    ws[special] = True
    chars = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    tbeg = np.cumsum(chars) - chars
    full = chars > 0
    edges = np.r_[tbeg[full], (tbeg + chars - 1)[full]]
    pairs = np.flatnonzero(ws[1:] & ws[:-1])
    # kept: every character of a run of two or more, a lone whitespace that is not " ", any at a text's edge
    kept = np.unique(np.concatenate([special, pairs, pairs + 1, edges[ws[edges]]]))
    if not len(kept):
        return None
    ktext = np.searchsorted(tbeg, kept, side="right") - 1  # (an empty text owns no character)
    brk = np.flatnonzero((np.diff(kept) > 1) | (ktext[1:] != ktext[:-1])) + 1
    first_k, last_k = np.r_[0, brk], np.r_[brk - 1, len(kept) - 1]
    run_s, run_e, rtext = kept[first_k], kept[last_k] + 1, ktext[first_k]
    strings = np.empty(len(run_s), dtype=object)
    strings[:] = [big[a:b] for a, b in zip(run_s.tolist(), run_e.tolist())]
    at_lead = run_s == tbeg[rtext]
    # where each run would be in the single-spaced text: less the extra width of the runs before it
    width = (run_e - run_s) - ~at_lead
    cum = np.cumsum(width) - width
    text_first = np.flatnonzero(np.r_[True, rtext[1:] != rtext[:-1]])
    base = np.zeros(n, dtype=np.int64)
    base[rtext[text_first]] = cum[text_first]
    tok_end = np.r_[0, np.cumsum(type_len[ids] + 1)]  # single-spaced offset of each token's start, then the end
    tok_before = np.cumsum(lengths) - lengths
    at = tok_end[tok_before[rtext]] + (run_s - tbeg[rtext]) - (cum - base[rtext]) + 1
    nxt = np.searchsorted(tok_end, at)  # the first token after the run
    ok = at_lead | (tok_end[np.minimum(nxt, len(tok_end) - 1)] == at)
    if not ok.all():  # str.split and the scan disagree: cannot happen (the same whitespace)
        raise RuntimeError("text tokenisation: the whitespace scan does not match str.split()")
    local = np.where(at_lead, 0, nxt - tok_before[rtext])
    at_trail = ~at_lead & (local == lengths[rtext])
    lead = np.full(n, "", dtype=object)
    trail = np.full(n, "", dtype=object)
    lead[rtext[at_lead]] = strings[at_lead]
    trail[rtext[at_trail]] = strings[at_trail]
    mid = ~at_lead & ~at_trail
    return Layout(tok_before[rtext[mid]] + local[mid] - 1, strings[mid], lead, trail, sent, len(ids), n)


# the code points str.split() splits on (str.isspace()): 9-13, 28-32 and some above 0x84, the highest U+3000
_IS_WS = np.zeros(0x3002, dtype=bool)
_IS_WS[[c for c in range(0x3001) if chr(c).isspace()]] = True


def _cased(word: str, like: str) -> str:
    if like[:1].isupper():
        if len(like) > 1 and like.isupper():
            return word.upper()
        return word[:1].upper() + word[1:]
    return word


def encode_new(types_plus_one: torch.Tensor, syn: torch.Tensor, vocab_size: int, table_size: int) -> torch.Tensor:
    """Code of a token that is not an original type: synonym ``syn`` (table id) styled like type
    ``types_plus_one - 1`` (0: unstyled, lower-case, no punctuation). Codes are >= ``vocab_size``."""
    return vocab_size + types_plus_one * max(table_size, 1) + syn


def detokenize(ids: Any, sent: Any, n: int, tb: TokenBatch, lowercase: bool = False,
               keep_punct: bool = True, pos: Any = None) -> list[str]:
    """Turn flat codes (original type ids or :func:`encode_new` codes; tensors on any device or NumPy
    arrays) back into ``n`` strings, with one ``str.join`` over the whole batch.

    Texts laid out with single spaces come back so. When ``tb`` has a :class:`Layout`, ``pos`` (per
    output token: the flat position in ``tb`` it stands at, -1 for an inserted token; None: the tokens
    of ``tb`` as they are) says where each token was, and the whitespace follows the tokens: see
    :func:`_separators`."""
    v = tb.vocab_size
    ids_c, sent_c = to_numpy(ids), to_numpy(sent)
    layout = tb.layout
    if layout is not None:
        pos_c = np.arange(len(ids_c), dtype=np.int64) if pos is None else to_numpy(pos)
    base, base_len = tb.lexicon._styled_types(lowercase, keep_punct, v)
    new_mask = ids_c >= v
    if new_mask.any():
        codes, inv = np.unique(ids_c[new_mask], return_inverse=True)
        tsize = max(len(tb.table) if tb.table is not None else 1, 1)
        style = ((codes - v) // tsize - 1).tolist()
        syn = (codes - v) % tsize
        words = tb.table.words[syn].tolist() if tb.table is not None else [""] * len(style)
        extra = np.empty(len(style), dtype=object)
        pre, core, suf = tb.prefix, tb.core, tb.suffix
        for k, (st, w) in enumerate(zip(style, words)):
            if st >= 0:
                if not lowercase and core[st][:1].isupper():
                    w = _cased(w, core[st])
                if keep_punct and (pre[st] or suf[st]):
                    w = pre[st] + w + suf[st]
            extra[k] = w
        ids_c = ids_c.copy()
        ids_c[new_mask] = v + inv.reshape(-1)
        base = np.concatenate([base, extra])
        if layout is not None:
            base_len = np.concatenate([base_len, np.fromiter(map(len, extra), dtype=np.int64, count=len(extra))])
    strs = base[ids_c]
    if not keep_punct:
        keep = strs != ""
        if not keep.all():
            strs, sent_c, ids_c = strs[keep], sent_c[keep], ids_c[keep]
            if layout is not None:
                pos_c = pos_c[keep]
    if layout is None:
        return _join(strs, sent_c, n, tb.sep)
    return _lay_out(strs, base_len[ids_c], sent_c, pos_c, n, tb)


class LaidOut(list):
    """:func:`detokenize`'s texts for a batch with a :class:`Layout`; ``words``: the same texts with
    their tokens joined by single spaces (what ``" ".join(text.split())`` gives)."""

    def __init__(self, texts: list[str], words: list[str]):
        super().__init__(texts)
        self.words = words


def _join(strs: np.ndarray, sent: np.ndarray, n: int, sep: str) -> list[str]:
    """The tokens ``strs`` of each of ``n`` texts joined with one space (one join over the batch; the
    last token of each text in ``strs`` is overwritten)."""
    if len(strs) == 0:
        return [""] * n
    counts = np.bincount(sent, minlength=n)
    # mark the last token of every non-empty text, join the whole batch once and split it back:
    # "a b<SEP> c d<SEP> e<SEP>" -> ["a b", "c d", "e<SEP>"]
    last = (np.cumsum(counts) - 1)[counts > 0]
    strs[last] = [w + sep for w in strs[last].tolist()]  # (not `+ sep`: NumPy would drop a NUL)
    parts = " ".join(strs.tolist()).split(sep + " ")
    parts[-1] = parts[-1][: -len(sep)]
    if len(parts) == n:
        return parts
    out = np.full(n, "", dtype=object)
    out[counts > 0] = parts
    return out.tolist()


def _line_breaks(run: str) -> int:
    """Line breaks in a run of whitespace (``str.splitlines``'s: "\\r\\n" is one)."""
    return len((run + ".").splitlines()) - 1


def merged_runs(a: np.ndarray, r: np.ndarray, runs_at: Any) -> np.ndarray:
    """The whitespace run kept where deletions merge the runs ``[a[i], r[i])`` (disjoint, in order) into
    one: the run with the most line breaks, the first on a tie (a paragraph break survives deleting the
    word next to it). ``runs_at(j)`` gives the runs at the flat indices ``j`` (an object array of str)."""
    width = r - a
    first = np.cumsum(width) - width
    j = np.repeat(a - first, width) + np.arange(int(width.sum()))
    cand = runs_at(j)
    uniq, codes = factorize(cand.tolist())
    breaks = np.array([_line_breaks(g) for g in uniq], dtype=np.int64)[codes]
    w_max = int(width.max())
    local = np.arange(len(j)) - np.repeat(first, width)
    best = np.maximum.reduceat(breaks * (w_max + 1) + (w_max - local), first)
    return cand[first + (w_max - best % (w_max + 1))]


def _separators(pos: np.ndarray, sent: np.ndarray, tb: TokenBatch) -> tuple[np.ndarray, np.ndarray]:
    """The whitespace between output tokens that is not one space: ``(k, runs)``, the run after output
    token ``k`` (never the last token of a text), in order.

    Between two tokens that were neighbours in the input: the whitespace that was between them. Where
    tokens were deleted between two input tokens, the deleted tokens' whitespace runs merge into one:
    the one with the most line breaks (the first of those on a tie), so a paragraph break survives the
    deletion of the word next to it. An inserted token (``pos`` -1) is preceded by the run that stood
    where it was inserted and followed by one space (as :class:`~multiaug.text.ContextualSubstitution`
    inserts), and a token moved by a swap takes the whitespace of the place it moved to (the layout
    stays, the words move)."""
    lay = tb.layout
    none = (np.zeros(0, dtype=np.int64), np.empty(0, dtype=object))
    if len(pos) < 2:
        return none
    big = np.iinfo(np.int64).max
    # for each output token k but the last: the input position of the next input token at or after k + 1
    nxt = np.minimum.accumulate(np.where(pos >= 0, pos, big)[::-1])[::-1][1:]
    a = pos[:-1]
    idx = np.flatnonzero((a >= 0) & (nxt < big) & (sent[1:] == sent[:-1]))
    a, r = a[idx], nxt[idx]
    same = lay.text_of(r) == lay.text_of(a)  # that next input token is in the same text
    idx, a, r = idx[same], a[same], r[same]
    t0 = lay.t
    exact = r == a + 1
    odd, got = lay.gaps(a[exact] % t0)
    k, runs = [idx[exact][odd]], [got[odd]]
    m = ~exact
    if m.any():  # runs merged by deletions: [a, r) per separator, disjoint, in order
        a, r, km = a[m], r[m], idx[m]
        chosen = merged_runs(a, r, lambda j: lay.gaps(j % t0)[1])
        odd = chosen != " "
        k.append(km[odd])
        runs.append(chosen[odd])
    k, runs = np.concatenate(k), np.concatenate(runs)
    order = np.argsort(k, kind="stable")
    return k[order], runs[order]


def _lay_out(strs: np.ndarray, lens: np.ndarray, sent: np.ndarray, pos: np.ndarray, n: int, tb: TokenBatch
             ) -> LaidOut:
    """:func:`detokenize` for a batch with a :class:`Layout`: each text is its leading whitespace, its
    tokens with the whitespace of :func:`_separators` between them (one space elsewhere), and its
    trailing whitespace (a text left without tokens: its leading and trailing whitespace). The batch is
    joined with single spaces at once; only the texts with other whitespace are then edited, at the
    places of that whitespace (``lens``: the length of each token)."""
    words = _join(strs, sent, n, tb.sep)
    parts = list(words)
    lay = tb.layout
    texts = np.arange(n) % lay.n
    lead, trail = lay.lead[texts], lay.trail[texts]
    k, runs = _separators(pos, sent, tb)
    fix = (lead != "") | (trail != "")
    fix[sent[k]] = True
    todo = np.flatnonzero(fix)
    if not len(todo):
        return LaidOut(parts, words)
    off = np.zeros(0, dtype=np.int64)
    if len(k):  # where the space after token k is in its text's single-spaced string
        sel = np.flatnonzero(fix[sent])  # tokens of the texts edited
        ssel = sent[sel]
        end = np.cumsum(lens[sel] + 1)
        text_start = np.flatnonzero(np.r_[True, ssel[1:] != ssel[:-1]])  # first token of each text, in sel
        before = np.zeros(n, dtype=np.int64)  # per text: the end of the token before its first one
        before[ssel[text_start]] = np.r_[0, end][text_start]
        i = np.searchsorted(sel, k)
        off = end[i] - 1 - before[sent[k]]
    k_text = sent[k]
    lo = np.searchsorted(k_text, todo, side="left").tolist()
    hi = np.searchsorted(k_text, todo, side="right").tolist()
    offs, runs_l = off.tolist(), runs.tolist()
    for t, a, b in zip(todo.tolist(), lo, hi):
        p = parts[t]
        if a == b:
            parts[t] = lead[t] + p + trail[t]
            continue
        pieces, at = [lead[t]], 0
        for o, run in zip(offs[a:b], runs_l[a:b]):
            pieces += [p[at:o], run]
            at = o + 1
        pieces += [p[at:], trail[t]]
        parts[t] = "".join(pieces)
    return LaidOut(parts, words)
