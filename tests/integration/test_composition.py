"""Composition over real plugin processes: the config/transform/store launchers,
delegating, mirrored and merged wrappers around launched plugins."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
from pathlib import Path

import pytest

from tests.conftest import ROOT, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Capabilities, Encryption, Entry, Versioning
from zhi_gui.plugin.audit import AuditMode, sha256_file
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.composition import (
    DelegatingConfig,
    DelegatingStore,
    Launched,
    MergedConfig,
    MirroredStore,
    launch_config,
    launch_store_client,
    launch_transform,
)
from zhi_gui.plugin.config_api import ConfigValue, Severity
from zhi_gui.plugin.config_client import ConfigClient
from zhi_gui.plugin.launcher import LaunchConfig
from zhi_gui.plugin.transform import ValidatePolicy

FIXTURES = ROOT / "tests" / "fixtures" / "config_plugins"
CONFIG = FIXTURES / "zhi-config-fixture"
TRANSFORM = FIXTURES / "zhi-transform-fixture"
MEMORY, JSON = plugin_path("memory"), plugin_path("json")


def alive(pid: int) -> bool:
    """Running (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


async def launch_configs(*options: dict) -> list[Launched[ConfigClient]]:
    return list(await asyncio.gather(*(launch_config(CONFIG, options=o) for o in options)))


# --- launchers ---------------------------------------------------------------------------------------------
def test_launch_config_gives_a_typed_client_and_a_cleanup(arun) -> None:
    async def go() -> None:
        lines: list[str] = []
        logger = logging.getLogger("test.child")
        handler = logging.Handler()
        handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        try:
            launched = await launch_config(CONFIG, options={"values": {"db/host": {"value": "h", "metadata": {
                "core.type": "hostname"}}}}, logger=logger, isolated_env=True)
            client = launched.client
            assert isinstance(client, ConfigClient) and await client.ping()
            assert await client.list() == ["db/host"]
            assert await client.get("db/host") == ConfigValue(True, b'"h"', b'{"core.type":"hostname"}')
            assert await client.get("nope") == ConfigValue(False)
            await client.set("db/port", b"5432", b'{"core.type":"port"}')
            assert (await client.get("db/port")).value_json == b"5432"
            with pytest.raises(E.InvalidArgument, match="segment"):
                await client.set("Bad", b"1")
            with pytest.raises(E.InvalidArgument, match="JSON"):
                await client.set("db/x", b"{nope")
            pid = launched.pid
            os.killpg(pid, 0)  # its own process group by default
            await launched.cleanup()
            await launched.cleanup()  # twice is fine
            assert not alive(pid) and launched.process.exited.result() == 0
        finally:
            logger.removeHandler(handler)
        assert "zhi-config-fixture: plugin serving" in lines, "the child's log lines reach the logger"

    arun(go())


def test_config_validate_over_the_wire(arun) -> None:
    async def go() -> None:
        async with await launch_config(CONFIG, options={"rules": {"port": {"min": 1024, "max": 9000}}}) as plugin:
            results = await plugin.client.validate("port", [Entry("port", b"80")])
            assert [(r.severity, r.message, r.metadata_json) for r in results] == [
                (Severity.BLOCKING, "port must be at least 1024", b'{"rule":"min"}')]
            results = await plugin.client.validate("port", [Entry("port", b"10000")])
            assert [r.severity for r in results] == [Severity.WARNING]
            assert await plugin.client.validate("port", [Entry("port", b"2000")]) == []

    arun(go())


def test_launch_audit_modes(arun, tmp_path: Path) -> None:
    (tmp_path / "zhi-config-fixture.json").write_text(json.dumps({"binaryDigest": "sha256:" + "0" * 64}))

    async def go() -> None:
        with pytest.raises(E.AuditError, match="the binary changed"):
            await launch_config(CONFIG, metadata_dir=tmp_path)
        async with await launch_config(CONFIG, metadata_dir=tmp_path, audit=AuditMode.WARN) as plugin:
            assert plugin.process.audit is not None and plugin.process.audit.matches is False
            assert plugin.process.audit.digest == sha256_file(CONFIG.resolve())
            assert await plugin.client.list() == []

    arun(go())


def test_launch_failure_is_a_launch_error(arun, tmp_path: Path) -> None:
    bad_dir = tmp_path / "file"
    bad_dir.write_text("x")

    async def go() -> None:
        with pytest.raises(E.LaunchError, match="exists but is not a directory"):
            await launch_store_client(JSON, options={"dir": str(bad_dir)})
        with pytest.raises(TypeError, match="unknown launch option"):
            await launch_config(CONFIG, LaunchConfig(), nonsense=1)

    arun(go())


def test_transform_client_round_trip_and_absent_service(arun) -> None:
    async def go() -> None:
        fixture, memory = await asyncio.gather(launch_transform(TRANSFORM, options={"policy": 1}),
                                               launch_transform(MEMORY))
        try:
            tree = [Entry("a", b'"hi"'), Entry("n", b"5", b'{"x":1}')]
            shown = await fixture.client.before_display(tree)
            assert shown == [Entry("a", b'"HI"'), Entry("n", b"5", b'{"x":1}')]
            saved = await fixture.client.after_save(tree)
            assert [json.loads(e.metadata_json)["fixture.saved"] for e in saved] == [True, True]
            assert await fixture.client.validate_policy() == ValidatePolicy.AFTER_TRANSFORM
            assert fixture.client.available is True
            # A plugin without TransformService (here a store): UNIMPLEMENTED = absent, identity.
            assert await memory.client.before_display(tree) == tree
            assert await memory.client.after_save(tree) == tree
            assert await memory.client.validate_policy() == ValidatePolicy.BEFORE_TRANSFORM
            assert memory.client.available is False
        finally:
            await asyncio.gather(fixture.cleanup(), memory.cleanup())

    arun(go())


# --- delegating over processes --------------------------------------------------------------------------------
def test_delegating_wrappers_over_real_plugins(arun) -> None:
    class Audited(DelegatingStore):
        def __init__(self, base: StoreClient) -> None:
            super().__init__(base)
            self.writes: list[str] = []

        async def put_values(self, tree_id, entries, cas_version="", cas_versions=None) -> None:  # type: ignore[no-untyped-def]
            self.writes.extend(e.path for e in entries)
            await super().put_values(tree_id, entries, cas_version, cas_versions)

    class Prefixed(DelegatingConfig):
        async def list(self) -> list[str]:
            return [f"x/{p}" for p in await self.base.list()]

    async def go() -> None:
        store_plugin = await launch_store_client(MEMORY)
        config_plugin = await launch_config(CONFIG, options={"values": {"a": {"value": 1}}})
        try:
            store = Audited(store_plugin.client)
            await store.put_values("t", [Entry("a", b"1")])
            assert store.writes == ["a"]
            assert [e.value_json for e in await store.get_values("t", ["a"])] == [b"1"]
            assert (await store.capabilities()).versioning == Versioning.TREE
            assert (await store.describe()).store_kind == "memory"
            config = Prefixed(config_plugin.client)
            assert await config.list() == ["x/a"]
            assert (await config.get("a")).value_json == b"1"
        finally:
            await asyncio.gather(store_plugin.cleanup(), config_plugin.cleanup())

    arun(go())


# --- merged config over processes ---------------------------------------------------------------------------------
def test_merged_config_over_real_plugins(arun) -> None:
    async def go() -> None:
        app, db = await launch_configs(
            {"values": {"name": {"value": "demo"}, "replicas": {"value": 2}}, "echo": True,
             "rules": {"replicas": {"same_as": "name"}}},
            {"values": {"host": {"value": "localhost"}}, "echo": True})
        try:
            merged = MergedConfig({"app/": app.client, "db/": db.client})
            assert sorted(await merged.list()) == ["app/name", "app/replicas", "db/host"]
            assert (await merged.get("db/host")).value_json == b'"localhost"'
            assert not (await merged.get("app/host")).found
            await merged.set("db/port", b"5432")
            assert (await db.client.get("port")).value_json == b"5432"
            assert not (await app.client.get("port")).found
            tree = [Entry("app/name", b'"demo"'), Entry("app/replicas", b"2"), Entry("db/host", b'"h"'),
                    Entry("db/name", b"2")]
            results = await merged.validate("app/replicas", tree)
            assert [r.message for r in results] == ["path=replicas tree=name,replicas",
                                                    "replicas must equal name"], "scoped: no db/ paths, no prefix"
            results = await merged.validate("db/host", tree)
            assert [r.message for r in results] == ["path=host tree=host,name"]
            with pytest.raises(ValueError, match="overlapping prefixes 'db/' and 'db/replica/'"):
                MergedConfig({"db/": db.client, "db/replica/": app.client})
        finally:
            await asyncio.gather(app.cleanup(), db.cleanup())

    arun(go())


def test_merged_list_fails_with_the_failing_plugin_named(arun) -> None:
    async def go() -> None:
        good, bad = await launch_configs({"values": {"a": {"value": 1}}}, {"fail_list": "vault sealed"})
        try:
            with pytest.raises(E.StoreError, match="listing the config plugin mounted at 'b/': vault sealed"):
                await MergedConfig({"a/": good.client, "b/": bad.client}).list()
        finally:
            await asyncio.gather(good.cleanup(), bad.cleanup())
        with pytest.raises(E.PluginUnavailable, match="mounted at 'a/'"):
            await MergedConfig({"a/": good.client}).list()  # its plugin is gone

    arun(go())


# --- mirrored over processes -------------------------------------------------------------------------------------
async def launch_stores(*specs: tuple[Path, dict]) -> list[Launched[StoreClient]]:
    return list(await asyncio.gather(*(launch_store_client(p, options=o) for p, o in specs)))


def test_mirrored_store_over_real_plugins(arun, tmp_path: Path) -> None:
    async def go() -> None:
        primary, mirror = await launch_stores((MEMORY, {}), (JSON, {"dir": str(tmp_path)}))
        try:
            store = MirroredStore(primary.client, [mirror.client])
            await store.put_values("t", [Entry("app/name", b'"demo"'), Entry("app/port", b"80")])
            head = (await primary.client.list_tree_versions("t"))[0]
            # unversioned as a whole (the json mirror keeps no versions): no versions out, no CAS in
            assert {e.version for e in await store.get_values("t", [])} == {""}
            with pytest.raises(E.Unsupported, match="no CAS") as info:
                await store.put_values("t", [Entry("app/port", b"1")], cas_version=head)
            assert info.value.details == {"feature": "cas"}
            with pytest.raises(E.Unsupported, match="no CAS"):
                await store.write_values("t", [Entry("app/port", b"1", version=head)])
            await store.put_values("t", [Entry("app/port", b"8080")])
            assert await store.write_values("t", [], ["app/name"]) == ""
            assert not store.failures, [f.error for f in store.failures]
            assert json.loads((tmp_path / "t.json").read_text()) == {"app/port": {"value": 8080}}
            assert [e.value_json for e in await store.get_values("t", ["app/port"])] == [b"8080"]
            assert await store.capabilities() == Capabilities(Versioning.NONE, Encryption.NONE, False, False)
            with pytest.raises(E.Unsupported, match="mirror zhi-store-json"):
                await store.list_tree_versions("t")
        finally:
            await asyncio.gather(primary.cleanup(), mirror.cleanup())

    arun(go())


def test_mirror_whose_directory_became_a_file(arun, tmp_path: Path, caplog) -> None:
    async def go() -> None:
        target = tmp_path / "mirror"  # does not exist yet: the json store creates it on the first write
        primary, mirror = await launch_stores((MEMORY, {}), (JSON, {"dir": str(target)}))
        try:
            store = MirroredStore(primary.client, [mirror.client])
            await store.put_values("t", [Entry("b", b"0")])
            target.rename(tmp_path / "moved")
            target.write_text("not a directory")
            with caplog.at_level(logging.WARNING, logger="zhi_gui.plugin.composition.mirrored"), \
                    pytest.raises(E.StoreError, match="undone on the primary and every mirror"):
                await store.put_values("t", [Entry("a", b"1"), Entry("b", b"2")])
            # every member or none: the primary holds what it held before
            assert {e.path: e.value_json for e in await primary.client.get_values("t", [])} == {"b": b"0"}
            [failure] = store.failures
            assert failure.mirror == "zhi-store-json" and failure.operation == "PutValues"
            messages = [r.getMessage() for r in caplog.records]
            assert any("mirror zhi-store-json: PutValues of tree 't' failed" in m and str(target) in m
                       for m in messages), messages
        finally:
            await asyncio.gather(primary.cleanup(), mirror.cleanup())

    arun(go())


def test_killed_mirror_fails_writes_on_every_member(arun, tmp_path: Path, caplog) -> None:
    async def go() -> None:
        primary, dead, alive_mirror = await launch_stores((MEMORY, {}), (JSON, {"dir": str(tmp_path / "a")}),
                                                          (MEMORY, {}))
        try:
            store = MirroredStore(primary.client, {"json": dead.client, "memory": alive_mirror.client},
                                  mirror_timeout=10)
            await store.put_values("t", [Entry("a", b"1")])
            dead.process.kill_group(signal.SIGKILL)
            await asyncio.wait_for(asyncio.shield(dead.process.exited), 10)
            with caplog.at_level(logging.WARNING, logger="zhi_gui.plugin.composition.mirrored"):
                with pytest.raises(E.StoreError, match="failed on mirror json"):
                    await store.put_values("t", [Entry("a", b"2")])
                with pytest.raises(E.StoreError, match="no member changed"):
                    await store.delete_values("t", ["a"])
            assert [e.value_json for e in await primary.client.get_values("t", ["a"])] == [b"1"]
            assert [e.value_json for e in await alive_mirror.client.get_values("t", ["a"])] == [b"1"]
            assert [(f.mirror, f.operation) for f in store.failures] == [("json", "PutValues"),
                                                                         ("json", "DeleteValues")]
            assert all("PluginUnavailable" in f.error for f in store.failures)
            assert any("mirror json: DeleteValues of tree 't' failed" in r.getMessage() for r in caplog.records)
        finally:
            await asyncio.gather(primary.cleanup(), dead.cleanup(), alive_mirror.cleanup())

    arun(go())


@pytest.mark.parametrize(("primary_opts", "mirror_opts", "expected"), [
    ({}, {}, Capabilities(Versioning.TREE, Encryption.SUPPORTED)),
    ({"versioning": "value"}, {"versioning": "value"}, Capabilities(Versioning.VALUE, Encryption.SUPPORTED)),
    ({"versioning": "tree"}, {"versioning": "value"}, Capabilities(Versioning.NONE, Encryption.SUPPORTED)),
    ({}, {"encryption": False}, Capabilities(Versioning.TREE, Encryption.NONE)),
    ({"auth": {"username": "u", "password": "p"}}, {}, Capabilities(Versioning.TREE, Encryption.SUPPORTED, True)),
])
def test_capabilities_of_real_plugins_combine(arun, primary_opts: dict, mirror_opts: dict,
                                              expected: Capabilities) -> None:
    async def go() -> None:
        primary, mirror = await launch_stores((MEMORY, primary_opts), (MEMORY, mirror_opts))
        try:
            assert await MirroredStore(primary.client, [mirror.client]).capabilities() == expected
        finally:
            await asyncio.gather(primary.cleanup(), mirror.cleanup())

    arun(go())


def test_encryption_and_rollback_reach_real_mirrors(arun) -> None:
    async def go() -> None:
        primary, mirror = await launch_stores((MEMORY, {}), (MEMORY, {}))
        try:
            store = MirroredStore(primary.client, [mirror.client])
            await store.put_values("t", [Entry("a", b"1")])
            first = (await store.list_tree_versions("t"))[0]
            await store.put_values("t", [Entry("a", b"2"), Entry("b", b"3")])
            await store.rollback_tree("t", first)
            assert [(e.path, e.value_json) for e in await mirror.client.get_values("t", ["a", "b"])] == [("a", b"1")]
            await store.init_encryption(b"secret")
            assert (await mirror.client.capabilities()).encryption == Encryption.ACTIVE
            assert (await store.capabilities()).encryption == Encryption.ACTIVE
            await store.rotate_encryption(b"secret", b"newer")
            with pytest.raises(E.StoreError):
                await mirror.client.rotate_encryption(b"secret", b"x")  # the mirror has the new passphrase too
            assert not store.failures
        finally:
            await asyncio.gather(primary.cleanup(), mirror.cleanup())

    arun(go())
