"""A plugin process's start-up, kept lean: a host waits for the handshake line.

A plugin's main calls ``begin()`` first, before it imports the server or its
store; the server calls ``end()`` once the handshake line is out. Between the two:

- The cycle collector is off. Start-up makes only objects that live as long as
  the plugin (modules, classes), so the collections during its imports found
  nothing to free: about 12 ms of CPU of the ~150 ms to the handshake here
  (40 alternating runs).
- Python's ``ssl`` module is not loaded. ``asyncio`` imports it for TLS streams,
  and ``grpc`` imports ``asyncio``, so every spawn paid for ``ssl``, ``_ssl``
  (OpenSSL's libraries) and ``base64``: about 8 ms of the handshake here (40
  alternating runs, 133 -> 125 ms median). A plugin never opens a TLS stream
  through asyncio: gRPC has its own TLS (the etcd store's), and zhi does not use
  go-plugin's AutoMTLS. asyncio reads a missing ``ssl`` as a Python built without
  it, which it supports; after ``end()``, ``import ssl`` works as usual for code
  that wants it later, while asyncio keeps its "no TLS".

Both only matter in a plugin process; ``end()`` changes nothing in a process that
did not call ``begin()`` (the window, tests serving a store in-process).
"""

from __future__ import annotations

import gc
import sys

_LEFT_OUT = "ssl"


def begin() -> None:
    """Call first in a plugin's main, before it imports the server or its store."""
    gc.disable()
    if _LEFT_OUT not in sys.modules:  # already loaded (a test, a host-side import): nothing to gain
        sys.modules[_LEFT_OUT] = None  # type: ignore[assignment]  # "import ssl" raises ImportError


def end() -> None:
    """Once the handshake is out: collect cycles again, and let ``ssl`` be imported."""
    if _LEFT_OUT in sys.modules and sys.modules[_LEFT_OUT] is None:
        del sys.modules[_LEFT_OUT]
    gc.enable()
