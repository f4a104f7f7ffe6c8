"""Open a store: a discovered plugin (shipped, ~/.zhi/plugins, a zhi.yaml
workspace) or any executable, its manifest, its options (a form when the
manifest has an ``options:`` section, else raw JSON; "Advanced (JSON)" for
all) that become ZHI_PLUGIN_OPTIONS, and a tree id.

Options tied to the store's login (``login:`` in the manifest) are offered to
the login machinery (``login_offer()``): a secret among them never becomes a
plugin option, so it is never written to the settings or the recent list."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin.discovery import DiscoveredPlugin, discover, manifest_beside
from zhi_gui.plugin.options_schema import OptionSpec, login_problems, split_login
from zhi_gui.plugin.workspace import Workspace, load_workspace, workspace_store
from zhi_gui.session import StoreTarget
from zhi_gui.ui.options_form import OptionsForm

ROLE = Qt.ItemDataRole.UserRole + 1


class OpenStoreDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, workspace: Workspace | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("open-store-dialog")
        self.setWindowTitle("Open store")
        self.resize(760, 660)
        self.workspace = workspace
        self.known_paths: tuple[str, ...] = ()
        self.plugins = QListWidget()
        self.plugins.setObjectName("open-plugins")
        self.plugins.setMaximumHeight(140)
        self.plugins.setAccessibleName("Plugins")
        self.plugins.setAccessibleDescription("Store plugins found: shipped, in ~/.zhi/plugins and in workspaces")
        self.plugins.currentItemChanged.connect(self._selected)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path = QLineEdit()
        self.path.setObjectName("open-path")
        self.path.setAccessibleName("Executable")
        self.path.setPlaceholderText("plugin executable (zhi-store-...)")
        # a path typed or picked by hand gets its own plugin's form (once the field is left)
        self.path.editingFinished.connect(self._path_edited)
        self.pick_button = browse = QPushButton("Pick executable\u2026")
        browse.clicked.connect(self._browse)
        folder = QPushButton("Open zhi workspace folder\u2026")
        folder.clicked.connect(self._pick_workspace)
        self.options = QPlainTextEdit()
        self.options.setObjectName("open-options")
        self.options.setPlaceholderText('{"path": "/home/me/config.sqlite"}   (JSON: becomes ZHI_PLUGIN_OPTIONS)')
        self.options.setAccessibleName("Options (JSON)")
        self.options.setTabChangesFocus(True)
        self.specs: tuple[OptionSpec, ...] = ()
        self.form: OptionsForm | None = None
        self.form_area = QScrollArea()
        self.form_area.setObjectName("open-options-form")
        self.form_area.setAccessibleName("Options")
        self.form_area.setWidgetResizable(True)
        self.form_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.advanced = QCheckBox("Advanced (JSON)")
        self.advanced.setObjectName("open-advanced")
        self.advanced.setAccessibleDescription("Edit the plugin's options as raw JSON instead of the form")
        self.advanced.toggled.connect(self._advanced_toggled)
        self.offer: tuple[str, dict[str, str]] | None = None
        self.tree = QLineEdit()
        self.tree.setObjectName("open-tree")
        self.tree.setAccessibleName("Tree")
        self.tree.setPlaceholderText("tree id (empty: the first tree of the store)")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b")
        self.problem.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("Executable", row)
        options_title = QLabel("<b>Options</b>")
        options_title.setBuddy(self.options)
        tree_form = QFormLayout()
        tree_form.addRow("Tree", self.tree)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Plugins found (shipped, ~/.zhi/plugins, workspace directories):"))
        layout.addWidget(self.plugins)
        layout.addWidget(self.details)
        layout.addLayout(form)
        # the options take the room there is: a long form scrolls, it never overlaps what follows
        layout.addWidget(options_title)
        layout.addWidget(self.form_area, 1)
        layout.addWidget(self.options, 1)
        layout.addWidget(self.advanced, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(tree_form)
        layout.addWidget(folder, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._fill()

    def _fill(self) -> None:
        self.plugins.clear()
        for plugin in discover(self.workspace):
            version = plugin.manifest.version if plugin.manifest else ""
            item = QListWidgetItem(f"{plugin.name}  {version}  \u2014  {plugin.source}")
            item.setData(ROLE, plugin)
            self.plugins.addItem(item)
        if self.plugins.count():
            self.plugins.setCurrentRow(0)

    def _selected(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        plugin: DiscoveredPlugin = item.data(ROLE)
        self.path.setText(str(plugin.path))
        if plugin.manifest is not None:
            m = plugin.manifest
            self.details.setText(f"<b>{m.name}</b> {m.version} by {m.author or 'unknown'} ({m.license or 'no license'})"
                                 f"<br>{m.description}")
        else:
            self.details.setText(plugin.manifest_error or "No zhi-plugin.yaml manifest beside this binary.")
        specs = plugin.manifest.options if plugin.manifest is not None else None
        self._use_specs(specs or ())

    def _use_specs(self, specs: tuple[OptionSpec, ...]) -> None:
        """A form for these options (none: the raw JSON field alone)."""
        self.specs = specs
        self.problem.clear()
        old = self.form_area.takeWidget()
        if old is not None:
            old.deleteLater()
        self.form = OptionsForm(specs) if specs else None
        if self.form is not None:
            self.form_area.setWidget(self.form)
            # the form is built after the rest: Tab goes through it where it is shown
            chain = [self.pick_button, *self.form.tab_chain, self.advanced]
            for first, second in itertools.pairwise(chain):
                QWidget.setTabOrder(first, second)
            # as tall as the fields need, up to a point (then it scrolls)
            self.form_area.setMinimumHeight(min(self.form.sizeHint().height() + 4, 160))
        self.advanced.blockSignals(True)
        self.advanced.setChecked(self.form is None)
        self.advanced.blockSignals(False)
        self.advanced.setEnabled(self.form is not None)
        self.advanced.setToolTip("" if self.form is not None else "This plugin's manifest describes no options:"
                                 " give them as JSON")
        self.options.setPlainText("")
        self._show_mode()

    def _show_mode(self) -> None:
        raw = self.advanced.isChecked() or self.form is None
        self.form_area.setVisible(not raw)
        self.options.setVisible(raw)

    def _advanced_toggled(self, raw: bool) -> None:
        """Carry the options across: the form's values into the JSON, the JSON into the form
        (a secret stays in its masked field and never appears in the JSON)."""
        if self.form is None:
            return
        if raw:
            values = self.form.values()
            if values is None:
                self._set_advanced(False)
                self.problem.setText("Fix the marked fields first.")
                return
            public = {k: v for k, v in values.items() if not self._is_secret(k)}
            self.options.setPlainText(json.dumps(public, indent=2) if public else "")
        else:
            parsed = self._json_options()
            if parsed is None:
                self._set_advanced(True)
                return
            secrets = {k: v for k, v in (self.form.values() or {}).items() if self._is_secret(k)}
            self.form.set_values({**parsed, **secrets})
        self.problem.clear()
        self._show_mode()

    def _set_advanced(self, checked: bool) -> None:
        self.advanced.blockSignals(True)
        self.advanced.setChecked(checked)
        self.advanced.blockSignals(False)

    def _is_secret(self, name: str) -> bool:
        return any(spec.name == name and spec.is_secret for spec in self.specs)

    def set_options(self, options: dict[str, Any]) -> None:
        """Show these options (in the form when there is one, and in the JSON)."""
        if self.form is not None:
            self.form.set_values(options)
        self.options.setPlainText(json.dumps(options, indent=2))

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Plugin executable", str(Path.home()))
        if name:
            self.path.setText(name)
            self._path_edited()

    def _path_edited(self) -> None:
        """The form follows the executable: a listed plugin is selected; another one gets the
        form of the manifest beside it. The same options schema keeps what was typed."""
        text = self.path.text().strip()
        if not text:
            return
        binary = Path(text).expanduser()
        for row in range(self.plugins.count()):
            plugin: DiscoveredPlugin = self.plugins.item(row).data(ROLE)
            if plugin.path == binary:
                if self.plugins.currentRow() != row:
                    self.plugins.setCurrentRow(row)
                return
        self.plugins.blockSignals(True)
        self.plugins.setCurrentRow(-1)  # the list no longer says which plugin this is
        self.plugins.blockSignals(False)
        manifest, error = manifest_beside(binary)
        if manifest is not None:
            self.details.setText(f"<b>{manifest.name}</b> {manifest.version}<br>{manifest.description}")
        else:
            self.details.setText(error or "No zhi-plugin.yaml manifest beside this executable.")
        specs = manifest.options if manifest is not None else None
        if tuple(specs or ()) != tuple(self.specs):
            self._use_specs(specs or ())

    def _pick_workspace(self) -> None:
        directory = QFileDialog.getExistingDirectory(self, "zhi workspace folder", str(Path.home()))
        if directory:
            self.use_workspace(Path(directory))

    def use_workspace(self, directory: Path) -> None:
        """Use the workspace's store settings and its default tree id."""
        try:
            ws = load_workspace(directory)
        except ManifestError as exc:
            self.problem.setText(str(exc))
            return
        self.workspace = ws
        self._fill()
        for row in range(self.plugins.count()):
            plugin: DiscoveredPlugin = self.plugins.item(row).data(ROLE)
            if plugin.name == ws.store_name:
                self.plugins.setCurrentRow(row)
                break
        else:
            self.problem.setText(f"the workspace's store plugin {ws.store_label!r} was not found")
        self.set_options(dict(workspace_store(ws).options))
        self.tree.setText(ws.default_tree_id)

    def target(self) -> StoreTarget | None:
        """The store to open, or None with the reason shown."""
        path = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip():
            self.problem.setText("Pick a plugin.")
            return None
        options: dict[str, Any] | None
        if self.form is not None and not self.advanced.isChecked():
            options = self.form.values()
            if options is None:
                self.problem.setText("Some options need fixing (see the marked fields).")
                field = self.form.first_error_field()
                if field is not None:
                    self.form_area.ensureWidgetVisible(field)
                    field.setFocus()
                return None
        else:
            options = self._json_options()
            if options is None:
                return None
            if self.form is not None:  # a secret typed into the form is never in the JSON: keep it
                form_values = self.form.values() or {}
                options = {**{k: v for k, v in form_values.items() if self._is_secret(k)}, **options}
        problems = login_problems(self.specs, options)
        if problems:
            for name, text in problems.items():
                if self.form is not None and not self.advanced.isChecked():
                    self.form.show_error(name, text)
            self.problem.setText("; ".join(f"{name}: {text}" for name, text in problems.items()))
            return None
        options, method, credentials = split_login(self.specs, options)
        self.offer = (method, credentials) if method else None
        self.problem.clear()
        return StoreTarget(path, options, self.tree.text().strip(), known_paths=self.known_paths)

    def _json_options(self) -> dict[str, Any] | None:
        text = self.options.toPlainText().strip()
        if not text:
            return {}
        try:
            options = json.loads(text)
        except ValueError as exc:
            self.problem.setText(f"Options are not valid JSON: {exc}")
            return None
        if not isinstance(options, dict):
            self.problem.setText("Options must be a JSON object, e.g. {\"path\": \"...\"}")
            return None
        return options

    def login_offer(self) -> tuple[str, dict[str, str]] | None:
        """The login typed into the form (method, fields), for the login machinery: once."""
        offer, self.offer = self.offer, None
        return offer

    def _accept(self) -> None:
        if self.target() is not None:
            self.accept()
