"""zhi-store-sqlite: the embedded default store of zhi-gui (one SQLite file,
tree versioning with CAS, encryption at rest, the zhigui.ext.v1 extension)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from zhi_gui.stores.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the window imports this package for its options only (the
    # store's path), and SQLite engine + crypto would cost its start-up ~30 ms.
    if name == "SqliteStore":
        from zhi_gui.stores.sqlite.store import SqliteStore

        return SqliteStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
