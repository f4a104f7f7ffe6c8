"""Delegating wrappers: forward every call to a base, override a few by subclassing.

    class ReadOnly(DelegatingStore):
        async def put_values(self, tree_id, entries, cas_version="", cas_versions=None):
            raise InvalidArgument("this store is read only")

    store = ReadOnly((await launch_store_client(path)).client)

The base may be a local implementation or a client of a plugin process (both
have the same interface). Constructing a wrapper without a base fails at
once with a TypeError that says so; a subclass that forgets to call
``super().__init__(base)`` gets the same clear error on its first call.
``close()`` is forwarded too: the wrapper owns its base.
"""

from __future__ import annotations

import builtins
from collections.abc import AsyncIterator, Mapping, Sequence

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
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, ValidationResult
from zhi_gui.plugin.store_api import Store


def _check_base(wrapper: str, base: object, kind: type, what: str) -> None:
    if base is None:
        raise TypeError(f"{wrapper} needs a base {what} to forward to: {wrapper}(base), not {wrapper}(None)")
    if not isinstance(base, kind):
        raise TypeError(f"{wrapper} needs a base {what} (a {kind.__module__}.{kind.__name__}), "
                        f"not {type(base).__name__}")


class DelegatingStore(Store):
    """A ``Store`` that forwards every call (StoreService and extension) to ``base``."""

    def __init__(self, base: Store) -> None:
        _check_base(type(self).__name__, base, Store, "store")
        self._base = base
        self.serves_extension = base.serves_extension

    @property
    def base(self) -> Store:
        try:
            return self._base
        except AttributeError:
            raise TypeError(f"{type(self).__name__} has no base store: its __init__ must call "
                            "super().__init__(base)") from None

    # --- zhiplugin.v1.StoreService ---------------------------------------
    async def capabilities(self) -> Capabilities:
        return await self.base.capabilities()

    async def auth_methods(self) -> list[AuthMethod]:
        return await self.base.auth_methods()

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        return await self.base.login(method, credentials)

    async def list_trees(self) -> list[str]:
        return await self.base.list_trees()

    async def delete_tree(self, tree_id: str) -> None:
        await self.base.delete_tree(tree_id)

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        return await self.base.get_values(tree_id, paths)

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self.base.put_values(tree_id, entries, cas_version, cas_versions)

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self.base.delete_values(tree_id, paths)

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        return await self.base.list_tree_versions(tree_id)

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        return await self.base.get_tree_version(tree_id, version, paths)

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        await self.base.rollback_tree(tree_id, version)

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        await self.base.delete_tree_version(tree_id, version)

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        return await self.base.list_value_versions(tree_id, path)

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        return await self.base.get_value_version(tree_id, path, version)

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        await self.base.rollback_value(tree_id, path, version)

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        await self.base.delete_value_version(tree_id, path, version)

    async def init_encryption(self, passphrase: bytes) -> None:
        await self.base.init_encryption(passphrase)

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        await self.base.rotate_encryption(old_passphrase, new_passphrase)

    async def grant_access(self, tree_id: str, user: str, permissions: Sequence[Permission]) -> None:
        await self.base.grant_access(tree_id, user, permissions)

    async def revoke_access(self, tree_id: str, user: str, paths: Sequence[str]) -> None:
        await self.base.revoke_access(tree_id, user, paths)

    async def list_access(self, tree_id: str) -> dict[str, list[Permission]]:
        return await self.base.list_access(tree_id)

    # --- zhigui.ext.v1.StoreExtension ----------------------------------------
    async def describe(self) -> StoreDescription:
        return await self.base.describe()

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        return await self.base.list_paths(tree_id, prefix, version)

    def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                    chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        return self.base.stream_tree(tree_id, version, prefix, chunk_size)

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        return await self.base.describe_versions(tree_id, offset, limit, versions)

    def watch_tree(self, tree_id: str, after_version: str = "") -> AsyncIterator[TreeChange]:
        return self.base.watch_tree(tree_id, after_version)

    async def list_children(self, tree_id: str, prefix: str = "", version: str = "") -> Children:
        return await self.base.list_children(tree_id, prefix, version)

    async def search(self, tree_id: str, query: str, version: str = "", limit: int = 0) -> SearchResult:
        return await self.base.search(tree_id, query, version, limit)

    def diff_versions(self, tree_id: str, from_version: str = "", to_version: str = "", prefix: str = "",
                      chunk_size: int = 0) -> AsyncIterator[DiffChunk]:
        return self.base.diff_versions(tree_id, from_version, to_version, prefix, chunk_size)

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        return await self.base.write_values(tree_id, entries, delete_paths, cas_version, cas_versions,
                                            message, author)

    async def unlock(self, passphrase: bytes) -> None:
        await self.base.unlock(passphrase)

    async def lock(self) -> None:
        await self.base.lock()

    async def close(self) -> None:
        await self.base.close()


class DelegatingConfig(ConfigPlugin):
    """A ``ConfigPlugin`` that forwards every call to ``base``."""

    def __init__(self, base: ConfigPlugin) -> None:
        _check_base(type(self).__name__, base, ConfigPlugin, "config plugin")
        self._base = base

    @property
    def base(self) -> ConfigPlugin:
        try:
            return self._base
        except AttributeError:
            raise TypeError(f"{type(self).__name__} has no base config plugin: its __init__ must call "
                            "super().__init__(base)") from None

    async def list(self) -> list[str]:
        return await self.base.list()

    async def get(self, path: str) -> ConfigValue:
        return await self.base.get(path)

    async def set(self, path: str, value_json: bytes, metadata_json: bytes = b"") -> None:
        await self.base.set(path, value_json, metadata_json)

    async def validate(self, path: str, tree: Sequence[Entry]) -> builtins.list[ValidationResult]:
        return await self.base.validate(path, tree)

    async def close(self) -> None:
        await self.base.close()
