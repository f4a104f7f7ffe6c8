"""Light and dark following the system, and the project's icons."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from zhi_gui.resources_path import resources_dir


@cache  # the window asks again for the same few icons (store bar labels, buttons)
def icon_path(name: str) -> str:
    path = resources_dir() / "icons" / f"{name}.svg"
    if not path.is_file():
        path = resources_dir() / f"{name}.svg"
    return str(path)


@cache
def icon(name: str) -> QIcon:
    return QIcon(icon_path(name))


@cache
def dot(color: str, size: int = 12) -> QIcon:
    # imported here: PySide makes a Qt class's enums when the class is first used, and the
    # first window's paint draws no dots (issue 14, cold start)
    from PySide6.QtGui import QPainter, QPixmap

    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(color))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, size - 2, size - 2)
    painter.end()
    return QIcon(pixmap)


def _dark_palette() -> QPalette:
    p = QPalette()
    window, base, text = QColor(37, 40, 45), QColor(28, 30, 34), QColor(222, 226, 230)
    for role, color in ((QPalette.ColorRole.Window, window), (QPalette.ColorRole.WindowText, text),
                        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, QColor(44, 47, 53)),
                        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, window),
                        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, base),
                        (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, QColor(31, 111, 235)),
                        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
                        (QPalette.ColorRole.PlaceholderText, QColor(140, 146, 155)),
                        (QPalette.ColorRole.Link, QColor(88, 166, 255)), (QPalette.ColorRole.Mid, QColor(70, 74, 80))):
        p.setColor(role, color)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(120, 124, 130))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(120, 124, 130))
    return p


# Fusion's own light palette (``QStyleFactory.create("Fusion").standardPalette()``; a test
# compares every colour): per role, its Active, Inactive and Disabled colours. Written out
# because asking the style for it makes PySide build QStyle's Python type, a tenth of the
# instructions before the first paint (issue 14, cold start); so does ``setStyle`` (see
# ``FUSION_ARGS``).
FUSION_LIGHT = {  # 16 bits a channel (red, green, blue, alpha), as Qt keeps them
    "WindowText": ("000000000000ffff", "000000000000ffff", "bebebebebebeffff"),
    "Button": ("efefefefefefffff", "efefefefefefffff", "efefefefefefffff"),
    "Light": ("ffffffffffffffff", "ffffffffffffffff", "ffffffffffffffff"),
    "Midlight": ("cb04cb04cb04ffff", "cb04cb04cb04ffff", "cb04cb04cb04ffff"),
    "Dark": ("9ff49ff49ff4ffff", "9ff49ff49ff4ffff", "bebebebebebeffff"),
    "Mid": ("b890b890b890ffff", "b890b890b890ffff", "b890b890b890ffff"),
    "Text": ("000000000000ffff", "000000000000ffff", "bebebebebebeffff"),
    "BrightText": ("ffffffffffffffff", "ffffffffffffffff", "ffffffffffffffff"),
    "ButtonText": ("000000000000ffff", "000000000000ffff", "bebebebebebeffff"),
    "Base": ("ffffffffffffffff", "ffffffffffffffff", "efefefefefefffff"),
    "Window": ("efefefefefefffff", "efefefefefefffff", "efefefefefefffff"),
    "Shadow": ("767b767b767bffff", "767b767b767bffff", "b1b8b1b8b1b8ffff"),
    "Highlight": ("30308c8cc6c6ffff", "30308c8cc6c6ffff", "919191919191ffff"),
    "HighlightedText": ("ffffffffffffffff", "ffffffffffffffff", "ffffffffffffffff"),
    "Link": ("00000000ffffffff", "00000000ffffffff", "00000000ffffffff"),
    "LinkVisited": ("ffff0000ffffffff", "ffff0000ffffffff", "ffff0000ffffffff"),
    "AlternateBase": ("f7f7f7f7f7f7ffff", "f7f7f7f7f7f7ffff", "f7f7f7f7f7f7ffff"),
    "NoRole": ("000000000000ffff", "000000000000ffff", "000000000000ffff"),
    "ToolTipBase": ("ffffffffdcdcffff", "ffffffffdcdcffff", "ffffffffdcdcffff"),
    "ToolTipText": ("000000000000ffff", "000000000000ffff", "000000000000ffff"),
    "PlaceholderText": ("0000000000008080", "0000000000008080", "0000000000008080"),
    "Accent": ("30308c8cc6c6ffff", "30308c8cc6c6ffff", "919191919191ffff"),
}
# The style named when the application is made (``qt_loop.qt_application``): Qt makes it
# inside, where ``app.setStyle("Fusion")`` hands a QStyle back to Python.
FUSION_ARGS = ["-style", "Fusion"]
FUSION_PROPERTY = "zhi-gui-fusion"  # set on an application made with them


def light_palette() -> QPalette:
    p = QPalette()
    groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
    for name, colors in FUSION_LIGHT.items():
        role = getattr(QPalette.ColorRole, name, None)
        if role is None:  # a role this Qt does not have (Accent is Qt 6.6+)
            continue
        for group, color in zip(groups, colors, strict=True):
            red, green, blue, alpha = (int(color[i:i + 4], 16) for i in range(0, 16, 4))
            p.setColor(group, role, QColor.fromRgba64(red, green, blue, alpha))
    return p


_theme = {"preference": "system", "following": False}  # one preference for the application


def _update_palette(app: QApplication) -> None:
    preference = _theme["preference"]
    scheme = QGuiApplication.styleHints().colorScheme()
    dark = preference == "dark" or (preference == "system" and scheme == Qt.ColorScheme.Dark)
    app.setPalette(_dark_palette() if dark else light_palette())


def apply_theme(app: QApplication, preference: str = "system") -> None:
    """``preference``: system | light | dark. "system" follows the desktop's
    colour scheme now and when it changes; a later choice replaces an earlier one."""
    if app.property(FUSION_PROPERTY) is not True:  # not made with FUSION_ARGS (tests, scripts)
        app.setStyle("Fusion")
    _theme["preference"] = preference
    _update_palette(app)
    if not _theme["following"]:  # connected once: the handler reads the current preference
        _theme["following"] = True
        QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: _update_palette(app))


def current_theme() -> str:
    return str(_theme["preference"])
