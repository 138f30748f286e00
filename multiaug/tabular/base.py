"""Tabular batches: conversion and the base class of tabular augmenters.

A batch is ``(N, F)``: a torch tensor, a NumPy array or a pandas DataFrame. Kernels see a float tensor
``(N, F)``; the output has the input's type (a DataFrame keeps its index, column names and dtypes,
nullable ones included). Integer columns wider than 16 bits and float64 columns are carried in float64
(a DataFrame holding one is converted to float64 as a whole, integer arrays of int32/int64 too), so
ids, counts and prices the augmenter leaves alone come back exactly; other tables go through float32.
64-bit integers beyond float64's exact range (``|v| > 2**53``, e.g. snowflake ids) are tracked: a cell
whose value is unchanged gets its input integer back (output row ``i`` comes from input row ``i``, or
from the rows given by the handler's ``rows_ctx`` for class balancing and redraws), a cell copied from
another row gets that integer where float64 tells it apart from the column's others (a
``RuntimeWarning`` names the column where it cannot), and such a column declared in
``categorical_columns`` is carried as category codes, exact whatever the augmenter does. Integer
outputs are rounded and *clipped* to their dtype's range (noise on a uint8 0 gives 0, never 255).

Column names: an augmenter fitted on a DataFrame checks that later DataFrames bring the same columns
in the same order, whatever the names (str, int, tuples of a MultiIndex, floats, None, timestamps...;
see :meth:`TabularAugmenter._record_feature_names`); ``save`` keeps them with their type
(:mod:`multiaug.tabular.tagged`) and raises ``ValueError`` naming a name it cannot write exactly.

Column kinds (DataFrames, and arrays/tensors through ``categorical_columns``):

* **numeric** float columns are transformed as floats;
* **integer** columns are transformed as floats and *rounded* back to integers (mixing two integer
  values gives the nearest integer of the interpolation); declare them in ``categorical_columns``
  to treat them as categories instead;
* **categorical** columns (pandas ``category`` dtype, ``bool`` columns, and any column named in the
  augmenter's ``categorical_columns``; ``object``/``string`` columns must be declared there) are
  encoded to integer codes internally and flagged to the kernels, which never interpolate them:
  mixing takes the value of the side with the larger weight and noise leaves them unchanged. They are
  decoded back to their categories on output. Undeclared non-numeric columns raise ``TypeError``.
  An ``object`` column is coded by value *and type* (``1``, ``True``, ``1.0``, ``Decimal(1)`` and
  ``np.int64(1)``, which pandas' categories merge, are distinct categories with neighbouring codes):
  a cell left as it was comes back as its own object, a cell copied from another row as a value of
  that cell's type (see :func:`_object_categories`).

A DataFrame's NumPy float, integer and bool columns are read and written as one block
(:func:`_block_columns`); the other columns one at a time.

Missing values: ``nan_policy="raise"`` (default) raises ``ValueError`` naming the columns with NaN;
``nan_policy="keep"`` lets NaN through: a cell where either side is NaN is not interpolated (it takes
the value, NaN or not, of the side with the larger weight) and noise leaves NaN as NaN. ``inf`` always
raises. A missing cell of an ``object`` column comes back with the marker of the cell it is copied
from (``None`` stays ``None``, ``pd.NA`` stays ``pd.NA``, ``nan`` stays ``nan``), several kinds in one
column included; other columns use their dtype's own marker.

Augmenters that work on per-feature token embeddings (``FeatMix``, ``HidMix``) also accept 3-D
tensors/arrays ``(N, F, D)``.

Per-sample probability ``p``: tabular augmenters draw their parameters for the whole batch (mixing
partners are drawn from the whole batch) plus the per-row ``active`` mask (``p_mode = "mask"``); rows
that are not active are returned unchanged (and keep their own label).

Params of a tabular augmenter: ``{"active": (N,) bool, "hard": (F,) bool, **draws}``, ``hard`` being
the columns never interpolated (found by the conversion and passed to :meth:`sample` as the ``hard``
keyword; a bare tensor given to ``sample`` without it has none).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import torch

from ..core import Augmenter, Params, TensorHandler, register_modality
from ..core.base import input_settings
from ..core.constraints import Options, Satisfies, SequenceOf
from ..core.handlers import float_of_ints
from ..core.hostreads import min_max
from ..core.report import warn_user
from .tagged import SUPPORTED, UnsupportedValue, from_json, to_json

NAN_POLICIES = ("raise", "keep")


@dataclass
class _Ctx:
    kind: str  # "tensor" | "numpy" | "frame"
    np_dtype: Any = None
    torch_dtype: Any = None
    columns: Any = None
    index: Any = None
    dtypes: Any = None
    categories: dict = field(default_factory=dict)  # column position -> pandas Index of categories
    extra: dict = field(default_factory=dict)


def _resolve_columns(spec: Any, columns: Sequence[Any] | None, n_cols: int, who: str) -> list[int]:
    """Positions of the columns named (or indexed) in ``spec``."""
    if spec is None:
        return []
    if isinstance(spec, (str, int, np.integer)):
        spec = [spec]
    out = []
    cols = list(columns) if columns is not None else None
    for c in spec:
        named = [j for j, name in enumerate(cols) if _names_column(name, c)] if cols is not None else []
        if named:
            # every column of that name (a frame may hold several), as df[name] selects them all
            out.extend(named)
        elif isinstance(c, (int, np.integer)) and not isinstance(c, bool) and -n_cols <= int(c) < n_cols:
            out.append(int(c) % n_cols)
        else:
            hint = ("; x is an array or tensor, which carries no column names (a DataFrame's names do not "
                    "travel with df.to_numpy() or token embeddings): give positions, or set_params("
                    "categorical_columns=...) for this input") if cols is None and not isinstance(c, (int, np.integer)) else ""
            raise ValueError(
                f"{who}: categorical_columns entry {c!r} is neither a column name nor a position of a table "
                f"with {n_cols} columns{hint}"
            )
    return sorted(set(out))


def _names_column(name: Any, c: Any) -> bool:
    """Whether the ``categorical_columns`` entry ``c`` names the column ``name``: equal values, except
    that a boolean never names a non-boolean column or the reverse (``True == 1`` in Python, but ``1``
    and ``True`` are different names: ``[1]`` on columns ``[True, "b"]`` is position 1)."""
    if isinstance(name, (bool, np.bool_)) != isinstance(c, (bool, np.bool_)):
        return False
    if name is c:
        return True
    try:
        return bool(name == c)
    except (TypeError, ValueError):
        return False


def _needs_float64(dt: Any) -> bool:
    """True for a DataFrame column dtype whose values float32 cannot all hold exactly (float64, and
    integers wider than 16 bits, nullable ones included)."""
    import pandas as pd

    if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(dt):
        return False
    try:
        np_dt = np.dtype(getattr(dt, "numpy_dtype", dt))
    except TypeError:
        return True
    if np.issubdtype(np_dt, np.integer):
        return np_dt.itemsize > 2
    return not (np.issubdtype(np_dt, np.floating) and np_dt.itemsize <= 4)


def _nullable_int(dt: Any) -> Any:
    """The pandas nullable integer dtype of the same width as ``dt`` (``int32`` -> ``Int32``)."""
    import pandas as pd

    if isinstance(dt, pd.api.extensions.ExtensionDtype):
        return dt
    name = np.dtype(dt).name
    return pd.api.types.pandas_dtype(name[0].upper() + name[1:] if name.startswith("int") else "U" + name[1:].capitalize())


#: float64 holds every integer of magnitude up to 2**53 exactly, not all beyond it
_F64_EXACT = 2**53


def _int_bounds(lo: int, hi: int) -> tuple[float, float]:
    """Float bounds of the integer range ``[lo, hi]`` that cast back inside it (2**63 - 1 rounds up to
    2**63 as a float: the bound is the float just below)."""
    flo, fhi = float(lo), float(hi)
    if int(fhi) > hi:
        fhi = float(np.nextafter(fhi, 0.0))
    if int(flo) < lo:
        flo = float(np.nextafter(flo, 0.0))
    return flo, fhi


def _to_int(v: np.ndarray, np_dt: Any) -> np.ndarray:
    """Float values rounded and *clipped* to the range of integer dtype ``np_dt`` (no wrap-around:
    noise on a uint8 0 gives 0, not 255); NaN cells give 0 (the caller masks them)."""
    info = np.iinfo(np_dt)
    lo, hi = _int_bounds(int(info.min), int(info.max))
    r = np.rint(v)
    if np.isnan(r).any():
        np.nan_to_num(r, copy=False, nan=0.0)
    return np.clip(r, lo, hi, out=r).astype(np_dt)


def _beyond_float64(ints: np.ndarray) -> np.ndarray:
    """Boolean mask (same shape) of the integers float64 cannot hold exactly (``|v| > 2**53``)."""
    if ints.dtype.kind == "u":
        return ints > _F64_EXACT
    return (ints > _F64_EXACT) | (ints < -_F64_EXACT)


def _wide_column(col: Any) -> tuple[np.ndarray, np.ndarray | None] | None:
    """``(ints, valid)`` of a 64-bit integer DataFrame column (nullable ones included; ``valid`` is
    None without missing values) holding values float64 cannot represent exactly; None otherwise."""
    import pandas as pd

    if not pd.api.types.is_integer_dtype(col.dtype):
        return None
    np_dt = np.dtype(getattr(col.dtype, "numpy_dtype", col.dtype))
    if np_dt.itemsize < 8:
        return None
    valid = ~col.isna().to_numpy() if col.hasnans else None
    ints = (col.fillna(0) if valid is not None else col).to_numpy(dtype=np_dt)
    held = ints if valid is None else ints[valid]
    if not held.size or (-_F64_EXACT <= held.min() and held.max() <= _F64_EXACT) or not bool(_beyond_float64(held).any()):
        return None
    return ints, valid


def _exact_column(f: np.ndarray, ints: np.ndarray, valid: np.ndarray | None, src: np.ndarray | None) -> tuple[np.ndarray, int]:
    """Integers of the output column ``f`` (float64) of an input column ``ints`` that float64 cannot
    hold exactly. A cell whose source row is known (``src[i]``) and whose value is unchanged gets that
    row's exact integer; a cell holding the float64 image of exactly one integer of the input column
    (a value copied from another row by mixing) gets that integer; others (new values: noise,
    interpolation) are rounded. Returns the integers and the number of cells holding a copied value
    that several input integers share (float64 cannot tell which: rounded)."""
    out = _to_int(f, ints.dtype)
    fin = np.isfinite(f)
    fixed = np.zeros(len(f), dtype=bool)
    if src is not None:
        o = ints[src]
        fixed = fin & (f == o.astype(np.float64))
        if valid is not None:
            fixed &= valid[src]
        out[fixed] = o[fixed]
    vals = np.unique(ints if valid is None else ints[valid])
    rest = np.flatnonzero(fin & ~fixed)
    if not len(rest) or not len(vals):
        return out, 0
    uimg, start, count = np.unique(vals.astype(np.float64), return_index=True, return_counts=True)
    pos = np.searchsorted(uimg, f[rest]).clip(max=len(uimg) - 1)
    hit = uimg[pos] == f[rest]
    one = hit & (count[pos] == 1)
    out[rest[one]] = vals[start[pos[one]]]
    return out, int((hit & (count[pos] > 1)).sum())


#: a missing marker kind ``k`` of an object column travels as the float32 quiet NaN
#: ``_NAN_TAG | (k + 1) << 8``: copies, selections and float32 <-> float64 casts keep the payload
_NAN_TAG, _NAN_TAG_MASK, _NAN_TAG_KINDS = 0x7FC000A5, 0xFFC000FF, 0x3FFF


def _missing_markers(col: Any, miss: np.ndarray) -> tuple[list, np.ndarray]:
    """``(markers, kind)`` of an object column whose cells ``miss`` are missing (its category codes
    below 0: the cells ``col.isna()`` marks): one marker object per kind (its type: ``None``,
    ``pd.NA``, ``float('nan')``, ``pd.NaT``...; the first cell of that kind) and the kind of each
    row's cell (``-1`` where not missing)."""
    import pandas as pd

    cells = col.to_numpy(dtype=object)[miss]
    codes, _ = pd.factorize(np.frompyfunc(type, 1, 1)(cells))
    first = np.unique(codes, return_index=True)[1]  # codes number the kinds by first appearance
    kind = np.full(len(col), -1, dtype=np.int64)
    kind[miss] = codes
    return list(cells[first]), kind


def _nan_tags(kind: np.ndarray) -> np.ndarray:
    """float64 NaNs whose payload says the missing marker kind (see :data:`_NAN_TAG`)."""
    bits = np.uint32(_NAN_TAG) | ((kind.astype(np.uint32) + np.uint32(1)) << np.uint32(8))
    return bits.astype(np.uint32).view(np.float32).astype(np.float64)


def _nan_kinds(v: np.ndarray, n_kinds: int) -> np.ndarray:
    """Missing marker kinds read back from the payloads of NaNs ``v`` (``-1`` where the payload is
    not a tag: a kernel's arithmetic made a new NaN)."""
    bits = np.ascontiguousarray(v.astype(np.float32)).view(np.uint32)
    kind = ((bits >> np.uint32(8)) & np.uint32(_NAN_TAG_KINDS)).astype(np.int64) - 1
    ok = ((bits & np.uint32(_NAN_TAG_MASK)) == np.uint32(_NAN_TAG)) & (kind >= 0) & (kind < n_kinds)
    return np.where(ok, kind, -1)


def _frame_columns(x: Any) -> list | None:
    """A DataFrame's column names as a list (NumPy scalars as Python ones; tuples for a MultiIndex),
    None for anything else."""
    cols = getattr(x, "columns", None)
    if cols is None or not hasattr(x, "iloc"):
        return None
    return [c.item() if isinstance(c, np.generic) else c for c in cols]


def _same_name(a: Any, b: Any) -> bool:
    """Column names ``a`` and ``b`` are the same (of one type: ``1`` is not ``'1'`` nor ``True``; NaN
    names match)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    try:
        return bool(a == b) or (isinstance(a, float) and a != a and b != b)
    except (TypeError, ValueError):
        return False


#: a frame whose other columns are read one at a time reads its NumPy numeric columns as a block from
#: this many on (below, the block's set-up and reassembly cost more than it saves: ~1 ms)
_MIN_BLOCK = 8


def _block_columns(dtypes: list, declared: set) -> np.ndarray:
    """Positions of the DataFrame columns of NumPy float, integer and bool ``dtypes`` that
    :meth:`TabularHandler.check` reads (and ``restore`` writes) as one block: all of them but bool
    columns declared categorical (``check`` then leaves out 64-bit integer columns holding values
    beyond float64's exact range, tracked column by column)."""
    return np.asarray([j for j, dt in enumerate(dtypes)
                       if isinstance(dt, np.dtype) and dt.kind in "fiub" and not (dt.kind == "b" and j in declared)],
                      dtype=np.int64)


def _check_not_empty(shape: tuple, who: str) -> None:
    if len(shape) >= 2 and shape[0] == 0:
        raise ValueError(f"{who}: 0 sample(s) (shape={tuple(shape)}) while a minimum of 1 is required.")
    if len(shape) >= 2 and shape[1] == 0:
        raise ValueError(f"{who}: 0 feature(s) (shape={tuple(shape)}) while a minimum of 1 is required.")
    if any(s == 0 for s in shape):
        raise ValueError(f"{who}: empty table of shape {tuple(shape)}")


def _as_array(x: Any, who: str, arg: str = "x") -> np.ndarray:
    """A real numeric NumPy array from an array or an array-like (nested lists, objects with
    ``__array__``); sparse matrices, complex numbers and non-numeric values are refused, naming
    ``who`` and the argument ``arg``."""
    lead = who if arg == "x" else f"{who}: {arg}"
    if hasattr(x, "tocsr") or type(x).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{lead}: sparse input ({type(x).__name__}) is not supported; pass a dense array ({arg}.toarray())"
        )
    if not isinstance(x, np.ndarray):
        if isinstance(x, (str, bytes, dict)) or not (hasattr(x, "__array__") or isinstance(x, (list, tuple))):
            raise TypeError(
                f"{lead}: expected a torch.Tensor, numpy.ndarray, pandas.DataFrame or array-like of shape (N, F), "
                f"got {type(x).__name__}"
            )
        try:
            x = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{who}: could not read {arg} as a numeric table ({err})") from None
    if np.iscomplexobj(x):
        raise ValueError(f"{who}: Complex data not supported: {arg} has dtype {x.dtype}; expected real numbers")
    if x.dtype == object:
        try:
            x = x.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{lead}: expected a numeric array, got dtype object with non-numeric values") from None
        if np.iscomplexobj(x):
            raise ValueError(f"{who}: Complex data not supported: {arg} holds complex numbers; expected real numbers")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"{lead}: expected a numeric array, got dtype {x.dtype}")
    return x


def _objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array holding ``values`` as they are (tuples stay elements, not rows)."""
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def _object_index(values: Sequence[Any]) -> Any:
    """An object ``pandas.Index`` of ``values`` as they are (no dtype inference, tuples kept)."""
    import pandas as pd

    return pd.Index(_objects(values), dtype=object, tupleize_cols=False)


def _plain_type(t: type) -> bool:
    """Equal values of type ``t`` cannot be told apart (strings, integers, booleans, bytes), unlike
    floats (``0.0``/``-0.0``), ``Decimal`` (``1.0``/``1``) or objects with other state."""
    return t in (str, int, bool, bytes) or issubclass(t, (np.integer, np.bool_, np.str_, np.bytes_))


def _object_categories(vals: np.ndarray) -> tuple[Any, np.ndarray, bool]:
    """``(categories, codes, exact)`` of the cells ``vals`` (an object array) of an object column:
    categories sorted where the values allow it (as ``astype("category")`` sorts them; ``-1`` codes a
    missing cell). Python and pandas hash equal values of different types alike (``1``, ``True``,
    ``1.0``, ``Decimal(1)``, ``np.int64(1)``), so where the column holds several types, a value of each
    type is its own category (next to the equal values of the other types). ``exact``: the column holds
    several types, or values of one type that may differ while equal (floats, Decimal...), so
    :meth:`TabularHandler.restore` gives each unchanged cell its own object back. ``TypeError`` for
    unhashable cells."""
    import pandas as pd

    types = set(map(type, vals))
    if types == {int}:  # Python ints only: factorized as int64, as astype("category") does (faster)
        try:
            ints = vals.astype(np.int64)
        except OverflowError:
            pass
        else:
            codes, uniques = pd.factorize(ints, sort=True)
            return pd.Index(uniques.astype(object), dtype=object), codes, False
    try:
        codes, uniques = pd.factorize(vals, sort=True)
    except TypeError:  # values of several unorderable types: in order of appearance (as Categorical)
        codes, uniques = pd.factorize(vals, sort=False)
    miss = codes < 0
    if miss.any():  # the types of the values, not of the missing markers (None, pd.NA, nan...)
        held = types - {type(None), type(pd.NA), type(pd.NaT)}  # (always missing; a float may be NaN or not)
        types = set(map(type, vals[~miss])) if len(held) > 1 else held
    cats = pd.Index(uniques, dtype=object, tupleize_cols=False)
    if len(types) <= 1:
        return cats, codes, bool(types) and not _plain_type(next(iter(types)))
    # several types: a category per (value, type); ordered by value, then by type in order of appearance
    tcodes = pd.factorize(np.frompyfunc(type, 1, 1)(vals))[0]
    keep = ~miss
    pair = codes.astype(np.int64) * (int(tcodes.max()) + 1) + tcodes
    uniq, first, inv = np.unique(pair[keep], return_index=True, return_inverse=True)
    if len(uniq) == len(cats):  # no value shared by two types: the categories stand
        return cats, codes, True
    out = np.full(len(vals), -1, dtype=np.int64)
    out[keep] = inv.reshape(-1)
    return pd.Index(vals[keep][first], dtype=object, tupleize_cols=False), out, True


def _codes_in(cats: Any, vals: np.ndarray) -> np.ndarray:
    """Position in ``cats`` of each of ``vals`` (``-1`` where missing or absent). Where ``cats`` or
    ``vals`` hold several types, a value matches only a category of its own type (``True`` is not the
    category ``1``, see :func:`_object_categories`)."""
    import pandas as pd

    if cats.dtype != object and vals.dtype != object:
        return cats.get_indexer(vals)
    miss = pd.isna(vals)
    held = vals[~miss] if miss.any() else vals
    types = set(map(type, held)) | set(map(type, cats))
    if len(types) <= 1 and cats.is_unique:
        return cats.get_indexer(vals)
    lookup: dict = {}
    for i, c in enumerate(cats):
        lookup.setdefault((type(c), c), i)
    out = np.full(len(vals), -1, dtype=np.int64)
    out[~miss] = [lookup.get((type(v), v), -1) for v in held]
    return out


def _categories_from_record(vals: list, fmt: list) -> Any:
    """The categories (a ``pandas.Index``) of a record of ``categories_in_`` (see :func:`_categories_record`)."""
    import pandas as pd

    if not fmt:
        return pd.Index(vals)
    if fmt[0] == "tagged":
        return _object_index([from_json(v) for v in vals])
    if fmt[0] == "objects":
        return _object_index(vals)
    return pd.Index(vals).astype(fmt[0])


def _fitted_categories(aug: Any) -> dict[int, Any]:
    """Column position -> ``pandas.Index`` of the categories that the augmenter (or those inside a
    composition) recorded at fit in ``categories_in_`` (augmenters whose kernels read category codes,
    see :attr:`TabularAugmenter.reads_category_codes`); ``ValueError`` when two of them disagree."""
    out: dict[int, Any] = {}
    seen: dict[int, tuple[str, list]] = {}
    for a, recorded in input_settings(aug, "categories_in_"):
        for j, vals, *fmt in recorded or ():
            j, vals = int(j), list(vals)
            if j in seen and seen[j][1] != vals:
                raise ValueError(
                    f"{type(aug).__name__}: {seen[j][0]} and {type(a).__name__} were fitted on different categories "
                    f"of column {j} ({seen[j][1][:5]} vs {vals[:5]}); fit them on the same data"
                )
            seen[j] = (type(a).__name__, vals)
            out[j] = _categories_from_record(vals, fmt)
    return out


#: the categories an untagged record holds: JSON reads them back as they were
_JSON_NATIVE = (str, int, bool, float)


def _categories_record(j: int, cats: Any) -> list:
    """The record of the categories ``cats`` (a ``pandas.Index``) of column ``j`` kept in
    ``categories_in_``: ``[j, values]`` (values of one JSON type: str, int, bool or float), ``[j, values
    as str, dtype]`` for dates and durations (read back with ``Index.astype(dtype)``), ``[j, tagged
    values, "tagged"]`` for an object column's other values (several types, tuples, NumPy scalars,
    Decimal...: :mod:`multiaug.tabular.tagged`), and ``[j, values, "objects"]`` for values that JSON
    cannot carry (usable in memory; ``save`` refuses them, naming the column)."""
    import json

    vals = list(cats.tolist()) if cats.dtype != object else list(cats)
    types = {type(v) for v in vals}
    if cats.dtype == object and not (len(types) <= 1 and types <= set(_JSON_NATIVE)
                                     and all(type(v) is not float or math.isfinite(v) for v in vals)):
        try:
            return [int(j), [to_json(v) for v in vals], "tagged"]
        except UnsupportedValue:
            return [int(j), vals, "objects"]
    try:
        json.dumps(vals, allow_nan=False)
    except (TypeError, ValueError):
        return [int(j), [str(v) for v in vals], str(cats.dtype)]
    return [int(j), vals]


def _code_as_fitted(col: Any, cats: Any, name: Any, who: str) -> tuple[Any, np.ndarray]:
    """``(categories, codes)`` of the DataFrame column ``col`` in the categories ``cats`` recorded at
    fit (``-1`` for missing values); a value outside them raises ``ValueError`` naming the column."""
    import pandas as pd

    if isinstance(col.dtype, pd.CategoricalDtype):
        idx = _codes_in(cats, np.asarray(col.cat.categories, dtype=object) if cats.dtype == object else col.cat.categories)
        own = col.cat.codes.to_numpy()
        codes = np.where(own >= 0, idx[own], -1) if len(idx) else np.full(len(own), -1)
    elif pd.api.types.is_object_dtype(col.dtype) or cats.dtype == object:
        codes = _codes_in(cats, col.to_numpy(dtype=object))
    else:
        codes = cats.get_indexer(col)
    unseen = (codes < 0) & col.notna().to_numpy()
    if unseen.any():
        values = list(dict.fromkeys(col[unseen].tolist()))
        raise ValueError(
            f"{who}: column {name!r} holds categories not seen in fit: {values[:5]}"
            f"{f' (and {len(values) - 5} more)' if len(values) > 5 else ''}; it was fitted on {list(cats)[:10]}"
            f"{' ...' if len(cats) > 10 else ''} and codes categorical columns with them (its neighbour search "
            "and policy read the codes): refit on data holding every category"
        )
    return cats, codes


class TabularHandler(TensorHandler):
    name = "tabular"
    unit = "rows"
    batch_inputs = ("hard",)

    def check(self, x: Any, aug: Any = None, arg: str = "x") -> tuple[torch.Tensor, _Ctx]:
        """The float tensor ``(N, F)`` of table ``x`` and what :meth:`restore` needs to give it back;
        errors name the augmenter and, where it is not ``x`` (e.g. ``X_val``), the argument ``arg``."""
        import pandas as pd

        who = type(aug).__name__ if aug is not None else "x"
        lead = who if arg == "x" else f"{who}: {arg}"  # messages that do not name the argument
        # the settings of the augmenter, or of every augmenter inside a composition: a column declared
        # categorical by any of them is categorical for all; NaN passes when all of them keep it
        cat_specs = [(type(a).__name__, v) for a, v in input_settings(aug, "categorical_columns") if v is not None]
        nan_policies = input_settings(aug, "nan_policy")
        nan_raisers = [type(a).__name__ for a, v in nan_policies if v != "keep"]
        tokens = [v for _, v in input_settings(aug, "accepts_tokens")]
        tokens_ok = bool(tokens) and all(tokens)

        def declared_columns(columns: Any, n_cols: int) -> list[int]:
            return sorted({j for name, spec in cat_specs for j in _resolve_columns(spec, columns, n_cols, name)})

        hard: list[int] = []
        if isinstance(x, pd.DataFrame):
            _check_not_empty(x.shape, lead)
            declared = set(declared_columns(x.columns, x.shape[1]))
            fitted_cats = _fitted_categories(aug)
            arr = np.empty(x.shape, dtype=np.float64)
            ctx = _Ctx("frame", columns=x.columns, index=x.index, dtypes=x.dtypes)
            bad, dates = [], []
            wide = False  # a column float32 cannot hold exactly (see below)
            # columns of NumPy float/integer/bool dtypes are read as one block (a column at a time costs
            # ~0.5 ms each: 40 ms a call for a 100-column frame, however few its rows)
            dtypes = list(x.dtypes)
            block = _block_columns(dtypes, declared)
            if len(block) < (2 if len(block) == x.shape[1] else _MIN_BLOCK):
                block = block[:0]  # (a few columns among others: column by column costs less than the block's set-up)
            if len(block) == x.shape[1]:  # (into arr: C order, as column by column; the layout sets float sums)
                arr[...] = x.to_numpy(dtype=np.float64)
            elif len(block):
                arr[:, block] = x.iloc[:, block].to_numpy(dtype=np.float64)
            ints = block[[dtypes[j].kind in "iu" and dtypes[j].itemsize == 8 for j in block]] if len(block) else block
            if len(ints):  # 64-bit integers beyond 2**53 (ids) are tracked column by column (|v| > 2**53 -> >= as a float)
                sub = arr[:, ints]
                big = ints[(sub.max(0) >= _F64_EXACT) | (sub.min(0) <= -_F64_EXACT)]
                block = block[~np.isin(block, big)] if len(big) else block
            if len(block):
                ctx.extra["block"] = block
                for dt in {dtypes[j] for j in block}:
                    wide = wide or _needs_float64(dt)
                hard.extend(int(j) for j in block if dtypes[j].kind == "b" or j in declared)
            in_block = np.zeros(x.shape[1], dtype=bool)
            in_block[block] = True
            for j, c in enumerate(x.columns):
                if in_block[j]:
                    continue
                col = x.iloc[:, j]
                dt = col.dtype
                wide = wide or _needs_float64(dt)
                # 64-bit integers float64 cannot hold (ids above 2**53): exact as category codes when
                # declared categorical, else put back by restore where unchanged
                exact = _wide_column(col)
                if isinstance(dt, pd.CategoricalDtype) or (j in declared and not pd.api.types.is_numeric_dtype(dt)) or (
                    j in declared and (pd.api.types.is_bool_dtype(dt) or exact is not None)
                ):
                    obj = pd.api.types.is_object_dtype(dt)
                    exact_cells = False
                    try:
                        if j in fitted_cats:  # coded as at fit, whatever categories this table holds
                            cats, codes = _code_as_fitted(col, fitted_cats[j], c, lead)
                            exact_cells = obj
                        elif obj:  # by value and type: 1, True and 1.0 are three categories
                            cats, codes, exact_cells = _object_categories(col.to_numpy())
                        else:
                            cat = col.astype("category") if not isinstance(dt, pd.CategoricalDtype) else col
                            cats, codes = cat.cat.categories, cat.cat.codes.to_numpy()
                    except TypeError as err:  # unhashable cells (lists, dicts) cannot be categories
                        raise TypeError(
                            f"{lead}: categorical column {c!r} holds values that cannot be categories ({err}); "
                            "expected hashable values (strings, numbers...): encode the column first"
                        ) from None
                    if exact_cells:  # restore gives each cell left as it was its own object back
                        ctx.extra.setdefault("objects", {})[j] = (col.to_numpy(), np.asarray(codes, dtype=np.int64))
                    miss = codes < 0  # missing cells (a category not seen in fit raised above)
                    codes = codes.astype(np.float64)
                    codes[miss] = np.nan
                    # an object column's missing cells come back with their own marker (None stays
                    # None, pd.NA pd.NA...); several kinds in a column: each NaN carries its kind
                    if pd.api.types.is_object_dtype(dt) and miss.any():
                        markers = _missing_markers(col, miss)
                        ctx.extra.setdefault("missing", {})[j] = markers
                        if len(markers[0]) > 1:
                            tagged = markers[1] >= 0
                            codes[tagged] = _nan_tags(markers[1][tagged])
                    arr[:, j] = codes
                    ctx.categories[j] = cats
                    hard.append(j)
                elif pd.api.types.is_bool_dtype(dt):
                    arr[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
                    hard.append(j)
                elif pd.api.types.is_complex_dtype(dt):
                    raise ValueError(f"{lead}: Complex data not supported: column {c!r} has dtype {dt}; expected real numbers")
                elif pd.api.types.is_numeric_dtype(dt):
                    arr[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
                    if exact is not None:
                        ctx.extra.setdefault("exact", {})[j] = exact
                    if j in declared:
                        hard.append(j)
                else:
                    bad.append(c)
                    if pd.api.types.is_datetime64_any_dtype(dt) or pd.api.types.is_timedelta64_dtype(dt):
                        dates.append(c)  # (by position: x[c] is a frame where names repeat)
            if bad:
                hint = (f"; dates and durations ({dates}) are never interpolated: turn them into numbers first "
                        "(e.g. days since a reference date), or declare them categorical to copy them between rows "
                        "as they are") if dates else ""
                raise TypeError(
                    f"{who}: {arg} columns {bad} are not numeric; declare them categorical (categorical_columns={bad!r} "
                    f"or pandas 'category' dtype) or encode them first{hint}"
                )
            # float64 keeps every value an integer or float64 column can hold (ids, prices): cells
            # the augmenter does not change come back exactly; float32 when every column fits it
            t = torch.from_numpy(arr)
            if not wide:
                t = t.to(torch.float32)
        elif isinstance(x, torch.Tensor):
            if x.layout != torch.strided:
                raise TypeError(
                    f"{lead}: sparse input (torch.Tensor with layout {x.layout}) is not supported; pass a dense "
                    f"tensor ({arg}.to_dense())"
                )
            if x.is_complex():
                raise ValueError(f"{who}: Complex data not supported: {arg} has dtype {x.dtype}; expected real numbers")
            t = x
            ctx = _Ctx("tensor", torch_dtype=x.dtype)
        else:
            arr = _as_array(x, who, arg)
            np_dtype = arr.dtype
            if not arr.dtype.isnative:
                # the other byte order (big-endian on most machines: FITS, some HDF5 or MATLAB files):
                # torch refuses it, so the values are read in the native one (a copy); the output is
                # cast back to the input's dtype, byte order included, as the time-series handler does
                arr = arr.astype(arr.dtype.newbyteorder("="))
            if arr.dtype == np.longdouble and np.dtype(np.longdouble) != np.dtype(np.float64):
                # torch has no extended precision: carried in float64 (as DataFrame columns of it
                # are) and cast back to the input's dtype on output
                arr = arr.astype(np.float64)
            # torch.from_numpy shares memory; the kernels never write to their input, and restore
            # copies when the output would still be the caller's array (read-only arrays included)
            t = torch.from_numpy(np.ascontiguousarray(arr)) if arr.flags.writeable else torch.from_numpy(arr.copy())
            ctx = _Ctx("numpy", np_dtype=np_dtype)
            ctx.extra["source"] = x if isinstance(x, np.ndarray) else None
        if tokens_ok and t.dim() == 3:
            pass
        elif t.dim() != 2:
            expected = "a 2-D table (N, F) or token embeddings (N, F, D)" if tokens_ok else "a 2-D table (N, F)"
            hint = f"; Reshape your data: {arg}.reshape(-1, 1) for one feature, {arg}.reshape(1, -1) for one sample" if t.dim() < 2 else ""
            raise ValueError(f"{lead}: expected {expected}, got shape {tuple(t.shape)}{hint}")
        _check_not_empty(tuple(t.shape), lead)
        if ctx.kind != "frame":
            hard = declared_columns(None, t.shape[1])
            if t.dtype == torch.bool:
                hard = list(range(t.shape[1]))
        if not t.is_floating_point():
            ints = t if ctx.kind != "frame" and t.dim() == 2 and t.dtype in (torch.int64, torch.uint64) else None
            # integers beyond float32's 2**24 (ids, counts) stay exact in float64
            t = float_of_ints(t)
            if ints is not None:  # and those beyond float64's 2**53 are tracked
                t = self._track_exact(ints, t, hard, ctx)
        finite = torch.isfinite(t)
        if not bool(finite.all()):
            inf = torch.isinf(t)
            if bool(inf.any()):
                bad_cols = torch.nonzero(inf.reshape(t.shape[0], t.shape[1], -1).any(dim=(0, 2))).flatten().tolist()
                names = [ctx.columns[j] for j in bad_cols] if ctx.columns is not None else bad_cols
                raise ValueError(
                    f"{who}: {arg} contains inf values ({int(inf.sum())} cells, columns {names}); replace them first"
                )
            if nan_raisers or not nan_policies:
                bad_cols = torch.nonzero(torch.isnan(t).reshape(t.shape[0], t.shape[1], -1).any(dim=(0, 2))).flatten().tolist()
                names = [ctx.columns[j] for j in bad_cols] if ctx.columns is not None else bad_cols
                inside = (f" to {', '.join(dict.fromkeys(nan_raisers))} inside it"
                          if nan_raisers and [aug] != [a for a, _ in nan_policies] else "")
                raise ValueError(
                    f"{who}: {arg} columns {names} contain NaN; impute them first or pass nan_policy='keep'{inside} "
                    "(NaN cells are then never interpolated)"
                )
        dev = getattr(aug, "device", None)
        if dev is not None:
            t = t.to(dev)
        mask = np.zeros(t.shape[1], dtype=bool)
        mask[hard] = True
        ctx.extra["hard"] = mask
        ctx.extra["n"] = int(t.shape[0])  # restore: output row i comes from input row i unless rows_ctx says otherwise
        ctx.extra["who"] = who
        return t, ctx

    @staticmethod
    def _track_exact(ints: torch.Tensor, t: torch.Tensor, hard: list[int], ctx: _Ctx) -> torch.Tensor:
        """64-bit integer arrays/tensors ``ints`` converted to float64 ``t``: the columns holding values
        float64 cannot represent exactly (ids above 2**53) are carried as category codes when declared
        categorical (exact: ``ctx.categories``), else their integers are kept for :meth:`restore`."""
        if ints.dtype == torch.uint64:
            host = ints.cpu().numpy()
            big = _beyond_float64(host).any(0)
        else:
            host = None
            lo, hi = min_max(ints)  # one pass, one read; the per-column test only when some value is that large
            if -_F64_EXACT <= lo and hi <= _F64_EXACT:
                return t
            big = ((ints > _F64_EXACT) | (ints < -_F64_EXACT)).any(0).cpu().numpy()
        cols = np.flatnonzero(big)
        if not len(cols):
            return t
        if host is None:
            host = ints[:, torch.as_tensor(cols, device=ints.device)].cpu().numpy()
        else:
            host = host[:, cols]
        for k, j in enumerate(cols.tolist()):
            if j in hard:
                vals, codes = np.unique(host[:, k], return_inverse=True)
                t[:, j] = torch.as_tensor(codes.reshape(-1), dtype=t.dtype, device=t.device)
                ctx.categories[j] = vals
            else:
                ctx.extra.setdefault("exact", {})[j] = (np.ascontiguousarray(host[:, k]), None)
        return t

    def rows_ctx(self, ctx: _Ctx, rows: Any) -> _Ctx:
        """The context restoring a batch whose row ``i`` comes from input row ``rows[i]`` (class
        balancing, redraws): integers float64 cannot hold and missing markers are put back from the
        right rows."""
        if not (ctx.extra.get("exact") or ctx.extra.get("missing") or ctx.extra.get("objects")):
            return ctx
        import dataclasses

        rows = np.asarray(rows, dtype=np.int64)
        prev = ctx.extra.get("rows")
        return dataclasses.replace(ctx, extra={**ctx.extra, "rows": rows if prev is None else prev[rows]})

    @staticmethod
    def _source_rows(ctx: _Ctx, n_out: int) -> np.ndarray | None:
        """Input row of each of the ``n_out`` output rows, None when unknown."""
        rows = ctx.extra.get("rows")
        if rows is None:
            return np.arange(n_out) if n_out == ctx.extra.get("n") else None
        return rows if len(rows) == n_out else None

    def _exact_values(self, ctx: _Ctx, f: dict) -> dict:
        """Exact integers of the output columns ``f`` (position -> float64 values) of an array/tensor
        input: category codes decoded, tracked wide columns put back (see :func:`_exact_column`)."""
        out = {}
        src = None
        exact = ctx.extra.get("exact") or {}
        for j, v in f.items():
            if j in ctx.categories:
                vals = ctx.categories[j]
                out[j] = vals[np.clip(np.rint(np.nan_to_num(v)), 0, len(vals) - 1).astype(np.int64)]
            else:
                if src is None:
                    src = self._source_rows(ctx, len(v))
                ints, valid = exact[j]
                out[j], ambiguous = _exact_column(v, ints, valid, src)
                self._warn_ambiguous(ctx, j, ambiguous, src is None)
        return out

    @staticmethod
    def _warn_ambiguous(ctx: _Ctx, j: int, ambiguous: int, unknown_rows: bool) -> None:
        if not ambiguous:
            return

        name = ctx.columns[j] if ctx.columns is not None else j
        why = ("the source row of each output row is unknown here" if unknown_rows else
               "they hold a value copied from another row")
        warn_user(
            f"{ctx.extra.get('who', 'x')}: column {name!r} holds integers beyond float64's exact range (2**53); "
            f"{ambiguous} output cell(s) could not be given back exactly ({why}, and float64 cannot tell apart the "
            "input integers they may be): they come back rounded to the nearest float64; declare the column in "
            "categorical_columns to carry it exactly",
            RuntimeWarning,
        )

    def _with_markers(self, ctx: _Ctx, j: int, vals: np.ndarray, v: np.ndarray, nan: np.ndarray) -> np.ndarray:
        """The object values ``vals`` of output column ``j`` (a fresh array, written in place) with each
        missing cell (``nan``) given the missing marker of the input cell it was copied from: the
        column's only kind, else the kind its NaN carries (see :data:`_NAN_TAG`); where a kernel's
        arithmetic made a new NaN (the payload lost, as some devices do), the kind of the output row's
        source row when that cell was missing there, else (said) the column's first kind."""
        markers, row_kind = ctx.extra["missing"][j]
        rows = np.flatnonzero(nan)
        if len(markers) == 1:
            kind = np.zeros(len(rows), dtype=np.int64)
        else:
            kind = _nan_kinds(v[rows], len(markers))
            lost = kind < 0
            if lost.any():
                src = self._source_rows(ctx, len(v))
                if src is not None:
                    kind[lost] = row_kind[src[rows[lost]]]
                lost = kind < 0
                if lost.any():
                    name = ctx.columns[j] if ctx.columns is not None else j
                    warn_user(
                        f"{ctx.extra.get('who', 'x')}: column {name!r} holds several kinds of missing values "
                        f"({', '.join(repr(m) for m in markers)}); {int(lost.sum())} missing output cell(s) could not "
                        f"be traced to the cell they come from: they hold {markers[0]!r}",
                        RuntimeWarning,
                    )
                    kind[lost] = 0
        for k, m in enumerate(markers):
            vals[rows[kind == k]] = m
        return vals

    def _object_cells(self, ctx: _Ctx, j: int, cats: Any, codes: np.ndarray, v: np.ndarray, nan: np.ndarray) -> np.ndarray:
        """The cells (a fresh object array) of output object column ``j`` from its category ``codes``
        (``-1``: missing): a cell whose category is that of the cell its row comes from gets that cell's
        own object back where the column needs it (see :func:`_object_categories`), others the first
        cell of their category (its value and type); a missing cell gets its marker back."""
        has = codes >= 0
        if len(cats):
            out = np.asarray(cats, dtype=object).take(np.where(has, codes, 0))
        else:
            out = np.empty(len(codes), dtype=object)
        objs = (ctx.extra.get("objects") or {}).get(j)
        if objs is not None:
            cells, codes_in = objs
            src = self._source_rows(ctx, len(codes))
            if src is not None:
                same = has & (codes == codes_in[src])
                out[same] = cells[src[same]]
        if nan.any():
            if j in (ctx.extra.get("missing") or {}):
                return self._with_markers(ctx, j, out, v, nan)
            out[nan] = np.nan
        return out

    def restore(self, x: torch.Tensor, ctx: _Ctx) -> Any:
        if ctx.kind == "tensor":
            dt = ctx.torch_dtype
            if dt == torch.bool:
                return x >= 0.5
            if dt is not None and not dt.is_floating_point:
                # clipped to the dtype's range: noise never wraps a uint8 0 round to 255
                info = torch.iinfo(dt)
                out = torch.round(x).clamp(*_int_bounds(int(info.min), int(info.max))).to(dt)
                tracked = [*ctx.categories, *(ctx.extra.get("exact") or {})]
                if tracked:
                    exact = self._exact_values(ctx, {j: x[:, j].detach().cpu().numpy().astype(np.float64) for j in tracked})
                    for j, v in exact.items():
                        out[:, j] = torch.as_tensor(v, device=out.device)
                return out
            return x.to(dt) if dt is not None and dt != x.dtype else x
        arr = x.detach().cpu().numpy()
        if ctx.kind == "numpy":
            if np.issubdtype(ctx.np_dtype, np.integer):
                out = _to_int(arr, ctx.np_dtype)  # clipped to the dtype's range, no wrap-around
                tracked = [*ctx.categories, *(ctx.extra.get("exact") or {})]
                if tracked:
                    for j, v in self._exact_values(ctx, {j: arr[:, j].astype(np.float64) for j in tracked}).items():
                        out[:, j] = v
                return out
            if np.issubdtype(ctx.np_dtype, np.bool_):
                return arr >= 0.5
            out = arr.astype(ctx.np_dtype, copy=False)
            src = ctx.extra.get("source")
            # the output is always a fresh array, never the caller's (e.g. no row was active)
            return self.fresh(out, src)
        import pandas as pd

        data = {}
        exact = ctx.extra.get("exact") or {}
        src = self._source_rows(ctx, arr.shape[0]) if exact else None
        blocks, rest = self._restore_block(arr, ctx)
        for j in rest:
            dt = ctx.dtypes.iloc[j]
            v = arr[:, j].astype(np.float64)
            nan = np.isnan(v)
            if j in ctx.categories:
                cats = ctx.categories[j]
                codes = np.where(nan, -1, np.rint(np.nan_to_num(v, nan=-1.0))).astype(np.int64)
                if pd.api.types.is_object_dtype(dt):
                    data[j] = pd.Series(self._object_cells(ctx, j, cats, codes, v, nan), dtype=object, copy=False)
                    continue
                if cats.is_unique:
                    s = pd.Series(pd.Categorical.from_codes(codes, categories=cats))
                else:  # an object column's categories at fit (1 and True: see _object_categories)
                    s = pd.Series(self._object_cells(ctx, j, cats, codes, v, nan), dtype=object, copy=False)
                if isinstance(dt, pd.CategoricalDtype):  # the input's own categories (coded with the fitted ones)
                    data[j] = s if s.dtype == dt else s.astype(dt)
                else:
                    data[j] = s.astype(dt)
            elif pd.api.types.is_bool_dtype(dt):
                if not nan.any():
                    data[j] = pd.Series(v >= 0.5).astype(dt)
                else:  # a nullable dtype keeps its own kind (bool[pyarrow] too), a NumPy bool becomes "boolean"
                    data[j] = pd.Series(np.where(nan, None, v >= 0.5), dtype="boolean")
                    if not isinstance(dt, np.dtype):
                        data[j] = data[j].astype(dt)
            elif pd.api.types.is_integer_dtype(dt):
                ints = _to_int(v, np.dtype(getattr(dt, "numpy_dtype", dt)))  # clipped: no wrap-around
                if j in exact:  # integers beyond 2**53: the exact input values where unchanged
                    ints, ambiguous = _exact_column(v, *exact[j], src)
                    self._warn_ambiguous(ctx, j, ambiguous, src is None)
                r = pd.Series(ints)
                data[j] = r.astype(dt) if not nan.any() else r.astype(_nullable_int(dt)).mask(nan)
            else:
                data[j] = pd.Series(v).astype(dt)
        if not blocks:
            df = pd.concat([data[j] for j in range(len(ctx.columns))], axis=1)
        else:  # the blocks and the other columns, put back in their places
            parts = [pd.DataFrame(vals, columns=pos, copy=False) for pos, vals in blocks]
            if rest:
                parts.append(pd.concat([data[j] for j in rest], axis=1, ignore_index=True).set_axis(rest, axis=1))
            df = pd.concat(parts, axis=1)
            order = np.argsort(np.asarray(df.columns, dtype=np.int64), kind="stable")
            if (order != np.arange(len(order))).any():
                df = df.iloc[:, order]
        df.columns = ctx.columns
        if len(df) == len(ctx.index):
            df.index = ctx.index
        return df

    @staticmethod
    def _restore_block(arr: np.ndarray, ctx: _Ctx) -> tuple[list, list[int]]:
        """The columns :meth:`check` read as one block (:func:`_block_columns`), restored a dtype at a
        time: ``([(positions, 2-D values of that dtype)...], positions of the other columns)``. Float
        columns are cast, integer columns rounded and clipped (:func:`_to_int`), bool columns
        thresholded, as column by column; an integer or bool column holding NaN (``nan_policy="keep"``)
        is left to the column-by-column path (it becomes a nullable dtype)."""
        block = ctx.extra.get("block")
        if block is None or not len(block):
            return [], list(range(len(ctx.dtypes)))
        dtypes = ctx.dtypes.iloc[block]
        out, rest = [], sorted(set(range(len(ctx.dtypes))) - set(block.tolist()))
        for dt in dict.fromkeys(dtypes):
            pos = block[(dtypes == dt).to_numpy()]
            # one row per column (k, N), C order: each column contiguous, as column by column (pandas
            # keeps a block as such; its layout sets the last bits of sums over it)
            v = arr.T[pos]
            if dt.kind == "f":  # (float32 -> dt gives the values of float32 -> float64 -> dt)
                out.append((pos, v.astype(dt, copy=False).T))
                continue
            nan = np.isnan(v).any(1)
            if nan.any():
                rest.extend(pos[nan].tolist())
                pos, v = pos[~nan], v[~nan]
            if len(pos):
                out.append((pos, (v >= 0.5 if dt.kind == "b" else _to_int(v.astype(np.float64, copy=False), dt)).T))
        return out, sorted(rest)

    def inputs(self, ctx: _Ctx) -> dict[str, Any]:
        """The ``hard`` column mask found by :meth:`check` travels to ``sample``."""
        return {"hard": ctx.extra["hard"]}

    def concat(self, batches: Sequence[Any]) -> Any:
        if isinstance(batches[0], (torch.Tensor, np.ndarray)):
            return super().concat(batches)
        import pandas as pd

        return pd.concat(list(batches), ignore_index=True)


register_modality(TabularHandler())


#: the key of the tagged column names in the fitted metadata (not an attribute: ``_columns_in``)
_NAMES_KEY = "_columns_in"


def _taggable(v: Any) -> bool:
    try:
        to_json(v)
    except UnsupportedValue:
        return False
    return True


class TabularAugmenter(Augmenter):
    """Base class of tabular augmenters. Kernels see a float tensor ``(N, F)``.

    Modality parameters: ``categorical_columns`` (names or positions of columns never interpolated,
    see the module docstring) and ``nan_policy`` (``"raise"`` or ``"keep"``)."""

    modality = "tabular"
    #: True when the augmenter also accepts token embeddings (N, F, D)
    accepts_tokens = False
    #: True when the kernels read the integer codes of categorical columns, not only which row a value
    #: comes from (RegMix: its neighbour search and policy see them). Fitted on a DataFrame, such an
    #: augmenter records each categorical column's categories in ``categories_in_`` (``[[position,
    #: [categories...]], ...]``, JSON-able: saved with it) and codes later tables with them, so that a batch lacking
    #: a category codes the others as at fit; a category not seen at fit raises ``ValueError``. The
    #: others code each table by its own categories (only the row a value comes from matters to them).
    reads_category_codes = False

    def __init__(self, categorical_columns: Sequence[Any] | None = None, nan_policy: str = "raise", **kwargs: Any):
        self.categorical_columns = categorical_columns
        self.nan_policy = nan_policy
        super().__init__(**kwargs)

    _parameter_constraints = {
        "categorical_columns": [None, SequenceOf(Satisfies(lambda c: isinstance(c, (str, int, np.integer)) and not isinstance(c, bool), "name"),
                                                 desc="a list of column names or positions")],
        "nan_policy": [Options(*NAN_POLICIES)],
    }

    def _to_internal(self, x: Any) -> tuple[torch.Tensor, _Ctx]:
        self._check_feature_names(x)
        xi, ctx = super()._to_internal(x)
        # read only by _hard_columns, for the fit code of RegMix/FeatMix (sampling takes the mask
        # from the conversion as the ``hard`` input and keeps it in params)
        self.__dict__["_fit_hard_columns"] = ctx.extra["hard"]
        self.__dict__["_fit_categories"] = ctx.categories if ctx.kind == "frame" else {}
        return xi, ctx

    # ---- column names seen in fit (scikit-learn's feature_names_in_) ------------------------------

    def _reset_feature_names(self) -> None:
        """Start of ``fit``: forget the columns (and categories) of an earlier fit (a refit may change them)."""
        self.__dict__.pop("feature_names_in_", None)
        self.__dict__.pop("categories_in_", None)
        self.__dict__.pop("_columns_in", None)

    def _record_feature_names(self, X: Any) -> None:
        """End of a successful ``fit``: a DataFrame's column names. Fitted state is per column, so later
        calls must bring the same columns in the same order (:meth:`_check_feature_names`). Names that
        are all str or int are ``feature_names_in_`` (scikit-learn's, saved with the augmenter); other
        names (tuples of a MultiIndex, floats, None, timestamps...) are checked all the same and saved
        with a type tag (:meth:`fitted_state`)."""
        cols = _frame_columns(X)
        if cols is not None and "_columns_in" not in self.__dict__:
            self.__dict__["_columns_in"] = cols
        if (cols is not None and "feature_names_in_" not in self.__dict__
                and all(type(c) in (str, int) for c in cols)):
            self.feature_names_in_ = list(cols)
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) == 2:  # the width get_feature_names_out names (x0, x1, ...)
            self.__dict__["_n_columns_seen"] = int(shape[1])
        cats = self.__dict__.get("_fit_categories")
        if self.reads_category_codes and cats and hasattr(X, "iloc") and "categories_in_" not in self.__dict__:
            # JSON-able (saved in config.json): positions and plain Python values
            self.categories_in_ = [_categories_record(j, cats[j]) for j in sorted(cats)]

    def _check_feature_names(self, X: Any, arg: str = "x") -> None:
        fitted = self.__dict__.get("feature_names_in_")
        hint = f"{arg}[aug.feature_names_in_]" if fitted is not None else f"{arg} with the columns seen in fit"
        if fitted is None:  # names other than str/int, seen by this instance's fit
            fitted = self.__dict__.get("_columns_in")
        if fitted is None:  # not fitted on named columns: nothing to compare
            return
        fitted = list(fitted)
        names = _frame_columns(X)
        if names is None or (len(names) == len(fitted) and all(map(_same_name, names, fitted))):
            return  # (an array carries no names: taken by position)
        missing = [c for c in fitted if not any(_same_name(c, n) for n in names)]
        extra = [c for c in names if not any(_same_name(c, f) for f in fitted)]
        what = (f"missing {missing}" if missing else "") + ("; " if missing and extra else "") + (
            f"unseen {extra}" if extra else "") or "the same columns in another order"
        raise ValueError(
            f"{type(self).__name__}: {arg} has columns {names} but the augmenter was fitted on "
            f"{fitted} ({what}); fitted statistics are per column, so pass {hint} or refit"
        )

    # ---- saving: column names other than str/int, categories JSON cannot carry ------------------------

    def fitted_state(self) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
        """The fitted state (see :meth:`multiaug.core.Augmenter.fitted_state`) plus, when the fit saw
        column names other than all str/int (which ``feature_names_in_`` holds), those names with a
        type tag (:mod:`multiaug.tabular.tagged`), so that a loaded copy checks them as this one does.
        A name or a category of ``categories_in_`` that cannot be written exactly raises
        ``ValueError`` naming it (nothing is saved with a name lost or changed)."""
        who = type(self).__name__
        names = self.__dict__.get("_columns_in")
        for j, vals, *fmt in self.__dict__.get("categories_in_") or ():
            if fmt and fmt[0] == "objects":
                bad = next((v for v in vals if not _taggable(v)), vals[0])
                name = names[int(j)] if names is not None and int(j) < len(names) else int(j)
                raise ValueError(
                    f"{who}: cannot save the categories of column {name!r}: it holds {bad!r} "
                    f"({type(bad).__module__}.{type(bad).__qualname__}), which save cannot write exactly "
                    f"(supported: {SUPPORTED}); encode the column first (e.g. as strings) and refit"
                )
        tensors, meta = super().fitted_state()
        if names is not None and "feature_names_in_" not in self.__dict__:
            tagged = []
            for name in names:
                try:
                    tagged.append(to_json(name))
                except UnsupportedValue as err:
                    raise ValueError(
                        f"{who}: cannot save the column name {name!r}: {err} cannot be written exactly (supported "
                        f"column names: {SUPPORTED}); rename the columns (e.g. df.columns = [str(c) for c in "
                        "df.columns]) and refit"
                    ) from None
            meta[_NAMES_KEY] = {"names": tagged}
        return tensors, meta

    def load_fitted_state(self, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
        """Restore what :meth:`fitted_state` returned, tagged column names included."""
        record = meta.get(_NAMES_KEY)
        super().load_fitted_state(tensors, {k: v for k, v in meta.items() if k != _NAMES_KEY})
        if record is not None:
            self.__dict__["_columns_in"] = [from_json(c) for c in record["names"]]
        elif "feature_names_in_" in meta:  # (names of another fit must not linger)
            self.__dict__["_columns_in"] = list(self.feature_names_in_)

    def _hard_columns(self, x: torch.Tensor) -> torch.Tensor:
        """Boolean ``(F,)``: columns of the table last converted by this augmenter that the kernels must
        never interpolate (categorical/boolean). For ``fit`` code; sampling uses ``params["hard"]``."""
        mask = self.__dict__.get("_fit_hard_columns")
        if mask is None or len(mask) != x.shape[1]:
            return torch.zeros(x.shape[1], dtype=torch.bool, device=x.device)
        return torch.as_tensor(mask, dtype=torch.bool, device=x.device)

    p_mode = "mask"

    def _extra_inputs(self, x: torch.Tensor, y: Any = None, hard: Any = None, **extra: Any) -> dict[str, Any]:
        """``y`` (RegMix draws from the targets) and ``hard``: boolean ``(F,)``, the columns the kernels
        must never interpolate (categorical/boolean; found by the conversion; none when not given)."""
        super()._extra_inputs(x, **extra)
        if hard is None or len(hard) != x.shape[1]:
            mask = torch.zeros(x.shape[1], dtype=torch.bool, device=x.device)
        else:
            mask = torch.as_tensor(hard, dtype=torch.bool, device=x.device)
        return {"y": y, "hard": mask}

    def _sample_with(self, x: torch.Tensor, inputs: dict[str, Any]) -> Params:
        params = self._sample_xy(x, inputs["y"])
        params["hard"] = inputs["hard"]
        return params

    def _sample_xy(self, x: torch.Tensor, y: Any) -> Params:
        """Hook for augmenters whose draws depend on the targets (RegMix); default: ``_sample(x)``."""
        return self._sample(x)
