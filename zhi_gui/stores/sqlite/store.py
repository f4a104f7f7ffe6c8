"""``SqliteStore``: the async ``Store`` face of the SQLite engine.

All SQLite work runs on one dedicated worker thread (a single-thread
executor): the plugin's asyncio loop never blocks on disk or on the key
derivation, and the connection is only ever used by the thread that opened it.

A store file that does not exist (and ``create`` was not given) does not stop
the plugin: it starts and answers every call with ``StoreMissing``
(NOT_FOUND, zhi-gui marker ``store_missing``), a typed error the window can
catch, ask about, and reopen with ``create: true``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from zhi_gui.core import errors as E
from zhi_gui.core.entries import Entry, Versioning
from zhi_gui.plugin.store_api import Store
from zhi_gui.stores.sqlite.crypto import DEFAULT_SCRYPT_N
from zhi_gui.stores.sqlite.engine import WHOLE_FROM, Engine
from zhi_gui.stores.sqlite.options import SqliteOptions
from zhi_gui.stores.sqlite.schema import structure_verdict

# core.model is imported where its classes are made (plugin.store_api says why)
if TYPE_CHECKING:
    from zhi_gui.core.model import (
        Capabilities,
        Children,
        DiffChunk,
        SearchResult,
        StoreDescription,
        TreeChunk,
        ValueVersion,
        VersionPage,
    )

log = logging.getLogger("zhi_gui.stores.sqlite")
T = TypeVar("T")

FEATURES = frozenset({"ListPaths", "StreamTree", "DescribeVersions", "WriteValues", "Unlock", "Lock",
                      "DiffVersions", "ListChildren", "Search"})
DEFAULT_CHUNK = 2000
MAX_CHUNK = 50_000
INDEX_SLICE = 2000  # values added to the search index per turn of the engine thread (~50-100 ms)
# The index is built in the store's quiet moments: a slice starts only once no other call has
# run for this long. Taking turns with a big read instead (a slice between each two of its
# chunks) made a 1M-value read take ~55 s, not ~9 (seen: an export while the index was built).
INDEX_QUIET = 0.2


def _value_versioning() -> E.Unsupported:
    return E.Unsupported("value versioning is not supported by this store (it versions whole trees)",
                         {"feature": "value_versioning"})


# Engine calls that only read the file: they need not wait for the check of its pages
# (SqliteStore's check_beside). Anything not named here waits.
_READS = frozenset({
    "encryption", "list_trees", "get_values", "values_answer", "list_versions", "get_version", "locked", "list_paths",
    "stream_start", "stream_chunk", "list_children", "search", "search_index_step", "diff_start", "diff_chunk",
    "describe_versions", "unlock", "lock",
})


class SqliteStore(Store):
    serves_extension = True

    def __init__(self, options: Mapping[str, Any] | None = None, *, scrypt_n: int = DEFAULT_SCRYPT_N,
                 check_beside: bool = False) -> None:
        """``check_beside`` (the plugin): SQLite's check of every page and index of an
        existing file runs in a thread of its own while the store already answers, instead
        of before it opens (about a second per million values, before every handshake).
        Reads are safe meanwhile (each row's checksum is checked as it is read); anything
        that writes waits for the verdict, and a damaged file then refuses every call with
        the message opening it would have given. Without it (tests, tools) the check is
        done before the constructor returns, as a damaged file must fail there."""
        self.options = SqliteOptions.parse(options)
        self.path = self.options.path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zhi-sqlite")
        self._missing: E.StoreMissing | None = None
        self._damage: E.StoreCorrupt | None = None
        self._verdict: Future[E.StoreCorrupt | None] | None = None
        self._closed = False
        self._indexing: dict[str, asyncio.Task[None]] = {}  # search index builds, per tree
        self._calls = 0  # calls on the engine thread now, other than the index's slices
        self._last_call = 0.0  # when the last of them finished (loop time)
        existed = self.path.exists()
        try:
            self._engine_or_none: Engine | None = self._executor.submit(
                Engine, self.path, author=self.options.author, scrypt_n=scrypt_n,
                create=self.options.create, structure_check=not check_beside).result()
            self._executor.submit(self._unlock_from_options).result()
        except E.StoreMissing as exc:
            log.error("%s", exc.message)
            self._engine_or_none, self._missing = None, exc
        except BaseException:
            self._executor.shutdown(wait=True)
            raise
        if check_beside and existed and self._engine_or_none is not None:
            self._verdict = Future()
            threading.Thread(target=self._check_structure, args=(self._verdict,), name="zhi-sqlite-check",
                             daemon=True).start()

    def _check_structure(self, verdict: Future[E.StoreCorrupt | None]) -> None:
        try:
            damage = structure_verdict(self.path)
        except BaseException as exc:  # never leave a writer waiting
            verdict.set_exception(exc)
            return
        if damage is not None:
            log.error("%s", damage.message)
        verdict.set_result(damage)

    def _refuse_if_damaged(self) -> None:
        verdict = self._verdict
        if verdict is not None and verdict.done():
            self._verdict = None
            exc = verdict.exception()
            self._damage = verdict.result() if exc is None else E.StoreCorrupt(
                f"store file {self.path} could not be checked: {exc}", {"path": str(self.path)})
        if self._damage is not None:
            raise E.StoreCorrupt(self._damage.message, self._damage.details)

    @property
    def _engine(self) -> Engine:
        if self._engine_or_none is None:
            missing = self._missing or E.StoreMissing(f"the store file {self.path} does not exist")
            raise E.StoreMissing(missing.message, missing.details)
        return self._engine_or_none

    def _unlock_from_options(self) -> None:
        engine = self._engine
        if not self.options.has_passphrase_source:
            if engine.encrypted:
                log.info("store %s is encrypted and starts locked (no passphrase_file/passphrase_env)", self.path)
            return
        if not engine.encrypted:
            log.info("store %s is not encrypted; the configured passphrase is not used", self.path)
            return
        try:
            passphrase, where = self.options.read_passphrase()
        except E.InvalidArgument as exc:
            engine.lock_reason = f"the store is encrypted and locked: {exc.message}"
            log.error("%s", engine.lock_reason)
            return
        try:
            engine.unlock(passphrase)
        except E.WrongPassphrase:
            engine.lock_reason = f"the store is encrypted and locked: the passphrase from {where} is wrong"
            log.error("%s", engine.lock_reason)
            return
        log.info("store %s unlocked with the passphrase from %s", self.path, where)

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the engine thread, for a caller (the index build waits for these)."""
        self._calls += 1
        try:
            return await self._step(fn, *args)
        finally:
            self._calls -= 1
            self._last_call = asyncio.get_running_loop().time()

    async def _step(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on the engine thread (the checks every call passes first)."""
        if self._closed:
            raise E.StoreError("the store is closed")
        if self._missing is not None:
            raise E.StoreMissing(self._missing.message, self._missing.details)
        if self._verdict is not None and getattr(fn, "__name__", "") not in _READS:
            await asyncio.wrap_future(self._verdict)  # nothing is written before the file is known sound
        self._refuse_if_damaged()
        return await asyncio.get_running_loop().run_in_executor(self._executor, functools.partial(fn, *args))

    async def _quiet(self) -> None:
        """Until no call has run on the engine thread for INDEX_QUIET seconds."""
        loop = asyncio.get_running_loop()
        while True:  # a quiet period, not an event: polled, a few times a second at most
            idle = loop.time() - self._last_call
            if not self._calls and idle >= INDEX_QUIET:
                return
            await asyncio.sleep(INDEX_QUIET if self._calls else INDEX_QUIET - idle)

    async def _save_heads(self) -> None:
        """Trees read or written whole are saved in the file when the store closes
        (``saved_heads``): once per session, not after every save of a window."""
        try:
            saved = await self._run(self._engine.save_heads)
            if saved:
                log.debug("saved %d tree(s) read whole in %s", saved, self.path)
        except Exception as exc:  # a copy only: the store works as well without it
            log.info("trees read whole were not saved in %s: %s", self.path, exc)

    async def close(self) -> None:
        if self._closed:
            return
        for task in self._indexing.values():
            task.cancel()
        if self._missing is None:
            if self._engine.unsaved_heads() and self._damage is None:
                await self._save_heads()
            await self._run(self._engine.close)
        self._closed = True
        self._executor.shutdown(wait=True)

    # --- StoreService ----------------------------------------------------------
    async def capabilities(self) -> Capabilities:
        from zhi_gui.core.model import Capabilities

        return Capabilities(Versioning.TREE, await self._run(self._engine.encryption), False, False)

    async def list_trees(self) -> list[str]:
        return await self._run(self._engine.list_trees)

    async def delete_tree(self, tree_id: str) -> None:
        await self._run(self._engine.delete_tree, tree_id)

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        return await self._run(self._engine.get_values, tree_id, list(paths))

    async def values_answer(self, tree_id: str, paths: Sequence[str]) -> bytes | None:
        if 0 < len(paths) < WHOLE_FROM:
            return None  # a few values: their message is as quickly built, and one trip to the engine is saved
        return await self._run(self._engine.values_answer, tree_id, list(paths))

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self._run(self._engine.write, tree_id, list(entries), [], cas_version, dict(cas_versions or {}),
                        "", "")

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self._run(self._engine.write, tree_id, [], list(paths), "", {}, "", "")

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        return await self._run(self._engine.list_versions, tree_id)

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        return await self._run(self._engine.get_version, tree_id, version, list(paths))

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        await self._run(self._engine.rollback, tree_id, version)

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        await self._run(self._engine.delete_version, tree_id, version)

    async def list_value_versions(self, tree_id: str, path: str) -> list[str]:
        raise _value_versioning()

    async def get_value_version(self, tree_id: str, path: str, version: str) -> ValueVersion:
        raise _value_versioning()

    async def rollback_value(self, tree_id: str, path: str, version: str) -> None:
        raise _value_versioning()

    async def delete_value_version(self, tree_id: str, path: str, version: str) -> None:
        raise _value_versioning()

    async def init_encryption(self, passphrase: bytes) -> None:
        await self._stoppable(self._engine.init_encryption, bytes(passphrase))

    async def rotate_encryption(self, old_passphrase: bytes, new_passphrase: bytes) -> None:
        await self._stoppable(self._engine.rotate_encryption, bytes(old_passphrase), bytes(new_passphrase))

    async def _stoppable(self, fn: Callable[..., T], *args: Any) -> T:
        """Work over every row, which may run for seconds (a search scan) or minutes (a
        rewrite). When the caller gives up (its RPC cancelled: the user's Cancel, a newer
        search, a deadline), the engine thread cannot be interrupted, but it looks at
        ``stop`` between batches: a rewrite rolls its one transaction back (one that
        committed already stays committed), a scan ends, and the next call gets the thread."""
        stop = threading.Event()
        try:
            return await self._run(fn, *args, stop)
        except asyncio.CancelledError:
            stop.set()
            log.info("%s was cancelled by the caller: stopping it", getattr(fn, "__name__", "a call"))
            raise

    # --- extension -------------------------------------------------------------
    async def describe(self) -> StoreDescription:
        from zhi_gui.core.model import StoreDescription

        locked = await self._run(self._engine.locked)
        return StoreDescription(1, "sqlite", str(self.path), FEATURES, locked)

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        return await self._run(self._engine.list_paths, tree_id, prefix, version)

    async def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                          chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        from zhi_gui.core.model import TreeChunk

        size = min(chunk_size, MAX_CHUNK) if chunk_size > 0 else DEFAULT_CHUNK
        start = await self._run(self._engine.stream_start, tree_id, version, prefix)
        if start is None:
            yield TreeChunk((), "", 0)
            return
        after = ""
        sent = False
        while True:
            rows, after, done = await self._run(self._engine.stream_chunk, start, prefix, after, size)
            if rows or (done and not sent):
                yield TreeChunk(tuple(rows), start.version, start.total)
                sent = True
            if done:
                return

    async def list_children(self, tree_id: str, prefix: str = "", version: str = "") -> Children:
        from zhi_gui.core.model import Children

        children, listed = await self._run(self._engine.list_children, tree_id, prefix, version)
        self._index_in_background(tree_id)  # a window reads this tree lazily: it will search it
        return Children(tuple(children), listed)

    async def search(self, tree_id: str, query: str, version: str = "", limit: int = 0) -> SearchResult:
        from zhi_gui.core.model import SearchResult

        paths, total, searched = await self._stoppable(self._engine.search, tree_id, query, version, limit)
        self._index_in_background(tree_id)
        return SearchResult(tuple(paths), total, searched)

    def _index_in_background(self, tree_id: str) -> None:
        if tree_id not in self._indexing and not self._closed:
            self._indexing[tree_id] = asyncio.get_running_loop().create_task(self._build_index(tree_id))

    async def _build_index(self, tree_id: str) -> None:
        """Build the tree's search index a slice at a time, in the store's quiet moments: a
        request waits for one slice at most, and a stream of them for none after its first."""
        try:
            while not self._closed:
                await self._quiet()
                if await self._step(self._engine.search_index_step, tree_id, INDEX_SLICE):
                    break
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # locked meanwhile, deleted, damaged: searches keep scanning
            log.info("search index of tree %s not built: %s", tree_id, exc)
        finally:
            self._indexing.pop(tree_id, None)

    async def diff_versions(self, tree_id: str, from_version: str = "", to_version: str = "", prefix: str = "",
                            chunk_size: int = 0) -> AsyncIterator[DiffChunk]:
        from zhi_gui.core.model import DiffChunk

        size = min(chunk_size, MAX_CHUNK) if chunk_size > 0 else DEFAULT_CHUNK
        start = await self._run(self._engine.diff_start, tree_id, from_version, to_version, prefix)
        after = ""
        sent = False
        while True:
            entries, after, done = await self._run(self._engine.diff_chunk, start, prefix, after, size)
            if entries or (done and not sent):
                yield DiffChunk(tuple(entries), start.from_total, start.to_total)
                sent = True
            if done:
                return

    async def describe_versions(self, tree_id: str, offset: int = 0, limit: int = 0,
                                versions: Sequence[str] = ()) -> VersionPage:
        return await self._run(self._engine.describe_versions, tree_id, offset, limit, list(versions))

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        return await self._run(self._engine.write, tree_id, list(entries), list(delete_paths), cas_version,
                               dict(cas_versions or {}), message, author)

    async def unlock(self, passphrase: bytes) -> None:
        await self._run(self._engine.unlock, bytes(passphrase))

    async def lock(self) -> None:
        await self._run(self._engine.lock)
