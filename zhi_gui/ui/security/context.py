"""What the encryption and login flows share: the window (through its narrow
interface), the session, the keyring vault, and the ways to tell the user.
The controller (actions, lock label) builds on it; the flows only see this."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from zhi_gui.core import errors as E
from zhi_gui.services.keyring_service import Availability, AvailabilityStatus, PassphraseVault, VaultError
from zhi_gui.ui.security import messages as M
from zhi_gui.ui.security.state import LockStatus, lock_status

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi

log = logging.getLogger("zhi_gui.ui.security")


class SecurityContext(QObject):
    unlocked = Signal(str)  # "keyring" | "dialog"
    locked = Signal()
    loggedIn = Signal(str)  # "keyring" | "dialog"
    message = Signal(str)  # what the status bar was told

    def __init__(self, window: WindowApi, vault: PassphraseVault) -> None:
        super().__init__(window.main_window())
        self.window = window
        self.parent_widget: QWidget = window.main_window()  # dialogs are its children (window-modal)
        self.controller = window.session
        self.vault = vault
        self.last_message = ""
        self.status: LockStatus = lock_status(None, None)
        self._banner = ""

    def update_status(self) -> None:
        """Show the lock state (the controller draws it in the store bar)."""

    # --- shared by the flows -----------------------------------------------------------
    def take_offered_login(self) -> tuple[str, dict[str, str]] | None:
        """A login typed into Open store's form for this store (method, fields), once."""
        return self.window.take_offered_login()

    def identity_key(self) -> str:
        identity = self.controller.identity()
        if identity is None:
            raise E.PluginUnavailable("no store is open")
        return identity.key()

    def store_label(self) -> str:
        c = self.controller
        identity = c.identity()
        if c.target is not None and c.target.display_name:
            return c.target.display_name
        return identity.label() if identity is not None else "this store"

    def user_inputs(self) -> list[str]:
        """Words an attacker would try first: the store's names."""
        c = self.controller
        words = ["zhi", "zhi-gui", "passphrase"]
        if c.target is not None:
            words += [c.target.name, c.target.plugin.name]
            where = c.target.options.get("path") or c.target.options.get("dir")
            if isinstance(where, str) and where:
                words.append(Path(where).stem)
        return words

    async def keyring_state(self, key: str) -> tuple[Availability, bool]:
        """Whether the keyring can be used, and whether it holds an entry for ``key`` (read off the UI thread)."""
        try:
            existing = await self.vault.aget(key)
        except VaultError as exc:
            return M.availability_from_error(exc), False
        return Availability(AvailabilityStatus.OK, "The keyring can be used."), existing is not None

    async def remember(self, key: str, secret: str, done: str, *, what: str = "passphrase",
                       stale_note: bool = False) -> bool:
        """Store a secret the store has just confirmed; report the outcome either way."""
        try:
            await self.vault.aset(key, secret)
        except VaultError as exc:
            log.info("keyring: could not remember the %s (%s)", what, type(exc).__name__)
            text = f"{done}, but the {what} could not be remembered. {M.keyring_problem(exc)}"
            if stale_note:
                text += (" The keyring may still hold the old passphrase, which no longer opens the store:"
                         " use Store \u25b8 Forget passphrase once the keyring works.")
            self.warn("Keyring", text)
            return False
        self.notify(f"{done}; the {what} is remembered in the system keyring")
        return True

    async def forget(self, key: str, *, what: str = "passphrase", quiet: bool = False) -> bool | None:
        """Delete a keyring entry: True if there was one, None if the keyring failed."""
        try:
            existed = await self.vault.adelete(key)
        except VaultError as exc:
            log.info("keyring: could not forget the %s (%s)", what, type(exc).__name__)
            if not quiet:
                self.warn("Forget " + what, M.keyring_problem(exc))
            return None
        if not quiet:
            self.notify(f"The {what} of this store was removed from the keyring" if existed else
                        f"There was no remembered {what} for this store in the keyring: nothing to forget")
        return existed

    def notify(self, text: str) -> None:
        self.last_message = text
        self.window.statusBar().showMessage(text, 10000)
        self.message.emit(text)

    def warn(self, title: str, text: str) -> None:
        self.last_message = text
        self.window.statusBar().showMessage(text, 15000)
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, self.parent_widget)
        box.setObjectName("security-warning")
        box.finished.connect(lambda _code: box.deleteLater())
        box.open()
        self.message.emit(text)

    def banner(self, text: str) -> None:
        self._banner = text
        self.window.show_notice(text)
        self.update_status()

    def clear_banner(self) -> None:
        if self._banner and self.window.banner.text() == self._banner:
            self.window.show_notice("")
        self._banner = ""

    def hide_values(self) -> None:
        """Take the tree's values off the screen (staged edits stay)."""
        self.window.flush_editor()
        self.controller.hide_values()

    async def show_values(self) -> None:
        """(Re)load the tree once the store can be read again."""
        c = self.controller
        await c.refresh_trees()
        tree = c.tree_id or (c.target.tree_id if c.target is not None else "") or (c.trees[0] if c.trees
                                                                                   else "default")
        await c.load_tree(tree)
