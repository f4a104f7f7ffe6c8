"""Launch the three plugin kinds composition uses: store, config, transform.

Each function starts the executable the way ``zhi_gui.plugin.launcher`` does
(go-plugin handshake, stdin from /dev/null, audit of the binary, stderr parsed
into log lines, GRPCStdio held open, graceful Shutdown then kill on cleanup)
and returns a ``Launched`` holding a typed async client and ``cleanup``:

    launched = await launch_config(path, logger=log, isolated_env=True)
    paths = await launched.client.list()
    await launched.cleanup()

Options: everything of ``LaunchConfig`` (``options`` -> ZHI_PLUGIN_OPTIONS,
``isolated_env`` + ``env_passthrough``, ``audit`` hard-fail / warn, timeouts,
``on_log``) plus

- ``logger``: forward the child's log lines to this ``logging.Logger``
  (level kept, message prefixed with the plugin's name);
- ``own_process_group``: True (default, as the GUI launches plugins) puts the
  child in a new process group. A *meta-plugin* passes False: its children
  then stay in its own group, so the host's group kill reaches them too, and
  cleanup signals only the child process, never the shared group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import fields
from typing import Any, Generic, Protocol, TypeVar

from zhi_gui.core.errors import LaunchError
from zhi_gui.plugin.audit import audit_binary
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.config_client import ConfigClient
from zhi_gui.plugin.hclog import LogLine, parse_line
from zhi_gui.plugin.launcher import (
    GRACEFUL_EXIT_SECONDS,
    LaunchConfig,
    PluginProcess,
    _read_handshake,
    _stderr_settled,
    build_env,
)
from zhi_gui.plugin.transform import TransformClient

log = logging.getLogger("zhi_gui.plugin.composition")

_LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR}


class _Client(Protocol):
    async def shutdown_plugin(self, timeout: float = 1.0) -> None: ...

    async def close(self) -> None: ...

    async def drain_stdio(self, on_data: Callable[[int, bytes], None]) -> None: ...


C = TypeVar("C", bound=_Client)


class ChildProcess(PluginProcess):
    """A ``PluginProcess`` for any plugin kind, optionally in the caller's process group."""

    def __init__(self, *args: Any, own_process_group: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.own_process_group = own_process_group
        self.client: _Client | None = None

    async def close(self) -> None:
        """Graceful stop (Shutdown), wait 2 s, then kill; safe to call twice."""
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
        self.kill_group()
        for task in self._tasks:
            task.cancel()
        self._cleanup_files()

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        if self.own_process_group:
            super().kill_group(sig)
            return
        # Shared group: never signal the group (that is our own); only the child,
        # and only while it has not been reaped (its pid could be reused after).
        if self.running:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(self.pid, sig)


class Launched(Generic[C]):
    """A running plugin: ``client`` (typed), ``process``, and ``cleanup()``."""

    def __init__(self, process: ChildProcess, client: C) -> None:
        self.process = process
        self.client = client

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process.running

    def add_exit_listener(self, listener: Callable[[int], None]) -> None:
        self.process.add_exit_listener(listener)

    async def cleanup(self) -> None:
        """Shutdown, wait up to 2 s, kill; remove the socket. Safe to call twice."""
        await self.process.close()

    async def __aenter__(self) -> Launched[C]:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cleanup()


def _config(config: LaunchConfig | None, overrides: dict[str, Any]) -> LaunchConfig:
    if config is None:
        return LaunchConfig(**overrides)
    if not overrides:
        return config
    known = {f.name for f in fields(LaunchConfig)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise TypeError(f"unknown launch option(s): {', '.join(unknown)}")
    return LaunchConfig(**{**{f.name: getattr(config, f.name) for f in fields(LaunchConfig)}, **overrides})


def log_forwarder(logger: logging.Logger, name: str,
                  then: Callable[[LogLine], None] | None = None) -> Callable[[LogLine], None]:
    """An ``on_log`` that re-logs a plugin's lines on ``logger`` with their level."""

    def forward(line: LogLine) -> None:
        if line.message or line.raw:
            logger.log(_LEVELS.get(line.level, logging.INFO), "%s: %s", name, line.message or line.raw,
                       extra={"plugin": name, "plugin_module": line.module})
        if then is not None:
            then(line)

    return forward


async def _launch(path: str | os.PathLike[str], config: LaunchConfig, *, kind: str,
                  connect: Callable[[str, LaunchConfig, str], Awaitable[C]], logger: logging.Logger | None,
                  own_process_group: bool) -> Launched[C]:
    audit = await asyncio.to_thread(audit_binary, path, config.audit, config.metadata_dir)
    binary = audit.path
    on_log = log_forwarder(logger, binary.name, config.on_log) if logger is not None else config.on_log
    socket_dir = tempfile.mkdtemp(prefix="zhi-", dir="/tmp")
    try:
        proc = await asyncio.create_subprocess_exec(
            str(binary), *config.args,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env=build_env(config, socket_dir), cwd=config.cwd, start_new_session=own_process_group,
        )
    except OSError as exc:
        shutil.rmtree(socket_dir, ignore_errors=True)
        raise LaunchError(f"cannot start {kind} plugin {binary}: {exc.strerror or exc}") from None
    plugin = ChildProcess(binary, proc, audit, socket_dir, on_log, own_process_group=own_process_group)
    plugin._tasks.append(asyncio.create_task(plugin._read_stderr()))
    plugin._tasks.append(asyncio.create_task(plugin._watch_exit()))
    try:
        plugin.handshake = await _read_handshake(plugin, config.handshake_timeout)
        plugin._tasks.append(asyncio.create_task(plugin._drain_stdout()))
        client = await _connect_racing_exit(plugin, config, connect)
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
    if isinstance(client, StoreClient):
        plugin.store = client
    plugin._tasks.append(asyncio.create_task(client.drain_stdio(
        lambda channel, data: plugin._log(parse_line(data.decode("utf-8", "replace"))))))
    log.info("%s plugin %s started (pid %s) in %.0f ms", kind, binary.name, plugin.pid,
             (time.monotonic() - plugin.started_at) * 1000)
    return Launched(plugin, client)


async def _connect_racing_exit(plugin: ChildProcess, config: LaunchConfig,
                               connect: Callable[[str, LaunchConfig, str], Awaitable[C]]) -> C:
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


async def _store_client(target: str, config: LaunchConfig, name: str) -> StoreClient:
    return await StoreClient.connect(target, name=name, timeout=config.call_timeout,
                                     connect_timeout=config.connect_timeout, chunk_bytes=config.chunk_bytes)


async def _config_client(target: str, config: LaunchConfig, name: str) -> ConfigClient:
    return await ConfigClient.connect(target, name=name, timeout=config.call_timeout,
                                      connect_timeout=config.connect_timeout)


async def _transform_client(target: str, config: LaunchConfig, name: str) -> TransformClient:
    return await TransformClient.connect(target, name=name, timeout=config.call_timeout,
                                         connect_timeout=config.connect_timeout)


async def launch_store_client(path: str | os.PathLike[str], config: LaunchConfig | None = None, *,
                              logger: logging.Logger | None = None, own_process_group: bool = True,
                              **overrides: Any) -> Launched[StoreClient]:
    """A store plugin with a ``StoreClient``. (The GUI uses ``launcher.launch_store``,
    which this matches; this one can also keep the child in the caller's group.)"""
    return await _launch(path, _config(config, overrides), kind="store", connect=_store_client, logger=logger,
                         own_process_group=own_process_group)


async def launch_config(path: str | os.PathLike[str], config: LaunchConfig | None = None, *,
                        logger: logging.Logger | None = None, own_process_group: bool = True,
                        **overrides: Any) -> Launched[ConfigClient]:
    """A config plugin (zhiplugin.v1.ConfigService) with a ``ConfigClient``."""
    return await _launch(path, _config(config, overrides), kind="config", connect=_config_client, logger=logger,
                         own_process_group=own_process_group)


async def launch_transform(path: str | os.PathLike[str], config: LaunchConfig | None = None, *,
                           logger: logging.Logger | None = None, own_process_group: bool = True,
                           **overrides: Any) -> Launched[TransformClient]:
    """A transform plugin with a ``TransformClient`` (UNIMPLEMENTED = absent)."""
    return await _launch(path, _config(config, overrides), kind="transform", connect=_transform_client,
                         logger=logger, own_process_group=own_process_group)

