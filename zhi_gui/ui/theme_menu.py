"""View > Theme: follow the system, or always light or dark; applied at once and
remembered in the settings (the same setting as ``--theme`` and the first start)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QApplication

from zhi_gui.services import settings as S
from zhi_gui.ui.theme import apply_theme, current_theme

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi

CHOICES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))


def install_theme_menu(window: WindowApi, settings: S.Settings | None) -> QActionGroup:
    main = window.main_window()
    menu = window.view_menu.addMenu("Theme")
    menu.setObjectName("theme-menu")
    group = QActionGroup(main)
    group.setExclusive(True)
    for value, text in CHOICES:
        action = QAction(text, group)
        action.setObjectName(f"action-theme-{value}")
        action.setCheckable(True)
        action.setChecked(value == current_theme())
        action.triggered.connect(lambda _checked=False, v=value: choose(v))
        menu.addAction(action)

    def choose(value: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, value)
        if settings is not None:
            try:
                settings.set(S.THEME, S.Theme(value))
            except S.SettingsError as exc:
                window.statusBar().showMessage(f"The theme is applied but not remembered: {exc}", 10000)
                return
        window.statusBar().showMessage(f"Theme: {dict(CHOICES)[value].lower()}", 4000)

    return group
