"""The whole-tree diff as a lazy Qt tree model over ``TreeDiff.children``.

Node objects (:class:`_Item`) live on the Python side with their row, so
``parent()`` is O(1). Children are built on first request: small subtrees at
once, a subtree with more than :data:`SYNC_LIMIT` paths in the default
executor (``canFetchMore``/``fetchMore``), then inserted with one
begin/end pair, so a flat 100,000-key tree never stalls the UI.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from zhi_gui.core.diff import ChangeKind, DiffNode, LabelChangeKind, PathChange, Side, TreeDiff
from zhi_gui.ui.history.colors import kind_colors, muted_text
from zhi_gui.ui.tasks import Runner, standalone_runner
from zhi_gui.ui.theme import dot

log = logging.getLogger("zhi_gui.ui.history")
Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Key", "Change", "Old value", "New value")
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "added" | "removed" | "changed" | "unchanged" | "" (folder)
SYNC_LIMIT = 3000  # paths below a node that we list on the UI thread (~7 us per child)
PREVIEW = 80


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


class _Item:
    __slots__ = ("by_name", "children", "loading", "node", "parent", "row")

    def __init__(self, node: DiffNode | None, parent: _Item | None, row: int) -> None:
        self.node = node
        self.parent = parent
        self.row = row
        self.children: list[_Item] | None = None
        self.by_name: dict[str, _Item] | None = None
        self.loading: asyncio.Future[None] | None = None

    @property
    def path(self) -> str:
        return self.node.path if self.node is not None else ""


class TreeDiffModel(QAbstractItemModel):
    childrenLoaded = Signal(str)  # path of the node whose children arrived from the executor

    def __init__(self, *, run: Runner | None = None) -> None:
        super().__init__()
        self.diff: TreeDiff | None = None
        self.only_changes = True
        self.reveal = False
        self._root = _Item(None, None, 0)
        self._root.children = []
        self._generation = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._run = run or standalone_runner()
        self._struck = QFont()
        self._struck.setStrikeOut(True)

    # --- feeding -----------------------------------------------------------------------
    def set_diff(self, diff: TreeDiff | None, root_nodes: list[DiffNode], only_changes: bool) -> None:
        """Show ``diff``; ``root_nodes`` = ``diff.children('', only_changes=...)`` (built off the UI thread)."""
        self.beginResetModel()
        self._cancel_loads()
        self._generation += 1
        self.diff = diff
        self.only_changes = only_changes
        self._root = _Item(None, None, 0)
        self._root.children = [_Item(n, self._root, i) for i, n in enumerate(root_nodes)]
        self.endResetModel()

    def clear(self) -> None:
        self.set_diff(None, [], self.only_changes)

    def set_reveal(self, reveal: bool) -> None:
        if reveal == self.reveal:
            return
        self.reveal = reveal
        stack = [self._root]
        while stack:  # every loaded level repaints its value columns
            item = stack.pop()
            if item.children:
                parent = self._index_of(item)
                self.dataChanged.emit(self.index(0, 1, parent), self.index(len(item.children) - 1, 3, parent))
                stack.extend(c for c in item.children if c.children)

    def _cancel_loads(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks.clear()

    # --- lazy children ---------------------------------------------------------------------
    def _needs_executor(self, item: _Item) -> bool:
        node = item.node
        if node is None:
            return False
        size = node.counts.changes if self.only_changes else node.total
        return size > SYNC_LIMIT

    def _list(self, item: _Item, nodes: list[DiffNode]) -> list[_Item]:
        items = [_Item(n, item, i) for i, n in enumerate(nodes)]
        return items

    def _children(self, item: _Item) -> list[_Item]:
        if item.children is None:
            if self.diff is None or item.node is None or not item.node.has_children:
                item.children = []
            elif self._needs_executor(item):
                return []  # fetchMore loads them
            else:
                item.children = self._list(item, self.diff.children(item.path, only_changes=self.only_changes))
        return item.children

    def _start_load(self, item: _Item) -> asyncio.Future[None]:
        if item.loading is not None:
            return item.loading
        loop = asyncio.get_event_loop()
        future: asyncio.Future[None] = loop.create_future()
        item.loading = future
        task = self._run(self._load(item, future, self._generation), "Loading the diff", "")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return future

    async def _load(self, item: _Item, future: asyncio.Future[None], generation: int) -> None:
        diff = self.diff
        try:
            if diff is None:
                return
            job = functools.partial(diff.children, item.path, only_changes=self.only_changes)
            nodes = await asyncio.get_running_loop().run_in_executor(None, job)
            if generation != self._generation or item.children is not None:
                return
            items = self._list(item, nodes)
            if items:
                self.beginInsertRows(self._index_of(item), 0, len(items) - 1)
                item.children = items
                self.endInsertRows()
            else:
                item.children = []
            self.childrenLoaded.emit(item.path)
        except asyncio.CancelledError:
            raise
        except Exception:  # a listing that failed must not leave the node "loading" forever
            log.exception("listing the diff below %r failed", item.path)
            if generation == self._generation and item.children is None:
                item.children = []
        finally:
            item.loading = None
            if not future.done():
                future.set_result(None)

    async def ensure_path(self, path: str) -> QModelIndex:
        """The index of ``path`` (column 0), loading every level down to it; invalid if absent."""
        generation = self._generation
        item = self._root
        prefix = ""
        for name in path.split("/") if path else []:
            prefix = f"{prefix}/{name}" if prefix else name
            if item.children is None and self._needs_executor(item):
                await self._start_load(item)
                if generation != self._generation:
                    return QModelIndex()
            children = self._children(item)
            if item.by_name is None or len(item.by_name) != len(children):
                item.by_name = {c.node.name: c for c in children if c.node is not None}
            found = item.by_name.get(name)
            if found is None:
                return QModelIndex()
            item = found
        return self._index_of(item)

    # --- lookups ------------------------------------------------------------------------------
    def _item(self, index: Index) -> _Item:
        if not index.isValid():
            return self._root
        item = index.internalPointer()
        assert isinstance(item, _Item)
        return item

    def _index_of(self, item: _Item, column: int = 0) -> QModelIndex:
        if item is self._root or item.parent is None:
            return QModelIndex()
        return self.createIndex(item.row, column, item)

    def node_at(self, index: Index) -> DiffNode | None:
        return self._item(index).node if index.isValid() else None

    def change_at(self, index: Index) -> PathChange | None:
        node = self.node_at(index)
        return node.change if node is not None else None

    # --- QAbstractItemModel ---------------------------------------------------------------------
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if column < 0 or column >= len(COLUMNS) or row < 0:
            return QModelIndex()
        kids = self._children(self._item(parent))
        if row >= len(kids):
            return QModelIndex()
        return self.createIndex(row, column, kids[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        parent = self._item(index).parent
        return QModelIndex() if parent is None else self._index_of(parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self._children(self._item(parent)))

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        item = self._item(parent)
        if item.children is not None:
            return bool(item.children)
        return item.node is not None and item.node.has_children

    def canFetchMore(self, parent: Index) -> bool:
        if not parent.isValid() or parent.column() != 0:
            return False
        item = self._item(parent)
        return item.children is None and item.loading is None and self._needs_executor(item)

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._start_load(self._item(parent))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._item(index).node
        if node is None:
            return None
        change = node.change
        column = index.column()
        if role == PATH_ROLE:
            return node.path
        if role == KIND_ROLE:
            return change.kind.value if change is not None else ""
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(node, change, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if change is None:
                if self.diff is not None and self.diff.partial:  # only the changes were fetched
                    return f"{node.path}\n{node.counts.changes} changed value(s) below"
                return f"{node.path}\n{node.total} value(s) below, {node.counts.changes} changed"
            return f"{node.path}\n{change.describe(reveal=self.reveal)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            if change is not None and change.is_change:
                colors = kind_colors(change.kind)
                return colors.text if colors is not None else None
            if column == 1 and change is None and node.has_changes:
                colors = kind_colors("changed")
                return colors.text if colors is not None else None
            if not node.has_changes:
                return muted_text()
            return None
        if role == Qt.ItemDataRole.FontRole and column == 0 and change is not None \
                and change.kind is ChangeKind.REMOVED:
            return self._struck
        if role == Qt.ItemDataRole.DecorationRole and column == 0 and change is not None:
            colors = kind_colors(change.kind)
            return dot(colors.edge.name() if colors is not None else muted_text().name(), 10)
        return None

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
