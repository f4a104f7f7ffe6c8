"""Progress and Cancel in the status bar for work that takes a while."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.conftest import ROOT, plugin_path
from zhi_gui.session import StoreTarget
from zhi_gui.ui import busy
from zhi_gui.ui.main_window import MainWindow

FAKE_PLUGINS = ROOT / "tests" / "fixtures" / "fake_plugins"


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


def test_opening_a_store_can_be_cancelled(qtbot: Any, make_window: Any, run_async: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin that never answers (a hung start): Cancel stops it, the window has no store
    and says so, and another store opens afterwards."""
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)
    win: MainWindow = make_window()
    errors: list[str] = []
    win.task_runner.on_error = lambda what, exc: errors.append(what)
    hung = StoreTarget(FAKE_PLUGINS / "silent", {}, "", "hung store")
    task = win.run(win.open_store(hung), "Opening hung store")
    qtbot.waitUntil(lambda: win.busy.isVisible(), timeout=10000)
    assert "Opening hung store" in win.busy.label.text()
    qtbot.mouseClick(win.busy.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.cancelled() and errors == [], "a cancel is not an error"
    assert win.session.supervisor is None or win.session.supervisor.plugin is None
    assert "Opening hung store was cancelled" in win.banner.text() and win.banner.isVisible()
    assert win.model.rowCount() == 0
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(tmp_path / "s.sqlite"), "create": True},
                                         "", "sample")))
    assert win.session.supervisor is not None and win.session.supervisor.plugin is not None
    assert "sample" in win.store_label.text()


def test_once_opened_the_rest_of_the_task_offers_no_cancel(qtbot: Any, make_window: Any, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's start opens the store, then fills a sample tree or saves: Cancel belonged to
    the opening only (a generic "Working... Cancel" stayed in the status bar afterwards)."""
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)
    win: MainWindow = make_window()
    after_open = asyncio.Event()
    hold = asyncio.Event()

    async def start() -> None:
        await win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(tmp_path / "s.sqlite"), "create": True},
                                         "", "sample"))
        after_open.set()
        await hold.wait()  # what a start does next (fill a sample tree, say)

    task = win.run(start(), "Opening the store")
    qtbot.waitUntil(after_open.is_set, timeout=20000)
    win.busy.refresh()
    assert not win.busy.isVisible()
    hold.set()
    qtbot.waitUntil(task.done, timeout=5000)


def test_a_long_save_is_shown_without_cancel(qtbot: Any, make_window: Any, run_async: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A save that takes a while (a big one, a busy store) said nothing in the status bar."""
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)
    win: MainWindow = make_window()
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(tmp_path / "s.db"), "create": True},
                                         "t")))
    win.session.stage_set("a", b"1", b"")
    win.session.stage_set("b", b"2", b"")
    held = asyncio.Event()
    real_save = win.session.save

    async def slow_save(*args: Any, **kwargs: Any) -> Any:
        await held.wait()
        return await real_save(*args, **kwargs)

    monkeypatch.setattr(win.session, "save", slow_save)
    task = win.run(win.save("two values"), "Saving")
    qtbot.waitUntil(lambda: win.busy.isVisible(), timeout=5000)
    assert "Saving" in win.busy.label.text() and "2 change(s)" in win.busy.label.text()
    assert not win.busy.cancel_button.isEnabled() and "cannot be taken back" in win.busy.cancel_button.toolTip()
    held.set()
    qtbot.waitUntil(task.done, timeout=10000)
    assert task.result() and not win.session.staging
    qtbot.waitUntil(lambda: not win.busy.isVisible(), timeout=5000)
