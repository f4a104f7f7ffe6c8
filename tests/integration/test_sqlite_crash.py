"""Crash injection: kill -9 the zhi-store-sqlite plugin (its whole process
group) at random moments while it writes, relaunch it, and check that every
acknowledged version is intact and that no version is half there.

How many kills, and why that is enough for every run: 25 kills during writes
(one full epoch, so the tree is also deleted and started afresh once) and 3
during a passphrase rotation, one in each third of the time a rotation takes
plus a margin (roughly: in the key derivation, in the re-encryption, around
the commit; where each lands depends on the machine, and the test holds for
any of them). The writer never
idles, so nearly every kill interrupts a write, a quarter of them 400-value
transactions; and the checks after each relaunch look at *every* acknowledged
version, so one lost or half version anywhere fails the run. A commit-order
bug (a version row committed apart from its values) leaves a window in each
write; if that window is a tenth of a write, 25 kills hit it with probability
1 - 0.9**25 = 93% per run, and CI runs this on every change. The default is
sized so the whole ./test.sh stays under 4 minutes on two busy cores.

For a longer soak, ``ZHI_CRASH_ITERATIONS`` sets the number of kills during
writes (rotation kills: a tenth of it, at least 3), e.g.
``ZHI_CRASH_ITERATIONS=1000 .venv/bin/pytest tests/integration/test_sqlite_crash.py``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import PluginProcess, launch_store
from zhi_gui.plugin.store_api import Store

SQLITE_PLUGIN = plugin_path("sqlite")
ITERATIONS = int(os.environ.get("ZHI_CRASH_ITERATIONS", "25"))  # why 25: the module's docstring
TREE = "crash"
EPOCH = 25  # iterations per tree: the tree is deleted and started again after this many kills
Run = Callable[..., Any]


def size_of(w: int) -> int:
    """Write number w puts this many values (some big transactions, most small)."""
    return 400 if w % 4 == 0 else 8


def group_paths(w: int) -> list[str]:
    return [f"w{w:05d}/k{i:03d}" for i in range(size_of(w))]


def write_entries(w: int) -> list[Entry]:
    value = str(w).encode()
    return [Entry(p, value) for p in group_paths(w)] + [Entry("counter", value)]


class Ledger:
    """What the test knows: writes acknowledged by the plugin, and the write
    that was in flight when the plugin was killed (it may or may not have
    committed)."""

    def __init__(self) -> None:
        self.acked: dict[int, str] = {}  # write number -> version id
        self.maybe: set[int] = set()
        self.next_w = 1


async def check_store(store: Store, ledger: Ledger, rng: random.Random) -> str:
    """Verify the relaunched store; returns the head version."""
    page = await store.describe_versions(TREE)
    present = {int(v.message[1:]): v.id for v in page.versions}
    assert len(present) == len(page.versions) == page.total
    # every acknowledged version is there, under the id the plugin acknowledged
    for w, vid in ledger.acked.items():
        assert present.get(w) == vid, f"acknowledged write {w} (version {vid}) lost"
    extra = set(present) - set(ledger.acked)
    assert extra <= ledger.maybe, f"versions nobody wrote: {sorted(extra - ledger.maybe)}"
    for w in extra:  # committed just before the kill: adopt it
        ledger.acked[w] = present[w]
    ledger.maybe.clear()
    # no partial version: each write's group of paths is complete or absent
    groups: dict[int, int] = {}
    for path in await store.list_paths(TREE, ""):
        if path != "counter":
            w = int(path[1:6])
            groups[w] = groups.get(w, 0) + 1
    assert groups == {w: size_of(w) for w in present}, "a version is only partly there"
    head = page.versions[0].id if page.versions else ""
    if not present:
        return head
    (counter,) = await store.get_values(TREE, ["counter"])
    assert counter.value_json == str(max(present)).encode() and counter.version == head
    # a few versions read exactly as they were written (values and entry versions)
    for w in rng.sample(sorted(present), min(3, len(present))):
        entries = await store.get_tree_version(TREE, present[w], [*group_paths(w), "counter"])
        assert {x.path: (x.value_json, x.version) for x in entries} == {
            p: (str(w).encode(), present[w]) for p in [*group_paths(w), "counter"]}
    return head


async def writer(store: Store, ledger: Ledger, head: str) -> None:
    while True:
        w = ledger.next_w
        ledger.next_w += 1
        ledger.maybe.add(w)
        head = await store.write_values(TREE, write_entries(w), cas_version=head, message=f"w{w}")
        ledger.maybe.discard(w)
        ledger.acked[w] = head


async def kill_during_writes(plugin: PluginProcess, ledger: Ledger, head: str, delay: float) -> None:
    task = asyncio.create_task(writer(plugin.store, ledger, head))
    await asyncio.sleep(delay)
    plugin.kill_group(signal.SIGKILL)
    with contextlib.suppress(E.ZhiError, asyncio.CancelledError):
        await asyncio.wait_for(task, 10)
    assert task.done()
    await plugin.close()


@pytest.mark.timeout(max(180, ITERATIONS * 3))
def test_kill_9_during_writes_loses_no_acknowledged_version(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "crash.db"
    rng = random.Random(int(os.environ.get("ZHI_CRASH_SEED", "20261122")))
    ledger = Ledger()
    total_acked: list[int] = []

    async def go() -> None:
        for iteration in range(ITERATIONS):
            plugin = await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True})
            try:
                head = await check_store(plugin.store, ledger, rng)
                if iteration % EPOCH == EPOCH - 1:  # keep long runs' checks bounded: start the tree afresh
                    total_acked.append(len(ledger.acked))
                    await plugin.store.delete_tree(TREE)
                    assert await plugin.store.list_tree_versions(TREE) == []
                    ledger.acked.clear()
                    head = ""
            except BaseException:
                await plugin.close()
                raise
            await kill_during_writes(plugin, ledger, head, rng.uniform(0.0, 0.35))
        plugin = await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True})
        async with plugin:
            await check_store(plugin.store, ledger, rng)

    arun(go(), timeout=max(170, ITERATIONS * 3))
    total_acked.append(len(ledger.acked))
    assert sum(total_acked) > ITERATIONS  # the kills really hit a store under writes


ROTATE_ITERATIONS = max(3, ITERATIONS // 10)


@pytest.mark.timeout(max(180, ROTATE_ITERATIONS * 20))
def test_kill_9_during_rotation_keeps_one_passphrase_working(arun: Run, short_tmp: Path) -> None:
    """RotateEncryption commits atomically: after a kill either the old or the
    new passphrase opens the store, never neither, and the data is intact."""
    db = short_tmp / "rotate.db"
    rng = random.Random(99)
    outcomes: list[str] = []
    expected = [Entry(f"v/k{i:05d}", f'"secret-{i}"'.encode()) for i in range(20_000)]

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            await plugin.store.write_values(TREE, expected)
            await plugin.store.init_encryption(b"pass-x")
        # Timed as the kills below find it: a fresh plugin process, just unlocked.
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            await plugin.store.unlock(b"pass-x")
            started = time.perf_counter()
            await plugin.store.rotate_encryption(b"pass-x", b"pass-0")
            duration = time.perf_counter() - started  # kills land before, during and after this
        current = 0
        for i in range(1, ROTATE_ITERATIONS + 1):
            plugin = await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True})
            async with plugin:
                await plugin.store.unlock(f"pass-{current}".encode())
                call = asyncio.create_task(plugin.store.rotate_encryption(f"pass-{current}".encode(),
                                                                          f"pass-{i}".encode()))
                # Stratified: kill i lands somewhere in the i-th slice of [0, 1.5 x duration],
                # so even 3 kills fall before, during and after the rotation's commit.
                await asyncio.sleep(1.5 * duration * (i - 1 + rng.random()) / ROTATE_ITERATIONS)
                plugin.kill_group(signal.SIGKILL)
                with contextlib.suppress(E.ZhiError, asyncio.CancelledError):
                    await asyncio.wait_for(call, 10)
                acknowledged = call.done() and not call.cancelled() and call.exception() is None
            async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
                opened = []
                for candidate in (current, i):
                    try:
                        await plugin.store.unlock(f"pass-{candidate}".encode())
                        opened.append(candidate)
                    except E.WrongPassphrase:
                        pass
                assert len(opened) == 1, f"passphrases that open the store: {opened}"
                if acknowledged:
                    assert opened == [i]
                outcomes.append("new" if opened == [i] else "old")
                current = opened[0]
                got = await plugin.store.get_values(TREE, [])
                assert got == [Entry(x.path, x.value_json, x.metadata_json, got[0].version) for x in expected]

    arun(go(), timeout=max(170, ROTATE_ITERATIONS * 20))
    print(f"rotation kills: {len(outcomes)}, store opened by the new passphrase {outcomes.count('new')} times, "
          f"by the old {outcomes.count('old')} times")

