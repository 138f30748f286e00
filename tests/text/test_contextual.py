"""ContextualSubstitution on a tiny random BERT: counts of changed words, punctuation and case kept,
insertion, stop words, seeding, batching and reporting."""
from __future__ import annotations

import re
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.text import ContextualSubstitution
from tests.text.contract_cases_llm import WORDS, tiny_masked_lm

TEXTS = ["The cat runs on the road.", "A dog likes food", "very happy people read a good book today!"]


def aug(**kw):
    return ContextualSubstitution(model=tiny_masked_lm(), **kw)


def quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def _diff(a: str, b: str) -> int:
    return sum(x != y for x, y in zip(a.split(), b.split()))


def test_substitute_changes_the_planned_number_of_words_and_keeps_punctuation():
    a = aug(seed=0, aug_p=0.5, aug_max=3)
    out = quiet(a, TEXTS)
    for src, o in zip(TEXTS, out):
        n = len(src.split())
        assert len(o.split()) == n
        assert 1 <= _diff(src, o) <= min(3, round(0.5 * n))
        for w_src, w_out in zip(src.split(), o.split()):
            assert w_src[-1].isalpha() == w_out[-1].isalpha()  # trailing punctuation kept
            assert w_src[0].isupper() == w_out[0].isupper()  # capitalisation kept
    assert out == quiet(aug(seed=0, aug_p=0.5, aug_max=3), TEXTS)
    assert quiet(a, TEXTS) != out


def test_insert_adds_words():
    out = quiet(aug(seed=1, action="insert", aug_p=0.3, aug_max=2), TEXTS)
    for src, o in zip(TEXTS, out):
        assert len(src.split()) < len(o.split()) <= len(src.split()) + 2


def test_stopwords_are_never_substituted_and_unchangeable_inputs_are_reported():
    stop = ["the", "on", "road", "cat"]
    a = aug(seed=2, stopwords=stop, aug_p=1.0, aug_max=10)
    out = quiet(a, ["The cat runs on the road."])[0].split()
    assert out[0] == "The" and out[1] == "cat" and out[3:] == ["on", "the", "road."] and out[2] != "runs"
    b = aug(seed=0, stopwords=stop)
    with pytest.warns(RuntimeWarning, match="2 of 2 outputs are identical"):
        res = b(["", "the cat on the road"])
    assert res == ["", "the cat on the road"] and b.report_.n_unchanged == 2


def test_batching_does_not_change_results():
    texts = TEXTS * 3
    assert quiet(aug(seed=4, batch_size=2), texts) == quiet(aug(seed=4, batch_size=64), texts)


def test_greedy_temperature_zero_never_keeps_the_original_word():
    out = quiet(aug(seed=0, temperature=0, aug_p=1.0, aug_max=10), ["cat dog bird car"])[0]
    assert all(a != b for a, b in zip("cat dog bird car".split(), out.split()))


def test_no_global_rng_and_bad_params():
    state = torch.get_rng_state()
    quiet(aug(seed=0), TEXTS)
    assert torch.equal(state, torch.get_rng_state())
    for kw, name in [({"action": "swap"}, "action"), ({"aug_p": 2}, "aug_p"), ({"top_k": 0}, "top_k"),
                     ({"aug_min": 5, "aug_max": 2}, "aug_max"), ({"stopwords": "the"}, "stopwords"),
                     ({"temperature": -1}, "temperature")]:
        with pytest.raises(ValueError, match=name):
            aug(**kw)(["the cat runs"])  # checked at first use, before the model loads
    with pytest.raises(ValueError, match="model is None"):
        ContextualSubstitution(seed=0)(["the cat runs"])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.sampled_from(WORDS + ["Dog.", "CAT!", "x-y", "42"]), max_size=12).map(" ".join), min_size=1, max_size=4))
def test_output_is_one_string_per_input(texts):
    out = quiet(aug(seed=0, aug_p=0.3), texts)
    assert len(out) == len(texts) and all(isinstance(s, str) for s in out)
    assert all(len(o.split()) == len(t.split()) for o, t in zip(out, texts))


def _model_inputs(monkeypatch):
    """The ``input_ids`` of every forward pass of the tiny BERT, recorded."""
    from transformers import BertForMaskedLM

    seen, forward = [], BertForMaskedLM.forward
    monkeypatch.setattr(BertForMaskedLM, "forward", lambda self, *a, **k: (seen.append(k["input_ids"]), forward(self, *a, **k))[1])
    return seen


def test_long_text_is_read_in_windows_and_every_planned_word_changes(monkeypatch):
    """The tiny model reads 128 positions. Words past the first window used to stay silently (a
    400-word text got ~3.6 of its 10 planned edits, a 98k-character text came back unchanged in 19 of
    20 seeds): a long text is read in windows around its masks, every planned word changes, wherever
    it is, and no forward pass is longer than the model's window."""
    import random

    seen = _model_inputs(monkeypatch)
    long_text = " ".join(WORDS[i % len(WORDS)] for i in range(400))
    rng = random.Random(0)
    huge = " ".join(rng.choice(WORDS) for _ in range(20000))[:98000]
    late = 0
    for seed in range(3):
        out = quiet(aug(seed=seed, aug_p=0.1), [long_text, TEXTS[0], huge])
        assert [len(o.split()) for o in out] == [400, 6, len(huge.split())]
        assert _diff(long_text, out[0]) == 10 and _diff(huge, out[2]) == 10  # round(0.1 * n) capped at aug_max
        assert 1 <= _diff(TEXTS[0], out[1])
        late += sum(a != b for a, b in zip(long_text.split()[100:], out[0].split()[100:]))
    assert late >= 15  # most of the 30 edits fall past the first window (3/4 of the words are there)
    assert seen and max(t.shape[1] for t in seen) <= 128
    # insertion too: every planned word is inserted
    out = quiet(aug(seed=0, action="insert", aug_p=0.1), [long_text])[0]
    assert len(out.split()) == 410


def test_windows_hold_every_mask_once_within_the_models_reach():
    from hypothesis import given

    from multiaug.text.contextual import _windows

    @settings(max_examples=200, deadline=None)
    @given(st.integers(1, 400), st.integers(1, 60), st.data())
    def check(n, room, data):
        at = sorted(data.draw(st.sets(st.integers(0, n - 1), max_size=20)))
        wins = _windows(at, n, room)
        if n <= room:
            assert wins == [(0, n, list(range(len(at))))]
            return
        assert [j for _, _, slots in wins for j in slots] == list(range(len(at)))  # each mask once, in order
        for a, b, slots in wins:
            assert 0 <= a and b == a + room <= n and slots
            assert all(a <= at[j] < b for j in slots)
            assert at[slots[0]] - a >= min(room // 2, at[slots[0]])  # context before the window's first mask

    check()


def test_windows_follow_max_length_and_texts_that_fit_are_one_row(monkeypatch):
    seen = _model_inputs(monkeypatch)
    text = "the cat runs on the road and the dog eats good food at home today"
    out = quiet(aug(seed=0, aug_p=1.0, aug_max=20, temperature=0, max_length=6), [text])[0]
    assert all(a != b for a, b in zip(text.split(), out.split()))  # every word changed, 4 tokens of text a window
    assert max(t.shape[1] for t in seen) <= 6 and sum(t.shape[0] for t in seen) > 1
    seen.clear()
    quiet(aug(seed=0, aug_p=1.0, aug_max=20, batch_size=64), [text] * 3)  # fits: one row a text, one pass
    assert [tuple(t.shape) for t in seen] == [(3, len(text.split()) + 2)]


def test_literal_special_tokens_in_the_text_are_words_not_masks():
    """"[MASK]", "[CLS]", ... typed in a text are tokenised as text: the model's masks are exactly the
    planned slots (no IndexError, no extra or missing substitution)."""
    texts = ["the [MASK] runs and the dog eats food today", "[CLS] cat [SEP] dog [PAD] [UNK]", "[MASK]"]
    out = quiet(aug(seed=0, aug_p=0.5), texts)
    assert len(out) == 3 and all(len(o.split()) == len(t.split()) for o, t in zip(out, texts))
    assert out == quiet(aug(seed=0, aug_p=0.5), texts)
    # the literal tokens are stop words here: every other word is planned and changed (greedy never keeps it)
    stop = ["mask", "cls", "sep", "pad", "unk"]
    out = quiet(aug(seed=0, temperature=0, aug_p=1.0, aug_max=10, stopwords=stop), texts[:2])
    for src, o in zip(texts[:2], out):
        for a, b in zip(src.split(), o.split()):
            assert (a == b) == (a.strip("[]").lower() in stop), (src, o)


def test_long_input_fits_a_roberta_style_position_table(tmp_path):
    """RoBERTa numbers positions from padding_idx + 1, so a model with 34 positions takes 32 tokens; a
    long text used to overrun the table (IndexError in the embeddings): it is read in windows of 32."""
    from transformers import AutoTokenizer

    _save_tiny_roberta(tmp_path, AutoTokenizer.from_pretrained(tiny_masked_lm()), positions=34, pad_id=0)
    long_text = " ".join(WORDS[i % len(WORDS)] for i in range(100))
    a = ContextualSubstitution(model=str(tmp_path), seed=0, aug_p=0.5, aug_max=10, temperature=0, device="cpu")
    out = quiet(a, [long_text])[0].split()
    assert len(out) == 100 and sum(x != y for x, y in zip(out, long_text.split())) == 10  # read in 32-token windows


def _tiny_bpe_masked_lm(path) -> str:
    """A tiny random RoBERTa with a byte-level BPE vocabulary: "Ġcat" starts a word, "cat"/"ing" continue one."""
    import inspect

    from transformers import RobertaTokenizerFast

    words = ["cat", "dog", "the", "runs", "road", "food", "ing", "ed"]
    vocab = ["<s>", "<pad>", "</s>", "<unk>", "<mask>", *"abcdefghijklmnopqrstuvwxyz.,!", "Ġ"]
    merges: list[tuple[str, str]] = []
    for t in ["Ġ" + w for w in words] + words:
        for i in range(2, len(t) + 1):
            if (t[: i - 1], t[i - 1]) not in merges:
                merges.append((t[: i - 1], t[i - 1]))
    vocab += [a + b for a, b in merges if a + b not in vocab]
    ids = {t: i for i, t in enumerate(vocab)}
    if "vocab" in inspect.signature(RobertaTokenizerFast.__init__).parameters:  # transformers >= 5
        tok = RobertaTokenizerFast(vocab=ids, merges=merges)
    else:
        import json

        (path / "vocab.json").write_text(json.dumps(ids))
        (path / "merges.txt").write_text("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
        tok = RobertaTokenizerFast(vocab_file=str(path / "vocab.json"), merges_file=str(path / "merges.txt"))
    _save_tiny_roberta(path, tok, positions=66, pad_id=1)
    return str(path)


def _save_tiny_roberta(path, tok, positions: int, pad_id: int) -> None:
    """A randomly initialised one-layer RoBERTa masked LM over ``tok``'s vocabulary, saved with it."""
    from transformers import RobertaConfig, RobertaForMaskedLM

    cfg = RobertaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                        num_attention_heads=2, max_position_embeddings=positions, pad_token_id=pad_id,
                        type_vocab_size=1)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        RobertaForMaskedLM(cfg).save_pretrained(path)
    tok.save_pretrained(path)


def test_bpe_word_continuation_pieces_are_never_inserted_as_words(tmp_path):
    """In a byte-level BPE (or SentencePiece) vocabulary a piece without the word-start mark ("ing",
    "s") continues a word; such pieces used to be allowed as replacement words. The word being replaced
    is banned in its marked form ("Ġcat") too."""
    from multiaug.text.contextual import _load_mlm

    path = _tiny_bpe_masked_lm(tmp_path)
    tok, _, allowed = _load_mlm(path, torch.device("cpu"))
    pieces = tok.convert_ids_to_tokens(torch.nonzero(allowed).flatten().tolist())
    assert pieces and all(p.startswith("Ġ") for p in pieces)
    words = {p[1:] for p in pieces}
    texts = ["the cat runs on the road", "dog food the cat", "cat cat cat dog"]
    for seed in range(3):
        for temperature in (0, 3.0):
            a = ContextualSubstitution(model=path, seed=seed, aug_p=1.0, aug_max=10, temperature=temperature,
                                       device="cpu")
            for src, out in zip(texts, quiet(a, texts)):
                assert len(out.split()) == len(src.split()) and set(out.split()) <= words, (src, out)
                if temperature == 0:  # greedy never keeps the word it replaces
                    assert all(x != y for x, y in zip(src.split(), out.split())), (src, out)


# ---- whitespace outside the changed words is kept exactly ----------------------------------------------

_SEPS = [" ", "  ", "\t", "\n", "\n\n", " \t ", "\r\n", "\u00a0", "\u2003", "\u3000"]
_words = st.sampled_from(WORDS + ["Dog.", "CAT!", "(bird),", "x-y", "42"])
_texts = st.tuples(
    st.sampled_from(["", " ", "\n", "\t  "]), st.lists(st.tuples(_words, st.sampled_from(_SEPS)), min_size=1, max_size=10),
    st.sampled_from(["", " ", "\n", "  \n"]),
).map(lambda t: t[0] + "".join(w + s for w, s in t[1][:-1]) + t[1][-1][0] + t[2])


@settings(max_examples=25, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=3), st.integers(0, 2**16))
def test_whitespace_is_kept_exactly_for_any_whitespace_pattern(texts, seed):
    """Double spaces, tabs, line breaks, no-break spaces and leading/trailing space used to collapse to
    single spaces (the words were joined with " ")."""
    from unittest import mock

    assert quiet(aug(seed=seed, aug_p=0.0, aug_min=0), texts) == texts  # nothing planned: nothing touched
    # every word planned, each "replaced" by itself: the text must come back character for character
    with mock.patch("multiaug.text.contextual._match_case", lambda new, old: old):
        assert quiet(aug(seed=seed, aug_p=1.0, aug_max=20), texts) == texts
    # real substitutions: the same whitespace runs between, before and after the words
    for src, out in zip(texts, quiet(aug(seed=seed, aug_p=0.5, aug_max=20), texts)):
        assert re.findall(r"\s+", out) == re.findall(r"\s+", src) and re.match(r"\s*", out)[0] == re.match(r"\s*", src)[0]
    # insertions: the input's whitespace runs all still there, in order, each new word one space from its neighbour
    for src, out in zip(texts, quiet(aug(seed=seed, action="insert", aug_p=0.5, aug_max=20), texts)):
        runs = iter(re.findall(r"\s+", out))  # the input's runs are a subsequence of the output's
        assert all(any(r == o for o in runs) for r in re.findall(r"\s+", src)), (src, out)
        assert len(re.findall(r"\s+", out)) == len(re.findall(r"\s+", src)) + len(out.split()) - len(src.split())
        assert out[: len(out) - len(out.lstrip())] == src[: len(src) - len(src.lstrip())]
        assert out[len(out.rstrip()):] == src[len(src.rstrip()):]


def test_whitespace_example_and_rewrite():
    from multiaug.text.contextual import _rewrite

    src = "  The  cat\truns\n\non the road.  "
    out = quiet(aug(seed=0, aug_p=1.0, aug_max=10, temperature=0), [src])[0]
    assert re.findall(r"\s+", out) == re.findall(r"\s+", src) and out != src
    assert _rewrite(src, {0: "Dog", 5: "path."}) == "  Dog  cat\truns\n\non the path.  "
    assert _rewrite(src, [(0, "a"), (2, "b"), (6, "c")]) == "  a The  cat\tb runs\n\non the road. c  "
    assert _rewrite(src, {}) == src and _rewrite(src, []) == src


# ---- the tokenizer is asked once per distinct word, not per masked word -----------------------------------


def _count_tokenizer_calls(monkeypatch, tok):
    from collections import Counter

    calls = Counter()
    for name in ("convert_tokens_to_ids", "convert_ids_to_tokens", "convert_tokens_to_string", "__call__"):
        f = getattr(type(tok), name)
        monkeypatch.setattr(type(tok), name, lambda *a, _f=f, _n=name, **k: (calls.update([_n]), _f(*a, **k))[1])
    return calls


def test_tokenizer_answers_are_remembered_not_asked_per_masked_word(monkeypatch):
    """Each masked word used to cost ~10 tokenizer calls (6 to ban the word being replaced, 2 to read the
    pick, and the frame of [CLS]/[SEP] re-tokenised per batch); they are asked once per distinct word and
    remembered with the model, so a warm call tokenises each batch once and nothing else."""
    from multiaug.text.contextual import _load_mlm

    texts = TEXTS * 30  # 90 sentences, 3 batches of 32
    first = quiet(aug(seed=0, aug_p=0.5, aug_max=10), texts)
    calls = _count_tokenizer_calls(monkeypatch, _load_mlm(tiny_masked_lm(), torch.device("cpu"))[0])
    again = quiet(aug(seed=0, aug_p=0.5, aug_max=10), texts)
    assert again == first
    assert dict(calls) == {"__call__": 3}, dict(calls)


def test_remembered_tokenizer_answers_are_the_tokenizers_own(monkeypatch):
    """Outputs do not depend on what is remembered: with the memo tables emptied every few entries (as
    when they reach their size limit) the outputs are those of a fresh lookup."""
    import multiaug.text.contextual as ctx

    texts = TEXTS * 4 + ["Cat DOG bird", "[MASK] the [UNK] road"]
    for kw in (dict(aug_p=0.5, aug_max=10), dict(aug_p=1.0, temperature=0, aug_max=10), dict(action="insert", aug_p=0.5)):
        ref = quiet(aug(seed=3, **kw), texts)
        monkeypatch.setattr(ctx, "_MEMO_LIMIT", 2)
        assert quiet(aug(seed=3, **kw), texts) == ref
        monkeypatch.undo()
    tok, _, _, look = ctx._load(tiny_masked_lm(), torch.device("cpu"))
    for w in ["cat", "Cat", "CAT", "road", "zzz", "UNK"]:
        ids = {tok.convert_tokens_to_ids(f) for f in {w, w.lower()}}
        assert set(look.banned(w)) == {i for i in ids if i != tok.unk_token_id}
    ids = [5, 9, 5, 40, 9]
    assert look.words(ids) == [tok.convert_tokens_to_string([tok.convert_ids_to_tokens(i)]).strip() for i in ids]


def test_a_substituted_word_takes_its_combining_marks_with_it():
    """Combining marks are ``\\W`` to ``re``: the marks ending a word ("Cafe" + U+0301, the Hindi vowel
    sign of "हिंदी", zalgo) were taken for trailing punctuation and put on the new word ("Moré",
    "thatी"). Punctuation after the marks still stays ("Cafe\\u0301," -> "Word,")."""
    import unicodedata

    texts = ["Cafe\u0301, cre\u0300me", "हिंदी भाषा", "Z̤͔ͧ̑̓ä͖̭̈̇lͮ̒ͫǫ̯͘ zalgo"]
    for seed in range(3):
        out = quiet(aug(seed=seed, aug_p=1.0), texts)
        for src, o in zip(texts, out):
            for w_src, w_out in zip(src.split(), o.split()):
                if w_out != w_src:
                    assert unicodedata.category(w_out.rstrip(",")[-1])[0] != "M", (src, o)
                    assert w_out.endswith(",") == w_src.endswith(","), (src, o)
