"""The Help menu: Keyboard shortcuts, Where data lives, About.

The shortcuts list is read from the window's actions (so it cannot drift from
what the keys do), plus the keys that belong to single widgets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QMainWindow,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from zhi_gui import __version__
from zhi_gui.services.settings import default_settings_path

# The dialog classes are imported where used: PySide makes a Qt class's enums when it is first
# used, and the Help menu is built for the first paint, its dialogs are not (issue 14).
if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

WIDGET_KEYS = (
    ("Filter: clear it", "Esc"),
    ("Filter: into the results (first match)", "Down"),
    ("Filter: to the value tree", "Enter"),
    ("Value tree: edit the value", "Enter / F2"),
    ("Value tree: stage deleting the key", "Del"),
    ("Value editor: stage (one-line field)", "Enter"),
    ("Value editor: stage (any field)", "Ctrl+Enter"),
    ("Value editor: undo typing, back to the tree", "Esc"),
)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str]]:
    """(what, keys) for every action with a shortcut, then the widgets' own keys."""
    rows: dict[str, str] = {}
    for action in window.findChildren(QAction):
        keys = action.shortcut()
        if keys.isEmpty() or not action.text():
            continue
        what = action.text().replace("&&", "\0").replace("&", "").replace("\0", "&").rstrip("\u2026.")
        rows.setdefault(what, keys.toString(QKeySequence.SequenceFormat.NativeText))
    return sorted(rows.items(), key=lambda row: row[0].lower()) + list(WIDGET_KEYS)


def data_locations(window: QMainWindow) -> list[tuple[str, str]]:
    # The sqlite store's options and the plugin state's modules load with this dialog, not with
    # the window's menus.
    from zhi_gui.services.plugin_state import default_plugin_state_root
    from zhi_gui.stores.sqlite.options import default_path as default_store_path

    settings = getattr(window, "settings", None)
    settings_path = getattr(settings, "path", None) or default_settings_path()
    state_root = getattr(window, "state_root", None) or default_plugin_state_root()
    return [
        ("Settings", str(settings_path)),
        ("Plugin state (per plugin and store)", str(state_root)),
        ("Embedded store (default)", str(default_store_path())),
        ("Passphrases and logins", "the system keyring (never written to a file)"),
        ("Logs", "standard error of the terminal zhi-gui was started from (--log-level); "
                 "each plugin's log: the Plugin panel"),
        ("Cache", str(Path(platformdirs.user_cache_dir("zhi-gui")))),
    ]


def _table_dialog(parent: QWidget, name: str, title: str, headers: tuple[str, str],
                  rows: list[tuple[str, str]], intro: str = "") -> QDialog:
    from PySide6.QtWidgets import QDialog, QDialogButtonBox

    dialog = QDialog(parent)
    dialog.setObjectName(name)
    dialog.setWindowTitle(title)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    layout = QVBoxLayout(dialog)
    if intro:
        label = QLabel(intro)
        label.setWordWrap(True)
        layout.addWidget(label)
    table = QTableWidget(len(rows), 2)
    table.setObjectName(name + "-table")
    table.setAccessibleName(title)
    table.setHorizontalHeaderLabels(list(headers))
    table.verticalHeader().hide()
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    for row, (left, right) in enumerate(rows):
        table.setItem(row, 0, QTableWidgetItem(left))
        table.setItem(row, 1, QTableWidgetItem(right))
    table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
    table.horizontalHeader().setStretchLastSection(True)
    layout.addWidget(table, 1)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    dialog.resize(720, 480)
    return dialog


def install_help(window: QMainWindow) -> QMenu:
    menu = window.menuBar().addMenu("&Help")
    menu.setObjectName("help-menu")

    def shortcuts() -> None:
        _table_dialog(window, "shortcuts-dialog", "Keyboard shortcuts", ("Action", "Keys"),
                      shortcut_rows(window)).open()

    def locations() -> None:
        _table_dialog(window, "data-dialog", "Where data lives", ("What", "Where"), data_locations(window),
                      "zhi-gui keeps its own data in these places; the stores themselves are where you "
                      "opened them.").open()

    def about() -> None:
        import html

        from PySide6.QtWidgets import QMessageBox

        box_text = (f"<b>zhi-gui {html.escape(__version__)}</b><p>A desktop client for zhi configuration "
                    "stores: browse, edit, review and save, with history, diffs and encryption.</p>"
                    "<p>Store back ends are zhi plugins (hashicorp/go-plugin over gRPC).</p>")
        box = QMessageBox(QMessageBox.Icon.Information, "About zhi-gui", box_text,
                          QMessageBox.StandardButton.Close, window)
        box.setObjectName("about-dialog")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    for name, text, slot, keys in (("action-shortcuts", "Keyboard shortcuts", shortcuts, "Ctrl+/"),
                                   ("action-data-locations", "Where data lives", locations, None),
                                   ("action-about", "About zhi-gui", about, None)):
        action = QAction(text, window)
        action.setObjectName(name)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        window.addAction(action)
        menu.addAction(action)
    return menu
