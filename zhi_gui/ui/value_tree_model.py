"""The value tree as a Qt model: an adapter over ``TreeIndex`` + ``Staging``.

Lazy: Qt asks only for rows of expanded nodes, and children lists are built on
first request. In a big tree loaded lazily by the session, a group whose children
are not read yet has children for Qt (``hasChildren``) and ``canFetchMore``;
``fetchMore`` asks the session (through ``fetcher``) and the rows are inserted
when they arrive (``on_children_loaded``). Filtering happens in the index (data source), and the model
only swaps the set of visible nodes. Staged edits are drawn over the stored
values; staged additions and their undo insert and remove rows in place so
the view keeps its expansion state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor, QFont

from zhi_gui.core.display import is_secret, preview, type_name
from zhi_gui.core.entries import Entry
from zhi_gui.core.tree_index import Node, TreeIndex

if TYPE_CHECKING:
    from zhi_gui.core.staging import Staging

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Key", "Value", "Type", "Version")
_COLUMN_COUNT = len(COLUMNS)
PATH_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2  # "", "added", "changed", "deleted"

REFRESH_SLICE = 50  # rows announced as changed per event-loop turn at most (a save of 1,000 edits: 20+ turns)
RELAYOUT_RUNS = 200  # runs of rows coming or going in one change above which the view relays out once
REFRESH_SECONDS = 0.002  # and time spent announcing them: the view's repaint follows in the same turn
_COLORS = {"added": QColor("#2e9d4f"), "changed": QColor("#c07a00"), "deleted": QColor("#c0392b")}
_DISPLAY, _FONT, _FOREGROUND = (int(r) for r in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.FontRole,
                                                  Qt.ItemDataRole.ForegroundRole))
# What QStyledItemDelegate asks for each cell it paints, in its order (Qt 6).
_DELEGATE_ROLES = tuple(int(r) for r in (
    Qt.ItemDataRole.FontRole, Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.ForegroundRole,
    Qt.ItemDataRole.CheckStateRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.DisplayRole,
    Qt.ItemDataRole.BackgroundRole))
_STATE_SLOTS = _FONT_SLOT, _FOREGROUND_SLOT = (_DELEGATE_ROLES.index(_FONT), _DELEGATE_ROLES.index(_FOREGROUND))
_DISPLAY_SLOT = _DELEGATE_ROLES.index(_DISPLAY)
# Roles a view's delegate asks for that this model never answers (left empty in multiData).
_UNUSED_ROLES = frozenset(int(r) for r in (Qt.ItemDataRole.TextAlignmentRole, Qt.ItemDataRole.CheckStateRole,
                                           Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.BackgroundRole))


class ValueTreeModel(QAbstractItemModel):
    def __init__(self, index: TreeIndex | None = None, staging: Staging | None = None) -> None:
        super().__init__()
        self.index_data = index or TreeIndex()
        # An empty model's staging is made when first asked for: the app's first window paints
        # its (empty) tree before the staging module's data classes are needed (issue 14).
        self._staging = staging if staging else None
        self.visible: set[str] | None = None
        # Under a filter, the shown paths with a shown path right below (a ShownPaths result);
        # None: not known, each row's children are looked at instead.
        self._groups: set[str] | None = None
        self._kids: dict[int, list[Node]] = {}
        # Asks for a lazily loaded group's children (set by the window); None: nothing to ask.
        self.fetcher: Callable[[str], object] | None = None
        self._fetching: set[str] = set()
        # Rows whose look changed (staged, saved), announced a slice per turn: each
        # dataChanged costs the view a dozen calls into this model.
        self._to_refresh: list[str] = []
        self._refresher = QTimer(self)
        self._refresher.setSingleShot(True)  # started again after each slice (see _refresh_slice)
        self._refresher.setInterval(0)
        self._refresher.timeout.connect(self._refresh_slice)
        self._bold = QFont()
        self._bold.setBold(True)
        self._struck = QFont()
        self._struck.setStrikeOut(True)

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
        self.index_data, self.staging, self.visible, self._groups = index, staging, None, None
        self._kids.clear()
        self._fetching.clear()
        self._to_refresh.clear()
        for path, change in staging.changes.items():
            if change.new is not None and path not in index.nodes:
                index.add_path(path)
        self.endResetModel()

    def set_visible(self, visible: set[str] | None) -> None:
        """Show only these node paths (a filter result); None shows everything."""
        if visible is None and self.visible is None:  # everything shown still (a filter matching all)
            return
        self.beginResetModel()
        self.visible = visible
        self._groups = getattr(visible, "groups", None)
        self._kids.clear()
        self._to_refresh.clear()
        self.endResetModel()

    # --- structure ---------------------------------------------------------------------
    def _node(self, index: Index) -> Node:
        if not index.isValid():
            return self.index_data.root
        node = index.internalPointer()
        assert isinstance(node, Node)
        return node

    def children_of(self, node: Node) -> list[Node]:
        kids = self._kids.get(id(node))
        if kids is None:
            everything = node.sorted_children()
            # A copy: the index adds staged paths to node.children before the
            # model announces them with beginInsertRows.
            kids = list(everything) if self.visible is None else [c for c in everything if c.path in self.visible]
            for row, kid in enumerate(kids):
                kid.row = row
            self._kids[id(node)] = kids
        return kids

    # index() and hasChildren() are called for every shown row each time the view lays its rows
    # out (200,000 calls each for a big tree expanded whole): written for the common case.
    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:
        if parent.isValid():
            if parent.column() != 0:
                return QModelIndex()
            node = parent.internalPointer()
        else:
            node = self.index_data.root
        kids = self._kids.get(id(node))
        if kids is None:
            kids = self.children_of(node)
        if 0 <= row < len(kids) and 0 <= column < _COLUMN_COUNT:
            return self.createIndex(row, column, kids[row])
        return QModelIndex()

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]
        # Asked about every painted row, once per level for the branch lines: kept to the
        # fewest calls into Qt (a valid index always points at a Node: see index()).
        if not index.isValid():
            return QModelIndex()
        parent = index.internalPointer().parent
        if parent is None or parent is self.index_data.root:
            return QModelIndex()
        return self.createIndex(parent.row, 0, parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        if parent.isValid() and parent.column() != 0:
            return 0
        return len(self.children_of(self._node(parent)))

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return len(COLUMNS)

    def hasChildren(self, parent: Index = QModelIndex()) -> bool:
        if parent.isValid():
            if parent.column() != 0:
                return False
            node = parent.internalPointer()
        else:
            node = self.index_data.root
        if self.visible is None:
            return bool(node.children) or node.path in self.index_data.unloaded
        kids = self._kids.get(id(node))
        if kids is None and self._groups is not None:
            # A layout after a filter asks this of every row it lays out: listing each row's
            # shown children for it was most of the layout (10,000 checks for 200 groups).
            return node.path in self._groups
        return bool(kids if kids is not None else self.children_of(node))

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
        shown_beside = self._kids.get(id(node.parent)) if node.parent is not None else None
        if shown_beside is not None and node.row < len(shown_beside) and shown_beside[node.row] is node:
            # Its own row: "5,000 values" (not read yet) becomes "50 keys"
            self.dataChanged.emit(self.createIndex(node.row, 1, node), self.createIndex(node.row, 1, node))
        kids = self._kids.get(id(node))
        if kids is None:
            return  # not shown yet: Qt asks when it needs the rows
        parent_index = self._parent_index(node) if node is not index.root else QModelIndex()
        if kids:
            self.beginRemoveRows(parent_index, 0, len(kids) - 1)
            self._forget(node)
            self._kids[id(node)] = []
            self.endRemoveRows()
        # Until beginInsertRows the model still answers with the old (empty) list.
        fresh = node.sorted_children() if self.visible is None else \
            [c for c in node.sorted_children() if c.path in self.visible]
        if fresh:
            self.beginInsertRows(parent_index, 0, len(fresh) - 1)
            del self._kids[id(node)]
            self.children_of(node)
            self.endInsertRows()
        else:
            del self._kids[id(node)]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < 4:
            return COLUMNS[section]
        return None

    def index_of_path(self, path: str, column: int = 0) -> QModelIndex:
        """The model index of a node, materialising its ancestors' children lists."""
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
            kids = self.children_of(ancestor.parent)
            if ancestor.row >= len(kids) or kids[ancestor.row] is not ancestor:
                return QModelIndex()  # filtered out
        return self.createIndex(node.row, column, node)

    # --- data ------------------------------------------------------------------------------
    def current_entry(self, path: str) -> Entry | None:
        """What the user sees for a path: the staged value, else the stored one."""
        change = self.staging.get(path)
        if change is not None:
            return change.new
        return self.index_data.entries.get(path)

    def state(self, path: str) -> str:
        change = self.staging.get(path)
        if change is None:
            return ""
        return "deleted" if change.is_delete else "added" if change.is_add else "changed"

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = self._node(index)
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(node, column)
        if role == PATH_ROLE:
            return node.path
        if role == STATE_ROLE:
            return self.state(node.path)
        if role == Qt.ItemDataRole.ToolTipRole and column == 0:
            return node.path
        if role in (Qt.ItemDataRole.FontRole, Qt.ItemDataRole.ForegroundRole):
            state = self.state(node.path)
            if not state:
                return None
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(_COLORS[state])
            return self._struck if state == "deleted" else self._bold
        return None

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role a delegate asks for a cell in one call: painting a row is then four calls
        into Python instead of 28 (the default asks ``data`` once per role)."""
        if not index.isValid():
            return
        node = self._node(index)
        if isinstance(roleDataSpan, QModelRoleData):
            slots = [roleDataSpan]
        else:
            span: Any = roleDataSpan  # the stubs miss the span's __getitem__
            if span.size() == len(_DELEGATE_ROLES):
                display = span[_DISPLAY_SLOT]
                if display.role() == _DISPLAY:
                    # QStyledItemDelegate's request, for every painted cell: roles in its fixed
                    # order, in a span the delegate keeps and reuses for each cell. The roles
                    # this model never answers stay empty; font and colour are set or cleared.
                    display.setData(self._display(node, index.column()))
                    staging = self._staging
                    if staging is None or node.path not in staging.changes:
                        # Not staged (nearly every cell): the span's font and colour are cleared
                        # only when a staged row painted before set them. Read, not cleared each
                        # time: a repaint of the tree at 1400x900 took 5.5 -> 4.6 ms.
                        font = span[_FONT_SLOT]
                        if font.data() is not None:
                            font.clearData()
                            span[_FOREGROUND_SLOT].clearData()
                        return
                    self._fill_state(index, node, (span[i] for i in _STATE_SLOTS))
                    return
            slots = [span[i] for i in range(span.size())]
        self._fill_state(index, node, slots)

    def _fill_state(self, index: Index, node: Node, slots: Iterable[QModelRoleData]) -> None:
        state: str | None = None
        for slot in slots:
            role = slot.role()
            if role == _DISPLAY:
                slot.setData(self._display(node, index.column()))
            elif role in (_FONT, _FOREGROUND):
                if state is None:
                    state = self.state(node.path)
                if not state:
                    slot.clearData()
                elif role == _FOREGROUND:
                    slot.setData(QBrush(_COLORS[state]))
                else:
                    slot.setData(self._struck if state == "deleted" else self._bold)
            elif role in _UNUSED_ROLES:
                slot.clearData()
            else:
                slot.setData(self.data(index, role))

    def _display(self, node: Node, column: int) -> str:
        if column == 0:
            return node.name
        staging = self._staging  # (not the property, nor Staging.get: two calls fewer per painted cell)
        change = staging.changes.get(node.path) if staging is not None else None
        stored = self.index_data.entries.get(node.path)
        entry = change.new if change is not None else stored
        if entry is None:
            if change is not None and change.is_delete and column == 1:
                return "(deleted)"
            below = self.index_data.unloaded.get(node.path)
            # A group not read whole yet says how many values it holds, also when a filter
            # read a few of them (and without a filter only those would count as its keys).
            if column == 1 and below is not None and (self.visible is None or not node.children):
                return f"{below:,} value" if below == 1 else f"{below:,} values"
            if column == 1 and node.children:
                # Under a filter, the keys its expansion shows: a group read whole from a
                # big store while filtered holds its other keys too, hidden.
                count = len(node.children) if self.visible is None else len(self.children_of(node))
                return f"{count} key" if count == 1 else f"{count:,} keys"
            return ""
        if column == 1:
            return preview(entry.value_json, is_secret(entry))
        if column == 2:
            return type_name(entry.value_json)
        version = stored.version if stored is not None else ""
        return f"{version} *" if change is not None else version

    # --- staged edits ---------------------------------------------------------------------
    def on_paths_changed(self, paths: Iterable[str]) -> None:
        """Rows for paths whose staged state or stored value changed (staged edits; a save;
        a live update that replaced values in place): new keys appear where they sort,
        keys gone from the store and not staged go, the rest repaint. The index already
        holds every stored change, so each affected group is brought in line with it."""
        groups: dict[int, Node] = {}
        for path in sorted(paths):
            change = self.staging.get(path)
            node = self.index_data.nodes.get(path)
            if node is None and change is not None and change.new is not None:  # a staged new key
                if self.visible is not None:
                    added = self.index_data.visible_nodes([path])
                    self.visible |= added
                    if self._groups is not None:
                        self._groups |= added.groups
                self.index_data.add_path(path)
                node = self.index_data.nodes.get(path)
            if node is None:
                continue
            top: Node | None = None
            if path in self.index_data.entries or change is not None:
                top = self._unannounced_top(node)
            else:
                top = self.index_data.removable_top(
                    path, keep=lambda p: p in self.index_data.entries or p in self.staging)
                if top is not None and top.parent is not None:
                    self._forget(top)
                    self.index_data.remove_subtree(top)  # the view is told below, with its group
            if top is not None and top.parent is not None:
                groups[id(top.parent)] = top.parent
            else:
                self._to_refresh.append(path)
        # Each shown group (not one removed meanwhile with its parent), parents first, with
        # the rows Qt was last given and the rows the index holds now.
        changes = [(group, shown, self._wanted_children(group))
                   for group in sorted(groups.values(), key=lambda g: g.path.count("/") if g.path else -1)
                   if (group is self.index_data.root or self.index_data.nodes.get(group.path) is group)
                   and (shown := self._kids.get(id(group))) is not None]  # never shown: Qt asks when it needs it
        if sum(_runs(shown, wanted) for _group, shown, wanted in changes) > RELAYOUT_RUNS:
            self._relayout(changes)
        else:
            for group, shown, wanted in changes:
                if self._kids.get(id(group)) is shown:  # (not gone with a parent's rows just now)
                    self._sync_children(group, shown, wanted)
        self._refresh_slice()

    on_staged = on_paths_changed  # Staging.listeners
    on_values_changed = on_paths_changed  # the session replaced values in place

    def _unannounced_top(self, node: Node) -> Node | None:
        """The node above (or at) ``node`` that the index has but the view was never told of:
        absent from its parent's children as last given to Qt."""
        found = None
        current = node
        while current.parent is not None:
            kids = self._kids.get(id(current.parent))
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
        which is a Python call and a pass over every persistent index each (100,000 keys
        interleaved with the shown ones froze the window for seconds). Persistent indexes
        (the view's expanded groups, the selection, the current row) follow their nodes;
        those of rows that went become invalid, as a removal would make them."""
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        nodes = [(index.internalPointer(), index.column()) for index in before]  # alive: the lists below hold them
        for group, shown, wanted in changes:  # (``changes`` keeps the rows that went alive until the end)
            if self._kids.get(id(group)) is not shown:
                continue  # gone with a parent's rows just now
            keep = {id(node) for node in wanted}
            for node in shown:
                if id(node) not in keep:
                    self._forget(node)
            self._kids[id(group)] = wanted
            _renumber(wanted)
        after = [self.createIndex(node.row, column, node) if self._is_shown(node) else QModelIndex()
                 for node, column in nodes]
        self.changePersistentIndexList(before, after)
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
        parent_index = self._parent_index(group)
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
            self.beginRemoveRows(parent_index, row, last)
            for node in rows[row:last + 1]:
                self._forget(node)
            del rows[row:last + 1]
            _renumber(rows)
            self.endRemoveRows()
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
            self.beginInsertRows(parent_index, row, end)
            rows[row:row] = wanted[row:end + 1]
            _renumber(rows, row)
            self.endInsertRows()
            row = end + 1
        for row, node in enumerate(wanted):
            if row >= len(rows) or rows[row] is not node:
                self.beginInsertRows(parent_index, row, row)
                rows.insert(row, node)
                _renumber(rows)
                self.endInsertRows()

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
            return  # not shown yet: Qt will ask when it needs it
        top_left = self.createIndex(node.row, 0, node)
        self.dataChanged.emit(top_left, self.createIndex(node.row, len(COLUMNS) - 1, node))

    def _forget(self, node: Node) -> None:
        # Cached children lists are keyed by id(); a removed node's id can be reused.
        stack = [node]
        while stack:
            current = stack.pop()
            self._kids.pop(id(current), None)
            stack.extend(current.children)

    def _parent_index(self, parent: Node) -> QModelIndex:
        return QModelIndex() if parent is self.index_data.root else self.createIndex(parent.row, 0, parent)

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
