"""Where ``resources/`` and ``plugins/`` are: inside the installed package
(the wheel puts them there), or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _find(name: str) -> Path:
    inside = _PACKAGE / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def resources_dir() -> Path:
    return _find("resources")


def shipped_plugins_dir() -> Path:
    return _find("plugins")
