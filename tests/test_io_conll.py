"""CoNLL files and tokens/tags list columns (multiaug.io): reading, streaming, writing, errors."""
from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multiaug import io

CONLL2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER

-DOCSTART- -X- -X- O

BRUSSELS NNP B-NP B-LOC
1996-08-22 CD I-NP O
"""


def _write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_conll2003_keeps_first_and_last_columns_and_documents(tmp_path):
    p = _write(tmp_path, "train.conll", CONLL2003)
    assert io.kind_of(p) == "table"
    df = io.read_table(p)
    assert list(df.columns) == ["tokens", "tags", "document"]
    assert df["tokens"].tolist() == [["EU", "rejects", "German"], ["Peter", "Blackburn"], ["BRUSSELS", "1996-08-22"]]
    assert df["tags"].tolist() == [["B-ORG", "O", "B-MISC"], ["B-PER", "I-PER"], ["B-LOC", "O"]]
    assert df["document"].tolist() == [0, 0, 1]
    assert io.read_conll(p) == (df["tokens"].tolist(), df["tags"].tolist())


def test_streams_in_batches_with_global_index(tmp_path):
    text = "".join(f"w{i} O\nx{i} B-PER\n\n" for i in range(7))
    p = _write(tmp_path, "a.bio", text)
    batches = list(io.iter_table(p, batch_size=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert [b.index[0] for b in batches] == [0, 3, 6]
    assert "document" not in batches[0].columns  # no -DOCSTART- in the file
    assert batches[2]["tokens"].iloc[0] == ["w6", "x6"]


def test_tabs_blank_runs_crlf_and_bom(tmp_path):
    p = tmp_path / "t.iob"
    p.write_bytes("\ufeffNew York\tB-LOC\r\nis\tO\r\n\r\n\r\n   \nok\tO\n".encode("utf-8"))
    tokens, tags = io.read_conll(p)
    assert tokens == [["New York", "is"], ["ok"]]  # tab-separated: a token may hold a space
    assert tags == [["B-LOC", "O"], ["O"]]


def test_bom_before_the_first_docstart_keeps_the_documents(tmp_path):
    """A BOM (Windows editors) before a -DOCSTART- first line: the document boundary is kept."""
    text = "-DOCSTART- O\n\nJohn B-PER\nlives O\n\nMary B-PER\nruns O\n"
    plain = _write(tmp_path, "plain.conll", text)
    bom = tmp_path / "bom.conll"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    df = io.read_table(bom)
    assert list(df.columns) == ["tokens", "tags", "document"]
    assert df.equals(io.read_table(plain))
    out = tmp_path / "out.conll"
    io.write_conll(out, df["tokens"].tolist(), df["tags"].tolist(), df["document"].tolist())
    assert out.read_text().startswith("-DOCSTART- O\n\nJohn B-PER\n")


@pytest.mark.parametrize("text, match", [
    ("EU B-ORG\nrejects\n", r"line 2: expected a token and its tag"),
    ("EU NNP B-ORG\nrejects O\n", r"line 2: expected 3 columns as on line 1"),
    ("", r"has no rows \(no sentences\)"),
    ("\n\n-DOCSTART- O\n\n", r"has no rows"),
])
def test_malformed_files_name_the_line(tmp_path, text, match):
    p = _write(tmp_path, "bad.conll", text)
    with pytest.raises(ValueError, match=match):
        io.read_table(p)


def test_not_utf8_names_the_line(tmp_path):
    p = tmp_path / "bad.conll"
    p.write_bytes(b"EU B-ORG\n\xff\xfe O\n")
    with pytest.raises(ValueError, match="not UTF-8"):
        io.read_table(p)


def test_writer_round_trip_with_documents_and_atomic(tmp_path):
    p = _write(tmp_path, "train.conll", CONLL2003)
    df = io.read_table(p)
    df["source_index"] = range(len(df))  # lineage columns are not written to CoNLL
    out = tmp_path / "out.conll"
    io.write_table(df, out)
    text = out.read_text()
    assert text.count("-DOCSTART- O") == 2
    assert "EU B-ORG\nrejects O\nGerman B-MISC\n\n" in text
    back = io.read_table(out)
    assert back["tokens"].tolist() == df["tokens"].tolist()
    assert back["document"].tolist() == df["document"].tolist()


def test_writer_refuses_invalid_sentences_and_leaves_no_file(tmp_path):
    out = tmp_path / "o.conll"
    bad = [
        (pd.DataFrame({"tokens": [["a", "b"]], "tags": [["O"]]}), "1 tags"),
        (pd.DataFrame({"tokens": [[]], "tags": [[]]}), "no tokens"),
        (pd.DataFrame({"tokens": [[" New York"]], "tags": [["B-LOC"]]}), "whitespace"),
        (pd.DataFrame({"tokens": [["New\tYork"]], "tags": [["B-LOC"]]}), "tab or line break"),
        (pd.DataFrame({"tokens": ["a b"], "tags": [["O"]]}), "expected a list of str"),
        (pd.DataFrame({"words": [["a"]], "tags": [["O"]]}), "needs the columns"),
    ]
    for df, match in bad:
        with pytest.raises(ValueError, match=match):
            io.write_table(df, out)
        assert not out.exists()
        assert not list(tmp_path.iterdir())


def test_write_conll_and_list_columns_in_jsonl_and_parquet(tmp_path):
    tokens = [["Ünïcode", "café"], ["x"]]
    tags = [["B-MISC", "I-MISC"], ["O"]]
    io.write_conll(tmp_path / "a.conll", tokens, tags)
    assert io.read_conll(tmp_path / "a.conll") == (tokens, tags)
    for suffix in (".jsonl", ".parquet"):
        io.write_table(pd.DataFrame({"tokens": tokens, "tags": tags}), tmp_path / f"a{suffix}")
        df = io.read_table(tmp_path / f"a{suffix}")
        assert io.tagged_rows(df) == (tokens, tags)  # parquet cells come back as arrays


def test_tagged_rows_errors_name_row_and_column():
    df = pd.DataFrame({"w": [["a"], ["b", "c"]], "t": [["O"], ["O"]]}, index=[10, 11])
    with pytest.raises(ValueError, match=r"row 11: 2 tokens \(column 'w'\) but 1 tags"):
        io.tagged_rows(df, "w", "t")
    with pytest.raises(ValueError, match=r"--tags-column 'tags' is not in the input"):
        io.tagged_rows(df, "w")
    with pytest.raises(ValueError, match=r"row 10: column 't'\[0\]: expected str"):
        io.tagged_rows(pd.DataFrame({"w": [["a"]], "t": [[1]]}, index=[10]), "w", "t")


def test_conll_input_needs_a_table_output(tmp_path):
    p = _write(tmp_path, "a.conll", "a O\n")
    with pytest.raises(ValueError, match="needs a table output"):
        io.check_output(tmp_path / "a.npy", p)
    io.check_output(tmp_path / "a.jsonl", p)  # conll -> jsonl keeps the lineage columns


_token = st.text(st.characters(blacklist_categories=("Z", "C")), min_size=1, max_size=6)
_tag = st.sampled_from(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(_token, _tag), min_size=1, max_size=6), min_size=1, max_size=6),
       st.integers(1, 4))
def test_round_trip_property(tmp_path_factory, sentences, batch_size):
    d = tmp_path_factory.mktemp("rt")
    tokens = [[t for t, _ in s] for s in sentences]
    tags = [[g for _, g in s] for s in sentences]
    io.write_conll(d / "a.conll", tokens, tags)
    got_tokens, got_tags = [], []
    for df in io.iter_table(d / "a.conll", batch_size=batch_size):
        assert len(df) <= batch_size
        t, g = io.tagged_rows(df)
        got_tokens += t
        got_tags += g
    assert (got_tokens, got_tags) == (tokens, tags)


def test_cli_says_when_middle_conll_columns_are_dropped(tmp_path, capsys):
    # CoNLL-2003's part-of-speech and chunk columns are not written back (not for the originals either):
    # the run says so instead of dropping them silently; a two-column file gets no such warning
    from multiaug.cli import main as cli_main

    def main(args):
        with pytest.raises(SystemExit) as e:
            cli_main(args)
        assert e.value.code == 0

    src = _write(tmp_path, "train.conll", CONLL2003)
    capsys.readouterr()
    main(["augment", str(src), "-o", str(tmp_path / "aug.conll"), "-a", "segment_shuffle", "--seed", "0"])
    err = capsys.readouterr().err
    assert "has 4 columns per token: the output holds the token (first) and the tag (last) only; the 2 middle " \
           "column(s) (e.g. part-of-speech and chunk tags) are dropped" in err
    assert io.conll_columns(src) == 4
    two = _write(tmp_path, "two.conll", "Peter B-PER\nruns O\n")
    main(["augment", str(two), "-o", str(tmp_path / "aug2.conll"), "-a", "segment_shuffle", "--seed", "0"])
    assert "columns per token" not in capsys.readouterr().err
