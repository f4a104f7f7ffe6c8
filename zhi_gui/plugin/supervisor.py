"""Keep a store plugin running for the GUI: notice its death at once, restart it
with backoff up to a limit, run the caller's "after start" hooks (re-login,
re-unlock where the user allowed it), and report every state change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from zhi_gui.core.errors import PluginUnavailable
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.launcher import LaunchConfig, PluginProcess, launch_store
from zhi_gui.plugin.plugin_states import PluginState

log = logging.getLogger("zhi_gui.plugin.supervisor")


@dataclass(frozen=True)
class RestartPolicy:
    backoff: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 5.0)
    max_restarts: int = 5  # within `window` seconds
    window: float = 120.0


StateListener = Callable[[PluginState, str], None]
StartHook = Callable[[StoreClient], Awaitable[None]]


class Supervisor:
    def __init__(self, path: str | os.PathLike[str], config: LaunchConfig | None = None,
                 policy: RestartPolicy | None = None) -> None:
        self.path = Path(path)
        self.config = config or LaunchConfig()
        self.policy = policy or RestartPolicy()
        self.state = PluginState.STOPPED
        self.detail = ""
        self.plugin: PluginProcess | None = None
        self.listeners: list[StateListener] = []
        self.start_hooks: list[StartHook] = []
        self.deaths: list[float] = []
        self._restart_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._started = asyncio.Event()

    # --- state -------------------------------------------------------------------------
    def _set(self, state: PluginState, detail: str = "") -> None:
        self.state, self.detail = state, detail
        log.info("plugin %s: %s %s", self.path.name, state.value, detail)
        for listener in list(self.listeners):
            try:
                listener(state, detail)
            except Exception:
                log.exception("state listener failed")

    @property
    def store(self) -> StoreClient:
        if self.plugin is None or self.state != PluginState.RUNNING:
            raise PluginUnavailable(f"the plugin is {self.state.value}" + (f": {self.detail}" if self.detail else ""))
        return self.plugin.store

    async def wait_running(self, timeout: float = 30) -> StoreClient:
        """The store once the plugin runs again (after a restart), or PluginUnavailable."""
        deadline = time.monotonic() + timeout
        while self.state in (PluginState.STARTING, PluginState.RESTARTING):
            self._started.clear()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
                await asyncio.wait_for(self._started.wait(), remaining)
        return self.store

    # --- lifecycle ------------------------------------------------------------------------
    async def start(self) -> StoreClient:
        """First start: a failure is raised to the caller (no retries)."""
        self._stopping = False
        self._set(PluginState.STARTING)
        try:
            await self._launch()
        except Exception as exc:
            self._set(PluginState.FAILED, str(exc))
            raise
        return self.store

    async def _launch(self) -> None:
        plugin = await launch_store(self.path, self.config)
        self.plugin = plugin

        def exited(code: int) -> None:
            self._on_exit(plugin, code)

        plugin.add_exit_listener(exited)
        try:
            for hook in list(self.start_hooks):
                await hook(plugin.store)
        except BaseException:
            # This start failed: nobody will use or close this process, so
            # stop its whole group now (each failed restart leaked one before).
            if self.plugin is plugin:
                self.plugin = None
            with contextlib.suppress(Exception):
                await asyncio.shield(plugin.close())
            raise
        self._set(PluginState.RUNNING, f"pid {plugin.pid}")
        self._started.set()

    def _on_exit(self, plugin: PluginProcess, code: int) -> None:
        if self._stopping or plugin is not self.plugin:
            return
        now = time.monotonic()
        self.deaths = [t for t in self.deaths if now - t < self.policy.window] + [now]
        reason = f"exited with status {code}" if code >= 0 else f"killed by signal {-code}"
        tail = plugin.stderr_tail(5)
        if len(self.deaths) > self.policy.max_restarts:
            self._set(PluginState.FAILED, f"the plugin {reason} and died {len(self.deaths)} times in "
                                          f"{self.policy.window:.0f} s; not restarting it again. {tail}".strip())
            return
        delay = self.policy.backoff[min(len(self.deaths) - 1, len(self.policy.backoff) - 1)]
        self._set(PluginState.RESTARTING, f"the plugin {reason}; restarting in {delay:g} s")
        self._restart_task = asyncio.get_running_loop().create_task(self._restart_after(delay, plugin))

    async def _restart_after(self, delay: float, dead: PluginProcess) -> None:
        await asyncio.sleep(delay)
        with contextlib.suppress(Exception):
            await dead.close()  # kills leftovers of the group, removes its socket
        if self._stopping:
            return
        self._set(PluginState.STARTING, "restarting")
        try:
            await self._launch()
        except Exception as exc:  # a start hook may raise anything; keep retrying within the limit
            now = time.monotonic()
            self.deaths.append(now)
            if len(self.deaths) > self.policy.max_restarts:
                self._set(PluginState.FAILED, f"cannot restart the plugin: {exc}")
                return
            delay = self.policy.backoff[min(len(self.deaths) - 1, len(self.policy.backoff) - 1)]
            self._set(PluginState.RESTARTING, f"restart failed ({exc}); retrying in {delay:g} s")
            self._restart_task = asyncio.get_running_loop().create_task(self._restart_after(delay, dead))

    async def restart(self) -> StoreClient:
        """A deliberate restart (logout, "Restart plugin"): not counted as a death."""
        await self.stop()
        return await self.start()

    async def stop(self) -> None:
        self._stopping = True
        if self._restart_task is not None:
            self._restart_task.cancel()
            self._restart_task = None
        plugin, self.plugin = self.plugin, None
        if plugin is not None:
            await plugin.close()
        self._set(PluginState.STOPPED)

    def with_config(self, **changes: object) -> None:
        """Change launch options for the next (re)start."""
        self.config = replace(self.config, **changes)  # type: ignore[arg-type]
