"""The history package's models and widgets on their own (no plugin): every
model under QAbstractItemModelTester, the aligned-rows scroll maps, time
formatting, the side-by-side value diff (sync scrolling, chunked filling)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, QPoint, QPointF, Qt
from PySide6.QtGui import QPalette, QWheelEvent
from PySide6.QtTest import QAbstractItemModelTester
from PySide6.QtWidgets import QApplication

from tests.conftest import record_calls
from zhi_gui.core.diff import MASK, compare_entries, diff_trees
from zhi_gui.core.key_history import key_history
from zhi_gui.core.model import Entry, VersionInfo
from zhi_gui.core.textdiff import Chunk, ChunkKind, diff_lines
from zhi_gui.session.history import VersionRow
from zhi_gui.ui.history import tree_diff_model
from zhi_gui.ui.history.diff_view import DiffView
from zhi_gui.ui.history.key_history_view import KeyHistoryModel
from zhi_gui.ui.history.scrollsync import AlignedRows
from zhi_gui.ui.history.timefmt import describe_time, exact_time, parse_time, relative_time
from zhi_gui.ui.history.tree_diff_model import PATH_ROLE, TreeDiffModel
from zhi_gui.ui.history.value_diff import LINE_LIMIT, ValueDiffView
from zhi_gui.ui.history.versions_model import DESCRIBED_COLUMNS, VALUE_COLUMNS, VersionListModel

Fatal = QAbstractItemModelTester.FailureReportingMode.Fatal


def e(path: str, value: Any, labels: dict[str, Any] | None = None) -> Entry:
    return Entry(path, json.dumps(value).encode(), json.dumps(labels).encode() if labels else b"")


def trees() -> tuple[dict[str, Entry], dict[str, Entry]]:
    old = {p: e(p, i) for i, p in enumerate(
        [f"app/s{i}/k{j}" for i in range(8) for j in range(12)] + ["top", "db/password", "db/host"])}
    old["db/password"] = e("db/password", "old-pw", {"ui.password": True})
    new = dict(old)
    new["app/s1/k3"] = e("app/s1/k3", "changed")
    new["app/s2/new"] = e("app/s2/new", [1, 2])
    del new["app/s5/k0"]
    new["db/password"] = e("db/password", "new-pw", {"ui.password": True})
    new["top"] = Entry("top", old["top"].value_json, b'{"ui.readonly":true}')
    return old, new


def walk(model: Any, parent: QModelIndex | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    parent = parent or QModelIndex()
    for row in range(model.rowCount(parent)):
        index = model.index(row, 0, parent)
        out[str(index.data(PATH_ROLE))] = [str(model.index(row, c, parent).data() or "") for c in range(4)]
        out.update(walk(model, index))
    return out


# --- the tree diff model ----------------------------------------------------------------------------


def test_tree_diff_model_structure_kinds_and_masking(qtbot: Any) -> None:
    old, new = trees()
    diff = diff_trees(old, new)
    model = TreeDiffModel()
    tester = QAbstractItemModelTester(model, Fatal)
    model.set_diff(diff, diff.children("", only_changes=True), True)
    rows = walk(model)
    assert list(rows) == ["app", "app/s1", "app/s1/k3", "app/s2", "app/s2/new", "app/s5", "app/s5/k0", "db",
                          "db/password", "top"]
    assert rows["app"][1] == "+1  \u22121  ~1"
    assert rows["app/s2/new"][1:] == ["added", "", "[1, 2]"]
    assert rows["app/s5/k0"][1] == "removed"
    assert rows["top"][1] == "changed: labels +ui.readonly"
    assert rows["db/password"][1:] == ["changed (secret): value", MASK, MASK]
    model.set_reveal(True)
    assert walk(model)["db/password"][2:] == ['"old-pw"', '"new-pw"']
    model.set_reveal(False)
    # all values, structure kept
    model.set_diff(diff, diff.children("", only_changes=False), False)
    rows = walk(model)
    assert len([p for p in rows if p.startswith("app/s0/")]) == 12 and rows["app/s0/k0"][1] == ""
    assert rows["db/host"][2] == rows["db/host"][3]
    del tester


def test_tree_diff_model_loads_big_levels_off_the_ui_thread(qtbot: Any, run_async: Any,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tree_diff_model, "SYNC_LIMIT", 5)
    old, new = trees()
    diff = diff_trees(old, new)
    model = TreeDiffModel()
    tester = QAbstractItemModelTester(model, Fatal)
    model.set_diff(diff, diff.children("", only_changes=False), False)
    app = model.index(0, 0)
    assert model.data(app, PATH_ROLE) == "app"
    assert model.hasChildren(app)
    if model.rowCount(app) == 0:  # (the tester may have asked for them already)
        with qtbot.waitSignal(model.childrenLoaded, timeout=5000):
            model.fetchMore(app)
    assert model.rowCount(app) == 8 and not model.canFetchMore(app)
    index = run_async(model.ensure_path("app/s5/k0"))  # s5 has 12 paths: loaded through the executor too
    assert index.isValid() and model.data(model.index(index.row(), 1, index.parent())) == "removed"
    assert not run_async(model.ensure_path("app/nope")).isValid()
    del tester


def test_a_long_level_of_the_diff_shows_its_first_rows_at_once_and_the_rest_soon(qtbot: Any) -> None:
    """Rows past the first screenful get their texts and colours a slice per turn."""
    count = tree_diff_model.FILL_WHOLE * 3
    old = {f"k{i:04d}": e(f"k{i:04d}", i) for i in range(count)}
    new = {path: e(path, i + 1) for i, path in enumerate(old)}
    diff = diff_trees(old, new)
    model = TreeDiffModel()
    tester = QAbstractItemModelTester(model, Fatal)
    model.set_diff(diff, diff.children("", only_changes=True), True)
    assert model.rowCount() == count
    assert model.index(0, 3).data() == "1"
    last = model.index(count - 1, 0)
    assert model.node_at(last) is not None and model.node_at(last).path == f"k{count - 1:04d}"
    qtbot.waitUntil(lambda: model.index(count - 1, 3).data() == str(count))
    assert walk(model)[f"k{count - 1:04d}"] == [f"k{count - 1:04d}", "changed: value", str(count - 1), str(count)]
    del tester


def test_diff_view_navigates_and_filters(qtbot: Any, run_async: Any) -> None:
    old, new = trees()
    view = DiffView()
    qtbot.addWidget(view)
    view.resize(1200, 500)
    view.show()
    diff = run_async(view.show_diff(old, new, "v1", "v2"))
    assert diff is not None and "1 added" in view.counts_label.text() and "3 changed" in view.counts_label.text()
    assert view.selected_path() == "app/s1/k3"  # the first change is selected
    seen = [view.selected_path()]
    for _ in range(5):
        seen.append(run_async(view.change_step(1)))
    assert seen == ["app/s1/k3", "app/s2/new", "app/s5/k0", "db/password", "top", "app/s1/k3"]
    assert run_async(view.change_step(-1)) == "top"
    qtbot.waitUntil(lambda: view.value_view.is_ready and view.value_view.change is not None
                    and view.value_view.change.path == "top")
    assert "only labels changed" in view.value_view.summary_label.text()
    assert view.value_view.labels_label.text() == "Labels: +ui.readonly = true"
    view.only_changes.setChecked(False)
    qtbot.waitUntil(lambda: not view.model.only_changes and view.selected_path() == "top")
    same = run_async(view.show_diff(old, old, "a", "b"))
    assert same is not None and same.is_empty and "identical" in view.counts_label.text()
    assert not view.next_button.isEnabled()


def test_diff_rows_take_the_colours_of_a_theme_switched_while_shown(qtbot: Any, run_async: Any) -> None:
    """The rows hold their colours (painting reads no Python): a light/dark switch makes them anew."""
    from zhi_gui.ui import theme
    from zhi_gui.ui.history.colors import kind_colors

    app = QApplication.instance()
    assert isinstance(app, QApplication)
    style, palette, preference = app.style().name(), QPalette(app.palette()), theme.current_theme()
    old, new = trees()
    view = DiffView()
    qtbot.addWidget(view)
    view.show()
    run_async(view.show_diff(old, new, "v1", "v2"))
    added = run_async(view.model.ensure_path("app/s2/new"))

    def colour_of_added() -> str:
        brush = added.siblingAtColumn(3).data(Qt.ItemDataRole.ForegroundRole)
        return brush.color().name() if brush is not None else ""

    try:
        light = colour_of_added()
        theme.apply_theme(app, "dark")
        colors = kind_colors("added")
        assert colors is not None
        qtbot.waitUntil(lambda: colour_of_added() == colors.text.name())
        assert colour_of_added() != light
    finally:  # other tests keep the style and colours they started with
        theme._theme["preference"] = preference
        app.setStyle(style)
        app.setPalette(palette)
    qtbot.waitUntil(lambda: colour_of_added() == light)


# --- the version list and key history models -----------------------------------------------------------


def info(n: int, message: str = "", kind: str = "write") -> VersionInfo:
    return VersionInfo(str(n), f"2026-01-{n:02d}T10:00:00Z", "alice", message, n, kind)


def test_version_list_model_pages_and_staged_row(qtbot: Any) -> None:
    model = VersionListModel()
    tester = QAbstractItemModelTester(model, Fatal)
    asked: list[int] = []
    model.fetchRequested.connect(lambda: asked.append(len(model.rows)))
    generation = model.reset(DESCRIBED_COLUMNS, [VersionRow(str(n), info(n, f"m{n}"), current=n == 9)
                                                 for n in (9, 8, 7)], total=5)
    if not model.loading:  # (the tester may have asked already)
        assert model.canFetchMore(QModelIndex())
        model.fetchMore(QModelIndex())
    assert asked == [3] and model.loading and not model.canFetchMore(QModelIndex())
    model.append([VersionRow("6", info(6, "", "rollback")), VersionRow("5", replace(info(5), changed_paths=12_345))],
                 5, generation)
    assert not model.canFetchMore(QModelIndex()) and model.rowCount() == 5
    model.append([VersionRow("4", info(4))], 6, generation - 1)  # a stale page is dropped
    assert model.rowCount() == 5
    assert model.index(0, 0).data() == "9  (current)"
    assert model.index(3, 3).data() == "(no message)" and model.index(3, 5).data() == "rollback"
    assert model.index(4, 4).data() == "12,345 paths", "big counts are grouped by thousands"
    model.now = datetime(2026, 1, 9, 10, 5, tzinfo=UTC)
    assert model.index(0, 1).data() == "5 min ago"
    model.set_staged(3)
    assert model.rowCount() == 6 and model.index(0, 0).data() == "Staged edits"
    assert model.row_of("9") == 1 and model.version_row(0) == VersionRow("", staged=3)
    model.set_staged(1)
    assert model.index(0, 3).data() == "1 edit(s), not saved yet"
    model.set_staged(0)
    assert model.rowCount() == 5 and model.older_than("7") == model.rows[3]
    # value mode: previews, masked secrets
    secret = Entry("p", b'"pw"', b'{"ui.password":true}')
    model.reset(VALUE_COLUMNS, [VersionRow("2", entry=secret), VersionRow("1", entry=None)], 2)
    assert model.index(0, 1).data() == MASK + "  (secret)" and model.index(1, 1).data() == "(deleted)"
    model.set_reveal(True)
    assert model.index(0, 1).data() == '"pw"'
    del tester


def test_key_history_model(qtbot: Any) -> None:
    model = KeyHistoryModel()
    tester = QAbstractItemModelTester(model, Fatal)
    versions = [(VersionRow("3", info(3)), e("k", 2)), (VersionRow("2", info(2)), e("k", 1)),
                (VersionRow("1", info(1)), None)]
    changes = key_history("k", versions)
    generation = model.reset(True)
    model.append(changes[:1], True, generation)
    model.append(changes[1:], False, generation)
    assert [model.index(r, 4).data() for r in range(2)] == ["1 \u2192 2", "\u2192 1"]
    assert [model.index(r, 3).data() for r in range(2)] == ["changed value", "added"]
    assert not model.canFetchMore(QModelIndex())
    del tester


# --- scrolling maps and times -----------------------------------------------------------------------------


def test_aligned_rows_map_both_ways() -> None:
    chunks = [Chunk(0, 2, 0, 2, ChunkKind.EQUAL), Chunk(2, 2, 2, 6, ChunkKind.INSERT),
              Chunk(2, 4, 6, 8, ChunkKind.EQUAL), Chunk(4, 10, 8, 10, ChunkKind.REPLACE)]
    rows = AlignedRows(chunks)
    assert rows.total == 2 + 4 + 2 + 6
    assert (rows.left_lines, rows.right_lines) == (10, 10)
    assert [rows.to_left(r) for r in (0, 1, 2, 4, 6, 7)] == [0, 1, 2, 2, 2, 3]  # left waits during the insertion
    assert [rows.to_right(r) for r in (0, 2, 4, 6, 7)] == [0, 2, 4, 6, 7]
    assert rows.to_left(11) == 7 and rows.to_right(11) == pytest.approx(9)  # stretched replace chunk
    for line in (0, 1, 3, 5, 9):
        assert rows.to_left(rows.from_left(line)) == pytest.approx(line)
    for line in (0, 3, 7, 9):
        assert rows.to_right(rows.from_right(line)) == pytest.approx(line)
    assert rows.to_left(20) == 16  # past the end: 1:1
    assert AlignedRows([]).to_left(3) == 3


def test_times_for_people() -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert parse_time("2026-11-22T10:04:05.123456Z") == datetime(2026, 11, 22, 10, 4, 5, 123456, tzinfo=UTC)
    assert parse_time("yesterday-ish") is None and parse_time("") is None
    assert relative_time(now - timedelta(seconds=10), now) == "just now"
    assert relative_time(now - timedelta(minutes=5), now) == "5 min ago"
    assert relative_time(now - timedelta(hours=3), now) == "3 h ago"
    assert relative_time(now - timedelta(days=4), now) == "4 days ago"
    assert relative_time(datetime(2020, 3, 1, tzinfo=UTC), now).endswith("2020")
    assert "(UTC" in exact_time(now)
    assert describe_time("") == ("", "") and describe_time("garbage") == ("garbage", "garbage")


# --- the side-by-side value diff ----------------------------------------------------------------------------


def big_change() -> Any:
    obj = {f"service-{i:05d}": {"enabled": True, "replicas": i % 7, "url": f"https://s{i}.example.org"}
           for i in range(12000)}
    newer = json.loads(json.dumps(obj))
    for i in range(0, 12000, 97):
        newer[f"service-{i:05d}"]["replicas"] = 99
    del newer["service-00500"]
    newer["service-99999"] = {"enabled": False}
    return compare_entries("big", e("big", obj), e("big", newer))


def test_value_diff_fills_in_slices_and_scrolls_both_panes_together(qtbot: Any) -> None:
    view = ValueDiffView()
    qtbot.addWidget(view)
    view.resize(1100, 500)
    view.show()
    # The UI-thread work comes in steps (applying the result, each slice of text);
    # how long one step takes is a figure for benchmarks/bench_history.py, not a test.
    steps = record_calls(view, "_apply", "_feed_step")
    with qtbot.waitSignal(view.ready, timeout=20000):
        view.show_change(big_change(), "old", "new")
    assert steps.count("_feed_step") > 10, "a 72,000-line value is filled in slices, not in one long step"
    left, right = view.texts()
    assert left.count("\n") + 1 == len(view.prepared.diff.left_lines) if view.prepared else False
    assert '"replicas": 99' in right and '"replicas": 99' not in left
    prepared = view.prepared
    assert prepared is not None and len(prepared.changes) > 100
    # one master scrollbar drives both panes along the aligned rows
    rows = view.rows
    view.master.setValue(view.master.maximum() // 2)
    row = view.master.value()
    assert view.left.verticalScrollBar().value() == round(rows.to_left(row))
    assert view.right.verticalScrollBar().value() == round(rows.to_right(row))
    # a wheel turn on a pane goes to the master
    before = view.master.value()
    wheel = QWheelEvent(QPointF(50, 50), QPointF(view.left.viewport().mapToGlobal(QPoint(50, 50))), QPoint(0, 0),
                        QPoint(0, -120), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.left.viewport(), wheel)
    assert view.master.value() > before
    assert view.right.verticalScrollBar().value() == round(rows.to_right(view.master.value()))
    # keyboard scrolling inside a pane drives the master and the other pane
    view.right.verticalScrollBar().setValue(view.right.verticalScrollBar().value() + 40)
    master_row = view.master.value()
    assert abs(master_row - rows.from_right(view.right.verticalScrollBar().value())) <= 1
    # next / previous block
    view.master.setValue(0)
    assert view.jump(1) and view.master.value() > 0
    first = view.master.value()
    assert view.jump(1) and view.master.value() > first
    assert view.jump(-1) and view.master.value() == first
    view.grab()  # paints: line backgrounds, in-line tints, link map


def test_value_diff_cuts_huge_lines_and_marks_insertions(qtbot: Any) -> None:
    view = ValueDiffView()
    qtbot.addWidget(view)
    view.show()
    change = compare_entries("s", e("s", "x" * 50_000), e("s", "x" * 49_000 + "y" * 1000))
    with qtbot.waitSignal(view.ready, timeout=10000):
        view.show_change(change, "a", "b")
    left, right = view.texts()
    assert len(left) < LINE_LIMIT + 100 and "more characters" in left and "more characters" in right
    inserted = diff_lines(["a", "b"], ["a", "new", "b"])
    assert [c.kind for c in inserted.chunks] == [ChunkKind.EQUAL, ChunkKind.INSERT, ChunkKind.EQUAL]
    with qtbot.waitSignal(view.ready, timeout=10000):
        view.show_change(compare_entries("t", e("t", "a\nb"), e("t", "a\nnew\nb")), "a", "b")
    assert view.prepared is not None and view.prepared.left.markers == [(1, "added")]
    assert view.prepared.right.kinds == [None, "added", None]
    view.grab()


def test_in_line_highlights_cover_whole_words() -> None:
    from zhi_gui.ui.history.value_diff import prepare, whole_words

    assert whole_words('"dark-mode": false,', [(13, 17)]) == [(13, 18)]  # "fals" -> "false"
    assert whole_words("api:1.9.0", [(6, 7)]) == [(6, 7)]  # digits between dots stay single
    assert whole_words("ab cd", [(0, 1), (1, 2), (4, 5)]) == [(0, 2), (3, 5)]
    prepared = prepare(diff_lines(['  "on": true,'], ['  "on": false,']))
    assert prepared.left.words == {0: [(8, 12)]} and prepared.right.words == {0: [(8, 13)]}


@pytest.mark.parametrize(("kind", "same_as"), [(ChunkKind.INSERT, "added"), (ChunkKind.DELETE, "removed"),
                                               (ChunkKind.REPLACE, "changed"), (ChunkKind.EQUAL, None),
                                               ("added", "added"), ("unchanged", None)])
def test_diff_colours_of_chunks_and_changes(qapp: Any, kind: Any, same_as: str | None) -> None:
    """Inserted lines of a value diff are coloured as added keys, deleted as removed,
    replaced as changed; equal lines and unchanged keys have no colour."""
    from zhi_gui.ui.history.colors import kind_colors

    assert kind_colors(kind) == (kind_colors(same_as) if same_as is not None else None)
    if same_as is not None:
        assert kind_colors(kind) is not None
