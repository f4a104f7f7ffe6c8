"""Shared test setup: offscreen Qt, paths of the shipped plugins, an asyncio runner."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# A go-plugin host hands its environment to the plugin; PYTHONUNBUFFERED would
# hide a missing flush of the handshake line, so the tests never set it.
os.environ.pop("PYTHONUNBUFFERED", None)

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = ROOT / "plugins"
INTEROP_BIN = Path(
    os.environ.get("ZHI_INTEROP_DIR", Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "zhi-interop")
) / "bin"
T = TypeVar("T")


def plugin_path(name: str) -> Path:
    """plugins/zhi-store-<name>/zhi-store-<name>"""
    return PLUGINS / f"zhi-store-{name}" / f"zhi-store-{name}"


@pytest.fixture
def arun() -> Callable[[Coroutine[Any, Any, T]], T]:
    """Run a coroutine to completion on a fresh event loop (tests without Qt)."""

    def run(coro: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run(asyncio.wait_for(coro, timeout))

    return run


@pytest.fixture
def short_tmp() -> Any:
    """A temp dir with a short path (unix socket paths are limited to 107 bytes)."""
    import tempfile

    path = Path(tempfile.mkdtemp(prefix="zt-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def interop_binary(name: str) -> Path:
    """A Go peer from ../shared/interop, or skip the test saying how to build it."""
    path = INTEROP_BIN / name
    if not path.is_file():
        pytest.skip(f"{name} not built: run ../shared/interop/build.sh (looked in {INTEROP_BIN})")
    return path


def child_pids(parent: int) -> set[int]:
    """Live descendants of ``parent`` (zombies have exited: not counted), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                state, ppid = handle.read().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError):
            continue  # gone meanwhile
        if state != "Z":
            children.setdefault(int(ppid), []).append(int(entry))
    found: set[int] = set()
    todo = [parent]
    while todo:
        for pid in children.get(todo.pop(), []):
            if pid not in found:
                found.add(pid)
                todo.append(pid)
    return found


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


@pytest.fixture(scope="session")
def etcd(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One real etcd member for the whole run (tests keep apart by a root prefix of their own);
    skips with the install line when Debian's etcd-server is missing."""
    from tests.etcd_server import EtcdServer

    server = EtcdServer(tmp_path_factory.mktemp("etcd") / "data")
    server.start()
    yield server
    server.stop()
