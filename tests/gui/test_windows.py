"""Several stores open at once, one per window (File > New window), driven
with real key and mouse events: each window has its own session and staged
edits, the title names the store, a store already open elsewhere brings its
window forward instead of a second plugin, and Quit asks once per window with
staged edits."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableWidget,
)

from tests.conftest import child_pids, plugin_path
from tests.etcd_server import EtcdServer
from tests.gui.helpers import (
    activate,
    click_box,
    click_key,
    fill_open_store_json,
    find_dialog,
    sqlite_target,
    type_value,
)
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.windows import WindowRegistry


@pytest.fixture
def registry(qtbot: Any, make_window: Any) -> WindowRegistry:
    """The app's registry over windows from make_window (which closes them at teardown)."""
    reg = WindowRegistry(lambda: make_window(show=False))
    first = reg.adopt(make_window())
    first.resize(1366, 768)  # as the other GUI tests: room for the value tree
    first.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is first)
    return reg


def stage_by_typing(qtbot: Any, win: MainWindow, path: str, text: str) -> None:
    activate(qtbot, win)  # the user clicks into that window first
    click_key(qtbot, win, path)
    qtbot.waitUntil(lambda: win.editor.path == path)
    field = type_value(qtbot, win, text)
    qtbot.keyClick(field, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.session.staging.get(path) is not None)


def two_windows(qtbot: Any, registry: WindowRegistry, run_async: Any, folder: Path) -> tuple[MainWindow, MainWindow]:
    first = registry.windows[0]
    run_async(first.open_store(sqlite_target(folder / "a.sqlite")))
    run_async(first.fill_sample())
    qtbot.keyClick(first, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(registry.windows) == 2)
    second = registry.windows[1]
    qtbot.waitUntil(lambda: second.isVisible() and QApplication.activeWindow() is second)
    second.resize(1366, 768)
    assert not second.session.is_open, "a new window starts without a store"
    run_async(second.open_store(sqlite_target(folder / "b.sqlite")))
    run_async(second.fill_sample())
    return first, second


def test_two_windows_keep_their_edits_apart(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                            short_tmp: Path) -> None:
    first, second = two_windows(qtbot, registry, run_async, short_tmp)
    assert "a.sqlite" in first.windowTitle() and "b.sqlite" in second.windowTitle(), "each title names its store"
    assert first.session.target is not None and first.session.target.options["path"].endswith("a.sqlite")
    assert second.session.target is not None and second.session.target.options["path"].endswith("b.sqlite")
    assert first.session.supervisor is not second.session.supervisor

    stage_by_typing(qtbot, second, "services/api/replicas", "7")
    assert second.pending_label.text() == "1 staged edit(s)"
    assert not first.session.staging and first.pending_label.text() == "No staged edits"
    stage_by_typing(qtbot, first, "services/api/image", "nginx:2")
    assert set(first.session.staging.changes) == {"services/api/image"}
    assert set(second.session.staging.changes) == {"services/api/replicas"}
    # Undo in one window undoes only its own edit.
    qtbot.keyClick(first.tree_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not first.session.staging)
    assert set(second.session.staging.changes) == {"services/api/replicas"}


def test_a_store_open_in_another_window_comes_forward(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                                     short_tmp: Path) -> None:
    import os

    first, second = two_windows(qtbot, registry, run_async, short_tmp)
    plugins = child_pids(os.getpid())
    (short_tmp / "sub").mkdir()
    run_async(second.open_store(sqlite_target(short_tmp / "sub" / ".." / "a.sqlite")))  # the same file, spelt otherwise
    qtbot.waitUntil(lambda: QApplication.activeWindow() is first)
    assert "already open in another window" in second.banner.text()
    assert second.session.target is not None and second.session.target.options["path"].endswith("b.sqlite"), \
        "the asking window keeps its own store"
    assert child_pids(os.getpid()) == plugins, "no second plugin on the same file"
    registry.open_in_new_window(sqlite_target(short_tmp / "b.sqlite"))
    qtbot.waitUntil(lambda: QApplication.activeWindow() is second)
    assert len(registry.windows) == 2


def test_quit_asks_in_each_window_with_staged_edits(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                                     short_tmp: Path) -> None:
    first, second = two_windows(qtbot, registry, run_async, short_tmp)
    stage_by_typing(qtbot, second, "services/api/replicas", "7")
    stage_by_typing(qtbot, first, "services/api/image", "nginx:2")
    all_closed: list[bool] = []
    registry.allClosed.connect(lambda: all_closed.append(True))

    # Cancel in the second window: nothing closes, nothing is lost.
    qtbot.keyClick(first, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    click_box(qtbot, first, "ask-unsaved-edits", QMessageBox.StandardButton.Discard)
    click_box(qtbot, second, "ask-unsaved-edits", QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: not registry.task_runner.tasks)
    assert first.isVisible() and second.isVisible() and not all_closed
    assert not first.session.staging, "discarded as answered"
    assert second.session.staging.get("services/api/replicas") is not None

    stage_by_typing(qtbot, first, "services/api/image", "nginx:3")
    qtbot.keyClick(first, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    click_box(qtbot, first, "ask-unsaved-edits", QMessageBox.StandardButton.Discard)
    click_box(qtbot, second, "ask-unsaved-edits", QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: bool(all_closed))
    assert not first.isVisible() and not second.isVisible()
    assert not first.session.is_open and not second.session.is_open, "both plugins stopped"
    assert registry.windows == []


def test_closing_one_window_leaves_the_other(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                             short_tmp: Path) -> None:
    first, second = two_windows(qtbot, registry, run_async, short_tmp)
    all_closed: list[bool] = []
    registry.allClosed.connect(lambda: all_closed.append(True))
    second.close()
    qtbot.waitUntil(lambda: registry.windows == [first])
    assert first.session.is_open and not all_closed
    first.close()
    qtbot.waitUntil(lambda: bool(all_closed))


def test_open_store_dialog_opens_in_a_new_window(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                                 short_tmp: Path) -> None:
    first = registry.windows[0]
    run_async(first.open_store(sqlite_target(short_tmp / "a.sqlite")))
    target = sqlite_target(short_tmp / "c.sqlite")
    qtbot.keyClick(first, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dialog = find_dialog(qtbot, first, "open-store-dialog")
    fill_open_store_json(qtbot, dialog, "sqlite", target.options, "sample")
    button = dialog.findChild(QPushButton, "open-in-new-window")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(registry.windows) == 2)
    second = registry.windows[1]
    qtbot.waitUntil(lambda: second.session.loaded)
    assert second.session.target is not None and second.session.target.options["path"].endswith("c.sqlite")
    assert "c.sqlite" not in first.windowTitle() and first.session.target is not None
    assert first.session.target.options["path"].endswith("a.sqlite"), "the first window keeps its store"


# --- two windows on one etcd: live saves and a conflict between them ---------------------------------------


def save_with_review(qtbot: Any, win: MainWindow) -> None:
    """Ctrl+S, then the Save button of the review."""
    activate(qtbot, win)
    qtbot.keyClick(win.tree_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, win, "review-dialog")
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.session.staging and not win.tasks)  # the save has finished


def shown_value(win: MainWindow, path: str) -> str:
    """The value column as the tree view paints it."""
    index = win.model.index_of_path(path)
    return str(index.siblingAtColumn(1).data()) if index.isValid() else ""


def test_two_windows_on_one_etcd_follow_each_other(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                                   etcd: EtcdServer) -> None:
    options = {"endpoints": [etcd.endpoint], "root": f"/two-{uuid.uuid4().hex[:8]}/"}

    async def seed() -> None:
        plugin = await launch_store(plugin_path("etcd"), options=options)
        try:
            await plugin.store.write_values("app", [Entry("db/host", b'"a"'), Entry("db/port", b"5432"),
                                                    Entry("web/name", b'"shop"')], message="seed")
        finally:
            await plugin.close()

    run_async(seed())
    target = StoreTarget(plugin_path("etcd"), options, "app", "team etcd")
    first = registry.windows[0]
    run_async(first.open_store(target))
    qtbot.keyClick(first, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(registry.windows) == 2)
    second = registry.windows[1]
    second.resize(1366, 768)
    run_async(second.open_store(target))
    assert second.session.is_open, "a server store opens in a second window (a second client, not claimed)"
    assert first.session.live and second.session.live

    # A save in one window is painted in the other without a click.
    stage_by_typing(qtbot, first, "web/name", "shop2")
    save_with_review(qtbot, first)
    qtbot.waitUntil(lambda: shown_value(second, "web/name") == "shop2", timeout=20000)
    qtbot.waitUntil(lambda: second.change_marks.is_marked("web/name"))
    qtbot.waitUntil(lambda: "changed by" in second.change_marks.tooltip("web/name"))  # who, from the history

    # Both edit db/port; the second also edits db/host. The first saves: the second is shown the
    # conflict at once, takes theirs with real clicks, and keeps its other staged edit.
    stage_by_typing(qtbot, second, "db/host", "mine")
    stage_by_typing(qtbot, second, "db/port", "7000")
    stage_by_typing(qtbot, first, "db/port", "6000")
    save_with_review(qtbot, first)
    dialog = find_dialog(qtbot, second, "conflict-dialog")
    table = dialog.findChild(QTableWidget, "conflict-table")
    assert table is not None and table.rowCount() == 1 and table.item(0, 0).text() == "db/port"
    assert table.item(0, 1).text() == "7000" and table.item(0, 2).text() == "6000"
    choice = dialog.findChild(QComboBox, "conflict-choice-0")
    assert choice is not None
    choice.setFocus()
    qtbot.keyClick(choice, Qt.Key.Key_Down)  # "take theirs"
    assert choice.currentText() == "take theirs"
    qtbot.mouseClick(dialog.findChild(QPushButton, "conflict-apply"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.session.staging.get("db/port") is None)
    assert second.session.index.entries["db/port"].value_json == b"6000"
    kept = second.session.staging.get("db/host")
    assert kept is not None and kept.new is not None and kept.new.value_json == b'"mine"', "other edits stay"

    save_with_review(qtbot, second)
    qtbot.waitUntil(lambda: not second.session.staging)
    qtbot.waitUntil(lambda: shown_value(first, "db/host") == "mine", timeout=20000)
    assert first.session.index.entries["db/port"].value_json == b"6000"

    # Again both edit db/port and both save: the second keeps its edit staged when told at once,
    # saves anyway, and the save's conflict dialog lets it keep its value.
    stage_by_typing(qtbot, second, "db/port", "7100")
    stage_by_typing(qtbot, first, "db/port", "6100")
    save_with_review(qtbot, first)
    dialog = find_dialog(qtbot, second, "conflict-dialog")
    keep = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Keep my edits staged")
    qtbot.mouseClick(keep, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "conflict" in second.banner.text())
    activate(qtbot, second)
    qtbot.keyClick(second.tree_view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, second, "review-dialog")
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    dialog = find_dialog(qtbot, second, "conflict-dialog")
    apply = dialog.findChild(QPushButton, "conflict-apply")
    assert apply is not None and apply.text() == "Apply choices and save"
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)  # keep mine (the default)
    qtbot.waitUntil(lambda: not second.session.staging and not second.tasks)
    qtbot.waitUntil(lambda: shown_value(first, "db/port") == "7100", timeout=20000)


def test_a_recent_store_opens_in_a_new_window(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    settings = Settings(short_tmp / "settings.json")
    reg = WindowRegistry(lambda: make_window(settings, short_tmp / "state", show=False), settings)
    first = reg.adopt(make_window(settings, short_tmp / "state"))
    first.resize(1366, 768)
    run_async(first.open_store(sqlite_target(short_tmp / "a.sqlite")))
    run_async(first.open_store(sqlite_target(short_tmp / "b.sqlite")))  # a.sqlite is now a recent store
    menu = first.findChild(QMenu, "recent-new-window-menu")
    assert menu is not None
    menu.aboutToShow.emit()  # as opening File > Open recent in new window does
    entry = next(a for a in menu.actions() if "a.sqlite" in a.text())
    entry.trigger()
    qtbot.waitUntil(lambda: len(reg.windows) == 2 and reg.windows[1].session.loaded)
    second = reg.windows[1]
    assert second.session.target is not None and second.session.target.options["path"].endswith("a.sqlite")
    assert first.session.target is not None and first.session.target.options["path"].endswith("b.sqlite")
    assert "a.sqlite" in second.windowTitle()


def test_the_window_menu_goes_to_another_window(qtbot: Any, registry: WindowRegistry, run_async: Any,
                                                short_tmp: Path) -> None:
    first, second = two_windows(qtbot, registry, run_async, short_tmp)
    menu = second.findChild(QMenu, "window-menu")
    assert menu is not None
    menu.aboutToShow.emit()  # as opening the Window menu does
    titles = [a.text() for a in menu.actions()]
    assert titles == [first.windowTitle(), second.windowTitle()]
    assert [a.isChecked() for a in menu.actions()] == [False, True], "this window is ticked"
    menu.actions()[0].trigger()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is first)


def test_quit_keeps_the_layout_of_the_window_it_was_chosen_in(qtbot: Any, make_window: Any, run_async: Any,
                                                              short_tmp: Path) -> None:
    from zhi_gui.services import settings as S

    settings = Settings(short_tmp / "settings.json")
    reg = WindowRegistry(lambda: make_window(settings, short_tmp / "state", show=False), settings)
    first = reg.adopt(make_window(settings, short_tmp / "state"))
    activate(qtbot, first)
    qtbot.keyClick(first, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: len(reg.windows) == 2 and QApplication.activeWindow() is reg.windows[1])
    second = reg.windows[1]
    first.resize(700, 500)
    second.resize(600, 400)
    activate(qtbot, first)
    kept = bytes(first.saveGeometry().data())
    all_closed: list[bool] = []
    reg.allClosed.connect(lambda: all_closed.append(True))
    qtbot.keyClick(first, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # nothing staged: no question
    qtbot.waitUntil(lambda: bool(all_closed))
    assert S.decode_bytes(settings.get(S.WINDOW_GEOMETRY)) == kept
