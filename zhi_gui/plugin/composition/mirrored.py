"""``MirroredStore``: one primary store, copies of every write in mirrors.

Writes (PutValues, DeleteValues, DeleteTree, the extension's WriteValues) are
applied to **every member or to none**. The primary's current entries for the
written paths are read first; the write goes to the primary with the caller's
CAS fields (if the primary refuses, the error is the caller's and no mirror is
touched), then to every mirror **in parallel and without CAS**
(``cas_version``, ``cas_versions`` and each entry's ``version`` are cleared: a
mirror's version ids are its own, and the primary has already checked). If a
mirror fails, the write is undone on the primary and on every mirror (the
entries read first are written back, paths that did not exist are deleted),
the failure is logged and recorded in ``failures``, and the caller gets an
error naming the mirror. The undo is itself a write: a versioned primary
keeps both versions in its history, and a concurrent writer between the read
and the undo is not protected against (one host per mirrored store). If the
undo fails too, the error says which members may hold the new values.
DeleteTree is undone the same way when the primary can list the tree's paths.

Reads, versions, login and access control are answered by the primary. A
rollback is a write too: after the primary rolls back, the mirrors get the
paths it changed (read back from the primary), so they keep matching its
current state; deleting an old version changes nothing current and stays on
the primary.

Capabilities are the *most restrictive* combination: the mirrored store
promises a feature only when every member can keep that promise.

- versioning: the primary's mode if every mirror has the same mode, else
  NONE (a tree-versioned primary with a plain json mirror is unversioned, so
  hosts send no CAS and show no history). Behaviour matches: when the
  combination is NONE, values and chunks are read back without versions,
  WriteValues returns no version, and a write carrying CAS fields is refused
  as Unsupported (``feature: cas``), as zhi-store-json refuses it;
- encryption: NONE if any member lacks encryption, else the lowest state of
  all (ACTIVE only when every member is encrypted). InitEncryption initialises
  the members that are not yet active (primary first; its error is the
  caller's, a mirror's is logged), RotateEncryption and the extension's
  Unlock/Lock go to the primary and then to the mirrors, so a mirror never
  keeps in clear what the primary encrypts;
- access_control: only if every member has it (grants are kept by the primary);
- auth: the primary's (Login goes to the primary; a mirror that needs a login
  must be given its credentials when it is launched, e.g. in its options).

A mirror whose Capabilities call fails counts with the last capabilities it
reported, or as supporting nothing if it never answered. Calls that the
combined capabilities rule out (a versioning or access RPC) answer
``Unsupported`` naming the member that lacks the feature.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from zhi_gui.core import errors as E
from zhi_gui.core.model import (
    AuthMethod,
    Capabilities,
    Encryption,
    Entry,
    LoginResult,
    Permission,
    StoreDescription,
    TreeChunk,
    ValueVersion,
    Versioning,
    VersionPage,
)
from zhi_gui.plugin.store_api import Store

T = TypeVar("T")
FAILURES_KEPT = 200
_UNDONE = "the write is undone on every member"
_VERSIONING_NAMES = {Versioning.NONE: "no versioning", Versioning.TREE: "tree versioning",
                     Versioning.VALUE: "value versioning"}


@dataclass(frozen=True, slots=True)
class MirrorFailure:
    mirror: str
    operation: str
    tree_id: str
    error: str
    time: float


def combine_capabilities(primary: Capabilities, mirrors: Sequence[Capabilities]) -> Capabilities:
    """The most restrictive combination (see the module docstring)."""
    everyone = [primary, *mirrors]
    versioning = primary.versioning if all(m.versioning == primary.versioning for m in mirrors) else Versioning.NONE
    if any(c.encryption == Encryption.NONE for c in everyone):
        encryption = Encryption.NONE
    else:
        encryption = min(c.encryption for c in everyone)
    access = all(c.access_control for c in everyone)
    return Capabilities(versioning, Encryption(encryption), primary.auth, access)


def strip_cas(entries: Sequence[Entry]) -> list[Entry]:
    """The entries without expected versions (a mirror gets plain upserts)."""
    return [e if not e.version else e._replace(version="") for e in entries]


class MirroredStore(Store):
    def __init__(self, primary: Store, mirrors: Sequence[Store] | Mapping[str, Store], *,
                 logger: logging.Logger | None = None, mirror_timeout: float | None = 60.0) -> None:
        if primary is None or not isinstance(primary, Store):
            raise TypeError(f"MirroredStore needs a primary Store, not {type(primary).__name__}")
        named = list(mirrors.items()) if isinstance(mirrors, Mapping) else [
            (str(getattr(m, "name", "") or f"mirror {i + 1}"), m) for i, m in enumerate(mirrors)]
        if not named:
            raise ValueError("MirroredStore needs at least one mirror")
        for name, mirror in named:
            if mirror is None or not isinstance(mirror, Store):
                raise TypeError(f"MirroredStore: mirror {name!r} is {type(mirror).__name__}, not a Store")
            if mirror is primary:
                raise ValueError(f"MirroredStore: mirror {name!r} is the primary itself")
        if len({id(m) for _, m in named}) != len(named):
            raise ValueError("MirroredStore: the same store is given as a mirror twice")
        if len({n for n, _ in named}) != len(named):
            named = [(f"{n} #{i + 1}", m) for i, (n, m) in enumerate(named)]
        self.primary = primary
        self.mirrors: list[tuple[str, Store]] = named
        self.log = logger or logging.getLogger("zhi_gui.plugin.composition.mirrored")
        self.mirror_timeout = mirror_timeout
        self.serves_extension = primary.serves_extension
        self.failures: collections.deque[MirrorFailure] = collections.deque(maxlen=FAILURES_KEPT)
        self._mirror_caps: dict[str, Capabilities] = {}
        self._caps: Capabilities | None = None

    # --- mirrors ----------------------------------------------------------------------
    async def _to_mirrors(self, operation: str, tree_id: str, call: Callable[[Store], Awaitable[object]],
                          members: Sequence[tuple[str, Store]] | None = None,
                          consequence: str = "the primary has the change; this mirror does not") -> list[str]:
        """Run ``call`` on every mirror (or ``members``) in parallel; failures are
        logged and returned as "name: why", never raised."""

        async def one(name: str, mirror: Store) -> str:
            try:
                if self.mirror_timeout is None:
                    await call(mirror)
                else:
                    await asyncio.wait_for(call(mirror), self.mirror_timeout)
            except asyncio.CancelledError:
                raise
            except TimeoutError:
                return self._failed(name, operation, tree_id, f"no answer within {self.mirror_timeout:g} s",
                                    consequence)
            except Exception as exc:
                return self._failed(name, operation, tree_id, f"{type(exc).__name__}: {exc}", consequence)
            return ""

        results = await asyncio.gather(
            *(one(name, mirror) for name, mirror in (self.mirrors if members is None else members)))
        return [r for r in results if r]

    def _failed(self, mirror: str, operation: str, tree_id: str, why: str,
                consequence: str = "the primary has the change; this mirror does not") -> str:
        self.failures.append(MirrorFailure(mirror, operation, tree_id, why, time.time()))
        where = f" of tree {tree_id!r}" if tree_id else ""
        self.log.warning("mirror %s: %s%s failed: %s (%s)", mirror, operation, where, why, consequence,
                         extra={"mirror": mirror, "operation": operation, "tree_id": tree_id, "error": why})
        return f"{mirror}: {why}"

    async def _write_mirrors(self, tree_id: str, entries: Sequence[Entry], deletes: Sequence[str],
                             message: str = "", author: str = "",
                             members: Sequence[tuple[str, Store]] | None = None,
                             consequence: str = "the primary has the change; this mirror does not") -> list[str]:
        if not entries and not deletes:
            return []
        plain = strip_cas(entries)

        async def write(mirror: Store) -> None:
            if entries and deletes:
                try:  # one atomic write where the mirror offers it
                    await mirror.write_values(tree_id, plain, deletes, message=message, author=author)
                    return
                except E.Unsupported:
                    pass
            if plain:
                await mirror.put_values(tree_id, plain)
            if deletes:
                await mirror.delete_values(tree_id, deletes)

        operation = "WriteValues" if entries and deletes else ("PutValues" if entries else "DeleteValues")
        return await self._to_mirrors(operation, tree_id, write, members, consequence)

    # --- every member or none ---------------------------------------------------------------
    async def _snapshot(self, tree_id: str, paths: Sequence[str]) -> tuple[list[Entry], list[str]]:
        """The primary's entries for ``paths`` now, and the paths it does not have (to undo a write)."""
        wanted = list(dict.fromkeys(paths))
        current = await self.primary.get_values(tree_id, wanted) if wanted else []
        present = {e.path for e in current}
        return strip_cas(current), [p for p in wanted if p not in present]

    async def _all_or_none(self, operation: str, tree_id: str, paths: Sequence[str],
                           primary_write: Callable[[], Awaitable[T]],
                           mirror_write: Callable[[], Awaitable[list[str]]]) -> T:
        """The primary's write, then the mirrors'; if a mirror fails, undo it everywhere and raise."""
        before, absent = await self._snapshot(tree_id, paths)
        result = await primary_write()
        failed = await mirror_write()
        if not failed:
            return result
        undo_failed: list[str] = []
        try:
            await self._restore(self.primary, tree_id, before, absent)
        except Exception as exc:
            undo_failed.append(f"the primary: {type(exc).__name__}: {exc}")
        failed_names = {entry.partition(": ")[0] for entry in failed}
        took_it = [(name, mirror) for name, mirror in self.mirrors if name not in failed_names]
        undo_failed += await self._write_mirrors(tree_id, before, absent, message=f"undo of a failed {operation}",
                                                 members=took_it,
                                                 consequence="undoing a write another mirror refused")
        reason = "; ".join(failed)
        if undo_failed:
            raise E.StoreError(
                f"{operation} of tree {tree_id!r} failed on mirror {reason}, and undoing it failed too "
                f"({'; '.join(undo_failed)}): those members may hold the new values",
                {"tree_id": tree_id, "operation": operation})
        raise E.StoreError(f"{operation} of tree {tree_id!r} failed on mirror {reason}; it was undone on the "
                           "primary and every mirror, so no member changed", {"tree_id": tree_id,
                                                                              "operation": operation})

    @staticmethod
    async def _restore(store: Store, tree_id: str, entries: Sequence[Entry], absent: Sequence[str]) -> None:
        if entries:
            await store.put_values(tree_id, entries)
        if absent:
            await store.delete_values(tree_id, absent)

    async def _refuse_cas_when_unversioned(self, entries: Sequence[Entry], cas_version: str,
                                           cas_versions: Mapping[str, str] | None) -> None:
        if not (cas_version or cas_versions or any(e.version for e in entries)):
            return
        if (await self._combined()).versioning == Versioning.NONE:
            who = self._lacking(lambda c: c.versioning != Versioning.NONE)
            raise E.Unsupported(f"this mirrored store keeps no versions (mirror {who} has none), so it takes no "
                                "CAS versions", {"feature": "cas"})

    async def _unversioned(self) -> bool:
        return (await self._combined()).versioning == Versioning.NONE

    # --- capabilities and gating --------------------------------------------------------
    async def capabilities(self) -> Capabilities:
        async def mirror_caps(name: str, mirror: Store) -> Capabilities:
            try:
                caps = await mirror.capabilities()
            except Exception as exc:
                self._failed(name, "Capabilities", "", f"{type(exc).__name__}: {exc}")
                return self._mirror_caps.get(name, Capabilities())
            self._mirror_caps[name] = caps
            return caps

        primary, *mirrors = await asyncio.gather(
            self.primary.capabilities(), *(mirror_caps(n, m) for n, m in self.mirrors))
        self._caps = combine_capabilities(primary, mirrors)
        return self._caps

    async def _combined(self) -> Capabilities:
        return self._caps if self._caps is not None else await self.capabilities()

    def _lacking(self, has: Callable[[Capabilities], bool]) -> str:
        names = [name for name, _ in self.mirrors if not has(self._mirror_caps.get(name, Capabilities()))]
        return ", ".join(names) if names else "the primary"

    async def _require_versioning(self, mode: Versioning) -> None:
        caps = await self._combined()
        if caps.versioning == mode:
            return
        if caps.versioning == Versioning.NONE and mode != Versioning.NONE:
            primary = (await self.primary.capabilities()).versioning
            if primary == mode:
                who = self._lacking(lambda c: c.versioning == mode)
                raise E.Unsupported(
                    f"{_VERSIONING_NAMES[mode]} is off for this mirrored store: mirror {who} does not offer it "
                    "(capabilities are the most restrictive of all members)", {"feature": "versioning"})
        raise E.Unsupported(f"{_VERSIONING_NAMES[mode]} is not supported by this store", {"feature": "versioning"})

    async def _require_access_control(self) -> None:
        if not (await self._combined()).access_control:
            raise E.Unsupported("access control is not supported by this mirrored store (every member must offer "
                                f"it; lacking: {self._lacking(lambda c: c.access_control)})",
                                {"feature": "access_control"})

    # --- StoreService: primary only -----------------------------------------------------
    async def auth_methods(self) -> list[AuthMethod]:
        return await self.primary.auth_methods()

    async def login(self, method: str, credentials: Mapping[str, str]) -> LoginResult:
        return await self.primary.login(method, credentials)

    async def list_trees(self) -> list[str]:
        return await self.primary.list_trees()

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        entries = await self.primary.get_values(tree_id, paths)
        return strip_cas(entries) if await self._unversioned() else entries

    # --- writes: primary, then mirrors; every member or none -------------------------------
    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self._refuse_cas_when_unversioned(entries, cas_version, cas_versions)
        await self._all_or_none(
            "PutValues", tree_id, [e.path for e in entries],
            lambda: self.primary.put_values(tree_id, entries, cas_version, cas_versions),
            lambda: self._write_mirrors(tree_id, entries, (), consequence=_UNDONE))

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self._all_or_none("DeleteValues", tree_id, paths, lambda: self.primary.delete_values(tree_id, paths),
                                lambda: self._write_mirrors(tree_id, (), paths, consequence=_UNDONE))

    async def delete_tree(self, tree_id: str) -> None:
        paths = await self._paths_or_none(tree_id)
        if paths is None:  # cannot snapshot the tree: mirrors follow, failures are logged
            await self.primary.delete_tree(tree_id)
            await self._to_mirrors("DeleteTree", tree_id, lambda m: m.delete_tree(tree_id))
            return
        await self._all_or_none("DeleteTree", tree_id, paths, lambda: self.primary.delete_tree(tree_id),
                                lambda: self._to_mirrors("DeleteTree", tree_id, lambda m: m.delete_tree(tree_id),
                                                         consequence=_UNDONE))

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        await self._refuse_cas_when_unversioned(entries, cas_version, cas_versions)
        version = await self._all_or_none(
            "WriteValues", tree_id, [*(e.path for e in entries), *delete_paths],
            lambda: self.primary.write_values(tree_id, entries, delete_paths, cas_version, cas_versions,
                                              message, author),
            lambda: self._write_mirrors(tree_id, entries, delete_paths, message, author, consequence=_UNDONE))
        return "" if await self._unversioned() else version

    # --- versions: the primary's ----------------------------------------------------------
    async def list_tree_versions(self, tree_id: str) -> list[str]:
        await self._require_versioning(Versioning.TREE)
        return await self.primary.list_tree_versions(tree_id)

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        await self._require_versioning(Versioning.TREE)
        return await self.primary.get_tree_version(tree_id, version, paths)

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        await self._require_versioning(Versioning.TREE)
        before = await self._paths_or_none(tree_id)
        await self.primary.rollback_tree(tree_id, version)
        after = await self._paths_or_none(tree_id)
        if before is None or after is None:
            self._failed("(all)", "RollbackTree", tree_id, "the primary cannot list its paths, so the mirrors "
                         "could not be brought up to date with the rolled back tree")
            return
        current = await self.primary.get_values(tree_id, after) if after else []
        gone = sorted(set(before) - {e.path for e in current})
        await self._write_mirrors(tree_id, current, gone, message=f"rollback to {version}")

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        await self._require_versioning(Versioning.TREE)
        await self.primary.delete_tree_version(tree_id, version)

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        await self._require_versioning(Versioning.VALUE)
        return await self.primary.list_value_versions(tree_id, path)

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        await self._require_versioning(Versioning.VALUE)
        return await self.primary.get_value_version(tree_id, path, version)

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        await self._require_versioning(Versioning.VALUE)
        await self.primary.rollback_value(tree_id, path, version)
        current = await self.primary.get_values(tree_id, [path])
        await self._write_mirrors(tree_id, current, () if current else (path,))

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        await self._require_versioning(Versioning.VALUE)
        await self.primary.delete_value_version(tree_id, path, version)

    async def _paths_or_none(self, tree_id: str) -> list[str] | None:
        try:
            return await self.primary.list_paths(tree_id)
        except E.Unsupported:
            return None

    # --- encryption: the primary decides, the mirrors follow --------------------------------
    async def _states(self) -> tuple[Encryption, dict[str, Encryption]]:
        caps = await self.capabilities()
        if caps.encryption == Encryption.NONE:
            raise E.Unsupported("encryption is not supported by this mirrored store: every member must offer it "
                                f"(lacking: {self._lacking(lambda c: c.encryption != Encryption.NONE)})",
                                {"feature": "encryption"})
        primary = (await self.primary.capabilities()).encryption
        return primary, {name: self._mirror_caps.get(name, Capabilities()).encryption for name, _ in self.mirrors}

    async def init_encryption(self, passphrase: bytes) -> None:
        primary, mirrors = await self._states()
        pending = [(n, m) for n, m in self.mirrors if mirrors[n] != Encryption.ACTIVE]
        if primary != Encryption.ACTIVE or not pending:
            await self.primary.init_encryption(passphrase)  # the primary's "already active" if nothing to do
        await self._to_mirrors("InitEncryption", "", lambda m: m.init_encryption(passphrase), pending)
        self._caps = None

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        _, mirrors = await self._states()
        await self.primary.rotate_encryption(old_passphrase, new_passphrase)
        active = [(n, m) for n, m in self.mirrors if mirrors[n] == Encryption.ACTIVE]
        await self._to_mirrors("RotateEncryption", "", lambda m: m.rotate_encryption(old_passphrase, new_passphrase),
                               active)

    async def unlock(self, passphrase: bytes) -> None:
        await self.primary.unlock(passphrase)
        await self._to_mirrors_tolerant("Unlock", lambda m: m.unlock(passphrase))

    async def lock(self) -> None:
        await self.primary.lock()
        await self._to_mirrors_tolerant("Lock", lambda m: m.lock())

    async def _to_mirrors_tolerant(self, operation: str, call: Callable[[Store], Awaitable[None]]) -> None:
        """Like _to_mirrors, but a mirror without the feature is simply skipped."""

        async def maybe(mirror: Store) -> None:
            with contextlib.suppress(E.Unsupported):
                await call(mirror)

        await self._to_mirrors(operation, "", maybe)

    # --- access control: the primary's ----------------------------------------------------
    async def grant_access(self, tree_id: str, user: str, permissions: Sequence[Permission]) -> None:
        await self._require_access_control()
        await self.primary.grant_access(tree_id, user, permissions)

    async def revoke_access(self, tree_id: str, user: str, paths: Sequence[str]) -> None:
        await self._require_access_control()
        await self.primary.revoke_access(tree_id, user, paths)

    async def list_access(self, tree_id: str) -> dict[str, list[Permission]]:
        await self._require_access_control()
        return await self.primary.list_access(tree_id)

    # --- extension reads: the primary's ---------------------------------------------------
    async def describe(self) -> StoreDescription:
        d = await self.primary.describe()
        # not forwarded (the window then reads whole trees and versions, as before)
        features = set(d.features) - {"DiffVersions", "ListChildren", "Search"}
        if (await self._combined()).versioning == Versioning.NONE:
            features.discard("DescribeVersions")
        names = ", ".join(name for name, _ in self.mirrors)
        return StoreDescription(d.api_version, "mirror", f"{d.location} (mirrored to {names})",
                                frozenset(features), d.locked)

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        if version:
            await self._require_versioning(Versioning.TREE)
        return await self.primary.list_paths(tree_id, prefix, version)

    async def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                          chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        if version:
            await self._require_versioning(Versioning.TREE)
        unversioned = await self._unversioned()
        async for chunk in self.primary.stream_tree(tree_id, version, prefix, chunk_size):
            yield TreeChunk(tuple(strip_cas(chunk.entries)), "", chunk.total) if unversioned else chunk

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        if (await self._combined()).versioning == Versioning.NONE:
            await self._require_versioning(Versioning.TREE)
        return await self.primary.describe_versions(tree_id, offset, limit, versions)

    async def close(self) -> None:
        """Closes the primary and every mirror (the mirrored store owns them)."""
        results = await asyncio.gather(self.primary.close(), *(m.close() for _, m in self.mirrors),
                                       return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                self.log.warning("closing a member of the mirrored store failed: %s", result)
