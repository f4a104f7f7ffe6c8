"""The strict JSON codec (zhi_gui.core.jsonvalues) against the stdlib it replaced.

Run: .venv/bin/python benchmarks/bench_jsonvalues.py [--runs N]

Reports min / median over N runs of decoding and encoding, with the codec and
with plain ``json`` (lenient, Python's number spelling), for:
  * a ~1 MB object of 12,000 small maps (ints, bools, strings);
  * 100,000 small values one by one (what a tree load or a 100,000-value write checks);
  * a 200,000-number float array (every number through the codec's hooks).
The codec's extra cost is the price of Go's rules: a Python callback per number
(-0, float64 range), a depth check for documents with more than 512 brackets,
and Go's float spelling on encode.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.timing import timed
from zhi_gui.core.jsonvalues import decode_value, encode_value


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    rng = random.Random(7)
    big = {f"service-{i:05d}": {"enabled": True, "replicas": i % 7, "url": f"https://s{i}.example.org"}
           for i in range(12000)}
    small = [{"a": rng.randint(0, 1000), "b": "text"} if i % 2 else f"value {i}" for i in range(100_000)]
    floats = [rng.uniform(-1e6, 1e6) for _ in range(200_000)]
    cases: list[tuple[str, Any]] = [("1 MB object", big), ("100,000 small values", small),
                                    ("200,000 floats", floats)]
    print(f"{'case':24} {'operation':10} {'codec min/median ms':>22} {'json min/median ms':>20}")
    for name, value in cases:
        many = isinstance(value, list) and name.startswith("100,000")
        items = value if many else [value]
        encoded = [encode_value(v) for v in items]
        plain = [json.dumps(v, separators=(",", ":")).encode() for v in items]
        rows = [
            ("decode", lambda enc=encoded: [decode_value(b) for b in enc],
             lambda pl=plain: [json.loads(b) for b in pl]),
            ("encode", lambda it=items: [encode_value(v) for v in it],
             lambda it=items: [json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode() for v in it]),
        ]
        for operation, codec, stdlib in rows:
            c_min, c_med = timed(codec, runs)
            j_min, j_med = timed(stdlib, runs)
            print(f"{name:24} {operation:10} {c_min:10.1f} / {c_med:9.1f} {j_min:9.1f} / {j_med:8.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
