"""One connection to an etcd cluster over its v3 gRPC API.

The request/response classes and stubs are the ones generated from etcd's own
protos that ship with ``aetcd``; its high-level ``Client`` is not used because
it speaks to one plain-text endpoint and cannot read at a past revision, and
this store needs several endpoints, TLS and MVCC history.

- Several endpoints: one channel at a time; when a call fails with
  UNAVAILABLE (the member is down, or the cluster has no leader) the next
  endpoint is tried, in up to three rounds with a pause between rounds.
  A write whose answer was lost with its member may thus be sent twice: a
  plain write then lands twice (same values, one extra version), a CAS write
  the second time reports a conflict with itself.
- Login: etcd's Authenticate gives a token sent as ``token`` metadata; an
  expired token is renewed once with the same credentials.
- etcd's errors become the project's typed store errors.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
from aetcd import rpc

from zhi_gui.core import errors as E
from zhi_gui.stores.etcd.options import EtcdOptions

log = logging.getLogger("zhi_gui.stores.etcd")

# 100,000 values of a few hundred bytes in one range page must fit.
_MAX_MESSAGE = 512 * 1024 * 1024
COMPACTED = "compacted away"


class Unreachable(E.BackendUnavailable):
    """No endpoint of the etcd cluster answered."""


def _read(path: str) -> bytes:
    return Path(path).expanduser().read_bytes()


def classify(error: grpc.aio.AioRpcError, where: str) -> E.StoreError:
    """etcd's gRPC status -> the project's error taxonomy (messages say what to do)."""
    code, text = error.code(), error.details() or ""
    if "compacted" in text:
        return E.NotFound(f"{where}: that revision was {COMPACTED} by etcd (history before etcd's compaction "
                          "revision is gone)", {"reason": "compacted"})
    if "too many operations in txn" in text or "request is too large" in text:
        return E.InvalidArgument(f"{where}: etcd refused the transaction ({text}); raise the cluster's "
                                 "--max-txn-ops / --max-request-bytes or save fewer values at once")
    if code in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED) or "user name is empty" in text \
            or "authentication failed" in text:
        return E.AuthRequired(f"{where}: etcd refused the request: {text}", {"reason": text})
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        hint = " (the TLS handshake failed: check ca_file, cert_file and key_file)" if "TSI_" in text \
            or "SSL" in text or "andshake" in text else ""
        return Unreachable(f"{where}: etcd is unreachable{hint}: {text}")
    return E.StoreError(f"{where}: etcd answered {code.name}: {text}")


class Connection:
    def __init__(self, options: EtcdOptions) -> None:
        self.options = options
        self._index = 0
        self._channel: grpc.aio.Channel | None = None
        self._stubs: dict[str, Any] = {}
        self._token: str | None = None
        self._credentials: tuple[str, str] | None = (
            (options.user, options.password) if options.user and options.password else None)

    @property
    def endpoint(self) -> str:
        return self.options.endpoints[self._index].target

    def _open(self) -> None:
        opts = self.options
        channel_options = [("grpc.max_receive_message_length", _MAX_MESSAGE),
                           ("grpc.max_send_message_length", _MAX_MESSAGE)]
        target = self.endpoint
        if opts.tls:
            try:
                creds = grpc.ssl_channel_credentials(
                    root_certificates=_read(opts.ca_file) if opts.ca_file else None,
                    private_key=_read(opts.key_file) if opts.key_file else None,
                    certificate_chain=_read(opts.cert_file) if opts.cert_file else None)
            except OSError as exc:
                raise E.InvalidArgument(f"cannot read a TLS file: {exc}") from None
            self._channel = grpc.aio.secure_channel(target, creds, options=channel_options)
        else:
            self._channel = grpc.aio.insecure_channel(target, options=channel_options)
        self._stubs = {"kv": rpc.KVStub(self._channel), "auth": rpc.AuthStub(self._channel),
                       "watch": rpc.WatchStub(self._channel), "maint": rpc.MaintenanceStub(self._channel)}

    async def _next_endpoint(self) -> None:
        if self._channel is not None:
            await self._channel.close()
        self._channel = None
        self._index = (self._index + 1) % len(self.options.endpoints)

    def _metadata(self) -> tuple[tuple[str, str], ...] | None:
        return (("token", self._token),) if self._token else None

    async def _authenticate(self, user: str, password: str) -> str:
        try:
            response = await self._call("auth", "Authenticate", rpc.AuthenticateRequest(name=user, password=password),
                                        authed=False)
        except E.StoreError as exc:
            if "authentication is not enabled" not in exc.message:
                raise
            # a user configured for a cluster without auth: any login goes through, as etcdctl's does
            log.warning("etcd has authentication disabled; continuing without a token")
            return ""
        return str(response.token)

    async def login(self, user: str, password: str) -> None:
        """Authenticate; keeps the credentials to renew the token when it expires."""
        self._token = await self._authenticate(user, password)
        self._credentials = (user, password)

    @property
    def needs_login(self) -> bool:
        return bool(self.options.user) and self._credentials is None

    async def call(self, stub: str, method: str, request: Any) -> Any:
        if self._credentials is not None and self._token is None:
            self._token = await self._authenticate(*self._credentials)
        return await self._call(stub, method, request)

    async def _call(self, stub: str, method: str, request: Any, authed: bool = True) -> Any:
        renewed = False
        # every endpoint, in up to three rounds: a cluster that lost its leader
        # answers UNAVAILABLE ("no leader") until it has elected a new one
        count = len(self.options.endpoints)
        tries = 3 * count
        while True:
            if self._channel is None:
                self._open()
            fn: Callable[..., Any] = getattr(self._stubs[stub], method)
            try:
                return await fn(request, timeout=self.options.timeout,
                                metadata=self._metadata() if authed else None)
            except grpc.aio.AioRpcError as exc:
                text = exc.details() or ""
                if exc.code() == grpc.StatusCode.UNAVAILABLE and tries > 1:
                    # this member is down (or has no leader): the next endpoint
                    log.warning("etcd endpoint %s unavailable (%s); trying the next one", self.endpoint, text)
                    tries -= 1
                    if tries % count == 0:
                        await asyncio.sleep(0.5)  # a whole round failed: give an election time
                    await self._next_endpoint()
                    continue
                if authed and not renewed and self._credentials is not None and "invalid auth token" in text:
                    renewed = True
                    log.info("etcd refused the session token (expired, or the server restarted); logging in again")
                    self._token = await self._authenticate(*self._credentials)
                    continue
                raise classify(exc, f"etcd {method}") from None

    async def watch(self, requests: AsyncIterator[Any]) -> Any:
        """A raw Watch stream (the caller reads it)."""
        if self._credentials is not None and self._token is None:
            self._token = await self._authenticate(*self._credentials)
        if self._channel is None:
            self._open()
        return self._stubs["watch"].Watch(requests, metadata=self._metadata())

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
