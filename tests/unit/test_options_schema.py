"""The ``options:`` section of zhi-plugin.yaml (zhi-gui's addition; zhi ignores it):
parsed and checked, form text turned into option values, and a login split off."""

from __future__ import annotations

from pathlib import Path

import pytest

from zhi_gui.core.errors import ManifestError
from zhi_gui.plugin.manifest import load_manifest, parse_manifest
from zhi_gui.plugin.options_schema import (
    OptionSpec,
    OptionValueError,
    login_problems,
    parse_options,
    split_login,
    text_of,
    value_from_text,
)
from zhi_gui.resources_path import shipped_plugins_dir

HEAD = "name: demo\ntype: store\nversion: 1.0.0\n"


def test_the_shipped_manifests_describe_their_options() -> None:
    found = {p.parent.name: load_manifest(p) for p in shipped_plugins_dir().glob("*/zhi-plugin.yaml")}
    etcd = found["zhi-store-etcd"].options
    assert etcd is not None
    by_name = {spec.name: spec for spec in etcd}
    assert by_name["password"].type == "secret" and by_name["password"].login == ("userpass", "password")
    assert by_name["user"].login == ("userpass", "username")
    assert by_name["endpoints"].type == "list" and by_name["endpoints"].required
    assert {"ca_file", "cert_file", "key_file", "root"} <= set(by_name)
    assert found["zhi-store-json"].options is not None and found["zhi-store-sqlite"].options is not None
    assert found["zhi-store-mirror"].options is None, "no schema: Open store keeps the raw JSON field"


def test_a_manifest_without_options_has_none() -> None:
    assert parse_manifest(HEAD).options is None


def test_options_are_parsed_with_their_attributes() -> None:
    manifest = parse_manifest(HEAD + """options:
  - name: port
    type: int
    label: Port
    default: 2379
    required: true
    help: where it listens
  - name: tls
    type: bool
""")
    assert manifest.options == (OptionSpec("port", "int", "Port", 2379, True, "where it listens"),
                                OptionSpec("tls", "bool"))


@pytest.mark.parametrize(("section", "problem"), [
    ("options: 3", "options must be a list"),
    ("options:\n  - type: string", "name is required"),
    ("options:\n  - name: a\n    type: colour", "type 'colour' must be one of"),
    ("options:\n  - name: a\n    type: int\n    default: many", "default 'many' is not a int"),
    ("options:\n  - name: a\n  - name: a", "given twice"),
    ("options:\n  - name: a\n    required: maybe", "required must be true or false"),
    ("options:\n  - name: a\n    login: password", "login must be <method>.<field>"),
    ("options:\n  - name: a\n    lable: A", "unknown keys ['lable']"),
])
def test_a_bad_options_section_is_refused_with_the_reason(section: str, problem: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(HEAD + section)
    assert problem in str(caught.value)


def test_form_text_becomes_option_values(tmp_path: Path) -> None:
    assert value_from_text(OptionSpec("n", "int"), " 42 ") == 42
    with pytest.raises(OptionValueError, match="not a whole number"):
        value_from_text(OptionSpec("n", "int"), "4x")
    assert value_from_text(OptionSpec("e", "list"), "a:1\n b:2 , c:3\n\n") == ["a:1", "b:2", "c:3"]
    assert value_from_text(OptionSpec("e", "list"), "  ") is None
    with pytest.raises(OptionValueError, match="required"):
        value_from_text(OptionSpec("e", "list", required=True), "")
    with pytest.raises(OptionValueError, match="required"):
        value_from_text(OptionSpec("s", required=True), "   ")
    assert value_from_text(OptionSpec("s"), "") is None
    assert value_from_text(OptionSpec("p", "secret"), " two words ") == " two words "
    with pytest.raises(OptionValueError, match="is a folder"):
        value_from_text(OptionSpec("f", "file"), str(tmp_path))
    with pytest.raises(OptionValueError, match="does not exist"):
        value_from_text(OptionSpec("f", "file", must_exist=True), str(tmp_path / "missing.pem"))
    assert value_from_text(OptionSpec("f", "file"), str(tmp_path / "new.sqlite")) == str(tmp_path / "new.sqlite")
    (tmp_path / "x").write_text("")
    with pytest.raises(OptionValueError, match="is a file"):
        value_from_text(OptionSpec("d", "directory"), str(tmp_path / "x"))
    assert text_of(OptionSpec("e", "list"), "a:1, b:2") == "a:1\nb:2"


def test_a_login_is_split_off_and_its_secret_never_stays_an_option() -> None:
    specs = (OptionSpec("user", login=("userpass", "username")),
             OptionSpec("password", "secret", login=("userpass", "password")), OptionSpec("root"))
    options, method, fields = split_login(specs, {"user": "ada", "password": "pw", "root": "/r/"})
    assert options == {"user": "ada", "root": "/r/"}
    assert (method, fields) == ("userpass", {"username": "ada", "password": "pw"})
    # no password typed: no login offered (the keyring or the login dialog will do)
    assert split_login(specs, {"user": "ada"}) == ({"user": "ada"}, "", {})
    assert split_login(specs, {"user": "ada", "password": ""}) == ({"user": "ada"}, "", {})


def test_a_password_without_its_user_is_a_problem_at_the_user_field() -> None:
    specs = (OptionSpec("user", label="User", login=("userpass", "username")),
             OptionSpec("password", "secret", label="Password", login=("userpass", "password")))
    assert login_problems(specs, {"password": "pw"}) == {"user": "required with Password"}
    assert login_problems(specs, {"user": "ada", "password": "pw"}) == {}
    assert login_problems(specs, {"user": "ada"}) == {}


def test_zhis_parser_rules_do_not_reject_the_options_section() -> None:
    """zhi's manifest.Parse is yaml.Unmarshal without KnownFields: unknown keys are ignored.
    Our parser follows zhi there too (scripts/zhi-manifest-check runs the Go rules)."""
    manifest = parse_manifest(HEAD + "options: []\nsomethingNew: 1\n")
    assert manifest.name == "demo" and manifest.options == ()
    assert parse_options([]) == ((), [])
