"""Keys changed elsewhere are marked in the value tree.

When a live update (or a Reload after "changed elsewhere") brings new values,
the keys it changed and the groups above them are drawn bold with a dot, and
their tooltip says who changed them in which version when the store knows
(DescribeVersions). A key's mark goes when the user selects it; the rest stay
for as long as the same tree of the same opening is shown.

A delegate on the view, fed with the paths of the session's ChangesElsewhere
event: the value tree's model is left alone (it only knows staged state).
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QEvent, QModelIndex, QObject, QPersistentModelIndex
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem, QToolTip

from zhi_gui.core import errors as E
from zhi_gui.session import ChangesElsewhere
from zhi_gui.ui.value_tree_model import PATH_ROLE, path_of
from zhi_gui.ui.window_api import WindowApi

log = logging.getLogger("zhi_gui.ui.change_marks")
DOT = "\u25cf "  # before the key's name: visible without colour too

Index = QModelIndex | QPersistentModelIndex


class ChangeMarks(QObject):
    """Which paths are marked, and why (the tooltip)."""

    def __init__(self, window: WindowApi) -> None:
        super().__init__(window.main_window())
        self.window = window
        self.notes: dict[str, str] = {}  # marked key (or removed key) -> "changed by ... in version N"
        self._groups: dict[str, int] = {}  # group path -> how many marked paths are below it
        self._pending: list[ChangesElsewhere] = []  # reported, not yet on screen (waiting for the reload)
        self._shown: tuple[int, str] = (0, "")  # (session opening, tree) the marks belong to
        self.delegate = ChangeMarkDelegate(self, window.tree_view)
        # The marking delegate runs Python for every painted cell: the view has it only while
        # something is marked, Qt's own otherwise (see _repaint).
        self._plain = QStyledItemDelegate(window.tree_view)
        window.tree_view.setItemDelegate(self._plain)
        window.events.changedElsewhere.connect(self._reported)
        window.events.treeLoaded.connect(self._loaded)
        window.tree_view.selectionModel().currentChanged.connect(self._selected)

    # --- what is marked ------------------------------------------------------------------
    def is_marked(self, path: str) -> bool:
        return path in self.notes or path in self._groups

    def tooltip(self, path: str) -> str:
        if path in self.notes:
            return f"{path}\n{self.notes[path]}"
        count = self._groups.get(path, 0)
        return f"{path}\n{count:,} key(s) below changed elsewhere" if count else ""

    def mark(self, paths: list[str], note: str) -> None:
        for path in paths:
            if path not in self.notes:
                for group in _groups_above(path):
                    self._groups[group] = self._groups.get(group, 0) + 1
            self.notes[path] = note
        self._repaint()

    def unmark(self, path: str) -> None:
        """The user looked at ``path``: its mark goes, and so do the marks of keys removed
        below it (a group selected shows they are gone; they have no row of their own)."""
        shown = self.window.session.index.entries
        gone = [p for p in self.notes if p == path or (p.startswith(path + "/") and p not in shown)]
        for marked in gone:
            del self.notes[marked]
            for group in _groups_above(marked):
                self._groups[group] -= 1
                if not self._groups[group]:
                    del self._groups[group]
        if gone:
            self._repaint()

    def clear(self) -> None:
        self.notes.clear()
        self._groups.clear()
        self._repaint()

    def _repaint(self) -> None:
        view = self.window.tree_view
        wanted = self.delegate if self.notes or self._groups else self._plain
        if view.itemDelegate() is not wanted:
            view.setItemDelegate(wanted)
        view.viewport().update()

    # --- fed by the session ---------------------------------------------------------------
    def _reported(self, report: ChangesElsewhere) -> None:
        session = self.window.session
        if report.applied and (session.session_id, report.tree_id) == self._shown:
            self._mark(report, self._shown)  # already in the shown tree: no reload comes
        else:
            self._pending.append(report)

    def _loaded(self, tree_id: str) -> None:
        session = self.window.session
        shown = (session.session_id, tree_id)
        if shown != self._shown:  # another tree or store: its marks do not apply
            self._shown = shown
            self._pending = [r for r in self._pending if r.tree_id == tree_id]
            self.clear()
        pending, self._pending = self._pending, []
        for report in pending:
            if report.tree_id == tree_id:
                self._mark(report, shown)

    def _mark(self, report: ChangesElsewhere, shown: tuple[int, str]) -> None:
        note = f"changed elsewhere in version {report.head}" if report.head else "changed elsewhere"
        self.mark(list(report.changed), note)
        if report.head and self.window.session.has_feature("DescribeVersions"):
            self.window.run(self._name_author(report, shown), "", "")

    async def _name_author(self, report: ChangesElsewhere, shown: tuple[int, str]) -> None:
        """Who saved that version, for the tooltip (best effort: the marks stand without it)."""
        try:
            page = await self.window.session.store.describe_versions(report.tree_id, 0, 1, [report.head])
        except E.ZhiError as exc:
            log.info("no author for version %s: %s", report.head, exc)
            return
        author = next((v.author for v in page.versions if v.id == report.head), "")
        if not author or shown != self._shown:
            return
        note = f"changed by {author} in version {report.head}"
        still = [p for p in report.changed if p in self.notes]
        for path in still:
            self.notes[path] = note
        self._repaint()

    def _selected(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.unmark(path_of(current))


class ChangeMarkDelegate(QStyledItemDelegate):
    """Draws a marked row's name bold with a dot; its tooltip says who changed it."""

    def __init__(self, marks: ChangeMarks, parent: QObject) -> None:
        super().__init__(parent)
        self.marks = marks

    def initStyleOption(self, option: QStyleOptionViewItem, index: Index) -> None:
        super().initStyleOption(option, index)
        if index.column() == 0 and self.marks.is_marked(str(index.data(PATH_ROLE))):
            option.font.setBold(True)
            option.text = DOT + option.text

    def helpEvent(self, event: QHelpEvent, view: QAbstractItemView, option: QStyleOptionViewItem,
                  index: Index) -> bool:
        if event.type() == QEvent.Type.ToolTip and index.isValid():
            text = self.marks.tooltip(path_of(index))
            if text:
                QToolTip.showText(event.globalPos(), text, view)
                return True
        return super().helpEvent(event, view, option, index)


def _groups_above(path: str) -> list[str]:
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def install_change_marks(window: WindowApi) -> ChangeMarks:
    return ChangeMarks(window)


__all__ = ["ChangeMarkDelegate", "ChangeMarks", "install_change_marks"]
