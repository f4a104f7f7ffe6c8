"""Per-plugin state: each plugin's small private state, one JSON file per key.

Layout: ``<root>/<plugin-name>/<key>.json``, where ``root`` defaults to
``platformdirs.user_state_dir("zhi-gui")/plugins``. Each file holds one JSON
value and is replaced atomically (temporary file in the same directory, fsync,
``os.replace``), so a crash leaves the old value or the new one, never a torn
file. Plugin names and keys are checked so that no file can be read or
written outside the plugin's directory.

Every failure is one exception type, :class:`PluginStateError`: a value that
JSON cannot hold faithfully, a name that is not allowed, a file that cannot be
read or written, a file whose content is not JSON (that file is left as it is
and its path is in the message).

Only JSON-native values are stored, so that ``get`` returns what ``set`` was
given: ``None``, ``bool``, ``int``, finite ``float``, ``str``, ``list`` and
``dict`` with ``str`` keys. Tuples, sets, bytes, NaN/infinity, non-string dict
keys and circular structures are refused (JSON would change or lose them).
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import platformdirs

from zhi_gui.core.errors import ZhiError
from zhi_gui.services._atomic import atomic_write_text

__all__ = [
    "PluginState",
    "PluginStateError",
    "default_plugin_state_root",
    "key_problem",
    "plugin_dir_name",
    "plugin_name_problem",
]

SUFFIX = ".json"
MAX_NAME_LENGTH = 100
# Lowercase only: "Foo" and "foo" would be one file on case-insensitive file
# systems (macOS, Windows). No leading dot: temporary files start with one.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"} | {f"com{i}" for i in range(1, 10)} | {f"lpt{i}" for i in range(1, 10)}
)


class PluginStateError(ZhiError):
    """Per-plugin state could not be read or written, or the value cannot be stored as JSON.

    ``plugin`` and ``key`` name what was asked for; ``path`` is the file
    concerned when there is one (for example the corrupt file, left untouched).
    """

    def __init__(self, message: str, *, plugin: str = "", key: str = "", path: Path | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.plugin = plugin
        self.key = key
        self.path = path


def default_plugin_state_root() -> Path:
    """``platformdirs.user_state_dir("zhi-gui")/plugins`` (not created here)."""
    return Path(platformdirs.user_state_dir("zhi-gui")) / "plugins"


def _name_problem(name: object, what: str) -> str | None:
    if not isinstance(name, str):
        return f"a {what} must be a string, not {type(name).__name__}"
    if not name:
        return f"the {what} is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"the {what} is longer than {MAX_NAME_LENGTH} characters"
    if not _NAME_RE.match(name):
        return (
            f"a {what} must start with a lowercase letter or digit and use only a-z, 0-9, '.', '_' and '-'"
        )
    if name.split(".", 1)[0] in _WINDOWS_RESERVED:
        return f"{name!r} is a reserved device name on Windows"
    return None


def plugin_name_problem(name: object) -> str | None:
    """Why ``name`` cannot be a plugin's state directory name; None if it can."""
    return _name_problem(name, "plugin name")


def plugin_dir_name(name: str) -> str:
    """A valid plugin name for any plugin name or binary name (``MyStore.exe`` -> ``mystore.exe-1a2b3c4d``).

    Valid names come back unchanged; others are lowercased, cleaned and get a
    short hash of the original, so two different names never share a directory.
    """
    if plugin_name_problem(name) is None:
        return name
    import hashlib  # loads OpenSSL: not before the first window's paint (issue 14)

    cleaned = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).lstrip("._-")[:80] or "plugin"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned}-{digest}"


def key_problem(key: object) -> str | None:
    """Why ``key`` cannot be a state key; None if it can."""
    return _name_problem(key, "key")


def _json_problem(value: Any, where: str, stack: list[int]) -> str | None:
    """Why ``value`` would not survive a JSON round trip unchanged; None if it would."""
    if value is None or isinstance(value, (bool, int, str)):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{where} is {value!r}, which JSON cannot represent"
    if isinstance(value, (list, dict)):
        if id(value) in stack:
            return f"{where} contains itself (a circular reference)"
        stack.append(id(value))
        try:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    problem = _json_problem(item, f"{where}[{index}]", stack)
                    if problem:
                        return problem
            else:
                for dict_key, item in value.items():
                    if not isinstance(dict_key, str):
                        return f"{where} has a {type(dict_key).__name__} key {dict_key!r}; JSON keys are strings"
                    problem = _json_problem(item, f"{where}[{dict_key!r}]", stack)
                    if problem:
                        return problem
        finally:
            stack.pop()
        return None
    hint = " (use a list)" if isinstance(value, (tuple, set, frozenset)) else ""
    return f"{where} is a {type(value).__name__}, which is not a JSON value{hint}"


class PluginState:
    """The state of one plugin: ``get``/``set``/``delete``/``keys`` over ``<root>/<plugin>/<key>.json``.

    Calls do blocking file I/O (small files, an fsync per ``set``); the GUI
    may call them on the UI thread for a few keys, or in an executor.
    """

    def __init__(self, root: Path | None, plugin_name: str) -> None:
        problem = plugin_name_problem(plugin_name)
        if problem:
            raise PluginStateError(f"invalid plugin name {plugin_name!r}: {problem}", plugin=str(plugin_name))
        self.root = Path(root) if root is not None else default_plugin_state_root()
        self.plugin_name = plugin_name
        self.directory = self.root / plugin_name

    def __repr__(self) -> str:
        return f"PluginState({str(self.root)!r}, {self.plugin_name!r})"

    def path_for(self, key: str) -> Path:
        """The file that holds ``key`` (checked: always directly inside :attr:`directory`)."""
        problem = key_problem(key)
        if problem:
            raise PluginStateError(
                f"invalid state key {key!r} for plugin {self.plugin_name!r}: {problem}",
                plugin=self.plugin_name,
                key=str(key),
            )
        return self.directory / f"{key}{SUFFIX}"

    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` when there is none."""
        path = self.path_for(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return default
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(f"cannot read state {key!r} of plugin {self.plugin_name!r} from {path}: {exc}",
                              key, path) from exc
        try:
            return json.loads(text, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise self._error(
                f"state {key!r} of plugin {self.plugin_name!r} is not valid JSON ({exc}); the file {path} "
                "was left as it is: fix or delete it",
                key,
                path,
            ) from exc

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` under ``key``, replacing the file atomically."""
        path = self.path_for(key)
        problem = _json_problem(value, "the value", [])
        if problem:
            raise self._error(
                f"cannot store state {key!r} of plugin {self.plugin_name!r}: {problem}", key, None
            )
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=1, sort_keys=True) + "\n"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, text)
        except OSError as exc:
            raise self._error(
                f"cannot write state {key!r} of plugin {self.plugin_name!r} to {path}: {exc}", key, path
            ) from exc

    def delete(self, key: str) -> bool:
        """Remove ``key``; True if it existed, False if there was nothing to remove."""
        path = self.path_for(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise self._error(
                f"cannot delete state {key!r} of plugin {self.plugin_name!r} ({path}): {exc}", key, path
            ) from exc
        return True

    def keys(self) -> list[str]:
        """The stored keys, sorted. Files that are not valid keys (temporary files, strays) are ignored."""
        try:
            entries = list(self.directory.iterdir())
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise self._error(
                f"cannot list the state of plugin {self.plugin_name!r} in {self.directory}: {exc}",
                "",
                self.directory,
            ) from exc
        found = []
        for entry in entries:
            name = entry.name
            if not name.endswith(SUFFIX):
                continue
            key = name[: -len(SUFFIX)]
            if key_problem(key) is None and entry.is_file():
                found.append(key)
        return sorted(found)

    def __contains__(self, key: str) -> bool:
        return self.path_for(key).is_file()

    def _error(self, message: str, key: str, path: Path | None) -> PluginStateError:
        return PluginStateError(message, plugin=self.plugin_name, key=key, path=path)


def _refuse_constant(name: str) -> Any:
    """json.loads accepts NaN/Infinity by default; a file holding them was not written by us."""
    raise ValueError(f"{name} is not valid JSON")
