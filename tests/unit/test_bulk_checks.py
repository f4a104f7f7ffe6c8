"""The checks over a whole write (plugin.bulk_checks) never accept what the one
rule (core.paths, core.jsonvalues) refuses, and a write with one bad entry
among many good ones is still refused, naming that entry."""

from __future__ import annotations

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.jsonvalues import check_value_json
from zhi_gui.core.model import Entry
from zhi_gui.core.paths import is_valid_path
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.bulk_checks import CheckedEntries, all_paths_valid, plain_scalars
from zhi_gui.plugin.servicers import validated_entries

PATHS = ["a", "a/b", "a.b_c-d/e1", "svc001/inst02/key003", "a//b", "A", "a-", "", "a/", "/a", "1a", "a\nb",
         "\u00e9", "a b", "a" * 1024, "a" * 1025]
VALUES = [b'"x"', b"", b"1", b"-0", b"0", b"1.5", b"-12.25", b"true", b"false", b"null", b'"\\u00e9"',
          b'"\\ud800"', b'"\\/"', "\"\u00e9t\u00e9 <&>\"".encode(), b"123456789012345.123456789012345",
          # the full check decides these (some valid, some not)
          b"1e5", b"12345678901234567", b"0.1234567890123456", b' "x"', b"[1]", b"{}", b'"\\x"', b'"a\tb"',
          b"tru", b"nul", b'"\xff"', b"01", b"-", b"1.", b".5", b'"\\u12"', b'"a"b"', b"1e400", b"NaN",
          b'"a"\n', b"1,2",
          # strings with escapes: each kind, next to each other, at either end, and broken ones
          b'"a\\"b"', b'"\\\\"', b'"\\\\\\""', b'"\\"', b'"\\u00e9x\\n"', b'"\\/\\b\\f\\r\\t"', b'"x\\"',
          b'"\\"x', b'"a\\u12"', b'"a\\u12g4"', b'"\\U0041"', b'"a\\ b"', b'"\\\\\\"', b'""', b'"""',
          b'"a""b"']


def valid_value(value: bytes) -> bool:
    try:
        check_value_json(value)
    except E.InvalidArgument:
        return False
    return True


@pytest.mark.parametrize("path", PATHS)
def test_paths_agree_with_the_path_rule(path: str) -> None:
    assert all_paths_valid([path]) == is_valid_path(path)
    assert all_paths_valid(["a/b", path, "c"]) == is_valid_path(path)


@pytest.mark.parametrize("value", VALUES)
def test_a_value_taken_as_plain_is_valid_json(value: bytes) -> None:
    alone, among_others = plain_scalars([value])[0], plain_scalars([b'"a"', value, b"2"])[1]
    assert not alone or valid_value(value)
    assert not among_others or valid_value(value)


def test_common_scalars_take_the_shortcut() -> None:
    assert all(plain_scalars([b'"x"', b"", b"7", b"true", b"null", b"-3.5", b'"a\\"b"', b'"\\u00e9\\\\x\\n"', b'""']))


def test_a_batch_that_cannot_be_split_is_checked_value_by_value() -> None:
    assert plain_scalars([b'"a"', b'"b"\n']) == [False, False]  # a newline inside a value
    assert plain_scalars([b'"a"', b'"\xff"']) == [False, False]  # not UTF-8


@pytest.mark.parametrize(("bad", "words"), [
    (Entry("svc/bad path", b"1"), "invalid path"),
    (Entry("svc/bad", b'"tab\there"'), "svc/bad: the value is not JSON"),
    (Entry("svc/bad", b"1e400"), "svc/bad: the value is not JSON"),
    (Entry("svc/bad", b"1", b"[1]"), "svc/bad: metadata must be a JSON object"),
    (Entry("svc/bad", b"{", b""), "svc/bad: the value is not JSON"),
])
def test_one_bad_entry_among_many_is_refused_by_name(bad: Entry, words: str) -> None:
    good = [Entry(f"svc/k{i:05d}", f'"v{i}"'.encode()) for i in range(2000)]
    msgs = cv.entries_to_pb([*good[:1000], bad, *good[1000:]])
    with pytest.raises(E.InvalidArgument) as caught:
        validated_entries("t", msgs)
    assert words in caught.value.message
    assert len(validated_entries("t", cv.entries_to_pb(good))) == 2000


def test_a_checked_write_carries_its_entries_and_their_columns() -> None:
    """What the servicer hands the store: the entries as they came, and the paths and
    values it checked, in the same order (the json store writes from those)."""
    entries = [Entry(f"svc/k{i:03d}", f'"v{i}"'.encode(), b'{"ui.password":true}' if i % 3 else b"", "")
               for i in range(300)]
    checked = validated_entries("t", cv.entries_to_pb(entries))
    assert isinstance(checked, CheckedEntries)
    assert checked.metadata == [e.metadata_json for e in entries] and checked.versions == [""] * 300
    # read as entries, it is the sequence of entries it came from
    assert list(checked) == entries and len(checked) == 300
    assert checked[7] == entries[7] and checked[-1] == entries[-1] and checked[10:13] == entries[10:13]
    assert all(type(e) is Entry for e in checked) and checked.index(entries[5]) == 5 and entries[9] in checked
    assert checked.paths == [e.path for e in entries]
    assert checked.values == [e.value_json for e in entries]
    assert checked.value_text == "\n".join(e.value_json.decode() for e in entries)
    # values that cannot be one text (a newline is JSON whitespace): none is made, the entries are still checked
    odd = validated_entries("t", cv.entries_to_pb([*entries, Entry("svc/nl", b"[1,\n2]", b"", "v1")]))
    assert odd.value_text is None and len(odd) == 301 and odd[300] == Entry("svc/nl", b"[1,\n2]", b"", "v1")
