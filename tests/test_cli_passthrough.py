"""`multiaug augment` regressions: malformed rows, columns that differ between batches, pass-through
columns kept as read whatever the batch size, arrays beside x, and options checked before the run."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from .test_cli import EXAMPLES, run_inproc
from .test_cli_errors import no_leftovers, one_error_line


def _augment(capsys, inp, out, *args):
    return run_inproc("augment", inp, "-o", out, *args, capsys=capsys)


# ---- csv: a row with more fields than the header ------------------------------------------------------


@pytest.mark.parametrize("bad_line", [2, 4])
def test_csv_row_with_an_extra_field_names_its_line(tmp_path, capsys, bad_line):
    rows = ["first row of text,a", "second row of text,b", "third row of text,c"]
    rows[bad_line - 2] = "hello, world good day,a"
    inp = tmp_path / "in.csv"
    inp.write_text("text,label\n" + "\n".join(rows) + "\n")
    proc = _augment(capsys, inp, tmp_path / "o.csv", "-a", "random_swap", "--column", "text", "--seed", "0")
    one_error_line(proc, f"line {bad_line}", "3 fields", "header has 2")
    no_leftovers(tmp_path, "in.csv")


def test_csv_extra_field_after_a_quoted_multiline_field_names_the_physical_line(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text('text,label\n"first review,\nspread over\nthree lines",1\nsecond review,0\nbad,row,extra\n')
    for bs in ("1", "1024"):
        proc = _augment(capsys, inp, tmp_path / "o.csv", "-a", "eda", "--column", "text", "--batch-size", bs)
        one_error_line(proc, "line 6:", "3 fields", "header has 2")  # pandas counts it as record 4
    no_leftovers(tmp_path, "in.csv")


# ---- jsonl -> csv: keys in another order or set in a later batch ----------------------------------------


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_jsonl_to_csv_aligns_later_batches_by_column_name(tmp_path, capsys):
    rows = [{"text": f"row number {i} has words", "label": f"L{i}"} for i in range(2)]
    rows += [{"label": f"L{i}", "text": f"row number {i} has words"} for i in range(2, 4)]  # other key order
    rows += [{"text": f"row number {i} has words"} for i in range(4, 6)]  # a key missing
    out = tmp_path / "o.csv"
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), out, "-a", "random_swap", "--column", "text",
                    "--batch-size", "2", "--seed", "0", "--exclude-original")
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out, keep_default_na=False)
    assert list(got.columns) == ["text", "label", "source_index", "is_augmented"]
    assert got["label"].tolist() == ["L0", "L1", "L2", "L3", "", ""]
    assert got["source_index"].tolist() == list(range(6))


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_column_only_in_a_later_batch_is_refused(tmp_path, capsys, suffix):
    rows = [{"text": f"row number {i} has words"} for i in range(2)]
    rows += [{"text": f"row number {i} has words", "note": "late"} for i in range(2, 4)]
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), tmp_path / f"o{suffix}", "-a", "random_swap",
                    "--column", "text", "--batch-size", "2")
    one_error_line(proc, "column 'note'", "batch 2")
    no_leftovers(tmp_path, "in.jsonl")


def test_jsonl_output_takes_a_later_column(tmp_path, capsys):
    rows = [{"text": f"row number {i} has words"} for i in range(2)]
    rows += [{"note": "late", "text": f"row number {i} has words"} for i in range(2, 4)]
    out = tmp_path / "o.jsonl"
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), out, "-a", "random_swap", "--column", "text",
                    "--batch-size", "2", "--exclude-original", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r.get("note") for r in got] == [None, None, "late", "late"]


# ---- jsonl pass-through values keep their JSON type --------------------------------------------------------


@pytest.mark.parametrize("batch_size", ["1", "1024"])
def test_jsonl_passthrough_values_come_back_as_read(tmp_path, capsys, batch_size):
    rows = [{"id": "007", "created_at": "2020-01-01", "text": "hello world good day", "label": 1, "x": 0.5},
            {"id": "010", "created_at": "2021-05-05", "text": "second line here now", "label": None, "x": 2}]
    out = tmp_path / "o.jsonl"
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), out, "-a", "random_swap", "--column", "text",
                    "--label-column", "label", "--seed", "0", "--batch-size", batch_size)
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in out.read_text().splitlines()]
    orig = [{k: v for k, v in r.items() if k not in ("source_index", "is_augmented")} for r in got if not r["is_augmented"]]
    assert orig == rows
    assert all(type(r["label"]) is int for r in got if r["label"] is not None)


@pytest.mark.parametrize("batch_size", ["1", "1024"])
def test_jsonl_floats_and_nested_values_come_back_exactly(tmp_path, capsys, batch_size):
    rows = [{"text": "the movie was really great fun", "score": 0.123456789012345, "lat": 48.856614, "lon": 2.3522219,
             "meta": {"w": 1.00000000001, "é": [1, None]}, "label": 1},
            {"text": "terrible boring film overall", "score": 0.987654321098765, "lat": 51.50735094, "lon": -0.12775829,
             "meta": {"w": 2}, "label": None}]
    out = tmp_path / "o.jsonl"
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), out, "-a", "random_swap", "--column", "text",
                    "--label-column", "label", "--seed", "0", "--batch-size", batch_size)
    assert proc.returncode == 0, proc.stderr
    got = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    orig = [{k: v for k, v in r.items() if k not in ("source_index", "is_augmented")} for r in got if not r["is_augmented"]]
    assert orig == rows  # pandas' writer gave 0.123456789 and {"w": 1.0}
    for r in got:  # the augmented rows carry the pass-through values exactly too
        src = rows[r["source_index"]]
        assert [r[k] for k in ("score", "lat", "lon", "meta", "label")] == [src[k] for k in ("score", "lat", "lon", "meta", "label")]
    assert '"é":[1,null]' in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("cell, kind", [(["the", "movie", "was", "bad"], "a JSON array"),
                                        ({"title": "great film", "body": "loved it"}, "a JSON object"),
                                        (False, "a JSON boolean")])
def test_jsonl_text_cell_that_is_no_text_is_refused(tmp_path, capsys, cell, kind):
    rows = [{"text": "the movie was really great fun to watch", "label": 1}, {"text": cell, "label": 0}]
    inp = _jsonl(tmp_path / "in.jsonl", rows)
    proc = _augment(capsys, inp, tmp_path / "o.jsonl", "-a", "random_swap", "--column", "text", "--seed", "0")
    one_error_line(proc, "line 2 (row 1)", f"column 'text' holds {kind}", "expected text")
    no_leftovers(tmp_path, "in.jsonl")


def test_parquet_boolean_text_column_is_refused(tmp_path, capsys):
    inp = tmp_path / "in.parquet"
    pd.DataFrame({"text": [True, False], "label": [0, 1]}).to_parquet(inp)
    proc = _augment(capsys, inp, tmp_path / "o.parquet", "-a", "random_swap", "--column", "text", "--seed", "0")
    one_error_line(proc, "row 0: column 'text' holds True", "expected text")
    no_leftovers(tmp_path, "in.parquet")


def test_jsonl_bad_line_is_named_by_its_line_number(tmp_path, capsys):
    inp = tmp_path / "in.jsonl"
    inp.write_text('{"text":"hello world good day"}\n{"text":"second line here now"}\n{"text": oops}\n')
    for bs in ("1", "1024"):
        proc = _augment(capsys, inp, tmp_path / "o.jsonl", "-a", "random_swap", "--column", "text", "--batch-size", bs)
        line = one_error_line(proc, "line 3", "not valid JSON")
        assert "position" not in line
    inp.write_text('{"text":"hello world good day"}\n[1, 2]\n')
    one_error_line(_augment(capsys, inp, tmp_path / "o.jsonl", "-a", "random_swap", "--column", "text"),
                   "line 2", "expected a JSON object")
    no_leftovers(tmp_path, "in.jsonl")


# ---- csv pass-through columns do not depend on the batch size -----------------------------------------------

CHUNKY = ("id,text,label,count\n007,hello world good day,a,10\n010,second line here now,b,20\n"
          "011,third one is here,3,30\n012,fourth line of text,4,\n")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".jsonl"])
def test_csv_passthrough_columns_do_not_depend_on_batch_size(tmp_path, capsys, suffix):
    inp = tmp_path / "in.csv"
    inp.write_text(CHUNKY)
    outs = []
    for bs in ("1", "2", "1024"):
        out = tmp_path / f"o{bs}{suffix}"
        proc = _augment(capsys, inp, out, "-a", "random_swap", "--column", "text", "--seed", "0", "--batch-size", bs)
        assert proc.returncode == 0, proc.stderr
        outs.append(out)
    def rows(o):  # the pass-through cells, in input order (the output's row order follows the batches)
        if suffix == ".csv":
            df = pd.read_csv(o, dtype=str, keep_default_na=False)
            df["source_index"] = df["source_index"].astype(int)
            df["is_augmented"] = df["is_augmented"] == "True"
        elif suffix == ".parquet":
            df = pq.read_table(o).to_pandas()
        else:
            df = pd.DataFrame([json.loads(x) for x in o.read_text().splitlines()], dtype=object)
        df = df.sort_values(["source_index", "is_augmented"], kind="stable")
        return df[["id", "label", "count"]].astype(object).where(df[["id", "label", "count"]].notna(), None).values.tolist()

    got = [rows(o) for o in outs]
    assert got[0] == got[1] == got[2]
    empty = "" if suffix == ".csv" else None
    assert got[0][::2] == [["007", "a", "10"], ["010", "b", "20"], ["011", "3", "30"], ["012", "4", empty]]
    if suffix == ".parquet":
        schemas = [pq.read_schema(o) for o in outs]
        assert schemas[0].equals(schemas[1]) and schemas[1].equals(schemas[2])


def test_csv_text_label_with_a_gap_is_written_as_read(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text("text,label\nhello world good day,1\nsecond line here now,\nthird one is here,0\n")
    out = tmp_path / "o.csv"
    proc = _augment(capsys, inp, out, "-a", "random_swap", "--column", "text", "--label-column", "label", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert got["label"].tolist()[:3] == ["1", "", "0"]


def test_tabular_columns_stay_numeric_beside_passthrough_ones(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text("id,a,b,y\n" + "".join(f"{i:03d},{i}.5,{i * 2},{i % 2}\n" for i in range(8)))
    out = tmp_path / "o.csv"
    proc = _augment(capsys, inp, out, "-a", "gaussian_noise", "--columns", "a,b", "--label-column", "y",
                    "--batch-size", "3", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    got = pd.read_csv(out, dtype={"id": str})
    assert got["id"].tolist()[:3] == ["000", "001", "002"]
    aug = got[got["is_augmented"]]
    assert len(aug) == 8 and not np.allclose(aug["a"].to_numpy(), [i + 0.5 for i in range(8)])


# ---- arrays: y and other arrays of an .npz ---------------------------------------------------------------


def _npz(path, n=4, **extra):
    r = np.random.default_rng(0)
    np.savez(path, x=r.normal(size=(n, 16)).astype("float32"), y=np.arange(n) % 2, **extra)
    return path


def test_npz_to_npy_is_refused_naming_what_it_would_drop(tmp_path, capsys):
    inp = _npz(tmp_path / "in.npz", meta=np.arange(3))
    proc = _augment(capsys, inp, tmp_path / "o.npy", "-a", "jitter", "--seed", "0")
    one_error_line(proc, "'y'", "'meta'", ".npz")
    no_leftovers(tmp_path, "in.npz")


def test_npz_output_carries_the_other_arrays(tmp_path, capsys):
    inp = _npz(tmp_path / "in.npz", meta=np.arange(3), ids=np.array([10, 11, 12, 13]))
    out = tmp_path / "o.npz"
    proc = _augment(capsys, inp, out, "-a", "jitter", "--seed", "0", "--batch-size", "3")
    assert proc.returncode == 0, proc.stderr
    z = np.load(out)
    assert sorted(z.keys()) == ["ids", "is_augmented", "meta", "source_index", "x", "y"]
    assert z["meta"].tolist() == [0, 1, 2]
    assert z["ids"].tolist() == (10 + z["source_index"]).tolist()
    assert z["y"].tolist() == (z["source_index"] % 2).tolist()


def test_npy_input_gives_no_readonly_warning_and_empty_npy_is_an_error(tmp_path, capsys):
    inp = tmp_path / "in.npy"
    np.save(inp, np.random.default_rng(0).normal(size=(4, 16)))
    proc = _augment(capsys, inp, tmp_path / "o.npy", "-a", "jitter", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr and "not writable" not in proc.stderr
    empty = tmp_path / "e.npy"
    np.save(empty, np.zeros((0, 16)))
    one_error_line(_augment(capsys, empty, tmp_path / "oe.npy", "-a", "jitter"), "has no series")
    assert not (tmp_path / "oe.npy").exists()


# ---- options -------------------------------------------------------------------------------------------


def test_misspelled_label_column_is_refused_for_text_and_tagged(tmp_path, capsys):
    proc = _augment(capsys, EXAMPLES / "reviews.csv", tmp_path / "o.csv", "-a", "random_swap", "--column", "text",
                    "--label-column", "lable")
    one_error_line(proc, "--label-column 'lable' is not in the input", "columns are")
    rows = [{"tokens": ["Peter", "runs", "fast"], "tags": ["B-PER", "O", "O"]}] * 2
    proc = _augment(capsys, _jsonl(tmp_path / "in.jsonl", rows), tmp_path / "o.jsonl", "-a", "segment_shuffle",
                    "--label-column", "lable")
    one_error_line(proc, "--label-column 'lable' is not in the input")
    no_leftovers(tmp_path, "in.jsonl")


@pytest.mark.parametrize("inp, args, needles", [
    ("s.npy", ["-a", "jitter", "--label-column", "lable"], ["--label-column 'lable' is for tables", "a .npy file has no columns"]),
    ("s.npy", ["-a", "jitter", "--column", "txet", "--columns", "a,b"],
     ["--column 'txet' and --columns 'a,b' are for tables"]),
    ("s.npz", ["-a", "jitter", "--label-column", "y"], ["--label-column 'y' is for tables", "labels y"]),
    ("graphs.pt", ["-a", "node_drop", "--label-column", "nope"], ["--label-column 'nope' is for tables", "a .pt file"]),
    ("in.csv", ["-a", "eda", "--column", "text", "--columns", "nonexistent"],
     ["--columns 'nonexistent' is for tabular augmenters", "EDA works on text data"]),
    ("in.csv", ["-a", "gaussian_noise", "--column", "text", "--label-column", "label"],
     ["--column 'text' is for text augmenters", "GaussianNoise works on tabular data"]),
])
def test_column_options_that_do_not_apply_are_refused(tmp_path, capsys, inp, args, needles):
    """augment refused nothing of these (exit 0, the option ignored), as evaluate refuses them."""
    np.save(tmp_path / "s.npy", np.zeros((4, 1, 16), "float32"))
    np.savez(tmp_path / "s.npz", x=np.zeros((4, 1, 16), "float32"), y=np.array([0, 1, 0, 1]))
    (tmp_path / "in.csv").write_text("text,label\nthe cat sat on the mat,1\na dog ran in the park,0\n")
    (tmp_path / "graphs.pt").write_bytes((EXAMPLES / "graphs.pt").read_bytes())
    before = sorted(p.name for p in tmp_path.iterdir())
    out = tmp_path / ("o" + inp[inp.index("."):])
    one_error_line(_augment(capsys, tmp_path / inp, out, *args, "--seed", "0"), *needles)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_evaluate_and_the_engine_share_the_column_option_check(tmp_path, capsys):
    from multiaug.engines.local import augment_file
    from multiaug.timeseries import Jitter

    np.save(tmp_path / "s.npy", np.zeros((4, 1, 16), "float32"))
    with pytest.raises(ValueError, match="--label-column 'lable' is for tables"):
        augment_file(Jitter(), tmp_path / "s.npy", tmp_path / "o.npy", label_column="lable")
    for args in (["--label-column", "lable"], ["--column", "text"]):
        proc = run_inproc("evaluate", EXAMPLES / "graphs.pt", *args, "-a", "node_drop", capsys=capsys)
        one_error_line(proc, f"{args[0]} '{args[1]}' is for tables", "a .pt file has no columns")
    no_leftovers(tmp_path, "s.npy")


def test_evaluate_refuses_a_text_column_that_holds_no_text(tmp_path, capsys):
    """evaluate str()'d such cells into their Python repr and fitted on that."""
    inp = tmp_path / "in.parquet"
    pd.DataFrame({"text": [["a", "b"]] * 4 + [["c", "d"]] * 4, "label": [0, 1] * 4}).to_parquet(inp)
    proc = run_inproc("evaluate", inp, "--label-column", "label", "--column", "text", "-a", "random_swap",
                      "--cv", "2", "--repeats", "1", capsys=capsys)
    one_error_line(proc, "row 0: column 'text' holds array(['a', 'b']", "expected text")


def test_save_to_an_existing_file_is_refused_before_the_run(tmp_path, capsys):
    (tmp_path / "model").write_text("x")
    proc = _augment(capsys, EXAMPLES / "reviews.csv", tmp_path / "o.csv", "-a", "random_swap", "--column", "text",
                    "--save", tmp_path / "model")
    one_error_line(proc, "--save", "is a file")
    no_leftovers(tmp_path, "model")


@pytest.mark.parametrize("flag", ["--n-aug", "--batch-size"])
def test_zero_counts_name_their_flag(tmp_path, capsys, flag):
    proc = _augment(capsys, EXAMPLES / "reviews.csv", tmp_path / "o.csv", "-a", "random_swap", "--column", "text",
                    flag, "0")
    one_error_line(proc, f"{flag}: expected an integer >= 1")


def test_a_pt_file_that_is_no_torch_file(tmp_path, capsys):
    inp = tmp_path / "in.pt"
    inp.write_text("not a torch file\n")
    line = one_error_line(_augment(capsys, inp, tmp_path / "o.pt", "-a", "edge_drop"), "not one")
    assert "pickled" not in line


# ---- CoNLL -------------------------------------------------------------------------------------------------


def test_conll_tokens_with_spaces_round_trip(tmp_path, capsys):
    inp = tmp_path / "in.conll"
    inp.write_text("New York\tB-LOC\nis\tO\nbig\tO\n\nPeter\tB-PER\nruns\tO\n\n")
    out = tmp_path / "o.conll"
    proc = _augment(capsys, inp, out, "-a", "segment_shuffle", "--seed", "0")
    assert proc.returncode == 0, proc.stderr
    from multiaug import io

    tokens, tags = io.read_conll(out)
    assert tokens[0] == ["New York", "is", "big"] and tags[0] == ["B-LOC", "O", "O"]


def test_tagged_data_to_csv_is_refused_up_front(tmp_path, capsys):
    inp = tmp_path / "in.conll"
    inp.write_text("Peter B-PER\nruns O\n\n")
    one_error_line(_augment(capsys, inp, tmp_path / "o.csv", "-a", "segment_shuffle"), "cannot be written to csv")
    no_leftovers(tmp_path, "in.conll")
    # a compressed csv too (the check read the last suffix, .gz)
    one_error_line(_augment(capsys, inp, tmp_path / "o.csv.gz", "-a", "segment_shuffle"), "cannot be written to csv")
    no_leftovers(tmp_path, "in.conll")


def test_a_compressed_csv_label_column_keeps_its_text_as_the_plain_file_does(tmp_path, capsys):
    # integer-looking labels with a missing cell: the csv's text decides (1.0 stays 1.0); for data.csv.gz
    # the check read the suffix .gz and the labels were written 1
    import pandas as pd

    df = pd.DataFrame({"a": np.arange(6.0), "y": ["1.0", "2.0", "", "1.0", "2.0", "1.0"]})
    for name in ("t.csv", "t.csv.gz"):
        df.to_csv(tmp_path / name, index=False)
        out = tmp_path / ("o_" + name)
        proc = _augment(capsys, tmp_path / name, out, "-a", "gaussian_noise", "--label-column", "y", "--seed", "0")
        assert proc.returncode == 0, proc.stderr
        assert pd.read_csv(out, dtype=str, keep_default_na=False)["y"].tolist()[6:] == df["y"].tolist()


@pytest.mark.parametrize("out_suffix", [".parquet", ".csv", ".jsonl"])
def test_parquet_integer_columns_with_nulls_pass_through_exactly(tmp_path, capsys, out_suffix):
    # a parquet written by another tool (no pandas metadata): pandas would read int64 with nulls as
    # float64 and corrupt ids past 2**53
    import pyarrow as pa

    ids = [9007199254740993, None, 9007199254740995, 9007199254740997]
    table = pa.table({"text": ["the quick brown fox", "jumps over the dog", "a lazy afternoon", "by the river"],
                      "id": pa.array(ids, pa.int64()), "small": pa.array([1, None, 3, 4], pa.int16()),
                      "flag": pa.array([True, None, False, True])})
    src = tmp_path / "in.parquet"
    pq.write_table(table, src)
    out = tmp_path / f"out{out_suffix}"
    r = _augment(capsys, src, out, "-a", "char_noise", "--column", "text", "--seed", "0")
    assert r.returncode == 0, r.stderr
    if out_suffix == ".parquet":
        got = pq.read_table(out)
        assert got.schema.field("id").type == pa.int64() and got.schema.field("small").type == pa.int16()
        assert got.column("id").to_pylist()[: len(ids)] == ids
        assert got.column("flag").to_pylist()[:4] == [True, None, False, True]
    elif out_suffix == ".csv":
        lines = out.read_text().splitlines()
        assert lines[1].split(",")[1:3] == ["9007199254740993", "1"] and lines[2].split(",")[1:3] == ["", ""]
    else:
        rows = [json.loads(line) for line in out.read_text().splitlines()]
        assert [r["id"] for r in rows[:4]] == ids and rows[0]["small"] == 1
