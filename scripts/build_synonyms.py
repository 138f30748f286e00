#!/usr/bin/env python
"""Regenerate ``multiaug/text/data/wordnet_synsets.tsv.gz`` from the WordNet 3.0 database files.

The files come from Debian's packages (no download at run time)::

    apt-get update && apt-get install -y wordnet-base wordnet-sense-index
    python scripts/build_synonyms.py            # reads /usr/share/wordnet

Output format (gzip'd, UTF-8, tab separated, one record per line):

* ``S<TAB>lemma<TAB>lemma...``: one WordNet synset with at least two distinct lemmas (lower-cased,
  ``_`` turned into a space, adjective markers such as ``(p)`` removed). Two words are synonyms when
  they share a synset; :mod:`multiaug.text.synonyms` builds the CSR table from these lines.
* ``X<TAB>inflected<TAB>base``: WordNet's morphological exception lists (``*.exc``), used with the
  regular suffix rules to find the base form of an inflected word ("mice" -> "mouse").

The script is deterministic (sorted output) so the file only changes when the source changes.
WordNet's licence is copied next to the table as ``LICENSE``.
"""
from __future__ import annotations

import argparse
import gzip
import re
from pathlib import Path

POS_FILES = ("noun", "verb", "adj", "adv")
_MARKER = re.compile(r"\([a-z]+\)$")

WORDNET_LICENSE = """WordNet Release 3.0

This software and database is being provided to you, the LICENSEE, by
Princeton University under the following license.  By obtaining, using
and/or copying this software and database, you agree that you have
read, understood, and will comply with these terms and conditions.:

Permission to use, copy, modify and distribute this software and
database and its documentation for any purpose and without fee or
royalty is hereby granted, provided that you agree to comply with
the following copyright notice and statements, including the disclaimer,
and that the same appear on ALL copies of the software, database and
documentation, including modifications that you make for internal
use or for distribution.

WordNet 3.0 Copyright 2006 by Princeton University.  All rights reserved.

THIS SOFTWARE AND DATABASE IS PROVIDED "AS IS" AND PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES, EXPRESS OR
IMPLIED.  BY WAY OF EXAMPLE, BUT NOT LIMITATION, PRINCETON
UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-
ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE
OF THE LICENSED SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT
INFRINGE ANY THIRD PARTY PATENTS, COPYRIGHTS, TRADEMARKS OR
OTHER RIGHTS.

The name of Princeton University or Princeton may not be used in
advertising or publicity pertaining to distribution of the software
and/or database.  Title to copyright in this software, database and
any associated documentation shall at all times remain with
Princeton University and LICENSEE agrees to preserve same.

(The synonym table in this folder is derived from the WordNet 3.0 database files: it keeps the
lemmas of each synset and the morphological exception lists, lower-cased.)
"""


def clean_lemma(word: str) -> str:
    return _MARKER.sub("", word).replace("_", " ").lower()


def read_synsets(wordnet_dir: Path) -> list[tuple[str, ...]]:
    """Lemma tuples of every synset with >= 2 distinct lemmas, from ``data.<pos>``."""
    synsets: set[tuple[str, ...]] = set()
    for pos in POS_FILES:
        with open(wordnet_dir / f"data.{pos}", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("  "):  # licence header
                    continue
                f = line.split(" ")
                w_cnt = int(f[3], 16)
                lemmas: list[str] = []
                for k in range(w_cnt):
                    lem = clean_lemma(f[4 + 2 * k])
                    if lem not in lemmas:
                        lemmas.append(lem)
                if len(lemmas) >= 2:
                    synsets.add(tuple(lemmas))
    return sorted(synsets)


def read_exceptions(wordnet_dir: Path) -> list[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for pos in POS_FILES:
        path = wordnet_dir / f"{pos}.exc"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            f = line.split()
            if len(f) >= 2:
                infl = f[0].replace("_", " ").lower()
                for base in f[1:]:
                    pairs.add((infl, base.replace("_", " ").lower()))
    return sorted(pairs)


def build(wordnet_dir: Path, out_dir: Path) -> Path:
    for pos in POS_FILES:
        if not (wordnet_dir / f"data.{pos}").exists():
            raise SystemExit(
                f"{wordnet_dir}/data.{pos} not found: install WordNet 3.0 with "
                "`apt-get install -y wordnet-base wordnet-sense-index` or pass --wordnet-dir"
            )
    synsets = read_synsets(wordnet_dir)
    exc = read_exceptions(wordnet_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "wordnet_synsets.tsv.gz"
    lines = ["# WordNet 3.0 synsets (S) and morphological exceptions (X); see LICENSE"]
    lines += ["S\t" + "\t".join(s) for s in synsets]
    lines += [f"X\t{a}\t{b}" for a, b in exc]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(out, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0, filename="") as gz:
        gz.write(data)
    (out_dir / "LICENSE").write_text(WORDNET_LICENSE)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.2f} MB): {len(synsets)} synsets, {len(exc)} exceptions")
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet", type=Path)
    ap.add_argument("--out-dir", default=Path(__file__).resolve().parents[1] / "multiaug" / "text" / "data", type=Path)
    args = ap.parse_args(argv)
    build(args.wordnet_dir, args.out_dir)


if __name__ == "__main__":
    main()
