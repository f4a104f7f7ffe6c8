from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from zhi_gui.core.display import MASK
from zhi_gui.core.model import Entry
from zhi_gui.core.staging import Staging
from zhi_gui.core.tree_index import Filter, TreeIndex
from zhi_gui.ui.value_tree_model import FILL_WHOLE, PATH_ROLE, ValueTreeModel

ENTRIES = [Entry("db/host", b'"localhost"', b"", "4"), Entry("db/port", b"5432", b"", "4"),
           Entry("db/password", b'"hunter2"', b'{"ui":{"password":true}}', "2"), Entry("app", b'"x"', b"", "1"),
           Entry("app/name", b'"demo"', b"", "1")]


def build() -> tuple[ValueTreeModel, Staging, QAbstractItemModelTester]:
    staging = Staging()
    model = ValueTreeModel()
    model.set_tree(TreeIndex(ENTRIES), staging)
    staging.listeners.append(model.on_staged)
    tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return model, staging, tester


def cell(model: ValueTreeModel, path: str, column: int) -> str:
    return model.data(model.index_of_path(path, column))


def test_rows_columns_and_masked_secrets(qapp) -> None:
    model, _, _tester = build()
    assert [model.data(model.index(r, 0)) for r in range(model.rowCount())] == ["app", "db"]
    assert cell(model, "db/port", 1) == "5432" and cell(model, "db/port", 2) == "int"
    assert cell(model, "db/password", 1) == MASK and "hunter2" not in str(cell(model, "db/password", 1))
    assert cell(model, "db/host", 3) == "4"
    assert cell(model, "app", 1) == "x", "a node can hold a value and children"
    assert model.data(model.index_of_path("db/host"), PATH_ROLE) == "db/host"


def test_filter_shows_matches_and_their_ancestors(qapp) -> None:
    model, _, _tester = build()
    f = Filter(model.index_data)
    f.set_query("5432")
    model.set_visible(f.visible)
    assert model.rowCount() == 1
    db = model.index(0, 0)
    assert [model.data(model.index(r, 0, db)) for r in range(model.rowCount(db))] == ["port"]
    model.set_visible(None)
    assert model.rowCount() == 2


def test_under_a_filter_a_row_opens_only_when_it_shows_children(qapp) -> None:
    """The expand arrow of a filtered row: a group whose keys all missed the filter has none,
    also when the group itself matched (``app`` holds a value and a key below it)."""
    model, _, _tester = build()
    f = Filter(model.index_data)
    for query, opening in (("x", {"app": False}), ("demo", {"app": True, "app/name": False}),
                           ("5432", {"db": True, "db/port": False})):
        f.set_query(query)
        model.set_visible(f.visible)
        for path, opens in opening.items():
            index = model.index_of_path(path)
            assert model.hasChildren(index) is opens, (query, path)
            assert (model.rowCount(index) > 0) is opens, (query, path)


def test_staged_changes_overlay_insert_and_remove_rows(qapp) -> None:
    model, staging, _tester = build()
    db = model.index_of_path("db")
    model.rowCount(db)  # the view expanded "db"
    staging.stage_set("db/port", b"6543", b"", ENTRIES[1])
    assert cell(model, "db/port", 1) == "6543" and cell(model, "db/port", 3) == "4 *"
    staging.stage_set("db/replica/host", b'"r1"', b"", None)
    assert [model.data(model.index(r, 0, db)) for r in range(model.rowCount(db))] == [
        "host", "password", "port", "replica"]
    staging.stage_delete(["db/host"], {"db/host": ENTRIES[0]})
    assert cell(model, "db/host", 1) == "(deleted)"
    staging.undo()
    staging.undo()  # the addition goes away again, with its now-empty branch
    assert "db/replica" not in model.index_data.nodes
    assert model.rowCount(db) == 3
    staging.undo()
    assert cell(model, "db/port", 1) == "5432"
    assert model.parent(QModelIndex()) == QModelIndex()


def rows(model: ValueTreeModel, parent: QModelIndex | None = None) -> list[str]:
    parent = parent or QModelIndex()
    return [model.data(model.index(r, 0, parent)) for r in range(model.rowCount(parent))]


def test_values_changed_in_place_insert_and_remove_rows_where_they_sort(qapp) -> None:
    """A live update: the index already holds every change (added keys under shown and unshown
    groups, a removed group, a removed key that is staged); the model brings Qt in line."""
    model, staging, _tester = build()
    db = model.index_of_path("db")
    assert rows(model, db) == ["host", "password", "port"]
    staging.stage_set("db/host", b'"mine"', b"", model.index_data.entries["db/host"])
    index = model.index_data
    for entry in (Entry("db/a", b"1"), Entry("db/name", b"2"), Entry("db/zz", b"3"), Entry("cache/ttl", b"4"),
                  Entry("cache/size", b"5")):
        index.set_entry(entry)
    for path in ("app", "app/name", "db/password", "db/host"):
        index.entries.pop(path, None)
    model.on_values_changed({"db/a", "db/name", "db/zz", "cache/ttl", "cache/size", "app", "app/name",
                             "db/password", "db/host"})
    assert rows(model) == ["cache", "db"], "a removed group goes, a new group appears where it sorts"
    db = model.index_of_path("db")
    assert rows(model, db) == ["a", "host", "name", "port", "zz"], "db/host is staged: it stays"
    assert rows(model, model.index_of_path("cache")) == ["size", "ttl"]
    assert cell(model, "db/name", 1) == "2"


def test_multi_data_answers_as_data_for_every_role_a_delegate_asks(qapp) -> None:
    """Painting asks all roles of a cell at once (multiData); a staged row must still be
    drawn in its colour and font, with the same text."""
    from PySide6.QtCore import QModelRoleData, Qt

    model, staging, _tester = build()
    model.rowCount(model.index_of_path("db"))
    staging.stage_set("db/port", b"6543", b"", ENTRIES[1])
    staging.stage_delete(["db/host"], {"db/host": ENTRIES[0]})
    roles = [Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
             Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.DisplayRole,
             Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole, PATH_ROLE]
    for path in ("db/port", "db/host", "db/password", "app"):
        for column in range(4):
            index = model.index_of_path(path, column)
            for role in roles:
                slot = QModelRoleData(role)
                model.multiData(index, slot)
                assert slot.data() == model.data(index, role), (path, column, role)
    slot = QModelRoleData(Qt.ItemDataRole.ForegroundRole)
    model.multiData(model.index_of_path("db/port", 1), slot)
    assert slot.data() is not None, "a staged change is coloured"


def test_painted_rows_look_as_with_one_data_call_per_role(qtbot) -> None:
    """The delegate reuses one span for every cell: a staged row's colour and font must not
    carry over to the rows painted after it."""
    from PySide6.QtCore import QAbstractItemModel
    from PySide6.QtWidgets import QTreeView

    class PerRole(ValueTreeModel):
        multiData = QAbstractItemModel.multiData  # Qt's: data() once per role

    images = []
    for cls in (ValueTreeModel, PerRole):
        staging = Staging()
        model = cls()
        model.set_tree(TreeIndex(ENTRIES), staging)
        staging.listeners.append(model.on_staged)
        staging.stage_set("db/host", b'"h"', b"", ENTRIES[0])
        staging.stage_delete(["db/password"], {"db/password": ENTRIES[2]})
        view = QTreeView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(500, 200)
        view.expandAll()
        view.show()
        qtbot.waitExposed(view)
        images.append(view.viewport().grab().toImage())
    assert images[0] == images[1]


def test_runs_of_added_and_removed_keys_land_where_they_sort(qapp) -> None:
    """An import or a live update adds and removes many neighbouring keys of a shown group at
    once: the rows Qt is told of match the index afterwards (the tester checks each step)."""
    model, _staging, _tester = build()
    index = model.index_data
    for k in range(20):
        index.set_entry(Entry(f"big/k{k:02d}", b"0"))
    model.on_values_changed({f"big/k{k:02d}" for k in range(20)})
    big = model.index_of_path("big")
    assert rows(model, big) == [f"k{k:02d}" for k in range(20)]
    added = ["big/a0", "big/k05a", "big/k05b", "big/k07a"] + [f"big/k{k}" for k in range(20, 25)]
    for path in added:
        index.set_entry(Entry(path, b"1"))
    removed = ["big/k10", "big/k11", "big/k12", "big/k15", "big/k19"]
    for path in removed:
        index.entries.pop(path)
    model.on_values_changed(set(added) | set(removed))
    expected = sorted({f"k{k:02d}" for k in range(20)} - {p.split("/")[1] for p in removed}
                      | {p.split("/")[1] for p in added})
    big = model.index_of_path("big")
    assert rows(model, big) == expected
    assert [model.index(r, 0, big).row() for r in range(len(expected))] == list(range(len(expected)))
    assert cell(model, "big/k05b", 1) == "1"


def test_many_interleaved_keys_keep_the_view_expanded_and_on_its_row(qapp, qtbot) -> None:
    """Hundreds of keys arriving between the shown ones at once (an import, a big save made
    elsewhere) are shown in one relayout: the groups open in the view stay open, the current
    row stays on its key, a group that went is no longer shown, and every row is in place."""
    from PySide6.QtWidgets import QTreeView

    from zhi_gui.ui import value_tree_model

    index = TreeIndex([Entry(f"g{g}/k{k:03d}", b"0") for g in range(3) for k in range(0, 400, 2)]
                      + [Entry("g2/gone/x", b"0")])
    model = ValueTreeModel()
    model.set_tree(index, Staging())
    _tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    view = QTreeView()
    view.setModel(model)
    view.resize(500, 300)
    view.show()
    qtbot.waitExposed(view)
    for g in range(3):
        view.expand(model.index_of_path(f"g{g}"))
    view.expand(model.index_of_path("g2/gone"))
    view.setCurrentIndex(model.index_of_path("g1/k200"))
    added = [f"g{g}/k{k:03d}" for g in range(3) for k in range(1, 400, 2)]  # 600 runs of one row
    for path in added:
        index.set_entry(Entry(path, b"1"))
    index.entries.pop("g2/gone/x")
    relayouts: list[int] = []
    model.layoutChanged.connect(lambda *_: relayouts.append(1))
    model.on_values_changed([*added, "g2/gone/x"])
    assert relayouts, "one relayout, not a Qt step per run"
    assert len(added) > value_tree_model.RELAYOUT_RUNS
    for g in range(3):
        group = model.index_of_path(f"g{g}")
        assert view.isExpanded(group)
        assert rows(model, group) == [f"k{k:03d}" for k in range(400)]
    assert not model.index_of_path("g2/gone").isValid()
    assert view.currentIndex().data(PATH_ROLE) == "g1/k200"
    view.scrollTo(view.currentIndex())
    assert view.visualRect(view.currentIndex()).isValid(), "the current row is laid out where it now sits"


def test_a_big_group_shows_its_first_rows_whole_and_the_others_values_soon(qtbot) -> None:
    """Rows past a screenful get their value, type and version a slice per turn, in order."""
    entries = [Entry(f"big/k{i:04d}", f'"v{i}"'.encode(), b"", "3") for i in range(FILL_WHOLE + 200)]
    model = ValueTreeModel()
    model.set_tree(TreeIndex(entries), Staging())
    group = model.index(0, 0)
    assert model.rowCount(group) == len(entries)
    assert model.data(model.index(FILL_WHOLE - 1, 1, group)) == f'v{FILL_WHOLE - 1}'
    assert model.data(model.index(0, 0, group)) == "k0000"
    last = len(entries) - 1
    assert model.data(model.index(last, 0, group)) == f"k{last:04d}", "every row has its name at once"
    qtbot.waitUntil(lambda: model.data(model.index(last, 1, group)) == f"v{last}")
    assert [model.data(model.index(last, c, group)) for c in (2, 3)] == ["string", "3"]


def test_a_value_that_gets_keys_below_it_opens_with_the_right_arrow_key(qtbot) -> None:
    """A value's row tells the view it has no children (so laying out 100,000 of them asks
    no Python); a key staged below it makes it a group the keyboard opens, whether or not
    its (empty) rows had been asked for before."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QTreeView

    for with_tester in (True, False):  # the tester asks every row for its rows; a view does not
        staging = Staging()
        model = ValueTreeModel()
        model.set_tree(TreeIndex(ENTRIES), staging)
        staging.listeners.append(model.on_staged)
        _tester = QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal) \
            if with_tester else None
        view = QTreeView()
        view.setModel(model)
        view.resize(500, 300)
        view.show()
        qtbot.waitExposed(view)
        view.expand(model.index_of_path("db"))
        port = model.index_of_path("db/port")
        view.setCurrentIndex(port)
        QTest.keyClick(view, Qt.Key.Key_Right)
        assert not view.isExpanded(port), "a value has nothing to open"
        staging.stage_set("db/port/unit", b'"tcp"', b"", None)
        qtbot.wait(1)
        QTest.keyClick(view, Qt.Key.Key_Right)
        assert view.isExpanded(port), with_tester
        unit = model.index_of_path("db/port/unit")
        assert unit.isValid() and view.visualRect(unit).isValid() and unit.data() == "unit"
        assert cell(model, "db/port/unit", 1) == "tcp"
        view.deleteLater()
