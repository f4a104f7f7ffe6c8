"""Encryption, the OS keyring and login, for the main window.

One entry point: :func:`install_security` sets the store controller's unlock
and login hooks, adds the Store menu's actions (Encrypt store..., Unlock...,
Change passphrase..., Lock now, Forget passphrase, Log in..., Log out, Forget
remembered login) and keeps the lock state in the store bar up to date.

Modules: ``state`` (what the lock icon says, no Qt), ``messages`` (wrong
passphrase vs locked keyring vs no secure keyring), ``widgets`` (masked
fields, strength meter, remember box, a dialog that stays open on OK),
``passphrase_dialogs`` and ``login_dialog`` (input only), ``encryption`` and
``login`` (the coroutines), ``controller`` (actions, label, shared helpers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from zhi_gui.ui.security.state import LockKind, LockStatus, ignores_passphrases, lock_status

if TYPE_CHECKING:
    from zhi_gui.services.keyring_service import PassphraseVault
    from zhi_gui.ui.security.controller import SecurityController
    from zhi_gui.ui.security.login import login_entry
    from zhi_gui.ui.window_api import WindowApi

# Loaded when first asked for, not with the package: the app loads the modules one per
# turn of its event loop after the first paint (``app.completion_steps``), and importing
# any of them imports this package first.
_LAZY = {"SecurityController": "zhi_gui.ui.security.controller", "login_entry": "zhi_gui.ui.security.login"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "LockKind",
    "LockStatus",
    "SecurityController",
    "ignores_passphrases",
    "install_security",
    "lock_status",
    "login_entry",
]


def install_security(window: WindowApi, vault: PassphraseVault | None = None,
                     idle_lock_minutes: int = 0, lock_on_screen_lock: bool = False) -> SecurityController:
    """Wire encryption, keyring and login into ``window`` (default vault: the OS keyring);
    ``idle_lock_minutes`` > 0 locks an unlocked store after that long without input,
    ``lock_on_screen_lock`` when the desktop locks the screen (session D-Bus)."""
    from zhi_gui.services.keyring_service import SystemKeyring
    from zhi_gui.ui.security.controller import SecurityController

    # The controller is a child of the window (Qt keeps it as long as the window lives).
    return SecurityController(window, vault if vault is not None else SystemKeyring(), idle_lock_minutes,
                              lock_on_screen_lock)
