"""Big writes: our plugins take one PutValues of any size as one write and one
version; a plain zhi (Go) plugin's 4 MiB limit means several calls, which
``StoreClient.split_count`` says in advance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import interop_binary, plugin_path
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

FILLER = "y" * 1000
ENTRIES = [Entry(f"big/v{i:04d}", json.dumps(f"{i}-{FILLER}").encode()) for i in range(6000)]  # ~6 MiB


def test_our_plugin_takes_a_big_write_as_one_version(arun: Any) -> None:
    async def go() -> None:
        async with await launch_store(plugin_path("memory")) as plugin:  # tree versioning
            store = plugin.store
            assert await store.split_count(ENTRIES) == 1
            await store.put_values("t", ENTRIES)
            assert len(await store.list_tree_versions("t")) == 1
            assert len(await store.get_values("t", [])) == len(ENTRIES)

    arun(go(), timeout=120)


def test_a_go_plugins_split_is_known_in_advance(arun: Any, tmp_path: Path) -> None:
    gopeer = interop_binary("zhi-store-gopeer")

    async def go() -> None:
        async with await launch_store(gopeer, extra_env={"PEER_STORE_FILE": str(tmp_path / "peer.json")}) as plugin:
            store = plugin.store
            parts = await store.split_count(ENTRIES)
            assert parts == 2
            assert await store.split_count(ENTRIES[:10]) == 1
            await store.put_values("t", ENTRIES)  # the split still works: every value arrives
            assert len(await store.get_values("t", [e.path for e in ENTRIES])) == len(ENTRIES)

    arun(go(), timeout=120)
