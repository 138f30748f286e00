"""A persistent cache of model generations (sqlite), so reruns and crashed runs lose nothing.

Each completed generation is committed as soon as it arrives, keyed by a hash of everything that
determines it: the backend and model, the rendered prompt (messages), the input, the generation
settings and the per-input seed. Raw model replies are stored (before parsing and filtering), so
changing the filter never costs a regeneration.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from ..core.report import warn_user

__all__ = ["GenerationCache", "cache_key"]


def cache_key(**parts: Any) -> str:
    """A stable SHA-256 key of JSON-able ``parts`` (key order does not matter)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class GenerationCache:
    """``key -> list[str]`` in a sqlite file (WAL journal; safe to share between threads).

    ``owner`` (e.g. ``"Paraphrase"``) names who asked for the cache in error messages. A path that is
    a directory, a file that is not an sqlite database, a database whose ``generations`` table is not
    this cache's, or any sqlite failure while reading or writing raises a ``ValueError`` naming the
    owner, ``cache=`` and the path. An entry that is not a JSON list of strings (edited by hand, say)
    is ignored, as if missing, with a ``RuntimeWarning``: the caller regenerates it and ``put``
    overwrites it.

    >>> cache = GenerationCache("gen.sqlite")            # doctest: +SKIP
    >>> cache.put(key, ["reply 1", "reply 2"]); cache.get(key)  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike, owner: str = "GenerationCache"):
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise TypeError(f"{owner}: cache path must be a file path (str or PathLike), got {path!r}")
        self.path = Path(path)
        self.owner = owner
        if self.path.is_dir():
            raise ValueError(f"{self._where()} is a directory; expected the path of an sqlite file (new or written by multiaug)")
        try:
            if self.path.parent and not self.path.parent.exists():
                self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ValueError(f"{self._where()}: cannot create its folder ({type(e).__name__}: {e})") from e
        self._lock = threading.Lock()
        self._conn = None
        with self._sqlite("open"):
            self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
            with self._lock:
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
                self._conn.execute(
                    "CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
                )
                self._conn.commit()
                cols = {row[1] for row in self._conn.execute("PRAGMA table_info(generations)")}
        if not {"key", "value", "created"} <= cols:
            self._conn.close()
            raise ValueError(
                f"{self._where()} holds a 'generations' table with columns {sorted(cols)}, not a multiaug generation "
                "cache (key, value, created); give another path"
            )

    def _where(self) -> str:
        return f"{self.owner}: cache={str(self.path)!r}"

    @contextlib.contextmanager
    def _sqlite(self, what: str) -> Iterator[None]:
        """sqlite failures as a ValueError naming the owner, ``cache=`` and the path."""
        try:
            yield
        except sqlite3.Error as e:
            if what == "open" and self._conn is not None:
                self._conn.close()
            corrupt = isinstance(e, sqlite3.DatabaseError) and not isinstance(e, sqlite3.OperationalError)
            hint = "; expected an sqlite file written by multiaug (or a new path)" if corrupt else ""
            raise ValueError(f"{self._where()}: cannot {what} the cache ({type(e).__name__}: {e}){hint}") from e

    def _decode(self, rows: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
        out, bad = {}, 0
        for k, v in rows:
            try:
                value = json.loads(v)
            except (ValueError, TypeError):
                value = None
            if isinstance(value, list) and all(isinstance(x, str) for x in value):
                out[k] = value
            else:
                bad += 1
        if bad:
            warn_user(
                f"{self._where()}: {bad} entr{'y is' if bad == 1 else 'ies are'} not a JSON list of strings; "
                "ignored and regenerated (then overwritten)",
                RuntimeWarning,
            )
        return out

    def get(self, key: str) -> list[str] | None:
        with self._sqlite("read"), self._lock:
            row = self._conn.execute("SELECT key, value FROM generations WHERE key = ?", (key,)).fetchone()
        return None if row is None else self._decode([row]).get(key)

    def get_many(self, keys: Sequence[str]) -> dict[str, list[str]]:
        rows: list[tuple[str, str]] = []
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):  # sqlite's bound-parameter limit
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            with self._sqlite("read"), self._lock:
                rows += self._conn.execute(f"SELECT key, value FROM generations WHERE key IN ({marks})", chunk).fetchall()
        return self._decode(rows)

    def put(self, key: str, value: Iterable[str]) -> None:
        """Store and commit at once (a crash right after loses nothing)."""
        value = [str(v) for v in value]
        with self._sqlite("write to"), self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO generations (key, value, created) VALUES (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), time.time()),
            )
            self._conn.commit()

    def __contains__(self, key: str) -> bool:
        with self._sqlite("read"), self._lock:
            return self._conn.execute("SELECT 1 FROM generations WHERE key = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        with self._sqlite("read"), self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0])

    def clear(self) -> None:
        with self._sqlite("write to"), self._lock:
            self._conn.execute("DELETE FROM generations")
            self._conn.commit()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "GenerationCache":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"GenerationCache({str(self.path)!r})"
