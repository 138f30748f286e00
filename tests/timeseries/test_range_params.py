"""A range given as a tuple is accepted wherever the same range as a list is, for every registered
augmenter of every modality, and survives to_config / from_config / clone."""
from __future__ import annotations

import inspect
import json
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

import multiaug
from multiaug import registry


def _candidates():
    for name in registry.names():
        cls = registry.get(name)
        for pn, prm in inspect.signature(cls.__init__).parameters.items():
            d = prm.default
            if pn in ("seed", "n_aug", "self") or isinstance(d, bool):
                continue
            if isinstance(d, (list, tuple)) and d:
                yield name, pn, list(d)
            elif isinstance(d, (int, float)):
                yield name, pn, [d / 2, d] if isinstance(d, float) else [max(d - 1, 0), d]


def _accepts(name, pn, value):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return registry.create(name, **{pn: value})
    except (ValueError, TypeError):
        return None


CASES = list(_candidates())


def test_there_are_range_parameters_to_check():
    accepted = [c for c in CASES if _accepts(c[0], c[1], c[2]) is not None]
    assert {("jitter", "sigma"), ("time_warp", "max_speed_ratio"), ("drift", "max_drift"), ("edge_drop", "rate")} <= {
        (n, p) for n, p, _ in accepted}


@pytest.mark.parametrize("name,param,value", CASES, ids=[f"{n}.{p}" for n, p, _ in CASES])
def test_tuple_accepted_where_list_is(name, param, value):
    as_list, as_tuple = _accepts(name, param, list(value)), _accepts(name, param, tuple(value))
    assert (as_list is None) == (as_tuple is None)
    if as_tuple is None:
        return
    cfg = as_tuple.to_config()
    assert cfg["params"][param] == list(value)  # JSON has no tuples
    back = multiaug.Augmenter.from_config(json.loads(json.dumps(cfg)))
    assert list(getattr(back, param)) == list(value)
    assert back.to_config() == cfg
    assert getattr(clone(as_tuple), param) == tuple(value)


@pytest.mark.parametrize("make", [lambda a: a.astype(np.complex64), lambda a: torch.from_numpy(a).to(torch.complex64)])
def test_complex_series_are_refused_like_complex_tables(make):
    """One policy with the tables: complex input is a ValueError naming the augmenter, never cast to real."""
    from multiaug.timeseries import Jitter

    x = make(np.ones((2, 1, 8), dtype=np.float32))
    with pytest.raises(ValueError, match=r"^Jitter: Complex data not supported: x has dtype .*complex64"):
        Jitter(seed=0)(x)
