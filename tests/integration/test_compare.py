"""Compare anything (transfer.compare) through real sqlite plugin processes: this
tree against another store's tree, another tree, a version, a file and its staged
edits; "take this side" stages into this tree only, as one undoable step; a
locked other store opens through the caller's gate (unlock or cancel) only."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import child_pids, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.diff import diff_trees
from zhi_gui.core.model import Entry
from zhi_gui.core.sample import sample_entries
from zhi_gui.plugin.supervisor import PluginState
from zhi_gui.session import StoreSession, StoreTarget, WrongTarget
from zhi_gui.transfer import Format, encode
from zhi_gui.transfer.compare import Comparison, OpenCancelled, SideKind, SideSpec

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]


def sqlite(store_file: Path, tree: str) -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, tree)


async def opened(target: StoreTarget, entries: list[Entry]) -> StoreSession:
    session = StoreSession()
    await session.open(target)
    await session.create_tree(target.tree_id, entries)
    await session.load_tree(target.tree_id)
    return session


def test_another_store_key_and_subtree_taken_then_saved(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        theirs = [e for e in sample_entries() if not e.path.startswith("services/billing")]
        theirs = [e._replace(value_json=b"7") if e.path == "services/api/replicas" else e for e in theirs]
        theirs.append(Entry("services/api/debug", b"true"))
        other = await opened(sqlite(short_tmp / "there.sqlite", "staging"), theirs)
        await other.close()
        comparison = Comparison(here)
        other_session: StoreSession | None = None
        try:
            left = await comparison.load(SideSpec(SideKind.HEAD))
            right = await comparison.load(SideSpec(SideKind.STORE, "staging",
                                                   store=StoreTarget(plugin_path("sqlite"),
                                                                     {"path": str(short_tmp / "there.sqlite")})))
            assert right.label.endswith(": staging")
            diff = diff_trees(left.entries, right.entries)
            assert diff.change_for("services/api/replicas").kind.value == "changed"
            assert diff.change_for("services/api/debug").kind.value == "added"
            assert diff.removed > 0  # services/billing only here
            other_session = comparison.open_stores[0]
            assert other_session.plugin_state == PluginState.RUNNING

            plan = comparison.take(right, "services/api/replicas", subtree=False)
            assert list(plan.sets) == ["services/api/replicas"]
            assert here.staging.get("services/api/replicas").new.value_json == b"7"
            assert "services/api/debug" not in here.staging, "a key alone does not take its neighbours"

            plan = comparison.take(right, "services/billing", subtree=True)
            assert plan.deletes and all(p.startswith("services/billing/") for p in plan.deletes)
            assert len(here.staging) == 1 + len(plan.deletes)
            assert here.staging.undo_label.startswith("take ")
            here.staging.undo()  # the subtree was one step
            assert len(here.staging) == 1
            outcome = await here.save("from staging")
            assert outcome.saved
            assert here.index.entries["services/api/replicas"].value_json == b"7"
        finally:
            await comparison.close()
            assert not comparison.open_stores
            assert other_session is not None
            assert other_session.plugin_state == PluginState.STOPPED, "the other store's plugin stops with it"
            await here.close()

    arun(go())


def test_tree_version_file_and_staged_sides(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "s.sqlite", "prod"), sample_entries())
        try:
            first = (await here.store.list_tree_versions("prod"))[0]
            await here.create_tree("copy", sample_entries())
            here.stage_set("services/api/replicas", b"5", b"")
            await here.save("five")
            comparison = Comparison(here)
            tree = await comparison.load(SideSpec(SideKind.TREE, "copy"))
            assert diff_trees(dict(here.index.entries), tree.entries).changed == 1
            version = await comparison.load(SideSpec(SideKind.VERSION, version=first))
            assert version.entries["services/api/replicas"].value_json != b"5"

            # a file of one subtree, exported without its secrets, compared under that subtree
            api = {p[len("services/api/"):]: e for p, e in here.index.entries.items()
                   if p.startswith("services/api/")}
            exported = short_tmp / "api.yaml"
            exported.write_bytes(encode(api, Format.YAML).replace(b"replicas: 5", b"replicas: 9"))
            side = await comparison.load(SideSpec(SideKind.FILE, file=exported, prefix="services/api"))
            diff = diff_trees(dict(here.index.entries), side.entries)
            assert [c.path for c in diff.iter_changes() if c.path.startswith("services/api/")] \
                == ["services/api/replicas"], "a masked secret compares equal: importing it keeps ours"
            assert side.masked
            plan = comparison.take(side, "services/api", subtree=True)
            assert list(plan.sets) == ["services/api/replicas"] and plan.skipped == tuple(sorted(side.masked))
            staged = await comparison.load(SideSpec(SideKind.STAGED))
            assert staged.entries["services/api/replicas"].value_json == b"9"
            assert "1 staged edit" in staged.label

            here.discard_staged()
            await here.load_tree("copy")
            with pytest.raises(WrongTarget):  # the window moved on: nothing lands in the other tree
                comparison.take(side, "services/api", subtree=True)
            assert not here.staging
            await comparison.close()
        finally:
            await here.close()

    arun(go())


def test_bad_sides_are_refused_with_a_reason(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "s.sqlite", "prod"), sample_entries())
        comparison = Comparison(here)
        try:
            broken = short_tmp / "broken.json"
            broken.write_text('{"a": [1, 2,\n')
            with pytest.raises(E.InvalidArgument):
                await comparison.load(SideSpec(SideKind.FILE, file=broken))
            with pytest.raises(E.InvalidArgument):
                await comparison.load(SideSpec(SideKind.FILE, file=broken, prefix="Bad Prefix"))
            with pytest.raises(E.InvalidArgument):
                await comparison.load(SideSpec(SideKind.TREE))
            long_key = short_tmp / "long.properties"
            long_key.write_text("b" * 100 + "=1\n")  # valid alone, too long below the subtree
            with pytest.raises(E.InvalidArgument, match="not a zhi path"):
                await comparison.load(SideSpec(SideKind.FILE, file=long_key, prefix="a" * 1000))
            with pytest.raises(E.ZhiError):  # a store that does not exist: its plugin says so
                await comparison.load(SideSpec(SideKind.STORE, store=StoreTarget(
                    plugin_path("sqlite"), {"path": str(short_tmp / "missing.sqlite")})))
            assert not comparison.open_stores
        finally:
            await comparison.close()
            await here.close()

    arun(go())


PASS = "orbit lantern quiet harbor 42"


class ScriptedGate:
    """A gate as the UI's would be, without dialogs: unlocks with ``passphrase``, or is cancelled."""

    def __init__(self, session: StoreSession, passphrase: str | None) -> None:
        self.cancelled, self.problem, self.passphrase = False, "", passphrase
        session.unlock_handler = self.unlock

    async def unlock(self, store: Any) -> None:
        if self.passphrase is None:
            self.cancelled = True
            return
        await store.unlock(self.passphrase.encode())


def test_a_locked_other_store_unlocks_through_the_gate_else_is_refused_plainly(arun: Run[Any],
                                                                               short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        there = short_tmp / "there.sqlite"
        other = await opened(sqlite(there, "staging"), [Entry("services/api/debug", b"true")])
        await (await other.store_ready()).init_encryption(PASS.encode())
        await other.close()
        spec = SideSpec(SideKind.STORE, "staging", store=StoreTarget(plugin_path("sqlite"), {"path": str(there)}))
        before = child_pids(os.getpid())
        try:
            # no gate (the command line, a window without security): a plain StoreLocked
            with pytest.raises(E.StoreLocked, match="is locked: its passphrase is needed"):
                await Comparison(here).load(spec)
            # the user cancelled the unlock: OpenCancelled (the UI says it quietly)
            cancelled = Comparison(here, gate=lambda session, _target: ScriptedGate(session, None))
            with pytest.raises(OpenCancelled, match="unlocking was cancelled"):
                await cancelled.load(spec)
            assert not cancelled.open_stores
            assert not (child_pids(os.getpid()) - before), "the refused store's plugin was stopped"
            # unlocked: the values are read
            unlocked = Comparison(here, gate=lambda session, _target: ScriptedGate(session, PASS))
            side = await unlocked.load(spec)
            assert side.entries["services/api/debug"].value_json == b"true"
            await unlocked.close()
        finally:
            await here.close()

    arun(go())


def test_two_sides_of_one_locked_store_unlock_it_once(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        there = short_tmp / "there.sqlite"
        other = await opened(sqlite(there, "staging"), [Entry("a", b"1")])
        await other.create_tree("qa", [Entry("a", b"2")])
        await (await other.store_ready()).init_encryption(PASS.encode())
        await other.close()
        store = StoreTarget(plugin_path("sqlite"), {"path": str(there)})
        gates: list[ScriptedGate] = []

        def gate(session: StoreSession, _target: StoreTarget) -> ScriptedGate:
            gates.append(ScriptedGate(session, PASS))
            return gates[-1]

        comparison = Comparison(here, gate=gate)
        try:
            left, right = await asyncio.gather(comparison.load(SideSpec(SideKind.STORE, "staging", store=store)),
                                               comparison.load(SideSpec(SideKind.STORE, "qa", store=store)))
            assert (left.entries["a"].value_json, right.entries["a"].value_json) == (b"1", b"2")
            assert len(gates) == 1 and len(comparison.open_stores) == 1, "one plugin, unlocked once"
        finally:
            await comparison.close()
            await here.close()

    arun(go())
