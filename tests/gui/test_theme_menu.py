"""View > Theme applies the colour scheme at once and remembers it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QApplication

from zhi_gui.services.settings import THEME, Settings, Theme
from zhi_gui.ui import theme


def test_theme_choice_applies_at_once_and_is_remembered(qtbot: Any, make_window: Any, tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, palette, preference = app.style().name(), QPalette(app.palette()), theme.current_theme()
    try:
        settings = Settings(tmp_path / "settings.json")
        win = make_window(settings, tmp_path / "state")
        dark = win.findChild(QAction, "action-theme-dark")
        light = win.findChild(QAction, "action-theme-light")
        assert dark is not None and light is not None
        dark.trigger()
        assert dark.isChecked() and not light.isChecked()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
        assert Settings(tmp_path / "settings.json").get(THEME) is Theme.DARK
        light.trigger()
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 150
        assert Settings(tmp_path / "settings.json").get(THEME) is Theme.LIGHT
    finally:  # other tests keep the style and colours they started with
        theme._theme["preference"] = preference
        app.setStyle(style)
        app.setPalette(palette)
