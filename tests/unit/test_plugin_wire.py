"""GetValues's answer put together from each value's protocol bytes (``plugin.wire``) is
byte for byte what protobuf writes for the same values, whatever their sizes."""

from __future__ import annotations

import random

from zhi_gui.core.model import Entry
from zhi_gui.plugin import convert as cv
from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb
from zhi_gui.plugin.wire import value_elements, varint


def protobuf_answer(entries: list[Entry]) -> bytes:
    response = pb.GetValuesResponse()
    cv.add_entries(response.values, entries)
    data: bytes = response.SerializeToString()
    return data


def test_varint_is_protobufs_length_prefix() -> None:
    for n in (1, 127, 128, 300, 16383, 16384, 2**21 - 1, 2**21):
        message = pb.GetValuesRequest(id="x" * n)
        assert message.SerializeToString() == b"\x0a" + varint(n) + b"x" * n


def test_the_usual_values_are_byte_for_byte_protobufs() -> None:
    entries = [Entry(f"svc{i % 7}/key{i:05d}", f'"value-{i}"'.encode(), b'{"ui.password":true}' if i % 5 == 0
                     else b"", str(1000 + i % 3)) for i in range(2000)]
    assert b"".join(value_elements(entries)) == protobuf_answer(entries)


def test_values_of_every_size_and_empty_fields_are_byte_for_byte_protobufs() -> None:
    rng = random.Random(14)
    sizes = [0, 1, 60, 127, 128, 129, 300, 16383, 16384, 70_000]

    def blob(n: int) -> bytes:
        return bytes(rng.randrange(256) for _ in range(n))

    entries = [Entry(rng.choice(["", "a", "é/ß/漢字"]) + "x" * rng.choice(sizes[:8]), blob(rng.choice(sizes)),
                     blob(rng.choice(sizes[:7])), rng.choice(["", "7", "9" * 130])) for _ in range(400)]
    elements = value_elements(entries)
    assert b"".join(elements) == protobuf_answer(entries)
    # each element alone is that value's answer: any choice of them in any order is an answer
    picked = [3, 399, 0, 17, 250]
    assert b"".join(elements[i] for i in picked) == protobuf_answer([entries[i] for i in picked])
    parsed = pb.GetValuesResponse.FromString(b"".join(elements))
    assert [cv.entry_from_pb(m) for m in parsed.values] == entries
