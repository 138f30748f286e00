"""The shared contract: parameters, randomness, composition, scikit-learn/imblearn, persistence."""
from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import multiaug
from multiaug import OneOf, RandAugment, Sequential, SomeOf, Sometimes
from multiaug.core import concat_labels, merge_labels, take_labels
from multiaug.core.constraints import Integral, Interval
from multiaug.graph import EdgeDrop
from multiaug.registry import register
from multiaug.tabular import GaussianNoise
from multiaug.text import RandomSwap
from multiaug.timeseries import Jitter
from multiaug.timeseries.base import TimeSeriesAugmenter
from tests.conftest import default_batch, outputs_equal


def series(n=16, c=2, t=32, seed=0):
    return torch.randn(n, c, t, generator=torch.Generator().manual_seed(seed))


class Shift(TimeSeriesAugmenter):
    """Adds a per-series constant drawn from N(0, 1) (test helper, not registered)."""

    def _sample(self, x):
        return {"c": torch.randn(x.shape[0], generator=self.generator(x.device), device=x.device)}

    def _apply(self, x, params):
        return x + params["c"][:, None, None]


@register("_test_learned_scale")
class LearnedScale(TimeSeriesAugmenter):
    """Scales series by a learned factor plus noise (test helper)."""

    learned = True
    _parameter_constraints = {"hidden": [Interval(Integral, 1, None)]}

    def __init__(self, hidden=3, **kwargs):
        self.hidden = hidden
        super().__init__(**kwargs)

    def fit(self, X, y=None):
        x, _ = self._to_internal(X)
        self.scale_ = x.std().reshape(1)
        self.net_ = torch.nn.Linear(1, self.hidden, dtype=torch.float32)
        with torch.no_grad():  # fixed weights: the helper's fit must replay whatever the global RNG did
            self.net_.weight.fill_(0.1)
            self.net_.bias.zero_()
        self.n_seen_ = int(x.shape[0])
        return self

    def _build_fitted_modules(self, meta):
        return {"net_": torch.nn.Linear(1, self.hidden, dtype=torch.float32)}

    def _sample(self, x):
        # its own dtype, as every augmenter fixes its draws' (the contract test runs it under float64 too
        # when this module is collected first)
        return {"e": torch.rand(x.shape[0], generator=self.generator(x.device), device=x.device, dtype=torch.float32)}

    def _apply(self, x, params):
        w = self.net_.weight.sum().detach()
        return x * (self.scale_ + params["e"][:, None, None] + w)


# ---- randomness ------------------------------------------------------------------------------------


def test_generator_is_per_instance_and_never_global():
    torch.manual_seed(0)
    state = torch.get_rng_state()
    np_state = np.random.get_state()[1].copy()
    Jitter(seed=1)(series())
    Jitter()(series())
    assert torch.equal(state, torch.get_rng_state())
    assert np.array_equal(np_state, np.random.get_state()[1])


def test_unseeded_instances_differ():
    x = series()
    assert not torch.equal(Jitter()(x), Jitter()(x))


def test_one_draw_per_sample_not_per_batch():
    x = torch.zeros(64, 1, 8)
    out = Shift(seed=0)(x)
    shifts = out[:, 0, 0]
    assert shifts.unique().numel() == 64
    assert torch.allclose(out, shifts[:, None, None].expand_as(out))


def test_sample_then_apply_replays_on_paired_data():
    aug = Shift(seed=3)
    x = series()
    params = aug.sample(x)
    a = aug.apply(x, params)
    b = aug.apply(x.clone(), params)
    assert torch.equal(a, b)
    assert torch.equal(aug.apply(torch.zeros_like(x), params)[:, 0, 0], params["c"])


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 1.0), seed=st.integers(0, 2**31))
def test_p_is_a_per_sample_probability(p, seed):
    x = torch.zeros(200, 1, 4)
    out = Shift(p=p, seed=seed)(x)
    changed = (out != 0).any(dim=(1, 2)).float()
    if p == 0:
        assert changed.sum() == 0
    elif p == 1:
        assert changed.sum() == 200
    else:
        assert abs(changed.mean().item() - p) < 0.2


def test_deepcopy_keeps_the_random_stream():
    import copy

    a = Jitter(seed=5)
    x = series()
    a(x)
    b = copy.deepcopy(a)
    assert torch.equal(a(x), b(x))


def _seeded_pipe(seed=0):
    return Sequential([Jitter(sigma=1.0), OneOf([Jitter(sigma=0.5), Shift()])], seed=seed)


@pytest.mark.parametrize("make", [_seeded_pipe, lambda seed=0: Jitter(sigma=1.0, seed=seed)])
def test_reseed_replays_whatever_ran_before(make):
    """reseed(s) is the engines' per-batch restart: a fresh and a used instance give the same stream
    (a seeded composition drew its children's seeds twice on its first reseed), and reseed(None)
    puts the instance back as built (the composition's children were left on OS entropy)."""
    x = series(8)
    fresh, used = make(), make()
    used(x)
    fresh.reseed(5)
    used.reseed(5)
    first = fresh(x)
    assert torch.equal(first, used(x))
    fresh.reseed(5)
    assert torch.equal(fresh(x), first)
    ref = make()(x)
    used.reseed(None)
    assert torch.equal(used(x), ref)
    used.reseed(None)
    assert torch.equal(used(x), ref)


@pytest.mark.parametrize("make", [_seeded_pipe, lambda seed=0: Jitter(sigma=1.0, seed=seed)])
def test_a_new_seed_restarts_the_stream(make):
    """set_params(seed=...) after use takes effect at the next draw, as a fresh instance with that seed
    (it was silently ignored once the stream had started)."""
    x = series(8)
    aug = make(0)
    aug(x)
    aug.set_params(seed=1)
    assert torch.equal(aug(x), make(1)(x))
    again = make(1)
    again(x)
    aug.set_params(seed=1)  # the same value: the stream goes on
    assert torch.equal(aug(x), again(x))
    aug.seed = np.int64(2)
    assert torch.equal(aug(x), make(2)(x))


def test_cpu_device_spellings_share_one_stream():
    """"cpu:0" is the CPU: one generator (two seeded alike repeated the same numbers, and device="cpu:0"
    gave other outputs than device="cpu")."""
    from multiaug.text import CharNoise

    aug = Jitter(seed=0)
    assert aug.generator("cpu:0") is aug.generator("cpu") is aug.generator(torch.device("cpu", 0))
    texts = ["the quick brown fox jumps over the lazy dog"] * 8
    assert CharNoise(p=0.5, seed=0, device="cpu:0")(texts) == CharNoise(p=0.5, seed=0, device="cpu")(texts)


class GradFitted(TimeSeriesAugmenter):
    """Learns a shift by gradient descent in fit (test helper, not registered)."""

    learned = True

    def fit(self, X, y=None):
        x, _ = self._to_internal(X)
        w = torch.zeros(1, requires_grad=True)
        ((w - x.mean()) ** 2).backward()
        self.shift_ = (w - 0.5 * w.grad).detach()
        return self

    def _apply(self, x, params):
        return x + self.shift_


@pytest.mark.parametrize("mode", ["no_grad", "inference_mode"])
def test_learned_fit_trains_inside_no_grad_and_inference_mode(mode):
    """Evaluation code runs under torch.no_grad()/inference_mode(): fitting a learned augmenter there
    trains as outside (it raised "element 0 of tensors does not require grad"), and its fitted state
    is usable outside."""
    x = series(8) + 3.0
    ref = GradFitted().fit(x)
    with getattr(torch, mode)():
        aug = GradFitted().fit(x.clone())
        assert not torch.is_grad_enabled()  # the caller's mode is back after fit
        assert torch.is_inference_mode_enabled() is (mode == "inference_mode")
    assert torch.equal(aug.shift_, ref.shift_) and not aug.shift_.is_inference()
    assert torch.equal(aug(x), ref(x))


# ---- parameters ------------------------------------------------------------------------------------


def test_params_stored_unchanged_and_cloned():
    a = Jitter(sigma=(0.1, 0.2), p=0.3, seed=4, n_aug=2)
    assert a.sigma == (0.1, 0.2) and a.p == 0.3 and a.seed == 4 and a.n_aug == 2
    b = clone(a)
    assert b.get_params() == a.get_params()
    assert "sigma=(0.1, 0.2)" in repr(a)


@pytest.mark.parametrize("bad", [{"p": -0.1}, {"p": "x"}, {"n_aug": 0}, {"n_aug": 1.5}, {"seed": 1.5}, {"device": "nodevice"}, {"sigma": -1}])
def test_bad_params_name_the_argument(bad):
    aug = Jitter(**bad)  # stored unchanged, as scikit-learn requires; refused at first use
    with pytest.raises((ValueError, TypeError)) as e:
        aug(torch.zeros(2, 1, 8))
    assert list(bad)[0] in str(e.value)


def test_set_params_validates():
    aug = Jitter().set_params(sigma=-2)
    with pytest.raises(ValueError, match="sigma"):
        aug(torch.zeros(2, 1, 8))


def test_composition_children_params_by_position():
    from imblearn.pipeline import Pipeline
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import GridSearchCV

    from multiaug.timeseries import Scaling

    inner = [Jitter(sigma=0.05), OneOf([Scaling(), Jitter()])]
    aug = Sequential(inner, seed=3)
    deep = aug.get_params(deep=True)
    assert deep["augmenters__0"] is inner[0] and deep["augmenters__1__augmenters__1__sigma"] == 0.03
    assert set(aug.get_params(deep=False)) <= set(deep)
    aug.set_params(augmenters__0__sigma=0.5, augmenters__1__augmenters__1__sigma=0.7, seed=4)
    assert aug.augmenters[0].sigma == 0.5 and aug.augmenters[1].augmenters[1].sigma == 0.7 and aug.seed == 4
    aug.set_params(augmenters__0=Scaling())  # swapping a child builds a new list; the caller's is untouched
    assert isinstance(aug.augmenters[0], Scaling) and isinstance(inner[0], Jitter)
    for bad in ({"augmenters__2__sigma": 1.0}, {"augmenters__x": 1}):
        with pytest.raises(ValueError, match="augmenters__<i>"):
            aug.set_params(**bad)
    with pytest.raises(ValueError, match="nope"):
        aug.set_params(augmenters__0__nope=1)
    # a grid search reaches a child's parameter through a pipeline
    X, y = load_diabetes(return_X_y=True)
    pipe = Pipeline([("aug", Sequential([GaussianNoise(sigma=0.05)], n_aug=2, seed=0)), ("model", Ridge())])
    gs = GridSearchCV(pipe, {"aug__augmenters__0__sigma": [0.01, 0.1]}, cv=3).fit(X, y)
    assert gs.best_params_["aug__augmenters__0__sigma"] in (0.01, 0.1)
    assert len(gs.cv_results_["params"]) == 2
    sometimes = Sometimes(Jitter()).set_params(augmenter__sigma=2.0)  # a single child: scikit-learn's own recursion
    assert sometimes.augmenter.sigma == 2.0 and "augmenters__0" not in sometimes.get_params()


# ---- labels ----------------------------------------------------------------------------------------


def test_call_with_labels_returns_pair_and_checks_length():
    x = series(8)
    y = np.arange(8)
    out, y_out = Jitter(seed=0)(x, y)
    assert out.shape == x.shape and np.array_equal(y_out, y)
    with pytest.raises(ValueError, match="labels"):
        Jitter()(x, np.arange(5))
    for single in (3, "pos", np.int64(3), torch.tensor(1)):  # one label, not in a container: named
        with pytest.raises(TypeError, match="y: expected one label per sample"):
            Jitter()(x[:1], single)
        with pytest.raises(TypeError, match="y: expected one label per sample"):
            RandomSwap().augment("a few words here", single)
    assert RandomSwap(seed=0)("a few words here", ["pos"])[1] == ["pos"]


def test_label_helpers_upgrade_hard_labels_to_soft():
    y = np.array([0, 1, 2, 1])
    soft = np.array([[0.5, 0.5, 0.0]], dtype=np.float32)
    out = merge_labels(y, torch.tensor([2]), soft)
    assert out.shape == (4, 3) and np.allclose(out[2], [0.5, 0.5, 0]) and np.allclose(out[0], [1, 0, 0])
    assert concat_labels([y, np.array([[0.2, 0.8, 0.0]])]).shape == (5, 3)
    assert take_labels(pd.Series([1, 2, 3]), torch.tensor([2, 0])).tolist() == [3, 1]
    assert take_labels(["a", "b"], torch.tensor([1])) == ["b"]


def test_labels_given_as_a_list_of_rows_survive_p_below_one():
    """2-D labels as a list of lists (multi-label rows) through the subset path (text, graphs with
    p < 1) and through a mixing child on a subset (soft rows widened as lists)."""
    from multiaug.tabular import Mixup

    y = [[1, 0], [0, 1], [1, 0], [0, 1]]
    assert merge_labels(y, torch.tensor([1]), [[0, 1]]) == y
    widened = merge_labels(y, torch.tensor([0]), np.array([[0.5, 0.25, 0.25]]))
    assert isinstance(widened, list) and widened[0] == [0.5, 0.25, 0.25] and widened[1] == [0, 1, 0.0]
    texts = ["the cat sat on the mat", "a dog ran in the park", "birds fly over the sea", "fish swim in the lake"]
    for seed in range(5):
        out, y_out = RandomSwap(p=0.5, seed=seed)(texts, y)
        assert y_out == y
        _, y_aug, src = RandomSwap(p=0.5, seed=seed).augment(texts, y, n_aug=2)
        assert [list(r) for r in y_aug] == [y[i] for i in src]
    X = np.random.default_rng(0).normal(size=(4, 3))
    _, y_mix = OneOf([Mixup(), GaussianNoise()], seed=0)(X, y)
    assert np.allclose(np.asarray(y_mix, dtype=float).sum(axis=1), 1)


def test_label_sets_of_different_sizes_are_one_label_per_sample():
    """Ragged multi-label lists (label sets) go through p < 1 and compositions as opaque labels."""
    from multiaug.text import RandomDeletion

    texts = ["the cat sat on the mat", "a dog ran in the park", "birds fly over the sea", "fish swim in the lake"]
    y = [["pets", "cats"], ["pets"], ["birds", "sea", "sky"], []]
    for seed in range(6):
        assert RandomSwap(p=0.5, seed=seed)(texts, y)[1] == y
        assert OneOf([RandomSwap(), RandomDeletion()], p=0.5, seed=seed)(texts, y)[1] == y


def test_missing_class_labels_in_a_composition_are_named_in_the_whole_y():
    from multiaug.tabular import Mixup

    X = np.random.default_rng(0).normal(size=(12, 3))
    y = np.array(["a", "b", None, "a", "b", "a", "b", "a", np.nan, "b", "a", "b"], dtype=object)
    for seed in range(3):
        with pytest.raises(ValueError, match=r"OneOf: y has missing labels .*2 of 12 missing at positions \[2, 8\]"):
            OneOf([Mixup(), GaussianNoise()], seed=seed)(X, y)


# ---- composition -----------------------------------------------------------------------------------


class _Affine(TimeSeriesAugmenter):
    """``x * a + b`` (deterministic test helper: two of them do not commute)."""

    def __init__(self, a=1.0, b=0.0, **kw):
        self.a = a
        self.b = b
        super().__init__(**kw)

    def _apply(self, x, params):
        return x * self.a + self.b


def test_sequential_applies_in_order_and_replays():
    x = series()
    double, plus_one = _Affine(a=2.0), _Affine(b=1.0)
    assert torch.allclose(Sequential([double, plus_one])(x), 2 * x + 1)  # listed order
    assert torch.allclose(Sequential([plus_one, double])(x), 2 * (x + 1))  # and not the other
    s1 = Sequential([Jitter(sigma=0.1), Shift()], seed=2)
    s2 = Sequential([Jitter(sigma=0.1), Shift()], seed=2)
    assert torch.equal(s1(x), s2(x))
    assert not torch.equal(s1(x), s2.augmenters[0](x))


def test_one_of_chooses_per_sample():
    x = torch.zeros(300, 1, 4)
    big, small = Shift(), Jitter(sigma=0.0)
    out = OneOf([big, small], seed=0)(x)
    shifted = (out != 0).any(dim=(1, 2)).float().mean().item()
    assert 0.35 < shifted < 0.65
    out = OneOf([big, small], weights=[1, 0], seed=0)(x)
    assert (out != 0).any(dim=(1, 2)).all()


def test_some_of_applies_n_distinct():
    class Add(TimeSeriesAugmenter):
        """adds a constant"""

        def __init__(self, c=1.0, **kw):
            self.c = c
            super().__init__(**kw)

        def _apply(self, x, params):
            return x + self.c

    x = torch.zeros(100, 1, 2)
    out = SomeOf([Add(1.0), Add(10.0), Add(100.0)], n=2, seed=0)(x)
    vals = set(out[:, 0, 0].tolist())
    assert vals <= {11.0, 101.0, 110.0} and len(vals) == 3
    out = SomeOf([Add(1.0), Add(10.0), Add(100.0)], n=(0, 3), seed=0)(x)
    assert len(set(out[:, 0, 0].tolist())) > 3


def test_sometimes_is_per_sample():
    x = torch.zeros(400, 1, 2)
    out = Sometimes(Shift(), p=0.25, seed=1)(x)
    frac = (out != 0).any(dim=(1, 2)).float().mean().item()
    assert 0.15 < frac < 0.35


def test_rand_augment_scales_magnitude():
    x = torch.zeros(50, 1, 64)
    low = RandAugment([Jitter()], n=1, magnitude=0.0, seed=0)(x)
    high = RandAugment([Jitter()], n=1, magnitude=1.0, seed=0)(x)
    assert low.abs().max() == 0
    assert 0.1 < high.std().item() < 0.3
    with pytest.raises(ValueError, match="magnitude_range"):
        RandAugment([Shift()])(x)


def test_rand_augment_applies_an_augmenter_without_strength_as_it_is():
    # Reverse (a flip) has no strength: RandAugment refused it; it is magnitude_free, applied as it is
    from multiaug.timeseries import Reverse

    x = torch.arange(40 * 16, dtype=torch.float32).reshape(40, 1, 16)
    out = RandAugment([Reverse(p=1.0), Jitter()], n=1, magnitude=0.0, seed=0)(x)
    flipped = torch.tensor([torch.equal(o, s.flip(-1)) for o, s in zip(out, x)])
    kept = torch.tensor([torch.equal(o, s) for o, s in zip(out, x)])  # Jitter at magnitude 0: sigma 0
    assert bool((flipped | kept).all()) and 5 < int(flipped.sum()) < 35


def test_composing_modalities_is_an_error():
    x = torch.zeros(4, 1, 8)
    with pytest.raises(ValueError, match="modalities"):
        Sequential([Jitter(), GaussianNoise()])(x)
    with pytest.raises(TypeError, match="augmenters\\[1\\]"):
        Sequential([Jitter(), "jitter"])(x)


@pytest.mark.parametrize("modality,aug", [
    ("text", OneOf([RandomSwap(), RandomSwap(alpha=0.5)])),
    ("graph", Sometimes(EdgeDrop(rate=0.5), p=0.5)),
    ("tabular", SomeOf([GaussianNoise(), GaussianNoise(sigma=0.5)], n=1)),
    ("timeseries", RandAugment([Jitter()], n=2)),
])
def test_composition_works_for_every_modality(modality, aug):
    x = default_batch(modality)
    aug.set_params(seed=0)
    out = aug(x)
    assert type(out) is type(x)
    assert not outputs_equal(out, aug(x))


def test_composition_labels_follow_subsets():
    x = series(20)
    y = np.arange(20)
    out, y_out = OneOf([Jitter(), Shift()], seed=0)(x, y)
    assert np.array_equal(y_out, y)


COMPOSE = [
    lambda augs: Sequential(augs, seed=0),
    lambda augs: OneOf(augs, seed=0),
    lambda augs: SomeOf(augs, n=(1, len(augs)), seed=0),
    lambda augs: Sometimes(augs[0], p=0.7, seed=0),
]


@pytest.mark.parametrize("compose", COMPOSE)
def test_compositions_honour_their_childrens_input_settings(compose):
    """A composition reads its input once for all its children: with their categorical columns
    (never interpolated, never noised), their nan_policy and their channels_last."""
    from multiaug.tabular import Mixup
    from multiaug.timeseries import TimeWarp

    g = np.random.default_rng(0)
    X = np.column_stack([g.integers(0, 3, 40).astype(float), g.normal(size=40), g.normal(size=40)])
    out = compose([Mixup(categorical_columns=[0]), GaussianNoise(categorical_columns=[0])])(X)
    assert set(np.unique(out[:, 0])) <= {0.0, 1.0, 2.0}, "category codes interpolated or noised"
    # a column declared by one child is categorical for all: the other child leaves it alone too
    out = compose([GaussianNoise(categorical_columns=[0]), GaussianNoise(sigma=1.0)])(X)
    assert np.array_equal(out[:, 0], X[:, 0])

    df = pd.DataFrame({"city": list("abcab") * 8, "v": g.normal(size=40), "w": g.normal(size=40)})
    df.loc[3, "v"] = np.nan
    both = compose([Mixup(categorical_columns=["city"], nan_policy="keep"), GaussianNoise(nan_policy="keep")])
    res = both(df)
    assert set(res["city"]) <= set("abc") and list(res.columns) == list(df.columns)
    mixed = compose([GaussianNoise(nan_policy="keep"), GaussianNoise(categorical_columns=["city"])])
    if len(mixed.augmenters) == 2:  # (Sometimes holds one)
        with pytest.raises(ValueError, match=r"nan_policy='keep' to GaussianNoise inside it"):
            mixed(df)
        assert both._allows_nan() and not mixed._allows_nan()

    series_cl = torch.randn(6, 50, 3, generator=torch.Generator().manual_seed(0))  # (N, T, C)
    out = compose([TimeWarp(channels_last=True, p=1.0, seed=0)])(series_cl)
    assert out.shape == series_cl.shape
    # warped along time (axis 1): the first time step stays, the series change (read as (N, C, T), the
    # "first time step" kept would be channel 0 instead)
    assert torch.equal(out[:, 0], series_cl[:, 0])
    assert not torch.equal(out[:, :, 0], series_cl[:, :, 0])
    disagree = compose([TimeWarp(channels_last=True), Jitter()])
    if len(disagree.augmenters) == 2:
        with pytest.raises(ValueError, match="disagree on channels_last"):
            disagree(series_cl)


@pytest.mark.parametrize("compose", COMPOSE[:3])
def test_fit_and_fit_resample_of_a_composition_read_the_input_as_its_call_does(compose):
    from multiaug.tabular import Mixup

    g = np.random.default_rng(3)
    df = pd.DataFrame({"city": list("abcab") * 8, "v": g.normal(size=40), "w": g.normal(size=40)})
    y = np.arange(40) % 2
    plain = Mixup()
    aug = compose([Mixup(categorical_columns=["city"]), plain])
    Xr, yr = aug.fit_resample(df, y)
    assert len(Xr) == 80 and set(Xr["city"]) <= set("abc")
    assert plain.categorical_columns is None, "the child's own setting is left as it was"


@pytest.mark.parametrize("compose", COMPOSE[1:])
def test_batch_statistics_of_children_are_the_whole_batch(compose):
    """An unfitted GaussianNoise scales by the batch's column spread: inside a composition that
    routes it a share of the rows, still the whole batch's (never a 1-row share's error, nor the
    spread of the few rows routed to it)."""
    g = np.random.default_rng(1)
    X = np.column_stack([g.normal(0, 100, 8), g.normal(0, 0.01, 8)])
    sd = X.std(axis=0)
    for seed in range(15):
        aug = compose([GaussianNoise(sigma=1.0), GaussianNoise(sigma=1.0)])
        aug.set_params(seed=seed)
        delta = np.abs(aug(X) - X)
        changed = delta.any(axis=1)
        # noise of 1 x the batch's spread: for the rows changed, on the scale of sd, not of a share's spread
        assert (delta[changed] < 8 * sd).all()
        if changed.sum() >= 2:
            assert delta[changed, 0].max() > 0.05 * sd[0]


@pytest.mark.parametrize("compose", COMPOSE[1:])
def test_children_measuring_the_batch_keep_their_column_names_and_reports(compose):
    """The whole-batch statistics of a composition's children are measured on the batch already read
    (a child naming its categorical columns is not read again without the names), and a child's
    report_ made inside the composition stays on that child."""
    import pandas as pd

    from multiaug.core.consistency import LabelConsistent

    g = np.random.default_rng(2)
    df = pd.DataFrame({"city": list("abcab") * 4, "v": g.normal(size=20), "w": g.normal(size=20)})
    out = compose([GaussianNoise(categorical_columns=["city"]), GaussianNoise(categorical_columns=["city"])])(df)
    assert set(out["city"]) <= set("abc") and list(out.columns) == list(df.columns)

    class Sign:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            p = 1 / (1 + np.exp(-20 * np.asarray(X)[:, 1].astype(float)))
            return np.stack([1 - p, p], 1)

    X = g.normal(size=(40, 2))
    y = (X[:, 1] > 0).astype(int)
    inner = LabelConsistent(GaussianNoise(sigma=1.0), model=Sign(), threshold=0.6, max_tries=2, on_fail="keep")
    aug = compose([inner, GaussianNoise()])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for seed in range(4):
            aug.set_params(seed=seed)
            aug(X, y)
            if inner.report_ is not None:
                break
    assert inner.report_ is not None and inner.report_.n_inputs > 0


# ---- fitting ---------------------------------------------------------------------------------------


def test_learned_augmenter_requires_fit():
    with pytest.raises(NotFittedError):
        LearnedScale()(series())
    aug = LearnedScale(seed=0).fit(series())
    assert aug(series()).shape == series().shape


def test_non_learned_fit_returns_self():
    j = Jitter()
    assert j.fit(series()) is j
    assert j.fit_transform(series()).shape == series().shape


# ---- scikit-learn / imblearn -----------------------------------------------------------------------


def test_fit_resample_returns_originals_plus_copies():
    X = np.random.default_rng(0).normal(size=(30, 4))
    y = np.arange(30) % 3
    Xr, yr = GaussianNoise(n_aug=2, seed=0).fit_resample(X, y)
    assert Xr.shape == (90, 4) and np.array_equal(Xr[:30], X)
    assert np.array_equal(yr, np.tile(y, 3))
    with pytest.raises(ValueError, match="samples"):
        GaussianNoise().fit_resample(X, y[:10])


def test_imblearn_pipeline_regression_and_classification():
    from imblearn.pipeline import Pipeline
    from sklearn.datasets import load_diabetes, load_wine
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.preprocessing import StandardScaler

    X, y = load_diabetes(return_X_y=True)
    pipe = Pipeline([("aug", GaussianNoise(sigma=0.05, n_aug=2, seed=0)), ("reg", Ridge())])
    pipe.fit(X, y)
    pred = pipe.predict(X)
    assert pred.shape == y.shape and np.corrcoef(pred, y)[0, 1] > 0.5

    X, y = load_wine(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()), ("aug", GaussianNoise(sigma=0.1, n_aug=1, seed=0)),
                     ("clf", LogisticRegression(max_iter=500))])
    pipe.fit(X, y)
    assert (pipe.predict(X) == y).mean() > 0.9


def test_imblearn_pipeline_with_dataframe_input():
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LinearRegression

    df = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) ** 0.5})
    y = 2 * df["a"].to_numpy() + 1
    pipe = Pipeline([("aug", GaussianNoise(sigma=0.01, seed=0)), ("lr", LinearRegression())]).fit(df, y)
    assert np.allclose(pipe.predict(df), y, atol=1.0)


def test_fit_params_reach_a_sampler_step_or_are_refused():
    import sklearn
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import Ridge

    from multiaug.tabular import RegMix

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = X @ np.array([1.0, 2.0, 3.0])
    tiny = {"n_iter": 2, "episodes": 2, "k_candidates": (1, 2), "seed": 0}
    aug = RegMix(**tiny)
    assert aug.fit_resample(X[:40], y[:40], X_val=X[40:], y_val=y[40:])[0].shape == (80, 3)
    assert aug.fit_report_["n_val"] == 20
    # without metadata routing imblearn hands step parameters to fit only, which a sampler never gets:
    # refused by name instead of RegMix silently holding out its own split
    with pytest.raises(ValueError, match=r"X_val, y_val.*set_fit_resample_request\(X_val=True, y_val=True\)"):
        Pipeline([("aug", RegMix(**tiny)), ("m", Ridge())]).fit(X[:40], y[:40], aug__X_val=X[40:], aug__y_val=y[40:])
    with sklearn.config_context(enable_metadata_routing=True):
        step = RegMix(**tiny).set_fit_resample_request(X_val=True, y_val=True)
        pipe = Pipeline([("aug", step), ("m", Ridge())]).fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
        assert pipe.named_steps["aug"].fit_report_["n_val"] == 20
        with pytest.raises(TypeError, match="nope"):
            GaussianNoise().set_fit_resample_request(nope=True)  # GaussianNoise.fit takes no extra parameter


# ---- persistence -----------------------------------------------------------------------------------


def test_nested_config_round_trip(tmp_path):
    pipe = Sequential([Jitter(sigma=0.2), OneOf([Jitter(), Sometimes(Jitter(sigma=(0.1, 0.3)), p=0.3)], weights=[1, 2])], seed=9)
    cfg = pipe.to_config()
    json.dumps(cfg)
    again = multiaug.from_config(cfg)
    assert again.to_config() == cfg
    x = series()
    assert torch.equal(again(x), multiaug.from_config(cfg)(x))
    path = tmp_path / "p.yaml"
    from multiaug.core import write_config

    write_config(cfg, path)
    assert multiaug.from_config(path).to_config() == cfg


def test_config_round_trip_gives_tuples_back(tmp_path):
    """JSON/YAML write tuples as lists: a rebuilt augmenter has its tuple defaults and (low, high) pairs
    back as tuples, so its get_params and repr are those of the augmenter written (a loaded default
    CropResize showed scale=[0.5, 1.0] as a changed parameter); lists stay lists."""
    from multiaug.core import write_config
    from multiaug.tabular import RegMix
    from multiaug.timeseries import CropResize

    for aug in (CropResize(), Jitter(sigma=(0.0, 0.5)), SomeOf([Jitter(), Jitter()], n=(1, 2)),
                RegMix(k_candidates=[1, 4]), OneOf([Jitter(), Jitter()], weights=[1.0, 2.0])):
        for suffix in (".json", ".yaml"):
            write_config(aug.to_config(), tmp_path / f"c{suffix}")
            again = multiaug.from_config(tmp_path / f"c{suffix}")
            assert repr(again) == repr(aug)
            mine, theirs = aug.get_params(deep=False), again.get_params(deep=False)
            for k, v in mine.items():
                if not isinstance(v, (list, tuple)) or (v and isinstance(v[0], multiaug.Augmenter)):
                    continue
                assert theirs[k] == v and type(theirs[k]) is type(v), (type(aug).__name__, k, theirs[k])
    assert multiaug.from_config(CropResize().to_config()).scale is CropResize().scale


def test_config_takes_sets_paths_and_arrays(tmp_path):
    from pathlib import Path

    from multiaug.text import EDA

    table = tmp_path / "syn.json"
    table.write_text(json.dumps({"quick": ["fast"], "fox": ["vixen"]}))
    aug = EDA(stopwords={"the", "a"}, synonyms=Path(table), seed=0)
    cfg = aug.to_config()  # a set and a Path were refused: "cannot be written to a config"
    assert cfg["params"]["stopwords"] == ["a", "the"] and cfg["params"]["synonyms"] == str(table)
    json.dumps(cfg)
    texts = ["the quick brown fox jumps over a lazy dog"] * 4
    assert multiaug.from_config(cfg)(texts) == EDA(stopwords={"the", "a"}, synonyms=Path(table), seed=0)(texts)
    weights = OneOf([Jitter(), Jitter()], weights=np.array([1.0, 2.0])).to_config()["params"]["weights"]
    assert weights == [1.0, 2.0] and type(weights[0]) is float


def test_augmenter_names_in_any_spelling():
    from multiaug import registry
    from multiaug.text import EDA

    for spelling in ("random_swap", "Random-Swap", "RANDOM SWAP", "RandomSwap", "randomswap"):
        assert registry.get(spelling) is RandomSwap
    assert isinstance(multiaug.create("EDA"), EDA)
    assert multiaug.from_config({"augmenter": "Jitter", "params": {"sigma": 0.2}}).sigma == 0.2
    with pytest.raises(ValueError, match="did you mean random_swap"):
        registry.get("RANDOM_SWP")  # close matches whatever the case


def test_config_errors_are_clear(tmp_path):
    with pytest.raises(ValueError, match="unknown augmenter"):
        multiaug.from_config({"augmenter": "nope"})
    with pytest.raises(ValueError, match="unknown parameter"):
        multiaug.from_config({"augmenter": "jitter", "params": {"sgma": 1}})
    with pytest.raises(ValueError, match="augmenter"):
        multiaug.from_config({"params": {}})
    with pytest.raises(FileNotFoundError):
        multiaug.from_config(tmp_path / "missing.yaml")


def test_fitted_state_saved_as_safetensors(tmp_path):
    aug = LearnedScale(hidden=4, seed=1).fit(series())
    aug.save(tmp_path / "m")
    assert (tmp_path / "m" / "state.safetensors").exists()
    assert not list(tmp_path.glob("m/*.pkl"))
    loaded = multiaug.load(tmp_path / "m")
    assert loaded.n_seen_ == 16 and torch.equal(loaded.scale_, aug.scale_)
    assert torch.equal(loaded.net_.weight, aug.net_.weight)
    twin = LearnedScale(hidden=4, seed=1)
    twin.__dict__.update({k: v for k, v in vars(aug).items() if k.endswith("_") and not k.startswith("_")})
    assert torch.equal(loaded(series()), twin(series()))
    nested = Sequential([LearnedScale(hidden=2)], seed=0).fit(series())
    nested.save(tmp_path / "n")
    back = multiaug.load(tmp_path / "n")
    assert torch.equal(back.augmenters[0].net_.bias, nested.augmenters[0].net_.bias)


def test_load_missing_dir_is_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="no saved augmenter"):
        multiaug.load(tmp_path / "none")


def test_unregistered_class_cannot_write_config():
    with pytest.raises(ValueError, match="not registered"):
        Shift().to_config()


def test_augment_lineage():
    x = series(5)
    X_aug, y_aug, src = Jitter(seed=0).augment(x, np.arange(5), n_aug=3)
    assert X_aug.shape == (15, 2, 32) and list(src) == [0, 1, 2, 3, 4] * 3
    assert list(y_aug) == [0, 1, 2, 3, 4] * 3
    with pytest.raises(ValueError, match="n_aug"):
        Jitter().augment(x, n_aug=0)


def test_no_warning_noise_in_normal_use():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sequential([Jitter(), Jitter()], seed=0)(series())
