"""Qt signals for a StoreSession's events: the thin adapter between the Qt-free
session and widgets (queued nowhere: the session runs on the Qt thread).

Made before its session, and bound to it once: the app's first window is built, and its
panels connect here, before the session (and its modules) exist (issue 14, cold start)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

if TYPE_CHECKING:
    from zhi_gui.session import StoreSession


class SessionSignals(QObject):
    stateChanged = Signal(str, str)  # PluginState value, detail
    treesChanged = Signal(list)
    treeLoaded = Signal(str)  # tree id
    valuesHidden = Signal()  # the store was locked: its values are off the screen
    capabilitiesChanged = Signal()
    notice = Signal(str)
    logLines = Signal(list)  # a batch of LogLine
    staged = Signal(frozenset)  # paths whose staged state changed
    saved = Signal(str)  # new version
    changedElsewhere = Signal(object)  # ChangesElsewhere
    opened = Signal()  # a store was opened (before its tree loads)
    valuesChanged = Signal(frozenset)  # paths whose values were replaced in place (live update)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session: StoreSession | None = None

    def bind(self, session: StoreSession) -> None:
        """Relay ``session``'s events from now on (one session per window, bound once)."""
        if self.session is not None:
            raise RuntimeError("these signals already relay a session")
        self.session = session
        session.state_changed.connect(self.stateChanged.emit)
        session.trees_changed.connect(self.treesChanged.emit)
        session.tree_loaded.connect(self.treeLoaded.emit)
        session.values_hidden.connect(self.valuesHidden.emit)
        session.capabilities_changed.connect(self.capabilitiesChanged.emit)
        session.notice.connect(self.notice.emit)
        session.log_lines.connect(self.logLines.emit)
        session.staged.connect(self.staged.emit)
        session.saved.connect(self.saved.emit)
        session.changed_elsewhere.connect(self.changedElsewhere.emit)
        session.opened.connect(self.opened.emit)
        session.values_changed.connect(self.valuesChanged.emit)
