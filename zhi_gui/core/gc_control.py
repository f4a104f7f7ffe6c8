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
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
