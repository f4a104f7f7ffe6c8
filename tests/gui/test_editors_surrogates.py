"""A string holding a lone UTF-16 surrogate (zhi-store-json keeps "\\ud800" as
written) survives the window: Qt's text widgets would drop it, so the value is
edited as JSON text where the surrogate reads \\ud800."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPlainTextEdit

from tests.gui.test_editors import child, editor, load, replace_text, stage_with_keys
from zhi_gui.core.labels import EditorKind, editor_spec
from zhi_gui.ui.editors import ValueEditor

__all__ = ["editor"]  # the fixture, used by name


def test_editor_kind_for_lone_surrogates() -> None:
    assert editor_spec("a\ud800b", {}).kind is EditorKind.RAW_JSON
    assert editor_spec(["x", {"k\udc00": 1}], {}).kind is EditorKind.RAW_JSON
    assert any("lone UTF-16 surrogate" in note for note in editor_spec("\ud800", {}).notes)
    assert editor_spec("plain \u00e9", {}).kind is EditorKind.STRING


def test_a_lone_surrogate_is_shown_escaped_and_kept(qtbot: Any, editor: ValueEditor) -> None:
    load(editor, b'"a\\ud800b"')
    text = child(editor, QPlainTextEdit, "jsonTextEdit")
    assert text.toPlainText() == '"a\\ud800b"'
    replace_text(qtbot, text, '"a\\ud800c"')
    assert stage_with_keys(qtbot, editor)[1] == b'"a\\ud800c"'
