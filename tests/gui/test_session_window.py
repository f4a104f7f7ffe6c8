"""The window over one session, driven with real key and mouse events: every
edit lands where the user made it, typed work is never dropped silently,
nothing edits without a store, conflicts keep the typed message, the tree
worked in is reopened, locking takes the history off the screen, passphrases
only reach password fields, and saves made elsewhere are noticed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
)

from tests.conftest import plugin_path
from tests.gui.helpers import (
    activate,
    click_box,
    click_key,
    click_link,
    click_tree,
    find_dialog,
    save_elsewhere,
    sqlite_target,
    type_value,
)
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.services.settings import Settings
from zhi_gui.session import StoreTarget
from zhi_gui.ui.main_window import MainWindow


@pytest.fixture
def windows(qtbot: Any, make_window: Any, tmp_path: Path) -> Any:
    """Windows composed as the app composes them, 1366x768, active (shortcuts reach them)."""

    def make(settings: Settings | None = None) -> MainWindow:
        win = make_window(settings, tmp_path / "state" if settings is not None else None)
        win.resize(1366, 768)
        win.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
        return win

    return make








def json_store(folder: Path, run_async: Any) -> StoreTarget:
    async def seed() -> None:
        plugin = await launch_store(plugin_path("json"), options={"dir": str(folder)})
        try:
            await plugin.store.put_values("A", [Entry("pokedex/trainer.badges", b"8",
                                                      b'{"core.description": "badges of A"}'),
                                                Entry("pokedex/name", b'"ash"')])
            await plugin.store.put_values("B", [Entry("other/key", b'"b"')])
        finally:
            await plugin.close()

    run_async(seed())
    return StoreTarget(plugin_path("json"), {"dir": str(folder)}, "A")




# --- 1. an edit never lands in a tree the user did not edit ------------------------------------
def test_typed_edit_in_tree_a_stays_in_a_when_tree_b_is_clicked(qtbot: Any, windows: Any, run_async: Any,
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "store"
    win = windows()
    run_async(win.open_store(json_store(folder, run_async)))
    click_key(qtbot, win, "pokedex/trainer.badges")
    qtbot.waitUntil(lambda: win.editor.path == "pokedex/trainer.badges")
    type_value(qtbot, win, "9")
    qtbot.waitUntil(lambda: win.editor.can_stage())

    click_tree(qtbot, win, "B")
    # The typed value was staged for A's key; leaving A asks what to do with it.
    click_box(qtbot, win, "ask-unsaved-edits", QMessageBox.StandardButton.Save)
    review = find_dialog(qtbot, win, "review-dialog")
    summary = [label.text() for label in review.findChildren(QLabel) if "will be written" in label.text()]
    assert summary and "tree <b>A</b>" in summary[0], summary
    assert review.findChild(QTableView, "review-table").model().index(0, 0).data() == "pokedex/trainer.badges"
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: win.session.tree_id == "B" and win.session.loaded, timeout=15000)

    a = json.loads((folder / "A.json").read_text())
    b = json.loads((folder / "B.json").read_text())
    assert "9" in json.dumps(a) and "pokedex" not in json.dumps(b), (a, b)
    assert win.editor.path != "pokedex/trainer.badges", "the Value panel no longer shows A's key"
    assert not win.session.staging


def test_opening_another_store_clears_the_value_panel(qtbot: Any, windows: Any, run_async: Any,
                                                      tmp_path: Path, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(json_store(tmp_path / "store", run_async)))
    click_key(qtbot, win, "pokedex/name")
    qtbot.waitUntil(lambda: win.editor.path == "pokedex/name")
    run_async(win.open_store(sqlite_target(short_tmp / "other.sqlite", "default")))
    assert win.editor.path == ""
    assert not win.session.staging


# --- 2. typed but unstaged work is staged for its own key or asked about ------------------------
def test_typed_value_is_staged_for_its_key_when_another_key_is_clicked(qtbot: Any, windows: Any,
                                                                        run_async: Any, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    click_key(qtbot, win, "services/api/replicas")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/replicas")
    type_value(qtbot, win, "12")
    qtbot.waitUntil(lambda: win.editor.can_stage())
    click_key(qtbot, win, "services/api/image")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    change = win.session.staging.get("services/api/replicas")
    assert change is not None and change.new is not None and change.new.value_json == b"12"
    assert win.session.staging.get("services/api/image") is None


def test_invalid_typed_value_asks_before_it_is_left(qtbot: Any, windows: Any, run_async: Any,
                                                    short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    click_key(qtbot, win, "services/api/replicas")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/replicas")
    type_value(qtbot, win, "-")  # half a number: typed, not stageable
    qtbot.waitUntil(lambda: win.editor.dirty and not win.editor.can_stage())
    click_key(qtbot, win, "services/api/image")
    click_box(qtbot, win, "ask-unstaged-edit", QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: win.current_path() == "services/api/replicas")
    assert win.editor.path == "services/api/replicas" and win.editor.dirty, "keep editing: the text stays"
    click_key(qtbot, win, "services/api/image")
    click_box(qtbot, win, "ask-unstaged-edit", QMessageBox.StandardButton.Discard)
    qtbot.waitUntil(lambda: win.editor.path == "services/api/image")
    assert not win.session.staging


def test_quit_with_a_typed_value_asks(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    click_key(qtbot, win, "services/api/replicas")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/replicas")
    type_value(qtbot, win, "13")
    qtbot.waitUntil(lambda: win.editor.can_stage())
    qtbot.keyClick(win, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    click_box(qtbot, win, "ask-unsaved-edits", QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: not win.tasks)
    assert win.isVisible() and win.session.staging.get("services/api/replicas") is not None


# --- 3. nothing edits without an open, readable store ----------------------------------------------
def test_no_editing_after_a_failed_start(qtbot: Any, windows: Any, run_async: Any, tmp_path: Path) -> None:
    win = windows()
    task = win.run(win.open_store(StoreTarget(tmp_path / "nonexistent")), "Opening")
    qtbot.waitUntil(task.done, timeout=15000)
    assert not win.new_key_action.isEnabled() and not win.delete_action.isEnabled()
    qtbot.keyClick(win, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    assert win.findChild(QDialog, "newKeyDialog") is None
    assert not win.session.staging


# --- 4. the value diff always belongs to the comparison on screen -----------------------------------
def test_value_diff_follows_the_picked_versions(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    panel = win.history_panel
    for value in ("3", "4"):
        run_async(win.session.store.write_values("sample", [Entry("services/api/replicas", value.encode())],
                                                 message=f"replicas {value}"))
    run_async(win.reload_tree())
    qtbot.waitUntil(lambda: len(panel.model.rows) == 3 and not panel.model.loading, timeout=10000)
    versions = [r.id for r in panel.model.rows]
    click_key(qtbot, win, "services/api/replicas")
    with qtbot.waitSignal(panel.compared, timeout=15000):
        panel.select_versions([versions[0], versions[1]])
    view = panel.diff_view.value_view
    assert view.change is not None and view.change.path == "services/api/replicas"
    with qtbot.waitSignal(panel.compared, timeout=15000):
        panel.select_versions([versions[1]])  # another pick: compared with the current tree
    diff = panel.diff_view.diff
    assert diff is not None and panel.diff_view.title_label.text().startswith(f"version {versions[1]}")
    assert view.change is None or view._titles == panel.diff_view.labels, "no side-by-side of another comparison"
    assert view.change is None or view.change.path in {c.path for c in diff.iter_changes()}


# --- 5. a conflict keeps the typed message -----------------------------------------------------------
def test_conflict_then_keep_staged_keeps_the_message(qtbot: Any, windows: Any, run_async: Any,
                                                     short_tmp: Path) -> None:
    store_file = short_tmp / "s.sqlite"
    win = windows()
    run_async(win.open_store(sqlite_target(store_file)))
    run_async(win.fill_sample())
    win.session.stage_set("services/api/replicas", b"9", b"")

    run_async(save_elsewhere(store_file, [Entry("services/api/replicas", b"5")]))
    assert win.save_action.isEnabled(), win.last_error
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, win, "review-dialog")
    qtbot.keyClicks(review.findChild(QLineEdit, "review-message"), "scale up for the launch")
    qtbot.mouseClick(review.findChild(QPushButton, "review-save"), Qt.MouseButton.LeftButton)
    conflict = find_dialog(qtbot, win, "conflict-dialog")
    conflict.reject()  # keep my edits staged
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)
    assert win.session.staging.get("services/api/replicas") is not None
    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, win, "review-dialog")
    assert review.findChild(QLineEdit, "review-message").text() == "scale up for the launch"
    review.reject()


# --- 6. a restart reopens the tree worked in ----------------------------------------------------------
def test_restart_reopens_the_tree_worked_in(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path,
                                            tmp_path: Path) -> None:
    store_file = short_tmp / "s.sqlite"
    settings = Settings(tmp_path / "settings.json")
    win = windows(settings)
    run_async(win.open_store(sqlite_target(store_file, "")))
    assert win.session.tree_id == "default"
    run_async(win.fill_sample())  # as --sample does
    run_async(win.session.close())
    again = windows(Settings(tmp_path / "settings.json"))
    run_async(again.open_store(sqlite_target(store_file, "")))
    assert again.session.tree_id == "sample" and again.session.index.entries


# --- 7. locking takes the history off the screen, without an error -------------------------------
def test_lock_with_history_shown(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path) -> None:
    win = encrypted_store_with_history(qtbot, windows, run_async, short_tmp, "secret message")
    panel = win.history_panel
    assert any(r.info and r.info.message == "secret message" for r in panel.model.rows)
    lock_now(qtbot, win)
    assert win.findChild(QMessageBox, "error-box") is None, win.last_error
    assert not panel.model.rows and "locked" in panel.title_label.text()
    assert not win.session.index.entries and win.model.rowCount() == 0


def unlock_with_the_dialog(qtbot: Any, win: Any, passphrase: str) -> None:
    win.findChild(type(win.save_action), "action-unlock").trigger()
    find_dialog(qtbot, win, "unlock-dialog")
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    qtbot.keyClicks(QApplication.focusWidget(), passphrase)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.session.locked and win.session.loaded and not win.tasks, timeout=20000)


def encrypted_store_with_history(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path,
                                 message: str = "moved") -> Any:
    """A window on an encrypted store whose tree has two versions, the latest saved with ``message``."""
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    run_async(win.session.store.init_encryption(b"correct horse battery staple"))
    run_async(win.session.refresh_capabilities())
    run_async(win.session.store.write_values("sample", [Entry("global/region", b'"eu"')], message=message))
    run_async(win.reload_tree())
    panel = win.history_panel
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 2, timeout=10000)
    return win


def lock_now(qtbot: Any, win: Any) -> None:
    lock = win.findChild(type(win.save_action), "action-lock")
    qtbot.waitUntil(lock.isEnabled)
    lock.trigger()
    qtbot.waitUntil(lambda: win.session.locked and not win.tasks, timeout=10000)


def test_unlocking_shows_again_the_diff_shown_before_the_lock(qtbot: Any, windows: Any, run_async: Any,
                                                              short_tmp: Path) -> None:
    win = encrypted_store_with_history(qtbot, windows, run_async, short_tmp)
    panel = win.history_panel
    older = panel.model.rows[1].id
    panel.select_versions([older])
    qtbot.waitUntil(lambda: panel.diff_view.diff is not None, timeout=10000)
    lock_now(qtbot, win)
    assert panel.diff_view.diff is None and "locked" in panel.diff_view.value_view.placeholder.text()
    unlock_with_the_dialog(qtbot, win, "correct horse battery staple")
    qtbot.waitUntil(lambda: panel.diff_view.diff is not None, timeout=10000)
    assert [r.id for r in panel.selected_rows()] == [older]
    assert panel.diff_view.title_label.text().startswith(f"version {older}")
    assert "global/region" in {c.path for c in panel.diff_view.diff.iter_changes()}


def test_unlocking_with_nothing_selected_takes_the_lock_message_away(qtbot: Any, windows: Any, run_async: Any,
                                                                     short_tmp: Path) -> None:
    win = encrypted_store_with_history(qtbot, windows, run_async, short_tmp)
    panel = win.history_panel
    lock_now(qtbot, win)
    assert "locked" in panel.diff_view.value_view.placeholder.text()
    unlock_with_the_dialog(qtbot, win, "correct horse battery staple")
    qtbot.waitUntil(lambda: len(panel.model.rows) >= 2, timeout=10000)
    assert "locked" not in panel.diff_view.value_view.placeholder.text()
    assert "Select a version" in panel.diff_view.value_view.placeholder.text()


# --- 8. a passphrase only ever reaches a password field ----------------------------------------------
def test_typing_in_unlock_and_encrypt_dialogs_reaches_the_passphrase_field(qtbot: Any, windows: Any,
                                                                           run_async: Any, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    win.findChild(type(win.save_action), "action-encrypt").trigger()
    dialog = find_dialog(qtbot, win, "encrypt-dialog")
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    qtbot.keyClicks(QApplication.focusWidget(), "tangerine otter 42 blue")
    assert dialog.findChild(QLineEdit, "new-passphrase").text() == "tangerine otter 42 blue"
    dialog.reject()
    qtbot.waitUntil(lambda: not win.tasks, timeout=10000)

    run_async(win.session.store.init_encryption(b"tangerine otter 42 blue"))
    run_async(win.session.store.lock())
    run_async(win.session.refresh_capabilities())
    win.findChild(type(win.save_action), "action-unlock").trigger()
    unlock = find_dialog(qtbot, win, "unlock-dialog")
    qtbot.waitUntil(lambda: isinstance(QApplication.focusWidget(), QLineEdit))
    qtbot.keyClicks(QApplication.focusWidget(), "tangerine otter 42 blue")  # spaces included
    assert unlock.isVisible(), "a space never cancels the dialog"
    assert unlock.findChild(QLineEdit, "passphrase").text() == "tangerine otter 42 blue"
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not win.session.locked and win.session.loaded, timeout=20000)


# --- 9. saves made elsewhere are noticed ---------------------------------------------------------------
def test_saves_elsewhere_are_noticed_and_reload_keeps_staged_edits(qtbot: Any, windows: Any, run_async: Any,
                                                                   short_tmp: Path) -> None:
    store_file = short_tmp / "s.sqlite"
    win = windows()
    run_async(win.open_store(sqlite_target(store_file)))
    run_async(win.fill_sample())
    win.session.stage_set("global/region", b'"mine"', b"")

    run_async(save_elsewhere(store_file, [Entry("services/api/replicas", b"42"), Entry("global/new", b"1")]))
    win.check_for_changes()  # what the timer and a focus change do
    qtbot.waitUntil(lambda: "2 key(s) changed elsewhere" in win.banner.text(), timeout=10000)
    assert win.banner.isVisible()
    click_link(qtbot, win.banner)  # its one link: Reload
    qtbot.waitUntil(lambda: "global/new" in win.session.index.entries, timeout=10000)
    assert win.session.index.entries["services/api/replicas"].value_json == b"42"
    assert win.session.staging.get("global/region") is not None, "staged edits are kept"
    assert "changed elsewhere" not in win.banner.text()


# --- kill the plugin mid-edit: the typed text survives the reconnect ----------------------------------
def test_plugin_killed_mid_edit_keeps_typed_text_and_staged_edits(qtbot: Any, windows: Any, run_async: Any,
                                                                  short_tmp: Path) -> None:
    import os
    import signal

    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    win.session.stage_set("global/region", b'"staged before the crash"', b"")
    click_key(qtbot, win, "services/api/replicas")
    qtbot.waitUntil(lambda: win.editor.path == "services/api/replicas")
    type_value(qtbot, win, "-")  # half typed, not stageable yet
    qtbot.waitUntil(lambda: win.editor.dirty and not win.editor.can_stage())
    supervisor = win.session.supervisor
    assert supervisor is not None and supervisor.plugin is not None
    old_pid = supervisor.plugin.pid
    os.kill(old_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: supervisor.plugin is not None and supervisor.plugin.pid != old_pid
                    and win.session.plugin_state.value == "running" and not win.tasks, timeout=20000)
    # calls cut off by the crash get a grace period before any error box: wait it out
    qtbot.waitUntil(lambda: win.pending_error_checks == 0, timeout=10000)
    assert win.editor.path == "services/api/replicas" and win.editor.dirty
    field = win.editor.findChild(QLineEdit, "numberEdit")
    assert field is not None and field.text() == "-"
    assert win.session.staging.get("global/region") is not None
    assert win.findChild(QMessageBox, "error-box") is None, "calls cut off by the crash raise no error box"
    activate(qtbot, win)
    qtbot.keyClicks(field, "4")  # finish typing and stage: lands on its own key
    qtbot.keyClick(field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    change = win.session.staging.get("services/api/replicas")
    assert change is not None and change.new is not None and change.new.value_json == b"-4"


# --- a missing store location is created only when the user says so -----------------------------------
def test_missing_sqlite_store_asks_before_creating_it(qtbot: Any, windows: Any, run_async: Any,
                                                      short_tmp: Path) -> None:
    missing = short_tmp / "typo" / "stor.sqlite"
    win = windows()
    target = StoreTarget(plugin_path("sqlite"), {"path": str(missing)}, "")
    task = win.run(win.open_store(target), "Opening")
    click_box(qtbot, win, "ask-create-store", QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(task.done, timeout=15000)
    assert not missing.exists() and not missing.parent.exists(), "nothing is created without asking"
    assert not win.session.is_open and not win.new_key_action.isEnabled()

    task = win.run(win.open_store(target), "Opening")
    click_box(qtbot, win, "ask-create-store", QMessageBox.StandardButton.Yes)
    qtbot.waitUntil(task.done, timeout=15000)
    assert task.exception() is None
    assert missing.is_file() and win.session.can_edit


# --- a save a plain zhi store takes in parts is said before it is made ---------------------------------
@pytest.mark.interop
def test_review_warns_when_a_plain_zhi_store_takes_the_save_in_parts(qtbot: Any, windows: Any,
                                                                     run_async: Any) -> None:
    from tests.conftest import interop_binary

    gopeer = interop_binary("zhi-store-gopeer")
    win = windows()
    run_async(win.open_store(StoreTarget(gopeer, {}, "t", known_paths=("app/name",))))
    big = b'"' + b"x" * (1024 * 1024) + b'"'
    for i in range(5):  # 5 MiB: over a Go plugin's 4 MiB message limit
        win.session.stage_set(f"blob/{i}", big, b"")
    activate(qtbot, win)
    qtbot.keyClick(win, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    review = find_dialog(qtbot, win, "review-dialog")
    warning = review.findChild(QLabel, "review-split-warning")
    assert warning is not None and "not atomic" in warning.text()
    assert not review.findChild(QPushButton, "review-save").isEnabled()
    review.reject()


# --- Store > Check store on the open sqlite file --------------------------------------------------------
def test_check_store_from_the_store_menu(qtbot: Any, windows: Any, run_async: Any, short_tmp: Path) -> None:
    from zhi_gui.ui.store_check import StoreCheckWindow

    store_file = short_tmp / "s.sqlite"
    win = windows()
    check = win.findChild(type(win.save_action), "action-check-store")
    assert check is not None and not check.isEnabled(), "nothing to check without a store"
    run_async(win.open_store(sqlite_target(store_file)))
    run_async(win.fill_sample())
    assert check.isEnabled()
    before = store_file.read_bytes()
    check.trigger()
    found = [w for w in QApplication.topLevelWidgets() if isinstance(w, StoreCheckWindow) and w.isVisible()]
    assert len(found) == 1
    # The check is a task on the Qt loop: it cannot finish before the loop spins in waitSignal.
    with qtbot.waitSignal(found[0].finished, timeout=60000) as outcome:
        pass
    assert outcome.args[0].status == "intact", outcome.args[0].report
    assert store_file.read_bytes() == before, "a check never changes the file"
    found[0].close()


def test_comparing_while_an_unchanged_key_is_shown_selects_the_first_change(qtbot: Any, windows: Any,
                                                                           run_async: Any, short_tmp: Path) -> None:
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    run_async(win.session.store.write_values("sample", [Entry("services/api/replicas", b"6")], message="six"))
    run_async(win.reload_tree())
    panel = win.history_panel
    qtbot.waitUntil(lambda: len(panel.model.rows) == 2 and not panel.model.loading, timeout=10000)
    click_key(qtbot, win, "services/api/image")  # not changed between the versions
    with qtbot.waitSignal(panel.compared, timeout=15000):
        panel.select_versions([panel.model.rows[1].id])
    assert panel.diff_view.selected_path() == "services/api/replicas"
    view = panel.diff_view.value_view
    assert view.change is not None and view.change.path == "services/api/replicas"


def test_the_sample_filled_again_adds_no_version_unless_it_changed(qtbot: Any, windows: Any, run_async: Any,
                                                                   short_tmp: Path) -> None:
    """``run.sh --sample`` run again wrote the same values as one more version each time."""
    win = windows()
    run_async(win.open_store(sqlite_target(short_tmp / "s.sqlite")))
    run_async(win.fill_sample())
    store = win.session.store
    assert len(run_async(store.list_tree_versions("sample"))) == 1
    run_async(win.fill_sample())
    assert len(run_async(store.list_tree_versions("sample"))) == 1, "the same sample: shown, not written again"
    from zhi_gui.core.sample import sample_entries

    count = len(sample_entries())
    assert win.statusBar().currentMessage() == f"Tree \u201csample\u201d already holds the sample ({count} values)"
    run_async(store.put_values("sample", [Entry("services/api/replicas", b"12")]))
    run_async(win.fill_sample())
    assert len(run_async(store.list_tree_versions("sample"))) == 3, "an edited sample is written again"
    sample = {e.path: e.value_json for e in sample_entries()}
    assert win.session.index.entries["services/api/replicas"].value_json == sample["services/api/replicas"]
