"""plugins/zhi-store-sqlite as a real plugin process: every RPC over the wire
through the project's host, typed errors, encryption across restarts, a
refused store file, and zhi's own Go host (zhi-host-probe)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import interop_binary, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry, Versioning
from zhi_gui.plugin.launcher import launch_store

SQLITE_PLUGIN = plugin_path("sqlite")
Run = Callable[..., Any]


def e(path: str, value: bytes = b'"v"', meta: bytes = b"", version: str = "") -> Entry:
    return Entry(path, value, meta, version)


def test_every_rpc_through_a_real_plugin_process(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "store.db"

    async def go() -> None:
        options = {"path": str(db), "create": True, "author": "tester@host"}
        async with await launch_store(SQLITE_PLUGIN, options=options) as plugin:
            store = plugin.store
            caps = await store.capabilities()
            assert (caps.versioning, caps.encryption, caps.auth, caps.access_control) == (
                Versioning.TREE, Encryption.SUPPORTED, False, False)
            assert await store.auth_methods() == []
            desc = await store.describe()
            assert (desc.store_kind, desc.location, desc.locked) == ("sqlite", str(db), False)
            assert {"ListPaths", "StreamTree", "DescribeVersions", "WriteValues", "Unlock", "Lock"} <= desc.features

            await store.put_values("t", [e("db/host", b'"localhost"', b'{"core.type": "hostname"}'),
                                         e("db/port", b"5432"), e("app/name", b'"zhi"')])
            v1 = (await store.list_tree_versions("t"))[0]
            got = await store.get_values("t", ["db/host", "db/port", "nope"])
            assert [(x.path, x.value_json, x.version) for x in got] == [
                ("db/host", b'"localhost"', v1), ("db/port", b"5432", v1)]
            assert got[0].metadata_json == b'{"core.type": "hostname"}'
            assert await store.list_trees() == ["t"]
            await store.put_values("t", [e("db/port", b"5433")], cas_version=v1)
            v2 = (await store.list_tree_versions("t"))[0]

            with pytest.raises(E.CASConflict) as conflict:
                await store.put_values("t", [e("db/port", b"1")], cas_version=v1)
            assert conflict.value.details == {"path": "", "expected": v1, "actual": v2}
            with pytest.raises(E.CASConflict) as conflict:
                await store.put_values("t", [e("db/port", b"1", version=v1)])
            assert conflict.value.details == {"path": "db/port", "expected": v1, "actual": v2}
            with pytest.raises(E.CASConflict):
                await store.put_values("t", [e("app/name", b"1")], cas_versions={"app/name": ""})
            assert [x.value_json for x in await store.get_values("t", ["db/port", "app/name"])] == [
                b"5433", b'"zhi"']

            v3 = await store.write_values("t", [e("db/user", b'"admin"')], ["app/name"], cas_version=v2,
                                          message="add user, drop name")
            await store.delete_values("t", ["db/host", "missing"])
            versions = await store.list_tree_versions("t")
            assert versions[1:] == [v3, v2, v1] and len(versions) == 4
            page = await store.describe_versions("t", limit=2)
            assert page.total == 4
            assert [(v.id, v.kind, v.author) for v in page.versions] == [
                (versions[0], "delete", "tester@host"), (v3, "write", "tester@host")]
            assert page.versions[1].message == "add user, drop name" and page.versions[1].changed_paths == 2

            assert await store.list_paths("t") == ["db/port", "db/user"]
            assert await store.list_paths("t", "db/", v1) == ["db/host", "db/port"]
            old = {x.path: x.value_json for x in await store.get_tree_version("t", v1, [])}
            assert old == {"db/host": b'"localhost"', "db/port": b"5432", "app/name": b'"zhi"'}
            chunks = [c async for c in store.stream_tree("t", version=v1, chunk_size=2)]
            assert [len(c.entries) for c in chunks] == [2, 1] and chunks[0].total == 3
            assert {c.version for c in chunks} == {v1}

            await store.rollback_tree("t", v1)
            assert {x.path: x.value_json for x in await store.get_values("t", [])} == old
            assert len(await store.list_tree_versions("t")) == 5
            await store.delete_tree_version("t", v2)
            assert v2 not in await store.list_tree_versions("t")
            assert {x.path: x.value_json for x in await store.get_tree_version("t", v3, [])} == {
                "db/port": b"5433", "db/host": b'"localhost"', "db/user": b'"admin"'}
            head = (await store.list_tree_versions("t"))[0]
            with pytest.raises(E.InvalidArgument):
                await store.delete_tree_version("t", head)
            with pytest.raises(E.NotFound):
                await store.get_tree_version("t", "no-such-version", [])
            with pytest.raises(E.Unsupported):
                await store.list_value_versions("t", "db/port")
            with pytest.raises(E.Unsupported):
                await store.list_access("t")
            with pytest.raises(E.InvalidArgument):  # zhi's path rules, checked by the plugin
                await store.put_values("t", [e("Bad//Path")])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("t", [e("ok", b"{not json")])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("../escape", [e("ok")])
            with pytest.raises(E.EncryptionNotInitialised):
                await store.unlock(b"x")

            await store.delete_tree("t")
            assert await store.list_trees() == []
            assert await store.get_values("t", []) == []

    arun(go())


def test_encryption_across_restarts(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "store.db"
    secret_file = short_tmp / "passphrase"

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            store = plugin.store
            await store.put_values("t", [e("secret", b'"hunter2-plaintext"')])
            await store.init_encryption(b"first passphrase")
            assert (await store.capabilities()).encryption == Encryption.ACTIVE
            assert (await store.get_values("t", ["secret"]))[0].value_json == b'"hunter2-plaintext"'
        assert b"hunter2-plaintext" not in db.read_bytes()

        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            store = plugin.store
            assert (await store.capabilities()).encryption == Encryption.ACTIVE
            assert (await store.describe()).locked
            assert await store.list_trees() == ["t"]
            with pytest.raises(E.StoreLocked):
                await store.get_values("t", ["secret"])
            with pytest.raises(E.StoreLocked):
                await store.put_values("t", [e("other")])
            with pytest.raises(E.WrongPassphrase):
                await store.unlock(b"wrong")
            with pytest.raises(E.WrongPassphrase):
                await store.rotate_encryption(b"wrong", b"second passphrase")
            await store.unlock(b"first passphrase")
            assert not (await store.describe()).locked
            assert (await store.get_values("t", ["secret"]))[0].value_json == b'"hunter2-plaintext"'
            await store.rotate_encryption(b"first passphrase", b"second passphrase")
            await store.lock()
            with pytest.raises(E.StoreLocked):
                await store.list_tree_versions("t")
            with pytest.raises(E.WrongPassphrase):
                await store.unlock(b"first passphrase")
            await store.unlock(b"second passphrase")

        secret_file.write_text("second passphrase\n")
        options = {"path": str(db), "create": True, "passphrase_file": str(secret_file)}
        async with await launch_store(SQLITE_PLUGIN, options=options) as plugin:
            assert not (await plugin.store.describe()).locked
            assert (await plugin.store.get_values("t", ["secret"]))[0].value_json == b'"hunter2-plaintext"'

        env_options = {"path": str(db), "create": True, "passphrase_env": "ZHI_SQLITE_TEST_PASSPHRASE"}
        async with await launch_store(SQLITE_PLUGIN, options=env_options,
                                      extra_env={"ZHI_SQLITE_TEST_PASSPHRASE": "second passphrase"}) as plugin:
            assert not (await plugin.store.describe()).locked

        secret_file.write_text("first passphrase\n")
        async with await launch_store(SQLITE_PLUGIN, options=options) as plugin:
            assert (await plugin.store.describe()).locked
            with pytest.raises(E.StoreLocked, match="is wrong"):
                await plugin.store.get_values("t", ["secret"])

    arun(go())


def test_refused_store_file_stops_the_plugin_with_the_reason(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "store.db"
    db.write_bytes(b"definitely not sqlite\n" * 50)
    digest = hashlib.sha256(db.read_bytes()).hexdigest()

    async def go() -> None:
        with pytest.raises(E.LaunchError) as info:
            await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True})
        assert "not a SQLite database" in str(info.value)

    arun(go())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in short_tmp.iterdir()) == ["store.db"]


def run_probe(workdir: Path, *args: str, options: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import json

    probe = interop_binary("zhi-host-probe")
    workdir.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    env["ZHI_PLUGIN_OPTIONS"] = json.dumps(options)
    return subprocess.run([str(probe), *args, str(SQLITE_PLUGIN)], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.interop
def test_zhi_host_probe_with_restart_on_a_fresh_store(short_tmp: Path) -> None:
    """zhi's Go host: all checks including encryption (init, wrong old passphrase,
    rotate) and, after -restart, reading the values back: the restarted plugin
    unlocks with the probe's second passphrase from passphrase_file."""
    (short_tmp / "passphrase").write_text("probe-passphrase-2")
    db = short_tmp / "fresh.db"
    result = run_probe(short_tmp / "cwd", "-restart",
                       options={"path": str(db), "create": True, "passphrase_file": str(short_tmp / "passphrase")})
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0 and summary.endswith(" 0 failed"), result.stdout + result.stderr
    assert "FAIL" not in result.stdout
    for check in ("init-encryption", "rotate-encryption", "values-after-encryption", "restart-values",
                  "cas-conflict-zhi-errorinfo", "delete-tree-version"):
        assert f"PASS {check}\n" in result.stdout
    assert db.is_file()


def test_a_missing_store_answers_store_missing_over_the_wire(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "typo" / "store.db"

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            with pytest.raises(E.StoreMissing, match="does not exist") as missing:
                await plugin.store.list_trees()
            assert missing.value.details["path"] == str(db)
            with pytest.raises(E.NotFound):  # what a caller that knows only zhi's types sees
                await plugin.store.capabilities()
        assert not db.parent.exists()
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            assert await plugin.store.list_trees() == []
        assert db.is_file()

    arun(go())


def test_a_file_damaged_below_its_tables_is_found_beside_the_work_and_never_written(
        arun: Run, short_tmp: Path) -> None:
    """The served store checks every page of its file beside its work (not before its
    handshake: about a second per million values). A page damaged where opening does not
    look (a data page's header) is found that way: the write that was asked waits for the
    verdict and is refused with the message opening would have given, every later call is
    refused too, and the file is not changed."""
    db = short_tmp / "store.db"

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            await plugin.store.put_values("t", [e(f"k{i:04d}") for i in range(2000)])
        data = bytearray(db.read_bytes())
        last = len(data) - 4096
        data[last:last + 8] = b"\xff" * 8  # the last page's header
        db.write_bytes(bytes(data))
        before = hashlib.sha256(db.read_bytes()).hexdigest()
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:  # it starts
            with pytest.raises(E.StoreCorrupt, match=r"is damaged .*it was not changed"):
                await plugin.store.put_values("t", [e("k0000", b'"new"')])
            with pytest.raises(E.StoreCorrupt, match="is damaged"):
                await plugin.store.list_trees()
        assert hashlib.sha256(db.read_bytes()).hexdigest() == before

    arun(go())


def test_damage_answers_data_loss_over_the_wire(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "store.db"

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as plugin:
            await plugin.store.put_values("t", [Entry("a/one", b'"first"'), Entry("a/two", b'"second"')])
        data = bytearray(db.read_bytes())
        at = data.index(b'"second"')
        data[at + 2] ^= 0x04
        db.write_bytes(bytes(data))
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            with pytest.raises(E.DataLoss) as loss:
                await plugin.store.get_values("t", [])
            assert loss.value.paths == ["a/two"] and loss.value.details["tree_id"] == "t"
            assert [e.value_json for e in await plugin.store.get_values("t", ["a/one"])] == [b'"first"']

    arun(go())
