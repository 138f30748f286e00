"""The packaged WordNet synonym table, custom dictionaries, and the build script."""
from __future__ import annotations

import gzip
import importlib.util
import json
from pathlib import Path

import pytest
import torch

from multiaug.text.synonyms import DATA_DIR, STOP_WORDS, SynonymTable, get_table, wordnet

ROOT = Path(__file__).resolve().parents[2]


def test_wordnet_table_is_packaged_with_its_licence():
    assert (DATA_DIR / "wordnet_synsets.tsv.gz").exists()
    assert "Princeton University" in (DATA_DIR / "LICENSE").read_text()


def test_wordnet_lookups_and_morphology():
    wn = wordnet()
    assert len(wn) > 100_000
    assert "fast" in wn.synonyms("quick")
    assert "plan" in wn.synonyms("programs")  # regular plural -> program
    assert "shiner" in wn.synonyms("mice")  # exception list: mice -> mouse
    assert wn.synonyms("xyzzyq") == []
    assert all(s != "quick" for s in wn.synonyms("quick"))
    # CSR layout is consistent
    assert wn.indptr[-1] == wn.indices.numel() and (wn.degree >= 0).all()
    assert int(wn.indices.max()) < len(wn)


def test_symmetric_groups_and_directed_dicts():
    t = SynonymTable.from_groups([["a", "b", "c"], ["b", "d"]])
    assert sorted(t.synonyms("b")) == ["a", "c", "d"] and t.synonyms("d") == ["b"]
    d = SynonymTable.from_dict({"Car": ["auto", "automobile"], "auto": ["car"]})
    assert d.synonyms("car") == ["auto", "automobile"] and d.synonyms("automobile") == []
    with pytest.raises(TypeError):
        SynonymTable.from_dict({"car": "auto"})


def test_files_json_and_tsv(tmp_path):
    j = tmp_path / "s.json"
    j.write_text(json.dumps({"hund": ["köter", "rüde"]}))
    assert get_table(str(j)).synonyms("Hund") == ["köter", "rüde"]
    t = tmp_path / "s.tsv.gz"
    with gzip.open(t, "wt", encoding="utf-8") as fh:
        fh.write("katze\tmieze\tkater\n")
    assert get_table(str(t)).synonyms("katze") == ["kater", "mieze"] or get_table(str(t)).synonyms("katze") == ["mieze", "kater"]
    with pytest.raises(FileNotFoundError):
        get_table(str(tmp_path / "missing.tsv"))


def test_device_tensors_are_cached():
    t = SynonymTable.from_groups([["a", "b"]])
    assert t.tensors("cpu")[0] is t.tensors("cpu")[0]
    assert t.tensors("cpu")[1].dtype == torch.long


def test_stop_words_are_the_reference_list():
    assert {"the", "and", "of", "not"} <= STOP_WORDS and "dog" not in STOP_WORDS


@pytest.mark.skipif(not Path("/usr/share/wordnet/data.noun").exists(), reason="needs Debian's wordnet-base")
def test_build_script_reproduces_the_packaged_table(tmp_path):
    spec = importlib.util.spec_from_file_location("build_synonyms", ROOT / "scripts" / "build_synonyms.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.build(Path("/usr/share/wordnet"), tmp_path)
    assert gzip.decompress(out.read_bytes()) == gzip.decompress((DATA_DIR / "wordnet_synsets.tsv.gz").read_bytes())
