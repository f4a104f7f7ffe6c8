"""Copy and move a subtree, rename a tree (transfer.subtree_ops), through real
sqlite plugin processes: one compare-and-set save on the target with its message;
a move deletes the source only after the target saved, and a target save that
fails (a real CAS conflict: another program wrote meanwhile) leaves both sides
untouched."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from tests.conftest import plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.core.sample import sample_entries
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.plugin.supervisor import PluginState, RestartPolicy
from zhi_gui.session import StagedEditsPending, StoreSession, StoreTarget
from zhi_gui.transfer.compare import read_tree
from zhi_gui.transfer.subtree_ops import (
    CopyConflict,
    MoveIncomplete,
    TreeRef,
    apply_copy,
    apply_rename,
    plan_copy,
    plan_rename,
)

T = TypeVar("T")
Run = Callable[[Coroutine[Any, Any, T]], T]
API = "services/api"


def sqlite(store_file: Path, tree: str) -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, tree)


async def opened(target: StoreTarget, entries: list[Entry]) -> StoreSession:
    session = StoreSession()
    await session.open(target)
    if entries:
        await session.create_tree(target.tree_id, entries)
    await session.load_tree(target.tree_id)
    return session


async def write_elsewhere(store_file: Path, tree: str, entries: list[Entry]) -> None:
    """Another program saves to the same store file."""
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file)})
    try:
        await plugin.store.write_values(tree, entries, message="elsewhere")
    finally:
        await plugin.close()


async def versions(session: StoreSession, tree: str) -> list[str]:
    return await session.store.list_tree_versions(tree)


def api_values() -> dict[str, Entry]:
    return {e.path: e for e in sample_entries() if e.path.startswith(API + "/")}


def test_copy_to_another_tree_is_one_version_with_its_message(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "s.sqlite", "prod"), sample_entries())
        try:
            await here.create_tree("dev", [Entry("readme", b'"dev"')])
            before = await versions(here, "dev")
            steps: list[str] = []
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(here, "dev"), "services/api-copy",
                                   progress=steps.append)
            assert len(plan.writes) == len(api_values()) and plan.overwrites == 0
            # only the subtree is read (a 1M-value tree was read whole to copy 5,000 values)
            assert steps[-1] == "reading the source: 20 of 20 values read", steps
            assert "Copy 20 value(s)" in plan.summary()
            outcome = await apply_copy(plan, "api for dev")
            assert outcome.written == 20 and outcome.deleted == 0
            dev = await read_tree(here, "dev")
            assert dev["services/api-copy/replicas"].value_json == api_values()[API + "/replicas"].value_json
            assert dev["services/api-copy/database/password"].metadata_json, "labels (secret marks) go along"
            assert len(await versions(here, "dev")) == len(before) + 1
            described = await here.store.describe_versions("dev", 0, 1)
            assert described.versions[0].message == "api for dev"
            assert len(await read_tree(here, "prod")) == len(sample_entries()), "a copy leaves the source"
            again = await plan_copy(TreeRef(here, "prod"), API, TreeRef(here, "dev"), "services/api-copy")
            assert not again.writes and again.unchanged == 20
        finally:
            await here.close()

    arun(go())


def test_move_to_another_store_deletes_the_source_after_the_target_saved(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        there = await opened(sqlite(short_tmp / "there.sqlite", "prod"), [Entry("readme", b'"there"')])
        try:
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(there, "prod"), API, move=True)
            assert "deleted only after the target saved" in plan.summary()
            outcome = await apply_copy(plan, "move api")
            assert (outcome.written, outcome.deleted) == (20, 20)
            moved = await read_tree(there, "prod")
            assert {p for p in moved if p.startswith(API + "/")} == set(api_values())
            assert not [p for p in await read_tree(here, "prod") if p.startswith(API + "/")]
            msgs = [v.message for v in (await here.store.describe_versions("prod", 0, 1)).versions]
            assert msgs == ["move api (moved to zhi-store-sqlite: prod)"]
        finally:
            await here.close()
            await there.close()

    arun(go())


def test_a_failed_target_save_leaves_the_source_untouched(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        there_file = short_tmp / "there.sqlite"
        there = await opened(sqlite(there_file, "prod"), [Entry(API + "/replicas", b"1")])
        try:
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(there, "prod"), API, move=True)
            source_before = await read_tree(here, "prod")
            source_versions = await versions(here, "prod")
            # Between the preview and the save, another program writes a path the move lands on.
            await write_elsewhere(there_file, "prod", [Entry(API + "/image", b'"theirs"')])
            target_versions = await versions(there, "prod")
            with pytest.raises(CopyConflict, match="nothing was written"):
                await apply_copy(plan, "move api")
            assert await read_tree(here, "prod") == source_before, "the source is untouched"
            assert await versions(here, "prod") == source_versions
            assert await versions(there, "prod") == target_versions, "the target got no version"
            target = await read_tree(there, "prod")
            assert target[API + "/image"].value_json == b'"theirs"' and target[API + "/replicas"].value_json == b"1"
        finally:
            await here.close()
            await there.close()

    arun(go())


def test_a_source_that_changed_is_kept_and_said(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here_file = short_tmp / "here.sqlite"
        here = await opened(sqlite(here_file, "prod"), sample_entries())
        try:
            await here.create_tree("dev", [Entry("readme", b'"dev"')])
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(here, "dev"), API, move=True)
            await write_elsewhere(here_file, "prod", [Entry(API + "/replicas", b"99")])
            with pytest.raises(MoveIncomplete, match="both copies exist"):
                await apply_copy(plan, "move api")
            assert (await read_tree(here, "dev"))[API + "/image"].value_json == api_values()[API + "/image"].value_json
            assert (await read_tree(here, "prod"))[API + "/replicas"].value_json == b"99", "their edit is kept"
        finally:
            await here.close()

    arun(go())


def test_a_move_within_one_tree_is_one_write(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "s.sqlite", "prod"), sample_entries())
        try:
            before = await versions(here, "prod")
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(here, "prod"), "services/api-v2", move=True)
            await apply_copy(plan, "rename api")
            after = await read_tree(here, "prod")
            assert len(await versions(here, "prod")) == len(before) + 1
            assert not [p for p in after if p.startswith(API + "/")]
            assert len([p for p in after if p.startswith("services/api-v2/")]) == 20
            with pytest.raises(E.InvalidArgument, match="into itself"):
                await plan_copy(TreeRef(here, "prod"), "services", TreeRef(here, "prod"), "services/x", move=True)
            with pytest.raises(E.InvalidArgument, match="same place"):
                await plan_copy(TreeRef(here, "prod"), "services", TreeRef(here, "prod"), "services")
            with pytest.raises(E.InvalidArgument, match="target path"):
                await plan_copy(TreeRef(here, "prod"), "services", TreeRef(here, "dev"), "Not A Path")
            with pytest.raises(E.InvalidArgument, match="the target tree: the tree id is empty"):
                await plan_copy(TreeRef(here, "prod"), "services", TreeRef(here, ""), "x")
            with pytest.raises(E.NotFound, match="nothing at or below"):
                await plan_copy(TreeRef(here, "prod"), "no/such", TreeRef(here, "dev"), "x")
            here.stage_set("services/api-v2/replicas", b"4", b"")
            with pytest.raises(StagedEditsPending):
                await plan_copy(TreeRef(here, "prod"), "services/api-v2", TreeRef(here, "dev"), "x", move=True)
        finally:
            await here.close()

    arun(go())


def test_rename_a_tree(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "s.sqlite", "prod"), sample_entries())
        try:
            await here.create_tree("other", [Entry("readme", b'"x"')])
            with pytest.raises(E.InvalidArgument, match="exists already"):
                await plan_rename(here, "prod", "other")
            with pytest.raises(E.InvalidArgument):
                await plan_rename(here, "prod", "bad/name")
            here.stage_set("readme", b'"edited"', b"")
            with pytest.raises(StagedEditsPending):
                await plan_rename(here, "prod", "production")
            here.discard_staged()
            steps: list[str] = []  # what the status bar shows while a big tree is renamed
            plan = await plan_rename(here, "prod", "production", steps.append)
            outcome = await apply_rename(plan, "rename prod", steps.append)
            assert outcome.written == len(sample_entries())
            n = len(sample_entries())
            assert steps[0].startswith("reading the source: ") and steps.index(f"reading the source: {n:,} of {n:,} "
                                                                                "values read") >= 0
            assert [s for s in steps if not s.startswith(("reading", "checking"))] == [
                f"writing {n:,} values into \u201cproduction\u201d", "deleting \u201cprod\u201d",
                "opening \u201cproduction\u201d"]
            assert not [s for s in steps if s.startswith("checking")], "no version since the read: not read again"
            assert "prod" not in here.trees and "production" in here.trees
            assert here.tree_id == "production" and len(here.index.entries) == len(sample_entries())
            assert len(await versions(here, "production")) == 1, "the new tree starts a new history"
        finally:
            await here.close()

    arun(go())


def test_a_tree_changed_while_it_is_renamed_is_kept(arun: Run[Any], short_tmp: Path) -> None:
    """The old tree is deleted only if nothing changed it since it was read (a version since:
    it is read again and compared, and kept when it differs)."""
    async def go() -> None:
        store_file = short_tmp / "s.sqlite"
        here = await opened(sqlite(store_file, "prod"), sample_entries())
        try:
            plan = await plan_rename(here, "prod", "production")
            await write_elsewhere(store_file, "prod", [Entry("readme", b'"written meanwhile"')])
            steps: list[str] = []
            with pytest.raises(MoveIncomplete, match="changed meanwhile"):
                await apply_rename(plan, "rename prod", steps.append)
            assert steps[-1].startswith("checking \u201cprod\u201d is unchanged: "), "read again"
            assert {"prod", "production"} <= set(await here.refresh_trees()), "both trees exist"
            assert (await read_tree(here, "prod"))["readme"].value_json == b'"written meanwhile"'
            # a new version with the same values (a rollback's, say) is read again and found unchanged
            plan = await plan_rename(here, "prod", "prod2")
            await write_elsewhere(store_file, "prod", [Entry("readme", b'"written meanwhile"')])
            assert await here.head_of("prod") != plan.source_head
            await apply_rename(plan, "rename prod again")
            assert "prod" not in await here.refresh_trees()
        finally:
            await here.close()

    arun(go())


def test_a_killed_target_plugin_leaves_the_source_untouched(arun: Run[Any], short_tmp: Path) -> None:
    async def go() -> None:
        here = await opened(sqlite(short_tmp / "here.sqlite", "prod"), sample_entries())
        there = await opened(sqlite(short_tmp / "there.sqlite", "prod"), [Entry("readme", b'"there"')])
        try:
            plan = await plan_copy(TreeRef(here, "prod"), API, TreeRef(there, "prod"), API, move=True)
            source_before = await read_tree(here, "prod")
            supervisor = there.supervisor
            assert supervisor is not None and supervisor.plugin is not None
            supervisor.policy = RestartPolicy(max_restarts=0)  # it stays dead: the save must fail
            os.kill(supervisor.plugin.pid, signal.SIGKILL)
            deadline = asyncio.get_running_loop().time() + 20
            while supervisor.state != PluginState.FAILED:  # waiting on the condition, bounded
                assert asyncio.get_running_loop().time() < deadline, supervisor.state
                await asyncio.sleep(0.02)
            with pytest.raises(E.ZhiError):
                await apply_copy(plan, "move api")
            assert await read_tree(here, "prod") == source_before, "the source is untouched"
        finally:
            await here.close()
            await there.close()

    arun(go())
