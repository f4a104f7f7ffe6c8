"""zhi-store-memory: an in-memory store for demos and tests.

Options (``ZHI_PLUGIN_OPTIONS``):
  versioning   "tree" (default) | "value" | "none"
  encryption   true (default): an encryption state machine (nothing is really
               encrypted: the data lives only in this process)
  auth         {"username": "...", "password": "..."}: require a userpass Login
  extension    true (default): serve the zhigui.ext.v1 extension service
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from zhi_gui.core import errors as E
from zhi_gui.core.model import (
    AuthField,
    AuthMethod,
    Capabilities,
    Encryption,
    Entry,
    LoginResult,
    StoreDescription,
    TreeChunk,
    ValueVersion,
    VersionInfo,
    Versioning,
    VersionPage,
)
from zhi_gui.core.paths import under_prefix
from zhi_gui.plugin.store_api import Store
from zhi_gui.stores.common import conflict, default_author, expected_versions, now_rfc3339

Cell = tuple[bytes, bytes, str]  # value_json, metadata_json, version that last wrote it

_EXT_FEATURES = frozenset({"ListPaths", "StreamTree", "DescribeVersions", "WriteValues", "Unlock", "Lock"})


@dataclass
class _TreeVersion:
    info: VersionInfo
    cells: dict[str, Cell]


@dataclass
class _ValueHistory:
    # newest last; a None value marks a deletion (tombstone)
    versions: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)
    counter: int = 0


@dataclass
class _Tree:
    cells: dict[str, Cell] = field(default_factory=dict)
    versions: list[_TreeVersion] = field(default_factory=list)  # newest last
    values: dict[str, _ValueHistory] = field(default_factory=dict)

    @property
    def head(self) -> str:
        return self.versions[-1].info.id if self.versions else ""


class MemoryStore(Store):
    def __init__(self, options: Mapping[str, Any] | None = None) -> None:
        options = dict(options or {})
        mode = str(options.get("versioning", "tree")).lower()
        modes = {"tree": Versioning.TREE, "value": Versioning.VALUE, "none": Versioning.NONE}
        if mode not in modes:
            raise E.InvalidArgument(f"versioning must be one of {sorted(modes)}, not {mode!r}")
        self.versioning = modes[mode]
        self.encryption = Encryption.SUPPORTED if options.get("encryption", True) else Encryption.NONE
        auth = options.get("auth")
        self.credentials: dict[str, str] | None = dict(auth) if isinstance(auth, dict) else None
        self.logged_in = self.credentials is None
        self.serves_extension = bool(options.get("extension", True))
        self.trees: dict[str, _Tree] = {}
        self.passphrase: bytes | None = None
        self.version_counter = 0

    # --- gating ----------------------------------------------------------
    def _require_login(self) -> None:
        if not self.logged_in:
            raise E.AuthRequired("login required", {"reason": "not logged in"})

    def _require_mode(self, mode: Versioning) -> None:
        self._require_login()
        if self.versioning != mode:
            name = "tree" if mode == Versioning.TREE else "value"
            raise E.Unsupported(f"{name} versioning is not supported by this store",
                                {"feature": f"{name}_versioning"})

    def _tree(self, tree_id: str) -> _Tree:
        tree = self.trees.get(tree_id)
        if tree is None:
            raise E.NotFound(f"tree {tree_id!r} not found", {"tree_id": tree_id, "path": ""})
        return tree

    # --- StoreService ----------------------------------------------------
    async def capabilities(self) -> Capabilities:
        return Capabilities(self.versioning, self.encryption, self.credentials is not None, False)

    async def auth_methods(self) -> list[AuthMethod]:
        if self.credentials is None:
            return []
        return [AuthMethod("userpass", "user name and password", (
            AuthField("username", "user name", required=True),
            AuthField("password", "password", required=True, secret=True),
        ))]

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        if self.credentials is None:
            raise E.Unsupported("this store has no authentication", {"feature": "auth"})
        if method != "userpass":
            raise E.AuthRequired(f"unknown login method {method!r}", {"reason": "unknown method"})
        ok = all(hmac.compare_digest(credentials.get(k, ""), v) for k, v in self.credentials.items())
        if not ok:
            raise E.AuthRequired("invalid user name or password", {"reason": "invalid credentials"})
        self.logged_in = True
        return LoginResult(token="memory-session", metadata={"user": credentials.get("username", "")})

    async def list_trees(self) -> list[str]:
        self._require_login()
        return sorted(self.trees)

    async def delete_tree(self, tree_id: str) -> None:
        self._require_login()
        self.trees.pop(tree_id, None)

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        self._require_login()
        tree = self.trees.get(tree_id)
        if tree is None:
            return []
        wanted = paths or sorted(tree.cells)
        return [Entry(p, *tree.cells[p]) for p in dict.fromkeys(wanted) if p in tree.cells]

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self.write_values(tree_id, entries, (), cas_version, cas_versions)

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self.write_values(tree_id, (), paths)

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        self._require_login()
        tree = self.trees.get(tree_id) or _Tree()
        if cas_version and cas_version != tree.head:
            raise conflict("", cas_version, tree.head)
        for path, expected in expected_versions(entries, cas_versions).items():
            actual = tree.cells[path][2] if path in tree.cells else ""
            if expected != actual:
                raise conflict(path, expected, actual)
        deletes = [p for p in dict.fromkeys(delete_paths) if p in tree.cells]
        if not entries and not deletes:
            return tree.head  # nothing to write: no new version, no new tree
        self.trees[tree_id] = tree
        if self.versioning == Versioning.VALUE:
            return self._write_value_mode(tree, entries, deletes)
        self.version_counter += 1
        version = str(self.version_counter) if self.versioning == Versioning.TREE else ""
        for entry in entries:
            tree.cells[entry.path] = (entry.value_json or b"null", entry.metadata_json, version)
        for path in deletes:
            del tree.cells[path]
        if self.versioning == Versioning.TREE:
            kind = "delete" if deletes and not entries else "write"
            info = VersionInfo(version, now_rfc3339(), author or default_author(), message,
                               len(entries) + len(deletes), kind)
            tree.versions.append(_TreeVersion(info, dict(tree.cells)))
        return version

    def _write_value_mode(self, tree: _Tree, entries: Sequence[Entry], deletes: Sequence[str]) -> str:
        for entry in entries:
            history = tree.values.setdefault(entry.path, _ValueHistory())
            history.counter += 1
            vid = str(history.counter)
            history.versions.append((vid, entry.value_json or b"null", entry.metadata_json))
            tree.cells[entry.path] = (entry.value_json or b"null", entry.metadata_json, vid)
        for path in deletes:
            history = tree.values.setdefault(path, _ValueHistory())
            history.counter += 1
            history.versions.append((str(history.counter), None, b""))
            del tree.cells[path]
        return ""

    # --- tree versioning ---------------------------------------------------
    def _find_version(self, tree: _Tree, version: str) -> _TreeVersion:
        for v in tree.versions:
            if v.info.id == version:
                return v
        raise E.NotFound(f"version {version!r} not found", {"tree_id": "", "path": "", "version": version})

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        self._require_mode(Versioning.TREE)
        tree = self.trees.get(tree_id)
        return [v.info.id for v in reversed(tree.versions)] if tree else []

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        self._require_mode(Versioning.TREE)
        snapshot = self._find_version(self._tree(tree_id), version).cells
        wanted = paths or sorted(snapshot)
        return [Entry(p, *snapshot[p]) for p in dict.fromkeys(wanted) if p in snapshot]

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        self._require_mode(Versioning.TREE)
        tree = self._tree(tree_id)
        target = self._find_version(tree, version).cells
        self.version_counter += 1
        new = str(self.version_counter)
        changed = {p for p in set(target) | set(tree.cells)
                   if target.get(p, (None,))[:2] != tree.cells.get(p, (None,))[:2]}
        tree.cells = {p: (c[0], c[1], new if p in changed else c[2]) for p, c in target.items()}
        info = VersionInfo(new, now_rfc3339(), default_author(), f"rollback to {version}", len(changed), "rollback")
        tree.versions.append(_TreeVersion(info, dict(tree.cells)))

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        self._require_mode(Versioning.TREE)
        tree = self._tree(tree_id)
        target = self._find_version(tree, version)
        if target is tree.versions[-1]:
            raise E.InvalidArgument("the current version of a tree cannot be deleted", {"version": version})
        tree.versions.remove(target)

    # --- value versioning ---------------------------------------------------
    def _history(self, tree_id: str, path: str) -> _ValueHistory:
        history = self._tree(tree_id).values.get(path)
        if history is None:
            raise E.NotFound(f"path {path!r} not found", {"tree_id": tree_id, "path": path})
        return history

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        self._require_mode(Versioning.VALUE)
        tree = self.trees.get(tree_id)
        history = tree.values.get(path) if tree else None
        return [v[0] for v in reversed(history.versions)] if history else []

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        self._require_mode(Versioning.VALUE)
        tree = self.trees.get(tree_id)
        history = tree.values.get(path) if tree else None
        for vid, value, meta in history.versions if history else []:
            if vid == version and value is not None:
                return ValueVersion(True, value, meta)
        return ValueVersion(False)

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        self._require_mode(Versioning.VALUE)
        found = await self.get_value_version(tree_id, path, version)
        if not found.found:
            raise E.NotFound(f"version {version!r} of {path!r} not found", {"tree_id": tree_id, "path": path})
        self._write_value_mode(self.trees[tree_id], [Entry(path, found.value_json, found.metadata_json)], ())

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        self._require_mode(Versioning.VALUE)
        history = self._history(tree_id, path)
        if history.versions and history.versions[-1][0] == version:
            raise E.InvalidArgument("the current version of a value cannot be deleted", {"path": path})
        before = len(history.versions)
        history.versions = [v for v in history.versions if v[0] != version]
        if len(history.versions) == before:
            raise E.NotFound(f"version {version!r} of {path!r} not found", {"tree_id": tree_id, "path": path})

    # --- encryption (a state machine only) ---------------------------------
    async def init_encryption(self, passphrase: bytes) -> None:
        if self.encryption == Encryption.NONE:
            raise E.Unsupported("encryption is not supported by this store", {"feature": "encryption"})
        if self.encryption == Encryption.ACTIVE:
            raise E.InvalidArgument("encryption is already active")
        if not passphrase:
            raise E.InvalidArgument("the passphrase must not be empty")
        self.passphrase, self.encryption = bytes(passphrase), Encryption.ACTIVE

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        if self.encryption != Encryption.ACTIVE or self.passphrase is None:
            raise E.EncryptionNotInitialised("encryption is not initialised")
        if not hmac.compare_digest(old_passphrase, self.passphrase):
            raise E.WrongPassphrase("the old passphrase is wrong; nothing was changed")
        if not new_passphrase:
            raise E.InvalidArgument("the new passphrase must not be empty")
        self.passphrase = bytes(new_passphrase)

    async def unlock(self, passphrase: bytes) -> None:
        if self.passphrase is None:
            raise E.EncryptionNotInitialised("encryption is not initialised")
        if not hmac.compare_digest(passphrase, self.passphrase):
            raise E.WrongPassphrase("wrong passphrase")

    async def lock(self) -> None:
        return None

    # --- extension ---------------------------------------------------------
    async def describe(self) -> StoreDescription:
        return StoreDescription(1, "memory", "", _EXT_FEATURES, False)

    def _cells(self, tree_id: str, version: str) -> tuple[dict[str, Cell], str]:
        tree = self.trees.get(tree_id)
        if tree is None:
            if version:
                raise E.NotFound(f"tree {tree_id!r} not found", {"tree_id": tree_id, "path": ""})
            return {}, ""
        if version:
            self._require_mode(Versioning.TREE)
            return self._find_version(tree, version).cells, version
        return tree.cells, tree.head

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        self._require_login()
        cells, _ = self._cells(tree_id, version)
        return sorted(p for p in cells if under_prefix(p, prefix))

    async def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                          chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        self._require_login()
        cells, head = self._cells(tree_id, version)
        paths = sorted(p for p in cells if under_prefix(p, prefix))
        size = chunk_size or 2000
        for start in range(0, max(len(paths), 1), size):
            part = paths[start:start + size]
            yield TreeChunk(tuple(Entry(p, *cells[p]) for p in part), head, len(paths))

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        self._require_mode(Versioning.TREE)
        tree = self.trees.get(tree_id)
        infos = [v.info for v in reversed(tree.versions)] if tree else []
        if versions:
            by_id = {i.id: i for i in infos}
            return VersionPage(tuple(by_id[v] for v in versions if v in by_id), len(infos))
        end = offset + limit if limit else None
        return VersionPage(tuple(infos[offset:end]), len(infos))


def main() -> None:
    from zhi_gui.plugin import lean_start

    lean_start.begin()  # before the server is imported: the host waits for the handshake
    from zhi_gui.plugin.server import serve

    serve(MemoryStore, name="zhi-store-memory")


if __name__ == "__main__":
    main()
