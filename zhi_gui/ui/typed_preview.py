"""A dialog's preview that follows what is typed (Copy/move, Import).

From the first key the preview shown no longer says what OK would do, so
``stale()`` runs at once (the dialog turns OK off); ``refresh()`` runs after a
pause in typing, or at once on Tab or Enter. Without this a preview followed
only Tab or Enter, and Enter (which also presses the dialog's default button)
applied the plan of the text before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QLineEdit

PREVIEW_DELAY_MS = 400  # a pause in typing a path, then the preview reads again


def follow_typing(owner: QObject, fields: Iterable[QLineEdit], stale: Callable[[], None],
                  refresh: Callable[[], None]) -> QTimer:
    """Wire ``fields`` so: a key -> ``stale()`` and the pause restarts; the pause over, or
    editing finished while it runs -> ``refresh()``. The timer belongs to ``owner``."""
    pause = QTimer(owner)
    pause.setSingleShot(True)
    pause.setInterval(PREVIEW_DELAY_MS)
    pause.timeout.connect(refresh)

    def typed(_text: str) -> None:
        stale()
        pause.start()

    def finished() -> None:
        if pause.isActive():  # typed, then Tab or Enter: preview now
            pause.stop()
            refresh()

    for field in fields:
        field.textEdited.connect(typed)
        field.editingFinished.connect(finished)
    return pause
