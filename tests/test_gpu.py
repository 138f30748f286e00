"""The GPU path of every modality's hot path (issue 18): outputs stay on the device, the same seed on
the same device gives exactly the same output, and device outputs match CPU outputs in distribution.

Every test here is marked ``gpu``. The device is ``cuda`` when PyTorch sees one; without CUDA the
tests skip, unless ``MULTIAUG_TEST_DEVICE`` names a device (``MULTIAUG_TEST_DEVICE=cpu`` runs the very
same checks on the CPU, which is how their logic is validated on machines without a GPU)::

    MULTIAUG_TEST_DEVICE=cpu python -m pytest -m gpu tests/test_gpu.py -q

Distribution checks compare a run on the device (seed 0) with a run on the CPU (seed 1, a different
stream, so the comparison is not trivially exact when the device is the CPU too): two-sample
Kolmogorov-Smirnov tests on per-sample statistics (each sample draws independently) and means within
a few standard errors. Same-seed checks compare two fresh instances bit for bit.
"""
from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import torch

from tests.conftest import SENTENCES, outputs_equal, small_graph


def _test_device() -> torch.device | None:
    env = os.environ.get("MULTIAUG_TEST_DEVICE")
    if env:
        return torch.device(env)
    return torch.device("cuda") if torch.cuda.is_available() else None


DEVICE = _test_device()
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(DEVICE is None, reason="needs a CUDA device (or MULTIAUG_TEST_DEVICE=cpu to run the checks on the CPU)"),
]
CPU = torch.device("cpu")
KS_P = 1e-3  # a same-distribution pair fails one KS test with probability 1e-3


@pytest.fixture
def dev() -> torch.device:
    return DEVICE


# ---- helpers -------------------------------------------------------------------------------------


def on(t: torch.Tensor, dev: torch.device) -> bool:
    return t.device.type == dev.type


def drew_on(aug, dev: torch.device) -> bool:
    """The augmenter made (and so drew from) a generator on ``dev``."""
    gens = aug.__dict__.get("_generators", {})
    return any(k.split(":")[0] == dev.type for k in gens)


def ks_same(a, b, what: str, p: float = KS_P) -> None:
    from scipy.stats import ks_2samp

    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    if np.array_equal(np.sort(a), np.sort(b)):
        return
    res = ks_2samp(a, b)
    assert res.pvalue > p, f"{what}: device and CPU differ in distribution (KS p={res.pvalue:.2e}, means {a.mean():.4g} vs {b.mean():.4g})"


def means_close(a, b, what: str, z: float = 5.0, floor: float = 1e-6) -> None:
    """Means of two independent samples within ``z`` standard errors of their difference."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    se = math.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)) if len(a) > 1 and len(b) > 1 else 0.0
    assert abs(a.mean() - b.mean()) <= z * se + floor, f"{what}: means differ, {a.mean():.5g} (device) vs {b.mean():.5g} (CPU), se {se:.3g}"


def quiet(fn, *a, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a, **kw)


def walks(n: int, c: int, t: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.cumsum(torch.randn(n, c, t, generator=g), dim=-1)


# ---- text -----------------------------------------------------------------------------------------

TEXTS = SENTENCES * 40  # 320 sentences; every row draws on its own


def _word_change_rate(src: list[str], out: list[str]) -> np.ndarray:
    """Per sentence: share of word positions that differ (over the longer sentence), a change measure
    for any word edit (replacement, insertion, swap, deletion)."""
    rates = []
    for s, o in zip(src, out):
        a, b = s.split(), o.split()
        rates.append((sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))) / max(len(a), len(b), 1))
    return np.array(rates)


def _char_change_rate(src: list[str], out: list[str]) -> np.ndarray:
    return np.array([sum(x != y for x, y in zip(s, o)) / max(len(s), 1) + abs(len(s) - len(o)) / max(len(s), 1) for s, o in zip(src, out)])


@pytest.mark.parametrize("name", ["eda", "synonym_replacement", "random_insertion", "random_swap", "random_deletion"])
def test_eda_on_device(dev, name):
    from multiaug import registry

    cls = registry.get(name)
    a = cls(seed=0, device=dev, on_unchanged="keep")
    out = quiet(a, TEXTS)
    assert len(out) == len(TEXTS) and all(isinstance(s, str) for s in out)
    assert drew_on(a, dev)
    assert out == quiet(cls(seed=0, device=dev, on_unchanged="keep"), TEXTS)
    assert quiet(a, TEXTS) != out  # the stream advances
    ref = quiet(cls(seed=1, device=CPU, on_unchanged="keep"), TEXTS)
    r_dev, r_cpu = _word_change_rate(TEXTS, out), _word_change_rate(TEXTS, ref)
    assert r_dev.mean() > 0
    means_close(r_dev, r_cpu, f"{name} word change rate")
    means_close([len(s.split()) for s in out], [len(s.split()) for s in ref], f"{name} output length")


def test_segment_rank_on_device_gives_the_cpu_ranks(dev):
    """EDA's per-sentence ranking sorts with torch off the CPU and with NumPy on it: same ranks."""
    from multiaug.text import functional as F

    g = torch.Generator().manual_seed(0)
    sent = torch.sort(torch.randint(0, 50, (5000,), generator=g)).values
    key, valid = torch.rand(5000, generator=g), torch.rand(5000, generator=g) < 0.8
    r_cpu, _, _ = F.segment_rank(sent, key, valid, 50)
    r_dev, order, _ = F.segment_rank(sent.to(dev), key.to(dev), valid.to(dev), 50)
    assert r_dev.device.type == dev.type and order.device.type == dev.type
    v = valid.numpy()
    assert torch.equal(r_dev.cpu()[v], r_cpu[v])  # invalid elements: after the valid ones, in no set order
    assert bool((r_dev.cpu()[~v] >= 0).all())


@pytest.mark.parametrize("name", ["char_noise", "keyboard_typo", "ocr_noise"])
def test_char_noise_on_device(dev, name):
    from multiaug import registry

    cls = registry.get(name)
    a = cls(seed=0, device=dev, on_unchanged="keep")
    out = quiet(a, TEXTS)
    assert drew_on(a, dev) and len(out) == len(TEXTS)
    assert out == quiet(cls(seed=0, device=dev, on_unchanged="keep"), TEXTS)
    ref = quiet(cls(seed=1, device=CPU, on_unchanged="keep"), TEXTS)
    r_dev, r_cpu = _char_change_rate(TEXTS, out), _char_change_rate(TEXTS, ref)
    assert r_dev.mean() > 0
    means_close(r_dev, r_cpu, f"{name} character change rate")
    ks_same(r_dev, r_cpu, f"{name} character change rate")


@pytest.mark.parametrize("model", ["tiny", "smollm2-like"])
def test_paraphrase_batched_generation_on_device(dev, model):
    """Batched generation on the device: a tiny random Llama, and SmolLM2-135M's architecture (2 of its
    30 layers: its 576 dims, 9 query / 3 key-value heads, 49,152-token vocabulary, here with an untied
    output head; bfloat16 on CUDA). Both models end their sentences after a few sampled words, so the
    outputs are generated replies, not inputs kept because every generation was cut (and dropped)."""
    from multiaug.text import Paraphrase
    from tests.text.contract_cases_llm import PARAPHRASE_TEST_PARAMS, smollm2_like, tiny_causal_lm

    texts = SENTENCES * 4  # 32 prompts, 4 batches of 8
    path = tiny_causal_lm() if model == "tiny" else smollm2_like(layers=2, ends=True)
    kw = dict(model=path, backend="hf", on_unchanged="keep", **PARAPHRASE_TEST_PARAMS)
    a = Paraphrase(seed=0, device=str(dev), **kw)
    out = quiet(a, texts)
    backend = a.get_backend()
    assert backend.device.type == dev.type
    assert next(backend.load()._model.parameters()).device.type == dev.type
    assert len(out) == len(texts) and all(isinstance(s, str) for s in out)
    assert out == quiet(Paraphrase(seed=0, device=str(dev), **kw), texts)
    ref = quiet(Paraphrase(seed=1, device="cpu", **kw), texts)
    # most replies complete (an output equal to its input is one whose generations were all dropped,
    # on_unchanged="keep"), and sampled: the same prompt (each is there 4 times) gets varied replies
    for where, o in (("device", out), ("CPU", ref)):
        changed = np.mean([a != b for a, b in zip(o, texts)])
        assert changed >= 0.75, f"{model} on the {where}: only {changed:.0%} of the outputs differ from their inputs"
        assert len(set(o)) >= 0.75 * len(o), f"{model} on the {where}: only {len(set(o))} distinct outputs of {len(o)}"
    # a random model: compare what is generated (word counts per output) in distribution
    means_close([len(s.split()) for s in out], [len(s.split()) for s in ref], "paraphrase output length", z=6)


def test_contextual_substitution_on_device(dev):
    from multiaug.text import ContextualSubstitution
    from tests.text.contract_cases_llm import tiny_masked_lm

    texts = SENTENCES * 8
    kw = dict(model=tiny_masked_lm(), aug_p=0.3, on_unchanged="keep", batch_size=16)
    a = ContextualSubstitution(seed=0, device=str(dev), **kw)
    out = quiet(a, texts)
    assert drew_on(a, dev) and len(out) == len(texts)
    assert out == quiet(ContextualSubstitution(seed=0, device=str(dev), **kw), texts)
    ref = quiet(ContextualSubstitution(seed=1, device="cpu", **kw), texts)

    def changed(src, o):
        return np.array([sum(x != y for x, y in zip(s.split(), t.split())) for s, t in zip(src, o)])

    c_dev, c_cpu = changed(texts, out), changed(texts, ref)
    assert c_dev.mean() > 0
    means_close(c_dev, c_cpu, "contextual substitution: changed words per sentence")


# ---- graphs ---------------------------------------------------------------------------------------


def _graph_batch(n_graphs: int = 24, seed: int = 0):
    from torch_geometric.data import Batch

    return Batch.from_data_list([small_graph(10 + (i % 7) * 3, seed + i) for i in range(n_graphs)])


GRAPH_VIEWS = ["edge_drop", "edge_add", "node_drop", "feature_mask", "feature_noise", "random_walk_subgraph", "diffusion_view", "schur_view"]


def _graph_stats(out) -> tuple[float, float, float]:
    x = out.x.float() if getattr(out, "x", None) is not None else torch.zeros(1)
    return float(out.edge_index.shape[1]), float(out.num_nodes), float(x.sum())


@pytest.mark.parametrize("name", GRAPH_VIEWS)
def test_structural_views_on_a_batch(dev, name):
    from multiaug import registry

    cls = registry.get(name)
    batch = _graph_batch().to(dev)
    a = cls(seed=0, device=dev)
    out = a(batch)
    assert on(out.edge_index, dev) and (out.x is None or on(out.x, dev))
    if getattr(out, "edge_weight", None) is not None:
        assert on(out.edge_weight, dev)
    assert out.edge_index.numel() == 0 or int(out.edge_index.max()) < out.num_nodes
    assert outputs_equal(out, cls(seed=0, device=dev)(batch))
    calls = 40
    s_dev = np.array([_graph_stats(a(batch)) for _ in range(calls)])
    b = cls(seed=1, device=CPU)
    batch_cpu = _graph_batch()
    s_cpu = np.array([_graph_stats(b(batch_cpu)) for _ in range(calls)])
    for j, what in enumerate(("edges", "nodes", "feature sum")):
        means_close(s_dev[:, j], s_cpu[:, j], f"{name} {what} per call", z=6, floor=1e-3 * (1 + abs(s_cpu[:, j].mean())))


def _random_graph(num_entries: int, avg_degree: int, seed: int):
    from torch_geometric.data import Data

    n = max(2, num_entries // avg_degree)
    g = torch.Generator().manual_seed(seed)
    m = num_entries // 2
    a = torch.randint(0, n, (m,), generator=g)
    b = torch.randint(0, n, (m,), generator=g)
    ok = a != b
    key = torch.unique(torch.minimum(a[ok], b[ok]) * n + torch.maximum(a[ok], b[ok]))
    lo, hi = key // n, key % n
    w = torch.rand(key.numel(), generator=g) + 0.5
    return Data(edge_index=torch.stack([torch.cat([lo, hi]), torch.cat([hi, lo])]), edge_weight=torch.cat([w, w]), num_nodes=n)


@pytest.fixture(scope="module")
def million_edges():
    return _random_graph(1_000_000, 10, 0)


def test_schur_view_at_a_million_edges(dev, million_edges):
    from multiaug.graph import SchurView

    data = million_edges.to(dev)
    a = SchurView(fraction=0.5, seed=0)
    out = a(data)
    assert on(out.edge_index, dev) and on(out.edge_weight, dev)
    assert bool(torch.isfinite(out.edge_weight).all()) and bool((out.edge_weight > 0).all())
    assert outputs_equal(out, SchurView(fraction=0.5, seed=0)(data))
    ref = SchurView(fraction=0.5, seed=1)(million_edges)
    e_dev, e_cpu = out.edge_index.shape[1], ref.edge_index.shape[1]
    assert abs(e_dev - e_cpu) <= 0.02 * e_cpu, f"SchurView 1M: {e_dev} edges on the device vs {e_cpu} on the CPU"
    assert out.num_nodes == ref.num_nodes
    # total weight kept (the Schur complement keeps the eliminated nodes' mass between survivors)
    w_dev, w_cpu = float(out.edge_weight.sum()), float(ref.edge_weight.sum())
    assert abs(w_dev - w_cpu) <= 0.02 * w_cpu, f"SchurView 1M: total weight {w_dev:.1f} vs {w_cpu:.1f}"


def _bow_graph(n: int = 300, f: int = 64, seed: int = 0):
    from torch_geometric.data import Data
    from torch_geometric.utils import to_undirected

    g = torch.Generator().manual_seed(seed)
    x = (torch.rand(n, f, generator=g) < 0.1).float()
    x[:, 0] = 1.0
    x = x / x.sum(1, keepdim=True)  # row-normalised bag of words, as after NormalizeFeatures
    ei = to_undirected(torch.randint(0, n, (2, 4 * n), generator=g), num_nodes=n)
    y = torch.randint(0, 4, (n,), generator=g)
    mask = torch.zeros(n, dtype=torch.bool)
    mask[: n // 3] = True
    return Data(x=x, edge_index=ei, y=y, train_mask=mask, num_nodes=n)


LA_SMALL = dict(hidden_dim=32, latent_dim=8, epochs=2, batch_size=64)


def test_local_augmentation_fit_and_lagcn_step(dev):
    from multiaug.graph import LocalAugmentation
    from multiaug.graph.models import LAGCN, lagnn_loss

    data = _bow_graph().to(dev)
    a = LocalAugmentation(seed=0, k=2, **LA_SMALL).fit(data)
    assert next(a.cvae_.parameters()).device.type == dev.type
    b = LocalAugmentation(seed=0, k=2, **LA_SMALL).fit(data)
    for (n1, p1), (_, p2) in zip(a.cvae_.state_dict().items(), b.cvae_.state_dict().items()):
        assert torch.equal(p1, p2), f"LocalAugmentation.fit with the same seed on {dev} gave different CVAE weights ({n1})"
    out = a(data)
    assert on(out.x_aug, dev) and out.x_aug.shape == (2, data.num_nodes, data.num_features)
    assert torch.equal(out.x_aug, b(data).x_aug)
    assert torch.allclose(out.x_aug.sum(-1), torch.ones((), device=dev), atol=1e-4)  # row-normalised like x
    # in distribution against a CPU fit: generated density per node
    ref = LocalAugmentation(seed=1, k=2, **LA_SMALL).fit(_bow_graph())(_bow_graph()).x_aug
    ks_same(out.x_aug.amax(-1).flatten().cpu(), ref.amax(-1).flatten(), "LA-GNN generated row maxima", p=1e-6)

    # LA-GCN training steps on the device: finite gradients there, and the (eval-mode) loss goes down
    import torch.nn.functional as F

    y = data.x[:, 1:5].argmax(1)  # labels the features determine, so a few steps must help
    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):  # model init and dropout
        torch.manual_seed(0)
        model = LAGCN(data.num_features, 16, 4, k=2, dropout=0.5).to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=0.05)

        def eval_loss() -> float:
            model.eval()
            with torch.no_grad():
                lg = model(data.x, a(data).x_aug, data.edge_index)
                return float(F.cross_entropy(lg[data.train_mask], y[data.train_mask]))

        before = eval_loss()
        for _ in range(15):
            model.train()
            opt.zero_grad()
            x_aug = a(data).x_aug
            logits = [model(data.x, x_aug, data.edge_index) for _ in range(2)]
            loss = lagnn_loss(logits, y, data.train_mask, lam=1.0)
            loss.backward()
            grads = [p.grad for p in model.parameters() if p.grad is not None]
            assert grads and all(on(g, dev) for g in grads)
            opt.step()
        assert all(bool(torch.isfinite(g).all()) for g in grads) and any(bool(g.abs().sum() > 0) for g in grads)
        after = eval_loss()
    assert math.isfinite(after) and after < before, f"LA-GCN on {dev}: loss {before:.4f} -> {after:.4f}"


# ---- tables ---------------------------------------------------------------------------------------


def test_knn_on_device_matches_brute_force(dev):
    from multiaug.tabular import functional as F

    x = torch.randn(6000, 50, generator=torch.Generator().manual_seed(3)).to(dev)
    d, i = F.knn(x, 32)
    assert on(d, dev) and on(i, dev) and i.shape == (6000, 32)
    d2 = torch.cdist(x, x).pow(2)
    d2.fill_diagonal_(float("inf"))
    bd, bi = torch.topk(d2, 32, dim=1, largest=False)
    assert torch.allclose(d, bd, rtol=1e-3, atol=1e-2)
    agree = (i.sort(1).values == bi.sort(1).values).float().mean().item()
    assert agree > 0.999, f"kNN neighbour sets agree on only {agree:.4%} of entries"
    d3, i3 = F.knn(x, 32)
    assert torch.equal(d, d3) and torch.equal(i, i3)


def _regression_table(n: int, f: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, f, generator=g)
    y = X[:, 0].sin() + 0.5 * X[:, 1] + 0.1 * torch.randn(n, generator=g)
    return X, y


def test_regmix_on_device(dev):
    from multiaug.tabular import RegMix

    X, y = _regression_table(4000, 50)
    kw = dict(k_candidates=[1, 4, 16, 32], n_iter=3, episodes=4)
    a = RegMix(seed=0, device=dev, **kw).fit(X[:800], y[:800])
    xo, yo = a(X.to(dev), y.to(dev))
    assert on(xo, dev) and on(yo, dev) and xo.shape == X.shape
    b = RegMix(seed=0, device=dev, **kw).fit(X[:800], y[:800])
    xo2, yo2 = b(X.to(dev), y.to(dev))
    assert torch.equal(xo, xo2) and torch.equal(yo, yo2)
    c = RegMix(seed=1, device=CPU, **kw).fit(X[:800], y[:800])
    xr, yr = c(X, y)
    # a mix of two rows shrinks towards the data mean: per-row distance to the source row
    ks_same((xo.cpu() - X).norm(dim=1), (xr - X).norm(dim=1), "RegMix row displacement")
    means_close(yo.cpu().numpy(), yr.numpy(), "RegMix mixed targets")


@pytest.mark.parametrize("name", ["mixup", "cutmix", "feat_mix", "gaussian_noise"])
def test_table_mixing_on_device(dev, name):
    from multiaug import registry

    cls = registry.get(name)
    g = torch.Generator().manual_seed(5)
    X = torch.randn(3000, 20, generator=g)
    y = (X[:, 0] > 0).long()
    kw = dict(importance="uniform") if name == "feat_mix" else {}

    def build(seed, device):
        a = cls(seed=seed, device=device, **kw)
        return a.fit(X, y) if getattr(a, "learned", False) else a

    a = build(0, dev)
    xo, yo = a(X.to(dev), y.to(dev))
    assert on(xo, dev) and (not isinstance(yo, torch.Tensor) or on(yo, dev))
    xo2, yo2 = build(0, dev)(X.to(dev), y.to(dev))
    assert torch.equal(xo, xo2) and outputs_equal(yo, yo2)
    xr, yr = build(1, CPU)(X, y)
    ks_same((xo.cpu() - X).norm(dim=1), (xr - X).norm(dim=1), f"{name} row displacement")
    yo_np = yo.detach().cpu().float().numpy() if isinstance(yo, torch.Tensor) else np.asarray(yo, dtype=float)
    yr_np = yr.detach().cpu().float().numpy() if isinstance(yr, torch.Tensor) else np.asarray(yr, dtype=float)
    means_close(yo_np.reshape(len(X), -1)[:, -1], yr_np.reshape(len(X), -1)[:, -1], f"{name} targets")


def test_hid_mix_tokens_and_layer_on_device(dev):
    from multiaug.tabular import HidMix
    from multiaug.tabular.excelformer import TokenMLP, mix_loss

    g = torch.Generator().manual_seed(2)
    tok = torch.randn(2000, 12, 16, generator=g)
    y = torch.randint(0, 3, (2000,), generator=g)
    a = HidMix(seed=0, device=dev, num_classes=3)
    xo, yo = a(tok.to(dev), y.to(dev))
    assert on(xo, dev) and on(yo, dev) and xo.shape == tok.shape
    xo2, yo2 = HidMix(seed=0, device=dev, num_classes=3)(tok.to(dev), y.to(dev))
    assert torch.equal(xo, xo2) and torch.equal(yo, yo2)
    xr, yr = HidMix(seed=1, device=CPU, num_classes=3)(tok, y)
    ks_same((xo.cpu() == tok).float().mean((1, 2)), (xr == tok).float().mean((1, 2)), "HidMix kept share per row")

    with torch.random.fork_rng(devices=[dev] if dev.type == "cuda" else []):
        torch.manual_seed(0)
        model = TokenMLP(12 * 1, n_out=3, mix="hid_mix", seed=0).to(dev)
    x = torch.randn(512, 12, generator=g).to(dev)
    yy = torch.randint(0, 3, (512,), generator=g).to(dev)
    model.train()
    pred, info = model(x)
    assert on(pred, dev) and info is not None
    loss = mix_loss(pred, yy, info, task="classification")
    loss.backward()
    assert math.isfinite(float(loss.detach())) and all(p.grad is None or on(p.grad, dev) for p in model.parameters())


# ---- time series ----------------------------------------------------------------------------------


def _timeseries_names() -> list[str]:
    from multiaug import registry

    return [n for n, c in registry.items() if registry.modality_of(c) == "timeseries" and not getattr(c, "learned", False)]


@pytest.mark.parametrize("name", _timeseries_names())
def test_every_timeseries_kernel_on_device(dev, name):
    from multiaug import registry

    cls = registry.get(name)
    x = walks(256, 3, 128)
    y = torch.arange(256) % 4
    a = cls(seed=0, device=dev)
    xo, yo = a(x.to(dev), y.to(dev))
    assert on(xo, dev) and xo.shape == x.shape and bool(torch.isfinite(xo).all())
    if isinstance(yo, torch.Tensor):
        assert on(yo, dev)
    xo2, yo2 = cls(seed=0, device=dev)(x.to(dev), y.to(dev))
    assert torch.equal(xo, xo2) and outputs_equal(yo, yo2)
    # a CPU input with device=... is moved there too
    assert on(cls(seed=0, device=dev)(x), dev)
    xr, _ = cls(seed=1, device=CPU)(x, y)
    d_dev, d_cpu = (xo.cpu() - x).abs().mean((1, 2)), (xr - x).abs().mean((1, 2))
    ks_same(d_dev, d_cpu, f"{name}: mean |change| per series")
    ks_same(xo.cpu().std(-1).mean(1), xr.std(-1).mean(1), f"{name}: output std per series")


def test_timeseries_pipeline_and_numpy_roundtrip_on_device(dev):
    from multiaug import Sequential
    from multiaug.timeseries import Drift, Jitter, TimeWarp

    x = walks(200, 3, 256)
    pipe = Sequential([TimeWarp(), Drift(max_drift=0.5, n_drift_points=3), Jitter(sigma=0.01)], seed=0)
    out = pipe(x.to(dev))
    assert on(out, dev)
    assert torch.equal(out, Sequential([TimeWarp(), Drift(max_drift=0.5, n_drift_points=3), Jitter(sigma=0.01)], seed=0)(x.to(dev)))
    arr = Jitter(sigma=0.1, seed=0, device=dev)(x.numpy())
    assert isinstance(arr, np.ndarray) and arr.dtype == np.float32  # NumPy in, NumPy out, via the device
    ref = Sequential([TimeWarp(), Drift(max_drift=0.5, n_drift_points=3), Jitter(sigma=0.01)], seed=1)(x)
    ks_same((out.cpu() - x).abs().mean((1, 2)), (ref - x).abs().mean((1, 2)), "warp+drift+noise change per series")


def test_variable_length_compositions_on_device(dev):
    # lengths on the device, through compositions that route shares of the batch (OneOf, p < 1), with a
    # series too short for the time warps: padding stays padding, the same seed gives the same output
    from multiaug import OneOf, Sequential
    from multiaug.timeseries import Jitter, Scaling, TimeWarp, WindowWarp

    x = walks(128, 2, 96)
    lengths = torch.randint(2, 97, (128,), generator=torch.Generator().manual_seed(0))
    lengths[5] = 1
    pad = (torch.arange(96)[None, :] >= lengths[:, None])[:, None, :].expand_as(x)
    x = torch.where(pad, torch.full_like(x, 7.0), x)

    def make():
        return OneOf([Sequential([TimeWarp(), Jitter()]), WindowWarp(), Scaling()], p=0.8, seed=0)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the too-short series is reported (UnchangedWarning)
        out = make()(x.to(dev), lengths=lengths.to(dev))
        again = make()(x.to(dev), lengths=lengths.to(dev))
    assert on(out, dev) and torch.equal(out, again)
    assert torch.equal(out.cpu()[pad], x[pad]) and bool(torch.isfinite(out).all())
    assert not torch.allclose(out.cpu(), x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warped = TimeWarp(seed=0, device=dev)(x.to(dev), lengths=lengths.to(dev))
    assert torch.equal(warped.cpu()[5], x[5]) and not torch.equal(warped.cpu()[6], x[6])  # too short: as it was


def test_autotcl_fit_on_device(dev):
    from multiaug.timeseries import AutoTCL
    from tests.timeseries.contract_cases_timeseries import TINY_AUTOTCL

    x = walks(32, 2, 64)
    a = AutoTCL(seed=0, device=dev, **TINY_AUTOTCL).fit(x)
    assert all(on(p, dev) for p in a.encoder_.parameters()) if hasattr(a, "encoder_") else True
    out = a(x.to(dev))
    assert on(out, dev) and out.shape == x.shape and bool(torch.isfinite(out).all())
    b = AutoTCL(seed=0, device=dev, **TINY_AUTOTCL).fit(x)
    assert torch.equal(out, b(x.to(dev))), f"AutoTCL: same seed, same device ({dev}), different views after fit"
    r = AutoTCL(seed=1, device=CPU, **TINY_AUTOTCL).fit(x)
    ref = r(x)
    assert ref.shape == out.shape
    # views are the input times a (mostly 0/1) mask: compare the kept share per series
    ks_same((out.cpu() != 0).float().mean((1, 2)), (ref != 0).float().mean((1, 2)), "AutoTCL kept share per series", p=1e-6)


# ---- command line ---------------------------------------------------------------------------------


def _cli(*args) -> None:
    from multiaug.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as e:  # click's standalone mode exits 0 on success
        assert e.code in (0, None), f"multiaug {' '.join(map(str, args))} exited with {e.code}"


CLI_CASES = {
    "timeseries": ("series.npz", "jitter", ()),
    "tabular": ("table.csv", "mixup", ("--label-column", "label")),
    "text": ("reviews.csv", "eda", ("--column", "text")),
    "graph": ("graphs.pt", "edge_drop", ()),
}


def _cli_input(kind: str, path):
    import pandas as pd

    if kind == "timeseries":
        np.savez(path, x=walks(64, 2, 50).numpy())
    elif kind == "tabular":
        g = np.random.default_rng(0)
        df = pd.DataFrame(g.normal(size=(200, 4)), columns=list("abcd"))
        df["label"] = (df["a"] > 0).astype(int)
        df.to_csv(path, index=False)
    elif kind == "text":
        pd.DataFrame({"text": TEXTS[:80]}).to_csv(path, index=False)
    else:
        from multiaug import io

        io.write_graphs(path, [small_graph(12 + i, i) for i in range(20)])


def _read(path):
    import pandas as pd

    s = str(path)
    if s.endswith(".npz"):
        with np.load(s) as z:
            return {k: z[k] for k in z.files}
    if s.endswith(".csv"):
        return pd.read_csv(s)
    from multiaug import io

    return io.read_graphs(s)


@pytest.mark.parametrize("kind", list(CLI_CASES))
def test_cli_device(dev, kind, tmp_path):
    fname, augmenter, extra = CLI_CASES[kind]
    inp = tmp_path / fname
    _cli_input(kind, inp)
    outs = {}
    for tag, device, seed in (("a", dev, 0), ("b", dev, 0), ("cpu", CPU, 1)):
        out = tmp_path / f"{tag}_{fname}"
        _cli("augment", inp, "-o", out, "--augmenter", augmenter, "--device", device.type, "--seed", seed, "-n", 2, "--no-progress", *extra)
        outs[tag] = _read(out)
    a, b, c = outs["a"], outs["b"], outs["cpu"]
    if kind == "timeseries":
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        xa, xc = a["x"], c["x"]
        assert xa.shape == xc.shape
        ks_same(np.abs(np.diff(xa, axis=-1)).mean((1, 2)), np.abs(np.diff(xc, axis=-1)).mean((1, 2)), "cli jitter roughness per series")
    elif kind in ("tabular", "text"):
        assert a.equals(b)
        assert len(a) == len(c) or kind == "text"
        if kind == "tabular":
            means_close(a["a"].to_numpy(), c["a"].to_numpy(), "cli mixup column a")
    else:
        assert len(a) == len(b) and all(outputs_equal(u, v) for u, v in zip(a, b))
        means_close([g.edge_index.shape[1] for g in a], [g.edge_index.shape[1] for g in c], "cli edge_drop edges per graph", z=6)
