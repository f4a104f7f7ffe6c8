"""Composition root: command line -> QApplication -> main window, painted -> qasync
loop -> the store to open; staged shutdown (plugin stopped before the loop ends).

The first window paints before asyncio, qasync and the plugin layer are imported: the
paint needs none of them (issue 14, cold start). Modules the window is built from import
those where they are used."""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from zhi_gui import __version__
from zhi_gui.core.errors import LaunchError, ZhiError

# Plugin discovery and workspaces (which read YAML manifests) load when a store is looked up
# by name, not at import: the window paints first (issue 14, cold start).
if TYPE_CHECKING:
    from zhi_gui.services.keyring_service import PassphraseVault
    from zhi_gui.services.settings import Settings
    from zhi_gui.session import StoreSession
    from zhi_gui.ui.main_window import MainWindow

log = logging.getLogger("zhi_gui")
DEFAULT_STORE_NAME = "default.zhistore.sqlite"


def default_store_path() -> Path:
    return Path(platformdirs.user_data_dir("zhi-gui")) / DEFAULT_STORE_NAME


def add_store_arguments(parser: argparse.ArgumentParser, tree_help: str = "tree id to show") -> None:
    """The options that say which store to open (the window and the export/import commands)."""
    parser.add_argument("--plugin", help="store plugin to open: a path, or a name found by discovery (json, sqlite, "
                                         "memory, zhi-store-vault, ...)")
    parser.add_argument("--option", "-o", action="append", default=[], metavar="KEY=VALUE",
                        help="a plugin option (JSON value or plain string); repeatable")
    parser.add_argument("--options", metavar="JSON", help="all plugin options as one JSON object")
    parser.add_argument("--tree", default="", help=tree_help)
    parser.add_argument("--workspace", metavar="DIR", help="open the store of a zhi workspace (zhi.yaml)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="zhi-gui", description="Browse and edit zhi configuration stores. Without options, opens the embedded "
                                    f"default store ({default_store_path()}).")
    parser.add_argument("--version", action="version", version=f"zhi-gui {__version__}")
    add_store_arguments(parser)
    parser.add_argument("--sample", action="store_true", help="fill the tree 'sample' with a realistic sample tree")
    parser.add_argument("--theme", choices=["system", "light", "dark"], help="default: the saved setting (system)")
    parser.add_argument("--screenshot", metavar="PNG",
                        help="save a screenshot of the window once loaded, then quit; a store waiting for a passphrase "
                             "or login (or not open after 20 s) is pictured as it is, with a warning, its dialog "
                             "cancelled (exit status 0)")
    parser.add_argument("--quit-after", type=float, metavar="SECONDS",
                        help="quit this many seconds after the store has opened (at once, with a warning, when it "
                             "waits for a passphrase or login, or is not open after 20 s)")
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    return parser.parse_args(argv)


def plugin_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    if args.options:
        loaded = json.loads(args.options)
        if not isinstance(loaded, dict):
            raise SystemExit("zhi-gui: --options must be a JSON object")
        options.update(loaded)
    for item in args.option:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"zhi-gui: --option {item!r} must look like KEY=VALUE")
        try:
            options[key] = json.loads(raw)
        except ValueError:
            options[key] = raw
    return options


def names_a_store(args: argparse.Namespace) -> bool:
    """Whether the command line says which store to open (else: the embedded default)."""
    return bool(args.plugin or args.workspace)


def resolve_target(args: argparse.Namespace) -> Any:
    from zhi_gui.plugin.discovery import find_plugin
    from zhi_gui.plugin.workspace import load_workspace, workspace_store
    from zhi_gui.session import StoreTarget

    options = plugin_options(args)
    if args.workspace:
        ws = load_workspace(Path(args.workspace))
        store = workspace_store(ws, options)
        found = find_plugin(store.plugin_name, workspace=ws)
        if found is None:
            raise SystemExit(f"zhi-gui: the workspace's store plugin {ws.store_label!r} was not found")
        return StoreTarget(found.path, store.options, args.tree or ws.default_tree_id,
                           f"{found.name} ({ws.root.name})")
    if args.plugin:
        candidate = Path(args.plugin).expanduser()
        if candidate.exists() or "/" in args.plugin:
            return StoreTarget(candidate, options, args.tree)
        found = find_plugin(args.plugin)
        if found is None:
            raise SystemExit(f"zhi-gui: no store plugin named {args.plugin!r} (looked in the shipped plugins, "
                             "~/.zhi/plugins and workspace directories)")
        return StoreTarget(found.path, options, args.tree, found.name)
    sqlite = find_plugin("sqlite")
    if sqlite is None:
        raise SystemExit("zhi-gui: the embedded sqlite store plugin is missing from this installation")
    path = default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # The embedded default is created on first start without asking (it is the product's home).
    return StoreTarget(sqlite.path, {"path": str(path), "create": True, **options}, args.tree, "embedded store")


def load_for_opening(args: argparse.Namespace, named_target: Any) -> Any:
    """The store to open (``named_target``, else the embedded default, found by discovery),
    with the plugin layer loaded: run in a worker thread while the window completes."""
    from zhi_gui.plugin.preload import load_plugin_layer

    target = named_target if named_target is not None else resolve_target(args)
    load_plugin_layer()
    return target


def build_window(settings: Settings | None = None, state_root: Path | None = None, *,
                 vault: PassphraseVault | None = None, session: StoreSession | None = None,
                 paint_first: bool = False) -> MainWindow:
    """The main window with its panels, composed in one place (the app and the tests):
    history (versions, diff, rollback) and security (encryption, keyring, login).

    ``paint_first`` (the app's first window): only what the first paint shows is built, the
    window with its docks, whose Value, Plugin and History panels show their empty pages;
    :func:`complete_window` makes them and adds the rest once the window is on screen. The
    result is the same window, menus in the same order."""
    from zhi_gui.ui.history import install_history
    from zhi_gui.ui.main_window import MainWindow

    # the app's first window makes its session once painted: the paint needs none of its modules
    window = MainWindow(session=session, settings=settings, state_root=state_root, session_later=paint_first,
                        panels_later=paint_first)
    install_history(window, panel_later=paint_first)
    window.finish_layout()  # every dock is in: the default layout, then the remembered one
    if not paint_first:
        complete_window(window, settings, vault)
    return window


def complete_window(window: MainWindow, settings: Settings | None = None,
                    vault: PassphraseVault | None = None) -> None:
    """What the first paint does not show: the window's session, menu entries and their
    dialogs, the store's lock state and keyring, marks of keys changed elsewhere, names for
    screen readers."""
    for step in completion_steps(window, settings, vault):
        step()


def completion_steps(window: MainWindow, settings: Settings | None = None,
                     vault: PassphraseVault | None = None) -> list[Callable[[], object]]:
    """:func:`complete_window` as steps in order, each under 16 ms of CPU on this machine
    (imports included: each step imports what it uses): the app runs one per turn of the
    event loop, so the painted window keeps answering while it is completed (all at once
    it was one turn of 45-50 ms, 90 ms with its imports)."""

    def made(part: str) -> Callable[[], object]:
        # a part the window makes on first use (session, panels): made now, if not yet
        return lambda: getattr(window, part)

    def security() -> None:
        from zhi_gui.services.settings import IDLE_LOCK_MINUTES, LOCK_ON_SCREEN_LOCK
        from zhi_gui.ui.security import install_security

        # passphrases in the OS keyring unless a vault is given; lock after idle time (settings
        # only: tests and scripts without settings never lock under their feet)
        idle = settings.get(IDLE_LOCK_MINUTES) if settings is not None else 0
        screen_lock = settings.get(LOCK_ON_SCREEN_LOCK) if settings is not None else False
        install_security(window, vault, idle, screen_lock)

    def store_menus() -> None:
        from zhi_gui.ui.store_actions import install_compare, install_subtree_actions, install_transfer
        from zhi_gui.ui.store_check import install_store_check

        install_store_check(window)  # Store > Check store... for sqlite files
        install_transfer(window)  # File > Import... / Export...
        install_compare(window)  # Store > Compare...: any two sides, take a side into staged edits
        install_subtree_actions(window)  # Copy or move subtree..., Store > Rename tree...

    def theme_menu() -> None:
        from zhi_gui.ui.theme_menu import install_theme_menu

        install_theme_menu(window, settings)  # View > Theme

    def diff_view() -> None:  # the Diff dock's view (not built for the first paint), named below
        if window.history_panel is not None:
            window.history_panel.build_diff_view()

    def change_marks() -> None:  # keys changed elsewhere: bold with a dot
        from zhi_gui.ui.change_marks import install_change_marks

        window.change_marks = install_change_marks(window)

    def accessibility() -> None:  # names for screen readers, Tab in reading order
        from zhi_gui.ui.accessibility import install_accessibility

        install_accessibility(window)

    def load(name: str) -> Callable[[], object]:
        return lambda: importlib.import_module(name)

    def qwidget_enums() -> None:
        # PySide makes QWidget's 78 Python enums when Qt first hands a QWidget back (about
        # 20 ms); the Diff view's build did, so it is a turn of its own.
        window.tree_view.viewport()

    def qstyle_enums() -> None:
        # ... and QStyle's (its pixel metrics, hints, elements: about 10 ms) when QStyle is
        # first used from Python: the Diff view's build asks it for the scroll bar's width.
        from PySide6.QtWidgets import QStyle

        QStyle.PixelMetric  # noqa: B018

    return [
        # the session first: the panels below connect to it
        load("zhi_gui.core.model"), load("zhi_gui.session"), made("session"),
        # the History panel's modules, then the panel with its menu entries (before the steps
        # below add theirs to the same menus)
        load("zhi_gui.ui.history.versions_model"), load("zhi_gui.ui.history.key_history_view"),
        load("zhi_gui.ui.history.panel"), made("history_panel"),
        # the value editor's modules, then the editor (its modules were a 60M-instruction turn)
        load("zhi_gui.core.labels"), load("zhi_gui.ui.editors.base"), load("zhi_gui.ui.editors.metadata"),
        load("zhi_gui.ui.editors.value_editor"), made("editor"),
        load("zhi_gui.ui.plugin_view"), made("plugin_view"),
        load("zhi_gui.services.keyring_service"), load("zhi_gui.ui.security.widgets"),
        load("zhi_gui.ui.security.passphrase_dialogs"), load("zhi_gui.ui.security.encryption"),
        load("zhi_gui.ui.security.login"), load("zhi_gui.ui.security.screen_lock"),
        load("zhi_gui.ui.security.controller"), security,
        load("zhi_gui.ui.store_actions"), load("zhi_gui.ui.store_check"), store_menus, theme_menu,
        # the Diff view's modules, then the view (all at once: a 40 ms turn)
        load("zhi_gui.core.diff"), load("zhi_gui.core.textdiff"), load("zhi_gui.ui.history.value_diff"),
        load("zhi_gui.ui.history.diff_view"),
        qwidget_enums, qstyle_enums, diff_view,
        change_marks,
        load("zhi_gui.ui.accessibility"), accessibility,
    ]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # A store named on the command line is looked up before any window opens, so a typo ends
    # here with a message. The embedded default is looked up once the window has painted:
    # discovery reads every plugin's manifest, which the first paint does not need.
    plugin_options(args)  # malformed --option/--options end here in both cases
    named_target = resolve_target(args) if names_a_store(args) else None

    from zhi_gui.services.settings import THEME, Settings
    from zhi_gui.ui.main_window import FIRST_PAINT_WAIT
    from zhi_gui.ui.qt_loop import qt_application, qt_event_loop, wait_for
    from zhi_gui.ui.theme import apply_theme, icon
    from zhi_gui.ui.windows import WindowRegistry

    app = qt_application(sys.argv[:1])
    app.setApplicationName("zhi-gui")
    app.setOrganizationName("zhi-gui")
    app.setDesktopFileName("zhi-gui")
    app.setWindowIcon(icon("zhi-gui"))
    app.setQuitOnLastWindowClosed(False)  # the window stops its plugin first, then says "closed"
    settings = Settings()
    for warning in settings.warnings:
        log.warning("settings: %s", warning)
    apply_theme(app, args.theme or settings.get(THEME).value)
    # Several windows, each with its own store; the app ends when the last one has closed.
    registry = WindowRegistry(lambda: build_window(settings), settings)
    window = registry.adopt(build_window(settings, paint_first=True))
    window.show()
    # Qt paints the window now, with Qt's own loop; the asyncio loop and what runs on it
    # (tasks, the session's plugin code) are imported and made once it is on screen.
    wait_for(lambda: window.painted, window.firstPainted, int(FIRST_PAINT_WAIT * 1000))

    import asyncio

    from zhi_gui.ui.tasks import install_global_handlers

    loop, executor = qt_event_loop(app)
    install_global_handlers(loop, registry.show_error)
    done = asyncio.Event()
    registry.allClosed.connect(done.set)
    app.aboutToQuit.connect(done.set)

    async def open_the_store(loading: asyncio.Future[Any]) -> None:
        try:
            target = await loading
        except SystemExit as exc:  # the embedded plugin is missing: an installation problem
            window.show_error("Opening the embedded store", LaunchError(str(exc.code).removeprefix("zhi-gui: ")))
        else:
            try:
                await window.open_store(target)
                if args.sample:
                    await window.fill_sample()
            except ZhiError as exc:
                window.show_error(f"Opening {target.name}", exc)

    async def startup() -> None:
        # The plugin is spawned once the window is on screen: its start (a process, a
        # handshake, maybe a keyring look-up) never holds back the first paint.
        await window.until_painted()
        # The session's modules are Qt-free: a worker imports them while the loop turns (the
        # store model's 14 data classes alone were a 10-16 ms turn on the UI thread).
        await loop.run_in_executor(executor, importlib.import_module, "zhi_gui.session")
        # The window is completed a step per turn before the store opens (it sets the unlock
        # and login hooks); then discovery (it reads every plugin's manifest) and the plugin
        # layer (gRPC and the generated modules) load in a worker. One after the other, not
        # side by side: both are Python and take turns on the GIL, so together they finished
        # no sooner, and each step's turn waited for the worker (first-open stalls of 25-35
        # ms, now about 10: benchmarks/bench_first_open.py).
        for step in completion_steps(window, settings):
            await asyncio.sleep(0)
            step()
        await asyncio.sleep(0)
        loading = loop.run_in_executor(executor, load_for_opening, args, named_target)
        from zhi_gui.ui.screenshot import finish_unattended

        await asyncio.wait([loading])
        # What start-up loaded (modules, classes, the window) lives as long as the app: out
        # of the collector's scans. Else the first full collection walked all of it on the
        # UI thread, a 25-30 ms turn while the store opened.
        gc.freeze()
        # --screenshot / --quit-after end even when the store waits for a passphrase nobody types
        await finish_unattended(window, open_the_store(loading), screenshot=args.screenshot,
                                quit_after=args.quit_after, quit_app=registry.quit,
                                expand=window.expand_for_screenshot)

    async def run() -> None:
        window.run(startup(), "Opening the store")
        await done.wait()
        for each in list(registry.windows) or [window]:
            each.task_runner.cancel_all()
            await each.session.close()

    with loop:
        try:
            loop.run_until_complete(run())
        except RuntimeError as exc:  # the loop stopped because Qt quit: fine
            log.debug("event loop ended: %s", exc)
    executor.shutdown(wait=False, cancel_futures=True)
    return 0
