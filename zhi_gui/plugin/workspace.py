"""zhi workspaces: ``zhi.yaml`` (store provider and options, plugin directories),
zhi's default tree id for a workspace (zhi-protocol.md 3, 4), and which plugin
with which options opens a workspace's store (``workspace_store``).

zhi's own rules, which the window follows where it can:
- ``store: provider: jsonfile`` is zhi's built-in JSON file store (option
  ``directory``, default ``.zhi/store`` under the workspace), and zhi falls
  back to it when ``zhi.yaml`` names no store. zhi-store-json reads and writes
  the same files, so both open with it.
- zhi starts a store *plugin* in zhi's own working directory and hands it the
  options as written, so a relative ``directory`` or ``path`` is relative to
  wherever zhi was run (usually the workspace root). The window may be started
  anywhere, so it resolves relative location options against the workspace
  root before starting the plugin: the same files when zhi is run from the
  root, and the same files wherever the window is started.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhi_gui.core.errors import ManifestError

WORKSPACE_FILE = "zhi.yaml"
# zhi's built-in JSON file store, by the names a zhi.yaml gives it ("" = no store: zhi's fallback)
JSONFILE_PROVIDERS = frozenset({"", "jsonfile", "json", "zhi-store-json"})
JSONFILE_PLUGIN = "json"
JSONFILE_DEFAULT_DIRECTORY = os.path.join(".zhi", "store")
# Option names that hold a file or directory, for any plugin: these exact
# names, and names ending in one of the suffixes (mirror_dir, passphrase_file).
LOCATION_OPTIONS = frozenset({"directory", "dir", "path", "file"})
LOCATION_SUFFIXES = ("_directory", "_dir", "_path", "_file")


@dataclass(frozen=True)
class Workspace:
    root: Path
    store_provider: str = ""  # as zhi.yaml names it: "jsonfile" (zhi's built-in), "json", "sqlite", "" = none
    store_options: dict[str, Any] = field(default_factory=dict)
    plugin_directories: tuple[Path, ...] = ()

    @property
    def store_name(self) -> str:
        """Short plugin name of the configured store: "json" for zhi's built-in
        ``jsonfile``, for no store at all and for "zhi-store-json"."""
        provider = self.store_provider
        if provider in JSONFILE_PROVIDERS:
            return JSONFILE_PLUGIN
        return provider.removeprefix("zhi-store-")

    @property
    def store_label(self) -> str:
        """The store as zhi.yaml names it, for messages."""
        return self.store_provider or "(none: zhi's built-in jsonfile store)"

    @property
    def default_tree_id(self) -> str:
        return default_tree_id(self.root)


def default_tree_id(workspace_dir: Path) -> str:
    """Lowercase hex of the first 8 bytes of SHA-256 of the workspace directory path."""
    return hashlib.sha256(str(workspace_dir).encode()).digest()[:8].hex()


def find_workspace_file(start: Path) -> Path | None:
    """``zhi.yaml`` in ``start`` or the nearest parent."""
    current = start.resolve()
    for directory in (current, *current.parents):
        candidate = directory / WORKSPACE_FILE
        if candidate.is_file():
            return candidate
    return None


def load_workspace(path: Path) -> Workspace:
    """Load a ``zhi.yaml`` (or the one found from a directory)."""
    if path.is_dir():
        found = find_workspace_file(path)
        if found is None:
            raise ManifestError(f"no {WORKSPACE_FILE} in {path} or its parents")
        path = found
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: must be a YAML mapping")
    root = path.parent.resolve()
    store = data.get("store") or {}
    plugins = data.get("plugins") or {}
    if not isinstance(store, dict) or not isinstance(plugins, dict):
        raise ManifestError(f"{path}: 'store' and 'plugins' must be mappings")
    options = store.get("options") or {}
    if not isinstance(options, dict):
        raise ManifestError(f"{path}: store.options must be a mapping")
    directories = plugins.get("directories") or []
    if not isinstance(directories, list):
        raise ManifestError(f"{path}: plugins.directories must be a list")
    resolved = tuple(_resolve_dir(root, str(d)) for d in directories)
    return Workspace(root, str(store.get("provider") or ""), dict(options), resolved)


def _resolve_dir(root: Path, directory: str) -> Path:
    expanded = Path(os.path.expandvars(os.path.expanduser(directory)))
    return expanded if expanded.is_absolute() else (root / expanded)


@dataclass(frozen=True)
class WorkspaceStore:
    """The plugin (short name, for discovery) and options that open a workspace's store."""

    plugin_name: str
    options: dict[str, Any]


def is_location_option(name: str) -> bool:
    return name in LOCATION_OPTIONS or name.endswith(LOCATION_SUFFIXES)


def resolve_locations(options: Mapping[str, Any], root: Path) -> dict[str, Any]:
    """``options`` with every relative location (see LOCATION_OPTIONS) made absolute
    against ``root``; nested option objects (a meta-plugin's children) too."""
    resolved: dict[str, Any] = {}
    for name, value in options.items():
        if isinstance(value, Mapping):
            value = resolve_locations(value, root)
        elif isinstance(value, str) and value and is_location_option(name) and "://" not in value:
            value = str(_resolve_dir(root, value))
        resolved[name] = value
    return resolved


def workspace_store(ws: Workspace, overrides: Mapping[str, Any] | None = None) -> WorkspaceStore:
    """What opens ``ws``'s store: its plugin and its options, relative locations
    resolved against the workspace root; ``overrides`` (the command line) are
    applied last, as given."""
    options = resolve_locations(ws.store_options, ws.root)
    if ws.store_name == JSONFILE_PLUGIN:
        if "directory" not in options and "dir" not in options:
            options["directory"] = str(ws.root / JSONFILE_DEFAULT_DIRECTORY)
        elif "dir" in options and "directory" not in options:
            options["directory"] = options.pop("dir")  # zhi's name for the same option
    options.update(overrides or {})
    return WorkspaceStore(ws.store_name, options)
