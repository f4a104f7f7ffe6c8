"""The main window: store bar, trees, value tree with filter, value editor,
staged edits with undo/redo and Review & save, and the plugin process view.

The window shows a :class:`~zhi_gui.session.StoreSession` and sends it intents;
it holds no second copy of the store's state. The value editor is bound to an
:class:`~zhi_gui.session.EditTarget`: whatever the user does next (another key,
tree or store, lock, quit), the typed change is staged for its own target or
the user is asked; it never lands elsewhere and is never dropped silently."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QEvent, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeyEvent, QKeySequence, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMenu,
    QPushButton,
    QScrollArea,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core import errors as E
from zhi_gui.core.entries import Encryption, Versioning
from zhi_gui.core.paths import tree_id_problem
from zhi_gui.core.tree_index import SEARCH_LIMIT, ShownPaths
from zhi_gui.core.user_errors import describe, describe_detail
from zhi_gui.plugin.plugin_states import PluginState
from zhi_gui.services import settings as S
from zhi_gui.ui.async_dialogs import ask, dialog_result
from zhi_gui.ui.batched_expand import CachedHintHeader, expand_paths, expand_recursively
from zhi_gui.ui.busy import BusyIndicator, allow_cancel, cannot_cancel, disallow_cancel, report_progress
from zhi_gui.ui.copy_actions import CopyActions
from zhi_gui.ui.help_menu import install_help
from zhi_gui.ui.session_signals import SessionSignals
from zhi_gui.ui.tasks import TaskRunner
from zhi_gui.ui.theme import icon, icon_path
from zhi_gui.ui.value_tree_model import PATH_ROLE, ValueTreeModel, path_of
from zhi_gui.ui.window_hub import WindowHub

# Dialog and message box classes are imported where they are used: PySide makes a Qt class's
# enums when the class is first used, and the first paint shows no dialog (issue 14).

if TYPE_CHECKING:
    import asyncio

    from zhi_gui.plugin.manifest import PluginManifest
    from zhi_gui.plugin.supervisor import Supervisor
    from zhi_gui.session import ChangesElsewhere, Conflict, EditTarget, StoreSession, StoreTarget
    from zhi_gui.ui.editors import ValueEditor
    from zhi_gui.ui.plugin_view import PluginView

log = logging.getLogger("zhi_gui.ui")
LAZY_FILTER_PAUSE = 0.25  # seconds after the last keystroke before a big tree's store is searched
LAZY_FILTER_MIN = 3  # characters: shorter queries match most of a big tree
STATE_COLORS = {"running": "#2e9d4f", "starting": "#1f6feb", "restarting": "#e0a000", "failed": "#c0392b",
                "stopped": "#8a94a3"}
AUTO_EXPAND_LIMIT = 300
SAVE_SENT = "a save sent to the store cannot be taken back: it will finish"
REOPEN_LIMIT = 200  # groups of a big tree read again after a reload to keep the view as it was
RESTORE_AT_ONCE = 100  # groups opened again at once after a filter changed; the rest in slices
DOCK_MIN_WIDTH, DOCK_MIN_HEIGHT = 160, 90  # below this a dock's panel scrolls
CHANGE_CHECK_MS = 5000  # how often a visible window asks the store whether it changed elsewhere
UNAVAILABLE_GRACE_MS = 1000  # a failed call is reported only if the plugin did not die meanwhile
RECENT_DEATH_SECONDS = 10.0
FIRST_PAINT_WAIT = 2.0  # seconds the app waits for the first paint before starting the store anyway






def _read_manifest(plugin: Path) -> PluginManifest | None:
    """The manifest beside a plugin, for the Plugin panel (run in a worker: the YAML parser
    is imported on first use, and PySide's import hook reads each new module's source)."""
    from zhi_gui.plugin.discovery import _manifest_for

    kind, _, short = plugin.name.removeprefix("zhi-").partition("-")
    return _manifest_for(plugin, short, kind)[0]


class ValueTreeView(QTreeView):
    """Keyboard-first: Delete stages a delete, Enter/F2 go to the editor."""

    deleteRequested = Signal()
    editRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setHeader(CachedHintHeader(self))  # each expand asks for its size hint

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Delete and not event.modifiers():
            self.deleteRequested.emit()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_F2) and not event.modifiers():
            self.editRequested.emit()
            return
        if event.key() == Qt.Key.Key_Asterisk and self.currentIndex().isValid():
            expand_recursively(self, self.currentIndex())  # Qt's own lays out the subtree in one block
            return
        super().keyPressEvent(event)


def recent_label(identity: S.StoreIdentity) -> str:
    """A recent store as "name — where": two json stores differ by their location
    (path, dir, url or another locating option), which the name alone does not show."""
    where = identity.location()
    name = identity.display_name or identity.binary_name
    if where and len(where) > 70:
        where = "…" + where[-69:]  # the end of a path tells stores apart
    return f"{name} — {where}" if where and where not in name else name


class FilterEdit(QLineEdit):
    """The filter field: Esc clears it, Down moves into the results."""

    downPressed = Signal()

    def event(self, event: QEvent) -> bool:
        # Esc with text belongs to this field, not to a window-wide shortcut.
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) \
                and event.key() == Qt.Key.Key_Escape and self.text():
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and not event.modifiers() and self.text():
            self.clear()
            return
        if event.key() == Qt.Key.Key_Down and not event.modifiers():
            self.downPressed.emit()
            return
        super().keyPressEvent(event)


class MainWindow(QMainWindow):
    storeOpened = Signal()
    saved = Signal(str)  # new version
    closed = Signal()  # after the plugin was shut down
    firstPainted = Signal()  # the window is on screen (the app starts its store then)

    def __init__(self, session: StoreSession | None = None, settings: S.Settings | None = None,
                 state_root: Path | None = None, *, session_later: bool = False, panels_later: bool = False) -> None:
        """``session_later`` (the app's first window, with no ``session``): the session is made
        when first used, once the window has painted; until then the window shows no store,
        as a new session would (issue 14, cold start: the session's modules and its data
        classes are not needed for the first paint). ``panels_later``: the same for the value
        editor, whose Value panel shows the editor's own empty page until then (its modules
        were a twentieth of the instructions to the first paint), and the Plugin panel, empty
        until then (a fortieth; it has nothing to show before the store's plugin starts)."""
        super().__init__()
        self.settings = settings  # None: nothing is remembered (tests)
        self.setObjectName("main-window")
        self.setWindowTitle("zhi-gui")
        self.setWindowIcon(icon("zhi-gui"))
        self.resize(1400, 860)
        self.state_root = state_root
        self._session: StoreSession | None = None
        self.events = SessionSignals(self)  # relays the session's events once it is made
        self.task_runner = TaskRunner(self.show_error)
        self.last_error = ""
        self._closing_confirmed = False
        self._editor_target: EditTarget | None = None
        self._editor: ValueEditor | None = None
        self._panels_later = panels_later
        self._plugin_view: PluginView | None = None
        self._changes_report: ChangesElsewhere | None = None
        self.pending_error_checks = 0  # errors waiting to see whether the plugin died meanwhile
        self.model = ValueTreeModel()
        # A big tree is read group by group as the user opens them (session.lazy).
        self.model.fetcher = lambda path: self.run(self.session.load_children(path), "Reading a group of the tree")
        if session is not None or not session_later:
            self._attach_session(session)
        self._filter_generation = 0
        self._filter_generation_done = 0  # the generation whose result is on screen
        self._filter_matches: list[str] = []
        self._filter_limit = SEARCH_LIMIT  # matches a big tree's filter asks the store for ("show more" adds)
        self._history_panel: Any = None  # set by zhi_gui.ui.history.install_history
        self.make_history_panel: Callable[[], Any] | None = None  # ... or made by this, on first use
        self.change_marks: Any = None  # set by zhi_gui.ui.change_marks.install_change_marks
        self.context_actions: list[QAction] = []  # panels add entries to the value tree's context menu
        self.close_hooks: list[Callable[[], Awaitable[None]]] = []  # panels stop what they started (other stores)
        self.offered_login: tuple[str, dict[str, str]] | None = None  # from Open store's form, for the login
        self.windows: WindowHub | None = None  # the app's other windows (set by ui.windows.WindowRegistry)
        # Unlocks a locked store before a save (set by the security panel); True: unlocked.
        self.unlock_to_write: Callable[[], Awaitable[bool]] | None = None
        self._build_actions()
        self._build_store_bar()
        self._build_central()
        self.copying = CopyActions(self)
        self._build_docks()
        self._build_menus()
        self._wire_session()
        self._change_timer = QTimer(self)
        self._change_timer.setInterval(CHANGE_CHECK_MS)
        self._change_timer.timeout.connect(self.check_for_changes)
        self._change_timer.start()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._application_state_changed)
        self.statusBar().showMessage("Open a store to begin (Ctrl+O)")
        self.busy = BusyIndicator(self.task_runner)  # progress + Cancel for work that takes a while
        self.statusBar().addPermanentWidget(self.busy)
        self._update_actions()
        self._default_state = self.saveState()
        self._shown_once = False
        self.painted = False
        self._refresh_recent_menu()

    @property
    def session(self) -> StoreSession:
        """The window's session (one per window, for its life); made on first use in a
        window built with ``session_later``."""
        if self._session is None:
            self._attach_session(None)
            assert self._session is not None
        return self._session

    @property
    def editor(self) -> ValueEditor:
        """The value editor; made on first use in a window built with ``panels_later`` (the
        app builds it a turn after the first paint: ``app.completion_steps``)."""
        if self._editor is None:
            self._editor = self._make_editor()
            self.fill_dock(self.editor_dock, self._editor)
        return self._editor

    def _make_editor(self) -> ValueEditor:
        from zhi_gui.ui.editors import ValueEditor

        editor = ValueEditor()
        editor.setObjectName("value-editor")
        editor.staged.connect(self._editor_staged)
        editor.finished.connect(self._editor_finished)
        return editor

    @property
    def history_panel(self) -> Any:
        """The History panel (``zhi_gui.ui.history``), None in a window without one; in the
        app's first window it is made on first use, as the editor is."""
        if self._history_panel is None and self.make_history_panel is not None:
            make, self.make_history_panel = self.make_history_panel, None
            self._history_panel = make()
        return self._history_panel

    @history_panel.setter
    def history_panel(self, panel: Any) -> None:
        self._history_panel = panel

    @property
    def plugin_view(self) -> PluginView:
        """The Plugin panel's view (state, binary, manifest, log); made on first use in a
        window built with ``panels_later``, as the editor is."""
        if self._plugin_view is None:
            self._plugin_view = self._make_plugin_view()
            self.fill_dock(self.plugin_dock, self._plugin_view)
        return self._plugin_view

    def _make_plugin_view(self) -> PluginView:
        from zhi_gui.ui.plugin_view import PluginView

        view = PluginView()
        view.restartRequested.connect(lambda: self.run(self.restart_plugin()))
        self.events.logLines.connect(view.add_lines)
        return view

    @property
    def has_session(self) -> bool:
        """Whether the session is made (a ``session_later`` window before its first use)."""
        return self._session is not None

    def _attach_session(self, session: StoreSession | None) -> None:
        from zhi_gui.session import SessionMemory, StoreSession

        if session is None:
            memory = SessionMemory(self.settings, self.state_root) if self.settings is not None else None
            session = StoreSession(memory)
        self._session = session
        self.events.bind(session)
        session.children_loaded.connect(self.model.on_children_loaded)

    @property
    def controller(self) -> StoreSession:
        """The open store's session (the name the first wave's code and tests use)."""
        return self.session

    @property
    def tasks(self) -> set[asyncio.Task[Any]]:
        return self.task_runner.tasks

    def main_window(self) -> QMainWindow:
        return self

    # --- building -----------------------------------------------------------------------
    def _action(self, name: str, text: str, slot: Any,
                shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None,
                icon_name: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_action = self._action("action-open", "Open store\u2026", self.open_store_dialog,
                                        QKeySequence.StandardKey.Open, "open")
        self.undo_action = self._action("action-undo", "Undo", self.undo, "Ctrl+Z", "undo")
        self.redo_action = self._action("action-redo", "Redo", self.redo, "Ctrl+Shift+Z", "redo")
        self.save_action = self._action("action-save", "Review && save\u2026",
                                        lambda: self.run(self.review_and_save(), "Saving"), "Ctrl+S", "save")
        self.new_key_action = self._action("action-new-key", "New key\u2026", self.new_key, "Ctrl+N", "add")
        # Del itself is handled by the tree view (a window-wide Del would steal it from text fields).
        self.delete_action = self._action("action-delete", "Delete", self.delete_selected, None, "delete")
        self.filter_action = self._action("action-filter", "Filter", self.focus_filter, QKeySequence.StandardKey.Find)
        self.edit_action = self._action("action-edit", "Edit value", self.focus_editor, "F2")
        self.reload_action = self._action("action-reload", "Reload", lambda: self.run(self.reload_tree()), "F5",
                                          "reload")
        self.sample_action = self._action("action-sample", "Fill with sample tree",
                                          lambda: self.run(self.fill_sample()))
        self.discard_action = self._action("action-discard", "Discard all staged edits",
                                           lambda: self.run(self.discard_all()))

    def _build_store_bar(self) -> None:
        bar = QToolBar("Store")
        bar.setObjectName("store-bar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBar(bar)
        self.open_button = QToolButton()
        self.open_button.setDefaultAction(self.open_action)
        self.open_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.recent_menu = QMenu("Recent stores", self)
        self.recent_menu.aboutToShow.connect(self._refresh_recent_menu)  # other windows add to the list too
        self.open_button.setMenu(self.recent_menu)
        self.open_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        bar.addWidget(self.open_button)
        bar.addSeparator()
        self.store_label = QLabel("no store")
        self.store_label.setObjectName("store-label")
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.store_label)
        bar.addSeparator()
        self.versioning_label = QLabel()
        self.encryption_label = QLabel()
        self.auth_label = QLabel()
        self.state_label = QLabel()
        self.state_label.setObjectName("state-label")
        for label in (self.versioning_label, self.encryption_label, self.auth_label):
            label.setContentsMargins(6, 0, 6, 0)
            bar.addWidget(label)
        spacer = QWidget()
        spacer.setSizePolicy(spacer.sizePolicy().horizontalPolicy().Expanding, spacer.sizePolicy().verticalPolicy())
        bar.addWidget(spacer)
        bar.addWidget(self.state_label)

        edit_bar = QToolBar("Edit")
        edit_bar.setObjectName("edit-bar")
        edit_bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.addToolBarBreak()
        self.addToolBar(edit_bar)
        for action in (self.undo_action, self.redo_action):
            edit_bar.addAction(action)
        edit_bar.addSeparator()
        for action in (self.new_key_action, self.delete_action, self.reload_action):
            edit_bar.addAction(action)
        edit_bar.addSeparator()
        self.pending_label = QLabel("No staged edits")
        self.pending_label.setObjectName("pending-label")
        edit_bar.addWidget(self.pending_label)
        edit_bar.addAction(self.save_action)
        edit_bar.addAction(self.discard_action)

    def _build_central(self) -> None:
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        self.filter_edit = FilterEdit()
        self.filter_edit.downPressed.connect(self._filter_down)
        self.filter_edit.setObjectName("filter")
        self.filter_edit.setPlaceholderText("Filter keys and values (Ctrl+F)")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._filter_changed)
        self.filter_edit.returnPressed.connect(self._filter_return)
        self.match_label = QLabel()
        self.match_label.setObjectName("match-label")
        self.match_label.linkActivated.connect(lambda _link: self._filter_changed(self.filter_edit.text(), more=True))
        row = QHBoxLayout()
        row.addWidget(self.filter_edit, 1)
        row.addWidget(self.match_label)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.linkActivated.connect(self._banner_link)
        self.banner.setStyleSheet("QLabel { background: #fff4ce; color: #4d3b00; border: 1px solid #e0c060;"
                                  " border-radius: 4px; padding: 6px; }")
        self.banner.hide()
        self.tree_view = ValueTreeView()
        self.tree_view.deleteRequested.connect(self.delete_selected)
        self.tree_view.editRequested.connect(self.focus_editor)
        self.tree_view.setObjectName("value-tree")
        self.tree_view.setModel(self.model)
        self.tree_view.setUniformRowHeights(True)
        # Values are edited in the Value panel; a cell never opens an editor of its own.
        self.tree_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree_view.setAlternatingRowColors(True)
        self.tree_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree_view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree_view.customContextMenuRequested.connect(self._context_menu)
        header = self.tree_view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 300)
        header.resizeSection(2, 70)
        header.resizeSection(3, 80)
        self.tree_view.selectionModel().currentChanged.connect(self._current_changed)
        layout.addLayout(row)
        layout.addWidget(self.banner)
        layout.addWidget(self.tree_view, 1)
        self.setCentralWidget(central)

    def _build_docks(self) -> None:
        trees = QWidget()
        trees_layout = QVBoxLayout(trees)
        trees_layout.setContentsMargins(4, 4, 4, 4)
        self.trees_list = QListWidget()
        self.trees_list.setObjectName("trees")
        self.trees_list.itemActivated.connect(lambda item: self.run(self.switch_tree(item.text()), "Switching tree",
                                                                    "switch-tree"))
        self.trees_list.itemClicked.connect(lambda item: self.run(self.switch_tree(item.text()), "Switching tree",
                                                                  "switch-tree"))
        self.new_tree_button = new_tree = QPushButton(icon("add"), "New")
        new_tree.setObjectName("new-tree")
        new_tree.clicked.connect(lambda: self.run(self.create_tree(), "Creating a tree"))
        self.delete_tree_button = delete_tree = QPushButton(icon("delete"), "Delete")
        delete_tree.setObjectName("delete-tree")
        delete_tree.clicked.connect(lambda: self.run(self.delete_tree(), "Deleting a tree"))
        buttons = QHBoxLayout()
        buttons.addWidget(new_tree)
        buttons.addWidget(delete_tree)
        trees_layout.addWidget(self.trees_list, 1)
        trees_layout.addLayout(buttons)
        self.trees_dock = self._dock("Trees", "trees-dock", trees, Qt.DockWidgetArea.LeftDockWidgetArea)

        content: QWidget
        if self._panels_later:  # the editor's empty page, as it looks (see ``editor``)
            content = QLabel("Select a value to edit it.")
            content.setAlignment(Qt.AlignmentFlag.AlignCenter)
            content.setObjectName("value-editor-placeholder")
        else:
            content = self._editor = self._make_editor()
        self.editor_dock = self._dock("Value", "editor-dock", content, Qt.DockWidgetArea.RightDockWidgetArea)

        if self._panels_later:  # nothing to show before the plugin starts (see ``plugin_view``)
            content = QWidget()
            content.setObjectName("plugin-view-placeholder")
        else:
            content = self._plugin_view = self._make_plugin_view()
        self.plugin_dock = self._dock("Plugin", "plugin-dock", content, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.trees_dock], [200], Qt.Orientation.Horizontal)
        self.resizeDocks([self.editor_dock], [460], Qt.Orientation.Horizontal)
        self.resizeDocks([self.plugin_dock], [170], Qt.Orientation.Vertical)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        self.file_menu = file_menu = menus.addMenu("&File")
        file_menu.addAction(self.open_action)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.sample_action)
        file_menu.addAction(self.reload_action)
        file_menu.addSeparator()
        # Ctrl+Q on every platform (some themes bind no Quit key at all).
        quit_action = self._action("action-quit", "Quit", self._quit, "Ctrl+Q")
        file_menu.addAction(quit_action)
        edit_menu = menus.addMenu("&Edit")
        for action in (self.undo_action, self.redo_action, None, *self.copying.actions(), None, self.new_key_action,
                       self.edit_action, self.delete_action, None, self.filter_action, None, self.save_action,
                       self.discard_action):
            if action is None:
                edit_menu.addSeparator()
            else:
                edit_menu.addAction(action)
        self.store_menu = menus.addMenu("&Store")
        restart = self._action("action-restart", "Restart plugin", lambda: self.run(self.restart_plugin()))
        self.store_menu.addAction(restart)
        self.view_menu = menus.addMenu("&View")
        for dock in (self.trees_dock, self.editor_dock, self.plugin_dock):
            self.view_menu.addAction(dock.toggleViewAction())
        self.reset_layout_action = self._action("action-reset-layout", "Reset layout", self.reset_layout)
        self.view_menu.addSeparator()
        self.view_menu.addAction(self.reset_layout_action)
        self.help_menu = install_help(self)

    def add_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        return self._dock(title, name, widget, area)

    def fill_dock(self, dock: QDockWidget, widget: QWidget) -> None:
        """Put ``widget`` in a dock made by ``add_dock`` in place of what it holds (a panel
        made after the first paint replaces its placeholder, which is deleted)."""
        scroll = dock.widget()
        assert isinstance(scroll, QScrollArea)
        scroll.setWidget(widget)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        # A panel squeezed below what its widgets need scrolls instead of pushing the
        # window past the screen: the dock's minimum is the scroll area's (small), so
        # docks together never ask for more than a 1366x768 screen has.
        scroll = QScrollArea()
        scroll.setObjectName(name + "-scroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        scroll.setMinimumSize(DOCK_MIN_WIDTH, DOCK_MIN_HEIGHT)
        scroll.setWidget(widget)
        dock.setWidget(scroll)
        self.addDockWidget(area, dock)
        return dock

    def _wire_session(self) -> None:
        e = self.events
        e.stateChanged.connect(self._state_changed)
        e.treesChanged.connect(self._trees_changed)
        e.treeLoaded.connect(self._tree_loaded)
        e.valuesHidden.connect(self._values_hidden)
        e.capabilitiesChanged.connect(self._capabilities_changed)
        e.notice.connect(self.show_notice)
        e.staged.connect(self._staged)
        e.saved.connect(self.saved.emit)
        e.changedElsewhere.connect(self._changed_elsewhere)
        e.valuesChanged.connect(self._values_changed)

    # --- tasks and errors ----------------------------------------------------------------
    def run(self, coro: Coroutine[Any, Any, Any], what: str = "", name: str = "") -> asyncio.Task[Any]:
        """Run a coroutine on the Qt loop; failures are shown, never lost. A named task
        replaces the running one of the same name (latest wins)."""
        return self.task_runner.run(coro, what, name)

    def show_error(self, what: str, exc: BaseException) -> None:
        """The one place errors are shown: the status bar and a non-modal message box."""
        text = describe(exc)
        self.last_error = text
        log.warning("%s failed: %s", what or "operation", text)
        if not shiboken6.isValid(self):  # a task that outlived its window: the log is all there is
            return
        self.statusBar().showMessage(f"{what + ': ' if what else ''}{text}", 15000)
        supervisor = self.session.supervisor
        if isinstance(exc, E.PluginUnavailable) and supervisor is not None:
            # Calls in flight when the plugin dies fail just before its death is noticed: give
            # the supervisor a moment. If it saw a death, the banner tells the story (no box).
            deaths = len(supervisor.deaths)
            self.pending_error_checks += 1
            QTimer.singleShot(UNAVAILABLE_GRACE_MS, lambda: self._show_unavailable(what, text, supervisor, deaths))
            return
        self._error_box(what, text)

    def _show_unavailable(self, what: str, text: str, supervisor: Supervisor, deaths: int) -> None:
        self.pending_error_checks -= 1
        # A call on the old connection can also fail just after the restart: a death in the
        # last seconds explains it as well.
        recent_death = bool(supervisor.deaths) and time.monotonic() - supervisor.deaths[-1] < RECENT_DEATH_SECONDS
        if supervisor is self.session.supervisor and len(supervisor.deaths) == deaths and not recent_death \
                and supervisor.state == PluginState.RUNNING:
            self._error_box(what, text)

    def _error_box(self, what: str, text: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        previous = self.findChild(QMessageBox, "error-box")
        if previous is not None and previous.isVisible():
            previous.setText(f"{what} failed" if what else "Something failed")
            previous.setInformativeText(text)  # one box, the latest error: no pile of windows
            return
        box = QMessageBox(QMessageBox.Icon.Warning, "zhi-gui", (f"{what} failed" if what else "Something failed"),
                          QMessageBox.StandardButton.Ok, self)
        box.setObjectName("error-box")
        box.setInformativeText(text)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_notice(self, text: str) -> None:
        self.banner.setText(text)
        self.banner.setVisible(bool(text))

    # --- the value editor's target ------------------------------------------------------
    def flush_editor(self) -> bool:
        """Stage what is typed in the editor for its own key. False when it cannot be
        staged (not valid, or its store/tree is gone): the typed text stays in the editor."""
        if not self.editor.dirty:
            return True
        if self.editor.can_stage():
            return self.editor.stage()
        return False

    async def settle_editor(self, doing: str) -> bool:
        """Before ``doing`` something that replaces the editor's key: stage the typed change
        for its own key, or ask (keep editing / discard) when it cannot be staged."""
        from PySide6.QtWidgets import QMessageBox

        if self.flush_editor():
            return True
        path = self._editor_target.path if self._editor_target else self.editor.path
        problem = self.editor.problem or "it cannot be staged here"
        answer = await ask(self, "Unstaged edit", f"The value you typed for \u201c{path}\u201d is not staged.",
                           f"It cannot be staged: {problem}. Discard it before {doing}?",
                           QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                           QMessageBox.StandardButton.Cancel, QMessageBox.Icon.Warning)
        if answer == QMessageBox.StandardButton.Discard:
            self.editor.revert()
            return True
        self._show_editor_key()
        return False

    def _show_editor_key(self) -> None:
        """Bring the key being edited back on screen (the user chose to keep editing it)."""
        target = self._editor_target
        if target is None:
            return
        index = self.model.index_of_path(target.path)
        if index.isValid() and self.current_path() != target.path:
            self._select_quietly(index)
        self.editor_dock.show()
        self.editor.focus_value()

    def _select_quietly(self, index: QModelIndex) -> None:
        model = self.tree_view.selectionModel()
        model.blockSignals(True)
        try:
            self.tree_view.setCurrentIndex(index)
        finally:
            model.blockSignals(False)
        self.tree_view.viewport().update()

    # --- opening -------------------------------------------------------------------------
    def take_offered_login(self) -> tuple[str, dict[str, str]] | None:
        offer, self.offered_login = self.offered_login, None
        return offer

    async def open_store(self, target: StoreTarget) -> None:
        import asyncio

        from PySide6.QtWidgets import QMessageBox

        if self.windows is not None and self.windows.claim(self, target):
            return  # open in another window: that one came forward
        if not await self.settle_editor("opening another store"):
            return
        if not await self.confirm_discard("opening another store"):
            return
        self.show_notice("")
        self._changes_report = None
        self._load_editor("")
        self.statusBar().showMessage(f"Starting {target.plugin.name}\u2026")
        self.store_label.setText(f"<b>{target.name}</b>")
        self.store_label.setToolTip(str(target.plugin))
        self.setWindowTitle(f"{target.name} \u2014 zhi-gui")
        self.model.set_tree(self.session.index, self.session.staging)  # the old store's values leave the screen
        self._update_actions()
        # The Plugin panel shows the plugin's manifest (YAML). Read in a worker while the plugin
        # starts: importing the YAML parser on the UI thread, or in a worker while the tree
        # paints (the UI thread then waits for the GIL), cost 20-40 ms stalls.
        manifest_read = asyncio.get_running_loop().run_in_executor(None, _read_manifest, target.plugin)
        # Starting a plugin and loading a big tree can take a while: the status bar offers
        # Cancel, which stops the plugin and leaves the window without a store.
        allow_cancel()
        try:
            try:
                await self.session.open(target)
            except E.StoreMissing as exc:
                disallow_cancel()  # the question below is answered, not cancelled
                # A mistyped location must not silently become a new empty store: ask first.
                answer = await ask(self, "Create store", "There is no store at this location.",
                                   f"{exc.message}\n\nCreate a new, empty store there?",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                   QMessageBox.StandardButton.Cancel)
                if answer != QMessageBox.StandardButton.Yes:
                    await self.session.close()
                    self.show_notice("Nothing was created. Open another store (Ctrl+O).")
                    self.statusBar().showMessage("No store created", 8000)
                    self._update_actions()
                    return
                target = replace(target, options={**target.options, "create": True})
                allow_cancel()
                await self.session.open(target)
        except asyncio.CancelledError:
            await self._opening_cancelled(target)
            raise
        disallow_cancel()  # opened: what the caller does next (fill a sample tree, say) is not "opening"
        # The tree was put on screen in the turn that loaded it; the plugin panel and the
        # store's location wait for the next one. Laid out together (the panel's wrapped,
        # selectable labels alone take ~2.5 ms) they made that turn's 12-16 ms of UI work
        # a frame's worth at 100,000 values (issue 14, "load").
        opened = self.session.session_id
        await asyncio.sleep(0)
        if self.session.session_id != opened:
            return  # another store was opened meanwhile: its own opening says what it is
        plugin = self.session.supervisor.plugin if self.session.supervisor else None
        if plugin is not None and plugin.audit is not None:
            self.plugin_view.set_plugin(str(plugin.path), plugin.audit.digest, await manifest_read)
        location = self.session.description.location if self.session.description else ""
        self.store_label.setText(f"<b>{target.name}</b>" + (f"  <span style='color:gray'>{location}</span>"
                                                            if location else ""))
        self._refresh_recent_menu()
        self._update_actions()
        self.storeOpened.emit()

    async def _opening_cancelled(self, target: StoreTarget) -> None:
        """Cancel pressed while ``target`` opened: its plugin is stopped, nothing is shown."""
        await self.session.close()
        self.model.set_tree(self.session.index, self.session.staging)
        self.store_label.setText("")
        self.store_label.setToolTip("")
        self.setWindowTitle("zhi-gui")
        self.show_notice(f"Opening {target.name} was cancelled. Open a store (Ctrl+O).")
        self.statusBar().showMessage("Opening cancelled", 8000)
        self._update_actions()

    def store_title(self) -> str:
        """The open store in the title bar: its name and where it is (several windows, and two
        stores of the same plugin, are told apart by it)."""
        identity = self.session.identity()
        if identity is None:
            return ""
        where = self.session.description.location if self.session.description else ""
        where = where or identity.location()
        if len(where) > 60:
            where = "\u2026" + where[-59:]
        name = identity.display_name or identity.binary_name
        return f"{name} ({where})" if where and where not in name else name

    def open_store_dialog(self) -> None:
        # The dialogs load when first opened: they are not needed for the first paint.
        from PySide6.QtWidgets import QDialog, QDialogButtonBox

        from zhi_gui.ui.open_store_dialog import OpenStoreDialog

        dialog = OpenStoreDialog(self)
        in_new_window: list[bool] = []
        buttons = dialog.findChild(QDialogButtonBox)
        if self.windows is not None and buttons is not None:
            # An accept-role button: the dialog checks its form as for Open, then says where.
            button = buttons.addButton("Open in new window", QDialogButtonBox.ButtonRole.AcceptRole)
            button.setObjectName("open-in-new-window")
            button.clicked.connect(lambda: in_new_window.append(True))

        async def go() -> None:
            try:
                if await dialog_result(dialog) == QDialog.DialogCode.Accepted:
                    target = dialog.target()
                    if target is None:
                        return
                    # a login typed into the form: the login machinery uses it (and keeps it in
                    # the keyring), so it never becomes a plugin option
                    login = dialog.login_offer()
                    if in_new_window and self.windows is not None:
                        self.windows.open_in_new_window(target, login)
                    else:
                        self.offered_login = login
                        await self.open_store(target)
            finally:
                self.offered_login = None
                dialog.deleteLater()

        self.run(go(), "Opening the store")

    async def switch_tree(self, tree_id: str) -> None:
        if tree_id == self.session.tree_id and self.session.loaded:
            return
        if not await self.settle_editor(f"switching to tree {tree_id}") or \
                not await self.confirm_discard(f"switching to tree {tree_id}"):
            self._select_tree_item(self.session.tree_id)
            return
        await self.session.load_tree(tree_id)

    async def reload_tree(self, flush: bool = True) -> None:
        """Read the tree again; staged edits stay, and conflicts with them are shown. Without
        ``flush`` (a live update) a value being typed stays in the editor as it is."""
        if not self.session.tree_id:
            return
        if flush:
            self.flush_editor()
        # A big tree is read again from its root: the groups open on screen are read again after
        # it, so the view (and the key being edited) stays where it was.
        reopen = self._expanded_paths()[:REOPEN_LIMIT] if self.session.lazy else []
        current, selected = self.current_path(), self.selected_paths()
        await self.session.refresh_trees()
        await self.session.load_tree(self.session.tree_id)
        if reopen and self.session.lazy:
            await self._reopen(reopen, current, selected)
        self._changes_report = None
        if self.session.staging:
            await self._resolve_conflicts_now()

    async def _reopen(self, groups: list[str], current: str, selected: list[str]) -> None:
        tree = (self.session.session_id, self.session.tree_id)
        for path in sorted(groups):  # parents first: each is listed by the one above it
            if (self.session.session_id, self.session.tree_id) != tree:
                return
            await self.session.load_children(path)
        self._restore_view(current, selected, sorted(groups))
        if current and self.current_path() == current and not self.editor.dirty:
            self._load_editor(current)  # its version and whether it is new, as read now

    async def _resolve_conflicts_now(self) -> None:
        conflicts = await self.session.conflicts()
        if not conflicts:
            return
        choices = await self._ask_conflicts(conflicts, saving=False)
        if choices is None:
            self.show_notice(f"{len(conflicts)} of your staged edit(s) conflict with changes made elsewhere. They "
                             "stay staged; saving will ask again.")
            return
        for conflict, keep in zip(conflicts, choices, strict=True):
            self.session.resolve(conflict, keep)
        self.model.on_staged({c.path for c in conflicts})

    async def restart_plugin(self) -> None:
        self.flush_editor()
        await self.session.restart_plugin()
        await self.reload_tree()

    # --- changes made elsewhere -------------------------------------------------------------
    def check_for_changes(self) -> None:
        """Ask the store (cheaply) whether someone else saved; only while the window is visible."""
        # (a session not made yet has no store to ask, and asking would make it)
        if not self.isVisible() or not self.has_session or not self.session.can_edit:
            return
        self.run(self.session.check_for_changes(), "Checking for changes made elsewhere", "check-changes")

    def _application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationActive:
            self.check_for_changes()

    def _changed_elsewhere(self, report: ChangesElsewhere) -> None:
        self._changes_report = report
        count = len(report.changed)
        if report.applied or self.session.live:
            # A store that pushes its changes is followed live: their keys show at once (already
            # put into the shown tree, else by a reload), staged edits and text being typed
            # stay, and a conflict with them is shown right away.
            self.statusBar().showMessage(f"{count} key(s) changed by another user or program", 10000)
            if not report.applied:
                self.run(self.reload_tree(flush=False), "Showing changes made elsewhere", "reload")
            elif report.conflicting:
                self.run(self._resolve_conflicts_now(), "Showing changes made elsewhere", "reload")
            return
        text = f"{count:,} key(s) changed elsewhere (another window or program saved this tree)."
        if report.conflicting:
            text += f" {len(report.conflicting)} of them have staged edits of yours: reloading shows the conflicts."
        self.show_notice(text + " <a href='reload'>Reload</a> (your staged edits are kept)")

    def _values_changed(self, paths: frozenset[str]) -> None:
        """Values replaced in the shown tree by a live update: their rows, and the editor when
        it shows one of them and nothing is typed there."""
        self.model.on_values_changed(paths)
        self._update_actions()
        current = self.current_path()
        if current in paths and not self.editor.dirty:
            self._load_editor(current)

    def _banner_link(self, link: str) -> None:
        if link == "reload":
            self.show_notice("")
            self.run(self.reload_tree(), "Reloading", "reload")

    # --- trees -------------------------------------------------------------------------------
    async def create_tree(self) -> None:
        name, ok = await self._ask_text("New tree", "Tree id:")
        if not ok or not name:
            return
        problem = tree_id_problem(name)
        if problem:
            raise E.InvalidArgument(f"invalid tree id: {problem}")
        await self.session.create_tree(name)
        await self.switch_tree(name)

    async def _ask_text(self, title: str, label: str, text: str = "") -> tuple[str, bool]:
        from PySide6.QtWidgets import QDialog, QInputDialog

        dialog = QInputDialog(self)
        dialog.setObjectName("ask-text")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(text)
        accepted = await dialog_result(dialog) == QDialog.DialogCode.Accepted
        value = dialog.textValue().strip()
        dialog.deleteLater()
        return value, accepted

    async def delete_tree(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        items = self.trees_list.selectedItems()
        if not items:
            return
        tree_id = items[0].text()
        if tree_id == self.session.tree_id and (
                not await self.settle_editor("deleting the tree") or not await self.confirm_discard(
                    "deleting the tree")):
            return
        lost = await self.session.tree_summary(tree_id)
        answer = await ask(self, "Delete tree", f"Delete tree \u201c{tree_id}\u201d?",
                           f"This removes {lost}. It cannot be undone.",
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                           icon=QMessageBox.Icon.Warning)
        if answer != QMessageBox.StandardButton.Yes:
            return
        await self.session.delete_tree(tree_id)
        self.statusBar().showMessage(f"Deleted tree {tree_id}", 8000)

    async def fill_sample(self) -> None:
        if not await self.settle_editor("showing the sample tree") or \
                not await self.confirm_discard("showing the sample tree"):
            return
        count, written = await self.session.fill_sample("sample")
        self.statusBar().showMessage(f"Created tree \u201csample\u201d with {count} values" if written else
                                     f"Tree \u201csample\u201d already holds the sample ({count} values)", 8000)

    # --- editing -------------------------------------------------------------------------------
    def selected_paths(self) -> list[str]:
        rows = self.tree_view.selectionModel().selectedRows(0)
        return [str(index.data(PATH_ROLE)) for index in rows]

    def current_path(self) -> str:
        return path_of(self.tree_view.currentIndex())

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        path = path_of(current)
        if self._editor_target is not None and path == self._editor_target.path:
            return
        if not self.flush_editor():
            # Typed but not stageable: stay on that key and ask (the new selection waits).
            self._show_editor_key()
            self.run(self._leave_invalid_edit(path), "Leaving the value", "leave-edit")
            return
        self._load_editor(path)

    async def _leave_invalid_edit(self, next_path: str) -> None:
        if await self.settle_editor("selecting another key"):
            index = self.model.index_of_path(next_path) if next_path else QModelIndex()
            if index.isValid():
                self.tree_view.setCurrentIndex(index)
            self._load_editor(next_path)

    def _load_editor(self, path: str) -> None:
        entry = self.model.current_entry(path) if path and self.session.loaded else None
        if entry is None:
            self._editor_target = None
            self.editor.clear()  # a group, a staged delete, or nothing selected
            return
        self._editor_target = self.session.edit_target(path)
        read_only = not self.session.can_edit
        # A staged edit is shown with the version it was made on; and a key with a stored value
        # is no new key, also where a big tree has not read it again since a reload.
        base = self.session.base_of(path)
        if base is not None and not entry.version:
            entry = entry._replace(version=base.version)
        self.editor.load(path, entry, read_only_store=read_only, is_new=base is None)

    def _editor_staged(self, path: str, value_json: bytes, metadata_json: bytes) -> None:
        target = self._editor_target
        if target is None or target.path != path:
            self.show_error("Staging", E.InvalidArgument(f"the editor's key {path!r} is no longer open"))
            return
        self.session.stage_edit(target, value_json, metadata_json)
        self.statusBar().showMessage(f"Staged {path}", 4000)

    def _editor_finished(self) -> None:
        """Staged or let go with Esc: back to the value tree, ready for the next key."""
        self.tree_view.setFocus(Qt.FocusReason.OtherFocusReason)

    def delete_selected(self) -> None:
        if not self.session.can_edit:
            return
        paths = self.selected_paths() or ([self.current_path()] if self.current_path() else [])
        if paths:
            self.flush_editor()
            if any(map(self.session.index.has_unloaded_below, paths)):
                self.run(self._read_and_delete(paths), "Deleting")
                return
            self.session.stage_delete(paths)

    async def _read_and_delete(self, paths: list[str]) -> None:
        """A big tree is read as groups are opened: a group deleted before it was read whole
        is read from the store first (with progress and Cancel; stopped, it stages nothing), so
        the staged delete names every value it removes, each checked at save (CAS)."""
        allow_cancel()
        read = await self.session.read_groups_whole(
            paths, lambda done, total: report_progress(f"{done:,} of {total:,} values read to delete"))
        disallow_cancel()
        if read is None:  # (the index it read into is no longer the shown one)
            raise E.InvalidArgument("another store or tree was opened while the values to delete were read: "
                                    "nothing was staged")
        self.session.stage_delete(paths)
        what = paths[0] if len(paths) == 1 else f"{len(paths)} keys"
        self.statusBar().showMessage(f"Staged the delete of {what} ({read:,} value(s) read from the store)", 8000)

    def new_key(self) -> None:
        from PySide6.QtWidgets import QDialog

        from zhi_gui.ui.editors import NewKeyDialog

        if not self.session.can_edit:
            self.statusBar().showMessage("Open a store and a tree first (Ctrl+O)", 5000)
            return
        current = self.current_path()
        parent = current if current and current not in self.session.index.entries else \
            current.rpartition("/")[0]
        taken = set(self.session.index.entries) | set(self.session.staging.changes)
        dialog = NewKeyDialog(parent, existing=taken, parent=self)
        target = (self.session.session_id, self.session.tree_id)

        async def go() -> None:
            try:
                if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
                    return
                if target != (self.session.session_id, self.session.tree_id):
                    raise E.InvalidArgument("the store or tree changed while the New key dialog was open: "
                                            "nothing was staged")
                if not self.flush_editor():
                    self.statusBar().showMessage("Finish or discard the value being edited first", 8000)
                    return
                path = dialog.path()
                self.session.stage_set(path, dialog.value_json(), dialog.metadata_json())
                index = self.model.index_of_path(path)
                if index.isValid():
                    self.tree_view.setCurrentIndex(index)
                    self.tree_view.scrollTo(index)
                if self.editor.path == path:
                    # What is typed next is the new key's value, not the tree's type-ahead.
                    self.editor_dock.show()
                    self.activateWindow()
                    self.editor.focus_value()
            finally:
                dialog.deleteLater()

        self.run(go(), "Adding a key")

    def undo(self) -> None:
        if self.session.staging.undo():
            self.statusBar().showMessage("Undone", 3000)

    def redo(self) -> None:
        if self.session.staging.redo():
            self.statusBar().showMessage("Redone", 3000)

    def _staged(self, paths: frozenset[str]) -> None:
        self.model.on_staged(paths)
        self._update_actions()
        current = self.current_path()
        if current in paths and not self.editor.dirty:
            self._load_editor(current)

    async def discard_all(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        count = len(self.session.staging)
        if not count:
            return
        answer = await ask(self, "Discard", f"Discard all {count} staged edit(s)?", "They are not written anywhere.",
                           QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel)
        if answer == QMessageBox.StandardButton.Discard:
            self.session.discard_staged()

    # --- saving -------------------------------------------------------------------------------
    async def review_and_save(self) -> str | None:
        from PySide6.QtWidgets import QDialog

        s = self.session
        if not self.flush_editor():
            self._show_editor_key()
            self.statusBar().showMessage("The value being edited is not valid: fix it or press Esc first", 8000)
            return None
        if not s.staging:
            self.statusBar().showMessage("Nothing to save", 3000)
            return None
        # A locked store (Lock now, idle, screen lock) refuses writes: unlock it first, as
        # Store > Unlock... does, then review; cancelled, the edits stay staged.
        if s.locked and (self.unlock_to_write is None or not await self.unlock_to_write()):
            self.statusBar().showMessage(f"Nothing saved: the store is locked. Your {len(s.staging)} staged edit(s) "
                                         "are kept; unlock it to save them (Store \u25b8 Unlock\u2026)", 10000)
            return None
        from zhi_gui.ui.review_dialog import ReviewDialog, split_warning_text

        can_message = s.has_feature("WriteValues")
        parts = await s.save_parts()
        dialog = ReviewDialog(s.changes_for_review(), s.tree_id, s.target.name if s.target else "", can_message, self,
                              split_warning=split_warning_text(parts) if parts > 1 else "")
        dialog.message.setText(s.draft_message)
        accepted = await dialog_result(dialog) == QDialog.DialogCode.Accepted
        message = dialog.message.text().strip()
        dialog.deleteLater()
        if not accepted:
            s.draft_message = message  # typed, then cancelled: offered again next time
            return None
        return await self.save(message)

    async def _ask_conflicts(self, conflicts: list[Conflict], *, saving: bool = True) -> list[bool] | None:
        from PySide6.QtWidgets import QDialog

        from zhi_gui.ui.conflict_dialog import ConflictDialog

        dialog = ConflictDialog(conflicts, self, saving=saving)
        try:
            accepted = await dialog_result(dialog) == QDialog.DialogCode.Accepted
            return dialog.keep_mine() if accepted else None
        finally:
            dialog.deleteLater()

    async def save(self, message: str) -> str | None:
        # Shown in the status bar when it takes a while (a big save, a busy store), without Cancel
        cannot_cancel(SAVE_SENT)
        report_progress(f"{len(self.session.staging):,} change(s)")
        outcome = await self.session.save(message, self._ask_conflicts)
        if not outcome.saved:
            self.statusBar().showMessage(f"Nothing saved: {outcome.reason}", 8000)
            self._update_actions()
            return None
        text = f"Saved {outcome.count} change(s)" + (f" as version {outcome.version}" if outcome.version else "")
        self.statusBar().showMessage(text, 10000)
        self._load_editor(self.current_path())
        return outcome.version

    async def confirm_discard(self, doing: str) -> bool:
        from PySide6.QtWidgets import QMessageBox

        count = len(self.session.staging)
        if not count:
            return True
        answer = await ask(self, "Unsaved edits", f"You have {count} staged edit(s) that are not saved.",
                           f"Save them before {doing}?",
                           QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                           | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            return await self.review_and_save() is not None or not self.session.staging
        if answer == QMessageBox.StandardButton.Discard:
            self.session.discard_staged()
            return True
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing_confirmed:
            self._save_layout()
            event.accept()
            return
        event.ignore()  # stop the plugin first (and ask about typed and staged edits), then close

        async def go() -> None:
            if await self.settle_editor("closing") and await self.confirm_discard("closing"):
                await self.shut_down()

        self.run(go(), "Closing", "close")

    async def shut_down(self) -> None:
        """Close without asking (the user was asked): plugin stopped, then the window."""
        self._closing_confirmed = True
        self._change_timer.stop()
        for hook in list(self.close_hooks):
            await hook()
        await self.session.close()
        self.close()
        self.closed.emit()
        self.task_runner.cancel_all()

    def _quit(self) -> None:
        """Quit: every window of the app (asked once per window with edits), else this one."""
        if self.windows is not None:
            self.windows.quit()
        else:
            self.close()

    # --- filter --------------------------------------------------------------------------------
    def _filter_return(self) -> None:
        self.tree_view.setFocus()

    def _filter_down(self) -> None:
        """Down in the filter: into the results, the first match current."""
        wanted = set(self._filter_matches)
        first = self._first_index(lambda index: str(index.data(PATH_ROLE)) in wanted) if wanted else \
            self.model.index(0, 0)
        if first.isValid():
            self.tree_view.scrollTo(first)
            self.tree_view.setCurrentIndex(first)
        self.tree_view.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _first_index(self, accept: Any) -> QModelIndex:
        """The first row (depth first, in the order shown) that ``accept`` takes."""
        todo = [self.model.index(row, 0) for row in reversed(range(self.model.rowCount()))]
        while todo:
            index = todo.pop()
            if accept(index):
                return index
            todo.extend(self.model.index(row, 0, index) for row in reversed(range(self.model.rowCount(index))))
        return QModelIndex()

    def _expanded_paths(self) -> list[str]:
        """The groups expanded on screen, parents first."""
        return self.model.expanded_paths(self.tree_view.isExpanded)

    def _restore_view(self, current: str, selected: list[str], expanded: list[str]) -> None:
        # The first groups (in path order: the top of the tree) open now, the rest a slice per
        # turn: after an expand everything, thousands of groups, each one's rows made anew.
        expanded = sorted(expanded)
        for path in expanded[:RESTORE_AT_ONCE]:
            index = self.model.index_of_path(path)
            if index.isValid():
                self.tree_view.expand(index)
        if len(expanded) > RESTORE_AT_ONCE:
            expand_paths(self.tree_view, expanded[RESTORE_AT_ONCE:], self.model.index_of_path)
        if not current:
            return
        parent = current.rpartition("/")[0]
        while parent:  # the current key stays in sight: its groups are opened
            index = self.model.index_of_path(parent)
            if index.isValid():
                self.tree_view.expand(index)
            parent = parent.rpartition("/")[0]
        index = self.model.index_of_path(current)
        if not index.isValid():
            return
        self._select_quietly(index)  # the same key: the editor keeps what it shows
        selection = self.tree_view.selectionModel()
        for path in selected:
            row = self.model.index_of_path(path)
            if row.isValid():
                selection.select(row, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        self.tree_view.scrollTo(index)

    def focus_filter(self) -> None:
        self.filter_edit.setFocus()
        self.filter_edit.selectAll()

    def focus_editor(self) -> None:
        if self.current_path() and self.session.loaded:
            self.editor_dock.show()
            self.editor.setFocus()

    def _filter_changed(self, text: str, more: bool = False) -> None:
        # Latest wins: each keystroke gets a generation; older results are dropped.
        import asyncio

        self._filter_generation += 1
        generation = self._filter_generation
        index = self.session.index
        query = text.strip()
        self._filter_limit = self._filter_limit + SEARCH_LIMIT if more else SEARCH_LIMIT
        limit = self._filter_limit

        async def go() -> None:
            allow_cancel()  # a search of a big store can take a while; the next keystroke replaces it anyway
            total = 0
            if not query:
                visible, matches = None, None
            else:
                loop = asyncio.get_running_loop()

                def compute() -> tuple[ShownPaths | None, list[str]]:
                    found = index.matching_paths(query)
                    return (None if len(found) == len(index.entries) else index.visible_nodes(found)), found

                if self.session.lazy:  # a big tree: the store searches it (the index holds only what was read)
                    if not more:
                        await asyncio.sleep(LAZY_FILTER_PAUSE)  # typing on: only the last keystroke asks the store
                    if generation != self._filter_generation:
                        return
                    if len(query) < LAZY_FILTER_MIN:
                        self.match_label.setText(f"type {LAZY_FILTER_MIN} or more characters to search "
                                                 f"{self.session.total_values:,} values")
                        self._filter_generation_done = generation
                        return
                    matches, total = await self.session.search(query, limit)
                    visible = index.visible_nodes(matches)
                else:
                    visible, matches = await loop.run_in_executor(None, compute)
                    total = len(matches or [])
            if generation != self._filter_generation or index is not self.session.index:
                return
            self._filter_matches = matches or []
            shown = len(matches) if matches is not None else 0
            self.match_label.setText("" if matches is None else f"{shown:,} match(es)" if total <= shown
                                     else f"{shown:,} of {total:,} matches shown \u00b7 <a href='more'>show "
                                          f"{min(SEARCH_LIMIT, total - shown):,} more</a>")
            self._filter_generation_done = generation
            if visible is None and self.model.visible is None:
                return  # everything shown before and after (a filter matching every key): the view stays
            # The model is reset: keep what the user sees around the current key (its selection
            # and the expanded groups) across it. The expanded groups are walked only when they
            # are opened again: a walk of a big expanded result was most of a keystroke's turn.
            auto_expand = matches is not None and len(matches) <= AUTO_EXPAND_LIMIT
            current = self.current_path()
            selected = self.selected_paths()
            expanded = [] if auto_expand else self._expanded_paths()
            self.model.set_visible(visible)
            if auto_expand:
                self.tree_view.expandAll()
            self._restore_view(current, selected, expanded)

        # Named: typing on cancels the search still running (in a big store it stops there too).
        self.run(go(), "Filtering", "filter")

    # --- controller events -------------------------------------------------------------------
    def _state_changed(self, state: str, detail: str) -> None:
        color = STATE_COLORS.get(state, "#8a94a3")
        self.state_label.setText(f"<span style='color:{color}; font-size:14pt'>\u25cf</span>&nbsp;plugin {state}")
        self.state_label.setToolTip(f"plugin {state}" + (f": {detail}" if detail else ""))
        self.plugin_view.set_state(state, detail)
        staged = len(self.session.staging)
        if state == PluginState.RESTARTING.value:
            self.show_notice(f"The store plugin stopped ({detail}). Reconnecting\u2026 Your {staged} staged "
                             "edit(s) are kept.")
        elif state == PluginState.FAILED.value and not self.session.ever_running:
            # It never started: restarting cannot help, the error box says what can.
            self.show_notice("zhi-gui could not start the store plugin. Open another store (Ctrl+O), or fix "
                             "what the message says and open this one again.")
        elif state == PluginState.FAILED.value:
            self.show_notice(f"The store plugin stopped and could not be restarted ({describe_detail(detail)}). "
                             f"Your {staged} staged edit(s) are kept; see its log in the Plugin panel, then use "
                             "Restart plugin to try again.")
        elif state == PluginState.RUNNING.value and self.banner.text().startswith("The store plugin"):
            self.show_notice("")
            self.statusBar().showMessage("Reconnected to the store plugin", 8000)
            if self.session.tree_id and self.session.loaded:
                self.flush_editor()
                self.run(self.reload_tree(), "Reloading after reconnect", "reload")
        self._update_actions()

    def _trees_changed(self, trees: list[str]) -> None:
        self.trees_list.clear()
        self.trees_list.addItems(trees)
        self._select_tree_item(self.session.tree_id)

    def _select_tree_item(self, tree_id: str) -> None:
        for row in range(self.trees_list.count()):
            if self.trees_list.item(row).text() == tree_id:
                self.trees_list.setCurrentRow(row)
                return

    def _tree_loaded(self, tree_id: str) -> None:
        current = self.current_path()
        target = self._editor_target
        # The same tree read again (reload, reconnect) with text typed that could not be
        # staged: it stays in the editor, bound to its key. Anything else starts afresh
        # (the window's flows staged or asked before another tree or store was loaded).
        keep_typed = target is not None and self.editor.dirty and self.session.accepts(target)
        if not keep_typed:
            self._editor_target = None
            self.editor.clear()
        self.model.set_tree(self.session.index, self.session.staging)
        self._select_tree_item(tree_id)
        if self.filter_edit.text().strip():
            self._filter_changed(self.filter_edit.text())
        if self.model.rowCount() <= 30:
            for row in range(self.model.rowCount()):
                self.tree_view.expand(self.model.index(row, 0))
        if keep_typed and target is not None:
            index = self.model.index_of_path(target.path)
            if index.isValid():
                self._select_quietly(index)
        elif current:
            index = self.model.index_of_path(current)
            if index.isValid():
                self.tree_view.setCurrentIndex(index)
                self._load_editor(current)
        self.setWindowTitle(f"{tree_id} \u2014 {self.store_title()} \u2014 zhi-gui")
        count = self.session.total_values if self.session.lazy else len(self.session.index)
        self.statusBar().showMessage(f"Tree {tree_id}: {count:,} value{'' if count == 1 else 's'}", 8000)
        # A big tree is read as groups open: its index may hold no value yet.
        empty = self.session.total_values == 0 if self.session.lazy else not self.session.index.entries
        if empty and self.session.lists_keys:
            self.show_notice(f"Tree \u201c{tree_id}\u201d is empty. Add a key with New key (Ctrl+N), or use "
                             "File \u25b8 Fill with sample tree to see zhi-gui at work.")
        elif self.banner.text().startswith("Tree \u201c"):
            self.show_notice("")
        self._update_actions()

    def _values_hidden(self) -> None:
        """The store was locked: its values leave the screen (staged edits stay in the session)."""
        self.flush_editor()
        self._editor_target = None
        self.editor.clear()
        self.model.set_tree(self.session.index, self.session.staging)
        self._update_actions()

    def _capabilities_changed(self) -> None:
        caps = self.session.capabilities
        versioning = {Versioning.TREE: ("history", "tree versions"), Versioning.VALUE: ("history-value",
                      "value versions"), Versioning.NONE: ("no-history", "no versions")}[caps.versioning]
        self._caps_label(self.versioning_label, versioning[0], versioning[1])
        description = self.session.description
        if caps.encryption == Encryption.ACTIVE:
            locked = description is not None and description.locked
            self._caps_label(self.encryption_label, "lock-locked" if locked else "lock-closed",
                             "locked" if locked else "encrypted")
        elif caps.encryption == Encryption.SUPPORTED:
            self._caps_label(self.encryption_label, "lock-open", "not encrypted")
        else:
            self._caps_label(self.encryption_label, "no-encryption", "no encryption")
        self._caps_label(self.auth_label, "key", "login") if caps.auth else self.auth_label.clear()
        if description is None:
            self.versioning_label.setToolTip("A plain zhi plugin (no zhi-gui extension service)")

    def _caps_label(self, label: QLabel, icon_name: str, text: str) -> None:
        path = icon_path(icon_name)
        label.setText(f"<img src='{path}' width='16' height='16' style='vertical-align: middle'>&nbsp;{text}")
        label.setToolTip(text)

    def _update_actions(self) -> None:
        session = self._session  # None: not made yet, which is a new session's state (no store)
        staging = session.staging if session is not None else None
        count = len(staging) if staging is not None else 0
        can_undo = staging is not None and staging.can_undo
        can_redo = staging is not None and staging.can_redo
        self.pending_label.setText("No staged edits" if not count else f"{count} staged edit(s)")
        self.save_action.setEnabled(count > 0)
        self.discard_action.setEnabled(count > 0)
        self.undo_action.setEnabled(can_undo)
        self.redo_action.setEnabled(can_redo)
        self.undo_action.setToolTip(f"Undo {staging.undo_label}" if staging is not None and can_undo
                                    else "Nothing to undo")
        self.redo_action.setToolTip(f"Redo {staging.redo_label}" if staging is not None and can_redo
                                    else "Nothing to redo")
        editable = session is not None and session.can_edit
        for action in (self.new_key_action, self.delete_action, self.edit_action):
            action.setEnabled(editable)
        running = session is not None and session.is_open and session.plugin_state == PluginState.RUNNING
        locked = session is not None and session.locked
        for action in (self.sample_action, self.reload_action):
            action.setEnabled(running and not locked)
        self.copying.update()
        self.save_action.setEnabled(count > 0 and running)
        self.new_tree_button.setEnabled(running and not locked)
        self.delete_tree_button.setEnabled(running and not locked)

    # --- remembering ------------------------------------------------------------------------
    def _refresh_recent_menu(self) -> None:
        self.recent_menu.clear()
        stores = self.settings.recent_stores() if self.settings is not None else []
        for identity in stores:
            action = self.recent_menu.addAction(recent_label(identity))
            action.setToolTip(identity.plugin_path)
            action.triggered.connect(lambda _checked=False, i=identity: self._open_recent(i))
        if not stores:
            self.recent_menu.addAction("No recent stores").setEnabled(False)

    def _open_recent(self, identity: S.StoreIdentity) -> None:
        from zhi_gui.session import StoreTarget

        self.run(self.open_store(StoreTarget.of(identity)), "Opening a recent store")

    def finish_layout(self) -> None:
        """Once every panel's dock is in (``app.build_window``): remember this as the
        default layout (View ▸ Reset layout), then restore the user's, checked against
        the screen."""
        self._default_state = self.saveState()
        self._restore_layout()
        self.fit_to_screen()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._shown_once:  # the frame's size is known only now
            self._shown_once = True
            self.fit_to_screen()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            self.firstPainted.emit()

    async def until_painted(self, timeout: float = FIRST_PAINT_WAIT) -> None:
        """Return once the window has painted (at most ``timeout`` seconds: a window that
        is not shown, or shown where nothing paints it, does not hold its caller forever)."""
        import asyncio

        if self.painted:
            return
        painted = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not painted.done():
                painted.set_result(None)

        self.firstPainted.connect(done)
        try:
            await asyncio.wait_for(painted, timeout)
        except TimeoutError:
            log.debug("no paint within %.1f s: going on", timeout)
        finally:
            self.firstPainted.disconnect(done)

    def reset_layout(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.trees_dock, self.editor_dock, self.plugin_dock):
            dock.show()
        self.fit_to_screen()
        self.statusBar().showMessage("Layout reset", 4000)

    def fit_to_screen(self) -> None:
        """Never larger than the screen's free area, and inside it."""
        free = self.screen().availableGeometry()
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        width = min(self.width(), free.width() - extra_w)
        height = min(self.height(), free.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), free.x()), free.right() - frame.width() + 1)
        y = min(max(frame.y(), free.y()), free.bottom() - frame.height() + 1)
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def _restore_layout(self) -> None:
        if self.settings is None:
            return
        geometry = S.decode_bytes(self.settings.get(S.WINDOW_GEOMETRY))
        state = S.decode_bytes(self.settings.get(S.WINDOW_STATE))
        if geometry:
            self.restoreGeometry(geometry)
        if state:
            self.restoreState(state)

    def _save_layout(self) -> None:
        if self.settings is None:
            return
        try:
            with self.settings.batch():
                self.settings.set(S.WINDOW_GEOMETRY, S.encode_bytes(bytes(self.saveGeometry().data())))
                self.settings.set(S.WINDOW_STATE, S.encode_bytes(bytes(self.saveState().data())))
        except S.SettingsError as exc:
            log.warning("window layout not saved: %s", exc)

    def expand_for_screenshot(self) -> None:
        """Show a representative view: groups expanded, a value selected."""
        for row in range(min(self.model.rowCount(), 6)):
            index = self.model.index(row, 0)
            self.tree_view.expand(index)
            for child in range(min(self.model.rowCount(index), 3)):
                self.tree_view.expand(self.model.index(child, 0, index))
        target = self.model.index_of_path("services/api/database/password") or QModelIndex()
        if not target.isValid():
            target = self.model.index(0, 0)
        self.tree_view.setCurrentIndex(target)

    def _context_menu(self, position: Any) -> None:
        menu = QMenu(self)
        for action in (self.edit_action, self.new_key_action, self.delete_action, *self.context_actions):
            menu.addAction(action)
        menu.addSeparator()
        for action in self.copying.actions():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.reload_action)
        menu.popup(self.tree_view.viewport().mapToGlobal(position))

