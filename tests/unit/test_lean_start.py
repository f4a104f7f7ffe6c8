"""A plugin's lean start (zhi_gui.plugin.lean_start), in fresh interpreters: the
start-up goes without ssl and the collector, and both are back once it ends."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> str:
    done = subprocess.run([sys.executable, "-P", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_server_loads_without_ssl_and_ssl_is_there_after_the_handshake() -> None:
    out = run(
        "import gc, sys\n"
        "from zhi_gui.plugin import lean_start\n"
        "lean_start.begin()\n"
        "import asyncio, grpc, zhi_gui.plugin.server\n"
        "print(gc.isenabled(), sys.modules['ssl'])\n"
        "lean_start.end()\n"
        "import ssl\n"
        "print(gc.isenabled(), type(ssl.OPENSSL_VERSION).__name__, asyncio.run(asyncio.sleep(0, 'loop runs')))\n"
    )
    assert out.splitlines() == ["False None", "True str loop runs"]


def test_end_leaves_a_process_that_did_not_start_lean_as_it_was() -> None:
    out = run(
        "import gc, ssl, sys\n"
        "from zhi_gui.plugin import lean_start\n"
        "lean_start.end()\n"
        "print(gc.isenabled(), sys.modules['ssl'] is ssl)\n"
    )
    assert out == "True True"
