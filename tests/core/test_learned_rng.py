"""Fitting and loading an augmenter never reads or advances torch's global random state (the
contract: every draw comes from the augmenter's own generator, seeded from ``seed``)."""
from __future__ import annotations

import warnings

import pytest
import torch

import multiaug
from multiaug import registry
from multiaug.core.base import Augmenter
from tests.test_contract import _case

# augmenters with something to fit: learned ones, and those whose fit measures the data
# (names starting with "_" are test helpers other test modules register)
FITTED = [n for n, c in registry.items() if not n.startswith("_") and (c.learned is True or c.fit is not Augmenter.fit)]


def _fit(aug, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aug.fit(x, y) if y is not None else aug.fit(x)


@pytest.mark.parametrize("name", FITTED)
def test_fit_and_load_leave_the_global_rng_alone(name, tmp_path):
    cls, params, make_x, make_y, _ = _case(name)
    x, y = make_x(), make_y()
    torch.manual_seed(1234)
    state = torch.random.get_rng_state()
    aug = _fit(cls(**params, seed=0), x, y)
    assert torch.equal(torch.random.get_rng_state(), state), f"{name}.fit advanced torch's global RNG"
    path = aug.save(tmp_path / name)
    loaded = multiaug.load(path)
    assert torch.equal(torch.random.get_rng_state(), state), f"multiaug.load of {name} advanced torch's global RNG"
    # and the fit stays reproducible from seed whatever the global state
    torch.manual_seed(99)
    twin = _fit(cls(**params, seed=0), x, y)
    a, _ = aug.fitted_state()
    b, _ = twin.fitted_state()
    c, _ = loaded.fitted_state()
    assert sorted(a) == sorted(b) == sorted(c)
    for k in a:
        assert torch.equal(a[k], b[k]), f"{name}: fitted {k} differs between two fits with seed=0"
        assert torch.equal(a[k], c[k]), f"{name}: loaded {k} differs from the fitted one"


def test_regmix_fit_and_load_leave_the_global_rng_alone(tmp_path):
    import numpy as np

    from multiaug.tabular import RegMix

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4)).astype("float32")
    y = X.sum(1)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    aug = RegMix(seed=0, n_iter=2).fit(X, y)
    assert torch.equal(torch.rand(3), expected)
    path = aug.save(tmp_path / "regmix")
    torch.manual_seed(0)
    back = multiaug.load(path)
    assert torch.equal(torch.rand(3), expected)
    assert np.array_equal(back(X, y)[1], RegMix(seed=0, n_iter=2).fit(X, y)(X, y)[1])
