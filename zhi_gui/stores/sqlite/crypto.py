"""Encryption at rest for the SQLite store.

- A random 256-bit **data key** encrypts every value+metadata row and every
  version message with AES-256-GCM (a fresh 96-bit nonce per row).
- The data key is **wrapped** (AES-256-GCM) with a key derived from the
  passphrase by **scrypt**; the scrypt parameters and salt are stored in the
  ``meta`` table next to the wrapped key.
- A wrong passphrase is detected only by the GCM authentication failure of
  the wrapped key: no hash of the passphrase is stored anywhere.
- The associated data of each row binds its ciphertext to the tree id, the
  path and the version seq, so rows cannot be swapped between paths, trees or
  versions without failing authentication.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zhi_gui.core.errors import InvalidArgument, StoreCorrupt, WrongPassphrase

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# ``cryptography`` is imported where a key is derived or a row sealed or opened:
# most stores are not encrypted, and a plugin's handshake should not wait for it.

CIPHER_NAME = "aes-256-gcm"
KDF_NAME = "scrypt"
# About 0.2 s and 64 MiB on a 2020s desktop CPU (n = 2**16, r = 8, p = 1).
DEFAULT_SCRYPT_N = 1 << 16
SCRYPT_R = 8
SCRYPT_P = 1
MIN_SCRYPT_N = 1 << 10  # tests only; the stored n is what unlocking uses
MAX_SCRYPT_N = 1 << 22
KEY_BYTES = 32
NONCE_BYTES = 12
SALT_BYTES = 16
_WRAP_AAD = b"zhi-gui/sqlite/data-key/v1"


@dataclass(frozen=True, slots=True)
class KdfParams:
    n: int
    r: int
    p: int
    salt: bytes

    @classmethod
    def fresh(cls, n: int = DEFAULT_SCRYPT_N) -> KdfParams:
        if not (MIN_SCRYPT_N <= n <= MAX_SCRYPT_N) or n & (n - 1):
            raise InvalidArgument(f"scrypt n must be a power of two in [{MIN_SCRYPT_N}, {MAX_SCRYPT_N}]")
        return cls(n, SCRYPT_R, SCRYPT_P, os.urandom(SALT_BYTES))

    def check(self) -> None:
        ok = (MIN_SCRYPT_N <= self.n <= MAX_SCRYPT_N and not self.n & (self.n - 1)
              and 1 <= self.r <= 64 and 1 <= self.p <= 16 and len(self.salt) >= 8)
        if not ok:
            raise StoreCorrupt(f"the store's key derivation parameters are invalid "
                               f"(n={self.n}, r={self.r}, p={self.p}, salt {len(self.salt)} bytes)")


def derive_key(passphrase: bytes, params: KdfParams) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    params.check()
    kdf = Scrypt(salt=params.salt, length=KEY_BYTES, n=params.n, r=params.r, p=params.p)
    return kdf.derive(bytes(passphrase))


def _wrap_aad(params: KdfParams) -> bytes:
    return _WRAP_AAD + struct.pack(">III", params.n, params.r, params.p) + params.salt


def wrap_data_key(passphrase: bytes, data_key: bytes, params: KdfParams) -> bytes:
    """nonce || AES-GCM(kek, data_key); the KDF parameters are authenticated too."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(derive_key(passphrase, params)).encrypt(nonce, data_key, _wrap_aad(params))


def unwrap_data_key(passphrase: bytes, wrapped: bytes, params: KdfParams) -> bytes:
    """The data key, or WrongPassphrase when authentication fails."""
    if len(wrapped) != NONCE_BYTES + KEY_BYTES + 16:
        raise StoreCorrupt("the store's wrapped data key has the wrong size")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    kek = derive_key(passphrase, params)
    try:
        key = AESGCM(kek).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _wrap_aad(params))
    except InvalidTag:
        raise WrongPassphrase("wrong passphrase: it does not open this store's key") from None
    return key


def new_data_key() -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM.generate_key(bit_length=256)


def _aad(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


class RowCipher:
    """Seals and opens rows under the data key."""

    def __init__(self, data_key: bytes) -> None:
        if len(data_key) != KEY_BYTES:
            raise StoreCorrupt("the store's data key has the wrong size")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead: AESGCM = AESGCM(data_key)
        self._failed = (InvalidTag, ValueError)  # what a row that fails authentication raises

    def seal_value(self, tree: str, path: str, seq: int, value: bytes, meta: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        plain = struct.pack(">I", len(value)) + value + meta
        aad = _aad(b"value", tree.encode(), path.encode(), str(seq).encode())
        return nonce + self._aead.encrypt(nonce, plain, aad)

    def open_value(self, tree: str, path: str, seq: int, blob: bytes) -> tuple[bytes, bytes]:
        aad = _aad(b"value", tree.encode(), path.encode(), str(seq).encode())
        try:
            plain = self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
        except self._failed:
            raise StoreCorrupt(
                f"the encrypted value of {path!r} in tree {tree!r} (version {seq}) fails authentication: "
                "the store file was modified or damaged", {"path": path, "tree_id": tree}) from None
        (size,) = struct.unpack_from(">I", plain)
        return plain[4:4 + size], plain[4 + size:]

    def seal_message(self, tree: str, seq: int, message: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        aad = _aad(b"message", tree.encode(), str(seq).encode())
        return nonce + self._aead.encrypt(nonce, message.encode(), aad)

    def open_message(self, tree: str, seq: int, blob: bytes) -> str:
        aad = _aad(b"message", tree.encode(), str(seq).encode())
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad).decode()
        except (*self._failed, UnicodeDecodeError):
            raise StoreCorrupt(f"the encrypted message of version {seq} in tree {tree!r} fails "
                               "authentication: the store file was modified or damaged",
                               {"tree_id": tree}) from None
