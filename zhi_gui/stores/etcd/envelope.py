"""What one etcd value key holds, plain or encrypted with the sqlite store's scheme.

- plain:     ``0x00 | uint32 len(value) | value_json | metadata_json``
- encrypted: ``0x01 | RowCipher.seal_value(tree, path, 0, value, metadata)``
  (zhi_gui.stores.sqlite.crypto: AES-256-GCM under a random data key; the
  associated data binds the ciphertext to its tree and path). The version
  number in the associated data is always 0: the etcd revision of a write is
  only known after its transaction.
- the key ``R crypto`` holds the scrypt parameters and the wrapped data key as
  JSON (``EncryptionRecord``); no hash of the passphrase is stored.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass

from zhi_gui.core import errors as E
from zhi_gui.stores.sqlite.crypto import CIPHER_NAME, KDF_NAME, KdfParams, RowCipher

PLAIN = b"\x00"
SEALED = b"\x01"


def seal(value: bytes, meta: bytes, cipher: RowCipher | None, tree_id: str, path: str) -> bytes:
    if cipher is not None:
        return SEALED + cipher.seal_value(tree_id, path, 0, value, meta)
    return PLAIN + struct.pack(">I", len(value)) + value + meta


def unseal(blob: bytes, cipher: RowCipher | None, tree_id: str, path: str) -> tuple[bytes, bytes]:
    kind = blob[:1]
    if kind == SEALED:
        if cipher is None:
            raise E.StoreLocked("the store is encrypted and locked: unlock it with its passphrase")
        return cipher.open_value(tree_id, path, 0, blob[1:])
    if kind != PLAIN or len(blob) < 5:
        raise E.StoreCorrupt(f"the etcd key of {path!r} in tree {tree_id!r} does not hold a zhi value envelope",
                             {"path": path, "tree_id": tree_id})
    (size,) = struct.unpack_from(">I", blob, 1)
    if 5 + size > len(blob):
        raise E.StoreCorrupt(f"the etcd key of {path!r} in tree {tree_id!r} holds a truncated value envelope",
                             {"path": path, "tree_id": tree_id})
    return blob[5:5 + size], blob[5 + size:]


@dataclass(frozen=True, slots=True)
class EncryptionRecord:
    params: KdfParams
    wrapped: bytes

    def encode(self) -> bytes:
        p = self.params
        return json.dumps({"cipher": CIPHER_NAME, "kdf": KDF_NAME, "n": p.n, "r": p.r, "p": p.p,
                           "salt": base64.b64encode(p.salt).decode(),
                           "wrapped_key": base64.b64encode(self.wrapped).decode()}).encode()

    @classmethod
    def decode(cls, data: bytes) -> EncryptionRecord:
        try:
            record = json.loads(data)
            if record["cipher"] != CIPHER_NAME or record["kdf"] != KDF_NAME:
                raise E.StoreCorrupt(f"the store's encryption ({record['cipher']}, {record['kdf']}) is not "
                                     f"{CIPHER_NAME} with {KDF_NAME}: written by a newer zhi-gui?")
            params = KdfParams(int(record["n"]), int(record["r"]), int(record["p"]),
                               base64.b64decode(record["salt"], validate=True))
            wrapped = base64.b64decode(record["wrapped_key"], validate=True)
        except (ValueError, KeyError, TypeError):
            raise E.StoreCorrupt("the store's encryption record in etcd is damaged") from None
        params.check()
        return cls(params, wrapped)
