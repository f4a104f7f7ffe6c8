"""Plain data types for what travels between a host and a store.

Values stay as JSON bytes at this level: zhi sends ``value_json`` and
``metadata_json`` verbatim, and keeping the bytes keeps integers integers and
unknown labels untouched. ``zhi_gui.core.values`` decodes them for display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# The kinds and Entry live apart, for the first paint (see zhi_gui.core.entries); the same objects.
from zhi_gui.core.entries import Action as Action
from zhi_gui.core.entries import Encryption as Encryption
from zhi_gui.core.entries import Entry as Entry
from zhi_gui.core.entries import Versioning as Versioning


@dataclass(frozen=True, slots=True)
class Capabilities:
    versioning: Versioning = Versioning.NONE
    encryption: Encryption = Encryption.NONE
    auth: bool = False
    access_control: bool = False


@dataclass(frozen=True, slots=True)
class AuthField:
    name: str
    description: str = ""
    required: bool = False
    secret: bool = False


@dataclass(frozen=True, slots=True)
class AuthMethod:
    type: str
    description: str = ""
    fields: tuple[AuthField, ...] = ()


@dataclass(frozen=True, slots=True)
class LoginResult:
    token: str = ""
    expires_at: str = ""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ValueVersion:
    """GetValueVersion's answer: ``found`` False means no such version."""

    found: bool
    value_json: bytes = b""
    metadata_json: bytes = b""


@dataclass(frozen=True, slots=True)
class Permission:
    path: str
    actions: tuple[Action, ...]


# --- the project's extension service -------------------------------------


@dataclass(frozen=True, slots=True)
class StoreDescription:
    api_version: int
    store_kind: str
    location: str
    features: frozenset[str]
    locked: bool


@dataclass(frozen=True, slots=True)
class VersionInfo:
    id: str
    time: str = ""  # RFC 3339 UTC
    author: str = ""
    message: str = ""
    changed_paths: int = 0
    kind: str = ""


@dataclass(frozen=True, slots=True)
class VersionPage:
    versions: tuple[VersionInfo, ...]
    total: int


@dataclass(frozen=True, slots=True)
class TreeChunk:
    entries: tuple[Entry, ...]
    version: str
    total: int


class ChildInfo(NamedTuple):
    """One child of a node (ListChildren): its name, how many values live at or below
    it, whether it has children, and its own value if one lives exactly there."""

    name: str
    values: int
    has_children: bool
    entry: Entry | None


@dataclass(frozen=True, slots=True)
class Children:
    """ListChildren: a node's children in name order, of one tree version."""

    children: tuple[ChildInfo, ...]
    version: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Search: matching paths in path order (at most the limit asked for), how many
    match in all, and the version searched."""

    paths: tuple[str, ...]
    total: int
    version: str


class DiffEntry(NamedTuple):
    """One path that differs between two versions (DiffVersions): its entry on each
    side, None where the path does not exist."""

    path: str
    old: Entry | None
    new: Entry | None


@dataclass(frozen=True, slots=True)
class DiffChunk:
    """A batch of DiffVersions: changed paths in path order, and the size of each side."""

    entries: tuple[DiffEntry, ...]
    from_total: int
    to_total: int


@dataclass(frozen=True, slots=True)
class TreeChange:
    """One new version of a watched tree (WatchTree)."""

    version: str
    changed_paths: tuple[str, ...]
