"""The verified head cache of the SQLite plugin.

A tree's current values, once read whole and found intact (every paths row and
head change row checked against its ``ck``), are kept in memory and served
from there while the file is unchanged: a host reading its whole tree again
(reload, compare, the next open) then pays for lookups, not for SQLite plus two
BLAKE2b digests per value.

Unchanged means: the tree's head seq is the one read (the ``trees`` row is
read and checked on every call), no other connection has committed
(``PRAGMA data_version``, which the engine already watches; it drops the whole
cache when that moves) and this connection has not written (every write
transaction drops it too, except the written tree's own values, which the write
carries over: ``engine._carried``, so a save does not leave the next read cold).
A plain tree kept here is also saved in the file when the plugin stops
(``saved_heads``), for the next process. A damaged file is never cached: a read that finds
damage answers as before and keeps nothing.

Bounded: the trees kept are estimated at ``limit`` bytes in all (least
recently read dropped first); a tree bigger than that is not kept. A kept tree
also holds GetValues's answer of it in protocol bytes once a read of many values
asked (``Head.answer``, ``plugin.wire``), or as its saved copy held it: counted
from then on (``HeadCache.grow``). A tree read from its saved copy makes its
values only when something needs them (a whole read answered from the bytes does not).

Kept values are frozen out of cyclic garbage collection (``gc.freeze``, after
collecting what was garbage before the read): long-lived and acyclic, they
would otherwise be walked by the next collection, inside the first answer.

Encrypted stores: values are kept as plaintext while the store is unlocked.
The plugin process holds the data key then anyway, and the search index keeps
plaintext too; locking (or another process changing the key, which moves
``data_version``) drops the cache, so nothing decrypted outlives the unlock.
"""

from __future__ import annotations

import bisect
import collections
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from zhi_gui.core.entries import Entry
from zhi_gui.core.paths import under_prefix
from zhi_gui.plugin.wire import value_elements

DEFAULT_LIMIT = 192 * 1024 * 1024
# Bytes per value besides its path, value and metadata: the Entry tuple, the str
# and bytes headers, the version str and the dict slot. On the benchmark's tree
# (100,000 values of about 20 bytes) tracemalloc counted 25.6 MB kept, dict
# included; the estimate says 30 MB: on the safe side.
PER_VALUE = 256
# A value's share of its tree's answer in protocol bytes (``Head.answer``) besides its
# path, value and metadata: framing and its end offset (a list of ints).
WIRE_PER_VALUE = 48

_path, _value, _meta = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(slots=True)
class Head:
    """The live values of one tree at ``seq``, in path order.

    A tree read back from its saved copy has its paths and its answer in protocol bytes
    at once, and makes its values (100,000 tuples) only when something needs them:
    ``make_entries``. A host reading the whole tree is answered without them."""

    seq: int
    _entries: list[Entry] | None
    size: int
    make_entries: Callable[[], list[Entry]] | None = field(default=None, repr=False)
    _by_path: dict[str, Entry] | None = field(default=None, repr=False)
    _paths: list[str] | None = field(default=None, repr=False)
    # GetValues's answer of the whole tree as protocol bytes (``plugin.wire``) and where
    # each value's element ends in it: made on the first such answer, or read from the
    # tree's saved copy
    wire: bytes | None = field(default=None, repr=False)
    wire_ends: Sequence[int] | None = field(default=None, repr=False)
    _wire_by_path: dict[str, bytes] | None = field(default=None, repr=False)
    _wire_counted: bool = field(default=False, repr=False)  # in ``size`` (``HeadCache.grow``)

    @property
    def entries(self) -> list[Entry]:
        if self._entries is None:
            assert self.make_entries is not None
            self._entries, self.make_entries = self.make_entries(), None
        return self._entries

    @property
    def paths(self) -> list[str]:
        if self._paths is None:
            self._paths = list(map(_path, self.entries))
        return self._paths

    def __len__(self) -> int:
        return len(self._entries) if self._entries is not None else len(self.paths)

    def pick(self, paths: Sequence[str], *, unique: bool = False) -> list[Entry]:
        """The values of ``paths`` (duplicates once, absent ones skipped) in the order
        asked; all of them for no paths. A list of its own: the caller may keep it.
        ``unique``: the caller has already dropped duplicates."""
        entries = self.entries
        if not paths or self._is_whole(paths):
            return list(entries)
        if self._by_path is None:
            self._by_path = dict(zip(map(_path, entries), entries, strict=True))
        return list(filter(None, map(self._by_path.get, paths if unique else dict.fromkeys(paths))))

    def answer(self, paths: Sequence[str]) -> bytes:
        """``pick(paths)`` as GetValues's answer in protocol bytes (``plugin.wire``)."""
        if self.wire is None:
            elements = value_elements(self.entries)
            self.wire = b"".join(elements)
            self.wire_ends = list(itertools.accumulate(map(len, elements)))
        if not paths or self._is_whole(paths):
            return self.wire
        if self._wire_by_path is None:
            wire, ends = self.wire, self.wire_ends
            assert ends is not None
            elements = list(map(wire.__getitem__, map(slice, itertools.chain((0,), ends), ends)))
            self._wire_by_path = dict(zip(self.paths, elements, strict=True))
        return b"".join(filter(None, map(self._wire_by_path.get, dict.fromkeys(paths))))

    def _is_whole(self, paths: Sequence[str]) -> bool:
        """Whether ``paths`` are the tree's own, in its order (what a host reading all asks):
        three paths tell most other orders apart without building the list to compare."""
        n = len(self)
        if len(paths) != n:
            return False
        if self._paths is None:
            entries = self.entries
            if any(paths[i] != entries[i][0] for i in (0, n // 2, n - 1)):
                return False
        return self.paths == (paths if isinstance(paths, list) else list(paths))

    def chunk(self, prefix: str, after: str, limit: int) -> tuple[list[Entry], str, bool]:
        """A stream's next ``limit`` values under ``prefix`` (``core.paths.under_prefix``)
        after the path ``after``: (values, the last path given, whether that was the end).
        The entries are in SQLite's path order (UTF-8 bytes), which is str order."""
        paths = self.paths
        limit = limit or len(paths)  # 0: no limit, as in the engine's SQL
        lo = bisect.bisect_right(paths, after) if after else 0
        hi = len(paths)
        if prefix:
            lo = max(lo, bisect.bisect_left(paths, prefix))
            # Every path starting with the prefix sorts below it with its last character raised.
            hi = bisect.bisect_left(paths, prefix[:-1] + chr(ord(prefix[-1]) + 1), lo)
        if not prefix or prefix.endswith("/"):
            out = self.entries[lo:min(hi, lo + limit)]
            return out, (out[-1].path if out else after), lo + limit >= hi
        # "a" selects "a" and "a/...", not its siblings "a-b" or "a.b" (in the range too).
        picked = [e for e in self.entries[lo:hi] if under_prefix(e.path, prefix)]
        out = picked[:limit]
        return out, (out[-1].path if out else after), len(picked) <= limit


def estimate(entries: Sequence[Entry]) -> int:
    return (PER_VALUE * len(entries) + sum(map(len, map(_path, entries))) + sum(map(len, map(_value, entries)))
            + sum(map(len, map(_meta, entries))))


class HeadCache:
    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._trees: collections.OrderedDict[int, Head] = collections.OrderedDict()
        self._size = 0

    def get(self, tid: int, seq: int) -> Head | None:
        head = self._trees.get(tid)
        if head is None:
            return None
        if head.seq != seq:  # moved on (a write this cache did not see): useless now
            self.drop(tid)
            return None
        self._trees.move_to_end(tid)
        return head

    def put(self, tid: int, seq: int, entries: list[Entry], payload: int | None = None) -> Head | None:
        """Keep ``entries`` (the caller's list, not to be changed afterwards) as the
        tree's values at ``seq``; None when they are too big to keep. ``payload``: the
        bytes of their paths, values and metadata when the caller has counted them
        (three passes over 100,000 values cost 20-30 ms)."""
        size = estimate(entries) if payload is None else PER_VALUE * len(entries) + payload
        return self._add(tid, Head(seq, entries, size))

    def put_lazy(self, tid: int, seq: int, paths: list[str], make_entries: Callable[[], list[Entry]],
                 payload: int) -> Head | None:
        """``put`` of a tree whose values are made when first needed (``Head.make_entries``):
        its paths (in order) and the bytes of its paths, values and metadata are known."""
        return self._add(tid, Head(seq, None, PER_VALUE * len(paths) + payload, make_entries, _paths=paths))

    def _add(self, tid: int, head: Head) -> Head | None:
        self.drop(tid)
        if head.size > self.limit:
            return None
        while self._trees and self._size + head.size > self.limit:
            self.drop(next(iter(self._trees)))
        self._trees[tid] = head
        self._size += head.size
        return head

    def grow(self, tid: int, head: Head) -> None:
        """``head`` (kept for ``tid``) has made its answer bytes: counted from now on, and
        other trees dropped (least recently read first) while the cache is over its limit."""
        if self._trees.get(tid) is not head or head.wire is None or head._wire_counted:
            return
        head._wire_counted = True
        extra = len(head.wire) + WIRE_PER_VALUE * len(head)
        head.size += extra
        self._size += extra
        while self._size > self.limit and len(self._trees) > 1 and next(iter(self._trees)) != tid:
            self.drop(next(iter(self._trees)))

    def kept(self) -> dict[int, Head]:
        """The heads kept now, by tree (a copy)."""
        return dict(self._trees)

    def drop(self, tid: int) -> None:
        head = self._trees.pop(tid, None)
        if head is not None:
            self._size -= head.size

    def clear(self) -> None:
        self._trees.clear()
        self._size = 0

    def __len__(self) -> int:
        return len(self._trees)
