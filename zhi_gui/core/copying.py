"""What Copy value and Copy subtree put on the clipboard (no Qt).

A subtree is nested by its path segments below the copied key ("services/api"
copied gives ``{"image": ..., "database": {"host": ...}}``), in path order. zhi
allows a key that holds a value *and* has keys below it ("a" and "a/b"); such a
subtree cannot be nested, so it is copied flat (``{"a": ..., "a/b": ...}``) and
:attr:`Subtree.flat` says so.

Secrets (``core.secrets``) are replaced by :data:`MASK` unless ``reveal`` is
given; the window asks before revealing them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import yaml

from zhi_gui.core.jsonvalues import decode_value, to_text
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import under_prefix
from zhi_gui.core.secrets import is_secret

MASK = "********"


@dataclass(frozen=True)
class Subtree:
    value: Any  # nested dicts (or the flat mapping), ready for JSON or YAML
    count: int  # values copied
    secrets: int  # of them secret (masked unless revealed)
    flat: bool  # nesting was impossible: keys are relative paths


def subtree(entries: Iterable[Entry], root: str, *, reveal: bool = False) -> Subtree:
    """The values at and below ``root`` ("" = the whole tree)."""
    chosen = sorted((e for e in entries if under_prefix(e.path, root)), key=lambda e: e.path)
    secrets = sum(1 for e in chosen if is_secret(e))
    values: dict[str, Any] = {}
    for entry in chosen:
        relative = entry.path[len(root):].lstrip("/") if root else entry.path
        values[relative or entry.path.rpartition("/")[2]] = \
            MASK if is_secret(entry) and not reveal else decode_value(entry.value_json)
    nested = _nest(values)
    if nested is None:
        return Subtree(values, len(chosen), secrets, True)
    return Subtree(nested, len(chosen), secrets, False)


def _nest(values: dict[str, Any]) -> dict[str, Any] | None:
    """Nested by path segments; None when a key is both a value and a group."""
    out: dict[str, Any] = {}
    groups: set[int] = {id(out)}  # the dicts made for groups (a value may be a dict too)
    for relative, value in values.items():
        *parents, name = relative.split("/")
        node = out
        for part in parents:
            if part not in node:
                node[part] = {}
                groups.add(id(node[part]))
            elif id(node[part]) not in groups:
                return None  # a value where a group is needed
            node = node[part]
        if name in node:
            return None  # a group where a value is needed
        node[name] = value
    return out


def as_json(value: Any) -> str:
    return to_text(value, indent=True, sort_keys=False) + "\n"


def as_yaml(value: Any) -> str:
    return str(yaml.safe_dump(value, sort_keys=False, allow_unicode=True, default_flow_style=False))


def value_text(entry: Entry) -> str:
    """One value as a person pastes it: a string as itself, anything else as JSON."""
    value = decode_value(entry.value_json)
    return value if isinstance(value, str) else to_text(value, indent=True)
