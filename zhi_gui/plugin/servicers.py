"""gRPC servicers that put a ``Store`` on the wire (zhiplugin.v1 + zhigui.ext.v1).

Every handler converts the request, awaits the store, converts the answer,
and turns a ``StoreError`` into a status with zhi's ErrorInfo marker. Input is
validated here once for all Python stores: tree ids, written paths, and that
written values and metadata are JSON.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc

from zhi_gui.core import errors as E
from zhi_gui.core.jsonvalues import check_metadata_json, check_value_json
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import validate_path, validate_tree_id
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin import wire_errors
from zhi_gui.plugin.bulk_checks import CheckedEntries, all_paths_valid, joined_text, plain_scalars
from zhi_gui.plugin.gen.zhigui.ext.v1 import extension_pb2 as ext_pb
from zhi_gui.plugin.gen.zhigui.ext.v1 import extension_pb2_grpc as ext_grpc
from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb
from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2_grpc as pb_grpc
from zhi_gui.plugin.store_api import Store

log = logging.getLogger("zhi_gui.plugin.server")
T = TypeVar("T")


async def guarded(context: grpc.aio.ServicerContext[Any, Any], rpc: str, call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except E.StoreError as exc:
        code, message, trailer = wire_errors.encode(exc)
        if code in (grpc.StatusCode.UNKNOWN,):
            log.warning("%s failed: %s", rpc, message)
        await context.abort(code, message, trailing_metadata=trailer)
    except (grpc.aio.AbortError, grpc.aio.UsageError):  # from context.abort above
        raise
    except Exception as exc:
        log.exception("%s: unexpected error", rpc)
        await context.abort(grpc.StatusCode.INTERNAL,
                            f"{rpc}: internal error in the plugin: {exc}"[: wire_errors.MAX_MESSAGE_CHARS])
    raise AssertionError("unreachable")  # context.abort always raises


def validated_entries(tree_id: str, msgs: Any) -> CheckedEntries:
    """The entries of a write, checked: InvalidArgument names the first bad one."""
    validate_tree_id(tree_id)
    paths, values, metadata, versions = cv.entry_columns_from_pb(msgs)
    if not all_paths_valid(paths):
        for path in paths:  # the first invalid path, named
            validate_path(path)
    # Values that are plain scalars are valid as they are; labels repeat, so each
    # distinct text is checked once. The rest get the full check, in order.
    text = joined_text(values)
    plain = plain_scalars(values, text)
    checked = CheckedEntries(paths, values, metadata, versions, text)
    fine_labels = {b""}
    if all(plain):  # the common bulk write: each distinct label text checked once, no loop per entry
        try:
            for labels in set(metadata) - fine_labels:
                check_metadata_json(labels)
        except Exception:  # the loop below raises it again, naming the first entry that has it
            pass
        else:
            return checked
    for path, value, labels, ok in zip(paths, values, metadata, plain, strict=True):
        if ok and labels in fine_labels:
            continue
        try:
            if not ok:
                check_value_json(value)
            check_metadata_json(labels)
        except E.InvalidArgument as exc:
            raise E.InvalidArgument(f"{path}: {exc.message}", {"path": path}) from None
        fine_labels.add(labels)
    return checked


class StoreServicer(pb_grpc.StoreServiceServicer):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def Capabilities(self, request: pb.StoreCapabilitiesRequest, context: Any) -> pb.StoreCapabilitiesResponse:
        return cv.caps_to_pb(await guarded(context, "Capabilities", self.store.capabilities))

    async def AuthMethods(self, request: pb.AuthMethodsRequest, context: Any) -> pb.AuthMethodsResponse:
        return cv.auth_methods_to_pb(await guarded(context, "AuthMethods", self.store.auth_methods))

    async def Login(self, request: pb.LoginRequest, context: Any) -> pb.LoginResponse:
        result = await guarded(context, "Login", lambda: self.store.login(request.method, dict(request.credentials)))
        return pb.LoginResponse(token=result.token, expires_at=result.expires_at, metadata=result.metadata)

    async def ListTrees(self, request: pb.ListTreesRequest, context: Any) -> pb.ListTreesResponse:
        return pb.ListTreesResponse(ids=await guarded(context, "ListTrees", self.store.list_trees))

    async def DeleteTree(self, request: pb.DeleteTreeRequest, context: Any) -> pb.DeleteTreeResponse:
        async def call() -> None:
            await self.store.delete_tree(validate_tree_id(request.id))

        await guarded(context, "DeleteTree", call)
        return pb.DeleteTreeResponse()

    async def GetValues(self, request: pb.GetValuesRequest, context: Any) -> pb.GetValuesResponse:
        async def answer() -> bytes | None:
            return await self.store.values_answer(validate_tree_id(request.id), list(request.paths))

        async def call() -> list[Entry]:
            return await self.store.get_values(validate_tree_id(request.id), list(request.paths))

        # A store that keeps its values' protocol bytes answers with them: parsed here in C
        # (~10 ms for 100,000 values) instead of a message built value by value (~0.1 s).
        ready = await guarded(context, "GetValues", answer)
        if ready is not None:
            parsed: pb.GetValuesResponse = pb.GetValuesResponse.FromString(ready)
            return parsed
        response = pb.GetValuesResponse()
        cv.add_entries(response.values, await guarded(context, "GetValues", call))
        return response

    async def PutValues(self, request: pb.PutValuesRequest, context: Any) -> pb.PutValuesResponse:
        async def call() -> None:
            entries = validated_entries(request.id, request.values)
            await self.store.put_values(request.id, entries, request.cas_version, dict(request.cas_versions))

        await guarded(context, "PutValues", call)
        return pb.PutValuesResponse()

    async def DeleteValues(self, request: pb.DeleteValuesRequest, context: Any) -> pb.DeleteValuesResponse:
        async def call() -> None:
            await self.store.delete_values(validate_tree_id(request.id), list(request.paths))

        await guarded(context, "DeleteValues", call)
        return pb.DeleteValuesResponse()

    async def ListTreeVersions(self, request: pb.ListTreeVersionsRequest, context: Any) -> pb.ListTreeVersionsResponse:
        async def call() -> list[str]:
            return await self.store.list_tree_versions(validate_tree_id(request.id))

        return pb.ListTreeVersionsResponse(versions=await guarded(context, "ListTreeVersions", call))

    async def GetTreeVersion(self, request: pb.GetTreeVersionRequest, context: Any) -> pb.GetTreeVersionResponse:
        async def call() -> list[Entry]:
            return await self.store.get_tree_version(validate_tree_id(request.id), request.version, list(request.paths))

        response = pb.GetTreeVersionResponse()
        cv.add_entries(response.values, await guarded(context, "GetTreeVersion", call))
        return response

    async def RollbackTree(self, request: pb.RollbackTreeRequest, context: Any) -> pb.RollbackTreeResponse:
        async def call() -> None:
            await self.store.rollback_tree(validate_tree_id(request.id), request.version)

        await guarded(context, "RollbackTree", call)
        return pb.RollbackTreeResponse()

    async def DeleteTreeVersion(
        self, request: pb.DeleteTreeVersionRequest, context: Any
    ) -> pb.DeleteTreeVersionResponse:
        async def call() -> None:
            await self.store.delete_tree_version(validate_tree_id(request.id), request.version)

        await guarded(context, "DeleteTreeVersion", call)
        return pb.DeleteTreeVersionResponse()

    async def ListValueVersions(
        self, request: pb.ListValueVersionsRequest, context: Any
    ) -> pb.ListValueVersionsResponse:
        async def call() -> list[str]:
            return await self.store.list_value_versions(validate_tree_id(request.id), request.path)

        return pb.ListValueVersionsResponse(versions=await guarded(context, "ListValueVersions", call))

    async def GetValueVersion(self, request: pb.GetValueVersionRequest, context: Any) -> pb.GetValueVersionResponse:
        async def call() -> Any:
            return await self.store.get_value_version(validate_tree_id(request.id), request.path, request.version)

        result = await guarded(context, "GetValueVersion", call)
        return pb.GetValueVersionResponse(
            found=result.found, value_json=result.value_json, metadata_json=result.metadata_json
        )

    async def RollbackValue(self, request: pb.RollbackValueRequest, context: Any) -> pb.RollbackValueResponse:
        async def call() -> None:
            await self.store.rollback_value(validate_tree_id(request.id), request.path, request.version)

        await guarded(context, "RollbackValue", call)
        return pb.RollbackValueResponse()

    async def DeleteValueVersion(
        self, request: pb.DeleteValueVersionRequest, context: Any
    ) -> pb.DeleteValueVersionResponse:
        async def call() -> None:
            await self.store.delete_value_version(validate_tree_id(request.id), request.path, request.version)

        await guarded(context, "DeleteValueVersion", call)
        return pb.DeleteValueVersionResponse()

    async def InitEncryption(self, request: pb.InitEncryptionRequest, context: Any) -> pb.InitEncryptionResponse:
        await guarded(context, "InitEncryption", lambda: self.store.init_encryption(request.passphrase))
        return pb.InitEncryptionResponse()

    async def RotateEncryption(self, request: pb.RotateEncryptionRequest, context: Any) -> pb.RotateEncryptionResponse:
        await guarded(
            context,
            "RotateEncryption",
            lambda: self.store.rotate_encryption(request.old_passphrase, request.new_passphrase),
        )
        return pb.RotateEncryptionResponse()

    async def GrantAccess(self, request: pb.GrantAccessRequest, context: Any) -> pb.GrantAccessResponse:
        await guarded(
            context,
            "GrantAccess",
            lambda: self.store.grant_access(request.id, request.user, cv.permissions_from_pb(request.permissions)),
        )
        return pb.GrantAccessResponse()

    async def RevokeAccess(self, request: pb.RevokeAccessRequest, context: Any) -> pb.RevokeAccessResponse:
        await guarded(
            context, "RevokeAccess", lambda: self.store.revoke_access(request.id, request.user, list(request.paths))
        )
        return pb.RevokeAccessResponse()

    async def ListAccess(self, request: pb.ListAccessRequest, context: Any) -> pb.ListAccessResponse:
        access = await guarded(context, "ListAccess", lambda: self.store.list_access(request.id))
        return pb.ListAccessResponse(
            access={user: pb.UserPermissions(permissions=cv.permissions_to_pb(perms)) for user, perms in access.items()}
        )


class ExtensionServicer(ext_grpc.StoreExtensionServicer):
    def __init__(self, store: Store) -> None:
        self.store = store

    async def Describe(self, request: ext_pb.DescribeRequest, context: Any) -> ext_pb.DescribeResponse:
        d = await guarded(context, "Describe", self.store.describe)
        return ext_pb.DescribeResponse(
            api_version=d.api_version,
            store_kind=d.store_kind,
            location=d.location,
            features=sorted(d.features),
            locked=d.locked,
        )

    async def ListPaths(self, request: ext_pb.ListPathsRequest, context: Any) -> AsyncIterator[ext_pb.ListPathsChunk]:
        async def call() -> list[str]:
            return await self.store.list_paths(validate_tree_id(request.id), request.prefix, request.version)

        paths = await guarded(context, "ListPaths", call)
        for start in range(0, len(paths), 5000):
            yield ext_pb.ListPathsChunk(paths=paths[start : start + 5000])

    async def StreamTree(
        self, request: ext_pb.StreamTreeRequest, context: Any
    ) -> AsyncIterator[ext_pb.StreamTreeChunk]:
        async def start() -> AsyncIterator[Any]:
            # stream_tree of a store without it raises at once: inside guarded.
            return self.store.stream_tree(
                validate_tree_id(request.id), request.version, request.prefix, request.chunk_size
            )

        iterator = await guarded(context, "StreamTree", start)
        while True:
            chunk = await guarded(context, "StreamTree", lambda: _next_or_none(iterator))
            if chunk is None:
                return
            message = ext_pb.StreamTreeChunk(version=chunk.version, total=chunk.total)
            cv.add_entries(message.values, chunk.entries)
            yield message

    async def WatchTree(
        self, request: ext_pb.WatchTreeRequest, context: Any
    ) -> AsyncIterator[ext_pb.WatchTreeEvent]:
        async def start() -> AsyncIterator[Any]:
            return self.store.watch_tree(validate_tree_id(request.id), request.after_version)

        iterator = await guarded(context, "WatchTree", start)
        while True:
            change = await guarded(context, "WatchTree", lambda: _next_or_none(iterator))
            if change is None:
                return
            yield ext_pb.WatchTreeEvent(version=change.version, changed_paths=change.changed_paths)

    async def DiffVersions(
        self, request: ext_pb.DiffVersionsRequest, context: Any
    ) -> AsyncIterator[ext_pb.DiffVersionsChunk]:
        async def start() -> AsyncIterator[Any]:
            return self.store.diff_versions(validate_tree_id(request.id), request.from_version, request.to_version,
                                            request.prefix, request.chunk_size)

        iterator = await guarded(context, "DiffVersions", start)
        while True:
            chunk = await guarded(context, "DiffVersions", lambda: _next_or_none(iterator))
            if chunk is None:
                return
            yield ext_pb.DiffVersionsChunk(entries=[cv.diff_entry_to_pb(e) for e in chunk.entries],
                                           from_total=chunk.from_total, to_total=chunk.to_total)

    async def ListChildren(self, request: ext_pb.ListChildrenRequest, context: Any) -> ext_pb.ListChildrenResponse:
        async def call() -> Any:
            prefix = request.prefix.strip("/")
            if prefix:
                validate_path(prefix)
            return await self.store.list_children(validate_tree_id(request.id), prefix, request.version)

        listed = await guarded(context, "ListChildren", call)
        return ext_pb.ListChildrenResponse(children=[cv.child_to_pb(c) for c in listed.children],
                                           version=listed.version)

    async def Search(self, request: ext_pb.SearchRequest, context: Any) -> ext_pb.SearchResponse:
        async def call() -> Any:
            if not request.query.strip():
                raise E.InvalidArgument("a search needs some text to look for", {"option": "query"})
            return await self.store.search(validate_tree_id(request.id), request.query, request.version,
                                           request.limit)

        found = await guarded(context, "Search", call)
        return ext_pb.SearchResponse(paths=found.paths, total=found.total, version=found.version)

    async def DescribeVersions(
        self, request: ext_pb.DescribeVersionsRequest, context: Any
    ) -> ext_pb.DescribeVersionsResponse:
        async def call() -> Any:
            return await self.store.describe_versions(
                validate_tree_id(request.id), request.offset, request.limit, list(request.versions)
            )

        page = await guarded(context, "DescribeVersions", call)
        return ext_pb.DescribeVersionsResponse(
            versions=[cv.version_info_to_pb(v) for v in page.versions], total=page.total
        )

    async def WriteValues(self, request: ext_pb.WriteValuesRequest, context: Any) -> ext_pb.WriteValuesResponse:
        async def call() -> str:
            entries = validated_entries(request.id, request.values)
            for path in request.delete_paths:
                validate_path(path)
            return await self.store.write_values(
                request.id,
                entries,
                list(request.delete_paths),
                request.cas_version,
                dict(request.cas_versions),
                request.message,
                request.author,
            )

        return ext_pb.WriteValuesResponse(version=await guarded(context, "WriteValues", call))

    async def Unlock(self, request: ext_pb.UnlockRequest, context: Any) -> ext_pb.UnlockResponse:
        await guarded(context, "Unlock", lambda: self.store.unlock(request.passphrase))
        return ext_pb.UnlockResponse()

    async def Lock(self, request: ext_pb.LockRequest, context: Any) -> ext_pb.LockResponse:
        await guarded(context, "Lock", self.store.lock)
        return ext_pb.LockResponse()


async def _next_or_none(iterator: AsyncIterator[T]) -> T | None:
    try:
        return await anext(iterator)
    except StopAsyncIteration:
        return None
