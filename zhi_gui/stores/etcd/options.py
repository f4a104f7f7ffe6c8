"""Options of zhi-store-etcd (from ``ZHI_PLUGIN_OPTIONS``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zhi_gui.core.errors import InvalidArgument

log = logging.getLogger("zhi_gui.stores.etcd")

DEFAULT_ROOT = "/zhi/"
DEFAULT_ENDPOINT = "127.0.0.1:2379"
KNOWN = frozenset({"endpoints", "root", "user", "password", "ca_file", "cert_file", "key_file", "timeout", "author",
                   "passphrase_file", "passphrase_env"})


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    tls: bool  # https:// given

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"


def parse_endpoint(text: str) -> Endpoint:
    """``host:port``, ``http://host:port`` or ``https://host:port`` (IPv6 in brackets)."""
    raw = text.strip()
    tls = raw.startswith("https://")
    for scheme in ("http://", "https://"):
        if raw.startswith(scheme):
            raw = raw[len(scheme):]
    raw = raw.rstrip("/")
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 or "/" in raw:
        raise InvalidArgument(f"endpoint {text!r} is not host:port (for example 127.0.0.1:2379)")
    return Endpoint(host, int(port), tls)


@dataclass(frozen=True, slots=True)
class EtcdOptions:
    endpoints: tuple[Endpoint, ...]
    root: str = DEFAULT_ROOT
    user: str = ""
    password: str = ""
    ca_file: str = ""
    cert_file: str = ""
    key_file: str = ""
    timeout: float = 10.0
    author: str = ""
    passphrase_file: str = ""
    passphrase_env: str = ""

    @property
    def tls(self) -> bool:
        return bool(self.ca_file or self.cert_file or any(e.tls for e in self.endpoints))

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> EtcdOptions:
        options = dict(options or {})
        unknown = sorted(set(options) - KNOWN)
        if unknown:
            log.warning("ignoring unknown options %s (known: %s)", unknown, sorted(KNOWN))
        raw = options.get("endpoints", DEFAULT_ENDPOINT)
        if isinstance(raw, str):
            raw = [part for part in raw.split(",") if part.strip()]
        if not isinstance(raw, list) or not raw or not all(isinstance(x, str) for x in raw):
            raise InvalidArgument("option 'endpoints' must be a non-empty list of host:port strings")
        endpoints = tuple(parse_endpoint(x) for x in raw)
        strings = {}
        for key in ("root", "user", "password", "ca_file", "cert_file", "key_file", "author", "passphrase_file",
                    "passphrase_env"):
            value = options.get(key)
            if value is not None and not isinstance(value, str):
                raise InvalidArgument(f"option {key!r} must be a string, not {type(value).__name__}")
            strings[key] = value or ""
        root = strings["root"] or DEFAULT_ROOT
        if not root.endswith("/"):
            root += "/"  # a root "/zhi" must not also match "/zhi-other/..."
        if bool(strings["cert_file"]) != bool(strings["key_file"]):
            raise InvalidArgument("options 'cert_file' and 'key_file' go together (a client certificate and its key)")
        for key in ("ca_file", "cert_file", "key_file"):
            if strings[key] and not Path(strings[key]).expanduser().is_file():
                raise InvalidArgument(f"option {key!r}: {strings[key]} is not a readable file")
        if strings["password"] and not strings["user"]:
            raise InvalidArgument("option 'password' needs option 'user'")
        timeout = options.get("timeout", 10.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 600:
            raise InvalidArgument("option 'timeout' must be a number of seconds in (0, 600]")
        return cls(endpoints, root, strings["user"], strings["password"], strings["ca_file"],
                   strings["cert_file"], strings["key_file"], float(timeout), strings["author"],
                   strings["passphrase_file"], strings["passphrase_env"])
