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


# ---- words in any script; emoji, symbols and punctuation never touched; clusters never split ---------

EVERY_WORD = dict(word_p=1.0, char_p=1.0, char_max=50, min_word_len=1)
CHAR_ACTIONS = [
    pytest.param(lambda s, a=a, **kw: CharNoise(action=a, seed=s, **kw), id=a)
    for a in ("substitute", "delete", "swap", "insert")
]
ALL_CHAR_OPS = CHAR_ACTIONS + [
    pytest.param(lambda s, **kw: KeyboardTypo(seed=s, **kw), id="keyboard"),
    pytest.param(lambda s, **kw: OCRNoise(seed=s, **kw), id="ocr"),
]


def _not_letters(s):
    """Everything but letters, numbers and marks (Unicode categories L*, N*, M*), in order."""
    import unicodedata

    return [c for c in s if unicodedata.category(c)[0] not in "LNM"]


@pytest.mark.parametrize("make", CHAR_ACTIONS)
def test_emoji_symbols_and_full_width_punctuation_are_never_touched(make):
    texts = ["Paris 🇫🇷🇫🇷 trip", "thanks 👍🏽👍🏽 mate", "party🎉🎉 tonight", "你好，世界！再见。",
             "Ｈｅｌｌｏ，ｗｏｒｌｄ！ １２３", "keycap 1\ufe0f\u20e3 two ❤️ love", "tm™ deg℃ ©2024 ♥♦ ←→ x",
             "Привет, мир! Всё хорошо?"]
    for seed in range(10):
        out = quiet(make(seed, **EVERY_WORD), texts)
        for t, o in zip(texts, out):
            assert _not_letters(o) == _not_letters(t), (t, o)
        assert "🇫🇷🇫🇷" in out[0] and "👍🏽👍🏽" in out[1] and "🎉🎉" in out[2]


@pytest.mark.parametrize("make", ALL_CHAR_OPS)
def test_emoji_and_punctuation_do_not_count_towards_a_words_length(make):
    texts = ["ab🎉🎉 cd，！ ef👍🏽👍🏽", "xy🇫🇷🇫🇷 qu。。"]  # words of 2 letters only
    for seed in range(5):
        with pytest.warns(RuntimeWarning, match="2 of 2 outputs are identical"):
            assert make(seed, word_p=1.0, char_p=1.0, min_word_len=3)(texts) == texts


def test_words_are_runs_of_letters_and_numbers_in_any_script():
    # a swap of a two-character word has one choice: the full-width punctuation around stays put
    aug = CharNoise(action="swap", seed=0, word_p=1.0, char_p=1.0, min_word_len=2)
    texts = ["你好，世界！再见。", "Ｈｉ，ｙｏ！ １２", "éa ½¾ µx ДА", "e\u0301a za\u0301"]
    assert quiet(aug, texts) == ["好你，界世！见再。", "ｉＨ，ｏｙ！ ２１", "aé ¾½ xµ АД", "ae\u0301 a\u0301z"]


@pytest.mark.parametrize("make", ALL_CHAR_OPS)
def test_grapheme_clusters_are_never_split(make):
    """A character that extends the one before it (combining mark, ZWJ/ZWNJ, skin tone, tag, conjoining
    jamo) stays with it: each cluster below comes out whole, as many times as it went in."""
    cases = [
        ("ab\u0301cd xq\u0303\u0323yz", ["b\u0301", "q\u0303\u0323"]),
        ("kab\u200dkb mab\u200cmb", ["b\u200d", "b\u200c"]),
        ("family👨\u200d👩\u200d👧here", ["👨\u200d👩\u200d👧"]),
        ("keycap 1\ufe0f\u20e3 two", ["1\ufe0f\u20e3"]),
        ("okay👍🏽okay", ["👍🏽"]),
        ("🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f flag word", ["🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"]),
        ("नमस्ते दुनिया", ["स्", "ते", "नि", "या"]),
        ("한\u1100\u1161\u11a8 mixed", ["\u1100\u1161\u11a8"]),  # in neither normal form: the jamo are locked
    ]
    texts = [t for t, _ in cases]
    for seed in range(15):
        out = quiet(make(seed, **EVERY_WORD), texts)
        for (t, clusters), o in zip(cases, out):
            assert _not_letters(o) == _not_letters(t), (t, o)
            for c in clusters:
                assert o.count(c) == t.count(c), (t, o, c)


def test_substitute_draws_every_alphabet_character_other_than_the_original():
    # a character outside the alphabet may become any of its characters (the last one too); one inside
    # it never becomes itself, whatever the case of the alphabet
    a = CharNoise(action="substitute", alphabet="xyz", word_p=1.0, char_p=1.0, char_max=100, min_word_len=1, seed=0)
    drawn = Counter("".join(quiet(a, ["aaaa bbbb cccc dddd"] * 50)).replace(" ", ""))
    assert set(drawn) == {"x", "y", "z"} and min(drawn.values()) > 150
    b = CharNoise(action="substitute", alphabet="XYZ", word_p=1.0, char_p=1.0, char_max=100, min_word_len=1, seed=0)
    for src, out in zip(["XYZ xyz Xyz"] * 20, quiet(b, ["XYZ xyz Xyz"] * 20)):
        assert all(o.lower() != s.lower() and o.lower() in "xyz" for s, o in zip(src.replace(" ", ""), out.replace(" ", "")))
    digits = CharNoise(action="substitute", word_p=1.0, char_p=1.0, char_max=100, min_word_len=1, seed=0)
    assert "z" in "".join(quiet(digits, ["0123456789" * 10] * 10)).lower()


def test_delete_skips_words_of_one_character():
    # deletion keeps a character per word, so a one-character word cannot change: it is not chosen
    # instead of a word that can
    a = CharNoise(action="delete", min_word_len=1, word_p=0.1, seed=0)
    texts = ["a b c d e f g h i j hello"] * 20
    out = quiet(a, texts)
    assert a.report_.n_unchanged == 0
    assert all(o.split()[:10] == t.split()[:10] and 1 <= len(o.split()[10]) < 5 for o, t in zip(out, texts))
