"""Plugin launch and call benchmarks on the qasync (Qt) loop.

Run: .venv/bin/python benchmarks/bench_launch.py

Reports: spawn -> first Capabilities of the memory plugin (target <= 250 ms),
unary round-trip p50/p99, and the longest Qt event-loop stall during a burst
of 1,000 concurrent calls (target <= 50 ms) for three gRPC flavours:
  thread+cap  grpc.aio on its own thread, calls capped at 64 in flight (what zhi-gui uses)
  qasync+cap  grpc.aio directly on the qasync loop, capped at 64
  qasync      grpc.aio directly on the qasync loop, uncapped
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("PYTHONUNBUFFERED", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import grpc

from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2 as pb
from zhi_gui.plugin.gen.zhiplugin.v1 import store_pb2_grpc as pb_grpc
from zhi_gui.plugin.launcher import launch_store
from zhi_gui.ui.qt_loop import run_with_qt
from zhi_gui.ui.stall_meter import StallMeter

MEMORY = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-memory" / "zhi-store-memory"
SPAWNS, SEQUENTIAL, BURST, ROUNDS = 10, 1000, 1000, 5


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main() -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    meter = StallMeter()

    spawn_ms = []
    for _ in range(SPAWNS):
        started = time.perf_counter()
        plugin = await launch_store(MEMORY)
        await plugin.store.capabilities()
        spawn_ms.append((time.perf_counter() - started) * 1000)
        await plugin.close()
    rows.append(("spawn -> first Capabilities (memory)",
                 f"median {statistics.median(spawn_ms):.0f} ms, min {min(spawn_ms):.0f}, max {max(spawn_ms):.0f}",
                 "<= 250 ms"))

    plugin = await launch_store(MEMORY)
    store = plugin.store
    rtt = []
    for _ in range(SEQUENTIAL):
        started = time.perf_counter()
        await store.capabilities()
        rtt.append((time.perf_counter() - started) * 1000)
    rows.append(("unary round trip (StoreClient, Qt loop)", f"p50 {pct(rtt, 0.5):.2f} ms, p99 {pct(rtt, 0.99):.2f} ms",
                 ""))

    async def burst(call_many: object) -> tuple[float, float]:
        stalls, times = [], []
        for _ in range(ROUNDS):
            meter.start()
            started = time.perf_counter()
            await call_many()  # type: ignore[operator]
            times.append((time.perf_counter() - started) * 1000)
            stalls.append(meter.stop())
        return max(stalls), statistics.median(times)

    async def ours() -> None:
        await asyncio.gather(*[store.capabilities() for _ in range(BURST)])

    channel = grpc.aio.insecure_channel(plugin.handshake.grpc_target())  # on the qasync loop
    direct = pb_grpc.StoreServiceStub(channel)
    cap = asyncio.Semaphore(64)

    async def capped_call() -> None:
        async with cap:
            await direct.Capabilities(pb.StoreCapabilitiesRequest(), timeout=30)

    async def direct_capped() -> None:
        await asyncio.gather(*[capped_call() for _ in range(BURST)])

    async def direct_uncapped() -> None:
        await asyncio.gather(*[direct.Capabilities(pb.StoreCapabilitiesRequest(), timeout=30) for _ in range(BURST)])

    for name, fn, target in (("thread+cap (used)", ours, "<= 50 ms"), ("qasync+cap", direct_capped, ""),
                             ("qasync uncapped", direct_uncapped, "")):
        stall, took = await burst(fn)
        rows.append((f"{BURST} concurrent calls, {name}",
                     f"longest Qt stall {stall:.1f} ms (worst of {ROUNDS}), burst {took:.0f} ms", target))
    await channel.close()
    await plugin.close()
    return rows


if __name__ == "__main__":
    results = run_with_qt(main)
    width = max(len(r[0]) for r in results)
    print(f"{'measure':<{width}}  {'result':<58} target")
    for name, value, target in results:
        print(f"{name:<{width}}  {value:<58} {target}")
