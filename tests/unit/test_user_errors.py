"""Errors become sentences with a next step, never raw hclog fields."""

from __future__ import annotations

import json

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.user_errors import describe, plugin_messages


def hclog(level: str, message: str, **fields: str) -> str:
    return json.dumps({"@level": level, "@message": message, "@timestamp": "2026-01-01T00:00:00.000000Z",
                       "@module": "zhi-store-sqlite", **fields})


SQLITE_REFUSED = E.LaunchError(
    "plugin zhi-store-sqlite exited before its handshake",
    stderr_tail="\n".join([hclog("info", "starting"),
                           hclog("error", "cannot start the store: store file /x/s.db is damaged (page 3); "
                                          "it was not changed")]),
    exit_status=1)


@pytest.mark.parametrize(("exc", "contains", "next_step"), [
    (SQLITE_REFUSED, "could not start: store file /x/s.db is damaged (page 3); it was not changed.",
     "Fix the store's location or options"),
    (E.LaunchError("plugin p exited before its handshake", stderr_tail="[ERROR] bind: address in use",
                   exit_status=2), "bind: address in use", "open the store again"),
    (E.LaunchError("plugin p exited before its handshake",
                   stderr_tail="fatal: cannot open /var/lib/store.db: permission denied", exit_status=3),
     "permission denied", "open the store again"),
    (E.LaunchError("plugin p printed no handshake within 10 s (is it a zhi plugin? ...)"),
     "Plugin p printed no handshake within 10 s.", "Check that the file is a zhi store plugin"),
    (E.AuditError("binary /p/x changed: sha-256 differs"), "Binary /p/x changed", "accept its new digest"),
    (E.StoreMissing("the store file /tmp/x/s.db does not exist"), "The store file /tmp/x/s.db does not exist.",
     "confirm to create"),
    (E.DataLoss("the value of 'a/b' (version 4) is damaged", {"paths": "a/b"}), "'a/b' (version 4)",
     "other values can still be read"),
    (E.StoreCorrupt("store file /x is damaged"), "Store file /x is damaged.", "restore it from a backup"),
    (E.CASConflict("cas conflict on a"), "Cas conflict on a.", "reload"),
    (E.WrongPassphrase("wrong passphrase"), "Wrong passphrase.", "Enter the passphrase again"),
    (E.StoreLocked("the store is encrypted and locked"), "locked.", "Unlock the store"),
    (E.PluginUnavailable("the plugin is restarting"), "The plugin is restarting.", "Restart the plugin"),
    (E.PluginTimeout("GetValues: deadline"), "deadline.", "did not answer in time"),
    (RuntimeError("boom"), "Boom.", "Try again"),
])
def test_errors_read_as_sentences_with_a_next_step(exc: BaseException, contains: str, next_step: str) -> None:
    text = describe(exc)
    assert contains in text and next_step in text
    assert "@level" not in text and "@message" not in text and "{" not in text


def test_only_the_most_severe_log_messages_are_kept() -> None:
    tail = "\n".join([hclog("info", "a"), hclog("warn", "b"), "not json {", hclog("warn", "c")])
    assert plugin_messages(tail) == ["b", "c"]
    assert plugin_messages("plain one\nplain two") == ["plain one", "plain two"]


def test_describe_detail_keeps_the_plugins_message_not_its_log_fields() -> None:
    from zhi_gui.core.user_errors import describe_detail

    detail = ('the plugin exited with status 1\n--- plugin stderr ---\n'
              '{"@level":"info","@message":"starting"}\n{"@level":"error","@message":"disk full"}')
    assert describe_detail(detail) == "disk full"
    assert describe_detail("exited with status 9\nmore") == "exited with status 9"
    assert describe_detail("") == "no reason given"


def test_a_message_that_starts_with_a_path_keeps_its_case() -> None:
    """Seen at 1M values: "Svc000 holds values that are not read yet", "Inst10/key003: holds a
    masked secret": a path is case-sensitive, and capitalised it names a key that is not there."""
    from zhi_gui.transfer.formats import Refused

    assert describe(E.InvalidArgument("svc000 holds values", {"path": "svc000"})).startswith("svc000 holds")
    assert describe(Refused("holds a masked secret", path="inst10/key003")).startswith("inst10/key003: holds")
    assert describe(E.InvalidArgument("readme is a secret", {"path": "readme"})).startswith("readme is")
    assert describe(E.InvalidArgument("services/api: bad value")).startswith("services/api: bad")
    assert describe(E.InvalidArgument("the value is bad")).startswith("The value is bad.")
