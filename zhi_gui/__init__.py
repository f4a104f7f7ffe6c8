"""zhi-gui: a desktop browser and editor for zhi configuration stores."""

import sys as _sys

__version__ = "0.1.0"

# A process that imported PySide6 before zhi_gui (the tests, the benchmarks' paint probes, a
# host embedding the window) has PySide's import hook reading the source of every module
# imported from here on: put zhi_gui.ui's cheaper check in first. Only then: without PySide
# loaded (the plugins, the command-line tools) nothing Qt is imported here.
if "PySide6" in _sys.modules:
    import zhi_gui.ui  # noqa: F401
