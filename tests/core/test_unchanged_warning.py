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


def test_time_series_compositions_report_the_series_their_children_left_as_they_were():
    # a series too short for TimeWarp (lengths) is left as it was and reported by TimeWarp alone; a
    # composition reports it too (was report_ None), in rows of its own batch, once, as text compositions do
    import numpy as np
    import torch

    from multiaug.core import OneOf, Sequential, Sometimes
    from multiaug.timeseries import Jitter, TimeWarp, WindowWarp

    x = torch.randn(12, 2, 16, generator=torch.Generator().manual_seed(0))
    lengths = torch.tensor([16, 1, 16, 1, 3, 1, 16, 1, 2, 1, 16, 1])
    for seed in range(4):
        comp = OneOf([TimeWarp(), Jitter()], seed=seed)  # Jitter changes every series, TimeWarp the long ones
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = comp(x, lengths=lengths)
        same = [i for i in range(12) if torch.equal(out[i], x[i])]
        assert same and comp.report_.n_inputs == 12 and comp.report_.details["unchanged_index"] == same
        (w,) = [c.message for c in caught if isinstance(c.message, UnchangedWarning)]  # one, the composition's
        assert (w.name, w.n_unchanged, w.n_total, w.rows) == ("OneOf", len(same), 12, same)
    # nested, p < 1, augment: rows of the batch given, one report for all copies
    for p in (1.0, 0.7):
        comp = Sometimes(Sequential([WindowWarp(), OneOf([TimeWarp(), Jitter()])]), p=p, seed=1)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xa, _, src = comp.augment(x, np.arange(12), n_aug=3, lengths=lengths)
            rep = comp.report_
        same = [int(src[i]) for i in range(len(src)) if torch.equal(Xa[i], x[src[i]])]
        assert rep.n_inputs == 36 and rep.n_unchanged > 0 and set(rep.details["unchanged_index"]) <= {1, 3, 5, 7, 9, 11}
        if p == 1.0:  # every series drawn: those unchanged are those reported
            assert sorted(rep.details["unchanged_index"]) == sorted(same)
        else:  # those not drawn come back unchanged too, and are not counted
            assert len(rep.details["unchanged_index"]) < len(same)
    # a child that changes every series it is given: nothing is left unchanged
    comp = Sequential([TimeWarp(), Jitter()], seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comp(x, lengths=lengths)
    assert comp.report_.n_unchanged == 0 and not [c for c in caught if isinstance(c.message, UnchangedWarning)]
    comp(x)  # without lengths no child reports
    assert comp.report_ is None


def test_composition_counts_every_short_series_beyond_a_hundred():
    import numpy as np

    # the children's report_ kept only the first 100 rows, so a composition counted at most 100 per child
    import multiaug
    from multiaug.timeseries import TimeWarp

    x = np.random.default_rng(0).normal(size=(300, 1, 20)).astype("float32")
    lengths = np.r_[np.ones(250, int), np.full(50, 20)]
    comp = multiaug.Sequential([multiaug.Sequential([TimeWarp()])], seed=0)
    with pytest.warns(UnchangedWarning, match="250 of 300"):
        comp(x, lengths=lengths)
    assert comp.report_.n_unchanged == 250 and comp.report_.details["unchanged_index"] == list(range(250))
