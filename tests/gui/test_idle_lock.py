"""An unlocked encrypted store locks itself after a while without input; input
keeps it open, and a value being typed that cannot be staged yet postpones it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from tests.gui.conftest import security_of
from tests.gui.helpers import activate, click_key, sqlite_target, type_value
from zhi_gui.services.settings import IDLE_LOCK_MINUTES, Settings
from zhi_gui.ui.security import LockKind

PASS = "violet harbour lantern 27 keys"


def encrypted_window(qtbot: Any, make_window: Any, run_async: Any, store_file: Path) -> Any:
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(sqlite_target(store_file)))
    run_async(win.fill_sample())
    run_async(win.session.store.init_encryption(PASS.encode()))
    run_async(win.session.refresh_capabilities())
    security = security_of(win)
    qtbot.waitUntil(lambda: security.status.kind is LockKind.UNLOCKED)
    return win, security


def test_idle_time_locks_the_store(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    win, security = encrypted_window(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    idle = security.idle_lock
    idle.enabled = True
    idle.timer.setInterval(400)  # minutes in the app; a fraction of a second here
    idle.timer.start()
    qtbot.waitUntil(lambda: win.session.locked and not win.tasks, timeout=20000)
    assert security.status.kind is LockKind.LOCKED and not win.session.index.entries


def test_input_keeps_it_open_and_an_unstageable_value_postpones_it(qtbot: Any, make_window: Any, run_async: Any,
                                                                    short_tmp: Path) -> None:
    win, security = encrypted_window(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    activate(qtbot, win)
    click_key(qtbot, win, "services/api/replicas")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/replicas")
    idle = security.idle_lock
    idle.enabled = True
    idle.timer.setInterval(300)
    idle.timer.start()
    for _ in range(5):  # each key restarts the countdown
        qtbot.keyClick(win.tree_view, Qt.Key.Key_Down)
        assert idle.timer.remainingTime() > 150 and not win.session.locked
        qtbot.keyClick(win.tree_view, Qt.Key.Key_Up)
    click_key(qtbot, win, "services/api/replicas")
    type_value(qtbot, win, "-")  # half a number
    qtbot.waitUntil(lambda: win.editor.dirty and not win.editor.can_stage())
    fired: list[bool] = []
    idle.timer.timeout.connect(lambda: fired.append(True))
    qtbot.waitUntil(lambda: len(fired) >= 2, timeout=10000)  # two idle periods passed
    assert not win.session.locked and win.editor.dirty, "a value that cannot be staged keeps the store open"
    assert idle.timer.isActive(), "it tries again later"


def test_idle_lock_minutes_setting(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    assert settings.get(IDLE_LOCK_MINUTES) == 15
    settings.set(IDLE_LOCK_MINUTES, 0)
    assert Settings(tmp_path / "settings.json").get(IDLE_LOCK_MINUTES) == 0


def test_input_is_watched_only_while_an_unlocked_store_can_lock(qtbot: Any, make_window: Any, run_async: Any,
                                                                 short_tmp: Path) -> None:
    # An application-wide event filter is a Python call for every event of every widget
    # (each one waiting for the GIL while a worker reads a tree): it is in only while needed.
    win = make_window()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    security = security_of(win)
    idle = security.idle_lock
    idle.set_minutes(15)
    assert security.status.kind is LockKind.PLAIN and not idle.watching
    run_async(win.session.store.init_encryption(PASS.encode()))
    run_async(win.session.refresh_capabilities())
    qtbot.waitUntil(lambda: security.status.kind is LockKind.UNLOCKED)
    assert idle.watching
    idle.set_minutes(0)  # the setting turned off
    assert not idle.watching
    idle.set_minutes(15)
    security.lock_action.trigger()
    qtbot.waitUntil(lambda: security.status.kind is LockKind.LOCKED and not win.tasks, timeout=20000)
    assert not idle.watching
