"""The Ray engine: augment a table (text or tabular) with Ray Data, on one machine or a cluster.

Needs Ray (``pip install "multiaug[ray]"``); the local engine does not. Used by
``multiaug augment --engine ray`` and, for library users, :func:`augment_dataset`::

    import ray
    from multiaug.engines.ray import augment_dataset
    ds = ray.data.read_parquet("s3://bucket/corpus/")
    out = augment_dataset(ds, EDA(), n_aug=2, seed=0, column="text")
    out.write_parquet("s3://bucket/augmented/")

Pipeline: ``read_*`` → a global row index (one light, ordered actor numbers the rows as they stream
past) → ``repartition(target_num_rows_per_block=batch_size, strict=True)`` (streaming; every block but
the last holds exactly ``batch_size`` rows, so blocks are the local engine's batches) →
``map_batches`` (augmentation; one CPU per task, or one GPU when the augmenter's device is CUDA) →
``write_*`` or a gather into one file by the driver.

Shipping the augmenter: workers get its configuration (:meth:`Augmenter.to_config`) and its fitted
state as safetensors bytes (what :meth:`Augmenter.save` writes), and rebuild it once per worker
process; the augmenter object itself is never pickled.

Reproducibility: every batch is reseeded from the run seed and the index of its first row with
:func:`multiaug.engines.local.batch_seed`, exactly as in the local engine, so for the same seed and
batch size the Ray engine produces the same rows as the local engine (csv pass-through columns are read
as the text of their cells on both; a jsonl file is read as lines that the workers parse as the local
engine does, and its batches stay pandas frames up to the writer, so every value keeps its JSON type:
an integer next to a null, an ISO date string, a column of mixed types; :func:`read_jsonl_lines`).
Should a batch that Ray hands to
a worker ever straddle two of those aligned batches, the worker splits it at the boundary and seeds
each part from its own first row, so results never depend on how Ray cut the blocks beyond that.

One-row batches of a mixing augmenter: as in the local engine, a lone last row (``N = k * batch_size
+ 1``) is mixed with partners from the previous batch; :func:`augment_path` reads that batch on the
driver and ships it with the task (``partners`` of :func:`augment_dataset`). ``batch_size=1`` with a
mixing augmenter is refused by the Ray engine (every batch would need its neighbour's rows; use
``--batch-size 2`` or more, or the local engine).

Output row order: the same as the local engine: batch by batch in input order; in each batch its
original rows (unless ``exclude_original``) then its augmented rows, copy by copy. The pipeline runs
with Ray Data's ``preserve_order`` on: the row numbering needs the blocks in input order, and it
keeps the output deterministic (the price: a slow batch holds back the ones after it). Lineage columns ``source_index`` (global row number of the input
row) and ``is_augmented`` are added as in the local engine.

Warnings: the workers' warnings (which rows an augmenter left unchanged, and why) stay in the workers;
:func:`augment_path` counts the augmented rows written against ``n_aug`` per input row and reports
a shortfall as one warning (:func:`note_shortfall`), pointing to the local engine for the details.

What OUTPUT means for ``--engine ray`` (see :func:`augment_path`):

* a file path with a table suffix (``out.csv``, ``out.jsonl``, ``out.parquet``; ``out.csv.gz`` and the
  like, compressed): the workers augment, the driver streams their batches, in order, into one file
  (written to a temporary file beside it, flushed to the disk and renamed at the end, as in the local
  engine);
* a path ending with ``/`` (or an existing directory, with ``--overwrite``): a directory of files written
  by the workers themselves (Ray's ``write_csv``/``write_json``/``write_parquet``, in the input's format,
  uncompressed); it is written into a temporary directory beside the target, flushed to the disk and
  renamed when complete, so a crash never leaves a half-written output directory.

Compressed inputs: csv and jsonl compressed with gzip or bzip2 (``in.csv.gz``, ``in.jsonl.bz2``) are read
by Ray (Arrow's codecs); Arrow has no xz codec, so an ``.xz`` input needs the local engine.

Parquet inputs: the workers get Arrow batches and make them frames as the local engine reads parquet
(:func:`multiaug.io.arrow_frame`: a null text cell is ``""``, integer columns with nulls are nullable
integers, integers inside list/struct cells stay integers next to a null, a stored pandas index is a
column), and hand Arrow back; the driver makes the batches frames the same way before writing, so the
output holds what the local engine writes (Ray's own frames hold Arrow-backed columns, whose nested
integers the writers made floats).
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import signal
import tempfile
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .. import io
from ..core import Augmenter
from .local import (
    IS_AUGMENTED,
    SOURCE_INDEX,
    RunReport,
    _file_label_is_integer,
    _progress,
    _text_kw,
    _typed_columns,
    augment_table_batch,
    batch_seed,
    check_column_options,
    fit_table_if_needed,
    lone_sample_error,
    mixer_of,
)
from .options import RunOptions

#: the global row index carried between the indexing and the augmentation stages
ROW_INDEX = "__multiaug_row__"
#: a jsonl input's lines (as text) and their line numbers, parsed by the workers (:func:`read_jsonl_lines`)
JSONL_LINE = "__multiaug_line__"
JSONL_LINENO = "__multiaug_lineno__"


def _import_ray():
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError("the ray engine needs Ray Data: pip install 'multiaug[ray]' (or 'ray[data]')") from None
    return ray


# --------------------------------------------------------------------------------------------------
# Shipping the augmenter: config + safetensors bytes, never the object
# --------------------------------------------------------------------------------------------------


def augmenter_payload(aug: Augmenter) -> dict[str, Any]:
    """``{"config", "fitted", "state"}``: the JSON config, fitted metadata and safetensors bytes."""
    from safetensors.torch import save as st_save

    tensors, meta = aug.fitted_state()
    payload = {"config": aug.to_config(), "fitted": meta, "state": st_save(tensors) if tensors else b""}
    json.dumps([payload["config"], payload["fitted"]])  # plain data only
    return payload


def augmenter_from_payload(payload: dict[str, Any]) -> Augmenter:
    """Rebuild what :func:`augmenter_payload` describes (as :meth:`Augmenter.load` does)."""
    from safetensors.torch import load as st_load

    aug = Augmenter.from_config(payload["config"])
    if payload.get("fitted") or payload.get("state"):
        tensors = st_load(payload["state"]) if payload.get("state") else {}
        aug.load_fitted_state(tensors, payload.get("fitted") or {})
    return aug


def _payload_key(payload: dict[str, Any]) -> str:
    h = hashlib.sha256(json.dumps([payload["config"], payload["fitted"]], sort_keys=True, default=str).encode())
    h.update(payload["state"])
    return h.hexdigest()


_WORKER_AUGMENTERS: dict[str, Augmenter] = {}


def _worker_augmenter(payload: dict[str, Any], key: str) -> Augmenter:
    """One augmenter per worker process and payload (Ray reuses worker processes across tasks)."""
    aug = _WORKER_AUGMENTERS.get(key)
    if aug is None:
        _WORKER_AUGMENTERS.clear()
        aug = _WORKER_AUGMENTERS[key] = augmenter_from_payload(payload)
    return aug


# --------------------------------------------------------------------------------------------------
# The two stages
# --------------------------------------------------------------------------------------------------


def _row_indexer() -> type:
    """The stage numbering rows as they stream past; run as ONE actor on an order-preserving dataset.

    Defined in a function so that Ray ships the class by value: the actor process does not import
    multiaug (nor torch) and starts in a moment."""

    class RowIndexer:
        def __init__(self) -> None:
            self.next = 0

        def __call__(self, batch: Any) -> Any:
            import numpy
            import pyarrow

            if ROW_INDEX in batch.column_names:
                raise ValueError(f"the dataset already has a column {ROW_INDEX!r}")
            n = batch.num_rows
            idx = pyarrow.array(numpy.arange(self.next, self.next + n, dtype=numpy.int64))
            self.next += n
            return batch.append_column(ROW_INDEX, idx)

    return RowIndexer


def split_points(rows: np.ndarray, batch_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` positions cutting ``rows`` (global row numbers, in order) at multiples of
    ``batch_size`` and wherever the numbering jumps, so each part lies inside one local-engine batch."""
    if len(rows) == 0:
        return []
    cut = np.flatnonzero((np.diff(rows // batch_size) != 0) | (np.diff(rows) != 1)) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [len(rows)]])
    return list(zip(starts.tolist(), stops.tolist()))


def _augment_udf(df: Any, *, payload: dict, key: str, n_aug: int, opts: RunOptions, partners: dict | None = None,
                 integer_labels: bool | None = None, jsonl: str | None = None, parquet: bool = False,
                 index: tuple = ()) -> Any:
    import pandas as pd

    aug = _worker_augmenter(payload, key)
    if parquet:  # an Arrow batch, made a frame as the local engine reads parquet
        df = io.arrow_frame(df, [opts.column] if aug.modality == "text" and opts.column is not None else [])
    rows = df[ROW_INDEX].to_numpy(dtype=np.int64)
    df = df.drop(columns=[ROW_INDEX])
    df.index = pd.Index(rows)
    if index:  # the parquet file's stored DataFrame index (Ray's blocks lose the metadata): passed through
        df.attrs[io.INDEX_COLUMNS_ATTR] = list(index)
    parts = []
    if jsonl is not None:  # the columns read as text and with pandas' types, as the local engine reads them
        text_columns = [opts.column] if aug.modality == "text" and opts.column is not None else []
        typed_columns = _typed_columns(aug, opts.label_column, opts.feature_columns)
    for s, e in split_points(rows, opts.batch_size):
        if opts.seed is not None:
            aug.reseed(batch_seed(opts.seed, int(rows[s])))
        part = df.iloc[s:e]
        if jsonl is not None:  # parsed batch by batch, as the local engine reads it
            part = io.jsonl_frame(part[JSONL_LINE].tolist(), part[JSONL_LINENO].tolist(), rows[s:e], text_columns,
                                  typed_columns, jsonl)
        integer = integer_labels if opts.label_column is not None and opts.label_column in part.columns else None
        parts.append(augment_table_batch(
            aug, part, n_aug=n_aug, column=opts.column, label_column=opts.label_column,
            feature_columns=opts.feature_columns, exclude_original=opts.exclude_original, report=RunReport(),
            partners=(partners or {}).get(int(rows[s])), integer_labels=integer,
        ))
    if not parts:
        df = df.drop(columns=[c for c in (JSONL_LINE, JSONL_LINENO) if c in df.columns])
        res = df.assign(**{SOURCE_INDEX: np.zeros(0, np.int64), IS_AUGMENTED: np.zeros(0, bool)})
    else:
        res = pd.concat(parts, ignore_index=True)
    if parquet:  # Arrow made here, as the parquet writer makes it (Ray would make list cells tensors of floats)
        import pyarrow as pa

        try:
            return pa.Table.from_pandas(res, preserve_index=False)
        except pa.ArrowException as e:  # a column of mixed types (an augmenter's output): one line, not a task error
            raise ValueError(f"output rows of input rows {int(rows[0])}-{int(rows[-1])}: cannot convert to Arrow: "
                             f"{' '.join(str(e).split())[:300]} (a parquet column has one type)") from None
    return res


def _wants_gpu(aug: Augmenter) -> bool:
    dev = getattr(aug, "device", None)
    return dev is not None and str(dev).startswith("cuda")


def augment_dataset(
    ds: Any,
    augmenter: Augmenter,
    options: RunOptions | None = None,
    *,
    num_gpus: float | None = None,
    concurrency: int | None = None,
    partners: dict[int, Any] | None = None,
    integer_labels: bool | None = None,
    jsonl: str | None = None,
    parquet: bool = False,
    index: Sequence[str] = (),
    **kwargs: Any,
) -> Any:
    """The augmented ``ray.data.Dataset`` (lazy) for ``ds``; see the module doc.

    ``options``: a :class:`~multiaug.engines.options.RunOptions` or its fields as keywords (``n_aug``,
    ``seed``, ``column``, ``label_column``, ``feature_columns``, ``batch_size``, ``exclude_original``;
    ``overwrite`` and ``progress`` do not apply to a dataset). ``augmenter`` must be fitted already if
    it is a learned one. ``num_gpus`` per task defaults to 1 when the augmenter's ``device`` is CUDA,
    else 0. ``concurrency`` caps the augmentation tasks running at once (default: as many as the
    cluster fits). ``partners``: ``{first row of a batch: DataFrame of partner rows}`` for one-row
    batches of a mixing augmenter (see the module doc); ``integer_labels``: see
    :func:`multiaug.engines.local.augment_table_batch`. ``jsonl``: ``ds`` holds the lines of a jsonl
    file as :func:`read_jsonl_lines` gives them, named ``jsonl`` (``"input 'in.jsonl'"``) in messages:
    the workers parse them as the local engine does, and the augmented batches go on as pandas
    frames, never through Arrow's type inference, so every value keeps its JSON type. ``parquet``: ``ds``
    was read from parquet (Arrow blocks): the workers make each batch a frame as the local engine reads
    parquet (:func:`multiaug.io.arrow_frame`: text column nulls as ``""``, integer columns with nulls as
    nullable integers, integers inside list/struct cells kept integers), not as Ray does (Arrow-backed
    columns, whose nested integers the writers would turn into floats); iterate the result with
    ``batch_format="pyarrow"`` and :func:`multiaug.io.arrow_frame` to get the local engine's frames."""
    from sklearn.exceptions import NotFittedError

    opts = RunOptions.from_call(options, kwargs, "augment_dataset")
    _refuse_local_only(opts, augmenter)
    ray = _import_ray()
    n_aug = opts.n_aug_for(augmenter)
    batch_size = opts.batch_size
    if augmenter.modality not in ("text", "tabular"):
        raise ValueError(f"augmenter {type(augmenter).__name__} works on {augmenter.modality} data; "
                         "the ray engine handles tables (text or tabular columns)")
    if getattr(augmenter, "learned", False) and not augmenter.__sklearn_is_fitted__():
        raise NotFittedError(f"{type(augmenter).__name__} is a learned augmenter: fit it before augment_dataset")
    payload = augmenter_payload(augmenter)
    gpus = (1.0 if _wants_gpu(augmenter) else 0.0) if num_gpus is None else float(num_gpus)

    indexed = ds.map_batches(_row_indexer(), batch_format="pyarrow", batch_size=None, num_cpus=0,
                             compute=ray.data.ActorPoolStrategy(size=1, max_tasks_in_flight_per_actor=1))
    blocks = indexed.repartition(target_num_rows_per_block=batch_size, strict=True)
    remote = {"num_gpus": gpus} if gpus else {"num_cpus": 1}
    out = blocks.map_batches(
        _augment_udf,
        batch_format="pyarrow" if parquet else "pandas",
        batch_size=batch_size,
        zero_copy_batch=False,
        fn_kwargs=dict(payload=payload, key=_payload_key(payload), n_aug=n_aug, opts=opts, partners=partners,
                       integer_labels=integer_labels, jsonl=jsonl, parquet=parquet, index=tuple(index)),
        concurrency=concurrency,
        **remote,
    )
    out.context.execution_options.preserve_order = True  # the row numbering needs blocks in input order
    if jsonl is not None:  # the workers' frames as they are (Arrow would make 1 next to null 1.0, fail on mixed types)
        out.context.batch_to_block_arrow_format = False
    return out


# --------------------------------------------------------------------------------------------------
# Files: `multiaug augment --engine ray`
# --------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None, progress: bool | None = False):
    """Use the running Ray, connect to ``address``, or start a local instance (shut down on exit)."""
    ray = _import_ray()
    started = False
    if not ray.is_initialized():
        kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR,
                                      configure_logging=True)
        # Ray Data's actor pools log a C++ notice about actor restarts at every run; keep the CLI quiet
        os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")
        # ray.init installs its own SIGTERM handler (sys.exit from the C++ side, with a stack dump);
        # the caller's (the CLI's: "terminated; no output written", exit 143) is put back
        main = threading.current_thread() is threading.main_thread()
        term = signal.getsignal(signal.SIGTERM) if main else None
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus, object_store_memory=1 << 30, **kwargs)
        if main and term is not None:
            signal.signal(signal.SIGTERM, term)
        started = True
    from ray.data import DataContext

    ctx = DataContext.get_current()
    old = (ctx.enable_progress_bars, ctx.print_on_execution_start)
    ctx.enable_progress_bars = bool(progress)
    ctx.print_on_execution_start = False
    # task failures come back as exceptions; Ray Data's own log line about them would repeat them
    loggers = {name: logging.getLogger(name) for name in ("ray", "ray.data")}
    levels = {name: lg.level for name, lg in loggers.items()}
    for lg in loggers.values():
        lg.setLevel(logging.CRITICAL)
    try:
        yield ray
    finally:
        ctx.enable_progress_bars, ctx.print_on_execution_start = old
        for name, lg in loggers.items():
            lg.setLevel(levels[name])
        if started:
            ray.shutdown()


def csv_passthrough_columns(path: str | os.PathLike, text_columns: list[str] | None,
                            typed_columns: list[str] | None) -> list[str]:
    """The columns of a csv read as their text (as :func:`multiaug.io.iter_table` reads them): neither
    the text column nor one of ``typed_columns`` (None: every column is typed)."""
    if typed_columns is None or io.format_suffix(path) != ".csv":
        return []
    return io.csv_column_roles(io.csv_header(path), text_columns, typed_columns)[1]


def _empty_to_null(columns: list[str]) -> Any:
    """A ``map_batches`` function (pyarrow batches) making the empty strings of ``columns`` missing.

    Defined in a function so that Ray ships it by value (the read tasks need not import multiaug)."""
    names = tuple(columns)

    def empty_to_null(batch: Any) -> Any:
        import pyarrow
        import pyarrow.compute

        for c in names:
            i = batch.schema.get_field_index(c)
            if i < 0:
                continue
            col = batch.column(i)
            blank = pyarrow.compute.equal(col, "")
            batch = batch.set_column(i, c, pyarrow.compute.if_else(blank, pyarrow.scalar(None, col.type), col))
        return batch

    return empty_to_null


def read_dataset(path: str | os.PathLike, text_columns: list[str] | None = None,
                 raw_columns: list[str] | None = None) -> Any:
    """``ray.data.read_csv`` / ``read_json(lines=True)`` / ``read_parquet`` chosen by suffix.

    ``text_columns`` (csv): read as strings with no NA conversion (``NA``/``null``/empty stay text),
    as the local engine reads a text augmenter's column. ``raw_columns`` (csv): pass-through columns
    read as the text of their cells (``007`` stays ``007``; :func:`csv_passthrough_columns`), an
    empty cell being a missing value, as the local engine reads them."""
    ray = _import_ray()
    p = Path(path)
    suffix = _ray_format(p)
    if suffix == ".csv":
        import pyarrow as pa
        from pyarrow import csv

        as_text = list(text_columns or []) + list(raw_columns or [])
        if as_text:
            # string columns keep their text (pyarrow cannot exempt only some of them from NA markers)
            opts = csv.ConvertOptions(strings_can_be_null=False, column_types={c: pa.string() for c in as_text})
            ds = ray.data.read_csv(str(p.resolve()), convert_options=opts, file_extensions=None)
            if raw_columns:
                ds = ds.map_batches(_empty_to_null(raw_columns), batch_format="pyarrow", batch_size=None)
            return ds
        # empty fields and NA/null/NaN markers become missing values, as with pandas (the local engine)
        return ray.data.read_csv(str(p.resolve()), convert_options=csv.ConvertOptions(strings_can_be_null=True),
                                 file_extensions=None)
    if suffix == ".jsonl":
        return ray.data.read_json(str(p.resolve()), lines=True, file_extensions=None)
    if suffix == ".parquet":
        return ray.data.read_parquet(str(p.resolve()))
    raise ValueError(f"input {str(p)!r}: the ray engine reads .csv, .jsonl or .parquet, got {suffix!r}")


#: compressions Ray reads (Arrow's codecs, chosen by Ray from the suffix); Arrow has no xz codec
RAY_COMPRESSIONS = (".gz", ".bz2")


def _ray_format(path: str | os.PathLike) -> str:
    """The format suffix of a file the Ray engine reads (``.csv`` for ``data.csv.gz``); a ``ValueError``
    for a compression Ray cannot read."""
    fmt, comp = io.split_suffix(path)
    if comp is not None and comp not in RAY_COMPRESSIONS:
        raise ValueError(f"input {str(path)!r}: the ray engine reads csv and jsonl compressed with "
                         f"{' or '.join(RAY_COMPRESSIONS)} (Arrow has no {comp[1:]} codec); use --engine local, or "
                         f"recompress it as {Path(path).stem}.gz")
    return fmt


def _jsonl_lines_datasource(path: str, where: str) -> Any:
    """A Ray datasource of the jsonl file ``path``'s lines (:func:`read_jsonl_lines`).

    Defined in a function so that Ray ships the class by value (the read tasks need not import multiaug)."""
    from ray.data.datasource import FileBasedDatasource

    class JsonlLines(FileBasedDatasource):
        def _read_stream(self, f: Any, path: str) -> Any:
            import pyarrow

            lines: list[str] = []
            numbers: list[int] = []
            lineno = 0
            rest = b""

            def add(raw: bytes) -> None:
                if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                    raw = raw[3:]
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as e:
                    raise ValueError(f"{where}, line {lineno}: not UTF-8 text ({e.reason})") from None
                if line.strip():  # blank lines hold no row
                    lines.append(line)
                    numbers.append(lineno)

            def block() -> Any:
                t = pyarrow.table({JSONL_LINE: pyarrow.array(lines, pyarrow.large_string()),
                                   JSONL_LINENO: pyarrow.array(numbers, pyarrow.int64())})
                lines.clear()
                numbers.clear()
                return t

            while True:
                chunk = f.read(1 << 22)
                if not chunk:
                    break
                *whole, rest = (rest + chunk).split(b"\n")  # on \n only: a JSON string may hold U+2028
                for raw in whole:
                    lineno += 1
                    add(raw)
                if len(lines) >= 1 << 14:
                    yield block()
            if rest:
                lineno += 1
                add(rest)
            if lines:
                yield block()

    return JsonlLines(path, file_extensions=None)


def read_jsonl_lines(path: str | os.PathLike) -> Any:
    """A Ray dataset of a jsonl file's lines, one row per non-blank line: columns ``JSONL_LINE`` (the
    text) and ``JSONL_LINENO`` (its line number, for messages), for :func:`augment_dataset`'s
    ``jsonl``: the workers parse them as the local engine does, so pass-through values keep their
    JSON type (pyarrow's JSON reader, :func:`read_dataset`, types them: an integer next to a null
    becomes a float, an ISO date a timestamp, and a column of mixed types fails)."""
    ray = _import_ray()
    p = Path(path)
    _ray_format(p)
    return ray.data.read_datasource(_jsonl_lines_datasource(str(p.resolve()), f"input {str(p)!r}"))


def _user_error(e: BaseException) -> BaseException | None:
    """The user's ValueError/TypeError raised inside a Ray task (a bad row, ...), else None."""
    seen = set()
    cur: BaseException | None = e
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if type(cur) in (ValueError, TypeError):
            return cur
        cause = getattr(cur, "cause", None)
        cur = cause if isinstance(cause, BaseException) else cur.__cause__
    # the chain does not always survive serialisation: read the worker's traceback text
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    found = re.findall(r"^(ValueError|TypeError): (.+)$", text, flags=re.M)
    if found:
        kind, msg = found[-1]
        return {"ValueError": ValueError, "TypeError": TypeError}[kind](msg)
    return None


def _is_dir_target(output_path: str | os.PathLike) -> bool:
    s = str(output_path)
    return s.endswith(("/", os.sep)) or Path(s).is_dir()


def _refuse_local_only(opts: RunOptions, aug: Augmenter | None = None) -> None:
    """Options the Ray engine cannot honour: refused, never ignored (an augmenter's own
    ``sampling_strategy`` balances a file as ``balance`` does)."""
    own = getattr(aug, "sampling_strategy", None)
    if opts.balance is not None or own is not None:
        what = "balance" if opts.balance is not None else f"{type(aug).__name__}'s sampling_strategy={own!r}"
        raise ValueError(f"{what} (class balancing over the whole file) needs the class counts of every row before "
                         "the first batch; the ray engine streams blocks independently: use the local engine")


def _validate_on_head(aug: Augmenter, inp: Path, n_aug: int, opts: RunOptions) -> None:
    """Run the first few rows on the driver: argument errors become one clear message, not a task error."""
    head = next(io.iter_table(inp, batch_size=8, **_text_kw(aug, opts.column)), None)
    if head is None:
        raise ValueError(f"input {str(inp)!r} has no rows")
    for c in (SOURCE_INDEX, IS_AUGMENTED, ROW_INDEX):
        if c in head.columns:
            raise ValueError(f"input already has a {c!r} column (is it an augmented file?); rename it first")
    probe = augmenter_from_payload(augmenter_payload(aug))  # also proves the augmenter ships
    mixer = mixer_of(aug)
    if mixer is not None and len(head) < 2:
        raise lone_sample_error(mixer, "row")
    augment_table_batch(probe, head, n_aug=n_aug, column=opts.column, label_column=opts.label_column,
                        feature_columns=opts.feature_columns, exclude_original=opts.exclude_original, report=RunReport())


def augment_path(
    aug: Augmenter,
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    options: RunOptions | None = None,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    **kwargs: Any,
) -> RunReport:
    """Augment a csv/jsonl/parquet file with Ray; OUTPUT is a file or a directory (see the module doc).

    ``options``: a :class:`~multiaug.engines.options.RunOptions` or its fields as keywords, as
    :func:`multiaug.engines.local.augment_file` takes them; ``address``/``num_cpus``: the Ray cluster
    to connect to, or the CPUs of the local instance started for the run."""
    opts = RunOptions.from_call(options, kwargs, "augment_path")
    _refuse_local_only(opts, aug)
    _import_ray()
    n_aug = opts.n_aug_for(aug)
    batch_size, column, label_column = opts.batch_size, opts.column, opts.label_column
    dir_mode = _is_dir_target(output_path)
    inp = io.check_input(input_path)
    if dir_mode:
        out = io.check_output(str(output_path).rstrip("/").rstrip(os.sep) or ".", inp, opts.overwrite, directory=True)
    else:
        out = io.check_output(output_path, inp, opts.overwrite)
    fmt = _ray_format(inp) if io.kind_of(inp, "input") == "table" else inp.suffix.lower()
    if fmt not in (".csv", ".jsonl", ".parquet"):
        raise ValueError(f"input {str(inp)!r}: the ray engine handles .csv, .jsonl and .parquet; use --engine local for {fmt} files")
    if aug.modality not in ("text", "tabular"):
        raise ValueError(f"augmenter {type(aug).__name__} works on {aug.modality} data; {inp.suffix} files hold text or tables")
    check_column_options(inp, aug, column=column, label_column=label_column, feature_columns=opts.feature_columns)

    mixer = mixer_of(aug)
    if mixer is not None and batch_size == 1:
        raise ValueError(
            f"--engine ray with --batch-size 1: {type(mixer).__name__} mixes rows and every batch would be a "
            "single row; use --batch-size 2 or more, or --engine local"
        )
    fit_table_if_needed(aug, inp, column, label_column, opts.feature_columns, progress=opts.progress)
    _validate_on_head(aug, inp, n_aug, opts)
    partners = _last_row_partners(aug, inp, batch_size, column)
    integer_labels = None
    if aug.modality == "tabular" and label_column is not None:
        integer_labels = _file_label_is_integer(inp, label_column)
    report = RunReport()
    text_columns = [column] if aug.modality == "text" and column is not None else None
    raw = csv_passthrough_columns(inp, text_columns, _typed_columns(aug, label_column, opts.feature_columns))
    jsonl = f"input {str(inp)!r}" if fmt == ".jsonl" else None
    parquet = fmt == ".parquet"
    with ray_session(address, num_cpus, progress=opts.progress if dir_mode else False):
        source = read_jsonl_lines(inp) if jsonl is not None else read_dataset(inp, text_columns, raw)
        ds = augment_dataset(source, aug, replace(opts, n_aug=n_aug), partners=partners,
                             integer_labels=integer_labels, jsonl=jsonl, parquet=parquet,
                             index=io.parquet_index_columns(inp) if parquet else ())
        try:
            if dir_mode:
                _write_directory(ds, fmt, out, report)
            else:
                like = io.input_schema(inp) if parquet and io.format_suffix(out) == ".parquet" else None
                _gather_file(ds, out, opts.progress, report, parquet=parquet, like=like)
        except Exception as e:  # a worker's ValueError reaches the user as itself
            err = _user_error(e)
            if err is None:
                raise
            raise type(err)(str(err).splitlines()[0] if str(err) else type(err).__name__) from None
    note_shortfall(report, n_aug)
    return report


def note_shortfall(report: RunReport, n_aug: int) -> None:
    """Warn (in ``report.warnings``) when fewer augmented rows were written than ``n_aug`` per input
    row: the workers' own warnings (which rows, and why) do not reach the driver, but rows left out
    (outputs identical to their input, empty texts, ...) are never left out without a word."""
    asked = report.rows_in * n_aug
    if report.rows_augmented < asked:
        report.warnings.append(
            f"{asked - report.rows_augmented} of {asked} augmented rows were left out ({report.rows_augmented} "
            "written): outputs identical to their input, empty texts and the like are not written; the ray engine does "
            "not collect the workers' warnings, run --engine local to see which input rows and why"
        )


def _last_row_partners(aug: Augmenter, inp: Path, batch_size: int, column: str | None) -> dict[int, Any] | None:
    """``{N - 1: previous batch}`` when a mixing augmenter's last batch is a single row (one pass on
    the driver, holding two batches at most), else None."""
    if mixer_of(aug) is None:
        return None
    n = io.count_rows(inp)
    if n is not None and n % batch_size != 1:
        return None
    prev = cur = None
    for df in io.iter_table(inp, batch_size, **_text_kw(aug, column)):
        prev, cur = cur, df
    if cur is None or len(cur) != 1 or prev is None:
        return None
    return {int(cur.index[0]): prev}


def _gather_file(ds: Any, out: Path, progress: bool | None, report: RunReport, parquet: bool = False,
                 like: Any = None) -> None:
    """Stream the augmented batches, in order, into the file ``out`` (atomically). ``parquet``: the
    batches come from a parquet input and are made frames as the local engine reads parquet
    (:func:`multiaug.io.arrow_frame`), so the output holds what the local engine writes (Ray's own frames
    hold Arrow-backed columns, whose nested integers next to a null the writers would make floats).
    ``like``: the parquet input's schema (:class:`multiaug.io.TableWriter`'s ``like``)."""
    seen_max = -1
    with io.atomic_output(out) as tmp, io.TableWriter(tmp, fmt=io.full_suffix(out), like=like) as writer, \
            _progress(None, progress) as bar:
        for df in ds.iter_batches(batch_size=None, batch_format="pyarrow" if parquet else "pandas", prefetch_batches=2):
            if parquet:
                df = io.arrow_frame(df)
                # the lineage columns as the local engine writes them (NumPy int64/bool, never missing), not
                # the nullable types arrow_frame gives every integer/boolean column read back
                df[SOURCE_INDEX] = df[SOURCE_INDEX].to_numpy(dtype=np.int64)
                df[IS_AUGMENTED] = df[IS_AUGMENTED].to_numpy(dtype=bool)
            if len(df) == 0:
                continue
            writer.write(df)
            aug_mask = df[IS_AUGMENTED].to_numpy(dtype=bool)
            report.rows_out += len(df)
            report.rows_augmented += int(aug_mask.sum())
            new_max = int(df[SOURCE_INDEX].max())
            if new_max > seen_max:
                bar.update(new_max - seen_max)
                seen_max = new_max
    report.rows_in = seen_max + 1


def _write_directory(ds: Any, suffix: str, out: Path, report: RunReport) -> None:
    import pyarrow.compute as pc
    import pyarrow.dataset as pds

    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        files = tmp / "data"
        if suffix == ".csv":
            ds.write_csv(str(files))
            fmt = "csv"
        elif suffix == ".jsonl":
            ds.write_json(str(files))
            fmt = "json"
        else:
            ds.write_parquet(str(files))
            fmt = "parquet"
        if fmt == "json":  # read back as JSON values: pyarrow's reader fails on a column of mixed types
            top = -1
            for f in sorted(files.rglob("*")):
                if not f.is_file():
                    continue
                with open(f, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            rec = json.loads(line)
                            report.rows_out += 1
                            report.rows_augmented += bool(rec[IS_AUGMENTED])
                            top = max(top, int(rec[SOURCE_INDEX]))
        else:
            written = pds.dataset(str(files), format=fmt)
            report.rows_out = written.count_rows()
            report.rows_augmented = written.count_rows(filter=pc.field(IS_AUGMENTED) == True)  # noqa: E712
            top = -1
            for b in written.to_batches(columns=[SOURCE_INDEX]):
                if b.num_rows:
                    top = max(top, int(pc.max(b.column(0)).as_py()))
        report.rows_in = top + 1
        for f in files.rglob("*"):  # on the disk before the rename, as io.atomic_output does for a file
            if f.is_file():
                io.fsync_file(f)
        io.fsync_dir(files)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "prev")
        os.replace(files, out)
        io.fsync_dir(out.parent)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
