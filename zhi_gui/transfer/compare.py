"""Compare anything with anything, without Qt: the sides a comparison can show,
read through the open session (its head, its staged edits, another of its
trees, one of its versions), through another store's own plugin (opened for
reading only and stopped when the comparison closes) or from a file in any
transfer format; and "take this side" for a key or a subtree into the open
store's staged edits, bound to the tree the comparison was opened for.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from zhi_gui.core import errors as E
from zhi_gui.core.compare import TakePlan, take_plan, with_staged
from zhi_gui.core.jsonvalues import encode_value
from zhi_gui.core.model import Entry, Versioning
from zhi_gui.core.paths import path_problem, shown, validate_path
from zhi_gui.core.secrets import is_secret
from zhi_gui.core.staging import StagedChange
from zhi_gui.services.settings import StoreIdentity
from zhi_gui.session import EditTarget, StoreSession, StoreTarget, WrongTarget
from zhi_gui.session.history import HistoryAccess, Progress
from zhi_gui.transfer.formats import MASK, Imported, Refused, decode, format_for

if TYPE_CHECKING:
    from zhi_gui.core.diff import TreeDiff

# What a masked secret of a file shows as when this tree has no secret there to stand in.
_MASKED_LABELS = b'{"ui.password":true}'


class OpenCancelled(E.ZhiError):
    """The user cancelled the other store's login or unlock: nothing to compare or copy, and
    nothing went wrong either (no error box)."""


class StoreGate(Protocol):
    """What logs in to / unlocks another store when its plugin starts (the UI sets the
    session's hooks: keyring first, else a dialog), and how that went."""

    cancelled: bool  # the user cancelled a login or unlock dialog
    problem: str  # why the store stays closed when no dialog could help ('' otherwise)


# Called with the other store's session before it opens: sets its login / unlock hooks.
GateFactory = Callable[[StoreSession, StoreTarget], StoreGate | None]


async def open_other_store(target: StoreTarget, gate: GateFactory | None = None,
                           other: StoreSession | None = None) -> StoreSession:
    """Open another store (in ``other``, a new session by default) for reading through its
    own plugin, logged in and unlocked as the window's store would be. Raises OpenCancelled
    when the user cancelled that, and a plain StoreLocked / AuthRequired when the store stays
    closed otherwise; the plugin is stopped then."""
    other = other if other is not None else StoreSession()
    guard = gate(other, target) if gate is not None else None
    try:
        await other.open(target)
        if not other.loaded:
            raise _closed_because(other, target, guard)
    except BaseException:
        await other.close()
        raise
    return other


def _closed_because(other: StoreSession, target: StoreTarget, guard: StoreGate | None) -> E.ZhiError:
    # Its name and where it is: a plugin's name alone does not tell two sqlite files apart.
    name = StoreIdentity(str(target.plugin), target.options, "", target.display_name).label()
    if guard is not None and guard.cancelled:
        what = "unlocking" if other.locked else "the login"
        return OpenCancelled(f"{name} was not opened: {what} was cancelled")
    if guard is not None and guard.problem:
        return E.AuthRequired(f"{name}: {guard.problem}")
    if other.locked:
        return E.StoreLocked(f"{name} is locked: its passphrase is needed to read it")
    return E.AuthRequired(f"{name} needs a login to be read")


class SideKind(enum.StrEnum):
    HEAD = "head"  # this tree as saved (what the window shows without staged edits)
    STAGED = "staged"  # this tree with the staged edits
    TREE = "tree"  # another tree of this store
    STORE = "store"  # a tree of another store
    VERSION = "version"  # a version of this tree
    FILE = "file"  # a file in any transfer format


# Sides a store streams: what ``Comparison.streamed_diff`` walks side by side.
_STREAMED = frozenset({SideKind.HEAD, SideKind.VERSION, SideKind.TREE, SideKind.STORE})

KIND_NAMES = {SideKind.HEAD: "This tree (saved)", SideKind.STAGED: "This tree with staged edits",
              SideKind.TREE: "Another tree of this store", SideKind.STORE: "A tree of another store",
              SideKind.VERSION: "A version of this tree", SideKind.FILE: "A file"}


@dataclass(frozen=True)
class SideSpec:
    kind: SideKind
    tree_id: str = ""  # TREE, STORE ('' for STORE: the tree the store opens with)
    version: str = ""  # VERSION
    file: Path | None = None  # FILE
    prefix: str = ""  # FILE: the subtree the file's paths belong under
    store: StoreTarget | None = None  # STORE


@dataclass(frozen=True)
class Source:
    """Where a side's values are read from when the side was compared without holding
    them: a tree of a store, at a version ('' the newest)."""

    session: StoreSession
    tree_id: str
    version: str = ""
    staged: bool = False  # with the session's staged edits at the time of the take


@dataclass(frozen=True)
class Side:
    spec: SideSpec
    label: str
    entries: dict[str, Entry]
    masked: frozenset[str] = field(default_factory=frozenset)  # secrets the file does not hold
    # A side compared without its values (two versions by the store, ``versions_diff``; two
    # big trees walked side by side, ``streamed_diff``): ``entries`` is empty, and a take
    # reads the values it needs from here (``Comparison.scope``).
    source: Source | None = None


async def read_tree(session: StoreSession, tree_id: str, progress: Progress | None = None, *,
                    prefix: str = "") -> dict[str, Entry]:
    """Every value of ``tree_id`` (at and below ``prefix``) in the session's store as it is
    now (not the shown index), by path. ``progress(read, total)`` as the values arrive."""
    return {e.path: e for e in await session.read_values(tree_id, prefix=prefix, progress=progress)}


def file_entries(imported: dict[str, Imported], prefix: str,
                 here: dict[str, Entry]) -> tuple[dict[str, Entry], frozenset[str]]:
    """A decoded file as a snapshot below ``prefix``. Labels the file does not carry are
    this tree's (as an import keeps them); a masked secret shows this tree's secret (so it
    compares equal, as importing it keeps the store's value) and is never taken."""
    prefix = prefix.strip("/")
    entries: dict[str, Entry] = {}
    masked = set()
    for relative, item in imported.items():
        path = f"{prefix}/{relative}" if prefix else relative
        problem = path_problem(path)
        if problem:  # as the import refuses it: such a key could never be taken into the tree
            raise Refused(f"{shown(path)} is not a zhi path: {problem}", path=path)
        old = here.get(path)
        if item.masked:
            masked.add(path)
            entries[path] = old if old is not None and is_secret(old) else \
                Entry(path, encode_value(MASK), _MASKED_LABELS)
            continue
        metadata = item.metadata_json if item.metadata_json is not None else (old.metadata_json if old else b"")
        entries[path] = Entry(path, item.value_json, metadata)
    return entries, frozenset(masked)


class Comparison:
    """The sides of one comparison and the other stores it opened (closed by ``close``)."""

    def __init__(self, session: StoreSession, history: HistoryAccess | None = None,
                 gate: GateFactory | None = None) -> None:
        self.session = session
        self.history = history or HistoryAccess(session)
        self.gate = gate  # logs in to / unlocks the other stores it opens
        # Bound when the comparison starts: every "take" goes to this tree of this opening.
        self.binding: EditTarget = session.edit_target("")
        self._others: dict[str, StoreSession] = {}
        self._opening = asyncio.Lock()

    @property
    def open_stores(self) -> list[StoreSession]:
        return list(self._others.values())

    async def other_store(self, target: StoreTarget) -> StoreSession:
        """Another store's session, its plugin started once per comparison. Nothing is ever
        staged or written through it."""
        key = target.store_key()
        # One opening at a time: both sides of one store wait for the same login / unlock
        # instead of starting two plugins and asking twice at once.
        async with self._opening:
            found = self._others.get(key)
            if found is not None and found.is_open:
                return found
            other = StoreSession()
            self._others[key] = other  # closed with the comparison, also while it is opening
            try:
                return await open_other_store(target, self.gate, other)
            except BaseException:
                self._others.pop(key, None)
                raise

    async def load(self, spec: SideSpec, progress: Progress | None = None) -> Side:
        """One side, read now. ``progress(read, total or 0)`` as a store's values arrive."""
        session = self.session
        tree = session.tree_id
        # A big tree read lazily holds only the opened groups in its index: its sides are read
        # from the store whole (the tree compared with itself showed every value as added).
        if spec.kind is SideKind.HEAD:
            return Side(spec, self._label(spec), await self.history.current_tree(progress))
        if spec.kind is SideKind.STAGED:
            count = len(session.staging)
            return Side(spec, f"{tree} + {count} staged edit(s)",
                        self.history.staged_snapshot(await self.history.current_tree(progress)))
        if spec.kind is SideKind.TREE:
            if not spec.tree_id:
                raise E.InvalidArgument("choose the tree to compare with")
            return Side(spec, f"tree {spec.tree_id}", await read_tree(session, spec.tree_id, progress))
        if spec.kind is SideKind.VERSION:
            if session.capabilities.versioning != Versioning.TREE:
                raise E.Unsupported("this store keeps no tree versions")
            if not spec.version:
                raise E.InvalidArgument("choose the version to compare with")
            snapshot = await self.history.tree_snapshot(spec.version, progress)
            return Side(spec, self._label(spec), dict(snapshot))
        if spec.kind is SideKind.STORE:
            if spec.store is None:
                raise E.InvalidArgument("choose the store to compare with")
            other = await self.other_store(spec.store)
            wanted = spec.tree_id or other.tree_id
            # The tree it opened with is read already; another tree is read apart, so two
            # sides of one store (read at once) never share the session's shown tree.
            if wanted == other.tree_id and other.loaded and not other.lazy:
                entries = dict(other.index.entries)
            else:
                entries = await read_tree(other, wanted, progress)
            name = spec.store.name
            return Side(spec, f"{name}: {wanted}", entries)
        if spec.kind is SideKind.FILE:
            if spec.file is None:
                raise E.InvalidArgument("choose the file to compare with")
            prefix = validate_path(spec.prefix.strip("/")) if spec.prefix.strip("/") else ""
            loop = asyncio.get_running_loop()
            fmt = format_for(spec.file)
            data = await loop.run_in_executor(None, spec.file.read_bytes)
            imported = await loop.run_in_executor(None, decode, data, fmt)  # Refused: line and reason
            here = await self.history.current_tree() if session.lazy else dict(session.index.entries)
            entries, masked = file_entries(imported, prefix, here)
            return Side(spec, spec.file.name + (f" under {prefix}" if prefix else ""), entries, masked)
        raise E.InvalidArgument(f"unknown side {spec.kind!r}")

    def store_versions(self, left: SideSpec, right: SideSpec) -> tuple[str, str] | None:
        """The two versions of this tree that ``left`` and ``right`` are, when the store can
        compare them itself (DiffVersions) and the tree is big (read lazily): then only the
        changes travel (1M values: seconds, not two whole reads). None otherwise."""
        session = self.session
        if not session.lazy or not self.history.diffs_versions or not session.head_version:
            return None
        versions = []
        for spec in (left, right):
            if spec.kind is SideKind.HEAD:
                versions.append(session.head_version)
            elif spec.kind is SideKind.VERSION and spec.version:
                versions.append(spec.version)
            else:
                return None
        return versions[0], versions[1]

    async def versions_diff(self, left: SideSpec, right: SideSpec,
                            progress: Progress | None = None) -> tuple[Side, Side, TreeDiff] | None:
        """Both sides as versions compared by the store (see ``store_versions``): the sides
        hold no values (a take reads them), the diff only the changed ones."""
        versions = self.store_versions(left, right)
        if versions is None:
            return None
        diff = await self.history.diff_versions(*versions, progress)
        if diff is None:
            return None
        sides = tuple(Side(spec, self._label(spec), {}, source=Source(self.session, self.session.tree_id, version))
                      for spec, version in zip((left, right), versions, strict=True))
        return sides[0], sides[1], diff

    async def streamed_diff(self, left: SideSpec, right: SideSpec, left_progress: Progress | None = None,
                            right_progress: Progress | None = None) -> tuple[Side, Side, TreeDiff] | None:
        """Two trees of stores (this one's saved, another of its trees, one of its versions, a
        tree of another store) compared as their stores stream them, side by side: only what
        differs is kept (``transfer.stream_diff``). For a big tree (read lazily) only: two
        1M-value sides read whole held ~800 MB. None when a side is not such a tree or its
        store does not send it in path order (then both are read whole)."""
        from zhi_gui.core.diff import diff_from_changes
        from zhi_gui.transfer.stream_diff import Unsorted, changed_pairs

        if not self.session.lazy or not all(spec.kind in _STREAMED for spec in (left, right)):
            return None
        sources = [await self._source(spec) for spec in (left, right)]
        if not all(s.session.has_feature("StreamTree") for s in sources):
            return None
        try:
            old, new = (s.session.stream_values(s.tree_id, version=s.version) for s in sources)
            pairs, _old_count, new_count = await changed_pairs(old, new, left_progress, right_progress)
        except Unsorted:
            return None
        diff = await asyncio.get_running_loop().run_in_executor(None, diff_from_changes, pairs, new_count)
        sides = [Side(spec, self._side_label(spec, source), {}, source=source)
                 for spec, source in zip((left, right), sources, strict=True)]
        return sides[0], sides[1], diff

    async def staged_diff(self, left: SideSpec, right: SideSpec) -> tuple[Side, Side, TreeDiff] | None:
        """A big tree (read lazily) as saved against itself with the staged edits: what differs
        is the staged edits, each of which holds the value it was staged over, so nothing is
        read but the saved version's count (the two sides read whole: 1M values twice). None
        for other sides."""
        from zhi_gui.core.diff import diff_from_changes
        from zhi_gui.core.model import DiffEntry

        session = self.session
        kinds = (left.kind, right.kind)
        if not session.lazy or not session.has_feature("ListChildren") or \
                set(kinds) != {SideKind.HEAD, SideKind.STAGED}:
            return None
        store = await session.store_ready()
        listed = await store.list_children(session.tree_id, "", version=session.head_version)
        saved_count = sum(child.values for child in listed.children)
        changes = list(session.staging.changes.values())
        added = sum(1 for c in changes if c.base is None and c.new is not None)
        deleted = sum(1 for c in changes if c.base is not None and c.new is None)
        if kinds[0] is SideKind.HEAD:
            pairs, new_count = [DiffEntry(c.path, c.base, c.new) for c in changes], saved_count + added - deleted
        else:
            pairs, new_count = [DiffEntry(c.path, c.new, c.base) for c in changes], saved_count
        diff = await asyncio.get_running_loop().run_in_executor(None, diff_from_changes, pairs, new_count)
        head = Source(session, session.tree_id, session.head_version)
        sides = [Side(spec, self._label(spec), {}, source=head) if spec.kind is SideKind.HEAD else
                 Side(spec, f"{session.tree_id} + {len(changes)} staged edit(s)", {}, source=replace(head, staged=True))
                 for spec in (left, right)]
        return sides[0], sides[1], diff

    async def _source(self, spec: SideSpec) -> Source:
        session = self.session
        if spec.kind is SideKind.HEAD:
            return Source(session, session.tree_id, session.head_version)
        if spec.kind is SideKind.VERSION:
            if not spec.version:
                raise E.InvalidArgument("choose the version to compare with")
            return Source(session, session.tree_id, spec.version)
        if spec.kind is SideKind.TREE:
            if not spec.tree_id:
                raise E.InvalidArgument("choose the tree to compare with")
            return Source(session, spec.tree_id)
        if spec.store is None:
            raise E.InvalidArgument("choose the store to compare with")
        other = await self.other_store(spec.store)
        return Source(other, spec.tree_id or other.tree_id)

    def _side_label(self, spec: SideSpec, source: Source) -> str:
        if spec.kind is SideKind.TREE:
            return f"tree {source.tree_id}"
        if spec.kind is SideKind.STORE and spec.store is not None:
            return f"{spec.store.name}: {source.tree_id}"
        return self._label(spec)

    def _label(self, spec: SideSpec) -> str:
        tree = self.session.tree_id
        return f"{tree} (saved)" if spec.kind is SideKind.HEAD else f"{tree} @ {spec.version[:16]}"

    async def scope(self, side: Side, scope: str, *, subtree: bool) -> Side:
        """``side`` with its values at ``scope`` (and below, with ``subtree``): a side compared
        without its values holds none until a take reads them from its source."""
        source = side.source
        if source is None:
            return side
        found = await (source.session.read_subtree_staged(scope) if source.staged  # with the edits staged now
                       else source.session.read_values(source.tree_id, prefix=scope, version=source.version))
        if not subtree:
            found = [entry for entry in found if entry.path == scope]
        return replace(side, entries={entry.path: entry for entry in found})

    async def read_scope(self, scope: str, *, subtree: bool) -> None:
        """A big tree read lazily holds only the opened groups: what a take at ``scope`` would
        replace is read from the store first, so it is staged against the stored values (a
        value not read yet looked absent: taken, it was staged as new and its save conflicted)."""
        if not self.session.lazy:
            return
        if subtree:
            if await self.session.read_groups_whole([scope]) is None:
                raise WrongTarget("another tree was opened while the values to take were read: nothing was staged")
        else:
            await self.session.load_paths([scope])

    def take(self, side: Side, scope: str, *, subtree: bool) -> TakePlan:
        """Stage ``side``'s values at ``scope`` (and below it with ``subtree``) into the tree
        the comparison was opened for, as one undoable step; refused (WrongTarget) when the
        window has moved to another tree or store meanwhile."""
        return stage_take(self.session, self.binding, side, scope, subtree=subtree)

    async def close(self) -> None:
        """Stop the plugins of the other stores this comparison opened."""
        others, self._others = list(self._others.values()), {}
        for other in others:
            await other.close()


def stage_take(session: StoreSession, binding: EditTarget, side: Side, scope: str, *, subtree: bool) -> TakePlan:
    if not session.can_edit:
        raise E.PluginUnavailable("the store is not open for editing (closed, locked or no tree loaded)")
    if not session.accepts(binding):
        raise WrongTarget(f"this comparison was opened for tree \u201c{binding.tree_id}\u201d of another opening "
                          "of the store; nothing was staged here: compare again")
    staged = {p: c.new for p, c in session.staging.changes.items()}
    target = with_staged(session.index.entries, staged)
    plan = take_plan(side.entries, target, scope, subtree=subtree, masked=side.masked)
    if plan.empty:
        return plan
    updates: dict[str, StagedChange | None] = {}
    for path, entry in plan.sets.items():
        updates[path] = StagedChange(path, entry, session.base_of(path))
    for path in plan.deletes:
        base = session.base_of(path)
        updates[path] = None if base is None else StagedChange(path, None, base)
    session.staging.stage(f"take {side.label} at {scope or 'the whole tree'}", updates)
    session.known_paths.update(plan.sets)
    return plan
