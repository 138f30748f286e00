"""Masked-language-model word substitution and insertion (contextual augmentation).

Behaviour follows nlpaug's ``ContextualWordEmbsAug`` (Kobayashi 2018; Wu et al. 2019): pick
``clamp(round(aug_p * words), aug_min, aug_max)`` words per sentence, replace each (``substitute``)
or put a new word before it (``insert``) by a ``[MASK]``, and fill the masks with a word sampled
from the masked LM's ``top_k`` predictions at ``temperature``. Differences, on purpose:

* every mask of a sentence is filled in one forward pass, and sentences are batched
  (``batch_size``), on CPU or GPU: one model call per batch instead of one per word;
* all randomness (which words, which candidate) is drawn in :meth:`sample` from the instance's
  generator (Gumbel noise over the ``top_k`` candidates); nlpaug uses the global RNG;
* punctuation attached to a word stays (``dog.`` -> ``cat.``), the replacement takes the original
  word's capitalisation, predictions that are special tokens, sub-word pieces, non-words or the
  original word are never chosen;
* the text comes back as written outside the changed words: whitespace runs, tabs, line breaks and
  leading/trailing space are kept exactly (nlpaug joins the words with single spaces); an inserted
  word is separated from its neighbour by one space;
* a sentence in which nothing could change is returned unchanged, counted in ``report_`` and
  warned about (nlpaug returns it silently);
* special-token strings typed in a text (``"[MASK]"``, ``"[CLS]"``, ...) are tokenised as text, and
  the model's masks are exactly the planned words;
* a text longer than the model's window (``max_length`` tokens, or fewer where the model has fewer
  positions) is read in windows of that many tokens around its masks, each mask predicted from the
  window it falls in: every word can change, and the number of changes follows ``aug_p`` over the
  whole text (nlpaug 1.1.11 augments only the first window of such a text and keeps the rest as is).
  A text that fits is one window, as before.
"""
from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any, Sequence

import torch

from ..core import Params
from ..core.constraints import Integral, Interval, Options, Real, Satisfies, SequenceOf
from ..registry import register
from .base import TextAugmenter

__all__ = ["ContextualSubstitution"]

_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", re.S)
_NONSPACE = re.compile(r"\S+")  # the words of ``str.split()``, with their offsets
_MLM: dict[tuple[str, str], tuple[Any, Any, torch.Tensor, "_Lookups"]] = {}
_MLM_LOCK = threading.Lock()
_MEMO_LIMIT = 1 << 17  # entries per memo table before it is emptied (bounded memory on endless vocabularies)


def _word_parts(w: str) -> tuple[str, str, str]:
    """``(prefix, core, suffix)`` of a ``str.split()`` word: the punctuation around its core. Combining
    marks are not word characters to ``re`` (``\\W``), but those on the core's last letter belong to
    it ("Cafe" + U+0301, Hindi vowel signs): a replacement takes them away with the word."""
    pre, core, post = _WORD.match(w).groups()
    if core and post:
        k = 0
        while k < len(post) and unicodedata.category(post[k])[0] == "M":
            k += 1
        core, post = core + post[:k], post[k:]
    return pre, core, post


class _Lookups:
    """What the fill asks the tokenizer again and again, asked once per tokenizer and remembered: the
    special ids, the frame around a sentence, the ids of a word being replaced (to ban them) and the
    word a predicted id stands for. The answers are the tokenizer's own (same calls as asking each
    time), so outputs do not change; only the repeated Python-level tokenizer calls go."""

    def __init__(self, tok: Any):
        self.tok = tok
        self.mask_id = tok.mask_token_id
        self.pad_id = tok.pad_token_id if tok.pad_token_id is not None else 0
        self.unk_id = tok.unk_token_id
        self.frame = ContextualSubstitution._special_frame(tok)
        self._banned: dict[str, tuple[int, ...]] = {}
        self._words: dict[int, str] = {}

    def banned(self, word: str) -> tuple[int, ...]:
        """Ids of ``word`` as a token (as written and lower-cased, also with the word-start mark of
        BPE / SentencePiece vocabularies), the unknown token left out."""
        ids = self._banned.get(word)
        if ids is None:
            forms = {m + w for m in ("", "Ġ", "▁") for w in {word, word.lower()}}
            ids = tuple(sorted({c for c in (self.tok.convert_tokens_to_ids(f) for f in forms)
                                if isinstance(c, int) and c != self.unk_id}))
            if len(self._banned) >= _MEMO_LIMIT:
                self._banned.clear()
            self._banned[word] = ids
        return ids

    def words(self, ids: list[int]) -> list[str]:
        """The text of each predicted token id, as a word (word-start marks and spaces removed)."""
        memo = self._words
        got = {i: memo.get(i) for i in set(ids)}
        new = sorted(i for i, w in got.items() if w is None)
        if new:  # one call for the ids not seen before
            if len(memo) + len(new) > _MEMO_LIMIT:
                memo.clear()
            tok = self.tok
            for i, t in zip(new, tok.convert_ids_to_tokens(new)):
                got[i] = memo[i] = tok.convert_tokens_to_string([t]).strip()
        return [got[i] for i in ids]


def _load_mlm(model: str, device: torch.device) -> tuple[Any, Any, torch.Tensor]:
    """(tokenizer, model, allowed) where ``allowed[v]`` says whether token v may be inserted as a word."""
    return _load(model, device)[:3]


def _load(model: str, device: torch.device) -> tuple[Any, Any, torch.Tensor, _Lookups]:
    """:func:`_load_mlm` and the tokenizer's :class:`_Lookups` (loaded once per model and device)."""
    key = (model, str(device))
    with _MLM_LOCK:
        if key not in _MLM:
            from transformers import AutoModelForMaskedLM, AutoTokenizer

            from .backends import resolve_model_path

            path, _ = resolve_model_path(model)
            try:
                tok = AutoTokenizer.from_pretrained(path)
                mlm = AutoModelForMaskedLM.from_pretrained(path).to(device).eval()
            except OSError as e:
                raise ValueError(f"ContextualSubstitution: model={model!r} could not be loaded offline ({e})") from e
            if tok.mask_token is None:
                raise ValueError(f"ContextualSubstitution: model={model!r} has no mask token; expected a masked language model")
            vocab = tok.convert_ids_to_tokens(list(range(len(tok))))
            special = set(tok.all_special_ids)
            allowed = torch.zeros(mlm.get_output_embeddings().weight.shape[0], dtype=torch.bool)
            # byte-level BPE (RoBERTa: "Ġ") and SentencePiece ("▁") vocabularies mark the pieces that start a
            # word; there a piece without the mark continues a word ("ing") and is no word of its own
            marks = [m for m in ("Ġ", "▁") if any(t and t.startswith(m) for t in vocab)]
            for i, t in enumerate(vocab[: allowed.numel()]):
                if i in special or t is None or t.startswith("##"):
                    continue
                if marks and not t.startswith(tuple(marks)):
                    continue
                w = t.lstrip("Ġ▁")
                if w.isalpha():
                    allowed[i] = True
            if len(_MLM) >= 4:
                _MLM.pop(next(iter(_MLM)))
            _MLM[key] = (tok, mlm, allowed.to(device), _Lookups(tok))
        return _MLM[key]


@register("contextual_substitution")
class ContextualSubstitution(TextAugmenter):
    """Replace (or insert) words with a masked language model's contextual predictions.

    Parameters: ``model`` (a local directory or a hub id in the local cache of a masked LM such as
    BERT; required), ``action`` (``"substitute"`` or ``"insert"``), ``aug_p`` (fraction of words),
    ``aug_min``/``aug_max`` (bounds on words changed per sentence), ``top_k`` (candidates per mask),
    ``temperature`` (of the softmax over the candidates; 0 = always the best), ``stopwords`` (words
    never substituted), ``batch_size`` (sentences per forward pass; the windows of a long text count as
    sentences), ``max_length`` (tokens per window: a longer text is read in windows around its masks),
    ``device`` (None: CUDA when available). Labels are unchanged."""

    magnitude_range = {"aug_p": (0.0, 0.5)}

    def __init__(
        self,
        model: str | None = None,
        action: str = "substitute",
        aug_p: float = 0.3,
        aug_min: int = 1,
        aug_max: int = 10,
        top_k: int = 100,
        temperature: float = 1.0,
        stopwords: Sequence[str] | None = None,
        batch_size: int = 32,
        max_length: int = 512,
        **kwargs: Any,
    ):
        self.model = model
        self.action = action
        self.aug_p = aug_p
        self.aug_min = aug_min
        self.aug_max = aug_max
        self.top_k = top_k
        self.temperature = temperature
        self.stopwords = stopwords
        self.batch_size = batch_size
        self.max_length = max_length
        super().__init__(**kwargs)

    _parameter_constraints = {
        "model": [None, Satisfies(lambda m: isinstance(m, str) and m != "", "a masked LM path or hub id")],
        "action": [Options("substitute", "insert")],
        "aug_p": [Interval(Real, 0, 1)],
        "aug_min": [Interval(Integral, 0, None)],
        "aug_max": [Interval(Integral, 1, None)],
        "top_k": [Interval(Integral, 1, None)],
        "temperature": [Interval(Real, 0, None)],
        "stopwords": [None, SequenceOf(str, containers=(list, tuple, set, frozenset), desc="a list of str")],
        "batch_size": [Interval(Integral, 1, None)],
        "max_length": [Interval(Integral, 4, None)],
    }

    def _check_extra(self) -> None:
        self._check_param("aug_max", self.aug_max >= self.aug_min, "an integer >= max(1, aug_min)")

    def _device(self) -> torch.device:
        if self.device is not None:
            return torch.device(self.device)
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")

    # ---- which words may change --------------------------------------------------------------------
    def _eligible_fn(self):
        """``words -> indices of the slots that may change``; a word's answer is worked out once per call
        (batches repeat their words), the stop words are lower-cased once."""
        if self.action == "insert":
            return lambda words: list(range(len(words) + 1)) if words else []
        stop = {w.lower() for w in (self.stopwords or ())}
        memo: dict[str, bool] = {}

        def ok(w: str) -> bool:
            v = memo.get(w)
            if v is None:
                core = _word_parts(w)[1]
                v = memo[w] = bool(core) and any(ch.isalpha() for ch in core) and core.lower() not in stop
            return v

        return lambda words: [i for i, w in enumerate(words) if ok(w)]

    # ---- sample: all randomness --------------------------------------------------------------------
    def _sample(self, x: list[str]) -> Params:
        g = self.generator("cpu")
        n = len(x)
        eligible = self._eligible_fn()
        split = [s.split() for s in x]
        elig = [len(eligible(w)) for w in split]
        n_words = torch.tensor([len(w) for w in split], dtype=torch.float32)
        want = torch.round(float(self.aug_p) * n_words).long().clamp(min=int(self.aug_min), max=int(self.aug_max))
        n_ops = torch.minimum(want, torch.tensor(elig, dtype=torch.long)) if n else torch.zeros(0, dtype=torch.long)
        width = max(elig + [1])
        order = torch.rand(n, width, generator=g, dtype=torch.float32).argsort(dim=1)  # random priority over eligible slots
        m = int(self.aug_max)
        u = torch.rand(n, m, int(self.top_k), generator=g, dtype=torch.float32)  # candidate choice noise, one row per edit
        return {"order": order, "n_ops": n_ops, "u": u}

    # ---- apply: deterministic ----------------------------------------------------------------------
    def _apply(self, x: list[str], params: Params) -> list[str]:
        out = list(x)
        order, n_ops, u = params["order"], params["n_ops"].tolist(), params["u"]
        eligible = self._eligible_fn()
        plans: list[tuple[int, list[str], list[int]]] = []  # (row, words, chosen slots sorted)
        for i, s in enumerate(x):
            if n_ops[i] <= 0:
                continue
            words = s.split()
            elig = eligible(words)
            if not elig:
                continue
            ranks = [r for r in order[i].tolist() if r < len(elig)][: n_ops[i]]
            plans.append((i, words, sorted(elig[r] for r in ranks)))
        if plans:
            if self.model is None:
                raise ValueError("ContextualSubstitution: model is None; give a masked LM directory or a cached hub id (e.g. a BERT)")
            _, mlm, allowed, look = _load(self.model, self._device())
            bs = int(self.batch_size)
            for start in range(0, len(plans), bs):
                for i, edits in self._fill(plans[start : start + bs], u, look, mlm, allowed):
                    out[i] = _rewrite(x[i], edits)
        # sentences left as they were are counted in report_ and warned about by TextAugmenter
        return out

    @staticmethod
    def _special_frame(tok) -> tuple[list[int], list[int], bool, bool]:
        """The ids the tokenizer puts before and after a sentence (``[CLS]`` / ``[SEP]``), and whether
        its mask token swallows the space before / after it (``lstrip`` / ``rstrip``, as RoBERTa's)."""
        ids = tok(tok.mask_token, add_special_tokens=True, split_special_tokens=False)["input_ids"]
        at = ids.index(tok.mask_token_id)
        added = getattr(tok, "added_tokens_decoder", {}).get(tok.mask_token_id)
        return ids[:at], ids[at + 1 :], bool(getattr(added, "lstrip", False)), bool(getattr(added, "rstrip", False))

    def _encode(self, pieces: list[list[str]], look: _Lookups, max_len: int) -> tuple[list[list[int]], list[tuple[int, int, int, int]]]:
        """Token ids of sentences given as the text between their masks, with a mask id between pieces.

        The user's text is tokenised as text (``split_special_tokens``: a literal ``"[MASK]"`` or
        ``"[CLS]"`` in it is not a special token), so the mask positions are exactly the planned ones.
        A sentence that fits in ``max_len`` tokens is one row; a longer one is cut into windows of
        ``max_len`` tokens around its masks (:func:`_windows`), so that every mask is in one row. Returns
        the rows and, per mask, ``(row, position, sentence, slot)``: the slot-th mask of sentence
        ``sentence`` is predicted at ``position`` of row ``row``."""
        tok, mask_id = look.tok, look.mask_id
        head, tail, lstrip, rstrip = look.frame
        room = max(1, max_len - len(head) - len(tail))
        flat: list[str] = []
        for parts in pieces:
            texts = [(p.rstrip() if lstrip and j < len(parts) - 1 else p) for j, p in enumerate(parts)]
            flat += [(p.lstrip() if rstrip and j > 0 else p) for j, p in enumerate(texts)]
        encoded = tok(flat, add_special_tokens=False, split_special_tokens=True)["input_ids"] if flat else []
        rows: list[list[int]] = []
        where: list[tuple[int, int, int, int]] = []
        start, h = 0, len(head)
        for r, parts in enumerate(pieces):
            enc, start = encoded[start : start + len(parts)], start + len(parts)
            body: list[int] = []
            at: list[int] = []  # position of each mask in body
            for j, seg in enumerate(enc):
                if j:
                    at.append(len(body))
                    body.append(mask_id)
                body.extend(seg)
            for a, b, slots in _windows(at, len(body), room):
                where += [(len(rows), h + at[j] - a, r, j) for j in slots]
                rows.append(list(head) + body[a:b] + list(tail))
        return rows, where

    @torch.inference_mode()
    def _fill(self, plans, u: torch.Tensor, look: _Lookups, mlm, allowed: torch.Tensor):
        """``(row, edits)`` per plan: ``edits`` maps a word index to its new text (``substitute``), or is
        a list of ``(slot, new word)`` to insert (``insert``); for :func:`_rewrite`."""
        pieces, originals = [], []
        for _, words, slots in plans:
            w: list = list(words)  # a planned mask is a (text before, text after) pair in the word list
            orig = []
            if self.action == "substitute":
                for j in slots:
                    pre, core, post = _word_parts(w[j])
                    orig.append(core)
                    w[j] = (pre, post)
            else:
                for j in reversed(slots):
                    w.insert(j, ("", ""))
                orig = [None] * len(slots)
            pieces.append(_between_masks(w))
            originals.append(orig)
        dev = allowed.device
        # never past the model's position table (a small model may have fewer than max_length positions)
        limit = getattr(mlm.config, "max_position_embeddings", None)
        # RoBERTa-style embeddings number positions from padding_idx + 1: that many fewer are usable
        pad_idx = getattr(getattr(mlm.base_model, "embeddings", None), "padding_idx", None)
        if limit and isinstance(pad_idx, int):
            limit = int(limit) - pad_idx - 1
        max_len = int(self.max_length) if not limit else max(4, min(int(self.max_length), int(limit)))
        rows, where = self._encode(pieces, look, max_len)
        k = min(int(self.top_k), int(allowed.sum().item()) or 1)
        results = []
        if where:
            # one forward pass per batch_size rows (a long text's windows are rows of their own); the
            # logits at the masks, in the order of ``where`` (which lists the masks row by row)
            bs, pad, gathered = int(self.batch_size), look.pad_id, []
            first = 0  # the first mask of the chunk in ``where``
            for c0 in range(0, len(rows), bs):
                chunk = rows[c0 : c0 + bs]
                width = max(len(ids) for ids in chunk)
                input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids in chunk], dtype=torch.long)
                attention = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in chunk], dtype=torch.long)
                logits = mlm(input_ids=input_ids.to(dev), attention_mask=attention.to(dev)).logits.float()
                last = first
                while last < len(where) and where[last][0] < c0 + len(chunk):
                    last += 1
                r_t = torch.tensor([where[m][0] - c0 for m in range(first, last)], dtype=torch.long, device=dev)
                c_t = torch.tensor([where[m][1] for m in range(first, last)], dtype=torch.long, device=dev)
                first = last
                gathered.append(logits[r_t, c_t])
            lg = gathered[0] if len(gathered) == 1 else torch.cat(gathered)
            lg = lg.masked_fill(~allowed[: lg.shape[-1]], float("-inf"))
            # the j-th planned mask of sentence r
            rows_l, nth_l = [r for _, _, r, _ in where], [j for _, _, _, j in where]
            # never propose the word being replaced
            if self.action == "substitute":
                ban_m, ban_c = [], []
                width = lg.shape[1]
                for m, (r, j) in enumerate(zip(rows_l, nth_l)):
                    o = originals[r][j]
                    # the word as a token, with the word-start mark of BPE / SentencePiece vocabularies too
                    for cand in look.banned(o) if o is not None else ():
                        if cand < width:
                            ban_m.append(m)
                            ban_c.append(cand)
                if ban_m:
                    lg[torch.tensor(ban_m, device=dev), torch.tensor(ban_c, device=dev)] = float("-inf")
            top_v, top_i = lg.topk(k, dim=-1)
            if float(self.temperature) > 0:
                row_ids = torch.tensor([plans[r][0] for r in rows_l])
                noise = u[row_ids, torch.tensor(nth_l).clamp(max=u.shape[1] - 1), :k].to(dev)
                score = top_v / float(self.temperature) - torch.log(-torch.log(noise.clamp(1e-10, 1 - 1e-7)))
            else:
                score = top_v
            score = score.masked_fill(torch.isinf(top_v), float("-inf"))
            pick = top_i.gather(1, score.argmax(dim=1, keepdim=True)).flatten()
            valid = torch.isfinite(score.max(dim=1).values)
            picks = [[None] * len(p[2]) for p in plans]
            valid_l = valid.tolist()
            texts = look.words(pick.tolist())
            for m, (r, j) in enumerate(zip(rows_l, nth_l)):
                if valid_l[m] and j < len(picks[r]):
                    picks[r][j] = texts[m]
        else:
            picks = [[None] * len(p[2]) for p in plans]
        for (i, words, slots), new_words in zip(plans, picks):
            if self.action == "substitute":
                edits: Any = {}
                for j, nw in zip(slots, new_words):
                    if nw:
                        pre, core, post = _word_parts(words[j])
                        edits[j] = pre + _match_case(nw, core) + post
            else:
                edits = [(j, nw) for j, nw in zip(slots, new_words) if nw]
            results.append((i, edits))
        return results


def _rewrite(text: str, edits: Any) -> str:
    """``text`` with its words (``str.split()`` words, counted from 0) edited, and every character
    outside the edited words kept as it was (whitespace runs, tabs, line breaks, leading and trailing
    space). ``edits``: ``{index: new text}`` replaces words; a list of ``(slot, word)`` inserts ``word``
    before word ``slot`` (after the last word when ``slot`` is the word count), one space between it
    and its neighbour."""
    if not edits:
        return text
    spans = [m.span() for m in _NONSPACE.finditer(text)]
    out, at = [], 0
    if isinstance(edits, dict):
        for j in sorted(edits):
            a, b = spans[j]
            out += [text[at:a], edits[j]]
            at = b
    else:
        for j, word in sorted(edits, key=lambda e: e[0]):
            if j < len(spans):
                a = spans[j][0]
                out += [text[at:a], word, " "]
            else:
                a = spans[-1][1]
                out += [text[at:a], " ", word]
            at = a
    out.append(text[at:])
    return "".join(out)


def _windows(at: list[int], n: int, room: int) -> list[tuple[int, int, list[int]]]:
    """Windows ``(start, end, masks)`` over a sentence of ``n`` tokens with masks at positions ``at``
    (ascending), for a model that reads ``room`` tokens: the whole sentence when it fits, else windows
    of ``room`` tokens, together holding every mask once. A window starts half a window before the
    first mask not yet held (its left context) and takes the masks after it that leave a quarter of a
    window to their right (or that the end of the text closes); the next window does the same for the
    first mask left out. At most one window per mask."""
    if n <= room:
        return [(0, n, list(range(len(at))))]
    out, j, margin = [], 0, room // 4
    while j < len(at):
        a = min(max(0, at[j] - room // 2), n - room)
        b = a + room
        slots = [j]
        j += 1
        while j < len(at) and at[j] < b and (at[j] < b - margin or b == n):
            slots.append(j)
            j += 1
        out.append((a, b, slots))
    return out


def _between_masks(items: list) -> list[str]:
    """The text of ``" ".join(words)`` between its masks, where a mask is a ``(before, after)`` pair
    of the text glued to it (``"(dog),"`` -> ``("(", "),")``)."""
    pieces, cur = [], ""
    for k, it in enumerate(items):
        sep = " " if k else ""
        if isinstance(it, tuple):
            pieces.append(cur + sep + it[0])
            cur = it[1]
        else:
            cur += sep + it
    pieces.append(cur)
    return pieces


def _match_case(new: str, old: str) -> str:
    if old.isupper() and len(old) > 1:
        return new.upper()
    if old[:1].isupper():
        return new[:1].upper() + new[1:]
    return new
