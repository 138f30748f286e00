"""``AugmentationSearchCV``: pick the augmentation (and its strength) that helps a model most."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, clone

from .evaluate import NONE, CVRun, as_candidate, candidate_n_aug, normalize_candidates
from .results import _scale, check_level, paired_stats


def _is_values(v: Any) -> bool:
    """A grid entry that lists values: a list, tuple, range or 1-D NumPy array (``np.linspace(...)``, as
    scikit-learn's ``param_grid`` takes); anything else is one value."""
    return isinstance(v, (list, tuple, range)) or (isinstance(v, np.ndarray) and v.ndim == 1)


def _py(x: Any) -> Any:
    """A NumPy scalar as the Python value (configs and reports are written as JSON/YAML)."""
    return x.item() if isinstance(x, np.generic) else x


def expand_grid(grid: Any) -> list:
    """Candidates from a grid: ``{"augmenter": [Jitter(), "scaling"], "sigma": [0.01, 0.1]}`` (every
    augmenter with every combination of the other keys, set with ``set_params``), a list of such dicts,
    or a plain list of candidates (augmenters, names, configs, ``"none"``)."""
    from sklearn.model_selection import ParameterGrid

    if grid is None:
        return None
    if isinstance(grid, dict) and "augmenter" in grid and not isinstance(grid.get("params"), dict):
        grid = [grid]
    if not isinstance(grid, (list, tuple)):
        return [grid]
    out: list = []
    for g in grid:
        if isinstance(g, dict) and "augmenter" in g and not isinstance(g.get("params"), dict):
            augs = list(g["augmenter"]) if _is_values(g["augmenter"]) else [g["augmenter"]]
            rest = {k: ([_py(x) for x in v] if _is_values(v) else [v]) for k, v in g.items() if k != "augmenter"}
            for a in augs:
                base = as_candidate(a)
                if base is None:
                    out.append(NONE)
                    continue
                for combo in ParameterGrid(rest) if rest else [{}]:
                    if combo:
                        from .. import registry

                        registry.check_params(type(base), combo)
                    out.append(clone(base).set_params(**combo))
        else:
            out.append(g)
    return out


class AugmentationSearchCV(BaseEstimator):
    """Cross-validated choice among augmentation candidates, scikit-learn style.

    ``fit(X, y)`` runs :func:`multiaug.evaluation.evaluate`'s leakage-free protocol on every candidate
    (``"none"`` included unless ``include_none=False``) and sets:

    - ``cv_results_``: dict of arrays as in ``GridSearchCV`` (``params`` = candidate labels,
      ``mean_test_score``, ``std_test_score``, ``rank_test_score``, ``split{i}_test_score`` (NaN after a
      candidate was stopped), ``mean_fit_time``, ``mean_augment_time``, ``diff_vs_none``,
      ``diff_ci_low``/``diff_ci_high``, ``n_splits``, ``stopped``);
    - ``best_index_``, ``best_params_`` (the label), ``best_score_`` (mean over the splits);
    - ``best_augmenter_``: a clone of the best candidate, its stream restarted from ``seed`` (``None``
      when no augmentation won); with ``refit=True`` fitted on all the data, with ``refit=False``
      unfitted (as the candidate was given: its config, ``best_config()``, is what it is for);
    - ``best_estimator_`` (``refit=True`` only): a clone of the model trained on all the data plus
      ``n_aug`` augmented copies from ``best_augmenter_`` (``n_aug=None``: each candidate's own ``n_aug``); ``predict``/``score`` delegate to it. With
      ``refit=False`` (as scikit-learn's ``GridSearchCV(refit=False)``) nothing is fitted or augmented
      on the whole data after the cross-validation: there is no ``best_estimator_``, and ``predict``
      and ``score`` raise ``NotFittedError``;
    - ``result_``: the :class:`~multiaug.evaluation.results.EvaluationResult`.

    Early stopping (``early_stop=True``), a documented rule in the spirit of successive halving: after
    each complete repeat except the last, a candidate whose paired difference to the current leader
    (over the splits so far) has a corrected-t upper bound (level ``early_stop_level``) below 0 is
    stopped: it runs no further split and cannot be chosen. ``"none"`` is never stopped. ``max_time``
    stops starting new splits once exceeded; the best is chosen among candidates still running, on the
    splits done.
    """

    def __init__(self, model: Any = None, candidates: Any = None, *, cv: Any = 5, repeats: int = 1,
                 scoring: Any = None, n_aug: int | None = 1, seed: int | None = 0, task: str = "auto",
                 graph_mode: str | None = None, max_time: float | None = None, early_stop: bool = True,
                 early_stop_level: float = 0.95, include_none: bool = True, refit: bool = True,
                 n_jobs: int | None = None, progress: bool | None = None):
        self.model = model
        self.candidates = candidates
        self.cv = cv
        self.repeats = repeats
        self.scoring = scoring
        self.n_aug = n_aug
        self.seed = seed
        self.task = task
        self.graph_mode = graph_mode
        self.max_time = max_time
        self.early_stop = early_stop
        self.early_stop_level = early_stop_level
        self.include_none = include_none
        self.refit = refit
        self.n_jobs = n_jobs
        self.progress = progress

    def _prune(self, run: CVRun, split_no: int) -> None:
        if not self.early_stop or (split_no + 1) % run.n_splits or split_no + 1 >= run.n_splits * run.repeats:
            return
        ratio = float(np.mean(run.ratios))
        active = [n for n, _ in run.candidates if n in run.active]
        means = {n: np.mean(run.scores[n]) for n in active}
        leader = max(means, key=means.get)
        for n in active:
            if n in (leader, NONE):
                continue
            a, b = np.asarray(run.scores[n]), np.asarray(run.scores[leader])
            st = paired_stats(a - b, ratio, "corrected", self.early_stop_level, scale=_scale(a, b))
            if not math.isnan(st["ci_high"]) and st["ci_high"] < 0:
                run.active.discard(n)
                run.notes.append(f"{n} stopped after {split_no + 1} splits (worse than {leader}: "
                                 f"{st['diff']:+.4f} [{st['ci_low']:.4f}, {st['ci_high']:.4f}]).")

    def fit(self, X: Any, y: Any = None, groups: Any = None, lengths: Any = None) -> "AugmentationSearchCV":
        """Run the search; ``groups``: one group per sample for a group-aware splitter as ``cv``;
        ``lengths``: time series padded at the end, the valid length of each (see :func:`evaluate`)."""
        check_level(self.early_stop_level, "AugmentationSearchCV", "early_stop_level")
        cands = expand_grid(self.candidates)
        run = CVRun(X, y, cands, self.model, self.cv, self.repeats, self.scoring, self.n_aug, self.seed, self.task,
                    self.graph_mode, self.max_time, self.n_jobs, self.progress, groups=groups, lengths=lengths)
        if not self.include_none:
            run.candidates = [(n, a) for n, a in run.candidates if a is not None]
            run.active.discard(NONE)
            if not run.candidates:
                raise ValueError("candidates: nothing to search with include_none=False (only 'none' was given)")
        run.run(self._prune)
        self.result_ = res = run.result()
        rows = {r["candidate"]: r for r in res.summary()}
        names = [n for n, _ in run.candidates]
        total = max(len(res.scores[n]) for n in names)
        full = [len(res.scores[n]) == total and n in run.active for n in names]
        means = np.array([rows[n]["mean"] for n in names])
        # stopped candidates rank after the ones that ran every split; means equal but for float rounding (the
        # same fold scores summed in another order) are ties, which the earlier candidate ("none" first) wins
        key = np.where(full, np.round(means, 12), -np.inf)
        key = np.where(np.isnan(key), -np.inf, key)  # an undefined (NaN) mean ranks last, as in GridSearchCV
        from scipy.stats import rankdata

        rank = rankdata(-key, method="min").astype(int)  # equal means share a rank, as in GridSearchCV
        cvr: dict[str, Any] = {
            "params": names,
            "mean_test_score": means,
            "std_test_score": np.array([rows[n]["std"] for n in names]),
            "rank_test_score": rank,
            "mean_fit_time": np.array([rows[n]["fit_time_s"] for n in names]),
            "mean_augment_time": np.array([rows[n]["augment_time_s"] for n in names]),
            "diff_vs_none": np.array([rows[n]["diff"] for n in names]),
            "diff_ci_low": np.array([rows[n]["ci_low"] for n in names]),
            "diff_ci_high": np.array([rows[n]["ci_high"] for n in names]),
            "n_splits": np.array([len(res.scores[n]) for n in names]),
            "stopped": np.array([not f for f in full]),
        }
        for i in range(total):
            cvr[f"split{i}_test_score"] = np.array([res.scores[n][i] if i < len(res.scores[n]) else np.nan for n in names])
        self.cv_results_ = cvr
        self.best_index_ = int(np.argmax(key))  # ties: the earlier candidate ("none" first) is chosen
        self.best_params_ = names[self.best_index_]
        self.best_score_ = float(means[self.best_index_])
        self.scorer_ = run.scorer
        self.n_splits_ = total
        best = run.candidates[self.best_index_][1]
        self.best_augmenter_ = None if best is None else clone(best)
        if self.best_augmenter_ is not None:
            self.best_augmenter_.reseed(self.seed)
        if self.refit:
            # fits best_augmenter_ on all the data and draws the copies the refitted model trains on; with
            # refit=False nothing is fitted or drawn on the whole data (GridSearchCV's refit=False)
            units, _ = run.adapter.units()
            times = {"augment_fit": 0.0, "augment": 0.0}
            X_fit, y_fit = run.adapter.train_set(self.best_augmenter_, units,
                                                 candidate_n_aug(self.best_augmenter_, run.n_aug), times)
            self.best_estimator_ = clone(run.model).fit(X_fit, y_fit)
        self.classes_ = run.adapter.classes_
        self._pred_classes = self.classes_ if getattr(run.adapter, "model_codes", False) else None
        return self

    def _check(self) -> None:
        from sklearn.exceptions import NotFittedError

        if not hasattr(self, "best_estimator_"):
            raise NotFittedError("AugmentationSearchCV is not fitted (or refit=False); call fit(X, y) first")

    def predict(self, X: Any) -> Any:
        """Predictions of ``best_estimator_``, in the original label values."""
        self._check()
        pred = self.best_estimator_.predict(X)
        codes = getattr(self, "_pred_classes", None)  # graph models predict class indices
        return pred if codes is None else codes[np.asarray(pred).astype(int)]

    def score(self, X: Any, y: Any) -> float:
        """The search's scoring of ``best_estimator_`` on ``(X, y)`` (``y`` in the original label values)."""
        self._check()
        y = np.asarray(y)
        codes = getattr(self, "_pred_classes", None)  # graph models are scored on class indices
        if codes is not None:
            y = np.searchsorted(codes, y)
        return float(self.scorer_(self.best_estimator_, X, y))

    def best_config(self) -> dict | None:
        """``best_augmenter_.to_config()`` (what ``multiaug augment --config`` reads) with ``n_aug`` set to
        the copies per sample the search measured (its ``n_aug``, or with ``n_aug=None`` the candidate's
        own), or None."""
        if not hasattr(self, "best_augmenter_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("AugmentationSearchCV is not fitted; call fit(X, y) first")
        if self.best_augmenter_ is None:
            return None
        return config_with_n_aug(self.best_augmenter_.to_config(), candidate_n_aug(self.best_augmenter_, self.n_aug))


def config_with_n_aug(config: Any, n_aug: int) -> Any:
    """An augmenter config (``{"augmenter": name, "params": {...}}``) with ``params["n_aug"]`` set to
    ``n_aug`` (the copies per sample a search measured, so that ``multiaug augment --config`` makes as
    many); anything else as it is."""
    if isinstance(config, dict) and "augmenter" in config and isinstance(config.get("params") or {}, dict):
        return {**config, "params": {**(config.get("params") or {}), "n_aug": int(n_aug)}}
    return config


__all__ = ["AugmentationSearchCV", "config_with_n_aug", "expand_grid", "normalize_candidates"]
