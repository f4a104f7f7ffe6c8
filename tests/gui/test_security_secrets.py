"""Passphrases leave no trace: the encryption flows run with logging at DEBUG
into a file and the XDG config / state / data / cache directories pointed at
temp dirs (settings, per-plugin state and the store file live there); then
every file written, the log and the SQLite file (with its WAL) are searched
for every passphrase typed, right or wrong. The plugin processes' argv and
environment are searched too. Without a secure keyring, "Remember" is
disabled with the reason and nothing is stored anywhere else."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from PySide6.QtWidgets import QCheckBox, QLabel, QMessageBox

from tests.conftest import plugin_path
from tests.gui.conftest import security_of
from tests.gui.test_main_window import find_dialog, open_sample
from tests.gui.test_security import (
    child,
    click_ok,
    encrypt_through_dialog,
    problem_text,
    type_change,
    type_into,
    unlock_through_dialog,
    wait_task,
)
from tests.gui.test_session_window import click_box
from zhi_gui.services.keyring_service import AvailabilityStatus, InMemoryVault
from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.security import LockKind, SecurityController

PASS = "juniper mosaic ferry 58 lighthouse"
NEW_PASS = "copper kettle whistles twice 31"
WRONG = "definitely-wrong-guess-alpha"
WRONG_OLD = "definitely-wrong-guess-beta"
ALL = (PASS, NEW_PASS, WRONG, WRONG_OLD)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Path]]:
    roots = {name: tmp_path / name for name in ("config", "state", "data", "cache")}
    for name, path in roots.items():
        path.mkdir()
        monkeypatch.setenv(f"XDG_{name.upper()}_HOME", str(path))
    roots["log"] = tmp_path / "debug.log"
    handler = logging.FileHandler(roots["log"], encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield roots
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def new_window(make_window: Any, vault: InMemoryVault) -> tuple[MainWindow, SecurityController]:
    win = make_window(Settings(), vault=vault)  # settings and plugin state in the temp XDG dirs
    return win, security_of(win)


def close_window(win: MainWindow, run_async: Any) -> None:
    win._closing_confirmed = True
    run_async(win.controller.close())
    win.close()  # writes the window layout to the settings


def plugin_processes(win: MainWindow) -> list[Path]:
    """/proc entries of every process in the plugin's process group."""
    plugin = win.controller.supervisor.plugin if win.controller.supervisor else None
    assert plugin is not None
    group = os.getpgid(plugin.pid)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[2]) == group:
            found.append(entry)
    assert found
    return found


def assert_not_in_children(win: MainWindow) -> None:
    """Not in the plugin's argv or environment, nor in anything it logged."""
    logged = "\n".join(repr(line) for line in win.plugin_view.all_lines)
    assert logged, "the plugin's log was captured (and searched)"
    for secret in ALL:
        assert secret not in logged
    for proc in plugin_processes(win):
        for part in ("environ", "cmdline"):
            try:
                data = (proc / part).read_bytes()
            except OSError:
                continue
            for secret in ALL:
                assert secret.encode() not in data, f"a passphrase is in {proc}/{part}"


def files_under(*roots: Path) -> list[Path]:
    files = []
    for root in roots:
        if root.is_file():
            files.append(root)
        elif root.is_dir():
            files += [p for p in root.rglob("*") if p.is_file()]
    return files


def assert_no_passphrase_written(roots: dict[str, Path]) -> list[Path]:
    files = files_under(*roots.values())
    for path in files:
        data = path.read_bytes()
        for secret in ALL:
            for encoded in (secret.encode("utf-8"), secret.encode("utf-16-le")):
                assert encoded not in data, f"{secret!r} found in {path}"
    return files


def test_encryption_flows_leave_no_passphrase_in_logs_settings_state_or_the_store(
        qtbot: Any, run_async: Any, make_window: Any, xdg: dict[str, Path]) -> None:
    store_file = Path(platformdirs.user_data_dir("zhi-gui")) / "secrets.zhistore.sqlite"
    store_file.parent.mkdir(parents=True)
    target = StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, "sample")
    vault = InMemoryVault()

    win, security = new_window(make_window, vault)
    open_sample(win, run_async, store_file)
    encrypt_through_dialog(qtbot, win, security, PASS, remember=True)
    assert_not_in_children(win)
    win.controller.stage_set("global/region", b'"eu-central-2"', b"")
    run_async(win.save("after encryption"))
    close_window(win, run_async)

    # Reopen (from the keyring), lock, unlock, forget, change the passphrase (a wrong old one first).
    win, security = new_window(make_window, vault)
    wait_task(qtbot, win.run(win.open_store(target)))
    assert security.encryption.last_unlock_source == "keyring"
    assert_not_in_children(win)
    with qtbot.waitSignal(security.locked, timeout=10000):
        security.lock_action.trigger()
    with qtbot.waitSignal(security.unlocked, timeout=10000):
        security.unlock_action.trigger()
    security.change_action.trigger()
    dialog = find_dialog(qtbot, win, "change-passphrase-dialog")
    type_change(qtbot, dialog, WRONG_OLD, NEW_PASS)
    click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: "wrong" in problem_text(dialog), timeout=15000)
    type_into(qtbot, dialog, "old-passphrase", PASS)
    click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: vault.get(security.identity_key()) == NEW_PASS, timeout=30000)
    assert_not_in_children(win)
    assert_no_passphrase_written(xdg)  # also while the store is open (its WAL and shared memory files)
    with qtbot.waitSignal(security.message, timeout=5000):
        security.forget_action.trigger()
        click_box(qtbot, win, "ask-forget-passphrase", QMessageBox.StandardButton.Yes)
    close_window(win, run_async)

    # Reopen without a remembered passphrase: a wrong one, then the right one, in the dialog.
    win, security = new_window(make_window, vault)
    task = win.run(win.open_store(target))
    dialog = unlock_through_dialog(qtbot, win, WRONG, remember=False)
    qtbot.waitUntil(lambda: "Wrong passphrase" in problem_text(dialog), timeout=10000)
    type_into(qtbot, dialog, "passphrase", NEW_PASS)
    click_ok(qtbot, dialog)
    wait_task(qtbot, task)
    assert task.exception() is None
    assert win.controller.index.entries["global/region"].value_json == b'"eu-central-2"'
    assert_not_in_children(win)
    close_window(win, run_async)

    files = assert_no_passphrase_written(xdg)
    names = {p.name for p in files}
    assert "settings.json" in names, "the settings were written (and searched)"
    assert store_file in files, "the store file was searched"
    assert any(p.is_relative_to(xdg["state"]) for p in files), "per-plugin state was written (and searched)"
    log_text = xdg["log"].read_text()
    assert "zhi_gui.ui.security" in log_text and "passphrase taken from the keyring" in log_text
    assert "wrong passphrase typed" in log_text


def test_no_secure_keyring_disables_remember_and_stores_nothing_anywhere(
        qtbot: Any, run_async: Any, make_window: Any, xdg: dict[str, Path]) -> None:
    store_file = Path(platformdirs.user_data_dir("zhi-gui")) / "plain-fallback.zhistore.sqlite"
    store_file.parent.mkdir(parents=True)
    vault = InMemoryVault(AvailabilityStatus.NO_BACKEND)
    win, security = new_window(make_window, vault)
    open_sample(win, run_async, store_file)
    security.encrypt_action.trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    remember = child(dialog, QCheckBox, "remember")
    assert not remember.isEnabled() and not remember.isChecked()
    reason = child(dialog, QLabel, "remember-reason")
    assert reason.isVisible()
    assert "No secure keyring" in reason.text() and "never stores them in plain text" in reason.text()
    type_into(qtbot, dialog, "new-passphrase", PASS)
    type_into(qtbot, dialog, "confirmation", PASS)
    click_ok(qtbot, dialog)
    qtbot.waitUntil(lambda: security.status.kind is LockKind.UNLOCKED, timeout=20000)
    assert vault.keys() == [] and all(op != "set" for op, _ in vault.calls)
    with qtbot.waitSignal(security.message, timeout=5000):
        security.forget_action.trigger()  # nothing to forget: the keyring problem is named, not hidden
        click_box(qtbot, win, "ask-forget-passphrase", QMessageBox.StandardButton.Yes)
    assert "No secure keyring" in security.last_message
    close_window(win, run_async)
    files = assert_no_passphrase_written(xdg)
    assert store_file in files
