from zhi_gui.core.model import Entry
from zhi_gui.core.staging import Staging


def base(path: str, value: bytes, version: str = "3") -> Entry:
    return Entry(path, value, b"", version)


def test_stage_undo_redo_and_count() -> None:
    s = Staging()
    seen: list[frozenset[str]] = []
    s.listeners.append(seen.append)
    s.stage_set("a", b"1", b"", base("a", b"0"))
    s.stage_set("a", b"2", b"", base("a", b"0"))
    s.stage_set("new/key", b'"x"', b"", None)
    assert len(s) == 2 and s.get("a").new.value_json == b"2" and s.get("new/key").is_add
    assert s.undo() and s.get("new/key") is None
    assert s.undo() and s.get("a").new.value_json == b"1"
    assert s.redo() and s.get("a").new.value_json == b"2"
    assert s.undo_label == "edit a" and s.can_redo
    s.stage_set("b", b"1", b"", base("b", b"0"))  # a new edit clears redo
    assert not s.can_redo
    assert seen and all(isinstance(p, frozenset) for p in seen)


def test_editing_back_to_the_stored_value_unstages() -> None:
    s = Staging()
    s.stage_set("a", b"1", b"", base("a", b"0"))
    s.stage_set("a", b"0", b"", base("a", b"0"))
    assert len(s) == 0
    assert s.undo() and s.get("a").new.value_json == b"1"


def test_delete_of_a_staged_addition_unstages_it_and_plan_has_cas() -> None:
    s = Staging()
    s.stage_set("fresh", b"1", b"", None)
    s.stage_delete(["fresh", "old"], {"old": base("old", b"9", "7")})
    assert "fresh" not in s and s.get("old").is_delete
    s.stage_set("x", b"2", b'{"ui.password":true}', base("x", b"1", "5"))
    plan = s.write_plan()
    assert plan.delete_paths == ("old",) and [e.path for e in plan.entries] == ["x"]
    assert plan.cas_versions == {"old": "7", "x": "5"}
    assert plan.entries[0].version == "", "entry versions are sent through cas_versions"


def test_rebase_keeps_my_edit_against_their_version() -> None:
    s = Staging()
    s.stage_set("a", b"mine", b"", base("a", b"0", "1"))
    s.rebase("a", base("a", b"theirs", "2"))
    assert s.get("a").new.value_json == b"mine" and s.write_plan().cas_versions == {"a": "2"}


def test_listeners_see_the_undo_and_redo_state_of_the_step_they_are_told_about() -> None:
    s = Staging()
    seen: list[tuple[bool, bool]] = []
    s.listeners.append(lambda _paths: seen.append((s.can_undo, s.can_redo)))
    s.stage_set("a", b"1", b"", None)
    s.undo()
    s.redo()
    assert seen == [(True, False), (False, True), (True, False)]
