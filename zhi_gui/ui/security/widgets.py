"""Building blocks of the security dialogs: a masked passphrase field, a live
strength meter, the "Remember in keyring" box, and a dialog base class whose
OK does not close it, so a coroutine can try the input, show why it failed
and let the user try again (no nested event loop: see ``async_dialogs``)."""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable, Sequence

from PySide6 import QtGui
from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QResizeEvent, QShowEvent, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLayout,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.passphrase import StrengthEstimate, estimate_strength
from zhi_gui.services.keyring_service import Availability
from zhi_gui.ui.security.messages import availability_problem
from zhi_gui.ui.theme import icon

ERROR_STYLE = ("QLabel { color: #a61b1b; background: #fdecea; border: 1px solid #f1aeb5; border-radius: 4px;"
               " padding: 6px; }")
NOTE_STYLE = "QLabel { color: #6a737d; }"
STRENGTH_COLORS = ("#c0392b", "#e67e22", "#d4ac0d", "#27ae60", "#1e8449")


def caps_lock_guess(text: str, shift: bool) -> bool | None:
    """Whether Caps Lock is on, judged from one typed character: a letter whose case
    disagrees with Shift says on, one that agrees says off; anything else (digits,
    symbols, letters without case) says nothing (None). Qt has no portable query for
    the Caps Lock state, but every keystroke carries both the text and the modifiers."""
    if len(text) != 1 or not text.isalpha() or text.upper() == text.lower():
        return None
    return text.isupper() != shift


class PassphraseEdit(QLineEdit):
    """A masked line edit with a show/hide toggle; copying out of it is impossible while masked.
    ``capsLockChanged`` reports what typed letters say about Caps Lock."""

    capsLockChanged = Signal(bool)

    def __init__(self, name: str, placeholder: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setPlaceholderText(placeholder)
        self.setMinimumWidth(320)
        # No input method history, no auto-completion: nothing of it kept by Qt.
        self.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhSensitiveData
                                 | Qt.InputMethodHint.ImhNoPredictiveText)
        self.reveal_action = QAction(icon("eye"), "Show", self)
        self.reveal_action.setObjectName(name + "-reveal")
        self.reveal_action.setCheckable(True)
        self.reveal_action.setToolTip("Show the passphrase")
        self.reveal_action.toggled.connect(self._reveal)
        self.addAction(self.reveal_action, QLineEdit.ActionPosition.TrailingPosition)
        self.caps_lock = False

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_CapsLock:
            self._set_caps(False)  # toggled: unknown until the next letter, so no stale warning
        else:
            guess = caps_lock_guess(event.text(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
            if guess is not None:
                self._set_caps(guess)
        super().keyPressEvent(event)

    def _set_caps(self, on: bool) -> None:
        if on != self.caps_lock:
            self.caps_lock = on
            self.capsLockChanged.emit(on)

    def _reveal(self, shown: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password)
        self.reveal_action.setIcon(icon("eye-off" if shown else "eye"))
        self.reveal_action.setToolTip("Hide the passphrase" if shown else "Show the passphrase")

    def wipe(self) -> None:
        """Empty the field and mask it again (Qt's undo history goes with setText)."""
        self.setText("")
        self.reveal_action.setChecked(False)


def might_be_rich_text(text: str) -> bool:
    """QLabel's own test for AutoText (in QtGui's Qt namespace; PySide's stubs do not list it)."""
    test: Callable[[str], bool] = getattr(QtGui.Qt, "mightBeRichText")  # noqa: B009
    return test(text)


class ReservedLabel(QLabel):
    """A word-wrapped label that keeps the room of the tallest text it is meant to show (the
    ``reserve`` texts and every text it has shown) at its current width, so that the rows
    below it stay put while its text changes under the user's typing.

    The height is fixed to that room (for the width the layout gave): layouts size a
    word-wrapped QLabel by a hint Qt works out for a guessed width, which changes with
    each text, so the dialog grew and shrank by a line or two as the user typed."""

    def __init__(self, reserve: Sequence[str] = (), lines: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)  # the room is below the text
        self.lines = lines  # at least this many lines of room, whatever the texts
        # Texts of the dialogs come from a small fixed set (never the passphrase itself);
        # the bound only keeps a caller that made up texts without end from growing this.
        self._reserve: dict[str, None] = dict.fromkeys(reserve)

    def setText(self, text: str) -> None:
        if text not in self._reserve and len(self._reserve) < 64:
            self._reserve[text] = None
        super().setText(text)
        self._keep_room()

    def room(self, width: int) -> int:
        """The height the tallest reserved text needs at ``width``."""
        margins = self.contentsMargins()
        inner = width - margins.left() - margins.right() - 2 * self.margin()
        if inner <= 0:
            return 0
        tallest = max((self._text_height(text, inner) for text in self._reserve), default=0)
        tallest = max(tallest, self.lines * self.fontMetrics().lineSpacing())
        return tallest + margins.top() + margins.bottom() + 2 * self.margin()

    def _text_height(self, text: str, width: int) -> int:
        if self.textFormat() != Qt.TextFormat.PlainText and might_be_rich_text(text):
            document = QTextDocument()  # as QLabel lays out rich text (a <b> name, a link)
            document.setDocumentMargin(0)
            document.setDefaultFont(self.font())
            document.setHtml(text)
            document.setTextWidth(width)
            return math.ceil(document.size().height())
        flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
        return self.fontMetrics().boundingRect(QRect(0, 0, width, 1 << 20), flags, text).height()

    def _keep_room(self) -> None:
        height = self.room(self.width())
        if height and (self.minimumHeight(), self.maximumHeight()) != (height, height):
            self.setFixedHeight(height)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._keep_room()


class StrengthMeter(QWidget):
    """zxcvbn's score as a bar and a sentence, updated shortly after each keystroke."""

    changed = Signal(int)

    def __init__(self, source: QLineEdit, user_inputs: Sequence[str] = (), parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("strength-meter")
        self._source = source
        self._user_inputs = tuple(user_inputs)
        self.estimate: StrengthEstimate = estimate_strength("")
        self.bar = QProgressBar()
        self.bar.setObjectName("strength-bar")
        self.bar.setRange(0, 5)  # 0: empty; score 0-4 shows as 1-5
        self.bar.setTextVisible(False)
        self.bar.setFixedHeight(8)
        # zxcvbn's sentences (a verdict, a warning, a suggestion) take one to three lines
        self.label = ReservedLabel(lines=3)
        self.label.setObjectName("strength-label")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.bar)
        layout.addWidget(self.label)
        # zxcvbn takes a few ms per call (more for long input): estimate once typing pauses.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.update_now)
        source.textChanged.connect(lambda _text: self._timer.start())
        self.update_now()

    def update_now(self) -> None:
        self._timer.stop()
        text = self._source.text()
        self.estimate = estimate_strength(text, self._user_inputs)
        score = self.estimate.score if text else 0
        self.bar.setValue(score + 1 if text else 0)
        self.bar.setStyleSheet(f"QProgressBar::chunk {{ background: {STRENGTH_COLORS[score]}; }}")
        self.label.setText(f"Strength: {self.estimate.feedback}" if text else
                           "Strength: type a passphrase (a few unrelated words are strong and easy to remember).")
        self.changed.emit(score)


class RememberBox(QWidget):
    """ "Remember in keyring", disabled with the reason when the keyring cannot be used."""

    def __init__(self, text: str = "Remember in keyring", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(text)
        self.check.setObjectName("remember")
        self.reason = ReservedLabel()  # its real height: Qt's guess left a blank line or two
        self.reason.setObjectName("remember-reason")
        self.reason.setStyleSheet(NOTE_STYLE)
        self.reason.hide()
        self.available = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.check)
        layout.addWidget(self.reason)

    def set_availability(self, availability: Availability, default: bool = True) -> None:
        problem = availability_problem(availability)
        self.available = not problem
        self.check.setEnabled(not problem)
        self.check.setChecked(default and not problem)
        self.check.setToolTip(problem or availability.message)
        self.reason.setText(problem)
        self.reason.setVisible(bool(problem))

    def wanted(self) -> bool:
        # Not isEnabled(): the whole form is disabled while the store works.
        return self.available and self.check.isChecked()


class SecretDialog(QDialog):
    """A dialog that stays open on OK until its coroutine says so.

    Use: ``while await dialog.submission(): ... dialog.finish(True)``; between
    submissions, ``set_busy`` shows an indeterminate bar and locks the inputs,
    ``show_problem`` says what went wrong. ``finish`` wipes every passphrase
    field, closes the dialog and schedules its deletion.
    """

    def __init__(self, name: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setWindowTitle(title)
        self.setModal(True)
        self.busy = False
        self._on_stop: Callable[[], None] | None = None  # set while a running store call may be stopped
        self._waiter: asyncio.Future[bool] | None = None
        self._pending: list[asyncio.Future[bool]]
        self._finished = False  # closed (by finish(), Cancel, Escape or the window manager)
        self._deleting = False
        self.secret_edits: list[PassphraseEdit] = []
        self.body = QWidget()
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        self.caps_warning = QLabel("Caps Lock is on: the passphrase is case-sensitive.")
        self.caps_warning.setObjectName("caps-lock")
        self.caps_warning.setStyleSheet("QLabel { color: #9a5b00; }")
        self.caps_warning.setAccessibleName("Caps Lock warning")
        self.caps_warning.hide()
        self._caps_watched: set[int] = set()
        self.progress = QProgressBar()
        self.progress.setObjectName("busy")
        self.progress.setRange(0, 0)  # indeterminate: the store does not report progress
        self.progress.setTextVisible(False)
        self.progress.setFixedHeight(10)
        self.progress.hide()
        self.progress_label = QLabel()
        self.progress_label.setObjectName("busy-label")
        self.progress_label.setStyleSheet(NOTE_STYLE)
        self.progress_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setObjectName("ok")
        self.cancel_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setObjectName("cancel")
        # Enter submits; Space or Enter never reach Cancel by default (a passphrase typed
        # while Cancel had the focus cancelled the dialog and its rest went to the window).
        self.ok_button.setDefault(True)
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        self.finished.connect(self._on_finished)
        # Deleted without finishing (its window closed under it): the coroutine must not wait forever.
        pending = self._pending = []
        self.destroyed.connect(lambda *_args: _cancel_waiters(pending))
        layout = QVBoxLayout(self)
        # Grow with its word-wrapped messages instead of clipping them.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        self.body.setMinimumWidth(520)
        self._fitted_height: int | None = None  # the height _fit chose last (another: the user's)
        self._user_sized = False
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit)
        layout.addWidget(self.body)
        layout.addWidget(self.caps_warning)
        layout.addWidget(self.problem)
        layout.addWidget(self.progress_label)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    # --- what subclasses provide --------------------------------------------------------
    def problem_now(self) -> str:
        """Why the input cannot be submitted yet ('' = it can)."""
        return ""

    def refresh(self) -> None:
        """Re-check the input; OK is enabled only when it can be submitted."""
        self.ok_button.setEnabled(not self.busy and not self.problem_now())
        self.ok_button.setDefault(True)  # Qt drops the default while the button is disabled
        self._fit_timer.start()

    def _fit(self) -> None:
        """Fit the height to the content, growing to show every message in full and shrinking
        when one goes (the extra height went to the stretch: a blank band above the buttons).
        A height the user chose by resizing is kept; it only grows."""
        layout = self.layout()
        if layout is None:
            return
        needed = layout.totalHeightForWidth(self.width()) if layout.hasHeightForWidth() else -1
        needed = max(needed, layout.totalMinimumSize().height())
        # Taller than this method made it and than the content needs: the user's choice (Qt
        # itself only grows the dialog, to its layout's minimum, as a message shows).
        if self._fitted_height is not None and self.height() != self._fitted_height and self.height() > needed:
            self._user_sized = True  # for as long as the dialog is open
        if needed > self.height() or (needed < self.height() and not self._user_sized):
            self.resize(self.width(), needed)
        self._fitted_height = self.height()

    @property
    def fitted(self) -> bool:
        """No change of height is pending (tests wait for this before measuring)."""
        return not self._fit_timer.isActive()

    # --- the coroutine side -------------------------------------------------------------
    async def submission(self) -> bool:
        """Open (the first time) and wait: True when OK was pressed, False when cancelled."""
        if self._finished:
            return False
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiter = future
        self._pending[:] = [future]
        if not self.isVisible():
            self.open()
        return await future

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.body.setEnabled(not busy)
        self._on_stop = None
        self.cancel_button.setEnabled(not busy)
        self.cancel_button.setToolTip("")
        self.progress.setVisible(busy)
        self.progress_label.setText(text)
        self.progress_label.setVisible(busy and bool(text))
        if busy:
            self.problem.hide()
        self.refresh()

    def set_stoppable(self, on_stop: Callable[[], None] | None, tooltip: str = "") -> None:
        """While busy: Cancel (and Escape) call ``on_stop`` once instead of closing, for a
        store call that can still be taken back. None: Cancel is disabled while busy again."""
        self._on_stop = on_stop
        self.cancel_button.setEnabled(not self.busy or on_stop is not None)
        self.cancel_button.setToolTip(tooltip if on_stop is not None else "")

    def show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))
        self._fit_timer.start()

    def wipe(self) -> None:
        for edit in self.secret_edits:
            edit.wipe()

    def finish(self, accepted: bool) -> None:
        """Wipe the passphrases, close, and delete the dialog later."""
        if self._deleting:
            return
        self._deleting = True
        self.busy = False
        with contextlib.suppress(RuntimeError):  # already deleted with its parent
            self.wipe()
            if not self._finished:
                self._finished = True
                self.done(QDialog.DialogCode.Accepted if accepted else QDialog.DialogCode.Rejected)
            self.deleteLater()

    # --- the Qt side ----------------------------------------------------------------------
    def _resolve(self, value: bool) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(value)

    def _submit(self) -> None:
        if self.busy or self._waiter is None:
            return
        problem = self.problem_now()
        if problem:
            self.show_problem(problem)
            return
        self._resolve(True)

    def reject(self) -> None:
        if self.busy:  # a store call is running: stopped if it still can be, never left half-way
            on_stop, self._on_stop = self._on_stop, None
            if on_stop is not None:
                self.cancel_button.setEnabled(False)
                on_stop()
            return
        super().reject()

    def _on_finished(self, _code: int) -> None:
        self._finished = True
        self.wipe()
        self._resolve(False)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        for edit in self.secret_edits:  # the fields exist by now (subclasses add them)
            if id(edit) not in self._caps_watched:
                self._caps_watched.add(id(edit))
                edit.capsLockChanged.connect(self._caps_changed)
        # Typing starts in the first passphrase field, whatever Qt would pick.
        first = next((edit for edit in self.secret_edits if edit.isEnabled()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def _caps_changed(self, on: bool) -> None:
        self.caps_warning.setVisible(on)
        self._fit_timer.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.busy:
            event.ignore()
            return
        super().closeEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.busy and event.key() == Qt.Key.Key_Escape:
            self.reject()  # stops the store call if it may be stopped; else nothing
            return
        super().keyPressEvent(event)


def _cancel_waiters(pending: list[asyncio.Future[bool]]) -> None:
    for future in pending:
        if not future.done():
            future.set_result(False)
    pending.clear()


def note(text: str, name: str = "") -> QLabel:
    """A word-wrapped note as tall as its text at the width it gets (Qt's own guess for a
    word-wrapped label in a form is often a line or two taller: blank bands in a dialog)."""
    label = ReservedLabel()
    label.setText(text)
    if name:
        label.setObjectName(name)
    return label
