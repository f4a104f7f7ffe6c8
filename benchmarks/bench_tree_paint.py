"""What one repaint of the value tree costs, next to what Qt alone would take.

Run: .venv/bin/python benchmarks/bench_tree_paint.py [--rounds N]

The tree's repaint is the floor of most stall rows of ``bench_scale.py``. Painting a
viewport of 39 rows asks the model about 900 times (``index``, ``parent``, ``multiData``,
``rowCount``); a model answering in Python made that two thirds of the repaint (16.2 ms
where Qt alone took 5.2), so the app's ``ValueTreeModel`` keeps its shown rows as
``QStandardItemModel`` cells and Python answers only ``rowCount`` and ``hasChildren``.
This paints the same rows, in the same view size, from three models, in interleaved
rounds (the machine's speed moves within a minute):

* the app's ``ValueTreeModel``;
* a ``QStandardItemModel`` holding the shown rows (C++ answers everything): the floor;
* the same with ``index`` and ``rowCount`` answered in Python, for scale (each call into
  Python inside a paint costs several microseconds).

Two views: a group opened down to its leaves (deep rows, a leaf selected), and the
top-level groups only (as after a load or a filter keystroke).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QTreeView

from benchmarks.bench_scale import big_tree
from zhi_gui.core.staging import Staging
from zhi_gui.core.tree_index import TreeIndex
from zhi_gui.ui.value_tree_model import COLUMNS, ValueTreeModel

Index = QModelIndex | QPersistentModelIndex
ROOT = QModelIndex()


class PythonStructure(QStandardItemModel):
    """C++ data, Python structure calls (each calls the C++ one)."""

    def index(self, row: int, column: int, parent: Index = ROOT) -> QModelIndex:
        return QStandardItemModel.index(self, row, column, parent)

    def rowCount(self, parent: Index = ROOT) -> int:
        return QStandardItemModel.rowCount(self, parent)


def copy_shown(source: ValueTreeModel, view: QTreeView, target: QStandardItemModel) -> None:
    """The rows ``view`` shows (expanded groups' rows, recursively), with their texts."""
    target.setHorizontalHeaderLabels(list(COLUMNS))

    def copy(parent: QModelIndex, into: QStandardItem) -> None:
        for row in range(source.rowCount(parent)):
            cells = [QStandardItem(source.data(source.index(row, c, parent)) or "") for c in range(len(COLUMNS))]
            into.appendRow(cells)
            child = source.index(row, 0, parent)
            if view.isExpanded(child):
                copy(child, cells[0])

    copy(QModelIndex(), target.invisibleRootItem())


def repaint_ms(view: QTreeView, repaints: int) -> float:
    viewport = view.viewport()
    times = []
    for _ in range(repaints):
        started = time.perf_counter()
        viewport.repaint()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repaints", type=int, default=100)
    args = parser.parse_args()
    app = QApplication([sys.argv[0], "-style", "Fusion"])
    index = TreeIndex(big_tree(100_000))
    app_model = ValueTreeModel()
    app_model.set_tree(index, Staging())
    view = QTreeView()
    view.setUniformRowHeights(True)
    view.setAlternatingRowColors(True)
    view.resize(1400, 860)
    view.setModel(app_model)
    view.show()

    def deep(model: Any) -> None:  # svc000 opened down to its leaves, a leaf selected
        view.setModel(model)
        top = model.index(0, 0)
        view.expandRecursively(top)
        first = model.index(0, 0, top)
        view.setCurrentIndex(model.index(3, 0, first) if model.rowCount(first) > 3 else first)

    def shallow(model: Any) -> None:
        view.setModel(model)
        view.setCurrentIndex(model.index(0, 0))

    print(f"{'view':28s} {'model':44s} {'median repaint':>16s}")
    for name, arrange in (("a group opened to its leaves", deep), ("top-level groups", shallow)):
        arrange(app_model)
        for _ in range(20):
            app.processEvents()
        plain, python_structure = QStandardItemModel(), PythonStructure()
        copy_shown(app_model, view, plain)
        copy_shown(app_model, view, python_structure)
        figures: dict[str, list[float]] = {"ValueTreeModel (the app's)": [],
                                           "QStandardItemModel (C++ answers)": [],
                                           "  with index/rowCount in Python": []}
        for _ in range(args.rounds):
            for results, model in zip(figures.values(), (app_model, plain, python_structure), strict=True):
                arrange(model)
                for _ in range(20):
                    app.processEvents()
                results.append(repaint_ms(view, args.repaints))
        for label, results in figures.items():
            print(f"{name:28s} {label:44s} {statistics.median(results):13.2f} ms"
                  f"   (rounds: {', '.join(f'{r:.1f}' for r in results)})", flush=True)
        view.setModel(app_model)
        view.collapseAll()


if __name__ == "__main__":
    main()
