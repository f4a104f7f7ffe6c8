"""zhi's metadata labels as the value editor reads them (zhi-protocol.md 3), Qt-free.

Labels are ``namespace.name``. Stores and people write them in two forms, flat
(``{"ui.password": true}``) and nested by namespace (``{"ui": {"password": true}}``);
``LabelSet`` reads both and, when labels are changed, writes each back in the
form it came in, so unknown labels and the user's layout pass through untouched.

``editor_spec`` decides which editor a value gets; the ``*_problem`` functions
return a sentence for the user, or None when all is well.
"""

from __future__ import annotations

import copy
import datetime as dt
import enum
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from zhi_gui.core import jsonvalues

# Labels whose truthy value locks the value in the editor, with why, for the user.
LOCK_REASONS = {
    "ui.readonly": "it is marked read-only (label ui.readonly)",
    "config.immutable": "it is immutable once set (label config.immutable)",
}
SECRET_LABELS = ("ui.password", "store.writeonly")
CORE_TYPES = (
    "string",
    "int",
    "float",
    "bool",
    "email",
    "url",
    "hostname",
    "port",
    "filepath",
    "duration",
    "bytes",
    "date",
    "datetime",
    "ip",
    "cidr",
    "uuid",
    "map",
    "list",
    "yaml",
    "json",
)
UI_FORMATS = ("text", "json", "yaml", "toml", "code", "markdown", "html")
# ui.format values that want a multi-line text field.
MULTILINE_FORMATS = frozenset({"toml", "code", "markdown", "html"})
# Labels whose value must be a boolean (true/false, or the strings "true"/"false").
BOOLEAN_LABELS = frozenset(
    {
        "ui.readonly",
        "ui.password",
        "ui.hidden",
        "ui.multiline",
        "ui.confirm",
        "config.required",
        "config.immutable",
        "store.writeonly",
        "store.noversion",
        "store.encrypt",
    }
)


def truthy_label(value: Any) -> bool:
    """zhi labels are booleans, but hand-written metadata often says "true"."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


# --- reading and writing labels in both forms --------------------------------


class LabelSet:
    """The labels of one metadata object, by flat name, remembering each one's form.

    A top-level key holding a dot is a flat label. A top-level key without a dot
    whose value is an object is a namespace: each of its keys is a label
    ``namespace.key`` (the value itself is not flattened further, so an object
    valued label such as ``config.default`` stays whole). When both forms name
    the same label, the flat one wins, as it is the more specific spelling.
    """

    def __init__(self, metadata: Mapping[str, Any] | None = None) -> None:
        self._raw: dict[str, Any] = copy.deepcopy(dict(metadata or {}))

    @classmethod
    def from_json(cls, metadata_json: bytes) -> LabelSet:
        from zhi_gui.core.jsonvalues import decode_metadata

        return cls(decode_metadata(metadata_json))

    # reading

    def _iter(self) -> Iterator[tuple[str, Any, bool]]:
        """(flat name, value, nested?) in document order, conflicts included."""
        for key, value in self._raw.items():
            if "." not in key and isinstance(value, dict):
                for sub, subvalue in value.items():
                    yield f"{key}.{sub}", subvalue, True
            else:
                yield key, value, False

    def flat(self) -> dict[str, Any]:
        """Every label by its flat name (flat spelling wins over nested)."""
        out: dict[str, Any] = {}
        flat_names: set[str] = set()
        for name, value, nested in self._iter():
            if not nested:
                out[name] = value
                flat_names.add(name)
            elif name not in flat_names:
                out.setdefault(name, value)
        return out

    def names(self) -> list[str]:
        return list(self.flat())

    def items(self) -> list[tuple[str, Any]]:
        return list(self.flat().items())

    def get(self, name: str, default: Any = None) -> Any:
        return self.flat().get(name, default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.flat()

    def __len__(self) -> int:
        return len(self.flat())

    def is_true(self, name: str) -> bool:
        return truthy_label(self.get(name))

    def is_nested(self, name: str) -> bool:
        """True when ``name`` is (only) written inside a namespace object."""
        if name in self._raw:
            return False
        namespace, _, rest = name.partition(".")
        holder = self._raw.get(namespace)
        return bool(rest) and isinstance(holder, dict) and rest in holder

    # writing

    def _prefers_nested(self, namespace: str) -> bool:
        if isinstance(self._raw.get(namespace), dict) and "." not in namespace:
            return True
        flat_keys = any("." in key for key in self._raw)
        nested_keys = any("." not in k and isinstance(v, dict) for k, v in self._raw.items())
        return nested_keys and not flat_keys

    def set(self, name: str, value: Any) -> None:
        namespace, dot, rest = name.partition(".")
        if name in self._raw or not dot:
            self._raw[name] = value
            return
        holder = self._raw.get(namespace)
        if isinstance(holder, dict) and rest in holder:
            holder[rest] = value
        elif self._prefers_nested(namespace):
            self._raw.setdefault(namespace, {})[rest] = value
        else:
            self._raw[name] = value

    def remove(self, name: str) -> None:
        """Remove every spelling of ``name``; an emptied namespace object goes too."""
        self._raw.pop(name, None)
        namespace, dot, rest = name.partition(".")
        holder = self._raw.get(namespace)
        if dot and isinstance(holder, dict) and rest in holder:
            del holder[rest]
            if not holder:
                del self._raw[namespace]

    def replace_all(self, items: Iterable[tuple[str, Any]]) -> None:
        """Make the labels exactly ``items``: kept labels keep their form and place."""
        wanted = dict(items)
        for name in self.names():
            if name not in wanted:
                self.remove(name)
        current = self.flat()
        for name, value in wanted.items():
            if name not in current or not same_json(current[name], value):
                self.set(name, value)

    def to_metadata(self) -> dict[str, Any]:
        return copy.deepcopy(self._raw)

    def copy(self) -> LabelSet:
        return LabelSet(self._raw)


def same_json(a: Any, b: Any) -> bool:
    """Equality as zhi sees it: 1 and 1.0 are one float64 (both written "1"), true is not 1."""
    return canonical_json(a) == canonical_json(b)


def canonical_json(value: Any) -> str:
    return jsonvalues.dumps(value, escape_html=False)


# --- deciding the editor ------------------------------------------------------


class EditorKind(enum.StrEnum):
    STRING = "string"
    MULTILINE = "multiline"
    INT = "number-int"
    FLOAT = "number-float"
    BOOL = "bool"
    NULL = "null"
    ENUM = "enum"
    LIST = "list"
    MAP = "map"
    JSON_TEXT = "json-text"  # a string holding JSON
    YAML_TEXT = "yaml-text"  # a string holding YAML
    PASSWORD = "password"
    RAW_JSON = "json"  # any JSON value typed as JSON text


@dataclass(frozen=True, slots=True)
class EditorSpec:
    kind: EditorKind
    core_type: str = ""
    ui_format: str = ""
    readonly: bool = False
    lock_reason: str = ""  # why the value is locked, for the user ("" when not locked)
    writeonly: bool = False
    secret: bool = False
    required: bool = False
    pattern: str | None = None
    pattern_error: str | None = None  # the ui.pattern label is not a usable regex
    strings_only: bool = False  # list of strings / map string -> string
    enum_options: tuple[Any, ...] = ()
    display_name: str = ""
    placeholder: str = ""
    description: str = ""
    unit: str = ""
    example: str = ""
    deprecated: str = ""  # "" = not deprecated; else a note for the user
    notes: tuple[str, ...] = field(default_factory=tuple)  # label problems worth showing


def _text(value: Any) -> str:
    if value is None or value is False:
        return ""
    if isinstance(value, str):
        return value
    return jsonvalues.to_text(value)


def kind_for_type(core_type: str) -> EditorKind | None:
    """The editor a ``core.type`` wants for a value not yet set (null)."""
    return {
        "int": EditorKind.INT,
        "port": EditorKind.INT,
        "float": EditorKind.FLOAT,
        "bool": EditorKind.BOOL,
        "list": EditorKind.LIST,
        "map": EditorKind.MAP,
        "json": EditorKind.JSON_TEXT,
        "yaml": EditorKind.YAML_TEXT,
    }.get(core_type, EditorKind.STRING if core_type in CORE_TYPES else None)


def _string_kind(text: str, labels: LabelSet, core_type: str, ui_format: str) -> EditorKind:
    if labels.is_true("ui.password") or labels.is_true("store.writeonly"):
        return EditorKind.PASSWORD
    if core_type == "json" or ui_format == "json":
        return EditorKind.JSON_TEXT
    if core_type == "yaml" or ui_format == "yaml":
        return EditorKind.YAML_TEXT
    if labels.is_true("ui.multiline") or ui_format in MULTILINE_FORMATS or "\n" in text:
        return EditorKind.MULTILINE
    return EditorKind.STRING


def decide_kind(value: Any, labels: LabelSet) -> EditorKind:
    core_type = _text(labels.get("core.type")).strip().lower()
    ui_format = _text(labels.get("ui.format")).strip().lower()
    if labels.is_true("store.writeonly"):
        # The value never comes back (it arrives as null): the editor only replaces it.
        typed = kind_for_type(core_type)
        if typed in (None, EditorKind.STRING):
            return _string_kind("", labels, core_type, ui_format)
        return typed
    if isinstance(value, str | list | dict) and jsonvalues.has_lone_surrogate(value):
        return EditorKind.RAW_JSON  # shown as JSON text, where a lone surrogate reads \ud800 and survives
    enum_values = labels.get("ui.enum")
    if isinstance(enum_values, list) and enum_values and not isinstance(value, list | dict):
        return EditorKind.ENUM
    if value is None:
        return EditorKind.NULL
    if isinstance(value, bool):
        return EditorKind.BOOL
    if isinstance(value, int):
        return EditorKind.INT
    if isinstance(value, float):
        return EditorKind.FLOAT
    if isinstance(value, str):
        return _string_kind(value, labels, core_type, ui_format)
    if isinstance(value, list):
        return EditorKind.LIST
    if isinstance(value, dict):
        return EditorKind.MAP
    return EditorKind.RAW_JSON


def editor_spec(value: Any, metadata: Mapping[str, Any] | LabelSet | None) -> EditorSpec:
    """Which editor ``value`` (decoded JSON) gets under these labels, and its flags."""
    labels = metadata if isinstance(metadata, LabelSet) else LabelSet(metadata)
    kind = decide_kind(value, labels)
    core_type = _text(labels.get("core.type")).strip().lower()
    ui_format = _text(labels.get("ui.format")).strip().lower()
    notes: list[str] = []
    for name, label_value in labels.items():
        problem = label_problem(name, label_value)
        if problem:
            notes.append(problem)
    if kind is EditorKind.RAW_JSON and isinstance(value, str | list | dict) and jsonvalues.has_lone_surrogate(value):
        notes.append("the value holds a lone UTF-16 surrogate (as zhi-store-json keeps it), which a text field "
                     "cannot show: it is edited as JSON, where it reads \\ud800 and is kept as written")

    lock = next((reason for name, reason in LOCK_REASONS.items() if labels.is_true(name)), "")
    pattern_value = labels.get("ui.pattern")
    pattern = pattern_value if isinstance(pattern_value, str) and pattern_value else None
    pattern_error = regex_problem(pattern) if pattern is not None else None

    if kind is EditorKind.LIST:
        strings_only = core_type == "list" or all(isinstance(item, str) for item in value)
    elif kind is EditorKind.MAP:
        strings_only = core_type == "map" or all(isinstance(item, str) for item in value.values())
    else:
        strings_only = False
    enum_values = labels.get("ui.enum")
    deprecated = labels.get("core.deprecated")
    if truthy_label(deprecated):
        deprecated_note = "this value is deprecated"
    elif isinstance(deprecated, str) and deprecated.strip() and deprecated.strip().lower() != "false":
        deprecated_note = deprecated.strip()
    else:
        deprecated_note = ""
    return EditorSpec(
        kind=kind,
        core_type=core_type,
        ui_format=ui_format,
        readonly=bool(lock),
        lock_reason=lock,
        writeonly=labels.is_true("store.writeonly"),
        secret=any(labels.is_true(name) for name in SECRET_LABELS),
        required=labels.is_true("config.required"),
        pattern=pattern,
        pattern_error=pattern_error,
        strings_only=strings_only,
        enum_options=tuple(enum_values) if isinstance(enum_values, list) else (),
        display_name=_text(labels.get("ui.displayName")),
        placeholder=_text(labels.get("ui.placeholder")),
        description=_text(labels.get("core.description")),
        unit=_text(labels.get("core.unit")),
        example=_text(labels.get("core.example")),
        deprecated=deprecated_note,
        notes=tuple(notes),
    )


# --- validation ---------------------------------------------------------------


def regex_problem(pattern: str) -> str | None:
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"the label ui.pattern is not a valid regular expression ({exc}), so the value cannot be checked"
    return None


def pattern_problem(pattern: str | None, text: str) -> str | None:
    """``text`` must match ``pattern`` as a whole (a broken pattern is reported, not raised)."""
    if not pattern:
        return None
    try:
        compiled = re.compile(pattern)
    except re.error:
        return regex_problem(pattern)
    if compiled.fullmatch(text) is None:
        return f"the value does not match the required pattern {pattern}"
    return None


_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_HOST_LABEL_RE = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_DURATION_RE = re.compile(r"^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$")
_UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_INT_RE = re.compile(r"^[-+]?\d+$")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def hostname_problem(text: str) -> str | None:
    name = text[:-1] if text.endswith(".") else text
    if not name or len(name) > 253:
        return "a host name must have 1 to 253 characters"
    for part in name.split("."):
        if not _HOST_LABEL_RE.match(part):
            return (
                f"{text!r} is not a valid host name: each dot-separated part has 1-63 letters, digits"
                " or '-', and does not start or end with '-'"
            )
    return None


def _string_type_problem(core_type: str, text: str) -> str | None:
    if core_type == "int":
        return None if _INT_RE.match(text.strip()) else f"{text!r} is not a whole number"
    if core_type == "float":
        try:
            float(text)
        except ValueError:
            return f"{text!r} is not a number"
        return None
    if core_type == "port":
        if not _INT_RE.match(text.strip()):
            return f"{text!r} is not a port number (1-65535)"
        return _port_problem(int(text))
    if core_type == "bool":
        return None if text in ("true", "false") else f"{text!r} is not true or false"
    if core_type == "email":
        return None if _EMAIL_RE.match(text) else f"{text!r} is not an email address (name@example.com)"
    # ipaddress, uuid and urllib are imported where a label of their type is checked, not with
    # the window (issue 14: cold start)
    if core_type == "url":
        from urllib.parse import urlsplit

        parts = urlsplit(text)
        if not parts.scheme or not (parts.netloc or parts.path) or " " in text:
            return f"{text!r} is not a URL (it needs a scheme, as in https://example.com)"
        return None
    if core_type == "hostname":
        return hostname_problem(text)
    if core_type == "ip":
        import ipaddress

        try:
            ipaddress.ip_address(text)
        except ValueError:
            return f"{text!r} is not an IP address (IPv4 such as 10.0.0.1 or IPv6 such as ::1)"
        return None
    if core_type == "cidr":
        import ipaddress

        try:
            if "/" not in text:
                raise ValueError(text)
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            return f"{text!r} is not a CIDR range (such as 10.0.0.0/8)"
        return None
    if core_type == "uuid":
        import uuid

        try:
            if not _UUID_RE.match(text):
                raise ValueError(text)
            uuid.UUID(text)
        except ValueError:
            return f"{text!r} is not a UUID (8-4-4-4-12 hexadecimal digits)"
        return None
    if core_type == "duration":
        if text == "0" or _DURATION_RE.match(text):
            return None
        return f"{text!r} is not a duration (such as 90s, 1h30m or 250ms)"
    if core_type == "date":
        try:
            if not _DATE_RE.match(text):
                raise ValueError(text)
            dt.date.fromisoformat(text)
        except ValueError:
            return f"{text!r} is not a date (YYYY-MM-DD)"
        return None
    if core_type == "datetime":
        try:
            if not _DATETIME_RE.match(text):
                raise ValueError(text)
            dt.datetime.fromisoformat(text.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            return f"{text!r} is not a date and time (RFC 3339, such as 2024-05-01T12:00:00Z)"
        return None
    if core_type == "filepath":
        return "a file path must not contain a NUL character" if "\0" in text else None
    if core_type == "yaml":
        return yaml_problem(text)
    if core_type == "json":
        return json_problem(text)
    return None


def _port_problem(port: int) -> str | None:
    return None if 1 <= port <= 65535 else f"{port} is not a port number (1-65535)"


def type_problem(core_type: str, value: Any) -> str | None:
    """Does ``value`` (decoded JSON) fit ``core.type``? Null is left to ``config.required``."""
    core_type = core_type.strip().lower()
    if value is None or not core_type:
        return None
    if core_type == "int":
        if _is_int(value):
            return None
        if isinstance(value, str):
            return _string_type_problem(core_type, value)
        return "the value must be a whole number"
    if core_type == "float":
        if _is_number(value):
            return None
        if isinstance(value, str):
            return _string_type_problem(core_type, value)
        return "the value must be a number"
    if core_type == "port":
        if _is_int(value):
            return _port_problem(value)
        if isinstance(value, str):
            return _string_type_problem(core_type, value)
        return "the value must be a port number (1-65535)"
    if core_type == "bool":
        if isinstance(value, bool):
            return None
        if isinstance(value, str):
            return _string_type_problem(core_type, value)
        return "the value must be true or false"
    if core_type == "list":
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return None
        return "the value must be a list of strings"
    if core_type == "map":
        if isinstance(value, dict) and all(isinstance(item, str) for item in value.values()):
            return None
        return "the value must be a map of strings to strings"
    if core_type in CORE_TYPES:
        if not isinstance(value, str):
            if core_type == "string":
                return "the value must be a string"
            return f"the value must be a string holding a {core_type}"
        return _string_type_problem(core_type, value)
    return None  # an unknown type is zhi's to define later; do not refuse it


def parse_json(text: str) -> Any:
    """Strict JSON, as zhi reads it (zhi_gui.core.jsonvalues): NaN, Infinity and 1e400 are refused."""
    return jsonvalues.parse(text)


def json_problem(text: str) -> str | None:
    try:
        parse_json(text)
    except json.JSONDecodeError as exc:
        return f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except ValueError as exc:
        return f"JSON syntax error: {exc}"
    return None


def yaml_problem(text: str) -> str | None:
    import yaml  # only YAML values need it: not loaded with the window (cold start)

    try:
        yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if mark is not None:
            return f"YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {what}"
        return f"YAML syntax error: {what}"
    except yaml.YAMLError as exc:
        return f"YAML syntax error: {exc}"
    return None


def error_position(problem: str | None) -> tuple[int, int] | None:
    """(line, column), both 1-based, of a problem from json_problem / yaml_problem."""
    if not problem:
        return None
    match = re.search(r"line (\d+), column (\d+)", problem)
    return (int(match.group(1)), int(match.group(2))) if match else None


def enum_problem(options: Iterable[Any], value: Any) -> str | None:
    options = list(options)
    if not options or any(same_json(option, value) for option in options):
        return None
    return "the value is not one of the allowed values: " + ", ".join(_text(o) for o in options)


def required_problem(required: bool, value: Any) -> str | None:
    if required and (value is None or value == "" or value == [] or value == {}):
        return "a value is required (label config.required)"
    return None


def value_problem(value: Any, spec: EditorSpec) -> str | None:
    """The first reason ``value`` may not be staged under ``spec``, or None."""
    problem = required_problem(spec.required, value)
    if problem:
        return problem
    if value is None:
        return None
    if spec.enum_options:
        problem = enum_problem(spec.enum_options, value)
        if problem:
            return problem
    if spec.pattern and spec.pattern_error is None:
        if isinstance(value, str):
            problem = pattern_problem(spec.pattern, value)
        elif _is_number(value):
            problem = pattern_problem(spec.pattern, jsonvalues.to_text(value))
        elif isinstance(value, list):
            problem = next(
                (
                    f"item {index + 1}: {p}"
                    for index, item in enumerate(value)
                    if isinstance(item, str) and (p := pattern_problem(spec.pattern, item))
                ),
                None,
            )
        if problem:
            return problem
    problem = type_problem(spec.core_type, value)
    if problem:
        return problem
    if isinstance(value, str) and spec.core_type not in ("json", "yaml"):
        if spec.ui_format == "json":
            return json_problem(value)
        if spec.ui_format == "yaml":
            return yaml_problem(value)
    return None


def label_name_problem(name: str) -> str | None:
    if not name.strip():
        return "a label needs a name"
    if name != name.strip():
        return f"the label name {name!r} has spaces around it"
    if "." not in name or name.startswith(".") or name.endswith("."):
        return f"a label name is namespace.name (such as ui.password), not {name!r}"
    return None


def label_problem(name: str, value: Any) -> str | None:
    """Labels the editor acts on, in a shape it cannot use."""
    if name in BOOLEAN_LABELS and not isinstance(value, bool) and value not in ("true", "false"):
        return f"the label {name} should be true or false"
    if name == "ui.enum" and not isinstance(value, list):
        return "the label ui.enum should be a list of the allowed values"
    if name == "ui.pattern":
        if not isinstance(value, str):
            return "the label ui.pattern should be a regular expression (a string)"
        return regex_problem(value)
    if name == "core.type" and (not isinstance(value, str) or value.strip().lower() not in CORE_TYPES):
        return f"the label core.type should be one of: {', '.join(CORE_TYPES)}"
    if name == "ui.format" and (not isinstance(value, str) or value.strip().lower() not in UI_FORMATS):
        return f"the label ui.format should be one of: {', '.join(UI_FORMATS)}"
    return None


def parse_label_value(text: str) -> tuple[Any, str | None]:
    """A label value typed as JSON: (value, None) or (None, why it was refused)."""
    stripped = text.strip()
    if not stripped:
        return None, 'the label value is empty: type JSON, such as true, 3 or "text"'
    try:
        return parse_json(stripped), None
    except json.JSONDecodeError as exc:
        hint = ' (text goes in double quotes: "like this")' if stripped[:1].isalpha() else ""
        return None, f"not valid JSON at column {exc.colno}: {exc.msg}{hint}"
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"
