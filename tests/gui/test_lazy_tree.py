"""A tree bigger than the session's lazy threshold, in a sqlite store: the window
holds what the user opened; groups are read from the store when expanded, the
filter asks the store, and nothing is lost or deleted by what is not read yet."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QAbstractItemModelTester, QTest
from PySide6.QtWidgets import QApplication

from tests.conftest import plugin_path
from tests.gui.helpers import click_link
from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreTarget
from zhi_gui.ui import main_window
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.value_tree_model import PATH_ROLE

ENTRIES = [Entry(f"svc{s}/inst{i}/key{k}", f'"value-{s}-{i}-{k}"'.encode()) for s in range(4) for i in range(5)
           for k in range(3)] + [Entry("svc1", b'"a value and a group"'), Entry("top", b"1")]


@pytest.fixture
def lazy_window(make_window: Any, run_async: Any, short_tmp: Path) -> MainWindow:
    db = short_tmp / "big.sqlite"

    async def fill() -> None:
        async with await launch_store(plugin_path("sqlite"), options={"path": str(db), "create": True}) as p:
            await p.store.write_values("t", ENTRIES)

    run_async(fill())
    win: MainWindow = make_window()
    win.session.lazy_threshold = 10  # 62 values count as big here
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(db)}, "t")))
    return win


def rows(win: MainWindow, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [win.model.index(r, 0, parent).data(PATH_ROLE) for r in range(win.model.rowCount(parent))]


def forbid_whole_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A comparison that reads a side whole fails the test."""
    from zhi_gui.transfer.compare import Comparison

    def no_whole_read(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a side was read whole")

    monkeypatch.setattr(Comparison, "load", no_whole_read)


def open_compare(qtbot: Any, win: MainWindow, right_tree: str = "") -> Any:
    """Store > Compare...; with ``right_tree``, the right side is that tree of this store."""
    from tests.gui.helpers import find_dialog
    from zhi_gui.transfer.compare import SideKind

    win.findChild(QAction, "action-compare-anything").trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    if right_tree:
        dialog.right.set_kind(SideKind.TREE)
        trees = dialog.right.tree
        qtbot.waitUntil(lambda: trees.findText(right_tree) >= 0, timeout=10000)
        trees.setCurrentIndex(trees.findText(right_tree))
    return dialog


def test_only_the_opened_groups_are_read(qtbot: Any, lazy_window: MainWindow) -> None:
    win = lazy_window
    session = win.session
    assert session.lazy and session.total_values == len(ENTRIES)
    assert rows(win) == ["svc0", "svc1", "svc2", "svc3", "top"]
    assert set(session.index.entries) == {"svc1", "top"}, "only the root's own values are read"
    assert "15,000" not in win.banner.text() and "62 values" in win.banner.text()

    # Few top-level groups: the window opens them, as it does for any tree. The store lists
    # their children with counts; no value below them is read until a group is opened.
    svc2 = win.model.index(2, 0)
    assert win.model.hasChildren(svc2)
    qtbot.waitUntil(lambda: rows(win, win.model.index(2, 0)) == [f"svc2/inst{i}" for i in range(5)], timeout=10000)
    inst3 = win.model.index(3, 0, win.model.index(2, 0))
    assert win.model.hasChildren(inst3) and win.model.index(3, 1, win.model.index(2, 0)).data() == "3 values"
    assert set(session.index.entries) == {"svc1", "top"}, "listing a group's children reads none of its values"
    win.tree_view.expand(inst3)
    qtbot.waitUntil(lambda: len(rows(win, inst3)) == 3, timeout=10000)
    assert win.model.index(0, 1, inst3).data() == "value-2-3-0"
    assert not any(p.startswith("svc3/") for p in session.index.entries), "a group nobody opened stays unread"
    svc1 = win.model.index(1, 0)
    assert win.model.index(1, 1).data() == "a value and a group"  # a value that is a group too
    win.tree_view.expand(svc1)
    qtbot.waitUntil(lambda: len(rows(win, win.model.index(1, 0))) == 5, timeout=10000)


def test_the_filter_asks_the_store(qtbot: Any, lazy_window: MainWindow) -> None:
    win = lazy_window
    win.filter_edit.setText("va")  # would match nearly everything of a big tree
    qtbot.waitUntil(lambda: win.match_label.text().startswith("type 3 or more characters"), timeout=10000)
    win.filter_edit.setText("value-3-4")
    qtbot.waitUntil(lambda: win.match_label.text() == "3 match(es)", timeout=10000)
    assert rows(win) == ["svc3"]
    win.filter_edit.setText("")
    qtbot.waitUntil(lambda: win.model.visible is None, timeout=10000)
    svc3 = win.model.index(3, 0)
    win.tree_view.expand(svc3)  # the group was read in part by the filter: now it is read whole
    qtbot.waitUntil(lambda: len(rows(win, win.model.index(3, 0))) == 5, timeout=10000)


def test_a_filtered_group_counts_the_keys_it_shows(qtbot: Any, lazy_window: MainWindow) -> None:
    """Seen at 1M values: under a filter a group whose keys had been read from the store
    (the others hidden by the filter) said "5 keys", or "100 keys", over its one row."""
    win = lazy_window
    win.filter_edit.setText("value-2-3-1")
    qtbot.waitUntil(lambda: win.match_label.text() == "1 match(es)", timeout=10000)
    svc2 = win.model.index(0, 0)
    assert rows(win) == ["svc2"] and rows(win, svc2) == ["svc2/inst3"]
    assert win.model.index(0, 1).data() == "1 key", "svc2's five groups are read; one is shown"
    inst3 = win.model.index(0, 0, svc2)
    win.tree_view.expand(inst3)
    qtbot.waitUntil(lambda: not win.model.canFetchMore(win.model.index(0, 0, win.model.index(0, 0))), timeout=10000)
    inst3 = win.model.index(0, 0, win.model.index(0, 0))
    assert rows(win, inst3) == ["svc2/inst3/key1"] and win.model.index(0, 1, win.model.index(0, 0)).data() == "1 key"
    win.filter_edit.setText("")
    qtbot.waitUntil(lambda: win.model.visible is None, timeout=10000)
    assert win.model.index(2, 1).data() == "5 keys", "without the filter, every key of the group counts"


def test_a_group_the_filter_read_in_part_still_says_how_many_values_it_holds(
        qtbot: Any, lazy_window: MainWindow, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen at 1M values: after a filter (too many matches to open them all) was cleared,
    the groups it had read one value of said "1 key" instead of "100 values"."""
    monkeypatch.setattr(main_window, "AUTO_EXPAND_LIMIT", 0)
    win = lazy_window
    win.filter_edit.setText("value-2-3-1")
    qtbot.waitUntil(lambda: win.match_label.text() == "1 match(es)", timeout=10000)
    assert "svc2/inst3/key1" in win.session.index.entries
    win.filter_edit.setText("")
    qtbot.waitUntil(lambda: win.model.visible is None, timeout=10000)
    svc2 = win.model.index(2, 0)
    # (rowCount first, as a view asks: the model makes a group's rows when asked how many)
    assert [win.model.index(r, 1, svc2).data() for r in range(win.model.rowCount(svc2))] == ["3 values"] * 5
    inst3 = win.model.index(3, 0, svc2)
    win.tree_view.expand(inst3)  # read whole now
    qtbot.waitUntil(lambda: len(rows(win, win.model.index(3, 0, win.model.index(2, 0)))) == 3, timeout=10000)
    assert win.model.index(3, 1, win.model.index(2, 0)).data() == "3 keys"


def test_unread_values_are_never_deleted_by_accident_and_edits_save(qtbot: Any, lazy_window: MainWindow,
                                                                   run_async: Any) -> None:
    win = lazy_window
    session = win.session
    with pytest.raises(E.InvalidArgument, match="not read yet"):
        session.stage_delete(["svc0"])
    session.stage_set("top", b"2", b"")
    run_async(win.save("edit in a big tree"))
    assert session.index.entries["top"].value_json == b"2"

    async def elsewhere() -> None:  # another window's plugin writes an unread value
        async with await launch_store(plugin_path("sqlite"), options={"path": session.target.options["path"]}) as p:
            await p.store.write_values("t", [Entry("svc0/inst0/key0", b'"theirs"')])

    run_async(elsewhere())
    report = run_async(session.check_for_changes())
    assert report is not None and report.changed == ("svc0/inst0/key0",)


def test_delete_on_a_group_not_read_yet_reads_it_then_stages_every_value_below(
        qtbot: Any, lazy_window: MainWindow, run_async: Any) -> None:
    """Seen at 1M values: Delete on a group not opened yet said "open the group fully, then
    delete it". The window reads the group from the store and stages its values' deletes."""
    win = lazy_window
    session = win.session
    svc0 = [e.path for e in ENTRIES if e.path.startswith("svc0/")]
    win.tree_view.setFocus()
    win.tree_view.setCurrentIndex(win.model.index(0, 0))
    assert win.model.index(0, 1).data() == "15 values" and not set(svc0) & set(session.index.entries)
    repainted: list[str] = []
    win.model.dataChanged.connect(lambda first, last, roles=(): repainted.append(first.data(PATH_ROLE)))
    QTest.keyClick(win.tree_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(session.staging) == len(svc0), timeout=10000)
    assert "svc0" in repainted, "its row said '15 values' until something else repainted it"
    assert sorted(session.staging.changes) == sorted(svc0)
    assert all(c.is_delete and c.base is not None for c in session.staging.changes.values())
    assert "Staged the delete of svc0 (15 value(s) read from the store)" in win.statusBar().currentMessage()
    assert not session.index.has_unloaded_below("svc0") and session.index.has_unloaded_below("svc3")
    assert win.model.index(0, 1).data() == "5 keys"
    inst2 = win.model.index_of_path("svc0/inst2")
    win.tree_view.expand(inst2)
    assert [win.model.index(r, 1, inst2).data() for r in range(3)] == ["(deleted)"] * 3
    run_async(win.save("delete a group never opened"))
    assert run_async(session.store.get_values("t", svc0)) == []
    assert len(run_async(session.store.get_values("t", ["svc1/inst0/key0", "top"]))) == 2


def test_star_opens_a_group_of_a_big_tree_whole_reading_its_groups_as_it_goes(
        qtbot: Any, lazy_window: MainWindow) -> None:
    """Seen at 1M values: * on a group opened it one level; its groups, not read yet,
    stayed closed (their rows arrive after the expand asked for them)."""
    win = lazy_window
    win.tree_view.setFocus()
    win.tree_view.setCurrentIndex(win.model.index(3, 0))
    QTest.keyClick(win.tree_view, Qt.Key.Key_Asterisk)

    def svc3_open_whole() -> bool:
        svc3 = win.model.index(3, 0)
        groups = [win.model.index(r, 0, svc3) for r in range(win.model.rowCount(svc3))]
        return len(groups) == 5 and all(win.tree_view.isExpanded(g) and win.model.rowCount(g) == 3 for g in groups)

    qtbot.waitUntil(svc3_open_whole, timeout=10000)
    assert not any(p.startswith("svc0/") for p in win.session.index.entries), "only what * was asked to open"


def test_compare_reads_a_big_tree_whole_and_takes_over_values_not_read_yet(qtbot: Any, lazy_window: MainWindow,
                                                                          run_async: Any) -> None:
    """Seen at 1M values: the tree (saved) compared with itself showed every value as
    added (its index holds only the opened groups); a take over values not read yet staged
    them as new, and the save then conflicted."""
    from zhi_gui.transfer.compare import Comparison, SideKind, SideSpec

    win = lazy_window
    session = win.session
    other = [Entry("svc0/inst0/key0", b'"theirs"')] + [e for e in ENTRIES if not e.path.startswith(
        ("svc0/inst0/key0", "svc0/inst1/"))]
    run_async(session.store.write_values("u", other))
    comparison = Comparison(session)
    head = run_async(comparison.load(SideSpec(SideKind.HEAD)))
    assert len(head.entries) == len(ENTRIES)
    itself = run_async(comparison.load(SideSpec(SideKind.TREE, tree_id="t")))
    assert itself.entries == head.entries
    theirs = run_async(comparison.load(SideSpec(SideKind.TREE, tree_id="u")))
    assert not any(p.startswith("svc0/") for p in session.index.entries), "nothing of svc0 read yet"
    run_async(comparison.read_scope("svc0", subtree=True))
    plan = comparison.take(theirs, "svc0", subtree=True)
    assert sorted(plan.sets) == ["svc0/inst0/key0"] and sorted(plan.deletes) == [f"svc0/inst1/key{k}" for k in range(3)]
    assert all(c.base is not None for c in session.staging.changes.values()), "staged over the stored values"
    assert run_async(win.save("take svc0 from u")) is not None, "saved without a conflict"
    saved = {e.path: e.value_json for e in run_async(session.store.get_values("t", []))}
    assert saved == {e.path: e.value_json for e in other}


def test_compare_with_an_older_version_is_done_by_the_store_and_takes_read_what_they_need(
        qtbot: Any, lazy_window: MainWindow, run_async: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen at 1M values: comparing the saved tree with a version read both whole (~30 s,
    ~800 MB in the window). The store compares two versions of a big tree itself: only the
    changes travel, and a take reads the values it needs from the version taken from."""
    from PySide6.QtWidgets import QLabel, QPushButton

    from zhi_gui.transfer.compare import SideKind

    win = lazy_window
    session = win.session
    first = session.head_version
    run_async(session.store.write_values("t", [Entry("svc3/inst1/key1", b'"new"'), Entry("svc9/added", b"1")],
                                         delete_paths=["svc2/inst4/key0"]))
    run_async(win.reload_tree())
    assert session.head_version != first

    forbid_whole_reads(monkeypatch)
    dialog = open_compare(qtbot, win)
    dialog.right.set_kind(SideKind.VERSION)
    version = dialog.right.version
    qtbot.waitUntil(lambda: version.count() >= 2, timeout=10000)
    version.setCurrentIndex(version.findData(first))
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    take_right = dialog.findChild(QPushButton, "compare-take-right")
    qtbot.waitUntil(take_right.isEnabled, timeout=10000)
    assert not win.last_error, win.last_error
    diff = dialog.diff_view.diff
    assert diff is not None and (diff.added, diff.changed, diff.removed) == (1, 1, 1), "saved -> the older version"
    assert "Compared in the store" in dialog.findChild(QLabel, "compare-status").text()

    # take the older version's svc3 back (one changed key below it) and its svc2/inst4/key0 back
    dialog.diff_view.tree.setCurrentIndex(run_async(dialog.diff_view.model.ensure_path("svc3")))
    qtbot.mouseClick(take_right, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "svc3/inst1/key1" in session.staging, timeout=10000)
    assert session.staging.get("svc3/inst1/key1").new.value_json == b'"value-3-1-1"'
    dialog.diff_view.tree.setCurrentIndex(run_async(dialog.diff_view.model.ensure_path("svc2/inst4/key0")))
    qtbot.mouseClick(take_right, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "svc2/inst4/key0" in session.staging, timeout=10000)
    assert sorted(session.staging.changes) == ["svc2/inst4/key0", "svc3/inst1/key1"]
    assert run_async(win.save("back from the older version")) is not None, "saved without a conflict"
    got = {e.path: e.value_json for e in run_async(session.store.get_values("t", ["svc3/inst1/key1",
                                                                                 "svc2/inst4/key0"]))}
    assert got == {"svc3/inst1/key1": b'"value-3-1-1"', "svc2/inst4/key0": b'"value-2-4-0"'}


def test_compare_with_another_big_tree_walks_both_streams_and_takes_read_what_they_need(
        qtbot: Any, lazy_window: MainWindow, run_async: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two big trees with "Only changes": read whole, two 1M-value trees held ~800 MB in
    the window. Their streams are walked side by side and only what differs is kept; a
    take reads the values it needs from the tree taken from."""
    from PySide6.QtWidgets import QLabel, QPushButton


    win = lazy_window
    session = win.session
    theirs = [Entry("svc0/inst0/key0", b'"theirs"'), Entry("svc0/new", b"true"), Entry("zzz/last", b"2")] + [
        e for e in ENTRIES if not e.path.startswith(("svc0/inst0/key0", "svc0/inst1/", "top"))]
    run_async(session.store.write_values("u", theirs))
    run_async(session.refresh_trees())

    forbid_whole_reads(monkeypatch)
    dialog = open_compare(qtbot, win, right_tree="u")
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    take_right = dialog.findChild(QPushButton, "compare-take-right")
    qtbot.waitUntil(take_right.isEnabled, timeout=10000)
    assert not win.last_error, win.last_error
    diff = dialog.diff_view.diff
    assert diff is not None
    assert (diff.added, diff.changed, diff.removed, diff.counts.unchanged) == (2, 1, 4, len(ENTRIES) - 5)
    status = dialog.findChild(QLabel, "compare-status").text()
    assert "Select a key" in status and "Compared in the store" not in status

    # take their svc0 (one changed, one added, three gone below it; the rest the same)
    dialog.diff_view.tree.setCurrentIndex(run_async(dialog.diff_view.model.ensure_path("svc0")))
    qtbot.mouseClick(take_right, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "svc0/new" in session.staging, timeout=10000)
    assert sorted(session.staging.changes) == ["svc0/inst0/key0", "svc0/inst1/key0", "svc0/inst1/key1",
                                               "svc0/inst1/key2", "svc0/new"], "only what differs is staged"
    assert run_async(win.save("svc0 from u")) is not None, "saved without a conflict"
    saved = {e.path: e.value_json for e in run_async(session.store.get_values("t", []))}
    want = {e.path: e.value_json for e in ENTRIES if not e.path.startswith(("svc0/inst0/key0", "svc0/inst1/"))}
    assert saved == want | {"svc0/inst0/key0": b'"theirs"', "svc0/new": b"true"}


def test_compare_with_the_staged_edits_reads_nothing_whole(qtbot: Any, lazy_window: MainWindow, run_async: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A big tree with staged edits: Compare opens on "saved" against "with staged edits",
    which read 1M values twice. The difference is the staged edits themselves; a take
    from the saved side puts a value back, a take from the other side changes nothing."""
    from PySide6.QtWidgets import QPushButton


    win = lazy_window
    session = win.session
    run_async(session.load_paths(["svc2/inst0/key0", "svc2/inst0/key1"]))
    session.stage_set("svc2/inst0/key0", b'"edited"', b"")
    session.stage_set("svc9/new", b"1", b"")
    session.stage_delete(["svc2/inst0/key1"])

    forbid_whole_reads(monkeypatch)
    dialog = open_compare(qtbot, win)
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    take_left = dialog.findChild(QPushButton, "compare-take-left")
    qtbot.waitUntil(take_left.isEnabled, timeout=10000)
    assert not win.last_error, win.last_error
    diff = dialog.diff_view.diff
    assert diff is not None
    assert (diff.added, diff.changed, diff.removed, diff.counts.unchanged) == (1, 1, 1, len(ENTRIES) - 2)
    assert take_left.text() == "Take left: t (saved)"
    assert dialog.findChild(QPushButton, "compare-take-right").text() == "Take right: t + 3 staged edit(s)"

    # the saved side's svc2/inst0: the edit and the delete go back, nothing else changes
    dialog.diff_view.tree.setCurrentIndex(run_async(dialog.diff_view.model.ensure_path("svc2/inst0")))
    qtbot.mouseClick(take_left, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sorted(session.staging.changes) == ["svc9/new"], timeout=10000)
    assert not win.last_error, win.last_error
    assert run_async(win.save("only the new key")) is not None
    saved = {e.path: e.value_json for e in run_async(session.store.get_values("t", []))}
    assert saved == {e.path: e.value_json for e in ENTRIES} | {"svc9/new": b"1"}


def test_stop_while_two_big_trees_stream(qtbot: Any, lazy_window: MainWindow, run_async: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Stop while the two trees stream: both streams end (the stores stop sending), nothing
    is shown, and a new Compare works."""
    import asyncio

    from PySide6.QtWidgets import QLabel, QPushButton

    from zhi_gui.session import StoreSession

    win = lazy_window
    run_async(win.session.store.write_values("u", ENTRIES[:10]))
    run_async(win.session.refresh_trees())
    real = StoreSession.stream_values
    hold = {"on": True}
    ended: list[str] = []

    async def slow(self: Any, tree_id: str, **kwargs: Any) -> Any:
        try:
            async for chunk, total in real(self, tree_id, **kwargs):
                yield chunk[:5], total
                while hold["on"]:
                    await asyncio.sleep(0.05)
                yield chunk[5:], total
        finally:
            ended.append(tree_id)

    monkeypatch.setattr(StoreSession, "stream_values", slow)
    dialog = open_compare(qtbot, win, right_tree="u")
    run = dialog.findChild(QPushButton, "compare-run")
    status = dialog.findChild(QLabel, "compare-status")
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: f"left 5 of {len(ENTRIES)} values \u00b7 right 5 of 10 values" in status.text(),
                    timeout=10000)
    assert run.text() == "Stop"
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: sorted(ended) == ["t", "u"], timeout=10000)
    assert run.text() == "Compare" and status.text().startswith("Stopped")
    assert dialog.diff_view.diff is None, "nothing compared"
    assert not win.last_error, win.last_error

    hold["on"] = False
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.diff_view.diff is not None, timeout=20000)
    diff = dialog.diff_view.diff
    assert (diff.added, diff.changed, diff.removed) == (0, 0, len(ENTRIES) - 10)


def test_the_check_for_changes_of_a_deleted_tree_is_quiet(qtbot: Any, lazy_window: MainWindow,
                                                          run_async: Any) -> None:
    """Seen renaming a 1M-value tree: the 5 s check for changes ran between the delete of the
    old tree and the opening of the new one, and "Tree 'big' not found" came up in a box."""
    win = lazy_window
    session = win.session
    run_async(session.store.delete_tree("t"))  # as a rename does, just before it shows the new tree
    win.check_for_changes()  # what the timer does
    qtbot.waitUntil(lambda: "t" not in session.trees and not win.tasks, timeout=10000)
    assert not win.last_error, win.last_error
    assert not win.trees_list.findItems("t", Qt.MatchFlag.MatchExactly), "the tree list says it is gone"


def test_compare_says_how_far_it_has_read_and_stop_stops_it(qtbot: Any, lazy_window: MainWindow,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen at 1M values: Compare said "Reading both sides..." for ~20 s, with no count and
    no way to stop it. Now both sides' counts show in the dialog and the status bar, and
    the Compare button stops the reading while it runs."""
    import asyncio

    from PySide6.QtWidgets import QLabel, QPushButton

    from tests.gui.helpers import find_dialog
    from zhi_gui.transfer import compare

    win = lazy_window
    real = compare.read_tree
    hold = {"on": True}
    cancelled: list[str] = []

    async def slow_read(session: Any, tree_id: str, progress: Any = None) -> Any:
        if hold["on"]:
            progress(5, len(ENTRIES))  # the first chunk of a big tree, then a slow store
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(tree_id)
                raise
        return await real(session, tree_id, progress)

    monkeypatch.setattr(compare, "read_tree", slow_read)
    action = win.findChild(QAction, "action-compare-anything")
    action.trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    dialog.diff_view.only_changes.click()  # every value listed: both sides read whole
    run = dialog.findChild(QPushButton, "compare-run")
    status = dialog.findChild(QLabel, "compare-status")
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    both = f"left {len(ENTRIES)} of {len(ENTRIES)} values \u00b7 right 5 of {len(ENTRIES)} values"
    qtbot.waitUntil(lambda: both in status.text(), timeout=10000)  # the left side read whole, the right held
    assert run.text() == "Stop"
    qtbot.waitUntil(win.busy.isVisible, timeout=10000)  # shown after a second, with Cancel
    assert f"right 5 of {len(ENTRIES)} values" in win.busy.label.text()

    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: cancelled == ["t"], timeout=10000)
    assert run.text() == "Compare" and status.text().startswith("Stopped")
    assert dialog.diff_view.diff is None, "nothing compared"

    hold["on"] = False
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.diff_view.diff is not None, timeout=20000)
    diff = dialog.diff_view.diff
    assert (diff.added, diff.changed, diff.removed) == (0, 0, 0)
    assert run.text() == "Compare"


def test_stop_while_the_sides_are_compared(qtbot: Any, lazy_window: MainWindow,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Both sides read, the comparison itself running (at 1M values, seconds): Stop stops it,
    and its result, when the work in the thread ends later, is not shown."""
    import threading

    from PySide6.QtWidgets import QLabel, QPushButton

    from tests.gui.helpers import find_dialog
    from zhi_gui.ui.history import diff_view

    win = lazy_window
    real = diff_view.compute_diff
    started, release = threading.Event(), threading.Event()

    def held(*args: Any) -> Any:
        started.set()
        release.wait(20)
        return real(*args)

    monkeypatch.setattr(diff_view, "compute_diff", held)
    win.findChild(QAction, "action-compare-anything").trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    dialog.diff_view.only_changes.click()  # every value listed: both sides read whole, then compared
    run = dialog.findChild(QPushButton, "compare-run")
    status = dialog.findChild(QLabel, "compare-status")
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(started.is_set, timeout=20000)
    assert status.text().startswith(f"Comparing {len(ENTRIES)} with {len(ENTRIES)} values"), status.text()
    assert run.text() == "Stop"

    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    assert run.text() == "Compare" and status.text().startswith("Stopped")
    release.set()  # the thread's diff ends now: nothing may show it
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)
    qtbot.wait(200)
    assert dialog.diff_view.diff is None and status.text().startswith("Stopped"), status.text()
    assert not win.last_error, win.last_error

    monkeypatch.setattr(diff_view, "compute_diff", real)
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.diff_view.diff is not None, timeout=20000)
    assert run.text() == "Compare"


def test_a_reload_reads_the_open_groups_again_and_keeps_the_key_being_edited(qtbot: Any, lazy_window: MainWindow,
                                                                             run_async: Any) -> None:
    """Seen at 1M values after the plugin was killed and restarted: the open groups came back
    closed, and the key whose edit was staged showed as "New key" (its group not read again)."""
    win = lazy_window
    svc2 = win.model.index(2, 0)
    qtbot.waitUntil(lambda: win.model.rowCount(win.model.index(2, 0)) == 5, timeout=10000)
    inst3 = win.model.index(3, 0, svc2)
    win.tree_view.expand(inst3)
    qtbot.waitUntil(lambda: len(rows(win, win.model.index(3, 0, win.model.index(2, 0)))) == 3, timeout=10000)
    key1 = win.model.index_of_path("svc2/inst3/key1")
    win.tree_view.setCurrentIndex(key1)
    assert win.editor.path == "svc2/inst3/key1" and not win.editor._is_new
    win.session.stage_set("svc2/inst3/key1", b'"staged"', b"")
    run_async(win.reload_tree())  # as after a reconnect
    qtbot.waitUntil(lambda: win.current_path() == "svc2/inst3/key1", timeout=10000)
    assert win.tree_view.isExpanded(win.model.index_of_path("svc2/inst3")), "the open group is open again"
    assert win.editor.path == "svc2/inst3/key1" and not win.editor._is_new, "not a new key"
    assert "version" in win.editor.path_label.text()
    assert len(rows(win, win.model.index_of_path("svc2/inst3"))) == 3


def test_typing_on_cancels_the_search_still_running(qtbot: Any, lazy_window: MainWindow,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A search of a big store can take seconds (an encrypted 1M-value store: 17 s): typing on
    cancels it (the plugin then stops its scan) instead of only dropping its result."""
    import asyncio

    win = lazy_window
    real = win.session.search
    started: list[str] = []
    cancelled: list[str] = []

    async def search(query: str, limit: int = main_window.SEARCH_LIMIT) -> tuple[list[str], int]:
        started.append(query)
        try:
            if query == "value-1":
                await asyncio.Event().wait()  # a long scan
            return await real(query, limit)
        except asyncio.CancelledError:
            cancelled.append(query)
            raise

    monkeypatch.setattr(win.session, "search", search)
    win.filter_edit.setText("value-1")
    qtbot.waitUntil(lambda: started == ["value-1"], timeout=10000)
    win.filter_edit.setText("value-2-3")
    qtbot.waitUntil(lambda: win.match_label.text() == "3 match(es)", timeout=10000)
    assert cancelled == ["value-1"] and started == ["value-1", "value-2-3"]


def test_the_model_stays_consistent_while_every_group_is_fetched(qtbot: Any, lazy_window: MainWindow) -> None:
    """The model tester walks the whole model and fetches every group (as no user would):
    each arrival of rows must be announced correctly, also over rows a filter put there."""
    win = lazy_window
    win.filter_edit.setText("value-3-4-1")
    qtbot.waitUntil(lambda: win.match_label.text() == "1 match(es)", timeout=10000)
    win.filter_edit.setText("")
    qtbot.waitUntil(lambda: win.model.visible is None, timeout=10000)
    tester = QAbstractItemModelTester(win.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    qtbot.waitUntil(lambda: not win.session.index.unloaded, timeout=20000)
    assert set(win.session.index.entries) == {e.path for e in ENTRIES}
    assert len(rows(win, win.model.index_of_path("svc3/inst4"))) == 3
    del tester


def test_history_compares_with_the_whole_shown_version(qtbot: Any, lazy_window: MainWindow, run_async: Any) -> None:
    """The index holds part of a big tree: 'current' for the History panel is the shown
    version read from the store, so nothing unread appears as removed."""
    win = lazy_window
    panel = win.history_panel
    assert len(win.session.index.entries) < len(ENTRIES)
    whole = run_async(panel.access.current_tree())
    assert set(whole) == {e.path for e in ENTRIES}
    run_async(win.session.store.write_values("t", [Entry("top", b"5")]))
    run_async(win.reload_tree())
    panel.show_panel()
    qtbot.waitUntil(lambda: len(panel.model.rows) == 2 and not panel.model.loading, timeout=10000)
    panel.diff_view.only_changes.setChecked(False)  # every value: the snapshots path
    with qtbot.waitSignal(panel.compared, timeout=15000):
        panel.select_versions([panel.model.rows[1].id])  # compared with current
    diff = panel.diff_view.diff
    assert diff is not None and not diff.partial
    assert (diff.counts.added, diff.counts.removed, diff.counts.changed) == (0, 0, 1)
    assert diff.counts.total == len(ENTRIES)


def test_export_and_import_see_the_whole_tree(lazy_window: MainWindow, run_async: Any) -> None:
    import json

    from zhi_gui.transfer.formats import Format, Imported
    from zhi_gui.transfer.transfer import apply_import, export_tree, preview_import

    session = lazy_window.session
    exported = json.loads(run_async(export_tree(session, Format.JSON)))
    assert exported["svc3"]["inst4"]["key2"] == "value-3-4-2", "unread values are exported too"
    with pytest.raises(E.Unsupported, match="replace"):
        run_async(preview_import(session, {}, replace=True))
    imported = {"svc3/inst4/key2": Imported(b'"imported"', None), "svc9/new": Imported(b"1", None)}
    preview = run_async(preview_import(session, imported))
    assert sorted((c.path, c.kind.value) for c in preview.writes) == [("svc3/inst4/key2", "update"),
                                                                      ("svc9/new", "add")]
    outcome = run_async(apply_import(session, preview, "import into a big tree"))
    assert outcome.saved
    got = run_async(session.store.get_values("t", ["svc3/inst4/key2", "svc9/new"]))
    assert [e.value_json for e in got] == [b'"imported"', b"1"]


def test_exporting_a_subtree_reads_only_it(lazy_window: MainWindow, run_async: Any) -> None:
    """Seen at 1M values: exporting svc001 (5,000 values) read the whole tree first (25 s;
    of a version, 12 s). A subtree, now or in a version, is read alone from the store."""
    import json

    from zhi_gui.transfer.formats import Format
    from zhi_gui.transfer.transfer import export_tree

    session = lazy_window.session
    first = session.head_version
    run_async(session.store.write_values("t", [Entry("svc2/inst0/key0", b'"changed"')]))
    read: list[tuple[int, int]] = []
    svc2 = [e for e in ENTRIES if e.path.startswith("svc2/")]

    now = json.loads(run_async(export_tree(session, Format.JSON, prefix="svc2",
                                           progress=lambda done, total: read.append((done, total)))))
    assert now["inst0"]["key0"] == "value-2-0-0", "the shown version (the store moved on since)"
    assert read[-1][0] == len(svc2), f"{read[-1][0]} values read for the {len(svc2)} of svc2"
    read.clear()
    run_async(lazy_window.reload_tree())
    assert session.head_version != first
    then = json.loads(run_async(export_tree(session, Format.JSON, prefix="svc2", version=first,
                                            progress=lambda done, total: read.append((done, total)))))
    assert then == now and read[-1][0] == len(svc2)
    changed = json.loads(run_async(export_tree(session, Format.JSON, prefix="svc2/inst0")))
    assert changed["key0"] == "changed" and sorted(changed) == ["key0", "key1", "key2"]


def test_copy_subtree_reads_the_unopened_values_from_the_store(qtbot: Any, lazy_window: MainWindow) -> None:
    """A group nobody opened holds no values in the window: Copy subtree reads them from the store."""
    win = lazy_window
    QApplication.clipboard().clear()
    assert not any(p.startswith("svc2/") for p in win.session.index.entries)
    win.tree_view.setCurrentIndex(win.model.index_of_path("svc2"))
    qtbot.waitUntil(lambda: win.current_path() == "svc2")
    copy_json = win.findChild(QAction, "action-copy-json")
    assert copy_json is not None and copy_json.isEnabled()
    copy_json.trigger()
    qtbot.waitUntil(lambda: QApplication.clipboard().text().startswith("{"))
    copied = json.loads(QApplication.clipboard().text())
    assert copied == {f"inst{i}": {f"key{k}": f"value-2-{i}-{k}" for k in range(3)} for i in range(5)}
    message = win.statusBar().currentMessage()
    assert message.startswith("Copied 15 value(s) at and below svc2 as JSON") and "read from the store" in message


def test_the_filter_says_how_many_matches_it_shows_and_shows_more(qtbot: Any, lazy_window: MainWindow,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(main_window, "SEARCH_LIMIT", 25)  # 5,000 in use; 60 values match here
    win = lazy_window
    win.filter_edit.setText("value-")
    qtbot.waitUntil(lambda: win.match_label.text().startswith("25 of 60 matches shown"))
    assert "show 25 more" in win.match_label.text()
    assert len(win._filter_matches) == 25
    click_link(qtbot, win.match_label)
    qtbot.waitUntil(lambda: win.match_label.text().startswith("50 of 60 matches shown"))
    assert "show 10 more" in win.match_label.text() and len(win._filter_matches) == 50
    click_link(qtbot, win.match_label)
    qtbot.waitUntil(lambda: win.match_label.text() == "60 match(es)")
    win.filter_edit.setText("value-3")  # another query starts again from the first 25
    qtbot.waitUntil(lambda: win.match_label.text() == "15 match(es)")
    win.filter_edit.setText("value-")
    qtbot.waitUntil(lambda: win.match_label.text().startswith("25 of 60 matches shown"))


def test_a_big_tree_without_values_at_its_root_is_not_called_empty(qtbot: Any, make_window: Any, run_async: Any,
                                                                  short_tmp: Path) -> None:
    """Read lazily, the index holds no value until a group opens: the window must still say
    how big the tree is, never that it is empty (seen after importing 300,000 values)."""
    db = short_tmp / "nested.sqlite"
    nested = [e for e in ENTRIES if "/" in e.path]

    async def fill() -> None:
        async with await launch_store(plugin_path("sqlite"), options={"path": str(db), "create": True}) as p:
            await p.store.write_values("t", nested)

    run_async(fill())
    win: MainWindow = make_window()
    win.session.lazy_threshold = 10
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(db)}, "t")))
    assert win.session.lazy and not win.session.index.entries
    assert "empty" not in win.banner.text()
    assert f"{len(nested)} values" in win.banner.text()
