"""Importing a big file (200,000 values) in the window: each stage shows what it has
done, and Cancel does what it can at that stage. While the file is checked, the
status bar's Cancel stops it (nothing touched); while the preview compares, the
dialog's Cancel closes it and stops the comparison (nothing written); once the
save is sent, the status bar shows it with Cancel disabled, and the import finishes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QLabel, QListWidget, QPushButton

from tests.conftest import plugin_path
from tests.gui.helpers import find_dialog
from zhi_gui.session import StoreTarget
from zhi_gui.ui import busy
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.transfer_dialogs import LISTED, SAVING, import_flow

VALUES = 200_000  # comparing and saving this many values takes seconds
CHECKED = 500_000  # checking this many takes seconds more: the click on Cancel lands inside it


def write_file(path: Path, values: int) -> Path:
    document: dict[str, dict[str, str]] = {}
    for i in range(values):
        document.setdefault(f"bulk{i // 1000:04d}", {})[f"key{i:07d}"] = f"imported value {i}"
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file(tmp_path_factory.mktemp("import") / "big.json", VALUES)


@pytest.fixture(scope="module")
def huge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_file(tmp_path_factory.mktemp("import") / "huge.json", CHECKED)


@pytest.fixture
def window(make_window: Any, run_async: Any, short_tmp: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    monkeypatch.setattr(busy, "SHOW_AFTER", 0.0)  # the indicator shows at once: no waiting a second per stage
    win: MainWindow = make_window()
    run_async(win.open_store(StoreTarget(plugin_path("sqlite"), {"path": str(short_tmp / "s.sqlite"),
                                                                 "create": True}, "sample")))
    run_async(win.fill_sample())
    return win


def store_state(win: MainWindow, run_async: Any) -> tuple[int, int]:
    """(values in the tree, versions of the tree), as the store says."""
    store = win.session.store
    return len(run_async(store.get_values("sample", []))), len(run_async(store.list_tree_versions("sample")))


def test_cancel_while_the_file_is_checked(qtbot: Any, window: MainWindow, run_async: Any, huge_file: Path) -> None:
    win = window
    before = store_state(win, run_async)
    errors: list[str] = []
    win.task_runner.on_error = lambda what, exc: errors.append(f"{what}: {exc}")
    task = win.run(import_flow(win, huge_file), "Importing", "import")
    qtbot.waitUntil(lambda: win.busy.isVisible() and " values" in win.busy.label.text())  # "...: 12,000 values"
    assert "Importing" in win.busy.label.text() and "checking huge.json" in win.busy.label.text()
    assert win.busy.cancel_button.isEnabled()
    qtbot.mouseClick(win.busy.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.cancelled() and errors == [], "a cancel is not an error"
    assert "cancelled: nothing was changed" in win.statusBar().currentMessage()
    assert not any(d.isVisible() for d in win.findChildren(QDialog, "import-dialog")), "no preview after a cancel"
    assert store_state(win, run_async) == before
    assert not win.session.staging


def test_cancel_in_the_preview_then_import_and_the_save_cannot_be_cancelled(
        qtbot: Any, window: MainWindow, run_async: Any, big_file: Path) -> None:
    win = window
    values_before, versions_before = store_state(win, run_async)
    errors: list[str] = []
    win.task_runner.on_error = lambda what, exc: errors.append(f"{what}: {exc}")

    # The preview compares 200,000 values: the dialog says so; its Cancel closes it, nothing is written.
    task = win.run(import_flow(win, big_file), "Importing", "import")
    dialog = find_dialog(qtbot, win, "import-dialog")
    summary = dialog.findChild(QLabel, "import-summary")
    qtbot.waitUntil(lambda: f"Comparing {VALUES:,} values" in summary.text())
    assert not dialog.findChild(QPushButton, "import-apply").isEnabled(), "Import waits for the preview"
    qtbot.mouseClick(dialog.findChild(QPushButton, "import-cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert not task.cancelled() and task.result() is False and errors == []
    qtbot.waitUntil(lambda: not win.tasks)  # the comparison stopped with its dialog
    assert store_state(win, run_async) == (values_before, versions_before)

    # Again, through to the save: Cancel is shown disabled, saying why, and a click changes nothing.
    task = win.run(import_flow(win, big_file), "Importing", "import")
    dialog = find_dialog(qtbot, win, "import-dialog")
    summary = dialog.findChild(QLabel, "import-summary")
    apply = dialog.findChild(QPushButton, "import-apply")
    qtbot.waitUntil(apply.isEnabled)
    assert f"{VALUES:,} add" in summary.text()
    changes = dialog.findChild(QListWidget, "import-changes")
    assert changes.count() == LISTED + 1 and "198,000 more changes" in changes.item(LISTED).text()
    qtbot.mouseClick(apply, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.busy.isVisible() and "saving" in win.busy.label.text())
    assert not win.busy.cancel_button.isEnabled() and win.busy.cancel_button.toolTip() == SAVING
    qtbot.mouseClick(win.busy.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=120_000)
    assert not task.cancelled() and task.result() is True, errors
    assert store_state(win, run_async) == (values_before + VALUES, versions_before + 1)
    assert "Imported big.json" in win.statusBar().currentMessage()
