"""``zhi-store-sqlite --check FILE`` and ``--recover FILE NEWFILE``.

The check never changes the file: it is opened ``immutable`` (no lock, no
side files) when there is no ``-wal`` file, else read-only (and side files
the look creates are removed again). It reports what is damaged (SQLite's own
``integrity_check``, every row checksum, the links between the tables and,
given the passphrase, every encrypted row's authentication) by tree, path and
version.

Recovery copies every intact row into a NEW file (format 2) and repairs the
links the lost rows leave behind, reporting each loss; the damaged file is
only read. Encrypted rows are copied as they are, so the same passphrase
opens the new store.
"""

from __future__ import annotations

import contextlib
import sqlite3
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhi_gui.core import errors as E
from zhi_gui.stores.sqlite import integrity
from zhi_gui.stores.sqlite.crypto import CIPHER_NAME, KdfParams, RowCipher, unwrap_data_key
from zhi_gui.stores.sqlite.integrity import COLUMNS, row_ok
from zhi_gui.stores.sqlite.schema import APP, FORMAT_VERSION, open_database, structure_problems, tolerant_text

MAX_LISTED = 50
# What the check is doing, in words, as it goes ("reading changes: 300,000 rows"): a store of
# 1M values takes ~15 s, which the window shows (``--progress`` prints these lines).
Progress = Callable[[str], None]
PROGRESS_ROWS = 100_000  # rows read (or values authenticated) between two progress lines


def _silent(_text: str) -> None:
    pass


@dataclass
class Report:
    """What a check or a recovery found. ``damaged`` = anything lost or wrong."""

    path: str
    format_version: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # intact rows per table
    bad_rows: dict[str, int] = field(default_factory=dict)
    affected: dict[str, set[str]] = field(default_factory=dict)  # tree -> paths

    @property
    def damaged(self) -> bool:
        return bool(self.problems)

    def add(self, problem: str, tree: str = "", path: str = "") -> None:
        self.problems.append(problem)
        if tree or path:
            self.affected.setdefault(tree, set()).add(path)

    def text(self) -> str:
        lines = [f"store file: {self.path}"]
        if self.format_version:
            lines.append(f"format version: {self.format_version}")
        if self.rows:
            counts = ", ".join(f"{table} {self.rows.get(table, 0)}" + (
                f" (+{self.bad_rows[table]} damaged)" if self.bad_rows.get(table) else "") for table in COLUMNS)
            lines.append(f"intact rows: {counts}")
        lines += [f"note: {n}" for n in self.notes]
        if not self.problems:
            lines.append("result: no damage found")
            return "\n".join(lines)
        lines.append(f"result: DAMAGED ({len(self.problems)} problem(s))")
        lines += [f"  - {p}" for p in self.problems[:MAX_LISTED]]
        if len(self.problems) > MAX_LISTED:
            lines.append(f"  ... and {len(self.problems) - MAX_LISTED} more")
        for tree, paths in sorted(self.affected.items()):
            shown = sorted(p for p in paths if p)
            listed = ", ".join(shown[:MAX_LISTED]) + (" ..." if len(shown) > MAX_LISTED else "")
            lines.append(f"affected in tree {tree or '?'!r}: {len(shown)} path(s)" + (f": {listed}" if shown else ""))
        return "\n".join(lines)


@contextlib.contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    wal = path.with_name(path.name + "-wal")
    sidecars = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    existed = [p.exists() for p in sidecars]
    quoted = urllib.parse.quote(str(path))
    # immutable: SQLite takes no lock and creates nothing; only safe when no WAL holds newer pages.
    uri = f"file:{quoted}?mode=ro" if wal.exists() else f"file:{quoted}?mode=ro&immutable=1"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    try:
        integrity.install(conn)
        conn.text_factory = tolerant_text
        yield conn
    finally:
        conn.close()
        for sidecar, was_there in zip(sidecars, existed, strict=True):
            if not was_there:
                with contextlib.suppress(OSError):
                    sidecar.unlink()


_KEYS = {"meta": ("key",), "trees": ("tid",), "versions": ("seq",), "paths": ("tid", "path"),
         "changes": ("pid", "seq")}


def _scan(conn: sqlite3.Connection, table: str, report: Report, has_ck: bool,
          progress: Progress = _silent) -> list[tuple[Any, ...]]:
    """Intact rows of a table (checksum verified when the format has one).
    A damaged page stops SQLite's scan; the table is then also read from its
    other end, so only the rows of the damaged pages are lost."""
    width = len(COLUMNS[table])
    cols = ", ".join(COLUMNS[table]) + (", ck" if has_ck else "")
    order = ", ".join(_KEYS[table])
    seen: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    bad = 0
    errors: list[str] = []
    read = 0
    try:  # for "N of M" (a damaged table may not count: then the rows read alone)
        total = int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.DatabaseError:
        total = 0
    of = f" of {total:,}" if total else ""
    progress(f"reading {table}")
    for direction in ("ASC", "DESC"):
        keys = ", ".join(f"{k} {direction}" for k in _KEYS[table])
        try:
            for row in conn.execute(f"SELECT {cols} FROM {table} ORDER BY {keys}"):
                read += 1
                if read % PROGRESS_ROWS == 0:
                    progress(f"reading {table}: {read:,}{of} rows")
                key = tuple(row[COLUMNS[table].index(k)] for k in _KEYS[table])
                if key in seen:
                    break  # met the forward scan: everything between was read
                if not has_ck or row_ok(table, row[:-1], row[-1]):
                    seen[key] = tuple(row[:width])
                elif direction == "ASC" or key not in seen:
                    bad += 1
                    report.problems.append(f"a row of table {table} fails its checksum ({_describe_row(table, row)})")
                    seen[key] = ()
            else:
                if direction == "ASC":
                    break  # read to the end: no need to come from the other side
        except sqlite3.DatabaseError as exc:
            errors.append(str(exc))
    if errors:
        report.add(f"table {table} has unreadable pages ({errors[0]}); the rows on them are lost (order by "
                   f"{order})")
    good = [row for row in seen.values() if row]
    report.rows[table] = len(good)
    report.bad_rows[table] = bad
    return good


def _describe_row(table: str, row: tuple[Any, ...]) -> str:
    names = COLUMNS[table]
    shown = []
    for name, value in zip(names, row, strict=False):
        if name in ("value", "meta", "message") and value is not None:
            value = f"<{len(value)} bytes>"
        shown.append(f"{name}={value!r}")
    return ", ".join(shown)


@dataclass
class _Rows:
    meta: dict[str, Any]
    trees: dict[int, tuple[Any, ...]]
    versions: dict[int, tuple[Any, ...]]
    paths: dict[int, tuple[Any, ...]]  # by pid
    changes: list[tuple[Any, ...]]


def _read(path: Path, report: Report, passphrase: bytes | None, progress: Progress = _silent) -> _Rows | None:
    problem = integrity.file_problem(path)
    if problem:
        report.add(f"the file cannot be a complete store: {problem}")
        if "empty" in problem or "not a SQLite" in problem:
            return None
    with _read_only(path) as conn:
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            report.add(f"SQLite cannot read the file: {exc}")
            return None
        progress("SQLite's check of every page")
        for problem in structure_problems(conn):
            report.add(f"SQLite integrity check: {problem}")
        if not set(COLUMNS) <= tables:
            report.add(f"tables missing: {sorted(set(COLUMNS) - tables)}; this is not a complete zhi-gui store")
            return None
        try:
            columns = {r[1] for r in conn.execute("PRAGMA table_info(meta)")}
        except sqlite3.DatabaseError as exc:
            report.add(f"SQLite cannot read the table layout: {exc}")
            return None
        has_ck = "ck" in columns
        meta_rows = _scan(conn, "meta", report, has_ck)
        meta = {str(k): v for k, v in meta_rows}
        if meta.get("app") not in (APP, None):
            report.add(f"not a zhi-gui store (app marker {meta.get('app')!r})")
            return None
        try:
            report.format_version = int(meta.get("format_version") or 0)
        except ValueError:
            report.add(f"unreadable format version {meta.get('format_version')!r}")
        if not has_ck:
            report.notes.append("format 1 has no row checksums: only SQLite's structure and the links between "
                                "tables were checked (opening it read-write upgrades it to format 2)")
        rows = _Rows(meta,
                     {r[0]: r for r in _scan(conn, "trees", report, has_ck, progress)},
                     {r[0]: r for r in _scan(conn, "versions", report, has_ck, progress)},
                     {r[2]: r for r in _scan(conn, "paths", report, has_ck, progress)},
                     _scan(conn, "changes", report, has_ck, progress))
    progress("checking the links between the tables")
    _check_links(rows, report)
    _check_encryption(rows, report, passphrase, progress)
    return rows


def _tree_name(rows: _Rows, tid: Any) -> str:
    tree = rows.trees.get(tid)
    return str(tree[1]) if tree else f"#{tid}"


def _check_links(rows: _Rows, report: Report) -> None:
    by_key = {(c[0], c[1]): c for c in rows.changes}
    per_version: dict[int, int] = {}
    for pid, seq, _value, _meta in rows.changes:
        per_version[seq] = per_version.get(seq, 0) + 1
        path_row = rows.paths.get(pid)
        if path_row is None:
            report.add(f"a change of version {seq} belongs to a path whose index row is lost (path key {pid})")
        if seq not in rows.versions:
            tree = _tree_name(rows, path_row[0]) if path_row else ""
            report.add(f"version {seq} has changes but its record is lost", tree, path_row[1] if path_row else "")
    for tid, path, pid, head in rows.paths.values():
        if head is not None and (pid, head) not in by_key:
            report.add(f"the current value of {path!r} (version {head}) is lost", _tree_name(rows, tid), path)
        if tid not in rows.trees:
            report.add(f"path {path!r} belongs to a tree whose record is lost (tree key {tid})", f"#{tid}", path)
    for seq, version in rows.versions.items():
        if per_version.get(seq, 0) != version[6]:
            report.add(f"version {seq} should have {version[6]} change(s), {per_version.get(seq, 0)} are intact",
                       _tree_name(rows, version[1]))
    for _tid, name, head in rows.trees.values():
        if head is not None and head not in rows.versions:
            report.add(f"the current version {head} of tree {name!r} is lost", str(name))


def _check_encryption(rows: _Rows, report: Report, passphrase: bytes | None, progress: Progress = _silent) -> None:
    if rows.meta.get("encryption", "none") != CIPHER_NAME:
        return
    if passphrase is None:
        report.notes.append("encrypted store: checksums were checked; give --passphrase-file to also check "
                            "every row's authentication")
        return
    try:
        params = KdfParams(int(rows.meta["kdf_n"]), int(rows.meta["kdf_r"]), int(rows.meta["kdf_p"]),
                           bytes(rows.meta["kdf_salt"]))
        cipher = RowCipher(unwrap_data_key(passphrase, bytes(rows.meta["wrapped_key"]), params))
    except (KeyError, ValueError, TypeError) as exc:
        report.add(f"the encryption settings are lost or damaged ({exc}): no encrypted value can be read")
        return
    except E.WrongPassphrase:
        report.notes.append("the passphrase does not open this store: authentication was not checked")
        return
    except E.StoreCorrupt as exc:
        report.add(f"the encryption settings are damaged: {exc.message}")
        return
    total = len(rows.changes)
    for done, (pid, seq, value, _meta) in enumerate(rows.changes):
        if done % PROGRESS_ROWS == 0:
            progress(f"authenticating encrypted values: {done:,} of {total:,}")
        path_row = rows.paths.get(pid)
        if value is None or path_row is None:
            continue
        tree = _tree_name(rows, path_row[0])
        try:
            cipher.open_value(tree, str(path_row[1]), seq, bytes(value))
        except E.StoreCorrupt:
            report.add(f"the encrypted value of {path_row[1]!r} (version {seq}) fails authentication", tree,
                       str(path_row[1]))
    for seq, tid, _time, _author, message, _kind, _changed in rows.versions.values():
        if message:
            try:
                cipher.open_message(_tree_name(rows, tid), seq, bytes(message))
            except E.StoreCorrupt:
                report.add(f"the encrypted message of version {seq} fails authentication", _tree_name(rows, tid))


def check(path: Path, passphrase: bytes | None = None, progress: Progress = _silent) -> Report:
    report = Report(str(path))
    if not path.is_file():
        report.add("the file does not exist" if not path.exists() else "it is not a file")
        return report
    try:
        _read(path, report, passphrase, progress)
    except sqlite3.Error as exc:
        report.add(f"SQLite cannot read the file: {exc}")
    return report


def recover(path: Path, new_path: Path, passphrase: bytes | None = None, progress: Progress = _silent) -> Report:
    """Copy what is intact into ``new_path`` (which must not exist)."""
    if new_path.exists():
        raise E.InvalidArgument(f"{new_path} already exists: recovery writes only into a new file")
    report = Report(str(path))
    rows = None
    if path.is_file():
        try:
            rows = _read(path, report, passphrase, progress)
        except sqlite3.Error as exc:
            report.add(f"SQLite cannot read the file: {exc}")
    else:
        report.add("the file does not exist")
    if rows is None:
        report.notes.append("nothing could be recovered; no new file was written")
        return report
    if passphrase is not None and rows.meta.get("encryption") == CIPHER_NAME:
        _drop_unauthentic(rows, report, passphrase)
    conn = open_database(new_path, create=True)
    try:
        progress(f"writing the intact rows into {new_path}")
        conn.execute("BEGIN IMMEDIATE")
        _write(conn, rows, report)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        conn.close()
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                new_path.with_name(new_path.name + suffix).unlink()
        raise
    conn.close()
    report.notes.append(f"the intact data was written to {new_path}")
    return report


def _drop_unauthentic(rows: _Rows, report: Report, passphrase: bytes) -> None:
    try:
        params = KdfParams(int(rows.meta["kdf_n"]), int(rows.meta["kdf_r"]), int(rows.meta["kdf_p"]),
                           bytes(rows.meta["kdf_salt"]))
        cipher = RowCipher(unwrap_data_key(passphrase, bytes(rows.meta["wrapped_key"]), params))
    except (KeyError, ValueError, TypeError, E.StoreError):
        return  # reported by the check; rows are copied as they are
    kept = []
    for change in rows.changes:
        pid, seq, value, _meta = change
        path_row = rows.paths.get(pid)
        if value is not None and path_row is not None:
            try:
                cipher.open_value(_tree_name(rows, path_row[0]), str(path_row[1]), seq, bytes(value))
            except E.StoreCorrupt:
                continue
        kept.append(change)
    rows.changes = kept


def _write(conn: sqlite3.Connection, rows: _Rows, report: Report) -> None:
    """Insert the intact rows and repair the links lost rows leave behind."""
    conn.execute("DELETE FROM meta")
    meta = dict(rows.meta)
    meta["app"], meta["format_version"] = APP, str(FORMAT_VERSION)
    meta.setdefault("encryption", "none")
    pids = [pid for pid in rows.paths] + [c[0] for c in rows.changes]
    next_pid = max([int(meta.get("next_pid") or 1), *(p + 1 for p in pids)])
    meta["next_pid"] = str(next_pid)
    conn.executemany("INSERT INTO meta (key, value, ck) VALUES (?1, ?2, zck('meta', ?1, ?2))", list(meta.items()))
    # Changes whose path is unknown cannot be placed: they are lost (reported by the check).
    changes = [c for c in rows.changes if c[0] in rows.paths]
    trees = dict(rows.trees)
    for tid in sorted({p[0] for p in rows.paths.values()} | {v[1] for v in rows.versions.values()}):
        if tid not in trees:
            trees[tid] = (tid, f"recovered-tree-{tid}", None)
            report.notes.append(f"tree key {tid} lost its record: its paths are in tree 'recovered-tree-{tid}'")
    versions = dict(rows.versions)
    for pid, seq, _v, _m in changes:
        if seq not in versions:
            versions[seq] = (seq, rows.paths[pid][0], "", "", None, "recovered", 0)
    counts: dict[int, int] = {}
    for _pid, seq, _v, _m in changes:
        counts[seq] = counts.get(seq, 0) + 1
    latest: dict[int, int] = {}  # pid -> its newest intact change
    for pid, seq, _v, _m in changes:
        latest[pid] = max(latest.get(pid, seq), seq)
    conn.executemany("INSERT INTO versions (seq, tid, time, author, message, kind, changed, ck) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, zck('versions', ?1, ?2, ?3, ?4, ?5, ?6, ?7))",
                     [(*v[:6], counts.get(v[0], 0)) for v in versions.values() if v[1] in trees])
    by_key = {(c[0], c[1]) for c in changes}
    path_rows = []
    for tid, path, pid, head in rows.paths.values():
        if head is not None and (pid, head) not in by_key:
            newest = latest.get(pid)
            fallback = None
            if newest is not None:
                value = next(c[2] for c in changes if c[0] == pid and c[1] == newest)
                fallback = newest if value is not None else None
            head = fallback
            report.notes.append(f"{path!r}: its current value was lost; the new store shows "
                                + (f"its value of version {fallback}" if fallback else "it as deleted"))
        path_rows.append((tid, path, pid, head))
    conn.executemany("INSERT INTO paths (tid, path, pid, head, ck) "
                     "VALUES (?1, ?2, ?3, ?4, zck('paths', ?1, ?2, ?3, ?4))", path_rows)
    conn.executemany("INSERT INTO changes (pid, seq, value, meta, ck) "
                     "VALUES (?1, ?2, ?3, ?4, zck('changes', ?1, ?2, ?3, ?4))", changes)
    tree_heads: dict[int, int] = {}
    for seq, tid, *_rest in versions.values():
        tree_heads[tid] = max(tree_heads.get(tid, seq), seq)
    conn.executemany("INSERT INTO trees (tid, name, head, ck) VALUES (?1, ?2, ?3, zck('trees', ?1, ?2, ?3))",
                     [(tid, name, tree_heads.get(tid)) for tid, name, _head in trees.values()])
