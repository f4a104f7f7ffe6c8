"""The window's security: lock state in the store bar, the Store menu's
encryption and login actions, and the controller's unlock and login hooks."""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from zhi_gui.core import errors as E
from zhi_gui.plugin.supervisor import PluginState
from zhi_gui.services.keyring_service import Availability, AvailabilityStatus, PassphraseVault, VaultError
from zhi_gui.ui.security import messages as M
from zhi_gui.ui.security.encryption import EncryptionFlows
from zhi_gui.ui.security.login import LoginFlows
from zhi_gui.ui.security.state import LockKind, LockStatus, lock_status
from zhi_gui.ui.theme import icon, icon_path

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from zhi_gui.ui.window_api import WindowApi

log = logging.getLogger("zhi_gui.ui.security")


class SecurityController(QObject):
    unlocked = Signal(str)  # "keyring" | "dialog"
    locked = Signal()
    loggedIn = Signal(str)  # "keyring" | "dialog"
    message = Signal(str)  # what the status bar was told

    def __init__(self, window: WindowApi, vault: PassphraseVault) -> None:
        super().__init__(window.main_window())
        self.window = window
        self.parent_widget = window.main_window()  # dialogs are its children (window-modal)
        self.controller = window.session
        self.vault = vault
        self.last_message = ""
        self.status: LockStatus = lock_status(None, None)
        self._banner = ""
        self.encryption = EncryptionFlows(self)
        self.login = LoginFlows(self)
        self._build_actions()
        self.controller.unlock_handler = self.encryption.unlock_hook
        self.controller.login_handler = self.login.login_hook
        # Connected after the window's own slot, so this label text is the last word.
        window.events.capabilitiesChanged.connect(self.update_status)
        window.events.stateChanged.connect(lambda _state, _detail: self.update_actions())
        self.update_status()

    # --- actions ---------------------------------------------------------------------------
    def _action(self, name: str, text: str, factory: Callable[[], Coroutine[Any, Any, None]], what: str,
                icon_name: str = "") -> QAction:
        action = QAction(text, self.parent_widget)
        action.setObjectName(name)
        if icon_name:
            action.setIcon(icon(icon_name))
        action.triggered.connect(lambda: self.window.run(factory(), what))
        self.window.store_menu.addAction(action)
        return action

    def _build_actions(self) -> None:
        menu = self.window.store_menu
        menu.addSeparator()
        enc, login = self.encryption, self.login
        self.encrypt_action = self._action("action-encrypt", "Encrypt store\u2026", enc.encrypt, "Encrypting the store",
                                           "lock-closed")
        self.unlock_action = self._action("action-unlock", "Unlock\u2026", enc.unlock_action, "Unlocking the store",
                                          "lock-open")
        self.change_action = self._action("action-change-passphrase", "Change passphrase\u2026", enc.change_passphrase,
                                          "Changing the passphrase", "key")
        self.lock_action = self._action("action-lock", "Lock now", enc.lock, "Locking the store", "lock-locked")
        self.forget_action = self._action("action-forget-passphrase", "Forget passphrase", enc.forget,
                                          "Forgetting the passphrase")
        menu.addSeparator()
        self.login_action = self._action("action-login", "Log in\u2026", login.log_in_action, "Logging in", "key")
        self.logout_action = self._action("action-logout", "Log out", login.log_out, "Logging out")
        self.forget_login_action = self._action("action-forget-login", "Forget remembered login",
                                                login.forget_login, "Forgetting the login")

    # --- state -------------------------------------------------------------------------------
    def update_status(self) -> None:
        c = self.controller
        open_store = c.target is not None
        plugin = c.target.plugin.name if c.target is not None else ""
        self.status = lock_status(c.capabilities if open_store else None, c.description, plugin)
        label = self.window.encryption_label
        label.setText(f"<img src='{icon_path(self.status.icon)}' width='16' height='16'"
                      f" style='vertical-align: middle'>&nbsp;{html.escape(self.status.text)}")
        label.setToolTip(self.status.tooltip)
        label.setAccessibleName(f"encryption: {self.status.text}")
        if open_store and c.capabilities.auth:
            text = (f"logged in as {self.login.user}" if self.login.user else "logged in") if self.login.logged_in \
                else "not logged in"
            auth = self.window.auth_label
            auth.setText(f"<img src='{icon_path('key')}' width='16' height='16'"
                         f" style='vertical-align: middle'>&nbsp;{html.escape(text)}")
            auth.setToolTip("This store needs a login (Store \u25b8 Log in\u2026 / Log out)")
        self.update_actions()

    def update_actions(self) -> None:
        c = self.controller
        running = c.target is not None and c.plugin_state == PluginState.RUNNING
        kind = self.status.kind
        features = c.description.features if c.description is not None else frozenset()
        self.encrypt_action.setEnabled(running and kind is LockKind.PLAIN)
        self.unlock_action.setEnabled(running and kind is LockKind.LOCKED)
        self.change_action.setEnabled(running and kind in (LockKind.UNLOCKED, LockKind.LOCKED, LockKind.ENCRYPTED))
        self.lock_action.setEnabled(running and kind is LockKind.UNLOCKED and "Lock" in features)
        self.forget_action.setEnabled(c.target is not None)
        auth = running and c.capabilities.auth
        self.login_action.setEnabled(auth and not self.login.logged_in)
        self.logout_action.setEnabled(auth and self.login.logged_in)
        self.forget_login_action.setEnabled(c.target is not None and c.capabilities.auth)
        if kind is LockKind.VAULT:
            for action in (self.encrypt_action, self.change_action):
                action.setToolTip(self.status.tooltip)

    # --- shared by the flows -----------------------------------------------------------
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
