"""The python blocks of docs/*.md run, and every doc's links resolve inside the repository.

Each doc's blocks run in order in one namespace (a later block may use what an earlier one defined),
from a temporary directory holding a copy of ``examples/``, after the doc's prelude below (the data a
block calls ``X``, ``train_graphs``... when the doc leaves it to the reader). A block the test cannot
run quickly is marked in the doc itself, on the line before its fence:

    <!-- test_docs: skip (the reason) -->

training.md runs in tests/test_readme.py and new_augmenter.md in tests/test_docs_new_augmenter.py.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
RUN_ELSEWHERE = {"training.md", "new_augmenter.md"}
SKIP = re.compile(r"<!--\s*test_docs:\s*skip\b[^>]*-->\s*\n$")
BLOCK = re.compile(r"```python\n(.*?)```", flags=re.S)

PRELUDES = {
    "contract.md": """
from sklearn.datasets import load_diabetes
X, y = load_diabetes(return_X_y=True)
X, X_val, y, y_val = X[:300], X[300:], y[:300], y[300:]
""",
    "labels.md": """
from sklearn.datasets import load_wine
X, y = load_wine(return_X_y=True)
X_train, y_train = X, y
""",
    "gpu.md": """
import torch
import multiaug
from multiaug.timeseries import Jitter, Scaling
pipeline = multiaug.Sequential([Jitter(), Scaling()], seed=0)
x = torch.randn(8, 2, 32)
""",
}


def blocks(path: Path) -> list[tuple[str, bool]]:
    """(code, skipped) for each python block of ``path``."""
    text = path.read_text(encoding="utf-8")
    return [(m.group(1), bool(SKIP.search(text[:m.start()]))) for m in BLOCK.finditer(text)]


DOC_FILES = sorted(p for p in DOCS.glob("*.md") if p.name not in RUN_ELSEWHERE)
WITH_CODE = [p for p in DOC_FILES if any(not skipped for _, skipped in blocks(p))]


@pytest.mark.parametrize("doc", WITH_CODE, ids=lambda p: p.name)
def test_doc_python_blocks_run(doc, tmp_path, monkeypatch):
    import sklearn
    import torch

    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    code = PRELUDES.get(doc.name, "") + "\n\n".join(c for c, skipped in blocks(doc) if not skipped)
    state = torch.get_rng_state()  # blocks may call torch.manual_seed; set_config is undone by config_context
    try:
        with sklearn.config_context():
            exec(compile(code, str(doc), "exec"), {"__name__": "__main__"})
    finally:
        torch.set_rng_state(state)
        try:
            import matplotlib.pyplot as plt

            plt.close("all")
        except ImportError:
            pass


def test_skip_markers_sit_on_python_blocks():
    """A marker not directly above a python fence would silently skip nothing."""
    for doc in DOC_FILES:
        text = doc.read_text(encoding="utf-8")
        n_markers = len(re.findall(r"<!--\s*test_docs:\s*skip", text))
        assert n_markers == sum(skipped for _, skipped in blocks(doc)), f"{doc.name}: a skip marker is misplaced"
        for m in re.finditer(r"<!--\s*test_docs:\s*skip\s*(\(.*?\))?\s*-->", text):
            assert m.group(1), f"{doc.name}: a skip marker without its reason"


@pytest.mark.parametrize("doc", [ROOT / "README.md", *sorted(DOCS.glob("*.md"))], ids=lambda p: p.name)
def test_doc_links_resolve_inside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text and "DESIGN.md" not in text, f"{doc.name} points outside the repository"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        path, _, anchor = target.partition("#")
        dest = (doc.parent / path).resolve() if path else doc
        assert dest.exists(), f"{doc.name} links to missing {target}"
        assert dest.is_relative_to(ROOT), f"{doc.name} links outside the repository: {target}"
        if anchor and dest.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", dest.read_text(encoding="utf-8"), flags=re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}
            assert anchor in slugs, f"{doc.name} links to a missing heading {target}"
