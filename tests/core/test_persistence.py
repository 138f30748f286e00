"""Configs and save/load: what a rebuilt augmenter keeps of the original (multiaug/core/persistence.py)."""
import json
from pathlib import Path

import pytest
import torch

from multiaug.core import Augmenter
from multiaug.core.compose import OneOf, RandAugment, Sequential, SomeOf, Sometimes
from multiaug.timeseries import Jitter, Scaling


def _x():
    return torch.randn(6, 2, 16, generator=torch.Generator().manual_seed(0))


def _shared_trees():
    """Compositions holding one augmenter object at several places (built fresh for each use)."""
    j = Jitter(sigma=0.1)
    yield "sequential", Sequential([j, Scaling(), j], seed=3)
    j = Jitter(sigma=0.1)
    yield "one_of", OneOf([j, Scaling(), j], seed=3)
    j = Jitter(sigma=0.1)
    yield "some_of", SomeOf([j, Scaling(), j], n=(1, 3), seed=3)
    j = Jitter(sigma=0.1)
    yield "rand_augment", RandAugment([j, Scaling(), j], seed=3)
    j, s = Jitter(sigma=0.1), Scaling()
    o = OneOf([j, s])
    yield "nested", Sequential([o, j, Sometimes(s, p=0.5), o], seed=3)


@pytest.mark.parametrize("index", range(5), ids=[n for n, _ in _shared_trees()])
def test_a_child_held_twice_replays_after_config_and_save_load(index, tmp_path):
    # the same child object twice used to come back as two objects: each seeded from the parent's stream and
    # drawing from its own stream, so the reloaded composition gave other outputs than the original
    _, tree = list(_shared_trees())[index]
    config = json.loads(json.dumps(tree.to_config()))
    rebuilt = Augmenter.from_config(config)
    tree.save(tmp_path / "saved")
    loaded = Augmenter.load(tmp_path / "saved")
    x = _x()
    for _ in range(2):  # the streams advance alike
        out = tree(x)
        assert torch.equal(rebuilt(x), out) and torch.equal(loaded(x), out)
    assert repr(rebuilt) == repr(tree)


def test_shared_places_are_written_with_one_instance_number_and_rebuilt_as_one_object():
    j, s = Jitter(sigma=0.1), Scaling()
    tree = Sequential([j, s, j, OneOf([s, Jitter()])])
    cfg = tree.to_config()
    kids = cfg["params"]["augmenters"]
    assert kids[0]["instance"] == kids[2]["instance"] == 0 and kids[0]["params"] == kids[2]["params"]
    assert kids[1]["instance"] == kids[3]["params"]["augmenters"][0]["instance"] == 1
    assert "instance" not in kids[3] and "instance" not in kids[3]["params"]["augmenters"][1]  # held once
    assert "instance" not in Sequential([Jitter(), Jitter()]).to_config()["params"]["augmenters"][0]
    rebuilt = Augmenter.from_config(cfg)
    a = rebuilt.augmenters
    assert a[0] is a[2] and a[1] is a[3].augmenters[0] and a[0] is not a[3].augmenters[1]
    rebuilt.set_params(augmenters__0__sigma=0.5)  # one object: both places follow
    assert a[2].sigma == 0.5


def test_instance_numbers_that_disagree_are_refused():
    cfg = Sequential([Jitter(sigma=0.1), Jitter(sigma=0.2)]).to_config()
    for kid in cfg["params"]["augmenters"]:
        kid["instance"] = 0
    with pytest.raises(ValueError, match="places of instance 0 describe different augmenters"):
        Augmenter.from_config(cfg)
    cfg["params"]["augmenters"][0]["instance"] = "zero"
    with pytest.raises(ValueError, match="instance expected an integer"):
        Augmenter.from_config(cfg)


def test_a_torch_device_comes_back_a_torch_device(tmp_path):
    # device=torch.device("cpu") came back as the string "cpu": get_params and repr differed from the original's
    for device in (torch.device("cpu"), "cpu", None):
        aug = Sequential([Jitter(device=device)], device=device)
        rebuilt = Augmenter.from_config(json.loads(json.dumps(aug.to_config())))
        aug.save(tmp_path / "d")
        loaded = Augmenter.load(tmp_path / "d")
        for other in (rebuilt, loaded):
            assert type(other.device) is type(device) and other.device == device
            assert type(other.augmenters[0].device) is type(device)
            assert repr(other) == repr(aug) and other.to_config() == aug.to_config()
    assert Jitter(device=torch.device("cpu")).to_config()["params"]["device"] == {"torch.device": "cpu"}
    assert Jitter(device="cpu").to_config()["params"]["device"] == "cpu"
    cfg = {"augmenter": "jitter", "params": {"device": {"torch.device": "no such device"}}}
    with pytest.raises(ValueError, match="'torch.device'.*name of a torch device.*'no such device'"):
        Augmenter.from_config(cfg)


@pytest.mark.parametrize("config, needles", [
    ({"augmenter": "jitter", "param": {"sigma": 5.0}}, ["unknown key(s) ['param']", "did you mean 'params'?"]),
    ({"augmenter": "jitter", "params": {}, "seed": 3}, ["unknown key(s) ['seed']", "seed included, goes under params"]),
    ({"augmenter": "sequential", "params": {"augmenters": [{"augmenter": "jitter", "param": {"sigma": 5.0}}]}},
     ["'jitter'", "did you mean 'params'?"]),
    ({"augmenter": "jitter", "params": [0.1]}, ["params expected a mapping"]),
    ({"name": "jitter"}, ["write augmenter: jitter instead of name: jitter"]),
    ({"jitter": {"sigma": 0.1}}, ["write {augmenter: jitter, params: {'sigma': 0.1}}"]),
    ({"augmenter": "jitter", "params": {"sigmaa": 1}}, ["unknown parameter(s) ['sigmaa']", "did you mean 'sigma'?"]),
])
def test_config_typos_are_errors_naming_the_key(tmp_path, config, needles):
    """A misspelt key of a config (``param``, a hyperparameter beside ``params``) was ignored, so the
    augmenter ran with its defaults; it is a ``ValueError`` naming the key, with a suggestion."""
    with pytest.raises(ValueError) as e:
        Augmenter.from_config(config)
    for n in needles:
        assert n in str(e.value)
    f = tmp_path / "c.json"
    f.write_text(json.dumps(config))
    with pytest.raises(ValueError):
        Augmenter.from_config(f)


@pytest.mark.parametrize("config, needle", [
    ({"augmenter": "sequential", "params": {"augmenters": ["jitter", "scaling"]}},
     "Sequential: augmenters[0] must be an Augmenter, got str 'jitter' (a name: write multiaug.create('jitter')"),
    ({"augmenter": "sometimes", "params": {"augmenter": "jitter"}}, "Sometimes: augmenter must be an Augmenter, got"),
    ({"augmenter": "one_of", "params": {"augmenters": [{"augmenter": "jitter", "seed": 1}]}},
     "augmenters[0] must be an Augmenter, got dict"),
])
def test_a_composition_of_names_is_a_clear_error_wherever_it_is_used(config, needle):
    """Names (or malformed configs) where a composition's children belong: ``modality`` (which the CLI
    reads first) raised ``AttributeError: 'str' object has no attribute 'modality'``."""
    aug = Augmenter.from_config(config)
    for use in (lambda: aug.modality, lambda: aug.learned, lambda: aug(_x())):
        with pytest.raises(TypeError) as e:
            use()
        assert needle in str(e.value)


def test_configs_written_by_the_library_still_load(tmp_path):
    aug = Sequential([Jitter(sigma=0.2), Sometimes(Scaling(), p=0.3)], seed=1)
    assert Augmenter.from_config(aug.to_config()).to_config() == aug.to_config()
    aug.save(tmp_path / "a")
    assert Augmenter.load(tmp_path / "a").to_config() == aug.to_config()


# ---- save(): config.json and state.safetensors stay one consistent pair ----------------------------


def _fitted_noise(seed):
    import numpy as np
    import pandas as pd

    from multiaug.tabular import GaussianNoise

    X = pd.DataFrame(np.random.default_rng(seed).normal(size=(20, 3)) * (seed + 1), columns=list("abc"))
    return GaussianNoise().fit(X)


def test_a_save_interrupted_between_its_two_files_is_refused_by_load(tmp_path, monkeypatch):
    # save() renamed state.safetensors, then config.json, one at a time: a crash between the two left the new
    # weights beside the old config, and load() paired them without a word
    import os

    from multiaug.core import persistence

    _fitted_noise(0).save(tmp_path / "saved")
    real = os.replace
    calls = []

    def crash_on_second(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt("power cut")
        real(src, dst)

    monkeypatch.setattr(persistence.os, "replace", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        _fitted_noise(1).save(tmp_path / "saved")
    monkeypatch.undo()
    with pytest.raises(ValueError, match="config.json and state.safetensors come from different saves"):
        Augmenter.load(tmp_path / "saved")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["config.json", "state.safetensors"]  # no temps


def test_a_config_whose_state_file_is_missing_is_refused(tmp_path):
    _fitted_noise(0).save(tmp_path / "saved")
    (tmp_path / "saved" / "state.safetensors").unlink()
    with pytest.raises(ValueError, match="holds config.json but not the state.safetensors saved with it"):
        Augmenter.load(tmp_path / "saved")


def test_saves_without_the_state_digest_still_load(tmp_path):
    # the files earlier versions wrote: config.json with plain fitted metadata, state.safetensors without metadata
    from safetensors.torch import save_file

    aug = _fitted_noise(0)
    tensors, meta = aug.fitted_state()
    d = tmp_path / "old"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({**aug.to_config(), "fitted": meta}))
    save_file(tensors, str(d / "state.safetensors"))
    back = Augmenter.load(d)
    assert all(torch.equal(back.fitted_state()[0][k], v) for k, v in tensors.items())
    # and a new save still loads, with the same state, by a load that ignores the digest (the old one's way)
    aug.save(tmp_path / "new")
    cfg = json.loads((tmp_path / "new" / "config.json").read_text())
    old_way = Augmenter.from_config(cfg)
    from safetensors.torch import load_file

    old_way.load_fitted_state(load_file(str(tmp_path / "new" / "state.safetensors")), cfg["fitted"])
    assert all(torch.equal(old_way.fitted_state()[0][k], v) for k, v in tensors.items())


def test_a_save_without_state_removes_an_earlier_state_file(tmp_path):
    _fitted_noise(0).save(tmp_path / "saved")
    Jitter(sigma=0.2).save(tmp_path / "saved")
    assert not (tmp_path / "saved" / "state.safetensors").exists()
    assert Augmenter.load(tmp_path / "saved").get_params()["sigma"] == 0.2


def test_files_are_flushed_to_disk_before_they_are_renamed(tmp_path, monkeypatch):
    from multiaug import io as mio

    flushed = []
    monkeypatch.setattr(mio, "fsync_file", lambda p: flushed.append(Path(p).name))
    _fitted_noise(0).save(tmp_path / "saved")
    assert [n.split(".")[1] for n in flushed] == ["state", "config"]


def test_write_config_is_atomic(tmp_path, monkeypatch):
    from multiaug.core.persistence import write_config

    target = tmp_path / "c.yaml"
    write_config({"augmenter": "jitter", "params": {"sigma": 0.1}}, target)
    import yaml

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(yaml, "safe_dump", lambda *a, **k: "augmenter: jit")
    from multiaug import io as mio

    monkeypatch.setattr(mio, "fsync_file", boom)  # interrupted after writing, before the rename
    with pytest.raises(KeyboardInterrupt):
        write_config({"augmenter": "jitter"}, target)
    assert "sigma: 0.1" in target.read_text() and [p.name for p in tmp_path.iterdir()] == ["c.yaml"]
