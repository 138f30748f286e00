"""Class balancing for every modality: imblearn's ``sampling_strategy`` turned into augmented copies.

``sampling_strategy`` (a hyperparameter of every augmenter, and an argument of :meth:`Augmenter.augment`)
takes the values of imbalanced-learn's over-samplers:

* ``"auto"`` / ``"not majority"``: every class but the majority is brought up to the majority's count;
* ``"minority"``: only the smallest class; ``"not minority"``: every class but the smallest;
  ``"all"``: every class (the majority gets no copy, as in imblearn);
* a float (two classes only): the minority is brought up to ``ratio * n_majority``;
* a dict ``{class: target count}``: each named class is brought up to that many samples (originals
  included); a target below the class's count is an error;
* a callable ``f(y) -> dict`` of target counts.

The counts are turned into augmented copies per source sample (:func:`allocate`): a class with ``n_c``
samples that needs ``k`` new ones gives every member ``k // n_c`` copies and one more to ``k % n_c``
members drawn (seeded) from the augmenter's own random stream. The copies are then made by the
augmenter's usual ``augment`` path, one copy per repeated source, so any augmenter of any modality
balances. When some copies are not produced (text outputs identical to their input, samples rejected by
:class:`~multiaug.core.consistency.LabelConsistent`), up to :data:`TOP_UP_ROUNDS` more rounds draw
from the short classes; what is still missing is reported (``report_.details["balance"]`` and a
``RuntimeWarning``), never passed over silently.

Mixing augmenters (mixup, cutmix, RegMix...) are refused: they change labels (soft targets), so copy
counts by source label would not give the class counts asked for.
"""
from __future__ import annotations

from collections import OrderedDict
from numbers import Integral, Real
from typing import Any

import numpy as np
import torch

from .labels import check_no_missing_labels, concat_labels, labels_to_numpy, sorted_unique, take_labels
from .report import warn_user

__all__ = ["STRATEGIES", "TOP_UP_ROUNDS", "class_targets", "allocate", "copies_per_sample", "augment_copies",
           "valid_strategy", "balanced_augment"]

#: the strategy names (imblearn's over-sampling names)
STRATEGIES = ("auto", "not majority", "minority", "not minority", "all")
#: extra rounds drawn for classes whose copies came out short
TOP_UP_ROUNDS = 3


def valid_strategy(value: Any) -> bool:
    """Whether ``value`` is a ``sampling_strategy`` of the accepted forms (checked against ``y`` later)."""
    if value is None or callable(value):
        return True
    if isinstance(value, str):
        return value in STRATEGIES
    if isinstance(value, bool):
        return False
    if isinstance(value, Real):
        return 0 < float(value) <= 1
    if isinstance(value, dict):
        return all(isinstance(v, Integral) and not isinstance(v, bool) and v >= 0 for v in value.values())
    return False


STRATEGY_DESC = (
    "None, one of 'auto', 'not majority', 'minority', 'not minority', 'all', a float in (0, 1] (two classes), "
    "a dict {class: target count} or a callable y -> dict"
)


def class_labels(y: Any, who: str = "sampling_strategy") -> np.ndarray:
    """``y`` as a 1-D NumPy array of class labels; soft targets and regression targets are refused."""
    if y is None:
        raise ValueError(f"{who}: class balancing needs y (one class label per sample), got None")
    arr = labels_to_numpy(y)
    if arr.ndim != 1:
        raise ValueError(f"{who}: class balancing needs 1-D class labels, got y of shape {arr.shape}")
    check_no_missing_labels(arr, who)  # NaN, None, pd.NA
    if arr.dtype.kind == "f":
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{who}: class balancing needs class labels, y holds non-integer floats (regression targets?)")
    return arr


def _sorted_counts(labels: np.ndarray) -> "OrderedDict[Any, int]":
    classes, counts = sorted_unique(labels, "sampling_strategy", return_counts=True)
    return OrderedDict((c.item() if hasattr(c, "item") else c, int(n)) for c, n in zip(classes, counts))


def class_targets(strategy: Any, y: Any) -> "OrderedDict[Any, int]":
    """Number of *new* samples per class asked for by ``strategy`` given the labels ``y`` (every class
    of ``y`` is a key, 0 for those left alone), as imblearn's over-samplers read it."""
    labels = class_labels(y)
    stats = _sorted_counts(labels)
    if not stats:
        raise ValueError("sampling_strategy: y is empty; nothing to balance")
    out: OrderedDict = OrderedDict((c, 0) for c in stats)
    majority = max(stats, key=stats.get)
    minority = min(stats, key=stats.get)
    n_max = stats[majority]
    if callable(strategy) and not isinstance(strategy, (str, dict)):
        strategy = strategy(labels)
        if not isinstance(strategy, dict):
            raise TypeError(f"sampling_strategy: the callable must return a dict {{class: target count}}, got {type(strategy).__name__}")
    if isinstance(strategy, str):
        if strategy not in STRATEGIES:
            raise ValueError(f"sampling_strategy: expected {STRATEGY_DESC}, got {strategy!r}")
        name = "not majority" if strategy == "auto" else strategy
        for c, n in stats.items():
            if (name == "not majority" and c != majority) or (name == "minority" and c == minority) or (
                    name == "not minority" and c != minority) or name == "all":
                out[c] = n_max - n
        return out
    if isinstance(strategy, dict):
        for c, target in strategy.items():
            key = _find_class(c, stats)
            if isinstance(target, bool) or not isinstance(target, Integral) or target < 0:
                raise ValueError(f"sampling_strategy: the target count of class {c!r} must be an integer >= 0, got {target!r}")
            if target < stats[key]:
                raise ValueError(
                    f"sampling_strategy: class {c!r} has {stats[key]} samples, more than its target {target}; augmentation "
                    "only adds samples (targets are total counts, originals included)"
                )
            out[key] = int(target) - stats[key]
        return out
    if isinstance(strategy, Real) and not isinstance(strategy, bool):
        if len(stats) != 2:
            raise ValueError(f"sampling_strategy: a float is for two classes only, y has {len(stats)}; pass a dict or a name")
        ratio = float(strategy)
        if not 0 < ratio <= 1:
            raise ValueError(f"sampling_strategy: a float must be in (0, 1] (minority/majority after balancing), got {ratio}")
        want = int(ratio * n_max)
        if want < stats[minority]:
            raise ValueError(
                f"sampling_strategy: {ratio} asks for {want} samples of class {minority!r}, which has {stats[minority]} already "
                f"(ratio {stats[minority] / n_max:.3f}); augmentation only adds samples"
            )
        out[minority] = want - stats[minority]
        return out
    raise ValueError(f"sampling_strategy: expected {STRATEGY_DESC}, got {strategy!r}")


def _find_class(c: Any, stats: dict) -> Any:
    if c in stats:
        return c
    for k in stats:  # "1" for 1 ... as labels read from files may differ in type
        if str(k) == str(c):
            return k
    if isinstance(c, str):  # a class typed on the command line: "1" for the label 1.0
        try:
            num = float(c)
        except ValueError:
            num = None
        hits = [k for k in stats if num is not None and isinstance(k, (int, float, np.integer, np.floating))
                and not isinstance(k, (bool, np.bool_)) and float(k) == num]
        if len(hits) == 1:
            return hits[0]
    raise ValueError(f"sampling_strategy: class {c!r} is not in y; y holds {list(stats)}")


def allocate(labels: np.ndarray, need: dict, generator: torch.Generator | None) -> np.ndarray:
    """Source rows of the copies to make, copy-major (round 1 of every source that gets a copy, in row
    order, then round 2, ...): ``need[c]`` copies per class ``c`` spread over its members, ``need // n_c``
    each and one more for ``need % n_c`` members drawn from ``generator`` (the first members when it
    is None)."""
    return rows_of(copies_per_sample(labels, need, generator))


def rows_of(copies: np.ndarray) -> np.ndarray:
    """Copy-major source rows of per-sample copy counts."""
    copies = np.asarray(copies, dtype=np.int64)
    rounds = int(copies.max()) if len(copies) else 0
    return np.concatenate([np.flatnonzero(copies > r) for r in range(rounds)]) if rounds else np.zeros(0, dtype=np.int64)


def copies_per_sample(labels: np.ndarray, need: dict, generator: torch.Generator | None) -> np.ndarray:
    """Augmented copies to make of each sample (see :func:`allocate`)."""
    labels = np.asarray(labels)
    copies = np.zeros(len(labels), dtype=np.int64)
    for c, k in need.items():
        if k <= 0:
            continue
        members = np.flatnonzero(labels == c)
        if len(members) == 0:
            raise ValueError(f"sampling_strategy: class {c!r} has no sample to augment")
        q, r = divmod(int(k), len(members))
        copies[members] += q
        if r:
            if generator is None:
                extra = members[:r]
            else:
                extra = members[torch.randperm(len(members), generator=generator)[:r].numpy()]
            copies[extra] += 1
    return copies


def augment_copies(aug: Any, X: Any, y: Any, copies: np.ndarray, **extra: Any) -> tuple[Any, Any, np.ndarray]:
    """``copies[i]`` augmented copies of sample ``i`` of ``X`` (the engines' balanced runs: copy counts
    planned over a whole file, applied batch by batch); returns ``(X_aug, y_aug, source_index)``."""
    check_balanceable(aug)
    xi, ctx = aug._to_internal(X)
    aug._check_y(xi, y)
    copies = np.asarray(copies, dtype=np.int64)
    if len(copies) != aug.handler.length(xi):
        raise ValueError(f"copies: expected one count per sample ({aug.handler.length(xi)}), got {len(copies)}")
    rows = rows_of(copies)
    if not len(rows):
        aug._set_report(None)
        return _empty(aug, xi, ctx, y)
    return augment_rows(aug, xi, ctx, y, rows, {**aug.handler.inputs(ctx), **extra})


def take_inputs(inputs: dict, rows: Any, n: int, batch_inputs: tuple) -> dict:
    """Per-sample keyword inputs (time series' ``lengths``) taken at ``rows`` (an index array, or a
    tensor: tensor inputs are then indexed where they are, with no host copy of ``rows``); batch-level
    ones as they are."""
    out, host = {}, None
    for k, v in inputs.items():
        if k in batch_inputs or v is None or not hasattr(v, "__len__") or len(v) != n:
            out[k] = v
        elif isinstance(v, torch.Tensor):
            out[k] = v[rows.to(v.device) if isinstance(rows, torch.Tensor) else torch.as_tensor(rows)]
        else:
            if host is None:
                host = rows.cpu().numpy() if isinstance(rows, torch.Tensor) else np.asarray(rows)
            out[k] = np.asarray(v)[host] if isinstance(v, np.ndarray) else [v[i] for i in host.tolist()]
    return out


def augment_rows(aug: Any, xi: Any, ctx: Any, y: Any, rows: np.ndarray, inputs: dict) -> tuple[Any, Any, np.ndarray]:
    """One augmented copy of each source row in ``rows`` (repeats allowed) through the augmenter's
    ``augment`` path; returns ``(X_aug, y_aug, source_index)`` with sources as rows of ``xi``. The
    augmenter's ``report_`` is left with its ``*_index`` lists mapped to rows of ``xi`` too."""
    h = aug.handler
    n = h.length(xi)
    rows = np.asarray(rows, dtype=np.int64)
    idx = torch.as_tensor(rows)
    part = h.take(xi, idx)
    aug._set_report(None)
    # row i of the copies comes from row rows[i] of xi (tables give back exact integers from it)
    out, y_out, s = aug._augment_batch(part, h.many_ctx(h.rows_ctx(ctx, rows)),
                                       take_labels(y, idx) if y is not None else None, 1,
                                       take_inputs(inputs, rows, n, h.batch_inputs))
    rep = aug.report_
    if rep is not None and rep.details:
        for k, v in list(rep.details.items()):
            if k.endswith("_index") and isinstance(v, list) and all(isinstance(i, int) and 0 <= i < len(rows) for i in v):
                rep.details[k] = rows[np.asarray(v, dtype=np.int64)].tolist() if v else []
    return out, y_out, rows[np.asarray(s, dtype=np.int64)]


def _merge_reports(reports: list) -> Any:
    """One report for several rounds: counts summed (per-try counts try by try), index lists joined,
    other details from the last."""
    from .report import AugmentReport

    reports = [r for r in reports if r is not None]
    if not reports:
        return None
    out = AugmentReport(details={})
    for r in reports:
        for f in ("n_inputs", "n_outputs", "n_unchanged", "n_dropped"):
            setattr(out, f, getattr(out, f) + int(getattr(r, f) or 0))
        for k, v in (r.details or {}).items():
            old = out.details.get(k)
            if k.endswith("_per_try") and isinstance(v, list) and isinstance(old, list):
                # counts per try (LabelConsistent's rejected_per_try): summed try by try over the rounds
                out.details[k] = [(old[i] if i < len(old) else 0) + (v[i] if i < len(v) else 0)
                                  for i in range(max(len(old), len(v)))]
            elif isinstance(v, list) and isinstance(old, list):
                out.details[k] = old + v
            elif isinstance(v, int) and not isinstance(v, bool) and isinstance(old, int) and k != "threshold":
                out.details[k] = old + v
            else:
                out.details[k] = v
    return out


def _holds_fitted_state(a: Any) -> bool:
    return any(k.endswith("_") and not k.startswith("_") for k in vars(a))


def needs_statistics(a: Any) -> bool:
    """Whether augmenter ``a`` (itself, not those inside it) measures the data it is given
    (``partial_fit``) and has not been fitted yet."""
    return callable(getattr(a, "partial_fit", None)) and not _holds_fitted_state(a)


def batch_standin(aug: Any, xi: Any) -> Any:
    """``aug``, or -- when it holds augmenters that measure the batch they get (``partial_fit`` and no
    fitted state, e.g. ``GaussianNoise``'s column spread) -- a stand-in whose such augmenters have
    measured the whole batch ``xi`` (the internal representation, already checked: their
    ``_measure_batch``, else ``fit``). Balancing, redraws and compositions' routing augment *subsets*
    of the batch (a class, the rejected rows, one child's share), whose statistics are not the batch's.
    Only the augmenters on the way to those are copied; the copies share every random stream with the
    originals (the same generator dicts, as RandAugment's scaled children), so the draws advance
    ``aug``'s streams, and :func:`standin_done` gives the originals the reports the copies made;
    ``aug`` itself is left unfitted."""
    import copy

    if not any(needs_statistics(a) for a in aug._descendants()):
        return aug

    made: dict[int, Any] = {}  # one copy per original (Sometimes holds its child as augmenter and augmenters)

    def standin(a):
        if not any(needs_statistics(d) for d in a._descendants()):
            return a
        if id(a) in made:
            return made[id(a)]
        a.generator("cpu")  # the generator dict exists, so the copy shares it
        b = copy.copy(a)
        b.__dict__ = dict(a.__dict__)
        b.__dict__["_standin_of"] = a
        made[id(a)] = b
        for key in ("augmenters", "augmenter"):
            v = a.__dict__.get(key)
            if isinstance(v, (list, tuple)):
                b.__dict__[key] = [standin(c) for c in v]
            elif v is not None and hasattr(v, "_children"):
                b.__dict__[key] = standin(v)
        if needs_statistics(a):  # b shares a's class and attributes
            measure = getattr(b, "_measure_batch", None)
            if measure is not None:
                measure(xi)
            else:
                b.fit(xi)
        return b

    return standin(aug)


def standin_done(standin: Any) -> None:
    """After a :func:`batch_standin` ran: each original augmenter gets the ``report_`` its copy wrote."""
    for b in standin._descendants():
        a = b.__dict__.get("_standin_of")
        if a is not None and b.__dict__.get("_report") is not a.__dict__.get("_report"):
            a._set_report(b.__dict__.get("_report"))


def mixer_of(aug: Any) -> Any:
    """The first augmenter in ``aug`` (itself or one inside a composition) that mixes samples, or None."""
    return next((a for a in aug._descendants() if getattr(a, "mixes_samples", False)), None)


def check_balanceable(aug: Any) -> None:
    """Refuse augmenters that change labels (mixing): copy counts by source label would not give the
    class counts asked for."""
    mixer = mixer_of(aug)
    if mixer is not None:
        raise ValueError(
            f"{type(aug).__name__}: sampling_strategy cannot be used with {type(mixer).__name__}, which mixes samples "
            "and their labels (soft targets), so the class counts asked for could not be met; balance with a "
            "label-preserving augmenter, or use n_aug"
        )


def balanced_augment(aug: Any, xi: Any, ctx: Any, y: Any, inputs: dict, strategy: Any) -> tuple[Any, Any, np.ndarray]:
    """What :meth:`Augmenter.augment` returns under ``sampling_strategy``: the augmented samples that
    bring each class to its target, with their labels and source rows (see the module docstring)."""
    from .report import AugmentReport

    check_balanceable(aug)
    labels = class_labels(y)
    need = class_targets(strategy, labels)
    g = aug.generator("cpu")
    rows = allocate(labels, need, g)
    parts: list[tuple[Any, Any, np.ndarray]] = []
    reports = []
    work = batch_standin(aug, xi) if len(rows) else aug
    if len(rows):
        parts.append(augment_rows(work, xi, ctx, y, rows, inputs))
        reports.append(work.report_)
    got = OrderedDict((c, 0) for c in need)
    for rnd in range(TOP_UP_ROUNDS + 1):
        got = OrderedDict((c, 0) for c in need)
        for _, _, s in parts:
            for c, k in zip(*np.unique(labels[s], return_counts=True)):
                got[c.item() if hasattr(c, "item") else c] += int(k)
        short = OrderedDict((c, need[c] - got[c]) for c in need if need[c] - got[c] > 0)
        if not short or rnd == TOP_UP_ROUNDS:
            break
        parts.append(augment_rows(work, xi, ctx, y, allocate(labels, short, g), inputs))
        reports.append(work.report_)
    inner = _merge_reports(reports)
    shortfall = {c: need[c] - got[c] for c in need if need[c] > got[c]}
    h = aug.handler
    if parts:
        X_aug = h.concat([p[0] for p in parts]) if len(parts) > 1 else parts[0][0]
        y_aug = (concat_labels([p[1] for p in parts]) if len(parts) > 1 else parts[0][1]) if y is not None else None
        src = np.concatenate([p[2] for p in parts])
    else:
        X_aug, y_aug, src = _empty(aug, xi, ctx, y)
    details = dict(inner.details or {}) if inner is not None else {}
    details["balance"] = {
        "strategy": strategy if not callable(strategy) else getattr(strategy, "__name__", "callable"),
        "class_counts": dict(_sorted_counts(labels)),
        "asked": dict(need), "generated": dict(got), "shortfall": shortfall, "rounds": len(parts),
    }
    aug._set_report(AugmentReport(
        n_inputs=len(labels), n_outputs=len(src),
        n_unchanged=inner.n_unchanged if inner is not None else 0,
        n_dropped=inner.n_dropped if inner is not None else 0,
        details=details,
    ))
    if shortfall:
        warn_user(
            f"{type(aug).__name__}: sampling_strategy could not be met: {sum(shortfall.values())} augmented samples "
            f"missing after {TOP_UP_ROUNDS} top-up rounds (per class: {shortfall}); outputs were dropped as unchanged "
            "or rejected",
            RuntimeWarning,
        )
    return X_aug, y_aug, src


def _empty(aug: Any, xi: Any, ctx: Any, y: Any) -> tuple[Any, Any, np.ndarray]:
    """No sample to generate: an empty batch of the input's type."""
    h = aug.handler
    none = torch.zeros(0, dtype=torch.long)
    src = np.zeros(0, dtype=np.int64)
    y0 = take_labels(y, none) if y is not None else None
    if aug.modality == "graph":
        return [], y0, src
    return h.restore(h.take(xi, none), h.many_ctx(ctx)), y0, src

