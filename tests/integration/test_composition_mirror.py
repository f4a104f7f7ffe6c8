"""plugins/zhi-store-mirror, the meta-plugin, as real processes: it serves the
memory store mirrored to the json store, its children live in its process
group, and however it stops (Shutdown, SIGTERM, SIGKILL, group kill, host
gone, primary gone) no child is left behind."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import INTEROP_BIN, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Capabilities, Entry
from zhi_gui.plugin.launcher import PluginProcess, launch_store

MIRROR = plugin_path("mirror")


def stat(pid: int) -> tuple[str, int, int] | None:
    """(state, ppid, pgrp) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def alive(pid: int) -> bool:
    info = stat(pid)
    return info is not None and info[0] != "Z"  # a zombie has exited


def children_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = stat(int(entry))
            if info is not None and info[1] == pid and info[0] != "Z":
                found.append(int(entry))
    return sorted(found)


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode()
    except FileNotFoundError:
        return ""


def processes_with_env(needle: str) -> list[int]:
    """Live processes whose environment mentions ``needle`` (a unique temp path)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                if needle.encode() in handle.read() and alive(int(entry)):
                    found.append(int(entry))
        except OSError:
            continue
    return found


async def wait_gone(pids: list[int], timeout: float = 10) -> None:
    """Poll until the processes have exited. The timeout only bounds a failure:
    a busy machine may take seconds to schedule an exit, a leak never ends."""
    deadline = time.monotonic() + timeout
    while any(alive(p) for p in pids):
        if time.monotonic() > deadline:
            left = {p: cmdline(p) for p in pids if alive(p)}
            raise AssertionError(f"orphaned children still running after {timeout} s: {left}")
        await asyncio.sleep(0.05)


async def wait_until(what: str, condition: Callable[[], bool], timeout: float = 10) -> None:
    """Poll ``condition`` (a log line arriving, processes going away) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.02)


async def start(mirror_dir: Path, **options: object) -> tuple[PluginProcess, dict[str, int]]:
    plugin = await launch_store(MIRROR, options={"mirror_dir": str(mirror_dir), **options})
    # the children are up before the handshake; /proc may lag a moment
    with contextlib.suppress(AssertionError):  # reported by the assert below, with what was found
        await wait_until("both children listed", lambda: len(children_of(plugin.pid)) == 2)
    kids = children_of(plugin.pid)
    roles = {("json" if "jsonfile" in cmdline(pid) else "memory"): pid for pid in kids}
    assert set(roles) == {"json", "memory"}, {pid: cmdline(pid) for pid in kids}
    return plugin, roles


def test_meta_plugin_serves_memory_mirrored_to_json(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "mirror")
        try:
            for pid in kids.values():
                info = stat(pid)
                assert info is not None and info[2] == plugin.pid, "children run in the meta-plugin's group"
            store = plugin.store
            assert await store.capabilities() == Capabilities(), "json: no versions, no encryption"
            await store.put_values("t", [Entry("app/name", b'"demo"', b'{"ui.readonly":true}'), Entry("n", b"1")])
            await store.delete_values("t", ["n"])
            on_disk = json.loads((short_tmp / "mirror" / "t.json").read_text())
            assert on_disk == {"app/name": {"value": "demo", "metadata": {"ui.readonly": True}}}
            assert [e.value_json for e in await store.get_values("t", ["app/name", "n"])] == [b'"demo"']
            description = await store.extension()
            assert description is not None and description.store_kind == "mirror"
            assert "zhi-store-json" in description.location and "DescribeVersions" not in description.features
            assert await store.list_paths("t") == ["app/name"]
            with pytest.raises(E.Unsupported, match="mirror zhi-store-json"):
                await store.list_tree_versions("t")
        finally:
            await plugin.close()
        # Graceful: exit status 0, not the SIGKILL the host sends after 2 s.
        assert plugin.exited.result() == 0
        await wait_gone(list(kids.values()))
        assert any("mirroring zhi-store-memory" in line.message for line in plugin.logs)

    arun(go())


def test_graceful_shutdown_rpc_stops_the_children(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            await plugin.store.shutdown_plugin()
            assert await asyncio.wait_for(asyncio.shield(plugin.exited), 30) == 0
            await wait_gone(list(kids.values()))
            stopped = [line.message for line in plugin.logs if line.message.endswith("plugin stopped")]
            assert len(stopped) == 3, "both children and the meta-plugin stopped in order"
        finally:
            await plugin.close()

    arun(go())


def test_sigterm_stops_the_children(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            os.kill(plugin.pid, signal.SIGTERM)
            assert await asyncio.wait_for(asyncio.shield(plugin.exited), 30) == 0
            await wait_gone(list(kids.values()))
        finally:
            await plugin.close()

    arun(go())


def test_sigkill_of_the_meta_plugin_leaves_no_orphans(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            os.kill(plugin.pid, signal.SIGKILL)  # the process only, not its group
            assert await asyncio.wait_for(asyncio.shield(plugin.exited), 30) == -signal.SIGKILL
            await wait_gone(list(kids.values()))  # the children notice their parent is gone (polled every 0.5 s)
        finally:
            plugin.kill_group()
            await plugin.close()

    arun(go())


def test_the_hosts_group_kill_reaches_the_children(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            plugin.kill_group(signal.SIGKILL)
            await wait_gone([plugin.pid, *kids.values()])
        finally:
            await plugin.close()

    arun(go())


def test_host_death_stops_meta_plugin_and_children(arun, short_tmp: Path) -> None:
    """A host process that dies without any cleanup: the meta-plugin notices and stops its children."""
    script = (
        "import asyncio, os, sys\n"
        "from zhi_gui.plugin.launcher import launch_store\n"
        "async def main():\n"
        f"    p = await launch_store({str(MIRROR)!r}, options={{'mirror_dir': {str(short_tmp / 'm')!r}}},\n"
        f"                           extra_env={{'ZHI_TEST_MARKER': {str(short_tmp)!r}}})\n"
        "    print(p.pid, flush=True)\n"
        "    os._exit(0)\n"  # no Shutdown, no kill: the host just disappears
        "asyncio.run(main())\n"
    )

    async def go() -> None:
        host = await asyncio.create_subprocess_exec(
            sys.executable, "-c", script, stdout=asyncio.subprocess.PIPE,
            stdin=asyncio.subprocess.DEVNULL)
        out, _ = await asyncio.wait_for(host.communicate(), 30)
        meta = int(out.split()[0])
        await wait_gone([meta])
        await wait_until("the meta-plugin's children stopped too",
                         lambda: processes_with_env(f"ZHI_TEST_MARKER={short_tmp}") == [])

    arun(go())


def test_a_killed_mirror_child_fails_the_write_on_every_member_and_is_logged(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            os.kill(kids["json"], signal.SIGKILL)
            await wait_gone([kids["json"]])
            with pytest.raises(E.StoreError, match=r"failed on mirror zhi-store-json.*no member changed"):
                await plugin.store.put_values("t", [Entry("a", b"1")])
            assert await plugin.store.get_values("t", ["a"]) == []
            assert not (short_tmp / "m" / "t.json").exists()
            # the log lines travel through the meta-plugin's stderr (and arrive in batches)
            await wait_until("the exit and the failure are logged", lambda: any(
                "the mirror zhi-store-json exited" in line.message for line in plugin.logs) and any(
                "mirror zhi-store-json: PutValues of tree 't' failed" in line.message for line in plugin.logs))
            failed = [line for line in plugin.logs
                      if "mirror zhi-store-json: PutValues of tree 't' failed" in line.message]
            assert failed and failed[0].level == "warn" and failed[0].fields.get("mirror") == "zhi-store-json"
            assert plugin.running and alive(kids["memory"])
        finally:
            await plugin.close()
        await wait_gone(list(kids.values()))

    arun(go())


def test_mirror_failing_at_runtime_undoes_the_primarys_write(arun, short_tmp: Path) -> None:
    async def go() -> None:
        target = short_tmp / "m"
        plugin, _ = await start(target)
        try:
            target.write_text("a file, not a directory")
            with pytest.raises(E.StoreError, match="no member changed"):
                await plugin.store.put_values("t", [Entry("a", b"1")])
            assert await plugin.store.get_values("t", ["a"]) == []
            await wait_until("the failure is logged", lambda: any(
                "mirror zhi-store-json: PutValues of tree 't' failed" in line.message and str(target) in line.message
                for line in plugin.logs))
        finally:
            await plugin.close()

    arun(go())


def test_a_killed_primary_stops_the_meta_plugin(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, kids = await start(short_tmp / "m")
        try:
            os.kill(kids["memory"], signal.SIGKILL)
            assert await asyncio.wait_for(asyncio.shield(plugin.exited), 30) == 0
            await wait_gone(list(kids.values()))
            assert any("the primary zhi-store-memory exited" in line.message for line in plugin.logs)
        finally:
            await plugin.close()

    arun(go())


def test_options_pass_through_to_the_children(arun, short_tmp: Path) -> None:
    async def go() -> None:
        plugin, _ = await start(short_tmp / "m", primary_options={"auth": {"username": "u", "password": "p"}})
        try:
            assert (await plugin.store.capabilities()).auth is True
            with pytest.raises(E.AuthRequired):
                await plugin.store.put_values("t", [Entry("a", b"1")])
            await plugin.store.login("userpass", {"username": "u", "password": "p"})
            await plugin.store.put_values("t", [Entry("a", b"1")])
            assert (short_tmp / "m" / "t.json").exists()
        finally:
            await plugin.close()

    arun(go())


@pytest.mark.parametrize(("options", "words"), [
    ({"mirror_dir": "FILE"}, ["cannot start the mirror", "exists but is not a directory"]),
    ({"audit": "sometimes"}, ["option 'audit' must be 'hard-fail' or 'warn'"]),
    ({"primary_options": "versioning=tree"}, ["option 'primary_options' must be a JSON object"]),
    ({"mirror_plugin": "/nonexistent/zhi-store-json"}, ["is not an executable file"]),
    ({"primary_options": {"versioning": "sometimes"}}, ["cannot start the primary", "versioning must be one of"]),
])
def test_start_failures_are_clear_and_leave_nothing_running(arun, short_tmp: Path, options: dict,
                                                            words: list[str]) -> None:
    marker = short_tmp / "marker"
    marker.write_text("x")
    if options.get("mirror_dir") == "FILE":
        options = {**options, "mirror_dir": str(marker)}

    async def go() -> None:
        with pytest.raises(E.LaunchError) as info:
            await launch_store(MIRROR, options={"mirror_dir": str(marker), **options}, extra_env={
                "ZHI_TEST_MARKER": str(marker)})
        # The plugin's own reason, as soon as it exits: not the host giving up on a handshake.
        assert "printed no handshake" not in str(info.value)
        for word in words:
            assert word in str(info.value)
        await wait_until("no child outlives the failed start",
                         lambda: processes_with_env(f"ZHI_TEST_MARKER={marker}") == [])

    arun(go())


def test_zhi_host_probe_passes_the_meta_plugin(short_tmp: Path) -> None:
    probe = INTEROP_BIN / "zhi-host-probe"
    if not probe.is_file():
        pytest.skip(f"zhi-host-probe not built: run ../shared/interop/build.sh (looked in {probe})")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    result = subprocess.run([str(probe), str(MIRROR)], cwd=short_tmp, env=env, capture_output=True, text=True,
                            timeout=120, stdin=subprocess.DEVNULL)
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0 and summary.endswith(" 0 failed"), result.stdout + result.stderr[-3000:]
    for check in ("versioning-rpcs-rejected", "graceful-kill", "stderr-log", "delete-tree"):
        assert f"PASS {check}" in result.stdout
    # the probe used the default mirror directory under its working directory, and deleted its tree there
    assert (short_tmp / ".zhi" / "store").is_dir() and not list((short_tmp / ".zhi" / "store").iterdir())


def test_isolated_environment_still_finds_the_children(arun, short_tmp: Path) -> None:
    async def go() -> None:
        async with await launch_store(MIRROR, options={"mirror_dir": str(short_tmp / "m")}, isolated_env=True) as p:
            await p.store.put_values("t", [Entry("a", b"1")])
            assert (short_tmp / "m" / "t.json").exists()

    arun(go())


def test_supervisor_restarts_a_dead_meta_plugin_without_leftovers(arun, short_tmp: Path) -> None:
    from zhi_gui.plugin.launcher import LaunchConfig
    from zhi_gui.plugin.supervisor import PluginState, RestartPolicy, Supervisor

    async def go() -> None:
        sup = Supervisor(MIRROR, LaunchConfig(options={"mirror_dir": str(short_tmp / "m")}),
                         RestartPolicy(backoff=(0.05,), max_restarts=2, window=60))
        await sup.start()
        try:
            await sup.store.put_values("t", [Entry("a", b"1")])
            first = sup.plugin
            assert first is not None
            old_kids = children_of(first.pid)
            os.kill(first.pid, signal.SIGKILL)
            # the death is noticed by the exit watcher, then the restart begins
            await wait_until("the restart begins", lambda: sup.plugin is not first)
            store = await sup.wait_running()
            assert sup.state == PluginState.RUNNING and sup.plugin is not first
            await wait_gone(old_kids)
            # memory is empty after the restart; the json mirror kept the data on disk
            assert await store.get_values("t", ["a"]) == []
            assert json.loads((short_tmp / "m" / "t.json").read_text()) == {"a": {"value": 1}}
            await store.put_values("t", [Entry("b", b"2")])
            assert json.loads((short_tmp / "m" / "t.json").read_text()) == {"a": {"value": 1}, "b": {"value": 2}}
        finally:
            plugin = sup.plugin
            await sup.stop()
        assert plugin is not None
        await wait_gone([plugin.pid, *children_of(plugin.pid)])

    arun(go())


def test_big_write_is_one_write_and_capabilities_match_behaviour(arun, short_tmp: Path) -> None:
    """5,000 values (about 5 MiB, over a Go plugin's 4 MiB) reach both children as one
    write; VERSIONING_NONE comes with no versions read back and CAS refused, nothing written."""
    filler = "x" * 1000
    entries = [Entry(f"big/v{i:04d}", json.dumps(f"{i}-{filler}").encode()) for i in range(5000)]
    assert sum(len(e.value_json) for e in entries) > 5 * 1000 * 1000

    async def go() -> None:
        plugin, _ = await start(short_tmp / "m")
        try:
            store = plugin.store
            assert await store.split_count(entries) == 1, "our plugins take a big write in one call"
            assert (await store.capabilities()).versioning.name == "NONE"
            await store.put_values("t", [Entry("big/v0000", b'"old"')])
            with pytest.raises(E.Unsupported, match="no CAS"):
                await store.put_values("t", entries, cas_versions={"big/v0000": "1"})
            assert [e.value_json for e in await store.get_values("t", [])] == [b'"old"']
            assert {e.version for e in await store.get_values("t", [])} == {""}
            await store.put_values("t", entries)
            assert len(await store.get_values("t", [])) == 5000
            on_disk = json.loads((short_tmp / "m" / "t.json").read_text())
            assert len(on_disk) == 5000 and on_disk["big/v4999"]["value"] == f"4999-{filler}"
        finally:
            await plugin.close()

    arun(go(), timeout=120)
