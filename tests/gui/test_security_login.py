"""Login for stores with auth, against the real memory plugin configured to
require a userpass login: the form built from AuthMethods, a refused password,
success with "remember", silent re-login from the keyring after a crash, log
out (the form again), cancel, and a remembered login the store refuses."""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QDialog, QLabel, QLineEdit, QPushButton, QTabWidget

from tests.conftest import plugin_path
from tests.gui.conftest import security_of
from tests.gui.test_main_window import find_dialog
from tests.gui.test_security import child, click_ok, problem_text, type_into, wait_task, watch_wipe
from zhi_gui.core.model import Entry
from zhi_gui.plugin.supervisor import PluginState
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.security import SecurityController, login_entry

AUTH = {"username": "ada", "password": "analytical-engine-1843"}
TARGET = StoreTarget(plugin_path("memory"), {"auth": AUTH}, "app", "memory with login")


@pytest.fixture
def secure_window(make_window: Any) -> Callable[..., tuple[MainWindow, SecurityController]]:
    """A window as the app builds it, with ``vault`` as its keyring (shared by the
    windows of a test, as the OS keyring would be)."""

    def make(vault: InMemoryVault) -> tuple[MainWindow, SecurityController]:
        win = make_window(vault=vault)
        return win, security_of(win)

    return make


def fill_login(qtbot: Any, dialog: QDialog, username: str, password: str, remember: bool | None = None) -> None:
    type_into(qtbot, dialog, "field-userpass-username", username)
    type_into(qtbot, dialog, "field-userpass-password", password)
    if remember is not None:
        child(dialog, QCheckBox, "remember").setChecked(remember)
    click_ok(qtbot, dialog)


def key_of(security: SecurityController) -> str:
    return login_entry(security.identity_key(), "userpass")


def test_login_form_from_auth_methods_refused_then_accepted_and_remembered(
        qtbot: Any, run_async: Any, secure_window: Any) -> None:
    vault = InMemoryVault()
    win, security = secure_window(vault)
    task = win.run(win.open_store(TARGET), "Opening")
    dialog = find_dialog(qtbot, win, "login-dialog")
    assert "not logged in" in win.auth_label.text()
    tabs = child(dialog, QTabWidget, "methods")
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["userpass"]
    user = child(dialog, QLineEdit, "field-userpass-username")
    password = child(dialog, QLineEdit, "field-userpass-password")
    assert user.echoMode() == QLineEdit.EchoMode.Normal
    assert password.echoMode() == QLineEdit.EchoMode.Password, "secret fields are masked"
    labels = [label.text() for label in dialog.findChildren(QLabel)]
    assert "User name *:" in labels and "Password *:" in labels, "required fields are marked"
    ok = child(dialog, QPushButton, "ok")
    type_into(qtbot, dialog, "field-userpass-username", "ada")
    assert not ok.isEnabled(), "the required password is missing"

    fill_login(qtbot, dialog, "ada", "babbage")
    qtbot.waitUntil(lambda: "Login refused" in problem_text(dialog), timeout=10000)
    assert "invalid user name or password" in problem_text(dialog)
    assert password.text() == "" and user.text() == "ada"
    assert not task.done() and vault.keys() == []

    wiped = watch_wipe(dialog)
    fill_login(qtbot, dialog, "ada", AUTH["password"], remember=True)
    wait_task(qtbot, task)
    assert task.exception() is None, task.exception()
    assert wiped == [[""]]
    assert security.login.logged_in and security.login.last_login_source == "dialog"
    assert "logged in as ada" in win.auth_label.text()
    assert security.logout_action.isEnabled() and not security.login_action.isEnabled()
    key = key_of(security)
    qtbot.waitUntil(lambda: vault.keys() == [key], timeout=5000)
    assert json.loads(vault.get(key) or "") == AUTH
    assert key.endswith(":login:userpass") and key.startswith(security.identity_key())


def test_remembered_login_is_reused_after_a_crash_without_a_dialog(qtbot: Any, run_async: Any,
                                                                   secure_window: Any) -> None:
    vault = InMemoryVault()
    win, security = secure_window(vault)
    task = win.run(win.open_store(TARGET), "Opening")
    fill_login(qtbot, find_dialog(qtbot, win, "login-dialog"), "ada", AUTH["password"], remember=True)
    wait_task(qtbot, task)
    qtbot.waitUntil(lambda: len(vault.keys()) == 1, timeout=5000)
    run_async(win.controller.store.write_values("app", [Entry("greeting", b'"hi"')]))

    pid = win.controller.supervisor.plugin.pid
    with qtbot.waitSignal(security.loggedIn, timeout=20000) as blocker:
        win.controller.supervisor.plugin.kill_group(signal.SIGKILL)
    assert blocker.args == ["keyring"]
    qtbot.waitUntil(lambda: win.controller.plugin_state == PluginState.RUNNING
                    and win.controller.supervisor.plugin.pid != pid, timeout=15000)
    assert win.findChild(QDialog, "login-dialog") is None, "no dialog: the keyring had the login"
    assert run_async(win.controller.store.list_trees()) == []  # logged in (a memory store starts empty)
    assert security.login.logged_in


def test_log_out_restarts_the_plugin_and_shows_the_form_again(qtbot: Any, run_async: Any, secure_window: Any) -> None:
    vault = InMemoryVault()
    win, security = secure_window(vault)
    task = win.run(win.open_store(TARGET), "Opening")
    fill_login(qtbot, find_dialog(qtbot, win, "login-dialog"), "ada", AUTH["password"], remember=True)
    wait_task(qtbot, task)
    pid = win.controller.supervisor.plugin.pid

    security.logout_action.trigger()
    dialog = find_dialog(qtbot, win, "login-dialog")  # despite the remembered login
    assert win.controller.supervisor.plugin.pid != pid, "log out = a new plugin process"
    assert child(dialog, QLineEdit, "field-userpass-username").text() == "ada", "the user name is offered again"
    assert child(dialog, QLineEdit, "field-userpass-password").text() == ""
    child(dialog, QPushButton, "cancel").click()
    qtbot.waitUntil(lambda: "not logged in" in win.banner.text(), timeout=10000)
    assert not security.login.logged_in and security.login_action.isEnabled()
    assert "not logged in" in win.auth_label.text()

    with qtbot.waitSignal(security.loggedIn, timeout=10000) as blocker:
        security.login_action.trigger()  # Log in... tries the keyring first
    assert blocker.args == ["keyring"]
    qtbot.waitUntil(lambda: not win.banner.isVisible() or "not logged in" not in win.banner.text())


def test_a_refused_remembered_login_shows_the_form(qtbot: Any, run_async: Any, secure_window: Any) -> None:
    vault = InMemoryVault()
    win, security = secure_window(vault)
    key = login_entry(target_identity_key(), "userpass")
    vault.set(key, json.dumps({"username": "ada", "password": "old password"}))
    task = win.run(win.open_store(TARGET), "Opening")
    dialog = find_dialog(qtbot, win, "login-dialog")
    assert "remembered in the keyring was refused" in problem_text(dialog)
    assert child(dialog, QLineEdit, "field-userpass-username").text() == "ada"
    fill_login(qtbot, dialog, "ada", AUTH["password"], remember=False)
    wait_task(qtbot, task)
    assert task.exception() is None
    qtbot.waitUntil(lambda: vault.get(key) is None, timeout=5000)  # the stale entry is dropped
    with qtbot.waitSignal(security.message, timeout=5000):
        security.forget_login_action.trigger()
    assert "no remembered login" in security.last_message


def target_identity_key() -> str:
    from zhi_gui.services.settings import StoreIdentity

    return StoreIdentity(str(TARGET.plugin), TARGET.options).key()


def test_login_entry_is_per_store_and_method() -> None:
    assert login_entry("k" * 64, "userpass") == "k" * 64 + ":login:userpass"
