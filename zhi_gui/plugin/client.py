"""``StoreClient``: the typed async client of a store plugin (host side).

It implements the same ``Store`` interface as the plugins, so the GUI and the
composition wrappers can use a remote store like a local one. Each call has a
deadline, failures come back as the typed errors of ``zhi_gui.core.errors``
(zhi's ErrorInfo marker first, then the status code, then the message), calls
in flight are capped (a burst of thousands otherwise comes back CANCELLED), and
PutValues above the 4 MiB a Go plugin accepts is split into several calls for
a plain zhi plugin (not atomic, several versions; ``split_count`` says so in
advance). zhi-gui's own plugins (they serve the extension) accept messages up
to 1 GiB and get one call: one write, one version.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from zhi_gui.core import errors as E
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
from zhi_gui.plugin.channel import PluginChannel, classify_rpc_error
from zhi_gui.plugin.grpc_runtime import GrpcRuntime
from zhi_gui.plugin.lazy import lazy_module
from zhi_gui.plugin.store_api import Store

if TYPE_CHECKING:
    import grpc

    from zhi_gui.plugin import convert as cv
    from zhi_gui.plugin.gen.zhigui.ext.v1 import extension_pb2 as ext_pb
    from zhi_gui.plugin.gen.zhigui.ext.v1 import extension_pb2_grpc as ext_grpc
    from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb
    from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2_grpc as pb_grpc
else:  # loaded when a store is opened, not when the window starts (lazy.py)
    grpc = lazy_module("grpc")
    cv = lazy_module("zhi_gui.plugin.convert")
    ext_pb = lazy_module("zhi_gui.plugin.gen.zhigui.ext.v1.extension_pb2")
    ext_grpc = lazy_module("zhi_gui.plugin.gen.zhigui.ext.v1.extension_pb2_grpc")
    pb = lazy_module("zhi_gui.plugin.gen.zhiplugin.v1.store_pb2")
    pb_grpc = lazy_module("zhi_gui.plugin.gen.zhiplugin.v1.store_pb2_grpc")

log = logging.getLogger("zhi_gui.plugin.client")
T = TypeVar("T")

GO_MAX_MESSAGE = 4 * 1024 * 1024
# Room for the request's own framing (tree id, CAS fields) under Go's limit.
DEFAULT_CHUNK_BYTES = GO_MAX_MESSAGE - 256 * 1024


def _entry_size(entry: Entry) -> int:
    return len(entry.path) + len(entry.value_json) + len(entry.metadata_json) + len(entry.version) + 16


def chunk_entries(entries: Sequence[Entry], limit: int) -> list[list[Entry]]:
    """Split entries into batches whose encoded size stays under ``limit`` (a
    single bigger entry goes alone; the plugin then decides)."""
    batches: list[list[Entry]] = [[]]
    size = 0
    for entry in entries:
        entry_size = _entry_size(entry)
        if batches[-1] and size + entry_size > limit:
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += entry_size
    return batches


class StoreClient(PluginChannel, Store):
    """Use ``await StoreClient.connect(target, ...)`` (from any loop) to create one."""

    def __init__(self, runtime: GrpcRuntime, channel: grpc.aio.Channel, *, name: str, timeout: float,
                 chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> None:
        self.chunk_bytes = chunk_bytes
        self._description: StoreDescription | None = None
        self._description_known = False
        super().__init__(runtime, channel, name=name, timeout=timeout)

    def _make_stubs(self, channel: grpc.aio.Channel) -> None:
        self._store = pb_grpc.StoreServiceStub(channel)
        self._ext = ext_grpc.StoreExtensionStub(channel)

    def _on_loop(self, coro: Coroutine[Any, Any, T]) -> Coroutine[Any, Any, T]:
        return self._rt.run(coro)

    async def close(self) -> None:  # Store.close and PluginChannel.close: the channel's
        await PluginChannel.close(self)

    # --- StoreService ----------------------------------------------------------
    async def capabilities(self) -> Capabilities:
        resp = await self._call("Capabilities", self._store.Capabilities, pb.StoreCapabilitiesRequest())
        return cv.caps_from_pb(resp)

    async def auth_methods(self) -> list[AuthMethod]:
        return cv.auth_methods_from_pb(await self._call("AuthMethods", self._store.AuthMethods,
                                                        pb.AuthMethodsRequest()))

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        resp = await self._call("Login", self._store.Login,
                                pb.LoginRequest(method=method, credentials=dict(credentials)))
        return LoginResult(resp.token, resp.expires_at, dict(resp.metadata))

    async def list_trees(self) -> list[str]:
        return list((await self._call("ListTrees", self._store.ListTrees, pb.ListTreesRequest())).ids)

    async def delete_tree(self, tree_id: str) -> None:
        # zhi's stores answer success for a missing tree, some peers NOT_FOUND: both mean "gone".
        with contextlib.suppress(E.NotFound):
            await self._call("DeleteTree", self._store.DeleteTree, pb.DeleteTreeRequest(id=tree_id))

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        resp = await self._call("GetValues", self._store.GetValues, pb.GetValuesRequest(id=tree_id, paths=paths))
        return await self._on_loop(_convert_entries(resp.values))

    async def split_count(self, entries: Sequence[Entry]) -> int:
        """How many PutValues calls ``put_values(entries)`` will make: 1 for
        zhi-gui's own plugins, else one per 4 MiB batch (more than 1 = the save
        is not atomic and makes several versions: tell the user first)."""
        return len(await self._batches(entries))

    async def _batches(self, entries: Sequence[Entry]) -> list[list[Entry]]:
        if await self.extension() is not None:  # ours: the server takes 1 GiB messages
            return [list(entries)]
        return chunk_entries(entries, self.chunk_bytes)

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        """For a plain zhi plugin, writes above the chunk limit go out as several
        PutValues calls: the first carries the tree CAS version; the whole write
        is then not atomic (zhi has no multi-call transaction), which is said in
        the log (and beforehand by ``split_count``)."""
        batches = await self._batches(entries)
        if len(batches) > 1:
            log.info("%s: PutValues of %d entries split into %d calls (4 MiB limit)", self.name,
                     len(entries), len(batches))
        for index, batch in enumerate(batches):
            wanted = dict(cas_versions or {})
            if len(batches) > 1 and wanted:
                paths = {e.path for e in batch}
                wanted = {p: v for p, v in wanted.items() if p in paths}
            request = pb.PutValuesRequest(id=tree_id, cas_version=cas_version if index == 0 else "",
                                          cas_versions=wanted)
            # Filled in place: building 100,000 messages to copy in took 2.7x as long, on the caller's (UI) loop.
            cv.add_entries(request.values, batch)
            await self._call("PutValues", self._store.PutValues, request)

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self._call("DeleteValues", self._store.DeleteValues, pb.DeleteValuesRequest(id=tree_id, paths=paths))

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        resp = await self._call("ListTreeVersions", self._store.ListTreeVersions,
                                pb.ListTreeVersionsRequest(id=tree_id))
        return list(resp.versions)

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        resp = await self._call("GetTreeVersion", self._store.GetTreeVersion,
                                pb.GetTreeVersionRequest(id=tree_id, version=version, paths=paths))
        return await self._on_loop(_convert_entries(resp.values))

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        await self._call("RollbackTree", self._store.RollbackTree, pb.RollbackTreeRequest(id=tree_id, version=version))

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        await self._call("DeleteTreeVersion", self._store.DeleteTreeVersion,
                         pb.DeleteTreeVersionRequest(id=tree_id, version=version))

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        resp = await self._call("ListValueVersions", self._store.ListValueVersions,
                                pb.ListValueVersionsRequest(id=tree_id, path=path))
        return list(resp.versions)

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        resp = await self._call("GetValueVersion", self._store.GetValueVersion,
                                pb.GetValueVersionRequest(id=tree_id, path=path, version=version))
        return ValueVersion(resp.found, resp.value_json, resp.metadata_json)

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        await self._call("RollbackValue", self._store.RollbackValue,
                         pb.RollbackValueRequest(id=tree_id, path=path, version=version))

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        await self._call("DeleteValueVersion", self._store.DeleteValueVersion,
                         pb.DeleteValueVersionRequest(id=tree_id, path=path, version=version))

    async def init_encryption(self, passphrase: bytes) -> None:
        # Key derivation is slow by design: allow more than the default deadline.
        await self._call("InitEncryption", self._store.InitEncryption,
                         pb.InitEncryptionRequest(passphrase=passphrase), max(self.timeout, 120))

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        await self._call("RotateEncryption", self._store.RotateEncryption,
                         pb.RotateEncryptionRequest(old_passphrase=old_passphrase, new_passphrase=new_passphrase),
                         max(self.timeout, 300))

    async def grant_access(self, tree_id: str, user: str, permissions: Sequence[Permission]) -> None:
        await self._call("GrantAccess", self._store.GrantAccess, pb.GrantAccessRequest(
            id=tree_id, user=user, permissions=cv.permissions_to_pb(permissions)))

    async def revoke_access(self, tree_id: str, user: str, paths: Sequence[str]) -> None:
        await self._call("RevokeAccess", self._store.RevokeAccess,
                         pb.RevokeAccessRequest(id=tree_id, user=user, paths=paths))

    async def list_access(self, tree_id: str) -> dict[str, list[Permission]]:
        resp = await self._call("ListAccess", self._store.ListAccess, pb.ListAccessRequest(id=tree_id))
        return {user: cv.permissions_from_pb(perms.permissions) for user, perms in resp.access.items()}

    # --- zhigui.ext.v1 -----------------------------------------------------------
    async def extension(self) -> StoreDescription | None:
        """The extension service's description, or None for a plain zhi plugin (cached)."""
        if not self._description_known:
            try:
                self._description = await self.describe()
            except E.Unsupported:
                self._description = None
            self._description_known = True
        return self._description

    async def describe(self) -> StoreDescription:
        d = await self._call("Describe", self._ext.Describe, ext_pb.DescribeRequest())
        description = StoreDescription(d.api_version, d.store_kind, d.location, frozenset(d.features), d.locked)
        self._description, self._description_known = description, True
        return description

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        async def collect() -> list[str]:
            paths: list[str] = []
            call = self._ext.ListPaths(ext_pb.ListPathsRequest(id=tree_id, prefix=prefix, version=version),
                                       timeout=self.timeout * 4)
            try:
                async for chunk in call:
                    paths.extend(chunk.paths)
            except grpc.aio.AioRpcError as exc:
                raise classify_rpc_error(exc, "ListPaths") from None
            return paths

        return await self._rt.run(collect())

    async def _server_stream(self, name: str, start: Callable[[], Any],
                             convert: Callable[[Any], T]) -> AsyncIterator[T]:
        """A server stream read on the gRPC thread (decoded there by ``convert``) and handed
        over to the caller's loop one item at a time; cancelling the caller cancels the call."""
        caller = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()

        async def pump() -> None:
            call = start()
            try:
                async for msg in call:
                    caller.call_soon_threadsafe(queue.put_nowait, ("item", convert(msg)))
                caller.call_soon_threadsafe(queue.put_nowait, ("end", None))
            except grpc.aio.AioRpcError as exc:
                caller.call_soon_threadsafe(queue.put_nowait, ("error", classify_rpc_error(exc, name)))
            except asyncio.CancelledError:
                call.cancel()
                raise

        future = self._rt.submit(pump())
        try:
            while True:
                kind, item = await queue.get()
                if kind == "end":
                    return
                if kind == "error":
                    raise item
                yield item
        finally:
            future.cancel()

    def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                    chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        """Chunks arrive decoded on the gRPC thread and are handed over one by one."""
        request = ext_pb.StreamTreeRequest(id=tree_id, version=version, prefix=prefix, chunk_size=chunk_size)
        return self._server_stream(
            "StreamTree", lambda: self._ext.StreamTree(request, timeout=self.timeout * 8),
            lambda msg: TreeChunk(tuple(cv.entries_from_pb(msg.values)), msg.version, msg.total))

    async def list_children(self, tree_id: str, prefix: str = "", version: str = "") -> Children:
        resp = await self._call("ListChildren", self._ext.ListChildren,
                                ext_pb.ListChildrenRequest(id=tree_id, prefix=prefix, version=version))
        return Children(tuple(cv.child_from_pb(c) for c in resp.children), resp.version)

    async def search(self, tree_id: str, query: str, version: str = "", limit: int = 0) -> SearchResult:
        resp = await self._call("Search", self._ext.Search,
                                ext_pb.SearchRequest(id=tree_id, query=query, version=version, limit=limit),
                                self.timeout * 4)
        return SearchResult(tuple(resp.paths), resp.total, resp.version)

    def diff_versions(self, tree_id: str, from_version: str = "", to_version: str = "", prefix: str = "",
                      chunk_size: int = 0) -> AsyncIterator[DiffChunk]:
        """Only the changed paths between two versions, decoded on the gRPC thread."""
        request = ext_pb.DiffVersionsRequest(id=tree_id, from_version=from_version, to_version=to_version,
                                             prefix=prefix, chunk_size=chunk_size)
        return self._server_stream(
            "DiffVersions", lambda: self._ext.DiffVersions(request, timeout=self.timeout * 8),
            lambda msg: DiffChunk(cv.diff_entries_from_pb(msg.entries), msg.from_total, msg.to_total))

    def watch_tree(self, tree_id: str, after_version: str = "") -> AsyncIterator[TreeChange]:
        """New versions of a tree as the store makes them; no deadline (the watch lasts
        until the caller stops iterating)."""
        request = ext_pb.WatchTreeRequest(id=tree_id, after_version=after_version)
        return self._server_stream("WatchTree", lambda: self._ext.WatchTree(request),
                                   lambda msg: TreeChange(msg.version, tuple(msg.changed_paths)))

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        resp = await self._call("DescribeVersions", self._ext.DescribeVersions, ext_pb.DescribeVersionsRequest(
            id=tree_id, offset=offset, limit=limit, versions=versions))
        return VersionPage(tuple(cv.version_info_from_pb(v) for v in resp.versions), resp.total)

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        request = ext_pb.WriteValuesRequest(
            id=tree_id, delete_paths=delete_paths, cas_version=cas_version,
            cas_versions=dict(cas_versions or {}), message=message, author=author)
        cv.add_entries(request.values, entries)
        return str((await self._call("WriteValues", self._ext.WriteValues, request, self.timeout * 4)).version)

    async def unlock(self, passphrase: bytes) -> None:
        await self._call("Unlock", self._ext.Unlock, ext_pb.UnlockRequest(passphrase=passphrase),
                         max(self.timeout, 60))
        self._description_known = False

    async def lock(self) -> None:
        await self._call("Lock", self._ext.Lock, ext_pb.LockRequest())
        self._description_known = False


async def _convert_entries(msgs: Any) -> list[Entry]:
    # Runs on the gRPC thread: converting 100,000 entries must not stall Qt.
    return cv.entries_from_pb(msgs)
