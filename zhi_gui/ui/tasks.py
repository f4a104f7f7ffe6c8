"""One runner for the window's background work (FeelUOwn's TaskManager).

Every coroutine the UI starts goes through ``TaskRunner.run``: tasks are kept
alive until done, a *named* task replaces the running one of the same name
(latest wins: a reload, a diff, a filter), every failure goes to one error
handler, and ``cancel_all`` ends them at close. ``install_global_handlers``
routes ``sys.excepthook`` and the loop's exception handler to the same place.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any

# Imported where used (asyncio, the plugin layer, diff code): the first window paints without them (issue 14).
if TYPE_CHECKING:
    import asyncio

log = logging.getLogger("zhi_gui.ui.tasks")
ErrorHandler = Callable[[str, BaseException], None]
# What widgets receive to start their background work: ``run(coro, what, name)``.
Runner = Callable[[Coroutine[Any, Any, Any], str, str], "asyncio.Task[Any]"]


def _log_only(what: str, exc: BaseException) -> None:
    log.error("%s failed", what or "a background task", exc_info=exc)


def standalone_runner() -> Runner:
    """For a widget used without a window (its own tests): failures are logged."""
    return TaskRunner(_log_only).run


class TaskRunner:
    def __init__(self, on_error: ErrorHandler) -> None:
        self.on_error = on_error
        self.tasks: set[asyncio.Task[Any]] = set()
        self._named: dict[str, asyncio.Task[Any]] = {}
        self._what: dict[asyncio.Task[Any], str] = {}

    def run(self, coro: Coroutine[Any, Any, Any], what: str = "", name: str = "") -> asyncio.Task[Any]:
        """Run ``coro`` on the Qt loop; with ``name``, cancel the previous task of that name."""
        import asyncio

        if name:
            previous = self._named.pop(name, None)
            if previous is not None and not previous.done():
                previous.cancel()
        task = asyncio.get_event_loop().create_task(coro)
        self.tasks.add(task)
        self._what[task] = what
        if name:
            self._named[name] = task
        task.add_done_callback(lambda t: self._done(t, what, name))
        return task

    def _done(self, task: asyncio.Task[Any], what: str, name: str) -> None:
        self.tasks.discard(task)
        self._what.pop(task, None)
        if name and self._named.get(name) is task:
            del self._named[name]
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.on_error(what, exc)

    def what_of(self, task: asyncio.Task[Any]) -> str:
        """What a running task does, in the words it was started with."""
        return self._what.get(task, "")

    def cancel_all(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        self._named.clear()

    def __len__(self) -> int:
        return len(self.tasks)


def install_global_handlers(loop: asyncio.AbstractEventLoop, on_error: ErrorHandler) -> None:
    """Uncaught exceptions (Qt slots, callbacks, orphan tasks) reach ``on_error`` too."""

    import asyncio

    def excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        log.error("uncaught exception", exc_info=(kind, exc, tb))
        if isinstance(exc, KeyboardInterrupt):
            return
        on_error("", exc)

    def loop_handler(_loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        log.error("event loop: %s", context.get("message"), exc_info=exc)
        if isinstance(exc, BaseException) and not isinstance(exc, asyncio.CancelledError):
            on_error("", exc)

    sys.excepthook = excepthook
    loop.set_exception_handler(loop_handler)
