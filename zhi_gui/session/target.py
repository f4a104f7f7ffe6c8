"""What a session opens (StoreTarget), what an edit is bound to (EditTarget),
and what a save can run into (Conflict)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zhi_gui.core.model import Entry
from zhi_gui.services.settings import StoreIdentity


@dataclass(frozen=True)
class StoreTarget:
    """What to open: a plugin executable, its options, and a tree."""

    plugin: Path
    options: dict[str, Any] = field(default_factory=dict)
    tree_id: str = ""
    display_name: str = ""
    known_paths: tuple[str, ...] = ()  # for stores that cannot list keys (from a zhi workspace)

    @classmethod
    def of(cls, identity: StoreIdentity, tree_id: str = "") -> StoreTarget:
        """The store a remembered identity (the recent list) names."""
        return cls(Path(identity.plugin_path), dict(identity.options), tree_id, identity.display_name)

    @property
    def name(self) -> str:
        return self.display_name or self.plugin.name

    def store_key(self) -> str:
        """The store's identity (plugin + locating options; not the tree)."""
        return StoreIdentity(str(self.plugin), self.options).key()


@dataclass(frozen=True)
class EditTarget:
    """Where a typed edit belongs: one path of one tree of one store, read at one version.

    The editor carries it from the moment a value is loaded; the session refuses
    to stage it anywhere else (another tree, another store, a reopened store).
    """

    store_key: str
    session_id: int  # which opening of the store (a reopen gives a new id)
    tree_id: str
    path: str
    base_version: str = ""


@dataclass(frozen=True)
class Conflict:
    path: str
    mine: Entry | None  # None = my delete
    theirs: Entry | None  # None = deleted by them
    base: Entry | None


@dataclass(frozen=True)
class SaveOutcome:
    """What a save did: ``saved`` False means nothing was written and every edit is still staged."""

    saved: bool
    version: str = ""
    count: int = 0
    reason: str = ""


@dataclass(frozen=True)
class ChangesElsewhere:
    """The store's tree differs from what the window shows (another window or process saved)."""

    tree_id: str
    head: str
    changed: tuple[str, ...]  # paths added, changed or removed elsewhere
    conflicting: tuple[str, ...]  # of those, paths with a staged edit of ours
    applied: bool = False  # already in the shown tree (a live update): no reload needed

    def __bool__(self) -> bool:
        return bool(self.changed)
