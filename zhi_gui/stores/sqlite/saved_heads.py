"""Saved heads: a plain tree's current values kept in the file in one piece.

A plugin process starts cold: its first whole-tree read checks two rows per
value (``integrity.head_rows``), Python work per value that made zhi's own
reads (a new plugin process for every ``zhi`` command) 3-4x slower than a Go
store's. A tree read or written whole (a whole read, a stream of all of it, a
write on top of a kept tree) is therefore saved when the plugin stops (once a
session, not after every save of a window) as one row of ``saved_heads``: its values as four
columns (paths, values and metadata joined by NUL, versions as 64-bit ints), and
GetValues's answer of them all in protocol bytes with where each value's part ends
(``plugin.wire``), under one checksum. The next process reads that row and cuts it
apart with a few C-level passes instead of checking 200,000 rows, and answers a read
of the whole tree with those bytes as they are.

A file saved by a version before the protocol bytes has a ``saved_heads`` table
without them: its copies are never read (the read fails and is ignored), and the next
save replaces the table.

It is a copy, never the truth:
- it is used only for the tree's head ``seq`` it was saved at (a version id is
  never reused, so a later write can't be mistaken for it), only when the
  whole row passes its checksum and splits into ``count`` values exactly;
  anything else is ignored and the tree is read from its rows as before;
- every write transaction deletes every saved head (``secure_delete`` zeroes
  them), so neither a stale copy nor plaintext after InitEncryption stays in
  the file; encrypted stores never save one;
- ``--check``/``--recover`` know nothing of it: ``--recover`` copies the real
  tables, and SQLite's page check covers this table as it does the others.

What it changes: a tree served from its copy is served as it was verified, so
damage that reaches its rows later (a disk error, another program) is reported
when they are next read (the next write drops the copy; history, single values
and ``--check`` read rows), not by the whole-tree read itself.

Only trees of ``SAVE_FROM`` values or more are saved: below that a read from the
rows takes under a tenth of a second, and the copy (about the size of the values)
would only grow the file.

NUL as the separator: JSON text never holds a raw NUL (it is escaped), and zhi
paths are printable; a tree where one does anyway is simply not saved.
"""

from __future__ import annotations

import array
import itertools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from zhi_gui.core.entries import Entry
from zhi_gui.stores.sqlite.integrity import blake2b

SAVE_FROM = 20_000

CREATE = """CREATE TABLE IF NOT EXISTS saved_heads (
    tid      INTEGER PRIMARY KEY,
    seq      INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    paths    BLOB NOT NULL,
    vals     BLOB NOT NULL,
    metas    BLOB NOT NULL,
    versions BLOB NOT NULL,
    wire     BLOB NOT NULL,
    ends     BLOB NOT NULL,
    ck       BLOB NOT NULL
)"""
SELECT = "SELECT count, paths, vals, metas, versions, wire, ends, ck FROM saved_heads WHERE tid = ? AND seq = ?"
INSERT = ("INSERT OR REPLACE INTO saved_heads (tid, seq, count, paths, vals, metas, versions, wire, ends, ck) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
EXISTS = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'saved_heads'"
COLUMNS = "SELECT name FROM pragma_table_info('saved_heads')"
DROP = "DROP TABLE IF EXISTS saved_heads"
DELETE_ALL = "DELETE FROM saved_heads"

_PERSON = b"zhi-sqlite-hd-v2"
_SEP = b"\x00"
_NEW = tuple.__new__  # Entry's own __new__ is a Python function: one frame per value
_path, _value, _meta, _version = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)


def _digest(tid: int, seq: int, count: int, columns: Sequence[bytes]) -> bytes:
    digest = blake2b(digest_size=16, person=_PERSON)
    digest.update(b"%d:%d:%d" % (tid, seq, count))
    for column in columns:
        digest.update(b":%d:" % len(column))
        digest.update(column)
    return digest.digest()


def _int64_bytes(numbers: array.array[int]) -> bytes:
    if sys.byteorder != "little":  # the file is the same on every machine
        numbers.byteswap()
    return numbers.tobytes()


def _int64s(data: bytes) -> array.array[int]:
    numbers = array.array("q")
    numbers.frombytes(data)
    if sys.byteorder != "little":
        numbers.byteswap()
    return numbers


@dataclass(frozen=True, slots=True)
class SavedHead:
    """A tree read back from its saved copy, checked: its paths and answer in protocol
    bytes at once, its values (``entries``) when asked for."""

    paths: list[str]
    payload: int  # the bytes of its paths, values and metadata (``heads.HeadCache.put``)
    wire: bytes  # GetValues's answer of it all (``heads.Head.answer``)
    wire_ends: array.array[int]  # where each value's element ends in ``wire``
    _values: bytes
    _metas: bytes
    _versions: bytes

    def entries(self) -> list[Entry]:
        numbers = _int64s(self._versions)
        names = {n: str(n) for n in set(numbers)}  # one str per version, shared by its values
        return list(map(_NEW, itertools.repeat(Entry), zip(
            self.paths, self._values.split(_SEP), self._metas.split(_SEP), map(names.__getitem__, numbers),
            strict=True)))


def encode(tid: int, seq: int, entries: Sequence[Entry], wire: bytes,
           wire_ends: Sequence[int]) -> tuple[Any, ...] | None:
    """The ``saved_heads`` row of these values (in path order, every version a decimal
    seq) and their answer in protocol bytes, or None when they can't be saved this way
    (a NUL inside, an odd version)."""
    count = len(entries)
    if not count or len(wire_ends) != count:
        return None
    try:
        paths = _SEP.join(p.encode() for p in map(_path, entries))
        values = _SEP.join(map(_value, entries))
        metas = _SEP.join(map(_meta, entries))
        versions = _int64_bytes(array.array("q", map(int, map(_version, entries))))
        ends = _int64_bytes(array.array("q", wire_ends))
    except (TypeError, ValueError, OverflowError, UnicodeEncodeError):
        return None
    if paths.count(_SEP) != count - 1 or values.count(_SEP) != count - 1 or metas.count(_SEP) != count - 1:
        return None
    columns = (paths, values, metas, versions, wire, ends)
    return (tid, seq, count, *columns, _digest(tid, seq, count, columns))


def decode(tid: int, seq: int, row: Sequence[Any]) -> SavedHead | None:
    """The tree of a ``SELECT`` row; None when the row is not exactly what ``encode``
    wrote for this tree and seq (damaged, or of another writer)."""
    try:
        count, paths, values, metas, versions, wire, ends, ck = row
        columns = (bytes(paths), bytes(values), bytes(metas), bytes(versions), bytes(wire), bytes(ends))
        if type(count) is not int or count < 1 or ck != _digest(tid, seq, count, columns):
            return None
        path_list = columns[0].decode().split("\x00")
        wire_ends = _int64s(columns[5])
    except (TypeError, ValueError, UnicodeDecodeError):
        return None
    # every column holds ``count`` values (counted in C: the values are split when needed)
    if not (len(path_list) == len(wire_ends) == count == columns[1].count(_SEP) + 1 == columns[2].count(_SEP) + 1
            and len(columns[3]) == 8 * count and wire_ends[-1] == len(columns[4])):
        return None
    payload = len(columns[0]) + len(columns[1]) + len(columns[2]) - 3 * (count - 1)
    return SavedHead(path_list, payload, columns[4], wire_ends, columns[1], columns[2], columns[3])
