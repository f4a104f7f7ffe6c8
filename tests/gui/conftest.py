"""One qasync loop for the whole GUI test session (style.md): created on the
session's QApplication in "already running" mode; tests stay synchronous and
spin Qt with qtbot, which advances the asyncio tasks."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtWidgets import QApplication

T = TypeVar("T")


@pytest.fixture(scope="session")
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # set again per GUI test (_qloop_running)
    # Plain threads for run_in_executor/to_thread: qasync's QThread executor is
    # never shut down in "already running" mode and Qt complains at exit.
    executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="zhi-test")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=False, cancel_futures=True)


@pytest.fixture(autouse=True)
def _qloop_running(qloop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """The session loop counts as "running" only during GUI tests: outside them
    (unit and integration tests in the same run) asyncio.run must work."""
    asyncio.events._set_running_loop(qloop)
    yield
    asyncio.events._set_running_loop(None)
    # Never stop or close it: a stray exit makes later nested loops return at once.


@pytest.fixture
def run_async(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[Callable[..., Any]]:
    """Schedule a coroutine on the Qt loop and wait (spinning Qt) for its result."""
    tasks: list[asyncio.Task[Any]] = []

    def run(coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        task = qloop.create_task(coro)
        tasks.append(task)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    yield run
    for task in tasks:
        if not task.done():
            task.cancel()
