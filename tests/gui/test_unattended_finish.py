"""How an unattended run (--screenshot, --quit-after) ends when the store does not open:
in-process, with real widgets, a real modal dialog and a short limit. The app itself on an
encrypted store is tested in tests/integration/test_unattended_runs.py."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QDialog, QLabel, QVBoxLayout, QWidget

from zhi_gui.ui.async_dialogs import dialog_result
from zhi_gui.ui.screenshot import finish_unattended


def shown_window(qtbot: Any) -> QWidget:
    window = QWidget()
    qtbot.addWidget(window)
    window.setWindowTitle("main")
    window.resize(640, 480)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_a_store_that_does_not_open_in_time_is_pictured_as_it_is(qtbot: Any, run_async: Any, tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    window = shown_window(qtbot)
    stopped: list[bool] = []

    async def opening() -> None:  # a plugin that never answers
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.append(True)
            raise

    shot, quits = tmp_path / "shot.png", []
    with caplog.at_level(logging.INFO, "zhi_gui"):
        run_async(finish_unattended(window, opening(), screenshot=str(shot), quit_after=None,
                                    quit_app=lambda: quits.append(1), limit=0.2))
    assert quits == [1] and stopped == [True], "the opening was stopped and the app told to quit"
    assert QImage(str(shot)).size() == window.grab().size()
    assert "the store did not open within 0.2 s: screenshot taken of the window as it is" in caplog.text


def test_a_waiting_dialog_is_pictured_over_the_window_and_cancelled(qtbot: Any, run_async: Any, tmp_path: Path,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    window = shown_window(qtbot)
    dialog = QDialog(window)
    dialog.setWindowTitle("Pick one")
    QVBoxLayout(dialog).addWidget(QLabel("Which tree?"))
    results: list[int] = []
    after: list[str] = []

    async def opening() -> None:
        results.append(await dialog_result(dialog))  # what the unlock and login flows do
        after.append("next step")  # e.g. --sample's writes: must not run

    shot, quits = tmp_path / "shot.png", []
    with caplog.at_level(logging.INFO, "zhi_gui"):
        run_async(finish_unattended(window, opening(), screenshot=str(shot), quit_after=None,
                                    quit_app=lambda: quits.append(1)))
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected, "closed as Cancel does"
    assert after == [] and quits == [1]
    assert "a dialog ('Pick one') is waiting for the user: screenshot taken at the Pick one dialog" in caplog.text
    picture = QImage(str(shot))
    assert picture.size() == window.grab().size()
    assert picture != window.grab().toImage().convertToFormat(picture.format()), "the dialog is in the picture"


def test_quit_after_counts_from_the_opened_store(qtbot: Any, run_async: Any) -> None:
    window = shown_window(qtbot)
    steps: list[str] = []

    async def opening() -> None:
        steps.append("opened")

    run_async(finish_unattended(window, opening(), screenshot=None, quit_after=0.01,
                                quit_app=lambda: steps.append("quit")))
    assert steps == ["opened", "quit"]


def test_an_opening_that_fails_is_still_pictured_and_the_run_ends(qtbot: Any, run_async: Any,
                                                                   tmp_path: Path) -> None:
    """An error the opening does not handle goes to the app's handler of task errors, after the
    screenshot (of the window showing it) and the quit: the run does not stay open."""
    window = shown_window(qtbot)

    async def opening() -> None:
        raise RuntimeError("the plugin broke")

    shot, quits = tmp_path / "shot.png", []
    with pytest.raises(RuntimeError, match="the plugin broke"):
        run_async(finish_unattended(window, opening(), screenshot=str(shot), quit_after=None,
                                    quit_app=lambda: quits.append(1)))
    assert quits == [1] and QImage(str(shot)).size() == window.grab().size()
