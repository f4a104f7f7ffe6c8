"""Plugin log benchmark: the longest Qt event-loop stall while a plugin logs.

Run: .venv/bin/python benchmarks/bench_plugin_log.py [--seconds S]

A real plugin process (the memory store, served by ``zhi_gui.plugin.server``)
with a thread writing hclog JSON lines to stderr at a fixed rate is launched
on the qasync loop; a shown ``PluginView`` gets the lines. ``StallMeter``
(2 ms ticks) reports the longest stall. Rows:

  * 1,000 lines/s into ``PluginView.add_lines`` via ``on_log_batch``:
    target <= 50 ms;
  * the same rate into ``add_line`` per line via ``on_log`` (the compatible
    path, still batched by the launcher);
  * 20,000 lines/s (beyond what a view should show: the bounded buffer drops
    the oldest lines and says so) via ``on_log_batch``;
  * a baseline with the plugin silent, to tell the machine's own noise (other
    processes on the same cores) from the cost of the log.

Each row also gives the longest time one delivery spent in the view (the
UI-thread work per batch), which does not depend on the machine's load.

Runs offscreen unless a display is set.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from zhi_gui.plugin.audit import AuditMode  # noqa: E402
from zhi_gui.plugin.hclog import LogLine  # noqa: E402
from zhi_gui.plugin.launcher import launch_store  # noqa: E402
from zhi_gui.ui.plugin_view import PluginView  # noqa: E402
from zhi_gui.ui.qt_loop import run_with_qt  # noqa: E402
from zhi_gui.ui.stall_meter import StallMeter  # noqa: E402

CHATTY = '''
import logging, os, threading, time
from zhi_gui.plugin.server import serve
from zhi_gui.stores.memory import MemoryStore

RATE = int(os.environ["BENCH_LOG_RATE"])

def chatter():
    log = logging.getLogger("chatty")
    n = 0
    start = time.monotonic()
    while True:
        n += 1
        log.info("request %d served", n, extra={"path": f"app/key-{n % 1000}", "took": "0.2ms"})
        ahead = start + n / RATE - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)

def factory(options):
    if RATE:
        threading.Thread(target=chatter, daemon=True).start()
    return MemoryStore()

serve(factory, name="zhi-store-chatty")
'''


def make_plugin(directory: Path) -> Path:
    script = directory / "chatty.py"
    script.write_text(textwrap.dedent(CHATTY))
    wrapper = directory / "zhi-store-chatty"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -P "{script}" "$@"\n')
    wrapper.chmod(0o755)
    return wrapper


async def measure(plugin_path: Path, rate: int, seconds: float, batched: bool) -> tuple[float, int, int, float]:
    view = PluginView()
    view.resize(900, 600)
    view.show()
    view.level.setCurrentIndex(0)  # show everything
    delivered = [0, 0]  # lines, batches
    worst = [0.0]  # longest single delivery into the view, seconds

    def on_batch(lines: list[LogLine]) -> None:
        delivered[0] += len(lines)
        delivered[1] += 1
        started = time.perf_counter()
        view.add_lines(lines)
        worst[0] = max(worst[0], time.perf_counter() - started)

    def on_line(line: LogLine) -> None:
        delivered[0] += 1
        view.add_line(line)

    options = {"on_log_batch": on_batch} if batched else {"on_log": on_line}
    plugin = await launch_store(plugin_path, audit=AuditMode.WARN, extra_env={"BENCH_LOG_RATE": str(rate)},
                                **options)
    meter = StallMeter(2)
    try:
        await asyncio.sleep(0.5)  # let the rate settle
        meter.start()
        await asyncio.sleep(seconds)
        stall = meter.stop()
        await plugin.store.ping()  # the plugin still answers
    finally:
        await plugin.close()
        view.close()
        view.deleteLater()
    return stall, delivered[0], delivered[1], worst[0] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhi-bench-log-") as tmp:
        plugin = make_plugin(Path(tmp))

        async def all_rows() -> list[str]:
            rows = []
            for label, rate, batched in (("silent plugin (baseline: machine noise)", 0, True),
                                         ("1,000 lines/s, add_lines (batched)", 1000, True),
                                         ("1,000 lines/s, add_line per line", 1000, False),
                                         ("20,000 lines/s, add_lines (batched)", 20_000, True)):
                stall, lines, batches, worst = await measure(plugin, rate, args.seconds, batched)
                per_batch = f"{batches} batches, longest in view {worst:.1f} ms" if batched else "per line"
                rows.append(f"{label:40s} longest stall {stall:6.1f} ms   ({lines} lines shown, {per_batch})"
                            + ("   target <= 50 ms" if rate == 1000 and batched else ""))
            return rows

        for row in run_with_qt(all_rows):
            print(row)


if __name__ == "__main__":
    main()
