"""``*`` on the value tree expands the whole subtree a slice per event-loop turn
(Qt's own does it in one block, which stalls the window on a big tree)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester, QTest

from zhi_gui.core.model import Entry
from zhi_gui.core.staging import Staging
from zhi_gui.core.tree_index import TreeIndex
from zhi_gui.ui import batched_expand
from zhi_gui.ui.main_window import ValueTreeView
from zhi_gui.ui.value_tree_model import ValueTreeModel

ENTRIES = [Entry(f"g{g}/sub{s:02d}/deep/k{k}", b"1") for g in range(3) for s in range(30) for k in range(4)]


@pytest.fixture
def view(qtbot: Any) -> ValueTreeView:
    model = ValueTreeModel()
    model.set_tree(TreeIndex(ENTRIES), Staging())
    view = ValueTreeView()
    view.setModel(model)
    view._tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)  # type: ignore[attr-defined]
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    return view


def groups_below(view: ValueTreeView, parent: QModelIndex) -> list[QModelIndex]:
    model = view.model()
    out = []
    for row in range(model.rowCount(parent)):
        child = model.index(row, 0, parent)
        if model.hasChildren(child):
            out.append(child)
            out.extend(groups_below(view, child))
    return out


def press_star_on(view: ValueTreeView, row: int) -> QModelIndex:
    index = view.model().index(row, 0)
    view.setCurrentIndex(index)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Asterisk)
    return index


def test_star_expands_the_whole_subtree_over_several_turns(view: ValueTreeView, qtbot: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batched_expand, "SLICE_SECONDS", 0.0)  # one group per turn
    g1 = press_star_on(view, 1)
    everything = [g1, *groups_below(view, g1)]
    assert view.isExpanded(g1) and not all(view.isExpanded(i) for i in everything), \
        "one turn opened only the first slice"
    qtbot.waitUntil(lambda: all(view.isExpanded(i) for i in everything), timeout=10000)
    others = [view.model().index(r, 0) for r in (0, 2)]
    assert not any(view.isExpanded(i) for i in others), "only the subtree under the current row"


def test_collapsing_stops_a_running_expand(view: ValueTreeView, qtbot: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batched_expand, "SLICE_SECONDS", 0.0)
    g0 = press_star_on(view, 0)
    job = view.findChildren(batched_expand.BatchedExpand)[0]
    assert job.running
    view.collapse(g0)
    qtbot.waitUntil(lambda: not job.running, timeout=5000)
    expanded = [i for i in groups_below(view, g0) if view.isExpanded(i)]
    assert len(expanded) < 5, "the rest of the subtree stayed closed"


def test_star_on_a_big_subtree_finishes_with_every_row_reachable(view: ValueTreeView, qtbot: Any) -> None:
    g2 = press_star_on(view, 2)
    qtbot.waitUntil(lambda: not view.findChildren(batched_expand.BatchedExpand), timeout=10000)
    assert all(view.isExpanded(i) for i in groups_below(view, g2))
    last = view.model().index(29, 0, g2)
    assert view.visualRect(view.model().index(0, 0, view.model().index(0, 0, last))).isValid()


def test_an_invalid_root_expands_the_whole_tree(view: ValueTreeView, qtbot: Any) -> None:
    job = batched_expand.expand_recursively(view, QModelIndex())
    qtbot.waitUntil(lambda: not job.running, timeout=10000)
    assert all(view.isExpanded(i) for i in groups_below(view, QModelIndex()))


def test_the_rows_shown_after_expanding_everything_are_what_a_repaint_shows(view: ValueTreeView,
                                                                          qtbot: Any) -> None:
    # Rows opened below the viewport skip the repaint the expand asks for: what is on screen
    # must still be the whole expanded tree, as a full repaint draws it.
    qtbot.waitExposed(view)
    screen = view.screen()

    def on_screen() -> Any:
        qtbot.wait(30)  # the pending repaint, if any
        return screen.grabWindow(view.winId()).toImage()

    collapsed = on_screen()
    job = batched_expand.expand_recursively(view, QModelIndex())
    qtbot.waitUntil(lambda: not job.running, timeout=10000)
    shown = on_screen()
    assert shown != collapsed, "the expanded rows are painted"
    view.viewport().repaint()
    assert on_screen() == shown, "what is shown equals a full repaint"
    view.scrollToBottom()
    bottom = on_screen()
    view.viewport().repaint()
    assert on_screen() == bottom, "rows opened out of view are painted when scrolled to"


def test_groups_named_by_path_open_over_several_turns_and_stop_at_a_reset(view: ValueTreeView, qtbot: Any,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """What the window uses to open again the groups it had open after a filter changed."""
    monkeypatch.setattr(batched_expand, "SLICE_SECONDS", 0.0)  # one group per turn
    model = view.model()
    assert isinstance(model, ValueTreeModel)
    paths = [f"g1/sub{s:02d}/deep" for s in range(30)] + [f"g1/sub{s:02d}" for s in range(30)] + ["g1"]
    job = batched_expand.expand_paths(view, paths, model.index_of_path)
    assert not view.isExpanded(model.index_of_path("g1")), "nothing in the turn that asked"
    qtbot.waitUntil(lambda: not job.running, timeout=10000)
    assert all(view.isExpanded(model.index_of_path(p)) for p in paths)
    shown = model.index(0, 0, model.index_of_path("g1/sub00/deep"))
    assert view.visualRect(shown).isValid(), "the rows below the opened groups are laid out"
    view.collapseAll()
    job = batched_expand.expand_paths(view, paths, model.index_of_path)
    model.set_tree(TreeIndex(ENTRIES), Staging())  # a new filter or tree: the old paths are not wanted
    qtbot.wait(100)
    assert not job.running and not view.isExpanded(model.index_of_path("g1"))
