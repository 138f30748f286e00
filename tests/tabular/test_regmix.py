import numpy as np
import pytest
import torch
from imblearn.pipeline import Pipeline
from sklearn.linear_model import Ridge

import multiaug
from multiaug.core import NotFittedError
from multiaug.tabular import RegMix
from multiaug.tabular import functional as F

SMALL = dict(n_iter=3, episodes=2, n_random_features=16, k_candidates=[1, 2, 4])


def data(n=80, seed=0):
    g = np.random.default_rng(seed)
    x = g.uniform(-2, 2, size=(n, 3))
    y = np.sin(3 * x[:, 0]) + 0.1 * x[:, 1]
    return x, y


def test_fit_reports_policy_and_marginal():
    x, y = data()
    aug = RegMix(seed=0, **SMALL).fit(x, y)
    rep = aug.fit_report_
    for key in ("val_mse_no_mixing", "val_mse_random_partner_mixup", "val_mse_learned_policy", "mean_k", "history"):
        assert key in rep
    assert len(rep["history"]) == 3 and rep["n_val"] == 16
    assert aug.k_marginal_.shape == (3,) and abs(float(aug.k_marginal_.sum()) - 1) < 1e-5


def sharp_sinusoid(n=400, seed=0):
    """benchmarks/tabular_mixing.py's sharp sinusoid: local structure that far-apart mixing destroys."""
    g = np.random.default_rng(seed)
    x = g.uniform(0, 1, size=(n, 3))
    y = np.sin(4 * np.pi * x[:, 0]) + 0.5 * x[:, 1] + 0.1 * g.normal(size=n)
    return x, y


def test_learned_policy_beats_no_mixing_and_random_mixup_on_a_sharp_sinusoid(seed=0):
    x, y = sharp_sinusoid()
    xv, yv = sharp_sinusoid(200, seed=99)
    rep = RegMix(seed=seed, n_iter=30).fit(x, y, X_val=xv, y_val=yv).fit_report_
    assert rep["val_mse_learned_policy"] <= rep["val_mse_no_mixing"], rep
    assert rep["val_mse_learned_policy"] < 0.9 * rep["val_mse_random_partner_mixup"], rep


def test_partners_are_among_k_nearest_neighbours_and_same_lambda():
    x, y = data()
    aug = RegMix(seed=1, **SMALL).fit(x, y)
    xi, _ = aug._to_internal(x)
    params = aug.sample(xi, y)
    xs, ys = aug._standardise(xi, torch.as_tensor(y, dtype=torch.float32)[:, None])
    nbr = F.knn(aug._knn_space(xs, ys), 4)[1]
    for i in range(len(x)):
        k = int(params["k"][i])
        assert int(params["partner"][i]) in nbr[i, :k].tolist()
    xo, yo = aug(x, y)
    lam, p = params["lam"].numpy(), params["partner"].numpy()
    xo2 = aug.apply(xi, params).numpy()
    assert np.allclose(xo2, lam[:, None] * x + (1 - lam[:, None]) * x[p], atol=1e-5)
    assert np.allclose(aug.apply_labels(y, params), lam * y + (1 - lam) * y[p], atol=1e-5)


def test_without_y_uses_marginal_and_validation_set():
    x, y = data()
    xv, yv = data(30, seed=1)
    aug = RegMix(seed=0, **SMALL).fit(x, y, X_val=xv, y_val=yv)
    assert aug.fit_report_["n_val"] == 30 and aug.fit_report_["n_train"] == 80
    assert aug(x).shape == x.shape


def test_errors():
    x, y = data()
    with pytest.raises(NotFittedError):
        RegMix()(x, y)
    with pytest.raises(ValueError, match="class labels"):
        RegMix(**SMALL).fit(x, np.arange(80) % 3)
    with pytest.raises(ValueError, match="too few"):
        RegMix(**SMALL).fit(x[:3], y[:3])
    with pytest.raises(ValueError, match="needs y"):
        RegMix(**SMALL).fit(x)
    with pytest.raises(ValueError, match="without y_val"):
        RegMix(**SMALL).fit(x, y, X_val=x)
    with pytest.raises(ValueError, match="k_candidates"):
        RegMix(k_candidates=[0, 2]).fit(x, y)  # checked at fit, not in __init__
    with pytest.raises(ValueError, match="task"):
        RegMix(task="classification").fit(x, y)
    aug = RegMix(seed=0, **SMALL).fit(x, y)
    with pytest.raises(ValueError, match="fitted on 3"):
        aug(np.ones((5, 2)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        aug(x[:1], y[:1])


def test_save_load_replays(tmp_path):
    x, y = data()
    aug = RegMix(seed=5, **SMALL).fit(x, y)
    aug.save(tmp_path / "rm")
    back = multiaug.load(tmp_path / "rm")
    twin = RegMix(seed=5, **SMALL).fit(x, y)
    a, ya = back(x, y)
    b, yb = twin(x, y)
    assert np.array_equal(a, b) and np.array_equal(ya, yb)


def test_in_imblearn_pipeline_with_regressor():
    x, y = data(120)
    pipe = Pipeline([("aug", RegMix(seed=0, n_aug=2, **SMALL)), ("reg", Ridge())])
    pipe.fit(x, y)
    assert pipe.predict(x).shape == y.shape


def test_categorical_columns_not_interpolated():
    import pandas as pd

    x, y = data()
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    df["kind"] = pd.Categorical(np.where(x[:, 2] > 0, "hi", "lo"))
    aug = RegMix(seed=0, **SMALL).fit(df, y)
    out, yo = aug(df, y)
    assert set(out["kind"]) <= {"hi", "lo"} and yo.shape == y.shape


def test_x_val_columns_must_match_x():
    import pandas as pd

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    y = x["a"].to_numpy() * 2.0
    with pytest.raises(ValueError, match="X_val has columns"):
        RegMix(**SMALL).fit(x, y, X_val=x[["b", "a"]], y_val=y)


def test_x_val_categories_are_coded_like_x():
    # X_val's categorical columns were coded with X_val's own categories: one lacking a category of X
    # shifted the codes, so the policy was rewarded on validation rows read in another coding
    pd = pytest.importorskip("pandas")
    g = np.random.default_rng(0)
    X = pd.DataFrame({"a": g.normal(size=60), "c": g.choice(["p", "q", "r"], 60)})
    y = X["a"].to_numpy() + 3.0 * (X["c"] == "r").to_numpy()
    Xv = X[X["c"] != "p"].iloc[:15]
    Xv_cat = Xv.assign(c=pd.Categorical(Xv["c"], categories=["p", "q", "r"]))  # coded as X is
    kw = dict(seed=0, categorical_columns=["c"], **SMALL)
    rep = RegMix(**kw).fit(X, y, X_val=Xv, y_val=y[Xv.index]).fit_report_
    assert rep == RegMix(**kw).fit(X, y, X_val=Xv_cat, y_val=y[Xv.index]).fit_report_
    with pytest.raises(ValueError, match=r"X_val column 'c' holds categories not seen in X: \['zz'\]"):
        RegMix(**kw).fit(X, y, X_val=Xv.assign(c="zz"), y_val=y[Xv.index])
