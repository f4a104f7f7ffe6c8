"""Dialogs inside coroutines without nested event loops.

``exec()`` (and static QMessageBox helpers) start a nested Qt loop, which
qasync refuses inside a running task ("Cannot enter into task"). Here a dialog
is opened non-modally with ``open()`` and its ``finished`` signal resolves a
future the coroutine awaits.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QMessageBox, QWidget

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio


async def dialog_result(dialog: QDialog) -> int:
    import asyncio

    future: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def finished(code: int) -> None:
        if not future.done():
            future.set_result(code)

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await future
    finally:
        with contextlib.suppress(RuntimeError):  # the dialog may be gone (window closed under it)
            dialog.finished.disconnect(finished)


async def ask(parent: QWidget | None, title: str, text: str, informative: str = "",
              buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel,
              default: QMessageBox.StandardButton = QMessageBox.StandardButton.Cancel,
              icon: QMessageBox.Icon = QMessageBox.Icon.Question) -> QMessageBox.StandardButton:
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setObjectName("ask-" + title.lower().replace(" ", "-"))
    if informative:
        box.setInformativeText(informative)
    box.setDefaultButton(default)
    await dialog_result(box)
    button = box.standardButton(box.clickedButton()) if box.clickedButton() else QMessageBox.StandardButton.Cancel
    box.deleteLater()
    return QMessageBox.StandardButton(button)
