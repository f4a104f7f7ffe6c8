"""Options of zhi-store-sqlite (from ``ZHI_PLUGIN_OPTIONS``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhi_gui.core.errors import InvalidArgument
from zhi_gui.stores.common import read_passphrase

log = logging.getLogger("zhi_gui.stores.sqlite")

DEFAULT_FILE_NAME = "default.zhistore.sqlite"
KNOWN = frozenset({"path", "author", "passphrase_file", "passphrase_env", "create"})


def default_path() -> Path:
    import platformdirs  # only when no path is given: not on the way to every plugin's handshake

    return Path(platformdirs.user_data_dir("zhi-gui")) / DEFAULT_FILE_NAME


@dataclass(frozen=True, slots=True)
class SqliteOptions:
    path: Path
    author: str = ""
    passphrase_file: str = ""
    passphrase_env: str = ""
    # A missing file is created only when asked (or for the embedded default
    # store): a mistyped path must not silently become a new empty store.
    create: bool = False

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> SqliteOptions:
        options = dict(options or {})
        unknown = sorted(set(options) - KNOWN)
        if unknown:
            log.warning("ignoring unknown options %s (known: %s)", unknown, sorted(KNOWN))
        create = options.get("create", False)
        if not isinstance(create, bool):
            raise InvalidArgument(f"option 'create' must be true or false, not {type(create).__name__}")
        for key in KNOWN - {"create"}:
            value = options.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidArgument(f"option {key!r} must be a string, not {type(value).__name__}")
        raw_path = options.get("path") or ""
        path = Path(os.path.expanduser(raw_path)).absolute() if raw_path else default_path()
        return cls(path, options.get("author") or "", options.get("passphrase_file") or "",
                   options.get("passphrase_env") or "",
                   # (the name first: the default's folder is looked up only for a file of its name)
                   create or (path.name == DEFAULT_FILE_NAME and path == default_path()))

    @property
    def has_passphrase_source(self) -> bool:
        return bool(self.passphrase_file or self.passphrase_env)

    def read_passphrase(self) -> tuple[bytes, str]:
        """(passphrase, where it came from); see zhi_gui.stores.common.read_passphrase."""
        return read_passphrase(self.passphrase_file, self.passphrase_env)
