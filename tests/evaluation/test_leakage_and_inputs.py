"""Regressions: no label of a test unit reaches the augmentation or the model (reference models of
LabelConsistent, graph labels at predict time), and bad inputs are refused naming the argument."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.neighbors import KNeighborsClassifier

import multiaug
from multiaug.evaluation import evaluate


def test_label_consistent_reference_model_is_refitted_on_each_training_fold():
    """Random labels: a 1-NN reference fitted on all rows (test folds included) keeps exactly the copies that
    agree with the nearby test rows' labels; read as given it lifted 1-NN from chance to ~0.9."""
    from multiaug.core.consistency import LabelConsistent

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = rng.integers(0, 2, 200)
    ref = KNeighborsClassifier(1).fit(X, y)
    lc = LabelConsistent(multiaug.create("gaussian_noise", sigma=1.0), model=ref, fit_model=False, max_tries=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = evaluate([("lc", lc)], X, y, model=KNeighborsClassifier(1), cv=5, repeats=2, n_aug=10, seed=0)
    assert abs(res.scores["lc"].mean() - 0.5) < 0.1, res.scores["lc"].mean()
    assert any("refitted on each training fold" in n for n in res.notes)
    assert lc.fit_model is False and lc.model is ref  # the user's candidate is left as it was


class _ReadsNodeLabels(ClassifierMixin, BaseEstimator):
    """Predicts each node's label from ``data.y`` (label-propagation style models read the labels)."""

    def fit(self, graphs, y=None):
        self.classes_ = np.arange(3)
        return self

    def predict(self, X):
        return X.data.y[X.index].clamp(min=0).numpy()


def test_node_level_test_labels_are_hidden_at_predict_time():
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(0)
    data = Data(x=torch.randn(60, 4, generator=g), edge_index=torch.randint(0, 60, (2, 200), generator=g),
                y=torch.randint(0, 3, (60,), generator=g))
    y0 = data.y.clone()
    res = evaluate(["edge_drop"], data, model=_ReadsNodeLabels(), cv=3, repeats=1)
    # every test label reads -1 -> class 0: the score is the share of class 0, not 1.0
    share0 = float((y0 == 0).float().mean())
    assert res.scores["none"].mean() == pytest.approx(share0, abs=0.05)
    assert torch.equal(data.y, y0) and "train_mask" not in data  # the caller's graph is untouched


def test_graph_level_test_graphs_carry_no_label():
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(0)
    graphs = [Data(x=torch.randn(5, 3, generator=g), edge_index=torch.randint(0, 5, (2, 8), generator=g),
                   y=torch.tensor([i % 2])) for i in range(40)]
    seen = []

    class Spy(ClassifierMixin, BaseEstimator):
        def fit(self, graphs, y):
            self.classes_ = np.arange(2)
            return self

        def predict(self, graphs):
            seen.extend(getattr(gr, "y", None) for gr in graphs)
            return np.zeros(len(graphs), dtype=int)

    evaluate(["edge_drop"], graphs, model=Spy(), cv=4, repeats=1)
    assert len(seen) == 80 and all(v is None for v in seen)
    assert all(gr.y is not None for gr in graphs)


def test_graph_list_with_node_labels_is_refused():
    from torch_geometric.data import Data

    graphs = [Data(x=torch.randn(6, 3), edge_index=torch.randint(0, 6, (2, 10)), y=torch.randint(0, 2, (6,)))
              for _ in range(10)]
    with pytest.raises(ValueError, match="one label per graph.*holds 6 values"):
        evaluate(["edge_drop"], graphs, cv=2, repeats=1)
    with pytest.raises(ValueError, match=r"y: expected one label per graph"):
        evaluate(["edge_drop"], graphs, np.eye(2)[np.arange(10) % 2], cv=2, repeats=1)


@pytest.mark.parametrize("X, y, msg", [
    (np.zeros((3, 2)), np.array([0.1, 1.5, 2.7]), r"cv: 5 folds need at least 5 samples, got 3"),
    (np.zeros((8, 2)), np.array([0, 1] * 4), r"cv: stratified 5-fold needs a class with at least 5 samples.*has 4"),
    (np.zeros((6, 2)), np.eye(2)[[0, 1] * 3], r"y: expected one class label per sample"),
])
def test_too_small_or_badly_shaped_inputs_name_the_argument(X, y, msg):
    with pytest.raises(ValueError, match=msg):
        evaluate(["gaussian_noise"], X, y, model=KNeighborsClassifier(1), cv=5, repeats=1)


@pytest.mark.parametrize("scoring, msg", [("acuracy", r"scoring: unknown.*'accuracy'"),
                                          (["accuracy", "f1"], r"scoring: expected one scikit-learn scoring name")])
def test_bad_scoring_is_refused_before_any_fit(scoring, msg):
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.array([0, 1] * 10)
    with pytest.raises(ValueError, match=msg):
        evaluate(["gaussian_noise"], X, y, model=KNeighborsClassifier(1), cv=2, repeats=1, scoring=scoring)


def test_default_model_refuses_string_columns_and_takes_category_ones():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=60), "city": rng.choice(["x", "y"], 60)})
    y = ((df.a > 0) ^ (df.city == "x")).astype(int).to_numpy()
    with pytest.raises(ValueError, match=r"X: column\(s\) \['city'\] are neither numeric nor pandas 'category'"):
        evaluate(["gaussian_noise"], df, y, cv=3, repeats=1)
    df["city"] = df["city"].astype("category")
    res = evaluate(["gaussian_noise"], df, y, cv=3, repeats=1)
    assert res.scores["none"].mean() > 0.8  # the interaction needs the categorical column


@pytest.mark.parametrize("y, task, msg", [
    (np.array([0.5, np.nan] * 5), "auto", r"y has missing labels \(NaN\): 5 of 10 missing at positions \[1, 3"),
    (np.array(["a", None] * 5, dtype=object), "auto", r"y has missing labels \(None/NaN\)"),
    (np.array(["a", "b"] * 5), "regression", r"y: task='regression' needs numeric targets"),
])
def test_missing_or_non_numeric_targets_name_y(y, task, msg):
    with pytest.raises(ValueError, match=msg):
        evaluate(["gaussian_noise"], np.random.default_rng(0).normal(size=(10, 2)), y, task=task, cv=2, repeats=1)
