"""Store > Compare...: any two sides (``zhi_gui.transfer.compare``) in the
History panel's diff view, and "take this side" for the selected key or folder
into this tree's staged edits.

Each side is this tree (saved, or with its staged edits), another tree of this
store, a tree of another store (chosen with the Open store dialog, its plugin
started for this comparison only and stopped when the dialog closes; it logs
in and unlocks as the window's store does: keyring first, then a dialog), a
version of this tree, or a file in any transfer format. Secrets stay masked
in the diff unless "Reveal secrets" is ticked. A take goes to the tree the
comparison was opened for, as one undoable step; it never writes: the user
reviews and saves the staged edits as any other.
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.errors import ZhiError
from zhi_gui.core.model import Versioning
from zhi_gui.core.user_errors import describe
from zhi_gui.session import StoreSession, StoreTarget
from zhi_gui.transfer.compare import (
    KIND_NAMES,
    Comparison,
    OpenCancelled,
    Side,
    SideKind,
    SideSpec,
    StoreGate,
)
from zhi_gui.ui.busy import allow_cancel, report_progress
from zhi_gui.ui.history.diff_view import DiffView, Snapshot
from zhi_gui.ui.security.other_store import other_store_security
from zhi_gui.ui.store_chooser import StoreChooser

if TYPE_CHECKING:
    from collections.abc import Callable

    from zhi_gui.ui.window_api import WindowApi

VERSIONS_LISTED = 200  # newest versions offered in the version list
_PAGES = (SideKind.HEAD, SideKind.STAGED, SideKind.TREE, SideKind.STORE, SideKind.VERSION, SideKind.FILE)


class SidePicker(QWidget):
    """What one side of the comparison is."""

    def __init__(self, which: str, window: WindowApi, kind: SideKind, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.which, self.api = which, window
        self.kind = QComboBox()
        self.kind.setObjectName(f"compare-{which}-kind")
        for k in _PAGES:
            self.kind.addItem(KIND_NAMES[k], k)
        self.pages = QStackedWidget()
        self.pages.addWidget(QLabel(""))  # head
        self.pages.addWidget(QLabel(""))  # staged
        self.tree = QComboBox()
        self.tree.setObjectName(f"compare-{which}-tree")
        self.pages.addWidget(self.tree)
        store_page = QWidget()
        settings = window.settings
        self.chooser = StoreChooser(f"compare-{which}", window.run,
                                    lambda: settings.recent_stores() if settings is not None else [],
                                    "Compare with store")
        self.chooser.chosen.connect(self._store_chosen)
        self.store_tree = QLineEdit()
        self.store_tree.setObjectName(f"compare-{which}-store-tree")
        self.store_tree.setPlaceholderText("tree (empty: the tree the store opens with)")
        row = QHBoxLayout(store_page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.chooser, 2)
        row.addWidget(self.store_tree, 1)
        self.pages.addWidget(store_page)
        self.version = QComboBox()
        self.version.setObjectName(f"compare-{which}-version")
        self.pages.addWidget(self.version)
        file_page = QWidget()
        self.file = QLineEdit()
        self.file.setObjectName(f"compare-{which}-file")
        self.file.setPlaceholderText("a .zhi.json, .json, .yaml, .toml, .env or .properties file")
        browse = QPushButton("Choose file\u2026")
        browse.clicked.connect(self._browse)
        self.prefix = QLineEdit()
        self.prefix.setObjectName(f"compare-{which}-prefix")
        self.prefix.setPlaceholderText("under subtree (optional)")
        row = QHBoxLayout(file_page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.file, 2)
        row.addWidget(browse)
        row.addWidget(self.prefix, 1)
        self.pages.addWidget(file_page)
        self.kind.currentIndexChanged.connect(self._kind_changed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.kind)
        layout.addWidget(self.pages, 1)
        self.set_kind(kind)

    def set_kind(self, kind: SideKind) -> None:
        self.kind.setCurrentIndex(_PAGES.index(kind))
        self._kind_changed()

    def current_kind(self) -> SideKind:
        return SideKind(self.kind.currentData())

    def _kind_changed(self, _index: int = 0) -> None:
        kind = self.current_kind()
        self.pages.setCurrentIndex(_PAGES.index(kind))
        session = self.api.session
        if kind is SideKind.TREE and self.tree.count() == 0:
            others = [t for t in session.trees if t != session.tree_id]
            self.tree.addItems(others or session.trees)
        if kind is SideKind.VERSION and self.version.count() == 0:
            self.api.run(self._fill_versions(), "Listing versions", f"compare-{self.which}-versions")

    async def _fill_versions(self) -> None:
        panel = self.api.history_panel
        session = self.api.session
        if session.capabilities.versioning != Versioning.TREE or panel is None:
            self.version.addItem("(this store keeps no tree versions)", "")
            return
        rows, _total = await panel.access.tree_pager().page(0, VERSIONS_LISTED)
        for row in rows:
            info = row.info
            text = row.id if info is None else f"{row.id[:16]}  {info.message or ''}".rstrip()
            self.version.addItem(text, row.id)

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Compare with file", str(Path.home()))
        if name:
            self.file.setText(name)

    @property
    def store_target(self) -> StoreTarget | None:
        return self.chooser.target

    def _store_chosen(self) -> None:
        target = self.chooser.target
        if target is not None and target.tree_id:
            self.store_tree.setText(target.tree_id)

    def spec(self) -> SideSpec:
        kind = self.current_kind()
        if kind is SideKind.TREE:
            return SideSpec(kind, tree_id=self.tree.currentText())
        if kind is SideKind.STORE:
            return SideSpec(kind, tree_id=self.store_tree.text().strip(), store=self.store_target)
        if kind is SideKind.VERSION:
            return SideSpec(kind, version=str(self.version.currentData() or ""))
        if kind is SideKind.FILE:
            text = self.file.text().strip()
            return SideSpec(kind, file=Path(text).expanduser() if text else None, prefix=self.prefix.text().strip())
        return SideSpec(kind)


COMPARE, STOP = "Compare", "Stop"


class CompareDialog(QDialog):
    def __init__(self, window: WindowApi) -> None:
        super().__init__(window.main_window())
        self.setObjectName("compare-dialog")
        self.window_api = window
        session = window.session
        self.setWindowTitle(f"Compare \u2014 into tree {session.tree_id}")
        self.resize(1100, 680)
        self.sides: tuple[Side, Side] | None = None
        self.left = SidePicker("left", window, SideKind.HEAD)
        self.right = SidePicker("right", window, SideKind.STAGED if session.staging else SideKind.TREE)
        self.comparison = Comparison(session, getattr(window.history_panel, "access", None), self._gate)
        self.compare_button = QPushButton(COMPARE)
        self.compare_button.setObjectName("compare-run")
        self.compare_button.setDefault(True)
        self.compare_button.clicked.connect(self._compare_or_stop)
        self.diff_view = DiffView(self, run=window.run)
        self.diff_view.show_message("Choose the two sides, then Compare.")
        self.take_left = QPushButton("Take left")
        self.take_left.setObjectName("compare-take-left")
        self.take_left.clicked.connect(lambda: self.take(0))
        self.take_right = QPushButton("Take right")
        self.take_right.setObjectName("compare-take-right")
        self.take_right.clicked.connect(lambda: self.take(1))
        for button in (self.take_left, self.take_right):
            button.setToolTip(f"Stage this side's value of the selected key (a folder: everything below it) "
                              f"into tree \u201c{session.tree_id}\u201d")
            button.setEnabled(False)
        self.status = QLabel()
        self.status.setObjectName("compare-status")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Comparison status")
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Left:", self.left)
        form.addRow("Right:", self.right)
        takes = QHBoxLayout()
        takes.addWidget(self.take_left)
        takes.addWidget(self.take_right)
        takes.addWidget(self.status, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        top.addWidget(self.compare_button, 0, Qt.AlignmentFlag.AlignBottom)
        layout.addLayout(top)
        layout.addWidget(self.diff_view, 1)
        layout.addLayout(takes)
        layout.addWidget(buttons)
        self._comparing: asyncio.Task[None] | None = None
        self.finished.connect(self._closed)
        window.close_hooks.append(self.close_comparison)

    def _closed(self, _code: int) -> None:
        # A comparison still reading or drawing would write into this dialog's deleted widgets.
        if self._comparing is not None:
            self._comparing.cancel()
        self.diff_view.show_message("")  # and so would its value diff still being computed
        self.window_api.run(self.close_comparison(), "Closing the comparison", "")

    def _gate(self, other: StoreSession, target: StoreTarget) -> StoreGate | None:
        """Another store logs in / unlocks as the window's store does (keyring first, then a
        dialog on this one), with the login typed into its Open store form if any."""
        login = self.left.chooser.take_login(target) or self.right.chooser.take_login(target)
        return other_store_security(self.window_api, other, self, login)

    def say(self, text: str, *, problem: bool = False) -> None:
        self.status.setText(f"<span style='color:#b3261e'>{html.escape(text)}</span>" if problem
                            else html.escape(text))

    def refresh(self) -> None:
        self._comparing = self.window_api.run(self.compare(), "Comparing", "compare")

    def _reading(self) -> bool:
        return self._comparing is not None and not self._comparing.done() and self.compare_button.text() == STOP

    def _compare_or_stop(self) -> None:
        """Compare; while the sides are read and compared (a big tree: seconds), the button stops it."""
        if self._reading():
            assert self._comparing is not None
            self._comparing.cancel()
            self.compare_button.setText(COMPARE)
            self.sides = None
            self.take_left.setText("Take left")
            self.take_right.setText("Take right")
            self.diff_view.show_message("Choose the two sides, then Compare.")
            self.say("Stopped: nothing was compared. Compare again to read both sides.")
            return
        self.refresh()

    async def compare(self) -> None:
        keep = self.diff_view.selected_path() or None
        self.take_left.setEnabled(False)
        self.take_right.setEnabled(False)
        allow_cancel()  # reading the sides changes nothing
        this = asyncio.current_task()
        read = [(0, 0), (0, 0)]

        def reading(side: int) -> Callable[[int, int], None]:
            def progress(done: int, total: int) -> None:
                read[side] = (done, total)
                text = " \u00b7 ".join(f"{name} {done:,}{f' of {total:,}' if total else ''} values"
                                        for name, (done, total) in zip(("left", "right"), read, strict=True))
                report_progress(text, this)  # called in the task gather runs a side in
                self.say(f"Reading both sides: {text}\u2026")
            return progress

        self.say("Reading both sides\u2026")
        self.compare_button.setText(STOP)
        if self.diff_view.only_changes.isChecked() and await self._compare_in_store(keep, reading(0), reading(1)):
            return
        try:
            left, right = await asyncio.gather(self.comparison.load(self.left.spec(), reading(0)),
                                               self.comparison.load(self.right.spec(), reading(1)))
        except OpenCancelled as exc:  # the user's own choice: said, not an error
            self._ended(f"{exc}. Compare again to be asked again.")
            return
        except ZhiError as exc:  # shown here: the user can pick another side
            self._ended(describe(exc), problem=True)
            return
        comparing = f"Comparing {len(left.entries):,} with {len(right.entries):,} values"
        report_progress(comparing.lower())
        self.say(comparing + "\u2026")
        self._set_sides(left, right)
        diff = await self.diff_view.show_diff(left.entries, right.entries, left.label, right.label, select=keep)
        if diff is not None:  # (None: a newer comparison took over)
            self._compared("")

    def _set_sides(self, left: Side, right: Side) -> None:
        self.sides = (left, right)
        self.take_left.setText(f"Take left: {left.label}")
        self.take_right.setText(f"Take right: {right.label}")

    def _ended(self, text: str, *, problem: bool = False) -> None:
        self.compare_button.setText(COMPARE)
        self.say(text, problem=problem)

    def _compared(self, how: str) -> None:
        self._ended(f"{how}Select a key or a folder, then take the side it should be in this tree.")
        can_edit = self.window_api.session.can_edit
        self.take_left.setEnabled(can_edit)
        self.take_right.setEnabled(can_edit)

    async def _compare_in_store(self, keep: str | None, left_read: Callable[[int, int], None],
                                right_read: Callable[[int, int], None]) -> bool:
        """A big tree (read lazily) and "Only changes": two of its versions (the saved one,
        older ones) are compared by the store, and only the changes travel (1M values:
        seconds); the saved tree and its staged edits differ by those edits (nothing is
        read); two trees of stores (another tree, another store's) are walked side by side
        as they stream, and only what differs is kept (1M values: ~15 s, tens of MB).
        Read whole, two such sides took ~30 s and ~800 MB. False when neither applies (then
        both are read whole)."""
        specs = self.left.spec(), self.right.spec()

        def progress(done: int, _total: int) -> None:
            text = f"{done:,} changed value(s)"
            report_progress(text)
            self.say(f"Comparing in the store: {text}\u2026")

        how = "Compared in the store. "
        try:
            found = await self.comparison.versions_diff(*specs, progress)
            if found is None:
                how = ""
                found = await self.comparison.staged_diff(*specs)
            if found is None:
                found = await self.comparison.streamed_diff(*specs, left_read, right_read)
        except OpenCancelled as exc:  # the user's own choice: said, not an error
            self._ended(f"{exc}. Compare again to be asked again.")
            return True
        except ZhiError as exc:
            self._ended(describe(exc), problem=True)
            return True
        if found is None:
            return False
        left, right, diff = found
        self._set_sides(left, right)

        async def whole() -> tuple[Snapshot, Snapshot]:  # "Only changes" off: every value listed
            sides = await asyncio.gather(*(self.comparison.load(spec) for spec in specs))
            return sides[0].entries, sides[1].entries

        if await self.diff_view.show_tree_diff(diff, left.label, right.label, select=keep, full=whole) is not None:
            self._compared(how)
        return True

    def take(self, which: int) -> None:
        if self.sides is None:
            return
        node = self.diff_view.model.node_at(self.diff_view.tree.currentIndex())
        if node is None:
            self.say("Select a key or a folder first.", problem=True)
            return
        self.window_api.run(self._take(self.sides[which], node.path, node.has_children), "Taking values")

    async def _take(self, side: Side, path: str, subtree: bool) -> None:
        try:
            side = await self.comparison.scope(side, path, subtree=subtree)  # compared in the store: read now
            await self.comparison.read_scope(path, subtree=subtree)  # a big tree: what is not read yet
            plan = self.comparison.take(side, path, subtree=subtree)
        except ZhiError as exc:
            self.say(describe(exc), problem=True)
            return
        what = f"{path} and below" if subtree else path
        self.say(f"{what} from {side.label}: {plan.summary()} (staged; review and save as usual).")
        if self.sides is not None and any(s.spec.kind is SideKind.STAGED for s in self.sides):
            self.refresh()  # that side just changed

    async def close_comparison(self) -> None:
        """Stop the plugins of other stores this comparison started."""
        if self.close_comparison in self.window_api.close_hooks:
            self.window_api.close_hooks.remove(self.close_comparison)
        await self.comparison.close()
