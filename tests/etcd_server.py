"""A real etcd for tests: Debian's ``etcd`` binary (package etcd-server) on free
loopback ports in temp data dirs: one member, or a cluster of three."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def make_tls_files(directory: Path) -> TlsFiles:
    """A CA, a server certificate for 127.0.0.1 and a client certificate (PEM files)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def write_key(key: ec.EllipticCurvePrivateKey, path: Path) -> Path:
        path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
        return path

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("zhi test CA")).issuer_name(name("zhi test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .sign(ca_key, hashes.SHA256()))

    def issue(cn: str, usage: x509.ObjectIdentifier, ip: bool) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(ca.subject)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1)).not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if ip:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        return builder.sign(ca_key, hashes.SHA256()), key

    pem = serialization.Encoding.PEM
    (directory / "ca.pem").write_bytes(ca.public_bytes(pem))
    server, server_key = issue("127.0.0.1", ExtendedKeyUsageOID.SERVER_AUTH, True)
    client, client_key = issue("zhi-gui", ExtendedKeyUsageOID.CLIENT_AUTH, False)
    (directory / "server.pem").write_bytes(server.public_bytes(pem))
    (directory / "client.pem").write_bytes(client.public_bytes(pem))
    return TlsFiles(directory / "ca.pem", directory / "server.pem", write_key(server_key, directory / "server-key.pem"),
                    directory / "client.pem", write_key(client_key, directory / "client-key.pem"))


@dataclass
class EtcdServer:
    data_dir: Path
    client_port: int = field(default_factory=free_port)
    peer_port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    name: str = "m0"
    cluster: str = ""  # --initial-cluster; "" = this member alone
    log: Path = field(init=False)
    tls: TlsFiles | None = None  # serve https and require client certificates
    max_txn_ops: int = 250_000  # etcd's default is 128

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def client_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.client_port}"

    def launch(self) -> None:
        client, peer = self.client_url, self.peer_url
        tls_args = [] if self.tls is None else [
            "--cert-file", str(self.tls.server_cert), "--key-file", str(self.tls.server_key),
            "--trusted-ca-file", str(self.tls.ca), "--client-cert-auth"]
        self.log = self.data_dir.parent / f"{self.data_dir.name}.log"
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.process = subprocess.Popen(
                [etcd_binary(), "--name", self.name, "--data-dir", str(self.data_dir),
                 "--listen-client-urls", client, "--advertise-client-urls", client,
                 "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                 "--initial-cluster", self.cluster or f"{self.name}={peer}", "--initial-cluster-state", "new",
                 # big saves are one transaction: lift etcd's defaults of 128 ops / 1.5 MiB
                 "--max-txn-ops", str(self.max_txn_ops), "--max-request-bytes", str(64 * 1024 * 1024),
                 "--auth-token", "simple", "--logger", "zap", "--log-level", "error", *tls_args],
                stdout=out, stderr=subprocess.STDOUT)

    def start(self, timeout: float = 30) -> None:
        self.launch()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 30) -> None:
        assert self.process is not None
        client, log = self.client_url, self.log
        context = None
        if self.tls is not None:
            context = ssl.create_default_context(cafile=str(self.tls.ca))
            context.load_cert_chain(str(self.tls.client_cert), str(self.tls.client_key))
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"etcd exited with {self.process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{client}/health", timeout=1, context=context) as response:
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


async def seed_with_login(endpoint: str, password: str, tree: str, entries: list[Any]) -> None:
    """Auth on (user root with ``password``), then ``entries`` written to ``tree`` as that user."""
    from zhi_gui.stores.etcd.store import EtcdStore

    await enable_auth(endpoint, password)
    store = EtcdStore({"endpoints": [endpoint], "user": "root", "password": password})
    try:
        await store.put_values(tree, entries)
    finally:
        await store.close()


async def compact(endpoint: str, revision: int) -> None:
    import grpc
    from aetcd import rpc

    async with grpc.aio.insecure_channel(endpoint) as channel:
        await rpc.KVStub(channel).Compact(rpc.CompactionRequest(revision=revision, physical=True))
