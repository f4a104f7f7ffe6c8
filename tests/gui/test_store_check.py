"""Check store / recover: run off the UI thread, reported in a non-modal window,
the checked file never changed."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite import SqliteStore
from zhi_gui.ui.stall_meter import StallMeter
from zhi_gui.ui.store_check import StoreCheckWindow, show_store_check


def make_store(run_async: Any, path: Path, values: int = 2000) -> None:
    async def go() -> None:
        store = SqliteStore({"path": str(path), "create": True})
        await store.put_values("t", [Entry(f"app/key-{i:05d}", f'"value {i}"'.encode()) for i in range(values)])
        await store.close()

    run_async(go())


def damage_one_value(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b'"value 1234"')
    data[at + 3] ^= 0x01  # "vblue 1234": a bit flip inside the value
    path.write_bytes(bytes(data))


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_check_of_an_intact_store(qtbot: Any, run_async: Any, tmp_path: Path) -> None:
    store = tmp_path / "intact.db"
    make_store(run_async, store)
    before = digest(store)
    window = show_store_check(None, store)
    qtbot.addWidget(window)
    assert window.isVisible() and not window.isModal() and window.busy
    meter = StallMeter(2)
    meter.start()
    with qtbot.waitSignal(window.finished, timeout=60_000) as signal:
        pass
    meter.stop()
    assert meter.ticks > 0  # the loop kept ticking while the check ran
    assert signal.args[0].status == "intact"
    assert "No damage found" in window.summary.text() and "no damage found" in window.text.toPlainText()
    assert not window.recover_button.isEnabled()
    assert digest(store) == before and sorted(p.name for p in tmp_path.iterdir()) == ["intact.db"]


def test_check_reports_damage_and_recovers_into_a_new_file(qtbot: Any, run_async: Any, tmp_path: Path) -> None:
    store = tmp_path / "damaged.db"
    make_store(run_async, store)
    damage_one_value(store)
    before = digest(store)
    window = StoreCheckWindow(store)
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.finished, timeout=60_000):
        window.start_check()
    assert window.result is not None and window.result.status == "damaged"
    assert "damaged" in window.summary.text() and "Nothing was changed" in window.summary.text()
    assert "app/key-01234" in window.text.toPlainText()
    assert window.recover_button.isEnabled()
    assert digest(store) == before

    new = tmp_path / "recovered.db"
    with qtbot.waitSignal(window.finished, timeout=60_000):
        window.start_recover(new)
    assert window.result.status == "damaged"  # something was lost, and the report says what
    assert "Recovered what was intact" in window.summary.text() and "app/key-01234" in window.text.toPlainText()
    assert digest(store) == before and new.is_file()

    async def read_back() -> list[Entry]:
        recovered = SqliteStore({"path": str(new)})
        try:
            return await recovered.get_values("t", [])
        finally:
            await recovered.close()

    entries = run_async(read_back())
    assert len(entries) == 1999 and "app/key-01234" not in {e.path for e in entries}


def test_a_missing_file_is_reported_not_created(qtbot: Any, tmp_path: Path) -> None:
    window = StoreCheckWindow(tmp_path / "nope.db")
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.finished, timeout=60_000) as signal:
        window.start_check()
    assert signal.args[0].status == "damaged" and "does not exist" in window.text.toPlainText()
    assert not (tmp_path / "nope.db").exists()


def test_the_window_shows_what_the_check_is_doing(qtbot: Any, run_async: Any, tmp_path: Path) -> None:
    """A big store's check takes seconds: what the tool says it reads is shown as it goes."""
    from zhi_gui.ui.store_check import run_tool

    store = tmp_path / "s.db"
    make_store(run_async, store, values=300)
    said: list[str] = []
    result = run_async(run_tool("--check", str(store), progress=said.append))
    assert result.status == "intact" and "progress" not in result.report
    assert said[0] == "SQLite's check of every page" and "reading changes" in said
    window = show_store_check(None, store)
    qtbot.addWidget(window)
    shown: list[str] = []
    qtbot.waitUntil(lambda: shown.append(window.summary.text()) or not window.busy, timeout=60_000)
    assert any("Close stops it" in text for text in shown)
    assert "No damage found" in window.summary.text()
