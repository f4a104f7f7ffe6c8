"""``zhi-gui export`` and ``zhi-gui import``: the same store options as opening a
store in the window (``zhi_gui.app``), no Qt. Exit status: 0 done (or nothing to
do), 1 refused (bad file, bad option, store error), 2 usage, 3 conflict (the store
changed since the preview: nothing written)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import Any

from zhi_gui.app import add_store_arguments, resolve_target
from zhi_gui.core.errors import CASConflict, ZhiError
from zhi_gui.core.user_errors import describe
from zhi_gui.session import StoreSession, StoreTarget
from zhi_gui.transfer.formats import Format, Imported, Refused, decode, format_for
from zhi_gui.transfer.transfer import apply_import, export_tree, preview_import

COMMANDS = ("export", "import")
EXIT_REFUSED, EXIT_CONFLICT = 1, 3


def _parser(command: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"zhi-gui {command}", description=__doc__)
    add_store_arguments(parser, "tree to " + ("export" if command == "export" else "import into")
                        + " (default: the workspace's tree, else the store's first tree for export)")
    parser.add_argument("--format", choices=[f.value for f in Format],
                        help="file format (default: from the file name; x.zhi.json is zhi's store file format)")
    parser.add_argument("--prefix", default="", metavar="PATH",
                        help="only this subtree; paths in the file are relative to it")
    if command == "export":
        parser.add_argument("file", nargs="?", default="-", help="where to write (default: standard output)")
        parser.add_argument("--version", dest="tree_version", default="", metavar="ID",
                            help="export this older tree version instead of the head")
        parser.add_argument("--include-secrets", action="store_true",
                            help="write secret values in clear (default: masked)")
    else:
        parser.add_argument("file", help="file to import ('-': standard input)")
        parser.add_argument("--replace", action="store_true",
                            help="also delete values (below --prefix) that the file does not have")
        parser.add_argument("--dry-run", action="store_true", help="print the preview, write nothing")
        parser.add_argument("--message", "-m", default="", help="save message (default: 'import FILE')")
        parser.add_argument("--show-unchanged", action="store_true", help="list unchanged values too")
    parser.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    return parser


def _format(args: argparse.Namespace) -> Format:
    if args.format:
        return Format(args.format)
    if args.file == "-":
        raise ZhiError("give --format when using standard input or output")
    return format_for(args.file)


async def _open(target: StoreTarget, tree: str) -> StoreSession:
    session = StoreSession()
    session.notice.connect(lambda text: print(f"note: {text}", file=sys.stderr))
    await session.open(target)
    if tree and session.tree_id != tree:  # open falls back to another tree when this one does not exist yet
        await session.load_tree(tree)
    return session


async def _read_export(args: argparse.Namespace, target: StoreTarget, fmt: Format) -> tuple[bytes, str]:
    session = await _open(target, target.tree_id)
    try:
        if session.lists_keys and session.trees and session.tree_id not in session.trees:
            raise ZhiError(f"the store has no tree {session.tree_id!r} (it has: {', '.join(session.trees)})")
        data = await export_tree(session, fmt, prefix=args.prefix, version=args.tree_version,
                                 include_secrets=args.include_secrets)
        return data, session.tree_id
    finally:
        await session.close()


def _export(args: argparse.Namespace, target: StoreTarget) -> int:
    fmt = _format(args)
    data, tree = asyncio.run(_read_export(args, target, fmt))
    if args.file == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        Path(args.file).write_bytes(data)
    where = f"{tree}" + (f" below {args.prefix}" if args.prefix else "") + (
        f" at version {args.tree_version}" if args.tree_version else "")
    print(f"exported tree {where} as {fmt.value}" + (f" to {args.file}" if args.file != "-" else ""),
          file=sys.stderr)
    return 0


def _import(args: argparse.Namespace, target: StoreTarget) -> int:
    fmt = _format(args)
    if not target.tree_id:
        raise ZhiError("say which tree to import into: --tree NAME")
    data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    imported = decode(data, fmt)  # refused before the store is even started
    return asyncio.run(_preview_and_apply(args, target, imported))


async def _preview_and_apply(args: argparse.Namespace, target: StoreTarget, imported: dict[str, Imported]) -> int:
    session = await _open(target, target.tree_id)
    try:
        preview = await preview_import(session, imported, prefix=args.prefix, replace=args.replace)
        for line in preview.lines(show_unchanged=args.show_unchanged):
            print(line)
        head = f" (head {preview.head_version})" if preview.head_version else ""
        print(f"preview for tree {preview.tree_id}{head}: {preview.summary()}")
        if args.dry_run:
            print("dry run: nothing written")
            return 0
        if not preview.writes:
            print("nothing to write")
            return 0
        if not session.has_feature("WriteValues") and any(c.new is None for c in preview.writes) and any(
                c.new is not None for c in preview.writes):
            print("note: a plain zhi store writes values and deletions in separate calls: the import is not one "
                  "version there", file=sys.stderr)
        message = args.message or f"import {Path(args.file).name if args.file != '-' else 'from standard input'}"
        outcome = await apply_import(session, preview, message)
        version = f" as version {outcome.version}" if outcome.version else ""
        print(f"saved {outcome.count} change(s){version}")
        return 0
    finally:
        await session.close()


def main(argv: list[str]) -> int:
    """``argv`` starts with the command (export or import)."""
    command, rest = argv[0], argv[1:]
    args = _parser(command).parse_args(rest)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")
    if command == "export" and args.include_secrets:
        print("warning: --include-secrets writes secret values in clear text; keep the file safe",
              file=sys.stderr)
    try:
        target: Any = resolve_target(args)
        return _export(args, target) if command == "export" else _import(args, target)
    except CASConflict as exc:  # ImportConflict, or a store that kept changing during the save
        print(f"zhi-gui {command}: conflict: {exc}", file=sys.stderr)
        return EXIT_CONFLICT
    except ZhiError as exc:
        print(f"zhi-gui {command}: {exc if isinstance(exc, Refused) else describe(exc)}", file=sys.stderr)
        return EXIT_REFUSED
    except OSError as exc:
        print(f"zhi-gui {command}: {exc}", file=sys.stderr)
        return EXIT_REFUSED
