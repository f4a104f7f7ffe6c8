"""Login and unlock for a store opened besides the window's own (Store > Compare...,
Copy or move subtree...): the same flows as the window's store, with the same
keyring, so there is one source of truth for secrets and logins. The keyring
entry of that store is tried first; a dialog (a child of the dialog that needs
the store) asks only when needed, says a wrong passphrase and asks again; a
Cancel is remembered here, so the caller ends quietly instead of showing the
store's "locked" or "login required" error.

Nothing here touches the window's own store: no banner, no lock label, no
offered login of the window (the other store's own form login is used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from zhi_gui.plugin.client import StoreClient
from zhi_gui.services.keyring_service import PassphraseVault
from zhi_gui.session import StoreSession
from zhi_gui.ui.security.context import SecurityContext
from zhi_gui.ui.security.controller import SecurityController
from zhi_gui.ui.security.encryption import EncryptionFlows
from zhi_gui.ui.security.login import LoginFlows

if TYPE_CHECKING:
    from zhi_gui.ui.window_api import WindowApi


class OtherStoreSecurity(SecurityContext):
    """The login / unlock steps of one other store's session (set as its hooks)."""

    def __init__(self, window: WindowApi, vault: PassphraseVault, session: StoreSession, parent: QWidget,
                 offer: tuple[str, dict[str, str]] | None = None) -> None:
        super().__init__(window, vault)
        self.setParent(parent)  # lives as long as the dialog that opened the store
        self.controller = session
        self.parent_widget = parent  # the unlock / login dialogs are modal on that dialog
        self.offer = offer
        self.cancelled = False  # the user cancelled a login or unlock dialog
        self.problem = ""  # why the store stays closed when no dialog could help
        self.encryption = EncryptionFlows(self)
        self.login = LoginFlows(self)
        session.login_handler = self._log_in
        session.unlock_handler = self._unlock

    async def _log_in(self, store: StoreClient) -> None:
        self.cancelled, self.problem = False, ""
        if not await self.login.log_in_to(store):
            self.cancelled = not self.problem

    async def _unlock(self, store: StoreClient) -> None:
        self.cancelled = False
        if not await self.encryption.unlock(store):
            self.cancelled = True

    # --- what differs from the window's store ---------------------------------------------
    def take_offered_login(self) -> tuple[str, dict[str, str]] | None:
        offer, self.offer = self.offer, None
        return offer

    def banner(self, text: str) -> None:
        self.problem = text  # the caller says it where the store was wanted

    def clear_banner(self) -> None:
        self.problem = ""

    def notify(self, text: str) -> None:
        super().notify(f"{self.store_label()}: {text}")


def other_store_security(window: WindowApi, session: StoreSession, parent: QWidget,
                         offer: tuple[str, dict[str, str]] | None = None) -> OtherStoreSecurity | None:
    """Hook ``session`` (another store, not yet opened) into the window's keyring and the
    login / unlock dialogs; None when the window has no security installed (then the
    store opens without those steps)."""
    own = window.main_window().findChild(SecurityController)
    if own is None:
        return None
    return OtherStoreSecurity(window, own.vault, session, parent, offer)
