"""Big sqlite store files for tests whose work must take a while (a re-encryption
to cancel half-way): built in-process once per test module, copied per test."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite.engine import Engine

BULK_TREE = "bulk"
SMALL_KDF = 1 << 10  # the store keeps the n it was built with: unlocking it stays quick


def bulk_value(i: int) -> bytes:
    return json.dumps(f"value number {i}").encode()


def bulk_path(i: int) -> str:
    return f"group{i // 1000:04d}/key{i:07d}"


def build_store(path: Path, values: int, passphrase: bytes | None = None,
                small: dict[str, bytes] | None = None) -> Path:
    """``values`` values in tree ``bulk`` (see ``bulk_path`` / ``bulk_value``) and, when
    given, a small tree ``sample``; encrypted with ``passphrase`` when given."""
    engine = Engine(path, create=True, scrypt_n=SMALL_KDF)
    try:
        if passphrase is not None:
            engine.init_encryption(passphrase)  # an empty store: sealing happens as rows are written
        for start in range(0, values, 50_000):
            batch = [Entry(bulk_path(i), bulk_value(i), b"") for i in range(start, min(values, start + 50_000))]
            engine.write(BULK_TREE, batch, [], "", {}, f"bulk {start}", "test")
        if small:
            engine.write("sample", [Entry(p, v, b"") for p, v in small.items()], [], "", {}, "sample", "test")
    finally:
        engine.close()
    return path


def copy_store(source: Path, target: Path) -> Path:
    """The store file and its WAL side files, if any."""
    for side in ("", "-wal", "-shm"):
        if Path(f"{source}{side}").exists():
            shutil.copyfile(f"{source}{side}", f"{target}{side}")
    return target


def holds_write_lock(db: Path) -> bool:
    """Whether some connection (a plugin's rewrite) is inside a write transaction on ``db``."""
    probe = sqlite3.connect(db, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:  # "database is locked"
        return True
    finally:
        with contextlib.suppress(sqlite3.Error):
            probe.execute("ROLLBACK")
        probe.close()
    return False


def every_value_reads(db: Path, values: int, passphrase: bytes | None) -> bool:
    """Open ``db`` in-process (unlocked with ``passphrase``) and compare every bulk value."""
    engine = Engine(db)
    try:
        if passphrase is not None:
            engine.unlock(passphrase)
        entries = engine.get_values(BULK_TREE, [])
        got = {e.path: e.value_json for e in entries}
        return len(got) == values and all(got[bulk_path(i)] == bulk_value(i) for i in range(values))
    finally:
        engine.close()
