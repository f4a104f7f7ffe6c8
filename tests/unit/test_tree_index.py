from zhi_gui.core.model import Entry
from zhi_gui.core.tree_index import Filter, TreeIndex


def make() -> TreeIndex:
    return TreeIndex([Entry("db/host", b'"localhost"'), Entry("db/port", b"5432"), Entry("app", b'"x"'),
                      Entry("app/secret", b'"hunter2"', b'{"ui.password":true}'), Entry("z/deep/er/key", b"1")],
                     is_secret=lambda e: b"ui.password" in e.metadata_json)


def test_hierarchy_with_value_and_children_on_one_node() -> None:
    idx = make()
    assert [n.name for n in idx.root.sorted_children()] == ["app", "db", "z"]
    app = idx.nodes["app"]
    assert "app" in idx.entries and [n.path for n in app.sorted_children()] == ["app/secret"]
    assert idx.nodes["z/deep/er"].parent is idx.nodes["z/deep"]


def test_filter_matches_keys_and_values_but_not_secret_values() -> None:
    idx = make()
    f = Filter(idx)
    f.set_query("LOCAL")
    assert f.matches == ["db/host"] and f.visible == {"", "db", "db/host"}
    f.set_query("hunter")
    assert f.matches == []
    f.set_query("secret")
    assert f.matches == ["app/secret"]
    f.set_query("")
    assert f.visible is None


def test_narrowing_reuses_previous_matches() -> None:
    idx = make()
    f = Filter(idx)
    f.set_query("d")
    first = list(f.matches or [])
    f.set_query("db/p")
    assert set(f.matches or []) <= set(first) and f.matches == ["db/port"]


def test_staged_additions_and_removal_of_empty_branches() -> None:
    idx = make()
    top = idx.add_path("new/branch/key")
    assert top is not None and top.path == "new"
    assert idx.add_path("new/branch/other").path == "new/branch/other"
    assert idx.removable_top("new/branch/key", keep=lambda p: False).path == "new/branch/key"
    idx.remove_subtree(idx.nodes["new/branch/other"])
    top = idx.removable_top("new/branch/key", keep=lambda p: False)
    assert top is not None and top.path == "new"
    idx.remove_subtree(top)
    assert "new/branch/key" not in idx.nodes and "new" not in idx.root.by_name
