"""The scale table's row "get 100k by path: sqlite plugin vs Go peer" alone, with
more runs and in a quarter of the time (bench_scale.py also times spawns and the
json plugin): a NEW sqlite plugin process (services loaded by a ListTrees first)
answers GetValues of all 100,000 paths of a tree (cold: read from the file, from the
tree's saved copy, ``stores.sqlite.saved_heads``, which the plugin that wrote or read
it whole saved when it stopped), then the same call again (warm: from its verified
head cache), against the Go peer's in-memory GetValues. Each round also times a cold
read with no saved copy (deleted first, as any write by another program does): every
row read and checked. Medians, every figure printed.

Run: .venv/bin/python benchmarks/bench_get_cold.py [--runs N]
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

os.environ.pop("PYTHONUNBUFFERED", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale import GOPEER, SQLITE, big_tree, cold_read

from zhi_gui.plugin.launcher import launch_store


async def main(runs: int) -> None:
    tree = big_tree(100_000)
    paths = [e.path for e in tree]
    go_times: list[float] = []
    cold: list[float] = []
    warm: list[float] = []
    rows: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "get.sqlite"
        async with await launch_store(SQLITE, options={"path": str(db), "create": True}, call_timeout=600) as sq:
            await sq.store.write_values("t", tree)
        async with await launch_store(GOPEER, call_timeout=600) as go:
            await go.store.put_values("t", tree)
            await go.store.get_values("t", paths)
            # Interleaved, one Go read per fresh sqlite plugin: on a shared machine the
            # load moves within seconds, so each round's ratio is of figures taken together.
            for _ in range(runs):
                started = time.perf_counter()
                await go.store.get_values("t", paths)
                go_times.append(time.perf_counter() - started)
                rows.append((await cold_read(db, paths, drop_saved=True))[0])
                took = await cold_read(db, paths, drop_saved=False)
                cold.append(took[0])
                warm.append(took[1])
    go, c, w, r = (statistics.median(t) for t in (go_times, cold, warm, rows))
    print("Go peer:         ", " ".join(f"{t:.3f}" for t in go_times))
    print("cold (saved copy):", " ".join(f"{t:.3f}" for t in cold))
    print("warm:             ", " ".join(f"{t:.3f}" for t in warm))
    print("cold (from rows): ", " ".join(f"{t:.3f}" for t in rows))
    ratio = statistics.median(c / g for c, g in zip(cold, go_times, strict=True))
    print(f"get 100k by path: Go {go:.3f} s, sqlite cold {c:.3f} s ({c / go:.1f}x), warm {w:.3f} s ({w / go:.1f}x), "
          f"cold with no saved copy {r:.3f} s ({r / go:.1f}x); median of the rounds' cold/Go ratios {ratio:.1f}x; "
          "goal cold <= 2x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    asyncio.run(main(parser.parse_args().runs))
