"""Side-by-side diff of one value (Meld/Calibre style).

Two read-only panes, a link map between them that joins each changed chunk
to its counterpart, and ONE master scrollbar that moves through the chunks'
*aligned rows* (:mod:`zhi_gui.ui.history.scrollsync`) and keeps both panes
showing the same part of the diff. Wheel turns on either pane go to the
master; keyboard scrolling inside a pane drives it back (with a re-entrancy
guard).

Colouring never walks the whole document: each pane paints the backgrounds
of changed lines and the tints of in-line changes for the lines it is
painting, from per-line tables built off the UI thread with the text diff.
Documents are filled in slices on a zero-timer, so a 70,000-line value opens
without stalling the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from PySide6.QtCore import QEvent, QObject, QPoint, QPointF, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QResizeEvent,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QScrollBar,
    QSizePolicy,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.diff import PathChange
from zhi_gui.core.gc_control import paused_gc
from zhi_gui.core.textdiff import Chunk, ChunkKind, TextDiff, diff_change, utf16_ranges
from zhi_gui.ui.history.colors import KindColors, kind_colors, muted_text
from zhi_gui.ui.history.scrollsync import AlignedRows
from zhi_gui.ui.tasks import Runner, standalone_runner
from zhi_gui.ui.theme import icon

LINE_LIMIT = 4000  # characters shown of one line (a 5 MB one-line string would stall any text widget)
FEED_LINES = 300  # lines added to each pane in the first turn; later turns adapt to FEED_SECONDS
FEED_SECONDS = 0.0025  # time per turn spent filling the panes (a busy machine gets smaller slices); the
# repaint of both panes follows in the same turn
FEED_MIN, FEED_MAX = 50, 4000
Range = tuple[int, int]


@dataclass
class SideLines:
    """What one pane shows and how it is coloured (built off the UI thread)."""

    lines: list[str] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)  # per line: added/removed/changed/None
    words: dict[int, list[Range]] = field(default_factory=dict)  # line -> UTF-16 ranges
    markers: list[tuple[int, str]] = field(default_factory=list)  # (line, kind): lines only the other side has
    truncated: int = 0


@dataclass
class Prepared:
    diff: TextDiff
    left: SideLines
    right: SideLines
    changes: list[int]  # indices of the change chunks in diff.chunks


def _clip(line: str) -> tuple[str, bool]:
    if len(line) <= LINE_LIMIT:
        return line, False
    return line[:LINE_LIMIT] + f" \u2026 ({len(line) - LINE_LIMIT:,} more characters)", True


def _in_word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def whole_words(line: str, ranges: Sequence[Range]) -> list[Range]:
    """Widen character ranges to the words they touch ("tru|e" -> "true", not "tru").

    A character diff of ``true`` and ``false`` marks ``tru`` / ``fals``; people
    read words. Punctuation and spaces stay as they are; overlapping results merge.
    """
    out: list[Range] = []
    for start, end in ranges:
        if start < end:
            if _in_word(line[start]):
                while start > 0 and _in_word(line[start - 1]):
                    start -= 1
            if _in_word(line[end - 1]):
                while end < len(line) and _in_word(line[end]):
                    end += 1
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(end, out[-1][1]))
        else:
            out.append((start, end))
    return out


def prepare(diff: TextDiff) -> Prepared:
    """Per-line tables for the panes (pure; runs in an executor)."""
    left, right = SideLines(), SideLines()
    for side, lines in ((left, diff.left_lines), (right, diff.right_lines)):
        for line in lines:
            text, cut = _clip(line)
            side.lines.append(text)
            side.truncated += cut
        side.kinds = [None] * len(lines)
    changes = []
    for i, c in enumerate(diff.chunks):
        if c.kind is ChunkKind.EQUAL:
            continue
        changes.append(i)
        left_kind = "changed" if c.kind is ChunkKind.REPLACE else "removed"
        right_kind = "changed" if c.kind is ChunkKind.REPLACE else "added"
        if c.left_end > c.left_start:
            left.kinds[c.left_start:c.left_end] = [left_kind] * (c.left_end - c.left_start)
        else:
            left.markers.append((c.left_start, right_kind))
        if c.right_end > c.right_start:
            right.kinds[c.right_start:c.right_end] = [right_kind] * (c.right_end - c.right_start)
        else:
            right.markers.append((c.right_start, left_kind))
    for h in diff.highlights:
        for target, lines, number, ranges in ((left, diff.left_lines, h.left_line, h.left_ranges),
                                              (right, diff.right_lines, h.right_line, h.right_ranges)):
            line = lines[number]
            clipped = [(s, min(e, LINE_LIMIT)) for s, e in whole_words(line, ranges) if s < LINE_LIMIT]
            if clipped:
                target.words[number] = utf16_ranges(line, clipped)
    return Prepared(diff, left, right, changes)


def text_diff_for(change: PathChange, reveal: bool) -> Prepared:
    return prepare(diff_change(change, reveal=reveal))


# --- the panes -------------------------------------------------------------------------------


class _Gutter(QWidget):
    def __init__(self, pane: DiffPane) -> None:
        super().__init__(pane)
        self.pane = pane

    def sizeHint(self) -> QSize:
        return QSize(self.pane.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.pane.paint_gutter(self, event)


class DiffPane(QPlainTextEdit):
    """A read-only pane that paints its diff colours for the visible lines only."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.document().setUndoRedoEnabled(False)
        self.document().setDocumentMargin(2)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.side = SideLines()
        self.line_count = 0  # lines the pane will hold (the document may still be filling)
        self.gutter = _Gutter(self)
        self.updateRequest.connect(self._update_gutter)
        self.blockCountChanged.connect(lambda _n: self._fit_gutter())
        self._fit_gutter()

    # --- content ----------------------------------------------------------------------------
    def start(self, side: SideLines) -> None:
        self.side = side
        self.line_count = len(side.lines)
        self.clear()
        self._fit_gutter()

    def feed(self, start: int, end: int) -> None:
        """Append lines ``start .. end`` of the side to the document."""
        if start >= end:
            return
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(("\n" if start else "") + "\n".join(self.side.lines[start:end]))
        if start == 0:
            self.moveCursor(QTextCursor.MoveOperation.Start)

    # --- geometry -----------------------------------------------------------------------------
    def line_height(self) -> float:
        block = self.firstVisibleBlock()
        if block.isValid():
            height = self.blockBoundingRect(block).height()
            if height > 0:
                return height
        return float(self.fontMetrics().lineSpacing())

    def lines_at(self) -> LineGeometry:
        """Where the lines are (viewport y, also for lines not filled in yet): asked once a
        paint, not per line (a line's top asked of Qt was six calls; a repaint of both panes,
        their gutters and the strip between them made ~2,000)."""
        height = self.line_height()
        block = self.firstVisibleBlock()
        if not block.isValid():
            return LineGeometry(0, self.document().documentMargin(), height)
        top = self.blockBoundingGeometry(block).translated(self.contentOffset()).top()
        return LineGeometry(block.blockNumber(), top, height)

    def visible_lines(self) -> int:
        return max(int(self.viewport().height() / self.line_height()), 1)

    # --- painting -------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        try:
            self._paint_decor(painter, event.rect())
        finally:
            painter.end()
        super().paintEvent(event)

    def _paint_decor(self, painter: QPainter, area: QRect) -> None:
        side = self.side
        at = self.lines_at()
        height, first = at.height, at.first
        visible = max(int(self.viewport().height() / height), 1)
        width = self.viewport().width()
        last = min(first + visible + 2, len(side.kinds))
        doc = self.document()
        x0 = self.contentOffset().x()
        colors_of = _ColorsOf()
        for line in range(first, last):
            kind = side.kinds[line]
            if kind is None:
                continue
            colors = colors_of(kind)
            if colors is None:
                continue
            top = at.top(line)
            painter.fillRect(QRectF(0, top, width, height), colors.line)
            ranges = side.words.get(line)
            if ranges and line < doc.blockCount():
                block = doc.findBlockByNumber(line)
                layout = block.layout()
                if layout is None or layout.lineCount() == 0:
                    continue
                text_line = layout.lineAt(0)
                base = x0 + layout.position().x()
                for start, end in ranges:
                    left = base + _cursor_x(text_line, start)
                    right = base + _cursor_x(text_line, end)
                    painter.fillRect(QRectF(left, top + 1, max(right - left, 2.0), height - 2), colors.word)
        for line, kind in side.markers:
            if first - 1 <= line <= first + visible + 1:
                colors = colors_of(kind)
                if colors is not None:
                    y = at.top(line)
                    painter.fillRect(QRectF(0, y - 1, width, 2), colors.edge)

    # --- line numbers -----------------------------------------------------------------------------
    def gutter_width(self) -> int:
        digits = len(str(max(self.line_count, 1)))
        return 10 + self.fontMetrics().horizontalAdvance("9") * max(digits, 2)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _update_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self.gutter.scroll(0, dy)
        else:
            self.gutter.update(0, rect.y(), self.gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        r = self.contentsRect()
        self.gutter.setGeometry(QRect(r.left(), r.top(), self.gutter_width(), r.height()))

    def paint_gutter(self, gutter: QWidget, event: QPaintEvent) -> None:
        painter = QPainter(gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(palette.ColorRole.AlternateBase))
        painter.setPen(muted_text())
        painter.setFont(self.font())
        at = self.lines_at()
        height, first = at.height, at.first
        last = min(first + max(int(self.viewport().height() / height), 1) + 2, self.line_count)
        right = gutter.width() - 5
        colors_of = _ColorsOf()
        for line in range(first, last):
            top = at.top(line)
            kind = self.side.kinds[line] if line < len(self.side.kinds) else None
            if kind is not None:
                colors = colors_of(kind)
                if colors is not None:
                    painter.fillRect(QRectF(0, top, gutter.width(), height), colors.line)
            painter.drawText(QRectF(0, top, right, height), int(Qt.AlignmentFlag.AlignRight
                                                                | Qt.AlignmentFlag.AlignVCenter), str(line + 1))
        painter.end()


class LineGeometry(NamedTuple):
    """A pane's lines as painted now: the first visible line, its top, each line's height."""

    first: int
    first_top: float
    height: float

    def top(self, line: int) -> float:
        return self.first_top + (line - self.first) * self.height


class _ColorsOf(dict[Any, "KindColors | None"]):
    """kind_colors, asked once a kind a paint (it reads the palette each time)."""

    def __call__(self, kind: Any) -> KindColors | None:
        if kind not in self:
            self[kind] = kind_colors(kind)
        return self[kind]


def _cursor_x(text_line: Any, position: int) -> float:
    x = text_line.cursorToX(position)
    return float(x[0] if isinstance(x, tuple) else x)


class LinkMap(QWidget):
    """The strip between the panes: each changed chunk drawn as a band joining its two sides."""

    def __init__(self, view: ValueDiffView) -> None:
        super().__init__(view)
        self.view = view
        self.setFixedWidth(36)

    def paintEvent(self, event: QPaintEvent) -> None:
        view = self.view
        prepared = view.prepared
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(palette.ColorRole.Window))
        if prepared is None:
            painter.end()
            return
        left, right = view.left, view.right
        left_offset = self.mapFromGlobal(left.viewport().mapToGlobal(QPoint(0, 0))).y()
        right_offset = self.mapFromGlobal(right.viewport().mapToGlobal(QPoint(0, 0))).y()
        height = self.height()
        w = float(self.width())
        left_at, right_at = left.lines_at(), right.lines_at()
        colors_of = _ColorsOf()
        for i in prepared.changes:
            c: Chunk = prepared.diff.chunks[i]
            lt = left_offset + left_at.top(c.left_start)
            lb = left_offset + left_at.top(c.left_end)
            rt = right_offset + right_at.top(c.right_start)
            rb = right_offset + right_at.top(c.right_end)
            if max(lb, rb) < 0 or min(lt, rt) > height:
                continue
            colors = colors_of(c.kind)
            if colors is None:
                continue
            path = QPainterPath(QPointF(0, lt))
            path.cubicTo(QPointF(w / 2, lt), QPointF(w / 2, rt), QPointF(w, rt))
            path.lineTo(QPointF(w, max(rb, rt + 1)))
            path.cubicTo(QPointF(w / 2, max(rb, rt + 1)), QPointF(w / 2, max(lb, lt + 1)), QPointF(0, max(lb, lt + 1)))
            path.closeSubpath()
            painter.fillPath(path, colors.line)
            painter.setPen(QPen(colors.edge, 1))
            painter.drawPath(path)
        painter.end()


# --- the view -------------------------------------------------------------------------------------


class ValueDiffView(QWidget):
    """The side-by-side diff of one path. ``show_change`` it a PathChange (or None)."""

    ready = Signal()  # the documents are filled

    def __init__(self, parent: QWidget | None = None, *, run: Runner | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("value-diff")
        self.change: PathChange | None = None
        self.prepared: Prepared | None = None
        self.rows = AlignedRows(())
        self.reveal = False
        self.is_ready = True
        self._syncing = False
        self._generation = 0
        self._task: asyncio.Task[None] | None = None
        self._run = run or standalone_runner()
        self._fed = (0, 0)
        self._feed_lines = FEED_LINES
        self._feeder = QTimer(self)
        self._feeder.setSingleShot(True)  # started again after each slice: see _feed_step
        self._feeder.setInterval(0)
        self._feeder.timeout.connect(self._feed_step)
        self._titles = ("", "")
        self._build()

    # --- building --------------------------------------------------------------------------------
    def _build(self) -> None:
        self.path_label = QLabel()
        self.path_label.setObjectName("value-diff-path")
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.path_label.font()
        font.setBold(True)
        self.path_label.setFont(font)
        self.summary_label = QLabel()
        self.summary_label.setObjectName("value-diff-summary")
        self.prev_button = self._tool("value-diff-previous", "prev-change", "Previous change in this value (Alt+Up)",
                                      "Alt+Up", lambda: self.jump(-1))
        self.next_button = self._tool("value-diff-next", "next-change", "Next change in this value (Alt+Down)",
                                      "Alt+Down", lambda: self.jump(1))
        self.reveal_button = QToolButton()
        self.reveal_button.setObjectName("value-diff-reveal")
        self.reveal_button.setText("Reveal")
        self.reveal_button.setIcon(icon("reveal"))
        self.reveal_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.reveal_button.setCheckable(True)
        self.reveal_button.setToolTip("Show this secret's values in this view")
        self.reveal_button.toggled.connect(self.set_reveal)
        self.reveal_button.hide()
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        header.addWidget(self.path_label)
        header.addSpacing(10)
        header.addWidget(self.summary_label, 1)
        header.addWidget(self.reveal_button)
        header.addWidget(self.prev_button)
        header.addWidget(self.next_button)

        self.labels_label = QLabel()
        self.labels_label.setObjectName("value-diff-labels")
        self.labels_label.setWordWrap(True)
        self.labels_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.labels_label.setContentsMargins(6, 0, 6, 2)
        self.labels_label.hide()

        self.left_title = QLabel()
        self.left_title.setObjectName("value-diff-left-title")
        self.right_title = QLabel()
        self.right_title.setObjectName("value-diff-right-title")
        for label in (self.left_title, self.right_title):
            label.setContentsMargins(6, 2, 6, 2)
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        titles = QHBoxLayout()
        titles.setContentsMargins(0, 0, 0, 0)
        titles.setSpacing(0)
        titles.addWidget(self.left_title, 1)
        titles.addSpacing(36)
        titles.addWidget(self.right_title, 1)
        titles.addSpacing(self.style().pixelMetric(self.style().PixelMetric.PM_ScrollBarExtent))

        self.left = DiffPane("value-diff-left")
        self.right = DiffPane("value-diff-right")
        self.link = LinkMap(self)
        self.master = QScrollBar(Qt.Orientation.Vertical)
        self.master.setObjectName("value-diff-scroll")
        self.master.valueChanged.connect(self._master_moved)
        for pane, is_left in ((self.left, True), (self.right, False)):
            pane.viewport().installEventFilter(self)
            pane.verticalScrollBar().valueChanged.connect(functools.partial(self._pane_scrolled, is_left))
        self.left.horizontalScrollBar().valueChanged.connect(functools.partial(self._hscroll, self.right))
        self.right.horizontalScrollBar().valueChanged.connect(functools.partial(self._hscroll, self.left))
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.left, 1)
        body.addWidget(self.link)
        body.addWidget(self.right, 1)
        body.addWidget(self.master)
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame_layout = QVBoxLayout(frame)
        frame_layout.setContentsMargins(1, 1, 1, 1)
        frame_layout.setSpacing(0)
        frame_layout.addLayout(titles)
        frame_layout.addLayout(body, 1)

        self.placeholder = QLabel("Select a value in the diff to compare it side by side.")
        self.placeholder.setObjectName("value-diff-placeholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        palette = self.placeholder.palette()
        palette.setColor(palette.ColorRole.WindowText, muted_text())
        self.placeholder.setPalette(palette)

        content = QWidget()
        content_layout = QVBoxLayout(content)
        content_layout.setContentsMargins(0, 0, 0, 0)
        content_layout.setSpacing(2)
        content_layout.addLayout(header)
        content_layout.addWidget(self.labels_label)
        content_layout.addWidget(frame, 1)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    def _tool(self, name: str, icon_name: str, tip: str, shortcut: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setIcon(icon(icon_name))
        button.setToolTip(tip)
        button.setShortcut(QKeySequence(shortcut))
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # --- showing ----------------------------------------------------------------------------------
    def clear(self, message: str = "") -> None:
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
        self._feeder.stop()
        self.change = None
        self.prepared = None
        self.rows = AlignedRows(())
        self.left.start(SideLines())
        self.right.start(SideLines())
        self.placeholder.setText(message or "Select a value in the diff to compare it side by side.")
        self.stack.setCurrentIndex(0)
        self.is_ready = True

    def show_change(self, change: PathChange | None, left_title: str = "old", right_title: str = "new") -> None:
        """Diff ``change``'s two sides (computed off the UI thread; latest call wins)."""
        if change is None:
            self.clear()
            return
        if self.change is None or change.path != self.change.path or change.secret != self.change.secret:
            self.reveal_button.blockSignals(True)
            self.reveal_button.setChecked(False)  # a new secret starts hidden again
            self.reveal_button.blockSignals(False)
            self.reveal = False
        self.change = change
        self._titles = (left_title, right_title)
        self._restart()

    def set_reveal(self, reveal: bool) -> None:
        if reveal != self.reveal:
            self.reveal = reveal
            if self.reveal_button.isChecked() != reveal:
                self.reveal_button.setChecked(reveal)
            if self.change is not None:
                self._restart()

    def _restart(self) -> None:
        change = self.change
        if change is None:
            return
        self._generation += 1
        if self._task is not None:
            self._task.cancel()
        self._feeder.stop()
        self.is_ready = False
        self._task = self._run(self._compute(change, self.reveal, self._generation), "Comparing a value",
                               "value-diff")

    async def _compute(self, change: PathChange, reveal: bool, generation: int) -> None:
        loop = asyncio.get_running_loop()
        prepared = await loop.run_in_executor(None, _without_gc_pauses, change, reveal)
        if generation != self._generation:
            return
        self._apply(change, prepared)

    def _apply(self, change: PathChange, prepared: Prepared) -> None:
        self.prepared = prepared
        diff = prepared.diff
        self.rows = AlignedRows(diff.chunks)
        self.stack.setCurrentIndex(1)
        self.path_label.setText(change.path)
        self.summary_label.setText(self._summary(change, prepared))
        self.reveal_button.setVisible(change.secret)
        self.prev_button.setEnabled(bool(prepared.changes))
        self.next_button.setEnabled(bool(prepared.changes))
        left_title, right_title = self._titles
        self.left_title.setText(self._title(left_title, diff.left_type, change.old is None))
        self.right_title.setText(self._title(right_title, diff.right_type, change.new is None))
        labels = [c.display(secret=change.secret, reveal=self.reveal) for c in change.label_changes]
        self.labels_label.setText("Labels: " + "   ".join(labels) if labels else "")
        self.labels_label.setVisible(bool(labels))
        self.left.start(prepared.left)
        self.right.start(prepared.right)
        self._fed = (0, 0)
        self._feed_lines = FEED_LINES
        self.master.setValue(0)
        self._update_master()
        self._feed_step()

    @staticmethod
    def _title(title: str, value_type: str | None, absent: bool) -> str:
        if absent:
            return f"{title} \u2014 (not present)"
        return f"{title} \u2014 {value_type}" if value_type else title

    def _summary(self, change: PathChange, prepared: Prepared) -> str:
        diff = prepared.diff
        parts = [change.kind.value]
        if change.type_changed:
            parts.append(f"type {change.old_type} \u2192 {change.new_type}")
        if change.metadata_only:
            parts.append("only labels changed")
        if diff.masked:
            parts.append("secret: values hidden until you press Reveal")
        elif prepared.changes:
            parts.append(f"{len(prepared.changes)} changed block(s)")
        if diff.intraline_skipped:
            parts.append("some long blocks without in-line highlights")
        if prepared.left.truncated or prepared.right.truncated:
            parts.append(f"lines cut at {LINE_LIMIT:,} characters")
        return "   \u00b7   ".join(parts)

    def _feed_step(self) -> None:
        """Fill the panes a slice at a time; the last slice makes the view ready."""
        left_done, right_done = self._fed
        left_total, right_total = self.left.line_count, self.right.line_count
        step = self._feed_lines
        new_left = min(left_done + step, left_total)
        new_right = min(right_done + step, right_total)
        started = time.perf_counter()
        self.left.feed(left_done, new_left)
        self.right.feed(right_done, new_right)
        took = time.perf_counter() - started
        # Slices sized by time, not lines: a line's cost varies with its length and the machine.
        if took > FEED_SECONDS:
            self._feed_lines = max(FEED_MIN, step // 2)
        elif took < FEED_SECONDS / 2:
            self._feed_lines = min(FEED_MAX, step * 2)
        self._fed = (new_left, new_right)
        self._sync_panes(self.master.value())
        if new_left >= left_total and new_right >= right_total:
            self._feeder.stop()
            self.is_ready = True
            self._update_master()
            self.link.update()
            self.ready.emit()
        else:
            # Started after the slice, not repeating: a repeating zero timer is due again at
            # once, ahead of the timers that came due meanwhile (two slices, one turn).
            self._feeder.start()

    # --- scrolling ---------------------------------------------------------------------------------
    def _update_master(self) -> None:
        visible = min(self.left.visible_lines(), self.right.visible_lines())
        total = math.ceil(self.rows.total)
        self.master.setRange(0, max(total - visible + 1, 0))
        self.master.setPageStep(visible)
        self.master.setSingleStep(3)

    def _sync_panes(self, row: float) -> None:
        self._syncing = True
        try:
            self.left.verticalScrollBar().setValue(round(self.rows.to_left(row)))
            self.right.verticalScrollBar().setValue(round(self.rows.to_right(row)))
        finally:
            self._syncing = False
        self.link.update()

    def _master_moved(self, value: int) -> None:
        if not self._syncing:
            self._sync_panes(value)

    def _pane_scrolled(self, is_left: bool, value: int) -> None:
        if self._syncing:
            return
        row = self.rows.from_left(value) if is_left else self.rows.from_right(value)
        self._syncing = True
        try:
            self.master.setValue(round(row))
            other = self.right if is_left else self.left
            mapped = self.rows.to_right(row) if is_left else self.rows.to_left(row)
            other.verticalScrollBar().setValue(round(mapped))
        finally:
            self._syncing = False
        self.link.update()

    def _hscroll(self, other: DiffPane, value: int) -> None:
        if not self._syncing:
            self._syncing = True
            try:
                other.horizontalScrollBar().setValue(value)
            finally:
                self._syncing = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Wheel and watched in (self.left.viewport(), self.right.viewport()):
            wheel: Any = event
            if wheel.angleDelta().y() != 0 and not wheel.modifiers():
                QApplication.sendEvent(self.master, event)
                return True
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_master()

    # --- navigation ---------------------------------------------------------------------------------
    def jump(self, step: int) -> bool:
        """Scroll to the next (step 1) or previous (-1) changed block; False when there is none."""
        prepared = self.prepared
        if prepared is None or not prepared.changes:
            return False
        here = self.master.value() + max(self.master.pageStep() // 4, 1)
        rows = [self.rows.chunk_row(i) for i in prepared.changes]
        target: float | None = None
        if step > 0:
            target = next((r for r in rows if r > here), None)
        else:
            target = next((r for r in reversed(rows) if r < here - 1), None)
        if target is None:
            return False
        self.master.setValue(max(round(target) - max(self.master.pageStep() // 4, 1), 0))
        return True

    def texts(self) -> tuple[str, str]:
        """The two panes' text (for tests and copying)."""
        return self.left.toPlainText(), self.right.toPlainText()


def _without_gc_pauses(change: PathChange, reveal: bool) -> Prepared:
    """``text_diff_for`` with the cyclic collector paused: a big value allocates about a
    million objects, and a full collection they trigger in this worker holds the GIL
    for tens of milliseconds, which the UI thread feels as a stall."""
    with paused_gc():
        return text_diff_for(change, reveal)
