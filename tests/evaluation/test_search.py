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
