"""History of one key across tree versions."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from zhi_gui.core.diff import ChangeKind
from zhi_gui.core.key_history import KeyChange, iter_key_changes, key_history
from zhi_gui.core.model import Entry, VersionInfo


def e(value: Any, labels: dict[str, Any] | None = None, *, raw: bytes | None = None, version: str = "") -> Entry:
    value_json = raw if raw is not None else json.dumps(value).encode()
    return Entry("db/port", value_json, json.dumps(labels).encode() if labels else b"", version)


def v(n: int) -> VersionInfo:
    return VersionInfo(id=f"v{n}", time=f"2024-01-{n:02d}T00:00:00Z", author="me")


def summary(history: list[KeyChange[VersionInfo]]) -> list[tuple[str, str]]:
    return [(h.version.id, h.kind.value) for h in history]


def test_collapses_repeated_identical_values() -> None:
    versions = [  # newest first
        (v(9), e(5433)),
        (v(8), e(5433, version="x")),  # same value, other Entry.version: no change
        (v(7), e(None, raw=b"5433")),
        (v(6), e(5432)),
        (v(5), e(5432)),
        (v(4), e(5432)),
        (v(3), e(5432.0)),  # int <- float is a change (a type change)
        (v(2), None),
        (v(1), e("5432")),
    ]
    history = key_history("db/port", versions)
    assert summary(history) == [
        ("v7", "changed"),
        ("v4", "changed"),
        ("v3", "added"),
        ("v2", "removed"),
        ("v1", "added"),
    ]
    v7, v4, v3, v2, v1 = history
    assert v7.previous is not None and v7.entry is not None
    assert (v7.previous.value_json, v7.entry.value_json) == (b"5432", b"5433")
    assert v7.previous_version == v(6)
    assert v4.change.type_changed and (v4.change.old_type, v4.change.new_type) == ("float", "int")
    assert v3.previous is None and v3.entry is not None and v3.previous_version == v(2)
    assert v2.entry is None and v2.previous is not None and v2.previous.value_json == b'"5432"'
    assert v1.previous_version is None and v1.kind is ChangeKind.ADDED
    assert v7.describe() == "value: 5432 \u2192 5433"


def test_whitespace_and_key_order_are_not_changes() -> None:
    versions = [
        (v(3), e(None, raw=b'{"b":2,"a":1}')),
        (v(2), e(None, raw=b'{ "a": 1, "b": 2 }')),
        (v(1), e({"a": 1, "b": 2})),
    ]
    assert summary(key_history("p", versions)) == [("v1", "added")]


def test_metadata_only_changes_count() -> None:
    versions = [(v(3), e(1, {"ui.readonly": True})), (v(2), e(1)), (v(1), e(1))]
    history = key_history("p", versions)
    assert summary(history) == [("v3", "changed"), ("v1", "added")]
    assert history[0].change.metadata_only
    assert history[0].describe() == "labels: +ui.readonly"


def test_absent_everywhere_and_empty() -> None:
    assert key_history("p", [(v(2), None), (v(1), None)]) == []
    assert key_history("p", []) == []
    assert summary(key_history("p", [(v(1), e(1))])) == [("v1", "added")]


def test_incomplete_history_claims_no_addition() -> None:
    versions = [(v(5), e(2)), (v(4), e(1)), (v(3), e(1))]  # v1, v2 not loaded yet
    assert summary(key_history("p", versions, complete=False)) == [("v5", "changed")]
    assert summary(key_history("p", versions)) == [("v5", "changed"), ("v3", "added")]


def test_streams_lazily_from_pages() -> None:
    pulled: list[str] = []

    def pages() -> Iterator[tuple[str, Entry | None]]:
        for n in range(100, 0, -1):
            pulled.append(f"v{n}")
            yield f"v{n}", e(n // 10)  # changes every 10 versions

    it = iter_key_changes("p", pages())
    first = next(it)
    assert first.version == "v100" and first.kind is ChangeKind.CHANGED
    assert pulled == ["v100", "v99"]  # only what it needed
    rest = list(it)
    assert [h.version for h in rest][:3] == ["v90", "v80", "v70"]
    assert rest[-1].version == "v1" and rest[-1].kind is ChangeKind.ADDED
    assert len(rest) + 1 == 11


def test_versions_can_be_any_type() -> None:
    history = key_history("p", [(("tree", 2), e(True)), (("tree", 1), e(False))])
    assert [h.version for h in history] == [("tree", 2), ("tree", 1)]
