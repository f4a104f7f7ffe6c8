"""The SQLite file: its schema, format check and opening.

Layout (format 1). History is kept as per-version deltas, never as copies of
the tree:

- ``meta(key, value)``: ``app``, ``format_version``, ``created``,
  ``next_pid`` and the encryption parameters (see ``crypto``).
- ``trees(tid, name, head)``: one row per tree; ``head`` is the seq of its
  newest version.
- ``versions(seq, tid, time, author, message, kind, changed)``: one row per
  version; the opaque version id on the wire is ``str(seq)``. ``seq`` comes
  from AUTOINCREMENT, so an id is never reused, even across trees.
- ``paths(tid, path, pid, head)``: every path a tree ever had, stored once
  (primary key ``(tid, path)``); ``pid`` is its short key in ``changes``;
  ``head`` is the materialised current state: the seq of the change row that
  holds the live value, NULL when the path is deleted. Reads of the current
  tree are one ordered scan of ``paths`` plus primary-key look-ups.
- ``changes(pid, seq, value, meta)``: the delta of version ``seq`` for one
  path; ``value IS NULL`` is a tombstone (the path was deleted). Reading
  version V = for each path the latest change with ``seq <= V``
  (primary key ``(pid, seq)``). The value bytes exist once, here.

Format 2 adds ``ck`` to every table: a checksum of the row (see
``integrity``), verified on every read. A format-1 file is upgraded in one
transaction when it is opened read-write (its rows are checksummed as they
are; ``integrity_check`` has passed first).

``saved_heads`` (created when first used, not part of the format: a file
without it is the same store) holds copies of big trees' current values in one
row each, which a new process reads instead of checking every row; every write
deletes them (see ``saved_heads``).

Opening never writes to a file it has not recognised: an existing file is
first checked without SQLite (size, header: a 0-byte or cut-short file is
refused), then opened read-only and checked (zhi-gui marker, format version,
``PRAGMA integrity_check``: about 6 ms for 10,000 values, 76 ms for 100,000,
and it also proves every index matches its table); only then is it opened
read-write. A missing file is created only when the caller asks.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import urllib.parse
from pathlib import Path

from zhi_gui.core.errors import StoreCorrupt, StoreMissing
from zhi_gui.stores.common import now_rfc3339
from zhi_gui.stores.sqlite import integrity
from zhi_gui.stores.sqlite.integrity import COLUMNS, ck_sql

APP = "zhi-gui-sqlite"
FORMAT_VERSION = 2
OLDEST_FORMAT = 1  # upgraded on open
BUSY_TIMEOUT_MS = 10_000

TABLES = ("meta", "trees", "versions", "paths", "changes")

SCHEMA = """
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB,
    ck    BLOB
);
CREATE TABLE trees (
    tid  INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    head INTEGER,
    ck   BLOB
);
CREATE TABLE versions (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    tid     INTEGER NOT NULL,
    time    TEXT NOT NULL,
    author  TEXT NOT NULL,
    message BLOB,
    kind    TEXT NOT NULL,
    changed INTEGER NOT NULL DEFAULT 0,
    ck      BLOB
);
CREATE INDEX versions_by_tree ON versions (tid, seq);
CREATE TABLE paths (
    tid  INTEGER NOT NULL,
    path TEXT NOT NULL,
    pid  INTEGER NOT NULL,
    head INTEGER,
    ck   BLOB,
    PRIMARY KEY (tid, path)
) WITHOUT ROWID;
CREATE TABLE changes (
    pid   INTEGER NOT NULL,
    seq   INTEGER NOT NULL,
    value BLOB,
    meta  BLOB,
    ck    BLOB,
    PRIMARY KEY (pid, seq)
) WITHOUT ROWID;
CREATE INDEX changes_by_seq ON changes (seq);
"""


def tolerant_text(data: bytes) -> str:
    """SQLite TEXT as str without failing on bytes that are not UTF-8: damage
    can turn a BLOB into TEXT; the row checksum then reports it as DataLoss
    instead of the sqlite3 module raising a decoding error mid-read."""
    return data.decode("utf-8", "surrogateescape")


def _ro_uri(path: Path) -> str:
    return "file:" + urllib.parse.quote(str(path)) + "?mode=ro"


def check_existing(path: Path, *, structure: bool = True) -> int:
    """Check an existing file read-only. Its format version (1 or 2) for a
    zhi-gui store we read; 0 for an empty SQLite database (safe to
    initialise). Raises StoreCorrupt for anything else, without writing to the
    file (and removes the -wal/-shm side files a read-only look at a WAL
    database creates). ``structure=False`` leaves SQLite's check of every page
    to the caller (:func:`structure_verdict`), except for a file opening would
    upgrade: that one is checked whole before anything is written."""
    sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    existed = [p.exists() for p in sidecars]
    try:
        return _check_existing(path, structure)
    except StoreCorrupt:
        for sidecar, was_there in zip(sidecars, existed, strict=True):
            if not was_there:
                with contextlib.suppress(OSError):
                    sidecar.unlink()
        raise


def _check_existing(path: Path, structure: bool = True) -> int:
    where = str(path)
    problem = integrity.file_problem(path)
    if problem:
        raise StoreCorrupt(f"store file {where} cannot be used: {problem}; it was not changed", {"path": where})
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True, isolation_level=None)
        conn.text_factory = tolerant_text
    except sqlite3.Error as exc:
        raise StoreCorrupt(f"cannot open store file {where}: {exc}", {"path": where}) from None
    try:
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise StoreCorrupt(
                f"store file {where} is not a SQLite database or is damaged ({exc}); it was not changed",
                {"path": where},
            ) from None
        if not tables:
            return 0
        if "meta" not in tables:
            raise StoreCorrupt(
                f"{where} is a SQLite database but not a zhi-gui store (no 'meta' table); "
                "refusing to use or change it", {"path": where})
        try:
            meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN ('app', 'format_version')"))
        except sqlite3.DatabaseError as exc:
            raise StoreCorrupt(f"store file {where} is damaged: {exc}; it was not changed", {"path": where}) from None
        if meta.get("app") != APP:
            raise StoreCorrupt(
                f"{where} is a SQLite database but not a zhi-gui store (app marker {meta.get('app')!r}); "
                "refusing to use or change it", {"path": where})
        try:
            version = int(meta.get("format_version"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise StoreCorrupt(f"store file {where} has an unreadable format_version "
                               f"{meta.get('format_version')!r}; it was not changed", {"path": where}) from None
        if version > FORMAT_VERSION:
            raise StoreCorrupt(
                f"store file {where} has format version {version}, newer than this zhi-store-sqlite "
                f"understands ({FORMAT_VERSION}); upgrade zhi-gui to open it. The file was not changed.",
                {"path": where, "format_version": str(version)})
        if version < OLDEST_FORMAT:
            raise StoreCorrupt(f"store file {where} has an invalid format version {version}", {"path": where})
        missing = [t for t in TABLES if t not in tables]
        if missing:
            raise StoreCorrupt(f"store file {where} is damaged: missing tables {missing}; it was not changed",
                               {"path": where})
        if structure or version < FORMAT_VERSION:
            damage = _damaged(where, structure_problems(conn))
            if damage is not None:
                raise damage
        if version >= 2:
            bad = meta_problems(conn)
            if bad:
                raise StoreCorrupt(f"store file {where} is damaged: its settings rows {bad} fail their "
                                   "checksums; it was not changed", {"path": where})
        return version
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def _damaged(where: str, problems: list[str]) -> StoreCorrupt | None:
    if not problems:
        return None
    shown = "; ".join(problems[:3])
    return StoreCorrupt(f"store file {where} is damaged ({shown}); it was not changed", {"path": where})


def structure_verdict(path: Path) -> StoreCorrupt | None:
    """SQLite's check of every page and index of an open store, on a read-only connection
    of its own: None when the file is sound. SQLite lets go of the GIL while it checks, so
    this runs beside the store's own work (a 1,000,000-value file takes about a second)."""
    try:
        conn = open_readonly(path)
    except StoreCorrupt as exc:
        return exc
    try:
        return _damaged(str(path), structure_problems(conn))
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.close()


def structure_problems(conn: sqlite3.Connection) -> list[str]:
    """SQLite's own verdict on the file's pages and indexes ([] = fine)."""
    try:
        problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check(20)")]
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    return [] if problems == ["ok"] else problems


def meta_problems(conn: sqlite3.Connection) -> list[str]:
    """Keys of ``meta`` rows whose checksum fails (format 2)."""
    return [str(key) for key, value, ck in conn.execute("SELECT key, value, ck FROM meta")
            if not integrity.row_ok("meta", (key, value), ck)]


def open_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection for checking and recovering: nothing is written
    (the caller removes side files a look at a WAL file may create)."""
    try:
        conn = sqlite3.connect(_ro_uri(path), uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreCorrupt(f"cannot open store file {path}: {exc}", {"path": str(path)}) from None
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    integrity.install(conn)
    conn.text_factory = tolerant_text
    return conn


def open_database(path: Path, *, create: bool = False, structure: bool = True) -> sqlite3.Connection:
    """Open the store file read-write with the project's pragmas; a missing
    file is created only with ``create`` (else StoreMissing). ``structure``: see
    :func:`check_existing`."""
    if path.is_dir():
        raise StoreCorrupt(f"store path {path} is a directory, not a file", {"path": str(path)})
    if path.exists():
        check_existing(path, structure=structure)
    elif not create:
        where = "" if path.parent.is_dir() else f" (nor does its folder {path.parent})"
        raise StoreMissing(f"the store file {path} does not exist{where}; nothing was created. "
                           "Open it with the option create: true to make a new empty store there",
                           {"path": str(path), "tree_id": "", "reason": "store_missing"})
    else:
        # Configuration values can be secrets: the file (and the -wal/-shm
        # files SQLite gives the same mode) is readable by its owner only.
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    try:
        conn = sqlite3.connect(str(path), isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreCorrupt(f"cannot open store file {path}: {exc}", {"path": str(path)}) from None
    try:
        integrity.install(conn)
        conn.text_factory = tolerant_text
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreCorrupt(f"cannot switch {path} to WAL mode (got {mode!r})", {"path": str(path)})
        conn.execute("PRAGMA synchronous=FULL")
        # Deleted and overwritten content is zeroed in the file, so old
        # plaintext does not linger in free space after InitEncryption.
        conn.execute("PRAGMA secure_delete=ON")
        conn.execute("PRAGMA foreign_keys=OFF")
        # Up to 32 MiB of pages kept (SQLite's default is 2 MiB, and grows only as used):
        # a read of a whole 100,000-value tree took half again as long re-reading pages.
        conn.execute("PRAGMA cache_size=-32768")
        _initialise(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _initialise(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.executemany("INSERT INTO meta (key, value, ck) VALUES (?1, ?2, zck('meta', ?1, ?2))", [
                ("app", APP),
                ("format_version", str(FORMAT_VERSION)),
                ("created", now_rfc3339()),
                ("encryption", "none"),
                ("next_pid", "1"),
            ])
        elif "meta" not in tables:  # appeared between the read-only check and now
            raise StoreCorrupt(f"{path} is a SQLite database but not a zhi-gui store; refusing to change it",
                               {"path": str(path)})
        else:
            row = conn.execute("SELECT value FROM meta WHERE key = 'format_version'").fetchone()
            if row and str(row[0]) == "1":
                upgrade_from_1(conn)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def upgrade_from_1(conn: sqlite3.Connection) -> None:
    """Format 1 -> 2 inside the caller's transaction: add and fill ``ck``.
    A crash before COMMIT leaves the file at format 1, untouched."""
    for table in COLUMNS:
        conn.execute(f"ALTER TABLE {table} ADD COLUMN ck BLOB")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'format_version'", (str(FORMAT_VERSION),))
    for table in COLUMNS:
        conn.execute(f"UPDATE {table} SET ck = {ck_sql(table)}")

