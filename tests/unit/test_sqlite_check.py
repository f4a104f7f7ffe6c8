"""zhi-store-sqlite --check / --recover: damage reported by path and version,
the checked file never changed, exit codes a script can use."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite import SqliteStore
from zhi_gui.stores.sqlite.check import check, recover
from zhi_gui.stores.sqlite.integrity import row_ck

Run = Callable[..., Any]


def make(path: Path, arun: Run, encrypt: bytes = b"") -> None:
    store = SqliteStore({"path": str(path), "create": True}, scrypt_n=1 << 10)
    arun(store.write_values("t", [Entry(f"k{i:03d}", f'"v{i}"'.encode()) for i in range(100)], message="one"))
    arun(store.write_values("t", [Entry("k001", b'"changed"')]))
    if encrypt:
        arun(store.init_encryption(encrypt))
    arun(store.close())


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-P", "-m", "zhi_gui.stores.sqlite", *args],
                          capture_output=True, text=True, timeout=120, check=False)


def snapshot(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def test_intact_store_passes_and_nothing_is_touched(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "s.db"
    make(path, arun)
    before = snapshot(short_tmp)
    done = cli("--check", str(path))
    assert done.returncode == 0 and "no damage found" in done.stdout, done.stdout + done.stderr
    assert snapshot(short_tmp) == before  # byte for byte, no -wal/-shm left behind


def test_damage_is_named_and_recovery_keeps_the_rest(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "s.db"
    make(path, arun)
    with sqlite3.connect(path) as conn:  # one value's bytes change, its checksum does not
        pid = conn.execute("SELECT pid FROM paths WHERE path = 'k042'").fetchone()[0]
        conn.execute("UPDATE changes SET value = CAST('\"v4?\"' AS BLOB) WHERE pid = ?", (pid,))
    conn.close()
    before = snapshot(short_tmp)
    done = cli("--check", str(path))
    assert done.returncode == 1 and "k042" in done.stdout and "version 1" in done.stdout
    assert snapshot(short_tmp) == before
    report = recover(path, short_tmp / "new.db")
    assert report.damaged and "k042" in report.text()
    store = SqliteStore({"path": str(short_tmp / "new.db")})
    entries = {e.path: e.value_json for e in arun(store.get_values("t", []))}
    assert len(entries) == 99 and "k042" not in entries and entries["k001"] == b'"changed"'
    assert len(arun(store.list_tree_versions("t"))) == 2
    arun(store.close())
    assert not check(short_tmp / "new.db").damaged
    refused = cli("--recover", str(path), str(short_tmp / "new.db"))  # never overwrites
    assert refused.returncode == 2 and "already exists" in refused.stderr


def test_empty_and_missing_files_are_reported(short_tmp: Path) -> None:
    (short_tmp / "empty.db").write_bytes(b"")
    done = cli("--check", str(short_tmp / "empty.db"))
    assert done.returncode == 1 and "empty (0 bytes)" in done.stdout
    done = cli("--check", str(short_tmp / "missing.db"))
    assert done.returncode == 1 and "does not exist" in done.stdout
    assert sorted(p.name for p in short_tmp.iterdir()) == ["empty.db"]


def test_encrypted_rows_are_authenticated_with_the_passphrase(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "s.db"
    make(path, arun, encrypt=b"pw")
    with sqlite3.connect(path) as conn:  # move k002's ciphertext onto k003, checksum rewritten
        conn.create_function("zck", -1, row_ck)
        pids = dict(conn.execute("SELECT path, pid FROM paths"))
        value = conn.execute("SELECT value FROM changes WHERE pid = ?", (pids["k002"],)).fetchone()[0]
        conn.execute("UPDATE changes SET value = ?1, ck = zck('changes', pid, seq, ?1, meta) WHERE pid = ?2",
                     (value, pids["k003"]))
    conn.close()
    assert not check(path).damaged  # checksums alone cannot see a deliberate move
    (short_tmp / "pass").write_text("pw\n")
    done = cli("--check", str(path), "--passphrase-file", str(short_tmp / "pass"))
    assert done.returncode == 1 and "'k003' (version 1) fails authentication" in done.stdout


def test_a_long_check_says_what_it_is_doing_as_it_goes(short_tmp: Path, arun: Run,
                                                       monkeypatch: Any) -> None:
    """A 1M-value store takes ~15 s to check: the tool says which table it reads and how far
    (``--progress``: on stderr, the report on stdout unchanged), so the window can show it."""
    from zhi_gui.stores.sqlite import check as checker

    path = short_tmp / "s.db"
    make(path, arun, encrypt=b"pw")
    monkeypatch.setattr(checker, "PROGRESS_ROWS", 40)
    said: list[str] = []
    assert not checker.check(path, b"pw", said.append).damaged
    assert said[0] == "SQLite's check of every page"
    assert "reading changes: 80 of 101 rows" in said and "checking the links between the tables" in said
    assert "authenticating encrypted values: 40 of 101" in said
    done = cli("--check", str(path), "--progress")
    assert done.returncode == 0 and "no damage found" in done.stdout and "progress:" not in done.stdout
    assert "progress: reading paths" in done.stderr.splitlines()
    assert "progress:" not in cli("--check", str(path)).stderr, "only when asked"
