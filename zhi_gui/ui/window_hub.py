"""What a main window may ask of the application's other windows: a narrow
interface (the registry in ``ui/windows.py`` implements it), so the window never
imports the registry and a window built alone (tests, scripts) simply has none."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow

    from zhi_gui.session import StoreTarget


class WindowHub(Protocol):
    def new_window(self) -> QMainWindow:
        """An empty window of its own (own session, plugin, staged edits, history)."""
        ...

    def open_in_new_window(self, target: StoreTarget, login: tuple[str, dict[str, str]] | None = None) -> None:
        """Open ``target`` in a new window (or bring forward the window that has it open);
        ``login``: typed into Open store's form, for the new window's login machinery."""
        ...

    def claim(self, asking: QMainWindow, target: StoreTarget) -> bool:
        """``target`` is open in another window than ``asking``: that window comes forward
        and True is returned (one plugin per file store: two on one sqlite file would fight;
        a server store such as etcd may be open in several windows)."""
        ...

    def quit(self) -> None:
        """Quit the application: ask once per window with unsaved edits, then close them all."""
        ...
