"""Paraphrase with protected spans: entities become placeholders before generation and come back
after; candidates that lost, repeated or invented a placeholder are rejected and counted."""
from __future__ import annotations

import re
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug.text import Paraphrase
from multiaug.text.backends import Backend
from multiaug.text.paraphrase import PROTECT_NOTE, mask_spans, restore_placeholders
from multiaug.text.spans import check_spans
from tests.text.contract_cases_llm import PARAPHRASE_TEST_PARAMS, tiny_causal_lm
from tests.text.test_backends import FakeServer

TEXT = "Barack Obama visited Paris on Monday"
SPANS = [(0, 12, "PER"), (21, 26, "LOC")]


class ScriptBackend(Backend):
    """Replies ``reply(masked_sentence, k)`` for the k-th completion of each request."""

    kind = "script"

    def __init__(self, reply):
        self.reply = reply
        self.requests = []

    def identity(self):
        return {"kind": "script"}

    def generate(self, requests, settings, on_result=None):
        out = []
        for j, r in enumerate(requests):
            self.requests.append(r)
            masked = r.messages[-1]["content"].split("Sentence:")[-1].strip()
            res = [self.reply(masked, k) for k in range(r.n)]
            if on_result is not None:
                on_result(j, res)
            out.append(res)
        return out


class Scripted(Paraphrase):
    def get_backend(self):
        return self.script_backend


def scripted(reply, **kw):
    aug = Scripted(model="scripted", seed=0, **kw)
    aug.script_backend = ScriptBackend(reply)
    return aug


def quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def test_mask_and_restore_recompute_offsets():
    masked, ents = mask_spans(TEXT, SPANS)
    assert masked == "<E0> visited <E1> on Monday"
    assert ents == [("Barack Obama", "PER"), ("Paris", "LOC")]
    text, spans = restore_placeholders("On Monday, <E1> got a visit from <E0>.", ents)
    assert text == "On Monday, Paris got a visit from Barack Obama."
    assert spans == [(11, 16, "LOC"), (34, 46, "PER")]
    assert [text[a:b] for a, b, _ in spans] == ["Paris", "Barack Obama"]
    assert restore_placeholders("<E0> went there", ents) == "placeholder_lost"
    assert restore_placeholders("<E0> met <E0> in <E1>", ents) == "placeholder_duplicated"
    assert restore_placeholders("<E0> in <E1> and <E2>", ents) == "placeholder_unknown"


def test_entities_never_reach_the_model_and_come_back():
    aug = scripted(lambda m, k: re.sub(r"(<E0>) visited (<E1>)", r"In \2, \1 was seen", m))
    X, S, _, src = aug.augment_spans([TEXT], [SPANS], n_aug=1)
    assert X == ["In Paris, Barack Obama was seen on Monday"] and src.tolist() == [0]
    assert S == [[(3, 8, "LOC"), (10, 22, "PER")]]
    content = aug.script_backend.requests[0].messages[-1]["content"]
    assert "Obama" not in content and "Paris" not in content
    assert content.startswith(PROTECT_NOTE.format(names="<E0>, <E1>"))


def test_rejections_are_counted_in_the_report():
    replies = ["<E0> went there on Monday", "<E0> and <E0> saw <E1>", "<E0> saw <E1> and <E2>", "<E1> welcomed <E0> on Monday"]
    aug = scripted(lambda m, k: replies[k])
    X, S, _, src = quiet(aug.augment_spans, [TEXT], [SPANS], n_aug=4)
    assert X == ["Paris welcomed Barack Obama on Monday"] and S == [[(0, 5, "LOC"), (15, 27, "PER")]]
    dropped = aug.report_.details["dropped"]
    assert dropped["placeholder_lost"] == 1 and dropped["placeholder_duplicated"] == 1
    assert dropped["placeholder_unknown"] == 1


def test_input_left_without_candidates_is_handled_as_other_failures():
    aug = scripted(lambda m, k: "Obama visited the city")  # the model wrote the entity out: lost
    with pytest.warns(RuntimeWarning, match="placeholder_lost"):
        X, S, _, src = aug.augment_spans([TEXT, "a plain sentence"], [SPANS, []], n_aug=1)
    assert src.tolist() == [1] and X == ["Obama visited the city"] and S == [[]]  # no spans: nothing to lose
    assert aug.report_.details["unchanged_index"] == [0]
    # the 1:1 call returns the input unchanged, entities intact
    assert quiet(scripted(lambda m, k: "nothing left"), [TEXT], spans=[SPANS]) == [TEXT]
    keep = scripted(lambda m, k: "nothing left", on_unchanged="keep")
    _, S2, _, _ = quiet(keep.augment_spans, [TEXT], [SPANS], n_aug=1)
    assert S2 == [SPANS]


def test_input_that_already_holds_a_placeholder_is_not_sent():
    aug = scripted(lambda m, k: m + " again")
    X, _, _, src = quiet(aug.augment_spans, ["see <E3> now", TEXT], [[], SPANS], n_aug=1)
    assert src.tolist() == [1] and aug.report_.details["failed_items"] == {"placeholder_in_input": 1}
    assert len(aug.script_backend.requests) == 1


@pytest.mark.parametrize("spans, match", [
    ([[(0, 12, "PER"), (5, 20, "LOC")]], r"overlap"),
    ([[(0, 99, "PER")]], r"x\[0\] spans\[0\]: expected 0 <= start < end"),
    ([[(3, 3, "PER")]], r"x\[0\] spans\[0\]"),
    ([[("0", 3, "PER")]], r"x\[0\] spans\[0\]"),
    ([[(0, 3)]], r"x\[0\] spans\[0\]: expected a \(start, end, label\)"),
    ([[], []], r"one list of \(start, end, label\) spans per text \(1 texts\), got 2"),
])
def test_bad_spans_raise_naming_the_span(spans, match):
    with pytest.raises((ValueError, TypeError), match=match):
        scripted(lambda m, k: m).augment([TEXT], spans=spans)


@pytest.mark.parametrize("bad", ["{i}", "E{i}", "< E{i} >", "<E{i}{i}>", "<E>"])
def test_bad_placeholder_raises(bad):
    with pytest.raises(ValueError, match="placeholder"):
        scripted(lambda m, k: m, placeholder=bad).augment([TEXT], spans=[SPANS])


def test_custom_placeholder_and_sample_apply_replay():
    aug = scripted(lambda m, k: m.replace("visited", "went to"), placeholder="[[{i}]]")
    params = aug.sample([TEXT, "plain text here"], spans=[SPANS, []])
    assert params["spans"] == [SPANS, []]
    out1 = quiet(aug.apply, [TEXT, "plain text here"], params)
    out2 = quiet(aug.apply, [TEXT, "plain text here"], params)
    assert list(out1) == list(out2) == ["Barack Obama went to Paris on Monday", "plain text here"]
    assert "[[0]]" in aug.script_backend.requests[0].messages[-1]["content"]


def test_unicode_offsets_are_code_points():
    text = "Zoë Ångström flew to 北京 with 🙂 José"
    spans = check_spans(text, [(0, 12, "PER"), (21, 23, "LOC"), (31, 35, "PER")])
    assert [text[a:b] for a, b, _ in spans] == ["Zoë Ångström", "北京", "José"]
    aug = scripted(lambda m, k: "Mit " + m.replace("flew to", "→"))
    X, S, _, _ = aug.augment_spans([text], [spans], n_aug=1)
    assert X == ["Mit Zoë Ångström → 北京 with 🙂 José"]
    assert [X[0][a:b] for a, b, _ in S[0]] == ["Zoë Ångström", "北京", "José"]


def _shuffle_reply(masked, k):
    words = masked.split()
    return " ".join(words[k:] + words[:k] + ["now"])  # rotated words keep every placeholder once


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(blacklist_categories=("Z", "C"), blacklist_characters="<>"), min_size=1,
                                  max_size=5), st.booleans()), min_size=1, max_size=8))
def test_entity_text_intact_property(words):
    text, spans = "", []
    for w, is_ent in words:
        if text:
            text += " "
        if is_ent:
            spans.append((len(text), len(text) + len(w), "ENT"))
        text += w
    aug = scripted(_shuffle_reply, min_length_ratio=0.0, max_length_ratio=100.0)
    X, S, _, src = quiet(aug.augment_spans, [text], [spans], n_aug=2)
    for x, s in zip(X, S):
        assert sorted(x[a:b] for a, b, _ in s) == sorted(text[a:b] for a, b, _ in spans)
        assert all(lab == "ENT" for _, _, lab in s)


def test_endpoint_echo_server_keeps_entities():
    with FakeServer() as srv:
        aug = Paraphrase(base_url=srv.url, model="m", timeout=5.0, max_retries=1, seed=0)
        X, S, _, _ = quiet(aug.augment_spans, [TEXT], [SPANS], n_aug=2)
    assert X == [TEXT + " v0"] and S == [SPANS]
    assert "Obama" not in srv.bodies[0]["messages"][-1]["content"]


def test_tiny_local_model_outputs_are_checked_not_trusted():
    aug = Paraphrase(model=tiny_causal_lm(), **{**PARAPHRASE_TEST_PARAMS, "seed": 0})
    X, S, _, src = quiet(aug.augment_spans, [TEXT, "the cat runs on the road"], [SPANS, []], n_aug=2)
    d = aug.report_.details
    # a random tiny model never writes '<E0>' (not in its vocabulary): every candidate of the first input is rejected
    assert 0 not in src.tolist()
    assert sum(d["dropped"][r] for r in ("placeholder_lost", "placeholder_duplicated", "placeholder_unknown")) >= 1
    assert all(s == [] for s in S)


def test_augment_tagged_gives_mentions_their_own_tokens_back():
    from multiaug.text.tagged import is_valid

    tokens = [["U.S.", "envoy", "John", "Smith", "met", "Acme", "Corp", "."], ["nothing", "here"]]
    tags = [["B-LOC", "O", "B-PER", "I-PER", "O", "B-ORG", "I-ORG", "O"], ["O", "O"]]
    aug = scripted(lambda m, k: m.replace("envoy <E1> met <E2>", "talks: <E2> hosted the envoy, <E1>"))
    X, _, src = quiet(aug.augment_tagged, list(zip(tokens, tags)), n_aug=1)
    assert src.tolist() == [0]  # the second sentence came back as it was: no usable paraphrase
    toks, tgs = X[0]
    assert toks == ["U.S.", "talks", ":", "Acme", "Corp", "hosted", "the", "envoy", ",", "John", "Smith", "."]
    assert tgs == ["B-LOC", "O", "O", "B-ORG", "I-ORG", "O", "O", "O", "O", "B-PER", "I-PER", "O"]
    assert is_valid(tgs, "BIO")
    # BIOES and the dict form come back as they went in
    bioes = {"tokens": [tokens[0]], "tags": [["S-LOC", "O", "B-PER", "E-PER", "O", "B-ORG", "E-ORG", "O"]]}
    out, _, _ = aug.augment_tagged(bioes, n_aug=1)
    assert set(out) == {"tokens", "tags"} and out["tags"][0][-3:] == ["B-PER", "E-PER", "O"]
    assert "John" not in aug.script_backend.requests[-1].messages[-1]["content"]


def test_span_with_edge_whitespace_restored_at_an_end_of_the_reply():
    # the span of "Paris " holds its trailing space; restored at the end of the reply, the filter strips
    # the candidate: the returned spans must still point inside the kept text, at the entity
    aug = scripted(lambda masked, k: "<E0> now resides in <E1>")
    texts, spans, _, src = quiet(aug.augment_spans, ["Ann lives in Paris "], [[(0, 3, "PER"), (13, 19, "LOC")]], n_aug=1)
    assert texts == ["Ann now resides in Paris"] and src.tolist() == [0]
    assert spans == [[(0, 3, "PER"), (19, 24, "LOC")]]
    aug = scripted(lambda masked, k: "<E0> is where Ann lives")
    texts, spans, _, _ = quiet(aug.augment_spans, ["Ann lives in  Paris"], [[(12, 19, "LOC")]], n_aug=1)
    assert texts == ["Paris is where Ann lives"] and spans == [[(0, 5, "LOC")]]


def test_augment_tagged_on_span_data_keeps_the_texts_as_written():
    # span data given to augment_tagged came back re-joined from tokens: the model's "On Monday, Paris"
    # became "On Monday , Paris" (and the prompt held the input re-joined the same way)
    aug = scripted(lambda masked, k: "On Monday, <E1> was visited by <E0>.", n_aug=1)
    text = "Barack Obama visited  Paris, on Monday"
    out, y_aug, src = quiet(aug.augment_tagged, [(text, [(0, 12, "PER"), (22, 27, "LOC")])], [7])
    assert out == [("On Monday, Paris was visited by Barack Obama.", [(11, 16, "LOC"), (32, 44, "PER")])]
    assert list(y_aug) == [7] and src.tolist() == [0]
    assert "<E0> visited  <E1>, on Monday" in aug.script_backend.requests[0].messages[-1]["content"]
