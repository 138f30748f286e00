"""The sqlite generation cache, including surviving a crash in the middle of a run."""
from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import pytest

from multiaug.text.cache import GenerationCache, cache_key


def test_put_get_and_key_is_order_independent(tmp_path):
    with GenerationCache(tmp_path / "c.sqlite") as c:
        k = cache_key(a=1, b=[1, 2], text="héllo")
        assert k == cache_key(text="héllo", b=[1, 2], a=1) and k != cache_key(a=2, b=[1, 2], text="héllo")
        assert c.get(k) is None and k not in c
        c.put(k, ["one", "two ✓"])
        assert c.get(k) == ["one", "two ✓"] and k in c and len(c) == 1
        c.put(k, ["three"])
        assert c.get(k) == ["three"] and len(c) == 1
        many = {cache_key(i=i): [str(i)] for i in range(1200)}  # more than one sqlite parameter chunk
        for key, v in many.items():
            c.put(key, v)
        got = c.get_many(list(many) + ["missing"])
        assert got == many
        c.clear()
        assert len(c) == 0


def test_persists_across_connections_and_threads(tmp_path):
    path = tmp_path / "sub" / "c.sqlite"
    c = GenerationCache(path)
    threads = [threading.Thread(target=lambda i=i: c.put(f"k{i}", [f"v{i}"])) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c.close()
    with GenerationCache(path) as again:
        assert len(again) == 16 and again.get("k7") == ["v7"]


def test_survives_a_crash_mid_run(tmp_path):
    path = tmp_path / "crash.sqlite"
    code = textwrap.dedent(
        f"""
        import os
        from multiaug.text.cache import GenerationCache
        c = GenerationCache({str(path)!r})
        for i in range(5):
            c.put(f"k{{i}}", [f"v{{i}}"])
        os._exit(1)  # dies without closing anything
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path.parent), env=None)
    assert proc.returncode == 1
    with GenerationCache(path) as c:
        assert len(c) == 5 and c.get("k4") == ["v4"]


def test_bad_path():
    with pytest.raises(TypeError, match="cache path"):
        GenerationCache(123)


def test_not_a_cache_raises_a_value_error_naming_cache_and_path(tmp_path):
    import sqlite3

    not_db = tmp_path / "not.sqlite"
    not_db.write_bytes(b"not sqlite" * 100)
    with pytest.raises(ValueError, match=r"^Paraphrase: cache='.*not\.sqlite': cannot open the cache \(DatabaseError"):
        GenerationCache(not_db, owner="Paraphrase")
    with pytest.raises(ValueError, match=r"^GenerationCache: cache=.* is a directory"):
        GenerationCache(tmp_path)
    foreign = tmp_path / "foreign.sqlite"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE generations (id INTEGER, text TEXT)")
    con.commit()
    con.close()
    with pytest.raises(ValueError, match=r"foreign\.sqlite' holds a 'generations' table with columns \['id', 'text'\]"):
        GenerationCache(foreign)


def test_unreadable_entry_is_ignored_with_a_warning_and_overwritten(tmp_path):
    import sqlite3

    path = tmp_path / "c.sqlite"
    with GenerationCache(path) as c:
        for k in ("good", "bad_json", "not_a_list", "not_strings"):
            c.put(k, ["v"])
    con = sqlite3.connect(path)
    for k, v in (("bad_json", "{bad"), ("not_a_list", '"a string"'), ("not_strings", "[1, null]")):
        con.execute("UPDATE generations SET value = ? WHERE key = ?", (v, k))
    con.commit()
    con.close()
    with GenerationCache(path, owner="Paraphrase") as c:
        with pytest.warns(RuntimeWarning, match=r"Paraphrase: cache=.*3 entries are not a JSON list of strings; ignored"):
            assert c.get_many(["good", "bad_json", "not_a_list", "not_strings"]) == {"good": ["v"]}
        with pytest.warns(RuntimeWarning, match="1 entry is not"):
            assert c.get("bad_json") is None
        c.put("bad_json", ["fixed"])
        assert c.get("bad_json") == ["fixed"]
