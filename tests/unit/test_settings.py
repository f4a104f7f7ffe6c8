"""Application settings: declarations, typed access, versions, corrupt files, recent stores, identities."""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import platformdirs
import pytest

from zhi_gui.core.errors import ZhiError
from zhi_gui.plugin.audit import AuditMode
from zhi_gui.services.settings import (
    AUDIT_MODE,
    CURRENT_VERSION,
    LAST_STORE,
    MAX_RECENT_STORES,
    RECENT_STORES,
    SETTINGS,
    THEME,
    WINDOW_GEOMETRY,
    WINDOW_STATE,
    Setting,
    Settings,
    SettingsError,
    StoreIdentity,
    Theme,
    declare,
    decode_bytes,
    default_settings_path,
    encode_bytes,
    is_locating_option,
    is_secret_option,
)

SQLITE = "/opt/zhi-gui/plugins/zhi-store-sqlite/zhi-store-sqlite"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "config" / "settings.json"


def read(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def store(n: int, **extra: Any) -> StoreIdentity:
    return StoreIdentity(SQLITE, {"path": f"/data/s{n}.sqlite", **extra}, "default", f"Store {n}")


# ------------------------------------------------------------------ declarations and typed access


def test_every_setting_is_declared_once_with_help() -> None:
    for name, setting in SETTINGS.items():
        assert setting.name == name
        assert setting.help.strip(), name
        assert setting.parse(setting.dump(setting.default)) == setting.default
    assert {"theme", "audit_mode", "window_geometry", "window_state", "recent_stores", "last_store"} <= set(SETTINGS)
    with pytest.raises(ValueError, match="twice"):
        declare("theme", "x", "again", str)
    with pytest.raises(ValueError):
        declare("version", 1, "reserved", int)


def test_defaults_without_a_file(path: Path) -> None:
    s = Settings(path)
    assert s.get(THEME) is Theme.SYSTEM
    assert s.get(AUDIT_MODE) is AuditMode.HARD_FAIL
    assert s.get(WINDOW_GEOMETRY) is None
    assert s.get(RECENT_STORES) == []
    assert s.get(LAST_STORE) is None
    assert s.warnings == []
    assert not path.exists()  # loading never writes


def test_set_saves_atomically_and_round_trips(path: Path) -> None:
    s = Settings(path)
    s.set(THEME, Theme.DARK)
    s.set(AUDIT_MODE, AuditMode.WARN)
    geometry = bytes(range(256))
    s.set(WINDOW_GEOMETRY, encode_bytes(geometry))
    data = read(path)
    assert data["version"] == CURRENT_VERSION
    assert data["theme"] == "dark"
    assert data["audit_mode"] == "warn"
    again = Settings(path)
    assert again.get(THEME) is Theme.DARK
    assert again.get(AUDIT_MODE) is AuditMode.WARN
    assert decode_bytes(again.get(WINDOW_GEOMETRY)) == geometry
    assert decode_bytes(again.get(WINDOW_STATE)) is None
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temporary file left
    assert (path.stat().st_mode & 0o777) == 0o600


def test_set_refuses_wrong_types(path: Path) -> None:
    s = Settings(path)
    with pytest.raises(SettingsError, match="theme"):
        s.set(THEME, "purple")  # type: ignore[misc]
    with pytest.raises(SettingsError):
        s.set(WINDOW_GEOMETRY, "not base64!")
    with pytest.raises(SettingsError):
        s.set(RECENT_STORES, ["not an identity"])  # type: ignore[misc]
    assert isinstance(SettingsError("x"), ZhiError)
    assert not path.exists()


def test_enum_accepts_its_value_string(path: Path) -> None:
    s = Settings(path)
    s.set(THEME, "light")  # type: ignore[misc]
    assert s.get(THEME) is Theme.LIGHT


def test_undeclared_setting_is_refused(path: Path) -> None:
    stray: Setting[int] = Setting("stray", 1, "not registered", int, int)
    s = Settings(path)
    with pytest.raises(SettingsError, match="not declared"):
        s.get(stray)


def test_custom_registry_for_other_modules(path: Path) -> None:
    registry: dict[str, Setting[Any]] = {}
    font = declare("font_size", 10, "Editor font size in points.", int, registry=registry)
    s = Settings(path, registry=registry)
    assert s.get(font) == 10
    s.set(font, 12)
    assert Settings(path, registry=registry).get(font) == 12


def test_unknown_keys_are_preserved(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": CURRENT_VERSION, "from_the_future": {"x": [1, 2]}, "theme": "light"}))
    s = Settings(path)
    s.set(THEME, Theme.DARK)
    data = read(path)
    assert data["from_the_future"] == {"x": [1, 2]}
    assert data["theme"] == "dark"


def test_reset_and_is_set(path: Path) -> None:
    s = Settings(path)
    s.set(THEME, Theme.DARK)
    assert s.is_set(THEME)
    s.reset(THEME)
    assert not s.is_set(THEME)
    assert s.get(THEME) is Theme.SYSTEM
    assert "theme" not in read(path)


def test_batch_saves_once(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(path)
    saves: list[int] = []
    real_save = s.save

    def counting_save() -> None:
        saves.append(1)
        real_save()

    monkeypatch.setattr(s, "save", counting_save)
    with s.batch():
        s.set(THEME, Theme.DARK)
        s.set(AUDIT_MODE, AuditMode.WARN)
        with s.batch():
            s.set(WINDOW_STATE, encode_bytes(b"state"))
        assert not path.exists()
    assert len(saves) == 1
    assert read(path)["window_state"] == encode_bytes(b"state")


def test_get_returns_a_copy_of_lists(path: Path) -> None:
    s = Settings(path)
    s.add_recent_store(store(1))
    got = s.get(RECENT_STORES)
    got.clear()
    assert len(s.get(RECENT_STORES)) == 1


# ------------------------------------------------------------------ bad files


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe\x00garbage", b'{"version": "two"}', b'{"version": 0}',
     b'{"version": 2, "x": NaN}', b""],
)
def test_corrupt_file_is_moved_aside_with_a_warning(path: Path, content: bytes,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="zhi_gui.services.settings"):
        s = Settings(path)
    assert s.get(THEME) is Theme.SYSTEM
    assert not path.exists()
    aside = list(path.parent.glob("settings.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_bytes() == content
    assert len(s.warnings) == 1
    assert str(aside[0]) in s.warnings[0]
    assert any("moved to" in r.getMessage() for r in caplog.records)
    s.set(THEME, Theme.DARK)  # a fresh file is written next to the saved-aside one
    assert read(path)["theme"] == "dark"


def test_two_corrupt_files_in_the_same_second_both_survive(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "strftime", lambda fmt: "20250101-000000")
    path.parent.mkdir(parents=True)
    path.write_text("{bad 1")
    Settings(path)
    path.write_text("{bad 2")
    Settings(path)
    contents = sorted(p.read_text() for p in path.parent.glob("settings.json.corrupt-*"))
    assert contents == ["{bad 1", "{bad 2"]


def test_values_that_do_not_fit_use_defaults_and_stay_in_the_file(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": CURRENT_VERSION, "theme": "purple", "audit_mode": "warn",
                                "recent_stores": "nope", "window_geometry": 42}))
    s = Settings(path)
    assert s.get(THEME) is Theme.SYSTEM
    assert s.get(AUDIT_MODE) is AuditMode.WARN
    assert s.get(RECENT_STORES) == []
    assert len(s.warnings) == 3
    assert path.exists()  # not corrupt as a whole: nothing moved
    s.set(AUDIT_MODE, AuditMode.HARD_FAIL)
    assert read(path)["theme"] == "purple"  # left for a newer version that may understand it


def test_unwritable_location_raises_settings_error(tmp_path: Path) -> None:
    # Running as root: chmod does not stop us, a regular file as parent does.
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    s = Settings(blocker / "settings.json")
    assert len(s.warnings) == 1
    assert "cannot be read" in s.warnings[0] and "could not be moved aside" in s.warnings[0]
    with pytest.raises(SettingsError, match="cannot save"):
        s.set(THEME, Theme.DARK)
    assert s.get(THEME) is Theme.DARK  # the value holds in memory for this session
    assert blocker.read_text() == "x"


def test_unreadable_settings_are_moved_aside_not_overwritten(path: Path) -> None:
    path.mkdir(parents=True)  # "settings.json" is a directory: reading fails for root too
    (path / "inside").write_text("keep me")
    s = Settings(path)
    assert "cannot be read" in s.warnings[0]
    aside = list(path.parent.glob("settings.json.corrupt-*"))
    assert len(aside) == 1 and (aside[0] / "inside").read_text() == "keep me"
    s.set(THEME, Theme.DARK)
    assert read(path)["theme"] == "dark"


def test_failed_replace_keeps_the_old_file(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Settings(path)
    s.set(THEME, Theme.LIGHT)

    def failing_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(SettingsError, match="No space left"):
        s.set(THEME, Theme.DARK)
    monkeypatch.undo()
    assert read(path)["theme"] == "light"
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


# ------------------------------------------------------------------ versions


def test_upgrade_from_version_1(path: Path) -> None:
    path.parent.mkdir(parents=True)
    v1 = {
        "dark_mode": True,
        "recent": [
            {"plugin": SQLITE, "options": {"path": "/a.sqlite"}, "tree": "prod", "name": "A"},
            {"plugin": SQLITE, "options": {"path": "/b.sqlite"}, "tree": "", "name": "B"},
        ],
        "kept": 1,
    }
    path.write_text(json.dumps(v1))  # version 1 files had no version field
    s = Settings(path)
    assert s.warnings == []
    assert s.get(THEME) is Theme.DARK
    assert [r.display_name for r in s.recent_stores()] == ["A", "B"]
    assert s.recent_stores()[0].tree_id == "prod"
    assert s.recent_stores()[0].options == {"path": "/a.sqlite"}
    s.set(AUDIT_MODE, AuditMode.WARN)
    data = read(path)
    assert data["version"] == CURRENT_VERSION
    assert "dark_mode" not in data and "recent" not in data
    assert data["kept"] == 1


@pytest.mark.parametrize(("dark", "theme"), [(False, Theme.LIGHT), (None, Theme.SYSTEM)])
def test_upgrade_of_other_theme_values(path: Path, dark: bool | None, theme: Theme) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "dark_mode": dark}))
    assert Settings(path).get(THEME) is theme


def test_upgrade_chain_runs_in_order(path: Path) -> None:
    registry: dict[str, Setting[Any]] = {}
    size = declare("size", 0, "A number.", int, registry=registry)
    calls: list[int] = []

    def up1(d: dict[str, Any]) -> dict[str, Any]:
        calls.append(1)
        return {"size": d.pop("old_size") * 2}

    def up2(d: dict[str, Any]) -> dict[str, Any]:
        calls.append(2)
        return {**d, "size": d["size"] + 1}

    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1, "old_size": 5}))
    s = Settings(path, registry=registry, upgrades={1: up1, 2: up2}, current_version=3)
    assert calls == [1, 2]
    assert s.get(size) == 11
    with s.batch():  # an upgraded file is written at the next save
        pass
    assert read(path) == {"version": 3, "size": 11}


def test_failing_upgrade_moves_the_file_aside(path: Path) -> None:
    def broken(d: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("missing")

    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": 1}))
    s = Settings(path, registry={}, upgrades={1: broken}, current_version=2)
    assert "upgrading it from version 1 failed" in s.warnings[0]
    assert list(path.parent.glob("settings.json.corrupt-*"))


def test_newer_version_is_read_and_keeps_its_number(path: Path) -> None:
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"version": CURRENT_VERSION + 5, "theme": "dark", "new_thing": True}))
    s = Settings(path)
    assert s.get(THEME) is Theme.DARK
    assert "newer" in s.warnings[0]
    s.set(AUDIT_MODE, AuditMode.WARN)
    data = read(path)
    assert data["version"] == CURRENT_VERSION + 5
    assert data["new_thing"] is True


def test_default_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(platformdirs, "user_config_dir", lambda app: str(tmp_path / app))
    assert default_settings_path() == tmp_path / "zhi-gui" / "settings.json"
    Settings().set(THEME, Theme.LIGHT)
    assert read(tmp_path / "zhi-gui" / "settings.json")["theme"] == "light"


# ------------------------------------------------------------------ recent stores


def test_recent_stores_most_recent_first_deduplicated_and_capped(path: Path) -> None:
    s = Settings(path)
    for n in range(12):
        s.add_recent_store(store(n))
    recent = s.recent_stores()
    assert len(recent) == MAX_RECENT_STORES
    assert [r.display_name for r in recent] == [f"Store {n}" for n in range(11, 1, -1)]
    # The same store again (other tree, other label): moved to the front, not duplicated.
    s.add_recent_store(StoreIdentity(SQLITE, {"path": "/data/s5.sqlite"}, "staging", "Five"))
    recent = Settings(path).recent_stores()
    assert len(recent) == MAX_RECENT_STORES
    assert recent[0].display_name == "Five"
    assert recent[0].tree_id == "staging"
    assert [r.display_name for r in recent].count("Store 5") == 0
    assert recent[1].display_name == "Store 11"


def test_remove_recent_store(path: Path) -> None:
    s = Settings(path)
    s.add_recent_store(store(1))
    s.add_recent_store(store(2))
    assert s.remove_recent_store(store(1).key()) is True
    assert s.remove_recent_store(store(1).key()) is False
    assert [r.display_name for r in Settings(path).recent_stores()] == ["Store 2"]


def test_duplicates_in_the_file_are_collapsed(path: Path) -> None:
    path.parent.mkdir(parents=True)
    entry = store(1).to_json()
    path.write_text(json.dumps({"version": CURRENT_VERSION, "recent_stores": [entry, entry, store(2).to_json()]}))
    assert [r.display_name for r in Settings(path).recent_stores()] == ["Store 1", "Store 2"]


def test_remember_opened_store_sets_recent_and_last(path: Path) -> None:
    s = Settings(path)
    s.remember_opened_store(store(1))
    s.remember_opened_store(store(2).with_tree("prod"))
    again = Settings(path)
    last = again.get(LAST_STORE)
    assert last is not None
    assert last.tree_id == "prod"
    assert last == store(2).with_tree("prod")
    assert [r.display_name for r in again.recent_stores()] == ["Store 2", "Store 1"]


def test_secret_options_never_reach_the_settings_file(path: Path) -> None:
    s = Settings(path)
    secret = "hunter2-very-secret"
    identity = StoreIdentity(SQLITE, {"path": "/x.sqlite", "passphrase": secret, "password": secret,
                                      "api_key": secret, "auth": {"token": secret}, "passphrase_file": "/pf"},
                             "t", "X")
    s.remember_opened_store(identity)
    text = path.read_text()
    assert secret not in text
    assert "/pf" in text  # where a passphrase is read from is not itself secret
    loaded = Settings(path).get(LAST_STORE)
    assert loaded is not None
    assert loaded.key() == identity.key()


# ------------------------------------------------------------------ store identity


def test_identity_key_is_stable_across_option_order() -> None:
    a = StoreIdentity(SQLITE, {"path": "/p", "dir": "/d", "nested": {"b": 1, "a": 2}})
    b = StoreIdentity(SQLITE, {"nested": {"a": 2, "b": 1}, "dir": "/d", "path": "/p"})
    assert a.key() == b.key()
    assert len(a.key()) == 64
    int(a.key(), 16)


def test_identity_key_ignores_tree_label_passphrases_and_behaviour_options() -> None:
    base = StoreIdentity(SQLITE, {"path": "/p"})
    same = [
        StoreIdentity(SQLITE, {"path": "/p"}, "other-tree", "Another label"),
        StoreIdentity(SQLITE, {"path": "/p", "passphrase": "s3cret"}),
        StoreIdentity(SQLITE, {"path": "/p", "passphrase_file": "/pf", "passphrase_env": "ZHI_PASS"}),
        StoreIdentity(SQLITE, {"path": "/p", "author": "me", "log_level": "debug"}),
        StoreIdentity("/elsewhere/zhi-store-sqlite", {"path": "/p"}),  # binary name, not its folder
    ]
    for identity in same:
        assert identity.key() == base.key(), identity
    different = [
        StoreIdentity(SQLITE, {"path": "/q"}),
        StoreIdentity("/x/zhi-store-json", {"path": "/p"}),
        StoreIdentity(SQLITE, {"path": "/p", "user": "bob"}),
    ]
    for identity in different:
        assert identity.key() != base.key(), identity


def test_identity_key_is_a_known_value() -> None:
    # Pinned so that a refactoring cannot silently orphan every keyring entry.
    import hashlib

    identity = StoreIdentity(SQLITE, {"path": "/p", "passphrase": "x"})
    expected = hashlib.sha256(b'zhi-store-sqlite\n{"path":"/p"}').hexdigest()
    assert identity.key() == expected


def test_identity_key_free_of_the_passphrase() -> None:
    identity = StoreIdentity(SQLITE, {"path": "/p", "passphrase": "correct horse"})
    assert "correct horse" not in identity.key()
    assert "correct horse" not in json.dumps(identity.to_json())


@pytest.mark.parametrize(
    ("name", "secret", "locating"),
    [
        ("path", False, True),
        ("dir", False, True),
        ("url", False, True),
        ("user", False, True),
        ("passphrase", True, False),
        ("Password", True, False),
        ("token", True, False),
        ("api_key", True, False),
        ("client_secret", True, False),
        ("passphrase_file", False, False),
        ("passphrase_env", False, False),
        ("author", False, False),
    ],
)
def test_option_classification(name: str, secret: bool, locating: bool) -> None:
    assert is_secret_option(name) is secret
    assert is_locating_option(name) is locating


def test_identity_validation() -> None:
    with pytest.raises(SettingsError):
        StoreIdentity("")
    with pytest.raises(SettingsError):
        StoreIdentity(SQLITE, {"x": {1, 2}})
    with pytest.raises(SettingsError):
        StoreIdentity(SQLITE, {1: "x"})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        StoreIdentity.from_json({"options": {}})
    identity = StoreIdentity(Path(SQLITE), {"path": "/p"})  # type: ignore[arg-type]
    assert identity.plugin_path == SQLITE
    assert StoreIdentity.from_json(identity.to_json()) == identity
    assert identity.label() == "zhi-store-sqlite /p"
    assert hash(identity) == hash(StoreIdentity(SQLITE, {"path": "/p"}))
