"""The local engine: augment a file on this machine, streaming it in batches.

Used by ``multiaug augment``. Tables (csv/jsonl/parquet) are read and written batch by batch, so
memory is bounded by ``batch_size``, not by the file; ``.npy`` series are memory-mapped in and written
through a memory-mapped output; ``.npz`` and graph ``.pt`` files are held in memory.

Output order: for each input batch, its original rows (unless ``exclude_original``) followed by its
augmented rows, copy by copy (copy 1 of every row of the batch, then copy 2, ...). Lineage columns
``source_index`` (row of the input each output row comes from) and ``is_augmented`` are added.

Reproducibility: with a ``seed``, the augmenter is reseeded at every batch from ``(seed, index of the
batch's first row)``, so a batch's output does not depend on the batches before it (the Ray engine
relies on this); results still depend on ``batch_size`` for augmenters that mix rows within a batch.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import io
from ..core import Augmenter

SOURCE_INDEX = "source_index"
IS_AUGMENTED = "is_augmented"


@dataclass
class RunReport:
    rows_in: int = 0
    rows_out: int = 0
    rows_augmented: int = 0
    unchanged: int = 0
    warnings: list[str] = field(default_factory=list)


def batch_seed(seed: int, start: int) -> int:
    """A seed for the batch starting at row ``start`` of a run seeded with ``seed`` (no global RNG)."""
    state = np.random.SeedSequence([int(seed) & (2**63 - 1), int(start)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def check_paths(input_path: str | os.PathLike, output_path: str | os.PathLike, overwrite: bool = False) -> tuple[Path, Path]:
    inp, out = Path(input_path), Path(output_path)
    if not inp.exists():
        raise FileNotFoundError(f"input file {str(inp)!r} does not exist")
    if inp.is_dir():
        raise ValueError(f"input {str(inp)!r} is a directory; expected a file")
    if out.exists() and (out.resolve() == inp.resolve() or os.path.samefile(out, inp)):
        raise ValueError(f"output {str(out)!r} is the input file; refusing to overwrite the input")
    if out.resolve() == inp.resolve():
        raise ValueError(f"output {str(out)!r} is the input file; refusing to overwrite the input")
    if out.exists() and not overwrite:
        raise ValueError(f"output {str(out)!r} already exists; pass --overwrite to replace it")
    if out.is_dir():
        raise ValueError(f"output {str(out)!r} is a directory; expected a file path")
    kin, kout = io.kind_of(inp, "input"), io.kind_of(out, "output")
    if kin != kout:
        raise ValueError(f"output {str(out)!r}: a {kin} input ({inp.suffix}) needs a {kin} output, got {out.suffix!r}")
    return inp, out


def _progress(total: int | None, enabled: bool | None):
    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, unit="rows", disable=not show, dynamic_ncols=True, smoothing=0.1)


def _reseed(aug: Augmenter, seed: int | None, start: int) -> None:
    if seed is not None:
        aug.reseed(batch_seed(seed, start))


def _augment_quiet(aug: Augmenter, X: Any, y: Any, n_aug: int, report: RunReport) -> tuple[Any, Any, np.ndarray]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        X_aug, y_aug, src = aug.augment(X, y, n_aug=n_aug)
    for w in caught:
        msg = str(w.message)
        if msg not in report.warnings:
            report.warnings.append(msg)
    rep = getattr(aug, "report_", None)
    if rep is not None:
        report.unchanged += int(getattr(rep, "n_unchanged", 0) or (rep.get("n_unchanged", 0) if isinstance(rep, dict) else 0))
    return X_aug, y_aug, np.asarray(src, dtype=np.int64)


def _hard_labels(aug: Augmenter, y: Any, y_aug: Any) -> Any:
    if y_aug is None:
        return None
    return aug._resample_labels(y, y_aug)


# --------------------------------------------------------------------------------------------------
# Tables: text and tabular augmenters
# --------------------------------------------------------------------------------------------------


def augment_table_batch(
    aug: Augmenter,
    df: Any,
    *,
    n_aug: int,
    column: str | None = None,
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    exclude_original: bool = False,
    report: RunReport | None = None,
) -> Any:
    """Augment one DataFrame batch (its index = global row numbers) and return the output rows."""
    import pandas as pd

    report = report if report is not None else RunReport()
    if aug.modality == "text":
        if column is None:
            raise ValueError("--column is required for text augmenters (the column that holds the text)")
        if column not in df.columns:
            raise ValueError(f"--column {column!r} is not in the input; columns are {list(df.columns)}")
        texts = df[column]
        bad = texts.map(lambda v: not isinstance(v, str))
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise ValueError(f"row {int(df.index[i])}: column {column!r} holds {texts.iloc[i]!r}; expected text")
        X_aug, _, src = _augment_quiet(aug, texts.tolist(), None, n_aug, report)
        out = df.iloc[src].copy()
        out[column] = list(X_aug)
    elif aug.modality == "tabular":
        if label_column is not None and label_column not in df.columns:
            raise ValueError(f"--label-column {label_column!r} is not in the input; columns are {list(df.columns)}")
        feats = feature_columns or [c for c in df.columns if c != label_column and c not in (SOURCE_INDEX, IS_AUGMENTED)]
        missing = [c for c in feats if c not in df.columns]
        if missing:
            raise ValueError(f"--columns {missing} are not in the input; columns are {list(df.columns)}")
        X = df[feats]
        y = df[label_column].to_numpy() if label_column is not None else None
        X_aug, y_aug, src = _augment_quiet(aug, X, y, n_aug, report)
        out = df.iloc[src].copy()
        X_aug = X_aug if isinstance(X_aug, pd.DataFrame) else pd.DataFrame(np.asarray(X_aug), columns=feats)
        for c in feats:
            out[c] = X_aug[c].to_numpy()
        if label_column is not None:
            out[label_column] = np.asarray(_hard_labels(aug, y, y_aug))
    else:
        raise ValueError(
            f"augmenter {type(aug).__name__} works on {aug.modality} data; csv/jsonl/parquet files hold text or tables"
        )
    out[SOURCE_INDEX] = df.index.to_numpy()[src]
    out[IS_AUGMENTED] = True
    parts = []
    if not exclude_original:
        orig = df.copy()
        orig[SOURCE_INDEX] = df.index.to_numpy()
        orig[IS_AUGMENTED] = False
        parts.append(orig)
    parts.append(out)
    res = pd.concat(parts, ignore_index=True)
    report.rows_in += len(df)
    report.rows_out += len(res)
    report.rows_augmented += len(out)
    return res


def _fit_if_needed(aug: Augmenter, load_all: Callable[[], tuple[Any, Any]]) -> None:
    if getattr(aug, "learned", False) and not aug.__sklearn_is_fitted__():
        X, y = load_all()
        aug.fit(X, y) if y is not None else aug.fit(X)


def fit_table_if_needed(aug: Augmenter, inp: Path, column: str | None, label_column: str | None,
                        feature_columns: list[str] | None) -> None:
    """Fit a learned, unfitted augmenter on the whole table (the one step that reads it all at once)."""

    def load_all():
        df = io.read_table(inp)
        y = df[label_column].to_numpy() if label_column else None
        if aug.modality == "tabular":
            return df[feature_columns or [c for c in df.columns if c != label_column]], y
        return df[column].tolist(), y

    _fit_if_needed(aug, load_all)


def augment_file(
    aug: Augmenter,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    n_aug: int | None = None,
    seed: int | None = None,
    column: str | None = None,
    label_column: str | None = None,
    feature_columns: list[str] | None = None,
    batch_size: int = 1024,
    exclude_original: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
) -> RunReport:
    """Augment ``input_path`` into ``output_path`` (kinds chosen by suffix); see the module doc."""
    inp, out = check_paths(input_path, output_path, overwrite)
    n_aug = aug.n_aug if n_aug is None else n_aug
    if isinstance(n_aug, bool) or not isinstance(n_aug, (int, np.integer)) or n_aug < 1:
        raise ValueError(f"n_aug must be an integer >= 1, got {n_aug!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}")
    kind = io.kind_of(inp, "input")
    report = RunReport()
    if kind == "table":
        _augment_table_file(aug, inp, out, n_aug, seed, column, label_column, feature_columns, batch_size, exclude_original, progress, report)
    elif kind == "array":
        _augment_array_file(aug, inp, out, n_aug, seed, batch_size, exclude_original, progress, report)
    else:
        _augment_graph_file(aug, inp, out, n_aug, seed, batch_size, exclude_original, progress, report)
    return report


def _augment_table_file(aug, inp, out, n_aug, seed, column, label_column, feature_columns, batch_size, exclude_original, progress, report):
    if aug.modality not in ("text", "tabular"):
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; {inp.suffix} files hold text or tables")

    fit_table_if_needed(aug, inp, column, label_column, feature_columns)
    first = True
    with io.atomic_output(out) as tmp, io.TableWriter(tmp, fmt=out.suffix) as writer, _progress(io.count_rows(inp), progress) as bar:
        for df in io.iter_table(inp, batch_size):
            if first:
                first = False
                for c in (SOURCE_INDEX, IS_AUGMENTED):
                    if c in df.columns:
                        raise ValueError(f"input already has a {c!r} column (is it an augmented file?); rename it first")
            _reseed(aug, seed, int(df.index[0]))
            writer.write(
                augment_table_batch(
                    aug, df, n_aug=n_aug, column=column, label_column=label_column,
                    feature_columns=feature_columns, exclude_original=exclude_original, report=report,
                )
            )
            bar.update(len(df))
        if first:
            raise ValueError(f"input {str(inp)!r} has no rows")


# --------------------------------------------------------------------------------------------------
# Arrays: time series
# --------------------------------------------------------------------------------------------------


def _augment_array_file(aug, inp, out, n_aug, seed, batch_size, exclude_original, progress, report):
    if aug.modality != "timeseries":
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; {inp.suffix} files hold time series")
    X, y = io.read_array(inp, mmap=True)
    if X.ndim not in (2, 3):
        raise ValueError(f"input {str(inp)!r}: expected series of shape (N, T) or (N, C, T), got {X.shape}")
    if y is not None and len(y) != len(X):
        raise ValueError(f"input {str(inp)!r}: y has {len(y)} entries but x has {len(X)} series")
    _fit_if_needed(aug, lambda: (np.asarray(X), y))
    N = X.shape[0]
    per_batch = (0 if exclude_original else 1) + n_aug
    total = N * per_batch
    src_all = np.empty(total, dtype=np.int64)
    isaug_all = np.empty(total, dtype=bool)
    y_parts = []
    with io.atomic_output(out) as tmp, _progress(N, progress) as bar:
        dest = None
        if out.suffix.lower() == ".npy":
            dest = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.result_type(X.dtype, np.float32), shape=(total,) + X.shape[1:])
        else:
            dest = np.empty((total,) + X.shape[1:], dtype=np.result_type(X.dtype, np.float32))
        pos = 0
        for start in range(0, N, batch_size):
            xb = np.asarray(X[start : start + batch_size])
            yb = None if y is None else np.asarray(y[start : start + batch_size])
            _reseed(aug, seed, start)
            X_aug, y_aug, src = _augment_quiet(aug, xb, yb, n_aug, report)
            blocks = [] if exclude_original else [(xb, np.arange(len(xb)), False, yb)]
            blocks.append((np.asarray(X_aug), src, True, _hard_labels(aug, yb, y_aug) if yb is not None else None))
            for arr, s, is_aug, lab in blocks:
                k = len(arr)
                dest[pos : pos + k] = arr
                src_all[pos : pos + k] = start + s
                isaug_all[pos : pos + k] = is_aug
                if lab is not None:
                    y_parts.append(np.asarray(lab))
                pos += k
            report.rows_in += len(xb)
            report.rows_augmented += len(src)
            bar.update(len(xb))
        report.rows_out = pos
        if out.suffix.lower() == ".npy":
            dest.flush()
            del dest
        else:
            with open(tmp, "wb") as fh:
                extra = {SOURCE_INDEX: src_all[:pos], IS_AUGMENTED: isaug_all[:pos]}
                if y_parts:
                    extra["y"] = np.concatenate(y_parts)
                np.savez(fh, x=dest[:pos], **extra)


# --------------------------------------------------------------------------------------------------
# Graphs
# --------------------------------------------------------------------------------------------------


def _augment_graph_file(aug, inp, out, n_aug, seed, batch_size, exclude_original, progress, report):
    import torch
    from torch_geometric.data import Batch

    if aug.modality != "graph":
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; .pt files hold graphs")
    graphs = io.read_graphs(inp)
    _fit_if_needed(aug, lambda: (graphs[0] if len(graphs) == 1 else Batch.from_data_list(graphs), None))
    result = []
    with _progress(len(graphs), progress) as bar:
        for start in range(0, len(graphs), batch_size):
            chunk = graphs[start : start + batch_size]
            x = chunk[0] if len(chunk) == 1 else Batch.from_data_list(chunk)
            _reseed(aug, seed, start)
            X_aug, _, src = _augment_quiet(aug, x, None, n_aug, report)
            aug_list = X_aug.to_data_list() if isinstance(X_aug, Batch) else [X_aug]
            if not exclude_original:
                for i, g in enumerate(chunk):
                    g = g.clone()
                    g[SOURCE_INDEX] = torch.tensor([start + i])
                    g[IS_AUGMENTED] = torch.tensor([False])
                    result.append(g)
            for g, s in zip(aug_list, src):
                g = g.clone()
                for k in ("batch", "ptr"):
                    if k in g:
                        del g[k]
                g[SOURCE_INDEX] = torch.tensor([start + int(s)])
                g[IS_AUGMENTED] = torch.tensor([True])
                result.append(g)
            report.rows_in += len(chunk)
            report.rows_augmented += len(aug_list)
            bar.update(len(chunk))
    report.rows_out = len(result)
    io.write_graphs(out, result)
