"""Messy input files through `multiaug augment`: duplicated header names, csv separated by something
other than commas, files that are not UTF-8, nested cells written to csv, timestamps written to jsonl.
Each bad input ends in one ``multiaug: error:`` line (exit code 2) naming the file and the problem."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from multiaug import io

from .test_cli import run_inproc
from .test_cli_errors import no_leftovers, one_error_line

SWAP = ("-a", "random_swap", "--column", "text", "--seed", "0")


def test_csv_duplicate_header_names_are_an_error(tmp_path, capsys):
    inp = tmp_path / "d.csv"
    inp.write_text("text,text,label\na b c d,e f g h,pos\nx y z w,q r s t,neg\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", *SWAP, capsys=capsys)
    line = one_error_line(proc, repr(str(inp)), "['text']", "more than once")
    assert "text.1" not in line
    no_leftovers(tmp_path, "d.csv")
    # empty names (a pandas index column) are no duplicates: still read
    ok = tmp_path / "i.csv"
    ok.write_text(",text\n0,a b c d\n1,x y z w\n")
    assert len(io.read_table(ok, text_columns=["text"])) == 2


def test_parquet_duplicate_column_names_are_one_line_not_a_traceback(tmp_path, capsys):
    inp = tmp_path / "d.parquet"
    pq.write_table(
        pa.table([pa.array(["a b c d", "e f g h"]), pa.array(["x y z w", "q r s t"])], names=["text", "text"]), inp
    )
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.parquet", *SWAP, capsys=capsys)
    one_error_line(proc, repr(str(inp)), "['text']", "more than once")
    no_leftovers(tmp_path, "d.parquet")


@pytest.mark.parametrize("sep,name", [(";", "';'"), ("\t", "tabs"), ("|", "'|'")])
def test_csv_with_another_separator_says_so(tmp_path, capsys, sep, name):
    inp = tmp_path / "s.csv"
    inp.write_text(f"text{sep}label\nhello world this is good{sep}pos\nbad thing here today{sep}neg\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", *SWAP, capsys=capsys)
    one_error_line(proc, repr(str(inp)), f"separated by {name}", "comma-separated")
    no_leftovers(tmp_path, "s.csv")


def test_one_column_csv_holding_semicolons_in_its_text_is_read(tmp_path):
    inp = tmp_path / "one.csv"
    inp.write_text("text\nhello; world\nplain\n")
    assert io.read_table(inp, text_columns=["text"])["text"].tolist() == ["hello; world", "plain"]


def test_csv_not_utf8_names_the_line(tmp_path, capsys):
    inp = tmp_path / "latin.csv"
    rows = b"".join(b"row number %d here,neg\n" % i for i in range(3000))
    inp.write_bytes(b"text,label\nok fine good day,pos\n" + rows + b"caf\xe9 au lait,pos\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", *SWAP, capsys=capsys)
    one_error_line(proc, repr(str(inp)), "line 3003", "not UTF-8", "save the file as UTF-8")
    no_leftovers(tmp_path, "latin.csv")


def test_nested_cells_are_written_to_csv_as_json(tmp_path, capsys):
    src = tmp_path / "n.jsonl"
    src.write_text(
        '{"text": "hello world this is good", "meta": {"a": [1, 2], "b": "x"}, "tags": ["p", "q"]}\n'
        '{"text": "bad thing here today", "meta": null, "tags": []}\n'
    )
    pqf = tmp_path / "n.parquet"
    pd.DataFrame({"text": ["hello world this is good", "bad thing here today"], "lst": [[1, 2], [3]]}).to_parquet(pqf)
    for inp, col, want in (
        (src, "meta", [{"a": [1, 2], "b": "x"}, None]),
        (src, "tags", [["p", "q"], []]),
        (pqf, "lst", [[1, 2], [3]]),
    ):
        out = tmp_path / "o.csv"
        proc = run_inproc("augment", inp, "-o", out, *SWAP, "--overwrite", capsys=capsys)
        assert proc.returncode == 0, proc.stderr
        df = pd.read_csv(out, keep_default_na=False)
        got = [json.loads(v) if v else None for v in df[col]]
        assert got[:2] == want  # the originals
        assert got[2:] == want  # their augmented copies carry the same cells


def test_timestamps_are_written_to_jsonl_as_iso_text(tmp_path, capsys):
    inp = tmp_path / "t.parquet"
    pd.DataFrame(
        {
            "text": ["hello world this is good", "bad thing here today"],
            "ts": pd.to_datetime(["2020-01-01 10:00:00.123456", None]).tz_localize("Europe/Paris"),
            "d": pd.to_datetime(["2021-03-04", "2022-01-01"]),
        }
    ).to_parquet(inp)
    out = tmp_path / "o.jsonl"
    proc = run_inproc("augment", inp, "-o", out, *SWAP, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[0]["ts"] == "2020-01-01T10:00:00.123456+01:00"  # not epoch milliseconds: precision and zone kept
    assert rows[1]["ts"] is None
    assert rows[0]["d"] == "2021-03-04T00:00:00"
    assert pd.Timestamp(rows[0]["ts"]) == pd.Timestamp("2020-01-01 10:00:00.123456", tz="Europe/Paris")


def test_saved_pyg_batch_is_refused_with_a_way_forward(tmp_path, capsys):
    import torch
    from torch_geometric.data import Batch, Data

    gs = [Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0, 1], [1, 2]])) for _ in range(2)]
    inp = tmp_path / "b.pt"
    torch.save(Batch.from_data_list(gs), inp)
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.pt", "-a", "edge_drop", capsys=capsys)
    one_error_line(proc, "a PyG Batch is pickled: save batch.to_data_list() instead")
    assert "weights_only=False" not in proc.stderr
    torch.save(Batch.from_data_list(gs).to_data_list(), inp)  # what the message advises is read
    assert len(io.read_graphs(inp)) == 2


def test_unnamed_index_column_is_passed_through_not_a_feature(tmp_path, capsys):
    # DataFrame.to_csv() writes its index under an empty header field (pandas reads it as "Unnamed: 0"):
    # noising it, or mixing rows by it, would treat row numbers as data
    inp = tmp_path / "i.csv"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [2.0, 3.0, 1.0, 0.5], "y": [0, 1, 0, 1]}).to_csv(inp)
    out = tmp_path / "o.csv"
    proc = run_inproc("augment", inp, "-o", out, "-a", "gaussian_noise", "--label-column", "y", "--seed", "0",
                      capsys=capsys)
    assert proc.returncode == 0
    assert "['Unnamed: 0'] hold a DataFrame index" in proc.stderr and "--columns" in proc.stderr
    assert out.read_text().splitlines()[0] == ",a,b,y,source_index,is_augmented"  # the empty name written back
    res = pd.read_csv(out)
    aug = res[res["is_augmented"]]
    assert aug["Unnamed: 0"].tolist() == aug["source_index"].tolist()  # passed through as read
    assert not (aug["a"] == res.loc[~res["is_augmented"], "a"].to_numpy()).all()  # the features were noised
    # named with --columns, it is a feature like any other
    proc = run_inproc("augment", inp, "-o", tmp_path / "o2.csv", "-a", "gaussian_noise", "--columns", "Unnamed: 0,a",
                      "--seed", "0", capsys=capsys)
    assert proc.returncode == 0 and "no name" not in proc.stderr


@pytest.mark.parametrize("layout", ["save", "collate_pair", "single"])
def test_pyg_in_memory_dataset_file_is_read_graph_by_graph(tmp_path, capsys, layout):
    """A PyG dataset's ``processed/data.pt`` (``InMemoryDataset.save``: ``(data dict, slices, Data)``;
    older PyG: ``(Data, slices)``) holds every graph collated into one: it was a confusing error
    ("item 2 is a ABCMeta") or, for the older pair, silently two wrong graphs (the collated whole and
    its slices). It is separated into its graphs, as the dataset does."""
    import torch
    from torch_geometric.data import Data, InMemoryDataset

    gs = [Data(x=torch.randn(k, 2), edge_index=torch.tensor([[0, 1], [1, k - 1]]), y=torch.tensor([k % 2]))
          for k in (3, 4, 5)]
    if layout == "single":
        gs = gs[:1]
    inp = tmp_path / "data.pt"
    if layout == "collate_pair":
        torch.save(InMemoryDataset.collate(gs), inp)
    else:
        InMemoryDataset.save(gs, str(inp))
    read = io.read_graphs(inp)
    assert len(read) == len(gs)
    for a, b in zip(read, gs):
        assert sorted(a.keys()) == sorted(b.keys())
        assert all(torch.equal(a[k], b[k]) for k in b.keys())
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.pt", "-a", "edge_drop", "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert len(io.read_graphs(tmp_path / "o.pt")) == 2 * len(gs)


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_parquet_nested_integers_pass_through_as_integers(tmp_path, capsys, suffix):
    """Integers inside parquet list/struct cells next to a null were read as floats (pyarrow's
    pandas conversion): ``list<int64>`` came back ``list<double>``, ids past 2**53 rounded, and a
    struct child null in every row came back of type null."""
    big = 2**60 + 1
    t = pa.table({"text": ["the quick brown fox jumps", "a lazy dog sleeps here now"],
                  "ids": pa.array([[big, None], [3]], pa.list_(pa.int64())),
                  "st": pa.array([{"a": big, "b": None}, None], pa.struct([("a", pa.int64()), ("b", pa.int64())]))})
    inp, out = tmp_path / "in.parquet", tmp_path / f"out{suffix}"
    pq.write_table(t, inp)
    proc = run_inproc("augment", inp, "-o", out, *SWAP, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    if suffix == ".parquet":
        o = pq.read_table(out)
        assert o.schema.field("ids").type == t.schema.field("ids").type
        assert o.schema.field("st").type == t.schema.field("st").type
        rows = o.to_pylist()
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    for r in rows:
        assert r["ids"] == t.column("ids").to_pylist()[r["source_index"]]
        assert r["st"] == t.column("st").to_pylist()[r["source_index"]]


def test_unreadable_array_and_graph_files_say_what_they_hold(tmp_path, capsys):
    """An object .npy said "Array can't be memory-mapped: Python objects in dtype."; a .pt holding a
    model's state_dict (or any dict without edge_index) was read as a graph and failed later with
    "data: the graph has no nodes", naming no file; "a array input"."""
    import collections

    import numpy as np
    import torch

    np.save(tmp_path / "obj.npy", np.array([[1, 2]], dtype=object), allow_pickle=True)
    proc = run_inproc("augment", tmp_path / "obj.npy", "-o", tmp_path / "o.npy", "-a", "jitter", capsys=capsys)
    one_error_line(proc, "obj.npy' holds Python objects (pickled); only numeric arrays are read")
    torch.save(collections.OrderedDict([("lin.weight", torch.zeros(2, 2))]), tmp_path / "sd.pt")
    proc = run_inproc("augment", tmp_path / "sd.pt", "-o", tmp_path / "o.pt", "-a", "edge_drop", capsys=capsys)
    one_error_line(proc, "sd.pt': item 0 is a dict of 'lin.weight' with no 'edge_index'", "a model's state_dict?")
    np.savez(tmp_path / "s.npz", x=np.zeros((2, 1, 4), "float32"))
    proc = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o.csv", "-a", "jitter", capsys=capsys)
    one_error_line(proc, "an array input (.npz) needs an array output, got '.csv' (expected .npy, .npz)")
    no_leftovers(tmp_path, "obj.npy", "sd.pt", "s.npz")


def test_compressed_files_other_than_csv_and_jsonl_are_refused_with_the_way_forward(tmp_path, capsys):
    """``data.parquet.gz`` was "unsupported file type '.gz'"; csv and jsonl compressed with gzip, bz2 or
    xz are read and written (tests/test_io_files.py), any other compressed file is named, with the
    command that decompresses it."""
    import gzip

    (tmp_path / "d.csv").write_text("text,label\nthe quick brown fox jumps,a\n")
    pd.read_csv(tmp_path / "d.csv").to_parquet(tmp_path / "d.parquet")
    with gzip.open(tmp_path / "d.parquet.gz", "wb") as fh:
        fh.write((tmp_path / "d.parquet").read_bytes())
    proc = run_inproc("augment", tmp_path / "d.parquet.gz", "-o", tmp_path / "o.parquet", *SWAP, capsys=capsys)
    one_error_line(proc, "a compressed .parquet file (.gz)", "gunzip -k d.parquet.gz")
    (tmp_path / "d.csv.zst").write_bytes(b"(\xb5/\xfd")
    proc = run_inproc("augment", tmp_path / "d.csv.zst", "-o", tmp_path / "o.csv", *SWAP, capsys=capsys)
    one_error_line(proc, "a compressed .csv file (.zst)", "unzstd d.csv.zst", "recompress it as .gz, .bz2 or .xz")
    proc = run_inproc("augment", tmp_path / "d.csv", "-o", tmp_path / "o.jsonl.zst", *SWAP, capsys=capsys)
    one_error_line(proc, "output", "a compressed .jsonl file (.zst)", "name it 'o.jsonl.gz' (or .bz2, .xz)")
    proc = run_inproc("augment", tmp_path / "d.csv", "-o", tmp_path / "o.parquet.gz", *SWAP, capsys=capsys)
    one_error_line(proc, "output", "a compressed .parquet file (.gz)", "write 'o.parquet' and compress it afterwards")
    proc = run_inproc("augment", tmp_path / "d.csv", "-o", tmp_path / "o.gz", *SWAP, capsys=capsys)
    one_error_line(proc, "output", "unsupported file type '.gz'")
    no_leftovers(tmp_path, "d.csv", "d.parquet", "d.parquet.gz", "d.csv.zst")


def test_csv_quote_never_closed_names_the_line(tmp_path, capsys):
    """pandas said "Error tokenizing data. C error: EOF inside string starting at row 3" (a record
    count, not the line, and nothing about quotes)."""
    inp = tmp_path / "q.csv"
    inp.write_text('text,label\n"the ""quick"" fox",a\nfine row here,b\n"unterminated quote here,b\nmore,c\n')
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", *SWAP, capsys=capsys)
    one_error_line(proc, "q.csv', line 4: a quoted field (\") is never closed")
    no_leftovers(tmp_path, "q.csv")


@pytest.mark.parametrize("header, option, hint", [
    (" text , label", ("--column", "text"), "(did you mean ' text '?)"),
    ("Text,label", ("--column", "text"), "(did you mean 'Text'?)"),
    ("text,label", ("--label-column", "lable"), "(did you mean 'label'?)"),
])
def test_a_column_option_close_to_a_column_suggests_it(tmp_path, capsys, header, option, hint):
    inp = tmp_path / "d.csv"
    inp.write_text(f"{header}\nthe quick brown fox jumps,a\nthe lazy dog sleeps today,b\n")
    args = ["-a", "random_swap", "--seed", "0", *option] + ([] if option[0] == "--column" else ["--column", "text"])
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", *args, capsys=capsys)
    one_error_line(proc, f"{option[0]} {option[1]!r} is not in the input {hint}; columns are")


def test_parquet_named_range_index_is_not_dropped_silently(tmp_path, capsys):
    """``DataFrame.to_parquet`` keeps a named RangeIndex as metadata, not as a column: it vanished from
    the output without a word. An index kept as a column passes through as any column."""
    df = pd.DataFrame({"text": ["the quick brown fox jumps", "a lazy dog sleeps here", "hello there my old friend"]})
    df.rename_axis("doc_id").to_parquet(tmp_path / "r.parquet")
    proc = run_inproc("augment", tmp_path / "r.parquet", "-o", tmp_path / "r.jsonl", *SWAP, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert "multiaug: warning: input" in proc.stderr and "its pandas index 'doc_id'" in proc.stderr
    df.set_index(pd.Index([7, 3, 9], name="doc_id")).to_parquet(tmp_path / "c.parquet")  # no range: a column
    proc = run_inproc("augment", tmp_path / "c.parquet", "-o", tmp_path / "c.jsonl", *SWAP, capsys=capsys)
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    rows = [json.loads(line) for line in (tmp_path / "c.jsonl").read_text().splitlines()]
    assert [r["doc_id"] for r in rows] == [7, 3, 9, 7, 3, 9]
