"""The thread every gRPC channel of the host lives on.

Measured on this machine (benchmarks/bench_launch.py, longest Qt stall during
1,000 concurrent calls): grpc.aio directly on the qasync loop 122 ms uncapped,
31-41 ms capped at 64 in flight; on this thread, capped at 16 per caller
loop and 64 per channel, 26-40 ms (worst of 5 bursts, three runs). Both
capped variants meet the 50 ms target; this one also keeps protobuf decoding
of big answers (a 100,000-value tree) off the UI thread. So all grpc.aio
channels live on one background asyncio loop, and callers on any
loop (the Qt loop, a plugin's own loop) await results bridged from it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class GrpcRuntime:
    """A daemon thread running an asyncio loop for grpc.aio."""

    _instance: GrpcRuntime | None = None
    _instance_lock = threading.Lock()

    def __init__(self) -> None:
        self._ready = threading.Event()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._main, name="zhi-grpc", daemon=True)
        self._thread.start()
        self._ready.wait()

    @classmethod
    def get(cls) -> GrpcRuntime:
        with cls._instance_lock:
            if cls._instance is None:
                cls._instance = GrpcRuntime()
            return cls._instance

    def _main(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self._ready.set()
        self.loop.run_forever()

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await ``coro`` on the gRPC thread from the caller's loop; cancelling the
        caller cancels the call."""
        if asyncio.get_running_loop() is self.loop:
            return await coro
        return await asyncio.wrap_future(self.submit(coro))
