"""Bad inputs to the real `multiaug` command: each ends in exit code 2 (143 for SIGTERM) and ONE line
``multiaug: error: ...`` that names the problem, with no traceback and no output left behind."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from .test_cli import EXAMPLES, run_inproc


def one_error_line(proc, *needles: str) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    line = proc.stderr.strip()
    assert "Traceback" not in line and line.count("\n") == 0, proc.stderr
    assert line.startswith("multiaug: error: "), line
    for n in needles:
        assert n in line, (n, line)
    return line


def no_leftovers(folder: Path, *keep: str) -> None:
    assert sorted(p.name for p in folder.iterdir()) == sorted(keep)


# ---- 1. inputs without rows ------------------------------------------------------------------------


@pytest.mark.parametrize("name,content,needle", [
    ("head.csv", "text,label\n", "has no rows (only a header)"),
    ("empty.csv", "", "is empty"),
    ("empty.jsonl", "", "has no rows (the file is empty)"),
    ("blank.jsonl", "\n\n", "has no rows"),
])
def test_input_without_rows(tmp_path, capsys, name, content, needle):
    inp = tmp_path / name
    inp.write_text(content)
    out = tmp_path / ("o" + inp.suffix)
    proc = run_inproc("augment", inp, "-o", out, "-a", "random_swap", "--column", "text", capsys=capsys)
    line = one_error_line(proc, needle)
    assert repr(str(inp)) in line
    no_leftovers(tmp_path, name)


def test_parquet_without_rows(tmp_path, capsys):
    inp = tmp_path / "z.parquet"
    pq.write_table(pa.table({"text": pa.array([], pa.string()), "v": pa.array([], pa.float64())}), inp)
    for args in (["-a", "random_swap", "--column", "text"], ["-a", "gaussian_noise", "--columns", "v"]):
        proc = run_inproc("augment", inp, "-o", tmp_path / "o.parquet", *args, capsys=capsys)
        one_error_line(proc, "has no rows (columns but no rows)")
    no_leftovers(tmp_path, "z.parquet")


# ---- 2. unknown parameters ---------------------------------------------------------------------------


def test_unknown_param_names_augmenter_and_suggests(tmp_path, capsys):
    out = tmp_path / "o.csv"
    proc = run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", out, "-a", "gaussian_noise", "--param", "sigmaa=0.1", capsys=capsys)
    line = one_error_line(proc, "'gaussian_noise'", "'sigmaa'", "did you mean 'sigma'?", "seed, sigma (see")
    assert "__init__" not in line and "unexpected keyword" not in line
    for p in ("n_aug", "seed", "p", "device"):  # the parameter list is there
        assert p in line
    no_leftovers(tmp_path)


def test_unknown_param_without_close_match(tmp_path, capsys):
    proc = run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", tmp_path / "o.csv", "-a", "gaussian_noise",
                      "--param", "zzzzz=1", capsys=capsys)
    line = one_error_line(proc, "'gaussian_noise' has no parameter 'zzzzz'", "its parameters are")
    assert "did you mean" not in line


def test_unknown_param_with_config_and_load(tmp_path, capsys):
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"augmenter": "jitter", "params": {"sigma": 0.5}}))
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "a.npz", "--config", cfg,
                      "--param", "sigmaa=1", capsys=capsys)
    one_error_line(proc, "'jitter' has no parameter 'sigmaa'", "did you mean 'sigma'?")
    assert not (tmp_path / "a.npz").exists()
    # a good --param on --config is applied; then --load with a bad one
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "a.npz", "--config", cfg, "--param", "sigma=0.1",
                      "--save", tmp_path / "saved", "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert json.loads((tmp_path / "saved" / "config.json").read_text())["params"]["sigma"] == 0.1
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "b.npz", "--load", tmp_path / "saved",
                      "--param", "sgima=1", capsys=capsys)
    one_error_line(proc, "'jitter' has no parameter 'sgima'", "did you mean 'sigma'?")
    assert not (tmp_path / "b.npz").exists()


def test_registry_create_and_check_params():
    from multiaug import registry
    from multiaug.tabular import GaussianNoise

    with pytest.raises(ValueError, match=r"augmenter 'gaussian_noise' has no parameter 'sigmaa' \(did you mean 'sigma'\?\)"):
        registry.create("gaussian_noise", sigmaa=0.1)
    assert registry.create("gaussian_noise", sigma=0.2).sigma == 0.2
    registry.check_params(GaussianNoise, {"sigma": 1, "seed": 0})  # known names pass
    with pytest.raises(ValueError, match="no parameter 'colums'.*did you mean 'columns'"):
        registry.check_params(GaussianNoise, ["colums"])


# ---- 3. pickled .pt ------------------------------------------------------------------------------------


class Payload:
    pass


def test_pickled_pt_is_refused_without_unsafe_advice(tmp_path, capsys):
    evil = tmp_path / "evil.pt"
    torch.save([{"x": torch.zeros(2)}, Payload()], evil)
    proc = run_inproc("augment", evil, "-o", tmp_path / "o.pt", "-a", "edge_drop", capsys=capsys)
    line = one_error_line(proc, "weights_only=True", "arbitrary code", "multiaug.io.write_graphs", "Payload")
    assert "weights_only=False" not in line and "trust" not in line
    no_leftovers(tmp_path, "evil.pt")


# ---- 4. see tests/test_io_files.py (modes); 5. SIGTERM ---------------------------------------------------


def test_sigterm_mid_run_removes_the_temporary_output(tmp_path):
    inp = tmp_path / "big.csv"
    with open(inp, "w") as fh:
        fh.write("text\n")
        for i in range(60_000):
            fh.write(f"alpha{i} beta gamma delta epsilon zeta eta theta\n")
    out = tmp_path / "out.csv"
    cmd = [sys.executable, "-c", "from multiaug.cli import main; main()", "augment", str(inp), "-o", str(out),
           "-a", "random_swap", "--column", "text", "-n", "2", "--seed", "0", "--batch-size", "200"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.csv.*.tmp.csv")):
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "no temporary output appeared"
            time.sleep(0.02)
        tmp = next(tmp_path.glob(".out.csv.*.tmp.csv"))
        deadline = time.monotonic() + 30  # wait until some batches are written, then stop the run
        while tmp.exists() and tmp.stat().st_size == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, "the run ended before SIGTERM; make the input bigger"
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, (proc.returncode, err)
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "multiaug: terminated (SIGTERM); no output written"
    no_leftovers(tmp_path, "big.csv")


def test_main_restores_the_sigterm_handler(tmp_path, capsys):
    before = signal.getsignal(signal.SIGTERM)
    proc = run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", tmp_path / "o.csv", "-a", "gaussian_noise", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert signal.getsignal(signal.SIGTERM) is before


# ---- 7. parquet type drift across batches ------------------------------------------------------------------


def _csv(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_int_column_gains_missing_and_fractions_in_later_batches(tmp_path, capsys):
    # k: integers, a gap in batch 4, fractions from batch 5 on; a pass-through column keeps each cell's
    # text (the writer's promotion of typed columns is tested in test_io_files.py)
    rows = [f"{i}.5,{i if i < 16 else i + 0.25}" if i != 13 else f"{i}.5," for i in range(20)]
    inp = _csv(tmp_path / "in.csv", "a,k", rows)
    out = tmp_path / "o.parquet"
    proc = run_inproc("augment", inp, "-o", out, "-a", "gaussian_noise", "--columns", "a", "--batch-size", "4",
                      "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    got = pd.read_parquet(out)
    orig = got[~got["is_augmented"]]
    expected_k = [str(i if i < 16 else i + 0.25) for i in range(20)]
    assert orig["k"].isna().tolist() == [i == 13 for i in range(20)]
    assert orig["k"].fillna("-").tolist() == [("-" if i == 13 else v) for i, v in enumerate(expected_k)]
    assert pa.types.is_string(pq.read_schema(out).field("k").type) or pa.types.is_large_string(pq.read_schema(out).field("k").type)
    assert len(got) == 40
    no_leftovers(tmp_path, "in.csv", "o.parquet")


def test_empty_column_later_holding_text(tmp_path, capsys):
    rows = [f"{i}.5," if i < 10 else f"{i}.5,s{i}" for i in range(20)]
    inp = _csv(tmp_path / "in.csv", "a,e", rows)
    out = tmp_path / "o.parquet"
    proc = run_inproc("augment", inp, "-o", out, "-a", "gaussian_noise", "--columns", "a", "--batch-size", "4",
                      "--exclude-original", "--seed", "0", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    got = pd.read_parquet(out)
    assert got["e"].tolist()[:10] == [None] * 10 or got["e"].isna().tolist()[:10] == [True] * 10
    assert got["e"].tolist()[10:] == [f"s{i}" for i in range(10, 20)]
    assert pa.types.is_string(pq.read_schema(out).field("e").type) or pa.types.is_large_string(pq.read_schema(out).field("e").type)


def test_numbers_then_text_is_one_line_naming_column_and_batch(tmp_path, capsys):
    # jsonl values keep their JSON type: numbers, then strings from batch 3 on
    inp = tmp_path / "in.jsonl"
    inp.write_text("".join(json.dumps({"a": i + 0.5, "t": i if i < 10 else f"s{i}"}) + "\n" for i in range(20)))
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.parquet", "-a", "gaussian_noise", "--columns", "a",
                      "--batch-size", "4", capsys=capsys)
    one_error_line(proc, "column 't'", "batch 3", "int64")
    no_leftovers(tmp_path, "in.jsonl")


def test_csv_numbers_then_text_passes_through_as_text(tmp_path, capsys):
    rows = [f"{i}.5,{i}" if i < 10 else f"{i}.5,s{i}" for i in range(20)]
    inp = _csv(tmp_path / "in.csv", "a,t", rows)
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.parquet", "-a", "gaussian_noise", "--columns", "a",
                      "--batch-size", "4", "--exclude-original", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert pd.read_parquet(tmp_path / "o.parquet")["t"].tolist() == [str(i) if i < 10 else f"s{i}" for i in range(20)]


def _arrow_error_classes():
    seen, todo = [], [pa.lib.ArrowException]
    while todo:
        c = todo.pop()
        if c not in seen:
            seen.append(c)
            todo.extend(c.__subclasses__())
    return sorted(seen, key=lambda c: c.__name__)


@pytest.mark.parametrize("cls", _arrow_error_classes(), ids=lambda c: c.__name__)
def test_every_pyarrow_error_is_one_line(tmp_path, capsys, monkeypatch, cls):
    from multiaug.engines import local

    def boom(*args, **kwargs):
        raise cls("first line of the arrow message\nsecond line")

    monkeypatch.setattr(local, "augment_file", boom)
    proc = run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", tmp_path / "o.parquet", "-a", "gaussian_noise", capsys=capsys)
    one_error_line(proc, "first line of the arrow message")


def test_other_exceptions_still_show_a_traceback(tmp_path, capsys, monkeypatch):
    """A bug (not a user error) is not hidden behind a one-line message."""
    from multiaug.engines import local

    def boom(*args, **kwargs):
        raise KeyError("internal")

    monkeypatch.setattr(local, "augment_file", boom)
    with pytest.raises(KeyError):
        run_inproc("augment", EXAMPLES / "diabetes.csv", "-o", tmp_path / "o.csv", "-a", "gaussian_noise", capsys=capsys)


# ---- 9. malformed config ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["augmenter: jitter\nparams: {sigma: [1,\n", "augmenter: [jitter\n", "\t- :"])
def test_malformed_yaml_config_is_one_line(tmp_path, capsys, text):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "o.npz", "--config", cfg, capsys=capsys)
    one_error_line(proc, "bad.yaml")
    no_leftovers(tmp_path, "bad.yaml")


def test_tuple_and_list_params_are_the_same(tmp_path, capsys):
    """`--param sigma=(0.1,0.2)` is read as the Python API reads it: like `[0.1, 0.2]`."""
    from multiaug.cli import parse_params

    assert parse_params(("sigma=(0.1,0.2)",)) == parse_params(("sigma=[0.1, 0.2]",)) == {"sigma": [0.1, 0.2]}
    assert parse_params(("sigma=( 0.1 , 0.2 )",)) == {"sigma": [0.1, 0.2]}
    outs = []
    for spelling in ("(0.1,0.2)", "[0.1,0.2]"):
        out = tmp_path / f"o{len(outs)}.npz"
        proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", out, "-a", "jitter", "--param",
                          f"sigma={spelling}", "--seed", "3", capsys=capsys)
        assert proc.returncode == 0, proc.stderr
        outs.append(np.load(out)["x"])
    assert np.array_equal(outs[0], outs[1])


def test_param_values_as_describe_prints_them_parse_back_to_the_defaults():
    # `multiaug describe` prints Python reprs: each must read back, through --param, as the default
    from multiaug import registry
    from multiaug.cli import _parse_value

    registry.load_all()
    bad = []
    for name, cls in registry.items():
        for pname, default in cls.param_defaults().items():
            if isinstance(default, (bool, int, float, str, tuple, list)) or default is None:
                got = _parse_value(repr(default) if not isinstance(default, str) else default)
                want = list(default) if isinstance(default, tuple) else default
                if got != want and not (isinstance(want, list) and got == [list(v) if isinstance(v, tuple) else v for v in want]):
                    bad.append(f"{name}.{pname}: {default!r} -> {got!r}")
    assert bad == []


@pytest.mark.parametrize("text, value", [("1e-3", 0.001), ("None", None), ("none", None), ("inf", float("inf")),
                                         ("[1e-3, 2]", [0.001, 2]), ("'1e-3'", "1e-3"), ("abc", "abc")])
def test_param_spellings(text, value):
    from multiaug.cli import _parse_value

    assert _parse_value(text) == value


def test_library_warnings_are_one_line_each_five_at_most(capsys, monkeypatch):
    import warnings

    from multiaug import registry

    real = registry.describe

    def noisy(name):
        for i in range(8):
            warnings.warn(f"warning number {i % 7}\n  with a second line", UserWarning, stacklevel=1)
        return real(name)

    monkeypatch.setattr(registry, "describe", noisy)
    before = warnings.showwarning
    proc = run_inproc("describe", "jitter", capsys=capsys)
    assert proc.returncode == 0 and "sigma" in proc.stdout
    assert proc.stderr.splitlines() == [f"multiaug: warning: warning number {i} with a second line" for i in range(5)] + [
        "multiaug: warning: 2 more warning(s) not shown"]
    assert warnings.showwarning is before  # restored after the command


@pytest.mark.parametrize("spelling,name", [("EDA", "eda"), ("RandomSwap", "random_swap"), ("Random-Swap", "random_swap"),
                                           ("random swap", "random_swap"), ("mix_up", "mixup"), ("jitter", "jitter")])
def test_augmenter_names_in_any_spelling(tmp_path, capsys, spelling, name):
    from multiaug.registry import resolve as augmenter_name

    assert augmenter_name(spelling) == name
    proc = run_inproc("describe", spelling, capsys=capsys)
    assert proc.returncode == 0 and proc.stdout.startswith(f"{name} ("), proc.stderr


def test_augment_accepts_a_class_name_and_unknown_names_still_fail(tmp_path, capsys):
    out = tmp_path / "o.csv"
    proc = run_inproc("augment", EXAMPLES / "reviews.csv", "-o", out, "-a", "RandomSwap", "--column", "text", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert pd.read_csv(out)["is_augmented"].any()
    one_error_line(run_inproc("describe", "nope", capsys=capsys), "unknown augmenter 'nope'")


def test_param_values_are_read_as_the_parameter_takes_them(tmp_path, capsys):
    """YAML 1.1 would make the stopwords `no`/`on`/`off` booleans, the alphabet `0123456789` a number,
    `Rewrite: {text}` a mapping, `#...` a comment, `010` octal 8 and `1:30` 90: a parameter that takes
    text gets the text, numbers and booleans still parse where they are expected, nonsense is an error."""
    from multiaug.cli import UserError, build_augmenter, fit_params, parse_params
    from multiaug.core.constraints import Boolean

    def build(name, *items):
        return build_augmenter(name, parse_params(items), None, None)

    assert build("eda", "stopwords=[the, no, on, off, 1]").stopwords == ["the", "no", "on", "off", "1"]
    assert build("char_noise", "alphabet=0123456789").alphabet == "0123456789"
    assert build("char_noise", "alphabet=abc #xyz").alphabet == "abc #xyz"
    assert build("paraphrase", "prompt=Rewrite: {text}", "system_prompt=null").prompt == "Rewrite: {text}"
    assert build("gaussian_noise", "categorical_columns=[yes, 2]").categorical_columns == ["yes", 2]
    assert build("eda", "lowercase=no").lowercase is False and build("local_augmentation", "normalize=off").normalize is False
    assert build("jitter", "n_aug=010").n_aug == 10 and build("jitter", "sigma=(0.1, 0.2)").sigma == [0.1, 0.2]

    class Either:  # a parameter taking True/False and text: `on` could be either
        _parameter_constraints = {"flag": [Boolean(), str]}

    with pytest.raises(UserError, match="ambiguous .*write true or false .*'on'"):
        fit_params(Either, parse_params(("flag=on",)))
    assert fit_params(Either, parse_params(("flag=true",))) == {"flag": True}
    assert fit_params(Either, parse_params(("flag='on'",))) == {"flag": "on"}

    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "o.npz", "-a", "jitter", "--param",
                      "seed=1:30", capsys=capsys)
    assert proc.returncode == 2 and "seed must be None or an int, got '1:30'" in proc.stderr
    assert not (tmp_path / "o.npz").exists()
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "o.npz", "-a", "jitter", "--param",
                      "n_aug=010", capsys=capsys)
    assert proc.returncode == 0 and len(np.load(tmp_path / "o.npz")["x"]) == 24 * 11


def test_a_param_given_twice_is_an_error(tmp_path, capsys):
    proc = run_inproc("augment", EXAMPLES / "series.npz", "-o", tmp_path / "o.npz", "-a", "jitter", "-p", "sigma=0.1",
                      "-p", "sigma=0.2", capsys=capsys)
    assert proc.returncode == 2 and "--param sigma is given twice ('0.1' and '0.2')" in proc.stderr
    assert not (tmp_path / "o.npz").exists()


# ---- first-hour mistakes: each refused before any work, naming what to do ----------------------------


def test_save_to_the_output_path_is_refused_before_the_run(tmp_path, capsys):
    """``--save`` naming the output file: the run wrote the output and only then failed ("save: ... is
    a file"), exit code 2 with an output on disk."""
    inp = tmp_path / "in.csv"
    inp.write_text("text,label\nthe quick brown fox jumps,a\nthe lazy dog sleeps today,b\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", "-a", "eda", "--column", "text",
                      "--save", tmp_path / "o.csv", capsys=capsys)
    one_error_line(proc, "is the output path; the saved augmenter is a directory of its own")
    no_leftovers(tmp_path, "in.csv")


def test_text_augmenter_without_column_lists_the_columns(tmp_path, capsys):
    inp = tmp_path / "in.csv"
    inp.write_text("review,label\nthe quick brown fox jumps,a\nthe lazy dog sleeps today,b\n")
    proc = run_inproc("augment", inp, "-o", tmp_path / "o.csv", "-a", "eda", capsys=capsys)
    one_error_line(proc, "--column is required for text augmenters", "columns are ['review', 'label']")
    no_leftovers(tmp_path, "in.csv")


@pytest.mark.parametrize("name, needle", [("d.json", "write one object per line as .jsonl"),
                                          ("d.tsv", "convert it to comma-separated .csv"),
                                          ("d.pkl", "pickles are never read")])
def test_formats_not_read_say_what_to_write_instead(tmp_path, capsys, name, needle):
    (tmp_path / name).write_text("x")
    proc = run_inproc("augment", tmp_path / name, "-o", tmp_path / "o.csv", "-a", "eda", capsys=capsys)
    one_error_line(proc, f"unsupported file type '{Path(name).suffix}'", needle)


def test_an_output_directory_is_named_a_directory_not_an_existing_file(tmp_path, capsys):
    """``-o some_folder`` said "already exists; pass --overwrite to replace it", advice that only led
    to a second error (a folder is never replaced)."""
    inp = tmp_path / "in.csv"
    inp.write_text("text,label\nthe quick brown fox jumps,a\nthe lazy dog sleeps today,b\n")
    (tmp_path / "outdir").mkdir()
    proc = run_inproc("augment", inp, "-o", tmp_path / "outdir", "-a", "eda", "--column", "text", capsys=capsys)
    line = one_error_line(proc, "outdir' is a directory; expected a file path such as", "augmented.csv")
    assert "--overwrite" not in line
    assert list((tmp_path / "outdir").iterdir()) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where no file can be created")
@pytest.mark.parametrize("suffix", [".csv", ".csv.gz", ".npz"])
def test_an_output_that_cannot_be_created_is_named_as_given_not_as_its_temporary_file(tmp_path, capsys, suffix):
    # -o /proc/x.csv said "No such file or directory: '/proc/.x.csv.jjjqtu4l.tmp.csv'": a file the user never named
    # (io.atomic_output names the output for the Python API too)
    src = tmp_path / ("s.npz" if suffix == ".npz" else "t.csv")
    if suffix == ".npz":
        np.savez(src, x=np.zeros((2, 1, 8), dtype="float32"))
        aug = "jitter"
    else:
        pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}).to_csv(src, index=False)
        aug = "gaussian_noise"
    r = run_inproc("augment", src, "-o", f"/proc/x{suffix}", "-a", aug, capsys=capsys)
    assert r.returncode == 2
    assert r.stderr.strip() == f"multiaug: error: cannot write '/proc/x{suffix}': No such file or directory"
