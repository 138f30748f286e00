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
    xi, _ = aug._to_internal(df)
    params = aug.sample(xi)
    out = aug.handler.restore(aug.apply(xi, params), _)
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


def test_composition_passes_column_flags_to_children():
    from multiaug import Sequential

    df = frame()
    out = Sequential([Mixup(), CutMix()], seed=0)(df.drop(columns=["o"]))
    assert set(out["c"].dropna()) <= {"x", "y", "z"} and out["b"].dtype == bool
