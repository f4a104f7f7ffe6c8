"""Copy or move a subtree between trees and stores, and rename a tree, without Qt.

Each operation is planned first (what is read from the source, what the target
holds now at the paths it will write) and then applied:

* the target gets ONE compare-and-set write with a message: if any path it
  touches changed since the plan, nothing is written (``CopyConflict``);
* a move deletes the source only after the target saved; a failed target save
  leaves the source untouched. Within one tree a move is a single write (the
  new paths and the deletes together), so it cannot half-happen;
* if the target saved but the source then cannot be deleted, both copies exist
  and ``MoveIncomplete`` says so plainly (nothing is lost);
* renaming a tree is a copy into a new tree, then the old tree is deleted,
  only if it still holds what was copied. None of our stores can carry history
  over: the new tree starts a new history (the dialog says so first).

The sessions given are used for their plugin only: nothing is staged, and the
window reloads its tree afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry, Versioning
from zhi_gui.core.paths import path_problem, shown, tree_id_problem, under_prefix, validate_path, validate_tree_id
from zhi_gui.session import StagedEditsPending, StoreSession
from zhi_gui.transfer.compare import read_tree


class CopyConflict(E.CASConflict):
    """The target changed since the plan: nothing was written, the source is untouched."""


class MoveIncomplete(E.ZhiError):
    """The target saved, but the source could not be deleted: both copies exist."""


@dataclass(frozen=True)
class TreeRef:
    """A tree of the store a session has open (the session's plugin does the reading and writing)."""

    session: StoreSession
    tree_id: str

    @property
    def label(self) -> str:
        name = self.session.target.name if self.session.target is not None else "store"
        return f"{name}: {self.tree_id}"

    def same_tree(self, other: TreeRef) -> bool:
        return self.session is other.session and self.tree_id == other.tree_id


@dataclass(frozen=True)
class CopyPlan:
    source: TreeRef
    from_prefix: str
    target: TreeRef
    to_prefix: str
    move: bool
    read: dict[str, Entry]  # the source's values at and below from_prefix, as read (with versions)
    writes: dict[str, Entry]  # target path -> what is written there (no version: a version would be a CAS)
    expected: dict[str, Entry | None]  # what the target holds at every written path, as read
    unchanged: int  # target paths that already hold the same value and labels
    # A rename's: the source tree's newest version before it was read ('' without tree versions).
    # Still the newest when the old tree is deleted, nothing changed it: no second read to check.
    source_head: str = ""

    @property
    def overwrites(self) -> int:
        return sum(1 for p in self.writes if self.expected.get(p) is not None)

    def summary(self) -> str:
        verb = "Move" if self.move else "Copy"
        where = f"{self.from_prefix or 'the whole tree'} of {self.source.label}"
        to = f"{self.to_prefix or 'the top'} of {self.target.label}"
        parts = [f"{len(self.writes) - self.overwrites:,} new", f"{self.overwrites:,} overwritten"]
        if self.unchanged:
            parts.append(f"{self.unchanged:,} already the same")
        text = f"{verb} {len(self.read):,} value(s) from {where} to {to}: {', '.join(parts)}."
        if self.move:
            text += " The source is deleted only after the target saved."
        return text


@dataclass(frozen=True)
class CopyOutcome:
    version: str  # the target's new version ('' for stores without versions, or nothing written)
    written: int
    deleted: int  # source values deleted (a move)


def target_path(path: str, from_prefix: str, to_prefix: str) -> str:
    relative = path[len(from_prefix):].lstrip("/") if from_prefix else path
    if not to_prefix:
        return relative
    return f"{to_prefix}/{relative}" if relative else to_prefix


def _same(a: Entry | None, b: Entry | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.value_json == b.value_json and (a.metadata_json or b"") == (b.metadata_json or b"")


def _clean(prefix: str, what: str) -> str:
    prefix = prefix.strip().strip("/")
    if prefix:
        try:
            validate_path(prefix)
        except E.InvalidArgument as exc:
            raise E.InvalidArgument(f"the {what} {exc}") from exc
    return prefix


async def _read_paths(ref: TreeRef, paths: Sequence[str]) -> dict[str, Entry]:
    if not paths:
        return {}
    store = await ref.session.store_ready()
    return {e.path: e for e in await store.get_values(ref.tree_id, list(paths))}


Progress = Callable[[str], None]  # what a long step is doing, in words ("312,000 of 1,000,000 values read")


def _reading(progress: Progress | None, what: str) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress(f"{what}: {done:,} of {total:,} values read")


async def plan_copy(source: TreeRef, from_prefix: str, target: TreeRef, to_prefix: str, *,
                    move: bool = False, progress: Progress | None = None) -> CopyPlan:
    """Read the source subtree and the target paths it would land on."""
    from_prefix, to_prefix = _clean(from_prefix, "source path"), _clean(to_prefix, "target path")
    problem = tree_id_problem(target.tree_id)
    if problem:
        raise E.InvalidArgument(f"the target tree: {problem}")
    if source.same_tree(target):
        if from_prefix == to_prefix:
            raise E.InvalidArgument("the source and the target are the same place: choose another path or tree")
        if move and under_prefix(to_prefix, from_prefix):
            raise E.InvalidArgument(f"cannot move {from_prefix or 'the whole tree'} into itself ({to_prefix})")
    if move and source.session.tree_id == source.tree_id:
        staged = [p for p in source.session.staging.changes if under_prefix(p, from_prefix)]
        if staged:
            raise StagedEditsPending(f"{len(staged)} staged edit(s) below {from_prefix or 'the tree'} are not saved: "
                                     "save or discard them before moving it")
    # Only the subtree is read (the whole 1M-value tree was, to copy 5,000 values of it).
    read = await read_tree(source.session, source.tree_id, _reading(progress, "reading the source"),
                           prefix=from_prefix)
    if not read:
        raise E.NotFound(f"there is nothing at or below {shown(from_prefix) if from_prefix else 'the top'} "
                         f"in {source.label}")
    # The passes over every value run in a worker thread: a 1M-value tree's held the window ~seconds.
    landing = await asyncio.to_thread(_landing, read, from_prefix, to_prefix)
    current = await _read_paths(target, sorted(landing))
    writes, expected = await asyncio.to_thread(_writes, landing, current)
    return CopyPlan(source, from_prefix, target, to_prefix, move, read, writes, expected,
                    len(landing) - len(writes))


def _landing(read: Mapping[str, Entry], from_prefix: str, to_prefix: str) -> dict[str, Entry]:
    """The source's values at their target paths (InvalidArgument names one that cannot be)."""
    landing: dict[str, Entry] = {}
    for path, entry in read.items():
        new_path = target_path(path, from_prefix, to_prefix)
        problem = path_problem(new_path)
        if problem:
            raise E.InvalidArgument(f"{shown(path)} would land on {shown(new_path)}, which {problem}: choose a "
                                    "target path")
        landing[new_path] = Entry(new_path, entry.value_json, entry.metadata_json)
    return landing


def _writes(landing: Mapping[str, Entry], current: Mapping[str, Entry]
            ) -> tuple[dict[str, Entry], dict[str, Entry | None]]:
    """What the target does not hold yet, and what it holds there now (for compare-and-set)."""
    writes = {p: e for p, e in landing.items() if not _same(current.get(p), e)}
    return writes, {p: current.get(p) for p in writes}


async def cas_write(ref: TreeRef, expected: Mapping[str, Entry | None], writes: Mapping[str, Entry],
                    deletes: Sequence[str], message: str) -> str:
    """One compare-and-set write to ``ref``: every path written or deleted must still hold
    what ``expected`` says (None: must not exist), else CopyConflict and nothing is written."""
    session = ref.session
    store = await session.store_ready()
    versioning = session.capabilities.versioning
    paths, unversioned = await asyncio.to_thread(_paths_and_unversioned, expected, writes, deletes)
    if versioning == Versioning.NONE or unversioned:
        # Nothing (or not everything) to compare-and-set against: compare the values just before writing.
        current = await _read_paths(ref, paths)
        moved = [p for p in paths if not _same(current.get(p), expected.get(p))]
        if moved:
            raise CopyConflict(f"{ref.label} changed since the preview ({', '.join(moved[:5])}): nothing was "
                               "written; preview again")
    cas = await asyncio.to_thread(_cas_versions, expected, paths) if versioning != Versioning.NONE else {}
    try:
        if session.has_feature("WriteValues"):
            return await store.write_values(ref.tree_id, list(writes.values()), list(deletes), "", cas,
                                            message=message)
        # A plain zhi store: puts, then deletes (it has no single write for both, and no message).
        if writes:
            await store.put_values(ref.tree_id, list(writes.values()), "",
                                   cas if versioning == Versioning.VALUE else {})
        if deletes:
            await store.delete_values(ref.tree_id, list(deletes))
        return ""
    except E.CASConflict as exc:
        raise CopyConflict(f"{ref.label} changed since the preview: nothing was written; preview again") from exc


async def apply_copy(plan: CopyPlan, message: str) -> CopyOutcome:
    """The target's one compare-and-set save; for a move, then the source's deletes."""
    if plan.move and plan.source.same_tree(plan.target):
        # One write does both: the copy and the deletes cannot be separated by a failure.
        deletes = sorted(p for p in plan.read if p not in plan.writes)
        expected: dict[str, Entry | None] = {p: plan.read[p] for p in deletes}
        expected.update(plan.expected)
        version = await cas_write(plan.target, expected, plan.writes, deletes, message)
        return CopyOutcome(version, len(plan.writes), len(deletes))
    version = ""
    if plan.writes:
        version = await cas_write(plan.target, plan.expected, plan.writes, (), message)
    if not plan.move:
        return CopyOutcome(version, len(plan.writes), 0)
    deletes = sorted(plan.read)
    try:
        await cas_write(plan.source, dict(plan.read), {}, deletes, f"{message} (moved to {plan.target.label})")
    except E.ZhiError as exc:
        saved = f" as version {version}" if version else ""
        raise MoveIncomplete(f"the values were copied to {plan.target.label}{saved}, but the source could not be "
                             f"deleted ({exc}); both copies exist now: delete "
                             f"{plan.from_prefix or 'the source'} yourself once you have checked it") from exc
    return CopyOutcome(version, len(plan.writes), len(deletes))


def _paths_and_unversioned(expected: Mapping[str, Entry | None], writes: Mapping[str, Entry],
                           deletes: Sequence[str]) -> tuple[list[str], list[str]]:
    paths = sorted(set(writes) | set(deletes))
    return paths, [p for p in paths if (e := expected.get(p)) is not None and not e.version]


def _cas_versions(expected: Mapping[str, Entry | None], paths: Sequence[str]) -> dict[str, str]:
    """path -> the version it must still have ('' = must not exist) for a compare-and-set write."""
    cas: dict[str, str] = {}
    for path in paths:
        entry = expected.get(path)
        if entry is None or entry.version:
            cas[path] = entry.version if entry is not None else ""
    return cas


# --- rename a tree -----------------------------------------------------------------------------------

def _unchanged(now: Mapping[str, Entry], then: Mapping[str, Entry]) -> bool:
    return now.keys() == then.keys() and all(_same(entry, then[p]) for p, entry in now.items())


RENAME_HISTORY_NOTE = ("The renamed tree starts a new history: none of zhi-gui's stores can carry versions "
                       "over to another tree id, and the old tree is deleted with all its versions.")


async def plan_rename(session: StoreSession, old: str, new: str, progress: Progress | None = None) -> CopyPlan:
    validate_tree_id(new)
    trees = await session.refresh_trees()
    if new in trees:
        raise E.InvalidArgument(f"a tree \u201c{new}\u201d exists already: choose another name")
    if old not in trees:
        raise E.NotFound(f"there is no tree \u201c{old}\u201d")
    if session.tree_id == old and session.staging:
        raise StagedEditsPending(f"{len(session.staging)} staged edit(s) of \u201c{old}\u201d are not saved: save or "
                                 "discard them before renaming it")
    head = await session.head_of(old)  # before the read: a version after it is a change since
    plan = await plan_copy(TreeRef(session, old), "", TreeRef(session, new), "", move=True, progress=progress)
    return replace(plan, source_head=head)


async def apply_rename(plan: CopyPlan, message: str, progress: Progress | None = None) -> CopyOutcome:
    """Copy into the new tree (one write), then delete the old tree if it still holds what
    was copied; the session shows the new tree if it showed the old one."""
    session, old, new = plan.source.session, plan.source.tree_id, plan.target.tree_id
    if progress is not None:
        progress(f"writing {len(plan.writes):,} values into \u201c{new}\u201d")
    version = await cas_write(plan.target, plan.expected, plan.writes, (), message)
    # Deleting a tree has no compare-and-set: the old tree is checked unchanged first. Its
    # newest version still the one before the read says so; else (a store without tree
    # versions, or a version since) it is read again and compared (1M values: ~10 s, ~400 MB).
    if not plan.source_head or await session.head_of(old) != plan.source_head:
        now = await read_tree(session, old, _reading(progress, f"checking \u201c{old}\u201d is unchanged"))
        if not await asyncio.to_thread(_unchanged, now, plan.read):
            raise MoveIncomplete(f"\u201c{old}\u201d was copied to \u201c{new}\u201d, but \u201c{old}\u201d "
                                 "changed meanwhile, so it was kept: both trees exist now")
    if progress is not None:
        progress(f"deleting \u201c{old}\u201d")
    store = await session.store_ready()
    await store.delete_tree(old)
    await session.refresh_trees()
    if session.tree_id == old:
        if progress is not None:
            progress(f"opening \u201c{new}\u201d")
        await session.load_tree(new)
    return CopyOutcome(version, len(plan.writes), len(plan.read))
