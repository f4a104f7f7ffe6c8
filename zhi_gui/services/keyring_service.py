"""Remembered passphrases in the OS keyring, behind a small interface (Vorta style).

:class:`PassphraseVault` is all the GUI sees: ``available()``, ``get``,
``set`` and ``delete`` by *identity key* (``StoreIdentity.key()``), one
entry per store under the service name ``zhi-gui``.

:class:`SystemKeyring` implements it with the ``keyring`` library and refuses
every backend that is not a real secret store: keyring's ``fail`` and ``null``
backends, anything from ``keyrings.alt`` (plain-text and "encrypted" files,
registry, ...), any other file or plain-text backend, and anything keyring
itself does not recommend (priority below 1). When keyring hands back its
chainer (several backends at once), only its secure members are used. So a
passphrase is stored in a secret service or not at all -- never in plain text.

Failures are typed so the GUI can tell them apart from a wrong passphrase
(``zhi_gui.core.errors.WrongPassphrase``, which comes from the store):

* :class:`KeyringUnavailable` -- no secure backend (``NoKeyringError``, a
  refused backend, no D-Bus session, no Secret Service daemon);
* :class:`KeyringLocked` -- the keyring is locked and was not unlocked
  (``KeyringLocked``, or ``InitError``/secretstorage "Prompt dismissed");
* :class:`VaultError` -- any other failure of the keyring (their base class).

**Calls block** (D-Bus round trips; an unlock prompt can wait for the user),
so code on the UI thread must not call ``get``/``set``/``delete``/``available``
directly: run them in an executor, or ``await`` the ``aget``/``aset``/
``adelete``/``aavailable`` wrappers, which use ``asyncio.to_thread``.

Secrets are never logged, never put in exception messages and never kept by
:class:`SystemKeyring` itself.
"""

from __future__ import annotations

import abc
import asyncio
import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zhi_gui.core.errors import ZhiError

# keyring is imported on first use, not with this module: importing it costs
# about 80 ms, which the application's start-up does not need to pay.

__all__ = [
    "SERVICE_NAME",
    "Availability",
    "AvailabilityStatus",
    "InMemoryVault",
    "KeyringLocked",
    "KeyringUnavailable",
    "PassphraseVault",
    "SystemKeyring",
    "VaultError",
    "backend_name",
    "backend_refusal",
]

log = logging.getLogger("zhi_gui.services.keyring")

SERVICE_NAME = "zhi-gui"
PROBE_ENTRY = "zhi-gui-availability-probe"
MAX_KEY_LENGTH = 256


class VaultError(ZhiError):
    """The keyring failed (base of the keyring errors; never a wrong passphrase)."""


class KeyringUnavailable(VaultError):
    """No secure keyring backend: passphrases cannot be remembered (and are not stored elsewhere)."""


class KeyringLocked(VaultError):
    """The keyring is locked and was not unlocked (prompt dismissed or impossible)."""


class AvailabilityStatus(enum.Enum):
    OK = "ok"
    NO_BACKEND = "no_backend"
    LOCKED = "locked"


@dataclass(frozen=True)
class Availability:
    """What ``available()`` found, with a sentence for the user."""

    status: AvailabilityStatus
    message: str
    backend: str = ""

    @property
    def ok(self) -> bool:
        return self.status is AvailabilityStatus.OK


def _no_backend_message(reason: str) -> str:
    return (
        f"No secure keyring is available ({reason}). Passphrases cannot be remembered: zhi-gui will ask for"
        " them when needed and never stores them in plain text."
    )


LOCKED_MESSAGE = (
    "The system keyring is locked (its unlock prompt was dismissed or could not be shown). Unlock it, for"
    " example in your desktop's password manager, and try again; or type the passphrase."
)


def _check_key(identity_key: str) -> None:
    if not isinstance(identity_key, str) or not identity_key:
        raise ValueError("a keyring entry needs a non-empty identity key")
    if len(identity_key) > MAX_KEY_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in identity_key):
        raise ValueError("an identity key must be at most 256 printable characters")


def _check_secret(secret: str) -> None:
    if not isinstance(secret, str) or not secret:
        raise ValueError("refusing to store an empty passphrase")


class PassphraseVault(abc.ABC):
    """Where remembered passphrases live. All methods block; see the ``a*`` wrappers."""

    service: str = SERVICE_NAME

    @abc.abstractmethod
    def available(self) -> Availability:
        """Whether passphrases can be remembered now; never raises for keyring failures."""

    @abc.abstractmethod
    def get(self, identity_key: str) -> str | None:
        """The remembered secret, or None. Raises KeyringUnavailable / KeyringLocked / VaultError."""

    @abc.abstractmethod
    def set(self, identity_key: str, secret: str) -> None:
        """Remember (or replace) a secret. Raises KeyringUnavailable / KeyringLocked / VaultError."""

    @abc.abstractmethod
    def delete(self, identity_key: str) -> bool:
        """Forget a secret; True if there was one. Raises like ``set``."""

    async def aavailable(self) -> Availability:
        return await asyncio.to_thread(self.available)

    async def aget(self, identity_key: str) -> str | None:
        return await asyncio.to_thread(self.get, identity_key)

    async def aset(self, identity_key: str, secret: str) -> None:
        await asyncio.to_thread(self.set, identity_key, secret)

    async def adelete(self, identity_key: str) -> bool:
        return await asyncio.to_thread(self.delete, identity_key)


# --------------------------------------------------------------------------- backend policy

_REFUSED_MODULES = {
    "keyring.backends.fail": "keyring found no backend",
    "keyring.backends.null": "keyring's null backend stores nothing",
    "keyrings.alt": "keyrings.alt backends keep secrets in files or other weak stores",
}


def backend_name(backend: Any) -> str:
    if backend is None:
        return ""
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def backend_refusal(backend: Any) -> str | None:
    """Why ``backend`` must not hold passphrases; None if it is a real secret store.

    Refused: keyring's fail and null backends, every ``keyrings.alt`` backend,
    any backend whose module or class says it is plain text or file based,
    and any backend keyring does not recommend (priority < 1, or not viable).
    A chainer is judged by :func:`_secure_member` instead.
    """
    if backend is None:
        return "no backend"
    cls = type(backend)
    module = cls.__module__ or ""
    for prefix, reason in _REFUSED_MODULES.items():
        if module == prefix or module.startswith(prefix + "."):
            return f"{reason}: {backend_name(backend)}"
    words = f"{module}.{cls.__name__}".lower()
    if "plaintext" in words or "plain_text" in words:
        return f"{backend_name(backend)} stores secrets in plain text"
    if any(part == "file" or part.endswith("file") for part in module.lower().split(".")) or "file" in (
        cls.__name__.lower()
    ):
        return f"{backend_name(backend)} keeps secrets in a file"
    try:
        priority = float(backend.priority)
    except Exception as exc:  # keyring's priority raises when a backend is not viable
        return f"{backend_name(backend)} is not usable here ({exc})"
    if priority < 1:
        return f"keyring does not recommend {backend_name(backend)} (priority {priority:g})"
    return None


def _chain_members(backend: Any) -> list[Any] | None:
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        return list(backend.backends)
    return None


def _choose(backend: Any) -> tuple[Any | None, str]:
    """The backend to use (or None) and, when None, why not."""
    members = _chain_members(backend)
    if members is None:
        refusal = backend_refusal(backend)
        return (None, refusal) if refusal else (backend, "")
    reasons = []
    for member in members:  # already sorted by priority, highest first
        refusal = backend_refusal(member)
        if refusal is None:
            return member, ""
        reasons.append(refusal)
    return None, "; ".join(reasons) or "keyring found no backend"


# --------------------------------------------------------------------------- the real keyring


class SystemKeyring(PassphraseVault):
    """The OS keyring through the ``keyring`` library, secure backends only.

    ``backend`` is for tests and special set-ups; by default keyring's own
    choice (``keyring.get_keyring()``, which honours ``PYTHON_KEYRING_BACKEND``
    and keyringrc.cfg) is taken, lazily on the first call (which may block on
    D-Bus), and checked against the policy of :func:`backend_refusal`.
    """

    def __init__(self, backend: Any = None, *, service: str = SERVICE_NAME) -> None:
        self.service = service
        self._given = backend
        self._backend: Any = None
        self._refused = ""  # name of the backend last refused, for available()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"SystemKeyring(service={self.service!r})"

    def _resolve(self) -> Any:
        with self._lock:
            if self._backend is not None:
                return self._backend
            candidate = self._given
            if candidate is None:
                try:
                    import keyring

                    candidate = keyring.get_keyring()
                except Exception as exc:
                    raise KeyringUnavailable(
                        _no_backend_message(f"keyring could not load a backend: {type(exc).__name__}: {exc}")
                    ) from exc
            chosen, reason = _choose(candidate)
            self._refused = "" if chosen is not None else backend_name(candidate)
            if chosen is None:
                log.info("keyring backend refused: %s", reason)
                raise KeyringUnavailable(_no_backend_message(reason))
            log.debug("keyring backend: %s", backend_name(chosen))
            self._backend = chosen
            return chosen

    def backend(self) -> Any:
        """The backend in use (resolving it if needed); raises KeyringUnavailable."""
        return self._resolve()

    def available(self) -> Availability:
        """Resolve the backend and read a probe entry (which may show the desktop's unlock prompt)."""
        try:
            backend = self._resolve()
        except KeyringUnavailable as exc:
            return Availability(AvailabilityStatus.NO_BACKEND, str(exc), self._refused)
        name = backend_name(backend)
        try:
            self._call("read", lambda: backend.get_password(self.service, PROBE_ENTRY))
        except KeyringLocked:
            return Availability(AvailabilityStatus.LOCKED, LOCKED_MESSAGE, name)
        except KeyringUnavailable as exc:
            return Availability(AvailabilityStatus.NO_BACKEND, str(exc), name)
        except VaultError as exc:
            return Availability(AvailabilityStatus.NO_BACKEND, _no_backend_message(str(exc)), name)
        return Availability(AvailabilityStatus.OK, f"Passphrases can be remembered in the system keyring ({name}).",
                            name)

    def get(self, identity_key: str) -> str | None:
        _check_key(identity_key)
        backend = self._resolve()
        value = self._call("read", lambda: backend.get_password(self.service, identity_key))
        log.debug("keyring read for %s: %s", identity_key, "found" if value is not None else "none")
        if value is not None and not isinstance(value, str):
            raise VaultError(f"the keyring returned a {type(value).__name__} instead of text")
        return value

    def set(self, identity_key: str, secret: str) -> None:
        _check_key(identity_key)
        _check_secret(secret)
        backend = self._resolve()
        self._call("store", lambda: backend.set_password(self.service, identity_key, secret), secret=secret)
        log.debug("keyring entry stored for %s", identity_key)

    def delete(self, identity_key: str) -> bool:
        _check_key(identity_key)
        backend = self._resolve()

        from keyring import errors as keyring_errors

        def delete_entry() -> bool:
            try:
                backend.delete_password(self.service, identity_key)
            except keyring_errors.PasswordDeleteError:
                # Backends raise this for a missing entry ("No such password!",
                # "Item not found", ...) and for real failures: look again.
                if backend.get_password(self.service, identity_key) is None:
                    return False
                raise
            return True

        existed: bool = self._call("delete", delete_entry)
        log.debug("keyring entry for %s %s", identity_key, "deleted" if existed else "was not there")
        return existed

    def _call(self, what: str, fn: Callable[[], Any], *, secret: str = "") -> Any:
        """Run a backend call; turn failures into our errors, with the secret scrubbed from messages.

        Our error is raised *outside* the ``except`` block so that it carries
        no ``__context__``: the backend's traceback frames hold the secret as
        a local, and nothing (crash reporters included) should reach them.
        """
        try:
            return fn()
        except Exception as exc:
            mapped = _map_error(exc, what, secret)
            log.debug("keyring %s failed: %s", what, mapped)
        raise mapped


def _map_error(exc: Exception, what: str, secret: str) -> VaultError:
    from keyring import errors as keyring_errors

    ss_exceptions: Any
    try:  # keyring's Secret Service dependency, Linux only
        from secretstorage import exceptions as ss_exceptions
    except ImportError:  # pragma: no cover - other platforms
        ss_exceptions = None
    text = _scrub(str(exc), secret)
    if isinstance(exc, keyring_errors.NoKeyringError):
        return KeyringUnavailable(_no_backend_message(text))
    if isinstance(exc, keyring_errors.KeyringLocked):
        return KeyringLocked(f"{LOCKED_MESSAGE} ({text})")
    if isinstance(exc, keyring_errors.InitError):
        # secretstorage's PromptDismissedException surfaces as InitError("... Prompt dismissed.")
        if "prompt dismissed" in text.lower() or "locked" in text.lower():
            return KeyringLocked(f"{LOCKED_MESSAGE} ({text})")
        return KeyringUnavailable(_no_backend_message(text))
    if isinstance(exc, keyring_errors.KeyringError):
        return VaultError(f"the keyring could not {what} the entry: {text}")
    # Exceptions from below keyring (secretstorage, jeepney, D-Bus sockets).
    text = _scrub(f"{type(exc).__name__}: {exc}", secret)
    if ss_exceptions is not None:
        if isinstance(exc, (ss_exceptions.PromptDismissedException, ss_exceptions.LockedException)):
            return KeyringLocked(f"{LOCKED_MESSAGE} ({text})")
        if isinstance(exc, ss_exceptions.SecretServiceNotAvailableException):
            return KeyringUnavailable(_no_backend_message(text))
    if isinstance(exc, (ConnectionError, EOFError, OSError)):
        return KeyringUnavailable(_no_backend_message(f"the keyring service cannot be reached: {text}"))
    return VaultError(f"the keyring could not {what} the entry: {text}")


def _scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text


# --------------------------------------------------------------------------- tests and fallbacks


class InMemoryVault(PassphraseVault):
    """A vault in this process's memory, for unit tests (and nothing else).

    ``status`` simulates the system's state: ``NO_BACKEND`` makes every call
    raise :class:`KeyringUnavailable`, ``LOCKED`` raises :class:`KeyringLocked`.
    """

    def __init__(self, status: AvailabilityStatus = AvailabilityStatus.OK, *, service: str = SERVICE_NAME) -> None:
        self.service = service
        self.status = status
        self._entries: dict[str, str] = {}
        self._lock = threading.Lock()
        self.calls: list[tuple[str, str]] = []  # (operation, identity key): never the secret

    def __repr__(self) -> str:
        return f"InMemoryVault(status={self.status.value}, entries={len(self._entries)})"

    def _gate(self, operation: str, identity_key: str) -> None:
        self.calls.append((operation, identity_key))
        if self.status is AvailabilityStatus.NO_BACKEND:
            raise KeyringUnavailable(_no_backend_message("in-memory vault set to no_backend"))
        if self.status is AvailabilityStatus.LOCKED:
            raise KeyringLocked(LOCKED_MESSAGE)

    def available(self) -> Availability:
        if self.status is AvailabilityStatus.NO_BACKEND:
            return Availability(self.status, _no_backend_message("in-memory vault set to no_backend"), "memory")
        if self.status is AvailabilityStatus.LOCKED:
            return Availability(self.status, LOCKED_MESSAGE, "memory")
        return Availability(self.status, "Passphrases are remembered in memory (tests).", "memory")

    def get(self, identity_key: str) -> str | None:
        _check_key(identity_key)
        with self._lock:
            self._gate("get", identity_key)
            return self._entries.get(identity_key)

    def set(self, identity_key: str, secret: str) -> None:
        _check_key(identity_key)
        _check_secret(secret)
        with self._lock:
            self._gate("set", identity_key)
            self._entries[identity_key] = secret

    def delete(self, identity_key: str) -> bool:
        _check_key(identity_key)
        with self._lock:
            self._gate("delete", identity_key)
            return self._entries.pop(identity_key, None) is not None

    def keys(self) -> list[str]:
        with self._lock:
            return sorted(self._entries)
