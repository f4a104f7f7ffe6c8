"""The sentences for what went wrong, kept apart on purpose.

A wrong passphrase (the store refused it), a locked keyring (the desktop's
secret store would not open) and no secure keyring at all (nothing can be
remembered, and nothing is stored elsewhere instead) are three different
problems with three different remedies; Vorta once showed one message for
the first two.
"""

from __future__ import annotations

from zhi_gui.core import errors as E
from zhi_gui.services.keyring_service import (
    Availability,
    AvailabilityStatus,
    KeyringLocked,
    KeyringUnavailable,
    VaultError,
)

WRONG_PASSPHRASE = "Wrong passphrase: the store did not accept it. Nothing was changed; try again."
WRONG_OLD_PASSPHRASE = "The current passphrase is wrong: the store did not accept it. Nothing was changed."
STALE_KEYRING_PASSPHRASE = ("The passphrase remembered in the keyring does not open this store (was it changed"
                            " elsewhere?). Type the passphrase.")
STALE_KEYRING_LOGIN = "The login remembered in the keyring was refused by the store. Log in again."


def keyring_problem(exc: VaultError) -> str:
    """One sentence for a keyring failure; never confused with a wrong passphrase.

    The vault's own messages already say which case it is ("No secure keyring
    is available (...)", "The system keyring is locked (...)").
    """
    if isinstance(exc, KeyringUnavailable):
        return str(exc)
    if isinstance(exc, KeyringLocked):
        return f"{exc} (The passphrase itself was not tried: this is not a wrong passphrase.)"
    return f"The keyring failed: {exc}"


def availability_problem(availability: Availability) -> str:
    """Why "Remember in keyring" cannot be offered ('' when it can)."""
    if availability.status is AvailabilityStatus.OK:
        return ""
    return availability.message


def availability_from_error(exc: VaultError) -> Availability:
    if isinstance(exc, KeyringLocked):
        return Availability(AvailabilityStatus.LOCKED, str(exc))
    return Availability(AvailabilityStatus.NO_BACKEND, str(exc))


def store_problem(exc: BaseException) -> str:
    """A store's refusal, for the dialog that caused it."""
    if isinstance(exc, E.WrongPassphrase):
        return WRONG_PASSPHRASE
    if isinstance(exc, E.AuthRequired):
        return f"Login refused: {_message(exc)}"
    if isinstance(exc, E.AccessDenied):
        return f"Access denied: {_message(exc)}"
    if isinstance(exc, E.EncryptionNotInitialised):
        return f"This store is not encrypted: {_message(exc)}"
    if isinstance(exc, E.InvalidArgument):
        return f"The store refused: {_message(exc)}"
    if isinstance(exc, E.Unsupported):
        return f"The store does not support this: {_message(exc)}"
    if isinstance(exc, E.PluginError):
        return f"The store plugin is not available: {_message(exc)}"
    return _message(exc)


def _message(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
