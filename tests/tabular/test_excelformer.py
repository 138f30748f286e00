import numpy as np
import pytest
import torch
from sklearn.datasets import load_breast_cancer

import multiaug
from multiaug.core import NotFittedError
from multiaug.tabular import FeatMix, HidMix, HidMixLayer, MixInfo, TokenMLP, mix_loss


def regression_data(n=120):
    g = np.random.default_rng(0)
    x = g.normal(size=(n, 4))
    y = 3 * x[:, 0] + 0.1 * g.normal(size=n)
    return x, y


def test_featmix_importance_from_mutual_information():
    x, y = regression_data()
    aug = FeatMix(seed=0).fit(x, y)
    s = aug.importance_
    assert s.shape == (4,) and abs(float(s.sum()) - 1) < 1e-6 and int(s.argmax()) == 0
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi)
    assert torch.allclose(params["lam"], (params["keep"].float() * s).sum(1))
    xo, yo = aug(x, y)
    assert xo.shape == x.shape and yo.shape == y.shape


def test_featmix_classification_and_tokens():
    X, y = load_breast_cancer(return_X_y=True)
    aug = FeatMix(seed=0).fit(X[:200], y[:200])
    _, soft = aug(X[:50], y[:50])
    assert soft.shape == (50, 2) and np.allclose(soft.sum(1), 1)
    tokens = torch.randn(10, X.shape[1], 4)
    out = aug(tokens)
    assert out.shape == tokens.shape


def test_featmix_errors():
    x, y = regression_data()
    with pytest.raises(NotFittedError):
        FeatMix()(x)
    with pytest.raises(ValueError, match="needs y"):
        FeatMix().fit(x)
    with pytest.raises(ValueError, match="zero mutual information"):
        FeatMix().fit(np.ones((50, 3)), y[:50])
    assert FeatMix(importance="uniform").fit(np.ones((50, 3))).importance_.tolist() == pytest.approx([1 / 3] * 3)
    with pytest.raises(ValueError, match="importance"):
        FeatMix(importance=[1, 2]).fit(x, y)
    with pytest.raises(ValueError, match="importance"):
        FeatMix(importance="entropy").fit(x, y)  # checked at fit, not in __init__
    with pytest.raises(ValueError, match="fitted on 4"):
        FeatMix(seed=0).fit(x, y)(np.ones((5, 3)))


def test_featmix_save_load(tmp_path):
    x, y = regression_data()
    aug = FeatMix(seed=4).fit(x, y)
    aug.save(tmp_path / "fm")
    back = multiaug.load(tmp_path / "fm")
    assert torch.allclose(back.importance_, aug.importance_)
    assert np.array_equal(back(x), FeatMix(seed=4).fit(x, y)(x))


def test_hidmix_masks_dimensions_and_uses_rate_as_label_weight():
    h = torch.randn(12, 5, 6)
    aug = HidMix(seed=0)
    params = aug.sample(h)
    out = aug.apply(h, params)
    keep = params["keep"].expand_as(h)
    assert torch.equal(out[keep], h[keep]) and torch.equal(out[~keep], h[params["partner"]][~keep])
    assert params["keep"].shape == (12, 1, 6)
    # the label weight is the drawn keep rate r (as the reference), not the realised share of kept dims
    y = torch.arange(12, dtype=torch.float32) * 10.0
    twin = HidMix(seed=0)
    p2 = twin.sample(h)
    lam, partner = p2["lam"], p2["partner"]
    _, y_out = HidMix(seed=0)(h, y)
    assert torch.allclose(y_out, lam * y + (1 - lam) * y[partner], atol=1e-4)
    share = p2["keep"].float().mean(dim=(1, 2))
    assert not torch.allclose(lam, share), "lam must be the rate r, not the share of kept dimensions"
    with pytest.raises(ValueError, match="N, F, D"):
        aug(torch.randn(4, 3))


def test_hidmix_layer_and_mix_loss():
    layer = HidMixLayer(beta=0.5, seed=0)
    h = torch.randn(8, 3, 4, requires_grad=True)
    out, info = layer(h)
    assert isinstance(info, MixInfo) and out.shape == h.shape
    out.sum().backward()
    assert h.grad is not None
    layer.eval()
    same, none = layer(h)
    assert same is h and none is None
    # classification: weighted CE equals CE against the soft target
    logits = torch.randn(8, 3)
    y = torch.randint(0, 3, (8,))
    info = MixInfo(lam=torch.rand(8), partner=torch.randperm(8))
    soft = info.lam[:, None] * torch.nn.functional.one_hot(y, 3) + (1 - info.lam[:, None]) * torch.nn.functional.one_hot(y[info.partner], 3)
    expected = -(soft * torch.log_softmax(logits, 1)).sum(1).mean()
    assert torch.allclose(mix_loss(logits, y, info, "classification"), expected, atol=1e-6)
    with pytest.raises(ValueError, match="task"):
        mix_loss(logits, y, info, "ranking")


@pytest.mark.parametrize("mix", ["hid_mix", "feat_mix", None])
def test_token_mlp_trains(mix):
    torch.manual_seed(0)
    x = torch.randn(64, 5)
    y = x[:, 0] * 2
    model = TokenMLP(5, 1, mix=mix, seed=0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        out, info = model(x)
        loss = mix_loss(out.squeeze(1), y, info)
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    pred, info = model(x)
    assert info is None and pred.shape == (64, 1)
