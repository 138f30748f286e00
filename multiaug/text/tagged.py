"""Tagged sequences (token-level labels such as NER tags) and augmenters that keep the tags aligned.

**Input** (modality ``"tagged"``; every form gives the same form back):

* a list (or tuple) of ``(tokens, tags)`` pairs, ``tokens`` a list of str and ``tags`` a list of str of
  the same length: ``[(["John", "lives", "in", "New", "York"], ["B-PER", "O", "O", "B-LOC", "I-LOC"])]``;
* a dict of columns ``{"tokens": [[...], ...], "tags": [[...], ...]}`` (other keys are refused);
* a :class:`TaggedBatch` (``TaggedBatch(tokens, tags, scheme="auto")``), also the internal form;
* span data, a list of ``(text, spans)`` pairs with ``spans = [(start, end, label), ...]`` in character
  offsets (Python ``str`` indices, end exclusive; spaCy / Hugging Face QA style). The text is tokenised
  with offsets (:mod:`multiaug.text.spans`), augmented as tokens and tags, and given back as ``(text',
  spans')`` with the offsets recomputed from the augmented tokens;
* a single ``(tokens, tags)`` tuple or ``(text, spans)`` tuple gives a single one back.

Tag schemes: ``"BIO"`` (IOB2; IOB1 input is read too), ``"BIOES"`` and ``"IO"``; ``scheme="auto"``
detects it from the batch (E-/S- tags: BIOES; B- tags: BIO; only I- tags: IO). Inputs are decoded
leniently (an ``I-X`` after ``O`` or after another type starts a mention); the outputs of an
augmenter are always valid in the batch's scheme: as many tags as tokens, no ``I-X`` after ``O`` or
after another type, BIOES well formed. Sentence-level labels ``y`` pass through unchanged (one per
sentence), as for every augmenter.

**Augmenters** (registered names in brackets; Dai & Adel, COLING 2020, "An Analysis of Simple Data
Augmentation for Named Entity Recognition"):

* :class:`LabelwiseTokenReplacement` (``label_wise_replacement``, learned): each token, with probability
  ``rate``, is replaced by a token drawn from the training tokens with the same tag (learned in ``fit``);
* :class:`TaggedSynonymReplacement` (``tagged_synonym_replacement``): each token with a WordNet synonym,
  with probability ``rate``, is replaced by one; multi-word synonyms take the tags re-expanded
  (``B-LOC`` -> ``B-LOC I-LOC``);
* :class:`MentionReplacement` (``mention_replacement``, learned): each mention, with probability ``rate``,
  is replaced by another mention of the same type seen in ``fit``, tags re-expanded;
* :class:`SegmentShuffle` (``segment_shuffle``): the sentence is split into segments of one label (a
  mention, or a run of ``O`` tokens) and each segment, with probability ``rate``, is shuffled;
* EDA-style :class:`TaggedRandomSwap`, :class:`TaggedRandomDeletion`, :class:`TaggedRandomInsertion`
  and :class:`TaggedCharNoise` (``tagged_random_swap``, ``tagged_random_deletion``,
  ``tagged_random_insertion``, ``tagged_char_noise``).

``protect="entities"`` leaves every token inside a mention untouched (the default of the EDA-style
operations); with ``protect=None`` a swapped or deleted token takes its tag with it and the tags are
re-derived so that they stay valid. Insertions never split a mention.

Utilities: :func:`split_tag`, :func:`detect_scheme`, :func:`spans_from_tags`, :func:`tags_from_spans`,
:func:`convert_scheme`, :func:`repair`, :func:`is_valid`, :func:`expand_tags`.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any, Iterable, Sequence

import numpy as np
import torch

from ..core import ModalityHandler, Params, concat_labels, register_modality
from ..core.constraints import Integral, Interval, Options, Real
from ..core.hostreads import host_item
from ..registry import register
from . import functional as F
from .base import TextAugmenter, UnchangedRule, fold_status, merge_status
from .char import CharNoise
from .spans import _marks
from .vocab import factorize, merged_runs

__all__ = [
    "SCHEMES", "TaggedBatch", "TaggedSample", "TaggedAugmenter", "split_tag", "detect_scheme", "spans_from_tags",
    "tags_from_spans", "convert_scheme", "repair", "is_valid", "expand_tags", "LabelwiseTokenReplacement",
    "TaggedSynonymReplacement", "MentionReplacement", "SegmentShuffle", "TaggedRandomSwap", "TaggedRandomDeletion",
    "TaggedRandomInsertion", "TaggedCharNoise",
]

SCHEMES = ("BIO", "BIOES", "IO")
#: prefix codes of the flat layout
_O, _B, _I, _E, _S = 0, 1, 2, 3, 4
_PREFIX_CODE = {"B": _B, "I": _I, "E": _E, "S": _S}
_PREFIX_CHAR = ("O", "B", "I", "E", "S")
_SCHEME_PREFIXES = {"BIO": {"B", "I"}, "BIOES": {"B", "I", "E", "S"}, "IO": {"I"}}
_SCHEME_DESC = {"BIO": "'O', 'B-TYPE' or 'I-TYPE'", "BIOES": "'O', 'B-TYPE', 'I-TYPE', 'E-TYPE' or 'S-TYPE'",
                "IO": "'O' or 'I-TYPE'"}


# --------------------------------------------------------------------------------------------------
# tag schemes
# --------------------------------------------------------------------------------------------------


def split_tag(tag: str) -> tuple[str, str | None]:
    """``"B-PER"`` -> ``("B", "PER")``, ``"O"`` -> ``("O", None)``; anything else is a ``ValueError``."""
    if tag == "O":
        return "O", None
    if isinstance(tag, str) and len(tag) > 2 and tag[1] == "-" and tag[0] in _PREFIX_CODE:
        return tag[0], tag[2:]
    raise ValueError(f"tag {tag!r} is not 'O' or a prefixed tag such as 'B-PER' (prefixes B, I, E, S)")


def _check_scheme(scheme: Any, name: str = "scheme", auto: bool = True) -> None:
    ok = SCHEMES + (("auto",) if auto else ())
    if scheme not in ok:
        raise ValueError(f"{name}: expected one of {', '.join(map(repr, ok))}, got {scheme!r}")


def detect_scheme(tags: Iterable[Sequence[str]]) -> str:
    """The scheme of a list of tag lists: ``"BIOES"`` when an E- or S- tag occurs, ``"BIO"`` when a B-
    tag occurs, ``"IO"`` when only I- tags occur, ``"BIO"`` when every tag is ``O``."""
    prefixes = {t[0] for t in set(chain.from_iterable(tags)) if t != "O"}
    if prefixes & {"E", "S"}:
        return "BIOES"
    if "B" in prefixes:
        return "BIO"
    return "IO" if "I" in prefixes else "BIO"


def spans_from_tags(tags: Sequence[str], scheme: str = "auto") -> list[tuple[int, int, str]]:
    """Mentions of one tag list as ``(start, end, type)`` token spans (end exclusive), decoded leniently:
    an ``I-``/``E-`` tag after ``O``, after another type or after a closed mention starts a mention."""
    if scheme == "auto":
        scheme = detect_scheme([tags])
    _check_scheme(scheme)
    out: list[tuple[int, int, str]] = []
    cur: list | None = None
    for i, tag in enumerate(tags):
        pre, typ = split_tag(tag)
        if pre == "O":
            cur = None
            continue
        if cur is not None and typ == cur[2] and pre in ("I", "E") and not cur[3]:
            cur[1] = i + 1
            cur[3] = pre == "E"
        else:
            cur = [i, i + 1, typ, pre in ("E", "S")]
            out.append(cur)  # type: ignore[arg-type]
    return [(s, e, t) for s, e, t, _ in out]


def expand_tags(label: str | None, length: int, scheme: str) -> list[str]:
    """The tags of one mention of type ``label`` over ``length`` tokens (``None``: ``O`` tags)."""
    _check_scheme(scheme, auto=False)
    if label is None or label == "O":
        return ["O"] * length
    if length <= 0:
        return []
    if scheme == "IO":
        return [f"I-{label}"] * length
    if scheme == "BIO":
        return [f"B-{label}"] + [f"I-{label}"] * (length - 1)
    if length == 1:
        return [f"S-{label}"]
    return [f"B-{label}"] + [f"I-{label}"] * (length - 2) + [f"E-{label}"]


def tags_from_spans(spans: Iterable[tuple[int, int, str]], length: int, scheme: str = "BIO") -> list[str]:
    """A tag list of ``length`` tokens holding the given ``(start, end, type)`` token spans."""
    out = ["O"] * length
    for s, e, t in spans:
        out[s:e] = expand_tags(t, e - s, scheme)
    return out


def convert_scheme(tags: Sequence[str], to: str, source: str = "auto") -> list[str]:
    """``tags`` rewritten in scheme ``to`` (``"BIO"``, ``"BIOES"``, ``"IO"``); IO cannot separate two
    adjacent mentions of one type, so converting from IO reads such a run as one mention."""
    return tags_from_spans(spans_from_tags(tags, source), len(tags), to)


def repair(tags: Sequence[str], scheme: str = "auto") -> list[str]:
    """A valid tag list in ``scheme`` with the mentions a lenient reading of ``tags`` finds."""
    if scheme == "auto":
        scheme = detect_scheme([tags])
    return convert_scheme(tags, scheme, scheme)


def is_valid(tags: Sequence[str], scheme: str = "auto") -> bool:
    """True when ``tags`` is well formed in ``scheme`` (every tag of the scheme; no ``I-X`` after ``O``
    or another type; BIOES mentions opened by B and closed by E, single tokens S)."""
    if scheme == "auto":
        scheme = detect_scheme([tags])
    _check_scheme(scheme)
    try:
        for t in tags:
            pre, _ = split_tag(t)
            if pre != "O" and pre not in _SCHEME_PREFIXES[scheme]:
                return False
    except ValueError:
        return False
    return list(tags) == repair(tags, scheme)


# --------------------------------------------------------------------------------------------------
# the data model
# --------------------------------------------------------------------------------------------------


class TaggedSample(tuple):
    """One ``(tokens, tags)`` sample of a :class:`TaggedBatch` (a plain 2-tuple to users); for span data it
    also carries the whitespace after each token (``space``) and before the first one (``lead``)."""

    space: list[str] | None
    lead: str | None

    def __new__(cls, tokens: list[str], tags: list[str], space: list[str] | None = None, lead: str | None = None):
        self = super().__new__(cls, (tokens, tags))
        self.space, self.lead = space, lead
        return self


class TaggedBatch:
    """Token lists and parallel tag lists in one scheme (the internal form of the ``tagged`` modality).

    ``TaggedBatch(tokens, tags, scheme="auto")`` checks its input (one clear error naming the argument
    otherwise); ``len``, indexing (a ``(tokens, tags)`` pair) and iteration work as on a list of pairs.
    ``space``/``lead`` (per token: the whitespace after it; per text: before its first token) are set
    for span data. ``changed``/``unchanged``/``details``/``status`` are filled on an augmenter's output."""

    def __init__(self, tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]], scheme: str = "auto",
                 space: list[list[str]] | None = None, lead: list[str] | None = None, *, check: bool = True):
        if check:
            _check_scheme(scheme)
            tokens, tags = _check_lists(tokens, tags)
            if scheme == "auto":
                scheme = detect_scheme(tags)
            _check_tags(tags, scheme)
            tags = _repaired(tags, scheme)
        self.tokens: list[list[str]] = list(tokens)
        self.tags: list[list[str]] = list(tags)
        self.scheme: str = scheme
        self.space = space
        self.lead = lead
        self.changed: list | None = None
        self.unchanged: list[int] | None = None
        self.details: dict | None = None
        self.status: np.ndarray | None = None  # what each sentence went through (text.base.fold_status)

    def __len__(self) -> int:
        return len(self.tokens)

    def __getitem__(self, i: int) -> TaggedSample:
        return TaggedSample(self.tokens[i], self.tags[i], None if self.space is None else self.space[i],
                            None if self.lead is None else self.lead[i])

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, TaggedBatch):
            return (self.tokens, self.tags, self.scheme) == (other.tokens, other.tags, other.scheme)
        return NotImplemented

    def __repr__(self) -> str:
        return f"TaggedBatch({len(self)} sentences, scheme={self.scheme!r})"

    def pairs(self) -> list[tuple[list[str], list[str]]]:
        return [(list(a), list(b)) for a, b in zip(self.tokens, self.tags)]

    def spans(self) -> list[list[tuple[int, int, str]]]:
        """Token spans ``(start, end, type)`` of every sentence."""
        return [spans_from_tags(t, self.scheme) for t in self.tags]

    @classmethod
    def from_samples(cls, samples: Sequence[TaggedSample], scheme: str) -> "TaggedBatch":
        """A batch of already checked samples (as iteration gives them)."""
        space = [s.space for s in samples] if samples and getattr(samples[0], "space", None) is not None else None
        lead = [s.lead for s in samples] if space is not None else None
        return cls([s[0] for s in samples], [s[1] for s in samples], scheme, space, lead, check=False)

    def take(self, idx: Sequence[int]) -> "TaggedBatch":
        return TaggedBatch.from_samples([self[i] for i in idx], self.scheme)


def _check_lists(tokens: Any, tags: Any) -> tuple[list, list]:
    for name, v in (("tokens", tokens), ("tags", tags)):
        if isinstance(v, (str, bytes)) or not isinstance(v, Sequence) and not hasattr(v, "__array__"):
            raise TypeError(f"{name}: expected a list of {name[:-1]} lists (list[list[str]]), got {type(v).__name__}")
    tokens, tags = list(tokens), list(tags)
    if len(tokens) != len(tags):
        raise ValueError(f"tags: expected one tag list per token list ({len(tokens)}), got {len(tags)}")
    for name, v in (("tokens", tokens), ("tags", tags)):
        for i, seq in enumerate(v):
            if isinstance(seq, (str, bytes)) or not isinstance(seq, (list, tuple, np.ndarray)):
                raise TypeError(f"{name}[{i}]: expected a list of str, got {type(seq).__name__} {seq!r:.60}")
            if not all(issubclass(t, str) for t in set(map(type, seq))):
                j = next(j for j, s in enumerate(seq) if not isinstance(s, str))
                raise TypeError(f"{name}[{i}][{j}]: expected str, got {type(seq[j]).__name__} {seq[j]!r:.50}")
    tokens = [s if isinstance(s, list) else list(s) for s in tokens]  # read only: never written
    tags = [s if isinstance(s, list) else list(s) for s in tags]
    for i, (a, b) in enumerate(zip(tokens, tags)):
        if len(a) != len(b):
            raise ValueError(f"tags[{i}]: {len(b)} tags for {len(a)} tokens; expected one tag per token")
    return tokens, tags


def _repaired(tags: list[list[str]], scheme: str) -> list[list[str]]:
    """``tags`` with every sentence that is not valid in ``scheme`` (IOB1's ``I-X`` after ``O``, an
    unclosed BIOES mention, ...) rewritten from its lenient reading, so that the sentences an augmenter
    leaves alone (``p``) come back in the same valid scheme as those it edits (vectorised: prefix codes
    compared with the ones the mentions give)."""
    flat = list(chain.from_iterable(tags))
    if not flat:
        return tags
    pre, typ, _ = _tag_codes(flat)
    lengths = torch.tensor([len(t) for t in tags], dtype=torch.long)
    sent = torch.repeat_interleave(torch.arange(len(tags)), lengths)
    bad = pre != _prefixes(typ, _mention_ids(pre, typ, sent), sent, scheme)
    if not bool(bad.any()):
        return tags
    out = list(tags)
    for i in torch.unique(sent[bad]).tolist():
        out[i] = repair(tags[i], scheme)
    return out


def _check_tags(tags: list[list[str]], scheme: str) -> None:
    allowed = _SCHEME_PREFIXES[scheme]
    bad = []
    for t in set(chain.from_iterable(tags)):
        try:
            pre, typ = split_tag(t)
        except ValueError:
            bad.append(t)
            continue
        if pre != "O" and pre not in allowed:
            bad.append(t)
    if bad:
        b = set(bad)
        i, j = next((i, j) for i, seq in enumerate(tags) for j, t in enumerate(seq) if t in b)
        raise ValueError(f"tags[{i}][{j}]: {tags[i][j]!r} is not a {scheme} tag; expected {_SCHEME_DESC[scheme]}")


# --------------------------------------------------------------------------------------------------
# flat layout: the whole batch as (T,) arrays, mentions as run ids
# --------------------------------------------------------------------------------------------------


@dataclass
class _Flat:
    """The batch as flat arrays: ``tok`` (T,) object, ``typ`` (T,) type code (0: O, k: ``types[k-1]``),
    ``ent`` (T,) mention id (-1 for O), ``sent`` (T,) sentence (sorted), ``left``/``right`` (T,) the
    input positions a token starts/ends at (-1: new), ``n`` sentences."""

    tok: np.ndarray
    typ: torch.Tensor
    ent: torch.Tensor
    sent: torch.Tensor
    left: torch.Tensor
    right: torch.Tensor
    n: int
    types: list[str]

    @property
    def t(self) -> int:
        return int(self.sent.numel())

    def gather(self, idx: torch.Tensor) -> "_Flat":
        """The tokens at ``idx`` (a permutation within sentences, or a sorted subset), attributes with them."""
        return _Flat(self.tok[idx.numpy()], self.typ[idx], self.ent[idx], self.sent[idx], self.left[idx],
                     self.right[idx], self.n, self.types)

    def permute(self, idx: torch.Tensor) -> "_Flat":
        """The tokens moved by ``idx`` (a permutation within sentences), with their types and mentions; the
        places (``sent``, ``left``, ``right``) stay, so the whitespace stays where it was and the tokens
        move (as EDA's swap: the layout stays, the words move)."""
        return _Flat(self.tok[idx.numpy()], self.typ[idx], self.ent[idx], self.sent, self.left, self.right, self.n,
                     self.types)

    def counts(self) -> torch.Tensor:
        return torch.bincount(self.sent, minlength=self.n) if self.t else torch.zeros(self.n, dtype=torch.long)


def _tag_codes(flat_tags: list[str], types: list[str] | None = None) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    """``(prefix codes, type codes, types)`` of a flat list of tags: type ``k + 1`` is ``types[k]``
    (default: the sorted types found; 0 for O and for types not in ``types``)."""
    info = {t: split_tag(t) for t in set(flat_tags)}
    types = sorted({ty for _, ty in info.values() if ty is not None}) if types is None else list(types)
    tcode = {ty: k + 1 for k, ty in enumerate(types)}
    pre_of = {t: _PREFIX_CODE.get(p, _O) for t, (p, _) in info.items()}
    typ_of = {t: tcode.get(ty, 0) if ty is not None else 0 for t, (_, ty) in info.items()}
    pre = torch.from_numpy(np.fromiter(map(pre_of.__getitem__, flat_tags), np.int64, len(flat_tags)))
    typ = torch.from_numpy(np.fromiter(map(typ_of.__getitem__, flat_tags), np.int64, len(flat_tags)))
    return pre, typ, types


def _flatten(x: TaggedBatch, types: list[str] | None = None) -> _Flat:
    lengths = torch.tensor([len(t) for t in x.tokens], dtype=torch.long)
    n = len(x)
    tok = np.empty(int(lengths.sum()), dtype=object)
    tok[:] = list(chain.from_iterable(x.tokens))
    pre, typ, types = _tag_codes(list(chain.from_iterable(x.tags)), types)
    sent = torch.repeat_interleave(torch.arange(n), lengths)
    ent = _mention_ids(pre, typ, sent)
    pos = torch.arange(sent.numel())
    return _Flat(tok, typ, ent, sent, pos, pos.clone(), n, types)


def _mention_ids(pre: torch.Tensor, typ: torch.Tensor, sent: torch.Tensor) -> torch.Tensor:
    """Lenient decoding as :func:`spans_from_tags`, vectorised: one id per mention, -1 for O."""
    t = sent.numel()
    if t == 0:
        return torch.zeros(0, dtype=torch.long)
    inside = pre != _O
    prev_in = torch.zeros(t, dtype=torch.bool)
    prev_in[1:] = inside[:-1] & (sent[1:] == sent[:-1]) & (typ[1:] == typ[:-1]) & (pre[:-1] != _E) & (pre[:-1] != _S)
    cont = inside & prev_in & ((pre == _I) | (pre == _E))
    start = inside & ~cont
    ids = torch.cumsum(start.long(), 0) - 1
    return torch.where(inside, ids, torch.full_like(ids, -1))


def _prefixes(typ: torch.Tensor, ent: torch.Tensor, sent: torch.Tensor, scheme: str) -> torch.Tensor:
    """Prefix codes that make valid tags of ``scheme`` for the mention runs given by ``ent``."""
    t = sent.numel()
    inside = typ > 0
    same = torch.zeros(max(t - 1, 0), dtype=torch.bool)
    if t > 1:
        same = (ent[1:] == ent[:-1]) & (sent[1:] == sent[:-1]) & inside[1:] & inside[:-1] & (typ[1:] == typ[:-1])
    prev = torch.cat([torch.zeros(min(t, 1), dtype=torch.bool), same])
    nxt = torch.cat([same, torch.zeros(min(t, 1), dtype=torch.bool)])
    if scheme == "IO":
        out = torch.full((t,), _I, dtype=torch.long)
    elif scheme == "BIO":
        out = torch.where(prev, torch.full((t,), _I), torch.full((t,), _B))
    else:
        out = torch.where(prev, torch.where(nxt, torch.full((t,), _I), torch.full((t,), _E)),
                          torch.where(nxt, torch.full((t,), _B), torch.full((t,), _S)))
    return torch.where(inside, out, torch.zeros_like(out))


def _tag_strings(f: _Flat, scheme: str) -> np.ndarray:
    k = len(f.types) + 1
    table = np.empty(5 * k, dtype=object)
    table[:] = "O"
    for p in range(1, 5):
        for j, ty in enumerate(f.types):
            table[p * k + j + 1] = f"{_PREFIX_CHAR[p]}-{ty}"
    code = _prefixes(f.typ, f.ent, f.sent, scheme) * k + f.typ
    return table[code.numpy()] if f.t else np.empty(0, dtype=object)


def _objects(items: list) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _split(values: np.ndarray, counts: torch.Tensor) -> list[list]:
    bounds = np.cumsum(counts.numpy())[:-1] if counts.numel() else []
    return [a.tolist() for a in np.split(values, bounds)] if counts.numel() else []


def _unflatten(f: _Flat, x: TaggedBatch, with_details: bool = False) -> TaggedBatch:
    """The batch of ``f`` (tags re-derived in ``x``'s scheme), with ``changed`` flags and, for span data,
    the whitespace between tokens: kept where two places were neighbours in ``x`` (a swap or a shuffle
    moves tokens between places, :meth:`_Flat.permute`, and the whitespace stays; one space where that
    would now glue two words together, :func:`_unglue`), the deleted tokens' whitespace merged into one
    run where tokens were deleted (:func:`_merge_runs`), one space elsewhere."""
    counts = f.counts()
    tokens = _split(f.tok, counts)
    tags = _split(_tag_strings(f, x.scheme), counts)
    space = lead = None
    if x.space is not None:
        ws_in = np.empty(sum(len(s) for s in x.space), dtype=object)
        ws_in[:] = list(chain.from_iterable(x.space))
        t = f.t
        ws = np.empty(t, dtype=object)
        ws[:] = " "
        if t > 1:
            adj = (f.left[1:] == f.right[:-1] + 1) & (f.right[:-1] >= 0) & (f.sent[1:] == f.sent[:-1])
            idx = torch.nonzero(adj).flatten().numpy()
            ws[idx] = ws_in[f.right[:-1].numpy()[idx]]
            _unglue(ws, idx[ws[idx] == ""], f, x)
            _merge_runs(ws, ~adj.numpy(), f, ws_in)
        space = _split(ws, counts)
        for i, s in enumerate(space):
            if s:
                s[-1] = x.space[i][-1] if x.space[i] else ""
        lead = list(x.lead)
    out = TaggedBatch(tokens, tags, x.scheme, space, lead, check=False)
    out.changed = [a != b for a, b in zip(tokens, x.tokens)]
    return out


@functools.cache
def _word_edges() -> tuple[re.Pattern, re.Pattern]:
    """Whether a token starts / ends with a word character (a combining mark counts, see :func:`.spans._marks`)."""
    return re.compile(rf"[\w{_marks()}]"), re.compile(rf"[\w{_marks()}]$")


def _written_together(x: TaggedBatch, t: int) -> np.ndarray:
    """(T,) bool over the ``t`` tokens of span data ``x``: no whitespace between a token and the next."""
    return np.fromiter((w == "" for w in chain.from_iterable(x.space)), bool, t)


def _fragments(f: _Flat, x: TaggedBatch) -> torch.Tensor:
    """(T,) bool: for span data, the tokens of a word the text writes together with another word token
    ("don" "'" "t", "e" "-" "mail", "bob" "@" "example" "." "com"): pieces of a word, not words, so the
    operations that put other words in (synonyms, label-wise replacement, insertion sources) leave them
    alone ("e-mail" must not become "due east-mail"). A word with punctuation only ("Paris.", "(Bob)")
    is a word, and a mention's edge is a word's edge ("Mary" of "Mary's" is a word). All False for
    token data. ``f`` is the unedited flat layout of ``x``."""
    if x.space is None or not f.t:
        return torch.zeros(f.t, dtype=torch.bool)
    sent, ent = f.sent.numpy(), f.ent.numpy()
    glued = _written_together(x, f.t)
    glued[:-1] &= (sent[1:] == sent[:-1]) & (ent[1:] == ent[:-1])  # a mention's edge parts words too
    glued[-1] = False
    group = np.cumsum(np.r_[True, ~glued[:-1]]) - 1
    word_start = _word_edges()[0]
    wordy = np.fromiter((bool(word_start.match(t)) for t in f.tok.tolist()), bool, f.t)
    return torch.from_numpy(np.bincount(group, weights=wordy)[group] >= 2)


def _unglue(ws: np.ndarray, glued: np.ndarray, f: _Flat, x: TaggedBatch) -> None:
    """Put one space (in ``ws``, the whitespace after each output token) between two tokens that were
    written together in the input ("Paris" "!") when one of them changed and both now touch with word
    characters: "Paris" "week" written together would read as one word ("Parisweek"), and the span of
    "Paris" would cut it. Tokens written together as they were (a span boundary inside a word) stay so.

    The same for punctuation moved (or changed) into a place written together with a word on both
    sides ("-" of "well-known"): "." there would glue the two words into one token ("well.known", one
    token to a whitespace split, whatever the two words); it gets one space after it ("well. known"), or before
    it for opening punctuation (``Ps``/``Pi``: "well (known"). Punctuation that stays at its place keeps
    its words glued to it as the input wrote them ("well-known" -> "chef-known")."""
    if not len(glued):
        return
    tok_in = list(chain.from_iterable(x.tokens))
    word_start, word_end = _word_edges()
    right, left = f.right[:-1].numpy()[glued].tolist(), f.left[1:].numpy()[glued].tolist()
    for k, r, nb in zip(glued.tolist(), right, left):
        a, b = f.tok[k], f.tok[k + 1]
        if (a != tok_in[r] or b != tok_in[nb]) and word_end.search(a) and word_start.match(b):
            ws[k] = " "
    # tokens glued on both sides: m with m - 1 and m in ``glued``
    both = glued[1:][glued[1:] - 1 == glued[:-1]]
    if not len(both):
        return
    lo, hi = f.left.numpy()[both].tolist(), f.right.numpy()[both].tolist()
    for m, a, b in zip(both.tolist(), lo, hi):
        p = f.tok[m]
        if not p or word_start.match(p) or word_end.search(p) or (a == b and p == tok_in[a]):
            continue  # not punctuation, or at its place as it was
        if word_end.search(f.tok[m - 1]) and word_start.match(f.tok[m + 1]):
            ws[m - 1 if unicodedata.category(p[0]) in ("Ps", "Pi") else m] = " "


def _merge_runs(ws: np.ndarray, apart: np.ndarray, f: _Flat, ws_in: np.ndarray) -> None:
    """Where output token ``k`` and the next token taken from the input (``left >= 0``, in its sentence,
    after any inserted ones) stand in the input's order but not side by side (``apart[k]``: tokens were
    deleted or inserted between them), the whitespace after ``k`` is the run of the input between them
    with the most line breaks (the first on a tie; one space when that run is empty): a paragraph break
    survives the deletion of the word next to it, and a word inserted there comes after it. Inserted
    tokens are followed by one space (as in EDA). A swap or a shuffle (:meth:`_Flat.permute`) moves the
    tokens, not their places: every token is then at an input place, and the whitespace stays."""
    right, left, sent = f.right.numpy(), f.left.numpy(), f.sent.numpy()
    big = np.iinfo(np.int64).max
    nxt = np.minimum.accumulate(np.where(left >= 0, np.arange(len(left)), big)[::-1])[::-1][1:]  # next input-anchored token
    a = right[:-1]
    k = np.flatnonzero(apart & (a >= 0) & (nxt < big))
    if not len(k):
        return
    r = left[nxt[k]]
    a = a[k]
    keep = (sent[nxt[k]] == sent[k]) & (r > a)
    k, a, r = k[keep], a[keep], r[keep]
    if not len(k):
        return
    run = merged_runs(a, r, ws_in.__getitem__)
    run[run == ""] = " "  # tokens written together in the input: one space now (nothing glued)
    ws[k] = run


def _mention_report(f_in: _Flat, f_out: _Flat) -> dict:
    """How the input's mentions fared: their number, and how many changed text, were cut in several runs
    or were lost (vectorised; token texts compared by hash)."""
    m_in = f_in.ent >= 0
    e = int(f_in.ent.max()) + 1 if f_in.t and bool(m_in.any()) else 0
    if e == 0:
        return {"mentions_in": 0, "mentions_changed": 0, "mentions_split": 0, "mentions_lost": 0}
    m_out = f_out.ent >= 0
    ent_in, ent_out = f_in.ent[m_in], f_out.ent[m_out]
    len_in, len_out = torch.bincount(ent_in, minlength=e), torch.bincount(ent_out, minlength=e)
    prev = torch.full_like(f_out.ent, -1)
    prev[1:] = torch.where(f_out.sent[1:] == f_out.sent[:-1], f_out.ent[:-1], torch.full_like(f_out.ent[1:], -1))
    runs = torch.bincount(f_out.ent[m_out & (f_out.ent != prev)], minlength=e)

    def hashes(f: _Flat, m: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(np.fromiter(map(hash, f.tok[m.numpy()].tolist()), np.int64, int(m.sum())))

    # token hashes of each mention in order (stable sort by mention id keeps the order of the tokens)
    h_in = hashes(f_in, m_in)[torch.argsort(ent_in, stable=True)]
    h_out = hashes(f_out, m_out)[torch.argsort(ent_out, stable=True)]
    same_len = (len_in == len_out) & (len_out > 0)
    k = same_len.repeat_interleave(len_in)  # tokens of the input mentions that can be compared
    off_in = F.segment_starts(len_in)
    off_out = F.segment_starts(len_out)
    ids = torch.repeat_interleave(torch.arange(e), len_in)
    j = torch.arange(ids.numel()) - off_in[ids]
    diff = torch.zeros(e, dtype=torch.long)
    if bool(k.any()):
        neq = h_in[k] != h_out[(off_out[ids] + j)[k]]
        diff.index_add_(0, ids[k], neq.long())
    changed = (same_len & (diff > 0)) | ((len_out > 0) & ~same_len)
    return {"mentions_in": e, "mentions_changed": int(changed.sum()), "mentions_split": int((runs > 1).sum()),
            "mentions_lost": int((len_out == 0).sum())}


def _splice(f: _Flat, keep: torch.Tensor, key_new: torch.Tensor, tok_new: list[str], typ_new: torch.Tensor,
            ent_new: torch.Tensor, sent_new: torch.Tensor, left_new: torch.Tensor, right_new: torch.Tensor) -> _Flat:
    """``f`` without the tokens where ``keep`` is False, with new tokens placed by ``key_new``: ``2 j + 1``
    puts a token where input token ``j`` was (after the ones already there), ``2 j`` before input token
    ``j``, ``2 (start + length)`` of a sentence at its end (keys are combined with the sentence)."""
    t = f.t
    w = 2 * t + 2
    pos = torch.arange(t)
    key_old = (f.sent * w + 2 * pos + 1)[keep]
    key = torch.cat([key_old, sent_new * w + key_new])
    order = torch.argsort(key, stable=True)
    tok = np.empty(int(keep.sum()) + len(tok_new), dtype=object)
    tok[: int(keep.sum())] = f.tok[keep.numpy()]
    tok[int(keep.sum()):] = tok_new
    o = order.numpy()
    return _Flat(
        tok[o], torch.cat([f.typ[keep], typ_new])[order], torch.cat([f.ent[keep], ent_new])[order],
        torch.cat([f.sent[keep], sent_new])[order], torch.cat([f.left[keep], left_new])[order],
        torch.cat([f.right[keep], right_new])[order], f.n, f.types,
    )


def _replace(f: _Flat, pos: list[int], pieces: list[list[str]], last: list[int] | None = None) -> _Flat:
    """Replace input token ``pos[i]`` (through ``last[i]``, inclusive, for a whole mention) by the tokens
    ``pieces[i]``, which take its type and mention id."""
    last = pos if last is None else last
    if not pos:
        return f
    keep = torch.ones(f.t, dtype=torch.bool)
    for a, b in zip(pos, last):
        keep[a: b + 1] = False
    reps = torch.tensor([len(p) for p in pieces], dtype=torch.long)
    src = torch.repeat_interleave(torch.tensor(pos, dtype=torch.long), reps)
    end = torch.repeat_interleave(torch.tensor(last, dtype=torch.long), reps)
    k = int(reps.sum())
    first = torch.zeros(k, dtype=torch.bool)
    lastp = torch.zeros(k, dtype=torch.bool)
    ends = torch.cumsum(reps, 0)
    nz = reps > 0
    first[(ends - reps)[nz]] = True
    lastp[(ends - 1)[nz]] = True
    neg = torch.full((k,), -1, dtype=torch.long)
    return _splice(f, keep, 2 * src + 1, list(chain.from_iterable(pieces)), f.typ[src], f.ent[src], f.sent[src],
                   torch.where(first, src, neg), torch.where(lastp, end, neg))


def _keep_case(src: str, new: str) -> str:
    if len(src) > 1 and src.isupper():
        return new.upper()
    if src[:1].isupper():
        return new[:1].upper() + new[1:]
    return new


def _weighted_pick(u: torch.Tensor, group: torch.Tensor, cum: torch.Tensor, base: torch.Tensor,
                   total: torch.Tensor) -> torch.Tensor:
    """Index of an item drawn with probability proportional to its count within ``group``: ``cum`` is
    the cumulative count of all items (grouped), ``base[g]``/``total[g]`` where group ``g`` starts/sums."""
    r = base[group] + torch.minimum((u * total[group].to(u.dtype)).long(), total[group] - 1)
    return torch.searchsorted(cum, r, right=True)


# --------------------------------------------------------------------------------------------------
# the modality handler
# --------------------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    kind: str  # "pairs" | "tuple" | "one" | "columns" | "batch" | "spans" | "one_span"
    scheme: str = "BIO"  # the batch's scheme (restoring outputs of augment)


def _is_single(b: Any) -> bool:
    """A single ``(tokens, tags)`` or ``(text, spans)`` tuple (not a batch)."""
    return isinstance(b, tuple) and len(b) == 2 and (
        isinstance(b[0], str) or (_is_str_seq(b[0]) and _is_str_seq(b[1])))


def _is_str_seq(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and all(isinstance(s, str) for s in v)


def _is_span_pair(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(v) == 2 and isinstance(v[0], str)


class TaggedHandler(UnchangedRule, ModalityHandler):
    """Batches of the ``tagged`` modality (see the module docstring for the accepted forms)."""

    name = "tagged"
    unit = "sentences"

    def check(self, x: Any, aug: Any = None) -> tuple[TaggedBatch, _Ctx]:
        scheme = getattr(aug, "scheme", "auto")
        if isinstance(x, TaggedBatch):
            if scheme not in ("auto", x.scheme):
                return TaggedBatch(x.tokens, x.tags, scheme, x.space, x.lead), _Ctx("batch")
            return x, _Ctx("batch")
        if isinstance(x, dict):
            if set(x) != {"tokens", "tags"}:
                raise ValueError(f"x: a dict batch must have exactly the keys 'tokens' and 'tags', got {sorted(map(str, x))}")
            return TaggedBatch(x["tokens"], x["tags"], scheme), _Ctx("columns")
        if isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str) and isinstance(x[1], (list, tuple)):
            from .spans import to_tagged

            return to_tagged([x], scheme, "x"), _Ctx("one_span")
        if _is_single(x):
            return TaggedBatch([x[0]], [x[1]], scheme), _Ctx("one")
        if isinstance(x, (list, tuple)):
            items = list(x)
            if items and all(_is_span_pair(it) for it in items):
                from .spans import to_tagged

                return to_tagged(items, scheme, "x"), _Ctx("spans")
            for i, it in enumerate(items):
                if not isinstance(it, (list, tuple)) or len(it) != 2 or isinstance(it, str):
                    raise TypeError(
                        f"x[{i}]: expected a (tokens, tags) pair of lists (or a (text, spans) pair), got "
                        f"{type(it).__name__} {it!r:.60}")
            return TaggedBatch([it[0] for it in items], [it[1] for it in items], scheme), _Ctx(
                "pairs" if isinstance(x, list) else "tuple")
        raise TypeError(
            "x: expected a list of (tokens, tags) pairs, a dict {'tokens': [...], 'tags': [...]}, a TaggedBatch "
            f"or a list of (text, spans) pairs, got {type(x).__name__}")

    def restore(self, x: TaggedBatch, ctx: _Ctx) -> Any:
        if ctx.kind == "batch":
            return x
        if ctx.kind == "columns":
            return {"tokens": [list(t) for t in x.tokens], "tags": [list(t) for t in x.tags]}
        if ctx.kind in ("spans", "one_span"):
            from .spans import from_tagged

            out = from_tagged(x)
            return out[0] if ctx.kind == "one_span" else out
        pairs = x.pairs()
        if ctx.kind == "one":
            return pairs[0]
        return tuple(pairs) if ctx.kind == "tuple" else pairs

    def length(self, x: TaggedBatch) -> int:
        return len(x)

    def take(self, x: TaggedBatch, index: torch.Tensor) -> TaggedBatch:
        return x.take(index.tolist())

    def merge(self, x: TaggedBatch, index: torch.Tensor, part: TaggedBatch) -> TaggedBatch:
        samples = list(x)
        pos = index.tolist()
        for i, s in zip(pos, part):
            samples[i] = s
        out = TaggedBatch.from_samples(samples, x.scheme)
        if part.changed is not None:
            out.changed = [None] * len(out)
            for i, c in zip(pos, part.changed):
                out.changed[i] = c
        out.details = part.details
        out.status = merge_status(getattr(x, "status", None), len(out), pos, getattr(part, "status", None))
        return out

    def same_sample(self, out: Any, src: Any) -> bool:
        return list(out[0]) == list(src[0])

    def many_ctx(self, ctx: _Ctx) -> _Ctx:
        # a single sample given alone: the copies made from it are a list of them
        return _Ctx({"one": "pairs", "one_span": "spans"}.get(ctx.kind, ctx.kind), ctx.scheme)

    def restore_outputs(self, outs: list, xi: TaggedBatch, ctx: _Ctx) -> Any:
        return self.restore(TaggedBatch.from_samples(outs, xi.scheme), _Ctx(self.many_ctx(ctx).kind, xi.scheme))

    def concat(self, batches: Sequence[Any]) -> Any:
        b0 = batches[0]
        if isinstance(b0, TaggedBatch):
            return TaggedBatch.from_samples([s for b in batches for s in b], b0.scheme)
        if isinstance(b0, dict):
            return {"tokens": [t for b in batches for t in b["tokens"]], "tags": [t for b in batches for t in b["tags"]]}
        out: list = []
        for b in batches:
            out.extend([b] if _is_single(b) else b)
        return tuple(out) if isinstance(b0, tuple) and not _is_single(b0) else out


register_modality(TaggedHandler())


# --------------------------------------------------------------------------------------------------
# the base class
# --------------------------------------------------------------------------------------------------

_PROTECT = [None, Options("entities", desc="None or 'entities'")]
_RATE = [Interval(Real, 0, 1, closed="right")]


class TaggedAugmenter(TextAugmenter):
    """Base class of the augmenters of tagged sequences (modality ``"tagged"``; see the module docstring).

    Subclasses draw in ``_draw(f, x)`` on the flat layout (one draw per token, mention or segment) and
    edit in ``_edit(f, x, params)``; tags are re-derived from the edited mentions, so they are valid by
    construction. Outputs whose tokens did not change are counted and reported as for every text
    augmenter (``on_unchanged``); ``report_.details`` also counts what happened to the mentions."""

    modality = "tagged"

    def __init__(self, *, scheme: str = "auto", **kwargs: Any):
        self.scheme = scheme
        super().__init__(**kwargs)

    _parameter_constraints = {"scheme": [Options("auto", *SCHEMES)]}

    def _flat(self, x: TaggedBatch) -> _Flat:
        return _flatten(x)

    def _dev(self) -> torch.device:
        return torch.device("cpu")

    def _sample(self, x: TaggedBatch) -> Params:
        return self._draw(self._flat(x), x)

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        raise NotImplementedError

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        raise NotImplementedError

    def _eligible(self, f: _Flat) -> torch.Tensor:
        """Tokens an operation may touch: all of them, or only those outside mentions (``protect``)."""
        if getattr(self, "protect", None) == "entities":
            return f.typ == 0
        return torch.ones(f.t, dtype=torch.bool)

    def _apply(self, x: TaggedBatch, params: Params) -> TaggedBatch:
        f = self._flat(x)
        g = self._edit(f, x, params)
        out = _unflatten(g, x)
        out.details = _mention_report(f, g)
        return out

    def _finish(self, out: TaggedBatch, x: TaggedBatch, params: Params) -> TaggedBatch:
        idx = torch.nonzero(params["active"]).flatten().tolist()
        ch = out.changed
        out.unchanged = [i for i in idx if not (ch[i] if ch is not None and ch[i] is not None else out.tokens[i] != x.tokens[i])]
        out.status = fold_status(getattr(x, "status", None), len(x), idx, out.unchanged)
        return out

    def _same(self, out: Any, src: Any) -> bool:
        return list(out[0]) == list(src[0])

    def _record(self, n_in: int, n_out: int, unchanged: list[int], dropped: int, action: str,
                details: dict | None = None) -> None:
        try:
            super()._record(n_in, n_out, unchanged, dropped, action, details)
        finally:
            rep = self.report_
            if rep is not None and details:
                rep.details = {**(rep.details or {}), **details}

    def _augment_internal(self, xi: TaggedBatch, y: Any, n_aug: int) -> tuple[list, Any, list[int], dict | None]:
        """All ``n_aug`` copies in one pass (one draw per copy and sample)."""
        n = len(xi)
        rep = TaggedBatch.from_samples([s for _ in range(n_aug) for s in xi], xi.scheme)
        y_rep = None if y is None else concat_labels([y] * n_aug)
        if float(self.p) < 1.0 or n == 0:
            outs, ys, unchanged, det = [], [], [], None
            for c in range(n_aug):
                o, yo = self._forward(xi, y)
                unchanged.extend(c * n + i for i in (o.unchanged or []))
                det = _sum_details(det, o.details)
                outs.extend(o)
                ys.append(yo)
            return outs, (concat_labels(ys) if y is not None else None), unchanged, det
        o, yo = self._forward(rep, y_rep)
        return list(o), yo, list(o.unchanged or []), o.details

    def _restore_many(self, outs: list, ctx: _Ctx) -> Any:  # type: ignore[override]
        return self.handler.restore(TaggedBatch.from_samples(outs, ctx.scheme), ctx)

    def _augment_batch(self, xi: TaggedBatch, ctx: Any, y: Any, n_aug: int, inputs: dict):
        # n_aug copies of a single sample come back as a list of them, in the batch's scheme
        return super()._augment_batch(xi, _Ctx(self.handler.many_ctx(ctx).kind, xi.scheme), y, n_aug, inputs)


def _sum_details(a: dict | None, b: dict | None) -> dict | None:
    if a is None:
        return dict(b) if b else None
    if not b:
        return a
    return {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}


# --------------------------------------------------------------------------------------------------
# the operations of Dai & Adel (2020)
# --------------------------------------------------------------------------------------------------

_PAPER = ("Dai & Adel, COLING 2020, \"An Analysis of Simple Data Augmentation for Named Entity "
          "Recognition\"")
_COMMON = """
    Common hyperparameters: ``scheme`` ("auto" or the batch's tag scheme), ``on_unchanged`` (outputs
    whose tokens did not change are reported and, in ``augment``, dropped by default), ``n_aug``, ``p``,
    ``seed``, ``device`` (draws are made on the CPU)."""


def _fitted_groups(keys: list, items: list, counts: list[list[int]], weight: Any = None,
                   ) -> tuple[dict, list, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Tensors for :func:`_weighted_pick` over fitted groups: ``(key -> group, flat items, cum, base, total)``.
    ``weight(item, count)`` (default: the count) gives each item's weight; 0 leaves it out, and a key
    whose items all weigh 0 is left out of the index (nothing to draw)."""
    if weight is not None:
        counts = [[int(weight(it, k)) for it, k in zip(g, cs)] for g, cs in zip(items, counts)]
    flat = [it for group in items for it in group]
    c = torch.tensor([k for group in counts for k in group], dtype=torch.long)
    total = torch.tensor([sum(g) for g in counts], dtype=torch.long)
    base = torch.cumsum(total, 0) - total
    index = {k: i for i, k in enumerate(keys) if int(total[i]) > 0}
    return index, flat, torch.cumsum(c, 0), base, total


class _Fitted(TaggedAugmenter):
    """Augmenters that learn from the training data (not registered)."""

    learned = True

    def _cache(self, name: Any, build):
        """Lookup tensors derived from the fitted attributes and the hyperparameters in ``name`` (rebuilt
        when they are refitted or loaded, or when ``name`` changes)."""
        fitted = self.__dict__.get(self._fitted_key)
        cache = self.__dict__.get("_derived")
        # identity: a refit or a load gives new lists
        if cache is None or cache[0] is not fitted or cache[1] != name:
            cache = self.__dict__["_derived"] = (fitted, name, build())
        return cache[2]


def _synonym_constraints() -> dict:
    from .eda import _SYNONYM_CONSTRAINTS

    return dict(_SYNONYM_CONSTRAINTS)


@register("label_wise_replacement")
class LabelwiseTokenReplacement(_Fitted):
    """Label-wise token replacement (Dai & Adel, 2020): each token, with probability ``rate``, is replaced
    by a training token with the same tag.

    ``fit(X)`` learns, per tag (``B-PER``, ``I-PER``, ``O``, ...), the tokens that carry it and their
    counts; the replacement is drawn in proportion to them, so the tag sequence never changes. Tags
    unseen in ``fit`` are left alone. ``protect="entities"``: only ``O`` tokens are replaced.
    ``stopwords`` (None: the built-in English list, as the authors' code, which uses NLTK's; ``[]``:
    none): stop words (compared lower-cased) are neither replaced nor drawn as replacements."""
    __doc__ += _COMMON

    magnitude_range = {"rate": (0.0, 0.6)}
    _fitted_key = "tokens_"
    _parameter_constraints = {"rate": _RATE, "protect": _PROTECT, "stopwords": _synonym_constraints()["stopwords"]}

    def __init__(self, rate: float = 0.3, protect: str | None = None, stopwords: list[str] | None = None,
                 **kwargs: Any):
        self.rate = rate
        self.protect = protect
        self.stopwords = stopwords
        super().__init__(**kwargs)

    def _stop(self) -> frozenset:
        from .synonyms import STOP_WORDS

        return STOP_WORDS if self.stopwords is None else frozenset(w.lower() for w in self.stopwords)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "LabelwiseTokenReplacement":
        xi, _ = self._to_internal(X)
        f = _flatten(xi)
        by_tag: dict[str, dict[str, int]] = {}
        for tag, tok in zip(_tag_strings(f, xi.scheme).tolist(), f.tok.tolist()):
            d = by_tag.setdefault(tag, {})
            d[tok] = d.get(tok, 0) + 1
        if not by_tag:
            raise ValueError(f"{type(self).__name__}.fit: X holds no token; expected tagged sentences to learn from")
        self.tag_scheme_ = xi.scheme
        self.tags_ = sorted(by_tag)
        self.tokens_ = [sorted(by_tag[t]) for t in self.tags_]
        self.counts_ = [[by_tag[t][w] for w in ws] for t, ws in zip(self.tags_, self.tokens_)]
        return self

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        return {"u": torch.rand(2, f.t, generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        stop = self._stop()
        index, flat, cum, base, total = self._cache(("lw", stop), lambda: _fitted_groups(
            self.tags_, self.tokens_, self.counts_, lambda w, k: 0 if w.lower() in stop else k))
        u = params["u"]
        tags = _tag_strings(f, self.tag_scheme_).tolist()
        group = torch.tensor([index.get(t, -1) for t in tags], dtype=torch.long)
        chosen = self._eligible(f) & (group >= 0) & (u[0] < float(self.rate)) & ~_fragments(f, x)
        if stop and f.t:
            uniq, inv = factorize(f.tok.tolist())
            is_stop = np.array([w.lower() in stop for w in uniq], dtype=bool)[inv]
            chosen &= ~torch.from_numpy(is_stop)
        idx = torch.nonzero(chosen).flatten()
        if idx.numel() == 0:
            return f
        pick = _weighted_pick(u[1][idx], group[idx], cum, base, total)
        tok = f.tok.copy()
        tok[idx.numpy()] = [flat[i] for i in pick.tolist()]
        return replace(f, tok=tok)


def _synonym_ids(tok: np.ndarray, table: Any, stopwords: frozenset) -> tuple[torch.Tensor, list[str]]:
    """Per token, its synonym-table id (-1: stop word, no letter or no synonym), worked out per type
    (types found with :func:`.vocab.factorize`: memory O(tokens), not tokens x longest token)."""
    if tok.size == 0:
        return torch.zeros(0, dtype=torch.long), []
    uniq, inv = factorize(tok.tolist())
    tid = np.array([table.lookup(w) if w.lower() not in stopwords and any(c.isalpha() for c in w) else -1
                    for w in uniq], dtype=np.int64)
    return torch.from_numpy(tid[inv]), uniq


class _SynonymOp(TaggedAugmenter):
    def _check_extra(self) -> None:
        from .eda import _check_synonym_source

        _check_synonym_source(self)

    def _table(self):
        from .synonyms import STOP_WORDS, get_table

        sw = STOP_WORDS if self.stopwords is None else frozenset(w.lower() for w in self.stopwords)
        return get_table(self.synonyms), sw

    def _synonyms_of(self, f: _Flat, idx: torch.Tensor, tid: torch.Tensor, u: torch.Tensor, table: Any) -> list[list[str]]:
        """A synonym (split into words, case of the token kept) for each token in ``idx``."""
        indptr, indices, degree = table.tensors("cpu")
        syn = F.pick_synonyms(tid[idx], u, indptr, indices, degree)
        words = table.words[syn.numpy()].tolist() if syn.numel() else []
        return [[_keep_case(src, w) if k == 0 else w for k, w in enumerate(s.split())]
                for src, s in zip(f.tok[idx.numpy()].tolist(), words)]


@register("tagged_synonym_replacement")
class TaggedSynonymReplacement(_SynonymOp):
    """Synonym replacement for tagged tokens (Dai & Adel, 2020): each token that has a synonym, with
    probability ``rate``, is replaced by one; a multi-word synonym takes the tags re-expanded
    (``B-LOC`` -> ``B-LOC I-LOC``; ``O`` -> ``O O``).

    ``synonyms``: ``"wordnet"`` (the packaged WordNet 3.0), a dict ``{word: [synonyms]}`` or a
    .json/.json.gz/.tsv/.tsv.gz file; ``stopwords``: never replaced (None: the built-in English list). The case
    of the replaced token's first letter is kept. ``protect="entities"``: only ``O`` tokens."""
    __doc__ += _COMMON

    magnitude_range = {"rate": (0.0, 0.6)}
    _parameter_constraints = {"rate": _RATE, "protect": _PROTECT, **_synonym_constraints()}

    def __init__(self, rate: float = 0.3, synonyms: Any = "wordnet", stopwords: list[str] | None = None,
                 protect: str | None = None, **kwargs: Any):
        self.rate = rate
        self.synonyms = synonyms
        self.stopwords = stopwords
        self.protect = protect
        super().__init__(**kwargs)

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        return {"u": torch.rand(2, f.t, generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        table, sw = self._table()
        tid, _ = _synonym_ids(f.tok, table, sw)
        u = params["u"]
        idx = torch.nonzero(self._eligible(f) & (tid >= 0) & (u[0] < float(self.rate)) & ~_fragments(f, x)).flatten()
        if idx.numel() == 0:
            return f
        return _replace(f, idx.tolist(), self._synonyms_of(f, idx, tid, u[1][idx], table))


def _mention_bounds(f: _Flat) -> tuple[torch.Tensor, torch.Tensor]:
    """First and last position of every mention run (ids 0 .. E-1 of ``f.ent``)."""
    m = f.ent >= 0
    e = int(f.ent.max()) + 1 if bool(m.any()) else 0
    pos = torch.arange(f.t)
    first = torch.full((e,), f.t, dtype=torch.long).scatter_reduce(0, f.ent[m], pos[m], "amin")
    last = torch.full((e,), -1, dtype=torch.long).scatter_reduce(0, f.ent[m], pos[m], "amax")
    return first, last


@register("mention_replacement")
class MentionReplacement(_Fitted):
    """Mention replacement (Dai & Adel, 2020): each mention, with probability ``rate``, is replaced by
    a mention of the same type seen in ``fit``, its tags re-expanded (``B-PER I-PER`` -> ``B-PER I-PER
    I-PER`` for a three-token name).

    ``weights``: ``"distinct"`` (default, as the authors' code) draws uniformly among the distinct
    mentions of the type, ``"count"`` in proportion to how often each occurred in ``fit``. As in the
    authors' code the draw may give the mention itself back. Types unseen in ``fit`` are left alone."""
    __doc__ += _COMMON

    magnitude_range = {"rate": (0.0, 1.0)}
    _fitted_key = "mentions_"
    _parameter_constraints = {"rate": _RATE, "weights": [Options("distinct", "count")]}

    def __init__(self, rate: float = 0.3, weights: str = "distinct", **kwargs: Any):
        self.rate = rate
        self.weights = weights
        super().__init__(**kwargs)

    def fit(self, X: Any, y: Any = None, **fit_params: Any) -> "MentionReplacement":
        xi, _ = self._to_internal(X)
        by_type: dict[str, dict[tuple, int]] = {}
        for i, (toks, spans) in enumerate(zip(xi.tokens, xi.spans())):
            ws = xi.space[i] if xi.space is not None else None
            for s, e, ty in spans:
                d = by_type.setdefault(ty, {})
                # span data: the tokens of a mention written together ("Ana-María O'Neil") stay together
                key = tuple(toks[s:e] if ws is None else _glue(toks[s:e], ws[s:e]))
                d[key] = d.get(key, 0) + 1
        if not by_type:
            raise ValueError(f"{type(self).__name__}.fit: X holds no mention; expected tagged sentences with entities")
        self.types_ = sorted(by_type)
        self.mentions_ = [[list(m) for m in sorted(by_type[t])] for t in self.types_]
        self.mention_counts_ = [[by_type[t][tuple(m)] for m in ms] for t, ms in zip(self.types_, self.mentions_)]
        return self

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        e = int(f.ent.max()) + 1 if f.t and bool((f.ent >= 0).any()) else 0
        return {"u": torch.rand(2, e, generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        distinct = self.weights == "distinct"
        index, flat, cum, base, total = self._cache(("mr", self.weights), lambda: _fitted_groups(
            self.types_, self.mentions_, self.mention_counts_, (lambda m, k: 1) if distinct else None))
        first, last = _mention_bounds(f)
        if first.numel() == 0:
            return f
        u = params["u"]
        code = torch.tensor([index.get(t, -1) for t in f.types] or [-1], dtype=torch.long)
        group = code[f.typ[first] - 1]
        sel = torch.nonzero((group >= 0) & (u[0] < float(self.rate))).flatten()
        if sel.numel() == 0:
            return f
        pick = _weighted_pick(u[1][sel], group[sel], cum, base, total)
        starts, ends = first[sel].tolist(), last[sel].tolist()
        pieces = [list(flat[i]) for i in pick.tolist()]
        # a mention drawn for itself stays as it is (its text and, in span data, its whitespace)
        ws = list(chain.from_iterable(x.space)) if x.space is not None else None
        keep = [k for k, (a, b, new) in enumerate(zip(starts, ends, pieces))
                if new != (old := f.tok[a: b + 1].tolist()) and (ws is None or new != _glue(old, ws[a: b + 1]))]
        if len(keep) < len(starts):
            starts, ends, pieces = ([v[k] for k in keep] for v in (starts, ends, pieces))
        return _replace(f, starts, pieces, ends)


def _glue(tokens: list[str], space: list[str]) -> list[str]:
    """The tokens of a span-data mention with those written together (no whitespace between them:
    "Ana" "-" "María") joined into one, so that the mention reads as written wherever it goes."""
    out = [tokens[0]] if tokens else []
    for tok, ws in zip(tokens[1:], space):
        if ws == "":
            out[-1] += tok
        else:
            out.append(tok)
    return out


def _segments(f: _Flat) -> tuple[torch.Tensor, int]:
    """Segment id of every token (runs of one label: a mention, or a run of O tokens) and their number."""
    t = f.t
    if t == 0:
        return torch.zeros(0, dtype=torch.long), 0
    new = torch.ones(t, dtype=torch.bool)
    new[1:] = (f.sent[1:] != f.sent[:-1]) | (f.typ[1:] != f.typ[:-1]) | (f.ent[1:] != f.ent[:-1])
    seg = torch.cumsum(new.long(), 0) - 1
    return seg, int(seg[-1]) + 1


def _io_guards(f: _Flat, u: torch.Tensor) -> torch.Tensor:
    """In the IO scheme two mentions of one type that touch are one mention: the tokens (one per O run
    between two mentions of the same type, the one with the largest draw ``u``) a deletion must keep."""
    seg, s = _segments(f)
    keep = torch.zeros(f.t, dtype=torch.bool)
    if s < 3:
        return keep
    first = torch.full((s,), f.t, dtype=torch.long).scatter_reduce(0, seg, torch.arange(f.t), "amin")
    typ, sent = f.typ[first], f.sent[first]
    guard = torch.zeros(s, dtype=torch.bool)
    guard[1:-1] = (typ[1:-1] == 0) & (typ[:-2] > 0) & (typ[:-2] == typ[2:]) & (sent[:-2] == sent[1:-1]) & (
        sent[2:] == sent[1:-1])
    umax = torch.full((s,), -1.0, dtype=u.dtype).scatter_reduce(0, seg, u, "amax")
    return guard[seg] & (u == umax[seg])


@register("segment_shuffle")
class SegmentShuffle(TaggedAugmenter):
    """Shuffle within segments (Dai & Adel, 2020): the sentence is split into segments of one label (a
    mention, or a run of ``O`` tokens) and each segment, with probability ``rate``, is shuffled.

    Tags do not move; each segment keeps its multiset of tokens. ``protect="entities"``: only ``O``
    segments are shuffled."""
    __doc__ += _COMMON

    magnitude_range = {"rate": (0.0, 1.0)}
    _parameter_constraints = {"rate": _RATE, "protect": _PROTECT}

    def __init__(self, rate: float = 0.3, protect: str | None = None, **kwargs: Any):
        self.rate = rate
        self.protect = protect
        super().__init__(**kwargs)

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        _, s = _segments(f)
        g = self.generator(self._dev())
        return {"u_segment": torch.rand(s, generator=g, dtype=torch.float32), "u_token": torch.rand(f.t, generator=g, dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        seg, s = _segments(f)
        if s == 0:
            return f
        elig = self._eligible(f)
        chosen = (params["u_segment"] < float(self.rate))[seg] & elig
        t = f.t
        key = torch.where(chosen, params["u_token"], torch.arange(t, dtype=torch.float32) / (t + 1))
        _, order, _ = F.segment_rank(seg, key, torch.ones(t, dtype=torch.bool), s)
        return f.permute(order)  # a permutation within segments: types and mentions stay in place


# --------------------------------------------------------------------------------------------------
# EDA-style operations that respect mentions
# --------------------------------------------------------------------------------------------------


class _AlphaOp(TaggedAugmenter):
    """EDA-style operations: a rate ``alpha`` and ``protect`` (default "entities"); not registered."""

    magnitude_range = {"alpha": (0.0, 0.5)}
    _parameter_constraints = {"alpha": _RATE, "protect": _PROTECT}

    def __init__(self, alpha: float = 0.1, protect: str | None = "entities", **kwargs: Any):
        self.alpha = alpha
        self.protect = protect
        super().__init__(**kwargs)


@register("tagged_random_swap")
class TaggedRandomSwap(_AlphaOp):
    """Random swap for tagged sentences: ``n = max(1, round(alpha * m))`` disjoint pairs of the ``m``
    swappable tokens of each sentence trade places (EDA's swap, the same kernel).

    ``protect="entities"`` (default): only ``O`` tokens move, so mentions and tags stay as they were.
    ``protect=None``: any token moves and takes its tag with it; the tags are re-derived (a mention
    cut in two becomes two mentions of its type), so they stay valid. In the IO scheme two mentions
    of one type that end up side by side would read as one (IO has no ``B-``): the swaps that would
    put them there are not made (as deletion keeps an ``O`` between them), so such a sentence may
    get fewer than ``n`` swaps (none at all is reported as unchanged)."""
    __doc__ += _COMMON

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        m = F.segment_sum(self._eligible(f), f.sent, f.n)
        return {"n_swaps": F.n_changes(float(self.alpha), m),
                "u": torch.rand(f.t, generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        perm = F.random_swap(torch.arange(f.t), f.sent, f.n, params["n_swaps"], self._eligible(f), params["u"])
        if x.scheme == "IO":
            perm = _undo_io_merges(f, perm)
        return f.permute(perm)


def _undo_io_merges(f: _Flat, perm: torch.Tensor) -> torch.Tensor:
    """Undo the swaps (``perm``: disjoint transpositions within sentences) that put tokens of two
    different mentions of one type side by side, which the IO scheme would read as one mention. Each
    round undoes at least one swap; swapped-back tokens are where the input had them, so it ends."""
    perm = perm.clone()
    t = f.t
    moved = perm != torch.arange(t)
    while t > 1 and bool(moved.any()):
        typ, ent = f.typ[perm], f.ent[perm]
        bad = (typ[1:] > 0) & (typ[1:] == typ[:-1]) & (ent[1:] != ent[:-1]) & (f.sent[1:] == f.sent[:-1])
        at = torch.zeros(t, dtype=torch.bool)
        at[:-1] |= bad
        at[1:] |= bad
        pos = torch.nonzero(at & moved).flatten()
        if pos.numel() == 0:
            break
        undo = torch.cat([pos, perm[pos]])
        perm[undo] = undo
        moved[undo] = False
    return perm


@register("tagged_random_deletion")
class TaggedRandomDeletion(_AlphaOp):
    """Random deletion for tagged sentences: each deletable token goes with probability ``alpha`` (at
    least one per sentence with two or more tokens and one deletable, never all; EDA's kernel).

    ``protect="entities"`` (default): only ``O`` tokens are deleted. ``protect=None``: a deleted token
    takes its tag with it and the tags are re-derived (a mention losing its first token starts at the
    next one); mentions deleted entirely are counted in ``report_.details["mentions_lost"]``."""
    __doc__ += _COMMON

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        return {"u": torch.rand(f.t, generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        elig = self._eligible(f)
        if x.scheme == "IO":  # deleting every O between two mentions of one type would merge them
            elig = elig & ~_io_guards(f, params["u"])
        m = F.segment_sum(elig, f.sent, f.n)
        p = torch.where(m > 0, torch.full((f.n,), float(self.alpha), dtype=torch.float32), torch.zeros(f.n, dtype=torch.float32))
        u = torch.where(elig, params["u"], torch.full_like(params["u"], 2.0))
        kept, _ = F.random_deletion(torch.arange(f.t), f.sent, f.n, p, u)
        return f.gather(kept)


@register("tagged_random_insertion")
class TaggedRandomInsertion(_SynonymOp):
    """Random insertion for tagged sentences: ``n = max(1, round(alpha * length))`` times per sentence, a
    synonym of a random word is inserted, tagged ``O``, at a random place outside every mention.

    Insertions never split a mention. ``protect="entities"`` (default): the synonyms come from ``O``
    words only; ``protect=None``: from any word. ``synonyms``/``stopwords`` as in
    :class:`TaggedSynonymReplacement`. Sentences without a word that has a synonym are reported."""
    __doc__ += _COMMON

    magnitude_range = {"alpha": (0.0, 0.5)}
    _parameter_constraints = {"alpha": _RATE, "protect": _PROTECT, **_synonym_constraints()}

    def __init__(self, alpha: float = 0.1, synonyms: Any = "wordnet", stopwords: list[str] | None = None,
                 protect: str | None = "entities", **kwargs: Any):
        self.alpha = alpha
        self.synonyms = synonyms
        self.stopwords = stopwords
        self.protect = protect
        super().__init__(**kwargs)

    def _sources(self, f: _Flat, x: TaggedBatch) -> tuple[torch.Tensor, torch.Tensor, Any]:
        table, sw = self._table()
        tid, _ = _synonym_ids(f.tok, table, sw)
        return self._eligible(f) & (tid >= 0) & ~_fragments(f, x), tid, table

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        src, _, _ = self._sources(f, x)
        m = F.segment_sum(src, f.sent, f.n)
        n_ins = torch.where(m > 0, F.n_changes(float(self.alpha), f.counts()), torch.zeros(f.n, dtype=torch.long))
        return {"n_insert": n_ins, "u": torch.rand(3, int(n_ins.sum()), generator=self.generator(self._dev()), dtype=torch.float32)}

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        n_ins, u = params["n_insert"], params["u"]
        k = int(n_ins.sum())
        if k == 0:
            return f
        src, tid, table = self._sources(f, x)
        n = f.n
        ins_sent = torch.repeat_interleave(torch.arange(n), n_ins)
        # the source word of each insertion
        src_idx = torch.nonzero(src).flatten()
        m = F.segment_sum(src, f.sent, n)
        moff = F.segment_starts(m)
        mi = m[ins_sent]
        source = src_idx[moff[ins_sent] + torch.minimum((u[0] * mi.to(u.dtype)).long(), mi - 1)]
        pieces = self._synonyms_of(f, source, tid, u[1], table)
        pieces = [[w.lower() for w in p] for p in pieces]
        # the gap of each insertion, among the gaps outside mentions
        counts = f.counts()
        tstart = F.segment_starts(counts)
        gap_sent = torch.repeat_interleave(torch.arange(n), counts + 1)
        gstart = F.segment_starts(counts + 1)
        g = torch.arange(gap_sent.numel()) - gstart[gap_sent]
        inner = (g > 0) & (g < counts[gap_sent])
        left = (tstart[gap_sent] + g - 1).clamp(min=0, max=max(f.t - 1, 0))
        right = (tstart[gap_sent] + g).clamp(max=max(f.t - 1, 0))
        blocked = inner & (f.ent[left] >= 0) & (f.ent[left] == f.ent[right]) if f.t else torch.zeros_like(inner)
        if x.space is not None and f.t:
            # span data: nor inside a word written together with the next token ("don't", "e-mail", "3.5")
            blocked |= inner & torch.from_numpy(_written_together(x, f.t))[left]
        allowed = torch.nonzero(~blocked).flatten()
        na = F.segment_sum(~blocked, gap_sent, n)
        aoff = F.segment_starts(na)
        ni = na[ins_sent]
        gap = allowed[aoff[ins_sent] + torch.minimum((u[2] * ni.to(u.dtype)).long(), ni - 1)]
        gpos = tstart[ins_sent] + g[gap]
        reps = torch.tensor([len(p) for p in pieces], dtype=torch.long)
        kk = int(reps.sum())
        neg = torch.full((kk,), -1, dtype=torch.long)
        return _splice(f, torch.ones(f.t, dtype=torch.bool), torch.repeat_interleave(2 * gpos, reps),
                       list(chain.from_iterable(pieces)), torch.zeros(kk, dtype=torch.long), neg,
                       torch.repeat_interleave(ins_sent, reps), neg, neg.clone())


_CHAR_ACTIONS = ("keyboard", "ocr", "insert", "delete", "swap", "substitute")
_TOKEN_SEP = "\x01"


@register("tagged_char_noise")
class TaggedCharNoise(TaggedAugmenter):
    """Character noise for tagged sentences: typos inside tokens, tags unchanged (the number of tokens
    never changes).

    ``action``: "keyboard" (QWERTY neighbours, :class:`~multiaug.text.KeyboardTypo`), "ocr" (OCR
    confusions, :class:`~multiaug.text.OCRNoise`) or "insert"/"delete"/"swap"/"substitute"
    (:class:`~multiaug.text.CharNoise`, with ``alphabet``); ``word_p``, ``char_p``, ``word_max``,
    ``char_max``, ``min_word_len`` as in those classes, counted per sentence over its touchable tokens.
    ``protect="entities"`` (default): only ``O`` tokens get typos; ``protect=None``: mentions too."""
    __doc__ += _COMMON

    magnitude_range = {"char_p": (0.0, 0.6)}
    _parameter_constraints = {
        "action": [Options(*_CHAR_ACTIONS)],
        "word_p": _RATE,
        "char_p": _RATE,
        "word_max": [Interval(Integral, 1, None)],
        "char_max": [Interval(Integral, 1, None)],
        "min_word_len": [Interval(Integral, 1, None)],
        # the rule of CharNoise, which runs the kernel: checked here, so that a bad value names this augmenter
        "alphabet": CharNoise._parameter_constraints["alphabet"],
        "protect": _PROTECT,
    }

    def __init__(self, action: str = "keyboard", word_p: float = 0.3, char_p: float = 0.3, word_max: int = 10,
                 char_max: int = 10, min_word_len: int = 4, alphabet: str = "letters", protect: str | None = "entities",
                 **kwargs: Any):
        self.action = action
        self.word_p = word_p
        self.char_p = char_p
        self.word_max = word_max
        self.char_max = char_max
        self.min_word_len = min_word_len
        self.alphabet = alphabet
        self.protect = protect
        super().__init__(**kwargs)

    def _inner(self, seed: int | None):
        from .char import CharNoise, KeyboardTypo, OCRNoise

        kw = dict(word_p=self.word_p, char_p=self.char_p, word_max=self.word_max, char_max=self.char_max,
                  min_word_len=self.min_word_len, seed=seed)
        if self.action == "keyboard":
            return KeyboardTypo(**kw)
        if self.action == "ocr":
            return OCRNoise(**kw)
        return CharNoise(action=self.action, alphabet=self.alphabet, **kw)

    def _texts(self, f: _Flat) -> tuple[list[str], torch.Tensor]:
        elig = self._eligible(f)
        idx = torch.nonzero(elig).flatten()
        toks = f.tok[idx.numpy()].tolist()
        joined = _TOKEN_SEP.join(toks)
        if joined.count(_TOKEN_SEP) != max(len(toks) - 1, 0):
            j = next(i for i, t in enumerate(toks) if _TOKEN_SEP in t)
            raise ValueError(f"x: token {toks[j]!r} holds the control character U+0001, which TaggedCharNoise uses "
                             "to separate tokens; remove it")
        per = _split(_objects(toks), F.segment_sum(elig, f.sent, f.n))
        return [_TOKEN_SEP.join(p) for p in per], idx

    def _draw(self, f: _Flat, x: TaggedBatch) -> Params:
        texts, _ = self._texts(f)
        seed = host_item(torch.randint(0, 2**62, (1,), generator=self.generator(self._dev())))
        inner = self._inner(seed)
        inner._ensure_valid()
        return inner._sample(texts)  # {"codes", "sep", "u", "word", "mark", "nfd"}: the character kernel's own draws

    def _edit(self, f: _Flat, x: TaggedBatch, params: Params) -> _Flat:
        texts, idx = self._texts(f)
        out = self._inner(None)._apply(texts, params)  # reads the character kernel's own draws only
        counts = F.segment_sum(self._eligible(f), f.sent, f.n).tolist()
        new = [w for t, c in zip(out, counts) if c for w in t.split(_TOKEN_SEP)]
        tok = f.tok.copy()
        tok[idx.numpy()] = new
        return replace(f, tok=tok)
