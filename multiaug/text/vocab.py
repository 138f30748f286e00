"""Batch tokenisation to flat id tensors, and detokenisation.

A batch of ``N`` strings becomes a :class:`TokenBatch`: ``ids`` (T,) token-type ids (into ``types``,
one vocabulary per batch), ``sent`` (T,) the sentence of each token (non-decreasing) and ``lengths``
(N,). This ragged ("flat") layout keeps memory at O(tokens) even when one document is very long; the
kernels in :mod:`.functional` work on it with segment operations.

Tokens are whitespace-separated chunks, as ``str.split()`` makes them (the whole batch is split in
one call, texts separated by a sentinel token); leading and trailing
punctuation stays attached to its word ("world." is one token whose *core* is "world"), so a swap
moves a word with its punctuation and a synonym keeps it ("world." -> "globe."). Detokenisation joins
tokens with one space: runs of whitespace (newlines included) come back as single spaces.

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
        self._styled: dict[tuple[bool, bool], tuple[int, np.ndarray]] = {}
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
        if n0 < len(SENTINELS):
            self.is_word[: len(SENTINELS)] = False
        self.n = n1

    def styled(self, lowercase: bool, keep_punct: bool, v: int) -> np.ndarray:
        """Output string of types ``0 .. v-1`` under the case/punctuation options (cached)."""
        key = (lowercase, keep_punct)
        with self._lock:
            done, arr = self._styled.get(key, (0, np.empty(0, dtype=object)))
            if done < v:
                arr = _grow(arr, v)
                src = islice(self.vocab, done, v) if keep_punct else self.core[done:v]
                arr[done:v] = [t.lower() for t in src] if lowercase else list(src)
                self._styled[key] = (v, arr)
            return arr[:v]

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
                          self.prefix, self.core, self.suffix)


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
    # every text is followed by exactly one separator token: its length is the gap between them
    n = len(texts)
    if n == 1:  # one text (a Dataset's __getitem__): its separator is the last token
        lengths = np.array([len(flat) - 1], dtype=np.int64)
        ids, sent = torch.from_numpy(all_ids[:-1]), torch.zeros(len(flat) - 1, dtype=torch.long)
    else:
        pos = np.flatnonzero(all_ids == SENTINELS.index(sep))
        lengths = np.diff(pos, prepend=-1) - 1
        ids = torch.from_numpy(np.delete(all_ids, pos))
        sent = torch.from_numpy(np.repeat(np.arange(n, dtype=np.int64), lengths))
    dev = torch.device(device)
    return TokenBatch(ids.to(dev), sent.to(dev), torch.from_numpy(lengths).to(dev), v, lexicon, sep,
                      prefix, core, suffix)


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
               keep_punct: bool = True) -> list[str]:
    """Turn flat codes (original type ids or :func:`encode_new` codes; tensors on any device or NumPy
    arrays) back into ``n`` strings, with one ``str.join`` over the whole batch."""
    v = tb.vocab_size
    ids_c, sent_c = to_numpy(ids), to_numpy(sent)
    base = tb.lexicon.styled(lowercase, keep_punct, v)
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
    strs = base[ids_c]
    if not keep_punct:
        keep = strs != ""
        if not keep.all():
            strs, sent_c = strs[keep], sent_c[keep]
    if len(strs) == 0:
        return [""] * n
    counts = np.bincount(sent_c, minlength=n)
    # mark the last token of every non-empty text, join the whole batch once and split it back:
    # "a b<SEP> c d<SEP> e<SEP>" -> ["a b", "c d", "e<SEP>"]
    sep = tb.sep
    last = (np.cumsum(counts) - 1)[counts > 0]
    strs[last] = [w + sep for w in strs[last].tolist()]  # (not `+ sep`: NumPy would drop a NUL)
    parts = " ".join(strs.tolist()).split(sep + " ")
    parts[-1] = parts[-1][: -len(sep)]
    if len(parts) == n:
        return parts
    out = np.full(n, "", dtype=object)
    out[counts > 0] = parts
    return out.tolist()
