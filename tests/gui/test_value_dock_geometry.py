"""Small visual faults of the Value dock, checked by geometry at 1366x768: list,
map and label tables keep room for several rows, a long key path is cut with "…"
(the whole path in its tooltip) instead of running into the Type box, and
"Copied…" under a secret does not change the dock's width."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QScrollArea, QTableWidget, QToolButton

from tests.gui.helpers import activate, click_key, sqlite_target
from zhi_gui.ui.editors import SecretClipboard
from zhi_gui.ui.editors.base import MIN_TABLE_ROWS
from zhi_gui.ui.main_window import MainWindow

LONG_PATH = "services/api/" + "a-rather-long-group-name/" * 5 + "and-finally-the-key"


def sample(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> MainWindow:
    win: MainWindow = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(short_tmp / "g.sqlite")))
    run_async(win.fill_sample())
    qtbot.waitUntil(lambda: win.session.loaded and win.model.rowCount() > 0)
    win.history_panel.show_panel()  # the Value dock shares its height with the History
    return win


def rows_shown(table: QTableWidget) -> int:
    """How many rows the table's viewport shows in full."""
    height = table.viewport().height()
    return sum(1 for row in range(table.rowCount())
               if table.rowViewportPosition(row) >= 0
               and table.rowViewportPosition(row) + table.rowHeight(row) <= height)


def test_list_map_and_label_tables_show_several_rows(qtbot: Any, make_window: Any, run_async: Any,
                                                     short_tmp: Path) -> None:
    win = sample(qtbot, make_window, run_async, short_tmp)
    labels = {"core.type": "list", **{f"team.label-{i}": i for i in range(6)}}
    items = [f"https://site{i}.example" for i in range(12)]
    win.session.stage_set("global/allowed-origins", json.dumps(items).encode(), json.dumps(labels).encode())
    win.session.stage_set("global/feature-flags", json.dumps({f"flag-{i}": True for i in range(12)}).encode(), b"")
    for path, name in (("global/allowed-origins", "itemTable"), ("global/feature-flags", "entryTable")):
        click_key(qtbot, win, path)
        qtbot.waitUntil(lambda p=path: win.editor.path == p)
        table = win.editor.findChild(QTableWidget, name)
        assert table is not None and table.isVisible()
        qtbot.waitUntil(lambda t=table: rows_shown(t) >= MIN_TABLE_ROWS)
    click_key(qtbot, win, "global/allowed-origins")
    qtbot.waitUntil(lambda: win.editor.path == "global/allowed-origins")
    toggle = win.editor.findChild(QToolButton, "labelsToggle")
    qtbot.mouseClick(toggle, Qt.MouseButton.LeftButton)
    labels_table = win.editor.findChild(QTableWidget, "labelsTable")
    qtbot.waitUntil(labels_table.isVisible)
    qtbot.waitUntil(lambda: rows_shown(labels_table) >= MIN_TABLE_ROWS)
    assert rows_shown(win.editor.findChild(QTableWidget, "itemTable")) >= MIN_TABLE_ROWS, "both, not one"


def test_a_long_path_is_cut_before_the_type_box_and_kept_whole_in_its_tooltip(
        qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    win = sample(qtbot, make_window, run_async, short_tmp)
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    width = win.editor_dock.width()
    win.session.stage_set(LONG_PATH, b'"x"', b"")
    click_key(qtbot, win, LONG_PATH)
    qtbot.waitUntil(lambda: win.editor.path == LONG_PATH)
    path_label = win.editor.path_label
    type_box = win.editor.type_combo
    type_label = next(label for label in win.editor.findChildren(QLabel) if label.buddy() is type_box)
    right = path_label.mapTo(win.editor, QPoint(path_label.width(), 0)).x()
    assert right <= type_label.mapTo(win.editor, QPoint(0, 0)).x(), "the path runs into the Type label"
    assert "\u2026" in path_label.text() and path_label.toolTip() == LONG_PATH
    assert win.editor_dock.width() == width, "a long path does not widen the dock"


def test_copied_under_a_secret_does_not_change_the_docks_width(qtbot: Any, make_window: Any, run_async: Any,
                                                               short_tmp: Path, monkeypatch: Any) -> None:
    # the clipboard is cleared before the test ends (a secret left there would outlive it)
    monkeypatch.setattr(SecretClipboard, "clear_after_ms", 600)
    win = sample(qtbot, make_window, run_async, short_tmp)
    click_key(qtbot, win, "services/api/database/password")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/database/password")
    status = win.editor.findChild(QLabel, "copyStatus")
    # The sentence wider than everything else in the editor, as with a desktop's larger
    # font: here only the status line's font is enlarged, so the rest keeps its width.
    font = status.font()
    font.setPointSizeF(font.pointSizeF() * 2)
    status.setFont(font)
    win.resizeDocks([win.editor_dock], [win.editor.minimumSizeHint().width() + 10], Qt.Orientation.Horizontal)
    qtbot.waitUntil(lambda: win.editor_dock.width() <= win.editor.minimumSizeHint().width() + 40)
    scroll = win.editor_dock.widget()
    assert isinstance(scroll, QScrollArea)

    def geometry() -> tuple[int, int, bool]:
        """The dock's width, the editor's width in it, a sideways scroll bar."""
        return win.editor_dock.width(), win.editor.width(), scroll.horizontalScrollBar().isVisible()

    before = geometry()
    assert not before[2]
    copy = win.editor.findChild(QPushButton, "copyButton")
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status.text().startswith("Copied"))
    QApplication.sendPostedEvents()  # the relayout a changed label asks for, if any
    QApplication.processEvents()
    assert geometry() == before
    assert status.fontMetrics().horizontalAdvance(status.text()) > win.editor_dock.width(), \
        "the sentence is wider than the dock (it wraps)"
    qtbot.waitUntil(lambda: not SecretClipboard.instance().pending())
