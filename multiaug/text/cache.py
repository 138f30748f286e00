"""A persistent cache of model generations (sqlite), so reruns and crashed runs lose nothing.

Each completed generation is committed as soon as it arrives, keyed by a hash of everything that
determines it: the backend and model, the rendered prompt (messages), the input, the generation
settings and the per-input seed. Raw model replies are stored (before parsing and filtering), so
changing the filter never costs a regeneration.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterable, Sequence

__all__ = ["GenerationCache", "cache_key"]


def cache_key(**parts: Any) -> str:
    """A stable SHA-256 key of JSON-able ``parts`` (key order does not matter)."""
    blob = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class GenerationCache:
    """``key -> list[str]`` in a sqlite file (WAL journal; safe to share between threads).

    >>> cache = GenerationCache("gen.sqlite")            # doctest: +SKIP
    >>> cache.put(key, ["reply 1", "reply 2"]); cache.get(key)  # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike):
        if not isinstance(path, (str, os.PathLike)) or not str(path):
            raise TypeError(f"cache path must be a file path (str or PathLike), got {path!r}")
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30.0)
        with self._lock:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, value TEXT NOT NULL, created REAL NOT NULL)"
            )
            self._conn.commit()

    def get(self, key: str) -> list[str] | None:
        with self._lock:
            row = self._conn.execute("SELECT value FROM generations WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def get_many(self, keys: Sequence[str]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):  # sqlite's bound-parameter limit
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._conn.execute(f"SELECT key, value FROM generations WHERE key IN ({marks})", chunk).fetchall()
            out.update((k, json.loads(v)) for k, v in rows)
        return out

    def put(self, key: str, value: Iterable[str]) -> None:
        """Store and commit at once (a crash right after loses nothing)."""
        value = [str(v) for v in value]
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO generations (key, value, created) VALUES (?, ?, ?)",
                (key, json.dumps(value, ensure_ascii=False), time.time()),
            )
            self._conn.commit()

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return self._conn.execute("SELECT 1 FROM generations WHERE key = ?", (key,)).fetchone() is not None

    def __len__(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM generations").fetchone()[0])

    def clear(self) -> None:
        with self._lock:
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
