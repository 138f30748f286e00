"""EDA: kernels on flat id tensors, the augmenters, bad input, reporting of unchanged outputs."""
from __future__ import annotations

import contextlib
import re
import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug import from_config
from multiaug.text import EDA, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement
from multiaug.text import functional as F
from multiaug.text.vocab import SENTINELS, detokenize, get_lexicon, tokenize
from tests.conftest import SENTENCES, requires_cuda

# a small dictionary with single-word synonyms keeps the tests exact and fast (no WordNet load)
SYN = {
    "quick": ["fast", "speedy"], "brown": ["tan"], "fox": ["vixen"], "jumps": ["leaps", "hops"],
    "lazy": ["idle"], "dog": ["hound"], "river": ["stream"], "bank": ["shore"], "the": ["thee"],
    "red": ["crimson"], "car": ["auto"], "drives": ["rides"], "fast": ["quick"], "road": ["street"],
}
TEN = "quick brown fox jumps over lazy dog near river bank"
words = st.lists(st.sampled_from(["cat", "dog", "Quick,", "fox.", "the", "and", "river", "é", "x-y", "!"]), min_size=0, max_size=30)


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# ---- tokenisation ----------------------------------------------------------------------------------


def test_tokenize_round_trip_keeps_the_whitespace():
    texts = ["Hello,  world!\nNew line.", "", "   ", "one", "Ünïcödé — text…", "a\tb", " lead and trail\n"]
    tb = tokenize(texts, get_lexicon(SYN))
    assert tb.lengths.tolist() == [4, 0, 0, 1, 3, 2, 3]
    assert detokenize(tb.ids, tb.sent, tb.n, tb) == texts
    assert detokenize(tb.ids, tb.sent, tb.n, tb, lowercase=True, keep_punct=False) == [
        "hello  world\nnew line", "", "   ", "one", "ünïcödé text", "a\tb", " lead and trail\n"]
    plain = ["Hello, world!", "one", "a b c"]  # the common case: no layout to carry
    tb = tokenize(plain, get_lexicon(SYN))
    assert tb.layout is None and detokenize(tb.ids, tb.sent, tb.n, tb) == plain


_WS = [" ", " ", " ", "  ", "\n", "\n\n", "\t", "\r\n", "\u3000", "\xa0", " \n ", "\x1c", "\u2029"]
_TOKS = ["quick", "Fox.", "(dog)", "é", "日本語", "👍🏽", "e\u0301", "!!", "x-y", "\ud800", "אבג"]
laid_out = st.builds(
    lambda lead, pairs, trail: lead + "".join(w + g for w, g in pairs)[: -len(pairs[-1][1]) or None] + trail
    if pairs else lead + trail,
    st.sampled_from(["", "", " ", "\n", "\t "]),
    st.lists(st.tuples(st.sampled_from(_TOKS), st.sampled_from(_WS)), max_size=8),
    st.sampled_from(["", "", "\n", "  "]),
)


def _reference(text: str, out_tokens: list[str], pos: list[int]) -> str:
    """The documented layout rule, one text at a time: ``pos`` is the input token each output token
    stands at (-1: inserted)."""
    runs = re.split(r"\S+", text)
    if not text.split():
        lead, gaps, trail = text, [], ""
    else:
        lead, gaps, trail = runs[0], runs[1:], runs[-1]
    if not out_tokens:
        return lead + trail
    out = lead
    for k, (tok, a) in enumerate(zip(out_tokens, pos)):
        out += tok
        if k == len(out_tokens) - 1:
            return out + trail
        r = next((p for p in pos[k + 1 :] if p >= 0), None)
        if a < 0 or r is None:
            out += " "
        else:  # the run with the most line breaks among those merged (the first on a tie)
            out += max(gaps[a:r], key=lambda g: (len((g + ".").splitlines()) - 1, -gaps[a:r].index(g)))
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(laid_out, min_size=1, max_size=5), st.integers(0, 2**31 - 1), st.integers(1, 2), st.booleans())
def test_detokenize_follows_the_layout_rule(texts, seed, copies, device_path):
    """Random deletions and insertions (positions carried as the kernels carry them) on a tiled batch,
    on the CPU path and the device path: each text as the one-at-a-time reference builds it."""
    from multiaug.core.hostreads import assume_costly_host_reads

    tb = tokenize(texts, get_lexicon(SYN)).repeat(copies)
    g = np.random.default_rng(seed)
    tsent = tb.sent.numpy()
    ids, sent, pos, want = [], [], [], []
    for s in range(tb.n):
        mine = np.flatnonzero(tsent == s)
        seq = [(int(tb.ids[j]), int(j)) for j in mine if g.random() < 0.6]  # deletions keep the order
        for _ in range(int(g.integers(0, 3))):  # insertions: any word of the batch, anywhere
            seq.insert(int(g.integers(0, len(seq) + 1)), (int(g.integers(len(SENTINELS), tb.vocab_size)), -1))
        ids += [i for i, _ in seq]
        sent += [s] * len(seq)
        pos += [p for _, p in seq]
        toks = [tb.lexicon.styled(False, True, tb.vocab_size)[i] for i, _ in seq]
        want.append(_reference(texts[s % len(texts)], toks, [p - int(mine[0]) if p >= 0 else -1 for _, p in seq]))
    with assume_costly_host_reads() if device_path else contextlib.nullcontext():
        got = detokenize(torch.tensor(ids, dtype=torch.long), torch.tensor(sent, dtype=torch.long), tb.n, tb,
                         pos=torch.tensor(pos, dtype=torch.long))
    assert got == want


@pytest.mark.parametrize("make", [
    lambda: SynonymReplacement(seed=0), lambda: RandomInsertion(seed=0), lambda: RandomSwap(seed=0),
    lambda: RandomDeletion(seed=0), lambda: EDA(seed=0), lambda: EDA(mode="all", seed=0),
    lambda: EDA(lowercase=True, keep_punct=False, seed=0),
])
def test_paragraphs_stay_paragraphs(make):
    """EDA used to join every output with single spaces: a review's paragraphs, line breaks and tabs
    were lost. The words that stay keep the whitespace around them."""
    review = "Great phone, battery lasts two days.\n\nThe camera is weak in low light.\tStill happy overall.\n"
    out = quiet(make(), [review, " \n ", ""])
    assert out[0].count("\n\n") == 1 and out[0].endswith("\n") and out[1:] == [" \n ", ""]
    assert " ".join(out[0].split()) != " ".join(review.split())
    if isinstance(make(), RandomSwap):  # words move, the layout stays
        assert re.split(r"\S+", out[0]) == re.split(r"\S+", review)


@settings(max_examples=40, deadline=None)
@given(st.lists(laid_out, min_size=1, max_size=4), st.integers(0, 1000), st.sampled_from([0, 1, 2, 3]),
       st.booleans(), st.booleans())
def test_whitespace_changes_no_word_and_no_draw(texts, seed, op, lowercase, keep_punct):
    """The same words come out, for a seed, whatever whitespace separates them: the layout does not
    change the draws (outputs of single-spaced texts are those of the releases before it)."""
    rates = [0.0] * 4
    rates[op] = 0.4
    kw = dict(synonyms=SYN, lowercase=lowercase, keep_punct=keep_punct, on_unchanged="keep", seed=seed)
    aug = EDA(*rates, **kw)
    a = quiet(aug, texts)
    assert aug.report_.details["unchanged_index"] == [i for i, (o, t) in enumerate(zip(a, texts)) if aug._same(o, t)]
    b = quiet(EDA(*rates, **kw), [" ".join(t.split()) for t in texts])
    assert [" ".join(o.split()) for o in a] == b
    aug = EDA(*rates, **kw)
    x, _, _ = quiet(aug.augment, texts, n_aug=2)
    assert [" ".join(o.split()) for o in x] == quiet(EDA(*rates, **kw).augment, [" ".join(t.split()) for t in texts], n_aug=2)[0]


def test_unchanged_words_in_another_layout_are_unchanged():
    aug = EDA()
    assert aug._same("A\nX B", "A X\nB") and aug._same("A X B", "A X\nB") and not aug._same("A\nY B", "A X\nB")
    assert EDA(lowercase=True, keep_punct=False)._same("a\nx b", "A, X\nB")


def test_tokenize_texts_containing_the_separator_character():
    texts = ["a\x00b c", "d \x00 e"]
    tb = tokenize(texts, get_lexicon(SYN))
    assert detokenize(tb.ids, tb.sent, tb.n, tb) == ["a\x00b c", "d \x00 e"]


def test_lexicon_vocabulary_is_persistent_across_batches():
    lex = get_lexicon(SYN)
    a = tokenize(["red car"], lex)
    b = tokenize(["car red fast"], lex)
    assert a.ids.tolist() == b.ids[:2].flip(0).tolist()


# ---- kernels ---------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=6), st.integers(0, 2**31 - 1))
def test_segment_rank_is_a_permutation_within_each_segment(lengths, seed):
    g = torch.Generator().manual_seed(seed)
    n = len(lengths)
    sent = torch.repeat_interleave(torch.arange(n), torch.tensor(lengths))
    valid = torch.rand(sent.numel(), generator=g) < 0.7
    rank, _, _ = F.segment_rank(sent, torch.rand(sent.numel(), generator=g), valid, n)
    for s in range(n):
        r = rank[sent == s]
        v = valid[sent == s]
        assert sorted(r.tolist()) == list(range(lengths[s]))
        assert (r[v] < int(v.sum())).all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 15), min_size=1, max_size=6), st.integers(0, 2**31 - 1))
def test_swap_and_deletion_invariants(lengths, seed):
    g = torch.Generator().manual_seed(seed)
    n = len(lengths)
    lens = torch.tensor(lengths)
    sent = torch.repeat_interleave(torch.arange(n), lens)
    ids = torch.randint(0, 1000, (sent.numel(),), generator=g)
    n_swaps = torch.randint(0, 4, (n,), generator=g)
    out = F.random_swap(ids, sent, n, n_swaps, torch.ones_like(sent, dtype=torch.bool), torch.rand(sent.numel(), generator=g))
    for s in range(n):
        a, b = ids[sent == s], out[sent == s]
        assert Counter(a.tolist()) == Counter(b.tolist())
        assert int((a != b).sum()) <= 2 * int(n_swaps[s])
    p = torch.rand(n, generator=g)
    kept, ksent = F.random_deletion(ids, sent, n, p, torch.rand(sent.numel(), generator=g))
    new_len = torch.bincount(ksent, minlength=n)
    for s in range(n):
        if lengths[s] >= 1:
            assert new_len[s] >= 1
        if lengths[s] >= 2:
            assert new_len[s] < lengths[s]
        # order of the kept tokens is preserved
        a = ids[sent == s].tolist()
        b = kept[ksent == s].tolist()
        it = iter(a)
        assert all(x in it for x in b)


def test_insertion_adds_exactly_n_tokens_in_order():
    lex = get_lexicon(SYN)
    tb = tokenize([TEN, "the and of", "fox"], lex)
    tid_t, _ = tb.type_tensors("cpu")
    tid = tid_t[tb.ids]
    n_ins = torch.tensor([3, 0, 2])
    total = int(n_ins.sum())
    g = torch.Generator().manual_seed(0)
    u = torch.rand(3, total, generator=g)
    table = tb.table.tensors("cpu")
    ids, sent = F.random_insertion(tb.ids, tb.sent, 3, n_ins, tid >= 0, tid, u[0], u[1], u[2], table,
                                   lambda c, s: 10**9 + s)
    assert torch.bincount(sent, minlength=3).tolist() == [13, 3, 3]
    assert (sent[1:] >= sent[:-1]).all()
    assert ids[ids < 10**9].tolist() == tb.ids.tolist()


def test_a_full_lexicon_is_replaced_not_emptied_under_a_batch():
    # batches made before the shared lexicon was renewed keep detokenising to their own words
    syn = {"alpha": ["beta"], "gamma": ["delta"]}
    lex = get_lexicon(syn)
    lex.max_types = len(lex.vocab) + 2
    first = ["alpha one two three", "gamma four"]
    tb = tokenize(first, lex)
    fresh = get_lexicon(syn)
    assert fresh is not lex and fresh.table is lex.table
    tokenize(["five six seven eight nine"], fresh)
    assert detokenize(tb.ids, tb.sent, tb.n, tb) == first
    assert get_lexicon(syn) is fresh


def test_threads_sharing_the_lexicon_replay_their_seeds():
    # the lexicon is shared by every augmenter with the same synonyms: used from several threads at once,
    # each seeded augmenter gives what it gives alone (it crashed or mixed up words before)
    import random
    import string
    from concurrent.futures import ThreadPoolExecutor

    from multiaug.text import vocab

    rng = random.Random(0)
    batches = [[" ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 7)))
                         for _ in range(30)) for _ in range(40)] for _ in range(12)]
    syn = {"quick": ["fast"]}
    expected = [quiet(RandomSwap(seed=i), b) for i, b in enumerate(batches)]
    for _ in range(3):
        vocab._LEXICONS.pop((None, vocab.STOP_WORDS), None)  # RandomSwap's lexicon (no synonyms), fresh
        with ThreadPoolExecutor(6) as ex:
            got = list(ex.map(lambda ib: quiet(RandomSwap(seed=ib[0]), ib[1]), enumerate(batches)))
        assert got == expected
    with ThreadPoolExecutor(6) as ex:
        got = list(ex.map(lambda ib: quiet(EDA(seed=ib[0], synonyms=syn, mode="all"), ib[1]), enumerate(batches)))
    assert got == [quiet(EDA(seed=i, synonyms=syn, mode="all"), b) for i, b in enumerate(batches)]


# ---- the augmenters ----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", [EDA, SynonymReplacement, RandomInsertion, RandomSwap, RandomDeletion])
def test_one_output_per_input_seeded(cls):
    a, b = cls(seed=3), cls(seed=3)  # packaged WordNet
    out = quiet(a, SENTENCES)
    assert out == quiet(b, SENTENCES) and len(out) == len(SENTENCES)
    assert quiet(a, SENTENCES) != out
    assert all(o != s for o, s in zip(out, SENTENCES))


def test_synonym_replacement_changes_n_words_and_keeps_case_and_punctuation():
    aug = SynonymReplacement(alpha=0.2, synonyms=SYN, seed=0)
    src = "Quick brown fox, the lazy dog."
    out = aug([src] * 20)
    for o in out:
        a, b = src.split(), o.split()
        assert len(a) == len(b)
        diff = [(x, y) for x, y in zip(a, b) if x != y]
        assert len(diff) == 1  # round(0.2 * 6) = 1
        x, y = diff[0]
        assert x != "the"  # stop word
        # a synonym from the table, with the word's capitalisation and trailing punctuation kept
        allowed = {"Quick": {"Fast", "Speedy"}, "brown": {"tan"}, "fox,": {"vixen,"}, "lazy": {"idle"}, "dog.": {"hound."}}
        assert y in allowed[x], (x, y)
        assert y[0].isupper() == x[0].isupper()
        if not x[-1].isalpha():
            assert y[-1] == x[-1]
    replaced = {next(a for a, b in zip(src.split(), o.split()) if a != b) for o in out}
    assert len(replaced) >= 3  # the replaced word is drawn per output, not fixed


def test_stop_words_are_never_replaced_even_with_synonyms():
    out = quiet(SynonymReplacement(alpha=1.0, synonyms=SYN, seed=0), ["the the the dog"] * 10)
    assert all(o.split()[:3] == ["the"] * 3 and o.split()[3] == "hound" for o in out)
    custom = SynonymReplacement(alpha=1.0, synonyms=SYN, stopwords=["dog"], seed=0)
    assert quiet(custom, ["the dog"]) == ["thee dog"]


def test_eda_n_aug_gives_one_copy_per_operation():
    aug = EDA(synonyms=SYN, seed=0)
    X, _, src = aug.augment([TEN] * 5, n_aug=4)
    assert len(X) == 20
    base = TEN.split()
    for i in range(5):
        copies = [X[j].split() for j in range(20) if src[j] == i]
        kinds = sorted(
            "ri" if len(c) == 11 else "rd" if len(c) < 10 else "rs" if sorted(c) == sorted(base) else "sr"
            for c in copies
        )
        assert kinds == ["rd", "ri", "rs", "sr"]


def test_eda_mode_all_applies_every_operation():
    out = EDA(synonyms=SYN, mode="all", p_rd=0.0001, seed=0)([TEN])[0].split()
    assert len(out) == 10  # +1 insertion, -1 deletion (at least one)
    assert out != TEN.split()


def test_lowercase_and_strip_punctuation_like_the_reference():
    out = RandomSwap(lowercase=True, keep_punct=False, seed=0)(["Hello, World! Good DAY."])[0]
    assert sorted(out.split()) == ["day", "good", "hello", "world"]


def test_wordnet_default_finds_synonyms_of_inflected_words():
    out = SynonymReplacement(alpha=1.0, seed=0)(["programs licensed"])[0]
    assert out != "programs licensed" and len(out.split()) >= 2


def test_labels_and_fit_resample():
    X = SENTENCES
    y = np.arange(len(X)) % 2
    aug = EDA(n_aug=3, seed=0)
    Xr, yr = aug.fit_resample(X, y)
    assert len(Xr) == len(yr) == 4 * len(X)
    assert list(Xr[: len(X)]) == X
    _, y_aug, src = aug.augment(X, y)
    assert (np.asarray(y_aug) == y[src]).all()


def test_one_sentence_given_alone_gives_a_list_of_copies():
    """A str is one sample: its copies (augment) and the resampled data (fit_resample) are flat lists."""
    from multiaug import Sequential

    text = "the quick brown fox jumps over the lazy dog"
    for aug in (EDA(n_aug=2, seed=0), Sequential([EDA()], n_aug=2, seed=0)):
        X, y, src = aug.augment(text, [1])
        assert isinstance(X, list) and all(isinstance(s, str) for s in X) and len(X) == len(y) == len(src)
        Xr, yr = aug.fit_resample(text, [1])
        assert Xr[0] == text and all(isinstance(s, str) for s in Xr) and len(Xr) == len(yr) == 1 + len(X)
    assert isinstance(EDA(seed=0)(text), str)


def test_config_round_trip_with_a_custom_dictionary():
    aug = EDA(synonyms=SYN, alpha_sr=0.3, seed=1)
    twin = from_config(aug.to_config())
    assert quiet(twin, SENTENCES) == quiet(EDA(synonyms=SYN, alpha_sr=0.3, seed=1), SENTENCES)


def test_p_selects_samples_and_only_they_are_checked():
    aug = RandomSwap(p=0.5, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = aug(SENTENCES)  # untouched samples are not "unchanged" failures
    changed = sum(o != s for o, s in zip(out, SENTENCES))
    assert 0 < changed < len(SENTENCES)
    X, _, src = quiet(aug.augment, SENTENCES, None, 3)
    assert len(X) == len(src) == 3 * len(SENTENCES)


# ---- bad input ---------------------------------------------------------------------------------------


def test_none_entry_raises_naming_the_index():
    with pytest.raises(TypeError, match=r"x\[2\]"):
        EDA(synonyms=SYN)(["a b", "c d", None])
    with pytest.raises(TypeError, match=r"x\[1\]"):
        RandomSwap().augment(["a b", 3])


def test_unchanged_inputs_are_counted_reported_and_dropped():
    texts = ["", "   ", "the and of", "word", TEN]
    aug = SynonymReplacement(synonyms=SYN, seed=0)
    with pytest.warns(RuntimeWarning, match="4 of 5 outputs are identical"):
        out = aug(texts)
    assert out[:4] == ["", "   ", "the and of", "word"] and out[4] != TEN  # whitespace comes back as it was
    assert aug.report_.n_unchanged == 4 and aug.report_.details["unchanged_index"] == [0, 1, 2, 3]
    with pytest.warns(RuntimeWarning, match="left out"):
        X, _, src = aug.augment(texts, n_aug=2)
    assert list(src) == [4, 4] and aug.report_.n_dropped == 8 and aug.report_.n_outputs == 2
    keep = SynonymReplacement(synonyms=SYN, on_unchanged="keep", seed=0)
    X, _, src = quiet(keep.augment, texts, None, 2)
    assert len(X) == 10
    with pytest.raises(ValueError, match="on_unchanged='error'"):
        SynonymReplacement(synonyms=SYN, on_unchanged="error")(texts)
    with pytest.raises(ValueError, match="on_unchanged"):
        SynonymReplacement(on_unchanged="silent")(texts)


def test_one_word_sentences_for_swap_and_deletion_are_reported():
    for cls in (RandomSwap, RandomDeletion):
        aug = cls(seed=0)
        with pytest.warns(RuntimeWarning):
            assert aug(["single", "two words"])[0] == "single"
        assert aug.report_.n_unchanged == 1


def test_deletion_deletes_words_never_punctuation_only_tokens():
    for seed in range(40):
        for text in ("Hello - world", "Hello !", "a , b ; c -- d"):
            out = quiet(RandomDeletion(alpha=0.01, seed=seed), [text])[0]
            words_in = [t for t in text.split() if t.strip(",;-!")]
            words_out = [t for t in out.split() if t.strip(",;-!")]
            assert [t for t in out.split() if not t.strip(",;-!")] == [t for t in text.split() if not t.strip(",;-!")]
            assert len(words_out) >= 1  # one word kept
            if len(words_in) >= 2:
                assert len(words_out) < len(words_in)  # at least one word deleted
            else:
                assert out == text  # one word: nothing to delete (reported)
    with pytest.raises(ValueError, match="on_unchanged='error'"):
        RandomDeletion(alpha=0.5, on_unchanged="error", seed=0)(["Hello !"])


def test_kernel_deletion_with_a_valid_mask():
    ids = torch.arange(6)
    sent = torch.tensor([0, 0, 0, 1, 1, 1])
    valid = torch.tensor([True, False, True, False, True, False])
    for seed in range(20):
        u = torch.rand(6, generator=torch.Generator().manual_seed(seed))
        kept, ksent = F.random_deletion(ids, sent, 2, torch.tensor([0.01, 0.9]), u, valid=valid)
        k = set(kept.tolist())
        assert {1, 3, 4, 5} <= k  # invalid tokens stay; a sentence with one valid token keeps it
        assert len(k & {0, 2}) == 1  # two valid tokens: exactly one deleted at p=0.01


@pytest.mark.parametrize("make, text", [
    (lambda **k: RandomSwap(alpha=0.5, lowercase=True, **k), "Dog dog"),
    (lambda **k: RandomSwap(alpha=0.5, keep_punct=False, **k), "dog, dog"),
    (lambda **k: RandomDeletion(alpha=0.01, keep_punct=False, **k), "Hello !"),
    (lambda **k: EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0.5, p_rd=0, lowercase=True, keep_punct=False, **k), "A, a"),
    (lambda **k: EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0.5, p_rd=0.5, keep_punct=False, **k), "Hello !"),
])
def test_outputs_equal_to_the_normalised_input_are_unchanged(make, text):
    for seed in range(3):
        with pytest.raises(ValueError, match="on_unchanged='error'"):
            make(on_unchanged="error", seed=seed)([text])
        with pytest.warns(RuntimeWarning, match="left out"):
            X, _, src = make(seed=seed).augment([text, TEN], n_aug=4)
        assert all(int(s) == 1 for s in src)


@settings(max_examples=30, deadline=None)
@given(st.lists(words.map(" ".join), min_size=1, max_size=5), st.integers(0, 1000), st.booleans(), st.booleans(),
       st.sampled_from([0, 1, 2, 3]))
def test_property_unchanged_is_decided_by_same(texts, seed, lowercase, keep_punct, op):
    rates = [0.0] * 4
    rates[op] = 0.5
    aug = EDA(*rates, synonyms=SYN, lowercase=lowercase, keep_punct=keep_punct, on_unchanged="keep", seed=seed)
    out = quiet(aug, texts)
    assert aug.report_.details["unchanged_index"] == [i for i, (o, t) in enumerate(zip(out, texts)) if aug._same(o, t)]


def test_non_ascii_and_a_long_document():
    text = "Ça va très bien — naïve café, Straße und Übermut. 日本語 テキスト"
    out = RandomSwap(seed=0)([text])[0]
    assert sorted(out.split()) == sorted(text.split())
    doc = " ".join([TEN] * 5000)  # 50k words
    aug = EDA(synonyms=SYN, mode="all", seed=0)
    res = aug([doc, "short fox text"])
    assert abs(len(res[0].split()) - 50_000) < 10_000
    assert res[1] != "short fox text"


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match="alpha_sr"):
        EDA(alpha_sr=2)(["the cat runs"])  # checked at first use
    with pytest.raises(ValueError, match="at least one"):
        EDA(alpha_sr=0, alpha_ri=0, alpha_rs=0, p_rd=0)(["the cat runs"])
    with pytest.raises(ValueError, match="mode"):
        EDA(mode="some")(["the cat runs"])
    with pytest.raises(ValueError, match="synonyms"):
        EDA(synonyms=42)(["the cat runs"])
    with pytest.raises(ValueError, match="alpha"):
        RandomSwap(alpha=0)(["the cat runs"])


def test_synonym_files_as_paths_and_bad_sources_name_the_augmenter(tmp_path):
    import gzip
    import json

    path = _dict_file(tmp_path)
    assert quiet(SynonymReplacement(alpha=1, synonyms=path, seed=0), ["a dog b"]) == ["a hound b"]  # a pathlib.Path
    gz = tmp_path / "syn.json.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as fh:
        json.dump(SYN, fh)
    assert quiet(SynonymReplacement(alpha=1, synonyms=str(gz), seed=0), ["a dog b"]) == ["a hound b"]
    lst = tmp_path / "list.json"
    lst.write_text(json.dumps([["dog", "hound"]]))
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    for src, what in [(lst, "expected a dict"), (str(bad), "not valid JSON")]:
        with pytest.raises(ValueError, match=f"^SynonymReplacement: synonyms='{tmp_path}.*{what}"):
            SynonymReplacement(alpha=1, synonyms=src)(["a dog b"])
    for cls in (SynonymReplacement, RandomInsertion, EDA):
        with pytest.raises(ValueError, match=f"^{cls.__name__}: synonyms: the synonyms of 'dog' include a blank"):
            cls(synonyms={"dog": [""]})(["a dog b"])


@settings(max_examples=30, deadline=None)
@given(st.lists(words.map(" ".join), min_size=1, max_size=5), st.integers(0, 1000))
def test_property_outputs_are_strings_and_swap_keeps_words(texts, seed):
    out = quiet(EDA(synonyms=SYN, seed=seed), texts)
    assert len(out) == len(texts) and all(isinstance(o, str) for o in out)
    sw = quiet(RandomSwap(seed=seed), texts)
    assert [sorted(o.split()) for o in sw] == [sorted(t.split()) for t in texts]


@requires_cuda
@pytest.mark.gpu
def test_cuda_matches_shapes_and_is_seeded():
    a = EDA(synonyms=SYN, device="cuda", seed=0)
    out = a(SENTENCES)
    assert out == EDA(synonyms=SYN, device="cuda", seed=0)(SENTENCES)
    assert all(o != s for o, s in zip(out, SENTENCES))


@pytest.mark.slow  # loads every modality through the CLI
def test_cli_augments_a_csv_with_eda(tmp_path):
    import pandas as pd
    from click.testing import CliRunner

    from multiaug.cli import cli

    src = tmp_path / "reviews.csv"
    pd.DataFrame({"text": [TEN, "the and of", "Red car drives fast on the road."], "label": [1, 0, 1]}).to_csv(src, index=False)
    out = tmp_path / "out.jsonl"
    res = CliRunner().invoke(cli, ["augment", str(src), "-o", str(out), "--augmenter", "eda", "--column", "text",
                                   "--label-column", "label", "--n-aug", "4", "--seed", "0",
                                   "--param", "synonyms=" + str(_dict_file(tmp_path))])
    assert res.exit_code == 0, res.output
    df = pd.read_json(out, lines=True)
    aug = df[df["is_augmented"]]
    # the stop-word-only row has no synonyms: its SR and RI copies are dropped (and reported)
    assert aug["source_index"].value_counts().to_dict() == {0: 4, 1: 2, 2: 4}
    assert (aug["label"].to_numpy() == df["label"].to_numpy()[aug["source_index"].to_numpy()]).all()


def _dict_file(tmp_path):
    import json

    path = tmp_path / "syn.json"
    path.write_text(json.dumps(SYN))
    return path


@pytest.mark.parametrize("text", ["one", "programs", "The dog", "The dog barks.", "a the of"])
def test_mode_all_survives_a_replacement_of_the_only_insertion_source(text):
    """mode="all" runs SR before RI: when SR replaced a sentence's only word with synonyms, RI has no
    source left in it and skips that sentence's insertions (this used to raise IndexError)."""
    import warnings

    aug = EDA(mode="all", alpha_sr=0.5, alpha_ri=0.5, alpha_rs=0.0, p_rd=0.0, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for seed in range(5):
            aug.set_params(seed=seed)
            out = aug([text, text + " again"])
            assert len(out) == 2 and all(isinstance(o, str) for o in out)
