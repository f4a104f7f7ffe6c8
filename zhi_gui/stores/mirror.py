"""zhi-store-mirror: a meta-plugin built with ``zhi_gui.plugin.composition``.

It launches two child plugins, the memory store as the primary and the json
store as the mirror, and serves ``MirroredStore(primary, [mirror])``: every
write goes to memory first, then to the json files without CAS (to both or,
undone, to neither); reads come
from memory. Capabilities are the most restrictive of both (the json store
keeps no versions and no encryption, so neither does the combination).

Options (``ZHI_PLUGIN_OPTIONS``):
  primary_options   object: ZHI_PLUGIN_OPTIONS of the memory child (default {})
  mirror_options    object: ZHI_PLUGIN_OPTIONS of the json child (default {})
  mirror_dir        shortcut for mirror_options.directory (the json store directory)
  primary_plugin    path of the primary's executable (default: zhi-store-memory, found below)
  mirror_plugin     path of the mirror's executable (default: zhi-store-json)
  audit             "hard-fail" (default) or "warn": integrity check of the children
  mirror_timeout    seconds a mirror may take per write before it counts as failed (default 60)

Children are found next to this plugin (flat: ``<dir>/zhi-store-memory``;
the shipped layout: ``<dir>/../zhi-store-memory/zhi-store-memory``; nested:
``store/memory`` beside ``store/mirror``), then on PATH, then in the
plugins folder shipped with zhi_gui. "Next to this plugin" is
``$ZHI_STORE_MIRROR_HOME`` (the sh wrapper sets it to its own folder), else
the folder of ``sys.argv[0]`` (the ``zhi-store-mirror`` console script).

Lifetime: the children run in this plugin's process group, so a host that
kills the group kills them too. Shutdown and SIGTERM stop the children
gracefully before this process exits; if the host dies, this plugin notices
(as every Python plugin does) and stops them the same way; if this process is
killed outright, the children notice their parent is gone and exit. If the
primary dies, this plugin exits too (a host's supervisor restarts it); a dead
mirror is logged and every write is refused (undone on the primary).
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from zhi_gui.core import errors as E
from zhi_gui.plugin.audit import AuditMode
from zhi_gui.plugin.client import StoreClient
from zhi_gui.plugin.composition.launch import Launched, launch_store_client
from zhi_gui.plugin.composition.mirrored import MirroredStore
from zhi_gui.plugin.launcher import LaunchConfig

log = logging.getLogger("zhi_gui.stores.mirror")

HOME_ENV = "ZHI_STORE_MIRROR_HOME"
PRIMARY_BINARY = "zhi-store-memory"
MIRROR_BINARY = "zhi-store-json"
_KNOWN_OPTIONS = frozenset({"primary_options", "mirror_options", "mirror_dir", "primary_plugin", "mirror_plugin",
                            "audit", "mirror_timeout"})


def _homes() -> list[Path]:
    homes: list[Path] = []
    if os.environ.get(HOME_ENV):
        homes.append(Path(os.environ[HOME_ENV]))
    if sys.argv and sys.argv[0] and not sys.argv[0].startswith("-"):
        homes.append(Path(sys.argv[0]).resolve().parent)
    return homes


def find_child(binary: str, explicit: object = None) -> Path:
    """The executable of a child plugin (see the module docstring for the order)."""
    if explicit is not None:
        if not isinstance(explicit, str) or not explicit:
            raise E.InvalidArgument(f"the path of {binary} must be a non-empty string")
        path = Path(explicit).expanduser()
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise E.InvalidArgument(f"{path} (given for {binary}) is not an executable file")
        return path
    short = binary.removeprefix("zhi-store-")
    candidates: list[Path] = []
    for home in _homes():
        candidates += [home / binary, home.parent / binary / binary]
        if home.name == "store":  # nested layout: store/mirror next to store/memory
            candidates.append(home / short)
    on_path = shutil.which(binary)
    if on_path:
        candidates.append(Path(on_path))
    from zhi_gui.resources_path import shipped_plugins_dir

    candidates.append(shipped_plugins_dir() / binary / binary)
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    looked = ", ".join(str(c) for c in candidates)
    raise E.InvalidArgument(f"cannot find the child plugin {binary} (looked in: {looked})")


def _object_option(options: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = options.get(key, {})
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise E.InvalidArgument(f"option {key!r} must be a JSON object, not {type(value).__name__}")
    return dict(value)


class MirrorPlugin(MirroredStore):
    """The mirrored store of two launched children; closing it stops them."""

    def __init__(self, primary: Launched[StoreClient], mirror: Launched[StoreClient], *,
                 mirror_timeout: float | None) -> None:
        super().__init__(primary.client, {mirror.process.path.name: mirror.client}, logger=log,
                         mirror_timeout=mirror_timeout)
        self.children = [primary, mirror]
        self.closing = False

    async def close(self) -> None:
        self.closing = True
        results = await asyncio.gather(*(child.cleanup() for child in self.children), return_exceptions=True)
        for child, result in zip(self.children, results, strict=True):
            if isinstance(result, Exception):
                log.warning("stopping %s failed: %s", child.process.path.name, result)


async def build(options: Mapping[str, Any]) -> MirrorPlugin:
    """Launch both children (in parallel) and wrap them; on any failure, stop what started."""
    unknown = sorted(set(options) - _KNOWN_OPTIONS)
    if unknown:
        log.warning("ignoring unknown options: %s", ", ".join(unknown))
    primary_options = _object_option(options, "primary_options")
    mirror_options = _object_option(options, "mirror_options")
    if options.get("mirror_dir") is not None:
        mirror_options["directory"] = options["mirror_dir"]
    audit_name = str(options.get("audit", AuditMode.HARD_FAIL.value))
    try:
        audit = AuditMode(audit_name)
    except ValueError:
        raise E.InvalidArgument(f"option 'audit' must be 'hard-fail' or 'warn', not {audit_name!r}") from None
    timeout = options.get("mirror_timeout", 60.0)
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        raise E.InvalidArgument(f"option 'mirror_timeout' must be a positive number of seconds, not {timeout!r}")
    primary_path = find_child(PRIMARY_BINARY, options.get("primary_plugin"))
    mirror_path = find_child(MIRROR_BINARY, options.get("mirror_plugin"))

    async def start(path: Path, child_options: dict[str, Any], role: str) -> Launched[StoreClient]:
        try:
            return await launch_store_client(path, LaunchConfig(options=child_options, audit=audit),
                                             logger=logging.getLogger(f"zhi_gui.stores.mirror.{role}"),
                                             own_process_group=False)
        except E.ZhiError as exc:
            raise E.LaunchError(f"cannot start the {role} ({path}): {exc}") from None

    results = await asyncio.gather(start(primary_path, primary_options, "primary"),
                                   start(mirror_path, mirror_options, "mirror"), return_exceptions=True)
    started = [r for r in results if isinstance(r, Launched)]
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        await asyncio.gather(*(child.cleanup() for child in started), return_exceptions=True)
        raise failed[0]
    primary, mirror = started
    try:
        store = MirrorPlugin(primary, mirror, mirror_timeout=float(timeout))
        store.serves_extension = await primary.client.extension() is not None
    except BaseException:
        await asyncio.gather(primary.cleanup(), mirror.cleanup(), return_exceptions=True)
        raise

    def primary_exited(code: int) -> None:
        if not store.closing:
            log.error("the primary %s exited (status %s); stopping the mirror plugin", primary.process.path.name, code)
            os.kill(os.getpid(), signal.SIGTERM)  # the server's SIGTERM handler: orderly stop

    def mirror_exited(code: int) -> None:
        if not store.closing:
            log.error("the mirror %s exited (status %s); writes are refused (undone on the primary) until a restart",
                      mirror.process.path.name, code)

    primary.add_exit_listener(primary_exited)
    mirror.add_exit_listener(mirror_exited)
    log.info("mirroring %s (pid %s) to %s (pid %s)", primary.process.path.name, primary.pid,
             mirror.process.path.name, mirror.pid)
    return store


def main() -> None:
    from zhi_gui.plugin.server import serve

    serve(build, name="zhi-store-mirror")


if __name__ == "__main__":
    main()
