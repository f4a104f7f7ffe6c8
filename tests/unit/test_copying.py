"""What Copy value / Copy subtree put on the clipboard: nested by path, secrets masked."""

from __future__ import annotations

import json

import yaml

from zhi_gui.core.copying import MASK, as_json, as_yaml, subtree, value_text
from zhi_gui.core.model import Entry

SECRET = b'{"ui.password": true}'
ENTRIES = [
    Entry("services/api/image", b'"nginx:1"'),
    Entry("services/api/database/host", b'"db"'),
    Entry("services/api/database/password", b'"hunter2"', SECRET),
    Entry("services/api/replicas", b"3"),
    Entry("services/web/port", b"8080"),
    Entry("global/region", b'"eu"'),
]


def test_subtree_is_nested_below_the_copied_key_with_secrets_masked() -> None:
    copied = subtree(ENTRIES, "services/api")
    assert copied.value == {"database": {"host": "db", "password": MASK}, "image": "nginx:1", "replicas": 3}
    assert (copied.count, copied.secrets, copied.flat) == (4, 1, False)
    assert "hunter2" not in as_json(copied.value) and "hunter2" not in as_yaml(copied.value)
    assert json.loads(as_json(copied.value)) == copied.value
    assert yaml.safe_load(as_yaml(copied.value)) == copied.value


def test_revealed_secrets_are_copied_and_the_prefix_is_a_path_boundary() -> None:
    copied = subtree([*ENTRIES, Entry("services/apiary", b"1")], "services/api", reveal=True)
    assert copied.value["database"]["password"] == "hunter2"
    assert "apiary" not in json.dumps(copied.value)


def test_the_whole_tree_and_a_single_value() -> None:
    assert subtree(ENTRIES, "").value["global"] == {"region": "eu"}
    leaf = subtree(ENTRIES, "services/api/replicas")
    assert leaf.value == {"replicas": 3} and leaf.count == 1


def test_a_key_that_is_both_value_and_group_is_copied_flat() -> None:
    copied = subtree([Entry("a", b"1"), Entry("a/b", b"2"), Entry("c", b'{"x": 1}')], "")
    assert copied.flat and copied.value == {"a": 1, "a/b": 2, "c": {"x": 1}}
    assert not subtree([Entry("c", b'{"x": 1}'), Entry("d/x", b"1")], "").flat


def test_value_text_strings_as_themselves_others_as_json() -> None:
    assert value_text(Entry("a", b'"plain text"')) == "plain text"
    assert value_text(Entry("a", b"3")) == "3"
    assert json.loads(value_text(Entry("a", b'{"k": [1, 2]}'))) == {"k": [1, 2]}
