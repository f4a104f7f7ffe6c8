"""zhi-store-json takes zhi's option name ``directory`` (``dir`` stays an alias)
and says which directory it uses when none is given."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.stores.jsonfile import JsonFileStore


def test_directory_is_zhis_option_and_dir_an_alias(tmp_path: Path) -> None:
    assert JsonFileStore({"directory": str(tmp_path / "a")}, environ={}).dir == str(tmp_path / "a")
    assert JsonFileStore({"dir": str(tmp_path / "b")}, environ={}).dir == str(tmp_path / "b")
    same = str(tmp_path / "c")
    assert JsonFileStore({"directory": same, "dir": same}, environ={}).dir == same


def test_two_different_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(E.InvalidArgument, match="'directory' and 'dir' name different directories"):
        JsonFileStore({"directory": str(tmp_path / "a"), "dir": str(tmp_path / "b")}, environ={})
    with pytest.raises(E.InvalidArgument, match="option 'directory' must be a string"):
        JsonFileStore({"directory": 3}, environ={})


def test_without_a_directory_the_log_says_which_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    with caplog.at_level(logging.INFO, logger="zhi_gui.stores.jsonfile"):
        store = JsonFileStore({}, environ={})
    assert store.dir == str(tmp_path / ".zhi" / "store")
    assert any(r.levelno == logging.INFO and str(tmp_path / ".zhi" / "store") in r.getMessage()
               for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="zhi_gui.stores.jsonfile"):
        JsonFileStore({"directory": str(tmp_path)}, environ={})
    assert not caplog.records
