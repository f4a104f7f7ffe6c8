"""File > Export... and File > Import...: a tree or subtree to and from zhi's
file format, JSON, YAML, TOML, .env and properties (``zhi_gui.transfer``).

Export asks for the format, the subtree and whether secrets go along (never by
default, and only with a warning), then for the file. Import reads the file,
shows what it would do to the loaded tree (add / update / unchanged, and delete
in replace mode), and applies it as one compare-and-set save with a message; if
the store moved since the preview, nothing is written and the user is told to
preview again. Both run through the window's task runner; the files are read
and written off the UI thread.

A big import takes a while at three stages, and Cancel means something else at each:
reading and checking the file (the status bar shows how many values were checked;
its Cancel stops the check, nothing was touched), the preview (the dialog says how
many values were compared; its Cancel closes it and stops the comparison, nothing
was written), and the save (one compare-and-set write: once sent it cannot be taken
back, so the status bar shows it with Cancel disabled, and it finishes).
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.errors import ZhiError
from zhi_gui.core.user_errors import describe
from zhi_gui.services._atomic import atomic_write_bytes
from zhi_gui.transfer.formats import Format, Imported, decode, format_for
from zhi_gui.transfer.steps import in_thread
from zhi_gui.transfer.transfer import Kind, Preview, apply_import, export_tree, preview_import
from zhi_gui.ui.async_dialogs import dialog_result
from zhi_gui.ui.busy import allow_cancel, cannot_cancel, disallow_cancel, report_progress
from zhi_gui.ui.typed_preview import follow_typing

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi

FORMAT_NAMES = {Format.ZHI: "zhi store file (.zhi.json)", Format.JSON: "JSON, nested (.json)",
                Format.YAML: "YAML, nested (.yaml)", Format.TOML: "TOML, nested (.toml)",
                Format.ENV: ".env (KEY=value)", Format.PROPERTIES: "properties (path=value)"}
SUFFIXES = {Format.ZHI: ".zhi.json", Format.JSON: ".json", Format.YAML: ".yaml", Format.TOML: ".toml",
            Format.ENV: ".env", Format.PROPERTIES: ".properties"}
LISTED = 2000  # change lines put in the preview's list (150,000 items stall the window about a second)
SAVING = "a save already sent to the store cannot be taken back: the import will finish"
SECRETS_WARNING = ("Secret values (ui.password, store.writeonly) will be written to the file in clear text. "
                   "Anyone who can read the file can read them.")


class ExportDialog(QDialog):
    def __init__(self, tree_id: str, prefix: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("export-dialog")
        self.setWindowTitle("Export")
        self.format = QComboBox()
        self.format.setObjectName("export-format")
        for fmt, name in FORMAT_NAMES.items():
            self.format.addItem(name, fmt)
        self.prefix = QLineEdit(prefix)
        self.prefix.setObjectName("export-prefix")
        self.prefix.setPlaceholderText("the whole tree")
        self.secrets = QCheckBox("Include secret values")
        self.secrets.setObjectName("export-secrets")
        self.warning = QLabel(SECRETS_WARNING)
        self.warning.setObjectName("export-secrets-warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("QLabel { color: #b3261e; }")
        self.warning.hide()
        self.secrets.toggled.connect(self.warning.setVisible)
        form = QFormLayout()
        form.addRow(QLabel(f"Export tree <b>{tree_id}</b> (the values shown, without staged edits)."))
        form.addRow("Format:", self.format)
        form.addRow("Subtree:", self.prefix)
        form.addRow("", self.secrets)
        form.addRow(self.warning)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export\u2026")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.format.setFocus()

    def chosen(self) -> tuple[Format, str, bool]:
        return Format(self.format.currentData()), self.prefix.text().strip().strip("/"), self.secrets.isChecked()


class ImportPreviewDialog(QDialog):
    """What an import would do; Replace re-runs the preview (``replaceToggled``)."""

    def __init__(self, file_name: str, parent: QWidget | None = None, *, prefix: str = "", origin: str = "") -> None:
        """``prefix``: the subtree filled in; ``origin``: where the file is known to come from."""
        super().__init__(parent)
        self.setObjectName("import-dialog")
        self.setWindowTitle(f"Import {file_name}")
        self.resize(760, 460)
        self.summary = QLabel()
        self.summary.setObjectName("import-summary")
        self.summary.setWordWrap(True)
        self.changes = QListWidget()
        self.changes.setObjectName("import-changes")
        self.prefix = QLineEdit(prefix)
        self.prefix.setObjectName("import-prefix")
        self.prefix.setPlaceholderText("the whole tree (an exported subtree goes back under its path)")
        self.origin = QLabel(origin)
        self.origin.setObjectName("import-origin")
        self.origin.setWordWrap(True)
        self.origin.setVisible(bool(origin))
        self.replace = QCheckBox("Replace: also delete the keys of the tree (or subtree) that the file does not have")
        self.replace.setObjectName("import-replace")
        self.message = QLineEdit()
        self.message.setObjectName("import-message")
        self.message.setPlaceholderText("What this import is (optional)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setObjectName("import-apply")
        self.ok.setText("Import")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setObjectName("import-cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.changes, 1)
        into = QFormLayout()
        into.addRow("Into subtree:", self.prefix)
        into.addRow("", self.origin)
        layout.addLayout(into)
        layout.addWidget(self.replace)
        layout.addWidget(QLabel("Message"))
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def show_problem(self, text: str) -> None:
        self.changes.clear()
        self.summary.setText(f"<span style='color:#b3261e'>{html.escape(text)}</span>")
        self.ok.setEnabled(False)

    def show_progress(self, text: str) -> None:
        """The preview is being computed: what it has done; Import waits for it."""
        self.ok.setEnabled(False)
        self.summary.setText(html.escape(text))

    def show_preview(self, preview: Preview, lines: list[str]) -> None:
        self.changes.clear()
        self.changes.addItems(lines[:LISTED])
        if len(lines) > LISTED:
            self.changes.addItem(f"\u2026 and {len(lines) - LISTED:,} more changes (not listed here)")
        writes = len(preview.writes)
        self.summary.setText(f"Into tree <b>{preview.tree_id}</b>: {preview.summary()}. "
                             + ("Nothing to import: every value is unchanged." if not writes else
                                "Applied as one compare-and-set save: if the store changes before that, "
                                "nothing is written."))
        self.ok.setEnabled(writes > 0)


async def export_flow(window: WindowApi) -> Path | None:
    session, main = window.session, window.main_window()
    current = window.current_path()
    prefix = current if current and current not in session.index.entries else current.rpartition("/")[0]
    dialog = ExportDialog(session.tree_id, prefix, main)
    try:
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
            return None
        fmt, prefix, include_secrets = dialog.chosen()
    finally:
        dialog.deleteLater()
    files = QFileDialog(main, "Export to")
    files.setObjectName("export-file")
    files.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    files.setOption(QFileDialog.Option.DontUseNativeDialog)
    files.selectFile(f"{(prefix or session.tree_id).replace('/', '-')}{SUFFIXES[fmt]}")
    try:
        if await dialog_result(files) != QDialog.DialogCode.Accepted or not files.selectedFiles():
            return None
        target = Path(files.selectedFiles()[0])
    finally:
        files.deleteLater()
    allow_cancel()  # nothing is written until the file is
    data = await export_tree(session, fmt, prefix=prefix, include_secrets=include_secrets,
                             progress=lambda done, total: report_progress(
                                 f"{done:,} of {total:,} values read" + ("; making the file" if done >= total else "")))
    cannot_cancel("the file is being written")
    report_progress(f"writing {target.name} ({len(data) / 1e6:,.1f} MB)")
    # Whole or not at all (a crash mid-write left half a file); a file with secrets is private.
    mode = 0o600 if include_secrets else 0o644
    await asyncio.get_running_loop().run_in_executor(
        None, lambda: atomic_write_bytes(target, data, mode=mode))
    session.remember_export(target, prefix)  # its import offers this subtree again
    window.statusBar().showMessage(f"Exported {session.tree_id}{'/' + prefix if prefix else ''} to {target}", 10000)
    return target


async def import_flow(window: WindowApi, path: Path | None = None) -> bool:
    session, main = window.session, window.main_window()
    if not await window.settle_editor("importing") or not await window.confirm_discard("importing"):
        return False
    if path is None:
        files = QFileDialog(main, "Import from")
        files.setObjectName("import-file")
        files.setFileMode(QFileDialog.FileMode.ExistingFile)
        files.setOption(QFileDialog.Option.DontUseNativeDialog)
        try:
            if await dialog_result(files) != QDialog.DialogCode.Accepted or not files.selectedFiles():
                return False
            path = Path(files.selectedFiles()[0])
        finally:
            files.deleteLater()
    fmt = format_for(path)
    # Reading and checking a big file takes a while: the status bar offers Cancel (nothing is touched yet).
    allow_cancel()
    try:
        report_progress(f"reading {path.name}")
        data = await asyncio.get_running_loop().run_in_executor(None, path.read_bytes)
        report_progress(f"checking {path.name} ({len(data) / 1e6:,.1f} MB)")
        imported = await in_thread(lambda steps: decode(data, fmt, steps),  # Refused: line, reason
                                   lambda done: report_progress(f"checking {path.name}: {done:,} values"))
    except asyncio.CancelledError:
        window.statusBar().showMessage(f"Import of {path.name} cancelled: nothing was changed", 10000)
        raise
    disallow_cancel()  # from here on the dialog is where the import is cancelled
    answer = await _preview_dialog(window, path, imported)
    if answer is None:
        return False
    message, preview = answer
    cannot_cancel(SAVING)
    report_progress(f"saving {len(preview.writes):,} changes as one version")
    outcome = await apply_import(session, preview, message)
    report_progress("reading the tree again")
    await window.reload_tree()
    counts = ", ".join(f"{preview.count(k):,} {k.value}" for k in Kind if k is not Kind.UNCHANGED and preview.count(k))
    window.statusBar().showMessage(f"Imported {path.name}: {counts}" + (f" as version {outcome.version}"
                                                                        if outcome.version else ""), 10000)
    return outcome.saved


async def _preview_dialog(window: WindowApi, path: Path, imported: dict[str, Imported]) -> tuple[str, Preview] | None:
    """The preview dialog until Import (the message and the preview shown) or Cancel (None:
    the comparison still running is stopped, nothing was written)."""
    session = window.session
    prefix, origin = "", ""
    known = session.exported_subtree(path)
    if known is not None:  # an exported subtree's paths are relative to it: it goes back there
        tree, prefix = known
        where = f"subtree {prefix}" if prefix else "the whole tree"
        origin = f"Exported from {where} of " + ("this tree" if tree == session.tree_id else f"tree {tree}") + "."
    dialog = ImportPreviewDialog(path.name, window.main_window(), prefix=prefix, origin=origin)
    current: list[Preview | None] = [None]
    total = len(imported)

    async def again() -> None:
        try:
            preview = await preview_import(
                session, imported, prefix=dialog.prefix.text().strip().strip("/"), replace=dialog.replace.isChecked(),
                report=lambda done: dialog.show_progress(f"Comparing {total:,} values with the tree\u2026 "
                                                         f"{done:,} done"))
            lines = await in_thread(lambda _steps: preview.lines())
        except ZhiError as exc:  # shown in the dialog: the user can change the subtree or the mode
            dialog.show_problem(describe(exc))
            return
        current[0] = preview
        dialog.show_preview(preview, lines)

    running: list[asyncio.Task[None]] = []

    def stale() -> None:
        """What the dialog says changed: Import waits until the preview matches it again (it
        is off from here on, so neither a click nor Enter can apply the previous one)."""
        current[0] = None
        dialog.show_progress(f"Comparing {total:,} values with the tree\u2026")

    def refresh() -> None:
        stale()
        running[:] = [window.run(again(), "Previewing the import", "import-preview")]  # the previous one stops

    dialog.replace.toggled.connect(lambda _checked: refresh())
    follow_typing(dialog, [dialog.prefix], stale, refresh)
    refresh()
    try:
        if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
            return None
        message = dialog.message.text().strip() or f"import {path.name}"
    finally:
        for task in running:  # a comparison still running is of no use any more
            task.cancel()
        dialog.deleteLater()
    preview = current[0]
    return None if preview is None else (message, preview)
