"""zhi-store-sqlite: the embedded default store of zhi-gui (one SQLite file,
tree versioning with CAS, encryption at rest, the zhigui.ext.v1 extension)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zhi_gui.stores.sqlite.store import SqliteStore

__all__ = ["PROGRESS_PREFIX", "SqliteStore"]

# A line ``--check --progress`` (and ``--recover``) prints on stderr as it goes: what it is
# doing ("reading changes: 300,000 of 1,015,001 rows"). Here, not in ``check``: the window
# reads these lines and must not import the checker (SQLite, crypto) to know their mark.
PROGRESS_PREFIX = "progress: "


def __getattr__(name: str) -> Any:
    # Imported on first use: the window imports this package for its options only (the
    # store's path), and SQLite engine + crypto would cost its start-up ~30 ms.
    if name == "SqliteStore":
        from zhi_gui.stores.sqlite.store import SqliteStore

        return SqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
