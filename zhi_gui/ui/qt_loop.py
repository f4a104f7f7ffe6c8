"""Running asyncio on the Qt event loop (qasync), the way the app and the
benchmarks do it: QApplication first, then one qasync loop for the process.

asyncio and qasync are imported where the loop is made, not with this module: the
app paints its first window before they exist (issue 14, cold start)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar, cast

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    import concurrent.futures

    import qasync

T = TypeVar("T")
# How long a thread running Python may keep the GIL while another waits for it (Python's
# default is 5 ms). The UI thread takes the GIL again for every call Qt makes into Python (a
# paint is a few hundred), so while a worker converts or indexes values each of those could
# wait up to this long: a 6 ms paint took 25 ms at 5 ms and 14 ms at 0.5 ms (benchmarks).
GIL_SWITCH_SECONDS = 0.0005


def qt_application(argv: list[str] | None = None) -> QApplication:
    if sys.getswitchinterval() > GIL_SWITCH_SECONDS:
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
    # Qt's raster engine splits big fills (a view's background, a scrollbar) over a thread pool
    # and waits for it: 300 scrollbar repaints made 39,000 context switches, each a chance for
    # a busy machine to run something else before the UI thread continues. This window's fills
    # are small; done on the UI thread they cost the same CPU (read before the app exists).
    os.environ.setdefault("QT_NO_GUI_THREADPOOL", "1")
    app = QApplication.instance()
    if app is None:
        from zhi_gui.ui.theme import FUSION_ARGS, FUSION_PROPERTY

        # The style named here, not set afterwards: see theme.FUSION_ARGS.
        app = QApplication([*(argv if argv is not None else sys.argv), *FUSION_ARGS])
        app.setProperty(FUSION_PROPERTY, True)
    assert isinstance(app, QApplication)
    return app


def wait_for(done: Callable[[], bool], signal: SignalInstance, timeout_ms: int) -> None:
    """Let Qt run (a nested Qt loop, no asyncio) until ``done()``, which ``signal`` says may
    have become true, at most ``timeout_ms``: the app's first window paints before the
    asyncio loop exists, and a window shown where nothing paints it holds nobody forever."""
    waiting = QEventLoop()
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(waiting.quit)
    signal.connect(waiting.quit)
    timer.start(timeout_ms)
    try:
        while not done() and timer.isActive():
            waiting.exec()
    finally:
        timer.stop()
        signal.disconnect(waiting.quit)


def qt_event_loop(app: QApplication) -> tuple[qasync.QEventLoop, concurrent.futures.ThreadPoolExecutor]:
    """The process's asyncio loop on ``app`` (set as the current loop), with a thread pool
    for ``run_in_executor``: the caller shuts the pool down when the loop has ended."""
    import asyncio
    import concurrent.futures

    import qasync

    loop = qasync.QEventLoop(app)
    executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="zhi-worker")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    return loop, executor


def run_with_qt(main: Callable[[], Coroutine[Any, Any, T]], argv: list[str] | None = None) -> T:
    """Run ``main()`` to completion on a qasync loop over the QApplication."""
    app = qt_application(argv)
    loop, executor = qt_event_loop(app)
    try:
        with loop:
            return cast(T, loop.run_until_complete(main()))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
