"""zhi's JSON file store format (zhi-protocol.md 5), read and written byte-exactly.

A tree file ``<dir>/<tree-id>.json`` is what zhi's Go code writes with
``json.MarshalIndent(map[string]*config.Value, "", "  ")``:

- a JSON object mapping each path to an entry, keys sorted (Go sorts map keys
  byte-wise; code-point order of ``str`` is the same for UTF-8);
- an entry is the Go struct ``config.Value``, so its fields come in
  declaration order, NOT sorted: ``"value"`` first, then ``"metadata"``,
  which is left out when empty (``omitempty`` on a map: nil or no labels);
- two-space indent, ``": "`` after keys, empty objects and arrays as ``{}``
  and ``[]``, and no trailing newline;
- strings escaped as Go >= 1.22 does: ``\\" \\\\ \\b \\f \\n \\r \\t``, other
  control characters as ``\\u00XX`` (lower-case hex), and, because
  ``escapeHTML`` is on, ``< > &`` as ``\\u003c \\u003e \\u0026`` and
  U+2028/U+2029 as ``\\u2028``/``\\u2029``; everything else as raw UTF-8.

Numbers: zhi decodes values into ``any``, so Go holds every number as a
float64 and writes it back in Go's float format (``1.0`` -> ``1``,
``12345678901234567890`` -> ``12345678901234567000``). This module keeps the
literal text of every number instead (``JSONNumber``), so ints stay ints, big
ints stay exact and ``1.0`` stays ``1.0``. For every number whose text is
already what Go would print (all ints below 2**53 and shortest-form floats
such as ``0.5`` or ``-3.25``) the bytes are identical to zhi's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

INDENT = "  "


class FormatError(ValueError):
    """A document that is not zhi's tree format (the reason, in words)."""


class JSONNumber:
    """A JSON number kept as its literal text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"JSONNumber({self.text!r})"


def _reject_constant(name: str) -> Any:
    raise FormatError(f"{name} is not a JSON value")


def loads(text: str) -> Any:
    """Parse JSON keeping numbers as ``JSONNumber``; NaN/Infinity are refused (Go refuses them)."""
    try:
        return json.loads(text, parse_int=JSONNumber, parse_float=JSONNumber,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise FormatError("JSON nested too deeply") from None


def loads_bytes(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(f"not UTF-8 (byte {exc.start})") from None
    if text.startswith("\ufeff"):
        raise FormatError("starts with a byte order mark (zhi cannot read that)")
    return loads(text)


# --- writing -----------------------------------------------------------------

_GO_EXTRA_ESCAPES = re.compile("[<>&\u2028\u2029\ud800-\udfff]")


def _escape_extra(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def encode_string(value: str) -> str:
    # Python escapes exactly Go's set of control characters the same way
    # (short forms for \b \f \n \r \t, \u00xx lower-case otherwise); add Go's
    # HTML escapes and U+2028/9. A lone surrogate (only possible from a
    # "\ud800" escape) is written back as that escape.
    out = json.dumps(value, ensure_ascii=False)
    if _GO_EXTRA_ESCAPES.search(out):
        out = _GO_EXTRA_ESCAPES.sub(_escape_extra, out)
    return out


def go_float(value: float) -> str:
    """A float as Go's encoding/json writes a float64."""
    if value != value or value in (float("inf"), float("-inf")):
        raise FormatError(f"{value} is not a JSON number")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)  # shortest digits; always in exponent form in this range
        mantissa, _, exponent = text.partition("e")
        if mantissa.endswith(".0"):
            mantissa = mantissa[:-2]
        sign = exponent[0] if exponent[0] in "+-" else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        if len(digits) < 2 and sign == "+":
            digits = digits.rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return format(Decimal(repr(value)).normalize(), "f")


@dataclass(frozen=True, slots=True)
class Fields:
    """An object written with its keys in the given order (a Go struct)."""

    pairs: tuple[tuple[str, Any], ...]


def _encode(value: Any, indent: str | None, level: int, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, JSONNumber):
        out.append(value.text)
    elif isinstance(value, str):
        out.append(encode_string(value))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(go_float(value))
    elif isinstance(value, Fields | Mapping):
        pairs: Iterable[tuple[Any, Any]]
        if isinstance(value, Fields):
            pairs = value.pairs
        else:
            for key in value:
                if not isinstance(key, str):
                    raise FormatError(f"object key {key!r} is not a string")
            pairs = sorted(value.items())
        _encode_container("{", "}", [(encode_string(k), v) for k, v in pairs], indent, level, out)
    elif isinstance(value, list | tuple):
        _encode_container("[", "]", [(None, v) for v in value], indent, level, out)
    else:
        raise FormatError(f"{type(value).__name__} is not a JSON value")


def _encode_container(open_: str, close: str, items: list[tuple[str | None, Any]],
                      indent: str | None, level: int, out: list[str]) -> None:
    if not items:
        out.append(open_ + close)
        return
    out.append(open_)
    inner = "\n" + indent * (level + 1) if indent is not None else ""
    for index, (key, item) in enumerate(items):
        if index:
            out.append(",")
        out.append(inner)
        if key is not None:
            out.append(key)
            out.append(": " if indent is not None else ":")
        _encode(item, indent, level + 1, out)
    if indent is not None:
        out.append("\n" + indent * level)
    out.append(close)


def dumps(value: Any, indent: str | None = None) -> str:
    """Go's json.Marshal (indent None) or json.MarshalIndent(v, "", indent)."""
    out: list[str] = []
    try:
        _encode(value, indent, 0, out)
    except RecursionError:
        raise FormatError("JSON nested too deeply") from None
    return "".join(out)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, JSONNumber | int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# --- tree files ----------------------------------------------------------------


class Cell:
    """One path of a tree: its value, labels and any fields zhi does not know."""

    __slots__ = ("_metadata_json", "_value_json", "extra", "metadata", "value")

    def __init__(self, value: Any, metadata: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.value = value
        self.metadata = metadata or None
        self.extra = extra or None
        self._value_json: bytes | None = None
        self._metadata_json: bytes | None = None

    @property
    def value_json(self) -> bytes:
        if self._value_json is None:
            self._value_json = dumps(self.value).encode()
        return self._value_json

    @property
    def metadata_json(self) -> bytes:
        if self._metadata_json is None:
            self._metadata_json = dumps(self.metadata).encode() if self.metadata else b""
        return self._metadata_json

    def fields(self) -> Fields:
        pairs: list[tuple[str, Any]] = [("value", self.value)]
        if self.metadata:
            pairs.append(("metadata", self.metadata))
        if self.extra:
            pairs.extend(sorted(self.extra.items()))
        return Fields(tuple(pairs))


def parse_value(value_json: bytes) -> Any:
    """A value from the wire; empty bytes are null."""
    if not value_json or not value_json.strip():
        return None
    return loads_bytes(value_json)


def parse_metadata(metadata_json: bytes) -> dict[str, Any] | None:
    """Labels from the wire: an object, or empty / null / {} for none."""
    if not metadata_json or not metadata_json.strip():
        return None
    labels = loads_bytes(metadata_json)
    if labels is None:
        return None
    if not isinstance(labels, dict):
        raise FormatError(f"metadata must be a JSON object of labels, not {json_type(labels)}")
    return labels or None


def parse_tree(data: bytes) -> dict[str, Cell]:
    """The cells of a tree file; FormatError says why the file is not zhi's format."""
    document = loads_bytes(data)
    if not isinstance(document, dict):
        raise FormatError(f"the top level is {json_type(document)}, not an object mapping paths to entries")
    cells: dict[str, Cell] = {}
    for path, raw in document.items():
        if not isinstance(raw, dict):
            raise FormatError(f'entry {path!r} is {json_type(raw)}, not an object with "value" and "metadata"')
        metadata = raw.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise FormatError(f"metadata of {path!r} is {json_type(metadata)}, not an object of labels")
        extra = {k: v for k, v in raw.items() if k not in ("value", "metadata")}
        cells[path] = Cell(raw.get("value"), metadata, extra)
    return cells


def encode_tree(cells: Mapping[str, Cell]) -> bytes:
    """The bytes zhi writes for a tree (no trailing newline, like json.MarshalIndent)."""
    document = {path: cell.fields() for path, cell in cells.items()}
    return dumps(document, INDENT).encode()
