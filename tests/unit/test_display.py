"""How values read in the value tree's cells (``core/display.py``)."""

from __future__ import annotations

import pytest

from zhi_gui.core import display
from zhi_gui.core.display import PREVIEW_LIMIT, preview


def slow_preview(value_json: bytes) -> str:
    """The preview with the plain-string shortcut off: every value decoded as JSON."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(display, "_PLAIN_STRING", display.re.compile(rb"(?!)"))
        return preview(value_json)


@pytest.mark.parametrize("value_json", [
    b'"plain"', b'""', b'"\xe4\xb8\xad\xe6\x96\x87 text"', b'"with \\" escape"', b'"line\\nbreak"',
    b'"tab\\there"', b'"\\u00e9"', b'"x' + b"y" * (PREVIEW_LIMIT + 5) + b'"', b'"raw\nnewline"',
    b'"raw\ttab"', b'"not utf-8 \xff"', b'"unclosed', b' "spaced" ', b'"a" "b"', b'"\x7f del"',
    b"12", b"-0", b"true", b"null", b'{"a": "b"}', b'["x"]', b'"\xed\xa0\x80 surrogate"',
])
def test_a_string_reads_the_same_with_or_without_the_shortcut(value_json: bytes) -> None:
    assert preview(value_json) == slow_preview(value_json)


def test_the_shortcut_reads_plain_strings() -> None:
    assert preview(b'"db.example.org"') == "db.example.org"
    long = preview(b'"' + b"z" * (PREVIEW_LIMIT + 1) + b'"')
    assert long == "z" * PREVIEW_LIMIT + " \u2026"
    assert preview(b'"secret"', secret=True) == display.MASK
