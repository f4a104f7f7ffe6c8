"""Entry point of the zhi-store-etcd plugin: ``python -m zhi_gui.stores.etcd``."""

from zhi_gui.stores.etcd.store import main

if __name__ == "__main__":
    main()
