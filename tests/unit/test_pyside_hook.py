"""PySide's import hook asks of each imported module whether its source mentions PySide6;
the cheaper check gives the same answers."""

from __future__ import annotations

import importlib
import sys

import zhi_gui.ui  # noqa: F401  (installs the check)


def test_the_cheaper_check_answers_as_pyside_does() -> None:
    check = sys.modules["shibokensupport.feature"]._mod_uses_pyside
    assert getattr(check, "_zhi_gui_reads_bytes", False), "installed when zhi_gui.ui is imported"
    names = ["zhi_gui.ui.main_window", "zhi_gui.ui.value_tree_model", "zhi_gui.core.model", "zhi_gui.app",
             "json", "sys", "zhi_gui.plugin.gen.zhiplugin.v1.store_pb2"]
    for name in names:
        module = importlib.import_module(name)
        assert check(module) == check.original(module), name
    assert check(importlib.import_module("zhi_gui.ui.main_window")) is True
    assert check(importlib.import_module("zhi_gui.core.model")) is False


def test_zhi_gui_puts_the_check_in_first_where_pyside_was_loaded_first_and_loads_no_qt_otherwise() -> None:
    """A process that imported PySide6 before zhi_gui (tests, the benchmarks' paint probes)
    gets the cheaper check as soon as zhi_gui is imported, before the modules after it are
    checked; one without PySide6 (plugins, command-line tools) gets no Qt from zhi_gui."""
    import subprocess

    first = ("import sys, PySide6, zhi_gui; check = sys.modules['shibokensupport.feature']._mod_uses_pyside; "
             "print(getattr(check, '_zhi_gui_reads_bytes', False))")
    done = subprocess.run([sys.executable, "-c", first], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "True", done.stderr
    without = ("import sys, zhi_gui, zhi_gui.app; "
               "print(sorted(m for m in sys.modules if 'PySide6' in m or m == 'zhi_gui.ui'))")
    done = subprocess.run([sys.executable, "-c", without], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
