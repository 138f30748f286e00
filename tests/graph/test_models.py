"""LAGCN / LAGAT, the consistency loss, the fast dropout, and a fast end-to-end LA-GNN run."""
from __future__ import annotations

import math

import pytest
import torch

from multiaug.graph import LAGAT, LAGCN, LocalAugmentation
from multiaug.graph.models import consistency_loss, dropout, lagnn_loss
from tests.graph.test_local import _one_thread, bow_graph  # noqa: F401 (autouse fixture)


def test_consistency_loss_is_zero_for_identical_confident_predictions_and_positive_otherwise():
    lg = torch.full((5, 3), -30.0)
    lg[:, 1] = 30.0
    assert float(consistency_loss([lg, lg.clone()])) < 1e-10
    a = torch.randn(5, 3, generator=torch.Generator().manual_seed(0), requires_grad=True)
    b = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    loss = consistency_loss([a, b], temperature=0.5)
    assert float(loss.detach()) > 0
    loss.backward()
    assert a.grad is not None and torch.isfinite(a.grad).all()
    with pytest.raises(ValueError):
        consistency_loss([])
    with pytest.raises(ValueError):
        consistency_loss([a], temperature=0)


def _softmax_row(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    return [v / sum(e) for v in e]


def naive_consistency(logits, temperature=0.5):
    """GRAND / LA-GNN consistency regularisation, written out with Python loops: per node, the
    predictions p_s, their average, the sharpened average q = avg^(1/T) / sum(avg^(1/T)); the loss is
    the mean over nodes and predictions of sum_c (p_s,c - q_c)^2."""
    rows = [lg.tolist() for lg in logits]
    S, N = len(rows), len(rows[0])
    total = 0.0
    for n in range(N):
        ps = [_softmax_row(r[n]) for r in rows]
        avg = [sum(p[c] for p in ps) / S for c in range(len(ps[0]))]
        sharp = [a ** (1.0 / temperature) for a in avg]
        q = [v / sum(sharp) for v in sharp]
        total += sum(sum((p[c] - q[c]) ** 2 for c in range(len(q))) for p in ps)
    return total / (N * S)


def naive_cross_entropy(logits, y, mask):
    per = []
    for lg in logits:
        rows = [(r, int(t)) for r, t, m in zip(lg.tolist(), y.tolist(), mask.tolist()) if m]
        per.append(sum(-math.log(_softmax_row(r)[t]) for r, t in rows) / len(rows))
    return sum(per) / len(per)


def test_consistency_loss_matches_a_hand_computed_value():
    # one node, two classes: p1 = (0.8, 0.2), p2 = (0.4, 0.6); mean (0.6, 0.4); T = 0.5 squares it:
    # q = (0.36, 0.16) / 0.52 = (9/13, 4/13); ||p1 - q||^2 = 2 (1.4/13)^2, ||p2 - q||^2 = 2 (3.8/13)^2
    p1 = torch.tensor([[math.log(0.8), math.log(0.2)]], dtype=torch.float64)
    p2 = torch.tensor([[math.log(0.4), math.log(0.6)]], dtype=torch.float64)
    expected = (2 * (1.4 / 13) ** 2 + 2 * (3.8 / 13) ** 2) / 2
    assert float(consistency_loss([p1, p2], temperature=0.5)) == pytest.approx(expected, rel=1e-12)
    # T = 1: no sharpening, q is the mean: 0.2^2 * 2 for each prediction
    assert float(consistency_loss([p1, p2], temperature=1.0)) == pytest.approx(0.08, rel=1e-12)


@pytest.mark.parametrize("temperature", [0.5, 0.3, 1.0, 2.0])
def test_consistency_loss_matches_a_naive_reference(temperature):
    g = torch.Generator().manual_seed(7)
    lgs = [3 * torch.randn(9, 4, generator=g, dtype=torch.float64) for _ in range(3)]
    got = float(consistency_loss(lgs, temperature=temperature))
    assert got == pytest.approx(naive_consistency(lgs, temperature), rel=1e-9, abs=1e-15)


def test_lagnn_loss_is_cross_entropy_plus_weighted_consistency():
    g = torch.Generator().manual_seed(0)
    lgs = [torch.randn(6, 3, generator=g, dtype=torch.float64) for _ in range(3)]
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    mask = torch.tensor([True, True, False, False, True, False])
    ce = naive_cross_entropy(lgs, y, mask)
    assert float(lagnn_loss(lgs, y, mask, lam=0.0)) == pytest.approx(ce, rel=1e-9)
    expected = ce + 2 * naive_consistency(lgs, 0.5)
    assert float(lagnn_loss(lgs, y, mask, lam=2.0)) == pytest.approx(expected, rel=1e-9)
    assert float(lagnn_loss(lgs, y, mask, lam=1.0, temperature=0.3)) == pytest.approx(
        ce + naive_consistency(lgs, 0.3), rel=1e-9)


@pytest.mark.parametrize("p", [0.5, 0.6, 0.25, 0.3])
def test_dropout_keeps_the_rate_and_the_mean(p):
    x = torch.ones(200, 300)
    y = dropout(x, p)
    assert abs(float((y == 0).float().mean()) - p) < 0.01
    assert abs(float(y.mean()) - 1.0) < 0.03
    vals = torch.unique(y)
    assert vals.numel() == 2 and vals[0] == 0 and torch.isclose(vals[1], torch.tensor(1 / (1 - p)))
    assert dropout(x, p, training=False) is x


def test_dropout_on_sparse_input_drops_stored_values_only():
    x = torch.zeros(100, 200)
    x[::2, ::3] = 1.0
    y = dropout(x.to_sparse(), 0.5)
    assert y.is_sparse and y.shape == x.shape
    kept = y.to_dense()
    assert ((kept != 0) <= (x != 0)).all()
    assert abs(float((kept != 0).sum()) / float((x != 0).sum()) - 0.5) < 0.03
    assert torch.allclose(kept[kept != 0], torch.tensor(2.0))


@pytest.mark.parametrize("k", [1, 2])
def test_models_output_shapes_and_check_x_aug(k):
    data = bow_graph()
    x_aug = torch.rand(k, 40, 30)
    for model in (LAGCN(30, 8, 3, k=k), LAGAT(30, 4, 3, k=k, heads=2)):
        out = model(data.x, x_aug, data.edge_index)
        assert out.shape == (40, 3)
        out.sum().backward()
        model.eval()
        assert torch.equal(model(data.x, list(x_aug), data.edge_index), model(data.x, x_aug, data.edge_index))
        with pytest.raises(ValueError, match="k="):
            model(data.x, torch.rand(k + 1, 40, 30), data.edge_index)
        with pytest.raises(ValueError, match="shape"):
            model(data.x, torch.rand(k, 40, 29), data.edge_index)
    with pytest.raises(ValueError):
        LAGCN(30, 8, 3, k=0)


@pytest.mark.parametrize("Model", [LAGCN, LAGAT])
def test_fast_la_gnn_pipeline_learns_above_chance(Model):
    """A few epochs of the paper's recipe on a small planted-partition graph (chance = 1/3)."""
    torch.manual_seed(0)
    data = bow_graph(n=150, f=30, seed=1)
    g = torch.Generator().manual_seed(0)
    train = torch.zeros(150, dtype=torch.bool)
    train[torch.randperm(150, generator=g)[:30]] = True
    aug = LocalAugmentation(seed=0, hidden_dim=32, epochs=2).fit(data)
    model = Model(30, 8, 3, k=1) if Model is LAGCN else Model(30, 8, 3, k=1, heads=2)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(40):
        model.train()
        opt.zero_grad()
        xa = aug.generate(data, 4)
        logits = [model(data.x, xa[s : s + 1], data.edge_index) for s in range(4)]
        lagnn_loss(logits, data.y, train).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(data.x, aug(data).x_aug, data.edge_index).argmax(-1)
    acc = float((pred[~train] == data.y[~train]).float().mean())
    assert acc > 0.6


CORA_RAW = __import__("pathlib").Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "planetoid" / "Cora" / "raw"


@pytest.mark.slow
@pytest.mark.skipif(not CORA_RAW.exists(), reason="needs the raw Planetoid Cora files in ../shared/data/planetoid")
def test_cora_la_gcn_short_run_learns_above_chance(tmp_path):
    """The benchmark's pipeline on Cora with a tiny budget (the full run is benchmarks/graph_lagnn.py)."""
    import shutil

    import torch_geometric.transforms as T
    from torch_geometric.datasets import Planetoid

    shutil.copytree(CORA_RAW, tmp_path / "Cora" / "raw")
    data = Planetoid(str(tmp_path), "Cora", transform=T.NormalizeFeatures())[0]
    aug = LocalAugmentation(seed=0, hidden_dim=64, max_steps=60).fit(data)
    assert aug.row_normalized_ and aug.loss_ == "bce"
    torch.manual_seed(0)
    model = LAGCN(data.num_features, 8, 7, k=1, cached=True)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for _ in range(30):
        model.train()
        opt.zero_grad()
        xa = aug.generate(data, 2)
        logits = [model(data.x, xa[s : s + 1], data.edge_index) for s in range(2)]
        lagnn_loss(logits, data.y, data.train_mask).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        pred = model(data.x, aug.generate(data, 1), data.edge_index).argmax(-1)
    assert float((pred[data.test_mask] == data.y[data.test_mask]).float().mean()) > 0.4
