"""The main window on a 100,000-value tree (real sqlite plugin, real window).

Run: .venv/bin/python benchmarks/bench_tree.py [--values N]

Reports: open -> rows visible (target <= 1.5 s), one filter keystroke (target
<= 50 ms), the longest Qt event-loop stall during load, filter and save
(target <= 50 ms), and memory (GUI process RSS, plugin RSS).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("PYTHONUNBUFFERED", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QEvent, QObject

from zhi_gui.app import build_window
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.services.keyring_service import InMemoryVault
from zhi_gui.session import StoreTarget
from zhi_gui.ui.qt_loop import run_with_qt
from zhi_gui.ui.stall_meter import StallMeter

SQLITE = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def big_tree(count: int) -> list[Entry]:
    out = []
    for i in range(count):
        service, instance, key = i % 200, (i // 200) % 50, i // 10000
        meta = b'{"ui.password":true}' if key == 3 else b""
        out.append(Entry(f"svc{service:03d}/inst{instance:02d}/key{key:02d}", f'"value-{i}-abcdefgh"'.encode(), meta))
    return out


async def prepare(path: Path, count: int) -> float:
    async with await launch_store(SQLITE, options={"path": str(path), "create": True}, call_timeout=300) as plugin:
        started = time.perf_counter()
        await plugin.store.write_values("big", big_tree(count), message="bulk")
        return time.perf_counter() - started


class PaintWatcher(QObject):
    """Notes the first paint of a widget that happens while ``armed()`` is true."""

    def __init__(self, armed: object) -> None:
        super().__init__()
        self.armed = armed
        self.painted_at = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted_at and self.armed():  # type: ignore[operator]
            self.painted_at = time.perf_counter()
        return False


async def until(condition: object, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():  # type: ignore[operator]
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.001)


async def main(count: int) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="zb-", dir="/tmp") as tmp:
        store = Path(tmp) / "big.sqlite"
        took = await prepare(store, count)
        rows.append((f"prepare: write {count:,} values in one version", f"{took:.2f} s", ""))
        base_rss = rss_mb()
        window = build_window(vault=InMemoryVault())  # the window as the app composes it
        window.resize(1400, 900)
        window.show()
        meter = StallMeter()
        await asyncio.sleep(0.2)

        # open -> rows visible: the first paint of the tree after it has rows
        watcher = PaintWatcher(lambda: window.model.rowCount() > 0)
        window.tree_view.viewport().installEventFilter(watcher)
        meter.start()
        started = time.perf_counter()
        await window.open_store(StoreTarget(SQLITE, {"path": str(store), "create": True}, "big"))
        await until(lambda: watcher.painted_at > 0)
        opened = watcher.painted_at - started
        await asyncio.sleep(0.3)  # and the moments after it
        load_stall = meter.stop()
        rows.append(("open store -> rows visible", f"{opened:.2f} s", "<= 1.5 s"))
        rows.append(("longest Qt stall during open/load", f"{load_stall:.1f} ms", "<= 50 ms"))

        # filter keystrokes: each waits for its result to be applied
        times, stalls = [], []
        for query in ("k", "ke", "key0", "key03", "value-4", "value-42", "inst07"):
            meter.start()
            started = time.perf_counter()
            window.filter_edit.setText(query)
            await until(lambda q=query: window.match_label.text() != "" and window._filter_generation_done
                        == window._filter_generation)
            times.append((time.perf_counter() - started) * 1000)
            stalls.append(meter.stop())
        rows.append(("one filter keystroke (median / worst of 7)",
                     f"{statistics.median(times):.0f} ms / {max(times):.0f} ms", "<= 50 ms"))
        rows.append(("longest Qt stall while filtering", f"{max(stalls):.1f} ms", "<= 50 ms"))
        window.filter_edit.setText("")
        await until(lambda: window.model.visible is None)

        # save 10 staged edits
        for i in range(10):
            path = f"svc{i:03d}/inst00/key00"
            window.controller.stage_set(path, f'"edited-{i}"'.encode(), b"")
        meter.start()
        started = time.perf_counter()
        await window.save("bench edit")
        saved = (time.perf_counter() - started) * 1000
        rows.append(("save 10 edits (CAS, one version)", f"{saved:.0f} ms", ""))
        rows.append(("longest Qt stall during save", f"{meter.stop():.1f} ms", "<= 50 ms"))

        plugin = window.controller.supervisor.plugin if window.controller.supervisor else None
        rows.append(("memory: GUI process RSS (tree loaded)", f"{rss_mb():.0f} MB (+{rss_mb() - base_rss:.0f} MB for "
                                                              "the tree)", ""))
        if plugin is not None:
            rows.append(("memory: sqlite plugin RSS", f"{rss_mb(plugin.pid):.0f} MB", ""))
        window._closing_confirmed = True
        await window.controller.close()
        window.close()
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--values", type=int, default=100_000)
    options = parser.parse_args()
    results = run_with_qt(lambda: main(options.values))
    width = max(len(r[0]) for r in results)
    print(f"{'measure':<{width}}  {'result':<40} target")
    for name, value, target in results:
        print(f"{name:<{width}}  {value:<40} {target}")
