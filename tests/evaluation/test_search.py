"""AugmentationSearchCV: picks the right candidate, grids, early stop, refit."""
from __future__ import annotations

import numpy as np
import pytest

import multiaug
from multiaug.evaluation import AugmentationSearchCV, expand_grid


def test_search_picks_harmless_over_destructive_and_stops_it_early(bump_series, nn1_series):
    X, y = bump_series
    cands = [("reverse", multiaug.create("reverse", p=1.0)), "jitter"]
    s = AugmentationSearchCV(nn1_series, cands, cv=5, repeats=3, include_none=False).fit(X, y)
    assert s.best_params_ == "jitter" and s.best_score_ > 0.95
    r = s.cv_results_
    i = r["params"].index("reverse")
    # checked after each repeat but the last: the corrected interval over 5 splits is too wide, over 10 not
    assert r["stopped"][i] and r["n_splits"][i] == 10 and np.isnan(r["split14_test_score"][i])
    assert r["n_splits"][r["params"].index("jitter")] == 15 and "reverse stopped after 10 splits" in s.result_.notes[0]
    assert r["rank_test_score"][r["params"].index("jitter")] == 1
    assert s.best_augmenter_.to_config()["augmenter"] == "jitter"
    assert s.score(X, y) == 1.0 and set(s.predict(X)) <= {0, 1}


def test_grid_expansion_and_choice(bump_series, nn1_series):
    X, y = bump_series
    grid = {"augmenter": ["reverse"], "p": [0.0, 1.0]}
    cands = expand_grid(grid)
    assert [c.p for c in cands] == [0.0, 1.0]
    s = AugmentationSearchCV(nn1_series, grid, cv=4, early_stop=False).fit(X, y)
    assert s.cv_results_["params"] == ["none", "reverse(p=0.0)", "reverse(p=1.0)"]
    assert s.best_params_ in ("none", "reverse(p=0.0)")
    assert s.cv_results_["mean_test_score"][2] < 0.8
    with pytest.raises(ValueError, match="sigmaa"):
        expand_grid({"augmenter": [multiaug.create("jitter")], "sigmaa": [0.1]})


def test_none_wins_gives_no_augmenter_and_fitted_estimator(bump_series, nn1_series):
    X, y = bump_series
    s = AugmentationSearchCV(nn1_series, [multiaug.create("reverse", p=1.0)], cv=4, repeats=1).fit(X, y)
    assert s.best_params_ == "none" and s.best_augmenter_ is None and s.best_config() is None
    assert s.best_estimator_.predict(X.reshape(len(X), 1, -1)).shape == (len(X),)
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        AugmentationSearchCV().predict(X)


def test_parallel_rounds_do_not_let_early_stop_see_the_next_repeat(bump_series, nn1_series):
    """With n_jobs=2 a round of splits used to cross the end of a repeat: the stop rule then judged 6
    splits (and the note said 5) where the sequential run judges 10; the runs must agree."""
    from joblib import parallel_backend

    X, y = bump_series
    cands = [("reverse", multiaug.create("reverse", p=1.0)), "jitter"]
    kw = dict(cv=5, repeats=3, include_none=False, progress=False, refit=False)
    seq = AugmentationSearchCV(nn1_series, cands, **kw).fit(X, y)
    with parallel_backend("threading"):
        par = AugmentationSearchCV(nn1_series, cands, n_jobs=2, **kw).fit(X, y)
    assert list(par.cv_results_["n_splits"]) == list(seq.cv_results_["n_splits"]) == [10, 15]
    assert par.result_.notes == seq.result_.notes
    for n in seq.result_.names:
        np.testing.assert_array_equal(par.result_.scores[n], seq.result_.scores[n])


def test_grid_takes_numpy_arrays_and_ranges_of_values():
    grid = {"augmenter": ["jitter"], "sigma": np.linspace(0.01, 0.03, 3)}
    cands = expand_grid(grid)
    assert [c.sigma for c in cands] == pytest.approx([0.01, 0.02, 0.03])
    assert all(type(c.sigma) is float for c in cands)  # written as plain numbers in configs and reports
    assert [c.n_segments for c in expand_grid({"augmenter": "permutation", "n_segments": range(2, 5)})] == [2, 3, 4]


def test_equal_means_share_a_rank_and_none_wins_the_tie(bump_series, nn1_series):
    X, y = bump_series
    s = AugmentationSearchCV(nn1_series, ["jitter"], cv=4, early_stop=False, progress=False, refit=False).fit(X, y)
    r = s.cv_results_
    assert r["mean_test_score"][0] == r["mean_test_score"][1] == 1.0  # both perfect on these bumps
    assert list(r["rank_test_score"]) == [1, 1] and s.best_params_ == "none" and s.best_augmenter_ is None


def test_means_equal_but_for_float_rounding_are_a_tie_that_none_wins(bump_series, nn1_series):
    X, y = bump_series
    # scorer calls in order: (none, jitter) per split -> none [0.3, 0.2, 0.1], jitter [0.1, 0.2, 0.3]:
    # the same numbers, whose float means differ in the last bit (0.19999999999999998 vs 0.20000000000000004)
    values = iter([0.3, 0.1, 0.2, 0.2, 0.1, 0.3])
    s = AugmentationSearchCV(nn1_series, ["jitter"], cv=3, early_stop=False, progress=False, refit=False,
                             scoring=lambda est, X, y: next(values)).fit(X, y)
    assert s.cv_results_["mean_test_score"][1] > s.cv_results_["mean_test_score"][0]  # by rounding only
    assert s.best_params_ == "none" and list(s.cv_results_["rank_test_score"]) == [1, 1]
    values = iter([0.3, 0.1, 0.2, 0.2, 0.1, 0.3])
    from multiaug.evaluation import evaluate

    res = evaluate(["jitter"], X, y, model=nn1_series, cv=3, repeats=1, scoring=lambda est, X, y: next(values))
    assert res.best == "none"


def test_refit_false_fits_and_augments_nothing_on_the_whole_data():
    # refit=False still fitted best_augmenter_ on all the data and drew its augmented copies (then threw them away)
    from sklearn.exceptions import NotFittedError
    from sklearn.neighbors import KNeighborsClassifier

    from multiaug.tabular import GaussianNoise

    calls = []

    class Counting(GaussianNoise):
        def fit(self, X, y=None, **kw):
            calls.append(("fit", len(X)))
            return super().fit(X, y, **kw)

        def augment(self, X, y=None, n_aug=None, **kw):
            calls.append(("augment", len(X)))
            return super().augment(X, y, n_aug, **kw)

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), np.repeat([0, 1], 15)
    X[y == 1] += 2
    kw = dict(cv=3, include_none=False, early_stop=False, progress=False)
    s = AugmentationSearchCV(KNeighborsClassifier(1), [Counting(sigma=0.1)], refit=False, **kw).fit(X, y)
    assert calls and all(n == 20 for _, n in calls)  # the training folds only
    assert isinstance(s.best_augmenter_, Counting) and not hasattr(s, "best_estimator_")
    assert s.best_augmenter_.sigma == 0.1 and not hasattr(s.best_augmenter_, "scale_")  # unfitted
    with pytest.raises(NotFittedError, match="refit=False"):
        s.predict(X)
    calls.clear()
    s = AugmentationSearchCV(KNeighborsClassifier(1), [Counting(sigma=0.1)], refit=True, **kw).fit(X, y)
    assert calls[-2:] == [("fit", 30), ("augment", 30)] and hasattr(s, "best_estimator_")


def test_best_config_carries_the_n_aug_of_the_search():
    # best_config() ("what multiaug augment --config reads") said n_aug: 1 for a search run with n_aug=2
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    s = AugmentationSearchCV(LogisticRegression(), ["gaussian_noise"], cv=2, n_aug=2, include_none=False,
                             refit=False).fit(X, y)
    cfg = s.best_config()
    assert cfg["augmenter"] == "gaussian_noise" and cfg["params"]["n_aug"] == 2
    assert multiaug.from_config(cfg).n_aug == 2


def test_n_aug_none_uses_each_candidates_own_n_aug():
    # n_aug=None: each candidate makes its own n_aug copies (what `multiaug evaluate` does without -n)
    from sklearn.linear_model import LogisticRegression

    from multiaug.evaluation import evaluate
    from multiaug.tabular import GaussianNoise

    sizes = []

    class Recording(LogisticRegression):
        def fit(self, X, y):
            sizes.append(len(X))
            return super().fit(X, y)

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    evaluate([GaussianNoise(n_aug=3)], X, y, model=Recording(), cv=2, repeats=1, n_aug=None)
    assert sizes[:2] == [20, 80]  # none, then 20 + 3 * 20
    s = AugmentationSearchCV(Recording(), [GaussianNoise(n_aug=3)], cv=2, n_aug=None, include_none=False).fit(X, y)
    assert s.best_config()["params"]["n_aug"] == 3 and sizes[-1] == 40 * 4  # refit: all rows + 3 copies each
    with pytest.raises(ValueError, match="n_aug: expected an integer >= 1 or None"):
        evaluate(["gaussian_noise"], X, y, n_aug=0)
