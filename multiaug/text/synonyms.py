"""Offline synonym tables as CSR id arrays (WordNet 3.0 ships with the package).

A :class:`SynonymTable` holds a vocabulary of words (``words``, ``index``) and, for word id ``w``,
its synonyms ``indices[indptr[w]:indptr[w + 1]]`` (ids into the same vocabulary). Augmenters look
synonyms up on whole tensors of ids: ``indices[indptr[w] + floor(u * degree[w])]``.

Sources (the ``synonyms`` hyperparameter of the EDA augmenters):

* ``"wordnet"`` (default): ``data/wordnet_synsets.tsv.gz``, derived from WordNet 3.0 (licence in
  ``data/LICENSE``; regenerate with ``scripts/build_synonyms.py``). Two words are synonyms when they
  share a synset, like NLTK's ``wordnet.synsets(w)`` lemmas. Inflected words are mapped to their base
  form first (WordNet's exception lists + its suffix rules, as NLTK's ``morphy``); the synonyms are
  base forms, as with NLTK.
* a ``dict`` ``{word: [synonym, ...]}`` (another language, a domain thesaurus); not symmetrised.
* a path (``str`` or :class:`os.PathLike`) to a ``.json``/``.json.gz`` file holding such a dict, or a
  ``.tsv``/``.tsv.gz`` file with lines ``word<TAB>synonym<TAB>synonym...`` (every line, whatever its
  first word; lines starting with ``#`` are comments). Only a file whose first line is the packaged
  table's header (``# WordNet 3.0 synsets (S) ...``) is read in the packaged format (``S`` synset and
  ``X`` exception records). Synonyms must be non-blank; a file that cannot be read as such raises a
  ``ValueError`` naming it. Tables read from files are cached per path and reloaded when the file's
  modification time or size changes.

Lookups are case-insensitive (the table is lower-case) and blind to Unicode normalisation: words are
compared in NFC, so decomposed text ("cafe" + U+0301) finds the synonyms of "café".
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import threading
import unicodedata
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import torch

DATA_DIR = Path(__file__).resolve().parent / "data"
WORDNET_FILE = DATA_DIR / "wordnet_synsets.tsv.gz"

# English stop words (the list the EDA reference code uses, which is NLTK's): never replaced.
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that these
    those am is are was were be been being have has had having do does did doing a an the and but if or
    because as until while of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where
    why how all any both each few more most other some such no nor not only own same so than too very s
    t can will just don should now""".split()
)


def _key(word: str) -> str:
    """A word as the tables hold it: lower-case, NFC (composed accents)."""
    w = word.lower()
    return w if w.isascii() else unicodedata.normalize("NFC", w)


# WordNet's detachment rules (morph.c / NLTK morphy): suffix -> replacement, tried in order.
_MORPH_RULES = (
    ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
    ("ies", "y"), ("es", "e"), ("es", ""), ("s", ""), ("ed", "e"), ("ed", ""), ("ing", "e"),
    ("ing", ""), ("er", ""), ("est", ""), ("er", "e"), ("est", "e"),
)


#: the first line of the packaged table (scripts/build_synonyms.py): only a file that starts with it is
#: read as ``S`` (synset) / ``X`` (exception) records
SYNSET_HEADER = "# WordNet 3.0 synsets (S)"

_JSON_SUFFIXES = (".json", ".json.gz")
#: file names accepted as synonym sources
FILE_SUFFIXES = (".json", ".json.gz", ".tsv", ".tsv.gz", ".gz")


def as_path(source: Any) -> Path | None:
    """``source`` as a :class:`~pathlib.Path` when it names a file (a ``str`` other than ``"wordnet"``
    or an :class:`os.PathLike`), else None."""
    if isinstance(source, os.PathLike):
        source = os.fspath(source)
    if isinstance(source, bytes):
        source = os.fsdecode(source)
    if isinstance(source, str) and source != "wordnet":
        return Path(source)
    return None


def _check_mapping(mapping: Any, where: str) -> None:
    """``mapping`` is ``{word: [synonym, ...]}`` with str words and non-blank str synonyms."""
    if not isinstance(mapping, Mapping):
        raise ValueError(f"{where}: expected a dict {{word: [synonyms]}}, got {type(mapping).__name__} {mapping!r:.60}")
    for w, syns in mapping.items():
        if not isinstance(w, str) or not isinstance(syns, (list, tuple, set, frozenset)) \
                or not all(isinstance(x, str) for x in syns):
            raise TypeError(f"{where}: expected a dict of str -> list of str, got {w!r}: {syns!r:.80}")
        if not w or any(c.isspace() for c in w):
            # texts are split at whitespace and each word looked up alone: such a key would never be used
            raise ValueError(f"{where}: key {w!r} is not one word; words are looked up one at a time (texts are split "
                             "at whitespace), so a key must be one word without spaces (synonyms may have several)")
        for x in syns:
            if not x.strip():
                raise ValueError(f"{where}: the synonyms of {w!r} include a blank string {x!r}; expected words")


class SynonymTable:
    """Words and their synonyms as a CSR table of ids (see the module docstring)."""

    def __init__(self, words: list[str], indptr: np.ndarray, indices: np.ndarray,
                 exceptions: Mapping[str, str] | None = None, morphology: bool = False, name: str = "custom"):
        self.words = np.array(words, dtype=object)
        self.index = {w: i for i, w in enumerate(words)}
        self.indptr = torch.as_tensor(np.asarray(indptr, dtype=np.int64))
        self.indices = torch.as_tensor(np.asarray(indices, dtype=np.int64))
        self.degree = self.indptr[1:] - self.indptr[:-1]
        self.exceptions = dict(exceptions or {})
        self.morphology = morphology
        self.name = name
        self._on: dict[torch.device, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def __len__(self) -> int:
        return len(self.words)

    def __repr__(self) -> str:
        return f"SynonymTable({self.name!r}, words={len(self)}, pairs={int(self.indices.numel())})"

    # ---- construction -------------------------------------------------------------------------

    @classmethod
    def from_groups(cls, groups: Iterable[Iterable[str]], **kw: Any) -> "SynonymTable":
        """Every word of a group is a synonym of every other word of the group (synsets)."""
        index: dict[str, int] = {}
        occ: list[int] = []
        sizes: list[int] = []
        for g in groups:
            ids = [index.setdefault(w, len(index)) for w in dict.fromkeys(g)]
            occ.extend(ids)
            sizes.append(len(ids))
        occ_a = np.asarray(occ, dtype=np.int64)
        size = np.asarray(sizes, dtype=np.int64)
        start = np.repeat(np.cumsum(size) - size, size)  # group start of each occurrence
        k = np.repeat(size, size)  # group size of each occurrence
        a = np.repeat(occ_a, k)  # each occurrence paired with every member of its group
        offs = np.arange(len(a)) - np.repeat(np.cumsum(k) - k, k)
        b = occ_a[np.repeat(start, k) + offs]
        return cls._from_pairs(list(index), a, b, **kw)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Iterable[str]], where: str = "synonyms", **kw: Any) -> "SynonymTable":
        """Directed pairs ``word -> synonym`` (words lower-cased, runs of whitespace in a synonym made one
        space). ``where`` names the source in errors."""
        _check_mapping(mapping, where)
        index: dict[str, int] = {}
        a: list[int] = []
        b: list[int] = []
        for w, syns in mapping.items():
            wi = index.setdefault(_key(w), len(index))
            for s in syns:
                a.append(wi)
                b.append(index.setdefault(_key(" ".join(s.split())), len(index)))
        return cls._from_pairs(list(index), np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64), **kw)

    @classmethod
    def _from_pairs(cls, words: list[str], a: np.ndarray, b: np.ndarray, **kw: Any) -> "SynonymTable":
        keep = a != b
        a, b = a[keep], b[keep]
        v = len(words)
        key = np.unique(a * max(v, 1) + b)
        a, b = key // max(v, 1), key % max(v, 1)
        indptr = np.zeros(v + 1, dtype=np.int64)
        np.cumsum(np.bincount(a, minlength=v), out=indptr[1:])
        return cls(words, indptr, b, **kw)

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "SynonymTable":
        """Read a ``.json``/``.json.gz`` dict or a ``.tsv``/``.tsv.gz`` file (see the module docstring)."""
        path = as_path(path)
        if path is None:
            raise TypeError("synonyms: expected a file path")
        where = f"synonyms={str(path)!r}"
        if not path.is_file():
            raise FileNotFoundError(f"{where}: file does not exist")
        name = path.name.lower()
        opener = gzip.open if name.endswith(".gz") else open
        try:
            if name.endswith(_JSON_SUFFIXES):
                with opener(path, "rt", encoding="utf-8") as fh:
                    try:
                        data = json.load(fh)
                    except json.JSONDecodeError as e:
                        raise ValueError(f"{where}: not valid JSON ({e.msg} at line {e.lineno}, column {e.colno}); "
                                         "expected a JSON object {word: [synonyms]}") from None
                return cls.from_dict(data, where=where, name=str(path))
            with opener(path, "rt", encoding="utf-8") as fh:
                return cls._from_tsv(fh, where, str(path))
        except UnicodeDecodeError as e:
            raise ValueError(f"{where}: not UTF-8 text ({e.reason} at byte {e.start})") from None
        except (gzip.BadGzipFile, EOFError) as e:
            raise ValueError(f"{where}: not a readable gzip file ({e})") from None

    @classmethod
    def _from_tsv(cls, fh: Iterable[str], where: str, name: str) -> "SynonymTable":
        lines = iter(fh)
        first = next(lines, "")
        if first.startswith(SYNSET_HEADER):  # the packaged format: S / X records only
            groups: list[list[str]] = []
            exc: dict[str, str] = {}
            for k, line in enumerate(lines, 2):
                if line.startswith("#") or not line.strip():
                    continue
                f = line.rstrip("\r\n").split("\t")
                if f[0] == "S":
                    groups.append(f[1:])
                elif f[0] == "X" and len(f) == 3:
                    exc.setdefault(f[1], f[2])
                else:
                    raise ValueError(f"{where} line {k}: expected an S or X record after the {SYNSET_HEADER!r} header, "
                                     f"got {line.rstrip()!r:.60}")
            return cls.from_groups(groups, exceptions=exc, morphology=True, name=name)
        mapping: dict[str, list[str]] = {}
        for k, line in enumerate(chain([first], lines), 1):
            if line.startswith("#") or not line.strip():
                continue
            f = line.rstrip("\r\n").split("\t")
            for x in f[1:]:
                if not x.strip():
                    raise ValueError(f"{where} line {k}: the synonyms of {f[0]!r} include a blank field; "
                                     "expected word<TAB>synonym<TAB>synonym...")
            mapping.setdefault(f[0].lower(), []).extend(f[1:])
        return cls.from_dict(mapping, where=where, name=name)

    # ---- lookups --------------------------------------------------------------------------------

    def lookup(self, word: str) -> int:
        """Id of ``word`` (lower-cased; base form when the table does morphology) with at least one
        synonym, or -1."""
        w = _key(word)
        i = self.index.get(w, -1)
        if i >= 0 and self.degree[i] > 0:
            return i
        if not self.morphology:
            return -1
        base = self.exceptions.get(w)
        if base is not None and self.index.get(base, -1) >= 0:
            return self.index[base]
        for suf, rep in _MORPH_RULES:
            if w.endswith(suf) and len(w) > len(suf) + 1:
                j = self.index.get(w[: len(w) - len(suf)] + rep, -1)
                if j >= 0 and self.degree[j] > 0:
                    return j
        return -1

    def synonyms(self, word: str) -> list[str]:
        """The synonyms of ``word`` as strings (convenience; augmenters use the id arrays)."""
        i = self.lookup(word)
        if i < 0:
            return []
        return self.words[self.indices[self.indptr[i] : self.indptr[i + 1]].numpy()].tolist()

    def tensors(self, device: Any = "cpu") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(indptr, indices, degree)`` on ``device`` (cached)."""
        key = device if isinstance(device, torch.device) else torch.device(device)
        got = self._on.get(key)
        if got is None:
            got = self._on[key] = tuple(t.to(key) for t in (self.indptr, self.indices, self.degree))  # type: ignore[assignment]
        return got


@lru_cache(maxsize=1)
def wordnet() -> SynonymTable:
    """The packaged WordNet 3.0 table (loaded once per process)."""
    if not WORDNET_FILE.exists():
        raise FileNotFoundError(
            f"{WORDNET_FILE} is missing; regenerate it with scripts/build_synonyms.py (needs Debian's wordnet-base)"
        )
    table = SynonymTable.from_file(WORDNET_FILE)
    table.name = "wordnet"
    return table


_TABLES: dict[str, SynonymTable] = {}
_TABLES_LOCK = threading.RLock()


def source_key(source: Any) -> str:
    """A hashable key describing a synonym source (used for caching). A file's key holds its
    modification time and size, so an edited file is read again."""
    if isinstance(source, str) and source == "wordnet":
        return source
    path = as_path(source)
    if path is not None:
        try:
            st = path.stat()
            return f"file:{path.resolve()}:{st.st_mtime_ns}:{st.st_size}"
        except OSError:
            return f"file:{path}"
    if isinstance(source, Mapping):
        return "dict:" + hashlib.sha1(json.dumps(source, sort_keys=True, default=str).encode()).hexdigest()
    raise TypeError(f"synonyms must be 'wordnet', a dict of word -> list of synonyms or a file path, got {type(source).__name__}")


def get_table(source: Any = "wordnet") -> SynonymTable:
    """Resolve a ``synonyms`` hyperparameter to a (cached) :class:`SynonymTable`."""
    if isinstance(source, SynonymTable):
        return source
    key = source_key(source)
    with _TABLES_LOCK:  # shared by threads: one reads the file, the others wait for its table
        table = _TABLES.get(key)
        if table is None:
            if isinstance(source, str) and source == "wordnet":
                table = wordnet()
            elif isinstance(source, Mapping):
                table = SynonymTable.from_dict(source, name="dict")
            else:
                table = SynonymTable.from_file(source)
            cache_put(_TABLES, key, table)
        return table


def cache_put(cache: dict, key: Any, value: Any, source_of: Callable[[Any], Any] = lambda k: k,
              limit: int = 16) -> None:
    """Store ``value`` under ``key`` in a cache keyed by :func:`source_key` (``source_of`` gives an
    entry's source key): entries made from another version of the same file are stale and go first,
    and the oldest entries go beyond ``limit``."""
    src = source_of(key)
    if isinstance(src, str) and src.startswith("file:"):
        stem = src.rsplit(":", 2)[0] + ":"
        for k in [k for k in cache if isinstance(source_of(k), str) and source_of(k) != src
                  and source_of(k).startswith(stem)]:
            del cache[k]  # another version of the file (the same version under another key stays)
    cache[key] = value
    while len(cache) > limit:
        cache.pop(next(iter(cache)))
