"""File formats for export/import, without a store: every value type and labels go out
and come back, secrets stay masked by default, and bad files are refused with the line."""

from __future__ import annotations

import pytest

from zhi_gui.core.errors import InvalidArgument
from zhi_gui.core.jsonvalues import decode_metadata, decode_value, encode_metadata, encode_value
from zhi_gui.core.model import Entry
from zhi_gui.core.sample import sample_entries
from zhi_gui.transfer import MASK, Format, Kind, Refused, compute_preview, decode, encode, format_for

LABELLED = {"core.type": "port", "ui": {"enum": [1, 2]}, "core.description": "d"}


def every_type() -> dict[str, Entry]:
    tree = {e.path: e for e in sample_entries()}
    for entry in [
        Entry("t/null", b"null"), Entry("t/true", b"true"), Entry("t/false", b"false"),
        Entry("t/int", b"8080", encode_metadata(LABELLED)), Entry("t/float", b"0.25"), Entry("t/neg0", b"-0"),
        Entry("t/big", b"1e+300"), Entry("t/small", b"1e-7"), Entry("t/obj", b'{"a":{"b":[1,2.5,null,"x"]}}'),
        Entry("t/empty-obj", b"{}"), Entry("t/empty-arr", b"[]"), Entry("t/arr", b'[true,{"k":"v"},[]]'),
        Entry("t/group", b"1"), Entry("t/group/child", b'"x"'),  # a value at a path that has children
        Entry("t/str", b'"a\\nb \\"q\\" \\\\ = : # ! $x <&>"'), Entry("t/uni", '"h\u00e9llo \u2603"'.encode()),
        Entry("t/numeric-text", b'"8000"'), Entry("t/bool-text", b'"true"'), Entry("t/empty-text", b'""'),
        Entry("t/secret", b'"hunter2"', encode_metadata({"ui.password": True})),
        Entry("t/dotted.key_x-y9", b"3"),
    ]:
        tree[entry.path] = entry
    # Values as zhi (Go) writes them: what a store hands out and what an import stages.
    return {p: e._replace(value_json=encode_value(decode_value(e.value_json))) for p, e in tree.items()}


def carries_labels(fmt: Format) -> bool:
    return fmt in (Format.ZHI, Format.JSON, Format.YAML)


def for_format(tree: dict[str, Entry], fmt: Format) -> dict[str, Entry]:
    if fmt is Format.TOML:  # TOML has no null (refused, see below)
        return {p: e for p, e in tree.items() if b"null" not in e.value_json}
    return tree


@pytest.mark.parametrize("fmt", list(Format))
def test_export_then_import_gives_an_empty_preview(fmt: Format) -> None:
    tree = for_format(every_type(), fmt)
    back = decode(encode(tree, fmt), fmt)
    preview = compute_preview(tree, back)
    assert preview.writes == [], preview.lines()
    assert preview.count(Kind.UNCHANGED) == len(tree)


@pytest.mark.parametrize("fmt", list(Format))
def test_import_into_an_empty_tree_keeps_types_and_labels(fmt: Format) -> None:
    tree = for_format(every_type(), fmt)
    back = decode(encode(tree, fmt, include_secrets=True), fmt)
    preview = compute_preview({}, back)
    assert preview.count(Kind.ADD) == len(tree) and not preview.count(Kind.UPDATE)
    added = {c.path: c.new for c in preview.changes}
    for path, entry in tree.items():
        new = added[path]
        assert new is not None
        assert new.value_json == entry.value_json, path  # same JSON type and bytes
        if carries_labels(fmt):
            assert decode_metadata(new.metadata_json) == decode_metadata(entry.metadata_json), path
    assert added["t/secret"] is not None and added["t/secret"].value_json == b'"hunter2"'


@pytest.mark.parametrize("fmt", list(Format))
def test_secrets_are_masked_unless_included(fmt: Format) -> None:
    tree = {"db/password": Entry("db/password", b'"hunter2"', encode_metadata({"ui": {"password": "yes"}})),
            "db/host": Entry("db/host", b'"db.local"')}
    masked = encode(tree, fmt)
    assert b"hunter2" not in masked and MASK.encode() in masked
    assert b"hunter2" in encode(tree, fmt, include_secrets=True)
    # The masked file imported into an empty tree has no secret to keep: refused, nothing staged.
    with pytest.raises(Refused, match="masked secret"):
        compute_preview({}, decode(masked, fmt))


def test_labels_section_and_value_wrapping_in_json() -> None:
    tree = {"a": Entry("a", b"1"), "a/b": Entry("a/b", b'{"x":1}', encode_metadata({"core.type": "object"}))}
    text = encode(tree, Format.JSON).decode()
    assert '"$labels"' in text and '"$value"' in text
    back = decode(text.encode(), Format.JSON)
    assert back["a/b"].value_json == b'{"x":1}' and back["a"].value_json == b"1"
    assert back["a"].metadata_json == b""  # a labels section without the path: no labels


def test_files_without_labels_keep_the_stores_labels() -> None:
    head = {"svc/port": Entry("svc/port", b"8000", encode_metadata({"core.type": "port"}), "v1")}
    preview = compute_preview(head, decode(b"svc:\n  port: 8001\n", Format.YAML))
    [change] = preview.changes
    assert change.kind is Kind.UPDATE and change.new is not None
    assert decode_metadata(change.new.metadata_json) == {"core.type": "port"}


def test_handwritten_flat_files() -> None:
    env = decode(b"# a comment\nexport LOG_LEVEL=info\nDB__PORT=8080\nFLAGS='{\"a\": true}'\nEMPTY=\n", Format.ENV)
    assert {p: i.value_json for p, i in env.items()} == {
        "log_level": b'"info"', "db/port": b"8080", "flags": b'{"a":true}', "empty": b'""'}
    props = decode(b"! comment\nsvc/name = api\nsvc/port: 80\nsvc/long = [1, \\\n   2]\nsvc/\\u0061=1\n",
                   Format.PROPERTIES)
    assert {p: i.value_json for p, i in props.items()} == {
        "svc/name": b'"api"', "svc/port": b"80", "svc/long": b"[1,2]", "svc/a": b"1"}


def test_format_from_file_name() -> None:
    assert format_for("x.zhi.json") is Format.ZHI and format_for("x.json") is Format.JSON
    assert format_for("a.yml") is Format.YAML and format_for(".env") is Format.ENV
    assert format_for("p.properties") is Format.PROPERTIES and format_for("c.TOML") is Format.TOML
    with pytest.raises(Exception, match="--format"):
        format_for("notes.txt")


@pytest.mark.parametrize(("fmt", "data", "line", "reason"), [
    (Format.JSON, b'{\n  "a": 1,\n  "b": ,\n}\n', 3, "Expecting value"),
    (Format.JSON, b'{\n  "a": 1,\n  "b": NaN\n}\n', 3, "NaN"),
    (Format.JSON, b'{\n  "a": 1e400\n}\n', 2, "too large"),
    (Format.ZHI, b'{\n  "a": {"value": 1},\n  "b": {"value": Infinity}\n}', 3, "Infinity"),
    (Format.ZHI, b'{\n  "a": {"value": 1},\n  "b": [1]\n}', 0, "not an object"),
    (Format.YAML, b"a:\n  b: 1\n  c: .nan\n", 3, "NaN"),
    (Format.YAML, b"a:\n  b: -.inf\n", 2, "Infinity"),
    (Format.YAML, b"a: 1\nb: [1, 2\nc: 3\n", 3, ""),
    (Format.YAML, b"a: 1\n2: x\n", 2, "not a string"),
    (Format.YAML, b"a: 1\nb: 2\na: 3\n", 3, "twice"),
    (Format.YAML, b"a: !!binary aGVsbG8=\n", 1, "binary"),
    (Format.TOML, b'a = 1\nb = "x\n', 2, ""),
    (Format.TOML, b"a = 1\n\nb = nan\n", 3, "NaN"),
    (Format.TOML, b"a = 1\nwhen = 1979-05-27\n", 2, "date"),
    (Format.ENV, b"A=1\nthis is not a line\n", 2, "KEY=VALUE"),
    (Format.ENV, b"A=1\nB=NaN\n", 2, "NaN"),
    (Format.ENV, b'A=1\nB="open\n', 2, "looks like JSON"),
    (Format.PROPERTIES, b"a=1\nb=1e999\n", 2, "too large"),
    (Format.PROPERTIES, b"a=1\na=2\n", 2, "twice"),
    (Format.PROPERTIES, b"a=1\nkey\\ x=2\n", 2, "not a zhi path"),
    (Format.JSON, b'{\n  "a": 1,\n  "Big": 2\n}', 3, "not a zhi path"),
    (Format.YAML, b"a:\n  b//c: 1\n", 2, "not a zhi path"),
])
def test_bad_files_are_refused_with_line_and_reason(fmt: Format, data: bytes, line: int, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        decode(data, fmt)
    assert caught.value.line == line, str(caught.value)
    assert reason.lower() in str(caught.value).lower()
    if line:
        assert str(caught.value).startswith(f"line {line}: ")


def test_not_utf8_is_refused() -> None:
    with pytest.raises(Refused, match="UTF-8"):
        decode("a: 1\n".encode("utf-16"), Format.YAML)


def test_toml_export_refuses_null_and_says_which() -> None:
    with pytest.raises(Exception, match=r"TOML has no null.*a/n"):
        encode({"a/n": Entry("a/n", b"null")}, Format.TOML)


@pytest.mark.parametrize("fmt", [Format.YAML, Format.TOML])
def test_text_a_format_cannot_hold_is_refused_plainly(fmt: Format) -> None:
    """A lone surrogate (valid JSON escape zhi keeps) has no UTF-8 form for YAML or TOML."""
    with pytest.raises(InvalidArgument, match=f"cannot be written as {fmt.value}"):
        encode({"a": Entry("a", b'"\\ud800x"')}, fmt)
    assert b"ud800" in encode({"a": Entry("a", b'"\\ud800x"')}, Format.JSON)
