"""Several stores open at once, one per window: the application's registry of
its main windows.

Each window has its own StoreSession (plugin, staged edits, history); the
registry only knows which windows exist. It adds File > New window
(Ctrl+Shift+N), File > Open recent in new window and a Window menu (the open
windows, to go to one), brings forward the window
that already has a store open instead of starting a second plugin on the same
file store (two sqlite plugins on one file would fight over its lock and
history; a server store such as etcd may be open in several windows, each a client),
quits by asking once per window with unsaved edits, and says when the last
window has closed (the app then ends). Layout settings are written by each
window as it closes, so the last one closed wins (on Quit: the window it was chosen in).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMainWindow, QMenu

from zhi_gui.services.settings import Settings, StoreIdentity
from zhi_gui.ui.main_window import MainWindow, recent_label
from zhi_gui.ui.tasks import TaskRunner

# The session's modules load after the first window's paint (issue 14, cold start).
if TYPE_CHECKING:
    from zhi_gui.session import StoreTarget

log = logging.getLogger("zhi_gui.ui.windows")
NEW_WINDOW_OFFSET = QPoint(32, 32)  # a new window is placed off its opener, not exactly on top of it
# Options that put a store in a file or folder of this machine: one plugin per such store.
# A server store (etcd: endpoints) can be opened in several windows, as several clients.
FILE_LOCATIONS = ("path", "dir", "directory")


def is_file_store(target: StoreTarget) -> bool:
    return any(target.options.get(option) for option in FILE_LOCATIONS)


def file_place(target: StoreTarget) -> tuple[str, str]:
    """Which file a file store is: its plugin and its resolved location (``./a.sqlite``,
    ``~/a.sqlite`` and a symlink to it are one file)."""
    where = next(str(target.options[o]) for o in FILE_LOCATIONS if target.options.get(o))
    return target.plugin.name, str(Path(where).expanduser().resolve())


class WindowRegistry(QObject):
    allClosed = Signal()  # the last window has closed: the application ends

    def __init__(self, factory: Callable[[], MainWindow], settings: Settings | None = None) -> None:
        super().__init__()
        self._factory = factory  # builds a window, not shown (zhi_gui.app.build_window)
        self.settings = settings
        self.windows: list[MainWindow] = []
        self.task_runner = TaskRunner(self.show_error)

    # --- windows ------------------------------------------------------------------------
    def adopt(self, window: MainWindow) -> MainWindow:
        window.windows = self
        self.windows.append(window)
        window.closed.connect(lambda: self._closed(window))
        new = QAction("New window", window)
        new.setObjectName("action-new-window")
        new.setShortcut(QKeySequence("Ctrl+Shift+N"))
        new.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        new.triggered.connect(self.new_window)
        window.addAction(new)
        window.file_menu.insertAction(window.open_action, new)
        recent = QMenu("Open recent in new window", window)
        recent.setObjectName("recent-new-window-menu")
        recent.aboutToShow.connect(lambda: self._fill_recent(recent))
        self._fill_recent(recent)
        actions = window.file_menu.actions()
        after = actions.index(window.recent_menu.menuAction()) + 1
        if after < len(actions):
            window.file_menu.insertMenu(actions[after], recent)
        else:
            window.file_menu.addMenu(recent)
        listing = QMenu("&Window", window)  # the open windows, to go to one
        listing.setObjectName("window-menu")
        listing.aboutToShow.connect(lambda: self._fill_windows(listing, window))
        window.menuBar().insertMenu(window.help_menu.menuAction(), listing)
        return window

    def new_window(self) -> MainWindow:
        opener = self.active_window()
        window = self.adopt(self._factory())
        if opener is not None:
            window.move(opener.pos() + NEW_WINDOW_OFFSET)
        window.show()
        window.raise_()
        window.activateWindow()
        return window

    def open_in_new_window(self, target: StoreTarget, login: tuple[str, dict[str, str]] | None = None) -> None:
        if self.claim(None, target):
            return
        window = self.new_window()
        window.offered_login = login
        window.run(window.open_store(target), "Opening the store")

    def window_of(self, target: StoreTarget, besides: QMainWindow | None = None) -> MainWindow | None:
        """The window (other than ``besides``) that has ``target``'s file store open."""
        if not is_file_store(target):
            return None
        place = file_place(target)
        for window in self.windows:
            session = window.session
            if window is not besides and session.target is not None and session.supervisor is not None \
                    and is_file_store(session.target) and file_place(session.target) == place:
                return window
        return None

    def claim(self, asking: QMainWindow | None, target: StoreTarget) -> bool:
        other = self.window_of(target, asking)
        if other is None:
            return False
        self.bring_forward(other)
        other.statusBar().showMessage(f"{target.name} is open in this window: it was brought forward", 10000)
        if isinstance(asking, MainWindow):
            asking.show_notice(f"{target.name} is already open in another window, which was brought forward "
                               "(one window per store: its staged edits and history live there).")
        log.info("%s is open in another window: brought it forward", target.name)
        return True

    def active_window(self) -> MainWindow | None:
        active = QApplication.activeWindow()
        for window in self.windows:
            if window is active or (active is not None and window.isAncestorOf(active)):
                return window
        return self.windows[-1] if self.windows else None

    def _closed(self, window: MainWindow) -> None:
        if window in self.windows:
            self.windows.remove(window)
        if not self.windows:
            self.task_runner.cancel_all()
            self.allClosed.emit()

    # --- quitting ---------------------------------------------------------------------------
    def quit(self) -> None:
        self.task_runner.run(self._quit(), "Quitting", "quit")

    async def _quit(self) -> None:
        """Ask in each window with unsaved edits (it comes forward first); a Cancel anywhere
        stops the quit with every window still open. Then every window closes."""
        for window in list(self.windows):
            if not shiboken6.isValid(window) or not (window.session.staging or window.editor.dirty):
                continue
            self.bring_forward(window)
            if not (await window.settle_editor("quitting") and await window.confirm_discard("quitting")):
                window.statusBar().showMessage("Quit cancelled", 8000)
                return
        # One after the other, the window Quit was chosen in last: its layout is the one kept.
        last = self.active_window()
        for window in [w for w in self.windows if w is not last] + ([last] if last in self.windows else []):
            await window.shut_down()

    def show_error(self, what: str, exc: BaseException) -> None:
        """Errors no window owns (the app's handlers) go to the active window."""
        window = self.active_window()
        if window is not None:
            window.show_error(what, exc)
        else:
            log.error("%s failed", what or "a background task", exc_info=exc)

    def bring_forward(self, window: MainWindow) -> None:
        window.show()
        window.raise_()
        window.activateWindow()

    def _fill_windows(self, menu: QMenu, owner: MainWindow) -> None:
        menu.clear()
        for window in self.windows:
            action = menu.addAction(window.windowTitle())
            action.setCheckable(True)
            action.setChecked(window is owner)
            action.triggered.connect(lambda _checked=False, w=window: self.bring_forward(w))

    # --- recent stores ----------------------------------------------------------------------
    def _fill_recent(self, menu: QMenu) -> None:
        menu.clear()
        stores = self.settings.recent_stores() if self.settings is not None else []
        for identity in stores:
            action = menu.addAction(recent_label(identity))
            action.setToolTip(identity.plugin_path)
            action.triggered.connect(lambda _checked=False, i=identity: self.open_in_new_window(_target_of(i)))
        if not stores:
            menu.addAction("No recent stores").setEnabled(False)


def _target_of(identity: StoreIdentity) -> StoreTarget:
    from zhi_gui.session import StoreTarget

    return StoreTarget.of(identity)
