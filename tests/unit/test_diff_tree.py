"""Tree diff navigation (next/previous change) and the hierarchical view."""

from __future__ import annotations

import json
import random

from zhi_gui.core.diff import ChangeKind, TreeDiff, diff_trees
from zhi_gui.core.model import Entry


def e(path: str, value: object) -> Entry:
    return Entry(path, json.dumps(value).encode())


def make_diff() -> TreeDiff:
    old = {
        p: e(p, i)
        for i, p in enumerate(
            ["app/db/host", "app/db/port", "app/db-old", "app/name", "app/tls/cert.pem", "zz", "a"]
        )
    }
    new = dict(old)
    new["app/db/port"] = e("app/db/port", "5432")  # changed
    del new["app/db-old"]  # removed
    new["app/tls/key.pem"] = e("app/tls/key.pem", "k")  # added
    new["b/c/d"] = e("b/c/d", 1)  # added, new folders
    new["zz"] = e("zz", 99)  # changed
    return diff_trees(old, new)


def test_tree_order_keeps_subtrees_together() -> None:
    d = make_diff()
    # '-' sorts before '/' in plain string order; tree order puts app/db's subtree first.
    assert d.all_paths == (
        "a",
        "app/db/host",
        "app/db/port",
        "app/db-old",
        "app/name",
        "app/tls/cert.pem",
        "app/tls/key.pem",
        "b/c/d",
        "zz",
    )
    assert [c.path for c in d.changes] == [
        "app/db/port",
        "app/db-old",
        "app/tls/key.pem",
        "b/c/d",
        "zz",
    ]


def test_next_previous_by_path() -> None:
    d = make_diff()
    nxt = d.next_change
    assert nxt().path == "app/db/port"  # type: ignore[union-attr]
    assert nxt("a").path == "app/db/port"  # type: ignore[union-attr]
    assert nxt("app/db/port").path == "app/db-old"  # type: ignore[union-attr]
    assert nxt("app/tls").path == "app/tls/key.pem"  # type: ignore[union-attr]  # a folder
    assert nxt("app/name").path == "app/tls/key.pem"  # type: ignore[union-attr]
    assert nxt("zz") is None
    assert nxt("zz", wrap=True).path == "app/db/port"  # type: ignore[union-attr]
    prv = d.previous_change
    assert prv().path == "zz"  # type: ignore[union-attr]
    assert prv("zz").path == "b/c/d"  # type: ignore[union-attr]
    assert prv("app/name").path == "app/db-old"  # type: ignore[union-attr]
    assert prv("app/db/port") is None
    assert prv("app/db/port", wrap=True).path == "zz"  # type: ignore[union-attr]
    assert prv("not/in/the/tree").path == "b/c/d"  # type: ignore[union-attr]


def test_next_previous_by_index() -> None:
    d = make_diff()
    rows = [d.row_of(c.path) for c in d.changes]
    assert rows == [2, 3, 6, 7, 8]
    assert d.next_change_index(-1) == 2
    assert d.next_change_index(0) == 2
    assert d.next_change_index(2) == 3
    assert d.next_change_index(4) == 6
    assert d.next_change_index(8) is None
    assert d.next_change_index(8, wrap=True) == 2
    assert d.previous_change_index(9) == 8
    assert d.previous_change_index(6) == 3
    assert d.previous_change_index(2) is None
    assert d.previous_change_index(2, wrap=True) == 8
    # in the only-changes list, indexes are positions in d.changes
    assert d.next_change_index(-1, only_changes=True) == 0
    assert d.next_change_index(3, only_changes=True) == 4
    assert d.next_change_index(4, only_changes=True) is None
    assert d.previous_change_index(0, only_changes=True, wrap=True) == 4
    assert d.change_index_of("b/c/d") == 3 and d.change_index_of("a") is None
    assert d.row_of("app") is None and d.row_of("zz") == 8
    assert diff_trees({}, {}).next_change_index(0) is None


def test_children_and_counts() -> None:
    d = make_diff()
    root = d.node("")
    assert root is not None
    assert (root.counts.added, root.counts.removed, root.counts.changed) == (2, 1, 2)
    assert root.total == 9 and root.counts.unchanged == 4
    top = d.children()
    assert [n.name for n in top] == ["a", "app", "b", "zz"]
    a, app, b, zz = top
    assert a.change is not None and a.change.kind is ChangeKind.UNCHANGED and not a.has_children
    assert not a.has_changes
    assert app.change is None and app.has_children and app.total == 6
    assert (app.counts.added, app.counts.removed, app.counts.changed, app.counts.unchanged) == (1, 1, 1, 3)
    assert zz.change is not None and zz.change.kind is ChangeKind.CHANGED and zz.counts.changed == 1
    assert b.counts.added == 1 and b.has_children
    assert [n.name for n in d.children("app")] == ["db", "db-old", "name", "tls"]
    db, db_old, _name, tls = d.children("app")
    assert db.path == "app/db" and db.counts.changed == 1 and db.total == 2
    assert db_old.change is not None and db_old.change.kind is ChangeKind.REMOVED
    assert [n.path for n in d.children("app/tls")] == ["app/tls/cert.pem", "app/tls/key.pem"]
    assert tls.counts.added == 1 and tls.counts.unchanged == 1
    assert d.children("app/name") == []
    assert d.children("nothing") == []
    assert d.node("nothing") is None
    assert d.node("app/db") == db


def test_children_only_changes() -> None:
    d = make_diff()
    assert [n.name for n in d.children(only_changes=True)] == ["app", "b", "zz"]
    app_children = d.children("app", only_changes=True)
    assert [n.name for n in app_children] == ["db", "db-old", "tls"]
    db = app_children[0]
    assert db.has_children and db.total == 2  # totals still count every path
    assert [n.name for n in d.children("app/db", only_changes=True)] == ["port"]
    (zz,) = [n for n in d.children(only_changes=True) if n.name == "zz"]
    assert not zz.has_children


def test_value_and_folder_at_same_path() -> None:
    old = {"a": e("a", 1), "a/b": e("a/b", 2)}
    new = {"a": e("a", 1), "a/b": e("a/b", 3)}
    d = diff_trees(old, new)
    (a,) = d.children()
    assert a.change is not None and a.change.kind is ChangeKind.UNCHANGED
    assert a.has_children and a.counts.changed == 1 and a.total == 2
    (a_only,) = d.children(only_changes=True)
    assert a_only.has_children
    assert d.next_change("a").path == "a/b"  # type: ignore[union-attr]


def test_hierarchy_counts_add_up_on_a_random_tree() -> None:
    rng = random.Random(7)
    paths = {f"s{rng.randrange(5)}/t{rng.randrange(8)}/k{i}" for i in range(2000)}
    old = {p: e(p, 0) for p in paths}
    new = dict(old)
    for p in rng.sample(sorted(paths), 100):
        if rng.random() < 0.5:
            del new[p]
        else:
            new[p] = e(p, 1)
    for i in range(50):
        p = f"s{rng.randrange(7)}/new{i}"
        new[p] = e(p, i)
    d = diff_trees(old, new)

    def walk(prefix: str) -> tuple[int, int]:
        node = d.node(prefix)
        assert node is not None
        kids = d.children(prefix)
        own = 1 if node.change is not None else 0
        own_changes = 1 if node.change is not None and node.change.is_change else 0
        totals = [walk(k.path) for k in kids]
        total = own + sum(t for t, _ in totals)
        changes = own_changes + sum(c for _, c in totals)
        assert node.total == total and node.counts.changes == changes
        return total, changes

    assert walk("") == (len(old.keys() | new.keys()), len(d.changes))
    visited = [c.path for c in d.entries()]
    assert visited == list(d.all_paths)
    assert len(visited) == len(old.keys() | new.keys())


def test_diff_of_100k_values() -> None:
    # How fast: benchmarks/bench_diff.py (target <= 300 ms); here only what it finds.
    old = {f"app{i % 30}/svc{i % 500}/key{i}": Entry("x", b"%d" % i) for i in range(100_000)}
    new = {p: Entry(p, v.value_json, b"", "v2") for p, v in old.items()}
    for i, p in enumerate(list(new)[::100]):
        new[p] = Entry(p, b'"changed %d"' % i)
    d = diff_trees(old, new)
    assert d.changed == 1000
