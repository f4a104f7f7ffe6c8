"""The plugin log view takes lines in batches and stays bounded."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from zhi_gui.plugin.hclog import LogLine
from zhi_gui.plugin.launcher import dropped_marker
from zhi_gui.ui.plugin_view import MAX_LINES, PluginView


def test_batches_are_shown_bounded_and_filtered(qtbot: Any) -> None:
    view = PluginView()
    qtbot.addWidget(view)
    view.show()
    QAbstractItemModelTester(view.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    view.add_lines([dropped_marker(120)])
    for start in range(0, 12_000, 1_000):  # twelve batches, more than the view keeps
        view.add_lines([LogLine("info" if n % 2 else "debug", f"line {n}") for n in range(start, start + 1_000)])
    rows = view.model.rowCount(QModelIndex())
    assert 0 < rows <= MAX_LINES
    last = view.model.index(rows - 1, 0).data()
    assert "line 11999" in last and "INFO" in last  # newest kept; debug hidden at the default level
    view.level.setCurrentIndex(0)  # trace and above: the debug lines too
    assert "line 11999" in view.model.index(view.model.rowCount(QModelIndex()) - 1, 0).data()
    assert len(view.all_lines) <= 2 * MAX_LINES
    for n in range(300):  # the single-line slot still works, coalesced into one batch
        view.add_line(LogLine("error", f"one more {n}"))
    qtbot.waitUntil(lambda: "one more 299" in view.model.index(view.model.rowCount(QModelIndex()) - 1, 0).data())
