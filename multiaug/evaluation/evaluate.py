"""Leakage-free cross-validated evaluation of augmenters against no augmentation.

Protocol, for every split of a repeated (stratified) k-fold over the *units* (rows, texts, series,
labelled nodes, graphs), and for every candidate including ``"none"``:

1. the candidate is cloned (``sklearn.base.clone``) and its random stream restarted from a seed derived
   from ``seed``, the split and the candidate;
2. it is fitted on the split's training part only and augments only the training part
   (``augment(X_train, y_train, n_aug)``); for a node-level graph it sees the graph with every label
   outside the training fold hidden (-1);
3. a clone of the model is trained on the training part plus its augmented copies and scored on the
   untouched test part.

All candidates see the same splits and the same model seed, so the differences to ``"none"`` are paired.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

import numpy as np

from ._data import make_adapter
from .results import EvaluationResult, check_interval

NONE = "none"


# ---- candidates ----------------------------------------------------------------------------------


def _label(aug: Any) -> str:
    """``name(param=value, ...)`` with the parameters that differ from the class defaults."""
    if aug is None:
        return NONE
    try:
        cfg = aug.to_config()
    except Exception:  # noqa: BLE001 - a user augmenter without a registry name
        return type(aug).__name__
    return _label_cfg(cfg)


def _label_cfg(cfg: dict) -> str:
    from .. import registry

    name = cfg["augmenter"]
    params = cfg.get("params") or {}
    try:
        defaults = registry.get(name).param_defaults()
    except ValueError:
        defaults = {}
    parts = []
    for k, v in params.items():
        if k in ("seed", "device") or (k in defaults and _same(defaults[k], v)):
            continue
        if isinstance(v, dict) and "augmenter" in v:
            v = _label_cfg(v)
        elif isinstance(v, list) and v and all(isinstance(c, dict) and "augmenter" in c for c in v):
            v = "[" + ", ".join(_label_cfg(c) for c in v) + "]"
        parts.append(f"{k}={v}")
    return f"{name}({', '.join(parts)})" if parts else name


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    try:
        return bool(a == b) or (isinstance(a, tuple) and list(a) == b)
    except Exception:  # noqa: BLE001
        return False


def as_candidate(c: Any) -> Any:
    """An augmenter (or None for no augmentation) from an augmenter, a registry name, ``"none"``, a config
    dict or a .json/.yaml config file path."""
    from sklearn.base import BaseEstimator

    from .. import registry

    if c is None or (isinstance(c, str) and c.strip().lower() == NONE):
        return None
    if isinstance(c, (str, os.PathLike)):
        s = os.fspath(c)
        if s.lower().endswith((".yaml", ".yml", ".json")):
            from .. import from_config

            return from_config(s)
        return registry.create(s)
    if isinstance(c, dict):
        from .. import from_config

        return from_config(c)
    if isinstance(c, BaseEstimator) and hasattr(c, "augment"):
        return c
    raise TypeError(
        f"candidate: expected an augmenter, a registry name, 'none', a config dict or a .yaml/.json path, got {type(c).__name__}"
    )


def normalize_candidates(candidates: Any, modality: str) -> list[tuple[str, Any]]:
    """``[(label, augmenter or None), ...]`` with ``"none"`` first; labels are unique."""
    from .models import default_candidates

    if candidates is None:
        items = [None, *default_candidates(modality)]
    elif isinstance(candidates, (list, tuple)):
        items = list(candidates)
    else:
        items = [candidates]
    out: list[tuple[str, Any]] = []
    for it in items:
        if isinstance(it, tuple) and len(it) == 2 and isinstance(it[0], str):
            label, aug = it[0], as_candidate(it[1])
        else:
            aug = as_candidate(it)
            label = _label(aug)
        out.append((label, aug))
    if not any(a is None for _, a in out):
        out.insert(0, (NONE, None))
    else:  # the baseline first
        out.sort(key=lambda t: t[1] is not None)
    seen: dict[str, int] = {}
    uniq = []
    for label, aug in out:
        if aug is None:
            label = NONE
        seen[label] = seen.get(label, 0) + 1
        uniq.append((label if seen[label] == 1 else f"{label}#{seen[label]}", aug))
    if sum(a is None for _, a in uniq) > 1:
        uniq = [uniq[0]] + [t for t in uniq[1:] if t[1] is not None]
    return uniq


# ---- the cross-validation engine -----------------------------------------------------------------


def make_splitter(cv: Any, repeats: int, task: str, seed: int | None, grouped: bool = False):
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    if isinstance(cv, bool) or not isinstance(cv, (int, np.integer)):
        if hasattr(cv, "split"):
            try:
                n = int(cv.get_n_splits())
            except (TypeError, ValueError, AttributeError):
                n = 0
            r = int(getattr(cv, "n_repeats", 1) or 1)
            return cv, n // r, r
        raise TypeError(f"cv: expected an integer >= 2 or a scikit-learn splitter, got {type(cv).__name__}")
    if cv < 2:
        raise ValueError(f"cv: expected an integer >= 2, got {cv}")
    if isinstance(repeats, bool) or not isinstance(repeats, (int, np.integer)) or repeats < 1:
        raise ValueError(f"repeats: expected an integer >= 1, got {repeats!r}")
    if grouped:
        return RepeatedGroupKFold(int(cv), int(repeats), task == "classification", seed), int(cv), int(repeats)
    cls = RepeatedStratifiedKFold if task == "classification" else RepeatedKFold
    return cls(n_splits=int(cv), n_repeats=int(repeats), random_state=seed), int(cv), int(repeats)


class RepeatedGroupKFold:
    """``n_splits``-fold cross-validation by groups, repeated ``n_repeats`` times with the groups
    reshuffled: every sample of a group lands in the same test fold (rows of one patient, one
    document, one recording never sit on both sides of a split). Classification uses scikit-learn's
    ``StratifiedGroupKFold`` (class shares kept as far as whole groups allow); regression deals the
    shuffled groups, each to the fold with the fewest samples so far (GroupKFold's balance, random
    order). What ``evaluate(..., groups=...)`` uses for an integer ``cv``."""

    def __init__(self, n_splits: int = 5, n_repeats: int = 1, stratify: bool = True, random_state: int | None = None):
        self.n_splits, self.n_repeats, self.stratify, self.random_state = n_splits, n_repeats, stratify, random_state

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        return self.n_splits * self.n_repeats

    def split(self, X: Any, y: Any = None, groups: Any = None):
        from sklearn.model_selection import StratifiedGroupKFold

        if groups is None:
            raise ValueError("groups: RepeatedGroupKFold splits by groups; pass one group per sample")
        groups = np.asarray(groups)
        uniq, codes = np.unique(groups, return_inverse=True)
        if len(uniq) < self.n_splits:
            fix = f"lower cv (at most {len(uniq)}) or use finer groups" if len(uniq) >= 2 else \
                "cross-validation by groups needs at least 2 groups: use finer groups"
            raise ValueError(f"groups: {len(uniq)} distinct group{'s' if len(uniq) != 1 else ''} cannot fill "
                             f"cv={self.n_splits} test folds; {fix}")
        seeds = np.random.SeedSequence(0 if self.random_state is None else int(self.random_state)).generate_state(self.n_repeats)
        idx = np.arange(len(codes))
        for r in range(self.n_repeats):
            if self.stratify:
                cv = StratifiedGroupKFold(self.n_splits, shuffle=True, random_state=int(seeds[r] % (2**31 - 1)))
                yield from cv.split(idx, y, codes)
                continue
            order = np.random.default_rng(int(seeds[r])).permutation(len(uniq))
            sizes = np.bincount(codes, minlength=len(uniq))
            fold_of = np.empty(len(uniq), dtype=np.int64)
            load = np.zeros(self.n_splits, dtype=np.int64)
            for gi in order:
                f = int(np.argmin(load))
                fold_of[gi] = f
                load[f] += sizes[gi]
            sample_fold = fold_of[codes]
            for f in range(self.n_splits):
                yield idx[sample_fold != f], idx[sample_fold == f]


def _split_seed(seed: int | None, split: int, cand: int) -> int:
    base = 0 if seed is None else int(seed)
    return int(np.random.SeedSequence([base, split, cand]).generate_state(1)[0])


def _scorer(model: Any, scoring: Any, task: str, classes: np.ndarray | None = None) -> tuple[Callable, str]:
    from sklearn.metrics import check_scoring, get_scorer_names

    if scoring is None:
        scoring = "r2" if task == "regression" else "accuracy"
    if isinstance(scoring, str):
        if scoring not in get_scorer_names():
            import difflib

            near = difflib.get_close_matches(scoring, get_scorer_names(), n=3)
            hint = f"; did you mean {', '.join(map(repr, near))}?" if near else ""
            raise ValueError(f"scoring: unknown scikit-learn scoring name {scoring!r}{hint} "
                             "(see sklearn.metrics.get_scorer_names())")
    elif not callable(scoring):
        raise ValueError(f"scoring: expected one scikit-learn scoring name or a callable scorer(estimator, X, y), "
                         f"got {type(scoring).__name__} (one metric: the comparison is on a single score)")
    name = scoring if isinstance(scoring, str) else _scorer_name(scoring)
    scorer = check_scoring(model, scoring=scoring)
    if isinstance(scoring, str) and classes is not None:
        scorer = _positive_class(scorer, classes)
    return scorer, name


def _scorer_name(scoring: Callable) -> str:
    """A readable name of a callable scorer: ``make_scorer(f1_score, average="macro")`` -> "f1_score(average=macro)"
    (``neg_`` first when lower is better), a function's own name otherwise."""
    func = getattr(scoring, "_score_func", None)
    if func is None:
        return getattr(scoring, "__name__", type(scoring).__name__)
    kw = {k: v for k, v in (getattr(scoring, "_kwargs", None) or {}).items() if v is not None}
    name = getattr(func, "__name__", type(func).__name__)
    name += f"({', '.join(f'{k}={v}' for k, v in kw.items())})" if kw else ""
    return ("neg_" if getattr(scoring, "_sign", 1) < 0 else "") + name


def _positive_class(scorer: Any, classes: np.ndarray) -> Any:
    """A scoring name whose metric defaults to ``pos_label=1`` (f1, precision, recall, jaccard,
    average_precision) on two classes that do not include 1 (``["no", "yes"]``): the positive class is
    the second of the sorted classes, as for 0/1 labels; other scorers are returned unchanged."""
    import inspect

    from sklearn.metrics import make_scorer

    func, kw = getattr(scorer, "_score_func", None), getattr(scorer, "_kwargs", None)
    method = getattr(scorer, "_response_method", None)  # (scikit-learn >= 1.4's scorers and make_scorer)
    if func is None or kw is None or method is None or "pos_label" in kw or len(classes) != 2 or 1 in classes.tolist():
        return scorer
    try:
        default = inspect.signature(func).parameters["pos_label"].default
    except (KeyError, TypeError, ValueError):
        return scorer
    if default != 1:
        return scorer
    return make_scorer(func, greater_is_better=scorer._sign > 0, response_method=method,
                       pos_label=classes[1].item() if hasattr(classes[1], "item") else classes[1], **kw)


def _check_folds(n_splits: int, y_units: np.ndarray, task: str, splitter: Any) -> None:
    """Fewer units than folds: say so in terms of ``cv`` instead of scikit-learn's splitter message."""
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold

    if not isinstance(splitter, (RepeatedKFold, RepeatedStratifiedKFold)):
        return
    n = len(y_units)
    if n < n_splits:
        raise ValueError(f"cv: {n_splits} folds need at least {n_splits} samples, got {n}; lower cv (at most {n})")
    if task == "classification":
        most = int(np.bincount(np.asarray(y_units, dtype=int)).max())
        if most < n_splits:
            raise ValueError(f"cv: stratified {n_splits}-fold needs a class with at least {n_splits} samples; the largest "
                             f"class has {most}; lower cv (at most {max(most, 2)}) or add data")


def _fold_safe(aug: Any, notes: list[str], label: str) -> Any:
    """A copy of ``aug`` whose reference models are refitted in every training fold: a
    ``LabelConsistent`` with ``fit_model=False`` judges the copies with a model fitted elsewhere, most likely
    on the whole data set (test folds included), which leaks their labels into the choice of the copies."""
    from sklearn.base import clone

    from ..core.consistency import LabelConsistent

    if aug is None:
        return None
    aug = clone(aug)
    for a in aug._descendants() if hasattr(aug, "_descendants") else [aug]:
        if isinstance(a, LabelConsistent) and not a.fit_model:
            if hasattr(a.model, "fit"):
                a.set_params(fit_model=True)
                notes.append(f"{label}: LabelConsistent's reference model is refitted on each training fold "
                             "(fit_model=True), not read as given: fitted on the test rows, it would leak their labels.")
            else:
                notes.append(f"{label}: LabelConsistent's reference model is a callable that cannot be refitted per "
                             "fold; if it was trained on these data, the scores of this candidate are optimistic.")
    return aug


def candidate_n_aug(aug: Any, n_aug: int | None) -> int:
    """The augmented copies per training sample of candidate ``aug``: ``n_aug``, or, when it is None,
    the candidate's own ``n_aug`` hyperparameter (a config's ``n_aug: 4``; 1 for one without it)."""
    if n_aug is not None:
        return int(n_aug)
    own = getattr(aug, "n_aug", None)
    return 1 if own is None else int(own)


def _fit_score(adapter, model, scorer, label_aug, split_no, cand_no, train, test, n_aug, seed):
    from sklearn.base import clone

    label, aug = label_aug
    times = {"augment_fit": 0.0, "augment": 0.0}
    a = None
    if aug is not None:
        a = clone(aug)
        a.reseed(_split_seed(seed, split_no, cand_no))
    X_fit, y_fit = adapter.train_set(a, train, candidate_n_aug(aug, n_aug), times)
    m = clone(model)
    t0 = time.perf_counter()
    m.fit(X_fit, y_fit)
    fit_t = time.perf_counter() - t0
    X_te, y_te = adapter.test_set(test, train)
    return float(scorer(m, X_te, y_te)), fit_t, times["augment_fit"] + times["augment"]


class CVRun:
    """The shared engine of :func:`evaluate` and :class:`AugmentationSearchCV`: splits in order, all
    active candidates on each split; ``prune(run, split_no)`` may deactivate candidates after a split."""

    def __init__(self, X, y, candidates, model=None, cv=5, repeats=3, scoring=None, n_aug=1, seed=0,
                 task="auto", graph_mode=None, max_time=None, n_jobs=None, progress=None, groups=None, lengths=None):
        from .models import default_model

        if n_aug is not None and (isinstance(n_aug, bool) or not isinstance(n_aug, (int, np.integer)) or n_aug < 1):
            raise ValueError(f"n_aug: expected an integer >= 1 or None (each candidate's own n_aug), got {n_aug!r}")
        if max_time is not None and (isinstance(max_time, bool) or not isinstance(max_time, (int, float)) or max_time <= 0):
            raise ValueError(f"max_time: expected None or a positive number of seconds, got {max_time!r}")
        if task == "auto" and model is not None and y is not None and _is_regressor(model) and _numeric(y):
            task = "regression"  # integer targets (counts, prices) look like classes to type_of_target
        given = None if candidates is None else normalize_candidates(candidates, None)
        self.adapter = make_adapter(X, y, task, graph_mode, lengths,
                                    modality="timeseries" if series_2d(X, given, lengths) else None)
        self.task = self.adapter.task
        self.modality = self.adapter.modality
        if model is None and self.task == "regression" and np.ndim(self.adapter.y) == 2 \
                and self.adapter.y.shape[1] > 1 and self.modality == "tabular":
            raise ValueError(f"y: {self.adapter.y.shape[1]} targets per sample (shape {self.adapter.y.shape}); the default "
                             "table model (HistGradientBoostingRegressor) predicts one: pass model= a multi-output "
                             "regressor (e.g. RandomForestRegressor()) or one target column")
        self.notes: list[str] = []
        classes = self.adapter.classes_
        if task == "auto" and classes is not None and classes.dtype.kind in "iu" and len(classes) > 20:
            # integer targets (counts, rounded prices) look like classes to type_of_target: say what was assumed
            self.notes.append(f"y: {len(classes)} distinct integer values were taken as classes (task='auto'); if they "
                              "are numeric targets, pass task='regression' (--task regression) or a regressor as model=.")
        if given is None:
            given = normalize_candidates(None, self.modality)
        self.candidates = [(n, _fold_safe(a, self.notes, n)) for n, a in given]
        if lengths is not None:
            for n, a in self.candidates:
                learned = [d for d in (a._descendants() if a is not None else ()) if getattr(d, "learned", False)]
                if learned:  # fitted on each training fold over whole series: it would learn the padding
                    raise ValueError(f"lengths: candidate {n!r}: {type(learned[0]).__name__} is fitted on each training "
                                     "fold over whole series, padding included; evaluate it on equal-length series")
        if model is None:
            _check_default_model_input(X, self.modality)
        self.model = default_model(self.modality, self.task, seed) if model is None else model
        self.splitter, self.n_splits, self.repeats = make_splitter(cv, repeats, self.task, seed,
                                                                   grouped=groups is not None)
        # the model is scored on the user's labels, except where it is trained on class indices (graph lists)
        labels = None if getattr(self.adapter, "model_codes", False) else self.adapter.classes_
        self.scorer, self.scoring = _scorer(self.model, scoring, self.task, labels)
        self.n_aug = None if n_aug is None else int(n_aug)
        self.seed, self.max_time, self.n_jobs, self.progress = seed, max_time, n_jobs, progress
        self.groups = _unit_groups(groups, self.adapter)
        names = [n for n, _ in self.candidates]
        self.scores = {n: [] for n in names}
        self.fit_time = {n: [] for n in names}
        self.augment_time = {n: [] for n in names}
        self.active = set(names)
        self.ratios: list[float] = []

    def run(self, prune: Callable[["CVRun", int], None] | None = None) -> "CVRun":
        from tqdm.auto import tqdm

        units, y_units = self.adapter.units()
        _check_folds(self.n_splits, y_units, self.task, self.splitter)
        splits = list(self.splitter.split(units, y_units, self.groups))
        if self.n_splits == 0:
            self.n_splits = len(splits)
        show = os.sys.stderr.isatty() if self.progress is None else bool(self.progress)
        bar = tqdm(total=len(splits) * len(self.candidates), unit="fit", disable=not show, dynamic_ncols=True,
                   desc="multiaug evaluate")
        t_start = time.perf_counter()
        jobs = 1 if self.n_jobs in (None, 1) else int(self.n_jobs)
        step = 1 if jobs == 1 else (jobs if jobs > 0 else os.cpu_count() or 1)  # splits per parallel round
        try:
            start = 0
            while start < len(splits):
                end = min(start + step, len(splits))
                if prune is not None and self.n_splits:  # a parallel round never crosses the end of a repeat:
                    end = min(end, (start // self.n_splits + 1) * self.n_splits)  # prune sees that repeat's splits only
                chunk = list(enumerate(splits))[start:end]
                start = end
                work = [(s, ci, tr, te) for s, (tr, te) in chunk
                        for ci, (n, _) in enumerate(self.candidates) if n in self.active]
                if jobs == 1:
                    outs = []
                    for s, ci, tr, te in work:
                        outs.append(_fit_score(self.adapter, self.model, self.scorer, self.candidates[ci], s, ci, tr, te,
                                               self.n_aug, self.seed))
                        bar.update(1)
                else:
                    from joblib import Parallel, delayed

                    outs = Parallel(n_jobs=jobs)(
                        delayed(_fit_score)(self.adapter, self.model, self.scorer, self.candidates[ci], s, ci, tr, te,
                                            self.n_aug, self.seed) for s, ci, tr, te in work)
                    bar.update(len(work))
                for (_, ci, _, _), (sc, ft, at) in zip(work, outs):
                    n = self.candidates[ci][0]
                    self.scores[n].append(sc)
                    self.fit_time[n].append(ft)
                    self.augment_time[n].append(at)
                for s, (tr, te) in chunk:
                    self.ratios.append(len(te) / len(tr))
                    if prune is not None:
                        prune(self, s)
                done = chunk[-1][0] + 1
                if self.max_time is not None and time.perf_counter() - t_start > self.max_time and done < len(splits):
                    self.notes.append(f"max_time={self.max_time}s reached: stopped after {done} of {len(splits)} splits.")
                    break
        finally:
            bar.close()
        return self

    def result(self, ci: str = "corrected", level: float = 0.95) -> EvaluationResult:
        names = [n for n, _ in self.candidates]
        nan = {n: int(np.isnan(np.asarray(self.scores[n], dtype=float)).sum()) for n in names}
        if any(nan.values()) and not any("score is NaN" in t for t in self.notes):
            worst = max(nan, key=nan.get)
            self.notes.append(f"{self.scoring} score is NaN in {nan[worst]} of {len(self.scores[worst])} splits of {worst} "
                              "(the scorer is undefined there, e.g. r2 on a one-sample test fold): means and intervals "
                              "over those splits are NaN; use more samples per test fold or another scoring.")
        return EvaluationResult(
            names=names, scores={n: np.asarray(self.scores[n]) for n in names},
            fit_time={n: np.asarray(self.fit_time[n]) for n in names},
            augment_time={n: np.asarray(self.augment_time[n]) for n in names},
            configs={n: (None if a is None else _config(a)) for n, a in self.candidates},
            scoring=self.scoring, modality=self.modality, task=self.task, n_splits=self.n_splits,
            repeats=self.repeats, test_train_ratio=float(np.mean(self.ratios)) if self.ratios else 0.0,
            ci=ci, level=level, notes=list(self.notes),
        )


def series_2d(X: Any, candidates: list | None, lengths: Any = None) -> bool:
    """Whether a 2-D array ``X`` holds univariate series ``(N, T)`` rather than a table ``(N, F)``: when
    every candidate (``"none"`` aside) is a time-series augmenter, or the candidates are the defaults and
    ``lengths`` (valid lengths of padded series) are given. Then ``X`` is augmented as series and the
    default model is the series one."""
    import torch

    if not isinstance(X, (np.ndarray, torch.Tensor)) or X.ndim != 2:
        return False
    if candidates is None:
        return lengths is not None
    augs = [a for _, a in candidates if a is not None]
    return bool(augs) and all(getattr(a, "modality", None) == "timeseries" for a in augs)


def _is_regressor(model: Any) -> bool:
    from sklearn.base import is_regressor

    try:
        return bool(is_regressor(model))
    except Exception:  # noqa: BLE001 - an object without scikit-learn tags
        return False


def _numeric(y: Any) -> bool:
    from ..core.labels import labels_to_numpy

    try:
        return labels_to_numpy(y).dtype.kind in "biuf"
    except Exception:  # noqa: BLE001 - the adapter reports unusable labels
        return False


def _unit_groups(groups: Any, adapter: Any) -> np.ndarray | None:
    """``groups`` (one per sample; for one graph, one per labelled node or one per node) for the
    splitter: a group-aware scikit-learn splitter given as ``cv``, or :class:`RepeatedGroupKFold`
    for an integer ``cv``."""
    from ..core.labels import labels_to_numpy

    if groups is None:
        return None
    g = labels_to_numpy(groups)
    n = len(adapter.units()[0])
    if g.ndim != 1:
        raise ValueError(f"groups: expected one group per sample (shape ({n},)), got shape {g.shape}")
    nodes = getattr(adapter, "nodes", None)
    if nodes is not None and len(g) != n and len(g) == adapter.data.num_nodes:
        g = g[nodes]  # one group per node of the graph: keep the labelled nodes'
    if len(g) != n:
        raise ValueError(f"groups: expected one group per sample ({n}), got {len(g)}")
    return g


def _check_default_model_input(X: Any, modality: str) -> None:
    """The default table model takes numbers and pandas 'category' columns, not strings."""
    if modality != "tabular" or not hasattr(X, "dtypes"):
        return
    bad = [str(c) for c, t in X.dtypes.items() if not (t.kind in "biuf" or str(t) == "category")]
    if bad:
        raise ValueError(f"X: column(s) {bad} are neither numeric nor pandas 'category'; the default model "
                         "(HistGradientBoosting) cannot use them: convert them (X[c].astype('category')) or pass model=")


def _config(aug: Any) -> Any:
    try:
        return aug.to_config()
    except Exception:  # noqa: BLE001 - an augmenter without a registry name
        return None


def evaluate(candidates: Any = None, X: Any = None, y: Any = None, model: Any = None, cv: Any = 5, repeats: int = 3,
             scoring: Any = None, n_aug: int | None = 1, seed: int | None = 0, task: str = "auto",
             graph_mode: str | None = None, max_time: float | None = None, n_jobs: int | None = None,
             progress: bool | None = None, ci: str = "corrected", level: float = 0.95,
             groups: Any = None, lengths: Any = None) -> EvaluationResult:
    """Cross-validated downstream score without augmentation (``"none"``) and with each candidate.

    Parameters
    ----------
    candidates : augmenter, registry name, config dict / .yaml / .json path, or a list of them
        (``(label, candidate)`` pairs name a candidate). ``None``: the modality's default set
        (:data:`multiaug.evaluation.models.DEFAULT_CANDIDATES`). ``"none"`` is always added.
    X, y : the data: ``list[str]`` (text), ``(N, F)`` array/tensor/DataFrame (tables), ``(N, C, T)``
        array/tensor (series), one ``torch_geometric`` ``Data`` (node classification; ``y`` defaults to
        ``data.y``, nodes with ``y < 0`` are unlabelled) or a list/``Batch`` of graphs (graph
        classification; ``y`` defaults to each graph's ``y``).
    model : a scikit-learn style estimator (``fit``/``predict``), cloned per split; ``None``: the
        modality's default (:func:`multiaug.evaluation.models.default_model`).
    cv, repeats : ``RepeatedStratifiedKFold`` (classification) / ``RepeatedKFold`` (regression) with
        ``cv`` folds and ``repeats`` repeats, seeded by ``seed``; or any scikit-learn splitter as ``cv``.
    groups : one group label per sample (rows of one patient, one document...): no group is split between a
        training and a test fold. With an integer ``cv``, ``repeats`` times ``cv``-fold by groups, reshuffled
        each repeat (:class:`RepeatedGroupKFold`: stratified by class for classification); or pass a
        group-aware scikit-learn splitter as ``cv`` (``GroupKFold``, ``LeaveOneGroupOut``...).
    lengths : time series padded at the end to a common length: the valid length of each series (as
        ``aug(X, lengths=...)`` takes it). Each training fold's copies are augmented with their series'
        lengths, so padding stays padding; the model sees the padded series, as without augmentation.
        Learned candidates (``AutoTCL``: fitted per fold over whole series) are refused with it.
    scoring : a scikit-learn scoring name or callable (``check_scoring``); default accuracy / r2.
    n_aug : augmented copies of each training sample added to the training fold, for every candidate;
        ``None``: each candidate's own ``n_aug`` hyperparameter (``n_aug: 4`` in its config).
    task : "auto" (regression for a scikit-learn regressor as ``model``, else from ``type_of_target``),
        "classification" or "regression".
    graph_mode : "node" or "graph" to insist on one graph setting (default: from the type of ``X``).
    max_time : seconds; after the split during which it is exceeded no further split is started (all
        candidates keep the same splits; a note says how many ran).
    n_jobs : splits evaluated in parallel with joblib (``None``/1: sequential).
    progress : tqdm bar over the fits (default: on when stderr is a terminal).
    ci, level : how the interval of the paired difference is computed (see
        :func:`multiaug.evaluation.results.paired_stats`).
    """
    if X is None:
        raise ValueError("X: the data to evaluate on is required, got None")
    check_interval(ci, level)
    run = CVRun(X, y, candidates, model, cv, repeats, scoring, n_aug, seed, task, graph_mode, max_time, n_jobs, progress,
                groups=groups, lengths=lengths)
    return run.run().result(ci=ci, level=level)
