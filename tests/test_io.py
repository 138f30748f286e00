"""Readers and writers by suffix, and atomic output."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from multiaug import io


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_table_round_trip_in_chunks(tmp_path, suffix):
    df = pd.DataFrame({"text": [f"row {i} é" for i in range(25)], "v": np.arange(25) * 0.5, "k": np.arange(25)})
    path = tmp_path / f"t{suffix}"
    io.write_table(df, path)
    chunks = list(io.iter_table(path, batch_size=7))
    assert [len(c) for c in chunks] == [7, 7, 7, 4]
    assert list(chunks[1].index) == list(range(7, 14))
    back = pd.concat(chunks)
    assert back["text"].tolist() == df["text"].tolist()
    assert np.allclose(back["v"], df["v"]) and back["k"].tolist() == df["k"].tolist()


def test_table_writer_appends_batches(tmp_path):
    for fmt in ("csv", "jsonl", "parquet"):
        path = tmp_path / f"w.{fmt}"
        with io.TableWriter(path) as w:
            w.write(pd.DataFrame({"a": [1, 2]}))
            w.write(pd.DataFrame({"a": [3]}))
        assert io.read_table(path)["a"].tolist() == [1, 2, 3]


def test_atomic_output_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with io.atomic_output(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    with pytest.raises(KeyboardInterrupt):
        with io.atomic_output(tmp_path / "new.csv") as tmp:
            tmp.write_text("partial")
            raise KeyboardInterrupt
    assert not (tmp_path / "new.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_arrays(tmp_path):
    x = np.random.default_rng(0).normal(size=(5, 2, 7)).astype(np.float32)
    io.write_array(tmp_path / "a.npy", x)
    got, y = io.read_array(tmp_path / "a.npy")
    assert y is None and isinstance(got, np.memmap) and np.array_equal(got, x)
    io.write_array(tmp_path / "a.npz", x, y=np.arange(5))
    got, y = io.read_array(tmp_path / "a.npz")
    assert np.array_equal(got, x) and list(y) == [0, 1, 2, 3, 4]


def test_pickled_arrays_are_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="pickle"):
        io.read_array(tmp_path / "obj.npy")


def test_graphs(tmp_path):
    from torch_geometric.data import Data

    g = Data(x=torch.randn(3, 2), edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([1]))
    io.write_graphs(tmp_path / "g.pt", [g, g])
    back = io.read_graphs(tmp_path / "g.pt")
    assert len(back) == 2 and torch.equal(back[0].x, g.x)
    torch.save(g, tmp_path / "d.pt")  # a PyG Data saved directly also loads without pickle
    assert torch.equal(io.read_graphs(tmp_path / "d.pt")[0].edge_index, g.edge_index)


class Evil:
    pass


def test_arbitrary_pickles_are_refused(tmp_path):
    torch.save({"x": Evil()}, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match=r"not a tensor-only \.pt file \(it holds a pickled .*Evil\)") as info:
        io.read_graphs(tmp_path / "evil.pt")
    assert "weights_only=False" not in str(info.value)


def test_unknown_suffix_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match="unsupported file type"):
        io.kind_of(tmp_path / "a.xlsx")
    with pytest.raises(FileNotFoundError):
        list(io.iter_table(tmp_path / "none.csv"))


def test_unreadable_content_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.parquet"
    bad.write_text("not parquet")
    with pytest.raises(ValueError, match="cannot read"):
        list(io.iter_table(bad))
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"garbage")
    with pytest.raises(ValueError, match="cannot read"):
        io.read_array(bad)


# ---- the one path check (io.check_input / io.check_output), used by the readers and both engines ----


def test_check_input(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"input file '.*none\.csv' does not exist"):
        io.check_input(tmp_path / "none.csv")
    with pytest.raises(ValueError, match="is a directory; expected a file"):
        io.check_input(tmp_path)
    (tmp_path / "a.csv").write_text("x\n1\n")
    assert io.check_input(str(tmp_path / "a.csv")) == tmp_path / "a.csv"
    for read in (io.read_table, io.read_array, io.read_graphs, lambda p: list(io.iter_table(p))):
        with pytest.raises(ValueError, match="is a directory"):
            read(tmp_path)


@pytest.mark.parametrize("case, kw, err, match", [
    ("same", {}, ValueError, "is the input file; refusing to overwrite the input"),
    ("same_overwrite", {"overwrite": True}, ValueError, "is the input file"),
    ("link", {"overwrite": True}, ValueError, "is the input file"),
    ("exists", {}, ValueError, "already exists; pass --overwrite to replace it"),
    ("dir", {"overwrite": True}, ValueError, "is a directory; expected a file path"),
    ("kind", {}, ValueError, r"a table input \(\.csv\) needs a table output, got '\.npy'"),
    ("suffix", {}, ValueError, "output .*unsupported file type '.txt'"),
    ("no_folder", {}, FileNotFoundError, "output folder .* does not exist"),
])
def test_check_output_file(tmp_path, case, kw, err, match):
    inp = tmp_path / "in.csv"
    inp.write_text("x\n1\n")
    (tmp_path / "old.csv").write_text("x\n")
    (tmp_path / "d.csv").mkdir()
    (tmp_path / "ln.csv").symlink_to(inp)
    out = {"same": inp, "same_overwrite": tmp_path / "." / "in.csv", "link": tmp_path / "ln.csv",
           "exists": tmp_path / "old.csv", "dir": tmp_path / "d.csv", "kind": tmp_path / "o.npy",
           "suffix": tmp_path / "o.txt", "no_folder": tmp_path / "nope" / "o.csv"}[case]
    with pytest.raises(err, match=match):
        io.check_output(out, inp, **kw)
    assert inp.read_text() == "x\n1\n"


def test_check_output_accepts_what_it_should(tmp_path):
    inp = tmp_path / "in.parquet"
    inp.write_text("")
    assert io.check_output(tmp_path / "o.csv", inp) == tmp_path / "o.csv"  # any table suffix for a table
    (tmp_path / "old.jsonl").write_text("")
    assert io.check_output(tmp_path / "old.jsonl", inp, overwrite=True) == tmp_path / "old.jsonl"
    assert io.check_output(tmp_path / "o.npz") == tmp_path / "o.npz"  # no input: only the output's own checks


def test_check_output_directory(tmp_path):
    inp = tmp_path / "in.csv"
    inp.write_text("x\n1\n")
    (tmp_path / "out").mkdir()
    assert io.check_output(tmp_path / "new", inp, directory=True) == tmp_path / "new"
    assert io.check_output(tmp_path / "out", inp, overwrite=True, directory=True) == tmp_path / "out"
    with pytest.raises(ValueError, match="already exists; pass --overwrite"):
        io.check_output(tmp_path / "out", inp, directory=True)
    with pytest.raises(ValueError, match="is a file; a path ending with '/' means an output directory"):
        io.check_output(inp, None, overwrite=True, directory=True)
    with pytest.raises(ValueError, match="holds the input file; refusing to replace it"):
        io.check_output(tmp_path, inp, overwrite=True, directory=True)
    with pytest.raises(FileNotFoundError, match="output folder .* does not exist"):
        io.check_output(tmp_path / "nope" / "out", inp, directory=True)


def test_atomic_output_errors_name_the_output_not_its_temporary_file(tmp_path):
    # a folder where no file can be created, and a write that fails on the temporary file: the error is the
    # same type with the same errno, naming the path given (the Python API and the CLI say the same)
    import errno
    import os

    from multiaug import io as mio

    if os.path.isdir("/proc/self"):
        with pytest.raises(FileNotFoundError, match=r"^cannot write '/proc/x.csv': No such file or directory$") as e:
            with mio.atomic_output("/proc/x.csv"):
                pass
        assert e.value.errno == errno.ENOENT
    out = tmp_path / "o.csv"
    with pytest.raises(OSError, match=r"^cannot write '.*o\.csv': No space left on device$") as e:
        with mio.atomic_output(out) as tmp:  # as a writer running out of disk space reports it
            raise OSError(errno.ENOSPC, "No space left on device", str(tmp))
    assert e.value.errno == errno.ENOSPC and not out.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(OSError, match="unrelated.txt"):  # an error about another file is left as it is
        with mio.atomic_output(out):
            raise OSError(errno.ENOENT, "No such file or directory", "unrelated.txt")
