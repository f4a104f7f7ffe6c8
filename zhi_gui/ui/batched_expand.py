"""Recursive expand (``*``) a slice at a time.

QTreeView's own ``*`` (``expandRecursively``) marks the whole subtree expanded
and then lays out every visible row again in one go: with a Python model that
is a call into Python per row, about 0.3 s for 100,000 values, in one block.
Here the subtree is expanded breadth first, a few milliseconds of work per
event-loop turn: each ``expand`` of an item whose parent is already open only
lays out that item's own children, so the cost per slice stays bounded and the
window keeps answering (the user can scroll, type, or press Esc meanwhile).
Rows opened below the viewport are not repainted: on a whole tree that is
nearly every slice, and the repaint cost more than the slice.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QAbstractItemModel, QEvent, QModelIndex, QObject, QPersistentModelIndex, QSize, Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QTreeView, QWidget

# Work per event-loop turn. The repaint of the rows that follows in the same turn costs about
# as much again, and a busy machine stretches both: together they must stay well inside a frame.
SLICE_SECONDS = 0.0025
_LEAF = Qt.ItemFlag.ItemNeverHasChildren


def _may_open(model: QAbstractItemModel, index: QModelIndex) -> bool:
    """``index`` has children (a value's row says it has none in its flags, read in C++;
    ``hasChildren`` is a call into the model's Python)."""
    return not index.flags() & _LEAF and model.hasChildren(index)


class _SlicedJob(QObject):
    """Work on a view a slice per event-loop turn (``step``), until done or the model is
    reset or re-laid out; the QObject is deleted once it stops."""

    def __init__(self, view: QTreeView) -> None:
        super().__init__(view)
        self.view = view
        # Single shot, started again after each slice: a repeating zero timer is due again at
        # once, ahead of every timer that came due during the slice, so two slices could run
        # back to back with only a paint between them.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.step)
        view.model().modelReset.connect(self.stop)
        view.model().layoutChanged.connect(self.stop)
        self.running = True  # a plain flag: the QObject is deleted once it is done

    def step(self) -> None:
        raise NotImplementedError

    def _drop_work(self) -> None:
        """Let go of what is left to do."""

    def stop(self) -> None:
        if not self.running:
            return
        self.running = False
        self._timer.stop()
        self._drop_work()
        self.deleteLater()


def _open(view: QTreeView, viewport: QWidget, index: QModelIndex) -> bool:
    """Expand ``index``; True when that repainted rows on screen (it was shown and closed)."""
    if view.visualRect(index).top() >= viewport.height():  # laid out below what is shown
        _expand_unseen(view, viewport, index)
        return False
    repainted = not view.isExpanded(index)
    view.expand(index)
    return repainted


class BatchedExpand(_SlicedJob):
    """Expands ``root`` and everything below it in slices; stops when the model is
    reset or re-laid out, or the user collapses an item."""

    def __init__(self, view: QTreeView, root: QModelIndex) -> None:
        super().__init__(view)
        model = view.model()
        # An invalid root stands for the whole tree: its top-level rows are the start.
        tops = [root] if root.isValid() else [model.index(r, 0) for r in range(model.rowCount())]
        self._queue: deque[QPersistentModelIndex] = deque(QPersistentModelIndex(i) for i in tops
                                                          if model.hasChildren(i))
        # Groups of a big tree expanded before their rows were read: their rows are queued
        # when they arrive (by internalId, then compared).
        self._waiting: dict[int, list[QPersistentModelIndex]] = {}
        model.rowsInserted.connect(self._rows_arrived)
        view.collapsed.connect(self.stop)  # the user closed something: they want less, not more
        self.expanded = 0

    def start(self) -> None:
        self.step()

    def _drop_work(self) -> None:
        self._queue.clear()

    def step(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        view, model, queue = self.view, self.view.model(), self._queue
        viewport = view.viewport()
        while queue:  # at least one item per turn, so a slow machine still gets there
            kept = queue.popleft()
            if not kept.isValid():
                continue  # removed meanwhile
            index = model.index(kept.row(), 0, kept.parent())
            repainted = _open(view, viewport, index)
            self.expanded += 1
            rows = model.rowCount(index)
            if not rows and model.hasChildren(index):  # being read from the store (a big tree)
                self._waiting.setdefault(index.internalId(), []).append(QPersistentModelIndex(index))
            for row in range(rows):
                child = model.index(row, 0, index)
                if _may_open(model, child):
                    queue.append(QPersistentModelIndex(child))
            # Rows opened on screen end the slice: the repaint of the whole viewport follows in
            # this turn and costs more than the slice, so no more work is piled onto it.
            if repainted or time.perf_counter() >= deadline:
                break
        if queue:
            self._timer.start()
        elif not self._waiting:
            self.stop()

    def _rows_arrived(self, parent: QModelIndex, first: int, last: int) -> None:
        waiting = self._waiting.get(parent.internalId()) if self.running else None
        if not waiting or parent not in waiting:
            return
        waiting.remove(QPersistentModelIndex(parent))
        if not waiting:
            del self._waiting[parent.internalId()]
        model = self.view.model()
        for row in range(first, last + 1):
            child = model.index(row, 0, parent)
            if _may_open(model, child):
                self._queue.append(QPersistentModelIndex(child))
        if self._queue:
            if not self._timer.isActive():
                self._timer.start()
        elif not self._waiting:
            self.stop()


def _expand_unseen(view: QTreeView, viewport: QWidget, index: QModelIndex) -> None:
    """Expand a row laid out below the viewport without repainting the viewport.

    ``QTreeView.expand`` asks for a repaint of the whole viewport, and that repaint cost more
    than the expand itself. Rows below what is shown leave the shown rows as they are (only the
    scroll bar, a widget of its own, changes), so the request is dropped: ``WA_UpdatesDisabled``
    set around the call, rather than ``setUpdatesEnabled``, which asks for a repaint when it
    turns updates back on. The rows get painted when they are scrolled into view.
    """
    viewport.setAttribute(Qt.WidgetAttribute.WA_UpdatesDisabled, True)
    try:
        view.expand(index)
    finally:
        viewport.setAttribute(Qt.WidgetAttribute.WA_UpdatesDisabled, False)


def expand_recursively(view: QTreeView, root: QModelIndex) -> BatchedExpand:
    """Start expanding ``root``'s subtree (invalid: the whole tree) in slices; one
    running on this view before stops."""
    for running in view.findChildren(BatchedExpand):
        running.stop()
    job = BatchedExpand(view, root)
    job.start()
    return job


class CachedHintHeader(QHeaderView):
    """A tree's header that remembers its size hint.

    ``QTreeView.expand`` lays out the view's geometry again, which asks the header for its
    size hint; with a stretching section Qt measures every section's text anew each time,
    half of what one expand costs. The hint only changes with the font or style.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._hint: QSize | None = None
        # What QTreeView sets on the header it makes itself.
        self.setSectionsMovable(True)
        self.setStretchLastSection(True)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.sectionCountChanged.connect(self._forget_hint)

    def _forget_hint(self) -> None:
        self._hint = None

    def sizeHint(self) -> QSize:
        if self._hint is not None:
            return self._hint
        hint = super().sizeHint()
        if self.count():  # (no model yet: nothing to measure)
            self._hint = hint
        return hint

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._forget_hint()
        super().changeEvent(event)

    def headerDataChanged(self, orientation: Qt.Orientation, first: int, last: int) -> None:
        self._forget_hint()
        super().headerDataChanged(orientation, first, last)


class PathExpand(_SlicedJob):
    """Opens groups named by path a slice per turn: the groups a view had open, put back
    after a filter changed (thousands after an expand everything, each one's rows made
    when it opens). Stops when the model is reset or re-laid out."""

    def __init__(self, view: QTreeView, paths: list[str], index_of: Callable[[str], QModelIndex]) -> None:
        super().__init__(view)
        self._paths = deque(paths)
        self._index_of = index_of

    def start_later(self) -> None:
        self._timer.start()

    def _drop_work(self) -> None:
        self._paths.clear()

    def step(self) -> None:
        deadline = time.perf_counter() + SLICE_SECONDS
        view, viewport = self.view, self.view.viewport()
        while self._paths:
            index = self._index_of(self._paths.popleft())
            if index.isValid() and not view.isExpanded(index):
                _open(view, viewport, index)
            if time.perf_counter() >= deadline:
                break
        if self._paths:
            self._timer.start()
        else:
            self.stop()


def expand_paths(view: QTreeView, paths: list[str], index_of: Callable[[str], QModelIndex]) -> PathExpand:
    """Open ``paths`` (parents before children) a slice per turn; one such job running on
    this view before stops."""
    for running in view.findChildren(PathExpand):
        running.stop()
    job = PathExpand(view, sorted(paths), index_of)
    job.start_later()
    return job
