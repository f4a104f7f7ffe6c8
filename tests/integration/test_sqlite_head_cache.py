"""Two real zhi-store-sqlite processes on one file: the one that has read a tree
whole (and keeps it, see ``stores.sqlite.heads``) answers what the other one
wrote, and reports damage written after its read."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

SQLITE_PLUGIN = plugin_path("sqlite")
Run = Callable[..., Any]


def test_a_kept_tree_follows_the_other_process(arun: Run, short_tmp: Path) -> None:
    db = short_tmp / "shared.db"
    tree = [Entry(f"svc{i % 13}/key{i:05d}", f'"v{i}"'.encode()) for i in range(3000)]
    paths = [e.path for e in tree]

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db), "create": True}) as reader, \
                await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as writer:
            first = await reader.store.write_values("t", tree)
            for _ in range(2):  # read from the file, then from the plugin's memory
                got = await reader.store.get_values("t", paths)
                assert [(e.path, e.value_json, e.version) for e in got] == [
                    (e.path, e.value_json, first) for e in tree]

            second = await writer.store.write_values("t", [Entry("svc0/key00000", b'"new"')], ["svc1/key00001"])
            got = await reader.store.get_values("t", paths)
            assert len(got) == len(tree) - 1 and "svc1/key00001" not in {e.path for e in got}
            assert got[0] == Entry("svc0/key00000", b'"new"', b"", second)
            streamed = [e async for chunk in reader.store.stream_tree("t") for e in chunk.entries]
            assert streamed == sorted(got, key=lambda e: e.path)

            with closing(sqlite3.connect(db)) as conn:  # a value's bytes change, its checksum does not
                conn.execute("UPDATE changes SET value = CAST('\"x\"' AS BLOB) WHERE pid = "
                             "(SELECT pid FROM paths WHERE path = 'svc2/key00002')")
                conn.commit()
            with pytest.raises(E.DataLoss) as loss:
                await reader.store.get_values("t", paths)
            assert loss.value.paths == ["svc2/key00002"]
            rest = [p for p in paths if p not in ("svc1/key00001", "svc2/key00002")]
            assert [e.path for e in await reader.store.get_values("t", rest)] == rest

    arun(go(), timeout=120)
