"""Live updates: two sessions on one real etcd see each other's saves without a
poll (the plugin's WatchTree pushes them), their own saves are not reported, and
a restarted watch misses nothing."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from tests.conftest import plugin_path
from tests.etcd_server import EtcdServer
from zhi_gui.session import ChangesElsewhere, StoreSession, StoreTarget


def etcd_target(etcd: EtcdServer, root: str) -> StoreTarget:
    return StoreTarget(plugin_path("etcd"), {"endpoints": [etcd.endpoint], "root": root}, "app")


async def wait_for(what: str, condition: Any, timeout: float = 20) -> None:
    """Poll a condition; the bound only ends a failure (a busy machine may be slow)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


def test_saves_of_another_session_arrive_without_a_poll(arun: Any, etcd: EtcdServer) -> None:
    root = f"/live-{uuid.uuid4().hex[:8]}/"

    async def go() -> None:
        a, b = StoreSession(), StoreSession()
        await a.open(etcd_target(etcd, root))
        a.stage_set("db/port", b"5432", b"")
        assert (await a.save("first")).saved
        await b.open(etcd_target(etcd, root))
        try:
            seen_a: list[ChangesElsewhere] = []
            seen_b: list[ChangesElsewhere] = []
            a.changed_elsewhere.connect(seen_a.append)
            b.changed_elsewhere.connect(seen_b.append)
            assert a.live and b.live
            b.stage_set("db/port", b"6543", b"")
            b.stage_set("db/host", b'"db.internal"', b"")
            assert (await b.save("from b")).saved
            await wait_for("a hears of b's save", lambda: seen_a)
            assert set(seen_a[0].changed) == {"db/port", "db/host"}
            assert not seen_b, "a session's own save is not a change made elsewhere"
            await a.load_tree("app")  # the reload the window does on a live update
            assert a.index.entries["db/host"].value_json == b'"db.internal"'
            a.stage_set("db/port", b"1", b"")
            b.stage_set("db/port", b"2", b"")
            assert (await b.save("b again")).saved
            await wait_for("the conflict with a's staged edit is known at once",
                           lambda: len(seen_a) > 1 and seen_a[-1].conflicting == ("db/port",))
        finally:
            await a.close()
            await b.close()
        assert not a.live and not b.live

    arun(go(), timeout=120)


def test_a_restarted_plugin_is_followed_again(arun: Any, etcd: EtcdServer, tmp_path: Path) -> None:
    import os
    import signal

    root = f"/live-{uuid.uuid4().hex[:8]}/"

    async def go() -> None:
        a, b = StoreSession(), StoreSession()
        await a.open(etcd_target(etcd, root))
        a.stage_set("k", b"1", b"")
        assert (await a.save("first")).saved
        await b.open(etcd_target(etcd, root))
        try:
            seen: list[ChangesElsewhere] = []
            a.changed_elsewhere.connect(seen.append)
            assert a.supervisor is not None and a.supervisor.plugin is not None
            os.kill(a.supervisor.plugin.pid, signal.SIGKILL)
            await wait_for("a's plugin runs again", lambda: a.supervisor is not None and a.supervisor.deaths
                           and a.plugin_state.value == "running")
            b.stage_set("k", b"2", b"")
            assert (await b.save("while a reconnected")).saved
            await wait_for("a still hears of b's save", lambda: seen)
            assert seen[0].changed == ("k",)
        finally:
            await a.close()
            await b.close()

    arun(go(), timeout=120)
