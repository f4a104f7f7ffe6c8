"""Another store that needs an unlock or a login, in Store > Compare... and Copy or
move subtree...: it goes through the same steps as the window's own store (the
window's keyring first, the unlock / login dialog only when needed, a wrong
passphrase said and asked again, Cancel ends the comparison quietly). Real
sqlite plugin processes on encrypted temp files, real dialogs and key events,
an in-memory vault standing in for the OS keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QComboBox, QDialog, QDialogButtonBox, QLabel, QLineEdit, QPushButton

from tests.conftest import child_pids, plugin_path
from tests.gui.helpers import activate, click_key, fill_open_store_json, find_dialog, sqlite_target
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.services.settings import StoreIdentity
from zhi_gui.transfer.compare import SideKind
from zhi_gui.ui.compare_dialog import CompareDialog
from zhi_gui.ui.main_window import MainWindow

PASS = "orbit lantern quiet harbor 42"
REPLICAS = "services/api/replicas"


async def encrypted_store(store_file: Path, tree: str, entries: list[Entry]) -> None:
    """A sqlite store holding ``entries`` in ``tree``, encrypted with PASS (locked when opened again)."""
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file), "create": True})
    try:
        if entries:
            await plugin.store.write_values(tree, entries, message="elsewhere")
        await plugin.store.init_encryption(PASS.encode())
    finally:
        await plugin.close()


async def read_encrypted(store_file: Path, tree: str) -> dict[str, Entry]:
    plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store_file)})
    try:
        await plugin.store.unlock(PASS.encode())
        return {e.path: e for e in await plugin.store.get_values(tree, [])}
    finally:
        await plugin.close()


def keyring_key(store_file: Path) -> str:
    """The keyring entry the window would use for that store (plugin + locating options)."""
    return StoreIdentity(str(plugin_path("sqlite")), {"path": str(store_file)}).key()


def open_here(qtbot: Any, make_window: Any, run_async: Any, store_file: Path, vault: InMemoryVault) -> MainWindow:
    win: MainWindow = make_window(vault=vault)
    win.resize(1366, 768)
    run_async(win.open_store(sqlite_target(store_file, "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    return win


def choose_store(qtbot: Any, win: MainWindow, button: QPushButton, store_file: Path, tree: str) -> None:
    """Choose another store as a user does: its button, then the Open store dialog."""
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    opener = find_dialog(qtbot, win, "open-store-dialog")
    fill_open_store_json(qtbot, opener, "sqlite", {"path": str(store_file)}, tree)
    qtbot.mouseClick(opener.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Open),
                     Qt.MouseButton.LeftButton)


def start_compare(qtbot: Any, win: MainWindow, there: Path) -> CompareDialog:
    win.findChild(QAction, "action-compare-anything").trigger()
    dialog = find_dialog(qtbot, win, "compare-dialog")
    assert isinstance(dialog, CompareDialog)
    dialog.right.set_kind(SideKind.STORE)
    choose_store(qtbot, win, dialog.findChild(QPushButton, "compare-right-choose-store"), there, "staging")
    qtbot.waitUntil(lambda: dialog.right.store_target is not None)
    return dialog


def unlock_dialog(qtbot: Any, win: MainWindow) -> QDialog:
    return find_dialog(qtbot, win, "unlock-dialog")


def type_passphrase(qtbot: Any, dialog: QDialog, text: str) -> None:
    edit = dialog.findChild(QLineEdit, "passphrase")
    edit.setFocus()
    edit.clear()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)  # Enter submits (OK is the default button)


def staging_entries() -> list[Entry]:
    return [Entry(REPLICAS, b"7"), Entry("services/api/debug", b"true")]


def test_compare_with_an_encrypted_store_whose_passphrase_is_in_the_keyring(
        qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(encrypted_store(there, "staging", staging_entries()))
    vault = InMemoryVault()
    vault.set(keyring_key(there), PASS)  # remembered when the store was unlocked once before
    win = open_here(qtbot, make_window, run_async, short_tmp / "here.sqlite", vault)
    dialog = start_compare(qtbot, win, there)
    seen: list[str] = []
    qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)

    def done() -> bool:
        seen.extend(d.objectName() for d in win.findChildren(QDialog, "unlock-dialog") if d.isVisible())
        return dialog.diff_view.diff is not None

    qtbot.waitUntil(done, timeout=20000)
    assert not seen, "no unlock dialog: the keyring had the passphrase"
    assert not win.last_error, win.last_error
    diff = dialog.diff_view.diff
    assert diff is not None and diff.added == 1 and diff.changed == 1, "the other store's values were read"
    assert "Unlocked with the passphrase remembered in the keyring" in win.statusBar().currentMessage()
    dialog.close()
    qtbot.waitUntil(lambda: not dialog.comparison.open_stores)


def test_compare_asks_for_the_passphrase_says_a_wrong_one_and_cancel_is_quiet(
        qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(encrypted_store(there, "staging", staging_entries()))
    vault = InMemoryVault()
    win = open_here(qtbot, make_window, run_async, short_tmp / "here.sqlite", vault)
    plugins_before = child_pids(os.getpid())
    dialog = start_compare(qtbot, win, there)
    run = dialog.findChild(QPushButton, "compare-run")
    status = dialog.findChild(QLabel, "compare-status")

    # Cancel: the comparison says so, no error box, the other store's plugin stops
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    unlock = unlock_dialog(qtbot, win)
    qtbot.keyClick(unlock.findChild(QLineEdit, "passphrase"), Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: "unlocking was cancelled" in status.text())
    assert "color" not in status.text(), "a cancel is not shown as a problem"
    assert str(there) in status.text(), "the store is named by where it is"
    assert not win.last_error, win.last_error
    assert not dialog.comparison.open_stores
    qtbot.waitUntil(lambda: not (child_pids(os.getpid()) - plugins_before))

    # Compare again: asked again; a wrong passphrase is said and asked again, then the right one
    qtbot.mouseClick(run, Qt.MouseButton.LeftButton)
    unlock = unlock_dialog(qtbot, win)
    assert unlock.parent() is dialog, "the unlock dialog belongs to the comparison"
    type_passphrase(qtbot, unlock, "not the passphrase")
    problem = unlock.findChild(QLabel, "problem")
    qtbot.waitUntil(lambda: problem.isVisible() and "Wrong passphrase" in problem.text(), timeout=20000)
    assert unlock.isVisible() and unlock.findChild(QLineEdit, "passphrase").text() == ""
    type_passphrase(qtbot, unlock, PASS)
    qtbot.waitUntil(lambda: dialog.diff_view.diff is not None, timeout=20000)
    assert not win.last_error, win.last_error
    diff = dialog.diff_view.diff
    assert diff is not None and diff.added == 1 and diff.changed == 1
    # "Remember" was ticked (the default): the same keyring entry the window's own store uses
    assert vault.get(keyring_key(there)) == PASS
    dialog.close()
    qtbot.waitUntil(lambda: not (child_pids(os.getpid()) - plugins_before))


def test_copy_a_subtree_into_an_encrypted_store(qtbot: Any, make_window: Any, run_async: Any,
                                                short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(encrypted_store(there, "prod", [Entry("readme", b'"there"')]))
    vault = InMemoryVault()
    win = open_here(qtbot, make_window, run_async, short_tmp / "here.sqlite", vault)
    click_key(qtbot, win, "services/api")
    win.findChild(QAction, "action-copy-subtree").trigger()
    dialog = find_dialog(qtbot, win, "copy-dialog")
    dialog.findChild(QComboBox, "copy-destination").setCurrentIndex(1)  # Another store
    choose_store(qtbot, win, dialog.findChild(QPushButton, "copy-choose-store"), there, "prod")
    unlock = unlock_dialog(qtbot, win)
    assert unlock.parent() is dialog
    remember = unlock.findChild(QCheckBox, "remember")
    if remember.isChecked():
        remember.setFocus()
        qtbot.keyClick(remember, Qt.Key.Key_Space)
    type_passphrase(qtbot, unlock, PASS)
    summary = dialog.findChild(QLabel, "copy-summary")
    apply = dialog.findChild(QPushButton, "copy-apply")
    qtbot.waitUntil(lambda: apply.isEnabled() and ": prod" in summary.text(), timeout=20000)
    count = sum(1 for p in win.session.index.entries if p.startswith("services/api/"))
    assert f"Copy {count} value(s)" in summary.text()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert not win.last_error, win.last_error
    assert not vault.keys(), "Remember was unticked: nothing in the keyring"
    copied = run_async(read_encrypted(there, "prod"))
    assert sorted(copied) == sorted(["readme"] + [p for p in win.session.index.entries
                                                  if p.startswith("services/api/")])
    assert copied[REPLICAS].value_json == win.session.index.entries[REPLICAS].value_json


def test_copy_into_an_encrypted_store_cancelled_writes_nothing(qtbot: Any, make_window: Any, run_async: Any,
                                                               short_tmp: Path) -> None:
    there = short_tmp / "there.sqlite"
    run_async(encrypted_store(there, "prod", [Entry("readme", b'"there"')]))
    win = open_here(qtbot, make_window, run_async, short_tmp / "here.sqlite", InMemoryVault())
    click_key(qtbot, win, "services/api")
    win.findChild(QAction, "action-copy-subtree").trigger()
    dialog = find_dialog(qtbot, win, "copy-dialog")
    dialog.findChild(QComboBox, "copy-destination").setCurrentIndex(1)
    choose_store(qtbot, win, dialog.findChild(QPushButton, "copy-choose-store"), there, "prod")
    unlock = unlock_dialog(qtbot, win)
    qtbot.mouseClick(unlock.findChild(QPushButton, "cancel"), Qt.MouseButton.LeftButton)
    summary = dialog.findChild(QLabel, "copy-summary")
    qtbot.waitUntil(lambda: "unlocking was cancelled" in summary.text())
    assert not dialog.findChild(QPushButton, "copy-apply").isEnabled()
    assert not win.last_error, win.last_error
    dialog.reject()
    qtbot.waitUntil(lambda: not win.tasks)
    assert sorted(run_async(read_encrypted(there, "prod"))) == ["readme"]
    assert win.session.loaded and win.session.tree_id == "sample", "the window's own store is untouched"


def test_compare_with_an_etcd_that_needs_a_login(qtbot: Any, make_window: Any, run_async: Any,
                                                 short_tmp: Path, tmp_path: Path) -> None:
    """The login typed into the chooser's Open store form is used (and remembered in the
    keyring); the next comparison logs in from the keyring; without either, the login
    dialog asks, says a refused password and asks again."""
    from tests.etcd_server import EtcdServer, seed_with_login
    from tests.gui.test_open_store_form import click_open, pick_plugin, type_field
    from zhi_gui.ui.open_store_dialog import OpenStoreDialog
    from zhi_gui.ui.security import login_entry

    server = EtcdServer(tmp_path / "etcd-data")
    server.start()
    try:
        password = "analytical engine 1843"
        run_async(seed_with_login(server.endpoint, password, "app", [Entry("db/host", b'"etcd.local"')]))
        vault = InMemoryVault()
        win = open_here(qtbot, make_window, run_async, short_tmp / "here.sqlite", vault)

        def compare_with_etcd(typed_password: str) -> CompareDialog:
            win.findChild(QAction, "action-compare-anything").trigger()
            dialog = find_dialog(qtbot, win, "compare-dialog")
            assert isinstance(dialog, CompareDialog)
            dialog.right.set_kind(SideKind.STORE)
            qtbot.mouseClick(dialog.findChild(QPushButton, "compare-right-choose-store"), Qt.MouseButton.LeftButton)
            opener = find_dialog(qtbot, win, "open-store-dialog")
            assert isinstance(opener, OpenStoreDialog)
            pick_plugin(qtbot, opener, "etcd")
            type_field(qtbot, opener, "endpoints", server.endpoint)
            type_field(qtbot, opener, "user", "root")
            if typed_password:
                type_field(qtbot, opener, "password", typed_password)
            click_open(qtbot, opener)
            qtbot.waitUntil(lambda: dialog.right.store_target is not None)
            store_tree = dialog.findChild(QLineEdit, "compare-right-store-tree")
            store_tree.setFocus()
            qtbot.keyClicks(store_tree, "app")
            qtbot.mouseClick(dialog.findChild(QPushButton, "compare-run"), Qt.MouseButton.LeftButton)
            return dialog

        def finish(dialog: CompareDialog, seen: list[str]) -> None:
            def done() -> bool:
                seen.extend(d.objectName() for d in win.findChildren(QDialog, "login-dialog") if d.isVisible())
                return dialog.sides is not None

            qtbot.waitUntil(done, timeout=20000)
            assert not win.last_error, win.last_error
            assert dialog.sides is not None and "db/host" in dialog.sides[1].entries, "etcd's values were read"
            dialog.close()
            qtbot.waitUntil(lambda: not dialog.comparison.open_stores)

        # 1. the form's login: no dialog, and the login is remembered as the window's own would be
        seen: list[str] = []
        dialog = compare_with_etcd(password)
        chosen = dialog.right.store_target
        assert chosen is not None and "password" not in chosen.options, "the password never became an option"
        finish(dialog, seen)
        assert not seen, "no login dialog: the form had the login"
        remembered = vault.keys()
        entries = [k for k in remembered if k.endswith(":login:userpass")]
        assert len(entries) == 1
        assert json.loads(vault.get(entries[0]) or "{}") == {"username": "root", "password": password}

        # 2. no password typed: the keyring's login, silently
        seen = []
        finish(compare_with_etcd(""), seen)
        assert not seen, "no login dialog: the keyring had the login"

        # 3. nothing remembered: the login dialog, a refused password said, then the right one
        vault.delete(entries[0])
        dialog = compare_with_etcd("")
        login = find_dialog(qtbot, win, "login-dialog")
        assert login.parent() is dialog
        user = login.findChild(QLineEdit, "field-userpass-username")
        if user.text() != "root":
            user.setFocus()
            user.clear()
            qtbot.keyClicks(user, "root")
        edit = login.findChild(QLineEdit, "field-userpass-password")
        for attempt in ("wrong horse", password):
            edit.setFocus()
            edit.clear()
            qtbot.keyClicks(edit, attempt)
            qtbot.keyClick(edit, Qt.Key.Key_Return)
            if attempt != password:
                problem = login.findChild(QLabel, "problem")
                qtbot.waitUntil(lambda p=problem: p.isVisible() and "Login refused" in p.text(), timeout=20000)
        finish(dialog, [])
        assert login_entry(entries[0].split(":login:")[0], "userpass") in list(vault.keys())
    finally:
        server.stop()

