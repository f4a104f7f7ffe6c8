"""plugins/zhi-store-json as a real plugin process: launched by the project's
host, by zhi's Go host (zhi-host-probe), killed mid-write, and its files read
by Go's encoding/json with zhi's own types."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, interop_binary, plugin_path
from zhi_gui.core import errors as E
from zhi_gui.core.model import Encryption, Entry, Permission, Versioning
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.stores.jsonfile_format import encode_tree, parse_tree

JSON_PLUGIN = plugin_path("json")
FIXTURES = ROOT / "tests" / "fixtures" / "zhi-json"


def plugin_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    env.pop("ZHI_PLUGIN_OPTIONS", None)
    env.pop("ZHI_JSON_STORE_DIR", None)
    return env


def test_every_rpc_through_a_real_plugin_process(arun, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "store", tmp_path / "store")
    store_dir = tmp_path / "store"

    async def go() -> None:
        async with await launch_store(JSON_PLUGIN, options={"dir": str(store_dir)}) as plugin:
            store = plugin.store
            caps = await store.capabilities()
            assert (caps.versioning, caps.encryption, caps.auth, caps.access_control) == (
                Versioning.NONE, Encryption.NONE, False, False)
            assert await store.auth_methods() == []
            assert sorted(await store.list_trees()) == ["3f2a9c0d1e4b5a67", "default", "empty"]

            # the hand-written zhi files, over the wire
            numbers = {e.path: e.value_json for e in await store.get_values("3f2a9c0d1e4b5a67", [])}
            assert numbers["limits/big"] == b"12345678901234567890"
            assert numbers["limits/one-point-zero"] == b"1.0"
            (port,) = await store.get_values("default", ["database/port"])
            assert port.value_json == b"5432"
            assert json.loads(port.metadata_json) == {"core.type": "port", "ui.enum": [5432, 5433]}
            (optional,) = await store.get_values("default", ["app/optional"])
            assert optional.value_json == b"null" and optional.metadata_json == b""

            # writes
            await store.put_values("t", [Entry("app/name", b'"demo"', b'{"ui.order":1}'), Entry("app/port", b"8080")])
            await store.put_values("t", [Entry("app/port", b"9090")])
            got = {e.path: e for e in await store.get_values("t", ["app/name", "app/port", "app/missing"])}
            assert got["app/name"].value_json == b'"demo"' and got["app/name"].metadata_json == b'{"ui.order":1}'
            assert got["app/port"].value_json == b"9090"
            assert [e.path for e in await store.get_values("t", [])] == ["app/name", "app/port"]
            await store.delete_values("t", ["app/name", "app/missing"])
            assert [e.path for e in await store.get_values("t", [])] == ["app/port"]
            assert (store_dir / "t.json").read_bytes() == b'{\n  "app/port": {\n    "value": 9090\n  }\n}'
            await store.delete_tree("t")
            await store.delete_tree("t")
            assert "t" not in await store.list_trees()

            # extension
            description = await store.describe()
            assert description.store_kind == "json" and description.location == str(store_dir)
            assert {"ListPaths", "StreamTree", "WriteValues"} <= description.features
            assert await store.list_paths("default", "database/") == [
                "database/enabled", "database/host", "database/options", "database/password", "database/port",
                "database/timeout"]
            chunks = [c async for c in store.stream_tree("default", chunk_size=4)]
            assert [len(c.entries) for c in chunks] == [4, 4, 4] and {c.total for c in chunks} == {12}
            assert await store.write_values("w", [Entry("a/b", b"1")], ["a/c"]) == ""
            assert await store.list_paths("w") == ["a/b"]

            # what it does not support, honestly
            for call in (store.list_tree_versions("default"), store.get_tree_version("default", "1", []),
                         store.rollback_tree("default", "1"), store.delete_tree_version("default", "1"),
                         store.list_value_versions("default", "app/name"),
                         store.get_value_version("default", "app/name", "1"),
                         store.rollback_value("default", "app/name", "1"),
                         store.delete_value_version("default", "app/name", "1"),
                         store.init_encryption(b"pw"), store.rotate_encryption(b"a", b"b"),
                         store.grant_access("default", "u", [Permission("a/b", ())]),
                         store.revoke_access("default", "u", []), store.list_access("default"),
                         store.login("userpass", {"username": "u"}),
                         store.put_values("default", [Entry("a/b", b"1")], cas_version="3"),
                         store.describe_versions("default"), store.unlock(b"x")):
                with pytest.raises(E.Unsupported):
                    await call

            # bad input and escapes
            for tree_id in ("../x", "/etc/passwd", "a/b", "..", "x\0y"):
                with pytest.raises(E.InvalidArgument):
                    await store.put_values(tree_id, [Entry("a/b", b"1")])
                with pytest.raises(E.InvalidArgument):
                    await store.get_values(tree_id, [])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("t", [Entry("Bad/Path", b"1")])
            with pytest.raises(E.InvalidArgument):
                await store.put_values("t", [Entry("a/b", b"{nope")])

            # a corrupt file: typed error with the file name, file untouched
            (store_dir / "broken.json").write_bytes(b'{"a/b": ')
            with pytest.raises(E.StoreCorrupt) as info:
                await store.get_values("broken", [])
            assert "broken.json" in info.value.message and info.value.details["reason"]
            with pytest.raises(E.StoreCorrupt):
                await store.put_values("broken", [Entry("a/b", b"1")])
            assert (store_dir / "broken.json").read_bytes() == b'{"a/b": '
        assert plugin.exited.result() == 0
        assert not [p for p in tmp_path.iterdir() if p.name != "store"], "nothing written outside the directory"

    arun(go())


def test_directory_from_env_and_default(arun, tmp_path: Path) -> None:
    async def put_through(**launch: Any) -> None:
        async with await launch_store(JSON_PLUGIN, **launch) as plugin:
            await plugin.store.put_values("t", [Entry("a/b", b"1")])

    arun(put_through(extra_env={"ZHI_JSON_STORE_DIR": str(tmp_path / "from-env")}))
    assert (tmp_path / "from-env" / "t.json").is_file()
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    arun(put_through(cwd=str(workspace)))
    assert (workspace / ".zhi" / "store" / "t.json").is_file()
    # the option wins over the environment
    arun(put_through(options={"dir": str(tmp_path / "from-option")},
                     extra_env={"ZHI_JSON_STORE_DIR": str(tmp_path / "from-env-2")}))
    assert (tmp_path / "from-option" / "t.json").is_file() and not (tmp_path / "from-env-2").exists()


def test_plugin_refuses_to_start_on_a_file_as_directory(arun, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(E.LaunchError, match="not a directory"):
        arun(launch_store(JSON_PLUGIN, options={"dir": str(tmp_path / "file")}))


def run_probe(tmp_path: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    probe = interop_binary("zhi-host-probe")
    workdir = tmp_path / "probe-cwd"
    workdir.mkdir(exist_ok=True)
    return subprocess.run([str(probe), *args, str(JSON_PLUGIN)], cwd=workdir, env=env, capture_output=True,
                          text=True, timeout=180)


@pytest.mark.interop
def test_zhi_host_probe_with_restart(tmp_path: Path) -> None:
    env = plugin_env()
    env["ZHI_JSON_STORE_DIR"] = str(tmp_path / "store")
    result = run_probe(tmp_path, "-restart", "-keep", env=env)
    summary = result.stdout.strip().splitlines()[-1]
    assert summary.endswith(" 0 failed") and result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "PASS restart-values" in result.stdout and "PASS versioning-rpcs-rejected" in result.stdout
    # the probe notes any code other than UNIMPLEMENTED for versioning and access control
    assert "Unimplemented is conventional" not in result.stderr
    # the file the Go host's writes produced is in zhi's canonical format
    data = (tmp_path / "store" / "probe.json").read_bytes()
    assert encode_tree(parse_tree(data)) == data


@pytest.mark.interop
def test_zhi_host_probe_with_options_json(tmp_path: Path) -> None:
    env = plugin_env()
    env["ZHI_PLUGIN_OPTIONS"] = json.dumps({"dir": str(tmp_path / "opt-store")})
    result = run_probe(tmp_path, "-restart", env=env)
    assert result.stdout.strip().splitlines()[-1].endswith(" 0 failed"), result.stdout + result.stderr[-3000:]
    assert (tmp_path / "opt-store").is_dir() and not (tmp_path / "probe-cwd" / ".zhi").exists()


def test_kill_9_during_writes_never_leaves_a_broken_file(arun, tmp_path: Path) -> None:
    """SIGKILL the plugin at random moments while it rewrites a 3,000-value tree:
    the file is always the last acknowledged write or the one in flight, never half."""
    store_dir = tmp_path / "store"
    base = [Entry(f"bulk/v{i:05d}", b'{"text":"some value","n":[1,2,3]}', b'{"ui.order":1}') for i in range(3000)]
    rng = random.Random(7)

    async def one_round(round_no: int, acknowledged: int) -> int:
        plugin = await launch_store(JSON_PLUGIN, options={"dir": str(store_dir)})
        try:
            if round_no == 0:
                await plugin.store.put_values("t", [*base, Entry("state/counter", b"0")])
            (counter,) = await plugin.store.get_values("t", ["state/counter"])
            value = int(counter.value_json)
            assert value >= acknowledged, "an acknowledged write was lost"
            assert value <= acknowledged + 1
            assert len(await plugin.store.list_paths("t")) == 3001
            acknowledged = value

            async def writer() -> None:
                nonlocal acknowledged
                while True:
                    await plugin.store.put_values("t", [Entry("state/counter", str(acknowledged + 1).encode())])
                    acknowledged += 1

            task = asyncio.create_task(writer())
            await asyncio.sleep(rng.uniform(0.05, 0.4))
            plugin.kill_group(signal.SIGKILL)
            with pytest.raises((E.PluginError, E.StoreError)):
                await task
        finally:
            await plugin.close()
        data = (store_dir / "t.json").read_bytes()
        cells = parse_tree(data)  # never half written
        assert len(cells) == 3001
        return acknowledged

    async def go() -> None:
        acknowledged = 0
        for round_no in range(8):
            acknowledged = await one_round(round_no, acknowledged)
        assert acknowledged > 8, "the writer made progress"

    arun(go(), timeout=240)


GO_READER = textwrap.dedent("""
    // Reads a tree file with zhi's own types (pkg/providers/store/jsonfile,
    // pkg/zhiplugin/config.Value) and writes it back as zhi does.
    package main

    import (
        "encoding/json"
        "os"
    )

    type Value struct {
        Val      any            `json:"value" yaml:"value"`
        Metadata map[string]any `json:"metadata,omitempty" yaml:"metadata,omitempty"`
        Version  string         `json:"-" yaml:"-"`
    }

    func main() {
        data, err := os.ReadFile(os.Args[1])
        if err != nil {
            panic(err)
        }
        var entries map[string]*Value
        if err := json.Unmarshal(data, &entries); err != nil {
            panic(err)
        }
        out, err := json.MarshalIndent(entries, "", "  ")
        if err != nil {
            panic(err)
        }
        os.Stdout.Write(out)
    }
""")


@pytest.mark.interop
def test_go_encoder_writes_the_same_bytes(arun, tmp_path: Path) -> None:
    """Go's encoding/json, with zhi's types, reproduces the plugin's files byte for byte
    (for numbers a float64 keeps; Go < 1.22 writes \\b and \\f as \\u0008 and \\u000c)."""
    go = shutil.which("go")
    if go is None:
        pytest.skip("the go toolchain is not on PATH (needed only for this cross-check)")
    source = tmp_path / "reader" / "main.go"
    source.parent.mkdir()
    source.write_text(GO_READER)
    env = {**os.environ, "GOCACHE": str(tmp_path / "gocache"), "GOPATH": str(tmp_path / "gopath"),
           "GO111MODULE": "off", "GOFLAGS": ""}
    binary = tmp_path / "reader" / "reader"
    subprocess.run([go, "build", "-o", str(binary), str(source)], env=env, check=True, capture_output=True,
                   timeout=300)

    store_dir = tmp_path / "store"
    entries = [
        Entry("service/name", b'"web <frontend> & api \\u2028 \xc3\xa9 \xf0\x9f\x98\x80"',
              b'{"ui.displayName":"Service","core.description":"x"}'),
        Entry("service/env", b'{"b":[1,2,{}],"a":{"z":null,"y":true},"c":[]}', b'{"core.type":"json"}'),
        Entry("service/nums", b"[0,-1,42,9007199254740991,0.5,-3.25,1.5e-7,123456.789]", b"{}"),
        Entry("service/ctl", b'"\\u0001\\u001f\\n\\r\\t\\"\\\\/\x7f"', b"null"),
        Entry("a/unicode-labels", b"true", '{"x":{"deep":[{"k":"été ✓"}]}}'.encode()),
        Entry("service/null", b"null", b""),
        # plain values (held as their text, labels apart), a labelled one sorting last, in the new tree's put
        Entry("b/plain", b'"x"', b""), Entry("b/num", b"-12", b""),
        Entry("zz/labelled-last", b'"p"', b'{"ui.password":true,"ui.order":2}'),
    ]

    async def write() -> None:
        async with await launch_store(JSON_PLUGIN, options={"dir": str(store_dir)}) as plugin:
            await plugin.store.put_values("cross", [*entries[:4], *entries[6:]])
            await plugin.store.put_values("cross", entries[4:6])

    arun(write())
    ours = (store_dir / "cross.json").read_bytes()
    theirs = subprocess.run([str(binary), str(store_dir / "cross.json")], capture_output=True, check=True,
                            timeout=60).stdout
    assert ours == theirs
    # and zhi can read every number edge case we keep (it rounds them to float64 itself)
    fixture = FIXTURES / "store" / "3f2a9c0d1e4b5a67.json"
    subprocess.run([str(binary), str(fixture)], capture_output=True, check=True, timeout=60)
