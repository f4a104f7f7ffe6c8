"""The Qt-free session against real plugin processes (no QApplication): save,
CAS conflicts and the conflict policy, changes made elsewhere and the reload
that keeps staged edits, reconnect after a crash, lock, and edits bound to
their store and tree."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.plugin.supervisor import PluginState
from zhi_gui.services.settings import Settings
from zhi_gui.session import (
    MAX_SAVE_ATTEMPTS,
    ChangesElsewhere,
    Conflict,
    SessionMemory,
    StagedEditsPending,
    StoreSession,
    StoreTarget,
    WrongTarget,
)

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


def sqlite(store_file: Path, tree: str = "main") -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, tree)


async def seeded(store_file: Path, tree: str = "main", **values: str) -> None:
    """Write values with a second, independent client (another program)."""
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file), "create": True})
    try:
        entries = [Entry(path.replace("__", "/"), value.encode()) for path, value in values.items()]
        await plugin.store.write_values(tree, entries, message="elsewhere")
    finally:
        await plugin.close()


async def opened(target: StoreTarget, memory: SessionMemory | None = None) -> StoreSession:
    session = StoreSession(memory)
    await session.open(target)
    return session


def test_save_writes_one_version_and_clears_staging(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a__x="1", a__y='"two"')
        session = await opened(sqlite(store))
        try:
            saved: list[str] = []
            session.saved.connect(saved.append)
            assert set(session.index.entries) == {"a/x", "a/y"} and session.can_edit
            session.stage_set("a/x", b"10", b"")
            session.stage_set("b/new", b"true", b"")
            session.stage_delete(["a/y"])
            outcome = await session.save("three edits")
            assert outcome.saved and outcome.count == 3 and outcome.version
            assert saved == [outcome.version] and not session.staging and session.draft_message == ""
            assert session.index.entries["a/x"].value_json == b"10"
            assert "a/y" not in session.index.entries
            assert session.head_version == outcome.version
            assert (await session.save("nothing")).saved is False
        finally:
            await session.close()

    arun(go())


def test_edits_staged_while_a_save_runs_are_kept_for_the_next_save(arun: Run[Any], short_tmp: Path) -> None:
    """The user may type while a save is in flight: what the save did not carry stays staged
    (a key it wrote, edited again, against what it wrote), and the next save writes it."""
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a__x="1")
        session = await opened(sqlite(store))
        try:
            plugin = await session.store_ready()
            write = plugin.write_values

            async def write_while_the_user_types(*args: Any, **kwargs: Any) -> str:
                call = asyncio.ensure_future(write(*args, **kwargs))
                await asyncio.sleep(0)
                session.stage_set("b/typed", b"2", b"")  # another key, staged meanwhile
                session.stage_set("a/x", b"11", b"")  # the key being saved, edited again
                return await call

            plugin.write_values = write_while_the_user_types  # type: ignore[method-assign]
            session.stage_set("a/x", b"10", b"")
            first = await session.save("first")
            plugin.write_values = write  # type: ignore[method-assign]
            assert first.saved and first.count == 1
            assert sorted(session.staging.changes) == ["a/x", "b/typed"], "nothing typed meanwhile is lost"
            assert session.index.entries["a/x"].value_json == b"10"
            second = await session.save("second")
            assert second.saved and second.count == 2, "no conflict with its own first save"
            values = {e.path: e.value_json for e in await plugin.get_values("main", [])}
            assert values == {"a/x": b"11", "b/typed": b"2"} and not session.staging
        finally:
            await session.close()

    arun(go())


def test_cas_conflict_policy_keep_mine_take_theirs_or_stop(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, k1="1", k2="2")
        session = await opened(sqlite(store))
        try:
            session.stage_set("k1", b"100", b"")
            session.stage_set("k2", b"200", b"")
            await seeded(store, k1="11", k2="22")  # someone else saves both keys meanwhile
            asked: list[list[Conflict]] = []

            async def stop(conflicts: list[Conflict]) -> list[bool] | None:
                asked.append(conflicts)
                return None

            outcome = await session.save("my message", stop)
            assert not outcome.saved and len(session.staging) == 2, "stopping keeps every edit staged"
            assert session.draft_message == "my message", "the typed message is kept for the next review"
            assert [c.path for c in asked[0]] == ["k1", "k2"]
            assert asked[0][0].theirs is not None and asked[0][0].theirs.value_json == b"11"

            async def keep_first(conflicts: list[Conflict]) -> list[bool] | None:
                return [c.path == "k1" for c in conflicts]

            outcome = await session.save(session.draft_message, keep_first)
            assert outcome.saved and outcome.count == 1
            assert session.index.entries["k1"].value_json == b"100", "mine kept"
            assert session.index.entries["k2"].value_json == b"22", "theirs taken"
            assert not session.staging
        finally:
            await session.close()

    arun(go())


def test_a_store_that_keeps_changing_stops_after_capped_retries(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, k="0")
        session = await opened(sqlite(store))
        try:
            session.stage_set("k", b"1", b"")
            rounds = 0

            async def keep_mine_but_they_write_again(conflicts: list[Conflict]) -> list[bool] | None:
                nonlocal rounds
                rounds += 1
                await seeded(store, k=str(100 + rounds))
                return [True for _ in conflicts]

            await seeded(store, k="99")
            with pytest.raises(E.CASConflict, match="kept changing"):
                await session.save("m", keep_mine_but_they_write_again)
            assert rounds == MAX_SAVE_ATTEMPTS
            assert session.staging.get("k") is not None, "the edit is still staged"
        finally:
            await session.close()

    arun(go())


def test_changes_elsewhere_are_noticed_and_reload_keeps_staged_edits(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a="1", b="2", c="3")
        session = await opened(sqlite(store))
        try:
            reports: list[ChangesElsewhere] = []
            session.changed_elsewhere.connect(reports.append)
            assert await session.check_for_changes() is None, "nothing changed yet"
            session.stage_set("b", b"20", b"")
            await seeded(store, a="10", b="21", d="4")
            report = await session.check_for_changes()
            assert report is not None and reports == [report]
            assert set(report.changed) == {"a", "b", "d"} and report.conflicting == ("b",)
            await session.load_tree("main")  # the reload the window offers
            assert session.index.entries["a"].value_json == b"10" and "d" in session.index.entries
            change = session.staging.get("b")
            assert change is not None and change.new is not None and change.new.value_json == b"20"
            conflicts = await session.conflicts()
            assert [c.path for c in conflicts] == ["b"]
            assert await session.check_for_changes() is None, "after the reload the window is current"
        finally:
            await session.close()

    arun(go())


def test_keys_saved_elsewhere_are_still_noticed_after_an_own_save(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a="1", b="2")
        session = await opened(sqlite(store))
        try:
            session.stage_set("a", b"10", b"")
            await seeded(store, b="20")  # another program saves another key first
            assert (await session.save("mine")).saved, "per-path CAS: my key was not touched by them"
            report = await session.check_for_changes()
            assert report is not None and report.changed == ("b",), report
            await session.load_tree("main")
            assert await session.check_for_changes() is None
            session.stage_set("a", b"11", b"")
            assert (await session.save("mine again")).saved
            assert await session.check_for_changes() is None, "an own save alone is no change elsewhere"
        finally:
            await session.close()

    arun(go())


def test_reconnect_after_a_crash_keeps_staged_edits_and_saves(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a="1")
        session = await opened(sqlite(store))
        try:
            states: list[str] = []
            session.state_changed.connect(lambda state, _detail: states.append(state))
            session.stage_set("a", b"2", b"")
            assert session.supervisor is not None and session.supervisor.plugin is not None
            os.kill(session.supervisor.plugin.pid, signal.SIGKILL)
            for _ in range(400):
                if PluginState.RESTARTING.value in states and session.plugin_state == PluginState.RUNNING:
                    break
                await asyncio.sleep(0.05)
            assert session.plugin_state == PluginState.RUNNING, states
            assert session.staging.get("a") is not None, "a crash never loses a staged edit"
            outcome = await session.save("after the crash")
            assert outcome.saved
            await session.load_tree("main")
            assert session.index.entries["a"].value_json == b"2"
        finally:
            await session.close()

    arun(go())


def test_lock_hides_values_keeps_staged_edits_and_refuses_edits(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, a="1")
        session = await opened(sqlite(store))
        try:
            await session.store.init_encryption(b"correct horse battery staple")
            await session.refresh_capabilities()
            session.stage_set("a", b"5", b"")
            hidden: list[bool] = []
            session.values_hidden.connect(lambda: hidden.append(True))
            await session.store.lock()
            await session.refresh_capabilities()
            session.hide_values()
            assert hidden == [True] and session.locked and not session.can_edit
            assert not session.index.entries, "no value of a locked store stays in memory"
            assert session.staging.get("a") is not None, "staged edits survive the lock"
            with pytest.raises(E.StoreLocked):
                session.stage_set("b", b"1", b"")
            assert await session.check_for_changes() is None, "a locked store is not polled"
            await session.store.unlock(b"correct horse battery staple")
            await session.refresh_capabilities()
            await session.load_tree("main")
            assert session.can_edit and session.index.entries["a"].value_json == b"1"
            assert (await session.save("after unlock")).saved
        finally:
            await session.close()

    arun(go())


def test_edits_are_bound_to_their_store_and_tree(arun: Run[Any], short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"

    async def go() -> None:
        await seeded(store, "A", **{"pokedex__trainer.badges": "8"})
        await seeded(store, "B", other="1")
        session = await opened(sqlite(store, "A"))
        try:
            in_a = session.edit_target("pokedex/trainer.badges")
            session.stage_edit(in_a, b"9", b"")
            with pytest.raises(StagedEditsPending):
                await session.load_tree("B")
            assert session.tree_id == "A"
            session.discard_staged()
            await session.load_tree("B")
            with pytest.raises(WrongTarget):
                session.stage_edit(in_a, b"10", b"")
            assert not session.staging, "an edit made in tree A never lands in tree B"
            stale = session.edit_target("other")
            await session.open(sqlite(store, "B"))  # the same store opened again: a new opening
            with pytest.raises(WrongTarget):
                session.stage_edit(stale, b"2", b"")
        finally:
            await session.close()

    arun(go())


def test_nothing_edits_without_an_open_readable_store() -> None:
    session = StoreSession()
    assert not session.can_edit
    with pytest.raises(E.PluginUnavailable, match="no store is open"):
        session.stage_set("k", b"1", b"")
    with pytest.raises(E.PluginUnavailable):
        session.stage_delete(["k"])
    assert not session.staging


def test_the_tree_worked_in_is_remembered_also_after_fill_sample(arun: Run[Any], short_tmp: Path,
                                                                   tmp_path: Path) -> None:
    store = short_tmp / "s.sqlite"
    memory = SessionMemory(Settings(tmp_path / "settings.json"), tmp_path / "state")

    async def go() -> None:
        session = await opened(sqlite(store, ""), memory)
        try:
            assert session.tree_id == "default"
            await session.fill_sample("sample")
            assert session.tree_id == "sample"
        finally:
            await session.close()
        again = await opened(sqlite(store, ""), memory)  # a restart without --tree
        try:
            assert again.tree_id == "sample"
            assert again.index.entries
        finally:
            await again.close()

    arun(go())


def test_session_imports_no_qt() -> None:
    import subprocess

    code = ("import sys, zhi_gui.session, zhi_gui.session.history, zhi_gui.core.secrets; "
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'qasync'))); "
            "print(bad); sys.exit(1 if bad else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
