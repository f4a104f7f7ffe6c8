"""The labels of a value as an editable table, behind a collapsible header."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.jsonvalues import to_text
from zhi_gui.core.labels import LabelSet, label_name_problem, label_problem, parse_label_value
from zhi_gui.ui.editors.base import PROBLEM_STYLE, keep_rows_visible, mono_font, wrapped_label

# The style is given: QBrush(QColor) alone makes PySide try its overloads, which creates the
# QGradient type and its ~180-member Preset enum (3 ms of a cold start, issue 14).
INVALID_BRUSH = QBrush(QColor(211, 47, 47, 70), Qt.BrushStyle.SolidPattern)
ORIGINAL_ROLE = Qt.ItemDataRole.UserRole + 1  # the text the cell was loaded with


class MetadataEditor(QWidget):
    """Labels as rows of name and JSON value. A value that is not JSON, a bad name, a
    repeated name, or a label the editor cannot use (an ``ui.enum`` that is not a
    list, a broken ``ui.pattern``) is refused: the cell turns red, the reason is
    shown, and ``problem()`` says why until it is fixed or the row removed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._labels = LabelSet()
        self._loading = False
        self._read_only = False
        self._problem: str | None = None

        self.toggle = QToolButton()
        self.toggle.setObjectName("labelsToggle")
        self.toggle.setCheckable(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setAutoRaise(True)
        self.toggle.toggled.connect(self.set_expanded)

        self.table = QTableWidget(0, 2)
        self.table.setObjectName("labelsTable")
        self.table.setAccessibleName("Labels")
        self.table.setHorizontalHeaderLabels(["Label", "Value (JSON)"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(0, 170)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        keep_rows_visible(self.table)
        self.table.setFont(mono_font())
        self.table.itemChanged.connect(self._item_changed)
        self.add_button = QPushButton("Add label")
        self.add_button.setObjectName("addLabelButton")
        self.add_button.setToolTip("Add a label (Insert)")
        self.add_button.clicked.connect(self.add_label)
        self.remove_button = QPushButton("Remove label")
        self.remove_button.setObjectName("removeLabelButton")
        self.remove_button.setToolTip("Remove the selected label (Delete)")
        self.remove_button.clicked.connect(self.remove_label)
        self.message = wrapped_label(style=PROBLEM_STYLE, object_name="labelsMessage")
        self.message.setVisible(False)
        for keys, slot in ((QKeySequence.StandardKey.Delete, self.remove_label), (Qt.Key.Key_Insert, self.add_label)):
            shortcut = QShortcut(QKeySequence(keys), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(slot)

        self.body = QWidget()
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        body_layout.addLayout(buttons)
        body_layout.addWidget(self.message)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toggle)
        layout.addWidget(self.body, 1)
        self.set_expanded(False)

    # loading and reading

    def load(self, labels: LabelSet) -> None:
        self._labels = labels.copy()
        self._loading = True
        try:
            items = labels.items()
            self.table.setRowCount(len(items))
            for row, (name, value) in enumerate(items):
                self._set_row(row, name, to_text(value))
        finally:
            self._loading = False
        self._validate()

    def _set_row(self, row: int, name: str, value_text: str) -> None:
        for column, text in enumerate((name, value_text)):
            item = QTableWidgetItem(text)
            item.setData(ORIGINAL_ROLE, text)
            self.table.setItem(row, column, item)

    def items(self) -> list[tuple[str, Any]]:
        """The labels in the table (rows with a problem are left out: check ``problem()``)."""
        out: list[tuple[str, Any]] = []
        for row in range(self.table.rowCount()):
            name = self._text(row, 0)
            value, problem = parse_label_value(self._text(row, 1))
            if problem is None and not label_name_problem(name):
                out.append((name, value))
        return out

    def labels(self) -> LabelSet:
        """The original labels with the table's changes applied (each keeps its form)."""
        result = self._labels.copy()
        result.replace_all(self.items())
        return result

    def problem(self) -> str | None:
        return self._problem

    def _text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    # editing

    def set_expanded(self, expanded: bool) -> None:
        if self.toggle.isChecked() != expanded:
            self.toggle.setChecked(expanded)
            return
        self.body.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        self._update_title()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.add_button.setEnabled(not read_only)
        self.remove_button.setEnabled(not read_only)

    def add_label(self) -> None:
        if self._read_only:
            return
        self.set_expanded(True)
        row = self.table.rowCount()
        self._loading = True
        try:
            self.table.insertRow(row)
            self.table.setItem(row, 0, QTableWidgetItem(""))
            self.table.setItem(row, 1, QTableWidgetItem("true"))
        finally:
            self._loading = False
        self._validate()
        self.changed.emit()
        self.table.setCurrentCell(row, 0)
        self.table.setFocus()
        item = self.table.item(row, 0)
        if item is not None:
            self.table.editItem(item)

    def remove_label(self) -> None:
        row = self.table.currentRow()
        if self._read_only or row < 0:
            return
        self.table.removeRow(row)
        self._validate()
        self.changed.emit()

    def set_label_text(self, name: str, value_text: str) -> None:
        """Set (or add) a label's JSON text as if typed into the table."""
        for row in range(self.table.rowCount()):
            if self._text(row, 0) == name:
                item = self.table.item(row, 1)
                if item is not None:
                    item.setText(value_text)
                return
        self.table.insertRow(self.table.rowCount())
        row = self.table.rowCount() - 1
        self._loading = True
        try:
            self.table.setItem(row, 0, QTableWidgetItem(name))
            self.table.setItem(row, 1, QTableWidgetItem(value_text))
        finally:
            self._loading = False
        self._validate()
        self.changed.emit()

    def _item_changed(self, _item: QTableWidgetItem) -> None:
        if self._loading:
            return
        self._validate()
        self.changed.emit()

    def _validate(self) -> None:
        """Mark every refused cell; the first reason becomes ``problem()``."""
        problems: list[str] = []
        seen: set[str] = set()
        self._loading = True
        try:
            for row in range(self.table.rowCount()):
                name = self._text(row, 0)
                value_text = self._text(row, 1)
                name_problem = label_name_problem(name)
                if not name_problem and name in seen:
                    name_problem = f"the label {name} appears twice"
                seen.add(name)
                value, value_problem = parse_label_value(value_text)
                shown = name or f"row {row + 1}"
                if value_problem:
                    value_problem = f"{shown}: {value_problem}"
                elif self._edited(row):
                    # Loaded labels in an odd shape are noted by the editor; typed ones are refused.
                    value_problem = label_problem(name, value)
                self._mark(row, 0, name_problem)
                self._mark(row, 1, value_problem)
                problems.extend(p for p in (name_problem, value_problem) if p)
        finally:
            self._loading = False
        self._problem = problems[0] if problems else None
        if problems:
            self.message.setText(
                "Refused: " + problems[0] + ("" if len(problems) == 1 else f" (and {len(problems) - 1} more)")
            )
        self.message.setVisible(bool(problems))
        self._update_title()

    def _edited(self, row: int) -> bool:
        for column in (0, 1):
            item = self.table.item(row, column)
            if item is None or item.data(ORIGINAL_ROLE) != item.text():
                return True
        return False

    def _mark(self, row: int, column: int, problem: str | None) -> None:
        item = self.table.item(row, column)
        if item is None:
            return
        item.setBackground(INVALID_BRUSH if problem else QBrush())
        item.setToolTip(problem or "")

    def _update_title(self) -> None:
        count = self.table.rowCount()
        text = f"Labels ({count})"
        if self._problem:
            text += " \u2013 needs a fix"
        self.toggle.setText(text)

    def tab_widgets(self) -> list[QWidget]:
        return [self.toggle, self.table, self.add_button, self.remove_button]
