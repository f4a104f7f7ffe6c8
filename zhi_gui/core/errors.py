"""One error taxonomy for stores, shared by plugins (which raise these) and hosts
(which get them back from the wire, see zhi_gui.plugin.wire_errors).

The classes mirror zhi's typed store errors (zhi-protocol.md 2.3) plus the
failures a host sees around a plugin process (launch, crash, timeout).
"""

from __future__ import annotations


class ZhiError(Exception):
    """Base of every error this project raises on purpose."""


class StoreError(ZhiError):
    """A store operation failed. ``details`` carries zhi's ErrorInfo metadata."""

    def __init__(self, message: str, details: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, str] = dict(details or {})


class CASConflict(StoreError):
    """The expected version did not match: the write was refused as a whole."""

    @property
    def path(self) -> str:
        return self.details.get("path", "")

    @property
    def expected(self) -> str:
        return self.details.get("expected", "")

    @property
    def actual(self) -> str:
        return self.details.get("actual", "")


class AuthRequired(StoreError):
    """The store needs a Login first (or the credentials were refused)."""


class AccessDenied(StoreError):
    """The logged-in user may not do this to this path."""


class NotFound(StoreError):
    """A tree, path or version that does not exist."""


class EncryptionNotInitialised(StoreError):
    """An encryption operation on a store whose encryption is not set up."""


class Unsupported(StoreError):
    """The store does not offer this feature (``details['feature']``)."""


class StoreLocked(StoreError):
    """The store is encrypted and has not been unlocked with its passphrase."""


class WrongPassphrase(StoreError):
    """A passphrase failed authentication. Nothing was changed."""


class InvalidArgument(StoreError):
    """A bad path, tree id, JSON value or option, caught by the store."""


class StoreCorrupt(StoreError):
    """The store's data is damaged or from a newer format; it was not touched."""


class DataLoss(StoreCorrupt):
    """Some rows of an otherwise readable store are damaged: ``details`` names
    them (``paths``, ``versions``: comma-separated, ``tree_id``); the rest of
    the store can still be read."""

    @property
    def paths(self) -> list[str]:
        return [p for p in self.details.get("paths", "").split(",") if p]

    @property
    def versions(self) -> list[str]:
        return [v for v in self.details.get("versions", "").split(",") if v]


class StoreMissing(NotFound):
    """The store's location does not exist and the options did not ask to
    create it (sqlite: ``create: true``). Nothing was created."""


class BackendUnavailable(StoreError):
    """The server behind the store (an etcd cluster, say) does not answer; the plugin
    itself runs. Nothing was changed; the call may succeed once the server is back."""


class PluginError(ZhiError):
    """The plugin process or the connection to it failed (not a store answer)."""


class LaunchError(PluginError):
    """A plugin could not be started: bad handshake, timeout, early exit, audit."""

    def __init__(self, message: str, *, stderr_tail: str = "", exit_status: int | None = None):
        full = message
        if exit_status is not None:
            full += f" (exit status {exit_status})"
        if stderr_tail.strip():
            full += f"\n--- plugin stderr ---\n{stderr_tail.rstrip()}"
        super().__init__(full)
        self.stderr_tail = stderr_tail
        self.exit_status = exit_status


class AuditError(LaunchError):
    """The binary's SHA-256 differs from the recorded digest, or its path is unsafe."""


class PluginUnavailable(PluginError):
    """The plugin process is gone or does not answer."""


class PluginTimeout(PluginError):
    """A call exceeded its deadline."""


class ManifestError(ZhiError):
    """A zhi-plugin.yaml or zhi.yaml that cannot be used, with the reason."""
