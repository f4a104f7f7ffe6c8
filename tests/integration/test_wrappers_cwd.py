"""Every plugin wrapper in plugins/ ignores the working directory a host starts
it in: a stray ``zhi_gui/`` folder there must never run instead of the
installed code (zhi starts plugins in its own working directory, which may
hold anything)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PLUGINS
from tests.etcd_server import EtcdServer
from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import LaunchConfig, launch_store

WRAPPERS = sorted(p / p.name for p in PLUGINS.glob("zhi-store-*") if (p / p.name).is_file())
OPTIONS: dict[str, Any] = {
    "zhi-store-json": lambda d: {"directory": str(d / "json")},
    "zhi-store-sqlite": lambda d: {"path": str(d / "s.db"), "create": True},
    "zhi-store-mirror": lambda d: {"mirror_dir": str(d / "mirror")},
    "zhi-store-memory": lambda d: {},
    # needs a running etcd: the test starts one (tests/etcd_server.py)
    "zhi-store-etcd": lambda d: {},
}


def test_every_shipped_wrapper_is_covered() -> None:
    assert {w.name for w in WRAPPERS} == set(OPTIONS)
    for wrapper in WRAPPERS:
        assert " -P " in wrapper.read_text(), f"{wrapper.name} must start Python with -P"


@pytest.mark.parametrize("wrapper", WRAPPERS, ids=[w.name for w in WRAPPERS])
def test_a_fake_zhi_gui_in_the_working_directory_does_not_run(arun: Any, short_tmp: Path, wrapper: Path) -> None:
    marker = short_tmp / "fake-ran"
    fake = short_tmp / "zhi_gui"
    fake.mkdir()
    # a whole fake package: any import of zhi_gui from the cwd leaves the marker and fails
    (fake / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(3)\n")
    for sub in ("stores", "plugin"):
        (fake / sub).mkdir()
        (fake / sub / "__init__.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(3)\n")

    options = OPTIONS[wrapper.name](short_tmp)
    etcd = None
    if wrapper.name == "zhi-store-etcd":
        etcd = EtcdServer(Path(short_tmp) / "etcd-data")
        etcd.start()
        options = {"endpoints": [etcd.endpoint]}

    async def go() -> None:
        config = LaunchConfig(options=options, cwd=str(short_tmp))
        async with await launch_store(wrapper, config) as plugin:
            await plugin.store.put_values("t", [Entry("a/b", b"1")])
            assert [e.value_json for e in await plugin.store.get_values("t", ["a/b"])] == [b"1"]

    try:
        arun(go(), timeout=90)
    finally:
        if etcd is not None:
            etcd.stop()
    assert not marker.exists(), f"{wrapper.name} ran the zhi_gui folder of its working directory"
