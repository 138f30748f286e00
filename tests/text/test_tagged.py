"""Tagged sequences (multiaug.text.tagged): the data model, the scheme utilities and the augmenters.

Property tests (hypothesis) draw random batches (random schemes, random mentions) and check that every
operation gives valid tags, one per token, and keeps what it promises (mentions intact under
``protect="entities"``, the tags under label-wise replacement, the multiset of every segment under
segment shuffle); plus seeded replay, per-sample draws, ``p=0`` and the errors on bad input."""
from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError

from multiaug import load, registry
from multiaug.text.tagged import (
    LabelwiseTokenReplacement,
    MentionReplacement,
    SegmentShuffle,
    TaggedBatch,
    TaggedCharNoise,
    TaggedRandomDeletion,
    TaggedRandomInsertion,
    TaggedRandomSwap,
    TaggedSynonymReplacement,
    convert_scheme,
    detect_scheme,
    expand_tags,
    is_valid,
    repair,
    spans_from_tags,
    tags_from_spans,
)
from tests.text.contract_cases_tagged import tagged_batch

WORDS = ["big", "car", "happy", "city", "quick", "house", "run", "the", "of", "a", "dog", "old", "river", "bank",
         "x1", ",", ".", "Paris", "Ann", "Acme", "fast", "small"]
TYPES = ["PER", "LOC", "ORG"]


@st.composite
def sentences(draw, scheme):
    n = draw(st.integers(0, 12))
    tokens = [draw(st.sampled_from(WORDS)) for _ in range(n)]
    spans, i = [], 0
    while i < n:
        if draw(st.booleans()):
            ln = draw(st.integers(1, min(4, n - i)))
            spans.append((i, i + ln, draw(st.sampled_from(TYPES))))
            i += ln
        else:
            i += 1
    return tokens, tags_from_spans(spans, n, scheme)


@st.composite
def batches(draw):
    scheme = draw(st.sampled_from(["BIO", "BIOES", "IO"]))
    sents = draw(st.lists(sentences(scheme), min_size=1, max_size=6))
    return scheme, sents


def mentions(tokens, tags, scheme):
    return [(tuple(tokens[s:e]), t) for s, e, t in spans_from_tags(tags, scheme)]


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


FIT_DATA = tagged_batch()
OPS = {
    "lwtr": lambda **k: LabelwiseTokenReplacement(rate=0.5, **k).fit(FIT_DATA),
    "sr": lambda **k: TaggedSynonymReplacement(rate=0.5, **k),
    "mr": lambda **k: MentionReplacement(rate=0.7, **k).fit(FIT_DATA),
    "sis": lambda **k: SegmentShuffle(rate=0.7, **k),
    "swap": lambda **k: TaggedRandomSwap(alpha=0.3, **k),
    "del": lambda **k: TaggedRandomDeletion(alpha=0.3, **k),
    "ins": lambda **k: TaggedRandomInsertion(alpha=0.3, **k),
    "char": lambda **k: TaggedCharNoise(word_p=0.5, min_word_len=2, **k),
}
PROTECTABLE = ["lwtr", "sr", "sis", "swap", "del", "ins", "char"]
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------------------------------
# scheme utilities
# --------------------------------------------------------------------------------------------------


def test_scheme_utilities():
    bio = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]
    assert spans_from_tags(bio) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "LOC")]
    bioes = convert_scheme(bio, "BIOES")
    assert bioes == ["B-PER", "E-PER", "O", "S-LOC", "B-LOC", "E-LOC"]
    assert convert_scheme(bioes, "BIO") == bio
    assert convert_scheme(bio, "IO") == ["I-PER", "I-PER", "O", "I-LOC", "I-LOC", "I-LOC"]
    assert detect_scheme([bio]) == "BIO" and detect_scheme([bioes]) == "BIOES"
    assert detect_scheme([["I-PER", "O"]]) == "IO" and detect_scheme([["O"]]) == "BIO"
    # IOB1 and broken sequences are read leniently and repaired
    assert repair(["O", "I-PER", "I-PER", "I-LOC"], "BIO") == ["O", "B-PER", "I-PER", "B-LOC"]
    assert not is_valid(["O", "I-PER"], "BIO") and is_valid(["O", "B-PER", "I-PER"], "BIO")
    assert not is_valid(["B-PER", "I-PER"], "BIOES") and is_valid(["B-PER", "E-PER", "S-LOC"], "BIOES")
    assert not is_valid(["B-PER"], "IO")
    assert expand_tags("LOC", 3, "BIOES") == ["B-LOC", "I-LOC", "E-LOC"]
    assert expand_tags("LOC", 1, "BIOES") == ["S-LOC"] and expand_tags(None, 2, "BIO") == ["O", "O"]


@given(batches(), st.sampled_from(["BIO", "BIOES", "IO"]))
@SETTINGS
def test_conversion_keeps_the_mentions(batch, to):
    scheme, sents = batch
    for _, tags in sents:
        out = convert_scheme(tags, to, scheme)
        assert is_valid(out, to) and len(out) == len(tags)
        if to != "IO" and scheme != "IO":  # IO cannot separate adjacent mentions of one type
            assert spans_from_tags(out, to) == spans_from_tags(tags, scheme)


# --------------------------------------------------------------------------------------------------
# the data model and its errors
# --------------------------------------------------------------------------------------------------


def test_input_forms_round_trip():
    data = tagged_batch()
    aug = SegmentShuffle(p=0.0, seed=0)
    assert aug(data) == data
    assert aug(tuple(data)) == tuple(data)
    cols = {"tokens": [t for t, _ in data], "tags": [g for _, g in data]}
    assert aug(cols) == cols
    tb = TaggedBatch(cols["tokens"], cols["tags"])
    assert aug(tb) == tb and tb.scheme == "BIO"
    single = (data[0][0], data[0][1])
    assert aug(single) == single
    out, y = aug(data, [1, 2, 3, 4, 5, 6])
    assert out == data and y == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("bad, match", [
    ([(["a", "b"], ["O"])], r"^tags\[0\]: 1 tags for 2 tokens"),
    ([(["a"], ["X-PER"])], r"^tags\[0\]\[0\]: 'X-PER' is not a BIO tag"),
    ([(["a", 3], ["O", "O"])], r"^tokens\[0\]\[1\]: expected str, got int"),
    ([("a b", ["O", "O"])], r"x\[0\]"),
    ([["a"]], r"^x\[0\]: expected a \(tokens, tags\) pair"),
    ({"tokens": [["a"]]}, r"^x: a dict batch must have exactly the keys"),
    ("just a string", r"^x: expected a list of \(tokens, tags\) pairs"),
    ({"tokens": [["a"]], "tags": [["O"], ["O"]]}, r"^tags: expected one tag list per token list \(1\), got 2"),
])
def test_bad_input_names_the_argument(bad, match):
    with pytest.raises((TypeError, ValueError), match=match):
        TaggedRandomSwap(seed=0)(bad)


def test_scheme_mismatch_and_bad_parameters():
    with pytest.raises(ValueError, match=r"^tags\[0\]\[0\]: 'S-PER' is not a BIO tag"):
        SegmentShuffle(scheme="BIO")([(["Ann"], ["S-PER"])])
    with pytest.raises(ValueError, match=r"^scheme: expected one of"):
        TaggedBatch([["a"]], [["O"]], scheme="BILOU")
    with pytest.raises(ValueError, match=r"^SegmentShuffle: scheme must be"):
        SegmentShuffle(scheme="BILOU")(tagged_batch())
    with pytest.raises(ValueError, match=r"^TaggedRandomSwap: protect must be"):
        TaggedRandomSwap(protect="mentions")(tagged_batch())
    # an alphabet of one distinct character is refused naming this augmenter (not its inner CharNoise)
    with pytest.raises(ValueError, match=r"^TaggedCharNoise: alphabet must be"):
        TaggedCharNoise(action="substitute", alphabet="aa")(tagged_batch())
    with pytest.raises(NotFittedError):
        MentionReplacement()(tagged_batch())
    with pytest.raises(ValueError, match="holds no mention"):
        MentionReplacement().fit([(["a", "b"], ["O", "O"])])


def test_empty_batches_and_sentences():
    for name, make in OPS.items():
        aug = make(seed=0)
        assert quiet(aug, []) == []
        X, y, src = quiet(aug.augment, [], [], n_aug=2)
        assert X == [] and list(y) == [] and src.shape == (0,)
        out = quiet(aug, [([], []), (["big", "city"], ["O", "O"])])
        assert out[0] == ([], []) and len(out[1][0]) == len(out[1][1]), name


# --------------------------------------------------------------------------------------------------
# properties of every operation
# --------------------------------------------------------------------------------------------------


def check_valid(out, scheme):
    for tokens, tags in out:
        assert len(tokens) == len(tags)
        assert all(isinstance(t, str) for t in tokens)
        assert is_valid(tags, scheme), tags


@pytest.mark.parametrize("op", sorted(OPS))
@pytest.mark.parametrize("protect", [None, "entities"])
@given(batch=batches(), seed=st.integers(0, 2**31 - 1))
@SETTINGS
def test_outputs_are_valid_and_protected_mentions_intact(op, protect, batch, seed):
    if op == "mr" and protect:
        return  # mention replacement has no protect: replacing mentions is what it does
    scheme, sents = batch
    aug = OPS[op](seed=seed, **({"protect": protect} if op != "mr" else {}))
    out = quiet(aug, sents)
    assert len(out) == len(sents)
    check_valid(out, scheme)
    for (tok, tags), (otok, otags) in zip(sents, out):
        m_in, m_out = mentions(tok, tags, scheme), mentions(otok, otags, scheme)
        if protect == "entities":
            assert m_out == m_in, "protect='entities' changed a mention"
        if op in ("lwtr", "sis", "char"):
            assert otags == tags, "this operation never moves a tag"
        if op == "sis":
            seg_in = _segments(tok, tags, scheme)
            seg_out = _segments(otok, otags, scheme)
            assert [Counter(s) for s in seg_in] == [Counter(s) for s in seg_out]
        if op == "mr":
            assert [t for t, g in zip(otok, otags) if g == "O"] == [t for t, g in zip(tok, tags) if g == "O"]
            assert [t for _, t in m_out] == [t for _, t in m_in]
        if op == "sr":
            assert [t for _, t in m_out] == [t for _, t in m_in]
        if op == "ins":
            assert m_out == m_in, "an insertion split a mention"


def _segments(tokens, tags, scheme):
    """Runs of one label: each mention, and each run of O tokens."""
    key = ["O"] * len(tokens)
    for k, (s, e, _) in enumerate(spans_from_tags(tags, scheme)):
        key[s:e] = [k] * (e - s)
    out = []
    for i, t in enumerate(tokens):
        if i == 0 or key[i] != key[i - 1]:
            out.append([])
        out[-1].append(t)
    return out


@pytest.mark.parametrize("op", sorted(OPS))
def test_seeded_replay_sample_apply_and_p_zero(op):
    data = tagged_batch()
    a, b = OPS[op](seed=5), OPS[op](seed=5)
    assert quiet(a, data) == quiet(b, data)
    xi, _ = a._to_internal(data)
    params = a.sample(xi)
    assert params["active"].shape == (len(data),)
    o1, o2 = a.apply(xi, params), a.apply(xi, params)
    assert o1.tokens == o2.tokens and o1.tags == o2.tags
    assert quiet(OPS[op](seed=0, p=0.0), data) == data
    # p = 0.5: the samples p left out come back as they were
    aug = OPS[op](seed=1, p=0.5)
    xi, _ = aug._to_internal(data * 4)
    params = aug.sample(xi)
    out = quiet(aug.apply, xi, params)
    for i in torch.nonzero(~params["active"]).flatten().tolist():
        assert out[i] == xi[i]


@pytest.mark.parametrize("op", sorted(OPS))
def test_draws_are_per_sample(op):
    one = [tagged_batch()[0]] * 24
    out = quiet(OPS[op](seed=3), one)
    assert len({repr(o) for o in out}) > 1


def test_label_wise_replacement_draws_from_the_tag_distribution():
    fit = [(["Ann", "lives", "in", "Rome"], ["B-PER", "O", "O", "B-LOC"]),
           (["Bob", "runs", "in", "Oslo"], ["B-PER", "O", "O", "B-LOC"])]
    aug = LabelwiseTokenReplacement(rate=1.0, stopwords=[], seed=0).fit(fit)
    assert aug.tags_ == ["B-LOC", "B-PER", "O"]
    out = quiet(aug.augment, fit * 50, n_aug=1, )[0]
    for tok, tags in out:
        assert tags in (fit[0][1],)
        assert tok[0] in ("Ann", "Bob") and tok[3] in ("Rome", "Oslo") and tok[1] in ("lives", "runs", "in")
    # an O token is drawn in proportion to its count: "in" is half of the O tokens
    share = np.mean([t[1] == "in" for t, _ in out] + [t[2] == "in" for t, _ in out])
    assert 0.4 < share < 0.6


def test_label_wise_replacement_leaves_stop_words_alone_as_the_authors_code():
    """By default (the built-in English list) a stop word is neither replaced nor drawn as a replacement;
    changing ``stopwords`` after fitting takes effect (the fitted counts keep every token)."""
    fit = [(["Ann", "lives", "in", "the", "city"], ["B-PER", "O", "O", "O", "O"]),
           (["Bob", "works", "at", "the", "port"], ["B-PER", "O", "O", "O", "O"])]
    aug = LabelwiseTokenReplacement(rate=1.0, seed=0).fit(fit)
    out, _, index = quiet(aug.augment, fit * 40, n_aug=1)
    assert len(out) > 40
    for i, (tok, _) in zip(index, out):
        src = (fit * 40)[i][0]
        assert [t for t, s in zip(tok, src) if s in ("in", "the", "at")] == [s for s in src if s in ("in", "the", "at")]
        assert all(t not in ("in", "the", "at") for t, s in zip(tok, src) if s not in ("in", "the", "at"))
    aug.set_params(stopwords=[])
    out = quiet(aug.augment, fit * 40, n_aug=1)[0]
    assert any(t in ("in", "the", "at") for tok, _ in out for t in (tok[1], tok[4]))
    assert any(tok[2] not in ("in", "at") for tok, _ in out)
    # an O group made only of stop words has nothing to draw: left alone, no error
    only = LabelwiseTokenReplacement(rate=1.0, seed=0).fit([(["Ann", "is", "in"], ["B-PER", "O", "O"])])
    assert quiet(only, [(["Bo", "was", "here"], ["B-PER", "O", "O"])])[0][0][1:] == ["was", "here"]


def test_mention_replacement_weights_distinct_as_the_authors_code_or_by_count():
    """``weights="distinct"`` (default): each distinct mention of the type is equally likely (the
    authors' code keeps a set of mentions); ``"count"``: in proportion to its occurrences (3:1 here)."""
    fit = [(["Ann", "met", "Ann", "and", "Ann", "and", "Bo", "Li"], ["B-PER", "O", "B-PER", "O", "B-PER", "O", "B-PER", "I-PER"])]
    x = [(["Cy", "ran"], ["B-PER", "O"])] * 4000
    for weights, expected in (("distinct", 0.5), ("count", 0.75)):
        aug = MentionReplacement(rate=1.0, weights=weights, seed=0).fit(fit)
        out = quiet(aug.augment, x, n_aug=1)[0]
        share = np.mean([tok[0] == "Ann" for tok, _ in out])
        assert abs(share - expected) < 0.03, (weights, share)
    aug = MentionReplacement(rate=1.0, seed=0).fit(fit)
    first = quiet(aug, x[:200])
    aug.set_params(weights="count")  # takes effect on the next call
    aug.reseed(0)
    assert quiet(aug, x[:200]) != first
    with pytest.raises(Exception, match="weights"):
        MentionReplacement(weights="uniform")(x[:1])


def test_mention_replacement_re_expands_tags_in_each_scheme():
    fit = [(["Jean", "Claude", "Van", "Damme", "met", "Bo"], ["B-PER", "I-PER", "I-PER", "I-PER", "O", "B-PER"])]
    for scheme in ("BIO", "BIOES", "IO"):
        aug = MentionReplacement(rate=1.0, seed=0).fit(fit)
        x = [(["Bo", "smiled"], convert_scheme(["B-PER", "O"], scheme))]
        outs = {tuple(map(tuple, quiet(aug, x)[0])) for _ in range(20)}
        long = (("Jean", "Claude", "Van", "Damme", "smiled"), tuple(convert_scheme(
            ["B-PER", "I-PER", "I-PER", "I-PER", "O"], scheme)))
        assert long in outs
        aug2 = MentionReplacement(rate=1.0, seed=0).fit(fit)
        assert aug2.mention_counts_ == [[1, 1]]


def test_synonym_replacement_multiword_tags():
    aug = TaggedSynonymReplacement(rate=1.0, synonyms={"city": ["urban center"], "paris": ["city of light"]}, seed=0)
    out = quiet(aug, [(["Paris", "is", "a", "city"], ["B-LOC", "O", "O", "O"])])
    assert out == [(["City", "of", "light", "is", "a", "urban", "center"], ["B-LOC", "I-LOC", "I-LOC", "O", "O", "O", "O"])]
    out = quiet(TaggedSynonymReplacement(rate=1.0, synonyms={"paris": ["city of light"]}, scheme="BIOES", seed=0),
                [(["Paris"], ["S-LOC"])])
    assert out == [(["City", "of", "light"], ["B-LOC", "I-LOC", "E-LOC"])]
    out = quiet(TaggedSynonymReplacement(rate=1.0, synonyms={"paris": ["city of light"]}, protect="entities", seed=0),
                [(["Paris", "city"], ["B-LOC", "O"])])
    assert out == [(["Paris", "city"], ["B-LOC", "O"])]


def test_unprotected_deletion_and_swap_keep_tags_valid_and_report_mentions():
    x = [(["John", "Smith", "met", "Ann"], ["B-PER", "I-PER", "O", "B-PER"])] * 30
    aug = TaggedRandomDeletion(alpha=0.6, protect=None, seed=0)
    out = quiet(aug, x)
    check_valid(out, "BIO")
    assert any(o[0][:1] == ["Smith"] and o[1][0] == "B-PER" for o in out), "a mention losing B starts at I"
    d = aug.report_.details
    assert d["mentions_in"] == 60 and d["mentions_lost"] > 0
    out = quiet(TaggedRandomSwap(alpha=0.5, protect=None, seed=0), x)
    check_valid(out, "BIO")


def test_insertion_goes_outside_mentions():
    x = [(["New", "York", "City"], ["B-LOC", "I-LOC", "I-LOC"])] * 20
    out = quiet(TaggedRandomInsertion(alpha=0.5, protect=None, seed=0), x)
    for tok, tags in out:
        i = tok.index("New")
        assert tok[i: i + 3] == ["New", "York", "City"] and tags[i: i + 3] == ["B-LOC", "I-LOC", "I-LOC"]
        assert len(tok) > 3


def test_augment_lineage_labels_and_fit_resample():
    data = tagged_batch()
    aug = TaggedRandomSwap(alpha=0.3, seed=0)
    X, y, src = quiet(aug.augment, data, np.arange(6), n_aug=3)
    assert len(X) == len(y) == len(src) and np.array_equal(y, src)
    for (tok, _tags), s in zip(X, src):
        assert sorted(tok) == sorted(data[s][0])
    Xr, yr = quiet(aug.fit_resample, data, np.arange(6))
    assert Xr[:6] == data and len(Xr) == len(yr)
    assert aug.report_.n_inputs == 6


def test_unchanged_outputs_are_reported_and_dropped():
    x = [(["Ann"], ["B-PER"]), (["the", "big", "old", "dog"], ["O", "O", "O", "O"])]
    aug = TaggedRandomSwap(seed=0)  # protect="entities": the one-token mention cannot change
    with pytest.warns(RuntimeWarning, match="identical to their input"):
        X, _, src = aug.augment(x, n_aug=2)
    assert list(src) == [1, 1] and aug.report_.n_unchanged == 2


def test_save_load_of_fitted_augmenters(tmp_path):
    data = tagged_batch()
    for make in (OPS["lwtr"], OPS["mr"]):
        aug = make(seed=4)
        aug.save(tmp_path / "a")
        back = load(tmp_path / "a")
        assert quiet(back, data) == quiet(make(seed=4), data)


def test_registered_and_composable():
    from multiaug import OneOf

    for name in ("label_wise_replacement", "tagged_synonym_replacement", "mention_replacement", "segment_shuffle",
                 "tagged_random_swap", "tagged_random_deletion", "tagged_random_insertion", "tagged_char_noise"):
        assert registry.modality_of(registry.get(name)) == "tagged"
    comp = OneOf([SegmentShuffle(rate=0.8), TaggedRandomSwap(alpha=0.3)], seed=0)
    out = quiet(comp, tagged_batch() * 3)
    check_valid(out, "BIO")


def test_docs_examples_run():
    """The python blocks of docs/text_tagged.md run in order, as one script (those marked
    ``<!-- test_docs: skip (...) -->`` left out, as tests/test_docs.py does)."""
    import pathlib

    from tests.test_docs import blocks

    doc = pathlib.Path(__file__).resolve().parents[2] / "docs" / "text_tagged.md"
    code = "\n".join(c for c, skipped in blocks(doc) if not skipped)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(code, str(doc), "exec"), {"__name__": "__main__", "print": lambda *a, **k: None})


@pytest.mark.parametrize("make", [
    lambda x: TaggedSynonymReplacement(rate=0.3, synonyms={"word": ["term"]}, seed=0),
    lambda x: TaggedRandomInsertion(alpha=0.3, synonyms={"word": ["term"]}, seed=0),
    lambda x: LabelwiseTokenReplacement(rate=0.3, stopwords=["a"], seed=0).fit(x),
])
def test_memory_does_not_grow_with_tokens_times_longest_token(make):
    import tracemalloc

    x = [(["word"] * 10, ["O"] * 10) for _ in range(100)] + [(["x" * 20_000], ["O"])]
    aug = make(x)
    quiet(aug, x[:2])  # tables built outside the measurement
    tracemalloc.start()
    try:
        quiet(aug, x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8e6, peak  # a fixed-width array of the 1001 tokens would take 1001 * 20000 * 4 = 80 MB


def test_blank_synonyms_are_refused_before_they_delete_tokens():
    x = [(["New", "York"], ["B-LOC", "I-LOC"])]
    for make in (lambda: TaggedSynonymReplacement(rate=1, synonyms={"york": [""]}),
                 lambda: TaggedRandomInsertion(alpha=1, protect=None, synonyms={"york": ["  "]})):
        aug = make()
        with pytest.raises(ValueError, match=f"^{type(aug).__name__}: synonyms: the synonyms of 'york' include a blank"):
            aug(x)


def test_io_swaps_never_merge_two_mentions_of_one_type():
    x = [(["Paris", "for", "the", "Rome", "and", "Ann"], ["I-LOC", "O", "O", "I-LOC", "O", "I-PER"])] * 200
    aug = TaggedRandomSwap(alpha=0.3, protect=None, seed=0)
    out = quiet(aug, x)
    check_valid(out, "IO")
    for tok, tags in out:
        assert len(spans_from_tags(tags, "IO")) == 3, (tok, tags)  # Paris and Rome never side by side
    assert sum(o != x[0] for o in out) > 150  # the other swaps are still made
    assert aug.report_.details["mentions_in"] == 600
    # BIO keeps them apart with B-: nothing is undone there
    bio = [(["Paris", "for", "the", "Rome"], ["B-LOC", "O", "O", "B-LOC"])] * 50
    out = quiet(TaggedRandomSwap(alpha=0.5, protect=None, seed=0), bio)
    assert any(abs(t.index("Paris") - t.index("Rome")) == 1 for t, _ in out)
    check_valid(out, "BIO")


def test_sentences_left_alone_by_p_come_back_in_the_same_valid_scheme_as_edited_ones():
    # IOB1 input (I-X after O starts a mention): edited sentences came back IOB2 while the ones p left
    # alone kept their IOB1 tags, so one output batch mixed two schemes and held invalid BIO
    from multiaug.text import SegmentShuffle, TaggedBatch

    data = [(["John", "Smith", "met", "Ann"], ["I-PER", "I-PER", "O", "I-PER"]),
            (["Ann", "Bob", "ran", "x"], ["I-PER", "B-PER", "O", "O"])]
    for seed in range(6):
        out = SegmentShuffle(rate=1.0, p=0.5, seed=seed)(data)
        assert [g for _, g in out] == [["B-PER", "I-PER", "O", "B-PER"], ["B-PER", "B-PER", "O", "O"]]
    assert SegmentShuffle(p=0.0)(data)[0][1] == ["B-PER", "I-PER", "O", "B-PER"]
    # an unclosed BIOES mention is closed; valid input is kept as it is
    assert TaggedBatch([["a", "b", "c"]], [["B-LOC", "I-LOC", "S-PER"]]).tags == [["B-LOC", "E-LOC", "S-PER"]]
    ok = [["B-PER", "I-PER", "O"]]
    assert TaggedBatch([["a", "b", "c"]], ok).tags == ok
