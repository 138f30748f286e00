import warnings

import numpy as np
import pandas as pd
import pytest
import torch

from multiaug.tabular import CutMix, GaussianNoise, Mixup


def frame():
    return pd.DataFrame(
        {
            "f": [0.5, 1.5, 2.5, 3.5, 4.5, 5.5],
            "i": [1, 2, 3, 4, 5, 6],
            "b": [True, False, True, False, True, False],
            "c": pd.Categorical(["x", "y", "z", "x", "y", "z"]),
            "o": ["u", "v", "w", "u", "v", "w"],
        },
        index=[10, 11, 12, 13, 14, 15],
    )


def test_dataframe_round_trip_keeps_dtypes_and_categories():
    df = frame()
    out = Mixup(seed=0, categorical_columns=["o"])(df)
    assert list(out.columns) == list(df.columns) and list(out.index) == list(df.index)
    assert (out.dtypes == df.dtypes).all()
    assert set(out["c"].dropna()) <= {"x", "y", "z"} and set(out["o"]) <= {"u", "v", "w"}
    assert out["c"].cat.categories.tolist() == ["x", "y", "z"]


def test_categorical_cells_come_from_the_larger_weight_side():
    df = frame()
    aug = Mixup(seed=1, categorical_columns=["o"])
    xi, ctx = aug._to_internal(df)
    params = aug.sample(xi, **aug.handler.inputs(ctx))  # the conversion's categorical flags (hard=)
    assert params["hard"].tolist() == [False, False, True, True, True]
    out = aug.handler.restore(aug.apply(xi, params), ctx)
    own = (params["lam"] >= 0.5).numpy()
    partner = params["partner"].numpy()
    for col in ("b", "c", "o"):
        expect = np.where(own, df[col].to_numpy(), df[col].to_numpy()[partner])
        assert list(out[col]) == list(expect)
    # integer column: rounded interpolation
    mixed = params["lam"].numpy() * df["i"].to_numpy() + (1 - params["lam"].numpy()) * df["i"].to_numpy()[partner]
    assert list(out["i"]) == list(np.rint(mixed).astype(int))


def test_undeclared_text_column_raises_naming_it():
    with pytest.raises(TypeError, match=r"\['o'\]"):
        Mixup()(frame())


def test_bad_categorical_columns_entry_raises():
    with pytest.raises(ValueError, match="categorical_columns"):
        Mixup(categorical_columns=["nope"])(frame())
    with pytest.raises(ValueError, match="categorical_columns"):
        Mixup(categorical_columns="o")(frame())  # checked at first use, not in __init__


def test_nan_raises_unless_policy_keep():
    x = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    with pytest.raises(ValueError, match="NaN"):
        Mixup()(x)
    out = Mixup(seed=0, nan_policy="keep")(x)
    assert out.shape == x.shape
    assert np.isnan(out).sum() <= 2
    with pytest.raises(ValueError, match="inf"):
        Mixup(nan_policy="keep")(np.array([[1.0, np.inf], [2.0, 3.0]]))
    with pytest.raises(ValueError, match="nan_policy"):
        Mixup(nan_policy="drop")(x)


def test_numpy_integer_columns_declared_categorical_are_not_interpolated():
    x = np.array([[0, 1.0], [5, 2.0], [9, 3.0], [7, 4.0]])
    out = Mixup(seed=3, alpha=1.0, categorical_columns=[0])(x)
    assert set(out[:, 0]) <= {0.0, 5.0, 9.0, 7.0}


def test_integer_tensor_keeps_dtype():
    x = torch.arange(20).reshape(10, 2)
    out = Mixup(seed=0)(x)
    assert out.dtype == x.dtype and out.shape == x.shape


def test_p_leaves_inactive_rows_and_labels_unchanged():
    x = torch.randn(200, 3)
    y = torch.randn(200)
    aug = Mixup(seed=0, p=0.3)
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi)
    out = aug.apply(xi, params)
    yo = aug.apply_labels(y, params)
    inactive = ~params["active"]
    assert 20 < int(params["active"].sum()) < 100
    assert torch.equal(out[inactive], x[inactive]) and torch.equal(yo[inactive], y[inactive])


def test_three_d_input_rejected_for_plain_tables():
    with pytest.raises(ValueError, match="2-D"):
        Mixup()(torch.randn(4, 3, 2))
    with pytest.raises(ValueError, match="2-D"):
        CutMix()(torch.randn(4))


def test_gaussian_noise_leaves_categorical_columns_and_needs_rows():
    df = frame()
    out = GaussianNoise(seed=0, sigma=0.5, categorical_columns=["o"])(df)
    for col in ("b", "c", "o"):
        assert list(out[col]) == list(df[col])
    assert not np.allclose(out["f"], df["f"])
    with pytest.raises(ValueError, match="single row"):
        GaussianNoise()(np.ones((1, 3)))
    one = GaussianNoise(seed=0).fit(np.random.default_rng(0).normal(size=(10, 3)))(np.ones((1, 3)))
    assert one.shape == (1, 3) and not np.allclose(one, 1.0)


def test_gaussian_noise_warns_when_every_column_it_may_noise_is_categorical():
    # it returned the rows unchanged without a word (contract: an augmenter that cannot change its
    # input says so)
    df = pd.DataFrame({"c": pd.Categorical(list("abcabc")), "b": [True, False] * 3, "x": np.arange(6.0)})
    with pytest.warns(RuntimeWarning, match=r"columns=\[0, 1\]\) are all categorical or boolean"):
        out = GaussianNoise(seed=0, columns=[0, 1])(df)
    assert out.equals(df)
    with pytest.warns(RuntimeWarning, match=r"\(every column\) are all categorical or boolean"):
        GaussianNoise(seed=0)(np.random.default_rng(0).normal(size=(6, 2)) > 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = GaussianNoise(seed=0, columns=[1, 2])(df)  # a numeric column among them: no warning
    assert not np.allclose(out["x"], df["x"])


def test_composition_passes_column_flags_to_children():
    from multiaug import Sequential

    df = frame()
    out = Sequential([Mixup(), CutMix()], seed=0)(df.drop(columns=["o"]))
    assert set(out["c"].dropna()) <= {"x", "y", "z"} and out["b"].dtype == bool


# ---- exact values, nullable dtypes, labels as frames, fitted column names ---------------------------


@pytest.mark.parametrize("kind", ["frame", "numpy", "tensor"])
def test_values_float32_cannot_hold_come_back_exactly(kind):
    # ids beyond 2**24 and float64 prices: cells the augmenter does not change are returned as they were
    ids = np.array([123456789, 123456790, 987654321, 987654322, 2**40 + 1], dtype=np.int64)
    price = np.array([19.99, 1234567.89, 5.0, 7.25, 0.1])
    if kind == "frame":
        x = pd.DataFrame({"x": [0.1, 0.2, 0.3, 0.4, 0.5], "id": ids, "price": price})
        out = GaussianNoise(sigma=0.5, columns=[0], seed=0)(x)
        assert out["id"].tolist() == ids.tolist() and out["price"].tolist() == price.tolist()
        assert out["x"].tolist() != x["x"].tolist()
        out = GaussianNoise(sigma=0.5, p=0.0, seed=0)(x)
        pd.testing.assert_frame_equal(out, x)
    else:
        x = np.stack([ids, np.arange(5)], 1)
        x = torch.from_numpy(x) if kind == "tensor" else x
        out = GaussianNoise(sigma=0.5, columns=[1], seed=0)(x)
        assert np.asarray(out)[:, 0].tolist() == ids.tolist()


def test_float32_frames_stay_float32_internally():
    aug = GaussianNoise(seed=0)
    xi, _ = aug._to_internal(pd.DataFrame({"a": np.arange(4, dtype=np.float32), "b": np.arange(4, dtype=np.int16)}))
    assert xi.dtype == torch.float32
    xi, _ = aug._to_internal(pd.DataFrame({"a": np.arange(4, dtype=np.float32), "b": np.arange(4, dtype=np.int64)}))
    assert xi.dtype == torch.float64


@pytest.mark.parametrize("dtype", ["Int64", "Int32", "UInt8", "int32", "uint16", "boolean"])
@pytest.mark.parametrize("with_na", [False, True])
def test_nullable_and_narrow_integer_columns_keep_their_dtype(dtype, with_na):
    vals = [True, False, True, False] if dtype == "boolean" else [1, 2, 3, 4]
    col = pd.array(vals, dtype=dtype) if dtype[0].isupper() or dtype == "boolean" else np.array(vals, dtype=dtype)
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "n": col})
    if with_na:
        if not isinstance(df["n"].dtype, pd.api.extensions.ExtensionDtype):
            pytest.skip("numpy integer columns hold no NA")
        df.loc[1, "n"] = pd.NA
    out = Mixup(seed=0, nan_policy="keep")(df)
    assert out["n"].dtype == df["n"].dtype
    assert out["n"].isna().sum() <= df["n"].isna().sum() + 1


def test_integer_column_with_nan_output_becomes_nullable_of_the_same_width():
    df = pd.DataFrame({"a": [1.0, np.nan, 3.0, 4.0], "n": np.array([1, 2, 3, 4], dtype=np.int32)})
    out = Mixup(seed=0, nan_policy="keep", alpha=1.0)(df)
    assert out["n"].dtype in (np.dtype("int32"), pd.Int32Dtype())


# ---- integer columns: clipped to their dtype's range, exact beyond float64's 2**53 ---------------------


def _as_kind(x, kind, columns=None):
    if kind == "tensor":
        return torch.from_numpy(np.ascontiguousarray(x))
    if kind == "frame":
        return pd.DataFrame({c: x[:, j] for j, c in enumerate(columns or range(x.shape[1]))})
    return x


def _np(out):
    return out.to_numpy() if isinstance(out, pd.DataFrame) else np.asarray(out)


@pytest.mark.parametrize("kind", ["numpy", "tensor", "frame"])
@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16"])
def test_narrow_integers_are_clipped_to_their_dtype_not_wrapped(kind, dtype):
    info = np.iinfo(dtype)
    col = np.array([info.min, info.min, info.max, info.max, info.min + 1, info.max - 1, 0, 1], dtype=dtype)
    x = np.stack([col, col[::-1]], 1)
    out = GaussianNoise(sigma=1.0, seed=0)(_as_kind(x, kind))
    # the same data as float32 (the internal type of narrow integers) with the same seed: the noisy values
    ref = _np(GaussianNoise(sigma=1.0, seed=0)(_as_kind(x.astype(np.float32), kind)))
    expected = np.clip(np.rint(ref), info.min, info.max).astype(dtype)
    assert ((ref < info.min) | (ref > info.max)).any(), "the test needs noise past the dtype's range"
    got = _np(out)
    assert got.dtype == np.dtype(dtype) and np.array_equal(got, expected)


@pytest.mark.parametrize("dtype", ["Int8", "UInt8", "Int16"])
def test_nullable_narrow_integer_columns_are_clipped_not_wrapped(dtype):
    info = np.iinfo(dtype.lower())
    vals = [info.min, info.max, info.min, info.max, None, info.max, info.min, 0]
    df = pd.DataFrame({"n": pd.array(vals, dtype=dtype), "v": np.arange(8.0, dtype=np.float32)})
    out = GaussianNoise(sigma=1.0, seed=0, nan_policy="keep")(df)
    ref = GaussianNoise(sigma=1.0, seed=0, nan_policy="keep")(df.astype({"n": "float32"}))["n"].to_numpy()
    assert out["n"].dtype == df["n"].dtype and out["n"].isna().tolist() == df["n"].isna().tolist()
    ok = ~np.isnan(ref)
    assert ((ref[ok] < info.min) | (ref[ok] > info.max)).any(), "the test needs noise past the dtype's range"
    assert out["n"][ok].astype(int).tolist() == np.clip(np.rint(ref[ok]), info.min, info.max).astype(int).tolist()


def test_integer_bounds_of_64_bit_columns_do_not_overflow():
    x = np.array([[2**63 - 1], [-(2**63)], [2**63 - 1], [-(2**63)]], dtype=np.int64)
    out = GaussianNoise(sigma=1e-3, seed=0)(x)  # noise past the ends is clipped, not wrapped round
    assert out.dtype == np.int64
    assert (out[[0, 2]] > 2**62).all() and (out[[1, 3]] < -(2**62)).all()
    u = np.array([[2**64 - 1], [0], [2**64 - 1], [0]], dtype=np.uint64)
    out = GaussianNoise(sigma=1e-3, seed=0)(u)
    assert out.dtype == np.uint64 and (out[[0, 2]] > 2**63).all() and (out[[1, 3]] < 2**63).all()


BIG = 1234567890123456789  # a 64-bit id: float64 holds none of BIG + 1, BIG + 2, ... exactly


@pytest.mark.parametrize("kind", ["frame", "numpy", "tensor"])
@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_integers_beyond_float64_come_back_exactly_where_unchanged(kind, dtype):
    ids = (BIG + np.array([0, 1, 2, 3, 5, 8, 13, 21])).astype(dtype)
    x = _as_kind(np.stack([ids, np.arange(8, dtype=dtype)], 1), kind, ["id", "v"])
    y = np.array([0, 0, 0, 0, 0, 0, 1, 1])
    aug = GaussianNoise(sigma=1.0, columns=[1], seed=0)
    out = _np(aug(x))
    assert out[:, 0].tolist() == ids.tolist() and out.dtype == dtype
    assert out[:, 1].tolist() != list(range(8))
    Xa, _, src = aug.augment(x, y, n_aug=2)
    assert _np(Xa)[:, 0].tolist() == ids[src].tolist()
    # class balancing: the copies are of some rows only (row provenance through rows_ctx)
    Xa, ya, src = aug.augment(x, y, sampling_strategy="auto")
    assert len(src) == 4 and _np(Xa)[:, 0].tolist() == ids[src].tolist()
    Xr, yr = GaussianNoise(sigma=1.0, columns=[1], seed=0, sampling_strategy="auto").fit_resample(x, y)
    assert _np(Xr)[:8, 0].tolist() == ids.tolist() and set(_np(Xr)[8:, 0].tolist()) <= {int(ids[6]), int(ids[7])}


@pytest.mark.parametrize("kind", ["frame", "numpy", "tensor"])
def test_integers_beyond_float64_declared_categorical_are_exact(kind):
    ids = BIG + np.array([0, 1, 2, 3, 5, 8, 13, 21], dtype=np.int64)
    x = _as_kind(np.stack([ids, np.arange(8)], 1), kind, ["id", "v"])
    for aug in (Mixup(categorical_columns=["id"] if kind == "frame" else [0], seed=0),
                CutMix(categorical_columns=["id"] if kind == "frame" else [0], seed=1)):
        out = _np(aug(x))
        assert set(out[:, 0].tolist()) <= set(ids.tolist()) and out.dtype == np.int64
        assert len(set(out[:, 0].tolist())) > 1


def test_nullable_integers_beyond_float64_are_exact():
    ids = pd.array([BIG, None, BIG + 1, BIG + 2, BIG + 3, BIG + 5], dtype="Int64")
    df = pd.DataFrame({"id": ids, "v": np.arange(6.0)})
    out = GaussianNoise(columns=[1], seed=0, nan_policy="keep")(df)
    pd.testing.assert_series_equal(out["id"], df["id"])
    out = Mixup(categorical_columns=["id"], seed=0, nan_policy="keep")(df)
    assert out["id"].dtype == df["id"].dtype and set(out["id"].dropna()) <= set(df["id"].dropna())


def test_values_copied_that_float64_cannot_tell_apart_warn_naming_the_column():
    # two groups of ids, each group one float64 value: a cell copied from the other group cannot be told
    ids = np.array([BIG, BIG + 1] * 4 + [2 * BIG, 2 * BIG + 1] * 4, dtype=np.int64)
    df = pd.DataFrame({"account": ids, "v": np.arange(16.0)})
    with pytest.warns(RuntimeWarning, match=r"CutMix: column 'account' holds integers beyond float64's exact range.*"
                                            r"categorical_columns"):
        CutMix(seed=0)(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = CutMix(seed=0, categorical_columns=["account"])(df)
    assert set(out["account"]) <= set(ids.tolist())


def test_label_consistent_redraws_keep_integers_beyond_float64_exact():
    from multiaug.core.consistency import LabelConsistent

    class Sign:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            p = 1 / (1 + np.exp(-20 * np.asarray(X)[:, 1].astype(float)))
            return np.stack([1 - p, p], 1)

    rng = np.random.default_rng(0)
    v = rng.normal(size=30)
    ids = BIG + np.arange(30, dtype=np.int64)
    df = pd.DataFrame({"id": ids, "v": v})
    y = (v > 0).astype(int)
    lc = LabelConsistent(GaussianNoise(columns=[1], sigma=1.0), model=Sign(), threshold=0.6, max_tries=3, seed=0)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="LabelConsistent")
        Xa, _, src = lc.augment(df, y, n_aug=3)
    assert len(src) < 90  # some copies dropped: output row i is not input row i
    assert Xa["id"].tolist() == ids[src].tolist()


def test_dataframe_and_categorical_labels_survive_augment_and_fit_resample():
    X = np.random.default_rng(0).normal(size=(6, 2))
    Y = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) + 1})
    for aug in (GaussianNoise(seed=0), Mixup(seed=0)):
        Xa, Ya = aug.fit_resample(X, Y)
        assert isinstance(Ya, pd.DataFrame) and list(Ya.columns) == ["a", "b"] and len(Ya) == len(Xa)
    Xa, Ya, src = GaussianNoise(seed=0).augment(X, Y, n_aug=2)
    assert isinstance(Ya, pd.DataFrame) and len(Ya) == 12
    np.testing.assert_array_equal(Ya.to_numpy(), Y.to_numpy()[np.asarray(src)])
    y = pd.Series(list("ababab"), dtype="category", name="label")
    _, ya = GaussianNoise(seed=0).fit_resample(X, y)
    assert ya.dtype == y.dtype and ya.name == "label"


@pytest.mark.parametrize("make", [lambda: GaussianNoise(seed=0), lambda: Mixup(seed=0)])
def test_columns_must_match_those_seen_in_fit(make):
    df = pd.DataFrame({"small": np.linspace(0, 0.1, 8), "big": np.linspace(0, 100, 8)})
    aug = make().fit(df, np.arange(8) % 2)
    assert aug.feature_names_in_ == ["small", "big"]
    aug(df)  # same columns: fine
    with pytest.raises(ValueError, match=r"fitted on \['small', 'big'\].*another order"):
        aug(df[["big", "small"]])
    with pytest.raises(ValueError, match="missing.*unseen"):
        aug(df.rename(columns={"big": "large"}))
    aug(df.to_numpy())  # arrays carry no names: positions are the caller's business
    aug.fit(df[["big", "small"]], np.arange(8) % 2)  # a refit may change the columns
    aug(df[["big", "small"]])
    aug.fit(df.to_numpy(), np.arange(8) % 2)  # ... or drop the names
    assert not hasattr(aug, "feature_names_in_")


def test_fitted_column_names_survive_save_and_load(tmp_path):
    import multiaug

    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) ** 2})
    aug = GaussianNoise(seed=0).fit(df)
    aug.save(tmp_path / "noise")
    back = multiaug.load(tmp_path / "noise")
    assert back.feature_names_in_ == ["a", "b"]
    with pytest.raises(ValueError, match="another order"):
        back(df[["b", "a"]])


def test_gaussian_noise_partial_fit_checks_columns():
    df = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) ** 2})
    aug = GaussianNoise(seed=0).partial_fit(df)
    with pytest.raises(ValueError, match="another order"):
        aug.partial_fit(df[["b", "a"]])


def test_list_labels_stay_plain_python_values():
    X = np.random.default_rng(0).normal(size=(6, 2))
    for y in (list("ababab"), [0, 1, 0, 1, 0, 1]):
        _, ya = Mixup(seed=0).fit_resample(X, y)
        assert isinstance(ya, list) and {type(v) for v in ya} == {type(y[0])}


def test_fit_resample_refits_before_reading_x():
    # fit_resample read X with the state of an earlier fit before refitting: new columns raised the
    # fitted-columns error, and a fitted RegMix refused a category its new data holds
    from multiaug.tabular import RegMix

    g = np.random.default_rng(0)
    y = g.normal(size=40)
    aug = GaussianNoise(seed=0).fit(pd.DataFrame({"a": g.normal(size=40), "b": g.normal(size=40)}))
    X2 = pd.DataFrame({"c": g.normal(size=40)})
    Xr, yr = aug.fit_resample(X2, y)
    assert list(Xr.columns) == ["c"] and len(Xr) == 80 and aug.feature_names_in_ == ["c"]
    X3 = pd.DataFrame({"a": g.normal(size=40), "c": g.choice(["p", "q"], 40)})
    rm = RegMix(seed=0, categorical_columns=["c"], n_iter=2, episodes=2, n_random_features=8).fit(X3, y)
    X4 = X3.assign(c=g.choice(["p", "q", "r"], 40))
    Xr, _ = rm.fit_resample(X4, y)
    assert set(Xr["c"]) <= {"p", "q", "r"} and rm.categories_in_ == [[1, ["p", "q", "r"]]]
    with pytest.raises(ValueError, match="but y has"):
        GaussianNoise(seed=0).fit_resample(X2, y[:5])


def test_gaussian_noise_columns_are_checked_without_a_device_read():
    # the columns= range check read the min and max of a device tensor on every call
    from multiaug.core.hostreads import assume_costly_host_reads, count_host_reads

    x = torch.randn(6, 4)
    aug = GaussianNoise(columns=[0, -1], seed=0)
    aug(x)
    with assume_costly_host_reads(), count_host_reads() as reads:
        out = aug(x)
    assert not [s for s in reads.sites() if "tabular/noise.py" in s], reads.table()
    assert torch.equal(out[:, 1:3], x[:, 1:3]) and not torch.equal(out[:, 3], x[:, 3])
    with pytest.raises(ValueError, match="out of range"):
        GaussianNoise(columns=[4])(x)


def test_categorical_columns_name_declares_every_column_of_that_name():
    # a frame holding two columns named "a": only the first was declared, the second was interpolated
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 3, size=(20, 3)).astype(float), columns=["a", "a", "b"])
    out = Mixup(seed=0, categorical_columns=["a"])(df)
    for j in (0, 1):
        assert set(out.iloc[:, j]) <= set(df.iloc[:, j])
    assert not set(out.iloc[:, 2]) <= set(df.iloc[:, 2])  # "b" is mixed
    # NumPy integers (np.flatnonzero(...), df.columns of int names) are positions or names too
    out = Mixup(seed=0, categorical_columns=list(np.flatnonzero(np.array([False, False, True]))))(df)
    assert set(out.iloc[:, 2]) <= set(df.iloc[:, 2])


def test_categorical_columns_entry_1_is_not_the_column_named_true():
    # True == 1 in Python: [1] on columns [True, "b", "c"] declared the column named True (position 0)
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.integers(0, 3, size=(20, 3)).astype(float), columns=[True, "b", "c"])
    out = Mixup(seed=0, categorical_columns=[1])(df)
    assert set(out["b"]) <= set(df["b"])  # position 1 is categorical: never interpolated
    assert not set(out[True]) <= set(df[True])  # the column named True is mixed
    # a name of its own type still declares its column
    renamed = df.set_axis([1, "b", "c"], axis=1)
    assert set(Mixup(seed=0, categorical_columns=[1])(renamed)[1]) <= set(df[True])


def test_unhashable_values_in_a_categorical_column_raise_naming_it():
    df = pd.DataFrame({"f": np.arange(4.0), "tags": pd.Series([[1], [2], [1], [2]], dtype=object)})
    with pytest.raises(TypeError, match=r"Mixup: categorical column 'tags' holds values that cannot be categories"):
        Mixup(seed=0, categorical_columns=["tags"])(df)


@pytest.mark.skipif(np.dtype(np.longdouble) == np.dtype(np.float64), reason="longdouble is float64 here")
def test_extended_precision_arrays_are_carried_in_float64():
    # torch has no float128: a longdouble array raised torch's own TypeError
    x = np.random.default_rng(0).normal(size=(8, 3)).astype(np.longdouble)
    out = GaussianNoise(seed=0)(x)
    assert out.dtype == np.longdouble and out.shape == x.shape
    np.testing.assert_allclose(out.astype(np.float64), GaussianNoise(seed=0)(x.astype(np.float64)))


@pytest.mark.parametrize("kind", ["frame", "tensor"])
def test_gaussian_noise_spread_of_huge_float32_columns_is_finite(kind):
    # the squares of 1e18s overflow float32: the batch spread was inf and every noised cell +-inf
    rng = np.random.default_rng(0)
    x = np.c_[rng.normal(size=500) * 1e18, rng.normal(size=500)].astype(np.float32)
    inp = pd.DataFrame(x, columns=["big", "unit"]) if kind == "frame" else torch.from_numpy(x)
    out = np.asarray(GaussianNoise(seed=0, sigma=0.1)(inp), dtype=np.float64)
    assert np.isfinite(out).all()
    ratio = (out - x).std(0) / x.astype(np.float64).std(0)
    np.testing.assert_allclose(ratio, 0.1, rtol=0.15)


def test_gaussian_noise_empty_columns_warning_says_so():
    df = pd.DataFrame({"x": np.arange(6.0)})
    with pytest.warns(RuntimeWarning, match=r"columns=\[\] selects no column"):
        out = GaussianNoise(seed=0, columns=[])(df)
    assert out.equals(df)
    with pytest.raises(ValueError, match=r"GaussianNoise: columns \[3\] out of range"):
        GaussianNoise(seed=0, columns=[3])(df)


def test_set_output_pandas_in_pipelines_and_column_transformers():
    """make_pipeline(..., GaussianNoise()).set_output(transform="pandas") raised "set_output is not
    available"; now tables come back as DataFrames named by get_feature_names_out, clone keeps it."""
    from sklearn.base import clone
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from multiaug.tabular import GaussianNoise
    from multiaug.text import RandomSwap

    X = pd.DataFrame(np.random.default_rng(0).normal(size=(8, 3)), columns=["a", "b", "c"])
    out = make_pipeline(StandardScaler(), GaussianNoise(seed=0)).set_output(transform="pandas").fit_transform(X)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["a", "b", "c"]
    ct = ColumnTransformer([("aug", GaussianNoise(seed=0), ["a", "b"]), ("keep", "passthrough", ["c"])])
    out = ct.set_output(transform="pandas").fit_transform(X)
    assert list(out.columns) == ["aug__a", "aug__b", "keep__c"] and not out[["aug__a", "aug__b"]].equals(X[["a", "b"]])
    aug = clone(GaussianNoise(seed=0).set_output(transform="pandas"))
    arr = aug.fit_transform(X.to_numpy())
    assert isinstance(arr, pd.DataFrame) and list(arr.columns) == ["x0", "x1", "x2"]
    assert isinstance(aug.set_output(transform="default").transform(X.to_numpy()), np.ndarray)
    with pytest.raises(ValueError, match="input_features should have length equal to number of features"):
        aug.get_feature_names_out(["a"])
    with pytest.raises(ValueError, match="transform must be 'default', 'pandas', 'polars' or None"):
        aug.set_output(transform="arrow")
    assert not hasattr(RandomSwap(), "get_feature_names_out")  # tables only
    assert isinstance(RandomSwap(seed=0).set_output(transform="pandas").transform(["one two three"]), list)  # as is


def test_gaussian_noise_on_a_batch_without_spread_says_so():
    """Unfitted, the noise is scaled by the batch's spread: copies of one row come back unchanged, and
    the warning says why (the float32 rounding of the old spread gave them ~1e-8 of noise instead)."""
    from multiaug.core import UnchangedWarning
    from multiaug.tabular import GaussianNoise

    x = np.tile(np.array([[0.5, -1.25, 3.0]], dtype=np.float32), (16, 1))
    with pytest.warns(UnchangedWarning, match="the batch has no spread in the columns it may noise"):
        out = GaussianNoise(seed=0)(x)
    assert np.array_equal(out, x)
    aug = GaussianNoise(seed=0).fit(np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UnchangedWarning)
        assert not np.array_equal(aug(x), x)  # fitted: the training data's spread


# ---- missing markers of object columns -------------------------------------------------------------


def _marker_frame():
    """Row ids in a categorical column ``rid`` (Mixup takes every categorical cell of a row from the
    same side) and an object column ``c`` whose missing cells hold three kinds of marker."""
    return pd.DataFrame({
        "a": np.arange(8.0),
        "rid": [f"r{i}" for i in range(8)],
        "c": pd.Series(["x", None, "y", pd.NA, "x", np.nan, None, pd.NA], dtype=object),
    })


def _same_marker(a, b):
    return (a is b) or (pd.isna(a) and pd.isna(b) and type(a) is type(b)) or (not pd.isna(a) and a == b)


@pytest.mark.parametrize("make", [lambda: Mixup(seed=3), lambda: GaussianNoise(seed=3)])
def test_missing_markers_of_object_columns_come_back_from_their_source_cell(make):
    """None came back as nan (the categorical round trip): each missing cell now keeps the marker of
    the cell it is copied from, several kinds in one column included."""
    df = _marker_frame()
    aug = make().set_params(categorical_columns=["rid", "c"], nan_policy="keep")
    for seed in range(4):
        out = aug.reseed(seed)(df)
        src = out["rid"].str[1:].astype(int).to_numpy()  # the row each categorical cell comes from
        assert out["c"].dtype == object
        assert all(_same_marker(v, df["c"][s]) for v, s in zip(out["c"], src)), (seed, out["c"].tolist())
    Xa, _ = aug.fit_resample(df, np.arange(8.0))  # the originals too (restored), and the copies
    assert [type(v) for v in Xa["c"][:8]] == [type(v) for v in df["c"]]
    src = Xa["rid"].str[1:].astype(int).to_numpy()
    assert all(_same_marker(v, df["c"][s]) for v, s in zip(Xa["c"], src))


@pytest.mark.parametrize("marker", [None, pd.NA, np.nan, pd.NaT])
def test_a_single_kind_of_missing_marker_is_kept_by_every_mixer(marker):
    from multiaug.tabular import FeatMix

    df = pd.DataFrame({"a": np.arange(6.0), "c": pd.Series(["x", marker, "y", marker, "z", "x"], dtype=object)})
    kw = dict(categorical_columns=["c"], nan_policy="keep")
    for aug in (Mixup(seed=0, **kw), CutMix(seed=0, **kw), GaussianNoise(seed=0, **kw),
                FeatMix(seed=0, importance="uniform", **kw).fit(df)):
        out = aug(df)
        missing = [v for v in out["c"] if pd.isna(v)]
        assert all(v is marker or type(v) is type(marker) for v in missing), (type(aug).__name__, out["c"].tolist())


def test_missing_markers_lost_by_a_kernel_come_from_the_source_row_or_are_warned_about():
    """A kernel whose arithmetic makes new NaN cells (as some devices do with their payload): the
    output row's source cell gives the marker; where it cannot (rows moved), a RuntimeWarning."""
    from multiaug.tabular import TabularAugmenter

    class Recompute(TabularAugmenter):
        def _sample(self, x):
            return {}

        def _apply(self, x, params):
            return torch.where(torch.isnan(x), torch.full_like(x, float("nan")), x)

    class Reverse(Recompute):
        def _apply(self, x, params):
            return super()._apply(x, params).flip(0)

    df = _marker_frame()
    kw = dict(categorical_columns=["rid", "c"], nan_policy="keep")
    out = Recompute(**kw)(df)
    assert all(_same_marker(v, w) for v, w in zip(out["c"], df["c"]))
    with pytest.warns(RuntimeWarning, match=r"column 'c' holds several kinds of missing values.*could not be traced"):
        Reverse(**kw)(df)


# ---- column names other than str/int -----------------------------------------------------------------


@pytest.mark.parametrize("names", [
    pd.MultiIndex.from_tuples([("g", "a"), ("g", "b")]),
    [("p", 1), ("q", 2)],
    [0.5, 1.5],
])
def test_columns_other_than_str_or_int_must_match_those_seen_in_fit(names):
    """Tuple (MultiIndex) or float names were not checked after fit: a frame with other names or
    another order passed silently."""
    X = np.random.default_rng(0).normal(size=(8, 2))
    df = pd.DataFrame(X, columns=names)
    aug = GaussianNoise(seed=0).fit(df)
    assert not hasattr(aug, "feature_names_in_")  # scikit-learn's attribute is for str names
    aug(df)
    aug(X)  # arrays carry no names
    with pytest.raises(ValueError, match=r"another order.*pass x with the columns seen in fit"):
        aug(df[df.columns[::-1]])
    other = pd.DataFrame(X, columns=pd.MultiIndex.from_tuples([("h", "a"), ("h", "b")]))
    with pytest.raises(ValueError, match=r"x has columns \[\('h', 'a'\), \('h', 'b'\)\].*missing.*unseen"):
        aug(other)
    aug.fit(other)  # a refit may change them
    aug(other)


def test_str_names_seen_in_fit_refuse_tuple_names_of_the_same_count():
    X = np.random.default_rng(0).normal(size=(8, 2))
    aug = GaussianNoise(seed=0).fit(pd.DataFrame(X, columns=["a", "b"]))
    with pytest.raises(ValueError, match=r"missing \['a', 'b'\]; unseen \[\('a',\), \('b',\)\]"):
        aug(pd.DataFrame(X, columns=[("a",), ("b",)]))
    with pytest.raises(ValueError, match="missing"):
        aug(pd.DataFrame(X, columns=[None, "b"]))


def test_object_column_values_keep_their_type_next_to_missing_cells():
    df = pd.DataFrame({"o": pd.Series([1, None, 2, 3, None, 1], dtype=object), "f": np.arange(6.0)})
    out = CutMix(seed=0, categorical_columns=["o"], nan_policy="keep")(df)
    assert {type(v) for v in out["o"]} <= {int, type(None)} and out["o"].isna().any()


# ---- input the docs refuse: a clear error ------------------------------------------------------------


def test_non_numeric_columns_under_a_repeated_name_raise_naming_them():
    """x[name] is a frame where names repeat: the dates hint raised AttributeError instead."""
    df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": list("abc"), "t": pd.date_range("2020", periods=3)})
    df.columns = ["x", "x", "t"]
    with pytest.raises(TypeError, match=r"x columns \['x', 't'\] are not numeric.*dates and durations \(\['t'\]\)"):
        Mixup(seed=0)(df)
    out = Mixup(seed=0, categorical_columns=["t"])(df.iloc[:, [0, 2]])  # declared: copied as they are
    assert out["t"].dtype == df["t"].dtype and set(out["t"]) <= set(df["t"])


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_tensors_raise_type_error(layout):
    """Sparse input raises TypeError (docs/contract.md): torch sparse tensors failed deep inside torch."""
    x = torch.randn(6, 3)
    x = x.to_sparse() if layout == "coo" else x.to_sparse_csr()
    for aug in (GaussianNoise(seed=0), Mixup(seed=0)):
        with pytest.raises(TypeError, match=r"sparse input \(torch.Tensor with layout .*\) is not supported.*to_dense"):
            aug(x)
    with pytest.raises(TypeError, match="sparse input"):
        GaussianNoise().fit(x)


# ---- object columns holding equal values of several types ---------------------------------------------


def _typed(v):
    """A cell as (type, repr): 1, True, 1.0 and Decimal(1) are equal but different cells."""
    return type(v), repr(v)


def _mixed_type_frame():
    from decimal import Decimal

    cells = [1, True, 1.0, 0, False, 0.0, Decimal(1), np.int64(1), np.float64(0.0), np.True_, "a", None,
             Decimal("1.0"), -0.0]
    n = len(cells) * 3
    return pd.DataFrame({"m": pd.Series((cells * 3)[:n], dtype=object), "id": [f"r{i}" for i in range(n)],
                         "v": np.arange(n, dtype=float)})


def test_object_cells_keep_their_type_where_equal_values_of_several_types_share_a_column():
    """pandas categories hash 1, True, 1.0, Decimal(1) and np.int64(1) alike: an object column holding
    several of them came back with the first of them in every such cell (True as 1, 0.0 as 0)."""
    df = _mixed_type_frame()
    kw = dict(categorical_columns=["m", "id"], nan_policy="keep")
    out = GaussianNoise(seed=0, **kw)(df)  # noise never changes a categorical cell: each is its own object
    assert list(map(_typed, out["m"])) == list(map(_typed, df["m"]))
    # Mixup takes both categorical columns from the same (larger-weight) side: "id" names the source row
    out = Mixup(seed=0, **kw)(df)
    rows = [int(s[1:]) for s in out["id"]]
    assert rows != list(range(len(df)))  # (some cells come from a partner)
    for i, (r, got) in enumerate(zip(rows, out["m"])):
        src = df["m"][r]
        if r == i:  # left as it was: the very cell
            assert _typed(got) == _typed(src)
        else:  # copied: a cell of the same type and value (Decimal('1.0') and Decimal('1') are one category)
            assert type(got) is type(src) and (got == src or (got is None and src is None))


def test_equal_values_of_several_types_are_distinct_categories_next_to_each_other():
    from multiaug.tabular.base import _object_categories

    vals = pd.Series([True, 1, "b", 1.0, 0, False, "a", None, 1], dtype=object).to_numpy()
    cats, codes, exact = _object_categories(vals)
    # pandas' order (values sorted), equal values of several types next to each other (types in order of
    # appearance)
    assert exact and list(map(_typed, cats)) == list(map(_typed, [False, 0, True, 1, 1.0, "a", "b"]))
    assert [(type(cats[c]), cats[c]) if c >= 0 else None for c in codes] == \
        [(type(v), v) if v is not None else None for v in vals]
    # a column of one type whose equal values cannot differ keeps pandas' categories (and no per-cell copy)
    cats, codes, exact = _object_categories(pd.Series(["b", "a", None, "b"], dtype=object).to_numpy())
    assert list(cats) == ["a", "b"] and codes.tolist() == [1, 0, -1, 1] and not exact


@pytest.mark.parametrize("make", [CutMix, Mixup])
@pytest.mark.parametrize("cells", [[1, True], [0, False, 0.0], [1, 1.0, np.int64(1)]])
def test_mixed_type_object_column_cells_come_from_their_source_row(cells, make):
    n = 4 * len(cells)
    df = pd.DataFrame({"m": pd.Series(cells * 4, dtype=object), "v": np.arange(float(n))})
    aug = make(seed=0, categorical_columns=["m"])
    xi, ctx = aug._to_internal(df)
    params = aug.sample(xi, **aug.handler.inputs(ctx))  # (the conversion's categorical flags)
    out = aug.handler.restore(aug.apply(xi, params), ctx)
    partner = params["partner"].numpy()
    own = (params["keep"][:, 0] if "keep" in params else params["lam"] >= 0.5).numpy()
    want = [df["m"][i] if own[i] else df["m"][partner[i]] for i in range(n)]
    assert list(map(_typed, out["m"])) == list(map(_typed, want))
    assert not own.all() and out["m"].dtype == object


def test_plain_object_columns_keep_the_categories_and_outputs_of_astype_category():
    from multiaug.tabular.base import _object_categories

    for cells in (["b", None, "a", "b"], [3, 1, 2, 1], ["a", 1, "b", 2], [(1, 2), (0, 1), (1, 2), None]):
        col = pd.Series(cells, dtype=object)
        cats, codes, _ = _object_categories(col.to_numpy())
        ref = col.astype("category")
        assert codes.tolist() == ref.cat.codes.tolist() and list(cats) == list(ref.cat.categories)


# ---- save/load: column names other than str/int ---------------------------------------------------------


@pytest.mark.parametrize("names", [
    [0.5, 1.5],
    [float("nan"), 2.5],
    pd.MultiIndex.from_tuples([("g", 1), ("g", 2)]),
    [True, "x"],
    pd.to_datetime(["2020-01-01", "2020-01-02"]).tz_localize("Europe/Paris"),
    pd.period_range("2020-01", periods=2, freq="M"),
    pd.to_timedelta([1, 2], unit="D"),
])
def test_column_names_other_than_str_or_int_survive_save_and_load(tmp_path, names):
    """save kept only str/int names: a loaded copy took columns in another order (or other columns)."""
    import multiaug

    df = pd.DataFrame(np.random.default_rng(0).normal(size=(8, 2)), columns=names)
    aug = GaussianNoise(seed=0).fit(df)
    aug.save(tmp_path / "aug")
    back = multiaug.load(tmp_path / "aug")
    want, got = aug.__dict__["_columns_in"], back.__dict__["_columns_in"]
    assert [type(g) for g in got] == [type(w) for w in want]
    assert all(g == w or (g != g and w != w) for g, w in zip(got, want))
    back(df)
    with pytest.raises(ValueError, match="another order"):
        back(df.iloc[:, ::-1])


def test_a_column_name_save_cannot_write_raises_at_save_naming_it(tmp_path):
    class Name:
        def __repr__(self):
            return "Name()"

    df = pd.DataFrame(np.random.default_rng(0).normal(size=(8, 2)), columns=[Name(), "b"])
    aug = GaussianNoise(seed=0).fit(df)
    with pytest.raises(ValueError, match=r"cannot save the column name Name\(\).*supported column names: str, int"):
        aug.save(tmp_path / "aug")
    assert not (tmp_path / "aug" / "config.json").exists()


def test_names_inside_a_composition_survive_save_and_load(tmp_path):
    import multiaug

    df = pd.DataFrame(np.random.default_rng(0).normal(size=(8, 2)), columns=[("a", 1), ("b", 2)])
    aug = multiaug.Sequential([GaussianNoise(seed=0).fit(df)], seed=0)
    aug.save(tmp_path / "aug")
    back = multiaug.load(tmp_path / "aug")
    assert back.augmenters[0].__dict__["_columns_in"] == [("a", 1), ("b", 2)]


# ---- NumPy numeric columns read and written as one block -------------------------------------------


def _numeric_frame(n=12, seed=0):
    g = np.random.default_rng(seed)
    return pd.DataFrame({
        "f64": g.normal(size=n), "f32": g.normal(size=n).astype(np.float32), "i64": g.integers(-9, 9, n),
        "s": pd.Series(g.choice(["p", "q"], n), dtype=object), "u8": g.integers(0, 255, n).astype(np.uint8),
        "b": g.integers(0, 2, n).astype(bool), "nan": np.where(g.random(n) < 0.3, np.nan, g.normal(size=n)),
        "I": pd.array(g.integers(0, 5, n), dtype="Int64"), "big": (2**60 + g.integers(0, 3, n)).astype(np.int64),
        "f16": g.normal(size=n).astype(np.float16),
    }, index=[f"r{i}" for i in range(n)])


@pytest.mark.parametrize("make", [GaussianNoise, Mixup, CutMix])
def test_numpy_numeric_columns_read_as_one_block_give_what_column_by_column_gives(make, monkeypatch):
    """A frame's NumPy float/int/bool columns are converted as one block (column by column cost ~0.5 ms
    each: 40 ms a call for 100 columns); the output is the same as column by column, dtypes included."""
    import multiaug.tabular.base as B

    df = _numeric_frame()
    df = pd.concat([df, df[["f64"]].set_axis(["f64"], axis=1)], axis=1)  # a repeated name too
    kw = dict(seed=5, nan_policy="keep", categorical_columns=["s"])
    xi, ctx = make(**kw)._to_internal(df)
    assert sorted(ctx.extra["block"].tolist()) == [0, 1, 2, 4, 5, 6, 9, 10]  # not: object, Int64, ids > 2**53
    fast = make(**kw)(df)
    monkeypatch.setattr(B, "_block_columns", lambda *a: np.zeros(0, dtype=np.int64))
    slow = make(**kw)(df)
    assert fast.equals(slow) and list(fast.dtypes) == list(df.dtypes) and fast.index.equals(df.index)
    assert list(fast.columns) == list(df.columns)


def test_an_all_numeric_frame_read_as_one_block_gives_bit_identical_fits_and_outputs(monkeypatch):
    """(The block must be laid out as column by column: a column-major copy changed the last bits of
    the fitted column spreads, and so every seeded output.)"""
    import multiaug.tabular.base as B

    g = np.random.default_rng(1)
    df = pd.DataFrame({f"c{i}": g.normal(size=300) * 10 ** (i % 5) if i % 3 else g.integers(0, 9, 300)
                       for i in range(12)})
    fast = GaussianNoise(seed=0).fit(df)
    out_fast = fast(df)
    monkeypatch.setattr(B, "_block_columns", lambda *a: np.zeros(0, dtype=np.int64))
    slow = GaussianNoise(seed=0).fit(df)
    assert torch.equal(fast.scale_, slow.scale_) and torch.equal(fast.mean_, slow.mean_)
    out_slow = slow(df)
    assert out_fast.equals(out_slow) and (out_fast.sum().to_numpy() == out_slow.sum().to_numpy()).all()


def test_integer_block_columns_holding_nan_become_nullable_as_column_by_column():
    df = pd.DataFrame({"i": np.arange(6), "f": [np.nan, 1.0, 2.0, 3.0, 4.0, 5.0]})
    aug = Mixup(seed=0, nan_policy="keep")
    xi, ctx = aug._to_internal(df)
    xi = xi.clone()
    xi[0, 0] = float("nan")  # (a kernel leaving NaN in an integer column)
    out = aug.handler.restore(xi, ctx)
    assert str(out["i"].dtype) == "Int64" and out["i"].isna().tolist() == [True] + [False] * 5


def test_nullable_bool_columns_keep_their_dtype_with_missing_cells():
    pytest.importorskip("pyarrow")
    df = pd.DataFrame({"b": pd.array([True, None, False, True, False, True], dtype="bool[pyarrow]"),
                       "B": pd.array([True, None, False, True, False, None], dtype="boolean"), "f": np.arange(6.0)})
    for aug in (GaussianNoise(seed=0, nan_policy="keep"), Mixup(seed=0, nan_policy="keep")):
        out = aug(df)
        assert list(out.dtypes) == list(df.dtypes) and out["b"].isna().any()


def test_a_categorical_column_name_on_an_array_says_arrays_carry_no_names():
    df = pd.DataFrame({"zip": [75001, 75002, 75001, 13001], "f": [0.5, 1.5, 2.5, 3.5]})
    aug = Mixup(seed=0, categorical_columns=["zip"]).fit(df, [0, 1, 0, 1])
    aug(df)
    with pytest.raises(ValueError, match=r"entry 'zip' is neither.*carries no column names.*give positions"):
        aug(df.to_numpy())


@pytest.mark.parametrize("dtype", [">f8", ">f4", ">i4", ">i8", ">u2"])
def test_arrays_in_the_other_byte_order_are_read_by_value(dtype):
    # big-endian arrays (FITS, some HDF5/MATLAB files) crashed in torch.from_numpy ("given numpy array has byte
    # order different from the native byte order"); the time-series handler already read them by value
    x = (np.abs(np.random.default_rng(0).normal(size=(6, 3))) * 50).astype(dtype)
    native = x.astype(x.dtype.newbyteorder("="))
    out = GaussianNoise(seed=0)(x)
    assert out.dtype == x.dtype  # the input's own dtype, byte order included
    assert np.array_equal(out, GaussianNoise(seed=0)(native))
    y = np.array([0, 1, 2, 0, 1, 2], dtype=">i4")
    Xr, yr = Mixup(seed=0).fit_resample(x, y)
    Xn, yn = Mixup(seed=0).fit_resample(native, y.astype("<i4"))
    assert np.array_equal(Xr, Xn) and np.array_equal(yr, yn) and np.array_equal(Xr[:6], native)
    # regression targets in the other byte order too (encode kept their dtype and crashed the same way)
    yf = np.linspace(0, 1, 6).astype(">f8")
    assert np.array_equal(Mixup(seed=0)(x, yf)[1], Mixup(seed=0)(native, yf.astype("<f8"))[1])


def test_frame_columns_in_the_other_byte_order_keep_their_dtype_and_values():
    df = pd.DataFrame({"a": np.arange(6, dtype=">f8"), "b": np.arange(6, dtype=">i4"), "c": np.arange(6.0)})
    native = df.astype({"a": "<f8", "b": "<i4"})
    out = GaussianNoise(seed=0)(df)
    assert list(out.dtypes) == list(df.dtypes)
    assert np.array_equal(out.to_numpy(np.float64), GaussianNoise(seed=0)(native).to_numpy(np.float64))
