"""The data source behind the value tree: paths split on ``/`` into nodes, and
filter-as-you-type done here (not in a Qt proxy) so it stays fast at 100,000+
values. A node can carry a value *and* children (zhi allows ``a`` and ``a/b``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from zhi_gui.core.entries import Entry
from zhi_gui.core.gc_control import RELEASE_SLICE, drain, release_later

# Matches a filter shows at most in a lazily loaded tree (the store searches it). Here, not in
# the session, so the window reads it without importing the session before its first paint.
SEARCH_LIMIT = 5_000

PREVIEW_CHARS = 200
# Leaves (most nodes) share these until they get a child: building a
# 100,000-value tree then allocates two containers per *parent* only.
_NO_CHILDREN: list[Node] = []
_NO_NAMES: dict[str, Node] = {}


class Node:
    __slots__ = ("by_name", "children", "name", "parent", "path", "row", "sorted")

    def __init__(self, name: str, path: str, parent: Node | None) -> None:
        self.name = name
        self.path = path
        self.parent = parent
        self.children = _NO_CHILDREN
        self.by_name = _NO_NAMES
        self.sorted = True
        self.row = 0  # position among the parent's *visible* children (set by the model)

    def adopt(self, node: Node) -> None:
        if self.children is _NO_CHILDREN:
            self.children, self.by_name = [], {}
        elif self.sorted and self.children[-1].name > node.name:
            self.sorted = False
        self.children.append(node)
        self.by_name[node.name] = node

    def child(self, name: str) -> Node | None:
        return self.by_name.get(name)

    def sorted_children(self) -> list[Node]:
        if not self.sorted:
            self.children.sort(key=lambda n: n.name)
            self.sorted = True
        return self.children

    def __repr__(self) -> str:
        return f"Node({self.path!r})"


def _unlink(nodes: dict[str, Node]) -> Iterator[None]:
    """Break the nodes' links a slice at a time, then let go of them (for release_later)."""
    for count, node in enumerate(nodes.values(), 1):
        node.parent = None
        node.children = _NO_CHILDREN
        node.by_name = _NO_NAMES
        if count % RELEASE_SLICE == 0:
            yield
    yield from drain(nodes)


class ShownPaths(set[str]):
    """A filter result: the matching paths and their ancestors. ``groups`` counts, for each
    path with shown paths right below it, how many: a view tells which shown rows open and
    how many keys each shows without going through their children (made off the UI thread
    with the result; a layout asks that of every row it lays out)."""

    def __init__(self, paths: Iterable[str] = ()) -> None:
        super().__init__(paths)
        self.groups: dict[str, int] = {}


class TreeIndex:
    """Holds a tree's entries and their hierarchy."""

    def __init__(self, entries: Iterable[Entry] = (), is_secret: Callable[[Entry], bool] | None = None) -> None:
        self.root = Node("", "", None)
        self.entries: dict[str, Entry] = {}
        self.nodes: dict[str, Node] = {"": self.root}
        self._is_secret = is_secret or (lambda e: False)
        self._search: dict[str, str] = {}
        # (path, search text) in one flat list: scanning it is ~7x faster than a
        # lookup per path (benchmarks/bench_tree.py). None = rebuild when needed.
        self._pairs: list[tuple[str, str]] | None = []
        # A big tree loaded lazily (session): groups whose children are not read yet,
        # with how many values lie below them. Empty for a tree read whole.
        self.unloaded: dict[str, int] = {}
        self._bulk_add(entries)
        if self.entries:
            self._pairs = None

    def _bulk_add(self, entries: Iterable[Entry]) -> None:
        # The hot path of opening a big tree: parents almost always exist already.
        nodes, own = self.nodes, self.entries
        for entry in entries:
            path = entry.path
            own[path] = entry
            if path in nodes:
                continue
            parent_path, _, name = path.rpartition("/")
            parent = nodes.get(parent_path)
            if parent is None:
                parent = self._ensure_node(parent_path)[0]
            node = Node(name, path, parent)
            parent.adopt(node)
            nodes[path] = node

    def prepare_search(self) -> None:
        """Build every search string now (call it off the UI thread after loading)."""
        for path in self.entries:
            self.search_text(path)

    def add_entries(self, entries: Iterable[Entry]) -> None:
        """Add a chunk of a tree as it streams in (off the UI thread), search strings included."""
        chunk = list(entries)
        self._bulk_add(chunk)
        search = self.search_text
        if self._pairs is not None and len(self._pairs) + len(chunk) == len(self.entries):
            self._pairs.extend((entry.path, search(entry.path)) for entry in chunk)
        else:
            for entry in chunk:
                search(entry.path)
            self._pairs = None

    def dispose(self) -> None:
        """Break parent/child cycles so the nodes are freed by reference counting (they may be
        frozen out of the cyclic collector's reach). Done in the background, a slice at a time:
        unlinking and freeing 100,000 nodes held the UI thread ~15 ms."""
        nodes, self.nodes = self.nodes, {}
        release_later(_unlink(nodes))

    def __len__(self) -> int:
        return len(self.entries)

    # --- structure -----------------------------------------------------------------
    def _ensure_node(self, path: str) -> tuple[Node, Node | None]:
        """The node of ``path``, creating missing ancestors; also returns the topmost
        node that was newly created (None if the node already existed)."""
        node = self.nodes.get(path)
        if node is not None:
            return node, None
        parent_path, _, name = path.rpartition("/")
        parent, created = self._ensure_node(parent_path)
        node = Node(name, path, parent)
        parent.adopt(node)
        self.nodes[path] = node
        return node, created or node

    def add_children(self, parent: str, children: Iterable[tuple[str, Entry | None, int]]) -> None:
        """A lazily loaded group's children arrived: (path, its own value or None, values
        below it still unread). The group is no longer unloaded."""
        self.unloaded.pop(parent, None)
        for path, entry, below in children:
            if entry is not None:
                self.set_entry(entry)
            else:
                self._ensure_node(path)
            if below:
                self.unloaded.setdefault(path, below)

    def has_unloaded_below(self, path: str) -> bool:
        """Some values at or below ``path`` are not read yet (a lazily loaded tree)."""
        if not self.unloaded:
            return False
        prefix = path + "/"
        return any(p == path or p.startswith(prefix) or not path for p in self.unloaded)

    def mark_read(self, path: str) -> list[str]:
        """Every value at and below ``path`` is in now (read whole from the store, set with
        ``set_entry``): the groups at and below it that were not read yet, in path order
        (a parent before its children), which now count as read."""
        prefix = path + "/"
        done = sorted(p for p in self.unloaded if p == path or p.startswith(prefix) or not path)
        for group in done:
            del self.unloaded[group]
        return done

    def add_path(self, path: str) -> Node | None:
        """Make a node for a path that is not (yet) in the store, e.g. a staged
        addition. Returns the topmost new node, or None if nothing was created."""
        return self._ensure_node(path)[1]

    def removable_top(self, path: str, keep: Callable[[str], bool]) -> Node | None:
        """The topmost node that would be left empty if ``path`` went away (nodes
        with a value or a kept path stay). None if nothing would be removed."""
        node = self.nodes.get(path)
        if node is None or node.children or keep(path):
            return None
        top = node
        while top.parent is not None and top.parent is not self.root:
            parent = top.parent
            if len(parent.children) > 1 or keep(parent.path):
                break
            top = parent
        return top

    def remove_subtree(self, node: Node) -> None:
        parent = node.parent
        assert parent is not None
        parent.children.remove(node)
        del parent.by_name[node.name]
        stack = [node]
        while stack:
            current = stack.pop()
            self.nodes.pop(current.path, None)
            self.entries.pop(current.path, None)
            self._search.pop(current.path, None)
            stack.extend(current.children)
        self._pairs = None

    def set_entry(self, entry: Entry) -> None:
        self.entries[entry.path] = entry
        self._search.pop(entry.path, None)
        self._pairs = None
        self._ensure_node(entry.path)

    # --- search ------------------------------------------------------------------------
    def search_text(self, path: str) -> str:
        text = self._search.get(path)
        if text is None:
            entry = self.entries.get(path)
            preview = ""
            if entry is not None and not self._is_secret(entry):
                preview = entry.value_json[:PREVIEW_CHARS].decode("utf-8", "replace")
            text = self._search[path] = f"{path}\n{preview}".lower()
        return text

    def matching_paths(self, query: str, within: Iterable[str] | None = None) -> list[str]:
        """Paths whose key or value preview contains ``query`` (case-insensitive);
        secrets match by key only. ``within`` narrows a previous result."""
        needle = query.lower()
        search = self.search_text
        if within is not None:
            return [p for p in within if needle in search(p)]
        pairs = self._pairs
        if pairs is None or len(pairs) != len(self.entries):
            pairs = self._pairs = [(p, search(p)) for p in self.entries]
        return [p for p, text in pairs if needle in text]

    def visible_nodes(self, paths: Iterable[str]) -> ShownPaths:
        """The given paths and all their ancestors."""
        visible = ShownPaths()
        groups = visible.groups
        for path in paths:
            while path not in visible:
                visible.add(path)
                if not path:
                    break
                path = path.rpartition("/")[0]
                groups[path] = groups.get(path, 0) + 1
        visible.add("")
        return visible


class Filter:
    """Incremental filter state: typing more characters narrows the last result."""

    def __init__(self, index: TreeIndex) -> None:
        self.index = index
        self.query = ""
        self.matches: list[str] | None = None
        self.visible: set[str] | None = None

    def set_query(self, query: str) -> None:
        query = query.strip()
        if not query:
            self.query, self.matches, self.visible = "", None, None
            return
        within = self.matches if self.matches is not None and query.lower().startswith(self.query.lower()) else None
        self.matches = self.index.matching_paths(query, within)
        # Everything matches: no need to compute (or check against) a visible set.
        self.visible = None if len(self.matches) == len(self.index.entries) else self.index.visible_nodes(self.matches)
        self.query = query

    def invalidate(self) -> None:
        query, self.query, self.matches = self.query, "", None
        if query:
            self.set_query(query)
