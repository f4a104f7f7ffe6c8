"""A re-encryption of a big sqlite store stopped half-way over the wire: the plugin
rolls its one transaction back, so the old passphrase still opens every value
(and the new one opens nothing); a stopped first encryption leaves the store plain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.big_stores import BULK_TREE, build_store, bulk_path, bulk_value, copy_store, holds_write_lock
from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption
from zhi_gui.plugin.launcher import launch_store

SQLITE_PLUGIN = plugin_path("sqlite")
VALUES = 200_000  # a rewrite of this many rows takes seconds: the cancel lands inside it
OLD, NEW = b"old passphrase of the big store", b"new passphrase never committed"
Run = Callable[..., Any]


@pytest.fixture(scope="module")
def big_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("big")
    return {"encrypted": build_store(root / "encrypted.sqlite", VALUES, OLD),
            "plain": build_store(root / "plain.sqlite", VALUES)}


async def started_then_cancelled(call: asyncio.Task[Any], db: Path) -> None:
    """Cancel ``call`` once the plugin is inside its rewrite transaction."""
    await wait_until_writing(db, call)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


async def wait_until_writing(db: Path, call: asyncio.Task[Any] | None = None, timeout: float = 60) -> None:
    """Until some connection holds ``db``'s write lock (the plugin's re-encryption runs)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not holds_write_lock(db):
        assert call is None or not call.done(), "the call ended before its rewrite was seen"
        assert asyncio.get_running_loop().time() < deadline, "the plugin never started writing"
        await asyncio.sleep(0.01)  # polling the condition, not a fixed pause


async def every_value_reads(store: Any) -> None:
    entries = await store.get_values(BULK_TREE, [])
    assert len(entries) == VALUES
    by_path = {e.path: e.value_json for e in entries}
    assert all(by_path[bulk_path(i)] == bulk_value(i) for i in range(VALUES))


def test_a_cancelled_rotation_leaves_the_old_passphrase_working(arun: Run, short_tmp: Path,
                                                                  big_stores: dict[str, Path]) -> None:
    db = copy_store(big_stores["encrypted"], short_tmp / "store.sqlite")

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            store = plugin.store
            await store.unlock(OLD)
            await started_then_cancelled(asyncio.ensure_future(store.rotate_encryption(OLD, NEW)), db)
            await store.lock()  # queued behind the rewrite: answers once it rolled back
            with pytest.raises(E.WrongPassphrase):
                await store.unlock(NEW)
            await store.unlock(OLD)
            await every_value_reads(store)
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:  # on disk too
            with pytest.raises(E.WrongPassphrase):
                await plugin.store.unlock(NEW)
            await plugin.store.unlock(OLD)
            await every_value_reads(plugin.store)

    arun(go(), 240)


def test_a_cancelled_first_encryption_leaves_the_store_plain(arun: Run, short_tmp: Path,
                                                              big_stores: dict[str, Path]) -> None:
    db = copy_store(big_stores["plain"], short_tmp / "store.sqlite")

    async def go() -> None:
        async with await launch_store(SQLITE_PLUGIN, options={"path": str(db)}) as plugin:
            store = plugin.store
            await started_then_cancelled(asyncio.ensure_future(store.init_encryption(NEW)), db)
            assert (await store.capabilities()).encryption == Encryption.SUPPORTED
            await every_value_reads(store)
        assert b"value number 123456" in db.read_bytes(), "still plain text on disk"

    arun(go(), 240)
