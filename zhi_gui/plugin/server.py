"""``serve``: run a Python ``Store`` as a go-plugin gRPC plugin that zhi's Go host accepts.

What a go-plugin host expects (zhi-protocol.md 1), in order:
1. the magic cookie in the environment, else a hint on stderr and exit 1;
2. the gRPC server listening (unix socket by default) *before* the handshake;
3. the handshake as the very first stdout line, flushed; stdout then points
   at stderr so a stray print cannot corrupt anything;
4. health ``plugin`` SERVING, GRPCController.Shutdown, GRPCStdio held open,
   a GRPCBroker stub;
5. hclog JSON on stderr, SIGINT ignored, SIGTERM = shutdown, and exit when the
   host process disappears.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import json
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING, Any, NoReturn

import grpc

from zhi_gui.plugin import lean_start
from zhi_gui.plugin.handshake import (
    APP_PROTOCOL_VERSION,
    COOKIE_HINT,
    MAGIC_COOKIE_KEY,
    MAGIC_COOKIE_VALUE,
    format_handshake,
)
from zhi_gui.plugin.hclog import setup_plugin_logging

if TYPE_CHECKING:
    from zhi_gui.plugin.served import Served

# A plugin's work is big batches of objects without cycles (a 100,000-value write
# or answer: its entries, their strings and tuples). At Python's default (a young
# collection every 700 new objects, the older generations rescanning all that
# survived) the cycle collector took about 15% of such a call's time in the
# plugin (measured: 351 -> 318 ms); every 20,000 new objects keeps cycles
# collected, far less often. Start-up objects are frozen out of later scans
# (once the services are loaded, on the first call).
GC_THRESHOLDS = (20_000, 10, 10)
# A plugin's main may start lean (zhi_gui.plugin.lean_start: no cycle collector, no ssl
# module); _serve_async ends that once the handshake is out.
# Python plugins accept big writes; Go plugins stop at 4 MiB and hosts chunk for them.
MAX_MESSAGE_BYTES = 1 << 30
MAX_UNIX_SOCKET_PATH = 107
PARENT_POLL_SECONDS = 0.5
TRANSPORT_ENV = "ZHI_GUI_PLUGIN_TRANSPORT"  # "tcp" forces a TCP listener (tests, Windows-like hosts)

log = logging.getLogger("zhi_gui.plugin.server")
# Before the handshake only what serving needs is imported (asyncio, grpc, the
# store's module): tempfile, shutil, secrets and grp cost a host's every spawn
# about 5 ms here, so they load where they are used, which is usually never
# (hosts give PLUGIN_UNIX_SOCKET_DIR) or at shutdown.
_CODE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the zhi_gui package in use


def plugin_options() -> dict[str, Any]:
    """The store's options from ``ZHI_PLUGIN_OPTIONS``; absent or invalid JSON = none."""
    raw = os.environ.get("ZHI_PLUGIN_OPTIONS", "")
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        log.warning("ZHI_PLUGIN_OPTIONS is not valid JSON, ignoring it", extra={"error": str(exc)})
        return {}
    if not isinstance(data, dict):
        log.warning("ZHI_PLUGIN_OPTIONS is not a JSON object, ignoring it")
        return {}
    return data


def check_launched_by_host() -> None:
    """Exit 1 with go-plugin's hint unless a host with a compatible protocol launched us."""
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(COOKIE_HINT)
        sys.stderr.flush()
        raise SystemExit(1)
    wanted = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").strip()
    if wanted:
        versions = {v.strip() for v in wanted.split(",")}
        if str(APP_PROTOCOL_VERSION) not in versions:
            sys.stderr.write(
                f"Incompatible API version with plugin. Plugin version: {APP_PROTOCOL_VERSION}, "
                f"host versions: {wanted}\n"
            )
            raise SystemExit(1)


def _unix_socket_path() -> tuple[str, str | None]:
    """(socket path, temp dir we created or None)."""
    base = os.environ.get("PLUGIN_UNIX_SOCKET_DIR", "")
    created = None
    if not base:
        import tempfile

        created = base = tempfile.mkdtemp(prefix="zhi-plugin-")
    # go-plugin's name: "plugin" and random digits (os.urandom is what secrets uses)
    path = os.path.join(base, f"plugin{os.urandom(5).hex()}")
    if len(path.encode()) > MAX_UNIX_SOCKET_PATH:
        import tempfile

        if created:
            with contextlib.suppress(OSError):
                os.rmdir(created)  # just made, still empty
        created = base = tempfile.mkdtemp(prefix="zp-", dir="/tmp")
        path = os.path.join(base, f"plugin{os.urandom(5).hex()}")
    return path, created


def _bind(server: grpc.aio.Server) -> tuple[str, str, str | None]:
    """Bind a listener; returns (network, address, temp dir to remove)."""
    if os.environ.get(TRANSPORT_ENV, "").lower() == "tcp":
        low = int(os.environ.get("PLUGIN_MIN_PORT", "10000") or 10000)
        high = int(os.environ.get("PLUGIN_MAX_PORT", "25000") or 25000)
        for port in range(low, high + 1):
            with contextlib.suppress(RuntimeError):
                if server.add_insecure_port(f"127.0.0.1:{port}") == port:
                    return "tcp", f"127.0.0.1:{port}", None
        raise SystemExit(f"no free TCP port in {low}..{high}")
    path, created = _unix_socket_path()
    server.add_insecure_port(f"unix:{path}")
    return "unix", path, created


def _apply_socket_group(path: str) -> None:
    group = os.environ.get("PLUGIN_UNIX_SOCKET_GROUP", "")
    if not group:
        return
    try:
        import grp

        gid = int(group) if group.isdigit() else grp.getgrnam(group).gr_gid
        os.chown(path, -1, gid)
        os.chmod(path, 0o660)
    except (KeyError, OSError) as exc:
        log.warning("cannot give the socket to group %s: %s", group, exc)


async def _watch_parent(stop: asyncio.Event, parent: int) -> None:
    # stdin EOF is not a signal (go-plugin hands the child the host's stdin), and
    # PR_SET_PDEATHSIG fires when the *thread* that forked us exits, which Go
    # hosts do all the time. Re-parenting is the reliable sign the host is gone.
    # ``parent`` is read before the handshake: a host killed right after it (while
    # the services load) must still count as gone.
    while not stop.is_set():
        await asyncio.sleep(PARENT_POLL_SECONDS)
        if os.getppid() != parent:
            log.info("host process is gone, exiting")
            stop.set()


async def _build(made: Any, stop: asyncio.Event) -> Served | None:
    """The factory's result; an awaitable one (a meta-plugin that launches its
    children first) is awaited here, on the plugin's loop, before the handshake."""
    if not inspect.isawaitable(made):
        return made  # type: ignore[no-any-return]
    task = asyncio.ensure_future(made)
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait([task, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if not task.done():  # SIGTERM while starting: the factory cleans up on cancel
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return None
    try:
        return task.result()  # type: ignore[no-any-return]
    except Exception as exc:
        log.error("cannot start the plugin: %s", exc)
        raise SystemExit(1) from None


class _Services(grpc.GenericRpcHandler):
    """Every service of the plugin, made when the first call is routed.

    Until the handshake line is out only asyncio and grpc are imported: the
    generated protobuf modules, the servicers and the conversion code load
    here, on the first call (the host's first, usually GRPCStdio or health),
    so a host gets its handshake sooner (181 -> 142 ms here). (Loading them right after the
    handshake instead held the loop while the host connected: slower, measured; so did
    loading them in a thread after the handshake: the import holds the GIL the server
    needs to accept the host's connection, 113 -> 154 ms to a connected channel.)"""

    def __init__(self, impl: Served, stop: asyncio.Event) -> None:
        self._impl, self._stop = impl, stop
        self._handlers: list[grpc.GenericRpcHandler] | None = None
        self.health: Any = None  # the health servicer, once made

    def load(self) -> list[grpc.GenericRpcHandler]:
        if self._handlers is None:
            from zhi_gui.plugin.served import build_handlers

            self._handlers, self.health = build_handlers(self._impl, self._stop)
            gc.freeze()  # what start-up loaded lives as long as the plugin: no collection need scan it
        return self._handlers

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        for handler in self.load():
            found = handler.service(handler_call_details)
            if found is not None:
                return found
        return None


async def _serve_async(made: Any) -> None:
    parent = os.getppid()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    store = await _build(made, stop)
    if store is None:
        return

    server = grpc.aio.server(options=[
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ])
    services = _Services(store, stop)
    server.add_generic_rpc_handlers((services,))
    network, address, temp_dir = _bind(server)
    await server.start()
    if network == "unix":
        _apply_socket_group(address)

    # The handshake goes straight to fd 1 (no Python buffering to forget to
    # flush), then fd 1 is pointed at stderr: nothing else may reach stdout.
    os.write(1, format_handshake(network, address).encode())
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    # A lean start (zhi_gui.plugin.lean_start) ends here: from now on the plugin
    # collects cycles, at GC_THRESHOLDS, and may import ssl.
    lean_start.end()
    # Which code runs (an installed copy or a checkout) is worth seeing in the host's log view.
    log.info("plugin serving", extra={"network": network, "address": address,
                                      "code": _CODE_DIR})

    watcher = asyncio.create_task(_watch_parent(stop, parent))
    try:
        await stop.wait()
    finally:
        watcher.cancel()
        if services.health is not None:
            await services.health.enter_graceful_shutdown()
        await server.stop(grace=0.3)
        with contextlib.suppress(Exception):
            await store.close()
        if network == "unix":
            with contextlib.suppress(OSError):
                os.unlink(address)
        if temp_dir:
            import shutil

            shutil.rmtree(temp_dir, ignore_errors=True)
        log.info("plugin stopped")


def serve(store_factory: Any, *, name: str, log_level: int | None = None) -> NoReturn:
    """Run a store plugin until the host shuts it down; never returns.

    ``store_factory(options: dict) -> Store`` builds the store from
    ``ZHI_PLUGIN_OPTIONS`` once the cookie check has passed, so a plugin run by
    hand prints the hint instead of touching its data.

    The factory may also return a ``ConfigPlugin`` or a ``TransformPlugin``
    (served as zhiplugin.v1.ConfigService / TransformService), or an awaitable
    of any of them: it is awaited on the plugin's event loop before the
    handshake, so a meta-plugin can launch its children there; if it fails,
    the plugin logs why and exits 1 (the host sees that before any handshake).
    """
    check_launched_by_host()
    level = log_level if log_level is not None else _env_log_level()
    logger = setup_plugin_logging(name, level)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the host's terminal Ctrl+C is the host's business
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        store = store_factory(plugin_options())
    except Exception as exc:
        logger.error("cannot start the store: %s", exc)
        raise SystemExit(1) from None
    asyncio.run(_serve_async(store))
    sys.stderr.flush()
    # Skip interpreter teardown (grpc's atexit joins can take seconds): the
    # host measures how fast we exit after Shutdown.
    os._exit(0)


def _env_log_level() -> int:
    value = os.environ.get("ZHI_PLUGIN_LOG_LEVEL", "info").upper()
    return {"TRACE": logging.DEBUG, "WARN": logging.WARNING}.get(value, getattr(logging, value, logging.INFO))
