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
