"""A zhi workspace opens in the real window as zhi made it (issue 12): one made
as `zhi init` makes it (store: provider: jsonfile) and one whose zhi.yaml names
no store; a save writes <workspace>/.zhi/store/<tree>.json and leaves every
other line of the file as zhi wrote it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gui.test_main_window import save_through_review, select, stage_text
from zhi_gui.app import parse_args, resolve_target
from zhi_gui.plugin.workspace import load_workspace
from zhi_gui.ui.main_window import MainWindow

YAMLS = {
    "zhi-init-jsonfile": 'version: "1"\n\nstore:\n  provider: jsonfile\n\nconfig:\n  provider: structuredfile\n',
    "no-store": 'version: "1"\n\nconfig:\n  provider: structuredfile\n',
}
TREE = (b'{\n  "app/name": {\n    "value": "pok\\u0026dex",\n    "metadata": {\n      "ui.displayName": "Name"\n'
        b'    }\n  },\n  "app/port": {\n    "value": 80\n  },\n  "app/ratio": {\n    "value": 1e-7\n  },\n'
        b'  "app/tags": {\n    "value": [\n      "a",\n      -0\n    ]\n  }\n}')


@pytest.fixture
def window(qtbot: Any, run_async: Any) -> Any:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    yield win
    win._closing_confirmed = True
    run_async(win.controller.close())


@pytest.mark.parametrize("kind", sorted(YAMLS))
def test_workspace_opens_in_the_window_and_a_save_writes_its_store_file(
        qtbot: Any, window: MainWindow, run_async: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        kind: str) -> None:
    workspace = tmp_path / "ws"
    workspace.mkdir()
    (workspace / "zhi.yaml").write_text(YAMLS[kind])
    tree_id = load_workspace(workspace).default_tree_id
    tree_file = workspace / ".zhi" / "store" / f"{tree_id}.json"
    tree_file.parent.mkdir(parents=True)
    tree_file.write_bytes(TREE)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the window is not started in the workspace
    monkeypatch.delenv("ZHI_JSON_STORE_DIR", raising=False)

    run_async(window.open_store(resolve_target(parse_args(["--workspace", str(workspace)]))))
    qtbot.waitUntil(lambda: window.model.index_of_path("app/port").isValid(), timeout=10000)
    select(qtbot, window, "app/port")
    stage_text(qtbot, window, "numberEdit", "8080")
    save_through_review(qtbot, window)

    after = tree_file.read_bytes()
    assert after == TREE.replace(b'"value": 80\n', b'"value": 8080\n')
    assert not (elsewhere / ".zhi").exists()
