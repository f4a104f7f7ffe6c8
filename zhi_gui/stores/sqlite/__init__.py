"""zhi-store-sqlite: the embedded default store of zhi-gui (one SQLite file,
tree versioning with CAS, encryption at rest, the zhigui.ext.v1 extension)."""

from zhi_gui.stores.sqlite.store import SqliteStore

__all__ = ["SqliteStore"]
