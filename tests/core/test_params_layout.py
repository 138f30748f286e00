"""The closed template: one params layout whatever p is, public methods defined only in core."""
import warnings

import numpy as np
import pytest
import torch

import multiaug
from multiaug import registry
from multiaug.core import Augmenter
from multiaug.tabular import GaussianNoise, Mixup
from multiaug.text import RandomSwap
from multiaug.timeseries import Jitter

PUBLIC = ("sample", "apply", "apply_labels", "_forward", "__call__", "augment")


def test_no_augmenter_overrides_the_public_template():
    registry.load_all()
    offenders = []
    for _name, cls in registry.items():
        for klass in cls.__mro__:
            if klass is Augmenter or not issubclass(klass, Augmenter):
                continue
            for m in PUBLIC:
                if m in klass.__dict__ and not klass.__module__.startswith("multiaug.core"):
                    offenders.append(f"{klass.__qualname__}.{m}")
    assert offenders == []


@pytest.mark.parametrize("make, x", [
    (lambda p: Jitter(seed=0, p=p), torch.randn(8, 2, 16)),
    (lambda p: GaussianNoise(seed=0, p=p), torch.randn(8, 3)),
    (lambda p: Mixup(seed=0, p=p), torch.randn(8, 3)),
    (lambda p: RandomSwap(seed=0, p=p), ["a b c d", "e f g h", "i j k l"]),
])
def test_layout_is_the_same_whatever_p(make, x):
    keys = {}
    for p in (1.0, 0.5, 0.0):
        aug = make(p)
        xi, _ = aug._to_internal(x)
        params = aug.sample(xi)
        act = params["active"]
        assert act.dtype == torch.bool and act.shape == (len(x),)
        if p == 1.0:
            assert bool(act.all())
        if p == 0.0:
            assert not bool(act.any())
        keys[p] = set(params)
    # mask-mode augmenters draw for the whole batch: same keys at every p; subset-mode ones draw
    # nothing when no sample is active
    assert keys[1.0] == keys[0.5]
    assert keys[0.0] == keys[1.0] or keys[0.0] == {"active"}


def test_mask_mode_replays_and_edits_params():
    x = torch.randn(10, 2, 12)
    aug = Jitter(seed=1, p=0.5)
    params = aug.sample(x)
    out = aug.apply(x, params)
    assert torch.equal(aug.apply(x, params), out)  # deterministic replay
    idle = ~params["active"]
    assert torch.equal(out[idle], x[idle])
    edited = {**params, "active": torch.ones(10, dtype=torch.bool)}
    assert not torch.equal(aug.apply(x, edited)[idle], x[idle])  # the mask is honoured as given


def test_apply_refuses_params_without_active():
    x = torch.randn(4, 3)
    with pytest.raises(ValueError, match="GaussianNoise.apply: params must be the dict returned by sample"):
        GaussianNoise(seed=0).apply(x, {"noise": torch.zeros(4, 3)})


def test_unknown_keyword_is_refused_with_the_augmenter_name():
    with pytest.raises(TypeError, match=r"GaussianNoise.sample: unexpected keyword argument\(s\) \['lengths'\]"):
        GaussianNoise(seed=0)(torch.randn(4, 3), lengths=[3, 3, 3, 3])
    with pytest.raises(TypeError, match=r"Sequential: unexpected keyword argument\(s\) \['lengths'\]; its "
                                        r"children \(tabular\) take only x \(and y\)"):
        multiaug.Sequential([GaussianNoise()], seed=0)(torch.randn(3, 8), lengths=[8, 8, 8])


def test_tabular_hard_columns_travel_in_params_not_on_the_tree():
    import pandas as pd

    df = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "c": pd.Categorical(["x", "y", "x", "y"])})
    child = Mixup(seed=0)
    seq = multiaug.Sequential([child], seed=0)
    seq(df)
    assert "_tab_hard_columns" not in vars(child) and "_tab_hard_columns" not in vars(seq)
    xi, ctx = child._to_internal(df)
    params = child.sample(xi, **child.handler.inputs(ctx))
    assert params["hard"].tolist() == [False, True]


def test_text_call_state_travels_in_the_return_value():
    aug = RandomSwap(seed=0, on_unchanged="keep")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aug(["one", "a b c d e f"])
    assert not {"_last_unchanged", "_changed", "_para_details"} & set(vars(aug))
    assert aug.report_.n_unchanged == 1 and aug.report_.details["unchanged_index"] == [0]


def test_public_names_for_the_engines():
    aug = GaussianNoise(seed=0)
    y = np.array([0, 1])
    assert aug.resample_labels(y, np.array([[0.2, 0.8], [0.9, 0.1]])).tolist() == [1, 0]
    assert aug._resample_labels(y, np.array([[0.2, 0.8], [0.9, 0.1]])).tolist() == [1, 0]
    assert aug.fitted_state() == aug._fitted_state() == ({}, {})
    assert registry.modality_of(GaussianNoise) == "tabular" == registry._modality(GaussianNoise)
    assert registry.modality_of(multiaug.Sequential) == "any"
