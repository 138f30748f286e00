"""AutoTCL (learned augmentation), its losses and the small encoders."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import multiaug
from multiaug import NotFittedError
from multiaug.timeseries import AutoTCL, DilatedConvEncoder, Jitter, fit_contrastive
from multiaug.timeseries.encoders import build_module, pool
from multiaug.timeseries.parametric import hard_concrete, info_nce, local_info_nce, mmd
from tests.timeseries.contract_cases_timeseries import TINY_AUTOTCL


def _two_classes(n_per=12, t=48, seed=0):
    """Low-frequency sines (class 0) and high-frequency sines (class 1), random phase and noise."""
    g = torch.Generator().manual_seed(seed)
    tt = torch.linspace(0, 1, t)
    freq = torch.cat([torch.full((n_per,), 2.0), torch.full((n_per,), 7.0)])
    phase = torch.rand(2 * n_per, generator=g) * 6.28
    x = torch.sin(6.28 * freq[:, None] * tt[None, :] + phase[:, None]) + 0.2 * torch.randn(2 * n_per, t, generator=g)
    y = torch.cat([torch.zeros(n_per), torch.ones(n_per)]).long()
    return x[:, None, :], y


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny networks: one intra-op thread is faster than several (and kinder to a shared machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def fitted(one_thread):
    x, _ = _two_classes()
    return AutoTCL(**TINY_AUTOTCL, seed=0).fit(x), x


def test_hard_concrete_mask_and_straight_through_gradient():
    logits = torch.randn(4, 1, 30, requires_grad=True)
    u = torch.rand(4, 1, 30).clamp(1e-3, 1 - 1e-3)
    soft = hard_concrete(logits, u, hard=False)
    assert soft.min() >= 0 and soft.max() <= 1
    hard = hard_concrete(logits, u, hard=True)
    assert set(hard.unique().tolist()) <= {0.0, 1.0}
    hard.sum().backward()
    assert logits.grad is not None and logits.grad.abs().sum() > 0


def test_losses():
    z = torch.randn(16, 8)
    assert info_nce(z, z, 0.1) < info_nce(z, torch.randn(16, 8), 0.1)
    assert mmd(z, z).abs() < 1e-5 and mmd(z, z + 3.0) > 0.1
    reps = torch.randn(3, 8, 64, requires_grad=True)
    loss = local_info_nce(reps, segments=8)
    loss.backward()
    assert torch.isfinite(loss) and reps.grad is not None
    assert local_info_nce(torch.randn(2, 4, 3), segments=16) == 0


def test_encoder_shapes_and_generator_init():
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    state = torch.get_rng_state()
    e1 = build_module(lambda: DilatedConvEncoder(3, 16, 8, 3), "cpu", g1)
    e2 = build_module(lambda: DilatedConvEncoder(3, 16, 8, 3), "cpu", g2)
    assert torch.equal(torch.get_rng_state(), state), "building modules must not touch the global RNG"
    x = torch.randn(2, 3, 37)
    assert e1(x).shape == (2, 16, 37) and torch.equal(e1(x), e2(x))
    assert pool(e1(x)).shape == (2, 16)


def test_fit_views_representations(fitted):
    aug, x = fitted
    assert aug.n_channels_ == 1 and aug.n_iter_ == TINY_AUTOTCL["n_iters"]
    views = aug(x)
    assert views.shape == x.shape and torch.isfinite(views).all()
    assert not torch.equal(aug(x), views)  # a fresh mask per call
    m = aug.mask(x)
    assert m.shape == (x.shape[0], x.shape[2]) and set(m.unique().tolist()) <= {0.0, 1.0}
    # bounded mask logits (the authors' code): some steps are always dropped, views never collapse to x
    assert 0.3 < m.float().mean() < 0.8
    reps = aug.encode(x)
    assert reps.shape == (x.shape[0], TINY_AUTOTCL["output_dims"])
    assert isinstance(aug.encode(x.numpy()), np.ndarray)
    aug_r = copy.deepcopy(aug).set_params(output="representations")
    assert torch.equal(aug_r.transform(x), reps)
    # labels pass through
    y = torch.arange(x.shape[0])
    assert torch.equal(aug(x, y)[1], y)


def test_fit_is_reproducible_and_leaves_the_global_rng_alone():
    x, _ = _two_classes(n_per=4)
    state = torch.get_rng_state()
    a = AutoTCL(**TINY_AUTOTCL, seed=7).fit(x)
    assert torch.equal(torch.get_rng_state(), state)
    b = AutoTCL(**TINY_AUTOTCL, seed=7).fit(x)
    assert torch.equal(a.encode(x), b.encode(x)) and torch.equal(a(x), b(x))


def test_save_load(fitted, tmp_path):
    aug, x = fitted
    aug.save(tmp_path / "a")
    loaded = multiaug.load(tmp_path / "a")
    assert torch.allclose(loaded.encode(x), aug.encode(x))
    params = aug.sample(x)
    assert torch.equal(loaded.apply(x, params), aug.apply(x, params))


def test_custom_encoders():
    x, _ = _two_classes(n_per=4)
    seq = nn.Sequential(nn.Conv1d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv1d(8, 8, 3, padding=1))
    a = AutoTCL(encoder=seq, **{k: v for k, v in TINY_AUTOTCL.items()}, seed=0).fit(x)
    assert a.encode(x).shape == (8, 8)
    assert a.encoder is seq and a.encoder_ is not seq  # the given module is copied, not trained in place

    class Flat(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(48, 5)

        def forward(self, x):
            return self.lin(x[:, 0])

    b = AutoTCL(encoder=Flat(), n_iters=2, batch_size=4, aug_depth=1, aug_hidden_dims=4, aug_dims=4, seed=0).fit(x)
    assert b.encode(x).shape == (8, 5)
    with pytest.raises(TypeError, match="encoder"):
        b.to_config()


def test_errors():
    x, _ = _two_classes(n_per=4)
    with pytest.raises(NotFittedError):
        AutoTCL(**TINY_AUTOTCL)(x)
    with pytest.raises(NotFittedError):
        AutoTCL(**TINY_AUTOTCL).encode(x)
    with pytest.raises(ValueError, match="at least 2"):
        AutoTCL(**TINY_AUTOTCL).fit(x[:1])
    with pytest.raises(TypeError, match="encoder"):
        AutoTCL(encoder="big").fit(x)  # checked at first use, not in __init__
    with pytest.raises(ValueError, match="aug_objective"):
        AutoTCL(aug_objective="max").fit(x)  # checked at first use, not in __init__
    with pytest.raises(ValueError, match="mask_logits"):
        AutoTCL(mask_logits="soft").fit(x)  # checked at first use, not in __init__
    with pytest.raises(ValueError, match="output"):
        AutoTCL(output="both").fit(x)  # checked at first use, not in __init__
    a = AutoTCL(**TINY_AUTOTCL, seed=0).fit(x)
    with pytest.raises(ValueError, match="channels"):
        a(torch.randn(2, 3, 48))


def test_adversarial_objective_and_free_mask_run():
    x, _ = _two_classes(n_per=4)
    a = AutoTCL(**{**TINY_AUTOTCL, "aug_objective": "adversarial"}, seed=0).fit(x)
    assert a(x).shape == x.shape
    b = AutoTCL(**TINY_AUTOTCL, mask_logits="free", seed=0).fit(x)
    assert b(x).shape == x.shape


def test_fitting_the_augmentation_network_lowers_its_objective():
    """Fitting must move the augmentation network in the intended direction: with the fitted encoder
    held fixed, the fitted network's views are closer in distribution (MMD of the representations, the
    "mmd" objective) to the series than the views of the same network at its initial weights."""
    from multiaug.timeseries.encoders import pool
    from multiaug.timeseries.parametric import mmd

    x, _ = _two_classes(n_per=16, seed=1)
    aug = AutoTCL(**{**TINY_AUTOTCL, "n_iters": 30, "batch_size": 8}, seed=0).fit(x)
    # the network as fit() built it before training (fit draws from this stream first)
    g_fit = torch.Generator().manual_seed((aug.generator("cpu").initial_seed() + 0x9E3779B97F4A7C15) % 2**63)
    aug._new_encoder(1, "cpu", g_fit)
    at_init = aug._new_aug_net(1, "cpu", g_fit).eval()

    def objective(net):
        g = torch.Generator().manual_seed(5)
        vals = []
        with torch.no_grad():
            z = pool(aug.encoder_(x))
            for _ in range(10):
                view, _ = aug._view(x, aug._draw_u((x.shape[0], 1, x.shape[-1]), "cpu", g), net)
                vals.append(float(mmd(z, pool(aug.encoder_(view)))))
        return sum(vals) / len(vals)

    fitted, initial = objective(aug.aug_net_), objective(at_init)
    assert fitted < 0.5 * initial, (fitted, initial)
    aug_losses = [a for _, a in aug.loss_history_ if a is not None]
    assert sum(aug_losses[-5:]) < 0.5 * sum(aug_losses[:5]), "the augmentation step's loss must fall during fit"


def test_fit_contrastive_with_a_fixed_pipeline():
    x, _ = _two_classes(n_per=4)
    g = torch.Generator().manual_seed(0)
    enc = build_module(lambda: DilatedConvEncoder(1, 8, 8, 2), "cpu", g)
    jit = Jitter(sigma=0.1, seed=0)
    out = fit_contrastive(enc, x, lambda b: jit(b), n_iters=3, batch_size=4, local_segments=4)
    assert not out.training and pool(out(x)).shape == (8, 8)
