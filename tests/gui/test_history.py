"""History panel, diff views, rollback and version deletion against the real
sqlite plugin (tree versioning + the extension service)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton

from tests.conftest import plugin_path
from tests.gui.helpers import click_box, find_dialog
from zhi_gui.core.diff import MASK
from zhi_gui.core.model import Entry
from zhi_gui.session import StoreTarget
from zhi_gui.ui.history import HistoryPanel
from zhi_gui.ui.history.tree_diff_model import PATH_ROLE, TreeDiffModel
from zhi_gui.ui.history.versions_model import DESCRIBED_COLUMNS, VERSION_ROLE
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.value_tree_model import PATH_ROLE as TREE_PATH_ROLE

PASSWORD = "services/api/database/password"


@pytest.fixture
def store_file(short_tmp: Path) -> Path:
    return short_tmp / "store.sqlite"


@pytest.fixture
def window(make_window: Any) -> MainWindow:
    win: MainWindow = make_window()
    win.resize(1500, 950)
    return win


def open_store(win: MainWindow, run_async: Any, target: StoreTarget, *, sample: bool = True) -> HistoryPanel:
    panel = win.history_panel  # installed by the window itself, once
    run_async(win.open_store(target))
    if sample:
        run_async(win.fill_sample())
    return panel


def open_sqlite(win: MainWindow, run_async: Any, store_file: Path) -> HistoryPanel:
    target = StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, "sample")
    return open_store(win, run_async, target)




def write(win: MainWindow, run_async: Any, values: dict[str, Any], message: str, author: str = "tester",
          deletes: tuple[str, ...] = ()) -> str:
    """One new version through the store (keeps labels of existing paths)."""
    entries = win.controller.index.entries
    batch = [Entry(p, json.dumps(v).encode(), entries[p].metadata_json if p in entries else b"")
             for p, v in values.items()]
    version: str = run_async(win.controller.store.write_values("sample", batch, deletes, message=message,
                                                                author=author))
    run_async(win.reload_tree())
    return version


def wait_listed(qtbot: Any, panel: HistoryPanel, count: int) -> None:
    qtbot.waitUntil(lambda: len(panel.model.rows) == count and not panel.model.loading, timeout=10000)


def ids(panel: HistoryPanel) -> list[str]:
    return [r.id for r in panel.model.rows]


def compare(qtbot: Any, panel: HistoryPanel, versions: list[str]) -> None:
    with qtbot.waitSignal(panel.compared, timeout=15000):
        panel.select_versions(versions)


def diff_rows(model: TreeDiffModel, parent: QModelIndex | None = None) -> dict[str, list[str]]:
    """Every loaded row: path -> the four column texts (walks the model like a view)."""
    out: dict[str, list[str]] = {}
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        out[str(index.data(PATH_ROLE))] = [str(model.index(row, c, parent).data() or "") for c in range(4)]
        out.update(diff_rows(model, index))
    return out


def select_in_tree(qtbot: Any, win: MainWindow, path: str) -> None:
    index = win.model.index_of_path(path)
    assert index.isValid(), path
    win.tree_view.setCurrentIndex(index)
    qtbot.waitUntil(lambda: win.tree_view.currentIndex().data(TREE_PATH_ROLE) == path)


def value_ready(panel: HistoryPanel, path: str) -> bool:
    view = panel.diff_view.value_view
    return view.is_ready and view.change is not None and view.change.path == path and view.prepared is not None


# --- tests ----------------------------------------------------------------------------------------------


def test_lists_versions_newest_first_with_what_the_store_knows(qtbot: Any, window: MainWindow, run_async: Any,
                                                              store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    tester = QAbstractItemModelTester(panel.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    v2 = write(win, run_async, {"services/api/replicas": 7, "services/api/port": 9000}, "scale api", "alice")
    v3 = write(win, run_async, {"global/region": "eu-west-1"}, "move region", "bob")
    wait_listed(qtbot, panel, 3)
    assert ids(panel) == [v3, v2, "1"]
    assert panel.model.columns == DESCRIBED_COLUMNS
    cells = [[panel.model.index(r, c).data() for c in range(6)] for r in range(3)]
    assert cells[0][0] == f"{v3}  (current)" and cells[0][2:] == ["bob", "move region", "1 path", "write"]
    assert cells[1][2:5] == ["alice", "scale api", "2 paths"]
    assert cells[0][1] == "just now"
    assert "tester" not in panel.title_label.text() and "3 versions" in panel.title_label.text()
    tooltip = panel.model.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "scale api" in tooltip and "alice" in tooltip and "UTC" in tooltip
    del tester


def test_diff_two_versions_and_one_with_current(qtbot: Any, window: MainWindow, run_async: Any,
                                               store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    tester = QAbstractItemModelTester(panel.diff_view.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    flags = json.loads(win.controller.index.entries["global/feature-flags"].value_json)
    v2 = write(win, run_async, {"global/feature-flags": {**flags, "dark-mode": True, "new-onboarding": True},
                                "global/cdn": "cdn.example.com"}, "flags", deletes=("tenants/t001/seats",))
    v3 = write(win, run_async, {"services/api/replicas": 9}, "scale")
    wait_listed(qtbot, panel, 3)

    compare(qtbot, panel, ["1", v2])  # two versions: older -> newer
    view = panel.diff_view
    assert view.title_label.text().startswith("version 1") and f"version {v2}" in view.title_label.text()
    counts = view.diff.counts if view.diff else None
    assert counts is not None and (counts.added, counts.removed, counts.changed) == (1, 1, 1)
    assert "1 added" in view.counts_label.text() and "1 removed" in view.counts_label.text()
    rows = diff_rows(view.model)
    assert rows["global/cdn"][1] == "added" and rows["global/cdn"][3] == '"cdn.example.com"'
    assert rows["tenants/t001/seats"][1] == "removed"
    assert rows["global/feature-flags"][1] == "changed: value"
    assert "services/api/replicas" not in rows  # not changed between 1 and v2
    # the value diff shows the selected change side by side, pretty-printed
    assert view.next_action.isEnabled()
    run_async(view._select("global/feature-flags"))
    qtbot.waitUntil(lambda: value_ready(panel, "global/feature-flags"))
    left, right = view.value_view.texts()
    assert '"dark-mode": false' in left and '"dark-mode": true' in right
    assert '"new-onboarding": true' in right and "new-onboarding" not in left
    prepared = view.value_view.prepared
    assert prepared is not None and prepared.changes
    assert "changed" in prepared.right.kinds and any(prepared.right.words.values())

    compare(qtbot, panel, [v2])  # one version: with the current tree
    assert view.title_label.text() == f"version {v2} (just now) \u2192 current"
    rows = diff_rows(view.model)
    assert set(p for p in rows if rows[p][1]) >= {"services/api/replicas"}
    assert rows["services/api/replicas"][2:] == ["1", "9"] or rows["services/api/replicas"][3] == "9"
    compare(qtbot, panel, [v3])
    assert view.diff is not None and view.diff.is_empty
    assert "No differences" in view.value_view.placeholder.text()
    del tester


def test_next_previous_change_and_only_changes(qtbot: Any, window: MainWindow, run_async: Any,
                                               store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    write(win, run_async, {"global/region": "us-east-1", "services/auth/replicas": 5, "tenants/t010/seats": 9999},
          "three")
    wait_listed(qtbot, panel, 2)
    select_in_tree(qtbot, win, "global/region")
    compare(qtbot, panel, ["1"])
    view = panel.diff_view
    assert view.selected_path() == "global/region"
    for expected in ("services/auth/replicas", "tenants/t010/seats", "global/region"):  # wraps around
        panel.next_change_action.trigger()
        qtbot.waitUntil(lambda e=expected: view.selected_path() == e, timeout=5000)
    panel.prev_change_action.trigger()
    qtbot.waitUntil(lambda: view.selected_path() == "tenants/t010/seats")

    top = [view.model.index(r, 0).data() for r in range(view.model.rowCount())]
    assert top == ["global", "services", "tenants"]
    assert view.model.rowCount(view.model.index(0, 0)) == 1  # only the changed key of global
    view.only_changes.setChecked(False)
    qtbot.waitUntil(lambda: not view.model.only_changes)
    qtbot.waitUntil(lambda: view.selected_path() == "tenants/t010/seats")
    assert view.model.rowCount(view.model.index(0, 0)) > 5  # every key of global
    view.only_changes.setChecked(True)
    qtbot.waitUntil(lambda: view.model.only_changes)


def test_staged_edits_row_diffs_staged_against_the_store(qtbot: Any, window: MainWindow, run_async: Any,
                                                         store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    wait_listed(qtbot, panel, 1)
    assert panel.model.rowCount() == 1
    meta = win.controller.index.entries["services/billing/currency"].metadata_json
    win.controller.stage_set("services/billing/currency", b'"USD"', meta)
    win.controller.stage_delete(["global/motd"])
    assert panel.model.rowCount() == 2
    assert panel.model.index(0, 0).data() == "Staged edits" and panel.model.index(0, 0).data(VERSION_ROLE) == ""
    assert panel.model.index(0, 3).data() == "2 edit(s), not saved yet"
    compare(qtbot, panel, [""])
    view = panel.diff_view
    assert view.title_label.text() == "store \u2192 staged edits"
    rows = diff_rows(view.model)
    assert rows["services/billing/currency"][2:] == ['"EUR"', '"USD"']
    assert rows["global/motd"][1] == "removed"
    win.controller.staging.clear()
    assert panel.model.rowCount() == 1


def test_rollback_tree_previews_then_reports_and_selects_the_new_version(qtbot: Any, window: MainWindow,
                                                                        run_async: Any, store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    write(win, run_async, {"services/api/replicas": 12, "global/cdn": "cdn"}, "bad change",
          deletes=("global/motd",))
    wait_listed(qtbot, panel, 2)
    compare(qtbot, panel, ["1"])
    task = win.run(panel.rollback_selected())
    dialog = find_dialog(qtbot, win, "rollback-dialog")
    confirm = dialog.findChild(QPushButton, "rollback-confirm")
    qtbot.waitUntil(confirm.isEnabled)
    preview = dialog.view  # type: ignore[attr-defined]
    rows = diff_rows(preview.model)
    assert rows["services/api/replicas"][2:] == ["12", "1"] or rows["services/api/replicas"][1] == "changed: value"
    assert rows["global/cdn"][1] == "removed" and rows["global/motd"][1] == "added"
    assert "version 1" in dialog.heading.text()  # type: ignore[attr-defined]
    # Compared in the store (DiffVersions): only the changed values travel, no whole snapshot
    # of either version (a 1M-value tree's took the preview ~30 s)
    assert preview.diff is not None and preview.diff.partial
    assert not panel.access._snapshots
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20000)
    new_version = task.result()
    assert new_version == "3"
    entries = win.controller.index.entries
    assert "global/cdn" not in entries and "global/motd" in entries
    assert entries["services/api/replicas"].value_json != b"12"
    assert "created version 3" in win.statusBar().currentMessage()
    wait_listed(qtbot, panel, 3)
    assert [r.id for r in panel.selected_rows()] == ["3"]
    assert panel.model.rows[0].info is not None and panel.model.rows[0].info.kind == "rollback"
    assert panel.diff_view.title_label.text() == "before the rollback \u2192 version 3 (= 1)"
    shown = panel.diff_view.diff
    assert shown is not None and shown.partial and len(shown.changes) == 3
    assert win.last_error == ""


def test_rollback_cancelled_in_preview_changes_nothing(qtbot: Any, window: MainWindow, run_async: Any,
                                                       store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    write(win, run_async, {"services/api/replicas": 12}, "change")
    wait_listed(qtbot, panel, 2)
    compare(qtbot, panel, ["1"])
    task = win.run(panel.rollback_selected())
    dialog = find_dialog(qtbot, win, "rollback-dialog")
    qtbot.mouseClick(dialog.findChild(QPushButton, "rollback-cancel"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is None
    assert run_async(win.controller.store.list_tree_versions("sample")) == ["2", "1"]


def test_rollback_refused_politely_while_edits_are_staged(qtbot: Any, window: MainWindow, run_async: Any,
                                                          store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    write(win, run_async, {"services/api/replicas": 12}, "change")
    wait_listed(qtbot, panel, 2)
    win.controller.stage_set("global/region", b'"us-east-1"', b"")
    compare(qtbot, panel, ["1"])
    task = win.run(panel.rollback_selected())
    click_box(qtbot, win, "ask-unsaved-edits", QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(task.done)
    assert task.result() is None
    assert "untouched" in win.statusBar().currentMessage()
    assert len(win.controller.staging) == 1  # the edit is kept
    assert run_async(win.controller.store.list_tree_versions("sample")) == ["2", "1"]
    assert not any(d.isVisible() for d in win.findChildren(QDialog, "rollback-dialog"))

    # Discard first, then the rollback goes ahead
    task = win.run(panel.rollback_selected())
    click_box(qtbot, win, "ask-unsaved-edits", QMessageBox.StandardButton.Discard)
    dialog = find_dialog(qtbot, win, "rollback-dialog")
    confirm = dialog.findChild(QPushButton, "rollback-confirm")
    qtbot.waitUntil(confirm.isEnabled)
    qtbot.mouseClick(confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done, timeout=20000)
    assert task.result() == "3" and len(win.controller.staging) == 0


def test_delete_a_version_and_the_current_one_is_refused(qtbot: Any, window: MainWindow, run_async: Any,
                                                         store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    v2 = write(win, run_async, {"services/api/replicas": 2}, "two")
    v3 = write(win, run_async, {"services/api/replicas": 3}, "three")
    wait_listed(qtbot, panel, 3)
    compare(qtbot, panel, [v2])
    task = win.run(panel.delete_selected())
    box = find_dialog(qtbot, win, "ask-delete-version")
    assert isinstance(box, QMessageBox)
    assert box.text() == f"Delete version {v2}?" and "\u201ctwo\u201d" in box.informativeText()
    assert "UTC" in box.informativeText()
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(task.done)
    assert task.result() is True
    wait_listed(qtbot, panel, 2)
    assert ids(panel) == [v3, "1"]
    assert run_async(win.controller.store.list_tree_versions("sample")) == [v3, "1"]

    compare(qtbot, panel, [v3])
    panel.delete_version_action.trigger()
    click_box(qtbot, win, "ask-delete-version", QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(lambda: "current version" in win.last_error, timeout=10000)
    assert ids(panel) == [v3, "1"]
    error = find_dialog(qtbot, win, "error-box")
    assert isinstance(error, QMessageBox) and "cannot be deleted" in error.informativeText()
    error.close()


def test_secrets_stay_masked_in_every_view_until_revealed(qtbot: Any, window: MainWindow, run_async: Any,
                                                          store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    old_secret = json.loads(win.controller.index.entries[PASSWORD].value_json)
    write(win, run_async, {PASSWORD: "hunter2-rotated"}, "rotate")
    wait_listed(qtbot, panel, 2)
    select_in_tree(qtbot, win, PASSWORD)
    compare(qtbot, panel, ["1"])
    view = panel.diff_view
    rows = diff_rows(view.model)
    assert rows[PASSWORD][1] == "changed (secret): value"
    assert rows[PASSWORD][2:] == [MASK, MASK]
    qtbot.waitUntil(lambda: value_ready(panel, PASSWORD))
    left, right = view.value_view.texts()
    assert (left, right) == (MASK, MASK)
    assert "hidden" in view.value_view.summary_label.text()
    assert view.value_view.reveal_button.isVisible()
    all_text = " ".join(" ".join(v) for v in rows.values())
    assert old_secret not in all_text and "hunter2" not in all_text

    # the list's toggle reveals the list only
    view.reveal.setChecked(True)
    rows = diff_rows(view.model)
    assert rows[PASSWORD][2:] == [json.dumps(old_secret), '"hunter2-rotated"']
    assert view.value_view.texts() == (MASK, MASK)
    view.reveal.setChecked(False)
    assert diff_rows(view.model)[PASSWORD][2:] == [MASK, MASK]
    # the value diff's own toggle
    view.value_view.reveal_button.click()
    qtbot.waitUntil(lambda: view.value_view.is_ready and "hunter2" in view.value_view.texts()[1])
    assert view.value_view.texts() == (json.dumps(old_secret), '"hunter2-rotated"')
    assert diff_rows(view.model)[PASSWORD][2] == MASK
    # another value starts hidden again
    run_async(view._select("services"))  # a folder
    qtbot.waitUntil(lambda: view.value_view.change is None)
    run_async(view._select(PASSWORD))
    qtbot.waitUntil(lambda: value_ready(panel, PASSWORD))
    assert view.value_view.texts() == (MASK, MASK)

    # key history
    panel.show_key_history()
    qtbot.waitUntil(lambda: len(panel.key_view.model.rows) == 2, timeout=10000)
    texts = panel.key_view.texts()
    assert all("hunter2" not in t and old_secret not in t for t in texts)
    assert f"{MASK} \u2192 {MASK}" in texts[0]
    panel.key_view.reveal.setChecked(True)
    texts = panel.key_view.texts()
    assert f"{json.dumps(old_secret)} \u2192 \"hunter2-rotated\"" in texts[0]


def test_history_of_one_key_pages_through_versions(qtbot: Any, window: MainWindow, run_async: Any,
                                                   store_file: Path) -> None:
    win = window
    panel = open_sqlite(win, run_async, store_file)
    for n in range(2, 14):  # 12 more versions; the key changes in every third one
        values: dict[str, Any] = {"tenants/t000/seats": 100 + n} if n % 3 == 0 else {"global/region": f"r{n}"}
        write(win, run_async, values, f"v{n}", author="alice" if n % 2 else "bob")
    select_in_tree(qtbot, win, "tenants/t000/seats")
    panel.key_page_size, panel.key_want = 4, 2
    tester = QAbstractItemModelTester(panel.key_view.model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    panel.show_key_history()
    qtbot.waitUntil(lambda: len(panel.key_view.model.rows) >= 2 and not panel.key_view.model.loading,
                    timeout=10000)
    # the list asks for more while it has room (fetchMore), a page of 4 versions at a time
    while panel.key_view.model.canFetchMore(QModelIndex()):
        panel.key_view.model.fetchMore(QModelIndex())
        qtbot.waitUntil(lambda: not panel.key_view.model.loading, timeout=10000)
    texts = panel.key_view.texts()
    changed = [v for v in range(13, 1, -1) if v % 3 == 0]  # 12, 9, 6, 3
    assert [t.split(" | ")[0] for t in texts] == [str(v) for v in changed] + ["1"]
    assert texts[0].split(" | ")[2:] == ["bob", "changed value", f"{100 + 9} \u2192 {100 + 12}"]
    assert texts[-1].split(" | ")[3] == "added"
    assert "13 of 13 version(s)" in panel.key_view.status.text()
    del tester
    # activating a row shows that change in the diff view
    with qtbot.waitSignal(panel.diff_view.diffShown, timeout=10000):
        panel.key_view.list.setCurrentIndex(panel.key_view.model.index(0, 0))
    # the change in version 12, against the version right before it
    assert panel.diff_view.title_label.text() == "version 11 (just now) \u2192 version 12 (just now)"
    assert diff_rows(panel.diff_view.model)["tenants/t000/seats"][2:] == ["109", "112"]


def test_long_history_loads_in_pages(qtbot: Any, window: MainWindow, run_async: Any, store_file: Path) -> None:
    win = window
    target = StoreTarget(plugin_path("sqlite"), {"path": str(store_file), "create": True}, "sample")
    panel = open_store(win, run_async, target, sample=False)
    panel.page_size = 10
    run_async(win.controller.create_tree("sample"))
    for n in range(24):
        run_async(win.controller.store.write_values("sample", [Entry("counter", str(n).encode())], message=f"n={n}"))
    asked: list[tuple[int, int]] = []
    make_pager = panel.access.tree_pager

    def recording_pager() -> Any:
        pager = make_pager()
        page = pager.page

        async def recorded(offset: int, limit: int) -> Any:
            asked.append((offset, limit))
            return await page(offset, limit)

        pager.page = recorded  # type: ignore[method-assign]
        return pager

    panel.access.tree_pager = recording_pager  # type: ignore[method-assign]
    run_async(win.reload_tree())
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 10 and not panel.model.loading, timeout=10000)
    assert asked[0] == (0, 10) and panel.model.total == 25

    def scrolled_to_the_end() -> bool:  # the view asks for more (fetchMore) as it scrolls
        panel.list.scrollToBottom()
        return len(panel.model.rows) == 25 and not panel.model.loading

    qtbot.waitUntil(scrolled_to_the_end, timeout=10000)
    assert set(asked) == {(0, 10), (10, 10), (20, 10)}
    assert ids(panel) == [str(v) for v in range(25, 0, -1)]
    assert not panel.model.canFetchMore(QModelIndex())
    # "compare with the version before" loads the next page when needed
    run_async(panel.refresh(select=()))  # "16" ends the first page: its predecessor may not be listed yet
    qtbot.waitUntil(lambda: "16" in ids(panel) and not panel.model.loading, timeout=10000)
    panel.compare_mode.setCurrentIndex(1)
    compare(qtbot, panel, ["16"])
    # The view may be fetching the next page itself meanwhile: wait for the comparison
    # of 16 with 15 to be on screen, then read its rows.
    qtbot.waitUntil(lambda: panel.diff_view.title_label.text().startswith("version 15")
                    and "counter" in diff_rows(panel.diff_view.model), timeout=10000)
    rows = diff_rows(panel.diff_view.model)
    assert rows["counter"][2:] == ["13", "14"]


def test_saving_through_the_window_adds_a_version_and_refreshes_the_comparison(
        qtbot: Any, window: MainWindow, run_async: Any, store_file: Path) -> None:
    from tests.gui.test_main_window import save_through_review

    win = window
    panel = open_sqlite(win, run_async, store_file)
    wait_listed(qtbot, panel, 1)
    compare(qtbot, panel, ["1"])
    assert panel.diff_view.diff is not None and panel.diff_view.diff.is_empty
    meta = win.controller.index.entries["services/api/replicas"].metadata_json
    win.controller.stage_set("services/api/replicas", b"11", meta)
    assert panel.model.index(0, 0).data() == "Staged edits"
    save_through_review(qtbot, win, "eleven replicas")
    # The new listing and the new comparison come from their own tasks after the save:
    # wait until both are on screen before reading rows (reading earlier saw the old page).
    wait_listed(qtbot, panel, 2)
    qtbot.waitUntil(lambda: panel.model.index(0, 0).data() == "2  (current)", timeout=10000)
    assert panel.model.index(0, 3).data() == "eleven replicas"
    assert [r.id for r in panel.selected_rows()] == ["1"], "version 1 stays selected"

    def compared_again() -> bool:  # ... and is compared again, now with the saved value
        row = diff_rows(panel.diff_view.model).get("services/api/replicas")
        return row is not None and row[3] == "11"

    qtbot.waitUntil(compared_again, timeout=20000)
