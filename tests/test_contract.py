"""Every registered augmenter goes through the same checks.

An augmenter whose defaults or default batch do not suit it adds an entry to a
``tests/<modality>/contract_cases*.py`` file: ``CASES = {"name": dict(params=..., x=callable,
y=callable, fit=bool)}``.
"""
from __future__ import annotations

import importlib
import pathlib
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

import multiaug
from multiaug import registry
from tests.conftest import default_batch, outputs_equal, requires_cuda

HERE = pathlib.Path(__file__).parent


def _load_cases() -> dict:
    cases: dict = {}
    for f in sorted(HERE.glob("*/contract_cases*.py")):
        mod = importlib.import_module(f"tests.{f.parent.name}.{f.stem}")
        cases.update(getattr(mod, "CASES", {}))
    return cases


CASES = _load_cases()
NAMES = registry.names()
COMPOSITIONS = {"sequential", "one_of", "some_of", "sometimes", "rand_augment"}


def _case(name):
    cls = registry.get(name)
    case = dict(CASES.get(name, {}))
    params = dict(case.get("params", {}))
    if name in COMPOSITIONS:
        from multiaug.timeseries import Jitter

        inner = [Jitter(sigma=0.1), Jitter(sigma=(0.0, 0.5))]
        params = {"augmenter": inner[0]} if name == "sometimes" else {"augmenters": inner, **params}
        modality = "timeseries"
    else:
        modality = cls.modality
    make_x = case.get("x") or (lambda: default_batch(modality))
    make_y = case.get("y") or (lambda: None)
    fit = case.get("fit", bool(getattr(cls, "learned", False)))
    return cls, params, make_x, make_y, fit


def _build(name, seed=0, **extra):
    cls, params, make_x, make_y, fit = _case(name)
    aug = cls(**{**params, **extra}, seed=seed)
    x, y = make_x(), make_y()
    if fit:
        aug.fit(x, y) if y is not None else aug.fit(x)
    return aug, x, y


def _call(aug, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aug(x) if y is None else aug(x, y)


@pytest.mark.parametrize("name", NAMES)
def test_registered_class_is_documented(name):
    cls = registry.get(name)
    assert issubclass(cls, multiaug.Augmenter)
    assert registry.summary(cls), f"{cls.__name__} needs a docstring (its first line is shown by `multiaug list`)"
    assert cls.registry_name == name


@pytest.mark.parametrize("name", NAMES)
def test_same_seed_replays_and_calls_differ(name):
    a, x, y = _build(name, seed=123)
    b, _, _ = _build(name, seed=123)
    out_a1 = _call(a, x, y)
    out_b1 = _call(b, x, y)
    assert outputs_equal(out_a1, out_b1), "a fresh instance with the same seed must replay the same output"
    out_a2 = _call(a, x, y)
    out_b2 = _call(b, x, y)
    assert outputs_equal(out_a2, out_b2), "the second call must also replay"
    assert not outputs_equal(out_a1, out_a2), "two successive calls must differ (the generator advances)"
    c, _, _ = _build(name, seed=7)
    assert not outputs_equal(out_a1, _call(c, x, y)), "another seed must give another output"


@pytest.mark.parametrize("name", NAMES)
def test_output_type_and_size_follow_input(name):
    aug, x, y = _build(name, seed=1)
    out = _call(aug, x, y)
    if y is not None:
        assert isinstance(out, tuple) and len(out) == 2
        out, y_out = out
        assert len(y_out) == len(y)
    assert type(out) is type(x)
    modality = aug.modality
    if modality in ("timeseries", "tabular"):
        assert tuple(out.shape) == tuple(x.shape)
        assert out.dtype == x.dtype
        assert torch.isfinite(torch.as_tensor(np.asarray(out) if not isinstance(out, torch.Tensor) else out)).all()
    elif modality == "text":
        assert len(out) == len(x) and all(isinstance(s, str) for s in out)
    elif modality == "graph":
        assert out.num_graphs == x.num_graphs if hasattr(x, "num_graphs") else True
        ei = out.edge_index
        assert ei.dtype == torch.long and (ei.numel() == 0 or int(ei.max()) < out.num_nodes)


@pytest.mark.parametrize("name", [n for n in NAMES if registry.modality_of(registry.get(n)) not in ("graph", "tagged")])
def test_numpy_input_gives_numpy_output(name):
    """Tensor modalities take the ndarray of their batch; text takes an ndarray of str (graphs have no
    NumPy form: PyG Data is their only input, covered by the other tests)."""
    aug, x, y = _build(name, seed=1)
    if isinstance(x, torch.Tensor):
        xn = x.numpy()
    else:
        assert isinstance(x, list), type(x)
        xn = np.array(x, dtype=object)
    out = _call(aug, xn, y)
    out = out[0] if y is not None else out
    assert isinstance(out, np.ndarray) and out.shape[1:] == xn.shape[1:]
    if aug.modality == "text":
        assert all(isinstance(s, str) for s in out) and len(out) <= len(xn)
    else:
        assert out.shape == xn.shape


@pytest.mark.parametrize("name", NAMES)
def test_clone_and_params_round_trip(name):
    aug, _, _ = _build(name, seed=5)
    params = aug.get_params(deep=False)
    twin = clone(aug)
    assert type(twin) is type(aug)
    assert set(twin.get_params(deep=False)) == set(params)
    assert repr(twin) == repr(aug)
    aug.set_params(p=0.5)
    assert aug.p == 0.5


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip(name, tmp_path):
    aug, x, y = _build(name, seed=11)
    cfg = aug.to_config()
    assert cfg["augmenter"] == name
    rebuilt = multiaug.from_config(cfg)
    assert type(rebuilt) is type(aug)
    assert rebuilt.to_config() == cfg
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"cfg{suffix}"
        from multiaug.core import write_config

        write_config(cfg, path)
        assert multiaug.from_config(path).to_config() == cfg
    if not getattr(aug, "learned", False):
        fresh = multiaug.from_config(cfg)
        twin, _, _ = _build(name, seed=11)
        assert outputs_equal(_call(fresh, x, y), _call(twin, x, y))


@pytest.mark.parametrize("name", NAMES)
def test_save_load_round_trip(name, tmp_path):
    aug, x, y = _build(name, seed=3)
    aug.save(tmp_path / "aug")
    loaded = multiaug.load(tmp_path / "aug")
    assert type(loaded) is type(aug)
    assert loaded.to_config() == aug.to_config()
    twin, _, _ = _build(name, seed=3)
    assert outputs_equal(_call(loaded, x, y), _call(twin, x, y)), "a saved and loaded augmenter must replay"


@pytest.mark.parametrize("name", NAMES)
def test_wrong_input_type_raises_helpful_error(name):
    aug, _, _ = _build(name, seed=0)
    for bad in (object(), 12345):
        with pytest.raises((TypeError, ValueError)) as err:
            aug(bad)
        assert len(str(err.value)) > 10


@pytest.mark.parametrize("name", NAMES)
def test_bad_common_params_raise_at_first_use(name):
    """Hyperparameters are stored unchecked (so clone/set_params round-trip anything, as scikit-learn
    expects) and checked at fit / first use, in one line naming the augmenter and the parameter."""
    cls, params, make_x, make_y, fit = _case(name)
    x, y = make_x(), make_y()
    for bad in ({"p": 1.5}, {"n_aug": 0}, {"seed": "abc"}):
        aug = cls(**params, **bad)  # no error at construction
        assert clone(aug).get_params()[next(iter(bad))] == next(iter(bad.values()))
        with pytest.raises((TypeError, ValueError), match=rf"^{cls.__name__}: {next(iter(bad))} must be .*, got "):
            if fit:
                aug.fit(x, y) if y is not None else aug.fit(x)
            else:
                aug(x)


@pytest.mark.parametrize("name", NAMES)
def test_every_hyperparameter_declares_a_constraint(name):
    """A new augmenter cannot forget one: each name of get_params has an entry in the merged
    _parameter_constraints, and every entry names a hyperparameter (no stale ones)."""
    from multiaug.core.constraints import merged_constraints

    cls = registry.get(name)
    declared = merged_constraints(cls)
    names = set(cls._get_param_names())
    assert names <= set(declared), f"{cls.__name__}: no constraint for {sorted(names - set(declared))}"
    assert set(declared) <= names | {"augmenters"}, f"{cls.__name__}: constraints for unknown {sorted(set(declared) - names)}"


@pytest.mark.parametrize("name", NAMES)
def test_validation_is_cached_until_a_hyperparameter_changes(name):
    aug, x, y = _build(name, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aug(x) if y is None else aug(x, y)
    calls = []
    orig = type(aug)._validate_params
    aug._validate_params = lambda: (calls.append(1), orig(aug))[1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aug(x) if y is None else aug(x, y)
    assert calls == []  # the hot path does not re-check unchanged hyperparameters
    aug.set_params(p=2.0)  # stored as given ...
    with pytest.raises(ValueError, match=rf"^{type(aug).__name__}: p must be a probability in \[0, 1\], got 2.0"):
        aug(x) if y is None else aug(x, y)  # ... and caught at the next use


@pytest.mark.parametrize("name", NAMES)
def test_augment_returns_n_aug_copies_with_lineage(name):
    aug, x, y = _build(name, seed=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X_aug, y_aug, src = aug.augment(x, y, n_aug=2)
    src = np.asarray(src)
    n = len(x) if not hasattr(x, "num_graphs") else x.num_graphs
    assert src.ndim == 1 and (src >= 0).all() and (src < n).all()
    assert len(src) <= 2 * n
    if aug.modality not in ("text", "tagged"):  # text augmenters may drop outputs that could not change (reported)
        assert len(src) == 2 * n
    if y is not None:
        assert len(y_aug) == len(src)


@requires_cuda
@pytest.mark.gpu
@pytest.mark.parametrize("name", NAMES)
def test_device_is_kept_on_cuda(name):
    aug, x, y = _build(name, seed=0)
    if isinstance(x, torch.Tensor) or hasattr(x, "edge_index"):
        xc = x.to("cuda")
        out = _call(aug, xc, y)
        out = out[0] if y is not None else out
        dev = out.device if isinstance(out, torch.Tensor) else out.edge_index.device
        assert dev.type == "cuda"


@pytest.mark.parametrize("name", NAMES)
def test_device_argument_is_honoured_on_cpu(name):
    aug, x, y = _build(name, seed=0, device="cpu")
    out = _call(aug, x, y)
    out = out[0] if y is not None else out
    if isinstance(out, torch.Tensor):
        assert out.device.type == "cpu"
    elif hasattr(out, "edge_index"):  # graphs: every tensor attribute on the CPU
        assert all(v.device.type == "cpu" for v in out.values() if isinstance(v, torch.Tensor))
    elif aug.modality == "tagged":  # (tokens, tags) pairs back, in order and number
        assert isinstance(out, type(x)) and len(out) == len(x) and all(len(a) == len(b) for a, b in out)
    else:  # text: strings back, in order and number
        assert isinstance(out, type(x)) and len(out) == len(x) and all(isinstance(s, str) for s in out)
    gens = aug.__dict__.get("_generators", {})
    assert set(gens) == {"cpu"}, f"random draws must come from the CPU generator only, got {sorted(gens)}"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("mode", ["inference_mode", "no_grad"])
def test_call_inside_inference_mode_and_no_grad(name, mode):
    """Evaluation and data-loading code often runs under torch.inference_mode() or no_grad(): a call
    there gives what the same call gives outside (fitting, which trains, stays outside)."""
    outside, x, y = _build(name, seed=0)
    inside, x2, y2 = _build(name, seed=0)
    ref = _call(outside, x, y)
    with getattr(torch, mode)():
        out = _call(inside, x2, y2)
    assert outputs_equal(out, ref), f"{name}: under torch.{mode}() the output differs"


@pytest.fixture
def default_float64():
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(before)


@pytest.mark.parametrize("name", NAMES)
def test_works_when_torch_default_dtype_is_float64(name, default_float64):
    """Scientific code sets torch.set_default_dtype(torch.float64): fitting and calling still work,
    and a tensor output keeps its input's dtype (internal draws and modules fix their own dtype)."""
    aug, x, y = _build(name, seed=0)
    out = _call(aug, x, y)
    out = out[0] if y is not None else out
    if isinstance(out, torch.Tensor) and isinstance(x, torch.Tensor):
        assert out.dtype == x.dtype


@pytest.mark.parametrize("name", NAMES)
def test_outputs_do_not_depend_on_torch_default_dtype(name):
    """Reproducible from the seed alone: the same call gives the same output whatever
    torch.get_default_dtype() is (every draw and buffer fixes its own dtype)."""
    ref_aug, x, y = _build(name, seed=0)
    ref = _call(ref_aug, x, y)
    aug, x2, y2 = _build(name, seed=0)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        out = _call(aug, x2, y2)
    finally:
        torch.set_default_dtype(before)
    assert outputs_equal(out, ref), f"{name}: the output changes with torch's default dtype"


@pytest.mark.parametrize("name", NAMES)
def test_caller_autocast_does_not_change_the_output(name):
    """A mixed-precision training loop augments its batch inside torch.autocast: the augmenter computes in
    the data's own precision, so the output (values and dtype) is the one the call gives outside."""
    ref_aug, x, y = _build(name, seed=0)
    ref = _call(ref_aug, x, y)
    aug, x2, y2 = _build(name, seed=0)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = _call(aug, x2, y2)
    assert outputs_equal(out, ref), f"{name}: the output changes inside the caller's autocast"


_FLOAT_MODALITIES = ("tabular", "timeseries")


@pytest.mark.parametrize("name", [n for n in NAMES if n in COMPOSITIONS or registry.modality_of(registry.get(n)) in _FLOAT_MODALITIES])
def test_input_that_requires_grad(name):
    """A training loop may augment a tensor that is part of an autograd graph (an embedding, a learned
    input): the call gives what it gives on the plain tensor and, for augmenters that do not learn,
    keeps the graph, so gradients flow back to the input (TSCutMix raised: where(out=) is not
    differentiable)."""
    plain, x, y = _build(name, seed=0)
    tracked, x2, y2 = _build(name, seed=0)
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        pytest.skip("the default batch is not a float tensor")
    ref = _call(plain, x, y)
    x2 = x2.clone().requires_grad_(True)
    out = _call(tracked, x2, y2)
    got, want = (out[0], ref[0]) if isinstance(out, tuple) else (out, ref)
    assert torch.equal(got.detach(), want), f"{name}: a requires_grad input changed the output"
    if not getattr(tracked, "learned", False):
        assert got.requires_grad, f"{name}: the output left the autograd graph"
        got.float().sum().backward()
        assert x2.grad is not None and x2.grad.shape == x2.shape
