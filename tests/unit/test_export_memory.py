"""Which subtree a file was exported from, remembered per store (SessionMemory): what
an import of that file is offered as its target."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import plugin_path
from zhi_gui.services.settings import Settings
from zhi_gui.session import SessionMemory, StoreTarget
from zhi_gui.session.memory import MAX_EXPORTS


def target(store: str) -> StoreTarget:
    return StoreTarget(plugin_path("sqlite"), {"path": store}, "main")


def test_the_last_export_of_a_file_is_remembered_per_store(tmp_path: Path) -> None:
    memory = SessionMemory(Settings(tmp_path / "settings.json"), tmp_path / "state")
    here, there = target("/data/here.sqlite"), target("/data/there.sqlite")
    file = tmp_path / "svc.json"
    assert memory.export_of(here, file) is None
    assert memory.remember_export(here, file, "big", "svc001") == ""
    assert memory.export_of(here, file) == ("big", "svc001")
    assert memory.export_of(there, file) is None, "another store's paths mean nothing here"
    assert memory.remember_export(here, file, "big", "") == "", "exported again, whole: the whole tree"
    assert memory.export_of(here, file) == ("big", "")
    # a new start of the application reads the same
    again = SessionMemory(Settings(tmp_path / "settings.json"), tmp_path / "state")
    assert again.export_of(here, file) == ("big", "")


def test_only_the_most_recent_exports_are_kept(tmp_path: Path) -> None:
    memory = SessionMemory(Settings(tmp_path / "settings.json"), tmp_path / "state")
    here = target("/data/here.sqlite")
    files = [tmp_path / f"f{n}.json" for n in range(MAX_EXPORTS + 5)]
    for n, file in enumerate(files):
        memory.remember_export(here, file, "t", f"p{n}")
    assert memory.export_of(here, files[0]) is None
    assert memory.export_of(here, files[4]) is None
    assert memory.export_of(here, files[5]) == ("t", "p5")
    assert memory.export_of(here, files[-1]) == ("t", f"p{MAX_EXPORTS + 4}")
    memory.remember_export(here, files[5], "t", "again")  # the oldest kept becomes the newest
    memory.remember_export(here, tmp_path / "new.json", "t", "new")
    assert memory.export_of(here, files[5]) == ("t", "again")
    assert memory.export_of(here, files[6]) is None


def test_a_damaged_record_is_not_offered_and_is_replaced(tmp_path: Path) -> None:
    memory = SessionMemory(Settings(tmp_path / "settings.json"), tmp_path / "state")
    here = target("/data/here.sqlite")
    file = tmp_path / "svc.json"
    memory.remember_export(here, file, "big", "svc001")
    [state_file] = [p for p in (tmp_path / "state").rglob("*") if p.is_file()]
    state_file.write_text(json.dumps([{"file": str(file), "tree": 7, "prefix": "x"}, "junk"]))
    assert memory.export_of(here, file) is None
    state_file.write_text("{not json")
    assert memory.export_of(here, file) is None, "an unreadable record: the import starts at the whole tree"
    assert memory.remember_export(here, file, "big", "svc002") == "", "the record is started again"
    assert memory.export_of(here, file) == ("big", "svc002")
