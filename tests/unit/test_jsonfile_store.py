"""JsonFileStore used directly: every operation, the hand-written zhi fixture,
tree-id escapes, corrupt files, atomic writes and crashes, options."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry, Permission, Versioning
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.bulk_checks import CheckedEntries
from zhi_gui.plugin.servicers import validated_entries
from zhi_gui.stores import jsonfile
from zhi_gui.stores.jsonfile import JsonFileStore

FIXTURES = ROOT / "tests" / "fixtures" / "zhi-json"

# What tests/fixtures/zhi-json/store/default.json holds (written from the spec).
DEFAULT_TREE: dict[str, tuple[Any, dict[str, Any]]] = {
    "app/debug": (False, {}),
    "app/greeting": ('Grüße, 世界! 👋 <b>Tom & Jerry</b> "quoted" back\\slash\nsecond line\ttab',
                     {"ui.format": "html", "ui.multiline": True}),
    "app/name": ("pokedex", {"config.required": True, "core.description": "Name shown in the title bar",
                             "ui.displayName": "Application name", "ui.order": 1}),
    "app/optional": (None, {}),
    "app/ratio": (0.75, {"core.type": "float"}),
    "app/tags": (["blue", "green", "red"], {"core.type": "list"}),
    "database/enabled": (True, {}),
    "database/host": ("db.internal", {"core.type": "hostname", "ui.group": "Database"}),
    "database/options": ({"limits": {"cpu": 2, "memory": "512Mi"},
                          "pool": [{"name": "primary", "weight": 3}, {"name": "replica", "weight": 1.5}],
                          "retries": [], "tls": {}}, {"core.type": "json"}),
    "database/password": ("s3cr3t", {"ui.password": True, "x.custom": {"nested": [1, "two", None]}}),
    "database/port": (5432, {"core.type": "port", "ui.enum": [5432, 5433]}),
    "database/timeout": (-1, {}),
}
# 3f2a9c0d1e4b5a67.json: value_json must be these exact bytes.
NUMBERS_TREE = {
    "limits/big": b"12345678901234567890",
    "limits/exp": b"1e21",
    "limits/max-int": b"9007199254740993",
    "limits/negative-zero": b"-0",
    "limits/one-point-zero": b"1.0",
    "limits/small": b"1.5e-7",
    "limits/string-number": b'"42"',
}


def strict_equal(a: Any, b: Any) -> bool:
    """JSON equality that also tells ints from floats and bools from numbers."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strict_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(strict_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.fixture
def zhi_dir(tmp_path: Path) -> Path:
    """A copy of the hand-written zhi store directory."""
    target = tmp_path / "store"
    shutil.copytree(FIXTURES / "store", target)
    return target


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "data" / "store"


def make(path: Path) -> JsonFileStore:
    return JsonFileStore({"dir": str(path)})


def tree_file(path: Path, tree_id: str) -> Path:
    return path / f"{tree_id}.json"


# --- the hand-written fixture -------------------------------------------------


def test_fixture_reads_back_exactly(arun, zhi_dir: Path) -> None:
    store = make(zhi_dir)
    assert arun(store.list_trees()) == ["3f2a9c0d1e4b5a67", "default", "empty"]
    entries = arun(store.get_values("default", []))
    assert [e.path for e in entries] == sorted(DEFAULT_TREE)
    for entry in entries:
        value, labels = DEFAULT_TREE[entry.path]
        assert strict_equal(json.loads(entry.value_json), value), entry.path
        assert entry.version == ""
        if labels:
            assert strict_equal(json.loads(entry.metadata_json), labels), entry.path
        else:
            assert entry.metadata_json == b"", entry.path
    numbers = {e.path: e.value_json for e in arun(store.get_values("3f2a9c0d1e4b5a67", []))}
    assert numbers == NUMBERS_TREE
    assert type(json.loads(numbers["limits/one-point-zero"])) is float
    assert json.loads(numbers["limits/big"]) == 12345678901234567890
    assert arun(store.get_values("empty", [])) == []


def test_fixture_untouched_by_reads_and_rewritten_identically(arun, zhi_dir: Path) -> None:
    store = make(zhi_dir)
    before = {p.name: p.read_bytes() for p in zhi_dir.iterdir()}
    arun(store.list_trees())
    for tree in ("default", "3f2a9c0d1e4b5a67", "empty"):
        arun(store.get_values(tree, []))
    assert {p.name: p.read_bytes() for p in zhi_dir.iterdir()} == before
    # rewriting an unchanged value rewrites the file byte for byte
    (entry,) = arun(store.get_values("default", ["app/name"]))
    arun(store.put_values("default", [entry]))
    assert tree_file(zhi_dir, "default").read_bytes() == before["default.json"]
    (entry,) = arun(store.get_values("3f2a9c0d1e4b5a67", ["limits/big"]))
    arun(store.put_values("3f2a9c0d1e4b5a67", [entry]))
    assert tree_file(zhi_dir, "3f2a9c0d1e4b5a67").read_bytes() == before["3f2a9c0d1e4b5a67.json"]


def test_fixture_listed_paths_and_missing(arun, zhi_dir: Path) -> None:
    store = make(zhi_dir)
    got = arun(store.get_values("default", ["database/port", "nope/missing", "app/debug", "database/port"]))
    assert [e.path for e in got] == ["database/port", "app/debug"]
    assert got[0].value_json == b"5432"
    assert arun(store.get_values("no-such-tree", ["app/debug"])) == []
    assert arun(store.get_values("no-such-tree", [])) == []


# --- every operation ------------------------------------------------------------


def test_put_creates_directory_tree_and_exact_file(arun, store_dir: Path) -> None:
    store = make(store_dir)
    assert arun(store.list_trees()) == []
    arun(store.put_values("t", [Entry("b/x", b'"x"', b"{}"), Entry("a/y", b"7", b'{"ui.order":1}')]))
    assert store_dir.is_dir()
    assert tree_file(store_dir, "t").read_bytes() == (
        b'{\n  "a/y": {\n    "value": 7,\n    "metadata": {\n      "ui.order": 1\n    }\n  },\n'
        b'  "b/x": {\n    "value": "x"\n  }\n}'
    )
    assert stat.S_IMODE(tree_file(store_dir, "t").stat().st_mode) == 0o644
    assert arun(store.list_trees()) == ["t"]


def test_put_overwrite_delete_roundtrip(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/b", b'"one"'), Entry("a/c", b"[1,2]", b'{"k":"v"}')]))
    arun(store.put_values("t", [Entry("a/b", b'"two"', b'{"ui.readonly":true}')]))
    got = {e.path: e for e in arun(store.get_values("t", []))}
    assert got["a/b"].value_json == b'"two"' and got["a/b"].metadata_json == b'{"ui.readonly":true}'
    assert got["a/c"].value_json == b"[1,2]" and got["a/c"].metadata_json == b'{"k":"v"}'
    arun(store.put_values("t", [Entry("a/b", b'"three"')]))  # metadata dropped by a write without it
    (entry,) = arun(store.get_values("t", ["a/b"]))
    assert entry.metadata_json == b""
    arun(store.delete_values("t", ["a/b", "x/missing"]))
    assert [e.path for e in arun(store.get_values("t", []))] == ["a/c"]
    arun(store.delete_values("t", ["a/c"]))
    assert tree_file(store_dir, "t").read_bytes() == b"{}"
    assert arun(store.list_trees()) == ["t"], "a tree without values still exists, as in zhi"


def test_empty_value_bytes_store_null(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/n", b"", b"")]))
    (entry,) = arun(store.get_values("t", ["a/n"]))
    assert entry.value_json == b"null"
    assert b'"value": null' in tree_file(store_dir, "t").read_bytes()


def test_no_op_writes_create_nothing(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", []))
    arun(store.delete_values("t", ["a/b"]))
    assert not store_dir.exists()
    arun(store.put_values("t", [Entry("a/b", b"1")]))
    mtime = tree_file(store_dir, "t").stat().st_mtime_ns
    arun(store.delete_values("t", ["not/there"]))
    assert tree_file(store_dir, "t").stat().st_mtime_ns == mtime


def test_delete_tree(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("a", [Entry("x/y", b"1")]))
    arun(store.put_values("b", [Entry("x/y", b"2")]))
    arun(store.delete_tree("a"))
    assert arun(store.list_trees()) == ["b"]
    assert arun(store.get_values("a", ["x/y"])) == []
    assert not tree_file(store_dir, "a").exists()
    arun(store.delete_tree("a"))  # missing = success
    arun(store.delete_tree("never-existed"))


def test_list_trees_ignores_everything_but_tree_files(arun, zhi_dir: Path) -> None:
    (zhi_dir / "dir.json").mkdir()
    (zhi_dir / ".x.json.tmp-abc").write_text("{")
    (zhi_dir / ".hidden.json").write_text("{}")
    (zhi_dir / ".json").write_text("{}")  # would be the empty tree id
    (zhi_dir / "name.json.json").write_text("{}")
    (zhi_dir / "default.json.corrupt-20250101T000000Z").write_text("{")
    store = make(zhi_dir)
    assert arun(store.list_trees()) == [".hidden", "3f2a9c0d1e4b5a67", "default", "empty", "name.json"]
    with pytest.raises(E.StoreCorrupt, match="directory"):
        arun(store.get_values("dir", []))


def test_odd_but_valid_tree_ids(arun, store_dir: Path) -> None:
    store = make(store_dir)
    for tree_id in ["ünïcode", "with space", "a.b", "x.json", "UPPER", "-dash", "0123456789abcdef"]:
        arun(store.put_values(tree_id, [Entry("a/b", b"1")]))
        assert tree_file(store_dir, tree_id).is_file()
    assert sorted(arun(store.list_trees())) == sorted(
        ["ünïcode", "with space", "a.b", "x.json", "UPPER", "-dash", "0123456789abcdef"])


def test_capabilities_and_unsupported_features(arun, store_dir: Path) -> None:
    store = make(store_dir)
    caps = arun(store.capabilities())
    assert (caps.versioning, caps.encryption, caps.auth, caps.access_control) == (
        Versioning.NONE, Encryption.NONE, False, False)
    assert arun(store.auth_methods()) == []
    calls = {
        "versioning": [store.list_tree_versions("t"), store.get_tree_version("t", "1", []),
                       store.rollback_tree("t", "1"), store.delete_tree_version("t", "1"),
                       store.list_value_versions("t", "a/b"), store.get_value_version("t", "a/b", "1"),
                       store.rollback_value("t", "a/b", "1"), store.delete_value_version("t", "a/b", "1"),
                       store.list_paths("t", "", "1"), store.describe_versions("t")],
        "encryption": [store.init_encryption(b"pw"), store.rotate_encryption(b"a", b"b")],
        "access_control": [store.grant_access("t", "u", [Permission("a/b", ())]),
                           store.revoke_access("t", "u", []), store.list_access("t")],
        "auth": [store.login("userpass", {})],
        "unlock": [store.unlock(b"x")],
    }
    for feature, coros in calls.items():
        for coro in coros:
            with pytest.raises(E.Unsupported) as info:
                arun(coro)
            assert feature in info.value.details.get("feature", "") or feature == "versioning"

    async def stream_version() -> None:
        async for _ in store.stream_tree("t", version="1"):
            pass

    with pytest.raises(E.Unsupported):
        arun(stream_version())


def test_cas_is_refused_and_nothing_written(arun, store_dir: Path) -> None:
    store = make(store_dir)
    for kwargs in ({"cas_version": "1"}, {"cas_versions": {"a/b": "3"}}):
        with pytest.raises(E.Unsupported) as info:
            arun(store.put_values("t", [Entry("a/b", b"1")], **kwargs))
        assert info.value.details["feature"] == "cas"
    for entries in ([Entry("a/b", b"1", b"", "v1")], [Entry("a/a", b"2"), Entry("a/b", b"1", b"", "v1")]):
        with pytest.raises(E.Unsupported):
            arun(store.put_values("t", entries))
        with pytest.raises(E.Unsupported):  # the same, checked by the servicer
            arun(store.put_values("t", validated_entries("t", cv.entries_to_pb(entries))))
    assert not store_dir.exists()
    # empty expectations are no CAS at all
    arun(store.put_values("t", [Entry("a/b", b"1", b"", "")], "", {"a/b": ""}))
    assert [e.path for e in arun(store.get_values("t", []))] == ["a/b"]


def test_bad_input_is_refused_and_nothing_written(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/b", b"1")]))
    before = tree_file(store_dir, "t").read_bytes()
    bad = [
        [Entry("Bad/Path", b"1")], [Entry("a//b", b"1")], [Entry("/a", b"1")], [Entry("", b"1")],
        [Entry("a/c", b"{")], [Entry("a/c", b"NaN")], [Entry("a/c", b"1", b"[1]")], [Entry("a/c", b"1", b'"x"')],
        [Entry("a/c", b"1"), Entry("a/d", b"nope")], [Entry("a/c", b"1e400")],
        [Entry("a/c", b"[" * 5000 + b"]" * 5000)],
    ]
    for entries in bad:
        with pytest.raises(E.InvalidArgument):
            arun(store.put_values("t", entries))
    assert tree_file(store_dir, "t").read_bytes() == before


def test_a_write_checked_by_the_servicer_is_written_as_any_other(arun, tmp_path: Path) -> None:
    """The servicer's checked entries skip the store's own checks of zhi's rules; the
    file is byte for byte the one the same write as a plain list makes, into a new
    tree and onto one that has values (puts replacing some, deletes)."""
    first = [Entry(f"svc{i % 7}/k{i:03d}", f'"v{i} <&>"'.encode() if i % 5 else b"12",
                   b'{"ui.password":true}' if i % 4 == 0 else b"") for i in range(200)]
    second = [Entry(f"svc{i % 7}/k{i:03d}", b"[1, 2]" if i % 2 else b"true") for i in range(150, 260)]
    third = [*first[10:20], Entry("svc0/nl", b'[1,\n "\xc3\xa9"]')]  # a newline: the values are not one text
    written = []
    for kind in ("plain", "checked"):
        store = make(tmp_path / kind)
        for entries, deletes in ((first, []), (second, ["svc1/k001", "svc2/k002"]), (third, [])):
            given = validated_entries("t", cv.entries_to_pb(entries)) if kind == "checked" else list(entries)
            assert isinstance(given, CheckedEntries) == (kind == "checked")
            arun(store.write_values("t", given, deletes))
        written.append(tree_file(tmp_path / kind, "t").read_bytes())
    assert written[0] == written[1]
    assert b'"svc3/k150": {\n    "value": true\n  }' in written[0] and b'"svc0/k259"' in written[0]
    assert b'"svc1/k001"' not in written[0] and b'"svc3/k003"' in written[0]
    assert '"svc0/nl": {\n    "value": [\n      1,\n      "\u00e9"\n    ]\n  }'.encode() in written[0]


def test_values_just_written_read_back_as_a_new_store_reads_them_from_the_file(arun, tmp_path: Path) -> None:
    """What a write keeps in memory (plain texts, labelled texts, parsed cells) reads back
    exactly as the file it wrote does when a new store reads it."""
    entries = [Entry("a/s", b'"x <&> \xc3\xa9"', b'{"ui.password":true,"b":[1,{}]}'), Entry("a/n", b"-7"),
               Entry("a/t", b"true", b'{"ui.order":2}'), Entry("a/o", b'{"k":[1.5,null]}', b'{"core.type":"json"}'),
               Entry("a/e", b"", b"{}"), Entry("a/z", b"null", b"null")]
    for kind in ("plain", "checked"):
        store = make(tmp_path / kind)
        given = validated_entries("t", cv.entries_to_pb(entries)) if kind == "checked" else entries
        arun(store.put_values("t", given))
        written = arun(store.get_values("t", []))
        assert written == arun(make(tmp_path / kind).get_values("t", []))
        assert {e.path: (e.value_json, e.metadata_json) for e in written} == {
            "a/s": (b'"x \\u003c\\u0026\\u003e \xc3\xa9"', b'{"b":[1,{}],"ui.password":true}'), "a/n": (b"-7", b""),
            "a/t": (b"true", b'{"ui.order":2}'), "a/o": (b'{"k":[1.5,null]}', b'{"core.type":"json"}'),
            "a/e": (b"null", b""), "a/z": (b"null", b"")}


def test_a_plain_list_of_entries_is_still_checked_by_the_store(arun, store_dir: Path) -> None:
    """Only the servicer's own checked entries skip the store's checks: the same
    entries in a plain list (an in-process caller) are refused, naming the path."""
    entries = [Entry("a/b", b"1"), Entry("a/Bad", b"2")]
    with pytest.raises(E.InvalidArgument, match="a/Bad"):
        arun(make(store_dir).put_values("t", entries))
    assert not tree_file(store_dir, "t").exists()


# --- extension --------------------------------------------------------------------


def test_describe_list_paths_stream_tree(arun, zhi_dir: Path) -> None:
    store = make(zhi_dir)
    assert store.serves_extension
    description = arun(store.describe())
    assert (description.api_version, description.store_kind, description.location, description.locked) == (
        1, "json", str(zhi_dir), False)
    assert {"ListPaths", "StreamTree", "WriteValues"} <= description.features
    assert arun(store.list_paths("default")) == sorted(DEFAULT_TREE)
    database = sorted(p for p in DEFAULT_TREE if p.startswith("database/"))
    assert arun(store.list_paths("default", "database/")) == database
    assert arun(store.list_paths("default", "app/name")) == ["app/name"]
    assert arun(store.list_paths("default", "app/na")) == []
    assert arun(store.list_paths("missing")) == []

    async def chunks(tree: str, **kwargs: Any) -> list[Any]:
        return [c async for c in store.stream_tree(tree, **kwargs)]

    got = arun(chunks("default", chunk_size=5))
    assert [len(c.entries) for c in got] == [5, 5, 2]
    assert all(c.total == len(DEFAULT_TREE) and c.version == "" for c in got)
    streamed = [e for c in got for e in c.entries]
    assert streamed == arun(store.get_values("default", []))
    got = arun(chunks("default", prefix="app/"))
    assert len(got) == 1 and got[0].total == 6
    got = arun(chunks("missing"))
    assert len(got) == 1 and got[0].entries == () and got[0].total == 0


def test_write_values_puts_and_deletes_in_one_write(arun, store_dir: Path, monkeypatch) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/old", b"1"), Entry("a/keep", b"2")]))
    writes: list[int] = []
    real_write = store._write

    def counting_write(tree_id: str, cells: dict[str, Any], **options: Any) -> None:
        writes.append(len(cells))
        real_write(tree_id, cells, **options)

    monkeypatch.setattr(store, "_write", counting_write)
    version = arun(store.write_values("t", [Entry("a/new", b"3")], ["a/old", "a/missing"], message="m"))
    assert version == ""
    assert writes == [2]
    assert [e.path for e in arun(store.get_values("t", []))] == ["a/keep", "a/new"]


# --- tree ids never escape -------------------------------------------------------------

ESCAPES = ["../x", "../../etc/passwd", "/etc/passwd", "/tmp/x", "a/b", "..", ".", "", "x\0y", "a\\b",
           "x\ny", "tab\there", "é" * 130, "x" * 251]


@pytest.mark.parametrize("tree_id", ESCAPES)
def test_tree_ids_that_escape_are_refused(arun, tmp_path: Path, tree_id: str) -> None:
    store_path = tmp_path / "s"
    store = make(store_path)
    operations = [
        lambda: store.get_values(tree_id, []),
        lambda: store.put_values(tree_id, [Entry("a/b", b"1")]),
        lambda: store.delete_values(tree_id, ["a/b"]),
        lambda: store.delete_tree(tree_id),
        lambda: store.list_paths(tree_id),
        lambda: store.write_values(tree_id, [Entry("a/b", b"1")]),
    ]
    for operation in operations:
        with pytest.raises(E.InvalidArgument):
            arun(operation())
    leftovers = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == []


def test_symlink_outside_the_directory_is_refused(arun, zhi_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text('{"a/b": {"value": "secret"}}')
    (zhi_dir / "evil.json").symlink_to(outside)
    (zhi_dir / "dotdot.json").symlink_to("../outside.json")
    store = make(zhi_dir)
    for tree in ("evil", "dotdot"):
        with pytest.raises(E.InvalidArgument, match="outside the store directory"):
            arun(store.get_values(tree, []))
        with pytest.raises(E.InvalidArgument):
            arun(store.put_values(tree, [Entry("a/b", b'"overwritten"')]))
        with pytest.raises(E.InvalidArgument):
            arun(store.delete_tree(tree))
    assert outside.read_text() == '{"a/b": {"value": "secret"}}'
    assert "evil" not in arun(store.list_trees()) and "dotdot" not in arun(store.list_trees())


def test_symlink_inside_the_directory_is_followed_and_kept(arun, zhi_dir: Path) -> None:
    (zhi_dir / "alias.json").symlink_to("default.json")
    store = make(zhi_dir)
    assert "alias" in arun(store.list_trees())
    assert arun(store.list_paths("alias")) == sorted(DEFAULT_TREE)
    arun(store.put_values("alias", [Entry("app/new", b"1")]))
    assert (zhi_dir / "alias.json").is_symlink()
    assert "app/new" in arun(store.list_paths("default"))
    arun(store.delete_tree("alias"))  # removes the name, not the target
    assert (zhi_dir / "default.json").is_file() and not (zhi_dir / "alias.json").exists()


def test_store_directory_through_a_symlink(arun, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    store = make(tmp_path / "link")
    arun(store.put_values("t", [Entry("a/b", b"1")]))
    assert (real / "t.json").is_file()
    assert arun(store.list_trees()) == ["t"]


# --- corrupt files -----------------------------------------------------------------------

CORRUPT = {
    "truncated": b'{\n  "app/name": {\n    "val',
    "not-an-object": b"[1, 2]",
    "entry-not-object": b'{"a/b": 5}',
    "bad-metadata": b'{"a/b": {"value": 1, "metadata": "x"}}',
    "binary": b"\x00\xff\xfe",
    "empty-file": b"",
}


@pytest.mark.parametrize("name", sorted(CORRUPT))
def test_corrupt_tree_is_reported_and_never_overwritten(arun, store_dir: Path, name: str) -> None:
    store_dir.mkdir(parents=True)
    path = tree_file(store_dir, "broken")
    path.write_bytes(CORRUPT[name])
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    store = make(store_dir)
    with pytest.raises(E.StoreCorrupt) as info:
        arun(store.get_values("broken", []))
    error = info.value
    assert str(path) in error.message and error.details["file"] == str(path)
    assert error.details["reason"] and error.details["reason"] in error.message
    assert error.details["tree_id"] == "broken"
    for operation in (
        lambda: store.put_values("broken", [Entry("a/b", b"1")]),
        lambda: store.delete_values("broken", ["a/b"]),
        lambda: store.write_values("broken", [Entry("a/c", b"1")], ["a/b"]),
        lambda: store.list_paths("broken"),
        lambda: store.get_values("broken", ["a/b"]),
    ):
        with pytest.raises(E.StoreCorrupt):
            arun(operation())
    assert path.read_bytes() == CORRUPT[name]
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert sorted(p.name for p in store_dir.iterdir()) == ["broken.json"], "no temp file left behind"
    assert "broken" in arun(store.list_trees())


def test_fixing_a_corrupt_file_by_hand_works_at_once(arun, store_dir: Path) -> None:
    store_dir.mkdir(parents=True)
    path = tree_file(store_dir, "t")
    path.write_bytes(b"{")
    store = make(store_dir)
    with pytest.raises(E.StoreCorrupt):
        arun(store.get_values("t", []))
    path.write_bytes(b'{"a/b": {"value": 1}}')
    assert [e.path for e in arun(store.get_values("t", []))] == ["a/b"]


def test_deleting_a_corrupt_tree_moves_the_file_aside(arun, store_dir: Path) -> None:
    store_dir.mkdir(parents=True)
    tree_file(store_dir, "broken").write_bytes(b"{oops")
    store = make(store_dir)
    arun(store.delete_tree("broken"))
    assert arun(store.list_trees()) == []
    (aside,) = store_dir.iterdir()
    assert aside.name.startswith("broken.json.corrupt-") and aside.read_bytes() == b"{oops"


def test_external_changes_are_seen(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/b", b"1")]))
    assert arun(store.list_paths("t")) == ["a/b"]
    replacement = store_dir / "replacement"
    replacement.write_text('{"c/d": {"value": 2}}')
    os.replace(replacement, tree_file(store_dir, "t"))  # as zhi itself writes: a new file
    assert arun(store.list_paths("t")) == ["c/d"]
    tree_file(store_dir, "t").unlink()
    assert arun(store.get_values("t", [])) == []


# --- atomic writes ------------------------------------------------------------------------------


def test_failed_rename_leaves_the_old_file(arun, zhi_dir: Path, monkeypatch) -> None:
    store = make(zhi_dir)
    before = tree_file(zhi_dir, "default").read_bytes()

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(jsonfile.os, "replace", failing_replace)
    with pytest.raises(E.StoreError, match="No space left on device") as info:
        arun(store.put_values("default", [Entry("app/name", b'"new"')]))
    assert str(tree_file(zhi_dir, "default")) in info.value.message
    monkeypatch.undo()
    assert tree_file(zhi_dir, "default").read_bytes() == before
    assert not [p for p in zhi_dir.iterdir() if ".tmp-" in p.name and p.name != ".default.json.tmp-1234567"]
    (entry,) = arun(store.get_values("default", ["app/name"]))
    assert entry.value_json == b'"pokedex"', "a failed write must not change what the store answers"


def test_failed_fsync_leaves_the_old_file(arun, zhi_dir: Path, monkeypatch) -> None:
    store = make(zhi_dir)
    before = tree_file(zhi_dir, "default").read_bytes()

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(jsonfile.os, "fsync", failing_fsync)
    with pytest.raises(E.StoreError, match="Input/output error"):
        arun(store.put_values("default", [Entry("app/name", b'"new"')]))
    monkeypatch.undo()
    assert tree_file(zhi_dir, "default").read_bytes() == before


CRASH_CHILD = textwrap.dedent("""
    import asyncio, os, sys
    from zhi_gui.core.model import Entry
    from zhi_gui.stores import jsonfile
    store = jsonfile.JsonFileStore({"dir": sys.argv[1]})
    def crash(src, dst):  # the process dies after the temp file is complete, before the rename
        os._exit(9)
    if sys.argv[2] == "before-rename":
        jsonfile.os.replace = crash
    elif sys.argv[2] == "mid-write":
        real_write = jsonfile.os.fdopen
        class Dying:
            def __init__(self, handle): self.handle = handle
            def __enter__(self): return self
            def __exit__(self, *exc): return False
            def write(self, data):
                self.handle.write(data[: len(data) // 2]); self.handle.flush(); os._exit(9)
        def fdopen(fd, mode, **kwargs):
            handle = real_write(fd, mode, **kwargs)
            return Dying(handle) if "w" in mode else handle
        jsonfile.os.fdopen = fdopen
    entries = [Entry(f"big/v{i:05d}", b'"new value"') for i in range(2000)]
    asyncio.run(store.put_values("default", entries))
    os._exit(0)
""")


@pytest.mark.parametrize("when", ["before-rename", "mid-write"])
def test_a_crash_during_a_write_leaves_the_old_file(arun, zhi_dir: Path, when: str) -> None:
    before = tree_file(zhi_dir, "default").read_bytes()
    result = subprocess.run([sys.executable, "-c", CRASH_CHILD, str(zhi_dir), when], cwd=ROOT,
                            capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr.decode()
    assert tree_file(zhi_dir, "default").read_bytes() == before
    leftovers = [p.name for p in zhi_dir.iterdir() if p.name.startswith(".default.json.tmp-")]
    assert len(leftovers) == 2, "the crashed write's temp file is left (like zhi's) and ignored"
    store = make(zhi_dir)
    assert arun(store.list_trees()) == ["3f2a9c0d1e4b5a67", "default", "empty"]
    assert arun(store.list_paths("default")) == sorted(DEFAULT_TREE)


# --- files, options, concurrency -------------------------------------------------------------------


def test_existing_file_mode_is_kept(arun, store_dir: Path) -> None:
    store = make(store_dir)
    arun(store.put_values("t", [Entry("a/b", b"1")]))
    tree_file(store_dir, "t").chmod(0o600)
    arun(store.put_values("t", [Entry("a/b", b"2")]))
    assert stat.S_IMODE(tree_file(store_dir, "t").stat().st_mode) == 0o600


def test_directory_from_option_env_or_default(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(jsonfile.DIR_ENV, raising=False)
    assert JsonFileStore({}).dir == str(tmp_path / ".zhi" / "store")
    monkeypatch.setenv(jsonfile.DIR_ENV, "from-env")
    assert JsonFileStore({}).dir == str(tmp_path / "from-env")
    assert JsonFileStore({"dir": "/somewhere/else"}).dir == "/somewhere/else"
    assert JsonFileStore({"dir": "rel"}).dir == str(tmp_path / "rel")
    assert JsonFileStore({}, environ={}).dir == str(tmp_path / ".zhi" / "store")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert JsonFileStore({"dir": "~/zs"}).dir == str(tmp_path / "home" / "zs")


def test_bad_directory_option(tmp_path: Path, caplog) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(E.InvalidArgument, match="not a directory"):
        JsonFileStore({"dir": str(tmp_path / "file")})
    with pytest.raises(E.InvalidArgument, match="must be a string"):
        JsonFileStore({"dir": 5})
    with caplog.at_level("WARNING", logger="zhi_gui.stores.jsonfile"):
        JsonFileStore({"dir": str(tmp_path / "d"), "versioning": "tree"})
    assert "versioning" in caplog.text


def test_concurrent_writes_all_land(arun, store_dir: Path) -> None:
    store = make(store_dir)

    async def go() -> None:
        await asyncio.gather(*(store.put_values("t", [Entry(f"k/v{i}", str(i).encode())]) for i in range(40)),
                             *(store.get_values("t", []) for _ in range(10)))

    arun(go())
    values = {e.path: int(e.value_json) for e in arun(store.get_values("t", []))}
    assert values == {f"k/v{i}": i for i in range(40)}


def test_big_write_does_not_block_the_event_loop(arun, store_dir: Path) -> None:
    store = make(store_dir)
    entries = [Entry(f"big/p{i:06d}", b'{"a":[1,2,3],"b":"some text"}', b'{"ui.order":1}') for i in range(30000)]

    async def go() -> int:
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.001)
                ticks += 1

        task = asyncio.create_task(ticker())
        await store.put_values("t", entries)
        await store.get_values("t", [])
        done.set()
        await task
        return ticks

    assert arun(go()) > 0
    assert len(arun(store.list_paths("t"))) == 30000
