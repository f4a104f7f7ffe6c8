"""The window as a small screen shows it: trees, values, history and a diff at once.

Run under Xvfb with the screen size to show, e.g.::

    xvfb-run -a -s "-screen 0 1366x768x24" .venv/bin/python scripts/screenshot_screens.py \
        docs/screenshots/diff-1366x768.png
    QT_SCALE_FACTOR=1.5 xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python scripts/screenshot_screens.py \
        docs/screenshots/diff-1920x1080-scale1.5.png

The window takes the screen's whole free area (as maximised), a second version is
written, and selecting a version in History opens the Diff dock. It prints the
window's size and each shown dock's geometry."""

import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication, QDockWidget

from zhi_gui.ui.qt_loop import run_with_qt
from zhi_gui.ui.theme import apply_theme

SQLITE = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"
OUT = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/screens.png")


async def settle(seconds: float = 0.6) -> None:
    await asyncio.sleep(seconds)
    QApplication.processEvents()


async def main() -> None:
    from zhi_gui.app import build_window
    from zhi_gui.services.keyring_service import InMemoryVault
    from zhi_gui.session import StoreTarget

    app = QApplication.instance()
    apply_theme(app, "light")
    tmp = Path(tempfile.mkdtemp(prefix="zs-", dir="/tmp"))
    win = build_window(None, vault=InMemoryVault())
    free = win.screen().availableGeometry()
    win.setGeometry(free)
    win.show()
    await win.open_store(StoreTarget(SQLITE, {"path": str(tmp / "demo.sqlite"), "create": True}, "sample"))
    await win.fill_sample()
    win.session.stage_set("services/api/replicas", b"6", b"")
    win.session.stage_set("services/api/image", b'"registry.example.com/api:1.9.0"', b"")
    await win.save("Scale api to 6 replicas")
    await settle(1.0)
    win.expand_for_screenshot()
    panel = win.history_panel
    panel.show_panel()
    await settle(1.0)
    panel.select_versions([panel.model.rows[1].id])  # the first version, compared with current
    panel.show_diff_dock()
    await settle(2.0)
    print(f"screen {free.width()}x{free.height()}, window {win.width()}x{win.height()}, "
          f"minimum {win.minimumSizeHint().width()}x{win.minimumSizeHint().height()}")
    for dock in win.findChildren(QDockWidget):
        if dock.isVisible() and not dock.visibleRegion().isEmpty():
            g = dock.geometry()
            print(f"  {dock.objectName():14} x={g.x()} y={g.y()} {g.width()}x{g.height()}")
    win.grab().save(str(OUT))
    print("saved", OUT)
    win._closing_confirmed = True
    await win.session.close()
    win.close()


run_with_qt(main)
