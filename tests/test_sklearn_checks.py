"""scikit-learn's and imblearn's own estimator checks on every tabular augmenter.

The checks that do not apply are listed, each with its reason, by ``multiaug.sklearn_expected_failed_checks``
(the same list anyone can pass to ``parametrize_with_checks``); they are marked xfail, all others must pass.
HidMix is not checked: it works on token embeddings ``(N, F, D)`` inside a network, and the checks feed 2-D tables.
"""
import numpy as np
import pandas as pd
import pytest
from imblearn.utils.estimator_checks import parametrize_with_checks as imblearn_checks
from sklearn.utils.estimator_checks import parametrize_with_checks as sklearn_checks

import multiaug
from multiaug.tabular import CutMix, FeatMix, GaussianNoise, Mixup, RegMix

ESTIMATORS = [
    GaussianNoise(),
    Mixup(),
    CutMix(),
    FeatMix(importance="uniform"),
    RegMix(task="regression", n_iter=2, episodes=2, k_candidates=(1, 2)),
]


@sklearn_checks(ESTIMATORS, expected_failed_checks=multiaug.sklearn_expected_failed_checks)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


@imblearn_checks(ESTIMATORS, expected_failed_checks=multiaug.sklearn_expected_failed_checks)
def test_imblearn_estimator_checks(estimator, check):
    check(estimator)


def test_tags():
    from sklearn.utils import get_tags

    t = get_tags(GaussianNoise())
    assert t.transformer_tags is not None and t.non_deterministic and not t.requires_fit
    assert t.input_tags.two_d_array and t.input_tags.categorical and not t.input_tags.allow_nan
    assert get_tags(GaussianNoise(nan_policy="keep")).input_tags.allow_nan
    assert get_tags(RegMix()).requires_fit
    assert get_tags(GaussianNoise().set_sklearn_api("sampler")).transformer_tags is None


@pytest.mark.parametrize("x", [
    np.ones((4, 2)) + 1j,
    pd.DataFrame({"a": [1.0, 2.0], "b": [1 + 1j, 2.0]}),
])
def test_complex_refused(x):
    import torch

    with pytest.raises(ValueError, match="GaussianNoise: Complex data not supported"):
        GaussianNoise()(x)
    with pytest.raises(ValueError, match="Complex data not supported"):
        GaussianNoise()(torch.ones(3, 2, dtype=torch.complex64))


def test_inf_refused_naming_augmenter_and_columns():
    x = np.ones((4, 3))
    x[1, 2] = np.inf
    with pytest.raises(ValueError, match=r"Mixup: x contains inf values \(1 cells, columns \[2\]\)"):
        Mixup()(x)


def test_read_only_input_never_written_and_output_fresh():
    x = np.random.default_rng(0).normal(size=(10, 3))
    x.setflags(write=False)
    before = x.copy()
    for aug in (GaussianNoise(seed=0), GaussianNoise(p=0.0, seed=0), Mixup(seed=0)):
        out = aug(x)
        assert out is not x and not np.shares_memory(out, x)
        out[:] = 0  # the output is writable and independent
        assert np.array_equal(x, before)


def test_imblearn_pipeline_sees_a_sampler_and_sklearn_a_transformer():
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline

    X = np.random.default_rng(0).normal(size=(40, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    aug = GaussianNoise(n_aug=2, sigma=0.01, seed=0)
    assert hasattr(aug, "transform") and hasattr(aug, "fit_resample")
    pipe = Pipeline([("aug", aug), ("model", Ridge())]).fit(X, y)
    assert pipe.predict(X).shape == (40,)  # augmentation at fit only: predict keeps the rows
    assert make_pipeline(GaussianNoise(seed=0)).fit_transform(X).shape == X.shape
    sampler = GaussianNoise().set_sklearn_api("sampler")
    assert not hasattr(sampler, "transform") and hasattr(sampler, "fit_resample")
    from sklearn.base import clone

    assert not hasattr(clone(sampler), "transform")
    assert not hasattr(GaussianNoise().set_sklearn_api("transformer"), "fit_resample")
    with pytest.raises(ValueError, match="set_sklearn_api: api must be one of"):
        GaussianNoise().set_sklearn_api("both")


@pytest.mark.parametrize("make", [lambda: Mixup(seed=0), lambda: CutMix(seed=0), lambda: FeatMix(seed=0)])
def test_mixing_augmenter_in_a_sklearn_pipeline_is_refused(make):
    # a Pipeline step's fit_transform returns rows only: the model would get mixed rows with unmixed labels
    from imblearn.pipeline import Pipeline as ImbPipeline
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(30, 3)), np.arange(30) % 2
    with pytest.raises(ValueError, match="mixes samples and their labels.*use imblearn.pipeline.Pipeline"):
        make_pipeline(make(), LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="mixes samples and their labels"):
        ColumnTransformer([("m", make(), [0, 1])]).fit_transform(X, y)
    with pytest.raises(ValueError, match="mixes samples and their labels"):
        ImbPipeline([("m", make().set_sklearn_api("transformer")), ("model", LogisticRegression())]).fit(X, y)
    # the sampler face in imblearn's Pipeline, and transforms without labels, are unaffected
    assert ImbPipeline([("m", make()), ("model", LogisticRegression())]).fit(X, y).predict(X).shape == (30,)
    assert make_pipeline(Mixup(seed=0)).fit_transform(X).shape == X.shape
    with pytest.warns(UserWarning, match="the y given is used to fit and is not mixed"):
        assert make().fit_transform(X, y).shape == X.shape
