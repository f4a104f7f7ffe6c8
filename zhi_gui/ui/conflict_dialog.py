"""A save hit a compare-and-set conflict: someone changed these paths since
they were read. Per path: mine / theirs / base, and which to keep. The default
is always "keep mine": closing or cancelling never drops the user's edit."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.diff import compare_entries
from zhi_gui.session import Conflict

KEEP_MINE, TAKE_THEIRS = 0, 1


def _text(conflict: Conflict, which: str, reveal: bool) -> str:
    entry = {"mine": conflict.mine, "theirs": conflict.theirs, "base": conflict.base}[which]
    if entry is None:
        return "(deleted)" if which != "base" else "(did not exist)"
    # compare against nothing to reuse the diff engine's masking of secrets
    other = conflict.base if which != "base" else conflict.mine
    return compare_entries(conflict.path, other, entry).value_text("new", reveal=reveal, limit=100)


class ConflictDialog(QDialog):
    def __init__(self, conflicts: list[Conflict], parent: QWidget | None = None, *, saving: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("conflict-dialog")
        self.setWindowTitle("Someone else changed these values")
        self.resize(900, 420)
        self.conflicts = conflicts
        done = "Nothing was written. " if saving else ""
        intro = QLabel(f"{len(conflicts)} value(s) changed in the store since you read them. {done}Choose per path "
                       "which value to keep; your edits stay staged until you save.")
        intro.setWordWrap(True)
        self.table = QTableWidget(len(conflicts), 5)
        self.table.setObjectName("conflict-table")
        self.table.setHorizontalHeaderLabels(["Path", "Mine", "Theirs", "Base (when you read it)", "Keep"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.choices: list[QComboBox] = []
        for row in range(len(conflicts)):
            combo = QComboBox()
            combo.setObjectName(f"conflict-choice-{row}")
            combo.addItems(["keep mine", "take theirs"])
            self.table.setCellWidget(row, 4, combo)
            self.choices.append(combo)
        self.reveal = QCheckBox("Show secret values")
        self.reveal.toggled.connect(self._fill)
        buttons = QDialogButtonBox()
        # While saving, the choices are applied and the save goes on; after a reload they only
        # settle what stays staged.
        self.apply = buttons.addButton("Apply choices and save" if saving else "Apply choices",
                                       QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply.setObjectName("conflict-apply")
        buttons.addButton("Keep my edits staged", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.reveal)
        layout.addWidget(buttons)
        self._fill(False)

    def _fill(self, reveal: bool) -> None:
        for row, conflict in enumerate(self.conflicts):
            for column, which in ((1, "mine"), (2, "theirs"), (3, "base")):
                text = _text(conflict, which, reveal)
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
            self.table.setItem(row, 0, QTableWidgetItem(conflict.path))

    def keep_mine(self) -> list[bool]:
        return [combo.currentIndex() == KEEP_MINE for combo in self.choices]
