"""Habits desktop users bring from other tools, driven with real key and mouse
events: the filter (Esc, Down, clearing keeps the place), the editor's keys
(Enter stages, focus goes back to the tree, New key lands in the value field),
passphrase fields, copying, the Help menu and screens the window must fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QContextMenuEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDockWidget,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
)

from tests.conftest import plugin_path
from tests.gui.helpers import activate, click_key, find_dialog, sqlite_target, type_value
from zhi_gui.core.copying import MASK
from zhi_gui.core.model import Entry
from zhi_gui.services.keyring_service import AvailabilityStatus, InMemoryVault
from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreTarget
from zhi_gui.ui.copy_actions import PASSWORD_HINT
from zhi_gui.ui.main_window import MainWindow


@pytest.fixture
def sample_window(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> MainWindow:
    """A 1366x768 window, active, on a sqlite store filled with the sample tree."""
    win: MainWindow = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    qtbot.waitUntil(lambda: win.session.loaded and win.model.rowCount() > 0)
    return win


def _focus_is(widget: Any) -> bool:
    return QApplication.focusWidget() is widget


# --- 1. filter -------------------------------------------------------------------------------------
def test_filter_down_enters_results_and_esc_clears_keeping_the_place(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.tree_view.collapseAll()
    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _focus_is(win.filter_edit))
    qtbot.keyClicks(win.filter_edit, "replicas")
    qtbot.waitUntil(lambda: win.match_label.text().endswith("match(es)"))
    first = win._filter_matches
    assert first and all("replicas" in p for p in first), first

    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: _focus_is(win.tree_view))
    assert "replicas" in win.current_path(), win.current_path()
    chosen = win.current_path()
    qtbot.waitUntil(lambda: win.editor.path == chosen)

    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _focus_is(win.filter_edit))
    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: win.filter_edit.text() == "" and win.match_label.text() == "")
    qtbot.waitUntil(lambda: win.model.visible is None)
    # The key stays selected and in sight: every group above it is open.
    assert win.current_path() == chosen
    assert chosen in win.selected_paths()
    parent = chosen.rpartition("/")[0]
    while parent:
        assert win.tree_view.isExpanded(win.model.index_of_path(parent)), parent
        parent = parent.rpartition("/")[0]
    assert win.editor.path == chosen
    # Other groups are still there to browse (nothing was filtered away).
    assert win.model.index_of_path("services/api/image").isValid()


def test_esc_in_an_empty_filter_changes_nothing(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    win.filter_edit.setFocus()
    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Escape)
    assert win.current_path() == "services/api/image"


# --- 2. editor keys --------------------------------------------------------------------------------

def test_enter_in_a_one_line_field_stages_and_focus_returns_to_the_tree(qtbot: Any,
                                                                        sample_window: MainWindow) -> None:
    win = sample_window
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    field = type_value(qtbot, win, "nginx:2")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    change = win.session.staging.get("services/api/image")
    assert change is not None and change.new is not None and change.new.value_json == b'"nginx:2"'
    qtbot.waitUntil(lambda: _focus_is(win.tree_view))
    # Down goes on to the next key right away: the keyboard is back in the tree.
    qtbot.keyClick(win.tree_view, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: win.current_path() != "services/api/image")


def test_esc_in_the_editor_reverts_and_returns_to_the_tree(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    field = type_value(qtbot, win, "typo")
    qtbot.waitUntil(lambda: win.editor.dirty)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: _focus_is(win.tree_view))
    assert not win.editor.dirty and win.session.staging.get("services/api/image") is None


def test_new_key_puts_the_typing_into_its_value_field(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    qtbot.keyClick(win.tree_view, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = find_dialog(qtbot, win, "newKeyDialog")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.findChild(QLineEdit, "pathEdit"))
    qtbot.keyClicks(QApplication.focusWidget(), "motd")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.editor.path == "services/api/motd")
    activate(qtbot, win)
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit)
                    and win.editor.isAncestorOf(QApplication.focusWidget()))
    qtbot.keyClicks(QApplication.focusWidget(), "hello")
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    change = win.session.staging.get("services/api/motd")
    assert change is not None and change.new is not None and change.new.value_json == b'"hello"'
    assert win.current_path() == "services/api/motd", "the typing did not go to the tree's type-ahead"


def test_encrypt_dialog_type_tab_type_fills_confirm(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.findChild(QAction, "action-encrypt").trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    first = dialog.findChild(QLineEdit, "new-passphrase")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first)
    qtbot.keyClicks(first, "tangerine otter 42 blue")
    qtbot.keyClick(first, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "tangerine otter 42 blue")
    assert dialog.findChild(QLineEdit, "confirmation").text() == "tangerine otter 42 blue"
    dialog.reject()
    qtbot.waitUntil(lambda: not win.tasks)


def test_encrypt_dialog_show_passphrase_is_reachable_by_tab(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.findChild(QAction, "action-encrypt").trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    first = dialog.findChild(QLineEdit, "new-passphrase")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first)
    qtbot.keyClick(first, Qt.Key.Key_Tab)  # nothing typed yet: the order is the same as after typing
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    box = dialog.findChild(QCheckBox, "show-passphrase")
    assert QApplication.focusWidget() is box
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert first.echoMode() == QLineEdit.EchoMode.Normal
    assert dialog.findChild(QLineEdit, "confirmation").echoMode() == QLineEdit.EchoMode.Normal
    dialog.reject()
    qtbot.waitUntil(lambda: not win.tasks)


# --- 3. passphrases --------------------------------------------------------------------------------
def _encrypt_and_lock(win: MainWindow, run_async: Any) -> None:
    run_async(win.session.store.init_encryption(b"tangerine otter 42 blue"))
    run_async(win.session.store.lock())
    run_async(win.session.refresh_capabilities())


def test_forget_passphrase_only_on_an_encrypted_readable_store_and_asks(qtbot: Any, sample_window: MainWindow,
                                                                       run_async: Any) -> None:
    win = sample_window
    forget = win.findChild(QAction, "action-forget-passphrase")
    assert not forget.isEnabled(), "a plain store has no passphrase to forget"
    _encrypt_and_lock(win, run_async)
    qtbot.waitUntil(lambda: win.findChild(QAction, "action-unlock").isEnabled())
    assert not forget.isEnabled(), "a locked store still needs its passphrase"
    win.findChild(QAction, "action-unlock").trigger()
    unlock = find_dialog(qtbot, win, "unlock-dialog")
    qtbot.keyClicks(unlock.findChild(QLineEdit, "passphrase"), "tangerine otter 42 blue")
    qtbot.keyClick(unlock.findChild(QLineEdit, "passphrase"), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.session.locked and forget.isEnabled())
    activate(qtbot, win)
    win.store_menu.popup(win.mapToGlobal(win.rect().center()))  # the menu a user opens
    qtbot.waitUntil(win.store_menu.isVisible)
    win.store_menu.setActiveAction(forget)
    qtbot.keyClick(win.store_menu, Qt.Key.Key_Return)
    box = find_dialog(qtbot, win, "ask-forget-passphrase")
    assert "typed" in box.informativeText()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks)


def test_unlock_without_a_keyring_shows_no_error_before_typing(qtbot: Any, make_window: Any, run_async: Any,
                                                               short_tmp: Path) -> None:
    win: MainWindow = make_window(vault=InMemoryVault(AvailabilityStatus.NO_BACKEND))
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    _encrypt_and_lock(win, run_async)
    qtbot.waitUntil(lambda: win.findChild(QAction, "action-unlock").isEnabled())
    win.findChild(QAction, "action-unlock").trigger()
    unlock = find_dialog(qtbot, win, "unlock-dialog")
    reason = unlock.findChild(QLabel, "remember-reason")
    assert reason.isVisible() and reason.text(), "the keyring's state is said once, as a note"
    assert not unlock.findChild(QLabel, "problem").isVisible(), "no red error before anything was typed"
    unlock.reject()
    qtbot.waitUntil(lambda: not win.tasks)


def _key(widget: Any, key: Qt.Key, text: str, shift: bool) -> None:
    """A key press as the keyboard sends it: the text already carries Caps Lock's effect."""
    modifiers = Qt.KeyboardModifier.ShiftModifier if shift else Qt.KeyboardModifier.NoModifier
    QTest.sendKeyEvent(QTest.KeyAction.Click, widget, key, text, modifiers)


def test_caps_lock_warning_on_passphrase_fields(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.findChild(QAction, "action-encrypt").trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    field = dialog.findChild(QLineEdit, "new-passphrase")
    warning = dialog.findChild(QLabel, "caps-lock")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)
    _key(field, Qt.Key.Key_A, "a", shift=False)
    _key(field, Qt.Key.Key_B, "B", shift=True)
    _key(field, Qt.Key.Key_4, "4", shift=False)
    assert not warning.isVisible()
    _key(field, Qt.Key.Key_C, "C", shift=False)  # upper case without Shift: Caps Lock is on
    qtbot.waitUntil(warning.isVisible)
    assert "Caps Lock" in warning.text()
    _key(field, Qt.Key.Key_7, "7", shift=False)  # a digit says nothing either way
    assert warning.isVisible()
    _key(field, Qt.Key.Key_D, "d", shift=True)  # Shift with Caps Lock gives lower case: still on
    assert warning.isVisible()
    _key(field, Qt.Key.Key_CapsLock, "", shift=False)
    qtbot.waitUntil(lambda: not warning.isVisible())
    _key(field, Qt.Key.Key_E, "e", shift=False)
    assert not warning.isVisible()
    assert field.text() == "aB4C7de"
    # The confirmation field warns too.
    confirmation = dialog.findChild(QLineEdit, "confirmation")
    confirmation.setFocus()
    _key(confirmation, Qt.Key.Key_X, "X", shift=False)
    qtbot.waitUntil(warning.isVisible)
    dialog.reject()
    qtbot.waitUntil(lambda: not win.tasks)


# --- 4. copying, Help, Reset layout, recent stores ----------------------------------------------------
def _context_menu_pick(qtbot: Any, win: MainWindow, path: str, text: str) -> None:
    """Click the key's row, right-click it, click the menu entry called ``text``. QTest's right
    click makes no context-menu event (the platform makes it), so that event is sent as a
    right click delivers it: to the viewport, at the row, through Qt's event handling."""
    index = win.model.index_of_path(path)
    win.tree_view.scrollTo(index)
    pos = win.tree_view.visualRect(index).center()
    qtbot.mouseClick(win.tree_view.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mousePress(win.tree_view.viewport(), Qt.MouseButton.RightButton, pos=pos)
    QApplication.sendEvent(win.tree_view.viewport(), QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, pos, win.tree_view.viewport().mapToGlobal(pos)))
    qtbot.mouseRelease(win.tree_view.viewport(), Qt.MouseButton.RightButton, pos=pos)
    menus: list[QMenu] = []
    qtbot.waitUntil(lambda: bool(menus.extend(m for m in win.findChildren(QMenu) if m.isVisible()) or menus))
    menu = menus[0]
    action = next(a for a in menu.actions() if a.text() == text)
    qtbot.mouseClick(menu, Qt.MouseButton.LeftButton, pos=menu.actionGeometry(action).center())


def _clipboard() -> str:
    return QApplication.clipboard().text()


def test_copy_path_value_and_subtree_with_secrets_asked(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    QApplication.clipboard().clear()
    _context_menu_pick(qtbot, win, "services/api/replicas", "Copy path")
    qtbot.waitUntil(lambda: _clipboard() == "services/api/replicas")

    win.tree_view.setFocus()
    qtbot.keyClick(win.tree_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)  # Copy value
    replicas = win.model.current_entry("services/api/replicas")
    assert replicas is not None
    qtbot.waitUntil(lambda: _clipboard() == replicas.value_json.decode())

    password = win.model.current_entry("services/api/database/password")
    assert password is not None
    secret = json.loads(password.value_json)
    _context_menu_pick(qtbot, win, "services/api/database", "Copy subtree as YAML")
    box = find_dialog(qtbot, win, "ask-copy-secrets")
    qtbot.mouseClick(box.findChild(QPushButton, "copy-masked"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "password" in _clipboard())
    copied = yaml.safe_load(_clipboard())
    assert copied["password"] == MASK and secret not in _clipboard()
    assert not QApplication.clipboard().mimeData().hasFormat(PASSWORD_HINT)

    _context_menu_pick(qtbot, win, "services/api/database", "Copy subtree as JSON")
    box = find_dialog(qtbot, win, "ask-copy-secrets")
    qtbot.mouseClick(box.findChild(QPushButton, "copy-secrets"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _clipboard().startswith("{") and secret in _clipboard())
    assert json.loads(_clipboard())["password"] == secret
    assert QApplication.clipboard().mimeData().hasFormat(PASSWORD_HINT), "kept out of clipboard history"
    qtbot.waitUntil(lambda: not win.tasks)


def test_help_menu_lists_shortcuts_and_where_data_lives(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    dialog = find_dialog(qtbot, win, "shortcuts-dialog")
    table = dialog.findChild(QTableWidget)
    rows = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert rows["Copy path"] == "Ctrl+Shift+C" and rows["Review & save"] == "Ctrl+S"
    assert "Filter: clear it" in rows
    dialog.close()
    help_menu = win.findChild(QMenu, "help-menu")
    assert [a.text() for a in help_menu.actions()] == ["Keyboard shortcuts", "Where data lives", "About zhi-gui"]
    help_menu.actions()[1].trigger()
    data = find_dialog(qtbot, win, "data-dialog")
    table = data.findChild(QTableWidget)
    what = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert {"Settings", "Plugin state (per plugin and store)", "Embedded store (default)", "Logs"} <= set(what)
    data.close()
    help_menu.actions()[2].trigger()
    about = find_dialog(qtbot, win, "about-dialog")
    assert "zhi-gui" in about.text()
    about.close()


def test_reset_layout_brings_the_docks_back(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.trees_dock.toggleViewAction().trigger()
    win.editor_dock.setFloating(True)
    assert not win.trees_dock.isVisible()
    win.findChild(QAction, "action-reset-layout").trigger()
    qtbot.waitUntil(lambda: win.trees_dock.isVisible() and not win.editor_dock.isFloating())


def test_recent_stores_show_where_they_are(qtbot: Any, make_window: Any, run_async: Any, tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    win: MainWindow = make_window(settings, tmp_path / "state")
    for name in ("alpha", "beta"):
        folder = tmp_path / name
        folder.mkdir()
        run_async(win.open_store(StoreTarget(plugin_path("json"), {"dir": str(folder), "create": True}, "t")))
    labels = [a.text() for a in win.recent_menu.actions()]
    assert len(labels) == 2 and labels[0] != labels[1], labels
    assert any(str(tmp_path / "alpha") in label for label in labels)
    assert any(str(tmp_path / "beta") in label for label in labels)


# --- 5. screens ----------------------------------------------------------------------------------------
def _shown_docks(win: MainWindow) -> list[QDockWidget]:
    """Docks on screen: visible, and not a tab hidden behind another one."""
    return [d for d in win.findChildren(QDockWidget) if d.isVisible() and not d.visibleRegion().isEmpty()]


def _assert_fits(win: MainWindow, size: QSize) -> None:
    assert win.size() == size, f"the window changed size by itself: {win.size()}"
    inside = win.rect()
    docks = _shown_docks(win)
    for dock in docks:
        assert inside.contains(dock.geometry()), f"{dock.objectName()} {dock.geometry()} outside {inside}"
    for i, one in enumerate(docks):
        for other in docks[i + 1:]:
            assert not one.geometry().intersects(other.geometry()), \
                f"{one.objectName()} {one.geometry()} overlaps {other.objectName()} {other.geometry()}"
    central = win.centralWidget().geometry()
    assert central.width() > 0 and central.height() > 0 and inside.contains(central)
    for dock in docks:
        assert not central.intersects(dock.geometry()), dock.objectName()


@pytest.mark.parametrize("size", [QSize(1366, 768), QSize(1280, 720)], ids=["1366x768", "1920x1080-at-1.5"])
def test_the_docks_and_the_diff_fit_without_overlap(qtbot: Any, sample_window: MainWindow, run_async: Any,
                                                    size: QSize) -> None:
    """At 1366x768, and at 1920x1080 with QT_SCALE_FACTOR=1.5: Qt lays a scaled window out in
    device-independent pixels, so that screen is a 1280x720 one to the layout (the same fonts
    and widgets, at 1.5 times the device pixels; scripts/screenshot_screens.py shows it)."""
    win = sample_window
    win.resize(size)
    qtbot.waitUntil(lambda: win.size() == size)
    assert win.minimumSizeHint().width() <= size.width() and win.minimumSizeHint().height() <= size.height()
    win.session.stage_set("services/api/replicas", b"9", b"")
    run_async(win.save("scale"))
    panel = win.history_panel
    panel.show_panel()
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 2 and not panel.model.loading)
    _assert_fits(win, size)
    rect = panel.list.visualRect(panel.model.index(1, 0))
    qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())  # select a version
    qtbot.waitUntil(lambda: panel.diff_dock is not None and not panel.diff_dock.visibleRegion().isEmpty())
    qtbot.waitUntil(lambda: panel.diff_view.diff is not None)
    _assert_fits(win, size)
    assert panel.list.height() >= 80, "the History list keeps room to pick versions"


def test_a_remembered_layout_larger_than_the_screen_is_fitted(qtbot: Any, make_window: Any,
                                                              tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    first: MainWindow = make_window(settings, tmp_path / "state")
    free = first.screen().availableGeometry()
    first.setMinimumSize(0, 0)
    first.resize(free.width() + 900, free.height() + 600)  # as saved on a bigger monitor
    first.move(free.x() + 400, free.y() + 300)
    first._save_layout()
    again: MainWindow = make_window(settings, tmp_path / "state")
    qtbot.waitUntil(again.isVisible)
    frame = again.frameGeometry()
    assert frame.width() <= free.width() and frame.height() <= free.height(), (frame, free)
    assert free.contains(frame), (frame, free)


def test_the_match_count_groups_thousands(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    store_file = short_tmp / "big.sqlite"
    win: MainWindow = make_window()
    run_async(win.open_store(sqlite_target(store_file)))
    run_async(win.session.store.write_values("sample", [Entry(f"svc/k{i:04d}", b'"on"') for i in range(1_234)]))
    run_async(win.session.load_tree("sample"))
    qtbot.waitUntil(lambda: win.session.loaded and win.model.rowCount() > 0)
    qtbot.keyClicks(win.filter_edit, "svc/k")
    qtbot.waitUntil(lambda: win.match_label.text() == "1,234 match(es)")
