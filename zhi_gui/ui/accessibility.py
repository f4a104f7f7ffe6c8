"""Names for screen readers and a Tab order that follows the layout.

Qt's accessibility interface (what Orca and other screen readers read) names a
widget by its accessible name, else by its text (buttons, labels); views, lists,
tables and many fields have neither, so a screen reader says only "tree" or
"edit". :data:`NAMES` gives the main window's controls a name and a description
(one place, by object name); editors and dialogs name their own fields where
they build them. :func:`name_unnamed` is the fallback for everything else: it
takes the text a sighted user reads for the control (its buddy label, its
placeholder, its tooltip), never a made-up one.

The Tab order runs as the window reads: the store bar, the trees, the filter,
the value tree, the value editor (which keeps its own order inside), the
history, then the rest (plugin, diff).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from PySide6.QtCore import QChildEvent, QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTabWidget,
    QWidget,
)

if TYPE_CHECKING:
    from zhi_gui.ui.main_window import MainWindow

# object name -> (accessible name, accessible description)
NAMES: dict[str, tuple[str, str]] = {
    "trees": ("Trees", "The trees of the open store; select one to show its values"),
    "new-tree": ("New tree", "Create a new, empty tree in this store"),
    "delete-tree": ("Delete tree", "Delete the selected tree from the store"),
    "filter": ("Filter", "Show only keys and values containing this text; Down moves into the results, "
               "Escape clears it"),
    "value-tree": ("Values", "The keys and values of the selected tree; F2 edits the selected value"),
    "restart-plugin": ("Restart plugin", "Stop the store plugin and start it again"),
    "plugin-log": ("Plugin log", "What the store plugin wrote to its log"),
    "history-tabs": ("History", "Versions of the tree, or the history of the selected key"),
    "history-list": ("Versions", "The saved versions of this tree, newest first; select one to compare"),
    "history-refresh": ("Reload history", "Read the versions again"),
    "history-compare-mode": ("Compare mode", "What one selected version is compared with"),
    "diff-title": ("Compared versions", "Which versions the diff shows"),
    "diff-tree": ("Differences", "The keys that differ between the compared versions"),
    "diff-only-changes": ("Only changes", "Show only the keys that changed"),
    "diff-reveal": ("Reveal secrets", "Show secret values in the diff"),
    "key-history-list": ("Key history", "Each change of the selected key, newest first"),
    # dialogs
    "review-table": ("Changes to save", "Path, action, value before and after of each staged change"),
    "conflict-table": ("Conflicts", "Your value, theirs and the one you started from, and which to keep"),
    "import-changes": ("Changes the import makes", "The keys the import adds, changes or removes"),
    "store-check-report": ("Check report", "What the check of the store file found"),
    "value-diff-left": ("Older value", "The selected key's value in the older version"),
    "value-diff-right": ("Newer value", "The selected key's value in the newer version"),
}


def _buddy_texts(root: QWidget) -> dict[int, str]:
    """The text of every label that is a buddy of a field under ``root``."""
    texts: dict[int, str] = {}
    for label in root.findChildren(QLabel):
        buddy = label.buddy()
        if buddy is not None:
            texts[id(buddy)] = label.text().replace("&", "").rstrip(" :*")
    return texts


def derived_name(widget: QWidget, buddies: dict[int, str]) -> str:
    """What a sighted user reads for this control ("" when there is nothing)."""
    combo = widget.parentWidget()
    if isinstance(widget, QLineEdit) and isinstance(combo, QComboBox):  # an editable combo's field
        return combo.accessibleName() or derived_name(combo, buddies)
    if id(widget) in buddies and buddies[id(widget)]:
        return buddies[id(widget)]
    if isinstance(widget, QAbstractButton) and widget.text():
        return widget.text().replace("&", "")
    if isinstance(widget, (QLineEdit, QPlainTextEdit)) and widget.placeholderText():
        return widget.placeholderText()
    return widget.toolTip()


def name_unnamed(root: QWidget) -> None:
    """Give each focusable control under ``root`` that has no accessible name the text
    the user reads for it (buddy label, button text, placeholder, tooltip)."""
    buddies = _buddy_texts(root)
    for widget in root.findChildren(QWidget):
        if widget.focusPolicy() == Qt.FocusPolicy.NoFocus or widget.accessibleName():
            continue
        name = derived_name(widget, buddies)
        if name:
            widget.setAccessibleName(name)


def apply_names(root: QWidget) -> None:
    for name, (text, description) in NAMES.items():
        for widget in root.findChildren(QWidget, name):
            widget.setAccessibleName(text)
            widget.setAccessibleDescription(description)
    name_unnamed(root)


def layout_tab_order(window: MainWindow) -> list[QWidget]:
    """The window's controls in reading order (those that exist now)."""
    editor = window.editor
    order: list[QWidget] = [window.open_button, window.trees_list]
    order += [w for w in (window.findChild(QWidget, "new-tree"), window.findChild(QWidget, "delete-tree")) if w]
    order += [window.filter_edit, window.tree_view, editor.type_combo]
    panel = window.history_panel
    if panel is not None:
        tabs: QTabWidget = panel.tabs
        order += [tabs, panel.compare_mode, panel.reveal, panel.rollback_button, panel.delete_button,
                  panel.refresh_button, panel.list]
    return order


class _Namer(QObject):
    """Names the controls of the window's dialogs when they are shown. It watches the
    window (a dialog is its child; the window hears when it is polished, before it is
    first shown) and each such dialog, nothing else: an application-wide filter would
    put every event of the program through Python."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ChildPolished and isinstance(event, QChildEvent):
            # polished just before it is first shown (when added, it is not fully built yet)
            child = event.child()
            if isinstance(child, QDialog):
                apply_names(child)
                child.installEventFilter(self)
        elif kind == QEvent.Type.Show and isinstance(watched, QDialog):
            apply_names(watched)
        return False


def install_accessibility(window: MainWindow) -> None:
    """Names and descriptions on the window's controls, a Tab order that follows the
    layout, and the same naming for every dialog of the window when it is shown."""
    apply_names(window)
    order = layout_tab_order(window)
    for first, second in itertools.pairwise(order):
        QWidget.setTabOrder(first, second)
    # The editor keeps its own chain from the type box on (ValueEditor._update_tab_order),
    # re-linked where the type box is, so the history stays after it.
    namer = _Namer(window)  # a child of the window: it lives as long as the window
    namer.setObjectName("accessibility-namer")
    window.installEventFilter(namer)
    for dialog in window.findChildren(QDialog):
        dialog.installEventFilter(namer)
