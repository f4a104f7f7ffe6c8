"""Supervision with real plugin processes: death noticed, restart with backoff,
hooks re-run, a restart limit with a clear report."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.supervisor import PluginState, RestartPolicy, Supervisor

FAST = RestartPolicy(backoff=(0.05, 0.1), max_restarts=2, window=60)


async def wait_until(condition: Callable[[], bool], timeout: float = 15) -> None:
    async def loop() -> None:
        while not condition():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def wait_for_state(sup: Supervisor, state: PluginState, timeout: float = 15) -> None:
    await wait_until(lambda: sup.state == state, timeout)


def test_restart_after_a_crash_runs_hooks_and_serves_again(arun) -> None:
    async def go() -> None:
        sup = Supervisor(plugin_path("memory"), policy=FAST)
        states: list[PluginState] = []
        sup.listeners.append(lambda s, d: states.append(s))
        hook_calls: list[int] = []

        async def hook(store) -> None:
            hook_calls.append(1)
            await store.put_values("t", [Entry("restarted", b"true")])

        sup.start_hooks.append(hook)
        await sup.start()
        first_pid = sup.plugin.pid
        sup.plugin.kill_group(signal.SIGKILL)
        await wait_for_state(sup, PluginState.RESTARTING)
        with pytest.raises(E.PluginUnavailable, match="restarting"):
            _ = sup.store
        store = await sup.wait_running()
        assert sup.plugin.pid != first_pid and len(hook_calls) == 2
        assert [e.path for e in await store.get_values("t", ["restarted"])] == ["restarted"]
        await sup.stop()
        assert states[:3] == [PluginState.STARTING, PluginState.RUNNING, PluginState.RESTARTING]
        assert states[-1] == PluginState.STOPPED

    arun(go())


def test_gives_up_after_the_restart_limit_with_a_report(arun) -> None:
    async def go() -> None:
        sup = Supervisor(plugin_path("memory"), policy=FAST)
        await sup.start()
        for _ in range(3):
            await sup.wait_running()
            sup.plugin.kill_group(signal.SIGKILL)
            # the death noticed: restarting again, or (the third time) giving up
            await wait_until(lambda: sup.state in (PluginState.RESTARTING, PluginState.FAILED))
        await wait_for_state(sup, PluginState.FAILED)
        assert "died 3 times" in sup.detail and "not restarting" in sup.detail
        await sup.stop()

    arun(go())


def test_a_plugin_that_cannot_start_fails_at_once(arun, tmp_path) -> None:
    async def go() -> None:
        sup = Supervisor(tmp_path / "zhi-store-missing")
        with pytest.raises(E.AuditError):
            await sup.start()
        assert sup.state == PluginState.FAILED and "not a file" in sup.detail

    arun(go())


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def _until_gone(pids: list[int], timeout: float = 10) -> list[int]:
    async def loop() -> None:
        while any(_alive(p) for p in pids):
            await asyncio.sleep(0.02)

    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(loop(), timeout)
    return [p for p in pids if _alive(p)]


def test_a_raising_start_hook_leaves_no_plugin_process(arun) -> None:
    async def go() -> None:
        sup = Supervisor(plugin_path("memory"), policy=FAST)
        started: list[int] = []
        fail = {"now": True}

        async def hook(store) -> None:
            assert sup.plugin is not None
            started.append(sup.plugin.pid)
            if fail["now"]:
                raise RuntimeError("re-login refused")

        sup.start_hooks.append(hook)
        # First start: the hook raises, the caller gets the error, no process stays.
        with pytest.raises(RuntimeError):
            await sup.start()
        assert sup.state == PluginState.FAILED and sup.plugin is None
        assert await _until_gone(started) == []
        # Restarts: the plugin dies, every restart's hook raises until the supervisor gives up.
        fail["now"] = False
        await sup.start()
        fail["now"] = True
        sup.plugin.kill_group(signal.SIGKILL)
        await wait_for_state(sup, PluginState.FAILED)
        assert len(started) >= 3  # the first, the good start, and at least one failed restart
        assert await _until_gone(started) == []
        await sup.stop()
        assert await _until_gone(started) == []

    arun(go())
