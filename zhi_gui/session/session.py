"""One open store, owned in one place, without Qt.

The session holds the supervised plugin process, the store's capabilities and
lock state, its trees, the loaded tree's index (this class is its only
writer), the staged edits bound to their store and tree, the save with
compare-and-set and a conflict policy, what is remembered about the store,
and the check for saves made elsewhere. Views subscribe to its events (see
``events.Event``); the window talks to it through intents (methods), never by
writing its state.

Staged edits always belong to the loaded tree of this opening of the store:
the session refuses to load another tree or to stage an edit bound elsewhere
while they exist (the window asks the user first: save, discard or cancel).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from zhi_gui.core import errors as E
from zhi_gui.core.display import is_secret
from zhi_gui.core.gc_control import paused_gc
from zhi_gui.core.model import Capabilities, Entry, StoreDescription, TreeChange, Versioning
from zhi_gui.core.paths import under_prefix
from zhi_gui.core.staging import StagedChange, Staging
from zhi_gui.core.tree_index import SEARCH_LIMIT, TreeIndex
from zhi_gui.plugin.plugin_states import PluginState
from zhi_gui.services.settings import StoreIdentity
from zhi_gui.session.events import Event
from zhi_gui.session.memory import SessionMemory
from zhi_gui.session.target import ChangesElsewhere, Conflict, EditTarget, SaveOutcome, StoreTarget

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio
    from pathlib import Path

    from zhi_gui.plugin.client import StoreClient
    from zhi_gui.plugin.hclog import LogLine
    from zhi_gui.plugin.launcher import LaunchConfig
    from zhi_gui.plugin.supervisor import Supervisor

log = logging.getLogger("zhi_gui.session")

MAX_SAVE_ATTEMPTS = 5  # a store that keeps changing under us: stop and say so, edits kept
# Stores without tree versions are compared value by value: only while that is cheap.
CONTENT_CHECK_LIMIT = 5_000
WATCH_RETRY_SECONDS = 1.0  # a broken watch stream is started again after this pause
# Trees with more values than this are loaded lazily where the store can list children
# and search (ListChildren, Search): the window holds what was opened, not the tree.
LAZY_THRESHOLD = 200_000

ConflictPolicy = Callable[[list[Conflict]], Awaitable[list[bool] | None]]  # keep mine per conflict; None = stop
StoreHook = Callable[["StoreClient"], Awaitable[None]]
_session_ids = itertools.count(1)


FILL_SLICE = 2000  # values put into the index per turn of the loop when groups are read whole

class StagedEditsPending(E.ZhiError):
    """An operation would leave staged edits behind: save or discard them first."""


class WrongTarget(E.ZhiError):
    """An edit bound to one store/tree/path was offered to another."""


def build_index(entries: Sequence[Entry]) -> TreeIndex:
    index = TreeIndex(entries, is_secret=is_secret)
    index.prepare_search()
    return index


class StoreSession:
    def __init__(self, memory: SessionMemory | None = None) -> None:
        self.memory = memory  # None: nothing is remembered (tests, the command line)
        self.target: StoreTarget | None = None
        self.session_id = 0
        self.supervisor: Supervisor | None = None
        self.capabilities = Capabilities()
        self.description: StoreDescription | None = None
        self.trees: list[str] = []
        self.tree_id = ""
        self.head_version = ""  # tree version when the tree was loaded / last saved
        self.index = TreeIndex()
        self.loaded = False  # the index shows the store's values (False: closed, locked, not loaded yet)
        self.staging = Staging()
        self.draft_message = ""  # the save message typed for the staged edits; kept until they are saved
        self.lists_keys = True  # False: a plain zhi store that cannot list its keys
        self.known_paths: set[str] = set()
        self.lazy = False  # the loaded tree is read group by group (see LAZY_THRESHOLD)
        self.lazy_threshold = LAZY_THRESHOLD
        self.total_values = 0  # values in the loaded tree (also those not read yet)
        self._saving = False
        self._writes = 0  # saves written by this session (a read overlapping one is read again)
        self._remembered: tuple[int, str] | None = None
        self._watch: asyncio.Task[None] | None = None  # follows the loaded tree where the plugin can push
        self.ever_running = False  # this opening's plugin answered once (else a failure is a start-up failure)
        # Called after every start of the plugin (also automatic restarts), before any data
        # is read: log in when the store has auth, unlock when it is encrypted and locked.
        self.login_handler: StoreHook | None = None
        self.unlock_handler: StoreHook | None = None

        self.state_changed: Event[[str, str]] = Event("state_changed")  # PluginState value, detail
        self.trees_changed: Event[[list[str]]] = Event("trees_changed")
        self.tree_loaded: Event[[str]] = Event("tree_loaded")
        self.values_hidden: Event[[]] = Event("values_hidden")  # locked: the index is empty now
        self.capabilities_changed: Event[[]] = Event("capabilities_changed")
        self.notice: Event[[str]] = Event("notice")  # something the user should read (not an error)
        self.log_lines: Event[[list[LogLine]]] = Event("log_lines")  # batches, at most every 100 ms
        self.staged: Event[[frozenset[str]]] = Event("staged")
        self.saved: Event[[str]] = Event("saved")  # new version ('' for stores without versions)
        self.changed_elsewhere: Event[[ChangesElsewhere]] = Event("changed_elsewhere")
        # values of the shown tree replaced in place (a live update), after changed_elsewhere
        self.values_changed: Event[[frozenset[str]]] = Event("values_changed")
        self.opened: Event[[]] = Event("opened")
        # A lazily loaded group's children were added to the index: (the index, the group).
        self.children_loaded: Event[[TreeIndex, str]] = Event("children_loaded")
        self.staging.listeners.append(self.staged.emit)

    # --- what is open -------------------------------------------------------------------
    @property
    def store(self) -> StoreClient:
        if self.supervisor is None:
            raise E.PluginUnavailable("no store is open")
        return self.supervisor.store

    async def store_ready(self) -> StoreClient:
        if self.supervisor is None:
            raise E.PluginUnavailable("no store is open")
        return await self.supervisor.wait_running()

    @property
    def plugin_state(self) -> PluginState:
        return self.supervisor.state if self.supervisor else PluginState.STOPPED

    @property
    def is_open(self) -> bool:
        return self.supervisor is not None and self.target is not None

    @property
    def locked(self) -> bool:
        return self.description is not None and self.description.locked

    @property
    def can_edit(self) -> bool:
        """Edits make sense: a store is open and running, a tree is loaded and readable."""
        return (self.is_open and self.plugin_state == PluginState.RUNNING and self.loaded
                and bool(self.tree_id) and not self.locked)

    def identity(self) -> StoreIdentity | None:
        """The open store's identity (recent stores, keyring entry name)."""
        if self.target is None:
            return None
        return StoreIdentity(str(self.target.plugin), self.target.options, self.tree_id, self.target.name)

    def remember_export(self, file: Path, prefix: str) -> None:
        """The shown tree's ``prefix`` ('' all of it) was exported to ``file`` (see
        ``exported_subtree``). Not being able to remember it is said, never raised."""
        if self.memory is not None and self.target is not None and self.tree_id:
            warning = self.memory.remember_export(self.target, file.resolve(), self.tree_id, prefix)
            if warning:
                self.notice.emit(warning)

    def exported_subtree(self, file: Path) -> tuple[str, str] | None:
        """The tree and subtree of this store ``file`` was last exported from, if known."""
        if self.memory is None or self.target is None:
            return None
        return self.memory.export_of(self.target, file.resolve())

    def has_feature(self, name: str) -> bool:
        return self.description is not None and name in self.description.features

    # --- lifecycle ------------------------------------------------------------------------
    async def open(self, target: StoreTarget, config: LaunchConfig | None = None) -> None:
        """Start ``target``'s plugin and load its tree (the one asked for, else the one last
        worked in, else the first). Staged edits of the previous store must be gone first."""
        from zhi_gui.plugin.launcher import LaunchConfig
        from zhi_gui.plugin.supervisor import Supervisor

        if self.staging:
            raise StagedEditsPending(f"{len(self.staging)} staged edit(s) of {self.target.name if self.target else ''}"
                                     " are not saved")
        await self.close()
        if self.memory is not None:
            target, warning = self.memory.recall(target)
            if warning:
                self.notice.emit(warning)
        self.target = target
        self.session_id = next(_session_ids)
        self.ever_running = False
        self.capabilities, self.description = Capabilities(), None
        self.trees, self.tree_id, self.head_version, self.draft_message = [], "", "", ""
        self._replace_index(TreeIndex())
        config = config or LaunchConfig()
        config.options = target.options
        config.on_log_batch = self.log_lines.emit
        supervisor = Supervisor(target.plugin, config)
        supervisor.listeners.append(lambda state, detail: self._plugin_state_changed(supervisor, state, detail))
        supervisor.start_hooks.append(self._after_start)
        self.supervisor = supervisor
        self.known_paths = set(target.known_paths)
        await supervisor.start()
        self.opened.emit()
        if self.locked:
            return  # unlock cancelled: the tree is loaded after "Unlock..."
        try:
            await self.refresh_trees()
        except E.AuthRequired:
            return  # login cancelled: the tree is loaded after "Log in..."
        tree = target.tree_id if target.tree_id else (self.trees[0] if self.trees else "default")
        if target.tree_id and self.trees and target.tree_id not in self.trees and self.lists_keys:
            log.info("remembered tree %r is gone; showing %r", target.tree_id, self.trees[0])
            tree = self.trees[0]
        await self.load_tree(tree)

    def _plugin_state_changed(self, supervisor: Supervisor, state: PluginState, detail: str) -> None:
        if supervisor is self.supervisor:
            if state == PluginState.RUNNING:
                self.ever_running = True
            self.state_changed.emit(state.value, detail)

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
        self.capabilities_changed.emit()

    async def refresh_capabilities(self) -> None:
        """Ask the store again (encryption 1 -> 2 after InitEncryption, lock state)."""
        store = await self.store_ready()
        self.capabilities = await store.capabilities()
        self.description = await store.extension() if self.description is None else await store.describe()
        self.capabilities_changed.emit()

    async def close(self) -> None:
        """Stop the plugin. Staged edits are the caller's concern (``open`` refuses to drop them)."""
        supervisor, self.supervisor = self.supervisor, None
        self.loaded = False
        self._stop_following()
        if supervisor is not None:
            # The window may already be gone: stop reporting to it, then stop the plugin.
            supervisor.listeners.clear()
            supervisor.config.on_log = supervisor.config.on_log_batch = None
            if supervisor.plugin is not None:
                supervisor.plugin._on_log = supervisor.plugin._on_log_batch = None
            await supervisor.stop()

    async def restart_plugin(self) -> None:
        if self.supervisor is not None:
            await self.supervisor.restart()

    # --- trees -------------------------------------------------------------------------------
    async def refresh_trees(self) -> list[str]:
        store = await self.store_ready()
        self.trees = sorted(await store.list_trees())
        self.trees_changed.emit(self.trees)
        return self.trees

    async def load_tree(self, tree_id: str) -> None:
        """Show ``tree_id``. Reloading the same tree keeps staged edits (they are re-based
        on nothing: conflicts show at save); another tree needs them saved or discarded."""
        if self.staging and tree_id != self.tree_id:
            raise StagedEditsPending(f"{len(self.staging)} staged edit(s) of tree \u201c{self.tree_id}\u201d are not "
                                     "saved")
        store = await self.store_ready()
        for attempt in range(3):
            writes = self._writes
            with paused_gc():
                index, head = await self._read_tree(store, tree_id)
            if (writes == self._writes and not self._saving) or attempt == 2:
                break  # no save of ours overlapped the read: it holds what we wrote
            index.dispose()  # a save landed meanwhile (a reload after a reconnect, say): read again
        self.tree_id = tree_id
        self.head_version = head
        self.loaded = True
        self._replace_index(index)
        self._follow(tree_id)
        self.tree_loaded.emit(tree_id)
        memory, target = self.memory, self.target
        if memory is not None and target is not None and self._remembered != (self.session_id, tree_id):
            import asyncio

            self._remembered = (self.session_id, tree_id)  # a reload of the same tree writes nothing
            # The tree is shown first: writing the settings and the plugin's state (each fsynced)
            # in the same turn made it the busiest of a window's start (about 10 ms more).
            await asyncio.sleep(0)
            warning = memory.remember_tree(target, tree_id)
            if warning:
                self.notice.emit(warning)

    def _replace_index(self, index: TreeIndex) -> None:
        old, self.index = self.index, index
        if old is not index:
            old.dispose()

    def hide_values(self) -> None:
        """Take the tree's values away (the store was locked); staged edits stay."""
        self.loaded = False
        self._stop_following()
        self._replace_index(TreeIndex())
        self.values_hidden.emit()

    async def _read_tree(self, store: StoreClient, tree_id: str) -> tuple[TreeIndex, str]:
        import asyncio

        loop = asyncio.get_running_loop()
        self.lazy, self.total_values = False, 0
        if self.has_feature("StreamTree"):
            # The index grows chunk by chunk in a worker while the rest streams in:
            # the plugin's work (another process) and ours overlap.
            index = TreeIndex(is_secret=is_secret)
            head = ""
            lazy = self.has_feature("ListChildren") and self.has_feature("Search")
            stream = store.stream_tree(tree_id)
            try:
                async for chunk in stream:
                    self.total_values = chunk.total
                    if lazy and chunk.total > self.lazy_threshold:
                        break  # a big tree: read lazily instead
                    await loop.run_in_executor(None, index.add_entries, chunk.entries)
                    head = chunk.version
                else:
                    self.lists_keys = True
                    return index, head
            finally:
                close = getattr(stream, "aclose", None)
                if close is not None:
                    await close()  # stops the plugin's stream now, not when the generator is collected
            self.lists_keys = True
            return await self._read_root(store, tree_id)
        head = await self._head_of(store, tree_id)
        entries = await self._read_entries(store, tree_id)
        if not self.lists_keys:
            self.notice.emit(
                "This store cannot list its keys (zhi's protocol has no such call). Showing the "
                f"{len(entries)} key(s) zhi-gui knows for it: from the workspace, or added in this window.")
        return await loop.run_in_executor(None, build_index, entries), head

    async def _read_root(self, store: StoreClient, tree_id: str) -> tuple[TreeIndex, str]:
        """A big tree, lazily: only the root's children now; a group's children when the
        window opens it (``load_children``); a filter asks the store (``search``)."""
        listed = await store.list_children(tree_id)
        index = TreeIndex(is_secret=is_secret)
        index.add_children("", [(c.name, c.entry, c.values - (c.entry is not None)) for c in listed.children
                                if c.entry is not None or c.has_children])
        self.lazy = True
        self.total_values = sum(c.values for c in listed.children)
        self.notice.emit(f"This tree holds {self.total_values:,} values: groups are read from the store as you "
                         "open them, and the filter searches the store.")
        return index, listed.version

    async def load_children(self, path: str) -> bool:
        """Read a group of a lazily loaded tree (no-op when it is read already). True when
        children were added."""
        index = self.index
        if not self.lazy or path not in index.unloaded:
            return False
        store = await self.store_ready()
        listed = await store.list_children(self.tree_id, path, self.head_version)
        if index is not self.index or path not in index.unloaded:
            return False  # another tree, or read meanwhile
        index.add_children(path, [(f"{path}/{c.name}", c.entry, c.values - (c.entry is not None))
                                  for c in listed.children])
        self.children_loaded.emit(index, path)
        return True

    async def search(self, query: str, limit: int = SEARCH_LIMIT) -> tuple[list[str], int]:
        """A lazily loaded tree's filter: the store searches; the matches (at most
        ``limit``) are read into the index so the window can show them. (paths, total)."""
        index = self.index
        store = await self.store_ready()
        found = await store.search(self.tree_id, query, self.head_version, limit)
        missing = [p for p in found.paths if p not in index.entries]
        entries = await store.get_values(self.tree_id, missing) if missing else []
        if index is self.index:
            for entry in entries:
                index.set_entry(entry)
        return [p for p in found.paths if p in index.entries], found.total

    async def read_subtree(self, prefix: str, progress: Callable[[int, int], None] | None = None, *,
                           version: str = "") -> list[Entry]:
        """The shown tree's stored values at and below ``prefix`` ('' = all) in ``version``
        (default: the shown one): a big tree read lazily holds only the opened groups."""
        return await self.read_values(self.tree_id, prefix=prefix, version=version or self.head_version,
                                      progress=progress)

    async def read_values(self, tree_id: str, *, prefix: str = "", version: str = "",
                          progress: Callable[[int, int], None] | None = None) -> list[Entry]:
        """``tree_id``'s values at and below ``prefix`` ('' = all) in ``version`` ('' = the
        newest), read from the store now; only the subtree travels from a store that streams.
        ``progress(read, total)`` as they arrive."""
        entries: list[Entry] = []
        async for chunk, total in self.stream_values(tree_id, prefix=prefix, version=version):
            entries.extend(chunk)
            if progress is not None:
                progress(len(entries), total)
        return entries

    async def read_subtree_staged(self, prefix: str,
                                  progress: Callable[[int, int], None] | None = None) -> list[Entry]:
        """The shown tree's values at and below ``prefix`` as saving the staged edits would
        leave them: the stored values (``read_subtree``) with the edits below ``prefix`` over them."""
        from zhi_gui.core.compare import with_staged

        stored = await self.read_subtree(prefix, progress)
        staged = {p: c.new for p, c in self.staging.changes.items() if under_prefix(p, prefix)}
        return list(with_staged({e.path: e for e in stored}, staged).values())

    async def stream_values(self, tree_id: str, *, prefix: str = "",
                            version: str = "") -> AsyncIterator[tuple[Sequence[Entry], int]]:
        """``tree_id``'s values at and below ``prefix`` in ``version`` ('' = the newest), chunk
        by chunk as the store sends them, each with the count of the whole stream: the one
        reader of a tree's stored values (``read_values`` keeps them all; a comparison keeps
        what differs). A store that does not stream (no StreamTree) sends one chunk."""
        store = await self.store_ready()
        if not self.has_feature("StreamTree"):
            every = await (store.get_tree_version(tree_id, version, []) if version
                           else store.get_values(tree_id, []))
            chunk = [e for e in every if under_prefix(e.path, prefix)]
            yield chunk, len(chunk)
            return
        async for part in store.stream_tree(tree_id, version=version, prefix=prefix):
            # A store's prefix is one of text: "svc1" also streams "svc10/..."
            yield ([e for e in part.entries if under_prefix(e.path, prefix)] if prefix else part.entries), part.total

    async def read_groups_whole(self, paths: Sequence[str],
                                progress: Callable[[int, int], None] | None = None) -> int | None:
        """Read from the store every value at and below these paths that a big tree read
        lazily does not hold yet, so the groups can be deleted whole: how many values were
        read. None when another tree (or store) was opened meanwhile."""
        index = self.index
        tops: list[str] = []
        for path in sorted(set(paths)):
            if index.has_unloaded_below(path) and not any(under_prefix(path, top) for top in tops):
                tops.append(path)
        read = 0
        for top in tops:
            entries = await self.read_subtree(top, progress)
            if not await self._fill_index(index, entries):
                return None
            for group in index.mark_read(top):
                self.children_loaded.emit(index, group)
            read += len(entries)
        return read

    async def _read_entries(self, store: StoreClient, tree_id: str) -> list[Entry]:
        if self.has_feature("StreamTree"):
            entries: list[Entry] = []
            async for chunk in store.stream_tree(tree_id):
                entries.extend(chunk.entries)
            return entries
        entries = await store.get_values(tree_id, [])
        if entries:
            self.lists_keys = True
            return entries
        # A plain zhi store returns nothing for "all paths": ask for the paths we know.
        self.lists_keys = False
        if self.known_paths:
            entries = await store.get_values(tree_id, sorted(self.known_paths))
        return entries

    async def load_paths(self, paths: Sequence[str]) -> None:
        """A store that cannot list its keys, or a big tree read lazily: read these paths too
        and show the ones that exist (an import's preview needs the values it would overwrite)."""
        if (self.lists_keys and not self.lazy) or not paths:
            return
        store = await self.store_ready()
        index = self.index
        entries = await store.get_values(self.tree_id, list(paths))
        if await self._fill_index(index, entries):
            self.known_paths.update(entry.path for entry in entries)

    async def _fill_index(self, index: TreeIndex, entries: Sequence[Entry]) -> bool:
        """Put values read from the store into ``index``, a slice per turn of the loop (1M of
        them in one turn held the window); False when another tree was opened meanwhile."""
        import asyncio

        for start in range(0, len(entries), FILL_SLICE):
            if index is not self.index:
                return False
            for entry in entries[start:start + FILL_SLICE]:
                index.set_entry(entry)
            await asyncio.sleep(0)
        return index is self.index

    async def current_head(self) -> str:
        """The loaded tree's head version in the store now ('' for stores without tree versions)."""
        return await self._head_of(await self.store_ready(), self.tree_id)

    async def head_of(self, tree_id: str) -> str:
        """``tree_id``'s newest version in the store now ('' for stores without tree versions)."""
        return await self._head_of(await self.store_ready(), tree_id)

    async def _head_of(self, store: StoreClient, tree_id: str) -> str:
        newest = await self._newest_versions(store, tree_id, 1)
        return newest[0] if newest else ""

    async def _newest_versions(self, store: StoreClient, tree_id: str, count: int) -> list[str]:
        """The ``count`` newest tree versions, newest first ([] without tree versions)."""
        if self.capabilities.versioning != Versioning.TREE:
            return []
        if self.has_feature("DescribeVersions"):
            return [v.id for v in (await store.describe_versions(tree_id, 0, count)).versions]
        return (await store.list_tree_versions(tree_id))[:count]

    async def create_tree(self, tree_id: str, entries: Sequence[Entry] = ()) -> None:
        store = await self.store_ready()
        first = list(entries) or [Entry("readme", b'"created with zhi-gui"')]
        if self.has_feature("WriteValues"):
            await store.write_values(tree_id, first, message="create tree")
        else:
            await store.put_values(tree_id, first)
        await self.refresh_trees()

    async def delete_tree(self, tree_id: str) -> None:
        store = await self.store_ready()
        if tree_id == self.tree_id and self.staging:
            raise StagedEditsPending("the tree has staged edits: save or discard them first")
        await store.delete_tree(tree_id)
        await self.refresh_trees()
        if tree_id == self.tree_id:
            await self.load_tree(self.trees[0] if self.trees else "default")

    async def tree_summary(self, tree_id: str) -> str:
        """What deleting a tree loses, in words."""
        store = await self.store_ready()
        parts = []
        if self.has_feature("ListPaths"):
            parts.append(f"{len(await store.list_paths(tree_id))} value(s)")
        if self.capabilities.versioning == Versioning.TREE:
            parts.append(f"{len(await store.list_tree_versions(tree_id))} version(s) of history")
        return " and ".join(parts) if parts else "all its values"

    async def fill_sample(self, tree_id: str) -> tuple[int, bool]:
        """Create ``tree_id`` with the sample tree and show it: (its values, whether they
        were written). A tree that holds exactly the sample already is only shown:
        ``run.sh --sample`` run again wrote the same values as one more version each time."""
        from zhi_gui.core.sample import sample_entries

        entries = sample_entries()
        written = tree_id not in self.trees or not await self._holds(tree_id, entries)
        if written:
            await self.create_tree(tree_id, entries)
        await self.load_tree(tree_id)
        return len(entries), written

    async def _holds(self, tree_id: str, entries: Sequence[Entry]) -> bool:
        """Whether the store's ``tree_id`` holds exactly ``entries`` (paths, values, labels)."""
        store = await self.store_ready()
        # All of the tree where the store lists its keys (a key more is a difference), else the sample's keys.
        held = await store.get_values(tree_id, [] if self.lists_keys else [e.path for e in entries])
        return {(e.path, bytes(e.value_json), bytes(e.metadata_json)) for e in held} == {
            (e.path, bytes(e.value_json), bytes(e.metadata_json)) for e in entries}

    # --- editing -------------------------------------------------------------------------------
    def _require_editable(self) -> None:
        if not self.is_open:
            raise E.PluginUnavailable("no store is open: open one first (Ctrl+O)")
        if self.locked:
            raise E.StoreLocked("the store is locked: unlock it first")
        if not self.loaded or not self.tree_id:
            raise E.PluginUnavailable("no tree is loaded")

    def edit_target(self, path: str) -> EditTarget:
        """Bind an edit of ``path`` to this store, this opening and the loaded tree."""
        base = self.base_of(path)
        return EditTarget(self.target.store_key() if self.target else "", self.session_id, self.tree_id, path,
                          base.version if base is not None else "")

    def accepts(self, target: EditTarget) -> bool:
        return (self.target is not None and target.session_id == self.session_id
                and target.store_key == self.target.store_key() and target.tree_id == self.tree_id)

    def base_of(self, path: str) -> Entry | None:
        change = self.staging.get(path)
        return change.base if change is not None else self.index.entries.get(path)

    def stage_edit(self, target: EditTarget, value_json: bytes, metadata_json: bytes) -> None:
        """Stage a typed edit for the place it was made, or refuse (WrongTarget)."""
        self._require_editable()
        if not self.accepts(target):
            raise WrongTarget(f"this edit of {target.path} belongs to tree \u201c{target.tree_id}\u201d of another "
                              "opening of the store; it was not applied here")
        self.stage_set(target.path, value_json, metadata_json)

    def stage_set(self, path: str, value_json: bytes, metadata_json: bytes) -> None:
        """Stage a value of the loaded tree."""
        self._require_editable()
        self.staging.stage_set(path, value_json, metadata_json, self.index.entries.get(path))
        self.known_paths.add(path)

    def stage_exactly(self, label: str, sets: Sequence[Entry], deletes: Sequence[str]) -> None:
        """Stage these values and deletes of exactly these paths (a group's children are not
        taken along) as one undoable step with one notification: an import of 200,000
        values staged one by one told the window 200,000 times."""
        self._require_editable()
        updates: dict[str, StagedChange | None] = {}
        for entry in sets:
            existing = self.staging.get(entry.path)
            updates[entry.path] = StagedChange(entry.path, entry, existing.base if existing else
                                               self.index.entries.get(entry.path))
        for path in deletes:
            existing = self.staging.get(path)
            base = existing.base if existing else self.index.entries.get(path)
            updates[path] = None if base is None else StagedChange(path, None, base)
        self.staging.stage(label, updates)
        self.known_paths.update(entry.path for entry in sets)

    def stage_delete(self, paths: Sequence[str]) -> None:
        self._require_editable()
        for path in paths:  # a group partly unread would lose only what is shown: refuse
            if self.index.has_unloaded_below(path):
                raise E.InvalidArgument(f"{f'the group {path}' if path else 'the tree'} holds values that are "
                                        "not read yet (a big tree is read as groups are opened): read them "
                                        "first, then delete it", {"path": path})
        targets: list[str] = []
        for path in paths:  # a group deletes every value below it
            node = self.index.nodes.get(path)
            stack = [node] if node is not None else []
            if node is None and path in self.staging:
                targets.append(path)
            while stack:
                current = stack.pop()
                if current.path in self.index.entries or current.path in self.staging:
                    targets.append(current.path)
                stack.extend(current.children)
        if targets:
            self.staging.stage_delete(targets, {p: self.index.entries.get(p) for p in targets})

    def discard_staged(self) -> None:
        self.staging.clear()
        self.draft_message = ""

    def changes_for_review(self) -> list[StagedChange]:
        return [self.staging.changes[p] for p in sorted(self.staging.changes)]

    # --- saving --------------------------------------------------------------------------------
    async def save(self, message: str = "", on_conflict: ConflictPolicy | None = None) -> SaveOutcome:
        """Write every staged edit with compare-and-set. On a conflict ``on_conflict``
        chooses per path (keep mine / take theirs) or stops; nothing staged is lost either
        way, and the message stays as the draft until the edits are saved."""
        if not self.staging:
            return SaveOutcome(False, reason="nothing to save")
        self.draft_message = message
        self._saving = True
        try:
            for _attempt in range(MAX_SAVE_ATTEMPTS):
                count = len(self.staging)
                try:
                    version = await self._write_staged(message)
                except E.CASConflict:
                    conflicts = await self.conflicts()
                    if not conflicts:  # a tree-level CAS failed on paths we did not touch: retry on the new head
                        self.head_version = await self._head_of(await self.store_ready(), self.tree_id)
                        continue
                    if on_conflict is None:
                        raise
                    choices = await on_conflict(conflicts)
                    if choices is None:
                        return SaveOutcome(False, reason="conflict: your edits are still staged")
                    for conflict, keep in zip(conflicts, choices, strict=True):
                        self.resolve(conflict, keep)
                    if not self.staging:
                        self.draft_message = ""
                        return SaveOutcome(False, reason="every conflicting edit was replaced by theirs")
                    continue
                self.draft_message = ""
                self._remember_known_paths()
                self.saved.emit(version)
                return SaveOutcome(True, version, count)
        finally:
            self._saving = False
        raise E.CASConflict(f"the store kept changing while saving ({MAX_SAVE_ATTEMPTS} attempts); "
                            "your edits are still staged: try again")

    async def save_parts(self) -> int:
        """How many writes a save takes: 1 for our plugins; for a plain zhi plugin one per
        4 MiB (more than 1: not atomic, several versions; the user is told before saving)."""
        if self.has_feature("WriteValues") or not self.staging:
            return 1
        store = await self.store_ready()
        return max(1, await store.split_count(self.staging.write_plan().entries))

    async def _write_staged(self, message: str) -> str:
        store = await self.store_ready()
        saving = self.staging.snapshot()  # the user may stage more while this save runs
        plan = self.staging.write_plan()
        version = ""
        versioned = self.capabilities.versioning != Versioning.NONE
        if self.has_feature("WriteValues"):
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
        self._writes += 1
        written = [e.path for e in plan.entries]
        fresh = await store.get_values(self.tree_id, written) if written else []
        self._put_values(fresh, plan.delete_paths)
        # One look at the two newest versions. Per-path CAS lets a save succeed although others
        # saved other keys meanwhile: then the head stays where this window last read the tree,
        # so the next check reports their keys.
        previous = self.head_version
        newest = await self._newest_versions(store, self.tree_id, 2)
        head = version or (newest[0] if newest else "")
        if previous and head and newest[:2] != [head, previous]:
            head = previous
        self.head_version = head
        self.staging.settle_saved(saving, self.index.entries.get)
        return version

    def _put_values(self, entries: Sequence[Entry], removed: Sequence[str]) -> None:
        """The store's values as just read (a save of ours, a live update) into the shown
        tree; the window's model is told by the event that follows."""
        for entry in entries:
            self.index.set_entry(entry)
        for path in removed:
            self.index.entries.pop(path, None)

    async def conflicts(self) -> list[Conflict]:
        """Mine / theirs / base for every staged path the store changed meanwhile."""
        store = await self.store_ready()
        paths = sorted(self.staging.changes)
        theirs = {e.path: e for e in await store.get_values(self.tree_id, paths)}
        result = []
        for path in paths:
            change = self.staging.changes[path]
            current = theirs.get(path)
            if _same(current, change.base):
                continue
            result.append(Conflict(path, change.new, current, change.base))
        return result

    def resolve(self, conflict: Conflict, keep_mine: bool) -> None:
        """Keep mine: my edit stays staged against their version. Take theirs: my
        edit is dropped and their value is shown."""
        if keep_mine:
            self.staging.rebase(conflict.path, conflict.theirs)
        if conflict.theirs is not None:
            self.index.set_entry(conflict.theirs)
        else:
            self.index.entries.pop(conflict.path, None)
        if not keep_mine:
            self.staging.stage("take theirs", {conflict.path: None})

    def _remember_known_paths(self) -> None:
        if self.lists_keys or self.target is None or self.memory is None:
            return
        warning = self.memory.remember_known_paths(self.target, sorted(self.index.entries))
        if warning:
            self.notice.emit(warning)

    # --- changes made elsewhere ------------------------------------------------------------
    @property
    def live(self) -> bool:
        """The plugin pushes new versions of the loaded tree (WatchTree), so changes made
        elsewhere arrive within moments instead of at the next poll."""
        return self._watch is not None and not self._watch.done()

    def _follow(self, tree_id: str) -> None:
        import asyncio

        self._stop_following()
        if self.has_feature("WatchTree"):
            self._watch = asyncio.get_running_loop().create_task(self._watch_loop(tree_id),
                                                                 name=f"zhi-watch-{tree_id}")

    def _stop_following(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None and not watch.done():
            watch.cancel()

    async def _watch_loop(self, tree_id: str) -> None:
        """Each pushed version triggers the same check as a poll (which tells our own saves
        apart and finds the changed keys). A broken stream is started again from the head
        shown, so nothing in between is missed; it ends with the tree, the lock or the store."""
        import asyncio

        while self.tree_id == tree_id and self.loaded and self.supervisor is not None:
            try:
                store = await self.store_ready()
                async for change in store.watch_tree(tree_id, self.head_version):
                    if change.version != self.head_version:
                        await self.check_for_changes(change)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the plugin restarted or the member died: follow again shortly
                log.info("watch of tree %s ended (%s); following again", tree_id, exc)
            await asyncio.sleep(WATCH_RETRY_SECONDS)

    async def check_for_changes(self, pushed: TreeChange | None = None) -> ChangesElsewhere | None:
        """Compare the store with what is shown: a head-version check where the store has
        tree versions, else (small trees only) the values themselves; a version pushed by
        the plugin names its paths, and only those are read. Emits and returns what changed
        elsewhere; None when nothing did or nothing can be checked now."""
        import asyncio

        if self._saving or not self.can_edit or self.supervisor is None:
            return None
        if self.plugin_state != PluginState.RUNNING:
            return None
        store, tree, shown = self.store, self.tree_id, self.index
        if pushed is not None:
            head = pushed.version
            entries = await store.get_values(tree, list(pushed.changed_paths)) if pushed.changed_paths else []
            scope: list[str] | None = list(pushed.changed_paths)
        else:
            if self.capabilities.versioning == Versioning.TREE:
                head = await self._head_of(store, tree)
                if head == self.head_version:
                    return None
                if not head:
                    # No version left: the tree was deleted (by a rename of ours about to show
                    # the new tree, or elsewhere). Nothing to compare: the tree list says it.
                    # (Compared, a big tree's store diff failed with "tree not found".)
                    await self.refresh_trees()
                    return None
                if self.lazy:  # the window holds part of the tree: the store says what changed
                    return await self._report_store_diff(store, tree, shown, head)
            elif len(shown) > CONTENT_CHECK_LIMIT or not self.lists_keys:
                return None
            else:
                head = ""
            entries = await self._read_entries(store, tree)
            scope = None
        if self._saving or tree != self.tree_id or shown is not self.index:
            return None  # the window moved on meanwhile
        # A whole tree is compared off the UI thread, against a copy taken here (on it).
        changed = await asyncio.get_running_loop().run_in_executor(
            None, _changed_paths, entries, dict(shown.entries), scope)
        if self._saving or tree != self.tree_id or shown is not self.index:
            return None
        if not changed:
            self.head_version = head or self.head_version  # only our own saves happened since
            return None
        conflicting = tuple(p for p in changed if p in self.staging)
        if pushed is not None and not self.lazy:
            # The plugin named the paths and they were just read: put them into the shown tree
            # (no reload of the whole tree per version: a live update shows in milliseconds).
            return self._apply_elsewhere(ChangesElsewhere(tree, head, tuple(changed), conflicting, True), entries)
        report = ChangesElsewhere(tree, head, tuple(changed), conflicting)
        self.changed_elsewhere.emit(report)
        return report

    def _apply_elsewhere(self, report: ChangesElsewhere, entries: Sequence[Entry]) -> ChangesElsewhere:
        read = {e.path for e in entries}
        self._put_values(entries, [p for p in report.changed if p not in read])
        if report.head:
            self.head_version = report.head
        self.changed_elsewhere.emit(report)
        self.values_changed.emit(frozenset(report.changed))
        return report

    async def _report_store_diff(self, store: StoreClient, tree: str, shown: TreeIndex,
                                 head: str) -> ChangesElsewhere | None:
        changed: list[str] = []
        async for chunk in store.diff_versions(tree, self.head_version, head):
            changed.extend(pair.path for pair in chunk.entries)
        if self._saving or tree != self.tree_id or shown is not self.index:
            return None
        if not changed:
            self.head_version = head
            return None
        report = ChangesElsewhere(tree, head, tuple(changed), tuple(p for p in changed if p in self.staging))
        self.changed_elsewhere.emit(report)
        return report


def _changed_paths(entries: Sequence[Entry], shown: dict[str, Entry], scope: Sequence[str] | None) -> list[str]:
    """The paths whose entry differs between the store (``entries``) and what is shown;
    within ``scope`` when only those paths were read."""
    fresh = {e.path: e for e in entries}
    paths = set(scope) if scope is not None else set(fresh) | set(shown)
    return sorted(p for p in paths if not _same(fresh.get(p), shown.get(p)))


def _same(a: Entry | None, b: Entry | None) -> bool:
    if a is None or b is None:
        return a is b
    if a.version and b.version:
        return a.version == b.version
    return a.value_json == b.value_json and (a.metadata_json or b"") == (b.metadata_json or b"")
