"""The real main window against real plugin processes (the sqlite store on a
real file): browse, filter, edit, undo/redo, review & save, reopen, a CAS
conflict from a second client, and a plugin crash in the middle of editing."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPushButton

from tests.conftest import plugin_path
from tests.gui.helpers import find_dialog
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.plugin.supervisor import PluginState
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow, recent_label
from zhi_gui.ui.value_tree_model import PATH_ROLE


@pytest.fixture
def store_file(short_tmp: Path) -> Path:
    return short_tmp / "store.sqlite"


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    return main_window


def open_sample(win: MainWindow, run_async: Any, store_file: Path, sample: bool = True) -> None:
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, "sample")))
    if sample:
        run_async(win.fill_sample())



def select(qtbot: Any, win: MainWindow, path: str) -> None:
    index = win.model.index_of_path(path)
    assert index.isValid(), path
    win.tree_view.setCurrentIndex(index)
    qtbot.waitUntil(lambda: win.editor.path == path)


def stage_text(qtbot: Any, win: MainWindow, object_name: str, text: str) -> None:
    edit = win.editor.findChild(QLineEdit, object_name)
    assert edit is not None, object_name
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.mouseClick(win.editor.findChild(QPushButton, "stageButton"), Qt.MouseButton.LeftButton)


def save_through_review(qtbot: Any, win: MainWindow, message: str = "") -> None:
    with qtbot.waitSignal(win.saved, timeout=20000):
        win.save_action.trigger()
        dialog = find_dialog(qtbot, win, "review-dialog")
        if message:
            qtbot.keyClicks(dialog.findChild(QLineEdit, "review-message"), message)
        qtbot.mouseClick(dialog.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)


def test_a_filter_matching_every_key_leaves_the_tree_as_it_is(qtbot: Any, window: MainWindow, run_async: Any,
                                                               store_file: Path) -> None:
    """Typing a filter whose first letters match every key (every path has a "/") shows
    the whole tree as it was: the scroll position and the open groups stay, and the next
    letters narrow it. (The view is no longer rebuilt for such a filter: that held the
    window ~20 ms at 100,000 values, benchmarks/bench_scale.py's "filter typing" row.)"""
    win = window
    win.resize(900, 500)
    open_sample(win, run_async, store_file)
    win.tree_view.expandAll()
    qtbot.waitUntil(lambda: win.tree_view.verticalScrollBar().maximum() > 0)
    bar = win.tree_view.verticalScrollBar()
    bar.setValue(bar.maximum() // 2)
    at = bar.value()
    win.filter_edit.setFocus()
    qtbot.keyClicks(win.filter_edit, "/")
    count = len(win.session.index.entries)
    qtbot.waitUntil(lambda: win.match_label.text() == f"{count:,} match(es)")
    assert bar.value() == at, "the view stayed where it was"
    assert win.tree_view.isExpanded(win.model.index_of_path("services/api"))
    qtbot.keyClicks(win.filter_edit, "api/rep")  # "/api/rep": now a few keys
    qtbot.waitUntil(lambda: win.match_label.text() == "1 match(es)")
    assert win.model.rowCount() == 1


def test_browse_filter_edit_undo_redo_save_and_reopen(qtbot: Any, window: MainWindow, run_async: Any,
                                                     store_file: Path, make_window: Any) -> None:
    win = window
    open_sample(win, run_async, store_file)
    assert win.model.rowCount() == 3  # global, services, tenants
    assert [win.trees_list.item(i).text() for i in range(win.trees_list.count())] == ["sample"]

    qtbot.keyClicks(win.filter_edit, "billing/curr")
    qtbot.waitUntil(lambda: win.match_label.text() == "1 match(es)")
    assert win.model.rowCount() == 1
    win.filter_edit.clear()
    qtbot.waitUntil(lambda: win.model.rowCount() == 3)

    select(qtbot, win, "services/api/replicas")
    stage_text(qtbot, win, "numberEdit", "7")
    assert win.pending_label.text() == "1 staged edit(s)"
    assert win.model.data(win.model.index_of_path("services/api/replicas", 1)) == "7"
    select(qtbot, win, "services/api/image")
    stage_text(qtbot, win, "stringEdit", "registry.example.com/api:2.0.0")
    assert len(win.controller.staging) == 2
    win.undo_action.trigger()
    assert len(win.controller.staging) == 1
    win.redo_action.trigger()
    assert len(win.controller.staging) == 2

    save_through_review(qtbot, win, "bump api")
    assert len(win.controller.staging) == 0 and win.pending_label.text() == "No staged edits"
    run_async(win.controller.close())

    again = make_window()
    open_sample(again, run_async, store_file, sample=False)
    assert again.controller.index.entries["services/api/replicas"].value_json == b"7"
    assert again.controller.index.entries["services/api/image"].value_json == b'"registry.example.com/api:2.0.0"'
    page = run_async(again.controller.store.describe_versions("sample", limit=1))
    assert page.versions[0].message == "bump api" and page.versions[0].changed_paths == 2
    run_async(again.controller.close())


def test_new_key_and_delete_are_staged_then_saved(qtbot: Any, window: MainWindow, run_async: Any,
                                                  store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    select(qtbot, win, "global/region")
    win.new_key_action.trigger()
    dialog = find_dialog(qtbot, win, "newKeyDialog")
    path_edit = dialog.findChild(QLineEdit, "pathEdit")
    qtbot.keyClicks(path_edit, "Bad/Name")
    assert not dialog.ok_button.isEnabled()
    path_edit.clear()
    qtbot.keyClicks(path_edit, "cdn-host")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "global/cdn-host" in win.controller.staging)
    assert win.model.index_of_path("global/cdn-host").isValid()

    select(qtbot, win, "global/motd")
    win.activateWindow()
    qtbot.waitActive(win)
    win.tree_view.setFocus()
    qtbot.keyClick(win.tree_view, Qt.Key.Key_Delete)
    assert win.controller.staging.get("global/motd").is_delete
    save_through_review(qtbot, win)
    assert "global/motd" not in win.controller.index.entries
    assert not win.model.index_of_path("global/motd").isValid()
    assert "global/cdn-host" in win.controller.index.entries


def test_cas_conflict_from_a_second_client_keeps_my_edit(qtbot: Any, window: MainWindow, run_async: Any,
                                                         store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    select(qtbot, win, "services/billing/currency")
    win.controller.stage_set("services/billing/currency", b'"USD"', win.controller.index.entries[
        "services/billing/currency"].metadata_json)

    async def other_client() -> None:  # someone else changes the same value meanwhile
        async with await launch_store(plugin_path("sqlite"), options={"path": str(store_file)}) as other:
            await other.store.put_values("sample", [Entry("services/billing/currency", b'"GBP"')])

    run_async(other_client())
    win.save_action.trigger()
    review = find_dialog(qtbot, win, "review-dialog")
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    conflict = find_dialog(qtbot, win, "conflict-dialog")
    table = conflict.table
    assert table.item(0, 0).text() == "services/billing/currency"
    assert (table.item(0, 1).text(), table.item(0, 2).text(), table.item(0, 3).text()) == ('"USD"', '"GBP"', '"EUR"')
    assert len(win.controller.staging) == 1, "nothing lost while the dialog is open"
    with qtbot.waitSignal(win.saved, timeout=20000):
        qtbot.mouseClick(conflict.apply, Qt.MouseButton.LeftButton)  # default choice: keep mine
    current = run_async(win.controller.store.get_values("sample", ["services/billing/currency"]))
    assert current[0].value_json == b'"USD"'


def test_cancelled_conflict_keeps_edits_staged(qtbot: Any, window: MainWindow, run_async: Any,
                                               store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    win.controller.stage_set("tenants/t001/seats", b"999", b"")

    async def other_client() -> None:
        async with await launch_store(plugin_path("sqlite"), options={"path": str(store_file)}) as other:
            await other.store.put_values("sample", [Entry("tenants/t001/seats", b"1")])

    run_async(other_client())
    win.save_action.trigger()
    review = find_dialog(qtbot, win, "review-dialog")
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    conflict = find_dialog(qtbot, win, "conflict-dialog")
    conflict.reject()
    qtbot.waitUntil(lambda: "still staged" in win.statusBar().currentMessage())
    assert win.controller.staging.get("tenants/t001/seats").new.value_json == b"999"


def test_plugin_crash_mid_edit_keeps_staged_edits_and_reconnects(qtbot: Any, window: MainWindow, run_async: Any,
                                                                 store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    win.controller.stage_set("global/log-level", b'"debug"', b"")
    first_pid = win.controller.supervisor.plugin.pid
    win.controller.supervisor.plugin.kill_group(signal.SIGKILL)
    qtbot.waitUntil(lambda: "Reconnecting" in win.banner.text(), timeout=5000)
    assert "1 staged edit(s) are kept" in win.banner.text()
    qtbot.waitUntil(lambda: win.controller.plugin_state == PluginState.RUNNING
                    and win.controller.supervisor.plugin.pid != first_pid, timeout=15000)
    qtbot.waitUntil(lambda: not win.banner.isVisible() or "Reconnecting" not in win.banner.text(), timeout=10000)
    assert win.controller.staging.get("global/log-level").new.value_json == b'"debug"'
    assert win.model.data(win.model.index_of_path("global/log-level", 1)) == "debug"
    save_through_review(qtbot, win)
    assert win.controller.index.entries["global/log-level"].value_json == b'"debug"'


def test_closing_with_staged_edits_asks(qtbot: Any, window: MainWindow, run_async: Any, store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    win.controller.stage_set("global/region", b'"us-east-1"', b"")
    win.close()
    box = find_dialog(qtbot, win, "ask-unsaved-edits")
    assert isinstance(box, QMessageBox)
    box.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)  # the "Closing" task has decided
    assert win.isVisible() and len(win.controller.staging) == 1


def test_selected_paths_follow_the_view(qtbot: Any, window: MainWindow, run_async: Any, store_file: Path) -> None:
    win = window
    open_sample(win, run_async, store_file)
    select(qtbot, win, "tenants/t002/plan")
    assert win.tree_view.currentIndex().data(PATH_ROLE) == "tenants/t002/plan"
    assert win.editor.path == "tenants/t002/plan"


def test_recent_stores_last_tree_and_layout_are_remembered(qtbot: Any, run_async: Any, store_file: Path,
                                                           tmp_path: Path, make_window: Any) -> None:
    from zhi_gui.services.settings import WINDOW_GEOMETRY, Settings

    settings = Settings(tmp_path / "settings.json")
    win = make_window(settings, tmp_path / "state", show=False)
    open_sample(win, run_async, store_file)
    recent = settings.recent_stores()
    # "create" was a one-time answer: the recent entry asks again if the file is gone later.
    assert len(recent) == 1 and recent[0].options == {"path": str(store_file)}
    assert [a.text() for a in win.recent_menu.actions()] == [recent_label(recent[0])]
    win._closing_confirmed = True
    run_async(win.controller.close())
    win.close()
    assert Settings(tmp_path / "settings.json").get(WINDOW_GEOMETRY), "the window layout was saved"

    again = make_window(Settings(tmp_path / "settings.json"), tmp_path / "state", show=False)
    assert again.recent_menu.actions()[0].isEnabled()
    # no tree given: the one shown last time comes back
    run_async(again.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True})))
    assert again.controller.tree_id == "sample"
    again._closing_confirmed = True
    run_async(again.controller.close())


def test_plain_zhi_plugin_without_the_extension_falls_back_honestly(qtbot: Any, window: MainWindow, run_async: Any,
                                                                   short_tmp: Path) -> None:
    from tests.conftest import interop_binary

    gopeer = interop_binary("zhi-store-gopeer")
    win = window
    target = StoreTarget(gopeer, {}, "t", known_paths=("app/name",))
    run_async(win.open_store(target))
    assert win.controller.description is None and not win.controller.lists_keys
    assert "cannot list its keys" in win.banner.text()
    win.controller.stage_set("app/name", b'"demo"', b"")
    win.controller.stage_set("app/port", b"8080", b"")
    save_through_review(qtbot, win)
    run_async(win.reload_tree())
    assert set(win.controller.index.entries) == {"app/name", "app/port"}, "paths added here are remembered"


def test_open_dialog_uses_a_zhi_workspace(qtbot: Any, window: MainWindow, run_async: Any, short_tmp: Path) -> None:
    from zhi_gui.plugin.workspace import default_tree_id
    from zhi_gui.ui.open_store_dialog import OpenStoreDialog

    workspace = short_tmp / "ws"
    (workspace / ".zhi" / "store").mkdir(parents=True)
    (workspace / "zhi.yaml").write_text("store:\n  provider: zhi-store-json\n  options:\n    dir: .zhi/store\n")
    tree = default_tree_id(workspace.resolve())
    (workspace / ".zhi" / "store" / f"{tree}.json").write_text('{\n  "db/host": {\n    "value": "localhost"\n  }\n}')
    dialog = OpenStoreDialog(window)
    qtbot.addWidget(dialog)
    dialog.use_workspace(workspace)
    target = dialog.target()
    assert target is not None and target.plugin.name == "zhi-store-json" and target.tree_id == tree
    assert target.options == {"directory": str(workspace.resolve() / ".zhi/store")}  # zhi's option name
    run_async(window.open_store(target))
    assert window.controller.index.entries["db/host"].value_json == b'"localhost"'
    assert "no versions" in window.versioning_label.text()


def test_the_window_as_the_app_builds_it_has_each_panel_once(main_window: MainWindow) -> None:
    from PySide6.QtGui import QAction, QKeySequence

    from tests.gui.conftest import security_of
    from zhi_gui.ui.history import HistoryPanel

    assert len(main_window.findChildren(HistoryPanel)) == 1
    history_keys = [a for a in main_window.findChildren(QAction)
                    if a.shortcut() == QKeySequence("Ctrl+Shift+H")]
    assert len(history_keys) == 1, "one Ctrl+Shift+H, or Qt calls the shortcut ambiguous and does nothing"
    assert security_of(main_window).encrypt_action in main_window.store_menu.actions()
