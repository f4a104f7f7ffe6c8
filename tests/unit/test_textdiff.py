"""Side-by-side value diff: pretty-printing, chunks, in-line highlights, caps, scroll mapping."""

from __future__ import annotations

import difflib
import itertools
import json
import random
from typing import Any

import pytest

from zhi_gui.core import textdiff
from zhi_gui.core.model import Entry
from zhi_gui.core.textdiff import (
    Chunk,
    ChunkKind,
    TextDiff,
    diff_chunks,
    diff_entries,
    diff_lines,
    graphemes,
    line_ranges,
    pretty_lines,
    utf16_ranges,
)


def e(value: Any, labels: dict[str, Any] | None = None, *, raw: bytes | None = None) -> Entry:
    value_json = raw if raw is not None else json.dumps(value, ensure_ascii=False).encode()
    return Entry("p", value_json, json.dumps(labels).encode() if labels else b"")


def check_cover(left: list[str] | tuple[str, ...], right: list[str] | tuple[str, ...], chunks: Any) -> None:
    """Chunks cover both sides in order, equal chunks really are equal, kinds match shapes."""
    li = ri = 0
    for c in chunks:
        assert (c.left_start, c.right_start) == (li, ri)
        assert c.left_end >= c.left_start and c.right_end >= c.right_start
        if c.kind is ChunkKind.EQUAL:
            assert left[c.left_start : c.left_end] == right[c.right_start : c.right_end]
        elif c.kind is ChunkKind.INSERT:
            assert c.left_start == c.left_end and c.right_end > c.right_start
        elif c.kind is ChunkKind.DELETE:
            assert c.right_start == c.right_end and c.left_end > c.left_start
        else:
            assert c.left_end > c.left_start and c.right_end > c.right_start
        li, ri = c.left_end, c.right_end
    assert (li, ri) == (len(left), len(right))
    kinds = [c.kind is ChunkKind.EQUAL for c in chunks]
    assert all(not (a and b) for a, b in itertools.pairwise(kinds)), "unmerged equal chunks"


# --- pretty printing ---------------------------------------------------------


def test_pretty_objects_sorted_with_two_space_indent() -> None:
    assert pretty_lines(b'{"b":[1,{"d":null,"c":1.0}],"a":"\xc3\xa9"}') == [
        "{",
        '  "a": "\u00e9",',
        '  "b": [',
        "    1,",
        "    {",
        '      "c": 1,',  # Go's spelling of the float64 1.0
        '      "d": null',
        "    }",
        "  ]",
        "}",
    ]
    assert pretty_lines(b"[]") == ["[]"]


def test_pretty_scalars_keep_their_json_type() -> None:
    assert pretty_lines(b"5") == ["5"]
    assert pretty_lines(b"5.0") == ["5"]  # one float64 for zhi, written as Go writes it
    assert pretty_lines(b"1e-07") == ["1e-7"]
    assert pretty_lines(b"true") == ["true"]
    assert pretty_lines(b"") == ["null"]
    assert pretty_lines(b'"5"') == ['"5"']
    assert pretty_lines(b"{oops") == ["{oops"]


def test_pretty_strings_as_text() -> None:
    assert pretty_lines(b'"line 1\\nline 2\\n"') == ["line 1", "line 2", ""]
    assert pretty_lines(b'"a\\r\\nb"') == ["a\r", "b"]
    yaml_text = json.dumps("a: 1\nb: [2, 3]").encode()
    assert pretty_lines(yaml_text, b'{"ui.format":"yaml"}') == ["a: 1", "b: [2, 3]"]
    assert pretty_lines(b'"{\\"k\\": 1}"', b'{"core.type":"json"}') == ['{"k": 1}']
    assert pretty_lines(b'"plain"', b'{"ui.format":"text"}') == ["plain"]
    assert pretty_lines(b'"plain"', b'{"ui.multiline":true}') == ["plain"]
    assert pretty_lines(b'"plain"', b'{"core.type":"string"}') == ['"plain"']


def test_entry_diff_absent_sides() -> None:
    added = diff_entries(None, e({"a": 1}))
    assert added.left_lines == () and added.right_lines == ("{", '  "a": 1', "}")
    assert added.chunks == (Chunk(0, 0, 0, 3, ChunkKind.INSERT),)
    removed = diff_entries(e(1), None)
    assert removed.chunks == (Chunk(0, 1, 0, 0, ChunkKind.DELETE),)
    assert diff_entries(None, None).chunks == ()
    same = diff_entries(e({"a": 1}), e(None, raw=b'{ "a" : 1 }'))
    assert same.identical and same.change_chunks == ()


# --- chunks ------------------------------------------------------------------------


def test_chunks_of_a_nested_value_change() -> None:
    old = {"db": {"host": "a", "port": 5432, "tags": ["x", "y"]}, "name": "svc"}
    new = {"db": {"host": "b", "port": 5432, "tags": ["x", "y", "z"]}, "name": "svc"}
    t = diff_entries(e(old), e(new))
    check_cover(t.left_lines, t.right_lines, t.chunks)
    assert [c.kind for c in t.change_chunks] == ["replace", "replace"]
    host = t.change_chunks[0]
    assert t.left_lines[host.left_start] == '    "host": "a",'
    assert t.right_lines[host.right_start] == '    "host": "b",'
    assert t.left_type == t.right_type == "object"


def test_type_change_shows_in_lines() -> None:
    t = diff_entries(e("5"), e(5))
    assert (t.left_lines, t.right_lines) == (('"5"',), ("5",))
    assert [c.kind for c in t.chunks] == ["replace"]
    assert (t.left_type, t.right_type) == ("string", "int")
    t = diff_entries(e(1), e(1.5))
    assert (t.left_lines, t.right_lines) == (("1",), ("1.5",))
    t = diff_entries(e({"a": 1}), e([1]))
    assert (t.left_type, t.right_type) == ("object", "array") and not t.identical
    t = diff_entries(e(None), e("x"))
    assert t.left_lines == ("null",)


def test_chunks_match_sequence_matcher_on_small_inputs() -> None:
    rng = random.Random(3)
    for _ in range(200):
        a = [rng.choice("abcde") for _ in range(rng.randrange(0, 15))]
        b = [rng.choice("abcde") for _ in range(rng.randrange(0, 15))]
        chunks = diff_chunks(a, b)
        check_cover(a, b, chunks)
        if a and b and a[0] != b[0] and a[-1] != b[-1]:
            # nothing to strip at the ends: exactly SequenceMatcher(autojunk=False)'s answer
            ref = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
            assert [(c.left_start, c.left_end, c.right_start, c.right_end, c.kind) for c in chunks] == [
                (i1, i2, j1, j2, tag) for tag, i1, i2, j1, j2 in ref
            ]


def test_chunks_cover_large_mixed_inputs() -> None:
    # big enough to take the anchored path; chunks must still be exact
    rng = random.Random(11)
    for _ in range(5):
        a = [rng.choice(["{", "},", '  "x": 1,']) if rng.random() < 0.6 else f"u{i}" for i in range(3000)]
        b = list(a)
        for _ in range(60):
            k = rng.randrange(len(b))
            op = rng.random()
            if op < 0.3:
                del b[k]
            elif op < 0.6:
                b.insert(k, f"new{k}")
            else:
                b[k] = rng.choice(["{", "},", f"v{k}"])
        chunks = diff_chunks(a, b)
        check_cover(a, b, chunks)
        equal = sum(c.left_end - c.left_start for c in chunks if c.kind is ChunkKind.EQUAL)
        assert equal > len(a) * 0.9


def test_insert_delete_in_the_middle() -> None:
    t = diff_lines(["a", "b", "c"], ["a", "x", "b", "c"])
    assert t.chunks == (
        Chunk(0, 1, 0, 1, ChunkKind.EQUAL),
        Chunk(1, 1, 1, 2, ChunkKind.INSERT),
        Chunk(1, 3, 2, 4, ChunkKind.EQUAL),
    )
    t = diff_lines(["a", "b", "c"], ["a", "c"])
    assert [c.kind for c in t.chunks] == ["equal", "delete", "equal"]


# --- in-line highlights ----------------------------------------------------------


def test_intraline_ranges_for_replaced_lines() -> None:
    t = diff_entries(e({"url": "http://example.org/a"}), e({"url": "https://example.org/b"}))
    (h,) = t.highlights
    left, right = t.left_lines[h.left_line], t.right_lines[h.right_line]
    assert left == '  "url": "http://example.org/a"'
    assert [left[s:e] for s, e in h.left_ranges] == ["a"]
    assert [right[s:e] for s, e in h.right_ranges] == ["s", "b"]
    assert t.highlights_for_left(h.left_line) == h.left_ranges
    assert t.highlights_for_right(h.right_line) == h.right_ranges
    assert t.highlights_for_left(0) == ()


def test_intraline_pairs_by_position_and_leaves_extra_lines_unpaired() -> None:
    t = diff_lines(["x = 1", "y = 2"], ["x = 10", "y = 20", "z = 30"])
    assert [(h.left_line, h.right_line) for h in t.highlights] == [(0, 0), (1, 1)]
    assert t.highlights[0].left_ranges == () and t.highlights[0].right_ranges == ((5, 6),)


def test_unicode_intraline_keeps_clusters_whole() -> None:
    # combining accent: the highlight takes the base letter along
    lr, rr = line_ranges("cafe", "cafe\u0301")
    assert lr == ((3, 4),) and rr == ((3, 5),)
    # emoji ZWJ sequence and skin tone stay one unit
    left, right = "hi \U0001f469\u200d\U0001f4bb!", "hi \U0001f468\u200d\U0001f4bb!"
    lr, rr = line_ranges(left, right)
    assert [left[s:e] for s, e in lr] == ["\U0001f469\u200d\U0001f4bb"]
    assert [right[s:e] for s, e in rr] == ["\U0001f468\u200d\U0001f4bb"]
    assert graphemes("\U0001f44d\U0001f3fd\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7e\u0301\r\n") == [
        "\U0001f44d\U0001f3fd",
        "\U0001f1e9\U0001f1ea",
        "\U0001f1eb\U0001f1f7",
        "e\u0301",
        "\r\n",
    ]
    # CJK: one character changes
    left, right = "\u914d\u7f6e\u6587\u4ef6", "\u914d\u7f6e\u76ee\u5f55"
    lr, rr = line_ranges(left, right)
    assert lr == ((2, 4),) and rr == ((2, 4),)


def test_unicode_value_diff_and_utf16_offsets() -> None:
    t = diff_entries(e({"msg": "\U0001f600 \u4f60\u597d"}), e({"msg": "\U0001f600 \u518d\u89c1"}))
    (h,) = t.highlights
    line = t.right_lines[h.right_line]
    assert [line[s:e] for s, e in h.right_ranges] == ["\u518d\u89c1"]
    (s, _e) = h.right_ranges[0]
    # the emoji before the range is two UTF-16 units
    assert utf16_ranges(line, h.right_ranges) == [(s + 1, s + 3)]
    assert utf16_ranges("\U0001f600x", [(0, 1), (1, 2)]) == [(0, 2), (2, 3)]


def test_long_line_pair_gets_prefix_suffix_highlight() -> None:
    left = "k: " + "a" * 3000 + "X" + "b" * 3000
    right = "k: " + "a" * 3000 + "YY" + "b" * 3000
    lr, rr = line_ranges(left, right)
    assert lr == ((3003, 3004),) and rr == ((3003, 3005),)
    # ...and does not cut a combining sequence
    lr, rr = line_ranges("x" * 1500 + "e\u0301" + "y" * 600, "x" * 1500 + "e\u0300" + "y" * 600)
    assert lr == ((1500, 1502),) and rr == ((1500, 1502),)


def test_intraline_cap_skips_big_blocks() -> None:
    many_left = [f"line {i}" for i in range(150)]
    many_right = [f"LINE {i}" for i in range(150)]
    t = diff_lines(many_left, many_right)
    assert [c.kind for c in t.chunks] == ["replace"]
    assert t.highlights == () and t.intraline_skipped == 1
    wide = diff_lines(["a" * 6000], ["b" * 6000])
    assert wide.highlights == () and wide.intraline_skipped == 1
    small = diff_lines(many_left[:90], many_right[:90])
    assert len(small.highlights) == 90 and small.intraline_skipped == 0
    assert textdiff.INTRALINE_MAX_LINES == 200 and textdiff.INTRALINE_MAX_CHARS == 10_000


def test_intraline_can_be_turned_off() -> None:
    t = diff_lines(["abc"], ["abd"], intraline=False)
    assert t.highlights == () and [c.kind for c in t.chunks] == ["replace"]


# --- large values: must not hang -------------------------------------------------
# A hang (quadratic matching, unbounded in-line highlighting) ends in pytest-timeout;
# how fast these are is measured by benchmarks/bench_diff.py, not asserted here.


def test_five_megabyte_string() -> None:
    big = "x" * (5 * 1024 * 1024)
    t = diff_entries(e(big), e(big[:100] + "y" + big[101:]))
    assert [c.kind for c in t.chunks] == ["replace"]
    assert t.intraline_skipped == 1 and t.highlights == ()
    # the same as multi-line text: 5 MB in 80-char lines, one line changed
    text = "\n".join(f"{i:08d} " + "z" * 70 for i in range(5 * 1024 * 1024 // 80))
    changed = text.replace("00012345 ", "00012345!", 1)
    t = diff_entries(e(text), e(changed))
    assert len(t.change_chunks) == 1 and len(t.highlights) == 1


def test_fifty_thousand_element_array() -> None:
    arr = list(range(50_000))
    changed = [x + 1 if x % 1000 == 0 else x for x in arr]
    t = diff_entries(e(arr), e(changed))
    check_cover(t.left_lines, t.right_lines, t.chunks)
    assert len(t.change_chunks) == 50
    # every element different: one huge replace, in-line highlighting capped
    t = diff_entries(e(arr), e([-x - 1 for x in arr]))
    assert any(c.kind is ChunkKind.REPLACE and c.left_end - c.left_start > 1000 for c in t.chunks)
    assert t.intraline_skipped >= 1


def test_repetitive_lines_do_not_hang() -> None:
    # Pretty-printed arrays of objects repeat "{", "}," and equal fields thousands of
    # times: the worst case for SequenceMatcher without autojunk.
    objs: list[dict[str, Any]] = [{"enabled": True, "id": i, "kind": "svc"} for i in range(10_000)]
    changed = [dict(o, enabled=False) if o["id"] % 97 == 0 else o for o in objs]
    t = diff_entries(e(objs), e(changed))
    check_cover(t.left_lines, t.right_lines, t.chunks)
    assert len(t.change_chunks) == len([o for o in objs if o["id"] % 97 == 0])
    # nothing unique to anchor on at all
    a = ["  0,", "  1,"] * 20_000
    b = ["  1,", "  0,"] * 20_000
    t = diff_lines(a, b)
    check_cover(a, b, t.chunks)
    a = [f"  {i % 10}," for i in range(20_000)]
    b = [("  x," if i % 101 == 0 else x) for i, x in enumerate(a)]
    t = diff_lines(a, b)
    check_cover(a, b, t.chunks)


# --- synchronized scrolling ------------------------------------------------------


@pytest.fixture
def scroll() -> TextDiff:
    # left:  a b c d e f       right: a X Y c d e1 e2 e3 f g
    return diff_lines(list("abcdef"), ["a", "X", "Y", "c", "d", "e1", "e2", "e3", "f", "g"], intraline=False)


def test_scroll_chunks(scroll: TextDiff) -> None:
    assert scroll.chunks == (
        Chunk(0, 1, 0, 1, ChunkKind.EQUAL),
        Chunk(1, 2, 1, 3, ChunkKind.REPLACE),
        Chunk(2, 4, 3, 5, ChunkKind.EQUAL),
        Chunk(4, 5, 5, 8, ChunkKind.REPLACE),
        Chunk(5, 6, 8, 9, ChunkKind.EQUAL),
        Chunk(6, 6, 9, 10, ChunkKind.INSERT),
    )


def test_left_to_right_and_back(scroll: TextDiff) -> None:
    assert [scroll.left_to_right(i) for i in range(6)] == [0, 1, 3, 4, 5, 8]
    assert [scroll.right_to_left(i) for i in range(10)] == [0, 1, 1, 2, 3, 4, 4, 4, 5, 5]
    # beyond the ends: clamped
    assert scroll.left_to_right(-3) == 0 and scroll.left_to_right(100) == 9
    assert scroll.right_to_left(100) == 5


def test_fractional_positions(scroll: TextDiff) -> None:
    assert scroll.map_position(0.5) == 0.5
    assert scroll.map_position(1.5) == 2.0  # halfway through a 1 -> 2 line replace
    assert scroll.map_position(4.5) == 6.5  # halfway through a 1 -> 3 line replace
    assert scroll.map_position(6.0) == 9.0  # the left's end sits before the right-only tail
    assert scroll.map_position(7.0) == 10.0  # past the end: 1:1
    assert scroll.map_position(2.0, from_left=False) == 1.5
    assert scroll.map_position(9.5, from_left=False) == 6.0  # inside a right-only block: constant
    # round trip on equal lines
    for line in (0, 2, 3, 5):
        assert scroll.right_to_left(scroll.left_to_right(line)) == line


def test_scroll_with_deletions_and_empty_sides() -> None:
    t = diff_lines(["a", "b", "c", "d"], ["a", "d"])
    assert [t.left_to_right(i) for i in range(4)] == [0, 1, 1, 1]
    assert [t.right_to_left(i) for i in range(2)] == [0, 3]
    empty = diff_lines([], ["x", "y"])
    assert empty.left_to_right(0) == 0 and empty.right_to_left(1) == 0
    assert diff_lines([], []).map_position(3.0) == 3.0


def test_change_navigation_inside_a_value(scroll: TextDiff) -> None:
    assert scroll.next_change(-1) == Chunk(1, 2, 1, 3, ChunkKind.REPLACE)
    assert scroll.next_change(1) == Chunk(4, 5, 5, 8, ChunkKind.REPLACE)
    assert scroll.next_change(3, left=False) == Chunk(4, 5, 5, 8, ChunkKind.REPLACE)
    assert scroll.next_change(8, left=False) == Chunk(6, 6, 9, 10, ChunkKind.INSERT)
    assert scroll.next_change(9, left=False) is None
    assert scroll.previous_change(4) == Chunk(1, 2, 1, 3, ChunkKind.REPLACE)
    assert scroll.previous_change(1) is None


def test_repr_never_shows_lines() -> None:
    t = diff_lines(["secret-ish"], ["other"])
    assert "secret-ish" not in repr(t) and "1|1 lines" in repr(t)
