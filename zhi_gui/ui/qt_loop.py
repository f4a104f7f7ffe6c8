"""Running asyncio on the Qt event loop (qasync), the way the app and the
benchmarks do it: QApplication first, then one qasync loop for the process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar, cast

import qasync
from PySide6.QtWidgets import QApplication

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
        app = QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    return app


def run_with_qt(main: Callable[[], Coroutine[Any, Any, T]], argv: list[str] | None = None) -> T:
    """Run ``main()`` to completion on a qasync loop over the QApplication."""
    app = qt_application(argv)
    loop = qasync.QEventLoop(app)
    executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="zhi-worker")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            return cast(T, loop.run_until_complete(main()))
    finally:
        executor.shutdown(wait=False, cancel_futures=True)
