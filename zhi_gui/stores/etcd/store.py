"""zhi-store-etcd: zhi trees in etcd (v3 API).

Key layout under the root prefix R (default ``/zhi/``):

- ``R trees/<tree_id>/<path>``: one key per value. Its content is an envelope
  ``0x00 | uint32 len(value) | value_json | metadata_json`` so value and
  metadata change together in one key and the value's bytes are kept verbatim.
  The value's version (for per-path CAS) is the key's ``mod_revision``.
- ``R heads/<tree_id>``: the tree's head record, rewritten by every write of
  the tree in the same transaction: JSON ``{"time", "author", "message",
  "kind", "changed"}``. etcd stores no time or author, so this record keeps
  them; its ``mod_revision`` is the tree's current version (tree CAS compares
  it) and its MVCC history lists the tree's versions (read through a Watch
  from the head's create revision), until etcd compacts them away.

A tree version is thus the etcd revision of a transaction that wrote the tree;
reading a version is a range read at that revision.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import grpc
from aetcd import rpc
from aetcd.utils import prefix_range_end

from zhi_gui.core import errors as E
from zhi_gui.core.jsonvalues import check_metadata_json, check_value_json
from zhi_gui.core.model import (
    AuthField,
    AuthMethod,
    Capabilities,
    Encryption,
    Entry,
    LoginResult,
    StoreDescription,
    TreeChange,
    TreeChunk,
    VersionInfo,
    Versioning,
    VersionPage,
)
from zhi_gui.core.paths import under_prefix, validate_path, validate_tree_id
from zhi_gui.plugin.store_api import Store
from zhi_gui.stores.common import conflict, default_author, expected_versions, now_rfc3339, read_passphrase
from zhi_gui.stores.etcd.conn import COMPACTED, Connection, classify
from zhi_gui.stores.etcd.envelope import EncryptionRecord, seal, unseal
from zhi_gui.stores.etcd.options import EtcdOptions
from zhi_gui.stores.sqlite.crypto import (
    DEFAULT_SCRYPT_N,
    KdfParams,
    RowCipher,
    new_data_key,
    unwrap_data_key,
    wrap_data_key,
)

_FEATURES = frozenset({"ListPaths", "StreamTree", "DescribeVersions", "WriteValues", "Unlock", "Lock", "WatchTree"})
log = logging.getLogger("zhi_gui.stores.etcd")
_PAGE = 5000  # keys per range page
_BATCH = 100  # operations per read-only transaction (etcd's default --max-txn-ops is 128)
_RETRIES = 5
HISTORY_STEPS = 64  # head records read backwards before a whole replay is cheaper


def _not_found(tree_id: str, version: str, why: str) -> E.NotFound:
    return E.NotFound(f"version {version!r} of tree {tree_id!r} {why}", {"tree_id": tree_id, "path": "",
                                                                       "version": version})


class EtcdStore(Store):
    serves_extension = True

    def __init__(self, options: Mapping[str, Any] | None = None, *, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
        self.options = EtcdOptions.parse(options)
        self.scrypt_n = scrypt_n  # tests use a cheaper one; the record keeps the n it was made with
        self.conn = Connection(self.options)
        self.root = self.options.root.encode()
        self.cipher: RowCipher | None = None
        # mod_revision of the encryption record as last read (0: none, -1: not read yet);
        # every write compares it, so no client writes plain values into an encrypted store
        self._crypto_rev = -1
        self._record_cache: EncryptionRecord | None = None
        self._auto_unlock_tried = False
        # tree -> (create revision of its head, last revision read, head records oldest first,
        # compacted): the history is read once, then only the revisions after it
        self._histories: dict[str, tuple[int, int, list[Any], bool]] = {}

    # --- keys ---------------------------------------------------------------
    def _head(self, tree_id: str) -> bytes:
        return self.root + b"heads/" + tree_id.encode()

    def _prefix(self, tree_id: str) -> bytes:
        return self.root + b"trees/" + tree_id.encode() + b"/"

    def _key(self, tree_id: str, path: str) -> bytes:
        return self._prefix(tree_id) + path.encode()

    def _put(self, tree_id: str, entry: Entry, cipher: RowCipher | None = None) -> Any:
        value = seal(entry.value_json or b"null", entry.metadata_json, cipher or self.cipher, tree_id, entry.path)
        return rpc.RequestOp(request_put=rpc.PutRequest(key=self._key(tree_id, entry.path), value=value))

    @property
    def _crypto_key(self) -> bytes:
        return self.root + b"crypto"

    # --- low-level reads ------------------------------------------------------
    def _require_login(self) -> None:
        if self.conn.needs_login:
            raise E.AuthRequired("login required", {"reason": "not logged in"})

    async def _read_crypto(self) -> EncryptionRecord | None:
        response = await self._range(self._crypto_key)
        kv = response.kvs[0] if response.kvs else None
        self._crypto_rev = kv.mod_revision if kv else 0
        self._record_cache = EncryptionRecord.decode(kv.value) if kv else None
        if self._record_cache is None:
            self.cipher = None
        return self._record_cache

    async def _ready(self) -> None:
        """Logged in, and unlocked when the store is encrypted."""
        self._require_login()
        if self._crypto_rev < 0:
            await self._read_crypto()
        if self._record_cache is None or self.cipher is not None:
            return
        if not self._auto_unlock_tried and (self.options.passphrase_file or self.options.passphrase_env):
            self._auto_unlock_tried = True
            passphrase, where = read_passphrase(self.options.passphrase_file, self.options.passphrase_env)
            try:
                await self.unlock(passphrase)
                log.info("store unlocked with the passphrase from %s", where)
                return
            except E.WrongPassphrase:
                log.warning("the passphrase from %s does not open this store; it stays locked", where)
        raise E.StoreLocked("the store is encrypted and locked: unlock it with its passphrase")

    def _crypto_compare(self) -> Any:
        return rpc.Compare(key=self._crypto_key, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                           mod_revision=max(self._crypto_rev, 0))

    async def _encryption_changed(self) -> E.StoreError:
        """Another client changed the encryption record since it was read."""
        await self._read_crypto()
        if self._record_cache is not None and self.cipher is None:
            return E.StoreLocked("another client turned on this store's encryption; unlock it with its passphrase")
        return E.CASConflict("another client changed this store's encryption meanwhile; nothing was written, "
                             "save again", {"path": "", "expected": "", "actual": ""})

    async def _range(self, key: bytes, end: bytes = b"", revision: int = 0, keys_only: bool = False) -> Any:
        request = rpc.RangeRequest(key=key, range_end=end, revision=revision, keys_only=keys_only)
        return await self.conn.call("kv", "Range", request)

    async def _scan(self, start: bytes, end: bytes, revision: int = 0,
                    keys_only: bool = False) -> AsyncIterator[tuple[int, list[Any]]]:
        """(revision, page of kvs) in key order, every page read at one revision."""
        while True:
            request = rpc.RangeRequest(key=start, range_end=end, revision=revision, keys_only=keys_only,
                                       limit=_PAGE)
            response = await self.conn.call("kv", "Range", request)
            revision = revision or response.header.revision
            kvs = list(response.kvs)
            yield revision, kvs
            if not response.more or not kvs:
                return
            start = kvs[-1].key + b"\0"

    async def _head_kv(self, tree_id: str, revision: int = 0) -> Any | None:
        response = await self._range(self._head(tree_id), revision=revision)
        return response.kvs[0] if response.kvs else None

    def _entry(self, tree_id: str, kv: Any) -> Entry:
        path = kv.key[len(self._prefix(tree_id)):].decode()
        value, meta = unseal(kv.value, self.cipher, tree_id, path)
        return Entry(path, value, meta, str(kv.mod_revision))

    async def _entries(self, tree_id: str, revision: int = 0, prefix: str = "") -> tuple[int, list[Entry]]:
        start = self._prefix(tree_id) + prefix.encode()
        out: list[Entry] = []
        rev = revision
        async for page_rev, kvs in self._scan(start, prefix_range_end(start), revision):
            rev = page_rev
            out.extend(self._entry(tree_id, kv) for kv in kvs)
        return rev, [e for e in out if under_prefix(e.path, prefix)]

    async def _get_paths(self, tree_id: str, paths: Sequence[str], revision: int = 0) -> list[Entry]:
        """Named paths, one read-only transaction per batch."""
        found: dict[str, Entry] = {}
        wanted = list(dict.fromkeys(paths))
        for start in range(0, len(wanted), _BATCH):
            ops = [rpc.RequestOp(request_range=rpc.RangeRequest(key=self._key(tree_id, p), revision=revision))
                   for p in wanted[start:start + _BATCH]]
            response = await self.conn.call("kv", "Txn", rpc.TxnRequest(success=ops))
            for op in response.responses:
                for kv in op.response_range.kvs:
                    entry = self._entry(tree_id, kv)
                    found[entry.path] = entry
        return [found[p] for p in wanted if p in found]

    # --- StoreService -----------------------------------------------------------
    async def capabilities(self) -> Capabilities:
        try:
            record = self._record_cache if self._crypto_rev >= 0 else await self._read_crypto()
        except E.StoreError:
            record = None  # not logged in yet or unreachable: the store will say so on the next call
        encryption = Encryption.ACTIVE if record is not None else Encryption.SUPPORTED
        return Capabilities(Versioning.TREE, encryption, bool(self.options.user), False)

    async def auth_methods(self) -> list[AuthMethod]:
        if not self.options.user:
            return []
        return [AuthMethod("userpass", "etcd user name and password", (
            AuthField("username", "user name", required=True),
            AuthField("password", "password", required=True, secret=True),
        ))]

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        if not self.options.user:
            raise E.Unsupported("this store has no authentication (no etcd user configured)", {"feature": "auth"})
        if method != "userpass":
            raise E.AuthRequired(f"unknown login method {method!r}", {"reason": "unknown method"})
        user = credentials.get("username", "") or self.options.user
        try:
            await self.conn.login(user, credentials.get("password", ""))
        except E.AuthRequired:
            raise E.AuthRequired("invalid user name or password", {"reason": "invalid credentials"}) from None
        return LoginResult(token="etcd-session", metadata={"user": user})

    async def list_trees(self) -> list[str]:
        await self._ready()
        start = self.root + b"heads/"
        ids: list[str] = []
        async for _, kvs in self._scan(start, prefix_range_end(start), keys_only=True):
            ids.extend(kv.key[len(start):].decode() for kv in kvs)
        return ids

    async def delete_tree(self, tree_id: str) -> None:
        await self._ready()
        validate_tree_id(tree_id)
        prefix = self._prefix(tree_id)
        everything = rpc.DeleteRangeRequest(key=prefix, range_end=prefix_range_end(prefix))
        ops = [rpc.RequestOp(request_delete_range=everything),
               rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=self._head(tree_id)))]
        await self.conn.call("kv", "Txn", rpc.TxnRequest(success=ops))

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        await self._ready()
        validate_tree_id(tree_id)
        if not paths:
            return (await self._entries(tree_id))[1]
        return await self._get_paths(tree_id, paths)

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self.write_values(tree_id, entries, (), cas_version, cas_versions)

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self.write_values(tree_id, (), paths)

    def _record(self, tree_id: str, kind: str, changed: int, message: str = "", author: str = "") -> bytes:
        record: dict[str, Any] = {"time": now_rfc3339(), "author": author or self.options.author or default_author(),
                                  "message": message, "kind": kind, "changed": changed}
        if self.cipher is not None and message:
            sealed = self.cipher.seal_message(tree_id, 0, message)
            record.update(message="", message_sealed=base64.b64encode(sealed).decode())
        return json.dumps(record, separators=(",", ":")).encode()

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        await self._ready()
        validate_tree_id(tree_id)
        for entry in entries:
            validate_path(entry.path)
            check_value_json(entry.value_json)
            check_metadata_json(entry.metadata_json)
        for path in delete_paths:
            validate_path(path)
        head = self._head(tree_id)
        compares: list[Any] = []
        checks: list[tuple[str, str]] = []  # (path or '' for the tree, expected)
        if cas_version:
            if not cas_version.isdigit():
                actual = await self._head_kv(tree_id)
                raise conflict("", cas_version, str(actual.mod_revision) if actual else "")
            compares.append(rpc.Compare(key=head, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                                        mod_revision=int(cas_version)))
            checks.append(("", cas_version))
        for path, expected in expected_versions(entries, cas_versions).items():
            key = self._key(tree_id, path)
            if expected == "":
                compares.append(rpc.Compare(key=key, target=rpc.Compare.VERSION, result=rpc.Compare.EQUAL, version=0))
            elif expected.isdigit():
                compares.append(rpc.Compare(key=key, target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                                            mod_revision=int(expected)))
            else:
                (current,) = await self._get_paths(tree_id, [path]) or [Entry(path)]
                raise conflict(path, expected, current.version)
            checks.append((path, expected))
        deletes = list(dict.fromkeys(delete_paths))
        # etcd refuses a transaction naming one key twice: the last put of a path
        # wins, and a delete wins over a put (puts apply first in the other stores)
        gone = set(deletes)
        entries = [e for e in {e.path: e for e in entries}.values() if e.path not in gone]
        if deletes and not entries:
            # a delete of nothing at all makes no version (as the other stores)
            deletes = [e.path for e in await self._get_paths(tree_id, deletes)]
            if not deletes:
                kv = await self._head_kv(tree_id)
                return str(kv.mod_revision) if kv else ""
        if not entries and not deletes:
            kv = await self._head_kv(tree_id)
            return str(kv.mod_revision) if kv else ""
        kind = "delete" if deletes and not entries else "write"
        ops = [self._put(tree_id, e)
               for e in entries]
        ops += [rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=self._key(tree_id, p)))
                for p in deletes]
        ops.append(rpc.RequestOp(request_put=rpc.PutRequest(
            key=head, value=self._record(tree_id, kind, len(entries) + len(deletes), message, author))))
        failure = [rpc.RequestOp(request_range=rpc.RangeRequest(key=self._crypto_key))]
        failure += [rpc.RequestOp(request_range=rpc.RangeRequest(
            key=head if not path else self._key(tree_id, path))) for path, _ in checks]
        compares.append(self._crypto_compare())
        response = await self.conn.call("kv", "Txn", rpc.TxnRequest(compare=compares, success=ops, failure=failure))
        if not response.succeeded:
            crypto_kvs = response.responses[0].response_range.kvs
            if (crypto_kvs[0].mod_revision if crypto_kvs else 0) != self._crypto_rev:
                raise await self._encryption_changed()
            for (path, expected), op in zip(checks, response.responses[1:], strict=True):
                kvs = op.response_range.kvs
                actual = str(kvs[0].mod_revision) if kvs else ""
                if actual != expected:
                    raise conflict(path, expected, actual)
            raise conflict("", cas_version, "")  # unreachable unless etcd lies
        return str(response.header.revision)

    # --- tree versions ------------------------------------------------------------
    async def _history(self, tree_id: str) -> tuple[list[Any], bool]:
        """(head record kvs of the tree's current incarnation, newest first; whether
        older ones were compacted away). Read through a Watch from the head's create
        revision up to its current mod revision: etcd replays past events to a watch."""
        head = await self._head_kv(tree_id)
        if head is None:
            self._histories.pop(tree_id, None)
            return [], False
        start, last = head.create_revision, head.mod_revision
        known = self._histories.get(tree_id)
        if known is not None and known[0] == head.create_revision and known[1] <= last:
            # The same incarnation of the tree: only the revisions after the last one read.
            # (Replaying from its creation scans every key it ever wrote: 100 ms at 100,000.)
            _, read_up_to, older, compacted = known
            newer = await self._head_records_after(tree_id, head, read_up_to)
            if newer is not None and older and not await self._readable(tree_id, older[0].mod_revision):
                newer = None  # compacted since: the full read below drops what is gone
            if newer is not None:
                kvs = older + newer
                self._histories[tree_id] = (head.create_revision, last, kvs, compacted)
                return list(reversed(kvs)), compacted
        compacted = False
        while True:
            events, compact_revision = await self._replay(self._head(tree_id), start, last)
            if compact_revision:
                start, compacted = compact_revision, True
                continue
            kvs = [ev.kv for ev in events if ev.type == 0]  # PUTs; a DELETE ends an incarnation
            self._histories[tree_id] = (head.create_revision, last, kvs, compacted)
            return list(reversed(kvs)), compacted

    async def _readable(self, tree_id: str, revision: int) -> bool:
        try:
            await self._head_kv(tree_id, revision)
        except E.NotFound:
            return False  # compacted
        return True

    async def _head_records_after(self, tree_id: str, head: Any, revision: int) -> list[Any] | None:
        """The head records written after ``revision``, oldest first, read backwards one
        revision at a time (a Range at a past revision answers at once; a Watch replay waits
        for etcd's next sync of unsynced watchers, up to 100 ms). None: too many, or compacted."""
        newer: list[Any] = []
        current = head
        while current.mod_revision > revision:
            if len(newer) >= HISTORY_STEPS:
                return None
            newer.append(current)
            if current.version <= 1:
                break  # the record's creation: nothing older in this incarnation
            try:
                current = await self._head_kv(tree_id, current.mod_revision - 1)
            except E.NotFound:
                return None  # compacted meanwhile: read it all again
            if current is None:
                return None
        return list(reversed(newer))

    async def _replay(self, key: bytes, start: int, last: int) -> tuple[list[Any], int]:
        call = await self.conn.watch(_requests(rpc.WatchRequest(
            create_request=rpc.WatchCreateRequest(key=key, start_revision=start))))
        events: list[Any] = []
        try:
            async for response in call:
                if response.compact_revision:
                    return [], int(response.compact_revision)
                if response.canceled:
                    raise E.StoreError(f"etcd cancelled the history read: {response.cancel_reason}")
                events.extend(response.events)
                if any(ev.kv.mod_revision >= last for ev in response.events):
                    break
        except grpc.aio.AioRpcError as exc:
            raise classify(exc, "etcd Watch") from None
        finally:
            call.cancel()
        return [ev for ev in events if ev.kv.mod_revision <= last], 0

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        await self._ready()
        validate_tree_id(tree_id)
        kvs, _ = await self._history(tree_id)
        return [str(kv.mod_revision) for kv in kvs]

    async def _check_version(self, tree_id: str, version: str) -> int:
        if not version.isdigit() or int(version) <= 0:
            raise _not_found(tree_id, version, "does not exist (versions are etcd revisions)")
        revision = int(version)
        try:
            head = await self._head_kv(tree_id, revision)
        except E.NotFound as exc:
            if exc.details.get("reason") == "compacted":
                raise _not_found(tree_id, version, f"was {COMPACTED} by etcd's compaction") from None
            raise
        except E.StoreError as exc:
            if "future revision" in exc.message:
                raise _not_found(tree_id, version, "does not exist yet") from None
            raise
        if head is None or head.mod_revision != revision:
            raise _not_found(tree_id, version, "is not a version of this tree")
        return revision

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        await self._ready()
        validate_tree_id(tree_id)
        revision = await self._check_version(tree_id, version)
        if not paths:
            return (await self._entries(tree_id, revision))[1]
        return await self._get_paths(tree_id, paths, revision)

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        await self._ready()
        validate_tree_id(tree_id)
        revision = await self._check_version(tree_id, version)
        target = {e.path: e for e in (await self._entries(tree_id, revision))[1]}
        for _ in range(_RETRIES):
            head = await self._head_kv(tree_id)
            if head is None:
                raise E.NotFound(f"tree {tree_id!r} not found", {"tree_id": tree_id, "path": ""})
            current = {e.path: e for e in (await self._entries(tree_id, head.mod_revision))[1]}
            puts = [e for p, e in target.items() if p not in current or current[p][1:3] != e[1:3]]
            deletes = [p for p in current if p not in target]
            ops = [self._put(tree_id, e) for e in puts]
            ops += [rpc.RequestOp(request_delete_range=rpc.DeleteRangeRequest(key=self._key(tree_id, p)))
                    for p in deletes]
            ops.append(rpc.RequestOp(request_put=rpc.PutRequest(
                key=self._head(tree_id), value=self._record(tree_id, "rollback", len(puts) + len(deletes),
                                                            f"rollback to {version}"))))
            # one transaction, and only over the head it was computed from
            same_head = rpc.Compare(key=self._head(tree_id), target=rpc.Compare.MOD, result=rpc.Compare.EQUAL,
                                    mod_revision=head.mod_revision)
            response = await self.conn.call("kv", "Txn", rpc.TxnRequest(
                compare=[same_head, self._crypto_compare()], success=ops))
            if response.succeeded:
                return
            if (await self._read_crypto()) is not None and self.cipher is None:
                raise E.StoreLocked("another client turned on this store's encryption; unlock it with its passphrase")
        raise E.CASConflict(f"tree {tree_id!r} kept changing during the rollback; try again",
                            {"path": "", "expected": "", "actual": ""})

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        raise E.Unsupported("etcd cannot delete one revision of its history (only compact all older ones)",
                            {"feature": "delete_tree_version"})

    # --- encryption ------------------------------------------------------------
    async def init_encryption(self, passphrase: bytes) -> None:
        """Seal every current value of every tree and write the encryption record,
        all in one transaction (each tree gets a new version). Older revisions
        stay readable in plain text in etcd's history until it is compacted."""
        self._require_login()
        if not passphrase:
            raise E.InvalidArgument("the passphrase must not be empty")
        if await self._read_crypto() is not None:
            raise E.InvalidArgument("encryption is already active")
        data_key = new_data_key()
        params = KdfParams.fresh(self.scrypt_n)
        record = EncryptionRecord(params, wrap_data_key(passphrase, data_key, params))
        cipher = RowCipher(data_key)
        for _ in range(_RETRIES):
            compares = [rpc.Compare(key=self._crypto_key, target=rpc.Compare.VERSION, result=rpc.Compare.EQUAL,
                                    version=0)]
            ops = [rpc.RequestOp(request_put=rpc.PutRequest(key=self._crypto_key, value=record.encode()))]
            for tree_id in await self.list_trees():
                head = await self._head_kv(tree_id)
                if head is None:
                    continue
                _, entries = await self._entries(tree_id, head.mod_revision)
                compares.append(rpc.Compare(key=self._head(tree_id), target=rpc.Compare.MOD,
                                            result=rpc.Compare.EQUAL, mod_revision=head.mod_revision))
                ops += [self._put(tree_id, e, cipher) for e in entries]
                self.cipher = cipher  # only to seal the head record's message
                try:
                    record_bytes = self._record(tree_id, "write", len(entries), "encryption initialised")
                finally:
                    self.cipher = None
                ops.append(rpc.RequestOp(request_put=rpc.PutRequest(key=self._head(tree_id), value=record_bytes)))
            response = await self.conn.call("kv", "Txn", rpc.TxnRequest(compare=compares, success=ops))
            if response.succeeded:
                self.cipher = cipher
                await self._read_crypto()
                return
            if await self._read_crypto() is not None:
                raise E.InvalidArgument("another client initialised this store's encryption meanwhile")
        raise E.CASConflict("the store kept changing while its encryption was initialised; try again",
                            {"path": "", "expected": "", "actual": ""})

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        """Re-wrap the data key under the new passphrase; the values stay as they are."""
        self._require_login()
        record = await self._read_crypto()
        if record is None:
            raise E.EncryptionNotInitialised("encryption is not initialised")
        if not new_passphrase:
            raise E.InvalidArgument("the new passphrase must not be empty")
        try:
            data_key = unwrap_data_key(old_passphrase, record.wrapped, record.params)
        except E.WrongPassphrase:
            raise E.WrongPassphrase("the old passphrase is wrong; nothing was changed") from None
        params = KdfParams.fresh(self.scrypt_n)
        new = EncryptionRecord(params, wrap_data_key(new_passphrase, data_key, params))
        response = await self.conn.call("kv", "Txn", rpc.TxnRequest(
            compare=[self._crypto_compare()],
            success=[rpc.RequestOp(request_put=rpc.PutRequest(key=self._crypto_key, value=new.encode()))]))
        if not response.succeeded:
            await self._read_crypto()
            raise E.CASConflict("another client changed the passphrase meanwhile; nothing was changed",
                                {"path": "", "expected": "", "actual": ""})
        self.cipher = RowCipher(data_key)
        await self._read_crypto()

    async def unlock(self, passphrase: bytes) -> None:
        self._require_login()
        record = await self._read_crypto()
        if record is None:
            raise E.EncryptionNotInitialised("encryption is not initialised")
        self.cipher = RowCipher(unwrap_data_key(passphrase, record.wrapped, record.params))

    async def lock(self) -> None:
        self.cipher = None

    # --- extension --------------------------------------------------------------------
    async def describe(self) -> StoreDescription:
        endpoints = ",".join(e.target for e in self.options.endpoints)
        if self._crypto_rev < 0:
            with contextlib.suppress(E.StoreError):  # not logged in yet: 'locked' is not known
                await self._read_crypto()
        locked = self._record_cache is not None and self.cipher is None
        return StoreDescription(1, "etcd", f"etcd://{endpoints}{self.options.root}", _FEATURES, locked)

    async def _revision_of(self, tree_id: str, version: str) -> int:
        return await self._check_version(tree_id, version) if version else 0

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        await self._ready()
        validate_tree_id(tree_id)
        revision = await self._revision_of(tree_id, version)
        start = self._prefix(tree_id) + prefix.encode()
        cut = len(self._prefix(tree_id))
        paths: list[str] = []
        async for _, kvs in self._scan(start, prefix_range_end(start), revision, keys_only=True):
            paths.extend(kv.key[cut:].decode() for kv in kvs)
        return [p for p in paths if under_prefix(p, prefix)]

    async def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                          chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        await self._ready()
        validate_tree_id(tree_id)
        revision = await self._revision_of(tree_id, version)
        # every chunk and the head come from one revision, even while others write
        rev, entries = await self._entries(tree_id, revision, prefix)
        head = await self._head_kv(tree_id, rev)
        head_id = str(head.mod_revision) if head is not None else ""
        size = chunk_size or 2000
        for start in range(0, max(len(entries), 1), size):
            yield TreeChunk(tuple(entries[start:start + size]), head_id, len(entries))

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        await self._ready()
        validate_tree_id(tree_id)
        kvs, _ = await self._history(tree_id)
        infos = [self._info(tree_id, kv) for kv in kvs]
        if versions:
            by_id = {i.id: i for i in infos}
            return VersionPage(tuple(by_id[v] for v in versions if v in by_id), len(infos))
        end = offset + limit if limit else None
        return VersionPage(tuple(infos[offset:end]), len(infos))

    def _info(self, tree_id: str, kv: Any) -> VersionInfo:
        try:
            record = json.loads(kv.value)
        except ValueError:
            record = {}
        if not isinstance(record, dict):
            record = {}
        message = str(record.get("message", ""))
        sealed = record.get("message_sealed")
        if isinstance(sealed, str) and self.cipher is not None:
            message = self.cipher.open_message(tree_id, 0, base64.b64decode(sealed))
        return VersionInfo(str(kv.mod_revision), str(record.get("time", "")), str(record.get("author", "")),
                           message, int(record.get("changed", 0) or 0),
                           str(record.get("kind", "")))

    async def watch_tree(self, tree_id: str, after_version: str = "") -> AsyncIterator[TreeChange]:
        """An etcd watch on the tree's value keys: one change per revision that
        wrote them (etcd sends the events of one revision in one response)."""
        await self._ready()
        validate_tree_id(tree_id)
        if after_version and not after_version.isdigit():
            raise _not_found(tree_id, after_version, "does not exist (versions are etcd revisions)")
        prefix = self._prefix(tree_id)
        start = int(after_version) + 1 if after_version else 0  # 0: from now
        call = await self.conn.watch(_requests(rpc.WatchRequest(create_request=rpc.WatchCreateRequest(
            key=prefix, range_end=prefix_range_end(prefix), start_revision=start))))
        try:
            async for response in call:
                if response.compact_revision:
                    raise _not_found(tree_id, after_version, f"is too old to watch from: the changes after it were "
                                     f"{COMPACTED} by etcd; read the tree again")
                if response.canceled:
                    raise E.StoreError(f"etcd ended the watch of tree {tree_id!r}: {response.cancel_reason}")
                by_revision: dict[int, set[str]] = {}
                for event in response.events:
                    by_revision.setdefault(event.kv.mod_revision, set()).add(event.kv.key[len(prefix):].decode())
                for revision in sorted(by_revision):
                    yield TreeChange(str(revision), tuple(sorted(by_revision[revision])))
        except grpc.aio.AioRpcError as exc:
            raise classify(exc, "etcd Watch") from None
        finally:
            call.cancel()

    async def close(self) -> None:
        await self.conn.close()


async def _requests(*first: Any) -> AsyncIterator[Any]:
    """A Watch request stream: the given requests, then open until the call ends."""
    for request in first:
        yield request
    await asyncio.Event().wait()


def main() -> None:
    from zhi_gui.plugin.server import serve

    serve(EtcdStore, name="zhi-store-etcd")
