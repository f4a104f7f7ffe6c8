"""A form for a plugin's options, built from its manifest's ``options:`` section
(zhi_gui.plugin.options_schema): one field per option, a browse button for
files and folders, a masked field for secrets, and each field's problem shown
under it. The rules that turn text into values live in options_schema."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.plugin.options_schema import (
    OptionSpec,
    OptionValueError,
    default_text,
    text_of,
    value_from_text,
)
from zhi_gui.ui.security.widgets import PassphraseEdit

FieldWidget = QLineEdit | QPlainTextEdit | QCheckBox


class OptionsForm(QWidget):
    changed = Signal()

    def __init__(self, specs: Sequence[OptionSpec], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("options-form")
        self.specs = tuple(specs)
        self.fields: dict[str, FieldWidget] = {}
        self.tab_chain: list[QWidget] = []  # the fields and their Browse buttons, top to bottom
        self.errors: dict[str, QLabel] = {}
        self.extra: dict[str, Any] = {}  # options the form has no field for (from JSON): kept as they are
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for spec in self.specs:
            widget = self._field(spec)
            description = spec.help or spec.title
            widget.setAccessibleName(spec.title)
            widget.setAccessibleDescription(description)
            widget.setToolTip(description)
            self.fields[spec.name] = widget
            self.tab_chain.append(widget)
            error = QLabel()
            error.setObjectName(f"option-error-{spec.name}")
            error.setStyleSheet("color: #c0392b")
            error.setWordWrap(True)
            error.hide()
            self.errors[spec.name] = error
            cell = QWidget()
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            if spec.type in ("file", "directory"):
                row = QHBoxLayout()
                row.addWidget(widget, 1)
                browse = QPushButton("Browse\u2026")
                browse.setObjectName(f"option-browse-{spec.name}")
                browse.setAccessibleName(f"Browse for {spec.title}")
                browse.clicked.connect(lambda _checked=False, s=spec: self._browse(s))
                self.tab_chain.append(browse)
                row.addWidget(browse)
                column.addLayout(row)
            else:
                column.addWidget(widget)
            column.addWidget(error)
            label = QLabel(f"{spec.title}{' *' if spec.required else ''}:")
            label.setBuddy(widget)
            form.addRow(label, cell)
        self.reset()

    def _field(self, spec: OptionSpec) -> FieldWidget:
        name = f"option-{spec.name}"
        widget: FieldWidget
        if spec.type == "bool":
            widget = QCheckBox(spec.title)
            widget.toggled.connect(self.changed)
        elif spec.type == "list":
            widget = QPlainTextEdit()
            widget.setTabChangesFocus(True)  # Tab leaves the field, as in every other field
            widget.setPlaceholderText("one per line")
            widget.setFixedHeight(widget.fontMetrics().lineSpacing() * 3 + 12)
            widget.textChanged.connect(self.changed)
        elif spec.type == "secret":
            widget = PassphraseEdit(name)
            widget.textChanged.connect(self.changed)
        else:
            widget = QLineEdit()
            widget.textChanged.connect(self.changed)
            if spec.type == "int":
                widget.setPlaceholderText("a whole number")
        widget.setObjectName(name)
        return widget

    # --- values ---------------------------------------------------------------------------
    def _set_text(self, spec: OptionSpec, text: str, checked: bool = False) -> None:
        widget = self.fields[spec.name]
        if isinstance(widget, QCheckBox):
            widget.setChecked(checked)
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(text)
        else:
            widget.setText(text)

    def reset(self) -> None:
        """Every field at its default."""
        self.extra = {}
        for spec in self.specs:
            self._set_text(spec, default_text(spec), bool(spec.default))
        self.clear_errors()

    def set_values(self, options: dict[str, Any]) -> None:
        """Fill the fields from an options object (JSON, a workspace, a recent store)."""
        self.reset()
        known = {spec.name for spec in self.specs}
        for spec in self.specs:
            if spec.name in options:
                value = options[spec.name]
                self._set_text(spec, text_of(spec, value), bool(value) if spec.type == "bool" else False)
        self.extra = {k: v for k, v in options.items() if k not in known}

    def values(self) -> dict[str, Any] | None:
        """The options of the filled form, or None with each problem shown at its field."""
        result: dict[str, Any] = dict(self.extra)
        ok = True
        for spec in self.specs:
            widget = self.fields[spec.name]
            self.errors[spec.name].hide()
            if isinstance(widget, QCheckBox):
                if widget.isChecked() != bool(spec.default) or spec.required:
                    result[spec.name] = widget.isChecked()
                continue
            text = widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()
            try:
                value = value_from_text(spec, text)
            except OptionValueError as exc:
                self.show_error(spec.name, str(exc))
                ok = False
                continue
            if value is not None:
                result[spec.name] = value
        return result if ok else None

    def show_error(self, name: str, text: str) -> None:
        label = self.errors[name]
        label.setText(text)
        label.show()
        widget = self.fields[name]
        widget.setAccessibleDescription(f"{text}. {self.spec(name).help}".strip())

    def clear_errors(self) -> None:
        for name, label in self.errors.items():
            label.hide()
            spec = self.spec(name)
            self.fields[name].setAccessibleDescription(spec.help or spec.title)

    def spec(self, name: str) -> OptionSpec:
        return next(spec for spec in self.specs if spec.name == name)

    def first_error_field(self) -> FieldWidget | None:
        for name, label in self.errors.items():
            if not label.isHidden():
                return self.fields[name]
        return None

    def _browse(self, spec: OptionSpec) -> None:
        widget = self.fields[spec.name]
        assert isinstance(widget, QLineEdit)
        start = widget.text().strip() or str(Path.home())
        if spec.type == "directory":
            chosen = QFileDialog.getExistingDirectory(self, spec.title, start)
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, spec.title, start)
        if chosen:
            widget.setText(chosen)
