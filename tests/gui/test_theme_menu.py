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


def test_the_light_palette_is_fusions_own() -> None:
    """The light palette is written out (asking the style for it cost a tenth of the cold
    start): it is Fusion's standard palette, colour for colour, in every group."""
    from PySide6.QtWidgets import QStyleFactory

    fusion = QStyleFactory.create("Fusion")
    assert fusion is not None
    ours, qts = theme.light_palette(), fusion.standardPalette()
    groups = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)
    roles = [role for role in QPalette.ColorRole if role is not QPalette.ColorRole.NColorRoles]
    differ = [(group.name, role.name, ours.color(group, role).name(), qts.color(group, role).name())
              for group in groups for role in roles if ours.color(group, role) != qts.color(group, role)]
    assert differ == []


def test_the_app_runs_on_fusion_without_setting_it_afterwards() -> None:
    """The app names Fusion when it makes its QApplication (theme.FUSION_ARGS), in a process
    of its own: the style it runs on is Fusion, with the light palette."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from PySide6.QtGui import QPalette\n"
            "from zhi_gui.ui.qt_loop import qt_application\n"
            "from zhi_gui.ui import theme\n"
            "app = qt_application(['zhi-gui'])\n"
            "theme.apply_theme(app, 'light')\n"
            "print(app.style().name(), app.palette() == theme.light_palette(),"
            " app.palette().color(QPalette.ColorRole.Highlight).name())\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["fusion", "True", "#308cc6"]
