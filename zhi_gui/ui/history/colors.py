"""Colours of the diff views, one set for light and one for dark palettes.

Added green, removed red, changed amber: the same meaning as the staged-edit
colours of the value tree. ``text`` colours are for words in lists; ``line``
tints are full-line backgrounds of the value diff; ``word`` is the stronger
tint behind the characters that differ inside a changed line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from zhi_gui.core.diff import ChangeKind
    from zhi_gui.core.textdiff import ChunkKind


@dataclass(frozen=True)
class KindColors:
    text: QColor
    line: QColor
    word: QColor
    edge: QColor  # outlines and the link map's borders


_LIGHT = {
    "added": KindColors(QColor("#1f7a3a"), QColor("#e3f5e7"), QColor("#a8ddb5"), QColor("#52b36b")),
    "removed": KindColors(QColor("#b42318"), QColor("#fde7e5"), QColor("#f5b1aa"), QColor("#e0685c")),
    "changed": KindColors(QColor("#a15c00"), QColor("#fff3dc"), QColor("#fbd38d"), QColor("#e0a030")),
}
_DARK = {
    "added": KindColors(QColor("#6fd08c"), QColor("#173823"), QColor("#24613a"), QColor("#3f9a5c")),
    "removed": KindColors(QColor("#ff8a80"), QColor("#43201e"), QColor("#7a302b"), QColor("#c0564c")),
    "changed": KindColors(QColor("#f2b84b"), QColor("#3d2f12"), QColor("#6e531c"), QColor("#c08a2a")),
}
# by ChunkKind value: the text diff (and difflib) is imported when a value diff is shown, not at start
CHUNK_TO_KIND = {"insert": "added", "delete": "removed", "replace": "changed"}


def is_dark() -> bool:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def kind_colors(kind: str | ChangeKind | ChunkKind) -> KindColors | None:
    """Colours for a change or chunk kind; None for unchanged / equal."""
    from zhi_gui.core.textdiff import ChunkKind  # imported by then wherever chunks exist: a lookup

    if isinstance(kind, ChunkKind):
        name = CHUNK_TO_KIND.get(kind.value)
        if name is None:
            return None
    else:
        name = str(kind)
    return (_DARK if is_dark() else _LIGHT).get(name)


def muted_text() -> QColor:
    app = QApplication.instance()
    palette = app.palette() if isinstance(app, QApplication) else QPalette()
    return palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
