"""The Augmenter base class: hyperparameters, clone (multiaug/core/base.py)."""
import torch
from sklearn.base import clone

from multiaug.core.compose import OneOf, Sequential
from multiaug.timeseries import Jitter, Scaling


def test_clone_keeps_one_object_held_at_several_places():
    # sklearn's clone cloned each place on its own: two objects, two streams, other outputs than the original
    j, s = Jitter(sigma=0.1), Scaling()
    tree = Sequential([j, OneOf([j, s]), s], seed=5)
    c = clone(tree)
    assert c.augmenters[0] is c.augmenters[1].augmenters[0] and c.augmenters[2] is c.augmenters[1].augmenters[1]
    assert c.augmenters[0] is not j and c.augmenters[2] is not s
    x = torch.randn(6, 2, 16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(clone(tree)(x), tree(x))
    a, b = clone(Jitter(sigma=0.2)), clone(Jitter(sigma=0.2))  # no memory between clones
    assert a is not b


def test_set_params_keeps_the_device_object_given():
    dev = torch.device("cpu")
    aug = Jitter().set_params(device=dev)
    assert aug.get_params()["device"] is dev and clone(aug).device == dev


def test_a_misspelt_keyword_names_the_class_and_the_closest_parameter():
    """``Jitter(sigmaa=0.1)`` said "Augmenter.__init__() got an unexpected keyword argument 'sigmaa'":
    the base class reached through ``**kwargs``, not the class built, and no hint."""
    import pytest

    with pytest.raises(TypeError) as e:
        Jitter(sigmaa=0.1)
    assert str(e.value).startswith("Jitter.__init__() got an unexpected keyword argument 'sigmaa' (did you mean "
                                   "'sigma'?); its parameters are channels_last, device")
    with pytest.raises(TypeError, match=r"Sequential.__init__\(\) got an unexpected keyword argument 'sed' "
                                        r"\(did you mean 'seed'\?\)"):
        Sequential([Jitter()], sed=1)
    with pytest.raises(TypeError, match="unexpected keyword argument 'zzz'; its parameters are"):
        Jitter(zzz=1)
