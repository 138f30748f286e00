"""Label helpers of multiaug.core.labels: labels kept as the caller's own objects, and the bound on the
soft-target columns of integer labels."""
import numpy as np
import pytest
import torch

from multiaug.core.labels import (
    MAX_CLASS_COLUMNS,
    check_class_columns,
    concat_labels,
    labels_to_numpy,
    merge_labels,
    resample_labels,
)
from multiaug.tabular import CutMix, GaussianNoise, Mixup
from multiaug.timeseries import Jitter, TSMixup

X = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
XS = np.random.default_rng(0).normal(size=(4, 20)).astype(np.float32)


def test_a_list_mixing_strings_with_other_labels_is_read_as_those_objects():
    # NumPy turned [1, "a"] into strings: the int 1 became '1', one class with a '1' beside it
    arr = labels_to_numpy([1, "a", 1, "1"])
    assert arr.dtype == object
    assert [type(v) for v in arr] == [int, str, int, str] and arr.tolist() == [1, "a", 1, "1"]
    assert labels_to_numpy(["a", "b"]).dtype.kind == "U"  # lists of one kind as before
    assert labels_to_numpy([b"a", b"b"]).dtype.kind == "S"
    assert labels_to_numpy([1, 2.5]).dtype == np.float64


@pytest.mark.parametrize("y", [[1, "a", 1, "a"], [1, "1", 2, "1"]])
def test_mixing_refuses_labels_of_several_types_rather_than_turn_them_into_strings(y):
    # Mixup.fit_resample gave '1' for the user's int 1 (and merged 1 with '1' into one class); TSMixup gave
    # soft-target column numbers (0, 1) as labels. They now raise as the same labels in a Series did.
    with pytest.raises(TypeError, match=r"Mixup: y mixes labels of types \['int', 'str'\]"):
        Mixup(seed=0).fit_resample(X, y)
    with pytest.raises(TypeError, match=r"y mixes labels of types \['int', 'str'\]"):
        TSMixup(seed=0).fit_resample(XS, y)
    with pytest.raises(TypeError, match=r"y mixes labels of types \['int', 'str'\]"):
        resample_labels(y, np.eye(4, 2, dtype=np.float32))


@pytest.mark.parametrize("make, x", [(lambda: GaussianNoise(seed=0), X), (lambda: Jitter(seed=0), XS)])
def test_label_preserving_augmenters_give_back_the_users_own_label_objects(make, x):
    y = [1, "a", 1, "a"]
    for out in (make().fit_resample(x, y)[1], make().augment(x, y, n_aug=2)[1]):
        assert out == [1, "a"] * (len(out) // 2)
        assert [type(v) for v in out] == [int, str] * (len(out) // 2)


def test_class_column_bound():
    check_class_columns(MAX_CLASS_COLUMNS)  # label 2**24 - 1: allowed
    with pytest.raises(ValueError, match=r"y holds the class label 16777216; .* 16777217 columns"):
        check_class_columns(MAX_CLASS_COLUMNS + 1)


@pytest.mark.parametrize("y", [np.array([0, 10**12]), [0, 10**12], torch.tensor([0, 10**12])])
@pytest.mark.parametrize("make", [lambda: Mixup(seed=0), lambda: CutMix(seed=0)])
def test_huge_integer_labels_raise_before_allocating_soft_targets(make, y):
    # the soft targets had a column per integer up to 10**12: an allocation error of 16 TB
    with pytest.raises(ValueError, match=r"y holds the class label 1000000000000; soft targets give integer label j "
                                         r"column j, so it would need 1000000000001 columns; .* TiB .*LabelEncoder"):
        make()(X[:2], y)
    with pytest.raises(ValueError, match=r"y holds the class label 1000000000000"):
        make().fit_resample(X[:2], y)


def test_num_classes_beyond_the_bound_names_num_classes():
    with pytest.raises(ValueError, match=r"Mixup: num_classes=16777217 asks for 16777217 soft-target columns; 256.0 MiB for 4 rows"):
        Mixup(seed=0, num_classes=MAX_CLASS_COLUMNS + 1)(X, np.array([0, 1, 0, 1]))


def test_merging_and_concatenating_hard_labels_with_soft_targets_checks_the_bound():
    y = np.array([0, 1, 10**12])
    with pytest.raises(ValueError, match=r"y holds the class label 1000000000000"):
        merge_labels(y, torch.tensor([0, 1]), np.eye(2, dtype=np.float32))
    with pytest.raises(ValueError, match=r"y holds the class label 1000000000000"):
        concat_labels([y, np.eye(2, dtype=np.float32)])


@pytest.mark.parametrize("make, x", [(lambda: Mixup(seed=0), X), (lambda: TSMixup(seed=0), XS)])
def test_fit_resample_gives_a_lists_own_label_objects_back(make, x):
    # NumPy reads [True, 2] as integers: the resampled copies of the class True came back as the int 1
    y = [True, 2, True, 2]
    out = make().fit_resample(x, y)[1]
    assert all((v is True) if v == 1 else (type(v) is int and v == 2) for v in out)
    assert any(v is True for v in out[4:])


def test_resample_labels_maps_soft_targets_in_a_tensor_back_to_the_labels():
    # a tensor of soft targets for labels held in a list or array gave the column numbers (0, 1) as labels
    soft = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    assert resample_labels(list("abab"), soft) == ["a", "b", "a", "b"]
    assert resample_labels(np.array([-1, 5, -1, 5]), soft).tolist() == [-1, 5, -1, 5]
    assert resample_labels(torch.tensor([-1, 5, -1, 5]), soft).tolist() == [-1, 5, -1, 5]  # as before
