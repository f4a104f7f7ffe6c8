"""Damage detection for the SQLite store (format 2).

SQLite checks its own page structure (``PRAGMA integrity_check`` at open,
which also proves every index agrees with its table) but not the content of a
row: a flipped bit inside a value is served as a different value. So every
row of every table carries ``ck``, a BLAKE2b-128 over the table name and all
of the row's columns (primary key included, so a row cannot move), checked on
every read from the file (a tree read whole and found intact is then served
from memory while the file is unchanged: ``heads``). Encrypted rows are additionally bound to tree, path and version
by AES-GCM associated data (``crypto``).

The checksum is unkeyed on purpose: it detects damage, not an attacker (an
attacker who can write the file is answered by encryption), and ``--check``
can verify a locked encrypted store without its passphrase.

``file_problem`` catches what SQLite itself would accept: a 0-byte file
(SQLite treats it as a new empty database) and a file cut short.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from zhi_gui.core.entries import Entry

try:  # what hashlib.blake2b is; ``import hashlib`` also loads OpenSSL's libcrypto for its other
    # digests, ~4 ms of every plugin start (a host waits for the handshake) for nothing used here
    from _blake2 import blake2b as blake2b
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import blake2b as blake2b

CK_PERSON = b"zhi-sqlite-ck-v2"
SQLITE_MAGIC = b"SQLite format 3\x00"

# Columns of each table in checksum order (``ck`` itself excluded).
COLUMNS: dict[str, tuple[str, ...]] = {
    "meta": ("key", "value"),
    "trees": ("tid", "name", "head"),
    "versions": ("seq", "tid", "time", "author", "message", "kind", "changed"),
    "paths": ("tid", "path", "pid", "head"),
    "changes": ("pid", "seq", "value", "meta"),
}


_INT = struct.Struct(">q").pack
_FLOAT = struct.Struct(">d").pack
_LEN = struct.Struct(">I").pack


def row_ck(table: str, *columns: Any) -> bytes:
    """The checksum of one row. Types are part of it (TEXT '1' != INTEGER 1
    != BLOB b'1'), so damage that changes a column's storage type is caught.
    (Hashed in one call over the joined bytes: the same digest as feeding them
    one by one, at half the cost on every read.)"""
    parts = [table.encode()]
    add = parts.append
    for value in columns:
        if value is None:
            add(b"N")
        elif isinstance(value, int):
            add(b"I")
            add(_INT(value))
        elif isinstance(value, float):
            add(b"F")
            add(_FLOAT(value))
        elif isinstance(value, str):
            data = value.encode("utf-8", "surrogatepass")
            add(b"T")
            add(_LEN(len(data)))
            add(data)
        else:
            data = bytes(value)
            add(b"B")
            add(_LEN(len(data)))
            add(data)
    return blake2b(b"".join(parts), digest_size=16, person=CK_PERSON).digest()


_CK_START = blake2b(digest_size=16, person=CK_PERSON)  # copied per row: cheaper than a new one


def paths_ck(tid: Any, path: Any, pid: Any, head: Any) -> bytes:
    """``row_ck("paths", ...)``, the same digest, at half its cost: every read checks
    one paths row per value. Columns of another type than the schema's (damage)
    take the general path."""
    if type(tid) is not int or type(path) is not str or type(pid) is not int or (
            head is not None and type(head) is not int):
        return row_ck("paths", tid, path, pid, head)
    data = path.encode("utf-8", "surrogatepass")
    digest = _CK_START.copy()
    digest.update(b"".join((b"pathsI", _INT(tid), b"T", _LEN(len(data)), data, b"I", _INT(pid),
                            b"N" if head is None else b"I" + _INT(head))))
    return digest.digest()


def changes_ck(pid: Any, seq: Any, value: Any, meta: Any) -> bytes:
    """``row_ck("changes", ...)`` for the usual column types, like ``paths_ck``."""
    if type(pid) is not int or type(seq) is not int or (value is not None and type(value) is not bytes) or (
            meta is not None and type(meta) is not bytes):
        return row_ck("changes", pid, seq, value, meta)
    digest = _CK_START.copy()
    digest.update(b"".join((b"changesI", _INT(pid), b"I", _INT(seq),
                            b"N" if value is None else b"B" + _LEN(len(value)) + value,
                            b"N" if meta is None else b"B" + _LEN(len(meta)) + meta)))
    return digest.digest()


# ``_LEN`` of the lengths most columns have, looked up: a struct call per length was
# a tenth of a cold read's checking (three per row).
_LENS = tuple(_LEN(n) for n in range(4096))
# b"I", pid, b"I", seq: the same bytes end a paths row and start its change row
_IDS = struct.Struct(">cqcq").pack
_NEW = tuple.__new__  # Entry's own __new__ is a Python function: one frame per value


def head_entries(tid: int, rows: Iterable[Sequence[Any]]) -> list[Entry] | None:
    """``head_rows``' values alone."""
    read = head_rows(tid, rows)
    return None if read is None else read[0]


def head_rows(tid: int, rows: Iterable[Sequence[Any]]) -> tuple[list[Entry], int] | None:
    """The live values of head rows as ``Entry``s when EVERY row is intact and of the
    schema's types; None as soon as one is not (deleted rows are checked and skipped).

    The fast path of a plain store's head read: both checksums of a row are computed
    from one set of columns, ``engine._FAST``: (path, value, meta, pid, head, paths ck,
    changes ck), where the paths ck is NULL unless SQLite says ``tid`` and the change
    row's ``pid``/``seq`` are INTEGERs (their values equal the query's ``tid`` and the
    paths row's ``pid``/``head`` by the join): a NULL matches no digest. The digests are
    ``paths_ck``/``changes_ck``'s, byte for byte. Any other type (a packing or join
    error here) or a failed checksum answers None: the caller then reads with the
    general code, which says what is wrong.

    One Python pass per row is the cost of a cold read (100,000 values: about as much
    as SQLite building the rows' objects), so it does as little as it can: no column
    for the types (folded into the paths ck), one packing of the ids for both digests.
    The lengths it takes anyway are summed on the way: with the values it answers the
    bytes of their paths (UTF-8), values and metadata, for ``heads.HeadCache.put``.)"""
    start = _CK_START.copy
    join = b"".join
    lens = _LENS
    prefix = b"pathsI" + _INT(tid) + b"T"
    versions: dict[int, str] = {}  # one str per version, shared by its values
    out: list[Entry] = []
    add = out.append
    size = 0
    try:
        for path, value, meta, pid, head, pck, cck in rows:
            # (SQLite decoded the text strictly: no surrogates to pass, and any is an error)
            data = path.encode()
            k = len(data)
            digest = start()
            if head is None:  # deleted: its paths row is checked all the same
                digest.update(join((prefix, lens[k] if k < 4096 else _LEN(k), data, b"I", _INT(pid), b"N")))
                if digest.digest() != pck:
                    return None
                continue
            ids = _IDS(b"I", pid, b"I", head)
            digest.update(join((prefix, lens[k] if k < 4096 else _LEN(k), data, ids)))
            if digest.digest() != pck:
                return None
            digest = start()
            n, m = len(value), len(meta)
            size += k + n + m
            digest.update(join((b"changes", ids, b"B", lens[n] if n < 4096 else _LEN(n), value,
                                b"B", lens[m] if m < 4096 else _LEN(m), meta)))
            if digest.digest() != cck:
                return None
            version = versions.get(head)
            if version is None:
                version = versions[head] = str(head)
            add(_NEW(Entry, (path, value, meta, version)))
    except (struct.error, AttributeError, TypeError, UnicodeEncodeError):  # a column of another type
        return None
    return out, size


def sql_ck(table: str, *columns: Any) -> bytes:
    """``zck(table, col, ...)`` as an SQLite function, for writes in SQL."""
    return row_ck(table, *columns)


def row_ok(table: str, row: tuple[Any, ...] | Any, ck: Any) -> bool:
    return isinstance(ck, bytes) and row_ck(table, *row) == ck


def install(conn: Any) -> None:
    conn.create_function("zck", -1, sql_ck, deterministic=True)


def ck_sql(table: str, prefix: str = "") -> str:
    """``zck('table', col, ...)`` over the row's current columns."""
    cols = ", ".join(prefix + c for c in COLUMNS[table])
    return f"zck('{table}', {cols})"


def file_problem(path: Path) -> str:
    """Why the file cannot be a complete SQLite database, or ''. Reads only the
    100-byte header and the size: cheap enough for every open."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            header = f.read(100)
    except OSError as exc:
        return f"cannot read it ({exc.strerror or exc})"
    if size == 0:
        return "it is empty (0 bytes), so it holds no store"
    if len(header) < 100 or not header.startswith(SQLITE_MAGIC):
        return "it is not a SQLite database (or its first page is damaged)"
    (page_size,) = struct.unpack(">H", header[16:18])
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        return f"its header is damaged (page size {page_size})"
    if size % page_size:
        return f"it is cut short or padded ({size} bytes is not a whole number of {page_size}-byte pages)"
    change_counter, pages = struct.unpack(">II", header[24:32])
    (valid_for,) = struct.unpack(">I", header[92:96])
    wal = path.with_name(path.name + "-wal")
    wal_has_frames = wal.exists() and wal.stat().st_size > 32
    # The in-header page count is valid when "version-valid-for" matches the
    # change counter; WAL frames not yet checkpointed may hold later pages.
    if valid_for == change_counter and pages and size < pages * page_size and not wal_has_frames:
        return (f"it is cut short: {size} bytes, but its header says {pages} pages of {page_size} bytes "
                f"({pages * page_size} bytes)")
    return ""


