"""The test suite cannot reach the user's own store, settings, plugin state or keyring
(tests/conftest.py points HOME, XDG_* and the keyring at a stand-in for the whole run),
in this process and in the app and plugin processes tests start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import conftest
from tests.conftest import ROOT
from zhi_gui.app import default_store_path
from zhi_gui.services.plugin_state import default_plugin_state_root
from zhi_gui.services.settings import default_settings_path
from zhi_gui.stores.sqlite.options import default_path as sqlite_default_path


def test_the_embedded_store_settings_and_plugin_state_are_in_the_stand_in_home() -> None:
    for path in (default_store_path(), sqlite_default_path(), default_settings_path(), default_plugin_state_root(),
                 Path.home()):
        assert path.is_relative_to(conftest.STAND_IN_HOME), path
    assert conftest.STAND_IN_HOME.is_relative_to("/tmp")


def test_the_os_keyring_is_out_of_reach() -> None:
    import keyring

    assert type(keyring.get_keyring()).__module__ == "keyring.backends.fail"
    assert "DBUS_SESSION_BUS_ADDRESS" not in os.environ


PROBE = ("import keyring, platformdirs; from zhi_gui.app import default_store_path; "
         "from zhi_gui.stores.sqlite.options import default_path; "
         "print(default_store_path()); print(default_path()); print(platformdirs.user_config_dir('zhi-gui')); "
         "print(type(keyring.get_keyring()).__module__)")


def test_processes_the_tests_start_see_the_stand_in_too() -> None:
    """The app and the sqlite plugin run as subprocesses of tests with the inherited environment."""
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=True)
    *paths, backend = done.stdout.split("\n")[:4]
    for path in paths:
        assert Path(path).is_relative_to(conftest.STAND_IN_HOME), done.stdout
    assert backend == "keyring.backends.fail"
