"""Secrets (ui.password, store.writeonly) never reach a produced string unless revealed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zhi_gui.core.diff import MASK, TreeDiff, diff_trees, is_secret_entry
from zhi_gui.core.key_history import key_history
from zhi_gui.core.model import Entry
from zhi_gui.core.textdiff import diff_change, diff_entries

OLD_SECRET = "hunter2-old-S3CRET"
NEW_SECRET = "correct-horse-NEW-S3CRET"
DEFAULT_SECRET = "default-DFLT-S3CRET"


def e(path: str, value: Any, labels: dict[str, Any] | None = None) -> Entry:
    meta = json.dumps(labels).encode() if labels else b""
    return Entry(path, json.dumps(value).encode(), meta)


def leaks(text: str) -> bool:
    return any(s in text for s in (OLD_SECRET, NEW_SECRET, DEFAULT_SECRET, "S3CRET"))


def all_strings(d: TreeDiff, reveal: bool) -> list[str]:
    out = [repr(d)]
    for c in d.entries():
        out += [repr(c), str(c), c.describe(reveal=reveal)]
        out += [c.value_text("old", reveal=reveal), c.value_text("new", reveal=reveal)]
        out += [lc.display(secret=c.secret, reveal=reveal) for lc in c.label_changes]
        out += [repr(lc) for lc in c.label_changes]
        t = diff_change(c, reveal=reveal)
        out += [repr(t), *t.left_lines, *t.right_lines]
    for node in d.children():
        out.append(repr(node))
    return out


PASSWORD = {"ui.password": True}


@pytest.mark.parametrize(
    ("old_labels", "new_labels"),
    [
        (PASSWORD, PASSWORD),
        ({"store.writeonly": True}, {"store.writeonly": True}),
        (PASSWORD, None),  # label removed: still secret (either side)
        (None, {"ui.password": "true"}),  # label added, string form
        ({"ui.password": True, "config.default": DEFAULT_SECRET}, PASSWORD),
    ],
)
def test_changed_secret_is_masked_everywhere(
    old_labels: dict[str, Any] | None, new_labels: dict[str, Any] | None
) -> None:
    d = diff_trees(
        {"db/password": e("db/password", OLD_SECRET, old_labels)},
        {"db/password": e("db/password", NEW_SECRET, new_labels)},
    )
    (c,) = d.changes
    assert c.secret and c.value_changed
    assert "value changed (secret, hidden)" in c.describe()
    texts = all_strings(d, reveal=False)
    assert not any(leaks(t) for t in texts), [t for t in texts if leaks(t)]
    t = diff_change(c)
    assert t.masked and t.left_lines == (MASK,) and t.right_lines == (MASK,)
    assert [ch.kind for ch in t.chunks] == ["replace"]
    assert t.highlights == ()


def test_revealed_secret_shows_values() -> None:
    d = diff_trees(
        {"pw": e("pw", OLD_SECRET, {**PASSWORD, "config.default": DEFAULT_SECRET})},
        {"pw": e("pw", NEW_SECRET, {**PASSWORD, "config.default": "other"})},
    )
    (c,) = d.changes
    text = c.describe(reveal=True)
    assert OLD_SECRET in text and NEW_SECRET in text
    assert c.value_text("new", reveal=True) == json.dumps(NEW_SECRET)
    (lc,) = c.label_changes
    assert DEFAULT_SECRET not in lc.display(secret=True)
    assert DEFAULT_SECRET in lc.display(secret=True, reveal=True)
    t = diff_change(c, reveal=True)
    assert not t.masked
    assert t.left_lines == (json.dumps(OLD_SECRET),) and t.right_lines == (json.dumps(NEW_SECRET),)
    assert t.highlights  # in-line highlighting once revealed


def test_added_removed_and_unchanged_secrets() -> None:
    old = {"a": e("a", OLD_SECRET, PASSWORD), "same": e("same", OLD_SECRET, PASSWORD)}
    new = {"b": e("b", NEW_SECRET, PASSWORD), "same": e("same", OLD_SECRET, PASSWORD)}
    d = diff_trees(old, new)
    assert [(c.path, c.kind, c.secret) for c in d.entries()] == [
        ("a", "removed", True),
        ("b", "added", True),
        ("same", "unchanged", True),
    ]
    texts = all_strings(d, reveal=False)
    assert not any(leaks(t) for t in texts)
    added = diff_change(d.changes[1])
    assert added.left_lines == () and added.right_lines == (MASK,)
    assert [c.kind for c in added.chunks] == ["insert"]
    same = diff_change(d.change_for("same"))  # type: ignore[arg-type]
    assert [c.kind for c in same.chunks] == ["equal"]


def test_metadata_only_change_of_a_secret_is_not_a_value_change() -> None:
    c = diff_trees(
        {"pw": e("pw", OLD_SECRET, PASSWORD)},
        {"pw": e("pw", OLD_SECRET, {**PASSWORD, "core.description": "db"})},
    ).changes[0]
    assert c.metadata_only
    t = diff_change(c)
    assert t.masked and [ch.kind for ch in t.chunks] == ["equal"]


def test_diff_entries_secret_override_and_detection() -> None:
    old, new = e("x", OLD_SECRET), e("x", NEW_SECRET)
    forced = diff_entries(old, new, secret=True)
    assert forced.masked and not any(leaks(x) for x in forced.left_lines + forced.right_lines)
    assert not diff_entries(old, new).masked
    assert is_secret_entry(e("x", 1, {"store.writeonly": True}))
    assert not is_secret_entry(e("x", 1, {"ui.password": False}))
    assert not is_secret_entry(None)


def test_key_history_of_a_secret_is_masked() -> None:
    versions = [("v3", e("pw", NEW_SECRET, PASSWORD)), ("v2", e("pw", OLD_SECRET, PASSWORD))]
    history = key_history("pw", versions)
    assert [h.version for h in history] == ["v3", "v2"]
    for h in history:
        assert not leaks(h.describe()) and not leaks(repr(h))
    assert NEW_SECRET in history[0].describe(reveal=True)
