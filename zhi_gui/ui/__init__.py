"""The Qt layer: windows, models (adapters over zhi_gui.core), dialogs."""

import PySide6  # noqa: F401  (loads PySide's import hook, made cheaper below)

from zhi_gui.ui.pyside_hook import speed_up_feature_check

speed_up_feature_check()
