"""A real etcd for tests: Debian's ``etcd`` binary (package etcd-server) on free
loopback ports in temp data dirs: one member, or a cluster of three."""

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
    name: str = "m0"
    cluster: str = ""  # --initial-cluster; "" = this member alone
    log: Path = field(init=False)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    def launch(self) -> None:
        client, peer = f"http://127.0.0.1:{self.client_port}", self.peer_url
        self.log = self.data_dir.parent / f"{self.data_dir.name}.log"
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [etcd_binary(), "--name", self.name, "--data-dir", str(self.data_dir),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", self.cluster or f"{self.name}={peer}", "--initial-cluster-state", "new",
                 # big saves are one transaction: lift etcd's defaults of 128 ops / 1.5 MiB
                 "--max-txn-ops", "100000", "--max-request-bytes", str(64 * 1024 * 1024),
                 "--auth-token", "simple", "--logger", "zap", "--log-level", "error"],
                stdout=out, stderr=subprocess.STDOUT)

    def start(self, timeout: float = 30) -> None:
        self.launch()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 30) -> None:
        assert self.process is not None
        client, log = f"http://127.0.0.1:{self.client_port}", self.log
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

    def kill(self) -> None:
        """SIGKILL: a member that dies, not one that shuts down."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def start_cluster(base: Path, size: int = 3) -> list[EtcdServer]:
    members = [EtcdServer(base / f"m{i}", name=f"m{i}") for i in range(size)]
    cluster = ",".join(f"{m.name}={m.peer_url}" for m in members)
    for member in members:
        member.cluster = cluster
        member.launch()  # all at once: a member is healthy only once a quorum is up
    try:
        for member in members:
            member.wait_healthy()
    except Exception:
        for member in members:
            member.stop()
        raise
    return members


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
