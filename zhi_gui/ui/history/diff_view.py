"""The diff view: the whole-tree diff (counts, "only changes", next/previous
change, tree structure kept) beside the side-by-side diff of the selected value.

The tree diff is computed in the default executor (``diff_trees`` and the
first level of the tree); the UI thread only shows results, and a newer
request drops an older one's answer ("latest wins").
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.diff import ChangeKind, DiffNode, TreeDiff, diff_trees
from zhi_gui.core.model import Entry
from zhi_gui.ui.history.colors import kind_colors, muted_text
from zhi_gui.ui.history.tree_diff_model import TreeDiffModel, counts_text, path_of
from zhi_gui.ui.history.value_diff import ValueDiffView
from zhi_gui.ui.tasks import Runner, standalone_runner
from zhi_gui.ui.theme import icon

Snapshot = Mapping[str, Entry]
# Fetches both whole snapshots of a partial diff (for "Only changes" switched off).
FullSnapshots = Callable[[], Awaitable[tuple[Snapshot, Snapshot]]]
EXPAND_ALL_LIMIT = 60  # changes: a small diff opens fully expanded


def compute_diff(old: Snapshot, new: Snapshot, only_changes: bool) -> tuple[TreeDiff, list[DiffNode]]:
    """The diff and its first level (pure; runs in an executor)."""
    diff = diff_trees(old, new)
    return diff, diff.children("", only_changes=only_changes)


def counts_html(diff: TreeDiff) -> str:
    c = diff.counts
    if not c.changes:
        return f"<span style='color:{muted_text().name()}'>identical \u00b7 {c.total:,} value(s)</span>"
    parts = []
    for count, kind, word in ((c.added, "added", "added"), (c.removed, "removed", "removed"),
                              (c.changed, "changed", "changed")):
        colors = kind_colors(kind)
        color = colors.text.name() if colors is not None else "black"
        weight = "bold" if count else "normal"
        parts.append(f"<span style='color:{color}; font-weight:{weight}'>{count:,} {word}</span>")
    rest = f"<span style='color:{muted_text().name()}'>of {c.total:,} value(s)</span>"
    return " &nbsp;\u00b7&nbsp; ".join(parts) + " &nbsp;" + rest


class DiffTreeView(QTreeView):
    pass


class DiffView(QWidget):
    diffShown = Signal()  # a diff is on screen (counts, tree, first change selected)

    def __init__(self, parent: QWidget | None = None, *, shortcuts: bool = True, run: Runner | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diff-view")
        self.diff: TreeDiff | None = None
        self.labels = ("old", "new")
        # Background work goes through the window's task runner (errors shown in one place).
        self._run = run or standalone_runner()
        self.model = TreeDiffModel(run=self._run)
        self._generation = 0
        self._task: asyncio.Task[Any] | None = None
        self._full: FullSnapshots | None = None  # how to list the unchanged values of a partial diff
        self._build(shortcuts)
        self.show_nothing_selected()

    # --- building -----------------------------------------------------------------------------
    def _build(self, shortcuts: bool) -> None:
        self.title_label = QLabel()
        self.title_label.setObjectName("diff-title")
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.counts_label = QLabel()
        self.counts_label.setObjectName("diff-counts")
        # On a small screen the counts give way (clipped; the tree below shows the changes)
        # rather than pushing the Diff dock wider than the space beside the History list.
        self.counts_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status_label = QLabel()
        self.status_label.setObjectName("diff-status")
        self.only_changes = QCheckBox("Only changes")
        self.only_changes.setObjectName("diff-only-changes")
        self.only_changes.setChecked(True)
        self.only_changes.setToolTip("Hide the values that are the same on both sides")
        self.only_changes.toggled.connect(self._only_changes_toggled)
        self.reveal = QCheckBox("Reveal secrets")
        self.reveal.setObjectName("diff-reveal")
        self.reveal.setToolTip("Show the values of secrets (ui.password, store.writeonly) in this list")
        self.reveal.toggled.connect(self.model.set_reveal)
        self.prev_button = QToolButton()
        self.prev_button.setObjectName("diff-previous")
        self.prev_button.setIcon(icon("prev-change"))
        self.prev_button.setText("Previous")
        self.prev_button.setToolTip("Previous change (Shift+F7)")
        self.prev_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.prev_button.clicked.connect(lambda: self.go_change(-1))
        self.next_button = QToolButton()
        self.next_button.setObjectName("diff-next")
        self.next_button.setIcon(icon("next-change"))
        self.next_button.setText("Next")
        self.next_button.setToolTip("Next change (F7)")
        self.next_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.next_button.clicked.connect(lambda: self.go_change(1))
        header = QHBoxLayout()
        header.setContentsMargins(4, 2, 4, 2)
        header.addWidget(self.title_label)
        header.addSpacing(12)
        header.addWidget(self.counts_label, 1)
        header.addWidget(self.status_label)
        header.addWidget(self.only_changes)
        header.addWidget(self.reveal)
        header.addWidget(self.prev_button)
        header.addWidget(self.next_button)

        self.tree = DiffTreeView()
        self.tree.setObjectName("diff-tree")
        self.tree.setModel(self.model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        h = self.tree.header()
        h.setStretchLastSection(True)
        h.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        h.resizeSection(0, 220)
        h.resizeSection(1, 170)
        h.resizeSection(2, 150)
        self.tree.selectionModel().currentChanged.connect(self._current_changed)
        self.value_view = ValueDiffView(run=self._run)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("diff-splitter")
        self.splitter.addWidget(self.tree)
        self.splitter.addWidget(self.value_view)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 5)
        self.splitter.setSizes([440, 560])
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)

        self.next_action = QAction("Next change", self)
        self.next_action.triggered.connect(lambda: self.go_change(1))
        self.prev_action = QAction("Previous change", self)
        self.prev_action.triggered.connect(lambda: self.go_change(-1))
        if shortcuts:  # a view in its own window (the rollback preview) answers F7 itself
            self.next_action.setShortcut(QKeySequence("F7"))
            self.prev_action.setShortcut(QKeySequence("Shift+F7"))
            for action in (self.next_action, self.prev_action):
                action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                self.addAction(action)
        self._set_enabled(False)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # the theme changed: the diff's colours follow
            self.model.restyle()
        super().changeEvent(event)

    def _set_enabled(self, enabled: bool) -> None:
        for widget in (self.prev_button, self.next_button):
            widget.setEnabled(enabled)
        self.next_action.setEnabled(enabled)
        self.prev_action.setEnabled(enabled)

    # --- showing ----------------------------------------------------------------------------------
    def show_message(self, text: str) -> None:
        """No diff: say why (or what to do)."""
        self._generation += 1
        self.diff = None
        self.title_label.setText("")
        self.counts_label.setText("")
        self.status_label.setText("")
        self.model.clear()
        self.value_view.clear(text)
        self._set_enabled(False)

    def show_nothing_selected(self) -> None:
        self.show_message("Select a version in the History panel to see what changed.")

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    def begin(self, title: str) -> int:
        """A diff is on its way (versions being fetched); returns the request's generation."""
        self._generation += 1
        self.title_label.setText(title)
        self.status_label.setText("Fetching\u2026")
        # The previous comparison leaves the screen now: a value diff must never sit under
        # another comparison's title.
        self.diff = None
        self.counts_label.setText("")
        self.model.clear()
        self.value_view.clear("Comparing\u2026")
        self._set_enabled(False)
        return self._generation

    def is_current(self, generation: int) -> bool:
        return generation == self._generation

    async def show_diff(self, old: Snapshot, new: Snapshot, old_label: str, new_label: str, *,
                        select: str | None = None, generation: int | None = None) -> TreeDiff | None:
        """Diff two snapshots and show the result (None when a newer request took over)."""
        if generation is None:
            generation = self.begin(f"{old_label} \u2192 {new_label}")
        elif generation != self._generation:
            return None
        self.status_label.setText("Comparing\u2026")
        only = self.only_changes.isChecked()
        loop = asyncio.get_running_loop()
        diff, roots = await loop.run_in_executor(None, compute_diff, old, new, only)
        if generation != self._generation:
            return None
        self._full = None
        return await self._present(diff, roots, only, old_label, new_label, select, generation)

    async def show_tree_diff(self, diff: TreeDiff, old_label: str, new_label: str, *, select: str | None = None,
                             generation: int | None = None, full: FullSnapshots | None = None) -> TreeDiff | None:
        """Show a diff computed elsewhere (a store's DiffVersions: only the changes). ``full``
        fetches both whole snapshots when the user asks to see the unchanged values too."""
        if generation is None:
            generation = self.begin(f"{old_label} \u2192 {new_label}")
        elif generation != self._generation:
            return None
        only = self.only_changes.isChecked() or diff.partial
        if only != self.only_changes.isChecked():
            self.only_changes.blockSignals(True)
            self.only_changes.setChecked(True)
            self.only_changes.blockSignals(False)
        roots = await asyncio.get_running_loop().run_in_executor(
            None, functools.partial(diff.children, "", only_changes=only))
        if generation != self._generation:
            return None
        self._full = full
        return await self._present(diff, roots, only, old_label, new_label, select, generation)

    async def _present(self, diff: TreeDiff, roots: list[DiffNode], only: bool, old_label: str, new_label: str,
                       select: str | None, generation: int) -> TreeDiff | None:
        self.diff = diff
        self.labels = (old_label, new_label)
        self.title_label.setText(f"{old_label} \u2192 {new_label}")
        self.counts_label.setText(counts_html(diff))
        self.counts_label.setToolTip(self.counts_label.text())  # in full when the label is clipped
        self.status_label.setText("")
        self.value_view.clear()
        self.model.set_diff(diff, roots, only)
        self._set_enabled(not diff.is_empty)
        if diff.is_empty:
            self.value_view.clear(f"No differences: {old_label} and {new_label} hold the same "
                                  f"{diff.counts.total:,} value(s).")
            self.diffShown.emit()
            return diff
        if diff.counts.changes <= EXPAND_ALL_LIMIT and only:
            self.tree.expandAll()
        # The rows are painted in this turn, the first change selected (and its value diff
        # started) in the next: together they went over a frame at 100,000 values.
        await asyncio.sleep(0)
        if not self.is_current(generation):
            return None
        target = select if select and diff.node(select) is not None else None
        change = diff.change_for(target) if target else None
        # The key shown in the window may be unchanged (and filtered out): then the first change.
        if change is None or (only and change.kind is ChangeKind.UNCHANGED):
            first = diff.next_change()
            target = first.path if first is not None else None
        if target and not await self._select(target, generation) and self.is_current(generation):
            first = diff.next_change()
            if first is not None and first.path != target:
                await self._select(first.path, generation)
        self.diffShown.emit()
        return diff

    async def _select(self, path: str, generation: int | None = None) -> bool:
        index = await self.model.ensure_path(path)
        if generation is not None and generation != self._generation:
            return False
        if not index.isValid():
            return False
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def selected_path(self) -> str:
        return path_of(self.tree.currentIndex())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        node = self.model.node_at(current)
        if node is None:
            self.value_view.clear()
            return
        if node.change is not None:
            self.value_view.show_change(node.change, *self.labels)
            return
        counts = counts_text(node)
        if self.diff is not None and self.diff.partial:
            self.value_view.clear(f"{node.path}: a folder with {node.counts.changes:,} changed value(s) below"
                                  + (f" ({counts})" if counts else "")
                                  + ".\nSelect a value to compare it side by side.")
            return
        self.value_view.clear(f"{node.path}: a folder with {node.total:,} value(s) below"
                              + (f" ({counts})" if counts else ", none changed")
                              + ".\nSelect a value to compare it side by side.")

    # --- filters and navigation ---------------------------------------------------------------------
    def _only_changes_toggled(self, only: bool) -> None:
        diff = self.diff
        if diff is None:
            return
        keep = self.selected_path()
        self._generation += 1
        generation = self._generation
        if diff.partial and not only:
            self._task = self._run(self._show_full(diff, keep, generation), "Fetching both versions", "diff-filter")
            return

        async def go() -> None:
            roots = await asyncio.get_running_loop().run_in_executor(
                None, functools.partial(diff.children, "", only_changes=only))
            if generation != self._generation:
                return
            self.model.set_diff(diff, roots, only)
            if keep:
                await self._select(keep, generation)

        self._task = self._run(go(), "Filtering the diff", "diff-filter")

    async def _show_full(self, partial: TreeDiff, keep: str, generation: int) -> None:
        """The unchanged values too: fetch both whole versions and diff them here."""
        full = self._full
        if full is None:  # nothing can list them: stay with the changes
            self.only_changes.blockSignals(True)
            self.only_changes.setChecked(True)
            self.only_changes.blockSignals(False)
            return
        self.status_label.setText("Fetching both versions\u2026")
        old, new = await full()
        if generation != self._generation:
            return
        diff = await self.show_diff(old, new, *self.labels, select=keep or None, generation=generation)
        if diff is not None:
            self._full = full  # switching back and forth keeps working

    def go_change(self, step: int) -> None:
        """Select the next (1) or previous (-1) change, wrapping around."""
        self._task = self._run(self.change_step(step), "Moving to a change", "diff-step")

    async def change_step(self, step: int) -> str | None:
        diff = self.diff
        if diff is None or diff.is_empty:
            return None
        here = self.selected_path() or None
        change = diff.next_change(here, wrap=True) if step > 0 else diff.previous_change(here, wrap=True)
        if change is None:
            return None
        await self._select(change.path)
        return change.path

    def reveal_all(self, reveal: bool) -> None:
        """Tests and screenshots: reveal in both the list and the value diff."""
        self.reveal.setChecked(reveal)
        self.value_view.set_reveal(reveal)
