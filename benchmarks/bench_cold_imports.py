"""What the app imports before its window's first paint (issue 14, cold start).

Run: .venv/bin/python benchmarks/bench_cold_imports.py [--runs 3] [--top 25]

Starts the app as ``bench_scale.py``'s cold row does (no store given: the embedded
default, in a temporary home; a child process under ``python -X importtime``) and
stops it at the main window's first Paint event. Prints the modules imported until
then, grouped (``zhi_gui.<package>``, else the top-level package), by their own
import time, medians of ``--runs``, next to a bare PySide6 window's imports.
Times under ``-X importtime`` run slower than without it: compare the rows with
each other, not with the cold row's seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import child_env  # noqa: E402

# The bench's cold child, cut short: at the first paint, stderr (the import times) is
# flushed and the process ends at once (the plugin never starts).
CHILD = r"""
import os, sys
from PySide6.QtCore import QEvent, QObject
mode = sys.argv[1]

class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            sys.stderr.flush()
            print("painted", flush=True)
            os._exit(0)
        return False

if mode == "bare":
    from PySide6.QtWidgets import QApplication, QWidget
    app = QApplication([])
    w = QWidget(); w.resize(1400, 900)
    probe = Probe(); w.installEventFilter(probe); w.show()
    app.exec()
else:
    import zhi_gui.app as zapp
    build = zapp.build_window
    def probed(*args, **kwargs):
        window = build(*args, **kwargs)
        window.resize(1400, 900)
        window._bench_probe = Probe()
        window.installEventFilter(window._bench_probe)
        return window
    zapp.build_window = probed
    sys.exit(zapp.main(sys.argv[2:]))
"""


def group_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "zhi_gui" and len(parts) > 1:
        return ".".join(parts[:3]) if parts[1] in ("ui", "core", "plugin", "session", "services", "stores") \
            and len(parts) > 2 else ".".join(parts[:2])
    return parts[0]


def imports_until_paint(mode: str, home: Path) -> dict[str, float]:
    """Own import time (ms) per group, of everything imported before the first paint."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", CHILD, mode, "--log-level", "warning"],
                          env=child_env(home), cwd=str(home), capture_output=True, text=True, timeout=120)
    if "painted" not in done.stdout:
        raise RuntimeError(f"the {mode} child did not paint: {done.stderr[-2000:]}")
    groups: dict[str, float] = defaultdict(float)
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        own, _cumulative, name = line.removeprefix("import time:").split("|")
        if own.strip().isdigit():
            groups[group_of(name.strip())] += int(own) / 1000
    return groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "zhi_gui")], check=True,
                   stdout=subprocess.DEVNULL)  # as installed: bytecode written at install time
    with tempfile.TemporaryDirectory(prefix="zhi-cold-", dir="/tmp") as tmpdir:
        home = Path(tmpdir)
        runs = {"bare": [imports_until_paint("bare", home) for _ in range(args.runs)],
                "app": [imports_until_paint("window", home) for _ in range(args.runs)]}
    med = {mode: {g: statistics.median(r.get(g, 0.0) for r in rs) for g in set().union(*rs)}
           for mode, rs in runs.items()}
    bare, app = med["bare"], med["app"]
    print(f"imports before the first paint, own time under -X importtime, medians of {args.runs} "
          f"({os.cpu_count()} CPUs)")
    print(f"{'total':<40} {sum(bare.values()):8.1f} ms (bare)  {sum(app.values()):8.1f} ms (app)")
    print(f"{'group':<40} {'bare':>8}     {'app':>8}")
    for group, ms in sorted(app.items(), key=lambda item: -item[1])[:args.top]:
        print(f"{group:<40} {bare.get(group, 0.0):8.1f}     {ms:8.1f}")


if __name__ == "__main__":
    main()
