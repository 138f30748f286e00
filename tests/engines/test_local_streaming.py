"""The local engine streams: a file many batches long gives the in-memory result, memory stays flat,
a crash leaves nothing behind, and the progress bar reports rows/s."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from multiaug import io
from multiaug.engines import local
from multiaug.engines.local import augment_file, batch_seed


def _texts(n: int) -> pd.DataFrame:
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()
    return pd.DataFrame({
        "text": [" ".join(words[(i + k) % 10] + str(i % 7) for k in range(4 + i % 5)) for i in range(n)],
        "label": np.arange(n) % 3,
    })


def expected_text_stream(aug, df, batch_size, seed, n_aug, exclude_original):
    """The reference, computed without the engine: the augmenter called directly on each batch's texts
    (reseeded from (seed, first row), the documented contract), rows laid out as the module doc says."""
    rows = []
    for start in range(0, len(df), batch_size):
        part = df["text"].iloc[start : start + batch_size].tolist()
        aug.reseed(batch_seed(seed, start))
        texts, _, src = aug.augment(part, n_aug=n_aug)
        if not exclude_original:
            rows += [(t, start + i, False) for i, t in enumerate(part)]
        rows += [(t, start + int(s), True) for t, s in zip(texts, src)]
    return rows


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
@pytest.mark.parametrize("exclude_original", [False, True])
def test_text_stream_many_batches_equals_in_memory(tmp_path, suffix, exclude_original):
    from multiaug.text import RandomSwap

    df = _texts(1000)  # 1000 rows / 37 = 28 batches, the last one short
    inp, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    io.write_table(df, inp)
    rep = augment_file(RandomSwap(seed=1), inp, out, n_aug=2, seed=9, column="text", label_column="label",
                       batch_size=37, exclude_original=exclude_original, progress=False)
    got = io.read_table(out)
    want = expected_text_stream(RandomSwap(seed=1), df, 37, 9, 2, exclude_original)
    assert list(zip(got["text"], got["source_index"], got["is_augmented"].astype(bool))) == want
    assert (got["label"].to_numpy() == df["label"].to_numpy()[got["source_index"].to_numpy()]).all()
    # by hand: a swap keeps the words of its source row, and every row is there with <= 2 copies
    for t, s in zip(got["text"], got["source_index"]):
        assert sorted(t.split()) == sorted(df["text"].iloc[s].split())
    aug_src = got["source_index"][got["is_augmented"].astype(bool)]
    assert aug_src.value_counts().max() <= 2 and len(aug_src) > 1500
    assert rep.rows_in == 1000 and rep.rows_out == len(got)


def test_tabular_stream_equals_in_memory(tmp_path):
    """GaussianNoise over a 500-row file in 64-row batches: every batch is scaled by the whole file's
    column spread (computed here with NumPy), whatever the batch."""
    import torch

    from multiaug.tabular import GaussianNoise

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(500, 4)) * [1, 2, 5, 0.1], columns=list("abcd"))
    df["target"] = rng.normal(size=500)
    inp = tmp_path / "t.parquet"
    io.write_table(df, inp)
    augment_file(GaussianNoise(sigma=0.1), inp, tmp_path / "o.parquet", n_aug=1, seed=3, label_column="target",
                 batch_size=64, progress=False)
    got = io.read_table(tmp_path / "o.parquet")
    feats = df[list("abcd")].to_numpy()
    scale = feats.std(axis=0)  # population std of the whole file
    ref = GaussianNoise(sigma=0.1)
    ref.scale_ = torch.tensor(scale, dtype=torch.float32)
    want = []
    for start in range(0, 500, 64):
        ref.reseed(batch_seed(3, start))
        part = feats[start : start + 64]
        want += [part, ref(part)]
    assert np.allclose(got[list("abcd")].to_numpy(), np.concatenate(want), atol=1e-5)
    src = got["source_index"].to_numpy()
    assert src.tolist() == [i for s in range(0, 500, 64) for i in list(range(s, min(s + 64, 500))) * 2]
    assert np.array_equal(got["target"].to_numpy(), df["target"].to_numpy()[src])
    aug_rows = got["is_augmented"].to_numpy(dtype=bool)
    z = (got[list("abcd")].to_numpy()[aug_rows] - feats[src[aug_rows]]) / (0.1 * scale)
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1  # noise ~ N(0, 1) in units of the file's spread


def test_npy_is_memory_mapped_and_streamed(tmp_path):
    from multiaug.timeseries import Jitter

    x = np.random.default_rng(0).normal(size=(300, 2, 16)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    augment_file(Jitter(), tmp_path / "x.npy", tmp_path / "o.npy", n_aug=1, seed=4, batch_size=32, progress=False)
    got = np.load(tmp_path / "o.npy", mmap_mode="r")
    aug = Jitter()
    expected = []
    for start in range(0, 300, 32):
        aug.reseed(batch_seed(4, start))
        xb = x[start : start + 32]
        expected += [xb, aug.augment(xb, None, n_aug=1)[0]]
    assert np.array_equal(np.asarray(got), np.concatenate(expected))


def test_memory_stays_flat_as_the_file_grows(tmp_path, monkeypatch):
    """Peak traced memory (numpy/pandas buffers included) per batch does not grow along a long stream:
    the last 40 batches of a 120-batch file peak no higher than the first 40 (plus gc-timing slack)."""
    from multiaug.text import RandomSwap

    path = tmp_path / "big.csv"
    pd.concat([_texts(1500)] * 8, ignore_index=True).to_csv(path, index=False)
    peaks = []
    orig = local.augment_table_batch

    def measured(*args, **kwargs):
        res = orig(*args, **kwargs)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.reset_peak()
        return res

    monkeypatch.setattr(local, "augment_table_batch", measured)
    augment_file(RandomSwap(seed=0), path, tmp_path / "warm.csv", column="text", batch_size=100, progress=False)
    peaks.clear()
    tracemalloc.start()
    try:
        rep = augment_file(RandomSwap(seed=0), path, tmp_path / "o.csv", n_aug=1, seed=0, column="text",
                           batch_size=100, progress=False)
    finally:
        tracemalloc.stop()
    assert rep.rows_in == 12000 and len(peaks) == 120
    first, last = max(peaks[:40]), max(peaks[-40:])
    assert last < 2 * first + 256 * 1024, (first, last)
    assert max(peaks) < 8 * 2**20  # a few MB for 100-row batches, whatever the file size


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet", ".npy"])
def test_crash_mid_stream_leaves_no_output(tmp_path, monkeypatch, suffix):
    from multiaug.text import RandomSwap
    from multiaug.timeseries import Jitter

    aug_cls = Jitter if suffix == ".npy" else RandomSwap
    inp, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    if suffix == ".npy":
        np.save(inp, np.zeros((200, 1, 8), np.float32))
    else:
        io.write_table(_texts(200), inp)
    calls = {"n": 0}
    orig = local._augment_quiet

    def boom(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:
            raise RuntimeError("worker died")
        return orig(*args, **kwargs)

    monkeypatch.setattr(local, "_augment_quiet", boom)
    kw = {} if suffix == ".npy" else {"column": "text"}
    with pytest.raises(RuntimeError, match="worker died"):
        augment_file(aug_cls(), inp, out, seed=0, batch_size=16, progress=False, **kw)
    assert calls["n"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == [inp.name]


def test_progress_bar_shows_rows_per_second(tmp_path, capsys):
    from multiaug.text import RandomSwap

    io.write_table(_texts(100), tmp_path / "i.csv")
    augment_file(RandomSwap(), tmp_path / "i.csv", tmp_path / "o.csv", column="text", batch_size=10, progress=True)
    err = capsys.readouterr().err
    assert "100rows" in err.replace(" ", "") and "rows/s" in err


def test_batch_seed_depends_on_seed_and_start_only():
    assert batch_seed(1, 0) == batch_seed(1, 0)
    assert len({batch_seed(s, st) for s in range(3) for st in (0, 64, 128)}) == 9
    assert local.batch_seed(2**70, 5) == local.batch_seed(2**70, 5)


# ---- warnings: input rows, file-wide counts ------------------------------------------------------------------

_LINES = ["the cat sat on the mat", "a dog ran in the park", "hello", "the sun is hot today", "birds sing in trees", "world"]


def _unchanged_line(report) -> str:
    lines = [w for w in report.warnings if "identical to their input" in w]
    assert len(lines) == 1, report.warnings
    return lines[0]


@pytest.mark.parametrize("batch_size, n_aug, expected", [(3, 1, "2 of 6"), (2, 3, "6 of 18"), (1, 2, "4 of 12"), (64, 1, "2 of 6")])
def test_unchanged_warning_names_input_rows_and_counts_the_whole_file(tmp_path, batch_size, n_aug, expected):
    """Rows 2 and 5 are single words RandomSwap cannot change. The warning named positions in a batch
    ("first rows: [2]"), and a later batch's identical message was dropped."""
    from multiaug.text import RandomSwap

    io.write_table(pd.DataFrame({"text": _LINES}), tmp_path / "in.csv")
    rep = augment_file(RandomSwap(), tmp_path / "in.csv", tmp_path / "o.csv", column="text", seed=0,
                       batch_size=batch_size, n_aug=n_aug, progress=False)
    line = _unchanged_line(rep)
    assert line.startswith(f"RandomSwap: {expected} outputs are identical to their input"), line
    assert "input rows 2, 5)" in line and "first rows" not in line
    out = pd.read_csv(tmp_path / "o.csv")
    assert set(range(6)) - set(out.loc[out["is_augmented"], "source_index"]) == {2, 5}
    assert rep.unchanged == 2 * n_aug


def test_unchanged_warning_lists_the_first_rows_of_the_file(tmp_path):
    from multiaug.text import RandomSwap

    texts = [("word" if i % 3 else "a few words here") for i in range(20)]  # 13 single words
    io.write_table(pd.DataFrame({"text": texts}), tmp_path / "in.jsonl")
    rep = augment_file(RandomSwap(), tmp_path / "in.jsonl", tmp_path / "o.jsonl", column="text", seed=0,
                       batch_size=4, progress=False)
    line = _unchanged_line(rep)
    assert line.startswith("RandomSwap: 13 of 20 outputs") and "input rows 1, 2, 4, 5, 7, ...)" in line, line


def test_unchanged_warning_of_a_balanced_run_names_input_rows(tmp_path):
    from multiaug.text import RandomSwap

    df = pd.DataFrame({"text": ["the cat sat on the mat", "a dog ran in the park", "birds sing in trees", "hello",
                                "the sun is hot today", "we like long walks", "world", "green grass grows"],
                       "label": ["a", "a", "a", "b", "a", "a", "b", "a"]})
    io.write_table(df, tmp_path / "in.csv")
    rep = augment_file(RandomSwap(), tmp_path / "in.csv", tmp_path / "o.csv", column="text", label_column="label",
                       balance="all", seed=0, batch_size=4, progress=False)
    line = _unchanged_line(rep)  # class b ("hello", "world") gets 4 copies, none of which can change
    assert line.startswith("RandomSwap: 4 of 4 outputs") and "input rows 3, 6)" in line, line


def test_the_augmenters_own_sampling_strategy_balances_the_whole_file(tmp_path):
    """A config with sampling_strategy: balanced over the file as --balance does (was batch by batch, and an
    explicit n_aug was ignored); the ray engine refuses it by name."""
    from multiaug.engines.ray import augment_path
    from multiaug.tabular import GaussianNoise

    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(40, 2)), columns=["a", "b"])
    df["label"] = ["a"] * 30 + ["b"] * 10  # the minority rows all in the last batch of 8
    df.to_csv(tmp_path / "in.csv", index=False)
    aug = GaussianNoise(sampling_strategy="auto", seed=0)
    augment_file(aug, tmp_path / "in.csv", tmp_path / "out.csv", label_column="label", batch_size=8, seed=0,
                 progress=False)
    out = pd.read_csv(tmp_path / "out.csv")
    assert out["label"].value_counts().to_dict() == {"a": 30, "b": 30}
    with pytest.raises(ValueError, match="n_aug=2 does not apply: GaussianNoise has sampling_strategy='auto'"):
        augment_file(aug, tmp_path / "in.csv", tmp_path / "o2.csv", label_column="label", n_aug=2, progress=False)
    assert not (tmp_path / "o2.csv").exists()
    with pytest.raises(ValueError, match="GaussianNoise's sampling_strategy='auto' .* use the local engine"):
        augment_path(aug, tmp_path / "in.csv", tmp_path / "o3.csv", label_column="label")


def _padded_npz(path, n=7, seed=0):
    """Series padded at the end with a value naming the row (1000 + i), their lengths in the .npz."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2, 30)).cumsum(-1).astype(np.float32)
    lengths = np.array([30, 10, 20, 5, 30, 12, 8, 25, 17][:n])
    for i, k in enumerate(lengths):
        x[i, :, k:] = 1000.0 + i
    np.savez(path, x=x, y=np.arange(n) % 2, lengths=lengths)
    return x, lengths


@pytest.mark.parametrize("spec", ["time_warp", "tsmixup", "sequential", "balance"])
def test_npz_lengths_reach_the_augmenter_and_padding_stays_padding(tmp_path, spec):
    # an .npz's lengths array was copied through as data and never given to the augmenter: the padding
    # was warped or mixed into the series (a length-10 series' last valid value became padding)
    import multiaug
    from multiaug import registry
    from multiaug.timeseries import Jitter, TimeWarp

    x, lengths = _padded_npz(tmp_path / "in.npz")
    aug = (multiaug.Sequential([TimeWarp(), Jitter()]) if spec == "sequential" else
           registry.create("time_warp" if spec == "balance" else spec))
    kw = {"balance": "auto"} if spec == "balance" else {"n_aug": 2}
    # batch_size 3 over 7 series: the last batch is a lone series (a mixer takes partners from the batch before)
    augment_file(aug, tmp_path / "in.npz", tmp_path / "out.npz", seed=0, batch_size=3, **kw)
    out = np.load(tmp_path / "out.npz")
    src, got = out["source_index"], out["x"]
    assert out["is_augmented"].sum() > 0
    assert np.array_equal(out["lengths"], lengths[src])  # each row keeps its source's length
    for j, s in enumerate(src):
        assert np.all(got[j, :, lengths[s]:] == 1000.0 + s), f"row {j} (source {s}): padding changed"
        assert np.all(np.abs(got[j, :, :lengths[s]]) < 500), f"row {j} (source {s}): padding warped into the series"
    aug_rows = np.flatnonzero(out["is_augmented"])
    assert any(not np.allclose(got[j, :, :lengths[src[j]]], x[src[j], :, :lengths[src[j]]]) for j in aug_rows)


def test_npz_lengths_are_checked_naming_the_file(tmp_path):
    from multiaug.timeseries import AutoTCL, Jitter

    x, lengths = _padded_npz(tmp_path / "in.npz")
    for bad, msg in [(lengths[:3], r"expected 7 integers in \[1, 30\].*got shape \(3,\)"),
                     (lengths + 1, r"got lengths\[0\] = 31"),
                     (lengths.astype(float), "dtype float64")]:
        np.savez(tmp_path / "bad.npz", x=x, lengths=bad)
        with pytest.raises(ValueError, match=r"input '.*bad.npz': its lengths array .*" + msg):
            augment_file(Jitter(), tmp_path / "bad.npz", tmp_path / "out.npz", seed=0)
    assert not (tmp_path / "out.npz").exists()
    # a learned augmenter would be fitted over the padding: refused before any work
    with pytest.raises(ValueError, match="AutoTCL would be fitted on whole series, padding included.*--load"):
        augment_file(AutoTCL(), tmp_path / "in.npz", tmp_path / "out.npz", seed=0)
