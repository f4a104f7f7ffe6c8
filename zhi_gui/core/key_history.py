"""History of one key: "when did this value change, and to what?".

Input: one path's entry in each version of a tree, newest first, as
``(version_info, entry_or_None)`` (None: the path does not exist in that
version). Output: only the versions where the path actually changed, newest
first, each with its kind (added / changed / removed), the entry before and
after and the :class:`~zhi_gui.core.diff.PathChange` flags. Versions that
repeat the previous value (same value and labels by the tree diff's rules:
semantic JSON equality, strict number types, ``Entry.version`` ignored) are
collapsed away, and so are versions where the path is absent on both sides.

Histories load lazily in pages, so :func:`iter_key_changes` consumes any
iterable, newest first, and yields as it goes. With ``complete=False`` (the
oldest loaded version is not the tree's first one) the oldest item is only a
baseline: the path may have existed before it, so no "added" is claimed there.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from zhi_gui.core.diff import ChangeKind, PathChange, compare_entries
from zhi_gui.core.model import Entry

V = TypeVar("V")


@dataclass(frozen=True, slots=True)
class KeyChange(Generic[V]):
    """The path changed in ``version``: from ``change.old`` (the previous
    version's entry) to ``change.new`` (this version's entry)."""

    version: V
    change: PathChange = field(repr=False)
    previous_version: V | None = None  # the older version compared against; None for "added" at the oldest

    @property
    def kind(self) -> ChangeKind:
        return self.change.kind

    @property
    def entry(self) -> Entry | None:
        """The entry in this version (None when removed)."""
        return self.change.new

    @property
    def previous(self) -> Entry | None:
        return self.change.old

    def describe(self, *, reveal: bool = False) -> str:
        return self.change.describe(reveal=reveal)


def iter_key_changes(
    path: str,
    versions: Iterable[tuple[V, Entry | None]],
    *,
    complete: bool = True,
) -> Iterator[KeyChange[V]]:
    """Yield the versions where ``path`` changed, newest first (see the module doc)."""
    newer: tuple[V, Entry | None] | None = None
    for older in versions:
        if newer is not None:
            change = _between(path, older[1], newer[1])
            if change is not None:
                yield KeyChange(newer[0], change, older[0])
        newer = older
    if newer is not None and complete and newer[1] is not None:
        yield KeyChange(newer[0], compare_entries(path, None, newer[1]), None)


def key_history(
    path: str,
    versions: Iterable[tuple[V, Entry | None]],
    *,
    complete: bool = True,
) -> list[KeyChange[V]]:
    """The list form of :func:`iter_key_changes`."""
    return list(iter_key_changes(path, versions, complete=complete))


def _between(path: str, old: Entry | None, new: Entry | None) -> PathChange | None:
    if old is None and new is None:
        return None
    if old is not None and new is not None and (
        old is new or (old.value_json == new.value_json and old.metadata_json == new.metadata_json)
    ):
        return None
    change = compare_entries(path, old, new)
    return None if change.kind is ChangeKind.UNCHANGED else change
