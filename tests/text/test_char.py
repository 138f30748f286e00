"""Character noise: keyboard typos, OCR confusions, random insert/delete/swap/substitute."""
from __future__ import annotations

import re
import warnings
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.text import CharNoise, KeyboardTypo, OCRNoise
from multiaug.text.char import _OCR, _keyboard_map
from tests.conftest import SENTENCES, requires_cuda

TEXT = "Keyboard typing errors happen, often: quickly!  Twice\tspaced."


def quiet(aug, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aug(x)


def _words(s):
    return re.findall(r"[A-Za-z0-9]+", s)


def _skeleton(s):
    """Everything that is not a letter/digit: must survive substitutions and swaps exactly."""
    return re.sub(r"[A-Za-z0-9]", "", s)


def test_keyboard_typos_use_neighbouring_keys_and_keep_the_rest():
    kb = _keyboard_map()
    assert set(kb["f"]) == set("dgrtcv")
    out = KeyboardTypo(seed=0)([TEXT] * 10)
    for o in out:
        assert len(o) == len(TEXT) and _skeleton(o) == _skeleton(TEXT)
        for a, b in zip(TEXT, o):
            if a != b:
                assert b in kb[a]


def test_ocr_noise_uses_confusions():
    out = OCRNoise(char_p=1.0, word_p=1.0, seed=0)(["Hello 2010 Sol"])[0]
    for a, b in zip("Hello 2010 Sol", out):
        assert a == b or b in _OCR[a]
    assert out != "Hello 2010 Sol"


@pytest.mark.parametrize("action", ["insert", "delete", "swap", "substitute"])
def test_char_noise_actions(action):
    aug = CharNoise(action=action, seed=1)
    out = aug([TEXT] * 5)
    assert all(o != TEXT for o in out)
    for o in out:
        if action == "insert":
            assert len(o) > len(TEXT)
        elif action == "delete":
            assert len(o) < len(TEXT) and all(w for w in _words(o))
        else:
            assert len(o) == len(TEXT) and _skeleton(o) == _skeleton(TEXT)
        if action == "swap":
            assert Counter(o) == Counter(TEXT)
        # whitespace (double space, tab) is kept exactly
        assert re.findall(r"\s+", o) == re.findall(r"\s+", TEXT)


def test_short_words_and_empty_texts_are_reported():
    aug = CharNoise(seed=0, min_word_len=4)
    with pytest.warns(RuntimeWarning, match="3 of 4"):
        out = aug(["a an the", "", "  ", "longer words"])
    assert out[:3] == ["a an the", "", "  "] and aug.report_.n_unchanged == 3


def test_non_ascii_text_is_handled():
    text = "Übermäßig schöne Grüße aus Köln — 日本語テキスト"
    for action in ("insert", "delete", "swap", "substitute"):
        out = quiet(CharNoise(action=action, seed=0), [text])[0]
        assert isinstance(out, str) and out != text
    assert "—" in quiet(KeyboardTypo(seed=0), [text])[0]


def test_seeded_and_batched_identically():
    a, b = KeyboardTypo(seed=5), KeyboardTypo(seed=5)
    first = a(SENTENCES)
    assert first == b(SENTENCES)  # same seed, same batch: the same outputs
    assert a(SENTENCES) != first  # the stream advances between calls
    # one draw per sample, not one per batch: copies of a text in one batch get their own typos
    copies = KeyboardTypo(seed=5)([TEXT] * 20)
    assert len(set(copies)) >= 15 and all(o != TEXT for o in copies)
    # draws follow the position in the batch: the same seed on the reversed batch gives each text
    # other typos (deterministic under the seed)
    rev = KeyboardTypo(seed=5)(SENTENCES[::-1])[::-1]
    assert all(r != f for r, f in zip(rev, first))


def test_bad_params():
    with pytest.raises(ValueError, match="action"):
        CharNoise(action="explode")(["the cat runs"])  # checked at first use
    with pytest.raises(ValueError, match="char_p"):
        KeyboardTypo(char_p=0)(["the cat runs"])
    with pytest.raises(ValueError, match="alphabet"):
        CharNoise(alphabet="a")(["the cat runs"])
    with pytest.raises(ValueError, match="min_word_len"):
        OCRNoise(min_word_len=0)(["the cat runs"])
    with pytest.raises(TypeError, match=r"x\[1\]"):
        KeyboardTypo()(["ok", None])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghij KLM,.é\n", max_size=40), min_size=1, max_size=5), st.integers(0, 999),
       st.sampled_from(["insert", "delete", "swap", "substitute"]))
def test_property_only_word_characters_change(texts, seed, action):
    out = quiet(CharNoise(action=action, seed=seed, min_word_len=2), texts)
    assert len(out) == len(texts)
    for o, t in zip(out, texts):
        strip = lambda s: re.sub(r"[\w]", "", s)  # noqa: E731
        assert strip(o) == strip(t)  # punctuation and whitespace untouched
        if action == "delete":
            assert len(o) <= len(t)


@requires_cuda
@pytest.mark.gpu
def test_cuda_runs_and_replays():
    assert KeyboardTypo(device="cuda", seed=0)(SENTENCES) == KeyboardTypo(device="cuda", seed=0)(SENTENCES)


# ---- combining marks (decomposed text) ---------------------------------------------------------------


def _mark_pairs(text):
    import unicodedata

    return {(text[i - 1], c) for i, c in enumerate(text) if unicodedata.combining(c)}


@pytest.mark.parametrize("make", [
    lambda s: CharNoise(action="swap", seed=s, word_p=1.0, char_p=0.5),
    lambda s: CharNoise(action="insert", seed=s, word_p=1.0, char_p=0.5),
    lambda s: CharNoise(action="delete", seed=s, word_p=1.0, char_p=0.5),
    lambda s: CharNoise(action="substitute", seed=s, word_p=1.0, char_p=0.5),
    lambda s: KeyboardTypo(seed=s, word_p=1.0, char_p=0.5),
])
def test_accents_stay_on_their_letters_in_decomposed_text(make):
    import unicodedata

    nfc = "résumé générale très naïve"
    nfd = unicodedata.normalize("NFD", nfc)
    odd = "q\u0303uick Z\u0308oe ba\u0301\u0301d"  # no composed forms / a doubled mark: text in neither form
    for seed in range(10):
        out_nfd, out_odd = make(seed)([nfd, odd])
        # NFD in, NFD out: the same edits as on the composed text, decomposed again
        assert unicodedata.is_normalized("NFD", out_nfd)
        assert out_nfd == unicodedata.normalize("NFD", make(seed)([nfc, odd])[0])
        assert _mark_pairs(out_nfd) <= _mark_pairs(nfd)
        # marks without a composed form are never moved off (or onto) a letter
        assert _mark_pairs(out_odd) <= _mark_pairs(odd)
        assert out_odd.count("\u0303") == 1 and out_odd.count("\u0301") == 2
