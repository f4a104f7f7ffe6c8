"""A window on a team store (a real etcd) follows other users' saves live:
their keys show within moments without a click, a value being typed stays in
the editor, staged edits stay, and a conflict with them is shown at once."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtWidgets import QApplication, QDialog, QLineEdit

from tests.conftest import plugin_path
from tests.etcd_server import EtcdServer
from tests.gui.helpers import click_key, type_value
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreTarget


def test_another_users_save_shows_live_and_a_conflict_at_once(qtbot: Any, make_window: Any, run_async: Any,
                                                             etcd: EtcdServer) -> None:
    options = {"endpoints": [etcd.endpoint], "root": f"/win-{uuid.uuid4().hex[:8]}/"}

    async def other_user(entries: list[Entry]) -> None:
        plugin = await launch_store(plugin_path("etcd"), options=options)
        try:
            await plugin.store.write_values("app", entries, message="the other user")
        finally:
            await plugin.close()

    run_async(other_user([Entry("db/port", b"5432"), Entry("db/host", b'"a"')]))
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(StoreTarget(plugin_path("etcd"), options, "app")))
    assert win.session.live
    win.session.stage_set("db/host", b'"mine"', b"")
    win.activateWindow()
    click_key(qtbot, win, "db/port")
    qtbot.waitUntil(lambda: win.editor.path == "db/port")
    type_value(qtbot, win, "-")  # half typed when the other user saves
    qtbot.waitUntil(lambda: win.editor.dirty)

    run_async(other_user([Entry("db/port", b"6543"), Entry("db/user", b'"svc"')]))
    qtbot.waitUntil(lambda: "db/user" in win.session.index.entries, timeout=20000)  # no click, no poll
    assert win.session.index.entries["db/port"].value_json == b"6543"
    assert win.model.index_of_path("db/user").isValid(), "the new key is in the tree view"
    assert win.session.staging.get("db/host") is not None, "staged edits stay"
    field = win.editor.findChild(QLineEdit, "numberEdit")
    assert win.editor.path == "db/port" and field is not None and field.text() == "-", "typing is not disturbed"
    win.editor.revert()

    run_async(other_user([Entry("db/host", b'"theirs"')]))
    dialog = None

    def conflict_shown() -> bool:
        nonlocal dialog
        dialog = next((d for d in win.findChildren(QDialog, "conflict-dialog") if d.isVisible()), None)
        return dialog is not None

    qtbot.waitUntil(conflict_shown, timeout=20000)
    assert dialog is not None
    dialog.reject()  # keep mine staged
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)
    change = win.session.staging.get("db/host")
    assert change is not None and change.new is not None and change.new.value_json == b'"mine"'
    assert QApplication.activeModalWidget() is None


def test_a_live_update_changes_rows_in_place(qtbot: Any, make_window: Any, run_async: Any,
                                             etcd: EtcdServer) -> None:
    """Another user's save reaches the shown tree without a reload: the open group stays open,
    the selected key stays selected and shows its new value, an added key appears where it
    sorts, a deleted one goes, and the History list gains the new version."""
    options = {"endpoints": [etcd.endpoint], "root": f"/inplace-{uuid.uuid4().hex[:8]}/"}

    async def other_user(entries: list[Entry], deletes: tuple[str, ...] = ()) -> None:
        plugin = await launch_store(plugin_path("etcd"), options=options)
        try:
            await plugin.store.write_values("app", entries, deletes, message="the other user")
        finally:
            await plugin.close()

    run_async(other_user([Entry("db/port", b"5432"), Entry("db/host", b'"a"'), Entry("web/url", b'"x"')]))
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(StoreTarget(plugin_path("etcd"), options, "app")))
    assert win.session.live
    win.activateWindow()
    click_key(qtbot, win, "db/port")
    qtbot.waitUntil(lambda: win.editor.path == "db/port")
    history = win.history_panel.model
    qtbot.waitUntil(lambda: history.rowCount() == 1)
    loads: list[str] = []
    win.events.treeLoaded.connect(loads.append)

    run_async(other_user([Entry("db/port", b"6543"), Entry("db/name", b'"app"')], ("db/host",)))
    qtbot.waitUntil(lambda: "db/name" in win.session.index.entries, timeout=20000)
    name = win.model.index_of_path("db/name")
    qtbot.waitUntil(lambda: win.tree_view.visualRect(win.model.index_of_path("db/name")).isValid())
    assert name.row() == 0, "db/name sorts before db/port"
    assert not win.model.index_of_path("db/host").isValid(), "the deleted key is gone"
    assert win.tree_view.isExpanded(win.model.index_of_path("db")), "the open group stays open"
    assert win.current_path() == "db/port"
    field = win.editor.findChild(QLineEdit, "numberEdit")
    qtbot.waitUntil(lambda: field is not None and field.text() == "6543")
    qtbot.waitUntil(lambda: history.rowCount() == 2, timeout=10000)
    assert loads == [], "no reload of the whole tree"
