"""What the lock icon says: the store's encryption state in one word and a sentence (no Qt)."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from zhi_gui.core.model import Capabilities, Encryption, StoreDescription

VAULT_BINARY = "zhi-store-vault"
VAULT_KINDS = frozenset({"vault", "hashicorp-vault", "zhi-store-vault"})


class LockKind(enum.Enum):
    NO_STORE = "no-store"
    UNSUPPORTED = "unsupported"  # the store cannot encrypt
    PLAIN = "plain"  # it can, but is not encrypted
    UNLOCKED = "unlocked"  # encrypted and readable
    LOCKED = "locked"  # encrypted and waiting for its passphrase
    ENCRYPTED = "encrypted"  # encrypted; lock state unknown (a plain zhi plugin has no Describe)
    VAULT = "vault"  # encrypted by the store's back end; passphrases are accepted and ignored


@dataclass(frozen=True)
class LockStatus:
    kind: LockKind
    icon: str
    text: str
    tooltip: str


def ignores_passphrases(plugin_name: str, description: StoreDescription | None) -> bool:
    """Whether the store accepts passphrases but ignores them (zhi-store-vault).

    This is a heuristic: zhi's protocol has no way to say "encryption is done by
    my back end, your passphrase is not used". The store is recognised by its
    binary name (``zhi-store-vault``) or by the ``store_kind`` of the zhi-gui
    extension's Describe. A renamed binary of such a store without the
    extension is not recognised.
    """
    if plugin_name.lower() == VAULT_BINARY or plugin_name.lower().startswith(VAULT_BINARY + "."):
        return True
    return description is not None and description.store_kind.lower() in VAULT_KINDS


def lock_status(capabilities: Capabilities | None, description: StoreDescription | None,
                plugin_name: str = "") -> LockStatus:
    if capabilities is None:
        return LockStatus(LockKind.NO_STORE, "no-encryption", "no store", "No store is open.")
    if ignores_passphrases(plugin_name, description) and capabilities.encryption != Encryption.NONE:
        return LockStatus(LockKind.VAULT, "lock-vault", "encrypted by Vault (passphrase ignored)",
                          "This store is encrypted by HashiCorp Vault. It accepts a passphrase but does not use it:"
                          " encrypting, unlocking or changing a passphrase here changes nothing.")
    if capabilities.encryption == Encryption.NONE:
        return LockStatus(LockKind.UNSUPPORTED, "no-encryption", "no encryption",
                          "This store cannot encrypt its values.")
    if capabilities.encryption == Encryption.SUPPORTED:
        return LockStatus(LockKind.PLAIN, "lock-open", "not encrypted",
                          "This store can encrypt its values but is not encrypted. Store \u25b8 Encrypt store\u2026")
    if description is None:
        return LockStatus(LockKind.ENCRYPTED, "lock-closed", "encrypted",
                          "This store is encrypted. It is a plain zhi plugin, so zhi-gui cannot tell whether it is"
                          " locked.")
    if description.locked:
        return LockStatus(LockKind.LOCKED, "lock-locked", "locked",
                          "This store is encrypted and locked: its values cannot be read until it is unlocked with"
                          " its passphrase. Store \u25b8 Unlock\u2026")
    return LockStatus(LockKind.UNLOCKED, "lock-closed", "encrypted, unlocked",
                      "This store is encrypted at rest and unlocked for this session. Store \u25b8 Lock now locks it"
                      " again.")
