"""Batch tokenisation to flat id tensors, and detokenisation.

A batch of ``N`` strings becomes a :class:`TokenBatch`: ``ids`` (T,) token-type ids (into ``types``,
one vocabulary per batch), ``sent`` (T,) the sentence of each token (non-decreasing) and ``lengths``
(N,). This ragged ("flat") layout keeps memory at O(tokens) even when one document is very long; the
kernels in :mod:`.functional` work on it with segment operations.

Tokens are whitespace-separated chunks, as ``str.split()`` makes them; leading and trailing
punctuation stays attached to its word ("world." is one token whose *core* is "world"), so a swap
moves a word with its punctuation and a synonym keeps it ("world." -> "globe."). Detokenisation joins
tokens with one space: runs of whitespace (newlines included) come back as single spaces.

Per token *type* (not per token) a :class:`Lexicon` works out the core, its affixes and its synonym
table id (stop words get none), and caches the answer across batches: this is the only Python work
proportional to the vocabulary; everything proportional to the number of tokens is done by C loops
(``str.split``, dict lookups through ``map``) or tensor operations.
"""
from __future__ import annotations

import string
from dataclasses import dataclass, field
from itertools import chain
from typing import Any, Iterable

import numpy as np
import torch

from .synonyms import STOP_WORDS, SynonymTable, get_table, source_key

PUNCT = string.punctuation + "“”‘’«»„‚‹›—–…¡¿·•"


class Lexicon:
    """Per-type analysis for one synonym table and stop-word set, cached across batches."""

    def __init__(self, table: SynonymTable | None, stopwords: Iterable[str] = STOP_WORDS, max_cache: int = 500_000):
        self.table = table
        self.stopwords = frozenset(w.lower() for w in stopwords)
        self.max_cache = max_cache
        self._cache: dict[str, tuple[str, str, str, int]] = {}

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

    def info(self, types: list[str]) -> list[tuple[str, str, str, int]]:
        cache = self._cache
        if len(cache) > self.max_cache:
            cache.clear()
        get = cache.get
        out = list(map(get, types))
        if None in out:
            for k, t in enumerate(types):
                if out[k] is None:
                    out[k] = cache[t] = self.analyse(t)
        return out  # type: ignore[return-value]


_LEXICONS: dict[tuple, Lexicon] = {}


def get_lexicon(synonyms: Any = "wordnet", stopwords: Iterable[str] | None = None) -> Lexicon:
    """A cached :class:`Lexicon` for a ``synonyms`` source (None: no synonyms) and stop words
    (None: the built-in English list)."""
    sw = STOP_WORDS if stopwords is None else frozenset(w.lower() for w in stopwords)
    key = (None if synonyms is None else source_key(synonyms) if not isinstance(synonyms, SynonymTable) else id(synonyms), sw)
    if key not in _LEXICONS:
        table = None if synonyms is None else get_table(synonyms)
        if len(_LEXICONS) > 16:
            _LEXICONS.pop(next(iter(_LEXICONS)))
        _LEXICONS[key] = Lexicon(table, sw)
    return _LEXICONS[key]


@dataclass
class TokenBatch:
    """A tokenised batch in flat layout (see the module docstring)."""

    ids: torch.Tensor  # (T,) long, type ids
    sent: torch.Tensor  # (T,) long, sentence of each token
    lengths: torch.Tensor  # (N,) long
    types: list[str]
    prefix: np.ndarray  # (V,) object
    core: np.ndarray  # (V,) object
    suffix: np.ndarray  # (V,) object
    tid: torch.Tensor  # (V,) long, synonym-table id or -1
    is_word: torch.Tensor  # (V,) bool, the type has a non-punctuation core
    table: SynonymTable | None = None
    _dev: dict = field(default_factory=dict, repr=False)

    @property
    def n(self) -> int:
        return int(self.lengths.numel())

    @property
    def vocab_size(self) -> int:
        return len(self.types)

    def type_tensors(self, device: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """``(tid, is_word)`` on ``device`` (cached)."""
        key = str(torch.device(device))
        if key not in self._dev:
            self._dev[key] = (self.tid.to(device), self.is_word.to(device))
        return self._dev[key]

    def to(self, device: Any) -> "TokenBatch":
        dev = torch.device(device)
        if self.ids.device == dev:
            return self
        return TokenBatch(self.ids.to(dev), self.sent.to(dev), self.lengths.to(dev), self.types, self.prefix,
                          self.core, self.suffix, self.tid, self.is_word, self.table, self._dev)

    def repeat(self, k: int) -> "TokenBatch":
        """The batch tiled ``k`` times (sentence ``i`` of copy ``c`` is ``c * N + i``)."""
        if k == 1:
            return self
        n, t = self.n, int(self.ids.numel())
        ids = self.ids.repeat(k)
        sent = self.sent.repeat(k) + torch.arange(k, device=self.sent.device).repeat_interleave(t) * n
        return TokenBatch(ids, sent, self.lengths.repeat(k), self.types, self.prefix, self.core, self.suffix,
                          self.tid, self.is_word, self.table, self._dev)


def tokenize(texts: list[str], lexicon: Lexicon | None = None, device: Any = "cpu") -> TokenBatch:
    """Tokenise a batch once: whitespace split, one vocabulary for the batch, flat id tensors."""
    lexicon = lexicon or get_lexicon(None)
    tok_lists = [s.split() for s in texts]
    lengths = np.fromiter(map(len, tok_lists), dtype=np.int64, count=len(texts))
    flat = list(chain.from_iterable(tok_lists))
    vocab = dict.fromkeys(flat)
    types = list(vocab)
    vocab = dict(zip(types, range(len(types))))
    ids = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    infos = lexicon.info(types)
    if infos:
        pre, core, suf, tid = zip(*infos)
    else:
        pre = core = suf = tid = ()
    core_a = np.array(core, dtype=object) if core else np.empty(0, dtype=object)
    is_word = torch.from_numpy(np.fromiter((c != "" for c in core), dtype=bool, count=len(types)))
    lengths_t = torch.from_numpy(lengths)
    dev = torch.device(device)
    sent = torch.repeat_interleave(torch.arange(len(texts)), lengths_t)
    return TokenBatch(
        ids=torch.from_numpy(ids).to(dev),
        sent=sent.to(dev),
        lengths=lengths_t.to(dev),
        types=types,
        prefix=np.array(pre, dtype=object) if pre else np.empty(0, dtype=object),
        core=core_a,
        suffix=np.array(suf, dtype=object) if suf else np.empty(0, dtype=object),
        tid=torch.tensor(tid, dtype=torch.long) if tid else torch.empty(0, dtype=torch.long),
        is_word=is_word,
        table=lexicon.table,
    )


def _cased(word: str, like: str) -> str:
    if like[:1].isupper():
        if len(like) > 1 and like.isupper():
            return word.upper()
        return word[:1].upper() + word[1:]
    return word


def type_strings(tb: TokenBatch, lowercase: bool = False, keep_punct: bool = True) -> np.ndarray:
    """Output string of every token type under the case/punctuation options."""
    if keep_punct:
        out = np.array(tb.types, dtype=object)
        if lowercase:
            out = np.array([t.lower() for t in tb.types], dtype=object)
        return out
    core = tb.core
    return np.array([c.lower() for c in core], dtype=object) if lowercase else core.copy()


def encode_new(types_plus_one: torch.Tensor, syn: torch.Tensor, vocab_size: int, table_size: int) -> torch.Tensor:
    """Code of a token that is not an original type: synonym ``syn`` (table id) styled like type
    ``types_plus_one - 1`` (0: unstyled, lower-case, no punctuation). Codes are >= ``vocab_size``."""
    return vocab_size + types_plus_one * max(table_size, 1) + syn


def detokenize(ids: torch.Tensor, sent: torch.Tensor, n: int, tb: TokenBatch, lowercase: bool = False,
               keep_punct: bool = True) -> list[str]:
    """Turn flat codes (original type ids or :func:`encode_new` codes) back into ``n`` strings."""
    v = tb.vocab_size
    ids_c = ids.detach().to("cpu")
    sent_c = sent.detach().to("cpu")
    base = type_strings(tb, lowercase, keep_punct)
    new_mask = ids_c >= v
    if bool(new_mask.any()):
        codes, inv = torch.unique(ids_c[new_mask], return_inverse=True)
        tsize = max(len(tb.table) if tb.table is not None else 1, 1)
        style = ((codes - v) // tsize - 1).tolist()
        syn = ((codes - v) % tsize).numpy()
        words = tb.table.words[syn] if tb.table is not None else np.array([""] * len(syn), dtype=object)
        extra = np.empty(len(style), dtype=object)
        for k, (st, w) in enumerate(zip(style, words.tolist())):
            if st < 0:
                extra[k] = w
            else:
                c = w if lowercase else _cased(w, tb.core[st])
                extra[k] = tb.prefix[st] + c + tb.suffix[st] if keep_punct else c
        ids_c = ids_c.clone()
        ids_c[new_mask] = v + inv
        base = np.concatenate([base, extra])
    strs = base[ids_c.numpy()]
    if not keep_punct:
        keep = strs != ""
        if not keep.all():
            strs, sent_c = strs[keep], sent_c[torch.from_numpy(keep)]
    lengths = torch.bincount(sent_c, minlength=n).tolist() if sent_c.numel() else [0] * n
    strs_l = strs.tolist()
    out, a = [], 0
    join = " ".join
    for ln in lengths:
        out.append(join(strs_l[a : a + ln]))
        a += ln
    return out
