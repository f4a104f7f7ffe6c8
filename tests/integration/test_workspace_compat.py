"""A zhi user's workspace opens as it is (issue 12): zhi's built-in ``jsonfile``
store and a zhi.yaml without any store map to zhi-store-json with zhi's option
name and default directory, relative locations resolve against the workspace
root wherever the window was started, and a zhi-format file keeps every line
it was not asked to change."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.app import parse_args, resolve_target
from zhi_gui.core.jsonvalues import decode_metadata, decode_value, encode_value
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.plugin.workspace import load_workspace, workspace_store

# What `zhi init` writes (its template, with the store section zhi adds): the
# built-in jsonfile store and no options.
ZHI_INIT_YAML = """\
version: "1"

store:
  provider: jsonfile

config:
  provider: structuredfile
  options:
    directory: ./config

components:
  - name: pokedex-web
    paths:
      - "pokedex-web/"
    mandatory: true
"""

NO_STORE_YAML = """\
version: "1"

config:
  provider: structuredfile
  options:
    directory: ./config
"""


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The window (and so the plugin) runs in a directory that is not the workspace."""
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.delenv("ZHI_JSON_STORE_DIR", raising=False)
    monkeypatch.delenv("ZHI_PLUGIN_OPTIONS", raising=False)
    return other


@pytest.mark.parametrize("yaml_text", [ZHI_INIT_YAML, NO_STORE_YAML], ids=["zhi-init-jsonfile", "no-store"])
def test_zhi_workspace_opens_and_a_save_writes_its_store_file(
        arun: Any, tmp_path: Path, elsewhere: Path, yaml_text: str) -> None:
    workspace = tmp_path / "my-workspace"
    workspace.mkdir()
    (workspace / "zhi.yaml").write_text(yaml_text)
    # zhi's own jsonfile store already holds the workspace's tree
    tree_id = load_workspace(workspace).default_tree_id
    store_dir = workspace / ".zhi" / "store"
    store_dir.mkdir(parents=True)
    (store_dir / f"{tree_id}.json").write_bytes(b'{\n  "app/name": {\n    "value": "pokedex"\n  }\n}')

    target = resolve_target(parse_args(["--workspace", str(workspace)]))
    assert target.plugin == plugin_path("json").resolve() or target.plugin.name == "zhi-store-json"
    assert target.options == {"directory": str(store_dir)}
    assert target.tree_id == tree_id

    async def go() -> None:
        async with await launch_store(target.plugin, options=target.options) as plugin:
            store = plugin.store
            assert (await store.describe()).location == str(store_dir)
            (name,) = await store.get_values(target.tree_id, ["app/name"])
            assert decode_value(name.value_json) == "pokedex"
            await store.write_values(target.tree_id, [Entry("app/port", encode_value(8080.0))])

    arun(go())
    assert (store_dir / f"{tree_id}.json").read_bytes() == (
        b'{\n  "app/name": {\n    "value": "pokedex"\n  },\n  "app/port": {\n    "value": 8080\n  }\n}')
    assert not (elsewhere / ".zhi").exists(), "nothing is written under the window's working directory"


def test_relative_locations_of_any_plugin_resolve_against_the_workspace(tmp_path: Path) -> None:
    (tmp_path / "zhi.yaml").write_text(
        "store:\n  provider: sqlite\n  options:\n    path: data/config.db\n    passphrase_file: ../keys/pass\n"
        "    author: me\n    url: https://example.org/x\n    home: ~/x\n")
    store = workspace_store(load_workspace(tmp_path))
    root = tmp_path.resolve()
    assert store.plugin_name == "sqlite"
    assert store.options == {"path": str(root / "data" / "config.db"), "passphrase_file": str(root / "../keys/pass"),
                             "author": "me", "url": "https://example.org/x", "home": "~/x"}

    (tmp_path / "zhi.yaml").write_text(
        "store:\n  provider: mirror\n  options:\n    mirror_dir: m\n    primary_options: {path: /abs/p}\n"
        "    mirror_options: {directory: sub}\n")
    options = workspace_store(load_workspace(tmp_path)).options
    assert options == {"mirror_dir": str(root / "m"), "primary_options": {"path": "/abs/p"},
                       "mirror_options": {"directory": str(root / "sub")}}


@pytest.mark.parametrize(("options_yaml", "expected"), [
    ("    directory: state\n", "state"),
    ("    dir: old-name\n", "old-name"),  # this plugin's former option name, kept as an alias
    ("    directory: /abs/store\n", "/abs/store"),
])
def test_json_store_options_use_zhis_name(tmp_path: Path, options_yaml: str, expected: str) -> None:
    (tmp_path / "zhi.yaml").write_text(f"store:\n  provider: jsonfile\n  options:\n{options_yaml}")
    store = workspace_store(load_workspace(tmp_path), {"tree_hint": 1})
    assert store.plugin_name == "json"
    assert store.options == {"directory": str(tmp_path.resolve() / expected), "tree_hint": 1}


def test_a_missing_store_plugin_is_named(tmp_path: Path) -> None:
    (tmp_path / "zhi.yaml").write_text("store:\n  provider: vault-nowhere\n")
    with pytest.raises(SystemExit, match="'vault-nowhere' was not found"):
        resolve_target(parse_args(["--workspace", str(tmp_path)]))


# --- a zhi-format file: open, edit one value, save, the rest byte-identical -------

# Written as zhi writes it (json.MarshalIndent of map[string]*config.Value):
# every JSON type, numbers in Go's spelling, Go's escapes, labels.
ZHI_FILE = b"""{
  "app/empty-list": {
    "value": []
  },
  "app/empty-map": {
    "value": {}
  },
  "app/enabled": {
    "value": true
  },
  "app/html": {
    "value": "\\u003cb\\u003e \\u0026 \\u2028"
  },
  "app/lone-surrogate": {
    "value": "a\\ud800b"
  },
  "app/name": {
    "value": "pok\xc3\xa9dex",
    "metadata": {
      "ui.displayName": "Application name"
    }
  },
  "app/nested": {
    "value": {
      "list": [
        1,
        "two",
        null,
        {
          "x": 1.5
        }
      ],
      "z": false
    }
  },
  "app/nothing": {
    "value": null
  },
  "numbers/big": {
    "value": 12345678901234567000
  },
  "numbers/exp-big": {
    "value": 1e+21
  },
  "numbers/exp-small": {
    "value": 1e-7
  },
  "numbers/float": {
    "value": 0.1
  },
  "numbers/int": {
    "value": 8080
  },
  "numbers/minus-zero": {
    "value": -0
  },
  "numbers/negative": {
    "value": -3.25
  },
  "numbers/whole": {
    "value": 100000000000000000000
  }
}"""


def test_zhi_file_with_every_value_type_keeps_every_other_line(arun: Any, tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    tree = store_dir / "t.json"
    tree.write_bytes(ZHI_FILE)

    async def go() -> None:
        async with await launch_store(plugin_path("json"), options={"directory": str(store_dir)}) as plugin:
            store = plugin.store
            entries = await store.get_values("t", [])
            # every value as the window holds it, and as it would write it back: unchanged
            for entry in entries:
                value = decode_value(entry.value_json)
                again = decode_value(encode_value(value))
                assert encode_value(again) == encode_value(value), entry.path
                decode_metadata(entry.metadata_json)
            by_path = {e.path: e for e in entries}
            assert decode_value(by_path["app/lone-surrogate"].value_json) == "a\ud800b"
            assert decode_value(by_path["numbers/minus-zero"].value_json) == 0.0
            # edit one value (a float the window computed) and save it
            number = decode_value(by_path["numbers/float"].value_json) * 3  # 0.30000000000000004
            await store.write_values("t", [Entry("numbers/float", encode_value(number))])
            # and one string holding a lone surrogate, as the window writes it
            await store.put_values("t", [Entry("app/lone-surrogate", encode_value("a\ud800b"))])

    arun(go())
    before = ZHI_FILE.split(b"\n")
    after = tree.read_bytes().split(b"\n")
    assert len(before) == len(after)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b != a]
    assert changed == [(b'    "value": 0.1', b'    "value": 0.30000000000000004')]


def test_wire_bytes_refused_like_go_refuses_them(arun: Any, tmp_path: Path) -> None:
    """Every plugin of ours refuses what zhi's Go decoder refuses, INVALID_ARGUMENT, nothing written."""
    from zhi_gui.core import errors as E

    bad_values = [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"\xef\xbb\xbf1", '"a"'.encode("utf-16"),
                  b'"\xff"', b"[" * 5000 + b"]" * 5000]

    async def check(name: str, options: dict[str, Any]) -> None:
        async with await launch_store(plugin_path(name), options=options) as plugin:
            store = plugin.store
            for bad in bad_values:
                with pytest.raises(E.InvalidArgument) as info:
                    await store.put_values("t", [Entry("a/b", bad)])
                assert len(info.value.message) < 300
                with pytest.raises(E.InvalidArgument):
                    await store.put_values("t", [Entry("a/c", b"1", b'{"x": ' + bad + b"}")])
            assert await store.get_values("t", []) == []

    os.environ.pop("ZHI_JSON_STORE_DIR", None)
    arun(check("memory", {}), timeout=120)
    arun(check("json", {"directory": str(tmp_path / "json")}), timeout=120)
    arun(check("sqlite", {"path": str(tmp_path / "s.db"), "create": True}), timeout=120)
    arun(check("mirror", {"mirror_dir": str(tmp_path / "mirror")}), timeout=180)
