"""plugins/zhi-store-etcd as a real plugin process against a real etcd (one
member started by the test): round trips, CAS from a second client, history,
compaction, rollback, etcd logins, restart, and zhi's Go host (zhi-host-probe)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import interop_binary, plugin_path
from tests.etcd_server import EtcdServer, compact, enable_auth, make_tls_files, start_cluster
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry, Versioning
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.stores.etcd.store import EtcdStore

ETCD_PLUGIN = plugin_path("etcd")
Run = Callable[..., Any]


@pytest.fixture
def opts(etcd: EtcdServer) -> dict[str, Any]:
    """A fresh root prefix per test: tests share the module's etcd, not data."""
    return {"endpoints": [etcd.endpoint], "root": f"/t-{uuid.uuid4().hex[:8]}/", "author": "tester@host"}


def test_round_trip_versions_and_rollback(arun: Run, opts: dict[str, Any]) -> None:
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=opts) as plugin:
            store = plugin.store
            caps = await store.capabilities()
            assert (caps.versioning, caps.encryption, caps.auth) == (Versioning.TREE, Encryption.SUPPORTED, False)
            assert await store.list_trees() == []
            await store.put_values("app", [Entry("db/port", b"5432", b'{"core.type":"port"}'),
                                           Entry("db/big", b"12345678901234567890")])
            v1 = (await store.list_tree_versions("app"))[0]
            got = {e.path: e for e in await store.get_values("app", [])}
            assert got["db/port"].value_json == b"5432" and got["db/port"].metadata_json == b'{"core.type":"port"}'
            assert got["db/big"].value_json == b"12345678901234567890"  # bytes kept verbatim
            assert got["db/port"].version == v1
            v2 = await store.write_values("app", [Entry("db/port", b"6543")], ["db/big"], message="move port")
            assert await store.list_tree_versions("app") == [v2, v1]
            assert [e.path for e in await store.get_values("app", ["db/big", "db/port", "nope/x"])] == ["db/port"]
            # a delete of a missing path makes no version
            assert await store.write_values("app", [], ["nope/x"]) == v2
            # one path twice in one save: the last put wins, a delete wins over a put
            v = await store.write_values("dup", [Entry("d/x", b"1"), Entry("d/x", b"2"), Entry("d/y", b"3")], ["d/y"])
            assert [(e.path, e.value_json) for e in await store.get_values("dup", [])] == [("d/x", b"2")]
            assert await store.list_tree_versions("dup") == [v]
            await store.delete_tree("dup")
            old = {e.path: e.value_json for e in await store.get_tree_version("app", v1, [])}
            assert old == {"db/port": b"5432", "db/big": b"12345678901234567890"}
            page = await store.describe_versions("app")
            assert page.total == 2 and page.versions[0].message == "move port"
            assert page.versions[0].author == "tester@host" and page.versions[0].time.endswith("Z")
            assert (page.versions[0].changed_paths, page.versions[1].kind) == (2, "write")
            await store.rollback_tree("app", v1)
            versions = await store.list_tree_versions("app")
            assert len(versions) == 3 and versions[1:] == [v2, v1]
            assert {e.path: e.value_json for e in await store.get_values("app", [])} == old
            assert (await store.describe_versions("app", versions=[versions[0]])).versions[0].kind == "rollback"
            # the extension
            assert (await store.describe()).store_kind == "etcd"
            assert await store.list_paths("app", "db/") == ["db/big", "db/port"]
            assert await store.list_paths("app", "db/", version=v2) == ["db/port"]
            chunks = [c async for c in store.stream_tree("app", chunk_size=1)]
            assert [len(c.entries) for c in chunks] == [1, 1] and {c.version for c in chunks} == {versions[0]}
            assert await store.list_trees() == ["app"]
            await store.delete_tree("app")
            assert await store.list_trees() == [] and await store.get_values("app", []) == []
            assert await store.list_tree_versions("app") == []
            # bad input: a clear error, nothing written
            with pytest.raises(E.InvalidArgument):
                await store.put_values("app", [Entry("Bad/Path", b"1")])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("app", [Entry("a/b", b"{nope")])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("../x", [Entry("a/b", b"1")])
            with pytest.raises(E.NotFound):
                await store.get_tree_version("app", "no-such-version", [])
            with pytest.raises(E.Unsupported):
                await store.delete_tree_version("app", v1)
            assert await store.list_trees() == []

    arun(go())


def test_cas_conflict_from_a_second_client(arun: Run, opts: dict[str, Any]) -> None:
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=opts) as one, \
                await launch_store(ETCD_PLUGIN, options=opts) as two:
            head = await one.store.write_values("t", [Entry("a/x", b"1"), Entry("a/y", b"2")])
            (x,) = await one.store.get_values("t", ["a/x"])
            # the second user saves first
            await two.store.put_values("t", [Entry("a/x", b"20")], cas_version=head)
            with pytest.raises(E.CASConflict) as tree_info:
                await one.store.put_values("t", [Entry("a/y", b"3")], cas_version=head)
            assert tree_info.value.path == "" and tree_info.value.expected == head
            with pytest.raises(E.CASConflict) as path_info:
                await one.store.put_values("t", [Entry("a/x", b"10", b"", x.version)])
            assert path_info.value.path == "a/x" and path_info.value.actual != x.version
            # refused as a whole: nothing of either write landed
            assert {e.path: e.value_json for e in await one.store.get_values("t", [])} == {"a/x": b"20", "a/y": b"2"}
            # a per-path CAS on another path still passes
            (y,) = await one.store.get_values("t", ["a/y"])
            await one.store.put_values("t", [Entry("a/y", b"4", b"", y.version)])
            with pytest.raises(E.CASConflict):  # "" = must not exist yet
                await one.store.put_values("t", [Entry("a/z", b"1")], cas_versions={"a/y": ""})

    arun(go())


def test_compacted_versions_say_so_and_restart_keeps_data(arun: Run, opts: dict[str, Any], etcd: EtcdServer) -> None:
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=opts) as plugin:
            v1 = await plugin.store.write_values("t", [Entry("a/x", b"1")])
            v2 = await plugin.store.write_values("t", [Entry("a/x", b"2")])
            v3 = await plugin.store.write_values("t", [Entry("a/x", b"3")])
            assert await plugin.store.list_tree_versions("t") == [v3, v2, v1]  # the plugin keeps this list
            await compact(etcd.endpoint, int(v2))
            assert await plugin.store.list_tree_versions("t") == [v3, v2], "what was compacted away is not listed"
            v4 = await plugin.store.write_values("t", [Entry("a/x", b"4")])
            assert await plugin.store.list_tree_versions("t") == [v4, v3, v2]
            with pytest.raises(E.NotFound) as info:
                await plugin.store.get_tree_version("t", v1, [])
            assert "compacted away" in info.value.message
            assert [e.value_json for e in await plugin.store.get_tree_version("t", v2, [])] == [b"2"]
        async with await launch_store(ETCD_PLUGIN, options=opts) as plugin:  # a new plugin process
            assert [e.value_json for e in await plugin.store.get_values("t", [])] == [b"4"]
            assert (await plugin.store.list_tree_versions("t"))[0] == v4

    arun(go())


def test_versions_listed_once_still_show_later_saves_of_others(arun: Run, opts: dict[str, Any],
                                                               etcd: EtcdServer) -> None:
    """The plugin reads a tree's history once and then only what came after: saves by another
    client, a deleted and recreated tree, are all seen."""
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=opts) as one, \
                await launch_store(ETCD_PLUGIN, options=opts) as two:
            v1 = await one.store.write_values("h", [Entry("a", b"1")])
            assert await one.store.list_tree_versions("h") == [v1]
            v2 = await two.store.write_values("h", [Entry("a", b"2")])
            v3 = await two.store.write_values("h", [Entry("b", b"3")])
            assert await one.store.list_tree_versions("h") == [v3, v2, v1]
            page = await one.store.describe_versions("h", 0, 2)
            assert [v.id for v in page.versions] == [v3, v2] and page.total == 3
            await two.store.delete_tree("h")
            v4 = await two.store.write_values("h", [Entry("c", b"4")])
            assert await one.store.list_tree_versions("h") == [v4], "a new tree of the same name starts anew"

    arun(go())


def test_watch_tree_sees_another_clients_saves(arun: Run, opts: dict[str, Any], etcd: EtcdServer) -> None:
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=opts) as one, \
                await launch_store(ETCD_PLUGIN, options=opts) as two:
            assert "WatchTree" in (await one.store.describe()).features
            v1 = await one.store.write_values("t", [Entry("a/x", b"1")])
            changes = one.store.watch_tree("t", after_version=v1)
            v2 = await two.store.write_values("t", [Entry("a/x", b"2"), Entry("b/y", b"3")], ["a/none"])
            await two.store.write_values("other", [Entry("a/x", b"9")])  # another tree: not reported
            v3 = await two.store.write_values("t", [], ["b/y"])
            first = await asyncio.wait_for(anext(changes), 10)
            assert (first.version, first.changed_paths) == (v2, ("a/x", "b/y"))
            second = await asyncio.wait_for(anext(changes), 10)
            assert (second.version, second.changed_paths) == (v3, ("b/y",))
            await changes.aclose()
            # a watch from a compacted version says so
            await compact(etcd.endpoint, int(v3))
            with pytest.raises(E.NotFound) as info:
                await anext(one.store.watch_tree("t", after_version=v1))
            assert "compacted away" in info.value.message

    arun(go())


def test_etcd_login_refused_and_accepted(arun: Run, tmp_path: Path) -> None:
    server = EtcdServer(tmp_path / "data")
    server.start()
    try:
        arun(enable_auth(server.endpoint, "s3cret"))
        options = {"endpoints": [f"http://{server.endpoint}"], "user": "root"}

        async def go() -> None:
            async with await launch_store(ETCD_PLUGIN, options=options) as plugin:
                store = plugin.store
                assert (await store.capabilities()).auth
                assert [m.type for m in await store.auth_methods()] == ["userpass"]
                with pytest.raises(E.AuthRequired):
                    await store.list_trees()
                with pytest.raises(E.AuthRequired) as info:
                    await store.login("userpass", {"username": "root", "password": "wrong"})
                assert "invalid user name or password" in info.value.message
                with pytest.raises(E.AuthRequired):
                    await store.put_values("t", [Entry("a/b", b"1")])
                result = await store.login("userpass", {"username": "root", "password": "s3cret"})
                assert result.metadata["user"] == "root"
                await store.put_values("t", [Entry("a/b", b"1")])
                assert await store.list_trees() == ["t"]
                # etcd's simple tokens live in the server's memory: a restart voids them,
                # and the store logs in again with the same credentials
                server.stop()
                server.start()
                await store.put_values("t", [Entry("a/b", b"2")])
                assert [e.value_json for e in await store.get_values("t", [])] == [b"2"]
            # without any user configured, etcd's refusal is an AuthRequired, not a crash
            async with await launch_store(ETCD_PLUGIN, options={"endpoints": [server.endpoint]}) as plugin:
                with pytest.raises(E.AuthRequired):
                    await plugin.store.get_values("t", [])

        arun(go())
    finally:
        server.stop()


def test_a_user_for_a_cluster_without_auth_still_works(arun: Run, opts: dict[str, Any]) -> None:
    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options={**opts, "user": "alice"}) as plugin:
            assert (await plugin.store.capabilities()).auth
            await plugin.store.login("userpass", {"username": "alice", "password": "any"})
            await plugin.store.put_values("t", [Entry("a/b", b"1")])
            assert await plugin.store.list_trees() == ["t"]

    arun(go())


def test_a_save_over_the_clusters_transaction_limit_is_refused_whole(arun: Run, tmp_path: Path) -> None:
    server = EtcdServer(tmp_path / "data", max_txn_ops=128)  # etcd's default
    server.start()

    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options={"endpoints": [server.endpoint]}) as plugin:
            with pytest.raises(E.InvalidArgument) as info:
                await plugin.store.put_values("t", [Entry(f"a/k{i}", b"1") for i in range(200)])
            assert "--max-txn-ops" in info.value.message
            assert await plugin.store.list_trees() == []  # nothing of it was written
            await plugin.store.put_values("t", [Entry(f"a/k{i}", b"1") for i in range(100)])
            assert len(await plugin.store.get_values("t", [])) == 100

    try:
        arun(go())
    finally:
        server.stop()


def test_bad_options_are_refused_clearly(arun: Run, tmp_path: Path) -> None:
    from zhi_gui.stores.etcd.options import EtcdOptions

    for bad, words in (({"endpoints": []}, "non-empty list"), ({"endpoints": ["nohost"]}, "host:port"),
                       ({"cert_file": str(tmp_path / "c.pem")}, "go together"),
                       ({"ca_file": str(tmp_path / "missing.pem")}, "not a readable file"),
                       ({"password": "x"}, "needs option 'user'"), ({"timeout": 0}, "timeout")):
        with pytest.raises(E.InvalidArgument) as info:
            EtcdOptions.parse(bad)
        assert words in info.value.message
    parsed = EtcdOptions.parse({"endpoints": "https://a:1, b:2", "root": "/x"})
    assert [e.target for e in parsed.endpoints] == ["a:1", "b:2"] and parsed.tls and parsed.root == "/x/"


def test_unreachable_etcd_is_a_clear_error_then_the_next_endpoint(arun: Run, opts: dict[str, Any]) -> None:
    from tests.etcd_server import free_port

    dead = f"127.0.0.1:{free_port()}"

    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options={"endpoints": [dead], "timeout": 2}) as plugin:
            with pytest.raises(E.StoreError) as info:
                await plugin.store.list_trees()
            assert "unreachable" in info.value.message
        # a dead first endpoint: the plugin goes on with the live one
        both = {**opts, "endpoints": [dead, *opts["endpoints"]], "timeout": 2}
        async with await launch_store(ETCD_PLUGIN, options=both) as plugin:
            await plugin.store.put_values("t", [Entry("a/b", b"1")])
            assert [e.value_json for e in await plugin.store.get_values("t", [])] == [b"1"]

    arun(go())


async def raw_value(endpoint: str, key: bytes) -> bytes:
    import grpc
    from aetcd import rpc

    async with grpc.aio.insecure_channel(endpoint) as channel:
        response = await rpc.KVStub(channel).Range(rpc.RangeRequest(key=key))
        return bytes(response.kvs[0].value)


def test_encryption_with_the_sqlite_scheme(arun: Run, opts: dict[str, Any], etcd: EtcdServer,
                                           tmp_path: Path) -> None:
    secret_file = tmp_path / "passphrase"
    secret_file.write_text("pw-2\n")
    key = f"{opts['root']}trees/t/db/password".encode()

    async def go() -> None:
        # two clients in this process (a cheap scrypt n keeps the test fast), then a plugin process
        one, two = EtcdStore(opts, scrypt_n=1 << 10), EtcdStore(opts, scrypt_n=1 << 10)
        try:
            await one.put_values("t", [Entry("db/password", b'"hunter2"', b'{"core.secret":true}')])
            assert b"hunter2" in await raw_value(etcd.endpoint, key)
            await two.get_values("t", [])  # the second client has seen the store plain
            await one.init_encryption(b"pw-1")
            assert (await one.capabilities()).encryption == Encryption.ACTIVE
            raw = await raw_value(etcd.endpoint, key)
            assert raw[:1] == b"\x01" and b"hunter2" not in raw and b"core.secret" not in raw
            (entry,) = await one.get_values("t", [])
            assert (entry.value_json, entry.metadata_json) == (b'"hunter2"', b'{"core.secret":true}')
            # the second client must not write plain values into the now encrypted store
            with pytest.raises(E.StoreLocked):
                await two.put_values("t", [Entry("db/other", b'"plain"')])
            with pytest.raises(E.StoreLocked):
                await two.get_values("t", [])
            with pytest.raises(E.WrongPassphrase):
                await two.unlock(b"nope")
            await two.unlock(b"pw-1")
            await two.write_values("t", [Entry("db/other", b'"x"')], message="secret note")
            assert (await one.describe_versions("t")).versions[0].message == "secret note"
            assert b"secret note" not in await raw_value(etcd.endpoint, f"{opts['root']}heads/t".encode())
            with pytest.raises(E.WrongPassphrase):
                await one.rotate_encryption(b"wrong", b"pw-2")
            await one.rotate_encryption(b"pw-1", b"pw-2")
            await one.lock()
            assert (await one.describe()).locked
            with pytest.raises(E.StoreLocked):
                await one.get_values("t", [])
            with pytest.raises(E.WrongPassphrase):
                await one.unlock(b"pw-1")
            await one.unlock(b"pw-2")
            assert len(await one.get_values("t", [])) == 2
            with pytest.raises(E.InvalidArgument):
                await one.init_encryption(b"again")
        finally:
            await one.close()
            await two.close()
        # a restarted plugin unlocks from passphrase_file
        async with await launch_store(ETCD_PLUGIN, options={**opts, "passphrase_file": str(secret_file)}) as plugin:
            assert [e.value_json for e in await plugin.store.get_values("t", ["db/password"])] == [b'"hunter2"']

    arun(go())


@pytest.mark.interop
def test_zhi_host_probe_reports_no_failure(opts: dict[str, Any], short_tmp: Path) -> None:
    """zhi's Go host, encryption checks included; after -restart the plugin
    unlocks with the probe's second passphrase from passphrase_file."""
    probe = interop_binary("zhi-host-probe")
    (short_tmp / "passphrase").write_text("probe-passphrase-2")
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    env["ZHI_PLUGIN_OPTIONS"] = json.dumps({**opts, "passphrase_file": str(short_tmp / "passphrase")})
    result = subprocess.run([str(probe), "-restart", str(ETCD_PLUGIN)], cwd=short_tmp, env=env,
                            capture_output=True, text=True, timeout=120)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0 and summary.endswith(" 0 failed"), result.stdout + result.stderr
    for check in ("list-tree-versions", "rollback-tree", "cas-conflict-zhi-errorinfo", "restart-values",
                  "init-encryption", "rotate-encryption", "values-after-encryption"):
        assert f"PASS {check}\n" in result.stdout


def test_a_member_killed_during_saves_loses_no_acknowledged_save(arun: Run, tmp_path: Path) -> None:
    """Three members; the one the plugin talks to is SIGKILLed in the middle of a
    stream of saves. Every save that was acknowledged is there afterwards, and
    the saves after the kill go through the other two members."""
    members = start_cluster(tmp_path)
    options = {"endpoints": [m.endpoint for m in members], "root": "/c/", "timeout": 5}
    acknowledged: dict[str, bytes] = {}
    failed: list[str] = []

    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=options) as plugin:
            for i in range(60):
                if i == 20:
                    members[0].kill()
                path, value = f"s/n{i}", str(i).encode()
                try:
                    await plugin.store.put_values("t", [Entry(path, value)])
                except E.StoreError as exc:
                    failed.append(f"{path}: {exc.message}")
                else:
                    acknowledged[path] = value
            assert all(f"s/n{i}" in acknowledged for i in range(40, 60)), failed  # working again
        # a new client on the two members left reads every acknowledged save
        async with await launch_store(ETCD_PLUGIN, options={**options, "endpoints": [members[2].endpoint]}) as plugin:
            stored = {e.path: e.value_json for e in await plugin.store.get_values("t", [])}
            assert {p: stored.get(p) for p in acknowledged} == acknowledged
            assert len(await plugin.store.list_tree_versions("t")) >= len(acknowledged)

    try:
        arun(go(), timeout=120)
    finally:
        for member in members:
            member.stop()
    print(f"{len(acknowledged)} of 60 saves acknowledged; failed: {failed}")
    assert len(acknowledged) >= 40, failed


def test_tls_with_a_client_certificate(arun: Run, tmp_path: Path) -> None:
    tls = make_tls_files(tmp_path / "tls")
    server = EtcdServer(tmp_path / "data", tls=tls)
    server.start()
    url = f"https://{server.endpoint}"
    good = {"endpoints": [url], "ca_file": str(tls.ca), "cert_file": str(tls.client_cert),
            "key_file": str(tls.client_key), "timeout": 3}

    async def go() -> None:
        async with await launch_store(ETCD_PLUGIN, options=good) as plugin:
            await plugin.store.put_values("t", [Entry("a/b", b'"over tls"')])
            assert [e.value_json for e in await plugin.store.get_values("t", [])] == [b'"over tls"']
        # no client certificate, or a server certificate not trusted: refused with the reason
        for options in ({"endpoints": [url], "ca_file": str(tls.ca), "timeout": 3},
                        {**good, "ca_file": str(tls.client_cert)}):
            async with await launch_store(ETCD_PLUGIN, options=options) as plugin:
                with pytest.raises(E.StoreError) as info:
                    await plugin.store.list_trees()
                assert "unreachable (the TLS handshake failed" in info.value.message

    try:
        arun(go())
    finally:
        server.stop()


def test_an_unreachable_etcd_answers_unavailable(arun: Run) -> None:
    from tests.etcd_server import free_port

    async def go() -> None:
        options = {"endpoints": [f"127.0.0.1:{free_port()}"], "timeout": 2}
        async with await launch_store(ETCD_PLUGIN, options=options) as plugin:
            with pytest.raises(E.BackendUnavailable, match="unreachable"):
                await plugin.store.list_trees()

    arun(go())
