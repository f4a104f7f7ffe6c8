"""Version history, diff and rollback.

``install_history(window)`` is the one entry point: it adds the History dock
(version list, key history) and the Diff dock (whole-tree diff beside the
side-by-side value diff) to a window (:class:`~zhi_gui.ui.window_api.WindowApi`), a
History menu, entries in the Store and View menus, and connects the session's
signals. What is read and written lives in :mod:`zhi_gui.session.history`. Modules:

``versions_model``    the version list model (pages, "Staged edits" pseudo-row)
``tree_diff_model``   the lazy tree model over ``TreeDiff``
``value_diff``        the side-by-side value diff (panes, link map, master scrollbar)
``scrollsync``        aligned rows for the master scrollbar (Qt-free)
``diff_view``         tree diff + value diff, counts, filter, next/previous change
``diff_holder``       the Diff dock's content: builds the diff view when first needed
``key_history_view``  the history of one key
``rollback_dialog``   preview + confirmation of a rollback
``panel``             the History panel that ties them together
``timefmt``           "5 min ago" and exact local times (Qt-free)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMenu

from zhi_gui.ui.history.diff_holder import DiffHolder

if TYPE_CHECKING:
    from zhi_gui.ui.history.diff_view import DiffView
    from zhi_gui.ui.history.panel import HistoryPanel
    from zhi_gui.ui.window_api import WindowApi

__all__ = ["DiffView", "HistoryPanel", "install_history"]


def __getattr__(name: str) -> object:
    # DiffView is imported when first used (the Diff dock is hidden at the first paint),
    # HistoryPanel when the panel is made (see install_history)
    if name == "DiffView":
        from zhi_gui.ui.history.diff_view import DiffView

        return DiffView
    if name == "HistoryPanel":
        from zhi_gui.ui.history.panel import HistoryPanel

        return HistoryPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_history(window: WindowApi, *, panel_later: bool = False) -> HistoryPanel | None:
    """Create the History and Diff docks, their menus, and wire them to the window.

    ``panel_later`` (the app's first window): the History dock shows the panel's empty
    title until the panel is made, on first use of ``window.history_panel`` (the app
    completes the window a step per turn after its first paint; the panel and its modules
    were a thirtieth of the instructions to the first paint). Its History menu is in the
    menu bar from the start, and gets its entries with the panel."""
    main = window.main_window()
    # The window's own record, not findChild: that wraps each of the window's widgets for
    # Python (and makes their classes' enums), a cost the first paint would wait for.
    if window.history_panel is not None:
        raise RuntimeError("this window already has a History panel")
    # The diff view itself is built when first needed: its dock is behind the Plugin tab
    diff_holder = DiffHolder(run=window.run)
    diff_dock = window.add_dock("Diff", "diff-dock", diff_holder, Qt.DockWidgetArea.BottomDockWidgetArea)
    diff_dock.visibilityChanged.connect(diff_holder.dock_visibility_changed)
    main.tabifyDockWidget(window.plugin_dock, diff_dock)
    window.plugin_dock.raise_()
    placeholder = QLabel("No store is open.")  # the panel's own empty title, as it looks
    placeholder.setObjectName("history-placeholder")
    font = placeholder.font()
    font.setBold(True)
    placeholder.setFont(font)
    placeholder.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
    placeholder.setContentsMargins(4, 4, 4, 4)
    dock = window.add_dock("History", "history-dock", placeholder, Qt.DockWidgetArea.RightDockWidgetArea)
    main.splitDockWidget(window.editor_dock, dock, Qt.Orientation.Vertical)
    # The right column (value editor above history) runs down to the bottom edge, so the
    # version list keeps its height when the Diff dock opens below the value tree.
    main.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
    main.resizeDocks([window.editor_dock, dock], [330, 520], Qt.Orientation.Vertical)
    main.resizeDocks([dock], [520], Qt.Orientation.Horizontal)

    menu = QMenu("&History", main)
    menu.setObjectName("history-menu-bar")
    view_menu = window.view_menu
    main.menuBar().insertMenu(view_menu.menuAction(), menu)
    view_menu.addAction(dock.toggleViewAction())
    view_menu.addAction(diff_dock.toggleViewAction())

    def make_panel() -> HistoryPanel:
        from zhi_gui.ui.history.panel import HistoryPanel

        panel = HistoryPanel(window, diff_holder, diff_dock)
        window.fill_dock(dock, panel)
        panel.dock = dock
        for action in (panel.show_action, dock.toggleViewAction(), diff_dock.toggleViewAction(), None,
                       panel.compare_action, panel.staged_action, panel.key_history_action, None,
                       panel.next_change_action, panel.prev_change_action, None,
                       panel.rollback_action, panel.delete_version_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        window.store_menu.addSeparator()
        for action in (panel.show_action, panel.rollback_action, panel.delete_version_action):
            window.store_menu.addAction(action)

        e = window.events
        e.treeLoaded.connect(panel.on_tree_loaded)
        e.capabilitiesChanged.connect(lambda: panel.on_tree_loaded())
        e.valuesHidden.connect(panel.on_values_hidden)
        e.staged.connect(panel.on_staged)
        e.saved.connect(panel.on_saved)
        e.changedElsewhere.connect(lambda report: panel.on_saved() if report.applied else None)  # a live update
        e.opened.connect(panel.on_store_opened)
        window.tree_view.selectionModel().currentChanged.connect(panel.on_path_changed)
        window.context_actions.append(panel.key_history_action)
        return panel

    if panel_later:
        window.make_history_panel = make_panel
        return None
    window.history_panel = panel = make_panel()
    return panel
