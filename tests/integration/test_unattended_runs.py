"""`zhi-gui --screenshot` / `--quit-after` on an encrypted store whose passphrase no keyring
holds: the app (a real process, with its real sqlite plugin) ends by itself instead of
waiting at the unlock dialog for ever; the screenshot shows the window with the dialog,
a warning says why, and the store file is not changed by a byte."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from tests.conftest import ROOT, plugin_path
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

PASS = "orbit lantern quiet harbor 42"
WARNING = "the store is waiting for its passphrase: screenshot taken at the Unlock store dialog"


def app_env(home: Path) -> dict[str, str]:
    """The app in a home of its own, offscreen; no keyring holds any passphrase."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    env["HOME"] = str(home)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    env.update(QT_QPA_PLATFORM="offscreen", PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring")
    return env


def embedded_store(home: Path) -> Path:
    return home / "xdg_data_home" / "zhi-gui" / "default.zhistore.sqlite"


@pytest.fixture
def encrypted_home(tmp_path: Path, arun: Callable[..., Any]) -> Path:
    """A home whose embedded default store is encrypted (one value in the tree 'app')."""
    store = embedded_store(tmp_path)
    store.parent.mkdir(parents=True)

    async def make() -> None:
        plugin = await launch_store(plugin_path("sqlite"), options={"path": str(store), "create": True})
        try:
            await plugin.store.write_values("app", [Entry("db/host", b'"db.internal"')], message="seed")
            await plugin.store.init_encryption(PASS.encode())
        finally:
            await plugin.close()

    arun(make())
    return tmp_path


def digest(folder: Path) -> dict[str, str]:
    """Each file of the store's folder (a -wal or -journal beside it too) by its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def run_app(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The timeout only stops a hang (what this test is about) from stalling the run.
    return subprocess.run([sys.executable, "-m", "zhi_gui", *args, "--log-level", "info"], env=app_env(home),
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_screenshot_of_a_store_waiting_for_its_passphrase_is_taken_at_the_dialog(encrypted_home: Path) -> None:
    """README's `./run.sh --sample --screenshot`, on an encrypted embedded store."""
    before = digest(embedded_store(encrypted_home).parent)
    shot = encrypted_home / "shot.png"
    done = run_app(encrypted_home, "--sample", "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert WARNING in done.stderr, done.stderr
    assert "unlock cancelled: the store stays locked" in done.stderr or "Unlocked" not in done.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 400 and image.height() > 300, "a real picture was written"
    assert digest(embedded_store(encrypted_home).parent) == before, "the store was not written (no sample tree)"
    assert PASS not in done.stderr


def test_quit_after_ends_at_once_when_the_store_waits_for_its_passphrase(encrypted_home: Path) -> None:
    """--quit-after 600 would quit ten minutes after the store opened; a store that cannot open
    unattended ends the run at once (the subprocess timeout, far shorter, would fail the test)."""
    before = digest(embedded_store(encrypted_home).parent)
    done = run_app(encrypted_home, "--quit-after", "600")
    assert done.returncode == 0, done.stderr
    assert "the store is waiting for its passphrase: nobody can answer in a --quit-after run" in done.stderr, \
        done.stderr
    assert digest(embedded_store(encrypted_home).parent) == before


def test_a_screenshot_path_that_cannot_be_written_is_reported(tmp_path: Path) -> None:
    """Bad input: a folder that does not exist. The app says so and still ends."""
    shot = tmp_path / "missing-folder" / "shot.png"
    done = run_app(tmp_path, "--screenshot", str(shot))
    assert done.returncode == 0, done.stderr
    assert f"the screenshot could not be saved to {shot}" in done.stderr, done.stderr
    assert not shot.exists()
