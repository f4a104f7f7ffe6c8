"""zhi-gui: a desktop browser and editor for zhi configuration stores."""

__version__ = "0.1.0"
