"""The menu entries of the store dialogs: File > Import... / Export..., Store >
Compare..., Copy or move subtree... and Store > Rename tree...

Only the actions are made with the window; each dialog's module (and what it
needs: the transfer formats, other stores' plugins, the diff view) loads when its
action is first triggered, so none of it weighs on the window's first paint."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from zhi_gui.ui.window_api import follow_store

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi


def install_transfer(window: WindowApi) -> tuple[QAction, QAction]:
    """File > Export... and File > Import..., enabled while a tree is shown."""
    main = window.main_window()
    export_action = QAction("Export\u2026", main)
    export_action.setObjectName("action-export")
    import_action = QAction("Import\u2026", main)
    import_action.setObjectName("action-import")

    def export() -> None:
        from zhi_gui.ui.transfer_dialogs import export_flow

        window.run(export_flow(window), "Exporting", "export")

    def import_() -> None:
        from zhi_gui.ui.transfer_dialogs import import_flow

        window.run(import_flow(window), "Importing", "import")

    export_action.triggered.connect(export)
    import_action.triggered.connect(import_)

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
    main = window.main_window()
    copy_action = QAction("Copy or move subtree\u2026", main)
    copy_action.setObjectName("action-copy-subtree")
    rename_action = QAction("Rename tree\u2026", main)
    rename_action.setObjectName("action-rename-tree")

    def copy() -> None:
        from zhi_gui.ui.subtree_dialogs import copy_flow

        window.run(copy_flow(window), "Copying", "copy")

    def rename() -> None:
        from zhi_gui.ui.subtree_dialogs import rename_flow

        window.run(rename_flow(window), "Renaming the tree", "rename")

    copy_action.triggered.connect(copy)
    rename_action.triggered.connect(rename)

    def update() -> None:
        shown = window.session.can_edit
        copy_action.setEnabled(shown)
        rename_action.setEnabled(shown)

    window.context_actions.append(copy_action)
    window.store_menu.addActions([copy_action, rename_action])
    follow_store(window, update)
    return copy_action, rename_action
