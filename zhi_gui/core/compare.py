"""Taking one side of a comparison into a tree, without Qt or a store.

A comparison shows two snapshots (``{path: Entry}``) side by side; "take this
side" for a key or a subtree means: make the target tree (the loaded tree with
its staged edits) hold at that key, or at and below that subtree, exactly what
the chosen side holds there. That is a set of values to stage and of keys to
delete, computed here; the session stages it as one undoable step.

A file exported without its secrets holds a placeholder instead of each secret
value: such paths are ``masked`` on that side and are never taken (there is no
value to take); the plan names them so the user is told.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from zhi_gui.core.model import Entry
from zhi_gui.core.paths import under_prefix


@dataclass(frozen=True)
class TakePlan:
    """What taking a side stages: values to set (path -> the side's entry, without
    its store version) and keys to delete; ``skipped`` are masked secrets."""

    scope: str
    subtree: bool
    sets: dict[str, Entry] = field(default_factory=dict)
    deletes: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.sets and not self.deletes

    def summary(self) -> str:
        parts = []
        if self.sets:
            parts.append(f"{len(self.sets):,} value(s) set")
        if self.deletes:
            parts.append(f"{len(self.deletes):,} deleted")
        if self.skipped:
            parts.append(f"{len(self.skipped):,} secret(s) skipped (the file holds no value for them)")
        return ", ".join(parts) if parts else "nothing to change: both sides already agree"


def _same(a: Entry, b: Entry) -> bool:
    return a.value_json == b.value_json and (a.metadata_json or b"") == (b.metadata_json or b"")


def _selected(paths: Iterable[str], scope: str, subtree: bool) -> list[str]:
    if subtree:
        return [p for p in paths if under_prefix(p, scope)]
    return [p for p in paths if p == scope]


def take_plan(side: Mapping[str, Entry], target: Mapping[str, Entry], scope: str, *, subtree: bool,
              masked: Iterable[str] = ()) -> TakePlan:
    """Make ``target`` equal ``side`` at ``scope`` (the key alone, or with ``subtree``
    everything at and below it; ``""`` with ``subtree`` is the whole tree)."""
    hidden = set(masked)
    sets: dict[str, Entry] = {}
    skipped: list[str] = []
    for path in sorted(_selected(side, scope, subtree)):
        if path in hidden:
            skipped.append(path)
            continue
        entry = side[path]
        current = target.get(path)
        if current is None or not _same(current, entry):
            # Without the side's version: a version on a written entry would act as a CAS expectation.
            sets[path] = Entry(path, entry.value_json, entry.metadata_json)
    deletes = tuple(sorted(p for p in _selected(target, scope, subtree) if p not in side))
    return TakePlan(scope, subtree, sets, deletes, tuple(skipped))


def with_staged(entries: Mapping[str, Entry], staged: Mapping[str, Entry | None]) -> dict[str, Entry]:
    """A tree as it will be after saving ``staged`` (path -> new entry, None = deleted)."""
    result = dict(entries)
    for path, new in staged.items():
        if new is None:
            result.pop(path, None)
        else:
            result[path] = new
    return result
