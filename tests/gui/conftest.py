"""One qasync loop for the whole GUI test session (style.md): created on the
session's QApplication in "already running" mode; tests stay synchronous and
spin Qt with qtbot, which advances the asyncio tasks.

Windows are built only through :func:`zhi_gui.app.build_window` (the
``make_window`` / ``main_window`` fixtures), so a test sees the window a user
gets: one History panel, security installed once. After every GUI test,
``_no_leftovers`` fails the test if a top-level window or dialog, an asyncio
task or a child process (a plugin) outlived it: a leak there would otherwise
show up as a flaky failure in some later test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import gc
import os
import signal
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.exceptions import TimeoutError as WaitTimeout
from pytestqt.qtbot import QtBot

from tests.conftest import child_pids, cmdline
from zhi_gui.app import build_window
from zhi_gui.services.keyring_service import InMemoryVault, PassphraseVault
from zhi_gui.services.settings import Settings
from zhi_gui.ui.main_window import MainWindow
from zhi_gui.ui.security import SecurityController

T = TypeVar("T")
# The least time any qtbot wait allows before it fails (PatientQtBot).
WAIT_FLOOR_MS = 20_000
# How long teardown waits for things that stop by themselves (a cancelled task's
# last step, a plugin's graceful exit) before calling them leftovers. Generous:
# a busy two-core machine is slow, and a real leak never finishes anyway.
SETTLE_MS = WAIT_FLOOR_MS


class PatientQtBot(QtBot):
    """qtbot whose waits give up only after WAIT_FLOOR_MS at least. A wait ends
    as soon as its condition holds, so the bound costs nothing when things work;
    it only decides when a wait counts as failed, and pytest-qt's 5 s default is
    too short for a plugin restart or a scrypt derivation on a busy two-core
    machine."""

    def waitUntil(self, callback: Callable[[], bool | None], *, timeout: int = WAIT_FLOOR_MS) -> None:
        super().waitUntil(callback, timeout=max(timeout, WAIT_FLOOR_MS))

    def waitSignal(self, signal: Any, *, timeout: int = WAIT_FLOOR_MS, raising: bool | None = None,
                   check_params_cb: Callable[..., bool] | None = None) -> Any:
        if timeout > 0 and raising is not False:  # raising=False: a bounded pause, kept as asked
            timeout = max(timeout, WAIT_FLOOR_MS)
        return super().waitSignal(signal, timeout=timeout, raising=raising, check_params_cb=check_params_cb)


@pytest.fixture
def qtbot(qapp: QApplication, request: pytest.FixtureRequest) -> QtBot:
    """pytest-qt's qtbot with patient waits (PatientQtBot)."""
    return PatientQtBot(request)


@pytest.fixture(scope="session")
def qloop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.events._set_running_loop(None)  # set again per GUI test (_qloop_running)
    # Plain threads for run_in_executor/to_thread: qasync's QThread executor is
    # never shut down in "already running" mode and Qt complains at exit.
    executor = concurrent.futures.ThreadPoolExecutor(thread_name_prefix="zhi-test")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=False, cancel_futures=True)
    # A QMimeData left on the clipboard (Copy value, Copy subtree) crashed the interpreter
    # at exit (SIGSEGV after every test had passed): the clipboard is emptied while Qt still runs.
    qapp.clipboard().clear()


@pytest.fixture(autouse=True)
def _qloop_running(qloop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """The session loop counts as "running" only during GUI tests: outside them
    (unit and integration tests in the same run) asyncio.run must work."""
    asyncio.events._set_running_loop(qloop)
    yield
    asyncio.events._set_running_loop(None)
    # Never stop or close it: a stray exit makes later nested loops return at once.


# --- leak check ------------------------------------------------------------------------------------------


def _describe(widget: QWidget) -> str:
    return f"{type(widget).__name__}(objectName={widget.objectName()!r}, title={widget.windowTitle()!r}, " \
           f"visible={widget.isVisible()})"


def _window_leftovers(before: set[int]) -> list[QWidget]:
    """Top-level windows and dialogs still alive that the test made (menus and
    tooltips Qt keeps for reuse are not windows of ours)."""
    def leftovers() -> list[QWidget]:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QApplication.processEvents()
        return [w for w in QApplication.topLevelWidgets()
                if id(w) not in before and (w.isVisible() or isinstance(w, (MainWindow, QDialog)))]

    if not leftovers():
        return []
    gc.collect()  # a window only a Python cycle still held goes now (costly: only when needed)
    return leftovers()


@pytest.fixture(autouse=True)
def _no_leftovers(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Runs after every other fixture of the test has been torn down (it is set
    up first), so a fixture's own cleanup counts; what is left fails the test
    and is then cleaned up so the next test starts clean."""
    windows_before = {id(w) for w in QApplication.topLevelWidgets()}
    tasks_before = set(asyncio.all_tasks(qloop))
    pids_before = child_pids(os.getpid())
    yield
    problems: list[str] = []

    def pending_tasks() -> list[asyncio.Task[Any]]:
        return [t for t in asyncio.all_tasks(qloop) if t not in tasks_before and not t.done()]

    def new_processes() -> set[int]:
        return child_pids(os.getpid()) - pids_before

    # A task cancelled by a fixture needs a few loop turns, a plugin a moment to exit;
    # what is still there after that is reported below, one line per leftover.
    with contextlib.suppress(WaitTimeout):
        qtbot.waitUntil(lambda: not pending_tasks() and not new_processes(), timeout=SETTLE_MS)
    for task in pending_tasks():
        problems.append(f"asyncio task still pending: {task.get_coro()!r}")
        task.cancel()
    for pid in sorted(new_processes()):
        problems.append(f"child process still running: {pid} {cmdline(pid)}")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for widget in _window_leftovers(windows_before):
        problems.append(f"top-level window left over: {_describe(widget)}")
        widget.close()
        widget.deleteLater()
    if problems:
        QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        pytest.fail("the test left things behind:\n  " + "\n  ".join(problems), pytrace=False)


# --- running coroutines ----------------------------------------------------------------------------------


@pytest.fixture
def run_async(qtbot: Any, qloop: asyncio.AbstractEventLoop) -> Iterator[Callable[..., Any]]:
    """Schedule a coroutine on the Qt loop and wait (spinning Qt) for its result."""
    tasks: list[asyncio.Task[Any]] = []

    def run(coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        task = qloop.create_task(coro)
        tasks.append(task)
        qtbot.waitUntil(task.done, timeout=int(timeout * 1000))
        return task.result()

    yield run
    for task in tasks:
        if not task.done():
            task.cancel()


# --- windows ---------------------------------------------------------------------------------------------


def security_of(window: MainWindow) -> SecurityController:
    """The encryption / keyring / login controller build_window installed."""
    found = window.findChildren(SecurityController)
    assert len(found) == 1, f"expected one SecurityController, found {len(found)}"
    return found[0]


def dispose_window(qtbot: Any, run_async: Callable[..., Any], win: MainWindow) -> None:
    """Close a window the way the app does at exit, without the prompts: tasks
    cancelled, the plugin stopped, dialogs closed, the window deleted."""
    win._closing_confirmed = True  # no "unsaved edits" question at teardown
    for task in list(win.tasks):
        task.cancel()
    qtbot.waitUntil(lambda: all(t.done() for t in win.tasks), timeout=SETTLE_MS)
    run_async(win.controller.close())
    for dialog in win.findChildren(QDialog):
        dialog.close()
    win.close()
    win.deleteLater()


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(qtbot: Any, run_async: Callable[..., Any]) -> Iterator[WindowFactory]:
    """Build main windows as the app does (zhi_gui.app.build_window), shown; each
    is closed (plugin stopped) at teardown. ``vault`` defaults to a fresh
    in-memory keyring: GUI tests never touch the OS keyring unless they pass one."""
    made: list[MainWindow] = []

    def make(settings: Settings | None = None, state_root: Path | None = None, *,
             vault: PassphraseVault | None = None, show: bool = True) -> MainWindow:
        win = build_window(settings, state_root, vault=vault if vault is not None else InMemoryVault())
        # Not qtbot.addWidget: pytest-qt would close the window before this fixture's
        # teardown, and the window's close handler would race the plugin's shutdown.
        made.append(win)
        if show:
            win.show()
        return win

    yield make
    for win in reversed(made):
        dispose_window(qtbot, run_async, win)


@pytest.fixture
def main_window(make_window: WindowFactory) -> MainWindow:
    """One main window, shown, no settings remembered, an in-memory keyring."""
    return make_window()
