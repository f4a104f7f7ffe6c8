"""The ``options:`` section of a ``zhi-plugin.yaml``: which ZHI_PLUGIN_OPTIONS a
plugin takes, so Open store can show a form instead of raw JSON.

zhi's manifest has no such section, but zhi's parser (``pkg/sharing/manifest``,
``yaml.Unmarshal`` without ``KnownFields``) ignores keys it does not know, so a
manifest with ``options:`` still loads in zhi. Each option::

    - name: ca_file          # the key in ZHI_PLUGIN_OPTIONS
      type: file             # string | int | bool | list | file | directory | secret
      label: CA file         # default: the name
      default: ...           # optional, of the option's type
      required: false
      help: one sentence shown as the field's tooltip and accessible description
      mustExist: true        # file/directory only: the path must exist
      login: userpass.password   # the value is this field of this login method

``login`` ties an option to the store's login (AuthMethods): the form hands
those values to the login machinery (kept in the OS keyring), and a ``secret``
option never reaches the plugin's environment, the settings or the recent list.

Form text becomes option values here (:func:`value_from_text`), so the rules
have one home and are tested without Qt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OPTION_TYPES = ("string", "int", "bool", "list", "file", "directory", "secret")
_KNOWN_KEYS = frozenset({"name", "type", "label", "default", "required", "help", "mustExist", "login"})


class OptionValueError(ValueError):
    """A field's text does not fit its option (the message is shown at the field)."""


@dataclass(frozen=True)
class OptionSpec:
    name: str
    type: str = "string"
    label: str = ""
    default: Any = None
    required: bool = False
    help: str = ""
    must_exist: bool = False
    login: tuple[str, str] | None = None  # (method, field)

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def is_secret(self) -> bool:
        return self.type == "secret"


def _default_fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, str)


def parse_options(raw: Any) -> tuple[tuple[OptionSpec, ...], list[str]]:
    """The option specs of a manifest's ``options:`` value and the problems found."""
    if not isinstance(raw, list):
        return (), ["options must be a list of mappings (name, type, label, default, required, help)"]
    specs: list[OptionSpec] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, 1):
        where = f"options[{number}]"
        if not isinstance(item, dict):
            problems.append(f"{where} must be a mapping")
            continue
        name = item.get("name")
        if not isinstance(name, str) or not name:
            problems.append(f"{where}: name is required")
            continue
        where = f"option {name!r}"
        if name in seen:
            problems.append(f"{where} is given twice")
            continue
        seen.add(name)
        unknown = sorted(str(k) for k in set(item) - _KNOWN_KEYS)
        if unknown:
            problems.append(f"{where}: unknown keys {unknown}")
        kind = item.get("type", "string")
        if kind not in OPTION_TYPES:
            problems.append(f"{where}: type {kind!r} must be one of: {', '.join(OPTION_TYPES)}")
            continue
        default = item.get("default")
        if not _default_fits(kind, default):
            problems.append(f"{where}: default {default!r} is not a {kind}")
            default = None
        login = item.get("login")
        login_pair: tuple[str, str] | None = None
        if login is not None:
            method, dot, field_name = str(login).partition(".")
            if not dot or not method or not field_name:
                problems.append(f"{where}: login must be <method>.<field>, e.g. userpass.password")
            else:
                login_pair = (method, field_name)
        flags = {}
        for key in ("required", "mustExist"):
            value = item.get(key, False)
            if not isinstance(value, bool):
                problems.append(f"{where}: {key} must be true or false")
                value = False
            flags[key] = value
        specs.append(OptionSpec(name, kind, str(item.get("label") or ""), default, flags["required"],
                                str(item.get("help") or ""), flags["mustExist"], login_pair))
    return tuple(specs), problems


def default_text(spec: OptionSpec) -> str:
    """The default as a field shows it (lists one item per line)."""
    if spec.default is None or spec.type == "bool":
        return ""
    if spec.type == "list":
        return "\n".join(spec.default)
    return str(spec.default)


def text_of(spec: OptionSpec, value: Any) -> str:
    """An option value (from JSON, a workspace, a recent store) as its field shows it."""
    if value is None:
        return ""
    if spec.type == "list":
        items = value if isinstance(value, list) else str(value).split(",")
        return "\n".join(str(v).strip() for v in items if str(v).strip())
    return str(value)


def value_from_text(spec: OptionSpec, text: str) -> Any:
    """The option value of a text field (None: leave the option out), or OptionValueError."""
    stripped = text.strip()
    if spec.type == "list":
        items = [part.strip() for line in text.splitlines() for part in line.split(",") if part.strip()]
        if not items and spec.required:
            raise OptionValueError("required: give at least one")
        return items or None
    if not stripped:
        if spec.required:
            raise OptionValueError("required")
        return None
    if spec.type == "int":
        try:
            return int(stripped)
        except ValueError:
            raise OptionValueError(f"{stripped!r} is not a whole number") from None
    if spec.type in ("file", "directory"):
        path = Path(stripped).expanduser()
        if spec.type == "file" and path.is_dir():
            raise OptionValueError(f"{stripped} is a folder, not a file")
        if spec.type == "directory" and path.exists() and not path.is_dir():
            raise OptionValueError(f"{stripped} is a file, not a folder")
        if spec.must_exist and not path.exists():
            raise OptionValueError(f"{stripped} does not exist")
        return stripped
    if spec.type == "secret":
        return text  # a passphrase's spaces are part of it
    return stripped


def login_problems(specs: Sequence[OptionSpec], options: Mapping[str, Any]) -> dict[str, str]:
    """A login secret given without the rest of its login (a password without a user):
    the option to fill in, and why. The store would not ask for a login then, and the
    password would be dropped without a word."""
    problems: dict[str, str] = {}
    for secret in specs:
        if secret.login is None or not secret.is_secret or options.get(secret.name) in (None, ""):
            continue
        for other in specs:
            if other is not secret and other.login is not None and other.login[0] == secret.login[0] \
                    and options.get(other.name) in (None, ""):
                problems[other.name] = f"required with {secret.title}"
    return problems


def split_login(specs: Sequence[OptionSpec], options: Mapping[str, Any]) -> tuple[dict[str, Any], str, dict[str, str]]:
    """(options for the plugin, login method, login fields) of a filled form.

    Options tied to a login go to the login fields; a ``secret`` one is taken out
    of the options (the login machinery keeps it in the keyring), a public one
    (the user name) stays, because it also says which store this is. The login
    is offered only when its secret part was given."""
    plugin_options = dict(options)
    method = ""
    fields: dict[str, str] = {}
    secrets_given = False
    for spec in specs:
        if spec.login is None or options.get(spec.name) in (None, ""):
            if spec.login is not None and spec.is_secret:
                plugin_options.pop(spec.name, None)
            continue
        if method and spec.login[0] != method:
            continue  # one login per open: the first method named wins
        method = spec.login[0]
        fields[spec.login[1]] = str(options[spec.name])
        if spec.is_secret:
            secrets_given = True
            plugin_options.pop(spec.name, None)
    if not secrets_given:
        return plugin_options, "", {}
    return plugin_options, method, fields
