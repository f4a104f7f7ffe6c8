"""zhi workspaces: ``zhi.yaml`` (store provider and options, plugin directories)
and zhi's default tree id for a workspace (zhi-protocol.md 3, 4)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhi_gui.core.errors import ManifestError

WORKSPACE_FILE = "zhi.yaml"


@dataclass(frozen=True)
class Workspace:
    root: Path
    store_provider: str = ""  # "json" or "zhi-store-json": both name the same plugin
    store_options: dict[str, Any] = field(default_factory=dict)
    plugin_directories: tuple[Path, ...] = ()

    @property
    def store_name(self) -> str:
        """Short plugin name of the configured store ("json" for "zhi-store-json")."""
        provider = self.store_provider
        return provider.removeprefix("zhi-store-") if provider.startswith("zhi-store-") else provider

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
