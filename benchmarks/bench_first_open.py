"""The app's first minutes on screen, as the UI thread feels them: from the event loop's
start (the window has painted) until it quits, with the embedded default store opened in
a temporary home: the longest stall and the most UI-thread CPU in one turn (the part this
process controls; a stall's rest is waiting for the CPU or the GIL). Each run is a new
process, as a user's start is. The session's modules load in a worker thread, the window
is completed a step per turn, then discovery and the plugin layer load in a worker thread
(``app.completion_steps``, ``plugin.preload``).

Run: .venv/bin/python benchmarks/bench_first_open.py [--runs 5] [--trace]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import os, sys
import zhi_gui.ui.qt_loop as qt_loop
made = qt_loop.qt_event_loop
meter = None

def measured(app):
    global meter
    out = made(app)
    from zhi_gui.ui.stall_meter import StallMeter
    meter = StallMeter(trace=bool(os.environ.get("BENCH_TRACE")))
    meter.start()
    return out

qt_loop.qt_event_loop = measured
from zhi_gui import app
app.main(["--quit-after", "4"])
stall = meter.stop()
print(f"RESULT {stall:.1f} {meter.most_cpu * 1000:.1f}")
if os.environ.get("BENCH_TRACE"):
    print(meter.report())
"""


def run_child(trace: bool) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as home:
        env = dict(os.environ, HOME=home, XDG_DATA_HOME=f"{home}/data", XDG_CONFIG_HOME=f"{home}/config",
                   XDG_STATE_HOME=f"{home}/state", XDG_CACHE_HOME=f"{home}/cache", QT_QPA_PLATFORM="offscreen")
        env.pop("PYTHONUNBUFFERED", None)
        if trace:
            env["BENCH_TRACE"] = "1"
        done = subprocess.run([sys.executable, "-c", CHILD], env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120)
    result = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not result:
        raise RuntimeError(f"the app did not run: {done.stderr[-2000:]}")
    if trace:
        print(done.stdout)
    stall, cpu = result[0].split()[1:]
    return float(stall), float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--trace", action="store_true", help="print what ran in the longest stall (slower)")
    args = parser.parse_args()
    # zhi_gui's bytecode compiled first, as an install does (not each run, under PYTHONDONTWRITEBYTECODE)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "zhi_gui")], check=True,
                   env=dict(os.environ, PYTHONDONTWRITEBYTECODE=""))
    figures = [run_child(args.trace) for _ in range(args.runs)]
    stalls, cpus = [f[0] for f in figures], [f[1] for f in figures]
    print("longest stall (ms):        ", " ".join(f"{s:.1f}" for s in stalls))
    print("busiest turn, UI CPU (ms): ", " ".join(f"{c:.1f}" for c in cpus))
    print(f"first open of the embedded store: longest stall median {statistics.median(stalls):.1f} ms, "
          f"busiest turn median {statistics.median(cpus):.1f} ms of UI CPU (goal: every turn <= 16 ms)")


if __name__ == "__main__":
    main()
