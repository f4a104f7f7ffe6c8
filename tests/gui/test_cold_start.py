"""Cold start (issue 14): the app's first window paints before its panels' menu
entries, security and the store are set up, and ends up as the window the tests
build at once; the embedded default store opens after the first paint."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMenu, QPushButton, QWidget

from tests.gui.conftest import dispose_window
from zhi_gui.app import build_window, complete_window
from zhi_gui.core.model import Entry
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.ui.editors import ValueEditor
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.security import SecurityController
from zhi_gui.ui.windows import WindowRegistry

ROOT = Path(__file__).resolve().parents[2]


def menu_outline(menu: QMenu) -> list[Any]:
    """What the user sees in a menu, in order: entries, separators and submenus."""
    out: list[Any] = []
    for action in menu.actions():
        if action.isSeparator():
            out.append("----")
        elif action.menu() is not None:
            sub = action.menu()
            assert isinstance(sub, QMenu)
            out.append((action.text(), menu_outline(sub)))
        else:
            out.append((action.text(), action.objectName(), action.shortcut().toString()))
    return out


def outline(window: MainWindow) -> dict[str, Any]:
    return {
        "menus": [(a.text(), menu_outline(a.menu())) for a in window.menuBar().actions()
                  if isinstance(a.menu(), QMenu)],
        "actions": sorted(a.objectName() for a in window.findChildren(QAction) if a.objectName()),
        "docks": sorted(d.objectName() for d in window.findChildren(QDockWidget)),
        "context": [a.objectName() for a in window.context_actions],
        "security": len(window.findChildren(SecurityController)),
        "marks": window.change_marks is not None,
    }


def enabled_states(window: MainWindow) -> dict[str, bool]:
    """Which of the window's named actions and buttons can be used."""
    widgets = [*window.findChildren(QAction), *window.findChildren(QPushButton)]
    return {w.objectName(): w.isEnabled() for w in widgets if w.objectName()}


def test_the_first_window_paints_first_and_ends_up_as_the_usual_window(qtbot: Any, run_async: Any) -> None:
    """main() builds its window with paint_first=True and adopts it, then completes it
    once painted: the same menus, entries (in the same order), docks and panels as a
    window built at once and adopted (File > New window)."""
    vault = InMemoryVault()
    usual = build_window(None, vault=vault)
    first = build_window(None, vault=vault, paint_first=True)
    registry = WindowRegistry(lambda: build_window(None, vault=vault))
    try:
        registry.adopt(usual)
        registry.adopt(first)
        before = outline(first)
        assert not before["security"] and not before["marks"], "security and marks wait for the first paint"
        assert "action-open" in before["actions"] and before["docks"] == outline(usual)["docks"], \
            "the first paint shows the real window: its menus, store bar, tree and docks"
        assert not first.has_session, "the session (and its modules) wait for the first paint"
        assert enabled_states(first) == {name: on for name, on in enabled_states(usual).items()
                                         if name in enabled_states(first)}, \
            "without its session the window shows what a new session shows: no store, nothing to do"
        first.show()
        qtbot.waitUntil(lambda: first.painted)
        assert not first.has_session, "painting and checking for changes elsewhere do not make it"
        complete_window(first, None, vault)
        assert first.has_session
        assert outline(first) == outline(usual)
        assert enabled_states(first) == enabled_states(usual)
    finally:
        for window in (first, usual):
            dispose_window(qtbot, run_async, window)


def test_the_diff_dock_builds_its_view_when_first_needed(qtbot: Any, run_async: Any) -> None:
    """The Diff dock is behind the Plugin tab at the first paint, so its view is not built
    for it: the user who brings the dock forward at once gets the view then, and the app
    builds it once the window has painted (complete_window), with its names for screen
    readers, as in a window built at once."""
    from zhi_gui.ui.history import DiffView

    vault = InMemoryVault()
    first = build_window(None, vault=vault, paint_first=True)
    later = build_window(None, vault=vault, paint_first=True)
    usual = build_window(None, vault=vault)
    try:
        first.show()
        qtbot.waitUntil(lambda: first.painted)
        assert first.findChild(DiffView) is None, "the hidden Diff dock's view waits"
        dock = first.findChild(QDockWidget, "diff-dock")
        assert dock is not None
        dock.raise_()  # the user clicks the Diff tab
        qtbot.waitUntil(lambda: first.findChild(DiffView) is not None)
        view = first.findChild(DiffView)
        assert view is not None and first.history_panel.diff_view is view
        qtbot.waitUntil(view.isVisible)

        later.show()
        qtbot.waitUntil(lambda: later.painted)
        complete_window(later, None, vault)
        for window in (later, usual):
            assert window.findChild(DiffView) is not None
            tree = window.findChild(QWidget, "diff-tree")
            assert tree is not None and tree.accessibleName() == "Differences"
    finally:
        for window in (first, later, usual):
            dispose_window(qtbot, run_async, window)


def test_waiting_for_the_first_paint_never_hangs(qtbot: Any, run_async: Any) -> None:
    """A window that is not shown never paints: the app's wait gives up after its
    timeout and the store opens anyway; a shown window is waited for."""
    window = build_window(None, vault=InMemoryVault())
    try:
        run_async(window.until_painted(timeout=0.05))
        assert not window.painted
        window.show()
        run_async(window.until_painted())
        assert window.painted
        run_async(window.until_painted(timeout=0))  # painted already: returns at once
    finally:
        dispose_window(qtbot, run_async, window)


def app_env(home: Path) -> dict[str, str]:
    """The app's environment in a home of its own, offscreen, with no keyring."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    env.update(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    return env


def test_the_app_without_options_opens_the_embedded_store(tmp_path: Path) -> None:
    """`zhi-gui` without options: the embedded sqlite store, which the app looks up
    only once its window has painted, is created and opened (a screenshot is taken
    once it is loaded) and no error is reported on the way."""
    shot = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, "-m", "zhi_gui", "--screenshot", str(shot), "--log-level", "warning"],
                          env=app_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert shot.is_file() and shot.stat().st_size > 0
    store = tmp_path / "xdg_data_home" / "zhi-gui" / "default.zhistore.sqlite"
    assert store.is_file(), "the embedded default store was created"
    assert " failed: " not in done.stderr, done.stderr  # what MainWindow.show_error logs


def test_a_missing_embedded_plugin_is_reported_in_the_window(tmp_path: Path) -> None:
    """The embedded store is looked up after the first paint: an installation without its
    sqlite plugin shows the window with the error (Open store still works) and quits
    normally, instead of ending before any window."""
    script = ("import sys; import zhi_gui.plugin.discovery as d; d.find_plugin = lambda *a, **k: None; "
              "from zhi_gui.app import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", script, "--quit-after", "0.5", "--log-level", "warning"],
                          env=app_env(tmp_path), cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Opening the embedded store failed: The embedded sqlite store plugin is missing from this " \
           "installation. Check the plugin" in done.stderr, done.stderr


PAINT_PROBE = r"""
import os, sys
from PySide6.QtCore import QEvent, QObject
import zhi_gui.app as zapp

class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            loaded = [m for m in ("asyncio", "qasync", "grpc", "zhi_gui.plugin.supervisor", "zhi_gui.session",
                                  "zhi_gui.core.model", "zhi_gui.core.staging", "zhi_gui.ui.editors",
                                  "zhi_gui.core.labels", "zhi_gui.ui.plugin_view", "zhi_gui.ui.history.panel")
                      if m in sys.modules]
            print("loaded at the first paint:", ",".join(loaded), flush=True)
            print("menus:", ",".join(a.text() for a in watched.menuBar().actions()), flush=True)
            os._exit(0)
        return False

build = zapp.build_window
def probed(*args, **kwargs):
    window = build(*args, **kwargs)
    window._probe = Probe()
    window.installEventFilter(window._probe)
    return window
zapp.build_window = probed
sys.exit(zapp.main(sys.argv[1:]))
"""


def test_the_first_window_paints_before_the_event_loop_and_plugin_code_load(tmp_path: Path) -> None:
    """The app paints its whole window (menus included, Window menu too) with Qt's own loop:
    asyncio, qasync, gRPC, the plugin supervisor, the session, the store model's and the
    staged edits' data classes, the value editor and its label rules, the Plugin and History
    panels load after that, so the window is on screen sooner (issue 14, cold start); the
    store opens afterwards as before (tests above)."""
    done = subprocess.run([sys.executable, "-c", PAINT_PROBE, "--log-level", "warning"], env=app_env(tmp_path),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "loaded at the first paint: \n" in done.stdout, done.stdout
    assert "menus: &File,&Edit,&Store,&History,&View,&Window,&Help" in done.stdout, done.stdout


def test_a_second_history_panel_is_refused(qtbot: Any, run_async: Any) -> None:
    """install_history knows a window's History panel from the window's own record (no
    search through its widgets before the first paint): a second install is refused and
    the window keeps its one History dock."""
    from zhi_gui.ui.history import install_history

    window = build_window(None, vault=InMemoryVault(), paint_first=True)
    try:
        panel = window.history_panel
        with pytest.raises(RuntimeError, match="already has a History panel"):
            install_history(window)
        assert window.history_panel is panel
        assert [d.objectName() for d in window.findChildren(QDockWidget)].count("history-dock") == 1
    finally:
        dispose_window(qtbot, run_async, window)


def test_a_session_used_before_the_app_completes_the_window_is_made_then(qtbot: Any, run_async: Any) -> None:
    """The first window makes its session on first use: whatever asks before complete_window
    (a click, a panel) gets the window's one session, whose events reach the window's
    signals as they would have from the start."""
    window = build_window(None, vault=InMemoryVault(), paint_first=True)
    try:
        assert not window.has_session
        session = window.session
        assert window.has_session and window.session is session and window.history_panel.session is session
        with qtbot.waitSignal(window.events.staged, timeout=1000):
            session.staged.emit(frozenset({"a"}))
        complete_window(window, None, InMemoryVault())
        assert window.session is session, "completing the window keeps the session it has"
    finally:
        dispose_window(qtbot, run_async, window)


def test_the_value_panel_shows_the_editors_empty_page_until_the_editor_is_made(qtbot: Any, run_async: Any) -> None:
    """The first window paints its Value panel with the editor's own empty text; the editor
    takes its place when the window is completed, or when something asks for it before."""
    window = build_window(None, vault=InMemoryVault(), paint_first=True)
    usual = build_window(None, vault=InMemoryVault())
    try:
        window.show()
        qtbot.waitUntil(lambda: window.painted)
        shown = window.editor_dock.findChild(QLabel, "value-editor-placeholder")
        assert shown is not None and shown.isVisible()
        assert shown.text() == usual.editor.findChild(QLabel, "emptyLabel").text() == "Select a value to edit it."
        assert window.editor_dock.findChild(ValueEditor) is None
        editor = window.editor  # asked before the window is completed: made now, in the panel
        assert window.editor_dock.findChild(ValueEditor) is editor and editor.objectName() == "value-editor"
        qtbot.waitUntil(lambda: window.editor_dock.findChild(QLabel, "value-editor-placeholder") is None)
        complete_window(window, None, InMemoryVault())
        assert window.editor is editor, "completing the window keeps the editor it has"
        editor.load("a/b", Entry("a/b", b'"typed"'))
        assert editor.isVisible() and editor.path == "a/b"
    finally:
        for each in (window, usual):
            dispose_window(qtbot, run_async, each)


def test_the_plugin_and_history_panels_show_their_empty_pages_until_they_are_made(qtbot: Any,
                                                                                   run_async: Any) -> None:
    """The first window paints its Plugin panel empty and its History panel with the panel's
    own empty title; the panels take their places when the window is completed (the History
    menu gets its entries then), or when something asks for them before."""
    from zhi_gui.ui.history import HistoryPanel
    from zhi_gui.ui.plugin_view import PluginView

    window = build_window(None, vault=InMemoryVault(), paint_first=True)
    asked = build_window(None, vault=InMemoryVault(), paint_first=True)
    usual = build_window(None, vault=InMemoryVault())
    try:
        window.show()
        qtbot.waitUntil(lambda: window.painted)
        history_dock = window.findChild(QDockWidget, "history-dock")
        assert history_dock is not None
        title = history_dock.findChild(QLabel, "history-placeholder")
        assert title is not None and title.isVisible()
        assert title.text() == usual.history_panel.title_label.text() == "No store is open."
        assert window.plugin_dock.findChild(QWidget, "plugin-view-placeholder") is not None
        assert window.findChild(HistoryPanel) is None and window.findChild(PluginView) is None
        history_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&History")
        assert isinstance(history_menu, QMenu) and history_menu.actions() == []

        complete_window(window, None, InMemoryVault())
        assert window.findChild(HistoryPanel) is window.history_panel and window.history_panel.isVisible()
        assert window.plugin_dock.findChild(PluginView) is window.plugin_view and window.plugin_view.isVisible()
        assert window.findChild(QWidget, "history-placeholder") is None
        assert window.findChild(QWidget, "plugin-view-placeholder") is None
        assert [a.text() for a in history_menu.actions()][:3] == ["Version history", "History", "Diff"]

        # asked for before the window is completed: made then, in their docks, and kept
        panel, view = asked.history_panel, asked.plugin_view
        assert asked.findChild(HistoryPanel) is panel and asked.plugin_dock.findChild(PluginView) is view
        view.set_state("running", "")
        assert "running" in view.state.text()
        complete_window(asked, None, InMemoryVault())
        assert asked.history_panel is panel and asked.plugin_view is view
        assert asked.findChildren(HistoryPanel) == [panel] and asked.findChildren(PluginView) == [view]
    finally:
        for each in (window, asked, usual):
            dispose_window(qtbot, run_async, each)
