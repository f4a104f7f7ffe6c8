"""The window on a team store in etcd, just after another user saved: the keys
they changed are marked (bold, a dot) without a click.

Starts a one-member etcd (Debian's etcd-server) on free loopback ports in a temp
dir, like the tests. Run under Xvfb with the screen size to show::

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshot_etcd.py \
        docs/screenshots/etcd-1366x768.png
"""

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from zhi_gui.ui.qt_loop import run_with_qt
from zhi_gui.ui.theme import apply_theme

ETCD_PLUGIN = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-etcd" / "zhi-store-etcd"
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/etcd.png")
CHANGED = ["services/api/replicas", "services/api/image", "global/log-level"]


async def settle(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)
    QApplication.processEvents()


async def main() -> None:
    from tests.etcd_server import EtcdServer
    from zhi_gui.app import build_window
    from zhi_gui.core.model import Entry
    from zhi_gui.plugin.launcher import launch_store
    from zhi_gui.services.keyring_service import InMemoryVault
    from zhi_gui.session import StoreTarget

    app = QApplication.instance()
    apply_theme(app, "light")
    server = EtcdServer(Path(tempfile.mkdtemp(prefix="ze-", dir="/tmp")) / "data")
    server.start()
    options = {"endpoints": [server.endpoint], "root": "/team/"}
    win = build_window(None, vault=InMemoryVault())
    try:
        win.setGeometry(win.screen().availableGeometry())
        win.show()
        await win.open_store(StoreTarget(ETCD_PLUGIN, options, "sample", "team etcd"))
        await win.fill_sample()
        await settle(1.0)
        win.expand_for_screenshot()
        other = await launch_store(ETCD_PLUGIN, options={**options, "author": "alice@laptop"})
        try:
            await other.store.write_values("sample", [Entry("services/api/replicas", b"8"),
                                                      Entry("services/api/image", b'"registry.example.com/api:2.0.0"'),
                                                      Entry("global/log-level", b'"debug"')],
                                           message="api 2.0 rollout")
        finally:
            await other.close()
        for _ in range(100):  # the live update arrives by itself
            if all(win.change_marks.is_marked(p) for p in CHANGED) and "alice" in \
                    win.change_marks.tooltip(CHANGED[0]):
                break
            await settle(0.1)
        win.expand_for_screenshot()
        await settle(1.0)
        print("marked:", [p for p in CHANGED if win.change_marks.is_marked(p)], "|",
              win.change_marks.tooltip(CHANGED[0]).replace("\n", " | "))
        win.grab().save(str(OUT))
        print("saved", OUT)
    finally:
        win._closing_confirmed = True
        await win.session.close()
        win.close()
        server.stop()


run_with_qt(main)
