from pathlib import Path

import pytest

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin import discovery
from zhi_gui.plugin.manifest import load_manifest, parse_manifest
from zhi_gui.plugin.workspace import default_tree_id, find_workspace_file, load_workspace

GOOD = """schemaVersion: "1"
name: json
type: store
version: 1.2.0
zhiProtocolVersion: "1"
runtime: {type: python, version: ">=3.11"}
binaries: {linux/amd64: zhi-store-json}
"""


def exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


def test_manifest_parses_and_validates() -> None:
    m = parse_manifest(GOOD)
    assert (m.name, m.type, m.version, m.binary_name) == ("json", "store", "1.2.0", "zhi-store-json")
    assert m.runtime is not None and m.runtime.type == "python"
    with pytest.raises(ManifestError) as info:
        parse_manifest("name: Bad_Name\ntype: widget\nversion: 1.0\n")
    text = str(info.value)
    assert "name 'Bad_Name'" in text and "type 'widget'" in text and "not valid semver" in text
    with pytest.raises(ManifestError, match="not valid YAML"):
        parse_manifest("name: [unclosed")
    with pytest.raises(ManifestError, match="newer"):
        parse_manifest(GOOD.replace('schemaVersion: "1"', 'schemaVersion: "2"'))


def test_shipped_manifests_are_valid() -> None:
    for manifest in Path(__file__).resolve().parents[2].glob("plugins/*/zhi-plugin.yaml"):
        m = load_manifest(manifest)
        assert manifest.parent.name == m.binary_name


def test_flat_and_nested_layouts_flat_wins_first_directory_wins(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setattr(discovery, "default_plugin_dir", lambda: home / ".zhi" / "plugins")
    plugins = home / ".zhi" / "plugins"
    flat = exe(plugins / "zhi-store-json")
    exe(plugins / "store" / "json")  # nested duplicate: the flat one wins
    nested = exe(plugins / "store" / "vault")
    (plugins / "zhi-store-notexec").write_text("x")
    ws_dir = tmp_path / "ws"
    ws_plugins = ws_dir / "my-plugins"
    ws_memory = exe(ws_plugins / "zhi-store-memory")
    (ws_dir / "zhi.yaml").write_text("store: {provider: zhi-store-json, options: {dir: .zhi/store}}\n"
                                      "plugins: {directories: [my-plugins]}\n")
    ws = load_workspace(ws_dir)
    found = {p.name: p for p in discovery.discover(ws)}
    assert found["json"].path == flat and found["vault"].path == nested
    assert found["memory"].path == ws_memory, "the workspace directory comes first"
    assert "notexec" not in found
    assert discovery.find_plugin("zhi-store-json", workspace=ws).path == flat


def test_shipped_memory_plugin_is_discovered_with_its_manifest() -> None:
    memory = discovery.find_plugin("memory")
    assert memory is not None and memory.manifest is not None and memory.manifest.name == "memory"


def test_workspace_file_found_from_a_subdirectory(tmp_path: Path) -> None:
    (tmp_path / "zhi.yaml").write_text("store:\n  provider: json\n  options:\n    dir: data\n")
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    assert find_workspace_file(sub) == tmp_path / "zhi.yaml"
    ws = load_workspace(sub)
    assert (ws.store_name, ws.store_options) == ("json", {"dir": "data"})
    assert ws.default_tree_id == default_tree_id(tmp_path.resolve())
    assert len(ws.default_tree_id) == 16 and int(ws.default_tree_id, 16) >= 0


def test_bad_workspace_files(tmp_path: Path) -> None:
    (tmp_path / "zhi.yaml").write_text("store: [1, 2]\n")
    with pytest.raises(ManifestError, match="mappings"):
        load_workspace(tmp_path)
    with pytest.raises(ManifestError, match=r"no zhi\.yaml"):
        load_workspace(Path("/"))
