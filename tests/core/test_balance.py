"""Class balancing (sampling_strategy) for every modality: exact counts, lineage, reproducibility, errors."""
from __future__ import annotations

import warnings
from collections import Counter

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from multiaug import LabelConsistent, Sequential
from multiaug.core.balance import allocate, class_targets
from multiaug.tabular import GaussianNoise, Mixup
from multiaug.timeseries import Jitter, Scaling


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def _imbalanced(counts=(12, 5, 2), f=3, seed=0):
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(n, c) for c, n in enumerate(counts)])
    return rng.normal(size=(len(y), f)).astype(np.float32), y


# ---- the strategies, as imblearn's over-samplers read them ----------------------------------------------


@pytest.mark.parametrize("strategy, expected", [
    ("auto", {0: 0, 1: 7, 2: 10}),
    ("not majority", {0: 0, 1: 7, 2: 10}),
    ("minority", {0: 0, 1: 0, 2: 10}),
    ("not minority", {0: 0, 1: 7, 2: 0}),
    ("all", {0: 0, 1: 7, 2: 10}),
    ({1: 9, 2: 4}, {0: 0, 1: 4, 2: 2}),
    (lambda y: {2: 6}, {0: 0, 1: 0, 2: 4}),
])
def test_class_targets(strategy, expected):
    assert dict(class_targets(strategy, _imbalanced()[1])) == expected


def test_float_is_for_two_classes():
    y = np.array([0] * 10 + [1] * 3)
    assert dict(class_targets(0.5, y)) == {0: 0, 1: 2}
    with pytest.raises(ValueError, match="two classes only"):
        class_targets(0.5, _imbalanced()[1])
    with pytest.raises(ValueError, match="only adds samples"):
        class_targets(0.2, y)


def test_matches_imblearn_on_names():
    imb = pytest.importorskip("imblearn.utils")
    y = _imbalanced((9, 4, 4, 1))[1]
    for name in ("auto", "not majority", "minority", "not minority", "all"):
        ours = {k: v for k, v in class_targets(name, y).items() if v}
        theirs = {k: v for k, v in imb.check_sampling_strategy(name, y, "over-sampling").items() if v}
        assert ours == theirs, name


def test_allocate_spreads_copies_evenly():
    labels = np.array([0, 0, 0, 1, 1])
    rows = allocate(labels, {0: 7, 1: 1}, torch.Generator().manual_seed(0))
    c = Counter(rows.tolist())
    assert sorted(c[i] for i in (0, 1, 2)) == [2, 2, 3] and c[3] + c[4] == 1
    # copy-major: rows of the first round come first, in row order
    first = rows[: len(set(rows.tolist()))]
    assert list(first) == sorted(first)


# ---- every modality ---------------------------------------------------------------------------------------


def test_tables_exact_counts_and_lineage():
    X, y = _imbalanced()
    aug = GaussianNoise(sigma=0.1, seed=0)
    Xa, ya, src = aug.augment(X, y, sampling_strategy={0: 12, 1: 15, 2: 20})
    assert Counter(np.concatenate([y, ya]).tolist()) == {0: 12, 1: 15, 2: 20}
    np.testing.assert_array_equal(ya, y[src])
    assert np.abs(Xa - X[src]).max() < 1.5  # each copy is near its source
    b = aug.report_.details["balance"]
    assert b["asked"] == {0: 0, 1: 10, 2: 18} and b["shortfall"] == {}


def test_fit_resample_with_the_hyperparameter_and_imblearn_pipeline():
    X, y = _imbalanced()
    aug = GaussianNoise(sigma=0.1, seed=0, sampling_strategy="auto")
    Xr, yr = aug.fit_resample(X, y)
    assert Counter(yr.tolist()) == {0: 12, 1: 12, 2: 12}
    np.testing.assert_array_equal(Xr[: len(X)], X)
    assert clone(aug).sampling_strategy == "auto"
    imblearn = pytest.importorskip("imblearn")
    from sklearn.linear_model import LogisticRegression

    pipe = imblearn.pipeline.Pipeline([("aug", aug), ("model", LogisticRegression())]).fit(X, y)
    assert pipe.predict(X).shape == y.shape


def test_time_series_dataframe_free_and_lengths_follow_their_series():
    rng = np.random.default_rng(0)
    y = np.array([0] * 8 + [1] * 3)
    X = rng.normal(size=(11, 2, 20)).astype(np.float32)
    aug = Jitter(sigma=0.01, seed=0)
    Xa, ya, src = aug.augment(X, y, sampling_strategy="minority")
    assert Xa.shape == (5, 2, 20) and Counter(ya.tolist()) == {1: 5}
    np.testing.assert_allclose(Xa, X[src], atol=0.1)
    lengths = np.array([20] * 8 + [10, 12, 14])
    Xb, _, sb = aug.augment(X, y, sampling_strategy="minority", lengths=lengths)
    assert np.all(np.isin(sb, [8, 9, 10]))


def test_text_exact_counts_with_string_labels():
    from multiaug.text import RandomSwap

    texts = [f"alpha beta gamma delta {i}" for i in range(9)] + [f"one two three four {i}" for i in range(3)]
    labels = ["a"] * 9 + ["b"] * 3
    aug = RandomSwap(seed=0)
    out, yo, src = aug.augment(texts, labels, sampling_strategy="auto")
    assert isinstance(out, list) and len(out) == 6 and yo == ["b"] * 6
    assert all(o != texts[s] and sorted(o.split()) == sorted(texts[s].split()) for o, s in zip(out, src))


def test_text_unchanged_outputs_are_topped_up_or_reported():
    from multiaug.text import RandomSwap

    # one-word texts cannot be swapped: the class cannot be balanced, and it says so
    texts = ["alpha beta gamma delta"] * 6 + ["word"] * 2
    labels = np.array([0] * 6 + [1] * 2)
    aug = RandomSwap(seed=0)
    with pytest.warns(RuntimeWarning, match="sampling_strategy could not be met"):
        out, yo, src = aug.augment(texts, labels, sampling_strategy="auto")
    assert len(out) == 0 and aug.report_.details["balance"]["shortfall"] == {1: 4}


def test_graph_classification_batch():
    from torch_geometric.data import Batch, Data

    from multiaug.graph import EdgeDrop

    gs = []
    for i in range(7):
        ei = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
        gs.append(Data(x=torch.randn(4, 2), edge_index=ei, y=torch.tensor([int(i >= 5)])))
    b = Batch.from_data_list(gs)
    y = torch.tensor([int(i >= 5) for i in range(7)])
    out, yo, src = EdgeDrop(rate=0.5, seed=0).augment(b, y, sampling_strategy={1: 6})
    assert isinstance(out, Batch) and out.num_graphs == 4 and yo.tolist() == [1] * 4
    assert set(src.tolist()) <= {5, 6}


# ---- with the consistency filter ----------------------------------------------------------------------------


def test_with_consistency_filter_rejections_are_redrawn_and_topped_up():
    X, y = _imbalanced((20, 6, 4))

    def model(Xm):  # rejects copies whose first feature moved far
        x0 = np.asarray(Xm)[:, 0]
        ok = (np.abs(x0) < 1.2).astype(float)
        return np.stack([ok, ok, ok], axis=1)

    lc = LabelConsistent(GaussianNoise(sigma=0.6, seed=0), model, threshold=0.5, max_tries=2)
    Xa, ya, src = quiet(lc.augment, X, y, sampling_strategy="auto")
    b = lc.report_.details["balance"]
    got = Counter(np.concatenate([y, ya]).tolist())
    assert all(got[c] + b["shortfall"].get(c, 0) == 20 for c in (0, 1, 2))
    assert (np.abs(Xa[:, 0]) < 1.2).all()
    np.testing.assert_array_equal(ya, y[src])
    assert "rejected" in lc.report_.details  # the filter's counts, summed over the rounds


def test_with_consistency_filter_shortfall_is_reported():
    X, y = _imbalanced((10, 3))

    def never(Xm):
        return np.tile([0.5, 0.0], (len(Xm), 1))  # class 1 always rejected

    lc = LabelConsistent(GaussianNoise(seed=0), never, threshold=0.4, max_tries=2)
    with pytest.warns(RuntimeWarning, match="could not be met"):
        Xa, ya, src = lc.augment(X, y, sampling_strategy="auto")
    assert len(src) == 0 and lc.report_.details["balance"]["shortfall"] == {1: 7}


def test_with_consistency_filter_per_try_counts_are_summed_try_by_try_over_rounds():
    X, y = _imbalanced((20, 6, 4))

    def model(Xm):  # rejects copies whose first feature moved far
        ok = (np.abs(np.asarray(Xm)[:, 0]) < 1.0).astype(float)
        return np.stack([ok, ok, ok], axis=1)

    lc = LabelConsistent(GaussianNoise(sigma=0.8, seed=0), model, threshold=0.5, max_tries=3)
    quiet(lc.augment, X, y, sampling_strategy="auto")
    d = lc.report_.details
    assert d["balance"]["rounds"] > 1  # top-up rounds ran, each with its own tries
    per_try = d["rejected_per_try"]
    assert len(per_try) == 3  # one count per try, not the rounds' lists joined
    assert per_try[0] == d["rejected"] and per_try[-1] == d["failed"]
    assert sum(per_try[:-1]) == d["redraws"]


# ---- reproducibility, errors ------------------------------------------------------------------------------


def test_reproducible_by_seed():
    X, y = _imbalanced()
    a = Sequential([Jitter(sigma=0.1), Scaling()], seed=5)
    a2 = clone(a)
    Xs = X[:, None, :]
    r1 = a.augment(Xs, y, sampling_strategy="auto")
    r2 = a2.augment(Xs, y, sampling_strategy="auto")
    np.testing.assert_array_equal(r1[0], r2[0])
    np.testing.assert_array_equal(r1[2], r2[2])


def test_errors():
    X, y = _imbalanced()
    with pytest.raises(ValueError, match="Mixup, which mixes samples"):
        Mixup().augment(X, y, sampling_strategy="auto")
    with pytest.raises(ValueError, match="not both"):
        GaussianNoise().augment(X, y, n_aug=2, sampling_strategy="auto")
    with pytest.raises(ValueError, match="needs y"):
        GaussianNoise().augment(X, sampling_strategy="auto")
    with pytest.raises(ValueError, match="class 7 is not in y"):
        GaussianNoise().augment(X, y, sampling_strategy={7: 3})
    with pytest.raises(ValueError, match="more than its target"):
        GaussianNoise().augment(X, y, sampling_strategy={0: 3})
    with pytest.raises(ValueError, match="sampling_strategy must be"):
        GaussianNoise(sampling_strategy="majority").fit_resample(X, y)
    with pytest.raises(ValueError, match="regression"):
        GaussianNoise().augment(X, np.linspace(0, 1, len(X)), sampling_strategy="auto")


@settings(max_examples=25, deadline=None)
@given(counts=st.lists(st.integers(1, 9), min_size=2, max_size=4), extra=st.lists(st.integers(0, 12), min_size=4, max_size=4),
       seed=st.integers(0, 1000))
def test_property_dict_targets_are_met_exactly(counts, extra, seed):
    X, y = _imbalanced(tuple(counts), f=2, seed=seed)
    target = {c: n + extra[c] for c, n in enumerate(counts)}
    Xa, ya, src = GaussianNoise(sigma=0.1, seed=seed).augment(X, y, sampling_strategy=target)
    assert Counter(np.concatenate([y, ya]).tolist()) == target
    np.testing.assert_array_equal(ya, y[src])
    # copies are spread evenly inside each class
    for c, n in enumerate(counts):
        per = np.bincount(src[y[src] == c] - int(np.flatnonzero(y == c)[0]), minlength=n) if extra[c] else np.zeros(n)
        assert per.max() - per.min() <= 1


def test_config_round_trip_keeps_the_strategy(tmp_path):
    import multiaug

    X, y = _imbalanced()
    aug = GaussianNoise(sigma=0.1, seed=0, sampling_strategy={1: 12, 2: 12})
    aug.save(tmp_path / "a")
    back = multiaug.load(tmp_path / "a")  # JSON turns the class keys into strings; they still match
    Xr, yr = back.fit_resample(X, y)
    assert Counter(yr.tolist()) == {0: 12, 1: 12, 2: 12}
    assert aug(X).shape == X.shape  # __call__/transform are 1:1 whatever the strategy


def test_a_class_typed_as_text_finds_integer_valued_float_labels():
    from multiaug.core.balance import _find_class

    stats = {1.0: 2, 2.0: 3}
    assert _find_class("1", stats) == 1.0 and _find_class("2.0", stats) == 2.0
    with pytest.raises(ValueError, match="class '3' is not in y"):
        _find_class("3", stats)
    assert _find_class("007", {"007": 1, 7: 2}) == "007"  # the exact label first


@pytest.mark.parametrize("y", [
    np.array([0, np.nan, 1, 0, np.nan]),
    np.array(["a", None, "b", "a", None], dtype=object),
    ["a", float("nan"), "b", "a", None],
], ids=["float-nan", "object-none", "list-mixed-missing"])
def test_missing_labels_raise_naming_y_and_their_positions(y):
    x = np.random.default_rng(0).normal(size=(5, 3))
    what = r"\(NaN\)" if isinstance(y, np.ndarray) and y.dtype.kind == "f" else r"\(None/NaN\)"
    with pytest.raises(ValueError, match=rf"sampling_strategy: y has missing labels {what}: 2 of 5 missing at "
                                         r"positions \[1, 4\]; every sample needs a class"):
        GaussianNoise(seed=0, sampling_strategy="auto").fit_resample(x, y)
    with pytest.raises(ValueError, match=r"y has missing labels"):
        class_targets("auto", y)


def test_labels_of_mixed_types_raise_naming_y():
    import pandas as pd

    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(TypeError, match=r"sampling_strategy: y mixes labels of types \['int', 'str'\]"):
        GaussianNoise(seed=0, sampling_strategy="auto").fit_resample(x, pd.Series([1, "a", 1, "a"], dtype=object))


def test_n_aug_beside_the_sampling_strategy_hyperparameter_is_an_error_not_ignored():
    """augment(X, y, n_aug=3) on an augmenter whose sampling_strategy is set returned the balanced copies
    and dropped n_aug without a word."""
    X = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    y = np.array([0] * 9 + [1] * 3)
    aug = GaussianNoise(sampling_strategy="auto", seed=0)
    with pytest.raises(ValueError, match=r"n_aug=3 does not apply: sampling_strategy='auto' is set"):
        aug.augment(X, y, n_aug=3)
    _, y_aug, _ = aug.augment(X, y)
    assert Counter(y_aug.tolist()) == {1: 6}


def test_evaluate_balances_a_training_fold_with_the_augmenters_own_strategy():
    from sklearn.neighbors import KNeighborsClassifier

    from multiaug.evaluation import evaluate

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.array([0] * 45 + [1] * 15)
    res = evaluate([GaussianNoise(sampling_strategy="auto", seed=0)], X, y, model=KNeighborsClassifier(3), cv=3,
                   repeats=1, n_aug=2, progress=False)
    assert len(res.scores["gaussian_noise(sampling_strategy=auto)"]) == 3


def test_graphs_are_balanced_by_the_labels_their_batch_carries():
    # a Batch whose graphs carry one label each needs no y= (as LabelConsistent reads it): balancing
    # raised "class balancing needs y"
    import numpy as np
    import torch
    from torch_geometric.data import Batch, Data

    from multiaug.core import OneOf
    from multiaug.graph import EdgeDrop, NodeDrop

    g = torch.Generator().manual_seed(0)
    labels = [0, 1, 0, 0, 2, 0, 1, 0]
    graphs = [Data(x=torch.randn(5, 3, generator=g), edge_index=torch.randint(0, 5, (2, 12), generator=g),
                   y=torch.tensor([c])) for c in labels]
    batch = Batch.from_data_list(graphs)
    for make in (lambda: EdgeDrop(seed=0), lambda: OneOf([EdgeDrop(), NodeDrop()], seed=0)):
        out, y_aug, src = make().augment(batch, sampling_strategy="auto")
        assert y_aug is None and out.num_graphs == len(src) == 3 + 4
        assert out.y.tolist() == [labels[s] for s in src] and sorted(np.bincount(out.y.numpy(), minlength=3)) == [0, 3, 4]
        with_y = make().augment(batch, np.array(labels), sampling_strategy="auto")
        assert with_y[1].tolist() == out.y.tolist() and np.array_equal(with_y[2], src)
