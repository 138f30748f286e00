"""Readers and writers chosen by file suffix.

============  ======================  ==============================================================
kind          suffixes                content
============  ======================  ==============================================================
table         .csv .jsonl .parquet    text (one column holds the text) and tabular data; read in
                                      chunks of rows so files larger than memory can be streamed
array         .npy .npz               time series (N, C, T) or (N, T); ``.npy`` is memory-mapped;
                                      ``.npz`` holds ``x`` (or ``X``) and optionally ``y``
graph         .pt                     PyG graphs: a ``Data``, a list of them, or dicts of tensors;
                                      loaded with ``torch.load(weights_only=True)`` (no pickle)
============  ======================  ==============================================================

Writers write to a temporary file beside the target and rename it at the end
(:func:`atomic_output`), so a crash or Ctrl-C never leaves a half-written output.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

import numpy as np

TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet")
ARRAY_SUFFIXES = (".npy", ".npz")
GRAPH_SUFFIXES = (".pt",)
ALL_SUFFIXES = TABLE_SUFFIXES + ARRAY_SUFFIXES + GRAPH_SUFFIXES


def kind_of(path: str | os.PathLike, argname: str = "path") -> str:
    """"table", "array" or "graph" from the suffix; ``ValueError`` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix in ARRAY_SUFFIXES:
        return "array"
    if suffix in GRAPH_SUFFIXES:
        return "graph"
    raise ValueError(f"{argname} {str(path)!r}: unsupported file type {suffix or '(none)'!r}; expected one of {', '.join(ALL_SUFFIXES)}")


def _check_readable(path: str | os.PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"input file {str(p)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"input {str(p)!r} is a directory; expected a file")
    return p


# --------------------------------------------------------------------------------------------------
# Atomic output
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it to ``path`` only on success.

    On any exception (KeyboardInterrupt included) the temporary file is removed and ``path`` is left
    as it was."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(f"output folder {str(folder)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + target.suffix, dir=folder)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


# --------------------------------------------------------------------------------------------------
# Tables (csv / jsonl / parquet)
# --------------------------------------------------------------------------------------------------


def count_rows(path: str | os.PathLike) -> int | None:
    """Row count when it is cheap to know (parquet metadata); None otherwise."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(_check_readable(p)).metadata.num_rows
        except Exception as e:  # pyarrow's errors: say which file and what kind
            if type(e).__module__.startswith("pyarrow"):
                raise ValueError(f"cannot read {str(p)!r} as parquet: {str(e).splitlines()[0]}") from None
            raise
    return None


def iter_table(path: str | os.PathLike, batch_size: int = 1024) -> Iterator["Any"]:
    """Yield pandas DataFrames of at most ``batch_size`` rows; memory stays bounded by the batch."""
    import pandas as pd

    p = _check_readable(path)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    suffix = p.suffix.lower()
    start = 0
    try:
        if suffix == ".csv":
            reader = pd.read_csv(p, chunksize=batch_size)
        elif suffix == ".jsonl":
            reader = pd.read_json(p, lines=True, chunksize=batch_size)
        elif suffix == ".parquet":
            import pyarrow.parquet as pq

            pf = pq.ParquetFile(p)
            reader = (b.to_pandas() for b in pf.iter_batches(batch_size=batch_size))
        else:
            raise ValueError(f"input {str(p)!r}: expected .csv, .jsonl or .parquet, got {suffix!r}")
        for chunk in reader:
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, ValueError) and str(e).startswith("input "):
            raise
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    except Exception as e:  # pyarrow errors
        if type(e).__module__.startswith("pyarrow"):
            raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {str(e).splitlines()[0]}") from None
        raise


def read_table(path: str | os.PathLike) -> "Any":
    import pandas as pd

    chunks = list(iter_table(path, batch_size=1 << 16))
    if not chunks:
        raise ValueError(f"input {str(path)!r} has no rows")
    return pd.concat(chunks)


class TableWriter:
    """Append DataFrames to a csv / jsonl / parquet file, one batch at a time."""

    def __init__(self, path: str | os.PathLike, fmt: str | None = None):
        self.path = Path(path)
        self.fmt = (fmt or self.path.suffix).lower().lstrip(".")
        if self.fmt not in ("csv", "jsonl", "parquet"):
            raise ValueError(f"output {str(path)!r}: expected .csv, .jsonl or .parquet")
        self._writer = None
        self._schema = None
        self._fh = None
        self.rows = 0

    def write(self, df: "Any") -> None:
        if self.fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            table = pa.Table.from_pandas(df, preserve_index=False)
            if self._writer is None:
                self._schema = table.schema
                self._writer = pq.ParquetWriter(self.path, self._schema)
            else:
                table = table.cast(self._schema)
            self._writer.write_table(table)
        else:
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8", newline="")
                if self.fmt == "csv":
                    df.to_csv(self._fh, index=False)
                    self.rows += len(df)
                    return
            if self.fmt == "csv":
                df.to_csv(self._fh, index=False, header=False)
            else:
                text = df.to_json(orient="records", lines=True, force_ascii=False)
                self._fh.write(text if text.endswith("\n") or not text else text + "\n")
        self.rows += len(df)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.rows == 0 and not self.path.exists():
            self.path.touch()

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def write_table(df: "Any", path: str | os.PathLike) -> None:
    with atomic_output(path) as tmp, TableWriter(tmp, fmt=Path(path).suffix) as w:
        w.write(df)


# --------------------------------------------------------------------------------------------------
# Arrays (npy / npz)
# --------------------------------------------------------------------------------------------------


def read_array(path: str | os.PathLike, mmap: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, y)`` from a .npy (memory-mapped, y=None) or .npz (keys x/X and optional y/Y)."""
    p = _check_readable(path)
    suffix = p.suffix.lower()
    magic = {".npy": b"\x93NUMPY", ".npz": b"PK"}.get(suffix)
    if magic is not None:
        with open(p, "rb") as fh:
            if fh.read(len(magic)) != magic:
                raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: not a NumPy {suffix} file")
    try:
        if suffix == ".npy":
            return np.load(p, mmap_mode="r" if mmap else None, allow_pickle=False), None
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                keys = list(z.keys())
                xk = next((k for k in ("x", "X") if k in keys), keys[0] if len(keys) == 1 else None)
                if xk is None:
                    raise ValueError(f"{str(p)!r}: expected an array named 'x' (or 'X'), found {keys}")
                yk = next((k for k in ("y", "Y") if k in keys), None)
                return z[xk], (z[yk] if yk else None)
    except ValueError as e:
        if "allow_pickle" in str(e) or "pickle" in str(e).lower():
            raise ValueError(f"{str(p)!r} holds Python objects (pickled); only numeric arrays are read") from None
        if str(e).startswith("'") or str(e).startswith(str(p)):
            raise
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {e}") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {e}") from None
    raise ValueError(f"input {str(p)!r}: expected .npy or .npz, got {suffix!r}")


def write_array(path: str | os.PathLike, x: np.ndarray, **extra: np.ndarray) -> None:
    """Write ``x`` to .npy, or ``x`` and ``extra`` arrays to .npz, atomically."""
    p = Path(path)
    with atomic_output(p) as tmp:
        if p.suffix.lower() == ".npy":
            with open(tmp, "wb") as fh:
                np.save(fh, np.asarray(x), allow_pickle=False)
        else:
            arrays = {"x": np.asarray(x)}
            arrays.update({k: np.asarray(v) for k, v in extra.items() if v is not None})
            with open(tmp, "wb") as fh:
                np.savez(fh, **arrays)


# --------------------------------------------------------------------------------------------------
# Graphs (.pt)
# --------------------------------------------------------------------------------------------------


def _safe_pyg_globals() -> list:
    from torch_geometric.data import Data
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import BaseStorage, EdgeStorage, GlobalStorage, NodeStorage

    return [Data, DataEdgeAttr, DataTensorAttr, BaseStorage, EdgeStorage, GlobalStorage, NodeStorage]


def read_graphs(path: str | os.PathLike) -> list:
    """A list of PyG ``Data`` from a .pt file holding a Data, a Batch, a list of them, or dicts of
    tensors (what :func:`write_graphs` writes). Uses ``torch.load(weights_only=True)``: no pickle."""
    import pickle

    import torch
    from torch_geometric.data import Batch, Data

    p = _check_readable(path)
    try:
        with torch.serialization.safe_globals(_safe_pyg_globals()):
            obj = torch.load(p, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        raise ValueError(
            f"{str(p)!r} holds objects that are not allowed without pickle ({str(e).splitlines()[0][:200]}); "
            "save graphs as dicts of tensors (multiaug.io.write_graphs)"
        ) from None
    except (RuntimeError, EOFError, OSError) as e:
        raise ValueError(f"cannot read {str(p)!r} as a torch file: {str(e).splitlines()[0][:200]}") from None
    items = obj if isinstance(obj, (list, tuple)) else [obj]
    graphs = []
    for i, it in enumerate(items):
        if isinstance(it, Batch):
            graphs.extend(it.to_data_list())
        elif isinstance(it, Data):
            graphs.append(it)
        elif isinstance(it, dict):
            graphs.append(Data(**it))
        else:
            raise ValueError(f"{str(p)!r}: item {i} is a {type(it).__name__}; expected a graph (Data or dict of tensors)")
    if not graphs:
        raise ValueError(f"{str(p)!r} holds no graphs")
    return graphs


def write_graphs(path: str | os.PathLike, graphs: list) -> None:
    """Write graphs as a list of dicts of tensors (readable with ``weights_only=True``), atomically."""
    import torch

    payload = []
    for g in graphs:
        d = {}
        for k, v in g.to_dict().items():
            if isinstance(v, (torch.Tensor, int, float, bool, str)) or v is None:
                d[k] = v
            else:
                raise ValueError(f"graph attribute {k!r} of type {type(v).__name__} cannot be saved without pickle")
        payload.append(d)
    with atomic_output(path) as tmp:
        torch.save(payload, tmp)
