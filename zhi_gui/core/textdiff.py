"""Side-by-side diff of one value: lines, chunks, in-line highlights, scroll mapping.

Pure Python (no Qt). A diff view shows ``left_lines`` and ``right_lines`` in
two read-only panes, colours them by ``chunks`` (Meld/Calibre style
``(left_start, left_end, right_start, right_end, kind)``, half-open line
ranges that cover both sides completely, in order) and the character ranges
of ``highlights``, and keeps the panes aligned with :meth:`TextDiff.map_position`.

How a value becomes lines (:func:`pretty_lines`):

* objects and arrays: JSON with sorted keys and 2-space indent, so structure
  diffs line by line;
* strings: their text split on ``\\n`` (a trailing newline gives a last empty
  line; ``\\r`` stays in the line) when the string is multi-line or its labels
  say it is text (``ui.format``, ``core.type`` ``json``/``yaml``,
  ``ui.multiline``); other strings are shown JSON-quoted, so ``"5"`` and ``5``
  look different;
* other scalars as JSON (``1``, ``1.0``, ``true``, ``null``); a value that is
  not valid JSON as its raw text.

Line diff: ``difflib.SequenceMatcher(autojunk=False)`` after stripping common
leading/trailing lines. SequenceMatcher is quadratic in repeated lines (a
pretty-printed array of objects repeats ``{`` and ``},`` thousands of times)
and rescans a region once per matching block, so a region with more than
:data:`ANCHOR_MIN_LINES` lines or an estimated work above
:data:`LINE_WORK_LIMIT` is first split on lines that occur exactly once on
each side (patience anchors, longest increasing run) and each gap is diffed
on its own, recursively. A gap that is still too costly and has no anchors is
diffed with ``autojunk=True`` if that is cheap enough, else reported as one
``replace``. Small values therefore get SequenceMatcher's answer (on the part
between common leading and trailing lines) and large ones can't hang.

In-line highlights: for each ``replace`` chunk, lines are paired by position
and each pair is diffed character by character (by approximate grapheme
clusters, so a combining accent or an emoji sequence is never split). The cap:
a chunk with more than :data:`INTRALINE_MAX_LINES` lines (both sides) or more
than :data:`INTRALINE_MAX_CHARS` characters gets no in-line highlights
(counted in ``TextDiff.intraline_skipped``), and a line pair longer than
:data:`INTRALINE_MAX_PAIR_CHARS` characters only gets its differing middle
(after the common prefix and suffix) highlighted. Character-level
SequenceMatcher on two 5,000-character lines takes ~200 ms here; the caps keep
one value diff's in-line work around 50 ms at worst.

Ranges are Python string indices (code points); :func:`utf16_ranges`
converts them for Qt, which counts UTF-16 units.
"""

from __future__ import annotations

import enum
import unicodedata
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import pairwise
from typing import Any, NamedTuple

from zhi_gui.core.diff import (
    MASK,
    PathChange,
    compare_entries,
    decode_typed,
    labels_of,
)
from zhi_gui.core.jsonvalues import to_text
from zhi_gui.core.labels import truthy_label
from zhi_gui.core.model import Entry

INTRALINE_MAX_LINES = 200
INTRALINE_MAX_CHARS = 10_000
INTRALINE_MAX_PAIR_CHARS = 2_000
# Estimated SequenceMatcher inner-loop steps for one region (sum over left
# lines of their occurrences on the right); ~250k steps take ~50 ms.
LINE_WORK_LIMIT = 250_000
# SequenceMatcher rescans a region once per matching block it finds, so big
# regions are split on unique lines first even when the estimate is low.
ANCHOR_MIN_LINES = 2_000

TEXT_FORMATS = frozenset({"text", "json", "yaml", "toml", "code", "markdown", "html"})
TEXT_CORE_TYPES = frozenset({"json", "yaml"})

Range = tuple[int, int]


class ChunkKind(enum.StrEnum):
    EQUAL = "equal"
    REPLACE = "replace"
    INSERT = "insert"  # lines only on the right
    DELETE = "delete"  # lines only on the left


class Chunk(NamedTuple):
    left_start: int
    left_end: int
    right_start: int
    right_end: int
    kind: ChunkKind


@dataclass(frozen=True, slots=True)
class LineHighlight:
    """Changed character ranges of one paired line (left line ``left_line`` vs right ``right_line``)."""

    left_line: int
    right_line: int
    left_ranges: tuple[Range, ...]
    right_ranges: tuple[Range, ...]


@dataclass(frozen=True)
class TextDiff:
    left_lines: tuple[str, ...]
    right_lines: tuple[str, ...]
    chunks: tuple[Chunk, ...]
    highlights: tuple[LineHighlight, ...] = ()
    intraline_skipped: int = 0  # replace chunks left without in-line highlights (the cap)
    masked: bool = False  # a secret shown as MASK lines
    left_type: str | None = None
    right_type: str | None = None
    _maps: dict[bool, tuple[list[int], list[Chunk]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _hl_index: dict[tuple[bool, int], tuple[Range, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __repr__(self) -> str:  # never show the lines: they may be a revealed secret
        return (
            f"<TextDiff {len(self.left_lines)}|{len(self.right_lines)} lines, "
            f"{len(self.change_chunks)} changes{', masked' if self.masked else ''}>"
        )

    @property
    def change_chunks(self) -> tuple[Chunk, ...]:
        return tuple(c for c in self.chunks if c.kind is not ChunkKind.EQUAL)

    @property
    def identical(self) -> bool:
        return not self.change_chunks

    # --- synchronized scrolling -------------------------------------------------

    def _map(self, from_left: bool) -> tuple[list[int], list[Chunk]]:
        cached = self._maps.get(from_left)
        if cached is None:
            # Chunks without height on the source side can't hold a source
            # position; skipping them maps the line after an insertion point to
            # the line after the inserted block, which is the same content.
            if from_left:
                rows = [c for c in self.chunks if c.left_end > c.left_start]
                cached = ([c.left_start for c in rows], rows)
            else:
                rows = [c for c in self.chunks if c.right_end > c.right_start]
                cached = ([c.right_start for c in rows], rows)
            self._maps[from_left] = cached
        return cached

    def map_position(self, position: float, *, from_left: bool = True) -> float:
        """Map a (fractional) line position of one pane to the other pane.

        Piecewise linear over the chunks: 1:1 in equal chunks, stretched in
        replace chunks, constant across a block that only the other side has.
        Positions past the end continue 1:1 from the last lines.
        """
        starts, rows = self._map(from_left)
        if not rows:
            return 0.0 if position <= 0 else float(position)
        i = max(bisect_right(starts, position) - 1, 0)
        c = rows[i]
        if from_left:
            s0, s1, d0, d1 = c.left_start, c.left_end, c.right_start, c.right_end
        else:
            s0, s1, d0, d1 = c.right_start, c.right_end, c.left_start, c.left_end
        if position < s0:
            return float(d0)
        if position >= s1:
            return float(d1 + (position - s1))
        return d0 + (position - s0) * (d1 - d0) / (s1 - s0)

    def _map_line(self, line: int, from_left: bool) -> int:
        target = self.right_lines if from_left else self.left_lines
        if not target:
            return 0
        mapped = int(self.map_position(float(line), from_left=from_left))
        return min(max(mapped, 0), len(target) - 1)

    def left_to_right(self, line: int) -> int:
        """The right line shown next to left ``line`` (clamped to the right's lines)."""
        return self._map_line(line, True)

    def right_to_left(self, line: int) -> int:
        """The left line shown next to right ``line`` (clamped to the left's lines)."""
        return self._map_line(line, False)

    # --- navigation ---------------------------------------------------------------

    def next_change(self, line: int, *, left: bool = True) -> Chunk | None:
        """The first changed chunk that starts after ``line`` of the given side."""
        for c in self.change_chunks:
            if (c.left_start if left else c.right_start) > line:
                return c
        return None

    def previous_change(self, line: int, *, left: bool = True) -> Chunk | None:
        """The last changed chunk that starts before ``line`` of the given side."""
        found = None
        for c in self.change_chunks:
            if (c.left_start if left else c.right_start) < line:
                found = c
        return found

    def _highlight_index(self) -> dict[tuple[bool, int], tuple[Range, ...]]:
        index = self._hl_index
        if not index and self.highlights:
            for h in self.highlights:
                index[(True, h.left_line)] = h.left_ranges
                index[(False, h.right_line)] = h.right_ranges
        return index

    def highlights_for_left(self, line: int) -> tuple[Range, ...]:
        """Changed character ranges of a left line (empty when none)."""
        return self._highlight_index().get((True, line), ())

    def highlights_for_right(self, line: int) -> tuple[Range, ...]:
        return self._highlight_index().get((False, line), ())


# --- values to lines -------------------------------------------------------------


def _text_like(labels: dict[str, Any]) -> bool:
    fmt = labels.get("ui.format")
    ctype = labels.get("core.type")
    return (
        (isinstance(fmt, str) and fmt.lower() in TEXT_FORMATS)
        or (isinstance(ctype, str) and ctype.lower() in TEXT_CORE_TYPES)
        or truthy_label(labels.get("ui.multiline"))
    )


def pretty_text(value_json: bytes, metadata_json: bytes = b"") -> str:
    """The text a diff shows for a value (see the module doc)."""
    value, vtype = decode_typed(value_json)
    if vtype == "invalid":
        return value_json.decode("utf-8", "replace")
    if vtype in ("object", "array"):
        return to_text(value, indent=True, sort_keys=True)
    if vtype == "string":
        if "\n" in value or _text_like(labels_of(metadata_json)):
            return str(value)
        return to_text(value)
    return to_text(value)


def pretty_lines(value_json: bytes, metadata_json: bytes = b"") -> list[str]:
    return pretty_text(value_json, metadata_json).split("\n")


# --- line diff -------------------------------------------------------------------


def _work(a: Sequence[str], b: Sequence[str]) -> int:
    counts = Counter(b)
    return sum(counts.get(x, 0) for x in a)


def _anchors(a: Sequence[str], b: Sequence[str]) -> list[tuple[int, int]]:
    """Lines unique on both sides, as the longest run increasing on both sides."""
    ca, cb = Counter(a), Counter(b)
    bpos = {x: j for j, x in enumerate(b) if cb[x] == 1}
    pairs = [(i, bpos[x]) for i, x in enumerate(a) if ca[x] == 1 and x in bpos]
    if not pairs:
        return []
    if all(p[1] < q[1] for p, q in pairwise(pairs)):  # the usual case: nothing moved
        return pairs
    # patience: longest increasing subsequence of the right positions
    tails: list[int] = []  # right position ending the best run of each length
    tail_idx: list[int] = []
    back: list[int] = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        n = bisect_right(tails, j)
        if n == len(tails):
            tails.append(j)
            tail_idx.append(k)
        else:
            tails[n] = j
            tail_idx[n] = k
        back[k] = tail_idx[n - 1] if n else -1
    out: list[tuple[int, int]] = []
    k = tail_idx[-1]
    while k >= 0:
        out.append(pairs[k])
        k = back[k]
    out.reverse()
    return out


def _split_region(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[Chunk | tuple[int, int, int, int]]:
    """Diff one region: chunks where the answer is known, sub-regions still to diff.

    Returns the pieces in order; sub-regions (plain 4-tuples) are diffed later
    by :func:`diff_chunks`, which keeps the recursion on an explicit stack.
    """
    pieces: list[Chunk | tuple[int, int, int, int]] = []
    # common leading and trailing lines
    i, j = alo, blo
    while i < ahi and j < bhi and a[i] == b[j]:
        i += 1
        j += 1
    if i > alo:
        pieces.append(Chunk(alo, i, blo, j, ChunkKind.EQUAL))
    k, m = ahi, bhi
    while k > i and m > j and a[k - 1] == b[m - 1]:
        k -= 1
        m -= 1
    suffix = Chunk(k, ahi, m, bhi, ChunkKind.EQUAL) if k < ahi else None
    alo, ahi, blo, bhi = i, k, j, m

    if alo == ahi or blo == bhi:
        if alo < ahi or blo < bhi:
            kind = ChunkKind.DELETE if blo == bhi else ChunkKind.INSERT
            pieces.append(Chunk(alo, ahi, blo, bhi, kind))
    else:
        pieces.extend(_diff_middle(a, b, alo, ahi, blo, bhi))
    if suffix is not None:
        pieces.append(suffix)
    return pieces


def _diff_middle(
    a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int
) -> list[Chunk | tuple[int, int, int, int]]:
    sa, sb = a[alo:ahi], b[blo:bhi]
    big = len(sa) + len(sb) > ANCHOR_MIN_LINES
    work = 0 if big else _work(sa, sb)
    if big or work > LINE_WORK_LIMIT:
        anchors = _anchors(sa, sb)
        if anchors:
            pieces: list[Chunk | tuple[int, int, int, int]] = []
            i0, j0 = alo, blo  # end of the last anchor run
            run_i = run_j = -1  # start of the current anchor run
            for i, j in anchors:
                i, j = alo + i, blo + j
                if (i, j) != (i0, j0) or run_i < 0:  # a gap before this anchor
                    if run_i >= 0:
                        pieces.append(Chunk(run_i, i0, run_j, j0, ChunkKind.EQUAL))
                    if i > i0 or j > j0:
                        pieces.append((i0, i, j0, j))
                    run_i, run_j = i, j
                i0, j0 = i + 1, j + 1
            pieces.append(Chunk(run_i, i0, run_j, j0, ChunkKind.EQUAL))
            if ahi > i0 or bhi > j0:
                pieces.append((i0, ahi, j0, bhi))
            return pieces
    autojunk = False
    if big:
        work = _work(sa, sb)
    if work > LINE_WORK_LIMIT:
        # No unique line to split on: difflib's popularity heuristic, if that is cheap.
        counts = Counter(sb)
        popular = len(sb) // 100 + 1 if len(sb) >= 200 else len(sb) + 1
        if sum(counts[x] for x in sa if counts.get(x, 0) <= popular) > LINE_WORK_LIMIT:
            return [Chunk(alo, ahi, blo, bhi, ChunkKind.REPLACE)]
        autojunk = True
    matcher = SequenceMatcher(None, sa, sb, autojunk=autojunk)
    return [
        Chunk(alo + i1, alo + i2, blo + j1, blo + j2, ChunkKind(tag))
        for tag, i1, i2, j1, j2 in matcher.get_opcodes()
    ]


def _normalize(chunks: Iterable[Chunk]) -> list[Chunk]:
    """Merge neighbours: equal with equal, and any run of non-equal into one chunk."""
    out: list[Chunk] = []
    for c in chunks:
        if c.left_start == c.left_end and c.right_start == c.right_end:
            continue
        if out:
            p = out[-1]
            p_eq = p.kind is ChunkKind.EQUAL
            if p_eq == (c.kind is ChunkKind.EQUAL):
                ls, le, rs, re = p.left_start, c.left_end, p.right_start, c.right_end
                if p_eq:
                    kind = ChunkKind.EQUAL
                elif ls == le:
                    kind = ChunkKind.INSERT
                elif rs == re:
                    kind = ChunkKind.DELETE
                else:
                    kind = ChunkKind.REPLACE
                out[-1] = Chunk(ls, le, rs, re, kind)
                continue
        out.append(c)
    return out


def diff_chunks(left: Sequence[str], right: Sequence[str]) -> list[Chunk]:
    """The chunk list of two line lists (covers both sides, in order)."""
    out: list[Chunk] = []
    stack: list[Chunk | tuple[int, int, int, int]] = [(0, len(left), 0, len(right))]
    while stack:  # pieces are popped in output order
        piece = stack.pop()
        if isinstance(piece, Chunk):
            out.append(piece)
        else:
            stack.extend(reversed(_split_region(left, right, *piece)))
    return _normalize(out)


# --- in-line highlights ----------------------------------------------------------


def _joins_previous(ch: str, prev: str) -> bool:
    cp = ord(ch)
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or cp == 0x200D  # zero-width joiner
        or prev == "\u200d"
        or 0xFE00 <= cp <= 0xFE0F  # variation selectors
        or 0x1F3FB <= cp <= 0x1F3FF  # skin tones
        or 0xE0020 <= cp <= 0xE007F  # tag characters (subdivision flags)
        or 0xE0100 <= cp <= 0xE01EF
    )


def graphemes(text: str) -> list[str]:
    """Approximate extended grapheme clusters: combining marks, ZWJ sequences,
    variation selectors, skin tones, flag pairs and CRLF stay together."""
    out: list[str] = []
    ri_open = False  # an unpaired regional indicator ends the last cluster
    prev = ""
    for ch in text:
        cp = ord(ch)
        is_ri = 0x1F1E6 <= cp <= 0x1F1FF
        if out and (
            _joins_previous(ch, prev) or (is_ri and ri_open) or (ch == "\n" and prev == "\r")
        ):
            out[-1] += ch
            ri_open = False
        else:
            out.append(ch)
            ri_open = is_ri
        prev = ch
    return out


def _merge(ranges: list[Range]) -> tuple[Range, ...]:
    merged: list[Range] = []
    for s, e in ranges:
        if merged and merged[-1][1] >= s:
            merged[-1] = (merged[-1][0], max(e, merged[-1][1]))
        else:
            merged.append((s, e))
    return tuple(merged)


def line_ranges(left: str, right: str) -> tuple[tuple[Range, ...], tuple[Range, ...]]:
    """Changed character ranges of two lines (half-open, code point indices)."""
    if left == right:
        return (), ()
    if len(left) + len(right) > INTRALINE_MAX_PAIR_CHARS:
        return _prefix_suffix_ranges(left, right)
    ta, tb = graphemes(left), graphemes(right)
    oa, ob = [0], [0]
    for t in ta:
        oa.append(oa[-1] + len(t))
    for t in tb:
        ob.append(ob[-1] + len(t))
    lr: list[Range] = []
    rr: list[Range] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, ta, tb, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if i2 > i1:
            lr.append((oa[i1], oa[i2]))
        if j2 > j1:
            rr.append((ob[j1], ob[j2]))
    return _merge(lr), _merge(rr)


def _starts_in_cluster(text: str, i: int) -> bool:
    return 0 < i < len(text) and _joins_previous(text[i], text[i - 1])


def _prefix_suffix_ranges(left: str, right: str) -> tuple[tuple[Range, ...], tuple[Range, ...]]:
    n = min(len(left), len(right))
    p = 0
    while p < n and left[p] == right[p]:
        p += 1
    s = 0
    while s < n - p and left[-1 - s] == right[-1 - s]:
        s += 1
    # don't cut a cluster: a differing part that starts with a mark takes its base along
    while p > 0 and (_starts_in_cluster(left, p) or _starts_in_cluster(right, p)):
        p -= 1
    while s > 0 and (
        _starts_in_cluster(left, len(left) - s) or _starts_in_cluster(right, len(right) - s)
    ):
        s -= 1
    lr = ((p, len(left) - s),) if len(left) - s > p else ()
    rr = ((p, len(right) - s),) if len(right) - s > p else ()
    return lr, rr


def _intraline(
    left: Sequence[str], right: Sequence[str], chunks: Iterable[Chunk]
) -> tuple[list[LineHighlight], int]:
    out: list[LineHighlight] = []
    skipped = 0
    for c in chunks:
        if c.kind is not ChunkKind.REPLACE:
            continue
        lines = (c.left_end - c.left_start) + (c.right_end - c.right_start)
        if lines > INTRALINE_MAX_LINES:
            skipped += 1
            continue
        chars = sum(len(x) for x in left[c.left_start : c.left_end]) + sum(
            len(x) for x in right[c.right_start : c.right_end]
        )
        if chars > INTRALINE_MAX_CHARS:
            skipped += 1
            continue
        pairs = zip(range(c.left_start, c.left_end), range(c.right_start, c.right_end), strict=False)
        for li, ri in pairs:  # lines beyond the shorter side stay unpaired
            lr, rr = line_ranges(left[li], right[ri])
            if lr or rr:
                out.append(LineHighlight(li, ri, lr, rr))
    return out, skipped


def diff_lines(
    left: Sequence[str],
    right: Sequence[str],
    *,
    intraline: bool = True,
    left_type: str | None = None,
    right_type: str | None = None,
) -> TextDiff:
    """Diff two line lists: chunks and (capped) in-line highlights."""
    chunks = diff_chunks(left, right)
    highlights: list[LineHighlight] = []
    skipped = 0
    if intraline:
        highlights, skipped = _intraline(left, right, chunks)
    return TextDiff(
        tuple(left),
        tuple(right),
        tuple(chunks),
        tuple(highlights),
        skipped,
        left_type=left_type,
        right_type=right_type,
    )


def diff_entries(
    old: Entry | None,
    new: Entry | None,
    *,
    reveal: bool = False,
    secret: bool | None = None,
    intraline: bool = True,
) -> TextDiff:
    """The side-by-side diff of one path's values (None = absent on that side).

    A secret (``ui.password``/``store.writeonly`` on either side, or
    ``secret=True``) is shown as one MASK line per present side, marked
    ``replace`` when the value changed, unless ``reveal``. ``secret=False``
    never unmasks a labelled secret; only ``reveal=True`` does.
    """
    if old is None and new is None:
        return TextDiff((), (), ())
    change = compare_entries("", old, new)
    return diff_change(change, reveal=reveal, secret=secret, intraline=intraline)


def diff_change(
    change: PathChange,
    *,
    reveal: bool = False,
    secret: bool | None = None,
    intraline: bool = True,
) -> TextDiff:
    """The side-by-side diff for a :class:`~zhi_gui.core.diff.PathChange`."""
    old, new = change.old, change.new
    is_secret = change.secret if secret is None else secret or change.secret
    if is_secret and not reveal:
        left = (MASK,) if old is not None else ()
        right = (MASK,) if new is not None else ()
        if old is not None and new is not None:
            kind = ChunkKind.REPLACE if change.value_changed else ChunkKind.EQUAL
        else:
            kind = ChunkKind.DELETE if new is None else ChunkKind.INSERT
        chunk = Chunk(0, len(left), 0, len(right), kind)
        return TextDiff(
            left,
            right,
            (chunk,),
            masked=True,
            left_type=change.old_type,
            right_type=change.new_type,
        )
    left_lines = pretty_lines(old.value_json, old.metadata_json) if old is not None else []
    right_lines = pretty_lines(new.value_json, new.metadata_json) if new is not None else []
    return diff_lines(
        left_lines,
        right_lines,
        intraline=intraline,
        left_type=change.old_type,
        right_type=change.new_type,
    )


def utf16_ranges(line: str, ranges: Iterable[Range]) -> list[Range]:
    """Convert code point ranges of ``line`` to UTF-16 offsets (what Qt's text APIs count)."""
    out: list[Range] = []
    for s, e in ranges:
        s16 = s + sum(1 for ch in line[:s] if ord(ch) > 0xFFFF)
        e16 = s16 + (e - s) + sum(1 for ch in line[s:e] if ord(ch) > 0xFFFF)
        out.append((s16, e16))
    return out
