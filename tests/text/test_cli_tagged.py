"""`multiaug augment` on tagged sentences: CoNLL files and jsonl/parquet rows with token and tag lists."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from multiaug import io
from multiaug.text.tagged import is_valid
from tests.test_cli import run, run_inproc
from tests.test_cli_errors import no_leftovers, one_error_line

SENTENCES = [
    (["John", "Smith", "lives", "in", "New", "York", "."], ["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"]),
    (["Mary", "works", "for", "Acme", "Corp", "in", "Paris", "."], ["B-PER", "O", "O", "B-ORG", "I-ORG", "O", "B-LOC", "O"]),
    (["The", "weather", "in", "Berlin", "is", "fine", "."], ["O", "O", "O", "B-LOC", "O", "O", "O"]),
    (["Peter", "Pan", "met", "Anna", "at", "Globex", "."], ["B-PER", "I-PER", "O", "B-PER", "O", "B-ORG", "O"]),
    (["Nothing", "to", "see", "here", "."], ["O", "O", "O", "O", "O"]),
    (["Rome", "and", "Madrid", "are", "cities", "."], ["B-LOC", "O", "B-LOC", "O", "O", "O"]),
]


def conll_text(sentences, docstart=True) -> str:
    body = "\n".join("".join(f"{t} {g}\n" for t, g in zip(toks, tags)) for toks, tags in sentences)
    return ("-DOCSTART- -X- -X- O\n\n" if docstart else "") + body


@pytest.fixture
def conll(tmp_path):
    p = tmp_path / "train.conll"
    p.write_text(conll_text(SENTENCES))
    return p


def check_valid(tokens, tags):
    for toks, tgs in zip(tokens, tags):
        assert len(toks) == len(tgs) and toks
        assert is_valid(tgs, "BIO"), tgs


@pytest.mark.parametrize("augmenter", ["mention_replacement", "label_wise_replacement", "segment_shuffle"])
def test_conll_round_trip(tmp_path, conll, augmenter, capsys):
    out = tmp_path / "aug.conll"
    p = run_inproc("augment", conll, "-o", out, "-a", augmenter, "--n-aug", "2", "--seed", "0", capsys=capsys)
    assert p.returncode == 0, p.stderr
    tokens, tags = io.read_conll(out)
    check_valid(tokens, tags)
    n = len(SENTENCES)
    assert [list(zip(a, b)) for a, b in zip(tokens[:n], tags[:n])] == [list(zip(*s)) for s in SENTENCES]  # originals first
    assert n < len(tokens) <= 3 * n  # up to 2 copies each (unchanged copies are left out)
    assert out.read_text().startswith("-DOCSTART- O\n\n")
    assert f"{n} input rows" in p.stderr
    # mention replacement keeps the types of the mentions of each copy
    if augmenter == "mention_replacement":
        for tgs in tags[n:]:
            assert sorted(t[2:] for t in tgs if t.startswith("B-")) in (
                sorted(t[2:] for t in s[1] if t.startswith("B-")) for s in SENTENCES)


def test_originals_are_written_in_the_scheme_of_the_augmented_rows(tmp_path, capsys):
    # IOB1 (a mention may start with I-): the augmenter returns BIO, so the originals written beside
    # them are rewritten in BIO too (one file, one scheme); sentences valid already stay as read
    inp = tmp_path / "iob1.conll"
    inp.write_text("John I-PER\nSmith I-PER\nBob B-PER\nmet O\nthe O\nAnn I-PER\n\nHe O\nsaw O\nRome B-LOC\n")
    out = tmp_path / "out.conll"
    p = run_inproc("augment", inp, "-o", out, "-a", "segment_shuffle", "--n-aug", "2", "--seed", "1", capsys=capsys)
    assert p.returncode == 0, p.stderr
    tokens, tags = io.read_conll(out)
    check_valid(tokens, tags)
    assert tags[0] == ["B-PER", "I-PER", "B-PER", "O", "O", "B-PER"] and tags[1] == ["O", "O", "B-LOC"]
    assert tokens[0] == ["John", "Smith", "Bob", "met", "the", "Ann"]


def test_conll_run_is_reproducible_and_exclude_original(tmp_path, conll, capsys):
    a, b, c = tmp_path / "a.bio", tmp_path / "b.bio", tmp_path / "c.bio"
    for o in (a, b):
        assert run_inproc("augment", conll, "-o", o, "-a", "mention_replacement", "-n", "2", "--seed", "3",
                          capsys=capsys).returncode == 0
    assert a.read_text() == b.read_text()
    assert run_inproc("augment", conll, "-o", c, "-a", "mention_replacement", "-n", "2", "--seed", "3",
                      "--exclude-original", capsys=capsys).returncode == 0
    assert io.read_conll(c)[0] == io.read_conll(a)[0][len(SENTENCES):]


def test_jsonl_with_named_columns_keeps_lineage_and_other_columns(tmp_path, capsys):
    src = tmp_path / "train.jsonl"
    src.write_text("".join(json.dumps({"id": i, "words": t, "ner": g}) + "\n" for i, (t, g) in enumerate(SENTENCES)))
    out = tmp_path / "aug.jsonl"
    p = run_inproc("augment", src, "-o", out, "-a", "mention_replacement", "-n", "2", "--seed", "0",
                   "--tokens-column", "words", "--tags-column", "ner", capsys=capsys)
    assert p.returncode == 0, p.stderr
    df = pd.read_json(out, lines=True)
    assert list(df.columns) == ["id", "words", "ner", "source_index", "is_augmented"]
    orig = df[~df["is_augmented"]]
    assert orig["words"].tolist() == [t for t, _ in SENTENCES] and orig["id"].tolist() == list(range(len(SENTENCES)))
    aug = df[df["is_augmented"]]
    assert len(aug) > 0 and (aug["id"] == aug["source_index"]).all()
    check_valid(df["words"].tolist(), df["ner"].tolist())


def test_parquet_and_conll_to_jsonl(tmp_path, conll, capsys):
    pq_in = tmp_path / "train.parquet"
    io.write_table(pd.DataFrame({"tokens": [t for t, _ in SENTENCES], "tags": [g for _, g in SENTENCES]}), pq_in)
    pq_out = tmp_path / "aug.parquet"
    assert run_inproc("augment", pq_in, "-o", pq_out, "-a", "segment_shuffle", "-n", "1", "--seed", "0",
                      capsys=capsys).returncode == 0
    tokens, tags = io.tagged_rows(io.read_table(pq_out))
    check_valid(tokens, tags)
    js = tmp_path / "from_conll.jsonl"
    assert run_inproc("augment", conll, "-o", js, "-a", "mention_replacement", "-n", "1", "--seed", "0",
                      capsys=capsys).returncode == 0
    df = pd.read_json(js, lines=True)
    assert {"tokens", "tags", "document", "source_index", "is_augmented"} <= set(df.columns)


def test_real_command_on_conll(tmp_path, conll):
    out = tmp_path / "aug.conll"
    run("augment", conll, "-o", out, "-a", "mention_replacement", "--n-aug", "2", "--seed", "0")
    check_valid(*io.read_conll(out))


@pytest.mark.parametrize("name, content, args, needles", [
    ("bad.conll", "John B-PER\nSmith\n", [], ["line 2", "expected a token and its tag"]),
    ("bad.conll", "John NNP B-PER\nSmith I-PER\n", [], ["line 2", "expected 3 columns"]),
    ("bad.conll", "John X-PER\n", [], ["X-PER"]),
    ("bad.conll", "\n\n", [], ["no rows"]),
    ("bad.jsonl", '{"tokens": ["a", "b"], "tags": ["O"]}\n', [], ["row 0", "2 tokens", "1 tags"]),
    ("bad.jsonl", '{"words": ["a"], "tags": ["O"]}\n', [], ["--tokens-column 'tokens' is not in the input"]),
    ("bad.csv", "tokens,tags\na,O\n", [], ["row 0", "expected a list of str"]),
    ("ok.conll", "a O\n", ["--tokens-column", "w"], ["--tokens-column and --tags-column are for jsonl/parquet"]),
    ("ok.conll", "a O\n", ["--engine", "ray"], ["--engine local"]),
    ("ok.conll", "a O\n", ["--column", "text"], ["--column is for text augmenters"]),
])
def test_bad_files_and_options_give_one_line(tmp_path, capsys, name, content, args, needles):
    src = tmp_path / name
    src.write_text(content)
    # (tagged data is never written to csv: a csv input is checked with a jsonl output)
    out = tmp_path / ("out" + (".jsonl" if src.suffix == ".csv" else src.suffix))
    p = run_inproc("augment", src, "-o", out, "-a", "segment_shuffle", *args, capsys=capsys)
    one_error_line(p, *needles)
    no_leftovers(tmp_path, name)


def test_wrong_augmenter_or_output_kind(tmp_path, conll, capsys):
    p = run_inproc("augment", conll, "-o", tmp_path / "o.conll", "-a", "random_swap", capsys=capsys)
    one_error_line(p, "holds tagged sentences", "--modality tagged")
    p = run_inproc("augment", conll, "-o", tmp_path / "o.npy", "-a", "segment_shuffle", capsys=capsys)
    one_error_line(p, "needs a table output")
    txt = tmp_path / "t.jsonl"
    txt.write_text('{"text": "a b"}\n')
    p = run_inproc("augment", txt, "-o", tmp_path / "o.jsonl", "-a", "random_swap", "--column", "text",
                   "--tags-column", "t", capsys=capsys)
    one_error_line(p, "are for tagged augmenters")
    no_leftovers(tmp_path, "train.conll", "t.jsonl")


def test_preview_of_tagged_sentences(tmp_path, conll, capsys):
    """`multiaug preview` on a CoNLL file and on jsonl with named token/tag columns; errors in one line."""
    out = tmp_path / "p.html"
    r = run_inproc("preview", conll, "-a", "mention_replacement", "-p", "rate=1.0", "--n", "4", "-o", out,
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    page = out.read_text(encoding="utf-8")
    assert page.count("<tr><td") == 4 and 'class="ma-mention"' in page
    jl = tmp_path / "s.jsonl"
    jl.write_text("".join(json.dumps({"words": t, "ner": g}) + "\n" for t, g in SENTENCES))
    r = run_inproc("preview", jl, "-a", "tagged_random_swap", "--tokens-column", "words", "--tags-column", "ner",
                   "-o", tmp_path / "j.html", capsys=capsys)
    assert r.returncode == 0, r.stderr
    r = run_inproc("preview", jl, "-a", "tagged_random_swap", "-o", tmp_path / "k.html", capsys=capsys)
    one_error_line(r, "--tokens-column 'tokens' is not in")
    r = run_inproc("preview", conll, "-a", "eda", "-o", tmp_path / "k.html", capsys=capsys)
    one_error_line(r, "tagged (CoNLL) data")
    assert not (tmp_path / "k.html").exists()


def test_per_token_list_columns_are_said_to_pass_through_unedited(tmp_path, capsys):
    # a jsonl row's part-of-speech list is copied to the augmented row as it was, so it no longer matches the
    # moved tokens: the run says so (it was silent); a list column of another length (one per sentence) is not named
    rows = [{"tokens": t, "tags": g, "pos": ["X"] * len(t), "refs": ["a"], "id": i} for i, (t, g) in enumerate(SENTENCES)]
    src = tmp_path / "t.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    r = run_inproc("augment", src, "-o", tmp_path / "o.jsonl", "-a", "tagged_random_swap", "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert "column(s) ['pos'] hold one entry per token in every row of the first batch: they are copied from the " \
           "source sentence" in r.stderr
    assert "'refs'" not in r.stderr and "'id'" not in r.stderr
    rows2 = [{k: v for k, v in row.items() if k != "pos"} for row in rows]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows2), encoding="utf-8")
    r = run_inproc("augment", src, "-o", tmp_path / "o2.jsonl", "-a", "tagged_random_swap", "--seed", "0", capsys=capsys)
    assert r.returncode == 0 and "hold one entry per token" not in r.stderr
