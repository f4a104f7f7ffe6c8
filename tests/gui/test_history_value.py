"""History in value-versioning mode (the memory plugin with {"versioning": "value"})
and with a plain zhi store (no extension service: version ids only)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QMessageBox, QPushButton

from tests.conftest import plugin_path
from tests.gui.test_history import (
    click_box,
    compare,
    diff_rows,
    find_dialog,
    ids,
    open_store,
    select_in_tree,
    value_ready,
    wait_listed,
    window,  # noqa: F401 (fixture)
)
from zhi_gui.core.diff import MASK
from zhi_gui.core.model import Entry
from zhi_gui.session import StoreTarget
from zhi_gui.ui.history import HistoryPanel
from zhi_gui.ui.history.versions_model import PLAIN_COLUMNS, VALUE_COLUMNS
from zhi_gui.ui.main_window import MainWindow

PASSWORD = "services/api/database/password"


def open_memory(win: MainWindow, run_async: Any, options: dict[str, Any]) -> HistoryPanel:
    return open_store(win, run_async, StoreTarget(plugin_path("memory"), options, "sample"))


def put(win: MainWindow, run_async: Any, path: str, value: bytes) -> None:
    meta = win.controller.index.entries[path].metadata_json
    run_async(win.controller.store.put_values("sample", [Entry(path, value, meta)]))


def test_value_mode_lists_diffs_and_rolls_back_the_selected_value(qtbot: Any, window: MainWindow,  # noqa: F811
                                                                 run_async: Any) -> None:
    win = window
    panel = open_memory(win, run_async, {"versioning": "value"})
    tester = QAbstractItemModelTester(panel.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    qtbot.waitUntil(lambda: panel.model.columns == VALUE_COLUMNS)
    assert "Select a value" in panel.note_label.text()
    for value in (b'"USD"', b'"GBP"', b'"JPY"'):
        put(win, run_async, "services/billing/currency", value)
    run_async(win.reload_tree())
    select_in_tree(qtbot, win, "services/billing/currency")
    wait_listed(qtbot, panel, 4)
    assert ids(panel) == ["4", "3", "2", "1"]
    assert panel.title_label.text() == "services/billing/currency \u00b7 4 versions"
    assert [panel.model.index(r, 1).data() for r in range(4)] == ['"JPY"', '"GBP"', '"USD"', '"EUR"']
    assert panel.model.index(0, 0).data() == "4  (current)"

    compare(qtbot, panel, ["3", "1"])
    view = panel.diff_view
    assert view.title_label.text() == "version 1 \u2192 version 3"
    qtbot.waitUntil(lambda: value_ready(panel, "services/billing/currency"))
    assert view.value_view.texts() == ('"EUR"', '"GBP"')
    compare(qtbot, panel, ["2"])
    assert view.title_label.text() == "version 2 \u2192 current"
    assert diff_rows(view.model)["services/billing/currency"][2:] == ['"USD"', '"JPY"']

    task = win.run(panel.rollback_selected())
    dialog = find_dialog(qtbot, win, "rollback-dialog")
    confirm = dialog.findChild(QPushButton, "rollback-confirm")
    qtbot.waitUntil(confirm.isEnabled)
    assert diff_rows(dialog.view.model)["services/billing/currency"][2:] == ['"JPY"', '"USD"']  # type: ignore[attr-defined]
    assert "services/billing/currency" in dialog.heading.text()  # type: ignore[attr-defined]
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20000)
    assert task.result() == "5"
    assert win.controller.index.entries["services/billing/currency"].value_json == b'"USD"'
    assert "created version 5" in win.statusBar().currentMessage()
    wait_listed(qtbot, panel, 5)
    assert [r.id for r in panel.selected_rows()] == ["5"]
    assert panel.model.index(0, 1).data() == '"USD"'

    # another key: the list follows the selection in the tree
    select_in_tree(qtbot, win, "global/region")
    qtbot.waitUntil(lambda: panel.value_path == "global/region" and len(panel.model.rows) == 1, timeout=5000)
    # the key history tab explains that the Versions tab already is one
    panel.show_key_history()
    qtbot.waitUntil(lambda: "per value" in panel.key_view.title.text())
    assert win.last_error == ""
    del tester


def test_value_mode_delete_and_secrets(qtbot: Any, window: MainWindow, run_async: Any) -> None:  # noqa: F811
    win = window
    panel = open_memory(win, run_async, {"versioning": "value"})
    put(win, run_async, PASSWORD, b'"s3cr3t-two"')
    put(win, run_async, PASSWORD, b'"s3cr3t-three"')
    run_async(win.reload_tree())
    select_in_tree(qtbot, win, PASSWORD)
    wait_listed(qtbot, panel, 3)
    assert panel.reveal.isVisible()
    assert all(panel.model.index(r, 1).data() == MASK + "  (secret)" for r in range(3))
    panel.reveal.setChecked(True)
    assert panel.model.index(0, 1).data() == '"s3cr3t-three"'
    panel.reveal.setChecked(False)

    compare(qtbot, panel, ["2"])
    view = panel.diff_view
    assert diff_rows(view.model)[PASSWORD][2:] == [MASK, MASK]
    qtbot.waitUntil(lambda: value_ready(panel, PASSWORD))
    assert view.value_view.texts() == (MASK, MASK)
    view.value_view.reveal_button.click()
    qtbot.waitUntil(lambda: view.value_view.is_ready and "three" in view.value_view.texts()[1])
    assert view.value_view.texts() == ('"s3cr3t-two"', '"s3cr3t-three"')

    task = win.run(panel.delete_selected())
    click_box(qtbot, win, "ask-delete-version", QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(task.done)
    wait_listed(qtbot, panel, 2)
    assert ids(panel) == ["3", "1"]


def test_plain_store_lists_version_ids_and_still_diffs(qtbot: Any, window: MainWindow,  # noqa: F811
                                                      run_async: Any) -> None:
    win = window
    panel = open_memory(win, run_async, {"versioning": "tree", "extension": False})
    assert win.controller.description is None
    put(win, run_async, "services/api/replicas", b"42")
    run_async(win.reload_tree())
    wait_listed(qtbot, panel, 2)
    assert panel.model.columns == PLAIN_COLUMNS
    assert [panel.model.index(r, 0).data() for r in range(2)] == ["2  (current)", "1"]
    assert "plain zhi store" in panel.note_label.text()
    compare(qtbot, panel, ["1"])
    rows = diff_rows(panel.diff_view.model)
    changed = {p: r for p, r in rows.items() if r[1]}
    assert changed["services/api/replicas"][3] == "42"
    assert panel.diff_view.diff is not None and panel.diff_view.diff.counts.changes == 1


def test_store_without_versions_says_so(qtbot: Any, window: MainWindow, run_async: Any) -> None:  # noqa: F811
    win = window
    panel = open_memory(win, run_async, {"versioning": "none"})
    qtbot.waitUntil(lambda: panel.title_label.text() == "No versions")
    assert "keeps no history" in panel.note_label.text()
    assert not panel.rollback_button.isEnabled() and panel.model.rowCount() == 0
