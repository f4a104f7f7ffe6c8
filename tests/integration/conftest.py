"""Integration tests start real plugin processes: after each test, a check fails
it if one of them (or any other child of the test process) is still running."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator

import pytest

from tests.conftest import child_pids, cmdline

# A plugin stopping gracefully may take a moment on a busy machine; a leak never ends.
SETTLE_SECONDS = 20.0


@pytest.fixture(autouse=True)
def _no_leftover_processes() -> Iterator[None]:
    before = child_pids(os.getpid())
    yield
    deadline = time.monotonic() + SETTLE_SECONDS
    left = child_pids(os.getpid()) - before
    while left and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the process table (the condition), not a fixed pause
        left = child_pids(os.getpid()) - before
    if left:
        described = [f"{pid} {cmdline(pid)}" for pid in sorted(left)]
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        pytest.fail("the test left processes running:\n  " + "\n  ".join(described), pytrace=False)
