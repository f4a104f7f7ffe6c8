"""Plain-Python notifications: the session emits, Qt adapters (or tests) listen.

A tiny typed replacement for Qt signals in code that must not import Qt. A
listener that raises is logged and the others still run: one broken view must
not stop the session from telling the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, ParamSpec

P = ParamSpec("P")
log = logging.getLogger("zhi_gui.session")


class Event(Generic[P]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[P, object]] = []

    def connect(self, listener: Callable[P, object]) -> None:
        self._listeners.append(listener)

    def disconnect(self, listener: Callable[P, object]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def clear(self) -> None:
        self._listeners.clear()

    def emit(self, *args: P.args, **kwargs: P.kwargs) -> None:
        for listener in list(self._listeners):
            try:
                listener(*args, **kwargs)
            except Exception:
                log.exception("a listener of %s failed", self.name)

    def __len__(self) -> int:
        return len(self._listeners)
