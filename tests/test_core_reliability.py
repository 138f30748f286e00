"""First-hour failures: a device the machine lacks, malformed config files, saving over an old save."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import multiaug
from multiaug.core import mix_seeds, read_config, worker_seed
from multiaug.tabular import GaussianNoise
from multiaug.timeseries import Jitter

ROOT = Path(__file__).resolve().parents[1]
no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")


# ---- device ---------------------------------------------------------------------------------------


@no_cuda
@pytest.mark.parametrize("device", ["cuda", "cuda:0", torch.device("cuda")])
def test_cuda_without_cuda_is_a_clear_value_error_at_first_use(device):
    aug = Jitter(device=device)  # stored unchanged (clone/set_params round-trip); checked at first use
    with pytest.raises(ValueError) as e:
        aug(np.zeros((2, 1, 8), dtype=np.float32))
    msg = str(e.value)
    assert msg.startswith("Jitter: device 'cuda") and "torch.cuda.is_available() is False" in msg
    assert "use device='cpu' or None" in msg and "\n" not in msg


@no_cuda
def test_cuda_without_cuda_via_set_params_and_at_use():
    x = np.zeros((2, 1, 8), dtype=np.float32)
    aug = Jitter()
    aug(x)
    aug.set_params(device="cuda")  # caught at the next use, not later as an AssertionError deep in torch
    with pytest.raises(ValueError, match="Jitter: device 'cuda' is not available"):
        aug(x)
    aug.device = "cuda"  # assigned directly: caught at use too
    with pytest.raises(ValueError, match="Jitter: device 'cuda' is not available"):
        aug(x)
    with pytest.raises(ValueError, match="Sequential: device 'cuda' is not available"):
        multiaug.Sequential([Jitter()], device="cuda")(x)


def test_cpu_and_malformed_devices():
    assert Jitter(device="cpu").device == "cpu"
    assert Jitter(device=torch.device("cpu")).device == torch.device("cpu")
    with pytest.raises(ValueError, match="device must be None or a torch device"):
        Jitter(device="gpu0")(np.zeros((2, 1, 8), dtype=np.float32))


@no_cuda
def test_cli_device_cuda_without_cuda_exits_2_with_one_line(tmp_path):
    out = tmp_path / "x.npz"
    r = subprocess.run(
        [sys.executable, "-m", "multiaug.cli", "augment", str(ROOT / "examples/series.npz"), "-o", str(out),
         "-a", "jitter", "--device", "cuda"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert lines == [
        "multiaug: error: Jitter: device 'cuda' is not available (torch.cuda.is_available() is False); "
        "use device='cpu' or None"
    ]
    assert not out.exists()


# ---- config files ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, text, expected",
    [
        ("x.yaml", "augmenter: jitter\nparams:\n  sigma: [0.1\n  p: 1\n",
         "is not valid YAML: line 4, column 4: expected ',' or ']', but got ':'"),
        ("x.yml", "augmenter: jitter\n  params: {}\n", "is not valid YAML: line 2, column 9: mapping values are not allowed here"),
        ("x.yaml", "a: b\n\tc: d\n", "is not valid YAML: line 2, column 1: found character '\\t' that cannot start any token"),
        ("x.json", '{"augmenter": "jitter",\n "params": {"sigma": 0.1,}}\n',
         "is not valid JSON: line 2, column 26: Expecting property name enclosed in double quotes"),
        ("x.yaml", "- jitter\n- scaling\n", "must hold a mapping such as {augmenter: jitter, params: {sigma: 0.1}} at the top level, got a list"),
        ("x.json", "[1, 2]", "at the top level, got a list ([1, 2])"),
        ("x.yaml", "", "at the top level, got nothing (the file is empty)"),
        ("x.yaml", "jitter\n", "at the top level, got a str ('jitter')"),
    ],
)
def test_malformed_config_is_one_line_value_error(tmp_path, name, text, expected):
    path = tmp_path / name
    path.write_text(text)
    for load in (read_config, multiaug.from_config):
        with pytest.raises(ValueError) as e:
            load(path)
        msg = str(e.value)
        assert msg.startswith(f"config file {str(path)!r} ") and expected in msg, msg
        assert "\n" not in msg


def test_config_that_is_not_text_or_a_directory(tmp_path):
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00augmenter")
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        read_config(binary)
    folder = tmp_path / "d.json"
    folder.mkdir()
    with pytest.raises(ValueError, match="is a directory"):
        read_config(folder)


def test_cli_malformed_config_exits_2_with_one_line(tmp_path):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("augmenter: jitter\n  params: {}\n")
    r = subprocess.run(
        [sys.executable, "-m", "multiaug.cli", "augment", str(ROOT / "examples/series.npz"), "-o",
         str(tmp_path / "x.npz"), "--config", str(cfg)],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [
        f"multiaug: error: config file {str(cfg)!r} is not valid YAML: line 2, column 9: mapping values are not allowed here"
    ]


def test_valid_config_still_reads(tmp_path):
    cfg = {"augmenter": "jitter", "params": {"sigma": 0.3, "seed": 2}}
    for name, text in (("a.json", json.dumps(cfg)), ("a.yaml", "augmenter: jitter\nparams: {sigma: 0.3, seed: 2}\n")):
        (tmp_path / name).write_text(text)
        assert read_config(tmp_path / name) == cfg
        assert multiaug.from_config(tmp_path / name).get_params() == Jitter(sigma=0.3, seed=2).get_params()


# ---- save over an earlier save ----------------------------------------------------------------------


def test_save_without_state_removes_stale_state_file(tmp_path):
    X = np.random.default_rng(0).normal(size=(20, 3)).astype("float32")
    fitted = GaussianNoise(sigma=0.1, seed=0).fit(X)
    fitted.save(tmp_path)
    assert (tmp_path / "state.safetensors").exists()  # the per-column spread learned by fit

    Jitter(sigma=0.2, seed=1).save(tmp_path)
    assert not (tmp_path / "state.safetensors").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json"]  # no temporary files left
    loaded = multiaug.load(tmp_path)
    assert type(loaded) is Jitter and loaded.get_params() == Jitter(sigma=0.2, seed=1).get_params()


def test_save_replaces_state_of_the_same_kind(tmp_path):
    rng = np.random.default_rng(0)
    a = GaussianNoise(sigma=0.1, seed=0).fit(rng.normal(size=(20, 3)).astype("float32"))
    b = GaussianNoise(sigma=0.1, seed=0).fit(10 * rng.normal(size=(20, 3)).astype("float32"))
    a.save(tmp_path)
    b.save(tmp_path)
    loaded = multiaug.load(tmp_path)
    torch.testing.assert_close(torch.as_tensor(loaded.scale_), torch.as_tensor(b.scale_))
    assert not torch.allclose(torch.as_tensor(loaded.scale_), torch.as_tensor(a.scale_))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.json", "state.safetensors"]


def test_save_into_a_file_path_is_a_value_error(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file; expected a directory"):
        Jitter().save(f)


# ---- seed mixing helpers ------------------------------------------------------------------------------


def test_mix_seeds_and_worker_seed_outside_workers():
    assert worker_seed() is None
    assert mix_seeds(0, 1) == mix_seeds(0, 1) != mix_seeds(1, 0)
    assert 0 <= mix_seeds(-5, 2**70) < 2**63


def test_composition_with_a_mixer_refuses_a_single_sample_like_the_mixer():
    import numpy as np

    import multiaug
    from multiaug.timeseries import Jitter, TSMixup

    x = np.zeros((1, 2, 16), dtype="float32")
    for comp in (multiaug.Sequential([TSMixup()]), multiaug.OneOf([Jitter(), multiaug.Sometimes(TSMixup())])):
        with pytest.raises(ValueError, match=r"holds the mixing augmenter TSMixup, which needs at least 2 samples.*got 1"):
            comp(x, np.array([0]))
    with pytest.raises(ValueError, match="at least 2"):
        TSMixup()(x, np.array([0]))
    assert multiaug.Sequential([Jitter(seed=0)])(x).shape == (1, 2, 16)  # nothing to mix: fine


def test_sample_and_apply_refuse_batches_that_are_not_internal_by_name():
    import numpy as np
    import torch

    from multiaug.tabular import Mixup
    from multiaug.timeseries import Jitter

    aug = Jitter(seed=0)
    params = aug.sample(torch.zeros(2, 1, 5))
    with pytest.raises(TypeError, match=r"Jitter.apply: x must be .* \(N, C, T\), got ndarray"):
        aug.apply(np.zeros((2, 1, 5)), params)
    with pytest.raises(TypeError, match=r"Jitter.sample: .*got a tensor of shape \(2, 5\)"):
        aug.sample(torch.zeros(2, 5))  # would draw noise of the wrong rank
    with pytest.raises(TypeError, match=r"Mixup.sample: .*\(N, F\), got DataFrame"):
        import pandas as pd

        Mixup().sample(pd.DataFrame({"a": [1.0, 2.0]}))


def test_date_columns_get_their_own_hint():
    import pandas as pd

    from multiaug.tabular import Mixup

    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "when": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"])})
    with pytest.raises(TypeError, match=r"Mixup: x columns \['when'\] are not numeric.*dates and durations"):
        Mixup(seed=0)(df)


def _fitted_learned():
    from torch_geometric.data import Data

    from multiaug.graph import LocalAugmentation
    from multiaug.tabular import RegMix
    from multiaug.timeseries import AutoTCL
    from tests.timeseries.contract_cases_timeseries import TINY_AUTOTCL

    rng = np.random.default_rng(0)
    g = Data(x=torch.randn(6, 3), edge_index=torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]]))
    X = rng.random((40, 3))
    series = torch.randn(8, 2, 16)
    return [
        (LocalAugmentation(hidden_dim=8, epochs=1, seed=0).fit(g), g, None, {"hidden_dim": 16, "latent_dim": 4}),
        (RegMix(n_iter=2, episodes=2, seed=0, k_candidates=[1, 2, 4]).fit(X, X.sum(1)), X, X.sum(1),
         {"k_candidates": [1, 2]}),
        (AutoTCL(**TINY_AUTOTCL, seed=0).fit(series), series, None, {"depth": TINY_AUTOTCL["depth"] + 1}),
    ]


def test_architecture_hyperparameters_changed_after_fit_are_refused(tmp_path):
    for aug, x, y, change in _fitted_learned():
        name = type(aug).__name__
        before = aug.get_params()
        aug.set_params(**change)
        key = next(iter(change))
        with pytest.raises(ValueError, match=rf"{name}: fitted with .*{key}=.*fit again"):
            aug(x) if y is None else aug(x, y)
        with pytest.raises(ValueError, match=rf"{name}.save: fitted with .*{key}="):
            aug.save(tmp_path / name)
        aug.set_params(**{k: before[k] for k in change})  # set back: usable and saveable again
        aug(x) if y is None else aug(x, y)
        back = multiaug.load(aug.save(tmp_path / name))
        back(x) if y is None else back(x, y)
        # other hyperparameters stay free to change after fit
        aug.set_params(seed=3)
        aug(x) if y is None else aug(x, y)


def test_cli_refuses_architecture_params_on_a_loaded_augmenter(tmp_path):
    from click.testing import CliRunner

    from multiaug.cli import cli

    aug, x, y, change = _fitted_learned()[1]
    saved = aug.save(tmp_path / "regmix")
    import pandas as pd

    pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "t": y}).to_csv(tmp_path / "in.csv", index=False)
    r = CliRunner().invoke(cli, ["augment", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--load",
                                 str(saved), "-p", "k_candidates=[1,2]", "--label-column", "t"])
    assert r.exit_code == 2 and "--param: RegMix loaded from" in r.output and "fitted with k_candidates" in r.output
    assert not (tmp_path / "out.csv").exists()
