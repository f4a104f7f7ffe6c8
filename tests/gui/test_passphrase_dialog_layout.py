"""The Encrypt and Change passphrase dialogs keep their layout while the user types: the
strength sentence and the policy's line change with every key, and the dialog grew a blank
band above its buttons (it grew for a long message and never shrank) and moved its buttons
up and down. Real dialogs, real key events, offscreen."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QStyle, QWidget

from zhi_gui.services.keyring_service import Availability, AvailabilityStatus
from zhi_gui.ui.security.passphrase_dialogs import ChangePassphraseDialog, EncryptDialog
from zhi_gui.ui.security.widgets import SecretDialog

NO_KEYRING = Availability(AvailabilityStatus.NO_BACKEND, "No secure keyring is available (keyring's null backend "
                          "stores nothing). Passphrases cannot be remembered.")
KEYRING = Availability(AvailabilityStatus.OK, "Passphrases can be remembered in the system keyring (fake).", "fake")
PASS = "correct horse battery staple"


def make(kind: str, availability: Availability) -> SecretDialog:
    if kind == "encrypt":
        return EncryptDialog("embedded store", availability)
    return ChangePassphraseDialog("embedded store", availability, remembered=False)


def gap_above_buttons(dialog: SecretDialog) -> int:
    """From the lowest visible widget above the buttons to the buttons' top."""
    lowest = max(w.mapTo(dialog, QPoint(0, w.height())).y() for w in dialog.findChildren(QWidget)
                 if w.isVisible() and w is not dialog.buttons and not dialog.buttons.isAncestorOf(w))
    return dialog.buttons.geometry().top() - lowest


def clipped_labels(dialog: SecretDialog) -> list[str]:
    return [label.objectName() for label in dialog.findChildren(QLabel)
            if label.isVisible() and label.wordWrap() and label.text()
            and label.height() < QLabel.heightForWidth(label, label.width())]


@pytest.mark.parametrize("kind", ["encrypt", "change"])
@pytest.mark.parametrize("availability", [NO_KEYRING, KEYRING], ids=["no-keyring", "keyring"])
def test_typing_keeps_the_dialog_still_and_the_buttons_under_the_last_row(qtbot: Any, kind: str,
                                                                          availability: Availability) -> None:
    dialog = make(kind, availability)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.fitted)
    layout = dialog.layout()
    assert layout is not None
    spacing = layout.spacing() if layout.spacing() >= 0 else \
        dialog.style().pixelMetric(QStyle.PixelMetric.PM_LayoutVerticalSpacing)
    height = dialog.height()
    seen: list[tuple[str, int, int]] = []

    def type_slowly(name: str, text: str) -> None:
        edit = dialog.findChild(QLineEdit, name)
        assert edit is not None, name
        edit.setFocus()
        for char in text:
            if name == "new-passphrase":  # its strength sentence follows once typing pauses: wait for it
                with qtbot.waitSignal(dialog.new.meter.changed):  # type: ignore[attr-defined]
                    qtbot.keyClick(edit, char)
            else:
                qtbot.keyClick(edit, char)
            qtbot.waitUntil(lambda: dialog.fitted)
            seen.append((f"{name}+{char!r}", dialog.height(), gap_above_buttons(dialog)))
            assert clipped_labels(dialog) == [], seen[-1]

    if kind == "change":
        type_slowly("old-passphrase", "old one")
    type_slowly("new-passphrase", PASS)  # very weak, weak, fair, strong: the sentence changes
    type_slowly("confirmation", PASS[:-1] + "x")  # "type it again", then a mismatch
    edit = dialog.findChild(QLineEdit, "confirmation")
    assert edit is not None
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    type_slowly("confirmation", "e")  # accepted
    assert dialog.ok_button.isEnabled()
    assert {h for _key, h, _gap in seen} == {height}, f"the height moved while typing: {seen}"
    assert max(gap for _key, _h, gap in seen) <= spacing, f"a band above the buttons: {seen}"


def test_a_dialog_shrinks_back_when_a_message_goes(qtbot: Any) -> None:
    """The red problem line (a wrong passphrase) makes room; once it is hidden, the room goes too."""
    dialog = make("encrypt", KEYRING)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.fitted)
    height = dialog.height()
    dialog.show_problem("The store refused: " + "a long explanation of what went wrong. " * 4)
    qtbot.waitUntil(lambda: dialog.fitted)
    assert dialog.height() > height and clipped_labels(dialog) == []
    dialog.show_problem("")
    qtbot.waitUntil(lambda: dialog.fitted)
    assert dialog.height() == height and gap_above_buttons(dialog) <= max(layout_spacing(dialog), 0)


def layout_spacing(dialog: SecretDialog) -> int:
    layout = dialog.layout()
    assert layout is not None
    return layout.spacing() if layout.spacing() >= 0 else \
        dialog.style().pixelMetric(QStyle.PixelMetric.PM_LayoutVerticalSpacing)


def test_a_height_the_user_chose_is_kept_while_typing(qtbot: Any) -> None:
    dialog = make("encrypt", KEYRING)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.fitted)
    taller = dialog.height() + 120
    dialog.resize(dialog.width(), taller)  # as dragging its edge does
    edit = dialog.findChild(QLineEdit, "new-passphrase")
    assert edit is not None
    with qtbot.waitSignal(dialog.new.meter.changed):
        qtbot.keyClicks(edit, "abc")
    qtbot.waitUntil(lambda: dialog.fitted)
    assert dialog.height() == taller
