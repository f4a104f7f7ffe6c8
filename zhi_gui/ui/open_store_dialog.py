"""Open a store: a discovered plugin (shipped, ~/.zhi/plugins, a zhi.yaml
workspace) or any executable, its manifest, an options form that becomes
ZHI_PLUGIN_OPTIONS, and a tree id."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
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
    QVBoxLayout,
    QWidget,
)

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin.discovery import DiscoveredPlugin, discover
from zhi_gui.plugin.workspace import Workspace, load_workspace, workspace_store
from zhi_gui.session import StoreTarget

ROLE = Qt.ItemDataRole.UserRole + 1


class OpenStoreDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, workspace: Workspace | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("open-store-dialog")
        self.setWindowTitle("Open store")
        self.resize(760, 520)
        self.workspace = workspace
        self.known_paths: tuple[str, ...] = ()
        self.plugins = QListWidget()
        self.plugins.setObjectName("open-plugins")
        self.plugins.currentItemChanged.connect(self._selected)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.path = QLineEdit()
        self.path.setObjectName("open-path")
        self.path.setPlaceholderText("plugin executable (zhi-store-...)")
        browse = QPushButton("Pick executable\u2026")
        browse.clicked.connect(self._browse)
        folder = QPushButton("Open zhi workspace folder\u2026")
        folder.clicked.connect(self._pick_workspace)
        self.options = QPlainTextEdit()
        self.options.setObjectName("open-options")
        self.options.setPlaceholderText('{"path": "/home/me/config.sqlite"}   (JSON: becomes ZHI_PLUGIN_OPTIONS)')
        self.options.setMaximumHeight(110)
        self.tree = QLineEdit()
        self.tree.setObjectName("open-tree")
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
        form.addRow("Options", self.options)
        form.addRow("Tree", self.tree)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Plugins found (shipped, ~/.zhi/plugins, workspace directories):"))
        layout.addWidget(self.plugins, 1)
        layout.addWidget(self.details)
        layout.addLayout(form)
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

    def _browse(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Plugin executable", str(Path.home()))
        if name:
            self.path.setText(name)

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
        self.options.setPlainText(json.dumps(workspace_store(ws).options, indent=2))
        self.tree.setText(ws.default_tree_id)

    def target(self) -> StoreTarget | None:
        """The store to open, or None with the reason shown."""
        path = Path(self.path.text().strip()).expanduser()
        if not self.path.text().strip():
            self.problem.setText("Pick a plugin.")
            return None
        text = self.options.toPlainText().strip()
        options: Any = {}
        if text:
            try:
                options = json.loads(text)
            except ValueError as exc:
                self.problem.setText(f"Options are not valid JSON: {exc}")
                return None
            if not isinstance(options, dict):
                self.problem.setText("Options must be a JSON object, e.g. {\"path\": \"...\"}")
                return None
        return StoreTarget(path, options, self.tree.text().strip(), known_paths=self.known_paths)

    def _accept(self) -> None:
        if self.target() is not None:
            self.accept()
