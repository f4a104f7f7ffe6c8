"""The store locks when the desktop locks the screen: a private session D-Bus
(dbus-daemon) carries org.freedesktop.ScreenSaver / org.gnome.ScreenSaver
ActiveChanged(true), sent by dbus-send as a screen saver would; with the setting
off, the same signal leaves the store open."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import SLOT, QObject, Slot
from PySide6.QtDBus import QDBusConnection

from tests.gui.test_idle_lock import encrypted_window
from zhi_gui.services.settings import LOCK_ON_SCREEN_LOCK, Settings
from zhi_gui.ui.security import LockKind


@pytest.fixture
def private_bus(tmp_path: Path) -> Iterator[str]:
    """The address of a session bus of this test's own (dbus-daemon --session)."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None or shutil.which("dbus-send") is None:
        pytest.skip("dbus-daemon / dbus-send are not installed (Debian: apt-get install dbus-daemon dbus-bin)")
    done = subprocess.run([daemon, "--session", "--print-address=1", "--print-pid=1", "--fork",
                           f"--address=unix:path={tmp_path / 'bus'}"],
                          capture_output=True, text=True, timeout=30, check=True)
    address, pid = done.stdout.split()[:2]
    try:
        yield address
    finally:
        subprocess.run(["kill", pid], check=False)
        QDBusConnection.disconnectFromBus("screen-lock-test")


def screen_locked(address: str, interface: str, active: bool = True) -> None:
    """What the desktop's screen saver sends when the screen locks."""
    path = "/" + interface.replace(".", "/")
    subprocess.run(["dbus-send", f"--bus={address}", "--type=signal", path, f"{interface}.ActiveChanged",
                    f"boolean:{'true' if active else 'false'}"], check=True, timeout=30)


class Listener(QObject):
    """Hears the same signal as the window, so a test knows it went past."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[bool] = []

    @Slot(bool)
    def changed(self, active: bool) -> None:
        self.heard.append(active)


@pytest.mark.parametrize("interface", ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"])
def test_locking_the_screen_locks_the_store(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path,
                                            private_bus: str, interface: str) -> None:
    win, security = encrypted_window(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    bus = QDBusConnection.connectToBus(private_bus, "screen-lock-test")
    assert bus.isConnected(), bus.lastError().message()
    watcher = security.screen_lock
    watcher.enabled = True
    assert watcher.listen(bus)
    screen_locked(private_bus, interface, active=False)  # the screen coming back: nothing to do
    screen_locked(private_bus, interface)
    qtbot.waitUntil(lambda: win.session.locked and not win.tasks)
    assert security.status.kind is LockKind.LOCKED and not win.session.index.entries
    assert watcher.heard == 1


def test_with_the_setting_off_the_store_stays_open(qtbot: Any, make_window: Any, run_async: Any,
                                                   short_tmp: Path, private_bus: str) -> None:
    win, security = encrypted_window(qtbot, make_window, run_async, short_tmp / "s.sqlite")
    bus = QDBusConnection.connectToBus(private_bus, "screen-lock-test")
    watcher = security.screen_lock
    watcher.enabled = False  # as with lock_on_screen_lock: false
    assert watcher.listen(bus)
    listener = Listener()
    assert bus.connect("", "", "org.freedesktop.ScreenSaver", "ActiveChanged", listener,
                       SLOT("changed(bool)"))  # type: ignore[call-overload]  # str at run time
    screen_locked(private_bus, "org.freedesktop.ScreenSaver")
    qtbot.waitUntil(lambda: listener.heard == [True] and watcher.heard == 1)
    assert not win.session.locked and security.status.kind is LockKind.UNLOCKED


def test_the_setting(tmp_path: Path) -> None:
    settings = Settings(tmp_path / "settings.json")
    assert settings.get(LOCK_ON_SCREEN_LOCK) is True
    settings.set(LOCK_ON_SCREEN_LOCK, False)
    assert Settings(tmp_path / "settings.json").get(LOCK_ON_SCREEN_LOCK) is False
