"""History of one key across tree versions: "when did this value change, and to what?".

Versions are scanned newest first, a page at a time (GetTreeVersion with the
one path), and only the versions where the key changed become rows. Scrolling
to the end asks for more (``fetchMore``); a scan continues until it found a
screenful of changes or reached the first version.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.entries import Entry
from zhi_gui.ui.history.colors import kind_colors, muted_text
from zhi_gui.ui.history.timefmt import describe_time
from zhi_gui.ui.theme import dot

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    from zhi_gui.core.key_history import KeyChange
    from zhi_gui.session.history import HistoryAccess, Pager, VersionRow

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Version", "When", "Author", "Change", "Old \u2192 new")
CHANGE_ROLE = Qt.ItemDataRole.UserRole + 1
PREVIEW = 40
PAGE = 50  # versions scanned per round trip
WANT = 25  # changes found before a scan pauses


class KeyHistoryScan:
    """Pages through a tree's versions and yields the key's changes (newest first)."""

    def __init__(self, access: HistoryAccess, pager: Pager, path: str, page: int = PAGE, want: int = WANT) -> None:
        import asyncio

        self.access, self.pager, self.path, self.page_size, self.want = access, pager, path, page, want
        self.scanned = 0
        self.total = 0
        self.done = False
        self._carry: tuple[VersionRow, Entry | None] | None = None
        self._lock = asyncio.Lock()  # one page at a time: each continues where the last one ended

    async def more(self) -> list[KeyChange[VersionRow]]:
        """The next changes: scans until it found ``want`` of them or reached the first version."""
        async with self._lock:
            return await self._more(self.want)

    async def _more(self, want: int) -> list[KeyChange[VersionRow]]:
        import asyncio

        from zhi_gui.core.key_history import key_history

        found: list[KeyChange[VersionRow]] = []
        loop = asyncio.get_running_loop()
        while not self.done and len(found) < want:
            rows, total = await self.pager.page(self.scanned, self.page_size)
            self.total = total
            self.scanned += len(rows)
            entries = await self.access.key_entries(self.path, [r.id for r in rows])
            items = list(zip(rows, entries, strict=True))
            sequence = ([self._carry] if self._carry is not None else []) + items
            self.done = not rows or self.scanned >= total
            job = functools.partial(key_history, self.path, sequence, complete=self.done)
            found.extend(await loop.run_in_executor(None, job))
            if sequence:
                self._carry = sequence[-1]
        return found


class KeyHistoryModel(QAbstractTableModel):
    fetchRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[KeyChange[VersionRow]] = []
        self.more = False
        self.loading = False
        self.reveal = False
        self.generation = 0
        self.now: datetime | None = None

    def reset(self, more: bool, loading: bool = False) -> int:
        """A new listing; ``loading``: its first page is already on its way (no fetchMore meanwhile)."""
        self.beginResetModel()
        self.rows = []
        self.more = more
        self.loading = loading
        self.generation += 1
        self.endResetModel()
        return self.generation

    def append(self, changes: Sequence[KeyChange[VersionRow]], more: bool, generation: int) -> None:
        if generation != self.generation:
            return
        self.loading = False
        self.more = more
        if changes:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(changes) - 1)
            self.rows.extend(changes)
            self.endInsertRows()

    def fetch_failed(self, generation: int) -> None:
        if generation == self.generation:
            self.loading = False
            self.more = False

    def set_reveal(self, reveal: bool) -> None:
        self.reveal = reveal
        if self.rows:
            self.dataChanged.emit(self.index(0, 3), self.index(len(self.rows) - 1, 4))

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self.more and not self.loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self.loading = True
            self.fetchRequested.emit()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        item = self.rows[index.row()]
        column = index.column()
        if role == CHANGE_ROLE:
            return item
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(item, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            info = item.version.info
            when = describe_time(info.time)[1] if info is not None else ""
            head = f"Version {item.version.id}" + (f", {when}" if when else "")
            return head + "\n" + item.describe(reveal=self.reveal)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 3:
                colors = kind_colors(item.kind)
                return colors.text if colors is not None else None
            if column in (1, 2):
                return muted_text()
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            colors = kind_colors(item.kind)
            return dot(colors.edge.name(), 10) if colors is not None else None
        return None

    def _text(self, item: KeyChange[VersionRow], column: int) -> str:
        from zhi_gui.core.diff import ChangeKind

        info = item.version.info
        if column == 0:
            return item.version.id
        if column == 1:
            return describe_time(info.time, self.now)[0] if info is not None else ""
        if column == 2:
            return info.author if info is not None else ""
        change = item.change
        if column == 3:
            if change.kind is ChangeKind.CHANGED:
                what = []
                if change.value_changed:
                    what.append("type" if change.type_changed else "value")
                if change.metadata_changed:
                    what.append("labels")
                return "changed " + " + ".join(what)
            return change.kind.value
        old = change.value_text("old", reveal=self.reveal, limit=PREVIEW)
        new = change.value_text("new", reveal=self.reveal, limit=PREVIEW)
        if change.kind is ChangeKind.ADDED:
            return f"\u2192 {new}"
        if change.kind is ChangeKind.REMOVED:
            return f"{old} \u2192 (removed)"
        if not change.value_changed:
            return f"{new}  (labels: " + ", ".join(c.label for c in change.label_changes) + ")"
        return f"{old} \u2192 {new}"


class KeyHistoryView(QWidget):
    """The "Key history" tab: a header, a reveal toggle and the list."""

    changeActivated = Signal(object)  # KeyChange[VersionRow]

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("key-history")
        self.model = KeyHistoryModel()
        self.path = ""
        self.title = QLabel("Select a key in the tree to see when it changed.")
        self.title.setObjectName("key-history-title")
        self.title.setWordWrap(True)
        self.reveal = QCheckBox("Reveal")
        self.reveal.setObjectName("key-history-reveal")
        self.reveal.setToolTip("Show the values of a secret in this list")
        self.reveal.toggled.connect(self.model.set_reveal)
        self.status = QLabel()
        self.status.setObjectName("key-history-status")
        palette = self.status.palette()
        palette.setColor(palette.ColorRole.WindowText, muted_text())
        self.status.setPalette(palette)
        self.list = QTreeView()
        self.list.setObjectName("key-history-list")
        self.list.setModel(self.model)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((70, 80, 80, 110)):
            header.resizeSection(column, width)
        self.list.activated.connect(self._activated)
        self.list.selectionModel().currentChanged.connect(lambda current, _prev: self._activated(current))
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.title, 1)
        top.addWidget(self.reveal)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)

    def clear_history(self, text: str = "Select a key in the tree to see when it changed.") -> None:
        """Nothing listed (the store was locked or closed)."""
        self.model.reset(False)
        self.path = ""
        self.title.setText(text)
        self.status.setText("")

    def _activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.changeActivated.emit(self.model.rows[index.row()])

    def texts(self) -> list[str]:
        """Every row's text, columns joined with ' | ' (tests)."""
        return [" | ".join(self.model._text(item, c) for c in range(len(COLUMNS))) for item in self.model.rows]
