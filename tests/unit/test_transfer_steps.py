"""Long import work off the event loop (``zhi_gui.transfer.steps``): its count is
reported while it runs, and cancelling the coroutine stops the thread at its next
step instead of letting it run on unseen. No Qt."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from zhi_gui.transfer.formats import STEP, Format, decode
from zhi_gui.transfer.steps import Steps, Stopped, in_thread


def test_the_work_reports_its_count_and_returns_its_result() -> None:
    data = json.dumps({f"k{i}": i for i in range(5 * STEP)}).encode()
    seen: list[int] = []

    async def go() -> int:
        return len(await in_thread(lambda steps: decode(data, Format.JSON, steps), seen.append, every=0.001))

    assert asyncio.run(go()) == 5 * STEP
    assert seen == sorted(seen) and all(done % STEP == 0 for done in seen)


def test_cancelling_stops_the_thread_at_its_next_step() -> None:
    started, finished = threading.Event(), threading.Event()
    reached: list[int] = []

    def work(steps: Steps) -> None:
        started.set()
        try:
            for done in range(10**9):  # would run for minutes
                steps(done)
                reached.append(done)
        finally:
            finished.set()

    async def go() -> None:
        task = asyncio.ensure_future(in_thread(work))
        await asyncio.get_running_loop().run_in_executor(None, started.wait)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await asyncio.get_running_loop().run_in_executor(None, finished.wait, 30), "the thread stopped"

    asyncio.run(go())
    assert reached and reached[-1] < 10**9 - 1


def test_a_stopped_decode_raises_stopped() -> None:
    steps = Steps()
    steps.stop()
    with pytest.raises(Stopped):
        decode(json.dumps({f"k{i}": i for i in range(2 * STEP)}).encode(), Format.JSON, steps)
    for fmt, text in ((Format.ENV, "".join(f"K{i}=1\n" for i in range(STEP))),
                      (Format.PROPERTIES, "".join(f"k{i}=1\n" for i in range(STEP)))):
        with pytest.raises(Stopped):
            decode(text.encode(), fmt, steps)
