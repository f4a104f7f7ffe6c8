"""zhi *transform* plugins: only what composition needs.

``zhi-protocol.md`` does not specify the transform service, and the project has
no ``.proto`` for it. The layout below was read from zhi's own generated code
(``pkg/zhiplugin/transform/proto``, ``zhiplugin/v1/transform.proto``):

    service zhiplugin.v1.TransformService {
      BeforeDisplay(BeforeDisplayRequest{repeated TreeEntry tree = 1})
          returns (BeforeDisplayResponse{repeated TreeEntry tree = 1});
      AfterSave(AfterSaveRequest{repeated TreeEntry tree = 1})
          returns (AfterSaveResponse{repeated TreeEntry tree = 1});
      ValidatePolicy(ValidatePolicyRequest{})
          returns (ValidatePolicyResponse{int32 policy = 1});  // 0 before, 1 after, 2 both
    }

The message classes are built at import time from that description (no
generated stubs needed). ``TransformClient`` treats UNIMPLEMENTED as "absent":
a transform that is not there returns the tree unchanged and has no policy,
so a host can launch any ``zhi-transform-*`` binary, or probe any plugin,
without special cases. ``TransformPlugin`` + ``TransformServicer`` let
``serve`` run a Python transform plugin (used by the tests).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.channel import PluginChannel
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2  # noqa: F401  (registers zhiplugin.v1.TreeEntry)
from zhi_gui.plugin.servicers import guarded

log = logging.getLogger("zhi_gui.plugin.transform")

SERVICE = "zhiplugin.v1.TransformService"


class ValidatePolicy(enum.IntEnum):
    """When config validation runs relative to the transformation."""

    BEFORE_TRANSFORM = 0
    AFTER_TRANSFORM = 1
    BOTH = 2


def _build_messages() -> dict[str, Any]:
    pool = descriptor_pool.Default()
    name = "zhiplugin/v1/transform.proto"
    try:
        pool.FindFileByName(name)
    except KeyError:
        file = descriptor_pb2.FileDescriptorProto(
            name=name, package="zhiplugin.v1", syntax="proto3", dependency=["zhiplugin/v1/config.proto"])
        for message in ("BeforeDisplayRequest", "BeforeDisplayResponse", "AfterSaveRequest", "AfterSaveResponse"):
            msg = file.message_type.add(name=message)
            msg.field.add(name="tree", number=1, label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED,
                          type=descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE, type_name=".zhiplugin.v1.TreeEntry",
                          json_name="tree")
        file.message_type.add(name="ValidatePolicyRequest")
        policy = file.message_type.add(name="ValidatePolicyResponse")
        policy.field.add(name="policy", number=1, label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                         type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32, json_name="policy")
        pool.Add(file)
    names = ("BeforeDisplayRequest", "BeforeDisplayResponse", "AfterSaveRequest", "AfterSaveResponse",
             "ValidatePolicyRequest", "ValidatePolicyResponse")
    return {n: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"zhiplugin.v1.{n}")) for n in names}


MESSAGES = _build_messages()


class TransformPlugin:
    """Base class of a Python transform plugin: the identity by default."""

    async def before_display(self, tree: Sequence[Entry]) -> list[Entry]:
        return list(tree)

    async def after_save(self, tree: Sequence[Entry]) -> list[Entry]:
        return list(tree)

    async def validate_policy(self) -> ValidatePolicy:
        return ValidatePolicy.BEFORE_TRANSFORM

    async def close(self) -> None:
        """Release resources; called once when the plugin shuts down."""


class TransformClient(PluginChannel, TransformPlugin):
    """``zhiplugin.v1.TransformService`` over gRPC; UNIMPLEMENTED means absent.

    ``available`` is None until the first call, then whether the plugin serves
    the service at all."""

    available: bool | None = None

    def _make_stubs(self, channel: grpc.aio.Channel) -> None:
        def stub(method: str, request: str, response: str) -> Any:
            return channel.unary_unary(f"/{SERVICE}/{method}",
                                       request_serializer=MESSAGES[request].SerializeToString,
                                       response_deserializer=MESSAGES[response].FromString)

        self._before = stub("BeforeDisplay", "BeforeDisplayRequest", "BeforeDisplayResponse")
        self._after = stub("AfterSave", "AfterSaveRequest", "AfterSaveResponse")
        self._policy = stub("ValidatePolicy", "ValidatePolicyRequest", "ValidatePolicyResponse")

    async def _optional(self, rpc: str, method: Any, request: Any) -> Any | None:
        try:
            resp = await self._call(rpc, method, request)
        except E.Unsupported:
            if self.available is None:
                log.info("%s does not serve %s: treating it as absent", self.name, SERVICE)
                self.available = False
            return None
        self.available = True
        return resp

    async def before_display(self, tree: Sequence[Entry]) -> list[Entry]:
        resp = await self._optional("BeforeDisplay", self._before,
                                    MESSAGES["BeforeDisplayRequest"](tree=cv.entries_to_pb(tree)))
        return list(tree) if resp is None else cv.entries_from_pb(resp.tree)

    async def after_save(self, tree: Sequence[Entry]) -> list[Entry]:
        resp = await self._optional("AfterSave", self._after, MESSAGES["AfterSaveRequest"](tree=cv.entries_to_pb(tree)))
        return list(tree) if resp is None else cv.entries_from_pb(resp.tree)

    async def validate_policy(self) -> ValidatePolicy:
        """The plugin's policy; BEFORE_TRANSFORM (zhi's zero value) when absent or unknown."""
        resp = await self._optional("ValidatePolicy", self._policy, MESSAGES["ValidatePolicyRequest"]())
        if resp is None or resp.policy not in (0, 1, 2):
            return ValidatePolicy.BEFORE_TRANSFORM
        return ValidatePolicy(resp.policy)

    async def close(self) -> None:
        await PluginChannel.close(self)


class TransformServicer:
    """Puts a ``TransformPlugin`` on the wire (a generic handler: no generated stubs)."""

    def __init__(self, plugin: TransformPlugin) -> None:
        self.plugin = plugin

    def add_to_server(self, server: Any) -> None:
        def unary(handler: Any, request: str, response: str) -> Any:
            return grpc.unary_unary_rpc_method_handler(
                handler, request_deserializer=MESSAGES[request].FromString,
                response_serializer=MESSAGES[response].SerializeToString)

        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {
            "BeforeDisplay": unary(self.BeforeDisplay, "BeforeDisplayRequest", "BeforeDisplayResponse"),
            "AfterSave": unary(self.AfterSave, "AfterSaveRequest", "AfterSaveResponse"),
            "ValidatePolicy": unary(self.ValidatePolicy, "ValidatePolicyRequest", "ValidatePolicyResponse"),
        }),))

    async def BeforeDisplay(self, request: Any, context: Any) -> Any:
        tree = await guarded(context, "BeforeDisplay",
                             lambda: self.plugin.before_display(cv.entries_from_pb(request.tree)))
        return MESSAGES["BeforeDisplayResponse"](tree=cv.entries_to_pb(tree))

    async def AfterSave(self, request: Any, context: Any) -> Any:
        tree = await guarded(context, "AfterSave", lambda: self.plugin.after_save(cv.entries_from_pb(request.tree)))
        return MESSAGES["AfterSaveResponse"](tree=cv.entries_to_pb(tree))

    async def ValidatePolicy(self, request: Any, context: Any) -> Any:
        policy = await guarded(context, "ValidatePolicy", self.plugin.validate_policy)
        return MESSAGES["ValidatePolicyResponse"](policy=int(policy))
