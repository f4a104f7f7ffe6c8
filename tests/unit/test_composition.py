"""Composition wrappers with in-process stores and config plugins (fast; the
same wrappers over real plugin processes are in tests/integration/test_composition*.py)."""

from __future__ import annotations

import builtins
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.model import Capabilities, Encryption, Entry, Versioning
from zhi_gui.plugin.composition import (
    DelegatingConfig,
    DelegatingStore,
    MergedConfig,
    MirroredStore,
    combine_capabilities,
    strip_cas,
)
from zhi_gui.plugin.config_api import ConfigPlugin, ConfigValue, Severity, ValidationResult
from zhi_gui.plugin.store_api import Store
from zhi_gui.stores.jsonfile import JsonFileStore
from zhi_gui.stores.memory import MemoryStore

N, T, V = Versioning.NONE, Versioning.TREE, Versioning.VALUE
E0, E1, E2 = Encryption.NONE, Encryption.SUPPORTED, Encryption.ACTIVE


class DictConfig(ConfigPlugin):
    """A config plugin over a dict; Validate reports the tree it was given."""

    def __init__(self, values: dict[str, object]) -> None:
        self.values = {p: json.dumps(v).encode() for p, v in values.items()}
        self.seen: list[tuple[str, list[str]]] = []
        self.closed = False

    async def list(self) -> list[str]:
        return list(self.values)

    async def get(self, path: str) -> ConfigValue:
        return ConfigValue(path in self.values, self.values.get(path, b""))

    async def set(self, path: str, value_json: bytes, metadata_json: bytes = b"") -> None:
        self.values[path] = value_json

    async def validate(self, path: str, tree: Sequence[Entry]) -> builtins.list[ValidationResult]:
        self.seen.append((path, [e.path for e in tree]))
        return [ValidationResult(Severity.WARNING, f"checked {path}")]

    async def close(self) -> None:
        self.closed = True


# --- delegating -----------------------------------------------------------------------------------
def test_delegating_without_a_base_fails_at_once() -> None:
    with pytest.raises(TypeError, match=r"needs a base store to forward to"):
        DelegatingStore(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'base'"):
        DelegatingStore()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match=r"needs a base store .*not str"):
        DelegatingStore("memory")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"needs a base config plugin to forward to"):
        DelegatingConfig(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"needs a base config plugin .*not MemoryStore"):
        DelegatingConfig(MemoryStore())  # type: ignore[arg-type]


def test_a_subclass_that_forgets_super_init_gets_a_clear_error(arun) -> None:
    class Broken(DelegatingStore):
        def __init__(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"Broken has no base store: its __init__ must call super\(\).__init__"):
        arun(Broken().list_trees())


def test_delegating_store_forwards_everything_and_overrides_by_subclassing(arun) -> None:
    class UpperNames(DelegatingStore):
        async def list_trees(self) -> list[str]:
            return [t.upper() for t in await self.base.list_trees()]

    async def go() -> None:
        base = MemoryStore()
        store = UpperNames(base)
        assert store.serves_extension is True
        await store.put_values("t", [Entry("a", b"1")])
        version = await store.write_values("t", [Entry("b", b"2")], ["a"], message="m", author="me")
        assert [e.path for e in await base.get_values("t", ["a", "b"])] == ["b"]
        assert await store.list_trees() == ["T"], "overridden"
        assert (await store.list_tree_versions("t"))[0] == version
        assert (await store.describe_versions("t")).versions[0].message == "m"
        assert await store.list_paths("t") == ["b"]
        chunks = [c async for c in store.stream_tree("t")]
        assert [e.path for c in chunks for e in c.entries] == ["b"]
        assert (await store.capabilities()).versioning == T
        await store.rollback_tree("t", (await store.list_tree_versions("t"))[-1])
        assert [e.path for e in await store.get_values("t", ["a", "b"])] == ["a"]
        with pytest.raises(E.Unsupported):
            await store.list_value_versions("t", "a")  # the base's own answer
        await store.init_encryption(b"pw")
        assert (await store.capabilities()).encryption == E2
        await store.delete_tree("t")
        assert await base.list_trees() == []

    arun(go())


def test_delegating_config_forwards_and_overrides(arun) -> None:
    class Defaults(DelegatingConfig):
        async def get(self, path: str) -> ConfigValue:
            found = await self.base.get(path)
            return found if found.found else ConfigValue(True, b'"default"')

    async def go() -> None:
        base = DictConfig({"a": 1})
        config = Defaults(base)
        assert await config.list() == ["a"]
        assert (await config.get("zzz")).value_json == b'"default"'
        await config.set("b", b"2")
        assert base.values["b"] == b"2"
        assert [r.message for r in await config.validate("a", [Entry("a", b"1")])] == ["checked a"]
        await config.close()
        assert base.closed

    arun(go())


# --- capabilities -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("primary", "mirrors", "expected"), [
    # versioning: the common mode, else none
    (Capabilities(T), [Capabilities(T)], Capabilities(T)),
    (Capabilities(T), [Capabilities(N)], Capabilities(N)),
    (Capabilities(V), [Capabilities(T)], Capabilities(N)),
    (Capabilities(T), [Capabilities(T), Capabilities(V)], Capabilities(N)),
    (Capabilities(N), [Capabilities(T)], Capabilities(N)),
    # encryption: none if anyone lacks it, else the lowest state
    (Capabilities(encryption=E2), [Capabilities(encryption=E2)], Capabilities(encryption=E2)),
    (Capabilities(encryption=E2), [Capabilities(encryption=E1)], Capabilities(encryption=E1)),
    (Capabilities(encryption=E1), [Capabilities(encryption=E2)], Capabilities(encryption=E1)),
    (Capabilities(encryption=E2), [Capabilities(encryption=E0)], Capabilities(encryption=E0)),
    # access control only if all have it; auth is the primary's (Login goes there)
    (Capabilities(access_control=True), [Capabilities(access_control=True)], Capabilities(access_control=True)),
    (Capabilities(access_control=True), [Capabilities()], Capabilities()),
    (Capabilities(auth=True), [Capabilities()], Capabilities(auth=True)),
    (Capabilities(auth=False), [Capabilities(auth=True)], Capabilities(auth=False)),
])
def test_most_restrictive_capabilities(primary: Capabilities, mirrors: list[Capabilities],
                                       expected: Capabilities) -> None:
    assert combine_capabilities(primary, mirrors) == expected


def test_strip_cas_clears_entry_versions_only() -> None:
    entries = [Entry("a", b"1", b'{"x":1}', "v7"), Entry("b", b"2")]
    assert strip_cas(entries) == [Entry("a", b"1", b'{"x":1}', ""), Entry("b", b"2")]


# --- mirrored -------------------------------------------------------------------------------------------
def test_mirrored_store_construction_is_checked() -> None:
    primary = MemoryStore()
    with pytest.raises(TypeError, match="needs a primary Store"):
        MirroredStore(None, [MemoryStore()])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="at least one mirror"):
        MirroredStore(primary, [])
    with pytest.raises(TypeError, match="mirror 'mirror 1' is NoneType"):
        MirroredStore(primary, [None])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="is the primary itself"):
        MirroredStore(primary, [primary])
    twice = MemoryStore()
    with pytest.raises(ValueError, match="twice"):
        MirroredStore(primary, [twice, twice])


def test_writes_reach_primary_then_mirrors_without_cas(arun) -> None:
    async def go() -> None:
        primary, mirror = MemoryStore(), MemoryStore()  # both tree-versioned, each with its own version ids
        store = MirroredStore(primary, {"memory": mirror})
        assert (await store.capabilities()).versioning == Versioning.TREE
        await store.put_values("t", [Entry("a", b"1")])
        await mirror.put_values("t", [Entry("z", b"0")])  # the mirror's history moves on its own
        head = (await primary.list_tree_versions("t"))[0]
        await store.put_values("t", [Entry("a", b"2", version="")], cas_version=head)
        head = (await primary.list_tree_versions("t"))[0]
        await store.put_values("t", [Entry("a", b"3", version=head)])  # entry version = CAS for the primary
        with pytest.raises(E.CASConflict):
            await store.put_values("t", [Entry("a", b"4")], cas_version=head)  # stale: nothing anywhere
        assert [e.value_json for e in await mirror.get_values("t", ["a"])] == [b"3"]
        assert not store.failures

    arun(go())


def test_unversioned_combination_reads_no_versions_and_takes_no_cas(arun, tmp_path: Path) -> None:
    async def go() -> None:
        primary = MemoryStore()
        mirror = JsonFileStore({"dir": str(tmp_path)})  # keeps no versions
        store = MirroredStore(primary, {"json": mirror})
        await store.put_values("t", [Entry("a", b"1"), Entry("b", b'"x"', b'{"ui.readonly":true}')])
        head = (await primary.list_tree_versions("t"))[0]
        assert {e.version for e in await store.get_values("t", [])} == {""}
        async for chunk in store.stream_tree("t"):
            assert chunk.version == "" and {e.version for e in chunk.entries} == {""}
        for call in (lambda: store.put_values("t", [Entry("a", b"2")], cas_version=head),
                     lambda: store.put_values("t", [Entry("a", b"2", version=head)]),
                     lambda: store.write_values("t", [Entry("a", b"2")], cas_versions={"a": head})):
            with pytest.raises(E.Unsupported, match="mirror json has none") as info:
                await call()
            assert info.value.details == {"feature": "cas"}
        assert [e.value_json for e in await primary.get_values("t", ["a"])] == [b"1"]
        await store.put_values("t", [Entry("b", b'"y"')])
        await store.delete_values("t", ["a"])
        await store.write_values("t", [Entry("c", b"true")], ["b"], message="m")
        assert not store.failures
        on_disk = json.loads((tmp_path / "t.json").read_text())
        assert on_disk == {"c": {"value": True}}
        assert [e.path for e in await store.get_values("t", ["a", "b", "c"])] == ["c"]
        assert (await store.capabilities()).versioning == N, "json keeps no versions"
        await store.delete_tree("t")
        assert not (tmp_path / "t.json").exists() and await primary.list_trees() == []

    arun(go())


def test_a_failing_mirror_fails_the_write_and_it_is_undone_everywhere(arun, tmp_path: Path, caplog) -> None:
    async def go() -> None:
        target = tmp_path / "mirror"
        good = MemoryStore()
        store = MirroredStore(MemoryStore(), {"json": JsonFileStore({"dir": str(target)}), "memory": good})
        await store.put_values("t", [Entry("a", b"0"), Entry("keep", b"1")])
        (target / "t.json").rename(tmp_path / "t.json")
        target.rmdir()
        target.write_text("a file where the directory should be")
        with caplog.at_level(logging.WARNING, logger="zhi_gui.plugin.composition.mirrored"), \
                pytest.raises(E.StoreError, match=r"failed on mirror json.*no member changed"):
            await store.put_values("t", [Entry("a", b"1"), Entry("new", b"2")])
        for member in (store, good):  # every member or none
            assert {e.path: e.value_json for e in await member.get_values("t", [])} == {"a": b"0", "keep": b"1"}
        with pytest.raises(E.StoreError, match="no member changed"):
            await store.write_values("t", [Entry("x", b"1")], ["keep"])
        assert {e.path for e in await good.get_values("t", [])} == {"a", "keep"}
        assert [(f.mirror, f.operation) for f in store.failures] == [("json", "PutValues"), ("json", "WriteValues")]
        failure = store.failures[0]
        assert (failure.mirror, failure.operation, failure.tree_id) == ("json", "PutValues", "t")
        record = next(r for r in caplog.records if "mirror json" in r.getMessage())
        assert "PutValues of tree 't' failed" in record.getMessage() and str(target) in record.getMessage()
        assert "the write is undone on every member" in record.getMessage()

    arun(go())


def test_a_tree_deletion_a_mirror_refuses_is_undone(arun) -> None:
    class NoDelete(MemoryStore):
        async def delete_tree(self, tree_id: str) -> None:
            raise E.AccessDenied("this mirror keeps its trees")

    async def go() -> None:
        primary, good = MemoryStore(), MemoryStore()
        store = MirroredStore(primary, {"memory": good, "keeper": NoDelete()})
        await store.put_values("t", [Entry("a", b"1"), Entry("b/c", b'"x"', b'{"ui.order":1}')])
        with pytest.raises(E.StoreError, match=r"failed on mirror keeper.*no member changed"):
            await store.delete_tree("t")
        for member in (primary, good):
            assert [(e.path, e.value_json, e.metadata_json) for e in await member.get_values("t", [])] == [
                ("a", b"1", b""), ("b/c", b'"x"', b'{"ui.order":1}')]

    arun(go())


def test_primary_failure_fails_the_write_and_leaves_mirrors_alone(arun) -> None:
    async def go() -> None:
        mirror = MemoryStore()
        store = MirroredStore(MemoryStore({"auth": {"username": "u", "password": "p"}}), [mirror])
        with pytest.raises(E.AuthRequired):
            await store.put_values("t", [Entry("a", b"1")])
        assert await mirror.list_trees() == []
        await store.login("userpass", {"username": "u", "password": "p"})
        await store.put_values("t", [Entry("a", b"1")])
        assert await mirror.list_trees() == ["t"]
        assert (await store.capabilities()).auth is True

    arun(go())


def test_versioning_rpcs_follow_the_combined_mode(arun, tmp_path: Path) -> None:
    async def go() -> None:
        store = MirroredStore(MemoryStore(), {"json": JsonFileStore({"dir": str(tmp_path)})})
        await store.put_values("t", [Entry("a", b"1")])
        with pytest.raises(E.Unsupported, match="tree versioning is off for this mirrored store: mirror json"):
            await store.list_tree_versions("t")
        with pytest.raises(E.Unsupported):
            await store.describe_versions("t")
        with pytest.raises(E.Unsupported, match="value versioning is not supported"):
            await store.list_value_versions("t", "a")
        description = await store.describe()
        assert description.store_kind == "mirror" and "DescribeVersions" not in description.features
        with pytest.raises(E.Unsupported, match="lacking: json"):
            await store.list_access("t")

    arun(go())


def test_rollback_is_mirrored_when_every_member_versions(arun) -> None:
    async def go() -> None:
        primary, mirror = MemoryStore(), MemoryStore()
        store = MirroredStore(primary, [mirror])
        assert (await store.capabilities()).versioning == T
        await store.put_values("t", [Entry("a", b"1")])
        first = (await store.list_tree_versions("t"))[0]
        await store.put_values("t", [Entry("a", b"2"), Entry("b", b"3")])
        await store.rollback_tree("t", first)
        assert [(e.path, e.value_json) for e in await mirror.get_values("t", ["a", "b"])] == [("a", b"1")]
        assert (await mirror.describe_versions("t")).versions[0].message == f"rollback to {first}"
        assert len(await store.list_tree_versions("t")) == 3, "versions are the primary's"

        primary_v, mirror_v = MemoryStore({"versioning": "value"}), MemoryStore({"versioning": "value"})
        store = MirroredStore(primary_v, [mirror_v])
        await store.put_values("t", [Entry("a", b"1")])
        await store.put_values("t", [Entry("a", b"2")])
        old = (await store.list_value_versions("t", "a"))[-1]
        await store.rollback_value("t", "a", old)
        assert [e.value_json for e in await mirror_v.get_values("t", ["a"])] == [b"1"]

    arun(go())


def test_encryption_only_when_every_member_has_it(arun, tmp_path: Path) -> None:
    async def go() -> None:
        primary, mirror = MemoryStore(), MemoryStore()
        store = MirroredStore(primary, [mirror])
        assert (await store.capabilities()).encryption == E1
        await store.init_encryption(b"pw")
        assert (await primary.capabilities()).encryption == E2 and (await mirror.capabilities()).encryption == E2
        assert (await store.capabilities()).encryption == E2
        with pytest.raises(E.StoreError):
            await store.init_encryption(b"pw")  # already active: the primary's answer
        await store.rotate_encryption(b"pw", b"new")
        assert primary.passphrase == b"new" and mirror.passphrase == b"new"

        plain = MirroredStore(MemoryStore(), {"json": JsonFileStore({"dir": str(tmp_path)})})
        assert (await plain.capabilities()).encryption == E0
        with pytest.raises(E.Unsupported, match="lacking: json"):
            await plain.init_encryption(b"pw")

    arun(go())


def test_a_dead_mirror_counts_with_its_last_capabilities(arun) -> None:
    class Dying(DelegatingStore):
        dead = False

        async def capabilities(self) -> Capabilities:
            if self.dead:
                raise E.PluginUnavailable("gone")
            return await self.base.capabilities()

    async def go() -> None:
        mirror = Dying(MemoryStore({"versioning": "none"}))
        store = MirroredStore(MemoryStore(), {"m": mirror})
        assert (await store.capabilities()).versioning == N
        mirror.dead = True
        assert (await store.capabilities()).versioning == N, "not upgraded because a mirror stopped answering"
        never = Dying(MemoryStore())
        never.dead = True
        assert (await MirroredStore(MemoryStore(), [never]).capabilities()) == Capabilities()

    arun(go())


# --- merged config ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("mounts", "error", "words"), [
    ({"a/": DictConfig({}), "a/b/": DictConfig({})}, ValueError, "overlapping prefixes 'a/' and 'a/b/'"),
    ({"a/b/": DictConfig({}), "a/": DictConfig({})}, ValueError, "overlapping prefixes"),
    ({"a": DictConfig({}), "a/": DictConfig({})}, ValueError, "the same prefix twice 'a/' and 'a/'"),
    ({"": DictConfig({})}, ValueError, "empty prefix"),
    ({"A/": DictConfig({})}, ValueError, "invalid prefix 'A/'"),
    ({"a//": DictConfig({})}, ValueError, "invalid prefix"),
    ({"a/": None}, ValueError, "no plugin given for prefix 'a/'"),
    ({"a/": MemoryStore()}, TypeError, "not a ConfigPlugin"),
    ({}, ValueError, "at least one config plugin"),
])
def test_merged_config_rejects_bad_mounts(mounts: dict[str, ConfigPlugin], error: type[Exception],
                                          words: str) -> None:
    with pytest.raises(error, match=words.replace("(", r"\(")):
        MergedConfig(mounts)


def test_neighbouring_prefixes_do_not_overlap() -> None:
    merged = MergedConfig({"app/": DictConfig({}), "app2/": DictConfig({}), "ap": DictConfig({})})
    assert [p for p, _ in merged.mounts] == ["app/", "app2/", "ap/"]


def test_merged_config_routes_by_prefix_and_scopes_validation(arun) -> None:
    async def go() -> None:
        app, db = DictConfig({"name": "x", "port": 80}), DictConfig({"host": "h"})
        merged = MergedConfig({"app": app, "db/": db})
        assert await merged.list() == ["app/name", "app/port", "db/host"]
        assert (await merged.get("db/host")).value_json == b'"h"'
        assert not (await merged.get("db/nope")).found
        assert not (await merged.get("other/x")).found
        await merged.set("app/port", b"81")
        assert app.values["port"] == b"81"
        with pytest.raises(E.NotFound, match=r"no config plugin manages 'other/x' \(mounted: app/, db/\)"):
            await merged.set("other/x", b"1")
        tree = [Entry("app/name", b'"x"'), Entry("app/port", b"81"), Entry("db/host", b'"h"'), Entry("apple", b"1")]
        results = await merged.validate("app/port", tree)
        assert [r.message for r in results] == ["checked port"]
        assert app.seen == [("port", ["name", "port"])] and db.seen == []
        assert await merged.validate("other/x", tree) == []
        await merged.close()
        assert app.closed and db.closed

    arun(go())


def test_merged_list_failure_names_the_mount(arun) -> None:
    class Failing(DictConfig):
        async def list(self) -> list[str]:
            raise E.StoreError("backend down")

    with pytest.raises(E.StoreError, match="listing the config plugin mounted at 'b/': backend down"):
        arun(MergedConfig({"a/": DictConfig({"x": 1}), "b/": Failing({})}).list())


def test_delegating_types_are_stores() -> None:
    assert isinstance(DelegatingStore(MemoryStore()), Store)
    assert isinstance(MirroredStore(MemoryStore(), [MemoryStore()]), Store)
    assert isinstance(MergedConfig({"a/": DictConfig({})}), ConfigPlugin)
