"""Saved heads (``stores.sqlite.saved_heads``): real zhi-store-sqlite processes on one
file. A tree read or written whole is saved as one row when the plugin stops,
and the next process reads it from there; the copy never hides a write, a damaged copy
is ignored, encryption leaves no plaintext copy behind, and a write keeps the tree's
values in memory exactly as a read of its rows gives them."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.stores.sqlite import check, saved_heads
from zhi_gui.stores.sqlite.engine import Engine

SQLITE_PLUGIN = plugin_path("sqlite")
Run = Callable[..., Any]
COUNT = saved_heads.SAVE_FROM + 500


def big_tree(marker: str = "v") -> list[Entry]:
    return [Entry(f"svc{i % 37:02d}/key{i:06d}", f'"{marker}-{i}"'.encode(), b'{"ui.password":true}' if i % 11 == 0
                  else b"") for i in range(COUNT)]


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


def saved_rows(db: Path) -> list[tuple[int, int, int]]:
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        try:
            return conn.execute("SELECT tid, seq, count FROM saved_heads").fetchall()
        except sqlite3.OperationalError:  # no such table: nothing was ever saved
            return []


async def written_by_a_plugin(db: Path, tree: list[Entry]) -> str:
    """``tree`` written into a new store by a plugin that then stops (and saves its copy)."""
    async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
        version: str = await plugin.store.write_values("t", tree)
    return version


def expected(tree: list[Entry], version: str) -> list[Entry]:
    return sorted((Entry(e.path, e.value_json, e.metadata_json, version) for e in tree), key=lambda e: e.path)


def test_a_written_tree_is_saved_at_stop_and_read_back_by_the_next_process(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "saved.db"
    tree = big_tree()

    async def go() -> None:
        version = await written_by_a_plugin(db, tree)
        assert saved_rows(db) == [(1, int(version), COUNT)]
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as second:
            assert await second.store.get_values("t", []) == expected(tree, version)
            asked = [e.path for e in reversed(tree)][:1000]
            assert [e.path for e in await second.store.get_values("t", asked)] == asked
            streamed = [e async for chunk in second.store.stream_tree("t", chunk_size=5000) for e in chunk.entries]
            assert streamed == expected(tree, version)
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as third:  # a window's load
            streamed = [e async for chunk in third.store.stream_tree("t", chunk_size=5000) for e in chunk.entries]
            assert streamed == expected(tree, version)
            group = [e async for chunk in third.store.stream_tree("t", prefix="svc03") for e in chunk.entries]
            assert group == [e for e in expected(tree, version) if e.path.startswith("svc03/")]

    arun(go(), timeout=180)
    report = check.check(db)  # zhi-store-sqlite --check: the copy is no damage
    assert not report.damaged, report.text()


def test_a_window_streaming_the_whole_tree_saves_it_and_a_stream_stopped_early_does_not(
        arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "stream.db"
    tree = big_tree()
    with closing(Engine(db, create=True)) as engine:
        version = engine.write("t", tree, [], "", {}, "", "")

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            async for _ in plugin.store.stream_tree("t", chunk_size=2000):
                break  # the window closed after the first chunk
        assert saved_rows(db) == []
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            group = [e async for chunk in plugin.store.stream_tree("t", prefix="svc01") for e in chunk.entries]
            assert len(group) == len([e for e in tree if e.path.startswith("svc01/")])
        assert saved_rows(db) == []  # a group is not the tree
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            streamed = [e async for chunk in plugin.store.stream_tree("t", chunk_size=2000) for e in chunk.entries]
            assert streamed == expected(tree, version)
        assert saved_rows(db) == [(1, int(version), COUNT)]
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            assert await plugin.store.get_values("t", []) == expected(tree, version)

    arun(go(), timeout=180)


def test_a_write_elsewhere_is_never_hidden_by_a_saved_copy(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "shared.db"
    tree = big_tree()

    async def go() -> None:
        await written_by_a_plugin(db, tree)
        assert len(saved_rows(db)) == 1
        with closing(Engine(db)) as other:  # another process's write: one value changed, one deleted
            second = other.write("t", [Entry(tree[5].path, b'"changed"')], [tree[6].path], "", {}, "", "")
        assert saved_rows(db) == []  # every write drops the copies
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as reader:
            got = {e.path: e for e in await reader.store.get_values("t", [])}
        assert got[tree[5].path] == Entry(tree[5].path, b'"changed"', b"", second)
        assert tree[6].path not in got and len(got) == COUNT - 1

    arun(go(), timeout=180)


def test_a_damaged_saved_copy_is_ignored_and_the_rows_are_served(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "damaged.db"
    tree = big_tree()

    async def go() -> None:
        version = await written_by_a_plugin(db, tree)
        with closing(sqlite3.connect(db)) as conn:  # one value's bytes in the copy change, its checksum does not
            vals = bytearray(conn.execute("SELECT vals FROM saved_heads").fetchone()[0])
            vals[100:103] = b"XYZ"
            conn.execute("UPDATE saved_heads SET vals = ?", (bytes(vals),))
            conn.commit()
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as reader:
            assert await reader.store.get_values("t", []) == expected(tree, version)

    arun(go(), timeout=180)


def test_encrypting_leaves_no_plaintext_copy(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "store.db"
    tree = big_tree("top-secret")

    async def go() -> None:
        await written_by_a_plugin(db, tree)
        assert len(saved_rows(db)) == 1
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as second:
            await second.store.get_values("t", [])
            await second.store.init_encryption(b"correct horse")
            assert len(await second.store.get_values("t", [])) == COUNT  # unlocked: read, never saved
        assert saved_rows(db) == []
        raw = b"".join(p.read_bytes() for p in short_tmp.glob("store.db*"))
        assert b"top-secret" not in raw

    arun(go(), timeout=180)


def test_a_write_keeps_the_tree_exactly_as_its_rows_read(short_tmp: Path) -> None:
    """After each write the tree is answered from memory (no read of its rows); it is the
    same, byte for byte and in order, as a new process reading the rows."""
    db = short_tmp / "carry.db"
    rng = random.Random(5)
    paths = [f"{rng.choice('abcé')}/{rng.randrange(400):03d}" for _ in range(300)]
    with closing(Engine(db, create=True)) as engine:
        for step in range(30):
            many = step % 5 == 4  # a big write (merged by sorting) now and then, else a few changes
            puts = {p: Entry(p, rng.choice([f'"{step}"'.encode(), b"", b"17"]),
                             rng.choice([b"", b'{"ui.secret":true}']))
                    for p in rng.sample(paths, rng.randrange(100, 250) if many else rng.randrange(1, 40))}
            deletes = [p for p in rng.sample(paths, rng.randrange(0, 20)) if p not in puts]
            engine.write("t", list(puts.values()), deletes, "", {}, "", "")
            kept = engine.get_values("t", [])
            with closing(Engine(db)) as fresh:
                assert kept == fresh.get_values("t", []), f"step {step}"


@pytest.mark.parametrize("count", [1, saved_heads.SAVE_FROM - 1])
def test_small_trees_are_not_saved(arun: Run, short_tmp: Path, count: int) -> None:
    db = short_tmp / "small.db"

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            await plugin.store.write_values("t", big_tree()[:count])
            await plugin.store.get_values("t", [])

    arun(go(), timeout=120)
    assert saved_rows(db) == []


def test_reads_answered_from_kept_protocol_bytes_are_the_rows_answers(arun: Run, short_tmp: Path) -> None:
    """A tree at hand whole is answered from each value's protocol bytes (``plugin.wire``):
    from the saved copy in a new process, then from memory, for the whole tree, another
    order, duplicates and absent paths; the same values as a process reading the rows."""
    db = short_tmp / "answers.db"
    tree = big_tree()
    own = sorted(e.path for e in tree)
    asks = {
        "all": [],
        "all in order": own,
        "reversed": own[::-1],
        "most, twice, some absent": own[::2] + own[: len(own) // 2] + ["svc99/none", "nowhere"],
        "a few": [own[7], "absent", own[3]],
    }

    async def answers() -> dict[str, list[Entry]]:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            cold = {name: await plugin.store.get_values("t", paths) for name, paths in asks.items()}
            warm = {name: await plugin.store.get_values("t", paths) for name, paths in asks.items()}
        assert cold == warm
        return cold

    async def go() -> None:
        version = await written_by_a_plugin(db, tree)
        by_path = {e.path: e for e in expected(tree, version)}
        want = {name: [by_path[p] for p in dict.fromkeys(paths or own) if p in by_path]
                for name, paths in asks.items()}
        assert saved_rows(db) == [(1, int(version), COUNT)]
        assert await answers() == want  # from the saved copy, then from memory
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("DELETE FROM saved_heads")
            conn.commit()
        assert await answers() == want  # from the rows, then from memory (saved again at stop)
        assert saved_rows(db) == [(1, int(version), COUNT)]

    arun(go(), timeout=180)


def test_a_copy_saved_by_an_earlier_version_is_not_read_and_is_replaced(arun: Run, short_tmp: Path) -> None:
    """The table as versions before the protocol bytes wrote it (no ``wire`` column): its
    row is never read, the tree is read from its rows, and the next save makes the table anew."""
    db = short_tmp / "earlier.db"
    tree = big_tree()

    async def go() -> None:
        version = await written_by_a_plugin(db, tree)
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("DROP TABLE saved_heads")
            conn.execute("CREATE TABLE saved_heads (tid INTEGER PRIMARY KEY, seq INTEGER NOT NULL, count INTEGER NOT "
                         "NULL, paths BLOB NOT NULL, vals BLOB NOT NULL, metas BLOB NOT NULL, versions BLOB NOT NULL, "
                         "ck BLOB NOT NULL)")
            conn.execute("INSERT INTO saved_heads VALUES (1, ?, 1, x'61', x'31', x'', x'0000000000000000', x'00')",
                         (int(version),))
            conn.commit()
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            assert await plugin.store.get_values("t", []) == expected(tree, version)
        with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
            columns = {name for (name,) in conn.execute("SELECT name FROM pragma_table_info('saved_heads')")}
        assert {"wire", "ends"} <= columns
        assert saved_rows(db) == [(1, int(version), COUNT)]
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            assert await plugin.store.get_values("t", []) == expected(tree, version)

    arun(go(), timeout=180)


def test_the_engine_answers_a_tree_at_hand_in_protocol_bytes_and_leaves_a_few_paths_to_get_values(
        short_tmp: Path) -> None:
    from zhi_gui.plugin import convert as cv
    from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb

    db = short_tmp / "engine.db"
    tree = big_tree()
    own = sorted(e.path for e in tree)
    with closing(Engine(db, create=True)) as engine:
        engine.write("t", tree, [], "", {}, "", "")
    with closing(Engine(db)) as engine:
        assert engine.values_answer("t", own[:10]) is None  # a few paths, nothing at hand: get_values reads them
        for paths in ([], own, own[::-3], ["absent", own[1], own[1], *own[::2]]):
            answer = engine.values_answer("t", paths)
            assert answer is not None
            assert [cv.entry_from_pb(m) for m in pb.GetValuesResponse.FromString(answer).values] == \
                engine.get_values("t", paths)
        assert engine.values_answer("t", own[:10]) is not None  # now at hand
        assert engine.values_answer("nothing-here", own) == b""
