"""The value tree as a Qt model: an adapter over ``TreeIndex`` + ``Staging`` whose rows Qt
reads without calling Python.

The rows Qt has asked for are held as ``QStandardItem`` cells, their texts and looks made
once, so painting the tree (``index``, ``parent``, ``multiData`` for every cell of every
shown row, about 900 calls a repaint) is answered in C++: a repaint costs about a third of
what it did when each of those calls ran Python (``benchmarks/bench_tree_paint.py``).
Python still decides what the rows are:

* Lazy: a group's rows are made when Qt first asks how many it has (``rowCount``, which Qt
  asks before anything about the rows). Qt was told the group has children
  (``hasChildren``); the rows are made without announcing them, as they were always there.
  ``index`` (Qt's own) answers for rows made: code reading a group's rows asks ``rowCount``
  first, as views do, or uses ``index_of_path``.
  In a big tree loaded lazily by the session, a group whose children are not read yet has
  ``canFetchMore``; ``fetchMore`` asks the session (through ``fetcher``) and the rows are
  inserted when they arrive (``on_children_loaded``).
* Filtering happens in the index (data source); the model swaps the set of visible nodes.
* Staged edits are drawn over the stored values; staged additions and their undo insert and
  remove rows in place so the view keeps its expansion state.

``_kids`` holds, per shown group, the nodes of the rows Qt was given, in row order (each
node's ``row`` says where it is). A row's first cell carries its node's id (``_by_id``); the
cells are made by Qt from a prototype, so no Python object stays behind for each of them.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QFont, QStandardItem, QStandardItemModel

from zhi_gui.core.display import is_secret, preview, type_name
from zhi_gui.core.entries import Entry
from zhi_gui.core.tree_index import Node, TreeIndex

if TYPE_CHECKING:
    from zhi_gui.core.staging import Staging

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Key", "Value", "Type", "Version")
_COLUMN_COUNT = len(COLUMNS)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1  # on a row's first cell: the node's path (see path_of)
# A row's new place while rows are reordered: a role of its own each time (from this one up),
# so the sort, which reaches every level below too, finds no order there (a cell keeps one
# small number per reordering it took part in; they are rare: imports, big live updates).
_FIRST_ORDER_ROLE = Qt.ItemDataRole.UserRole + 1000
_NODE_ROLE = Qt.ItemDataRole.UserRole + 4  # on a row's first cell: id() of its node

REFRESH_SLICE = 50  # rows announced as changed per event-loop turn at most (a save of 1,000 edits: 20+ turns)
RELAYOUT_RUNS = 200  # runs of rows coming or going in one change above which the view relays out once
REFRESH_SECONDS = 0.002  # and time spent announcing them: the view's repaint follows in the same turn
FILL_AT_ONCE = 1_000  # new rows in one change above which all of them get their first cell only at once
# Rows of a group put whole at once: more than a tall window shows. Filling a row costs
# ~10 us; the 200 top-level rows of a 100,000-value store made ~2 ms of the load's turn.
FILL_WHOLE = 120
_COLORS = {"added": QColor("#2e9d4f"), "changed": QColor("#c07a00"), "deleted": QColor("#c0392b")}
_FONT, _FOREGROUND = Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole
_CELL_FLAGS = Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEnabled  # not editable in place
# A value's row says it has no children in its flags, which Qt reads in C++: a view lays out
# each row it shows asking ``hasChildren`` unless the flags answer (100,000 expanded rows:
# 0.31 s of Python calls per layout, 0.015 s without). Where QStandardItem keeps its flags.
_FLAGS_ROLE = Qt.ItemDataRole.UserRole - 1
_NEVER = Qt.ItemFlag.ItemNeverHasChildren
_LEAF_FLAGS = (_CELL_FLAGS | _NEVER).value
_ROOT = QModelIndex()
_DISPLAY, _TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


def path_of(index: QModelIndex | QPersistentModelIndex) -> str:
    """The path of the key on ``index``'s row, whichever column it is in."""
    return str(index.sibling(index.row(), 0).data(PATH_ROLE)) if index.isValid() else ""


class ValueTreeModel(QStandardItemModel):
    def __init__(self, index: TreeIndex | None = None, staging: Staging | None = None) -> None:
        super().__init__()
        self.setHorizontalHeaderLabels(list(COLUMNS))
        self._order_role = int(_FIRST_ORDER_ROLE)
        self._root_item = self.invisibleRootItem()
        # The cells Qt makes when a row's data is set: selectable, not editable in place.
        self._prototype = QStandardItem()
        self._prototype.setFlags(_CELL_FLAGS)
        self.setItemPrototype(self._prototype)
        self.index_data = index or TreeIndex()
        # An empty model's staging is made when first asked for: the app's first window paints
        # its (empty) tree before the staging module's data classes are needed (issue 14).
        self._staging = staging if staging else None
        self.visible: set[str] | None = None
        # Under a filter, the shown paths with shown paths right below, and how many (a
        # ShownPaths result); None: not known, each row's children are looked at instead.
        self._groups: dict[str, int] | None = None
        self._kids: dict[int, list[Node]] = {}
        self._by_id: dict[int, Node] = {}  # id() -> node, for every node with a row
        # Asks for a lazily loaded group's children (set by the window); None: nothing to ask.
        self.fetcher: Callable[[str], object] | None = None
        self._fetching: set[str] = set()
        # Rows whose look changed (staged, saved), announced a slice per turn.
        self._to_refresh: list[str] = []
        self._refresher = QTimer(self)
        self._refresher.setSingleShot(True)  # started again after each slice (see _refresh_slice)
        self._refresher.setInterval(0)
        self._refresher.timeout.connect(self._refresh_slice)
        self._to_fill: deque[Node] = deque()
        self._bulk = False  # rows put now are part of a big change: their cells filled later
        self._filler = QTimer(self)
        self._filler.setSingleShot(True)
        self._filler.setInterval(0)
        self._filler.timeout.connect(self._fill_slice)
        self._bold = QFont()
        self._bold.setBold(True)
        self._struck = QFont()
        self._struck.setStrikeOut(True)
        self._brushes = {state: QBrush(color) for state, color in _COLORS.items()}

    @property
    def staging(self) -> Staging:
        if self._staging is None:
            from zhi_gui.core.staging import Staging

            self._staging = Staging()
        return self._staging

    @staging.setter
    def staging(self, staging: Staging) -> None:
        self._staging = staging

    # --- feeding -------------------------------------------------------------------
    def set_tree(self, index: TreeIndex, staging: Staging) -> None:
        self.beginResetModel()
        self._drop_rows()
        self.index_data, self.staging, self.visible, self._groups = index, staging, None, None
        self._fetching.clear()
        self._to_refresh.clear()
        for path, change in staging.changes.items():
            if change.new is not None and path not in index.nodes:
                index.add_path(path)
        self._shown_children(index.root)
        self.endResetModel()

    def set_visible(self, visible: set[str] | None) -> None:
        """Show only these node paths (a filter result); None shows everything."""
        if visible is None and self.visible is None:  # everything shown still (a filter matching all)
            return
        self.beginResetModel()
        self._drop_rows()
        self.visible = visible
        self._groups = getattr(visible, "groups", None)
        self._to_refresh.clear()
        self._shown_children(self.index_data.root)
        self.endResetModel()

    def _drop_rows(self) -> None:
        """Every row goes (inside a reset: Qt is told by the reset)."""
        blocked = self.blockSignals(True)
        try:
            self._root_item.removeRows(0, self._root_item.rowCount())
        finally:
            self.blockSignals(blocked)
        self._kids.clear()
        self._by_id.clear()
        self._to_fill.clear()

    # --- structure ---------------------------------------------------------------------
    def _node(self, index: Index) -> Node:
        if not index.isValid():
            return self.index_data.root
        node = self._by_id.get(index.sibling(index.row(), 0).data(_NODE_ROLE))
        if node is None:  # a row being inserted, told to Qt before its cells are filled
            return self._kids[id(self._node(index.parent()))][index.row()]
        return node

    def _item_of(self, node: Node) -> QStandardItem:
        return self._root_item if node is self.index_data.root else self.itemFromIndex(self._index_of(node))

    def _index_of(self, node: Node) -> QModelIndex:
        """The first cell of a shown node's row (the root: the invalid index)."""
        if node is self.index_data.root or node.parent is None:
            return QModelIndex()
        return self.index(node.row, 0, self._index_of(node.parent))

    def _shown_children(self, node: Node) -> list[Node]:
        """The nodes of ``node``'s rows, made the first time they are asked for (silently: Qt
        knows the group has children, and asks for them only now)."""
        kids = self._kids.get(id(node))
        if kids is None:
            # A copy: the index adds staged paths to node.children before the model
            # announces them.
            kids = self._wanted_children(node)
            _renumber(kids)
            self._kids[id(node)] = kids
            if kids:
                self._put_rows(node, 0, kids, announce=False)
        return kids

    def _put_rows(self, group: Node, first: int, nodes: list[Node], *, announce: bool) -> None:
        """Rows for ``nodes`` at ``first`` under ``group``'s row. ``announce``: Qt is told
        (one rowsInserted for them all; the cells are filled right after, Qt told again)."""
        parent = self._item_of(group)
        parent_index = self._parent_index(group)
        blocked = self.blockSignals(True)
        try:
            if parent_index.isValid() and parent_index.flags() & _NEVER:
                self.setData(parent_index, _CELL_FLAGS.value, _FLAGS_ROLE)  # a value's first keys below
            if parent.columnCount() < _COLUMN_COUNT:
                parent.setColumnCount(_COLUMN_COUNT)
            if not announce:
                parent.insertRows(first, len(nodes))
        finally:
            self.blockSignals(blocked)
        if announce:
            parent.insertRows(first, len(nodes))
        # The first rows whole (a screenful and more); of a big group, or of many rows put
        # at once (an import of 100,000 keys), the others' value cells a slice per turn.
        whole = 0 if self._bulk else FILL_WHOLE
        blocked = self.blockSignals(True)
        try:
            for row, node in enumerate(nodes, first):
                self._fill_first(node, row, parent_index)
                if row - first < whole:
                    self._fill_rest(node, row, parent_index)
        finally:
            self.blockSignals(blocked)
        if len(nodes) > whole:
            self._to_fill.extend(nodes[whole:])
            self._filler.start()
        if announce:
            self.dataChanged.emit(self.index(first, 0, parent_index),
                                  self.index(first + len(nodes) - 1, _COLUMN_COUNT - 1, parent_index))

    # Everything Qt or the window reads is in the cells: no ``data`` in Python, which Qt
    # would call for every role of every painted cell (QStandardItemModel's multiData does).
    def _fill_first(self, node: Node, row: int, parent_index: QModelIndex) -> None:
        """The row's first cell: the key's name, and what the structure is read from."""
        path = node.path
        self._by_id[id(node)] = node
        cell = {_DISPLAY: node.name, PATH_ROLE: path, _TOOLTIP: path, _NODE_ROLE: id(node)}
        if not node.children and path not in self.index_data.unloaded:
            cell[_FLAGS_ROLE] = _LEAF_FLAGS  # (undone when rows are put below it: _put_rows)
        self.setItemData(self.index(row, 0, parent_index), cell)

    def _fill_rest(self, node: Node, row: int, parent_index: QModelIndex) -> None:
        """The row's value, type and version, and its look when staged."""
        index, set_data = self.index, self.setData
        for column, text in enumerate(self._texts(node), 1):
            if text:  # (a group's type and version: no cell at all, nothing to make)
                set_data(index(row, column, parent_index), text)
        state = self.state(node.path)
        if state:
            self._set_look(row, parent_index, state)

    def _fill_slice(self) -> None:
        """Rows put in bulk get their other cells here, a slice per turn, top rows first."""
        deadline = time.perf_counter() + REFRESH_SECONDS
        queue = self._to_fill
        while queue and time.perf_counter() < deadline:
            node = queue.popleft()
            if node.parent is None or not self._is_shown(node):
                continue  # gone meanwhile
            parent_index = self._parent_index(node.parent)
            blocked = self.blockSignals(True)
            try:
                self._fill_rest(node, node.row, parent_index)
            finally:
                self.blockSignals(blocked)
            self.dataChanged.emit(self.index(node.row, 1, parent_index),
                                  self.index(node.row, _COLUMN_COUNT - 1, parent_index))
        if queue:
            self._filler.start()

    def _set_look(self, row: int, parent_index: QModelIndex, state: str) -> None:
        font = (self._struck if state == "deleted" else self._bold) if state else None
        brush = self._brushes[state] if state else None
        for column in range(_COLUMN_COUNT):
            cell = self.index(row, column, parent_index)
            self.setData(cell, font, _FONT)
            self.setData(cell, brush, _FOREGROUND)

    def rowCount(self, parent: Index = _ROOT) -> int:
        if not parent.isValid():
            node, item = self.index_data.root, self._root_item
        else:
            if parent.column():
                return 0
            node = self._node(parent)
            item = None
        if id(node) not in self._kids:
            self._shown_children(node)
        if item is None:
            item = self.itemFromIndex(parent if isinstance(parent, QModelIndex) else parent.sibling(parent.row(), 0))
        return item.rowCount()  # what Qt was told (also while rows are being inserted)

    def hasChildren(self, parent: Index = _ROOT) -> bool:
        if parent.isValid() and parent.column() != 0:
            return False
        node = self._node(parent)
        if self.visible is None:
            return bool(node.children) or node.path in self.index_data.unloaded
        kids = self._kids.get(id(node))
        if kids is None and self._groups is not None:
            # A layout after a filter asks this of every row it lays out: listing each row's
            # shown children for it was most of the layout (10,000 checks for 200 groups).
            return node.path in self._groups
        return bool(kids if kids is not None else self._wanted_children(node))

    def canFetchMore(self, parent: Index) -> bool:
        if self.fetcher is None or (parent.isValid() and parent.column() != 0):
            return False
        path = self._node(parent).path
        return path in self.index_data.unloaded and path not in self._fetching

    def fetchMore(self, parent: Index) -> None:
        if not self.canFetchMore(parent) or self.fetcher is None:
            return
        path = self._node(parent).path
        self._fetching.add(path)
        self.fetcher(path)

    def on_children_loaded(self, index: TreeIndex, path: str) -> None:
        """The session added a group's children to the index: show them in place (rows a
        filter result had put there already are replaced)."""
        self._fetching.discard(path)
        node = index.nodes.get(path)
        if index is not self.index_data or node is None:
            return
        if node is not index.root and self._is_shown(node):
            self._refresh_row(node)  # "5,000 values" (not read yet) becomes "50 keys"
        kids = self._kids.get(id(node))
        if kids is None:
            return  # not shown yet: Qt asks when it needs the rows
        if kids:
            self._remove_rows(node, kids, 0, len(kids) - 1)
        fresh = self._wanted_children(node)
        if fresh:
            _renumber(fresh)
            self._kids[id(node)] = fresh
            self._put_rows(node, 0, fresh, announce=True)
        else:
            self._kids[id(node)] = []

    def _remove_rows(self, group: Node, rows: list[Node], first: int, last: int) -> None:
        """Rows ``first``..``last`` of ``group`` go, Qt told; ``rows`` (the group's shown
        nodes) loses them."""
        gone = rows[first:last + 1]
        self._item_of(group).removeRows(first, last - first + 1)
        for node in gone:
            self._forget(node)
        del rows[first:last + 1]
        _renumber(rows, first)

    def index_of_path(self, path: str, column: int = 0) -> QModelIndex:
        """The model index of a node, making its ancestors' rows."""
        node = self.index_data.nodes.get(path)
        if node is None or node is self.index_data.root:
            return QModelIndex()
        chain = []
        current: Node | None = node
        while current is not None and current is not self.index_data.root:
            chain.append(current)
            current = current.parent
        for ancestor in reversed(chain):
            assert ancestor.parent is not None
            kids = self._shown_children(ancestor.parent)
            if ancestor.row >= len(kids) or kids[ancestor.row] is not ancestor:
                return QModelIndex()  # filtered out
        index = self._index_of(node)
        return index.siblingAtColumn(column) if column else index

    def expanded_paths(self, is_expanded: Callable[[QModelIndex], bool]) -> list[str]:
        """The paths of the groups ``is_expanded`` (a view's) says are open, parents first,
        only under open groups. Only rows whose own rows were made are asked about: every
        row a view expanded is one (it asked how many rows it has), the values are not.
        After an expand everything (10,000 groups among 110,000 rows) a walk asking every
        row was 0.3 s of the filter's first keystroke."""
        found: list[str] = []
        made, index = self._kids, self.index
        todo: list[tuple[Node, QModelIndex]] = [(self.index_data.root, QModelIndex())]
        while todo:
            group, group_index = todo.pop()
            for kid in made.get(id(group), ()):
                if id(kid) in made:
                    kid_index = index(kid.row, 0, group_index)
                    if is_expanded(kid_index):
                        found.append(kid.path)
                        todo.append((kid, kid_index))
        return found

    # --- data ------------------------------------------------------------------------------
    def current_entry(self, path: str) -> Entry | None:
        """What the user sees for a path: the staged value, else the stored one."""
        change = self.staging.get(path)
        if change is not None:
            return change.new
        return self.index_data.entries.get(path)

    def state(self, path: str) -> str:
        staging = self._staging
        change = staging.changes.get(path) if staging is not None else None
        if change is None:
            return ""
        return "deleted" if change.is_delete else "added" if change.is_add else "changed"

    def _texts(self, node: Node) -> tuple[str, str, str]:
        """The Value, Type and Version cells of ``node``'s row."""
        staging = self._staging
        change = staging.changes.get(node.path) if staging is not None else None
        stored = self.index_data.entries.get(node.path)
        entry = change.new if change is not None else stored
        if entry is None:
            if change is not None and change.is_delete:
                return "(deleted)", "", ""
            below = self.index_data.unloaded.get(node.path)
            # A group not read whole yet says how many values it holds, also when a filter
            # read a few of them (and without a filter only those would count as its keys).
            if below is not None and (self.visible is None or not node.children):
                return (f"{below:,} value" if below == 1 else f"{below:,} values"), "", ""
            if node.children:
                # Under a filter, the keys its expansion shows: a group read whole from a
                # big store while filtered holds its other keys too, hidden.
                count = len(node.children) if self.visible is None else self._shown_count(node)
                return (f"{count} key" if count == 1 else f"{count:,} keys"), "", ""
            return "", "", ""
        version = stored.version if stored is not None else ""
        return (preview(entry.value_json, is_secret(entry)), type_name(entry.value_json),
                f"{version} *" if change is not None else version)

    def _shown_count(self, node: Node) -> int:
        """How many rows ``node`` shows under the filter (without making them)."""
        kids = self._kids.get(id(node))
        if kids is not None:
            return len(kids)
        if self._groups is not None:
            return self._groups.get(node.path, 0)
        visible = self.visible
        return len(node.children) if visible is None else sum(1 for c in node.children if c.path in visible)

    # --- staged edits ---------------------------------------------------------------------
    def on_paths_changed(self, paths: Iterable[str]) -> None:
        """Rows for paths whose staged state or stored value changed (staged edits; a save;
        a live update that replaced values in place): new keys appear where they sort,
        keys gone from the store and not staged go, the rest repaint. The index already
        holds every stored change, so each affected group is brought in line with it."""
        groups: dict[int, Node] = {}
        looked: set[int] = set()  # groups Qt never asked for rows, looked at once (_unannounced_top)
        for path in sorted(paths):
            change = self.staging.get(path)
            node = self.index_data.nodes.get(path)
            if node is None and change is not None and change.new is not None:  # a staged new key
                if self.visible is not None:
                    new = self.index_data.visible_nodes([path]) - self.visible
                    self.visible |= new
                    if self._groups is not None:
                        for new_path in new:  # each new shown path is one more row of its group
                            if new_path:
                                above = new_path.rpartition("/")[0]
                                self._groups[above] = self._groups.get(above, 0) + 1
                self.index_data.add_path(path)
                node = self.index_data.nodes.get(path)
            if node is None:
                continue
            top: Node | None = None
            if path in self.index_data.entries or change is not None:
                top = self._unannounced_top(node, looked)
            else:
                top = self.index_data.removable_top(
                    path, keep=lambda p: p in self.index_data.entries or p in self.staging)
                if top is not None and top.parent is not None:
                    # The view is told below, with its group; the nodes stay linked below ``top``
                    # (and in the group's shown rows) until their rows go.
                    self.index_data.remove_subtree(top)
            if top is not None and top.parent is not None:
                groups[id(top.parent)] = top.parent
            else:
                self._to_refresh.append(path)
        # Each shown group (not one removed meanwhile with its parent), parents first, with
        # the rows Qt was last given and the rows the index holds now.
        changes = [(group, shown, self._wanted_children(group))
                   for group in sorted(groups.values(), key=lambda g: g.path.count("/") if g.path else -1)
                   if (group is self.index_data.root or self.index_data.nodes.get(group.path) is group)
                   # (a value's row given its first keys got its empty rows in _unannounced_top)
                   and (shown := self._kids.get(id(group))) is not None]  # never shown: Qt asks when it needs it
        # Many new rows (an import): their first cells now, the rest a slice per turn.
        self._bulk = sum(max(0, len(wanted) - len(shown)) for _group, shown, wanted in changes) > FILL_AT_ONCE
        try:
            if sum(_runs(shown, wanted) for _group, shown, wanted in changes) > RELAYOUT_RUNS:
                self._relayout(changes)
            else:
                for group, shown, wanted in changes:
                    if self._kids.get(id(group)) is shown:  # (not gone with a parent's rows just now)
                        self._sync_children(group, shown, wanted)
        finally:
            self._bulk = False
        self._refresh_slice()

    on_staged = on_paths_changed  # Staging.listeners
    on_values_changed = on_paths_changed  # the session replaced values in place

    def _rows_given(self, group: Node) -> list[Node] | None:
        """The nodes of the rows Qt was given under ``group``; None: it never asked (it will
        when it needs them). A value's row, which Qt was told has no children, gets its first
        keys announced: Qt would not ask."""
        shown = self._kids.get(id(group))
        if shown is None and group.parent is not None and self._is_shown(group) \
                and self._index_of(group).flags() & _NEVER:
            shown = self._kids[id(group)] = []
        return shown

    def _unannounced_top(self, node: Node, looked: set[int]) -> Node | None:
        """The node above (or at) ``node`` that the index has but the view was never told of:
        absent from its parent's children as last given to Qt (a value's row was told it
        has none). ``looked``: the parents without rows given already looked at."""
        found = None
        current = node
        while current.parent is not None:
            kids = self._kids.get(id(current.parent))
            if kids is None and id(current.parent) not in looked:
                looked.add(id(current.parent))
                kids = self._rows_given(current.parent)
            # O(1): a shown node sits at its row (a save touches 1,000 keys at once)
            if kids is not None and not (current.row < len(kids) and kids[current.row] is current):
                found = current
            current = current.parent
        return found

    def _wanted_children(self, group: Node) -> list[Node]:
        everything = group.sorted_children()
        return list(everything) if self.visible is None else [c for c in everything if c.path in self.visible]

    def _relayout(self, changes: list[tuple[Node, list[Node], list[Node]]]) -> None:
        """Many rows at once (an import of 100,000 keys among the shown ones, a big save from
        elsewhere arriving live): one layout change instead of a Qt step per run of rows,
        which cost a pass over every persistent index each (100,000 keys interleaved with
        the shown ones froze the window for seconds). New rows are put at the end of their
        group, every row is given its new place and the group's rows sorted by it (a sort
        moves the persistent indexes with their rows: the view's expanded groups, the
        selection, the current row follow their nodes), and the rows that went, sorted last,
        are removed at once (their persistent indexes become invalid, as a removal makes them)."""
        self.layoutAboutToBeChanged.emit()
        blocked = self.blockSignals(True)
        try:
            for group, shown, wanted in changes:  # (``changes`` keeps the rows that went alive until the end)
                if self._kids.get(id(group)) is not shown:
                    continue  # gone with a parent's rows just now
                present = {id(node) for node in shown}
                keep = {id(node) for node in wanted}
                new = [node for node in wanted if id(node) not in present]
                gone = [node for node in shown if id(node) not in keep]
                if new:
                    self._put_rows(group, len(shown), new, announce=False)
                place = {id(node): row for row, node in enumerate(wanted)}
                parent, parent_index = self._item_of(group), self._parent_index(group)
                self._order_role += 1
                self.setSortRole(self._order_role)
                index, set_data, role = self.index, self.setData, self._order_role
                for row, node in enumerate([*shown, *new]):
                    set_data(index(row, 0, parent_index), place.get(id(node), len(wanted) + row), role)
                parent.sortChildren(0)
                if gone:
                    parent.removeRows(len(wanted), len(gone))
                    for node in gone:
                        self._forget(node)
                self._kids[id(group)] = wanted
                _renumber(wanted)
        finally:
            self.blockSignals(blocked)
        self.layoutChanged.emit()

    def _is_shown(self, node: Node) -> bool:
        """Qt was given ``node`` as a row of its parent, where ``node.row`` says."""
        kids = self._kids.get(id(node.parent)) if node.parent is not None else None
        return kids is not None and node.row < len(kids) and kids[node.row] is node

    def _sync_children(self, group: Node, shown: list[Node], wanted: list[Node]) -> None:
        """Tell Qt how ``group``'s rows went from what it was last given to what the index
        holds now: removals bottom up, then insertions top down, each run of neighbouring
        rows in one step (an import adding 1,000 keys to a group was 1,000 steps, each
        renumbering the group: quadratic, seconds of frozen window)."""
        keep = {id(node) for node in wanted}
        rows = list(shown)
        self._kids[id(group)] = rows
        row = len(rows) - 1
        while row >= 0:
            if id(rows[row]) in keep:
                row -= 1
                continue
            last = row
            while row > 0 and id(rows[row - 1]) not in keep:
                row -= 1
            self._remove_rows(group, rows, row, last)
            row -= 1
        present = {id(node) for node in rows}
        row = 0
        while row < len(wanted):
            if id(wanted[row]) in present:
                row += 1
                continue
            end = row
            while end + 1 < len(wanted) and id(wanted[end + 1]) not in present:
                end += 1
            # rows[:row] is wanted[:row] here: what is left of the shown rows keeps its (sorted)
            # order; the row-by-row loop below would catch anything else.
            added = wanted[row:end + 1]
            rows[row:row] = added
            _renumber(rows, row)
            self._put_rows(group, row, added, announce=True)
            row = end + 1
        for row, node in enumerate(wanted):
            if row >= len(rows) or rows[row] is not node:
                rows.insert(row, node)
                _renumber(rows)
                self._put_rows(group, row, [node], announce=True)
        if group is not self.index_data.root and self._is_shown(group):
            self._refresh_row(group)  # its key count

    def _refresh_slice(self) -> None:
        deadline = time.perf_counter() + REFRESH_SECONDS
        done = 0
        for path in self._to_refresh[:REFRESH_SLICE]:
            self._refresh(path)
            done += 1
            if time.perf_counter() >= deadline:
                break
        del self._to_refresh[:done]
        # A repeating zero timer would be due again at once, ahead of the timers that came due
        # meanwhile: started after the slice, the next one waits its turn.
        if self._to_refresh:
            self._refresher.start()
        else:
            self._refresher.stop()

    def _refresh(self, path: str) -> None:
        node = self.index_data.nodes.get(path)
        if node is None or node.parent is None:
            return
        if not self._is_shown(node):
            return  # not shown yet: its row is made from the index when Qt asks for it
        self._refresh_row(node)

    def _refresh_row(self, node: Node) -> None:
        """A shown row's cells made again from the index and the staging, Qt told once."""
        assert node.parent is not None
        parent_index = self._parent_index(node.parent)
        row = node.row
        blocked = self.blockSignals(True)
        try:
            for column, text in enumerate(self._texts(node), 1):
                self.setData(self.index(row, column, parent_index), text)
            self._set_look(row, parent_index, self.state(node.path))
        finally:
            self.blockSignals(blocked)
        self.dataChanged.emit(self.index(row, 0, parent_index), self.index(row, _COLUMN_COUNT - 1, parent_index))

    def _forget(self, node: Node) -> None:
        # Dictionaries are keyed by id(): a removed node's (or cell's) id can be reused.
        stack = [node]
        while stack:
            current = stack.pop()
            self._kids.pop(id(current), None)
            self._by_id.pop(id(current), None)
            stack.extend(current.children)

    def _parent_index(self, parent: Node) -> QModelIndex:
        return self._index_of(parent)


def _runs(shown: list[Node], wanted: list[Node]) -> int:
    """How many runs of neighbouring rows come (in ``wanted``, not ``shown``) or go (the
    other way): each would be a Qt step of its own in :meth:`ValueTreeModel._sync_children`."""
    runs = 0
    for rows, other in ((wanted, shown), (shown, wanted)):
        present = {id(node) for node in other}
        inside = True
        for node in rows:
            there = id(node) in present
            runs += inside and not there
            inside = there
    return runs


def _renumber(rows: list[Node], start: int = 0) -> None:
    for row in range(start, len(rows)):
        rows[row].row = row
