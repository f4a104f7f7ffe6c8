"""zhi-store-mirror's option handling and how it finds its child plugins."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.stores import mirror


def make_exe(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return path


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No sibling via sys.argv, an empty PATH, no shipped plugins folder."""
    monkeypatch.setattr(sys, "argv", [str(tmp_path / "nowhere" / "x")])
    monkeypatch.setenv("PATH", str(tmp_path / "empty-path"))
    monkeypatch.delenv(mirror.HOME_ENV, raising=False)
    monkeypatch.setattr("zhi_gui.resources_path.shipped_plugins_dir", lambda: tmp_path / "no-shipped")
    return tmp_path


def test_flat_layout_sibling_wins(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = isolated / "plugins"
    flat = make_exe(home / "zhi-store-memory")
    make_exe(isolated / "zhi-store-memory" / "zhi-store-memory")
    monkeypatch.setenv(mirror.HOME_ENV, str(home))
    assert mirror.find_child("zhi-store-memory") == flat


def test_shipped_folder_layout(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = make_exe(isolated / "plugins" / "zhi-store-json" / "zhi-store-json")
    monkeypatch.setenv(mirror.HOME_ENV, str(isolated / "plugins" / "zhi-store-mirror"))
    assert mirror.find_child("zhi-store-json") == shipped


def test_nested_layout(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = make_exe(isolated / "plugins" / "store" / "json")
    monkeypatch.setattr(sys, "argv", [str(isolated / "plugins" / "store" / "mirror")])
    assert mirror.find_child("zhi-store-json") == nested


def test_path_then_error(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(E.InvalidArgument, match="cannot find the child plugin zhi-store-json"):
        mirror.find_child("zhi-store-json")
    on_path = make_exe(isolated / "bin" / "zhi-store-json")
    monkeypatch.setenv("PATH", str(on_path.parent))
    assert mirror.find_child("zhi-store-json") == on_path


def test_explicit_paths_are_checked(tmp_path: Path) -> None:
    exe = make_exe(tmp_path / "custom")
    assert mirror.find_child("zhi-store-json", str(exe)) == exe
    plain = tmp_path / "plain"
    plain.write_text("x")
    with pytest.raises(E.InvalidArgument, match="is not an executable file"):
        mirror.find_child("zhi-store-json", str(plain))
    with pytest.raises(E.InvalidArgument, match="non-empty string"):
        mirror.find_child("zhi-store-json", 5)


def test_the_shipped_plugins_are_found_from_the_wrapper_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    here = Path(__file__).resolve().parents[2] / "plugins" / "zhi-store-mirror"
    monkeypatch.setenv(mirror.HOME_ENV, str(here))
    assert mirror.find_child("zhi-store-memory") == here.parent / "zhi-store-memory" / "zhi-store-memory"
    assert os.access(mirror.find_child("zhi-store-json"), os.X_OK)


@pytest.mark.parametrize(("options", "words"), [
    ({"mirror_options": [1]}, "option 'mirror_options' must be a JSON object"),
    ({"audit": "never"}, "option 'audit' must be 'hard-fail' or 'warn'"),
    ({"mirror_timeout": 0}, "option 'mirror_timeout' must be a positive number"),
    ({"mirror_timeout": True}, "option 'mirror_timeout' must be a positive number"),
])
def test_bad_options_are_refused_before_anything_starts(arun, options: dict, words: str) -> None:
    with pytest.raises(E.InvalidArgument, match=words):
        arun(mirror.build(options))
