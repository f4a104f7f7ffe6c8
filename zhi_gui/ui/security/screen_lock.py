"""Lock the store when the desktop's screen locks (KeePassXC's "lock on screen lock").

Desktops announce it on the session D-Bus as the signal ``ActiveChanged(bool)`` of
``org.freedesktop.ScreenSaver`` (KDE, Xfce, LXQt, and GNOME's compatibility name)
or ``org.gnome.ScreenSaver`` (GNOME Shell). Whoever sends it, on whatever object
path, ``true`` locks an unlocked store the way idle time does (a value being typed
that cannot be staged keeps it open). Without a session bus there is nothing to
hear, and the watcher says so in the log once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import SLOT, QObject, Slot
from PySide6.QtDBus import QDBusConnection

from zhi_gui.ui.security.idle import lock_if_unlocked

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from zhi_gui.ui.security.context import SecurityContext

log = logging.getLogger("zhi_gui.ui.security")
INTERFACES = ("org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver")


class ScreenLockWatcher(QObject):
    def __init__(self, security: SecurityContext, enabled: bool,
                 lock: Callable[[], Coroutine[Any, Any, None]]) -> None:
        super().__init__(security)
        self.setObjectName("screen-lock-watcher")
        self.security = security
        self.lock = lock
        self.enabled = enabled
        self.buses: list[QDBusConnection] = []
        self.heard = 0  # ActiveChanged(true) signals received (locked or not)
        if enabled:
            self.listen(QDBusConnection.sessionBus())

    def listen(self, bus: QDBusConnection) -> bool:
        """Hear the screen savers' ActiveChanged on ``bus``; False when the bus is not there."""
        if not bus.isConnected():
            log.info("no session D-Bus (%s): the store cannot lock with the screen", bus.lastError().message()
                     or "not connected")
            return False
        for interface in INTERFACES:
            # empty service and path: any sender, any object (KDE uses /ScreenSaver and
            # /org/freedesktop/ScreenSaver, GNOME /org/gnome/ScreenSaver)
            # PySide6 takes the slot as str at run time (its stubs say bytes, which it refuses)
            if not bus.connect("", "", interface, "ActiveChanged", self,
                               SLOT("_active_changed(bool)")):  # type: ignore[call-overload]
                log.info("could not listen for %s.ActiveChanged: %s", interface, bus.lastError().message())
                return False
        self.buses.append(bus)
        return True

    @Slot(bool)
    def _active_changed(self, active: bool) -> None:
        if not active:
            return
        self.heard += 1
        if self.enabled:
            lock_if_unlocked(self.security, self.lock, "because the screen was locked",
                             "Locking the store: the screen was locked", "screen-lock")
