"""The review dialog's warning for a save that a plain zhi store takes in parts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton

from zhi_gui.core.model import Entry
from zhi_gui.core.staging import StagedChange
from zhi_gui.ui.review_dialog import ReviewDialog, split_warning_text

CHANGES = [StagedChange("app/port", Entry("app/port", b"8080"), Entry("app/port", b"80"))]


def test_a_split_save_is_said_first_and_must_be_confirmed(qtbot: Any) -> None:
    dialog = ReviewDialog(CHANGES, "t", "zhi-store-vault", False, split_warning=split_warning_text(3))
    qtbot.addWidget(dialog)
    dialog.show()
    warning = dialog.findChild(QLabel, "review-split-warning")
    assert warning is not None and warning.isVisible()
    assert "3 parts" in warning.text() and "not atomic" in warning.text()
    save = dialog.findChild(QPushButton, "review-save")
    confirm = dialog.findChild(QCheckBox, "review-split-confirm")
    assert not save.isEnabled() and dialog.focusWidget() is confirm
    qtbot.keyClick(dialog.message, Qt.Key.Key_Return)  # Enter does not skip the confirmation
    assert dialog.isVisible() and dialog.result() == 0
    qtbot.keyClick(confirm, Qt.Key.Key_Space)
    assert confirm.isChecked() and save.isEnabled()
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)


def test_no_warning_without_a_split(qtbot: Any) -> None:
    dialog = ReviewDialog(CHANGES, "t", "memory", True)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.findChild(QLabel, "review-split-warning") is None
    assert dialog.findChild(QCheckBox, "review-split-confirm") is None
    assert dialog.findChild(QPushButton, "review-save").isEnabled()
