"""Checks over a whole write at once, for the common case where nothing is wrong.

One regular expression over 100,000 joined paths or values is one C call where
a check per entry is a few Python calls each (a 100,000-value PutValues spent
about 0.5 s of its 1.4 s there; 100,000 paths: 10 ms joined, 29 ms one match
per path). A ``False`` from these says only that something *may* be wrong: the
caller then checks entry by entry with the one rule (``core.paths``,
``core.jsonvalues``) and reports the first problem as before.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from itertools import repeat
from typing import overload

from zhi_gui.core.model import Entry
from zhi_gui.core.paths import MAX_PATH_LENGTH

# core.paths' rule (segments of a-z 0-9 . _ -, starting with a letter, ending with
# a letter or digit) written without backtracking, so one match runs over all the
# paths of a write; tests/unit/test_bulk_checks.py holds it to core.paths.
_SEGMENT = r"[a-z][a-z0-9._-]*+(?<![._-])"
_PATH = f"{_SEGMENT}(?:/{_SEGMENT})*+"
_PATHS = re.compile(f"{_PATH}(?:\n{_PATH})*+")  # newline-joined: a valid path never holds one

# JSON scalars that are certainly one valid document zhi reads: any string (raw
# control characters are not JSON), true, false, null, and numbers of at most 15
# digits either side of the point (always finite in a float64). Empty = null.
# A string is a run of plain characters, then escapes each followed by such a run
# ("unrolled": an alternation tried per character took 45 ms over 100,000 values, this 10).
_SCALAR_TEXT = (r'(?:"[^"\\\x00-\x1f]*+(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*+)*+"|true|false|null'
                r"|-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?)?")
_SCALAR = re.compile(_SCALAR_TEXT)
_SCALARS = re.compile(f"{_SCALAR_TEXT}(?:\n{_SCALAR_TEXT})*+")


def all_paths_valid(paths: Sequence[str]) -> bool:
    """True when every path follows zhi's path rules."""
    if not paths:
        return True
    joined = "\n".join(paths)
    return (max(map(len, paths)) <= MAX_PATH_LENGTH and joined.count("\n") == len(paths) - 1
            and _PATHS.fullmatch(joined) is not None)


def joined_text(values: Sequence[bytes]) -> str | None:
    """The values as one newline-joined text, for checks in one pass; None when they
    are not all UTF-8 or one holds a newline (JSON whitespace): no shortcut then."""
    try:
        text = b"\n".join(values).decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if text.count("\n") == len(values) - 1 else None


def plain_scalars(values: Sequence[bytes], text: str | None = None) -> list[bool]:
    """Per value: True when it is certainly a valid JSON scalar (or empty, which is
    null); False when it must be checked in full (objects, arrays, other numbers,
    invalid text). ``text`` is ``joined_text(values)``, when it was made already."""
    if text is None:
        text = joined_text(values)
    if text is None:
        return [False] * len(values)
    if _SCALARS.fullmatch(text):
        return [True] * len(values)
    return [match is not None for match in map(_SCALAR.fullmatch, text.split("\n"))]


class CheckedEntries(Sequence[Entry]):
    """The entries of one write as the columns the servicer read and checked: every
    path, value and label set follows zhi's rules (the servicer names the first bad
    entry). A store given one may skip its own checks of those rules and use the
    columns: the json store checked every path of a 100,000-value write a second
    time (~16 ms), read the columns off the entries again (~12 ms) and joined the
    values again (~6 ms). The Entry tuples are made only when a store reads them
    as entries (the json store never does: making them cost ~25 ms of the ~65 ms
    the conversion from the wire took). A store that edits entries makes a new list,
    which is checked again."""

    __slots__ = ("_entries", "metadata", "paths", "value_text", "values", "versions")

    def __init__(self, paths: list[str], values: list[bytes], metadata: list[bytes], versions: list[str],
                 value_text: str | None) -> None:
        self.paths = paths  # Entry.path of each entry, in order
        self.values = values  # Entry.value_json of each entry, in order
        self.metadata = metadata  # Entry.metadata_json of each entry, in order
        self.versions = versions  # Entry.version of each entry, in order
        self.value_text = value_text  # joined_text(values)
        self._entries: list[Entry] | None = None

    def entries(self) -> list[Entry]:
        """The entries as Entry tuples (made once, in C-level passes)."""
        if self._entries is None:
            self._entries = entries_of(self.paths, self.values, self.metadata, self.versions)
        return self._entries

    def __len__(self) -> int:
        return len(self.paths)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        return self.entries()[index]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries())

    def __repr__(self) -> str:
        return f"CheckedEntries({self.entries()!r})"


def entries_of(paths: Sequence[str], values: Sequence[bytes], metadata: Sequence[bytes],
               versions: Sequence[str]) -> list[Entry]:
    """Entry tuples from their fields' columns: what Entry._make does, with no Python
    call per entry (zip hands tuple.__new__ one reused tuple)."""
    return list(map(tuple.__new__, repeat(Entry), zip(paths, values, metadata, versions, strict=True)))
