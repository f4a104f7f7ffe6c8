"""Measure how long the Qt event loop goes without processing events.

A precise timer ticks every ``interval_ms``; the longest gap between two
ticks, minus the interval, is the longest stall a user would feel.

With ``trace=True`` the meter also says what ran in that longest gap: a
sampling thread records the UI thread's Python stack every ~0.5 ms and
``gc.callbacks`` record each collection with its duration, and
:meth:`StallMeter.report` prints those that fall inside the gap. Qt code that
runs with the GIL released shows as the Python frame that called into it.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections import Counter
from types import FrameType
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer

SAMPLE_SECONDS = 0.0005
STACK_DEPTH = 8  # innermost frames kept per sample


class StallMeter(QObject):
    def __init__(self, interval_ms: int = 2, parent: QObject | None = None, trace: bool = False) -> None:
        super().__init__(parent)
        self.interval = interval_ms / 1000
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0
        self._last_cpu = 0.0
        self.longest = 0.0
        self.longest_cpu = 0.0  # the UI thread's CPU time in that stall (the rest: waiting, descheduled)
        self.most_cpu = 0.0  # the most CPU the UI thread spent between two ticks (what this process controls)
        self._most_cpu_span = (0.0, 0.0)
        self.longest_at = 0.0  # perf_counter() when the longest stall ended
        self.ticks = 0
        self._tracer = _Tracer() if trace else None

    def start(self) -> None:
        self.longest, self.longest_cpu, self.most_cpu, self.ticks = 0.0, 0.0, 0.0, 0
        self._most_cpu_span = (0.0, 0.0)
        if self._tracer is not None:
            self._tracer.start()
        self._last = time.perf_counter()
        self._last_cpu = time.thread_time()
        self._timer.start()

    def stop(self) -> float:
        """Stop and return the longest stall in milliseconds."""
        self._timer.stop()
        self._tick()
        if self._tracer is not None:
            self._tracer.stop()
        return self.longest * 1000

    def report(self, top: int = 6) -> str:
        """What ran during the longest stall of the last measurement (``trace=True`` only)."""
        if self._tracer is None:
            return ""
        text = (f"  UI thread CPU in it: {1000 * self.longest_cpu:.1f} ms\n"
                + self._tracer.report(self.longest_at - self.longest - self.interval, self.longest_at, top))
        start, end = self._most_cpu_span
        if end != self.longest_at:  # on a busy machine the longest stall is not always the busiest one
            text += (f"\n  the most UI-thread CPU between two ticks: {1000 * self.most_cpu:.1f} ms\n"
                     + self._tracer.report(start, end, top))
        return text

    def _tick(self) -> None:
        now, cpu = time.perf_counter(), time.thread_time()
        stall = now - self._last - self.interval
        if stall > self.longest:
            self.longest, self.longest_at, self.longest_cpu = stall, now, cpu - self._last_cpu
        if cpu - self._last_cpu - self.interval > self.most_cpu:
            self.most_cpu, self._most_cpu_span = cpu - self._last_cpu - self.interval, (self._last, now)
        self._last, self._last_cpu = now, cpu
        self.ticks += 1


def _stack(frame: FrameType | None) -> tuple[str, ...]:
    out: list[str] = []
    while frame is not None and len(out) < STACK_DEPTH:
        code = frame.f_code
        out.append(f"{code.co_filename.rsplit('/', 2)[-1]}:{frame.f_lineno} {code.co_name}")
        frame = frame.f_back
    return tuple(out)


_WAITING = frozenset({"wait", "_worker", "select", "poll", "_sample", "sleep", "get", "acquire", "run", "_read",
                      "_release_forever",
                      "_do_waitpid", "_wait_for_tstate_lock"})


def _thread_name(ident: int) -> str:
    for thread in threading.enumerate():
        if thread.ident == ident:
            return thread.name
    return str(ident)


class _Tracer:
    """Samples the UI thread's stack and logs garbage collections (a diagnostic: it slows
    the process down a little, so figures measured with it are not the reference)."""

    def __init__(self) -> None:
        self.samples: list[tuple[float, tuple[str, ...]]] = []
        self.others: list[tuple[float, str, tuple[str, ...]]] = []  # other threads, when not waiting
        self.collections: list[tuple[float, float, int, int]] = []  # start, end, generation, collected
        self._gc_started = 0.0
        self._main = threading.main_thread().ident
        self._running = threading.Event()
        self._thread: threading.Thread | None = None
        self._switch = sys.getswitchinterval()

    def start(self) -> None:
        self.samples.clear()
        self.others.clear()
        self.collections.clear()
        gc.callbacks.append(self._on_gc)
        # The sampler needs the GIL while the UI thread runs Python: hand it over often.
        self._switch = sys.getswitchinterval()
        sys.setswitchinterval(SAMPLE_SECONDS / 2)
        self._running.set()
        self._thread = threading.Thread(target=self._sample, name="stall-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._running.clear()
        if self._thread is not None:
            self._thread.join()
        sys.setswitchinterval(self._switch)
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
        else:
            self.collections.append((self._gc_started, now, info["generation"], info["collected"]))

    def _sample(self) -> None:
        me = threading.get_ident()
        while self._running.is_set():
            frames = sys._current_frames()
            now = time.perf_counter()
            for ident, frame in frames.items():
                if ident == self._main:
                    self.samples.append((now, _stack(frame)))
                elif ident != me and frame.f_code.co_name not in _WAITING:
                    self.others.append((now, _thread_name(ident), _stack(frame)))
            time.sleep(SAMPLE_SECONDS)

    def report(self, start: float, end: float, top: int) -> str:
        # perf_counter is CLOCK_MONOTONIC here: the window can be matched with `perf record -k mono`
        lines = [f"  longest stall {1000 * (end - start):.1f} ms, monotonic {start:.6f} .. {end:.6f}"]
        for g_start, g_end, generation, collected in self.collections:
            if g_end >= start and g_start <= end and g_end - g_start >= 0.0005:
                lines.append(f"  gc gen{generation}: {1000 * (g_end - g_start):.1f} ms, {collected} collected")
        inside = [stack for at, stack in self.samples if start <= at <= end]
        lines.append(f"  {len(inside)} samples")
        for stack, count in Counter(inside).most_common(top):
            lines.append(f"  {count:4d} x " + " <- ".join(stack))
        # A sample right after the gap shows who held the GIL through it.
        others = [(name, stack) for at, name, stack in self.others if start <= at <= end + 0.002]
        for (name, stack), count in Counter(others).most_common(top):
            lines.append(f"  {count:4d} x [{name}] " + " <- ".join(stack))
        return "\n".join(lines)
