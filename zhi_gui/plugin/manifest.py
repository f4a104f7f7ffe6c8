"""``zhi-plugin.yaml`` manifests (zhi-protocol.md 4), parsed and validated like zhi does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin.options_schema import OptionSpec, parse_options

MANIFEST_NAME = "zhi-plugin.yaml"
PLUGIN_TYPES = ("config", "transform", "store", "ui")
NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class Runtime:
    type: str
    version: str = ""
    bundled: bool = False


@dataclass(frozen=True)
class PluginManifest:
    name: str
    type: str
    version: str
    schema_version: str = "1"
    zhi_protocol_version: str = ""
    description: str = ""
    author: str = ""
    license: str = ""
    homepage: str = ""
    keywords: tuple[str, ...] = ()
    runtime: Runtime | None = None
    min_zhi_version: str = ""
    binaries: dict[str, str] = field(default_factory=dict)
    source: Path | None = None
    # zhi-gui's own ``options:`` section (zhi ignores it): None when the plugin gives none,
    # and Open store keeps the raw JSON field for it.
    options: tuple[OptionSpec, ...] | None = None

    @property
    def binary_name(self) -> str:
        return f"zhi-{self.type}-{self.name}"


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key, "")
    return "" if value is None else str(value)


def parse_manifest(text: str, source: Path | None = None) -> PluginManifest:
    where = f"{source}: " if source else ""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{where}not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{where}a manifest must be a YAML mapping")
    problems = []
    name, kind, version = _text(data, "name"), _text(data, "type"), _text(data, "version")
    if not name:
        problems.append("name is required")
    elif not NAME_RE.match(name):
        problems.append(f"name {name!r} must match [a-z][a-z0-9-]*")
    if not kind:
        problems.append("type is required")
    elif kind not in PLUGIN_TYPES:
        problems.append(f"type {kind!r} must be one of: {', '.join(PLUGIN_TYPES)}")
    if not version:
        problems.append("version is required")
    elif not SEMVER_RE.match(version):
        problems.append(f"version {version!r} is not valid semver")
    schema = _text(data, "schemaVersion") or "1"
    if schema != "1":
        problems.append(f"schemaVersion {schema!r} is newer than this zhi-gui understands (1)")
    protocol = _text(data, "zhiProtocolVersion")
    if protocol and protocol != "1":
        problems.append(f"zhiProtocolVersion {protocol!r} is not supported (1)")
    runtime_data = data.get("runtime")
    runtime = None
    if isinstance(runtime_data, dict):
        runtime = Runtime(_text(runtime_data, "type"), _text(runtime_data, "version"),
                          bool(runtime_data.get("bundled", False)))
    elif runtime_data is not None:
        problems.append("runtime must be a mapping with type and version")
    keywords = data.get("keywords") or []
    binaries = data.get("binaries") or {}
    if not isinstance(keywords, list):
        problems.append("keywords must be a list")
        keywords = []
    if not isinstance(binaries, dict):
        problems.append("binaries must map platform (os/arch) to a path")
        binaries = {}
    options: tuple[OptionSpec, ...] | None = None
    if data.get("options") is not None:
        options, option_problems = parse_options(data["options"])
        problems.extend(option_problems)
    if problems:
        raise ManifestError(f"{where}invalid plugin manifest: {'; '.join(problems)}")
    return PluginManifest(
        name=name, type=kind, version=version, schema_version=schema, zhi_protocol_version=protocol,
        description=_text(data, "description"), author=_text(data, "author"), license=_text(data, "license"),
        homepage=_text(data, "homepage"), keywords=tuple(str(k) for k in keywords), runtime=runtime,
        min_zhi_version=_text(data, "minZhiVersion"), binaries={str(k): str(v) for k, v in binaries.items()},
        source=source, options=options,
    )


def load_manifest(path: Path) -> PluginManifest:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read {path}: {exc.strerror or exc}") from None
    return parse_manifest(text, path)
