"""The value editor panel: one value, its labels, and an explicit Stage action.

The main window loads an entry with ``load`` and listens to ``staged``: nothing is
written here. The editor picks a sub-editor from the value's JSON type and its
labels (``zhi_gui.core.labels``), checks the value before staging, and keeps the
bytes it was given wherever the user changed nothing (an untouched value or
label set is staged byte for byte as it was loaded).
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.entries import Entry
from zhi_gui.core.errors import InvalidArgument
from zhi_gui.core.jsonvalues import decode_value, encode_metadata, encode_value
from zhi_gui.core.labels import EditorKind, EditorSpec, LabelSet, canonical_json, editor_spec, same_json, value_problem
from zhi_gui.ui.editors.base import (
    BANNER_STYLE,
    NOTE_STYLE,
    PROBLEM_STYLE,
    ElidedLabel,
    SubEditor,
    mono_font,
    wrapped_label,
)
from zhi_gui.ui.editors.convert import TYPE_NAMES, Conversion, convert, json_type_of
from zhi_gui.ui.editors.metadata import MetadataEditor

# The editors of each kind (scalar, secret, tables, text) load with the first value shown:
# the window paints its empty editor without them (issue 14, cold start).

QWIDGETSIZE_MAX = (1 << 24) - 1
WRITEONLY_LABELS_ONLY = (
    "a write-only value cannot be staged without replacing it: the store never returned it,"
    " so saving the labels alone would overwrite the value with null"
)


def make_sub_editor(kind: EditorKind, spec: EditorSpec, parent: QWidget | None = None) -> SubEditor:
    from zhi_gui.ui.editors.scalar import (
        BoolEditor,
        EnumEditor,
        FloatEditor,
        IntEditor,
        LineEditor,
        MultilineEditor,
        NullEditor,
    )
    from zhi_gui.ui.editors.secret import PasswordEditor, WriteOnlyEditor
    from zhi_gui.ui.editors.tables import ListEditor, MapEditor
    from zhi_gui.ui.editors.text import SyntaxTextEditor

    if spec.writeonly:
        return WriteOnlyEditor(spec, parent)
    simple: dict[EditorKind, type[SubEditor]] = {
        EditorKind.STRING: LineEditor,
        EditorKind.MULTILINE: MultilineEditor,
        EditorKind.INT: IntEditor,
        EditorKind.FLOAT: FloatEditor,
        EditorKind.BOOL: BoolEditor,
        EditorKind.NULL: NullEditor,
        EditorKind.ENUM: EnumEditor,
        EditorKind.LIST: ListEditor,
        EditorKind.MAP: MapEditor,
        EditorKind.PASSWORD: PasswordEditor,
    }
    if kind in simple:
        return simple[kind](spec, parent)
    if kind is EditorKind.YAML_TEXT:
        return SyntaxTextEditor(spec, "yaml", holds_text=True, parent=parent)
    return SyntaxTextEditor(spec, "json", holds_text=kind is EditorKind.JSON_TEXT, parent=parent)


class ValueEditor(QWidget):
    """Edits one value and its labels; ``staged`` is emitted by Stage (button, Ctrl+Enter) only when valid.

    Signals:
      staged(path, value_json, metadata_json)
      validityChanged(valid, problem)  -- problem is "" when valid
      dirtyChanged(dirty)
    """

    staged = Signal(str, bytes, bytes)
    validityChanged = Signal(bool, str)
    dirtyChanged = Signal(bool)
    finished = Signal()  # the user staged (button, Enter, Ctrl+Enter) or let go (Esc): focus may leave

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("valueEditor")
        self._path = ""
        self._entry: Entry | None = None
        self._is_new = False
        self._store_read_only = False
        self._loaded_value: Any = None
        self._value_error: str | None = None
        self._loaded_labels = LabelSet()
        self._good_labels = LabelSet()
        self._metadata_error: str | None = None
        self._spec = editor_spec(None, {})
        self._forced_kind: EditorKind | None = None
        self._sub: SubEditor | None = None
        self._pending_type: tuple[str, Conversion] | None = None
        self._valid = True
        self._message = ""
        self._dirty = False
        self._value_changed = False
        self._labels_changed = False
        self._build_ui()
        self.clear()

    # --- construction ---------------------------------------------------------

    def _build_ui(self) -> None:
        self.pages = QStackedWidget()
        self.empty_label = QLabel("Select a value to edit it.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setObjectName("emptyLabel")
        self.pages.addWidget(self.empty_label)
        page = QWidget()
        self.pages.addWidget(page)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.pages)

        self.title = QLabel()
        self.title.setObjectName("titleLabel")
        title_font = QFont(self.title.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title.setFont(title_font)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.path_label = ElidedLabel()
        self.path_label.setObjectName("pathLabel")
        self.path_label.setFont(mono_font())
        self.path_label.setTextFormat(Qt.TextFormat.PlainText)
        self.path_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path_label.setStyleSheet(NOTE_STYLE)
        self.type_combo = QComboBox()
        self.type_combo.setObjectName("typeCombo")
        self.type_combo.setAccessibleName("Value type")
        self.type_combo.setToolTip("Change the JSON type of the value")
        for type_id, name in TYPE_NAMES.items():
            self.type_combo.addItem(name, type_id)
        self.type_combo.activated.connect(self._type_chosen)
        type_label = QLabel("&Type")
        type_label.setBuddy(self.type_combo)
        header = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(0)
        titles.addWidget(self.title)
        titles.addWidget(self.path_label)
        header.addLayout(titles, 1)
        header.addWidget(type_label)
        header.addWidget(self.type_combo)

        self.description = wrapped_label(style=NOTE_STYLE, object_name="descriptionLabel")
        self.banner = wrapped_label(style=BANNER_STYLE, object_name="bannerLabel")
        self.notes = wrapped_label(style="color: #b26a00;", object_name="notesLabel")

        self.confirm_bar = QFrame()
        self.confirm_bar.setObjectName("typeConfirmBar")
        self.confirm_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.confirm_text = wrapped_label(object_name="typeConfirmText")
        self.confirm_button = QPushButton("Change type")
        self.confirm_button.setObjectName("confirmTypeButton")
        self.confirm_button.clicked.connect(self._confirm_type)
        self.cancel_type_button = QPushButton("Keep it")
        self.cancel_type_button.setObjectName("cancelTypeButton")
        self.cancel_type_button.clicked.connect(self._cancel_type)
        confirm_layout = QHBoxLayout(self.confirm_bar)
        confirm_layout.addWidget(self.confirm_text, 1)
        confirm_layout.addWidget(self.confirm_button)
        confirm_layout.addWidget(self.cancel_type_button)
        self.confirm_bar.setVisible(False)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            # Push buttons outside a dialog ignore Enter; in this bar Enter means "yes".
            confirm = QShortcut(QKeySequence(key), self.confirm_bar)
            confirm.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            confirm.activated.connect(self._confirm_or_cancel)

        self.editor_host = QWidget()
        self.editor_host.setObjectName("editorHost")
        self.editor_layout = QVBoxLayout(self.editor_host)
        self.editor_layout.setContentsMargins(0, 0, 0, 0)
        self.problem_label = wrapped_label(style=PROBLEM_STYLE, object_name="problemLabel")
        self.problem_label.setVisible(False)
        value_box = QWidget()
        value_layout = QVBoxLayout(value_box)
        value_layout.setContentsMargins(0, 0, 0, 0)
        value_layout.addWidget(self.editor_host, 1)
        value_layout.addWidget(self.problem_label)  # right under the field it is about
        value_layout.addStretch(0)
        self.value_layout = value_layout

        self.metadata = MetadataEditor()
        self.metadata.setObjectName("metadataEditor")
        self.metadata.changed.connect(self._labels_edited)
        self.metadata.toggle.toggled.connect(self._labels_toggled)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(value_box)
        self.splitter.addWidget(self.metadata)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self._labels_toggled(False)

        self.revert_button = QPushButton("Revert")
        self.revert_button.setObjectName("revertButton")
        self.revert_button.setToolTip("Undo the changes in this editor (Esc)")
        self.revert_button.clicked.connect(self.revert)
        self.stage_button = QPushButton("Stage")
        self.stage_button.setObjectName("stageButton")
        self.stage_button.setToolTip("Stage this change; nothing is written until you save (Ctrl+Enter)")
        self.stage_button.clicked.connect(self._stage_by_user)
        self.state_label = QLabel()
        self.state_label.setObjectName("stateLabel")
        self.state_label.setStyleSheet(NOTE_STYLE)
        buttons = QHBoxLayout()
        buttons.addWidget(self.state_label, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.stage_button)

        layout = QVBoxLayout(page)
        layout.addLayout(header)
        layout.addWidget(self.description)
        layout.addWidget(self.banner)
        layout.addWidget(self.notes)
        layout.addWidget(self.confirm_bar)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)

        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            stage = QShortcut(QKeySequence(keys), self)
            stage.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            stage.activated.connect(self._stage_by_user)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self._escape)

    # --- public API -------------------------------------------------------------

    def load(
        self, path: str, entry: Entry | None, read_only_store: bool = False, *, is_new: bool | None = None
    ) -> None:
        """Show ``entry`` for editing. ``entry`` None (or ``is_new``) is a key not in the store
        yet: staging creates it, so it can be staged without a change."""
        self._path = path
        self._entry = entry
        self._is_new = entry is None if is_new is None else is_new
        self._store_read_only = read_only_store
        self._pending_type = None
        self.confirm_bar.setVisible(False)
        self._forced_kind = None
        value_json = entry.value_json if entry is not None else b"null"
        metadata_json = entry.metadata_json if entry is not None else b""
        try:
            self._loaded_value = decode_value(value_json)
            self._value_error = None
        except InvalidArgument as exc:
            self._loaded_value = None
            self._value_error = exc.message
        try:
            self._loaded_labels = LabelSet.from_json(metadata_json)
            self._metadata_error = None
        except InvalidArgument as exc:
            self._loaded_labels = LabelSet()
            self._metadata_error = exc.message
        had_focus = self._has_focus()
        self._good_labels = self._loaded_labels
        self.metadata.load(self._loaded_labels)
        self.metadata.set_read_only(read_only_store or self._metadata_error is not None)
        if self._value_error is not None:
            self._forced_kind = EditorKind.RAW_JSON
            self._install(None, edited=False)
            from zhi_gui.ui.editors.text import SyntaxTextEditor

            if isinstance(self._sub, SyntaxTextEditor):
                self._sub.set_raw_text(value_json.decode("utf-8", errors="replace"))
        else:
            self._install(self._loaded_value, edited=False)
        self.pages.setCurrentIndex(1)
        self._refresh()
        if had_focus:
            self.focus_value()

    def clear(self) -> None:
        """Nothing selected: an empty panel."""
        self._path = ""
        self._entry = None
        self._is_new = False
        self._pending_type = None
        self.setFocusProxy(None)  # type: ignore[arg-type]  # Qt takes nullptr: no proxy
        self._remove_sub()
        self.pages.setCurrentIndex(0)
        self._set_state(valid=True, message="", dirty=False)

    def revert(self) -> None:
        """Back to what was loaded (or last staged)."""
        if self.pages.currentIndex() == 0:
            return
        self.load(self._path, self._entry, self._store_read_only, is_new=self._is_new)

    def stage(self) -> bool:
        """Emit ``staged`` if the value and labels are valid and differ from what was loaded
        (or the key is new). The staged state becomes the new baseline for ``revert``."""
        if self.pages.currentIndex() == 0 or self._sub is None:
            return False
        self._cancel_type()
        self._commit_open_cell()
        self._refresh()
        if not self.can_stage():
            if not self._valid:
                self.focus_value()
            return False
        value_json = self.current_value_json()
        metadata_json = self.current_metadata_json()
        version = self._entry.version if self._entry is not None else ""
        path = self._path
        self.staged.emit(path, value_json, metadata_json)
        if self._path == path and self.pages.currentIndex() == 1:  # a slot may have loaded something else
            self.load(path, Entry(path, value_json, metadata_json, version), self._store_read_only, is_new=False)
        return True

    def _commit_open_cell(self) -> None:
        """Ctrl+Enter while typing in a table cell stages what was typed: commit it first
        (the delegate would only commit it later, from the event queue)."""
        focus = QApplication.focusWidget()
        if focus is None or not self.isAncestorOf(focus):
            return
        for view in self.findChildren(QAbstractItemView):
            if view.state() == QAbstractItemView.State.EditingState and view.isAncestorOf(focus):
                view.commitData(focus)
                view.closeEditor(focus, QAbstractItemDelegate.EndEditHint.NoHint)
                return

    def can_stage(self) -> bool:
        return (
            self._sub is not None
            and self.pages.currentIndex() == 1
            and self._valid
            and self._dirty
            and not self._store_read_only
        )

    @property
    def dirty(self) -> bool:
        """True when the editor holds changes that were not staged (or the key is new)."""
        return self._dirty

    @property
    def valid(self) -> bool:
        return self._valid

    @property
    def problem(self) -> str:
        """Why the current state cannot be staged ("" when it can)."""
        return self._message

    @property
    def path(self) -> str:
        return self._path

    @property
    def spec(self) -> EditorSpec:
        return self._spec

    @property
    def sub_editor(self) -> SubEditor | None:
        return self._sub

    def value(self) -> Any:
        """The current value (decoded JSON); meaningful only when ``valid``."""
        return self._sub.value() if self._sub is not None else None

    def current_value_json(self) -> bytes:
        if not self._value_changed and self._entry is not None and self._value_error is None:
            return self._entry.value_json or b"null"
        return encode_value(self.value())

    def current_metadata_json(self) -> bytes:
        if not self._labels_changed:
            return self._entry.metadata_json if self._entry is not None else b""
        return encode_metadata(self.metadata.labels().to_metadata())

    def set_type(self, type_id: str) -> None:
        """Ask to change the value's JSON type (a key of ``TYPE_NAMES``); a confirmation bar says what is lost."""
        index = self.type_combo.findData(type_id)
        if index >= 0:
            self.type_combo.setCurrentIndex(index)
            self._type_chosen(index)

    def focus_value(self) -> None:
        if self._sub is not None:
            self._sub.focus_target().setFocus(Qt.FocusReason.OtherFocusReason)

    # --- sub-editor ---------------------------------------------------------------

    def _current_labels(self) -> LabelSet:
        """The labels that decide the editor: the table's, or the last good ones while a row needs a fix."""
        if self._metadata_error is None and self.metadata.problem() is None:
            self._good_labels = self.metadata.labels()
        return self._good_labels

    def _remove_sub(self) -> None:
        if self._sub is not None:
            self._sub.hide()
            self.editor_layout.removeWidget(self._sub)
            self._sub.deleteLater()
            self._sub = None

    def _install(self, value: Any, *, edited: bool) -> None:
        labels = self._current_labels()
        spec = editor_spec(value, labels)
        kind = self._forced_kind or spec.kind
        self._spec = spec
        self._remove_sub()
        sub = make_sub_editor(kind, spec, self.editor_host)
        sub.setObjectName(f"{kind.value}Editor")
        sub.set_value(value, edited=edited)
        sub.set_read_only(self._store_read_only or spec.readonly)
        sub.changed.connect(self._refresh)
        from zhi_gui.ui.editors.scalar import NullEditor

        if isinstance(sub, NullEditor):
            sub.typeRequested.connect(self._set_type_from_null)
        self.editor_layout.addWidget(sub)
        self.value_layout.setStretch(0, 1 if sub.expanding else 0)
        self.value_layout.setStretch(2, 0 if sub.expanding else 1)
        sub.show()
        self._sub = sub
        # The window's "edit value" (editor.setFocus()) lands in the value field.
        self.setFocusProxy(sub.focus_target())
        self._update_header()
        self._update_tab_order()
        self._settle_layout()

    def _settle_layout(self) -> None:
        """Lay the new editor out now rather than on the next event-loop pass, so a
        click or a grab right after ``load`` finds every field where it is drawn."""
        for layout in (self.editor_layout, self.value_layout, self.layout()):
            if layout is not None:
                layout.activate()

    def _update_tab_order(self) -> None:
        if self._sub is None:
            return
        chain: list[QWidget] = [
            self.type_combo,
            self.confirm_button,
            self.cancel_type_button,
            *self._sub.tab_widgets(),
            *self.metadata.tab_widgets(),
            self.revert_button,
            self.stage_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _update_header(self) -> None:
        spec = self._spec
        if self._sub is not None:  # a screen reader says which key the field edits
            self._sub.focus_target().setAccessibleDescription(f"The value of {self._path}")
        segment = self._path.rpartition("/")[2]
        self.title.setText(spec.display_name or segment or self._path)
        version = self._entry.version if self._entry is not None and self._entry.version else ""
        self.path_label.setText(self._path + (f"  \u00b7  version {version}" if version else ""))
        details = []
        if spec.description:
            details.append(spec.description)
        if spec.unit and self._forced_kind is None and spec.kind not in (EditorKind.INT, EditorKind.FLOAT):
            details.append(f"Unit: {spec.unit}")
        if spec.example and not spec.secret:
            details.append(f"Example: {spec.example}")
        if spec.core_type:
            details.append(f"Type: {spec.core_type}")
        if spec.pattern:
            details.append(f"Must match: {spec.pattern}")
        if spec.required:
            details.append("Required")
        self.description.setText(
            "\n".join(details[:1]) + ("\n" if len(details) > 1 else "") + "  \u00b7  ".join(details[1:])
        )
        self.description.setVisible(bool(details))

        banner = []
        if self._store_read_only:
            banner.append("Locked: the store is open read-only, so nothing can be changed here.")
        elif spec.readonly:
            banner.append(f"Locked: {spec.lock_reason}. To change it anyway, remove that label under Labels below.")
        if self._is_new:
            banner.append("New key: it is created when you stage it and save.")
        if spec.deprecated:
            banner.append(f"Deprecated: {spec.deprecated}")
        if self._value_error:
            banner.append(
                f"The stored value is not valid JSON ({self._value_error}). It is shown as text: fix it to stage it."
            )
        if self._metadata_error:
            banner.append(
                f"The stored labels are not valid JSON ({self._metadata_error}); they are kept as they are"
                " and cannot be edited here."
            )
        self.banner.setText("\n".join(banner))
        self.banner.setVisible(bool(banner))
        self.notes.setText("\n".join(f"Note: {note}" for note in spec.notes))
        self.notes.setVisible(bool(spec.notes))

        type_id = "json" if self._forced_kind is EditorKind.RAW_JSON else json_type_of(self._sub_value_or_loaded())
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(type_id), 0))
        self.type_combo.setEnabled(not (self._store_read_only or spec.readonly or spec.writeonly))

    def _sub_value_or_loaded(self) -> Any:
        if self._sub is None or self._sub.problem() is not None:
            return self._loaded_value
        return self._sub.value()

    # --- reacting to edits -----------------------------------------------------------

    def _labels_edited(self) -> None:
        """Labels decide the editor: rebuild it when they change what it should be."""
        if (
            self._sub is not None
            and self._sub.problem() is None
            and self._metadata_error is None
            and self.metadata.problem() is None
        ):
            value = self._sub.value()
            new_spec = editor_spec(value, self._current_labels())
            if new_spec != self._spec:
                had_focus = self._sub.isAncestorOf(self.focusWidget()) if self.focusWidget() else False
                self._install(value, edited=self._sub.edited)
                if had_focus:
                    self.focus_value()
        self._refresh()

    def _labels_toggled(self, expanded: bool) -> None:
        # Collapsed, the labels section is just its header; open, it takes up to 40 % of the space.
        if expanded:
            self.metadata.setMaximumHeight(QWIDGETSIZE_MAX)
            total = sum(self.splitter.sizes())
            if total >= 300:  # not laid out yet: the stretch factors decide
                labels = max(min(total * 2 // 5, 260), 140)
                self.splitter.setSizes([total - labels, labels])
        else:
            self.metadata.setMaximumHeight(self.metadata.toggle.sizeHint().height())

    def _refresh(self) -> None:
        if self._sub is None or self.pages.currentIndex() == 0:
            return
        sub = self._sub
        spec = self._spec
        labels_problem = self.metadata.problem()
        sub_problem = sub.problem()
        value = sub.value()
        locked = self._store_read_only or spec.readonly
        if self._value_error is not None:
            self._value_changed = True
        else:
            self._value_changed = sub.edited and (sub_problem is not None or not same_json(value, self._loaded_value))
        if labels_problem is None and self._metadata_error is None:
            self._labels_changed = canonical_json(self.metadata.labels().to_metadata()) != canonical_json(
                self._loaded_labels.to_metadata()
            )
        else:
            self._labels_changed = labels_problem is not None
        problem: str | None = None
        if labels_problem:
            problem = f"Labels: {labels_problem}"
        elif sub_problem:
            problem = sub_problem
        elif spec.writeonly and not self._value_changed:
            if self._labels_changed:
                problem = WRITEONLY_LABELS_ONLY
        elif not (locked and not self._value_changed):
            problem = value_problem(value, spec)
        dirty = self._is_new or self._value_changed or self._labels_changed
        self._set_state(valid=problem is None, message=problem or "", dirty=dirty)

    def _set_state(self, *, valid: bool, message: str, dirty: bool) -> None:
        self.problem_label.setText(message)
        self.problem_label.setVisible(bool(message))
        self.stage_button.setEnabled(valid and dirty and not self._store_read_only and self._sub is not None)
        self.revert_button.setEnabled(
            self._sub is not None and (self._value_changed or self._labels_changed or self._forced_kind is not None)
        )
        if not valid:
            self.state_label.setText("Cannot stage yet")
        elif dirty:
            self.state_label.setText("Changed: Ctrl+Enter stages")
        else:
            self.state_label.setText("No changes" if self._sub is not None else "")
        if (valid, message) != (self._valid, self._message):
            self._valid, self._message = valid, message
            self.validityChanged.emit(valid, message)
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)
        self._settle_layout()

    # --- changing the type ---------------------------------------------------------------

    def _type_chosen(self, index: int) -> None:
        target = str(self.type_combo.itemData(index))
        current_type = "json" if self._forced_kind is EditorKind.RAW_JSON else json_type_of(self._sub_value_or_loaded())
        if self._sub is None or target == current_type:
            self._cancel_type()
            return
        problem = self._sub.problem()
        if problem:
            self._restore_type_combo()
            self._set_state(valid=False, message=f"Fix this before changing the type: {problem}", dirty=self._dirty)
            return
        value = self._sub.value()
        conversion = convert(value, target)
        if value is None:
            self._apply_type(target, conversion)
            return
        self._pending_type = (target, conversion)
        old = TYPE_NAMES[current_type]
        self.confirm_text.setText(f"Change the type from {old} to {TYPE_NAMES[target]}? {conversion.note}")
        self.confirm_button.setText("Change type, losing that" if conversion.lost else "Change type")
        self.confirm_bar.setVisible(True)
        self.confirm_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def _set_type_from_null(self, type_id: str) -> None:
        self._apply_type(type_id, convert(None, type_id))
        self.focus_value()

    def _confirm_or_cancel(self) -> None:
        if self.cancel_type_button.hasFocus():
            self._cancel_type()
        else:
            self._confirm_type()

    def _confirm_type(self) -> None:
        if self._pending_type is None:
            return
        target, conversion = self._pending_type
        self._apply_type(target, conversion)
        self.focus_value()

    def _apply_type(self, target: str, conversion: Conversion) -> None:
        self._pending_type = None
        self.confirm_bar.setVisible(False)
        self._forced_kind = EditorKind.RAW_JSON if target == "json" else None
        self._install(conversion.value, edited=True)
        self._refresh()

    def _cancel_type(self) -> None:
        if self._pending_type is None and not self.confirm_bar.isVisible():
            return
        had_focus = self.confirm_bar.isAncestorOf(self.focusWidget()) if self.focusWidget() else False
        self._pending_type = None
        self.confirm_bar.setVisible(False)
        self._restore_type_combo()
        if had_focus:
            self.type_combo.setFocus(Qt.FocusReason.OtherFocusReason)

    def _restore_type_combo(self) -> None:
        type_id = "json" if self._forced_kind is EditorKind.RAW_JSON else json_type_of(self._sub_value_or_loaded())
        self.type_combo.setCurrentIndex(max(self.type_combo.findData(type_id), 0))

    def _escape(self) -> None:
        if self.confirm_bar.isVisible():
            self._cancel_type()  # Esc answers the question; editing goes on
            return
        if self.revert_button.isEnabled():
            self.revert()
        self.finished.emit()

    def _stage_by_user(self) -> None:
        if self.stage():
            self.finished.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Enter in a one-line field (it ignores the key, so it arrives here) stages, as
        # Ctrl+Enter does. Multi-line text keeps Enter for new lines; a table's cell
        # editor keeps it for committing the cell (neither lets the key through).
        focus = QApplication.focusWidget()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) \
                and not (event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier) \
                and isinstance(focus, (QLineEdit, QAbstractSpinBox)) and self.isAncestorOf(focus) \
                and not self.confirm_bar.isAncestorOf(focus) \
                and not any(view.isAncestorOf(focus) for view in self.findChildren(QAbstractItemView)):
            self._stage_by_user()
            return
        super().keyPressEvent(event)

    def _has_focus(self) -> bool:
        focus = self.focusWidget()
        return focus is not None and self.isAncestorOf(focus) and focus.hasFocus()

    def sizeHint(self) -> QSize:
        return super().sizeHint().expandedTo(QSize(420, 360))
