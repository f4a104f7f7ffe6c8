"""The rollback confirmation: what will change (current -> that version), then ask."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from zhi_gui.core.diff import TreeDiff
from zhi_gui.ui.history.diff_view import DiffView
from zhi_gui.ui.theme import icon


class RollbackDialog(QDialog):
    def __init__(self, what: str, explanation: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rollback-dialog")
        self.setWindowTitle("Roll back")
        self.resize(1100, 680)
        self.heading = QLabel(f"<b>Roll back to {what}?</b>")
        self.heading.setObjectName("rollback-heading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.explanation = QLabel(explanation)
        self.explanation.setObjectName("rollback-explanation")
        self.explanation.setWordWrap(True)
        self.view = DiffView(self, shortcuts=True)
        self.view.show_message("Computing what the rollback changes\u2026")
        self.view.diffShown.connect(self._diff_shown)
        buttons = QDialogButtonBox()
        self.confirm: QPushButton = buttons.addButton("Roll back", QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setObjectName("rollback-confirm")
        self.confirm.setIcon(icon("rollback"))
        self.confirm.setEnabled(False)  # not before the preview is there
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setObjectName("rollback-cancel")
        cancel.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.explanation)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)

    def _diff_shown(self) -> None:
        diff: TreeDiff | None = self.view.diff
        self.confirm.setEnabled(diff is not None)
        if diff is not None and diff.is_empty:
            self.explanation.setText(self.explanation.text()
                                     + "\n\nNothing differs: the rollback would only add a version equal to "
                                       "the current one.")
