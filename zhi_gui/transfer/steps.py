"""Long CPU work of an import (decoding a big file, comparing it with the tree) run
off the UI thread, with a count its caller can show and a way to stop it.

A thread cannot be interrupted, so the work calls its ``Steps`` every so many
values: that records how far it got and raises ``Stopped`` once the waiting
coroutine was cancelled, so a cancelled import stops using the CPU within a
batch instead of running on unseen.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
EVERY = 2000  # values between two looks at the stop flag (a few ms of work)


class Stopped(Exception):
    """The coroutine waiting for this work was cancelled."""


class Steps:
    def __init__(self) -> None:
        self.done = 0
        self._stop = threading.Event()

    def __call__(self, done: int) -> None:
        """``done`` values so far; raises Stopped when the caller gave up."""
        self.done = done
        if self._stop.is_set():
            raise Stopped

    def stop(self) -> None:
        self._stop.set()


def _consume(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()  # a stopped run's Stopped is expected: not "never retrieved"


async def in_thread(work: Callable[[Steps], T], report: Callable[[int], None] | None = None,
                    every: float = 0.25) -> T:
    """``work(steps)`` in the default executor; ``report(done)`` about every ``every``
    seconds while it runs. Cancelling the caller stops the work at its next step."""
    steps = Steps()
    future = asyncio.get_running_loop().run_in_executor(None, work, steps)
    future.add_done_callback(_consume)
    try:
        while not future.done():
            await asyncio.wait({future}, timeout=every)
            if report is not None:
                report(steps.done)
    except asyncio.CancelledError:
        steps.stop()
        raise
    return future.result()
