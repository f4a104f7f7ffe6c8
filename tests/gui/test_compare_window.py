"""Store > Compare... in the window: this tree against a tree of another store
(a second real sqlite plugin process, chosen with the Open store dialog), keys
and a folder cherry-picked by clicks into this tree's staged edits, the other
store's plugin stopped when the comparison closes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QLineEdit, QPushButton

from tests.conftest import child_pids, plugin_path
from tests.gui.helpers import activate, fill_open_store_json, find_dialog, sqlite_target
from zhi_gui.core.model import Entry
from zhi_gui.core.sample import sample_entries
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.services.settings import Settings, StoreIdentity
from zhi_gui.transfer.compare import SideKind
from zhi_gui.ui.compare_dialog import CompareDialog

SECRET = "services/api/database/password"


async def other_store(store_file: Path) -> None:
    """Another environment's store: api scaled to 7, a debug flag, no billing service."""
    entries = [e for e in sample_entries() if not e.path.startswith("services/billing/")]
    entries = [e._replace(value_json=b"7") if e.path == "services/api/replicas" else e for e in entries]
    entries = [e._replace(value_json=b'"hunter2-staging"') if e.path == SECRET else e for e in entries]
    entries.append(Entry("services/api/debug", b"true"))
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file), "create": True})
    try:
        await plugin.store.write_values("staging", entries, message="staging env")
    finally:
        await plugin.close()


def click_row(qtbot: Any, run_async: Any, dialog: CompareDialog, path: str) -> None:
    view = dialog.diff_view
    index = run_async(view.model.ensure_path(path))
    assert index.isValid(), path

    def visible() -> bool:
        view.tree.scrollTo(index)
        rect = view.tree.visualRect(index)
        return rect.isValid() and view.tree.viewport().rect().contains(rect.center())

    qtbot.waitUntil(visible)
    qtbot.mouseClick(view.tree.viewport(), Qt.MouseButton.LeftButton, pos=view.tree.visualRect(index).center())
    qtbot.waitUntil(lambda: view.selected_path() == path)


def test_compare_with_another_store_and_cherry_pick(qtbot: Any, make_window: Any, run_async: Any,
                                                    short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(other_store(there))
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(sqlite_target(short_tmp / "here.sqlite", "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    plugins_before = child_pids(os.getpid())
    action = win.findChild(QAction, "action-compare-anything")
    assert action is not None and action.isEnabled()
    action.trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    assert isinstance(dialog, CompareDialog)
    dialog.right.set_kind(SideKind.STORE)

    # choose the other store as the Open store dialog does it
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-right-choose-store"), Qt.MouseButton.LeftButton)
    opener = find_dialog(qtbot, win, "open-store-dialog")
    fill_open_store_json(qtbot, opener, "sqlite", {"path": str(there)}, "staging")
    qtbot.mouseClick(opener.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.right.store_target is not None)
    assert dialog.findChild(QLineEdit, "compare-right-store-tree").text() == "staging"

    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    take_right = dialog.findChild(QPushButton, "compare-take-right")
    qtbot.waitUntil(take_right.isEnabled)
    assert not win.last_error, win.last_error
    assert len(child_pids(os.getpid()) - plugins_before) == 1, "the other store's own plugin runs"
    diff = dialog.diff_view.diff
    assert diff is not None and (diff.added, diff.changed) == (1, 2) and diff.removed == 20
    secret_row = run_async(dialog.diff_view.model.ensure_path(SECRET))
    shown = [secret_row.siblingAtColumn(c).data() for c in range(4)]
    assert "hunter2-staging" not in " ".join(map(str, shown)), f"a secret is masked in the comparison: {shown}"

    # one key: the replicas of the other store
    click_row(qtbot, run_async, dialog, "services/api/replicas")
    qtbot.mouseClick(take_right, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "services/api/replicas" in win.session.staging)
    assert win.session.staging.get("services/api/replicas").new.value_json == b"7"
    assert len(win.session.staging) == 1, "a key alone: its neighbours stay"
    # one folder: the billing service is not in the other store, so taking it deletes it here
    click_row(qtbot, run_async, dialog, "services/billing")
    qtbot.mouseClick(take_right, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(win.session.staging) == 21)
    assert all(win.session.staging.get(p).is_delete for p in win.session.staging.changes if "billing" in p)
    assert "20 deleted" in dialog.findChild(QLabel, "compare-status").text()
    # and back: taking the left side (this tree as saved) for the folder unstages it again
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-take-left"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(win.session.staging) == 1)

    qtbot.mouseClick(dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Close),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not (child_pids(os.getpid()) - plugins_before))  # its plugin stopped
    activate(qtbot, win)
    assert run_async(win.save("replicas from staging")) is not None
    assert win.session.index.entries["services/api/replicas"].value_json == b"7"
    assert "services/api/debug" not in win.session.index.entries


def test_a_recent_store_and_a_bad_file_side(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(other_store(there))
    settings = Settings(short_tmp / "settings.json")
    settings.add_recent_store(StoreIdentity(str(plugin_path("sqlite")), {"path": str(there)}, "staging", "staging env"))
    win = make_window(settings, short_tmp / "state")
    run_async(win.open_store(sqlite_target(short_tmp / "here.sqlite", "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    win.findChild(QAction, "action-compare-anything").trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    assert isinstance(dialog, CompareDialog)
    dialog.right.set_kind(SideKind.STORE)
    menu = dialog.right.chooser.menu
    menu.aboutToShow.emit()  # what opening the Recent menu does (a popup would block the test)
    recent = [a for a in menu.actions() if a.text().startswith("staging env")]
    assert recent, [a.text() for a in menu.actions()]
    recent[0].trigger()
    assert dialog.findChild(QLineEdit, "compare-right-store-tree").text() == "staging"
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.diff_view.diff is not None)
    assert dialog.diff_view.diff.changed == 2

    # a file that cannot be read as its format: said in the dialog, nothing else changes
    broken = short_tmp / "broken.yaml"
    broken.write_text("a: [1, 2\n")
    dialog.left.set_kind(SideKind.FILE)
    qtbot.keyClicks(dialog.findChild(QLineEdit, "compare-left-file"), str(broken))
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
    status = dialog.findChild(QLabel, "compare-status")
    qtbot.waitUntil(lambda: "Line 2" in status.text())
    assert not dialog.findChild(QPushButton, "compare-take-left").isEnabled()
    assert not win.session.staging
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.comparison.open_stores)
