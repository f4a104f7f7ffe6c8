"""Tree diff semantics: kinds, values, types, metadata labels, unicode, large values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zhi_gui.core.diff import (
    ChangeKind,
    LabelChangeKind,
    PathChange,
    TreeDiff,
    canonical_json,
    compare_entries,
    diff_trees,
    preview_value,
    snapshot,
    strict_equal,
)
from zhi_gui.core.model import Entry


def e(path: str, value: Any = None, labels: dict[str, Any] | None = None, *, raw: bytes | None = None,
      meta: bytes | None = None, version: str = "") -> Entry:  # fmt: skip
    value_json = raw if raw is not None else json.dumps(value, ensure_ascii=False).encode()
    metadata_json = meta if meta is not None else (json.dumps(labels).encode() if labels else b"")
    return Entry(path, value_json, metadata_json, version)


def tree(*entries: Entry) -> dict[str, Entry]:
    return snapshot(entries)


def one(old: Entry | None, new: Entry | None) -> PathChange:
    path = (old or new).path  # type: ignore[union-attr]
    d = diff_trees(tree(old) if old else {}, tree(new) if new else {})
    change = d.change_for(path)
    assert change is not None
    return change


# --- kinds and counts --------------------------------------------------------


def test_added_removed_changed_unchanged_and_counts() -> None:
    old = tree(e("a", 1), e("b", 2), e("c", 3), e("d/x", "same"))
    new = tree(e("a", 1), e("b", 20), e("d/x", "same"), e("e", True))
    d = diff_trees(old, new)
    assert [(c.path, c.kind) for c in d.changes] == [
        ("b", ChangeKind.CHANGED),
        ("c", ChangeKind.REMOVED),
        ("e", ChangeKind.ADDED),
    ]
    assert (d.added, d.removed, d.changed) == (1, 1, 1)
    assert d.counts.unchanged == 2
    assert d.counts.total == 5
    assert d.change_for("a") is not None and d.change_for("a").kind is ChangeKind.UNCHANGED  # type: ignore[union-attr]
    assert d.change_for("nowhere") is None
    assert [c.path for c in d.entries()] == ["a", "b", "c", "d/x", "e"]
    assert [c.path for c in d.entries(only_changes=True)] == ["b", "c", "e"]
    assert [c.path for c in d.iter_changes([ChangeKind.ADDED, ChangeKind.REMOVED])] == ["c", "e"]


def test_identical_and_empty_trees() -> None:
    assert diff_trees({}, {}).is_empty
    t = tree(e("a", {"x": 1}))
    d = diff_trees(t, dict(t))
    assert d.is_empty and d.counts.unchanged == 1
    assert d.next_change() is None and d.previous_change() is None


def test_added_and_removed_flags() -> None:
    added = one(None, e("p", [1], {"ui.readonly": True}))
    assert added.kind is ChangeKind.ADDED
    assert added.value_changed and added.metadata_changed and not added.type_changed
    assert added.old_type is None and added.new_type == "array"
    assert [(lc.label, lc.kind) for lc in added.label_changes] == [("ui.readonly", LabelChangeKind.ADDED)]
    removed = one(e("p", "x"), None)
    assert removed.kind is ChangeKind.REMOVED and removed.old_type == "string"
    assert not removed.metadata_changed and removed.label_changes == ()


def test_version_is_ignored() -> None:
    assert one(e("p", 1, version="v1"), e("p", 1, version="v2")).kind is ChangeKind.UNCHANGED


def test_compare_entries_needs_one_side() -> None:
    with pytest.raises(ValueError):
        compare_entries("p", None, None)


# --- values ------------------------------------------------------------------


def test_key_order_and_whitespace_do_not_matter() -> None:
    c = one(e("p", raw=b'{"a":1,"b":{"c":[1,2]}}'), e("p", raw=b'{ "b": {"c": [1, 2]},\n "a": 1 }'))
    assert c.kind is ChangeKind.UNCHANGED


def test_empty_bytes_equal_null() -> None:
    assert one(e("p", raw=b""), e("p", raw=b"null")).kind is ChangeKind.UNCHANGED
    assert one(e("p", raw=b"null"), e("p", raw=b"")).kind is ChangeKind.UNCHANGED


def test_nested_value_change() -> None:
    old = {"db": {"hosts": ["a", "b"], "port": 5432, "opts": {"ssl": True}}}
    new = {"db": {"hosts": ["a", "b"], "port": 5432, "opts": {"ssl": False}}}
    c = one(e("p", old), e("p", new))
    assert c.kind is ChangeKind.CHANGED and c.value_changed
    assert not c.type_changed and c.old_type == c.new_type == "object"
    assert not c.metadata_changed


@pytest.mark.parametrize(
    ("old", "new", "old_type", "new_type"),
    [
        (b'"5"', b"5", "string", "int"),
        (b"1", b"1.0", "int", "float"),
        (b"1.0", b"1", "float", "int"),
        (b"1", b"true", "int", "bool"),
        (b"0", b"false", "int", "bool"),
        (b'{"a":1}', b"[1]", "object", "array"),
        (b"[]", b"{}", "array", "object"),
        (b"null", b"0", "null", "int"),
        (b'""', b"null", "string", "null"),
        (b"[1]", b"[1.0]", "array", "array"),
        (b'{"a":1}', b'{"a":true}', "object", "object"),
    ],
)
def test_type_changes(old: bytes, new: bytes, old_type: str, new_type: str) -> None:
    c = one(e("p", raw=old), e("p", raw=new))
    assert c.kind is ChangeKind.CHANGED and c.value_changed
    assert (c.old_type, c.new_type) == (old_type, new_type)
    assert c.type_changed == (old_type != new_type)
    if c.type_changed:
        assert f"type {old_type} \u2192 {new_type}" in c.describe()


def test_strict_equal_tells_numbers_apart() -> None:
    assert strict_equal(1, 1) and strict_equal(1.5, 1.5) and strict_equal({"a": [1]}, {"a": [1]})
    assert not strict_equal(1, 1.0)
    assert not strict_equal(1, True)
    assert not strict_equal([0], [False])
    assert not strict_equal({"a": {"b": 1}}, {"a": {"b": 1.0}})
    assert canonical_json({"b": 1, "a": [1.0, True]}) == '{"a":[1.0,true],"b":1}'


def test_float_spelling_does_not_matter() -> None:
    assert one(e("p", raw=b"1.50"), e("p", raw=b"1.5")).kind is ChangeKind.UNCHANGED
    assert one(e("p", raw=b"1e2"), e("p", raw=b"100.0")).kind is ChangeKind.UNCHANGED


def test_invalid_json_compares_bytes() -> None:
    c = one(e("p", raw=b"{not json"), e("p", raw=b"{not json!"))
    assert c.kind is ChangeKind.CHANGED and c.old_type == "invalid"
    assert one(e("p", raw=b"{bad"), e("p", raw=b"{bad")).kind is ChangeKind.UNCHANGED
    assert "{bad" in one(e("p", raw=b"{bad"), None).describe()


# --- metadata ------------------------------------------------------------------


def test_metadata_only_change() -> None:
    c = one(e("p", "v", {"core.description": "old"}), e("p", "v", {"core.description": "new"}))
    assert c.kind is ChangeKind.CHANGED
    assert c.metadata_changed and not c.value_changed and c.metadata_only and not c.type_changed
    (lc,) = c.label_changes
    assert (lc.label, lc.kind, lc.old, lc.new) == ("core.description", LabelChangeKind.CHANGED, "old", "new")
    assert "~core.description" in c.describe()
    assert "value" not in c.describe()


def test_label_added_removed_changed() -> None:
    old = e("p", 1, {"ui.readonly": True, "ui.hidden": True, "ui.order": 1})
    new = e("p", 1, {"ui.readonly": True, "core.unit": "ms", "ui.order": 1.0})
    c = one(old, new)
    got = {lc.label: lc.kind for lc in c.label_changes}
    assert got == {
        "core.unit": LabelChangeKind.ADDED,
        "ui.hidden": LabelChangeKind.REMOVED,
        "ui.order": LabelChangeKind.CHANGED,  # 1 -> 1.0 is a change here too
    }
    assert [lc.label for lc in c.label_changes] == sorted(got)
    assert c.describe() == "labels: +core.unit, -ui.hidden, ~ui.order"
    assert c.label_changes[0].display() == '+core.unit = "ms"'
    assert c.label_changes[1].display() == "-ui.hidden (was true)"


def test_empty_metadata_forms_are_equal() -> None:
    for a, b in [(b"", b"{}"), (b"null", b""), (b"{}", b" "), (b'{"a":1}', b'{ "a" : 1 }')]:
        assert one(e("p", 1, meta=a), e("p", 1, meta=b)).kind is ChangeKind.UNCHANGED, (a, b)


def test_value_and_metadata_change_together() -> None:
    c = one(e("p", 1), e("p", "1", {"ui.readonly": True}))
    assert c.value_changed and c.metadata_changed and c.type_changed and not c.metadata_only


def test_invalid_metadata_is_tolerated() -> None:
    c = one(e("p", 1, meta=b"[1,2]"), e("p", 1, meta=b"{bad"))
    assert c.kind is ChangeKind.UNCHANGED  # both read as "no labels"


# --- unicode -------------------------------------------------------------------


def test_unicode_values() -> None:
    composed, decomposed = "caf\u00e9", "cafe\u0301"
    # JSON equality is code point equality: NFC and NFD spellings differ.
    c = one(e("p", composed), e("p", decomposed))
    assert c.kind is ChangeKind.CHANGED and not c.type_changed
    assert one(e("p", "\u4e2d\u6587"), e("p", raw=b'"\\u4e2d\\u6587"')).kind is ChangeKind.UNCHANGED
    c = one(e("p", "\U0001f600 ok"), e("p", "\U0001f469\u200d\U0001f4bb ok"))
    assert c.kind is ChangeKind.CHANGED
    assert "\U0001f469\u200d\U0001f4bb ok" in c.describe()
    assert "\u65e5\u672c" in one(None, e("p", {"k": "\u65e5\u672c"})).describe()


def test_preview_value() -> None:
    assert preview_value(b"") == "null"
    assert preview_value(b'"a\\nb"') == '"a\\nb"'
    assert preview_value(b'{"b": 1, "a": [1, 2]}') == '{"b": 1, "a": [1, 2]}'
    long = preview_value(json.dumps("x" * 1000).encode(), 20)
    assert len(long) == 20 and long.endswith("\u2026")
    big = preview_value(json.dumps("\u4e2d" * 2_000_000).encode(), 30)
    assert len(big) <= 30 and big.endswith("\u2026")


# --- large values ----------------------------------------------------------------


def test_large_string_value() -> None:
    big = "x" * (5 * 1024 * 1024)
    c = one(e("p", big), e("p", big[:-1] + "y"))
    assert c.kind is ChangeKind.CHANGED and c.value_changed
    assert len(c.describe()) < 400
    assert one(e("p", big), e("p", big)).kind is ChangeKind.UNCHANGED


def test_large_array_value() -> None:
    arr = list(range(50_000))
    changed = list(arr)
    changed[25_000] = -1
    assert one(e("p", arr), e("p", changed)).value_changed
    assert one(e("p", arr), e("p", raw=json.dumps(arr, indent=1).encode())).kind is ChangeKind.UNCHANGED


def test_repr_is_short() -> None:
    d = diff_trees(tree(e("a", "x" * 10_000)), tree(e("a", "y")))
    assert repr(d) == "<TreeDiff +0 -0 ~1 =0>"
    assert "xxxx" not in repr(d.changes[0])
    assert isinstance(d, TreeDiff)


def test_snapshot_mapping_types() -> None:
    class Ro(dict[str, Entry]):
        pass

    old = Ro(a=e("a", 1))
    d = diff_trees(old, {"a": e("a", 2), "b": e("b", 3)})
    assert [c.path for c in d.changes] == ["a", "b"]
