"""Issue 14's table, each row next to its reference measured in the same run.

Run: .venv/bin/python benchmarks/bench_scale.py [--sizes 100k,1m] [--runs 3]

zhi_gui's bytecode is compiled first, as an install does.

Rows (medians of ``--runs`` where cheap; the 1M open is measured once):
  * open N values, process start -> rows painted: the real app (``zhi_gui.app.main``)
    in a child process, against a bare gRPC fetch of the same tree (sqlite plugin
    spawned, StreamTree read whole), also counted from the moment the plugin runs;
    the window's RSS (and its plugin's) 1 s after the rows are painted;
  * what a lazily reading window asks of the sqlite store at each size (RPC only):
    ListChildren of the root and of a group, Search (first, next, 2 characters);
  * longest event-loop stall at 100k (real window, real sqlite plugin): idle loop
    (the reference), diff of two versions (1% changed), recursive expand (``*``),
    load, filter typing, PgDn, save of 1,000 edits, the side-by-side diff of one
    1.2 MB JSON value;
  * sqlite plugin vs the Go peer (zhi-store-gopeer, in memory): get 100k by path (a new
    plugin's first read, cold, and its second, warm: the plugin keeps a verified tree),
    spawn -> handshake (up to the connected client; the shutdown is not timed), spawn ->
    first answered call; the json plugin's put of 100k against the Go peer's;
  * cold start to first paint: the app (no store given: the embedded default, in a
    temporary home) against a bare PySide6 window, both as child processes.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

os.environ.pop("PYTHONUNBUFFERED", None)
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.screen import offscreen_platform  # noqa: E402

# The windows measured are 1400x900 on a desktop-sized screen (benchmarks/screen.py).
os.environ.setdefault("QT_QPA_PLATFORM", offscreen_platform())

from zhi_gui.core.model import Entry  # noqa: E402
from zhi_gui.plugin.launcher import launch_store  # noqa: E402

SQLITE = ROOT / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"
JSON = ROOT / "plugins" / "zhi-store-json" / "zhi-store-json"
GOPEER = Path.home() / ".cache" / "zhi-interop" / "bin" / "zhi-store-gopeer"
TREE = "big"

# A child process: the bare window, or the app with a paint probe. It prints
# "painted" once, then waits to be killed (its plugin goes with its process group).
CHILD = r"""
import os, sys
from PySide6.QtCore import QEvent, QObject
mode = sys.argv[1]

class Probe(QObject):
    def __init__(self, ready):
        super().__init__()
        self.ready, self.done = ready, False
    def eventFilter(self, watched, event):
        if not self.done and event.type() == QEvent.Type.Paint and self.ready():
            self.done = True
            print("painted", flush=True)
        return False

if mode == "bare":
    from PySide6.QtWidgets import QApplication, QWidget
    app = QApplication([])
    w = QWidget(); w.resize(1400, 900)
    probe = Probe(lambda: True); w.installEventFilter(probe); w.show()
    app.exec()
else:
    import zhi_gui.app as zapp
    build = zapp.build_window
    def probed(*args, **kwargs):
        window = build(*args, **kwargs)
        window.resize(1400, 900)
        if mode == "rows":
            up = []
            def running(state, detail):
                if state == "running" and not up:
                    up.append(1)
                    print("up", flush=True)
            window.session.state_changed.connect(running)
            window._bench_probe = Probe(lambda: window.model.rowCount() > 0)
            window.tree_view.viewport().installEventFilter(window._bench_probe)
        else:
            window._bench_probe = Probe(lambda: True)
            window.installEventFilter(window._bench_probe)
        return window
    zapp.build_window = probed
    sys.exit(zapp.main(sys.argv[2:]))
"""


def rss_mb(pid: int | str = "self") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> tuple[float, float]:
    """RSS of ``pid`` and the sum of its descendants' (the plugin)."""
    children = 0.0
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in task.read_text().split():
            children += rss_mb(child) + tree_rss_mb(int(child))[1]
    return rss_mb(pid), children


def big_tree(count: int) -> list[Entry]:
    """bench_tree's shape: 200 services x 50 instances x key groups."""
    out = []
    for i in range(count):
        service, instance, key = i % 200, (i // 200) % 50, i // 10000
        meta = b'{"ui.password":true}' if key == 3 else b""
        out.append(Entry(f"svc{service:03d}/inst{instance:02d}/key{key:03d}", f'"value-{i}-abcdefgh"'.encode(), meta))
    return out


def parse_size(text: str) -> int:
    text = text.strip().lower()
    factor = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * factor)


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k"


def med(values: list[float]) -> float:
    return statistics.median(values)


async def prepare(path: Path, count: int, second_version: bool) -> None:
    """The store: ``count`` values in batches of 100k; then (100k) a version with 1% changed."""
    async with await launch_store(SQLITE, options={"path": str(path), "create": True}, call_timeout=600) as plugin:
        tree = big_tree(count)
        for start in range(0, count, 100_000):
            await plugin.store.write_values(TREE, tree[start:start + 100_000], message="bulk")
        if second_version:
            rng = random.Random(14)
            picked = rng.sample(tree, count // 100)
            await plugin.store.write_values(TREE, [Entry(e.path, f'"changed-{i}"'.encode(), e.metadata_json)
                                                   for i, e in enumerate(picked)], message="1% changed")


async def raw_fetch(path: Path) -> float:
    """Spawn the sqlite plugin and read the whole tree over gRPC (no window)."""
    started = time.perf_counter()
    async with await launch_store(SQLITE, options={"path": str(path)}, call_timeout=600) as plugin:
        count = 0
        async for chunk in plugin.store.stream_tree(TREE):
            count += len(chunk.entries)
        took = time.perf_counter() - started
    return took


async def store_rpcs(path: Path) -> list[tuple[str, float]]:
    """What a lazily loading window would ask of the store (ListChildren, Search)."""
    out = []
    started = time.perf_counter()
    async with await launch_store(SQLITE, options={"path": str(path)}, call_timeout=600) as plugin:
        up = time.perf_counter()
        out.append(("plugin up (spawn -> handshake)", up - started))
        store = plugin.store
        await store.describe()
        root = await store.list_children(TREE)
        out.append((f"ListChildren of the root ({len(root.children)} children) after the plugin is up",
                    time.perf_counter() - up))
        t0 = time.perf_counter()
        await store.list_children(TREE, root.children[0].name)
        out.append(("ListChildren of one top-level group", time.perf_counter() - t0))
        for label_, query in (("first Search (a scan: the FTS5 index builds in the background)", "value-4242"),
                              ("next Search", "value-1717"), ("Search, 2 characters", "e-")):
            t0 = time.perf_counter()
            found = await store.search(TREE, query, limit=1000)
            out.append((f"{label_}: {found.total:,} matches", time.perf_counter() - t0))
    return out


def child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONUNBUFFERED", None)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    env["QT_QPA_PLATFORM"] = offscreen_platform()
    env["PYTHONPATH"] = str(ROOT)
    return env


def run_child(mode: str, args: list[str], home: Path, settle: float = 0.0,
              timeout: float = 300.0) -> tuple[float, float, float, float]:
    """Start a child, wait for "painted": (seconds from start, its RSS MB, its plugin's RSS MB,
    seconds from the plugin running to the paint)."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, mode, *args], env=child_env(home), cwd=str(home),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        assert proc.stdout is not None
        deadline = started + timeout
        line = ""
        up = 0.0
        while time.perf_counter() < deadline:
            line = proc.stdout.readline()
            if line.startswith("up"):
                up = time.perf_counter()
            if line.startswith("painted") or not line:
                break
        took = time.perf_counter() - started
        if not line.startswith("painted"):
            raise RuntimeError(f"child {mode} {args} did not paint")
        if settle:
            time.sleep(settle)
        gui, plugin = tree_rss_mb(proc.pid)
        return took, gui, plugin, (started + took - up) if up else float("nan")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the child and the plugin it started
        proc.wait()


# --- in-process measurements on the window (100k) ----------------------------------------------

async def until(condition: Callable[[], object], timeout: float = 120) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError
        await asyncio.sleep(0.002)


async def window_stalls(store: Path, runs: int, trace: bool = False) -> list[tuple[str, float, str]]:
    from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt
    from PySide6.QtTest import QTest

    from zhi_gui.app import build_window
    from zhi_gui.core.diff import compare_entries
    from zhi_gui.services.keyring_service import InMemoryVault
    from zhi_gui.session import StoreTarget
    from zhi_gui.ui.history.panel import WITH_PREVIOUS
    from zhi_gui.ui.stall_meter import StallMeter

    rows: list[tuple[str, float, str]] = []
    meter = StallMeter(trace=trace)
    # Each row also says how much CPU the UI thread spent in its busiest turn: the part of a
    # stall this process controls (on a busy machine the rest is waiting to be scheduled).
    busiest: list[float] = []
    plain_stop = meter.stop

    def stop() -> float:
        ms = plain_stop()
        busiest.append(meter.most_cpu * 1000)
        if trace:  # what ran in the longest stall (slows the run: not the figures to quote)
            print(f"[trace] {ms:.1f} ms\n{meter.report()}", flush=True)
        return ms

    meter.stop = stop  # type: ignore[method-assign]

    def add_row(row: tuple[str, float, str]) -> None:
        name, ms, note = row
        cpu = f"busiest turn {max(busiest, default=0.0):.1f} ms UI CPU"
        busiest.clear()
        rows.append((name, ms, f"{note}; {cpu}" if note else cpu))

    window = build_window(vault=InMemoryVault())
    window.resize(1400, 900)
    window.show()
    await asyncio.sleep(0.3)

    idle = []
    for _ in range(runs):
        meter.start()
        await asyncio.sleep(1.0)
        idle.append(meter.stop())
    idle_ms = med(idle)
    busiest.clear()

    class Painted(QObject):
        def __init__(self, window: Any) -> None:
            super().__init__()
            self.window, self.at = window, 0.0

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.at and self.window.model.rowCount() > 0:
                self.at = time.perf_counter()
            return False

    # load: the store opened in ``runs`` new windows (the median, as the other rows); the
    # last window stays for the rows below. The app loads discovery and the plugin layer in a
    # worker before its first store opens (``app.load_for_opening``), and a window opened
    # later finds them loaded: the same here, else the first window imported them while it
    # loaded, which no window of the app does.
    from zhi_gui.plugin.discovery import find_plugin
    from zhi_gui.plugin.preload import load_plugin_layer

    await asyncio.get_running_loop().run_in_executor(None, lambda: (find_plugin("sqlite"), load_plugin_layer()))
    # And then, as the app's start-up does (zhi_gui/app.py), what start-up loaded leaves the
    # collector's scans: without it the first window's load ran a full collection over all of
    # it on the UI thread (a 25 ms turn in that window only, which the app never has).
    gc.freeze()
    from PySide6.QtWidgets import QApplication

    QApplication.setQuitOnLastWindowClosed(False)
    loads = []
    for run in range(runs):
        if run:
            window._closing_confirmed = True
            await window.controller.close()
            window.close()
            window = build_window(vault=InMemoryVault())
            window.resize(1400, 900)
            window.show()
            await asyncio.sleep(0.3)
        painted = Painted(window)
        window.tree_view.viewport().installEventFilter(painted)
        meter.start()
        await window.open_store(StoreTarget(SQLITE, {"path": str(store)}, TREE))
        await until(lambda probe=painted: probe.at > 0)
        await asyncio.sleep(0.3)
        loads.append(meter.stop())
    add_row(("load", med(loads), f"median of {runs} windows, each {', '.join(f'{ms:.1f}' for ms in loads)} ms"))

    # filter typing: each keystroke waits for its result
    stalls = []
    for query in ("k", "ke", "key0", "key003", "value-4", "value-42", "inst07"):
        meter.start()
        window.filter_edit.setText(query)
        await until(lambda: window.match_label.text() != ""
                    and window._filter_generation_done == window._filter_generation)
        stalls.append(meter.stop())
    add_row(("filter typing", max(stalls), "worst of 7 keystrokes"))
    window.filter_edit.setText("")
    await until(lambda: window.model.visible is None)
    await asyncio.sleep(0.2)

    # PgDn x 20 on the tree
    view = window.tree_view
    view.setFocus()
    view.setCurrentIndex(window.model.index(0, 0))
    meter.start()
    for _ in range(20):
        QTest.keyClick(view, Qt.Key.Key_PageDown)
        await asyncio.sleep(0.01)
    add_row(("PgDn", meter.stop(), "20 presses"))

    # recursive expand: "*" on a top-level group, then on the tree root's first 20 groups
    stalls = []
    for row in range(runs):
        view.collapseAll()
        await asyncio.sleep(0.1)
        view.setCurrentIndex(window.model.index(row, 0))
        meter.start()
        QTest.keyClick(view, Qt.Key.Key_Asterisk)
        await asyncio.sleep(0.3)
        stalls.append(meter.stop())
    shown = window.model.rowCount(window.model.index(runs - 1, 0))
    add_row(("recursive expand (*)", med(stalls), f"one top-level group ({shown} children, 500 values)"))
    view.collapseAll()
    await asyncio.sleep(0.1)
    meter.start()
    started = time.perf_counter()
    try:  # "*" on a root that holds the whole tree
        from zhi_gui.ui.batched_expand import expand_recursively
    except ImportError:  # before issue 14: Qt's expandAll
        view.expandAll()
        how = "Qt expandAll"
    else:
        job = expand_recursively(view, QModelIndex())
        await until(lambda: not job.running)
        how = "batched"
    took = time.perf_counter() - started
    await asyncio.sleep(0.5)
    add_row(("expand everything", meter.stop(), f"{len(window.session.index.entries):,} values, {how}, "
                 f"done in {took:.1f} s"))
    view.collapseAll()
    await asyncio.sleep(0.3)

    # diff of the two versions (1% changed), through the History panel
    panel = window.history_panel
    panel.show_panel()
    await until(lambda: len(panel.model.rows) >= 2 and not panel.model.loading)
    panel.compare_mode.setCurrentIndex(panel.compare_mode.findData(WITH_PREVIOUS))
    stalls, times = [], []
    done: list[int] = []
    panel.compared.connect(lambda: done.append(1))
    for _ in range(runs):
        panel.diff_view.show_message("")
        await asyncio.sleep(0.3)
        done.clear()
        meter.start()
        started = time.perf_counter()
        panel.select_versions([panel.model.rows[0].id])
        panel.compare()  # also when the selection stayed the same
        await until(lambda: bool(done))
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.5)  # snapshots replaced/freed afterwards count too
        stalls.append(meter.stop())
        panel.access.forget_snapshots()
    diff = panel.diff_view.diff
    counts = diff.counts if diff is not None else None
    add_row(("diff of two versions (1% changed)", med(stalls),
                 f"{counts.changes if counts else '?'} changes; shown in {med(times):.2f} s"))

    # the side-by-side diff of one 1.2 MB JSON value
    rng = random.Random(3)
    obj = {f"service-{i:05d}": {"enabled": rng.random() < 0.5, "endpoint": f"https://s{i}.example.org:{8000 + i}/api",
                                "replicas": rng.randrange(1, 9), "tags": ["prod", f"team-{i % 17}"]}
           for i in range(7_000)}
    new = json.loads(json.dumps(obj))
    for key in rng.sample(sorted(new), 70):
        new[key]["replicas"] += 1
    left = Entry("big", json.dumps(obj, separators=(",", ":")).encode())
    right = Entry("big", json.dumps(new, separators=(",", ":")).encode())
    change = compare_entries("big", left, right)
    value_view = panel.diff_view.value_view
    stalls = []
    for _ in range(runs):
        value_view.clear()
        await asyncio.sleep(0.2)
        meter.start()
        value_view.show_change(change)
        await until(lambda: value_view.is_ready)
        await asyncio.sleep(0.2)
        stalls.append(meter.stop())
    size = len(json.dumps(obj, indent=2)) / 1e6
    add_row(("side-by-side diff of one JSON value", med(stalls), f"{size:.1f} MB pretty-printed"))

    # save of 1,000 edits
    paths = sorted(window.session.index.entries)[::100][:1000]
    for i, path in enumerate(paths):
        window.controller.stage_set(path, f'"edited-{i}"'.encode(), b"")
    await asyncio.sleep(0.3)
    meter.start()
    await window.save("bench: 1,000 edits")
    await asyncio.sleep(0.3)
    add_row(("save of 1,000 edits", meter.stop(), ""))

    window._closing_confirmed = True
    await window.controller.close()
    window.close()
    return [("idle loop (reference)", idle_ms, f"median of {runs} x 1 s"), *rows]


# --- plugin comparisons -------------------------------------------------------------------------

async def cold_read(db: Path, paths: list[str], *, drop_saved: bool) -> tuple[float, float]:
    """A new plugin's first and second GetValues of ``paths``; ``drop_saved``: the tree's
    saved copy deleted first (the plugin saves it again when it stops)."""
    if drop_saved:
        with closing(sqlite3.connect(db)) as conn:
            conn.execute("DELETE FROM saved_heads")
            conn.commit()
    took = []
    async with await launch_store(SQLITE, options={"path": str(db)}, call_timeout=600) as sq:
        await sq.store.list_trees()
        for _ in range(2):
            started = time.perf_counter()
            got = await sq.store.get_values("t", paths)
            took.append(time.perf_counter() - started)
            assert len(got) == len(paths)
    return took[0], took[1]


async def timed_async(fn: Callable[[], Awaitable[Any]], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await fn()
        times.append(time.perf_counter() - started)
    return med(times)


async def plugin_rows(tmp: Path, runs: int) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    tree = big_tree(100_000)
    paths = [e.path for e in tree]

    # Timed up to the connected client (handshake read, channel ready) or the first
    # answer; the plugin's shutdown afterwards is not part of either row.
    async def spawn(plugin: Path, options: dict[str, Any], call: bool = False) -> float:
        started_at = time.perf_counter()
        started = await launch_store(plugin, options=options)
        if call:
            await started.store.list_trees()
        took = time.perf_counter() - started_at
        await started.close()
        return took

    async def spawns(plugin: Path, options: dict[str, Any], call: bool = False) -> float:
        return med([await spawn(plugin, options, call) for _ in range(max(runs, 5))])

    go_spawn = await spawns(GOPEER, {})
    db = tmp / "spawn.sqlite"
    await spawn(SQLITE, {"path": str(db), "create": True})
    py_spawn = await spawns(SQLITE, {"path": str(db)})
    rows.append(("spawn -> handshake: sqlite plugin vs Go peer", f"{go_spawn * 1000:.1f} ms",
                 f"{py_spawn * 1000:.0f} ms ({py_spawn / go_spawn:.0f}x)", "<= 150 ms"))
    # The Python plugin loads its services on the first call, after the handshake:
    # this row is what a host waits for until its first answer (no goal of its own).
    go_call = await spawns(GOPEER, {}, call=True)
    py_call = await spawns(SQLITE, {"path": str(db)}, call=True)
    rows.append(("spawn -> first call answered (ListTrees)", f"{go_call * 1000:.1f} ms",
                 f"{py_call * 1000:.0f} ms ({py_call / go_call:.0f}x)", "-"))

    async with await launch_store(GOPEER, call_timeout=600) as go:
        await go.store.put_values("t", tree)
        # (at least 5: the Go peer's few tenths of a second swing most on a busy machine)
        go_get = await timed_async(lambda: go.store.get_values("t", paths), max(runs, 5))
    db = tmp / "get.sqlite"
    async with await launch_store(SQLITE, options={"path": str(db), "create": True}, call_timeout=600) as sq:
        await sq.store.write_values("t", tree)
    # The plugin keeps a tree it has read whole (and found intact) in memory while the
    # file is unchanged: a new plugin's first read (cold) and its second (warm) are
    # timed apart, each in ``runs`` fresh processes; its services are loaded first
    # (the spawn rows time that).
    # Cold reads from the tree's saved copy (``stores.sqlite.saved_heads``: the writing
    # plugin saved it when it stopped), and, in the same rounds, with the copy deleted
    # first (as a write by another program leaves it): every row read and checked.
    cold, warm, from_rows = [], [], []
    for _ in range(runs):
        from_rows.append((await cold_read(db, paths, drop_saved=True))[0])
        took = await cold_read(db, paths, drop_saved=False)
        cold.append(took[0])
        warm.append(took[1])
    py_cold, py_warm, py_rows = med(cold), med(warm), med(from_rows)
    rows.append(("get 100k by path: sqlite plugin vs Go peer", f"{go_get:.3f} s",
                 f"cold {py_cold:.3f} s ({py_cold / go_get:.1f}x), warm {py_warm:.3f} s ({py_warm / go_get:.1f}x)",
                 "<= 2x"))
    rows.append(("  same, cold with no saved copy (rows checked)", f"{go_get:.3f} s",
                 f"{py_rows:.3f} s ({py_rows / go_get:.1f}x)", "-"))

    async def go_put() -> float:
        async with await launch_store(GOPEER, call_timeout=600) as go:
            started = time.perf_counter()
            await go.store.put_values("t", tree)
            return time.perf_counter() - started

    async def json_put(n: int) -> float:
        directory = tmp / f"json{n}"
        directory.mkdir()
        async with await launch_store(JSON, options={"directory": str(directory)}, call_timeout=600) as js:
            started = time.perf_counter()
            await js.store.put_values("t", tree)
            return time.perf_counter() - started

    # In pairs, the Go peer's put then the json plugin's (at least 5): this machine's speed
    # moves by a quarter within a minute, so the ratio to trust is the one of figures
    # taken side by side, not of two blocks of runs a minute apart.
    go_times, json_times = [], []
    for n in range(max(runs, 5)):
        go_times.append(await go_put())
        json_times.append(await json_put(n))
    go_time, json_time = med(go_times), med(json_times)
    ratio = med([j / g for j, g in zip(json_times, go_times, strict=True)])
    rows.append(("json plugin: put 100k vs Go peer", f"{go_time:.2f} s", f"{json_time:.2f} s "
                 f"({json_time / go_time:.1f}x; median of the pairs' ratios {ratio:.2f}x)", "<= 2x"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100k,1m")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--trace", action="store_true",
                        help="stalls: print the UI thread's sampled stacks and GC passes in each longest stall")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: open,rpcs,stalls,plugins,cold")
    args = parser.parse_args()
    sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    runs: int = args.runs
    table: list[tuple[str, str, str, str]] = []  # what, reference, now, goal

    # Measure the code as installed: pip writes every module's bytecode at install time,
    # and a checkout run with PYTHONDONTWRITEBYTECODE=1 would otherwise compile zhi_gui
    # from source in every plugin and window start (tens of ms of each start-up row).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "zhi_gui")], check=True,
                   stdout=subprocess.DEVNULL)

    with tempfile.TemporaryDirectory(prefix="zhi-scale-", dir="/tmp") as tmpdir:
        tmp = Path(tmpdir)
        stores = {}
        for n in sizes:
            stores[n] = tmp / f"s{n}.sqlite"
            t0 = time.perf_counter()
            asyncio.run(prepare(stores[n], n, second_version=(n == 100_000)))
            print(f"prepared {n:,} values in {time.perf_counter() - t0:.1f} s", flush=True)

        if "open" not in skip:
            for n in sizes:
                k = runs if n <= 200_000 else 1
                ref = med([asyncio.run(raw_fetch(stores[n])) for _ in range(k)])
                results = [run_child("rows", ["--plugin", str(SQLITE), "-o", f"path={stores[n]}", "--tree", TREE,
                                              "--log-level", "warning"], tmp, settle=1.0) for _ in range(k)]
                took = med([r[0] for r in results])
                after_up = med([r[3] for r in results])
                table.append((f"open {label(n)} values (process start -> rows painted)", f"raw fetch {ref:.2f} s",
                              f"{took:.2f} s ({after_up:.2f} s after the plugin runs)",
                              "1M: first rows <= 1 s after plugin up"))
                table.append((f"window memory at {label(n)} (1 s after rows painted)", "-",
                              f"{med([r[1] for r in results]):.0f} MB (plugin {med([r[2] for r in results]):.0f} MB)",
                              "1M <= 300 MB"))
                print(*table[-2:], sep="\n", flush=True)

        if "rpcs" not in skip:
            for n in sizes:
                try:
                    results = asyncio.run(store_rpcs(stores[n]))
                except Exception as exc:  # a store before issue 14 has no ListChildren / Search
                    print(f"store RPCs at {label(n)}: {exc}")
                    continue
                for name, took in results:
                    table.append((f"sqlite at {label(n)}: {name}", "-", f"{took * 1000:.0f} ms", ""))

        if "stalls" not in skip and 100_000 in stores:
            from zhi_gui.ui.qt_loop import run_with_qt

            stall_rows = run_with_qt(lambda: window_stalls(stores[100_000], runs, args.trace))
            idle = stall_rows[0][1]
            for name, ms, note in stall_rows:
                table.append((f"longest stall, 100k: {name}", f"idle {idle:.1f} ms", f"{ms:.1f} ms"
                              + (f"  [{note}]" if note else ""), "<= 16 ms"))
            print(*table[-len(stall_rows):], sep="\n", flush=True)

        if "plugins" not in skip:
            table.extend(asyncio.run(plugin_rows(tmp, runs)))

        if "cold" not in skip:
            home = tmp / "cold"
            home.mkdir()
            # In pairs, a bare window then the app: a shared machine's load moves within
            # seconds, and a ratio of figures taken together is the one to trust.
            bares, apps = [], []
            for _ in range(runs):
                bares.append(run_child("bare", [], tmp)[0])
                apps.append(run_child("window", ["--log-level", "warning"], home)[0])
            bare, app = med(bares), med(apps)
            ratio = med([a / b for a, b in zip(apps, bares, strict=True)])
            table.append(("cold start to first paint", f"bare PySide6 {bare:.2f} s", f"{app:.2f} s "
                          f"({app / bare:.1f}x; median of the pairs' ratios {ratio:.2f}x)", "<= 2x"))

    width = max(len(r[0]) for r in table)
    ref_w = max(len(r[1]) for r in table)
    now_w = max(len(r[2]) for r in table)
    print(f"\nissue 14 scale table ({os.cpu_count()} CPUs, medians of {runs} where cheap)")
    print(f"{'what':<{width}}  {'reference':<{ref_w}}  {'now':<{now_w}}  goal")
    for what, ref, now, goal in table:
        print(f"{what:<{width}}  {ref:<{ref_w}}  {now:<{now_w}}  {goal}")


if __name__ == "__main__":
    main()
