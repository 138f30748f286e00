"""evaluate(): leakage-freedom, paired statistics, each modality's default path on small data."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

import multiaug
from multiaug.evaluation import EvaluationResult, evaluate, paired_stats


def test_random_labels_leaky_protocol_scores_high_evaluate_stays_at_chance():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 8))
    y = rng.integers(0, 2, 80)  # labels carry no information
    aug = multiaug.create("gaussian_noise", sigma=0.01, seed=0)  # near-duplicates
    knn = KNeighborsClassifier(n_neighbors=1)
    # leaky protocol: augment everything, then split -> a near-duplicate of each test row is in training
    Xa, ya, _ = aug.augment(X, y, n_aug=3)
    X_all, y_all = np.concatenate([X, Xa]), np.concatenate([y, ya])
    leaky = cross_val_score(knn, X_all, y_all, cv=KFold(5, shuffle=True, random_state=0)).mean()
    assert leaky > 0.9
    res = evaluate([aug], X, y, model=knn, cv=5, repeats=2, n_aug=3, seed=0)
    s = res.scores["gaussian_noise(sigma=0.01)"]
    assert len(s) == 10
    assert abs(s.mean() - 0.5) < 0.12, s.mean()
    # and the augmented model matches the plain one up to noise (near-duplicates add nothing)
    assert abs(res.scores["none"].mean() - 0.5) < 0.12


def test_augmenter_only_sees_training_rows():
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.repeat([0, 1], 10)
    seen = []

    class Spy(KNeighborsClassifier):
        def fit(self, X, y):
            seen.append(np.asarray(X).copy())
            return super().fit(X, y)

    aug = multiaug.create("gaussian_noise", sigma=0.0)  # copies equal to their source rows
    res = evaluate([aug], X, y, model=Spy(n_neighbors=1), cv=4, repeats=1)
    from sklearn.model_selection import RepeatedStratifiedKFold

    splits = list(RepeatedStratifiedKFold(n_splits=4, n_repeats=1, random_state=0).split(X, y))
    assert len(seen) == 8  # none + candidate, 4 splits each
    for i, (tr, te) in enumerate(splits):
        for Xfit in seen[2 * i:2 * i + 2]:
            rows = {tuple(r) for r in Xfit}
            assert not rows & {tuple(r) for r in X[te]}  # no test row, nor a copy of one
        assert len(seen[2 * i + 1]) == 2 * len(tr)  # training fold + one copy of each training row
    assert np.isfinite(res.to_frame()["mean"]).all()


def test_destructive_augmenter_gets_significantly_negative_difference(bump_series, nn1_series):
    X, y = bump_series
    res = evaluate(["reverse", "jitter"], X, y, model=nn1_series, cv=5, repeats=2, seed=0)
    rows = {r["candidate"]: r for r in res.summary()}
    assert rows["none"]["mean"] > 0.95
    rev = rows["reverse"]
    assert rev["ci_high"] < 0 and rev["p_value"] < 0.05 and rev["losses"] >= 8
    jit = rows["jitter"]
    assert jit["ci_low"] <= 0 <= jit["ci_high"] or jit["diff"] > -0.05


def test_paired_stats_corrected_interval_is_wider_than_plain_t():
    d = np.array([0.02, 0.05, -0.01, 0.03, 0.04, 0.0, 0.02, 0.06, 0.01, 0.03])
    c = paired_stats(d, 0.25, "corrected")
    t = paired_stats(d, 0.25, "t")
    b = paired_stats(d, 0.25, "bootstrap")
    assert c["diff"] == pytest.approx(d.mean()) == t["diff"]
    assert c["ci_high"] - c["ci_low"] > t["ci_high"] - t["ci_low"]
    # hand-computed corrected t: var = (1/10 + 0.25) * s^2, df = 9
    from scipy import stats

    se = math.sqrt((0.1 + 0.25) * d.var(ddof=1))
    assert c["ci_high"] == pytest.approx(d.mean() + stats.t.ppf(0.975, 9) * se)
    assert b["ci_low"] < d.mean() < b["ci_high"]
    with pytest.raises(ValueError, match="ci"):
        paired_stats(d, 0.25, "wilson")


def test_result_exports(bump_series, nn1_series, tmp_path):
    X, y = bump_series
    res = evaluate(["jitter"], X, y, model=nn1_series, cv=2, repeats=1)
    assert isinstance(res, EvaluationResult)
    df = res.to_frame()
    assert list(df.index) == ["none", "jitter"] and {"mean", "diff", "ci_low", "ci_high", "wins"} <= set(df.columns)
    md = res.to_markdown()
    assert md.startswith("| candidate") and "jitter" in md and "Nadeau-Bengio" in md
    data = json.loads(res.to_json())
    assert len(data["scores"]["jitter"]) == 2 and data["configs"]["jitter"]["augmenter"] == "jitter"
    pytest.importorskip("matplotlib")
    fig = res.plot()
    assert len(fig.axes) == 1
    res.write(tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert "data:image/png;base64," in html and "<table" in html
    with pytest.raises(ValueError, match="expected a .md, .json or .html"):
        res.write(tmp_path / "r.pdf")


def test_candidates_forms_and_errors(bump_series, nn1_series, tmp_path):
    X, y = bump_series
    cfg = tmp_path / "p.yaml"
    cfg.write_text("augmenter: scaling\nparams: {sigma: 0.2}\n")
    res = evaluate(["none", "jitter", {"augmenter": "jitter", "params": {"sigma": 0.5}}, str(cfg),
                    ("mine", multiaug.create("scaling"))], X, y, model=nn1_series, cv=2, repeats=1)
    assert res.names == ["none", "jitter", "jitter(sigma=0.5)", "scaling(sigma=0.2)", "mine"]
    with pytest.raises(ValueError, match="unknown augmenter"):
        evaluate(["jiter"], X, y, model=nn1_series, cv=2, repeats=1)
    with pytest.raises(TypeError, match="candidate"):
        evaluate([3.5], X, y, model=nn1_series)
    with pytest.raises(ValueError, match="cv"):
        evaluate(["jitter"], X, y, model=nn1_series, cv=1)
    with pytest.raises(ValueError, match="n_aug"):
        evaluate(["jitter"], X, y, model=nn1_series, n_aug=0)
    with pytest.raises(ValueError, match="one label"):
        evaluate(["jitter"], X, y[:-1], model=nn1_series)
    with pytest.raises(TypeError, match="X: expected"):
        evaluate(["jitter"], {"a": 1}, y)


def test_same_seed_same_scores_and_max_time(bump_series, nn1_series):
    X, y = bump_series
    a = evaluate(["jitter"], X, y, model=nn1_series, cv=2, repeats=2, seed=3)
    b = evaluate(["jitter"], X, y, model=nn1_series, cv=2, repeats=2, seed=3)
    assert np.array_equal(a.scores["jitter"], b.scores["jitter"])
    c = evaluate(["jitter"], X, y, model=nn1_series, cv=2, repeats=3, max_time=1e-6)
    assert len(c.scores["jitter"]) == len(c.scores["none"]) == 1 and "max_time" in c.notes[0]


# ---- each modality's default path (default model, default or given candidates) -------------------


def test_text_default_path():
    good = ["a good great film", "great fun and good", "really good acting", "good story great cast", "great and fine"]
    bad = ["a bad awful film", "awful and boring", "really bad acting", "bad story awful cast", "boring and bad"]
    texts, y = (good + bad) * 2, ["pos"] * 5 + ["neg"] * 5 + ["pos"] * 5 + ["neg"] * 5
    res = evaluate(["random_swap", "random_deletion"], texts, y, cv=2, repeats=1)
    assert res.modality == "text" and res.task == "classification"
    assert res.scores["none"].mean() > 0.8 and len(res.scores["random_swap"]) == 2


def test_tabular_default_paths_classification_and_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 3))
    y = (X[:, 0] > 0).astype(int)
    res = evaluate(["gaussian_noise", "mixup"], X, y, cv=2, repeats=1)
    assert res.task == "classification" and res.scores["none"].mean() > 0.8
    yr = 2 * X[:, 0] + 0.1 * rng.normal(size=80)
    import pandas as pd

    res = evaluate(["gaussian_noise"], pd.DataFrame(X, columns=list("abc")), yr, cv=2, repeats=1)
    assert res.task == "regression" and res.scoring == "r2" and res.scores["none"].mean() > 0.5


def test_timeseries_default_path(bump_series):
    X, y = bump_series
    res = evaluate(None, X, y, cv=2, repeats=1)  # default candidates and model
    assert res.modality == "timeseries"
    assert res.names[0] == "none" and len(res.names) == 1 + len(multiaug.evaluation.DEFAULT_CANDIDATES["timeseries"])
    assert res.scores["none"].mean() > 0.9


def _two_block_graph(n=40, seed=0):
    from torch_geometric.data import Data

    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 6, generator=g) + 1.5 * y[:, None].float()
    src = torch.randint(0, n, (300,), generator=g)
    dst = torch.randint(0, n, (300,), generator=g)
    keep = y[src] == y[dst]
    return Data(x=x, edge_index=torch.stack([src[keep], dst[keep]]), y=y)


def test_node_graph_default_path_hides_test_labels():
    from multiaug.evaluation import GCNNodeClassifier

    data = _two_block_graph()
    data.y[:4] = -1  # unlabelled nodes are never split nor used
    seen = []

    class Spy(GCNNodeClassifier):
        def fit(self, graphs, y=None):
            seen.append(graphs)
            return super().fit(graphs, y)

    res = evaluate(["edge_drop", "feature_noise"], data, model=Spy(epochs=30), cv=2, repeats=1)
    assert res.modality == "graph-node" and res.scores["none"].mean() > 0.8
    for graphs in seen:
        g0 = graphs[0]
        assert (g0.y[~g0.train_mask] == -1).all() and (g0.y[g0.train_mask] >= 0).all()
        assert int(g0.train_mask.sum()) == 18  # half of the 36 labelled nodes
        for aug in graphs[1:]:
            assert (aug.y[~aug.train_mask] == -1).all()
    res = evaluate(["edge_drop"], data, cv=2, repeats=1)  # the default GCN
    assert res.scores["none"].mean() > 0.8


def test_graph_level_default_path():
    from torch_geometric.data import Batch, Data

    g = torch.Generator().manual_seed(0)
    graphs = []
    for i in range(24):
        c = i % 2
        graphs.append(Data(x=torch.randn(6, 3, generator=g) + 2 * c, edge_index=torch.randint(0, 6, (2, 12), generator=g),
                           y=torch.tensor([c])))
    res = evaluate(["edge_drop", "node_drop"], graphs, cv=2, repeats=1)
    assert res.modality == "graph-graph" and res.scores["none"].mean() > 0.8
    res2 = evaluate(["edge_drop"], Batch.from_data_list(graphs), cv=2, repeats=1)
    assert np.array_equal(res2.scores["none"], res.scores["none"])
    with pytest.raises(ValueError, match="graph_mode='node'"):
        evaluate(["edge_drop"], graphs, graph_mode="node")


def test_tables_fold_equals_imblearn_pipeline():
    """Each tabular fold trains what imblearn's Pipeline([augmenter, model]) trains (same augmenter seed)."""
    imblearn = pytest.importorskip("imblearn")
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    from multiaug.evaluation.evaluate import _split_seed

    rng = np.random.default_rng(1)
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=50) > 0).astype(int)
    aug = multiaug.create("gaussian_noise", sigma=0.3)
    model = LogisticRegression()
    cv = StratifiedKFold(2, shuffle=True, random_state=0)
    res = evaluate([aug], X, y, model=model, cv=cv)
    for s, (tr, te) in enumerate(cv.split(X, y)):
        a = clone(aug)
        a.reseed(_split_seed(0, s, 1))
        pipe = imblearn.pipeline.Pipeline([("augment", a), ("model", clone(model))]).fit(X[tr], y[tr])
        assert pipe.score(X[te], y[te]) == pytest.approx(res.scores["gaussian_noise(sigma=0.3)"][s])


def test_task_detection():
    from multiaug.evaluation._data import detect_task

    assert detect_task(np.arange(100, dtype=float), "auto") == "regression"  # whole-number targets (diabetes)
    assert detect_task(np.array([0.0, 1.0, 1.0, 2.0]), "auto") == "classification"
    assert detect_task(np.array(["a", "b"]), "auto") == "classification"
    assert detect_task(np.array([0.5, 1.7, 2.2]), "auto") == "regression"
    with pytest.raises(ValueError, match="task"):
        detect_task(np.array([0, 1]), "ranking")


@pytest.mark.parametrize("kw, needle", [
    ({"ci": "bogus"}, "ci expected one of"),
    ({"level": 1.5}, "level expected a confidence level"),
    ({"level": 0}, "level expected a confidence level"),
])
def test_interval_arguments_are_checked_before_any_fit(kw, needle, monkeypatch):
    import importlib

    ev_module = importlib.import_module("multiaug.evaluation.evaluate")

    def no_run(*a, **k):
        raise AssertionError("a fit started before the arguments were checked")

    monkeypatch.setattr(ev_module.CVRun, "run", no_run)
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=needle):
        evaluate(["gaussian_noise"], X, np.arange(20) % 2, cv=2, repeats=1, progress=False, **kw)


def test_search_checks_its_early_stop_level():
    from multiaug.evaluation import AugmentationSearchCV

    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="early_stop_level expected"):
        AugmentationSearchCV(None, ["gaussian_noise"], early_stop_level=2.0).fit(X, np.arange(20) % 2)


def test_model_and_scorer_see_the_users_string_labels():
    """Class labels are augmented as indices, but the model is trained and scored on the user's labels:
    a class_weight keyed by label and a scorer with pos_label="yes" work as in cross_val_score."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, make_scorer

    from multiaug.evaluation import AugmentationSearchCV

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.where(X[:, 0] + 0.3 * rng.normal(size=60) > 0, "yes", "no")
    model = LogisticRegression(class_weight={"yes": 2.0, "no": 1.0})
    kw = dict(model=model, cv=3, repeats=1, progress=False)
    custom = evaluate(["mixup"], X, y, scoring=make_scorer(f1_score, pos_label="yes"), **kw)
    named = evaluate(["mixup"], X, y, scoring="f1", **kw)  # pos_label=1 default: the second sorted class, "yes"
    for n in custom.names:
        np.testing.assert_allclose(custom.scores[n], named.scores[n])
    assert custom.scoring == "f1_score(pos_label=yes)" and 0.6 < custom.scores["none"].mean() <= 1.0
    s = AugmentationSearchCV(model, ["gaussian_noise"], cv=3, progress=False).fit(X, y)
    assert set(s.predict(X)) <= {"no", "yes"} and s.score(X, y) > 0.7


def test_groups_reach_a_group_aware_splitter():
    """Each row three times (one group), random labels: a 1-NN finds a test row's twin in training unless
    the groups keep the three together."""
    from sklearn.model_selection import GroupKFold

    rng = np.random.default_rng(0)
    X0, y0 = rng.normal(size=(40, 4)), rng.integers(0, 2, 40)
    X, y, groups = np.repeat(X0, 3, axis=0), np.repeat(y0, 3), np.repeat(np.arange(40), 3)
    knn = KNeighborsClassifier(n_neighbors=1)
    leaky = evaluate(["gaussian_noise"], X, y, model=knn, cv=4, repeats=1, progress=False)
    grouped = evaluate(["gaussian_noise"], X, y, model=knn, cv=GroupKFold(4), groups=groups, progress=False)
    assert leaky.scores["none"].mean() > 0.95
    assert abs(grouped.scores["none"].mean() - 0.5) < 0.2
    # an integer cv with groups: repeated k-fold by groups (stratified for classes), as leak-free
    by_int = evaluate(["gaussian_noise"], X, y, model=knn, cv=4, repeats=2, groups=groups, progress=False)
    assert len(by_int.scores["none"]) == 8 and abs(by_int.scores["none"].mean() - 0.5) < 0.2
    with pytest.raises(ValueError, match="one group per sample"):
        evaluate(["gaussian_noise"], X, y, model=knn, cv=GroupKFold(4), groups=groups[:-1])


def test_regressor_model_means_regression_for_integer_targets():
    """Integer targets (counts, prices) look like classes to type_of_target; a regressor says otherwise."""
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    y = np.round(100 * X[:, 0] + 10 * rng.normal(size=60)).astype(int)
    res = evaluate(["gaussian_noise"], X, y, model=Ridge(), cv=3, repeats=1, progress=False)
    assert res.task == "regression" and res.scoring == "r2" and res.scores["none"].mean() > 0.9


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")
def test_nan_scores_are_noted_and_written_as_json_null():
    from sklearn.linear_model import Ridge
    from sklearn.model_selection import LeaveOneOut

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    res = evaluate(["gaussian_noise"], X, X[:, 0] * 1.5, model=Ridge(), cv=LeaveOneOut(), progress=False)
    assert np.isnan(res.scores["none"]).all()  # r2 of one test sample is undefined
    assert any("score is NaN in 8 of 8 splits" in n for n in res.notes)
    text = res.to_json()
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard JSON constant {c}"))
    assert json.loads(text)["scores"]["none"] == [None] * 8


@pytest.mark.parametrize("stratify", [True, False])
def test_repeated_group_kfold_keeps_groups_whole_and_reshuffles_them(stratify):
    from multiaug.evaluation.evaluate import RepeatedGroupKFold

    rng = np.random.default_rng(1)
    groups = rng.integers(0, 30, 200).astype(str)  # 30 groups of unequal size, as strings
    y = rng.integers(0, 2, 200)
    cv = RepeatedGroupKFold(5, 3, stratify=stratify, random_state=0)
    splits = list(cv.split(np.zeros(200), y, groups))
    assert len(splits) == cv.get_n_splits() == 15
    for r in range(3):
        tests = [te for _, te in splits[5 * r:5 * r + 5]]
        assert sorted(np.concatenate(tests).tolist()) == list(range(200))  # each sample tested once a repeat
        for tr, te in splits[5 * r:5 * r + 5]:
            assert not set(groups[tr]) & set(groups[te])  # no group on both sides
            assert 20 <= len(te) <= 60  # folds of similar size
    firsts = [frozenset(groups[splits[5 * r][1]]) for r in range(3)]
    assert len(set(firsts)) > 1  # the repeats reshuffle the groups
    again = list(RepeatedGroupKFold(5, 3, stratify=stratify, random_state=0).split(np.zeros(200), y, groups))
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(splits, again))  # seeded
    with pytest.raises(ValueError, match="3 distinct groups cannot fill cv=5"):
        list(cv.split(np.zeros(6), y[:6], ["a", "b", "c", "a", "b", "c"]))


class _PaddingSpy(ClassifierMixin, BaseEstimator):
    """A classifier that records, at each fit, whether every training series kept its padding (the
    value 5.0 after its valid length) and predicts the class of the nearest mean series."""

    padding_kept: list = []

    def fit(self, X, y):
        X = np.asarray(X)
        pad = X[:, 0, :] == 5.0
        # padding (5.0) only after a series' valid steps (values in [-4, -2], a jitter aside), and no
        # value between them (padding warped or mixed into a series)
        kept = np.all(np.cumsum(pad, axis=1) * ~pad == 0) and np.all(pad | (X[:, 0, :] < -1.5))
        _PaddingSpy.padding_kept.append(bool(kept))
        self.classes_ = np.unique(y)
        self.means_ = np.stack([X[np.asarray(y) == c].mean(0) for c in self.classes_])
        return self

    def predict(self, X):
        d = ((np.asarray(X)[:, None] - self.means_[None]) ** 2).reshape(len(X), len(self.classes_), -1).sum(-1)
        return self.classes_[d.argmin(1)]


def test_lengths_reach_the_augmentation_of_each_training_fold():
    # evaluate had no lengths: variable-length series (padded at the end) were warped with their padding
    rng = np.random.default_rng(0)
    n, t = 40, 30
    lengths = rng.integers(6, t + 1, n)
    y = np.arange(n) % 2
    X = np.full((n, 1, t), 5.0, dtype=np.float32)
    for i, k in enumerate(lengths):
        X[i, 0, :k] = np.sin(np.arange(k) * (0.3 + 0.3 * y[i])) - 3.0
    cands = ["time_warp", multiaug.Sequential([multiaug.create("window_warp"), multiaug.create("jitter")])]
    _PaddingSpy.padding_kept = []
    res = evaluate(cands, X, y, model=_PaddingSpy(), cv=3, repeats=1, seed=0, lengths=lengths)
    assert len(_PaddingSpy.padding_kept) == 9 and all(_PaddingSpy.padding_kept)
    assert set(res.scores) == {"none", "time_warp", "sequential(augmenters=[window_warp, jitter])"}
    s = multiaug.evaluation.AugmentationSearchCV(_PaddingSpy(), ["time_warp"], cv=3, repeats=1, seed=0)
    _PaddingSpy.padding_kept = []
    s.fit(X, y, lengths=lengths)
    assert len(_PaddingSpy.padding_kept) == 7 and all(_PaddingSpy.padding_kept)  # 6 folds + the refit
    # without lengths the padding is warped into the series (what happened before)
    _PaddingSpy.padding_kept = []
    evaluate(["time_warp"], X, y, model=_PaddingSpy(), cv=3, repeats=1, seed=0)
    assert not all(_PaddingSpy.padding_kept)


def test_lengths_are_checked_by_name():
    X = np.zeros((12, 1, 20), dtype=np.float32)
    y = np.arange(12) % 2
    with pytest.raises(ValueError, match=r"lengths: expected 12 integers \(one per series\)"):
        evaluate(["jitter"], X, y, cv=3, repeats=1, lengths=[5, 6])
    with pytest.raises(ValueError, match=r"lengths: every length must be in \[1, 20\]"):
        evaluate(["jitter"], X, y, cv=3, repeats=1, lengths=np.full(12, 21))
    with pytest.raises(ValueError, match="lengths: the valid lengths of time series .*X holds tabular data"):
        evaluate(["gaussian_noise"], np.zeros((12, 3)), y, cv=3, repeats=1, lengths=np.full(12, 2))
    with pytest.raises(ValueError, match="candidate 'autotcl': AutoTCL is fitted on each training fold"):
        evaluate(["autotcl"], X, y, cv=3, repeats=1, lengths=np.full(12, 20))


def test_lengths_of_the_wrong_count_are_refused_in_one_short_line():
    # the message printed the whole lengths array over several lines (a CLI user saw a truncated array repr)
    X = np.zeros((60, 1, 20), dtype=np.float32)
    with pytest.raises(ValueError) as e:
        evaluate(["jitter"], X, np.arange(60) % 2, cv=3, repeats=1, lengths=np.full(59, 10))
    assert str(e.value) == "lengths: expected 60 integers (one per series), got 59"
    with pytest.raises(ValueError, match=r"lengths: expected 60 integers \(one per series\), got shape \(60, 1\)"):
        evaluate(["jitter"], X, np.arange(60) % 2, cv=3, repeats=1, lengths=np.full((60, 1), 10))


def test_2d_univariate_series_with_series_candidates_use_the_series_path():
    # an (N, T) array with series augmenters was evaluated as a table (gradient boosting on time steps: 0.62
    # where the series model scores 1.0 on (N, 1, T)), and lengths= with it was refused as "tabular data"
    from multiaug.evaluation.evaluate import CVRun
    from multiaug.evaluation.models import RandomKernelFeatures

    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(12, 40)).astype(np.float32), np.arange(12) % 2
    run = CVRun(X, y, ["jitter", "window_warp"], cv=3, repeats=1)
    assert run.modality == "timeseries" and isinstance(run.model.steps[0][1], RandomKernelFeatures)
    assert CVRun(X, y, None, cv=3, repeats=1, lengths=np.full(12, 30)).modality == "timeseries"
    # a table candidate, or the default candidates without lengths: a table, as before
    assert CVRun(X, y, ["jitter", "gaussian_noise"], cv=3, repeats=1).modality == "tabular"
    assert CVRun(X, y, None, cv=3, repeats=1).modality == "tabular"
    res = evaluate(["jitter"], X, y, model=KNeighborsClassifier(1), cv=3, repeats=1, lengths=np.full(12, 30))
    assert res.modality == "timeseries" and len(res.scores["jitter"]) == 3


def test_multi_output_regression_with_the_default_table_model_is_refused_naming_y():
    # the default HistGradientBoostingRegressor failed inside the first fit with scikit-learn's
    # "y should be a 1d array, got an array of shape (13, 3)"; a multi-output model given as model= runs
    from sklearn.linear_model import Ridge

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X @ rng.normal(size=(3, 2)) + 0.1 * rng.normal(size=(20, 2))
    with pytest.raises(ValueError, match=r"y: 2 targets per sample \(shape \(20, 2\)\); the default table model"):
        evaluate(["gaussian_noise"], X, y, cv=3, repeats=1)
    res = evaluate(["gaussian_noise"], X, y, model=Ridge(), cv=3, repeats=1)
    assert res.task == "regression" and res.scores["none"].mean() > 0.9


def test_many_integer_classes_taken_by_task_auto_are_named_in_a_note():
    # rounded regression targets (ints) became ~100 classes scored by accuracy, with nothing in the report to say so
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.round(X @ [20.0, 10.0]).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn: the least populated class has 1 member
        res = evaluate(["gaussian_noise"], X, y, model=KNeighborsClassifier(1), cv=3, repeats=1)
    assert res.task == "classification"
    assert any("distinct integer values were taken as classes" in n for n in res.notes)
    assert "task='regression'" in res.to_markdown()
    few = evaluate(["gaussian_noise"], X, (X[:, 0] > 0).astype(int), model=KNeighborsClassifier(1), cv=3, repeats=1)
    assert not any("taken as classes" in n for n in few.notes)
    from sklearn.neighbors import KNeighborsRegressor

    reg = evaluate(["gaussian_noise"], X, y, model=KNeighborsRegressor(1), cv=3, repeats=1, task="regression")
    assert reg.task == "regression" and not any("taken as classes" in n for n in reg.notes)


def test_one_group_is_refused_without_suggesting_cv_1():
    # the message said "lower cv (at most 1)", a cv that is itself refused
    X, y = np.random.default_rng(0).normal(size=(12, 2)), np.arange(12) % 2
    with pytest.raises(ValueError, match=r"groups: 1 distinct group cannot fill cv=3 test folds; cross-validation "
                                         r"by groups needs at least 2 groups") as e:
        evaluate(["gaussian_noise"], X, y, model=KNeighborsClassifier(1), cv=3, repeats=1, groups=np.zeros(12))
    assert "at most 1" not in str(e.value)
