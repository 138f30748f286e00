"""Degenerate but valid text batches: every text augmenter maps an empty batch to an empty result (of
the input's type), with labels and lineage, and never blames the input for it; a paraphrase endpoint
is not even contacted."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from multiaug import Sequential, registry
from multiaug.text import EDA, CharNoise, Paraphrase, RandomSwap
from tests.text.test_backends import FakeServer


def _factories():
    from tests.text.contract_cases_llm import tiny_masked_lm

    out = {}
    for name, cls in registry.items():
        if not cls.__module__.startswith("multiaug.text") or registry.modality_of(cls) != "text":
            continue  # tagged sequences: tests/text/test_tagged.py
        if name == "nlpaug":
            pytest.importorskip("nlpaug")
            out[name] = lambda cls=cls: cls(aug="nlpaug.augmenter.word.RandomWordAug", aug_params={"action": "swap"}, seed=0)
        elif name == "contextual_substitution":
            out[name] = lambda cls=cls: cls(model=tiny_masked_lm(), seed=0)
        elif name == "paraphrase":
            continue  # needs a server: see test_paraphrase_endpoint_is_not_called_for_an_empty_batch
        else:
            out[name] = lambda cls=cls: cls(seed=0)
    return out


FACTORIES = _factories()


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_empty_batch_gives_empty_result(name):
    make = FACTORIES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an empty batch is not "unchanged output": no warning either
        assert make()([]) == []
        assert make()([], []) == ([], [])
        assert make()(()) == ()
        X, y, src = make().augment([])
        assert X == [] and y is None and src.shape == (0,) and src.dtype.kind == "i"
        X, y, src = make().augment([], [], n_aug=3)
        assert X == [] and list(y) == [] and src.shape == (0,)
        out = make()(pd.Series([], dtype=object))
        assert isinstance(out, pd.Series) and len(out) == 0
        assert make()(np.array([], dtype=object)).shape == (0,)
        aug = make()
        Xr, yr = aug.fit_resample([], np.array([], dtype=int))
        assert list(Xr) == [] and len(yr) == 0
        assert aug.report_.n_inputs == 0 and aug.report_.n_outputs == 0


@pytest.mark.parametrize("p", [1.0, 0.5])
def test_empty_batch_keeps_the_stream_and_p_layout(p):
    # an empty batch draws nothing: the next call equals a fresh instance's first call
    a, b = EDA(seed=3, p=p), EDA(seed=3, p=p)
    assert a([]) == []
    texts = ["the quick brown fox jumps over the lazy dog", "a small cat sat on the warm mat today"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert a(texts) == b(texts)
    params = EDA(seed=0, p=p).sample([])
    assert params["active"].numel() == 0  # the same layout whatever p is


def test_empty_batch_through_a_composition():
    seq = Sequential([RandomSwap(), CharNoise()], seed=0)
    assert seq([]) == [] and seq([], []) == ([], [])


def test_paraphrase_endpoint_is_not_called_for_an_empty_batch():
    with FakeServer() as srv:
        aug = Paraphrase(base_url=srv.url, model="m", timeout=5.0, max_retries=0, seed=0)
        assert aug([]) == [] and aug([], []) == ([], [])
        X, y, src = aug.augment([], [], n_aug=2)
        assert X == [] and list(y) == [] and src.shape == (0,)
        assert aug(["the cat runs on the road"]) == ["the cat runs on the road v0"]  # the server does answer
    assert srv.count == 1


def test_numpy_text_arrays_keep_their_kind():
    import numpy as np

    from multiaug.text import EDA

    x = np.array(["the quick brown fox jumps", "a lazy dog sleeps all day"])
    out = EDA(seed=0)(x)
    assert out.dtype.kind == "U" and out.shape == (2,)
    assert EDA(seed=0)(x.astype(object)).dtype == object
    xa, _, _ = EDA(seed=0).augment(x, None, n_aug=2)
    assert xa.dtype.kind == "U" and len(xa) == 4


def test_missing_texts_and_bytes_are_refused_saying_where_and_what_to_do():
    """A Series with its own index: the error names the position and the label (x[2] alone pointed the
    user at s[2], another row); missing values and bytes say what to do."""
    s = pd.Series(["good phone", "bad battery", np.nan], index=[100, 2, 300])
    with pytest.raises(TypeError, match=r"^x\[2\] \(index label 300\): expected str, got a missing value \(nan\); "
                                        r"drop or fill the missing texts first"):
        EDA(seed=0)(s)
    with pytest.raises(TypeError, match=r"^x\[1\]: expected str, got a missing value \(None\)"):
        CharNoise(seed=0)(["a b", None])
    with pytest.raises(TypeError, match=r"^x\[1\]: expected str, got a missing value \(<NA>\)"):
        RandomSwap(seed=0)(pd.Series(["a b", pd.NA], dtype="string"))  # default index: the position is the label
    with pytest.raises(TypeError, match=r"^x\[0\]: expected str, got bytes b'a b'; decode it first"):
        RandomSwap(seed=0)([b"a b"])
    with pytest.raises(TypeError, match=r"^x: expected a list of str .* got bytes; decode it first"):
        RandomSwap(seed=0)(b"a b")
    with pytest.raises(TypeError, match=r"^x: expected a list of str .* got DataFrame; pass the text column"):
        RandomSwap(seed=0)(pd.DataFrame({"text": ["a b"]}))
