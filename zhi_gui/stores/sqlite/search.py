"""Search by key and value substring over an FTS5 index (trigram tokenizer).

The index lives in the connection's TEMP database (a table per tree), kept in memory
(``temp_store = MEMORY``): an encrypted store's plaintext never reaches the
disk, and the file format does not change. It is built per tree in the
background, a slice at a time between other requests, once a window asks for a
tree's children or searches it (about 1 s per 100,000 values on a quiet
machine: far too long to wait for at the first keystroke); searches scan until
it is complete. It is then maintained by this process's writes inside their
own transaction (the TEMP database commits and rolls back with the main one).
A tree changed by another process (its head moved without us) or by a
rollback, a version deletion, locking or re-encryption is built again.

What matches is what the window's filter matches (``core.tree_index``): the
lower-cased path and the first 200 bytes of the value's JSON, a secret's value
left out (secrets match by key only).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from zhi_gui.core.display import is_secret
from zhi_gui.core.entries import Entry
from zhi_gui.core.tree_index import PREVIEW_CHARS

TRIGRAM = 3  # shorter queries cannot use the index: they scan the tree's rows


def search_text(entry: Entry) -> str:
    preview = "" if is_secret(entry) else entry.value_json[:PREVIEW_CHARS].decode("utf-8", "replace")
    return f"{entry.path}\n{preview}".lower()


def supports_trigram(conn: sqlite3.Connection) -> bool:
    """SQLite 3.34+ built with FTS5 (checked once per connection)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.zhi_probe USING fts5(t, tokenize='trigram')")
        conn.execute("DROP TABLE temp.zhi_probe")
        return True
    except sqlite3.Error:
        return False


class SearchIndex:
    """One TEMP FTS5 table per tree (``zhi_search_<tid>``); rowid = the path's pid.

    Per tree, not one for all: starting a tree's build over (its head moved without us,
    a rollback, a lock) drops its table, where deleting its rows from a shared one took
    ~3 s per 300,000 values here, and held every other request of the store that long."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.built: dict[int, int] = {}  # tid -> the head seq the index shows
        self.building: dict[int, tuple[int, str]] = {}  # tid -> (head being indexed, last path added)
        self._tables: set[int] = set()  # trees that have a table
        self.available = supports_trigram(conn)
        if self.available:
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.execute("PRAGMA temp.cache_size = -65536")  # 64 MiB: building the index merges far less

    @staticmethod
    def _name(tid: int) -> str:
        return f"zhi_search_{int(tid)}"

    def is_current(self, tid: int, head: int) -> bool:
        return self.built.get(tid) == head

    def begin(self, tid: int, head: int) -> None:
        """Start (again) building a tree's index in slices (``add``, ``finish``)."""
        self._drop(tid)
        self.conn.execute(f"CREATE VIRTUAL TABLE temp.{self._name(tid)} USING fts5("
                          "path UNINDEXED, text, tokenize = 'trigram')")
        self._tables.add(tid)
        self.building[tid] = (head, "")

    def _drop(self, tid: int) -> None:
        self.conn.execute(f"DROP TABLE IF EXISTS temp.{self._name(tid)}")
        self._tables.discard(tid)
        self.built.pop(tid, None)
        self.building.pop(tid, None)

    def add(self, tid: int, rows: Iterable[tuple[int, Entry]], last_path: str) -> None:
        self.conn.executemany(f"INSERT INTO temp.{self._name(tid)} (rowid, path, text) VALUES (?, ?, ?)",
                              ((pid, e.path, search_text(e)) for pid, e in rows))
        head, _ = self.building[tid]
        self.building[tid] = (head, last_path)

    def finish(self, tid: int) -> None:
        head, _ = self.building.pop(tid)
        self.built[tid] = head

    def update(self, tid: int, old_head: int | None, new_head: int, puts: Sequence[tuple[int, Entry]],
               deleted: Sequence[int]) -> None:
        """A write of this process, inside its transaction: follow it when the index showed
        the head it was written on, or was being built on it; else leave the tree to be
        rebuilt."""
        building = self.building.get(tid)
        if old_head is not None and building is not None and building[0] == old_head:
            # Mid-build: the part indexed so far (paths up to the last one added) follows the
            # write, and the build goes on from there on the new head. Starting over cost a
            # 1M-value tree its build so far (and, with one table for all trees, held the
            # store ~4 s emptying it: a save's next call waited that long behind it).
            last = building[1]
            self._apply(tid, [(pid, e) for pid, e in puts if e.path <= last], deleted)
            self.building[tid] = (new_head, last)
            return
        if old_head is None or self.built.get(tid) != old_head:
            self.built.pop(tid, None)
            return
        self._apply(tid, puts, deleted)
        self.built[tid] = new_head

    def _apply(self, tid: int, puts: Sequence[tuple[int, Entry]], deleted: Sequence[int]) -> None:
        table = f"temp.{self._name(tid)}"
        gone = [(pid,) for pid in deleted] + [(pid,) for pid, _ in puts]
        self.conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", gone)
        self.conn.executemany(f"INSERT INTO {table} (rowid, path, text) VALUES (?, ?, ?)",
                              ((pid, e.path, search_text(e)) for pid, e in puts))

    def forget(self, tid: int | None = None) -> None:
        """Drop one tree's index (None: every tree's, e.g. when the store is locked)."""
        if not self.available:
            return
        for each in (sorted(self._tables) if tid is None else [tid]):
            self._drop(each)
        if tid is None:
            self.built.clear()
            self.building.clear()

    def search(self, tid: int, query: str, limit: int) -> tuple[list[str], int]:
        """(matching paths in path order, at most ``limit`` (0 = all); how many match)."""
        name = self._name(tid)
        needle = query.lower()
        if len(needle) >= TRIGRAM:
            where, arg = f"{name} MATCH ?", "text : \"" + needle.replace('"', '""') + "\""
        else:
            where, arg = "instr(text, ?) > 0", needle
        params: list[object] = [arg]
        total = int(self.conn.execute(f"SELECT count(*) FROM temp.{name} WHERE {where}", params).fetchone()[0])
        sql = f"SELECT path FROM temp.{name} WHERE {where} ORDER BY path"
        if limit:
            sql += " LIMIT ?"
            params.append(limit)
        return [row[0] for row in self.conn.execute(sql, params)], total
