"""The Ray engine on a local 2-CPU Ray instance: same rows as the local engine for the same seed,
from the library and the CLI, file and directory outputs, and no output after a crash.

One Ray instance serves the whole module (starting Ray is the slow part)."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from multiaug import io
from multiaug.engines import ray as ray_engine
from multiaug.engines.local import augment_file, batch_seed

from .test_local_streaming import _texts

ray = pytest.importorskip("ray", reason="the ray engine needs ray[data]")
pytest.importorskip("ray.data")


@pytest.fixture(scope="module")
def ray_local():
    with ray_engine.ray_session(num_cpus=2) as r:
        yield r


def _local(tmp_path, df, suffix=".csv", name="local", **kw):
    inp = tmp_path / f"{name}_in{suffix}"
    io.write_table(df, inp)
    out = tmp_path / f"{name}_out{suffix}"
    augment_file(kw.pop("aug"), inp, out, progress=False, **kw)
    return inp, io.read_table(out)


def _key(df):
    cols = [c for c in df.columns]
    return sorted(map(tuple, df[cols].astype(str).to_numpy().tolist()))


def test_payload_round_trip_keeps_config_and_fitted_state():
    """Workers rebuild the augmenter from its config and safetensors bytes, fitted state included."""
    from multiaug.tabular import FeatMix

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 4)), columns=list("abcd"))
    y = X["a"].to_numpy() * 2 + rng.normal(size=60) * 0.1
    aug = FeatMix(beta=0.3).fit(X, y)
    payload = ray_engine.augmenter_payload(aug)
    assert isinstance(payload["state"], bytes) and set(payload) == {"config", "fitted", "state"}
    back = ray_engine.augmenter_from_payload(payload)
    assert back.get_params() == aug.get_params() and back.__sklearn_is_fitted__()
    aug.reseed(3)
    back.reseed(3)
    a, b = aug(X, y), back(X, y)
    assert np.allclose(np.asarray(a[0]), np.asarray(b[0])) and np.allclose(np.asarray(a[1]), np.asarray(b[1]))


def test_split_points_cut_at_batch_boundaries_and_gaps():
    rows = np.array([5, 6, 7, 8, 9, 10, 20, 21])
    assert ray_engine.split_points(rows, 4) == [(0, 3), (3, 6), (6, 8)]
    assert ray_engine.split_points(np.array([3, 5, 6]), 8) == [(0, 1), (1, 3)]
    assert ray_engine.split_points(np.arange(8, 16), 8) == [(0, 8)]
    assert ray_engine.split_points(np.array([], dtype=np.int64), 8) == []


def test_dataset_with_misaligned_blocks_equals_local_engine(tmp_path, ray_local):
    """Blocks of 37, 50 and 113 rows, batches of 16: Ray reproduces the local engine row for row."""
    from multiaug.text import RandomSwap

    df = _texts(200)
    _, want = _local(tmp_path, df, aug=RandomSwap(), n_aug=2, seed=7, column="text", label_column="label", batch_size=16)
    ds = ray_local.data.from_pandas([df.iloc[:37], df.iloc[37:87], df.iloc[87:]])
    out = ray_engine.augment_dataset(ds, RandomSwap(), n_aug=2, seed=7, column="text", label_column="label", batch_size=16)
    got = pd.concat(list(out.iter_batches(batch_size=None, batch_format="pandas")), ignore_index=True)
    assert list(got.columns) == list(want.columns)
    assert got["text"].tolist() == want["text"].tolist()  # same order too (preserve_order)
    assert got["source_index"].tolist() == want["source_index"].tolist()
    assert got["is_augmented"].tolist() == want["is_augmented"].astype(bool).tolist()


def test_cli_ray_engine_file_and_directory_outputs(tmp_path, ray_local, capsys):
    from tests.test_cli import run_inproc

    df = _texts(150)
    inp = tmp_path / "in.jsonl"
    io.write_table(df, inp)
    common = ["-a", "random_swap", "--column", "text", "--label-column", "label", "-n", "2", "--seed", "3", "--batch-size", "20"]
    assert run_inproc("augment", inp, "-o", tmp_path / "local.jsonl", *common, capsys=capsys).returncode == 0
    proc = run_inproc("augment", inp, "-o", tmp_path / "ray.jsonl", "--engine", "ray", *common, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    assert "150 input rows -> 450 output rows" in proc.stderr
    local_out = pd.read_json(tmp_path / "local.jsonl", lines=True)
    assert pd.read_json(tmp_path / "ray.jsonl", lines=True).equals(local_out)
    # a directory written by the workers: the same set of rows
    proc = run_inproc("augment", inp, "-o", f"{tmp_path / 'ray_dir'}/", "--engine", "ray", *common, capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    files = sorted((tmp_path / "ray_dir").glob("*.json*"))
    assert files and not list(tmp_path.glob(".ray_dir*"))
    got = pd.concat([pd.read_json(f, lines=True) for f in files], ignore_index=True)
    assert _key(got) == _key(local_out)
    # tabular through parquet, with --exclude-original
    from multiaug.tabular import GaussianNoise

    rng = np.random.default_rng(1)
    tab = pd.DataFrame(rng.normal(size=(90, 3)), columns=["x", "y", "z"]).assign(t=np.arange(90) % 2)
    _, want = _local(tmp_path, tab, ".parquet", name="tab", aug=GaussianNoise(sigma=0.2), seed=1,
                     label_column="t", batch_size=25, exclude_original=True)
    proc = run_inproc("augment", tmp_path / "tab_in.parquet", "-o", tmp_path / "tab_ray.parquet", "--engine", "ray",
                      "-a", "gaussian_noise", "-p", "sigma=0.2", "--seed", "1", "--label-column", "t",
                      "--batch-size", "25", "--exclude-original", capsys=capsys)
    assert proc.returncode == 0, proc.stderr
    got = pd.read_parquet(tmp_path / "tab_ray.parquet")
    assert np.allclose(got[["x", "y", "z"]].to_numpy(), want[["x", "y", "z"]].to_numpy())
    assert got["source_index"].tolist() == want["source_index"].tolist() and got["is_augmented"].all()


@pytest.mark.parametrize("target", ["out.csv", "outdir/"])
def test_crash_in_a_worker_leaves_no_output(tmp_path, ray_local, target):
    """Row 30 (in the fourth batch, inside a Ray task) has no label for Mixup to mix: the user's
    ValueError, no output."""
    from multiaug.tabular import Mixup

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(60, 3)), columns=list("abc"))
    df["label"] = (np.arange(60) % 2).astype(float)
    df.loc[30, "label"] = np.nan
    inp = tmp_path / "in.csv"
    df.to_csv(inp, index=False)
    with pytest.raises(ValueError, match="row 30"):
        ray_engine.augment_path(Mixup(), inp, f"{tmp_path}/{target}", label_column="label", seed=0, batch_size=8,
                                progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_lone_last_row_mixes_with_the_previous_batch_as_in_the_local_engine(tmp_path, ray_local):
    """17 rows in batches of 8: the last batch is one row; Ray mixes it with the previous batch, as the
    local engine does, and gives the same rows. Text cells reading NA/null/empty stay text."""
    from multiaug.tabular import Mixup
    from multiaug.text import RandomSwap

    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(17, 3)), columns=list("abc"))
    df["label"] = np.arange(17) % 3
    inp, want = _local(tmp_path, df, ".csv", name="mix", aug=Mixup(), seed=2, n_aug=2, label_column="label",
                       batch_size=8)
    ray_engine.augment_path(Mixup(), inp, tmp_path / "ray_mix.csv", seed=2, n_aug=2, label_column="label",
                            batch_size=8, progress=False)
    got = io.read_table(tmp_path / "ray_mix.csv")
    assert _key(got) == _key(want)
    last = got[got["is_augmented"].astype(bool) & (got["source_index"] == 16)]
    assert len(last) == 2 and not np.allclose(last[list("abc")].to_numpy(), df.loc[[16, 16], list("abc")].to_numpy())
    with pytest.raises(ValueError, match="batch-size 1"):
        ray_engine.augment_path(Mixup(), inp, tmp_path / "b1.csv", label_column="label", batch_size=1, progress=False)

    texts = _texts(12)
    texts.loc[[2, 5, 7], "text"] = ["NA", "null", ""]
    inp, want = _local(tmp_path, texts, ".csv", name="na", aug=RandomSwap(), seed=0, column="text", batch_size=4)
    ray_engine.augment_path(RandomSwap(), inp, tmp_path / "ray_na.csv", column="text", seed=0, batch_size=4, progress=False)
    raw = pd.read_csv(tmp_path / "ray_na.csv", dtype=str, keep_default_na=False)
    orig = raw[raw["is_augmented"] == "False"]
    assert orig["text"].tolist()[2] == "NA" and orig["text"].tolist()[5] == "null" and orig["text"].tolist()[7] == ""


def test_cli_errors_for_the_ray_engine(tmp_path, capsys):
    from tests.test_cli import run_inproc

    np.save(tmp_path / "s.npy", np.zeros((4, 1, 8), np.float32))
    proc = run_inproc("augment", tmp_path / "s.npy", "-o", tmp_path / "o.npy", "-a", "jitter", "--engine", "ray", capsys=capsys)
    assert proc.returncode == 2 and "--engine local" in proc.stderr
    proc = run_inproc("augment", tmp_path / "s.npy", "-o", tmp_path / "o.npy", "-a", "jitter", "--ray-address", "x", capsys=capsys)
    assert proc.returncode == 2 and "need --engine ray" in proc.stderr
    io.write_table(_texts(5), tmp_path / "t.csv")
    proc = run_inproc("augment", tmp_path / "t.csv", "-o", tmp_path / "o.csv", "-a", "random_swap", "--column", "nope",
                      "--engine", "ray", capsys=capsys)
    assert proc.returncode == 2 and "not in the input" in proc.stderr and not (tmp_path / "o.csv").exists()


def test_ray_refuses_column_options_that_do_not_apply(tmp_path):
    """The local engine's check, before Ray starts: --columns means nothing to a text augmenter."""
    from multiaug.text import RandomSwap

    io.write_table(_texts(6), tmp_path / "in.csv")
    with pytest.raises(ValueError, match="--columns 'label' is for tabular augmenters"):
        ray_engine.augment_path(RandomSwap(), tmp_path / "in.csv", tmp_path / "o.csv", column="text",
                                feature_columns=["label"], progress=False)
    assert not (tmp_path / "o.csv").exists()


def test_batch_seed_is_shared_with_the_local_engine():
    assert ray_engine.batch_seed is batch_seed


def test_ray_takes_the_same_run_options_as_the_local_engine(tmp_path, ray_local):
    """One RunOptions object drives both engines to the same file; giving options and keywords, or an
    output directory that holds the input (replacing it would delete the input), is refused first."""
    from multiaug.engines import RunOptions
    from multiaug.text import RandomSwap

    opts = RunOptions(n_aug=2, seed=5, column="text", label_column="label", batch_size=10, progress=False)
    inp = tmp_path / "in.csv"
    io.write_table(_texts(35), inp)
    augment_file(RandomSwap(), inp, tmp_path / "local.csv", opts)
    rep = ray_engine.augment_path(RandomSwap(), inp, tmp_path / "ray.csv", opts)
    assert (tmp_path / "ray.csv").read_bytes() == (tmp_path / "local.csv").read_bytes()
    assert (rep.rows_in, rep.rows_out, rep.rows_augmented) == (35, 105, 70)
    with pytest.raises(TypeError, match="augment_path: pass either options or the keywords"):
        ray_engine.augment_path(RandomSwap(), inp, tmp_path / "x.csv", opts, seed=1)
    with pytest.raises(TypeError, match="augment_dataset: pass either options or the keywords"):
        ray_engine.augment_dataset(ray_local.data.from_pandas(_texts(4)), RandomSwap(), opts, n_aug=1)
    with pytest.raises(ValueError, match="holds the input file; refusing to replace it"):
        ray_engine.augment_path(RandomSwap(), inp, f"{tmp_path}/", dataclasses.replace(opts, overwrite=True))
    assert io.read_table(inp)["text"].tolist() == _texts(35)["text"].tolist()


def test_ray_refuses_balance_instead_of_ignoring_it(tmp_path):
    """Class balancing needs the whole file's class counts before the first batch: the Ray engine
    refuses it (from Python as from the CLI) and writes nothing."""
    from multiaug.engines import RunOptions
    from multiaug.text import RandomSwap

    inp = tmp_path / "in.csv"
    io.write_table(_texts(6), inp)
    opts = RunOptions(column="text", label_column="label", balance="auto", progress=False)
    with pytest.raises(ValueError, match="balance .*use the local engine"):
        ray_engine.augment_path(RandomSwap(), inp, tmp_path / "o.csv", opts)
    assert not (tmp_path / "o.csv").exists()
    with pytest.raises(ValueError, match="balance .*use the local engine"):
        ray_engine.augment_dataset(None, RandomSwap(), opts)


@pytest.mark.parametrize("out_suffix", [".csv", ".parquet"])
def test_csv_passthrough_columns_are_read_as_text_like_the_local_engine(tmp_path, ray_local, capsys, out_suffix):
    from tests.test_cli import run_inproc

    rows = ["zip,flag,qty,text,label"]
    rows += [f"{i:05d},{'TRUE' if i % 2 else 'False'},{['NA', '', i][i % 3]},word{i} alpha beta gamma delta,{i % 2}"
             for i in range(30)]
    inp = tmp_path / "in.csv"
    inp.write_text("\n".join(rows) + "\n")
    common = ["-a", "char_noise", "--column", "text", "--label-column", "label", "--seed", "0", "--batch-size", "8"]
    outs = {}
    for eng in ("local", "ray"):
        out = tmp_path / f"{eng}{out_suffix}"
        r = run_inproc("augment", inp, "-o", out, "--engine", eng, *common, capsys=capsys)
        assert r.returncode == 0, r.stderr
        if out_suffix == ".csv":
            outs[eng] = pd.read_csv(out, dtype=str, keep_default_na=False).to_dict("list")
        else:  # same arrow types and values (pandas metadata may differ in the string flavour)
            import pyarrow.parquet as pq

            t = pq.read_table(out)
            outs[eng] = {f.name: (str(f.type).replace("large_", ""), t.column(f.name).to_pylist()) for f in t.schema}
    assert outs["ray"] == outs["local"]
    zips = outs["ray"]["zip"] if out_suffix == ".csv" else outs["ray"]["zip"][1]
    assert zips[0] == "00000"


def test_ray_session_keeps_the_callers_sigterm_handler():
    # ray.init installs its own SIGTERM handler; the CLI's ("terminated; no output written") must survive it
    import subprocess
    import sys

    code = (
        "import signal\n"
        "from multiaug.engines import ray as r\n"
        "def h(*a): pass\n"
        "signal.signal(signal.SIGTERM, h)\n"
        "with r.ray_session(num_cpus=1):\n"
        "    assert signal.getsignal(signal.SIGTERM) is h, signal.getsignal(signal.SIGTERM)\n"
        "print('ok')\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr[-2000:]


@pytest.mark.slow  # about 6 s: a file and a directory output through Ray
def test_jsonl_passthrough_values_keep_their_json_type_like_the_local_engine(tmp_path, ray_local):
    """jsonl pass-through values come back from Ray as read, as from the local engine: an integer
    next to a null stays an integer, 2 in a float column stays 2, an ISO date a string, booleans,
    lists and objects as they are, a column of mixed types too (pyarrow's JSON reader would make
    1.0, timestamps, and fail on the mixed column); blank lines and a BOM as the local engine reads
    them, a file and a directory output alike."""
    import json

    from multiaug.text import RandomSwap

    recs = [{"id": i if i % 3 else None, "score": [1.5, 2, None][i % 3], "big": 2**53 + i, "ok": [True, False, None][i % 3],
             "tags": ["a", "b"] if i % 2 else [], "meta": {"k": i, "v": None}, "zip": f"{i:05d}",
             "when": f"2024-01-0{i % 9 + 1}", "mixed": [1, "x", 2.5, None, True][i % 5],
             "text": f"word{i} alpha beta gamma\u2028delta", "label": i % 2} for i in range(11)]
    lines = [json.dumps(r, ensure_ascii=False) for r in recs]
    inp = tmp_path / "in.jsonl"
    inp.write_text("\ufeff" + "\n".join(lines[:5]) + "\n  \n" + "\n".join(lines[5:]) + "\n", encoding="utf-8")
    opts = dict(column="text", label_column="label", seed=0, n_aug=2, batch_size=4, progress=False)
    augment_file(RandomSwap(), inp, tmp_path / "local.jsonl", **opts)
    ray_engine.augment_path(RandomSwap(), inp, tmp_path / "ray.jsonl", **opts)
    assert (tmp_path / "ray.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    def read(path):  # split on \n only: the texts hold U+2028, which str.splitlines splits on
        return [json.loads(x) for x in path.read_text(encoding="utf-8").split("\n") if x]

    got = read(tmp_path / "ray.jsonl")
    assert [r["id"] for r in got[:4]] == [None, 1, 2, None] and got[1]["score"] == 2 and isinstance(got[1]["score"], int)
    assert got[0]["when"] == "2024-01-01" and got[1]["tags"] == ["a", "b"] and got[0]["meta"] == {"k": 0, "v": None}
    assert [r["mixed"] for r in got[:4]] == [1, "x", 2.5, None]
    ray_engine.augment_path(RandomSwap(), inp, f"{tmp_path / 'dir'}/", **opts)
    files = sorted((tmp_path / "dir").glob("*.json*"))
    rows = [r for f in files for r in read(f)]
    want = read(tmp_path / "local.jsonl")
    key = lambda r: json.dumps({k: v for k, v in r.items() if k != "text"}, sort_keys=True)  # noqa: E731
    assert sorted(map(key, rows)) == sorted(map(key, want))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines[:9]) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.jsonl', line 10: not valid JSON"):
        ray_engine.augment_path(RandomSwap(), bad, tmp_path / "bad_out.jsonl", **opts)
    assert not (tmp_path / "bad_out.jsonl").exists()


def test_rows_left_out_by_the_workers_are_reported(tmp_path, ray_local):
    """Augmented rows the workers left out (outputs identical to their input) were left out without a
    word by the ray engine (the local engine warns); the driver now counts them."""
    from multiaug.text import RandomSwap

    df = pd.DataFrame({"text": ["the quick brown fox jumps over", "word", "", "a lazy dog sleeps in the sun"] * 3})
    inp = tmp_path / "in.csv"
    io.write_table(df, inp)
    local = augment_file(RandomSwap(), inp, tmp_path / "l.csv", column="text", seed=0, progress=False)
    report = ray_engine.augment_path(RandomSwap(), inp, tmp_path / "r.csv", column="text", seed=0, progress=False)
    assert report.rows_augmented == local.rows_augmented == 6
    assert report.warnings == ["6 of 12 augmented rows were left out (6 written): outputs identical to their input, "
                               "empty texts and the like are not written; the ray engine does not collect the "
                               "workers' warnings, run --engine local to see which input rows and why"]
    complete = ray_engine.RunReport(rows_in=4, rows_augmented=8)
    ray_engine.note_shortfall(complete, n_aug=2)
    assert complete.warnings == []


def test_parquet_nested_integers_and_nulls_come_out_as_from_the_local_engine(tmp_path, ray_local):
    """Integers inside list/struct cells next to a null came out of the Ray engine as floats
    ([1.0, null, 3.0] in jsonl, the NumPy repr "[ 1. nan  3.]" in csv): Ray's frames hold Arrow-backed
    columns. Its batches are now made frames as the local engine reads parquet (io.arrow_frame)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from multiaug.text import RandomSwap

    n = 11
    table = pa.table({
        "text": [f"word{i} alpha beta gamma" if i % 4 else None for i in range(n)],
        "nested": pa.array([[1, None, i] if i % 2 else [i] for i in range(n)], pa.list_(pa.int64())),
        "st": pa.array([{"a": i if i % 3 else None} for i in range(n)], pa.struct([("a", pa.int64())])),
        "id": pa.array([i if i % 5 else None for i in range(n)], pa.int64()),
    })
    inp = tmp_path / "in.parquet"
    pq.write_table(table, inp)
    opts = dict(column="text", seed=0, n_aug=1, batch_size=4, progress=False)
    for suffix in (".jsonl", ".csv", ".parquet"):
        augment_file(RandomSwap(), inp, tmp_path / f"local{suffix}", **opts)
        ray_engine.augment_path(RandomSwap(), inp, tmp_path / f"ray{suffix}", **opts)
        assert (tmp_path / f"ray{suffix}").read_bytes() == (tmp_path / f"local{suffix}").read_bytes() or (
            suffix == ".parquet" and pq.read_table(tmp_path / "ray.parquet").equals(pq.read_table(tmp_path / "local.parquet")))
    first = (tmp_path / "ray.jsonl").read_text().splitlines()[1]
    assert '"nested":[1,null,1]' in first and '"st":{"a":1}' in first and '"id":1' in first
    ray_engine.augment_path(RandomSwap(), inp, f"{tmp_path / 'dir'}/", **opts)
    schema = pq.read_schema(next((tmp_path / "dir").glob("*.parquet")))
    assert schema.field("nested").type == pa.list_(pa.int64()) and schema.field("id").type == pa.int64()


@pytest.mark.parametrize("name", ["in.csv.gz", "in.jsonl.gz", "in.csv.bz2"])
def test_compressed_inputs_and_outputs_as_in_the_local_engine(tmp_path, ray_local, name):
    from multiaug.text import RandomSwap

    df = _texts(30)
    io.write_table(df, tmp_path / name)
    out = name.replace("in.", "out.")
    opts = dict(column="text", label_column="label", seed=0, n_aug=1, batch_size=8, progress=False)
    augment_file(RandomSwap(), tmp_path / name, tmp_path / f"local_{out}", **opts)
    ray_engine.augment_path(RandomSwap(), tmp_path / name, tmp_path / f"ray_{out}", **opts)
    with io.open_binary(tmp_path / f"ray_{out}") as a, io.open_binary(tmp_path / f"local_{out}") as b:
        assert a.read() == b.read()
    ray_engine.augment_path(RandomSwap(), tmp_path / name, f"{tmp_path / 'dir'}/", **opts)  # plain files in a folder
    assert sum(len(f.read_text().splitlines()) for f in (tmp_path / "dir").iterdir()) >= 60


def test_an_xz_input_is_refused_by_the_ray_engine_with_the_way_forward(tmp_path):
    from multiaug.text import RandomSwap

    io.write_table(_texts(4), tmp_path / "in.csv.xz")
    with pytest.raises(ValueError, match=r"the ray engine reads csv and jsonl compressed with .gz or .bz2 .*--engine local"):
        ray_engine.augment_path(RandomSwap(), tmp_path / "in.csv.xz", tmp_path / "o.csv", column="text", progress=False)


def test_a_parquet_index_is_passed_through_as_in_the_local_engine(tmp_path, ray_local):
    # Ray's blocks lose the parquet's pandas metadata: the stored index (ids) was a feature there, noised
    import pandas as pd

    from multiaug.tabular import GaussianNoise

    ids = pd.Index([100, 205, 310, 400, 512, 600], name="myid")
    pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) * 2, "y": [0, 1] * 3}, index=ids).to_parquet(tmp_path / "t.parquet")
    opts = dict(label_column="y", seed=0, progress=False)
    augment_file(GaussianNoise(), tmp_path / "t.parquet", tmp_path / "local.parquet", **opts)
    ray_engine.augment_path(GaussianNoise(), tmp_path / "t.parquet", tmp_path / "ray.parquet", **opts)
    local, remote = pd.read_parquet(tmp_path / "local.parquet"), pd.read_parquet(tmp_path / "ray.parquet")
    assert remote["myid"].tolist() == ids.tolist() * 2
    np.testing.assert_array_equal(remote[["a", "b"]].to_numpy(), local[["a", "b"]].to_numpy())
    # read back alike: the lineage columns were nullable Int64/boolean in the Ray output, int64/bool locally
    pd.testing.assert_frame_equal(remote, local)
