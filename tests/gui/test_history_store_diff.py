"""The History panel compares two versions of a sqlite store through the store's
DiffVersions (only the changed values travel); a store without it (the Go peer)
is compared by snapshots as before. What the user sees is the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import interop_binary
from tests.gui.test_history import compare, open_sqlite, wait_listed, write
from zhi_gui.core.model import Entry
from zhi_gui.session import StoreTarget
from zhi_gui.ui.history.panel import WITH_PREVIOUS
from zhi_gui.ui.main_window import MainWindow


def test_two_versions_are_compared_in_the_store(qtbot: Any, make_window: Any, run_async: Any,
                                                short_tmp: Path) -> None:
    win: MainWindow = make_window()
    panel = open_sqlite(win, run_async, short_tmp / "s.sqlite")
    total = len(win.controller.index.entries)
    write(win, run_async, {"global/region": "eu-west-9", "brand/new": 1}, "two", deletes=("services/api/replicas",))
    write(win, run_async, {"global/region": "eu-west-10"}, "three")
    wait_listed(qtbot, panel, 3)
    newest, middle, first = (r.id for r in panel.model.rows)
    fetched: list[str] = []
    real_snapshot = panel.access.tree_snapshot

    async def spy(version: str, progress: Any = None) -> Any:
        fetched.append(version)
        return await real_snapshot(version, progress)

    panel.access.tree_snapshot = spy  # type: ignore[method-assign]
    compare(qtbot, panel, [middle, first])
    view = panel.diff_view
    diff = view.diff
    assert diff is not None and diff.partial, "the store computed it"
    assert fetched == [], "no whole version was read"
    assert (diff.counts.added, diff.counts.removed, diff.counts.changed) == (1, 1, 1)
    assert diff.counts.total == total + 1  # either side's values, unchanged ones counted by the store
    assert "of " + f"{total + 1:,} value(s)" in view.counts_label.text()
    top = [view.model.index(r, 0).data() for r in range(view.model.rowCount())]
    assert top == ["brand", "global", "services"]

    view.only_changes.setChecked(False)  # every value: both versions are read now
    qtbot.waitUntil(lambda: view.diff is not None and not view.diff.partial, timeout=10000)
    assert sorted(fetched) == sorted([middle, first])
    assert view.diff.counts == diff.counts
    view.only_changes.setChecked(True)

    panel.compare_mode.setCurrentIndex(panel.compare_mode.findData(WITH_PREVIOUS))
    fetched.clear()
    compare(qtbot, panel, [newest])
    assert view.diff is not None and view.diff.partial and fetched == []
    assert [c.path for c in view.diff.changes] == ["global/region"]


def test_a_store_without_the_feature_is_compared_by_snapshots(qtbot: Any, make_window: Any, run_async: Any) -> None:
    gopeer = interop_binary("zhi-store-gopeer")
    win: MainWindow = make_window()
    panel = win.history_panel
    run_async(win.open_store(StoreTarget(gopeer, {}, "t", known_paths=("a/x", "a/y"))))
    store = win.controller.store
    run_async(store.put_values("t", [Entry("a/x", b"1"), Entry("a/y", b"2")]))
    run_async(store.put_values("t", [Entry("a/x", b"3")]))
    run_async(win.reload_tree())
    panel.show_panel()
    wait_listed(qtbot, panel, 2)
    compare(qtbot, panel, [r.id for r in panel.model.rows])
    diff = panel.diff_view.diff
    assert diff is not None and not diff.partial
    assert [(c.path, c.kind.value) for c in diff.changes] == [("a/x", "changed")]
    assert diff.counts.total == 2
