"""Entry point of the zhi-store-sqlite plugin: ``python -m zhi_gui.stores.sqlite``."""

from __future__ import annotations


def main() -> None:
    from zhi_gui.plugin.server import serve
    from zhi_gui.stores.sqlite.store import SqliteStore

    serve(SqliteStore, name="zhi-store-sqlite")


if __name__ == "__main__":
    main()
