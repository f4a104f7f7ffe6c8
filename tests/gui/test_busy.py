"""Progress and Cancel in the status bar for work that takes a while."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from PySide6.QtCore import Qt

from zhi_gui.ui import busy
from zhi_gui.ui.main_window import MainWindow


async def slow_work(release: asyncio.Event, cancellable: bool = True) -> None:
    if cancellable:
        busy.allow_cancel()
    busy.report_progress("3 of 9 values")
    await release.wait()


def test_long_work_shows_progress_and_can_be_cancelled(qtbot: Any, make_window: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)
    win: MainWindow = make_window()
    errors: list[str] = []
    win.task_runner.on_error = lambda what, exc: errors.append(what)
    task = win.run(slow_work(asyncio.Event()), "Searching the store")
    qtbot.waitUntil(lambda: win.busy.isVisible(), timeout=5000)
    assert "Searching the store" in win.busy.label.text() and "3 of 9 values" in win.busy.label.text()
    qtbot.mouseClick(win.busy.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.cancelled() and errors == [], "a cancel is not an error"
    qtbot.waitUntil(lambda: not win.busy.isVisible(), timeout=5000)


def test_short_or_uncancellable_work_shows_nothing(qtbot: Any, make_window: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    win: MainWindow = make_window()
    release = asyncio.Event()
    quick = win.run(slow_work(release), "Quick")  # SHOW_AFTER is 1 s: released before that
    release.set()
    qtbot.waitUntil(quick.done, timeout=5000)
    win.busy.refresh()
    assert not win.busy.isVisible()
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)
    hold = asyncio.Event()
    saving = win.run(slow_work(hold, cancellable=False), "Saving")  # must not stop half-way: no Cancel
    qtbot.waitUntil(lambda: saving in busy._progress, timeout=5000)  # it runs
    win.busy.refresh()
    assert not win.busy.isVisible()
    hold.set()
    qtbot.waitUntil(saving.done, timeout=5000)
