import numpy as np
import pandas as pd
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from multiaug.tabular import GaussianNoise


def _reference_std(x: np.ndarray) -> np.ndarray:
    """np.std per column, on the columns divided by a power of two near their largest magnitude and
    scaled back (exact: np.std of values past ~1e154 overflows itself, their squares being inf)."""
    peak = np.abs(x).max(0)
    scale = np.ldexp(1.0, np.minimum(np.frexp(peak)[1], 1023))
    return np.std(x / scale, axis=0) * scale, peak


def _assert_close_std(got: np.ndarray, x: np.ndarray) -> None:
    ref, peak = _reference_std(x)
    assert np.isfinite(got).all(), got
    # relative to the spread, and to the column's magnitude where the spread is round-off of it
    assert (np.abs(got - ref) <= 1e-9 * ref + 1e-12 * peak + 1e-320).all(), (got, ref)


_magnitude = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False)


@settings(max_examples=60, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=2, max_side=12), elements=_magnitude),
       split=st.integers(1, 11))
def test_fitted_spread_is_finite_and_numpys_for_values_of_any_magnitude(x, split):
    """Values past ~1e154 overflowed the running statistics (their squares are inf): scale_ was inf
    or nan. Now fit, and fit + partial_fit on two parts, give np.std's spread."""
    _assert_close_std(GaussianNoise().fit(x).scale_.numpy(), x)
    if split < x.shape[0] - 1:
        aug = GaussianNoise().fit(x[: split + 1]).partial_fit(x[split + 1 :])
        _assert_close_std(aug.scale_.numpy(), x)
        assert aug.n_rows_seen_ == x.shape[0]


@settings(max_examples=30, deadline=None)
@given(exp=st.integers(-300, 300), seed=st.integers(0, 2**16))
def test_spread_of_data_at_any_scale_is_exact_to_rounding(exp, seed):
    """A realistic column (unit spread around an offset) at scales 1e-300 .. 1e300, fed row by row."""
    x = (np.random.default_rng(seed).normal(size=(40, 2)) + [0.0, 3.0]) * 10.0**exp
    aug = GaussianNoise()
    for i in range(0, 40, 7):
        aug.partial_fit(x[i : i + 7])
    _assert_close_std(aug.scale_.numpy(), x)
    np.testing.assert_allclose(aug.mean_.numpy(), x.mean(0), rtol=1e-9, atol=1e-12 * np.abs(x).max())


def test_noise_of_a_table_of_huge_values_fitted_first_is_finite():
    x = np.random.default_rng(0).normal(size=(50, 2)) * [1e300, 1.0]
    df = pd.DataFrame(x, columns=["huge", "unit"])
    aug = GaussianNoise(seed=0, sigma=0.1).fit(df)
    assert aug.scale_.dtype == torch.float64
    out = aug(df).to_numpy()
    assert np.isfinite(out).all()
    z = (out - x) / [1e300, 1.0]
    np.testing.assert_allclose(z.std(0) / (x / [1e300, 1.0]).std(0), 0.1, rtol=0.3)


def test_partial_fit_continues_statistics_saved_with_m2_by_an_earlier_version():
    """Augmenters saved before held the sum of squared deviations ``m2_`` and a float32 ``scale_``."""
    x = np.random.default_rng(1).normal(size=(30, 3)) * [1, 10, 0.1]
    aug = GaussianNoise()
    aug.count_ = torch.full((3,), 20.0, dtype=torch.float64)
    aug.mean_ = torch.as_tensor(x[:20].mean(0))
    aug.m2_ = torch.as_tensor(((x[:20] - x[:20].mean(0)) ** 2).sum(0))
    aug.scale_ = torch.as_tensor(x[:20].std(0), dtype=torch.float32)
    aug.n_rows_seen_ = 20
    aug.partial_fit(x[20:])
    np.testing.assert_allclose(aug.scale_.numpy(), x.std(0), rtol=1e-12)
    assert not hasattr(aug, "m2_") and aug.n_rows_seen_ == 30


def test_spread_ignores_nan_cells_and_all_nan_columns_have_none():
    x = np.random.default_rng(2).normal(size=(20, 3)) * 1e200
    x[3, 0] = np.nan
    x[:, 2] = np.nan
    aug = GaussianNoise(nan_policy="keep").fit(x)
    np.testing.assert_allclose(aug.scale_.numpy()[:2], np.nanstd(x[:, :2] / 1e200, axis=0) * 1e200, rtol=1e-12)
    assert aug.scale_.numpy()[2] == 0 and aug.count_.numpy().tolist() == [19, 20, 0]
