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


def test_tsv_lines_starting_with_s_or_x_are_ordinary_words(tmp_path):
    t = tmp_path / "t.tsv"
    t.write_text("dog\thound\nS\tsmall\tlittle\nX\tbig\tlarge\n")
    table = get_table(t)
    assert table.synonyms("dog") == ["hound"]
    assert table.synonyms("s") == ["little", "small"] or table.synonyms("s") == ["small", "little"]
    assert table.synonyms("x") == ["big", "large"] or table.synonyms("x") == ["large", "big"]
    # the packaged format is read only under its header
    p = tmp_path / "p.tsv"
    p.write_text("# WordNet 3.0 synsets (S) and morphological exceptions (X)\nS\tsmall\tlittle\nX\tmice\tmouse\n")
    assert get_table(p).synonyms("small") == ["little"] and get_table(p).exceptions == {"mice": "mouse"}


def test_edited_file_is_read_again(tmp_path):
    import os

    from multiaug.text.vocab import get_lexicon

    p = tmp_path / "syn.json"
    p.write_text(json.dumps({"dog": ["hound"]}))
    os.utime(p, ns=(1_000_000_000, 1_000_000_000))
    assert get_table(str(p)).synonyms("dog") == ["hound"]
    lex = get_lexicon(str(p))
    p.write_text(json.dumps({"dog": ["puppy"]}))  # same size
    os.utime(p, ns=(2_000_000_000, 2_000_000_000))
    assert get_table(str(p)).synonyms("dog") == ["puppy"]
    assert get_lexicon(str(p)) is not lex and get_lexicon(str(p)).table.synonyms("dog") == ["puppy"]
    assert get_table(str(p)) is get_table(p)  # cached while the file is unchanged


def test_bad_files_raise_value_errors_naming_them(tmp_path):
    lst = tmp_path / "list.json"
    lst.write_text(json.dumps([["dog", "hound"]]))
    bad = tmp_path / "bad.json"
    bad.write_text("{oops")
    blank = tmp_path / "blank.tsv"
    blank.write_text("dog\thound\t\n")
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("chien\tcl\xe9bard\n".encode("latin-1"))
    notgz = tmp_path / "x.tsv.gz"
    notgz.write_text("dog\thound\n")
    for path, what in [(lst, "expected a dict"), (bad, "not valid JSON"), (blank, "line 1: the synonyms of 'dog'"),
                       (latin, "not UTF-8"), (notgz, "gzip")]:
        with pytest.raises(ValueError, match=f"synonyms='{path}'.*{what}"):
            get_table(path)


def test_json_gz_is_read_as_json(tmp_path):
    p = tmp_path / "s.json.gz"
    with gzip.open(p, "wt", encoding="utf-8") as fh:
        json.dump({"dog": ["hound"]}, fh)
    assert get_table(p).synonyms("dog") == ["hound"]


@pytest.mark.parametrize("syns", [[""], ["  "], ["hound", "\t"]])
def test_blank_synonyms_are_refused_naming_the_word(syns):
    with pytest.raises(ValueError, match="synonyms of 'dog' include a blank string"):
        SynonymTable.from_dict({"dog": syns})
    with pytest.raises(TypeError, match="dict of str -> list of str"):
        SynonymTable.from_dict({"dog": None})


def test_lexicons_of_one_file_with_other_stop_words_stay_cached(tmp_path):
    """Only another version of a file makes its cached tables and lexicons stale, not other stop words."""
    import os

    from multiaug.text.vocab import get_lexicon

    p = tmp_path / "syn.json"
    p.write_text(json.dumps({"big": ["large"]}))
    a = get_lexicon(str(p), ["x"])
    b = get_lexicon(str(p), ["y"])
    assert get_lexicon(str(p), ["x"]) is a and get_lexicon(str(p), ["y"]) is b
    p.write_text(json.dumps({"big": ["huge", "large"]}))
    os.utime(p, ns=(1, 1))  # another version: size and mtime differ
    assert get_lexicon(str(p), ["x"]) is not a


def test_decomposed_text_finds_the_synonyms_of_accented_words():
    """NFD text (macOS, some PDF and web extractions: "e" + U+0301) looked up nothing: its accented words
    were never replaced, while the same words in NFC were."""
    import unicodedata
    import warnings

    from multiaug.text import SynonymReplacement, TaggedSynonymReplacement
    from multiaug.text.synonyms import SynonymTable

    syn = {"café": ["bistro"], unicodedata.normalize("NFD", "crème"): ["cream"]}  # keys in either form
    table = SynonymTable.from_dict(syn)
    for form in ("NFC", "NFD"):
        assert table.synonyms(unicodedata.normalize(form, "Café")) == ["bistro"]
        assert table.synonyms(unicodedata.normalize(form, "crème")) == ["cream"]
        text = unicodedata.normalize(form, "Café crème")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert SynonymReplacement(alpha=1.0, synonyms=syn, seed=0)(text) == "Bistro cream"
            out = TaggedSynonymReplacement(rate=1.0, synonyms=syn, seed=0)([(text.split(), ["O", "O"])])
        assert out[0][0] == ["Bistro", "cream"]


@pytest.mark.parametrize("key", ["new york", " dog", "dog\t", ""])
def test_a_key_that_is_not_one_word_is_refused_not_silently_unused(key):
    # texts are split at whitespace and each word looked up alone: {"new york": [...]} was accepted and never used
    with pytest.raises(ValueError, match="is not one word"):
        SynonymTable.from_dict({key: ["NYC"], "movie": ["film"]})
    from multiaug.core.constraints import InvalidParameterError
    from multiaug.text import SynonymReplacement

    with pytest.raises(InvalidParameterError, match=r"SynonymReplacement: synonyms: key .* is not one word"):
        SynonymReplacement(synonyms={key: ["NYC"]})(["I saw a movie in new york"])
    assert SynonymTable.from_dict({"york": ["big apple"]}).lookup("York") >= 0  # multi-word synonyms stay fine
