"""The kinds a store declares (versioning, encryption, actions) and :class:`Entry`, one
value of a tree: the part of :mod:`zhi_gui.core.model` the main window is built from.

Kept apart from the model's frozen dataclasses, which Python builds by generating and
compiling their methods at import (a few ms each): the window's first paint needs none of
them (issue 14, cold start). :mod:`zhi_gui.core.model` re-exports these names, the same
objects, so either import works.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Versioning(enum.IntEnum):
    NONE = 0
    TREE = 1
    VALUE = 2


class Encryption(enum.IntEnum):
    NONE = 0  # not supported
    SUPPORTED = 1  # supported, not initialised
    ACTIVE = 2


class Action(enum.IntEnum):
    READ = 0
    WRITE = 1
    DELETE = 2


class Entry(NamedTuple):
    """One value of a tree. A NamedTuple, not a dataclass: opening a tree
    creates 100,000s of these, and frozen dataclasses cost 3x more to build."""

    path: str
    value_json: bytes = b"null"
    metadata_json: bytes = b""
    version: str = ""
