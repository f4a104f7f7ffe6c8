"""What differs between two big trees, read side by side as their stores stream them.

Two trees compared whole held both in memory: two 1M-value trees took ~800 MB in the
window. Stores stream a tree in path order (SQLite's ``ORDER BY path``, etcd's key
order), so the two streams are walked together like the two halves of a merge: a path
on both sides with the same bytes is dropped at once, and only what differs is kept.
Memory is the changes plus a chunk or two of each side.

A stream that turns out not to be in path order raises ``Unsorted``: the caller then
reads both sides whole, as before. Nothing here imports Qt.
"""

from __future__ import annotations

import asyncio
import contextlib
import operator
from collections.abc import AsyncIterator, Callable, Sequence

from zhi_gui.core.model import DiffEntry, Entry

# Entries walked per turn of the loop, then the loop gets a turn (2,000: a few ms).
MERGE_SLICE = 2000

Chunks = AsyncIterator[tuple[Sequence[Entry], int]]  # (entries, count of the whole stream)
Progress = Callable[[int, int], None]  # (read so far, total)


class Unsorted(Exception):
    """A side's stream is not in path order: it cannot be walked beside the other."""


class _Side:
    """One stream, its current chunk and the next one already asked for (both sides' stores
    work at once)."""

    def __init__(self, chunks: Chunks, progress: Progress | None) -> None:
        self._chunks = chunks
        self._progress = progress
        self._next: asyncio.Future[tuple[Sequence[Entry], int] | None] = asyncio.ensure_future(self._pull())
        self.buf: Sequence[Entry] = ()
        self.pos = 0
        self.count = 0
        self._last = ""
        self._ended = False

    async def _pull(self) -> tuple[Sequence[Entry], int] | None:
        with contextlib.suppress(StopAsyncIteration):
            return await self._chunks.__anext__()
        return None

    async def refill(self) -> bool:
        """The next chunk in ``buf`` (``pos`` 0); False when the stream has ended."""
        while not self._ended:
            got = await self._next
            if got is None:
                self._ended = True
                break
            entries, total = got
            self._next = asyncio.ensure_future(self._pull())
            if not entries:
                continue
            paths = [e.path for e in entries]
            if (self.count and paths[0] <= self._last) or not all(map(operator.lt, paths, paths[1:])):
                raise Unsorted(f"values arrived out of path order near {paths[0]!r}")
            self._last = paths[-1]
            self.buf, self.pos = entries, 0
            self.count += len(entries)
            if self._progress is not None:
                self._progress(self.count, total)
            return True
        self.buf, self.pos = (), 0
        return False

    async def close(self) -> None:
        self._next.cancel()
        with contextlib.suppress(BaseException):
            await self._next
        closing = getattr(self._chunks, "aclose", None)
        if closing is not None:
            with contextlib.suppress(Exception):
                await closing()


async def changed_pairs(old: Chunks, new: Chunks, old_progress: Progress | None = None,
                        new_progress: Progress | None = None) -> tuple[list[DiffEntry], int, int]:
    """The paths whose entries differ between two path-ordered streams (on one side only,
    or with other value or label bytes), each with its entry on both sides; and how many
    values each side has. Raises ``Unsorted`` (see the module)."""
    pairs: list[DiffEntry] = []
    add = pairs.append
    left, right = _Side(old, old_progress), _Side(new, new_progress)
    try:
        while True:
            if left.pos >= len(left.buf) and not await left.refill():
                await _rest(right, add, lambda e: DiffEntry(e.path, None, e))
                break
            if right.pos >= len(right.buf) and not await right.refill():
                await _rest(left, add, lambda e: DiffEntry(e.path, e, None))
                break
            lbuf, lpos, rbuf, rpos = left.buf, left.pos, right.buf, right.pos
            lend, rend = len(lbuf), len(rbuf)
            budget = MERGE_SLICE
            while lpos < lend and rpos < rend and budget:
                o, n = lbuf[lpos], rbuf[rpos]
                if o.path == n.path:
                    if o.value_json != n.value_json or o.metadata_json != n.metadata_json:
                        add(DiffEntry(o.path, o, n))
                    lpos += 1
                    rpos += 1
                elif o.path < n.path:
                    add(DiffEntry(o.path, o, None))
                    lpos += 1
                else:
                    add(DiffEntry(n.path, None, n))
                    rpos += 1
                budget -= 1
            left.pos, right.pos = lpos, rpos
            if not budget:
                await asyncio.sleep(0)
    finally:
        await left.close()
        await right.close()
    return pairs, left.count, right.count


async def _rest(side: _Side, add: Callable[[DiffEntry], None], pair: Callable[[Entry], DiffEntry]) -> None:
    """The other side has ended: everything left on this one is on this side only."""
    while True:
        for start in range(side.pos, len(side.buf), MERGE_SLICE):
            for entry in side.buf[start:start + MERGE_SLICE]:
                add(pair(entry))
            await asyncio.sleep(0)
        side.pos = len(side.buf)
        if not await side.refill():
            return
