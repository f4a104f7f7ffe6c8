"""The synchronous core of zhi-store-sqlite.

Everything here runs on ONE worker thread (see ``store.SqliteStore``): the
connection is created there and never leaves it. Every mutation is one
``BEGIN IMMEDIATE`` transaction; multi-statement reads run in one read
transaction, so they see one consistent snapshot (WAL mode).

Every row read is checked against its ``ck`` (``integrity``) before it is
used (a tree read whole and found intact is then kept: ``heads``); damaged
rows are collected and answered as ``DataLoss`` naming their paths and
versions, so the rest of the store stays readable. Every row written carries
its ``ck`` (computed in SQL by ``zck``).
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import itertools
import logging
import operator
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from zhi_gui.core import errors as E
from zhi_gui.core.entries import Encryption, Entry
from zhi_gui.stores.common import conflict, default_author, expected_versions, now_rfc3339
from zhi_gui.stores.sqlite import saved_heads
from zhi_gui.stores.sqlite.crypto import (
    CIPHER_NAME,
    DEFAULT_SCRYPT_N,
    KDF_NAME,
    KdfParams,
    RowCipher,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)
from zhi_gui.stores.sqlite.heads import DEFAULT_LIMIT, PER_VALUE, Head, HeadCache, estimate
from zhi_gui.stores.sqlite.integrity import changes_ck, head_entries, head_rows, paths_ck, row_ok
from zhi_gui.stores.sqlite.schema import BUSY_TIMEOUT_MS, open_database, tolerant_text

# core.model is imported where its classes are made (plugin.store_api says why)
if TYPE_CHECKING:
    from zhi_gui.core.model import ChildInfo, DiffEntry, VersionPage
    from zhi_gui.stores.sqlite.search import SearchIndex


PREVIEW_BYTES = 200  # of a value searched (core.tree_index.PREVIEW_CHARS)

log = logging.getLogger("zhi_gui.stores.sqlite")
T = TypeVar("T")

RESEAL_BATCH = 2000
# Fewer paths asked are looked up one by one; as many or more, and at least half the tree,
# and the tree is read whole (``Engine._most_of_tree``).
WHOLE_FROM = 1000
_VERSION_RE = re.compile(r"[0-9]{1,18}")


class Stopped(E.StoreError):
    """A long rewrite (or scan) was stopped between two batches because its caller gave
    up; its transaction was rolled back."""


def _until_stopped(items: Iterable[T], stop: threading.Event, every: int = 1000) -> Iterator[T]:
    """``items``, looking at ``stop`` every ``every`` of them (Stopped once it is set)."""
    for count, item in enumerate(items):
        if count % every == 0 and stop.is_set():
            raise Stopped("the search was stopped by its caller")
        yield item


# Whole rows with their checksums: (tid, path, pid, head, ck) and
# (pid, seq, value, meta, ck). A LEFT JOIN keeps a path whose change row is
# missing, so that is reported instead of silently skipped.
_P = "p.tid, p.path, p.pid, p.head, p.ck"
_C = "c.pid, c.seq, c.value, c.meta, c.ck"
_V = "seq, tid, time, author, message, kind, changed, ck"
# The head read of a plain store (``integrity.head_entries``): fewer columns, both
# checksums computed from them; the paths ck is given only when SQLite says the columns
# not fetched are INTEGERs (equal by value to the query's tid and to pid/head through
# the join), else NULL, which no digest matches: a column less per row.
_FAST = ("SELECT p.path, c.value, c.meta, p.pid, p.head, CASE WHEN typeof(p.tid) = 'integer' AND "
         "(p.head IS NULL OR typeof(c.pid) = 'integer' AND typeof(c.seq) = 'integer') THEN p.ck END, c.ck "
         "FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = p.head WHERE p.tid = ?")
_LOOKUP = "SELECT tid, path, pid, head, ck FROM paths WHERE tid = ? AND path = ?"
_HEAD_ONE = (f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = p.head "
             "WHERE p.tid = ? AND p.path = ?")
_AT_ONE = (f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = "
           "(SELECT max(c2.seq) FROM changes c2 WHERE c2.pid = p.pid AND c2.seq <= ?) "
           "WHERE p.tid = ? AND p.path = ?")
_INSERT_CHANGE = ("INSERT INTO changes (pid, seq, value, meta, ck) "
                  "VALUES (?1, ?2, ?3, ?4, zck('changes', ?1, ?2, ?3, ?4))")
_INSERT_PATH = "INSERT INTO paths (tid, path, pid, head, ck) VALUES (?1, ?2, ?3, ?4, zck('paths', ?1, ?2, ?3, ?4))"
_SET_HEAD = "UPDATE paths SET head = ?1, ck = zck('paths', tid, path, pid, ?1) WHERE tid = ?2 AND path = ?3"
_SET_TREE_HEAD = "UPDATE trees SET head = ?1, ck = zck('trees', tid, name, ?1) WHERE tid = ?2"
_SET_META = ("INSERT INTO meta (key, value, ck) VALUES (?1, ?2, zck('meta', ?1, ?2)) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value, ck = excluded.ck")


class Damage:
    """Damaged rows met during one read, reported together at its end."""

    def __init__(self, tree: str) -> None:
        self.tree = tree
        self.paths: list[str] = []
        self.versions: list[str] = []
        self.what: list[str] = []

    def add(self, what: str, path: str = "", version: int | str | None = None) -> None:
        self.what.append(what)
        if path and path not in self.paths:
            self.paths.append(path)
        if version is not None and str(version) not in self.versions:
            self.versions.append(str(version))

    def __bool__(self) -> bool:
        return bool(self.what)

    def error(self) -> E.DataLoss:
        shown = "; ".join(self.what[:5]) + (f"; and {len(self.what) - 5} more" if len(self.what) > 5 else "")
        return E.DataLoss(
            f"damaged data in tree {self.tree!r} was not served: {shown}. The rest of the store is readable; "
            "run zhi-store-sqlite --check and --recover to copy what is intact into a new file",
            {"tree_id": self.tree, "paths": ",".join(self.paths), "versions": ",".join(self.versions)})

    def check(self) -> None:
        if self:
            raise self.error()


@dataclass(frozen=True, slots=True)
class StreamStart:
    """Where a stream reads from: a tree at one fixed version."""

    tree: str
    tid: int
    seq: int
    version: str
    total: int


@dataclass(frozen=True, slots=True)
class DiffStart:
    """Where a diff reads from: two fixed versions of a tree (``lo`` < ``hi``; ``flipped``
    when the caller asked from the newer to the older one)."""

    tree: str
    tid: int
    lo: int
    hi: int
    flipped: bool
    from_total: int
    to_total: int


@dataclass(slots=True)
class _Gathered:
    """A whole-tree stream's values so far (``Engine._gather``)."""

    entries: list[Entry] = field(default_factory=list)
    last: str = ""
    size: int = 0


def _prefix_clause(prefix: str) -> tuple[str, list[Any]]:
    """SQL selecting ``p.path`` under ``prefix`` (same rule as ``core.paths.under_prefix``),
    as an index range plus an exact filter."""
    if not prefix:
        return "", []
    upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    if prefix.endswith("/"):
        return " AND p.path >= ? AND p.path < ?", [prefix, upper]
    return (" AND p.path >= ? AND p.path < ? AND (p.path = ? OR substr(p.path, 1, ?) = ?)",
            [prefix, prefix + "0", prefix, len(prefix) + 1, prefix + "/"])


def _upper(prefix: str) -> str:
    """The smallest string after every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection during a big read: a 100,000-value read builds
    a million objects, and the collections they trigger (full ones over all of them)
    were a sixth of its time. Everything is still freed by reference counting; a
    ``core.gc_control.paused_gc`` running at the same time in-process (the window's
    thread) may see collection back on early, never left off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _carried(entries: list[Entry], puts: Mapping[str, Entry], deletes: Sequence[str], seq: int) -> list[Entry]:
    """A tree's values after a write of a plain store, from its values before it: what a
    read of its rows would give (values as stored: ``null`` for none, no metadata as
    empty), in path order, so a write does not leave the next whole read cold."""
    version = str(seq)
    written = [tuple.__new__(Entry, (path, bytes(e.value_json or b"null"), bytes(e.metadata_json or b""), version))
               for path, e in puts.items()]
    if len(written) + len(deletes) <= max(64, len(entries) // 256):
        # A few changes (an edit saved): each found by bisection, O(log n) for a changed
        # value; a new or deleted path moves the rest of the list once. ``(path,)`` sorts
        # just before the path's Entry.
        out = entries.copy()
        for entry in written:
            i = bisect.bisect_left(out, (entry[0],))
            if i < len(out) and out[i][0] == entry[0]:
                out[i] = entry
            else:
                out.insert(i, entry)
        for path in deletes:
            i = bisect.bisect_left(out, (path,))
            if i < len(out) and out[i][0] == path:
                del out[i]
        return out
    gone = set(puts).union(deletes)
    kept = [e for e in entries if e[0] not in gone] if gone else entries
    # Two sorted runs: Timsort merges them in one pass.
    return sorted(itertools.chain(kept, sorted(written, key=_entry_path)), key=_entry_path)


_entry_path = operator.itemgetter(0)
_PIDS_PER_QUERY = 20_000  # pids named in one "pid IN (...)" of _tree_paths


def _db_error(path: Path, exc: sqlite3.Error) -> E.StoreError:
    text = str(exc)
    if isinstance(exc, sqlite3.DatabaseError) and any(
            word in text for word in ("malformed", "not a database", "corrupt")):
        return E.StoreCorrupt(f"store file {path} is damaged: {text}", {"path": str(path)})
    return E.StoreError(f"SQLite error on {path}: {text}", {"path": str(path)})


class Engine:
    def __init__(self, path: Path, *, author: str = "", scrypt_n: int = DEFAULT_SCRYPT_N, create: bool = False,
                 conn: sqlite3.Connection | None = None, head_cache: int = DEFAULT_LIMIT,
                 structure_check: bool = True) -> None:
        self.path = path
        # The user's name is looked up at the first write (getpass's import is a few ms of
        # every plugin's start, before its handshake, and most starts never write).
        self._author = author
        self.scrypt_n = scrypt_n
        self.encrypted = False
        self.lock_reason = ""
        self._wrapped: bytes | None = None
        self._kdf: KdfParams | None = None
        self._cipher: RowCipher | None = None
        self._data_version: int | None = None
        self._search: SearchIndex | None = None  # built on the first Search (see ``search``)
        self._heads = HeadCache(head_cache)  # trees read whole and found intact (see ``heads``)
        self._unsaved: dict[int, int] = {}  # tid -> seq of kept heads read from rows, to save (``saved_heads``)
        self._gathering: dict[tuple[int, int], _Gathered] = {}  # streams of whole trees (``_gather``)
        # ``conn``: an already open (read-only) connection, for --check / --recover.
        # ``structure_check=False``: SQLite's check of every page is the caller's (SqliteStore runs it beside).
        self.conn = conn if conn is not None else open_database(path, create=create, structure=structure_check)
        try:
            with self._txn():
                pass  # loads the meta table
        except BaseException:
            self.conn.close()
            raise

    # --- plumbing ------------------------------------------------------------
    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()

    @contextlib.contextmanager
    def _txn(self, write: bool = False, *, saving: bool = False) -> Iterator[sqlite3.Connection]:
        """One transaction. ``write``: a write, which drops what is known of the heads,
        here and saved in the file (``saved_heads``); ``saving``: the write that saves them."""
        conn = self.conn
        if write and not saving:  # data_version does not move for this connection's own commits
            self._heads.clear()
            self._unsaved.clear()
            self._gathering.clear()
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as exc:
            raise _db_error(self.path, exc) from exc
        try:
            self._sync_meta()
            if write and not saving and conn.execute(saved_heads.EXISTS).fetchone():
                conn.execute(saved_heads.DELETE_ALL)
            yield conn
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise _db_error(self.path, exc) from exc
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            raise _db_error(self.path, exc) from exc

    def _sync_meta(self) -> None:
        """Reload the encryption state when another connection committed."""
        version = self.conn.execute("PRAGMA data_version").fetchone()[0]
        if version == self._data_version:
            return
        self._data_version = version
        self._heads.clear()  # another connection committed: nothing read before is known to hold
        self._unsaved.clear()
        self._gathering.clear()
        meta = {}
        for key, value, ck in self.conn.execute("SELECT key, value, ck FROM meta"):
            if not row_ok("meta", (key, value), ck):
                raise E.StoreCorrupt(f"store file {self.path} is damaged: its setting {key!r} fails its "
                                     "checksum", {"path": str(self.path)})
            meta[key] = value
        mode = meta.get("encryption", "none")
        if mode == "none":
            self.encrypted, self._wrapped, self._kdf, self._cipher = False, None, None, None
            return
        if mode != CIPHER_NAME or meta.get("kdf") != KDF_NAME:
            raise E.StoreCorrupt(f"store file {self.path} uses unknown encryption {mode!r}/{meta.get('kdf')!r}")
        try:
            params = KdfParams(int(meta["kdf_n"]), int(meta["kdf_r"]), int(meta["kdf_p"]), bytes(meta["kdf_salt"]))
            wrapped = bytes(meta["wrapped_key"])
        except (KeyError, TypeError, ValueError) as exc:
            raise E.StoreCorrupt(f"store file {self.path} has incomplete encryption parameters ({exc})") from None
        params.check()
        if self._wrapped is not None and wrapped != self._wrapped and self._cipher is not None:
            self._cipher = None
            self.lock_reason = ("the store's passphrase was changed by another process: "
                                "unlock it again with the new passphrase")
        self.encrypted, self._wrapped, self._kdf = True, wrapped, params

    def _require_unlocked(self) -> None:
        if self.encrypted and self._cipher is None:
            reason = self.lock_reason or "the store is encrypted and locked: unlock it with its passphrase"
            raise E.StoreLocked(reason, {"path": str(self.path)})

    def _tree(self, name: str) -> tuple[int, int | None] | None:
        row = self.conn.execute("SELECT tid, name, head, ck FROM trees WHERE name = ?", (name,)).fetchone()
        if not row:
            return None
        if not row_ok("trees", row[:3], row[3]):
            damage = Damage(name)
            damage.add(f"the record of tree {name!r} fails its checksum")
            raise damage.error()
        return (row[0], row[2])

    def _existing_tree(self, name: str) -> tuple[int, int | None]:
        tree = self._tree(name)
        if tree is None:
            raise E.NotFound(f"tree {name!r} not found", {"tree_id": name, "path": ""})
        return tree

    def _version_row(self, name: str, row: tuple[Any, ...]) -> tuple[Any, ...]:
        """A versions row (without ck), or DataLoss when it is damaged."""
        if not row_ok("versions", row[:7], row[7]):
            damage = Damage(name)
            damage.add(f"the record of version {row[0]} fails its checksum", version=row[0])
            raise damage.error()
        return tuple(row[:7])

    def _version_seq(self, tid: int, name: str, version: str) -> int:
        if _VERSION_RE.fullmatch(version):
            row = self.conn.execute(f"SELECT {_V} FROM versions WHERE seq = ? AND tid = ?",
                                    (int(version), tid)).fetchone()
            if row:
                return int(self._version_row(name, row)[0])
        raise E.NotFound(f"version {version!r} of tree {name!r} not found",
                         {"tree_id": name, "path": "", "version": version})

    def _seal(self, tree: str, path: str, seq: int, value: bytes, meta: bytes) -> tuple[bytes, bytes | None]:
        if self._cipher is None:
            return value, meta
        return self._cipher.seal_value(tree, path, seq, value, meta), None

    def _open(self, tree: str, path: str, seq: int, value: bytes, meta: bytes | None) -> tuple[bytes, bytes]:
        if self._cipher is None:
            return bytes(value), bytes(meta or b"")
        return self._cipher.open_value(tree, path, seq, value)

    def _entry(self, tree: str, path: str, seq: int, value: bytes, meta: bytes | None) -> Entry:
        plain_value, plain_meta = self._open(tree, path, seq, value, meta)
        return Entry(path, plain_value, plain_meta, str(seq))

    def _pair(self, damage: Damage, row: Sequence[Any], at_head: bool) -> tuple[str, int, Any, Any] | None:
        """Check one ``_P, _C`` row: (path, seq, value, meta) of an intact
        pair (value None = deleted at that version); None when there is no
        change (path absent at that version) or it is damaged (recorded)."""
        tid, path, pid, head, pck, cpid, cseq, value, meta, cck = row  # one unpack: this runs per row
        if paths_ck(tid, path, pid, head) != pck:
            damage.add(f"the index row of path {path!r} fails its checksum", path=str(path))
            return None
        if at_head and head is None:
            return None  # deleted (checked here, not in SQL, where damage could fake it)
        if cpid is None:
            if at_head:  # the head points at a change row that is not there
                damage.add(f"the value of {path!r} (version {head}) is missing", path=path, version=head)
            return None
        if cpid != pid or changes_ck(cpid, cseq, value, meta) != cck:
            damage.add(f"the value of {path!r} (version {cseq}) fails its checksum", path=path, version=cseq)
            return None
        return path, cseq, value, meta

    def _entries(self, damage: Damage, name: str, rows: Iterable[Sequence[Any]], at_head: bool) -> list[Entry]:
        if self._cipher is None:
            return self._plain_entries(damage, rows, at_head)
        out = []
        for row in rows:
            pair = self._pair(damage, row, at_head)
            if pair is None or pair[2] is None:
                continue
            path, seq, value, meta = pair
            try:
                out.append(self._entry(name, path, seq, value, meta))
            except E.StoreCorrupt:  # an encrypted row that fails authentication
                damage.add(f"the encrypted value of {path!r} (version {seq}) fails authentication", path=path,
                           version=seq)
        return out

    def _plain_entries(self, damage: Damage, rows: Iterable[Sequence[Any]], at_head: bool) -> list[Entry]:
        """``_entries`` of an unencrypted store: ``_pair`` inlined for an intact row
        (a 100,000-value read spent a third of its time in calls per row)."""
        out: list[Entry] = []
        add = out.append
        pair = self._pair
        for row in rows:
            tid, path, pid, head, pck, cpid, cseq, value, meta, cck = row
            if (value is None or cpid != pid or (at_head and head is None)
                    or paths_ck(tid, path, pid, head) != pck or changes_ck(cpid, cseq, value, meta) != cck):
                # Anything but an intact value: _pair decides (deleted, absent or damaged).
                checked = pair(damage, row, at_head)
                if checked is None or checked[2] is None:
                    continue
                path, cseq, value, meta = checked
            add(Entry(path, bytes(value), bytes(meta or b""), str(cseq)))
        return out

    def _message(self, tree: str, seq: int, message: Any) -> str:
        if not message:
            return ""
        if self._cipher is None:
            return str(message)
        return self._cipher.open_message(tree, seq, bytes(message))

    def _seal_message(self, tree: str, seq: int, message: str) -> Any:
        if not message or self._cipher is None:
            return message
        return self._cipher.seal_message(tree, seq, message)

    # --- state ---------------------------------------------------------------
    def encryption(self) -> Encryption:
        with self._txn():
            return Encryption.ACTIVE if self.encrypted else Encryption.SUPPORTED

    def locked(self) -> bool:
        with self._txn():
            return self.encrypted and self._cipher is None

    def list_trees(self) -> list[str]:
        with self._txn() as conn:
            names = []
            for tid, name, head, ck in conn.execute("SELECT tid, name, head, ck FROM trees ORDER BY name"):
                if not row_ok("trees", (tid, name, head), ck):
                    damage = Damage(str(name))
                    damage.add(f"the record of tree number {tid} fails its checksum")
                    raise damage.error()
                names.append(name)
            return names

    def delete_tree(self, name: str) -> None:
        self._drop_search()
        with self._txn(write=True) as conn:
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None:
                return
            tid = tree[0]
            conn.execute("DELETE FROM changes WHERE pid IN (SELECT pid FROM paths WHERE tid = ?)", (tid,))
            conn.execute("DELETE FROM paths WHERE tid = ?", (tid,))
            conn.execute("DELETE FROM versions WHERE tid = ?", (tid,))
            conn.execute("DELETE FROM trees WHERE tid = ?", (tid,))

    # --- reads ---------------------------------------------------------------
    def get_values(self, name: str, paths: Sequence[str]) -> list[Entry]:
        with self._txn(), _gc_paused():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None or tree[1] is None:
                return []
            return self._at_head(name, tree[0], tree[1], paths)

    def values_answer(self, name: str, paths: Sequence[str]) -> bytes | None:
        """``get_values`` as GetValues's answer in protocol bytes, when the tree is at hand
        whole (kept, or read whole now from its saved copy or its rows, as ``get_values``
        would for these paths): each value's part is kept with the tree, so the answer
        is a join (``heads.Head.answer``). None: ``get_values`` answers (a few paths, a
        damaged row: its general read says what is wrong)."""
        with self._txn(), _gc_paused():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None or tree[1] is None:
                return b""
            tid, seq = tree[0], tree[1]
            head = self._heads.get(tid, seq)
            if head is None and (not paths or self._most_of_tree(tid, paths)):
                head = self._head(name, tid, seq)
            if head is None:
                return None
            answer = head.answer(paths)
            self._heads.grow(tid, head)
            return answer

    def _at_head(self, name: str, tid: int, seq: int, paths: Sequence[str]) -> list[Entry]:
        """The values of ``paths`` (all for none) at the tree's head ``seq``, in the order
        asked. Whole-tree reads go through the head cache (``_head``); damage found on
        the way is answered by the general read, as it always was."""
        head = self._heads.get(tid, seq)
        if head is not None:
            return head.pick(paths)
        # Most of the tree asked: read it whole. ``pick`` drops duplicates after its check for
        # the whole tree in order, which a host reading all asks and which needs no set.
        whole = not paths or self._most_of_tree(tid, paths)
        if whole:
            head = self._head(name, tid, seq)
            if head is not None:
                return head.pick(paths)
            if not paths:
                return self._checked_rows(name, tid, seq, True, "", "", 0)
        wanted = list(dict.fromkeys(paths))
        if not whole and not self.encrypted:
            entries = self._fast_entries(tid, (
                (_FAST + f" AND p.path IN ({', '.join('?' * len(batch))})", [tid, *batch])
                for batch in (wanted[start:start + 500] for start in range(0, len(wanted), 500))))
            if entries is not None:
                return Head(seq, entries, 0).pick(wanted, unique=True)
        damage = Damage(name)
        out = self._entries(damage, name, self._rows_of_paths(tid, wanted), True)
        damage.check()
        return out

    def _utf8(self, read: Callable[[], T]) -> T | None:
        """``read()`` with TEXT decoded by sqlite3 itself (``tolerant_text`` is a Python
        call per value, for a fast read); None when some text is not UTF-8: that is
        damage, which the general read then reports."""
        self.conn.text_factory = str
        try:
            return read()
        except sqlite3.OperationalError as exc:
            if str(exc).startswith("Could not decode"):
                return None
            raise
        finally:
            self.conn.text_factory = tolerant_text

    def _fast_entries(self, tid: int, queries: Iterable[tuple[str, Sequence[Any]]]) -> list[Entry] | None:
        """``integrity.head_entries`` of the rows of ``_FAST`` queries (run one after the
        other as the rows are checked); None when any row is not plainly intact."""
        execute = self.conn.execute
        return self._utf8(lambda: head_entries(tid, itertools.chain.from_iterable(
            execute(sql, params) for sql, params in queries)))

    def _most_of_tree(self, tid: int, paths: Sequence[str]) -> bool:
        """Whether ``paths`` ask for most of the tree (duplicates counted: a guess at the
        cheaper read, either answers alike), so that reading it whole costs less."""
        return len(paths) >= WHOLE_FROM and 2 * len(paths) >= int(
            self.conn.execute("SELECT count(*) FROM paths WHERE tid = ?", (tid,)).fetchone()[0])

    def _head(self, name: str, tid: int, seq: int) -> Head | None:
        """Every live value of the tree at its head ``seq``, each row checked: from the
        head cache, or read whole (and kept there). None when a row is damaged: nothing
        is kept, and the caller's general read says what is wrong with what it asked."""
        head = self._heads.get(tid, seq)
        if head is not None:
            return head
        saved = None if self.encrypted else self._saved_head(tid, seq)
        if saved is not None:
            return self._keep_saved(tid, seq, saved)
        self._collect_before_freeze()
        entries: list[Entry] | None
        payload: int | None = None
        if not self.encrypted:
            read = self._utf8(lambda: head_rows(tid, self.conn.execute(_FAST + " ORDER BY p.path", (tid,))))
            entries, payload = read if read is not None else (None, None)
        else:
            damage = Damage(name)
            entries = self._entries(damage, name, self._scan(tid, seq, True, "", "", 0), True)
            if damage:
                entries = None
        if entries is None:
            return None
        head = self._keep(tid, seq, entries, payload, save=True)
        return head if head is not None else Head(seq, entries, 0)

    def _collect_before_freeze(self) -> None:
        if self._heads.limit:
            # Garbage cycles left by earlier work are collected first, while there is little
            # to walk (the plugin froze its start-up; kept trees are frozen): the freeze
            # after the read would keep them for good.
            gc.collect()

    def _keep_saved(self, tid: int, seq: int, saved: saved_heads.SavedHead) -> Head:
        """Keep a tree read from its saved copy (saved already): its answer in protocol
        bytes as saved, its values made when first needed (a host reading the whole tree
        needs none of them), then frozen out of the collector's scans as ``_keep`` does."""

        def make_entries() -> list[Entry]:
            self._collect_before_freeze()
            entries = saved.entries()
            gc.freeze()
            return entries

        head = self._heads.put_lazy(tid, seq, saved.paths, make_entries, saved.payload)
        if head is None:
            head = Head(seq, None, 0, make_entries, _paths=saved.paths)
        head.wire, head.wire_ends = saved.wire, saved.wire_ends
        self._heads.grow(tid, head)
        return head

    def _keep(self, tid: int, seq: int, entries: list[Entry], payload: int | None, *, save: bool,
              freeze: bool = True) -> Head | None:
        """Keep a tree's values at ``seq`` (``heads``; None when too big) and, with ``save``,
        save them in the file when the plugin stops (``saved_heads``: plain trees of
        ``SAVE_FROM`` values or more). ``freeze``: kept for as long as the file is
        unchanged, so out of the collector's scans (as ``core.gc_control`` does after a
        load); else the first collection after a read walked every new value once
        (100,000: a 40-70 ms pause inside the first answer). Reference counting still
        frees them when the cache drops them."""
        head = self._heads.put(tid, seq, entries, payload)
        if head is None:
            return None
        if save and not self.encrypted and len(entries) >= saved_heads.SAVE_FROM:
            self._unsaved[tid] = seq
        if freeze:
            gc.freeze()
        return head

    def _gather(self, start: StreamStart, after: str, entries: list[Entry], last: str, done: bool) -> None:
        """Keep the chunks of a stream of the whole tree read from its rows, and keep the tree
        (``heads``, saved when the plugin stops) once the stream has read it to its end, as a whole read
        does: a window reads its tree by streaming. Bounded by the head cache's limit; a chunk
        that does not follow the one before (another stream, a restart) starts over or stops."""
        key = (start.tid, start.seq)
        if not after:
            self._gathering.clear()  # one at a time: a stream given up on holds no memory for long
            gathered = self._gathering[key] = _Gathered()
        else:
            found = self._gathering.get(key)
            if found is None or found.last != after:
                self._gathering.pop(key, None)
                return
            gathered = found
        gathered.entries += entries
        gathered.last = last
        gathered.size += estimate(entries)
        if gathered.size > self._heads.limit:
            del self._gathering[key]
            return
        if not done:
            return
        del self._gathering[key]
        if len(gathered.entries) == start.total:
            payload = gathered.size - PER_VALUE * len(gathered.entries)
            self._keep(start.tid, start.seq, gathered.entries, payload, save=True)

    def _saved_head(self, tid: int, seq: int) -> saved_heads.SavedHead | None:
        """The tree's values at ``seq`` from its saved head, when there is a sound one."""
        if not self.conn.execute(saved_heads.EXISTS).fetchone():
            return None
        try:
            row = self.conn.execute(saved_heads.SELECT, (tid, seq)).fetchone()
        except sqlite3.OperationalError:  # the table of an earlier version: never read, replaced at the next save
            return None
        if row is None:
            return None
        read = saved_heads.decode(tid, seq, row)
        if read is None:
            log.warning("the saved copy of tree number %d (version %d) in %s is damaged: ignored, the tree is "
                        "read from its rows", tid, seq, self.path)
        return read

    def unsaved_heads(self) -> bool:
        """Whether trees were read whole from their rows and not saved yet (``save_heads``)."""
        return bool(self._unsaved)

    def save_heads(self) -> int:
        """Save the heads read whole since the last write (``saved_heads``), in one write
        transaction that keeps them here; the number saved. Nothing when the file changed
        meanwhile (the heads were dropped) or the store is encrypted."""
        if not self._unsaved:
            return 0
        saved = 0
        # Another writer holding the file: no waiting (the busy timeout is 10 s), it is a copy.
        self.conn.execute("PRAGMA busy_timeout=50")
        try:
            with self._txn(write=True, saving=True) as conn:
                if self.encrypted:
                    return 0
                if "wire" not in {name for (name,) in conn.execute(saved_heads.COLUMNS)}:
                    conn.execute(saved_heads.DROP)  # an earlier version's table (or none): made anew
                conn.execute(saved_heads.CREATE)
                for tid, seq in list(self._unsaved.items()):
                    head = self._heads.get(tid, seq)
                    current = conn.execute("SELECT head FROM trees WHERE tid = ?", (tid,)).fetchone()
                    row = None
                    if head is not None and current == (seq,):
                        wire = head.answer(())  # made now if no read asked for it yet
                        self._heads.grow(tid, head)
                        row = saved_heads.encode(tid, seq, head.entries, wire, head.wire_ends or ())
                    if row is not None:
                        conn.execute(saved_heads.INSERT, row)
                        saved += 1
        finally:
            self._unsaved.clear()  # one try per read whole
            self.conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return saved

    def _rows_of_paths(self, tid: int, paths: list[str]) -> list[tuple[Any, ...]]:
        """``_P, _C`` rows of these paths at the head, in the order asked: one query per
        500 paths (a query per path cost most of a 100,000-path read)."""
        found: dict[str, tuple[Any, ...]] = {}
        if self._most_of_tree(tid, paths):
            # Most of the tree asked for (a host reading all it shows): one pass over the
            # tree's rows costs about half the CPU of looking each path up.
            wanted = set(paths)
            sql = f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = p.head "
            for row in self.conn.execute(sql + "WHERE p.tid = ?", (tid,)):
                if row[1] in wanted:
                    found[str(row[1])] = row
            return [found[p] for p in paths if p in found]
        for start in range(0, len(paths), 500):
            batch = paths[start:start + 500]
            sql = (f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = p.head "
                   f"WHERE p.tid = ? AND p.path IN ({', '.join('?' * len(batch))})")
            for row in self.conn.execute(sql, [tid, *batch]):
                found[str(row[1])] = row
        return [found[p] for p in paths if p in found]

    def _rows(self, name: str, tid: int, seq: int, at_head: bool, prefix: str, after: str,
              limit: int) -> list[Entry]:
        """The state of a tree at ``seq`` (its head when ``at_head``), ordered by path."""
        if at_head and not (prefix or after or limit) and (head := self._head(name, tid, seq)) is not None:
            return head.pick(())
        return self._checked_rows(name, tid, seq, at_head, prefix, after, limit)

    def _checked_rows(self, name: str, tid: int, seq: int, at_head: bool, prefix: str, after: str,
                      limit: int) -> list[Entry]:
        """``_rows`` by the general read (every row checked, damage reported)."""
        damage = Damage(name)
        out = self._entries(damage, name, self._scan(tid, seq, at_head, prefix, after, limit), at_head)
        damage.check()
        return out

    def _scan(self, tid: int, seq: int, at_head: bool, prefix: str, after: str,
              limit: int) -> list[tuple[Any, ...]]:
        """``_P, _C`` rows of a tree at ``seq``, ordered by path, unchecked."""
        where, args = _prefix_clause(prefix)
        if after:
            where += " AND p.path > ?"
            args.append(after)
        tail = " ORDER BY p.path" + (" LIMIT ?" if limit else "")
        if limit:
            args.append(limit)
        if at_head:
            sql = (f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c ON c.pid = p.pid AND c.seq = p.head "
                   "WHERE p.tid = ?" + where + tail)
            params: list[Any] = [tid, *args]
        else:
            # Deletions (value NULL) are dropped after the row is checked, not in SQL,
            # so a damaged row cannot hide as a deletion.
            # LEFT JOIN: every path row of the tree is seen (and checked), also one
            # whose damaged pid would otherwise just find no change.
            sql = (f"SELECT {_P}, {_C} FROM paths p LEFT JOIN changes c "
                   "ON c.pid = p.pid AND c.seq = (SELECT max(c2.seq) FROM changes c2 "
                   "WHERE c2.pid = p.pid AND c2.seq <= ?) WHERE p.tid = ?" + where + tail)
            params = [seq, tid, *args]
        return self.conn.execute(sql, params).fetchall()

    def _count(self, tid: int, seq: int, at_head: bool, prefix: str) -> int:
        where, args = _prefix_clause(prefix)
        if at_head:
            sql = "SELECT count(*) FROM paths p WHERE p.tid = ? AND p.head IS NOT NULL" + where
            params: list[Any] = [tid, *args]
        else:
            sql = ("SELECT count(*) FROM paths p WHERE p.tid = ? AND (SELECT c.value IS NOT NULL FROM changes c "
                   "WHERE c.pid = p.pid AND c.seq <= ? ORDER BY c.seq DESC LIMIT 1)" + where)
            params = [tid, seq, *args]
        return int(self.conn.execute(sql, params).fetchone()[0])

    def list_versions(self, name: str) -> list[str]:
        with self._txn() as conn:
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None:
                return []
            damage = Damage(name)
            out = []
            for row in conn.execute(f"SELECT {_V} FROM versions WHERE tid = ? ORDER BY seq DESC", (tree[0],)):
                if row_ok("versions", row[:7], row[7]):
                    out.append(str(row[0]))
                else:
                    damage.add(f"the record of version {row[0]} fails its checksum", version=row[0])
            damage.check()
            return out

    def get_version(self, name: str, version: str, paths: Sequence[str]) -> list[Entry]:
        with self._txn() as conn, _gc_paused():
            self._require_unlocked()
            tid, head = self._existing_tree(name)
            seq = self._version_seq(tid, name, version)
            if seq == head:  # the current version: the head read (and its cache) answers
                return self._at_head(name, tid, seq, paths)
            if not paths:
                return self._rows(name, tid, seq, False, "", "", 0)
            damage = Damage(name)
            rows = [row for path in dict.fromkeys(paths)
                    if (row := conn.execute(_AT_ONE, (seq, tid, path)).fetchone())]
            out = self._entries(damage, name, rows, False)
            damage.check()
            return out

    def list_paths(self, name: str, prefix: str, version: str) -> list[str]:
        with self._txn():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None:
                if version:
                    raise E.NotFound(f"tree {name!r} not found", {"tree_id": name, "path": ""})
                return []
            tid, head = tree
            seq = self._version_seq(tid, name, version) if version else (head or 0)
            cached = self._heads.get(tid, seq) if not version else None
            if cached is not None:
                return [e.path for e in cached.chunk(prefix, "", 0)[0]]
            damage = Damage(name)
            out = []
            for row in self._scan(tid, seq, not version, prefix, "", 0):
                pair = self._pair(damage, row, not version)
                if pair is not None and pair[2] is not None:
                    out.append(pair[0])
            damage.check()
            return out

    def stream_start(self, name: str, version: str, prefix: str) -> StreamStart | None:
        with self._txn():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None:
                if version:
                    raise E.NotFound(f"tree {name!r} not found", {"tree_id": name, "path": ""})
                return None
            tid, head = tree
            if version:
                seq = self._version_seq(tid, name, version)
            elif head is None:
                return None
            else:
                seq = head
            return StreamStart(name, tid, seq, str(seq), self._count(tid, seq, seq == head, prefix))

    def stream_chunk(self, start: StreamStart, prefix: str, after: str, limit: int) -> tuple[list[Entry], str, bool]:
        """(entries, the last path looked at, whether the tree was read to its end). Deleted
        paths are skipped after their rows are checked, so a chunk may hold fewer than ``limit``
        (not so from the head cache, which holds live values only)."""
        with self._txn(), _gc_paused():
            self._require_unlocked()
            tree = self._tree(start.tree)
            if tree is None or tree[0] != start.tid:
                raise E.NotFound(f"tree {start.tree!r} was deleted while it was being read",
                                 {"tree_id": start.tree, "path": ""})
            self._version_seq(start.tid, start.tree, start.version)  # deleted meanwhile -> NotFound
            at_head = tree[1] == start.seq
            head = self._heads.get(start.tid, start.seq) if at_head else None
            if head is not None:
                return head.chunk(prefix, after, limit)
            if at_head and not self.encrypted and limit:
                where, args = _prefix_clause(prefix)
                if after:
                    where += " AND p.path > ?"
                    args.append(after)
                sql = _FAST + where + " ORDER BY p.path LIMIT ?"
                fast = self._utf8(lambda: self.conn.execute(sql, [start.tid, *args, limit]).fetchall())
                entries = head_entries(start.tid, fast) if fast is not None else None
                if fast is not None and entries is not None:
                    last, done = (str(fast[-1][0]) if fast else after), len(fast) < limit
                    if not prefix:
                        self._gather(start, after, entries, last, done)
                    return entries, last, done
            rows = self._scan(start.tid, start.seq, at_head, prefix, after, limit)
            damage = Damage(start.tree)
            entries = self._entries(damage, start.tree, rows, at_head)
            damage.check()
            return entries, (str(rows[-1][1]) if rows else after), len(rows) < limit

    def diff_start(self, name: str, from_version: str, to_version: str, prefix: str) -> DiffStart:
        """Resolve the two versions of a diff ('' = current) and count each side."""
        with self._txn():
            self._require_unlocked()
            tid, head = self._existing_tree(name)
            a = self._version_seq(tid, name, from_version) if from_version else (head or 0)
            b = self._version_seq(tid, name, to_version) if to_version else (head or 0)
            totals = [self._count(tid, seq, seq == head, prefix) if seq else 0 for seq in (a, b)]
            return DiffStart(name, tid, min(a, b), max(a, b), a > b, totals[0], totals[1])

    def diff_chunk(self, start: DiffStart, prefix: str, after: str, limit: int) -> tuple[list[DiffEntry], str, bool]:
        """Paths of the tree changed by a version in ``(lo, hi]`` (read from the history
        rows' index by seq, not from two whole snapshots), after ``after``, in path order:
        (the ones whose entry differs, the last path looked at, whether this was the end)."""
        from zhi_gui.core.model import DiffEntry

        with self._txn() as conn:
            self._require_unlocked()
            tree = self._tree(start.tree)
            if tree is None or tree[0] != start.tid:
                raise E.NotFound(f"tree {start.tree!r} was deleted while it was being read",
                                 {"tree_id": start.tree, "path": ""})
            if start.lo == start.hi:
                return [], after, True
            where, args = _prefix_clause(prefix)
            if after:
                where += " AND p.path > ?"
                args.append(after)
            sql = (f"SELECT {_P}, {_C}, cb.pid, cb.seq, cb.value, cb.meta, cb.ck FROM paths p "
                   "LEFT JOIN changes c ON c.pid = p.pid AND c.seq = "
                   "(SELECT max(x.seq) FROM changes x WHERE x.pid = p.pid AND x.seq <= ?1) "
                   "LEFT JOIN changes cb ON cb.pid = p.pid AND cb.seq = "
                   "(SELECT max(x.seq) FROM changes x WHERE x.pid = p.pid AND x.seq <= ?2) "
                   "WHERE p.tid = ?3 AND p.pid IN (SELECT pid FROM changes INDEXED BY changes_by_seq "
                   "WHERE seq > ?1 AND seq <= ?2)" + where.replace("?", "?{}").format(
                       *range(4, 4 + len(args))) + f" ORDER BY p.path LIMIT ?{4 + len(args)}")
            rows = conn.execute(sql, [start.lo, start.hi, start.tid, *args, limit]).fetchall()
            damage = Damage(start.tree)
            out: list[DiffEntry] = []
            for row in rows:
                sides: list[Entry | None] = []
                for pair in (self._pair(damage, row[:10], False), self._pair(damage, row[:5] + row[10:], False)):
                    if pair is None or pair[2] is None:
                        sides.append(None)
                        continue
                    path, seq, value, meta = pair
                    try:
                        sides.append(self._entry(start.tree, path, seq, value, meta))
                    except E.StoreCorrupt:
                        damage.add(f"the encrypted value of {path!r} (version {seq}) fails authentication",
                                   path=path, version=seq)
                        sides.append(None)
                old, new = sides
                if start.flipped:
                    old, new = new, old
                if old is None and new is None:
                    continue
                if old is not None and new is not None and old.value_json == new.value_json \
                        and old.metadata_json == new.metadata_json:
                    continue  # written again with the same value
                out.append(DiffEntry(str(row[1]), old, new))
            damage.check()
            return out, (str(rows[-1][1]) if rows else after), len(rows) < limit

    # --- big trees: children with counts, search -------------------------------
    def _drop_search(self) -> None:
        """History rewritten, trees deleted, keys changed or the store locked: the index
        is dropped (rebuilt at the next search; no plaintext kept while locked)."""
        if self._search is not None:
            with contextlib.suppress(sqlite3.Error):
                self._search.forget()

    def _alive(self, seq: int, at_head: bool) -> tuple[str, list[Any]]:
        if at_head:
            return "p.head IS NOT NULL", []
        return ("(SELECT c.value IS NOT NULL FROM changes c WHERE c.pid = p.pid AND c.seq <= ? "
                "ORDER BY c.seq DESC LIMIT 1)", [seq])

    def list_children(self, name: str, prefix: str, version: str) -> tuple[list[ChildInfo], str]:
        """The direct children of ``prefix`` ('' = the root) with the number of values at
        or below each, and the child's own value where one lives exactly there. Each next
        child is found by an index seek past the previous one's subtree (no scan of the
        tree), each count is one range count."""
        from zhi_gui.core.model import ChildInfo

        with self._txn() as conn:
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None or (tree[1] is None and not version):
                if version:
                    raise E.NotFound(f"tree {name!r} not found", {"tree_id": name, "path": ""})
                return [], ""
            tid, head = tree
            seq = self._version_seq(tid, name, version) if version else int(head or 0)
            at_head = seq == head
            alive, alive_args = self._alive(seq, at_head)
            cached = self._heads.get(tid, seq) if at_head else None
            base = prefix.strip("/") + "/" if prefix.strip("/") else ""
            first = ("SELECT p.path FROM paths p WHERE p.tid = ? AND p.path > ? AND p.path < ? AND " + alive
                     + " ORDER BY p.path LIMIT 1")
            below = "SELECT count(*) FROM paths p WHERE p.tid = ? AND p.path > ? AND p.path < ? AND " + alive
            end = _upper(base) if base else "\U0010ffff"
            out: list[ChildInfo] = []
            seen: set[str] = set()
            cursor = base
            while True:
                row = conn.execute(first, [tid, cursor, end, *alive_args]).fetchone()
                if row is None:
                    break
                name_ = str(row[0])[len(base):].split("/", 1)[0]
                child = base + name_
                past = child + "/\U0010ffff"  # after every path below child (segment chars are ASCII)
                if name_ in seen:  # back below a child after its "-"/"." siblings: skip its subtree
                    cursor = past
                    continue
                seen.add(name_)
                values = int(conn.execute(below, [tid, child + "/", past, *alive_args]).fetchone()[0])
                own = cached.pick([child]) if cached is not None else self._rows_at(name, tid, seq, at_head, [child])
                out.append(ChildInfo(name_, values + len(own), values > 0, own[0] if own else None))
                # Siblings continuing the name with "-" or "." sort between "child" and
                # "child/": the next seek from "child" finds them; else skip the subtree.
                near = conn.execute(first, [tid, child, child + "/", *alive_args]).fetchone()
                cursor = child if near is not None else past
            return out, str(seq)

    def _rows_at(self, name: str, tid: int, seq: int, at_head: bool, paths: Sequence[str]) -> list[Entry]:
        damage = Damage(name)
        query = _HEAD_ONE if at_head else _AT_ONE
        rows = [row for p in paths
                if (row := self.conn.execute(query, (tid, p) if at_head else (seq, tid, p)).fetchone())]
        out = self._entries(damage, name, rows, at_head)
        damage.check()
        return out

    def _search_index(self) -> SearchIndex:
        # imported here: a plugin that never searches does not pay for it at start-up
        from zhi_gui.stores.sqlite.search import SearchIndex

        if self._search is None:  # outside a transaction: it sets where TEMP data lives
            try:
                self._search = SearchIndex(self.conn)
            except sqlite3.Error as exc:
                raise _db_error(self.path, exc) from exc
        return self._search

    def search(self, name: str, query: str, version: str, limit: int,
               stop: threading.Event | None = None) -> tuple[list[str], int, str]:
        """Paths whose key or value text contains ``query`` (case-insensitive; secrets by
        key only), in path order, at most ``limit``; and how many match in all. Answered
        by the FTS5 index once it is built (``search_index_step``), by a scan until then;
        a scan ends (``Stopped``) once ``stop`` is set: its caller gave up."""
        index = self._search_index()
        with self._txn():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None or (tree[1] is None and not version):
                if version:
                    raise E.NotFound(f"tree {name!r} not found", {"tree_id": name, "path": ""})
                return [], 0, ""
            tid, head = tree
            seq = self._version_seq(tid, name, version) if version else int(head or 0)
            if seq == head and index.is_current(tid, seq):
                paths, total = index.search(tid, query, limit)
                return paths, total, str(seq)
            hits, total = self._scan_search(name, tid, seq, seq == head, query.lower(), limit, stop)
            return hits, total, str(seq)

    def _scan_search(self, name: str, tid: int, seq: int, at_head: bool, needle: str,
                     limit: int, stop: threading.Event | None = None) -> tuple[list[str], int]:
        """Search without the index. At the head of a store that is not encrypted, SQL picks
        the candidates (ASCII case folding) and the ones returned are checked as a read is
        (checksum) and against the window's rule (secrets by key only); else every row."""
        from zhi_gui.stores.sqlite.search import search_text

        if not at_head or self.encrypted or not needle.isascii():
            rows = self._rows(name, tid, seq, at_head, "", "", 0)
            hits = [e.path for e in (rows if stop is None else _until_stopped(rows, stop)) if needle in search_text(e)]
            return (hits[:limit] if limit else hits), len(hits)
        sql = (f"SELECT {_P}, {_C} FROM paths p JOIN changes c ON c.pid = p.pid AND c.seq = p.head "
               "WHERE p.tid = ? AND p.head IS NOT NULL AND instr(lower(p.path || char(10) || "
               "CAST(substr(c.value, 1, ?) AS TEXT)), ?) > 0 ORDER BY p.path")
        rows = self.conn.execute(sql, (tid, PREVIEW_BYTES, needle)).fetchall()
        damage = Damage(name)
        hits = []
        checked = 0
        for start in range(0, len(rows), 1000):  # checked as far as needed for ``limit`` paths
            if stop is not None and stop.is_set():
                raise Stopped("the search was stopped by its caller")
            entries = self._entries(damage, name, rows[start:start + 1000], True)
            checked = start + 1000
            hits.extend(e.path for e in entries if needle in search_text(e))
            if limit and len(hits) >= limit:
                break
        damage.check()
        # Candidates not checked count as matches: only a secret whose value (not key)
        # matches would be counted wrongly, in the total, never in the paths.
        total = len(hits) + max(0, len(rows) - checked)
        return (hits[:limit] if limit else hits), total

    def search_index_step(self, name: str, rows: int) -> bool:
        """Add the next ``rows`` values of the tree's head to the search index (a slice of
        building it in the background, between other requests). True when it is complete
        (or cannot be built: no FTS5, no such tree)."""
        index = self._search_index()
        with self._txn():
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None or tree[1] is None or not index.available:
                return True
            tid, head = tree[0], int(tree[1])
            if index.is_current(tid, head):
                return True
            state = index.building.get(tid)
            if state is None or state[0] != head:  # not started, or the tree moved on: from the start
                index.begin(tid, head)
                after = ""
            else:
                after = state[1]
            scanned = self._scan(tid, head, True, "", after, rows)
            damage = Damage(name)
            pairs = []
            for row in scanned:
                pair = self._pair(damage, row, True)
                if pair is None or pair[2] is None:
                    continue
                path, cseq, value, meta = pair
                pairs.append((int(row[2]), self._entry(name, path, cseq, value, meta)))
            damage.check()
            index.add(tid, pairs, str(scanned[-1][1]) if scanned else after)
            if len(scanned) < rows:
                index.finish(tid)
                return True
            return False

    def describe_versions(self, name: str, offset: int, limit: int, versions: Sequence[str]) -> VersionPage:
        from zhi_gui.core.model import VersionInfo, VersionPage

        with self._txn() as conn:
            self._require_unlocked()
            tree = self._tree(name)
            if tree is None:
                return VersionPage((), 0)
            tid = tree[0]
            total = int(conn.execute("SELECT count(*) FROM versions WHERE tid = ?", (tid,)).fetchone()[0])
            cols = f"SELECT {_V} FROM versions WHERE tid = ?"
            if versions:
                rows = []
                for vid in versions:
                    if _VERSION_RE.fullmatch(vid):
                        row = conn.execute(cols + " AND seq = ?", (tid, int(vid))).fetchone()
                        if row:
                            rows.append(row)
            else:
                rows = conn.execute(cols + " ORDER BY seq DESC LIMIT ? OFFSET ?",
                                    (tid, limit if limit > 0 else -1, max(offset, 0))).fetchall()
            damage = Damage(name)
            infos = []
            for row in rows:
                seq, _tid, time, author, message, kind, changed = row[:7]
                if not row_ok("versions", row[:7], row[7]):
                    damage.add(f"the record of version {seq} fails its checksum", version=seq)
                    continue
                try:
                    text = self._message(name, seq, message)
                except E.StoreCorrupt:
                    damage.add(f"the encrypted message of version {seq} fails authentication", version=seq)
                    continue
                infos.append(VersionInfo(str(seq), time, author, text, int(changed), kind))
            damage.check()
            return VersionPage(tuple(infos), total)

    # --- writes --------------------------------------------------------------
    def write(self, name: str, entries: Sequence[Entry], deletes: Sequence[str], cas_version: str,
              cas_versions: Mapping[str, str] | None, message: str, author: str) -> str:
        puts: dict[str, Entry] = {}
        for entry in entries:
            puts[entry.path] = entry
        dels = list(dict.fromkeys(deletes))
        both = [p for p in dels if p in puts]
        if both:
            raise E.InvalidArgument(f"path {both[0]!r} is both written and deleted in one write",
                                    {"path": both[0]})
        expected = expected_versions(entries, cas_versions)
        kept = self._heads.kept()  # the write drops them; the written tree's goes on (``_carried``)
        carried: tuple[int, int, list[Entry]] | None = None
        with self._txn(write=True) as conn:
            self._require_unlocked()
            tree = self._tree(name)
            head_id = str(tree[1]) if tree and tree[1] is not None else ""
            if cas_version and cas_version != head_id:
                raise conflict("", cas_version, head_id)
            known: dict[str, tuple[int, int | None]] = {}
            if tree is not None:
                damage = Damage(name)
                for path in itertools.chain(puts, dels, expected):
                    if path not in known:
                        row = conn.execute(_LOOKUP, (tree[0], path)).fetchone()
                        if row and not row_ok("paths", row[:4], row[4]):
                            damage.add(f"the index row of path {path!r} fails its checksum", path=path)
                        elif row:
                            known[path] = (row[2], row[3])
                damage.check()  # never write on top of a damaged row
            for path, want in expected.items():
                info = known.get(path)
                actual = str(info[1]) if info and info[1] is not None else ""
                if want != actual:
                    raise conflict(path, want, actual)
            live_dels = [p for p in dels if p in known and known[p][1] is not None]
            if not puts and not live_dels:
                return head_id  # nothing to do: no version, no tree
            if tree is None:
                tid = int(conn.execute("INSERT INTO trees (name) VALUES (?)", (name,)).lastrowid or 0)
            else:
                tid = tree[0]
            seq = self._new_version(tid, name, author, message, "write" if puts else "delete",
                                    len(puts) + len(live_dels))
            fresh = [p for p in puts if p not in known]
            fresh_set = set(fresh)
            next_pid = self._allocate_pids(len(fresh))
            new_rows = []
            for offset, path in enumerate(fresh):
                known[path] = (next_pid + offset, None)
                new_rows.append((tid, path, next_pid + offset, seq))
            rows = []
            for path, entry in puts.items():
                value, meta = self._seal(name, path, seq, entry.value_json or b"null", entry.metadata_json)
                rows.append((known[path][0], seq, value, meta))
            conn.executemany(_INSERT_CHANGE, rows)
            conn.executemany(_INSERT_PATH, new_rows)
            conn.executemany(_SET_HEAD, [(seq, tid, p) for p in puts if p not in fresh_set])
            conn.executemany(_INSERT_CHANGE, [(known[p][0], seq, None, None) for p in live_dels])
            conn.executemany(_SET_HEAD, [(None, tid, p) for p in live_dels])
            conn.execute(_SET_TREE_HEAD, (seq, tid))
            if not self.encrypted:
                before = kept.get(tid) if tree is not None and tree[1] is not None else Head(0, [], 0)
                if before is not None and (tree is None or before.seq == tree[1]):
                    carried = (tid, seq, _carried(before.entries, puts, live_dels, seq))
            if self._search is not None:  # the search index follows in the same transaction
                self._search.update(tid, tree[1] if tree is not None else None, seq,
                                    [(known[p][0], Entry(p, e.value_json or b"null", e.metadata_json, str(seq)))
                                     for p, e in puts.items()], [known[p][0] for p in live_dels])
        if carried is not None:  # committed: kept, and saved when the plugin stops
            self._keep(*carried, None, save=True, freeze=False)
        return str(seq)

    def _allocate_pids(self, count: int) -> int:
        """Reserve ``count`` path keys; returns the first."""
        key, value, ck = self.conn.execute("SELECT key, value, ck FROM meta WHERE key = 'next_pid'").fetchone()
        if not row_ok("meta", (key, value), ck):
            raise E.StoreCorrupt(f"store file {self.path} is damaged: its setting 'next_pid' fails its checksum",
                                 {"path": str(self.path)})
        first = int(value)
        if count:
            self.conn.execute(_SET_META, ("next_pid", str(first + count)))
        return first

    @property
    def author(self) -> str:
        """Who writes when a call names nobody: the store's option, else user@host."""
        if not self._author:
            self._author = default_author()
        return self._author

    def _new_version(self, tid: int, name: str, author: str, message: str, kind: str, changed: int) -> int:
        cur = self.conn.execute(
            "INSERT INTO versions (tid, time, author, message, kind, changed) VALUES (?, ?, ?, ?, ?, ?)",
            (tid, now_rfc3339(), author or self.author, None, kind, changed))
        seq = int(cur.lastrowid or 0)
        # The seq (and so the sealed message and the checksum) exists only after the insert.
        sealed = self._seal_message(name, seq, message) if message else None
        self.conn.execute("UPDATE versions SET message = ?1, ck = zck('versions', seq, tid, time, author, ?1, kind, "
                          "changed) WHERE seq = ?2", (sealed, seq))
        return seq

    def _tree_paths(self, tid: int, pids: set[int]) -> dict[int, tuple[str, int | None]]:
        """pid -> (path, head seq) for the given pids of one tree. SQLite picks their rows
        (a scan of the tree in C per slice of pids) and only those are checked: checking
        every row in Python made a rollback of one value of a 1M-value tree take ~5 s."""
        out: dict[int, tuple[str, int | None]] = {}
        wanted = sorted(pids)
        for start in range(0, len(wanted), _PIDS_PER_QUERY):
            listed = ",".join(str(int(pid)) for pid in wanted[start:start + _PIDS_PER_QUERY])  # ints: safe inline
            for row in self.conn.execute(f"SELECT tid, path, pid, head, ck FROM paths WHERE tid = ? AND pid IN "
                                         f"({listed})", (tid,)):
                if not row_ok("paths", row[:4], row[4]):
                    raise E.DataLoss(f"the index row of path {row[1]!r} fails its checksum; nothing was changed",
                                     {"paths": str(row[1])})
                out[row[2]] = (row[1], row[3])
        return out

    def _change(self, name: str, path: str, where: str, params: Sequence[Any]) -> tuple[int, Any, Any] | None:
        """(seq, value, meta) of one checked change row (for a write), or DataLoss."""
        row = self.conn.execute(f"SELECT pid, seq, value, meta, ck FROM changes WHERE {where}", params).fetchone()
        if row is None:
            return None
        if not row_ok("changes", row[:4], row[4]):
            damage = Damage(name)
            damage.add(f"the value of {path!r} (version {row[1]}) fails its checksum; nothing was changed",
                       path=path, version=row[1])
            raise damage.error()
        return int(row[1]), row[2], row[3]

    def rollback(self, name: str, version: str) -> str:
        self._drop_search()
        with self._txn(write=True) as conn:
            self._require_unlocked()
            tid, _ = self._existing_tree(name)
            target = self._version_seq(tid, name, version)
            later = {row[0] for row in conn.execute(
                "SELECT DISTINCT pid FROM changes INDEXED BY changes_by_seq WHERE seq > ?", (target,))}
            plan: list[tuple[int, str, tuple[bytes, bytes] | None]] = []
            for pid, (path, head) in sorted(self._tree_paths(tid, later).items(), key=lambda item: item[1][0]):
                old = self._change(name, path, "pid = ? AND seq <= ? ORDER BY seq DESC LIMIT 1", (pid, target))
                cur = None
                if head is not None:
                    cur = self._change(name, path, "pid = ? AND seq = ?", (pid, head))
                    if cur is None:
                        raise E.DataLoss(f"the value of {path!r} (version {head}) is missing; nothing was changed",
                                         {"tree_id": name, "paths": path, "versions": str(head)})
                old_plain = self._open(name, path, old[0], old[1], old[2]) if old and old[1] is not None else None
                cur_plain = self._open(name, path, cur[0], cur[1], cur[2]) if cur else None
                if old_plain != cur_plain:
                    plan.append((pid, path, old_plain))
            seq = self._new_version(tid, name, "", f"rollback to {version}", "rollback", len(plan))
            for pid, path, plain in plan:
                if plain is None:
                    conn.execute(_INSERT_CHANGE, (pid, seq, None, None))
                    conn.execute(_SET_HEAD, (None, tid, path))
                else:
                    value, meta = self._seal(name, path, seq, *plain)
                    conn.execute(_INSERT_CHANGE, (pid, seq, value, meta))
                    conn.execute(_SET_HEAD, (seq, tid, path))
            conn.execute(_SET_TREE_HEAD, (seq, tid))
        return str(seq)

    def delete_version(self, name: str, version: str) -> None:
        self._drop_search()
        """Remove one version; its deltas fold into the next version, so every
        other version reads exactly as before."""
        with self._txn(write=True) as conn:
            self._require_unlocked()
            tid, head = self._existing_tree(name)
            seq = self._version_seq(tid, name, version)
            if seq == head:
                raise E.InvalidArgument(f"version {version!r} is the current version of tree {name!r} and "
                                        "cannot be deleted", {"tree_id": name, "version": version})
            nxt = int(conn.execute("SELECT min(seq) FROM versions WHERE tid = ? AND seq > ?",
                                   (tid, seq)).fetchone()[0])
            checked = conn.execute("SELECT pid, seq, value, meta, ck FROM changes WHERE seq = ?", (seq,)).fetchall()
            changed = conn.execute(f"SELECT {_V} FROM versions WHERE seq = ?", (seq,)).fetchone()
            bad = [row for row in checked if not row_ok("changes", row[:4], row[4])]
            if bad or len(checked) != int(self._version_row(name, changed)[6]):
                raise E.DataLoss(f"version {seq} of tree {name!r} has damaged or missing changes; nothing was "
                                 "changed", {"tree_id": name, "versions": str(seq)})
            rows = [(row[0], row[2], row[3]) for row in checked]
            overridden = {row[0] for row in conn.execute("SELECT pid FROM changes WHERE seq = ?", (nxt,))}
            paths = self._tree_paths(tid, {row[0] for row in rows})
            conn.execute("DELETE FROM changes WHERE seq = ?", (seq,))
            moved: list[tuple[int, int, Any, Any]] = []
            heads: list[tuple[int, int, str, int]] = []
            check: list[int] = []  # pids whose change at nxt is a deletion: maybe nothing left to delete
            for pid, value, meta in rows:
                path = paths[pid][0]
                if pid in overridden:
                    check.append(pid)
                    continue
                if value is None:
                    moved.append((pid, nxt, None, None))
                    check.append(pid)
                else:
                    moved.append((pid, nxt, *self._seal(name, path, nxt, *self._open(name, path, seq, value, meta))))
                    heads.append((nxt, tid, path, seq))
            conn.executemany(_INSERT_CHANGE, moved)
            conn.executemany("UPDATE paths SET head = ?1, ck = zck('paths', tid, path, pid, ?1) "
                             "WHERE tid = ?2 AND path = ?3 AND head = ?4", heads)
            for pid in check:
                self._drop_leading_tombstones(tid, pid, paths[pid][0])
            conn.execute("DELETE FROM versions WHERE seq = ?", (seq,))
            conn.execute("UPDATE versions SET changed = (SELECT count(*) FROM changes WHERE seq = ?1) WHERE seq = ?1",
                         (nxt,))
            conn.execute("UPDATE versions SET ck = zck('versions', seq, tid, time, author, message, kind, changed) "
                         "WHERE seq = ?", (nxt,))

    def _drop_leading_tombstones(self, tid: int, pid: int, path: str) -> None:
        """A path's oldest change being a deletion deletes nothing: drop it; a
        path with no change left is forgotten."""
        conn = self.conn
        while True:
            row = conn.execute("SELECT seq, value IS NULL FROM changes WHERE pid = ? ORDER BY seq LIMIT 1",
                               (pid,)).fetchone()
            if row is None:
                conn.execute("DELETE FROM paths WHERE tid = ? AND path = ?", (tid, path))
                return
            if not row[1]:
                return
            conn.execute("DELETE FROM changes WHERE pid = ? AND seq = ?", (pid, row[0]))

    # --- encryption ------------------------------------------------------------
    def init_encryption(self, passphrase: bytes, stop: threading.Event | None = None) -> None:
        """Seal every row in one transaction; ``stop`` set meanwhile rolls it back (see ``_reseal_all``)."""
        self._drop_search()
        if not passphrase:
            raise E.InvalidArgument("the passphrase must not be empty")
        with self._txn():
            if self.encrypted:
                raise E.InvalidArgument("encryption is already active on this store")
        params = KdfParams.fresh(self.scrypt_n)
        key = new_data_key()
        wrapped = wrap_data_key(passphrase, key, params)  # the slow KDF runs outside the write lock
        cipher = RowCipher(key)
        with self._txn(write=True):
            if self.encrypted:
                raise E.InvalidArgument("encryption is already active on this store")
            self._reseal_all(None, cipher, stop)
            self._write_key_meta(params, wrapped)
        self.encrypted, self._cipher, self._wrapped, self._kdf = True, cipher, wrapped, params
        self.lock_reason = ""
        self._checkpoint()

    def rotate_encryption(self, old: bytes, new: bytes, stop: threading.Event | None = None) -> None:
        """Re-seal every row under a new key in one transaction; ``stop`` set meanwhile
        rolls it back, so the old passphrase still opens everything."""
        self._drop_search()
        if not new:
            raise E.InvalidArgument("the new passphrase must not be empty")
        with self._txn(write=True):
            if not self.encrypted or self._wrapped is None or self._kdf is None:
                raise E.EncryptionNotInitialised("encryption is not initialised on this store")
            old_cipher = RowCipher(unwrap_data_key(old, self._wrapped, self._kdf))
            params = KdfParams.fresh(self.scrypt_n)
            key = new_data_key()
            wrapped = wrap_data_key(new, key, params)
            cipher = RowCipher(key)
            self._reseal_all(old_cipher, cipher, stop)
            self._write_key_meta(params, wrapped)
        self._cipher, self._wrapped, self._kdf = cipher, wrapped, params
        self.lock_reason = ""
        self._checkpoint()

    def unlock(self, passphrase: bytes) -> None:
        with self._txn():
            if not self.encrypted or self._wrapped is None or self._kdf is None:
                raise E.EncryptionNotInitialised("this store is not encrypted: there is nothing to unlock")
            wrapped, params = self._wrapped, self._kdf
        cipher = RowCipher(unwrap_data_key(passphrase, wrapped, params))
        self._cipher = cipher
        self.lock_reason = ""

    def lock(self) -> None:
        self._drop_search()
        self._heads.clear()  # decrypted values do not outlive the unlock
        with self._txn():
            if self.encrypted:
                self._cipher = None
                self.lock_reason = "the store was locked: unlock it with its passphrase"

    def _write_key_meta(self, params: KdfParams, wrapped: bytes) -> None:
        self.conn.executemany(_SET_META, [
                                  ("encryption", CIPHER_NAME), ("kdf", KDF_NAME), ("kdf_n", str(params.n)),
                                  ("kdf_r", str(params.r)), ("kdf_p", str(params.p)), ("kdf_salt", params.salt),
                                  ("wrapped_key", wrapped)])

    def _reseal_all(self, old: RowCipher | None, new: RowCipher, stop: threading.Event | None = None) -> None:
        """Re-encrypt every value row and message (``old`` None = plaintext) in
        the caller's transaction: tree by tree, a batch of paths at a time.
        ``stop`` is looked at between batches: the caller gave up (its RPC was
        cancelled), so ``Stopped`` ends the transaction and nothing is written."""
        conn = self.conn
        for tid, tree in conn.execute("SELECT tid, name FROM trees").fetchall():
            after = ""
            while True:
                if stop is not None and stop.is_set():
                    raise Stopped("the re-encryption was stopped by its caller: nothing was changed")
                batch = conn.execute("SELECT tid, path, pid, head, ck FROM paths WHERE tid = ? AND path > ? "
                                     "ORDER BY path LIMIT ?", (tid, after, RESEAL_BATCH)).fetchall()
                if not batch:
                    break
                after = batch[-1][1]
                damage = Damage(tree)
                for row in batch:
                    if not row_ok("paths", row[:4], row[4]):
                        damage.add(f"the index row of path {row[1]!r} fails its checksum", path=row[1])
                path_of = {row[2]: row[1] for row in batch}
                marks = ",".join("?" * len(batch))
                rows = conn.execute(f"SELECT pid, seq, value, meta, ck FROM changes WHERE pid IN ({marks})",
                                    list(path_of)).fetchall()
                for row in rows:
                    if not row_ok("changes", row[:4], row[4]):
                        damage.add(f"the value of {path_of[row[0]]!r} (version {row[1]}) fails its checksum",
                                   path=path_of[row[0]], version=row[1])
                damage.check()  # re-encrypting damage would hide it: refuse, nothing changed
                updates = []
                for pid, seq, value, meta, _ck in rows:
                    if value is None:
                        continue
                    path = path_of[pid]
                    plain = old.open_value(tree, path, seq, value) if old else (bytes(value), bytes(meta or b""))
                    updates.append((new.seal_value(tree, path, seq, *plain), pid, seq))
                conn.executemany("UPDATE changes SET value = ?1, meta = NULL, ck = zck('changes', pid, seq, ?1, NULL) "
                                 "WHERE pid = ?2 AND seq = ?3", updates)
        messages = conn.execute("SELECT v.seq, v.tid, v.time, v.author, v.message, v.kind, v.changed, v.ck, t.name "
                                "FROM versions v CROSS JOIN trees t "
                                "WHERE t.tid = v.tid AND v.message IS NOT NULL AND v.message != ''").fetchall()
        updates_m = []
        for *row, tree in messages:
            seq, message = self._version_row(tree, tuple(row))[0], row[4]
            text = old.open_message(tree, seq, bytes(message)) if old else str(message)
            updates_m.append((new.seal_message(tree, seq, text), seq))
        conn.executemany("UPDATE versions SET message = ?1, ck = zck('versions', seq, tid, time, author, ?1, kind, "
                         "changed) WHERE seq = ?2", updates_m)
        if stop is not None and stop.is_set():  # the last moment before the caller commits
            raise Stopped("the re-encryption was stopped by its caller: nothing was changed")

    def _checkpoint(self) -> None:
        """After a re-encryption: rebuild the file and empty the WAL, so no plaintext
        (or old-key) bytes stay in it. ``secure_delete`` zeroes rows as they are deleted,
        but not every fragment a rewritten row leaves inside its page: encrypting 20,000
        values left two plaintext values readable in the file. VACUUM writes every page
        anew from the live rows; the checkpoint then moves them into the main file and
        empties the WAL of superseded page images."""
        try:
            self.conn.execute("VACUUM")
        except sqlite3.Error as exc:  # another connection is writing: the rows are sealed all the same
            log.warning("the file could not be rebuilt after re-encryption (%s): fragments of the old "
                        "values may stay in its free space until the next re-encryption", exc)
        try:
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:  # another reader holds it: the next checkpoint will do it
            log.info("checkpoint after re-encryption deferred: %s", exc)
