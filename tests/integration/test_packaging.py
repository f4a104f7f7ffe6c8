"""`pip install .` gives a working zhi-gui: the wheel carries resources/ and
plugins/ inside the package, plugin executables keep their mode, and a plugin
started from the installed location finds the installed interpreter."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zhi_gui.core.model import Versioning
from zhi_gui.plugin.launcher import launch_store


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(ROOT)], check=True, timeout=300)
    return next(out.glob("zhi_gui-*.whl"))


def test_wheel_carries_resources_plugins_and_stubs(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        mode = (archive.getinfo("zhi_gui/plugins/zhi-store-memory/zhi-store-memory").external_attr >> 16) & 0o777
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        scripts = archive.read(entry_points).decode()
    for expected in ("zhi_gui/resources/icons/lock-closed.svg", "zhi_gui/resources/zhi-gui.desktop",
                     "zhi_gui/plugins/zhi-python", "zhi_gui/plugins/zhi-store-sqlite/zhi-plugin.yaml",
                     "zhi_gui/plugin/gen/zhiplugin/v1/store_pb2.py"):
        assert expected in names, expected
    assert mode & 0o111, "plugin executables stay executable"
    assert "zhi-gui = zhi_gui.__main__:main" in scripts


def test_installed_plugin_runs_with_the_installed_interpreter(wheel: Path, tmp_path: Path, arun) -> None:
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(target)
    site = next(target.glob("lib/python3*/site-packages"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, timeout=300)
    # The new venv borrows this venv's third-party packages (grpc, ...) but has
    # zhi_gui only from the wheel.
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    plugin = site / "zhi_gui" / "plugins" / "zhi-store-memory" / "zhi-store-memory"

    async def go() -> tuple[str, str]:
        # launched from the checkout's directory on purpose: -P keeps its zhi_gui out
        async with await launch_store(plugin, cwd=str(ROOT)) as running:
            assert (await running.store.capabilities()).versioning == Versioning.TREE
            exe = Path(f"/proc/{running.pid}/exe").resolve()
            # log lines reach ``logs`` in batches (at most every 100 ms): wait for this one
            for _ in range(600):
                serving = next((line for line in running.logs if line.message == "plugin serving"), None)
                if serving is not None:
                    break
                await asyncio.sleep(0.05)
            assert serving is not None, [line.message for line in running.logs]
            return str(exe), serving.fields["code"]

    exe, code = arun(go())
    assert Path(exe).resolve() == (target / "bin" / "python").resolve()
    assert code == str(site / "zhi_gui"), "the plugin runs the wheel's code, not the checkout's"
    check = subprocess.run([str(target / "bin" / "python"), "-c", "import zhi_gui, sys; print(zhi_gui.__file__)"],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    assert check.stdout.startswith(str(site))
