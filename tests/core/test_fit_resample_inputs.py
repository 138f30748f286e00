"""``fit_resample``'s keywords (multiaug/core/sklearn.py): fit parameters go to ``fit``, the modality's call
inputs (time series' ``lengths``) to the augmentation, anything else is refused by name."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from multiaug import LabelConsistent
from multiaug.tabular import GaussianNoise
from multiaug.text import EDA
from multiaug.timeseries import TimeWarp


def test_call_inputs_reach_the_augmentation_also_through_a_wrapper():
    # lengths went to fit only (refused there): the copies were not told where each series' padding starts
    x, lengths, y = _padded_series()
    x, lengths = torch.from_numpy(x), lengths.tolist()
    aug = LabelConsistent(TimeWarp(seed=0), model=lambda xs: np.full((len(xs), 2), 0.5), threshold=0.1, seed=0)
    Xr, yr = aug.fit_resample(x, y, lengths=lengths)
    assert Xr.shape == (12, 1, 20) and np.array_equal(yr[:6], y)
    for row, label in zip(Xr[6:], yr[6:]):
        src = int(row[0, -1]) - 1000
        assert label == y[src] and torch.equal(row[:, lengths[src]:], x[src, :, lengths[src]:])
        assert row[:, :lengths[src]].abs().max() < 500  # the warp read the valid steps only


def test_keywords_no_part_takes_are_refused_by_name():
    # a misspelt keyword was handed to fit, which ignored it
    X = np.random.default_rng(0).normal(size=(10, 3))
    y = np.arange(10) % 2
    with pytest.raises(TypeError, match=r"GaussianNoise.fit_resample: unexpected keyword argument\(s\) \['X_vall'\]; "
                                        r"it takes the call's hard"):
        GaussianNoise(seed=0).fit_resample(X, y, X_vall=X)
    with pytest.raises(TypeError, match=r"EDA.fit_resample: unexpected keyword argument\(s\) \['lengths'\]; "
                                        r"it takes no keyword argument"):
        EDA(seed=0).fit_resample(["a b c", "d e f"], [0, 1], lengths=[3, 3])


class _Keep:
    """A final step that keeps what the Pipeline gives it (series are 3-D: no scikit-learn checks)."""

    def __new__(cls):
        from sklearn.base import BaseEstimator, ClassifierMixin

        class Keep(ClassifierMixin, BaseEstimator):
            def fit(self, X, y):
                self.X_, self.y_, self.classes_ = X, y, np.unique(y)
                return self

            def predict(self, X):
                return np.zeros(len(X), dtype=int)

        return Keep()


def _padded_series():
    x = torch.randn(6, 1, 20, generator=torch.Generator().manual_seed(0)).cumsum(-1).numpy()
    lengths = np.array([19, 10, 12, 15, 8, 17])
    for i, n in enumerate(lengths):
        x[i, :, n:] = 1000.0 + i  # padding that names its row
    return x, lengths, np.arange(6) % 2


def test_lengths_routed_through_an_imblearn_pipeline_reach_fit_resample():
    # set_fit_resample_request listed fit's own parameters only: lengths could not be requested, so a
    # Pipeline could not give the copies their lengths (TypeError "Unexpected args: {'lengths'}")
    sklearn = pytest.importorskip("sklearn")
    Pipeline = pytest.importorskip("imblearn.pipeline").Pipeline
    x, lengths, y = _padded_series()
    ref_X, ref_y = TimeWarp(seed=0).fit_resample(x, y, lengths=lengths)
    with sklearn.config_context(enable_metadata_routing=True):
        aug = TimeWarp(seed=0).set_fit_resample_request(lengths=True)
        pipe = Pipeline([("aug", aug), ("clf", _Keep())]).fit(x, y, lengths=lengths)
        got = pipe.named_steps["clf"]
        assert np.array_equal(got.X_, ref_X) and np.array_equal(got.y_, ref_y)
        for row in got.X_[6:]:  # each copy kept its source's padding
            src = int(row[0, -1]) - 1000
            assert np.array_equal(row[:, lengths[src]:], x[src, :, lengths[src]:])
        # the request is fit_resample's only: fit does not take lengths (it refuses them)
        assert "lengths" not in aug.get_metadata_routing().fit.requests
        assert aug.get_metadata_routing().fit_resample.requests == {"lengths": True}
        with pytest.raises(TypeError, match="lenghts"):
            TimeWarp().set_fit_resample_request(lenghts=True)


def test_lengths_given_to_a_pipeline_without_routing_are_refused_with_the_way_to_route_them():
    Pipeline = pytest.importorskip("imblearn.pipeline").Pipeline
    x, lengths, y = _padded_series()
    with pytest.raises(ValueError, match=r"lengths.*set_fit_resample_request\(lengths=True\)"):
        Pipeline([("aug", TimeWarp(seed=0)), ("clf", _Keep())]).fit(x, y, aug__lengths=lengths)
