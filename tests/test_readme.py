"""README and docs examples are executed so they cannot rot.

Python blocks run as scripts (``__name__ == "__main__"``) from a temporary directory: in this
interpreter when DataLoader workers are forked, in a fresh one otherwise (with "spawn" or
"forkserver" the workers re-import the script, as they would a user's). The README's
command lines run from a temporary copy of ``examples/`` (nothing is written into the repository):
in-process through ``multiaug.cli.main`` by default, and as real shell commands in the slow test.
"""
from __future__ import annotations

import importlib.util
import multiprocessing
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
TRAINING = ROOT / "docs" / "training.md"
CONTRACT = ROOT / "docs" / "contract.md"


def python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def cli_lines() -> list[str]:
    """The README's command lines that use multiaug (plus the mkdir they need), continuations joined."""
    lines = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            cmd = line.split("#", 1)[0].strip()
            if cmd.startswith(("multiaug ", "mkdir ")):
                lines.append(cmd)
    return lines


def _env() -> dict:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def run_script(code: str, tmp_path: Path, name: str, monkeypatch) -> None:
    script = tmp_path / f"{name}.py"
    script.write_text(code)
    if multiprocessing.get_start_method() == "fork":
        # workers are forked, so nothing needs pickling by name: run in this interpreter (imports shared)
        monkeypatch.chdir(tmp_path)
        for k, v in _env().items():
            if k.endswith("OFFLINE"):
                monkeypatch.setenv(k, v)
        import torch

        state = torch.get_rng_state()  # the examples call torch.manual_seed
        try:
            exec(compile(code, str(script), "exec"), {"__name__": "__main__", "__file__": str(script)})
        finally:
            torch.set_rng_state(state)
        return
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"{name} failed:\n{code}\n--- stderr ---\n{r.stderr[-4000:]}"


def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks(README)
    assert len(blocks) >= 2, "README has lost its python examples"
    run_script("\n\n".join(blocks), tmp_path, "readme", monkeypatch)


def test_training_doc_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks(TRAINING)
    assert len(blocks) >= 5
    has_datasets = importlib.util.find_spec("datasets") is not None
    runnable = [b for b in blocks if has_datasets or "from datasets import" not in b]
    assert len(runnable) >= len(blocks) - 1
    run_script("\n\n".join(runnable), tmp_path, "training", monkeypatch)


def test_readme_links_resolve_inside_the_repository():
    for path in (README, TRAINING, CONTRACT):
        text = path.read_text()
        assert "../shared" not in text and "DESIGN.md" not in text
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if "://" in target:
                continue
            assert (path.parent / target).exists(), f"{path.name} links to missing {target}"


def test_readme_names_the_two_commands():
    text = README.read_text()
    assert "make demo" in text and "make test" in text


@pytest.fixture
def fresh_checkout(tmp_path, monkeypatch):
    """A directory with examples/ as in a fresh clone and no out/."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def test_readme_cli_lines_run(fresh_checkout, capsys):
    from multiaug.cli import main

    lines = cli_lines()
    assert lines[0] == "mkdir -p out" and sum(cmd.startswith("multiaug augment") for cmd in lines) >= 4
    assert not (fresh_checkout / "out").exists()
    for cmd in lines:
        argv = shlex.split(cmd)
        if argv[0] == "mkdir":
            subprocess.run(argv, check=True)
            continue
        with pytest.raises(SystemExit) as e:
            main(argv[1:])
        err = capsys.readouterr().err
        assert e.value.code == 0, f"{cmd!r} exited {e.value.code}: {err}"
        if argv[1] == "augment":
            out = argv[argv.index("-o") + 1]
            assert (fresh_checkout / out).stat().st_size > 0, cmd


@pytest.mark.slow
def test_readme_cli_lines_run_in_a_shell(fresh_checkout):
    """The same lines, as a user types them (one process each: about 10 s apiece on a busy machine)."""
    for cmd in cli_lines():
        r = subprocess.run(cmd, shell=True, cwd=fresh_checkout, env=_env(), capture_output=True, text=True,
                           timeout=600)
        assert r.returncode == 0, f"{cmd!r} exited {r.returncode}: {r.stderr[-2000:]}"


def test_demo_script_runs(tmp_path):
    """`make demo`'s script, end to end (it reads every output back), into a temporary folder."""
    import os
    import subprocess
    import sys

    root = README.parent
    env = dict(os.environ, OUT_DIR=str(tmp_path / "out"), PYTHON=sys.executable,
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    r = subprocess.run(["bash", str(root / "examples" / "demo.sh")], capture_output=True, text=True, env=env,
                       cwd=root, timeout=280)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "demo finished" in r.stdout
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "diabetes_aug.parquet", "graphs_aug.pt", "reviews_aug.csv", "series_aug.npz"]
