"""Keys another client changed are marked in the value tree (bold, a dot, a
tooltip naming the version) after the Reload that brings them, until the user
selects them; the groups above stay marked while a key below them is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QStyleOptionViewItem, QToolTip

from tests.gui.helpers import activate, click_key, save_elsewhere, sqlite_target
from zhi_gui.core.model import Entry
from zhi_gui.ui.change_marks import DOT
from zhi_gui.ui.main_window import MainWindow


def look(win: MainWindow, path: str) -> tuple[bool, str]:
    """How the row's name is drawn: bold, and its text."""
    index = win.model.index_of_path(path)
    assert index.isValid(), path
    option = QStyleOptionViewItem()
    win.tree_view.itemDelegate().initStyleOption(option, index)
    return option.font.bold(), option.text


def hover_tooltip(qtbot: Any, win: MainWindow, path: str) -> str:
    """The tooltip a user sees when resting the mouse on the row."""
    index = win.model.index_of_path(path)
    parent = index.parent()
    while parent.isValid():
        win.tree_view.expand(parent)
        parent = parent.parent()
    win.tree_view.scrollTo(index)
    qtbot.waitUntil(lambda: win.tree_view.visualRect(index).isValid())
    center = win.tree_view.visualRect(index).center()
    viewport = win.tree_view.viewport()
    event = QHelpEvent(QEvent.Type.ToolTip, center, viewport.mapToGlobal(center))
    QApplication.sendEvent(viewport, event)
    return QToolTip.text()


def test_a_save_from_another_client_shows_marks_until_selected(qtbot: Any, make_window: Any, run_async: Any,
                                                               short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"
    win = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(store)))
    run_async(win.fill_sample())
    assert not look(win, "services/api/replicas")[0]

    run_async(save_elsewhere(store, [Entry("services/api/replicas", b"9"), Entry("services/auth/port", b"9001")]))
    win.check_for_changes()  # what the 5 s timer or activating the window does
    qtbot.waitUntil(lambda: "changed elsewhere" in win.banner.text())
    qtbot.keyClick(win.tree_view, Qt.Key.Key_F5)  # Reload
    qtbot.waitUntil(lambda: win.session.index.entries["services/api/replicas"].value_json == b"9")
    qtbot.waitUntil(lambda: look(win, "services/api/replicas")[0])

    bold, text = look(win, "services/api/replicas")
    assert bold and text == DOT + "replicas"
    for group in ("services", "services/api", "services/auth"):
        assert look(win, group)[0], f"{group} holds a changed key"
    assert look(win, "services/auth/port")[0]
    assert look(win, "services/api/port") == (False, "port"), "an unchanged key is drawn as before"
    assert not look(win, "global")[0]
    tip = hover_tooltip(qtbot, win, "services/api/replicas")
    assert "in version" in tip and "changed" in tip, tip

    click_key(qtbot, win, "services/api/replicas")  # the user looks at it: its mark goes
    qtbot.waitUntil(lambda: not look(win, "services/api/replicas")[0])
    assert not look(win, "services/api")[0], "nothing else changed in services/api"
    assert look(win, "services")[0] and look(win, "services/auth/port")[0], "the other key stays marked"


def test_marks_belong_to_their_tree(qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    store = short_tmp / "s.sqlite"
    win = make_window()
    win.resize(1366, 768)
    run_async(win.open_store(sqlite_target(store)))
    run_async(win.fill_sample())
    run_async(save_elsewhere(store, [Entry("global/region", b'"us-east-1"')]))
    run_async(win.session.check_for_changes())
    run_async(win.reload_tree())
    assert look(win, "global/region")[0]
    run_async(win.session.create_tree("other", [Entry("global/region", b'"x"')]))
    run_async(win.switch_tree("other"))
    qtbot.waitUntil(lambda: win.session.tree_id == "other")
    assert not look(win, "global/region")[0], "another tree starts without marks"


def test_a_key_removed_elsewhere_marks_its_group_until_the_group_is_selected(
        qtbot: Any, make_window: Any, run_async: Any, short_tmp: Path) -> None:
    from tests.conftest import plugin_path
    from zhi_gui.plugin.launcher import launch_store

    store = short_tmp / "s.sqlite"
    win = make_window()
    win.resize(1366, 768)
    activate(qtbot, win)
    run_async(win.open_store(sqlite_target(store)))
    run_async(win.fill_sample())

    async def remove_elsewhere() -> None:
        plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store)})
        try:
            await plugin.store.write_values("sample", [], ["services/api/cache/url"], message="them")
        finally:
            await plugin.close()

    run_async(remove_elsewhere())
    run_async(win.session.check_for_changes())
    qtbot.keyClick(win.tree_view, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "services/api/cache/url" not in win.session.index.entries)
    qtbot.waitUntil(lambda: look(win, "services/api/cache")[0])
    assert look(win, "services/api")[0] and not look(win, "services/api/cache/ttl-seconds")[0]
    assert "1 key(s) below changed elsewhere" in hover_tooltip(qtbot, win, "services/api/cache")
    click_key(qtbot, win, "services/api/cache")  # the group is looked at: the removal is seen
    qtbot.waitUntil(lambda: not look(win, "services/api/cache")[0])
    assert not look(win, "services")[0]
