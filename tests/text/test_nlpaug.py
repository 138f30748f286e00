"""NlpaugAugmenter: seeding through a save/restore of the global RNGs, configs, errors."""
from __future__ import annotations

import random
import warnings

import numpy as np
import pytest

pytest.importorskip("nlpaug")

from multiaug import Sequential, from_config  # noqa: E402
from multiaug.text import NlpaugAugmenter, RandomSwap  # noqa: E402
from multiaug.text.nlpaug import resolve_nlpaug_class  # noqa: E402
from tests.conftest import SENTENCES  # noqa: E402


def quiet(fn, *a):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*a)


def test_seeded_replay_and_global_state_untouched():
    random.seed(123)
    np.random.seed(123)
    expected_py, expected_np = random.random(), np.random.rand()
    random.seed(123)
    np.random.seed(123)
    a = NlpaugAugmenter(aug="RandomWordAug", aug_params={"action": "swap"}, seed=0)
    b = NlpaugAugmenter(aug="RandomWordAug", aug_params={"action": "swap"}, seed=0)
    out = a(SENTENCES)
    assert out == b(SENTENCES) and a(SENTENCES) != out
    assert random.random() == expected_py and np.random.rand() == expected_np


def test_objects_work_but_cannot_be_configured():
    import nlpaug.augmenter.char as nac

    aug = NlpaugAugmenter(aug=nac.KeyboardAug(), seed=0)
    assert quiet(aug, SENTENCES) == quiet(NlpaugAugmenter(aug=nac.KeyboardAug(), seed=0), SENTENCES)
    with pytest.raises(TypeError, match="aug_params"):
        aug.to_config()


def test_config_round_trip_and_composition():
    aug = NlpaugAugmenter(aug="nlpaug.augmenter.char.OcrAug", aug_params={"aug_char_p": 0.5}, seed=4)
    twin = from_config(aug.to_config())
    assert quiet(twin, SENTENCES) == quiet(aug, SENTENCES)
    seq = Sequential([RandomSwap(), NlpaugAugmenter(aug="RandomWordAug")], seed=0)
    out = seq(SENTENCES)
    assert len(out) == len(SENTENCES) and out == Sequential([RandomSwap(), NlpaugAugmenter(aug="RandomWordAug")], seed=0)(SENTENCES)


def test_unchanged_outputs_are_reported():
    aug = NlpaugAugmenter(aug="RandomWordAug", aug_params={"action": "swap"}, seed=0)
    with pytest.warns(RuntimeWarning):
        out = aug(["", "one", SENTENCES[0]])
    assert out[:2] == ["", "one"] and aug.report_.n_unchanged == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="only classes from the nlpaug"):
        NlpaugAugmenter(aug="os.system")(SENTENCES)  # checked at first use
    with pytest.raises(ValueError, match="no nlpaug class"):
        NlpaugAugmenter(aug="NoSuchAug")(SENTENCES)
    with pytest.raises(TypeError, match="aug_params"):
        NlpaugAugmenter(aug_params=["action"])(SENTENCES)
    with pytest.raises(TypeError, match="nlpaug augmenter"):
        NlpaugAugmenter(aug=42)(SENTENCES)
    with pytest.raises(ValueError, match="cannot build"):
        NlpaugAugmenter(aug="RandomWordAug", aug_params={"bogus": 1})(SENTENCES)
    assert resolve_nlpaug_class("Sequential").__module__.startswith("nlpaug.flow")


@pytest.mark.parametrize("name", ["RandomWordAug", "nlpaug.augmenter.word.RandomWordAug", "nlpaug.flow.Sequential"])
def test_missing_nlpaug_says_how_to_install_it(monkeypatch, name):
    import sys

    for mod in [m for m in sys.modules if m == "nlpaug" or m.startswith("nlpaug.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "nlpaug", None)  # not installed
    with pytest.raises(ImportError, match="pip install nlpaug"):
        NlpaugAugmenter(name)(SENTENCES)


def test_bad_module_path_is_a_bad_name_when_nlpaug_is_installed():
    with pytest.raises(ValueError, match="no nlpaug class"):
        NlpaugAugmenter("nlpaug.flow.nope.Sequential")(SENTENCES)
