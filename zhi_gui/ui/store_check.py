"""Store > Check store: check a sqlite store file for damage, and recover what
is intact into a new file, without blocking the window.

The check runs ``zhi-store-sqlite --check`` as a subprocess (the same module
the plugin is made of, run with this interpreter): a damaged file is read by a
process of its own, the event loop only awaits it, and the file is never
changed. The report is shown in a non-modal window; "Recover into a new
file..." runs ``--recover`` the same way.

Wiring: ``install_store_check(window)`` adds Store > Check store... (composed in
``zhi_gui.app.build_window``); ``show_store_check(parent, path)`` opens the window
and starts the check; ``StoreCheckWindow.finished`` carries the outcome.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QFontDatabase
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from zhi_gui.stores.sqlite import PROGRESS_PREFIX
from zhi_gui.ui.window_api import follow_store

if TYPE_CHECKING:
    from collections.abc import Callable

    from zhi_gui.session import StoreSession
    from zhi_gui.ui.window_api import WindowApi

CHECK_TIMEOUT = 600.0
STILL_USABLE = "The window stays usable meanwhile; Close stops it."


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of a check or recovery: ``status`` is ``intact``, ``damaged``
    (recovery: something was lost) or ``failed`` (could not run)."""

    status: str
    report: str
    exit_code: int | None = None


async def run_tool(*args: str, timeout: float = CHECK_TIMEOUT,
                   progress: Callable[[str], None] | None = None) -> CheckResult:
    """``python -m zhi_gui.stores.sqlite ARGS`` in a subprocess; its report.
    ``progress(text)``: what the tool says it is doing, as it goes (``--progress``)."""
    try:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-P", "-m", "zhi_gui.stores.sqlite", *args, *(["--progress"] if progress else []),
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": ""})
    except OSError as exc:
        return CheckResult("failed", f"The check could not be started: {exc.strerror or exc}.")

    async def errors() -> list[str]:
        assert proc.stderr is not None
        kept = []
        async for raw in proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if progress is not None and line.startswith(PROGRESS_PREFIX):
                progress(line[len(PROGRESS_PREFIX):])
            else:
                kept.append(line)
        return kept

    assert proc.stdout is not None
    try:
        out, err, _ = await asyncio.wait_for(asyncio.gather(proc.stdout.read(), errors(), proc.wait()), timeout)
    except (TimeoutError, asyncio.CancelledError):
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        raise
    text = out.decode("utf-8", "replace").strip()
    problem = "\n".join(err).strip()
    if proc.returncode == 0:
        return CheckResult("intact", text, 0)
    if proc.returncode == 1:
        return CheckResult("damaged", text, 1)
    return CheckResult("failed", (text + "\n" + problem).strip() or f"exit status {proc.returncode}",
                       proc.returncode)


class StoreCheckWindow(QWidget):
    """A non-modal window with the report of one store file."""

    finished = Signal(object)  # CheckResult of the latest check or recovery

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("store-check")
        self.setWindowTitle(f"Check store: {path.name}")
        self.path = path
        self.result: CheckResult | None = None
        self._task: asyncio.Task[None] | None = None
        self.summary = QLabel()
        self.summary.setObjectName("store-check-summary")
        self.summary.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("store-check-report")
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.recover_button = QPushButton("Recover into a new file...")
        self.recover_button.setObjectName("store-check-recover")
        self.recover_button.setEnabled(False)
        self.recover_button.clicked.connect(self._ask_recover)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.recover_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(760, 480)

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def start_check(self) -> None:
        self._start(f"Checking {self.path}", "--check", str(self.path))

    def start_recover(self, new_path: Path) -> None:
        self._start(f"Recovering the intact data of {self.path} into {new_path}",
                    "--recover", str(self.path), str(new_path))

    def _start(self, message: str, *args: str) -> None:
        if self.busy:
            return
        self.summary.setText(f"{message}\u2026 {STILL_USABLE}")
        self.recover_button.setEnabled(False)
        self._task = asyncio.ensure_future(self._run(args[0], args, message))

    async def _run(self, kind: str, args: tuple[str, ...], message: str) -> None:
        began = time.monotonic()

        def progress(text: str) -> None:  # a big store takes a while (1M values: ~15 s)
            self.summary.setText(f"{message}\u2026 {time.monotonic() - began:.0f} s \u00b7 {text}. {STILL_USABLE}")

        try:
            result = await run_tool(*args, progress=progress)
        except asyncio.CancelledError:
            return
        self.result = result
        self.text.setPlainText(result.report)
        self.summary.setText(self._summary(kind, result))
        self.recover_button.setEnabled(kind == "--check" and result.status == "damaged")
        self.finished.emit(result)

    def _summary(self, kind: str, result: CheckResult) -> str:
        if result.status == "failed":
            return "The check could not run; the store file was not changed. See the details below."
        if kind == "--recover":
            if result.status == "intact":
                return "Recovered: everything was copied into the new file. Open it to use it."
            return ("Recovered what was intact into the new file; the report below lists what was lost. "
                    "Open the new file to use it; the damaged file was not changed.")
        if result.status == "intact":
            return "No damage found. The store file was not changed."
        return ("The store file is damaged; the report lists what is affected. Nothing was changed. "
                "Recover the intact data into a new file, or restore the file from a backup.")

    def _ask_recover(self) -> None:
        suggestion = self.path.with_name(self.path.stem + ".recovered" + self.path.suffix)
        chosen, _ = QFileDialog.getSaveFileName(self, "Recover into a new file", str(suggestion))
        if chosen:
            self.start_recover(Path(chosen))

    def closeEvent(self, event: object) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()  # kills the subprocess
        super().closeEvent(event)  # type: ignore[arg-type]


def show_store_check(parent: QWidget | None, path: Path) -> StoreCheckWindow:
    """Open the check window for a sqlite store file and start the check."""
    window = StoreCheckWindow(path, parent)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    window.show()
    window.start_check()
    return window


def sqlite_file_of(session: StoreSession) -> Path | None:
    """The open store's file when it is a zhi-store-sqlite store (else None: nothing to check)."""
    target = session.target
    if target is None or not session.is_open or target.plugin.name != "zhi-store-sqlite":
        return None
    path = target.options.get("path")
    return Path(str(path)).expanduser() if isinstance(path, str) and path else None


def install_store_check(window: WindowApi) -> QAction:
    """Store > Check store...: enabled while a sqlite store is open."""
    main = window.main_window()
    action = QAction("Check store\u2026", main)
    action.setObjectName("action-check-store")
    action.setToolTip("Check the store file for damage without changing it; recover what is intact")

    def check() -> None:
        path = sqlite_file_of(window.session)
        if path is not None:
            show_store_check(main, path)

    def update() -> None:
        action.setEnabled(sqlite_file_of(window.session) is not None)

    action.triggered.connect(check)
    window.store_menu.addSeparator()
    window.store_menu.addAction(action)
    follow_store(window, update)
    return action
