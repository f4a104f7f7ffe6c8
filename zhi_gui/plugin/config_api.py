"""The async interface of a zhi *config* plugin (``zhiplugin.v1.ConfigService``).

A config plugin tells zhi which configuration paths exist, with their default
values and labels (List, Get), accepts changes (Set), and checks a value in
the context of the whole tree (Validate). The wire layout is
``proto/zhiplugin/v1/config.proto``:

    List()               -> paths
    Get(path)            -> found, value_json, metadata_json
    Set(path, value_json, metadata_json)
    Validate(path, tree) -> [ValidationResult{severity, message, metadata_json}]

Python config plugins subclass ``ConfigPlugin`` and are put on the wire by
``zhi_gui.plugin.server.serve``; ``zhi_gui.plugin.config_client.ConfigClient``
implements the same interface over gRPC, so the composition wrappers
(``DelegatingConfig``, ``MergedConfig``) take local and remote plugins alike.
Values stay JSON bytes, as in the store interface.
"""

from __future__ import annotations

import builtins
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from zhi_gui.core.errors import Unsupported
from zhi_gui.core.model import Entry


class Severity(enum.IntEnum):
    """zhi's validation severities (config.proto: 0 info, 1 warning, 2 blocking)."""

    INFO = 0
    WARNING = 1
    BLOCKING = 2


@dataclass(frozen=True, slots=True)
class ConfigValue:
    """Get's answer: ``found`` False means the plugin does not know the path."""

    found: bool
    value_json: bytes = b""
    metadata_json: bytes = b""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    severity: Severity
    message: str
    metadata_json: bytes = b""


def _unsupported(feature: str) -> Unsupported:
    return Unsupported(f"{feature} is not supported by this config plugin", {"feature": feature})


class ConfigPlugin:
    """Base class: override what the plugin offers. Validate defaults to "no
    findings"; the other calls answer ``Unsupported`` (UNIMPLEMENTED on the wire)."""

    async def list(self) -> list[str]:
        raise _unsupported("list")

    async def get(self, path: str) -> ConfigValue:
        raise _unsupported("get")

    async def set(self, path: str, value_json: bytes, metadata_json: bytes = b"") -> None:
        raise _unsupported("set")

    async def validate(self, path: str, tree: Sequence[Entry]) -> builtins.list[ValidationResult]:
        """Findings for ``path``; ``tree`` is the whole configuration tree (read only)."""
        return []

    async def close(self) -> None:
        """Release resources; called once when the plugin or client shuts down."""
