"""Typed store errors on the wire (zhi-protocol.md 2.3), both directions.

zhi marks its typed errors with ``google.rpc.ErrorInfo{reason="store_error",
domain="zhi"}`` in the ``grpc-status-details-bin`` trailer. Errors zhi has no
type for (locked store, wrong passphrase, bad argument, corrupt file) carry our
own marker, domain ``zhi-gui``, so zhi's host sees a plain error with a clear
message while our host still gets the type back.
"""

from __future__ import annotations

from collections.abc import Iterable

import grpc
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from zhi_gui.core import errors as E

STATUS_DETAILS_KEY = "grpc-status-details-bin"
ZHI_DOMAIN, ZHI_REASON = "zhi", "store_error"
OUR_DOMAIN = "zhi-gui"
# gRPC refuses trailers above 16 KiB (the host then sees RESOURCE_EXHAUSTED
# instead of the error), so a message or detail that quotes a huge input is cut.
MAX_MESSAGE_CHARS = 2000
MAX_DETAIL_CHARS = 256


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"

# zhi's own typed errors: code + marker. Order matters (subclasses first).
_ZHI_TYPED: list[tuple[type[E.StoreError], grpc.StatusCode]] = [
    (E.CASConflict, grpc.StatusCode.ABORTED),
    (E.AuthRequired, grpc.StatusCode.UNAUTHENTICATED),
    (E.AccessDenied, grpc.StatusCode.PERMISSION_DENIED),
    (E.NotFound, grpc.StatusCode.NOT_FOUND),
    (E.EncryptionNotInitialised, grpc.StatusCode.FAILED_PRECONDITION),
    (E.Unsupported, grpc.StatusCode.UNIMPLEMENTED),
]
# Our own: code + zhi-gui marker with a reason naming the class.
_OURS: list[tuple[type[E.StoreError], grpc.StatusCode, str]] = [
    (E.StoreMissing, grpc.StatusCode.NOT_FOUND, "store_missing"),
    (E.DataLoss, grpc.StatusCode.DATA_LOSS, "data_loss"),
    (E.StoreLocked, grpc.StatusCode.FAILED_PRECONDITION, "store_locked"),
    (E.WrongPassphrase, grpc.StatusCode.UNAUTHENTICATED, "wrong_passphrase"),
    (E.InvalidArgument, grpc.StatusCode.INVALID_ARGUMENT, "invalid_argument"),
    (E.StoreCorrupt, grpc.StatusCode.DATA_LOSS, "store_corrupt"),
    # UNAVAILABLE, as gRPC means it (try again later); the marker tells our host that the
    # plugin runs and its server does not answer (not a plugin crash).
    (E.BackendUnavailable, grpc.StatusCode.UNAVAILABLE, "backend_unavailable"),
]


def encode(error: E.StoreError) -> tuple[grpc.StatusCode, str, tuple[tuple[str, bytes], ...]]:
    """(code, message, trailing metadata) for a store error raised by a plugin."""
    if len(error.message) > MAX_MESSAGE_CHARS or any(
            len(k) > MAX_DETAIL_CHARS or len(v) > MAX_DETAIL_CHARS for k, v in error.details.items()):
        short = type(error)(_cut(error.message, MAX_MESSAGE_CHARS))
        short.details = {_cut(k, MAX_DETAIL_CHARS): _cut(v, MAX_DETAIL_CHARS) for k, v in error.details.items()}
        error = short
    for cls, code, reason in _OURS:
        if isinstance(error, cls):
            return code, error.message, _trailer(code, error.message, reason, OUR_DOMAIN, error)
    for cls, code in _ZHI_TYPED:
        if isinstance(error, cls):
            return code, error.message, _trailer(code, error.message, ZHI_REASON, ZHI_DOMAIN, error)
    # A plain store failure (I/O and the like): our marker keeps the host from
    # guessing a type from words in the message ("No such file" is not NotFound).
    code = grpc.StatusCode.UNKNOWN
    return code, error.message, _trailer(code, error.message, "store_error", OUR_DOMAIN, error)


def _trailer(
    code: grpc.StatusCode, message: str, reason: str, domain: str, error: E.StoreError
) -> tuple[tuple[str, bytes], ...]:
    info = error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=error.details)
    detail = any_pb2.Any()
    detail.Pack(info)
    status = status_pb2.Status(code=code.value[0], message=message, details=[detail])
    return ((STATUS_DETAILS_KEY, status.SerializeToString()),)


def error_info(trailing_metadata: Iterable[tuple[str, str | bytes]] | None) -> error_details_pb2.ErrorInfo | None:
    """The first ErrorInfo detail in a trailer, if any."""
    for key, value in trailing_metadata or ():
        if key != STATUS_DETAILS_KEY or not isinstance(value, bytes):
            continue
        status = status_pb2.Status()
        try:
            status.ParseFromString(value)
        except Exception:  # a garbled trailer is treated as absent
            return None
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return info
    return None


_BY_CODE: dict[grpc.StatusCode, type[E.ZhiError]] = {
    grpc.StatusCode.ABORTED: E.CASConflict,
    grpc.StatusCode.UNAUTHENTICATED: E.AuthRequired,
    grpc.StatusCode.PERMISSION_DENIED: E.AccessDenied,
    grpc.StatusCode.NOT_FOUND: E.NotFound,
    grpc.StatusCode.UNIMPLEMENTED: E.Unsupported,
    grpc.StatusCode.INVALID_ARGUMENT: E.InvalidArgument,
    grpc.StatusCode.DATA_LOSS: E.StoreCorrupt,
    grpc.StatusCode.UNAVAILABLE: E.PluginUnavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: E.PluginTimeout,
    grpc.StatusCode.CANCELLED: E.PluginUnavailable,
}
_BY_MESSAGE: list[tuple[tuple[str, ...], type[E.StoreError]]] = [
    (("not supported", "unsupported", "not implemented"), E.Unsupported),
    (("cas conflict", "version conflict", "conflict"), E.CASConflict),
    (("not found", "no such"), E.NotFound),
    (("not initialised", "not initialized"), E.EncryptionNotInitialised),
]


def classify(
    code: grpc.StatusCode,
    message: str,
    trailing_metadata: Iterable[tuple[str, str | bytes]] | None = None,
    *,
    rpc: str = "",
) -> E.ZhiError:
    """Rebuild a typed error: zhi's marker first, then our marker, then code, then message."""
    info = error_info(trailing_metadata)
    details = dict(info.metadata) if info else {}
    where = f"{rpc}: " if rpc else ""
    if info and info.domain == ZHI_DOMAIN and info.reason == ZHI_REASON:
        for cls, typed_code in _ZHI_TYPED:
            if code == typed_code:
                return cls(message, details)
        return E.StoreError(message, details)
    if info and info.domain == OUR_DOMAIN:
        for cls, _code, reason in _OURS:
            if info.reason == reason:
                return cls(message, details)
        if info.reason == "store_error":
            return E.StoreError(message, details)
    by_code = _BY_CODE.get(code)
    if by_code is not None:
        if issubclass(by_code, E.StoreError):
            return by_code(message, details)
        return by_code(f"{where}{message or code.name}")
    lowered = message.lower()
    for needles, cls in _BY_MESSAGE:
        if any(n in lowered for n in needles):
            return cls(message, details)
    return E.StoreError(message or f"{where}{code.name}", details)


def classify_rpc_error(error: grpc.RpcError, rpc: str = "") -> E.ZhiError:
    code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message = error.details() if hasattr(error, "details") else str(error)
    trailer = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    return classify(code, message or "", trailer, rpc=rpc)
