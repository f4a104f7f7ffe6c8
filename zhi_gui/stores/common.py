"""Helpers shared by the project's store implementations."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from zhi_gui.core.entries import Entry
from zhi_gui.core.errors import CASConflict, InvalidArgument


def default_author() -> str:
    import getpass  # here: plugins import this module before their handshake, and need it rarely

    try:
        user = getpass.getuser()
    except Exception:
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expected_versions(entries: Sequence[Entry], cas_versions: Mapping[str, str] | None) -> dict[str, str]:
    """Per-path expectations: ``cas_versions`` plus non-empty ``TreeEntry.version``s."""
    wanted = dict(cas_versions or {})
    for entry in entries:
        if entry.version:
            wanted.setdefault(entry.path, entry.version)
    return wanted


def conflict(path: str, expected: str, actual: str) -> CASConflict:
    where = f"path {path!r}" if path else "tree"
    return CASConflict(
        f"CAS conflict on {where}: expected version {expected!r}, store has {actual or 'none'!r}",
        {"path": path, "expected": expected, "actual": actual},
    )


def read_passphrase(passphrase_file: str, passphrase_env: str) -> tuple[bytes, str]:
    """(passphrase, where it came from) from a store's ``passphrase_file`` or
    ``passphrase_env`` option; raises InvalidArgument when the configured
    source cannot be read. A file's one trailing newline is dropped; an
    environment variable is taken as is."""
    if passphrase_file:
        where = f"passphrase_file {passphrase_file}"
        try:
            data = Path(os.path.expanduser(passphrase_file)).read_bytes()
        except OSError as exc:
            raise InvalidArgument(f"cannot read {where}: {exc.strerror or exc}") from None
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        return data, where
    where = f"environment variable {passphrase_env} (passphrase_env)"
    value = os.environb.get(passphrase_env.encode())
    if value is None:
        raise InvalidArgument(f"{where} is not set")
    return value, where
