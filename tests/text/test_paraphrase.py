"""Paraphrase: reply parsing, the 1:1 call and augment() contract, reports, cache, endpoint runs
(including a crash mid-run and the resume), filtering, validation and the CLI."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import multiaug
from multiaug.text import Paraphrase
from multiaug.text.backends import GenerationError
from multiaug.text.cache import GenerationCache
from multiaug.text.paraphrase import LIST_PROMPT, SINGLE_PROMPT, parse_reply
from tests.text.contract_cases_llm import PARAPHRASE_TEST_PARAMS, tiny_causal_lm, tiny_masked_lm
from tests.text.test_backends import FakeServer, dead_url

TEXTS = ["the cat runs on the road", "a dog likes food", "the weather is lovely today", "people read a good book"]


def local(**kw):
    return Paraphrase(model=tiny_causal_lm(), **{**PARAPHRASE_TEST_PARAMS, **kw})


def quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


# ---- parsing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("1. First one.\n2) Second one.\n3: Third one.", ["First one.", "Second one.", "Third one."]),
        ("Here are 2 rephrasings:\n- Alpha beta.\n* Gamma delta.\n", ["Alpha beta.", "Gamma delta."]),
        ('["a b", "c d"]', ["a b", "c d"]),
        ('```json\n{"paraphrases": ["x y", "z w"]}\n```', ["x y", "z w"]),
        ('[{"text": "one"}, {"text": "two"}]', ["one", "two"]),
        ('Paraphrase: "The sky is blue."', ["The sky is blue."]),
        ("Sure! Here is the rephrased sentence:\n\nThe dog ate.", ["The dog ate."]),
        ("**1.** Bold item", ["Bold item"]),
        ("The sentence is rephrased to: My neighbour is loved.", ["My neighbour is loved."]),
        ('The text can be rewritten as: "Good day."', ["Good day."]),
        ("The sentence was great.", ["The sentence was great."]),
        ("", []),
        ("\n \n", []),
    ],
)
def test_parse_reply(reply, expected):
    assert parse_reply(reply) == expected


@pytest.mark.parametrize(
    "reply, expected",
    [
        # quotations inside a sentence are not quotes around it
        ('"I am tired," she said, "let us go home."', ['"I am tired," she said, "let us go home."']),
        ("'It's fine.'", ["It's fine."]),
        ("“Hi,” he said, “bye.”", ["“Hi,” he said, “bye.”"]),
        ('"The sky is blue.”', ["The sky is blue."]),
        # a sentence that starts with a number is no list item
        ("1.5 million people live in this city.", ["1.5 million people live in this city."]),
        ("3:30 is when the meeting starts.", ["3:30 is when the meeting starts."]),
        ("20:00 is too late for dinner.", ["20:00 is too late for dinner."]),
        ("-5 degrees is cold.", ["-5 degrees is cold."]),
        # a sentence that starts like a preamble is the answer when it is the whole reply
        ("Here is where the cat likes to sleep.", ["Here is where the cat likes to sleep."]),
        ("Okay, the dog ate all the food.", ["Okay, the dog ate all the food."]),
        ("Sure! Here is a rephrasing: The dog ate.", ["The dog ate."]),
        ("Certainly!\n1. The dog ate.\n2. The dog had food.", ["The dog ate.", "The dog had food."]),
        # reasoning models' thinking is no candidate
        ("<think>\nThe user wants 2.\n- keep meaning\n</think>\n1. The cat sleeps.\n2. The cat naps.",
         ["The cat sleeps.", "The cat naps."]),
        ("Okay, they want a rewrite.\n</think>\n\nThe cat naps.", ["The cat naps."]),  # opening tag was in the prompt
        ("<think>\nHmm, let me think about the", []),  # cut while thinking: no answer
    ],
)
def test_parse_reply_keeps_real_sentences_and_drops_thinking(reply, expected):
    """These used to be corrupted ('I am tired," she said, ...', '5 million people', '30 is when') or
    dropped ('Here is where ...' was taken for a preamble), and <think> lines became candidates."""
    assert parse_reply(reply) == expected


def test_parse_reply_limits_n_and_ignores_non_strings():
    assert parse_reply("1. a\n2. b\n3. c", n=2) == ["a", "b"]
    assert parse_reply(None) == []
    assert parse_reply('{"a": 1}') == ['{"a": 1}']  # JSON without text: kept as a line, left to the filter


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30), max_size=6))
def test_parse_reply_never_crashes_and_returns_clean_strings(items):
    for reply in ("\n".join(f"{i + 1}. {s}" for i, s in enumerate(items)), json.dumps(items), "\n".join(items)):
        out = parse_reply(reply)
        assert all(isinstance(s, str) and s and s == s.strip() for s in out)
        assert len(out) <= max(len(items), 1) + reply.count("\n") + 1


# ---- the 1:1 call -------------------------------------------------------------------------------------


def test_call_is_one_to_one_and_seeded():
    a, b = local(seed=3), local(seed=3)
    out_a, out_b = quiet(a, TEXTS), quiet(b, TEXTS)
    assert isinstance(out_a, list) and len(out_a) == len(TEXTS) and out_a == out_b
    assert quiet(a, TEXTS) != out_a  # the generator advances
    assert a.report_.n_inputs == 4 and a.report_.details["generated"] == 4
    # input types follow
    assert isinstance(quiet(local(seed=1), "the cat runs"), str)
    s = quiet(local(seed=1), pd.Series(TEXTS, index=[10, 11, 12, 13], name="t"))
    assert isinstance(s, pd.Series) and list(s.index) == [10, 11, 12, 13]


def test_call_does_not_touch_global_rng():
    state = torch.get_rng_state()
    quiet(local(seed=0), TEXTS)
    assert torch.equal(state, torch.get_rng_state())


def test_empty_and_overlong_inputs_are_reported_not_crashing():
    aug = local(seed=0, max_input_chars=40)
    texts = ["", "the cat runs", "the cat " * 20, "   "]
    with pytest.warns(RuntimeWarning, match="3 of 4 inputs got no usable paraphrase"):
        out = aug(texts)
    assert out[0] == "" and out[2] == texts[2] and out[3] == "   "  # returned unchanged, and said so
    rep = aug.report_
    assert rep.n_unchanged == 3 and rep.details["unchanged_index"] == [0, 2, 3]
    assert rep.details["failed_items"] == {"empty_input": 2, "too_long": 1}
    with pytest.raises(ValueError, match="on_unchanged='error'"):
        local(seed=0, on_unchanged="error")(["", "the cat"])


def test_p_selects_inputs():
    aug = local(seed=0, p=0.0)
    assert quiet(aug, TEXTS) == TEXTS
    assert aug.report_.n_inputs == 4 and aug.report_.details.get("generated", 0) == 0
    # augment: inputs p did not draw are n_aug copies of themselves, as in every augmenter (contract)
    X, y_aug, src = quiet(local(seed=0, p=0.0).augment, TEXTS, np.arange(4), n_aug=2)
    assert X == [t for t in TEXTS for _ in range(2)] and src.tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert y_aug.tolist() == src.tolist()
    X, _, src = quiet(local(seed=0, p=0.5).augment, TEXTS, None, n_aug=2)
    assert sorted(set(src.tolist())) == [0, 1, 2, 3] and src.tolist() == sorted(src.tolist())


# ---- augment: up to n_aug per input -----------------------------------------------------------------


def test_augment_gives_distinct_paraphrases_with_lineage():
    aug = local(seed=0)
    y = np.array([0, 1, 0, 1])
    X, y_aug, src = quiet(aug.augment, TEXTS, y, n_aug=3)
    assert isinstance(X, list) and len(X) == len(src) == len(y_aug) <= 12
    assert (y_aug == y[src]).all()
    for i in range(4):
        mine = [X[j] for j in np.nonzero(src == i)[0]]
        assert len(mine) <= 3 and len(set(mine)) == len(mine) and TEXTS[i] not in mine
    X2, _, src2 = quiet(local(seed=0).augment, TEXTS, y, n_aug=3)
    assert X2 == X and (src2 == src).all()
    # default n_aug and Series input
    Xs, ys, s = quiet(local(seed=0, n_aug=2).augment, pd.Series(TEXTS), pd.Series(["a", "b", "c", "d"]))
    assert isinstance(Xs, pd.Series) and list(ys) == [["a", "b", "c", "d"][k] for k in s]


def test_augment_drops_failures_and_keep_mode():
    texts = ["the cat runs", ""]
    aug = local(seed=0)
    X, _, src = quiet(aug.augment, texts, n_aug=2)
    # the empty input cannot be paraphrased: it is left out, and said so; the other one is augmented
    assert 1 not in src.tolist() and "" not in X and len(X) == len(src)
    assert 0 in src.tolist() and all(x != texts[0] for x in X)
    assert aug.report_.details["failed_items"] == {"empty_input": 1} and aug.report_.n_dropped >= 1
    keep = local(seed=0, on_unchanged="keep")
    X, _, src = quiet(keep.augment, texts, n_aug=2)
    assert "" in X and 1 in src.tolist() and keep.report_.n_dropped == 0
    assert all(X[k] == "" for k in range(len(X)) if src[k] == 1)
    with pytest.raises(ValueError, match="n_aug"):
        local().augment(texts, n_aug=0)


def test_fit_resample_keeps_originals_first():
    X, y = quiet(local(seed=0, n_aug=2).fit_resample, TEXTS, np.array([1, 0, 1, 0]))
    assert X[:4] == TEXTS and len(X) == len(y) and (np.asarray(y[:4]) == [1, 0, 1, 0]).all()


def test_filter_model_is_applied():
    aug = local(seed=0, filter_model=tiny_masked_lm(), min_similarity=0.9999, max_similarity=1.0)
    with pytest.warns(RuntimeWarning, match="no usable paraphrase"):
        aug(TEXTS)
    d = aug.report_.details
    assert d["dropped"]["too_dissimilar"] >= 1 and d["kept"] + sum(d["dropped"].values()) == d["parsed"]


# ---- cache ---------------------------------------------------------------------------------------------


def test_cache_makes_reruns_free(tmp_path):
    path = str(tmp_path / "gen.sqlite")
    a = local(seed=5, cache=path)
    first = quiet(a, TEXTS)
    assert a.report_.details == {**a.report_.details, "cache_hits": 0, "generated": 4}
    b = local(seed=5, cache=path)
    assert quiet(b, TEXTS) == first and b.report_.details["cache_hits"] == 4 and b.report_.details["generated"] == 0
    with GenerationCache(path) as c:
        assert len(c) == 4


# ---- endpoint ------------------------------------------------------------------------------------------


def endpoint(url, **kw):
    return Paraphrase(base_url=url, model="m", timeout=5.0, max_retries=1, **kw)


def test_endpoint_list_prompt_and_parsing():
    with FakeServer() as srv:
        aug = endpoint(srv.url, seed=0, concurrency=2)
        X, _, src = quiet(aug.augment, TEXTS, n_aug=3)
    assert len(srv.bodies) == 4 and all("n" not in b for b in srv.bodies)  # one request per input
    assert "3 times" in srv.bodies[0]["messages"][-1]["content"]
    assert srv.bodies[0]["messages"][0]["role"] == "system"
    assert sorted(src.tolist()) == [0, 1, 2, 3] and all(x.endswith("v0") for x in X)
    seeds = [b["seed"] for b in srv.bodies]
    with FakeServer() as srv2:
        quiet(endpoint(srv2.url, seed=0, concurrency=2).augment, TEXTS, n_aug=3)
    assert sorted(b["seed"] for b in srv2.bodies) == sorted(seeds)  # seeded from the instance generator


def test_endpoint_that_ignores_n_is_asked_for_the_missing_completions(tmp_path):
    """llama.cpp server answers one choice whatever ``n`` is: augment(n_aug=3) with a prompt without
    {n} used to give one paraphrase per input instead of three, silently."""
    path = str(tmp_path / "gen.sqlite")
    with FakeServer(ignore_n=True) as srv:
        aug = endpoint(srv.url, seed=0, prompt="Rephrase. Sentence: {text}", cache=path, concurrency=1)
        X, _, src = quiet(aug.augment, TEXTS[:2], n_aug=3)
        assert sorted(src.tolist()) == [0, 0, 0, 1, 1, 1] and len(set(X)) == 6
        assert srv.count == 6 and [b.get("n") for b in srv.bodies][:3] == [3, 2, None]
        assert len({b["seed"] for b in srv.bodies}) == 6  # each follow-up with its own seed
        again = endpoint(srv.url, seed=0, prompt="Rephrase. Sentence: {text}", cache=path, concurrency=1)
        assert quiet(again.augment, TEXTS[:2], n_aug=3)[0] == X and srv.count == 6  # cached as one entry


def test_endpoint_reply_cut_by_the_token_limit_loses_its_unfinished_line():
    """A reply with finish_reason 'length' ends in half a sentence, which used to be kept as a paraphrase."""
    cut = "1. The cat is running along the road.\n2. On the road, the cat runs.\n3. The cat hurries down"
    with FakeServer(default=("length", cut)) as srv:
        aug = endpoint(srv.url, seed=0)
        X, _, _ = quiet(aug.augment, TEXTS[:1], n_aug=3)
        assert X == ["The cat is running along the road.", "On the road, the cat runs."]
        srv.default = ("length", "The cat is running along")  # nothing complete: reported, not kept
        aug = endpoint(srv.url, seed=0)
        with pytest.warns(RuntimeWarning, match="'truncated': 1"):
            assert aug(TEXTS[:1]) == TEXTS[:1]
        assert aug.report_.details["failed_items"] == {"truncated": 1}


def test_local_generation_cut_by_max_new_tokens_is_reported_like_an_endpoint_cut_reply(tmp_path):
    """A local generation cut by max_new_tokens (no end token) used to be kept as a paraphrase (half a
    sentence); now it is dropped and reported as the endpoint's cut reply is, and never cached."""
    path = str(tmp_path / "gen.sqlite")
    aug = local(seed=0, max_new_tokens=2, cache=path)  # the tiny model needs 3 tokens to end a sentence
    with pytest.warns(RuntimeWarning, match="4 of 4 inputs got no usable paraphrase.*'truncated': 4"):
        assert aug(TEXTS) == TEXTS
    assert aug.report_.details["failed_items"] == {"truncated": 4} and aug.report_.details["generated"] == 0
    with GenerationCache(path) as c:
        assert len(c) == 0
    again = local(seed=0, cache=path)  # room to end the sentences
    assert quiet(again, TEXTS) != TEXTS and "truncated" not in again.report_.details["failed_items"]


def test_endpoint_crash_mid_run_keeps_completed_work_and_resumes(tmp_path):
    path = str(tmp_path / "gen.sqlite")
    texts = [f"sentence number {i} about cats" for i in range(6)]
    # requests 3.. fail (both attempts): 3 completions are done, the rest fail for good
    with FakeServer({k: 500 for k in range(3, 40)}) as srv:
        with pytest.raises(GenerationError, match="failed"):
            endpoint(srv.url, seed=1, cache=path, concurrency=1).augment(texts, n_aug=1)
        with GenerationCache(path) as c:
            assert len(c) == 3
        srv.script, srv.count = {}, 0  # the server is healthy again
        X, _, src = quiet(endpoint(srv.url, seed=1, cache=path, concurrency=1).augment, texts, n_aug=1)
    assert srv.count == 3 and sorted(src.tolist()) == list(range(6))  # only the missing ones were asked for
    with GenerationCache(path) as c:
        assert len(c) == 6


def test_endpoint_unreachable_skip_mode_reports():
    url = dead_url()
    with pytest.raises(GenerationError, match="cannot reach"):
        endpoint(url, seed=0)(TEXTS[:2])
    aug = endpoint(url, seed=0, on_error="skip")
    with pytest.warns(RuntimeWarning, match="2 of 2"):
        out = aug(TEXTS[:2])
    assert out == TEXTS[:2] and aug.report_.details["failed_items"] == {"backend_error": 2}


def test_endpoint_trickling_server_hits_the_timeout_deadline_and_is_reported():
    """A server writing its reply a byte every 20 ms used to hold each request ~4 s whatever timeout=
    said; the deadline ends it, and on_error='skip' reports it as any timeout."""
    with FakeServer(script={0: ("trickle", "body"), 1: ("trickle", "body")}) as srv:
        aug = Paraphrase(base_url=srv.url, model="m", timeout=0.3, max_retries=1, on_error="skip", seed=0, concurrency=1)
        with pytest.warns(RuntimeWarning, match=r"1 of 2 inputs.*within timeout=0\.3 s"):
            out = aug(TEXTS[:2])
    assert out[0] == TEXTS[0] and out[1] != TEXTS[1]  # the second request was answered at once
    assert aug.report_.details["failed_items"] == {"backend_error": 1}
    assert "no complete reply" in aug.report_.details["backend_error"]


def test_endpoint_skip_keeps_completed_replies_and_reports_only_unfinished(tmp_path):
    path = str(tmp_path / "gen.sqlite")
    texts = ["the cat runs", "a dog eats food", "the bird sings"]
    # one request at a time: request 1 (the dog) fails on both its attempts, 0 and 3 are answered
    with FakeServer({1: 500, 2: 500}) as srv:
        aug = endpoint(srv.url, seed=0, concurrency=1, on_error="skip", cache=path)
        with pytest.warns(RuntimeWarning, match=r"1 of 3 inputs.*'backend_error': 1.*on_error='skip' after: .*HTTP 500"):
            X, _, src = aug.augment(texts, n_aug=2)
    assert sorted(set(src.tolist())) == [0, 2] and all("dog" not in x for x in X)
    d = aug.report_.details
    assert d["failed_items"] == {"backend_error": 1} and d["generated"] == 2 and "HTTP 500" in d["backend_error"]
    with GenerationCache(path) as c:
        assert len(c) == 2  # the completed replies were cached


def test_endpoint_broken_http_reply_is_skipped_with_on_error():
    with FakeServer(default=b"GARBAGE\r\n\r\n") as srv:
        with pytest.raises(GenerationError, match="after 2 attempts: broken HTTP reply"):
            endpoint(srv.url, seed=0)(TEXTS[:1])
        aug = endpoint(srv.url, seed=0, on_error="skip")
        out = quiet(aug, TEXTS[:1])
    assert out == TEXTS[:1] and aug.report_.details["failed_items"] == {"backend_error": 1}


@pytest.mark.parametrize("what", ["empty", "null"])
def test_endpoint_empty_reply_is_reported_and_never_cached(tmp_path, what):
    path = str(tmp_path / "gen.sqlite")
    with FakeServer({0: what}) as srv:
        a = endpoint(srv.url, seed=0, cache=path)
        with pytest.warns(RuntimeWarning, match="'empty_reply': 1"):
            assert a(TEXTS[:1]) == TEXTS[:1]
        assert a.report_.details["failed_items"] == {"empty_reply": 1} and srv.count == 1
        with GenerationCache(path) as c:
            assert len(c) == 0
        b = endpoint(srv.url, seed=0, cache=path)  # the rerun asks again and gets a real reply
        assert quiet(b, TEXTS[:1]) == [TEXTS[0] + " v0"] and srv.count == 2 and b.report_.details["cache_hits"] == 0
        with GenerationCache(path) as c:
            assert len(c) == 1


def test_bad_cache_file_raises_naming_the_cache(tmp_path):
    not_db = tmp_path / "not.sqlite"
    not_db.write_bytes(b"not sqlite" * 100)
    with FakeServer() as srv:
        for bad in (str(not_db), str(tmp_path)):
            with pytest.raises(ValueError, match=r"^Paraphrase: cache=.*" + bad.replace("/", ".")):
                endpoint(srv.url, seed=0, cache=bad)(TEXTS[:1])
        assert srv.count == 0


def test_unreadable_cache_entry_is_regenerated_with_a_warning(tmp_path):
    import sqlite3

    path = str(tmp_path / "gen.sqlite")
    with FakeServer() as srv:
        first = quiet(endpoint(srv.url, seed=0, cache=path), TEXTS[:1])
        con = sqlite3.connect(path)
        con.execute("UPDATE generations SET value = '{bad'")
        con.commit()
        con.close()
        aug = endpoint(srv.url, seed=0, cache=path)
        with pytest.warns(RuntimeWarning, match="Paraphrase: cache=.*1 entry is not a JSON list of strings"):
            assert aug(TEXTS[:1]) == first
        assert srv.count == 2 and aug.report_.details["generated"] == 1
        again = endpoint(srv.url, seed=0, cache=path)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert again(TEXTS[:1]) == first  # overwritten: a clean hit now
        assert srv.count == 2 and again.report_.details["cache_hits"] == 1


def test_endpoint_garbage_content_is_reported_per_item():
    with FakeServer() as srv:
        aug = endpoint(srv.url, seed=0, prompt="{text}")  # the echo server returns '1. <text> v0'
        out = quiet(aug, ["abc"])
    assert out == ["abc v0"]


# ---- validation, config, CLI ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kw, match",
    [
        ({"backend": "vllm"}, "backend"),
        ({"backend": "openai"}, "base_url"),
        ({"base_url": "localhost:8000"}, "base_url"),
        ({"prompt": "no placeholder"}, "prompt"),
        ({"prompt": "{text} {other}"}, "prompt"),
        ({"temperature": -1}, "temperature"),
        ({"top_p": 0}, "top_p"),
        ({"max_new_tokens": 0}, "max_new_tokens"),
        ({"dtype": "int8"}, "dtype"),
        ({"on_error": "ignore"}, "on_error"),
        ({"min_similarity": 0.9, "max_similarity": 0.1}, "min_similarity"),
        ({"max_retries": -1}, "max_retries"),
    ],
)
def test_bad_params_raise(kw, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Paraphrase(model="x", **kw).fit(["a sentence"])  # checked at fit / first use, not in __init__


def test_model_required_for_local_backend():
    with pytest.raises(ValueError, match="model is None"):
        Paraphrase(seed=0)(["the cat"])


def test_default_prompts():
    assert Paraphrase(model="x")._template() == SINGLE_PROMPT
    assert Paraphrase(base_url="http://127.0.0.1:1/v1")._template() == LIST_PROMPT
    msgs = Paraphrase(model="x", system_prompt="")._messages("hi", 2)
    assert msgs == [{"role": "user", "content": SINGLE_PROMPT.format(text="hi", n=2)}]


def test_config_round_trip_keeps_no_secret(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-appear")
    aug = endpoint("http://127.0.0.1:1/v1", seed=0)
    cfg = aug.to_config()
    assert "sk-should-not-appear" not in json.dumps(cfg) and "sk-should-not-appear" not in repr(aug)
    assert multiaug.from_config(cfg).to_config() == cfg


def test_cli_augment_csv(tmp_path):
    from multiaug.cli import main

    src = tmp_path / "in.csv"
    pd.DataFrame({"text": TEXTS, "label": [0, 1, 0, 1]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    args = ["augment", str(src), "-o", str(out), "--augmenter", "paraphrase", "--param", f"model={tiny_causal_lm()}",
            "--param", "max_new_tokens=6", "--param", "min_length_ratio=0.0", "--param", "max_length_ratio=100.0",
            "--column", "text", "--label-column", "label", "--seed", "0", "-n", "2"]
    with pytest.raises(SystemExit) as ex:
        quiet(main, args)
    assert ex.value.code in (0, None)
    df = pd.read_csv(out)
    assert len(df) > 4 and list(df["text"][:4]) == TEXTS
