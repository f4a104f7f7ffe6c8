"""Encrypt, Unlock and Change passphrase dialogs. They only collect input and
show what the controller reports; the store calls happen in ``encryption``."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QWidget

from zhi_gui.core.passphrase import LABELS, LONG_MIN_WORDS, MIN_LENGTH, MIN_SCORE, PolicyResult, check_new_passphrase
from zhi_gui.services.keyring_service import Availability
from zhi_gui.ui.security.widgets import (
    NOTE_STYLE,
    PassphraseEdit,
    RememberBox,
    ReservedLabel,
    SecretDialog,
    StrengthMeter,
    note,
)

POLICY_STYLE = "QLabel { color: #9a5b00; }"
REQUIREMENT = (f"Use a passphrase rated {LABELS[MIN_SCORE]} or better, or at least {MIN_LENGTH} characters in"
               f" {LONG_MIN_WORDS} different words.")
TYPE_AGAIN = "Now type it again under Confirm."
ACCEPTED = "The passphrase is accepted and the confirmation matches."
NO_RECOVERY = ("There is no way to recover a forgotten passphrase: without it, the store's values cannot be read"
               " by anyone, including you.")


class _NewPassphrase:
    """A new passphrase, its confirmation, a strength meter and the policy verdict."""

    def __init__(self, dialog: SecretDialog, form: QFormLayout, user_inputs: Sequence[str], label: str) -> None:
        self.user_inputs = tuple(user_inputs)
        self.edit = PassphraseEdit("new-passphrase", "rated fair or better, or 24+ characters")
        self.confirmation = PassphraseEdit("confirmation", "type it again")
        self.meter = StrengthMeter(self.edit, self.user_inputs)
        # The policy's line is always shown, with room for its longest text (a "too weak"
        # verdict): a line shown and hidden as the user typed moved the buttons up and down.
        longest_verdict = check_new_passphrase("a" * 100).reason
        self.policy = ReservedLabel([REQUIREMENT, TYPE_AGAIN, ACCEPTED, longest_verdict])
        self.policy.setObjectName("policy")
        self._say(REQUIREMENT, warn=False)
        # The eye icons inside the fields are for the mouse (Qt keeps them out of the Tab
        # order). The keyboard's way is this box, in the Tab order from the start and after
        # both fields, so "type, Tab, type" always fills Confirm.
        self.show_box = QCheckBox("&Show passphrase")
        self.show_box.setObjectName("show-passphrase")
        self.show_box.setAccessibleName("Show passphrase")
        self.show_box.toggled.connect(self._show)
        for edit in (self.edit, self.confirmation):
            edit.reveal_action.toggled.connect(self.show_box.setChecked)
        form.addRow(label, self.edit)
        form.addRow("Confirm:", self.confirmation)
        form.addRow("", self.show_box)
        form.addRow("", self.meter)
        form.addRow("", self.policy)
        dialog.secret_edits += [self.edit, self.confirmation]
        self._cached: tuple[str, str, PolicyResult] | None = None
        for edit in (self.edit, self.confirmation):
            edit.textChanged.connect(lambda _text: dialog.refresh())

    def _show(self, shown: bool) -> None:
        for edit in (self.edit, self.confirmation):
            edit.reveal_action.setChecked(shown)

    def verdict(self) -> PolicyResult:
        text, confirmation = self.edit.text(), self.confirmation.text()
        cached = self._cached
        if cached is not None and cached[0] == text and cached[1] == confirmation:
            return cached[2]
        result = check_new_passphrase(text, confirmation, self.user_inputs)
        self._cached = (text, confirmation, result)
        return result

    def problem(self) -> str:
        result = self.verdict()
        if result.accepted:
            self._say(ACCEPTED, warn=False)
            return ""
        mismatch = result.reason.startswith("The confirmation")
        if not self.edit.text():
            self._say(REQUIREMENT, warn=False)
        elif mismatch and not self.confirmation.text():  # not news while Confirm is still empty
            self._say(TYPE_AGAIN, warn=False)
        else:
            self._say(result.reason, warn=True)
        return result.reason

    def _say(self, text: str, warn: bool) -> None:
        self.policy.setText(text)
        self.policy.setStyleSheet(POLICY_STYLE if warn else NOTE_STYLE)

    def text(self) -> str:
        return self.edit.text()


def _form(dialog: SecretDialog) -> QFormLayout:
    form = QFormLayout(dialog.body)
    form.setContentsMargins(0, 0, 0, 0)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form


def _intro(text: str) -> QLabel:
    label = note(text, "intro")
    label.setMinimumWidth(460)
    return label


class EncryptDialog(SecretDialog):
    def __init__(self, store_label: str, availability: Availability, user_inputs: Sequence[str] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__("encrypt-dialog", "Encrypt store", parent)
        form = _form(self)
        form.addRow(_intro(f"Encrypt <b>{html.escape(store_label)}</b> with a passphrase. Its values, their"
                           " metadata and version messages are encrypted at rest; the store asks for the"
                           " passphrase each time it is opened."))
        self.new = _NewPassphrase(self, form, user_inputs, "Passphrase:")
        self.remember = RememberBox()
        self.remember.set_availability(availability)
        form.addRow("", self.remember)
        warning = note(NO_RECOVERY, "no-recovery")
        warning.setStyleSheet(NOTE_STYLE)
        form.addRow(warning)
        self.ok_button.setText("Encrypt")
        self.new.meter.changed.connect(lambda _score: self.refresh())
        self.refresh()

    def problem_now(self) -> str:
        return self.new.problem()

    def passphrase(self) -> str:
        return self.new.text()


class UnlockDialog(SecretDialog):
    def __init__(self, store_label: str, availability: Availability, remember: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__("unlock-dialog", "Unlock store", parent)
        form = _form(self)
        form.addRow(_intro(f"<b>{html.escape(store_label)}</b> is encrypted. Enter its passphrase to read and"
                           " edit its values."))
        self.passphrase_edit = PassphraseEdit("passphrase", "passphrase")
        self.secret_edits.append(self.passphrase_edit)
        form.addRow("Passphrase:", self.passphrase_edit)
        self.remember = RememberBox()
        self.remember.set_availability(availability, default=remember)
        form.addRow("", self.remember)
        self.ok_button.setText("Unlock")
        self.passphrase_edit.textChanged.connect(lambda _text: self.refresh())
        self.refresh()

    def problem_now(self) -> str:
        return "" if self.passphrase_edit.text() else "Enter the passphrase."

    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    def wrong(self, text: str) -> None:
        """The store refused: say so, empty the field for the next try."""
        self.set_busy(False)
        self.passphrase_edit.wipe()
        self.show_problem(text)
        self.passphrase_edit.setFocus()


class ChangePassphraseDialog(SecretDialog):
    def __init__(self, store_label: str, availability: Availability, remembered: bool,
                 user_inputs: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__("change-passphrase-dialog", "Change passphrase", parent)
        form = _form(self)
        form.addRow(_intro(f"Change the passphrase of <b>{html.escape(store_label)}</b>. Every value is"
                           " re-encrypted under a new key; on a large store this takes a while. Either the old or"
                           " the new passphrase opens the store at every moment."))
        self.old_edit = PassphraseEdit("old-passphrase", "current passphrase")
        self.secret_edits.append(self.old_edit)
        form.addRow("Current passphrase:", self.old_edit)
        self.new = _NewPassphrase(self, form, user_inputs, "New passphrase:")
        self.remember = RememberBox("Remember the new passphrase in keyring")
        self.remember.set_availability(availability, default=remembered)
        form.addRow("", self.remember)
        self.ok_button.setText("Change passphrase")
        self.old_edit.textChanged.connect(lambda _text: self.refresh())
        self.new.meter.changed.connect(lambda _score: self.refresh())
        self.refresh()

    def problem_now(self) -> str:
        problem = self.new.problem()
        if problem:
            return problem
        if not self.old_edit.text():
            return "Enter the current passphrase."
        if self.old_edit.text() == self.new.text():
            return "The new passphrase is the same as the current one."
        return ""

    def old_passphrase(self) -> str:
        return self.old_edit.text()

    def new_passphrase(self) -> str:
        return self.new.text()

    def wrong_old(self, text: str) -> None:
        self.set_busy(False)
        self.old_edit.wipe()
        self.show_problem(text)
        self.old_edit.setFocus()
