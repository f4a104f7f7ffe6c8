"""One scroll position for two panes of different lengths (Qt-free).

The side-by-side value diff stacks its chunks as *aligned rows*: each chunk
takes as many rows as its taller side (an equal chunk: its length on both
sides; a block only one side has: its length, the other side standing
still). A master scrollbar moves through these rows, and each pane shows the
line that row maps to on its side, so both panes always show the same part of
the diff. The maps are piecewise linear, monotonic and invertible where a side
has lines, which lets a wheel turn on either pane drive the master too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from zhi_gui.core.textdiff import Chunk


class AlignedRows:
    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = list(chunks)
        self._starts: list[float] = []  # first aligned row of each chunk
        self._heights: list[int] = []
        row = 0
        for c in self._chunks:
            self._starts.append(row)
            height = max(c.left_end - c.left_start, c.right_end - c.right_start)
            self._heights.append(height)
            row += height
        self.total = row
        self.left_lines = self._chunks[-1].left_end if self._chunks else 0
        self.right_lines = self._chunks[-1].right_end if self._chunks else 0
        # for the inverse maps: chunks that have lines on that side
        self._left_rows = [i for i, c in enumerate(self._chunks) if c.left_end > c.left_start]
        self._right_rows = [i for i, c in enumerate(self._chunks) if c.right_end > c.right_start]
        self._left_starts = [self._chunks[i].left_start for i in self._left_rows]
        self._right_starts = [self._chunks[i].right_start for i in self._right_rows]

    def _side(self, row: float, left: bool) -> float:
        if not self._chunks:
            return max(row, 0.0)
        if row <= 0:
            return 0.0
        i = max(bisect_right(self._starts, row) - 1, 0)
        c = self._chunks[i]
        start, end = (c.left_start, c.left_end) if left else (c.right_start, c.right_end)
        height = self._heights[i]
        offset = row - self._starts[i]
        if offset >= height:  # past the end: continue 1:1
            return end + (offset - height)
        return start + offset * (end - start) / height

    def to_left(self, row: float) -> float:
        """The (fractional) left line shown at aligned ``row``."""
        return self._side(row, True)

    def to_right(self, row: float) -> float:
        return self._side(row, False)

    def _from(self, line: float, left: bool) -> float:
        rows, starts = (self._left_rows, self._left_starts) if left else (self._right_rows, self._right_starts)
        if not rows or line <= 0:
            return max(line, 0.0) if not rows else 0.0
        k = max(bisect_right(starts, line) - 1, 0)
        i = rows[k]
        c = self._chunks[i]
        start, end = (c.left_start, c.left_end) if left else (c.right_start, c.right_end)
        if line >= end:  # past this side's last line
            return self._starts[i] + self._heights[i] + (line - end)
        return self._starts[i] + (line - start) * self._heights[i] / (end - start)

    def from_left(self, line: float) -> float:
        """The aligned row at which left ``line`` is shown (inverse of :meth:`to_left`)."""
        return self._from(line, True)

    def from_right(self, line: float) -> float:
        return self._from(line, False)

    def chunk_row(self, chunk_index: int) -> float:
        """The aligned row where chunk ``chunk_index`` starts."""
        return self._starts[chunk_index] if 0 <= chunk_index < len(self._starts) else float(self.total)
