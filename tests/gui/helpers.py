"""What GUI tests do as a user does: find a dialog, click a row or a button,
type into the value field, and what another program does to the same store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
)

from tests.conftest import plugin_path
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow


def find_dialog(qtbot: Any, win: MainWindow, name: str) -> QDialog:
    found: list[QDialog] = []

    def visible() -> bool:
        for dialog in win.findChildren(QDialog, name):
            if dialog.isVisible():
                found.append(dialog)
                return True
        return False

    qtbot.waitUntil(visible, timeout=10000)
    return found[0]


def click_link(qtbot: Any, label: QLabel) -> None:
    """Click the (first) link in a rich-text label with the mouse, as a user does: the mouse
    moves over the label, line by line, until the pointer turns into a hand, and clicks there."""
    for y in range(label.height() // 2 % 6, label.height(), 6):
        for x in range(1, label.width(), 2):
            qtbot.mouseMove(label, QPoint(x, y))
            if label.cursor().shape() == Qt.CursorShape.PointingHandCursor:
                qtbot.mouseClick(label, Qt.MouseButton.LeftButton, pos=QPoint(x + 2, y))
                return
    raise AssertionError(f"no link to click in {label.text()!r}")


def activate(qtbot: Any, win: MainWindow) -> None:
    """A closed dialog gives the activation back (the window manager does that on a desktop)."""
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)


def click_box(qtbot: Any, win: MainWindow, name: str, button: QMessageBox.StandardButton) -> None:
    box = find_dialog(qtbot, win, name)
    assert isinstance(box, QMessageBox)
    qtbot.mouseClick(box.button(button), Qt.MouseButton.LeftButton)


def click_key(qtbot: Any, win: MainWindow, path: str) -> None:
    """Click a key's row in the value tree with the mouse."""
    index = win.model.index_of_path(path)
    assert index.isValid(), path
    parent = index.parent()
    while parent.isValid():  # open the groups above it, as a user would
        win.tree_view.expand(parent)
        parent = parent.parent()

    def visible() -> bool:  # scrolled into the viewport once the layout has settled
        win.tree_view.scrollTo(index)
        rect = win.tree_view.visualRect(index)
        return rect.isValid() and win.tree_view.viewport().rect().contains(rect.center())

    qtbot.waitUntil(visible)
    rect = win.tree_view.visualRect(index)
    qtbot.mouseClick(win.tree_view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def click_tree(qtbot: Any, win: MainWindow, tree_id: str) -> None:
    items = win.trees_list.findItems(tree_id, Qt.MatchFlag.MatchExactly)
    assert items, tree_id
    rect = win.trees_list.visualItemRect(items[0])
    qtbot.mouseClick(win.trees_list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def type_value(qtbot: Any, win: MainWindow, text: str) -> QLineEdit:
    """Focus the value field (F2 from the tree) and type over it."""
    win.tree_view.setFocus()
    qtbot.keyClick(win.tree_view, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    field = QApplication.focusWidget()
    assert isinstance(field, QLineEdit) and win.editor.isAncestorOf(field)
    qtbot.keyClick(field, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)
    return field


async def save_elsewhere(store_file: Path, entries: list[Entry]) -> None:
    """Another program saves a version of the tree "sample" in the same sqlite file."""
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file)})
    try:
        await plugin.store.write_values("sample", entries, message="them")
    finally:
        await plugin.close()


def sqlite_target(store_file: Path, tree: str = "sample") -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, tree)


def fill_open_store_json(qtbot: Any, opener: QDialog, plugin: str, options: dict[str, Any], tree: str) -> None:
    """Fill the Open store dialog as a user giving raw options does: the plugin's path, then
    "Advanced (JSON)" (shown only when the selected plugin has an options form), the JSON, the tree."""
    path = opener.findChild(QLineEdit, "open-path")
    path.selectAll()
    qtbot.keyClicks(path, str(plugin_path(plugin)))
    advanced = opener.findChild(QCheckBox, "open-advanced")
    if advanced is not None and advanced.isEnabled() and not advanced.isChecked():
        advanced.setFocus()
        qtbot.keyClick(advanced, Qt.Key.Key_Space)
        qtbot.waitUntil(advanced.isChecked)
    field = opener.findChild(QPlainTextEdit, "open-options")
    assert field.isVisible(), "the raw options field is shown"
    field.selectAll()
    qtbot.keyClicks(field, json.dumps(options))
    tree_field = opener.findChild(QLineEdit, "open-tree")
    tree_field.selectAll()
    qtbot.keyClicks(tree_field, tree)
