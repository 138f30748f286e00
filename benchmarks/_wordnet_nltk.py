"""Build an NLTK ``wordnet`` corpus folder from Debian's WordNet 3.0 files (no download).

NLTK's reader needs the database files (Debian: ``wordnet-base``, ``wordnet-sense-index``) plus a
``lexnames`` file that Debian does not ship; it is the fixed list of WordNet's 45 lexicographer files
(``man 5 lexnames``), written here.
"""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute noun.body "
    "noun.cognition noun.communication noun.event noun.feeling noun.food noun.group noun.location "
    "noun.motive noun.object noun.person noun.phenomenon noun.plant noun.possession noun.process "
    "noun.quantity noun.relation noun.shape noun.state noun.substance noun.time verb.body verb.change "
    "verb.cognition verb.communication verb.competition verb.consumption verb.contact verb.creation "
    "verb.emotion verb.motion verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
_SYNTACTIC_CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
FILES = [f"{kind}.{pos}" for kind in ("data", "index") for pos in ("noun", "verb", "adj", "adv")] + [
    f"{pos}.exc" for pos in ("noun", "verb", "adj", "adv")] + ["index.sense", "cntlist.rev"]


def lexnames_text() -> str:
    assert len(LEXNAMES) == 45
    return "".join(f"{i:02d}\t{name}\t{_SYNTACTIC_CATEGORY[name.split('.')[0]]}\n" for i, name in enumerate(LEXNAMES))


def build_nltk_data(wordnet_dir: str = "/usr/share/wordnet", root: str | None = None) -> Path:
    """A folder usable as ``nltk.data.path`` entry, holding ``corpora/wordnet``."""
    src = Path(wordnet_dir)
    missing = [f for f in FILES[:12] if not (src / f).exists()]
    if missing:
        raise SystemExit(f"WordNet files missing in {src}: {missing}; apt-get install -y wordnet-base wordnet-sense-index")
    root_p = Path(root or tempfile.mkdtemp(prefix="nltk_data_"))
    wn = root_p / "corpora" / "wordnet"
    wn.mkdir(parents=True, exist_ok=True)
    for f in FILES:
        if (src / f).exists() and not (wn / f).exists():
            shutil.copyfile(src / f, wn / f)  # NLTK refuses symlinks leaving its root
    (wn / "lexnames").write_text(lexnames_text())
    return root_p
