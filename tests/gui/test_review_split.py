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


def test_a_big_review_makes_only_the_rows_on_screen_and_reveals_on_demand(qtbot: Any) -> None:
    """A table widget made 4 cells of each change before the dialog showed (5,000 changes:
    ~0.3 s of a frozen window; 100,000: seconds). The rows are made as they come into view."""
    secret = b'{"ui.password":true}'
    changes = [StagedChange("a/secret", Entry("a/secret", b'"new-hunter3"', secret),
                            Entry("a/secret", b'"old-hunter2"', secret, "4"))]
    changes += [StagedChange(f"b/k{i:05d}", None, Entry(f"b/k{i:05d}", b"1", b"", "4")) for i in range(20_000)]
    dialog = ReviewDialog(changes, "t", "sqlite", True)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    model = dialog.model
    assert model.rowCount() == 20_001 and "20001 change(s)" in "".join(
        label.text() for label in dialog.findChildren(QLabel))
    assert len(model._cells) < 500, "only the rows on screen (and those measured for the Path width) were made"
    row0 = [model.index(0, c).data() for c in range(4)]
    assert row0[0] == "a/secret" and row0[1] == "change" and "hunter" not in row0[2] + row0[3]
    assert [model.index(20_000, c).data() for c in range(2)] == ["b/k19999", "delete"]
    qtbot.keyClick(dialog.reveal, Qt.Key.Key_Space)
    assert dialog.reveal.isChecked()
    assert "old-hunter2" in model.index(0, 2).data() and "new-hunter3" in model.index(0, 3).data()
