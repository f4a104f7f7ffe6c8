"""go-plugin's handshake (zhi-protocol.md 1.1, 1.2), both directions."""

from __future__ import annotations

from dataclasses import dataclass

from zhi_gui.core.errors import LaunchError

MAGIC_COOKIE_KEY = "ZHI_PLUGIN"
MAGIC_COOKIE_VALUE = "zhiplugin-v1"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1
# go-plugin's own text, so users who know zhi recognise it.
COOKIE_HINT = (
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n"
)
HANDSHAKE_ENV_KEYS = (
    MAGIC_COOKIE_KEY,
    "PLUGIN_PROTOCOL_VERSIONS",
    "PLUGIN_MIN_PORT",
    "PLUGIN_MAX_PORT",
    "PLUGIN_UNIX_SOCKET_DIR",
    "PLUGIN_UNIX_SOCKET_GROUP",
    "PLUGIN_MULTIPLEX_GRPC",
    "ZHI_PLUGIN_OPTIONS",
)


@dataclass(frozen=True, slots=True)
class Handshake:
    core_version: int
    app_version: int
    network: str  # "unix" | "tcp"
    address: str
    protocol: str
    server_cert: str = ""
    multiplex: bool = False

    def grpc_target(self) -> str:
        if self.network == "unix":
            return f"unix:{self.address}"
        return f"ipv4:{self.address}" if not self.address.startswith("[") else f"ipv6:{self.address}"


def format_handshake(network: str, address: str) -> str:
    # The empty 6th field (no AutoMTLS certificate) is what Go plugins print.
    return f"{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{address}|grpc|\n"


def _excerpt(line: str) -> str:
    shown = line if len(line) <= 200 else line[:200] + "..."
    return repr(shown)


def parse_handshake(line: str, accepted_app_versions: tuple[int, ...] = (APP_PROTOCOL_VERSION,)) -> Handshake:
    """Parse the first stdout line of a plugin, or raise LaunchError saying what is wrong."""
    text = line.strip()
    if not text:
        raise LaunchError("the plugin printed an empty line instead of the go-plugin handshake")
    parts = text.split("|")
    if len(parts) < 4:
        raise LaunchError(
            f"the plugin printed {_excerpt(text)} instead of the go-plugin handshake "
            "'CORE|APP|NETWORK|ADDRESS|grpc' (is it a zhi plugin, and does it print anything first?)"
        )
    if len(parts) == 4:
        raise LaunchError(
            f"the plugin speaks go-plugin's net/rpc protocol (handshake {_excerpt(text)} has no "
            "protocol field); zhi plugins must use gRPC"
        )
    if len(parts) > 7:
        raise LaunchError(f"handshake {_excerpt(text)} has {len(parts)} fields; expected 5 to 7")
    core, app, network, address, protocol = parts[:5]
    try:
        core_version, app_version = int(core), int(app)
    except ValueError:
        raise LaunchError(f"handshake {_excerpt(text)}: protocol versions are not numbers") from None
    if core_version != CORE_PROTOCOL_VERSION:
        raise LaunchError(
            f"the plugin uses go-plugin core protocol {core_version}; this host speaks "
            f"{CORE_PROTOCOL_VERSION}"
        )
    if app_version not in accepted_app_versions:
        raise LaunchError(
            f"the plugin speaks zhi plugin protocol {app_version}; this host accepts "
            f"{', '.join(map(str, accepted_app_versions))}"
        )
    if network not in ("unix", "tcp"):
        raise LaunchError(f"handshake names network {network!r}; expected 'unix' or 'tcp'")
    if not address:
        raise LaunchError("handshake has an empty address")
    if protocol == "netrpc" or protocol == "":
        raise LaunchError("the plugin speaks go-plugin's net/rpc protocol; zhi plugins must use gRPC")
    if protocol != "grpc":
        raise LaunchError(f"handshake names protocol {protocol!r}; expected 'grpc'")
    cert = parts[5] if len(parts) > 5 else ""
    multiplex = len(parts) > 6 and parts[6].strip().lower() == "true"
    return Handshake(core_version, app_version, network, address, protocol, cert, multiplex)
