"""Diff engine benchmarks (Qt-free core).

Run: .venv/bin/python benchmarks/bench_diff.py [--runs N]

Reports min / median over N runs of:
  * the core tree diff of two 100,000-value versions with 1% changed (target <= 300 ms):
    a mix of value changes, metadata-only changes, type changes, additions and removals;
    the second version is made of fresh Entry objects and byte strings, as a second
    ReadTree would return;
  * the same diff plus the lazy tree index a diff view asks for first (all paths in tree
    order and the root's children);
  * the side-by-side text diff of large values: a ~1 MB pretty-printed JSON object with
    1% of its fields changed, a 50,000-element array, and a 5 MB string;
  * the history of one key over 1,000 versions.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zhi_gui.core.diff import TreeDiff, diff_trees
from zhi_gui.core.key_history import key_history
from zhi_gui.core.model import Entry
from zhi_gui.core.textdiff import diff_entries

N_VALUES = 100_000
CHANGED_FRACTION = 0.01
TREE_TARGET_MS = 300.0
T = TypeVar("T")


def fresh(data: bytes) -> bytes:
    """A new bytes object with the same content (no identity shortcut)."""
    return bytes(bytearray(data))


def make_value(rng: random.Random, i: int) -> tuple[bytes, bytes]:
    kind = i % 6
    if kind == 0:
        value: Any = i
    elif kind == 1:
        value = f"value-{i}-{rng.random():.6f}"
    elif kind == 2:
        value = {"host": f"h{i}.example.org", "port": 1000 + i % 5000, "tls": i % 2 == 0}
    elif kind == 3:
        value = [f"item{j}" for j in range(i % 7)]
    elif kind == 4:
        value = rng.random() * 1000
    else:
        value = i % 3 == 0
    labels: dict[str, Any] = {}
    if i % 10 == 0:
        labels["core.description"] = f"setting number {i}"
    if i % 97 == 0:
        labels["ui.password"] = True
    if i % 13 == 0:
        labels["ui.readonly"] = True
    meta = json.dumps(labels, separators=(",", ":")).encode() if labels else b""
    return json.dumps(value, separators=(",", ":")).encode(), meta


def build_versions(seed: int = 1) -> tuple[dict[str, Entry], dict[str, Entry], dict[str, int]]:
    rng = random.Random(seed)
    old: dict[str, Entry] = {}
    for i in range(N_VALUES):
        path = f"svc{i % 50}/group{i % 997}/key{i}"
        value, meta = make_value(rng, i)
        old[path] = Entry(path, value, meta, "1")
    new = {p: Entry(p, fresh(e.value_json), fresh(e.metadata_json), "2") for p, e in old.items()}
    n_changes = int(N_VALUES * CHANGED_FRACTION)
    victims = rng.sample(sorted(old), n_changes)
    mix = {"value": 0, "metadata": 0, "type": 0, "added": 0, "removed": 0}
    for k, path in enumerate(victims):
        entry = new[path]
        what = ("value", "value", "metadata", "type", "added", "removed")[k % 6]
        mix[what] += 1
        if what == "value":
            new[path] = Entry(path, json.dumps(f"changed-{k}").encode(), entry.metadata_json, "2")
        elif what == "metadata":
            new[path] = Entry(path, entry.value_json, b'{"core.description":"edited","ui.hidden":true}', "2")
        elif what == "type":
            new[path] = Entry(path, b"1.5" if entry.value_json != b"1.5" else b"1", entry.metadata_json, "2")
        elif what == "added":
            added = f"{path}/new{k}"
            new[added] = Entry(added, b'"fresh"', b"", "2")
        else:
            del new[path]
    return old, new, mix


def timeit(fn: Callable[[], T], runs: int) -> tuple[float, float, T]:
    times = []
    for _ in range(max(runs, 1)):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return min(times), statistics.median(times), result


def big_object(seed: int, fields: int) -> dict[str, Any]:
    rng = random.Random(seed)
    return {
        f"service-{i:05d}": {
            "enabled": rng.random() < 0.5,
            "endpoint": f"https://s{i}.example.org:{8000 + i % 1000}/api",
            "replicas": rng.randrange(1, 9),
            "tags": ["prod", f"team-{i % 17}"],
        }
        for i in range(fields)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    runs: int = args.runs

    old, new, mix = build_versions()
    rows: list[tuple[str, str, float, float, str]] = []

    best, median, d = timeit(lambda: diff_trees(old, new), runs)
    counts = d.counts
    rows.append(
        (
            "tree diff, 100k values, 1% changed",
            f"+{counts.added} -{counts.removed} ~{counts.changed}",
            best,
            median,
            "PASS" if median <= TREE_TARGET_MS else "FAIL",
        )
    )

    def diff_and_index() -> TreeDiff:
        diff = diff_trees(old, new)
        _ = diff.all_paths
        diff.children("")
        diff.children("", only_changes=True)
        return diff

    best, median, _ = timeit(diff_and_index, runs)
    rows.append(("tree diff + tree index (all paths, root)", "", best, median, ""))

    same = dict(old)
    best, median, _ = timeit(lambda: diff_trees(old, same), runs)
    rows.append(("tree diff, 100k identical Entry objects", "no changes", best, median, ""))

    # --- text diffs of large values -----------------------------------------
    obj = big_object(2, 6_000)
    obj_new = json.loads(json.dumps(obj))
    rng = random.Random(3)
    for key in rng.sample(sorted(obj_new), len(obj_new) // 100):
        obj_new[key]["replicas"] += 1
        obj_new[key]["endpoint"] = obj_new[key]["endpoint"].replace("/api", "/v2/api")
    left = Entry("big", json.dumps(obj, separators=(",", ":")).encode())
    right = Entry("big", json.dumps(obj_new, separators=(",", ":")).encode())
    best, median, t = timeit(lambda: diff_entries(left, right), max(3, runs // 2))
    mb = len(json.dumps(obj, indent=2)) / 1e6
    rows.append(
        (
            f"text diff, JSON object {mb:.1f} MB pretty, 1% fields",
            f"{len(t.left_lines)} lines, {len(t.change_chunks)} chunks, {len(t.highlights)} hl",
            best,
            median,
            "",
        )
    )

    arr = list(range(50_000))
    arr_new = [x + 1 if x % 500 == 0 else x for x in arr]
    left = Entry("arr", json.dumps(arr).encode())
    right = Entry("arr", json.dumps(arr_new).encode())
    best, median, t = timeit(lambda: diff_entries(left, right), max(3, runs // 2))
    rows.append(
        ("text diff, 50,000-element array, 100 changed", f"{len(t.change_chunks)} chunks", best, median, "")
    )

    big = "x" * (5 * 1024 * 1024)
    left = Entry("s", json.dumps(big).encode())
    right = Entry("s", json.dumps(big[:1000] + "y" + big[1001:]).encode())
    best, median, t = timeit(lambda: diff_entries(left, right), 3)
    rows.append(
        ("text diff, 5 MB one-line string", f"in-line skipped: {t.intraline_skipped}", best, median, "")
    )

    versions = [(f"v{n}", Entry("k", json.dumps(n // 10).encode())) for n in range(1000, 0, -1)]
    best, median, history = timeit(lambda: key_history("k", versions), runs)
    rows.append(("key history, 1,000 versions", f"{len(history)} changes", best, median, ""))

    print(f"diff benchmark: {runs} runs, Python {sys.version.split()[0]}")
    print(
        f"tree: {N_VALUES:,} values per version; changes: "
        + ", ".join(f"{k} {v}" for k, v in mix.items())
    )
    print()
    w = max(len(r[0]) for r in rows)
    wd = max(len(r[1]) for r in rows)
    print(f"{'measurement':<{w}}  {'detail':<{wd}}  {'min ms':>8}  {'median ms':>9}  target")
    print(f"{'-' * w}  {'-' * wd}  {'-' * 8}  {'-' * 9}  ------")
    for name, detail, best, median, verdict in rows:
        target = f"<= {TREE_TARGET_MS:.0f} ms {verdict}" if verdict else ""
        print(f"{name:<{w}}  {detail:<{wd}}  {best:8.1f}  {median:9.1f}  {target}")


if __name__ == "__main__":
    main()
