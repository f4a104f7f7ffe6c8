"""Keep Python's cyclic garbage collector away from big loads.

Loading a 100,000-value tree allocates about a million objects; the collector
then runs full collections over all of them while holding the GIL, which
stalled the Qt loop 70-80 ms per collection (benchmarks/bench_tree.py). The
loaded objects are long-lived, so: pause collection while loading, then
``gc.freeze()`` them so later collections skip them. Objects freed by
reference counting are still freed at once; the tree index breaks its own
parent/child cycles when it is discarded (``TreeIndex.dispose``).
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_lock = threading.Lock()
_depth = 0
_was_enabled = True


@contextmanager
def paused_gc() -> Iterator[None]:
    """Reentrant and thread-safe: collection resumes when the last user leaves."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                gc.freeze()  # what was loaded is long-lived: keep it out of future scans
                if _was_enabled:
                    gc.enable()


# --- freeing big structures off the UI thread -------------------------------------------------
# Dropping the last reference to a 100,000-value index frees every node and entry at once, in
# whichever thread drops it: ~15 ms on the UI thread. Handed to this thread instead, they are
# freed a slice at a time; between slices the GIL goes back to whoever waits for it.
RELEASE_SLICE = 2000  # objects freed (or nodes unlinked) between two GIL hand-overs

_jobs: queue.SimpleQueue[Iterator[None] | object] = queue.SimpleQueue()
_releaser: threading.Thread | None = None
_releaser_lock = threading.Lock()


def release_later(*work: Iterator[None] | object) -> None:
    """Free ``work`` in the background: a generator is run step by step (each step a slice of
    unlinking, say); a dict, list or set is emptied a slice at a time; anything else is just
    let go of. The caller must hold no other reference for the freeing to happen there."""
    global _releaser
    for item in work:
        _jobs.put(item)
    with _releaser_lock:
        if _releaser is None or not _releaser.is_alive():
            _releaser = threading.Thread(target=_release_forever, name="zhi-release", daemon=True)
            _releaser.start()


def drain(container: dict[Any, Any] | list[Any] | set[Any]) -> Iterator[None]:
    """Empty ``container`` a slice at a time (a generator for :func:`release_later`)."""
    while container:
        if isinstance(container, list):
            del container[-RELEASE_SLICE:]
        else:
            pop = container.popitem if isinstance(container, dict) else container.pop
            for _ in range(min(RELEASE_SLICE, len(container))):
                pop()
        yield


def _release_forever() -> None:
    while True:
        item = _jobs.get()
        if isinstance(item, (dict, list, set)):
            item = drain(item)
        if isinstance(item, Iterator):
            for _ in item:
                time.sleep(0)  # hand the GIL over
        del item
