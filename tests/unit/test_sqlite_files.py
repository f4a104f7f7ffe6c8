"""zhi-store-sqlite and its file: refusing what it does not recognise (and never
changing it), the on-disk settings, and the size of history."""

from __future__ import annotations

import hashlib
import os
import random
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite import SqliteStore
from zhi_gui.stores.sqlite.options import default_path
from zhi_gui.stores.sqlite.schema import FORMAT_VERSION

Run = Callable[..., Any]


def files_of(directory: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(directory.iterdir())}


def open_fails(path: Path, match: str) -> None:
    before = files_of(path.parent)
    with pytest.raises(E.StoreCorrupt, match=match):
        SqliteStore({"path": str(path)})
    assert files_of(path.parent) == before  # byte for byte, and no -wal/-shm appeared


def make_store(path: Path, arun: Run) -> None:
    store = SqliteStore({"path": str(path), "create": True})
    arun(store.put_values("t", [Entry(f"k{i}", b"1") for i in range(200)]))
    arun(store.close())


def test_not_a_database(short_tmp: Path) -> None:
    path = short_tmp / "store.db"
    path.write_bytes(b"this is my shopping list, not a database\n" * 100)
    open_fails(path, "not a SQLite database")


def test_random_bytes_with_sqlite_header(short_tmp: Path) -> None:
    path = short_tmp / "store.db"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    open_fails(path, "not a SQLite database or is damaged|damaged")


def test_corrupt_pages(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "store.db"
    make_store(path, arun)
    data = bytearray(path.read_bytes())
    assert len(data) >= 4 * 4096
    for offset in range(4096 + 100, len(data), 4096):  # scribble over every b-tree page but the first
        data[offset:offset + 200] = os.urandom(200)
    path.write_bytes(bytes(data))
    open_fails(path, "damaged")


def test_truncated_file(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "store.db"
    make_store(path, arun)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2 + 17])
    open_fails(path, "cut short")
    path.write_bytes(data[: len(data) - 4096])  # a whole page less
    open_fails(path, "cut short|damaged")
    path.write_bytes(data[:50])  # not even the header
    open_fails(path, "not a SQLite database")


def test_newer_format(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "store.db"
    make_store(path, arun)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION + 1),))
    conn.close()
    open_fails(path, f"format version {FORMAT_VERSION + 1}, newer")


def test_foreign_sqlite_database(short_tmp: Path) -> None:
    path = short_tmp / "store.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO photos (name) VALUES ('holiday')")
    conn.close()
    open_fails(path, "not a zhi-gui store")
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value)")
        conn.execute("INSERT INTO meta VALUES ('app', 'something-else')")
    conn.close()
    open_fails(path, "not a zhi-gui store")


def test_directory_as_path(short_tmp: Path) -> None:
    with pytest.raises(E.StoreCorrupt, match="directory"):
        SqliteStore({"path": str(short_tmp)})


def test_new_file_settings(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "sub" / "dir" / "store.db"  # parents are created
    store = SqliteStore({"path": str(path), "create": True})
    arun(store.put_values("t", [Entry("a", b"1")]))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    conn.close()
    assert meta["format_version"] == str(FORMAT_VERSION) and meta["app"] == "zhi-gui-sqlite"
    for created in path.parent.glob("store.db*"):  # the file, -wal and -shm: owner only
        assert created.stat().st_mode & 0o777 == 0o600, created
    engine = store._engine
    sync = store._executor.submit(lambda: engine.conn.execute("PRAGMA synchronous").fetchone()[0]).result()
    assert sync == 2  # FULL
    arun(store.close())


def test_empty_file_is_refused_even_with_create(short_tmp: Path) -> None:
    path = short_tmp / "store.db"
    path.write_bytes(b"")
    open_fails(path, "empty \\(0 bytes\\)")
    with pytest.raises(E.StoreCorrupt, match="empty"):
        SqliteStore({"path": str(path), "create": True})
    assert path.stat().st_size == 0


def test_a_missing_store_is_not_created_unless_asked(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "typo" / "store.db"
    store = SqliteStore({"path": str(path)})  # the plugin starts, so the window can ask
    for call in (store.list_trees(), store.describe(), store.capabilities()):
        with pytest.raises(E.StoreMissing, match=r"does not exist .*nor does its folder.*create: true"):
            arun(call)
    arun(store.close())
    assert not path.parent.exists()
    with pytest.raises(E.InvalidArgument, match="create"):
        SqliteStore({"path": str(path), "create": "yes"})
    store = SqliteStore({"path": str(path), "create": True})
    arun(store.put_values("t", [Entry("a", b"1")]))
    arun(store.close())
    assert path.is_file()


def test_default_path_is_in_the_user_data_dir() -> None:
    path = default_path()
    assert path.name == "default.zhistore.sqlite" and "zhi-gui" in str(path)


def _snapshot_size(entries: list[Entry], path: Path) -> int:
    """One copy of the tree in SQLite: a single (path, value, metadata) table."""
    with sqlite3.connect(path) as conn:
        # Each row with a 16-byte checksum, as the store keeps one per row.
        conn.execute("CREATE TABLE t (path TEXT PRIMARY KEY, value BLOB, meta BLOB, ck BLOB) WITHOUT ROWID")
        conn.executemany("INSERT INTO t VALUES (?, ?, ?, randomblob(16))",
                         [(e.path, e.value_json, e.metadata_json) for e in entries])
    conn.execute("VACUUM")
    conn.close()
    return path.stat().st_size


def test_history_does_not_copy_the_tree(short_tmp: Path, arun: Run) -> None:
    """Smaller scale of the 100,000 x 1,000 target: 10,000 values, 200 versions of
    10 changes. The store stays within 2x one snapshot plus the changes."""
    n_values, n_versions, per_version = 10_000, 200, 10
    entries = [Entry(f"section-{i // 100:03d}/key-{i % 100:02d}", f'"value-{i:06d}"'.encode()) for i in range(n_values)]
    path = short_tmp / "store.db"
    store = SqliteStore({"path": str(path), "create": True})
    head = arun(store.write_values("t", entries))

    async def edits() -> str:
        nonlocal head
        rng = random.Random(7)
        changed: list[Entry] = []
        for k in range(n_versions):
            batch = [Entry(entries[rng.randrange(n_values)].path, f'"edit-{k:04d}-{j}"'.encode())
                     for j in range(per_version)]
            changed += batch
            head = await store.write_values("t", batch, cas_version=head)
        return str(len(changed))

    arun(edits())
    assert len(arun(store.list_tree_versions("t"))) == n_versions + 1
    arun(store.close())  # checkpoints the WAL into the file
    size = path.stat().st_size
    snapshot = _snapshot_size(entries, short_tmp / "snapshot.db")
    changes_bytes = n_versions * per_version * (len(entries[0].path) + len(b'"edit-0000-0"'))
    assert size <= 2 * snapshot + 2 * changes_bytes, (size, snapshot, changes_bytes)
    # and far below what copying the tree per version would take
    assert size < 0.02 * n_versions * snapshot


def test_a_format_1_store_is_upgraded_in_one_transaction(short_tmp: Path, arun: Run) -> None:
    path = short_tmp / "store.db"
    store = SqliteStore({"path": str(path), "create": True})
    arun(store.write_values("t", [Entry(f"k{i}", f'"v{i}"'.encode()) for i in range(50)], message="first"))
    arun(store.delete_values("t", ["k3"]))
    arun(store.close())
    with sqlite3.connect(path) as conn:  # what format 1 looked like: no checksums
        for table in ("meta", "trees", "versions", "paths", "changes"):
            conn.execute(f"ALTER TABLE {table} DROP COLUMN ck")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'format_version'")
    conn.close()
    store = SqliteStore({"path": str(path)})
    assert len(arun(store.get_values("t", []))) == 49
    assert arun(store.describe_versions("t")).versions[-1].message == "first"
    arun(store.close())
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()[0] == "2"
        for table in ("meta", "trees", "versions", "paths", "changes"):
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE ck IS NULL").fetchone()[0] == 0
    conn.close()
