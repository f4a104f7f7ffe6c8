"""``PluginChannel``: the go-plugin plumbing every host-side client shares.

One grpc.aio channel on the shared gRPC thread (``GrpcRuntime``); a deadline
on every call; failures turned into the typed errors of ``zhi_gui.core.errors``
(zhi's ErrorInfo marker, then the status code, then the message); calls in
flight capped on both the gRPC loop and each caller's loop (a burst of 1,000
calls otherwise stalled Qt 130-230 ms and came back CANCELLED at 10,000;
benchmarks/bench_launch.py); health Ping, GRPCController.Shutdown and the
GRPCStdio stream. ``StoreClient``, ``ConfigClient`` and ``TransformClient``
add their service stubs in ``_make_stubs``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from zhi_gui.core import errors as E
from zhi_gui.plugin.grpc_runtime import GrpcRuntime
from zhi_gui.plugin.lazy import lazy_module

if TYPE_CHECKING:
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    from zhi_gui.plugin.gen.plugin import grpc_controller_pb2 as controller_pb
    from zhi_gui.plugin.gen.plugin import grpc_controller_pb2_grpc as controller_grpc
    from zhi_gui.plugin.gen.plugin import grpc_stdio_pb2_grpc as stdio_grpc
else:  # loaded when a store is opened, not when the window starts (lazy.py)
    grpc = lazy_module("grpc")
    health_pb2 = lazy_module("grpc_health.v1.health_pb2")
    health_pb2_grpc = lazy_module("grpc_health.v1.health_pb2_grpc")
    controller_pb = lazy_module("zhi_gui.plugin.gen.plugin.grpc_controller_pb2")
    controller_grpc = lazy_module("zhi_gui.plugin.gen.plugin.grpc_controller_pb2_grpc")
    stdio_grpc = lazy_module("zhi_gui.plugin.gen.plugin.grpc_stdio_pb2_grpc")


def classify_rpc_error(error: grpc.RpcError, rpc: str = "") -> E.ZhiError:
    from zhi_gui.plugin.wire_errors import classify_rpc_error as classify

    return classify(error, rpc)

log = logging.getLogger("zhi_gui.plugin.channel")
C = TypeVar("C", bound="PluginChannel")

MAX_IN_FLIGHT = 64  # per channel, on the gRPC loop
# Per caller loop: fewer, so one Qt loop iteration never resumes many callers
# at once (1,000 concurrent calls: worst Qt stall 35-52 ms with 64, see bench_launch.py).
CALLER_IN_FLIGHT = 16
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 1 << 30),
    ("grpc.max_send_message_length", 1 << 30),
    # A plugin is a local child process: fail fast instead of backing off.
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


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
        self._caller_caps: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary())
        self.closed = False
        self._make_stubs(channel)

    def _make_stubs(self, channel: grpc.aio.Channel) -> None:
        """Subclasses create their service stubs here."""

    @classmethod
    async def connect(cls: type[C], target: str, *, name: str = "", timeout: float = 15.0,
                      connect_timeout: float = 5.0, **extra: Any) -> C:
        """Open the channel and wait until the plugin accepts it. ``extra`` goes to
        the subclass's constructor."""
        runtime = GrpcRuntime.get()
        # gRPC loads here, on the caller's thread: the gRPC thread would otherwise be the
        # first to touch the lazy module, and LazyLoader is not thread-safe before 3.12.
        grpc.aio.insecure_channel  # noqa: B018

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
        return cls(runtime, channel, name=name, timeout=timeout, **extra)

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

        loop = asyncio.get_running_loop()
        cap = self._caller_caps.get(loop)
        if cap is None:
            cap = self._caller_caps[loop] = asyncio.Semaphore(CALLER_IN_FLIGHT)
        async with cap:
            return await self._rt.run(on_grpc_loop())

    # --- go-plugin infrastructure ------------------------------------------
    async def ping(self, timeout: float = 5.0) -> bool:
        """go-plugin's Ping: health of service ``plugin``."""
        try:
            resp = await self._call("Health", self._health.Check,
                                    health_pb2.HealthCheckRequest(service="plugin"), timeout)
        except E.ZhiError:
            return False
        return bool(resp.status == health_pb2.HealthCheckResponse.SERVING)

    async def shutdown_plugin(self, timeout: float = 1.0) -> None:
        """GRPCController.Shutdown, then close the channel. Go plugins drop the
        connection inside the handler, so any error here is expected."""
        if self.closed:
            return
        with contextlib.suppress(E.ZhiError, asyncio.CancelledError):
            await self._call("Shutdown", self._controller.Shutdown, controller_pb.Empty(), timeout)
        await self.close()

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        # Once asked, the channel closes even if our caller is cancelled meanwhile.
        closing = asyncio.wrap_future(self._rt.submit(self._channel.close(grace=None)))
        with contextlib.suppress(Exception):
            await asyncio.shield(closing)

    async def drain_stdio(self, on_data: Callable[[int, bytes], None]) -> None:
        """Hold go-plugin's GRPCStdio stream open, passing (channel, data) on.
        Plugins without it (go-plugin < 1.1, zhi-store-gopeer) answer UNIMPLEMENTED."""
        from google.protobuf import empty_pb2

        async def pump() -> None:
            call = self._stdio.StreamStdio(empty_pb2.Empty())
            try:
                async for item in call:
                    on_data(item.channel, item.data)
            except grpc.aio.AioRpcError as exc:
                if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                    log.debug("%s does not serve plugin.GRPCStdio", self.name)
                elif exc.code() not in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE):
                    log.warning("%s: stdio stream ended: %s", self.name, exc.details())
            finally:
                call.cancel()

        await self._rt.run(pump())
