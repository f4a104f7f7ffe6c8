"""A GetValues answer as protocol bytes, put together from each value's own bytes.

GetValues answers ``repeated TreeEntry values = 1``. On the wire a repeated message
field is its elements one after another, each a tag byte (``0x0a``), the TreeEntry's
length as a varint and its fields. A store that keeps a tree whole (the sqlite
plugin's verified head, ``stores.sqlite.heads``) keeps each value's element beside
it and answers a read of 100,000 values with one join: building the message value by
value (``plugin.convert.add_entries``) was about 0.1 s of Python in every such
answer, a third of it.

The bytes are the ones protobuf writes for the same TreeEntry (fields in number
order, empty ones left out as proto3 does); a test compares them with its output.
"""

from __future__ import annotations

from collections.abc import Iterable

from zhi_gui.core.entries import Entry

_ONE_BYTE = [bytes((n,)) for n in range(0x80)]


def varint(n: int) -> bytes:
    """Protobuf's base-128 varint of a length (``n >= 0``)."""
    if n < 0x80:
        return _ONE_BYTE[n]
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _element(path: bytes, value: bytes, meta: bytes, version: bytes) -> bytes:
    """Any sizes, any field empty."""
    body = b"".join(tag + varint(len(data)) + data
                    for tag, data in ((b"\x0a", path), (b"\x12", value), (b"\x1a", meta), (b"\x22", version))
                    if data)
    return b"\x0a" + varint(len(body)) + body


def value_elements(entries: Iterable[Entry]) -> list[bytes]:
    """Each value's element of GetValuesResponse's ``values`` field, in order: their
    join is the serialized answer of those values."""
    out: list[bytes] = []
    append = out.append
    for path, value, meta, version in entries:
        p, v = path.encode(), version.encode()
        lp, lv, lver = len(p), len(value), len(v)
        # The usual value: every field there (metadata may not be) and each under 128
        # bytes, so every length is one byte. A format is one call instead of a dozen.
        if 0 < lp < 0x80 and 0 < lv < 0x80 and 0 < lver < 0x80 and len(meta) < 0x80:
            if meta:
                body = b"\x0a%c%s\x12%c%s\x1a%c%s\x22%c%s" % (lp, p, lv, value, len(meta), meta, lver, v)
            else:
                body = b"\x0a%c%s\x12%c%s\x22%c%s" % (lp, p, lv, value, lver, v)
            if len(body) < 0x80:
                append(b"\x0a%c%s" % (len(body), body))
                continue
        append(_element(p, value, meta, v))
    return out
