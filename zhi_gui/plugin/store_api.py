"""The async store interface shared by every store in the project.

Python plugins implement it and ``zhi_gui.plugin.server.serve`` puts it on the
wire; ``zhi_gui.plugin.client.StoreClient`` implements it over the wire. Since
both sides have the same shape, wrappers (delegating, mirrored) compose any of
them. Every method a store does not override answers ``Unsupported``, which
travels as UNIMPLEMENTED with zhi's marker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import TYPE_CHECKING

from zhi_gui.core.errors import Unsupported

# The store model's data classes are imported where a store makes one: a plugin imports
# this module (and its store's) before its handshake, and defining the 14 classes was
# about 10 ms of the ~140 ms to it here; the host's first call loads them anyway, with
# the servicers. Annotations need only the names.
if TYPE_CHECKING:
    from zhi_gui.core.model import (
        AuthMethod,
        Capabilities,
        Children,
        DiffChunk,
        Entry,
        LoginResult,
        Permission,
        SearchResult,
        StoreDescription,
        TreeChange,
        TreeChunk,
        ValueVersion,
        VersionPage,
    )


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(f"{feature} is not supported by this store", {"feature": feature})


class Store:
    """Base class: override what the store supports."""

    #: serve zhigui.ext.v1.StoreExtension next to StoreService
    serves_extension: bool = False

    # --- zhiplugin.v1.StoreService ---------------------------------------
    async def capabilities(self) -> Capabilities:
        from zhi_gui.core.model import Capabilities

        return Capabilities()

    async def auth_methods(self) -> list[AuthMethod]:
        return []

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        raise _unsupported("auth")

    async def list_trees(self) -> list[str]:
        raise _unsupported("list_trees")

    async def delete_tree(self, tree_id: str) -> None:
        raise _unsupported("delete_tree")

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        raise _unsupported("get_values")

    async def values_answer(self, tree_id: str, paths: Sequence[str]) -> bytes | None:
        """Optional: ``get_values`` as GetValues's answer already in protocol bytes
        (``plugin.wire``), for a store that keeps them; None (the default): the SDK
        builds the answer from ``get_values``."""
        return None

    async def put_values(
        self,
        tree_id: str,
        entries: Sequence[Entry],
        cas_version: str = "",
        cas_versions: Mapping[str, str] | None = None,
    ) -> None:
        raise _unsupported("put_values")

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        raise _unsupported("delete_values")

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        raise _unsupported("versioning")

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        raise _unsupported("versioning")

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        raise _unsupported("versioning")

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        raise _unsupported("versioning")

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        raise _unsupported("versioning")

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        raise _unsupported("versioning")

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        raise _unsupported("versioning")

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        raise _unsupported("versioning")

    async def init_encryption(self, passphrase: bytes) -> None:
        raise _unsupported("encryption")

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        raise _unsupported("encryption")

    async def grant_access(self, tree_id: str, user: str, permissions: Sequence[Permission]) -> None:
        raise _unsupported("access_control")

    async def revoke_access(self, tree_id: str, user: str, paths: Sequence[str]) -> None:
        raise _unsupported("access_control")

    async def list_access(self, tree_id: str) -> dict[str, list[Permission]]:
        raise _unsupported("access_control")

    # --- zhigui.ext.v1.StoreExtension (optional) ---------------------------
    async def describe(self) -> StoreDescription:
        raise _unsupported("extension")

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        raise _unsupported("list_paths")

    def stream_tree(
        self, tree_id: str, version: str = "", prefix: str = "", chunk_size: int = 0
    ) -> AsyncIterator[TreeChunk]:
        raise _unsupported("stream_tree")

    async def describe_versions(
        self, tree_id: str, offset: int = 0, limit: int = 0, versions: Sequence[str] = ()
    ) -> VersionPage:
        raise _unsupported("describe_versions")

    async def list_children(self, tree_id: str, prefix: str = "", version: str = "") -> Children:
        """A node's children with their value counts ('' = the root)."""
        raise _unsupported("list_children")

    async def search(self, tree_id: str, query: str, version: str = "", limit: int = 0) -> SearchResult:
        """Paths whose key or value text contains ``query`` (case-insensitive; secrets by key)."""
        raise _unsupported("search")

    def diff_versions(
        self, tree_id: str, from_version: str = "", to_version: str = "", prefix: str = "", chunk_size: int = 0
    ) -> AsyncIterator[DiffChunk]:
        """The paths whose entry differs between two versions ('' = current), in path order."""
        raise _unsupported("diff_versions")

    async def write_values(
        self,
        tree_id: str,
        entries: Sequence[Entry],
        delete_paths: Sequence[str] = (),
        cas_version: str = "",
        cas_versions: Mapping[str, str] | None = None,
        message: str = "",
        author: str = "",
    ) -> str:
        """Puts and deletes as one version; returns the new version id ('' if unversioned)."""
        raise _unsupported("write_values")

    def watch_tree(self, tree_id: str, after_version: str = "") -> AsyncIterator[TreeChange]:
        """Every new version of the tree after ``after_version`` ('' = from now), until cancelled."""
        raise _unsupported("watch_tree")

    async def unlock(self, passphrase: bytes) -> None:
        raise _unsupported("unlock")

    async def lock(self) -> None:
        raise _unsupported("lock")

    async def close(self) -> None:
        """Release resources; called once when the plugin or client shuts down."""
