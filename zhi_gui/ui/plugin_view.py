"""The plugin process view: its structured log (hclog JSON and text lines),
binary path and SHA-256, manifest, state, and a restart button.

Lines arrive in batches (``add_lines``, fed by ``LaunchConfig.on_log_batch``):
one model insert and at most one scroll per batch, and the log is bounded, so
a chatty plugin costs the UI thread a few milliseconds ten times a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.plugin.hclog import LEVELS, LogLine

if TYPE_CHECKING:  # the manifest module loads YAML: it comes with the first store, not the window
    from zhi_gui.plugin.manifest import PluginManifest

MAX_LINES = 5000
_LEVEL_COLORS = {"error": QColor("#c0392b"), "warn": QColor("#b9770e"), "debug": QColor("#7f8c8d"),
                 "trace": QColor("#95a5a6")}


class LogModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[LogLine] = []
        self.min_level = 0

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.lines)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        line = self.lines[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            fields = " ".join(f"{k}={v}" for k, v in line.fields.items())
            stamp = line.timestamp[11:23] if line.timestamp else ""
            return f"{stamp} {line.level.upper():5} {line.module + ': ' if line.module else ''}{line.message} {fields}"
        if role == Qt.ItemDataRole.ForegroundRole and line.level in _LEVEL_COLORS:
            return QBrush(_LEVEL_COLORS[line.level])
        if role == Qt.ItemDataRole.ToolTipRole:
            return line.raw
        return None

    def add(self, line: LogLine) -> None:
        self.add_many([line])

    def add_many(self, lines: list[LogLine]) -> None:
        shown = [x for x in lines if LEVELS.index(x.level) >= self.min_level][-MAX_LINES:]
        if not shown:
            return
        excess = len(self.lines) + len(shown) - MAX_LINES
        if excess > 0:  # drop just the oldest rows that overflow: a big removal relays out the view
            drop = min(len(self.lines), excess)
            self.beginRemoveRows(QModelIndex(), 0, drop - 1)
            del self.lines[:drop]
            self.endRemoveRows()
        self.beginInsertRows(QModelIndex(), len(self.lines), len(self.lines) + len(shown) - 1)
        self.lines.extend(shown)
        self.endInsertRows()

    def set_lines(self, lines: list[LogLine], min_level: int) -> None:
        self.beginResetModel()
        self.min_level = min_level
        self.lines = [x for x in lines if LEVELS.index(x.level) >= min_level][-MAX_LINES:]
        self.endResetModel()


class PluginView(QWidget):
    restartRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("plugin-view")
        self.all_lines: list[LogLine] = []
        self._incoming: list[LogLine] = []
        self._coalesce = QTimer(self)
        self._coalesce.setSingleShot(True)
        self._coalesce.setInterval(0)
        self._coalesce.timeout.connect(self._flush_incoming)
        self.binary = QLabel("-")
        self.digest = QLabel("-")
        self.manifest = QLabel("-")
        self.state = QLabel("-")
        for label in (self.binary, self.digest, self.manifest, self.state):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setWordWrap(True)
        self.digest.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.restart = QPushButton("Restart plugin")
        self.restart.setObjectName("restart-plugin")
        self.restart.clicked.connect(self.restartRequested)
        self.level = QComboBox()
        self.level.addItems([f"{name} and above" for name in LEVELS])
        self.level.setCurrentIndex(1)
        self.level.currentIndexChanged.connect(self._refilter)
        self.model = LogModel()
        self.model.min_level = 1
        # A header-less QTreeView, not a QListView: with uniform row heights it
        # inserts rows without laying out all the others (QListView relays out
        # every row on each insert: 12 ms per batch at 5,000 rows).
        self.view = QTreeView()
        self.view.setObjectName("plugin-log")
        self.view.setHeaderHidden(True)
        self.view.setRootIsDecorated(False)
        self.view.setItemsExpandable(False)
        self.view.setUniformRowHeights(True)
        self.view.setModel(self.model)
        self.view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        form = QFormLayout()
        form.addRow("State", self.state)
        form.addRow("Binary", self.binary)
        form.addRow("SHA-256", self.digest)
        form.addRow("Manifest", self.manifest)
        top = QHBoxLayout()
        top.addLayout(form, 1)
        buttons = QVBoxLayout()
        buttons.addWidget(self.restart)
        buttons.addWidget(self.level)
        buttons.addStretch(1)
        top.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)

    def set_plugin(self, binary: str, digest: str, manifest: PluginManifest | None) -> None:
        self.binary.setText(binary)
        self.digest.setText(digest)
        if manifest is None:
            self.manifest.setText("no zhi-plugin.yaml beside the binary")
        else:
            runtime = f", runtime {manifest.runtime.type} {manifest.runtime.version}" if manifest.runtime else ""
            self.manifest.setText(f"{manifest.name} {manifest.version} ({manifest.type}){runtime}: "
                                  f"{manifest.description}")

    def set_state(self, state: str, detail: str) -> None:
        self.state.setText(f"{state}" + (f": {detail}" if detail else ""))

    def add_line(self, line: LogLine) -> None:
        """One line (the per-line ``on_log`` path): queued and shown with the
        others that arrive before the event loop runs again, as one batch."""
        self._incoming.append(line)
        if not self._coalesce.isActive():
            self._coalesce.start()

    def _flush_incoming(self) -> None:
        lines, self._incoming = self._incoming, []
        self.add_lines(lines)

    def add_lines(self, lines: list[LogLine]) -> None:
        """A batch of log lines (connect ``LaunchConfig.on_log_batch`` here)."""
        if not lines:
            return
        self.all_lines.extend(lines)
        if len(self.all_lines) > MAX_LINES * 2:
            del self.all_lines[:len(self.all_lines) - MAX_LINES]
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.add_many(lines)
        if at_bottom:
            self.view.scrollToBottom()

    def _refilter(self, level: int) -> None:
        self.model.set_lines(self.all_lines, level)
        self.view.scrollToBottom()
