"""Shared test setup: offscreen Qt, paths of the shipped plugins, an asyncio runner."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
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


def _stand_in_home() -> Path:
    """Point HOME, the XDG base directories and the keyring away from the user's own for the
    whole run, and return the temp folder they point into.

    A machine's embedded default store (platformdirs' user_data_dir("zhi-gui")) was found
    encrypted with an unknown passphrase after a working session: nothing run by the suite
    may reach the user's store, settings, plugin state or keyring, whatever a test forgets
    to override. Set in os.environ before any test module is collected, so that
    the plugin processes and app subprocesses the tests start inherit it too. What the suite
    needs from the real home (INTEROP_BIN above; the .venv is found beside the checkout) is
    resolved at import, before this runs."""
    home = Path(tempfile.mkdtemp(prefix="zhi-home-", dir="/tmp"))  # short: unix socket paths
    os.environ["HOME"] = str(home)
    for name, rel in STAND_IN_DIRS.items():
        (home / rel).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(home / rel)
    # The OS keyring: keyring's "fail" backend (what a machine without a Secret Service gets),
    # and no session bus to find the user's Secret Service on; tests of the real keyring start
    # their own D-Bus session and gnome-keyring in their own HOME.
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.pop("DBUS_SESSION_BUS_ADDRESS", None)
    return home


STAND_IN_DIRS = {"XDG_DATA_HOME": ".local/share", "XDG_CONFIG_HOME": ".config",
                 "XDG_STATE_HOME": ".local/state", "XDG_CACHE_HOME": ".cache"}
# Set for a pytest run only (pytest_configure, before any test module is collected): a
# script that imports a helper from here keeps its own environment.
STAND_IN_HOME = Path("/nonexistent-stand-in-home")


def pytest_configure(config: pytest.Config) -> None:
    global STAND_IN_HOME
    STAND_IN_HOME = _stand_in_home()


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


def record_calls(obj: Any, *names: str) -> list[str]:
    """Replace ``obj``'s methods ``names`` with ones that note their name, in call order,
    in the returned list, then call the real method."""
    calls: list[str] = []
    for name in names:
        real = getattr(obj, name)

        def recorded(*args: Any, _real: Any = real, _name: str = name) -> Any:
            calls.append(_name)
            return _real(*args)

        setattr(obj, name, recorded)
    return calls


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


# --- what reached the user's folders --------------------------------------------------------------------
# The stand-in home makes such writes harmless; naming the tests that did them shows which
# test would have changed the user's own store, settings or keyring without it.
WATCHED = (".local/share/zhi-gui", ".config/zhi-gui", ".local/state/zhi-gui", ".cache/zhi-gui", ".zhi",
           ".local/share/keyrings", ".config/python_keyring", ".local/share/python_keyring")
_reached: list[tuple[str, list[str]]] = []


def _watched_files() -> dict[str, tuple[int, int]]:
    found: dict[str, tuple[int, int]] = {}
    for rel in WATCHED:
        for folder, _dirs, files in os.walk(STAND_IN_HOME / rel):
            for name in files:
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except OSError:
                    continue  # gone meanwhile
                found[os.path.relpath(path, STAND_IN_HOME)] = (stat.st_mtime_ns, stat.st_size)
    return found


@pytest.fixture(autouse=True)
def _user_folders_watch(request: pytest.FixtureRequest) -> Any:
    before = _watched_files()
    yield
    after = _watched_files()
    changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
    if changed:
        _reached.append((request.node.nodeid, changed))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _reached:
        terminalreporter.section("tests that wrote into the user's folders (here: the stand-in home)")
        for nodeid, paths in _reached:
            terminalreporter.write_line(f"{nodeid}: {', '.join('~/' + p for p in paths)}")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(STAND_IN_HOME, ignore_errors=True)
