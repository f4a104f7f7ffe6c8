"""Export and import through a real session on a real sqlite plugin process: a
round trip per format into an empty tree (one version), older versions, subtrees,
replace mode, and a conflict when the store moves between preview and save."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import interop_binary, plugin_path
from zhi_gui.core.jsonvalues import decode_metadata, decode_value, encode_metadata, encode_value
from zhi_gui.core.model import Entry
from zhi_gui.core.sample import sample_entries
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreSession, StoreTarget
from zhi_gui.transfer import (
    MASK,
    Format,
    ImportConflict,
    Kind,
    apply_import,
    decode,
    encode,
    export_tree,
    preview_import,
)

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
LABELS_GO_ALONG = (Format.ZHI, Format.JSON, Format.YAML)


def sqlite(store_file: Path, tree: str) -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, tree)


def every_type() -> list[Entry]:
    extra = [
        Entry("types/null", b"null"), Entry("types/bool", b"false"), Entry("types/int", b"-42"),
        Entry("types/float", b"0.125"), Entry("types/big", b"1e+300"), Entry("types/text", b'"a\\nb <&> \\"q\\""'),
        Entry("types/array", b'[1,"two",[true],{"k":null}]'), Entry("types/object", b'{"a":{"b":1}}'),
        Entry("types/empty", b"{}"), Entry("types/group", b"1"), Entry("types/group/child", b'"x"'),
        Entry("types/labelled", b"8080", encode_metadata({"core.type": "port", "ui": {"enum": [8080, 8081]}})),
    ]
    return [e._replace(value_json=encode_value(decode_value(e.value_json))) for e in [*sample_entries(), *extra]]


async def write_elsewhere(store_file: Path, tree: str, entries: list[Entry]) -> None:
    """Another program saves to the same store."""
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file), "create": True})
    try:
        await plugin.store.write_values(tree, entries, message="elsewhere")
    finally:
        await plugin.close()


def test_round_trip_per_format_into_an_empty_tree(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"
    source = {e.path: e for e in every_type()}

    async def go() -> None:
        session = StoreSession()
        await session.open(sqlite(store, "src"))
        try:
            await session.create_tree("src", list(source.values()))
            await session.load_tree("src")
            for fmt in Format:
                await session.load_tree("src")
                if fmt is Format.TOML:
                    nulls = {p for p, e in source.items() if b"null" in e.value_json}
                    with pytest.raises(Exception, match="TOML has no null"):
                        await export_tree(session, fmt)
                    data = encode({p: e for p, e in session.index.entries.items() if p not in nulls}, fmt,
                                  include_secrets=True)
                else:
                    nulls = set()
                    data = await export_tree(session, fmt, include_secrets=True)
                expected = {p: e for p, e in source.items() if p not in nulls}
                tree = f"dst-{fmt.value}"
                await session.load_tree(tree)
                assert not session.index.entries
                preview = await preview_import(session, decode(data, fmt))
                assert preview.count(Kind.ADD) == len(expected) and len(preview.writes) == len(expected)
                outcome = await apply_import(session, preview, f"import {fmt.value}")
                assert outcome.saved and outcome.count == len(expected)
                assert await session.store.list_tree_versions(tree) == [outcome.version]  # one version
                await session.load_tree(tree)
                got = session.index.entries
                assert set(got) == set(expected), fmt
                for path, entry in expected.items():
                    assert got[path].value_json == entry.value_json, (fmt, path)
                    if fmt in LABELS_GO_ALONG:
                        assert decode_metadata(got[path].metadata_json) == decode_metadata(entry.metadata_json)
                # Exported again (secrets masked) and imported: nothing to do.
                again = await preview_import(session, decode(await export_tree(session, fmt), fmt))
                assert again.writes == [], (fmt, again.lines())
        finally:
            await session.close()

    arun(go(), 120)


def test_export_an_older_version_and_a_subtree(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        session = StoreSession()
        await session.open(sqlite(store, "main"))
        try:
            await session.create_tree("main", [Entry("app/port", b"80"), Entry("app/name", b'"a"'),
                                               Entry("db/pw", b'"s3cret"', encode_metadata({"ui.password": True}))])
            await session.load_tree("main")
            first = session.head_version
            session.stage_set("app/port", b"81", b"")
            await session.save("port 81")
            old = decode(await export_tree(session, Format.JSON, version=first), Format.JSON)
            assert old["app/port"].value_json == b"80"
            head = decode(await export_tree(session, Format.YAML, prefix="app"), Format.YAML)
            assert {p: i.value_json for p, i in head.items()} == {"port": b"81", "name": b'"a"'}
            masked = await export_tree(session, Format.ZHI)
            assert b"s3cret" not in masked and MASK.encode() in masked
        finally:
            await session.close()

    arun(go())


def test_replace_deletes_only_below_the_prefix(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        session = StoreSession()
        await session.open(sqlite(store, "main"))
        try:
            await session.create_tree("main", [Entry("app/a", b"1"), Entry("app/b", b"2"), Entry("other/c", b"3")])
            await session.load_tree("main")
            imported = decode(b"a=1\nnew=4\n", Format.PROPERTIES)
            merge = await preview_import(session, imported, prefix="app")
            assert [(c.path, c.kind) for c in merge.changes] == [("app/a", Kind.UNCHANGED), ("app/new", Kind.ADD)]
            replace = await preview_import(session, imported, prefix="app", replace=True)
            assert [(c.path, c.kind) for c in replace.writes] == [("app/b", Kind.DELETE), ("app/new", Kind.ADD)]
            await apply_import(session, replace, "replace app")
            assert {p: e.value_json for p, e in session.index.entries.items()} == {
                "app/a": b"1", "app/new": b"4", "other/c": b"3"}
        finally:
            await session.close()

    arun(go())


def test_a_conflict_during_import_writes_nothing(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        session = StoreSession()
        await session.open(sqlite(store, "main"))
        try:
            await session.create_tree("main", [Entry("app/port", b"80")])
            await session.load_tree("main")
            preview = await preview_import(session, decode(b'{"app": {"port": 81, "new": true}}', Format.JSON))
            assert preview.count(Kind.UPDATE) == 1 and preview.count(Kind.ADD) == 1
            await write_elsewhere(store, "main", [Entry("app/port", b"99")])
            with pytest.raises(ImportConflict, match="changed since the preview"):
                await apply_import(session, preview, "import")
            assert not session.staging  # nothing of the import is left staged
            fresh = {e.path: e.value_json for e in await session.store.get_values("main", [])}
            assert fresh == {"app/port": b"99"}  # theirs kept, nothing of ours written
        finally:
            await session.close()

    arun(go())


def test_import_with_staged_edits_pending_is_refused(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        session = StoreSession()
        await session.open(sqlite(store, "main"))
        try:
            await session.create_tree("main", [Entry("a", b"1")])
            await session.load_tree("main")
            session.stage_set("a", b"2", b"")
            preview = await preview_import(session, decode(b"a: 3\n", Format.YAML))
            with pytest.raises(Exception, match="staged edit"):
                await apply_import(session, preview, "import")
            assert session.staging.get("a") is not None  # the user's own edit is untouched
        finally:
            await session.close()

    arun(go())


def test_a_store_without_versions_is_compared_value_by_value(arun: Run[Any], short_tmp: Path) -> None:
    """zhi-store-json keeps no versions: a value changed on disk after the preview stops the import."""
    directory = short_tmp / "data"
    directory.mkdir()
    target = StoreTarget(plugin_path("json"), {"directory": str(directory)}, "main")

    async def go() -> None:
        session = StoreSession()
        await session.open(target)
        try:
            await session.create_tree("main", [Entry("app/port", b"80")])
            await session.load_tree("main")
            data = await export_tree(session, Format.ZHI)
            assert data == (directory / "main.json").read_bytes()  # zhi's own file, byte for byte
            preview = await preview_import(session, decode(b'{"app": {"port": 81}}', Format.JSON))
            other = await launch_store(plugin_path("json"), options={"directory": str(directory)})
            try:
                await other.store.put_values("main", [Entry("app/port", b"99")])
            finally:
                await other.close()
            with pytest.raises(ImportConflict, match="app/port"):
                await apply_import(session, preview, "import")
            assert not session.staging
            assert b"99" in (directory / "main.json").read_bytes()
            # Previewed again on the fresh tree, it goes through.
            await session.load_tree("main")
            fresh = await preview_import(session, decode(b"app:\n  port: 81\n", Format.YAML))
            outcome = await apply_import(session, fresh, "import")
            assert outcome.saved and b"81" in (directory / "main.json").read_bytes()
        finally:
            await session.close()

    arun(go())


@pytest.mark.interop
def test_import_into_zhis_go_store(arun: Run[Any]) -> None:
    """zhi's Go store (no WriteValues; an empty tree lists nothing, so zhi-gui cannot tell
    its keys): replace mode is refused, adds and updates go through with CAS."""
    target = StoreTarget(interop_binary("zhi-store-gopeer"), {}, "t")

    async def go() -> None:
        session = StoreSession()
        await session.open(target)
        try:
            assert not session.lists_keys
            imported = decode(b"app:\n  name: old\n  port: 1\n", Format.YAML)
            with pytest.raises(Exception, match="cannot list its keys"):
                await preview_import(session, imported, replace=True)
            preview = await preview_import(session, imported)
            assert [(c.path, c.kind) for c in preview.changes] == [("app/name", Kind.ADD), ("app/port", Kind.ADD)]
            assert (await apply_import(session, preview, "import")).saved
            await session.load_tree("t")
            again = await preview_import(session, decode(b"app:\n  name: new\n  port: 1\n", Format.YAML))
            assert [(c.path, c.kind) for c in again.changes] == [("app/name", Kind.UPDATE),
                                                                 ("app/port", Kind.UNCHANGED)]
            outcome = await apply_import(session, again, "import")
            assert outcome.saved and outcome.count == 1
            got = {e.path: e.value_json for e in await session.store.get_values("t", ["app/name", "app/port"])}
            assert got == {"app/name": b'"new"', "app/port": b"1"}
        finally:
            await session.close()

    arun(go())
