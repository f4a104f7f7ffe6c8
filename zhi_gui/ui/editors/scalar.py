"""Editors for strings, numbers, booleans, null and ``ui.enum`` choices."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.jsonvalues import JSONProblem, go_number, to_text
from zhi_gui.core.labels import EditorSpec, same_json
from zhi_gui.ui.editors.base import EditProblem, SubEditor, mono_font
from zhi_gui.ui.editors.convert import TYPE_NAMES

INT_RE = r"[-+]?[0-9]*"
FLOAT_RE = r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"


def _placeholder(spec: EditorSpec) -> str:
    if spec.placeholder:
        return spec.placeholder
    if spec.example and not spec.secret:
        return f"e.g. {spec.example}"
    return ""


class LineEditor(SubEditor):
    """A one-line string."""

    expanding = False

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QLineEdit()
        self.edit.setObjectName("stringEdit")
        self.edit.setAccessibleName("Text value")
        self.edit.setPlaceholderText(_placeholder(spec))
        self.edit.setClearButtonEnabled(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.textEdited.connect(self._user_changed)

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def _read(self) -> Any:
        return self.edit.text()

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)
        self.edit.setClearButtonEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class MultilineEditor(SubEditor):
    """Text over several lines (``ui.multiline``, text formats, or a string holding newlines)."""

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("multilineEdit")
        self.edit.setAccessibleName("Text value")
        self.edit.setTabChangesFocus(True)
        self.edit.setPlaceholderText(_placeholder(spec))
        if spec.ui_format in ("code", "toml", "markdown", "html"):
            self.edit.setFont(mono_font())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        self.edit.textChanged.connect(self._user_changed)

    def _show(self, value: Any) -> None:
        self.edit.setPlainText("" if value is None else str(value))

    def _read(self) -> Any:
        return self.edit.toPlainText()

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class _NumberEditor(SubEditor):
    expanding = False

    pattern = INT_RE

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.edit = QLineEdit()
        self.edit.setObjectName("numberEdit")
        self.edit.setAccessibleName("Number value")
        self.edit.setValidator(QRegularExpressionValidator(QRegularExpression(self.pattern), self.edit))
        self.edit.setPlaceholderText(_placeholder(spec))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        if spec.unit:
            unit = QLabel(spec.unit)
            unit.setObjectName("unitLabel")
            row.addWidget(unit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        self.edit.textEdited.connect(self._user_changed)

    def _apply_read_only(self, read_only: bool) -> None:
        self.edit.setReadOnly(read_only)

    def focus_target(self) -> QWidget:
        return self.edit


class IntEditor(_NumberEditor):
    """A whole number: a line edit (no spin box limits). zhi holds every number
    as a float64, so a number it cannot hold exactly (12345678901234567890 would
    become 12345678901234567000) is refused with what zhi would store."""

    pattern = INT_RE

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else str(value))

    def _read(self) -> Any:
        text = self.edit.text().strip()
        if not text or text in "+-":
            raise EditProblem("type a whole number")
        number = int(text)
        try:
            stored = go_number(number)
        except JSONProblem:
            raise EditProblem("the number is too large for zhi (it keeps numbers as 64-bit floats)") from None
        if stored != str(number):
            raise EditProblem(f"zhi keeps numbers as 64-bit floats: this one would be stored as {stored} "
                              "(keep every digit by storing it as text)")
        return number


class FloatEditor(_NumberEditor):
    """A decimal number, written as zhi (Go) writes a float64: 5.0 is stored as 5, 1e-07 as 1e-7."""

    pattern = FLOAT_RE

    def _show(self, value: Any) -> None:
        self.edit.setText("" if value is None else repr(float(value)))

    def _read(self) -> Any:
        text = self.edit.text().strip()
        try:
            number = float(text)
        except ValueError:
            raise EditProblem("type a number, such as 1.5 or 2e-3") from None
        if not math.isfinite(number):
            raise EditProblem("the number is too large")
        return number


class BoolEditor(SubEditor):
    expanding = False

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.check = QCheckBox("false")
        self.check.setObjectName("boolCheck")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.check)
        self.check.toggled.connect(self._toggled)

    def _toggled(self, checked: bool) -> None:
        self.check.setText("true" if checked else "false")
        self._user_changed()

    def _show(self, value: Any) -> None:
        self.check.setChecked(bool(value))
        self.check.setText("true" if value else "false")

    def _read(self) -> Any:
        return self.check.isChecked()

    def _apply_read_only(self, read_only: bool) -> None:
        self.check.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.check


class NullEditor(SubEditor):
    """Null: nothing to edit, but a value of a chosen type can be set."""

    expanding = False

    typeRequested = Signal(str)

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.label = QLabel("This key holds null (no value).")
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("nullTypeCombo")
        self.type_combo.setAccessibleName("Type of the new value")
        for type_id, name in TYPE_NAMES.items():
            if type_id not in ("null", "json"):
                self.type_combo.addItem(name, type_id)
        preferred = {"int": "int", "port": "int", "float": "float", "bool": "bool", "list": "list", "map": "map"}
        index = self.type_combo.findData(preferred.get(spec.core_type, "string"))
        self.type_combo.setCurrentIndex(max(index, 0))
        self.set_button = QPushButton("Set a value")
        self.set_button.setObjectName("setValueButton")
        self.set_button.clicked.connect(lambda: self.typeRequested.emit(str(self.type_combo.currentData())))
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Set a value of type"))
        row.addWidget(self.type_combo)
        row.addWidget(self.set_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addLayout(row)

    def _show(self, value: Any) -> None:
        pass

    def _read(self) -> Any:
        return None

    def _apply_read_only(self, read_only: bool) -> None:
        self.type_combo.setEnabled(not read_only)
        self.set_button.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.type_combo

    def tab_widgets(self) -> list[QWidget]:
        return [self.type_combo, self.set_button]


def _option_text(option: Any) -> str:
    return option if isinstance(option, str) else to_text(option)


class EnumEditor(SubEditor):
    """``ui.enum``: one of a list of values. A current value outside the list is shown and flagged."""

    expanding = False

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.combo = QComboBox()
        self.combo.setObjectName("enumCombo")
        self._options: list[Any] = list(spec.enum_options)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.combo)
        self.combo.currentIndexChanged.connect(self._user_changed)

    def _show(self, value: Any) -> None:
        self.combo.clear()
        choices = list(self._options)
        for option in self._options:
            self.combo.addItem(_option_text(option))
        index = next((i for i, option in enumerate(choices) if same_json(option, value)), -1)
        if index < 0:
            label = "(not set)" if value is None else f"{_option_text(value)} (not in the list)"
            self.combo.addItem(label)
            choices.append(value)
            index = len(choices) - 1
        self._choices = choices
        self.combo.setCurrentIndex(index)

    def _read(self) -> Any:
        index = self.combo.currentIndex()
        return self._choices[index] if 0 <= index < len(self._choices) else None

    def _apply_read_only(self, read_only: bool) -> None:
        self.combo.setEnabled(not read_only)

    def focus_target(self) -> QWidget:
        return self.combo
