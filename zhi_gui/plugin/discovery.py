"""Find plugin executables the way zhi does (zhi-protocol.md 4).

Binaries are named ``zhi-<type>-<name>``; a directory holds them flat
(``zhi-store-json``) or nested (``store/json``); flat names win, and the first
directory that has a plugin wins. The shipped ``plugins/`` folder keeps one
folder per plugin (``zhi-store-memory/zhi-store-memory``), which is searched too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin.manifest import MANIFEST_NAME, PLUGIN_TYPES, PluginManifest, load_manifest
from zhi_gui.plugin.workspace import Workspace
from zhi_gui.resources_path import shipped_plugins_dir


@dataclass(frozen=True)
class DiscoveredPlugin:
    name: str  # short name: "json"
    type: str  # "store"
    path: Path
    source: str  # "shipped", "~/.zhi/plugins", "workspace", ...
    manifest: PluginManifest | None = None
    manifest_error: str = ""

    @property
    def binary_name(self) -> str:
        return f"zhi-{self.type}-{self.name}"


def default_plugin_dir() -> Path:
    return Path.home() / ".zhi" / "plugins"


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def _manifest_for(binary: Path, name: str, kind: str) -> tuple[PluginManifest | None, str]:
    candidate = binary.parent / MANIFEST_NAME
    if not candidate.is_file():
        return None, ""
    try:
        manifest = load_manifest(candidate)
    except ManifestError as exc:
        return None, str(exc)
    if (manifest.name, manifest.type) != (name, kind):
        return None, ""  # a manifest of a neighbour, not of this binary
    return manifest, ""


def manifest_beside(binary: Path) -> tuple[PluginManifest | None, str]:
    """The manifest of a plugin binary given by hand (named zhi-<type>-<name>), when one lies
    beside it; else (None, why not or "")."""
    parts = binary.name.split("-", 2)
    if len(parts) != 3 or parts[0] != "zhi":
        return None, ""
    return _manifest_for(binary, parts[2], parts[1])


def _scan(directory: Path, source: str, kind: str | None) -> list[DiscoveredPlugin]:
    found: list[DiscoveredPlugin] = []
    if not directory.is_dir():
        return found
    types = (kind,) if kind else PLUGIN_TYPES
    try:
        entries = sorted(directory.iterdir())
    except OSError:
        return found
    candidates: list[tuple[str, str, Path]] = []
    for entry in entries:
        for plugin_type in types:
            prefix = f"zhi-{plugin_type}-"
            if entry.name.startswith(prefix) and len(entry.name) > len(prefix):
                name = entry.name[len(prefix):]
                if _is_executable(entry):  # flat
                    candidates.append((plugin_type, name, entry))
                elif entry.is_dir() and _is_executable(entry / entry.name):  # shipped folder layout
                    candidates.append((plugin_type, name, entry / entry.name))
    for plugin_type in types:  # nested: store/json
        nested = directory / plugin_type
        if nested.is_dir():
            for entry in sorted(nested.iterdir()):
                if _is_executable(entry):
                    candidates.append((plugin_type, entry.name, entry))
    for plugin_type, name, path in candidates:
        manifest, error = _manifest_for(path, name, plugin_type)
        found.append(DiscoveredPlugin(name, plugin_type, path, source, manifest, error))
    return found


def search_directories(workspace: Workspace | None = None,
                       extra: list[tuple[Path, str]] | None = None) -> list[tuple[Path, str]]:
    dirs: list[tuple[Path, str]] = []
    if workspace is not None:
        dirs += [(d, f"workspace {workspace.root}") for d in workspace.plugin_directories]
    dirs += extra or []
    dirs.append((default_plugin_dir(), "~/.zhi/plugins"))
    dirs.append((shipped_plugins_dir(), "shipped"))
    return dirs


def discover(workspace: Workspace | None = None, kind: str | None = "store",
             extra: list[tuple[Path, str]] | None = None) -> list[DiscoveredPlugin]:
    """All plugins, one per (type, name): the first directory wins."""
    result: dict[tuple[str, str], DiscoveredPlugin] = {}
    for directory, source in search_directories(workspace, extra):
        for plugin in _scan(directory, source, kind):
            result.setdefault((plugin.type, plugin.name), plugin)
    return sorted(result.values(), key=lambda p: (p.type, p.name))


def find_plugin(name: str, kind: str = "store", workspace: Workspace | None = None) -> DiscoveredPlugin | None:
    """Look a plugin up by short name ("json") or binary name ("zhi-store-json")."""
    short = name.removeprefix(f"zhi-{kind}-")
    for plugin in discover(workspace, kind):
        if plugin.name == short:
            return plugin
    return None
