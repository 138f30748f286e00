"""`multiaug evaluate`, `search` (its YAML accepted by `augment --config`) and `preview`, end to end."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.test_cli import run, run_inproc


@pytest.fixture
def table_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["y"] = (X[:, 0] > 0).astype(int)
    p = tmp_path / "t.csv"
    df.to_csv(p, index=False)
    return p


def test_evaluate_reports(table_csv, tmp_path, capsys):
    for suffix in ("md", "json", "html"):
        rep = tmp_path / f"r.{suffix}"
        r = run_inproc("evaluate", table_csv, "--label-column", "y", "-a", "gaussian_noise", "--cv", "2", "--repeats", "1",
                       "--threads", "1", "--report", rep, capsys=capsys)
        assert r.returncode == 0, r.stderr
        assert "| gaussian_noise |" in r.stdout
        assert rep.stat().st_size > 100
    assert json.loads((tmp_path / "r.json").read_text())["summary"][0]["candidate"] == "none"


def test_evaluate_does_not_use_an_unnamed_index_column_as_a_feature(tmp_path, capsys):
    # DataFrame.to_csv() writes the index under an empty name; with rows sorted by class it predicts the
    # label perfectly, so as a feature it would make every candidate look perfect
    g = np.random.default_rng(0)
    df = pd.DataFrame({"a": g.normal(size=60), "b": g.normal(size=60), "y": (np.arange(60) >= 30).astype(int)})
    p = tmp_path / "sorted.csv"
    df.to_csv(p)
    r = run_inproc("evaluate", p, "--label-column", "y", "-a", "gaussian_noise", "--cv", "3", "--repeats", "1",
                   "--threads", "1", "--report", tmp_path / "r.json", capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert "['Unnamed: 0'] hold a DataFrame index" in r.stderr
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert summary[0]["candidate"] == "none" and summary[0]["mean"] < 0.8  # noise features: near chance


def test_search_writes_config_that_augment_accepts(table_csv, tmp_path):
    best = tmp_path / "best.yaml"
    r = run("search", table_csv, "--label-column", "y", "-a", "gaussian_noise", "-a", "mixup", "--cv", "2",
            "--threads", "1", "-o", best, "--no-progress")
    cfg = yaml.safe_load(best.read_text())
    assert cfg["augmenter"] in ("gaussian_noise", "mixup"), r.stderr
    out = tmp_path / "aug.csv"
    run("augment", table_csv, "-o", out, "--config", best, "--label-column", "y", "--seed", "0")
    assert len(pd.read_csv(out)) == 80


def test_text_and_series_inputs(tmp_path, capsys):
    p = tmp_path / "t.jsonl"
    rows = [{"text": t, "label": lab} for t, lab in
            [("good great fun", 1), ("bad awful boring", 0), ("great good story", 1), ("awful bad plot", 0)] * 3]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    r = run_inproc("evaluate", p, "--label-column", "label", "--column", "text", "-a", "random_swap", "--cv", "2",
                   "--repeats", "1", capsys=capsys)
    assert r.returncode == 0, r.stderr and "text (classification)" in r.stdout
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 1, 16)).astype("float32")
    y = np.repeat([0, 1], 10)
    x[y == 1, 0, :4] += 3
    np.savez(tmp_path / "s.npz", x=x, y=y)
    r = run_inproc("evaluate", tmp_path / "s.npz", "-a", "jitter", "--cv", "2", "--repeats", "1", capsys=capsys)
    assert r.returncode == 0 and "timeseries" in r.stdout, r.stderr


@pytest.mark.parametrize("args,msg", [
    (["--cv", "1"], "--cv: expected an integer >= 2"),
    (["--report", "r.pdf"], "expected a .md, .json or .html"),
    (["-a", "nosuch"], "unknown augmenter 'nosuch'"),
    (["--columns", "a,zz"], "column(s) ['zz'] not in"),
    (["--report", "no_such_folder/r.md"], "does not exist; create it first"),
])
def test_evaluate_errors_are_one_line(table_csv, capsys, args, msg):
    r = run_inproc("evaluate", table_csv, "--label-column", "y", *args, capsys=capsys)
    assert r.returncode == 2 and msg in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_evaluate_needs_label_column(table_csv, capsys):
    r = run_inproc("evaluate", table_csv, "-a", "gaussian_noise", capsys=capsys)
    assert r.returncode == 2 and "--label-column is required" in r.stderr


def test_search_refuses_existing_output(table_csv, tmp_path, capsys):
    out = tmp_path / "b.yaml"
    out.write_text("x")
    r = run_inproc("search", table_csv, "--label-column", "y", "-o", out, capsys=capsys)
    assert r.returncode == 2 and "--overwrite" in r.stderr


def test_preview_command(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    pytest.importorskip("multiaug.preview")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", x=rng.normal(size=(10, 2, 32)).astype("float32"), y=np.arange(10) % 2)
    out = tmp_path / "p.png"
    r = run_inproc("preview", tmp_path / "s.npz", "-a", "jitter", "--n", "3", "-o", out, capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 1000
    r = run_inproc("preview", tmp_path / "s.npz", "-a", "jitter", "--n", "0", "-o", out, capsys=capsys)
    assert r.returncode == 2 and "--n" in r.stderr


def test_search_checks_the_output_folder_before_running(table_csv, tmp_path, capsys):
    r = run_inproc("search", table_csv, "--label-column", "y", "-o", tmp_path / "nodir" / "b.yaml", capsys=capsys)
    assert r.returncode == 2 and "does not exist; create it first" in r.stderr and "|" not in r.stdout


def _small_table(tmp_path, labels):
    df = pd.DataFrame(np.random.default_rng(0).normal(size=(len(labels), 3)), columns=["a", "b", "c"])
    df["y"] = labels
    p = tmp_path / "small.csv"
    df.to_csv(p, index=False)
    return p


def _two_feature_csv(path, n):
    """``n`` rows of two normal features (seed 1) and ``y = a > 0``."""
    df = pd.DataFrame(np.random.default_rng(1).normal(size=(n, 2)), columns=["a", "b"])
    df["y"] = (df["a"] > 0).astype(int)
    df.to_csv(path, index=False)


def test_evaluate_refuses_a_single_class(tmp_path, capsys):
    p = _small_table(tmp_path, ["a"] * 12)
    r = run_inproc("evaluate", p, "--label-column", "y", "-a", "gaussian_noise", "--cv", "3", "--repeats", "1",
                   "--no-progress", capsys=capsys)
    assert r.returncode == 2 and r.stdout == ""  # no table of perfect scores that compares nothing
    assert r.stderr.strip() == ("multiaug: error: --label-column 'y' holds a single value ('a') in all 12 rows; "
                                "evaluation needs at least 2 classes (or distinct targets) to compare augmenters")


def test_evaluate_api_refuses_a_single_class():
    from multiaug.evaluation import evaluate

    with pytest.raises(ValueError, match=r"every sample has the same class \('a'\)"):
        evaluate("jitter", np.zeros((6, 1, 8), dtype="float32"), np.array(["a"] * 6))


@pytest.mark.parametrize("labels", [["a", "b"] * 5 + [None, "a"], [0, 1] * 5 + [None, 1]])
def test_evaluate_missing_label_names_the_rows(tmp_path, capsys, labels):
    p = _small_table(tmp_path, labels)
    r = run_inproc("evaluate", p, "--label-column", "y", "-a", "gaussian_noise", "--cv", "3", "--repeats", "1",
                   "--no-progress", capsys=capsys)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        "multiaug: error: --label-column 'y' is missing in 1 row(s) (first: [10]); every row needs a label or "
        "target: fill or drop those rows"]


def test_evaluate_warnings_are_one_line_each_and_once(tmp_path, capsys):
    # a class of 2 rows with --cv 3 (scikit-learn warns), and EDA on numbers (no output differs, every split)
    p = _small_table(tmp_path, ["a"] * 10 + ["b"] * 2)
    r = run_inproc("evaluate", p, "--label-column", "y", "--column", "a", "-a", "eda", "--cv", "3", "--repeats", "1",
                   "--no-progress", capsys=capsys)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "multiaug: warning: The least populated class in y has only 2 members, which is less than n_splits=3." in lines
    assert any(line.startswith("multiaug: warning: EDA: 8 of 8 outputs are identical") for line in lines)
    assert all(line.startswith("multiaug: warning: ") for line in lines), lines  # no file paths or source lines
    assert len(lines) == len(set(lines))


def test_search_says_when_the_best_gain_is_not_significant(tmp_path, capsys, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    monkeypatch.setattr(models, "default_model", lambda *a, **k: KNeighborsClassifier(3))  # fast and seed-free
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    df = pd.DataFrame(X, columns=["a", "b", "c"])
    df["y"] = (X[:, 0] + rng.normal(size=40) > 0).astype(int)
    df.to_csv(tmp_path / "n.csv", index=False)
    r = run_inproc("search", tmp_path / "n.csv", "--label-column", "y", "-a", "gaussian_noise", "--cv", "2",
                   "--repeats", "2", "-o", tmp_path / "b.yaml", "--no-progress", capsys=capsys)
    assert r.returncode == 0, r.stderr
    # it scores best, by a margin its interval does not resolve: the config is written, with the caveat
    assert "multiaug: best gaussian_noise" in r.stderr and "not significantly better than none (+" in r.stderr
    assert yaml.safe_load((tmp_path / "b.yaml").read_text())["augmenter"] == "gaussian_noise"


def test_search_last_line_names_the_augmenter_written_when_none_scores_best(tmp_path, capsys, monkeypatch):
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    monkeypatch.setattr(models, "default_model", lambda *a, **k: KNeighborsClassifier(3))
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    df = pd.DataFrame(X, columns=["a", "b"])
    df["y"] = (X[:, 0] > 0).astype(int)  # separable: heavy noise on the training rows only hurts
    df.to_csv(tmp_path / "s.csv", index=False)
    (tmp_path / "loud.yaml").write_text(yaml.safe_dump({"augmenter": "gaussian_noise", "params": {"sigma": 5.0}}))
    r = run_inproc("search", tmp_path / "s.csv", "--label-column", "y", "--config", tmp_path / "loud.yaml",
                   "--n-aug", "3", "--cv", "3", "--repeats", "1", "-o", tmp_path / "b.yaml", "--no-progress",
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert "no augmentation scored best" in r.stderr
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("multiaug: config of ") and "best none" not in r.stderr
    assert yaml.safe_load((tmp_path / "b.yaml").read_text())["augmenter"] == "gaussian_noise"


def test_groups_column_keeps_each_group_in_one_fold(tmp_path, capsys, monkeypatch):
    """Each row three times under one group id, random labels: without --groups-column a 1-NN finds a
    test row's twin in training (a near-perfect score that says nothing); with it, chance. The group
    column is not a feature."""
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    monkeypatch.setattr(models, "default_model", lambda *a, **k: KNeighborsClassifier(1))
    rng = np.random.default_rng(0)
    X0, y0 = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    df = pd.DataFrame(np.repeat(X0, 3, axis=0), columns=["a", "b", "c"])
    df["y"] = np.repeat(y0, 3)
    df["patient"] = np.repeat([f"p{i}" for i in range(40)], 3)
    df.to_csv(tmp_path / "g.csv", index=False)

    def none_mean(*extra):
        r = run_inproc("evaluate", tmp_path / "g.csv", "--label-column", "y", "--columns", "a,b,c", "-a", "gaussian_noise",
                       "--cv", "4", "--repeats", "1", "--report", tmp_path / "r.json", "--no-progress", *extra, capsys=capsys)
        assert r.returncode == 0, r.stderr
        rows = json.loads((tmp_path / "r.json").read_text())["summary"]
        return next(row["mean"] for row in rows if row["candidate"] == "none")

    assert none_mean() >= 0.9
    assert abs(none_mean("--groups-column", "patient") - 0.5) < 0.2
    r = run_inproc("evaluate", tmp_path / "g.csv", "--label-column", "y", "--groups-column", "nope", capsys=capsys)
    assert r.returncode != 0 and "['nope'] not in" in r.stderr
    r = run_inproc("evaluate", tmp_path / "g.csv", "--label-column", "y", "--columns", "a,patient", "--groups-column",
                   "patient", capsys=capsys)
    assert r.returncode != 0 and "--groups-column 'patient' is also the label or a feature column" in r.stderr


@pytest.mark.parametrize("cmd", ["evaluate", "search"])
def test_evaluate_and_search_give_an_npz_lengths_to_the_augmentation(tmp_path, capsys, cmd):
    # an .npz's lengths array was ignored (the folds' copies warped the padding): it reaches evaluate/search now,
    # which check it (a length beyond the padded one is refused by name)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 1, 20)).astype("float32")
    lengths = np.array([20, 8, 12, 15] * 3)
    extra = ["-o", tmp_path / "best.yaml", "--overwrite"] if cmd == "search" else []
    np.savez(tmp_path / "s.npz", x=x, y=np.arange(12) % 2, lengths=lengths)
    r = run_inproc(cmd, tmp_path / "s.npz", "-a", "time_warp", "--cv", "2", "--repeats", "1", *extra, capsys=capsys)
    assert r.returncode == 0, r.stderr
    np.savez(tmp_path / "bad.npz", x=x, y=np.arange(12) % 2, lengths=lengths + 1)
    r = run_inproc(cmd, tmp_path / "bad.npz", "-a", "time_warp", "--cv", "2", "--repeats", "1", *extra, capsys=capsys)
    assert r.returncode != 0 and "lengths: every length must be in [1, 20]" in r.stderr


@pytest.mark.parametrize("how", ["-a", "--config"])
def test_search_config_carries_the_n_aug_it_measured(tmp_path, capsys, monkeypatch, how):
    # the search trained on 3 copies per sample (-n 3) but wrote n_aug: 1 (or nothing, for a --config
    # candidate): `multiaug augment --config` then made 1 copy, not what was measured
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    monkeypatch.setattr(models, "default_model", lambda *a, **k: KNeighborsClassifier(3))
    _two_feature_csv(tmp_path / "s.csv", 30)
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({"augmenter": "gaussian_noise", "params": {"sigma": 0.1}}))
    cand = ["-a", "gaussian_noise"] if how == "-a" else ["--config", tmp_path / "c.yaml"]
    r = run_inproc("search", tmp_path / "s.csv", "--label-column", "y", *cand, "-n", "3", "--cv", "2",
                   "--repeats", "1", "-o", tmp_path / "b.yaml", "--no-progress", capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert yaml.safe_load((tmp_path / "b.yaml").read_text())["params"]["n_aug"] == 3
    r = run_inproc("augment", tmp_path / "s.csv", "-o", tmp_path / "o.csv", "--config", tmp_path / "b.yaml",
                   "--label-column", "y", "--seed", "0", capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert len(pd.read_csv(tmp_path / "o.csv")) == 30 * 4


def test_evaluate_and_search_use_word_columns_as_categories(tmp_path, capsys):
    # a table with a column of words: it was refused ("not numeric") although the tabular augmenters and
    # the default model take categories; now it is a categorical feature (categories from the whole file)
    g = np.random.default_rng(0)
    a = g.normal(size=60)
    df = pd.DataFrame({"a": a, "colour": np.where(g.random(60) < 0.5, "red", "blue"), "y": (a > 0).astype(int)})
    p = tmp_path / "words.csv"
    df.to_csv(p, index=False)
    r = run_inproc("evaluate", p, "--label-column", "y", "-a", "gaussian_noise", "-a", "mixup", "--cv", "3",
                   "--repeats", "1", "--threads", "1", "--report", tmp_path / "r.json", capsys=capsys)
    assert r.returncode == 0, r.stderr
    summary = json.loads((tmp_path / "r.json").read_text())["summary"]
    assert [s["candidate"] for s in summary] == ["none", "gaussian_noise", "mixup"]
    assert summary[0]["mean"] > 0.8  # the numeric feature carries the label
    r = run_inproc("search", p, "--label-column", "y", "-a", "gaussian_noise", "--cv", "3", "--repeats", "1",
                   "-o", tmp_path / "best.yaml", capsys=capsys)
    assert r.returncode == 0, r.stderr
    df.assign(when=pd.Timestamp("2020-01-01")).to_parquet(tmp_path / "dates.parquet")  # datetime64, not words
    r = run_inproc("evaluate", tmp_path / "dates.parquet", "--label-column", "y", "--columns", "a,when", "-a",
                   "gaussian_noise", capsys=capsys)
    assert r.returncode == 2 and "['when'] are neither numeric nor words" in r.stderr


@pytest.mark.parametrize("cmd", ["evaluate", "search"])
def test_nan_feature_is_named_and_the_advice_is_one_the_cli_can_follow(tmp_path, capsys, monkeypatch, cmd):
    # NaN in a feature: "GaussianNoise: x columns [1] contain NaN; ... pass nan_policy='keep'" named the
    # column by its position in the float array and advised a parameter evaluate/search cannot set (no -p)
    from sklearn.ensemble import HistGradientBoostingClassifier

    import multiaug.evaluation.models as models

    monkeypatch.setattr(models, "default_model", lambda *a, **k: HistGradientBoostingClassifier(max_iter=3))
    g = np.random.default_rng(0)
    df = pd.DataFrame({"age": g.normal(size=20), "income": g.normal(size=20)})
    df["y"] = (df["age"] > 0).astype(int)
    df.loc[3, "income"] = np.nan
    df.to_csv(tmp_path / "nan.csv", index=False)
    extra = ["-o", tmp_path / "best.yaml"] if cmd == "search" else []
    base = [cmd, tmp_path / "nan.csv", "--label-column", "y", "--cv", "2", "--repeats", "1", "--no-progress", *extra]
    r = run_inproc(*base, "-a", "gaussian_noise", capsys=capsys)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "'income' (1 row)" in r.stderr and "[1]" not in r.stderr
    assert "--config FILE with nan_policy: keep" in r.stderr and "{augmenter: gaussian_noise" in r.stderr
    # the advice works: a --config candidate with nan_policy: keep runs
    (tmp_path / "keep.yaml").write_text(yaml.safe_dump({"augmenter": "gaussian_noise", "params": {"nan_policy": "keep"}}))
    r = run_inproc(*base, "--config", tmp_path / "keep.yaml", capsys=capsys)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("cmd", ["evaluate", "search"])
def test_a_config_candidates_own_n_aug_is_used_unless_n_is_given(tmp_path, capsys, monkeypatch, cmd):
    # a --config with n_aug: 4 was evaluated with -n's default, 1 copy per training sample, without a word
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    sizes = []

    class Recording(KNeighborsClassifier):
        def fit(self, X, y):
            sizes.append(len(X))
            return super().fit(X, y)

    monkeypatch.setattr(models, "default_model", lambda *a, **k: Recording(3))
    _two_feature_csv(tmp_path / "s.csv", 20)
    (tmp_path / "four.yaml").write_text(yaml.safe_dump({"augmenter": "gaussian_noise", "params": {"n_aug": 4}}))
    out = ["-o", tmp_path / "best.yaml", "--overwrite"] if cmd == "search" else []
    base = [cmd, tmp_path / "s.csv", "--label-column", "y", "--cv", "2", "--repeats", "1", "--no-progress", *out]
    for extra, copies in (([], 4), (["-n", "2"], 2)):
        sizes.clear()
        plain = ["-a", "gaussian_noise"] if cmd == "evaluate" else []
        r = run_inproc(*base, *plain, "--config", tmp_path / "four.yaml", *extra, capsys=capsys)
        assert r.returncode == 0, r.stderr
        # per split: none (10 rows), [gaussian_noise (its own n_aug 1, or -n),] four (10 + 10 * copies)
        assert sizes[:2 + len(plain) // 2] == [10, *([10 * (1 + (copies if extra else 1))] if plain else []),
                                                10 * (1 + copies)]
        if cmd == "search":  # the written config carries what was measured
            assert yaml.safe_load((tmp_path / "best.yaml").read_text())["params"]["n_aug"] == copies


def test_features_float32_cannot_hold_reach_the_model_with_every_digit(tmp_path, capsys, monkeypatch):
    # evaluate cast every numeric feature to float32: the id 123456789 reached the model as 123456792 and
    # 0.123456789 as 0.12345679, silently. Now float64 then; float32 still where it holds every value
    # (a csv of measurements such as 0.03808: the same seeded scores as before)
    from sklearn.neighbors import KNeighborsClassifier

    import multiaug.evaluation.models as models

    seen = []

    class Recording(KNeighborsClassifier):
        def fit(self, X, y):
            seen.append(np.asarray(X))
            return super().fit(X, y)

    monkeypatch.setattr(models, "default_model", lambda *a, **k: Recording(3))
    ids = pd.DataFrame({"id": 123456789 + np.arange(20), "x": 0.123456789 + np.arange(20), "y": np.arange(20) % 2})
    short = pd.DataFrame({"a": np.round(np.linspace(-0.1, 0.1, 20), 5), "b": np.arange(20) * 1000, "y": np.arange(20) % 2})
    for df, dtype in ((ids, np.float64), (short, np.float32)):
        df.to_csv(tmp_path / "t.csv", index=False)
        seen.clear()
        r = run_inproc("evaluate", tmp_path / "t.csv", "--label-column", "y", "-a", "none", "--cv", "2", "--repeats", "1",
                       "--no-progress", capsys=capsys)
        assert r.returncode == 0, r.stderr
        X = np.concatenate(seen)
        assert X.dtype == dtype
        # every training row as the file holds it (float32 of the short decimals: what the old cast gave)
        expected = df.drop(columns="y").to_numpy(dtype=dtype)
        assert {tuple(row) for row in X.tolist()} == {tuple(row) for row in expected.tolist()}


def test_float32_holds():
    from multiaug.cli import _float32_holds

    assert _float32_holds(np.array([0.03808, -0.00259, 151.0, 16777216.0, 12345678.0, 0.1234567, -2.5e-7, 0.0, np.nan]))
    for v in (123456789.0, 16777217.0, 0.123456789, 1234.5678, 1e-40, 4e38):
        assert not _float32_holds(np.array([1.5, v])), v
