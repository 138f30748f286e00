"""ContextualSubstitution on a tiny random BERT: counts of changed words, punctuation and case kept,
insertion, stop words, seeding, batching and reporting."""
from __future__ import annotations

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


def test_long_input_is_truncated_at_the_models_positions():
    """The tiny model has 128 positions; the default max_length (512) must not overrun them: words past
    the model's window stay as they are."""
    long_text = " ".join(WORDS[i % len(WORDS)] for i in range(400))
    out = quiet(aug(seed=0, aug_p=0.1), [long_text, TEXTS[0]])
    assert len(out) == 2 and len(out[0].split()) == 400
    assert out[0].split()[200:] == long_text.split()[200:]


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
