"""A reload whose read overlaps a save of the same session (a reload after a
reconnect while the user saves) is read again: it never puts back what the save
replaced (real sqlite plugin)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import plugin_path
from zhi_gui.core.model import Entry
from zhi_gui.session import StoreSession, StoreTarget

Run = Callable[..., Any]


def test_a_save_during_a_reload_is_not_undone(arun: Run, short_tmp: Path) -> None:
    async def go() -> None:
        session = StoreSession()
        try:
            await session.open(StoreTarget(plugin_path("sqlite"), {"path": str(short_tmp / "s.sqlite"),
                                                                    "create": True}, "t"))
            await session.store.write_values("t", [Entry("a/x", b'"theirs"')])
            await session.load_tree("t")
            session.stage_set("a/x", b'"mine"', b"")
            real = session._read_tree
            calls: list[int] = []

            async def read_then_save(store: Any, tree_id: str) -> Any:
                result = await real(store, tree_id)  # read before the save below lands
                calls.append(len(calls))
                if len(calls) == 1:
                    assert (await session.save("lands during the read")).saved
                return result

            session._read_tree = read_then_save  # type: ignore[method-assign]
            await session.load_tree("t")
            assert calls == [0, 1], "read again"
            assert session.index.entries["a/x"].value_json == b'"mine"'
        finally:
            await session.close()

    arun(go())
