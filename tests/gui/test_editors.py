"""The value editor driven like a user: keys and clicks on the real widgets, then the staged bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from zhi_gui.core.model import Entry
from zhi_gui.ui.editors import NewKeyDialog, SecretClipboard, ValueEditor
from zhi_gui.ui.editors.scalar import (
    BoolEditor,
    EnumEditor,
    FloatEditor,
    IntEditor,
    LineEditor,
    MultilineEditor,
    NullEditor,
)
from zhi_gui.ui.editors.secret import PasswordEditor, WriteOnlyEditor
from zhi_gui.ui.editors.tables import ListEditor, MapEditor
from zhi_gui.ui.editors.text import SyntaxTextEditor

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def editor(qtbot: Any) -> Iterator[ValueEditor]:
    widget = ValueEditor()
    qtbot.addWidget(widget)
    widget.resize(560, 520)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    yield widget


def load(editor: ValueEditor, value_json: bytes, metadata_json: bytes = b"", path: str = "app/key") -> None:
    editor.load(path, Entry(path, value_json, metadata_json, "3"))


def child(editor: QWidget, kind: type[Any], name: str) -> Any:
    """The visible widget of that name (a replaced sub-editor lingers hidden until deleted)."""
    found = [widget for widget in editor.findChildren(kind, name) if widget.isVisible()]
    assert found, f"no visible {kind.__name__} named {name}"
    return found[0]


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def stage_with_keys(qtbot: Any, editor: ValueEditor) -> tuple[str, bytes, bytes]:
    """Ctrl+Enter where the focus is, as a user would stage."""
    target = QApplication.focusWidget() or editor
    with qtbot.waitSignal(editor.staged, timeout=2000) as blocker:
        qtbot.keyClick(target, Qt.Key.Key_Return, CTRL)
    path, value_json, metadata_json = blocker.args
    return path, value_json, metadata_json


def assert_refused(qtbot: Any, editor: ValueEditor) -> None:
    target = QApplication.focusWidget() or editor
    with qtbot.assertNotEmitted(editor.staged, wait=50):
        qtbot.keyClick(target, Qt.Key.Key_Return, CTRL)
        click(qtbot, editor.stage_button)
    assert not editor.stage_button.isEnabled()


def replace_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Click into a field, select everything and type over it."""
    click(qtbot, widget)
    qtbot.keyClick(widget, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(widget, text)


def edit_cell(qtbot: Any, table: QTableWidget, row: int, column: int, text: str) -> None:
    """Double-click a cell, type over it, press Enter."""
    item = table.item(row, column)
    assert item is not None
    # A section that just opened gets its layout from the event queue, as it would for a user.
    qtbot.waitUntil(lambda: table.viewport().rect().contains(table.visualItemRect(item).center()))
    rect = table.visualItemRect(item)
    # Select the cell, then double-click it (a first double-click on a view that has no
    # current item only selects under QTest, so click once as most users do anyway).
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    cell_editor = QApplication.focusWidget()
    assert isinstance(cell_editor, QLineEdit), cell_editor
    qtbot.keyClick(cell_editor, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(cell_editor, text)
    qtbot.keyClick(cell_editor, Qt.Key.Key_Return)
    committed(qtbot, table)


def type_into_cell(qtbot: Any, table: QTableWidget, text: str) -> None:
    """Type into the cell editor that has the focus (after Add), then Enter."""
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit), cell
    qtbot.keyClicks(cell, text)
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    committed(qtbot, table)


def committed(qtbot: Any, table: QTableWidget) -> None:
    """Enter commits a cell from the event queue: wait for it."""
    qtbot.waitUntil(lambda: table.state() != QAbstractItemView.State.EditingState, timeout=2000)


# --- one test per editor kind ----------------------------------------------------


def test_string(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"localhost"')
    assert isinstance(editor.sub_editor, LineEditor)
    assert not editor.dirty and not editor.stage_button.isEnabled()
    field = child(editor, QLineEdit, "stringEdit")
    assert field.text() == "localhost"
    with qtbot.waitSignal(editor.dirtyChanged) as dirty:
        replace_text(qtbot, field, "db.example.com")
    assert dirty.args == [True]
    assert stage_with_keys(qtbot, editor) == ("app/key", b'"db.example.com"', b"")
    assert not editor.dirty  # what was staged is the new baseline


def test_stage_button_by_mouse(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"a"')
    replace_text(qtbot, child(editor, QLineEdit, "stringEdit"), 'say "hi"')
    with qtbot.waitSignal(editor.staged) as blocker:
        click(qtbot, editor.stage_button)
    assert blocker.args == ["app/key", b'"say \\"hi\\""', b""]


def test_multiline(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"line 1\\nline 2"')
    assert isinstance(editor.sub_editor, MultilineEditor)
    text = child(editor, QPlainTextEdit, "multilineEdit")
    click(qtbot, text)
    qtbot.keyClick(text, Qt.Key.Key_End, CTRL)
    qtbot.keyClick(text, Qt.Key.Key_Return)
    qtbot.keyClicks(text, "line 3")
    assert stage_with_keys(qtbot, editor)[1] == b'"line 1\\nline 2\\nline 3"'  # Ctrl+Enter adds no newline


def test_multiline_from_label(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"one line"', b'{"ui":{"multiline":true}}')
    assert isinstance(editor.sub_editor, MultilineEditor)


def test_int_stays_int(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"5")
    assert isinstance(editor.sub_editor, IntEditor)
    field = child(editor, QLineEdit, "numberEdit")
    assert field.text() == "5"
    replace_text(qtbot, field, "7.5")  # the validator refuses the point
    assert field.text() == "75"
    replace_text(qtbot, field, "5")
    qtbot.keyClicks(field, "0")
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert editor.dirty is False  # back to 5: nothing to stage
    replace_text(qtbot, field, "6")
    assert stage_with_keys(qtbot, editor)[1] == b"6"


def test_big_int_zhi_cannot_hold_is_refused_with_what_it_would_store(qtbot: Any, editor: ValueEditor) -> None:
    # zhi holds numbers as float64: Go's encoder would write this one as 12345678901234567000
    load(editor, b"1")
    replace_text(qtbot, child(editor, QLineEdit, "numberEdit"), "12345678901234567890")
    assert "would be stored as 12345678901234567000" in editor.problem
    assert_refused(qtbot, editor)
    replace_text(qtbot, child(editor, QLineEdit, "numberEdit"), "12345678901234567000")
    assert stage_with_keys(qtbot, editor)[1] == b"12345678901234567000"
    replace_text(qtbot, child(editor, QLineEdit, "numberEdit"), "9" * 400)
    assert "too large" in editor.problem


def test_big_int_loaded_passes_through(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"98765432109876543210", b'{"note.x":1}')
    assert child(editor, QLineEdit, "numberEdit").text() == "98765432109876543210"
    editor.metadata.set_expanded(True)
    edit_cell(qtbot, editor.metadata.table, 0, 1, "2")
    _path, value_json, metadata_json = stage_with_keys(qtbot, editor)
    assert value_json == b"98765432109876543210"
    assert metadata_json == b'{"note.x":2}'


def test_empty_int_is_refused(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"5")
    field = child(editor, QLineEdit, "numberEdit")
    click(qtbot, field)
    qtbot.keyClick(field, Qt.Key.Key_Backspace)
    assert "whole number" in editor.problem
    assert_refused(qtbot, editor)


def test_float(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"1.5")
    assert isinstance(editor.sub_editor, FloatEditor)
    field = child(editor, QLineEdit, "numberEdit")
    assert field.text() == "1.5"
    replace_text(qtbot, field, "2.5e-3")
    assert stage_with_keys(qtbot, editor)[1] == b"0.0025"
    replace_text(qtbot, child(editor, QLineEdit, "numberEdit"), "1e-7")
    assert stage_with_keys(qtbot, editor)[1] == b"1e-7"  # Go's spelling, not Python's 1e-07
    replace_text(qtbot, child(editor, QLineEdit, "numberEdit"), "5")
    # Go writes the float64 5.0 as 5 (it is then a whole number, as in zhi)
    assert stage_with_keys(qtbot, editor)[1] == b"5"


def test_bool(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"false")
    assert isinstance(editor.sub_editor, BoolEditor)
    check = child(editor, QCheckBox, "boolCheck")
    qtbot.mouseClick(check, Qt.MouseButton.LeftButton, pos=QPoint(8, check.height() // 2))
    assert check.isChecked() and check.text() == "true"
    assert stage_with_keys(qtbot, editor)[1] == b"true"
    check = child(editor, QCheckBox, "boolCheck")
    check.setFocus()
    qtbot.keyClick(check, Qt.Key.Key_Space)
    assert stage_with_keys(qtbot, editor)[1] == b"false"


def test_null_then_set_a_value(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"null", b'{"core.type":"port"}')
    assert isinstance(editor.sub_editor, NullEditor)
    combo = child(editor, QComboBox, "nullTypeCombo")
    assert combo.currentData() == "int"  # preselected from core.type
    click(qtbot, child(editor, QPushButton, "setValueButton"))
    assert isinstance(editor.sub_editor, IntEditor)
    field = child(editor, QLineEdit, "numberEdit")
    assert field.hasFocus()
    replace_text(qtbot, field, "70000")
    assert "port" in editor.problem
    assert_refused(qtbot, editor)
    replace_text(qtbot, field, "8080")
    assert stage_with_keys(qtbot, editor)[1] == b"8080"


def test_null_stays_null_and_empty_value_json_is_null(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"")
    assert isinstance(editor.sub_editor, NullEditor)
    assert not editor.dirty


def test_enum(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"info"', b'{"ui.enum":["debug","info","warn",3]}')
    assert isinstance(editor.sub_editor, EnumEditor)
    combo = child(editor, QComboBox, "enumCombo")
    assert combo.currentText() == "info"
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == "warn"
    assert stage_with_keys(qtbot, editor)[1] == b'"warn"'
    combo = child(editor, QComboBox, "enumCombo")
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert stage_with_keys(qtbot, editor)[1] == b"3"  # a non-string option keeps its JSON type


def test_enum_value_outside_the_list(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"trace"', b'{"ui":{"enum":["debug","info"]}}')
    combo = child(editor, QComboBox, "enumCombo")
    assert combo.currentText() == "trace (not in the list)"
    assert "allowed values" in editor.problem
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    assert stage_with_keys(qtbot, editor)[1] == b'"debug"'


def test_list_of_strings(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'["a","b"]')
    assert isinstance(editor.sub_editor, ListEditor)
    table = child(editor, QTableWidget, "itemTable")
    edit_cell(qtbot, table, 0, 0, "alpha")
    table.setCurrentCell(1, 0)
    click(qtbot, child(editor, QPushButton, "addButton"))  # inserts after the current row, editing
    type_into_cell(qtbot, table, "c")
    table.setCurrentCell(2, 0)
    click(qtbot, child(editor, QPushButton, "upButton"))
    assert stage_with_keys(qtbot, editor)[1] == b'["alpha","c","b"]'
    table = child(editor, QTableWidget, "itemTable")
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Down, CTRL)  # move down by keyboard
    qtbot.keyClick(table, Qt.Key.Key_Delete)  # then remove it
    assert stage_with_keys(qtbot, editor)[1] == b'["c","b"]'


def test_list_of_any_json(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'[1,{"a":true},"x"]')
    table = child(editor, QTableWidget, "itemTable")
    assert child(editor, QCheckBox, "jsonModeCheck").isChecked()
    assert [table.item(row, 0).text() for row in range(3)] == ["1", '{"a": true}', '"x"']
    edit_cell(qtbot, table, 0, 0, "[1, 2")
    assert editor.problem.startswith("item 1 is not valid JSON")
    assert_refused(qtbot, editor)
    edit_cell(qtbot, table, 0, 0, "[1, 2]")
    assert stage_with_keys(qtbot, editor)[1] == b'[[1,2],{"a":true},"x"]'


def test_map(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'{"HOST":"db","PORT":"5432"}')
    assert isinstance(editor.sub_editor, MapEditor)
    table = child(editor, QTableWidget, "entryTable")
    edit_cell(qtbot, table, 1, 1, "6543")
    table.setCurrentCell(1, 0)
    click(qtbot, child(editor, QPushButton, "addButton"))
    type_into_cell(qtbot, table, "HOST")  # a key already taken
    assert "appears twice" in editor.problem
    assert_refused(qtbot, editor)
    edit_cell(qtbot, table, 2, 0, "USER")
    edit_cell(qtbot, table, 2, 1, "app")
    assert stage_with_keys(qtbot, editor)[1] == b'{"HOST":"db","PORT":"6543","USER":"app"}'
    table = child(editor, QTableWidget, "entryTable")
    table.setCurrentCell(0, 0)
    click(qtbot, child(editor, QPushButton, "removeButton"))
    assert stage_with_keys(qtbot, editor)[1] == b'{"PORT":"6543","USER":"app"}'


def test_map_of_any_json(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'{"n":1,"nested":{"a":[1,2]}}')
    table = child(editor, QTableWidget, "entryTable")
    edit_cell(qtbot, table, 0, 1, "12345678901234567890")
    assert stage_with_keys(qtbot, editor)[1] == b'{"n":12345678901234567000,"nested":{"a":[1,2]}}'


def test_yaml_syntax_error_shown_and_staging_refused(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"a: 1\\n"', b'{"core":{"type":"yaml"}}')
    assert isinstance(editor.sub_editor, SyntaxTextEditor)
    text = child(editor, QPlainTextEdit, "yamlTextEdit")
    click(qtbot, text)
    qtbot.keyClick(text, Qt.Key.Key_End, CTRL)
    with qtbot.waitSignal(editor.validityChanged) as validity:
        qtbot.keyClicks(text, "b: [1, 2")
        qtbot.keyClick(text, Qt.Key.Key_Return)
        qtbot.keyClicks(text, "c: 3")
    assert validity.args[0] is False
    problem = child(editor, QWidget, "problemLabel")
    assert "YAML syntax error at line 3, column 2" in problem.text()
    assert text.extraSelections()  # the broken line is highlighted
    assert_refused(qtbot, editor)
    qtbot.keyClick(text, Qt.Key.Key_Up)
    qtbot.keyClick(text, Qt.Key.Key_End)
    qtbot.keyClicks(text, "]")
    assert editor.valid and not problem.isVisible()
    assert stage_with_keys(qtbot, editor)[1] == b'"a: 1\\nb: [1, 2]\\nc: 3"'


def test_json_text_syntax_error(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"{}"', b'{"ui.format":"json"}')
    text = child(editor, QPlainTextEdit, "jsonTextEdit")
    replace_text(qtbot, text, "{")
    qtbot.keyClick(text, Qt.Key.Key_Return)
    qtbot.keyClicks(text, '  "a": 1,')
    qtbot.keyClick(text, Qt.Key.Key_Return)
    qtbot.keyClicks(text, "}")
    assert "JSON syntax error at line 3, column 1" in editor.problem
    assert_refused(qtbot, editor)
    replace_text(qtbot, text, '{"a": 1}')
    assert stage_with_keys(qtbot, editor)[1] == b'"{\\"a\\": 1}"'  # the value is the text itself


def test_password_masked_reveal_and_copy_without_reveal(
    qtbot: Any, editor: ValueEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Short enough for a quick test, long enough that the clipboard is still read
    # before the timer fires on a busy machine.
    monkeypatch.setattr(SecretClipboard, "clear_after_ms", 600)
    clipboard = QApplication.clipboard()
    clipboard.setText("something else")
    load(editor, b'"hunter2"', b'{"ui":{"password":true}}')
    assert isinstance(editor.sub_editor, PasswordEditor)
    field = child(editor, QLineEdit, "passwordEdit")
    assert field.echoMode() == QLineEdit.EchoMode.Password
    assert field.displayText() != "hunter2"
    click(qtbot, child(editor, QPushButton, "copyButton"))
    assert clipboard.text() == "hunter2"
    assert field.echoMode() == QLineEdit.EchoMode.Password  # copied, never shown
    assert "cleared" in child(editor, QWidget, "copyStatus").text()
    qtbot.waitUntil(lambda: clipboard.text() == "", timeout=10000)
    reveal = child(editor, QPushButton, "revealButton")
    click(qtbot, reveal)
    assert field.echoMode() == QLineEdit.EchoMode.Normal and field.displayText() == "hunter2"
    click(qtbot, reveal)
    assert field.echoMode() == QLineEdit.EchoMode.Password
    replace_text(qtbot, field, "correct horse")
    assert stage_with_keys(qtbot, editor)[1:] == (b'"correct horse"', b'{"ui":{"password":true}}')


def test_clipboard_not_cleared_when_user_copied_something_else(
    qtbot: Any, editor: ValueEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(SecretClipboard, "clear_after_ms", 100)
    load(editor, b'"s3cret"', b'{"ui.password":"true"}')
    click(qtbot, child(editor, QPushButton, "copyButton"))
    QApplication.clipboard().setText("mine")
    qtbot.waitUntil(lambda: not SecretClipboard.instance().pending(), timeout=10000)
    assert QApplication.clipboard().text() == "mine"


def test_multiline_secret_hidden_whole(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"-----BEGIN KEY-----\\nabc\\n-----END KEY-----"', b'{"ui.password":true}')
    hidden = child(editor, QWidget, "hiddenLabel")
    assert "3 lines" in hidden.text()
    text = editor.findChild(QPlainTextEdit, "secretTextEdit")
    assert text is not None and not text.isVisible()
    click(qtbot, child(editor, QPushButton, "revealButton"))
    assert text.isVisible() and "abc" in text.toPlainText()


def test_writeonly_only_replaces(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"null", b'{"store.writeonly":true}')
    assert isinstance(editor.sub_editor, WriteOnlyEditor)
    assert not editor.dirty and not editor.type_combo.isEnabled()
    assert "never returns" in child(editor, QWidget, "writeOnlyInfo").text()
    # Changing only the labels would overwrite the secret with null: refused.
    editor.metadata.set_expanded(True)
    click(qtbot, child(editor, QPushButton, "addLabelButton"))
    type_into_cell(qtbot, editor.metadata.table, "core.description")
    assert "write-only" in editor.problem
    assert_refused(qtbot, editor)
    click(qtbot, child(editor, QPushButton, "replaceButton"))
    field = child(editor, QLineEdit, "replacementEdit")
    assert field.echoMode() == QLineEdit.EchoMode.Password
    qtbot.keyClicks(field, "new-token")
    _path, value_json, metadata_json = stage_with_keys(qtbot, editor)
    assert value_json == b'"new-token"'
    assert json.loads(metadata_json) == {"store.writeonly": True, "core.description": True}


@pytest.mark.parametrize(
    ("metadata", "why"),
    [(b'{"ui.readonly":true}', "ui.readonly"), (b'{"config":{"immutable":true}}', "config.immutable")],
)
def test_readonly_refuses_edits(qtbot: Any, editor: ValueEditor, metadata: bytes, why: str) -> None:
    load(editor, b'"fixed"', metadata)
    banner = child(editor, QWidget, "bannerLabel")
    assert "Locked" in banner.text() and why in banner.text()
    field = child(editor, QLineEdit, "stringEdit")
    assert field.isReadOnly()
    click(qtbot, field)
    qtbot.keyClicks(field, "changed")
    assert field.text() == "fixed"
    assert not editor.type_combo.isEnabled()
    assert_refused(qtbot, editor)


def test_readonly_store_locks_everything(qtbot: Any, editor: ValueEditor) -> None:
    editor.load("a/b", Entry("a/b", b"[1]", b'{"x.y":1}'), read_only_store=True)
    assert "read-only" in child(editor, QWidget, "bannerLabel").text()
    assert not child(editor, QPushButton, "addButton").isEnabled()
    assert not editor.metadata.add_button.isEnabled()
    assert_refused(qtbot, editor)


def test_pattern_violation_refused_with_message(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"abc"', b'{"ui":{"pattern":"[a-z]+"}}')
    field = child(editor, QLineEdit, "stringEdit")
    with qtbot.waitSignal(editor.validityChanged) as validity:
        replace_text(qtbot, field, "ABC")
    assert validity.args[0] is False and "pattern [a-z]+" in validity.args[1]
    assert child(editor, QWidget, "problemLabel").text() == validity.args[1]
    assert_refused(qtbot, editor)
    replace_text(qtbot, field, "xyz")
    assert editor.valid
    assert stage_with_keys(qtbot, editor)[1] == b'"xyz"'


def test_broken_pattern_label_is_a_note_not_a_crash(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"abc"', b'{"ui.pattern":"([a-z"}')
    assert "not a valid regular expression" in child(editor, QWidget, "notesLabel").text()
    replace_text(qtbot, child(editor, QLineEdit, "stringEdit"), "x")
    assert stage_with_keys(qtbot, editor)[1] == b'"x"'


def test_metadata_label_edit_keeps_form_and_unknown_labels(qtbot: Any, editor: ValueEditor) -> None:
    metadata = b'{"ui":{"displayName":"Host","weird":{"keep":[1,2]}},"acme.flag":"x"}'
    load(editor, b'"h"', metadata)
    assert editor.title.text() == "Host"
    # A value-only change stages the labels byte for byte.
    replace_text(qtbot, child(editor, QLineEdit, "stringEdit"), "h2")
    assert stage_with_keys(qtbot, editor)[2] == metadata
    click(qtbot, editor.metadata.toggle)
    table = child(editor, QTableWidget, "labelsTable")
    names = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert names == ["ui.displayName", "ui.weird", "acme.flag"]
    edit_cell(qtbot, table, 0, 1, '"Database host"')
    assert editor.title.text() == "Database host"
    _path, value_json, metadata_json = stage_with_keys(qtbot, editor)
    assert value_json == b'"h2"'
    assert json.loads(metadata_json) == {
        "ui": {"displayName": "Database host", "weird": {"keep": [1, 2]}},
        "acme.flag": "x",
    }


def test_metadata_invalid_json_refused_with_message(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"red"', b'{"ui.enum":["red","green"]}')
    editor.metadata.set_expanded(True)
    table = child(editor, QTableWidget, "labelsTable")
    edit_cell(qtbot, table, 0, 1, '["red", "green", blue]')
    message = child(editor, QWidget, "labelsMessage")
    assert message.text().startswith("Refused: ui.enum: not valid JSON")
    assert editor.problem.startswith("Labels:")
    assert isinstance(editor.sub_editor, EnumEditor)  # the editor keeps the last good labels
    assert_refused(qtbot, editor)
    edit_cell(qtbot, table, 0, 1, '"blue"')
    assert "should be a list" in message.text()
    assert_refused(qtbot, editor)
    edit_cell(qtbot, table, 0, 1, '["red", "green", "blue"]')
    assert not message.isVisible()
    combo = child(editor, QComboBox, "enumCombo")
    assert combo.count() == 3
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_End)
    assert stage_with_keys(qtbot, editor)[1:] == (b'"blue"', b'{"ui.enum":["red","green","blue"]}')


def test_adding_a_label_changes_the_editor(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"s3cret"')
    assert isinstance(editor.sub_editor, LineEditor)
    click(qtbot, editor.metadata.toggle)
    click(qtbot, child(editor, QPushButton, "addLabelButton"))
    type_into_cell(qtbot, editor.metadata.table, "ui.password")
    assert isinstance(editor.sub_editor, PasswordEditor)
    assert stage_with_keys(qtbot, editor)[1:] == (b'"s3cret"', b'{"ui.password":true}')
    table = child(editor, QTableWidget, "labelsTable")
    table.setFocus()
    table.setCurrentCell(0, 0)
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert isinstance(editor.sub_editor, LineEditor)
    assert stage_with_keys(qtbot, editor)[1:] == (b'"s3cret"', b"")


def test_bad_label_name_refused(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"1")
    editor.metadata.set_expanded(True)
    click(qtbot, child(editor, QPushButton, "addLabelButton"))
    type_into_cell(qtbot, editor.metadata.table, "nonamespace")
    assert "namespace.name" in editor.problem
    assert_refused(qtbot, editor)


# --- type changes, revert, keyboard --------------------------------------------------


def test_type_change_confirms_what_is_lost(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"abc"')
    combo = editor.type_combo
    combo.setFocus()
    with qtbot.assertNotEmitted(editor.dirtyChanged, wait=20):
        editor.set_type("int")
    bar = child(editor, QWidget, "typeConfirmBar")
    assert "lost" in child(editor, QWidget, "typeConfirmText").text()
    click(qtbot, child(editor, QPushButton, "cancelTypeButton"))
    assert not bar.isVisible() and isinstance(editor.sub_editor, LineEditor)
    assert combo.currentData() == "string"
    editor.set_type("list")
    assert "a list of one item" in child(editor, QWidget, "typeConfirmText").text()
    click(qtbot, child(editor, QPushButton, "confirmTypeButton"))
    assert isinstance(editor.sub_editor, ListEditor)
    assert stage_with_keys(qtbot, editor)[1] == b'["abc"]'


def test_type_change_to_json_edits_any_value_as_text(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'{"a":"1"}')
    editor.set_type("json")
    qtbot.keyClick(child(editor, QPushButton, "confirmTypeButton"), Qt.Key.Key_Space)
    text = child(editor, QPlainTextEdit, "jsonTextEdit")
    replace_text(qtbot, text, '{"a": [1, 2.5, null], "b": 12345678901234567890}')
    assert stage_with_keys(qtbot, editor)[1] == b'{"a":[1,2.5,null],"b":12345678901234567000}'


def test_type_change_by_keyboard_and_esc_cancels(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"5")
    combo = editor.type_combo
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)  # number (whole) -> string
    assert editor.confirm_bar.isVisible()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not editor.confirm_bar.isVisible()
    assert combo.currentData() == "int"
    assert isinstance(editor.sub_editor, IntEditor)
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Up)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # the confirm button has the focus
    assert isinstance(editor.sub_editor, LineEditor)
    assert stage_with_keys(qtbot, editor)[1] == b'"5"'


def test_esc_reverts(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"orig"', b'{"a.b":1}')
    field = child(editor, QLineEdit, "stringEdit")
    replace_text(qtbot, field, "changed")
    assert editor.dirty
    with qtbot.waitSignal(editor.dirtyChanged) as dirty:
        qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert dirty.args == [False]
    assert child(editor, QLineEdit, "stringEdit").text() == "orig"
    assert child(editor, QLineEdit, "stringEdit").hasFocus()  # the focus stays in the editor
    editor.set_type("bool")
    click(qtbot, child(editor, QPushButton, "confirmTypeButton"))
    editor.revert()
    assert isinstance(editor.sub_editor, LineEditor) and not editor.dirty


def test_tab_order_reaches_value_labels_and_buttons(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"x"')
    editor.type_combo.setFocus()
    seen = []
    for _ in range(6):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    field: QLineEdit = child(editor, QLineEdit, "stringEdit")
    assert seen[0] is field
    assert editor.metadata.toggle in seen
    replace_text(qtbot, field, "y")
    field.setFocus()
    for _ in range(8):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        if QApplication.focusWidget() is editor.stage_button:
            break
    assert QApplication.focusWidget() is editor.stage_button


def test_new_key_loaded_can_be_staged_unchanged(qtbot: Any, editor: ValueEditor) -> None:
    editor.load("db/host", None)
    assert editor.dirty and isinstance(editor.sub_editor, NullEditor)
    assert "New key" in child(editor, QWidget, "bannerLabel").text()
    editor.focus_value()
    assert stage_with_keys(qtbot, editor) == ("db/host", b"null", b"")


def test_stored_value_that_is_not_json(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"{broken", b"[1]")
    banner = child(editor, QWidget, "bannerLabel").text()
    assert "not valid JSON" in banner and "labels" in banner
    text = child(editor, QPlainTextEdit, "jsonTextEdit")
    assert text.toPlainText() == "{broken"
    assert_refused(qtbot, editor)
    replace_text(qtbot, text, '{"fixed": true}')
    assert stage_with_keys(qtbot, editor)[1:] == (b'{"fixed":true}', b"[1]")  # unreadable labels kept as they were


def test_clear_shows_empty_panel(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"1")
    editor.clear()
    assert child(editor, QWidget, "emptyLabel").isVisible()
    assert editor.sub_editor is None and not editor.dirty
    assert not editor.stage()


# --- new key dialog ------------------------------------------------------------------


def test_new_key_dialog_rejects_bad_path_and_accepts_good(qtbot: Any) -> None:
    dialog = NewKeyDialog("", existing={"db/port"})
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    field = dialog.name_edit
    ok = dialog.ok_button
    assert not ok.isEnabled()
    qtbot.keyClicks(field, "Bad/Path")
    assert not ok.isEnabled()
    problem = child(dialog, QLabel, "pathProblem")
    assert "segment 'Bad' must start with a lowercase letter" in problem.text()
    qtbot.keyClick(field, Qt.Key.Key_Return)  # Enter does not accept an invalid path
    assert dialog.isVisible()
    field.selectAll()
    qtbot.keyClicks(field, "db/port")
    assert "already exists" in problem.text() and not ok.isEnabled()
    field.selectAll()
    qtbot.keyClicks(field, "db/host")
    assert ok.isEnabled() and not problem.isVisible()
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("int"))
    with qtbot.waitSignal(dialog.finished) as finished:
        click(qtbot, ok)
    assert finished.args == [1]
    assert dialog.path() == "db/host"
    assert dialog.entry() == Entry("db/host", b"0", b"")


def test_new_key_dialog_under_a_parent(qtbot: Any, editor: ValueEditor) -> None:
    dialog = NewKeyDialog("db", existing=lambda path: path == "db/port")
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.keyClicks(dialog.name_edit, "host")
    assert child(dialog, QLabel, "fullPathLabel").text() == "db/host"
    dialog.type_combo.setCurrentIndex(dialog.type_combo.findData("password"))
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Return)
    editor.load(dialog.path(), dialog.entry(), is_new=True)
    assert isinstance(editor.sub_editor, PasswordEditor)
    field = child(editor, QLineEdit, "passwordEdit")
    click(qtbot, field)
    qtbot.keyClicks(field, "pw")
    assert stage_with_keys(qtbot, editor) == ("db/host", b'"pw"', b'{"ui.password":true}')


def test_new_key_dialog_cancel(qtbot: Any) -> None:
    dialog = NewKeyDialog("app")
    qtbot.addWidget(dialog)
    dialog.open()
    with qtbot.waitSignal(dialog.finished) as finished:
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Escape)
    assert finished.args == [0]


def test_set_focus_on_the_panel_enters_the_value(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b"42")
    editor.setFocus()
    assert QApplication.focusWidget() is child(editor, QLineEdit, "numberEdit")


def test_esc_in_a_cell_cancels_only_the_cell(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'["a","b"]')
    table = child(editor, QTableWidget, "itemTable")
    edit_cell(qtbot, table, 0, 0, "changed")
    table.setCurrentCell(1, 0)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    qtbot.keyClicks(cell, "zzz")
    qtbot.keyClick(cell, Qt.Key.Key_Escape)
    committed(qtbot, table)
    assert editor.dirty  # the first edit survives
    assert stage_with_keys(qtbot, editor)[1] == b'["changed","b"]'


def test_ctrl_enter_while_typing_in_a_cell_stages_what_was_typed(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'{"k":"v"}')
    table = child(editor, QTableWidget, "entryTable")
    table.setFocus()
    table.setCurrentCell(0, 1)
    qtbot.keyClick(table, Qt.Key.Key_F2)
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    qtbot.keyClick(cell, Qt.Key.Key_A, CTRL)
    qtbot.keyClicks(cell, "typed")
    assert stage_with_keys(qtbot, editor)[1] == b'{"k":"typed"}'
