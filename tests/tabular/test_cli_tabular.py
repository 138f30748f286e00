import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from multiaug.cli import cli


@pytest.fixture
def table(tmp_path):
    g = np.random.default_rng(0)
    df = pd.DataFrame(g.normal(size=(40, 3)), columns=["a", "b", "c"])
    df["kind"] = np.where(df["a"] > 0, "hi", "lo")
    df["target"] = df["a"] * 2 + df["b"]
    df["label"] = np.array(["x", "y"])[(df["b"] > 0).astype(int)]
    return df


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
@pytest.mark.parametrize("name,label,extra", [
    ("mixup", "label", []),
    ("cutmix", "target", []),
    ("regmix", "target", ["-p", "n_iter=2", "-p", "episodes=2", "-p", "n_random_features=8"]),
])
def test_cli_mixes_labels(tmp_path, table, suffix, name, label, extra):
    src = tmp_path / f"in{suffix}"
    df = table.drop(columns=["kind", "label" if label == "target" else "target"])
    df.to_csv(src, index=False) if suffix == ".csv" else df.to_parquet(src)
    out = tmp_path / f"out{suffix}"
    res = CliRunner().invoke(cli, ["augment", str(src), "-o", str(out), "-a", name, "--label-column", label, "--seed", "0", "--no-progress", *extra])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert len(got) == 80
    if label == "label":
        assert set(got[label]) <= {"x", "y"}
    else:
        assert np.isfinite(got[label]).all()


def test_cli_rejects_undeclared_text_column(tmp_path, table):
    src = tmp_path / "in.csv"
    table.drop(columns=["label"]).to_csv(src, index=False)
    res = CliRunner().invoke(cli, ["augment", str(src), "-o", str(tmp_path / "o.csv"), "-a", "mixup", "--label-column", "target", "--no-progress"])
    assert res.exit_code != 0 and "kind" in (res.output + str(res.exception))
    res = CliRunner().invoke(cli, ["augment", str(src), "-o", str(tmp_path / "o.csv"), "-a", "mixup", "--label-column", "target",
                                   "-p", 'categorical_columns=["kind"]', "--no-progress"])
    assert res.exit_code == 0, res.output
    assert set(pd.read_csv(tmp_path / "o.csv")["kind"]) <= {"hi", "lo"}


@pytest.mark.parametrize("name", ["gaussian_noise", "mixup", "cutmix"])
def test_cli_1025_rows_at_the_default_batch_size(tmp_path, name):
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.normal(size=(1025, 3)), columns=list("abc"))
    df["label"] = pd.array(np.arange(1025) % 2, dtype="Int64")
    if name == "gaussian_noise":  # an integer label column with gaps (pandas reads it as floats)
        df.loc[[3, 1024], "label"] = pd.NA
    df.to_csv(tmp_path / "in.csv", index=False)
    res = CliRunner().invoke(cli, ["augment", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "-a", name,
                                   "--label-column", "label", "--seed", "0"])
    assert res.exit_code == 0, res.output
    raw = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    assert len(raw) == 2050 and sorted(raw["source_index"].astype(int).tolist()) == sorted(list(range(1025)) * 2)
    assert set(raw["label"]) <= {"0", "1", ""}  # labels as read, never 1.0


def test_cli_single_row_file_with_a_mixing_augmenter(tmp_path, capsys):
    from multiaug.cli import main

    pd.DataFrame({"a": [1.0], "b": [2.0], "label": [1]}).to_csv(tmp_path / "in.csv", index=False)
    with pytest.raises(SystemExit) as exit_info:
        main(["augment", str(tmp_path / "in.csv"), "-o", str(tmp_path / "o.csv"), "-a", "mixup", "--label-column", "label"])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "single row" in err and "Mixup" in err
    assert not (tmp_path / "o.csv").exists()


def test_cli_parquet_feature_columns_keep_their_dtypes(tmp_path):
    # a category or nullable Int64 feature came back as strings / objects in the augmented rows (the
    # engine wrote the augmenter's columns through to_numpy()), so the output file's column lost its type
    src, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0, 5.0], "b": pd.array([1, 2, 3, None, 5], dtype="Int64"),
                  "c": pd.Categorical(["x", "y", "x", "y", "x"]), "y": [0, 1, 0, 1, 0]}).to_parquet(src)
    res = CliRunner().invoke(cli, ["augment", str(src), "-o", str(out), "-a", "gaussian_noise", "--label-column", "y",
                                   "-p", "nan_policy=keep", "--seed", "0", "--no-progress"])
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out)
    assert isinstance(got["c"].dtype, pd.CategoricalDtype) and set(got["c"]) == {"x", "y"}
    assert str(got["b"].dtype) == "Int64" and got["b"].isna().sum() == 2
    assert not np.allclose(got["a"][5:].dropna(), got["a"][:5].dropna())  # the features were noised
