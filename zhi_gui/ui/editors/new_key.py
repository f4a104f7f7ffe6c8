"""Asking for a new key: a path under a parent, checked live against zhi's path rules."""

from __future__ import annotations

from collections.abc import Callable, Container
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.jsonvalues import encode_metadata, encode_value
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import path_problem
from zhi_gui.ui.editors.base import NOTE_STYLE, PROBLEM_STYLE, mono_font, wrapped_label

# id -> (name for the user, initial value, labels the choice adds)
NEW_KEY_TYPES: dict[str, tuple[str, Any, dict[str, Any]]] = {
    "string": ("Text", "", {}),
    "multiline": ("Text over several lines", "", {"ui.multiline": True}),
    "password": ("Secret (password)", "", {"ui.password": True}),
    "int": ("Whole number", 0, {}),
    "float": ("Decimal number", 0.0, {}),
    "bool": ("True / false", False, {}),
    "list": ("List of strings", [], {}),
    "map": ("Map of strings", {}, {}),
    "yaml": ("YAML text", "", {"core.type": "yaml"}),
    "json": ("JSON text", "{}", {"core.type": "json"}),
    "null": ("Null (no value yet)", None, {}),
}


class NewKeyDialog(QDialog):
    """Non-modal use: ``dialog.open()`` and read ``path()`` / ``entry()`` in a ``finished``
    (or ``accepted``) handler. OK is enabled only for a valid path that is not taken.

    ``existing`` tells whether a path already exists (a container or a predicate).
    """

    def __init__(
        self,
        parent_path: str = "",
        existing: Container[str] | Callable[[str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New key")
        self.setObjectName("newKeyDialog")
        self._parent_path = parent_path.strip("/")
        self._existing = existing

        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("pathEdit")
        self.name_edit.setFont(mono_font())
        self.name_edit.setPlaceholderText("name, or name/below")
        self.name_edit.setAccessibleName("New key path")
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("newKeyTypeCombo")
        for type_id, (name, _value, _labels) in NEW_KEY_TYPES.items():
            self.type_combo.addItem(name, type_id)
        self.full_path = QLabel()
        self.full_path.setObjectName("fullPathLabel")
        self.full_path.setFont(mono_font())
        self.full_path.setTextFormat(Qt.TextFormat.PlainText)
        self.problem_label = wrapped_label(style=PROBLEM_STYLE, object_name="pathProblem")
        rules = wrapped_label(
            "Segments separated by '/', each starting with a lowercase letter and ending with a letter or"
            " digit; a-z, 0-9, '.', '_' and '-' only. Example: database/host",
            style=NOTE_STYLE,
        )

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        if self._parent_path:
            under = QLabel(self._parent_path + "/")
            under.setFont(mono_font())
            under.setTextFormat(Qt.TextFormat.PlainText)
            form.addRow("Under", under)
        name_label = QLabel("&Name" if self._parent_path else "&Path")
        name_label.setBuddy(self.name_edit)
        form.addRow(name_label, self.name_edit)
        type_label = QLabel("&Type")
        type_label.setBuddy(self.type_combo)
        form.addRow(type_label, self.type_combo)
        form.addRow("Full path", self.full_path)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem_label)
        layout.addWidget(rules)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.name_edit, self.type_combo)
        self.setTabOrder(self.type_combo, self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self.resize(460, self.sizeHint().height())
        self._check()

    def path(self) -> str:
        name = self.name_edit.text().strip()
        return f"{self._parent_path}/{name}" if self._parent_path else name

    def problem(self) -> str | None:
        """Why the typed path cannot be used, in words for the user; None when it can."""
        if not self.name_edit.text().strip():
            return "type a name for the new key"
        path = self.path()
        problem = path_problem(path)
        if problem:
            return problem
        existing = self._existing
        if existing is not None and (existing(path) if callable(existing) else path in existing):
            return f"{path} already exists"
        return None

    def type_id(self) -> str:
        return str(self.type_combo.currentData())

    def value_json(self) -> bytes:
        return encode_value(NEW_KEY_TYPES[self.type_id()][1])

    def metadata_json(self) -> bytes:
        return encode_metadata(dict(NEW_KEY_TYPES[self.type_id()][2]))

    def entry(self) -> Entry:
        """What to load into the value editor (``load(path, entry, is_new=True)``)."""
        return Entry(self.path(), self.value_json(), self.metadata_json())

    def _check(self) -> None:
        problem = self.problem()
        self.full_path.setText(self.path() or "\u2014")
        # Say nothing while the field is still empty; the disabled button is enough.
        self.problem_label.setText("" if not self.name_edit.text().strip() else (problem or ""))
        self.problem_label.setVisible(bool(self.problem_label.text()))
        self.ok_button.setEnabled(problem is None)

    def accept(self) -> None:
        if self.problem() is None:
            super().accept()
