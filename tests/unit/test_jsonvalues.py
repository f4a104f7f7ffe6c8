"""The one strict JSON codec (zhi_gui.core.jsonvalues): what Go's encoding/json
refuses is refused, and numbers are written the way Go writes a float64."""

from __future__ import annotations

from typing import Any

import pytest

from zhi_gui.core.errors import InvalidArgument
from zhi_gui.core.jsonvalues import (
    JSONProblem,
    check_value_json,
    decode_metadata,
    decode_value,
    dumps,
    encode_value,
    from_text,
    to_text,
)


@pytest.mark.parametrize(("value", "text"), [
    (1.0, b"1"),
    (1e-7, b"1e-7"),
    (1e20, b"100000000000000000000"),
    (-0.0, b"-0"),
    (1000.0, b"1000"),
    (12345678901234567890, b"12345678901234567000"),
    (1e21, b"1e+21"),
    (1e-6, b"0.000001"),
    (1.5e300, b"1.5e+300"),
    (-2.5e-10, b"-2.5e-10"),
    (0.1, b"0.1"),
    (2**53 + 1, b"9007199254740992"),
    (123456789012345678901234, b"1.2345678901234569e+23"),
    (7, b"7"),
    (True, b"true"),
    (None, b"null"),
])
def test_numbers_are_written_as_go_writes_them(value: Any, text: bytes) -> None:
    assert encode_value(value) == text


def test_objects_have_sorted_keys_and_gos_escapes() -> None:
    value = {"b": [1.5, None, True], "a": "<x> & \u2028 \u00e9 \n"}
    assert encode_value(value) == b'{"a":"\\u003cx\\u003e \\u0026 \\u2028 \xc3\xa9 \\n","b":[1.5,null,true]}'


def test_indented_text_is_marshal_indent() -> None:
    assert dumps({"b": [1, {}], "a": []}, indent=True) == '{\n  "a": [],\n  "b": [\n    1,\n    {}\n  ]\n}'


@pytest.mark.parametrize(("data", "reason"), [
    (b"NaN", "NaN is not a JSON value"),
    (b"Infinity", "Infinity is not a JSON value"),
    (b"-Infinity", "-Infinity is not a JSON value"),
    (b"[1, NaN]", "NaN is not a JSON value"),
    (b"1e400", "the number 1e400 is too large"),
    (b"-1e400", "too large"),
    (b"1" * 400, "too large"),
    (b"\xef\xbb\xbf1", "byte order mark"),
    ('"a"'.encode("utf-16"), "UTF-16 text"),
    ('"a"'.encode("utf-16-le"), "UTF-16 or UTF-32"),
    ('"a"'.encode("utf-32"), "UTF-32 text"),
    (b'"\xff"', "not UTF-8"),
    (b"1 2", "Extra data"),
    (b"{'a': 1}", "invalid JSON"),
    (b'"a\tb"', "Invalid control character"),
    (b"01", "Extra data"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
])
def test_what_go_refuses_is_refused_with_a_short_reason(data: bytes, reason: str) -> None:
    with pytest.raises(InvalidArgument, match=reason) as info:
        decode_value(data)
    assert len(str(info.value)) < 200  # never the input echoed back
    with pytest.raises(InvalidArgument):
        check_value_json(data)
    with pytest.raises(InvalidArgument):
        decode_metadata(b'{"x": ' + data + b"}")


def test_values_that_cannot_be_stored_are_refused() -> None:
    for bad in (float("nan"), float("inf"), {"a": float("-inf")}, {1: "x"}, object(), 10**400):
        with pytest.raises(InvalidArgument):
            encode_value(bad)
    nested: Any = []
    for _ in range(100_000):
        nested = [nested]
    with pytest.raises(InvalidArgument, match="nested too deeply"):
        encode_value(nested)


def test_lone_surrogates_round_trip_as_escapes() -> None:
    # Go accepts "\ud800" (decoding it to U+FFFD); zhi-store-json keeps it as written.
    value = decode_value(b'{"k":"a\\ud800b"}')
    assert value == {"k": "a\ud800b"}
    assert encode_value(value) == b'{"k":"a\\ud800b"}'
    assert to_text(value) == '{"k": "a\\ud800b"}'
    to_text(value).encode()  # shown text is always valid UTF-8


def test_minus_zero_and_big_numbers_survive_a_round_trip() -> None:
    for text in (b"-0", b"1e-7", b"100000000000000000000", b"12345678901234567000", b"1e+21", b"0.1"):
        assert encode_value(decode_value(text)) == text


def test_empty_is_null_and_text_for_people_keeps_html() -> None:
    assert decode_value(b"") is None
    assert to_text({"a": "<b>", "n": 1e-7}) == '{"a": "<b>", "n": 1e-7}'
    assert from_text(" [1, 2.5] ") == [1, 2.5]
    with pytest.raises(InvalidArgument, match="NaN"):
        from_text("NaN")


def test_problems_are_value_errors() -> None:
    # callers that catch ValueError (editors) keep working
    assert issubclass(JSONProblem, ValueError)
