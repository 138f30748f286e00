"""EDA (Wei & Zou, 2019), batched: synonym replacement, random insertion, random swap and deletion.

The whole batch is tokenised once into flat id tensors (:mod:`.vocab`), the four operations run as
a handful of array operations with per-sentence random draws on the augmenter's device
(:mod:`.functional`: NumPy views on the CPU, torch tensors elsewhere), synonyms come from a CSR
table of ids (:mod:`.synonyms`, WordNet 3.0 shipped with the package) and the batch is detokenised
once. There is no per-word Python loop.

Differences from the reference script (jasonwei20/eda_nlp), on purpose:

* text comes back as written (case and punctuation kept; whitespace kept: line breaks, tabs, runs of
  spaces, leading and trailing space stay where they were between the words that stay, see
  :func:`.vocab.detokenize`; nlpaug and the script join the words with single spaces);
  ``lowercase=True, keep_punct=False`` gives the reference's normalised words;
* ``n = max(1, round(alpha * n_words))`` as in the paper (the script truncates); the synonym is drawn
  uniformly among all synonyms (the script always inserts the first one); synonym replacement changes
  ``n`` distinct *positions* (the script replaces every occurrence of a chosen word);
* random swap makes ``n`` *disjoint* swaps (2n distinct words move; the script may swap a word twice);
* random deletion deletes at least one word of a sentence of two or more words (the script may return
  the sentence untouched), and keeps at least one; tokens of punctuation only ("-", "!") are not words
  (as for the counts and the swaps) and are never deleted (the script strips them beforehand);
* inflected words find their synonyms through their WordNet base form ("programs" -> "plan"), as
  NLTK's ``wordnet.synsets`` does; the synonyms are base forms.

Inputs that cannot change (empty, whitespace, one word for a swap or a deletion, only stop words or
words without synonyms for a replacement) are counted and reported, see :class:`.base.TextAugmenter`;
whatever the operation, an output is unchanged when its words equal the input's rendered with the same
``lowercase``/``keep_punct`` options, whitespace aside (swapping "Dog" and "dog" under ``lowercase=True``
changes nothing).
"""
from __future__ import annotations

import re
from typing import Any, Mapping

import torch

from ..core import Params, concat_labels, take_labels
from ..core.constraints import Boolean, Interval, InvalidParameterError, Options, Real, Satisfies, SequenceOf
from ..registry import register
from . import functional as F
from .base import TextAugmenter
from .synonyms import FILE_SUFFIXES, as_path, get_table
from .vocab import PUNCT, TokenBatch, detokenize, encode_new, get_lexicon, tokenize

_OPS = ("sr", "ri", "rs", "rd")
_PUNCT_EDGE = re.compile(r"(?<!\S)[" + re.escape(PUNCT) + r"]+|[" + re.escape(PUNCT) + r"]+(?!\S)")


def _is_synonym_source(syn: Any) -> bool:
    if isinstance(syn, str) and syn == "wordnet" or isinstance(syn, Mapping):
        return True
    path = as_path(syn)
    return path is not None and path.name.lower().endswith(FILE_SUFFIXES) and path.is_file()


#: the constraints of ``synonyms`` and ``stopwords`` (EDA and the synonym operations)
_SYNONYM_CONSTRAINTS = {
    "synonyms": [Satisfies(_is_synonym_source,
                           "'wordnet', a dict {word: [synonyms]} or the path (str or os.PathLike) of an existing "
                           ".json/.json.gz/.tsv/.tsv.gz file")],
    "stopwords": [None, SequenceOf(str, containers=(list, tuple, set, frozenset),
                                   desc="a list of words (None: the built-in English list)")],
}


def _check_synonym_source(aug: Any) -> None:
    """Load ``aug.synonyms`` (a dict or a file; cached) so that a bad one is refused at validation,
    naming the augmenter, the argument and the file."""
    syn = aug.synonyms
    if isinstance(syn, str) and syn == "wordnet":
        return
    try:
        get_table(syn)
    except (ValueError, TypeError, OSError) as e:
        raise InvalidParameterError(f"{type(aug).__name__}: {e}") from e


class _EDABase(TextAugmenter):
    """Shared machinery of the EDA augmenters (not registered)."""

    uses_synonyms = False

    def __init__(self, *, lowercase: bool = False, keep_punct: bool = True, **kwargs: Any):
        self.lowercase = lowercase
        self.keep_punct = keep_punct
        super().__init__(**kwargs)

    # ---- what the subclass asks for --------------------------------------------------------------

    def _rates(self) -> tuple[float, float, float, float]:
        """(alpha_sr, alpha_ri, alpha_rs, p_rd)."""
        raise NotImplementedError

    def _mode(self) -> str:
        return "one"

    # ---- validation ---------------------------------------------------------------------------------

    _parameter_constraints = {"lowercase": [Boolean()], "keep_punct": [Boolean()]}

    def _check_extra(self) -> None:
        if self.uses_synonyms:
            _check_synonym_source(self)

    # ---- helpers ------------------------------------------------------------------------------------

    def _lexicon(self):
        if not self.uses_synonyms:
            return get_lexicon(None)
        return get_lexicon(self.synonyms, self.stopwords)

    def _dev(self) -> torch.device:
        return torch.device(self.device) if self.device is not None else torch.device("cpu")

    def _words(self, src: str) -> str:
        """``src``'s words as an unchanged output has them (case and punctuation options applied),
        joined by single spaces."""
        ref = src
        if not self.keep_punct:
            ref = _PUNCT_EDGE.sub(" ", ref)
        ref = " ".join(ref.split())
        return ref.lower() if self.lowercase else ref

    def _same(self, out: str, src: str) -> bool:
        if out == src:
            return True
        ref = src  # (self._words inlined: this runs once per output)
        if not self.keep_punct:
            ref = _PUNCT_EDGE.sub(" ", ref)
        ref = " ".join(ref.split())
        if self.keep_punct and ref == src:  # a single-spaced input gives a single-spaced output
            return out == (ref.lower() if self.lowercase else ref)
        if self.lowercase:
            ref = ref.lower()
        # the output keeps the input's whitespace: compare its words (an output shorter than ``ref`` is
        # not it: a run of whitespace is at least one character)
        return out == ref or (len(out) >= len(ref) and " ".join(out.split()) == ref)

    def _unchanged_positions(self, x: list[str], out: list[str], idx: Any, changed: list | None = None) -> list[int]:
        words = getattr(out, "words", None)  # a batch with other whitespace than single spaces (vocab.LaidOut)
        if words is None:
            return super()._unchanged_positions(x, out, idx, changed)
        # as _same, with the output's words joined by single spaces already at hand
        return [i for i in idx if out[i] == x[i] or words[i] == self._words(x[i])]

    # ---- the two phases -------------------------------------------------------------------------------

    def _sample(self, x: list[str]) -> Params:
        return self._draw(tokenize(x, self._lexicon(), self._dev()))

    def _draw(self, tb: TokenBatch, op: torch.Tensor | None = None) -> Params:
        """Every random number for the token batch ``tb``; ``op`` (N,) fixes the operation of each
        sentence (index into sr, ri, rs, rd) in "one" mode. The random draws are tensors on the
        augmenter's device; the per-sentence counts are worked out by the kernels' namespace
        (:func:`.functional.host`) and handed back as tensors."""
        dev = tb.ids.device
        g = self.generator(dev)
        n, t = tb.n, int(tb.ids.numel())
        a_sr, a_ri, a_rs, p_rd = (float(r) for r in self._rates())
        rates = (a_sr, a_ri, a_rs, p_rd)
        enabled = [k for k, r in enumerate(rates) if r > 0]
        ids, sent = F.host(tb.ids), F.host(tb.sent)
        xp = F.ops(ids)
        act: dict[int, Any] = {k: None for k in enabled}  # None: every sentence
        if self._mode() == "one" and len(enabled) > 1:
            if op is None:
                choice = torch.randint(0, len(enabled), (n,), generator=g, device=dev)
                op = torch.tensor(enabled, device=dev)[choice]
            op_h = F.host(op)
            act = {k: op_h == k for k in enabled}

        def only(k: int, values: Any, zero: Any) -> torch.Tensor:
            """``values`` where operation ``k`` is active, ``zero`` elsewhere, as a tensor on ``dev``."""
            out = values if act[k] is None else xp.where(act[k], values, zero)
            return torch.from_numpy(out) if xp is F.NUMPY else out

        tid_t, word_t = (F.host(a) for a in tb.type_tensors(dev))
        if t:
            word_tok, elig_tok = word_t[ids], tid_t[ids] >= 0
        else:
            word_tok = elig_tok = xp.zeros(0, "bool", ids)
        n_words = F.segment_sum(word_tok, sent, n)
        m = F.segment_sum(elig_tok, sent, n)
        prm: Params = {"tokens": tb}
        if 0 in act:
            prm["n_sr"] = only(0, F.n_changes(a_sr, n_words), 0)
            prm["u_sr"] = torch.rand(2, t, generator=g, device=dev, dtype=torch.float32)
        if 1 in act:
            n_ri = only(1, xp.where(m > 0, F.n_changes(a_ri, n_words), 0), 0)
            k = int(n_ri.sum())
            prm["n_ri"] = n_ri
            prm["u_ri"] = torch.rand(3, k, generator=g, device=dev, dtype=torch.float32)
            t += k
        if 2 in act:
            prm["n_rs"] = only(2, F.n_changes(a_rs, n_words), 0)
            prm["u_rs"] = torch.rand(t, generator=g, device=dev, dtype=torch.float32)
        if 3 in act:
            prm["p_rd"] = only(3, xp.full(n, p_rd, "float32", ids), 0.0)
            prm["u_rd"] = torch.rand(t, generator=g, device=dev, dtype=torch.float32)
        return prm

    def _apply(self, x: list[str], params: Params) -> list[str]:
        return self._run(params["tokens"], params)

    def _run(self, tb: TokenBatch, prm: Params) -> list[str]:
        """The texts after the drawn operations. Whatever the operation, an output is unchanged exactly
        when :meth:`_same` says so (its words equal the input's rendered with the same case and
        punctuation options): the base class's ``_unchanged_positions`` decides it."""
        ids, sent, n = F.host(tb.ids), F.host(tb.sent), tb.n
        xp = F.ops(ids)
        v = tb.vocab_size
        tsize = len(tb.table) if tb.table is not None else 1
        tid_t, word_t = (F.host(a) for a in tb.type_tensors(tb.ids.device))
        prm = {k: F.host(a) for k, a in prm.items()}

        def encode(codes: Any, syn: Any) -> Any:
            return encode_new(codes + 1 if codes is not None else 0 * syn, syn, v, tsize)

        def token_info(ids: Any) -> tuple[Any, Any]:
            """Synonym id and word flag per token; new tokens (codes >= v) are words without synonyms."""
            if not v:
                return xp.full(xp.numel(ids), -1, "long", ids), xp.full(xp.numel(ids), True, "bool", ids)
            orig = ids < v
            safe = xp.clip(ids, None, v - 1)
            return xp.where(orig, tid_t[safe], -1), xp.where(orig, word_t[safe], True)

        # texts not laid out with single spaces keep their whitespace: the input position of each token
        # travels through the insertions and deletions (a swap moves words, not positions)
        pos = xp.arange(xp.numel(ids), ids) if tb.layout is not None else None
        if xp.numel(ids):
            table = tuple(F.host(a) for a in tb.table.tensors(tb.ids.device)) if tb.table is not None else None
            tid, word = tid_t[ids], word_t[ids]  # all codes are original types here
            if "n_sr" in prm and table is not None:
                ids = F.synonym_replacement(ids, sent, n, prm["n_sr"], tid >= 0, tid, prm["u_sr"][0], prm["u_sr"][1], table, encode)
                tid = xp.where(ids < v, tid, -1)  # replaced tokens stay words
            if "n_ri" in prm and table is not None:
                u = prm["u_ri"]
                ids, sent, *moved = F.random_insertion(ids, sent, n, prm["n_ri"], tid >= 0, tid, u[0], u[1], u[2],
                                                       table, encode, carry=pos)
                pos = moved[0] if moved else None
                tid, word = token_info(ids)
            if "n_rs" in prm:
                ids = F.random_swap(ids, sent, n, prm["n_rs"], word, prm["u_rs"][: xp.numel(ids)])
            if "p_rd" in prm:  # words only: punctuation-only tokens are not words (as for the counts and swaps)
                ids, sent, *moved = F.random_deletion(ids, sent, n, prm["p_rd"], prm["u_rd"][: xp.numel(ids)], valid=word,
                                                      carry=pos)
                pos = moved[0] if moved else None
        return detokenize(ids, sent, n, tb, self.lowercase, self.keep_punct, pos=pos)

    # ---- n_aug copies in one batched pass ------------------------------------------------------------

    def _augment_internal(self, xi: list[str], y: Any, n_aug: int) -> tuple[list[str], Any, list[int], dict | None]:
        if float(self.p) < 1.0 or not xi:
            return super()._augment_internal(xi, y, n_aug)
        n = len(xi)
        tb0 = tokenize(xi, self._lexicon(), self._dev())
        tb = tb0.repeat(n_aug)
        dev = tb.ids.device
        rates = self._rates()
        enabled = [k for k, r in enumerate(rates) if float(r) > 0]
        op = None
        if self._mode() == "one" and len(enabled) > 1:
            # the paper's num_aug / 4 outputs per operation: copy c of sentence i uses operation
            # (c + offset_i) mod k, with a random offset per sentence
            k = len(enabled)
            offset = torch.randint(0, k, (n,), generator=self.generator(dev), device=dev)
            copy = torch.arange(n_aug, device=dev).repeat_interleave(n)
            op = torch.tensor(enabled, device=dev)[(copy + offset.repeat(n_aug)) % k]
        out = self._run(tb, self._draw(tb, op))
        unchanged = self._unchanged_positions(xi * n_aug, out, range(len(out)))
        y_out = None
        if y is not None:
            y_out = concat_labels([y] * n_aug) if n_aug > 1 else take_labels(y, torch.arange(n))
        return list(out), y_out, unchanged, None


_COMMON_DOC = """
    Common hyperparameters: ``lowercase`` (False: keep the case; True: lower-case everything, like
    the reference script), ``keep_punct`` (True: punctuation stays attached to its word; False: strip
    it, like the reference), ``on_unchanged`` (see :class:`.base.TextAugmenter`), ``n_aug``, ``p``,
    ``seed``, ``device`` (where the id tensors and random draws live; CPU by default)."""


@register("eda")
class EDA(_EDABase):
    """EDA: synonym replacement, random insertion, random swap and random deletion, batched.

    ``alpha_sr``, ``alpha_ri``, ``alpha_rs``: fraction of words changed by each operation
    (``n = max(1, round(alpha * n_words))``; 0 disables it); ``p_rd``: probability that each word is
    deleted. ``mode="one"`` (default): each output applies ONE operation, chosen per sentence; with
    ``augment``/``fit_resample``/the CLI the ``n_aug`` copies of a sentence cycle through the enabled
    operations from a random start, so each operation makes ``n_aug / 4`` of them (the paper's
    ``num_aug / 4`` per operation). ``mode="all"``: every output applies all enabled operations in the
    order SR, RI, RS, RD. ``__call__`` returns one output per input (for composition).

    ``synonyms``: ``"wordnet"`` (packaged WordNet 3.0), a dict ``{word: [synonyms]}`` or a path to a
    .json/.json.gz/.tsv/.tsv.gz file; ``stopwords``: words never replaced nor used as insertion sources
    (None: the built-in English list). Labels are unchanged.
    """
    __doc__ += _COMMON_DOC

    uses_synonyms = True
    magnitude_range = {"alpha_sr": (0.0, 0.5), "alpha_ri": (0.0, 0.5), "alpha_rs": (0.0, 0.5), "p_rd": (0.0, 0.5)}

    def __init__(self, alpha_sr: float = 0.1, alpha_ri: float = 0.1, alpha_rs: float = 0.1, p_rd: float = 0.1,
                 mode: str = "one", synonyms: Any = "wordnet", stopwords: list[str] | None = None, **kwargs: Any):
        self.alpha_sr = alpha_sr
        self.alpha_ri = alpha_ri
        self.alpha_rs = alpha_rs
        self.p_rd = p_rd
        self.mode = mode
        self.synonyms = synonyms
        self.stopwords = stopwords
        super().__init__(**kwargs)

    _parameter_constraints = {
        **{name: [Interval(Real, 0, 1)] for name in ("alpha_sr", "alpha_ri", "alpha_rs", "p_rd")},
        "mode": [Options("one", "all")],
        **_SYNONYM_CONSTRAINTS,
    }

    def _check_extra(self) -> None:
        if not any(float(r) > 0 for r in self._rates()):
            raise InvalidParameterError("EDA: at least one of alpha_sr, alpha_ri, alpha_rs, p_rd must be > 0, got all 0")

    def _rates(self) -> tuple[float, float, float, float]:
        return (self.alpha_sr, self.alpha_ri, self.alpha_rs, self.p_rd)

    def _mode(self) -> str:
        return self.mode


class _SingleOp(_EDABase):
    op_index = 0
    magnitude_range = {"alpha": (0.0, 0.5)}

    def __init__(self, alpha: float = 0.1, **kwargs: Any):
        self.alpha = alpha
        super().__init__(**kwargs)

    _parameter_constraints = {"alpha": [Interval(Real, 0, 1, closed="right")]}

    def _rates(self) -> tuple[float, float, float, float]:
        r = [0.0, 0.0, 0.0, 0.0]
        r[self.op_index] = float(self.alpha)
        return tuple(r)  # type: ignore[return-value]


class _SingleSynonymOp(_SingleOp):
    uses_synonyms = True

    _parameter_constraints = dict(_SYNONYM_CONSTRAINTS)

    def __init__(self, alpha: float = 0.1, synonyms: Any = "wordnet", stopwords: list[str] | None = None, **kwargs: Any):
        self.synonyms = synonyms
        self.stopwords = stopwords
        super().__init__(alpha, **kwargs)


@register("synonym_replacement")
class SynonymReplacement(_SingleSynonymOp):
    """Replace ``max(1, round(alpha * n_words))`` non-stop words per sentence by a random synonym.

    ``synonyms``/``stopwords`` as in :class:`EDA`; case and punctuation of the replaced word are kept
    on the synonym ("World," -> "Globe,"). Sentences with no replaceable word are reported."""
    __doc__ += _COMMON_DOC
    op_index = 0


@register("random_insertion")
class RandomInsertion(_SingleSynonymOp):
    """Insert ``max(1, round(alpha * n_words))`` synonyms of random non-stop words at random positions.

    ``synonyms``/``stopwords`` as in :class:`EDA`. Sentences with no word that has a synonym are
    reported."""
    __doc__ += _COMMON_DOC
    op_index = 1


@register("random_swap")
class RandomSwap(_SingleOp):
    """Swap ``n = max(1, round(alpha * n_words))`` disjoint pairs of random words per sentence.

    Punctuation moves with its word. Sentences of fewer than two words are reported."""
    __doc__ += _COMMON_DOC
    op_index = 2


@register("random_deletion")
class RandomDeletion(_SingleOp):
    """Delete each word with probability ``alpha`` (at least one when a sentence has two or more,
    never all of them). Tokens of punctuation only are not words and stay. Sentences of fewer than
    two words are reported."""
    __doc__ += _COMMON_DOC
    op_index = 3
