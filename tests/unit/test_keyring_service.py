"""The passphrase vault: backend policy (no plaintext, ever), error mapping, logging, async wrappers.

The fake backends here are duck-typed on purpose: subclassing keyring's
KeyringBackend would register them with keyring for the whole test process.
The end-to-end refusals of real keyring configurations run in subprocesses.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest
import secretstorage.exceptions as ss_exceptions
from keyring import errors as kerr

from zhi_gui.core.errors import StoreError, WrongPassphrase, ZhiError
from zhi_gui.services.keyring_service import (
    SERVICE_NAME,
    Availability,
    AvailabilityStatus,
    InMemoryVault,
    KeyringLocked,
    KeyringUnavailable,
    PassphraseVault,
    SystemKeyring,
    VaultError,
    backend_refusal,
)

SECRET = "Tr0ub4dor&3-correct-horse-battery"
KEY = "a" * 64


class FakeSecretService:
    """Behaves like a secure backend (priority 5), keeps entries in a dict."""

    priority = 5

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.fail_with: BaseException | None = None
        self.threads: list[int] = []

    def _maybe_fail(self) -> None:
        self.threads.append(threading.get_ident())
        if self.fail_with is not None:
            raise self.fail_with

    def get_password(self, service: str, username: str) -> str | None:
        self._maybe_fail()
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_fail()
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._maybe_fail()
        if self.entries.pop((service, username), None) is None:
            raise kerr.PasswordDeleteError("No such password!")


def make_plaintext_backend(module: str, name: str, priority: float, target: Path) -> Any:
    """A backend that would write secrets into ``target`` in plain text."""

    def set_password(self: Any, service: str, username: str, password: str) -> None:
        target.write_text(f"{service} {username} {password}")

    def get_password(self: Any, service: str, username: str) -> str | None:
        return target.read_text().split()[-1] if target.exists() else None

    cls = type(name, (), {"priority": priority, "set_password": set_password, "get_password": get_password,
                          "delete_password": lambda self, s, u: target.unlink()})
    cls.__module__ = module
    return cls()


# ------------------------------------------------------------------ backend policy


@pytest.mark.parametrize(
    ("module", "name", "priority"),
    [
        ("keyrings.alt.file", "PlaintextKeyring", 0.5),
        ("keyrings.alt.file", "EncryptedKeyring", 0.6),
        ("keyrings.alt.file", "PlaintextKeyring", 99),  # even when it claims a high priority
        ("keyrings.alt.Gnome", "Keyring", 5),  # every keyrings.alt backend
        ("keyrings.cryptfile.cryptfile", "CryptFileKeyring", 2),  # file based, whatever the package
        ("some.vendor", "PlainTextKeyring", 3),
        ("some.vendor", "JsonFileKeyring", 3),
        ("some.vendor", "WeakKeyring", 0.9),  # keyring itself does not recommend priority < 1
    ],
)
def test_plaintext_and_file_backends_are_refused(tmp_path: Path, module: str, name: str, priority: float) -> None:
    target = tmp_path / "secrets.txt"
    backend = make_plaintext_backend(module, name, priority, target)
    assert backend_refusal(backend) is not None
    vault = SystemKeyring(backend)
    availability = vault.available()
    assert availability.status is AvailabilityStatus.NO_BACKEND
    assert "never stores them in plain text" in availability.message
    with pytest.raises(KeyringUnavailable):
        vault.set(KEY, SECRET)
    with pytest.raises(KeyringUnavailable):
        vault.get(KEY)
    with pytest.raises(KeyringUnavailable):
        vault.delete(KEY)
    assert not target.exists()  # nothing was written anywhere


def test_keyring_fail_and_null_backends_are_refused() -> None:
    for backend in (keyring.backends.fail.Keyring(), keyring.backends.null.Keyring()):  # type: ignore[no-untyped-call]
        assert backend_refusal(backend)
        vault = SystemKeyring(backend)
        assert vault.available().status is AvailabilityStatus.NO_BACKEND
        with pytest.raises(KeyringUnavailable):
            vault.set(KEY, SECRET)


def test_backend_whose_priority_raises_is_refused() -> None:
    class NotViable:
        @property
        def priority(self) -> float:
            raise RuntimeError("The Secret Service daemon is neither running nor activatable through D-Bus")

    assert "not usable" in (backend_refusal(NotViable()) or "")


def test_secure_backend_is_accepted() -> None:
    assert backend_refusal(FakeSecretService()) is None


def test_default_backend_comes_from_keyring_and_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    target = tmp_path / "plain.txt"
    monkeypatch.setattr(keyring, "get_keyring", lambda: make_plaintext_backend("keyrings.alt.file",
                                                                                 "PlaintextKeyring", 0.5, target))
    vault = SystemKeyring()
    availability = vault.available()
    assert availability.status is AvailabilityStatus.NO_BACKEND
    assert availability.backend == "keyrings.alt.file.PlaintextKeyring"
    with pytest.raises(KeyringUnavailable, match=r"keyrings\.alt"):
        vault.set(KEY, SECRET)
    assert not target.exists()

    secure = FakeSecretService()
    monkeypatch.setattr(keyring, "get_keyring", lambda: secure)
    vault = SystemKeyring()
    vault.set(KEY, SECRET)
    assert secure.entries == {(SERVICE_NAME, KEY): SECRET}


def test_keyring_that_cannot_load_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Any:
        raise ImportError("No module named 'keyrings.missing'")

    monkeypatch.setattr(keyring, "get_keyring", broken)
    vault = SystemKeyring()
    assert vault.available().status is AvailabilityStatus.NO_BACKEND
    with pytest.raises(KeyringUnavailable, match="could not load"):
        vault.get(KEY)


# End to end with keyring's own loader, in a fresh interpreter: a plaintext
# backend configured through PYTHON_KEYRING_BACKEND, and keyring's chainer
# holding a plaintext backend next to a secure one.
FAKE_MODULES = {
    "keyrings/alt/__init__.py": "",
    "keyrings/alt/file.py": """
        import os
        from keyring.backend import KeyringBackend

        class PlaintextKeyring(KeyringBackend):
            priority = 0.5
            path = os.environ["PLAINTEXT_FILE"]

            def set_password(self, service, username, password):
                with open(self.path, "a") as f:
                    f.write(f"{service} {username} {password}\\n")

            def get_password(self, service, username):
                return None

            def delete_password(self, service, username):
                pass
    """,
    "fakesecure.py": """
        from keyring.backend import KeyringBackend

        STORE = {}

        class SecureKeyring(KeyringBackend):
            priority = 3

            def set_password(self, service, username, password):
                STORE[(service, username)] = password

            def get_password(self, service, username):
                return STORE.get((service, username))

            def delete_password(self, service, username):
                STORE.pop((service, username))
    """,
}

SCRIPT = """
    import os, sys
    import keyrings.alt.file
    if os.environ.get("WITH_SECURE"):
        import fakesecure
    from zhi_gui.services.keyring_service import SystemKeyring, KeyringUnavailable
    import keyring
    vault = SystemKeyring()
    print("keyring chose", type(keyring.get_keyring()).__module__)
    try:
        vault.set("k", os.environ["SECRET"])
        print("stored in", type(vault.backend()).__module__, vault.get("k") == os.environ["SECRET"])
    except KeyringUnavailable as exc:
        print("refused:", exc)
"""


def run_isolated(tmp_path: Path, backend: str, with_secure: bool) -> tuple[str, Path]:
    for rel, text in FAKE_MODULES.items():
        path = tmp_path / "mods" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    plaintext = tmp_path / "plaintext.txt"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DBUS_", "PYTHON_KEYRING"))}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tmp_path / "mods"), str(Path(__file__).resolve().parents[2])]),
        PYTHON_KEYRING_BACKEND=backend,
        PLAINTEXT_FILE=str(plaintext),
        SECRET=SECRET,
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
    )
    if with_secure:
        env["WITH_SECURE"] = "1"
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout, plaintext


def test_configured_plaintext_backend_is_refused_end_to_end(tmp_path: Path) -> None:
    out, plaintext = run_isolated(tmp_path, "keyrings.alt.file.PlaintextKeyring", with_secure=False)
    assert "keyring chose keyrings.alt.file" in out
    assert "refused:" in out
    assert not plaintext.exists()
    assert SECRET not in out


def test_chainer_uses_only_its_secure_member(tmp_path: Path) -> None:
    out, plaintext = run_isolated(tmp_path, "keyring.backends.chainer.ChainerBackend", with_secure=True)
    assert "keyring chose keyring.backends.chainer" in out
    assert "stored in fakesecure True" in out
    assert not plaintext.exists()


def test_chainer_with_only_plaintext_members_is_refused(tmp_path: Path) -> None:
    out, plaintext = run_isolated(tmp_path, "keyring.backends.chainer.ChainerBackend", with_secure=False)
    assert "refused:" in out
    assert not plaintext.exists()


# ------------------------------------------------------------------ operations and error mapping


def test_set_get_delete_round_trip() -> None:
    backend = FakeSecretService()
    vault = SystemKeyring(backend)
    assert vault.available() == Availability(
        AvailabilityStatus.OK, vault.available().message, f"{__name__}.FakeSecretService"
    )
    assert vault.available().ok
    assert vault.get(KEY) is None
    vault.set(KEY, SECRET)
    assert backend.entries == {(SERVICE_NAME, KEY): SECRET}
    assert vault.get(KEY) == SECRET
    vault.set(KEY, "replaced")
    assert vault.get(KEY) == "replaced"
    assert vault.delete(KEY) is True
    assert vault.delete(KEY) is False
    assert vault.get(KEY) is None


def test_custom_service_name() -> None:
    backend = FakeSecretService()
    SystemKeyring(backend, service="zhi-gui-tests").set(KEY, SECRET)
    assert (("zhi-gui-tests", KEY)) in backend.entries


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (kerr.NoKeyringError("No recommended backend was available."), KeyringUnavailable),
        (kerr.KeyringLocked("Failed to unlock the collection!"), KeyringLocked),
        (kerr.InitError("Failed to create the collection: Prompt dismissed.."), KeyringLocked),
        (kerr.InitError("Failed to create the collection: D-Bus went away."), KeyringUnavailable),
        (kerr.PasswordSetError("Failed to store password!"), VaultError),
        (ss_exceptions.PromptDismissedException("Prompt dismissed."), KeyringLocked),
        (ss_exceptions.LockedException("Item is locked!"), KeyringLocked),
        (ss_exceptions.SecretServiceNotAvailableException("no service"), KeyringUnavailable),
        (ConnectionRefusedError(111, "Connection refused"), KeyringUnavailable),
        (RuntimeError("surprise"), VaultError),
    ],
)
def test_keyring_errors_are_mapped(raised: BaseException, expected: type[VaultError]) -> None:
    backend = FakeSecretService()
    backend.fail_with = raised
    vault = SystemKeyring(backend)
    for call in (lambda: vault.get(KEY), lambda: vault.set(KEY, SECRET), lambda: vault.delete(KEY)):
        with pytest.raises(VaultError) as info:
            call()
        assert type(info.value) is expected
        assert isinstance(info.value, ZhiError)
        # Distinguishable from a wrong passphrase, which is a store's answer.
        assert not isinstance(info.value, (StoreError, WrongPassphrase))
        # No link back to the backend's frames (which hold the secret as a local).
        assert info.value.__context__ is None
        assert info.value.__cause__ is None
    status = vault.available().status
    if expected is KeyringLocked:
        assert status is AvailabilityStatus.LOCKED
    else:
        assert status is AvailabilityStatus.NO_BACKEND


def test_secret_is_scrubbed_from_backend_messages() -> None:
    backend = FakeSecretService()
    backend.fail_with = kerr.PasswordSetError(f"could not store {SECRET!r}")
    with pytest.raises(VaultError) as info:
        SystemKeyring(backend).set(KEY, SECRET)
    assert SECRET not in str(info.value)
    assert "***" in str(info.value)


def test_delete_failure_with_the_entry_still_there_is_an_error() -> None:
    class Stubborn(FakeSecretService):
        def delete_password(self, service: str, username: str) -> None:
            raise kerr.PasswordDeleteError("Error deleting password")

    backend = Stubborn()
    vault = SystemKeyring(backend)
    vault.set(KEY, SECRET)
    with pytest.raises(VaultError, match="Error deleting"):
        vault.delete(KEY)


@pytest.mark.parametrize("bad", ["", "x" * 257, "line\nbreak", "nul\0"])
def test_bad_identity_keys(bad: str) -> None:
    for vault in (SystemKeyring(FakeSecretService()), InMemoryVault()):
        with pytest.raises(ValueError):
            vault.get(bad)
        with pytest.raises(ValueError):
            vault.set(bad, SECRET)


def test_empty_secret_is_refused() -> None:
    for vault in (SystemKeyring(FakeSecretService()), InMemoryVault()):
        with pytest.raises(ValueError, match="empty"):
            vault.set(KEY, "")


# ------------------------------------------------------------------ secrets never logged


def test_passphrase_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    backend = FakeSecretService()
    vault = SystemKeyring(backend)
    memory = InMemoryVault()
    with caplog.at_level(logging.DEBUG):
        for v in (vault, memory):
            v.available()
            v.set(KEY, SECRET)
            assert v.get(KEY) == SECRET
            v.delete(KEY)
        backend.fail_with = kerr.PasswordSetError(f"backend echoes {SECRET}")
        with pytest.raises(VaultError):
            vault.set(KEY, SECRET)
        backend.fail_with = kerr.KeyringLocked("locked")
        with pytest.raises(KeyringLocked):
            vault.set(KEY, SECRET)
    assert caplog.records, "the vault logs its operations at DEBUG"
    assert any(KEY in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert SECRET not in record.getMessage()
        assert SECRET not in repr(record.args)
    assert SECRET not in caplog.text
    assert SECRET not in repr(vault) and SECRET not in repr(memory)


# ------------------------------------------------------------------ async wrappers


def test_async_wrappers_run_off_the_calling_thread() -> None:
    backend = FakeSecretService()
    vault = SystemKeyring(backend)

    async def scenario() -> tuple[Availability, str | None, bool]:
        availability = await vault.aavailable()
        await vault.aset(KEY, SECRET)
        got = await vault.aget(KEY)
        deleted = await vault.adelete(KEY)
        return availability, got, deleted

    availability, got, deleted = asyncio.run(scenario())
    assert availability.ok and got == SECRET and deleted
    assert backend.threads
    assert threading.get_ident() not in backend.threads


def test_async_wrappers_raise_typed_errors() -> None:
    vault = InMemoryVault(AvailabilityStatus.LOCKED)
    with pytest.raises(KeyringLocked):
        asyncio.run(vault.aget(KEY))


# ------------------------------------------------------------------ in-memory vault


def test_in_memory_vault() -> None:
    vault: PassphraseVault = InMemoryVault()
    assert vault.available().ok
    vault.set(KEY, SECRET)
    assert vault.get(KEY) == SECRET
    assert isinstance(vault, InMemoryVault) and vault.keys() == [KEY]
    assert vault.delete(KEY) is True
    assert vault.delete(KEY) is False
    assert vault.calls == [("set", KEY), ("get", KEY), ("delete", KEY), ("delete", KEY)]


@pytest.mark.parametrize(
    ("status", "error"),
    [(AvailabilityStatus.NO_BACKEND, KeyringUnavailable), (AvailabilityStatus.LOCKED, KeyringLocked)],
)
def test_in_memory_vault_simulates_failures(status: AvailabilityStatus, error: type[VaultError]) -> None:
    vault = InMemoryVault()
    vault.set(KEY, SECRET)
    vault.status = status
    assert vault.available().status is status
    assert vault.available().message
    with pytest.raises(error):
        vault.get(KEY)
    with pytest.raises(error):
        vault.set(KEY, SECRET)
    with pytest.raises(error):
        vault.delete(KEY)
    vault.status = AvailabilityStatus.OK
    assert vault.get(KEY) == SECRET
