"""Measure how long the Qt event loop goes without processing events.

A precise timer ticks every ``interval_ms``; the longest gap between two
ticks, minus the interval, is the longest stall a user would feel.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class StallMeter(QObject):
    def __init__(self, interval_ms: int = 2, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self.longest = 0.0
        self.longest_at = 0.0  # perf_counter() when the longest stall ended
        self.ticks = 0

    def start(self) -> None:
        self.longest, self.ticks = 0.0, 0
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> float:
        """Stop and return the longest stall in milliseconds."""
        self._timer.stop()
        self._tick()
        return self.longest * 1000

    def _tick(self) -> None:
        now = time.perf_counter()
        stall = now - self._last - self.interval
        if stall > self.longest:
            self.longest, self.longest_at = stall, now
        self._last = now
        self.ticks += 1
