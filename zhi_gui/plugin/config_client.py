"""``ConfigClient``: the typed async client of a zhi config plugin (host side),
on the shared go-plugin plumbing of ``zhi_gui.plugin.channel.PluginChannel``."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence

import grpc

from zhi_gui.core.model import Entry
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.channel import PluginChannel
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, Severity, ValidationResult
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2 as cfg_pb
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2_grpc as cfg_grpc

log = logging.getLogger("zhi_gui.plugin.config_client")


def severity_of(value: int) -> Severity:
    """Unknown severities from a newer plugin count as blocking: never let an
    unknown finding pass silently."""
    return Severity(value) if value in (0, 1, 2) else Severity.BLOCKING


class ConfigClient(PluginChannel, ConfigPlugin):
    """``zhiplugin.v1.ConfigService`` over gRPC."""

    def _make_stubs(self, channel: grpc.aio.Channel) -> None:
        self._config = cfg_grpc.ConfigServiceStub(channel)

    async def list(self) -> list[str]:
        return list((await self._call("List", self._config.List, cfg_pb.ListRequest())).paths)

    async def get(self, path: str) -> ConfigValue:
        resp = await self._call("Get", self._config.Get, cfg_pb.GetRequest(path=path))
        if not resp.found:
            return ConfigValue(False)
        return ConfigValue(True, resp.value_json, resp.metadata_json)

    async def set(self, path: str, value_json: bytes, metadata_json: bytes = b"") -> None:
        await self._call("Set", self._config.Set,
                         cfg_pb.SetRequest(path=path, value_json=value_json, metadata_json=metadata_json))

    async def validate(self, path: str, tree: Sequence[Entry]) -> builtins.list[ValidationResult]:
        resp = await self._call("Validate", self._config.Validate,
                                cfg_pb.ValidateRequest(path=path, tree=cv.entries_to_pb(tree)))
        return [ValidationResult(severity_of(r.severity), r.message, r.metadata_json) for r in resp.results]

    async def close(self) -> None:
        await PluginChannel.close(self)
