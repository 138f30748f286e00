"""Label helpers shared by every modality: take/merge/concat labels of any container (torch tensor,
NumPy array, pandas Series, list), hard labels upgraded to one-hot rows next to soft targets, and the
hard-label resampling used by ``fit_resample``."""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Sequence

import numpy as np
import torch

__all__ = ["graph_labels", "label_length", "take_labels", "merge_labels", "concat_labels", "resample_labels", "label_classes",
           "batch_classes", "current_batch_classes", "check_class_columns", "MAX_CLASS_COLUMNS"]

#: the class list of the batch a composition is running on (see :func:`batch_classes`)
_BATCH_CLASSES: ContextVar[list | None] = ContextVar("multiaug_batch_classes", default=None)


def graph_labels(x: Any, modality: str, n: int) -> Any:
    """The one label per graph a graph batch ``x`` of ``n`` graphs carries in ``x.y`` (a flat tensor),
    or None (another modality, no ``y``, node-level labels): what class balancing and
    :class:`~multiaug.core.consistency.LabelConsistent` use when no ``y`` is given."""
    if modality != "graph":
        return None
    yy = getattr(x, "y", None)
    if isinstance(yy, torch.Tensor) and yy.numel() == n:
        return yy.view(-1)
    return None


def label_classes(y: Any) -> list | None:
    """Sorted distinct labels of 1-D class labels that are not non-negative integers (strings,
    categories, negative integers), as Python values; None for anything else (non-negative integer
    or boolean labels, whose soft-target column is the label itself; float targets; 2-D targets)."""
    if y is None or isinstance(y, torch.Tensor):
        if y is None or y.dim() != 1 or y.is_floating_point() or y.dtype == torch.bool or y.numel() == 0:
            return None
        lo = int(y.min())
        return torch.unique(y).tolist() if lo < 0 else None
    arr = labels_to_numpy(y)
    if arr.ndim != 1 or arr.size == 0 or arr.dtype == bool or np.issubdtype(arr.dtype, np.floating):
        return None
    if np.issubdtype(arr.dtype, np.integer) and arr.min() >= 0:  # as the tensor branch: no class list needed
        return None
    try:
        classes, integer = class_list(arr)
    except (TypeError, ValueError):  # missing labels, unorderable mixture: the mixing augmenter raises, naming itself
        return None
    return None if integer else classes


def missing_label_positions(labels: Any) -> np.ndarray:
    """Positions (int64) of the missing entries of 1-D labels: NaN in float labels; None, NaN,
    ``pd.NA`` or ``NaT`` in object labels; NaT in dates."""
    arr = labels_to_numpy(labels)
    if arr.ndim != 1:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "f":
        return np.flatnonzero(np.isnan(arr))
    if arr.dtype.kind in "mM":
        return np.flatnonzero(np.isnat(arr))
    if arr.dtype == object:
        import pandas as pd

        return np.flatnonzero(np.asarray(pd.isna(arr), dtype=bool))
    return np.zeros(0, dtype=np.int64)


def check_no_missing_labels(labels: Any, who: str = "", arg: str = "y") -> None:
    """``ValueError`` naming ``y``, how many labels are missing and where, when 1-D class labels hold
    missing values (see :func:`missing_label_positions`): every sample needs a class."""
    arr = labels_to_numpy(labels)
    pos = missing_label_positions(arr)
    if not len(pos):
        return
    what = "NaN" if arr.dtype.kind == "f" else "NaT" if arr.dtype.kind in "mM" else "None/NaN"
    where = f"{pos[:10].tolist()}" + (f" and {len(pos) - 10} more" if len(pos) > 10 else "")
    raise ValueError(
        f"{who + ': ' if who else ''}{arg} has missing labels ({what}): {len(pos)} of {len(arr)} missing at "
        f"position{'s' if len(pos) > 1 else ''} {where}; every sample needs a class (drop or label those samples first)"
    )


def sorted_unique(arr: np.ndarray, who: str = "", return_counts: bool = False, arg: str = "y") -> Any:
    """``np.unique`` of 1-D labels, with a ``TypeError`` naming ``y`` where its labels cannot be
    ordered (labels of several types, e.g. ints next to strings)."""
    try:
        return np.unique(arr.astype(object) if arr.dtype == object else arr, return_counts=return_counts)
    except TypeError:
        types = sorted({type(v).__name__ for v in arr.tolist()})
        raise TypeError(
            f"{who + ': ' if who else ''}{arg} mixes labels of types {types}, which cannot be sorted into classes; "
            "expected class labels of one type (e.g. all strings: y.astype(str), or [str(v) for v in y] for a list)"
        ) from None


def class_list(labels: Any, who: str = "", arg: str = "y") -> tuple[list, bool]:
    """Sorted distinct labels (as Python scalars) and whether they are non-negative integers (then a
    label's soft-target column is the label itself, else its rank in this list). Missing labels
    (None/NaN) raise ``ValueError``, labels of several unorderable types ``TypeError``; both name
    ``who`` and ``arg``."""
    arr = labels_to_numpy(labels)
    if arr.ndim != 1:
        raise ValueError(f"{who + ': ' if who else ''}{arg}: expected 1-D class labels, got shape {arr.shape}")
    check_no_missing_labels(arr, who, arg)
    uniq = sorted_unique(arr, who, arg=arg)
    integer = (np.issubdtype(uniq.dtype, np.integer) or uniq.dtype == bool) and (len(uniq) == 0 or uniq.min() >= 0)
    return [u.item() if hasattr(u, "item") else u for u in uniq], bool(integer)


#: most soft-target columns hard labels may ask for: integer label ``j`` is column ``j`` (the rule
#: that keeps column ``j`` one class in every batch), so one row takes ``4 * (max label + 1)`` bytes.
#: 2**24 (16,777,216; 64 MiB a row) is above the largest dense class sets in use (ImageNet-21k's
#: 21,841 classes, face-identity sets of a few million, extreme-classification label spaces of ~3
#: million); labels beyond it are ids (10**9, 10**12), not class numbers.
MAX_CLASS_COLUMNS = 2**24


def check_class_columns(k: int, who: str = "", arg: str = "y", n_rows: int | None = None) -> None:
    """``ValueError`` before one-hot rows of ``k`` columns are allocated for the integer labels of
    ``arg``, whose largest is ``k - 1``, when ``k`` exceeds :data:`MAX_CLASS_COLUMNS`."""
    if k <= MAX_CLASS_COLUMNS:
        return
    size = f"; {_gib(4 * k * n_rows)} for {n_rows} rows" if n_rows else f" ({_gib(4 * k)} a row)"
    what = (f"{arg}={k} asks for {k} soft-target columns" if arg in ("num_classes", "n_classes") else
            f"{arg} holds the class label {k - 1}; soft targets give integer label j column j, so it would need {k} columns")
    raise ValueError(
        f"{who + ': ' if who else ''}{what}{size} (at most {MAX_CLASS_COLUMNS} = 2**24): number the classes "
        f"0..K-1 first, the same way for all your data, e.g. sklearn.preprocessing.LabelEncoder or "
        f"np.unique(y, return_inverse=True)[1]"
    )


def _gib(nbytes: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30)):
        if nbytes >= size:
            return f"{nbytes / size:,.1f} {unit}"
    return f"{nbytes / 2**20:,.1f} MiB"


@contextmanager
def batch_classes(classes: list | None) -> Iterator[None]:
    """While a composition runs, the class list of its whole batch: a mixing child that sees only
    some samples (``OneOf``, ``Sometimes``...) numbers its soft-target columns by it, and merging the
    children's labels back uses the same columns. The outermost composition sets it; None: no-op."""
    if classes is None or _BATCH_CLASSES.get() is not None:
        yield
        return
    token = _BATCH_CLASSES.set(list(classes))
    try:
        yield
    finally:
        _BATCH_CLASSES.reset(token)


def current_batch_classes() -> list | None:
    return _BATCH_CLASSES.get()


def class_columns(y: Any, classes: list) -> np.ndarray:
    """Column (int64) of each hard label of ``y`` in ``classes``, a list made by :func:`class_list`
    (labels compared as the Python values it holds); ``KeyError`` for a label not in it."""
    lookup = {c: i for i, c in enumerate(classes)}
    return np.array([lookup[v.item() if hasattr(v, "item") else v] for v in labels_to_numpy(y)], dtype=np.int64)


def class_values(classes: list, columns: np.ndarray, like: np.ndarray) -> np.ndarray:
    """The labels of soft-target ``columns`` (column ``j``: the ``j``-th of ``classes``), in the dtype
    of the hard labels ``like`` (a NumPy array) unless that is ``object``."""
    out = np.asarray(classes, dtype=object)[columns]
    return out if like.dtype == object else out.astype(like.dtype)


def _class_positions(y: Any, classes: list) -> np.ndarray:
    """Column of each hard label of ``y`` in ``classes``."""
    try:
        return class_columns(y, classes)
    except KeyError as err:
        raise ValueError(f"y: label {err.args[0]!r} is not among the batch's classes {classes[:10]}") from None


def label_length(y: Any, arg: str = "y") -> int:
    """Number of labels in ``y``; a single label (a number, a string, a 0-d array) is a ``TypeError``
    naming ``arg``: labels come one per sample, in a container, also for one sample given alone."""
    if not isinstance(y, (str, bytes)):
        try:
            return len(y)
        except TypeError:
            pass
    shown = repr(y)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    raise TypeError(
        f"{arg}: expected one label per sample (a list, array, tensor or Series; [label] for a single sample), "
        f"got {type(y).__name__} {shown}"
    )


def take_labels(y: Any, index: torch.Tensor) -> Any:
    if y is None:
        return None
    if isinstance(y, torch.Tensor):
        return y[index.to(y.device)]
    idx = index.detach().cpu().numpy()
    if isinstance(y, np.ndarray):
        return y[idx]
    if hasattr(y, "iloc"):
        return y.iloc[idx]
    return [y[i] for i in idx.tolist()]


def _one_hot(y: Any, num_classes: int) -> Any:
    if isinstance(y, torch.Tensor):
        return torch.nn.functional.one_hot(y.long(), num_classes).to(torch.float32)
    arr = np.asarray(y)
    out = np.zeros((len(arr), num_classes), dtype=np.float32)
    out[np.arange(len(arr)), arr.astype(np.int64)] = 1.0
    return out


def is_label_sets(y: Any) -> bool:
    """A list whose labels are sequences (label sets, multi-label rows), not class labels."""
    return isinstance(y, (list, tuple)) and len(y) > 0 and isinstance(y[0], (list, tuple, np.ndarray))


def label_ndim(y: Any) -> int:
    """Dimensions of a label container without building an array of it: a list of equal-length rows
    is 2-D (multi-label, soft targets), a list of rows of different lengths (label sets) is one opaque
    label per sample (1-D), where ``np.ndim`` would refuse it."""
    if isinstance(y, torch.Tensor):
        return y.dim()
    if not is_label_sets(y):
        try:
            return np.ndim(y)
        except ValueError:  # a list mixing labels and sequences: one opaque label per sample
            return 1
    rows = [r for r in y if isinstance(r, (list, tuple, np.ndarray, torch.Tensor)) and np.ndim(r) == 1]
    return 2 if len(rows) == len(y) and len({len(r) for r in rows}) == 1 else 1


def _n_columns(y: Any) -> int:
    """Classes a label container spans: its width for soft targets (N, K), max label + 1 for hard ones."""
    nd = label_ndim(y)
    if nd == 2:
        return _width(y)
    if len(y) == 0:
        return 0
    k = int(y.max().item()) + 1 if isinstance(y, torch.Tensor) else int(np.max(np.asarray(y))) + 1
    check_class_columns(k, n_rows=len(y))
    return k


def _width(y: Any) -> int:
    """Columns of 2-D labels: a tensor, an array, a DataFrame or a list of rows."""
    if hasattr(y, "shape"):
        return int(y.shape[1])
    return len(y[0]) if len(y) else 0


def _pad_columns(y: Any, k: int) -> Any:
    """Soft targets (N, K) widened with zero columns to (N, k) (a list of rows stays a list)."""
    w = _width(y)
    if w >= k:
        return y
    if isinstance(y, torch.Tensor):
        return torch.nn.functional.pad(y, (0, k - w))
    if isinstance(y, (list, tuple)):
        return [list(row) + [0.0] * (k - w) for row in y]
    arr = np.asarray(y)
    return np.pad(arr, ((0, 0), (0, k - w)))


def merge_labels(y: Any, index: torch.Tensor, part: Any) -> Any:
    """Put ``part`` back into ``y`` at ``index``. Hard labels are upgraded to one-hot rows when the
    augmented part carries soft targets (a mixing augmenter applied to some samples only)."""
    if y is None:
        return None
    ndim_y = label_ndim(y)
    ndim_p = label_ndim(part)
    if ndim_y == 1 and is_label_sets(y):
        ndim_p = 1  # label sets of different sizes: a share of them may look 2-D, it is one label per sample
    if ndim_p == 2:
        # a mixing child run on a subset sizes its soft targets by the labels it saw: widen both sides
        # to the classes of the whole batch (a label absent from the subset still has its column).
        # Labels other than non-negative integers take the column of their rank among the batch's
        # classes (the composition's list, else this batch's), as the mixing child numbered them.
        classes = _BATCH_CLASSES.get() or label_classes(y) if ndim_y == 1 else None
        k = max(_width(part), len(classes) if classes is not None else _n_columns(y))
        if ndim_y == 1:
            if classes is not None:
                pos = _class_positions(y, classes)
                y = torch.as_tensor(pos, device=y.device) if isinstance(y, torch.Tensor) else pos
            y = _one_hot(y, k)
        else:
            y = _pad_columns(y, k)
        part = _pad_columns(part, k)
    if isinstance(y, torch.Tensor):
        out = y.clone() if y.dtype == torch.as_tensor(part).dtype else y.to(torch.as_tensor(part).dtype)
        out[index.to(out.device)] = torch.as_tensor(part, device=out.device, dtype=out.dtype)
        return out
    idx = index.detach().cpu().numpy()
    if isinstance(y, np.ndarray):
        part_np = part.detach().cpu().numpy() if isinstance(part, torch.Tensor) else np.asarray(part)
        out = y.astype(np.result_type(y.dtype, part_np.dtype), copy=True)
        out[idx] = part_np
        return out
    if hasattr(y, "iloc"):
        out = y.copy()
        out.iloc[idx] = list(part) if not hasattr(part, "values") else part.values
        return out
    out = list(y)
    rows = part.tolist() if ndim_p == 2 and hasattr(part, "tolist") else list(part)  # a list of rows stays lists
    for i, v in zip(idx.tolist(), rows):
        out[i] = v
    return out


def _same_values(a: Any, b: Any) -> bool:
    """Whether two pandas Series hold the same values (missing where the other is missing)."""
    na_a, na_b = np.asarray(a.isna(), dtype=bool), np.asarray(b.isna(), dtype=bool)
    if not np.array_equal(na_a, na_b):
        return False
    va, vb = a.to_numpy(dtype=object)[~na_a], b.to_numpy(dtype=object)[~na_b]
    return bool(np.all(va == vb)) if len(va) else True


def _like(out: Any, dtype: Any) -> Any:
    """``out`` in the labels' own dtype (categories, nullable integers) where its values allow it
    without change: mixed regression targets of integer labels stay floats (a cast would truncate
    them), values outside a categorical dtype's categories stay values (a cast would make them NaN)."""
    import pandas as pd

    try:
        cast = out.astype(dtype)
    except (TypeError, ValueError):  # e.g. mixed soft targets in integer columns: keep the common dtype
        return out
    if isinstance(out, pd.DataFrame):
        same = all(_cast_keeps(cast.iloc[:, j], out.iloc[:, j]) for j in range(out.shape[1]))
    else:
        same = _cast_keeps(cast, out)
    return cast if same else out


def _cast_keeps(cast: Any, out: Any) -> bool:
    """:func:`_same_values` of the Series ``out`` and its ``astype`` ``cast``, without the per-value
    comparison of Python objects where the dtypes decide (it costs ~10x the cast on long labels)."""
    import pandas as pd

    if cast.dtype == out.dtype:  # nothing was converted
        return True
    if isinstance(cast.dtype, pd.CategoricalDtype):
        # a value outside the categories becomes missing; the others are kept as they are
        return bool(np.array_equal(np.asarray(cast.isna(), dtype=bool), np.asarray(out.isna(), dtype=bool)))
    if pd.api.types.is_numeric_dtype(cast.dtype) and pd.api.types.is_numeric_dtype(out.dtype):
        try:  # a number the cast changed (truncated, rounded, wrapped) does not come back
            return bool(cast.astype(out.dtype).equals(out))
        except (TypeError, ValueError):
            pass
    return _same_values(cast, out)


def concat_labels(ys: Sequence[Any]) -> Any:
    if any(y is None for y in ys):
        return None
    first = ys[0]
    if any(label_ndim(y) for y in ys) and len(
        {label_ndim(y) for y in ys}
    ) > 1:
        # hard labels next to soft targets: upgrade the hard ones (by class rank for labels other
        # than non-negative integers, as mixing numbered them)
        hard = [y for y in ys if label_ndim(y) == 1]
        classes = _BATCH_CLASSES.get() or label_classes(np.concatenate([labels_to_numpy(y) for y in hard]))
        if classes is not None:
            ys = [_class_positions(y, classes) if any(y is h for h in hard) else y for y in ys]
        k = max([_n_columns(y) for y in ys] + [len(classes) if classes is not None else 0])
        ys = [
            _one_hot(y, k) if label_ndim(y) == 1 else _pad_columns(y, k)
            for y in ys
        ]
        first = ys[0]
    if isinstance(first, torch.Tensor):
        return torch.cat([torch.as_tensor(y, device=first.device) for y in ys])
    if isinstance(first, np.ndarray):
        return np.concatenate(
            [y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y) for y in ys]
        )
    if hasattr(first, "iloc"):
        import pandas as pd

        if isinstance(first, pd.DataFrame):  # multi-output targets
            parts = [pd.DataFrame(labels_to_numpy(y), columns=first.columns) for y in ys]
            return _like(pd.concat(parts, ignore_index=True), first.dtypes.to_dict())
        return _like(pd.concat([pd.Series(labels_to_numpy(y), name=first.name) for y in ys], ignore_index=True), first.dtype)
    out: list = []
    for y in ys:
        out.extend(list(y))
    # a list stays a list of Python values (no numpy scalars next to the caller's str/int labels)
    return [v.item() if isinstance(v, np.generic) else v for v in out]


#: soft-target weights this close to the largest are a tie (CutMix's 2 of 6 columns kept: 1/3 in float32)
_TIE_TOL = 1e-6


def dominant_columns(soft: Any, y: Any, classes: list | None = None) -> Any:
    """Column of the largest weight of each row of soft targets ``soft`` ``(M, K)`` (a tensor or an
    array; the same kind comes back), ties going to the copy's *own* label: the copies of ``y`` come
    in ``augment``'s order (copy ``i`` of source ``i % len(y)``), and a row that is half its own
    label and half its partner's keeps its own, as mixing keeps the own value of categorical cells
    on a tie. Without this rule ``argmax`` gives every tie to the lower column, which skews the class
    counts of ``fit_resample`` (CutMix on few columns ties often). ``classes``: the sorted classes
    numbering the columns when the labels are not non-negative integers (None: the label is its
    column). Where the copies cannot be matched to ``y`` (lengths), or a label has no column, plain
    ``argmax``."""
    is_t = isinstance(soft, torch.Tensor)
    s = soft.detach().cpu().numpy() if is_t else np.asarray(soft)
    arg = s.argmax(axis=1) if s.size else np.zeros(len(s), dtype=np.int64)
    n, m = label_length(y), len(s)
    if n and m and m % n == 0 and s.ndim == 2:
        try:
            own = class_columns(y, classes) if classes is not None else labels_to_numpy(y).astype(np.int64)
        except (KeyError, TypeError, ValueError):
            own = None
        if own is not None and own.ndim == 1 and len(own) and own.min() >= 0 and own.max() < s.shape[1]:
            own = np.tile(own, m // n)
            # weights read through flat indices (2-D fancy indexing costs ~1.5x more on long labels)
            flat, base = np.ascontiguousarray(s).reshape(-1), np.arange(0, m * s.shape[1], s.shape[1])
            tie = flat.take(base + own) >= flat.take(base + arg) - _TIE_TOL
            arg = np.where(tie, own, arg)
    return torch.as_tensor(arg, device=soft.device) if is_t else arg


def resample_labels(y: Any, y_aug: Any) -> Any:
    """Labels given to estimators by ``fit_resample``: soft targets ``(N, K)`` from mixing become the
    dominant class when ``y`` holds hard labels (scikit-learn classifiers need them; a tie goes to the
    copy's own label, see :func:`dominant_columns`); anything else is returned as it is."""
    nd_y = label_ndim(y)
    nd_a = label_ndim(y_aug)
    if nd_y == 1 and nd_a == 2:
        named = label_classes(y)
        if named is None and not isinstance(y, torch.Tensor) and labels_to_numpy(y).dtype == object:
            # labels with no class order (ints next to strings, missing ones): raises, naming y, rather
            # than give soft-target columns back as labels (object labels that are all non-negative
            # integers pass: the label is its column)
            class_list(y)
        if isinstance(y_aug, torch.Tensor) and isinstance(y, torch.Tensor):
            arg = dominant_columns(y_aug, y, named)
            if named is not None:
                return torch.as_tensor(named, dtype=y.dtype, device=y.device)[arg.to(y.device)]
            return arg.to(y.dtype)
        # (soft targets in a tensor for labels that are not: the labels' own values, not the columns)
        soft = y_aug.detach().cpu().numpy() if isinstance(y_aug, torch.Tensor) else np.asarray(y_aug)
        arg = dominant_columns(soft, y, named)
        if named is not None:  # column j is the j-th of the sorted classes (strings, negative integers)
            if isinstance(y, torch.Tensor):
                return torch.as_tensor(named, dtype=y.dtype, device=y.device)[torch.as_tensor(arg, device=y.device)]
            return own_label_objects(class_values(named, arg, labels_to_numpy(y)), y)
        return arg if isinstance(y, torch.Tensor) else own_label_objects(arg.astype(labels_to_numpy(y).dtype), y)
    return y_aug


def own_label_objects(labels: Any, y: Any) -> Any:
    """Hard labels ``labels`` (an array of class values made from ``y``) as ``y``'s own objects when
    ``y`` is a list or tuple: NumPy reads ``[True, 2]`` as integers and ``[1, 2.0]`` as floats, so each
    class value comes back as the first label of ``y`` equal to it (``True``, ``1``), in a list. Any
    other container (or labels it cannot map) is returned as it is."""
    if not isinstance(y, (list, tuple)) or isinstance(labels, torch.Tensor):
        return labels
    arr = labels_to_numpy(y)
    if arr.ndim != 1:
        return labels
    own: dict = {}
    try:
        for key, obj in zip(arr.tolist(), y):
            own.setdefault(key, obj)
        return [own.get(v, v) for v in np.asarray(labels).tolist()]
    except TypeError:  # unhashable labels
        return labels


def labels_to_numpy(y: Any) -> np.ndarray:
    """Labels of any container (tensor on any device, pandas Series, list, array) as a NumPy array.
    A list mixing strings with other labels (``[1, "a"]``) gives an object array of the labels as
    they are: NumPy would turn them all into strings, ``1`` into ``'1'`` (the same class as a ``'1'``
    beside it), as a Series or an object array of them never is."""
    if isinstance(y, torch.Tensor):
        return y.detach().cpu().numpy()
    if hasattr(y, "to_numpy"):
        return y.to_numpy()
    arr = np.asarray(y)
    if arr.dtype.kind in "US" and arr.ndim == 1 and isinstance(y, (list, tuple)):
        text = str if arr.dtype.kind == "U" else bytes
        if not all(issubclass(t, text) for t in set(map(type, y))):  # (by type: 1.4x faster on long lists)
            out = np.empty(len(y), dtype=object)
            for i, v in enumerate(y):
                out[i] = v
            return out
    return arr
