"""Huge or odd input answers INVALID_ARGUMENT with a short message from every
plugin of ours: a 10 KB path or tree id (the refusal once quoted it whole and
the 16 KiB trailer limit turned it into RESOURCE_EXHAUSTED), JSON nested
deeper than the codec's limit, odd prefixes (never INTERNAL)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.jsonvalues import MAX_DEPTH
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

PLUGINS = ["memory", "json", "sqlite", "mirror"]
HUGE = "a" * 10_000
ODD_PREFIXES = ["/", "a//", "//", "\x00", "%", "_", HUGE, "a/\\", "A", "..", " ", "*", "[", "\n", "a/" * 3000]


def options(name: str, where: Path) -> dict[str, Any]:
    return {"memory": {}, "json": {"directory": str(where / "j")},
            "sqlite": {"path": str(where / "s.db"), "create": True}, "mirror": {"mirror_dir": str(where / "m")}}[name]


async def refused_briefly(call: Callable[[], Awaitable[Any]]) -> None:
    with pytest.raises(E.InvalidArgument) as info:
        await call()
    assert len(info.value.message) < 400, info.value.message[:200]
    assert all(len(v) <= 256 for v in info.value.details.values())


@pytest.mark.parametrize("name", PLUGINS)
def test_huge_and_odd_input_is_refused_briefly(arun: Any, short_tmp: Path, name: str) -> None:
    async def go() -> None:
        async with await launch_store(plugin_path(name), options=options(name, short_tmp)) as plugin:
            store = plugin.store
            await store.put_values("t", [Entry("a/b", b"1")])
            for path in (HUGE, "a/" * 5000 + "b"):
                await refused_briefly(lambda p=path: store.put_values("t", [Entry(p, b"1")]))
                await refused_briefly(lambda p=path: store.write_values("t", [], [p]))
            await refused_briefly(lambda: store.put_values(HUGE, [Entry("a/b", b"1")]))
            await refused_briefly(lambda: store.get_values(HUGE, ["a/b"]))
            await refused_briefly(lambda: store.list_paths(HUGE))
            await refused_briefly(lambda: store.delete_tree(HUGE))
            deep = b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1)
            await refused_briefly(lambda: store.put_values("t", [Entry("a/c", deep)]))
            await refused_briefly(lambda: store.put_values("t", [Entry("a/c", b"1", b'{"x":' + deep + b"}")]))
            ok = b"[" * MAX_DEPTH + b"]" * MAX_DEPTH
            await store.put_values("t", [Entry("a/d", ok)])
            assert [e.value_json for e in await store.get_values("t", ["a/d"])] == [ok]
            for prefix in ODD_PREFIXES:  # an answer or INVALID_ARGUMENT, never INTERNAL
                try:
                    await store.list_paths("t", prefix)
                    async for _ in store.stream_tree("t", prefix=prefix):
                        pass
                except E.InvalidArgument as exc:
                    assert len(exc.message) < 400
            assert {e.path for e in await store.get_values("t", [])} == {"a/b", "a/d"}

    arun(go(), timeout=120)
