"""How long the value tree model takes to show 100,000 keys added to shown groups at once
(an import, or another user's big save arriving live): contiguous runs and interleaved keys.

Run: .venv/bin/python benchmarks/bench_model_sync.py
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication, QTreeView

from zhi_gui.core.model import Entry
from zhi_gui.core.staging import Staging
from zhi_gui.core.tree_index import TreeIndex
from zhi_gui.ui import value_tree_model
from zhi_gui.ui.value_tree_model import ValueTreeModel


def measure(app: QApplication, interleaved: bool) -> float:
    index = TreeIndex([Entry(f"g{g:03d}/k{k:04d}", b'"x"', b"", "1") for g in range(100) for k in range(0, 2000, 2)])
    model = ValueTreeModel()
    model.set_tree(index, Staging())
    view = QTreeView()
    view.setModel(model)
    view.resize(800, 600)
    view.show()
    for row in range(model.rowCount()):
        view.expand(model.index(row, 0))
    app.processEvents()
    keys = range(1, 2000, 2) if interleaved else range(2000, 3000)
    added = [f"g{g:03d}/k{k:04d}" for g in range(100) for k in keys]
    for path in added:
        index.set_entry(Entry(path, b'"y"', b"", "2"))
    started = time.perf_counter()
    model.on_values_changed(added)
    app.processEvents()  # the view's own update of its rows counts too
    took = time.perf_counter() - started
    view.deleteLater()
    return took


def main() -> None:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    print("100 shown groups of 1,000 keys, 100,000 keys added, until the view is updated (median of 3)")
    threshold = value_tree_model.RELAYOUT_RUNS
    for interleaved in (False, True):
        what = "between the existing keys (100,000 runs of 1)" if interleaved else "after the existing keys (100 runs)"
        shipped = f"as shipped (one relayout above {threshold} runs)"
        for how, rows in ((shipped, threshold), ("a Qt step per run", 10**9)):
            value_tree_model.RELAYOUT_RUNS = rows
            times = sorted(measure(app, interleaved) for _ in range(3))
            print(f"  {what}, {how}: {times[1]:.3f} s")
    value_tree_model.RELAYOUT_RUNS = threshold


if __name__ == "__main__":
    main()
