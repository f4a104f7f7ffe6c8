"""File > Export... and File > Import... in the window, with real dialogs: the
export masks secrets unless asked (with a warning), the import previews what it
does, Replace adds the deletes, and the import is one version with its message."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QLineEdit,
    QListWidget,
)

from tests.conftest import plugin_path
from tests.gui.helpers import activate, find_dialog
from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreTarget


def accept_file(qtbot: Any, win: Any, name: str, path: Path) -> None:
    files = find_dialog(qtbot, win, name)
    assert isinstance(files, QFileDialog)
    name = files.findChild(QLineEdit, "fileNameEdit")  # Qt's own file dialog: type the path, press Enter
    assert name is not None
    name.selectAll()
    qtbot.keyClicks(name, str(path))
    qtbot.keyClick(name, Qt.Key.Key_Return)


def test_export_then_import_through_the_file_menu(qtbot: Any, make_window: Any, run_async: Any,
                                                  short_tmp: Path) -> None:
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(short_tmp / "s.sqlite"),
                                                                 "create": True}, "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    export = win.findChild(type(win.save_action), "action-export")
    assert export is not None and export.isEnabled()

    # export the api service as YAML, secrets masked (the default)
    export.trigger()
    dialog = find_dialog(qtbot, win, "export-dialog")
    dialog.findChild(QComboBox, "export-format").setCurrentIndex(2)  # YAML
    prefix = dialog.findChild(QLineEdit, "export-prefix")
    prefix.clear()
    qtbot.keyClicks(prefix, "services/api")
    secrets = dialog.findChild(QCheckBox, "export-secrets")
    secrets.setFocus()
    qtbot.keyClick(secrets, Qt.Key.Key_Space)
    assert dialog.findChild(QLabel, "export-secrets-warning").isVisible(), "secrets in clear are warned about"
    qtbot.keyClick(secrets, Qt.Key.Key_Space)
    assert not secrets.isChecked()
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    out = short_tmp / "api.yaml"
    accept_file(qtbot, win, "export-file", out)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert out.exists(), win.last_error
    assert out.stat().st_mode & 0o777 == 0o644, "secrets masked: a file others may read"
    assert not [p.name for p in short_tmp.iterdir() if p.name.startswith(".api.yaml.")], "written whole, no leftovers"
    text = out.read_text()
    assert "replicas:" in text and "secret: not exported" in text
    assert win.session.index.entries["services/api/database/password"].value_json.strip(b'"').decode() not in text

    # edit the exported file and import it back under the same subtree
    edited = short_tmp / "api-edited.yaml"
    edited.write_text(text.replace("replicas: 3", "replicas: 12"))
    assert edited.read_text() != text
    versions_before = len(run_async(win.session.store.list_tree_versions("sample")))
    win.findChild(type(win.save_action), "action-import").trigger()
    accept_file(qtbot, win, "import-file", edited)
    preview = find_dialog(qtbot, win, "import-dialog")
    changes = preview.findChild(QListWidget, "import-changes")

    def lines() -> list[str]:
        return [changes.item(i).text() for i in range(changes.count())]

    into = preview.findChild(QLineEdit, "import-prefix")
    qtbot.keyClicks(into, "services/api")
    qtbot.keyClick(into, Qt.Key.Key_Return)  # the preview follows the subtree
    qtbot.waitUntil(lambda: any(line.startswith("~ services/api/replicas") for line in lines()), timeout=20000)
    assert not any(line.startswith(("+", "-")) for line in lines()), lines()
    replace = preview.findChild(QCheckBox, "import-replace")
    replace.setFocus()
    qtbot.keyClick(replace, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: "delete" in preview.findChild(QLabel, "import-summary").text(), timeout=20000)
    assert not any(line.startswith("-") for line in lines()), "the file has every key of the subtree"
    qtbot.keyClicks(preview.findChild(QLineEdit, "import-message"), "scale api to 12")
    qtbot.mouseClick(preview.findChild(type(preview.ok), "import-apply"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert not win.last_error, win.last_error
    assert win.session.index.entries["services/api/replicas"].value_json == b"12"
    versions = run_async(win.session.store.describe_versions("sample", 0, 1))
    assert versions.versions[0].message == "scale api to 12"
    assert len(run_async(win.session.store.list_tree_versions("sample"))) == versions_before + 1
    assert win.findChild(QDialog, "error-box") is None


def _open_import(qtbot: Any, win: Any, path: Path) -> Any:
    win.findChild(type(win.save_action), "action-import").trigger()
    accept_file(qtbot, win, "import-file", path)
    return find_dialog(qtbot, win, "import-dialog")


def _lines(preview: Any) -> list[str]:
    changes = preview.findChild(QListWidget, "import-changes")
    return [changes.item(i).text() for i in range(changes.count())]


def test_enter_after_typing_a_subtree_imports_into_that_subtree(qtbot: Any, make_window: Any, run_async: Any,
                                                                 short_tmp: Path) -> None:
    """The preview for the whole tree is valid (OK on); a subtree typed and Enter at once
    must not apply that preview: OK is off from the first key, and the import lands where
    the field says."""
    win = make_window()
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(short_tmp / "s.sqlite"),
                                                                 "create": True}, "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    file = short_tmp / "timeouts.json"
    file.write_text('{"read": "99s"}')
    preview = _open_import(qtbot, win, file)
    qtbot.waitUntil(lambda: "+ read" in " ".join(_lines(preview)) and preview.ok.isEnabled(), timeout=20000)

    into = preview.findChild(QLineEdit, "import-prefix")
    qtbot.keyClicks(into, "services/api/timeouts")
    assert not preview.ok.isEnabled(), "the preview shown is for the whole tree, not what the field says"
    qtbot.keyClick(into, Qt.Key.Key_Return)
    assert preview.isVisible(), "Enter did not apply the preview of the text before"
    qtbot.waitUntil(lambda: any(line.startswith("~ services/api/timeouts/read") for line in _lines(preview))
                    and preview.ok.isEnabled(), timeout=20000)
    qtbot.mouseClick(preview.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert not win.last_error, win.last_error
    assert win.session.index.entries["services/api/timeouts/read"].value_json == b'"99s"'
    assert "read" not in win.session.index.entries


def test_an_exported_subtree_is_imported_back_under_its_path(qtbot: Any, make_window: Any, run_async: Any,
                                                             short_tmp: Path) -> None:
    """Export services/auth, edit the file, import it: the dialog starts at services/auth
    (remembered for this store) and says where the file came from."""
    win = make_window(Settings(short_tmp / "settings.json"), short_tmp / "state")
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(short_tmp / "s.sqlite"),
                                                                 "create": True}, "sample")))
    run_async(win.fill_sample())
    activate(qtbot, win)
    win.findChild(type(win.save_action), "action-export").trigger()
    dialog = find_dialog(qtbot, win, "export-dialog")
    prefix = dialog.findChild(QLineEdit, "export-prefix")
    prefix.selectAll()
    qtbot.keyClicks(prefix, "services/auth")
    fmt = dialog.findChild(QComboBox, "export-format")
    fmt.setCurrentIndex(fmt.findText("JSON", Qt.MatchFlag.MatchStartsWith))
    assert fmt.currentText().startswith("JSON")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    file = short_tmp / "auth.json"
    accept_file(qtbot, win, "export-file", file)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert file.exists(), win.last_error
    data = json.loads(file.read_text())
    data["replicas"] = 42
    file.write_text(json.dumps(data))

    preview = _open_import(qtbot, win, file)
    assert preview.findChild(QLineEdit, "import-prefix").text() == "services/auth"
    origin = preview.findChild(QLabel, "import-origin")
    assert origin.isVisible() and "services/auth" in origin.text() and "this tree" in origin.text()
    qtbot.waitUntil(lambda: any(line.startswith("~ services/auth/replicas") for line in _lines(preview))
                    and preview.ok.isEnabled(), timeout=20000)
    assert not any(line.startswith(("+", "-")) for line in _lines(preview)), _lines(preview)
    qtbot.mouseClick(preview.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not win.tasks, timeout=20000)
    assert not win.last_error, win.last_error
    assert win.session.index.entries["services/auth/replicas"].value_json == b"42"

    # another file, never exported from this store: the whole tree, and nothing said
    other = short_tmp / "other.json"
    other.write_text('{"global": {"region": "eu-west-1"}}')
    preview = _open_import(qtbot, win, other)
    assert preview.findChild(QLineEdit, "import-prefix").text() == ""
    assert not preview.findChild(QLabel, "import-origin").isVisible()
    preview.reject()
