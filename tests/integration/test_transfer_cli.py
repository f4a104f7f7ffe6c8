"""``zhi-gui export`` / ``zhi-gui import`` as a script runs them: real processes, a real
sqlite store file, exit status and what is printed; and no Qt is loaded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import plugin_path
from zhi_gui.transfer import cli

SQLITE = str(plugin_path("sqlite"))


def zhi(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "zhi_gui", *args], capture_output=True, timeout=60,
                          input=stdin.decode() if stdin is not None else None, text=True)


def store_args(store: Path, tree: str = "main") -> list[str]:
    return ["--plugin", SQLITE, "-o", f"path={store}", "-o", "create=true", "--tree", tree]


@pytest.fixture
def seeded(short_tmp: Path) -> Path:
    store = short_tmp / "s.sqlite"
    source = short_tmp / "seed.yaml"
    source.write_text("app:\n  port: 80\n  name: api\ndb:\n  password: s3cret\n"
                      "$labels:\n  db/password: {ui.password: true}\n")
    done = zhi("import", *store_args(store), str(source), "-m", "seed")
    assert done.returncode == 0, done.stderr
    assert "saved 3 change(s)" in done.stdout
    return store


def test_export_masks_secrets_and_include_secrets_warns(seeded: Path, short_tmp: Path) -> None:
    out = short_tmp / "out.yaml"
    done = zhi("export", *store_args(seeded), str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert "s3cret" not in text and "port: 80" in text and "ui.password: true" in text
    assert "warning" not in done.stderr
    clear = zhi("export", *store_args(seeded), "--format", "env", "--include-secrets")
    assert clear.returncode == 0 and "DB_PASSWORD=\"s3cret\"" in clear.stdout
    assert "warning: --include-secrets" in clear.stderr
    sub = zhi("export", *store_args(seeded), "--format", "json", "--prefix", "app")
    assert sub.returncode == 0 and '"port": 80' in sub.stdout and "db" not in sub.stdout


def test_dry_run_prints_the_preview_and_writes_nothing(seeded: Path, short_tmp: Path) -> None:
    change = short_tmp / "change.properties"
    change.write_text("app/port=81\napp/name=api\napp/new=true\n")
    before = zhi("export", *store_args(seeded), "--format", "zhi").stdout
    dry = zhi("import", *store_args(seeded), str(change), "--dry-run", "--replace")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "+ app/new: true", "~ app/port: 80 -> 81", "- db/password",
        "preview for tree main (head 1): 1 add, 1 update, 1 unchanged, 1 delete", "dry run: nothing written"]
    assert zhi("export", *store_args(seeded), "--format", "zhi").stdout == before
    done = zhi("import", *store_args(seeded), str(change))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "saved 2 change(s) as version 2"
    again = zhi("import", *store_args(seeded), str(change))
    assert again.returncode == 0 and again.stdout.splitlines()[-1] == "nothing to write"
    old = zhi("export", *store_args(seeded), "--format", "properties", "--version", "1", "--prefix", "app")
    assert old.returncode == 0 and old.stdout == 'name="api"\nport=80\n', old.stderr


def test_round_trip_through_standard_output_and_input(seeded: Path) -> None:
    exported = zhi("export", *store_args(seeded), "--format", "toml")
    assert exported.returncode == 0, exported.stderr
    into = zhi("import", *store_args(seeded, "copy"), "-", "--format", "toml", stdin=exported.stdout.encode())
    # The masked secret has nothing to keep in the new tree: refused, nothing written.
    assert into.returncode == 1 and "masked secret" in into.stderr
    clear = zhi("export", *store_args(seeded), "--format", "toml", "--include-secrets")
    into = zhi("import", *store_args(seeded, "copy"), "-", "--format", "toml", stdin=clear.stdout.encode())
    assert into.returncode == 0, into.stderr
    back = zhi("import", *store_args(seeded, "copy"), "-", "--format", "toml", stdin=clear.stdout.encode())
    summary, last = back.stdout.splitlines()[-2:]
    assert summary.endswith("0 add, 0 update, 3 unchanged") and last == "nothing to write"


@pytest.mark.parametrize(("name", "content", "expected"), [
    ("bad.yaml", "app:\n  port: 80\n  ratio: .nan\n", "line 3: .nan is not a JSON number"),
    ("bad.json", '{\n  "app": {\n    "port": 80,\n  }\n}\n', "line 4: "),
    ("bad.toml", "[app]\nport = 80\nport = 81\n", "line 3: "),
    ("notes.txt", "x", "give --format"),
])
def test_refusals_exit_1_with_line_and_reason(seeded: Path, short_tmp: Path, name: str, content: str,
                                              expected: str) -> None:
    bad = short_tmp / name
    bad.write_text(content)
    done = zhi("import", *store_args(seeded), str(bad))
    assert done.returncode == 1, done.stdout + done.stderr
    assert expected in done.stderr and "Traceback" not in done.stderr


def test_import_needs_a_tree_and_export_an_existing_one(seeded: Path, short_tmp: Path) -> None:
    data = short_tmp / "a.json"
    data.write_text('{"a": 1}')
    done = zhi("import", "--plugin", SQLITE, "-o", f"path={seeded}", str(data))
    assert done.returncode == 1 and "--tree" in done.stderr
    missing = zhi("export", *store_args(seeded, "nope"), "--format", "json")
    assert missing.returncode == 1 and "no tree 'nope'" in missing.stderr and missing.stdout == ""


def test_a_conflict_exits_3_and_writes_nothing(seeded: Path, short_tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Another program saves between the preview and the save (a second zhi-gui import)."""
    mine, theirs = short_tmp / "mine.json", short_tmp / "theirs.json"
    mine.write_text('{"app": {"port": 81}}')
    theirs.write_text('{"app": {"port": 99}}')
    real_preview = cli.preview_import

    async def preview_then_someone_saves(*args: Any, **kwargs: Any) -> Any:
        preview = await real_preview(*args, **kwargs)
        other = zhi("import", *store_args(seeded), str(theirs))
        assert other.returncode == 0, other.stderr
        return preview

    monkeypatch.setattr(cli, "preview_import", preview_then_someone_saves)
    assert cli.main(["import", *store_args(seeded), str(mine)]) == cli.EXIT_CONFLICT
    assert "conflict" in capsys.readouterr().err
    assert '"port": 99' in zhi("export", *store_args(seeded), "--format", "json").stdout


def test_the_command_line_imports_no_qt_and_the_window_invocation_stays(seeded: Path) -> None:
    code = ("import sys; from zhi_gui.__main__ import main; "
            f"rc = main(['export', '--plugin', {SQLITE!r}, '-o', 'path={seeded}', '--tree', 'main', "
            "'--format', 'json']); "
            "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6', 'qasync'))); "
            "print(bad, file=sys.stderr); sys.exit(rc or (1 if bad else 0))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '"port": 80' in done.stdout
    version = zhi("--version")
    assert version.returncode == 0 and version.stdout.startswith("zhi-gui ")
