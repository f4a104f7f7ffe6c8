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
    def __init__(self, security: SecurityContext, minutes: int,
                 lock: Callable[[], Coroutine[Any, Any, None]]) -> None:
        super().__init__(security)
        self.security = security
        self.lock = lock
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._idle)
        self.set_minutes(minutes)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)  # Qt removes it when this object is destroyed

    def set_minutes(self, minutes: int) -> None:
        self.enabled = minutes > 0
        self.timer.stop()
        if self.enabled:
            self.timer.setInterval(minutes * 60_000)
            self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.enabled and event.type() in ACTIVITY:
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
