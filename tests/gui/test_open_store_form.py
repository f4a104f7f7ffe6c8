"""Open store's options form, built from the plugin's manifest (``options:``), driven
with real key and mouse events: fields per option, errors at the field, "Advanced
(JSON)" both ways, the raw JSON field for a plugin without a schema, and the etcd
connection form whose password goes to the keyring (never the settings), so Recent
stores reopens an auth-enabled etcd without asking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from tests.gui.conftest import security_of
from tests.gui.helpers import activate, find_dialog
from zhi_gui.core.model import Entry
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.services.settings import Settings
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.open_store_dialog import OpenStoreDialog
from zhi_gui.ui.security import login_entry


def open_dialog(qtbot: Any, win: MainWindow) -> OpenStoreDialog:
    activate(qtbot, win)
    win.tree_view.setFocus()
    qtbot.keyClick(win.tree_view, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    dialog = find_dialog(qtbot, win, "open-store-dialog")
    assert isinstance(dialog, OpenStoreDialog)
    return dialog


def pick_plugin(qtbot: Any, dialog: OpenStoreDialog, name: str) -> None:
    plugins: QListWidget = dialog.plugins
    for row in range(plugins.count()):
        if plugins.item(row).text().startswith(f"{name} "):
            plugins.scrollToItem(plugins.item(row))
            rect = plugins.visualItemRect(plugins.item(row))
            qtbot.mouseClick(plugins.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.waitUntil(lambda r=row: plugins.currentRow() == r)
            return
    raise AssertionError(f"plugin {name} not listed")


def field(dialog: OpenStoreDialog, name: str) -> QWidget:
    assert dialog.form is not None
    return dialog.form.fields[name]


def type_field(qtbot: Any, dialog: OpenStoreDialog, name: str, text: str) -> None:
    """Click into the field and type, as a user does (select-all first)."""
    widget = field(dialog, name)
    dialog.form_area.ensureWidgetVisible(widget)
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(widget.hasFocus)
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(widget, Qt.Key.Key_Delete)
    for number, line in enumerate(text.split("\n")):
        if number:
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        qtbot.keyClicks(widget, line)


def click_box(qtbot: Any, box: QCheckBox) -> None:
    """Click a check box on its box (the widget is wider than its box and label)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def click_open(qtbot: Any, dialog: OpenStoreDialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    assert box is not None
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Open), Qt.MouseButton.LeftButton)


def error_text(dialog: OpenStoreDialog, name: str) -> str:
    label = dialog.findChild(QLabel, f"option-error-{name}")
    assert label is not None
    return label.text() if label.isVisible() else ""


def test_a_sqlite_store_opens_through_its_form(qtbot: Any, main_window: MainWindow, tmp_path: Path) -> None:
    win = main_window
    dialog = open_dialog(qtbot, win)
    pick_plugin(qtbot, dialog, "sqlite")
    assert dialog.form_area.isVisible() and not dialog.options.isVisible(), "a form, not raw JSON"
    assert set(dialog.form.fields) >= {"path", "create", "author"} if dialog.form else False
    browse = dialog.findChild(QPushButton, "option-browse-path")
    assert browse is not None and browse.isVisible(), "a file option has a Browse button"
    assert dialog.findChild(QPushButton, "option-browse-author") is None, "a text option has none"
    store_file = tmp_path / "form.sqlite"
    type_field(qtbot, dialog, "path", str(store_file))
    create = field(dialog, "create")
    assert isinstance(create, QCheckBox)
    dialog.form_area.ensureWidgetVisible(create)
    click_box(qtbot, create)
    assert create.isChecked()
    click_open(qtbot, dialog)
    qtbot.waitUntil(lambda: win.session.target is not None and win.session.loaded)
    assert win.session.target is not None
    assert win.session.target.options == {"path": str(store_file), "create": True}
    assert store_file.exists()


def test_a_missing_required_option_is_shown_at_its_field(qtbot: Any, main_window: MainWindow) -> None:
    win = main_window
    dialog = open_dialog(qtbot, win)
    pick_plugin(qtbot, dialog, "json")
    click_open(qtbot, dialog)
    qtbot.waitUntil(lambda: error_text(dialog, "directory") == "required")
    assert dialog.isVisible(), "the dialog stays open with what was typed"
    assert field(dialog, "directory").hasFocus(), "the focus goes to the field to fix"
    assert "marked fields" in dialog.problem.text()
    type_field(qtbot, dialog, "directory", "/etc/hostname")
    click_open(qtbot, dialog)
    qtbot.waitUntil(lambda: "is a file, not a folder" in error_text(dialog, "directory"))
    dialog.reject()


def test_advanced_json_carries_the_values_both_ways(qtbot: Any, main_window: MainWindow, tmp_path: Path) -> None:
    win = main_window
    dialog = open_dialog(qtbot, win)
    pick_plugin(qtbot, dialog, "etcd")
    type_field(qtbot, dialog, "endpoints", "127.0.0.1:1\n127.0.0.1:2")
    type_field(qtbot, dialog, "user", "ada")
    type_field(qtbot, dialog, "password", "top secret")
    advanced: QCheckBox = dialog.advanced
    click_box(qtbot, advanced)
    qtbot.waitUntil(dialog.options.isVisible)
    shown = json.loads(dialog.options.toPlainText())
    assert shown == {"endpoints": ["127.0.0.1:1", "127.0.0.1:2"], "user": "ada", "root": "/zhi/"}
    assert "top secret" not in dialog.options.toPlainText(), "a secret never appears as text"
    target = dialog.target()  # opened from the JSON: the password typed in the form still counts
    assert target is not None and "password" not in target.options
    assert dialog.login_offer() == ("userpass", {"username": "ada", "password": "top secret"})
    edit: QPlainTextEdit = dialog.options
    qtbot.mouseClick(edit.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, '{"endpoints": ["10.0.0.9:2379"], "user": "bob", "timeout": 3}')
    click_box(qtbot, advanced)
    qtbot.waitUntil(dialog.form_area.isVisible)
    assert dialog.form is not None
    # unknown keys kept, the secret kept, a field left out of the JSON shows its default
    assert dialog.form.values() == {"endpoints": ["10.0.0.9:2379"], "user": "bob", "timeout": 3, "root": "/zhi/",
                                    "password": "top secret"}
    # bad JSON: the toggle stays on the JSON, with the reason
    click_box(qtbot, advanced)
    qtbot.mouseClick(edit.viewport(), Qt.MouseButton.LeftButton)
    qtbot.keyClick(edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(edit, "{oops")
    click_box(qtbot, advanced)
    assert advanced.isChecked() and "not valid JSON" in dialog.problem.text()
    dialog.reject()


def test_a_password_without_a_user_is_shown_at_the_user_field(qtbot: Any, main_window: MainWindow) -> None:
    dialog = open_dialog(qtbot, main_window)
    pick_plugin(qtbot, dialog, "etcd")
    type_field(qtbot, dialog, "password", "s3cret")
    click_open(qtbot, dialog)
    qtbot.waitUntil(lambda: error_text(dialog, "user") == "required with Password")
    assert dialog.isVisible() and main_window.session.target is None
    dialog.reject()


def test_tab_goes_through_the_form_in_order(qtbot: Any, main_window: MainWindow) -> None:
    dialog = open_dialog(qtbot, main_window)
    pick_plugin(qtbot, dialog, "etcd")
    dialog.path.setFocus()
    qtbot.waitUntil(dialog.path.hasFocus)
    seen: list[str] = []
    for _ in range(14):
        focused = QApplication.focusWidget()
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget().objectName())
    fields = [name for name in seen if name.startswith("option-") and not name.startswith("option-browse")]
    assert fields[:4] == ["option-endpoints", "option-user", "option-password", "option-ca_file"], seen
    assert seen.index("option-browse-ca_file") == seen.index("option-ca_file") + 1, "Browse right after its field"
    dialog.reject()


def test_a_plugin_without_a_schema_keeps_the_raw_json_field(qtbot: Any, main_window: MainWindow) -> None:
    dialog = open_dialog(qtbot, main_window)
    pick_plugin(qtbot, dialog, "mirror")
    assert dialog.form is None and dialog.options.isVisible() and not dialog.form_area.isVisible()
    assert dialog.advanced.isChecked() and not dialog.advanced.isEnabled()
    pick_plugin(qtbot, dialog, "memory")
    assert dialog.form is not None and dialog.advanced.isEnabled() and not dialog.advanced.isChecked()
    dialog.reject()


def test_etcd_with_a_login_opens_from_the_form_and_again_from_recent_without_the_password(
        qtbot: Any, make_window: Any, run_async: Any, tmp_path: Path) -> None:
    from tests.etcd_server import EtcdServer, seed_with_login

    server = EtcdServer(tmp_path / "etcd-data")
    server.start()
    try:
        password = "analytical engine 1843"
        run_async(seed_with_login(server.endpoint, password, "app", [Entry("db/host", b'"etcd.local"')]))
        settings = Settings(tmp_path / "settings.json")
        vault = InMemoryVault()
        win: MainWindow = make_window(settings, tmp_path / "state", vault=vault)
        dialog = open_dialog(qtbot, win)
        pick_plugin(qtbot, dialog, "etcd")
        type_field(qtbot, dialog, "endpoints", server.endpoint)
        type_field(qtbot, dialog, "user", "root")
        type_field(qtbot, dialog, "password", password)
        click_open(qtbot, dialog)
        qtbot.waitUntil(lambda: win.session.loaded and "db/host" in win.session.index.entries)
        security = security_of(win)
        assert security.login.last_login_source == "form"
        assert win.session.target is not None and "password" not in win.session.target.options, \
            "the password never became a plugin option"
        key = login_entry(security.identity_key(), "userpass")
        assert json.loads(vault.get(key) or "{}") == {"username": "root", "password": password}
        saved = (tmp_path / "settings.json").read_text()
        assert password not in saved and "root" in saved, "settings hold the user, never the password"

        # a new window (as after a restart): Recent stores, no typing
        again: MainWindow = make_window(Settings(tmp_path / "settings.json"), tmp_path / "state2", vault=vault)
        recent = [a for a in again.recent_menu.actions() if isinstance(a, QAction) and a.isEnabled()]
        assert recent, "the etcd store is in Recent stores"
        recent[0].trigger()
        qtbot.waitUntil(lambda: again.session.loaded and "db/host" in again.session.index.entries)
        assert security_of(again).login.last_login_source == "keyring"
        assert not [w for w in QApplication.topLevelWidgets() if w.objectName() == "login-dialog" and w.isVisible()]
    finally:
        server.stop()


def test_a_typed_executable_gets_its_own_plugins_form(qtbot: Any, main_window: MainWindow, tmp_path: Path) -> None:
    """The form follows the executable field: a listed plugin's path selects it; a copy
    elsewhere with its manifest beside it gets that manifest's form; none gets raw JSON."""
    dialog = open_dialog(qtbot, main_window)
    pick_plugin(qtbot, dialog, "sqlite")
    assert "path" in dialog.form.fields if dialog.form is not None else False
    memory = Path(__file__).resolve().parents[2] / "plugins" / "zhi-store-memory"
    elsewhere = tmp_path / "bin"
    elsewhere.mkdir()
    (elsewhere / "zhi-store-memory").write_bytes((memory / "zhi-store-memory").read_bytes())
    (elsewhere / "zhi-store-memory").chmod(0o755)
    (elsewhere / "zhi-plugin.yaml").write_text((memory / "zhi-plugin.yaml").read_text())

    def type_path(text: str) -> None:
        dialog.path.setFocus()
        dialog.path.selectAll()
        qtbot.keyClicks(dialog.path, text)
        qtbot.keyClick(dialog.path, Qt.Key.Key_Tab)  # leaving the field

    type_path(str(elsewhere / "zhi-store-memory"))
    qtbot.waitUntil(lambda: dialog.form is not None and "versioning" in dialog.form.fields)
    assert "memory" in dialog.details.text()
    (tmp_path / "zhi-store-plain").write_text("#!/bin/sh\n")
    type_path(str(tmp_path / "zhi-store-plain"))
    qtbot.waitUntil(lambda: dialog.form is None)
    assert dialog.findChild(QPlainTextEdit, "open-options").isVisible(), "raw JSON for a plugin without a schema"
    dialog.reject()
