"""``ConfigClient``: the typed async client of a zhi config plugin (host side).

``PluginChannel`` is the go-plugin plumbing every non-store client shares
(the store client has its own, tuned for big trees): one grpc.aio channel on
the shared gRPC thread (``GrpcRuntime``), a deadline on every call, failures
turned into the typed errors of ``zhi_gui.core.errors`` (zhi's ErrorInfo
marker, then code, then message), a cap on calls in flight, health Ping,
GRPCController.Shutdown and the GRPCStdio stream.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, Severity, ValidationResult
from zhi_gui.plugin.gen.plugin import grpc_controller_pb2 as controller_pb
from zhi_gui.plugin.gen.plugin import grpc_controller_pb2_grpc as controller_grpc
from zhi_gui.plugin.gen.plugin import grpc_stdio_pb2_grpc as stdio_grpc
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2 as cfg_pb
from zhi_gui.plugin.gen.zhiplugin.v1 import config_pb2_grpc as cfg_grpc
from zhi_gui.plugin.grpc_runtime import GrpcRuntime
from zhi_gui.plugin.wire_errors import classify_rpc_error

log = logging.getLogger("zhi_gui.plugin.config_client")
C = TypeVar("C", bound="PluginChannel")

MAX_IN_FLIGHT = 64
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 1 << 30),
    ("grpc.max_send_message_length", 1 << 30),
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


def severity_of(value: int) -> Severity:
    """Unknown severities from a newer plugin count as blocking: never let an
    unknown finding pass silently."""
    return Severity(value) if value in (0, 1, 2) else Severity.BLOCKING


class PluginChannel:
    """A connection to one plugin process. Create with ``await Cls.connect(target)``."""

    def __init__(self, runtime: GrpcRuntime, channel: grpc.aio.Channel, *, name: str, timeout: float) -> None:
        self._rt = runtime
        self._channel = channel
        self.name = name
        self.timeout = timeout
        self._controller = controller_grpc.GRPCControllerStub(channel)
        self._health = health_pb2_grpc.HealthStub(channel)
        self._stdio = stdio_grpc.GRPCStdioStub(channel)
        self._in_flight: asyncio.Semaphore | None = None  # created on the gRPC loop
        self.closed = False
        self._make_stubs(channel)

    def _make_stubs(self, channel: grpc.aio.Channel) -> None:
        """Subclasses create their service stubs here."""

    @classmethod
    async def connect(cls: type[C], target: str, *, name: str = "", timeout: float = 15.0,
                      connect_timeout: float = 5.0) -> C:
        runtime = GrpcRuntime.get()

        async def open_channel() -> grpc.aio.Channel:
            channel = grpc.aio.insecure_channel(target, options=CHANNEL_OPTIONS)
            try:
                await asyncio.wait_for(channel.channel_ready(), connect_timeout)
            except TimeoutError:
                await channel.close()
                raise E.PluginUnavailable(
                    f"cannot connect to the plugin at {target} within {connect_timeout:g} s") from None
            return channel

        channel = await runtime.run(open_channel())
        return cls(runtime, channel, name=name, timeout=timeout)

    async def _call(self, rpc: str, method: Callable[..., Any], request: Any, timeout: float | None = None) -> Any:
        if self.closed:
            raise E.PluginUnavailable(f"{rpc}: the connection to the plugin is closed")

        async def on_grpc_loop() -> Any:
            if self._in_flight is None:
                self._in_flight = asyncio.Semaphore(MAX_IN_FLIGHT)
            async with self._in_flight:
                try:
                    return await method(request, timeout=timeout or self.timeout)
                except grpc.aio.AioRpcError as exc:
                    raise classify_rpc_error(exc, rpc) from None

        return await self._rt.run(on_grpc_loop())

    # --- go-plugin infrastructure ------------------------------------------------
    async def ping(self, timeout: float = 5.0) -> bool:
        """go-plugin's Ping: health of service ``plugin``."""
        try:
            resp = await self._call("Health", self._health.Check,
                                    health_pb2.HealthCheckRequest(service="plugin"), timeout)
        except E.ZhiError:
            return False
        return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)

    async def shutdown_plugin(self, timeout: float = 1.0) -> None:
        """GRPCController.Shutdown, then close the channel (errors are expected:
        Go plugins drop the connection inside the handler)."""
        if self.closed:
            return
        with contextlib.suppress(E.ZhiError, asyncio.CancelledError):
            await self._call("Shutdown", self._controller.Shutdown, controller_pb.Empty(), timeout)
        await self.close()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(Exception):
            await self._rt.run(self._channel.close(grace=None))

    async def drain_stdio(self, on_data: Callable[[int, bytes], None]) -> None:
        """Hold go-plugin's GRPCStdio stream open, passing (channel, data) on."""

        async def pump() -> None:
            from google.protobuf import empty_pb2

            call = self._stdio.StreamStdio(empty_pb2.Empty())
            try:
                async for item in call:
                    on_data(item.channel, item.data)
            except grpc.aio.AioRpcError as exc:
                if exc.code() not in (grpc.StatusCode.UNIMPLEMENTED, grpc.StatusCode.CANCELLED,
                                      grpc.StatusCode.UNAVAILABLE):
                    log.warning("%s: stdio stream ended: %s", self.name, exc.details())
            finally:
                call.cancel()

        await self._rt.run(pump())


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
