"""The open store's state and intents, without Qt (see ``session.StoreSession``).

``target``   what is opened (StoreTarget), where an edit belongs (EditTarget), conflicts
``session``  StoreSession: plugin, trees, index, staged edits, save with CAS, changes elsewhere
``history``  versions, snapshots and rollback through a session
``memory``   what is remembered per store (recent list, last tree, known paths)
``events``   plain-Python notifications
"""

from zhi_gui.session.events import Event
from zhi_gui.session.memory import SessionMemory
from zhi_gui.session.session import (
    MAX_SAVE_ATTEMPTS,
    ConflictPolicy,
    StagedEditsPending,
    StoreSession,
    WrongTarget,
    build_index,
)
from zhi_gui.session.target import ChangesElsewhere, Conflict, EditTarget, SaveOutcome, StoreTarget

__all__ = [
    "MAX_SAVE_ATTEMPTS",
    "ChangesElsewhere",
    "Conflict",
    "ConflictPolicy",
    "EditTarget",
    "Event",
    "SaveOutcome",
    "SessionMemory",
    "StagedEditsPending",
    "StoreSession",
    "StoreTarget",
    "WrongTarget",
    "build_index",
]
