"""The plugin layer the app loads in a worker thread before its first store opens
(``plugin.preload``): every lazily loaded module is executed there, so the first open
runs none of them on the UI thread."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import zhi_gui

PLUGIN_DIR = Path(zhi_gui.__file__).parent / "plugin"


def test_every_lazy_module_of_the_plugin_layer_is_loaded_ahead() -> None:
    lazy = sorted({name for path in PLUGIN_DIR.glob("*.py")
                   for name in re.findall(r'lazy_module\("([\w.]+)"\)', path.read_text())})
    assert "grpc" in lazy and len(lazy) >= 8
    code = (
        "import sys, types\n"
        "from zhi_gui.plugin.preload import load_plugin_layer\n"
        "load_plugin_layer()\n"
        f"for name in {lazy!r}:\n"
        "    module = sys.modules[name]\n"
        "    assert type(module) is types.ModuleType, (name, type(module))\n"
        "print('loaded', len(" + repr(lazy) + "))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"loaded {len(lazy)}"
