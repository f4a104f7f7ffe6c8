"""ListChildren and Search of the sqlite plugin (real plugin process, real file):
what a window needs of a big tree, answered by the store."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

SQLITE = plugin_path("sqlite")
Run = Callable[..., Any]
PATHS = ["a", "a/b", "a/c/d", "a-x", "a-x/y", "a.z", "a0", "b/c", "b/pw"]


def entries() -> list[Entry]:
    out = [Entry(p, f'"v-{p}"'.encode()) for p in PATHS]
    out[-1] = Entry("b/pw", b'"hunter2-secret"', b'{"ui.password":true}')
    return out


def test_children_with_counts_in_name_order_also_of_old_versions(arun: Run, short_tmp: Path) -> None:
    async def go() -> None:
        async with await launch_store(SQLITE, options={"path": str(short_tmp / "s.sqlite"), "create": True}) as p:
            store = p.store
            v1 = await store.write_values("t", entries())
            root = await store.list_children("t")
            assert [(c.name, c.values, c.has_children, c.entry.value_json if c.entry else None)
                    for c in root.children] == [
                ("a", 3, True, b'"v-a"'), ("a-x", 2, True, b'"v-a-x"'), ("a.z", 1, False, b'"v-a.z"'),
                ("a0", 1, False, b'"v-a0"'), ("b", 2, True, None)]
            assert root.version == v1
            a = await store.list_children("t", "a")
            assert [(c.name, c.values, c.has_children) for c in a.children] == [("b", 1, False), ("c", 1, True)]
            assert [c.name for c in (await store.list_children("t", "a/c")).children] == ["d"]
            assert (await store.list_children("t", "nothing/here")).children == ()

            v2 = await store.write_values("t", [Entry("a/new", b"1")], ["a-x/y", "a-x", "a0"])
            now = await store.list_children("t")
            assert [c.name for c in now.children] == ["a", "a.z", "b"] and now.version == v2
            then = await store.list_children("t", "", v1)  # an old version, from the history
            assert [c.name for c in then.children] == ["a", "a-x", "a.z", "a0", "b"] and then.version == v1
            assert [c.name for c in (await store.list_children("t", "a")).children] == ["b", "c", "new"]
            with pytest.raises(E.NotFound):
                await store.list_children("t", "", "12345")
            with pytest.raises(E.InvalidArgument):
                await store.list_children("t", "Bad Path")
            assert {"ListChildren", "Search"} <= (await store.describe()).features

    arun(go())


def test_search_keys_and_values_secrets_by_key_only_kept_current_by_writes(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "s.sqlite"

    async def go() -> None:
        async with await launch_store(SQLITE, options={"path": str(db), "create": True}) as p:
            store = p.store
            v1 = await store.write_values("t", entries())
            found = await store.search("t", "A/C")  # case-insensitive, the key
            assert found.paths == ("a/c/d",) and found.total == 1 and found.version == v1
            assert (await store.search("t", "v-a-x")).paths == ("a-x", "a-x/y")  # the value text
            assert (await store.search("t", "hunter2")).paths == (), "a secret's value is never searched"
            assert (await store.search("t", "pw")).paths == ("b/pw",), "a secret is found by its key"
            limited = await store.search("t", "v-", limit=2)
            assert len(limited.paths) == 2 and limited.total == 8
            assert (await store.search("t", "z")).paths == ("a.z",)  # shorter than a trigram: scanned

            v2 = await store.write_values("t", [Entry("b/new", b'"needle"')], ["a-x/y"])
            assert (await store.search("t", "needle")).paths == ("b/new",)
            assert (await store.search("t", "a-x/y")).paths == ()
            assert (await store.search("t", "a-x/y", v1)).paths == ("a-x/y",), "an old version is searched too"
            await store.rollback_tree("t", v1)
            assert (await store.search("t", "needle")).paths == ()  # rebuilt after a rollback
            assert (await store.search("t", "a-x/y")).version not in ("", v2)
            with pytest.raises(E.InvalidArgument):
                await store.search("t", "   ")

        # another process writes: the first one notices the moved head and rebuilds
        async with await launch_store(SQLITE, options={"path": str(db)}) as one, \
                await launch_store(SQLITE, options={"path": str(db)}) as other:
            assert (await one.store.search("t", "elsewhere")).paths == ()
            await other.store.write_values("t", [Entry("c/x", b'"elsewhere"')])
            assert (await one.store.search("t", "elsewhere")).paths == ("c/x",)

    arun(go())


def test_a_locked_store_answers_neither(arun: Run, short_tmp: Path) -> None:
    async def go() -> None:
        async with await launch_store(SQLITE, options={"path": str(short_tmp / "s.sqlite"), "create": True}) as p:
            store = p.store
            await store.write_values("t", entries())
            await store.init_encryption(b"a long passphrase")
            assert (await store.search("t", "v-a0")).paths == ("a0",)
            await store.lock()
            with pytest.raises(E.StoreLocked):
                await store.search("t", "v-a0")
            with pytest.raises(E.StoreLocked):
                await store.list_children("t")
            await store.unlock(b"a long passphrase")
            assert (await store.search("t", "v-a0")).paths == ("a0",)

    arun(go())
