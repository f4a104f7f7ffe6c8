"""Copy path, Copy value, Copy subtree as JSON / as YAML (value tree context menu
and Edit menu).

Secrets: Copy value on a secret key copies the secret itself (one key, chosen
on purpose: what a password manager's Copy does); a subtree holding secrets
asks first, "Copy masked" being the default. Whatever holds a secret goes to the
clipboard with the ``x-kde-passwordManagerHint`` mark, which clipboard managers
honour by not keeping it in their history.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QMainWindow, QStatusBar, QTreeView

from zhi_gui.core.entries import Entry
from zhi_gui.core.secrets import is_secret
from zhi_gui.ui.async_dialogs import dialog_result
from zhi_gui.ui.busy import allow_cancel, disallow_cancel, report_progress
from zhi_gui.ui.value_tree_model import ValueTreeModel

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio

    from zhi_gui.session import StoreSession

PASSWORD_HINT = "x-kde-passwordManagerHint"


def put_on_clipboard(text: str, *, secret: bool = False) -> None:
    mime = QMimeData()
    mime.setText(text)
    if secret:
        mime.setData(PASSWORD_HINT, b"secret")
    QGuiApplication.clipboard().setMimeData(mime)


class CopyHost(Protocol):
    """What the copy actions need of the window."""

    @property
    def session(self) -> StoreSession: ...
    @property
    def has_session(self) -> bool: ...
    @property
    def model(self) -> ValueTreeModel: ...
    @property
    def tree_view(self) -> QTreeView: ...
    def main_window(self) -> QMainWindow: ...
    def statusBar(self) -> QStatusBar: ...
    def selected_paths(self) -> list[str]: ...
    def current_path(self) -> str: ...
    def run(self, coro: Coroutine[Any, Any, Any], what: str = "", name: str = "") -> asyncio.Task[Any]: ...


class CopyActions:
    """The four copy actions of one window. Ctrl+C / Ctrl+Shift+C act in the value
    tree only: window-wide they would take copying away from text fields."""

    def __init__(self, window: CopyHost) -> None:
        self.window = window
        tree = window.tree_view
        self.copy_path = self._action("action-copy-path", "Copy path", self.copy_paths, "Ctrl+Shift+C")
        self.copy_value = self._action("action-copy-value", "Copy value", self.copy_current_value,
                                       QKeySequence.StandardKey.Copy)
        self.copy_json = self._action("action-copy-json", "Copy subtree as JSON",
                                      lambda: window.run(self.copy_subtree("JSON"), "Copying"))
        self.copy_yaml = self._action("action-copy-yaml", "Copy subtree as YAML",
                                      lambda: window.run(self.copy_subtree("YAML"), "Copying"))
        for action in self.actions():
            tree.addAction(action)

    def actions(self) -> list[QAction]:
        return [self.copy_path, self.copy_value, self.copy_json, self.copy_yaml]

    def _action(self, name: str, text: str, slot: object,
                shortcut: str | QKeySequence.StandardKey | None = None) -> QAction:
        action = QAction(text, self.window.main_window())
        action.setObjectName(name)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        return action

    def update(self) -> None:
        # a window whose session is not made yet has nothing loaded (asking would make it)
        loaded = self.window.has_session and self.window.session.loaded
        for action in self.actions():
            action.setEnabled(loaded)

    def _shown_entries(self) -> list[Entry]:
        """What the value tree shows: stored values with the staged edits over them."""
        w = self.window
        paths = set(w.session.index.entries) | set(w.session.staging.changes)
        return [e for e in (w.model.current_entry(p) for p in paths) if e is not None]

    def copy_paths(self) -> None:
        w = self.window
        paths = w.selected_paths() or ([w.current_path()] if w.current_path() else [])
        if not paths:
            w.statusBar().showMessage("Select a key first", 4000)
            return
        put_on_clipboard("\n".join(paths))
        w.statusBar().showMessage(f"Copied {len(paths)} path(s)" if len(paths) > 1 else f"Copied {paths[0]}", 4000)

    def copy_current_value(self) -> None:
        w = self.window
        path = w.current_path()
        entry = w.model.current_entry(path) if path and w.session.loaded else None
        if entry is None:
            w.statusBar().showMessage("A group has no value of its own: use Copy subtree as JSON or YAML", 6000)
            return
        from zhi_gui.core.copying import value_text  # loads YAML: on first use, not at start-up

        secret = is_secret(entry)
        put_on_clipboard(value_text(entry), secret=secret)
        w.statusBar().showMessage(f"Copied the {'secret ' if secret else ''}value of {path}", 4000)

    async def _subtree_from_store(self, root: str) -> list[Entry]:
        """A big tree is read as groups are opened: what is shown below ``root`` may be a
        part only, so the subtree is read from the store (with the staged edits over it)."""
        w = self.window
        allow_cancel()  # a big subtree takes a while to read; nothing is lost by stopping
        found = await w.session.read_subtree_staged(
            root, lambda done, total: report_progress(f"{done:,} of {total:,} values read"))
        disallow_cancel()
        return found

    async def copy_subtree(self, kind: str) -> None:
        import asyncio

        w = self.window
        if not w.session.loaded:
            return
        from zhi_gui.core.copying import as_json, as_yaml, subtree  # loads YAML: on first use

        root = w.current_path()
        unread = w.session.index.has_unloaded_below(root)
        entries = await self._subtree_from_store(root) if unread else self._shown_entries()
        copied = await asyncio.get_running_loop().run_in_executor(None, subtree, entries, root)
        if not copied.count:
            w.statusBar().showMessage("Nothing to copy", 4000)
            return
        reveal = False
        if copied.secrets:
            answer = await self._ask_secrets(copied.secrets, root)
            if answer is None:
                return
            reveal = answer
            if reveal:
                copied = subtree(entries, root, reveal=True)
        text = as_json(copied.value) if kind == "JSON" else as_yaml(copied.value)
        put_on_clipboard(text, secret=reveal)
        where = f"at and below {root}" if root else "of the tree"
        notes = []
        if copied.secrets:
            notes.append(f"{copied.secrets} secret(s) {'included' if reveal else 'masked'}")
        if copied.flat:
            notes.append("keys as paths: a key there is both a value and a group")
        if unread:
            notes.append("read from the store: the tree shows only the groups opened")
        w.statusBar().showMessage(f"Copied {copied.count:,} value(s) {where} as {kind}"
                                  + (f" ({'; '.join(notes)})" if notes else ""), 8000)

    async def _ask_secrets(self, count: int, root: str) -> bool | None:
        """True: copy them; False: copy masked; None: cancelled."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(QMessageBox.Icon.Question, "Copy secrets",
                          f"{count} value(s) {'below ' + root if root else 'in this tree'} are secret.",
                          QMessageBox.StandardButton.NoButton, self.window.main_window())
        box.setObjectName("ask-copy-secrets")
        box.setInformativeText("Copy them masked (********), or copy the secrets themselves? Anything you "
                               "paste them into will hold them in clear text.")
        masked = box.addButton("Copy masked", QMessageBox.ButtonRole.AcceptRole)
        masked.setObjectName("copy-masked")
        revealed = box.addButton("Copy with secrets", QMessageBox.ButtonRole.DestructiveRole)
        revealed.setObjectName("copy-secrets")
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(masked)
        await dialog_result(box)
        clicked = box.clickedButton()
        box.deleteLater()
        if clicked is masked:
            return False
        if clicked is revealed:
            return True
        return None
