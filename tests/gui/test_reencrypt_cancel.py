"""Cancel while a big sqlite store is re-encrypted, clicked in the dialog that shows the
work (it is modal: the status bar behind it cannot be clicked). Before the store
commits, Cancel stops the plugin's rewrite: the old passphrase still opens every value,
the dialog says nothing was changed and keeps what was typed. A first encryption
stopped the same way leaves the store plain."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QPushButton

from tests.big_stores import build_store, copy_store, every_value_reads, holds_write_lock
from tests.conftest import plugin_path
from tests.gui.conftest import security_of
from tests.gui.helpers import find_dialog
from tests.gui.test_security import (
    NEW_PASS,
    PASS,
    child,
    click_ok,
    problem_text,
    type_change,
    type_into,
    unlock_through_dialog,
)
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.session import StoreTarget
from zhi_gui.stores.sqlite.engine import Engine
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.security import LockKind, SecurityController
from zhi_gui.ui.security.encryption import (
    ENCRYPTED_BEFORE_STOP,
    NOT_ENCRYPTED,
    NOT_ROTATED,
    ROTATED_BEFORE_STOP,
    STOPPING,
)

VALUES = 200_000  # its rewrite takes seconds: the click lands inside it
SAMPLE = {"services/api/replicas": b"3", "services/api/image": b'"api:1.4"'}


@pytest.fixture(scope="module")
def big_stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("big")
    return {"encrypted": build_store(root / "encrypted.sqlite", VALUES, PASS.encode(), SAMPLE),
            "plain": build_store(root / "plain.sqlite", VALUES, None, SAMPLE)}


def open_window(qtbot: Any, make_window: Callable[..., MainWindow], db: Path,
                passphrase: str | None) -> tuple[MainWindow, SecurityController]:
    win = make_window(vault=InMemoryVault())
    task = win.run(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(db)}, "sample")), "Opening")
    if passphrase is not None:
        unlock_through_dialog(qtbot, win, passphrase, remember=False)
    qtbot.waitUntil(task.done)
    assert task.exception() is None
    assert win.controller.index.entries["services/api/replicas"].value_json == b"3"
    return win, security_of(win)


def submit(qtbot: Any, win: MainWindow, security: SecurityController, flow: str) -> Any:
    """Store ▸ Encrypt store… ("encrypt") or Change passphrase… ("change"), typed
    into and confirmed with OK, as a user does; the dialog, now working."""
    if flow == "encrypt":
        security.encrypt_action.trigger()
        dialog = find_dialog(qtbot, win, "encrypt-dialog")
        type_into(qtbot, dialog, "new-passphrase", NEW_PASS)
        type_into(qtbot, dialog, "confirmation", NEW_PASS)
    else:
        security.change_action.trigger()
        dialog = find_dialog(qtbot, win, "change-passphrase-dialog")
        type_change(qtbot, dialog, PASS, NEW_PASS)
    click_ok(qtbot, dialog)
    return dialog


def cancel_mid_rewrite(qtbot: Any, dialog: Any, db: Path) -> None:
    """Click the dialog's Cancel once the plugin is inside its rewrite transaction."""
    cancel = child(dialog, QPushButton, "cancel")
    qtbot.waitUntil(lambda: holds_write_lock(db))
    assert cancel.isEnabled(), "Cancel is offered while the store rewrites"
    assert child(dialog, QLabel, "busy-label").isVisible()
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert child(dialog, QLabel, "busy-label").text() == STOPPING
    assert not cancel.isEnabled(), "one stop is enough: the store is rolling back"


def test_cancel_mid_rotation_keeps_the_old_passphrase(qtbot: Any, make_window: Any, short_tmp: Path,
                                                        big_stores: dict[str, Path], run_async: Any) -> None:
    db = copy_store(big_stores["encrypted"], short_tmp / "store.sqlite")
    win, security = open_window(qtbot, make_window, db, PASS)
    dialog = submit(qtbot, win, security, "change")
    label = child(dialog, QLabel, "busy-label")
    qtbot.waitUntil(lambda: label.text().endswith(" s"))  # "Re-encrypting ... 0 s": how long it has run
    cancel_mid_rewrite(qtbot, dialog, db)

    qtbot.waitUntil(lambda: problem_text(dialog) == NOT_ROTATED)
    assert dialog.isVisible() and not dialog.busy, "the dialog stays for another try"
    assert child(dialog, QLineEdit, "old-passphrase").text() == PASS, "what was typed is kept"
    assert child(dialog, QLineEdit, "new-passphrase").text() == NEW_PASS
    assert security.status.kind is LockKind.UNLOCKED
    assert win.controller.index.entries["services/api/replicas"].value_json == b"3"
    qtbot.mouseClick(child(dialog, QPushButton, "cancel"), Qt.MouseButton.LeftButton)  # now it closes
    qtbot.waitUntil(lambda: not dialog.isVisible())
    run_async(win.controller.close())

    assert every_value_reads(db, VALUES, PASS.encode()), "the old passphrase opens every value"
    engine = Engine(db)
    try:
        with pytest.raises(E.WrongPassphrase):
            engine.unlock(NEW_PASS.encode())
    finally:
        engine.close()


def test_cancel_mid_encryption_leaves_the_store_plain(qtbot: Any, make_window: Any, short_tmp: Path,
                                                        big_stores: dict[str, Path], run_async: Any) -> None:
    db = copy_store(big_stores["plain"], short_tmp / "store.sqlite")
    win, security = open_window(qtbot, make_window, db, None)
    dialog = submit(qtbot, win, security, "encrypt")
    cancel_mid_rewrite(qtbot, dialog, db)

    qtbot.waitUntil(lambda: problem_text(dialog) == NOT_ENCRYPTED)
    assert child(dialog, QLineEdit, "new-passphrase").text() == NEW_PASS, "what was typed is kept"
    assert win.controller.capabilities.encryption == Encryption.SUPPORTED
    assert security.encrypt_action.isEnabled()
    qtbot.mouseClick(child(dialog, QPushButton, "cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    run_async(win.controller.close())
    assert every_value_reads(db, VALUES, None)


def test_a_stop_that_came_too_late_is_told_apart_by_asking_the_store(qtbot: Any, make_window: Any, short_tmp: Path,
                                                                      run_async: Any) -> None:
    """What the dialog concludes after a stop: the store is asked which passphrase opens it
    (the stop may have reached it after it committed). A small store, driven directly."""
    db = build_store(short_tmp / "small.sqlite", 10, PASS.encode(), SAMPLE)
    win, security = open_window(qtbot, make_window, db, PASS)
    flows, store = security.encryption, win.controller.store
    assert run_async(flows._rotated_after_all(store, PASS, NEW_PASS, False)) is False, "rolled back: not rotated"
    with pytest.raises(E.WrongPassphrase):  # neither opens it: the typed current passphrase was wrong
        run_async(flows._rotated_after_all(store, "not the passphrase", NEW_PASS, False))
    run_async(store.rotate_encryption(PASS.encode(), NEW_PASS.encode()))  # as if it committed before the stop
    assert run_async(flows._rotated_after_all(store, PASS, NEW_PASS, False)) is True
    run_async(store.lock())
    assert run_async(flows._rotated_after_all(store, NEW_PASS, PASS, True)) is False
    assert run_async(store.describe()).locked, "a store that was locked is locked again"


@pytest.mark.parametrize("flow", ["encrypt", "change"])
def test_cancel_after_the_store_finished_says_it_came_too_late(qtbot: Any, make_window: Any, short_tmp: Path,
                                                                 monkeypatch: pytest.MonkeyPatch, flow: str) -> None:
    """The store's answer is on its way when Cancel is clicked: the change stands (the store
    is asked), and the window says Cancel came too late instead of a plain success."""
    db = build_store(short_tmp / "small.sqlite", 10, PASS.encode() if flow == "change" else None, SAMPLE)
    win, security = open_window(qtbot, make_window, db, PASS if flow == "change" else None)
    store = win.controller.store
    finished: list[bool] = []
    name = "init_encryption" if flow == "encrypt" else "rotate_encryption"
    real = getattr(store, name)

    async def answer_in_flight(*args: Any) -> None:
        await real(*args)  # the store commits ...
        finished.append(True)
        await asyncio.Event().wait()  # ... and its answer has not arrived when Cancel is clicked

    monkeypatch.setattr(store, name, answer_in_flight)
    dialog = submit(qtbot, win, security, flow)
    qtbot.waitUntil(lambda: bool(finished), timeout=20000)
    qtbot.mouseClick(child(dialog, QPushButton, "cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=20000)
    expected = ENCRYPTED_BEFORE_STOP if flow == "encrypt" else ROTATED_BEFORE_STOP
    qtbot.waitUntil(lambda: security.last_message.startswith(expected), timeout=20000)
    assert win.statusBar().currentMessage().startswith(expected)
    assert win.controller.capabilities.encryption == Encryption.ACTIVE
    assert security.status.kind is LockKind.UNLOCKED
