"""A run must not depend on how the file divides into batches: a lone last row, batch sizes 1/2/3,
single-row files, labels with gaps, text cells reading NA/null/empty."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from multiaug import io, registry
from multiaug.engines.local import augment_file, fit_table_if_needed

TABULAR = ["gaussian_noise", "mixup", "cutmix", "regmix"]
SERIES = ["ts_mixup", "ts_cutmix", "frequency_mix"]
FAST_REGMIX = {"n_iter": 2, "episodes": 2, "n_random_features": 16}


def _aug(name):
    return registry.create(name, **(FAST_REGMIX if name == "regmix" else {}))


def _table(n, seed=0):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(rng.normal(size=(n, 3)) * [1.0, 3.0, 0.5], columns=list("abc"))
    df["label"] = np.arange(n) % 2
    df["target"] = rng.normal(size=n)
    return df


def _run_table(tmp_path, name, df, batch_size, n_aug=2):
    inp, out = tmp_path / f"{name}_in.csv", tmp_path / f"{name}_{batch_size}.csv"
    io.write_table(df, inp)
    label = "target" if name == "regmix" else "label"
    feats = list("abc")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = augment_file(_aug(name), inp, out, n_aug=n_aug, seed=0, label_column=label, feature_columns=feats,
                           batch_size=batch_size, progress=False)
    return rep, io.read_table(out)


def _check_lineage(df, got, n_aug):
    n = len(df)
    is_aug = got["is_augmented"].astype(bool).to_numpy()
    src = got["source_index"].to_numpy()
    assert sorted(src[~is_aug].tolist()) == list(range(n))
    assert sorted(src[is_aug].tolist()) == sorted(list(range(n)) * n_aug)  # one copy per row and copy
    assert np.array_equal(got.loc[~is_aug, list("abc")].to_numpy(), df[list("abc")].to_numpy()[src[~is_aug]])


@pytest.mark.parametrize("name", TABULAR)
def test_1025_rows_at_the_default_batch_size(tmp_path, name):
    df = _table(1025)
    rep, got = _run_table(tmp_path, name, df, 1024)
    _check_lineage(df, got, 2)
    assert rep.rows_in == 1025 and rep.rows_augmented == 2050
    last = got[got["is_augmented"].astype(bool) & (got["source_index"] == 1024)]
    assert not np.allclose(last[list("abc")].to_numpy(), df.loc[[1024, 1024], list("abc")].to_numpy())


@pytest.mark.parametrize("batch_size", [1, 2, 3])
@pytest.mark.parametrize("name", TABULAR)
def test_tiny_batches(tmp_path, name, batch_size):
    df = _table(10)
    _, got = _run_table(tmp_path, name, df, batch_size)
    _check_lineage(df, got, 2)
    aug_rows = got[got["is_augmented"].astype(bool)]
    changed = ~(aug_rows[list("abc")].to_numpy() == df[list("abc")].to_numpy()[aug_rows["source_index"]]).all(1)
    # rows really mixed/noised, not handed back (with 2-row pools a row is its own partner half the time)
    assert changed.sum() >= 5


def test_gaussian_noise_scale_is_the_whole_files_spread_whatever_the_batch(tmp_path):
    df = _table(37)
    io.write_table(df, tmp_path / "t.csv")
    for bs in (1, 5, 1024):
        aug = _aug("gaussian_noise")
        fit_table_if_needed(aug, tmp_path / "t.csv", None, "label", list("abc"), batch_size=bs)
        assert np.allclose(aug.scale_.numpy(), df[list("abc")].to_numpy().std(axis=0), rtol=1e-5)


@pytest.mark.parametrize("name", TABULAR)
def test_single_row_file_is_a_clear_error(tmp_path, name):
    with pytest.raises(ValueError, match="single row"):
        _run_table(tmp_path, name, _table(1), 1024)


def _run_series(tmp_path, name, x, y, batch_size):
    inp, out = tmp_path / "s.npz", tmp_path / f"{name}_{batch_size}.npz"
    np.savez(inp, x=x, y=y)
    augment_file(registry.create(name), inp, out, n_aug=2, seed=0, batch_size=batch_size, overwrite=True, progress=False)
    z = np.load(out)
    return z


@pytest.mark.parametrize("name", SERIES)
@pytest.mark.parametrize("n,batch_size", [(1025, 1024), (10, 1), (10, 2), (10, 3)])
def test_series_any_batch_size(tmp_path, name, n, batch_size):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2, 16)).astype(np.float32)
    y = np.arange(n) % 3
    z = _run_series(tmp_path, name, x, y, batch_size)
    is_aug, src = z["is_augmented"], z["source_index"]
    assert sorted(src[is_aug].tolist()) == sorted(list(range(n)) * 2)
    assert np.array_equal(z["x"][~is_aug], x) and len(z["y"]) == len(src)
    if n == 1025:  # the lone last series is mixed with the previous batch, not returned as is
        assert not np.array_equal(z["x"][is_aug & (src == n - 1)], x[[n - 1, n - 1]])


@pytest.mark.parametrize("name", SERIES)
def test_single_series_file_is_a_clear_error(tmp_path, name):
    with pytest.raises(ValueError, match="single series"):
        _run_series(tmp_path, name, np.zeros((1, 1, 8), np.float32), np.zeros(1, int), 1024)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_integer_labels_with_gaps_stay_integers(tmp_path, suffix):
    df = _table(9)
    df["label"] = pd.array([1, 0, None, 1, 0, 1, None, 0, 1], dtype="Int64")
    inp, out = tmp_path / f"in{suffix}", tmp_path / f"out{suffix}"
    io.write_table(df, inp)
    augment_file(_aug("gaussian_noise"), inp, out, n_aug=1, seed=0, label_column="label", feature_columns=list("abc"),
                 batch_size=4, progress=False)
    if suffix == ".csv":
        raw = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert set(raw["label"]) == {"0", "1", ""}  # never "1.0"
        is_aug = raw["is_augmented"] == "True"
    else:
        import pyarrow.parquet as pq

        assert str(pq.read_schema(out).field("label").type) == "int64"
        raw = io.read_table(out)
        is_aug = raw["is_augmented"].astype(bool)
    src = raw["source_index"].astype(int).to_numpy()
    text = np.array(["1", "0", "", "1", "0", "1", "", "0", "1"], dtype=object)
    got = [v if isinstance(v, str) else "" if pd.isna(v) else str(v) for v in raw["label"]]
    assert got == text[src].tolist()  # every row, original or augmented, has its source row's label
    assert is_aug.sum() == 9


def test_float_labels_with_gaps_stay_floats(tmp_path):
    df = _table(6)
    df["label"] = [151.0, 75.0, np.nan, 141.0, 2.5, 97.0]
    df.loc[4, "label"] = 206.0  # whole numbers written as floats: the csv text says so
    df.to_csv(tmp_path / "in.csv", index=False, float_format="%.1f")
    augment_file(_aug("gaussian_noise"), tmp_path / "in.csv", tmp_path / "o.csv", seed=0, label_column="label",
                 feature_columns=list("abc"), batch_size=4, progress=False)
    raw = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert set(raw["label"]) == {"151.0", "75.0", "", "141.0", "206.0", "97.0"}


def test_mixing_a_missing_label_names_the_row(tmp_path):
    df = _table(9)
    df["label"] = df["label"].astype(float)
    df.loc[6, "label"] = np.nan
    io.write_table(df, tmp_path / "in.csv")
    with pytest.raises(ValueError, match=r"row 6: --label-column 'label' is missing; Mixup mixes labels"):
        augment_file(_aug("mixup"), tmp_path / "in.csv", tmp_path / "o.csv", label_column="label",
                     feature_columns=list("abc"), batch_size=4, progress=False)


def test_text_cells_reading_na_null_none_or_empty(tmp_path):
    from multiaug.text import RandomSwap

    texts = ["alpha beta gamma delta", "NA", "null", "None", "", "epsilon zeta eta theta", "nan", "iota kappa lambda"]
    (tmp_path / "in.csv").write_text("text,label\n" + "".join(f"{t},{i % 2}\n" for i, t in enumerate(texts)))
    rep = augment_file(RandomSwap(seed=0), tmp_path / "in.csv", tmp_path / "o.csv", n_aug=1, seed=0, column="text",
                       batch_size=3, progress=False)
    raw = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    orig = raw[raw["is_augmented"] == "False"]
    assert orig["text"].tolist() == texts  # as read, NA markers included
    assert rep.empty_texts == 1 and any("empty text" in w for w in rep.warnings)
    augmented = raw[raw["is_augmented"] == "True"]
    assert "4" not in augmented["source_index"].tolist()  # the empty text is not passed off as augmented
    assert rep.unchanged >= 1
