"""Entry point of the zhi-store-sqlite plugin: ``python -m zhi_gui.stores.sqlite``.

Run by a host it serves the store. Run by hand it offers two maintenance
commands that never change the given file:

- ``--check FILE [--passphrase-file F]``: report damage; exit 0 when none was
  found, 1 when the file is damaged (or missing), 2 on a usage error.
- ``--recover FILE NEWFILE [--passphrase-file F]``: copy everything intact
  into NEWFILE (which must not exist) and print what was lost; exit 0 when
  nothing was lost, 1 when something was, 2 on error.
"""

from __future__ import annotations

import sys
from pathlib import Path


def _cli(argv: list[str]) -> int:
    import argparse  # here: the plugin run by a host never parses arguments, and waits less for its handshake

    from zhi_gui.core.errors import ZhiError
    from zhi_gui.stores.sqlite import PROGRESS_PREFIX
    from zhi_gui.stores.sqlite.check import check, recover

    parser = argparse.ArgumentParser(prog="zhi-store-sqlite", description="Check or recover a zhi-gui SQLite store "
                                     "file. Without these options the program is a zhi store plugin.")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--check", metavar="FILE", help="report damage; never changes the file")
    group.add_argument("--recover", nargs=2, metavar=("FILE", "NEWFILE"),
                       help="copy everything intact into a new store file and report what was lost")
    parser.add_argument("--passphrase-file", metavar="F",
                        help="passphrase of an encrypted store (one trailing newline is dropped), to also check "
                             "every encrypted row's authentication")
    parser.add_argument("--progress", action="store_true",
                        help=f"say on stderr what is being checked as it goes (lines starting {PROGRESS_PREFIX!r})")
    args = parser.parse_args(argv)

    def progress(text: str) -> None:
        if args.progress:
            print(PROGRESS_PREFIX + text, file=sys.stderr, flush=True)
    passphrase = None
    if args.passphrase_file:
        data = Path(args.passphrase_file).expanduser().read_bytes()
        passphrase = data[:-2] if data.endswith(b"\r\n") else data[:-1] if data.endswith(b"\n") else data
    try:
        if args.check:
            report = check(Path(args.check).expanduser().absolute(), passphrase, progress)
        else:
            source, target = (Path(p).expanduser().absolute() for p in args.recover)
            report = recover(source, target, passphrase, progress)
    except (ZhiError, OSError) as exc:
        print(f"zhi-store-sqlite: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    print(report.text())
    return 1 if report.damaged else 0


def main() -> None:
    if any(arg in ("--check", "--recover", "-h", "--help") for arg in sys.argv[1:]):
        raise SystemExit(_cli(sys.argv[1:]))
    from zhi_gui.plugin import lean_start

    lean_start.begin()  # before the server and the store are imported: the host waits for the handshake
    from zhi_gui.plugin.server import serve
    from zhi_gui.stores.sqlite.store import SqliteStore

    # Served, the store checks its file's pages beside its work, not before the handshake.
    serve(lambda options: SqliteStore(options, check_beside=True), name="zhi-store-sqlite")


if __name__ == "__main__":
    main()
