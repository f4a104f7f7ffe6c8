"""zhi-store-json: a store in zhi's own JSON file format, so a zhi workspace's
``.zhi/store`` opens as it is (zhi-protocol.md 5, format in ``jsonfile_format``).

Options (``ZHI_PLUGIN_OPTIONS``):
  directory  the store directory (zhi's jsonfile option name; ``dir`` is an
             alias); else env ``ZHI_JSON_STORE_DIR``; else ``.zhi/store``
             relative to the working directory (zhi's default), said at info
             level in the log. Relative paths are relative to the working
             directory, which is the host's: zhi starts plugins in its own.

One file per tree, ``<directory>/<tree-id>.json``. Writes are atomic (temp file in
the same directory, fsync, rename, fsync of the directory). A tree id can
never name a file outside the directory; a tree file that is a symlink is
followed only when it resolves inside the directory. A corrupt tree file is
reported (StoreCorrupt, with file and reason) and never overwritten; deleting
such a tree moves the file aside instead of removing it.

No versioning (VERSIONING_NONE, so no CAS either), no encryption, no auth, no
access control, all honestly reported. The zhigui extension lists paths,
streams trees and writes puts + deletes as one atomic file write.

One plugin process per directory: a single lock orders this process's reads
and writes; all file IO runs in worker threads, off the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import operator
import os
import stat
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, cast

from zhi_gui.core import errors as E
from zhi_gui.core.model import Capabilities, Encryption, Entry, StoreDescription, TreeChunk, Versioning
from zhi_gui.core.paths import path_problem, tree_id_problem, under_prefix
from zhi_gui.plugin.bulk_checks import CheckedEntries, all_paths_valid
from zhi_gui.plugin.store_api import Store
from zhi_gui.stores.jsonfile_format import (
    AnyCell,
    FormatError,
    cell_metadata_json,
    cell_value_json,
    encode_tree,
    parse_tree,
    plain_wire_cells,
    wire_cell,
)

log = logging.getLogger("zhi_gui.stores.jsonfile")

DIR_ENV = "ZHI_JSON_STORE_DIR"
DEFAULT_DIR = os.path.join(".zhi", "store")
SUFFIX = ".json"
MAX_FILE_NAME_BYTES = 255
DEFAULT_CHUNK = 2000
NEW_FILE_MODE = 0o644  # what zhi's jsonfile store gives its files
_FEATURES = frozenset({"ListPaths", "StreamTree", "WriteValues"})
DIRECTORY_OPTIONS = ("directory", "dir")  # zhi's name first; "dir" is this plugin's older name
_KNOWN_OPTIONS = frozenset(DIRECTORY_OPTIONS)

Signature = tuple[int, int, int, int, int]
# Entry's fields, read in C (a pass over a big write makes no Python call per entry)
_PATH, _VALUE, _METADATA, _VERSION = map(operator.itemgetter, range(4))


def directory_option(options: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(name, value) of the directory option given, ``directory`` winning over ``dir``."""
    given = [(name, options[name]) for name in DIRECTORY_OPTIONS if options.get(name) not in (None, "")]
    if len(given) == 2 and given[0][1] != given[1][1]:
        raise E.InvalidArgument("options 'directory' and 'dir' name different directories: give one",
                                {"option": "directory"})
    return given[0] if given else None


def store_dir(options: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> str:
    """The absolute store directory from the options, the environment or zhi's default."""
    env = os.environ if environ is None else environ
    given = directory_option(options)
    name, raw = given if given else ("", env.get(DIR_ENV) or DEFAULT_DIR)
    if not isinstance(raw, str):
        raise E.InvalidArgument(f"option {name!r} must be a string, not {type(raw).__name__}", {"option": name})
    return os.path.abspath(os.path.expanduser(raw))


def _signature(st: os.stat_result) -> Signature:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _fsync_dir(path: str) -> None:
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a directory
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise
    finally:
        os.close(fd)


def _io_error(action: str, path: str, exc: OSError) -> E.StoreError:
    reason = exc.strerror or str(exc)
    return E.StoreError(f"cannot {action} {path}: {reason}", {"file": path, "reason": reason})


def _versioning_unsupported() -> E.Unsupported:
    return E.Unsupported("the json store keeps no versions", {"feature": "versioning"})


class JsonFileStore(Store):
    serves_extension = True

    def __init__(self, options: Mapping[str, Any] | None = None, *,
                 environ: Mapping[str, str] | None = None) -> None:
        options = dict(options or {})
        unknown = sorted(set(options) - _KNOWN_OPTIONS)
        if unknown:
            log.warning("ignoring unknown options: %s", ", ".join(unknown))
        self.dir = store_dir(options, environ)
        if directory_option(options) is None:
            # zhi users expect their workspace's .zhi/store: say which directory this is
            source = DIR_ENV if (os.environ if environ is None else environ).get(DIR_ENV) else "default"
            log.info("no 'directory' option: using %s (%s, relative to the working directory %s)",
                     self.dir, source, os.getcwd())
        if os.path.lexists(self.dir) and not os.path.isdir(self.dir):
            raise E.InvalidArgument(f"the store directory {self.dir} exists but is not a directory",
                                    {"file": self.dir})
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[Signature, dict[str, AnyCell]]] = {}

    # --- files -----------------------------------------------------------
    def _tree_file(self, tree_id: str) -> tuple[str, str]:
        """(path in the directory, the file it resolves to); refuses ids that escape."""
        problem = tree_id_problem(tree_id)
        if problem is None:
            try:
                name_bytes = len((tree_id + SUFFIX).encode("utf-8"))
            except UnicodeEncodeError:
                problem = "the tree id is not valid Unicode"
            else:
                if name_bytes > MAX_FILE_NAME_BYTES:
                    problem = f"the file name would be longer than {MAX_FILE_NAME_BYTES} bytes"
        if problem:
            raise E.InvalidArgument(f"invalid tree id {tree_id!r}: {problem}", {"tree_id": tree_id})
        path = os.path.join(self.dir, tree_id + SUFFIX)
        real_dir = os.path.realpath(self.dir)
        real = os.path.realpath(path)
        if os.path.dirname(real) != real_dir and os.path.commonpath([real_dir, real]) != real_dir:
            raise E.InvalidArgument(
                f"tree {tree_id!r}: {path} resolves to {real}, outside the store directory; refusing to use it",
                {"tree_id": tree_id, "file": path})
        if real == real_dir:
            raise E.InvalidArgument(f"tree {tree_id!r}: {path} resolves to the store directory itself",
                                    {"tree_id": tree_id, "file": path})
        return path, real

    def _load(self, tree_id: str) -> dict[str, AnyCell] | None:
        """The tree's cells (cached while the file is unchanged), None if it has no file."""
        path, real = self._tree_file(tree_id)
        try:
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            self._cache.pop(tree_id, None)
            return None
        except OSError as exc:
            raise _io_error("read", path, exc) from None
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
                raise self._corrupt(tree_id, path, f"it is {kind}")
            signature = _signature(st)
            cached = self._cache.get(tree_id)
            if cached is not None and cached[0] == signature:
                return cached[1]
            with os.fdopen(fd, "rb", closefd=False) as handle:
                data = handle.read()
        except OSError as exc:
            raise _io_error("read", path, exc) from None
        finally:
            os.close(fd)
        try:
            cells = cast("dict[str, AnyCell]", parse_tree(data))  # read here, copied before a write
        except FormatError as exc:
            self._cache.pop(tree_id, None)
            raise self._corrupt(tree_id, path, str(exc)) from None
        self._cache[tree_id] = (signature, cells)
        return cells

    @staticmethod
    def _corrupt(tree_id: str, path: str, reason: str) -> E.StoreCorrupt:
        return E.StoreCorrupt(
            f"tree file {path} is not in zhi's JSON store format: {reason}. It was left untouched; "
            f"tree {tree_id!r} cannot be read or written until the file is fixed or removed",
            {"tree_id": tree_id, "file": path, "reason": reason})

    def _write(self, tree_id: str, cells: dict[str, AnyCell], *, zhi_paths: bool = False) -> None:
        """Replace the tree file atomically: temp file, fsync, rename, fsync the directory.
        ``zhi_paths``: every key is a checked zhi path (see ``encode_tree``)."""
        try:
            os.makedirs(self.dir, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise _io_error("create the store directory", self.dir, exc) from None
        path, real = self._tree_file(tree_id)
        try:
            data = encode_tree(cells, zhi_paths=zhi_paths)
        except FormatError as exc:  # only a value read from the file can get here (too deep)
            raise E.StoreError(f"cannot write {path}: {exc}", {"file": path, "reason": str(exc)}) from None
        target_dir = os.path.dirname(real)
        try:
            mode = stat.S_IMODE(os.stat(real).st_mode)
        except FileNotFoundError:
            mode = NEW_FILE_MODE
        except OSError as exc:
            raise _io_error("write", path, exc) from None
        import tempfile  # here, not at start-up: a host waits for the plugin's handshake

        temp: str | None = None
        try:
            fd, temp = tempfile.mkstemp(prefix=f".{tree_id[:32]}{SUFFIX}.tmp-", dir=target_dir)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fchmod(handle.fileno(), mode)
                os.fsync(handle.fileno())
            os.replace(temp, real)
            temp = None
            _fsync_dir(target_dir)
            signature = _signature(os.stat(real))
        except OSError as exc:
            raise _io_error("write", path, exc) from None
        finally:
            if temp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
        self._cache[tree_id] = (signature, cells)

    def _quarantine(self, tree_id: str, path: str) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        for n in range(1000):
            aside = f"{path}.corrupt-{stamp}" + (f"-{n}" if n else "")
            if not os.path.lexists(aside):
                os.rename(path, aside)
                return aside
        raise E.StoreError(f"cannot move {path} aside: too many corrupt copies")  # pragma: no cover

    # --- synchronous operations (run in worker threads) ---------------------
    def _list_trees(self) -> list[str]:
        with self._lock:
            try:
                names = os.listdir(self.dir)
            except FileNotFoundError:
                return []
            except OSError as exc:
                raise _io_error("list", self.dir, exc) from None
            ids = []
            for name in names:
                if not name.endswith(SUFFIX):
                    continue
                tree_id = name[: -len(SUFFIX)]
                try:
                    _, real = self._tree_file(tree_id)
                except E.InvalidArgument:
                    continue  # cannot be addressed as a tree (or escapes the directory)
                if os.path.isfile(real):
                    ids.append(tree_id)
            return sorted(ids)

    def _delete_tree(self, tree_id: str) -> None:
        with self._lock:
            path, _ = self._tree_file(tree_id)
            if not os.path.lexists(path):
                self._cache.pop(tree_id, None)
                return
            try:
                self._load(tree_id)
            except E.StoreCorrupt:
                try:
                    aside = self._quarantine(tree_id, path)
                except OSError as exc:
                    raise _io_error("move aside", path, exc) from None
                log.warning("tree %r was corrupt: moved %s to %s instead of deleting it", tree_id, path, aside)
            else:
                try:
                    os.unlink(path)
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise _io_error("delete", path, exc) from None
            self._cache.pop(tree_id, None)
            with contextlib.suppress(OSError):
                _fsync_dir(self.dir)

    def _get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        with self._lock:
            cells = self._load(tree_id)
        if not cells:
            return []
        wanted = dict.fromkeys(paths) if paths else sorted(cells)
        return [_entry(p, cells[p]) for p in wanted if p in cells]

    def _write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str]) -> None:
        if isinstance(entries, CheckedEntries):  # from the servicer: zhi's rules hold, the columns are read
            paths, values, checked = entries.paths, entries.values, True
            made = plain_wire_cells(values, entries.metadata, entries.value_text)
        else:
            paths, values, checked = [*map(_PATH, entries)], [*map(_VALUE, entries)], False
            made = plain_wire_cells(values, [*map(_METADATA, entries)])
        puts: dict[str, AnyCell]
        if None not in made and (checked or all_paths_valid(paths)):  # the common case, in passes over all entries
            puts = dict(zip(paths, cast("list[AnyCell]", made), strict=True))
        else:  # entry by entry: the first problem is reported, naming its path
            puts = {}
            for entry, cell in zip(entries, made, strict=True):
                problem = path_problem(entry.path)
                if problem:
                    raise E.InvalidArgument(f"invalid path {entry.path!r}: {problem}", {"path": entry.path})
                try:
                    puts[entry.path] = cell if cell is not None else wire_cell(entry.value_json, entry.metadata_json)
                except FormatError as exc:
                    raise E.InvalidArgument(f"{entry.path}: {exc}", {"path": entry.path}) from None
        with self._lock:
            current = self._load(tree_id)
            deletes = [p for p in dict.fromkeys(delete_paths) if current and p in current and p not in puts]
            if not puts and not deletes:
                return  # nothing changes: no file written, no tree created
            if current:  # the cached cells are never changed in place: a new dict
                cells = dict(current)
                for path in deletes:
                    del cells[path]
                cells.update(puts)
            else:  # a new (or empty) tree: the puts are the tree, with no copy
                cells = puts
            self._write(tree_id, cells, zhi_paths=cells is puts)  # every path put is checked above

    def _snapshot(self, tree_id: str, prefix: str) -> list[Entry]:
        with self._lock:
            cells = self._load(tree_id)
        if not cells:
            return []
        return [_entry(p, cells[p]) for p in sorted(cells) if under_prefix(p, prefix)]

    def _list_paths(self, tree_id: str, prefix: str) -> list[str]:
        with self._lock:
            cells = self._load(tree_id)
        return sorted(p for p in cells or () if under_prefix(p, prefix))

    # --- StoreService --------------------------------------------------------
    async def capabilities(self) -> Capabilities:
        return Capabilities(Versioning.NONE, Encryption.NONE, False, False)

    async def list_trees(self) -> list[str]:
        return await asyncio.to_thread(self._list_trees)

    async def delete_tree(self, tree_id: str) -> None:
        await asyncio.to_thread(self._delete_tree, tree_id)

    async def get_values(self, tree_id: str, paths: Sequence[str]) -> list[Entry]:
        """The listed paths (missing ones left out); an empty list means every path."""
        return await asyncio.to_thread(self._get_values, tree_id, list(paths))

    async def put_values(self, tree_id: str, entries: Sequence[Entry], cas_version: str = "",
                         cas_versions: Mapping[str, str] | None = None) -> None:
        await self.write_values(tree_id, entries, (), cas_version, cas_versions)

    async def delete_values(self, tree_id: str, paths: Sequence[str]) -> None:
        await self.write_values(tree_id, (), paths)

    async def list_tree_versions(self, tree_id: str) -> list[str]:
        raise _versioning_unsupported()

    async def get_tree_version(self, tree_id: str, version: str, paths: Sequence[str]) -> list[Entry]:
        raise _versioning_unsupported()

    async def rollback_tree(self, tree_id: str, version: str) -> None:
        raise _versioning_unsupported()

    async def delete_tree_version(self, tree_id: str, version: str) -> None:
        raise _versioning_unsupported()

    # value versioning, encryption, auth and access control: the base class
    # answers Unsupported (UNIMPLEMENTED with zhi's marker).

    # --- extension -------------------------------------------------------------
    async def describe(self) -> StoreDescription:
        return StoreDescription(1, "json", self.dir, _FEATURES, False)

    async def list_paths(self, tree_id: str, prefix: str = "", version: str = "") -> list[str]:
        if version:
            raise _versioning_unsupported()
        return await asyncio.to_thread(self._list_paths, tree_id, prefix)

    async def stream_tree(self, tree_id: str, version: str = "", prefix: str = "",
                          chunk_size: int = 0) -> AsyncIterator[TreeChunk]:
        if version:
            raise _versioning_unsupported()
        entries = await asyncio.to_thread(self._snapshot, tree_id, prefix)
        size = chunk_size or DEFAULT_CHUNK
        for start in range(0, max(len(entries), 1), size):
            yield TreeChunk(tuple(entries[start:start + size]), "", len(entries))

    async def write_values(self, tree_id: str, entries: Sequence[Entry], delete_paths: Sequence[str] = (),
                           cas_version: str = "", cas_versions: Mapping[str, str] | None = None,
                           message: str = "", author: str = "") -> str:
        """Puts and deletes in one atomic file write. No versions: returns ''."""
        expected = {p: v for p, v in (cas_versions or {}).items() if v}
        if any(entries.versions if isinstance(entries, CheckedEntries) else map(_VERSION, entries)):  # none, usually
            expected.update({e.path: e.version for e in entries if e.version})
        if cas_version or expected:
            raise E.Unsupported("the json store keeps no versions, so it cannot check an expected version (CAS)",
                                {"feature": "cas"})
        await asyncio.to_thread(self._write_values, tree_id, entries if isinstance(entries, CheckedEntries)
                                else list(entries), list(delete_paths))
        return ""


def _entry(path: str, cell: AnyCell) -> Entry:
    return Entry(path, cell_value_json(cell), cell_metadata_json(cell))


def main() -> None:
    from zhi_gui.plugin.server import serve

    serve(JsonFileStore, name="zhi-store-json")


if __name__ == "__main__":
    main()
