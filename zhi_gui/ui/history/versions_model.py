"""The version list as a Qt model: one row per version, newest first.

Rows arrive in pages (``fetchMore`` asks the panel for the next one through
:attr:`VersionListModel.fetchRequested`; the panel answers with
:meth:`VersionListModel.append`). When edits are staged a "Staged edits"
pseudo-row sits on top. Columns depend on what the store can tell: the
extension's descriptions, a plain store's ids, or a value's versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from zhi_gui.ui.history.colors import kind_colors, muted_text
from zhi_gui.ui.history.timefmt import describe_time
from zhi_gui.ui.theme import icon

# The session's modules load after the first window's paint (issue 14, cold start).
if TYPE_CHECKING:
    from zhi_gui.session.history import VersionRow

Index = QModelIndex | QPersistentModelIndex
DESCRIBED_COLUMNS = ("Version", "When", "Author", "Message", "Changes", "Kind")
PLAIN_COLUMNS = ("Version",)
VALUE_COLUMNS = ("Version", "Value")
ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the VersionRow
VERSION_ROLE = Qt.ItemDataRole.UserRole + 2  # the version id ('' for the staged row)
PREVIEW = 60


class VersionListModel(QAbstractTableModel):
    fetchRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.columns: tuple[str, ...] = DESCRIBED_COLUMNS
        self.rows: list[VersionRow] = []
        self.total = 0
        self.staged = 0  # staged edits; > 0 shows the pseudo-row
        self.loading = False
        self.generation = 0  # bumped by reset: pages of an older listing are dropped
        self.reveal = False  # value previews of secrets
        self.now: datetime | None = None  # for tests: a fixed "now" for relative times
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    # --- feeding ----------------------------------------------------------------------
    def reset(self, columns: tuple[str, ...], rows: Sequence[VersionRow] = (), total: int = 0) -> int:
        """A new listing; returns its generation (pass it to :meth:`append`)."""
        self.beginResetModel()
        self.columns = columns
        self.rows = list(rows)
        self.total = max(total, len(self.rows))
        self.loading = False
        self.generation += 1
        self.endResetModel()
        return self.generation

    def append(self, rows: Sequence[VersionRow], total: int, generation: int) -> None:
        """A further page (from a fetchMore); ignored when the listing was reset meanwhile."""
        if generation != self.generation:
            return
        self.loading = False
        known = {r.id for r in self.rows}
        fresh = [r for r in rows if r.id not in known]
        if not fresh:  # nothing new (the history changed under us): stop asking
            self.total = len(self.rows)
            return
        self.total = max(total, len(self.rows) + len(fresh))
        first = self._offset + len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self.rows.extend(fresh)
        self.endInsertRows()

    def fetch_failed(self, generation: int) -> None:
        if generation == self.generation:
            self.loading = False
            self.total = len(self.rows)  # stop asking; a refresh tries again

    def set_staged(self, count: int) -> None:
        """Show, update or hide the "Staged edits" pseudo-row."""
        if count == self.staged:
            return
        if count and not self.staged:
            self.beginInsertRows(QModelIndex(), 0, 0)
            self.staged = count
            self.endInsertRows()
        elif not count:
            self.beginRemoveRows(QModelIndex(), 0, 0)
            self.staged = 0
            self.endRemoveRows()
        else:
            self.staged = count
            self.dataChanged.emit(self.index(0, 0), self.index(0, self.columnCount() - 1))

    def set_reveal(self, reveal: bool) -> None:
        self.reveal = reveal
        if self.rows and "Value" in self.columns:
            column = self.columns.index("Value")
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    def refresh_times(self) -> None:
        """Relative times age: repaint the When column."""
        if self.rows and "When" in self.columns:
            column = self.columns.index("When")
            self.dataChanged.emit(self.index(0, column), self.index(self.rowCount() - 1, column))

    # --- lookups --------------------------------------------------------------------------
    @property
    def _offset(self) -> int:
        return 1 if self.staged else 0

    def version_row(self, row: int) -> VersionRow | None:
        if self.staged and row == 0:
            from zhi_gui.session.history import VersionRow

            return VersionRow("", staged=self.staged)
        i = row - self._offset
        return self.rows[i] if 0 <= i < len(self.rows) else None

    def row_of(self, version: str) -> int | None:
        for i, r in enumerate(self.rows):
            if r.id == version:
                return i + self._offset
        return None

    def older_than(self, version: str) -> VersionRow | None:
        """The loaded row right below ``version`` (its predecessor), if loaded."""
        row = self.row_of(version)
        return self.version_row(row + 1) if row is not None else None

    # --- QAbstractItemModel ---------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows) + self._offset

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(self.columns):
            return self.columns[section]
        return None

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and not self.loading and len(self.rows) < self.total

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self.loading = True
            self.fetchRequested.emit()

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount() or index.column() >= len(self.columns):
            return None
        row = self.version_row(index.row())
        if row is None:
            return None
        column = self.columns[index.column()]
        if role == ROW_ROLE:
            return row
        if role == VERSION_ROLE:
            return row.id
        if row.is_staged:
            return self._staged_data(column, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.FontRole and row.current and column == "Version":
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "Message" and row.info is not None and not row.info.message:
                return muted_text()
            if column == "Value" and row.entry is None:
                return muted_text()
            if column in ("Author", "Changes", "Kind", "When"):
                return muted_text()
        if role == Qt.ItemDataRole.DecorationRole and column == "Version":
            kind = row.info.kind if row.info is not None else ""
            return icon("rollback") if kind == "rollback" else icon("version")
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "Changes":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: VersionRow, column: str) -> str:
        from zhi_gui.core.diff import MASK, is_secret_entry, preview_value  # not needed for the first paint

        info = row.info
        if column == "Version":
            return f"{row.id}  (current)" if row.current else row.id
        if column == "When":
            return describe_time(info.time, self.now)[0] if info is not None else ""
        if column == "Author":
            return info.author if info is not None else ""
        if column == "Message":
            if info is None:
                return ""
            return info.message.splitlines()[0] if info.message else "(no message)"
        if column == "Changes":
            if info is None:
                return ""
            return f"{info.changed_paths:,} path" + ("" if info.changed_paths == 1 else "s")
        if column == "Kind":
            return info.kind if info is not None else ""
        if column == "Value":
            if row.entry is None:
                return "(deleted)"
            if is_secret_entry(row.entry) and not self.reveal:
                return MASK + "  (secret)"
            return preview_value(row.entry.value_json, PREVIEW)
        return ""

    def _tooltip(self, row: VersionRow, column: str) -> str:
        info = row.info
        if info is None:
            if column == "Version":
                return f"Version {row.id}" + (" (the current version)" if row.current else "")
            return ""
        when = describe_time(info.time)[1]
        lines = [f"Version {row.id}" + (" (current)" if row.current else "")]
        if when:
            lines.append(when)
        if info.author:
            lines.append(f"by {info.author}")
        if info.message:
            lines.append(info.message)
        lines.append(f"{info.changed_paths:,} path(s) changed" + (f", {info.kind}" if info.kind else ""))
        return "\n".join(lines)

    def _staged_data(self, column: str, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "Version":
                return "Staged edits"
            if column in ("Message", "Value"):
                return f"{self.staged} edit(s), not saved yet"
            if column == "When":
                return "not saved"
            return ""
        if role == Qt.ItemDataRole.FontRole:
            return self._italic
        if role == Qt.ItemDataRole.ForegroundRole:
            colors = kind_colors("changed")
            return colors.text if colors is not None else None
        if role == Qt.ItemDataRole.DecorationRole and column == "Version":
            return icon("staged")
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Your staged edits compared with the store (select to see the diff)"
        return None
