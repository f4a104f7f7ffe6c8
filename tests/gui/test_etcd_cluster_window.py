"""A window on a three-member etcd cluster keeps working when the member its plugin
talks to is killed: edits typed and saved with the keyboard go through the other
two members, no acknowledged save is lost, and a second client on the remaining
members reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QPushButton

from tests.conftest import plugin_path
from tests.etcd_server import start_cluster
from tests.gui.helpers import activate, click_key, find_dialog, type_value
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.session import StoreTarget


def save_with_keys(qtbot: Any, win: Any, message: str, attempts: int = 1) -> int:
    """Ctrl+S, a message, Save; while the cluster elects a new leader a save may time out:
    then the edit is still staged, the error says so, and the user saves again. Returns
    how many saves it took."""
    for attempt in range(1, attempts + 1):
        activate(qtbot, win)
        qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
        review = find_dialog(qtbot, win, "review-dialog")
        field = review.findChild(QLineEdit, "review-message")
        field.selectAll()
        qtbot.keyClicks(field, message)
        qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not win.tasks, timeout=60000)
        if not win.session.staging:
            return attempt
        box = win.findChild(QMessageBox, "error-box")
        assert box is not None and "unreachable" in box.informativeText(), win.last_error
        assert "staged edits are kept" in box.informativeText()
        box.close()
        win.last_error = ""
    raise AssertionError(f"not saved in {attempts} attempts: {win.last_error}")


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
        tries = save_with_keys(qtbot, win, "after the kill", attempts=5)
        assert win.session.index.entries["db/pool"].value_json == b"20"
        assert win.session.index.entries["db/port"].value_json == b"6000"
        assert not win.last_error, win.last_error
        print(f"saved after the kill in {tries} attempt(s)")

        async def read_from_the_rest() -> dict[str, bytes]:
            rest = {**options, "endpoints": [members[2].endpoint]}
            async with await launch_store(plugin_path("etcd"), options=rest) as plugin:
                return {e.path: e.value_json for e in await plugin.store.get_values("app", [])}

        assert run_async(read_from_the_rest()) == {"db/port": b"6000", "db/pool": b"20"}
    finally:
        for member in members:
            member.stop()
