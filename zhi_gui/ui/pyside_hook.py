"""A cheaper answer to PySide's question about each imported module.

After PySide is imported, its import hook asks of every module imported later whether
its source mentions "PySide6" (``shibokensupport.feature._mod_uses_pyside``), and finds
out with ``inspect.getsource``: line cache, encoding detection and decoding of each
file. For this app's ~150 modules that was a few percent of the start-up before the
first paint, and tens of milliseconds on the UI thread when a store opens (its modules
load then). Reading the file's bytes gives the same answer for the same question; any
module that is not a plain ``.py`` file, or a file that cannot be read, is left to
PySide's own check. A PySide without that function is left as it is.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

_MARK = "_zhi_gui_reads_bytes"


def speed_up_feature_check() -> bool:
    """Install the cheaper check once PySide is imported; True if it is in place."""
    feature = sys.modules.get("shibokensupport.feature")
    original = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, _MARK, False):
        return True

    def uses_pyside(module: ModuleType) -> Any:
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:
                return b"PySide6" in source.read()
        except OSError:
            return original(module)

    setattr(uses_pyside, _MARK, True)
    uses_pyside.original = original  # type: ignore[attr-defined]
    feature._mod_uses_pyside = uses_pyside  # type: ignore[attr-defined]
    return True
