"""The open store, as the window sees it: a supervised plugin, its trees, the
loaded tree (index + staged edits), and the operations on them.

Every store call runs as a coroutine on the Qt loop; heavy pure work (building
a 100,000-value index) runs in the default executor. Staged edits live here,
not in the plugin, so a plugin crash never loses them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from zhi_gui.core import errors as E
from zhi_gui.core.display import is_secret
from zhi_gui.core.gc_control import paused_gc
from zhi_gui.core.model import Capabilities, Entry, StoreDescription, Versioning
from zhi_gui.core.staging import StagedChange, Staging
from zhi_gui.core.tree_index import TreeIndex
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.hclog import LogLine
from zhi_gui.plugin.launcher import LaunchConfig
from zhi_gui.plugin.supervisor import PluginState, Supervisor
from zhi_gui.services.settings import StoreIdentity

log = logging.getLogger("zhi_gui.ui.store")


@dataclass(frozen=True)
class StoreTarget:
    """What to open: a plugin executable, its options, and a tree."""

    plugin: Path
    options: dict[str, Any] = field(default_factory=dict)
    tree_id: str = ""
    display_name: str = ""
    known_paths: tuple[str, ...] = ()  # for stores that cannot list keys (from a zhi workspace)

    @property
    def name(self) -> str:
        return self.display_name or self.plugin.name


@dataclass(frozen=True)
class Conflict:
    path: str
    mine: Entry | None  # None = my delete
    theirs: Entry | None  # None = deleted by them
    base: Entry | None


def build_index(entries: Sequence[Entry]) -> TreeIndex:
    index = TreeIndex(entries, is_secret=is_secret)
    index.prepare_search()
    return index


class StoreController(QObject):
    stateChanged = Signal(str, str)  # PluginState value, detail
    treesChanged = Signal(list)
    treeLoaded = Signal(str)  # tree id
    capabilitiesChanged = Signal()
    notice = Signal(str)  # something the user should read (not an error)
    logLine = Signal(object)  # LogLine from the plugin's stderr

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.target: StoreTarget | None = None
        self.supervisor: Supervisor | None = None
        self.capabilities = Capabilities()
        self.description: StoreDescription | None = None
        self.trees: list[str] = []
        self.tree_id = ""
        self.head_version = ""  # tree version when the tree was loaded / last saved
        self.index = TreeIndex()
        self.staging = Staging()
        self.lists_keys = True  # False: a plain zhi store that cannot list its keys
        self.known_paths: set[str] = set()
        # Called after every start of the plugin (also automatic restarts), before
        # any data is read: log in when the store has auth, unlock when it is
        # encrypted and locked. The UI installs them (keyring first, else a dialog).
        self.login_handler: Callable[[StoreClient], Awaitable[None]] | None = None
        self.unlock_handler: Callable[[StoreClient], Awaitable[None]] | None = None

    # --- lifecycle ---------------------------------------------------------------------
    @property
    def store(self) -> StoreClient:
        if self.supervisor is None:
            raise E.PluginUnavailable("no store is open")
        return self.supervisor.store

    async def store_ready(self) -> StoreClient:
        if self.supervisor is None:
            raise E.PluginUnavailable("no store is open")
        return await self.supervisor.wait_running()

    async def open(self, target: StoreTarget, config: LaunchConfig | None = None) -> None:
        await self.close()
        self.target = target
        config = config or LaunchConfig()
        config.options = target.options
        config.on_log = self.logLine.emit
        supervisor = Supervisor(target.plugin, config)
        supervisor.listeners.append(lambda state, detail: self.stateChanged.emit(state.value, detail))
        supervisor.start_hooks.append(self._after_start)
        self.supervisor = supervisor
        self.known_paths = set(target.known_paths)
        await supervisor.start()
        if self.description is not None and self.description.locked:
            return  # unlock cancelled: the tree is loaded after "Unlock..."
        try:
            await self.refresh_trees()
        except E.AuthRequired:
            return  # login cancelled: the tree is loaded after "Log in..."
        tree = target.tree_id or (self.trees[0] if self.trees else "default")
        await self.load_tree(tree)

    async def _after_start(self, store: StoreClient) -> None:
        try:
            self.capabilities = await store.capabilities()
        except E.Unsupported:
            self.capabilities = Capabilities()
            self.notice.emit("This plugin does not answer Capabilities (an old or foreign plugin): "
                             "versioning, encryption and login are unknown and stay switched off.")
        self.description = await store.extension()
        if self.capabilities.auth and self.login_handler is not None:
            await self.login_handler(store)
        if self.description is not None and self.description.locked and self.unlock_handler is not None:
            await self.unlock_handler(store)
            self.description = await store.describe()
        self.capabilitiesChanged.emit()

    async def refresh_capabilities(self) -> None:
        """Ask the store again (encryption 1 -> 2 after InitEncryption, lock state)."""
        store = await self.store_ready()
        self.capabilities = await store.capabilities()
        self.description = await store.extension() if self.description is None else await store.describe()
        self.capabilitiesChanged.emit()

    def identity(self) -> StoreIdentity | None:
        """The open store's identity (recent stores, keyring entry name)."""
        if self.target is None:
            return None
        return StoreIdentity(str(self.target.plugin), self.target.options, self.tree_id, self.target.name)

    async def close(self) -> None:
        supervisor, self.supervisor = self.supervisor, None
        if supervisor is not None:
            # The window may already be gone: stop reporting to it, then stop the plugin.
            supervisor.listeners.clear()
            supervisor.config.on_log = None
            if supervisor.plugin is not None:
                supervisor.plugin._on_log = None
            await supervisor.stop()

    async def restart_plugin(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.restart()

    @property
    def plugin_state(self) -> PluginState:
        return self.supervisor.state if self.supervisor else PluginState.STOPPED

    # --- trees -----------------------------------------------------------------------------
    async def refresh_trees(self) -> list[str]:
        store = await self.store_ready()
        self.trees = sorted(await store.list_trees())
        self.treesChanged.emit(self.trees)
        return self.trees

    async def load_tree(self, tree_id: str) -> None:
        store = await self.store_ready()
        with paused_gc():
            index, head = await self._read_tree(store, tree_id)
        old, self.index = self.index, index
        self.tree_id = tree_id
        self.head_version = head
        if self.staging.changes and any(c.path not in index.entries and c.base is not None
                                        for c in self.staging.changes.values()):
            log.info("staged edits kept across reload")
        self.treeLoaded.emit(tree_id)  # the model lets go of the old index here
        if old is not index:
            old.dispose()

    async def _read_tree(self, store: StoreClient, tree_id: str) -> tuple[TreeIndex, str]:
        loop = asyncio.get_running_loop()
        description = self.description
        if description is not None and "StreamTree" in description.features:
            # The index grows chunk by chunk in a worker while the rest streams in:
            # the plugin's work (another process) and ours overlap.
            index = TreeIndex(is_secret=is_secret)
            head = ""
            async for chunk in store.stream_tree(tree_id):
                await loop.run_in_executor(None, index.add_entries, chunk.entries)
                head = chunk.version
            self.lists_keys = True
            return index, head
        head = await self._head_of(store, tree_id)
        entries = await store.get_values(tree_id, [])
        if entries:
            self.lists_keys = True
            return await loop.run_in_executor(None, build_index, entries), head
        # A plain zhi store returns nothing for "all paths": ask for the paths we know.
        self.lists_keys = False
        if self.known_paths:
            entries = await store.get_values(tree_id, sorted(self.known_paths))
        self.notice.emit(
            "This store cannot list its keys (zhi's protocol has no such call). Showing the "
            f"{len(entries)} key(s) zhi-gui knows for it: from the workspace, or added in this window.")
        return await loop.run_in_executor(None, build_index, entries), head

    async def _head_of(self, store: StoreClient, tree_id: str) -> str:
        if self.capabilities.versioning != Versioning.TREE:
            return ""
        versions = await store.list_tree_versions(tree_id)
        return versions[0] if versions else ""

    async def create_tree(self, tree_id: str, entries: Sequence[Entry] = ()) -> None:
        store = await self.store_ready()
        first = list(entries) or [Entry("readme", b'"created with zhi-gui"')]
        if self.description is not None and "WriteValues" in self.description.features:
            await store.write_values(tree_id, first, message="create tree")
        else:
            await store.put_values(tree_id, first)
        await self.refresh_trees()

    async def delete_tree(self, tree_id: str) -> None:
        store = await self.store_ready()
        await store.delete_tree(tree_id)
        if tree_id == self.tree_id:
            self.staging.clear()
        await self.refresh_trees()

    async def tree_summary(self, tree_id: str) -> str:
        """What deleting a tree loses, in words."""
        store = await self.store_ready()
        parts = []
        if self.description is not None and "ListPaths" in self.description.features:
            parts.append(f"{len(await store.list_paths(tree_id))} value(s)")
        if self.capabilities.versioning == Versioning.TREE:
            parts.append(f"{len(await store.list_tree_versions(tree_id))} version(s) of history")
        return " and ".join(parts) if parts else "all its values"

    # --- editing -------------------------------------------------------------------------------
    def base_of(self, path: str) -> Entry | None:
        change = self.staging.get(path)
        return change.base if change is not None else self.index.entries.get(path)

    def stage_set(self, path: str, value_json: bytes, metadata_json: bytes) -> None:
        self.staging.stage_set(path, value_json, metadata_json, self.index.entries.get(path))
        self.known_paths.add(path)

    def stage_delete(self, paths: Sequence[str]) -> None:
        targets: list[str] = []
        for path in paths:  # a group deletes every value below it
            node = self.index.nodes.get(path)
            stack = [node] if node is not None else []
            while stack:
                current = stack.pop()
                if current.path in self.index.entries or current.path in self.staging:
                    targets.append(current.path)
                stack.extend(current.children)
        self.staging.stage_delete(targets, {p: self.index.entries.get(p) for p in targets})

    # --- saving --------------------------------------------------------------------------------
    async def save(self, message: str = "") -> str:
        """Write all staged edits; returns the new version ('' if the store has none).
        Raises CASConflict (nothing written, nothing lost) for ``conflicts()``."""
        store = await self.store_ready()
        plan = self.staging.write_plan()
        uses_extension = self.description is not None and "WriteValues" in self.description.features
        version = ""
        versioned = self.capabilities.versioning != Versioning.NONE
        if uses_extension:
            # A store without versions has nothing to compare against (and may refuse CAS fields).
            cas = dict(plan.cas_versions) if versioned else {}
            for entry in plan.entries if versioned else ():  # additions: the path must still not exist
                change = self.staging.get(entry.path)
                if change is not None and change.base is None:
                    cas.setdefault(entry.path, "")
            version = await store.write_values(self.tree_id, plan.entries, plan.delete_paths, "", cas,
                                               message=message)
        else:
            tree_cas = self.head_version if self.capabilities.versioning == Versioning.TREE else ""
            value_cas = plan.cas_versions if self.capabilities.versioning == Versioning.VALUE else {}
            if plan.entries:
                await store.put_values(self.tree_id, plan.entries, tree_cas, value_cas)
            if plan.delete_paths:
                await store.delete_values(self.tree_id, plan.delete_paths)
        written = [e.path for e in plan.entries]
        fresh = await store.get_values(self.tree_id, written) if written else []
        for entry in fresh:
            self.index.set_entry(entry)
        for path in plan.delete_paths:
            self.index.entries.pop(path, None)
        self.head_version = version or await self._head_of(store, self.tree_id)
        self.staging.clear()
        return version

    async def conflicts(self) -> list[Conflict]:
        """Mine / theirs / base for every staged path the store changed meanwhile."""
        store = await self.store_ready()
        paths = sorted(self.staging.changes)
        theirs = {e.path: e for e in await store.get_values(self.tree_id, paths)}
        result = []
        for path in paths:
            change = self.staging.changes[path]
            current = theirs.get(path)
            base = change.base
            if _same(current, base):
                continue
            result.append(Conflict(path, change.new, current, base))
        return result

    def resolve(self, conflict: Conflict, keep_mine: bool) -> None:
        """Keep mine: my edit stays staged against their version. Take theirs: my
        edit is dropped and their value is shown."""
        if keep_mine:
            self.staging.rebase(conflict.path, conflict.theirs)
        else:
            if conflict.theirs is not None:
                self.index.set_entry(conflict.theirs)
            else:
                self.index.entries.pop(conflict.path, None)
            self.staging.stage("take theirs", {conflict.path: None})
        if conflict.theirs is not None:
            self.index.entries[conflict.path] = conflict.theirs

    async def fill_sample(self, tree_id: str) -> int:
        from zhi_gui.core.sample import sample_entries

        entries = sample_entries()
        await self.create_tree(tree_id, entries)
        return len(entries)

    def changes_for_review(self) -> list[StagedChange]:
        return [self.staging.changes[p] for p in sorted(self.staging.changes)]


def _same(a: Entry | None, b: Entry | None) -> bool:
    if a is None or b is None:
        return a is b
    if a.version and b.version:
        return a.version == b.version
    return a.value_json == b.value_json and (a.metadata_json or b"") == (b.metadata_json or b"")


__all__ = ["Conflict", "LogLine", "StoreController", "StoreTarget", "build_index"]
