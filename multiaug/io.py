"""Readers and writers chosen by file suffix.

============  ======================  ==============================================================
kind          suffixes                content
============  ======================  ==============================================================
table         .csv .jsonl .parquet    text (one column holds the text) and tabular data; read in
                                      chunks of rows so files larger than memory can be streamed;
                                      csv and jsonl also compressed (.gz .bz2 .xz)
array         .npy .npz               time series (N, C, T) or (N, T); ``.npy`` is memory-mapped;
                                      ``.npz`` holds ``x`` (or ``X``), optionally ``y`` and other
                                      arrays (:func:`read_arrays`)
graph         .pt                     PyG graphs: a ``Data``, a list of them, dicts of tensors, or
                                      a PyG ``InMemoryDataset`` file (``processed/data.pt``);
                                      loaded with ``torch.load(weights_only=True)`` (no pickle)
table         .conll .bio .iob        tagged sentences (NER): one token per line, its tag in the last
                                      column, a blank line between sentences; read as a table with one
                                      row per sentence (``tokens`` and ``tags`` list columns), see
                                      :func:`iter_conll` and :class:`TableWriter`
============  ======================  ==============================================================

csv and jsonl files may be compressed (``.csv.gz``, ``.jsonl.bz2``, ``.csv.xz``: :data:`COMPRESSIONS`):
they are read batch by batch as the uncompressed file would be, and an output with such a suffix is
written compressed (:func:`open_text`). Other compressed files (``.parquet.gz``, ``.csv.zst``) are refused
with the command that decompresses them.

Writers write to a temporary file beside the target, flush it to the disk (``fsync``) and rename it at
the end, then flush the folder (:func:`atomic_output`), so a crash, Ctrl-C, (in the ``multiaug``
command) SIGTERM or a crash of the machine never leaves a half-written or empty output. A new output gets the mode any new file gets (``0o666`` less the umask); an
output that replaces an existing file (``--overwrite``) keeps that file's permission bits.

Text columns: ``iter_table``/``read_table`` take ``text_columns``, columns read as text with no
missing-value conversion, so cells such as ``NA``, ``null``, ``None`` or ``nan`` stay those strings
and an empty cell (csv), a JSON ``null`` (jsonl) or a null (parquet) becomes ``""``; numbers in such a
column become their text. Booleans, lists and objects are not text: in jsonl such a cell (``true``,
``[...]``, ``{...}``) is a ``ValueError`` naming its line and row; a parquet boolean or nested column
is read as it is, and the text augmenters refuse its cells naming the row. ``typed_columns``
(default: all other columns) get pandas' usual types and missing-value handling. Any other column
passes through as read, whatever the batch size: a csv cell as its text (``007`` stays ``007``,
``NA`` stays ``NA``; only an empty cell is missing), a jsonl value as its JSON value (no number or
date inference), and the jsonl writer writes it back exactly (floats as their shortest repr, which
reads back as the same float). A csv row with more fields than the header, or a jsonl line that is
no JSON object, is a ``ValueError`` naming the (physical) line.
"""
from __future__ import annotations

import contextlib
import gzip
import io as _stdio
import json
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

CONLL_SUFFIXES = (".conll", ".bio", ".iob")
TABLE_SUFFIXES = (".csv", ".jsonl", ".parquet") + CONLL_SUFFIXES
ARRAY_SUFFIXES = (".npy", ".npz")
GRAPH_SUFFIXES = (".pt",)
ALL_SUFFIXES = TABLE_SUFFIXES + ARRAY_SUFFIXES + GRAPH_SUFFIXES
#: formats that are not read, with what to write instead
_OTHER_FORMATS = {
    ".json": " (a JSON file: write one object per line as .jsonl, e.g. pandas' to_json(path, orient='records', "
             "lines=True))",
    ".ndjson": " (newline-delimited JSON: rename it .jsonl)",
    ".tsv": " (tab-separated: convert it to comma-separated .csv, e.g. pandas.read_csv(path, sep='\\t').to_csv(new, "
            "index=False))",
    ".xlsx": " (a spreadsheet: save it as .csv)",
    ".xls": " (a spreadsheet: save it as .csv)",
    ".pth": " (a torch file: graphs are read from .pt; rename it .pt)",
    ".pkl": " (pickles are never read: they can run code)",
    ".pickle": " (pickles are never read: they can run code)",
}
#: compressions of csv and jsonl files, read and written (``data.csv.gz``): Python's own modules, as pandas
#: reads them; the file streams batch by batch as an uncompressed one does
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
#: the formats that may be compressed (parquet compresses its pages itself)
COMPRESSIBLE_SUFFIXES = (".csv", ".jsonl")
#: other compressed files (``data.parquet.gz``, ``data.csv.zst``): refused with the command that decompresses them
COMPRESSED_SUFFIXES = {".gz": "gunzip -k", ".bz2": "bunzip2 -k", ".xz": "unxz -k", ".zst": "unzstd", ".zip": "unzip"}


def split_suffix(path: str | os.PathLike) -> tuple[str, str | None]:
    """``(format suffix, compression suffix or None)``, lower case: ``(".csv", ".gz")`` for
    ``data.csv.gz``, ``(".csv", None)`` for ``data.csv``. Only a csv or jsonl file counts as compressed
    (:data:`COMPRESSIONS`); for anything else the compression is None and the format is the last suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in COMPRESSIONS:
        inner = Path(p.stem).suffix.lower()
        if inner in COMPRESSIBLE_SUFFIXES:
            return inner, suffix
    return suffix, None


def format_suffix(path: str | os.PathLike) -> str:
    """The suffix naming the file's format: ``.csv`` for ``data.csv`` and ``data.csv.gz`` (:func:`split_suffix`)."""
    return split_suffix(path)[0]


def full_suffix(path: str | os.PathLike) -> str:
    """The format suffix with its compression: ``.csv.gz`` for ``data.csv.gz``, ``.csv`` for ``data.csv``."""
    fmt, comp = split_suffix(path)
    return fmt + (comp or "")


def kind_of(path: str | os.PathLike, argname: str = "path") -> str:
    """"table", "array" or "graph" from the suffix; ``ValueError`` for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix in TABLE_SUFFIXES:
        return "table"
    if suffix in ARRAY_SUFFIXES:
        return "array"
    if suffix in GRAPH_SUFFIXES:
        return "graph"
    inner = Path(Path(path).stem).suffix.lower()
    if suffix in COMPRESSIONS and inner in COMPRESSIBLE_SUFFIXES:
        return "table"
    if suffix in COMPRESSED_SUFFIXES and inner in ALL_SUFFIXES:
        readable = inner in COMPRESSIBLE_SUFFIXES  # .zst or .zip
        if argname.startswith("output"):
            todo = (f"name it {Path(path).stem + '.gz'!r} (or .bz2, .xz)" if readable
                    else f"write {Path(path).stem!r} and compress it afterwards")
        else:
            todo = f"decompress it first ({COMPRESSED_SUFFIXES[suffix]} {Path(path).name})"
            if readable:
                todo += " or recompress it as .gz, .bz2 or .xz"
        what = "csv and jsonl files compressed with .gz, .bz2 or .xz" if readable else "uncompressed files (and .csv/.jsonl .gz, .bz2, .xz)"
        raise ValueError(f"{argname} {str(path)!r}: a compressed {inner} file ({suffix}); multiaug reads and writes "
                         f"{what}: {todo}")
    hint = _OTHER_FORMATS.get(suffix, "")
    raise ValueError(f"{argname} {str(path)!r}: unsupported file type {suffix or '(none)'!r}; expected one of "
                     f"{', '.join(ALL_SUFFIXES)} (csv and jsonl also compressed: .csv.gz, .jsonl.bz2, .csv.xz, ...)"
                     f"{hint}")


_SUFFIX = object()  # open_text/open_binary: the compression that the path's suffix names


def open_text(path: str | os.PathLike, mode: str = "r", *, encoding: str = "utf-8", errors: str | None = None,
              newline: str | None = None, compression: Any = _SUFFIX) -> Any:
    """``open(path, mode)`` in text mode (``"r"`` or ``"w"``), through gzip, bz2 or lzma when the csv or
    jsonl file is compressed (its suffix, :func:`split_suffix`; or ``compression``: ``".gz"``, ``".bz2"``,
    ``".xz"`` or None). A gzip output is written with no file name and no time in its header, so the
    same rows give the same bytes."""
    comp = split_suffix(path)[1] if compression is _SUFFIX else compression
    if comp is None:
        return open(path, mode, encoding=encoding, errors=errors, newline=newline)
    raw = open_binary(path, mode.replace("t", "").replace("b", ""), compression=comp)
    return _stdio.TextIOWrapper(raw, encoding=encoding, errors=errors, newline=newline)


def open_binary(path: str | os.PathLike, mode: str = "rb", *, compression: Any = _SUFFIX) -> Any:
    """``open(path, mode)`` in binary mode, decompressing (or compressing) as :func:`open_text` does."""
    comp = split_suffix(path)[1] if compression is _SUFFIX else compression
    mode = mode if "b" in mode else mode + "b"
    if comp is None:
        return open(path, mode)
    if comp not in COMPRESSIONS:
        raise ValueError(f"compression {comp!r}: expected one of {', '.join(COMPRESSIONS)} or None")
    if comp == ".gz":
        if mode.startswith("r"):
            return gzip.open(path, mode)
        raw = open(path, mode)
        try:
            return _OwnedGzip(raw, filename="", mode=mode, fileobj=raw, compresslevel=6, mtime=0)
        except BaseException:
            raw.close()
            raise
    if comp == ".bz2":
        import bz2

        return bz2.open(path, mode)
    import lzma

    return lzma.open(path, mode)


class _OwnedGzip(gzip.GzipFile):
    """A ``GzipFile`` writing to a file it closes with itself (``gzip.open`` cannot set ``mtime``)."""

    def __init__(self, raw: Any, **kwargs: Any) -> None:
        self._raw = raw
        super().__init__(**kwargs)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


def check_input(path: str | os.PathLike) -> Path:
    """``path`` as a ``Path`` when it is a file to read: ``FileNotFoundError`` when it does not exist,
    ``ValueError`` when it is a directory. Every reader, both engines and the CLI check inputs here."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"input file {str(p)!r} does not exist")
    if p.is_dir():
        raise ValueError(f"input {str(p)!r} is a directory; expected a file")
    return p


def _same_path(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    with contextlib.suppress(OSError):
        return os.path.samefile(a, b)
    return False


def check_output(path: str | os.PathLike, input_path: str | os.PathLike | None = None, overwrite: bool = False,
                 *, directory: bool = False) -> Path:
    """``path`` as a ``Path`` when a run may write it (checked before anything is read or written).

    A file output (``directory=False``) must not be ``input_path`` (also through a link), must not
    exist unless ``overwrite``, must not be a directory, must have a known suffix of the input's kind
    (a table input needs a table output, ...), and its folder must exist. A directory output
    (``directory=True``, the Ray engine's ``out/``) must not exist unless ``overwrite``, must not be a
    file, must not hold ``input_path`` (replacing it would delete the input), and its parent must
    exist. ``ValueError`` (``FileNotFoundError`` for a missing folder) naming the path otherwise."""
    out = Path(path)
    inp = None if input_path is None else Path(input_path)
    if directory:
        if out.exists() and not overwrite:
            raise ValueError(f"output {str(out)!r} already exists; pass --overwrite to replace it")
        if out.exists() and not out.is_dir():
            raise ValueError(f"output {str(out)!r} is a file; a path ending with '/' means an output directory")
        if inp is not None and out.exists() and inp.resolve().is_relative_to(out.resolve()):
            raise ValueError(f"output {str(out)!r} holds the input file; refusing to replace it (choose another directory)")
        if not out.parent.exists():
            raise FileNotFoundError(f"output folder {str(out.parent)!r} does not exist")
        return out
    if inp is not None and _same_path(out, inp):
        raise ValueError(f"output {str(out)!r} is the input file; refusing to overwrite the input")
    if out.is_dir():  # before the exists check: --overwrite would not help (and must not seem to)
        raise ValueError(f"output {str(out)!r} is a directory; expected a file path such as "
                         f"{str(out / ('augmented' + (full_suffix(inp) if inp is not None else '.csv')))!r}")
    if out.exists() and not overwrite:
        raise ValueError(f"output {str(out)!r} already exists; pass --overwrite to replace it")
    kin = None if inp is None else kind_of(inp, "input")
    kout = kind_of(out, "output")
    if kin is not None and kin != kout:
        article = "an" if kin == "array" else "a"
        raise ValueError(f"output {str(out)!r}: {article} {kin} input ({full_suffix(inp)}) needs {article} {kin} output, got "
                         f"{full_suffix(out)!r} (expected {', '.join(s for s in ALL_SUFFIXES if kind_of('x' + s) == kin)})")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(f"output folder {str(folder)!r} does not exist")
    return out


# --------------------------------------------------------------------------------------------------
# Atomic output
# --------------------------------------------------------------------------------------------------


def current_umask() -> int:
    """The process umask (read from /proc where it can be, so that it is never changed, even briefly)."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _output_mode(target: Path) -> int:
    """Permission bits for ``target``: those of the file it replaces, else ``0o666 & ~umask``."""
    with contextlib.suppress(OSError):
        st = target.stat()
        if stat.S_ISREG(st.st_mode):
            return stat.S_IMODE(st.st_mode)
    return 0o666 & ~current_umask()


def fsync_file(path: str | os.PathLike) -> None:
    """Flush ``path``'s data to the disk (``os.fsync``), so that a rename after it never publishes an
    empty or partial file after a crash of the machine."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str | os.PathLike) -> None:
    """Flush a folder's entries (a rename into it) to the disk where the system allows it: POSIX
    systems; Windows cannot open a folder (nor needs to: its renames are journaled), and some
    filesystems refuse it (``EINVAL``), which changes nothing written."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(folder, flags)
    except OSError:  # Windows (a folder cannot be opened), or no permission to read the folder
        return
    try:
        os.fsync(fd)
    except OSError as e:
        import errno

        if e.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF, errno.EACCES, errno.EPERM):
            raise
    finally:
        os.close(fd)


def replace_durably(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """``os.replace(src, dst)`` after flushing ``src`` to the disk, then the folder's entry: after a crash,
    ``dst`` holds the old file or the whole new one, never an empty one."""
    fsync_file(src)
    os.replace(src, dst)
    fsync_dir(Path(dst).parent if str(Path(dst).parent) else Path("."))


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it to ``path`` only on success.

    On any exception (KeyboardInterrupt and SystemExit included) the temporary file is removed and
    ``path`` is left as it was. The temporary file ends with the target's suffix, its compression
    included (``.csv.gz``), so that writers choosing a format by suffix see the target's. Before the
    rename the file is flushed to the disk (``fsync``), and the folder after it, so that a crash of
    the machine leaves the old file or the whole new one, never an empty one under the final name.
    The result gets the mode a new file gets (``0o666 & ~umask``, not ``mkstemp``'s 0600); when it
    replaces an existing file, that file's permission bits are kept."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.exists():
        raise FileNotFoundError(f"output folder {str(folder)!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp" + full_suffix(target), dir=folder)
    except OSError as e:  # named as the user gave it, not as the temporary file beside it
        raise _as_output_error(e, target) from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _output_mode(target))
        replace_durably(tmp_path, target)
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        if isinstance(e, OSError) and str(tmp_path) in (e.filename, e.filename2):
            raise _as_output_error(e, target) from None
        raise


def _as_output_error(e: OSError, target: Path) -> OSError:
    """``e`` (raised on the temporary file of :func:`atomic_output`), of the same type and errno, saying
    "cannot write TARGET: reason" (a user never named the temporary file)."""
    err = type(e)(f"cannot write {str(target)!r}: {e.strerror or e}")
    err.errno = e.errno  # (without strerror, str(err) is the message alone)
    return err


def write_text_atomic(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` through :func:`atomic_output` (a crash never leaves half a file)."""
    with atomic_output(path) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as fh:
            fh.write(text)


# --------------------------------------------------------------------------------------------------
# Tables (csv / jsonl / parquet)
# --------------------------------------------------------------------------------------------------


def count_rows(path: str | os.PathLike) -> int | None:
    """Row count when it is cheap to know (parquet metadata); None otherwise."""
    p = Path(path)
    if p.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        try:
            return pq.ParquetFile(check_input(p)).metadata.num_rows
        except Exception as e:  # pyarrow's errors: say which file and what kind
            if type(e).__module__.startswith("pyarrow"):
                raise ValueError(f"cannot read {str(p)!r} as parquet: {str(e).splitlines()[0]}") from None
            raise
    return None


# pandas' default missing-value strings (read_csv's ``na_values`` documentation)
_DEFAULT_NA = ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>",
               "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]


def _as_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return v if isinstance(v, str) else str(v)


_CSV_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _long_csv_row(p: Path, ncols: int) -> tuple[int, int] | None:
    """``(line, fields)`` of the first csv record with more than ``ncols`` fields, or None."""
    import csv

    with open_text(p, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        start = 1
        for i, row in enumerate(reader):
            if i > 0 and len(row) > ncols:
                return start, len(row)
            start = reader.line_num + 1
    return None


def _unclosed_quote_line(p: Path) -> int | None:
    """The line where the csv record holding a quote that is never closed starts (the last record:
    it runs to the end of the file), or None."""
    import csv

    start = None
    with open_text(p, encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        begin = 1
        try:
            for _ in reader:
                start = begin
                begin = reader.line_num + 1
        except csv.Error:
            return begin
    return start


def _too_many_fields(p: Path, line: int | None, fields: int | None, ncols: int) -> ValueError:
    where = f", line {line}" if line is not None else ""
    got = f"{fields} fields" if fields is not None else "a row has more fields"
    return ValueError(f"input {str(p)!r}{where}: {got} but the header has {ncols} columns "
                      "(quote a field that holds a comma)")


def csv_header(path: str | os.PathLike) -> list:
    """The column names of a csv (its header line, as pandas reads it)."""
    import pandas as pd

    return list(pd.read_csv(path, nrows=0, index_col=False).columns)


def duplicate_names_error(where: str, names: Sequence) -> ValueError | None:
    """The error for column names that appear more than once (empty names excepted), or None."""
    seen: dict = {}
    for n in names:
        if n != "":
            seen[n] = seen.get(n, 0) + 1
    dup = [n for n, k in seen.items() if k > 1]
    if not dup:
        return None
    return ValueError(f"{where}: column name(s) {dup} appear more than once in the header; give each column its "
                      "own name (which one an option means would be ambiguous)")


_OTHER_SEPARATORS = {";": "';'", "\t": "tabs", "|": "'|'"}


def _check_csv_header(p: Path, header: Sequence) -> None:
    """Refuse a csv header that pandas would read wrongly: duplicated names (pandas renames the
    second ``a`` to ``a.1``, changing the output's header), or one column whose name and first row
    both split on ``;``, a tab or ``|`` (a file separated by something other than commas)."""
    import csv

    with open_text(p, encoding="utf-8-sig", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        raw = next(reader, [])
        first = next(reader, None)
    err = duplicate_names_error(f"input {str(p)!r}", raw)
    if err is not None:
        raise err
    if len(header) == 1 and raw:
        line = ",".join(raw)
        for sep, name in _OTHER_SEPARATORS.items():
            k = len(line.split(sep))
            if k > 1 and first is not None and len(",".join(first).split(sep)) == k:
                raise ValueError(
                    f"input {str(p)!r}: the header is one column {line!r:.60}, separated by {name}; multiaug reads "
                    "comma-separated csv: convert it first (e.g. pandas.read_csv(path, sep=...).to_csv(new, index=False))"
                )


def _first_non_utf8_line(p: Path) -> tuple[int, str] | None:
    """``(line, reason)`` of the first line of ``p`` that is not UTF-8, or None."""
    with open_binary(p) as fh:
        for lineno, line in enumerate(fh, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as e:
                return lineno, e.reason
    return None


#: the names pandas gives columns whose csv header field is empty ("Unnamed: 0"; "Unnamed: 0.1" when
#: repeated): almost always an index written by ``DataFrame.to_csv()``
_UNNAMED = re.compile(r"Unnamed: \d+(\.\d+)*")


def unnamed_columns(columns: Sequence) -> list:
    """The columns of ``columns`` that had no name in the file (pandas' ``Unnamed: N``): an index
    written by ``DataFrame.to_csv()`` rather than data, so never a feature unless named explicitly."""
    return [c for c in columns if isinstance(c, str) and _UNNAMED.fullmatch(c)]


def index_columns(df: Any) -> list:
    """The columns of a frame read from parquet that hold the DataFrame index ``to_parquet`` stored
    (``myid``, ``__index_level_0__``): read as data, so that they are written back, but an index, not a
    feature (:func:`default_feature_columns`)."""
    return [c for c in getattr(df, "attrs", {}).get(INDEX_COLUMNS_ATTR, ()) if c in df.columns]


def default_feature_columns(columns: Sequence, label_column: str | None, exclude: Sequence = (),
                            index: Sequence = ()) -> tuple[list, list]:
    """``(features, skipped)``: the columns a tabular augmenter or model reads when none are named:
    every column but the label, ``exclude`` and the DataFrame indexes stored in the file (the unnamed
    ones of a csv, ``index`` of a parquet file: :func:`index_columns`; ``skipped``, to be said)."""
    unnamed = set(unnamed_columns(columns)) | set(index)
    feats = [c for c in columns if c != label_column and c not in exclude and c not in unnamed]
    return feats, [c for c in columns if c in unnamed and c != label_column]


def column_hint(names: Sequence, columns: Sequence) -> str:
    """`` (did you mean 'Text'?)`` for the first of ``names`` (options naming columns the table lacks)
    that matches a column but for case or surrounding spaces (`` text `` in a header written
    ``text , label``), or is close to one; else ``""``."""
    import difflib

    cols = [c for c in columns if isinstance(c, str)]
    for n in names:
        if not isinstance(n, str):
            continue
        same = [c for c in cols if c.strip().casefold() == n.strip().casefold()]
        close = same or difflib.get_close_matches(n, cols, n=1, cutoff=0.75)
        if close:
            return f" (did you mean {close[0]!r}?)"
    return ""


def unnamed_note(skipped: Sequence) -> str:
    return (f"column(s) {list(skipped)} hold a DataFrame index (written with no name by to_csv, or stored by "
            "to_parquet): passed through, not used as features; name them with --columns to use them")


def csv_column_roles(header: Sequence, text_columns: Sequence[str] | None,
                     typed_columns: Sequence[str] | None) -> tuple[list, list, list]:
    """``(text, raw, typed)``: the columns of ``header`` (in its order) read as text (those in
    ``text_columns``), as the text of their cells (pass-through: neither text nor in ``typed_columns``;
    none when ``typed_columns`` is None) and with pandas' types (the others)."""
    text = [c for c in header if c in set(text_columns or ())]
    raw = [] if typed_columns is None else [c for c in header if c not in text and c not in set(typed_columns)]
    typed = [c for c in header if c not in text and c not in raw]
    return text, raw, typed


def _csv_reader(p: Path, batch_size: int, text_columns: Sequence[str], typed_columns: Sequence[str] | None):
    """Chunks of a csv. ``text_columns``: str, no missing values (an empty cell is ``""``);
    ``typed_columns`` (None: all the others): pandas' types and missing values; any other column is
    read as the text of its cells (an empty cell is missing). A row with more fields than the header
    is a ``ValueError`` naming its line (pandas would take the extra fields as an index)."""
    import warnings

    import pandas as pd

    header = csv_header(p)
    _check_csv_header(p, header)
    text, raw, typed = csv_column_roles(header, text_columns, typed_columns)
    kwargs: dict[str, Any] = {"index_col": False}
    if text or raw:
        # keep_default_na=False is file-wide: give the typed columns pandas' default NA strings back
        kwargs.update(dtype={c: str for c in text + raw}, keep_default_na=False,
                      na_values={**{c: _DEFAULT_NA for c in typed}, **{c: [""] for c in raw}})

    def step(fn):
        with warnings.catch_warnings():
            warnings.filterwarnings("error", category=pd.errors.ParserWarning)
            try:
                return fn()
            except pd.errors.ParserWarning as w:  # "Length of header or names does not match length of data"
                if "length of header" not in str(w).lower():
                    raise ValueError(f"input {str(p)!r}: {str(w).splitlines()[0]}") from None
                found = _long_csv_row(p, len(header))
                raise _too_many_fields(p, *(found or (None, None)), len(header)) from None
            except pd.errors.ParserError as e:
                if "EOF inside string" in str(e):  # pandas counts records, not lines, and says nothing of quotes
                    line = _unclosed_quote_line(p)
                    where = f", line {line}" if line is not None else ""
                    raise ValueError(f"input {str(p)!r}{where}: a quoted field (\") is never closed, so the rest of the "
                                     "file would be one cell; close the quote, or double a quote inside a quoted field "
                                     "(\"\")") from None
                m = _CSV_FIELDS.search(str(e))
                if m:
                    # pandas counts records, not lines (a quoted field may span lines): find the physical line
                    ncols = int(m.group(1))
                    found = _long_csv_row(p, ncols)
                    raise _too_many_fields(p, *(found or (int(m.group(2)), int(m.group(3)))), ncols) from None
                raise

    reader = step(lambda: pd.read_csv(p, chunksize=batch_size, **kwargs))
    it = iter(reader)
    while True:
        chunk = step(lambda: next(it, None))
        if chunk is None:
            return
        yield chunk


_JSON_KINDS = {list: "a JSON array", dict: "a JSON object", bool: "a JSON boolean"}


def jsonl_frame(lines: Sequence[str], linenos: Sequence[int], rows: Sequence[int], text_columns: Sequence[str],
                typed_columns: Sequence[str] | None, where: str) -> Any:
    """The DataFrame of jsonl ``lines`` (one JSON object each; ``linenos`` their line numbers and
    ``rows`` their row numbers, which index the frame and name a bad line in errors, ``where`` the
    file): ``text_columns`` as str (null is ``""``, a number its text; an array, object or boolean
    is a ``ValueError`` naming the line and row); ``typed_columns`` (None: all the others) with
    pandas' types (numbers, NaN for null); any other column keeps the JSON values as read (no type
    or date inference, so ``"007"`` stays a string and an integer stays one next to a null). A line
    that is not a JSON object is a ``ValueError`` naming the line. The local engine reads a file's
    batches with it, the Ray engine's workers the lines it hands them."""
    import pandas as pd

    text = set(text_columns)
    typed = None if typed_columns is None else set(typed_columns)
    records = []
    for line, lineno, row in zip(lines, linenos, rows):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            raise ValueError(f"{where}, line {lineno}: not valid JSON ({e.msg}, column {e.colno})") from None
        if not isinstance(rec, dict):
            raise ValueError(f"{where}, line {lineno}: expected a JSON object, got {type(rec).__name__} "
                             f"{line.strip()!r:.60}")
        for c in text_columns:
            v = rec.get(c)
            if not (v is None or isinstance(v, (str, int, float))) or isinstance(v, bool):
                raise ValueError(
                    f"{where}, line {lineno} (row {row}): column {c!r} holds "
                    f"{_JSON_KINDS.get(type(v), 'a JSON value')} {json.dumps(v, ensure_ascii=False)[:60]}; "
                    "expected text (a string; a number is read as its text, null as \"\")"
                )
        records.append(rec)
    names: dict[str, None] = {}
    for r in records:
        names.update(dict.fromkeys(r))
    data = {}
    for c in names:
        values = [r.get(c) for r in records]
        if c in text:
            data[c] = pd.Series([_as_text(v) for v in values], dtype=object)
        elif typed is None or c in typed:
            data[c] = pd.Series(values)
        else:
            data[c] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, index=pd.RangeIndex(len(records))).set_axis(pd.Index(rows), axis=0)


def _jsonl_reader(p: Path, batch_size: int, text_columns: Sequence[str], typed_columns: Sequence[str] | None):
    """Chunks of a jsonl file, one JSON object a line (blank lines hold no row), read by
    :func:`jsonl_frame`."""
    where = f"input {str(p)!r}"
    lines: list[str] = []
    linenos: list[int] = []
    lineno = nrows = 0  # nrows: rows of the earlier batches

    def frame() -> Any:
        out = jsonl_frame(lines, linenos, range(nrows, nrows + len(lines)), text_columns, typed_columns, where)
        lines.clear()
        linenos.clear()
        return out

    try:
        with open_text(p, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):  # noqa: B007 (lineno is read in the except clause)
                if lineno == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                if not line.strip():
                    continue
                lines.append(line)
                linenos.append(lineno)
                if len(lines) >= batch_size:
                    n = len(lines)
                    yield frame()
                    nrows += n
    except UnicodeDecodeError as e:
        raise ValueError(f"{where}, line {lineno + 1}: not UTF-8 text ({e.reason})") from None
    if lines:
        yield frame()


def _parquet_reader(p: Path, batch_size: int, text_columns: Sequence[str]):
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(p)
    err = duplicate_names_error(f"input {str(p)!r}", pf.schema_arrow.names)
    if err is not None:
        raise err
    _warn_metadata_index(p, pf.schema_arrow)
    for b in pf.iter_batches(batch_size=batch_size):
        yield arrow_frame(b, text_columns)


#: ``DataFrame.attrs`` key of the stored index columns of a frame read from parquet (:func:`index_columns`)
INDEX_COLUMNS_ATTR = "multiaug_index_columns"


def _index_columns_as_data(batch: Any) -> tuple[Any, list]:
    """``batch`` with the pandas metadata's stored index columns (``DataFrame.to_parquet`` of a frame
    whose index is not a range: ``myid``, or ``__index_level_0__`` when unnamed) made data columns:
    ``to_pandas`` would make them the frame's index, which the readers replace by the row numbers, so the
    column would vanish from the output (as it would not where the metadata is not read: text columns,
    the Ray engine)."""
    raw = (batch.schema.metadata or {}).get(b"pandas")
    if raw is None:
        return batch, []
    try:
        meta = json.loads(raw)
        stored = [ix for ix in meta.get("index_columns") or [] if isinstance(ix, str)]
    except (ValueError, AttributeError, TypeError):
        return batch, []
    if not stored:
        return batch, []
    meta["index_columns"] = [ix for ix in meta["index_columns"] if not isinstance(ix, str)]
    for col in meta.get("columns") or []:
        if isinstance(col, dict) and col.get("field_name") in stored and col.get("name") is None:
            col["name"] = col["field_name"]  # an unnamed index: its column keeps its field name
    return batch.replace_schema_metadata({**batch.schema.metadata, b"pandas": json.dumps(meta).encode()}), stored


def arrow_frame(batch: Any, text_columns: Sequence[str] = ()) -> Any:
    """The pandas DataFrame of an Arrow record batch (or table) as multiaug reads parquet, shared by
    the local reader (:func:`iter_table`) and the Ray engine's workers and driver: ``text_columns``
    (names absent from the batch are ignored) as str with a null as ``""`` (a boolean or nested column
    as it is: the text augmenters report its cells); integer and boolean columns as pandas' nullable
    types, whatever the batch holds (a null would make them float64 / object: ids past 2**53 corrupted,
    1 written 1.0); integers inside list/struct cells stay integers next to a null; stored pandas index
    columns as data columns (:func:`_index_columns_as_data`)."""
    import pyarrow as pa

    text = set(text_columns) & set(batch.schema.names)

    def to_text(arr):
        t = arr.type
        if pa.types.is_boolean(t):
            return arr  # no text (as a JSON boolean is not): the augmenter reports the cell
        if not (pa.types.is_string(t) or pa.types.is_large_string(t)):
            try:
                arr = arr.cast(pa.string())
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                return arr  # not convertible (nested data): the augmenter reports the cell
        return arr.fill_null("")

    if text:
        names = batch.schema.names
        cols = [to_text(batch.column(i)) if n in text else batch.column(i) for i, n in enumerate(names)]
        if isinstance(batch, pa.Table):
            batch = pa.Table.from_arrays(cols, names=names)
        else:
            batch = pa.RecordBatch.from_arrays(cols, names=names)
        stored = []
    else:
        batch, stored = _index_columns_as_data(batch)
    # integer_object_nulls: integers inside list/struct cells stay integers next to a null (top-level
    # integer columns are mapped to nullable types; this only reaches nested values)
    df = batch.to_pandas(types_mapper=_nullable_pandas_types().get, integer_object_nulls=True)
    if stored:  # an index, not a feature: passed through (default_feature_columns)
        df.attrs[INDEX_COLUMNS_ATTR] = list(stored)
    return df


def parquet_index_columns(path: str | os.PathLike) -> list:
    """The columns of a parquet file that hold the DataFrame index ``to_parquet`` stored (as the readers
    name them: :func:`arrow_frame`), from its pandas metadata; ``[]`` without one."""
    import pyarrow.parquet as pq

    return _index_columns_as_data(pq.read_schema(path).empty_table())[1]


def _warn_metadata_index(p: Path, schema: Any) -> None:
    """Warn that a named pandas ``RangeIndex`` (kept by ``DataFrame.to_parquet`` as metadata only, not
    as a column) is not read: it would otherwise vanish from the output without a word (an index held
    as a column is read as one)."""
    import warnings

    try:
        meta = json.loads((schema.metadata or {}).get(b"pandas", b"{}"))
    except ValueError:
        return
    for ix in meta.get("index_columns") or []:
        if isinstance(ix, dict) and ix.get("kind") == "range" and ix.get("name") is not None:
            warnings.warn(f"input {str(p)!r}: its pandas index {ix['name']!r} (a range kept as metadata, not a column) "
                          "is not read and not written to the output; save the frame with reset_index() to keep it",
                          stacklevel=3)


def _nullable_pandas_types() -> dict:
    """Arrow integer/boolean types -> pandas nullable dtypes (``types_mapper`` of ``to_pandas``)."""
    import pandas as pd
    import pyarrow as pa

    return {pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
            pa.int64(): pd.Int64Dtype(), pa.uint8(): pd.UInt8Dtype(), pa.uint16(): pd.UInt16Dtype(),
            pa.uint32(): pd.UInt32Dtype(), pa.uint64(): pd.UInt64Dtype(), pa.bool_(): pd.BooleanDtype()}


def iter_table(path: str | os.PathLike, batch_size: int = 1024,
               text_columns: Sequence[str] | None = None,
               typed_columns: Sequence[str] | None = None) -> Iterator["Any"]:
    """Yield pandas DataFrames of at most ``batch_size`` rows; memory stays bounded by the batch.

    The frames' index holds the global row numbers. ``text_columns`` are read as text with no
    missing-value conversion (see the module doc); names not in the file are ignored.
    ``typed_columns``: the columns (besides the text ones) that get pandas' types (numbers, NaN);
    None: all of them. The others pass through as read (see the module doc), so their values do not
    depend on how the file divides into batches. A file with no rows (empty, or a csv header alone)
    is a ``ValueError``."""
    import pandas as pd

    p = check_input(path)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if isinstance(text_columns, str):
        text_columns = [text_columns]
    text_columns = list(text_columns or [])
    if isinstance(typed_columns, str):
        typed_columns = [typed_columns]
    typed_columns = None if typed_columns is None else list(typed_columns)
    suffix = format_suffix(p)
    start = 0
    try:
        if suffix == ".csv":
            reader = _csv_reader(p, batch_size, text_columns, typed_columns)
        elif suffix == ".jsonl":
            reader = _jsonl_reader(p, batch_size, text_columns, typed_columns)
        elif suffix == ".parquet":
            reader = _parquet_reader(p, batch_size, text_columns)
        elif suffix in CONLL_SUFFIXES:
            reader = iter_conll(p, batch_size)
        else:
            raise ValueError(f"input {str(p)!r}: expected .csv, .jsonl, .parquet or .conll, got {suffix!r}")
        for chunk in reader:
            if len(chunk) == 0:
                continue
            chunk.index = pd.RangeIndex(start, start + len(chunk))
            start += len(chunk)
            yield chunk
    except pd.errors.EmptyDataError:
        raise ValueError(f"input {str(p)!r} is empty (no header and no rows)") from None
    except (pd.errors.ParserError, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, ValueError) and str(e).startswith("input "):
            raise
        if isinstance(e, UnicodeDecodeError):  # name the line (pandas' position is in its own buffer)
            found = _first_non_utf8_line(p)
            if found is not None:
                raise ValueError(f"input {str(p)!r}, line {found[0]}: not UTF-8 text ({found[1]}); "
                                 "save the file as UTF-8") from None
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    except Exception as e:  # pyarrow errors
        if type(e).__module__.startswith("pyarrow"):
            raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {str(e).splitlines()[0]}") from None
        raise
    if start == 0:
        if suffix == ".csv":
            detail = " (only a header)"
        elif suffix in CONLL_SUFFIXES:
            detail = " (no sentences)"
        elif p.stat().st_size == 0:
            detail = " (the file is empty)"
        elif suffix == ".parquet":
            detail = " (columns but no rows)"
        else:
            detail = ""
        raise ValueError(f"input {str(p)!r} has no rows{detail}")


def read_table(path: str | os.PathLike, text_columns: Sequence[str] | None = None,
               typed_columns: Sequence[str] | None = None) -> "Any":
    """The whole table as one DataFrame (``text_columns``, ``typed_columns`` as in :func:`iter_table`)."""
    import pandas as pd

    return pd.concat(list(iter_table(path, batch_size=1 << 16, text_columns=text_columns, typed_columns=typed_columns)))


def _is_all_null(col: Any) -> bool:
    return col.null_count == len(col)


def _arrow_message(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text[:300] if text else type(e).__name__


def _json_missing(v: Any) -> bool:
    """A missing scalar (None, NaN, pd.NA, NaT, an infinite float): written as JSON null."""
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, (float, np.floating)):
        return not np.isfinite(v)
    return False


def _json_by_pandas(v: Any) -> Any:
    """What pandas' JSON writer makes of ``v``, as a JSON value; a date or time as its ISO 8601 text."""
    import datetime

    import pandas as pd

    if isinstance(v, (datetime.date, datetime.time)):  # pd.Timestamp and datetime.datetime included
        return v.isoformat()
    return json.loads(pd.Series([v], dtype=object).to_json(orient="values", force_ascii=False, double_precision=15))[0]


def _json_default(v: Any) -> Any:
    """``json``'s hook for values it does not know: NumPy arrays and scalars as their Python values,
    missing values as null, anything else as pandas writes it."""
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "f" and v.dtype.itemsize < 8:  # float32 values as the shortest text of each
            return np.frompyfunc(float, 1, 1)(v.astype(str)).tolist()
        return v.tolist()
    if isinstance(v, np.generic):
        if _json_missing(v):
            return None
        if isinstance(v, np.floating) and v.dtype.itemsize < 8:
            return float(str(v))  # a float32 as the shortest text of its value, as in a float32 column
        return v.item()
    if _json_missing(v):
        return None
    return _json_by_pandas(v)


def _json_clean(v: Any) -> Any:
    """``v`` with every missing or infinite float inside it (lists, objects, arrays) made None."""
    if isinstance(v, dict):
        return {k: _json_clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_json_clean(x) for x in v]
    if isinstance(v, (np.ndarray, np.generic)):
        return None if _json_missing(v) else _json_clean(_json_default(v))
    return None if _json_missing(v) else v


def _json_value(v: Any) -> str:
    """The JSON text of one cell of any type (nested lists and objects included)."""
    t = type(v)
    if t is str:
        return _json_text(v)
    if t is int:
        return int.__repr__(v)
    if t is float:
        return float.__repr__(v) if v - v == 0 else "null"  # NaN and infinities: null
    if t is bool:
        return "true" if v else "false"
    if t is not dict and t is not list and _json_missing(v):
        return "null"
    try:
        return _json_encode(v)
    except ValueError:  # a NaN or infinity inside a nested value
        return _json_encode(_json_clean(v))
    except TypeError:  # e.g. an object with keys JSON cannot have (tuples): as pandas writes it
        return _json_encode(_json_by_pandas(v))


_JSON_SCALARS = {int, float, bool, type(None)}
_JSON_NONFINITE = {"NaN", "Infinity", "-Infinity"}


def _json_scalars(values: list) -> list[str]:
    """The JSON text of numbers, booleans and None (NaN and infinities: null) in one C call: the
    JSON array of such values splits on its commas."""
    if not values:
        return []
    text = _JSON_ARRAY.encode(values)
    cells = text[1:-1].split(",")
    if "N" in text or "I" in text:  # NaN, Infinity: no other scalar text holds a capital letter
        cells = ["null" if c in _JSON_NONFINITE else c for c in cells]
    return cells


def _json_cells(col: Any) -> list[str]:
    """The JSON text of each cell of a column, exactly the value held: an integer as an integer, a
    float as Python's shortest repr (reads back as the same float; a float32 as the shortest text of
    its float32 value), a missing or infinite number as null, nested values as JSON lists and objects."""
    import pandas as pd

    dtype = col.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        col = col.astype(object)
        dtype = col.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return ["true" if v else "false" for v in col.tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return list(map(int.__repr__, col.tolist()))
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        arr = col.to_numpy()
        cells = list(map(float.__repr__, col.tolist())) if dtype.itemsize == 8 else [str(v) for v in arr]
        bad = ~np.isfinite(arr)
        if bad.any():
            for i in np.flatnonzero(bad).tolist():
                cells[i] = "null"
        return cells
    objects = isinstance(dtype, np.dtype) and dtype.kind == "O"
    if objects or isinstance(dtype, (pd.StringDtype, pd.BooleanDtype)) or (
            isinstance(dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(dtype)):
        values = col.tolist()
        if not objects:  # pd.NA or NaN for a missing cell
            missing = col.isna().to_numpy()
            if missing.any():
                for i in np.flatnonzero(missing).tolist():
                    values[i] = None
        kinds = set(map(type, values))
        if kinds <= _JSON_SCALARS:
            return _json_scalars(values)
        if kinds == {str}:
            return list(map(_json_text, values))
        return list(map(_json_value, values))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        # ISO 8601 text, to the file's precision and with its time zone (pandas' default, epoch
        # milliseconds, would drop both and read back as a plain integer)
        return ["null" if v is pd.NaT else _json_text(v.isoformat()) for v in col.tolist()]
    # timedeltas, periods, ...: as pandas writes them
    return [_JSON_ENCODER.encode(v) for v in json.loads(col.to_json(orient="values", force_ascii=False, double_precision=15))]


_JSON_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
_JSON_ARRAY = json.JSONEncoder(separators=(",", ":"), allow_nan=True)  # _json_scalars: NaN written, then nulled
_json_text = json.encoder.encode_basestring  # a str as a JSON string, non-ASCII as it is (C speed)
if getattr(json.encoder, "c_make_encoder", None) is not None:
    # JSONEncoder.encode builds this C encoder on every call: built once, it encodes a cell several times faster
    # (no circular-reference markers: cells read from files cannot refer to themselves)
    _c_encoder = json.encoder.c_make_encoder(None, _json_default, _json_text, None, ":", ",", False, False, False)

    def _json_encode(v: Any) -> str:
        return "".join(_c_encoder(v, 0))
else:  # pragma: no cover - Python without the C accelerator
    _json_encode = _JSON_ENCODER.encode


def _jsonl_lines(df: Any) -> str:
    """The rows of ``df`` as JSON lines (one object a row, keys in column order), each value exactly
    as held (:func:`_json_cells`; pandas' writer rounds floats to at most 15 significant digits),
    non-ASCII text written as it is."""
    names = [str(c) for c in df.columns]
    if len(set(names)) < len(names):
        dup = sorted({c for c in names if names.count(c) > 1})
        raise ValueError(f"output: column(s) {dup} appear more than once; a JSON object holds each key once")
    if not names:
        return "{}\n" * len(df)
    columns = []
    for j, name in enumerate(names):
        prefix = ("{" if j == 0 else ",") + _json_text(name) + ":"
        columns.append([prefix + c for c in _json_cells(df.iloc[:, j])])
    return "".join("".join(row) + "}\n" for row in zip(*columns))


_NESTED = (dict, list, tuple, np.ndarray)


def _csv_nested_as_json(df: "Any") -> "Any":
    """``df`` with each nested cell (a jsonl object or array, a parquet list or struct) as its JSON
    text, which a csv cell can hold and a reader can parse (pandas would write the Python or NumPy
    repr: ``{'a': [1, 2]}``, ``[1 2]``)."""
    nested = []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if col.dtype == object and any(issubclass(t, _NESTED) for t in set(map(type, col.tolist()))):
            nested.append(j)
    if not nested:
        return df
    df = df.copy()
    for j in nested:
        values = df.iloc[:, j].tolist()
        df.isetitem(j, [_json_value(v) if isinstance(v, _NESTED) else v for v in values])
    return df


class TableWriter:
    """Append DataFrames to a csv / jsonl / parquet / CoNLL file, one batch at a time.

    CoNLL (``.conll``, ``.bio``, ``.iob``): each row is a sentence; its ``tokens`` and ``tags`` columns
    (lists of equal length) are written one token and tag per line (separated by a space, or by a tab
    on a line whose token or tag holds a space, as :func:`iter_conll` reads it back), with a
    blank line after each sentence, and a ``-DOCSTART- O`` line before each change of the
    ``document`` column when there is one (see :func:`iter_conll`). Other columns (the lineage
    columns ``source_index``/``is_augmented`` included) have no place in CoNLL and are not written:
    write ``.jsonl`` or ``.parquet`` to keep them. A row that is no valid sentence (no tokens, a token
    holding whitespace, lengths that differ) is a ``ValueError`` naming the output row.

    Columns: every batch is written with the first batch's columns, in their order (a later batch
    may hold them in another order, as jsonl rows from different writers do). A column the first
    batch has and a later one lacks is written empty (csv), null (jsonl, parquet), as a missing key
    within a batch is; a column that only a later batch has is a ``ValueError`` naming it for csv and
    parquet (their columns are fixed by the first batch) and is appended for jsonl.

    Parquet holds one type per column, but a streamed batch only knows its own rows: a column of
    integers may gain a missing value (floats) in a later batch, or a column empty so far may later
    hold text. The writer promotes such a column (integers -> floats, all-missing -> the later type,
    narrower -> wider numbers) and rewrites what it has written so far once, when the type changes;
    a batch whose values cannot share a type with the earlier ones (text after numbers, say) is a
    one-line ``ValueError`` naming the column and the batch."""

    def __init__(self, path: str | os.PathLike, fmt: str | None = None, like: Any = None):
        self.path = Path(path)
        #: parquet: the input's Arrow schema; a nested column (list, struct, map) of the same name is
        #: written with its type there (pandas holds such cells as Python objects, and Arrow's inference
        #: from them loses a child type: a child that is null in every row of a batch, ...)
        self._like = {} if like is None else {f.name: f.type for f in like if _is_nested_type(f.type)}
        fmt = (fmt or full_suffix(self.path)).lower()
        if not fmt.startswith("."):
            fmt = "." + fmt
        given, comp = split_suffix("x" + fmt)
        if fmt in COMPRESSIONS:  # ".gz" (a Path's suffix) of a path such as "out.csv.gz": its format from the path
            given, comp = split_suffix(self.path)
        fmt = given
        #: the compression of a csv/jsonl output (``.gz``, ``.bz2``, ``.xz``, or None): from ``fmt``
        #: (``".csv.gz"``) or else the path's suffix (``out.csv.gz``); see :func:`open_text`
        self.compression = (comp or split_suffix(self.path)[1]) if fmt in COMPRESSIBLE_SUFFIXES else None
        self.fmt = fmt.lstrip(".")
        if self.fmt in ("bio", "iob"):
            self.fmt = "conll"
        if self.fmt not in ("csv", "jsonl", "parquet", "conll"):
            raise ValueError(f"output {str(path)!r}: expected .csv, .jsonl, .parquet or .conll")
        self._document: Any = None  # CoNLL: the document of the last sentence written
        self._writer = None
        self._schema = None
        self._all_null: dict[str, bool] = {}
        self._fh = None
        self._columns: list | None = None  # the first batch's columns (csv, jsonl, parquet)
        self.rows = 0
        self.batches = 0

    def _align(self, df: "Any") -> "Any":
        """``df`` with the first batch's columns, in their order (see the class doc)."""
        cols = list(df.columns)
        if self._columns is None:
            self._columns = cols
            return df
        if cols == self._columns:
            return df
        new = [c for c in cols if c not in self._columns]
        if new and self.fmt in ("csv", "parquet"):
            raise ValueError(
                f"output {self._where(len(df))}: column {new[0]!r} is not in the earlier batches (columns "
                f"{self._columns}); a {self.fmt} file has the first batch's columns: give the first input rows "
                f"that column (key), or write .jsonl"
            )
        self._columns = self._columns + new
        return df.reindex(columns=self._columns)

    def write(self, df: "Any") -> None:
        self.batches += 1
        if self.fmt != "conll":
            df = self._align(df)
        if self.fmt == "parquet":
            self._write_parquet(df)
        elif self.fmt == "conll":
            if self._fh is None:
                self._fh = open(self.path, "w", encoding="utf-8", newline="\n")
            self._document = _write_conll_rows(self._fh, df, self.rows, self._document)
        else:
            if self.fmt == "csv":
                df = _csv_nested_as_json(df)
            if self._fh is None:
                self._fh = self._open_text()
                if self.fmt == "csv":
                    # a column pandas named "Unnamed: N" had an empty header field: written back empty
                    unnamed = set(unnamed_columns(df.columns))
                    header = ["" if c in unnamed else c for c in df.columns]
                    df.to_csv(self._fh, index=False, header=header)
                    self.rows += len(df)
                    return
            if self.fmt == "csv":
                df.to_csv(self._fh, index=False, header=False)
            else:
                self._fh.write(_jsonl_lines(df))
        self.rows += len(df)

    # ---- parquet -------------------------------------------------------------------------------

    def _where(self, n: int) -> str:
        return f"batch {self.batches} (output rows {self.rows}-{self.rows + n - 1})"

    def _write_parquet(self, df: "Any") -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            table = pa.Table.from_pandas(df, preserve_index=False)
        except pa.ArrowException as e:
            bad = None
            for c in df.columns:  # name the column (mixed types in one column, e.g. JSON numbers and strings)
                try:
                    pa.Table.from_pandas(df[[c]], preserve_index=False)
                except pa.ArrowException:
                    bad = c
                    break
            what = f"column {bad!r}: " if bad is not None else ""
            raise ValueError(f"output {what}{self._where(len(df))}: cannot convert to parquet: {_arrow_message(e)}"
                             + (" (a parquet column has one type)" if bad is not None else "")) from None
        if self._like:
            table = self._as_input_types(table)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.path, self._schema)
            self._all_null = {f.name: _is_all_null(table.column(f.name)) for f in self._schema}
            self._writer.write_table(table)
            return
        fields, columns, nullify, changed = [], [], set(), False
        for f in self._schema:
            col = table.column(f.name)
            ftype, col = self._resolve(f.name, f.type, col)
            if ftype != f.type:
                changed = True
                if self._all_null[f.name]:
                    nullify.add(f.name)
            fields.append(pa.field(f.name, ftype, nullable=True))
            columns.append(col)
        if changed:
            schema = pa.schema(fields)  # the first batch's pandas metadata would describe the old types
            self._rewrite(schema, nullify)
        table = pa.Table.from_arrays(columns, schema=self._schema)
        self._writer.write_table(table)
        for f in self._schema:
            self._all_null[f.name] = self._all_null[f.name] and _is_all_null(table.column(f.name))

    def _as_input_types(self, table: Any) -> Any:
        """``table`` with each nested column that the input has under the same name in the input's type
        (when its values fit it: an augmenter may have written something else there)."""
        import pyarrow as pa

        for i, name in enumerate(table.column_names):
            want = self._like.get(name)
            if want is None or table.schema.field(i).type == want:
                continue
            with contextlib.suppress(pa.ArrowException):
                table = table.set_column(i, pa.field(name, want), table.column(i).cast(want, safe=True))
        return table

    def _resolve(self, name: str, old: Any, col: Any) -> tuple[Any, Any]:
        """The column's type from now on, and this batch's column in it."""
        import pyarrow as pa

        new = col.type
        if new == old:
            return old, col
        if _is_all_null(col):
            return old, pa.nulls(len(col), old)
        if self._all_null[name] or pa.types.is_null(old):
            return new, col
        numeric = (pa.types.is_integer(old) or pa.types.is_floating(old)) and (
            pa.types.is_integer(new) or pa.types.is_floating(new))
        if numeric:
            with contextlib.suppress(pa.ArrowException):
                return old, col.cast(old, safe=True)  # e.g. whole floats with gaps into an int column
        try:
            wide = pa.unify_schemas([pa.schema([pa.field(name, old)]), pa.schema([pa.field(name, new)])],
                                    promote_options="permissive").field(name).type
            return wide, col.cast(wide, safe=True)
        except pa.ArrowException:
            raise ValueError(
                f"output column {name!r}: {self._where(len(col))} holds {new} values but earlier batches held "
                f"{old}; a parquet column has one type (write .csv or .jsonl, or make the column consistent)"
            ) from None

    def _rewrite(self, schema: Any, nullify: set) -> None:
        """Rewrite what is written so far with ``schema`` (columns in ``nullify`` were all missing)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._writer.close()
        self._writer = None
        old = self.path.with_name(self.path.name + ".promote")
        os.replace(self.path, old)
        writer = None
        try:
            writer = pq.ParquetWriter(self.path, schema)
            for b in pq.ParquetFile(old).iter_batches(batch_size=1 << 16):
                cols = [pa.nulls(b.num_rows, f.type) if f.name in nullify else b.column(f.name).cast(f.type, safe=True)
                        for f in schema]
                writer.write_table(pa.Table.from_arrays(cols, schema=schema))
        except BaseException as e:
            if writer is not None:
                with contextlib.suppress(Exception):
                    writer.close()
            if isinstance(e, pa.ArrowException):
                raise ValueError(f"output: cannot widen the earlier batches' columns: {_arrow_message(e)}") from None
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                old.unlink()
        self._writer, self._schema = writer, schema

    def _open_text(self) -> Any:
        return open_text(self.path, "w", encoding="utf-8", newline="", compression=self.compression)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._fh is None and self.rows == 0 and self.compression is not None:
            self._fh = self._open_text()  # no rows: a valid (empty) compressed stream, not 0 bytes
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        if self.rows == 0 and not self.path.exists():
            self.path.touch()

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def _is_nested_type(t: Any) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t) \
        or pa.types.is_struct(t) or pa.types.is_map(t)


def input_schema(path: str | os.PathLike) -> Any:
    """The Arrow schema of a parquet input (``TableWriter``'s ``like``), or None for other files."""
    if Path(path).suffix.lower() != ".parquet":
        return None
    import pyarrow.parquet as pq

    return pq.read_schema(path)


def write_table(df: "Any", path: str | os.PathLike) -> None:
    with atomic_output(path) as tmp, TableWriter(tmp, fmt=full_suffix(path)) as w:
        w.write(df)


# --------------------------------------------------------------------------------------------------
# Tagged sentences (CoNLL; tokens/tags list columns of jsonl and parquet)
# --------------------------------------------------------------------------------------------------

DOCSTART = "-DOCSTART-"
TOKENS_COLUMN = "tokens"
TAGS_COLUMN = "tags"
DOCUMENT_COLUMN = "document"


def _conll_fields(line: str) -> list[str]:
    # tab-separated files may hold spaces inside a column; otherwise any run of whitespace separates
    return [f.strip() for f in line.split("\t")] if "\t" in line else line.split()


def _has_docstart(p: Path) -> bool:
    # utf-8-sig: a byte-order mark before a first -DOCSTART- line is no part of it (iter_conll strips it too)
    with open(p, encoding="utf-8-sig", errors="replace") as fh:
        return any(line.lstrip().startswith(DOCSTART) for line in fh)


def conll_columns(path: str | os.PathLike) -> int:
    """The number of columns of the first token line of a CoNLL file (0 when it has none): more than 2
    means middle columns (CoNLL-2003's part-of-speech and chunk tags) that :func:`iter_conll` drops."""
    with open(check_input(path), encoding="utf-8-sig", errors="replace") as fh:
        for line in fh:
            text = line.rstrip("\r\n")
            if text.strip() and not text.lstrip().startswith(DOCSTART):
                return len(_conll_fields(text))
    return 0


def iter_conll(path: str | os.PathLike, batch_size: int = 1024) -> Iterator["Any"]:
    """Yield pandas DataFrames of at most ``batch_size`` sentences of a CoNLL file, streaming it.

    The format: one token per line, whitespace-separated columns (a tab-separated file is split on
    tabs only, so its tokens may hold spaces), the **first** column the token and the **last** its
    tag (BIO/IOB/BIOES/IO, read as they are), a blank line between sentences. Each row holds one
    sentence: ``tokens`` and ``tags`` (lists of str of equal length). Middle columns (CoNLL-2003's
    part-of-speech and chunk tags) are **dropped**: they would not match an augmented sentence.

    ``-DOCSTART-`` lines are document boundaries, not sentences: when a file has any, the rows get a
    ``document`` column (0, 1, ... in file order; sentences before the first boundary belong to
    document 0), from which :class:`TableWriter` writes the boundaries back. Every token line must
    have as many columns as the first one; a line with one column (no tag), a different number of
    columns or undecodable UTF-8 is a ``ValueError`` naming the line. The frames' index holds the
    global sentence numbers."""
    import pandas as pd

    p = check_input(path)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    with_doc = _has_docstart(p)
    ncols, first_line = None, 0
    doc, docs_seen = 0, 0
    tokens: list[str] = []
    tags: list[str] = []
    rows: dict[str, list] = {TOKENS_COLUMN: [], TAGS_COLUMN: []}
    if with_doc:
        rows[DOCUMENT_COLUMN] = []
    start = 0

    def end_sentence() -> None:
        if tokens:
            rows[TOKENS_COLUMN].append(list(tokens))
            rows[TAGS_COLUMN].append(list(tags))
            if with_doc:
                rows[DOCUMENT_COLUMN].append(doc)
            tokens.clear()
            tags.clear()

    def flush() -> "Any":
        nonlocal start
        n = len(rows[TOKENS_COLUMN])
        df = pd.DataFrame(rows, index=pd.RangeIndex(start, start + n))
        start += n
        for v in rows.values():
            v.clear()
        return df

    lineno = 0
    try:
        with open(p, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):  # noqa: B007 (lineno is read after the loop)
                text = line.rstrip("\r\n")
                if lineno == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                if not text.strip():
                    end_sentence()
                elif text.lstrip().startswith(DOCSTART):
                    end_sentence()
                    if docs_seen or any(rows[TOKENS_COLUMN]) or start:
                        doc += 1
                    docs_seen += 1
                else:
                    fields = _conll_fields(text)
                    if len(fields) < 2 or not fields[0] or not fields[-1]:
                        raise ValueError(
                            f"input {str(p)!r}, line {lineno}: expected a token and its tag separated by whitespace "
                            f"(tag in the last column), got {text.strip()!r:.80}"
                        )
                    if ncols is None:
                        ncols, first_line = len(fields), lineno
                    elif len(fields) != ncols:
                        raise ValueError(
                            f"input {str(p)!r}, line {lineno}: expected {ncols} columns as on line {first_line} "
                            f"(token first, tag last), got {len(fields)}: {text.strip()!r:.80}"
                        )
                    tokens.append(fields[0])
                    tags.append(fields[-1])
                if len(rows[TOKENS_COLUMN]) >= batch_size:
                    yield flush()
    except UnicodeDecodeError as e:
        raise ValueError(f"input {str(p)!r}, line {lineno + 1}: not UTF-8 text ({e.reason})") from None
    end_sentence()
    if rows[TOKENS_COLUMN]:
        yield flush()


def read_conll(path: str | os.PathLike) -> tuple[list[list[str]], list[list[str]]]:
    """``(tokens, tags)`` of every sentence of a CoNLL file (see :func:`iter_conll`)."""
    tokens: list[list[str]] = []
    tags: list[list[str]] = []
    for df in iter_table(path, batch_size=1 << 14):
        tokens.extend(df[TOKENS_COLUMN].tolist())
        tags.extend(df[TAGS_COLUMN].tolist())
    return tokens, tags


def _str_list(v: Any, what: str) -> list[str]:
    if isinstance(v, str) or not isinstance(v, (list, tuple, np.ndarray)):
        hint = " (a csv cell cannot hold a list: use .jsonl, .parquet or .conll)" if isinstance(v, str) else ""
        raise ValueError(f"{what}: expected a list of str, got {type(v).__name__} {v!r:.60}{hint}")
    out = list(v.tolist() if isinstance(v, np.ndarray) else v)
    for j, t in enumerate(out):
        if not isinstance(t, str):
            raise ValueError(f"{what}[{j}]: expected str, got {type(t).__name__} {t!r:.40}")
    return out


def tagged_rows(df: "Any", tokens_column: str = TOKENS_COLUMN, tags_column: str = TAGS_COLUMN,
                ) -> tuple[list[list[str]], list[list[str]]]:
    """``(tokens, tags)`` of a table's rows: two columns holding a list of str per row (jsonl arrays,
    parquet list columns, or what :func:`iter_conll` reads). A missing column, a cell that is no list
    of str, or a row whose lists differ in length is a ``ValueError`` naming the row (the frame's
    index) and the column."""
    for opt, c in (("--tokens-column", tokens_column), ("--tags-column", tags_column)):
        if c not in df.columns:
            raise ValueError(f"{opt} {c!r} is not in the input{column_hint([c], df.columns)}; columns are "
                             f"{list(df.columns)}")
    rows = df.index.tolist()
    tokens = [_str_list(v, f"row {r}: column {tokens_column!r}") for r, v in zip(rows, df[tokens_column].tolist())]
    tags = [_str_list(v, f"row {r}: column {tags_column!r}") for r, v in zip(rows, df[tags_column].tolist())]
    for r, a, b in zip(rows, tokens, tags):
        if len(a) != len(b):
            raise ValueError(f"row {r}: {len(a)} tokens (column {tokens_column!r}) but {len(b)} tags (column {tags_column!r})")
    return tokens, tags


def _write_conll_rows(fh: Any, df: "Any", first_row: int, document: Any) -> Any:
    """Write ``df``'s sentences to the open CoNLL file ``fh``; returns the last document written."""
    if TOKENS_COLUMN not in df.columns or TAGS_COLUMN not in df.columns:
        raise ValueError(
            f"a CoNLL output needs the columns {TOKENS_COLUMN!r} and {TAGS_COLUMN!r} (lists per row), got "
            f"{list(df.columns)}; write .jsonl or .parquet for other column names"
        )
    import pandas as pd

    local = df.reset_index(drop=True)
    local.index = pd.RangeIndex(first_row, first_row + len(df))
    tokens, tags = tagged_rows(local, TOKENS_COLUMN, TAGS_COLUMN)
    docs = df[DOCUMENT_COLUMN].tolist() if DOCUMENT_COLUMN in df.columns else [None] * len(df)
    parts: list[str] = []
    for r, toks, tgs, d in zip(local.index.tolist(), tokens, tags, docs):
        if not toks:
            raise ValueError(f"output row {r} holds no tokens; a CoNLL file cannot hold an empty sentence")
        if d is not None and d != document:
            parts.append(f"{DOCSTART} O\n\n")
            document = d
        for t, g in zip(toks, tgs):
            if not t or not g or t != t.strip() or g != g.strip() or any(ch in t or ch in g for ch in "\t\n\r"):
                raise ValueError(f"output row {r}: token {t!r} with tag {g!r} is empty, starts or ends with "
                                 "whitespace, or holds a tab or line break, which a CoNLL line cannot hold")
            # a token (or tag) holding a space is written tab-separated, as iter_conll reads it back
            sep = " " if t == "".join(t.split()) and g == "".join(g.split()) else "\t"
            parts.append(f"{t}{sep}{g}\n")
        parts.append("\n")
    fh.write("".join(parts))
    return document


def write_conll(path: str | os.PathLike, tokens: Sequence[Sequence[str]], tags: Sequence[Sequence[str]],
                documents: Sequence[Any] | None = None) -> None:
    """Write sentences to a CoNLL file (``token tag`` lines, a blank line after each sentence)
    atomically; ``documents`` (one value per sentence) adds ``-DOCSTART-`` lines where it changes."""
    import pandas as pd

    if len(tokens) != len(tags):
        raise ValueError(f"write_conll: {len(tokens)} token lists but {len(tags)} tag lists")
    cols: dict[str, Any] = {TOKENS_COLUMN: list(tokens), TAGS_COLUMN: list(tags)}
    if documents is not None:
        if len(documents) != len(tokens):
            raise ValueError(f"write_conll: {len(documents)} documents for {len(tokens)} sentences")
        cols[DOCUMENT_COLUMN] = list(documents)
    with atomic_output(path) as tmp, TableWriter(tmp, fmt="conll") as w:
        w.write(pd.DataFrame(cols))


# --------------------------------------------------------------------------------------------------
# Arrays (npy / npz)
# --------------------------------------------------------------------------------------------------


def _npz_xy_keys(keys: list[str]) -> tuple[str | None, str | None]:
    """The keys of an .npz's ``x`` (``x``, ``X``, or its only array) and ``y`` (``y``, ``Y``), or None."""
    xk = next((k for k in ("x", "X") if k in keys), keys[0] if len(keys) == 1 else None)
    yk = next((k for k in ("y", "Y") if k in keys), None)
    return xk, yk


def _read_arrays(p: Path, mmap: bool, extras: bool) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """``(X, y, others)`` of a checked input path; ``others`` (the .npz's other arrays) only when
    ``extras``, else ``{}``."""
    suffix = p.suffix.lower()
    magic = {".npy": b"\x93NUMPY", ".npz": b"PK"}.get(suffix)
    if magic is not None:
        with open(p, "rb") as fh:
            if fh.read(len(magic)) != magic:
                raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: not a NumPy {suffix} file")
    try:
        if suffix == ".npy":
            return np.load(p, mmap_mode="r" if mmap else None, allow_pickle=False), None, {}
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                keys = list(z.keys())
                xk, yk = _npz_xy_keys(keys)
                if xk is None:
                    raise ValueError(f"{str(p)!r}: expected an array named 'x' (or 'X'), found {keys}")
                others = {k: z[k] for k in keys if k not in (xk, yk)} if extras else {}
                return z[xk], (z[yk] if yk else None), others
    except ValueError as e:
        if "allow_pickle" in str(e) or "pickle" in str(e).lower() or "Python objects" in str(e):
            raise ValueError(f"{str(p)!r} holds Python objects (pickled); only numeric arrays are read") from None
        if str(e).startswith("'") or str(e).startswith(str(p)):
            raise
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {e}") from None
    except (OSError, EOFError) as e:
        raise ValueError(f"cannot read {str(p)!r} as {suffix[1:]}: {e}") from None
    raise ValueError(f"input {str(p)!r}: expected .npy or .npz, got {suffix!r}")


def read_array(path: str | os.PathLike, mmap: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """``(X, y)`` from a .npy (memory-mapped, y=None) or .npz (keys x/X and optional y/Y)."""
    x, y, _ = _read_arrays(check_input(path), mmap, extras=False)
    return x, y


def read_arrays(path: str | os.PathLike, mmap: bool = True) -> tuple[np.ndarray, np.ndarray | None, dict[str, np.ndarray]]:
    """``(X, y, others)``: :func:`read_array`'s ``X`` and ``y`` and, in one read of the file, the
    .npz's other arrays by name (``{}`` for a .npy)."""
    return _read_arrays(check_input(path), mmap, extras=True)


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
    """A list of PyG ``Data`` from a .pt file holding a Data, a list of them, dicts of tensors (what
    :func:`write_graphs` writes), or a PyG ``InMemoryDataset``'s collated graphs and slices (what
    ``InMemoryDataset.save`` writes, a dataset's ``processed/data.pt``), separated graph by graph.
    Uses ``torch.load(weights_only=True)``: no pickle, so a saved ``Batch`` (pickled through a dynamic
    class) is refused with a hint to save ``batch.to_data_list()``."""
    import pickle

    import torch
    from torch_geometric.data import Batch, Data

    p = check_input(path)
    with open(p, "rb") as fh:
        head = fh.read(2)
    # torch.save writes a zip archive (PK); older torch files are pickles (protocol 2+: 0x80)
    if head[:2] != b"PK" and head[:1] != b"\x80":
        raise ValueError(f"cannot read {str(p)!r} as a torch file: it is not one (no zip archive or pickle); "
                         "write graphs with multiaug.io.write_graphs")
    try:
        with torch.serialization.safe_globals(_safe_pyg_globals()):
            obj = torch.load(p, weights_only=True, map_location="cpu")
    except pickle.UnpicklingError as e:
        # torch's own message advises loading with weights_only=False: never repeat that advice here
        import re

        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        what = f"it holds a pickled {found.group(1)}" if found else "it holds pickled Python objects"
        if found and found.group(1).startswith("torch_geometric.data.batch"):
            what += "; a PyG Batch is pickled: save batch.to_data_list() instead"
        raise ValueError(
            f"{str(p)!r} is not a tensor-only .pt file ({what}): multiaug reads .pt files with "
            "torch.load(weights_only=True), because unpickling can run arbitrary code, so only tensors, PyG "
            "Data objects and lists/dicts of them are accepted; write graphs with multiaug.io.write_graphs"
        ) from None
    except (RuntimeError, EOFError, OSError) as e:
        raise ValueError(f"cannot read {str(p)!r} as a torch file: {str(e).splitlines()[0][:200]}") from None
    collated = _separate_collated(obj, p)
    items = collated if collated is not None else obj if isinstance(obj, (list, tuple)) else [obj]
    graphs = []
    for i, it in enumerate(items):
        if isinstance(it, Batch):
            graphs.extend(it.to_data_list())
        elif isinstance(it, Data):
            graphs.append(it)
        elif isinstance(it, dict):
            if "edge_index" not in it or not all(isinstance(k, str) for k in it):
                keys = ", ".join(map(repr, list(it)[:6])) + (", ..." if len(it) > 6 else "")
                raise ValueError(
                    f"{str(p)!r}: item {i} is a dict of {keys} with no 'edge_index'; expected a graph (a PyG Data, or a "
                    "dict with x, edge_index, ...)" + (" (a model's state_dict?)" if any("." in str(k) for k in it) else "")
                )
            graphs.append(Data(**it))
        else:
            what = "a" + ("n" if type(it).__name__[:1].lower() in "aeiou" else "") + f" {type(it).__name__}"
            raise ValueError(f"{str(p)!r}: item {i} is {what}; expected a graph (Data or dict of tensors)")
    if not graphs:
        raise ValueError(f"{str(p)!r} holds no graphs")
    return harmonize_graphs(graphs, where=repr(str(p)))


def _is_slices(v: Any) -> bool:
    """Whether ``v`` is the ``slices`` of a collated PyG dataset: a mapping of attribute names to
    1-D integer offsets starting at 0 (``InMemoryDataset.collate``'s second value)."""
    import torch

    if not isinstance(v, dict) or not v:
        return False
    for t in v.values():
        if not (isinstance(t, torch.Tensor) and t.ndim == 1 and len(t) >= 2 and not t.is_floating_point()
                and not t.is_complex() and t.dtype != torch.bool and int(t[0]) == 0 and bool((t[1:] >= t[:-1]).all())):
            return False
    return True


def _separate_collated(obj: Any, p: Path) -> list | None:
    """The graphs of a PyG ``InMemoryDataset`` file (what ``InMemoryDataset.save`` writes, a
    dataset's ``processed/data.pt``: a tuple ``(data as a dict, slices, Data)``, or ``(Data, slices)``
    as older PyG wrote it; one graph has ``slices`` None), separated as the dataset does; None when
    ``obj`` is no such tuple."""
    from torch_geometric.data import Data

    if not isinstance(obj, tuple) or len(obj) not in (2, 3) or not isinstance(obj[0], (dict, Data)):
        return None
    data, slices = obj[0], obj[1]
    if len(obj) == 3 and not (isinstance(obj[2], type) and issubclass(obj[2], Data)):
        return None
    if slices is not None and not _is_slices(slices):
        return None
    if isinstance(data, dict):
        if not all(isinstance(k, str) for k in data):
            return None
        data = Data.from_dict(data)
    if slices is None:
        return [data]
    from torch_geometric.data.separate import separate

    missing = [k for k in slices if k not in data]
    if missing:
        raise ValueError(f"{str(p)!r}: a collated PyG dataset whose slices name attributes {missing} the data lacks")
    n = len(next(iter(slices.values()))) - 1
    try:
        return [separate(cls=Data, batch=data, idx=i, slice_dict=slices, decrement=False) for i in range(n)]
    except (IndexError, RuntimeError, KeyError, TypeError) as e:
        raise ValueError(f"{str(p)!r}: cannot separate the graphs of this collated PyG dataset: {e}") from None


def harmonize_graphs(graphs: list, where: str = "graphs") -> list:
    """Give every graph the same attributes, as batching needs: a graph without ``edge_weight`` next to
    weighted ones (e.g. originals beside SchurView or DiffusionView outputs) gets weight 1 on each
    edge, which is what an unweighted edge means; any other difference is a ``ValueError``."""
    import torch

    if not graphs:
        return graphs
    if any("edge_weight" in g for g in graphs) and not all("edge_weight" in g for g in graphs):
        ref = next(g.edge_weight for g in graphs if "edge_weight" in g)
        out = []
        for g in graphs:
            if "edge_weight" not in g:
                g = g.clone()
                g.edge_weight = torch.ones(g.edge_index.shape[1], dtype=ref.dtype)
            out.append(g)
        graphs = out
    first = sorted(graphs[0].keys())
    for i, g in enumerate(graphs[1:], 1):
        if sorted(g.keys()) != first:
            raise ValueError(f"{where}: graph {i} has attributes {sorted(g.keys())} but graph 0 has {first}; "
                             "every graph of a file needs the same attributes")
    return graphs


def write_graphs(path: str | os.PathLike, graphs: list) -> None:
    """Write graphs as a list of dicts of tensors (readable with ``weights_only=True``), atomically."""
    import torch

    payload = []
    for g in harmonize_graphs(list(graphs), where=f"output {str(path)!r}"):
        d = {}
        for k, v in g.to_dict().items():
            if isinstance(v, (torch.Tensor, int, float, bool, str)) or v is None:
                d[k] = v
            else:
                raise ValueError(f"graph attribute {k!r} of type {type(v).__name__} cannot be saved without pickle")
        payload.append(d)
    with atomic_output(path) as tmp:
        torch.save(payload, tmp)
