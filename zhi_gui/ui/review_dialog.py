"""Review & save: exactly what will be written, an optional message, Save.

For a plain zhi store (a Go plugin, 4 MiB per message) a big save goes out as
several PutValues: not atomic and several versions. The caller asks
``StoreClient.split_count(entries)`` first and, when it is above 1, passes
``split_warning=split_warning_text(count)``: the dialog then shows it above
everything and Save stays disabled until the user ticks that they understand.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
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
        self.table = QTableWidget(len(changes), 4)
        self.table.setObjectName("review-table")
        self.table.setHorizontalHeaderLabels(["Path", "Action", "Before", "After"])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.reveal = QCheckBox("Show secret values")
        self.reveal.setObjectName("review-reveal")
        self.reveal.toggled.connect(self._fill)
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
        self._fill(False)
        (self.split_confirm or self.message).setFocus()

    def accept(self) -> None:
        if self.split_confirm is not None and not self.split_confirm.isChecked():
            return  # Enter in the message field must not skip the confirmation
        super().accept()

    def _fill(self, reveal: bool) -> None:
        for row, change in enumerate(self.changes):
            diff = compare_entries(change.path, change.base, change.new)
            action = ACTION_NAMES.get(diff.kind.value, diff.kind.value)
            if diff.metadata_only:
                action = "change labels"
            cells = [change.path, action, diff.value_text("old", reveal=reveal, limit=120),
                     diff.value_text("new", reveal=reveal, limit=120)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if column == 1:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, item)
