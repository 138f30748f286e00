"""Targets of tabular mixing augmenters: task detection, encoding to float tensors and back.

Rules (documented on :class:`multiaug.tabular.mixup.MixingAugmenter`):

* ``task="auto"``: 1-D ``bool``, string/object/category labels -> classification; integer labels with
  at most :data:`MAX_AUTO_CLASSES` distinct values -> classification (more -> regression, e.g. counts);
  float labels -> regression. 2-D targets are mixed row-wise as they are (soft targets or multi-output
  regression). ``num_classes`` given -> classification.
* Classification soft targets are ``(N, K)`` float32. Class ``j`` of the soft target is the label ``j``
  itself when all labels are non-negative integers (``K = max label + 1``, or ``num_classes``; at most
  :data:`multiaug.core.labels.MAX_CLASS_COLUMNS`, checked before allocating);
  otherwise the ``j``-th of the sorted distinct labels (seen in ``fit`` when it was called, else in the
  batch; inside a composition, in the composition's whole batch: :func:`multiaug.core.labels.batch_classes`).
* Output container: a torch tensor stays a tensor on its device; everything else gives a NumPy array,
  except regression targets in a pandas Series, which stay a Series (same index and name).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ..core.hostreads import min_max
from ..core.labels import (
    check_class_columns,
    check_no_missing_labels,
    class_columns,
    class_list,
    class_values,
    current_batch_classes,
    dominant_columns,
    labels_to_numpy,
    own_label_objects,
)

MAX_AUTO_CLASSES = 32
TASKS = ("auto", "classification", "regression")


@dataclass
class Targets:
    values: torch.Tensor  # (N,) or (N, K) float
    task: str  # "classification" | "regression" | "rows" (2-D, mixed as given)
    kind: str  # "tensor" | "numpy" | "series" | "list"
    classes: list | None = None
    integer_classes: bool = False
    series: Any = None
    device: Any = None
    dtype: Any = None


def infer_task(y: Any) -> str:
    """``"classification"``, ``"regression"`` or ``"rows"`` (2-D targets) for ``task="auto"``."""
    import pandas as pd

    if isinstance(y, torch.Tensor):
        if y.dim() == 2:
            return "rows"
        if y.dtype == torch.bool:
            return "classification"
        if y.is_floating_point():
            return "regression"
        return "classification" if torch.unique(y).numel() <= MAX_AUTO_CLASSES else "regression"
    if isinstance(getattr(y, "dtype", None), pd.CategoricalDtype):
        return "classification"
    arr = labels_to_numpy(y)
    if arr.ndim == 2:
        return "rows"
    if arr.dtype == bool or arr.dtype == object or arr.dtype.kind in "USO":
        return "classification"
    if np.issubdtype(arr.dtype, np.integer):
        return "classification" if len(np.unique(arr)) <= MAX_AUTO_CLASSES else "regression"
    if np.issubdtype(arr.dtype, np.number):
        return "regression"
    return "classification"


def _in_range(idx: torch.Tensor, k: int) -> bool:
    """All of integer ``idx`` in ``[0, k)``: one host read for both bounds."""
    lo, hi = min_max(idx)
    return lo >= 0 and hi < k


def encode(
    y: Any,
    task: str,
    *,
    num_classes: int | None = None,
    classes: list | None = None,
    device: Any = None,
    who: str = "augmenter",
    arg: str = "y",
) -> Targets:
    """Float tensor form of ``y``: regression values ``(N,)``/``(N, T)``, one-hot ``(N, K)``, or 2-D
    rows as given. ``arg``: the argument's name in error messages (``y_val`` for a validation set)."""
    import pandas as pd

    kind = "tensor" if isinstance(y, torch.Tensor) else "series" if isinstance(y, pd.Series) else "numpy" if isinstance(y, np.ndarray) else "list"
    dev = y.device if isinstance(y, torch.Tensor) else device
    if task == "auto":
        task = "classification" if num_classes is not None else infer_task(y)
    nd = y.dim() if isinstance(y, torch.Tensor) else np.ndim(labels_to_numpy(y))
    if nd == 2:
        task = "rows"
    elif nd != 1:
        raise ValueError(f"{who}: {arg}: expected 1-D labels/targets or 2-D soft targets, got {nd} dimensions")
    if task in ("regression", "rows"):
        if isinstance(y, torch.Tensor):
            if not (y.is_floating_point() or y.dtype in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool)):
                raise TypeError(f"{who}: regression targets {arg} must be numeric, got dtype {y.dtype}")
            vals = y.to(y.dtype if y.is_floating_point() else torch.float32)
        else:
            arr = labels_to_numpy(y)
            if not np.issubdtype(arr.dtype, np.number) and arr.dtype != bool:
                raise TypeError(f"{who}: regression targets {arg} must be numeric, got dtype {arr.dtype}; pass task='classification' for labels")
            # in the native byte order (torch refuses big-endian arrays on little-endian machines)
            arr = arr.astype(arr.dtype.newbyteorder("=") if np.issubdtype(arr.dtype, np.floating) else np.float32)
            vals = torch.from_numpy(np.ascontiguousarray(arr)).to(dev)
        if not bool(torch.isfinite(vals).all()):
            rows = torch.nonzero(~torch.isfinite(vals.reshape(vals.shape[0], -1)).all(1)).flatten().tolist()
            raise ValueError(
                f"{who}: {arg} contains NaN or inf ({len(rows)} of {vals.shape[0]} targets, at positions {rows[:10]}"
                f"{' ...' if len(rows) > 10 else ''}); every sample needs a finite target (drop or impute those samples first)"
            )
        return Targets(vals, task, kind, series=y if kind == "series" else None, device=dev,
                       dtype=y.dtype if isinstance(y, torch.Tensor) else None)
    # classification
    if isinstance(y, torch.Tensor) and y.dtype != torch.bool and not y.is_floating_point():
        labels_np = None
    else:
        labels_np = labels_to_numpy(y)
    if num_classes is not None:
        check_class_columns(num_classes, who, "num_classes", n_rows=_rows(y))
        idx = y.long() if labels_np is None else torch.as_tensor(_class_ids(labels_np, num_classes, who), device=dev)
        if idx.numel() and not _in_range(idx, num_classes):
            i = int(torch.nonzero((idx < 0) | (idx >= num_classes)).flatten()[0])
            raise ValueError(
                f"{who}: y holds the class id {int(idx[i])} (position {i}); labels must be integers in "
                f"[0, {num_classes}) when num_classes={num_classes}"
            )
        return Targets(_one_hot(idx, num_classes), "classification", kind,
                       classes=list(range(num_classes)), integer_classes=True, device=dev)
    batch_classes, integer = class_list(y if labels_np is None else labels_np, who, arg)
    if classes is None and not integer:
        # inside a composition that routes some samples here: number columns by the whole batch's classes
        classes = current_batch_classes()
    if classes is not None:
        unseen = [c for c in batch_classes if c not in set(classes)]
        if unseen:
            raise ValueError(f"{who}: {arg} holds labels {unseen[:5]} that were not seen in fit (classes {classes[:10]})")
        integer = all(isinstance(c, (int, bool, np.integer)) and c >= 0 for c in classes)
        batch_classes = list(classes)
    if integer:
        k = int(max(batch_classes)) + 1 if batch_classes else 1
        check_class_columns(k, who, arg, n_rows=_rows(y))  # before allocating (N, k) soft targets
        idx = y.long() if labels_np is None else torch.as_tensor(np.asarray(labels_np).astype(np.int64), device=dev)
    else:
        idx = torch.as_tensor(class_columns(y if labels_np is None else labels_np, batch_classes), dtype=torch.long,
                              device=dev)
        k = len(batch_classes)
    return Targets(_one_hot(idx, k), "classification", kind, classes=batch_classes,
                   integer_classes=integer, device=dev)


def _rows(y: Any) -> int:
    return int(y.shape[0]) if isinstance(y, torch.Tensor) else len(y)


def _one_hot(idx: torch.Tensor, k: int) -> torch.Tensor:
    """float32 one-hot rows ``(N, k)`` of class ids ``idx`` (in range): the values of
    ``one_hot(idx, k).float()`` without its int64 ``(N, k)`` intermediate (3x the memory)."""
    out = torch.zeros(idx.shape[0], k, dtype=torch.float32, device=idx.device)
    return out.scatter_(1, idx.reshape(-1, 1), 1.0)


def _py(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _class_ids(labels: np.ndarray, num_classes: int, who: str) -> np.ndarray:
    """Hard labels given with ``num_classes`` as int64 class ids: missing labels, labels that are not
    numbers and non-integer values raise ``ValueError`` naming ``y`` (the range is checked next)."""
    want = f"with num_classes={num_classes}, y must hold class ids, integers in [0, {num_classes})"
    check_no_missing_labels(labels, who)
    arr = labels
    if arr.dtype == object or arr.dtype.kind in "US":  # digit strings ('0', '2') are class ids, as before
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            arr = arr.astype(str)
            labels = [v for v in labels if isinstance(v, (str, bytes))] or labels  # name a string label
    if arr.dtype == bool or np.issubdtype(arr.dtype, np.integer):
        return arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.floating):
        raise ValueError(
            f"{who}: y holds {arr.dtype.kind in 'US' and 'string' or str(arr.dtype)} labels such as {_py(labels[0])!r}; {want}. "
            "Leave num_classes=None to number other labels by their sorted order"
        )
    frac = arr != np.round(arr)
    if frac.any() or not np.isfinite(arr).all():
        i = int(np.flatnonzero(frac | ~np.isfinite(arr))[0])
        raise ValueError(
            f"{who}: y holds the non-integer value {_py(labels[i])!r} (position {i}); {want} "
            "(floats such as 2.0 are read as class 2)"
        )
    return arr.astype(np.int64)


def decode(t: Targets, values: torch.Tensor) -> Any:
    """Put mixed ``values`` back into the caller's container (see the module docstring)."""
    if t.kind == "tensor":
        return values
    arr = values.detach().cpu().numpy()
    if t.kind == "series" and t.task == "regression":
        import pandas as pd

        return pd.Series(arr, index=t.series.index, name=t.series.name)
    return arr


def hard_labels(soft: Any, classes: list | None, integer: bool, like: Any) -> Any:
    """Dominant class of soft targets, as labels of ``like``'s kind (for ``fit_resample``); ``like``
    holds the hard labels the soft targets were made from (a tie goes to a copy's own label:
    :func:`multiaug.core.labels.dominant_columns`)."""
    named = None if integer or classes is None else classes
    arg = dominant_columns(soft, like, named)
    if isinstance(like, torch.Tensor):
        arg = torch.as_tensor(arg, device=like.device)
        if named is None:
            return arg.to(like.dtype)
        # column j is the j-th of the sorted classes (e.g. negative integers): the label, not the column
        return torch.as_tensor(named, dtype=like.dtype, device=like.device)[arg]
    arg = arg.cpu().numpy() if isinstance(arg, torch.Tensor) else arg
    like_arr = labels_to_numpy(like)
    if named is None:
        return own_label_objects(arg.astype(like_arr.dtype), like)
    return own_label_objects(class_values(classes, arg, like_arr), like)
