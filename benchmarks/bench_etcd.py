"""zhi-store-etcd benchmarks against a real one-member etcd (Debian's etcd,
started here on free loopback ports) and the real plugin processes.

Run: .venv/bin/python benchmarks/bench_etcd.py [--values N] [--watch-saves N]

Measures:
  1. put N values (default 100,000) in ONE WriteValues (one etcd transaction);
  2. open: stream the whole tree (extension StreamTree), and GetValues of all;
  3. search: ListPaths under one prefix, and all paths;
  4. one save of 1,000 edited values with CAS (head + every entry's version), one version;
  5. live updates: a second plugin process saves one value at a time; the first
     one's WatchTree receives each new version: latency from the start of the
     save to the event (p50 / p99 / max);
  6. ListTreeVersions / DescribeVersions after those saves (read from etcd's history).
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

from benchmarks.bench_sqlite import make_tree  # the same tree for every store benchmark
from tests.etcd_server import EtcdServer
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

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
        q = statistics.quantiles(latencies, n=100)
        print(f"5. live update, save in one process -> WatchTree event in the other, {watch_saves} saves: "
              f"p50 {ms(q[49])}, p99 {ms(q[98])}, max {ms(max(latencies))}")

        t = time.perf_counter()
        listed = await a.list_tree_versions(TREE)
        t1 = time.perf_counter() - t
        t = time.perf_counter()
        page = await a.describe_versions(TREE, limit=50)
        print(f"6. ListTreeVersions ({len(listed)} versions): {ms(t1)}; DescribeVersions (50 of {page.total}): "
              f"{ms(time.perf_counter() - t)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--watch-saves", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="zhi-bench-etcd-") as tmp:
        server = EtcdServer(Path(tmp) / "data")
        server.start()
        try:
            asyncio.run(run(args.values, args.watch_saves, server.endpoint))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
