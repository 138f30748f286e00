"""multiaug.io on awkward files: no rows, text cells that look missing, output modes, parquet type
drift across batches, pickled .pt files."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from multiaug import io

MISSING_LOOKING = ["NA", "null", "None", "", "nan", "N/A", "NaN"]


# ---- no rows ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,content,match", [
    ("h.csv", "text,label\n", r"has no rows \(only a header\)"),
    ("e.csv", "", r"is empty \(no header and no rows\)"),
    ("e.jsonl", "", r"has no rows \(the file is empty\)"),
])
def test_no_rows_is_a_value_error(tmp_path, name, content, match):
    p = tmp_path / name
    p.write_text(content)
    for text_columns in (None, ["text"]):
        with pytest.raises(ValueError, match=match):
            list(io.iter_table(p, 4, text_columns=text_columns))
        with pytest.raises(ValueError, match=match):
            io.read_table(p, text_columns=text_columns)


def test_parquet_without_rows(tmp_path):
    p = tmp_path / "z.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string())}), p)
    with pytest.raises(ValueError, match=r"has no rows \(columns but no rows\)"):
        list(io.iter_table(p))


# ---- text columns ------------------------------------------------------------------------------------


def test_csv_text_columns_keep_missing_looking_cells(tmp_path):
    p = tmp_path / "t.csv"
    lines = ["text,num,other"] + [f"{t},{i},{t}" for i, t in enumerate(MISSING_LOOKING)] + ["007,7,x", "plain,,y"]
    p.write_text("\n".join(lines) + "\n")
    for batch in (3, 100):
        df = pd.concat(list(io.iter_table(p, batch, text_columns=["text"])))
        assert df["text"].tolist() == MISSING_LOOKING + ["007", "plain"]
        assert all(isinstance(v, str) for v in df["text"])
        # other columns keep pandas' missing values
        assert df["num"].isna().tolist() == [False] * 8 + [True]
        assert df["num"].dtype.kind == "f"
        assert df["other"].isna().tolist() == [True, True, True, True, True, True, True, False, False]
    # without text_columns: pandas' usual reading
    plain = io.read_table(p)
    assert plain["text"].isna().sum() == len(MISSING_LOOKING)
    assert io.read_table(p, text_columns=["text", "not_there"])["text"].tolist()[:3] == ["NA", "null", "None"]


def test_jsonl_text_columns(tmp_path):
    p = tmp_path / "t.jsonl"
    values = MISSING_LOOKING + [None, 12, 1.5, "2020-01-01"]
    p.write_text("".join(json.dumps({"text": v, "date": v if isinstance(v, str) else "x", "n": i}) + "\n"
                         for i, v in enumerate(values)))
    df = io.read_table(p, text_columns=["text", "date"])
    assert df["text"].tolist() == MISSING_LOOKING + ["", "12", "1.5", "2020-01-01"]  # a JSON null reads as ""
    assert df["date"].tolist() == MISSING_LOOKING + ["x", "x", "x", "2020-01-01"]  # not parsed as a date
    assert df["n"].tolist() == list(range(len(values)))
    chunks = list(io.iter_table(p, 4, text_columns="text"))
    assert [len(c) for c in chunks] == [4, 4, 3] and chunks[2]["text"].tolist() == ["12", "1.5", "2020-01-01"]


def test_parquet_text_columns(tmp_path):
    p = tmp_path / "t.parquet"
    pq.write_table(pa.table({"text": pa.array(MISSING_LOOKING + [None]), "num": pa.array([1, 2, None, 4, 5, 6, 7, 8]),
                             "v": pa.array([0.5] * 7 + [None])}), p)
    df = io.read_table(p, text_columns=["text", "num"])
    assert df["text"].tolist() == MISSING_LOOKING + [""]
    assert df["num"].tolist() == ["1", "2", "", "4", "5", "6", "7", "8"]
    assert df["v"].isna().tolist() == [False] * 7 + [True]
    assert pd.concat(list(io.iter_table(p, 3, text_columns=["text"])))["text"].tolist() == MISSING_LOOKING + [""]


# ---- output modes ------------------------------------------------------------------------------------


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_new_outputs_get_the_umask_mode(tmp_path, umask022):
    assert io.current_umask() == 0o022
    io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.csv")
    io.write_array(tmp_path / "a.npy", np.zeros(3))
    with io.atomic_output(tmp_path / "raw.bin") as tmp:
        tmp.write_bytes(b"x")
    for name in ("t.csv", "a.npy", "raw.bin"):
        assert _mode(tmp_path / name) == 0o644, name
    os.umask(0o077)
    io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "private.parquet")
    assert _mode(tmp_path / "private.parquet") == 0o600


def test_replaced_output_keeps_its_mode(tmp_path, umask022):
    target = tmp_path / "t.csv"
    target.write_text("old")
    os.chmod(target, 0o640)
    io.write_table(pd.DataFrame({"a": [1]}), target)
    assert _mode(target) == 0o640 and target.read_text().startswith("a")


def test_cli_output_mode(tmp_path, umask022, capsys):
    from .test_cli import EXAMPLES, run_inproc

    proc = run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", tmp_path / "o.csv", "-a", "gaussian_noise", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert _mode(tmp_path / "o.csv") == 0o644


# ---- parquet writer across batches --------------------------------------------------------------------


def _write(path: Path, *frames: pd.DataFrame) -> None:
    with io.TableWriter(path) as w:
        for f in frames:
            w.write(f)


def test_writer_promotes_int_to_float(tmp_path):
    p = tmp_path / "w.parquet"
    _write(p, pd.DataFrame({"k": [1, 2], "s": ["a", "b"]}), pd.DataFrame({"k": [3.0, np.nan], "s": ["c", "d"]}),
           pd.DataFrame({"k": [4.5, 5.0], "s": ["e", "f"]}))
    t = pq.read_table(p)
    assert t.schema.field("k").type == pa.float64()
    assert t.column("k").to_pylist() == [1.0, 2.0, 3.0, None, 4.5, 5.0]
    assert t.column("s").to_pylist() == list("abcdef")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["w.parquet"]


def test_writer_keeps_int_when_a_gap_is_all_it_gets(tmp_path):
    p = tmp_path / "w.parquet"
    _write(p, pd.DataFrame({"k": [1, 2]}), pd.DataFrame({"k": [np.nan, 4.0]}))
    t = pq.read_table(p)
    assert t.schema.field("k").type == pa.int64() and t.column("k").to_pylist() == [1, 2, None, 4]


def test_writer_fills_an_empty_column_with_later_text(tmp_path):
    p = tmp_path / "w.parquet"
    _write(p, pd.DataFrame({"e": [np.nan, np.nan], "v": [1, 2]}), pd.DataFrame({"e": [None, None], "v": [3, 4]}),
           pd.DataFrame({"e": ["x", None], "v": [5, 6]}), pd.DataFrame({"e": [np.nan, np.nan], "v": [7, 8]}))
    t = pq.read_table(p)
    assert t.column("e").to_pylist() == [None] * 4 + ["x"] + [None] * 3
    assert t.column("v").to_pylist() == list(range(1, 9))


def test_writer_reorders_columns_and_refuses_conflicts(tmp_path):
    p = tmp_path / "w.parquet"
    _write(p, pd.DataFrame({"a": [1], "b": ["x"]}), pd.DataFrame({"b": ["y"], "a": [2]}))
    assert pq.read_table(p).to_pylist() == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    with pytest.raises(ValueError, match=r"output column 'a': batch 2 \(output rows 1-1\) holds .*string.* earlier batches held int64"):
        _write(tmp_path / "bad.parquet", pd.DataFrame({"a": [1]}), pd.DataFrame({"a": ["one"]}))
    with pytest.raises(ValueError, match=r"batch 2 .*: column 'c' is not in the earlier batches \(columns \['a'\]\)"):
        _write(tmp_path / "bad2.parquet", pd.DataFrame({"a": [1]}), pd.DataFrame({"c": [1]}))


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_writer_aligns_batches_to_the_first_batch_columns(tmp_path, suffix):
    """Keys in another order are written under their own names; a column a later batch lacks is empty."""
    p = tmp_path / f"w{suffix}"
    _write(p, pd.DataFrame({"t": ["a"], "l": ["x"]}), pd.DataFrame({"l": ["y"], "t": ["b"]}), pd.DataFrame({"t": ["c"]}))
    if suffix == ".csv":
        assert p.read_text() == "t,l\na,x\nb,y\nc,\n"
    elif suffix == ".parquet":
        assert pq.read_table(p).to_pylist() == [{"t": "a", "l": "x"}, {"t": "b", "l": "y"}, {"t": "c", "l": None}]
    else:
        assert [json.loads(x) for x in p.read_text().splitlines()] == [{"t": "a", "l": "x"}, {"t": "b", "l": "y"},
                                                                        {"t": "c", "l": None}]


def test_writer_refuses_a_later_csv_column_and_appends_a_jsonl_one(tmp_path):
    with pytest.raises(ValueError, match=r"column 'n' is not in the earlier batches"):
        _write(tmp_path / "w.csv", pd.DataFrame({"t": ["a"]}), pd.DataFrame({"n": [1], "t": ["b"]}))
    p = tmp_path / "w.jsonl"
    _write(p, pd.DataFrame({"t": ["a"]}), pd.DataFrame({"n": [1], "t": ["b"]}))
    assert [json.loads(x) for x in p.read_text().splitlines()] == [{"t": "a"}, {"t": "b", "n": 1}]


def test_csv_extra_field_in_the_first_row_is_an_error(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text("text,label\nhello, world,a\nok,b\n")
    with pytest.raises(ValueError, match=r"line 2: 3 fields but the header has 2"):
        io.read_table(p)


def test_passthrough_columns_are_read_as_in_the_file(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text("id,n,t\n007,10,NA\n010,,x\n")
    df = io.read_table(p, text_columns=["t"], typed_columns=[])
    assert df["id"].tolist() == ["007", "010"] and df["t"].tolist() == ["NA", "x"]
    assert df["n"].tolist()[0] == "10" and pd.isna(df["n"].tolist()[1])
    assert io.read_table(p)["id"].tolist() == [7, 10]  # typed by default
    j = tmp_path / "in.jsonl"
    j.write_text('{"id": "007", "d": "2020-01-01", "k": 1}\n{"id": "010", "d": "2021-01-01", "k": null}\n')
    df = io.read_table(j, typed_columns=[])
    assert df["id"].tolist() == ["007", "010"] and df["d"].tolist() == ["2020-01-01", "2021-01-01"]
    assert df["k"].tolist() == [1, None]


def test_conll_writer_uses_a_tab_for_tokens_with_spaces(tmp_path):
    p = tmp_path / "o.conll"
    io.write_conll(p, [["New York", "is"]], [["B-LOC", "O"]])
    assert p.read_text() == "New York\tB-LOC\nis O\n\n"
    assert io.read_conll(p) == ([["New York", "is"]], [["B-LOC", "O"]])
    with pytest.raises(ValueError, match="tab or line break"):
        io.write_conll(tmp_path / "bad.conll", [["a\tb"]], [["O"]])


# ---- graphs -------------------------------------------------------------------------------------------


class Gadget:
    pass


def test_pickled_pt_message_is_safe(tmp_path):
    p = tmp_path / "evil.pt"
    torch.save({"x": Gadget()}, p)
    with pytest.raises(ValueError) as info:
        io.read_graphs(p)
    msg = str(info.value)
    assert "weights_only=True" in msg and "arbitrary code" in msg and "multiaug.io.write_graphs" in msg
    assert "Gadget" in msg and "weights_only=False" not in msg and "\n" not in msg


def test_graphs_with_different_attributes(tmp_path):
    p = tmp_path / "g.pt"
    torch.save([{"x": torch.zeros(2, 1), "edge_index": torch.zeros(2, 0, dtype=torch.long)},
                {"edge_index": torch.zeros(2, 0, dtype=torch.long)}], p)
    with pytest.raises(ValueError, match="graph 1 has attributes"):
        io.read_graphs(p)


def test_weighted_and_unweighted_graphs_share_a_file(tmp_path, capsys):
    """Originals beside SchurView outputs: the unweighted ones get weight 1 per edge, so the file
    reads back and batches (and the CLI's own output can be augmented again)."""
    from torch_geometric.data import Batch, Data

    from .test_cli import EXAMPLES, run_inproc

    ei = torch.tensor([[0, 1], [1, 0]])
    p = tmp_path / "g.pt"
    io.write_graphs(p, [Data(x=torch.ones(2, 1), edge_index=ei),
                        Data(x=torch.ones(2, 1), edge_index=ei, edge_weight=torch.tensor([0.5, 0.5]))])
    gs = io.read_graphs(p)
    assert torch.equal(gs[0].edge_weight, torch.ones(2)) and torch.equal(gs[1].edge_weight, torch.tensor([0.5, 0.5]))
    assert Batch.from_data_list(gs).num_graphs == 2
    out1, out2 = tmp_path / "a.pt", tmp_path / "b.pt"
    for src, dst in ((EXAMPLES / "graphs.pt", out1), (out1, out2)):
        proc = run_inproc("augment", src, "-o", dst, "-a", "schur_view", "--param", "fraction=0.5", "--seed", "0",
                          capsys=capsys)
        assert proc.returncode == 0, proc.stderr
    assert all("edge_weight" in g for g in io.read_graphs(out1))
    assert len(io.read_graphs(out2)) == 2 * len(io.read_graphs(out1))


# ---- jsonl: values written exactly, text cells that are no text ------------------------------------------

EXACT_ROWS = [
    {"text": "Café “quoted” / é 😀", "score": 0.123456789012345, "lat": 48.856614, "tiny": 5e-324, "big": 1.7976931348623157e308,
     "n": 2**53 + 1, "huge": 2**70, "flag": True, "none": None, "meta": {"w": 1.00000000001, "l": [0.1, 2, None, {"x": -0.0}]}},
    {"text": "line\nbreak\t\"q\" \\ \u0001", "score": -2.5e-17, "lat": 51.50735094, "tiny": 0.1, "big": 1e22,
     "n": -7, "huge": 0, "flag": False, "none": None, "meta": {"w": 2}},
]


@pytest.mark.parametrize("batch_size", [1, 1024])
def test_jsonl_round_trip_is_exact(tmp_path, batch_size):
    """pandas' writer rounded floats to 10 significant digits; each value now reads back as written:
    floats exactly (shortest repr), integers as integers, null, nested objects, text unescaped."""
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in EXACT_ROWS), encoding="utf-8")
    with io.atomic_output(dst) as tmp, io.TableWriter(tmp, fmt=".jsonl") as w:
        for df in io.iter_table(src, batch_size, text_columns=["text"], typed_columns=[]):
            w.write(df)
    text = dst.read_text(encoding="utf-8")
    got = [json.loads(line) for line in text.splitlines()]
    assert got == EXACT_ROWS
    assert [type(r["n"]) for r in got] == [int, int] and type(got[0]["meta"]["l"][1]) is int
    assert "0.123456789012345" in text and "1.00000000001" in text and "-0.0" in text
    assert "Café “quoted” / é 😀" in text and "\\u" not in text.replace("\\u0001", "")  # non-ASCII as it is


def test_jsonl_writer_numbers_missing_values_and_numpy_cells(tmp_path):
    df = pd.DataFrame({
        "f": [0.1 + 0.2, np.nan, np.inf], "f32": np.array([0.1, 1e-8, np.nan], dtype="float32"),
        "i": pd.array([1, None, 2**62], dtype="Int64"), "b": pd.array([True, None, False], dtype="boolean"),
        "o": [np.array([0.5, np.nan]), {"k": np.int64(3), "f": np.float32(0.1)}, pd.NA],
        "s": pd.Series(["x", None, "z"], dtype="string"),
    })
    p = tmp_path / "o.jsonl"
    io.write_table(df, p)
    got = [json.loads(line) for line in p.read_text().splitlines()]
    assert [r["f"] for r in got] == [0.30000000000000004, None, None]  # NaN and infinity: null, as pandas wrote them
    assert [r["f32"] for r in got] == [0.1, 1e-8, None]  # a float32 as the shortest text of its value
    assert [r["i"] for r in got] == [1, None, 2**62] and [r["b"] for r in got] == [True, None, False]
    assert [r["o"] for r in got] == [[0.5, None], {"k": 3, "f": 0.1}, None]
    assert [r["s"] for r in got] == ["x", None, "z"]
    io.write_table(pd.DataFrame({"d": [{(1, 2): 3}]}), tmp_path / "k.jsonl")  # keys JSON cannot have: as pandas
    assert json.loads((tmp_path / "k.jsonl").read_text()) == {"d": {"(1, 2)": 3}}
    with pytest.raises(ValueError, match=r"column\(s\) \['a'\] appear more than once"):
        io.write_table(pd.DataFrame([[1, 2]], columns=["a", "a"]), tmp_path / "d.jsonl")
    assert not (tmp_path / "d.jsonl").exists()


@pytest.mark.parametrize("cell, kind", [(["the", "movie"], "a JSON array"), ({"title": "great film"}, "a JSON object"),
                                        (True, "a JSON boolean")])
def test_jsonl_text_cell_that_is_no_text_names_its_line(tmp_path, cell, kind):
    p = tmp_path / "in.jsonl"
    p.write_text('{"text": "fine text here", "n": 1}\n\n' + json.dumps({"text": cell, "n": 2}) + "\n")
    with pytest.raises(ValueError, match=rf"line 3 \(row 1\): column 'text' holds {kind} .*; expected text"):
        io.read_table(p, text_columns=["text"])
    assert io.read_table(p)["text"].tolist()[1] == cell  # not a text column: passes through as read


def test_jsonl_text_cell_numbers_and_null_become_text(tmp_path):
    p = tmp_path / "in.jsonl"
    p.write_text('{"text": 12}\n{"text": 1.5}\n{"text": null}\n{}\n')
    assert io.read_table(p, text_columns=["text"])["text"].tolist() == ["12", "1.5", "", ""]


def test_csv_extra_field_after_a_quoted_multiline_field_names_the_physical_line(tmp_path):
    p = tmp_path / "in.csv"
    p.write_text('text,label\n"first review,\nspread over\nthree lines",1\nsecond review,0\nbad,row,extra\n')
    with pytest.raises(ValueError, match=r"line 6: 3 fields but the header has 2"):
        io.read_table(p)


# ---- compressed csv and jsonl -------------------------------------------------------------------------


def _compress(src: Path, suffix: str) -> Path:
    import bz2
    import gzip
    import lzma

    opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
    dst = src.with_name(src.name + suffix)
    with opener(dst, "wb") as fh:
        fh.write(src.read_bytes())
    return dst


@pytest.mark.parametrize("comp", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("fmt", [".csv", ".jsonl"])
def test_compressed_tables_read_batch_by_batch_as_plain_ones(tmp_path, fmt, comp):
    # data.csv.gz was refused ("decompress it first")
    df = pd.DataFrame({"text": ["a b", "NA", "", "c d e", "f"] * 3, "id": ["007", "1", "2", "3", ""] * 3,
                       "x": [1.5, None, 2.0, 3.25, 4.0] * 3})
    plain = tmp_path / f"d{fmt}"
    io.write_table(df, plain)
    packed = _compress(plain, comp)
    assert io.kind_of(packed) == "table" and io.split_suffix(packed) == (fmt, comp)
    kw = dict(batch_size=4, text_columns=["text"], typed_columns=["x"])
    want, got = list(io.iter_table(plain, **kw)), list(io.iter_table(packed, **kw))
    assert [len(b) for b in got] == [4, 4, 4, 3]
    for a, b in zip(want, got):
        pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("comp", [".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("fmt", [".csv", ".jsonl"])
def test_compressed_outputs_hold_what_plain_ones_do(tmp_path, fmt, comp):
    df = pd.DataFrame({"text": ["a b", "c"], "n": [1, 2]})
    io.write_table(df, tmp_path / f"o{fmt}")
    io.write_table(df, tmp_path / f"o{fmt}{comp}")
    with io.open_binary(tmp_path / f"o{fmt}{comp}") as fh:
        assert fh.read() == (tmp_path / f"o{fmt}").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"o{fmt}", f"o{fmt}{comp}"])  # no temporary left


def test_gzip_output_is_the_same_bytes_every_time(tmp_path):
    # no file name (the temporary one) and no time in the gzip header
    df = pd.DataFrame({"text": ["a b", "c"]})
    io.write_table(df, tmp_path / "a.csv.gz")
    io.write_table(df, tmp_path / "b.csv.gz")
    data = (tmp_path / "a.csv.gz").read_bytes()
    assert data == (tmp_path / "b.csv.gz").read_bytes() and data[3] == 0 and data[4:8] == b"\0\0\0\0"


def test_an_empty_compressed_output_is_a_valid_stream(tmp_path):
    with io.atomic_output(tmp_path / "e.jsonl.gz") as tmp, io.TableWriter(tmp, fmt=".gz"):
        pass
    with io.open_text(tmp_path / "e.jsonl.gz") as fh:
        assert fh.read() == ""


def test_compressed_csv_errors_name_the_line(tmp_path):
    import gzip

    with gzip.open(tmp_path / "bad.csv.gz", "wt") as fh:
        fh.write('text,label\n"a\nb",x\nc,y,z\n')
    with pytest.raises(ValueError, match=r"bad.csv.gz', line 4: 3 fields but the header has 2 columns"):
        list(io.iter_table(tmp_path / "bad.csv.gz", text_columns=["text"]))
    with gzip.open(tmp_path / "bad.jsonl.gz", "wt") as fh:
        fh.write('{"text": "a"}\n\n[1]\n')
    with pytest.raises(ValueError, match=r"bad.jsonl.gz', line 3: expected a JSON object"):
        list(io.iter_table(tmp_path / "bad.jsonl.gz"))
    with gzip.open(tmp_path / "latin.csv.gz", "wb") as fh:
        fh.write(b"text\nok\ncaf\xe9\n")
    with pytest.raises(ValueError, match=r"latin.csv.gz', line 3: not UTF-8 text"):
        list(io.iter_table(tmp_path / "latin.csv.gz"))


def test_cli_augments_a_compressed_table_as_its_plain_copy(tmp_path, capsys):
    from .test_cli import run_inproc

    df = pd.DataFrame({"text": ["the quick brown fox jumps", "over the lazy dog again", "one two three"] * 4,
                       "label": [0, 1, 2] * 4})
    io.write_table(df, tmp_path / "d.csv")
    _compress(tmp_path / "d.csv", ".gz")
    args = ("-a", "random_swap", "--column", "text", "--seed", "0", "--batch-size", "5")
    assert run_inproc("augment", tmp_path / "d.csv", "-o", tmp_path / "p.jsonl", *args, capsys=capsys).returncode == 0
    proc = run_inproc("augment", tmp_path / "d.csv.gz", "-o", tmp_path / "z.jsonl.bz2", *args, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    with io.open_binary(tmp_path / "z.jsonl.bz2") as fh:
        assert fh.read() == (tmp_path / "p.jsonl").read_bytes()


# ---- atomic outputs are flushed to the disk before they are renamed -------------------------------------


def test_atomic_output_flushes_the_file_then_renames_then_flushes_the_folder(tmp_path, monkeypatch):
    # the file was renamed without an fsync: after a crash of the machine the final name could hold an empty file
    events = []
    monkeypatch.setattr(io, "fsync_file", lambda p: events.append(("file", Path(p).read_text())))
    monkeypatch.setattr(io, "fsync_dir", lambda d: events.append(("dir", Path(d) == tmp_path)))
    real = os.replace
    monkeypatch.setattr(io.os, "replace", lambda a, b: (events.append(("rename", Path(b).name)), real(a, b)))
    io.write_table(pd.DataFrame({"a": [1]}), tmp_path / "o.csv")
    assert events == [("file", "a\n1\n"), ("rename", "o.csv"), ("dir", True)]


def test_fsync_dir_and_file_work_here(tmp_path):
    (tmp_path / "f").write_text("x")
    io.fsync_file(tmp_path / "f")
    io.fsync_dir(tmp_path)


def test_text_outputs_are_atomic(tmp_path, monkeypatch):
    # search configs and evaluation reports were written in place: a crash left half a file
    from multiaug.evaluation import EvaluationResult

    res = EvaluationResult(names=["none", "up"], scores={"none": np.array([0.5, 0.6]), "up": np.array([0.6, 0.7])},
                           fit_time={"none": np.ones(2), "up": np.ones(2)},
                           augment_time={"none": np.zeros(2), "up": np.ones(2)}, configs={}, scoring="accuracy", modality="tabular",
                           task="classification", n_splits=2, repeats=1, test_train_ratio=0.25)
    for name in ("r.md", "r.json", "r.html"):
        (tmp_path / name).write_text("old")

    def crash(p):
        raise KeyboardInterrupt

    monkeypatch.setattr(io, "fsync_file", crash)
    for name in ("r.md", "r.json", "r.html"):
        with pytest.raises(KeyboardInterrupt):
            res.write(tmp_path / name)
        assert (tmp_path / name).read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.json", "r.md"]
    monkeypatch.undo()
    res.write(tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())["scoring"] == "accuracy"


# ---- parquet: a pandas index stored as a column -------------------------------------------------------


@pytest.mark.parametrize("index,column", [(pd.Index(["id0", "id1", "id2"], name="myid"), "myid"),
                                          (pd.Index([10, 11, 12]), "__index_level_0__")])
def test_a_parquet_index_stored_as_a_column_is_read_as_one(tmp_path, index, column):
    # DataFrame.to_parquet keeps an index that is no range as a column: read without text columns (tabular
    # augmenters), pandas' metadata made it the frame's index, which the reader replaced by the row numbers,
    # so the column vanished from the output without a word (and the Ray engine, which reads it as a column,
    # refused the run: "x has columns [..., 'myid'] but the augmenter was fitted on [...]")
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "text": ["x", "y", "z"]}, index=index)
    df.to_parquet(tmp_path / "i.parquet")
    plain = io.read_table(tmp_path / "i.parquet")
    assert list(plain.columns) == ["a", "text", column] and plain[column].tolist() == index.tolist()
    assert list(io.read_table(tmp_path / "i.parquet", text_columns=["text"]).columns) == list(plain.columns)
    assert plain.index.tolist() == [0, 1, 2]


def test_arrow_frame_is_what_the_parquet_reader_makes(tmp_path):
    t = pa.table({"n": pa.array([1, None], pa.int64()), "l": pa.array([[1, None], None], pa.list_(pa.int64())),
                  "t": pa.array([None, "b"])})
    df = io.arrow_frame(t, ["t"])
    assert str(df["n"].dtype) == "Int64" and list(df["l"][0]) == [1, None] and df["t"].tolist() == ["", "b"]
    pq.write_table(t, tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(io.read_table(tmp_path / "a.parquet", text_columns=["t"]), df)



def test_a_parquet_index_is_passed_through_not_augmented_as_a_feature(tmp_path):
    # read as a column, the stored index (ids 100, 205...) became a feature: GaussianNoise moved the ids
    # (100 -> 96); it is an index, passed through as the unnamed index column of a csv is, unless --columns
    # names it, and the run says so (the Ray engine: tests/engines/test_ray.py)
    from multiaug.engines.local import augment_file
    from multiaug.tabular import GaussianNoise

    ids = pd.Index([100, 205, 310, 400, 512, 600], name="myid")
    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) * 2, "y": [0, 1] * 3}, index=ids)
    df.to_parquet(tmp_path / "t.parquet")
    rep = augment_file(GaussianNoise(), tmp_path / "t.parquet", tmp_path / "o.parquet", label_column="y", seed=0)
    out = pd.read_parquet(tmp_path / "o.parquet")
    assert out["myid"].tolist() == ids.tolist() * 2 and not np.allclose(out["a"][6:], df["a"])
    assert any("['myid'] hold a DataFrame index" in w for w in rep.warnings)
    augment_file(GaussianNoise(), tmp_path / "t.parquet", tmp_path / "o2.parquet", label_column="y", seed=0,
                 feature_columns=["a", "myid"])  # named: a feature like any other
    assert pd.read_parquet(tmp_path / "o2.parquet")["myid"].tolist()[6:] != ids.tolist()
