"""zhi-store-sqlite benchmarks, against the real plugin process (launched by
zhi_gui.plugin.launcher, every call over gRPC).

Run: .venv/bin/python benchmarks/bench_sqlite.py [--values N] [--versions N] [--keep]

Measures, on a fresh store file in a temp directory:
  1. put 100,000 values in ONE version (one WriteValues request);
  2. stream the full tree (extension StreamTree, 2,000 entries a chunk), and
     GetValues with empty paths for comparison;
  3. 1,000 versions x 10 changed values, each saved with CAS (cas_version =
     head AND every entry carrying the version it was read at): latency per
     save (p50 / p95 / max) and in total;
  4. the store file's size after those 1,000 versions, against one snapshot of
     the tree (the same values in a single SQLite table, VACUUMed) plus the
     changes;
  5. one save of 1,000 edited values with CAS in one version (the GUI's "save
     1,000 staged edits"), total;
  6. InitEncryption, then RotateEncryption (two scrypt derivations + every row
     re-encrypted under a new data key in one transaction).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.pop("PYTHONUNBUFFERED", None)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhi_gui.core.model import Entry
from zhi_gui.plugin.launcher import launch_store

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugins" / "zhi-store-sqlite" / "zhi-store-sqlite"
TREE = "bench"


def make_tree(n: int) -> list[Entry]:
    entries = []
    for i in range(n):
        path = f"service-{i // 1000:03d}/group-{(i // 50) % 20:02d}/key-{i % 50:02d}"
        value = f'"value {i:06d} of the benchmark tree"' if i % 3 else str(i)
        meta = b'{"core.type": "string"}' if i % 10 == 0 else b""
        entries.append(Entry(path, value.encode(), meta))
    return entries


def snapshot_size(entries: list[Entry], path: Path) -> int:
    """One copy of the tree in SQLite: one (path, value, metadata) table, VACUUMed."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (path TEXT PRIMARY KEY, value BLOB, meta BLOB) WITHOUT ROWID")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", [(e.path, e.value_json, e.metadata_json) for e in entries])
    conn.commit()
    conn.execute("VACUUM")
    conn.close()
    return path.stat().st_size


def file_size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


async def run(n_values: int, n_versions: int, per_version: int, workdir: Path) -> list[tuple[str, str, str]]:
    db = workdir / "bench.zhistore.sqlite"
    rows: list[tuple[str, str, str]] = []
    tree = make_tree(n_values)
    rng = random.Random(1)

    plugin = await launch_store(PLUGIN, options={"path": str(db), "create": True}, call_timeout=120.0)
    async with plugin:
        store = plugin.store
        t0 = time.perf_counter()
        head = await store.write_values(TREE, tree, message="initial import")
        rows.append((f"put {n_values:,} values in one version (WriteValues)", ms(time.perf_counter() - t0), ""))
        assert len(await store.list_tree_versions(TREE)) == 1

        t0 = time.perf_counter()
        count = 0
        async for chunk in store.stream_tree(TREE):
            count += len(chunk.entries)
        assert count == n_values
        rows.append((f"stream the full tree ({count:,} values, StreamTree)", ms(time.perf_counter() - t0), ""))
        t0 = time.perf_counter()
        got = await store.get_values(TREE, [])
        assert len(got) == n_values
        rows.append(("  for comparison: GetValues with empty paths", ms(time.perf_counter() - t0), ""))

        versions = {e.path: head for e in tree}
        paths = list(versions)
        latencies = []
        t_all = time.perf_counter()
        for k in range(n_versions):
            picked = rng.sample(paths, per_version)
            edits = [Entry(p, f'"edit {k}-{j}"'.encode(), b"", versions[p]) for j, p in enumerate(picked)]
            t0 = time.perf_counter()
            head = await store.write_values(TREE, edits, cas_version=head)
            latencies.append(time.perf_counter() - t0)
            for p in picked:
                versions[p] = head
        total = time.perf_counter() - t_all
        latencies.sort()
        p50 = statistics.median(latencies)
        p95 = latencies[int(len(latencies) * 0.95) - 1]
        rows.append((f"{n_versions:,} CAS saves of {per_version} values each (one version each)",
                     f"p50 {ms(p50)}, p95 {ms(p95)}, max {ms(latencies[-1])} per save; {ms(total)} total",
                     "<= 200 ms per save: " + ("met" if p95 <= 0.2 else "MISSED")))

    # the plugin is closed: SQLite has checkpointed the WAL into the file
    size = file_size(db)
    final = {e.path: e for e in tree}
    snap = snapshot_size(list(final.values()), workdir / "snapshot.sqlite")
    changes = n_versions * per_version * (len(tree[0].path) + len(b'"edit 999-9"'))
    limit = 2 * snap + changes
    rows.append((f"store file after {n_versions:,} versions x {per_version} changes", mb(size),
                 f"<= 2 x snapshot + changes = {mb(limit)}: " + ("met" if size <= limit else "MISSED")))
    rows.append(("  one snapshot of the tree (one SQLite table, VACUUMed)", mb(snap), f"ratio {size / snap:.2f}x"))
    rows.append(("  the changes (raw path + value bytes)", mb(changes), ""))

    plugin = await launch_store(PLUGIN, options={"path": str(db), "create": True}, call_timeout=120.0)
    async with plugin:
        store = plugin.store
        current = {e.path: e.version for e in await store.get_values(TREE, [])}
        picked = rng.sample(list(current), 1000)
        edits = [Entry(p, f'"bulk edit {j}"'.encode(), b"", current[p]) for j, p in enumerate(picked)]
        head = (await store.list_tree_versions(TREE))[0]
        t0 = time.perf_counter()
        await store.write_values(TREE, edits, cas_version=head, message="1,000 staged edits")
        took = time.perf_counter() - t0
        rows.append(("save 1,000 edited values with CAS in one version (total)", ms(took),
                     "<= 200 ms total: " + ("met" if took <= 0.2 else "MISSED")))

        t0 = time.perf_counter()
        await store.init_encryption(b"benchmark passphrase one")
        rows.append(("InitEncryption (scrypt + encrypt every row)", ms(time.perf_counter() - t0), ""))
        n_rows = _value_rows(db)
        t0 = time.perf_counter()
        await store.rotate_encryption(b"benchmark passphrase one", b"benchmark passphrase two")
        took = time.perf_counter() - t0
        rows.append((f"RotateEncryption over {n_values:,} values ({n_rows:,} rows with history)", ms(took),
                     "<= 10 s: " + ("met" if took <= 10 else "MISSED")))
        t0 = time.perf_counter()
        count = 0
        async for chunk in store.stream_tree(TREE):
            count += len(chunk.entries)
        rows.append((f"stream the full tree, encrypted ({count:,} values)", ms(time.perf_counter() - t0), ""))
    return rows


def _value_rows(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM changes WHERE value IS NOT NULL").fetchone()[0])
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--values", type=int, default=100_000)
    parser.add_argument("--versions", type=int, default=1_000)
    parser.add_argument("--per-version", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the store file and print where it is")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="zhi-bench-sqlite-"))
    try:
        rows = asyncio.run(run(args.values, args.versions, args.per_version, workdir))
    finally:
        if args.keep:
            print(f"store kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    width = max(len(r[0]) for r in rows)
    value_width = max(len(r[1]) for r in rows)
    print(f"\nzhi-store-sqlite, real plugin process over gRPC ({os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version})")
    print(f"{'measurement':<{width}}  {'result':<{value_width}}  target")
    print("-" * (width + value_width + 30))
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {target}")


if __name__ == "__main__":
    main()
