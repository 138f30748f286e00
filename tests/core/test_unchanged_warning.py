"""The "k of n ... could not be changed" warnings are ``UnchangedWarning``s (a ``RuntimeWarning``) whose
parts are attributes, so the CLI sums them over batches without reading their text."""
import pickle
import warnings

import pytest

from multiaug.core import UnchangedWarning, warn_unchanged
from multiaug.text import RandomSwap


def _caught(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    return [w.message for w in caught if isinstance(w.message, UnchangedWarning)]


def test_text_warning_carries_its_fields_and_keeps_its_text():
    texts = ["", "word", "one two three four five six", "   "]
    aug = RandomSwap(seed=0)
    (w,) = _caught(aug.augment, texts, n_aug=2)
    assert isinstance(w, RuntimeWarning)
    assert (w.name, w.n_unchanged, w.n_total, w.rows) == ("RandomSwap", 6, 8, [0, 1, 3, 0, 1, 3])
    assert w.reason.startswith("outputs are identical to their input (") and w.rest.endswith("; left out of the augmented data")
    assert str(w) == (
        "RandomSwap: 6 of 8 outputs are identical to their input (nothing it could change, e.g. empty, too short "
        "or only stop words; first rows: [0, 1, 3, 0, 1]); left out of the augmented data"
    )
    assert w.text(7, 9, "input rows 2") == str(w).replace("6 of 8", "7 of 9").replace("first rows: [0, 1, 3, 0, 1]", "input rows 2")
    back = pickle.loads(pickle.dumps(w))
    assert type(back) is UnchangedWarning and str(back) == str(w) and back.rows == w.rows
    with pytest.warns(RuntimeWarning, match=r"RandomSwap: 3 of 4 outputs are identical .*first rows: \[0, 1, 3\]"):
        aug(texts)


def test_warn_unchanged_carries_its_fields_without_rows():
    class Dropper:
        pass

    (w,) = _caught(warn_unchanged, Dropper(), 2, 5, "nothing to drop")
    assert (w.name, w.n_unchanged, w.n_total, w.reason, w.rows, w.rest) == (
        "Dropper", 2, 5, "inputs could not be changed (nothing to drop)", None, "")
    assert str(w) == "Dropper: 2 of 5 inputs could not be changed (nothing to drop)"
    assert _caught(warn_unchanged, Dropper(), 0, 5) == []


def test_warnings_point_at_the_callers_line():
    """The public entry points switch autocast off in their own bodies, not through a wrapper whose
    frame moved every warning's stacklevel: the warning was attributed to multiaug/core/base.py, so
    `warnings.filterwarnings(..., module=...)` and the shown line missed the caller."""
    aug = RandomSwap(seed=0)
    for call in (lambda: aug(["a", "one two three"]), lambda: aug.augment(["a", "one two three"])):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        (w,) = [w for w in caught if issubclass(w.category, UnchangedWarning)]
        assert w.filename == __file__, w.filename


def test_every_warning_path_points_at_the_callers_line():
    """Warnings raised deep in the library (a series read as channels-first, an augmenter that could
    not change anything, a composition's child, fit_resample) name the caller's file, not multiaug's:
    core.report.warn_user walks out of the package instead of a fixed stacklevel per call path."""
    import numpy as np
    import pandas as pd

    from multiaug import Sequential
    from multiaug.tabular import GaussianNoise
    from multiaug.timeseries import Jitter

    wide = np.zeros((2, 100, 3), dtype="float32")
    cats = pd.DataFrame({"c": pd.Categorical(["a", "b"] * 3)})
    calls = [
        lambda: Jitter(seed=0)(wide),
        lambda: Sequential([Jitter(), Jitter()], seed=0)(wide),
        lambda: Jitter(seed=0).augment(wide),
        lambda: GaussianNoise(seed=0)(cats),
        lambda: Sequential([GaussianNoise()], seed=0)(cats),
        lambda: GaussianNoise(seed=0).fit_resample(cats, np.array([0, 1] * 3)),
    ]
    for i, call in enumerate(calls):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            call()
        assert caught, i
        assert all(w.filename == __file__ for w in caught), (i, [(w.filename, str(w.message)[:60]) for w in caught])
