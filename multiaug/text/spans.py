"""Span data: ``(text, spans)`` with ``spans = [(start, end, label), ...]`` in character offsets.

This is the layout of spaCy's ``doc.ents`` (``start_char``, ``end_char``, ``label_``) and of Hugging
Face QA answers: offsets are Python ``str`` indices (code points, end exclusive), so accents, CJK and
emoji count one per code point, as ``text[start:end]`` reads them.

Every augmenter of :mod:`multiaug.text.tagged` takes a list of such pairs: :func:`to_tagged` splits each
text into tokens with their offsets (runs of word characters with their combining marks, runs of
other non-space characters, and a cut at every span boundary, so each span covers whole tokens), tags
them in BIO (or the augmenter's ``scheme``) and keeps the whitespace around every token; after the
operation :func:`from_tagged` joins the tokens back (the original whitespace between tokens that are
still neighbours, the whitespace left in place where a swap or a shuffle moved tokens, the merged
whitespace of deleted tokens, one space elsewhere: see the tagged module's ``_unflatten``) and
recomputes every span's offsets from the tags. A span thus
always covers exactly the text of its mention in the output: mention replacement or a synonym updates
it, a mention deleted entirely (``protect=None``) disappears and is counted in
``report_.details["mentions_lost"]``.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from itertools import chain
from typing import Any, Sequence

__all__ = ["tokenize_with_offsets", "to_tagged", "from_tagged", "check_spans"]


@functools.cache
def _mark_ranges() -> tuple[tuple[int, int], ...]:
    """The code point ranges (inclusive) of the combining marks: Unicode categories Mn, Mc and Me, in
    any script (accents, Devanagari vowel signs and viramas, Arabic harakat, Hebrew points, Thai
    vowels...), from ``unicodedata``, worked out once on first use (the planes that hold marks: 0, 1
    and 14)."""
    ranges: list[list[int]] = []
    for c in chain(range(0x20000), range(0xE0000, 0xE1000)):
        if unicodedata.category(chr(c))[0] == "M":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    return tuple((a, b) for a, b in ranges)


@functools.cache
def _marks(astral: bool = True) -> str:
    """A regular-expression class body (no brackets) of every combining mark (:func:`_mark_ranges`):
    ``re``'s ``\\w`` leaves them out, so a word is ``[\\w<marks>]+``. ``astral=False``: those of the
    Basic Multilingual Plane only (a class ``re`` matches much faster)."""
    return "".join(f"\\U{a:08x}-\\U{b:08x}" if b > a else f"\\U{a:08x}"
                   for a, b in _mark_ranges() if astral or b <= 0xFFFF)


@functools.cache
def _astral_marks() -> frozenset[str]:
    """The combining marks beyond U+FFFF (Brahmi, Chakma, musical notation...)."""
    return frozenset(chr(c) for a, b in _mark_ranges() if b > 0xFFFF for c in range(max(a, 0x10000), b + 1))


@functools.cache
def _token_re(astral: bool = True) -> re.Pattern:
    """Tokens: a run of word characters and combining marks (with the zero-width joiners and non-joiners
    written inside it, as in Persian and Indic words), or a run of other non-space characters.
    ``astral=False``: for texts without combining marks beyond U+FFFF (the same tokens, found faster)."""
    m = _marks(astral)
    word = rf"[\w{m}]+(?:[\u200c\u200d][\w{m}]+)*"
    return re.compile(rf"{word}|[^\w\s{m}][{m}]*(?:[^\w\s][{m}]*)*")


def tokenize_with_offsets(text: str, cuts: Sequence[int] = ()) -> list[tuple[int, int]]:
    """``(start, end)`` of the tokens of ``text``: runs of word characters (with combining marks) and runs
    of other non-space characters, each also cut at every offset in ``cuts``."""
    cut = sorted(set(cuts))
    out: list[tuple[int, int]] = []
    astral = bool(text) and max(text) > "\uffff" and not _astral_marks().isdisjoint(text)
    for m in _token_re(astral).finditer(text):
        s, e = m.span()
        for c in cut:
            if s < c < e:
                out.append((s, c))
                s = c
        out.append((s, e))
    return out


def check_spans(text: Any, spans: Any, where: str = "x[0]") -> list[tuple[int, int, str]]:
    """``spans`` as a sorted list of ``(start, end, label)`` tuples, checked against ``text``: integer offsets
    with ``0 <= start < end <= len(text)``, a non-empty string label, no overlap."""
    if not isinstance(text, str):
        raise TypeError(f"{where}: expected (text, spans) with text a str, got {type(text).__name__}")
    if not isinstance(spans, (list, tuple)):
        raise TypeError(f"{where}: spans must be a list of (start, end, label) triples, got {type(spans).__name__}")
    out = []
    for k, sp in enumerate(spans):
        if not isinstance(sp, (list, tuple)) or len(sp) != 3:
            raise ValueError(f"{where} spans[{k}]: expected a (start, end, label) triple, got {sp!r:.60}")
        s, e, lab = sp
        if isinstance(s, bool) or isinstance(e, bool) or not all(isinstance(v, int) or hasattr(v, "__index__") for v in (s, e)):
            raise TypeError(f"{where} spans[{k}]: start and end must be integers (character offsets), got {sp!r:.60}")
        s, e = int(s), int(e)
        if not 0 <= s < e <= len(text):
            raise ValueError(f"{where} spans[{k}]: expected 0 <= start < end <= len(text) = {len(text)}, got ({s}, {e})")
        if not isinstance(lab, str) or not lab or lab == "O" or any(c.isspace() for c in lab):
            raise ValueError(f"{where} spans[{k}]: label must be a non-empty string without spaces (not 'O'), got {lab!r}")
        if not text[s:e].strip():
            raise ValueError(f"{where} spans[{k}]: ({s}, {e}, {lab!r}) covers only whitespace")
        out.append((s, e, lab))
    out.sort()
    for a, b in zip(out, out[1:]):
        if b[0] < a[1]:
            raise ValueError(f"{where}: spans {a} and {b} overlap; expected non-overlapping (flat) spans")
    return out


def _one(text: str, spans: list[tuple[int, int, str]], scheme: str, where: str = "x[0]"):
    from .tagged import expand_tags

    bounds = tokenize_with_offsets(text, [c for s, e, _ in spans for c in (s, e)])
    tokens = [text[s:e] for s, e in bounds]
    tags = ["O"] * len(bounds)
    j = 0
    prev: tuple | None = None  # the previous span and the token after it
    for s, e, lab in spans:
        while j < len(bounds) and bounds[j][1] <= s:
            j += 1
        if scheme == "IO" and prev is not None and prev[1] == j and prev[0][2] == lab:
            raise ValueError(f"{where}: spans {prev[0]} and {(s, e, lab)} touch (no token between them) and have one "
                             "label; the IO scheme cannot tell them apart (they would merge into one); use scheme='BIO'")
        k = j
        while k < len(bounds) and bounds[k][0] < e:
            k += 1
        tags[j:k] = expand_tags(lab, k - j, scheme)
        prev = ((s, e, lab), k)
        j = k
    lead = text[: bounds[0][0]] if bounds else text
    space = [text[e: (bounds[i + 1][0] if i + 1 < len(bounds) else len(text))] for i, (_, e) in enumerate(bounds)]
    return tokens, tags, space, lead


def to_tagged(items: Sequence[Any], scheme: str = "auto", name: str = "x"):
    """A :class:`~multiaug.text.tagged.TaggedBatch` of the ``(text, spans)`` pairs ``items``, with the
    whitespace kept for :func:`from_tagged` (``scheme="auto"`` tags in BIO)."""
    from .tagged import TaggedBatch, _check_scheme

    _check_scheme(scheme)
    scheme = "BIO" if scheme == "auto" else scheme
    tokens, tags, space, lead = [], [], [], []
    for i, it in enumerate(items):
        if not isinstance(it, (list, tuple)) or len(it) != 2:
            raise TypeError(f"{name}[{i}]: expected a (text, spans) pair, got {type(it).__name__} {it!r:.60}")
        text, spans = it
        a, b, c, d = _one(text, check_spans(text, spans, f"{name}[{i}]"), scheme, f"{name}[{i}]")
        tokens.append(a)
        tags.append(b)
        space.append(c)
        lead.append(d)
    return TaggedBatch(tokens, tags, scheme, space, lead, check=False)


def from_tagged(batch) -> list[tuple[str, list[tuple[int, int, str]]]]:
    """``(text, spans)`` pairs from a batch made by :func:`to_tagged` (and augmented): the text joined
    from the tokens and their whitespace, each mention's character offsets recomputed."""
    from .tagged import spans_from_tags

    out = []
    space = batch.space if batch.space is not None else [[" "] * max(len(t) - 1, 0) + [""] * bool(t) for t in batch.tokens]
    lead = batch.lead if batch.lead is not None else [""] * len(batch)
    for toks, tags, ws, ld in zip(batch.tokens, batch.tags, space, lead):
        starts, pos, parts = [], len(ld), [ld]
        for t, w in zip(toks, ws):
            starts.append(pos)
            parts.append(t)
            parts.append(w)
            pos += len(t) + len(w)
        text = "".join(parts)
        spans = [(starts[s], starts[e - 1] + len(toks[e - 1]), lab) for s, e, lab in spans_from_tags(tags, batch.scheme)]
        out.append((text, spans))
    return out
