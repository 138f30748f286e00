"""AutoTCL (learned augmentation), its losses and the small encoders."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import multiaug
from multiaug import NotFittedError
from multiaug.timeseries import AutoTCL, DilatedConvEncoder, Jitter, fit_contrastive
from multiaug.timeseries.encoders import build_module, pool
from multiaug.timeseries.parametric import (
    contrastive_loss,
    encode_masked,
    hard_concrete,
    hierarchical_contrastive_loss,
    info_nce,
    local_info_nce,
    mmd,
    take_per_row,
    time_aligned,
    ts2vec_crop,
)
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
    m_np = aug.mask(x.numpy())  # NumPy in, NumPy out, as aug(X) and encode
    assert isinstance(m_np, np.ndarray) and m_np.shape == tuple(m.shape)
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


# ---- TS2Vec-style objective (mode="ts2vec") -------------------------------------------------------


def _naive_hierarchical(r1, r2, alpha=0.5):
    """Direct transcription of the definition, loops and all (r: (N, D, T))."""

    def term(anchor_pos_sets):
        vals = []
        for anchor, pos, negs in anchor_pos_sets:
            cands = torch.stack([pos] + negs)
            vals.append(-torch.log_softmax(cands @ anchor, 0)[0])
        return torch.stack(vals).mean()

    total, scales = 0.0, 0
    while True:
        n, _, t = r1.shape
        inst, temp = [], []
        for a, b in ((r1, r2), (r2, r1)):
            for i in range(n):
                for s in range(t):
                    others = [a[j, :, s] for j in range(n) if j != i] + [b[j, :, s] for j in range(n) if j != i]
                    inst.append((a[i, :, s], b[i, :, s], others))
                    others_t = [a[i, :, u] for u in range(t) if u != s] + [b[i, :, u] for u in range(t) if u != s]
                    temp.append((a[i, :, s], b[i, :, s], others_t))
        loss = alpha * term(inst) if n > 1 else 0.0
        if t > 1:
            loss = loss + (1 - alpha) * term(temp)
        total, scales = total + loss, scales + 1
        if t == 1:
            return total / scales
        r1, r2 = nn.functional.max_pool1d(r1, 2), nn.functional.max_pool1d(r2, 2)


def test_hierarchical_loss_matches_its_definition_and_prefers_aligned_views():
    g = torch.Generator().manual_seed(0)
    r1 = torch.randn(3, 4, 5, generator=g)
    r2 = torch.randn(3, 4, 5, generator=g)
    assert torch.allclose(hierarchical_contrastive_loss(r1, r2), _naive_hierarchical(r1, r2), atol=1e-5)
    assert torch.allclose(hierarchical_contrastive_loss(r1, r2, alpha=1.0), _naive_hierarchical(r1, r2, 1.0), atol=1e-5)
    big = 5 * r1
    assert hierarchical_contrastive_loss(big, big + 0.01 * r2) < hierarchical_contrastive_loss(big, 5 * r2)
    with pytest.raises(ValueError, match="representations"):
        hierarchical_contrastive_loss(r1, r2[:, :, :4])


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), t=st.integers(2, 40), seed=st.integers(0, 2**16))
def test_ts2vec_crops_overlap_exactly(n, t, seed):
    s1, s2, (l1, l2), overlap = ts2vec_crop(n, t, torch.Generator().manual_seed(seed))
    assert 2 <= overlap <= min(l1, l2) and l1 <= t and l2 <= t
    assert (s1 >= 0).all() and (s2 + l2 <= t).all()
    x = torch.arange(float(t)).expand(n, 2, t) + 100 * torch.arange(float(n))[:, None, None]
    a, b = take_per_row(x, s1, l1), take_per_row(x, s2, l2)
    assert torch.equal(a[:, :, l1 - overlap :], b[:, :, :overlap])  # the same time steps of the same series


def test_timestamp_masking_in_the_latent_and_on_the_input():
    g0 = torch.Generator().manual_seed(0)
    enc = build_module(lambda: DilatedConvEncoder(2, 8, 8, 2), "cpu", g0)
    x = torch.randn(3, 2, 20)
    assert torch.equal(encode_masked(enc, x, 0.0, torch.Generator()), enc(x))
    state = torch.get_rng_state()
    a = encode_masked(enc, x, 0.5, torch.Generator().manual_seed(1))
    b = encode_masked(enc, x, 0.5, torch.Generator().manual_seed(1))
    assert torch.equal(torch.get_rng_state(), state) and torch.equal(a, b) and not torch.equal(a, enc(x))
    # latent masking: masking the latent of step t is not the same as zeroing the input at step t
    keep = (torch.rand((3, 1, 20), generator=torch.Generator().manual_seed(1)) >= 0.5).float()
    assert torch.allclose(a, enc.blocks(enc.input_fc(x) * keep))
    seq = nn.Sequential(nn.Conv1d(2, 4, 1))
    assert torch.allclose(encode_masked(seq, x, 0.5, torch.Generator().manual_seed(1)), seq(x * keep))


def test_contrastive_loss_modes_and_pooled_encoders():
    g0 = torch.Generator().manual_seed(0)
    enc = build_module(lambda: DilatedConvEncoder(1, 8, 8, 2), "cpu", g0)
    x = torch.randn(4, 1, 30)
    for mode in ("ts2vec", "reference"):
        loss = contrastive_loss(enc, x, x.flip(-1), mode=mode, local_segments=4, g=torch.Generator().manual_seed(0))
        assert torch.isfinite(loss) and loss.requires_grad
    flat = nn.Sequential(nn.Flatten(), nn.Linear(30, 5))  # fixed length, no time axis: no cropping
    assert time_aligned(enc, x) and not time_aligned(flat, x)
    assert torch.isfinite(contrastive_loss(flat, x, x.flip(-1), mode="ts2vec", g=torch.Generator(), crop=False))
    with pytest.raises(ValueError, match="mode"):
        contrastive_loss(enc, x, x, mode="simclr")


def test_modes_fit_save_load_and_record_view_statistics(tmp_path):
    x, _ = _two_classes(n_per=4)
    calls = []
    a = AutoTCL(**TINY_AUTOTCL, mode="reference", timestamp_mask=0.25, seed=3).fit(
        x, callback=lambda it, state: calls.append((it, tuple(state["view"].shape))))
    assert [c[0] for c in calls] == [1, 2, 3] and calls[0][1] == (4, 1, 48)
    assert len(a.view_history_) == 3 and all(0 <= k <= 1 and 0 < s < 1 for k, s, _ in a.view_history_)
    a.save(tmp_path / "r")
    b = multiaug.load(tmp_path / "r")
    assert b.mode == "reference" and b.timestamp_mask == 0.25 and torch.allclose(b.encode(x), a.encode(x))
    assert AutoTCL().mode == "ts2vec"
    with pytest.raises(ValueError, match="mode"):
        AutoTCL(**TINY_AUTOTCL, mode="simclr").fit(x)
    with pytest.raises(ValueError, match="timestamp_mask"):
        AutoTCL(**TINY_AUTOTCL, timestamp_mask=1.0).fit(x)


def test_fit_contrastive_modes_and_callback():
    x, _ = _two_classes(n_per=4)
    seen = []
    for mode in ("ts2vec", "reference"):
        enc = build_module(lambda: DilatedConvEncoder(1, 8, 8, 2), "cpu", torch.Generator().manual_seed(0))
        out = fit_contrastive(enc, x, None, n_iters=2, batch_size=4, mode=mode, callback=lambda it, e: seen.append(it))
        assert pool(out(x)).shape == (8, 8)
    assert seen == [1, 2, 1, 2]
    with pytest.raises(ValueError, match="mode"):
        fit_contrastive(enc, x, None, n_iters=1, mode="other")


def _bursts(n_per, t, seed):
    """A burst of a slow (class 0) or fast (class 1) sine at a random position in noise."""
    g = torch.Generator().manual_seed(seed)
    x = 0.3 * torch.randn(2 * n_per, t, generator=g)
    freq = torch.cat([torch.full((n_per,), 0.1), torch.full((n_per,), 0.25)])
    length = t // 4
    pos = torch.randint(0, t - length, (2 * n_per,), generator=g)
    phase = 6.28 * torch.rand(2 * n_per, generator=g)
    steps = torch.arange(length)
    for i in range(2 * n_per):
        x[i, pos[i] : pos[i] + length] += torch.sin(6.28 * freq[i] * steps + phase[i])
    return x[:, None], np.r_[np.zeros(n_per), np.ones(n_per)]


@pytest.mark.slow
def test_fitting_beats_the_untrained_encoder_downstream():
    """The point of fitting (issue 19): on held-out series, an RBF SVM on the fitted encoder's
    representations must beat the same SVM on the representations of the same encoder at its initial
    weights (what fit() starts from), by a clear margin on average over two seeds."""
    from sklearn.svm import SVC

    xtr, ytr = _bursts(20, 64, seed=0)
    xte, yte = _bursts(60, 64, seed=1)
    cfg = dict(n_iters=60, batch_size=8, depth=3, hidden_dims=16, output_dims=32, aug_depth=1, aug_hidden_dims=8,
               aug_dims=4)
    gains = []
    for seed in (0, 1):
        aug = AutoTCL(**cfg, seed=seed).fit(xtr)
        g_fit = torch.Generator().manual_seed((aug.generator("cpu").initial_seed() + 0x9E3779B97F4A7C15) % 2**63)
        initial = aug._new_encoder(1, "cpu", g_fit).eval()
        with torch.no_grad():
            z0tr, z0te = pool(initial(xtr)).numpy(), pool(initial(xte)).numpy()
        fitted = SVC(gamma="scale").fit(aug.encode(xtr).numpy(), ytr).score(aug.encode(xte).numpy(), yte)
        untrained = SVC(gamma="scale").fit(z0tr, ytr).score(z0te, yte)
        gains.append(fitted - untrained)
    assert sum(gains) / len(gains) > 0.08, gains


def test_fits_ask_cudnn_for_deterministic_convolutions_on_cuda_only():
    from multiaug.timeseries.encoders import deterministic_convolutions

    cudnn = torch.backends.cudnn
    before = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
    with deterministic_convolutions("cpu"):
        assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == before
    with deterministic_convolutions("cuda"):  # the flags alone: no GPU needed to set them
        assert cudnn.deterministic and not cudnn.benchmark
        assert (cudnn.enabled, cudnn.allow_tf32) == (before[0], before[3]), "the other settings are kept"
    assert (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32) == before


def test_encode_batch_size_is_checked_by_name(fitted):
    aug, x = fitted
    with pytest.raises(ValueError, match="AutoTCL.encode: batch_size must be an integer >= 1, got 0"):
        aug.encode(x, batch_size=0)


def test_fit_refuses_lengths_and_unknown_arguments():
    x, _ = _two_classes(n_per=4)
    # fit trains on whole series: lengths (or a misspelt argument) used to be swallowed silently
    with pytest.raises(TypeError, match="AutoTCL.fit: lengths is not a fit argument"):
        AutoTCL(**TINY_AUTOTCL, seed=0).fit(x, lengths=[48] * 8)
    with pytest.raises(TypeError, match=r"AutoTCL.fit: unexpected keyword argument\(s\) \['n_iter'\]"):
        AutoTCL(**TINY_AUTOTCL, seed=0).fit(x, n_iter=5)


def test_fit_resample_refuses_lengths_its_fit_would_not_see():
    # fit_resample gives lengths to the augmentation only: AutoTCL's networks would train on the padding
    x, y = _two_classes(n_per=4)
    aug = AutoTCL(**TINY_AUTOTCL, seed=0)
    with pytest.raises(TypeError, match="AutoTCL.fit_resample: lengths would reach the augmentation but not fit"):
        aug.fit_resample(x, y, lengths=[48] * 8)
    assert not aug.__sklearn_is_fitted__()  # refused before any training
    with pytest.raises(TypeError, match=r"AutoTCL.fit_resample: unexpected keyword argument\(s\) \['n_iter'\]; "
                                        r"it takes fit's callback and the call's lengths"):
        aug.fit_resample(x, y, n_iter=5)


def test_params_for_another_length_are_refused_by_name(fitted):
    aug, x = fitted
    params = aug.sample(x)
    with pytest.raises(ValueError, match="X: params were drawn for series of 48 time steps, got 40"):
        aug.mask(x[:, :, :40], params)
    with pytest.raises(ValueError, match="x: params were drawn for series of 48 time steps, got 40"):
        aug.apply(x[:, :, :40], params)


def test_long_series_are_fitted_on_windows_that_cover_them():
    from multiaug.timeseries.parametric import split_long_series

    x = torch.arange(20.0).view(2, 1, 10)
    w = split_long_series(x, 4)  # 3 windows of 4 steps per series, starts 0, 3, 6
    assert w.shape == (6, 1, 4)
    assert torch.equal(w[:3, 0], torch.tensor([[0.0, 1, 2, 3], [3, 4, 5, 6], [6, 7, 8, 9]]))
    assert torch.equal(w[3:, 0], w[:3, 0] + 10)
    assert split_long_series(x, 10) is x and split_long_series(x, None) is x
    # the "ts2vec" loss holds batch * (2T)^2 similarities: fit sees windows of at most max_train_length
    seen = []
    xs, _ = _two_classes(n_per=2, t=100)
    a = AutoTCL(**TINY_AUTOTCL, max_train_length=30, seed=0)
    a.fit(xs, callback=lambda it, state: seen.append(tuple(state["x"].shape)))
    assert seen and all(s[-1] == 25 for s in seen)  # 100 steps -> 4 windows of 25
    assert a(xs).shape == xs.shape  # the fitted networks are convolutional: whole series afterwards
    with pytest.raises(ValueError, match="max_train_length"):
        AutoTCL(**TINY_AUTOTCL, max_train_length=1).fit(xs)


def test_autotcl_is_a_sampler_step_of_an_imblearn_pipeline():
    # its own transform made imblearn see a transformer and a sampler at once: "implements both" TypeError
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import FunctionTransformer

    x, y = _two_classes(n_per=4)
    X, labels = x.numpy(), np.where(y.numpy() == 0, "low", "high")
    seen = []

    def flatten(a):
        seen.append(len(a))
        return np.asarray(a).reshape(len(a), -1)

    pipe = Pipeline([("aug", AutoTCL(**TINY_AUTOTCL, seed=0)), ("flat", FunctionTransformer(flatten)),
                     ("clf", LogisticRegression())])
    pipe.fit(X, labels)
    assert seen == [16]  # fit: the 8 originals and one learned view of each
    assert pipe.named_steps["aug"].__sklearn_is_fitted__()
    assert pipe.predict(X).tolist() and seen == [16, 8]  # predict: the series as they are, no views
    # outside imblearn both faces are there, as for every augmenter
    aug = AutoTCL(**TINY_AUTOTCL, seed=0)
    assert hasattr(aug, "transform") and hasattr(aug, "fit_resample")
    assert not hasattr(AutoTCL(**TINY_AUTOTCL).set_sklearn_api("sampler"), "transform")


def test_autotcl_representations_are_a_transformer_step_not_a_sampler():
    from imblearn.pipeline import Pipeline
    from sklearn.linear_model import LogisticRegression

    x, y = _two_classes(n_per=4)
    X = x.numpy()
    enc = AutoTCL(**TINY_AUTOTCL, output="representations", seed=0).set_sklearn_api("transformer")
    pipe = Pipeline([("enc", enc), ("clf", LogisticRegression())]).fit(X, y.numpy())
    fitted = pipe.named_steps["enc"]
    assert pipe.named_steps["clf"].coef_.shape == (1, TINY_AUTOTCL["output_dims"])  # fed encode(X), not series
    assert np.array_equal(pipe.predict(X), pipe.named_steps["clf"].predict(fitted.encode(X)))
    # as a sampler it would hand series (views) on where representations were asked for: refused, saying how
    with pytest.raises(ValueError, match=r"output='representations'.*set_sklearn_api\('transformer'\)"):
        Pipeline([("enc", AutoTCL(**TINY_AUTOTCL, output="representations", seed=0)),
                  ("clf", LogisticRegression())]).fit(X, y.numpy())
