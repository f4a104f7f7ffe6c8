"""Many rows changing at once (a save of 1,000 edits) are announced to the view a
slice per event-loop turn, every one of them in the end."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QTreeView

from zhi_gui.core.model import Entry
from zhi_gui.core.staging import Staging
from zhi_gui.core.tree_index import TreeIndex
from zhi_gui.ui import value_tree_model
from zhi_gui.ui.value_tree_model import PATH_ROLE, ValueTreeModel


def test_a_big_batch_of_changed_rows_is_announced_in_slices(qtbot: Any) -> None:
    entries = [Entry(f"g{g}/k{k:03d}", b"1", b"", "1") for g in range(3) for k in range(60)]
    staging = Staging()
    model = ValueTreeModel()
    model.set_tree(TreeIndex(entries), staging)
    staging.listeners.append(model.on_staged)
    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.expandAll()
    announced: list[str] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: announced.append(top.data(PATH_ROLE)))
    for entry in entries[:150]:
        staging.stage_set(entry.path, b"2", b"", entry)
    announced.clear()
    # the model tester watches what matters here (it walks the model on every change: slow)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    staging.clear()  # what a save does: 150 rows look different now
    assert 0 < len(announced) <= value_tree_model.REFRESH_SLICE, "the first slice at once, the rest later"
    qtbot.waitUntil(lambda: len(announced) == 150, timeout=5000)
    assert set(announced) == {e.path for e in entries[:150]}
    assert model.data(model.index_of_path("g0/k000", 3)) == "1", "the row shows the stored value again"
    assert model.rowCount(QModelIndex()) == 3
    del tester
