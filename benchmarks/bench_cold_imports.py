"""What the app imports before its window's first paint (issue 14, cold start).

Run: .venv/bin/python benchmarks/bench_cold_imports.py [--runs 3] [--top 25]

Starts the app as ``bench_scale.py``'s cold row does (no store given: the embedded
default, in a temporary home; a child process under ``python -X importtime``) and
stops it at the main window's first Paint event. Prints the modules imported until
then, grouped (``zhi_gui.<package>``, else the top-level package), by their own
import time, medians of ``--runs``, next to a bare PySide6 window's imports.
Times under ``-X importtime`` run slower than without it: compare the rows with
each other, not with the cold row's seconds.

Then the Python enums PySide has made by the first paint (each Qt class's enums are made
when the class is first used from Python; the ``Qt`` namespace alone has ~1,600 members),
counted in one more child per mode: members in all, and the app's largest enums that the
bare window does not make (Qt enum creation was about a fifth of the app's instructions
to its first paint, under callgrind); and the data classes defined by the first paint
(each costs about 4M instructions to define: 30 of them were 9% of the app's).
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


# The same child counting the enums PySide makes (it uses Enum's functional API) until the
# first paint: "name members" lines, then "painted".
ENUM_COUNTER = r"""
import enum
made = []
_call = enum.EnumType.__call__
def counting(cls, value, names=None, *args, **kwargs):
    made_enum = _call(cls, value, names, *args, **kwargs)
    if names is not None:
        made.append((str(value), len(made_enum.__members__)))
    return made_enum
enum.EnumType.__call__ = counting
"""
# ... and, at the paint, the data classes defined by then (Python generates and compiles each
# one's methods at import: about 4M instructions each): "dataclass module.name" lines.
DATACLASSES = r'''
made_classes = sorted(f"{v.__module__}.{v.__qualname__}" for m in list(sys.modules.values())
                      for v in list(getattr(m, "__dict__", {}).values())
                      if isinstance(v, type) and "__dataclass_fields__" in v.__dict__
                      and v.__module__ == getattr(m, "__name__", None))
print("\n".join(f"dataclass {name}" for name in made_classes), flush=True)
'''
ENUM_CHILD = ENUM_COUNTER + CHILD.replace(
    'sys.stderr.flush()', 'print("\\n".join(f"{n} {c}" for n, c in made), flush=True)\n'
    + "\n".join(" " * 12 + line for line in DATACLASSES.strip().splitlines()))


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


def enums_until_paint(mode: str, home: Path) -> tuple[dict[str, int], list[str]]:
    """Members of each enum PySide made before the first paint (by enum name: PySide does
    not say whose it is; same-named enums of several classes are added up), and the data
    classes defined by then."""
    done = subprocess.run([sys.executable, "-c", ENUM_CHILD, mode, "--log-level", "warning"],
                          env=child_env(home), cwd=str(home), capture_output=True, text=True, timeout=120)
    if "painted" not in done.stdout:
        raise RuntimeError(f"the {mode} child did not paint: {done.stderr[-2000:]}")
    members: dict[str, int] = defaultdict(int)
    dataclasses: list[str] = []
    for line in done.stdout.splitlines():
        name, _, count = line.rpartition(" ")
        if name == "dataclass":
            dataclasses.append(count)
        elif name and count.isdigit():
            members[name] += int(count)
    return members, dataclasses


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

    with tempfile.TemporaryDirectory(prefix="zhi-cold-", dir="/tmp") as tmpdir:
        bare_enums, bare_classes = enums_until_paint("bare", Path(tmpdir))
        app_enums, app_classes = enums_until_paint("window", Path(tmpdir))
    print(f"\nPython enums PySide made before the first paint: bare {len(bare_enums)} "
          f"({sum(bare_enums.values()):,} members), app {len(app_enums)} ({sum(app_enums.values()):,} members)")
    extra = {name: n - bare_enums.get(name, 0) for name, n in app_enums.items() if n > bare_enums.get(name, 0)}
    print("the app's largest beyond the bare window's: " + ", ".join(
        f"{name} {n}" for name, n in sorted(extra.items(), key=lambda item: -item[1])[:args.top]))
    ours = [name for name in app_classes if name.startswith("zhi_gui.")]
    print(f"\ndata classes defined before the first paint: bare {len(bare_classes)}, app {len(app_classes)}, "
          f"zhi_gui's {len(ours)}: " + ", ".join(name.removeprefix("zhi_gui.") for name in ours))


if __name__ == "__main__":
    main()
