"""Tree <-> file formats for moving config in and out (no Qt, no store).

A tree here is ``{path: Entry}``. Every value passes through the one strict
codec (``core.jsonvalues``): what is written is the value zhi holds, what is
read must be a value zhi can store, else ``Refused`` says the line and why.

Formats:

``zhi``         zhi's JSON store file (``stores.jsonfile_format``): values and labels.
``json``/``yaml`` the tree nested by path segment. A value that is itself an
                object, or a value at a path that also has children, is written as
                ``{"$value": ...}`` so reading it back gives the same tree. Labels go
                in a top-level ``"$labels"`` section (path -> labels).
``toml``        nested like JSON, without labels (TOML has no null: refused).
``env``         ``KEY=<JSON>`` lines; KEY is the path in shell style and a
                ``# zhi: <path>`` comment above keeps the exact path (without one,
                a key is read as lowercase with ``__`` for ``/``: DB__HOST -> db/host).
``properties``  ``path=<JSON>`` lines, escaped as Java properties files are.

Flat forms read a value as JSON when it is JSON, else as plain text (a
handwritten ``LOG_LEVEL=info`` is the string "info").

Secrets (``core.secrets``) are written as ``MASK`` unless the caller includes
them; importing ``MASK`` for a path keeps the store's value.
"""

from __future__ import annotations

import enum
import math
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w
import yaml

from zhi_gui.core import jsonvalues
from zhi_gui.core.errors import InvalidArgument
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import path_problem, shown
from zhi_gui.core.secrets import is_secret
from zhi_gui.stores import jsonfile_format as zfile

MASK = "*** secret: not exported ***"
VALUE_KEY = "$value"
LABELS_KEY = "$labels"
STEP = 2000  # values checked between two progress reports while decoding


class Format(enum.StrEnum):
    ZHI = "zhi"
    JSON = "json"
    YAML = "yaml"
    TOML = "toml"
    ENV = "env"
    PROPERTIES = "properties"


_EXTENSIONS = {".zhi.json": Format.ZHI, ".json": Format.JSON, ".yaml": Format.YAML, ".yml": Format.YAML,
               ".toml": Format.TOML, ".env": Format.ENV, ".properties": Format.PROPERTIES}


def format_for(path: Path | str) -> Format:
    """The format a file name says (``x.zhi.json`` is zhi's format), or InvalidArgument."""
    name = Path(path).name.lower()
    for suffix, fmt in _EXTENSIONS.items():  # ".zhi.json" is tried before ".json"
        if name.endswith(suffix) or name == suffix.lstrip("."):
            return fmt
    raise InvalidArgument(f"cannot tell the format of {Path(path).name!r} from its name: give --format "
                          f"({', '.join(f.value for f in Format)})")


class Refused(InvalidArgument):
    """A file that cannot be imported: where (line, when known, or path) and why."""

    def __init__(self, reason: str, line: int = 0, path: str = "") -> None:
        self.reason, self.line, self.path = reason, line, path
        where = f"line {line}: " if line else (f"{path}: " if path else "")
        super().__init__(f"{where}{reason}")


@dataclass(frozen=True, slots=True)
class Imported:
    """One value read from a file: its JSON bytes (canonical) and labels
    (None: the file carries no labels for it, the store's are kept)."""

    value_json: bytes
    metadata_json: bytes | None
    masked: bool = False


# --- export -------------------------------------------------------------------------


def _value_of(entry: Entry, include_secrets: bool) -> Any:
    if not include_secrets and is_secret(entry):
        return MASK
    return jsonvalues.decode_value(entry.value_json)


def encode(tree: Mapping[str, Entry], fmt: Format, *, include_secrets: bool = False) -> bytes:
    """The file for ``tree``; secrets masked unless ``include_secrets``."""
    try:
        return _encode(tree, fmt, include_secrets)
    except (jsonvalues.JSONProblem, yaml.YAMLError, TypeError, ValueError, UnicodeEncodeError) as exc:
        raise InvalidArgument(f"the tree cannot be written as {fmt.value}: {exc}") from None


def _encode(tree: Mapping[str, Entry], fmt: Format, include_secrets: bool) -> bytes:
    paths = sorted(tree)
    if fmt is Format.ZHI:
        cells = {p: zfile.Cell(_value_of(tree[p], include_secrets),
                               jsonvalues.decode_metadata(tree[p].metadata_json) or None) for p in paths}
        return zfile.encode_tree(cells)  # byte for byte what zhi writes (no trailing newline)
    if fmt in (Format.ENV, Format.PROPERTIES):
        lines = []
        for p in paths:
            text = jsonvalues.dumps(_value_of(tree[p], include_secrets), escape_html=False)
            lines.extend(_env_lines(p, text) if fmt is Format.ENV else [_prop_escape(p, key=True) + "="
                                                                       + _prop_escape(text)])
        return ("\n".join(lines) + "\n").encode() if lines else b""
    nested = nest({p: _value_of(tree[p], include_secrets) for p in paths})
    if fmt is Format.TOML:
        nulls = [p for p in paths if _holds_null(_value_of(tree[p], include_secrets))]
        if nulls:
            raise InvalidArgument(f"TOML has no null, but {len(nulls)} value(s) hold one ({', '.join(nulls[:5])}): "
                                  "export as JSON or YAML instead")
        return tomli_w.dumps(nested).encode()
    labels = {p: jsonvalues.decode_metadata(tree[p].metadata_json) for p in paths if tree[p].metadata_json}
    labels = {p: v for p, v in labels.items() if v}
    if labels:
        nested[LABELS_KEY] = labels
    if fmt is Format.JSON:
        return (jsonvalues.dumps(nested, indent=True, escape_html=False) + "\n").encode()
    if fmt is Format.YAML:
        return yaml.dump(nested, Dumper=_SafeDumper, sort_keys=True, allow_unicode=True,
                         default_flow_style=False).encode()
    raise InvalidArgument(f"unknown format {fmt!r}")


def _holds_null(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if item is None:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """``{"a/b": 1}`` -> ``{"a": {"b": 1}}``; object values and values at group paths as ``{"$value": ...}``."""
    root: dict[str, Any] = {}
    groups = {p.rsplit("/", 1)[0] for p in values if "/" in p}
    groups |= {g.rsplit("/", i)[0] for g in list(groups) for i in range(1, g.count("/") + 1)}
    for path, value in values.items():
        node = root
        parts = path.split("/")
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            node = child
        if isinstance(value, dict) or path in groups:
            node.setdefault(parts[-1], {})[VALUE_KEY] = value
        else:
            node[parts[-1]] = value
    return root


def _env_key(path: str) -> str:
    key = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_").upper()
    return key if key and not key[0].isdigit() else "_" + key


def _env_lines(path: str, text: str) -> list[str]:
    if not text.startswith('"'):  # numbers, true/false/null stay bare; arrays/objects single-quoted
        text = text if text[0] not in "[{" else "'" + text + "'"
    return [f"# zhi: {path}", f"{_env_key(path)}={text}"]


_PROP_KEY_SPECIAL = re.compile(r"([\\=: #!])")


def _prop_escape(text: str, key: bool = False) -> str:
    if key:
        return _PROP_KEY_SPECIAL.sub(r"\\\1", text)
    text = text.replace("\\", "\\\\")
    return "\\" + text if text.startswith(" ") else text


# --- import -------------------------------------------------------------------------


def decode(data: bytes, fmt: Format, steps: Callable[[int], None] | None = None) -> dict[str, Imported]:
    """The values a file holds, or Refused (line and reason) for a file that cannot
    be parsed or holds values zhi cannot store. ``steps(done)`` is called every
    ``STEP`` values checked (most of the time goes there; it may raise to stop)."""
    try:
        text = jsonvalues.text_of(data)
    except jsonvalues.JSONProblem as exc:
        raise Refused(str(exc), 1) from None
    step = steps or _no_steps
    if fmt is Format.ZHI:
        return _decode_zhi(data, text, step)
    if fmt is Format.ENV:
        return _decode_flat(text, step, env=True)
    if fmt is Format.PROPERTIES:
        return _decode_flat(text, step, env=False)
    if fmt is Format.JSON:
        try:
            document = jsonvalues.parse(text)
        except jsonvalues.JSONSyntaxProblem as exc:
            raise Refused(exc.msg, exc.lineno) from None
        except jsonvalues.JSONProblem as exc:
            raise Refused(str(exc), _line_of_problem(text, exc)) from None
    elif fmt is Format.YAML:
        document = _load_yaml(text)
    elif fmt is Format.TOML:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            found = re.search(r"line (\d+)", str(exc))
            raise Refused(str(exc).split(" (at ")[0], int(found.group(1)) if found else 0) from None
        _check_toml(document, text)
    else:
        raise InvalidArgument(f"unknown format {fmt!r}")
    if not isinstance(document, dict):
        raise Refused(f"the top level is {zfile.json_type(document)}, not an object of paths", 1)
    labels_section = document.pop(LABELS_KEY, None) if fmt is not Format.TOML else None
    if labels_section is not None and not isinstance(labels_section, dict):
        raise Refused(f'"{LABELS_KEY}" must map paths to label objects', _line_of(text, LABELS_KEY))
    result: dict[str, Imported] = {}
    for path, value in flatten(document):
        labels = None if labels_section is None else labels_section.get(path) or {}
        result[path] = _imported(path, value, labels, text)
        if len(result) % STEP == 0:
            step(len(result))
    for path in labels_section or ():
        if path not in result:
            raise Refused("labels for a path the file has no value for", _line_of(text, path), path)
    return result


def _imported(path: str, value: Any, labels: Any, text: str, line: int = 0) -> Imported:
    problem = path_problem(path) if path else None  # "": the value at --prefix itself
    if problem:
        raise Refused(f"{shown(path)} is not a zhi path: {problem}", line or _line_of(text, path.rsplit("/", 1)[-1]),
                      path)
    if labels is not None and not isinstance(labels, dict):
        raise Refused("labels must be an object", _line_of(text, path), path)
    try:
        value_json = jsonvalues.encode_value(value)
        jsonvalues.decode_value(value_json)  # depth and number range, as the store will check
        metadata = None if labels is None else jsonvalues.encode_metadata(labels)
    except InvalidArgument as exc:
        raise Refused(str(exc), line or _line_of(text, path.rsplit("/", 1)[-1]), path) from None
    return Imported(value_json, metadata, masked=value == MASK)


def flatten(document: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """The inverse of ``nest``: objects are groups, ``{"$value": v}`` is a value."""
    for key, value in document.items():
        path = f"{prefix}/{key}" if prefix else key
        if isinstance(value, dict) and value:
            if VALUE_KEY in value:
                yield path, value[VALUE_KEY]
            yield from flatten({k: v for k, v in value.items() if k != VALUE_KEY}, path)
        else:
            yield path, value


def _no_steps(_done: int) -> None:
    pass


def _decode_zhi(data: bytes, text: str, step: Callable[[int], None]) -> dict[str, Imported]:
    try:
        cells = zfile.parse_tree(data)
    except jsonvalues.JSONSyntaxProblem as exc:
        raise Refused(exc.msg, exc.lineno) from None
    except jsonvalues.JSONProblem as exc:
        raise Refused(str(exc), _line_of_problem(text, exc)) from None
    result = {}
    for path, cell in cells.items():
        try:
            value = jsonvalues.decode_value(cell.value_json)  # float64 range, as zhi reads it
        except InvalidArgument as exc:
            raise Refused(str(exc), _line_of(text, path), path) from None
        result[path] = _imported(path, value, cell.metadata or {}, text)
        if len(result) % STEP == 0:
            step(len(result))
    return result


def _decode_flat(text: str, step: Callable[[int], None], *, env: bool) -> dict[str, Imported]:
    result: dict[str, Imported] = {}
    exact_path = ""
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        start = number
        stripped = line.strip()
        if env:
            if stripped.startswith("# zhi: "):
                exact_path = stripped[len("# zhi: "):]
                continue
            if not stripped or stripped.startswith("#"):
                continue
            stripped = stripped.removeprefix("export ").lstrip()
            key, sep, raw = stripped.partition("=")
            key = key.strip()
            if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", key):
                raise Refused("not a KEY=VALUE line", start)
            raw = raw.strip()
            if len(raw) >= 2 and raw[0] == raw[-1] == "'":
                raw = raw[1:-1]
            # Without the comment export writes: LOG_LEVEL -> log_level, DB__HOST -> db/host.
            path, exact_path = exact_path or key.lower().replace("__", "/"), ""
        else:
            if not stripped or stripped[0] in "#!":
                continue
            while _continues(line) and number < len(lines):  # a trailing odd backslash joins the next line
                line = line[:-1] + lines[number].lstrip()
                number += 1
            key_text, raw = _split_property(line.lstrip())
            path, raw = _prop_unescape(key_text, start), _prop_unescape(raw, start)
        if path in result:
            raise Refused(f"{path!r} is given twice", start, path)
        result[path] = _imported(path, _flat_value(raw, start), None, "", start)
        if len(result) % STEP == 0:
            step(len(result))
    return result


def _flat_value(raw: str, line: int) -> Any:
    try:
        return jsonvalues.parse(raw)
    except jsonvalues.JSONSyntaxProblem as exc:
        if raw.startswith(('"', "[", "{")):
            raise Refused(f"the value looks like JSON but is not: {exc.msg}", line) from None
        return raw  # plain text
    except jsonvalues.JSONProblem as exc:
        raise Refused(str(exc), line) from None


def _continues(line: str) -> bool:
    return (len(line) - len(line.rstrip("\\"))) % 2 == 1


def _split_property(line: str) -> tuple[str, str]:
    index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char in "=: \t":
            value = line[index + 1:].lstrip(" \t") if char in "=:" else line[index:].lstrip(" \t")
            if char in " \t" and value[:1] in ("=", ":"):
                value = value[1:].lstrip(" \t")
            return line[:index], value
        index += 1
    return line, ""


_PROP_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _prop_unescape(text: str, line: int) -> str:
    out, index = [], 0
    while index < len(text):
        char = text[index]
        if char != "\\" or index + 1 >= len(text):
            out.append(char)
            index += 1
            continue
        code = text[index + 1]
        if code == "u":
            digits = text[index + 2:index + 6]
            if not re.fullmatch(r"[0-9a-fA-F]{4}", digits):
                raise Refused(f"bad unicode escape \\u{digits}", line)
            out.append(chr(int(digits, 16)))
            index += 6
            continue
        out.append(_PROP_ESCAPES.get(code, code))
        index += 2
    return "".join(out)


# libyaml's parser when PyYAML was built with it (10x faster on big files); the
# constructors below are Python either way.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _YAMLLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """YAML read as JSON values: NaN/Infinity, binary data, sets, non-string and
    repeated keys are refused with their line; dates stay the text they were written as."""


def _yaml_refuse(node: yaml.Node, reason: str) -> Refused:
    return Refused(reason, node.start_mark.line + 1)


def _yaml_float(loader: yaml.SafeLoader, node: yaml.Node) -> float:
    value = yaml.SafeLoader.construct_yaml_float(loader, node)  # type: ignore[arg-type]
    if not math.isfinite(value):
        raise _yaml_refuse(node, f"{node.value} is not a JSON number (zhi refuses NaN and Infinity)")
    return value


def _yaml_int(loader: yaml.SafeLoader, node: yaml.Node) -> int:
    value = yaml.SafeLoader.construct_yaml_int(loader, node)  # type: ignore[arg-type]
    try:
        jsonvalues.go_number(value)
    except jsonvalues.JSONProblem as exc:
        raise _yaml_refuse(node, str(exc)) from None
    return value


def _yaml_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(node.value)


def _yaml_not_json(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    raise _yaml_refuse(node, f"{node.tag} is not a JSON value")


def _yaml_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            raise _yaml_refuse(key_node, f"the key {key!r} is not a string (JSON keys are strings: quote it)")
        if key in result:
            raise _yaml_refuse(key_node, f"the key {key!r} is given twice")
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_YAMLLoader.add_constructor("tag:yaml.org,2002:float", _yaml_float)
_YAMLLoader.add_constructor("tag:yaml.org,2002:int", _yaml_int)
_YAMLLoader.add_constructor("tag:yaml.org,2002:timestamp", _yaml_text)
_YAMLLoader.add_constructor("tag:yaml.org,2002:map", _yaml_mapping)
for _tag in ("binary", "set", "omap", "pairs"):
    _YAMLLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _yaml_not_json)


def _load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_YAMLLoader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise Refused(exc.problem or str(exc), mark.line + 1 if mark else 0) from None
    except yaml.YAMLError as exc:
        raise Refused(str(exc)) from None
    except RecursionError:
        raise Refused(f"nested too deeply (more than {jsonvalues.MAX_DEPTH} levels)") from None


def _check_toml(document: Any, text: str) -> None:
    """TOML values that are not JSON: dates and times, NaN and infinity."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend((f"{path}/{k}" if path else k, v) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((path, v) for v in item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise Refused(f"{item} is not a JSON number (zhi refuses NaN and Infinity)",
                          _line_of_regex(text, r"=\s*[+-]?(nan|inf)\b"), path)
        elif not isinstance(item, str | int | float | bool):
            raise Refused(f"a TOML {type(item).__name__} is not a JSON value: quote it to keep it as text",
                          _line_of(text, path.rsplit("/", 1)[-1]), path)


def _line_of(text: str, needle: str) -> int:
    """The first line mentioning ``needle`` (for problems found after parsing); 0 if none."""
    index = text.find(needle) if needle else -1
    return text.count("\n", 0, index) + 1 if index >= 0 else 0


def _line_of_regex(text: str, pattern: str) -> int:
    found = re.search(pattern, text, re.IGNORECASE)
    return text.count("\n", 0, found.start()) + 1 if found else 0


def _line_of_problem(text: str, exc: jsonvalues.JSONProblem) -> int:
    """A number out of range or NaN: the line of the first such literal."""
    return _line_of_regex(text, r"\b(NaN|-?Infinity)\b|[0-9.]+[eE]\+?[0-9]{3,}|[0-9]{309,}")
