"""The window's security: lock state in the store bar, the Store menu's
encryption and login actions, and the controller's unlock and login hooks."""

from __future__ import annotations

import html
import logging
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from zhi_gui.plugin.plugin_states import PluginState
from zhi_gui.services.keyring_service import PassphraseVault
from zhi_gui.ui.security.context import SecurityContext
from zhi_gui.ui.security.encryption import EncryptionFlows
from zhi_gui.ui.security.idle import IdleLock
from zhi_gui.ui.security.login import LoginFlows
from zhi_gui.ui.security.screen_lock import ScreenLockWatcher
from zhi_gui.ui.security.state import LockKind, lock_status
from zhi_gui.ui.theme import icon, icon_path

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine
    from typing import Any

    from zhi_gui.ui.window_api import WindowApi

log = logging.getLogger("zhi_gui.ui.security")


class SecurityController(SecurityContext):
    def __init__(self, window: WindowApi, vault: PassphraseVault, idle_lock_minutes: int = 0,
                 lock_on_screen_lock: bool = False) -> None:
        super().__init__(window, vault)
        self.encryption = EncryptionFlows(self)
        self.idle_lock = IdleLock(self, idle_lock_minutes, self.encryption.lock)
        self.screen_lock = ScreenLockWatcher(self, lock_on_screen_lock, self.encryption.lock)
        self.login = LoginFlows(self)
        self._build_actions()
        self.controller.unlock_handler = self.encryption.unlock_hook
        window.unlock_to_write = self.encryption.unlock_to_write
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
        lockable = running and kind is LockKind.UNLOCKED and "Lock" in features
        self.lock_action.setEnabled(lockable)
        self.idle_lock.set_lockable(lockable)
        # Only an encrypted, readable store has a passphrase worth forgetting: on a plain one
        # there is none, and a locked one still needs it to open.
        self.forget_action.setEnabled(c.target is not None and kind in (LockKind.UNLOCKED, LockKind.ENCRYPTED))
        auth = running and c.capabilities.auth
        self.login_action.setEnabled(auth and not self.login.logged_in)
        self.logout_action.setEnabled(auth and self.login.logged_in)
        self.forget_login_action.setEnabled(c.target is not None and c.capabilities.auth)
        if kind is LockKind.VAULT:
            for action in (self.encrypt_action, self.change_action):
                action.setToolTip(self.status.tooltip)
