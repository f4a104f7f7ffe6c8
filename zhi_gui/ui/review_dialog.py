"""Review & save: exactly what will be written, an optional message, Save.

For a plain zhi store (a Go plugin, 4 MiB per message) a big save goes out as
several PutValues: not atomic and several versions. The caller asks
``StoreClient.split_count(entries)`` first and, when it is above 1, passes
``split_warning=split_warning_text(count)``: the dialog then shows it above
everything and Save stays disabled until the user ticks that they understand.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.diff import compare_entries
from zhi_gui.core.staging import StagedChange

ACTION_NAMES = {"added": "add", "removed": "delete", "changed": "change"}


def split_warning_text(parts: int) -> str:
    """What the user must know before a save that a plain zhi store takes in ``parts`` calls."""
    return (f"This store takes at most 4 MiB per write, so this save will be sent in {parts} parts. "
            "It is not atomic: if a part fails (a conflict, a lost connection), the parts before it stay "
            "written and the rest do not. The store may also record several versions instead of one.")


Index = QModelIndex | QPersistentModelIndex
HEADERS = ("Path", "Action", "Before", "After")
PATH_WIDTH_ROWS = 200  # rows measured for the Path column's width (Qt's default, 1000, made 1000 rows up front)


class ReviewModel(QAbstractTableModel):
    """The staged changes as rows, each row's texts made when Qt first asks for it: a table
    widget made all 4 cells of every change up front (5,000 changes: ~0.3 s before the dialog
    showed; 100,000: seconds)."""

    def __init__(self, changes: list[StagedChange], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.changes = changes
        self.reveal = False
        self._cells: dict[int, tuple[str, str, str, str]] = {}

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.changes)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def cells(self, row: int) -> tuple[str, str, str, str]:
        cells = self._cells.get(row)
        if cells is None:
            change = self.changes[row]
            diff = compare_entries(change.path, change.base, change.new)
            action = "change labels" if diff.metadata_only else ACTION_NAMES.get(diff.kind.value, diff.kind.value)
            cells = (change.path, action, diff.value_text("old", reveal=self.reveal, limit=120),
                     diff.value_text("new", reveal=self.reveal, limit=120))
            self._cells[row] = cells
        return cells

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.cells(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def set_reveal(self, reveal: bool) -> None:
        self.beginResetModel()
        self.reveal = reveal
        self._cells.clear()
        self.endResetModel()


class ReviewDialog(QDialog):
    def __init__(self, changes: list[StagedChange], tree_id: str, store_name: str, can_message: bool,
                 parent: QWidget | None = None, *, split_warning: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("review-dialog")
        self.setWindowTitle("Review & save")
        self.resize(860, 480)
        self.changes = changes
        summary = QLabel(f"{len(changes)} change(s) will be written to tree <b>{tree_id}</b> of {store_name}. "
                         "Each value is checked against the version you started from (compare-and-set).")
        summary.setWordWrap(True)
        self.model = ReviewModel(changes, self)
        self.table = QTableView()
        self.table.setObjectName("review-table")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setResizeContentsPrecision(PATH_WIDTH_ROWS)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.reveal = QCheckBox("Show secret values")
        self.reveal.setObjectName("review-reveal")
        self.reveal.toggled.connect(self.model.set_reveal)
        self.message = QLineEdit()
        self.message.setObjectName("review-message")
        self.message.setPlaceholderText("What changed and why (optional)" if can_message
                                        else "This store keeps no change messages")
        self.message.setEnabled(can_message)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("review-save")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.split_confirm: QCheckBox | None = None
        if split_warning:
            warning = QLabel(f"<b>Saved in parts, not atomically.</b> {split_warning}")
            warning.setObjectName("review-split-warning")
            warning.setWordWrap(True)
            warning.setTextFormat(Qt.TextFormat.RichText)
            warning.setStyleSheet("QLabel { background: #fff3cd; color: #664d03; border: 1px solid #e0a800;"
                                  " border-radius: 4px; padding: 8px; }")
            self.split_confirm = QCheckBox("I understand: save in parts anyway")
            self.split_confirm.setObjectName("review-split-confirm")
            self.split_confirm.toggled.connect(self.save_button.setEnabled)
            self.save_button.setEnabled(False)
            layout.addWidget(warning)
            layout.addWidget(self.split_confirm)
        layout.addWidget(summary)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reveal)
        layout.addWidget(QLabel("Message"))
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.split_confirm or self.message).setFocus()

    def accept(self) -> None:
        if self.split_confirm is not None and not self.split_confirm.isChecked():
            return  # Enter in the message field must not skip the confirmation
        super().accept()
