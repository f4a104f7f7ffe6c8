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

import logging
import os
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from zhi_gui.plugin.channel import PluginChannel
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.config_client import ConfigClient
from zhi_gui.plugin.hclog import LogLine
from zhi_gui.plugin.launcher import (
    Connect,
    LaunchConfig,
    PluginProcess,
    connect_store,
    launch_plugin,
    merge_config,
)
from zhi_gui.plugin.transform import TransformClient

log = logging.getLogger("zhi_gui.plugin.composition")

_LEVELS = {"trace": 5, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "error": logging.ERROR}

C = TypeVar("C", bound=PluginChannel)


class Launched(Generic[C]):
    """A running plugin: ``client`` (typed), ``process``, and ``cleanup()``."""

    def __init__(self, process: PluginProcess, client: C) -> None:
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


async def _launch(path: str | os.PathLike[str], config: LaunchConfig | None, overrides: dict[str, Any], *,
                  kind: str, connect: Connect[C], logger: logging.Logger | None,
                  own_process_group: bool) -> Launched[C]:
    merged = merge_config(config, overrides)
    if logger is not None:
        merged = merge_config(merged, {"on_log": log_forwarder(logger, os.path.basename(path), merged.on_log)})
    process = await launch_plugin(path, merged, connect=connect, kind=kind, own_process_group=own_process_group)
    client = process.client
    if isinstance(client, StoreClient):
        process.store = client
    return Launched(process, client)  # type: ignore[arg-type]  # launch_plugin made it with `connect`


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
    return await _launch(path, config, overrides, kind="store", connect=connect_store, logger=logger,
                         own_process_group=own_process_group)


async def launch_config(path: str | os.PathLike[str], config: LaunchConfig | None = None, *,
                        logger: logging.Logger | None = None, own_process_group: bool = True,
                        **overrides: Any) -> Launched[ConfigClient]:
    """A config plugin (zhiplugin.v1.ConfigService) with a ``ConfigClient``."""
    return await _launch(path, config, overrides, kind="config", connect=_config_client, logger=logger,
                         own_process_group=own_process_group)


async def launch_transform(path: str | os.PathLike[str], config: LaunchConfig | None = None, *,
                           logger: logging.Logger | None = None, own_process_group: bool = True,
                           **overrides: Any) -> Launched[TransformClient]:
    """A transform plugin with a ``TransformClient`` (UNIMPLEMENTED = absent)."""
    return await _launch(path, config, overrides, kind="transform", connect=_transform_client, logger=logger,
                         own_process_group=own_process_group)
