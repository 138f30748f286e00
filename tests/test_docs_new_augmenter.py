"""docs/new_augmenter.md's worked example runs as written, and the augmenter it defines passes the
same checks the contract test gives registered augmenters (constraints declared, replay, p, clone)."""
from __future__ import annotations

import pathlib
import re

import pytest
import torch
from sklearn.base import clone

from multiaug import registry
from multiaug.core.constraints import merged_constraints

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "new_augmenter.md"


@pytest.fixture
def example(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))  # the registration is undone after
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 1, "docs/new_augmenter.md should hold one python block"
    ns: dict = {"__name__": "new_augmenter_doc"}
    exec(compile(blocks[0], str(DOC), "exec"), ns)
    return ns


def test_worked_example_runs_and_behaves(example):
    cls = example["ChannelGain"]
    assert registry.get("channel_gain") is cls
    assert set(cls._get_param_names()) <= set(merged_constraints(cls))
    x = torch.randn(6, 2, 20)
    aug = cls(gain=0.0, seed=1)
    assert torch.equal(aug(x), torch.zeros_like(x))  # gain 0 silences every channel
    shared = cls(gain=(0.5, 2.0), shared=True, seed=3).sample(x)["gain"]
    assert shared.shape == (6, 1, 1)
    c = clone(cls(gain="loud"))  # any value round-trips through clone; the check comes at use
    assert c.gain == "loud"
    with pytest.raises(ValueError, match=r"^ChannelGain: gain must be .*, got 'loud'$"):
        c.fit(x)
    lengths = torch.tensor([20, 10, 5, 20, 1, 7])
    padded = x.clone()
    out = cls(seed=0)(padded, lengths=lengths)
    assert torch.equal(out[1, :, 10:], padded[1, :, 10:])  # padding kept
