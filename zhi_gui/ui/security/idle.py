"""Lock an unlocked encrypted store after a while without input (KeePassXC's
"lock after idle"): keys, clicks, wheel and mouse movement in any window of the
application count as activity. A value being typed that cannot be staged yet
keeps the store open (nothing typed is dropped); the next idle period tries again."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication

from zhi_gui.ui.security.state import LockKind

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from zhi_gui.ui.security.context import SecurityContext

log = logging.getLogger("zhi_gui.ui.security")
ACTIVITY = frozenset({QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
                      QEvent.Type.Wheel, QEvent.Type.TouchBegin})


class IdleLock(QObject):
    """The countdown restarts on any input. Input is watched by an application-wide event
    filter, a Python call for every event of every widget, so it is installed only while it
    matters: idle locking is on and the open store is unlocked and can lock. Otherwise each
    event (a paint, a timer) would wait for the GIL behind whatever worker runs Python."""

    def __init__(self, security: SecurityContext, minutes: int,
                 lock: Callable[[], Coroutine[Any, Any, None]]) -> None:
        super().__init__(security)
        self.security = security
        self.lock = lock
        self._enabled = False
        self._lockable = False  # the open store is unlocked and can lock
        self._watching = False  # the application's event filter is installed
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        self.set_minutes(minutes)

    @property
    def enabled(self) -> bool:
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        self._enabled = value
        self._watch()

    @property
    def watching(self) -> bool:
        """Input is being watched (the application's event filter is in)."""
        return self._watching

    def set_minutes(self, minutes: int) -> None:
        self.timer.stop()
        if minutes > 0:
            self.timer.setInterval(minutes * 60_000)
        self.enabled = minutes > 0
        if self.enabled:
            self.timer.start()

    def set_lockable(self, lockable: bool) -> None:
        """Called as the store's lock state changes: only an unlocked store can be locked."""
        if lockable == self._lockable:
            return
        self._lockable = lockable
        if lockable and self._enabled:
            self.timer.start()  # the countdown starts from the unlock, not from before it
        self._watch()

    def _watch(self) -> None:
        wanted = self._enabled and self._lockable
        app = QApplication.instance()
        if wanted == self._watching or app is None:
            return
        if wanted:
            app.installEventFilter(self)  # Qt also removes it when this object is destroyed
        else:
            app.removeEventFilter(self)
        self._watching = wanted

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._enabled and event.type() in ACTIVITY:
            self.timer.start()  # restarts the countdown
        return False

    def _idle(self) -> None:
        lock_if_unlocked(self.security, self.lock, f"after {self.timer.interval() // 1000} s without input",
                         "Locking the store after idle time", "idle-lock")
        self.timer.start()


def lock_if_unlocked(security: SecurityContext, lock: Callable[[], Coroutine[Any, Any, None]], why: str,
                     what: str, name: str) -> bool:
    """Lock an unlocked store that can lock (idle time, a locked screen); False when there is
    nothing to lock or a value being typed cannot be staged yet (it is never dropped)."""
    s = security
    features = s.controller.description.features if s.controller.description is not None else frozenset()
    if s.status.kind is not LockKind.UNLOCKED or "Lock" not in features:
        return False
    if not s.window.flush_editor():
        log.info("lock %s postponed: a value being edited cannot be staged yet", why)
        return False
    log.info("locking the store %s", why)
    s.window.run(lock(), what, name)
    return True
