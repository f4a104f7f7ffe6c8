"""zhi-store-sqlite semantics, calling the store class directly (no process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import record_calls
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry, Versioning
from zhi_gui.stores.sqlite import SqliteStore

Run = Callable[..., Any]


@pytest.fixture
def make(short_tmp: Path, arun: Run) -> Iterator[Callable[..., SqliteStore]]:
    opened: list[SqliteStore] = []

    def factory(name: str = "store.db", **options: Any) -> SqliteStore:
        store = SqliteStore({"path": str(short_tmp / name), "create": True, **options}, scrypt_n=1 << 10)
        opened.append(store)
        return store

    yield factory
    for store in opened:
        arun(store.close())


@pytest.fixture
def store(make: Callable[..., SqliteStore]) -> SqliteStore:
    return make()


def e(path: str, value: str = '"v"', meta: str = "", version: str = "") -> Entry:
    return Entry(path, value.encode(), meta.encode(), version)


def values(entries: list[Entry]) -> dict[str, bytes]:
    return {x.path: x.value_json for x in entries}


def test_capabilities_and_describe(store: SqliteStore, arun: Run, short_tmp: Path) -> None:
    caps = arun(store.capabilities())
    assert caps.versioning == Versioning.TREE
    assert caps.encryption == Encryption.SUPPORTED
    assert not caps.auth and not caps.access_control
    d = arun(store.describe())
    assert d.store_kind == "sqlite" and d.api_version == 1 and not d.locked
    assert d.location == str(short_tmp / "store.db")
    assert {"ListPaths", "StreamTree", "DescribeVersions", "WriteValues", "Unlock", "Lock"} <= d.features
    assert store.serves_extension
    assert arun(store.auth_methods()) == []


def test_put_get_delete(store: SqliteStore, arun: Run) -> None:
    assert arun(store.list_trees()) == []
    assert arun(store.get_values("t", ["a"])) == []
    arun(store.put_values("t", [e("a", "1"), e("b/c", '{"x": [1, 2.5]}', '{"ui.password": true}'),
                                e("s", '"h\u00e9"'), e("n", "")]))
    got = arun(store.get_values("t", ["a", "b/c", "s", "n", "missing"]))
    assert [x.path for x in got] == ["a", "b/c", "s", "n"]
    assert got[0].value_json == b"1"
    assert got[1].value_json == b'{"x": [1, 2.5]}' and got[1].metadata_json == b'{"ui.password": true}'
    assert got[2].value_json == '"h\u00e9"'.encode()
    assert got[3].value_json == b"null"  # empty bytes = null
    assert len({x.version for x in got}) == 1 and got[0].version
    assert arun(store.list_trees()) == ["t"]
    # empty paths = everything, sorted
    assert [x.path for x in arun(store.get_values("t", []))] == ["a", "b/c", "n", "s"]
    arun(store.put_values("t", [e("a", "2")]))  # upsert, others untouched
    assert values(arun(store.get_values("t", ["a", "s"]))) == {"a": b"2", "s": '"h\u00e9"'.encode()}
    arun(store.delete_values("t", ["a", "nope"]))
    assert values(arun(store.get_values("t", ["a", "s"]))) == {"s": '"h\u00e9"'.encode()}
    arun(store.delete_tree("t"))
    assert arun(store.list_trees()) == []
    assert arun(store.get_values("t", [])) == []
    arun(store.delete_tree("t"))  # missing tree: success


def test_versions_newest_first_and_entry_versions(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1")]))
    v1 = arun(store.list_tree_versions("t"))[0]
    arun(store.put_values("t", [e("a", "2")]))
    arun(store.delete_values("t", ["b"]))
    versions = arun(store.list_tree_versions("t"))
    assert len(versions) == 3 and versions[-1] == v1 and len(set(versions)) == 3
    got = {x.path: x.version for x in arun(store.get_values("t", ["a"]))}
    assert got == {"a": versions[1]}  # the version that last changed it, not the head
    assert arun(store.list_tree_versions("other")) == []
    old = arun(store.get_tree_version("t", v1, []))
    assert values(old) == {"a": b"1", "b": b"1"} and {x.version for x in old} == {v1}
    assert values(arun(store.get_tree_version("t", v1, ["b", "zz"]))) == {"b": b"1"}
    assert values(arun(store.get_tree_version("t", versions[0], []))) == {"a": b"2"}
    with pytest.raises(E.NotFound):
        arun(store.get_tree_version("t", "999999", []))
    with pytest.raises(E.NotFound):
        arun(store.get_tree_version("t", "not-a-version", []))
    with pytest.raises(E.NotFound):
        arun(store.get_tree_version("nope", v1, []))


def test_version_ids_belong_to_their_tree(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t1", [e("a")]))
    arun(store.put_values("t2", [e("a")]))
    v1 = arun(store.list_tree_versions("t1"))[0]
    with pytest.raises(E.NotFound):
        arun(store.get_tree_version("t2", v1, []))


def test_empty_writes_create_no_version(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", []))
    arun(store.delete_values("t", ["a"]))
    assert arun(store.list_trees()) == []
    arun(store.put_values("t", [e("a")]))
    before = arun(store.list_tree_versions("t"))
    arun(store.put_values("t", []))
    arun(store.delete_values("t", ["missing", "other"]))
    assert arun(store.write_values("t", [], ["missing"])) == before[0]
    assert arun(store.list_tree_versions("t")) == before


def test_cas_tree_version(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1")]))
    head = arun(store.list_tree_versions("t"))[0]
    arun(store.put_values("t", [e("a", "2")], cas_version=head))
    with pytest.raises(E.CASConflict) as info:
        arun(store.put_values("t", [e("a", "3"), e("new", "1")], cas_version=head))
    new_head = arun(store.list_tree_versions("t"))[0]
    assert info.value.details == {"path": "", "expected": head, "actual": new_head}
    assert values(arun(store.get_values("t", ["a", "new"]))) == {"a": b"2"}
    assert len(arun(store.list_tree_versions("t"))) == 2
    # a tree that does not exist has no version yet
    with pytest.raises(E.CASConflict):
        arun(store.put_values("fresh", [e("a")], cas_version="1"))
    assert arun(store.list_trees()) == ["t"]


def test_cas_per_path_and_entry_version(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1")]))
    va = arun(store.get_values("t", ["a"]))[0].version
    arun(store.put_values("t", [e("b", "2")]))
    vb = arun(store.get_values("t", ["b"]))[0].version
    # cas_versions: a still at va -> ok, even though the tree moved on
    arun(store.put_values("t", [e("a", "2")], cas_versions={"a": va}))
    va2 = arun(store.get_values("t", ["a"]))[0].version
    count = len(arun(store.list_tree_versions("t")))
    with pytest.raises(E.CASConflict) as info:
        arun(store.put_values("t", [e("a", "3"), e("b", "3")], cas_versions={"a": va}))
    assert info.value.details == {"path": "a", "expected": va, "actual": va2}
    # TreeEntry.version acts as an expected version too
    with pytest.raises(E.CASConflict) as info:
        arun(store.put_values("t", [e("b", "3"), e("a", "3", version=va)]))
    assert info.value.path == "a"
    # "" expected = must not exist
    with pytest.raises(E.CASConflict) as info:
        arun(store.put_values("t", [e("b", "9")], cas_versions={"b": ""}))
    assert info.value.details == {"path": "b", "expected": "", "actual": vb}
    arun(store.put_values("t", [e("c", "1")], cas_versions={"c": ""}))
    # nothing of the refused writes landed
    assert values(arun(store.get_values("t", ["a", "b", "c"]))) == {"a": b"2", "b": b"2", "c": b"1"}
    assert len(arun(store.list_tree_versions("t"))) == count + 1
    # a guard on a path that is not written also counts
    with pytest.raises(E.CASConflict):
        arun(store.write_values("t", [e("c", "2")], cas_versions={"a": va}))
    # deleted path: its expected version is ""
    arun(store.delete_values("t", ["c"]))
    arun(store.put_values("t", [e("c", "5", version="")], cas_versions={"c": ""}))


def test_write_values_one_version_with_message(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1")]))
    v = arun(store.write_values("t", [e("c", "1"), e("a", "2")], ["b", "missing"], message="edit things",
                                author="alice@example"))
    versions = arun(store.list_tree_versions("t"))
    assert versions[0] == v and len(versions) == 2
    assert values(arun(store.get_values("t", []))) == {"a": b"2", "c": b"1"}
    page = arun(store.describe_versions("t"))
    assert page.total == 2
    info = page.versions[0]
    assert (info.id, info.message, info.author, info.changed_paths, info.kind) == (
        v, "edit things", "alice@example", 3, "write")
    assert info.time.endswith("Z") and "T" in info.time
    first = page.versions[1]
    assert "@" in first.author and first.message == "" and first.changed_paths == 2
    arun(store.write_values("t", [], ["c"]))
    assert arun(store.describe_versions("t", limit=1)).versions[0].kind == "delete"
    with pytest.raises(E.InvalidArgument):
        arun(store.write_values("t", [e("a")], ["a"]))
    # duplicate entries in one write: the last one wins
    arun(store.write_values("t", [e("d", "1"), e("d", "2")]))
    assert values(arun(store.get_values("t", ["d"]))) == {"d": b"2"}


def test_author_option(make: Callable[..., SqliteStore], arun: Run) -> None:
    store = make(author="bot@ci")
    arun(store.put_values("t", [e("a")]))
    assert arun(store.describe_versions("t")).versions[0].author == "bot@ci"
    arun(store.write_values("t", [e("a", "2")], author="carol"))
    assert arun(store.describe_versions("t", limit=1)).versions[0].author == "carol"


def test_describe_versions_paging(store: SqliteStore, arun: Run) -> None:
    for i in range(5):
        arun(store.write_values("t", [e("a", str(i))], message=f"m{i}"))
    page = arun(store.describe_versions("t", offset=1, limit=2))
    assert page.total == 5 and [v.message for v in page.versions] == ["m3", "m2"]
    ids = arun(store.list_tree_versions("t"))
    chosen = arun(store.describe_versions("t", versions=[ids[4], "bogus", ids[0]]))
    assert [v.message for v in chosen.versions] == ["m0", "m4"]
    assert arun(store.describe_versions("missing")).total == 0


def test_rollback_creates_new_version(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1")]))
    v1 = arun(store.list_tree_versions("t"))[0]
    arun(store.write_values("t", [e("a", "2"), e("c", "1")], ["b"]))
    arun(store.put_values("t", [e("d", "1")]))
    before = arun(store.list_tree_versions("t"))
    arun(store.rollback_tree("t", v1))
    after = arun(store.list_tree_versions("t"))
    assert len(after) == len(before) + 1 and after[1:] == before and after[0] not in before
    now = arun(store.get_values("t", []))
    assert values(now) == {"a": b"1", "b": b"1"}
    assert {x.version for x in now} == {after[0]}
    info = arun(store.describe_versions("t", limit=1)).versions[0]
    assert info.kind == "rollback" and info.changed_paths == 4 and v1 in info.message
    # history is intact: the old versions still read as before
    assert values(arun(store.get_tree_version("t", before[0], []))) == {"a": b"2", "c": b"1", "d": b"1"}
    with pytest.raises(E.NotFound):
        arun(store.rollback_tree("t", "12345"))
    with pytest.raises(E.NotFound):
        arun(store.rollback_tree("missing", v1))


def test_rollback_checks_the_path_rows_it_changes_and_reads_no_others(store: SqliteStore, arun: Run) -> None:
    """A rollback finds the rows of the paths it changes with SQL and checks those: it read
    and checked every path row of the tree (a rollback of one value of 1M: ~5 s)."""
    import sqlite3
    from contextlib import closing

    arun(store.put_values("t", [e("a", "1"), e("b", "1"), e("z", "1")]))
    v1 = arun(store.list_tree_versions("t"))[0]
    arun(store.put_values("t", [e("a", "2")]))
    with closing(sqlite3.connect(store.path)) as conn:  # another path's row is damaged: not read
        conn.execute("UPDATE paths SET ck = zeroblob(16) WHERE path = 'z'")
        conn.commit()
    arun(store.rollback_tree("t", v1))
    assert values(arun(store.get_values("t", ["a", "b"]))) == {"a": b"1", "b": b"1"}
    arun(store.put_values("t", [e("b", "2")]))
    head = arun(store.list_tree_versions("t"))
    with closing(sqlite3.connect(store.path)) as conn:  # the row of the path it changes is damaged
        conn.execute("UPDATE paths SET ck = zeroblob(16) WHERE path = 'b'")
        conn.commit()
    with pytest.raises(E.DataLoss, match="index row of path 'b'"):
        arun(store.rollback_tree("t", v1))
    assert arun(store.list_tree_versions("t")) == head, "nothing was changed"


def test_rollback_keeps_versions_of_unchanged_values(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1")]))
    v1 = arun(store.list_tree_versions("t"))[0]
    arun(store.put_values("t", [e("a", "2")]))
    arun(store.rollback_tree("t", v1))
    got = {x.path: x.version for x in arun(store.get_values("t", []))}
    head = arun(store.list_tree_versions("t"))[0]
    assert got == {"a": head, "b": v1}


def _snapshot(store: SqliteStore, arun: Run, tree: str) -> dict[str, dict[str, tuple[bytes, bytes]]]:
    return {v: {x.path: (x.value_json, x.metadata_json) for x in arun(store.get_tree_version(tree, v, []))}
            for v in arun(store.list_tree_versions(tree))}


def test_delete_version_keeps_every_other_version(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a", "1"), e("b", "1"), e("c", "1")]))
    arun(store.write_values("t", [e("a", "2"), e("d", "1")], ["b"]))
    arun(store.write_values("t", [e("b", "3")], ["c"]))
    arun(store.write_values("t", [e("e", "1")], ["d"]))
    arun(store.put_values("t", [e("a", "5", '{"m": 1}')]))
    versions = arun(store.list_tree_versions("t"))
    before = _snapshot(store, arun, "t")
    head_values = arun(store.get_values("t", []))
    for victim in (versions[2], versions[4], versions[1]):  # middle, oldest, the one before head
        arun(store.delete_tree_version("t", victim))
        after = _snapshot(store, arun, "t")
        assert victim not in after
        assert after == {v: before[v] for v in after}
    assert arun(store.list_tree_versions("t")) == [versions[0], versions[3]]
    assert [(x.path, x.value_json) for x in arun(store.get_values("t", []))] == [
        (x.path, x.value_json) for x in head_values]
    # entry versions only name versions that exist
    live = set(arun(store.list_tree_versions("t")))
    assert {x.version for x in arun(store.get_values("t", []))} <= live
    with pytest.raises(E.InvalidArgument):
        arun(store.delete_tree_version("t", versions[0]))
    with pytest.raises(E.NotFound):
        arun(store.delete_tree_version("t", versions[2]))
    # changed-path counts now describe the diff to the previous remaining version
    page = arun(store.describe_versions("t"))
    assert page.versions[-1].changed_paths == len(before[versions[3]])


def test_delete_oldest_version_drops_leading_deletions(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("x", "1")]))
    arun(store.delete_values("t", ["x"]))
    arun(store.put_values("t", [e("y", "1")]))
    v = arun(store.list_tree_versions("t"))
    arun(store.delete_tree_version("t", v[2]))
    assert values(arun(store.get_tree_version("t", v[1], []))) == {}
    assert arun(store.list_paths("t", "", v[1])) == []
    assert arun(store.describe_versions("t", versions=[v[1]])).versions[0].changed_paths == 0


def test_list_paths_and_prefixes(store: SqliteStore, arun: Run) -> None:
    paths = ["a", "a/b", "a/b/c", "a/b-c", "a/b.d", "a/bc", "ab", "b/x"]
    arun(store.put_values("t", [e(p) for p in paths]))
    v1 = arun(store.list_tree_versions("t"))[0]
    arun(store.delete_values("t", ["b/x"]))
    assert arun(store.list_paths("t")) == sorted(paths[:-1])
    assert arun(store.list_paths("t", "a/")) == ["a/b", "a/b-c", "a/b.d", "a/b/c", "a/bc"]
    assert arun(store.list_paths("t", "a/b")) == ["a/b", "a/b/c"]
    assert arun(store.list_paths("t", "a")) == ["a", "a/b", "a/b-c", "a/b.d", "a/b/c", "a/bc"]
    assert arun(store.list_paths("t", "b/")) == []
    assert arun(store.list_paths("t", "b/", v1)) == ["b/x"]
    assert arun(store.list_paths("missing")) == []
    with pytest.raises(E.NotFound):
        arun(store.list_paths("missing", "", "1"))


def test_stream_tree_chunks_and_consistency(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e(f"k/{i:04d}", str(i)) for i in range(25)] + [e("z", "1")]))
    v1 = arun(store.list_tree_versions("t"))[0]

    async def collect(**kw: Any) -> list[Any]:
        return [chunk async for chunk in store.stream_tree("t", **kw)]

    chunks = arun(collect(chunk_size=10))
    assert [len(c.entries) for c in chunks] == [10, 10, 6]
    assert {c.total for c in chunks} == {26} and {c.version for c in chunks} == {v1}
    assert [x.path for c in chunks for x in c.entries] == [f"k/{i:04d}" for i in range(25)] + ["z"]
    assert chunks[0].entries[3].value_json == b"3" and chunks[0].entries[3].version == v1
    prefixed = arun(collect(prefix="k/", chunk_size=100))
    assert len(prefixed) == 1 and prefixed[0].total == 25

    async def write_while_streaming() -> list[Any]:
        got = []
        async for chunk in store.stream_tree("t", chunk_size=10):
            got.append(chunk)
            await store.put_values("t", [e("k/0024", '"changed"'), e("k/9999", "1")])
        return got

    during = arun(write_while_streaming())
    flat = {x.path: x.value_json for c in during for x in c.entries}
    assert len(flat) == 26 and flat["k/0024"] == b"24" and "k/9999" not in flat  # one snapshot
    old = arun(collect(version=v1))
    assert sum(len(c.entries) for c in old) == 26
    empty = arun(collect(prefix="nothing/"))
    assert len(empty) == 1 and empty[0].entries == () and empty[0].total == 0

    async def missing() -> list[Any]:
        return [c async for c in store.stream_tree("nope")]

    assert arun(missing())[0].total == 0
    with pytest.raises(E.NotFound):
        arun(collect(version="424242"))


def test_value_versioning_and_access_control_unsupported(store: SqliteStore, arun: Run) -> None:
    arun(store.put_values("t", [e("a")]))
    for call in (store.list_value_versions("t", "a"), store.get_value_version("t", "a", "1"),
                 store.rollback_value("t", "a", "1"), store.delete_value_version("t", "a", "1")):
        with pytest.raises(E.Unsupported) as info:
            arun(call)
        assert info.value.details["feature"] == "value_versioning"
    with pytest.raises(E.Unsupported):
        arun(store.list_access("t"))
    with pytest.raises(E.Unsupported):
        arun(store.login("userpass", {}))


def test_data_survives_reopen(make: Callable[..., SqliteStore], arun: Run) -> None:
    store = make("same.db")
    arun(store.write_values("t", [e("a", "1")], message="first"))
    arun(store.put_values("t", [e("a", "2")]))
    versions = arun(store.list_tree_versions("t"))
    arun(store.close())
    again = make("same.db")
    assert arun(again.list_tree_versions("t")) == versions
    assert values(arun(again.get_values("t", ["a"]))) == {"a": b"2"}
    assert arun(again.describe_versions("t")).versions[1].message == "first"
    arun(again.put_values("t", [e("a", "3")]))
    assert int(arun(again.list_tree_versions("t"))[0]) > int(versions[0])


def test_two_stores_on_one_file_respect_cas(make: Callable[..., SqliteStore], arun: Run) -> None:
    one, two = make("shared.db"), make("shared.db")
    arun(one.put_values("t", [e("a", "1")]))
    head = arun(two.list_tree_versions("t"))[0]
    arun(one.put_values("t", [e("a", "2")], cas_version=head))
    with pytest.raises(E.CASConflict):
        arun(two.put_values("t", [e("a", "3")], cas_version=head))
    assert values(arun(two.get_values("t", ["a"]))) == {"a": b"2"}


def test_options_are_checked(short_tmp: Path) -> None:
    with pytest.raises(E.InvalidArgument):
        SqliteStore({"path": 5})


def test_the_search_index_is_built_in_quiet_moments_not_between_a_reads_chunks(store: SqliteStore, arun: Run) -> None:
    """Seen at 1M values: an export read 18,000 values a second, not 100,000, because a slice
    of the index build (50-100 ms) ran between each two of its chunks."""
    import asyncio

    arun(store.write_values("t", [e(f"k{i:05d}", str(i)) for i in range(12_000)]))
    calls = record_calls(store._engine, "search_index_step", "stream_chunk")

    async def go() -> int:
        await store.search("t", "k0001")  # the build starts in the background
        read = 0
        async for chunk in store.stream_tree("t", chunk_size=500):  # 24 chunks, asked back to back
            read += len(chunk.entries)
        while "t" in store._indexing:  # then it finishes in the quiet that follows
            await asyncio.sleep(0.05)
        return read

    assert arun(go()) == 12_000
    first, last = calls.index("stream_chunk"), len(calls) - 1 - calls[::-1].index("stream_chunk")
    assert "search_index_step" not in calls[first:last], "no slice between two chunks of the read"
    assert calls.count("search_index_step") >= 6 and calls[-1] == "search_index_step", "built all the same"
    assert arun(store.search("t", "k0001")).total == 10


def test_a_cancelled_search_stops_its_scan_and_frees_the_store(store: SqliteStore, arun: Run) -> None:
    """An encrypted 1M-value store's search scans every row (17 s here) until its index is
    built: a search the user typed past ran on to its end before the next one could start."""
    import asyncio
    import contextlib
    import threading

    arun(store.write_values("t", [e(f"k{i:05d}", str(i)) for i in range(30_000)]))
    engine = store._engine
    real_rows = engine._rows
    seen = [0]
    reached, go_on = threading.Event(), threading.Event()

    def rows(*args: Any) -> Any:
        for row in real_rows(*args):
            seen[0] += 1
            if seen[0] == 1500:  # the test cancels the search here, then lets the scan go on
                reached.set()
                go_on.wait(10)
            yield row

    engine._rows = rows  # type: ignore[method-assign]

    async def go() -> list[str]:
        search = asyncio.ensure_future(store.search("t", "\u00fc-nowhere"))  # non-ASCII: a scan in Python
        await asyncio.to_thread(reached.wait, 10)
        search.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await search
        go_on.set()
        return await store.list_trees()  # the engine thread is free again

    assert arun(go()) == ["t"]
    assert seen[0] <= 2001, f"the scan stopped at its next look at the flag, not after {seen[0]:,} of 30,000 rows"
