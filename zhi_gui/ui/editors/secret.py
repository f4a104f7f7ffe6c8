"""Secrets: a masked field with reveal and copy-without-reveal, and write-only values."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.labels import EditorKind, EditorSpec, kind_for_type, parse_json
from zhi_gui.ui.editors.base import EditProblem, SubEditor, mono_font, wrapped_label

# Clipboard managers that honour this hint (KDE's Klipper and others) do not keep the text.
PASSWORD_HINT = "x-kde-passwordManagerHint"


class SecretClipboard(QObject):
    """Puts a secret on the clipboard and takes it off again after ``clear_after_ms``,
    unless something else has been copied since. One per application, so the
    clean-up survives the editor that asked for it."""

    clear_after_ms: ClassVar[int] = 30_000
    _instance: ClassVar[SecretClipboard | None] = None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._secret: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear)

    @classmethod
    def instance(cls) -> SecretClipboard:
        if cls._instance is None:
            cls._instance = SecretClipboard(QGuiApplication.instance())
            cls._instance.destroyed.connect(cls._forget)
        return cls._instance

    @classmethod
    def _forget(cls) -> None:
        cls._instance = None

    def copy(self, text: str) -> None:
        mime = QMimeData()
        mime.setText(text)
        mime.setData(PASSWORD_HINT, b"secret")
        QGuiApplication.clipboard().setMimeData(mime)
        self._secret = text
        self._timer.start(self.clear_after_ms)

    def pending(self) -> bool:
        return self._secret is not None

    def clear(self) -> None:
        """Clear the clipboard if it still holds the secret we put there."""
        self._timer.stop()
        clipboard = QGuiApplication.clipboard()
        if self._secret is not None and clipboard.text() == self._secret:
            clipboard.clear()
        self._secret = None


class PasswordEditor(SubEditor):
    """``ui.password``: masked until revealed. Copy puts the value on the clipboard
    without showing it. A secret over several lines (a key file) is hidden whole."""

    expanding = False

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self._multiline = False
        self.line = QLineEdit()
        self.line.setObjectName("passwordEdit")
        self.line.setAccessibleName("Secret value")
        self.line.setEchoMode(QLineEdit.EchoMode.Password)
        self.line.setPlaceholderText(spec.placeholder)
        self.text = QPlainTextEdit()
        self.text.setObjectName("secretTextEdit")
        self.text.setAccessibleName("Secret value")
        self.text.setFont(mono_font())
        self.text.setTabChangesFocus(True)
        self.hidden_label = QLabel()
        self.hidden_label.setObjectName("hiddenLabel")
        # Only one of the three shows at a time: one line (masked or not), several lines
        # hidden, several lines revealed.
        self.field = QWidget()
        field_layout = QVBoxLayout(self.field)
        field_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.line, self.hidden_label, self.text):
            field_layout.addWidget(widget)

        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setToolTip("Show or hide the value")
        self.reveal_button.toggled.connect(self._reveal)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setObjectName("copyButton")
        self.copy_button.setToolTip(
            f"Copy the value without showing it; the clipboard is cleared after"
            f" {SecretClipboard.clear_after_ms // 1000} s"
        )
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.status = QLabel()
        self.status.setObjectName("copyStatus")
        # "Copied. ..." must not widen the Value dock: it wraps, and its line is kept
        # (empty) so nothing moves when it appears
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status.setMinimumHeight(self.status.fontMetrics().lineSpacing())

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.field, 1)
        row.addWidget(self.reveal_button)
        row.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        self.line.textEdited.connect(self._user_changed)
        self.text.textChanged.connect(self._user_changed)

    @property
    def revealed(self) -> bool:
        return self.reveal_button.isChecked()

    def _reveal(self, on: bool) -> None:
        self.reveal_button.setText("Hide" if on else "Reveal")
        self.line.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self._show_field()

    def _show_field(self) -> None:
        self.line.setVisible(not self._multiline)
        self.hidden_label.setVisible(self._multiline and not self.revealed)
        self.text.setVisible(self._multiline and self.revealed)

    def _show(self, value: Any) -> None:
        text = "" if value is None else str(value)
        self._multiline = "\n" in text
        self.line.setText("" if self._multiline else text)
        self.text.setPlainText(text if self._multiline else "")
        lines = text.count("\n") + 1
        self.hidden_label.setText(f"Hidden: {lines} lines. Reveal to see or edit it.")
        self._show_field()

    def _read(self) -> Any:
        return self.text.toPlainText() if self._multiline else self.line.text()

    def current_text(self) -> str:
        value = self.value()
        return value if isinstance(value, str) else ""

    def copy_to_clipboard(self) -> None:
        SecretClipboard.instance().copy(self.current_text())
        seconds = SecretClipboard.clear_after_ms // 1000
        self.status.setText(f"Copied. The clipboard will be cleared in {seconds} s.")

    def _apply_read_only(self, read_only: bool) -> None:
        self.line.setReadOnly(read_only)
        self.text.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        if not self._multiline:
            return self.line
        return self.text if self.revealed else self.reveal_button

    def tab_widgets(self) -> list[QWidget]:
        return [self.line, self.text, self.reveal_button, self.copy_button]


class WriteOnlyEditor(SubEditor):
    """``store.writeonly``: the store never returns the value, so nothing is shown;
    the user can only replace it with a new one."""

    expanding = False

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.info = wrapped_label(
            "Write-only: the store never returns this value, so it cannot be shown. You can replace it.",
            object_name="writeOnlyInfo",
        )
        self.replace_button = QPushButton("Replace\u2026")
        self.replace_button.setObjectName("replaceButton")
        self.replace_button.setCheckable(True)
        self.replace_button.toggled.connect(self._replacing)
        self.replace_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.edit = QLineEdit()
        self.edit.setObjectName("replacementEdit")
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText("new value")
        self.edit.setVisible(False)
        self.edit.textEdited.connect(self._user_changed)
        self.reveal_button = QPushButton("Reveal")
        self.reveal_button.setObjectName("revealButton")
        self.reveal_button.setCheckable(True)
        self.reveal_button.setVisible(False)
        self.reveal_button.toggled.connect(self._reveal)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.replace_button, 0, Qt.AlignmentFlag.AlignLeft)
        row.addWidget(self.edit, 1)
        row.addWidget(self.reveal_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.info)
        layout.addLayout(row)
        self._typed = kind_for_type(spec.core_type)

    def _reveal(self, on: bool) -> None:
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self.reveal_button.setText("Hide" if on else "Reveal")

    def _replacing(self, on: bool) -> None:
        self.replace_button.setText("Keep the stored value" if on else "Replace\u2026")
        self.edit.setVisible(on)
        self.reveal_button.setVisible(on)
        if on:
            self.edit.setFocus()
            self._user_changed()
        else:
            self.edit.clear()
            self._edited = False
            self.changed.emit()

    @property
    def replacing(self) -> bool:
        return self.replace_button.isChecked()

    def _show(self, value: Any) -> None:
        self.replace_button.setChecked(False)

    def _read(self) -> Any:
        if not self.replacing:
            return self._original
        text = self.edit.text()
        if self._typed in (EditorKind.INT, EditorKind.FLOAT, EditorKind.BOOL):
            try:
                value = parse_json(text)
            except ValueError:
                value = text
            if self._typed is EditorKind.BOOL:
                ok = isinstance(value, bool)
            elif self._typed is EditorKind.INT:
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, int | float) and not isinstance(value, bool)
            if not ok:
                raise EditProblem(f"type a {self.spec.core_type} value")
            return float(value) if self._typed is EditorKind.FLOAT else value
        return text

    def _apply_read_only(self, read_only: bool) -> None:
        self.replace_button.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.edit if self.replacing else self.replace_button

    def tab_widgets(self) -> list[QWidget]:
        return [self.replace_button, self.edit, self.reveal_button]
