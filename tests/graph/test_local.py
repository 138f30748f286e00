"""LocalAugmentation (LA-GNN's CVAE): fitting, generation, persistence, errors."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from torch_geometric.data import Batch, Data

import multiaug
from multiaug.graph import LocalAugmentation
from multiaug.graph.local import CVAE, row_normalize
from tests.conftest import requires_cuda, small_graph, small_graph_batch

SMALL = dict(hidden_dim=32, epochs=3)


@pytest.fixture(autouse=True)
def _one_thread():
    """Small graphs run much faster on one thread (and the CI machine's cores are shared)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def bow_graph(n=40, f=30, classes=3, seed=0, normalized=True, isolated=0):
    """A graph whose nodes carry class-dependent 0/1 bag-of-words and link mostly within their class."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % classes
    probs = torch.full((classes, f), 0.05)
    for c in range(classes):
        probs[c, c * (f // classes) : (c + 1) * (f // classes)] = 0.6
    x = torch.bernoulli(probs[y], generator=g)
    x[x.sum(1) == 0, 0] = 1.0
    m = n - isolated
    src = torch.randint(0, m, (4 * m,), generator=g)
    dst = torch.randint(0, m, (4 * m,), generator=g)
    same = (y[src] == y[dst]) | (torch.rand(4 * m, generator=g) < 0.1)
    keep = same & (src != dst)
    ei = torch.stack([src[keep], dst[keep]])
    ei = torch.unique(torch.cat([ei, ei.flip(0)], dim=1), dim=1)
    return Data(x=row_normalize(x) if normalized else x, edge_index=ei, y=y, num_nodes=n)


def test_fit_detects_row_normalised_bag_of_words_and_generates_normalised_rows():
    data = bow_graph()
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    assert aug.loss_ == "bce" and aug.row_normalized_ and aug.num_features_ == 30
    assert len(aug.loss_history_) == 3 and aug.fit_time_ >= 0
    assert aug.loss_history_[-1] < aug.loss_history_[0]
    out = aug.generate(data, 3)
    assert out.shape == (3, 40, 30) and out.dtype == data.x.dtype
    assert torch.allclose(out.sum(-1), torch.ones(3, 40), atol=1e-5)
    assert (out >= 0).all()


def test_binary_features_stay_probabilities_unless_normalize_is_set():
    data = bow_graph(normalized=False)
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    assert aug.loss_ == "bce" and not aug.row_normalized_
    out = aug.generate(data, 2)
    assert ((out > 0) & (out < 1)).all()
    aug2 = LocalAugmentation(seed=0, normalize=True, **SMALL).fit(data)
    assert torch.allclose(aug2.generate(data, 1).sum(-1), torch.ones(1, 40), atol=1e-5)


def test_real_valued_features_use_mse_on_standardised_features():
    data = small_graph(20, 1)
    data.x = torch.randn(20, 6, generator=torch.Generator().manual_seed(0)) * 5 + 3
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    assert aug.loss_ == "mse" and aug.feature_mean_.shape == (6,)
    out = aug.generate(data, 2)
    assert out.shape == (2, 20, 6) and torch.isfinite(out).all()
    assert abs(float(out.mean()) - 3) < 3  # de-standardised back to the data's scale


def test_loss_can_be_forced_and_bce_checks_the_range():
    data = bow_graph()
    assert LocalAugmentation(seed=0, loss="mse", **SMALL).fit(data).loss_ == "mse"
    data.x = data.x * 4 - 1
    with pytest.raises(ValueError, match="bce"):
        LocalAugmentation(loss="bce", **SMALL).fit(data)


def test_call_attaches_x_aug_for_data_and_batch():
    data = bow_graph()
    aug = LocalAugmentation(seed=1, k=2, **SMALL).fit(data)
    out = aug(data)
    assert isinstance(out, Data) and out.x_aug.shape == (2, 40, 30)
    assert torch.equal(out.x, data.x) and torch.equal(out.edge_index, data.edge_index)
    assert "x_aug" not in data  # the input is left alone
    batch = small_graph_batch()
    aug = LocalAugmentation(seed=1, k=3, **SMALL).fit(batch)
    ob = aug(batch)
    assert isinstance(ob, Batch) and ob.num_graphs == 3 and ob.x_aug.shape == (3, batch.num_nodes, 8)


def test_p_keeps_original_features_for_graphs_not_drawn():
    batch = small_graph_batch()
    aug = LocalAugmentation(seed=0, p=0.5, **SMALL).fit(batch)
    seen_active = seen_idle = False
    for _ in range(8):
        params = aug.sample(batch)
        out = aug.apply(batch, params)
        for gi in range(3):
            nodes = batch.batch == gi
            same = torch.equal(out.x_aug[0, nodes], batch.x[nodes])
            assert same != bool(params["active"][gi])
            seen_active |= not same
            seen_idle |= same
    assert seen_active and seen_idle


def test_isolated_nodes_still_get_samples():
    data = bow_graph(isolated=5)
    deg = torch.bincount(data.edge_index[1], minlength=data.num_nodes)
    assert (deg[-5:] == 0).all()
    out = LocalAugmentation(seed=0, **SMALL).fit(data).generate(data, 2)
    assert torch.isfinite(out[:, -5:]).all() and (out[:, -5:].sum(-1) > 0).all()


def test_graph_without_edges_is_fine_to_augment_but_not_to_fit():
    data = bow_graph()
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    empty = Data(x=data.x, edge_index=torch.zeros(2, 0, dtype=torch.long))
    assert aug(empty).x_aug.shape == (1, 40, 30)
    with pytest.raises(ValueError, match="edges"):
        LocalAugmentation(**SMALL).fit(empty)


def test_same_seed_replays_fit_and_generation_and_calls_differ():
    data = bow_graph()
    a = LocalAugmentation(seed=3, **SMALL).fit(data)
    b = LocalAugmentation(seed=3, **SMALL).fit(data)
    assert a.loss_history_ == b.loss_history_
    ga, gb = a.generate(data), b.generate(data)
    assert torch.equal(ga, gb)
    assert not torch.equal(ga, a.generate(data))
    c = LocalAugmentation(seed=4, **SMALL).fit(data)
    assert not torch.equal(ga, c.generate(data))


def test_max_steps_caps_training():
    data = bow_graph()
    aug = LocalAugmentation(seed=0, hidden_dim=16, epochs=50, batch_size=8, max_steps=3).fit(data)
    assert len(aug.loss_history_) == 1


def test_score_selects_the_best_scored_checkpoint():
    data = bow_graph()
    seen = []

    def score(x_gen):
        assert x_gen.shape == data.x.shape and torch.allclose(x_gen.sum(1), torch.ones(data.num_nodes), atol=1e-4)
        seen.append(len(seen))
        return -abs(len(seen) - 3)  # best: the third scored checkpoint

    aug = LocalAugmentation(seed=0, hidden_dim=16, epochs=2, batch_size=8).fit(data, score=score, score_every=2, warmup=4)
    assert len(seen) >= 4
    assert aug.selected_step_ == 4 + 3 * 2 and aug.selection_score_ == 0
    # the kept weights are those of step 10: a fit stopped there has the same CVAE
    ref = LocalAugmentation(seed=0, hidden_dim=16, epochs=2, batch_size=8, max_steps=10).fit(data)
    for (name, a), b in zip(aug.cvae_.state_dict().items(), ref.cvae_.state_dict().values()):
        torch.testing.assert_close(a, b, msg=name)
    # without a score, nothing is selected
    plain = LocalAugmentation(seed=0, hidden_dim=16, epochs=2, batch_size=8).fit(data)
    assert not hasattr(plain, "selected_step_")


def test_score_errors():
    data = bow_graph()
    aug = LocalAugmentation(seed=0, hidden_dim=16, epochs=1, batch_size=8)
    with pytest.raises(TypeError, match="score"):
        aug.fit(data, score=3)
    with pytest.raises(ValueError, match="score_every"):
        aug.fit(data, score=lambda x: 0.0, score_every=0)
    with pytest.raises(ValueError, match="no checkpoint was scored"):
        aug.fit(data, score=lambda x: 0.0, warmup=10**6)
    with pytest.raises(ValueError, match="finite"):
        aug.fit(data, score=lambda x: float("nan"), warmup=0)
    with pytest.raises(TypeError, match="unexpected"):
        aug.fit(data, bogus=1)


def test_save_load_round_trip_uses_safetensors(tmp_path):
    data = bow_graph()
    aug = LocalAugmentation(seed=5, k=2, **SMALL).fit(data)
    path = aug.save(tmp_path / "la")
    assert (path / "state.safetensors").exists() and (path / "config.json").exists()
    loaded = multiaug.load(path)
    assert isinstance(loaded, LocalAugmentation) and isinstance(loaded.cvae_, CVAE)
    assert loaded.num_features_ == 30 and loaded.row_normalized_ and loaded.loss_ == "bce"
    fresh = LocalAugmentation(seed=5, k=2, **SMALL).fit(data)
    assert torch.equal(loaded.generate(data), fresh.generate(data))
    # MSE variant: the standardisation tensors come back too
    data.x = data.x * 3 - 1
    aug = LocalAugmentation(seed=5, **SMALL).fit(data)
    aug.save(tmp_path / "mse")
    loaded = multiaug.load(tmp_path / "mse")
    assert torch.equal(loaded.feature_std_, aug.feature_std_)
    assert torch.allclose(loaded.generate(data), LocalAugmentation(seed=5, **SMALL).fit(data).generate(data))


def test_augment_concatenates_graphs_and_generated_features():
    data = bow_graph()
    aug = LocalAugmentation(seed=0, k=2, **SMALL).fit(data)
    X, y, src = aug.augment(data, n_aug=3)
    assert X.num_graphs == 3 and X.x_aug.shape == (2, 120, 30) and list(src) == [0, 0, 0]


def test_bad_input_raises_clear_errors():
    data = bow_graph()
    with pytest.raises(NotFittedError):
        LocalAugmentation()(data)
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    with pytest.raises(ValueError, match="30"):
        aug(Data(x=torch.rand(40, 12), edge_index=data.edge_index))
    with pytest.raises(TypeError, match="floating"):
        LocalAugmentation(**SMALL).fit(Data(x=(data.x > 0).long(), edge_index=data.edge_index))
    bad = data.x.clone()
    bad[3, 2] = float("nan")
    with pytest.raises(ValueError, match="NaN"):
        LocalAugmentation(**SMALL).fit(Data(x=bad, edge_index=data.edge_index))
    with pytest.raises(ValueError, match="NaN"):
        aug(Data(x=bad, edge_index=data.edge_index))
    with pytest.raises(ValueError, match="data.x"):
        aug(Data(edge_index=data.edge_index, num_nodes=40))
    with pytest.raises(TypeError):
        aug(torch.rand(3, 3))
    with pytest.raises(ValueError, match="k must be"):
        aug.generate(data, 0)


@pytest.mark.parametrize(
    "bad", [{"k": 0}, {"latent_dim": 1.5}, {"epochs": 0}, {"lr": -1}, {"loss": "l1"}, {"normalize": "yes"}, {"max_steps": 0}, {"kl_weight": -1}]
)
def test_bad_params_name_the_argument(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        LocalAugmentation(**bad).fit(bow_graph())  # checked at fit / first use, not in __init__


def test_refit_on_another_width():
    aug = LocalAugmentation(seed=0, **SMALL).fit(bow_graph(f=30))
    aug.fit(bow_graph(f=12))
    assert aug.num_features_ == 12 and aug.generate(bow_graph(f=12)).shape == (1, 40, 12)


@settings(max_examples=8, deadline=None)
@given(n=st.integers(3, 25), f=st.integers(1, 9), k=st.integers(1, 3), seed=st.integers(0, 1000))
def test_property_shapes_and_finiteness(n, f, k, seed):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, 2 * n), generator=g)
    x = torch.rand(n, f, generator=g)
    data = Data(x=x, edge_index=ei)
    aug = LocalAugmentation(seed=seed, k=k, hidden_dim=8, epochs=1).fit(data)
    out = aug(data).x_aug
    assert out.shape == (k, n, f) and torch.isfinite(out).all() and ((out >= 0) & (out <= 1)).all()


@requires_cuda
@pytest.mark.gpu
def test_cuda_fit_and_generate_stay_on_device():
    data = bow_graph().to("cuda")
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    assert next(aug.cvae_.parameters()).device.type == "cuda"
    out = aug(data)
    assert out.x_aug.device.type == "cuda"
    # a CPU-fitted generator follows the data to the GPU
    cpu = LocalAugmentation(seed=0, **SMALL).fit(bow_graph())
    assert cpu.generate(data).device.type == "cuda"


def test_generate_accepts_numpy_integer_k():
    # regression: generate(data, np.int64(2)) (k read from a config or an array) raised "k must be an integer"
    import numpy as np

    data = bow_graph()
    aug = LocalAugmentation(seed=0, **SMALL).fit(data)
    ref = LocalAugmentation(seed=0, **SMALL).fit(data).generate(data, 2)
    out = aug.generate(data, np.int64(2))
    assert out.shape == (2, 40, 30) and torch.equal(out, ref)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        aug.generate(data, np.int64(0))


def test_to_data_list_splits_x_aug_per_graph():
    # Batch.to_data_list() cannot split x_aug (nodes on its 2nd axis) and drops it; the helper gives each
    # graph its own rows, so writing augmented graphs one by one keeps the generated features
    from multiaug.graph.base import to_data_list

    graphs = [bow_graph(n, seed=i) for i, n in enumerate((12, 30, 7))]
    batch = Batch.from_data_list(graphs)
    aug = LocalAugmentation(seed=0, k=2, **SMALL).fit(batch)
    out = aug(batch)
    parts = to_data_list(out)
    assert [tuple(g.x_aug.shape) for g in parts] == [(2, 12, 30), (2, 30, 30), (2, 7, 30)]
    assert torch.equal(torch.cat([g.x_aug for g in parts], dim=1), out.x_aug)
    for g, ref in zip(parts, out.to_data_list()):
        assert torch.equal(g.x, ref.x) and torch.equal(g.edge_index, ref.edge_index)
    assert "x_aug" in out  # the input batch is not modified
    single = aug(graphs[0])
    assert to_data_list(single) == [single]
    plain = Batch.from_data_list(graphs)
    assert [g.num_nodes for g in to_data_list(plain)] == [12, 30, 7]


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_fit_on_features_that_require_grad(loss):
    """x from an upstream module or a learnable embedding: the pair features were built once with autograd
    on, so the second step's backward ran through a freed graph ("Trying to backward through the graph a
    second time"). The CVAE now learns from the values, leaving no gradient on them."""
    d = bow_graph(n=30, f=12)
    emb = torch.nn.Parameter(d.x.clone())
    got = LocalAugmentation(**SMALL, loss=loss, seed=0).fit(Data(x=emb, edge_index=d.edge_index))
    ref = LocalAugmentation(**SMALL, loss=loss, seed=0).fit(d)
    assert emb.grad is None
    assert torch.equal(got.generate(d, 2), ref.generate(d, 2))
