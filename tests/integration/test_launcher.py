"""The host side against real plugin processes: the shipped memory plugin,
fake plugins that misbehave in each way a launch can fail, and zhi-store-gopeer
(a real Go go-plugin plugin) when it is built."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, interop_binary, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry, Versioning
from zhi_gui.plugin.audit import AuditMode, sha256_file
from zhi_gui.plugin.launcher import launch_store

FAKES = ROOT / "tests" / "fixtures" / "fake_plugins"
MEMORY = plugin_path("memory")


def launch_error(arun, name: str, timeout: float = 30.0) -> E.LaunchError:
    """The launch's error. The handshake timeout is generous: each fake fails on
    what it prints or how it exits, which must not race a slow start on a busy machine."""

    async def go() -> E.LaunchError:
        with pytest.raises(E.LaunchError) as info:
            # The launch gives up by itself (arun's own bound is only a backstop).
            await launch_store(FAKES / name, handshake_timeout=timeout)
        return info.value

    return arun(go())


def test_memory_plugin_launch_crud_shutdown(arun) -> None:
    async def go() -> None:
        plugin = await launch_store(MEMORY)
        try:
            store = plugin.store
            caps = await store.capabilities()
            assert caps.versioning == Versioning.TREE
            port = Entry("app/port", b"8080", b'{"core.type":"port"}')
            await store.put_values("t", [Entry("app/name", b'"demo"'), port])
            got = {e.path: e for e in await store.get_values("t", ["app/name", "app/port", "app/missing"])}
            assert got["app/name"].value_json == b'"demo"' and got["app/port"].value_json == b"8080"
            assert got["app/port"].metadata_json == b'{"core.type":"port"}'
            await store.delete_values("t", ["app/name"])
            assert [e.path for e in await store.get_values("t", ["app/name", "app/port"])] == ["app/port"]
            assert await store.list_trees() == ["t"]
            assert await store.ping()
            assert plugin.handshake is not None and plugin.handshake.address.startswith(plugin._socket_dir)
        finally:
            await plugin.close()
        assert plugin.exited.result() == 0, "graceful shutdown (status 0), not the kill that follows after 2 s"
        assert not os.path.exists(plugin.handshake.address)
        assert any(line.message == "plugin serving" and line.is_json for line in plugin.logs)

    arun(go())


def test_typed_errors_from_a_real_plugin(arun) -> None:
    async def go() -> None:
        async with await launch_store(MEMORY) as plugin:
            store = plugin.store
            await store.put_values("t", [Entry("a", b"1")])
            head = (await store.list_tree_versions("t"))[0]
            with pytest.raises(E.CASConflict) as conflict:
                await store.put_values("t", [Entry("a", b"2")], cas_version="0")
            assert (conflict.value.expected, conflict.value.actual) == ("0", head)
            with pytest.raises(E.InvalidArgument, match="segment"):
                await store.put_values("t", [Entry("Bad/Path", b"1")])
            with pytest.raises(E.InvalidArgument, match="JSON"):
                await store.put_values("t", [Entry("a", b"{not json")])
            with pytest.raises(E.Unsupported):
                await store.list_value_versions("t", "a")
            with pytest.raises(E.EncryptionNotInitialised):
                await store.rotate_encryption(b"a", b"b")
            assert [e.value_json for e in await store.get_values("t", ["a"])] == [b"1"], "nothing written"

    arun(go())


@pytest.mark.parametrize(("fake", "words"), [
    ("garbage", "printed 'Starting my plugin v2.0 ...' instead of the go-plugin handshake"),
    ("wrong-core", "core protocol 2"),
    ("wrong-app", "zhi plugin protocol 7"),
    ("netrpc", "net/rpc"),
    ("netrpc-4", "net/rpc"),
    ("no-newline", "without a newline"),
])
def test_malformed_handshakes(arun, fake: str, words: str) -> None:
    assert words in str(launch_error(arun, fake))


def test_silent_plugin_times_out(arun) -> None:
    error = launch_error(arun, "silent", timeout=1.0)
    assert "no handshake within 1 s" in str(error)


def test_plugin_dying_before_handshake_shows_its_stderr_and_status(arun) -> None:
    error = launch_error(arun, "dies-early")
    assert error.exit_status == 3
    assert "permission denied" in str(error) and "exited before its handshake" in str(error)


def test_plugin_dying_after_handshake(arun) -> None:
    error = launch_error(arun, "dies-after-handshake")
    assert "panic: boom" in str(error)


def test_missing_cookie_prints_hint_and_exits_1() -> None:
    env = {k: v for k, v in os.environ.items() if k != "ZHI_PLUGIN"}
    result = subprocess.run([str(MEMORY)], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"This binary is a plugin" in result.stderr


def test_wrong_protocol_version_refused() -> None:
    env = dict(os.environ, ZHI_PLUGIN="zhiplugin-v1", PLUGIN_PROTOCOL_VERSIONS="5,6")
    result = subprocess.run([str(MEMORY)], env=env, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 1 and b"Incompatible API version" in result.stderr


def test_digest_mismatch_hard_fails_and_warn_mode_launches(arun, tmp_path: Path) -> None:
    (tmp_path / "zhi-store-memory.json").write_text(json.dumps({"binaryDigest": "sha256:" + "ab" * 32}))

    async def go() -> None:
        with pytest.raises(E.AuditError, match="changed since it was installed"):
            await launch_store(MEMORY, metadata_dir=tmp_path)
        async with await launch_store(MEMORY, metadata_dir=tmp_path, audit=AuditMode.WARN) as plugin:
            assert plugin.audit is not None and plugin.audit.matches is False
            assert plugin.audit.digest == sha256_file(MEMORY.resolve())

    arun(go())


def test_path_through_dotdot_refused(arun) -> None:
    async def go() -> None:
        with pytest.raises(E.AuditError, match=r"'\.\.'"):
            await launch_store(MEMORY.parent / ".." / "zhi-store-memory" / MEMORY.name)

    arun(go())


def test_crlf_seven_field_handshake_is_accepted(arun) -> None:
    async def go() -> None:
        async with await launch_store(FAKES / "crlf-memory") as plugin:
            assert (await plugin.store.capabilities()).versioning == Versioning.TREE

    arun(go())


def test_isolated_environment_passes_only_handshake_path_and_named_extras(arun, tmp_path: Path) -> None:
    dump = tmp_path / "env.txt"
    os.environ["ZHI_TEST_SECRET"] = "do-not-leak"
    os.environ["ZHI_TEST_ALLOWED"] = "fine"
    try:
        async def go() -> None:
            with pytest.raises(E.LaunchError):
                await launch_store(FAKES / "env-dump", isolated_env=True, env_passthrough=["ZHI_TEST_ALLOWED"],
                                   extra_env={"DUMP_TO": str(dump)}, options={"a": 1})

        arun(go())
    finally:
        del os.environ["ZHI_TEST_SECRET"], os.environ["ZHI_TEST_ALLOWED"]
    names = {line.split("=", 1)[0] for line in dump.read_text().splitlines() if "=" in line}
    assert "ZHI_TEST_SECRET" not in names and "HOME" not in names
    assert {"ZHI_PLUGIN", "PLUGIN_PROTOCOL_VERSIONS", "PATH", "ZHI_TEST_ALLOWED", "ZHI_PLUGIN_OPTIONS"} <= names
    assert "PLUGIN_CLIENT_CERT" not in names


def test_killed_plugin_is_reported_and_its_socket_removed(arun) -> None:
    async def go() -> None:
        plugin = await launch_store(MEMORY)
        exits: list[int] = []
        plugin.add_exit_listener(exits.append)
        socket = plugin.handshake.address
        plugin.kill_group(signal.SIGKILL)
        await asyncio.wait_for(asyncio.shield(plugin.exited), 30)
        assert exits == [-signal.SIGKILL]
        assert os.path.exists(socket), "a killed plugin leaves its socket"
        with pytest.raises(E.PluginUnavailable):
            await plugin.store.capabilities()
        await plugin.close()
        assert not os.path.exists(socket)

    arun(go())


def test_sigterm_stops_the_plugin_and_sigint_is_ignored(arun) -> None:
    async def go() -> None:
        plugin = await launch_store(MEMORY)
        # Ignored, not handled: the kernel drops it, so there is nothing to wait for.
        assert sigint_ignored(plugin.pid)
        os.kill(plugin.pid, signal.SIGINT)
        assert plugin.running and await plugin.store.ping()
        os.kill(plugin.pid, signal.SIGTERM)
        assert await asyncio.wait_for(asyncio.shield(plugin.exited), 30) == 0
        await plugin.close()

    arun(go())


def sigint_ignored(pid: int) -> bool:
    """SIGINT is in the process's ignored-signals mask (/proc/PID/status SigIgn)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("SigIgn:"):
            return bool(int(line.split()[1], 16) & (1 << (signal.SIGINT - 1)))
    raise AssertionError(f"no SigIgn line for {pid}")


HOST_SCRIPT = """
import asyncio, sys
from zhi_gui.plugin.launcher import launch_store
async def main():
    plugin = await launch_store(sys.argv[1])
    print(plugin.pid, flush=True)
    await asyncio.sleep(60)
asyncio.run(main())
"""


def test_plugin_exits_when_its_host_disappears() -> None:
    host = subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, str(MEMORY)], stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert host.stdout is not None
        pid = int(host.stdout.readline())
        os.kill(pid, 0)
        host.kill()
        host.wait()
        # polled: the plugin checks for its host every 0.5 s; the bound only ends a failure (a busy
        # machine may take many seconds to schedule the plugin)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
                if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
                    return  # exited, waiting to be reaped by init
            except (ProcessLookupError, FileNotFoundError):
                return  # gone (and reaped) between the two looks
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)
        pytest.fail("plugin kept running after its host died")
    finally:
        host.kill()


def test_tcp_listener(arun) -> None:
    async def go() -> None:
        async with await launch_store(MEMORY, extra_env={"ZHI_GUI_PLUGIN_TRANSPORT": "tcp"}) as plugin:
            assert plugin.handshake.network == "tcp"
            assert (await plugin.store.capabilities()).versioning == Versioning.TREE

    arun(go())


def test_stream_tree_and_paths_through_the_extension(arun) -> None:
    async def go() -> None:
        async with await launch_store(MEMORY) as plugin:
            store = plugin.store
            entries = [Entry(f"svc/s{i:05d}/port", str(i).encode()) for i in range(5000)]
            version = await store.write_values("big", entries, message="bulk load")
            seen = [e async for chunk in store.stream_tree("big", chunk_size=1000) for e in chunk.entries]
            assert len(seen) == 5000 and seen[0].version == version
            assert await store.list_paths("big", prefix="svc/s00001") == ["svc/s00001/port"]
            assert len(await store.list_paths("big", prefix="svc/")) == 5000
            page = await store.describe_versions("big")
            assert page.versions[0].message == "bulk load" and page.versions[0].changed_paths == 5000

    arun(go())


# --- a real Go plugin (go-plugin's own server) ---------------------------------


def test_go_peer_plugin_end_to_end(arun, tmp_path: Path) -> None:
    gopeer = interop_binary("zhi-store-gopeer")

    async def go() -> None:
        plugin = await launch_store(gopeer, extra_env={"PEER_STORE_FILE": str(tmp_path / "peer.json")})
        try:
            store = plugin.store
            assert (await store.capabilities()).versioning == Versioning.TREE
            assert await store.extension() is None, "a plain zhi plugin has no extension service"
            await store.put_values("t", [Entry("a/b", b'"x"'), Entry("n", b"5")])
            got = {e.path: e.value_json for e in await store.get_values("t", ["a/b", "n"])}
            assert got == {"a/b": b'"x"', "n": b"5"}
            head = (await store.list_tree_versions("t"))[0]
            with pytest.raises(E.CASConflict):
                await store.put_values("t", [Entry("n", b"6")], cas_version=head + "-stale")
            await store.delete_values("t", ["a/b"])
            assert [e.path for e in await store.get_values("t", ["a/b", "n"])] == ["n"]
            # Go plugins stop at 4 MiB per request: the client splits big writes.
            big = [Entry(f"blob/b{i}", json.dumps("x" * 700_000).encode()) for i in range(8)]
            await store.put_values("t", big)
            assert len(await store.get_values("t", [e.path for e in big])) == 8
            await store.delete_tree("t")
            await store.delete_tree("never-existed")  # NOT_FOUND from this peer counts as done
        finally:
            await plugin.close()
        assert not plugin.running

    arun(go())
