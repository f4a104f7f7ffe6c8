"""Import preview benchmark (Qt-free transfer layer).

Run: .venv/bin/python benchmarks/bench_transfer.py [--runs N] [--no-save]

Reports min / median over N runs of:
  * reading a 10,000-change YAML and JSON file (5,000 updates, 5,000 additions; decode);
  * the preview of those 10,000 changes against a 100,000-value tree (target <= 1 s for
    decode + preview);
  * Compare's "take this side" for the whole tree when 10,000 of 100,000 values differ;
and, once, the save of that preview through a real sqlite plugin process via the session
(apply_import): its time and how many tree versions it made (must be 1).
Exits non-zero when the preview misses 1 s or the save is not exactly one version.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import timed
from zhi_gui.core.compare import take_plan
from zhi_gui.core.jsonvalues import encode_value
from zhi_gui.core.model import Entry
from zhi_gui.transfer import Format, apply_import, compute_preview, decode, encode, preview_import

N_TREE, N_CHANGES = 100_000, 10_000
TARGET_MS = 1000.0
SQLITE = Path(__file__).resolve().parent.parent / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"


def tree() -> dict[str, Entry]:
    return {f"svc{i // 100}/key{i % 100}": Entry(f"svc{i // 100}/key{i % 100}", encode_value(i), b"")
            for i in range(N_TREE)}


def change_file(base: dict[str, Entry], fmt: Format) -> bytes:
    changed = {p: e._replace(value_json=encode_value(f"new-{p}")) for p, e in list(base.items())[:N_CHANGES // 2]}
    added = {f"new{i // 100}/key{i % 100}": Entry(f"new{i // 100}/key{i % 100}", encode_value(i))
             for i in range(N_CHANGES // 2)}
    return encode(changed | added, fmt)




async def save_once(base: dict[str, Entry], data: bytes) -> tuple[float, float, int]:
    from zhi_gui.session import StoreSession, StoreTarget

    root = Path(tempfile.mkdtemp(prefix="zb-", dir="/tmp"))
    session = StoreSession()
    await session.open(StoreTarget(SQLITE, {"path": str(root / "b.sqlite"), "create": True}, "main"))
    try:
        await session.create_tree("main", list(base.values()))
        await session.load_tree("main")
        before = len(await session.store.list_tree_versions("main"))
        start = time.perf_counter()
        preview = await preview_import(session, decode(data, Format.JSON))
        preview_ms = (time.perf_counter() - start) * 1000
        start = time.perf_counter()
        await apply_import(session, preview, "bench import")
        save_ms = (time.perf_counter() - start) * 1000
        made = len(await session.store.list_tree_versions("main")) - before
        return preview_ms, save_ms, made
    finally:
        await session.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    base = tree()
    rows = []
    for fmt in (Format.JSON, Format.YAML):
        data = change_file(base, fmt)
        rows.append((f"decode 10,000-change {fmt.value} file", *timed(lambda d=data, f=fmt: decode(d, f), args.runs)))
        imported = decode(data, fmt)
        rows.append((f"preview vs 100,000 values ({fmt.value})",
                     *timed(lambda i=imported: compute_preview(base, i), args.runs)))
        both = timed(lambda d=data, f=fmt: compute_preview(base, decode(d, f)), args.runs)
        rows.append((f"decode + preview ({fmt.value}, target <= {TARGET_MS:.0f} ms)", *both))
    # Compare: taking a whole side that differs in 10,000 values into a 100,000-value tree.
    other = dict(base)
    other.update({p: Entry(p, i.value_json, i.metadata_json or b"") for p, i in decode(change_file(base, Format.JSON),
                                                                                        Format.JSON).items()})
    rows.append(("compare: take a side (10,000 differ, 100,000 values)",
                 *timed(lambda: take_plan(other, base, "", subtree=True), args.runs)))
    print(f"{'measure':<52} {'min ms':>9} {'median ms':>10}")
    for name, low, mid in rows:
        print(f"{name:<52} {low:>9.1f} {mid:>10.1f}")
    problems = [f"{name}: median {mid:.0f} ms > {TARGET_MS:.0f} ms" for name, _low, mid in rows
                if name.startswith("decode + preview") and mid > TARGET_MS]
    if not args.no_save:
        preview_ms, save_ms, made = asyncio.run(save_once(base, change_file(base, Format.JSON)))
        print(f"{'session: decode + preview (sqlite, json)':<52} {preview_ms:>9.1f}")
        print(f"{'session: apply_import (one CAS save)':<52} {save_ms:>9.1f}")
        print(f"tree versions made by the import: {made}")
        if made != 1:
            problems.append(f"the import made {made} tree versions, not 1")
        if preview_ms > TARGET_MS:
            problems.append(f"session preview {preview_ms:.0f} ms > {TARGET_MS:.0f} ms")
    # Exit status for scripts: non-zero when a goal is missed.
    print("goals met" if not problems else "GOALS MISSED: " + "; ".join(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
