"""Progress and Cancel for background work that takes a while.

A coroutine run through the window's task runner says it may be cancelled
(``allow_cancel()``) and what it has done so far (``report_progress(text)``);
both are looked up by the running task, so nothing has to be passed down. The
status bar's ``BusyIndicator`` shows such a task once it has run for
``SHOW_AFTER`` seconds: what it is, for how long, its progress, and a Cancel
button that cancels the task (the work is "latest wins" work: a comparison, a
search; cancelling it loses nothing). Work that must not stop half-way (a save)
never calls ``allow_cancel``; when it takes long, ``cannot_cancel(reason)`` shows
it all the same, with Cancel disabled and the reason why (a save already sent
to the store cannot be taken back: it will finish).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from zhi_gui.ui.tasks import TaskRunner

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio

CANCEL_TIP = "Stop this work (nothing is lost: it can be started again)"
SHOW_AFTER = 1.0  # seconds: shorter work needs no progress and no Cancel
_started: WeakKeyDictionary[asyncio.Task[Any], float] = WeakKeyDictionary()
_progress: WeakKeyDictionary[asyncio.Task[Any], str] = WeakKeyDictionary()
_uncancellable: WeakKeyDictionary[asyncio.Task[Any], str] = WeakKeyDictionary()  # task -> why not


def allow_cancel() -> None:
    """The running task may be cancelled by the user (call it at its start)."""
    import asyncio

    task = asyncio.current_task()
    if task is not None:
        _started.setdefault(task, time.perf_counter())
        _uncancellable.pop(task, None)


def disallow_cancel() -> None:
    """The running task may no longer be cancelled (it waits for the user's answer)."""
    import asyncio

    task = asyncio.current_task()
    if task is not None:
        _started.pop(task, None)
        _uncancellable.pop(task, None)


def cannot_cancel(reason: str) -> None:
    """The running task is shown while it takes long, but with Cancel disabled: ``reason``
    says why ("a save already sent cannot be taken back: the import will finish")."""
    import asyncio

    task = asyncio.current_task()
    if task is not None:
        _started.setdefault(task, time.perf_counter())
        _uncancellable[task] = reason


def report_progress(text: str, task: asyncio.Task[Any] | None = None) -> None:
    """What the running task has done so far, in words ("12,000 of 100,000 values").
    ``task``: the task it is the progress of, when that is not the running one (a task
    whose work runs in tasks it gathers reports from them)."""
    import asyncio

    task = task or asyncio.current_task()
    if task is not None:
        _progress[task] = text


class BusyIndicator(QWidget):
    """"<what>… 3 s · <progress>  [Cancel]" in the status bar while such a task runs."""

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("busy-indicator")
        self.runner = runner
        self.task: asyncio.Task[Any] | None = None
        self.label = QLabel()
        self.label.setObjectName("busy-label")
        self.cancel_button = QToolButton()
        self.cancel_button.setObjectName("busy-cancel")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip(CANCEL_TIP)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.hide()

    def refresh(self) -> None:
        now = time.perf_counter()
        running = [(start, task) for task, start in list(_started.items())
                   if not task.done() and task in self.runner.tasks and now - start >= SHOW_AFTER]
        if not running:
            self.task = None
            self.hide()
            return
        start, task = min(running, key=lambda pair: pair[0])
        self.task = task
        what = self.runner.what_of(task) or "Working"
        progress = _progress.get(task, "")
        self.label.setText(f"{what}\u2026 {now - start:.0f} s" + (f" \u00b7 {progress}" if progress else ""))
        why_not = _uncancellable.get(task)
        self.cancel_button.setEnabled(why_not is None)
        self.cancel_button.setToolTip(why_not or CANCEL_TIP)
        self.show()

    def cancel(self) -> None:
        if self.task is None or self.task in _uncancellable:
            return
        if not self.task.done():
            self.task.cancel()
        self.task = None
        self.hide()
