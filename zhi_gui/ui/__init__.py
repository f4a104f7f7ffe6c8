"""The Qt layer: windows, models (adapters over zhi_gui.core), dialogs."""
