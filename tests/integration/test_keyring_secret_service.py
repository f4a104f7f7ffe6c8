"""SystemKeyring against a real Secret Service: gnome-keyring-daemon inside its own D-Bus session.

The test command must install (about 80 Debian packages, so only in the test
command, not in the plain run command)::

    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends gnome-keyring dbus-x11

(``dbus-run-session`` is in Debian's ``dbus-daemon``, which dbus-x11 depends on;
``gnome-keyring-daemon`` is in ``gnome-keyring``.)

Each case runs a small Python script in a subprocess with its own HOME and
XDG directories (the keyring files are created there, never in the real home)
and no DISPLAY (so gnome-keyring's unlock prompt cannot appear and is
dismissed at once):

* unlocked: ``dbus-run-session -- sh -c 'printf PASS | gnome-keyring-daemon --unlock
  --components=secrets; python script'`` -> available, set / get / delete work, nothing logged contains the secret;
* a fresh home and no unlock -> keyring cannot create its collection ("Prompt
  dismissed") -> :class:`KeyringLocked`;
* an existing (locked) login keyring and no unlock -> :class:`KeyringLocked`;
* no D-Bus session at all -> keyring's fail backend -> :class:`KeyringUnavailable`.

The cases skip, saying why, when ``dbus-run-session`` or
``gnome-keyring-daemon`` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEYRING_PASSWORD = "integration-keyring-login"

SCRIPT = r'''
import asyncio, io, json, logging, secrets, sys, time

log_buffer = io.StringIO()
handler = logging.StreamHandler(log_buffer)
handler.setLevel(logging.DEBUG)
logging.getLogger().addHandler(handler)
logging.getLogger().setLevel(logging.DEBUG)

from zhi_gui.services.keyring_service import SystemKeyring, VaultError

secret = "zhi-it-" + secrets.token_urlsafe(16)
key = "0123456789abcdef" * 4
vault = SystemKeyring()
out = {}
availability = vault.available()
out["available"] = availability.status.value
out["backend"] = availability.backend
out["message"] = availability.message


def attempt(name, fn):
    start = time.perf_counter()
    try:
        out[name] = fn()
    except VaultError as exc:
        out[name] = "error:" + type(exc).__name__
        out[name + "_message"] = str(exc)
    out[name + "_ms"] = round((time.perf_counter() - start) * 1000, 1)


attempt("set", lambda: vault.set(key, secret))
attempt("get", lambda: vault.get(key) == secret)
attempt("aget", lambda: asyncio.run(vault.aget(key)) == secret)
attempt("set_again", lambda: vault.set(key, secret + "-2"))
attempt("get_again", lambda: vault.get(key) == secret + "-2")
attempt("delete", lambda: vault.delete(key))
attempt("get_after_delete", lambda: vault.get(key))
attempt("delete_again", lambda: vault.delete(key))
out["secret_logged"] = secret in log_buffer.getvalue()
out["log_lines"] = len(log_buffer.getvalue().splitlines())
print("RESULT " + json.dumps(out))
'''


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(
            f"{tool} not found: install gnome-keyring and dbus-x11 (see this module's docstring) to run the"
            " Secret Service tests"
        )
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    for d in (home, runtime):
        d.mkdir(mode=0o700)
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR"}
    result = {k: v for k, v in os.environ.items() if k in keep}
    result.update(
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_RUNTIME_DIR=str(runtime),
        PYTHONPATH=str(ROOT),
        KEYRING_LOGIN=KEYRING_PASSWORD,
    )
    return result


def _run(tmp_path: Path, env: dict[str, str], shell: str | None) -> dict[str, Any]:
    script = tmp_path / "vault_probe.py"
    script.write_text(textwrap.dedent(SCRIPT))
    python = f'"{sys.executable}" "{script}"'
    if shell is None:
        argv = [sys.executable, str(script)]
    else:
        argv = [_need("dbus-run-session"), "--", "sh", "-c", shell.replace("PYTHON", python)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=90, cwd=tmp_path)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    result: dict[str, Any] = json.loads(lines[-1][len("RESULT "):])
    return result


UNLOCKED = 'printf %s "$KEYRING_LOGIN" | gnome-keyring-daemon --unlock --components=secrets >/dev/null && exec PYTHON'
NOT_UNLOCKED = "gnome-keyring-daemon --start --components=secrets >/dev/null && exec PYTHON"


def test_round_trip_against_gnome_keyring(tmp_path: Path, env: dict[str, str]) -> None:
    _need("gnome-keyring-daemon")
    r = _run(tmp_path, env, UNLOCKED)
    assert r["available"] == "ok", r
    assert r["backend"] == "keyring.backends.SecretService.Keyring"
    assert r["set"] is None
    assert r["get"] is True
    assert r["aget"] is True
    assert r["get_again"] is True
    assert r["delete"] is True
    assert r["get_after_delete"] is None
    assert r["delete_again"] is False
    assert r["secret_logged"] is False
    assert r["log_lines"] > 0  # the vault did log (at DEBUG), just never the secret
    # The keyring lives in the test's own home, not the real one.
    assert (Path(env["XDG_DATA_HOME"]) / "keyrings").is_dir()
    print(f"Secret Service timings (ms): set {r['set_ms']}, get {r['get_ms']}, delete {r['delete_ms']}")


def test_fresh_keyring_without_unlock_is_locked(tmp_path: Path, env: dict[str, str]) -> None:
    # No login keyring yet and no way to prompt: creating the collection is
    # "dismissed" (keyring raises InitError), which must read as locked.
    _need("gnome-keyring-daemon")
    r = _run(tmp_path, env, NOT_UNLOCKED)
    assert r["available"] == "locked", r
    for op in ("set", "get", "delete"):
        assert r[op] == "error:KeyringLocked", (op, r)
    assert "Prompt dismissed" in r["set_message"]  # keyring's InitError path
    assert r["secret_logged"] is False


def test_existing_keyring_without_unlock_is_locked(tmp_path: Path, env: dict[str, str]) -> None:
    # First create and fill the login keyring (unlocked), then start again without unlocking it.
    _need("gnome-keyring-daemon")
    first = _run(tmp_path, env, UNLOCKED)
    assert first["available"] == "ok", first
    r = _run(tmp_path, env, NOT_UNLOCKED)
    assert r["available"] == "locked", r
    for op in ("set", "get", "delete"):
        assert r[op] == "error:KeyringLocked", (op, r)
    assert "Failed to unlock" in r["set_message"]  # keyring's KeyringLocked path
    assert r["secret_logged"] is False


def test_no_dbus_session_is_unavailable(tmp_path: Path, env: dict[str, str]) -> None:
    assert "DBUS_SESSION_BUS_ADDRESS" not in env
    r = _run(tmp_path, env, None)
    assert r["available"] == "no_backend", r
    assert r["backend"] == "keyring.backends.fail.Keyring"
    assert "never stores them in plain text" in r["message"]
    for op in ("set", "get", "delete"):
        assert r[op] == "error:KeyringUnavailable", (op, r)
    assert r["secret_logged"] is False
