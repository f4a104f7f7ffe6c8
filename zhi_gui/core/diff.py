"""Tree diff: what changed between two snapshots of a zhi tree.

A snapshot is a flat map path -> :class:`~zhi_gui.core.model.Entry`. The diff
is computed in pure Python (no Qt) so a UI can run it in an executor.

Rules, decided once here:

* **Equality is semantic, types are strict.** Two values are equal when their
  decoded JSON is equal *and* every number keeps its JSON type: object key
  order and whitespace do not matter, but ``1`` (int), ``1.0`` (float) and
  ``true`` (bool) are three different values, and ``1`` -> ``1.0`` is reported
  as a type change ``int -> float`` (zhi keeps integers integers). Technically:
  values are equal when their canonical JSON (sorted keys, no whitespace) is
  equal. Empty ``value_json`` means null. A value that is not valid JSON is
  compared byte for byte and has the type ``invalid``.
* **Metadata is compared label by label** with the same equality; an absent,
  empty, ``null`` or ``{}`` metadata document means "no labels".
* **``Entry.version`` is ignored**: it names where a value came from, not what
  it is, and differs between any two versions of a tree.
* **Secrets:** a path is secret when either side carries ``ui.password`` or
  ``store.writeonly`` set to true. Every string this module produces
  (``describe``, ``value_text``, ``repr``) masks a secret's value unless the
  caller passes ``reveal=True``; ``config.default`` and ``core.example`` of a
  secret are masked too, since they often hold the same kind of value.
* **Order is tree order:** paths sort segment by segment, so a node is
  followed by its whole subtree (``a/b``, ``a/b/c``, ``a/b-c``). It differs
  from plain string order only where a segment is a prefix of a sibling that
  continues with ``-`` or ``.`` (plain order puts ``a/b-c`` before ``a/b/c``).

Speed: unchanged paths are found by comparing raw bytes (and ``is``); only
paths whose bytes differ are decoded. Unchanged paths get no object at all
until asked for (:meth:`TreeDiff.change_for`, :meth:`TreeDiff.entries`), and
the full sorted path listing used for tree display and row navigation is
built lazily on first use.
"""

from __future__ import annotations

import enum
import json
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from zhi_gui.core.errors import InvalidArgument
from zhi_gui.core.jsonvalues import decode_metadata, decode_value, to_text
from zhi_gui.core.model import DiffEntry, Entry
from zhi_gui.core.secrets import is_secret, is_secret_labels
from zhi_gui.core.sorting import gil_friendly_sorted

MASK = "\u2022" * 8  # ••••••••
# Labels that often carry a copy of a secret's value (a default, an example).
SECRET_BEARING_LABELS = frozenset({"config.default", "core.example"})
_BEARING_NAMESPACES = frozenset(name.partition(".")[0] for name in SECRET_BEARING_LABELS)
PREVIEW_LIMIT = 80

ValueType = Literal["null", "bool", "int", "float", "string", "object", "array", "invalid"]
Side = Literal["old", "new"]


class ChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class LabelChangeKind(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


_UNSET: Any = object()


@dataclass(frozen=True, slots=True)
class LabelChange:
    """One metadata label that differs. ``old``/``new`` are decoded label values
    (None when the label is absent on that side; use ``kind`` to tell)."""

    label: str
    kind: LabelChangeKind
    old: Any = field(default=None, repr=False)
    new: Any = field(default=None, repr=False)

    def display(self, *, secret: bool = False, reveal: bool = False) -> str:
        """``+label = v`` / ``-label (was v)`` / ``~label: a -> b``."""
        # Nested metadata ({"config": {"default": ...}}) carries the same copies under its namespace.
        hide = secret and not reveal and (self.label in SECRET_BEARING_LABELS or self.label in _BEARING_NAMESPACES)

        def show(value: Any) -> str:
            return MASK if hide else _preview_decoded(value, 40)

        if self.kind is LabelChangeKind.ADDED:
            return f"+{self.label} = {show(self.new)}"
        if self.kind is LabelChangeKind.REMOVED:
            return f"-{self.label} (was {show(self.old)})"
        return f"~{self.label}: {show(self.old)} \u2192 {show(self.new)}"


@dataclass(frozen=True, slots=True)
class DiffCounts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return self.added + self.removed + self.changed

    @property
    def total(self) -> int:
        return self.changes + self.unchanged


@dataclass(frozen=True, slots=True)
class PathChange:
    """How one path differs between the old and the new snapshot.

    For ``changed`` the flags say what differs. For ``added``/``removed``
    ``value_changed`` is True (the value appeared or went away),
    ``metadata_changed`` is True when the present side has labels (listed in
    ``label_changes`` as added/removed) and ``type_changed`` is False. For
    ``unchanged`` every flag is False, and ``old_type``/``new_type`` are None
    when the object was built on demand (:meth:`TreeDiff.change_for`), since
    finding them means decoding values the diff never had to look at.
    """

    path: str
    kind: ChangeKind
    old: Entry | None = field(default=None, repr=False)
    new: Entry | None = field(default=None, repr=False)
    value_changed: bool = False
    metadata_changed: bool = False
    type_changed: bool = False
    secret: bool = False
    old_type: ValueType | None = None
    new_type: ValueType | None = None
    label_changes: tuple[LabelChange, ...] = field(default=(), repr=False)

    @property
    def is_change(self) -> bool:
        return self.kind is not ChangeKind.UNCHANGED

    @property
    def metadata_only(self) -> bool:
        return self.kind is ChangeKind.CHANGED and not self.value_changed

    def entry(self, side: Side) -> Entry | None:
        return self.old if side == "old" else self.new

    def value_text(self, side: Side, *, reveal: bool = False, limit: int | None = PREVIEW_LIMIT) -> str:
        """A one-line preview of one side's value ('' when absent); masked for secrets."""
        entry = self.entry(side)
        if entry is None:
            return ""
        if self.secret and not reveal:
            return MASK
        return preview_value(entry.value_json, limit)

    def describe(self, *, reveal: bool = False) -> str:
        """One line for a list or a tooltip. Never shows a secret's value unless ``reveal``."""
        hidden = self.secret and not reveal
        if self.kind is ChangeKind.UNCHANGED:
            return "unchanged"
        if self.kind is ChangeKind.ADDED:
            text = f"added ({self.new_type}): {self.value_text('new', reveal=reveal)}"
            return text + (" (secret, hidden)" if hidden else "")
        if self.kind is ChangeKind.REMOVED:
            text = f"removed ({self.old_type}), was {self.value_text('old', reveal=reveal)}"
            return text + (" (secret, hidden)" if hidden else "")
        parts: list[str] = []
        if self.value_changed:
            if hidden:
                parts.append("value changed (secret, hidden)")
            else:
                parts.append(
                    f"value: {self.value_text('old', reveal=True)} \u2192 "
                    f"{self.value_text('new', reveal=True)}"
                )
            if self.type_changed:
                parts.append(f"type {self.old_type} \u2192 {self.new_type}")
        if self.label_changes:
            marks = {LabelChangeKind.ADDED: "+", LabelChangeKind.REMOVED: "-"}
            names = ", ".join(marks.get(c.kind, "~") + c.label for c in self.label_changes)
            parts.append(f"labels: {names}")
        return "; ".join(parts) if parts else "changed"


@dataclass(frozen=True, slots=True)
class DiffNode:
    """One node of the hierarchical view: a path prefix (a value, a folder, or both).

    ``change`` is the node's own PathChange when a value lives exactly at
    ``path`` (possibly ``unchanged``), else None. ``counts`` covers the node
    and everything below it; ``total`` is how many paths (either side) that is.
    """

    path: str
    name: str
    change: PathChange | None
    has_children: bool
    counts: DiffCounts
    total: int

    @property
    def has_changes(self) -> bool:
        return self.counts.changes > 0


def _tree_key(path: str) -> str:
    # NUL sorts before every character a path may hold, so sorting on this key
    # keeps each subtree contiguous right after its root (tree order).
    return path.replace("/", "\0")


def _key_path(key: str) -> str:
    return key.replace("\0", "/")


def _child_names(keys: list[str], prefix: str) -> list[str]:
    """Names of the direct children of ``prefix`` in sorted ``keys`` (tree keys).

    Costs O(children * log n): after each child we jump over its subtree.
    """
    if prefix:
        base = _tree_key(prefix) + "\0"
        lo = bisect_left(keys, base)
        hi = bisect_left(keys, base[:-1] + "\x01", lo)
    else:
        base, lo, hi = "", 0, len(keys)
    start = len(base)
    names: list[str] = []
    i = lo
    while i < hi:
        key = keys[i]
        end = key.find("\0", start)
        name = key[start:] if end < 0 else key[start:end]
        names.append(name)
        i = bisect_left(keys, base + name + "\x01", i + 1, hi)
    return names


def _subtree_range(keys: list[str], path: str) -> tuple[int, int]:
    if not path:
        return 0, len(keys)
    key = _tree_key(path)
    lo = bisect_left(keys, key)
    return lo, bisect_left(keys, key + "\x01", lo)


class TreeDiff:
    """The result of :func:`diff_trees`. Immutable; safe to hand between threads
    once built (the lazy indexes are built idempotently)."""

    def __init__(
        self,
        old: Mapping[str, Entry],
        new: Mapping[str, Entry],
        changes: Iterable[PathChange],
        *,
        unchanged: int | None = None,
    ) -> None:
        self.old = old
        self.new = new
        # partial: old/new hold only the paths a store reported as changed (DiffVersions);
        # ``unchanged`` then says how many other values there are. Listing the unchanged
        # paths themselves needs the full snapshots.
        self.partial = unchanged is not None
        ordered = sorted((c for c in changes if c.is_change), key=lambda c: _tree_key(c.path))
        self.changes: tuple[PathChange, ...] = tuple(ordered)
        self._change_keys = [_tree_key(c.path) for c in ordered]
        self._by_path = {c.path: c for c in ordered}
        added = sum(1 for c in ordered if c.kind is ChangeKind.ADDED)
        removed = sum(1 for c in ordered if c.kind is ChangeKind.REMOVED)
        changed = len(ordered) - added - removed
        if unchanged is None:
            unchanged = len(old) - removed - changed  # = (paths of either side) - every change
        self.counts = DiffCounts(added, removed, changed, max(unchanged, 0))

    def __repr__(self) -> str:
        c = self.counts
        return f"<TreeDiff +{c.added} -{c.removed} ~{c.changed} ={c.unchanged}>"

    # --- the changes -------------------------------------------------------

    @property
    def added(self) -> int:
        return self.counts.added

    @property
    def removed(self) -> int:
        return self.counts.removed

    @property
    def changed(self) -> int:
        return self.counts.changed

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def iter_changes(self, kinds: Iterable[ChangeKind] | None = None) -> Iterator[PathChange]:
        """Only the changes, in tree order, optionally only some kinds."""
        if kinds is None:
            yield from self.changes
            return
        wanted = frozenset(kinds)
        for change in self.changes:
            if change.kind in wanted:
                yield change

    def change_for(self, path: str) -> PathChange | None:
        """The path's PathChange (``unchanged`` too); None when neither side has it."""
        change = self._by_path.get(path)
        if change is not None:
            return change
        old = self.old.get(path)
        new = self.new.get(path)
        if old is None and new is None:
            return None
        if old is None or new is None:  # not a change we know of: a caller mutated a snapshot
            return compare_entries(path, old, new)
        secret = is_secret_labels(labels_of(old.metadata_json)) or is_secret_labels(labels_of(new.metadata_json))
        return PathChange(path, ChangeKind.UNCHANGED, old, new, secret=secret)

    def entries(self, *, only_changes: bool = False) -> Iterator[PathChange]:
        """Every path of either side in tree order (unchanged ones built on the fly)."""
        if only_changes:
            yield from self.changes
            return
        for path in self.all_paths:
            change = self.change_for(path)
            if change is not None:
                yield change

    # --- full listing (lazy) -------------------------------------------------

    @cached_property
    def _keys(self) -> list[str]:
        union = self.old.keys() | self.new.keys()
        return gil_friendly_sorted(list(map(_tree_key, union)))

    @cached_property
    def all_paths(self) -> tuple[str, ...]:
        """All paths of either side, in tree order (built on first use)."""
        return tuple(map(_key_path, self._keys))

    @cached_property
    def _change_rows(self) -> list[int]:
        keys = self._keys
        return [bisect_left(keys, k) for k in self._change_keys]

    def row_of(self, path: str) -> int | None:
        """Index of ``path`` in :attr:`all_paths`, or None."""
        keys = self._keys
        key = _tree_key(path)
        i = bisect_left(keys, key)
        return i if i < len(keys) and keys[i] == key else None

    def change_index_of(self, path: str) -> int | None:
        """Index of ``path`` in :attr:`changes`, or None."""
        key = _tree_key(path)
        i = bisect_left(self._change_keys, key)
        return i if i < len(self._change_keys) and self._change_keys[i] == key else None

    # --- navigation ----------------------------------------------------------

    def next_change(self, after: str | None = None, *, wrap: bool = False) -> PathChange | None:
        """The first change after ``after`` in tree order (None: from the top).

        ``after`` may be any path, also a folder or one not in the diff: the
        next change after a folder is the first one inside it.
        """
        if not self.changes:
            return None
        i = 0 if after is None else bisect_right(self._change_keys, _tree_key(after))
        if i < len(self.changes):
            return self.changes[i]
        return self.changes[0] if wrap else None

    def previous_change(
        self, before: str | None = None, *, wrap: bool = False
    ) -> PathChange | None:
        """The last change before ``before`` in tree order (None: from the bottom)."""
        if not self.changes:
            return None
        n = len(self.changes)
        i = n - 1 if before is None else bisect_left(self._change_keys, _tree_key(before)) - 1
        if i >= 0:
            return self.changes[i]
        return self.changes[-1] if wrap else None

    def next_change_index(
        self, position: int, *, only_changes: bool = False, wrap: bool = False
    ) -> int | None:
        """Index of the next change after ``position`` (-1 = before the first row).

        Positions are rows of :attr:`all_paths`, or of :attr:`changes` when
        ``only_changes`` (then this is just ``position + 1`` within bounds).
        """
        rows = range(len(self.changes)) if only_changes else self._change_rows
        if not rows:
            return None
        i = bisect_right(rows, position)
        if i < len(rows):
            return rows[i]
        return rows[0] if wrap else None

    def previous_change_index(
        self, position: int, *, only_changes: bool = False, wrap: bool = False
    ) -> int | None:
        """Index of the previous change before ``position`` (a past-the-end position works)."""
        rows = range(len(self.changes)) if only_changes else self._change_rows
        if not rows:
            return None
        i = bisect_left(rows, position) - 1
        if i >= 0:
            return rows[i]
        return rows[-1] if wrap else None

    # --- hierarchy -----------------------------------------------------------

    @cached_property
    def _prefix_counts(self) -> dict[str, list[int]]:
        counts: dict[str, list[int]] = {}
        slot = {ChangeKind.ADDED: 0, ChangeKind.REMOVED: 1, ChangeKind.CHANGED: 2}
        for change in self.changes:
            s = slot[change.kind]
            prefixes = [""]
            path = change.path
            pos = path.find("/")
            while pos >= 0:
                prefixes.append(path[:pos])
                pos = path.find("/", pos + 1)
            prefixes.append(path)
            for prefix in prefixes:
                c = counts.get(prefix)
                if c is None:
                    c = counts[prefix] = [0, 0, 0]
                c[s] += 1
        return counts

    def node(self, path: str = "") -> DiffNode | None:
        """The node at ``path`` ('' = the root); None when nothing lives at or below it."""
        keys = self._keys
        lo, hi = _subtree_range(keys, path)
        if lo == hi and path:
            return None
        return self._make_node(path, lo, hi, has_children=None)

    def children(self, prefix: str = "", *, only_changes: bool = False) -> list[DiffNode]:
        """Direct children of ``prefix`` in name order.

        With ``only_changes`` only children with a change at or below them are
        listed, and ``has_children`` means "has changed descendants".
        """
        keys = self._change_keys if only_changes else self._keys
        nodes = []
        all_keys = self._keys
        for name in _child_names(keys, prefix):
            path = f"{prefix}/{name}" if prefix else name
            lo, hi = _subtree_range(all_keys, path)
            has_children: bool | None = None
            if only_changes:
                clo, chi = _subtree_range(keys, path)
                has_children = chi - clo > (1 if path in self._by_path else 0)
            nodes.append(self._make_node(path, lo, hi, has_children))
        return nodes

    def _make_node(self, path: str, lo: int, hi: int, has_children: bool | None) -> DiffNode:
        keys = self._keys
        exact = bool(path) and lo < hi and keys[lo] == _tree_key(path)
        if has_children is None:
            has_children = hi - lo > (1 if exact else 0)
        a, r, c = self._prefix_counts.get(path, (0, 0, 0))
        total = hi - lo
        counts = DiffCounts(a, r, c, total - a - r - c)
        name = path.rpartition("/")[2]
        change = self.change_for(path) if exact else None
        return DiffNode(path, name, change, has_children, counts, total)


# --- comparing ---------------------------------------------------------------


def labels_of(metadata_json: bytes) -> dict[str, Any]:
    """The labels of a metadata document; {} when empty or not a JSON object."""
    if not metadata_json:
        return {}
    try:
        return decode_metadata(metadata_json)
    except InvalidArgument:
        return {}


# Kept under the first wave's name for its callers; the answer comes from core.secrets.
is_secret_entry = is_secret


def json_type(value: Any) -> ValueType:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "invalid"


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace: equal strings iff equal values with equal JSON types."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def strict_equal(a: Any, b: Any) -> bool:
    """JSON equality that tells ``1``, ``1.0`` and ``true`` apart."""
    if a != b:  # Python equality is looser than ours: unequal here means unequal
        return False
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return canonical_json(a) == canonical_json(b)
    return True


def decode_typed(value_json: bytes) -> tuple[Any, ValueType]:
    """The decoded value and its JSON type (``invalid``: not JSON, value unusable)."""
    try:
        value = decode_value(value_json)
    except InvalidArgument:
        return _UNSET, "invalid"
    return value, json_type(value)


def value_type(value_json: bytes) -> ValueType:
    return decode_typed(value_json)[1]


def _label_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[LabelChange, ...]:
    out: list[LabelChange] = []
    for label in sorted(old.keys() | new.keys()):
        if label not in new:
            out.append(LabelChange(label, LabelChangeKind.REMOVED, old[label], None))
        elif label not in old:
            out.append(LabelChange(label, LabelChangeKind.ADDED, None, new[label]))
        elif not strict_equal(old[label], new[label]):
            out.append(LabelChange(label, LabelChangeKind.CHANGED, old[label], new[label]))
    return tuple(out)


def compare_entries(path: str, old: Entry | None, new: Entry | None) -> PathChange:
    """Compare one path's two sides (either may be None; not both)."""
    if old is None and new is None:
        raise ValueError(f"compare_entries({path!r}): both sides are missing")
    if old is None or new is None:
        present = new if old is None else old
        assert present is not None
        labels = labels_of(present.metadata_json)
        _, vtype = decode_typed(present.value_json)
        kind = ChangeKind.ADDED if old is None else ChangeKind.REMOVED
        present_changes = _label_changes({}, labels) if old is None else _label_changes(labels, {})
        return PathChange(
            path,
            kind,
            old,
            new,
            value_changed=True,
            metadata_changed=bool(labels),
            secret=is_secret_labels(labels),
            old_type=None if old is None else vtype,
            new_type=vtype if old is None else None,
            label_changes=present_changes,
        )

    # value: bytes first, decode only when they differ
    old_value, old_type = decode_typed(old.value_json)
    if old.value_json == new.value_json or (not old.value_json and new.value_json == b"null") or (
        old.value_json == b"null" and not new.value_json
    ):
        new_type: ValueType = old_type
        value_changed = False
    else:
        new_value, new_type = decode_typed(new.value_json)
        if old_type == "invalid" or new_type == "invalid":
            value_changed = True  # bytes differ and at least one side is not JSON
        else:
            value_changed = not strict_equal(old_value, new_value)

    old_labels = labels_of(old.metadata_json)
    if old.metadata_json == new.metadata_json:
        new_labels = old_labels
        lchanges: tuple[LabelChange, ...] = ()
    else:
        new_labels = labels_of(new.metadata_json)
        lchanges = _label_changes(old_labels, new_labels)
    secret = is_secret_labels(old_labels) or is_secret_labels(new_labels)
    if not value_changed and not lchanges:
        return PathChange(
            path, ChangeKind.UNCHANGED, old, new, secret=secret, old_type=old_type, new_type=new_type
        )
    return PathChange(
        path,
        ChangeKind.CHANGED,
        old,
        new,
        value_changed=value_changed,
        metadata_changed=bool(lchanges),
        type_changed=value_changed and old_type != new_type,
        secret=secret,
        old_type=old_type,
        new_type=new_type,
        label_changes=lchanges,
    )


def diff_trees(old: Mapping[str, Entry], new: Mapping[str, Entry]) -> TreeDiff:
    """Diff two snapshots (path -> Entry; the mapping's key is the path).

    Pure and thread-safe; run it off the UI thread. The snapshots are kept
    (not copied) by the result, so don't mutate them afterwards.
    """
    changes: list[PathChange] = []
    append = changes.append
    new_get = new.get
    removed = 0
    for path, o in old.items():
        n = new_get(path)
        if n is None:
            append(compare_entries(path, o, None))
            removed += 1
        elif o is n or (o.value_json == n.value_json and o.metadata_json == n.metadata_json):
            continue
        else:
            change = compare_entries(path, o, n)
            if change.kind is not ChangeKind.UNCHANGED:
                append(change)
    if len(new) != len(old) - removed:  # else every new path is an old one
        for path in new.keys() - old.keys():
            append(compare_entries(path, None, new[path]))
    return TreeDiff(old, new, changes)


def diff_from_changes(pairs: Iterable[DiffEntry], to_total: int) -> TreeDiff:
    """A partial diff from only the paths a store reported as changed (DiffVersions):
    each pair compared as ``diff_trees`` would; ``to_total`` (values on the new side)
    gives the count of the unchanged ones. Pure; run it off the UI thread."""
    old: dict[str, Entry] = {}
    new: dict[str, Entry] = {}
    changes: list[PathChange] = []
    for pair in pairs:
        if pair.old is not None:
            old[pair.path] = pair.old
        if pair.new is not None:
            new[pair.path] = pair.new
        if pair.old is None and pair.new is None:
            continue
        change = compare_entries(pair.path, pair.old, pair.new)
        if change.kind is not ChangeKind.UNCHANGED:
            changes.append(change)
    added = sum(1 for c in changes if c.kind is ChangeKind.ADDED)
    changed = sum(1 for c in changes if c.kind is ChangeKind.CHANGED)
    return TreeDiff(old, new, changes, unchanged=to_total - added - changed)


def snapshot(entries: Iterable[Entry]) -> dict[str, Entry]:
    """A snapshot from entries (e.g. the chunks of a ReadTree); the last one wins."""
    return {e.path: e for e in entries}


# --- display helpers -----------------------------------------------------------


def _truncate(text: str, limit: int | None) -> str:
    if limit is not None and len(text) > limit:
        return text[: max(limit - 1, 0)] + "\u2026"
    return text


def _preview_decoded(value: Any, limit: int | None) -> str:
    try:
        text = to_text(value, spaced=True)
    except InvalidArgument:
        text = repr(value)
    return _truncate(text.replace("\n", "\\n"), limit)


def preview_value(value_json: bytes, limit: int | None = PREVIEW_LIMIT) -> str:
    """A one-line preview of a raw value (not masked: callers decide about secrets)."""
    if not value_json:
        return "null"
    if limit is not None and len(value_json) > 4 * limit + 64:
        # Don't decode megabytes for a preview: cut the raw text (and a broken last char).
        head = " ".join(value_json[: 4 * limit].decode("utf-8", "ignore").split())
        return head[: max(limit - 1, 0)] + "\u2026"
    value, vtype = decode_typed(value_json)
    if vtype == "invalid":
        return _truncate(value_json.decode("utf-8", "replace").replace("\n", "\\n"), limit)
    return _preview_decoded(value, limit)
