"""Reads of a tree's current values: the fast checked read and the head cache
(``stores.sqlite.heads``) answer exactly what the general read answers, see
every change to the file, and never serve damage.

A tree read whole is kept in memory while the file is unchanged; these tests
read it whole first (so it is kept), then change or damage the file from
another connection, from another engine, or through the engine itself.
"""

from __future__ import annotations

import gc
import re
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import under_prefix
from zhi_gui.stores.sqlite.engine import Engine
from zhi_gui.stores.sqlite.heads import PER_VALUE, estimate
from zhi_gui.stores.sqlite.integrity import row_ck

COUNT = 1200  # above the 1,000 paths from which a read of most of a tree reads it whole
VICTIM = "g3/k0010"  # a value whose rows the damage cases change


def entry(i: int, rev: int = 0) -> Entry:
    meta = b'{"ui.password":true}' if i % 5 == 0 else b""
    return Entry(f"g{i % 7}/k{i:04d}", f'{{"n": {i}, "rev": {rev}}}'.encode(), meta)


@pytest.fixture
def db(short_tmp: Path) -> Path:
    """A tree of COUNT values over three versions: all written, some rewritten, some deleted.
    Paths that are prefixes of their siblings' names ("g1" vs "g1-x", "g1.y") test streams."""
    path = short_tmp / "heads.sqlite"
    engine = Engine(path, create=True)
    try:
        engine.write("t", [entry(i) for i in range(COUNT)], [], "", {}, "", "")
        engine.write("t", [entry(i, 1) for i in range(0, COUNT, 3)] + [
            Entry("g1-x/a", b"1"), Entry("g1.y", b"2"), Entry("g1", b"3")], [], "", {}, "", "")
        engine.write("t", [], [entry(i).path for i in range(1, COUNT, 11)], "", {}, "", "")
        engine.write("other", [Entry("o/1", b"1")], [], "", {}, "", "")
    finally:
        engine.close()
    return path


@pytest.fixture
def engines(db: Path) -> Iterator[list[Engine]]:
    opened: list[Engine] = []
    yield opened
    for engine in opened:
        engine.close()


def open_engine(engines: list[Engine], path: Path, **kwargs: int) -> Engine:
    engine = Engine(path, **kwargs)
    engines.append(engine)
    return engine


def expected(db: Path) -> dict[str, Entry]:
    """The tree's current values, read row by row with plain SQL (no engine code)."""
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT p.path, c.value, c.meta, c.seq FROM paths p JOIN changes c "
                            "ON c.pid = p.pid AND c.seq = p.head JOIN trees t ON t.tid = p.tid "
                            "WHERE t.name = 't' ORDER BY p.path").fetchall()
    return {path: Entry(path, value, meta or b"", str(seq)) for path, value, meta, seq in rows}


def stream(engine: Engine, prefix: str, limit: int) -> list[Entry]:
    start = engine.stream_start("t", "", prefix)
    assert start is not None
    out: list[Entry] = []
    after, done = "", False
    while not done:
        rows, after, done = engine.stream_chunk(start, prefix, after, limit)
        out += rows
    return out


def every_read(engine: Engine, want: dict[str, Entry]) -> None:
    """Each kind of read of the current tree answers what ``want`` says, in the order asked."""
    live = list(want)
    deleted = [p for p in (entry(i).path for i in range(1, COUNT, 11)) if p not in want]
    assert engine.get_values("t", live) == list(want.values())
    assert engine.get_values("t", []) == list(want.values())
    head = engine.list_versions("t")[0]
    assert engine.get_version("t", head, []) == list(want.values())
    asked = [*live[::-1], "nope", live[0], *deleted[:3]]  # reversed, absent, repeated, deleted
    assert engine.get_values("t", asked) == [want[p] for p in live[::-1]]
    assert engine.get_version("t", head, asked[:50]) == [want[p] for p in live[::-1][:50]]
    assert engine.get_values("t", live[5:25] + deleted[:2]) == [want[p] for p in live[5:25]]
    for prefix in ("", "g1", "g1/", "g3/k0010", "g1-", "zz"):
        for limit in (1, 97, 5000):
            assert stream(engine, prefix, limit) == [e for p, e in want.items() if under_prefix(p, prefix)], (
                prefix, limit)
        assert engine.list_paths("t", prefix, "") == [p for p in want if under_prefix(p, prefix)]
    children, _ = engine.list_children("t", "", "")
    assert {c.name: c.entry for c in children if c.entry is not None} == {"g1": want["g1"], "g1.y": want["g1.y"]}


def test_cold_warm_and_uncached_reads_answer_alike(db: Path, engines: list[Engine]) -> None:
    want = expected(db)
    assert len(want) > COUNT * 0.8 and want["g1"].value_json == b"3"
    cached = open_engine(engines, db)
    every_read(cached, want)  # the first whole read fills the cache
    assert len(cached._heads) == 1
    every_read(cached, want)  # answered from it
    uncached = open_engine(engines, db, head_cache=0)
    every_read(uncached, want)
    assert len(uncached._heads) == 0


def test_the_cache_is_bounded(db: Path, engines: list[Engine]) -> None:
    engine = open_engine(engines, db)
    engine.get_values("t", [])
    size = engine._heads._size
    assert size > 0
    small = open_engine(engines, db, head_cache=size + 100)  # one tree fits, not two
    small.get_values("t", [])
    assert small.get_values("other", []) == [Entry("o/1", b"1", b"", "4")]
    assert list(small._heads._trees) == [2]  # the older tree made room
    every_read(small, expected(db))


def test_writes_of_another_connection_are_seen(db: Path, engines: list[Engine]) -> None:
    reader = open_engine(engines, db)
    every_read(reader, expected(db))
    writer = open_engine(engines, db)
    writer.write("t", [Entry("g2/k0002", b'"changed"'), Entry("new/one", b"1")], ["g1/k0008"], "", {}, "", "")
    want = expected(db)
    assert want["g2/k0002"].value_json == b'"changed"' and "g1/k0008" not in want
    every_read(reader, want)
    writer.rollback("t", reader.list_versions("t")[1])
    every_read(reader, expected(db))


def test_own_writes_are_seen(db: Path, engines: list[Engine]) -> None:
    engine = open_engine(engines, db)
    every_read(engine, expected(db))
    engine.write("t", [Entry("g2/k0002", b'"mine"')], ["g0/k0014"], "", {}, "", "")
    every_read(engine, expected(db))
    versions = engine.list_versions("t")
    engine.rollback("t", versions[2])
    every_read(engine, expected(db))
    engine.delete_version("t", engine.list_versions("t")[1])
    every_read(engine, expected(db))
    # The version before the head deleted: its change moves into the head version, so
    # the value's version changes while the tree's head stays where it was.
    moved = engine.write("t", [Entry("g2/k0009", b'"moved"')], [], "", {}, "", "")
    head = engine.write("t", [Entry("g2/k0016", b'"head"')], [], "", {}, "", "")
    every_read(engine, expected(db))
    assert engine.get_values("t", ["g2/k0009"])[0].version == moved
    engine.delete_version("t", moved)
    want = expected(db)
    assert want["g2/k0009"] == Entry("g2/k0009", b'"moved"', b"", head)
    every_read(engine, want)
    engine.delete_tree("t")
    assert engine.get_values("t", []) == [] and engine.get_values("t", ["g1"]) == []


def test_locking_drops_the_decrypted_values(db: Path, engines: list[Engine]) -> None:
    engine = open_engine(engines, db)
    want = expected(db)
    engine.scrypt_n = 1 << 10
    engine.init_encryption(b"pass")
    every_read(engine, {p: e._replace(version=str(int(e.version))) for p, e in want.items()})
    assert len(engine._heads) == 1
    engine.lock()
    assert len(engine._heads) == 0
    with pytest.raises(E.StoreLocked):
        engine.get_values("t", list(want))
    engine.unlock(b"pass")
    assert engine.get_values("t", list(want)) == list(want.values())


def _pid_and_head(conn: sqlite3.Connection) -> dict[str, int]:
    pid, head = conn.execute("SELECT pid, head FROM paths WHERE path = ?", (VICTIM,)).fetchone()
    return {"pid": int(pid), "head": int(head)}


# (what, SQL with :pid = the victim's pid and :head = its head seq, the path the damage is reported under)
DAMAGE = [
    ("value bytes", "UPDATE changes SET value = CAST('\"x\"' AS BLOB) WHERE pid = :pid AND seq = :head", VICTIM),
    ("value stored as TEXT", "UPDATE changes SET value = CAST(value AS TEXT) WHERE pid = :pid AND seq = :head", VICTIM),
    ("metadata NULL", "UPDATE changes SET meta = NULL WHERE pid = :pid AND seq = :head", VICTIM),
    ("metadata stored as TEXT", "UPDATE changes SET meta = CAST(meta AS TEXT) WHERE pid = :pid AND seq = :head",
     VICTIM),
    ("value turned into a deletion", "UPDATE changes SET value = NULL WHERE pid = :pid AND seq = :head", VICTIM),
    ("value row's checksum", "UPDATE changes SET ck = zeroblob(16) WHERE pid = :pid AND seq = :head", VICTIM),
    ("value row gone", "DELETE FROM changes WHERE pid = :pid AND seq = :head", VICTIM),
    ("value row's version", "UPDATE changes SET seq = seq + 1000 WHERE pid = :pid AND seq = :head", VICTIM),
    ("path row's checksum", "UPDATE paths SET ck = zeroblob(16) WHERE pid = :pid", VICTIM),
    ("path faked deleted", "UPDATE paths SET head = NULL WHERE pid = :pid", VICTIM),
    ("path's head moved", "UPDATE paths SET head = :head - 1 WHERE pid = :pid", VICTIM),
    ("path's key moved", "UPDATE paths SET pid = pid + 1 WHERE pid = :pid", VICTIM),
    ("path's head stored as TEXT", "UPDATE paths SET head = 'h' || head WHERE pid = :pid", VICTIM),
    ("path renamed", "UPDATE paths SET path = 'g3/renamed' WHERE pid = :pid", "g3/renamed"),
    ("path stored as BLOB", "UPDATE paths SET path = CAST(path AS BLOB) WHERE pid = :pid", ""),
    ("path not UTF-8", "UPDATE paths SET path = CAST(x'6733ff' AS TEXT) WHERE pid = :pid", ""),
]


@pytest.mark.parametrize(("sql", "reported"), [d[1:] for d in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_damage_after_a_cached_read_is_reported(db: Path, engines: list[Engine], sql: str, reported: str) -> None:
    want = expected(db)
    engine = open_engine(engines, db)
    assert engine.get_values("t", list(want)) == list(want.values())
    assert len(engine._heads) == 1
    with closing(sqlite3.connect(db)) as conn:
        conn.execute(sql, _pid_and_head(conn))
        conn.commit()
    fresh = open_engine(engines, db)
    rest = [p for p in want if p != VICTIM]
    for reader in (engine, fresh):
        # (a path no longer TEXT, or not UTF-8, sorts outside "g3")
        for prefix in ("all", "", "g3") if reported else ("all", ""):
            with pytest.raises(E.DataLoss) as loss:
                if prefix == "all":
                    reader.get_values("t", [])
                else:
                    stream(reader, prefix, 7)
            if reported:
                assert reported in loss.value.paths
        if reported == VICTIM:
            for paths in (list(want), [VICTIM]):
                with pytest.raises(E.DataLoss) as loss:
                    reader.get_values("t", paths)
                assert loss.value.paths == [VICTIM]
        else:  # the row is no longer under the victim's name: that path is not there
            assert reader.get_values("t", list(want)) == [want[p] for p in rest]
            assert reader.get_values("t", [VICTIM]) == []
        # Everything else still reads back exactly, a few paths or most of the tree.
        assert reader.get_values("t", rest) == [want[p] for p in rest]
        assert reader.get_values("t", rest[:30]) == [want[p] for p in rest[:30]]
        assert len(reader._heads) == 0, "a damaged tree is never kept"


@pytest.mark.parametrize(("table", "column"), [("paths", "tid"), ("paths", "pid"), ("paths", "head"),
                                               ("changes", "pid"), ("changes", "seq")])
def test_an_integer_stored_as_an_equal_real_is_reported(db: Path, engines: list[Engine], table: str,
                                                        column: str) -> None:
    """Damage SQL itself cannot write (an INTEGER column turns 5.0 back into 5): the same
    number stored as REAL. Every comparison in SQL still matches; the checksum, which
    covers the storage type, must not. (Done by declaring the column without a type
    for the one UPDATE.)"""
    want = expected(db)
    engine = open_engine(engines, db)
    assert engine.get_values("t", list(want)) == list(want.values())
    with closing(sqlite3.connect(db)) as conn:
        ddl = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        untyped, found = re.subn(rf"(\n\s+{column})\s+INTEGER", r"\1", ddl)
        assert found == 1
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (untyped, table))
        conn.commit()
    with closing(sqlite3.connect(db)) as conn:
        where = "pid = :pid" + (" AND seq = :head" if table == "changes" else "")
        conn.execute(f"UPDATE {table} SET {column} = CAST({column} AS REAL) WHERE {where}", _pid_and_head(conn))
        assert conn.execute(f"SELECT count(*) FROM {table} WHERE typeof({column}) = 'real'").fetchone()[0] == 1
        conn.execute("PRAGMA writable_schema = ON")
        conn.execute("UPDATE sqlite_master SET sql = ? WHERE name = ?", (ddl, table))
        conn.commit()
    for reader in (engine, open_engine(engines, db)):
        with pytest.raises(E.DataLoss) as loss:
            reader.get_values("t", [])
        assert loss.value.paths == [VICTIM]
        with pytest.raises(E.DataLoss):
            reader.get_values("t", [VICTIM])
        rest = [p for p in want if p != VICTIM]
        assert reader.get_values("t", rest) == [want[p] for p in rest]


def test_a_format_1_row_without_metadata_reads_as_before(db: Path, engines: list[Engine]) -> None:
    """A NULL metadata column (not written by this version, but valid) takes the general
    read: the answer is the same, with empty metadata."""
    with closing(sqlite3.connect(db)) as conn:
        conn.create_function("zck", -1, row_ck)
        conn.execute("UPDATE changes SET meta = NULL, ck = zck('changes', pid, seq, value, NULL) "
                     "WHERE pid = :pid AND seq = :head", _pid_and_head(conn))
        conn.commit()
    want = expected(db)
    assert want[VICTIM].metadata_json == b""
    engine = open_engine(engines, db)
    every_read(engine, want)


@pytest.mark.parametrize("size", [4095, 4096, 70_000])
def test_long_values_paths_and_metadata_take_the_fast_read_and_are_checked(short_tmp: Path, engines: list[Engine],
                                                                          size: int) -> None:
    """Lengths in the checksums are looked up below 4,096 bytes and packed from there on:
    both give the digest the store wrote, so a tree with long columns is kept after its
    first read (the fast read found it intact), and a byte changed in one is reported."""
    db = short_tmp / "long.sqlite"
    writer = open_engine(engines, db, create=True)
    long_path = "é/" + "p" * (size - 3)  # its length in UTF-8 bytes is ``size``
    big = [Entry(long_path, b'"' + b"v" * (size - 2) + b'"', b"{" + b" " * (size - 2) + b"}"),
           Entry("short", b"1", b"")]
    writer.write("t", big + [entry(i) for i in range(COUNT)], [], "", {}, "", "")
    want = expected(db)
    assert len(want[long_path].path.encode()) == size
    reader = open_engine(engines, db)
    assert reader.get_values("t", list(want)) == list(want.values())
    assert len(reader._heads) == 1, "the fast read found every row intact"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE changes SET value = CAST(replace(CAST(value AS TEXT), 'vv', 'vw') AS BLOB) "
                     "WHERE length(value) = ?", (size,))
        conn.commit()
    with pytest.raises(E.DataLoss) as loss:
        open_engine(engines, db).get_values("t", list(want))
    assert loss.value.paths == [long_path]


def test_kept_values_are_out_of_the_collectors_scans(db: Path, engines: list[Engine]) -> None:
    """A tree read whole and kept is frozen out of cyclic collection (its values live as
    long as the file is unchanged): the first collection after a big read does not walk
    them all, inside the answer that read them. Garbage cycles made before the read are
    collected first, not frozen for good."""
    want = expected(db)
    engine = open_engine(engines, db)

    class Cycle:
        me: object

    garbage = Cycle()
    garbage.me = garbage
    gone = weakref.ref(garbage)
    del garbage
    assert engine.get_values("t", list(want)) == list(want.values())
    assert gc.get_count()[0] < 100  # nothing of the read left for the next collection
    assert gone() is None
    (head,) = engine._heads._trees.values()
    scanned = {id(o) for o in gc.get_objects()}  # every generation but the frozen one
    assert not any(id(e) in scanned for e in head.entries)


def test_the_size_counted_while_reading_is_the_estimate(db: Path, engines: list[Engine]) -> None:
    """The fast read counts the bytes it checks; the cache's bound sees the same size as
    its own estimate gives (the paths here are ASCII: a UTF-8 byte per character)."""
    engine = open_engine(engines, db)
    engine.get_values("t", [])
    (head,) = engine._heads._trees.values()
    assert head.size == estimate(head.entries) > PER_VALUE * len(head.entries)
