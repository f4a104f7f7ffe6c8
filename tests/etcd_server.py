"""A real etcd for tests: Debian's ``etcd`` binary (package etcd-server), one
member on free loopback ports in a temp data dir."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

INSTALL_LINE = "apt-get install -y etcd-server"


def etcd_binary() -> str:
    path = shutil.which("etcd")
    if path is None:
        pytest.skip(f"etcd is not installed: {INSTALL_LINE} (test.sh installs it)")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class EtcdServer:
    data_dir: Path
    client_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def start(self, timeout: float = 30) -> None:
        client, peer = f"http://127.0.0.1:{self.client_port}", f"http://127.0.0.1:{self.peer_port}"
        log = (self.data_dir.parent / f"{self.data_dir.name}.log").open("ab")
        self.process = subprocess.Popen(
            [etcd_binary(), "--name", "m0", "--data-dir", str(self.data_dir),
             "--listen-client-urls", client, "--advertise-client-urls", client,
             "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
             "--initial-cluster", f"m0={peer}", "--initial-cluster-state", "new",
             # big saves are one transaction: lift etcd's defaults of 128 ops / 1.5 MiB
             "--max-txn-ops", "100000", "--max-request-bytes", str(64 * 1024 * 1024),
             "--auth-token", "simple", "--logger", "zap", "--log-level", "error"],
            stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{client}/health", timeout=1) as response:
                    if b'"true"' in response.read():
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"etcd did not become healthy in {timeout} s; see {log.name}")
            time.sleep(0.05)  # polling a condition (health) with a deadline, not a sleep as synchronisation

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


async def enable_auth(endpoint: str, password: str) -> None:
    """A root user with the root role, then auth on (as ``etcdctl auth enable``)."""
    import grpc
    from aetcd import rpc

    async with grpc.aio.insecure_channel(endpoint) as channel:
        auth = rpc.AuthStub(channel)
        await auth.RoleAdd(rpc.AuthRoleAddRequest(name="root"))
        await auth.UserAdd(rpc.AuthUserAddRequest(name="root", password=password))
        await auth.UserGrantRole(rpc.AuthUserGrantRoleRequest(user="root", role="root"))
        await auth.AuthEnable(rpc.AuthEnableRequest())


async def compact(endpoint: str, revision: int) -> None:
    import grpc
    from aetcd import rpc

    async with grpc.aio.insecure_channel(endpoint) as channel:
        await rpc.KVStub(channel).Compact(rpc.CompactionRequest(revision=revision, physical=True))
