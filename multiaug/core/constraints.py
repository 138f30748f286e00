"""Hyperparameter constraints declared as data (scikit-learn's ``_parameter_constraints``).

Each augmenter class declares ``_parameter_constraints: dict[str, list]``: parameter name -> the
values it accepts, as a list of alternatives (a value is valid when one alternative accepts it)::

    _parameter_constraints = {
        "sigma": [Interval(Real, 0, None), Pair(Real, 0, None)],   # a float >= 0 or a (low, high) pair
        "mode": [Options("one", "all")],
        "n_classes": [None, Interval(Integral, 2, None)],
        "encoder": [None, InstanceOf(torch.nn.Module, "a torch.nn.Module")],
    }

Alternatives are ``None`` (accepts None), a :class:`Constraint`, or a bare type (``str``, ``dict``,
``torch.nn.Module``: any instance). ``"no_validation"`` instead of a list accepts anything.
:func:`validate_parameters` merges the dicts along the MRO (a subclass's entry replaces its parent's),
checks every parameter, and raises :class:`InvalidParameterError` naming the augmenter, the parameter,
what is expected and what was given::

    Jitter: sigma must be a number >= 0 or a (low, high) pair with 0 <= low <= high, got -1

Rules that span several fields (EDA's "at least one rate > 0", ``aug_min <= aug_max``) live in the
class's ``_check_extra`` hook, which the same check calls for each class of the MRO that defines one.
"""
from __future__ import annotations

import math
from numbers import Integral, Real
from typing import Any, Callable, Iterable

import numpy as np

__all__ = [
    "InvalidParameterError", "Constraint", "Interval", "Pair", "Options", "Boolean", "InstanceOf",
    "SequenceOf", "Satisfies", "Integral", "Real", "merged_constraints", "validate_parameters",
    "describe", "short_repr", "FLOAT32_MAX",
]


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter outside its declared constraints (both a ``ValueError`` and a ``TypeError``,
    as scikit-learn's error of the same name, so either ``except`` catches it)."""


def short_repr(value: Any, limit: int = 120) -> str:
    """``repr(value)`` on one line, shortened (a multi-line repr becomes the type's name)."""
    r = repr(value)
    if "\n" in r:
        return f"<{type(value).__name__}>"
    return r if len(r) <= limit else r[: limit - 3] + "..."


def _fmt(v: float) -> str:
    if v == math.pi:
        return "pi"
    return f"{v:g}" if isinstance(v, float) else str(v)


class Constraint:
    """One alternative: ``accepts(value)`` and a phrase (``str``) used in the error message."""

    desc: str | None = None

    def accepts(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.desc or self.describe()


#: the largest float32: float hyperparameters are used in float32 tensors (noise scales, rates, weights),
#: so a ``Real`` constraint accepts numbers of magnitude up to this one only (a larger one would become
#: inf, or fail to convert, deep inside a call)
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _is_number(value: Any, kind: type) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if kind is Integral:
        return isinstance(value, Integral)
    return isinstance(value, Real) and (v := _as_float(value)) is not None and abs(v) <= FLOAT32_MAX


def _as_float(value: Any) -> float | None:
    """``float(value)`` when finite (None for NaN, inf and ints too large for a float)."""
    try:
        v = float(value)
    except (OverflowError, TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _beyond_float32(value: Any) -> bool:
    """Whether ``value`` is, or (a list, tuple, set or dict of values) holds, a real number that is not
    NaN or inf but whose magnitude exceeds :data:`FLOAT32_MAX` (ints too large for a float included)."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, Real):
        try:
            v = float(value)
        except OverflowError:
            return True
        except (TypeError, ValueError):
            return False
        return math.isfinite(v) and abs(v) > FLOAT32_MAX
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_beyond_float32(v) for v in value)
    if isinstance(value, dict):
        return any(_beyond_float32(v) for v in value.values())
    return False


def _takes_floats(alternatives: Iterable[Any]) -> bool:
    """Whether one of ``alternatives`` is a ``Real`` interval or pair (or a sequence of such) whose own
    bounds reach past float32's range (so that float32's are the ones to name)."""
    for c in alternatives:
        if isinstance(c, Interval) and c.kind is Real and _open_beyond_float32(c):
            return True
        if isinstance(c, SequenceOf) and _takes_floats(c.item):
            return True
    return False


class Interval(Constraint):
    """A number of ``kind`` (``Integral`` or ``Real``; booleans and NaN/inf refused) within
    ``low``..``high`` (None: unbounded); ``closed`` in "both", "left", "right", "neither". A ``Real``
    number must also be finite in float32 (magnitude at most :data:`FLOAT32_MAX`), whatever the bounds."""

    def __init__(self, kind: type, low: float | None = None, high: float | None = None, *,
                 closed: str = "both", desc: str | None = None):
        if kind not in (Integral, Real) or closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval: kind must be Integral or Real and closed one of both/left/right/neither, "
                             f"got {kind!r}, {closed!r}")
        self.kind, self.low, self.high, self.closed, self.desc = kind, low, high, closed, desc

    def _within(self, v: float) -> bool:
        lo_ok = self.low is None or (v >= self.low if self.closed in ("both", "left") else v > self.low)
        hi_ok = self.high is None or (v <= self.high if self.closed in ("both", "right") else v < self.high)
        return lo_ok and hi_ok

    def accepts(self, value: Any) -> bool:
        return _is_number(value, self.kind) and self._within(value)

    def describe(self) -> str:
        what = "an integer" if self.kind is Integral else "a float"
        lo_in, hi_in = self.closed in ("both", "left"), self.closed in ("both", "right")
        if self.low is None and self.high is None:
            return what
        if self.high is None:
            return f"{what} {'>=' if lo_in else '>'} {_fmt(self.low)}"
        if self.low is None:
            return f"{what} {'<=' if hi_in else '<'} {_fmt(self.high)}"
        return f"{what} in {'[' if lo_in else '('}{_fmt(self.low)}, {_fmt(self.high)}{']' if hi_in else ')'}"


class Pair(Interval):
    """A ``(low, high)`` list or tuple of two numbers of ``kind`` with ``low <= high``, both within the
    bounds (a range to draw from per sample)."""

    def accepts(self, value: Any) -> bool:
        return (isinstance(value, (list, tuple)) and len(value) == 2
                and all(_is_number(v, self.kind) and self._within(v) for v in value)
                and value[0] <= value[1])

    def describe(self) -> str:
        lo = "" if self.low is None else f"{_fmt(self.low)} {'<=' if self.closed in ('both', 'left') else '<'} "
        hi = "" if self.high is None else f" {'<=' if self.closed in ('both', 'right') else '<'} {_fmt(self.high)}"
        return f"a (low, high) pair with {lo}low <= high{hi}"


class Options(Constraint):
    """One of the given values (compared with ``==`` on values of the same type: ``True`` is not ``1``)."""

    def __init__(self, *values: Any, desc: str | None = None):
        self.values, self.desc = values, desc

    def accepts(self, value: Any) -> bool:
        for o in self.values:
            if type(value) is type(o) or (isinstance(value, str) and isinstance(o, str)):
                try:
                    if bool(value == o):
                        return True
                except (TypeError, ValueError):
                    continue
        return False

    def describe(self) -> str:
        items = [repr(v) for v in self.values]
        return " or ".join(items) if len(items) <= 2 else "one of " + ", ".join(items)


class Boolean(Constraint):
    """``True`` or ``False`` (numpy booleans too)."""

    def __init__(self, desc: str | None = None):
        self.desc = desc

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (bool, np.bool_))

    def describe(self) -> str:
        return "True or False"


class InstanceOf(Constraint):
    """An instance of ``types`` (a type or tuple of types)."""

    def __init__(self, types: type | tuple[type, ...], desc: str | None = None):
        self.types, self.desc = types, desc

    def accepts(self, value: Any) -> bool:
        return isinstance(value, self.types) and not (isinstance(value, bool) and bool not in _as_tuple(self.types))

    def describe(self) -> str:
        names = [t.__name__ for t in _as_tuple(self.types)]
        return "an instance of " + " or ".join(names)


def _as_tuple(t: Any) -> tuple:
    return t if isinstance(t, tuple) else (t,)


class SequenceOf(Constraint):
    """A list or tuple (``containers`` to widen, e.g. sets) whose items each satisfy ``item``
    (a constraint, a type, or a list of alternatives), with at least ``min_len`` items; ``distinct``
    refuses repeats; ``positive_sum`` asks for a sum > 0."""

    def __init__(self, item: Any, *, min_len: int = 0, distinct: bool = False, positive_sum: bool = False,
                 containers: tuple[type, ...] = (list, tuple), desc: str | None = None):
        self.item = item if isinstance(item, list) else [item]
        self.min_len, self.distinct, self.positive_sum = min_len, distinct, positive_sum
        self.containers, self.desc = containers, desc

    def accepts(self, value: Any) -> bool:
        if not isinstance(value, self.containers) or len(value) < self.min_len:
            return False
        if not all(_accepted(self.item, v) for v in value):
            return False
        if self.distinct and len(set(value)) != len(value):
            return False
        return not self.positive_sum or sum(value) > 0

    def describe(self) -> str:
        kind = "non-empty list" if self.min_len == 1 else "list" if self.min_len == 0 else f"list of >= {self.min_len}"
        extra = " (distinct)" if self.distinct else ""
        extra += " with a positive sum" if self.positive_sum else ""
        return f"a {kind} of {describe(self.item)}{extra}"


class Satisfies(Constraint):
    """Escape hatch: ``predicate(value)`` is true (``desc`` says what that means)."""

    def __init__(self, predicate: Callable[[Any], bool], desc: str):
        self.predicate, self.desc = predicate, desc

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.predicate(value))
        except Exception:  # a predicate that cannot even inspect the value refuses it
            return False

    def describe(self) -> str:
        return self.desc


def _accepted(alternatives: Iterable[Any], value: Any) -> bool:
    for c in alternatives:
        if c is None:
            if value is None:
                return True
        elif isinstance(c, Constraint):
            if c.accepts(value):
                return True
        elif isinstance(c, type):
            if isinstance(value, c):
                return True
        else:
            raise TypeError(f"unknown constraint {c!r}: use None, a type or a multiaug.core.constraints.Constraint")
    return False


def _float32_bounded(c: Any) -> Any:
    """``c`` with the float32 limits written as its bounds where it has none beyond them (for the
    message: ``a float in [0, 3.40282e+38]``)."""
    import copy

    if isinstance(c, Interval) and c.kind is Real and _open_beyond_float32(c):
        b = copy.copy(c)
        lo_in, hi_in = c.closed in ("both", "left"), c.closed in ("both", "right")
        if c.low is None or c.low < -FLOAT32_MAX:
            b.low, lo_in = -FLOAT32_MAX, True
        if c.high is None or c.high > FLOAT32_MAX:
            b.high, hi_in = FLOAT32_MAX, True
        b.closed = {(True, True): "both", (True, False): "left", (False, True): "right"}.get((lo_in, hi_in), "neither")
        if c.desc is not None:  # the class's words, then the range
            words = Pair.describe(b).split(" with ", 1)[1] if isinstance(b, Pair) else \
                "in " + Interval.describe(b).split(" in ", 1)[1]
            b.desc = f"{c.desc}, {words}"
        return b
    if isinstance(c, SequenceOf) and _takes_floats(c.item):
        b = copy.copy(c)
        b.item = [_float32_bounded(i) for i in c.item]
        if c.desc is not None:
            b.desc = f"{c.desc}, each {describe(b.item)}"
        return b
    return c


def _open_beyond_float32(c: Interval) -> bool:
    """Whether the interval ``c`` reaches past float32's range on a side (no bound, or one beyond it)."""
    return c.low is None or c.low < -FLOAT32_MAX or c.high is None or c.high > FLOAT32_MAX


def describe(alternatives: Iterable[Any]) -> str:
    """The expected values, in words: ``"None or an integer >= 1"``."""
    words = []
    for c in alternatives:
        if c is None:
            words.append("None")
        elif isinstance(c, type):
            words.append(f"a {c.__name__}")
        else:
            words.append(str(c))
    return " or ".join(words)


def merged_constraints(cls: type) -> dict[str, Any]:
    """``_parameter_constraints`` of ``cls`` merged along its MRO (a subclass's entry wins)."""
    cache = cls.__dict__.get("_merged_constraints_cache")
    if cache is not None:
        return cache
    out: dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        out.update(klass.__dict__.get("_parameter_constraints", {}))
    type.__setattr__(cls, "_merged_constraints_cache", out)
    return out


def validate_parameters(obj: Any, names: Iterable[str]) -> None:
    """Check each parameter ``name`` of ``obj`` against its merged constraint. As in scikit-learn, a
    parameter without an entry is not checked (a user's quick subclass still runs); every registered
    multiaug augmenter declares all of its hyperparameters, which the contract test enforces."""
    cls = type(obj)
    constraints = merged_constraints(cls)
    for name in names:
        if name not in constraints:
            continue
        alternatives = constraints[name]
        if alternatives == "no_validation":
            continue
        value = getattr(obj, name)
        if not _accepted(alternatives, value):
            expected = describe(alternatives)
            if _takes_floats(alternatives) and _beyond_float32(value):  # say where float32 ends
                expected = f"{describe([_float32_bounded(c) for c in alternatives])} (float32's range: it is used in " \
                           "float32 tensors)"
            raise InvalidParameterError(f"{cls.__name__}: {name} must be {expected}, got {short_repr(value)}")
