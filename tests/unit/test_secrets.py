"""One authority for "is this a secret?": every spelling zhi uses, and every view
that shows values (value tree preview, tree diff, value diff, key history,
review) masks the same entries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zhi_gui.core.diff import MASK, compare_entries, diff_trees, is_secret_entry
from zhi_gui.core.display import is_secret as display_is_secret
from zhi_gui.core.display import preview
from zhi_gui.core.key_history import key_history
from zhi_gui.core.model import Entry
from zhi_gui.core.secrets import is_secret, is_secret_labels, is_secret_metadata

SECRET_FORMS: list[dict[str, Any]] = [
    {"ui.password": True},
    {"ui": {"password": True}},
    {"store.writeonly": True},
    {"store": {"writeonly": True}},
    {"ui.password": "true"},
    {"ui": {"password": "TRUE "}},
    {"ui.password": "yes"},
    {"ui.password": 1},
    {"ui.password": False, "ui": {"password": True}},  # a yes in either spelling wins
    {"core.description": "db", "ui": {"password": True, "readonly": False}},
]
PLAIN_FORMS: list[dict[str, Any]] = [
    {},
    {"ui.password": False},
    {"ui": {"password": False}},
    {"ui.password": "false"},
    {"ui.password": 0},
    {"ui": "password"},
    {"core.description": "the password of the db"},
    {"ui": {"readonly": True}},
]


def entry(labels: dict[str, Any], value: str = "hunter2") -> Entry:
    return Entry("db/password", json.dumps(value).encode(), json.dumps(labels).encode() if labels else b"")


@pytest.mark.parametrize("labels", SECRET_FORMS, ids=json.dumps)
def test_every_secret_form_is_masked_everywhere(labels: dict[str, Any]) -> None:
    secret = entry(labels)
    assert is_secret_labels(labels) and is_secret_metadata(secret.metadata_json) and is_secret(secret)
    assert display_is_secret(secret) and is_secret_entry(secret)
    assert preview(secret.value_json, display_is_secret(secret)) == MASK
    changed = compare_entries("db/password", secret, entry(labels, "hunter3"))
    assert changed.secret and "hunter" not in changed.describe() and "hunter" not in changed.value_text("old")
    diff = diff_trees({"db/password": secret}, {"db/password": entry(labels, "hunter3")})
    assert all("hunter" not in repr(c) and "hunter" not in c.describe() for c in diff.iter_changes())
    history = key_history("db/password", [("v2", entry(labels, "hunter3")), ("v1", secret)])
    assert history and all("hunter" not in change.describe() for change in history)


@pytest.mark.parametrize("labels", PLAIN_FORMS, ids=json.dumps)
def test_plain_forms_are_not_secret(labels: dict[str, Any]) -> None:
    plain = entry(labels)
    assert not is_secret(plain) and not display_is_secret(plain) and not is_secret_entry(plain)
    assert not compare_entries("db/password", plain, entry(labels, "x")).secret


def test_nested_copies_of_a_secret_in_labels_are_masked() -> None:
    old = entry({"ui": {"password": True}, "config": {"default": "hunter2"}})
    new = entry({"ui": {"password": True}, "config": {"default": "hunter9"}}, "hunter9")
    change = compare_entries("db/password", old, new)
    assert change.secret
    assert all("hunter" not in label.display(secret=True) for label in change.label_changes)


def test_undecodable_metadata_is_not_a_crash() -> None:
    assert not is_secret_metadata(b"{not json password")
    assert not is_secret(None)
