"""Hyperparameter constraints (multiaug/core/constraints.py): float hyperparameters within float32."""
import re

import numpy as np
import pytest
import torch

import multiaug
from multiaug.core.constraints import (
    FLOAT32_MAX,
    Interval,
    InvalidParameterError,
    Pair,
    Real,
    SequenceOf,
    merged_constraints,
)
from multiaug.timeseries import Jitter
from tests.test_contract import NAMES, _case


def _beyond(alternatives):
    """A value past float32's range that only float32's limit refuses (None: no such float parameter)."""
    for c in alternatives:
        if isinstance(c, Pair) and c.kind is Real and c.high is None:
            return (c.low if c.low is not None else 0.0, 1e39)
        if isinstance(c, Interval) and not isinstance(c, Pair) and c.kind is Real and (c.low is None or c.high is None):
            return 1e39 if c.high is None else -1e39
        if isinstance(c, SequenceOf) and _beyond(c.item) is not None:
            return [1.0] * max(c.min_len - 1, 0) + [1e39]
    return None


@pytest.mark.parametrize("name", NAMES)
def test_every_float_hyperparameter_must_be_finite_in_float32(name):
    # sigma=1e39 passed the check and failed deep inside a call (a raw overflow RuntimeError) or made inf output
    cls, params, _, _, _ = _case(name)
    aug = cls(**params)
    aug._validate_params()  # the contract case's values (and the defaults) are accepted
    for pname, alternatives in merged_constraints(cls).items():
        value = _beyond(alternatives) if alternatives != "no_validation" else None
        if value is None or pname not in cls._get_param_names():
            continue
        bad = cls(**{**params, pname: value})
        with pytest.raises(InvalidParameterError, match=rf"^{cls.__name__}: {pname} must be .*float32's range.*, got "):
            bad._validate_params()


def test_float32_limit_in_the_message_and_at_first_use():
    x = torch.randn(4, 2, 16)
    with pytest.raises(InvalidParameterError, match=re.escape(
            "Jitter: sigma must be a float in [0, 3.40282e+38] or a (low, high) pair with 0 <= low <= high <= 3.40282e+38 "
            "(float32's range: it is used in float32 tensors), got 1e+39")):
        Jitter(sigma=1e39)(x)
    with pytest.raises(InvalidParameterError, match="float32's range"):
        Jitter(sigma=(0.0, 1e39))(x)  # a pair used to give inf output
    with pytest.raises(InvalidParameterError, match="float32's range"):
        Jitter(sigma=10**400)(x)  # too large for a float at all
    with pytest.raises(InvalidParameterError, match=r"must be a probability in \[0, 1\], got 1e\+39$"):
        Jitter(p=1e39)(x)  # bounds within float32: the usual message
    with pytest.raises(InvalidParameterError, match=r"a float >= 0 or .*, got inf$"):
        Jitter(sigma=float("inf"))(x)
    with pytest.raises(InvalidParameterError, match=r"Dropout: fill must be a finite float .*, in \[-3.40282e\+38, "):
        multiaug.create("dropout", fill=-1e39)(np.ones((4, 3)))
    out = Jitter(sigma=FLOAT32_MAX / 1e10, seed=0)(x)  # the largest values are accepted
    assert out.shape == x.shape
    assert Interval(Real, 0, None).accepts(np.float32(FLOAT32_MAX)) and not Interval(Real).accepts(-1e39)
