"""``--screenshot`` and ``--quit-after``: an unattended run ends, whatever the store does.

The store may wait for a person: an encrypted store whose passphrase no keyring holds
shows the unlock dialog, a store with a login its login dialog. Nobody answers in an
unattended run, so waiting for the store to open would keep the process (and a CI job,
or ``./run.sh --sample --screenshot``) alive forever. Here the wait ends as soon as a
modal dialog waits for the user, or after :data:`OPEN_LIMIT` seconds: the screenshot
shows what is on screen (the window with that dialog over it), a warning says why, the
dialog is closed as its Cancel would close it (nothing typed, nothing written), the
opening stops there, and the app quits normally (exit status 0: the screenshot was
taken; the warning says it is not of a loaded store)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QDialog, QWidget

log = logging.getLogger("zhi_gui")

# How long an unattended run waits for its store to open when no dialog asks for anything
# (a plugin that starts slowly, a server that does not answer): generous for a busy machine.
OPEN_LIMIT = 20.0
# How often the wait looks for a modal dialog (dialogs open without a signal the app could
# wait on: each flow opens its own).
POLL = 0.1
# After a dialog was cancelled, how long the opening gets to wind down before it is cancelled.
WIND_DOWN = 10.0
# Before a screenshot of a loaded store: its rows are laid out and painted first.
SETTLE = 0.8
# Before a screenshot of a dialog that has just opened.
DIALOG_SETTLE = 0.3

# What a waiting dialog means, by its object name (the security dialogs name theirs).
WAITING_FOR = {
    "unlock-dialog": "the store is waiting for its passphrase",
    "login-dialog": "the store is waiting for a login",
}


def waiting_dialog(window: QWidget) -> QDialog | None:
    """The modal dialog that blocks ``window`` (one of its own, or application-modal), if any."""
    modal = QApplication.activeModalWidget()
    if isinstance(modal, QDialog) and modal.isVisible():
        return modal
    for dialog in window.findChildren(QDialog):
        if dialog.isVisible() and dialog.isModal():
            return dialog
    return None


def why_waiting(dialog: QDialog) -> str:
    return WAITING_FOR.get(dialog.objectName(), f"a dialog ({dialog.windowTitle()!r}) is waiting for the user")


def grab_with_dialog(window: QWidget, dialog: QDialog | None) -> QPixmap:
    """The window as shown, with ``dialog`` painted over it where it sits on screen (clamped
    into the picture: some platforms, offscreen among them, place it anywhere)."""
    picture = window.grab()
    if dialog is None:
        return picture
    over = dialog.grab()
    offset = dialog.mapToGlobal(QPoint(0, 0)) - window.mapToGlobal(QPoint(0, 0))
    x = max(0, min(offset.x(), picture.width() - over.width()))
    y = max(0, min(offset.y(), picture.height() - over.height()))
    painter = QPainter(picture)
    painter.drawPixmap(x, y, over)
    painter.end()
    return picture


def save(picture: QPixmap, path: str) -> None:
    if picture.save(path):
        log.info("screenshot saved to %s", path)
    else:
        log.error("the screenshot could not be saved to %s (check the folder exists and the name ends in "
                  ".png)", path)


async def _until_open_or_waiting(opening: asyncio.Task[None], window: QWidget,
                                 limit: float) -> QDialog | None:
    """Wait until the opening is done (None), a modal dialog waits (that dialog), or ``limit``
    seconds have passed (None, the opening still running)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not opening.done() and loop.time() < deadline:
        dialog = waiting_dialog(window)
        if dialog is not None:
            return dialog
        await asyncio.wait({opening}, timeout=POLL)
    return None


async def _stop_opening(opening: asyncio.Task[None], window: QWidget) -> None:
    """Close any modal dialog as Cancel does, and stop the opening where it is (no next
    step, e.g. --sample's writes into a store left locked)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WIND_DOWN
    while not opening.done() and loop.time() < deadline:
        dialog = waiting_dialog(window)
        if dialog is not None:
            dialog.reject()  # what Cancel and Escape do: the fields are wiped, nothing submitted
        opening.cancel()
        await asyncio.wait({opening}, timeout=POLL)


async def finish_unattended(window: QWidget, opening: Coroutine[Any, Any, None], *, screenshot: str | None,
                            quit_after: float | None, quit_app: Callable[[], None],
                            expand: Callable[[], None] = lambda: None, limit: float = OPEN_LIMIT) -> None:
    """Run ``opening`` (open the store, fill the sample); with ``--screenshot`` or ``--quit-after``,
    end the run as the module docstring says. ``expand`` shows a representative view for the
    screenshot of a loaded store."""
    if screenshot is None and quit_after is None:
        await opening  # a person is there to answer any dialog
        return
    task = asyncio.ensure_future(opening)
    try:
        dialog = await _until_open_or_waiting(task, window, limit)
        if task.done():
            failed = task.exception()  # raised below: to the app's handler of task errors
            if screenshot:
                await asyncio.sleep(SETTLE)
                if failed is None:
                    expand()
                await asyncio.sleep(SETTLE / 2)
                save(grab_with_dialog(window, None), screenshot)
            elif quit_after is not None and failed is None:
                await asyncio.sleep(quit_after)
            if failed is not None:
                raise failed
            return
        why = why_waiting(dialog) if dialog is not None else f"the store did not open within {limit:g} s"
        if screenshot:
            if dialog is not None:
                await asyncio.sleep(DIALOG_SETTLE)  # it has just opened: laid out and fitted first
            where = "at the " + dialog.windowTitle() + " dialog" if dialog is not None else "of the window as it is"
            save(grab_with_dialog(window, dialog), screenshot)
            log.warning("%s: screenshot taken %s; the dialog is cancelled and the app quits", why, where)
        else:
            log.warning("%s: nobody can answer in a --quit-after run; cancelled, the app quits", why)
        await _stop_opening(task, window)
    finally:
        if not task.done():
            task.cancel()
        quit_app()
