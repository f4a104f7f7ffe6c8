"""A window on a three-member etcd cluster keeps working when the member its plugin
talks to is killed: edits typed and saved with the keyboard go through the other
two members, no acknowledged save is lost, and a second client on the remaining
members reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton

from tests.conftest import plugin_path
from tests.etcd_server import start_cluster
from tests.gui.helpers import activate, click_key, find_dialog, type_value
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreTarget


def save_with_keys(qtbot: Any, win: Any, message: str) -> None:
    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, win, "review-dialog")
    qtbot.keyClicks(review.findChild(QLineEdit, "review-message"), message)
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.session.staging and not win.tasks, timeout=60000)


def test_the_window_keeps_saving_through_the_members_left(qtbot: Any, make_window: Any, run_async: Any,
                                                          tmp_path: Path) -> None:
    members = start_cluster(tmp_path)
    options = {"endpoints": [m.endpoint for m in members], "root": "/gui-cluster/", "timeout": 5}
    try:
        async def seed() -> None:
            async with await launch_store(plugin_path("etcd"), options=options) as plugin:
                await plugin.store.write_values("app", [Entry("db/port", b"5432"), Entry("db/pool", b"10")])

        run_async(seed())
        win = make_window()
        win.resize(1366, 768)
        run_async(win.open_store(StoreTarget(plugin_path("etcd"), options, "app")))
        activate(qtbot, win)
        click_key(qtbot, win, "db/port")
        qtbot.waitUntil(lambda: win.editor.path == "db/port")
        type_value(qtbot, win, "6000")
        qtbot.keyClick(QLineEdit.focusWidget(win) or win, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.session.staging.get("db/port") is not None)
        save_with_keys(qtbot, win, "before the kill")

        members[0].kill()  # the first endpoint: the one the plugin talks to
        activate(qtbot, win)
        click_key(qtbot, win, "db/pool")
        qtbot.waitUntil(lambda: win.editor.path == "db/pool")
        type_value(qtbot, win, "20")
        qtbot.keyClick(QLineEdit.focusWidget(win) or win, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: win.session.staging.get("db/pool") is not None)
        save_with_keys(qtbot, win, "after the kill")
        assert win.session.index.entries["db/pool"].value_json == b"20"
        assert win.session.index.entries["db/port"].value_json == b"6000"
        assert not win.last_error, win.last_error

        async def read_from_the_rest() -> dict[str, bytes]:
            rest = {**options, "endpoints": [members[2].endpoint]}
            async with await launch_store(plugin_path("etcd"), options=rest) as plugin:
                return {e.path: e.value_json for e in await plugin.store.get_values("app", [])}

        assert run_async(read_from_the_rest()) == {"db/port": b"6000", "db/pool": b"20"}
    finally:
        for member in members:
            member.stop()
