"""DiffVersions: the sqlite plugin computes the diff of two tree versions from its
history rows and streams only the changed paths (real plugin process, real file);
the session's history access turns them into the same diff a snapshot comparison
gives; a store without the feature (zhi-store-gopeer) keeps the snapshot path."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import interop_binary, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.diff import ChangeKind, diff_trees
from zhi_gui.core.model import DiffEntry, Entry
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreSession, StoreTarget
from zhi_gui.session.history import HistoryAccess

SQLITE = plugin_path("sqlite")
Run = Callable[..., Any]


async def collect(store: StoreClient, tree: str, old: str, new: str, prefix: str = "",
                  chunk: int = 0) -> tuple[list[DiffEntry], int, int, int]:
    pairs: list[DiffEntry] = []
    chunks = totals = 0
    async for part in store.diff_versions(tree, old, new, prefix, chunk):
        pairs.extend(part.entries)
        chunks += 1
        totals = part.from_total * 1_000_000 + part.to_total
    return pairs, chunks, totals // 1_000_000, totals % 1_000_000


def shape(pairs: list[DiffEntry]) -> list[tuple[str, bytes | None, bytes | None]]:
    return [(p.path, p.old.value_json if p.old else None, p.new.value_json if p.new else None) for p in pairs]


def test_only_changed_paths_come_back_in_path_order_and_either_direction(arun: Run, short_tmp: Path) -> None:
    async def go() -> None:
        async with await launch_store(SQLITE, options={"path": str(short_tmp / "s.sqlite"), "create": True}) as p:
            store = p.store
            v1 = await store.write_values("t", [Entry(f"app/k{i:02d}", str(i).encode()) for i in range(30)])
            v2 = await store.write_values("t", [Entry("app/k01", b"100"), Entry("app/k02", b"2"),  # k02: same value
                                               Entry("new/x", b'"x"')], ["app/k03"])
            v3 = await store.write_values("t", [Entry("app/k04", b"4", b'{"ui.readonly":true}')])
            pairs, _, before, after = await collect(store, "t", v1, v3)
            assert shape(pairs) == [("app/k01", b"1", b"100"), ("app/k03", b"3", None),
                                    ("app/k04", b"4", b"4"), ("new/x", None, b'"x"')]
            assert (before, after) == (30, 30)
            assert pairs[2].new is not None and pairs[2].new.metadata_json == b'{"ui.readonly":true}'
            assert pairs[0].new is not None and pairs[0].new.version == v2  # entries carry their versions
            back, _, before, after = await collect(store, "t", v3, v1)  # newer -> older: sides swap
            assert shape(back) == [(p, n, o) for p, o, n in shape(pairs)]
            assert (before, after) == (30, 30)
            assert shape((await collect(store, "t", v1, "", "new/"))[0]) == [("new/x", None, b'"x"')]
            assert (await collect(store, "t", v2, v2))[0] == []  # one version: nothing differs
            pairs, chunks, _, _ = await collect(store, "t", v1, v3, chunk=1)  # batches keep every pair
            assert len(pairs) == 4 and chunks >= 4
            with pytest.raises(E.NotFound):
                await collect(store, "t", v1, "999")
            with pytest.raises(E.NotFound):
                await collect(store, "nope", "1", "2")
            assert "DiffVersions" in (await store.describe()).features

    arun(go())


def test_the_store_diff_equals_the_snapshot_diff(arun: Run, short_tmp: Path) -> None:
    """Same counts and the same changes as diffing two whole snapshots (types, labels,
    additions, removals, a value rewritten with other JSON spelling)."""

    async def go() -> None:
        target = StoreTarget(SQLITE, {"path": str(short_tmp / "s.sqlite"), "create": True}, "t")
        session = StoreSession()
        try:
            await session.open(target)
            store = session.store
            base = [Entry(f"svc{i % 7}/k{i}", json.dumps({"n": i, "tags": ["a"]}).encode(),
                          b'{"ui.password":true}' if i % 11 == 0 else b"") for i in range(400)]
            v1 = await store.write_values("t", base)
            v2 = await store.write_values("t", [
                Entry("svc1/k1", b'{"tags":["a"],"n":1}'),  # other spelling, same value
                Entry("svc2/k2", b'"2"'),  # type change
                Entry("svc3/k3", base[3].value_json, b'{"core.description":"x"}'),  # labels only
                Entry("svc0/k0", b'"secret2"', b'{"ui.password":true}'),
                Entry("added/one", b"1")], ["svc4/k4", "svc5/k5"])
            await session.load_tree("t")
            access = HistoryAccess(session)
            assert access.diffs_versions
            partial = await access.diff_versions(v1, v2)
            full = diff_trees(await access.tree_snapshot(v1), await access.tree_snapshot(v2))
            assert partial is not None and partial.partial and not full.partial
            assert partial.counts == full.counts
            assert [(c.path, c.kind, c.type_changed, c.metadata_only, c.secret) for c in partial.changes] == \
                   [(c.path, c.kind, c.type_changed, c.metadata_only, c.secret) for c in full.changes]
            assert {c.kind for c in partial.changes} == {ChangeKind.ADDED, ChangeKind.REMOVED, ChangeKind.CHANGED}
            # "current" is the head the window shows
            current = await access.diff_versions(v1, "")
            assert current is not None and current.counts == full.counts
        finally:
            await session.close()

    arun(go())


def test_a_store_without_diff_versions_is_compared_by_snapshots(arun: Run, short_tmp: Path) -> None:
    gopeer = interop_binary("zhi-store-gopeer")

    async def go() -> None:
        session = StoreSession()
        try:
            await session.open(StoreTarget(gopeer, {}, "t", known_paths=("a/x", "a/y")))
            store = session.store
            await store.put_values("t", [Entry("a/x", b"1"), Entry("a/y", b"2")])
            await store.put_values("t", [Entry("a/x", b"3")])
            await session.load_tree("t")
            access = HistoryAccess(session)
            assert not access.diffs_versions
            newest, older = (await store.list_tree_versions("t"))[:2]
            assert await access.diff_versions(older, newest) is None  # the caller compares snapshots
            diff = diff_trees(await access.tree_snapshot(older), await access.tree_snapshot(newest))
            assert [(c.path, c.kind) for c in diff.changes] == [("a/x", ChangeKind.CHANGED)]
        finally:
            await session.close()

    arun(go())


def test_the_snapshot_cache_is_bounded_by_values_and_never_empties_a_snapshot_in_use(
        arun: Run, short_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Three 1M-value versions kept ~1 GB in the window: the cache holds at most
    SNAPSHOT_CACHE_VALUES values; one it lets go of stays whole for whoever still uses it."""
    from zhi_gui.session import history

    monkeypatch.setattr(history, "SNAPSHOT_CACHE_VALUES", 500)

    async def go() -> None:
        session = StoreSession()
        try:
            await session.open(StoreTarget(SQLITE, {"path": str(short_tmp / "s.sqlite"), "create": True}, "t"))
            store = session.store
            v1 = await store.write_values("t", [Entry(f"k{i:03d}", str(i).encode()) for i in range(400)])
            v2 = await store.write_values("t", [Entry("k000", b'"changed"')])
            await session.load_tree("t")
            access = HistoryAccess(session)
            first = await access.tree_snapshot(v1)
            assert [k[2] for k in access._snapshots] == [v1]
            second = await access.tree_snapshot(v2)
            assert [k[2] for k in access._snapshots] == [v2], "800 values: the older one is let go"
            assert len(first) == 400 and first["k000"].value_json == b"0", "still whole for its user"
            assert len(second) == 400 and second["k000"].value_json == b'"changed"'
        finally:
            await session.close()

    arun(go())
