"""RunOptions: one object for what a run is asked to do, checked once, taken by both engines."""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from multiaug import io
from multiaug.engines import RunOptions
from multiaug.engines.local import augment_file


@pytest.mark.parametrize("kw, err, match", [
    ({"n_aug": 0}, ValueError, "n_aug must be an integer >= 1, got 0"),
    ({"n_aug": True}, ValueError, "n_aug must be an integer >= 1, got True"),
    ({"n_aug": 1.5}, ValueError, "n_aug must be an integer >= 1, got 1.5"),
    ({"batch_size": 0}, ValueError, "batch_size must be an integer >= 1, got 0"),
    ({"batch_size": "8"}, ValueError, "batch_size must be an integer >= 1, got '8'"),
    ({"seed": "1"}, TypeError, "seed must be an integer or None, got '1'"),
    ({"seed": True}, TypeError, "seed must be an integer or None, got True"),
    ({"column": 3}, TypeError, r"column must be a column name \(str\) or None, got 3"),
    ({"label_column": ["y"]}, TypeError, "label_column must be a column name"),
    ({"feature_columns": "abc"}, TypeError, "feature_columns must be a list of column names"),
    ({"feature_columns": ["a", 1]}, TypeError, "feature_columns must be a list of column names"),
    ({"exclude_original": "yes"}, TypeError, "exclude_original must be True or False, got 'yes'"),
    ({"overwrite": None}, TypeError, "overwrite must be True or False, got None"),
    ({"progress": 1}, TypeError, "progress must be True or False or None, got 1"),
])
def test_bad_options_are_refused_when_built(kw, err, match):
    with pytest.raises(err, match=match):
        RunOptions(**kw)


def test_options_normalise_and_stay_frozen():
    o = RunOptions(n_aug=np.int64(2), seed=np.int32(5), feature_columns=("a", "b"), batch_size=np.int64(4))
    assert (o.n_aug, o.seed, o.feature_columns, o.batch_size) == (2, 5, ["a", "b"], 4)
    assert type(o.n_aug) is int and type(o.batch_size) is int
    assert RunOptions(feature_columns=[]).feature_columns is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.n_aug = 3
    with pytest.raises(ValueError, match="batch_size must be"):
        dataclasses.replace(o, batch_size=0)
    assert RunOptions.keywords() == ["n_aug", "seed", "column", "label_column", "feature_columns", "batch_size",
                                     "exclude_original", "overwrite", "progress", "tokens_column", "tags_column", "balance"]


def test_n_aug_defaults_to_the_augmenter():
    from multiaug.text import RandomSwap

    assert RunOptions().n_aug_for(RandomSwap(n_aug=3)) == 3
    assert RunOptions(n_aug=2).n_aug_for(RandomSwap(n_aug=3)) == 2

    class Odd:
        n_aug = 0

    with pytest.raises(ValueError, match="Odd: n_aug must be an integer >= 1, got 0"):
        RunOptions().n_aug_for(Odd())


def _table(tmp_path):
    df = pd.DataFrame({"text": [f"the quick brown fox {i} jumps over" for i in range(20)], "label": np.arange(20) % 2})
    inp = tmp_path / "in.csv"
    io.write_table(df, inp)
    return inp


def test_options_object_and_keywords_give_the_same_run(tmp_path):
    from multiaug.text import RandomSwap

    inp = _table(tmp_path)
    kw = dict(n_aug=2, seed=3, column="text", label_column="label", batch_size=6, progress=False)
    rep_a = augment_file(RandomSwap(), inp, tmp_path / "a.csv", RunOptions(**kw))
    rep_b = augment_file(RandomSwap(), inp, tmp_path / "b.csv", **kw)
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert rep_a == rep_b and rep_a.rows_out == 60
    out = io.read_table(tmp_path / "a.csv")
    assert out["is_augmented"].sum() == 40  # n_aug=2 reached the engine through the options object


def test_options_and_keywords_together_or_unknown_keywords_are_type_errors(tmp_path):
    from multiaug.text import RandomSwap

    inp = _table(tmp_path)
    with pytest.raises(TypeError, match="augment_file: pass either options or the keywords \\['seed'\\], not both"):
        augment_file(RandomSwap(), inp, tmp_path / "o.csv", RunOptions(column="text"), seed=1)
    with pytest.raises(TypeError, match=r"augment_file: unexpected keyword\(s\) \['colum'\]; expected some of"):
        augment_file(RandomSwap(), inp, tmp_path / "o.csv", colum="text")
    with pytest.raises(TypeError, match="options must be a RunOptions, got dict"):
        augment_file(RandomSwap(), inp, tmp_path / "o.csv", {"column": "text"})
    assert not (tmp_path / "o.csv").exists()


def test_options_are_checked_before_any_file(tmp_path):
    """A bad batch size is reported even when the paths are bad too, and nothing is written."""
    from multiaug.text import RandomSwap

    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        augment_file(RandomSwap(), tmp_path / "missing.csv", tmp_path / "o.csv", column="text", batch_size=0)
    assert list(tmp_path.iterdir()) == []
