"""Deliberate changes of a value's JSON type, saying what is lost (no Qt here)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from zhi_gui.core.jsonvalues import to_text

# The types the "Type" selector offers, with their names for the user. "json"
# edits any value as JSON text (nested lists and objects included).
TYPE_NAMES: dict[str, str] = {
    "string": "string",
    "int": "number (whole)",
    "float": "number (decimal)",
    "bool": "bool",
    "null": "null",
    "list": "list",
    "map": "map",
    "json": "JSON",
}


def json_type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "map"


@dataclass(frozen=True, slots=True)
class Conversion:
    value: Any
    lost: bool  # something of the old value does not survive
    note: str  # what happens to the value, for the confirmation


def _show(value: Any, limit: int = 60) -> str:
    text = to_text(value)
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return to_text(value)


def _number_from_text(text: str) -> int | float | None:
    stripped = text.strip()
    try:
        return int(stripped)
    except ValueError:
        pass
    try:
        number = float(stripped)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def convert(value: Any, target: str) -> Conversion:
    """``value`` turned into ``target`` (a key of TYPE_NAMES)."""
    source = json_type_of(value)
    old = _show(value)
    if target == "json" or target == source:
        return Conversion(value, False, "The value stays as it is.")
    if target == "null":
        return Conversion(None, value is not None, f"The value {old} is lost: it becomes null.")
    if value is None:
        empty: dict[str, Any] = {"string": "", "int": 0, "float": 0.0, "bool": False, "list": [], "map": {}}
        new = empty[target]
        return Conversion(new, False, f"The value becomes {_show(new)}.")
    if target == "string":
        text = _as_text(value)
        shown = text if len(text) <= 60 else text[:59] + "\u2026"
        return Conversion(text, False, f"The value becomes the text \u201c{shown}\u201d.")
    if target in ("int", "float"):
        return _to_number(value, target, old)
    if target == "bool":
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            flag = value.strip().lower() == "true"
            return Conversion(flag, False, f"The value becomes {_show(flag)}.")
        if isinstance(value, int | float):
            flag = value != 0
            return Conversion(flag, True, f"The number {old} is lost: it becomes {_show(flag)}.")
        return Conversion(False, True, f"The value {old} is lost: it becomes false.")
    if target == "list":
        if isinstance(value, dict):
            items = list(value.values())
            return Conversion(items, bool(value), f"The keys are lost: the value becomes the list {_show(items)}.")
        return Conversion([value], False, f"The value becomes a list of one item, {_show([value])}.")
    if target == "map":
        if isinstance(value, list):
            mapping = {str(index + 1): item for index, item in enumerate(value)}
            return Conversion(mapping, False, f"The items become entries keyed by position: {_show(mapping)}.")
        return Conversion({"value": value}, False, f"The value becomes a map of one entry, {_show({'value': value})}.")
    raise ValueError(f"unknown type {target!r}")


def _to_number(value: Any, target: str, old: str) -> Conversion:
    number: int | float | None
    if isinstance(value, bool):
        number = int(value)
        lost = True
    elif isinstance(value, int | float):
        number = value
        lost = False
    elif isinstance(value, str):
        number = _number_from_text(value)
        lost = number is None
    else:
        number = None
        lost = True
    if number is None:
        zero: int | float = 0 if target == "int" else 0.0
        kind = "text" if isinstance(value, str) else "value"
        return Conversion(zero, True, f"The {kind} {old} is not a number, so it is lost: the value becomes {zero}.")
    if target == "int":
        if isinstance(number, float):
            whole = int(number)
            return Conversion(
                whole,
                lost or whole != number,
                f"The value becomes {whole}" + (" (the fraction is dropped)." if whole != number else "."),
            )
        return Conversion(number, lost, f"The value becomes {number}.")
    try:
        as_float = float(number)
    except OverflowError:
        return Conversion(0.0, True, f"The number {old} is too large for a decimal number: the value becomes 0.0.")
    inexact = isinstance(number, int) and int(as_float) != number
    note = f"The value becomes {_show(as_float)}" + (" (digits are lost: it is too long)." if inexact else ".")
    return Conversion(as_float, lost or inexact, note)
