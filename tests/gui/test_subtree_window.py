"""Copy or move subtree... and Store > Rename tree... in the window, with real
dialogs: a preview before anything is written, one version on the target with
the message, the source deleted only after the target saved; a target that
changed meanwhile (another program wrote there) leaves both sides untouched."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialogButtonBox, QLabel, QLineEdit, QPushButton

from tests.conftest import plugin_path
from tests.gui.helpers import activate, click_key, fill_open_store_json, find_dialog, sqlite_target
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.transfer.compare import read_tree

API = "services/api"


async def write_to(store_file: Path, tree: str, entries: list[Entry]) -> None:
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file), "create": True})
    try:
        await plugin.store.write_values(tree, entries, message="elsewhere")
    finally:
        await plugin.close()


def open_sample(qtbot: Any, make_window: Any, run_async: Any, store_file: Path) -> Any:
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(sqlite_target(store_file, "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    return win


def start_copy(qtbot: Any, win: Any, path: str) -> Any:
    click_key(qtbot, win, path)
    action = win.findChild(QAction, "action-copy-subtree")
    assert action is not None and action in win.context_actions and action.isEnabled()
    action.trigger()
    return find_dialog(qtbot, win, "copy-dialog")


def test_move_a_subtree_to_a_new_tree(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    win = open_sample(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    count = len(win.session.index.entries)
    dialog = start_copy(qtbot, win, API)
    assert dialog.findChild(QLineEdit, "copy-from").text() == API
    tree = dialog.findChild(QComboBox, "copy-tree")
    tree.lineEdit().selectAll()
    qtbot.keyClicks(tree.lineEdit(), "dev")
    move = dialog.findChild(QCheckBox, "copy-move")
    move.setFocus()
    qtbot.keyClick(move, Qt.Key.Key_Space)
    summary = dialog.findChild(QLabel, "copy-summary")
    apply = dialog.findChild(QPushButton, "copy-apply")
    qtbot.waitUntil(lambda: apply.isEnabled() and "Move 20 value(s)" in summary.text() and ": dev" in summary.text())
    assert "20 new" in summary.text()
    qtbot.keyClicks(dialog.findChild(QLineEdit, "copy-message"), "api goes to dev")
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks)
    assert not win.last_error, win.last_error
    assert not [p for p in win.session.index.entries if p.startswith(API + "/")], "moved away"
    assert len(win.session.index.entries) == count - 20
    dev = run_async(read_tree(win.session, "dev"))
    assert len([p for p in dev if p.startswith(API + "/")]) == 20
    described = run_async(win.session.store.describe_versions("dev", 0, 5))
    assert [v.message for v in described.versions] == ["api goes to dev"], "one version on the target"
    assert "dev" in win.session.trees


def test_the_preview_follows_a_typed_path(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    """Seen at 1M values: with the target path typed over, "the source and the target are the
    same place" stayed up until Tab. The preview now follows typing, and OK waits for it."""
    win = open_sample(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    dialog = start_copy(qtbot, win, API)
    summary = dialog.findChild(QLabel, "copy-summary")
    apply = dialog.findChild(QPushButton, "copy-apply")
    qtbot.waitUntil(lambda: "same place" in summary.text())
    target = dialog.findChild(QLineEdit, "copy-to")
    target.setFocus()
    target.selectAll()
    qtbot.keyClicks(target, API + "-v")
    assert not apply.isEnabled()
    qtbot.waitUntil(lambda: apply.isEnabled() and "Copy 20 value(s)" in summary.text())
    qtbot.keyClicks(target, "2")
    assert not apply.isEnabled(), "typed on: OK waits for the preview of the new path"
    qtbot.waitUntil(apply.isEnabled)
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks)
    assert not win.last_error, win.last_error
    assert len([p for p in win.session.index.entries if p.startswith(API + "-v2/")]) == 20


def test_a_move_whose_target_changed_writes_nothing(qtbot: Any, make_window: Any, run_async: Any,
                                                   short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(write_to(there, "prod", [Entry("readme", b'"there"')]))
    win = open_sample(qtbot, make_window, run_async, short_tmp / "here.sqlite")
    before = dict(win.session.index.entries)
    dialog = start_copy(qtbot, win, API)
    dialog.findChild(QComboBox, "copy-destination").setCurrentIndex(1)  # Another store
    qtbot.mouseClick(dialog.findChild(QPushButton, "copy-choose-store"), Qt.MouseButton.LeftButton)
    opener = find_dialog(qtbot, win, "open-store-dialog")
    fill_open_store_json(qtbot, opener, "sqlite", {"path": str(there)}, "prod")
    qtbot.mouseClick(opener.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open),
                     Qt.MouseButton.LeftButton)
    move = dialog.findChild(QCheckBox, "copy-move")
    move.setFocus()
    qtbot.keyClick(move, Qt.Key.Key_Space)
    summary = dialog.findChild(QLabel, "copy-summary")
    apply = dialog.findChild(QPushButton, "copy-apply")
    qtbot.waitUntil(lambda: apply.isEnabled() and "Move 20" in summary.text() and ": prod" in summary.text())
    # another program writes where the move lands, after the preview
    run_async(write_to(there, "prod", [Entry(API + "/image", b'"theirs"')]))
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(win.last_error))
    assert "nothing was written" in win.last_error
    qtbot.waitUntil(lambda: not win.tasks)
    assert dict(win.session.index.entries) == before, "the source is untouched"
    assert run_async(read_tree(win.session, "sample")) == before
    box = find_dialog(qtbot, win, "error-box")
    box.close()

    async def target() -> dict[str, Entry]:
        plugin = await launch_store(plugin_path("sqlite"), options={"path": str(there)})
        try:
            return {e.path: e for e in await plugin.store.get_values("prod", [])}
        finally:
            await plugin.close()

    assert sorted(run_async(target())) == ["readme", API + "/image"], "nothing of the move reached the target"


def test_rename_the_tree_says_history_starts_anew(qtbot: Any, make_window: Any, run_async: Any,
                                                  short_tmp: Path) -> None:
    win = open_sample(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    count = len(win.session.index.entries)
    action = win.findChild(QAction, "action-rename-tree")
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = find_dialog(qtbot, win, "rename-tree-dialog")
    assert "new history" in dialog.findChild(QLabel, "rename-history-note").text()
    name = dialog.findChild(QLineEdit, "rename-new")
    name.selectAll()
    qtbot.keyClicks(name, "example")
    qtbot.keyClick(name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: win.session.tree_id == "example" and not win.tasks)
    assert not win.last_error, win.last_error
    assert "sample" not in win.session.trees and "example" in win.session.trees
    assert len(win.session.index.entries) == count
    assert win.trees_list.findItems("example", Qt.MatchFlag.MatchExactly)
    assert not win.trees_list.findItems("sample", Qt.MatchFlag.MatchExactly)
