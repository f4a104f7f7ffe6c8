"""The menu entries of the store dialogs: File > Import... / Export..., Store >
Compare..., Copy or move subtree... and Store > Rename tree...

Only the actions are made with the window; each dialog's module (and what it
needs: the transfer formats, other stores' plugins, the diff view) loads when its
action is first triggered, so none of it weighs on the window's first paint."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from zhi_gui.ui.window_api import follow_store

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi


def _flow_action(window: WindowApi, text: str, name: str, module: str, flow: str, what: str,
                 task: str) -> QAction:
    """An action that runs ``module.flow(window)`` as the window's task ``task``; the module
    is imported when the action is first triggered."""
    action = QAction(text, window.main_window())
    action.setObjectName(name)

    def run() -> None:
        window.run(getattr(importlib.import_module(module), flow)(window), what, task)

    action.triggered.connect(run)
    return action


def install_transfer(window: WindowApi) -> tuple[QAction, QAction]:
    """File > Export... and File > Import..., enabled while a tree is shown."""
    transfer = "zhi_gui.ui.transfer_dialogs"
    export_action = _flow_action(window, "Export\u2026", "action-export", transfer, "export_flow", "Exporting",
                                 "export")
    import_action = _flow_action(window, "Import\u2026", "action-import", transfer, "import_flow", "Importing",
                                 "import")

    def update() -> None:
        export_action.setEnabled(window.session.loaded and bool(window.session.tree_id))
        import_action.setEnabled(window.session.can_edit)

    menu = window.file_menu
    # After Open store and the recent stores (the window registry's entries among them,
    # whether it adopted the window before or after this): before the first separator.
    anchor = next((action for action in menu.actions() if action.isSeparator()), None)
    if anchor is None:
        menu.addActions([import_action, export_action])
    else:
        menu.insertActions(anchor, [import_action, export_action])
        menu.insertSeparator(anchor)
    follow_store(window, update)
    return export_action, import_action


def install_compare(window: WindowApi) -> QAction:
    """Store > Compare... (Ctrl+Shift+D), enabled while a tree is shown."""
    main = window.main_window()
    action = QAction("Compare\u2026", main)
    action.setObjectName("action-compare-anything")
    action.setShortcut("Ctrl+Shift+D")

    def open_dialog() -> None:
        from zhi_gui.ui.compare_dialog import CompareDialog

        dialog = CompareDialog(window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()

    action.triggered.connect(open_dialog)

    def update() -> None:
        action.setEnabled(window.session.loaded and bool(window.session.tree_id))

    window.store_menu.addAction(action)
    follow_store(window, update)
    return action


def install_subtree_actions(window: WindowApi) -> tuple[QAction, QAction]:
    """Copy or move subtree... (context menu and Store menu) and Store > Rename tree..."""
    dialogs = "zhi_gui.ui.subtree_dialogs"
    copy_action = _flow_action(window, "Copy or move subtree\u2026", "action-copy-subtree", dialogs, "copy_flow",
                               "Copying", "copy")
    rename_action = _flow_action(window, "Rename tree\u2026", "action-rename-tree", dialogs, "rename_flow",
                                 "Renaming the tree", "rename")

    def update() -> None:
        shown = window.session.can_edit
        copy_action.setEnabled(shown)
        rename_action.setEnabled(shown)

    window.context_actions.append(copy_action)
    window.store_menu.addActions([copy_action, rename_action])
    follow_store(window, update)
    return copy_action, rename_action
