"""Application settings, each declared once with its type, default and help (Picard style).

The settings live in one JSON object, ``settings.json`` under
``platformdirs.user_config_dir("zhi-gui")``::

    {"version": 2, "theme": "dark", "recent_stores": [...], ...}

* ``version`` says which layout the file has. A file of an older version is
  brought up to :data:`CURRENT_VERSION` by the functions in :data:`UPGRADES`
  (``UPGRADES[n]`` turns version ``n`` into ``n + 1``) when it is loaded; the
  upgraded layout is written on the next save. A file from a *newer* version
  is read as far as it is understood and keeps its version number.
* Keys nobody declared (a newer version's, a plugin's) are kept as they are.
* A stored value that does not fit its declaration is ignored with a warning
  (the default is used) and left in the file until that setting is set.
* A file that is not a JSON object is moved aside to
  ``settings.json.corrupt-<timestamp>`` with a warning, and defaults are used.
* Every save replaces the file atomically (temporary file, fsync, rename).

Declare a setting with :func:`declare` (or one of the helpers) at import time
of the module that owns it; read and write it through the typed
``Settings.get(setting)`` / ``Settings.set(setting, value)``.

Store identities (:class:`StoreIdentity`) are also defined here: a store the
user opened, remembered in the recent-stores list, and the name of its keyring
entry (:meth:`StoreIdentity.key`). Options that carry secrets are never
written to the settings file and never enter the key.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import enum
import json
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any, Generic, TypeVar

import platformdirs

from zhi_gui.core.errors import ZhiError
from zhi_gui.plugin.audit import AuditMode
from zhi_gui.services._atomic import atomic_write_text

__all__ = [
    "AUDIT_MODE",
    "CURRENT_VERSION",
    "IDLE_LOCK_MINUTES",
    "LAST_STORE",
    "LOCK_ON_SCREEN_LOCK",
    "MAX_RECENT_STORES",
    "RECENT_STORES",
    "SETTINGS",
    "THEME",
    "UPGRADES",
    "WINDOW_GEOMETRY",
    "WINDOW_STATE",
    "Setting",
    "Settings",
    "SettingsError",
    "StoreIdentity",
    "Theme",
    "declare",
    "decode_bytes",
    "default_settings_path",
    "encode_bytes",
    "is_locating_option",
    "is_secret_option",
]

log = logging.getLogger("zhi_gui.services.settings")

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

CURRENT_VERSION = 2
MAX_RECENT_STORES = 10
FILE_NAME = "settings.json"


class SettingsError(ZhiError):
    """The settings file could not be written, or a value does not fit its setting."""


def default_settings_path() -> Path:
    """``platformdirs.user_config_dir("zhi-gui")/settings.json`` (not created here)."""
    return Path(platformdirs.user_config_dir("zhi-gui")) / FILE_NAME


# --------------------------------------------------------------------------- store identity

# Option names whose values are secrets (or whole credential blocks). Names that
# point at where a secret lives (``passphrase_file``, ``token_env``) are not
# secrets themselves: they are kept in the settings, but they do not locate the
# store either, so they stay out of the identity key.
_SECRETISH_RE = re.compile(
    r"pass|secret|token|credential|api[-_]?key|private[-_]?key|auth(?!or)|cookie", re.IGNORECASE
)
_REFERENCE_SUFFIXES = ("_file", "_env", "_path", "_var", "_cmd", "_command")
# Options that change how a store behaves, not which store it is.
# "create" only says what to do when the store is missing; it is the same store either way.
NON_LOCATING_OPTIONS = frozenset({"author", "log_level", "loglevel", "verbose", "debug", "timeout", "create"})


def is_secret_option(name: str) -> bool:
    """An option whose value is (or contains) a secret: never persisted, never part of an identity."""
    return bool(_SECRETISH_RE.search(name)) and not name.lower().endswith(_REFERENCE_SUFFIXES)


def is_locating_option(name: str) -> bool:
    """An option that says *which* store is meant (``path``, ``dir``, ``url``, ``user`` ...).

    Anything about secrets (including where a passphrase is read from) and the
    purely behavioural options in :data:`NON_LOCATING_OPTIONS` are excluded.
    """
    return not _SECRETISH_RE.search(name) and name.lower() not in NON_LOCATING_OPTIONS


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@dataclass(frozen=True)
class StoreIdentity:
    """A store as the user opened it: which plugin, with which options, at which tree.

    ``key()`` identifies the *store* (not the tree, not the display name) and
    is stable: it is the SHA-256 of the plugin's binary name and the canonical
    JSON of the locating options (see :func:`is_locating_option`), so option
    order, the tree, the label and any passphrase option do not change it. It
    is also the name of the store's entry in the OS keyring.
    """

    plugin_path: str
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)
    tree_id: str = ""
    display_name: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.plugin_path, (str, PurePath)) or not str(self.plugin_path):
            raise SettingsError("a store identity needs the plugin's path")
        object.__setattr__(self, "plugin_path", str(self.plugin_path))
        if not isinstance(self.options, Mapping) or not all(isinstance(k, str) for k in self.options):
            raise SettingsError("store options must be a JSON object with string keys")
        object.__setattr__(self, "options", dict(self.options))
        try:
            _canonical_json(self.options)
        except (TypeError, ValueError) as exc:
            raise SettingsError(f"store options must be JSON values: {exc}") from exc
        if not isinstance(self.tree_id, str) or not isinstance(self.display_name, str):
            raise SettingsError("tree id and display name must be strings")

    @property
    def binary_name(self) -> str:
        return PurePath(self.plugin_path).name

    def locating_options(self) -> dict[str, Any]:
        return {k: v for k, v in self.options.items() if is_locating_option(k)}

    def public_options(self) -> dict[str, Any]:
        """The options without secret-valued ones: what may be written to disk."""
        return {k: v for k, v in self.options.items() if not is_secret_option(k)}

    def key(self) -> str:
        import hashlib  # loads OpenSSL: not before the first window's paint (issue 14)

        material = self.binary_name + "\n" + _canonical_json(self.locating_options())
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def location(self) -> str:
        """Where the store is: its path, directory or URL option, else its other locating
        options ("" when it has none)."""
        options = self.locating_options()
        where = next((str(options[k]) for k in ("path", "directory", "dir", "url", "address") if options.get(k)), "")
        if not where and options:
            where = ", ".join(f"{k}={v}" for k, v in sorted(options.items()))
        return where

    def label(self) -> str:
        """What to show the user: the display name, else the binary and its location."""
        if self.display_name:
            return self.display_name
        return f"{self.binary_name} {self.location()}".strip()

    def with_tree(self, tree_id: str) -> StoreIdentity:
        return StoreIdentity(self.plugin_path, self.options, tree_id, self.display_name)

    def to_json(self) -> dict[str, Any]:
        """A JSON object for the settings file (secret options dropped)."""
        return {
            "plugin_path": self.plugin_path,
            "options": self.public_options(),
            "tree_id": self.tree_id,
            "display_name": self.display_name,
        }

    @classmethod
    def from_json(cls, data: Any) -> StoreIdentity:
        if not isinstance(data, dict):
            raise ValueError(f"a store identity is a JSON object, not {type(data).__name__}")
        plugin_path = data.get("plugin_path")
        options = data.get("options", {})
        tree_id = data.get("tree_id", "")
        display_name = data.get("display_name", "")
        if not isinstance(plugin_path, str) or not plugin_path:
            raise ValueError("a store identity needs a non-empty 'plugin_path'")
        if not isinstance(options, dict):
            raise ValueError("'options' must be a JSON object")
        if not isinstance(tree_id, str) or not isinstance(display_name, str):
            raise ValueError("'tree_id' and 'display_name' must be strings")
        try:
            return cls(plugin_path, options, tree_id, display_name)
        except SettingsError as exc:
            raise ValueError(str(exc)) from exc


# --------------------------------------------------------------------------- declarations


class Theme(enum.Enum):
    SYSTEM = "system"
    LIGHT = "light"
    DARK = "dark"


@dataclass(frozen=True, eq=False)
class Setting(Generic[T]):
    """One declared setting.

    ``parse`` turns the JSON value from the file into a ``T`` (raising
    ``ValueError``/``TypeError`` when it does not fit); ``dump`` turns a ``T``
    into the JSON value written to the file.
    """

    name: str
    default: T
    help: str
    parse: Callable[[Any], T]
    dump: Callable[[T], Any]


SETTINGS: dict[str, Setting[Any]] = {}
_RESERVED = frozenset({"version"})


def declare(
    name: str,
    default: T,
    help: str,
    parse: Callable[[Any], T],
    dump: Callable[[T], Any] = lambda value: value,
    *,
    registry: dict[str, Setting[Any]] | None = None,
) -> Setting[T]:
    """Declare a setting once; a second declaration of the same name is a programming error."""
    table = SETTINGS if registry is None else registry
    if name in table or name in _RESERVED:
        raise ValueError(f"setting {name!r} is declared twice (or reserved)")
    setting = Setting(name, default, help, parse, dump)
    parse(dump(default))  # the default must survive its own round trip
    table[name] = setting
    return setting


def _parse_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _parse_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 24 * 60:
        raise ValueError(f"expected whole minutes from 0 to 1440, got {value!r}")
    return value


def _parse_enum(kind: type[E]) -> Callable[[Any], E]:
    def parse(value: Any) -> E:
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            choices = ", ".join(repr(m.value) for m in kind)
            raise ValueError(f"expected one of {choices}, got {value!r}") from None

    return parse


def _dump_enum(value: enum.Enum) -> Any:
    return value.value


def _parse_optional_base64(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"expected a base64 string, got {type(value).__name__}")
    try:
        base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"not base64: {exc}") from exc
    return value


def _parse_identity_list(value: Any) -> list[StoreIdentity]:
    if not isinstance(value, list):
        raise TypeError(f"expected a list of stores, got {type(value).__name__}")
    result: list[StoreIdentity] = []
    seen: set[str] = set()
    for item in value:
        identity = item if isinstance(item, StoreIdentity) else StoreIdentity.from_json(item)
        if identity.key() not in seen:
            seen.add(identity.key())
            result.append(identity)
    return result[:MAX_RECENT_STORES]


def _dump_identity_list(value: list[StoreIdentity]) -> Any:
    return [identity.to_json() for identity in value]


def _parse_optional_identity(value: Any) -> StoreIdentity | None:
    if value is None or isinstance(value, StoreIdentity):
        return value
    return StoreIdentity.from_json(value)


def _dump_optional_identity(value: StoreIdentity | None) -> Any:
    return None if value is None else value.to_json()


def encode_bytes(data: bytes) -> str:
    """Bytes (e.g. ``QMainWindow.saveGeometry()``) as the base64 text the settings keep."""
    return base64.b64encode(bytes(data)).decode("ascii")


def decode_bytes(text: str | None) -> bytes | None:
    """The bytes of a base64 setting, or None when unset."""
    return None if text is None else base64.b64decode(text.encode("ascii"), validate=True)


THEME = declare(
    "theme", Theme.SYSTEM, "Colour scheme: follow the system, or always light or dark.",
    _parse_enum(Theme), _dump_enum,
)
IDLE_LOCK_MINUTES = declare(
    "idle_lock_minutes", 15, "Lock an unlocked encrypted store after this many minutes without input (0: never).",
    _parse_minutes,
)
LOCK_ON_SCREEN_LOCK = declare(
    "lock_on_screen_lock", True, "Lock an unlocked encrypted store when the desktop locks the screen"
    " (org.freedesktop.ScreenSaver / org.gnome.ScreenSaver on the session D-Bus).", _parse_bool,
)
AUDIT_MODE = declare(
    "audit_mode", AuditMode.HARD_FAIL,
    "What to do when a plugin binary's SHA-256 differs from the recorded one: refuse to start it"
    " (hard-fail) or log a warning and start it (warn, for plugin development).",
    _parse_enum(AuditMode), _dump_enum,
)
WINDOW_GEOMETRY = declare(
    "window_geometry", None, "Main window geometry (QWidget.saveGeometry, base64).", _parse_optional_base64,
)
WINDOW_STATE = declare(
    "window_state", None, "Main window toolbars and docks (QMainWindow.saveState, base64).",
    _parse_optional_base64,
)
RECENT_STORES: Setting[list[StoreIdentity]] = declare(
    "recent_stores", [], f"Stores opened recently, most recent first (at most {MAX_RECENT_STORES}).",
    _parse_identity_list, _dump_identity_list,
)
LAST_STORE = declare(
    "last_store", None, "The store (and tree) open when the application was last used.",
    _parse_optional_identity, _dump_optional_identity,
)


# --------------------------------------------------------------------------- upgrades


def _upgrade_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 1 (the pre-release layout, files without a ``version`` field) to 2.

    v1 kept ``dark_mode`` (true / false / null for "follow the system") and
    ``recent`` entries as ``{"plugin", "options", "tree", "name"}``.
    """
    out = dict(data)
    if "dark_mode" in out:
        dark = out.pop("dark_mode")
        out.setdefault("theme", {True: "dark", False: "light"}.get(dark, "system") if dark is not None else "system")
    if "recent" in out:
        recent = out.pop("recent")
        if isinstance(recent, list):
            out.setdefault("recent_stores", [
                {
                    "plugin_path": entry.get("plugin", ""),
                    "options": entry.get("options", {}),
                    "tree_id": entry.get("tree", ""),
                    "display_name": entry.get("name", ""),
                }
                for entry in recent
                if isinstance(entry, dict)
            ])
    return out


UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _upgrade_1_to_2}


# --------------------------------------------------------------------------- the settings object


class Settings:
    """The application's settings file: typed get/set of declared settings, saved atomically.

    Loading never fails: problems (corrupt or unreadable file moved aside,
    values that do not fit, a file from a newer version) are logged and listed
    in :attr:`warnings` for the GUI to show. Saving raises
    :class:`SettingsError`. Each ``set`` saves at once; group several in
    ``with settings.batch():``. Not thread-safe: use it from one thread (the
    UI thread; a save is one small file and an fsync).
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        registry: Mapping[str, Setting[Any]] | None = None,
        upgrades: Mapping[int, Callable[[dict[str, Any]], dict[str, Any]]] | None = None,
        current_version: int = CURRENT_VERSION,
    ) -> None:
        self.path = Path(path) if path is not None else default_settings_path()
        self._registry = SETTINGS if registry is None else registry
        self._upgrades = UPGRADES if upgrades is None else upgrades
        self._current_version = current_version
        self.version = current_version
        self.warnings: list[str] = []
        self._raw: dict[str, Any] = {}
        self._values: dict[str, Any] = {}
        self._batch_depth = 0
        self._dirty = False
        self.reload()

    # ----------------------------------------------------------------- loading

    def reload(self) -> None:
        """(Re)read the file; see the module docstring for how problems are handled."""
        self.warnings = []
        self._dirty = False
        self._raw = {}
        self._values = {}
        self.version = self._current_version
        data = self._read()
        if data is not None:
            self._raw = data
        for name, setting in self._registry.items():
            if name not in self._raw:
                continue
            try:
                self._values[name] = setting.parse(self._raw[name])
            except (TypeError, ValueError) as exc:
                self._warn(f"setting {name!r} in {self.path} is not usable ({exc}); using its default")

    def _read(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError as exc:
            self._move_aside(f"it is not UTF-8 text ({exc})")
            return None
        except OSError as exc:
            # Moved aside rather than left: the next save would replace it unseen.
            self._move_aside(f"it cannot be read ({exc})")
            return None
        try:
            loaded: Any = json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            self._move_aside(f"it is not valid JSON ({exc})")
            return None
        if not isinstance(loaded, dict):
            self._move_aside(f"it holds a JSON {type(loaded).__name__}, not an object")
            return None
        data: dict[str, Any] = loaded
        version = data.pop("version", 1)
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self._move_aside(f"its version {version!r} is not a positive integer")
            return None
        if version > self._current_version:
            self._warn(
                f"the settings file {self.path} is from a newer zhi-gui (version {version}, this one knows"
                f" {self._current_version}); reading what this version understands and keeping the rest"
            )
            self.version = version
            return data
        while version < self._current_version:
            upgrade = self._upgrades.get(version)
            if upgrade is None:
                self._move_aside(f"there is no upgrade from settings version {version}")
                return None
            try:
                data = upgrade(dict(data))
            except Exception as exc:
                self._move_aside(f"upgrading it from version {version} failed ({type(exc).__name__}: {exc})")
                return None
            log.info("settings %s upgraded from version %d to %d", self.path, version, version + 1)
            version += 1
            self._dirty = True
        return data

    def _move_aside(self, why: str) -> None:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        counter = 1
        while target.exists():
            target = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{counter}")
            counter += 1
        try:
            self.path.replace(target)
        except OSError as exc:
            self._warn(f"the settings file {self.path} is unusable: {why}; it could not be moved aside ({exc});"
                       " using defaults")
            return
        self._warn(f"the settings file {self.path} was unusable: {why}; it was moved to {target} and defaults"
                   " are used")

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self.warnings.append(message)

    # ----------------------------------------------------------------- typed access

    def get(self, setting: Setting[T]) -> T:
        """The value of a declared setting (its default when unset or unusable); lists are copies."""
        self._check_declared(setting)
        value = self._values.get(setting.name, setting.default)
        return list(value) if isinstance(value, list) else value  # type: ignore[return-value]

    def set(self, setting: Setting[T], value: T) -> None:
        """Validate and store a value, then save (or defer the save inside :meth:`batch`)."""
        self._check_declared(setting)
        try:
            parsed = setting.parse(value)
            dumped = setting.dump(parsed)
            setting.parse(dumped)
            _canonical_json(dumped)
        except (TypeError, ValueError, AttributeError) as exc:
            raise SettingsError(f"invalid value for setting {setting.name!r}: {exc}") from exc
        self._values[setting.name] = parsed
        self._raw[setting.name] = dumped
        self._changed()

    def reset(self, setting: Setting[Any]) -> None:
        """Forget a setting's value (the default applies again)."""
        self._check_declared(setting)
        self._values.pop(setting.name, None)
        if self._raw.pop(setting.name, _MISSING) is not _MISSING:
            self._changed()

    def is_set(self, setting: Setting[Any]) -> bool:
        return setting.name in self._values

    def _check_declared(self, setting: Setting[Any]) -> None:
        if self._registry.get(setting.name) is not setting:
            raise SettingsError(f"setting {setting.name!r} was not declared in this settings registry")

    # ----------------------------------------------------------------- saving

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Group several changes into one save (on leaving the outermost block, also after an error)."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._dirty:
                self.save()

    def _changed(self) -> None:
        self._dirty = True
        if self._batch_depth == 0:
            self.save()

    def save(self) -> None:
        """Write the file atomically (unknown keys kept). Raises :class:`SettingsError`."""
        document = {"version": max(self.version, self._current_version), **self._raw}
        text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, text)
        except OSError as exc:
            raise SettingsError(f"cannot save the settings to {self.path}: {exc}") from exc
        self._dirty = False

    # ----------------------------------------------------------------- recent stores

    def recent_stores(self) -> list[StoreIdentity]:
        return self.get(RECENT_STORES)

    def add_recent_store(self, identity: StoreIdentity) -> None:
        """Put ``identity`` first; an older entry for the same store (same key) is replaced."""
        key = identity.key()
        stores = [identity] + [s for s in self.recent_stores() if s.key() != key]
        self.set(RECENT_STORES, stores[:MAX_RECENT_STORES])

    def remove_recent_store(self, key: str) -> bool:
        stores = self.recent_stores()
        kept = [s for s in stores if s.key() != key]
        if len(kept) == len(stores):
            return False
        self.set(RECENT_STORES, kept)
        return True

    def remember_opened_store(self, identity: StoreIdentity) -> None:
        """The user opened (or switched tree in) a store: recent list and last store, one save."""
        with self.batch():
            self.add_recent_store(identity)
            self.set(LAST_STORE, identity)


_MISSING = object()


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
