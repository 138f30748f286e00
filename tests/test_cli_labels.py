"""`multiaug augment --balance` and `--consistency-model` on every file kind (in-process, tiny files)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch

from tests.test_cli import run, run_inproc


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(0)
    y = np.array([0] * 30 + [1] * 10 + [2] * 5)
    df = pd.DataFrame(rng.normal(size=(len(y), 3)) + 2.0 * y[:, None], columns=["a", "b", "c"])
    df["label"] = y
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def model_config(tmp_path):
    p = tmp_path / "model.json"
    p.write_text(json.dumps({"model": "default", "threshold": 0.6, "max_tries": 3}))
    return p


def test_balance_table_exact_counts_and_lineage(table, tmp_path, capsys):
    out = tmp_path / "o.csv"
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--label-column", "label",
                   "--balance", "a=1", "--seed", "0", capsys=capsys)
    assert r.returncode == 2 and "class 'a' is not in y" in r.stderr
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--label-column", "label",
                   "--balance", "1=12,2=30", "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    assert df["label"].value_counts().to_dict() == {0: 30, 2: 30, 1: 12}
    aug = df[df["is_augmented"]]
    src = pd.read_csv(table)
    np.testing.assert_array_equal(aug["label"].to_numpy(), src["label"].to_numpy()[aug["source_index"].to_numpy()])
    # the same seed replays
    out2 = tmp_path / "o2.csv"
    run_inproc("augment", table, "-o", out2, "-a", "gaussian_noise", "--label-column", "label",
               "--balance", "1=12,2=30", "--seed", "0", "--batch-size", "7", capsys=capsys)
    df2 = pd.read_csv(out2)
    assert df2["label"].value_counts().to_dict() == {0: 30, 2: 30, 1: 12}


def test_balance_names(table, tmp_path, capsys):
    out = tmp_path / "o.csv"
    for name, counts in (("auto", {0: 30, 1: 30, 2: 30}), ("not-minority", {0: 30, 1: 30, 2: 5}), ("minority", {0: 30, 1: 10, 2: 30})):
        r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--label-column", "label", "--balance", name,
                       "--overwrite", capsys=capsys)
        assert r.returncode == 0, r.stderr
        assert pd.read_csv(out)["label"].value_counts().to_dict() == counts, name


def test_balance_series_npz_and_graphs(tmp_path, capsys):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", x=rng.normal(size=(12, 1, 16)).astype("float32"), y=np.array([0] * 9 + [1] * 3))
    r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o.npz", "-a", "jitter", "--balance", "auto",
                   "--seed", "1", "--batch-size", "5", capsys=capsys)
    assert r.returncode == 0, r.stderr
    z = np.load(tmp_path / "o.npz")
    assert np.bincount(z["y"]).tolist() == [9, 9] and len(z["x"]) == 18
    assert set(z["source_index"][z["is_augmented"]].tolist()) <= {9, 10, 11}
    from torch_geometric.data import Data

    from multiaug import io

    gs = [Data(x=torch.randn(4, 2), edge_index=torch.tensor([[0, 1, 2], [1, 2, 3]]), y=torch.tensor([int(i >= 4)]))
          for i in range(6)]
    io.write_graphs(tmp_path / "g.pt", gs)
    r = run_inproc("augment", tmp_path / "g.pt", "-o", tmp_path / "go.pt", "-a", "edge_drop", "--balance", "auto",
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    back = io.read_graphs(tmp_path / "go.pt")
    assert sorted(int(g.y) for g in back).count(1) == 4 and len(back) == 8


def test_balance_errors(table, tmp_path, capsys):
    out = tmp_path / "o.csv"
    cases = [
        (["-a", "gaussian_noise", "--label-column", "label", "--balance", "auto", "--n-aug", "2"], "not both"),
        (["-a", "gaussian_noise", "--balance", "auto"], "--balance needs --label-column"),
        (["-a", "mixup", "--label-column", "label", "--balance", "auto"], "Mixup, which mixes samples"),
        (["-a", "gaussian_noise", "--label-column", "label", "--balance", "majority"], "--balance 'majority': expected"),
        (["-a", "gaussian_noise", "--label-column", "label", "--balance", "1=2"], "more than its target"),
        (["-a", "gaussian_noise", "--label-column", "label", "--balance", "auto", "--engine", "ray"], "need --engine local"),
    ]
    for args, msg in cases:
        r = run_inproc("augment", table, "-o", out, *args, capsys=capsys)
        assert r.returncode == 2 and msg in r.stderr, (args, r.stderr)


def test_consistency_model_config_on_a_table(table, tmp_path, model_config, capsys):
    out = tmp_path / "o.csv"
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "-p", "sigma=3.0", "--label-column", "label",
                   "--n-aug", "2", "--consistency-model", model_config, "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(out)
    n_aug = int(df["is_augmented"].sum())
    assert n_aug < 2 * 45 and "rejected by the model" in r.stderr  # some copies were dropped, and it says so
    from multiaug.evaluation.models import default_model

    src = pd.read_csv(table)
    model = default_model("tabular", seed=0).fit(src[["a", "b", "c"]], src["label"])
    aug = df[df["is_augmented"]]
    p = model.predict_proba(aug[["a", "b", "c"]])
    cols = np.searchsorted(model.classes_, aug["label"].to_numpy())
    assert (p[np.arange(len(aug)), cols] >= 0.6).all()


def test_consistency_with_balance_text(tmp_path, model_config, capsys):
    texts = [f"good great fine nice happy w{i}" for i in range(12)] + [f"bad awful terrible poor sad w{i}" for i in range(4)]
    pd.DataFrame({"text": texts, "label": ["pos"] * 12 + ["neg"] * 4}).to_csv(tmp_path / "x.csv", index=False)
    r = run_inproc("augment", tmp_path / "x.csv", "-o", tmp_path / "o.csv", "-a", "random_swap", "--column", "text",
                   "--label-column", "label", "--balance", "auto", "--consistency-model", model_config, "--seed", "0",
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    df = pd.read_csv(tmp_path / "o.csv")
    counts = df["label"].value_counts().to_dict()
    assert counts["pos"] == 12 and counts["neg"] <= 12
    if counts["neg"] < 12:
        assert "augmented rows missing" in r.stderr
    aug = df[df["is_augmented"]]
    assert (aug["label"] == "neg").all() and (aug["text"] != df["text"].iloc[aug["source_index"]].to_numpy()).all()


def test_consistency_model_series_npz(tmp_path, model_config, capsys):
    rng = np.random.default_rng(0)
    y = np.array([0, 1] * 10)
    x = (rng.normal(size=(20, 1, 24)) * 0.2 + y[:, None, None]).astype("float32")
    np.savez(tmp_path / "s.npz", x=x, y=y)
    r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o.npz", "-a", "scaling", "--n-aug", "2",
                   "--consistency-model", model_config, "--seed", "0", "--exclude-original", capsys=capsys)
    assert r.returncode == 0, r.stderr
    out = np.load(tmp_path / "o.npz")["x"]
    assert out.ndim == 3 and 0 < len(out) <= 40 and np.isfinite(out).all()


def test_consistency_model_skops_and_refusals(table, tmp_path, capsys):
    out = tmp_path / "o.csv"
    bad = tmp_path / "m.pkl"
    bad.write_bytes(b"not read")
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--label-column", "label",
                   "--consistency-model", bad, capsys=capsys)
    assert r.returncode == 2 and "pickle/joblib files are refused" in r.stderr
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"model": "resnet"}))
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--label-column", "label",
                   "--consistency-model", cfg, capsys=capsys)
    assert r.returncode == 2 and "not available for tabular data" in r.stderr
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "--consistency-threshold", "0.5", capsys=capsys)
    assert r.returncode == 2 and "need --consistency-model" in r.stderr
    sio = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression

    df = pd.read_csv(table)
    model = LogisticRegression(max_iter=1000).fit(df[["a", "b", "c"]], df["label"])
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    r = run_inproc("augment", table, "-o", out, "-a", "gaussian_noise", "-p", "sigma=2.0", "--label-column", "label",
                   "--consistency-model", path, "--consistency-threshold", "0.7", "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    aug = pd.read_csv(out).query("is_augmented")
    p = model.predict_proba(aug[["a", "b", "c"]])[np.arange(len(aug)), aug["label"].to_numpy()]
    assert (p >= 0.7).all()


def _double(X):
    return 2 * X


def test_consistency_model_skops_untrusted_type_is_refused(tmp_path, table, capsys):
    sio = pytest.importorskip("skops.io")
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    df = pd.read_csv(table)
    model = make_pipeline(FunctionTransformer(_double), LogisticRegression(max_iter=1000)).fit(df[["a", "b", "c"]], df["label"])
    path = tmp_path / "m.skops"
    sio.dump(model, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert any("_double" in t for t in untrusted)  # a user function is not trusted by default
    r = run_inproc("augment", table, "-o", tmp_path / "o.csv", "-a", "gaussian_noise", "--label-column", "label",
                   "--consistency-model", path, capsys=capsys)
    assert r.returncode == 2 and "does not trust by default" in r.stderr and "--trust-type" in r.stderr
    args = [a for t in untrusted for a in ("--trust-type", t)]
    r = run_inproc("augment", table, "-o", tmp_path / "o.csv", "-a", "gaussian_noise", "--label-column", "label",
                   "--consistency-model", path, *args, capsys=capsys)
    assert r.returncode == 0, r.stderr


def test_installed_command_help_names_the_options():
    out = run("augment", "--help").stdout
    assert "--balance" in out and "--consistency-model" in out


@pytest.mark.parametrize("labels, balance, counts", [
    (["007", "007", "007", "7", "x"], "007=4", {"007": 4, "7": 1, "x": 1}),  # not read as the number 7
    (["yes", "yes", "yes", "no"], "no=3", {"yes": 3, "no": 3}),              # not read as False
    ([1, 1, 2, 2, 2], "1=3", {"1": 3, "2": 3}),                                # a number finds the integer
    (["yes", "yes", "yes", "no"], "{no: 3}", {"yes": 3, "no": 3}),            # the YAML form too
    (["007", "007", "007", "7", "x"], "{007: 4, x: 2}", {"007": 4, "7": 1, "x": 2}),
])
def test_balance_classes_are_matched_as_typed(tmp_path, capsys, labels, balance, counts):
    src = tmp_path / "b.csv"
    pd.DataFrame({"f": np.arange(len(labels), dtype=float), "label": labels}).dropna().to_csv(src, index=False)
    out = tmp_path / "o.csv"
    r = run_inproc("augment", src, "-o", out, "-a", "gaussian_noise", "--label-column", "label", "--balance", balance,
                   "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    got = pd.read_csv(out, dtype={"label": str})["label"].value_counts().to_dict()
    assert got == counts


def test_balance_with_nothing_to_add_says_so(tmp_path, capsys):
    """Classes already balanced as asked: the run wrote the originals only (0 augmented) and said
    nothing about why."""
    path = tmp_path / "even.csv"
    pd.DataFrame({"a": np.arange(6.0), "label": [0, 1] * 3}).to_csv(path, index=False)
    proc = run_inproc("augment", path, "-o", tmp_path / "o.csv", "-a", "gaussian_noise", "--label-column", "label",
                      "--balance", "auto", "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert "multiaug: warning: --balance: the classes are already balanced as asked (counts {0: 3, 1: 3}); no " \
           "augmented rows to add" in proc.stderr
    assert len(pd.read_csv(tmp_path / "o.csv")) == 6


@pytest.mark.parametrize("dtype,values", [("string", ["p", None, "q", "p"]), ("boolean", [True, None, False, True])])
def test_nullable_label_with_missing_cell_passes_through(tmp_path, capsys, dtype, values):
    # a parquet label column of pandas' nullable string/boolean type with a missing cell, carried by a
    # non-mixing tabular augmenter: the run ended with "boolean value of NA is ambiguous"
    src = tmp_path / "t.parquet"
    pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "label": pd.array(values, dtype=dtype)}).to_parquet(src)
    out = tmp_path / "o.parquet"
    r = run_inproc("augment", src, "-o", out, "-a", "gaussian_noise", "--label-column", "label", "--columns", "a",
                   "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    df = pd.read_parquet(out)
    assert str(df["label"].dtype) == dtype
    aug = df[df["is_augmented"]]
    expected = pd.array(values, dtype=dtype)[aug["source_index"].to_numpy()]
    assert aug["label"].reset_index(drop=True).equals(pd.Series(expected))


def test_default_consistency_model_on_a_table_with_a_word_column(tmp_path, capsys):
    # the default reference model was fitted on the raw frame: "could not convert string to float: 'dark'"
    g = np.random.default_rng(0)
    a = g.normal(size=80)
    df = pd.DataFrame({"a": a, "shade": np.where(a > 0.5, "dark", "light"), "label": (a > 0).astype(int)})
    src = tmp_path / "t.csv"
    df.to_csv(src, index=False)
    cfg = tmp_path / "m.json"
    cfg.write_text('{"model": "default"}')
    out = tmp_path / "o.csv"
    r = run_inproc("augment", src, "-o", out, "-a", "gaussian_noise", "-p", "sigma=2.0", "-p",
                   'categorical_columns=["shade"]', "--label-column", "label", "--n-aug", "2",
                   "--consistency-model", cfg, "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    o = pd.read_csv(out)
    assert set(o["shade"]) == {"dark", "light"}
    assert 0 < int(o["is_augmented"].sum()) < 160 and "rejected by the model" in r.stderr
