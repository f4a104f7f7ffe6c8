"""List and map editors: a table of items (strings, or any JSON typed as JSON)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.jsonvalues import to_text
from zhi_gui.core.labels import EditorSpec, parse_json
from zhi_gui.ui.editors.base import EditProblem, SubEditor, keep_rows_visible


def _json_text(value: Any) -> str:
    return to_text(value)


def _parse_cell(text: str, where: str) -> Any:
    try:
        return parse_json(text)
    except ValueError as exc:
        hint = ' (text goes in double quotes: "like this")' if text.strip()[:1].isalpha() else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise EditProblem(f"{where} is not valid JSON: {reason}{hint}") from None


class _TableEditor(SubEditor):
    """A table with add / remove buttons and a "values are JSON" switch."""

    columns: tuple[str, ...] = ()
    value_column = 0
    noun = "item"

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.json_mode = not spec.strings_only
        self.table = QTableWidget(0, len(self.columns))
        self.table.setObjectName(f"{self.noun}Table")
        self.table.setAccessibleName("Entries" if self.noun == "entry" else f"{self.noun.capitalize()}s")
        self.table.setHorizontalHeaderLabels(list(self.columns))
        self.table.horizontalHeader().setStretchLastSection(True)
        if len(self.columns) > 1:
            self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
            self.table.setColumnWidth(0, 180)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setTabKeyNavigation(False)  # Tab leaves the table, arrows move inside it
        keep_rows_visible(self.table)
        self.table.itemChanged.connect(self._user_changed)

        self.add_button = QPushButton(f"Add {self.noun}")
        self.add_button.setObjectName("addButton")
        self.add_button.setToolTip(f"Add {self.noun} (Insert)")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setObjectName("removeButton")
        self.remove_button.setToolTip(f"Remove the selected {self.noun} (Delete)")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_row)
        self.json_check = QCheckBox("Values are JSON")
        self.json_check.setObjectName("jsonModeCheck")
        self.json_check.setToolTip('Type each value as JSON: 3, true, {"a": 1}, "text"')
        self.json_check.setChecked(self.json_mode)
        if spec.core_type in ("list", "map"):  # strings by definition
            self.json_check.hide()
        self.json_check.toggled.connect(self._set_json_mode)

        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addWidget(self.add_button)
        self.buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(self.buttons)

        for keys, slot in ((QKeySequence.StandardKey.Delete, self.remove_row), (Qt.Key.Key_Insert, self.add_row)):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

    # rows

    def _cell_text(self, value: Any) -> str:
        return _json_text(value) if self.json_mode else ("" if value is None else str(value))

    def _cell_value(self, text: str, where: str) -> Any:
        return _parse_cell(text, where) if self.json_mode else text

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def _new_row_cells(self) -> list[str]:
        raise NotImplementedError

    def add_row(self) -> None:
        if self._read_only:
            return
        row = self.table.currentRow() + 1 if self.table.currentRow() >= 0 else self.table.rowCount()
        self._loading = True
        try:
            self.table.insertRow(row)
            for column, text in enumerate(self._new_row_cells()):
                self.table.setItem(row, column, QTableWidgetItem(text))
        finally:
            self._loading = False
        self._user_changed()
        self.table.setCurrentCell(row, 0)
        self.table.setFocus()
        item = self.table.item(row, 0)
        if item is not None:
            self.table.editItem(item)

    def remove_row(self) -> None:
        row = self.table.currentRow()
        if self._read_only or row < 0:
            return
        self.table.removeRow(row)
        if self.table.rowCount():
            self.table.setCurrentCell(min(row, self.table.rowCount() - 1), 0)
        self._user_changed()

    def _set_json_mode(self, json_mode: bool) -> None:
        if json_mode == self.json_mode:
            return
        # Carry the values across when they can be read, else carry the texts.
        try:
            current = self._read()
        except EditProblem:
            current = None
        self.json_mode = json_mode
        if current is not None:
            self._loading = True
            try:
                self._show(self._coerce(current) if not json_mode else current)
            finally:
                self._loading = False
        self._user_changed()

    def _coerce(self, value: Any) -> Any:
        """Values as strings, for leaving JSON mode: non-strings become their JSON text."""
        raise NotImplementedError

    def _apply_read_only(self, read_only: bool) -> None:
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        for widget in self._row_buttons():
            widget.setEnabled(not read_only)
        self.json_check.setEnabled(not read_only)

    def _row_buttons(self) -> list[QWidget]:
        return [self.add_button, self.remove_button]

    def focus_target(self) -> QWidget:
        return self.table

    def tab_widgets(self) -> list[QWidget]:
        return [self.table, *self._row_buttons(), self.json_check]


class ListEditor(_TableEditor):
    columns = ("Item",)
    noun = "item"

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.up_button = QPushButton("Move up")
        self.up_button.setObjectName("upButton")
        self.up_button.setToolTip("Move the selected item up (Ctrl+Up)")
        self.down_button = QPushButton("Move down")
        self.down_button.setObjectName("downButton")
        self.down_button.setToolTip("Move the selected item down (Ctrl+Down)")
        self.up_button.clicked.connect(lambda: self.move_row(-1))
        self.down_button.clicked.connect(lambda: self.move_row(1))
        self.buttons.addWidget(self.up_button)
        self.buttons.addWidget(self.down_button)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.json_check)
        for key, step in ((Qt.Key.Key_Up, -1), (Qt.Key.Key_Down, 1)):
            shortcut = QShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(lambda step=step: self.move_row(step))

    def _row_buttons(self) -> list[QWidget]:
        return [self.add_button, self.remove_button, self.up_button, self.down_button]

    def move_row(self, step: int) -> None:
        row = self.table.currentRow()
        target = row + step
        if self._read_only or row < 0 or not 0 <= target < self.table.rowCount():
            return
        self._loading = True
        try:
            item = self.table.takeItem(row, 0)
            other = self.table.takeItem(target, 0)
            self.table.setItem(row, 0, other)
            self.table.setItem(target, 0, item)
        finally:
            self._loading = False
        self.table.setCurrentCell(target, 0)
        self._user_changed()

    def _new_row_cells(self) -> list[str]:
        return ['""' if self.json_mode else ""]

    def _show(self, value: Any) -> None:
        items = value if isinstance(value, list) else []
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            self.table.setItem(row, 0, QTableWidgetItem(self._cell_text(item)))

    def _read(self) -> Any:
        return [self._cell_value(self._text(row, 0), f"item {row + 1}") for row in range(self.table.rowCount())]

    def _coerce(self, value: Any) -> Any:
        return [item if isinstance(item, str) else _json_text(item) for item in value]


class MapEditor(_TableEditor):
    columns = ("Key", "Value")
    value_column = 1
    noun = "entry"

    def __init__(self, spec: EditorSpec, parent: QWidget | None = None) -> None:
        super().__init__(spec, parent)
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.json_check)

    def _new_row_cells(self) -> list[str]:
        return ["", '""' if self.json_mode else ""]

    def _show(self, value: Any) -> None:
        entries = list(value.items()) if isinstance(value, dict) else []
        self.table.setRowCount(len(entries))
        for row, (key, item) in enumerate(entries):
            self.table.setItem(row, 0, QTableWidgetItem(key))
            self.table.setItem(row, 1, QTableWidgetItem(self._cell_text(item)))

    def _read(self) -> Any:
        out: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            key = self._text(row, 0)
            if not key:
                raise EditProblem(f"row {row + 1}: the key is empty")
            if key in out:
                raise EditProblem(f"row {row + 1}: the key {key!r} appears twice")
            out[key] = self._cell_value(self._text(row, 1), f"the value of {key!r}")
        return out

    def _coerce(self, value: Any) -> Any:
        return {key: item if isinstance(item, str) else _json_text(item) for key, item in value.items()}
