"""What every sub-editor of the value editor offers, and small shared widgets."""

from __future__ import annotations

from typing import Any, ClassVar

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QResizeEvent
from PySide6.QtWidgets import QLabel, QTableWidget, QWidget

from zhi_gui.core.labels import EditorSpec

PROBLEM_STYLE = "color: #d32f2f;"
NOTE_STYLE = "color: palette(placeholder-text);"
BANNER_STYLE = (
    "QLabel { border: 1px solid palette(mid); border-radius: 4px; padding: 6px; background: palette(alternate-base); }"
)


def mono_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def wrapped_label(text: str = "", style: str = "", object_name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if style:
        label.setStyleSheet(style)
    if object_name:
        label.setObjectName(object_name)
    return label


# A list, map or labels table never shrinks below this many rows: it is what the user
# works in, and a squeezed dock scrolls (its scroll area) rather than show two rows.
MIN_TABLE_ROWS = 5


def keep_rows_visible(table: QTableWidget, rows: int = MIN_TABLE_ROWS) -> None:
    """A minimum height for the header and ``rows`` full rows of ``table``, and half of one
    more: a row cut in half says there is more to scroll to (and absorbs a header drawn a
    few pixels taller than its size hint)."""
    header = table.horizontalHeader().sizeHint().height()
    row_height = table.verticalHeader().defaultSectionSize()
    table.setMinimumHeight(header + rows * row_height + row_height // 2 + 2 * table.frameWidth())


class ElidedLabel(QLabel):
    """One line of plain text, cut with "…" where it does not fit (the whole text in
    the tooltip): a long key path must not push what sits beside it away or under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)

    def full_text(self) -> str:
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self.fontMetrics().horizontalAdvance("\u2026") * 4), hint.height())

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._full) + 4, super().sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideMiddle, max(self.width(), 0))
        super().setText(shown)


class EditProblem(ValueError):
    """What the user typed cannot be read as a value (said in words for them)."""


class SubEditor(QWidget):
    """One editor for one kind of value.

    Until the user changes something, ``value()`` is exactly the value that was
    set (so a value is never rewritten just by being shown: 1e+16 stays 1e16,
    CRLF stays CRLF). Subclasses implement ``_show`` and ``_read``.
    """

    changed = Signal()
    # Whether the editor wants the panel's height (text, tables) or just its own (one field).
    expanding: ClassVar[bool] = True

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._original: Any = None
        self._edited = False
        self._loading = False
        self._read_only = False

    # the interface the value editor uses

    def set_value(self, value: Any, *, edited: bool = False) -> None:
        self._loading = True
        try:
            self._original = value
            self._show(value)
        finally:
            self._loading = False
        self._edited = edited

    def value(self) -> Any:
        """The current value; check ``problem()`` first (None is returned when there is one)."""
        if not self._edited:
            return self._original
        try:
            return self._read()
        except EditProblem:
            return None

    def problem(self) -> str | None:
        if not self._edited:
            return None
        try:
            self._read()
        except EditProblem as exc:
            return str(exc)
        return None

    @property
    def edited(self) -> bool:
        return self._edited

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._apply_read_only(read_only)

    def focus_target(self) -> QWidget:
        """The widget that takes the focus when the editor is entered."""
        return self

    def tab_widgets(self) -> list[QWidget]:
        """The focusable widgets of this editor in tab order."""
        return [self.focus_target()]

    # for subclasses

    def _user_changed(self, *_args: object) -> None:
        if self._loading:
            return
        self._edited = True
        self.changed.emit()

    def _show(self, value: Any) -> None:
        raise NotImplementedError

    def _read(self) -> Any:
        raise NotImplementedError

    def _apply_read_only(self, read_only: bool) -> None:
        self.setEnabled(not read_only)
