"""zhi's JSON tree file format: byte-exact writing, number-preserving reading."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import is_valid_path
from zhi_gui.stores.jsonfile_format import (
    AnyCell,
    Cell,
    FormatError,
    JSONNumber,
    LabelledText,
    cell_fragment,
    cell_metadata,
    cell_metadata_json,
    cell_value,
    cell_value_json,
    dumps,
    encode_string,
    encode_tree,
    go_float,
    loads,
    needs_escape,
    parse_metadata,
    parse_tree,
    parse_value,
    plain_wire_cells,
    wire_cell,
)

FIXTURES = ROOT / "tests" / "fixtures" / "zhi-json"

# A client's writes (compact, keys unsorted, metadata empty / null / {}); the
# expected file is tests/fixtures/zhi-json/written/known-input.json.
KNOWN_INPUT = [
    Entry("service/name", b'"web <frontend> & api"',
          b'{"ui.displayName":"Service","core.description":"shown in \\u2028 lists"}'),
    Entry("service/port", b"8080", b"{}"),
    Entry("service/replicas", b"3", b""),
    Entry("service/ratio", b"0.25", b"null"),
    Entry("service/env", b'{"b":[1,2,{}],"a":{"z":null,"y":true}}', b'{"core.type":"json"}'),
    Entry("service/note", b'"tab\\there\\bbell\\fform\\u0001"', b""),
    Entry("service/empty", b"[ ]", b" "),
    Entry("a/first", "\"été ✓\"".encode(), b'{"ui.order":2}'),
]


def cells_from(entries: list[Entry]) -> dict[str, Cell]:
    return {e.path: Cell(parse_value(e.value_json), parse_metadata(e.metadata_json)) for e in entries}


def test_known_input_is_written_byte_for_byte() -> None:
    expected = (FIXTURES / "written" / "known-input.json").read_bytes()
    written = encode_tree(cells_from(KNOWN_INPUT))
    assert written == expected
    assert not written.endswith(b"\n"), "json.MarshalIndent writes no trailing newline"


@pytest.mark.parametrize("name", ["default.json", "3f2a9c0d1e4b5a67.json", "empty.json"])
def test_hand_written_fixture_reencodes_identically(name: str) -> None:
    data = (FIXTURES / "store" / name).read_bytes()
    assert encode_tree(parse_tree(data)) == data


def test_numbers_keep_their_literal_text() -> None:
    for text in ["0", "-1", "12345678901234567890", "9007199254740993", "1.0", "1e21", "1E+2", "-0",
                 "1.5e-7", "0.1", "-3.25"]:
        value = parse_value(text.encode())
        assert dumps(value) == text
        assert dumps(value, "  ") == text
        assert Cell(value).value_json == text.encode()
    # numbers Python's int/float print back as they were are kept as int/float
    assert type(parse_value(b"5")) is int and type(parse_value(b"0.5")) is float
    assert type(parse_value(b"1.0")) is float and parse_value(b"12345678901234567890") == 12345678901234567890
    for text in ["-0", "1e21", "1E+2", "1.50", "0.10"]:
        assert parse_value(text.encode()) == JSONNumber(text)
    # stdlib decoding of the bytes we hand out keeps ints ints and floats floats
    assert type(json.loads(Cell(parse_value(b"5")).value_json)) is int
    assert type(json.loads(Cell(parse_value(b"1.0")).value_json)) is float
    assert json.loads(Cell(parse_value(b"12345678901234567890")).value_json) == 12345678901234567890


def test_nan_and_infinity_are_refused() -> None:
    for text in [b"NaN", b"Infinity", b"-Infinity", b"[1, NaN]"]:
        with pytest.raises(FormatError):
            parse_value(text)
    with pytest.raises(FormatError):
        go_float(float("nan"))


@pytest.mark.parametrize(("value", "go"), [
    (0.0, "0"), (-0.0, "-0"), (1.0, "1"), (100.0, "100"), (0.5, "0.5"), (1e20, "100000000000000000000"),
    (1e21, "1e+21"), (1.5e21, "1.5e+21"), (1e-6, "0.000001"), (1e-7, "1e-7"), (1.5e-10, "1.5e-10"),
    (5e-324, "5e-324"), (1.7976931348623157e308, "1.7976931348623157e+308"), (12345678901234567890.0,
     "12345678901234567000"), (123456.789, "123456.789"),
])
def test_go_float_formats_like_go_float64(value: float, go: str) -> None:
    # what zhi writes when it rewrites a number (verified against Go's encoder)
    assert go_float(value) == go


def test_numbers_beyond_float64_are_refused_on_the_wire_but_read_from_files() -> None:
    for text in [b"1e400", b"-1e309", b"1" + b"0" * 400, b'{"a":[1e999]}']:
        with pytest.raises(FormatError, match="too large for zhi"):
            parse_value(text)
    with pytest.raises(FormatError, match="too large"):
        parse_metadata(b'{"a":1e400}')
    huge = b"9" * 5000
    cells = parse_tree(b'{"a/b": {"value": 1e400}, "a/c": {"value": ' + huge + b"}}")
    assert cells["a/b"].value_json == b"1e400" and cells["a/c"].value_json == huge
    expected = b'{\n  "a/b": {\n    "value": 1e400\n  },\n  "a/c": {\n    "value": ' + huge + b"\n  }\n}"
    assert encode_tree(cells) == expected


def test_string_escapes_match_go() -> None:
    assert encode_string('a"b\\c') == '"a\\"b\\\\c"'
    assert encode_string("\b\f\n\r\t") == '"\\b\\f\\n\\r\\t"'
    assert encode_string("\x00\x01\x1f\x7f") == '"\\u0000\\u0001\\u001f\x7f"'
    assert encode_string("<>&") == '"\\u003c\\u003e\\u0026"'
    assert encode_string("\u2028\u2029") == '"\\u2028\\u2029"'
    assert encode_string("é ✓ 😀 /") == '"é ✓ 😀 /"'
    # a lone surrogate (only possible from an escape) goes back out as that escape
    assert encode_string(loads('"\\ud800"')) == '"\\ud800"'


def test_indent_layout() -> None:
    doc = {"b": [], "a": {"y": [1, {}], "x": None}}
    assert dumps(doc, "  ") == '{\n  "a": {\n    "x": null,\n    "y": [\n      1,\n      {}\n    ]\n  },\n  "b": []\n}'
    assert dumps(doc) == '{"a":{"x":null,"y":[1,{}]},"b":[]}'
    assert dumps({}, "  ") == "{}"


def test_entry_fields_value_first_then_metadata_then_unknown_fields() -> None:
    data = b'{"p": {"zzz": 1, "metadata": {"k": "v"}, "value": "x", "aaa": 2}}'
    cells = parse_tree(data)
    assert cells["p"].extra == {"zzz": 1, "aaa": 2}
    assert encode_tree(cells) == (
        b'{\n  "p": {\n    "value": "x",\n    "metadata": {\n      "k": "v"\n    },\n'
        b'    "aaa": 2,\n    "zzz": 1\n  }\n}'
    )


def test_entry_without_value_field_reads_as_null() -> None:
    cells = parse_tree(b'{"p": {"metadata": {"a": 1}}}')
    assert cells["p"].value_json == b"null" and cells["p"].metadata_json == b'{"a":1}'


def test_metadata_parsing() -> None:
    assert parse_metadata(b"") is None
    assert parse_metadata(b"  ") is None
    assert parse_metadata(b"null") is None
    assert parse_metadata(b"{}") is None
    assert parse_metadata(b'{"a":1}') == {"a": 1}
    for bad in [b"[]", b'"x"', b"1", b"{"]:
        with pytest.raises(FormatError):
            parse_metadata(bad)


def test_empty_value_bytes_are_null() -> None:
    assert parse_value(b"") is None
    assert Cell(parse_value(b"")).value_json == b"null"


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "invalid JSON at line 1 column 1"),
    (b'{"a": ', "invalid JSON"),
    (b"[]", "the top level is array"),
    (b"null", "the top level is null"),
    (b'"x"', "the top level is string"),
    (b'{"a/b": "plain"}', "entry 'a/b' is string"),
    (b'{"a/b": null}', "entry 'a/b' is null"),
    (b'{"a/b": {"value": 1, "metadata": [1]}}', "metadata of 'a/b' is array"),
    (b'{"a/b": {"value": 1, "metadata": "x"}}', "metadata of 'a/b' is string"),
    (b"\xff\xfe{}", "not UTF-8"),
    (b"\xef\xbb\xbf{}", "byte order mark"),
    (b'{"a": {"value": NaN}}', "NaN is not a JSON value"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
])
def test_corrupt_documents_name_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(FormatError, match=reason.replace("(", r"\(")):
        parse_tree(data)


def test_fixture_directory_is_valid_json() -> None:
    for path in (FIXTURES / "store").glob("*.json"):
        json.loads(path.read_bytes())


WIRE_VALUES = [b'"plain"', b"", b"null", b"true", b"false", b"0", b"-0", b"7", b"-123456789012345",
               b"1234567890123456", b"1.5", b"1.0", b"1e21", b'"a<b>&c"', "\"\u00e9t\u00e9\"".encode(),
               "\"\u2028\"".encode(), b'"\\u00e9"', b'"tab\\t"', b"[1, 2]", b'{"b":1,"a":[]}']


@pytest.mark.parametrize("metadata", [b"", b'{"ui.password":true}', b"null", b"{}"])
@pytest.mark.parametrize("value", WIRE_VALUES)
def test_a_write_from_the_wire_makes_the_same_cell_either_way(value: bytes, metadata: bytes) -> None:
    """wire_cell takes plain scalars' text as it is: the file text, the wire
    bytes read back and the value are what parsing and encoding would give."""
    made = wire_cell(value, metadata)
    parsed = Cell(parse_value(value), parse_metadata(metadata))
    assert made.fragment == parsed.fragment
    assert made.value_json == parsed.value_json
    assert made.metadata_json == parsed.metadata_json
    assert type(made.value) is type(parsed.value)
    assert made.value == parsed.value


@pytest.mark.parametrize("value", [b'"tab\there"', b"1e400", b"NaN", b'"\xff"', b"01", b"{"])
def test_a_value_that_cannot_be_written_is_refused_from_the_wire(value: bytes) -> None:
    with pytest.raises(FormatError):
        wire_cell(value, b"")


@pytest.mark.parametrize("metadata", [b"", b'{"ui.password":true}', b'{"a":"<b>","n":[1,{}]}', b"null", b"{}",
                                      b"[1]", b"{"])
def test_a_whole_write_makes_the_same_cells_as_one_by_one(metadata: bytes) -> None:
    """plain_wire_cells over a write: a cell wherever the shortcut holds, equal in
    every way to the one parsing and encoding makes; None where it does not
    (wire_cell then decides, and refuses what cannot be written)."""
    values = [*WIRE_VALUES, b'"tab\there"', b"1e400"]
    cells = plain_wire_cells(values, [metadata] * len(values))
    assert len(cells) == len(values)
    given_text = plain_wire_cells(values, [metadata] * len(values), b"\n".join(values).decode())
    assert [c and cell_fragment(c) for c in given_text] == [c and cell_fragment(c) for c in cells]
    for value, cell in zip(values, cells, strict=True):
        if cell is None:
            continue
        parsed = Cell(parse_value(value), parse_metadata(metadata))
        assert cell_fragment(cell) == parsed.fragment
        assert cell_value_json(cell) == parsed.value_json
        assert cell_metadata_json(cell) == parsed.metadata_json
        assert cell_metadata(cell) == parsed.metadata
        made = cell_value(cell)
        assert type(made) is type(parsed.value) and made == parsed.value
    assert cells[0] is not None or metadata in (b"[1]", b"{", b"null", b"{}")
    tree = {f"p/k{i:02d}": cell for i, cell in enumerate(cells) if cell is not None}
    parsed_tree = {p: Cell(parse_value(cell_value_json(c)), cell_metadata(c)) for p, c in tree.items()}
    assert encode_tree(tree) == encode_tree(parsed_tree)


def test_plain_cells_of_a_write_without_labels_or_odd_values() -> None:
    values = [b'"a"', b"1", b"true", b"null", b'"<&>"']
    cells = plain_wire_cells(values, [b""] * len(values))
    assert [c is None for c in cells] == [False, False, False, False, True]
    assert [cell_value(c) for c in cells if c is not None] == ["a", 1, True, None]
    assert plain_wire_cells([b'"a"', b'"b\n"'], [b"", b""]) == [None, None]  # a newline in a value: one by one


def test_needs_escape_agrees_with_go_escapes_for_every_character() -> None:
    """The one-call check of a tree's paths says 'escape' for every character a JSON
    string written by Go spells differently, alone or among plain text (and, as the
    regular expression it stands for, for DEL, which takes the general writer's way)."""
    for code in [*range(0x3000), *range(0xD7F0, 0xE010), 0xFFFF, 0x1F600]:
        char = chr(code)
        escaped = encode_string(char) != '"' + char + '"'
        for text in (char, "svc/a" + char + "b"):
            assert needs_escape(text) is (escaped or char == "\x7f"), hex(code)
    assert not needs_escape("") and not needs_escape("é/ü") and needs_escape("é/<")


@pytest.mark.parametrize("paths", [
    ["svc001/inst00/key003", "a", "a/b", "b-c.d_e"],  # zhi's paths: no escapes
    ['we"ird', "back\\slash", "tab\there", "<html>&", "line\u2028sep", "é/ü", "plain"],  # keys read from a file
])
def test_a_tree_is_written_as_the_general_writer_writes_it(paths: list[str]) -> None:
    """encode_tree's one join gives the bytes the value-by-value writer gives, for
    plain cells, labelled ones and ones read from a file, and keys that need escapes."""
    values = [b'"v"', b"12", b"true", b'"x<y"', b"[1,2]", b"null", b'{"a":1}']
    labels = [b"", b'{"ui.password":true}', b"", b"", b'{"core.type":"json"}', b"", b""]
    cells: dict[str, AnyCell] = {}
    for index, path in enumerate(paths):
        made = plain_wire_cells([values[index]], [labels[index]])[0]
        cells[path] = made if made is not None else wire_cell(values[index], labels[index])
    cells["zz/from-file"] = parse_tree(b'{"p": {"value": 1.50, "zzz": [true]}}')["p"]
    assert {type(c) for c in cells.values()} == {str, LabelledText, Cell}
    reference = dumps({p: c.fields() if isinstance(c, Cell) else Cell(cell_value(c), cell_metadata(c)).fields()
                       for p, c in cells.items()}, "  ")
    assert encode_tree(cells) == reference.encode()
    if all(map(is_valid_path, cells)):  # the caller may say so, and no escape is looked for
        assert encode_tree(cells, zhi_paths=True) == reference.encode()


@pytest.mark.parametrize("kinds", ["p", "c", "pc", "cp", "ppc", "cpp", "pcp", "cpc"])
@pytest.mark.parametrize("prefix", ["k", "<k"])  # paths written as they are, and ones that need escapes
def test_plain_and_labelled_cells_in_any_order_are_written_as_the_general_writer_does(kinds: str,
                                                                                       prefix: str) -> None:
    cells: dict[str, AnyCell] = {}
    for index, kind in enumerate(kinds):
        made = plain_wire_cells([b'"v"'], [b'{"ui.password":true}' if kind == "c" else b""])[0]
        assert made is not None and isinstance(made, str) == (kind == "p")
        cells[f"{prefix}{index}"] = made
    reference = dumps({p: Cell(cell_value(c), cell_metadata(c)).fields() for p, c in cells.items()}, "  ")
    assert encode_tree(cells) == reference.encode()
