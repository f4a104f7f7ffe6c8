"""Helpers shared by the project's store implementations."""

from __future__ import annotations

import getpass
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from zhi_gui.core.errors import CASConflict
from zhi_gui.core.model import Entry


def default_author() -> str:
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
