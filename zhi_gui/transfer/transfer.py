"""Export a tree (or subtree, at any version) and import a file through an open session:
a preview against the head, then one compare-and-set save."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from zhi_gui.core import errors as E
from zhi_gui.core import jsonvalues
from zhi_gui.core.model import Entry, Versioning
from zhi_gui.core.paths import path_problem, shown, under_prefix
from zhi_gui.core.secrets import is_secret
from zhi_gui.session import SaveOutcome, StagedEditsPending, StoreSession
from zhi_gui.session.history import HistoryAccess, Progress
from zhi_gui.transfer.formats import STEP, Format, Imported, Refused, encode
from zhi_gui.transfer.steps import in_thread


class ImportConflict(E.CASConflict):
    """The store changed since the preview: nothing of the import was written."""


def _relative(path: str, prefix: str) -> str:
    return path[len(prefix) + 1:] if prefix and path != prefix else ("" if prefix else path)


def _absolute(path: str, prefix: str) -> str:
    if not prefix:
        return path
    return f"{prefix}/{path}" if path else prefix


def subtree(tree: Mapping[str, Entry], prefix: str) -> dict[str, Entry]:
    """The entries below ``prefix``, keyed by their path relative to it."""
    prefix = prefix.strip("/")
    return {_relative(p, prefix): e for p, e in tree.items() if under_prefix(p, prefix)}


async def export_tree(session: StoreSession, fmt: Format, *, prefix: str = "", version: str = "",
                      include_secrets: bool = False, progress: Progress | None = None) -> bytes:
    """The loaded tree (head, or ``version``), or the subtree at ``prefix`` with paths
    relative to it, as a file. Secrets masked unless ``include_secrets``. ``progress(read,
    total)`` while a tree is read from the store; the file is made in a worker thread."""
    if version and session.capabilities.versioning != Versioning.TREE:
        raise E.Unsupported("this store keeps no tree versions: only the current tree can be exported")
    if prefix.strip("/") and session.has_feature("StreamTree") and (version or session.lazy):
        # Only the subtree is read from the store (svc001's 5,000 values of a 1M tree took 25 s
        # when the whole tree was read to export them).
        entries = await session.read_subtree(prefix.strip("/"), progress, version=version)
        tree = {entry.path: entry for entry in entries}
    elif version:
        tree = await HistoryAccess(session).tree_snapshot(version, progress)
    else:  # a big tree read lazily is in the index only in part: then the store's copy
        tree = await HistoryAccess(session).current_tree(progress)
    # (a 1M-value tree's file took the window seconds to make)
    return await in_thread(lambda _steps: encode(subtree(tree, prefix), fmt, include_secrets=include_secrets))


class Kind(enum.StrEnum):
    ADD = "add"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    DELETE = "delete"


_SIGNS = {Kind.ADD: "+", Kind.UPDATE: "~", Kind.UNCHANGED: "=", Kind.DELETE: "-"}


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    kind: Kind
    old: Entry | None
    new: Entry | None  # what will be staged (None: a delete)


@dataclass
class Preview:
    """What importing a file would do to one tree, computed against ``head_version``."""

    tree_id: str
    head_version: str
    replace: bool
    changes: list[Change] = field(default_factory=list)

    def count(self, kind: Kind) -> int:
        return sum(1 for c in self.changes if c.kind is kind)

    @property
    def writes(self) -> list[Change]:
        return [c for c in self.changes if c.kind is not Kind.UNCHANGED]

    def summary(self) -> str:
        parts = [f"{self.count(k):,} {k.value}" for k in Kind if k is not Kind.DELETE or self.replace]
        return ", ".join(parts)

    def lines(self, *, show_unchanged: bool = False) -> list[str]:
        """One line per change; secret values are never shown."""
        out = []
        for change in self.changes:
            if change.kind is Kind.UNCHANGED and not show_unchanged:
                continue
            text = f"{_SIGNS[change.kind]} {change.path}"
            if change.kind is Kind.UPDATE:
                text += f": {_shown(change.old)} -> {_shown(change.new)}"
            elif change.kind is Kind.ADD:
                text += f": {_shown(change.new)}"
            out.append(text)
        return out


def _shown(entry: Entry | None, limit: int = 60) -> str:
    if entry is None:
        return "(none)"
    if is_secret(entry):
        return "(secret)"
    text = jsonvalues.to_text(jsonvalues.decode_value(entry.value_json))
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"


def _canonical(value_json: bytes) -> bytes:
    """The bytes zhi would write for a value: 1.0 and 1 are the same float64 to zhi."""
    return jsonvalues.encode_value(jsonvalues.decode_value(value_json))


def _metadata_same(a: bytes, b: bytes) -> bool:
    return jsonvalues.decode_metadata(a) == jsonvalues.decode_metadata(b) if a or b else True


def compute_preview(head: Mapping[str, Entry], imported: Mapping[str, Imported], *, tree_id: str = "",
                    head_version: str = "", prefix: str = "", replace: bool = False,
                    steps: Callable[[int], None] | None = None) -> Preview:
    """add / update / unchanged (and, with ``replace``, delete below ``prefix``) for
    putting ``imported`` (paths relative to ``prefix``) into ``head``. ``steps(done)``
    is called every ``STEP`` imported values compared (it may raise to stop)."""
    prefix = prefix.strip("/")
    preview = Preview(tree_id, head_version, replace)
    seen = set()
    for done, relative in enumerate(sorted(imported), 1):
        if steps is not None and done % STEP == 0:
            steps(done)
        item = imported[relative]
        path = _absolute(relative, prefix)
        problem = path_problem(path)
        if problem:
            raise Refused(f"{shown(path)} is not a zhi path: {problem}", path=path)
        seen.add(path)
        old = head.get(path)
        if item.masked and (old is None or not is_secret(old)):
            raise Refused("holds a masked secret (the file was exported without its secrets) and the store has "
                          "no secret there to keep", path=path)
        if item.masked:
            preview.changes.append(Change(path, Kind.UNCHANGED, old, old))
            continue
        metadata = item.metadata_json if item.metadata_json is not None else (old.metadata_json if old else b"")
        new = Entry(path, item.value_json, metadata)
        if old is None:
            kind = Kind.ADD
        elif _canonical(old.value_json) == item.value_json and _metadata_same(old.metadata_json, metadata):
            kind = Kind.UNCHANGED
        else:
            kind = Kind.UPDATE
        preview.changes.append(Change(path, kind, old, new))
    if replace:
        for path in sorted(head):
            if path not in seen and under_prefix(path, prefix):
                preview.changes.append(Change(path, Kind.DELETE, head[path], None))
    preview.changes.sort(key=lambda c: c.path)
    return preview


async def preview_import(session: StoreSession, imported: Mapping[str, Imported], *, prefix: str = "",
                         replace: bool = False, report: Callable[[int], None] | None = None) -> Preview:
    """The preview against the session's loaded tree (its head when loaded). A store that
    cannot list its keys is asked for the imported paths first (they may exist already).
    The comparison runs off the event loop; ``report(done)`` says how many imported
    values were compared so far, and cancelling stops it."""
    if not session.loaded or not session.tree_id:
        raise E.PluginUnavailable("no tree is loaded")
    if replace and not session.lists_keys:
        raise E.Unsupported("this store cannot list its keys (a plain zhi store), so replace mode cannot tell "
                            "what to delete: import without --replace")
    if replace and session.lazy:
        raise E.Unsupported(f"this tree holds {session.total_values:,} values and is read as groups are opened, "
                            "so replace mode cannot tell here what to delete: import without replace")
    paths = [_absolute(p, prefix.strip("/")) for p in imported]
    await session.load_paths(paths)
    # A snapshot for the worker thread: live updates change the index on the loop meanwhile.
    entries = session.index.entries
    head = dict(entries) if replace else {p: entries[p] for p in paths if p in entries}
    tree_id, head_version = session.tree_id, session.head_version
    return await in_thread(lambda steps: compute_preview(head, imported, tree_id=tree_id, head_version=head_version,
                                                         prefix=prefix, replace=replace, steps=steps), report)


async def apply_import(session: StoreSession, preview: Preview, message: str) -> SaveOutcome:
    """Write the preview's changes as one compare-and-set save. If the store moved since
    the preview (another head, or a value it touches changed), nothing is written and
    ImportConflict says so; the session keeps no staged edits of the import."""
    if not session.can_edit:
        raise E.PluginUnavailable("the store is not open for editing (closed, locked or no tree loaded)")
    if session.staging:
        raise StagedEditsPending(f"{len(session.staging)} staged edit(s) are not saved: save or discard them first")
    if session.tree_id != preview.tree_id:
        raise E.InvalidArgument(f"the preview is for tree \u201c{preview.tree_id}\u201d, not "
                                f"\u201c{session.tree_id}\u201d")
    writes = preview.writes
    if not writes:
        return SaveOutcome(False, reason="nothing to import: every value is unchanged")
    if session.capabilities.versioning == Versioning.TREE:
        head = await session.current_head()
        if head != preview.head_version:
            raise ImportConflict(f"the tree changed since the preview (head {preview.head_version or '(none)'} -> "
                                 f"{head}): nothing was imported; preview again")
    for change in writes:
        if session.base_of(change.path) != change.old:
            raise ImportConflict(f"{change.path} changed since the preview: nothing was imported; preview again")
    # Exactly these paths (session.stage_delete would also take a group's children), in one step.
    session.stage_exactly(f"import {len(writes):,} changes", [c.new for c in writes if c.new is not None],
                          [c.path for c in writes if c.new is None])
    if session.capabilities.versioning == Versioning.NONE:
        # Nothing to compare-and-set against: compare the values themselves just before writing.
        moved = await session.conflicts()
        if moved:
            session.discard_staged()
            raise ImportConflict(f"the store changed since the preview ({', '.join(c.path for c in moved[:5])}): "
                                 "nothing was imported; preview again")
    try:
        return await session.save(message)  # no conflict policy: a conflict raises, nothing is overwritten
    except E.CASConflict as exc:
        conflicts = await session.conflicts()
        session.discard_staged()
        paths = ", ".join(c.path for c in conflicts[:5]) or "the tree"
        raise ImportConflict(f"the store changed since the preview ({paths}): nothing was imported; "
                             "preview again") from exc
    except BaseException:
        session.discard_staged()
        raise
