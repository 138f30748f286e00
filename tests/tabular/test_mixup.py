import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline
from sklearn.datasets import load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.preprocessing import StandardScaler

from multiaug.tabular import CutMix, Mixup
from multiaug.tabular.labels import infer_task


def test_regression_targets_are_mixed_with_the_same_lambda():
    x = torch.randn(50, 4)
    y = torch.randn(50)
    aug = Mixup(seed=0)
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi)
    lam, p = params["lam"], params["partner"]
    assert torch.allclose(aug.apply(xi, params), lam[:, None] * x + (1 - lam[:, None]) * x[p])
    assert torch.allclose(aug.apply_labels(y, params), lam * y + (1 - lam) * y[p])


@settings(max_examples=20, deadline=None)
@given(n=st.integers(2, 40), k=st.integers(2, 6), seed=st.integers(0, 10_000), cut=st.booleans())
def test_classification_gives_soft_targets_summing_to_one(n, k, seed, cut):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = torch.randint(0, k, (n,), generator=g)
    aug = (CutMix if cut else Mixup)(seed=seed, num_classes=k)
    xo, yo = aug(x, y)
    assert xo.shape == x.shape and yo.shape == (n, k)
    assert torch.allclose(yo.sum(1), torch.ones(n), atol=1e-5) and bool((yo >= 0).all())


def test_cutmix_label_weight_is_share_of_kept_columns():
    x = torch.randn(30, 8)
    aug = CutMix(seed=2)
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi)
    keep = params["keep"]
    assert torch.allclose(params["lam"], keep.float().mean(1))
    out = aug.apply(xi, params)
    assert torch.equal(out[keep], x[keep])
    assert torch.equal(out[~keep], x[params["partner"]][~keep])


def test_string_labels_use_sorted_classes_and_fit_fixes_k():
    x = np.random.default_rng(0).normal(size=(6, 2))
    y = np.array(["b", "a", "c", "a", "b", "c"])
    aug = Mixup(seed=0).fit(x, y)
    assert aug.classes_ == ["a", "b", "c"]
    _, yo = aug(x[:2], y[:2])  # only "a"/"b" in the batch, still 3 columns after fit
    assert yo.shape == (2, 3) and np.allclose(yo[:, 2], 0)
    with pytest.raises(ValueError, match="not seen in fit"):
        aug(x[:2], np.array(["a", "z"]))


@pytest.mark.parametrize("cls", [Mixup, CutMix])
def test_refit_forgets_the_classes_of_an_earlier_fit(cls):
    # a refit kept the first fit's classes_/task_: labels of the new data were "not seen in fit"
    x = np.random.default_rng(0).normal(size=(20, 2))
    aug = cls(seed=0).fit(x, np.array(["a", "b"] * 10))
    aug.fit(x)
    assert "classes_" not in aug.__dict__ and "task_" not in aug.__dict__
    y = np.array([3, 7] * 10)
    _, soft = aug(x, y)
    _, ref = cls(seed=0).fit(x)(x, y)
    assert soft.shape == (20, 8) and np.array_equal(soft, ref)
    aug.fit(x, np.linspace(0.0, 1.0, 20))  # now regression: no classes left over
    assert aug.task_ == "regression" and "classes_" not in aug.__dict__


def test_task_detection_rules():
    assert infer_task(np.array([0, 1, 2])) == "classification"
    assert infer_task(np.arange(100)) == "regression"
    assert infer_task(np.array([0.5, 1.0])) == "regression"
    assert infer_task(np.array(["a", "b"])) == "classification"
    assert infer_task(torch.tensor([True, False])) == "classification"
    assert infer_task(np.zeros((3, 2))) == "rows"
    # forcing the task
    x, y = torch.randn(5, 2), torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0])
    assert Mixup(seed=0, task="classification")(x, y)[1].shape == (5, 2)
    assert Mixup(seed=0)(x, y)[1].shape == (5,)
    with pytest.raises(ValueError, match="task"):
        Mixup(task="multiclass")(x, y)  # checked at first use, not in __init__


def test_series_targets_keep_index_for_regression():
    x = pd.DataFrame({"a": np.arange(5.0), "b": np.arange(5.0) ** 2}, index=list("vwxyz"))
    y = pd.Series(np.arange(5.0), index=x.index, name="t")
    xo, yo = Mixup(seed=0)(x, y)
    assert isinstance(yo, pd.Series) and list(yo.index) == list("vwxyz") and yo.name == "t"


def test_fit_resample_keeps_mixed_integer_regression_targets_of_a_series_unrounded():
    # integer targets with many values (counts) are regression targets: mixed values are floats,
    # and fit_resample must not cast them back to the Series' int64 (which truncated them)
    x = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    y = pd.Series(np.arange(50) * 3, name="count")
    _, ya, _ = Mixup(seed=0).augment(x, y)
    _, yr = Mixup(seed=0).fit_resample(x, y)
    assert yr.dtype.kind == "f" and yr.name == "count"
    np.testing.assert_allclose(yr.to_numpy()[50:], np.asarray(ya, dtype=np.float64), rtol=1e-6)
    assert (yr.to_numpy()[50:] != np.round(yr.to_numpy()[50:])).any()
    np.testing.assert_array_equal(yr.to_numpy()[:50], y.to_numpy())
    # multi-output targets in a DataFrame: the integer column's mixed values stay floats too
    df = pd.DataFrame({"n": np.arange(50) * 3, "v": np.arange(50) / 7})
    _, dr = Mixup(seed=0).fit_resample(x, df)
    assert dr["n"].dtype.kind == "f" and (dr["n"].to_numpy()[50:] != np.round(dr["n"].to_numpy()[50:])).any()
    # hard labels keep their own dtype (categories, nullable integers)
    for lab in (pd.Series(pd.Categorical(list("ab") * 25)), pd.Series([1, 2] * 25, dtype="Int64")):
        assert Mixup(seed=0).fit_resample(x, lab)[1].dtype == lab.dtype


def test_bad_input_errors():
    with pytest.raises(ValueError, match="at least 2 rows"):
        Mixup()(np.ones((1, 3)))
    with pytest.raises(ValueError, match="labels but the batch has"):
        Mixup()(np.ones((4, 3)), np.arange(3))
    with pytest.raises(ValueError, match="rows but y has"):
        Mixup().fit(np.ones((4, 3)), np.arange(3))
    with pytest.raises(ValueError, match="alpha"):
        Mixup(alpha=0)(np.ones((4, 3)))  # checked at first use
    with pytest.raises(ValueError, match="num_classes"):
        Mixup(num_classes=0)(np.ones((4, 3)))
    with pytest.raises(ValueError, match="num_classes"):
        Mixup(num_classes=2)(np.ones((3, 2)), np.array([0, 1, 2]))


def test_fit_resample_gives_dominant_labels():
    x = np.random.default_rng(0).normal(size=(40, 3))
    y = np.array(["cat", "dog"] * 20)
    aug = Mixup(seed=0, n_aug=2)
    xr, yr = aug.fit_resample(x, y)
    assert xr.shape == (120, 3) and yr.shape == (120,)
    assert set(yr) <= {"cat", "dog"}
    # recompute: the dominant label is the side with the larger lam
    aug2 = Mixup(seed=0, n_aug=2).fit(x, y)
    _, soft, _ = aug2.augment(x, y)
    assert list(yr[40:]) == list(np.array(["cat", "dog"])[soft.argmax(1)])



@pytest.mark.parametrize("wrap", [False, True])
def test_fit_resample_gives_a_tie_to_the_copys_own_label(wrap):
    # CutMix on two columns keeps 0, 1 or 2 of them: lam = 0.5 is frequent. A half-and-half copy
    # keeps its own label (argmax gave every tie to the lower class, skewing the class counts)
    from multiaug import Sequential
    from multiaug.tabular import GaussianNoise

    x = np.random.default_rng(0).normal(size=(400, 2)).astype(np.float32)
    y = np.array(["a", "b"] * 200)
    make = (lambda: Sequential([GaussianNoise(sigma=0.0, seed=1), CutMix(seed=0)], seed=0)) if wrap else (
        lambda: CutMix(seed=0))
    _, yr = make().fit_resample(x, y)
    _, soft, src = make().augment(x, y)
    tie = np.isclose(soft[:, 0], 0.5)
    assert tie.sum() > 20
    np.testing.assert_array_equal(yr[400:][tie], y[src][tie])
    np.testing.assert_array_equal(yr[400:][~tie], np.array(["a", "b"])[soft[~tie].argmax(1)])


@pytest.mark.parametrize("wrap", [False, True])
def test_fit_resample_tensor_labels_that_are_not_column_ids_come_back_as_labels(wrap):
    # negative integer labels number their soft-target columns by rank: fit_resample must map the
    # columns back to labels, also for a tensor y (it returned the column ids, inventing label 2)
    from multiaug import Sequential
    from multiaug.tabular import GaussianNoise

    x = np.random.default_rng(0).normal(size=(30, 3)).astype(np.float32)
    y = torch.tensor([-1, 0, 1] * 10)
    make = (lambda: Sequential([GaussianNoise(seed=1), Mixup(seed=1)], seed=0)) if wrap else (lambda: Mixup(seed=1))
    _, yr = make().fit_resample(x, y)
    assert isinstance(yr, torch.Tensor) and yr.dtype == y.dtype and yr.shape == (60,)
    assert set(yr.tolist()) <= {-1, 0, 1}
    _, soft, _ = make().augment(x, y)
    clear = soft.max(1).values > 0.5 + 1e-6
    assert torch.equal(yr[30:][clear], (soft.argmax(1) - 1)[clear])

def test_imblearn_pipeline_regressor_and_classifier():
    X, y = load_diabetes(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("aug", Mixup(seed=0, n_aug=2)), ("reg", Ridge())])
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape and pipe.score(X, y) > 0.3
    Xw, yw = load_wine(return_X_y=True)
    for aug in (Mixup(seed=0), CutMix(seed=0)):
        clf = Pipeline([("scale", StandardScaler()), ("aug", aug), ("clf", LogisticRegression(max_iter=500))])
        clf.fit(Xw, yw)
        assert clf.score(Xw, yw) > 0.9
    df = pd.DataFrame(Xw[:, :3], columns=["a", "b", "c"])
    clf = Pipeline([("aug", CutMix(seed=0)), ("clf", LogisticRegression(max_iter=500))])
    clf.fit(df, pd.Series(np.array(["x", "y", "z"])[yw]))
    assert set(clf.predict(df)) <= {"x", "y", "z"}


def test_a_single_row_is_an_error_for_every_mixing_augmenter_and_a_routed_one_its_own_partner():
    from multiaug import OneOf
    from multiaug.tabular import FeatMix, GaussianNoise, HidMix, RegMix

    x = np.random.default_rng(0).normal(size=(12, 3))
    y = x[:, 0] * 2
    for aug in (Mixup(), CutMix(), RegMix(seed=0, n_iter=2, episodes=2).fit(x, y), FeatMix(seed=0).fit(x, y), HidMix()):
        with pytest.raises(ValueError, match=f"{type(aug).__name__}: a mixing augmenter needs at least 2 rows"):
            aug(x[:1], y[:1])
    for mixer in (Mixup(), RegMix(seed=0, n_iter=2, episodes=2).fit(x, y)):
        for seed in range(8):  # routings that hand the mixer a single row included
            out = OneOf([mixer, GaussianNoise(sigma=0.0).fit(x)], seed=seed)(x[:3])
            assert out.shape == (3, 3)


def test_gaussian_noise_partial_fit_equals_fit_on_everything():
    from multiaug.tabular import GaussianNoise

    x = np.random.default_rng(1).normal(size=(101, 4)) * [1, 10, 0.1, 3]
    x[7, 2] = np.nan
    aug = GaussianNoise(nan_policy="keep")
    for start in range(0, 101, 1):  # one row at a time, the worst case
        aug.partial_fit(x[start : start + 1])
    assert np.allclose(aug.scale_.numpy(), np.nanstd(x, axis=0), rtol=1e-5) and aug.n_rows_seen_ == 101
    assert np.allclose(GaussianNoise(nan_policy="keep").fit(x[:50]).partial_fit(x[50:]).scale_.numpy(), np.nanstd(x, axis=0), rtol=1e-5)


# ---- class labels other than 0..K-1 through compositions -------------------------------------------


@pytest.mark.parametrize("labels", [["neg", "pos"], [-1, 1], ["a", "b", "c"]])
@pytest.mark.parametrize("wrap", ["sequential", "sometimes", "one_of"])
def test_compositions_number_soft_targets_by_the_batch_classes(labels, wrap):
    import multiaug
    from multiaug.tabular import GaussianNoise

    rng = np.random.default_rng(0)
    X = rng.normal(size=(24, 3)).astype("float32")
    y = np.array(labels * (24 // len(labels)))
    classes = sorted(set(y.tolist()))
    aug = {"sequential": lambda: multiaug.Sequential([Mixup(), GaussianNoise(sigma=0.1)], seed=0),
           "sometimes": lambda: multiaug.Sometimes(Mixup(), p=0.5, seed=1),
           "one_of": lambda: multiaug.OneOf([Mixup(), GaussianNoise(sigma=0.1)], seed=2)}[wrap]()
    _, soft = aug(X, y)
    assert soft.shape == (24, len(classes))
    # a row left alone (or the larger side of a mix) puts most weight on its own class's column
    own = soft[np.arange(24), [classes.index(v) for v in y.tolist()]]
    assert (own >= 0.5).mean() > 0.5 and np.allclose(soft.sum(1), 1, atol=1e-5)
    if wrap != "sequential":
        untouched = np.isclose(soft.max(1), 1.0)
        assert untouched.any()
        assert (soft[untouched].argmax(1) == [classes.index(v) for v in y[untouched].tolist()]).all()
    # fit_resample gives estimators the caller's own labels, as Mixup alone does
    _, yr = aug.fit_resample(X, y)
    assert set(np.asarray(yr).tolist()) <= set(classes) and np.asarray(yr).dtype == y.dtype


def test_fitted_classes_number_columns_inside_a_composition():
    import multiaug

    X = np.random.default_rng(0).normal(size=(12, 2)).astype("float32")
    y = np.array(["a", "b", "c"] * 4)
    aug = multiaug.Sometimes(Mixup(), p=0.5, seed=0).fit(X, y)
    # a batch holding only two of the three classes still gets the fitted three columns
    _, soft = aug(X[:8][y[:8] != "b"], y[:8][y[:8] != "b"])
    assert soft.shape[1] == 3 and soft[:, 1].max() == 0


def test_string_labels_through_one_of_with_a_series():
    import pandas as pd

    import multiaug
    from multiaug.tabular import GaussianNoise

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(10, 2)), columns=["a", "b"])
    y = pd.Series(list("xyxyxyxyxy"), name="label")
    _, soft = multiaug.OneOf([Mixup(), GaussianNoise(sigma=0.1)], seed=0)(X, y)
    assert soft.shape == (10, 2)


# ---- labels that are missing, of mixed types, or not class ids with num_classes ---------------------


@pytest.mark.parametrize("y", [
    pd.Series(["cat", np.nan, "dog", "cat", np.nan]),
    np.array(["cat", None, "dog", "cat", None], dtype=object),
    ["cat", None, "dog", "cat", None],
    pd.Series(["cat", None, "dog", "cat", None], dtype="category"),
], ids=["series-nan", "object-none", "list-none", "category"])
def test_missing_class_labels_raise_naming_y_and_their_positions(y):
    x = np.random.default_rng(0).normal(size=(5, 3))
    msg = r"Mixup: y has missing labels \(None/NaN\): 2 of 5 missing at positions \[1, 4\]; every sample needs a class"
    with pytest.raises(ValueError, match=msg):
        Mixup(seed=0)(x, y)
    with pytest.raises(ValueError, match=msg):
        Mixup(seed=0).fit(x, y)
    with pytest.raises(ValueError, match=r"CutMix: y has missing labels"):
        CutMix(seed=0, task="classification")(x, y)


def test_float_nan_labels_for_classification_raise_naming_y():
    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(ValueError, match=r"Mixup: y has missing labels \(NaN\): 1 of 4 missing at position \[2\]"):
        Mixup(seed=0, task="classification")(x, np.array([0.0, 1.0, np.nan, 1.0]))
    with pytest.raises(ValueError, match=r"Mixup: y has missing labels \(NaN\)"):
        Mixup(seed=0, num_classes=2)(x, np.array([0.0, 1.0, np.nan, 1.0]))
    # regression targets: NaN named with its position
    with pytest.raises(ValueError, match=r"Mixup: y contains NaN or inf \(1 of 4 targets, at positions \[2\]\)"):
        Mixup(seed=0)(x, np.array([0.5, 1.5, np.nan, 2.5]))


def test_labels_of_mixed_types_raise_naming_y():
    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(TypeError, match=r"Mixup: y mixes labels of types \['int', 'str'\]"):
        Mixup(seed=0)(x, pd.Series([1, "a", 1, "a"], dtype=object))


def test_num_classes_needs_integer_class_ids():
    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(ValueError, match=r"Mixup: y holds string labels such as 'a'; with num_classes=2, y must hold "
                                         r"class ids, integers in \[0, 2\)"):
        Mixup(num_classes=2)(x, np.array(list("abab")))
    with pytest.raises(ValueError, match=r"Mixup: y holds the non-integer value 0.5 \(position 0\); with num_classes=2"):
        Mixup(num_classes=2, seed=0)(x, np.array([0.5, 1, 0, 1]))
    with pytest.raises(ValueError, match=r"Mixup: y holds the non-integer value 1.5 \(position 1\)"):
        Mixup(num_classes=2, seed=0)(torch.from_numpy(x), torch.tensor([0.0, 1.5, 1.0, 0.0]))
    with pytest.raises(ValueError, match=r"Mixup: y holds the class id 3 \(position 2\); labels must be integers in "
                                         r"\[0, 2\) when num_classes=2"):
        Mixup(num_classes=2, seed=0)(x, np.array([0, 1, 3, 1]))
    # class ids stored as floats (np.load, pandas) are read as classes
    _, ym = Mixup(num_classes=3, seed=0)(x, np.array([0.0, 2.0, 1.0, 2.0]))
    assert ym.shape == (4, 3) and np.allclose(ym.sum(1), 1)


def test_digit_string_class_ids_with_num_classes_in_every_container():
    X = np.random.default_rng(0).normal(size=(6, 2))
    ids = ["0", "2", "1", "0", "2", "1"]
    for y in (ids, np.array(ids), np.array(ids, dtype=object), pd.Series(ids)):
        _, soft = Mixup(num_classes=3, seed=0)(X, y)
        assert np.asarray(soft).shape == (6, 3)
