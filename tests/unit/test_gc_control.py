"""Freeing big structures off the UI thread (gc_control.release_later)."""

from __future__ import annotations

import threading
import time

from zhi_gui.core import gc_control
from zhi_gui.core.model import Entry
from zhi_gui.core.tree_index import TreeIndex


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_containers_are_emptied_in_the_background() -> None:
    big = {i: [i] for i in range(10_000)}
    items = list(range(10_000))
    seen = set(range(5_000))
    gc_control.release_later(big, items, seen)
    wait_for(lambda: not big and not items and not seen)


def test_a_disposed_index_lets_go_of_its_nodes_without_the_caller_waiting() -> None:
    index = TreeIndex(Entry(f"g{i % 10}/k{i}", b"1") for i in range(20_000))
    leaf = index.nodes["g9/k19999"]
    index.dispose()
    assert index.nodes == {}, "the index no longer answers for its nodes at once"
    wait_for(lambda: leaf.parent is None)
    assert any(t.name == "zhi-release" and t.daemon for t in threading.enumerate())
