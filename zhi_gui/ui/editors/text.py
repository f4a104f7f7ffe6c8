"""YAML and JSON as text, checked as the user types; the broken line is highlighted."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from zhi_gui.core.jsonvalues import to_text
from zhi_gui.core.labels import EditorSpec, error_position, json_problem, parse_json, yaml_problem
from zhi_gui.ui.editors.base import EditProblem, SubEditor, mono_font

# Above this size a check runs once typing pauses instead of on every keystroke.
LIVE_CHECK_LIMIT = 200_000
PAUSE_MS = 300


class SyntaxTextEditor(SubEditor):
    """``syntax`` is "json" or "yaml". With ``holds_text`` the value is the string
    itself (``core.type`` json/yaml); without it the text is the JSON of any value."""

    def __init__(self, spec: EditorSpec, syntax: str, *, holds_text: bool, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.syntax = syntax
        self.holds_text = holds_text
        self.edit = QPlainTextEdit()
        self.edit.setObjectName(f"{syntax}TextEdit")
        self.edit.setFont(mono_font())
        self.edit.setTabChangesFocus(True)
        self.edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.edit.setAccessibleName("YAML text" if syntax == "yaml" else "JSON text")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self._checked: tuple[int, str | None] = (-1, None)
        self._pause = QTimer(self)
        self._pause.setSingleShot(True)
        self._pause.setInterval(PAUSE_MS)
        self._pause.timeout.connect(self._typing_paused)
        self.edit.textChanged.connect(self._text_changed)

    def set_raw_text(self, text: str) -> None:
        """Show text that is not (yet) valid, as if the user had typed it."""
        self._loading = True
        try:
            self.edit.setPlainText(text)
        finally:
            self._loading = False
        self._edited = True
        self._highlight()

    def _text_changed(self) -> None:
        if self._loading:
            return
        if self.edit.document().characterCount() > LIVE_CHECK_LIMIT:
            self._edited = True
            self._pause.start()
            return
        self._user_changed()
        self._highlight()

    def _typing_paused(self) -> None:
        self._user_changed()
        self._highlight()

    def syntax_problem(self) -> str | None:
        revision = self.edit.document().revision()
        if self._checked[0] != revision:
            text = self.edit.toPlainText()
            self._checked = (revision, yaml_problem(text) if self.syntax == "yaml" else json_problem(text))
        return self._checked[1]

    def _show(self, value: Any) -> None:
        if self.holds_text:
            self.edit.setPlainText("" if value is None else str(value))
        else:
            self.edit.setPlainText(to_text(value, indent=True))
        self._highlight()

    def _read(self) -> Any:
        problem = self.syntax_problem()
        if problem:
            raise EditProblem(problem)
        text = self.edit.toPlainText()
        return text if self.holds_text else parse_json(text)

    def _highlight(self) -> None:
        position = error_position(self.syntax_problem())
        selections: list[QTextEdit.ExtraSelection] = []
        if position is not None:
            line, column = position
            block = self.edit.document().findBlockByNumber(line - 1)
            if block.isValid():
                selection = QTextEdit.ExtraSelection()
                selection.format.setBackground(QColor(211, 47, 47, 60))
                selection.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
                cursor = QTextCursor(block)
                cursor.setPosition(block.position() + min(column - 1, max(block.length() - 1, 0)))
                selection.cursor = cursor
                selections.append(selection)
        self.edit.setExtraSelections(selections)

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit
