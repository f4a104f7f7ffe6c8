"""What panels (history, security) may use of the main window: a narrow
interface, so they never import the window (no import cycles) and the
composition happens in one place (``zhi_gui.app``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMenu, QStatusBar, QTreeView

from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreSession
from zhi_gui.ui.editors import ValueEditor
from zhi_gui.ui.session_signals import SessionSignals
from zhi_gui.ui.value_tree_model import ValueTreeModel


class WindowApi(Protocol):
    # Read-only members (properties): the window may hold subclasses (ValueTreeView...).
    @property
    def session(self) -> StoreSession: ...
    @property
    def has_session(self) -> bool: ...  # False: not made yet (the first window before its paint)
    @property
    def events(self) -> SessionSignals: ...
    @property
    def store_menu(self) -> QMenu: ...
    @property
    def file_menu(self) -> QMenu: ...
    @property
    def view_menu(self) -> QMenu: ...
    @property
    def tree_view(self) -> QTreeView: ...
    @property
    def model(self) -> ValueTreeModel: ...
    @property
    def editor(self) -> ValueEditor: ...
    @property
    def banner(self) -> QLabel: ...
    @property
    def encryption_label(self) -> QLabel: ...
    @property
    def auth_label(self) -> QLabel: ...
    @property
    def plugin_dock(self) -> QDockWidget: ...
    @property
    def editor_dock(self) -> QDockWidget: ...
    @property
    def context_actions(self) -> list[QAction]:
        """Extra entries of the value tree's context menu (panels append theirs)."""
        ...

    history_panel: Any
    unlock_to_write: Callable[[], Awaitable[bool]] | None  # set by the security panel (see MainWindow)
    make_history_panel: Callable[[], Any] | None  # makes history_panel on its first use (the app's first window)
    settings: Settings | None  # None: nothing is remembered (tests)
    close_hooks: list[Callable[[], Awaitable[None]]]  # awaited when the window closes, before its plugin stops

    def take_offered_login(self) -> tuple[str, dict[str, str]] | None:
        """A login typed into Open store's form (method, fields) for the store being opened,
        once: the login machinery tries it before the keyring."""
        ...

    def main_window(self) -> QMainWindow:
        """The window itself, for parenting dialogs and docking panels."""
        ...

    def run(self, coro: Coroutine[Any, Any, Any], what: str = "", name: str = "") -> asyncio.Task[Any]: ...

    def statusBar(self) -> QStatusBar: ...

    def show_notice(self, text: str) -> None: ...

    def show_error(self, what: str, exc: BaseException) -> None: ...

    def add_dock(self, title: str, name: str, widget: Any, area: Qt.DockWidgetArea) -> QDockWidget: ...

    def fill_dock(self, dock: QDockWidget, widget: Any) -> None:
        """``widget`` in place of what a dock made by ``add_dock`` holds (its placeholder)."""
        ...

    def flush_editor(self) -> bool:
        """Stage what is typed in the value editor for its own key (True), or keep it
        there when it cannot be staged (False)."""
        ...

    async def settle_editor(self, doing: str) -> bool:
        """Before ``doing``: stage the typed value for its own key, or ask (False: keep editing)."""
        ...

    def current_path(self) -> str: ...

    async def confirm_discard(self, doing: str) -> bool:
        """Staged edits would be lost by ``doing``: save, discard or cancel (False)."""
        ...

    async def reload_tree(self) -> None: ...


def follow_store(window: WindowApi, update: Callable[[], None]) -> None:
    """Call ``update`` now and whenever what the window has of its store changes (opened,
    a tree loaded, locked, the plugin's state): one place for panels that enable their
    actions by it."""
    e = window.events
    for signal in (e.opened, e.treeLoaded, e.valuesHidden, e.stateChanged):
        signal.connect(lambda *_args: update())
    update()
