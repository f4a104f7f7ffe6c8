import pytest

from zhi_gui.core.errors import LaunchError
from zhi_gui.plugin.handshake import format_handshake, parse_handshake


@pytest.mark.parametrize("line", [
    "1|1|unix|/tmp/plugin1|grpc",
    "1|1|unix|/tmp/plugin1|grpc|",
    "1|1|unix|/tmp/plugin1|grpc||\r\n",
    "1|1|unix|/tmp/plugin1|grpc|\r\n",
    "  1|1|unix|/tmp/plugin1|grpc|  \n",
])
def test_accepts_five_six_seven_fields_and_crlf(line: str) -> None:
    hs = parse_handshake(line)
    assert (hs.network, hs.address, hs.protocol) == ("unix", "/tmp/plugin1", "grpc")
    assert hs.grpc_target() == "unix:/tmp/plugin1"


def test_tcp_and_long_certificate_field() -> None:
    hs = parse_handshake("1|1|tcp|127.0.0.1:41234|grpc|" + "A" * 80 + "|true")
    assert hs.grpc_target() == "ipv4:127.0.0.1:41234"
    assert hs.server_cert.startswith("AAAA") and hs.multiplex


@pytest.mark.parametrize(("line", "words"), [
    ("", "empty line"),
    ("Starting server on port 8080", "instead of the go-plugin handshake"),
    ("2|1|unix|/tmp/p|grpc", "core protocol 2"),
    ("1|3|unix|/tmp/p|grpc", "zhi plugin protocol 3"),
    ("1|1|unix|/tmp/p|netrpc", "net/rpc"),
    ("1|1|unix|/tmp/p", "net/rpc"),
    ("1|1|pipe|/tmp/p|grpc", "network 'pipe'"),
    ("x|1|unix|/tmp/p|grpc", "not numbers"),
    ("1|1|unix|/tmp/p|grpc|c|m|extra", "8 fields"),
])
def test_bad_lines_say_what_is_wrong(line: str, words: str) -> None:
    with pytest.raises(LaunchError, match=words):
        parse_handshake(line)


def test_format_matches_go_plugins() -> None:
    assert format_handshake("unix", "/tmp/x") == "1|1|unix|/tmp/x|grpc|\n"
