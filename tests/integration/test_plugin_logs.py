"""A plugin's stderr cannot stall the host: read off the loop, delivered in
batches at most every 100 ms, bounded (oldest dropped, with a marker)."""

from __future__ import annotations

import itertools
import re
import time
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.plugin.hclog import LogLine
from zhi_gui.plugin.launcher import LOG_BATCH_SECONDS, LOG_PENDING_MAX, launch_store

FAKES = Path(__file__).resolve().parents[1] / "fixtures" / "fake_plugins"


def test_the_handshake_timeout_holds_under_a_100_mib_stderr_flood(arun) -> None:
    timeout = 2.0
    batches: list[list[LogLine]] = []

    async def go() -> tuple[E.LaunchError, float]:
        started = time.monotonic()
        with pytest.raises(E.LaunchError) as info:
            await launch_store(FAKES / "stderr-flood", handshake_timeout=timeout, on_log_batch=batches.append)
        return info.value, time.monotonic() - started

    error, elapsed = arun(go())
    assert f"no handshake within {timeout:g} s" in str(error)
    assert elapsed < 2 * timeout, f"the flood stretched the {timeout} s handshake timeout to {elapsed:.1f} s"
    assert all(len(batch) <= LOG_PENDING_MAX + 1 for batch in batches)


def test_lines_arrive_in_bounded_batches_and_every_dropped_line_is_counted(arun) -> None:
    batches: list[tuple[float, list[LogLine]]] = []

    async def go() -> E.LaunchError:
        with pytest.raises(E.LaunchError) as info:
            await launch_store(FAKES / "numbered-lines", handshake_timeout=10,
                               on_log_batch=lambda lines: batches.append((time.monotonic(), lines)))
        return info.value

    error = arun(go())
    assert error.exit_status == 3 and "50000" in error.stderr_tail  # the newest lines are kept
    shown = [line.message for _, batch in batches for line in batch if line.module != "zhi-gui"]
    dropped = sum(int(re.match(r"(\d+) log lines dropped", line.message).group(1))  # type: ignore[union-attr]
                  for _, batch in batches for line in batch if line.module == "zhi-gui")
    assert len(shown) + dropped == 50_000
    numbers = [int(m) for m in shown]
    assert numbers == sorted(set(numbers)) and numbers[-1] == 50_000  # in order, oldest dropped first
    assert all(len(batch) <= LOG_PENDING_MAX + 1 for _, batch in batches)
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(batches)]
    # never more often than every 100 ms (the final flush at EOF may come sooner)
    assert all(gap >= LOG_BATCH_SECONDS * 0.9 for gap in gaps[:-1]), gaps
