"""What a plugin serves besides its handshake: go-plugin's own services
(health, GRPCController, GRPCStdio, GRPCBroker) and the plugin's (a store and
its extension, a config plugin, a transform plugin).

``zhi_gui.plugin.server`` imports this module only when the first call
arrives, after the handshake line is out: the generated protobuf modules, the
servicers and the store conversion code are most of a plugin's start-up time,
and a host that spawns a plugin wants the handshake first (zhi-protocol.md 1).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer

from zhi_gui.plugin.gen.plugin import grpc_broker_pb2_grpc as broker_grpc
from zhi_gui.plugin.gen.plugin import grpc_controller_pb2 as controller_pb
from zhi_gui.plugin.gen.plugin import grpc_controller_pb2_grpc as controller_grpc
from zhi_gui.plugin.gen.plugin import grpc_stdio_pb2_grpc as stdio_grpc
from zhi_gui.plugin.gen.zhigui.ext.v1 import extension_pb2_grpc as ext_grpc
from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2_grpc as pb_grpc
from zhi_gui.plugin.servicers import ExtensionServicer, StoreServicer
from zhi_gui.plugin.store_api import Store

if TYPE_CHECKING:
    from zhi_gui.plugin.config_api import ConfigPlugin
    from zhi_gui.plugin.transform import TransformPlugin

    Served = Store | ConfigPlugin | TransformPlugin

log = logging.getLogger("zhi_gui.plugin.server")


class _Controller(controller_grpc.GRPCControllerServicer):
    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    async def Shutdown(self, request: controller_pb.Empty, context: Any) -> controller_pb.Empty:
        log.debug("shutdown requested by the host")
        self._stop.set()
        return controller_pb.Empty()


class _Stdio(stdio_grpc.GRPCStdioServicer):
    """Held open until shutdown: our stdout/stderr go to the real fds, not this stream."""

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    async def StreamStdio(self, request: Any, context: Any) -> None:
        await self._stop.wait()


class _Broker(broker_grpc.GRPCBrokerServicer):
    """Store plugins broker nothing; the stream just stays open until shutdown
    (ending it ourselves first avoids grpc logging a cancelled handler)."""

    def __init__(self, stop: asyncio.Event) -> None:
        self._stop = stop

    async def StartStream(self, request_iterator: AsyncIterator[Any], context: Any) -> None:
        await self._stop.wait()


class _Health(HealthServicer):
    """grpc's health servicer, SERVING for "" and "plugin" (go-plugin's ping) from the start."""

    def __init__(self) -> None:
        super().__init__()
        # What ``await set("plugin", SERVING)`` does when nobody watches yet, and
        # nobody can: this object is made while the first call is being routed.
        self._server_status["plugin"] = health_pb2.HealthCheckResponse.SERVING


class _Collector:
    """Takes what the generated ``add_*_to_server`` functions give a server."""

    def __init__(self) -> None:
        self.handlers: list[grpc.GenericRpcHandler] = []

    def add_generic_rpc_handlers(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        self.handlers.extend(handlers)

    def add_registered_method_handlers(self, service_name: str, method_handlers: dict[str, Any]) -> None:
        self.handlers.append(grpc.method_handlers_generic_handler(service_name, method_handlers))


def _add_plugin_services(impl: Served, server: Any) -> None:
    """Serve what ``impl`` is: a Store (plus the extension), a config plugin,
    a transform plugin, or several of them. Anything else is served as a store
    (duck typing, as before config and transform plugins could be served)."""
    is_config = _instance_of(impl, "zhi_gui.plugin.config_api", "ConfigPlugin")
    is_transform = _instance_of(impl, "zhi_gui.plugin.transform", "TransformPlugin")
    if isinstance(impl, Store) or not (is_config or is_transform):
        store: Store = impl  # type: ignore[assignment]
        pb_grpc.add_StoreServiceServicer_to_server(StoreServicer(store), server)
        if getattr(store, "serves_extension", False):
            ext_grpc.add_StoreExtensionServicer_to_server(ExtensionServicer(store), server)
    if is_config:
        from zhi_gui.plugin.config_servicer import ConfigServicer

        ConfigServicer(impl).add_to_server(server)  # type: ignore[arg-type]
    if is_transform:
        from zhi_gui.plugin.transform import TransformServicer

        TransformServicer(impl).add_to_server(server)  # type: ignore[arg-type]


def _instance_of(impl: object, module: str, name: str) -> bool:
    """``isinstance`` without importing ``module``: nothing is an instance of a class
    whose module was never imported, so a store plugin's first call does not load
    the config and transform plugin code (about 5 ms here)."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(impl, getattr(loaded, name))


def build_handlers(impl: Served, stop: asyncio.Event) -> tuple[list[grpc.GenericRpcHandler], _Health]:
    """Every service the plugin answers, as generic handlers, and its health servicer."""
    target = _Collector()
    health = _Health()
    health_pb2_grpc.add_HealthServicer_to_server(health, target)
    controller_grpc.add_GRPCControllerServicer_to_server(_Controller(stop), target)
    stdio_grpc.add_GRPCStdioServicer_to_server(_Stdio(stop), target)
    broker_grpc.add_GRPCBrokerServicer_to_server(_Broker(stop), target)
    _add_plugin_services(impl, target)
    return target.handlers, health
