"""JSON form of the Python values a table holds as column names or categories, type included.

``save`` writes fitted state as JSON, which has only strings, numbers, booleans, null and lists: a
tuple (a MultiIndex name), a NumPy scalar, a ``Decimal`` or a timestamp would come back as something
else (a list, a plain number, a string). :func:`to_json` writes such values as ``{"type": ..., "value":
...}`` objects and :func:`from_json` reads them back as the same type and value; ``str``, ``int``,
``bool``, ``None`` and finite ``float`` values are written as they are (JSON keeps them apart: ``1``,
``1.0`` and ``true`` read back as ``int``, ``float`` and ``bool``). A value of any other type raises
:class:`UnsupportedValue` (a ``TypeError``), so that nothing is silently changed.

Supported: ``str``, ``int``, ``float`` (NaN and infinities too), ``bool``, ``None``, tuples of
supported values, NumPy scalars (bool, integers, floats up to 64 bits, str, datetime64, timedelta64),
``decimal.Decimal``, ``bytes``, ``pandas.Timestamp`` (naive, UTC, a fixed offset or a named time
zone), ``pandas.Timedelta``, ``pandas.Period``, ``pandas.NaT``, ``pandas.NA``, and the standard
library's ``datetime``/``date``/``time`` (naive or with a fixed offset) and ``timedelta``.
"""
from __future__ import annotations

import datetime as _dt
import math
from decimal import Decimal
from typing import Any

import numpy as np

__all__ = ["SUPPORTED", "UnsupportedValue", "from_json", "same_value", "to_json"]

#: what :func:`to_json` takes, as error messages name it
SUPPORTED = ("str, int, float, bool, None, tuples of these (a MultiIndex), NumPy scalars, Decimal, bytes, "
             "pandas Timestamp/Timedelta/Period/NaT/NA, and datetime/date/time/timedelta")


class UnsupportedValue(TypeError):
    """A value :func:`to_json` cannot write so that :func:`from_json` gives it back exactly."""


def _tag(kind: str, value: Any, **more: Any) -> dict:
    return {"type": kind, "value": value, **more}


def _encode(v: Any) -> Any:
    import pandas as pd

    t = type(v)
    if v is None or t in (str, bool, int):
        return v
    if t is float:
        return v if math.isfinite(v) else _tag("float", repr(v))  # 'nan', 'inf', '-inf'
    if t is tuple:
        return _tag("tuple", [_encode(e) for e in v])
    if t is bytes:
        return _tag("bytes", v.hex())
    if t is Decimal:
        return _tag("decimal", str(v))
    if v is pd.NaT:
        return _tag("NaT", None)
    if v is pd.NA:
        return _tag("NA", None)
    if t is pd.Timestamp:
        return _tag("timestamp", v.isoformat(), tz=None if v.tz is None else str(v.tz), unit=v.unit)
    if t is pd.Timedelta:
        return _tag("timedelta", int(v.value), unit=v.unit)  # .value: nanoseconds
    if t is pd.Period:
        return _tag("period", str(v), freq=v.freqstr)
    if isinstance(v, np.generic):
        kind = v.dtype.kind
        if kind in "bifu" and v.dtype.itemsize <= 8:
            return _tag("numpy", _encode(v.item()), dtype=v.dtype.str)
        if kind == "U":
            return _tag("numpy", str(v), dtype="U")
        if kind in "Mm":  # the count of the dtype's unit (NaT included)
            return _tag("numpy", int(v.astype(np.int64)), dtype=v.dtype.str)
        raise UnsupportedValue(f"NumPy scalar of dtype {v.dtype}")
    if t is _dt.datetime or t is _dt.time:
        if v.tzinfo is not None and type(v.tzinfo) is not _dt.timezone:
            raise UnsupportedValue(f"{t.__name__} with the time zone {v.tzinfo!r} (only fixed offsets are kept)")
        return _tag(t.__name__, v.isoformat())
    if t is _dt.date:
        return _tag("date", v.isoformat())
    if t is _dt.timedelta:
        return _tag("pytimedelta", [v.days, v.seconds, v.microseconds])
    raise UnsupportedValue(f"a value of type {t.__module__}.{t.__qualname__}")


def from_json(o: Any) -> Any:
    """The value :func:`to_json` wrote as ``o`` (once through ``json.dumps``/``json.loads``)."""
    if not isinstance(o, dict):
        return o
    import pandas as pd

    kind, value = o.get("type"), o.get("value")
    if kind == "float":
        return float(value)
    if kind == "tuple":
        return tuple(from_json(e) for e in value)
    if kind == "bytes":
        return bytes.fromhex(value)
    if kind == "decimal":
        return Decimal(value)
    if kind == "NaT":
        return pd.NaT
    if kind == "NA":
        return pd.NA
    if kind == "timestamp":
        ts = pd.Timestamp(value)
        if o.get("tz") is not None:
            ts = ts.tz_convert(o["tz"])
        return ts.as_unit(o["unit"]) if o.get("unit") else ts
    if kind == "timedelta":
        td = pd.Timedelta(int(value), unit="ns")
        return td.as_unit(o["unit"]) if o.get("unit") else td
    if kind == "period":
        return pd.Period(value, freq=o["freq"])
    if kind == "numpy":
        dtype = np.dtype(o["dtype"])
        if dtype.kind == "U":
            return np.str_(value)
        return np.array(from_json(value), dtype=dtype)[()]
    if kind == "datetime":
        return _dt.datetime.fromisoformat(value)
    if kind == "time":
        return _dt.time.fromisoformat(value)
    if kind == "date":
        return _dt.date.fromisoformat(value)
    if kind == "pytimedelta":
        return _dt.timedelta(days=value[0], seconds=value[1], microseconds=value[2])
    raise ValueError(f"unknown tagged value {o!r}")


def same_value(a: Any, b: Any) -> bool:
    """``a`` and ``b`` are the same value of the same type (NaN matches NaN, tuples item by item,
    timestamps with the same time zone)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(map(same_value, a, b))
    if a is b:
        return True
    try:
        if a != a and b != b:  # NaN (float, NumPy, Decimal)
            return True
        eq = bool(a == b)
    except (TypeError, ValueError):
        return False
    tz = getattr(a, "tzinfo", None), getattr(b, "tzinfo", None)
    return eq and str(tz[0]) == str(tz[1]) and repr(a) == repr(b)


def to_json(v: Any) -> Any:
    """``v`` as a JSON-able value that :func:`from_json` reads back as the same type and value;
    :class:`UnsupportedValue` for a value it cannot keep exactly (see the module docstring)."""
    import json

    out = _encode(v)
    try:
        back = from_json(json.loads(json.dumps(out, allow_nan=False)))
    except (TypeError, ValueError) as err:  # pragma: no cover - every tag above reads back
        raise UnsupportedValue(f"{type(v).__name__} value {v!r} ({err})") from None
    if not same_value(back, v):
        raise UnsupportedValue(f"{type(v).__name__} value {v!r} (it would read back as {back!r})")
    return out
