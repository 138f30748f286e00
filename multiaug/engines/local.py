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

Results never *fail* because of how the file divides into batches:

* statistics that need several rows come from the whole file: an augmenter with ``partial_fit`` that
  holds no fitted state (``GaussianNoise``'s column spread) is fitted batch by batch over the whole
  file before augmenting (a streaming pass; learned augmenters are fitted on the whole table first);
* a mixing augmenter (``mixes_samples``, also inside a composition) given a batch of one row (the
  last batch of ``N = k * batch_size + 1`` rows, or every batch with ``batch_size=1``) mixes it with
  partners from the previous batch (the next one for the first batch): the batch is augmented
  together with those partner rows and only its own augmented rows are written, so the output still
  holds exactly one augmented row per input row and copy, with its own ``source_index``. A file of a
  single row gives a ``ValueError`` (nothing to mix with).

Text columns are read as strings with no NA conversion (``NA``, ``null``, ``None`` stay text; an empty
cell is ``""``). Empty texts are kept like any row and handled as the augmenter's Python API does
(not augmented, counted as unchanged, dropped from the augmented rows under the default
``on_unchanged="drop"``); the run report counts them.

Arrays: an ``.npz`` output holds ``x``, ``y`` (when the input has one), ``source_index``,
``is_augmented`` and the input's other arrays: one whose first dimension is the number of series is
written per output row (indexed by ``source_index``), any other is copied unchanged. A ``.npy`` output
holds the series only, so an input holding more than ``x`` (``y`` or other arrays) needs an ``.npz``
output (a ``ValueError`` otherwise, before anything is run). An input of no series is a ``ValueError``.

Pass-through columns (neither the text column nor a tabular augmenter's features and label) are read
as they are in the file (see :mod:`multiaug.io`), so the output does not depend on ``batch_size``.

Options: ``column``, ``label_column`` and ``feature_columns`` must apply to the input and the augmenter
(:func:`check_column_options`), and name columns of the table; otherwise a ``ValueError``, never ignored.

Warnings (``RunReport.warnings``): the augmenter's warnings of every batch, each once; a counted one
("RandomSwap: 2 of 6 outputs are identical to their input (...; input rows 2, 5); ...") is summed over
the batches into one line, the rows it names being input rows (``source_index``), not positions in a
batch.

Labels keep their representation: original rows are written as read, augmented rows' labels in the
same type. An integer label column with missing cells (which pandas reads as floats) is written as
integers with empty cells (pandas ``Int64``), for csv when the column's text holds only integers, for
parquet when its schema type is an integer. Mixing augmenters need a label on every row: a missing
one is a ``ValueError`` naming the row.
"""
from __future__ import annotations

import inspect
import os
import re
import sys
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .. import io
from ..core import Augmenter, UnchangedWarning
from ..core.balance import mixer_of, needs_statistics
from .options import RunOptions

SOURCE_INDEX = "source_index"
IS_AUGMENTED = "is_augmented"


@dataclass
class RunReport:
    rows_in: int = 0
    rows_out: int = 0
    rows_augmented: int = 0
    unchanged: int = 0
    #: text rows whose cell is empty (kept, never augmented)
    empty_texts: int = 0
    warnings: list[str] = field(default_factory=list)
    #: balanced runs (``balance``): augmented rows asked for, generated and missing, per class
    balance: dict | None = None
    #: balanced runs: augmented rows written per input row (filled while running)
    balance_done: Any = None
    #: counted warnings (:class:`UnchangedWarning`) summed over the batches (see :func:`_note_warning`)
    counted: dict = field(default_factory=dict, repr=False)
    #: samples each augmenter (by class name) drew over the run (its ``report_.n_inputs``, summed)
    drawn: dict = field(default_factory=dict, repr=False)


def batch_seed(seed: int, start: int) -> int:
    """A seed for the batch starting at row ``start`` of a run seeded with ``seed`` (no global RNG)."""
    state = np.random.SeedSequence([int(seed) & (2**63 - 1), int(start)]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def _progress(total: int | None, enabled: bool | None):
    from tqdm.auto import tqdm

    show = sys.stderr.isatty() if enabled is None else enabled
    return tqdm(total=total, unit="rows", disable=not show, dynamic_ncols=True, smoothing=0.1)


def _reseed(aug: Augmenter, seed: int | None, start: int) -> None:
    if seed is not None:
        aug.reseed(batch_seed(seed, start))


_SHOWN_ROWS = 5


def _unchanged_positions(aug: Augmenter, w: UnchangedWarning, copies: np.ndarray | None, rep: Any) -> list[int] | None:
    """The positions in the batch (of ``X`` given to ``aug.augment``) of a counted warning's outputs:
    from the augmenter's ``report_`` (up to 100; in a balanced run already positions in the batch) when
    the warning is its own, else the warning's ``rows`` (outside a balanced run, whose warnings count
    in a subset of the batch); None when they cannot be known."""
    if type(aug).__name__ == w.name and rep is not None and getattr(rep, "n_unchanged", None) == w.n_unchanged:
        idx = (getattr(rep, "details", None) or {}).get("unchanged_index")
        if isinstance(idx, list) and all(isinstance(i, (int, np.integer)) for i in idx):
            return [int(i) for i in idx]
    return list(w.rows) if copies is None else None


def _note_warning(report: RunReport, w: Warning, aug: Augmenter, rows: np.ndarray | None,
                  copies: np.ndarray | None, fresh: Any) -> None:
    """Add a batch's warning to ``report.warnings``. A counted one (:class:`UnchangedWarning`, "Name: k
    of n ..., first rows: [...]") is summed over the batches into one line (:func:`finish_warnings`), its
    rows named as input rows (``source_index`` numbering), not positions in the batch; any other is kept
    once. ``fresh``: the ``report_`` the augmenter set in this batch, or None."""
    if not isinstance(w, UnchangedWarning):
        if str(w) not in report.warnings:
            report.warnings.append(str(w))
        return
    key = (w.name, w.reason, w.rows is None, w.rest)
    entry = report.counted.get(key)
    if entry is None:
        entry = report.counted[key] = {"warning": w, "k": 0, "n": 0, "rows": [], "complete": True,
                                       "per_input": True, "text": None}
    entry["k"] += w.n_unchanged
    entry["n"] += w.n_total
    # "of n": the augmenter's inputs of the batch (its report_.n_inputs): the file-wide count is then known
    entry["per_input"] = entry["per_input"] and w.name == type(aug).__name__ and fresh is not None \
        and getattr(fresh, "n_inputs", None) == w.n_total
    if w.rows is not None:
        pos = _unchanged_positions(aug, w, copies, fresh)
        if pos is None or rows is None or any(not 0 <= i < len(rows) for i in pos):
            entry["complete"] = False
        else:
            entry["complete"] = entry["complete"] and len(pos) >= w.n_unchanged
            entry["rows"] = sorted(set(entry["rows"]) | {int(rows[i]) for i in pos})[:_SHOWN_ROWS + 1]
    _render_counted(report, entry)


def _render_counted(report: RunReport, entry: dict) -> None:
    """Write (or rewrite in place) the line of a counted warning in ``report.warnings``."""
    w = entry["warning"]
    named = ""
    if w.rows is not None:
        shown = entry["rows"][:_SHOWN_ROWS]
        more = len(entry["rows"]) > _SHOWN_ROWS or not entry["complete"]
        names = ", ".join(map(str, shown)) + (", ..." if more and shown else "")
        named = f"input rows {names}" if shown else "input rows not known"
    total = report.drawn.get(w.name) if entry["per_input"] else None
    of = f"{total}" if total is not None and total >= entry["n"] else f"{entry['n']} (in the batches that had any)"
    text = w.text(entry["k"], of, named)
    if entry["text"] in report.warnings:
        report.warnings[report.warnings.index(entry["text"])] = text
    else:
        report.warnings.append(text)
    entry["text"] = text


def finish_warnings(report: RunReport) -> None:
    """At the end of a run: the counted warnings' lines with the file-wide counts (the batches
    without such a warning included in the "of n")."""
    for entry in report.counted.values():
        _render_counted(report, entry)


def _augment_quiet(aug: Augmenter, X: Any, y: Any, n_aug: int, report: RunReport,
                   copies: np.ndarray | None = None, rows: np.ndarray | None = None,
                   **inputs: Any) -> tuple[Any, Any, np.ndarray]:
    """``aug.augment(X, y, n_aug, **inputs)``, or ``copies[i]`` copies of row ``i`` in a balanced run,
    with the warnings collected into ``report`` (:func:`_note_warning`; ``rows``: the input row of each
    sample of ``X``, which the warnings name; ``inputs``: the modality's call inputs, series' ``lengths``)."""
    before = getattr(aug, "report_", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if copies is None:
            X_aug, y_aug, src = aug.augment(X, y, n_aug=n_aug, **inputs)
        else:
            from ..core.balance import augment_copies

            X_aug, y_aug, src = augment_copies(aug, X, y, copies, **inputs)
    rep = getattr(aug, "report_", None)
    fresh = rep if rep is not None and rep is not before else None  # report_ keeps an older call's report
    if fresh is not None and isinstance(getattr(fresh, "n_inputs", None), (int, np.integer)):
        name = type(aug).__name__
        report.drawn[name] = report.drawn.get(name, 0) + int(fresh.n_inputs)
    for w in caught:
        _note_warning(report, w.message, aug, rows, copies, fresh)
    if fresh is not None:
        report.unchanged += int(getattr(fresh, "n_unchanged", 0) or (fresh.get("n_unchanged", 0) if isinstance(fresh, dict) else 0))
    return X_aug, y_aug, np.asarray(src, dtype=np.int64)


def _hard_labels(aug: Augmenter, y: Any, y_aug: Any) -> Any:
    if y_aug is None:
        return None
    return aug.resample_labels(y, y_aug)


def _needs_statistics(aug: Augmenter) -> list[Augmenter]:
    """Augmenters in ``aug`` that measure the data (``partial_fit``) and have not been fitted yet."""
    return [a for a in aug._descendants() if needs_statistics(a)]


def lone_sample_error(mixer: Augmenter, what: str) -> ValueError:
    """The error for an input of a single ``what`` (row, series) given to a mixing augmenter."""
    return ValueError(
        f"the input holds a single {what}: {type(mixer).__name__} mixes each {what} with another one and has "
        "nothing to mix it with (it needs at least 2)"
    )


def check_text_column(texts: Any, column: str, error: type = ValueError) -> None:
    """Refuse a text column holding anything but str (a parquet list or boolean: never its Python
    repr), naming the first such row by its index: one C-level type scan, the row looked for only
    when it fails."""
    values = texts.tolist()
    if set(map(type, values)) <= {str}:
        return
    for r, v in zip(texts.index.tolist(), values):
        if not isinstance(v, str):
            v = v.item() if isinstance(v, np.generic) else v  # True, not np.True_
            raise error(f"row {r}: column {column!r} holds {v!r:.80}; expected text")


def check_label_column(df: Any, label_column: str | None) -> None:
    """``--label-column`` must name a column of the input (for every modality: a misspelled name is
    never ignored)."""
    if label_column is not None and label_column not in df.columns:
        raise ValueError(f"--label-column {label_column!r} is not in the input{io.column_hint([label_column], df.columns)}; "
                         f"columns are {list(df.columns)}")


_NO_COLUMNS = {
    ".npy": "it holds the series only; labels need an .npz with x and y",
    ".npz": "it holds the series x and their labels y",
    ".pt": "it holds graphs, each with its labels y",
}


def check_column_options(input_path: str | os.PathLike, aug: Augmenter | None = None, *, column: str | None = None,
                         label_column: str | None = None, feature_columns: list[str] | None = None) -> None:
    """The column options must apply to the input and the augmenter (``aug``; None: no augmenter, as
    for ``multiaug evaluate``), so that none is ever ignored: an array (.npy/.npz) or graph (.pt) input
    has no columns, so ``--column``, ``--label-column`` and ``--columns`` are refused there; on a table,
    ``--column`` is a text augmenter's and ``--columns`` a tabular augmenter's (without an augmenter:
    one of them, not both). A ``ValueError`` naming the option otherwise. Whether the names are
    columns of the table is checked where the table is read (:func:`check_label_column`, ...)."""
    cols = ",".join(feature_columns) if feature_columns else None
    given = [f"{flag} {value!r}" for flag, value in (("--column", column), ("--label-column", label_column),
                                                     ("--columns", cols)) if value]
    if not given:
        return
    kind = io.kind_of(input_path, "input")
    if kind != "table":
        suffix = Path(input_path).suffix.lower()
        what = " and ".join(given) + (" are" if len(given) > 1 else " is")
        raise ValueError(f"{what} for tables (csv, jsonl, parquet): a {suffix} file has no columns "
                         f"({_NO_COLUMNS.get(suffix, 'it is no table')})")
    if aug is None:
        if column and cols:
            raise ValueError("give --column (a text column) or --columns (feature columns), not both")
        return
    name, modality = type(aug).__name__, aug.modality
    if column and modality != "text":
        hint = {"tabular": " (its feature columns: --columns)",
                "tagged": " (it reads --tokens-column and --tags-column)"}.get(modality, "")
        raise ValueError(f"--column {column!r} is for text augmenters (the column that holds the text); "
                         f"{name} works on {modality} data{hint}")
    if cols and modality != "tabular":
        hint = {"text": " (its text column: --column)",
                "tagged": " (it reads --tokens-column and --tags-column)"}.get(modality, "")
        raise ValueError(f"--columns {cols!r} is for tabular augmenters (the feature columns); "
                         f"{name} works on {modality} data{hint}")


def _with_partners(batches: Any, mixer: Augmenter | None, what: str):
    """Yield ``(batch, partners)``: ``partners`` is None, or, for a one-row batch of a mixing
    augmenter, the previous batch (the next one for the first batch)."""
    it = iter(batches)
    prev, ahead = None, []
    while True:
        cur = ahead.pop() if ahead else next(it, None)
        if cur is None:
            return
        partners = None
        if mixer is not None and len(cur) < 2:
            partners = prev
            if partners is None:
                nxt = next(it, None)
                if nxt is None:
                    raise lone_sample_error(mixer, what)
                ahead.append(nxt)
                partners = nxt
        yield cur, partners
        prev = cur


def _same_labels(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        try:
            return bool(np.array_equal(a.astype(np.float64), b.astype(np.float64), equal_nan=True))
        except (TypeError, ValueError):
            return False
    if a.dtype == object or b.dtype == object:  # may hold pd.NA/None/NaN (nullable string/boolean columns)
        import pandas as pd

        na_a, na_b = np.asarray(pd.isna(a), dtype=bool), np.asarray(pd.isna(b), dtype=bool)
        if not np.array_equal(na_a, na_b):
            return False
        return bool(np.array_equal(a[~na_a], b[~na_b]))
    return bool(np.array_equal(a, b))


def _label_array(col: Any) -> np.ndarray:
    """The label column as the augmenters take it (nullable integer/float columns -> float with NaN;
    a column passed through as read, text or JSON values, -> numbers when they all are, as pandas
    would have read it)."""
    import pandas as pd

    if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
        try:
            num = pd.to_numeric(col)
        except (ValueError, TypeError):
            pass
        else:
            if not pd.api.types.is_bool_dtype(num.dtype):
                col = num
    if isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(col.dtype) \
            and not pd.api.types.is_bool_dtype(col.dtype):
        if col.isna().any():
            return col.to_numpy(dtype=np.float64, na_value=np.nan)
        return col.to_numpy(dtype=np.int64 if pd.api.types.is_integer_dtype(col.dtype) else np.float64)
    return col.to_numpy()


def _integral_with_missing(col: Any) -> bool:
    import pandas as pd

    if not pd.api.types.is_float_dtype(col.dtype):
        return False
    v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    nan = np.isnan(v)
    return bool(nan.any()) and bool(np.all(v[~nan] == np.round(v[~nan])))


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
    partners: Any = None,
    integer_labels: bool | None = None,
    copies: np.ndarray | None = None,
    tagged_columns: tuple[str, str] | None = None,
) -> Any:
    """Augment one DataFrame batch (its index = global row numbers) and return the output rows.

    ``partners``: rows (another batch, same columns, index = their global row numbers) augmented
    together with ``df`` so that a mixing augmenter has rows to mix a one-row batch with; only the
    rows of ``df`` and their augmented copies are returned. ``integer_labels``: write a label column
    with missing cells as nullable integers (True), as read (False), or decide from the values
    (None: whole numbers with missing cells are integers). ``copies``: augmented copies per row of
    ``df`` (a balanced run) instead of ``n_aug`` each. Text augmenters get the label column as ``y``
    when there is one (``LabelConsistent`` checks it). Tagged augmenters read the sentences from the
    list columns ``tagged_columns`` (tokens, tags; default ``("tokens", "tags")``) and write theirs there."""
    import pandas as pd

    report = report if report is not None else RunReport()
    work = df
    if partners is not None and len(partners):
        work = pd.concat([partners, df] if partners.index[0] < df.index[0] else [df, partners])
    own = work.index.isin(df.index)
    check_label_column(df, label_column)
    if aug.modality == "text":
        if column is None:
            raise ValueError("--column is required for text augmenters (the column that holds the text); "
                             f"columns are {list(df.columns)}")
        if column not in df.columns:
            raise ValueError(f"--column {column!r} is not in the input{io.column_hint([column], df.columns)}; columns are "
                             f"{list(df.columns)}")
        texts = work[column]
        check_text_column(texts, column)
        report.empty_texts += int((df[column].str.strip() == "").sum())
        y_text = _label_array(work[label_column]) if label_column is not None else None
        X_aug, _, src = _augment_quiet(aug, texts.tolist(), y_text, n_aug, report, copies, work.index.to_numpy())
        out = work.iloc[src].copy()
        out[column] = list(X_aug)
    elif aug.modality == "tagged":
        tok_col, tag_col = _tagged_columns(*(tagged_columns or ()))
        tokens, tags = io.tagged_rows(work, tok_col, tag_col)
        own_rows = np.flatnonzero(own)  # the rows of df among work's, for the originals below
        tagged_own = ([tokens[i] for i in own_rows], [tags[i] for i in own_rows])
        y_rows = _label_array(work[label_column]) if label_column is not None else None
        X_aug, _, src = _augment_quiet(aug, {"tokens": tokens, "tags": tags}, y_rows, n_aug, report, copies,
                                       work.index.to_numpy())
        out = work.iloc[src].copy()
        out[tok_col] = pd.Series(X_aug["tokens"], index=out.index, dtype=object)
        out[tag_col] = pd.Series(X_aug["tags"], index=out.index, dtype=object)
    elif aug.modality == "tabular":
        feats = feature_columns
        if not feats:
            feats, skipped = io.default_feature_columns(df.columns, label_column, (SOURCE_INDEX, IS_AUGMENTED),
                                                        io.index_columns(df))
            note = io.unnamed_note(skipped) if skipped else None
            if note is not None and note not in report.warnings:
                report.warnings.append(note)
        missing = [c for c in feats if c not in df.columns]
        if missing:
            raise ValueError(f"--columns {missing} are not in the input{io.column_hint(missing, df.columns)}; columns are "
                             f"{list(df.columns)}")
        X = work[feats]
        y = None
        if label_column is not None:
            y = _label_array(work[label_column])
            mixer = mixer_of(aug)
            if mixer is not None:
                na = np.asarray(pd.isna(work[label_column]))
                if na.any():
                    row = int(work.index[int(na.nonzero()[0][0])])
                    raise ValueError(
                        f"row {row}: --label-column {label_column!r} is missing; {type(mixer).__name__} mixes labels, "
                        "so every row needs one (fill or drop that row)"
                    )
        X_aug, y_aug, src = _augment_quiet(aug, X, y, n_aug, report, copies, work.index.to_numpy())
        out = work.iloc[src].copy()
        X_aug = X_aug if isinstance(X_aug, pd.DataFrame) else pd.DataFrame(np.asarray(X_aug), columns=feats)
        for c in feats:
            out[c] = X_aug[c].array  # its own dtype (category, nullable Int64...), placed by position
        if label_column is not None:
            labels = np.asarray(_hard_labels(aug, y, y_aug))
            if not _same_labels(labels, y[src]):  # changed by the augmenter (mixed targets)
                out[label_column] = labels
            # unchanged labels keep the column as read (out holds the source rows' cells)
    else:
        raise ValueError(
            f"augmenter {type(aug).__name__} works on {aug.modality} data; csv/jsonl/parquet files hold text or tables"
        )
    out[SOURCE_INDEX] = work.index.to_numpy()[src]
    out[IS_AUGMENTED] = True
    out = out[own[src]]
    _note_balanced(report, out[SOURCE_INDEX].to_numpy())
    parts = []
    if not exclude_original:
        orig = df.copy()
        if aug.modality == "tagged":
            # the originals in the scheme the augmented rows are in (IOB1 input comes back as BIO from
            # the augmenter: one file, one scheme); a sentence already valid in it is written as read
            tokens, tags = tagged_own
            valid = aug.handler.check({"tokens": tokens, "tags": tags}, aug)[0].tags
            fixed = [i for i, (a, b) in enumerate(zip(tags, valid)) if list(a) != list(b)]
            if fixed:
                col = orig[tag_col].copy()
                for i in fixed:
                    col.iat[i] = valid[i]
                orig[tag_col] = col
        orig[SOURCE_INDEX] = df.index.to_numpy()
        orig[IS_AUGMENTED] = False
        parts.append(orig)
    parts.append(out)
    res = pd.concat(parts, ignore_index=True)
    if label_column is not None and aug.modality == "tabular":
        col = res[label_column]
        if integer_labels is None:
            integer_labels = _integral_with_missing(df[label_column])
        if integer_labels and _integral_with_missing(col):
            res[label_column] = col.astype("Int64")
    report.rows_in += len(df)
    report.rows_out += len(res)
    report.rows_augmented += len(out)
    return res


_INT_TEXT = re.compile(r"\s*[+-]?\d+\s*")


def _file_label_is_integer(inp: Path, label_column: str) -> bool | None:
    """Whether the label column of the file holds integers (for its cells pandas reads as floats):
    csv: every non-missing cell's text is an integer; parquet: an integer schema type; else None."""
    import pandas as pd

    suffix = io.format_suffix(inp)  # (.csv for data.csv.gz: pandas reads it compressed)
    if suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        schema = pq.read_schema(inp)
        if label_column not in schema.names:
            return None
        return bool(pa.types.is_integer(schema.field(label_column).type))
    if suffix == ".csv":
        try:
            from pandas._libs.parsers import STR_NA_VALUES as na_tokens
        except ImportError:  # pragma: no cover - older/newer pandas
            na_tokens = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None", "<NA>", "n/a", "-NaN", "-nan"}
        for chunk in pd.read_csv(inp, usecols=[label_column], dtype=str, keep_default_na=False, chunksize=1 << 16):
            for v in chunk[label_column]:
                if v not in na_tokens and not _INT_TEXT.fullmatch(v):
                    return False
        return True
    return None


def _note_balanced(report: RunReport, sources: np.ndarray) -> None:
    """Count the augmented rows written per input row of a balanced run."""
    if report.balance_done is not None and len(sources):
        np.add.at(report.balance_done, np.asarray(sources, dtype=np.int64), 1)


def balance_plan(aug: Augmenter, inp: Path, kind: str, opts: RunOptions) -> tuple[np.ndarray, dict, np.ndarray]:
    """``(labels, asked per class, copies per row)`` of a balanced run: the class counts of the whole
    file turned into augmented copies per row (:mod:`multiaug.core.balance`), seeded by the run's
    seed (else the augmenter's stream)."""
    import torch

    from ..core.balance import check_balanceable, class_labels, class_targets, copies_per_sample
    from ..core.seeding import mix_seeds

    check_balanceable(aug)
    if opts.n_aug is not None:
        raise ValueError("give n_aug or balance, not both (balancing sets the copies of each row from the class counts)")
    if kind == "table":
        lab = opts.label_column
        if lab is None:
            raise ValueError("--balance needs --label-column (the classes to balance)")
        parts = []
        for df in io.iter_table(inp, 1 << 16, **_text_kw(aug, opts.column)):
            check_label_column(df, lab)
            parts.append(_label_array(df[lab]))
        labels = np.concatenate(parts) if parts else np.zeros(0)
    elif kind == "array":
        _, y = io.read_array(inp, mmap=True)
        if y is None:
            raise ValueError(f"--balance needs labels: {str(inp)!r} holds no y array (save an .npz with x and y)")
        labels = np.asarray(y)
    else:
        ys = []
        for i, g in enumerate(io.read_graphs(inp)):
            gy = getattr(g, "y", None)
            if gy is None or gy.numel() != 1:
                raise ValueError(f"--balance needs one class label per graph (graph {i} has y={gy!r:.60}); graph classification only")
            ys.append(gy.view(-1)[0].item())
        labels = np.asarray(ys)
    labels = class_labels(labels, "--balance")
    need = class_targets(opts.balance, labels)
    gen = torch.Generator().manual_seed(mix_seeds(opts.seed, 0x62616C)) if opts.seed is not None else aug.generator("cpu")
    return labels, dict(need), copies_per_sample(labels, need, gen)


def _balance_summary(report: RunReport, plan: tuple[np.ndarray, dict, np.ndarray]) -> None:
    labels, need, _ = plan
    done = report.balance_done
    got = {c: int(done[labels == c].sum()) for c in need}
    short = {c: need[c] - got[c] for c in need if need[c] > got[c]}
    report.balance = {"asked": need, "generated": got, "shortfall": short}
    if not any(need.values()):  # an empty run is said, not left to be puzzled over
        counts = {c: int((labels == c).sum()) for c in need}
        report.warnings.insert(0, f"--balance: the classes are already balanced as asked (counts {counts}); "
                                  "no augmented rows to add")
    if short:
        report.warnings.insert(0, f"--balance: {sum(short.values())} augmented rows missing (per class {short}): "
                                  "outputs dropped as unchanged or rejected by the consistency model")


_FIT_UNITS = {"timeseries": "series", "tabular": "rows", "text": "texts", "tagged": "sentences", "graph": "graphs"}


def _fit_size(X: Any) -> int | None:
    """How many samples ``X`` (as the engine loads it for ``fit``) holds: rows, series, sentences, graphs."""
    if isinstance(X, dict):  # tagged sentences
        X = X.get("tokens")
    n = getattr(X, "num_graphs", None)  # a PyG batch of graphs
    if n is not None:
        return int(n)
    try:
        return len(X)
    except TypeError:
        return None


def _fit_iterations(aug: Augmenter) -> int | None:
    """The training iterations of a learned augmenter's ``fit`` (``n_iters``, AutoTCL's), when it says."""
    n = getattr(aug, "n_iters", None)
    if isinstance(n, int) and getattr(aug, "epochs", None) is None:
        return n
    return None


def _fit_if_needed(aug: Augmenter, load_all: Callable[[], tuple[Any, Any]], progress: bool | None = None) -> None:
    """Fit a learned, unfitted augmenter on the whole input: first a line on stderr saying so (a long fit,
    AutoTCL's training on a busy machine, would look like a hang otherwise), then the fit, with a progress
    bar over its iterations (``progress``: as :func:`_progress`) when its ``fit`` reports them
    (``callback=f(iteration, state)``)."""
    if not getattr(aug, "learned", False) or aug.__sklearn_is_fitted__():
        return
    X, y = load_all()
    name, size, iters = type(aug).__name__, _fit_size(X), _fit_iterations(aug)
    on = "" if size is None else f" on {size} {_FIT_UNITS.get(aug.modality, 'samples')}"
    print(f"multiaug: fitting {name}{on}{'' if iters is None else f' ({iters} iterations)'} before augmenting; "
          "a fitted one saved with --save DIR is reused with --load DIR", file=sys.stderr, flush=True)
    kw: dict[str, Any] = {}
    bar = None
    if iters is not None and "callback" in inspect.signature(aug.fit).parameters:
        from tqdm.auto import tqdm

        show = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=iters, unit="iter", desc=f"fitting {name}", disable=not show, dynamic_ncols=True)
        kw["callback"] = lambda it, state: bar.update(1)
    try:
        aug.fit(X, y, **kw) if y is not None else aug.fit(X, **kw)
    finally:
        if bar is not None:
            bar.close()


def _feature_frame(df: Any, label_column: str | None, feature_columns: list[str] | None) -> Any:
    return df[feature_columns or io.default_feature_columns(df.columns, label_column, (SOURCE_INDEX, IS_AUGMENTED),
                                                           io.index_columns(df))[0]]


def _text_kw(aug: Augmenter, column: str | None) -> dict[str, Any]:
    """``iter_table``/``read_table`` keywords: a text augmenter's column is read as plain strings."""
    return {"text_columns": [column]} if aug.modality == "text" and column is not None else {}


def _typed_columns(aug: Augmenter, label_column: str | None, feature_columns: list[str] | None) -> list[str] | None:
    """The columns a run reads with pandas' types (``iter_table``'s ``typed_columns``): a tabular
    augmenter's features and label (None: every column is a feature); none for text and tagged
    augmenters (their label passes through as read; :func:`_label_array` types it for ``y``)."""
    if aug.modality != "tabular":
        return []
    if feature_columns is None:
        return None
    return list(feature_columns) + ([label_column] if label_column is not None else [])


def _tagged_columns(tokens: str | None = None, tags: str | None = None) -> tuple[str, str]:
    """The token and tag list columns of tagged sentences (None: ``tokens``/``tags``)."""
    return tokens or io.TOKENS_COLUMN, tags or io.TAGS_COLUMN


def _per_token_columns(df: Any, tok_col: str, tag_col: str) -> list[str]:
    """Columns of a tagged batch other than the tokens and tags that hold, in every row, a list (array)
    as long as the row's tokens (a part-of-speech column): they pass through unedited."""
    if tok_col not in df.columns or not len(df):
        return []
    lengths = [len(t) if isinstance(t, (list, tuple, np.ndarray)) else -1 for t in df[tok_col]]
    out = []
    for c in df.columns:
        if c in (tok_col, tag_col):
            continue
        vals = df[c].tolist()
        if all(isinstance(v, (list, tuple, np.ndarray)) and len(v) == n for v, n in zip(vals, lengths)):
            out.append(str(c))
    return out


def fit_table_if_needed(aug: Augmenter, inp: Path, column: str | None, label_column: str | None,
                        feature_columns: list[str] | None, batch_size: int = 1 << 16,
                        tagged_columns: tuple[str, str] | None = None, progress: bool | None = None) -> None:
    """Fit a learned, unfitted augmenter on the whole table (the one step that reads it all at once;
    :func:`_fit_if_needed`),
    then stream the table through ``partial_fit`` of the augmenters that measure the data (column
    statistics of the whole file, never of one batch)."""

    def load_all():
        df = io.read_table(inp, **_text_kw(aug, column))
        check_label_column(df, label_column)
        mixer = mixer_of(aug)
        if mixer is not None and len(df) < 2:
            raise lone_sample_error(mixer, "row")
        y = _label_array(df[label_column]) if label_column else None
        if aug.modality == "tabular":
            return _feature_frame(df, label_column, feature_columns), y
        if aug.modality == "tagged":
            tokens, tags = io.tagged_rows(df, *_tagged_columns(*(tagged_columns or ())))
            return {"tokens": tokens, "tags": tags}, y
        return df[column].tolist(), y

    _fit_if_needed(aug, load_all, progress)
    pending = _needs_statistics(aug) if aug.modality == "tabular" else []
    if not pending:
        return
    rows = 0
    for df in io.iter_table(inp, batch_size):
        check_label_column(df, label_column)
        missing = [c for c in (feature_columns or []) if c not in df.columns]
        if missing:
            raise ValueError(f"--columns {missing} are not in the input{io.column_hint(missing, df.columns)}; columns are "
                             f"{list(df.columns)}")
        X = _feature_frame(df, label_column, feature_columns)
        for a in pending:
            a.partial_fit(X)
        rows += len(df)
    if rows < 2:
        raise ValueError(
            f"the input holds a single row: {type(pending[0]).__name__} scales by each column's spread, which one row "
            "does not have; fit it on training data first (save it and pass --load)"
        )


def augment_file(
    aug: Augmenter,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    options: RunOptions | None = None,
    **kwargs: Any,
) -> RunReport:
    """Augment ``input_path`` into ``output_path`` (kinds chosen by suffix); see the module doc.

    ``options``: a :class:`~multiaug.engines.options.RunOptions`, or its fields as keywords
    (``n_aug``, ``seed``, ``column``, ``label_column``, ``feature_columns``, ``batch_size``,
    ``exclude_original``, ``overwrite``, ``progress``); not both."""
    opts = RunOptions.from_call(options, kwargs, "augment_file")
    inp = io.check_input(input_path)
    out = io.check_output(output_path, inp, opts.overwrite)
    kind = io.kind_of(inp, "input")
    check_column_options(inp, aug, column=opts.column, label_column=opts.label_column,
                         feature_columns=opts.feature_columns)
    if kind == "table" and aug.modality == "tagged" and io.format_suffix(out) == ".csv":
        raise ValueError(f"output {str(out)!r}: tagged sentences (a list of tokens and a list of tags per row) "
                         "cannot be written to csv; write .conll, .jsonl or .parquet")
    report = RunReport()
    plan = None
    own = getattr(aug, "sampling_strategy", None)
    if opts.balance is None and own is not None:
        # the augmenter's own sampling_strategy balances the whole file, as --balance does (not batch by batch)
        if opts.n_aug is not None:
            raise ValueError(f"n_aug={opts.n_aug} does not apply: {type(aug).__name__} has sampling_strategy="
                             f"{own!r}, which sets each row's copies from the class counts; drop n_aug, or set "
                             "sampling_strategy to None for n_aug copies of every row")
        opts = replace(opts, balance=own)
    if opts.balance is not None:
        plan = balance_plan(aug, inp, kind, opts)
        report.balance_done = np.zeros(len(plan[0]), dtype=np.int64)
    n_aug = opts.n_aug_for(aug) if plan is None else 1
    if kind == "table":
        _augment_table_file(aug, inp, out, n_aug, opts, report, plan)
    elif kind == "array":
        _augment_array_file(aug, inp, out, n_aug, opts, report, plan)
    else:
        _augment_graph_file(aug, inp, out, n_aug, opts, report, plan)
    if plan is not None:
        _balance_summary(report, plan)
    finish_warnings(report)
    return report


def _augment_table_file(aug: Augmenter, inp: Path, out: Path, n_aug: int, opts: RunOptions, report: RunReport,
                        plan: Any = None) -> None:
    column, label_column, batch_size = opts.column, opts.label_column, opts.batch_size
    if aug.modality not in ("text", "tabular", "tagged"):
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; {inp.suffix} files hold text or tables")
    tagged_columns = _tagged_columns(opts.tokens_column, opts.tags_column)
    if inp.suffix.lower() in io.CONLL_SUFFIXES and (ncols := io.conll_columns(inp)) > 2:
        report.warnings.append(
            f"input {str(inp)!r} has {ncols} columns per token: the output holds the token (first) and the tag "
            f"(last) only; the {ncols - 2} middle column(s) (e.g. part-of-speech and chunk tags) are dropped, originals "
            "included, as they would not match augmented sentences"
        )

    fit_table_if_needed(aug, inp, column, label_column, opts.feature_columns, batch_size=max(batch_size, 1 << 12),
                        tagged_columns=tagged_columns, progress=opts.progress)
    first = True
    integer_labels: list[bool | None] = []  # decided once, when a batch first needs it

    def labels_integer(df):
        if label_column is None or label_column not in df.columns or not _integral_with_missing(df[label_column]):
            return None
        if not integer_labels:
            integer_labels.append(_file_label_is_integer(inp, label_column))
        return integer_labels[0]

    batches = io.iter_table(inp, batch_size, typed_columns=_typed_columns(aug, label_column, opts.feature_columns),
                            **_text_kw(aug, column))
    like = io.input_schema(inp) if out.suffix.lower() == ".parquet" else None
    with io.atomic_output(out) as tmp, io.TableWriter(tmp, fmt=out.suffix, like=like) as writer, \
            _progress(io.count_rows(inp), opts.progress) as bar:
        for df, partners in _with_partners(batches, mixer_of(aug), "row"):
            if first:
                first = False
                for c in (SOURCE_INDEX, IS_AUGMENTED):
                    if c in df.columns:
                        raise ValueError(f"input already has a {c!r} column (is it an augmented file?); rename it first")
                if aug.modality == "tagged":
                    per_token = _per_token_columns(df, *_tagged_columns(*(tagged_columns or ())))
                    if per_token:
                        report.warnings.append(
                            f"column(s) {per_token} hold one entry per token in every row of the first batch: they are "
                            "copied from the source sentence to its augmented rows as they are, so they do not follow "
                            "the tokens the augmenter moved, replaced, inserted or deleted"
                        )
            _reseed(aug, opts.seed, int(df.index[0]))
            writer.write(
                augment_table_batch(
                    aug, df, n_aug=n_aug, column=column, label_column=label_column,
                    feature_columns=opts.feature_columns, exclude_original=opts.exclude_original, report=report,
                    partners=partners, integer_labels=labels_integer(df),
                    copies=None if plan is None else plan[2][df.index.to_numpy()], tagged_columns=tagged_columns,
                )
            )
            bar.update(len(df))
        if first:
            raise ValueError(f"input {str(inp)!r} has no rows")
    if report.empty_texts:
        report.warnings.insert(0, f"column {column!r}: {report.empty_texts} row(s) hold empty text (kept as they are, not augmented)")


# --------------------------------------------------------------------------------------------------
# Arrays: time series
# --------------------------------------------------------------------------------------------------


def file_lengths(inp: Path, extras: dict[str, np.ndarray], X: np.ndarray, aug: Augmenter) -> np.ndarray | None:
    """The valid length of each series of an .npz (its ``lengths`` array: series padded at the end to a
    common length, as ``aug(x, lengths=...)`` takes them), checked against ``x``; None without one."""
    lengths = extras.get("lengths")
    if lengths is None:
        return None
    from ..timeseries.base import _channels_last

    n, t = X.shape[0], X.shape[1 if X.ndim == 3 and _channels_last(aug) else -1]
    arr = np.asarray(lengths)
    if arr.shape != (n,) or arr.dtype.kind not in "iu" or (n and (arr.min() < 1 or arr.max() > t)):
        got = f"shape {arr.shape}, dtype {arr.dtype}"
        if arr.shape == (n,) and arr.dtype.kind in "iu":
            bad = np.flatnonzero((arr < 1) | (arr > t))
            got = f"lengths[{bad[0]}] = {arr[bad[0]]}"
        raise ValueError(f"input {str(inp)!r}: its lengths array holds the valid length of each series: expected {n} "
                         f"integers in [1, {t}] (one per series of x, {t} the padded length), got {got}")
    if getattr(aug, "learned", False) and not aug.__sklearn_is_fitted__():
        raise ValueError(f"input {str(inp)!r} holds lengths (variable-length series): {type(aug).__name__} would be "
                         "fitted on whole series, padding included; fit it on equal-length series and save it "
                         "(--save), then use it with --load")
    return arr.astype(np.int64, copy=False)


def _augment_array_file(aug: Augmenter, inp: Path, out: Path, n_aug: int, opts: RunOptions, report: RunReport,
                        plan: Any = None) -> None:
    seed, batch_size, exclude_original = opts.seed, opts.batch_size, opts.exclude_original
    if aug.modality != "timeseries":
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; {inp.suffix} files hold time series")
    X, y, extras = io.read_arrays(inp, mmap=True)
    if X.ndim not in (2, 3):
        raise ValueError(f"input {str(inp)!r}: expected series of shape (N, T) or (N, C, T), got {X.shape}")
    row_shape = X.shape[1:]  # of each output row, as in the input
    if X.ndim == 2:
        from ..timeseries.base import _channels_last

        if _channels_last(aug):
            raise ValueError(f"input {str(inp)!r}: a 2-D array file holds one univariate series per row (N, T) = "
                             f"{X.shape}; channels_last=True is for 3-D (N, T, C) files, leave it False here")
        # each row is a univariate series: given to the augmenter as (N, 1, T), the layout (N, T) is read
        # as, so a file of short series is never taken for one channels-last series
        X = X[:, None, :]
    if y is not None and len(y) != len(X):
        raise ValueError(f"input {str(inp)!r}: y has {len(y)} entries but x has {len(X)} series")
    N = X.shape[0]
    if N == 0:
        raise ValueError(f"input {str(inp)!r} has no series (x has shape {(0,) + row_shape})")
    for k in (SOURCE_INDEX, IS_AUGMENTED):
        if k in extras:
            raise ValueError(f"input already has a {k!r} array (is it an augmented file?); rename it first")
    if out.suffix.lower() == ".npy" and (y is not None or extras):
        held = (["y"] if y is not None else []) + list(extras)
        raise ValueError(f"output {str(out)!r}: a .npy file holds the series only, but the input also holds {held}; "
                         "write .npz to keep them (with source_index and is_augmented)")
    lengths = file_lengths(inp, extras, X, aug)
    _fit_if_needed(aug, lambda: (np.array(X), y), opts.progress)
    per_batch = (0 if exclude_original else 1) + n_aug
    total = N * per_batch if plan is None else (0 if exclude_original else N) + int(plan[2].sum())
    src_all = np.empty(total, dtype=np.int64)
    isaug_all = np.empty(total, dtype=bool)
    y_parts = []
    with io.atomic_output(out) as tmp, _progress(N, opts.progress) as bar:
        dest = None
        if out.suffix.lower() == ".npy":
            dest = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.result_type(X.dtype, np.float32), shape=(total,) + row_shape)
        else:
            dest = np.empty((total,) + row_shape, dtype=np.result_type(X.dtype, np.float32))
        pos = 0
        mixer = mixer_of(aug)
        if mixer is not None and N < 2:
            raise lone_sample_error(mixer, "series")
        for start in range(0, N, batch_size):
            xb = np.array(X[start : start + batch_size])  # a copy: the memory-mapped input is read-only
            yb = None if y is None else np.asarray(y[start : start + batch_size])
            kw = {} if lengths is None else {"lengths": lengths[start : start + batch_size]}
            _reseed(aug, seed, start)
            if mixer is not None and len(xb) < 2:
                # a lone series: mixed with the previous batch (the next one for the first batch)
                lo, hi = (max(0, start - batch_size), start) if start > 0 else (start + 1, start + 1 + batch_size)
                ctx_x = np.array(X[lo:hi])
                ctx_y = None if y is None else np.asarray(y[lo:hi])
                before = lo < start
                xe = np.concatenate([ctx_x, xb] if before else [xb, ctx_x])
                ye = None if y is None else np.concatenate([ctx_y, yb] if before else [yb, ctx_y])
                if lengths is not None:
                    kw = {"lengths": np.concatenate([lengths[lo:hi], kw["lengths"]] if before else
                                                    [kw["lengths"], lengths[lo:hi]])}
                X_aug, y_aug, src = _augment_quiet(aug, xe, ye, n_aug, report, None,
                                                   np.r_[lo:hi, start:start + len(xb)] if before else
                                                   np.r_[start:start + len(xb), lo:hi], **kw)
                own = len(ctx_x) if before else 0
                keep = (src >= own) & (src < own + len(xb))
                X_aug = np.asarray(X_aug)[keep]
                if y_aug is not None:
                    y_aug = _hard_labels(aug, ye, y_aug)
                    y_aug = np.asarray(y_aug)[keep]
                src = src[keep] - own
                yb_labels = y_aug
            else:
                X_aug, y_aug, src = _augment_quiet(aug, xb, yb, n_aug, report,
                                                   None if plan is None else plan[2][start : start + len(xb)],
                                                   np.arange(start, start + len(xb)), **kw)
                yb_labels = _hard_labels(aug, yb, y_aug) if yb is not None else None
                _note_balanced(report, start + np.asarray(src, dtype=np.int64))
            blocks = [] if exclude_original else [(xb, np.arange(len(xb)), False, yb)]
            blocks.append((np.asarray(X_aug), src, True, yb_labels))
            for arr, s, is_aug, lab in blocks:
                k = len(arr)
                dest[pos : pos + k] = arr.reshape((k,) + row_shape)
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
            if pos < total:  # augmented series were dropped (e.g. rejected by LabelConsistent): shrink the file
                kept = np.array(dest[:pos])
                del dest
                np.save(tmp, kept)
            else:
                del dest
        else:
            with open(tmp, "wb") as fh:
                extra = {SOURCE_INDEX: src_all[:pos], IS_AUGMENTED: isaug_all[:pos]}
                if y_parts:
                    extra["y"] = np.concatenate(y_parts)
                for k, arr in extras.items():  # per series (first dimension N): one entry per output row
                    extra[k] = arr[src_all[:pos]] if arr.ndim >= 1 and arr.shape[0] == N else arr
                np.savez(fh, x=dest[:pos], **extra)


# --------------------------------------------------------------------------------------------------
# Graphs
# --------------------------------------------------------------------------------------------------


def _augment_graph_file(aug: Augmenter, inp: Path, out: Path, n_aug: int, opts: RunOptions, report: RunReport,
                        plan: Any = None) -> None:
    seed, batch_size, exclude_original = opts.seed, opts.batch_size, opts.exclude_original
    import torch

    from ..graph.base import as_batch, to_data_list, x_as_x_aug

    if aug.modality != "graph":
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; .pt files hold graphs")
    graphs = io.read_graphs(inp)
    _fit_if_needed(aug, lambda: (as_batch(graphs), None), opts.progress)
    result = []
    with _progress(len(graphs), opts.progress) as bar:
        for start in range(0, len(graphs), batch_size):
            chunk = graphs[start : start + batch_size]
            x = as_batch(chunk)
            _reseed(aug, seed, start)
            X_aug, _, src = _augment_quiet(aug, x, None, n_aug, report,
                                           None if plan is None else plan[2][start : start + len(chunk)],
                                           np.arange(start, start + len(chunk)))
            # LocalAugmentation's x_aug (k, nodes, F) cut per graph (PyG's to_data_list drops it)
            aug_list = list(X_aug) if isinstance(X_aug, list) else to_data_list(X_aug)
            like = next((g.x_aug for g in aug_list if "x_aug" in g), None)
            _note_balanced(report, start + np.asarray(src, dtype=np.int64))
            if not exclude_original:
                for i, g in enumerate(chunk):
                    g = g.clone()
                    if like is not None and "x_aug" not in g and g.x is not None:
                        # one attribute set per file: an original's x_aug is its own features, as augment gives it
                        g.x_aug = x_as_x_aug(g, like).clone()
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
