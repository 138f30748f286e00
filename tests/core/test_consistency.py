"""LabelConsistent: the label-consistency filter, on every modality, with tiny data and tiny models."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge

import multiaug
from multiaug import LabelConsistent, Sequential
from multiaug.tabular import GaussianNoise, Mixup
from multiaug.timeseries import Jitter


def _table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 2)) + 2.0 * y[:, None]
    return X.astype(np.float32), y


class Oracle:
    """A callable 'model': probability of class 1 is 1 when the first feature is > 1."""

    def __call__(self, X):
        x0 = np.asarray(X)[:, 0]
        p1 = (x0 > 1.0).astype(float)
        return np.stack([1 - p1, p1], axis=1)


def quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **k)


# ---- tables ------------------------------------------------------------------------------------------


def test_tables_kept_samples_pass_the_model_and_lineage_is_correct():
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    aug = LabelConsistent(GaussianNoise(sigma=2.0, seed=0), model, threshold=0.8, max_tries=2)
    Xa, ya, src = quiet(aug.augment, X, y, n_aug=3)
    rep = aug.report_
    assert rep.n_inputs == 3 * len(X) and rep.n_outputs == len(Xa) == len(ya) == len(src)
    assert rep.n_dropped > 0 and rep.n_outputs + rep.n_dropped == rep.n_inputs
    np.testing.assert_array_equal(ya, y[src])
    assert (model.predict_proba(Xa)[np.arange(len(ya)), ya] >= 0.8).all()
    d = rep.details
    assert d["rejected"] >= d["failed"] == rep.n_dropped
    assert d["rejected_per_try"][0] == d["rejected"] and len(d["rejected_per_try"]) <= 2
    assert set(d["failed_index"]) <= set(d["rejected_index"]) <= set(range(len(X)))
    # every dropped source row is a failed one, and copies of a row keep their row
    assert set(d["dropped_index"]) == set(d["failed_index"])
    assert np.all(np.isin(src, np.arange(len(X))))


def test_redraws_come_from_the_seeded_stream():
    X, y = _table()
    model = LogisticRegression().fit(X, y)

    def run():
        aug = LabelConsistent(GaussianNoise(sigma=1.5, seed=3), model, threshold=0.9, max_tries=4)
        return quiet(aug.augment, X, y, n_aug=2), aug.report_.details["redraws"]

    (a, ya, sa), ra = run()
    (b, yb, sb), rb = run()
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(sa, sb)
    assert ra == rb > 0


@pytest.mark.parametrize("wrapped", [lambda: GaussianNoise(sigma=1.5), lambda: Sequential([GaussianNoise(sigma=1.5)])])
def test_a_seeded_wrapper_replays_an_augmenter_without_a_seed(wrapped):
    """The wrapper's seed seeds a wrapped augmenter that has none (as a composition does), before the
    augmenter first draws: a fresh instance replays augment, the 1:1 call and balancing."""
    X, y = _table()
    model = LogisticRegression().fit(X, y)

    def run():
        aug = LabelConsistent(wrapped(), model, threshold=0.9, max_tries=4, seed=7)
        first = quiet(aug.augment, X, y, n_aug=2)
        return first, quiet(aug, X, y), quiet(LabelConsistent(wrapped(), model, seed=7, sampling_strategy="auto").fit_resample, X[:40], y[:40] * (np.arange(40) < 30))

    (a, call_a, res_a), (b, call_b, res_b) = run(), run()
    for u, v in zip(a + call_a + res_a, b + call_b + res_b):
        np.testing.assert_array_equal(u, v)


def test_more_tries_keep_more_samples():
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    kept = []
    for tries in (1, 5):
        aug = LabelConsistent(GaussianNoise(sigma=2.0, seed=0), model, threshold=0.8, max_tries=tries)
        kept.append(len(quiet(aug.augment, X, y, n_aug=2)[2]))
    assert kept[1] > kept[0]


def test_on_fail_modes():
    X, y = _table()
    model = Oracle()
    base = dict(model=model, threshold=0.5, max_tries=1)
    # keep_original: every slot is there; failed ones are exact copies of their source
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=1), on_fail="keep_original", **base)
    Xa, ya, src = quiet(aug.augment, X, y, n_aug=1)
    assert len(src) == len(X) and aug.report_.details["kept_original"] > 0
    failed = aug.report_.details["failed_index"]
    np.testing.assert_array_equal(src, np.arange(len(X)))  # one copy: slot i is row i
    np.testing.assert_array_equal(Xa[failed], X[failed])
    # keep: every slot, counted
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=1), on_fail="keep", **base)
    Xa, _, src = quiet(aug.augment, X, y)
    assert len(src) == len(X) and aug.report_.details["kept_rejected"] == aug.report_.details["failed"] > 0
    # error
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=1), on_fail="error", **base)
    with pytest.raises(ValueError, match="rejected by the model at all 1 tries"):
        aug.augment(X, y)
    # a warning says how many were dropped
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=1), **base)
    with pytest.warns(RuntimeWarning, match="rejected by the model"):
        aug.augment(X, y)


def test_call_is_one_to_one_and_puts_sources_back():
    X, y = _table()
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=0), Oracle(), threshold=0.5, max_tries=1)
    Xa, ya = quiet(aug, X, y)
    assert Xa.shape == X.shape
    np.testing.assert_array_equal(ya, y)
    p = Oracle()(Xa)[np.arange(len(y)), y]
    same = (Xa == X).all(axis=1)
    assert ((p >= 0.5) | same).all()  # rejected ones are their source
    assert same.sum() == aug.report_.details["kept_original"]
    assert aug.report_.details["kept_original"] > 0


@pytest.mark.parametrize("one_to_one", [False, True])
def test_scores_are_those_of_the_samples_returned_when_sources_are_put_back(one_to_one):
    # keep_original (augment) and drop (1:1 call) return the source sample in place of a failed draw:
    # report_.details["scores"] is the model's score of what is returned, not of the rejected draw
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    aug = LabelConsistent(GaussianNoise(sigma=3.0, seed=0), model, threshold=0.8, max_tries=1,
                          on_fail="drop" if one_to_one else "keep_original")
    if one_to_one:
        Xa, ya = quiet(aug, X, y)
    else:
        Xa, ya, _ = quiet(aug.augment, X, y, n_aug=2)
    assert aug.report_.details["kept_original"] > 0
    expected = model.predict_proba(Xa)[np.arange(len(ya)), ya]
    np.testing.assert_allclose(aug.report_.details["scores"], expected, rtol=1e-6)


def test_dataframe_input_reaches_the_model_as_a_dataframe():
    pd = pytest.importorskip("pandas")
    X, y = _table()
    df = pd.DataFrame(X, columns=["a", "b"])
    seen = []

    def model(Xm):
        seen.append(type(Xm))
        return Oracle()(Xm.to_numpy())

    aug = LabelConsistent(GaussianNoise(sigma=0.5, seed=0), model)
    Xa, _, _ = quiet(aug.augment, df, y)
    assert isinstance(Xa, pd.DataFrame) and list(Xa.columns) == ["a", "b"]
    assert seen and all(t is pd.DataFrame for t in seen)


def test_regression_tolerance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)).astype(np.float32)
    y = X @ np.array([1.0, -2.0, 0.5])
    model = Ridge(alpha=1e-3).fit(X, y)
    aug = LabelConsistent(GaussianNoise(sigma=1.0, seed=0), model, task="regression", tolerance=0.5, max_tries=2)
    Xa, ya, src = quiet(aug.augment, X, y, n_aug=2)
    assert np.all(np.abs(model.predict(Xa) - y[src]) <= 0.5)
    assert aug.report_.n_dropped > 0
    with pytest.raises(ValueError, match="needs tolerance"):
        LabelConsistent(GaussianNoise(), model, task="regression").augment(X, y)


def test_imblearn_pipeline_and_fit_model_is_leakage_free():
    imblearn = pytest.importorskip("imblearn")
    X, y = _table(80)
    lc = LabelConsistent(GaussianNoise(sigma=1.0, seed=0, n_aug=2), LogisticRegression(), threshold=0.7, fit_model=True)
    pipe = imblearn.pipeline.Pipeline([("aug", lc), ("model", LogisticRegression())])
    quiet(pipe.fit, X[:60], y[:60])
    fitted = pipe.named_steps["aug"]
    assert fitted.model_.coef_.shape == (1, 2)  # fitted on the training rows only
    assert pipe.predict(X[60:]).shape == (20,)
    # fit_resample: originals then the kept copies
    Xr, yr = quiet(clone(lc).fit_resample, X, y)
    assert len(Xr) >= len(X) and len(Xr) == len(yr)
    np.testing.assert_array_equal(Xr[: len(X)], X)


def test_clone_shares_the_fitted_model():
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    lc = LabelConsistent(GaussianNoise(seed=0), model, threshold=0.6)
    c = clone(lc)
    assert c.model is model and c.augmenter is not lc.augmenter and c.threshold == 0.6
    assert "model" in lc.get_params() and "augmenters" not in lc.get_params()


def test_composes_with_pipelines_both_ways():
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    inner = LabelConsistent(Sequential([GaussianNoise(sigma=0.5), GaussianNoise(sigma=0.5)], seed=0), model, threshold=0.7)
    Xa, ya, src = quiet(inner.augment, X, y, n_aug=2)
    assert (model.predict_proba(Xa)[np.arange(len(ya)), ya] >= 0.7).all()
    outer = Sequential([GaussianNoise(sigma=0.1), LabelConsistent(GaussianNoise(sigma=1.0), model, threshold=0.7)], seed=0)
    Xb, yb = quiet(outer, X, y)
    assert Xb.shape == X.shape and np.array_equal(yb, y)


# ---- time series ---------------------------------------------------------------------------------------


def test_time_series_with_a_callable_model():
    rng = np.random.default_rng(0)
    y = np.arange(40) % 2
    X = (rng.normal(size=(40, 1, 30)) * 0.3 + y[:, None, None] * 2.0).astype(np.float32)

    def model(Xm):  # class 1 when the mean is above 1
        m = np.asarray(Xm).reshape(len(Xm), -1).mean(axis=1)
        p1 = 1 / (1 + np.exp(-8 * (m - 1.0)))
        return np.stack([1 - p1, p1], axis=1)

    aug = LabelConsistent(Jitter(sigma=2.0, seed=0), model, threshold=0.9, max_tries=3)
    Xa, ya, src = quiet(aug.augment, X, y, n_aug=2)
    assert Xa.shape[1:] == (1, 30) and len(Xa) == len(src)
    assert (model(Xa)[np.arange(len(ya)), ya] >= 0.9).all()
    assert aug.report_.details["rejected"] > 0
    # (N, T) input stays (N, T); a single series (T,) comes back as a batch (n_aug, T)
    Xb, _, _ = quiet(aug.augment, X[:, 0, :], y)
    assert Xb.ndim == 2
    Xc, _, sc = quiet(aug.augment, X[0, 0], y[:1], n_aug=3)
    assert Xc.shape[1:] == (30,) and set(sc.tolist()) <= {0}


# ---- text ----------------------------------------------------------------------------------------------


def _text_model():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    texts = ["good great fine nice", "great nice good day", "bad awful poor sad", "awful sad bad night"] * 3
    labels = ["pos", "pos", "neg", "neg"] * 3
    return texts, np.array(labels), make_pipeline(CountVectorizer(), LogisticRegression(C=10)).fit(texts, labels)


def test_text_pipeline_model_and_string_labels():
    from multiaug.text import RandomDeletion

    texts, labels, model = _text_model()
    aug = LabelConsistent(RandomDeletion(alpha=0.6, seed=0), model, threshold=0.6, max_tries=3)
    out, yo, src = quiet(aug.augment, texts, labels, n_aug=2)
    assert isinstance(out, list) and all(isinstance(t, str) for t in out)
    np.testing.assert_array_equal(yo, labels[src])
    probs = model.predict_proba(out)
    cols = [list(model.classes_).index(v) for v in yo]
    assert (probs[np.arange(len(out)), cols] >= 0.6).all()
    # no output is its input unchanged (the text contract)
    assert all(o != texts[s] for o, s in zip(out, src))


@pytest.mark.parametrize("wrap", [lambda a: a, lambda a: Sequential([a])])
def test_text_on_unchanged_keep_of_the_augmenters_inside_is_followed(wrap):
    """on_unchanged="keep" keeps unchanged outputs, also when it is set on the augmenters inside a
    wrapped composition (which has none of its own)."""
    from multiaug.text import RandomSwap

    texts, labels, model = _text_model()
    texts = ["good", "bad"] + texts  # one word: a swap cannot change it
    labels = np.concatenate([["pos", "neg"], labels])
    aug = LabelConsistent(wrap(RandomSwap(on_unchanged="keep", seed=0)), model, threshold=0.0, max_tries=2, seed=0)
    out, _, src = quiet(aug.augment, texts, labels, n_aug=1)
    assert {0, 1} <= set(src.tolist()), "unchanged outputs the augmenters keep are kept"
    drop = LabelConsistent(wrap(RandomSwap(seed=0)), model, threshold=0.0, max_tries=2, seed=0)
    _, _, src = quiet(drop.augment, texts, labels, n_aug=1)
    assert not {0, 1} & set(src.tolist())


def test_text_unknown_label_is_named():
    from multiaug.text import RandomSwap

    texts, labels, model = _text_model()
    with pytest.raises(ValueError, match="label 'meh' is not one of the model's classes"):
        LabelConsistent(RandomSwap(seed=0), model).augment(texts[:2], ["pos", "meh"])


# ---- graphs (graph classification) ----------------------------------------------------------------------


def _graphs(n=12):
    from torch_geometric.data import Data

    gs = []
    for i in range(n):
        k = 4 + i % 3
        ei = torch.stack([torch.arange(k - 1), torch.arange(1, k)])
        ei = torch.cat([ei, ei.flip(0)], dim=1)
        x = torch.full((k, 2), float(i % 2)) + 0.01 * i
        gs.append(Data(x=x, edge_index=ei, y=torch.tensor([i % 2])))
    return gs


def _graph_model(graphs_or_batch):
    from torch_geometric.data import Batch
    from torch_geometric.nn import global_mean_pool

    b = graphs_or_batch if isinstance(graphs_or_batch, Batch) else Batch.from_data_list(list(graphs_or_batch))
    m = global_mean_pool(b.x[:, 0:1], b.batch, size=b.num_graphs).view(-1).numpy()
    p1 = (m > 0.5).astype(float) * 0.9 + 0.05
    # graphs with fewer than 3 nodes are "unrecognisable"
    small = torch.bincount(b.batch, minlength=b.num_graphs).numpy() < 3
    p1 = np.where(small, 0.5, p1)
    return np.stack([1 - p1, p1], axis=1)


def test_graph_list_in_list_out_with_labels_from_the_graphs():
    from multiaug.graph import NodeDrop

    gs = _graphs()
    aug = LabelConsistent(NodeDrop(rate=0.7, seed=0), _graph_model, threshold=0.8, max_tries=2)
    out, yo, src = quiet(aug.augment, gs, None, n_aug=2)
    assert isinstance(out, list) and yo is None and len(out) == len(src)
    assert all(g.num_nodes >= 3 for g in out)
    assert aug.report_.details["rejected"] > 0
    for g, s in zip(out, src):
        assert int(g.y) == int(gs[s].y)  # lineage: each output carries its source's label


def test_graph_batch_with_y_and_call():
    from torch_geometric.data import Batch

    from multiaug.graph import NodeDrop

    gs = _graphs()
    b = Batch.from_data_list(gs)
    y = torch.tensor([int(g.y) for g in gs])
    aug = LabelConsistent(NodeDrop(rate=0.7, seed=1), _graph_model, threshold=0.8, max_tries=2)
    out, yo, src = quiet(aug.augment, b, y)
    assert isinstance(out, Batch) and torch.equal(yo, y[torch.as_tensor(src)])
    o2, y2 = quiet(aug, b, y)
    assert isinstance(o2, Batch) and o2.num_graphs == len(gs) and torch.equal(y2, y)


# ---- errors ---------------------------------------------------------------------------------------------


def test_errors_are_named():
    X, y = _table()
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="Mixup mixes samples"):
        LabelConsistent(Mixup(), model).augment(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        LabelConsistent(GaussianNoise(), LogisticRegression()).augment(X, y)
    with pytest.raises(ValueError, match="has no predict_proba"):
        LabelConsistent(GaussianNoise(), Ridge().fit(X, y)).augment(X, y)
    with pytest.raises(ValueError, match="needs y"):
        LabelConsistent(GaussianNoise(), model).augment(X)
    with pytest.raises(ValueError, match="threshold"):
        LabelConsistent(GaussianNoise(), model, threshold=1.5).augment(X, y)
    with pytest.raises(ValueError, match="on_fail"):
        LabelConsistent(GaussianNoise(), model, on_fail="skip").augment(X, y)
    with pytest.raises(ValueError, match="p must be 1"):
        LabelConsistent(GaussianNoise(), model, p=0.5).augment(X, y)
    with pytest.raises(ValueError, match="set sampling_strategy on LabelConsistent"):
        LabelConsistent(GaussianNoise(sampling_strategy="auto"), model).augment(X, y)
    with pytest.raises(ValueError, match=r"\(N, K\) probabilities"):
        LabelConsistent(GaussianNoise(), lambda X: np.ones(len(X))).augment(X, y)


def test_exported():
    assert multiaug.LabelConsistent is LabelConsistent
    from multiaug.core import LabelConsistent as LC

    assert LC is LabelConsistent


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), n_aug=st.integers(1, 3), tries=st.integers(1, 3),
       threshold=st.floats(0.0, 1.0), on_fail=st.sampled_from(["drop", "keep_original", "keep"]))
def test_property_counts_and_lineage(seed, n_aug, tries, threshold, on_fail):
    X, y = _table(20, seed=seed % 7)
    aug = LabelConsistent(GaussianNoise(sigma=1.0, seed=seed), Oracle(), threshold=threshold, max_tries=tries, on_fail=on_fail)
    Xa, ya, src = quiet(aug.augment, X, y, n_aug=n_aug)
    rep = aug.report_
    assert len(Xa) == len(ya) == len(src) == rep.n_outputs == rep.n_inputs - rep.n_dropped
    np.testing.assert_array_equal(ya, y[src])
    assert np.all(np.diff(np.flatnonzero(np.diff(src) < 0)) >= 0)  # copy-major order kept
    if on_fail == "drop":
        p = Oracle()(Xa)[np.arange(len(ya)), ya]
        assert (p >= threshold).all()
    else:
        assert rep.n_dropped == 0
