"""zhi-store-etcd benchmarks against a real one-member etcd (Debian's etcd,
started here on free loopback ports) and the real plugin processes.

Run: .venv/bin/python benchmarks/bench_etcd.py [--values N] [--watch-saves N] [--window-saves N]

Measures:
  1. put N values (default 100,000) in ONE WriteValues (one etcd transaction);
  2. open: stream the whole tree (extension StreamTree), and GetValues of all;
  3. search: ListPaths under one prefix, and all paths;
  4. one save of 1,000 edited values with CAS (head + every entry's version), one version;
  5. live updates: a second plugin process saves one value at a time; the first
     one's WatchTree receives each new version: latency from the start of the
     save to the event (p50 / p99 / max);
  6. ListTreeVersions / DescribeVersions after those saves (read from etcd's history).

Then the same tree in two real main windows in this process (Qt offscreen, as the app
composes them, each with its own plugin process):
  7. open: the store opened in a window until the value tree first paints rows;
  8. search: one filter keystroke in the window until its result is applied;
  9. save of 1,000 edits staged in one window (CAS, one version), and how long until the
     other window shows all 1,000 (it follows live);
 10. live update: one window saves one value; latency until the other window repaints
     with the new value (p50 / p99 / max).
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

from benchmarks.bench_sqlite import make_tree  # the same tree for every store benchmark
from tests.etcd_server import EtcdServer
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.ui.qt_loop import run_with_qt

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugins" / "zhi-store-etcd" / "zhi-store-etcd"
TREE = "bench"



def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


async def run(values: int, watch_saves: int, endpoint: str) -> None:
    options = {"endpoints": [endpoint], "root": "/bench/", "timeout": 120}
    async with await launch_store(PLUGIN, options=options) as one, \
            await launch_store(PLUGIN, options=options) as two:
        a, b = one.store, two.store
        tree = make_tree(values)
        t = time.perf_counter()
        head = await a.write_values(TREE, tree, message="bulk load")
        print(f"1. put {values:,} values in one transaction: {time.perf_counter() - t:.2f} s")

        t = time.perf_counter()
        streamed = [e async for chunk in a.stream_tree(TREE) for e in chunk.entries]
        print(f"2. open (StreamTree) {len(streamed):,} values: {time.perf_counter() - t:.2f} s", end="")
        t = time.perf_counter()
        got = await a.get_values(TREE, [])
        print(f"; GetValues of all {len(got):,}: {time.perf_counter() - t:.2f} s")

        t = time.perf_counter()
        some = await a.list_paths(TREE, "service-042/")
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        every = await a.list_paths(TREE)
        print(f"3. ListPaths under service-042/ ({len(some):,}): {ms(t1)}; all {len(every):,}: "
              f"{ms(time.perf_counter() - t)}")

        versions = {e.path: e.version for e in streamed}
        picked = streamed[::max(values // 1000, 1)][:1000]
        edits = [Entry(e.path, b'"edited"', e.metadata_json, versions[e.path]) for e in picked]
        t = time.perf_counter()
        head = await a.write_values(TREE, edits, cas_version=head, message="1,000 edits")
        print(f"4. save of {len(edits):,} edits with CAS in one version: {ms(time.perf_counter() - t)}")

        changes = a.watch_tree(TREE, after_version=head)
        latencies: list[float] = []
        for i in range(watch_saves):
            t = time.perf_counter()
            version = await b.write_values(TREE, [Entry("live/counter", str(i).encode())])
            while True:
                change = await asyncio.wait_for(anext(changes), 10)
                if change.version == version:
                    break
            latencies.append(time.perf_counter() - t)
        await changes.aclose()
        q = statistics.quantiles(latencies, n=100, method="inclusive")
        print(f"5. live update, save in one process -> WatchTree event in the other, {watch_saves} saves: "
              f"p50 {ms(q[49])}, p99 {ms(q[98])}, max {ms(max(latencies))}")

        t = time.perf_counter()
        listed = await a.list_tree_versions(TREE)
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        page = await a.describe_versions(TREE, limit=50)
        print(f"6. ListTreeVersions ({len(listed)} versions): {ms(t1)}; DescribeVersions (50 of {page.total}): "
              f"{ms(time.perf_counter() - t)}")


async def in_windows(values: int, saves: int, endpoint: str) -> None:
    """Steps 7-10: the tree written by ``run`` in two real windows."""
    from benchmarks.bench_tree import PaintWatcher, until
    from zhi_gui.app import build_window
    from zhi_gui.services.keyring_service import InMemoryVault
    from zhi_gui.session import StoreTarget

    target = StoreTarget(PLUGIN, {"endpoints": [endpoint], "root": "/bench/", "timeout": 120}, TREE, "bench etcd")
    one, two = build_window(vault=InMemoryVault()), build_window(vault=InMemoryVault())
    try:
        for window in (one, two):
            window.resize(1366, 768)
            window.show()
        await asyncio.sleep(0.2)
        opened = []
        for window in (one, two):
            watcher = PaintWatcher(lambda w=window: w.model.rowCount() > 0)
            window.tree_view.viewport().installEventFilter(watcher)
            t = time.perf_counter()
            await window.open_store(target)
            await until(lambda w=watcher: w.painted_at > 0)
            opened.append(watcher.painted_at - t)
            window.tree_view.viewport().removeEventFilter(watcher)
        print(f"7. open in a window -> rows painted, {len(one.session.index):,} values: first window "
              f"{opened[0]:.2f} s, second window {opened[1]:.2f} s")

        times = []
        for query in ("s", "se", "service-04", "service-042", "value 04", "value 0420", "group-07"):
            t = time.perf_counter()
            one.filter_edit.setText(query)
            await until(lambda: one.match_label.text() != "" and one._filter_generation_done
                        == one._filter_generation)
            times.append(time.perf_counter() - t)
        one.filter_edit.setText("")
        await until(lambda: one.model.visible is None)
        print(f"8. search: one filter keystroke in the window (median / worst of {len(times)}): "
              f"{ms(statistics.median(times))} / {ms(max(times))}")

        paths = sorted(one.session.index.entries)[1::max(values // 1000, 1)][:1000]
        for path in paths:
            one.session.stage_set(path, b'"edited in window one"', b"")
        t = time.perf_counter()
        await one.save("1,000 edits from a window")
        saved = time.perf_counter() - t
        await until(lambda: all(two.session.index.entries[p].value_json == b'"edited in window one"'
                                for p in paths[::50]), timeout=120)
        print(f"9. save of {len(paths):,} edits in a window (CAS, one version): {ms(saved)}; the other window "
              f"shows them {time.perf_counter() - t:.2f} s after the save started")

        path = paths[0]
        latencies, save_times = [], []
        for i in range(saves):
            wanted = f"live {i}"

            def shown(w: object = two, text: str = wanted) -> bool:
                index = two.model.index_of_path(path)
                return index.isValid() and index.siblingAtColumn(1).data() == text

            watcher = PaintWatcher(shown)
            two.tree_view.viewport().installEventFilter(watcher)
            one.session.stage_set(path, f'"{wanted}"'.encode(), b"")
            t = time.perf_counter()
            await one.save(f"live {i}")
            save_times.append(time.perf_counter() - t)
            await until(lambda w=watcher: w.painted_at > 0, timeout=120)
            latencies.append(watcher.painted_at - t)
            two.tree_view.viewport().removeEventFilter(watcher)
        q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
        print(f"10. live update between two windows, save in one -> the other repainted with the new value, "
              f"{saves} saves: p50 {ms(q[49])}, p99 {ms(q[98])}, max {ms(max(latencies))} (of which the save "
              f"itself in the first window: p50 {ms(statistics.median(save_times))}; the rest is the other window "
              "reading the change and showing it)")
    finally:
        for window in (one, two):
            window._closing_confirmed = True
            window.task_runner.cancel_all()
            await window.session.close()
            window.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--watch-saves", type=int, default=200)
    parser.add_argument("--window-saves", type=int, default=30, help="saves timed from window to window (step 10)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhi-bench-etcd-") as tmp:
        server = EtcdServer(Path(tmp) / "data")
        server.start()
        try:
            asyncio.run(run(args.values, args.watch_saves, server.endpoint))
            run_with_qt(lambda: in_windows(args.values, args.window_saves, server.endpoint))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
