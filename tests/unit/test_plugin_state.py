"""Per-plugin state: one JSON file per key, atomic writes, one error type."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import platformdirs
import pytest

from zhi_gui.core.errors import ZhiError
from zhi_gui.services.plugin_state import (
    PluginState,
    PluginStateError,
    default_plugin_state_root,
    plugin_dir_name,
    plugin_name_problem,
)


@pytest.fixture
def state(tmp_path: Path) -> PluginState:
    return PluginState(tmp_path, "zhi-store-sqlite")


def test_round_trip_of_json_values(state: PluginState, tmp_path: Path) -> None:
    values = {
        "last-tree": "prod",
        "count": 3,
        "big": 2**70,
        "ratio": 0.25,
        "flag": False,
        "nothing": None,
        "columns": [120, 300, 80],
        "ui": {"splitter": [1, 2], "nested": {"a": [None, True, "ü"]}},
    }
    for key, value in values.items():
        state.set(key, value)
    for key, value in values.items():
        got = state.get(key)
        assert got == value
        assert type(got) is type(value)
    assert state.keys() == sorted(values)
    assert (tmp_path / "zhi-store-sqlite" / "last-tree.json").is_file()
    assert json.loads((tmp_path / "zhi-store-sqlite" / "columns.json").read_text()) == [120, 300, 80]


def test_missing_key_gives_default(state: PluginState) -> None:
    assert state.get("absent") is None
    assert state.get("absent", {"x": 1}) == {"x": 1}
    assert state.keys() == []  # the directory does not exist yet
    assert "absent" not in state


def test_set_replaces_and_delete_removes(state: PluginState) -> None:
    state.set("k", 1)
    state.set("k", [2])
    assert state.get("k") == [2]
    assert "k" in state
    assert state.delete("k") is True
    assert state.delete("k") is False
    assert state.get("k", "gone") == "gone"
    assert state.keys() == []


def test_plugins_are_separate(tmp_path: Path) -> None:
    a = PluginState(tmp_path, "a")
    b = PluginState(tmp_path, "b")
    a.set("k", "from a")
    assert b.get("k") is None
    assert b.keys() == []


def test_write_is_atomic_and_leaves_no_temporary_files(state: PluginState, monkeypatch: pytest.MonkeyPatch) -> None:
    state.set("k", {"old": True})
    real_replace = os.replace

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PluginStateError, match="No space left") as info:
        state.set("k", {"new": True})
    monkeypatch.setattr(os, "replace", real_replace)
    assert info.value.path == state.path_for("k")
    assert state.get("k") == {"old": True}
    assert sorted(p.name for p in state.directory.iterdir()) == ["k.json"]


def test_written_file_uses_fsync(state: PluginState, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    state.set("k", 1)
    assert synced  # the file (and the directory) were fsynced before/after the rename


def test_concurrent_writers_never_produce_a_torn_file(state: PluginState) -> None:
    payloads = [{"writer": i, "data": "x" * 5000} for i in range(8)]
    errors: list[BaseException] = []

    def write(value: dict[str, object]) -> None:
        try:
            for _ in range(20):
                state.set("shared", value)
                assert state.get("shared") in payloads
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert state.get("shared") in payloads
    assert state.keys() == ["shared"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        ({"a": [1, float("-inf")]}, "the value['a'][1]"),
        ((1, 2), "use a list"),
        ({1: "int key"}, "int key 1"),
        (object(), "object"),
        (Path("/x"), "Path"),
    ],
)
def test_unserialisable_values_raise_plugin_state_error(state: PluginState, value: object, words: str) -> None:
    state.set("k", "before")
    with pytest.raises(PluginStateError) as info:
        state.set("k", value)
    assert isinstance(info.value, ZhiError)
    assert words in str(info.value)
    assert info.value.plugin == "zhi-store-sqlite"
    assert info.value.key == "k"
    assert state.get("k") == "before"


def test_circular_value_is_refused(state: PluginState) -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(PluginStateError, match="circular"):
        state.set("k", loop)
    shared = [1]
    state.set("ok", {"a": shared, "b": shared})  # the same object twice is not a cycle
    assert state.get("ok") == {"a": [1], "b": [1]}


def test_corrupt_file_is_reported_with_its_path_and_left_untouched(state: PluginState) -> None:
    state.directory.mkdir(parents=True)
    path = state.directory / "broken.json"
    path.write_bytes(b'{"truncated": ')
    with pytest.raises(PluginStateError) as info:
        state.get("broken")
    assert info.value.path == path
    assert str(path) in str(info.value)
    assert path.read_bytes() == b'{"truncated": '
    assert state.keys() == ["broken"]


@pytest.mark.parametrize("content", [b"NaN", b"\xff\xfe not utf-8", b""])
def test_other_unreadable_contents(state: PluginState, content: bytes) -> None:
    state.directory.mkdir(parents=True)
    (state.directory / "k.json").write_bytes(content)
    with pytest.raises(PluginStateError, match=str(state.directory / "k.json")):
        state.get("k")


def test_unwritable_root_fails_even_for_root(tmp_path: Path) -> None:
    # chmod does not stop root; a parent that is a regular file stops everyone.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("I am a file")
    state = PluginState(blocker / "plugins", "p")
    with pytest.raises(PluginStateError) as info:
        state.set("k", 1)
    assert info.value.path == blocker / "plugins" / "p" / "k.json"
    assert blocker.read_text() == "I am a file"


def test_reading_under_a_file_is_an_error_or_default(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    state = PluginState(blocker, "p")
    # NotADirectoryError is an OSError but not FileNotFoundError: reported, not hidden.
    with pytest.raises(PluginStateError, match="cannot read"):
        state.get("k")
    with pytest.raises(PluginStateError, match="cannot list"):
        state.keys()
    with pytest.raises(PluginStateError, match="cannot delete"):
        state.delete("k")


def test_key_that_is_a_directory(state: PluginState) -> None:
    (state.directory / "k.json").mkdir(parents=True)
    with pytest.raises(PluginStateError):
        state.get("k")
    with pytest.raises(PluginStateError):
        state.set("k", 1)
    assert state.keys() == []


@pytest.mark.parametrize(
    "bad",
    ["", "..", ".", "../x", "a/b", "a\\b", ".hidden", "UPPER", "with space", "nul", "con.json", "x" * 101, "a\0b",
     "é"],
)
def test_bad_keys_are_refused(state: PluginState, bad: str) -> None:
    with pytest.raises(PluginStateError, match="invalid state key"):
        state.set(bad, 1)
    with pytest.raises(PluginStateError):
        state.get(bad)
    with pytest.raises(PluginStateError):
        state.delete(bad)
    assert not state.root.joinpath("x").exists()


@pytest.mark.parametrize("bad", ["", "..", ".", "../escape", "a/b", "/abs", "Zhi", 3])
def test_bad_plugin_names_are_refused(tmp_path: Path, bad: object) -> None:
    with pytest.raises(PluginStateError, match="invalid plugin name"):
        PluginState(tmp_path, bad)  # type: ignore[arg-type]


def test_stray_files_are_not_keys(state: PluginState) -> None:
    state.set("real", 1)
    (state.directory / ".real.json.abc.tmp").write_text("partial")
    (state.directory / "notes.txt").write_text("x")
    (state.directory / "Bad Name.json").write_text("1")
    assert state.keys() == ["real"]


def test_default_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(platformdirs, "user_state_dir", lambda app: str(tmp_path / app))
    assert default_plugin_state_root() == tmp_path / "zhi-gui" / "plugins"
    state = PluginState(None, "memory")
    state.set("k", 1)
    assert (tmp_path / "zhi-gui" / "plugins" / "memory" / "k.json").is_file()


def test_files_are_private(state: PluginState) -> None:
    state.set("k", 1)
    assert (state.path_for("k").stat().st_mode & 0o777) == 0o600


@pytest.mark.parametrize("raw", ["MyStore", "My Store.exe", "..", "", "é-store", "x" * 300, "CON", "a/b"])
def test_plugin_dir_name_makes_any_name_usable(tmp_path: Path, raw: str) -> None:
    name = plugin_dir_name(raw)
    assert plugin_name_problem(name) is None
    assert plugin_dir_name(raw) == name  # stable
    PluginState(tmp_path, name).set("k", 1)
    assert (tmp_path / name / "k.json").is_file()


def test_plugin_dir_name_keeps_valid_names_and_separates_others() -> None:
    assert plugin_dir_name("zhi-store-sqlite") == "zhi-store-sqlite"
    assert plugin_dir_name("MyStore") != plugin_dir_name("mystore")
    assert plugin_dir_name("My Store") != plugin_dir_name("My-Store")
