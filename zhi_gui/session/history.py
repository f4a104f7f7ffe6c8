"""What the history panel reads and writes, through the open store's session.

Rows of the version lists come from *pagers*: the extension's
DescribeVersions (time, author, message, size, kind; paged by the store), a
plain zhi store's ListTreeVersions (ids only, paged here), or the selected
value's ListValueVersions (value mode; each page also fetches its values).
Tree snapshots come from StreamTree (extension) or GetTreeVersion with empty
paths (plain), and are cached: a version never changes once written. Where the
store offers DiffVersions, a comparison of two versions reads only the changed
paths (the store computes them from its history) and no snapshot at all.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from zhi_gui.core import errors as E
from zhi_gui.core.model import DiffEntry, Entry, VersionInfo, Versioning
from zhi_gui.session.session import StoreSession

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    from zhi_gui.core.diff import TreeDiff
    from zhi_gui.plugin.client import StoreClient

SNAPSHOT_CACHE = 3
# ... and at most this many values in all: three 1M-value versions kept ~1 GB in the window
# (issue 14: at 1M values the window holds what is shown plus a bounded cache). A version
# bigger than this alone is read again when it is needed again.
SNAPSHOT_CACHE_VALUES = 300_000
Progress = Callable[[int, int], None]  # (values read, total or 0)


@dataclass(frozen=True)
class VersionRow:
    """One row of a version list. ``staged`` > 0 marks the "Staged edits" pseudo-row."""

    id: str
    info: VersionInfo | None = None
    entry: Entry | None = None  # value mode: the value in this version (None: deleted there)
    current: bool = False
    staged: int = 0

    @property
    def is_staged(self) -> bool:
        return self.staged > 0


class Pager(Protocol):
    async def page(self, offset: int, limit: int) -> tuple[list[VersionRow], int]:
        """Rows ``offset .. offset+limit`` (newest first) and the total count."""
        ...


class DescribedTreePager:
    def __init__(self, store: StoreClient, tree_id: str) -> None:
        self.store, self.tree_id = store, tree_id

    async def page(self, offset: int, limit: int) -> tuple[list[VersionRow], int]:
        result = await self.store.describe_versions(self.tree_id, offset, limit)
        rows = [VersionRow(v.id, v, current=offset + i == 0) for i, v in enumerate(result.versions)]
        return rows, result.total


class PlainTreePager:
    """ListTreeVersions once, then pages of ids (a plain zhi store describes nothing more)."""

    def __init__(self, store: StoreClient, tree_id: str) -> None:
        self.store, self.tree_id = store, tree_id
        self._ids: list[str] | None = None

    async def ids(self) -> list[str]:
        if self._ids is None:
            self._ids = await self.store.list_tree_versions(self.tree_id)
        return self._ids

    async def page(self, offset: int, limit: int) -> tuple[list[VersionRow], int]:
        ids = await self.ids()
        return [VersionRow(v, current=offset + i == 0) for i, v in enumerate(ids[offset:offset + limit])], len(ids)


class ValueVersionPager:
    """The versions of one value, each page with its values (GetValueVersion per id)."""

    def __init__(self, store: StoreClient, tree_id: str, path: str) -> None:
        self.store, self.tree_id, self.path = store, tree_id, path
        self._ids: list[str] | None = None

    async def page(self, offset: int, limit: int) -> tuple[list[VersionRow], int]:
        import asyncio

        if self._ids is None:
            self._ids = await self.store.list_value_versions(self.tree_id, self.path)
        ids = self._ids[offset:offset + limit]
        found = await asyncio.gather(*(self.store.get_value_version(self.tree_id, self.path, v) for v in ids))
        rows = [VersionRow(v, entry=Entry(self.path, f.value_json or b"null", f.metadata_json, v) if f.found else None,
                           current=offset + i == 0 and f.found)
                for i, (v, f) in enumerate(zip(ids, found, strict=True))]
        return rows, len(self._ids)


class HistoryAccess:
    def __init__(self, session: StoreSession) -> None:
        self.session = session
        self._snapshots: OrderedDict[tuple[int, str, str], dict[str, Entry]] = OrderedDict()

    # --- what the open store offers ------------------------------------------------------
    @property
    def versioning(self) -> Versioning:
        return self.session.capabilities.versioning if self.session.is_open else Versioning.NONE

    @property
    def tree_id(self) -> str:
        return self.session.tree_id

    def has_feature(self, name: str) -> bool:
        return self.session.has_feature(name)

    @property
    def describes_versions(self) -> bool:
        return self.has_feature("DescribeVersions")

    def tree_pager(self) -> Pager:
        store = self.session.store
        if self.describes_versions:
            return DescribedTreePager(store, self.tree_id)
        return PlainTreePager(store, self.tree_id)

    def value_pager(self, path: str) -> Pager:
        return ValueVersionPager(self.session.store, self.tree_id, path)

    def forget_snapshots(self) -> None:
        dropped = list(self._snapshots.values())
        self._snapshots.clear()
        _release(dropped)

    @property
    def diffs_versions(self) -> bool:
        """The store computes the diff of two versions itself (DiffVersions)."""
        return self.versioning == Versioning.TREE and self.has_feature("DiffVersions")

    async def diff_versions(self, from_version: str, to_version: str,
                            progress: Progress | None = None) -> TreeDiff | None:
        """The diff of two tree versions ('' = the version the window shows) as the store
        computes it: only the changed paths travel, converted off the UI thread. None when
        the store cannot (the caller compares snapshots)."""
        import asyncio

        from zhi_gui.core.diff import diff_from_changes

        to_version = to_version or self.session.head_version
        if not self.diffs_versions or not from_version or not to_version:
            return None
        pairs: list[DiffEntry] = []
        to_total = 0
        try:
            async for chunk in self.session.store.diff_versions(self.tree_id, from_version, to_version):
                pairs.extend(chunk.entries)
                to_total = chunk.to_total
                if progress is not None:
                    progress(len(pairs), 0)
        except E.Unsupported:
            return None
        return await asyncio.get_running_loop().run_in_executor(None, diff_from_changes, pairs, to_total)

    # --- snapshots -----------------------------------------------------------------------
    def current_snapshot(self) -> dict[str, Entry]:
        """The tree as the window shows it, without staged edits (a copy: the index changes on save)."""
        return dict(self.session.index.entries)

    async def current_tree(self, progress: Progress | None = None) -> dict[str, Entry]:
        """The tree the window shows, whole: the index, or for a big tree read lazily
        (which the index holds only in part) the shown version from the store."""
        if self.session.lazy and self.session.head_version:
            return await self.tree_snapshot(self.session.head_version, progress)
        return self.current_snapshot()

    def staged_snapshot(self, base: dict[str, Entry] | None = None) -> dict[str, Entry]:
        """The tree as it would be after saving the staged edits."""
        result = dict(base if base is not None else self.session.index.entries)
        for path, change in self.session.staging.changes.items():
            if change.new is None:
                result.pop(path, None)
            else:
                result[path] = change.new
        return result

    def current_value(self, path: str) -> dict[str, Entry]:
        entry = self.session.index.entries.get(path)
        return {path: entry} if entry is not None else {}

    def staged_value(self, path: str) -> dict[str, Entry]:
        change = self.session.staging.get(path)
        if change is None:
            return self.current_value(path)
        return {path: change.new} if change.new is not None else {}

    async def tree_snapshot(self, version: str, progress: Progress | None = None) -> dict[str, Entry]:
        """Every value of the tree in ``version`` (cached)."""
        import asyncio

        key = (self.session.session_id, self.tree_id, version)
        cached = self._snapshots.get(key)
        if cached is not None:
            self._snapshots.move_to_end(key)
            return cached
        store = self.session.store
        entries: list[Entry] = []
        if self.has_feature("StreamTree"):
            async for chunk in store.stream_tree(self.tree_id, version=version):
                entries.extend(chunk.entries)
                if progress is not None:
                    progress(len(entries), chunk.total)
        else:
            entries = await store.get_tree_version(self.tree_id, version, [])
            if not entries and not self.session.lists_keys:
                # A plain zhi store answers nothing for "all paths": ask for the paths we know.
                known = sorted(set(self.session.index.entries) | self.session.known_paths)
                if known:
                    entries = await store.get_tree_version(self.tree_id, version, known)
        snapshot = await asyncio.get_running_loop().run_in_executor(None, _snapshot, entries)
        self._snapshots[key] = snapshot
        dropped = []
        while len(self._snapshots) > SNAPSHOT_CACHE or \
                (self._snapshots and sum(map(len, self._snapshots.values())) > SNAPSHOT_CACHE_VALUES):
            dropped.append(self._snapshots.popitem(last=False)[1])
        _release(dropped)
        return snapshot

    async def value_snapshot(self, path: str, version: str) -> dict[str, Entry]:
        found = await self.session.store.get_value_version(self.tree_id, path, version)
        if not found.found:
            return {}
        return {path: Entry(path, found.value_json or b"null", found.metadata_json, version)}

    async def key_entries(self, path: str, versions: Sequence[str]) -> list[Entry | None]:
        """One path's entry in each tree version (None where it does not exist)."""
        import asyncio

        store = self.session.store

        async def one(version: str) -> Entry | None:
            entries = await store.get_tree_version(self.tree_id, version, [path])
            return next((e for e in entries if e.path == path), None)

        return list(await asyncio.gather(*(one(v) for v in versions)))

    # --- changing history --------------------------------------------------------------
    async def rollback_tree(self, version: str) -> str:
        """RollbackTree, then the new version it created (the newest one)."""
        store = self.session.store
        await store.rollback_tree(self.tree_id, version)
        versions = await store.list_tree_versions(self.tree_id)
        return versions[0] if versions else ""

    async def rollback_value(self, path: str, version: str) -> str:
        store = self.session.store
        await store.rollback_value(self.tree_id, path, version)
        versions = await store.list_value_versions(self.tree_id, path)
        return versions[0] if versions else ""

    async def delete_version(self, version: str, path: str = "") -> None:
        store = self.session.store
        if path:
            await store.delete_value_version(self.tree_id, path, version)
        else:
            await store.delete_tree_version(self.tree_id, version)
            stale = [k for k in self._snapshots if k[1] == self.tree_id and k[2] == version]
            for key in stale:
                del self._snapshots[key]


def _snapshot(entries: Sequence[Entry]) -> dict[str, Entry]:
    return {e.path: e for e in entries}


def _release(snapshots: list[dict[str, Entry]]) -> None:
    """Free dropped snapshots in a worker: freeing 100,000s of entries takes about 0.1 s,
    which on the UI thread is a stall the user feels."""
    if snapshots:
        threading.Thread(target=snapshots.clear, name="zhi-free-snapshots", daemon=True).start()
