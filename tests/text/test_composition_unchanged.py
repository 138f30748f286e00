"""Compositions of text augmenters follow the text rule: an output nothing augmented is never passed off
as augmented (counted in report_, warned about, left out of augment by default), as for one augmenter."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from multiaug import OneOf, RandAugment, Sequential, SomeOf, Sometimes
from multiaug.text import EDA, CharNoise, RandomDeletion, RandomSwap
from multiaug.text.base import TextAugmenter

# "hello", "!!!" and "" cannot be changed by a word swap; the last sentence has no repeated word
TEXTS = ["hello", "!!!", "", "the cat sat on a mat"]
Y = np.array([10, 11, 12, 13])

COMPOSITIONS = {
    "Sequential": lambda **kw: Sequential([RandomSwap(**kw)], seed=0),
    "OneOf": lambda **kw: OneOf([RandomSwap(**kw), RandomSwap(alpha=0.5, **kw)], seed=0),
    "SomeOf": lambda **kw: SomeOf([RandomSwap(**kw), RandomSwap(alpha=0.5, **kw)], n=1, seed=0),
    "Sometimes": lambda **kw: Sometimes(RandomSwap(**kw), p=1.0, seed=0),
    "RandAugment": lambda **kw: RandAugment([RandomSwap(**kw)], n=1, seed=0),
    "nested": lambda **kw: Sequential([OneOf([RandomSwap(**kw), Sometimes(RandomSwap(**kw), p=1.0)])], seed=0),
}


def caught(fn):
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = fn()
    return out, [str(m.message) for m in w if issubclass(m.category, RuntimeWarning)]


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_augment_leaves_out_counts_and_warns_about_unchanged_outputs(name):
    comp = COMPOSITIONS[name]()
    (X, y, src), msgs = caught(lambda: comp.augment(TEXTS, Y, n_aug=2))
    assert list(src) == [3, 3] and X == [X[0], X[1]] and all(x != TEXTS[3] for x in X)
    assert list(y) == [13, 13]
    assert len(msgs) == 1 and msgs[0].startswith(f"{type(comp).__name__}: 6 of 8 outputs are identical to their input")
    assert "left out of the augmented data" in msgs[0]
    rep = comp.report_
    assert (rep.n_inputs, rep.n_outputs, rep.n_unchanged, rep.n_dropped) == (8, 2, 6, 6)
    assert rep.details["unchanged_index"] == [0, 1, 2, 0, 1, 2]


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_call_counts_and_warns_but_keeps_them(name):
    comp = COMPOSITIONS[name]()
    out, msgs = caught(lambda: comp(TEXTS))
    assert out[:3] == TEXTS[:3] and out[3] != TEXTS[3]
    assert len(msgs) == 1 and "3 of 4 outputs are identical" in msgs[0] and "1:1 call" in msgs[0]
    rep = comp.report_
    assert (rep.n_inputs, rep.n_outputs, rep.n_unchanged, rep.n_dropped) == (4, 4, 3, 0)
    assert rep.details["unchanged_index"] == [0, 1, 2]


def test_on_unchanged_comes_from_the_augmenters_inside():
    keep = Sequential([RandomSwap(on_unchanged="keep"), RandomDeletion(on_unchanged="keep")], seed=0)
    (X, _, src), msgs = caught(lambda: keep.augment(TEXTS, n_aug=1))
    assert list(src) == [0, 1, 2, 3] and X[:3] == TEXTS[:3] and "kept" in msgs[0]
    assert (keep.report_.n_unchanged, keep.report_.n_dropped) == (3, 0)

    error = OneOf([RandomSwap(on_unchanged="error")], seed=0)
    with pytest.raises(ValueError, match="on_unchanged='error' refuses them"):
        error.augment(TEXTS, n_aug=1)
    with pytest.raises(ValueError, match="on_unchanged='error' refuses them"):
        error(TEXTS)

    mixed = Sequential([RandomSwap(on_unchanged="keep"), CharNoise()], seed=0)
    with pytest.raises(ValueError, match=r"disagree on on_unchanged \(RandomSwap: 'keep', CharNoise: 'drop'\)"):
        mixed.augment(TEXTS, n_aug=1)


@pytest.mark.parametrize("make", [
    lambda: Sometimes(RandomSwap(), p=0.0, seed=0),              # the composition's own p
    lambda: Sequential([RandomSwap(p=0.0)], seed=0),            # the p of the augmenter inside
    lambda: SomeOf([RandomSwap(), RandomDeletion()], n=0, seed=0),  # routed to no augmenter
], ids=["composition p", "inner p", "SomeOf n=0"])
def test_samples_no_augmenter_drew_are_not_counted(make):
    """As with one augmenter's p: samples nothing was asked to change come back as they are (copies
    of their source in augment), not counted and not warned about."""
    comp = make()
    (X, _, src), msgs = caught(lambda: comp.augment(TEXTS, n_aug=1))
    assert X == TEXTS and list(src) == [0, 1, 2, 3] and msgs == []
    assert comp.report_.n_unchanged == 0
    out, msgs = caught(lambda: comp(TEXTS))
    assert out == TEXTS and msgs == [] and comp.report_.n_unchanged == 0


class _Reverse(TextAugmenter):
    """Reverses the word order (a change a second one undoes)."""

    def _apply(self, x, params):
        return [" ".join(s.split()[::-1]) for s in x]


def test_changes_that_cancel_out_and_each_augmenters_own_test():
    twice = Sequential([_Reverse(), _Reverse()], seed=0)
    (X, _, src), msgs = caught(lambda: twice.augment(["a b c", "x y"], n_aug=1))
    assert X == [] and len(src) == 0 and twice.report_.n_unchanged == 2
    # EDA(lowercase=True) renders "Hello" as "hello" without augmenting it: EDA's own test says so
    lower = Sequential([EDA(lowercase=True, alpha_sr=0, alpha_ri=0, alpha_rs=0.1, p_rd=0, mode="all")], seed=0)
    (X, _, src), msgs = caught(lambda: lower.augment(["Hello", "the cat sat on a mat"], n_aug=1))
    assert list(src) == [1] and lower.report_.details["unchanged_index"] == [0]


def test_series_input_and_class_balancing():
    comp = Sequential([RandomSwap()], seed=0)
    (X, y, src), _ = caught(lambda: comp.augment(pd.Series(TEXTS, index=[5, 6, 7, 8]), Y, n_aug=2))
    assert isinstance(X, pd.Series) and list(src) == [3, 3] and list(y) == [13, 13]
    labels = np.array([0, 1, 1, 1])  # class 0 ("hello") needs 2 copies; none can differ from it
    (X, y, src), msgs = caught(lambda: Sequential([RandomSwap()], seed=0).augment(
        ["hello", "the cat sat on a mat", "a dog ran in the park", "birds sing in tall trees"], labels,
        sampling_strategy="auto"))
    assert len(src) == 0 and any("could not be met" in m for m in msgs)


def test_tagged_compositions_follow_the_same_rule():
    from multiaug.text.tagged import TaggedRandomSwap

    X = [(["John"], ["B-PER"]), (["John", "lives", "in", "Paris", "now", "ok"], ["B-PER", "O", "O", "B-LOC", "O", "O"])]
    comp = OneOf([TaggedRandomSwap(alpha=0.5)], seed=0)
    (out, _, src), msgs = caught(lambda: comp.augment(X, n_aug=2))
    assert 0 not in list(src) and all(o[0] != X[1][0] for o in out)
    assert comp.report_.n_unchanged == comp.report_.n_dropped >= 2 and msgs and msgs[0].startswith("OneOf:")
    out, msgs = caught(lambda: comp(X))
    assert out[0] == X[0] and comp.report_.details["unchanged_index"][:1] == [0]


def test_cli_leaves_unchanged_rows_of_a_pipeline_out(tmp_path, capsys):
    from tests.test_cli import run_inproc

    src = tmp_path / "in.csv"
    pd.DataFrame({"text": ["hello", "!!!", "the cat sat on a mat"]}).to_csv(src, index=False)
    cfg = tmp_path / "pipe.yaml"
    cfg.write_text("augmenter: sequential\nparams:\n  augmenters:\n  - augmenter: random_swap\n    params: {}\n")
    out = tmp_path / "out.csv"
    res = run_inproc("augment", src, "-o", out, "--config", cfg, "--column", "text", "--seed", "0", "--no-progress",
                     capsys=capsys)
    assert res.returncode == 0, res.stderr
    df = pd.read_csv(out, keep_default_na=False)
    aug = df[df["is_augmented"]]
    assert list(aug["source_index"]) == [2] and aug["text"].iloc[0] != "the cat sat on a mat"
    assert "Sequential: 2 of 3 outputs are identical to their input" in res.stderr
