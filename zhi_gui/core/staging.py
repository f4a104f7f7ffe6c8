"""Staged edits: what the user changed but has not saved, with undo/redo.

Each change remembers the *base* (the entry as read from the store, with its
version) so a save can ask the store to compare-and-set, and a conflict can
show mine / theirs / base. Nothing here talks to a store or to Qt: listeners
are plain callables (the UI adapts them to signals).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from zhi_gui.core.entries import Entry


@dataclass(frozen=True, slots=True)
class StagedChange:
    path: str
    new: Entry | None  # None = delete
    base: Entry | None  # as read from the store; None = the path did not exist

    @property
    def is_delete(self) -> bool:
        return self.new is None

    @property
    def is_add(self) -> bool:
        return self.base is None and self.new is not None


@dataclass(frozen=True, slots=True)
class _Step:
    """One undoable user action: for each path, the staged change before and after."""

    label: str
    before: tuple[tuple[str, StagedChange | None], ...]
    after: tuple[tuple[str, StagedChange | None], ...]


@dataclass(frozen=True, slots=True)
class WritePlan:
    """What a save sends: puts and deletes, with the versions they expect."""

    entries: tuple[Entry, ...]
    delete_paths: tuple[str, ...]
    cas_versions: dict[str, str]


@dataclass
class Staging:
    changes: dict[str, StagedChange] = field(default_factory=dict)
    _undo: list[_Step] = field(default_factory=list)
    _redo: list[_Step] = field(default_factory=list)
    listeners: list[Callable[[frozenset[str]], None]] = field(default_factory=list)

    # --- queries --------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.changes)

    def __contains__(self, path: object) -> bool:
        return path in self.changes

    def get(self, path: str) -> StagedChange | None:
        return self.changes.get(path)

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    @property
    def undo_label(self) -> str:
        return self._undo[-1].label if self._undo else ""

    @property
    def redo_label(self) -> str:
        return self._redo[-1].label if self._redo else ""

    # --- edits ------------------------------------------------------------------
    def stage(self, label: str, updates: Mapping[str, StagedChange | None]) -> None:
        """Apply several per-path updates as ONE undoable step (None = unstage)."""
        normalised: dict[str, StagedChange | None] = {}
        for path, change in updates.items():
            if change is not None and _is_noop(change):
                change = None  # editing back to the stored value is no change at all
            normalised[path] = change
        before = tuple((p, self.changes.get(p)) for p in normalised)
        after = tuple(normalised.items())
        if before == after:
            return
        # Stacks first: listeners (the UI) read can_undo/can_redo when notified.
        self._undo.append(_Step(label, before, after))
        self._redo.clear()
        self._apply(after)

    def stage_set(self, path: str, value_json: bytes, metadata_json: bytes, base: Entry | None) -> None:
        existing = self.changes.get(path)
        base = existing.base if existing else base
        self.stage(f"edit {path}", {path: StagedChange(path, Entry(path, value_json, metadata_json), base)})

    def stage_delete(self, paths: Iterable[str], bases: Mapping[str, Entry | None]) -> None:
        updates: dict[str, StagedChange | None] = {}
        for path in paths:
            existing = self.changes.get(path)
            base = existing.base if existing else bases.get(path)
            # Deleting a key that only exists as a staged addition just unstages it.
            updates[path] = None if base is None else StagedChange(path, None, base)
        paths_list = list(updates)
        label = f"delete {paths_list[0]}" if len(paths_list) == 1 else f"delete {len(paths_list)} keys"
        self.stage(label, updates)

    def discard(self, paths: Iterable[str]) -> None:
        self.stage("discard changes", {p: None for p in paths if p in self.changes})

    def undo(self) -> bool:
        if not self._undo:
            return False
        step = self._undo.pop()
        self._redo.append(step)
        self._apply(step.before)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        step = self._redo.pop()
        self._undo.append(step)
        self._apply(step.after)
        return True

    def clear(self) -> None:
        """Forget everything (after a successful save, or "discard all")."""
        paths = frozenset(self.changes)
        self._undo.clear()
        self._redo.clear()
        self.changes.clear()
        self._notify(paths)

    def snapshot(self) -> dict[str, StagedChange]:
        """The edits as they are now: what a save about to start writes."""
        return dict(self.changes)

    def settle_saved(self, saved: Mapping[str, StagedChange], new_base: Callable[[str], Entry | None]) -> None:
        """A save of ``saved`` landed: those edits are done. Edits staged while it ran are kept,
        against what the save wrote (``new_base``), so the next save compares with that."""
        paths = frozenset(self.changes) | frozenset(saved)
        for path, change in list(self.changes.items()):
            if saved.get(path) is change:
                del self.changes[path]
            elif path in saved:
                later = StagedChange(path, change.new, new_base(path))
                if _is_noop(later):
                    del self.changes[path]
                else:
                    self.changes[path] = later
        # the undo steps describe edits against the old bases: they end with the save
        self._undo.clear()
        self._redo.clear()
        self._notify(paths)

    def rebase(self, path: str, base: Entry | None) -> None:
        """Keep my edit but against a new base (conflict resolved as "keep mine")."""
        change = self.changes.get(path)
        if change is not None:
            self.changes[path] = StagedChange(path, change.new, base)

    # --- saving -------------------------------------------------------------------
    def write_plan(self, use_entry_versions: bool = True) -> WritePlan:
        entries: list[Entry] = []
        deletes: list[str] = []
        cas: dict[str, str] = {}
        for path in sorted(self.changes):
            change = self.changes[path]
            base_version = change.base.version if change.base else ""
            if use_entry_versions and change.base is not None and base_version:
                cas[path] = base_version
            if change.new is None:
                deletes.append(path)
            else:
                entries.append(Entry(path, change.new.value_json, change.new.metadata_json))
        return WritePlan(tuple(entries), tuple(deletes), cas)

    # --- internals ------------------------------------------------------------------
    def _apply(self, states: tuple[tuple[str, StagedChange | None], ...]) -> None:
        for path, change in states:
            if change is None:
                self.changes.pop(path, None)
            else:
                self.changes[path] = change
        self._notify(frozenset(p for p, _ in states))

    def _notify(self, paths: frozenset[str]) -> None:
        for listener in list(self.listeners):
            listener(paths)


def _is_noop(change: StagedChange) -> bool:
    if change.base is None or change.new is None:
        return False
    return (change.base.value_json == change.new.value_json
            and (change.base.metadata_json or b"") == (change.new.metadata_json or b""))
