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
recently read dropped first); a tree bigger than that is not kept.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from zhi_gui.core.model import Entry
from zhi_gui.core.paths import under_prefix

DEFAULT_LIMIT = 192 * 1024 * 1024
# Bytes per value besides its path, value and metadata: the Entry tuple, the str
# and bytes headers, the version str and the dict slot. On the benchmark's tree
# (100,000 values of about 20 bytes) tracemalloc counted 25.6 MB kept, dict
# included; the estimate says 30 MB: on the safe side.
PER_VALUE = 256

_path, _value, _meta = itemgetter(0), itemgetter(1), itemgetter(2)


@dataclass(slots=True)
class Head:
    """The live values of one tree at ``seq``, in path order."""

    seq: int
    entries: list[Entry]
    size: int
    _by_path: dict[str, Entry] | None = field(default=None, repr=False)
    _paths: list[str] | None = field(default=None, repr=False)

    def pick(self, paths: Sequence[str], *, unique: bool = False) -> list[Entry]:
        """The values of ``paths`` (duplicates once, absent ones skipped) in the order
        asked; all of them for no paths. A list of its own: the caller may keep it.
        ``unique``: the caller has already dropped duplicates."""
        if not paths:
            return list(self.entries)
        entries = self.entries
        n = len(entries)
        # The whole tree in its own order (what a host reading all asks) costs one list
        # compare; three paths tell most other orders apart without building that list.
        if len(paths) == n and all(paths[i] == entries[i][0] for i in (0, n // 2, n - 1)) and list(
                map(_path, entries)) == (paths if isinstance(paths, list) else list(paths)):
            return list(entries)
        if self._by_path is None:
            self._by_path = dict(zip(map(_path, entries), entries, strict=True))
        return list(filter(None, map(self._by_path.get, paths if unique else dict.fromkeys(paths))))

    def chunk(self, prefix: str, after: str, limit: int) -> tuple[list[Entry], str, bool]:
        """A stream's next ``limit`` values under ``prefix`` (``core.paths.under_prefix``)
        after the path ``after``: (values, the last path given, whether that was the end).
        The entries are in SQLite's path order (UTF-8 bytes), which is str order."""
        if self._paths is None:
            self._paths = list(map(_path, self.entries))
        paths = self._paths
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
        self.drop(tid)
        size = estimate(entries) if payload is None else PER_VALUE * len(entries) + payload
        if size > self.limit:
            return None
        while self._trees and self._size + size > self.limit:
            self.drop(next(iter(self._trees)))
        head = self._trees[tid] = Head(seq, entries, size)
        self._size += size
        return head

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
