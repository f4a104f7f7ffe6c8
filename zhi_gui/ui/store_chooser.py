"""Choosing another store for a comparison or a copy: the Open store dialog,
or one of the recent stores (as the File menu lists them)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QWidget

from zhi_gui.services.settings import StoreIdentity
from zhi_gui.session import StoreTarget
from zhi_gui.ui.async_dialogs import dialog_result
from zhi_gui.ui.open_store_dialog import OpenStoreDialog
from zhi_gui.ui.tasks import Runner

LOCATION_CHARS = 60


def identity_label(identity: StoreIdentity) -> str:
    where = identity.location()
    if len(where) > LOCATION_CHARS:
        where = "\u2026" + where[-(LOCATION_CHARS - 1):]  # the end of a path tells stores apart
    name = identity.display_name or identity.binary_name
    return f"{name} \u2014 {where}" if where and where not in name else name


class StoreChooser(QWidget):
    chosen = Signal()  # ``target`` is set

    def __init__(self, name: str, run: Runner, recent: Callable[[], list[StoreIdentity]],
                 title: str = "Choose store", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run, self.recent_stores, self.title = run, recent, title
        self.target: StoreTarget | None = None
        # A login typed into Open store's form for ``target``: used once by its login (and
        # kept in the keyring by it), never a plugin option.
        self._login: tuple[str, dict[str, str]] | None = None
        self.button = QPushButton("Choose store\u2026")
        self.button.setObjectName(f"{name}-choose-store")
        self.button.clicked.connect(lambda: self.run(self.choose(), "Choosing a store", ""))
        self.recent = QToolButton()
        self.recent.setObjectName(f"{name}-recent")
        self.recent.setText("Recent")
        self.recent.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu = QMenu(self.recent)
        self.menu.aboutToShow.connect(self._fill_recent)
        self.recent.setMenu(self.menu)
        self.label = QLabel("no store chosen")
        self.label.setObjectName(f"{name}-store")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.recent)
        layout.addWidget(self.label, 1)

    def _fill_recent(self) -> None:
        self.menu.clear()
        stores = self.recent_stores()
        for identity in stores:
            action = self.menu.addAction(identity_label(identity))
            action.setToolTip(identity.plugin_path)
            action.triggered.connect(lambda _checked=False, i=identity: self.use(StoreTarget.of(i, i.tree_id)))
        if not stores:
            self.menu.addAction("No recent stores").setEnabled(False)

    async def choose(self) -> None:
        dialog = OpenStoreDialog(self)
        dialog.setWindowTitle(self.title)
        try:
            if await dialog_result(dialog) != QDialog.DialogCode.Accepted:
                return
            target = dialog.target()
            login = dialog.login_offer()
        finally:
            dialog.deleteLater()
        if target is not None:
            self.use(target, login)

    def use(self, target: StoreTarget, login: tuple[str, dict[str, str]] | None = None) -> None:
        self.target, self._login = target, login
        self.label.setText(target.name)
        self.label.setToolTip(f"{target.plugin}\n{target.options}")
        self.chosen.emit()

    def take_login(self, target: StoreTarget) -> tuple[str, dict[str, str]] | None:
        """The form's login for ``target`` (the chosen store), once."""
        if target != self.target:
            return None
        login, self._login = self._login, None
        return login
