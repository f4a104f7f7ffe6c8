"""Launch a zhi store plugin as go-plugin does (zhi-protocol.md 1), asynchronously.

``launch_store`` starts the executable in its own process group with the
handshake environment and stdin from /dev/null, reads the handshake line with a
timeout (reporting the plugin's stderr and exit status if it dies first),
connects, keeps stdout drained and stderr parsed into ``LogLine``s, holds
GRPCStdio open, and returns a ``PluginProcess`` whose ``store`` is a typed async
client.

A plugin's stderr is read and parsed on a thread of its own (``LogPump``), never
on the event loop (which is the Qt UI thread in the GUI): lines reach the loop
in batches at most every 100 ms through a bounded buffer that drops the oldest
lines (and says how many) when a plugin writes faster than that. A plugin
flooding stderr therefore cannot stall the window nor stretch the handshake
timeout. ``close`` shuts the plugin down the way a Go host does: Shutdown, wait
2 s, kill the whole group, remove a socket left behind.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar

from zhi_gui.core.errors import LaunchError
from zhi_gui.plugin.audit import AuditMode, AuditResult, audit_binary
from zhi_gui.plugin.channel import PluginChannel
from zhi_gui.plugin.client import DEFAULT_CHUNK_BYTES, StoreClient
from zhi_gui.plugin.handshake import (
    APP_PROTOCOL_VERSION,
    MAGIC_COOKIE_KEY,
    MAGIC_COOKIE_VALUE,
    Handshake,
    parse_handshake,
)
from zhi_gui.plugin.hclog import LogLine, parse_line

log = logging.getLogger("zhi_gui.plugin.launcher")
C = TypeVar("C", bound=PluginChannel)
Connect = Callable[[str, "LaunchConfig", str], Awaitable[C]]
GRACEFUL_EXIT_SECONDS = 2.0
LOG_LINES_KEPT = 5000
LOG_BATCH_SECONDS = 0.1  # at most ten deliveries a second
LOG_PENDING_MAX = 5000  # lines waiting for the next delivery; older ones are dropped
_MAX_LINE = 65536


@dataclass
class LaunchConfig:
    args: Sequence[str] = ()
    options: Mapping[str, Any] | None = None  # -> ZHI_PLUGIN_OPTIONS
    # Isolated: the child gets only the handshake variables, PATH and the
    # names in env_passthrough, so the GUI's secrets never reach a plugin.
    isolated_env: bool = False
    env_passthrough: Sequence[str] = ()
    extra_env: Mapping[str, str] = field(default_factory=dict)
    audit: AuditMode = AuditMode.HARD_FAIL
    metadata_dir: Path | None = None
    handshake_timeout: float = 10.0
    connect_timeout: float = 5.0
    call_timeout: float = 15.0
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    # Called on the event loop, per line (on_log) or per batch (on_log_batch,
    # preferred for a view: one model update per batch).
    on_log: Callable[[LogLine], None] | None = None
    on_log_batch: Callable[[list[LogLine]], None] | None = None
    cwd: str | None = None


def dropped_marker(count: int) -> LogLine:
    text = f"{count} log lines dropped: the plugin wrote faster than they can be shown"
    return LogLine("warn", text, module="zhi-gui", raw=f"[{text}]")


STDERR_AFTER_EXIT_SECONDS = 1.0  # how long an exited plugin's stderr may take to reach its end


class LogPump:
    """Lines in on any thread, batches out on the event loop.

    ``read_fd`` starts a thread that reads and parses a pipe until EOF. ``put``
    is thread-safe. ``deliver`` runs on the loop with each batch, at most every
    ``LOG_BATCH_SECONDS``; ``done`` resolves once the pipe ended and its last
    lines were delivered."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[list[LogLine]], None],
                 pending_max: int = LOG_PENDING_MAX) -> None:
        self._loop = loop
        self._deliver = deliver
        self._lock = threading.Lock()
        self._pending: collections.deque[LogLine] = collections.deque(maxlen=pending_max)
        self._pending_max = pending_max
        self._dropped = 0
        self._scheduled = False
        self._last_flush = 0.0
        self.done: asyncio.Future[None] = loop.create_future()

    def read_fd(self, fd: int, name: str) -> None:
        threading.Thread(target=self._read, args=(fd,), name=f"zhi-log-{name}", daemon=True).start()

    def put(self, line: LogLine) -> None:
        self.put_many([line])

    def put_many(self, lines: list[LogLine], skipped: int = 0) -> None:
        if not lines and not skipped:
            return
        with self._lock:
            overflow = max(0, len(self._pending) + len(lines) - self._pending_max)
            self._dropped += overflow + skipped
            self._pending.extend(lines)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
            self._loop.call_soon_threadsafe(self._schedule)

    def _read(self, fd: int) -> None:
        rest = b""
        try:
            while True:
                try:
                    chunk = os.read(fd, 1 << 16)
                except OSError:
                    break
                if not chunk:
                    break
                *raw_lines, rest = (rest + chunk).split(b"\n")
                if len(rest) > _MAX_LINE:  # one endless line: show it in pieces
                    raw_lines.append(rest)
                    rest = b""
                # Lines that would be dropped anyway are not parsed (a flood costs little CPU).
                skipped = max(0, len(raw_lines) - self._pending_max)
                self.put_many([parse_line(raw.decode("utf-8", "replace")) for raw in raw_lines[skipped:]],
                              skipped)
            if rest:
                self.put(parse_line(rest.decode("utf-8", "replace")))
        finally:
            with contextlib.suppress(OSError):
                os.close(fd)
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._finish)

    def _schedule(self) -> None:
        delay = max(0.0, self._last_flush + LOG_BATCH_SECONDS - time.monotonic())
        self._loop.call_later(delay, self.flush)

    def flush(self) -> None:
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
            dropped, self._dropped = self._dropped, 0
            self._scheduled = False
        self._last_flush = time.monotonic()
        if dropped:
            batch.insert(0, dropped_marker(dropped))
        if batch:
            self._deliver(batch)

    def _finish(self) -> None:
        self.flush()
        if not self.done.done():
            self.done.set_result(None)


def build_env(config: LaunchConfig, socket_dir: str) -> dict[str, str]:
    if config.isolated_env:
        names = ("PATH", *config.env_passthrough)
        env = {k: os.environ[k] for k in names if k in os.environ}
    else:
        env = dict(os.environ)
    env.pop("PLUGIN_CLIENT_CERT", None)  # zhi does not use AutoMTLS
    env.pop("ZHI_PLUGIN_OPTIONS", None)
    env.update({
        MAGIC_COOKIE_KEY: MAGIC_COOKIE_VALUE,
        "PLUGIN_PROTOCOL_VERSIONS": str(APP_PROTOCOL_VERSION),
        "PLUGIN_MIN_PORT": "10000",
        "PLUGIN_MAX_PORT": "25000",
        "PLUGIN_UNIX_SOCKET_DIR": socket_dir,
    })
    if config.options is not None:
        env["ZHI_PLUGIN_OPTIONS"] = json.dumps(dict(config.options))
    env.update(config.extra_env)
    return env


class PluginProcess:
    """A running plugin: its process, connection, logs and exit."""

    def __init__(self, path: Path, proc: asyncio.subprocess.Process, audit: AuditResult | None,
                 socket_dir: str, on_log: Callable[[LogLine], None] | None, own_process_group: bool = True,
                 on_log_batch: Callable[[list[LogLine]], None] | None = None) -> None:
        self.path = path
        self.proc = proc
        self.pid = proc.pid
        self.audit = audit
        self.handshake: Handshake | None = None
        self.client: PluginChannel | None = None  # set once connected
        self.store: StoreClient = None  # type: ignore[assignment]  # set by launch_store
        # False: a meta-plugin's child shares its parent's group; only the child is signalled.
        self.own_process_group = own_process_group
        self.logs: collections.deque[LogLine] = collections.deque(maxlen=LOG_LINES_KEPT)
        self.started_at = time.monotonic()
        self._socket_dir = socket_dir
        self._on_log = on_log
        self._on_log_batch = on_log_batch
        self.log_pump = LogPump(asyncio.get_running_loop(), self._log_batch)
        self._exit_listeners: list[Callable[[int], None]] = []
        self._tasks: list[asyncio.Task[Any]] = []
        self._closing = False
        self.exited: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    # --- logs ------------------------------------------------------------------
    def _log(self, line: LogLine) -> None:
        """Queue one line (from any thread); it is delivered with the next batch."""
        self.log_pump.put(line)

    def _log_batch(self, lines: list[LogLine]) -> None:
        self.logs.extend(lines)
        if self._on_log_batch:
            try:
                self._on_log_batch(lines)
            except Exception:
                log.exception("log listener failed")
        if self._on_log:
            try:
                for line in lines:
                    self._on_log(line)
            except Exception:
                log.exception("log listener failed")

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(entry.raw for entry in list(self.logs)[-lines:] if entry.raw)

    async def _drain_stdout(self) -> None:
        assert self.proc.stdout is not None
        while True:
            chunk = await self.proc.stdout.read(65536)
            if not chunk:
                return
            for text in chunk.decode("utf-8", "replace").splitlines():
                self._log(LogLine("debug", f"stdout: {text}", raw=text))

    async def _watch_exit(self) -> None:
        code = await self.proc.wait()
        # Its last words first: whoever waits on ``exited`` (a crash report, a launch error's
        # stderr tail) finds them in ``logs``. Bounded: a grandchild may hold the pipe open.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.log_pump.done), STDERR_AFTER_EXIT_SECONDS)
        if not self.exited.done():
            self.exited.set_result(code)
        if not self._closing:
            log.warning("plugin %s (pid %s) exited with status %s", self.path.name, self.pid, code)
        for listener in list(self._exit_listeners):
            try:
                listener(code)
            except Exception:
                log.exception("exit listener failed")

    def add_exit_listener(self, listener: Callable[[int], None]) -> None:
        """Called once with the exit status when the process ends (also on close)."""
        self._exit_listeners.append(listener)

    @property
    def running(self) -> bool:
        return not self.exited.done()

    # --- shutdown --------------------------------------------------------------
    async def close(self) -> None:
        """Graceful stop, then kill the process group; safe to call twice."""
        if self._closing:
            with contextlib.suppress(Exception):
                await asyncio.shield(self.exited)
            return
        self._closing = True
        if self.client is not None and self.running:
            await self.client.shutdown_plugin()
        elif self.client is not None:
            await self.client.close()
        try:
            await asyncio.wait_for(asyncio.shield(self.exited), GRACEFUL_EXIT_SECONDS)
        except TimeoutError:
            log.warning("plugin %s did not exit within %.0f s after Shutdown; killing it",
                        self.path.name, GRACEFUL_EXIT_SECONDS)
        self.kill_group()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.exited), 5)
        # Children of a meta-plugin may outlive it; the group kill reaches them too.
        self.kill_group()
        for task in self._tasks:
            task.cancel()
        # The group is gone, so stderr reaches EOF: deliver the plugin's last words.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(self.log_pump.done), 1.0)
        self.log_pump.flush()
        self._cleanup_files()

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        if not self.own_process_group:
            # A shared group is the caller's own: signal only the child, and only
            # until it is reaped (its pid could be reused after).
            if self.running:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(self.pid, sig)
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)

    def _cleanup_files(self) -> None:
        if self.handshake and self.handshake.network == "unix":
            with contextlib.suppress(OSError):
                os.unlink(self.handshake.address)
        shutil.rmtree(self._socket_dir, ignore_errors=True)

    async def __aenter__(self) -> PluginProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


async def launch_store(path: str | os.PathLike[str], config: LaunchConfig | None = None,
                       **overrides: Any) -> PluginProcess:
    """Start a store plugin and connect to it; ``.store`` is its ``StoreClient``.
    Raises LaunchError (or AuditError) with the reason, the plugin's stderr and
    its exit status."""
    plugin = await launch_plugin(path, merge_config(config, overrides), connect=connect_store)
    assert isinstance(plugin.client, StoreClient)
    plugin.store = plugin.client
    return plugin


async def connect_store(target: str, config: LaunchConfig, name: str) -> StoreClient:
    return await StoreClient.connect(target, name=name, timeout=config.call_timeout,
                                     connect_timeout=config.connect_timeout, chunk_bytes=config.chunk_bytes)


def merge_config(config: LaunchConfig | None, overrides: Mapping[str, Any]) -> LaunchConfig:
    """``config`` with ``overrides`` applied; a misspelt option is named, not ignored."""
    unknown = sorted(set(overrides) - {f.name for f in fields(LaunchConfig)})
    if unknown:
        raise TypeError(f"unknown launch option(s): {', '.join(unknown)}")
    if config is None:
        return LaunchConfig(**overrides)
    return replace(config, **overrides) if overrides else config


async def launch_plugin(path: str | os.PathLike[str], config: LaunchConfig, *, connect: Connect[C],
                        kind: str = "store", own_process_group: bool = True) -> PluginProcess:
    """Start any zhi plugin kind; ``connect(target, config, name)`` makes its client
    (``.client``). ``own_process_group=False`` keeps the child in the caller's
    group (a meta-plugin's children, so the host's group kill reaches them)."""
    audit = await asyncio.to_thread(audit_binary, path, config.audit, config.metadata_dir)
    binary = audit.path
    # A short private directory: unix socket paths must stay under 108 bytes.
    socket_dir = tempfile.mkdtemp(prefix="zhi-", dir="/tmp")
    # stderr goes to a plain pipe read by LogPump's thread, not to an asyncio stream.
    err_read, err_write = os.pipe()
    try:
        proc = await asyncio.create_subprocess_exec(
            str(binary), *config.args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=err_write,
            env=build_env(config, socket_dir), cwd=config.cwd,
            start_new_session=own_process_group,  # own group: one kill reaches a meta-plugin's children
        )
    except OSError as exc:
        os.close(err_read)
        shutil.rmtree(socket_dir, ignore_errors=True)
        raise LaunchError(f"cannot start {kind} plugin {binary}: {exc.strerror or exc}") from None
    finally:
        os.close(err_write)
    plugin = PluginProcess(binary, proc, audit, socket_dir, config.on_log, own_process_group, config.on_log_batch)
    plugin.log_pump.read_fd(err_read, binary.name)
    plugin._tasks.append(asyncio.create_task(plugin._watch_exit()))
    try:
        plugin.handshake = await _read_handshake(plugin, config.handshake_timeout)
        plugin._tasks.append(asyncio.create_task(plugin._drain_stdout()))
        client = await _connect(plugin, config, connect)
    except BaseException:
        plugin._closing = True
        plugin.kill_group()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(plugin.exited), 2)
        for task in plugin._tasks:
            task.cancel()
        plugin._cleanup_files()
        raise
    plugin.client = client
    plugin.log_pump.flush()  # what the plugin said while starting is visible at once
    plugin._tasks.append(asyncio.create_task(client.drain_stdio(
        lambda channel, data: plugin._log(parse_line(data.decode("utf-8", "replace"))))))
    log.info("%s plugin %s started (pid %s, %s %s) in %.0f ms", kind, binary.name, plugin.pid,
             plugin.handshake.network, plugin.handshake.address, (time.monotonic() - plugin.started_at) * 1000)
    return plugin


async def _stderr_settled(plugin: PluginProcess) -> None:
    # Let the stderr reader catch (and deliver) the last lines of a dying plugin.
    with contextlib.suppress(Exception):
        await asyncio.wait_for(asyncio.shield(plugin.log_pump.done), 1.0)
    plugin.log_pump.flush()


async def _read_handshake(plugin: PluginProcess, timeout: float) -> Handshake:
    assert plugin.proc.stdout is not None
    line_task = asyncio.ensure_future(plugin.proc.stdout.readline())
    waiting: list[asyncio.Future[Any]] = [line_task, plugin.exited]
    done, _ = await asyncio.wait(waiting, timeout=timeout,
                                 return_when=asyncio.FIRST_COMPLETED)
    name = plugin.path.name
    if line_task in done and not line_task.exception():
        raw = line_task.result()
        if raw:
            return parse_handshake(raw.decode("utf-8", "replace"))
    line_task.cancel()
    if line_task in done and isinstance(line_task.exception(), ValueError):
        raise LaunchError(f"plugin {name} printed more than 64 KiB without a newline instead of the handshake")
    if plugin.exited.done() or (line_task in done):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(plugin.exited), 2)
        await _stderr_settled(plugin)
        status = plugin.exited.result() if plugin.exited.done() else None
        raise LaunchError(f"plugin {name} exited before its handshake", stderr_tail=plugin.stderr_tail(),
                          exit_status=status)
    raise LaunchError(f"plugin {name} printed no handshake within {timeout:g} s (is it a zhi plugin? "
                      "a Python plugin that does not flush stdout hangs like this)",
                      stderr_tail=plugin.stderr_tail())


async def _connect(plugin: PluginProcess, config: LaunchConfig, connect: Connect[C]) -> C:
    assert plugin.handshake is not None
    task = asyncio.ensure_future(connect(plugin.handshake.grpc_target(), config, plugin.path.name))
    waiting: list[asyncio.Future[Any]] = [task, plugin.exited]
    done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
    if task not in done:
        task.cancel()
        await _stderr_settled(plugin)
        raise LaunchError(f"plugin {plugin.path.name} exited right after its handshake",
                          stderr_tail=plugin.stderr_tail(), exit_status=plugin.exited.result())
    try:
        return task.result()
    except Exception as exc:
        raise LaunchError(f"plugin {plugin.path.name}: {exc}", stderr_tail=plugin.stderr_tail()) from None
