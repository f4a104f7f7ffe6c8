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
