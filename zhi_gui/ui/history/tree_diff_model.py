"""The whole-tree diff as a lazy Qt tree model over ``TreeDiff.children``, whose rows Qt
reads without calling Python.

As in the value tree (``ui/value_tree_model.py``), the rows Qt has asked for are
``QStandardItemModel`` cells holding their texts, colours, icon and path, made once per
row from a prototype: painting the diff (``index``, ``parent``, ``multiData`` for every
role of every shown cell) is answered in C++. It was a Python ``data()`` call per role
per cell, a coloured dot drawn anew for each changed row, on every repaint.

Python decides the structure:

* A level's rows are made when Qt first asks how many there are (``rowCount``, which a
  view asks before anything about the rows), silently: Qt was told the row has children.
* A level with more than :data:`SYNC_LIMIT` paths is listed in the default executor
  (``canFetchMore``/``fetchMore``) and its rows inserted when the listing arrives, so a
  flat 100,000-key tree never stalls the UI.
* The cells say what the palette says: a theme switch makes them again (``restyle``).

Contract (as for the value tree): Qt's own ``index()`` answers for rows made, so code
reading a level's rows asks ``rowCount`` first, as views do, or uses ``ensure_path``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import deque
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFont, QIcon, QStandardItem, QStandardItemModel

from zhi_gui.core.diff import ChangeKind, DiffNode, LabelChangeKind, PathChange, Side, TreeDiff
from zhi_gui.ui.history.colors import kind_colors, muted_text
from zhi_gui.ui.tasks import Runner, standalone_runner
from zhi_gui.ui.theme import dot

log = logging.getLogger("zhi_gui.ui.history")
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Key", "Change", "Old value", "New value")
PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # on a row's first cell (see path_of)
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "added" | "removed" | "changed" | "unchanged" | "" (folder)
SYNC_LIMIT = 3000  # paths below a node that we list on the UI thread (~7 us per child)
PREVIEW = 80
# Rows of a level filled at once (more than the diff's list shows); the others a slice per
# turn: 200 top-level rows filled at once were ~5 ms of the turn that shows a diff.
FILL_WHOLE = 60
FILL_SECONDS = 0.002  # filling per event-loop turn at most
FILL_SLICE = 25  # rows per step of it
_CELL_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled
_DISPLAY, _TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole
_FOREGROUND, _FONT = Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.FontRole
_DECORATION = Qt.ItemDataRole.DecorationRole
_ROOT = QModelIndex()


def change_summary(change: PathChange) -> str:
    """A few words for the Change column (never a value: safe for secrets)."""
    secret = " (secret)" if change.secret else ""
    if change.kind is ChangeKind.ADDED:
        return "added" + secret
    if change.kind is ChangeKind.REMOVED:
        return "removed" + secret
    if change.kind is ChangeKind.UNCHANGED:
        return ""
    parts = []
    if change.value_changed:
        parts.append(f"type {change.old_type} \u2192 {change.new_type}" if change.type_changed else "value")
    if change.label_changes:
        marks = {LabelChangeKind.ADDED: "+", LabelChangeKind.REMOVED: "\u2212"}
        names = ", ".join(marks.get(c.kind, "~") + c.label for c in change.label_changes[:3])
        more = len(change.label_changes) - 3
        parts.append("labels " + names + (f" (+{more})" if more > 0 else ""))
    return "changed" + secret + (": " + "; ".join(parts) if parts else "")


def counts_text(node: DiffNode) -> str:
    c = node.counts
    parts = []
    if c.added:
        parts.append(f"+{c.added}")
    if c.removed:
        parts.append(f"\u2212{c.removed}")
    if c.changed:
        parts.append(f"~{c.changed}")
    return "  ".join(parts)


def path_of(index: Index) -> str:
    """The path of the diff row ``index`` is on, whichever column it is in."""
    return str(index.sibling(index.row(), 0).data(PATH_ROLE) or "") if index.isValid() else ""


class TreeDiffModel(QStandardItemModel):
    childrenLoaded = Signal(str)  # path of the node whose children arrived from the executor

    def __init__(self, *, run: Runner | None = None) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._prototype = QStandardItem()
        self._prototype.setFlags(_CELL_FLAGS)  # selectable, not editable in place
        self.setItemPrototype(self._prototype)
        self.diff: TreeDiff | None = None
        self.only_changes = True
        self.reveal = False
        # Per level made ('' = the top), the nodes Qt was given as its rows, in row order.
        self._kids: dict[str, list[DiffNode]] = {}
        self._nodes: dict[str, DiffNode] = {}  # path -> node, for every row made
        self._rows: dict[str, int] = {}  # path -> its row under its parent
        self._loading: dict[str, asyncio.Future[None]] = {}
        self._generation = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._run = run or standalone_runner()
        self._struck = QFont()
        self._struck.setStrikeOut(True)
        self._look: _Look | None = None  # colours and dots of the current palette, made when first needed
        self._to_fill: deque[tuple[str, int]] = deque()  # (level, first row) still without cells
        self._filler = QTimer(self)
        self._filler.setSingleShot(True)  # started again after each slice
        self._filler.setInterval(0)
        self._filler.timeout.connect(self._fill_slice)

    # --- feeding -----------------------------------------------------------------------
    def set_diff(self, diff: TreeDiff | None, root_nodes: list[DiffNode], only_changes: bool) -> None:
        """Show ``diff``; ``root_nodes`` = ``diff.children('', only_changes=...)`` (built off the UI thread)."""
        self.beginResetModel()
        self._cancel_loads()
        self._generation += 1
        blocked = self.blockSignals(True)
        try:
            root = self.invisibleRootItem()
            root.removeRows(0, root.rowCount())
        finally:
            self.blockSignals(blocked)
        self._kids.clear()
        self._to_fill.clear()
        self._nodes.clear()
        self._rows.clear()
        self.diff = diff
        self.only_changes = only_changes
        self._put_rows("", root_nodes, announce=False)
        self.endResetModel()

    def clear(self) -> None:
        self.set_diff(None, [], self.only_changes)

    def set_reveal(self, reveal: bool) -> None:
        if reveal == self.reveal:
            return
        self.reveal = reveal
        self._remake_cells()

    def restyle(self) -> None:
        """The palette changed (light/dark theme): every made row takes its new colours."""
        self._look = None
        self._remake_cells()

    def _remake_cells(self) -> None:
        for path, kids in self._kids.items():
            if kids:
                parent = self._index_of_path(path)
                self._fill(kids, parent)
                self.dataChanged.emit(self.index(0, 0, parent), self.index(len(kids) - 1, len(COLUMNS) - 1, parent))

    def _cancel_loads(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()
        for future in self._loading.values():
            if not future.done():
                future.set_result(None)
        self._loading.clear()

    # --- rows ------------------------------------------------------------------------------
    def _put_rows(self, path: str, nodes: list[DiffNode], *, announce: bool) -> None:
        """The rows of level ``path`` (it has none yet). ``announce``: Qt is told (one
        rowsInserted; the cells are filled right after, and Qt told again)."""
        self._kids[path] = nodes
        for row, node in enumerate(nodes):
            self._nodes[node.path] = node
            self._rows[node.path] = row
        if not nodes:
            return
        parent_index = self._index_of_path(path)
        item = self.itemFromIndex(parent_index) if path else self.invisibleRootItem()
        blocked = self.blockSignals(True)
        try:
            if item.columnCount() < len(COLUMNS):
                item.setColumnCount(len(COLUMNS))
            if not announce:
                item.insertRows(0, len(nodes))
        finally:
            self.blockSignals(blocked)
        if announce:
            item.insertRows(0, len(nodes))
        whole = nodes[:FILL_WHOLE]
        self._fill(whole, parent_index)
        if announce:
            self.dataChanged.emit(self.index(0, 0, parent_index),
                                  self.index(len(whole) - 1, len(COLUMNS) - 1, parent_index))
        if len(nodes) > len(whole):
            self._to_fill.append((path, len(whole)))
            self._filler.start()

    def _fill_slice(self) -> None:
        """Rows put without their cells get them here, a few turns after, top rows first."""
        deadline = time.perf_counter() + FILL_SECONDS
        while self._to_fill and time.perf_counter() < deadline:
            path, first = self._to_fill.popleft()
            kids = self._kids.get(path)
            if kids is None or first >= len(kids):
                continue
            nodes = kids[first:first + FILL_SLICE]
            parent_index = self._index_of_path(path)
            self._fill(nodes, parent_index, first)
            self.dataChanged.emit(self.index(first, 0, parent_index),
                                  self.index(first + len(nodes) - 1, len(COLUMNS) - 1, parent_index))
            if first + len(nodes) < len(kids):
                self._to_fill.appendleft((path, first + len(nodes)))
        if self._to_fill:
            self._filler.start()

    def _fill(self, nodes: list[DiffNode], parent_index: QModelIndex, first: int = 0) -> None:
        """Every cell of these rows (from row ``first`` under ``parent_index``), Qt not told."""
        # One setData a role: with Qt not told, faster than setItemData (which converts a dict).
        index, set_data = self.index, self.setData
        blocked = self.blockSignals(True)
        try:
            for row, node in enumerate(nodes, first):
                for column, roles in enumerate(self._cells(node)):
                    cell = index(row, column, parent_index)
                    for role, value in roles.items():
                        set_data(cell, value, role)
        finally:
            self.blockSignals(blocked)

    def _cells(self, node: DiffNode) -> list[dict[int, Any]]:
        """What each of the row's four cells shows: text, tooltip, colour; the first cell
        also the path, the kind, the dot and (removed) a struck-out font."""
        look = self._look or self._make_look()
        change = node.change
        tooltip = self._tooltip(node, change)
        if change is not None and change.is_change:
            color = look.text.get(change.kind.value, look.plain)
            colors = [color] * len(COLUMNS)
        else:
            colors = [look.plain if node.has_changes else look.muted] * len(COLUMNS)
            if change is None and node.has_changes:
                colors[1] = look.text.get("changed", look.plain)  # a folder's counts
        cells: list[dict[int, Any]] = []
        for column in range(len(COLUMNS)):
            roles: dict[int, Any] = {_DISPLAY: self._text(node, change, column), _TOOLTIP: tooltip}
            if colors[column] is not None:
                roles[_FOREGROUND] = colors[column]
            cells.append(roles)
        first = cells[0]
        first[PATH_ROLE] = node.path
        first[KIND_ROLE] = change.kind.value if change is not None else ""
        if change is not None:
            first[_DECORATION] = look.dots.get(change.kind.value, look.muted_dot)
            if change.kind is ChangeKind.REMOVED:
                first[_FONT] = self._struck
        return cells

    def _make_look(self) -> _Look:
        self._look = _Look()
        return self._look

    def _tooltip(self, node: DiffNode, change: PathChange | None) -> str:
        if change is None:
            if self.diff is not None and self.diff.partial:  # only the changes were fetched
                return f"{node.path}\n{node.counts.changes} changed value(s) below"
            return f"{node.path}\n{node.total} value(s) below, {node.counts.changes} changed"
        return f"{node.path}\n{change.describe(reveal=self.reveal)}"

    def _text(self, node: DiffNode, change: PathChange | None, column: int) -> str:
        if column == 0:
            return node.name
        if change is None or (column == 1 and node.has_children and not change.is_change):
            return counts_text(node) if column == 1 else ""
        if column == 1:
            text = change_summary(change)
            if node.has_children and node.counts.changes > (1 if change.is_change else 0):
                text += "   " + counts_text(node)
            return text
        side: Side = "old" if column == 2 else "new"
        if change.entry(side) is None:
            return ""
        return change.value_text(side, reveal=self.reveal, limit=PREVIEW)

    # --- lazy levels ---------------------------------------------------------------------
    def _needs_executor(self, path: str) -> bool:
        node = self._nodes.get(path)
        if node is None:
            return False
        size = node.counts.changes if self.only_changes else node.total
        return size > SYNC_LIMIT

    def _make_level(self, path: str) -> bool:
        """Make level ``path``'s rows now, silently, unless it is listed in the executor:
        whether it has them now."""
        if path in self._kids:
            return True
        node = self._nodes.get(path)
        if self.diff is None or node is None or not node.has_children:
            self._kids[path] = []
            return True
        if self._needs_executor(path):
            return False  # fetchMore loads them
        self._put_rows(path, self.diff.children(path, only_changes=self.only_changes), announce=False)
        return True

    def _start_load(self, path: str) -> asyncio.Future[None]:
        future = self._loading.get(path)
        if future is not None:
            return future
        future = asyncio.get_event_loop().create_future()
        self._loading[path] = future
        task = self._run(self._load(path, future, self._generation), "Loading the diff", "")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _load(self, path: str, future: asyncio.Future[None], generation: int) -> None:
        diff = self.diff
        try:
            if diff is None:
                return
            job = functools.partial(diff.children, path, only_changes=self.only_changes)
            nodes = await asyncio.get_running_loop().run_in_executor(None, job)
            if generation != self._generation or path in self._kids:
                return
            self._put_rows(path, nodes, announce=True)
            self.childrenLoaded.emit(path)
        except asyncio.CancelledError:
            raise
        except Exception:  # a listing that failed must not leave the node "loading" forever
            log.exception("listing the diff below %r failed", path)
            if generation == self._generation and path not in self._kids:
                self._kids[path] = []
        finally:
            if generation == self._generation:
                self._loading.pop(path, None)
            if not future.done():
                future.set_result(None)

    async def ensure_path(self, path: str) -> QModelIndex:
        """The index of ``path`` (column 0), loading every level down to it; invalid if absent."""
        generation = self._generation
        level = ""
        for name in path.split("/") if path else []:
            if not self._make_level(level):
                await self._start_load(level)
                if generation != self._generation:
                    return QModelIndex()
            child = f"{level}/{name}" if level else name
            if child not in self._nodes or self._kids.get(level) is None:
                return QModelIndex()
            level = child
        return self._index_of_path(path)

    # --- lookups ------------------------------------------------------------------------------
    def _index_of_path(self, path: str) -> QModelIndex:
        """The first cell of a made row's index ('' = the top: the invalid index)."""
        if not path:
            return QModelIndex()
        parent = path.rpartition("/")[0]
        return self.index(self._rows[path], 0, self._index_of_path(parent))

    def node_at(self, index: Index) -> DiffNode | None:
        if not index.isValid():
            return None
        path = index.sibling(index.row(), 0).data(PATH_ROLE)
        if path is None:  # a row being inserted: Qt is told before its cells are filled
            kids = self._kids.get(path_of(index.parent()), [])
            return kids[index.row()] if index.row() < len(kids) else None
        return self._nodes.get(path)

    def change_at(self, index: Index) -> PathChange | None:
        node = self.node_at(index)
        return node.change if node is not None else None

    # --- what Python still answers ---------------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            return self.invisibleRootItem().rowCount()
        if parent.column() != 0:
            return 0
        path = path_of(parent)
        if path not in self._kids:
            self._make_level(path)
        item = self.itemFromIndex(parent if isinstance(parent, QModelIndex) else parent.sibling(parent.row(), 0))
        return item.rowCount() if item is not None else 0

    def hasChildren(self, parent: Index = _ROOT) -> bool:
        if not parent.isValid():
            return bool(self._kids.get(""))
        if parent.column() != 0:
            return False
        node = self.node_at(parent)
        if node is None:
            return False
        kids = self._kids.get(node.path)
        return bool(kids) if kids is not None else node.has_children

    def canFetchMore(self, parent: Index) -> bool:
        if not parent.isValid() or parent.column() != 0:
            return False
        path = path_of(parent)
        return path not in self._kids and path not in self._loading and self._needs_executor(path)

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._start_load(path_of(parent))


class _Look:
    """The diff's colours and dots for the palette in use (the app's light or dark theme)."""

    def __init__(self) -> None:
        self.muted = QBrush(muted_text())
        self.plain: QBrush | None = None  # the view's own text colour
        self.text: dict[str, QBrush | None] = {}
        self.dots: dict[str, QIcon] = {}
        for kind in ChangeKind:
            colors = kind_colors(kind)
            self.text[kind.value] = QBrush(colors.text) if colors is not None else None
            self.dots[kind.value] = dot(colors.edge.name() if colors is not None else muted_text().name(), 10)
        self.muted_dot = dot(muted_text().name(), 10)
