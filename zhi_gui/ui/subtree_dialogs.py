"""Copy or move a subtree (value tree context menu, Store menu) and rename a
tree (Store menu), over ``zhi_gui.transfer.subtree_ops``.

The copy dialog previews what the target gets (new, overwritten, already the
same) before anything is written, then saves it on the target as one
compare-and-set write with the message; a move deletes the source only after
that. The target is another tree of this store (or this tree, at another
path) or a tree of another store, chosen with the Open store dialog and opened
through its own plugin for this operation only (logged in and unlocked as the
window's store is: keyring first, then a dialog). The rename dialog says before
anything happens that the renamed tree starts a new history.
"""

from __future__ import annotations

import asyncio
import html
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.errors import ZhiError
from zhi_gui.core.user_errors import describe
from zhi_gui.session import StoreSession
from zhi_gui.transfer.compare import OpenCancelled, open_other_store
from zhi_gui.transfer.subtree_ops import (
    RENAME_HISTORY_NOTE,
    CopyPlan,
    TreeRef,
    apply_copy,
    apply_rename,
    plan_copy,
    plan_rename,
)
from zhi_gui.ui.async_dialogs import dialog_result
from zhi_gui.ui.busy import allow_cancel, cannot_cancel, report_progress
from zhi_gui.ui.security.other_store import other_store_security
from zhi_gui.ui.store_chooser import StoreChooser
from zhi_gui.ui.typed_preview import follow_typing

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi

THIS_STORE, OTHER_STORE = 0, 1


class CopyDialog(QDialog):
    def __init__(self, window: WindowApi, path: str) -> None:
        super().__init__(window.main_window())
        session, settings = window.session, window.settings
        self.setObjectName("copy-dialog")
        self.setWindowTitle("Copy or move a subtree")
        self.resize(640, 360)
        self.source = QLineEdit(path)
        self.source.setObjectName("copy-from")
        self.source.setPlaceholderText("the whole tree")
        self.destination = QComboBox()
        self.destination.setObjectName("copy-destination")
        self.destination.addItems(["This store", "Another store"])
        self.tree = QComboBox()
        self.tree.setObjectName("copy-tree")
        self.tree.setEditable(True)  # a new tree id may be typed
        self.tree.addItems(session.trees)
        # Another tree is the usual target; this tree (at another path) is one pick away.
        self.tree.setCurrentText(next((t for t in session.trees if t != session.tree_id), session.tree_id))
        self.chooser = StoreChooser("copy", window.run,
                                    lambda: settings.recent_stores() if settings is not None else [], "Copy to store")
        self.target = QLineEdit(path)
        self.target.setObjectName("copy-to")
        self.target.setPlaceholderText("the top of the target tree")
        self.move_box = QCheckBox("Move: delete the source after the target saved")
        self.move_box.setObjectName("copy-move")
        self.message = QLineEdit()
        self.message.setObjectName("copy-message")
        self.message.setPlaceholderText("What this copy is (optional)")
        self.summary = QLabel()
        self.summary.setObjectName("copy-summary")
        self.summary.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("copy-apply")
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(QLabel(f"From tree <b>{html.escape(session.tree_id)}</b> (the saved values, without staged "
                           "edits)"))
        form.addRow("Subtree or key:", self.source)
        form.addRow("To:", self.destination)
        form.addRow("", self.chooser)
        form.addRow("Tree:", self.tree)
        form.addRow("Path:", self.target)
        form.addRow("", self.move_box)
        form.addRow("Message:", self.message)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary, 1)
        layout.addWidget(self.buttons)
        self.destination.currentIndexChanged.connect(self._destination_changed)
        self._destination_changed()

    def _destination_changed(self, _index: int = 0) -> None:
        other = self.destination.currentIndex() == OTHER_STORE
        self.chooser.setVisible(other)

    def show_problem(self, text: str) -> None:
        self.summary.setText(f"<span style='color:#b3261e'>{html.escape(text)}</span>")
        self.ok.setEnabled(False)

    def show_plan(self, plan: CopyPlan) -> None:
        self.summary.setText(html.escape(plan.summary()) + (
            " Saved on the target as one compare-and-set write: if it changes before that, nothing is written."
            if plan.writes else " Nothing to write: the target already holds these values."))
        self.ok.setText("Move" if plan.move else "Copy")
        self.ok.setEnabled(bool(plan.writes) or plan.move)


async def copy_flow(window: WindowApi, path: str | None = None) -> bool:
    session = window.session
    if not await window.settle_editor("copying"):
        return False
    await session.refresh_trees()
    dialog = CopyDialog(window, window.current_path() if path is None else path)
    others: dict[str, StoreSession] = {}  # the other store's session, opened for this dialog only
    current: list[CopyPlan | None] = [None]
    previews: list[asyncio.Task[None]] = []

    async def target_ref() -> TreeRef:
        tree = dialog.tree.currentText().strip()
        if dialog.destination.currentIndex() == THIS_STORE:
            return TreeRef(session, tree)
        chosen = dialog.chooser.target
        if chosen is None:
            raise ZhiError("choose the other store first")
        key = chosen.store_key()
        other = others.get(key)
        if other is None:
            for old in others.values():
                await old.close()
            others.clear()
            other = StoreSession()
            others[key] = other  # closed with the dialog, also while it is opening
            try:
                # logged in and unlocked as the window's store is: keyring first, then a dialog
                await open_other_store(chosen, lambda session, target: other_store_security(
                    window, session, dialog, dialog.chooser.take_login(target)), other)
            except BaseException:
                others.pop(key, None)
                raise
        return TreeRef(other, tree or other.tree_id)

    def stale() -> None:
        """What the dialog says changed: OK waits until the plan matches it again (off from
        here on, so neither a click nor Enter can apply the plan shown before)."""
        dialog.ok.setEnabled(False)
        current[0] = None
        dialog.summary.setText("Reading\u2026")

    async def again() -> None:
        try:
            plan = await plan_copy(TreeRef(session, session.tree_id), dialog.source.text(), await target_ref(),
                                   dialog.target.text(), move=dialog.move_box.isChecked(),
                                   progress=lambda text: dialog.summary.setText(html.escape(text) + "\u2026"))
        except OpenCancelled as exc:  # the user's own choice: said, not an error
            dialog.ok.setEnabled(False)
            dialog.summary.setText(html.escape(f"{exc}. Choose the store again to be asked again."))
            return
        except ZhiError as exc:  # shown in the dialog: the user can change the paths or the target
            dialog.show_problem(describe(exc))
            return
        current[0] = plan
        dialog.show_plan(plan)

    def refresh() -> None:
        stale()
        previews[:] = [window.run(again(), "Previewing the copy", "copy-preview")]  # the previous one stops

    def store_chosen() -> None:
        target = dialog.chooser.target
        if target is not None and target.tree_id and target.tree_id != dialog.tree.currentText():
            dialog.tree.setCurrentText(target.tree_id)  # refreshes the preview
        else:
            refresh()

    dialog.chooser.chosen.connect(store_chosen)
    follow_typing(dialog, (dialog.source, dialog.target), stale, refresh)
    dialog.tree.currentTextChanged.connect(lambda _text: refresh())
    dialog.move_box.toggled.connect(lambda _checked: refresh())
    dialog.destination.currentIndexChanged.connect(lambda _index: refresh())
    refresh()
    try:
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted or current[0] is None:
            return False
        plan = current[0]
        verb = "move" if plan.move else "copy"
        message = dialog.message.text().strip() or \
            f"{verb} {plan.from_prefix or 'tree'} from {plan.source.label} to {plan.to_prefix or 'the top'}"
        cannot_cancel("a copy sent to the store cannot be taken back: it will finish")
        report_progress(f"writing {len(plan.writes):,} values")
        outcome = await apply_copy(plan, message)
    finally:
        dialog.deleteLater()
        for task in previews:  # a preview still reading must not use the other store's closed plugin
            task.cancel()
        for other in others.values():
            await other.close()
    if plan.source.same_tree(plan.target) or plan.move or \
            (plan.target.session is session and plan.target.tree_id == session.tree_id):
        await window.reload_tree()
    if plan.target.session is session:
        await session.refresh_trees()  # a new tree may exist now
    window.statusBar().showMessage(
        f"{'Moved' if plan.move else 'Copied'} {len(plan.read):,} value(s) to {plan.target.label}"
        + (f" as version {outcome.version}" if outcome.version else ""), 10000)
    return True


class RenameDialog(QDialog):
    def __init__(self, tree_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rename-tree-dialog")
        self.setWindowTitle("Rename tree")
        self.name = QLineEdit(tree_id)
        self.name.setObjectName("rename-new")
        self.name.selectAll()
        note = QLabel(RENAME_HISTORY_NOTE + " zhi-gui copies the values into the new tree (one version), then "
                      "deletes the old tree, only if nobody changed it meanwhile.")
        note.setObjectName("rename-history-note")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Rename")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(f"Rename tree \u201c{tree_id}\u201d to:", self.name)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)


async def rename_flow(window: WindowApi) -> bool:
    session, main = window.session, window.main_window()
    old = session.tree_id
    if not await window.settle_editor("renaming the tree") or not await window.confirm_discard("renaming the tree"):
        return False
    dialog = RenameDialog(old, main)
    try:
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
            return False
        new = dialog.name.text().strip()
    finally:
        dialog.deleteLater()
    if not new or new == old:
        return False
    # A big tree takes a while: each step is shown in the status bar. Reading may be stopped
    # (nothing is written yet); once the copy is sent, the rename finishes.
    allow_cancel()
    plan = await plan_rename(session, old, new, report_progress)
    cannot_cancel("a rename sent to the store cannot be taken back: it will finish")
    outcome = await apply_rename(plan, f"rename tree {old} to {new}", report_progress)
    window.statusBar().showMessage(f"Renamed tree {old} to {new} ({outcome.written} value(s); a new history)", 10000)
    return True
