"""Span data ``(text, spans)`` in character offsets (multiaug.text.spans): tokenisation with offsets,
the round trip, and offsets recomputed after every operation, on Unicode text (accents, combining
marks, CJK, emoji; offsets are Python str indices)."""
from __future__ import annotations

import unicodedata
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multiaug.text.spans import check_spans, from_tagged, to_tagged, tokenize_with_offsets
from multiaug.text.tagged import (
    LabelwiseTokenReplacement,
    MentionReplacement,
    SegmentShuffle,
    TaggedCharNoise,
    TaggedRandomDeletion,
    TaggedRandomInsertion,
    TaggedRandomSwap,
    TaggedSynonymReplacement,
    spans_from_tags,
)

DECOMPOSED = unicodedata.normalize("NFD", "José")  # "Jose" + U+0301


def span_of(text, sub, label, start=0):
    i = text.index(sub, start)
    return (i, i + len(sub), label)


def unicode_examples():
    t1 = "Jürgen Müller lives in 東京, near the 🎉 Café Ünï."
    t2 = f"{DECOMPOSED} García visited 北京市 with 👩‍👩‍👧 family!"
    t3 = "  Zoë   works at Ærø-Bank\tin Kraków.  "
    t4 = "東京に住む田中さんはソニーで働く"
    return [
        (t1, [span_of(t1, "Jürgen Müller", "PER"), span_of(t1, "東京", "LOC"), span_of(t1, "Café Ünï", "LOC")]),
        (t2, [span_of(t2, f"{DECOMPOSED} García", "PER"), span_of(t2, "北京市", "LOC")]),
        (t3, [span_of(t3, "Zoë", "PER"), span_of(t3, "Ærø-Bank", "ORG"), span_of(t3, "Kraków", "LOC")]),
        (t4, [span_of(t4, "東京", "LOC"), span_of(t4, "田中", "PER"), span_of(t4, "ソニー", "ORG")]),
    ]


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def check(out):
    """Every span lies in its text, covers no edge whitespace and does not overlap the next one."""
    for text, spans in out:
        assert isinstance(text, str)
        for (s, e, lab), nxt in zip(spans, spans[1:] + [None]):
            assert 0 <= s < e <= len(text) and isinstance(lab, str)
            assert text[s:e] == text[s:e].strip() and text[s:e]
            if nxt is not None:
                assert e <= nxt[0]


def test_tokenisation_keeps_offsets_and_cuts_at_span_boundaries():
    text = "Parisian, 東京タワー 🎉!"
    toks = tokenize_with_offsets(text, cuts=[5])
    assert [text[s:e] for s, e in toks] == ["Paris", "ian", ",", "東京タワー", "🎉!"]
    t2 = DECOMPOSED + " x"
    assert [t2[s:e] for s, e in tokenize_with_offsets(t2)] == [DECOMPOSED, "x"]


def test_round_trip_is_exact():
    data = unicode_examples()
    assert from_tagged(to_tagged(data)) == data
    assert quiet(SegmentShuffle(p=0.0, seed=0), data) == data
    single = data[0]
    assert quiet(TaggedRandomSwap(p=0.0, seed=0), single) == single


def test_bad_spans_name_the_argument():
    with pytest.raises(ValueError, match=r"^x\[0\] spans\[0\]: expected 0 <= start < end <= len\(text\) = 3"):
        TaggedRandomSwap()([("abc", [(1, 9, "PER")])])
    with pytest.raises(ValueError, match=r"overlap"):
        TaggedRandomSwap()([("abc def", [(0, 5, "PER"), (4, 7, "LOC")])])
    with pytest.raises(ValueError, match=r"covers only whitespace"):
        check_spans("a  b", [(1, 3, "PER")])
    with pytest.raises(ValueError, match=r"label must be"):
        check_spans("ab", [(0, 2, "")])
    with pytest.raises(TypeError, match=r"start and end must be integers"):
        check_spans("ab", [(0.0, 2, "PER")])


FIT = [(["Ann", "Lee", "lives", "in", "Oslo", "now"], ["B-PER", "I-PER", "O", "O", "B-LOC", "O"]),
       (["Sony", "hired", "Bob"], ["B-ORG", "O", "B-PER"])]
OPS = {
    "lwtr": lambda **k: LabelwiseTokenReplacement(rate=0.6, **k).fit(FIT),
    "sr": lambda **k: TaggedSynonymReplacement(rate=0.6, **k),
    "mr": lambda **k: MentionReplacement(rate=0.8, **k).fit(FIT),
    "sis": lambda **k: SegmentShuffle(rate=0.8, **k),
    "swap": lambda **k: TaggedRandomSwap(alpha=0.4, **k),
    "del": lambda **k: TaggedRandomDeletion(alpha=0.4, **k),
    "ins": lambda **k: TaggedRandomInsertion(alpha=0.4, **k),
    "char": lambda **k: TaggedCharNoise(word_p=0.6, min_word_len=2, **k),
}


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("protect", [None, "entities"])
def test_offsets_follow_every_operation_on_unicode_text(op, protect):
    if op == "mr" and protect:
        pytest.skip("mention replacement has no protect")
    data = unicode_examples()
    aug = OPS[op](seed=0, **({"protect": protect} if op != "mr" else {}))
    changed = 0
    for _ in range(5):
        out = quiet(aug, data)
        check(out)
        for (text, spans), (otext, ospans) in zip(data, out):
            changed += otext != text
            if protect == "entities":
                assert [(text[s:e], lab) for s, e, lab in spans] == [(otext[s:e], lab) for s, e, lab in ospans]
            if op == "mr":
                assert [lab for *_, lab in ospans] == [lab for *_, lab in spans]
                for s, e, _lab in ospans:  # a fitted mention of that type, or the original
                    assert otext[s:e] in {"Ann Lee", "Oslo", "Sony", "Bob"} | {text[a:b] for a, b, _ in spans}
    assert changed > 0


def test_mention_replacement_updates_offsets_of_later_spans():
    text = "Bob met Zoë in Kraków."
    data = [(text, [span_of(text, "Bob", "PER"), span_of(text, "Zoë", "PER"), span_of(text, "Kraków", "LOC")])]
    aug = MentionReplacement(rate=1.0, seed=0).fit([(["Jean", "Claude", "Van", "Damme"], ["B-PER"] + ["I-PER"] * 3),
                                                    (["Rio", "de", "Janeiro"], ["B-LOC", "I-LOC", "I-LOC"])])
    (otext, ospans), = quiet(aug, data)
    assert otext == "Jean Claude Van Damme met Jean Claude Van Damme in Rio de Janeiro."
    assert [otext[s:e] for s, e, _ in ospans] == ["Jean Claude Van Damme", "Jean Claude Van Damme", "Rio de Janeiro"]


def test_unprotected_deletion_reports_lost_spans():
    text = "Bob met Zoë"
    data = [(text, [(0, 3, "PER"), (8, 11, "PER")])] * 40
    aug = TaggedRandomDeletion(alpha=0.7, protect=None, seed=0)
    out = quiet(aug, data)
    check(out)
    d = aug.report_.details
    assert d["mentions_in"] == 80 and d["mentions_lost"] == 80 - sum(len(s) for _, s in out)


def test_augment_on_span_data():
    data = unicode_examples()
    X, y, src = quiet(OPS["swap"](seed=0).augment, data, [0, 1, 2, 3], n_aug=2)
    assert len(X) == len(src) and list(y) == list(src)
    check(X)


@st.composite
def span_data(draw):
    pieces = st.sampled_from(list("abcxyzéüßæ東京北🎉👩,.!-  \t\u0301\u200d") + [DECOMPOSED])
    words = draw(st.lists(st.lists(pieces, min_size=1, max_size=5).map("".join), min_size=1, max_size=8))
    text = " ".join(words)
    spans, pos = [], 0
    for w in words:
        s = text.index(w, pos)
        e = s + len(w)
        pos = e
        core = w.strip()
        if core and draw(st.booleans()):
            off = w.index(core)
            spans.append((s + off, s + off + len(core), draw(st.sampled_from(["PER", "LOC"]))))
    return text, spans


@given(st.lists(span_data(), min_size=1, max_size=4), st.integers(0, 1000), st.sampled_from(sorted(OPS)))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_unicode_span_data_round_trips_and_stays_consistent(data, seed, op):
    assert from_tagged(to_tagged(data)) == data
    out = quiet(OPS[op](seed=seed), data)
    check(out)


def test_a_replaced_token_written_against_its_neighbour_does_not_merge_with_it():
    """Span data: "Paris!" is two tokens written together. Label-wise replacement used to put a word in
    place of "!" and glue it on: "Parisweek", one word, which the span of "Paris" cut in two."""
    train = [(["Mary", "visited", "Paris", "last", "week"], ["B-PER", "O", "B-LOC", "O", "O"])]
    data = [("We love Paris!", [(8, 13, "LOC")]), ("Parisian food", [(0, 5, "LOC")])]
    lw = LabelwiseTokenReplacement(rate=1.0, seed=0).fit(train)
    for seed in range(5):
        lw.set_params(seed=seed)
        out = quiet(lw, data)
        check(out)
        for text, spans in out:
            (s, e, _), = spans
            assert text[s:e] == "Paris" and not text[e:e + 1].isalnum(), text
    # written together and unchanged: stays so (untouched data comes back exactly)
    assert quiet(TaggedRandomSwap(alpha=0.5, seed=0), [("Parisian", [(0, 5, "LOC")])]) == [("Parisian", [(0, 5, "LOC")])]
    assert quiet(LabelwiseTokenReplacement(rate=1.0, p=0.0, seed=0).fit(train), data) == data


def test_paragraph_breaks_survive_deletions_and_insertions_in_span_data():
    """A token deleted (or a word inserted) next to a paragraph break used to join the paragraphs with
    one space; the deleted tokens' whitespace now merges into its longest line break, and no two words
    written apart (or a word and its hyphen) are glued together."""
    import re

    text = "Dinner at Chez Panisse was great.\n\nThe well-known chef flew to Paris and it rained."
    data = [(text, [span_of(text, "Chez Panisse", "ORG"), span_of(text, "Paris", "LOC")])]
    words_in = set(re.findall(r"\w+", text))
    for aug in (TaggedRandomDeletion(alpha=0.5, seed=0), TaggedRandomInsertion(alpha=0.5, seed=0),
                TaggedRandomDeletion(alpha=0.5, protect=None, seed=0)):
        for seed in range(8):
            aug.set_params(seed=seed)
            out = quiet(aug, data)
            check(out)
            (otext, ospans), = out
            assert otext.count("\n\n") == 1 and "\n\n " not in otext and " \n\n" not in otext, otext
            if isinstance(aug, TaggedRandomDeletion):
                assert set(re.findall(r"\w+", otext)) <= words_in, otext
            if aug.protect == "entities":
                assert [otext[s:e] for s, e, _ in ospans] == ["Chez Panisse", "Paris"]


def test_swap_and_shuffle_move_tokens_and_keep_the_whitespace_of_span_data():
    """A swap or a segment shuffle on span data used to join every moved token with one space, and the
    runs merged around them repeated a paragraph break ("great\\n\\nto The\\n\\n ... \\n\\nParis"). Now
    the tokens move and the whitespace stays where it was, as EDA on plain text: the same runs in the
    same order, every span still on its mention's text."""
    import re

    text = "Dinner at Chez Panisse was great !\n\nThe chef  flew\tto Paris and it rained ."
    data = [(text, [span_of(text, "Chez Panisse", "ORG"), span_of(text, "Paris", "LOC")])]
    runs_in = re.findall(r"\s+", text)
    moved = 0
    for aug in (TaggedRandomSwap(alpha=0.4, seed=0), TaggedRandomSwap(alpha=0.4, protect=None, seed=0),
                SegmentShuffle(rate=0.8, seed=0)):
        for seed in range(6):
            aug.set_params(seed=seed)
            (otext, ospans), = quiet(aug, data)
            moved += otext != text
            assert re.findall(r"\s+", otext) == runs_in, otext
            assert sorted(otext.split()) == sorted(text.split())
            if aug.protect == "entities":
                assert [otext[s:e] for s, e, _ in ospans] == ["Chez Panisse", "Paris"]
            assert {otext[s:e] for s, e, _ in ospans} <= {"Chez", "Panisse", "Chez Panisse", "Panisse Chez", "Paris"}
    assert moved > 12
    # a place written against "Paris" (no space) stays so for the punctuation moved there (old: "Paris ."),
    # and a word moved there is not glued on ("Paris John", not "ParisJohn")
    t3 = "Mary Smith flew to Paris, then John went to Berlin."
    d3 = [(t3, [span_of(t3, "Mary Smith", "PER"), span_of(t3, "Paris", "LOC"), span_of(t3, "Berlin", "LOC")])]
    after = set()
    for seed in range(30):
        (otext, ospans), = quiet(TaggedRandomSwap(alpha=0.5, seed=seed), d3)
        assert [otext[s:e] for s, e, _ in ospans] == ["Mary Smith", "Paris", "Berlin"]
        assert set(re.findall(r"\w+", otext)) <= set(re.findall(r"\w+", t3)), otext
        assert otext.startswith("Mary Smith ") and set(otext) - set(t3) == set()
        after.add(re.search(r"Paris(,|\.| \w)", otext).group(1)[0])
    assert {".", " "} <= after


def test_swap_and_shuffle_of_single_spaced_span_data_match_the_token_lists():
    """Span data whose tokens are all one space apart comes back joined by single spaces, the same
    tokens as the (tokens, tags) form gives for the seed (the whitespace rule changes nothing there)."""
    tokens = ["Mary", "Smith", "flew", "to", "Paris", ",", "then", "John", "went", "to", "Berlin"]
    tags = ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "O", "B-PER", "O", "O", "B-LOC"]
    text = " ".join(tokens)
    spans = [(0, 10, "PER"), span_of(text, "Paris", "LOC"), span_of(text, "John", "PER"), span_of(text, "Berlin", "LOC")]
    for make in (lambda s: TaggedRandomSwap(alpha=0.5, protect=None, seed=s), lambda s: SegmentShuffle(rate=0.8, seed=s)):
        for seed in range(10):
            (otext, ospans), = quiet(make(seed), [(text, spans)])
            (otoks, otags), = quiet(make(seed), [(tokens, tags)])
            assert otext == " ".join(otoks)
            assert [otext[s:e] for s, e, _ in ospans] == [" ".join(otoks[a:b]) for a, b, _ in spans_from_tags(otags)]


def test_words_with_combining_marks_of_any_script_stay_whole():
    """Only the Latin combining-mark blocks counted as part of a word: Devanagari vowel signs, Arabic
    harakat and Hebrew points were tokens of their own, so "हिंदी" was four tokens and a swap scattered
    its marks ("ाभाा िंह ..."). Every combining mark (Mn, Mc, Me) now belongs to its word, and so does a
    zero-width (non-)joiner written inside one (Persian "می‌خواهم")."""
    cases = {"हिंदी भाषा": ["हिंदी", "भाषा"], "مُحَمَّد رسول": ["مُحَمَّد", "رسول"], "שָׁלוֹם!": ["שָׁלוֹם", "!"],
             "می\u200cخواهم،": ["می\u200cخواهم", "،"], "ไม้ ok": ["ไม้", "ok"], "Jose\u0301.": ["Jose\u0301", "."],
             "👩\u200d👩\u200d👧 x\u200d": ["👩\u200d👩\u200d👧", "x", "\u200d"],
             "\U00011013\U00011038 🎉!": ["\U00011013\U00011038", "🎉!"]}  # Brahmi: a mark beyond U+FFFF
    for text, toks in cases.items():
        assert [text[s:e] for s, e in tokenize_with_offsets(text)] == toks
    text = "हिंदी भाषा राम दिल्ली में"
    data = [(text, [span_of(text, "राम", "PER"), span_of(text, "दिल्ली", "LOC")])]
    for op in ("swap", "sis", "del"):
        for seed in range(4):
            (otext, ospans), = quiet(OPS[op](protect=None, seed=seed), data)
            assert set(otext.split()) <= set(text.split()), otext
            assert {otext[s:e] for s, e, _ in ospans} <= {"राम", "दिल्ली"}, otext


def test_punctuation_moved_between_two_glued_words_does_not_glue_them_into_one_token():
    """"well-known" is three tokens written together. A swap or a shuffle that moved another
    punctuation token into the hyphen's place glued the two words into one token ("well.known",
    "chef.rained", "Dinner!chef": one token to a whitespace split). Such punctuation now
    gets one space after it (before it when it opens: "well (known"); the hyphen at its own place keeps
    its words glued as the input wrote them, and single-spaced text is untouched."""
    import re

    text = "Dinner at Chez Panisse was great. The well-known chef (Bob) flew to Paris, it rained!"
    data = [(text, [span_of(text, "Chez Panisse", "ORG"), span_of(text, "Bob", "PER"), span_of(text, "Paris", "LOC")])]
    moved_in = set()
    for seed in range(15):
        for aug in (TaggedRandomSwap(alpha=0.5, protect=None, seed=seed), SegmentShuffle(rate=0.8, seed=seed)):
            (otext, ospans), = quiet(aug, data)
            check([(otext, ospans)])
            assert [m for m in re.findall(r"\w([^\w\s]+)\w", otext) if m != "-"] == [], otext
            assert sorted(re.findall(r"\w+|\S", otext)) == sorted(re.findall(r"\w+|\S", text)), otext
            moved_in |= set(re.findall(r"\w([^\w\s]) \w", otext)) | set(re.findall(r"\w (\()\w", otext))
    assert "(" in moved_in and {".", ",", "!"} & moved_in  # the case happened, with both kinds of punctuation


def test_mentions_fitted_on_span_data_come_back_as_written():
    # fitted on span data, a mention whose tokens are written together ("Ana-María O'Neil": six tokens)
    # was put back with a space between every token ("Ana - María O ' Neil")
    data = [("Dr. Ana-María O'Neil visited Paris.", [(4, 20, "PER"), (29, 34, "LOC")]),
            ("Bob met Tom in Rome.", [(0, 3, "PER"), (8, 11, "PER"), (15, 19, "LOC")])]
    seen = set()
    for seed in range(12):
        mr = MentionReplacement(rate=1.0, seed=seed).fit(data)
        for text, spans in mr(data):
            seen.update((text[a:b], lab) for a, b, lab in spans)
    assert ("Ana-María O'Neil", "PER") in seen
    assert {m for m, _ in seen} <= {"Ana-María O'Neil", "Bob", "Tom", "Paris", "Rome"}
    # on token data the fitted mention is the written one too
    mr = MentionReplacement(rate=1.0, seed=0).fit(data)
    assert ["Ana-María", "O'Neil"] in mr.mentions_[mr.types_.index("PER")]


def test_a_mention_drawn_for_itself_keeps_its_text_and_whitespace():
    # "New  York" replaced by itself came back "New York" (its inner whitespace lost) and was reported
    # unchanged while its text had changed
    data = [("I love New  York.", [(7, 16, "LOC")])]
    mr = MentionReplacement(rate=1.0, seed=0).fit(data)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert mr(data) == data
    assert mr.report_.n_unchanged == 1


def test_insertions_in_span_data_never_split_a_word_written_together():
    # span data splits "don't", "e-mail", "3.5" into several tokens; an insertion went between them
    # ("don' post t", "3. bucks 5", "bob@example runs . com")
    text = "I don't like e-mail, it costs 3.5 dollars at bob@example.com in Paris."
    data = [(text, [span_of(text, "Paris", "LOC")])]
    syn = {"like": ["love"], "costs": ["runs"], "dollars": ["bucks"], "mail": ["post"], "example": ["model"]}
    for seed in range(10):
        (out, spans), = quiet(TaggedRandomInsertion(alpha=0.5, synonyms=syn, seed=seed), data)
        assert out != text
        words = out.split()
        for w in ("don't", "e-mail,", "3.5", "bob@example.com", "Paris."):
            assert w in words, (seed, out)
        assert [out[a:b] for a, b, _ in spans] == ["Paris"]


def test_touching_spans_of_one_label_are_refused_in_the_io_scheme_not_merged():
    # IO tags cannot tell "Ann" and "Bob" apart: the two spans came back as one (0, 7, 'PER'), even at p=0
    text = "Ann Bob and Carl Lee"
    data = [(text, [(0, 3, "PER"), (4, 7, "PER"), (12, 20, "PER")])]
    with pytest.raises(ValueError, match=r"x\[0\]: spans \(0, 3, 'PER'\) and \(4, 7, 'PER'\) touch.*scheme='BIO'"):
        TaggedRandomSwap(scheme="IO", p=0.0)(data)
    assert TaggedRandomSwap(scheme="BIO", p=0.0)(data) == data
    # spans apart, or of different labels, are fine in IO
    ok = [(text, [(0, 3, "PER"), (4, 7, "ORG"), (12, 20, "PER")])]
    assert TaggedRandomSwap(scheme="IO", p=0.0)(ok) == ok


def test_pieces_of_a_word_written_together_are_not_replaced_as_words():
    # span data splits "e-mail", "well-known", "don't" into pieces; synonym and label-wise replacement
    # replaced the pieces ("due east-mail", "e-ring mail", "swell-known"); a mention's edge is a word's
    # edge ("Mary" of "Mary's" is still replaced)
    text = "I don't think it's a well-known fact that Mary's e-mail works."
    data = [(text, [span_of(text, "Mary", "PER")])]
    syn = {"e": ["east"], "mail": ["post"], "well": ["swell"], "known": ["famous"], "don": ["wear"],
           "mary": ["Maria"], "think": ["believe"], "fact": ["truth"]}
    train = [(["e", "well", "Bob", "mail"], ["O", "O", "B-PER", "O"])]
    names = set()
    for seed in range(8):
        for aug in (TaggedSynonymReplacement(rate=1.0, synonyms=syn, stopwords=[], seed=seed),
                    LabelwiseTokenReplacement(rate=1.0, stopwords=[], seed=seed).fit(train)):
            (out, spans), = quiet(aug, data)
            words = out.split()
            for w in ("don't", "well-known", "e-mail"):
                assert w in words, (type(aug).__name__, out)
            names.update(out[a:b] for a, b, _ in spans)
    assert {"Maria", "Bob"} <= names
    (out, _), = quiet(TaggedSynonymReplacement(rate=1.0, synonyms=syn, stopwords=[], seed=0), data)
    assert out == "I don't believe it's a well-known truth that Maria's e-mail works."
