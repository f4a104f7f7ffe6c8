"""A screen reader's view of the window: every focusable control that is on screen
has a name in Qt's accessibility interface (the main window, its docks, the value
editor for each kind of value, the history and diff, and dialogs), and Tab walks
the window in reading order: store bar, trees, filter, value tree, editor, history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from tests.gui.conftest import security_of
from tests.gui.helpers import activate, click_key, find_dialog, sqlite_target
from zhi_gui.ui.main_window import MainWindow

KEYS = ("global/environment", "global/tracing/sample-rate", "global/feature-flags", "global/allowed-origins",
        "global/motd", "services/api/enabled", "services/api/database/password", "services/api/routes.yaml")


def unnamed_controls(root: QWidget) -> list[str]:
    """Focusable controls on screen that a screen reader could not name, walked
    through QAccessible (queryAccessibleInterface, child(), state, text(Name))."""
    found: list[str] = []

    def walk(iface: QAccessibleInterface | None) -> None:
        if iface is None or not iface.isValid():
            return
        widget = iface.object()
        if iface.state().focusable and isinstance(widget, QWidget) and widget.isVisible() \
                and not iface.text(QAccessible.Text.Name):
            found.append(f"{type(widget).__name__} {widget.objectName()!r} ({iface.role().name})")
        for i in range(iface.childCount()):
            walk(iface.child(i))

    walk(QAccessible.queryAccessibleInterface(root))
    return found


def sample(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> MainWindow:
    win: MainWindow = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(short_tmp / "a.sqlite")))
    run_async(win.fill_sample())
    qtbot.waitUntil(lambda: win.session.loaded and win.model.rowCount() > 0)
    return win


def test_every_focusable_control_has_an_accessible_name(qtbot: Any, make_window: Any, run_async: Any,
                                                         short_tmp: Path) -> None:
    win = sample(qtbot, make_window, run_async, short_tmp)
    win.session.stage_set("services/api/replicas", b"7", b"")
    run_async(win.save("a second version"))
    panel = win.history_panel
    panel.show_panel()
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 2 and not panel.model.loading)
    rect = panel.list.visualRect(panel.model.index(1, 0))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # a diff
    qtbot.waitUntil(lambda: panel.diff_view.diff is not None)
    assert unnamed_controls(win) == []
    for path in KEYS:  # the editor of each kind of value
        click_key(qtbot, win, path)
        qtbot.waitUntil(lambda p=path: win.editor.path == p)
        assert unnamed_controls(win) == [], path
    assert win.editor.focusProxy().accessibleDescription().endswith(KEYS[-1]), "the field says which key"


def test_dialogs_name_their_controls(qtbot: Any, main_window: MainWindow) -> None:
    win = main_window
    activate(qtbot, win)
    win.tree_view.setFocus()
    qtbot.keyClick(win.tree_view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dialog = find_dialog(qtbot, win, "open-store-dialog")
    for row in range(dialog.plugins.count()):  # each plugin's options form (or its JSON field)
        dialog.plugins.setCurrentRow(row)
        assert unnamed_controls(dialog) == [], dialog.plugins.item(row).text()
    dialog.reject()


def test_the_encrypt_dialog_names_its_controls(qtbot: Any, main_window: MainWindow, run_async: Any,
                                               short_tmp: Path) -> None:
    win = main_window
    run_async(win.open_store(sqlite_target(short_tmp / "e.sqlite")))
    security_of(win).encrypt_action.trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    assert unnamed_controls(dialog) == []
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_the_review_dialog_names_its_controls(qtbot: Any, make_window: Any, run_async: Any,
                                              short_tmp: Path) -> None:
    win = sample(qtbot, make_window, run_async, short_tmp)
    win.session.stage_set("services/api/replicas", b"5", b"")
    win.save_action.trigger()
    dialog = find_dialog(qtbot, win, "review-dialog")
    assert unnamed_controls(dialog) == []
    dialog.reject()
    qtbot.waitUntil(lambda: not dialog.isVisible())


def focus_region(win: MainWindow, widget: QWidget | None) -> str:
    """Which part of the window a focused control is in."""
    if widget is None:
        return "none"
    regions = [("store bar", win.open_button), ("trees", win.trees_dock), ("filter", win.filter_edit),
               ("value tree", win.tree_view), ("editor", win.editor_dock)]
    panel = win.history_panel
    if panel is not None:
        regions.append(("history", panel))
    for name, area in regions:
        if widget is area or area.isAncestorOf(widget):
            return name
    return "other"


def test_tab_follows_the_layout(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    win = sample(qtbot, make_window, run_async, short_tmp)
    win.history_panel.show_panel()
    click_key(qtbot, win, "services/api/image")  # a one-line value: its field lets Tab go on
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    win.open_button.setFocus()
    qtbot.waitUntil(win.open_button.hasFocus)
    regions = ["store bar"]
    for _ in range(30):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        region = focus_region(win, QApplication.focusWidget())
        if region != regions[-1]:
            regions.append(region)
        if region == "history":
            break
    assert regions[:6] == ["store bar", "trees", "filter", "value tree", "editor", "history"], regions
    assert not [d for d in win.findChildren(QDialog) if d.isVisible()]


def test_more_dialogs_name_their_controls(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    """Compare, Copy or move subtree, Rename tree, Export and the conflict dialog."""
    from PySide6.QtGui import QAction

    from tests.gui.helpers import save_elsewhere
    from zhi_gui.core.model import Entry

    win = sample(qtbot, make_window, run_async, short_tmp)
    click_key(qtbot, win, "services/api/replicas")
    for action_name, dialog_name in (("action-compare-anything", "compare-dialog"),
                                     ("action-copy-subtree", "copy-dialog"),
                                     ("action-rename-tree", "rename-tree-dialog"),
                                     ("action-export", "export-dialog")):
        action = win.findChild(QAction, action_name)
        assert action is not None and action.isEnabled(), action_name
        action.trigger()
        dialog = find_dialog(qtbot, win, dialog_name)
        assert unnamed_controls(dialog) == [], dialog_name
        dialog.reject()
        qtbot.waitUntil(lambda d=dialog: not d.isVisible())
        qtbot.waitUntil(lambda: not win.tasks)

    win.session.stage_set("services/api/replicas", b"9", b"")
    run_async(save_elsewhere(short_tmp / "a.sqlite", [Entry("services/api/replicas", b"5")]))
    win.save_action.trigger()
    review = find_dialog(qtbot, win, "review-dialog")
    review.accept()
    conflict = find_dialog(qtbot, win, "conflict-dialog")
    assert unnamed_controls(conflict) == []
    conflict.reject()
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)
