"""Issue 14's row "json plugin: put 100k vs Go peer", alone and interleaved.

Run: .venv/bin/python benchmarks/bench_json_put.py [--runs 5] [--size 100000]

The same measure as ``bench_scale.py``'s row (``plugin_rows``): a fresh plugin
process gets one PutValues of bench_scale's 100,000-entry tree (10% with labels),
timed on the client, the json plugin writing into an empty directory against the
Go peer (zhi-store-gopeer) keeping it in memory. The two alternate run by run, so
a busy machine slows both alike; medians (and the fastest run) are printed. Also
printed: the plugin-side time of the same write made in this process (the servicer
and the store, no gRPC), its CPU time and its fastest run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_scale import GOPEER, JSON, big_tree
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store


async def plugin_put(plugin: Path, options: dict[str, str], tree: list[Entry]) -> float:
    async with await launch_store(plugin, options=options, call_timeout=600) as started:
        began = time.perf_counter()
        await started.store.put_values("t", tree)
        return time.perf_counter() - began


async def in_process(tree: list[Entry], runs: int, tmp: Path) -> tuple[list[float], list[float]]:
    from zhi_gui.plugin import convert as cv
    from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb
    from zhi_gui.plugin.server import GC_THRESHOLDS
    from zhi_gui.plugin.servicers import StoreServicer
    from zhi_gui.stores.jsonfile import JsonFileStore

    request = pb.PutValuesRequest(id="t")
    cv.add_entries(request.values, tree)
    data = request.SerializeToString()
    gc.set_threshold(*GC_THRESHOLDS)  # as in a plugin process
    walls, cpus = [], []
    for n in range(runs):
        servicer = StoreServicer(JsonFileStore({"directory": str(tmp / f"in{n}")}))
        message = pb.PutValuesRequest.FromString(data)  # parsed by gRPC before the servicer runs
        began, cpu = time.perf_counter(), time.process_time()
        await servicer.PutValues(message, None)
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - cpu)
    return walls, cpus


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    if not GOPEER.exists():
        print(f"the Go peer is not built ({GOPEER}): run /work/shared/interop/build.sh", file=sys.stderr)
        return 2
    tree = big_tree(args.size)
    go, js = [], []
    with tempfile.TemporaryDirectory() as temp:
        tmp = Path(temp)
        for n in range(args.runs):
            go.append(await plugin_put(GOPEER, {}, tree))
            directory = tmp / f"json{n}"
            directory.mkdir()
            js.append(await plugin_put(JSON, {"directory": str(directory)}, tree))
        walls, cpus = await in_process(tree, args.runs, tmp)

    def ms(values: list[float]) -> str:
        return f"median {statistics.median(values) * 1000:6.0f} ms, fastest {min(values) * 1000:6.0f} ms"

    print(f"put {args.size:,} values, {args.runs} runs, alternating")
    print(f"  Go peer (in memory)        {ms(go)}")
    print(f"  json plugin                {ms(js)}  ({statistics.median(js) / statistics.median(go):.1f}x, goal <= 2x)")
    print(f"  json, in process (wall)    {ms(walls)}")
    print(f"  json, in process (CPU)     {ms(cpus)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
