"""The History panel: the version list, comparisons, rollback, deletion, and the
history of one key. It drives the Diff dock's :class:`DiffView`.

Everything slow is a coroutine run through ``window.run`` (errors are shown,
never lost); comparisons are "latest wins": a new selection cancels the
previous comparison, and selection changes are debounced so arrowing through
the list does not fetch every version on the way.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QTabWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.entries import Entry, Versioning
from zhi_gui.ui.async_dialogs import ask, dialog_result
from zhi_gui.ui.busy import allow_cancel, cannot_cancel, report_progress
from zhi_gui.ui.history.colors import muted_text
from zhi_gui.ui.history.diff_holder import DiffHolder
from zhi_gui.ui.history.key_history_view import PAGE as KEY_PAGE
from zhi_gui.ui.history.key_history_view import WANT as KEY_WANT
from zhi_gui.ui.history.key_history_view import KeyHistoryScan, KeyHistoryView
from zhi_gui.ui.history.timefmt import describe_time
from zhi_gui.ui.history.versions_model import (
    DESCRIBED_COLUMNS,
    PLAIN_COLUMNS,
    ROW_ROLE,
    VALUE_COLUMNS,
    VersionListModel,
)
from zhi_gui.ui.theme import icon

# The session's modules load after the first window's paint (issue 14, cold start): the panel
# makes its history access on first use.
if TYPE_CHECKING:
    import asyncio

    from zhi_gui.core.key_history import KeyChange
    from zhi_gui.session import StoreSession
    from zhi_gui.session.history import HistoryAccess, Pager, VersionRow
    from zhi_gui.ui.history.diff_view import DiffView
    from zhi_gui.ui.history.rollback_dialog import RollbackDialog
    from zhi_gui.ui.window_api import WindowApi

log = logging.getLogger("zhi_gui.ui.history")
Snapshot = dict[str, Entry]
COMPARE_DELAY_MS = 150
PATH_DELAY_MS = 200
PAGE = 100
WITH_CURRENT, WITH_PREVIOUS = 0, 1


class HistoryPanel(QWidget):
    versionsShown = Signal()  # a listing is on screen
    compared = Signal()  # a comparison is on screen in the diff view
    keyHistoryShown = Signal()  # a page of the key history arrived

    def __init__(self, window: WindowApi, diff: DiffView | DiffHolder, diff_dock: QDockWidget | None = None) -> None:
        super().__init__()
        self.setObjectName("history-panel")
        self.window_ = window
        self._access: HistoryAccess | None = None
        self._diff = diff  # a holder builds its view when first asked (not for the first paint)
        self.diff_dock = diff_dock
        self.dock: QDockWidget | None = None
        self.model = VersionListModel()
        self.page_size = PAGE
        self.key_page_size = KEY_PAGE  # versions scanned per round trip of the key history
        self.key_want = KEY_WANT  # changes found before the scan pauses
        self.value_path = ""  # value mode: whose versions are listed
        self._pager: Pager | None = None
        self._refresh_generation = 0
        self._quiet = False  # selection set by code: no automatic comparison
        self._compare_task: asyncio.Task[Any] | None = None
        self._scan: KeyHistoryScan | None = None
        self._key_stale = True
        self._wanted: tuple[list[str], bool] | None = None  # selection (and compare?) for the next listing
        self._diff_says_locked = False
        self._after_unlock: tuple[str, list[str]] | None = None  # (tree, versions) selected at the lock
        self._build()
        self._build_actions()
        self._compare_timer = QTimer(self)
        self._compare_timer.setSingleShot(True)
        self._compare_timer.setInterval(COMPARE_DELAY_MS)
        self._compare_timer.timeout.connect(self.compare)
        self._path_timer = QTimer(self)
        self._path_timer.setSingleShot(True)
        self._path_timer.setInterval(PATH_DELAY_MS)
        self._path_timer.timeout.connect(self._path_settled)
        self._clock = QTimer(self)
        self._clock.setInterval(60_000)
        self._clock.timeout.connect(self.model.refresh_times)
        self._clock.start()
        self._update_buttons()
        self._show_empty("No store is open.")

    @property
    def session(self) -> StoreSession:
        return self.window_.session

    @property
    def access(self) -> HistoryAccess:
        """Reads the open store's history (made on first use, with the window's session)."""
        if self._access is None:
            from zhi_gui.session.history import HistoryAccess

            self._access = HistoryAccess(self.session)
        return self._access

    @property
    def diff_view(self) -> DiffView:
        return self._diff.view() if isinstance(self._diff, DiffHolder) else self._diff

    def build_diff_view(self) -> None:
        """Build the Diff dock's view now if it is not yet (the app: once the window has painted)."""
        if isinstance(self._diff, DiffHolder):
            self._diff.view()

    # --- building ------------------------------------------------------------------------------------
    def _build(self) -> None:
        self.title_label = QLabel()
        self.title_label.setObjectName("history-title")
        font = self.title_label.font()
        font.setBold(True)
        self.title_label.setFont(font)
        self.title_label.setWordWrap(True)
        self.note_label = QLabel()
        self.note_label.setObjectName("history-note")
        self.note_label.setWordWrap(True)
        palette = self.note_label.palette()
        palette.setColor(palette.ColorRole.WindowText, muted_text())
        self.note_label.setPalette(palette)
        self.note_label.hide()

        self.compare_mode = QComboBox()
        self.compare_mode.setObjectName("history-compare-mode")
        self.compare_mode.addItem("Compare with current", WITH_CURRENT)
        self.compare_mode.addItem("Compare with the version before", WITH_PREVIOUS)
        self.compare_mode.setToolTip("What one selected version is compared with. Ctrl+click a second version to "
                                     "compare the two.")
        self.compare_mode.currentIndexChanged.connect(lambda _i: self.compare())
        self.rollback_button = self._button("history-rollback", "Roll back\u2026", "rollback",
                                            "Roll back to the selected version (shows what changes first)",
                                            lambda: self._run(self.rollback_selected(), "Rolling back"))
        self.delete_button = self._button("history-delete", "Delete\u2026", "delete", "Delete the selected version",
                                          lambda: self._run(self.delete_selected(), "Deleting a version"))
        self.refresh_button = self._button("history-refresh", "", "reload", "Reload the history",
                                           lambda: self._run(self.refresh(), "Loading the history"))
        self.reveal = QCheckBox("Reveal")
        self.reveal.setObjectName("history-reveal")
        self.reveal.setToolTip("Show a secret's values in this list")
        self.reveal.toggled.connect(self.model.set_reveal)
        self.reveal.hide()
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.compare_mode, 1)
        tools.addWidget(self.reveal)
        tools.addWidget(self.rollback_button)
        tools.addWidget(self.delete_button)
        tools.addWidget(self.refresh_button)

        self.list = QTreeView()
        self.list.setObjectName("history-list")
        self.list.setModel(self.model)
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setAlternatingRowColors(True)
        self.list.setAllColumnsShowFocus(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.selectionModel().selectionChanged.connect(self._selection_changed)
        self.list.activated.connect(lambda _index: self.compare())
        self.model.fetchRequested.connect(lambda: self._run(self._fetch_page(), "Loading more versions"))
        self.model.modelReset.connect(self._fit_columns)

        versions = QWidget()
        versions_layout = QVBoxLayout(versions)
        versions_layout.setContentsMargins(0, 2, 0, 0)
        versions_layout.addLayout(tools)
        versions_layout.addWidget(self.list, 1)

        self.key_view = KeyHistoryView()
        self.key_view.model.fetchRequested.connect(lambda: self._run(self._scan_more(), "Loading the key history"))
        self.key_view.changeActivated.connect(self._key_change_activated)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("history-tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(versions, icon("history"), "Versions")
        self.tabs.addTab(self.key_view, icon("key-history"), "Key history")
        self.tabs.currentChanged.connect(self._tab_changed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(self.title_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.tabs, 1)

    def _button(self, name: str, text: str, icon_name: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setIcon(icon(icon_name))
        if text:
            button.setText(text)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setToolTip(tip)
        button.clicked.connect(slot)
        return button

    def _build_actions(self) -> None:
        def action(name: str, text: str, slot: Any, shortcut: str = "", icon_name: str = "") -> QAction:
            act = QAction(text, self.window_.main_window())
            act.setObjectName(name)
            if icon_name:
                act.setIcon(icon(icon_name))
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
                self.window_.main_window().addAction(act)
            act.triggered.connect(slot)
            return act

        self.show_action = action("action-history", "Version history", self.show_panel, "Ctrl+Shift+H", "history")
        self.compare_action = action("action-compare", "Compare selected versions", self.compare, "", "diff")
        self.staged_action = action("action-compare-staged", "Compare staged edits with the store",
                                    lambda: self._run(self.compare_staged(), "Comparing staged edits"), "Ctrl+D",
                                    "staged")
        self.rollback_action = action("action-rollback", "Roll back to selected version\u2026",
                                      lambda: self._run(self.rollback_selected(), "Rolling back"), "", "rollback")
        self.delete_version_action = action("action-delete-version", "Delete selected version\u2026",
                                            lambda: self._run(self.delete_selected(), "Deleting a version"), "",
                                            "delete")
        self.key_history_action = action("action-key-history", "History of the selected key", self.show_key_history,
                                         "Ctrl+H", "key-history")
        self.next_change_action = action("action-next-change", "Next change", lambda: self._step(1), "F7",
                                         "next-change")
        self.prev_change_action = action("action-previous-change", "Previous change", lambda: self._step(-1),
                                         "Shift+F7", "prev-change")

    def _fit_columns(self) -> None:
        header = self.list.header()
        header.setStretchLastSection(False)
        # fit to the rows on screen: Qt otherwise measures up to 1,000 rows on every change
        # (two live windows on a tree with 200 versions spent a second per save doing so)
        header.setResizeContentsPrecision(0)
        columns = self.model.columns
        for i, name in enumerate(columns):
            mode = QHeaderView.ResizeMode.Stretch if name in ("Message", "Value") or len(columns) == 1 \
                else QHeaderView.ResizeMode.ResizeToContents
            header.setSectionResizeMode(i, mode)

    # --- helpers -------------------------------------------------------------------------------------
    def _run(self, coro: Any, what: str) -> asyncio.Task[Any]:
        return self.window_.run(coro, what)

    def _status(self, text: str, ms: int = 8000) -> None:
        self.window_.statusBar().showMessage(text, ms)

    def _show_empty(self, title: str, note: str = "", columns: tuple[str, ...] = PLAIN_COLUMNS) -> None:
        self._pager = None
        self._quiet = True
        try:
            self.model.reset(columns)
        finally:
            self._quiet = False
        self.title_label.setText(title)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self._update_buttons()

    @property
    def mode(self) -> Versioning:
        return self.access.versioning

    def show_panel(self) -> None:
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()
        self.list.setFocus()

    def show_diff_dock(self) -> None:
        if self.diff_dock is not None:
            first = not self.diff_dock.isVisible() or not getattr(self, "_diff_sized", False)
            self.diff_dock.show()
            self.diff_dock.raise_()
            if first:
                self._diff_sized = True
                height = max(self.window_.main_window().height() * 9 // 20, 320)
                self.window_.main_window().resizeDocks([self.diff_dock], [height], Qt.Orientation.Vertical)

    def _step(self, step: int) -> None:
        self.show_diff_dock()
        self.diff_view.go_change(step)

    # --- listing ------------------------------------------------------------------------------------
    def selected_rows(self) -> list[VersionRow]:
        rows = sorted(index.row() for index in self.list.selectionModel().selectedRows(0))
        result = []
        for row in rows:
            item = self.model.version_row(row)
            if item is not None:
                result.append(item)
        return result

    def _value_path(self) -> str:
        path = self.window_.current_path()
        if path and (path in self.session.index.entries or path in self.session.staging):
            return path
        return ""

    async def refresh(self, select: Sequence[str] | None = None, *, compare: bool = True) -> None:
        """List the versions again (first page), keeping or setting the selection."""
        self._refresh_generation += 1
        generation = self._refresh_generation
        if select is not None:  # wanted until a listing is shown (a refresh started later takes it over)
            self._wanted = (list(select), compare)
        self.model.set_staged(len(self.session.staging))
        c = self.session
        if not c.is_open or not c.tree_id:
            self._show_empty("No store is open.")
            return
        if c.locked or not c.loaded:
            self._show_locked()
            return
        if self._after_unlock is not None:
            tree, kept = self._after_unlock
            self._after_unlock = None
            if tree == c.tree_id and self._wanted is None:
                self._wanted = (kept, True)
        mode = self.mode
        self.reveal.setVisible(mode == Versioning.VALUE)
        if mode == Versioning.NONE:
            self._show_empty("No versions", "This store keeps no history (its versioning mode is none): there is "
                                            "nothing to compare or roll back to.")
            return
        note = ""
        columns: tuple[str, ...]
        if mode == Versioning.TREE:
            pager = self.access.tree_pager()
            columns = DESCRIBED_COLUMNS if self.access.describes_versions else PLAIN_COLUMNS
            subject = f"Tree \u201c{c.tree_id}\u201d"
            if not self.access.describes_versions:
                note = ("A plain zhi store: it lists version ids only (zhi's protocol has no times, authors or "
                        "messages).")
            self.value_path = ""
        else:
            path = self._value_path()
            self.value_path = path
            if not path:
                self._show_empty("Value versions", "This store keeps versions per value. Select a value in the tree "
                                                   "to list its versions.", VALUE_COLUMNS)
                return
            pager = self.access.value_pager(path)
            columns = VALUE_COLUMNS
            subject = path
        rows, total = await pager.page(0, self.page_size)
        if generation != self._refresh_generation:
            return
        self._pager = pager
        selected = self.selected_rows()  # now, not before the await: the user may have clicked meanwhile
        if self._wanted is not None:
            keep, compare = self._wanted
            keep_staged = False
        else:
            keep = [r.id for r in selected if not r.is_staged]
            keep_staged = any(r.is_staged for r in selected)
        self._wanted = None
        self._quiet = True
        try:
            self.model.reset(columns, rows, total)
            self._select_ids(keep, staged=keep_staged)
        finally:
            self._quiet = False
        self.title_label.setText(f"{subject} \u00b7 {total:,} version" + ("" if total == 1 else "s"))
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))
        self._update_buttons()
        self.versionsShown.emit()
        if compare and self.selected_rows():
            self.compare()
        elif self._diff_says_locked:  # unlocked, nothing to compare again: the lock message goes
            self.diff_view.show_nothing_selected()
        self._diff_says_locked = False

    def _select_ids(self, ids: Sequence[str], staged: bool = False) -> None:
        selection = QItemSelection()
        rows = [self.model.row_of(v) for v in ids]
        if staged and self.model.staged:
            rows.insert(0, 0)
        last = self.model.columnCount() - 1
        found = [r for r in rows if r is not None]
        for row in found:
            selection.select(self.model.index(row, 0), self.model.index(row, last))
        flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        self.list.selectionModel().select(selection, flags)
        if found:
            index = self.model.index(found[0], 0)
            self.list.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            self.list.scrollTo(index)

    def select_versions(self, ids: Sequence[str]) -> None:
        """Select these versions (the staged row as ''); the comparison follows."""
        self._select_ids([v for v in ids if v], staged="" in ids)

    async def _fetch_page(self) -> None:
        pager, generation = self._pager, self.model.generation
        if pager is None:
            self.model.fetch_failed(generation)
            return
        self.model.loading = True
        try:
            rows, total = await pager.page(len(self.model.rows), self.page_size)
        except BaseException:
            self.model.fetch_failed(generation)
            raise
        self.model.append(rows, total, generation)

    # --- events from the window --------------------------------------------------------------------
    def on_tree_loaded(self, _tree_id: str = "") -> None:
        self._key_stale = True
        self._run(self.refresh(), "Loading the history")
        if self.tabs.currentWidget() is self.key_view:
            self._run(self.load_key_history(), "Loading the key history")

    def _show_locked(self) -> None:
        """Nothing of the store's history stays on screen while it is locked."""
        self._diff_says_locked = True
        self._refresh_generation += 1
        if self._compare_task is not None and not self._compare_task.done():
            self._compare_task.cancel()
        self._compare_timer.stop()
        self.access.forget_snapshots()
        self._show_empty("The store is locked.", "Unlock it (Store \u25b8 Unlock\u2026) to see its history.")
        self.diff_view.show_message("The store is locked.")
        self._scan = None
        self._key_stale = True
        self.key_view.clear_history("The store is locked.")

    def on_values_hidden(self) -> None:
        # Locked: the versions selected are selected and compared again when this tree is
        # listed unlocked (only on a lock: a listing of another tree must not take them).
        kept = [r.id for r in self.selected_rows() if not r.is_staged]
        self._after_unlock = (self.session.tree_id, kept) if kept else None
        self._show_locked()

    def on_saved(self, _version: str = "") -> None:
        self.on_tree_loaded()

    def on_store_opened(self) -> None:
        self.access.forget_snapshots()

    def on_staged(self, _paths: frozenset[str] = frozenset()) -> None:
        count = len(self.session.staging)
        self.model.set_staged(count)
        if count and any(r.is_staged for r in self.selected_rows()):
            self._compare_timer.start()  # the staged diff changed under the user's eyes
        self._update_buttons()

    def on_path_changed(self, *_args: Any) -> None:
        self._path_timer.start()

    def _path_settled(self) -> None:
        path = self.window_.current_path()
        if self.mode == Versioning.VALUE and path != self.value_path:
            self._run(self.refresh(select=()), "Loading the value's versions")
        if path != self.key_view.path:
            self._key_stale = True
            if self.tabs.currentWidget() is self.key_view:
                self._run(self.load_key_history(), "Loading the key history")

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.key_view and self._key_stale:
            self._run(self.load_key_history(), "Loading the key history")

    def _selection_changed(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self._update_buttons()
        if not self._quiet and self.selected_rows():
            self._compare_timer.start()

    def _update_buttons(self) -> None:
        rows = self.selected_rows()
        one_version = len(rows) == 1 and not rows[0].is_staged
        versioned = self._pager is not None and self.mode != Versioning.NONE  # no pager, no store asked
        self.rollback_button.setEnabled(one_version and versioned)
        self.rollback_action.setEnabled(one_version and versioned)
        self.delete_button.setEnabled(one_version and versioned)
        self.delete_version_action.setEnabled(one_version and versioned)
        self.compare_action.setEnabled(bool(rows))
        # a window whose session is not made yet has nothing staged (asking would make it)
        self.staged_action.setEnabled(self.window_.has_session and bool(len(self.session.staging)))
        self.compare_mode.setEnabled(len(rows) <= 1)

    def _context_menu(self, position: QPoint) -> None:
        rows = self.selected_rows()
        menu = QMenu(self)
        menu.setObjectName("history-menu")
        menu.addAction(self.compare_action)
        menu.addSeparator()
        menu.addAction(self.rollback_action)
        menu.addAction(self.delete_version_action)
        if len(rows) == 1 and not rows[0].is_staged:
            version = rows[0].id
            menu.addSeparator()
            copy = menu.addAction("Copy version id")
            copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(version))
        menu.popup(self.list.viewport().mapToGlobal(position))

    # --- comparing ------------------------------------------------------------------------------------
    def compare(self) -> None:
        """Compare the selection (latest wins)."""
        self._compare_timer.stop()
        if self._compare_task is not None and not self._compare_task.done():
            self._compare_task.cancel()
        self._compare_task = self._run(self.compare_selection(), "Comparing versions")

    async def compare_staged(self) -> None:
        if not self.session.staging:
            self._status("No staged edits to compare", 4000)
            return
        self.show_panel()
        self.select_versions([""])
        self.compare()

    def _label(self, row: VersionRow) -> str:
        if row.is_staged:
            return "staged edits"
        label = f"version {row.id}"
        if row.info is not None and row.info.time:
            label += f" ({describe_time(row.info.time)[0]})"
        return label

    async def _snapshot(self, row: VersionRow | None, generation: int) -> Snapshot:
        """The tree (tree mode) or the one value (value mode) in a row's version."""
        if row is None:
            return {}
        if row.is_staged:
            return self.access.staged_snapshot()
        if self.mode == Versioning.VALUE:
            path = self.value_path
            return {path: row.entry} if row.entry is not None else {}

        def progress(done: int, total: int) -> None:
            of = f" of {total:,}" if total else ""
            report_progress(f"version {row.id}: {done:,}{of} values")
            if self.diff_view.is_current(generation):
                self.diff_view.set_status(f"Fetching version {row.id}: {done:,}{of} values\u2026")

        return await self.access.tree_snapshot(row.id, progress)

    async def _current(self) -> Snapshot:
        if self.mode == Versioning.VALUE and self.value_path:
            return self.access.current_value(self.value_path)
        return await self.access.current_tree()

    async def _older(self, row: VersionRow) -> VersionRow | None:
        """The version before ``row`` (loading the next page when it is not listed yet)."""
        older = self.model.older_than(row.id)
        if older is None and self.model.row_of(row.id) == self.model.rowCount() - 1 \
                and len(self.model.rows) < self.model.total:
            await self._fetch_page()
            older = self.model.older_than(row.id)
        return older

    async def compare_selection(self) -> None:
        allow_cancel()  # the status bar offers Cancel when fetching the versions takes a while
        rows = self.selected_rows()
        if not rows:
            return
        staged_all = any(r.is_staged for r in rows)
        if len(rows) == 1 and rows[0].is_staged:
            old_label, new_label = "store", "staged edits"
            older: VersionRow | None = None
            newer: VersionRow | None = rows[0]
        elif len(rows) == 1:
            if self.compare_mode.currentData() == WITH_PREVIOUS:
                newer = rows[0]
                older = await self._older(newer)
                old_label = self._label(older) if older is not None else "nothing (the first version)"
                new_label = self._label(newer)
            else:
                older, newer = rows[0], None
                old_label, new_label = self._label(older), "current"
        else:
            newer, older = rows[0], rows[-1]
            old_label, new_label = self._label(older), self._label(newer)
        generation = self.diff_view.begin(f"{old_label} \u2192 {new_label}")
        self.show_diff_dock()
        if not staged_all and await self._compare_in_store(older, newer, old_label, new_label, generation):
            return
        if staged_all and len(rows) == 1:
            old = self.access.current_snapshot()
            new = self.access.staged_snapshot(old)
        else:
            old = await self._snapshot(older, generation)
            new = await self._snapshot(newer, generation) if newer is not None else await self._current()
        if not self.diff_view.is_current(generation):
            return
        select = self.value_path or self.window_.current_path() or None
        await self.diff_view.show_diff(old, new, old_label, new_label, select=select, generation=generation)
        if self.diff_view.is_current(generation):
            self.compared.emit()

    async def _compare_in_store(self, older: VersionRow | None, newer: VersionRow | None, old_label: str,
                                new_label: str, generation: int) -> bool:
        """Two tree versions compared by the store (DiffVersions): only the changed values
        travel and no snapshot is built. False where the store cannot (then snapshots)."""
        if self.mode != Versioning.TREE or older is None or not self.access.diffs_versions:
            return False
        if not self.diff_view.only_changes.isChecked():
            return False  # every value is listed: that needs both snapshots anyway
        if newer is not None:
            to_version = newer.id
        else:  # "current": the shown tree, when it is exactly the newest version
            newest = next((r for r in self.model.rows if not r.is_staged), None)
            if newest is None or newest.id != self.session.head_version:
                return False
            to_version = newest.id

        def progress(done: int, _total: int) -> None:
            report_progress(f"{done:,} changed value(s)")
            if self.diff_view.is_current(generation):
                self.diff_view.set_status(f"Comparing in the store: {done:,} changed value(s)\u2026")

        diff = await self.access.diff_versions(older.id, to_version, progress)
        if diff is None or not self.diff_view.is_current(generation):
            return diff is not None

        async def full() -> tuple[Snapshot, Snapshot]:
            old = await self._snapshot(older, generation)
            new = await self._snapshot(newer, generation) if newer is not None else await self._current()
            return old, new

        select = self.value_path or self.window_.current_path() or None
        await self.diff_view.show_tree_diff(diff, old_label, new_label, select=select, generation=generation,
                                            full=full)
        if self.diff_view.is_current(generation):
            self.compared.emit()
        return True

    # --- rollback -------------------------------------------------------------------------------------
    def _single_version(self, doing: str) -> VersionRow | None:
        rows = self.selected_rows()
        if len(rows) != 1 or rows[0].is_staged:
            self._status(f"Select one version to {doing}", 5000)
            return None
        return rows[0]

    async def rollback_selected(self) -> str | None:
        """Roll back to the selected version; returns the new version the store created."""
        from PySide6.QtWidgets import QDialog

        row = self._single_version("roll back to")
        if row is None:
            return None
        mode = self.mode
        path = self.value_path if mode == Versioning.VALUE else ""
        if mode == Versioning.VALUE and not path:
            return None
        if not await self.window_.confirm_discard("rolling back"):
            self._status("Rollback cancelled: your staged edits are untouched", 6000)
            return None
        if mode == Versioning.VALUE:
            what = f"version {row.id} of \u201c{path}\u201d"
            explanation = (f"The value at {path} becomes what it was in version {row.id}. The store records this "
                           "as a new version; no version is lost. Below: what changes (current \u2192 after the "
                           "rollback).")
        else:
            when = describe_time(row.info.time)[1] if row.info is not None and row.info.time else ""
            message = f" \u201c{row.info.message}\u201d" if row.info is not None and row.info.message else ""
            what = f"version {row.id}"
            explanation = (f"Version {row.id}{message}{', ' + when if when else ''}. The tree "
                           f"\u201c{self.session.tree_id}\u201d becomes what it was then. The store records this "
                           "as a new version; no version is lost. Below: what changes (current \u2192 after the "
                           "rollback).")
        from zhi_gui.ui.history.rollback_dialog import RollbackDialog  # with the diff view: not for the first paint

        dialog = RollbackDialog(what, explanation, self.window_.main_window())
        preview = self._run(self._rollback_preview(dialog, row, path), "Preparing the rollback preview")
        try:
            accepted = await dialog_result(dialog) == QDialog.DialogCode.Accepted
        finally:
            preview.cancel()
            dialog.deleteLater()
        if not accepted:
            return None
        before = dialog.view.diff
        old_head = self.session.head_version
        cannot_cancel("a rollback sent to the store cannot be taken back: it will finish")
        report_progress("rolling back in the store")
        if mode == Versioning.VALUE:
            new_version = await self.access.rollback_value(path, row.id)
        else:
            new_version = await self.access.rollback_tree(row.id)
        report_progress("reading the tree again")
        await self.window_.reload_tree()
        await self.refresh(select=[new_version] if new_version else [], compare=False)
        where = f"{path} " if path else ""
        self._status(f"Rolled back {where}to version {row.id}: the store created version {new_version}", 15000)
        if before is not None:  # show what the rollback changed
            self.show_diff_dock()
            labels = ("before the rollback", f"version {new_version} (= {row.id})")
            if before.partial:  # the store's comparison: the changed values only
                async def full() -> tuple[Snapshot, Snapshot]:
                    return await self.access.tree_snapshot(old_head), await self.access.tree_snapshot(new_version)

                await self.diff_view.show_tree_diff(before, *labels, full=full)
            else:
                await self.diff_view.show_diff(before.old, before.new, *labels)
        return new_version

    async def _rollback_preview(self, dialog: RollbackDialog, row: VersionRow, path: str) -> None:
        generation = dialog.view.begin(f"current \u2192 version {row.id}")
        after = f"after the rollback (= version {row.id})"
        head = self.session.head_version
        if not path and head and self.access.diffs_versions and dialog.view.only_changes.isChecked():
            # The store compares the two versions: only the changed values travel. Both whole
            # snapshots of a 1M-value tree took the preview ~30 s (seen), each held in the window.
            def progress(done: int, _total: int) -> None:
                if dialog.view.is_current(generation):
                    dialog.view.set_status(f"Comparing in the store: {done:,} changed value(s)\u2026")

            diff = await self.access.diff_versions(head, row.id, progress)
            if diff is not None:
                async def full() -> tuple[Snapshot, Snapshot]:
                    return await self.access.tree_snapshot(head), await self.access.tree_snapshot(row.id)

                await dialog.view.show_tree_diff(diff, "current", after, select=self.window_.current_path() or None,
                                                 generation=generation, full=full)
                return
        if path:
            current = self.access.current_value(path)
            target = await self.access.value_snapshot(path, row.id)
        else:
            current = await self.access.current_tree()
            target = await self.access.tree_snapshot(row.id)
        await dialog.view.show_diff(current, target, "current", after,
                                    select=path or self.window_.current_path() or None, generation=generation)

    # --- deleting -------------------------------------------------------------------------------------
    async def delete_selected(self) -> bool:
        from PySide6.QtWidgets import QMessageBox

        row = self._single_version("delete")
        if row is None:
            return False
        path = self.value_path if self.mode == Versioning.VALUE else ""
        details = []
        if row.info is not None:
            when = describe_time(row.info.time)[1] if row.info.time else ""
            if when:
                details.append(when)
            if row.info.author:
                details.append(f"by {row.info.author}")
            if row.info.message:
                details.append(f"\u201c{row.info.message}\u201d")
        if path:
            details.append(f"of {path}")
        text = f"Delete version {row.id}?"
        informative = (("Version " + row.id + ": " + ", ".join(details) + ".\n\n") if details else "") + \
            "The other versions stay as they are. This cannot be undone."
        answer = await ask(self.window_.main_window(), "Delete version", text, informative,
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                           icon=QMessageBox.Icon.Warning)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        await self.access.delete_version(row.id, path)
        await self.refresh(select=())
        self.diff_view.show_message(f"Version {row.id} was deleted.")
        self._status(f"Deleted version {row.id}" + (f" of {path}" if path else ""), 10000)
        return True

    # --- key history ------------------------------------------------------------------------------------
    def show_key_history(self) -> None:
        self.show_panel()
        self.tabs.setCurrentWidget(self.key_view)
        if self._key_stale or self.key_view.path != self.window_.current_path():
            self._run(self.load_key_history(), "Loading the key history")

    async def load_key_history(self) -> None:
        view = self.key_view
        self._key_stale = False
        path = self.window_.current_path()
        view.path = path
        self._scan = None
        if self.session.supervisor is None or not self.session.tree_id:
            view.model.reset(False)
            view.title.setText("No store is open.")
            return
        if self.mode != Versioning.TREE:
            view.model.reset(False)
            view.title.setText("Key history needs a tree-versioned store." if self.mode == Versioning.NONE else
                               "This store keeps versions per value: the Versions tab lists the selected value's "
                               "versions.")
            view.status.setText("")
            return
        if not path or (path not in self.session.index.entries and path not in self.session.staging):
            view.model.reset(False)
            view.title.setText("Select a key in the tree to see when it changed." if not path else
                               f"\u201c{path}\u201d is a folder: select one of its keys.")
            view.status.setText("")
            return
        view.title.setText(f"When did <b>{path}</b> change, and to what?")
        view.reveal.setVisible(False)
        scan = KeyHistoryScan(self.access, self.access.tree_pager(), path, self.key_page_size, self.key_want)
        self._scan = scan
        view.model.reset(True, loading=True)
        await self._scan_more()

    async def _scan_more(self) -> None:
        scan, model = self._scan, self.key_view.model
        generation = model.generation
        if scan is None:
            model.fetch_failed(generation)
            return
        model.loading = True
        self.key_view.status.setText(f"Scanning versions\u2026 ({scan.scanned:,} so far)")
        try:
            changes = await scan.more()
        except BaseException:
            model.fetch_failed(generation)
            raise
        if scan is not self._scan:
            return
        model.append(changes, not scan.done, generation)
        # the toggle only where there is something to reveal
        self.key_view.reveal.setVisible(any(item.change.secret for item in model.rows))
        tail = "all versions" if scan.done else "scroll down for older ones"
        self.key_view.status.setText(f"{len(model.rows):,} change(s) in {scan.scanned:,} of {scan.total:,} "
                                     f"version(s) \u00b7 {tail}")
        self.keyHistoryShown.emit()

    def _key_change_activated(self, item: KeyChange[VersionRow]) -> None:
        path = item.change.path
        old = {path: item.previous} if item.previous is not None else {}
        new = {path: item.entry} if item.entry is not None else {}
        old_label = self._label(item.previous_version) if item.previous_version is not None else "before"
        self.show_diff_dock()
        self._run(self.diff_view.show_diff(old, new, old_label, self._label(item.version), select=path),
                  "Comparing the key's versions")

    def current_model_row(self, index: QModelIndex) -> VersionRow | None:
        from zhi_gui.session.history import VersionRow

        value = index.data(ROW_ROLE)
        return value if isinstance(value, VersionRow) else None
