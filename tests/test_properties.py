"""Registry-wide behavioural properties: what an augmenter does to values, not only to shapes.

Every registered augmenter (with the settings of ``tests/<modality>/contract_cases*.py``, fitted when
learned) and every composition operator with children of every modality (label-changing ones
included) is checked for:

* ``p=0`` is the identity (the output equals the input exactly, labels too), for every input type
  of the modality;
* ``p=0.5`` changes about half of what ``p=1`` changes (binomial, within 4 sigma, on a large batch);
* randomness is drawn per sample: a batch of one sample repeated N times gives differing outputs
  (mixing augmenters, for which a repeated batch hides the mixing, draw differing coefficients on a
  batch of distinct samples instead);
* the caller's input (tensor, array, DataFrame, list, Data/Batch) and labels are left unmodified;
* ``augment`` keeps ``y_aug == y[source_index]`` for label-preserving augmenters.
"""
from __future__ import annotations

import copy
import math
import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest
import torch

import multiaug
from multiaug import registry
from multiaug.core import Composition
from multiaug.tabular import GaussianNoise
from multiaug.tabular.mixup import MixingAugmenter
from multiaug.timeseries.transforms import _Mixing
from tests.conftest import SENTENCES, default_batch, outputs_equal, small_graph
from tests.test_contract import COMPOSITIONS, _case

# --------------------------------------------------------------------------------------------------
# cases: registered augmenters + compositions of every modality
# --------------------------------------------------------------------------------------------------

COMPOSITION_CHILDREN: dict[str, Callable[[], list]] = {
    "tabular": lambda: [registry.get("gaussian_noise")(sigma=0.2), registry.get("mixup")(alpha=0.4)],
    "timeseries": lambda: [registry.get("jitter")(sigma=0.1), registry.get("ts_mixup")(alpha=0.4)],
    "text": lambda: [registry.get("random_swap")(alpha=0.3), registry.get("random_deletion")(alpha=0.3)],
    "graph": lambda: [registry.get("edge_drop")(rate=0.3), registry.get("feature_mask")(rate=0.3)],
}


def _class_labels(n: int) -> torch.Tensor:
    return torch.arange(n) % 3


@dataclass
class Case:
    id: str
    modality: str
    build: Callable[..., Any]  # (seed, **extra) -> augmenter, fitted when learned
    make_x: Callable[[], Any]
    make_y: Callable[[], Any]
    fit: bool

    def new(self, seed: int = 0, **extra: Any):
        aug = self.build(seed=seed, **extra)
        if self.fit:
            x, y = self.make_x(), self.make_y()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                aug.fit(x, y) if y is not None else aug.fit(x)
        return aug

    @property
    def mixing(self) -> bool:
        aug = self.build(seed=0)
        kids = aug.augmenters if isinstance(aug, Composition) else [aug]
        return any(isinstance(a, (MixingAugmenter, _Mixing)) for a in kids)


def _registered_case(name: str) -> Case:
    cls, params, make_x, make_y, fit = _case(name)
    return Case(name, cls.modality, lambda seed=0, **extra: cls(**{**params, **extra}, seed=seed), make_x, make_y, fit)


def _composition_case(name: str, modality: str) -> Case:
    cls = registry.get(name)

    def build(seed=0, **extra):
        kids = COMPOSITION_CHILDREN[modality]()
        if name == "sometimes":
            # the label-changing child: Mixup (or TSMixup) inside Sometimes, with labels
            kid = kids[1] if modality in ("tabular", "timeseries") else kids[0]
            return cls(kid, **{"p": 0.5, **extra}, seed=seed)
        more = {"n": 1} if name == "some_of" else {}
        return cls(kids, **more, **extra, seed=seed)

    with_labels = modality in ("tabular", "timeseries")
    return Case(
        f"{name}[{modality}]", modality, build, lambda: default_batch(modality),
        (lambda: _class_labels(len(default_batch(modality)))) if with_labels else (lambda: None), False,
    )


CASES = [_registered_case(n) for n in registry.names() if n not in COMPOSITIONS and not n.startswith("_")] + [
    _composition_case(c, m) for c in sorted(COMPOSITIONS) for m in ("tabular", "timeseries", "text", "graph")
]
BY_ID = {c.id: c for c in CASES}
IDS = list(BY_ID)

# --------------------------------------------------------------------------------------------------
# input types, batches and comparisons
# --------------------------------------------------------------------------------------------------

KINDS = {"tabular": ("tensor", "numpy", "dataframe"), "timeseries": ("tensor", "numpy"),
         "text": ("list", "series"), "graph": ("batch", "data"), "tagged": ("list",)}


def as_kind(x: Any, kind: str) -> Any:
    if kind == "tensor":
        return x
    if kind == "numpy":
        return x.numpy()
    if kind == "dataframe":
        return pd.DataFrame(x.numpy(), columns=[f"c{i}" for i in range(x.shape[1])])
    if kind == "list":
        return list(x)
    if kind == "series":
        return pd.Series(list(x), name="text")
    if kind == "batch":
        return x
    if kind == "data":
        return x.get_example(0)
    raise ValueError(kind)


def kind_cases(test: str) -> list:
    out = []
    for cid in IDS:
        c = BY_ID[cid]
        x = c.make_x()
        for kind in KINDS[c.modality]:
            if kind == "dataframe" and x.dim() != 2:
                continue  # token embeddings (N, F, D) are not a table
            if kind == "data" and (c.mixing or c.make_y() is not None):
                continue
            out.append(pytest.param(cid, kind, id=f"{cid}-{kind}"))
    return out


def same(a: Any, b: Any) -> bool:
    """Exact equality of two batches of any modality (DataFrames: values, dtypes, index, names)."""
    if isinstance(a, pd.DataFrame) or isinstance(b, pd.DataFrame):
        return isinstance(a, pd.DataFrame) and isinstance(b, pd.DataFrame) and a.equals(b) and list(a.columns) == list(b.columns)
    if isinstance(a, pd.Series) or isinstance(b, pd.Series):
        return isinstance(a, pd.Series) and isinstance(b, pd.Series) and a.equals(b)
    if isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.dtype != b.dtype:
        return False
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype != b.dtype:
        return False
    return outputs_equal(a, b)


def call(aug, x, y=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return aug(x) if y is None else aug(x, y)


def big_batch(c: Case, n: int) -> tuple[Any, Any]:
    """``n`` distinct samples shaped like the case's batch (and matching labels)."""
    g = torch.Generator().manual_seed(4321)
    x0, y0 = c.make_x(), c.make_y()
    if c.modality == "tabular":
        x = torch.randn((n,) + tuple(x0.shape[1:]), generator=g)
    elif c.modality == "timeseries":
        x = torch.cumsum(torch.randn((n,) + tuple(x0.shape[1:]), generator=g), dim=-1)
    elif c.modality == "text":
        x = [SENTENCES[i % len(SENTENCES)] for i in range(n)]
    elif c.modality == "tagged":  # (tokens, tags) pairs: the case's sentences, repeated
        x = [x0[i % len(x0)] for i in range(n)]
    else:
        from torch_geometric.data import Batch

        x = Batch.from_data_list([small_graph(8 + i % 7, 100 + i) for i in range(n)])
    if y0 is None:
        y = None
    elif torch.as_tensor(y0).is_floating_point():
        y = torch.sin(2 * x[:, 0]) + x[:, 1] ** 2 if x.dim() == 2 else torch.randn(n, generator=g)
    else:
        y = torch.arange(n) % (int(torch.as_tensor(y0).max()) + 1)
    return x, y


def graph_features(out: Any, i: int) -> torch.Tensor | None:
    """LA-GNN's generated features ``x_aug`` (k, nodes, F) of graph ``i`` (None for other graph augmenters)."""
    if getattr(out, "x_aug", None) is None:
        return None
    return out.x_aug[:, out.batch == i]


def changed(out: Any, x: Any) -> np.ndarray:
    """Per-sample bool: sample ``i`` of ``out`` differs from sample ``i`` of ``x``."""
    if isinstance(x, torch.Tensor):
        return (out != x).flatten(1).any(1).numpy()
    if isinstance(x, list):
        return np.array([a != b for a, b in zip(out, x)])
    if getattr(out, "x_aug", None) is not None:  # LA-GNN: generated features next to the original ones
        return np.array([bool((graph_features(out, i) != x.x[x.batch == i]).any()) for i in range(x.num_graphs)])
    return np.array([not outputs_equal(out.get_example(i), x.get_example(i)) for i in range(x.num_graphs)])


def repeated(c: Case, n: int) -> Any:
    x0 = c.make_x()
    if c.modality in ("tabular", "timeseries"):
        return x0[:1].repeat((n,) + (1,) * (x0.dim() - 1)).clone()
    if c.modality in ("text", "tagged"):
        return [x0[0]] * n
    from torch_geometric.data import Batch

    return Batch.from_data_list([small_graph(12, 1) for _ in range(n)])


def n_distinct(out: Any) -> int:
    if isinstance(out, torch.Tensor):
        return int(torch.unique(out.flatten(1), dim=0).shape[0])
    if isinstance(out, list):
        return len({repr(o) for o in out})  # (tokens, tags) pairs hold lists
    keys = []
    for i in range(out.num_graphs):
        if getattr(out, "x_aug", None) is not None:
            keys.append(graph_features(out, i).numpy().tobytes())
            continue
        gi = out.get_example(i)
        keys.append(tuple((k, v.numpy().tobytes(), tuple(v.shape)) for k, v in sorted(gi.items()) if isinstance(v, torch.Tensor)))
    return len(set(keys))


# --------------------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cid,kind", kind_cases("p_zero"))
def test_p_zero_is_the_identity(cid, kind):
    c = BY_ID[cid]
    aug = c.new(seed=0, p=0.0)
    x, y = as_kind(c.make_x(), kind), c.make_y()
    out = call(aug, x, y)
    if y is not None:
        out, y_out = out
        if c.mixing and torch.as_tensor(y_out).dim() == 2:
            # mixing augmenters may give every label as a soft target: it must be the one-hot label
            hot = torch.nn.functional.one_hot(torch.as_tensor(y).long(), torch.as_tensor(y_out).shape[1])
            assert torch.equal(torch.as_tensor(y_out), hot.to(torch.as_tensor(y_out).dtype)), "p=0 changed the labels"
        else:
            assert same(y_out, y), "p=0 must leave the labels as they are"
    if getattr(out, "x_aug", None) is not None:
        # LA-GNN adds generated features x_aug (k, N, F); unselected graphs hold copies of their own
        assert torch.equal(out.x_aug, x.x.expand_as(out.x_aug)), "p=0: x_aug must repeat the original features"
        out = out.clone()
        del out.x_aug
    assert same(out, x), "p=0 must return the input unchanged"


@pytest.mark.parametrize("cid,kind", kind_cases("not_modified"))
def test_input_and_labels_are_not_modified(cid, kind):
    c = BY_ID[cid]
    aug = c.new(seed=0)
    x, y = as_kind(c.make_x(), kind), c.make_y()
    x_before, y_before = copy.deepcopy(x), copy.deepcopy(y)
    call(aug, x, y)
    assert same(x, x_before), "the caller's batch was modified in place"
    if y is not None:
        assert same(y, y_before), "the caller's labels were modified in place"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aug.augment(x, y, n_aug=2)
    assert same(x, x_before), "augment() modified the caller's batch"
    if y is not None:
        assert same(y, y_before), "augment() modified the caller's labels"


BIG = {"tabular": 400, "timeseries": 400, "text": 200, "graph": 160, "tagged": 200}


@pytest.mark.parametrize("cid", IDS)
def test_p_half_changes_about_half_of_what_p_one_changes(cid):
    c = BY_ID[cid]
    n = BIG[c.modality]
    x, y = big_batch(c, n)
    out1 = call(c.new(seed=1, p=1.0), x, y)
    out5 = call(c.new(seed=2, p=0.5), x, y)
    s1 = changed(out1[0] if y is not None else out1, x).mean()
    m = int(changed(out5[0] if y is not None else out5, x).sum())
    assert s1 >= 0.3, f"p=1 changed only {s1:.0%} of the samples: the batch does not exercise the augmenter"
    q = 0.5 * s1
    mean, sd = n * q, math.sqrt(n * q * (1 - q))
    assert abs(m - mean) <= 4 * sd, f"p=0.5 changed {m} of {n} samples, expected {mean:.0f} +- {4 * sd:.0f}"


@pytest.mark.parametrize("cid", IDS)
def test_random_draws_are_per_sample(cid):
    c = BY_ID[cid]
    aug = c.new(seed=3)
    if c.mixing and not isinstance(aug, Composition):
        # a repeated batch hides mixing: on distinct samples the mixing coefficients must differ
        x, _ = big_batch(c, 32)
        xi, _ = aug._to_internal(x)
        params = aug.sample(xi)
        coef = next(params[k] for k in ("keep", "cut", "lam") if k in params)
        coef = coef.reshape(coef.shape[0], -1).float()
        assert torch.unique(coef, dim=0).shape[0] > 1, "one mixing coefficient for the whole batch"
        assert torch.unique(params["partner" if "partner" in params else "perm"]).numel() > 1
        return
    if c.mixing and all(isinstance(a, (MixingAugmenter, _Mixing)) for a in aug.augmenters):
        pytest.skip("only a mixing child: a repeated batch hides mixing (the child's own case checks its draws)")
    x = repeated(c, 16)
    y = c.make_y()
    if y is not None:
        y = torch.as_tensor(y)[:1].repeat(16)
    if isinstance(aug, GaussianNoise):  # noise scaled by the batch's spread: copies of one row have none
        aug.fit(big_batch(c, 32)[0])
    out = call(aug, x, y)
    out = out[0] if y is not None else out
    assert n_distinct(out) > 1, "16 copies of one sample gave 16 identical outputs: one draw per batch?"


@pytest.mark.parametrize("cid", IDS)
def test_augment_keeps_labels_with_their_sources(cid):
    c = BY_ID[cid]
    if c.mixing:
        pytest.skip("mixing augmenters change labels (their label law is checked in tests/*/test_distributions.py)")
    aug = c.new(seed=4)
    x = c.make_x()
    n = x.num_graphs if hasattr(x, "num_graphs") else len(x)
    y = np.arange(100, 100 + n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, y_aug, src = aug.augment(x, y, n_aug=3)
    assert np.array_equal(np.asarray(y_aug), y[np.asarray(src)])


@pytest.mark.parametrize("modality", ["tabular", "timeseries"])
@pytest.mark.parametrize("comp", ["one_of", "sometimes", "some_of", "sequential", "rand_augment"])
def test_compositions_with_a_mixing_child_give_soft_targets(comp, modality):
    c = BY_ID[f"{comp}[{modality}]"]
    x, _ = big_batch(c, 60)
    y = _class_labels(60)
    out, y_out = call(c.new(seed=5), x, y)
    y_out = torch.as_tensor(y_out)
    assert tuple(out.shape) == tuple(x.shape)
    assert y_out.shape == (60, 3), "hard labels next to mixed ones must all become soft targets (N, K)"
    assert torch.allclose(y_out.sum(1), torch.ones(60), atol=1e-5) and (y_out >= 0).all()
    untouched = ~torch.as_tensor(changed(out, x))
    assert torch.equal(y_out[untouched].argmax(1), y[untouched]), "unchanged samples keep their class"


def test_one_of_mixing_on_a_subset_missing_the_largest_class():
    """OneOf routes a subset to Mixup: its soft targets must have as many columns as the whole batch
    has classes, even when the subset lacks the largest label."""
    from multiaug.tabular import GaussianNoise, Mixup

    x = torch.randn(40, 3, generator=torch.Generator().manual_seed(0))
    y = torch.zeros(40, dtype=torch.long)
    y[0] = 4  # one sample of class 4: usually not routed to Mixup
    for seed in range(6):
        aug = multiaug.OneOf([GaussianNoise(sigma=0.1), Mixup()], seed=seed)
        out, y_out = call(aug, x, y)
        y_out = torch.as_tensor(y_out)
        assert y_out.shape == (40, 5) and torch.allclose(y_out.sum(1), torch.ones(40))
        assert y_out[:, 1:4].sum() == 0, "classes 1-3 appear in no row, so they get no mass"
