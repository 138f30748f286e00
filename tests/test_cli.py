"""The real `multiaug` command on temporary files, for every format and the failure cases."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def run(*args, cwd=None, check=True):
    exe = shutil.which("multiaug", path=os.path.dirname(sys.executable)) or shutil.which("multiaug")
    cmd = [exe, *map(str, args)] if exe else [sys.executable, "-m", "multiaug.cli", *map(str, args)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if check and proc.returncode != 0:
        raise AssertionError(f"{cmd} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


class _Proc:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_inproc(*args, capsys):
    """The same entry point in this process (fast); the subprocess runs above prove the installed command."""
    from multiaug.cli import main

    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return _Proc(code, out, err)


def test_list_shows_every_modality():
    out = run("list").stdout
    for modality in ("text", "graph", "tabular", "timeseries"):
        assert f" {modality} " in out
    assert "jitter" in out and "edge_drop" in out


def test_describe():
    out = run("describe", "jitter").stdout
    assert "sigma = 0.03" in out and "seed = None" in out
    bad = run("describe", "nope", check=False)
    assert bad.returncode == 2 and "unknown augmenter" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_text_round_trip_every_table_format(tmp_path, suffix):
    df = pd.read_csv(EXAMPLES / "reviews.csv")
    inp = tmp_path / f"in{suffix}"
    from multiaug.io import write_table

    write_table(df, inp)
    out = tmp_path / f"out{suffix}"
    run("augment", inp, "-o", out, "-a", "random_swap", "--column", "text", "--label-column", "label", "-n", "2", "--seed", "1", "--batch-size", "5")
    from multiaug.io import read_table

    res = read_table(out)
    assert len(res) == 3 * len(df)
    assert res["is_augmented"].sum() == 2 * len(df)
    orig = res[~res["is_augmented"].astype(bool)]
    assert orig["text"].tolist() == df["text"].tolist()
    aug = res[res["is_augmented"].astype(bool)]
    assert (aug["label"].to_numpy() == df["label"].to_numpy()[aug["source_index"].to_numpy()]).all()
    # same seed, same output
    out2 = tmp_path / f"again{suffix}"
    run("augment", inp, "-o", out2, "-a", "random_swap", "--column", "text", "--label-column", "label", "-n", "2", "--seed", "1", "--batch-size", "5")
    assert read_table(out2).equals(res)


def test_tabular_csv_with_label_and_params(tmp_path):
    out = tmp_path / "d.csv"
    run("augment", EXAMPLES / "diabetes.csv", "-o", out, "-a", "gaussian_noise", "--param", "sigma=0.1", "--label-column", "target", "--exclude-original", "--seed", "0")
    res = pd.read_csv(out)
    src = pd.read_csv(EXAMPLES / "diabetes.csv")
    assert len(res) == len(src) and res["is_augmented"].all()
    assert np.allclose(res["target"], src["target"])
    assert not np.allclose(res["bmi"], src["bmi"])


def test_series_npz_and_npy(tmp_path):
    out = tmp_path / "s.npz"
    run("augment", EXAMPLES / "series.npz", "-o", out, "--config", EXAMPLES / "pipeline_timeseries.yaml", "-n", "2", "--seed", "0")
    z = np.load(out)
    assert z["x"].shape == (72, 2, 96) and z["y"].shape == (72,) and z["is_augmented"].sum() == 48
    x = np.load(EXAMPLES / "series.npz")["x"]
    np.save(tmp_path / "in.npy", x)
    run("augment", tmp_path / "in.npy", "-o", tmp_path / "o.npy", "-a", "jitter", "--batch-size", "7", "--seed", "3")
    o = np.load(tmp_path / "o.npy")
    assert o.shape == (48, 2, 96) and np.array_equal(o[:7], x[:7])


def test_short_univariate_series_npy_is_read_as_rows_without_the_channels_last_advice(tmp_path, capsys):
    # a 2-D file is (N, T), one series per row: 100 series of 6 steps are not one (T, C) series, so the run
    # must not pass on the augmenter's "pass channels_last=True" advice (which the file layout cannot follow)
    x = np.random.default_rng(0).normal(size=(100, 6)).astype("float32")
    np.save(tmp_path / "s.npy", x)
    r = run_inproc("augment", tmp_path / "s.npy", "-o", tmp_path / "o.npy", "-a", "time_warp", "--seed", "0",
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert "channels_last" not in r.stderr
    o = np.load(tmp_path / "o.npy")
    assert o.shape == (200, 6) and np.array_equal(o[:100], x)
    # channels_last=True on a 2-D file: one line naming the layout (was a numpy broadcast error)
    r = run_inproc("augment", tmp_path / "s.npy", "-o", tmp_path / "o2.npy", "-a", "jitter", "-p", "channels_last=true",
                   capsys=capsys)
    assert r.returncode == 2
    assert "a 2-D array file holds one univariate series per row (N, T) = (100, 6); channels_last=True is for " \
           "3-D (N, T, C) files" in r.stderr
    assert not (tmp_path / "o2.npy").exists()


def test_graphs_pt(tmp_path):
    out = tmp_path / "g.pt"
    run("augment", EXAMPLES / "graphs.pt", "-o", out, "-a", "edge_drop", "--param", "rate=0.5", "-n", "3", "--seed", "0")
    from multiaug.io import read_graphs

    gs = read_graphs(out)
    assert len(gs) == 6 * 4
    assert sum(bool(g.is_augmented) for g in gs) == 18
    assert all(g.edge_index.max() < g.num_nodes for g in gs)


def test_graphs_pt_keep_local_augmentation_features(tmp_path, capsys):
    # x_aug (k, nodes, F) is LocalAugmentation's output: PyG's to_data_list dropped it from every graph
    out = tmp_path / "la.pt"
    proc = run_inproc("augment", EXAMPLES / "graphs.pt", "-o", out, "-a", "local_augmentation", "--param", "epochs=2",
                      "--param", "k=2", "--batch-size", "4", "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    from multiaug.io import read_graphs

    gs = read_graphs(out)
    assert len(gs) == 12 and all("x_aug" in g and g.x_aug.shape == (2, *g.x.shape) for g in gs)
    for g in gs:
        if bool(g.is_augmented):
            assert not torch.equal(g.x_aug[0], g.x)  # generated features
        else:
            assert torch.equal(g.x_aug[0], g.x) and torch.equal(g.x_aug[1], g.x)  # an original's own


def test_config_and_save_load(tmp_path):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"augmenter": "jitter", "params": {"sigma": 0.5}}))
    run("augment", EXAMPLES / "series.npz", "-o", tmp_path / "a.npz", "--config", cfg, "--save", tmp_path / "saved", "--seed", "1")
    assert (tmp_path / "saved" / "config.json").exists()
    run("augment", EXAMPLES / "series.npz", "-o", tmp_path / "b.npz", "--load", tmp_path / "saved", "--seed", "1")
    assert np.array_equal(np.load(tmp_path / "a.npz")["x"], np.load(tmp_path / "b.npz")["x"])


@pytest.mark.parametrize("args,message", [
    (["augment", "{missing}", "-o", "{out}", "-a", "jitter"], "does not exist"),
    (["augment", "{csv}", "-o", "{csv}", "-a", "random_swap", "--column", "text"], "refusing to overwrite the input"),
    (["augment", "{csv}", "-o", "{out}", "-a", "nope"], "unknown augmenter"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap"], "--column"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "nope"], "not in the input"),
    (["augment", "{csv}", "-o", "{out}", "-a", "jitter"], "works on timeseries data"),
    (["augment", "{csv}", "-o", "{out_npy}", "-a", "jitter"], "needs a table output"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "--param", "alpha=7"], "alpha"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "--param", "bogus"], "key=value"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "--param", "nope=1"], "nope"),
    (["augment", "{csv}", "-o", "{out}"], "exactly one of"),
    (["augment", "{garbage}", "-o", "{out_parquet}", "-a", "gaussian_noise"], "cannot read"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "-n", "0"], "--n-aug"),
    (["augment", "{csv}", "-o", "{noext}", "-a", "random_swap", "--column", "text"], "unsupported file type"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "--threads", "0"], "--threads"),
    (["augment", "{csv}", "-o", "{out}", "-a", "random_swap", "--column", "text", "--threads", "1", "--engine", "ray"],
     "--threads is for --engine local"),
])
def test_user_errors_are_one_line_without_traceback(tmp_path, args, message, capsys):
    garbage = tmp_path / "g.parquet"
    garbage.write_text("nope")
    csv = tmp_path / "r.csv"
    shutil.copy(EXAMPLES / "reviews.csv", csv)
    before = csv.read_bytes()
    subs = {"missing": tmp_path / "missing.csv", "out": tmp_path / "out.csv", "csv": csv, "out_npy": tmp_path / "o.npy",
            "garbage": garbage, "out_parquet": tmp_path / "o2.parquet", "noext": tmp_path / "out"}
    proc = run_inproc(*[a.format(**subs) for a in args], capsys=capsys)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stderr.strip().count("\n") == 0
    assert csv.read_bytes() == before
    assert not (tmp_path / "out.csv").exists() and not list(tmp_path.glob(".*tmp*"))


def test_threads_option_sets_torch_threads(tmp_path, capsys):
    before = torch.get_num_threads()
    try:
        proc = run_inproc("augment", str(EXAMPLES / "reviews.csv"), "-o", str(tmp_path / "o.csv"), "-a", "random_swap",
                          "--column", "text", "--seed", "0", "--threads", "1", capsys=capsys)
        assert proc.returncode == 0, proc.stderr
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    assert (tmp_path / "o.csv").exists()


def test_existing_output_needs_overwrite(tmp_path, capsys):
    out = tmp_path / "o.csv"
    out.write_text("keep me")
    proc = run_inproc("augment", EXAMPLES / "reviews.csv", "-o", out, "-a", "random_swap", "--column", "text", capsys=capsys)
    assert proc.returncode == 2 and "--overwrite" in proc.stderr and out.read_text() == "keep me"
    assert run_inproc("augment", EXAMPLES / "reviews.csv", "-o", out, "-a", "random_swap", "--column", "text", "--overwrite",
                      "--exclude-original", capsys=capsys).returncode == 0
    df = pd.read_csv(out)
    # unseeded: a swap that gives back the same sentence (repeated words) is dropped and reported, so the
    # count is at most one row per input; every row written is an augmented one from the input
    assert 0 < len(df) <= 16 and df["is_augmented"].all()


@pytest.mark.parametrize("error", [ValueError("bad row in batch 3"), KeyboardInterrupt()], ids=["ValueError", "KeyboardInterrupt"])
def test_crash_mid_run_leaves_no_output(tmp_path, monkeypatch, error):
    """A failure (or Ctrl-C) in the middle of a streamed file, after two batches were written, removes
    the partial output."""
    from multiaug.engines import local
    from multiaug.text import RandomSwap

    df = pd.DataFrame({"text": [f"word{i} other{i} more{i}" for i in range(50)]})
    inp = tmp_path / "in.csv"
    df.to_csv(inp, index=False)
    out = tmp_path / "out.csv"
    calls = {"n": 0, "tmp_sizes": []}
    orig = RandomSwap.augment

    def boom(self, *args, **kwargs):  # the engine calls augment once per batch
        calls["n"] += 1
        calls["tmp_sizes"] += [p.stat().st_size for p in tmp_path.glob(".out.csv.*")]
        if calls["n"] == 3:
            raise error
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(RandomSwap, "augment", boom)
    with pytest.raises(type(error)):
        local.augment_file(RandomSwap(seed=0), inp, out, column="text", batch_size=8)
    assert calls["n"] == 3 and len(calls["tmp_sizes"]) == 3  # a temporary output existed during the run
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_streaming_follows_the_documented_batch_schedule(tmp_path):
    """The CLI's streamed output, rebuilt independently of the engine's code: batches of 16 rows; each
    batch reseeded from SeedSequence([seed, first row]) (the schedule written out here, not the engine's
    batch_seed); per batch the original rows, then copy 1 of every row, then copy 2."""
    from multiaug.text import RandomSwap

    df = pd.DataFrame({"text": [f"alpha{i} beta gamma delta{i} eps" for i in range(40)], "label": np.arange(40) % 2})
    inp = tmp_path / "in.jsonl"
    df.to_json(inp, orient="records", lines=True)
    run("augment", inp, "-o", tmp_path / "o.jsonl", "-a", "random_swap", "--column", "text", "-n", "2", "--seed", "5", "--batch-size", "16")
    streamed = pd.read_json(tmp_path / "o.jsonl", lines=True)

    starts = [0, 16, 32]
    sizes = [16, 16, 8]
    schedule = []
    for start in starts:
        a, b = np.random.SeedSequence([5, start]).generate_state(2, np.uint32)
        schedule.append((int(a) << 31) ^ int(b))
    exp_text, exp_src, exp_aug = [], [], []
    aug = RandomSwap(seed=5)
    for start, size, s in zip(starts, sizes, schedule):
        rows = list(range(start, start + size))
        texts = df["text"].iloc[rows].tolist()
        aug.reseed(s)
        out, _, src = aug.augment(texts, n_aug=2)
        assert list(src) == list(range(size)) * 2  # copy 1 of every row, then copy 2
        exp_text += texts + list(out)
        exp_src += rows + [start + int(i) for i in src]
        exp_aug += [False] * size + [True] * (2 * size)
    assert len(streamed) == 120
    assert streamed["source_index"].tolist() == exp_src
    assert streamed["is_augmented"].tolist() == exp_aug
    assert streamed["text"].tolist() == exp_text
    assert streamed["label"].tolist() == [int(df["label"].iloc[i]) for i in exp_src]
    # random_swap only reorders words, and it did change some rows
    for t, i in zip(streamed["text"], streamed["source_index"]):
        assert sorted(t.split()) == sorted(df["text"].iloc[i].split())
    assert sum(t != df["text"].iloc[i] for t, i, a in zip(streamed["text"], exp_src, exp_aug) if a) > 40


def test_imblearn_pipeline_end_to_end():
    """An augmenter inside an imblearn Pipeline with a scikit-learn regressor fits and predicts."""
    from imblearn.pipeline import Pipeline
    from sklearn.ensemble import RandomForestRegressor

    from multiaug.tabular import GaussianNoise

    df = pd.read_csv(EXAMPLES / "diabetes.csv")
    X, y = df.drop(columns="target"), df["target"].to_numpy()
    pipe = Pipeline([("aug", GaussianNoise(sigma=0.05, n_aug=2, seed=0)), ("rf", RandomForestRegressor(n_estimators=20, random_state=0))])
    pipe.fit(X, y)
    assert pipe.predict(X).shape == y.shape


def test_ctrl_c_that_c_code_turns_into_another_error_is_still_an_interruption(tmp_path, monkeypatch, capsys):
    """pandas' JSON writer (C) can swallow the KeyboardInterrupt of a Ctrl-C and raise another error:
    the CLI still says 'interrupted' with exit code 130 and leaves nothing behind."""
    import signal
    import time

    from multiaug.text import RandomSwap

    orig = RandomSwap.augment
    calls = {"n": 0}

    def interrupted_in_c(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            try:
                # raise_signal: to this thread (os.kill may hand it to another thread of the process, whose
                # wake-up then does not cut this sleep short: a race once other tests left threads behind)
                signal.raise_signal(signal.SIGINT)
                time.sleep(1)
            except KeyboardInterrupt:
                raise ValueError("Error calling _values_for_json") from None
        return orig(self, *args, **kwargs)

    monkeypatch.setattr(RandomSwap, "augment", interrupted_in_c)
    df = pd.DataFrame({"text": [f"word{i} other{i} more{i}" for i in range(40)]})
    inp = tmp_path / "in.csv"
    df.to_csv(inp, index=False)
    # Ctrl-C as in a terminal: a process started in the background by a shell inherits SIGINT ignored
    # (then Python installs no KeyboardInterrupt handler, and neither does the CLI: no Ctrl-C reaches it)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        r = run_inproc("augment", inp, "-o", tmp_path / "out.jsonl", "-a", "random_swap", "--column", "text",
                       "--batch-size", "8", capsys=capsys)
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # put back
    finally:
        signal.signal(signal.SIGINT, before)
    assert r.returncode == 130 and "interrupted; no output written" in r.stderr, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_unchanged_rows_warning_names_input_rows_once_for_the_file(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text("text\nthe cat sat on the mat\na dog ran in the park\nhello\nthe sun is hot today\nbirds sing in trees\nworld\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", "-a", "random_swap", "--column", "text",
                      "--batch-size", "3", "--seed", "0", "--no-progress", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("multiaug: warning:")]
    assert warnings == ["multiaug: warning: RandomSwap: 2 of 6 outputs are identical to their input (nothing it could "
                        "change, e.g. empty, too short or only stop words; input rows 2, 5); left out of the augmented data"]


def test_warnings_past_the_fifth_are_counted(tmp_path, capsys, monkeypatch):
    from multiaug.engines import local

    def fake(aug, inp, out, opts):
        return local.RunReport(rows_in=1, rows_out=1, warnings=[f"w{i}" for i in range(8)])

    monkeypatch.setattr(local, "augment_file", fake)
    proc = run_inproc("augment", EXAMPLES / "reviews.csv", "-o", tmp_path / "o.csv", "-a", "random_swap",
                      "--column", "text", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[:6] == [f"multiaug: warning: w{i}" for i in range(5)] + [
        "multiaug: warning: 3 more warning(s) not shown"]


def test_help_does_not_import_torch_or_sklearn():
    """``multiaug --help`` (and ``import multiaug``) imported PyTorch, scikit-learn, pandas and SciPy
    before printing a line: several seconds for the first command a user runs. The library's names
    are imported on first use."""
    code = ("import sys\nimport multiaug\nfrom multiaug.cli import main\n"
            "for argv in (['--help'], ['augment', '--help'], ['--version']):\n"
            "    try:\n        main(argv)\n    except SystemExit as e:\n        assert e.code == 0, e.code\n"
            "print('HEAVY', sorted(m for m in ('torch', 'sklearn', 'pandas', 'scipy') if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "Usage: multiaug augment" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY []"


def test_package_names_resolve_on_first_use():
    import multiaug
    from multiaug.core import Augmenter, Sequential

    assert multiaug.Augmenter is Augmenter and multiaug.Sequential is Sequential
    assert multiaug.graph.EdgeDrop.__name__ == "EdgeDrop"  # a subpackage as an attribute
    assert set(multiaug.__all__) <= set(dir(multiaug))
    namespace: dict = {}
    exec("from multiaug import *", namespace)
    assert all(name in namespace for name in multiaug.__all__)
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        multiaug.nope  # noqa: B018


def test_fitting_a_learned_augmenter_on_the_input_is_announced_on_stderr(tmp_path, capsys):
    # `augment -a autotcl` trained for minutes on the input without a word: it looked like a hang. Now a
    # line on stderr says what is fitted, on what, and how long; --progress shows the iterations; stdout stays clean
    x = np.random.default_rng(0).normal(size=(6, 1, 16)).astype("float32")
    np.savez(tmp_path / "s.npz", x=x)
    small = ["-p", "n_iters=2", "-p", "depth=1", "-p", "output_dims=4", "-p", "hidden_dims=4", "-p", "batch_size=4"]
    r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o.npz", "-a", "autotcl", *small, "--seed", "0",
                   "--progress", capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "multiaug: fitting AutoTCL on 6 series (2 iterations)" in r.stderr and "--load DIR" in r.stderr
    assert "fitting AutoTCL: 100%" in r.stderr and "2/2" in r.stderr
    # a fitted one (--load) is not fitted again: no such line
    r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o2.npz", "-a", "autotcl", *small, "--seed", "0",
                   "--save", tmp_path / "fitted", "--no-progress", capsys=capsys)
    assert r.returncode == 0 and "fitting AutoTCL" in r.stderr and "%" not in r.stderr
    r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / "o3.npz", "--load", tmp_path / "fitted", "--seed", "0",
                   capsys=capsys)
    assert r.returncode == 0, r.stderr
    assert "multiaug: fitting" not in r.stderr


def test_seed_option_wins_over_a_config_seed_as_the_readme_says(tmp_path, capsys):
    # README: with --seed the config's own seed does not matter; without it, the config's seed is reproducible
    # but not the output of --seed with the same number
    x = np.random.default_rng(0).normal(size=(6, 1, 16)).astype("float32")
    np.savez(tmp_path / "s.npz", x=x)
    outs = {}
    for name, seed, args in (("c5s1", 5, ["--seed", "1"]), ("c7s1", 7, ["--seed", "1"]), ("c5", 5, []),
                             ("c5again", 5, []), ("c5s5", 5, ["--seed", "5"])):
        (tmp_path / f"{name}.yaml").write_text(f"augmenter: jitter\nparams: {{sigma: 0.5, seed: {seed}}}\n")
        r = run_inproc("augment", tmp_path / "s.npz", "-o", tmp_path / f"{name}.npz", "--config",
                       tmp_path / f"{name}.yaml", *args, capsys=capsys)
        assert r.returncode == 0, r.stderr
        outs[name] = np.load(tmp_path / f"{name}.npz")["x"]
    assert np.array_equal(outs["c5s1"], outs["c7s1"])
    assert np.array_equal(outs["c5"], outs["c5again"])
    assert not np.array_equal(outs["c5"], outs["c5s5"])
