"""The project's one JSON codec for zhi values and labels, strict the way zhi is.

zhi is Go: every value passes through ``encoding/json`` into ``any``, so what
this module accepts and writes follows Go, not Python's lenient ``json``:

Decoding refuses what Go's decoder refuses: ``NaN``/``Infinity`` (Python takes
them by default), numbers beyond float64 such as ``1e400`` (Go: "cannot
unmarshal number"), trailing data, control characters in strings, and text that
is not UTF-8: a UTF-8 byte order mark, UTF-16/32 (Python's ``json.loads(bytes)``
guesses those encodings). Invalid UTF-8 is refused too: Go would silently turn
it into U+FFFD, changing the value, so a clear refusal loses less.

Lone surrogate escapes (``"\\ud800"``) are valid JSON that Go accepts (its
decoder replaces the code unit with U+FFFD). They are kept as written here, as
zhi-store-json keeps them in its files, and written back as the same escape, so
a value holding one round-trips through the window unchanged.

Encoding is Go's ``json.Marshal`` of the decoded ``any``: object keys sorted,
``< > &`` and U+2028/U+2029 escaped, and every number a float64 written with
strconv's shortest form: ``'f'`` for 1e-6 <= |x| < 1e21, else ``'e'`` with a
two-digit minimum exponent (``1``, ``1e-7``, ``100000000000000000000``,
``-0``, ``1000``, ``12345678901234567000``, ``1e+21``).

Deep nesting: Go allows 10,000 levels, Python's recursion limit about 1,000,
less whatever the stack already holds. So values are refused beyond a fixed
``MAX_DEPTH`` (512) levels, the same on every path a value takes (wire check,
encoder, file writer, diff), with a short message, never a crash.
"""

from __future__ import annotations

import json
import json.encoder
import math
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from zhi_gui.core.errors import InvalidArgument

JSONValue = Any  # None | bool | int | float | str | list | dict | JSONNumber

_FLOAT64_EXACT_INT = 1 << 53
MAX_DEPTH = 512


class JSONProblem(ValueError):
    """Why a document or value is not JSON that zhi reads or writes (short, no echo of the input)."""


class JSONSyntaxProblem(json.JSONDecodeError, JSONProblem):
    """Invalid JSON text; keeps ``msg``, ``lineno`` and ``colno`` for editors that point at the spot."""

    def __str__(self) -> str:
        return f"invalid JSON at line {self.lineno} column {self.colno}: {self.msg}"


class JSONNumber:
    """A JSON number kept as its literal text (zhi-store-json keeps a file's
    numbers exactly as written); encoded as that text."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, JSONNumber) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return f"JSONNumber({self.text!r})"


# --- bytes -> text ------------------------------------------------------------

_UNICODE_BOMS = (
    (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"),
)


_PLAIN_START = frozenset(bytes([b]) for b in range(1, 128))


def text_of(data: bytes) -> str:
    """The UTF-8 text of a JSON document, or JSONProblem (BOM, UTF-16/32, invalid UTF-8)."""
    if data[:1] in _PLAIN_START and b"\x00" not in data[:4]:
        # Starts with an ASCII byte other than NUL: no BOM, not UTF-16/32 (checked per value on writes).
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise JSONProblem(f"not UTF-8 (invalid byte {exc.start})") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise JSONProblem("starts with a byte order mark (zhi reads plain UTF-8 only)")
    for bom, name in _UNICODE_BOMS:
        if data.startswith(bom):
            raise JSONProblem(f"{name} text, not UTF-8 (zhi reads UTF-8 only)")
    if b"\x00" in data[:4]:
        # JSON text starts with ASCII; a NUL among the first bytes means UTF-16/32.
        raise JSONProblem("UTF-16 or UTF-32 text, not UTF-8 (zhi reads UTF-8 only)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONProblem(f"not UTF-8 (invalid byte {exc.start})") from None


# --- text -> value --------------------------------------------------------------


def _refuse_constant(name: str) -> Any:
    raise JSONProblem(f"{name} is not a JSON value (zhi refuses it)")


def check_number_range(text: str) -> None:
    """JSONProblem unless the number fits a float64, as Go's decoder requires."""
    if math.isinf(float(text)):
        shown = text if len(text) <= 24 else text[:20] + "\u2026"
        raise JSONProblem(f"the number {shown} is too large for zhi (it reads numbers as float64)")


def _value_int(text: str) -> int | float:
    if text == "-0":
        return -0.0  # Go reads -0 as the float64 -0 and writes it back as "-0"
    if len(text) > 300:  # float64 ends near 1.8e308; int() would also refuse past 4,300 digits
        check_number_range(text)
    return int(text)


def _value_float(text: str) -> float:
    check_number_range(text)
    return float(text)


_DECODERS: dict[tuple[Callable[[str], Any], Callable[[str], Any]], json.JSONDecoder] = {}


def parse(text: str, *, parse_int: Callable[[str], Any] = _value_int,
          parse_float: Callable[[str], Any] = _value_float) -> Any:
    """One JSON document, strictly; the number hooks decide how numbers are held
    (default: as zhi holds them: int or float, -0 as -0.0, float64 range).
    The hooks cost a Python call per number, but let other threads (the Qt loop)
    run in between, which one long C call would not."""
    decoder = _DECODERS.get((parse_int, parse_float))
    if decoder is None:  # json.loads would build a decoder (and its scanner) on every call
        decoder = json.JSONDecoder(parse_int=parse_int, parse_float=parse_float, parse_constant=_refuse_constant)
        if len(_DECODERS) < 16:
            _DECODERS[(parse_int, parse_float)] = decoder
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise JSONSyntaxProblem(exc.msg, exc.doc, exc.pos) from None
    except RecursionError:
        raise JSONProblem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None


def loads(data: bytes) -> Any:
    """Strict bytes -> value with numbers as zhi holds them (int or float; -0 as -0.0)."""
    value = parse(text_of(data))
    if data.count(b"[") + data.count(b"{") > MAX_DEPTH and deeper_than(value, MAX_DEPTH):
        raise JSONProblem(f"nested too deeply (more than {MAX_DEPTH} levels)")
    return value


def deeper_than(value: Any, limit: int) -> bool:
    """Whether containers in ``value`` nest more than ``limit`` levels: one level
    at a time, each container visited once, no recursion."""
    level = [value] if type(value) is dict or type(value) is list else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below = []
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    below.append(child)
        level = below
    return False


# --- value -> text --------------------------------------------------------------

# Outside strings JSON text holds only ASCII, so these can only sit in strings
# and one pass over the whole text escapes them.
_GO_ESCAPES = re.compile("[<>&\u2028\u2029\ud800-\udfff]")
_SURROGATES = re.compile("[\ud800-\udfff]")
_basic_string: Callable[[str], str] = json.encoder.encode_basestring


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def go_escape(text: str) -> str:
    """Go's HTML escapes, U+2028/9 and lone surrogates as \\uXXXX in encoded JSON text."""
    return _GO_ESCAPES.sub(_escape, text) if _GO_ESCAPES.search(text) else text


def has_lone_surrogate(value: Any) -> bool:
    """True when a string anywhere in ``value`` (keys included) holds a lone
    surrogate: text Qt's widgets cannot show (they drop it), only its JSON escape."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATES.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _escape_surrogates(text: str) -> str:
    # isascii() is one flag look-up: most text skips a regex scan that, over a megabyte,
    # held the GIL for ~7 ms in one C call (the UI thread waited when a worker ran it)
    if text.isascii() or not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(_escape, text)


def encode_string(value: str) -> str:
    """A string as Go writes it (Python escapes the same control characters the same way)."""
    return go_escape(_basic_string(value))


def go_float(value: float) -> str:
    """A float64 as Go's encoding/json writes it."""
    if not math.isfinite(value):
        raise JSONProblem(f"{value} is not a JSON number (zhi refuses it)")
    text = repr(value)  # the shortest digits that read back the same float, as Go's
    if "e" not in text:  # 1e-4 <= |x| < 1e16: Python's spelling is Go's but for ".0"
        return text[:-2] if text.endswith(".0") else text
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        mantissa, _, exponent = text.partition("e")  # exponent form in this range too
        mantissa = mantissa.removesuffix(".0")
        sign = "-" if exponent.startswith("-") else "+"
        digits = exponent.lstrip("+-").lstrip("0") or "0"
        if sign == "+" and len(digits) < 2:
            digits = digits.rjust(2, "0")
        return f"{mantissa}e{sign}{digits}"
    return format(Decimal(text).normalize(), "f")


def go_number(value: int | float) -> str:
    """An int or float as Go writes the float64 it becomes (big ints lose digits, as in zhi)."""
    if isinstance(value, int):
        if -_FLOAT64_EXACT_INT <= value <= _FLOAT64_EXACT_INT:
            return str(value)
        try:
            value = float(value)
        except OverflowError:
            raise JSONProblem("a whole number is too large for zhi (it reads numbers as float64)") from None
    return go_float(value)


def _encode(value: Any, out: list[str], pad: str | None, sort_keys: bool, sep: tuple[str, str] = (",", ":")) -> None:
    """Append the JSON text of ``value``; ``pad`` is newline + indent when indenting.
    Plain loops: one Python frame per nesting level."""
    kind = type(value)
    if kind is str:
        out.append(_basic_string(value))
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif kind is int or kind is float:
        out.append(go_number(value))
    elif kind is dict or isinstance(value, Mapping):
        if not value:
            out.append("{}")
            return
        inner = None if pad is None else pad + "  "
        keys = list(value)
        for key in keys:
            if type(key) is not str and not isinstance(key, str):
                raise JSONProblem(f"an object key is {type(key).__name__}, not a string")
        if sort_keys:
            keys.sort()
        out.append("{")
        for index, key in enumerate(keys):
            if index:
                out.append(sep[0] if inner is None else ",")
            if inner is not None:
                out.append(inner)
            out.append(_basic_string(str(key)))
            out.append(sep[1] if inner is None else ": ")
            _encode(value[key], out, inner, sort_keys, sep)
        if pad is not None:
            out.append(pad)
        out.append("}")
    elif kind is list or kind is tuple:
        if not value:
            out.append("[]")
            return
        inner = None if pad is None else pad + "  "
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(sep[0] if inner is None else ",")
            if inner is not None:
                out.append(inner)
            _encode(item, out, inner, sort_keys, sep)
        if pad is not None:
            out.append(pad)
        out.append("]")
    elif kind is JSONNumber:
        out.append(value.text)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int | float):
        out.append(go_number(float(value) if isinstance(value, float) else int(value)))
    elif isinstance(value, str):
        out.append(_basic_string(str(value)))
    else:
        raise JSONProblem(f"{type(value).__name__} is not a JSON value")


def dumps(value: Any, *, indent: bool = False, sort_keys: bool = True, escape_html: bool = True,
          spaced: bool = False) -> str:
    """Go's ``json.Marshal`` (or ``MarshalIndent(v, "", "  ")`` with ``indent``) of ``value``.

    ``escape_html=False`` is for text shown to a person: ``<`` stays ``<``; lone
    surrogates are escaped either way, so the result always encodes as UTF-8.
    ``spaced`` writes ``", "`` and ``": "`` between items (one-line previews).
    """
    out: list[str] = []
    try:
        _encode(value, out, "\n" if indent else None, sort_keys, (", ", ": ") if spaced else (",", ":"))
    except RecursionError:
        raise JSONProblem(f"nested too deeply (more than {MAX_DEPTH} levels)") from None
    text = "".join(out)
    return go_escape(text) if escape_html else _escape_surrogates(text)


# --- the wire: value_json and metadata_json ----------------------------------------


def decode_value(value_json: bytes) -> JSONValue:
    """Empty bytes mean null (zhi-protocol.md 3)."""
    if not value_json:
        return None
    try:
        return loads(value_json)
    except JSONProblem as exc:
        raise InvalidArgument(f"the value is not JSON zhi can read: {exc}") from None


def encode_value(value: JSONValue) -> bytes:
    """The bytes zhi's Go client would send for ``value``."""
    try:
        return dumps(value).encode()
    except JSONProblem as exc:
        raise InvalidArgument(f"the value cannot be stored: {exc}") from None


def check_value_json(value_json: bytes) -> None:
    """Raise InvalidArgument unless ``value_json`` is empty or one JSON document zhi reads."""
    if value_json:
        decode_value(value_json)


def decode_metadata(metadata_json: bytes) -> dict[str, Any]:
    """Metadata is a JSON object of labels, or empty; ``null`` counts as empty."""
    if not metadata_json or not metadata_json.strip():
        return {}
    try:
        data = loads(metadata_json)
    except JSONProblem as exc:
        raise InvalidArgument(f"the metadata is not JSON zhi can read: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidArgument("metadata must be a JSON object of labels")
    return data


def check_metadata_json(metadata_json: bytes) -> None:
    decode_metadata(metadata_json)


def encode_metadata(labels: dict[str, Any]) -> bytes:
    return encode_value(labels) if labels else b""


def to_text(value: JSONValue, *, indent: bool = False, sort_keys: bool = False, spaced: bool = True) -> str:
    """A value as JSON text for a person to read or edit (Go's number spelling, no HTML escapes)."""
    try:
        return dumps(value, indent=indent, sort_keys=sort_keys, escape_html=False, spaced=spaced)
    except JSONProblem as exc:
        raise InvalidArgument(f"the value cannot be shown as JSON: {exc}") from None


def from_text(text: str) -> JSONValue:
    """JSON text a person typed, read as strictly as a stored value."""
    try:
        return parse(text)
    except JSONProblem as exc:
        raise InvalidArgument(f"the text is not JSON zhi can read: {exc}") from None
