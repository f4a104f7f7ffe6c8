"""Habits desktop users bring from other tools, driven with real key and mouse
events: the filter (Esc, Down, clearing keeps the place), the editor's keys
(Enter stages, focus goes back to the tree, New key lands in the value field),
passphrase fields, copying, the Help menu and screens the window must fit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.gui.test_session_window import activate, click_key, sqlite_target
from zhi_gui.ui.main_window import MainWindow


@pytest.fixture
def sample_window(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> MainWindow:
    """A 1366x768 window, active, on a sqlite store filled with the sample tree."""
    win: MainWindow = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    qtbot.waitUntil(lambda: win.session.loaded and win.model.rowCount() > 0)
    return win


def _focus_is(widget: Any) -> bool:
    return QApplication.focusWidget() is widget


# --- 1. filter -------------------------------------------------------------------------------------
def test_filter_down_enters_results_and_esc_clears_keeping_the_place(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    win.tree_view.collapseAll()
    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _focus_is(win.filter_edit))
    qtbot.keyClicks(win.filter_edit, "replicas")
    qtbot.waitUntil(lambda: win.match_label.text().endswith("match(es)"))
    first = win._filter_matches
    assert first and all("replicas" in p for p in first), first

    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: _focus_is(win.tree_view))
    assert "replicas" in win.current_path(), win.current_path()
    chosen = win.current_path()
    qtbot.waitUntil(lambda: win.editor.path == chosen)

    qtbot.keyClick(win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _focus_is(win.filter_edit))
    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: win.filter_edit.text() == "" and win.match_label.text() == "")
    qtbot.waitUntil(lambda: win.model.visible is None)
    # The key stays selected and in sight: every group above it is open.
    assert win.current_path() == chosen
    assert chosen in win.selected_paths()
    parent = chosen.rpartition("/")[0]
    while parent:
        assert win.tree_view.isExpanded(win.model.index_of_path(parent)), parent
        parent = parent.rpartition("/")[0]
    assert win.editor.path == chosen
    # Other groups are still there to browse (nothing was filtered away).
    assert win.model.index_of_path("services/api/image").isValid()


def test_esc_in_an_empty_filter_changes_nothing(qtbot: Any, sample_window: MainWindow) -> None:
    win = sample_window
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    win.filter_edit.setFocus()
    qtbot.keyClick(win.filter_edit, Qt.Key.Key_Escape)
    assert win.current_path() == "services/api/image"
