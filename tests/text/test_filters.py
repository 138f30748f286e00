"""The paraphrase filter: rules, counts, and embedding similarity bounds (tiny random encoder)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.text.filters import ParaphraseFilter, SentenceEmbedder, normalize_text
from tests.text.contract_cases_llm import tiny_masked_lm


def test_rules_and_counts():
    f = ParaphraseFilter(min_length_ratio=0.5, max_length_ratio=2.0)
    src = ["The cat sat on the mat.", "Hello there"]
    cands = [
        ["", "the cat sat on the mat", "A cat was sitting on the mat.", "a cat was sitting on the mat", "cat",
         "The cat sat on the mat and then it went away to sleep for a long long time."],
        ["Hi there!"],
    ]
    kept, rep = f(src, cands)
    assert kept == [["A cat was sitting on the mat."], ["Hi there!"]]
    assert rep.n_candidates == 7 and rep.n_kept == 2 and rep.n_dropped == 5
    assert rep.dropped["empty"] == 1 and rep.dropped["copy"] == 1 and rep.dropped["duplicate"] == 1
    assert rep.dropped["length"] == 2
    assert rep.as_dict()["kept"] == 2


@settings(max_examples=50, deadline=None)
@given(src=st.text(max_size=30), cands=st.lists(st.text(max_size=40), max_size=6))
def test_counts_always_add_up(src, cands):
    kept, rep = ParaphraseFilter(min_length_ratio=0.0, max_length_ratio=100.0)([src], [cands])
    assert rep.n_kept + rep.n_dropped == rep.n_candidates == len(cands)
    assert len({normalize_text(k) for k in kept[0]}) == len(kept[0])
    assert normalize_text(src) not in {normalize_text(k) for k in kept[0]}


def test_bad_bounds():
    with pytest.raises(ValueError, match="min_similarity"):
        ParaphraseFilter(min_similarity=0.9, max_similarity=0.5)
    with pytest.raises(ValueError, match="max_similarity"):
        ParaphraseFilter(max_similarity=2.0)
    with pytest.raises(ValueError, match="min_length_ratio"):
        ParaphraseFilter(min_length_ratio=-1)
    with pytest.raises(ValueError, match="candidates"):
        ParaphraseFilter()(["a"], [])


def test_embedding_similarity_bounds():
    model = tiny_masked_lm()
    emb = SentenceEmbedder.shared(model, "cpu")
    e = emb.encode(["the cat runs", "the dog runs", "the cat runs"])
    assert e.shape[0] == 3 and abs(float(e[0].norm()) - 1) < 1e-5 and float(e[0] @ e[2]) == pytest.approx(1.0, abs=1e-5)
    src = ["the cat runs on the road"]
    cands = [["the dog runs on the road", "a dog runs on the road", "big red house water"]]
    sims = ParaphraseFilter(model).similarities(src, cands)[0]
    lo, hi = sorted(sims)[0], sorted(sims)[-1]
    mid = sorted(sims)[1]
    keep_mid = ParaphraseFilter(model, min_similarity=(lo + mid) / 2, max_similarity=(mid + hi) / 2,
                                min_length_ratio=0.0, max_length_ratio=10.0)
    kept, rep = keep_mid(src, cands)
    assert len(kept[0]) == 1 and rep.dropped["too_dissimilar"] == 1 and rep.dropped["too_similar"] == 1


def test_bad_candidates_are_refused_naming_the_argument():
    f = ParaphraseFilter()
    with pytest.raises(TypeError, match=r"candidates\[0\]: expected a list of candidate strings, got str"):
        f(["The cat sat on the mat."], ["A cat sat on a mat."])  # a str, not [str]
    with pytest.raises(TypeError, match=r"candidates\[0\]: .*NoneType"):
        f(["a b"], [None])
    with pytest.raises(TypeError, match=r"candidates\[0\]\[1\]: expected str, got NoneType"):
        f(["a b"], [["a c", None]])
    with pytest.raises(TypeError, match=r"sources\[0\]: expected str"):
        f([None], [["a c"]])
    with pytest.raises(TypeError, match="sources: expected a list, got str"):
        f("ab", [["a c"], ["b"]])
    kept, _ = f(("The cat sat.",), (("A cat sat.",),))  # tuples are lists of candidates too
    assert kept == [["A cat sat."]]


def test_numbers_are_real_and_finite():
    import numpy as np

    f = ParaphraseFilter(min_similarity=np.float32(0.25), max_similarity=np.float64(0.9), min_length_ratio=np.int64(0))
    assert f.min_similarity == 0.25 and isinstance(f.min_similarity, float)
    for kw in ({"min_length_ratio": float("nan")}, {"max_length_ratio": float("inf")}, {"min_similarity": float("nan")},
               {"max_similarity": True}, {"min_length_ratio": "0.5"}):
        with pytest.raises(ValueError, match=next(iter(kw))):
            ParaphraseFilter(**kw)
