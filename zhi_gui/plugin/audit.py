"""Binary integrity (zhi-protocol.md 4): SHA-256 of a plugin executable compared
with ``~/.zhi/metadata/<name>.json`` ``binaryDigest``; unsafe paths refused."""

from __future__ import annotations

import enum
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from zhi_gui.core.errors import AuditError

log = logging.getLogger("zhi_gui.plugin.audit")


class AuditMode(enum.Enum):
    HARD_FAIL = "hard-fail"  # default: a mismatch refuses the launch
    WARN = "warn"  # development: a mismatch is logged and the launch goes on


@dataclass(frozen=True, slots=True)
class AuditResult:
    path: Path
    digest: str  # "sha256:<hex>"
    expected: str | None  # None = no metadata recorded (locally built: passes)
    metadata_file: Path | None

    @property
    def matches(self) -> bool | None:
        return None if self.expected is None else self.expected.lower() == self.digest


def default_metadata_dir() -> Path:
    return Path.home() / ".zhi" / "metadata"


def safe_executable(path: str | os.PathLike[str]) -> Path:
    """The resolved path of an executable file; refuses paths through ``..``."""
    raw = Path(path)
    if ".." in raw.parts:
        raise AuditError(f"refusing plugin path {str(raw)!r}: it goes through '..'")
    resolved = raw.expanduser().resolve()
    if not resolved.is_file():
        raise AuditError(f"plugin {str(raw)!r} is not a file")
    if not os.access(resolved, os.X_OK):
        raise AuditError(f"plugin {str(raw)!r} is not executable (chmod +x?)")
    return resolved


def sha256_file(path: Path) -> str:
    import hashlib  # loads OpenSSL: not before the first window's paint (issue 14)

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha256:" + digest.hexdigest()


def _metadata_names(binary: Path) -> list[str]:
    name = binary.name
    names = [name]
    parts = name.split("-", 2)
    if len(parts) == 3 and parts[0] == "zhi":
        names.append(parts[2])  # zhi-store-json -> json
    if binary.parent.name in ("config", "transform", "store", "ui"):
        names.append(f"zhi-{binary.parent.name}-{name}")  # nested store/json
    return names


def expected_digest(binary: Path, metadata_dir: Path) -> tuple[str | None, Path | None]:
    for name in _metadata_names(binary):
        candidate = metadata_dir / f"{name}.json"
        if not candidate.is_file():
            continue
        try:
            data = json.loads(candidate.read_text())
        except (OSError, ValueError) as exc:
            raise AuditError(f"cannot read plugin metadata {candidate}: {exc}") from None
        value = data.get("binaryDigest") if isinstance(data, dict) else None
        if isinstance(value, str) and value:
            return value if value.startswith("sha256:") else f"sha256:{value}", candidate
    return None, None


def audit_binary(path: str | os.PathLike[str], mode: AuditMode = AuditMode.HARD_FAIL,
                 metadata_dir: Path | None = None) -> AuditResult:
    """Blocking (reads the whole file): call it off the UI thread."""
    binary = safe_executable(path)
    digest = sha256_file(binary)
    expected, source = expected_digest(binary, metadata_dir or default_metadata_dir())
    result = AuditResult(binary, digest, expected, source)
    log.info("plugin binary %s %s", binary, digest)
    if result.matches is False:
        message = (f"plugin {binary} has digest {digest}, but {source} records {expected}: "
                   "the binary changed since it was installed")
        if mode == AuditMode.HARD_FAIL:
            raise AuditError(message + " (refusing to start it; reinstall it or use warn-only audit)")
        log.warning("%s (warn-only audit: starting it anyway)", message)
    return result
