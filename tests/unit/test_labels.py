"""Labels in both forms, the editor chosen for a value, and the checks before staging (no Qt)."""

from __future__ import annotations

import json

import pytest

from zhi_gui.core.labels import (
    EditorKind,
    LabelSet,
    editor_spec,
    error_position,
    json_problem,
    label_problem,
    parse_label_value,
    pattern_problem,
    same_json,
    type_problem,
    value_problem,
    yaml_problem,
)

# --- reading and writing labels ------------------------------------------------


def test_flat_and_nested_forms_read_the_same() -> None:
    flat = LabelSet({"ui.password": True, "core.type": "string"})
    nested = LabelSet({"ui": {"password": True}, "core": {"type": "string"}})
    assert flat.flat() == nested.flat() == {"ui.password": True, "core.type": "string"}
    assert nested.is_true("ui.password") and flat.is_true("ui.password")
    assert nested.is_nested("ui.password") and not flat.is_nested("ui.password")


def test_object_valued_label_is_not_flattened_further() -> None:
    labels = LabelSet({"config": {"default": {"a": 1}}, "x.y": [1]})
    assert labels.get("config.default") == {"a": 1}
    assert labels.get("x.y") == [1]


def test_flat_spelling_wins_over_nested() -> None:
    labels = LabelSet({"ui": {"readonly": False}, "ui.readonly": True})
    assert labels.get("ui.readonly") is True


def test_string_true_counts_as_true() -> None:
    assert LabelSet({"ui.password": "true"}).is_true("ui.password")
    assert not LabelSet({"ui.password": "no"}).is_true("ui.password")


def test_set_keeps_each_labels_form_and_unknown_labels() -> None:
    labels = LabelSet({"ui": {"password": True, "weird": [1, {"x": None}]}, "acme.thing": "keep"})
    labels.set("ui.password", False)
    labels.set("ui.readonly", True)  # the ui namespace is nested: it goes there
    labels.set("core.type", "string")  # a mixed document: new namespaces go flat
    assert labels.to_metadata() == {
        "ui": {"password": False, "weird": [1, {"x": None}], "readonly": True},
        "acme.thing": "keep",
        "core.type": "string",
    }


def test_all_nested_document_gets_new_namespaces_nested() -> None:
    labels = LabelSet({"ui": {"password": True}})
    labels.set("core.type", "int")
    assert labels.to_metadata() == {"ui": {"password": True}, "core": {"type": "int"}}


def test_empty_document_gets_flat_labels() -> None:
    labels = LabelSet({})
    labels.set("ui.multiline", True)
    assert labels.to_metadata() == {"ui.multiline": True}


def test_remove_drops_emptied_namespace() -> None:
    labels = LabelSet({"ui": {"password": True}, "core.type": "string"})
    labels.remove("ui.password")
    assert labels.to_metadata() == {"core.type": "string"}


def test_replace_all_keeps_form_and_order_of_kept_labels() -> None:
    original = {"a.b": 1, "ui": {"password": True, "enum": ["x"]}, "z.z": "z"}
    labels = LabelSet(original)
    labels.replace_all([("z.z", "z"), ("ui.password", True), ("ui.enum", ["x", "y"]), ("new.one", 1.0)])
    assert labels.to_metadata() == {"ui": {"password": True, "enum": ["x", "y"]}, "z.z": "z", "new.one": 1.0}
    assert list(labels.to_metadata()) == ["ui", "z.z", "new.one"]
    assert original["ui"] == {"password": True, "enum": ["x"]}  # the input was not touched


def test_same_json_is_zhis_equality() -> None:
    # zhi holds every number as a float64: 1 and 1.0 are one value, written "1"
    assert same_json(1, 1.0)
    assert not same_json(1, 1.5)
    assert not same_json(1, True)
    assert not same_json(0, None)
    assert same_json({"a": 1, "b": 2}, {"b": 2, "a": 1})


# --- deciding the editor -----------------------------------------------------


@pytest.mark.parametrize(
    ("value", "metadata", "kind"),
    [
        ("hi", {}, EditorKind.STRING),
        ("a\nb", {}, EditorKind.MULTILINE),
        ("x", {"ui.multiline": True}, EditorKind.MULTILINE),
        ("x", {"ui": {"format": "markdown"}}, EditorKind.MULTILINE),
        (5, {}, EditorKind.INT),
        (12345678901234567890, {}, EditorKind.INT),
        (5.0, {}, EditorKind.FLOAT),
        (True, {}, EditorKind.BOOL),
        (None, {}, EditorKind.NULL),
        ("red", {"ui.enum": ["red", "green"]}, EditorKind.ENUM),
        (None, {"ui": {"enum": ["red"]}}, EditorKind.ENUM),
        (["a"], {}, EditorKind.LIST),
        ({"a": "b"}, {}, EditorKind.MAP),
        ('{"a": 1}', {"core.type": "json"}, EditorKind.JSON_TEXT),
        ("a: 1", {"ui.format": "yaml"}, EditorKind.YAML_TEXT),
        ("a: 1", {"core": {"type": "yaml"}}, EditorKind.YAML_TEXT),
        ("s3cret", {"ui": {"password": True}}, EditorKind.PASSWORD),
        (None, {"store.writeonly": True}, EditorKind.PASSWORD),
        (None, {"store.writeonly": True, "core.type": "int"}, EditorKind.INT),
    ],
)
def test_editor_kind(value: object, metadata: dict[str, object], kind: EditorKind) -> None:
    assert editor_spec(value, metadata).kind is kind


def test_list_and_map_element_kinds() -> None:
    assert editor_spec(["a", "b"], {}).strings_only
    assert not editor_spec(["a", 1], {}).strings_only
    assert editor_spec({"k": "v"}, {}).strings_only
    assert not editor_spec({"k": {"n": 1}}, {}).strings_only


def test_flags() -> None:
    spec = editor_spec(
        "x",
        {
            "ui": {"readonly": True, "pattern": "[a-z]+", "displayName": "Name", "placeholder": "p"},
            "config.required": True,
            "core.description": "d",
            "core.unit": "ms",
            "core.deprecated": "use other/key",
        },
    )
    assert spec.readonly and "ui.readonly" in spec.lock_reason
    assert spec.pattern == "[a-z]+" and spec.pattern_error is None
    assert spec.required and not spec.secret and not spec.writeonly
    assert (spec.display_name, spec.placeholder, spec.description, spec.unit) == ("Name", "p", "d", "ms")
    assert spec.deprecated == "use other/key"
    immutable = editor_spec(1, {"config.immutable": True})
    assert immutable.readonly and "immutable" in immutable.lock_reason
    writeonly = editor_spec(None, {"store": {"writeonly": True}})
    assert writeonly.writeonly and writeonly.secret


def test_broken_pattern_in_metadata_is_reported_not_raised() -> None:
    spec = editor_spec("x", {"ui.pattern": "([a-z"})
    assert spec.pattern_error and "not a valid regular expression" in spec.pattern_error
    assert value_problem("x", spec) is None  # cannot be checked: not held against the value
    assert any("ui.pattern" in note for note in spec.notes)
    problem = pattern_problem("([a-z", "x")
    assert problem and "regular expression" in problem


# --- validation ------------------------------------------------------------------


def test_pattern_is_a_full_match() -> None:
    assert pattern_problem(r"[a-z]+", "abc") is None
    problem = pattern_problem(r"[a-z]+", "abc1")
    assert problem and "[a-z]+" in problem
    assert pattern_problem(None, "anything") is None


@pytest.mark.parametrize(
    ("core_type", "good", "bad"),
    [
        ("int", [5, -3, "42", 12345678901234567890], [5.5, "4.2", True, "x"]),
        ("float", [1.5, 2, "3.25"], ["abc", False]),
        ("port", [1, 65535, "8080"], [0, 65536, "http", 80.0]),
        ("bool", [True, "false"], [1, "yes"]),
        ("email", ["a@example.com"], ["a@b", "not an email", "@example.com"]),
        ("url", ["https://example.com/x", "file:///etc/hosts"], ["example.com", "http://a b"]),
        ("hostname", ["db.example.com", "localhost", "a-1"], ["-bad.com", "bad_host", "a..b", ""]),
        ("ip", ["10.0.0.1", "::1"], ["10.0.0.256", "host"]),
        ("cidr", ["10.0.0.0/8", "fd00::/64"], ["10.0.0.1", "10.0.0.0/33"]),
        ("uuid", ["123e4567-e89b-12d3-a456-426614174000"], ["123e4567e89b12d3a456426614174000", "x"]),
        ("duration", ["1h30m", "90s", "250ms", "1.5h", "0", "-2m"], ["1x", "h", "1h 30m", "30"]),
        ("date", ["2024-02-29"], ["2023-02-29", "20240101", "2024-1-1"]),
        ("datetime", ["2024-05-01T12:00:00Z", "2024-05-01T12:00:00.5+02:00"], ["2024-05-01", "2024-05-01T25:00:00Z"]),
        ("list", [["a", "b"], []], [["a", 1], "a"]),
        ("map", [{"a": "b"}], [{"a": 1}, ["a"]]),
        ("json", ['{"a": 1}'], ["{a: 1}"]),
        ("yaml", ["a: 1\nb: [2]"], ["a: [1"]),
        ("string", ["x"], [1]),
    ],
)
def test_core_type_checks(core_type: str, good: list[object], bad: list[object]) -> None:
    for value in good:
        assert type_problem(core_type, value) is None, (core_type, value)
    for value in bad:
        problem = type_problem(core_type, value)
        assert problem, (core_type, value)
        assert "Traceback" not in problem and not problem.startswith("<")


def test_unknown_core_type_and_null_pass() -> None:
    assert type_problem("frobnicator", 1) is None
    assert type_problem("int", None) is None


def test_json_problem_names_line_and_column() -> None:
    assert json_problem('{"a": [1, 2]}') is None
    problem = json_problem('{\n  "a": [1, 2\n}')
    assert problem and "line 3, column 1" in problem
    assert error_position(problem) == (3, 1)


def test_yaml_problem_names_line_and_column() -> None:
    assert yaml_problem("a: 1\nb:\n  - x\n") is None
    problem = yaml_problem("a: 1\nb: [1, 2\nc: 3\n")
    assert problem and problem.startswith("YAML syntax error at line ")
    position = error_position(problem)
    assert position is not None and position[0] >= 2
    tab_problem = yaml_problem("a:\n\tb: 1\n")
    assert tab_problem and error_position(tab_problem) == (2, 1)


def test_value_problem_combines_checks() -> None:
    required = editor_spec(None, {"config.required": True})
    assert value_problem(None, required)
    assert value_problem("", editor_spec("", {"config.required": "true"}))
    enum = editor_spec("red", {"ui.enum": ["red", "green"]})
    assert value_problem("green", enum) is None
    assert "allowed values" in (value_problem("blue", enum) or "")
    port = editor_spec(80, {"core.type": "port"})
    assert value_problem(70000, port)
    pattern = editor_spec("abc", {"ui.pattern": "[a-z]+"})
    assert value_problem("abc", pattern) is None
    assert value_problem("ABC", pattern)
    listed = editor_spec(["a"], {"ui.pattern": "[a-z]+"})
    assert (value_problem(["a", "B"], listed) or "").startswith("item 2:")
    yaml_format = editor_spec("a: 1", {"ui.format": "yaml"})
    assert value_problem("a: [", yaml_format)


def test_label_problems() -> None:
    assert label_problem("ui.enum", "red") and label_problem("ui.enum", ["red"]) is None
    assert label_problem("ui.pattern", "(") and label_problem("ui.pattern", "a+") is None
    assert label_problem("ui.password", "maybe") and label_problem("ui.password", True) is None
    assert label_problem("core.type", "frob") and label_problem("core.type", "port") is None
    assert label_problem("acme.anything", {"x": 1}) is None


def test_parse_label_value() -> None:
    assert parse_label_value("true") == (True, None)
    assert parse_label_value(' ["a", 1] ') == (["a", 1], None)
    value, problem = parse_label_value("hello")
    assert value is None and problem and "double quotes" in problem
    assert parse_label_value("")[1]
    assert json.dumps(parse_label_value("12345678901234567890")[0]) == "12345678901234567890"


def test_nan_and_infinity_are_not_json() -> None:
    assert json_problem("NaN") and json_problem("[Infinity]")
    assert parse_label_value("-Infinity")[1]
