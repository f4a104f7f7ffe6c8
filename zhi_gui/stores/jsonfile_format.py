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
literal text of every number instead: a number becomes a Python int or float
when that prints back the same text, else a ``JSONNumber`` holding the text.
So ints stay ints, big ints stay exact and ``1.0`` stays ``1.0``. For every
number whose text is already what Go would print (all ints below 2**53 and
shortest-form floats such as ``0.5`` or ``-3.25``) the bytes are identical to
zhi's. Values written through the wire must fit a float64 (zhi cannot read a
file holding ``1e400``); files are read whatever they hold.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
from typing import Any, NamedTuple

from zhi_gui.core.jsonvalues import (
    JSONNumber,
    JSONProblem,
    check_number_range,
    encode_string,
    go_escape,
    go_float,
    parse,
    text_of,
)
from zhi_gui.core.jsonvalues import (
    _basic_string as _basic_string,
)

__all__ = ["JSONNumber", "encode_string", "go_escape", "go_float"]  # re-exported for the file store's users

INDENT = "  "

# The project's one JSON codec (zhi_gui.core.jsonvalues) decides what is JSON
# zhi reads; this module only adds the file layout and literal numbers.
FormatError = JSONProblem


def _parse_int(text: str) -> Any:
    # every JSON integer literal is what int() prints back, except -0 and huge ones
    if text == "-0" or len(text) > 4000:
        return JSONNumber(text)
    return int(text)


def _parse_float(text: str) -> Any:
    value = float(text)
    return value if repr(value) == text else JSONNumber(text)


def _parse_int_checked(text: str) -> Any:
    check_number_range(text)
    return _parse_int(text)


def _parse_float_checked(text: str) -> Any:
    check_number_range(text)
    return _parse_float(text)


def loads(text: str, *, check_range: bool = False) -> Any:
    """Parse JSON so that writing it back gives every number's literal text.

    Numbers become int or float when those print back the same text, else
    ``JSONNumber``. NaN/Infinity are refused (Go refuses them); with
    ``check_range`` so are numbers beyond float64, which zhi cannot read.
    """
    if check_range:
        return parse(text, parse_int=_parse_int_checked, parse_float=_parse_float_checked)
    return parse(text, parse_int=_parse_int, parse_float=_parse_float)


def loads_bytes(data: bytes, *, check_range: bool = False) -> Any:
    return loads(text_of(data), check_range=check_range)


@dataclass(frozen=True, slots=True)
class Fields:
    """An object written with its keys in the given order (a Go struct)."""

    pairs: tuple[tuple[str, Any], ...]


def _number(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        raise FormatError(f"{value} is not a JSON number")
    return repr(value)


def _pretty(value: Any, pad: str) -> str:
    """``value`` indented as MarshalIndent does; ``pad`` is newline + the current indent.
    Strings are not yet Go-escaped (``go_escape`` runs once over the result).
    Plain loops, not generators: one Python frame per level of nesting."""
    kind = type(value)
    if kind is str:
        return _basic_string(value)
    if kind is dict or kind is Fields:
        pairs = value.pairs if kind is Fields else value
        if not pairs:
            return "{}"
        inner = pad + INDENT
        parts = []
        if kind is Fields:
            for key, item in pairs:
                parts.append(_basic_string(key) + ": " + _pretty(item, inner))
        else:
            for key in sorted(pairs):
                if type(key) is not str:
                    raise FormatError(f"object key {key!r} is not a string")
                parts.append(_basic_string(key) + ": " + _pretty(pairs[key], inner))
        return "{" + inner + ("," + inner).join(parts) + pad + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner = pad + INDENT
        parts = []
        for item in value:
            parts.append(_pretty(item, inner))
        return "[" + inner + ("," + inner).join(parts) + pad + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if kind is JSONNumber:
        return value.text  # type: ignore[no-any-return]
    if kind is int or kind is float:
        return _number(value)
    if isinstance(value, Mapping):
        return _pretty(dict(value), pad)
    if isinstance(value, bool | int | float | str):
        return _pretty(type(value).__mro__[1](value), pad)  # subclasses: as their base type
    raise FormatError(f"{type(value).__name__} is not a JSON value")


def _compact(value: Any) -> str:
    try:  # the C encoder, whenever no JSONNumber is inside
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False)
    except TypeError:
        pass
    except ValueError as exc:
        raise FormatError(str(exc)) from None
    kind = type(value)
    if kind is JSONNumber:
        return value.text  # type: ignore[no-any-return]
    parts = []
    if kind is dict or kind is Fields:
        if kind is Fields:
            for key, item in value.pairs:
                parts.append(_basic_string(key) + ":" + _compact(item))
        else:
            for key in sorted(value):
                parts.append(_basic_string(key) + ":" + _compact(value[key]))
        return "{" + ",".join(parts) + "}"
    if kind is list or kind is tuple:
        for item in value:
            parts.append(_compact(item))
        return "[" + ",".join(parts) + "]"
    return _pretty(value, "")  # scalars and odd mappings: same text either way


def dumps(value: Any, indent: str | None = None) -> str:
    """Go's json.Marshal (indent None) or json.MarshalIndent(v, "", "  ") of a parsed value."""
    if indent not in (None, INDENT):
        raise ValueError("only zhi's two-space indent is supported")
    try:
        return go_escape(_compact(value) if indent is None else _pretty(value, "\n"))
    except RecursionError:
        raise FormatError("JSON nested too deeply") from None


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
    """One path of a tree: its value, labels and any fields zhi does not know.

    Immutable once made; its encodings (wire bytes, and its text in the tree
    file) are computed once, so rewriting a big tree re-encodes only what changed.
    """

    __slots__ = ("_fragment", "_metadata_json", "_value_json", "extra", "metadata", "value")

    def __init__(self, value: Any, metadata: dict[str, Any] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        self.value = value
        self.metadata = metadata or None
        self.extra = extra or None
        self._value_json: bytes | None = None
        self._metadata_json: bytes | None = None
        self._fragment: str | None = None

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

    @property
    def fragment(self) -> str:
        """This entry's object as it stands in the tree file (one level in)."""
        if self._fragment is None:
            try:
                self._fragment = go_escape(_pretty(self.fields(), _ENTRY_PAD))
            except RecursionError:
                raise FormatError("JSON nested too deeply") from None
        return self._fragment


_ENTRY_PAD = "\n" + INDENT
_ENTRY_FIELDS = frozenset({"value", "metadata"})


# A wire value whose text is already what zhi writes for it: a string with no
# escape and no character Go escapes, true, false, null, or an integer of at most
# 15 digits (exact in a float64, so Go prints it the same; -0 is not: Go writes
# it as a float). Most written values are such scalars; for them the value is
# read off the text and its file fragment put together, with no JSON parse and no
# re-encoding (a 100,000-value write spent about 0.6 s on those here).
_PLAIN_TEXT = r'"[^"\\\x00-\x1f<>&\u2028\u2029\ud800-\udfff]*+"|true|false|null|0|-?[1-9][0-9]{0,14}'
_PLAIN_SCALAR = re.compile(_PLAIN_TEXT)
_PLAIN_SCALARS = re.compile(f"(?:{_PLAIN_TEXT})(?:\n(?:{_PLAIN_TEXT}))*+")  # newline-joined: one match for a write
_CONSTANTS: dict[str, Any] = {"true": True, "false": False, "null": None}
# What a JSON string escapes (json's own and Go's): text without these is written as it is.
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f<>&\u2028\u2029\ud800-\udfff]')
# The ASCII characters written as they are, for a check in one C call (bytes.translate
# drops them; anything left needs escaping): twice as fast as the search above.
_AS_IS_ASCII = bytes(c for c in range(128) if not _NEEDS_ESCAPE.match(chr(c)))


def needs_escape(text: str) -> bool:
    """True when ``text`` holds a character a JSON string written by Go escapes."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _AS_IS_ASCII))
    return _NEEDS_ESCAPE.search(text) is not None


_ENTRY_CLOSE = _ENTRY_PAD + "}"  # the closing brace of an entry, one level in
_FIELD_PAD = _ENTRY_PAD + INDENT
_VALUE_OPEN = "{" + _FIELD_PAD + '"value": '


def wire_cell(value_json: bytes, metadata_json: bytes) -> Cell:
    """The cell a write from the wire makes, its file fragment computed (a value
    that cannot be written is refused here, with FormatError)."""
    text = value_json.decode("utf-8", "surrogateescape") if value_json else "null"
    if _PLAIN_SCALAR.fullmatch(text):
        labels = parse_metadata(metadata_json)
        cell = Cell(_plain_value(text), labels)
        cell._value_json = value_json or b"null"
        if labels is None:
            cell._fragment = _VALUE_OPEN + text + _ENTRY_CLOSE
    else:
        cell = Cell(parse_value(value_json), parse_metadata(metadata_json))
    cell.fragment  # noqa: B018 - encode now: a value that cannot be written is refused here
    return cell


class Labels(NamedTuple):
    """Labels as written after a plain value: shared by every cell of a write that
    has the same labels text (they repeat), and never changed."""

    tail: str  # the entry's text after its value: ',\n    "metadata": {...}'
    metadata: dict[str, Any]
    metadata_json: bytes  # compact, as Cell.metadata_json gives it


class LabelledText(NamedTuple):
    """A plain value's JSON text with its labels (see AnyCell)."""

    text: str
    labels: Labels


# A cell written from the wire with a plain scalar value is held as its value's
# JSON text, which is also its text in the tree file: a plain str when it has no
# labels (made in C-level passes), else a LabelledText, that text with its write's
# shared Labels, made by tuple.__new__ (a Cell per entry, built by a Python call
# each, cost 0.16 s of a 100,000-value put here, and a str subclass still 50 ms).
# The file is written with the entry's braces (and labels) around that text: making
# each entry's whole text first cost another ~15 ms. The functions below read any
# cell; a plain cell's value is read off its text.
AnyCell = Cell | str | LabelledText


def _plain_value(text: str) -> Any:
    first = text[0]
    return text[1:-1] if first == '"' else _CONSTANTS[text] if first in "tfn" else int(text)


def cell_fragment(cell: AnyCell) -> str:
    if isinstance(cell, str):
        return _VALUE_OPEN + cell + _ENTRY_CLOSE
    if isinstance(cell, LabelledText):
        return _VALUE_OPEN + cell.text + cell.labels.tail + _ENTRY_CLOSE
    return cell.fragment


def cell_value_json(cell: AnyCell) -> bytes:
    if isinstance(cell, str):
        return cell.encode()
    return cell.text.encode() if isinstance(cell, LabelledText) else cell.value_json


def cell_metadata_json(cell: AnyCell) -> bytes:
    if isinstance(cell, str):
        return b""
    return cell.labels.metadata_json if isinstance(cell, LabelledText) else cell.metadata_json


def cell_value(cell: AnyCell) -> Any:
    if isinstance(cell, str):
        return _plain_value(cell)
    return _plain_value(cell.text) if isinstance(cell, LabelledText) else cell.value


def cell_metadata(cell: AnyCell) -> dict[str, Any] | None:
    if isinstance(cell, str):
        return None
    return cell.labels.metadata if isinstance(cell, LabelledText) else cell.metadata


def plain_wire_cells(values: Sequence[bytes], metadata: Sequence[bytes],
                     joined: str | None = None) -> list[AnyCell | None]:
    """Per entry of a write, its cell when its value is a plain scalar (see
    ``wire_cell``); None for the others, which ``wire_cell`` makes and checks (as
    it does labels that are not valid). Passes over the whole write, not a
    Python call per entry; labels are read once per distinct text (they repeat).
    ``joined``: the values newline-joined as text, when the caller has it."""
    if joined is None:
        try:
            joined = b"\n".join(values).decode("utf-8")
        except UnicodeDecodeError:
            return [None] * len(values)
    texts = joined.split("\n")
    if len(texts) != len(values):  # a value holds a newline (JSON whitespace): no shortcut
        return [None] * len(values)
    # One match over the joined text when every value is plain (10 ms for 100,000, not 57)
    plain: list[Any] = [True] * len(texts) if _PLAIN_SCALARS.fullmatch(joined) else [
        *map(_PLAIN_SCALAR.fullmatch, texts)]
    cells: list[AnyCell | None] = [*texts]
    if not any(metadata) and all(plain):  # the common bulk write: no Python code per entry
        return cells
    odd = set(compress(range(len(texts)), metadata))  # C-level passes: entries with labels or a value not plain
    if not all(plain):
        odd.update(compress(range(len(texts)), map(operator.not_, plain)))
    labelled = {labels_json: _labels(labels_json) for labels_json in set(map(metadata.__getitem__, odd))}
    new = tuple.__new__
    for index in sorted(odd):
        known = labelled[metadata[index]]
        cells[index] = new(LabelledText, (texts[index], known)) if plain[index] and known is not None else None
    return cells


def _labels(labels_json: bytes) -> Labels | None:
    """Labels and the text that follows a plain value in the entry's file text;
    None when they are not a non-empty object of labels (the caller says why)."""
    try:
        labels = parse_metadata(labels_json)
        if labels is None:
            return None
        tail = "," + _FIELD_PAD + '"metadata": ' + go_escape(_pretty(labels, _FIELD_PAD))
        return Labels(tail, labels, dumps(labels).encode())
    except (FormatError, RecursionError):
        return None


def parse_value(value_json: bytes) -> Any:
    """A value from the wire; empty bytes are null. Numbers zhi could not read are refused."""
    if not value_json or not value_json.strip():
        return None
    return loads_bytes(value_json, check_range=True)


def parse_metadata(metadata_json: bytes) -> dict[str, Any] | None:
    """Labels from the wire: an object, or empty / null / {} for none."""
    if not metadata_json or not metadata_json.strip():
        return None
    labels = loads_bytes(metadata_json, check_range=True)
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
        if type(raw) is not dict:
            raise FormatError(f'entry {path!r} is {json_type(raw)}, not an object with "value" and "metadata"')
        metadata = raw.get("metadata")
        if metadata is not None and type(metadata) is not dict:
            raise FormatError(f"metadata of {path!r} is {json_type(metadata)}, not an object of labels")
        known = ("value" in raw) + (metadata is not None or "metadata" in raw)
        extra = None if len(raw) == known else {k: v for k, v in raw.items() if k not in _ENTRY_FIELDS}
        cells[path] = Cell(raw.get("value"), metadata, extra)
    return cells


def encode_tree(cells: Mapping[str, AnyCell], *, zhi_paths: bool = False) -> bytes:
    """The bytes zhi writes for a tree (no trailing newline, like json.MarshalIndent).
    ``zhi_paths``: the caller checked that every key is a zhi path (a-z 0-9 . _ - /),
    so none needs an escape and none is looked for (~7 ms for 100,000 paths)."""
    if not cells:
        return b"{}"
    paths = sorted(cells)
    # Go's escapes run in one pass over the whole text (cells' texts have theirs already,
    # and escaping twice changes nothing), and only when a path needs them: zhi's own
    # paths never do, and are written in their quotes as they are.
    escaped = not zhi_paths and needs_escape("".join(paths))
    quote = "" if escaped else '"'
    keys = [*map(_basic_string, paths)] if escaped else paths
    # One join over [key, open, text, close, key, ...], laid out by slice assignment
    # (a string per entry put together by zip and join first cost about twice as
    # much). A plain cell is its value's text: the entry's braces go around it in
    # ``open`` and ``close``; only other cells (labels, values read from a file) are
    # visited in Python, for their whole entry text.
    count = len(paths)
    plain_close = _ENTRY_CLOSE + "," + _ENTRY_PAD + quote
    parts: list[Any] = [plain_close] * (4 * count)
    parts[0::4] = keys
    parts[1::4] = [quote + ": " + _VALUE_OPEN] * count
    parts[2::4] = values = [*map(cells.__getitem__, paths)]
    parts[-1] = (_ENTRY_CLOSE if type(values[-1]) is str else "") + "\n}"
    try:  # every cell plain text (no labels): no pass over the cells' types (~11 ms)
        body = "".join(parts)
    except TypeError:  # other cells (join takes only str)
        for index in compress(range(2, 4 * count, 4), map(operator.is_not, map(type, values), repeat(str))):
            cell = parts[index]
            if type(cell) is LabelledText:  # its text, then its labels before the close
                parts[index: index + 2] = cell.text, cell.labels.tail + plain_close
            else:  # a Cell: its whole entry text
                parts[index - 1: index + 2] = quote + ": ", cell.fragment, "," + _ENTRY_PAD + quote
        last = values[-1]
        parts[-1] = (last.labels.tail + _ENTRY_CLOSE if type(last) is LabelledText
                     else _ENTRY_CLOSE if type(last) is str else "") + "\n}"
        body = "".join(parts)
    text = "{" + _ENTRY_PAD + quote + body
    return (go_escape(text) if escaped else text).encode()
