"""The sqlite engine's Search answers the same whether the FTS5 index is built
(in slices, in the background) or not yet (a scan), and keeps the index current."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite.engine import Engine

ENTRIES = [Entry(f"svc{s}/inst{i}/key{k}", f'"Value-{s}-{i}-{k} Ünïcode"'.encode()) for s in range(3)
           for i in range(7) for k in range(5)] + [
    Entry("db/password", b'"hunter2-secret"', b'{"ui": {"password": "yes"}}'),
    Entry("db/token", b'"tok-value"', b'{"store.writeonly":true}')]
QUERIES = ["value-1-3", "VALUE-2", "svc0/inst6", "hunter2", "password", "tok-value", "writeonly", "ünï", "e-1", "zz",
           "\"value"]


def build_all(engine: Engine) -> int:
    slices = 1
    while not engine.search_index_step("t", 7):
        slices += 1
    return slices


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    eng = Engine(tmp_path / "s.sqlite", create=True)
    eng.write("t", ENTRIES, [], "", {}, "", "")
    return eng


def test_scan_and_index_answer_alike(engine: Engine) -> None:
    scanned = {q: engine.search("t", q, "", 0)[:2] for q in QUERIES}
    assert not engine._search.is_current(1, 1)  # type: ignore[union-attr]
    assert build_all(engine) > 5, "built in several slices"
    assert engine._search is not None and engine._search.built
    indexed = {q: engine.search("t", q, "", 0)[:2] for q in QUERIES}
    assert indexed == scanned
    assert scanned["hunter2"] == ([], 0) and scanned["tok-value"] == ([], 0), "secrets' values are not searched"
    assert scanned["password"] == (["db/password"], 1) and scanned["writeonly"] == ([], 0)
    assert len(scanned["VALUE-2"][0]) == 35 and scanned["ünï"][1] == len(ENTRIES) - 2
    paths, total, _ = engine.search("t", "value", "", 10)
    assert len(paths) == 10 and total == len(ENTRIES) - 2


def test_writes_keep_the_index_current_and_a_moved_head_restarts_a_build(engine: Engine) -> None:
    build_all(engine)
    engine.write("t", [Entry("new/key", b'"fresh-needle"')], ["svc0/inst0/key0"], "", {}, "", "")
    assert engine._search is not None and engine._search.is_current(1, 2)
    assert engine.search("t", "fresh-needle", "", 0)[:2] == (["new/key"], 1)
    assert engine.search("t", "value-0-0-0 ", "", 0)[:2] == ([], 0)
    engine.rollback("t", "1")
    assert engine.search("t", "fresh-needle", "", 0)[:2] == ([], 0), "a rollback drops the index: scanned"
    assert not engine.search_index_step("t", 7)  # a build starts
    engine.write("t", [Entry("mid/build", b'"during"')], [], "", {}, "", "")
    build_all(engine)  # the head moved: it started over and finished
    assert engine.search("t", "during", "", 0)[:2] == (["mid/build"], 1)


def test_a_write_during_a_build_carries_the_part_built_over(engine: Engine) -> None:
    """A save while a big tree's index was being built started the build over: its work so
    far lost, and emptying the index held the store (a 1M-value tree: ~4 s)."""
    for _ in range(5):
        assert not engine.search_index_step("t", 7)  # 35 of 107 values indexed
    index = engine._search
    assert index is not None
    head, last = index.building[1]
    assert "svc0/inst1/key0" < last < "svc2", "what the write changes lies on both sides of the part built"
    engine.write("t", [Entry("svc0/inst0/key1", b'"rewritten-early"'), Entry("svc2/inst0/key1", b'"rewritten-late"'),
                       Entry("aaa/new", b'"new-early"'), Entry("zzz/new", b'"new-late"')],
                 ["svc0/inst1/key0", "svc2/inst1/key0"], "", {}, "", "")
    assert index.building[1] == (head + 1, last), "the build goes on, on the new head"
    slices = build_all(engine)
    assert slices < 14, f"it went on from where it was ({slices} slices)"
    assert index.is_current(1, head + 1)
    scanned = engine.search  # the index answers as a scan of the new head would
    for query, expected in [("rewritten-early", ["svc0/inst0/key1"]), ("rewritten-late", ["svc2/inst0/key1"]),
                            ("new-early", ["aaa/new"]), ("new-late", ["zzz/new"]), ("value-0-0-1", []),
                            ("value-2-0-1", []), ("value-0-1-0", []), ("value-2-1-0", [])]:
        assert scanned("t", query, "", 0)[:2] == (expected, len(expected)), query
    assert scanned("t", "value", "", 0)[1] == len(ENTRIES) - 2 - 4


def test_a_tree_changed_elsewhere_is_built_again_and_the_others_stay(engine: Engine, tmp_path: Path) -> None:
    engine.write("u", [Entry("other/key", b'"in-tree-u"')], [], "", {}, "", "")
    build_all(engine)
    while not engine.search_index_step("u", 7):
        pass
    index = engine._search
    assert index is not None and index.is_current(1, 1) and index.is_current(2, 2)
    elsewhere = Engine(tmp_path / "s.sqlite")  # another process's write moves t's head without us
    elsewhere.write("t", [Entry("svc0/inst0/key0", b'"changed-elsewhere"')], [], "", {}, "", "")
    elsewhere.close()
    assert not engine.search_index_step("t", 7)  # t starts over (its own table dropped) ...
    assert index.is_current(2, 2), "... and u's index stays as it is"
    build_all(engine)
    assert engine.search("t", "changed-elsewhere", "", 0)[:2] == (["svc0/inst0/key0"], 1)
    assert engine.search("u", "in-tree-u", "", 0)[:2] == (["other/key"], 1)


def test_an_encrypted_store_is_searched_by_its_plaintext(engine: Engine) -> None:
    engine.init_encryption(b"a long passphrase here")
    assert engine.search("t", "value-2-6-4", "", 0)[:2] == (["svc2/inst6/key4"], 1)
    build_all(engine)
    assert engine.search("t", "value-2-6-4", "", 0)[:2] == (["svc2/inst6/key4"], 1)
