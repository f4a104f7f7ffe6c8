"""Dialogs inside coroutines without nested event loops.

``exec()`` (and static QMessageBox helpers) start a nested Qt loop, which
qasync refuses inside a running task ("Cannot enter into task"). Here a dialog
is opened non-modally with ``open()`` and its ``finished`` signal resolves a
future the coroutine awaits.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

# Imported where used (asyncio, the plugin layer, diff code, and the dialog classes: PySide
# makes a Qt class's enums when it is first used): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio

    from PySide6.QtWidgets import QDialog, QMessageBox, QWidget


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
              buttons: QMessageBox.StandardButton | None = None,
              default: QMessageBox.StandardButton | None = None,
              icon: QMessageBox.Icon | None = None) -> QMessageBox.StandardButton:
    """A message box's answer. Unset: buttons Ok and Cancel, Cancel the default, a question icon."""
    from PySide6.QtWidgets import QMessageBox

    if buttons is None:
        buttons = QMessageBox.StandardButton.Ok | QMessageBox.StandardButton.Cancel
    box = QMessageBox(QMessageBox.Icon.Question if icon is None else icon, title, text, buttons, parent)
    box.setObjectName("ask-" + title.lower().replace(" ", "-"))
    if informative:
        box.setInformativeText(informative)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel if default is None else default)
    await dialog_result(box)
    button = box.standardButton(box.clickedButton()) if box.clickedButton() else QMessageBox.StandardButton.Cancel
    box.deleteLater()
    return QMessageBox.StandardButton(button)
