"""Damage is detected, never served: random single-byte flips and truncations of
a 10,000-value store, plain and encrypted.

Each damaged copy must be refused at open, answer DATA_LOSS naming the
damaged paths (everything else still reading back exactly), or read back
identical data: a value that differs without an error is a failure, and so
is an error of any other kind.

By default a seeded subset runs (a few seconds). The issue's full run, 200
flips and 20 truncations of each store:
``ZHI_CORRUPTION_CASES=full .venv/bin/python -m pytest -s tests/unit/test_sqlite_corruption.py``
(prints the figures). ``ZHI_CORRUPTION_SEED`` changes the seed.
"""

from __future__ import annotations

import asyncio
import collections
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from zhi_gui.core import errors as E
from zhi_gui.core.model import Entry
from zhi_gui.stores.sqlite import SqliteStore

FULL = os.environ.get("ZHI_CORRUPTION_CASES", "") == "full"
FLIPS, CUTS = (200, 20) if FULL else (6, 2)
SEED = int(os.environ.get("ZHI_CORRUPTION_SEED", "13"))
VALUES = 10_000
PASSPHRASE = b"corruption-test"
SCRYPT_N = 1 << 10


@dataclass
class Expected:
    data: bytes  # the intact file
    versions: dict[str, dict[str, Entry]]  # version id -> path -> entry ("" = current)


def _build(path: Path, encrypted: bool) -> Expected:
    async def go() -> Expected:
        store = SqliteStore({"path": str(path), "create": True}, scrypt_n=SCRYPT_N)
        first = await store.write_values(
            "t", [Entry(f"app/{i // 100:03d}/key-{i:05d}", f'{{"n": {i}, "s": "value {i}"}}'.encode(),
                        b'{"note": "m"}' if i % 10 == 0 else b"") for i in range(VALUES)], message="initial")
        rng = random.Random(1)
        edits = [Entry(f"app/{i // 100:03d}/key-{i:05d}", f'"edited {i}"'.encode())
                 for i in rng.sample(range(VALUES), 300)]
        await store.write_values("t", edits, message="edits")
        await store.delete_values("t", [f"app/000/key-{i:05d}" for i in range(5)])
        if encrypted:
            await store.init_encryption(PASSPHRASE)
        versions = {"": {e.path: e for e in await store.get_values("t", [])}}
        versions[first] = {e.path: e for e in await store.get_tree_version("t", first, [])}
        await store.close()  # checkpoints: the whole store is in the one file
        return Expected(path.read_bytes(), versions)

    return asyncio.run(go())


def _classify(path: Path, expected: Expected, encrypted: bool) -> str:
    """refused | data_loss | whole_store_error | identical | SILENT:... | OTHER:..."""
    async def go() -> str:
        try:
            store = SqliteStore({"path": str(path)}, scrypt_n=SCRYPT_N)
        except E.StoreCorrupt:
            return "refused"
        outcome = "identical"
        try:
            if encrypted:
                await store.unlock(PASSPHRASE)
            if await store.list_trees() != ["t"]:
                return "SILENT:trees"
            for version, want in expected.versions.items():
                try:
                    got = (await store.get_values("t", []) if not version
                           else await store.get_tree_version("t", version, []))
                except E.DataLoss as loss:
                    if not loss.paths and not loss.versions:
                        return "OTHER:data loss naming nothing"
                    outcome = "data_loss"
                    # The rest of the tree still reads back exactly.
                    rest = [p for p in want if p not in set(loss.paths)]
                    got = (await store.get_values("t", rest) if not version
                           else await store.get_tree_version("t", version, rest))
                    want = {p: want[p] for p in rest}
                    if loss.paths and any(p in {e.path for e in got} for p in loss.paths):
                        return "OTHER:a damaged path was served"
                    if not loss.paths and len(got) != len(want):
                        return "OTHER:damaged version without paths"
                    # A damaged path *name* is reported as read (garbled): the path it
                    # was may then be absent from the rest, never served changed.
                    known = set().union(*expected.versions.values())
                    garbled = [p for p in loss.paths if p not in known]
                    by_path = {e.path: e for e in got}
                    missing = [p for p in want if p not in by_path]
                    if len(missing) <= len(garbled):
                        want = {p: e for p, e in want.items() if p not in missing}
                if {e.path: e for e in got} != want:
                    changed = [p for p in set(want) | {e.path for e in got}
                               if want.get(p) != {e.path: e for e in got}.get(p)]
                    return f"SILENT:{len(changed)} differ in version {version or 'current'}: {changed[:3]}"
            await store.describe_versions("t")
        except E.DataLoss:
            outcome = "data_loss"
        except E.StoreCorrupt:
            return "whole_store_error"
        except E.WrongPassphrase:
            return "refused"  # the wrapped key's authentication failed: nothing is served
        except Exception as exc:  # any other answer is a finding
            return f"OTHER:{type(exc).__name__}: {exc}"
        finally:
            await store.close()
        return outcome

    return asyncio.run(go())


def _cases(size: int, rng: random.Random) -> Iterator[tuple[str, int, int]]:
    for _ in range(FLIPS):
        yield "flip", rng.randrange(size), rng.randrange(1, 256)
    for _ in range(CUTS):
        yield "truncate", rng.randrange(size), 0


@pytest.mark.timeout(3600 if FULL else 300)
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_damage_is_never_served(tmp_path: Path, encrypted: bool) -> None:
    expected = _build(tmp_path / "intact.db", encrypted)
    rng = random.Random(SEED + encrypted)
    results: collections.Counter[str] = collections.Counter()
    failures = []
    for n, (kind, offset, mask) in enumerate(_cases(len(expected.data), rng)):
        data = bytearray(expected.data)
        if kind == "flip":
            data[offset] ^= mask
        else:
            del data[offset:]
        case = tmp_path / f"case-{n}.db"
        case.write_bytes(bytes(data))
        outcome = _classify(case, expected, encrypted)
        results[f"{kind}:{outcome.split(':', 1)[0]}"] += 1
        if outcome.startswith(("SILENT", "OTHER")):
            failures.append(f"{kind} at {offset} (mask {mask:#x}): {outcome}")
        for leftover in tmp_path.glob(f"case-{n}.db*"):
            leftover.unlink()
    label = "encrypted" if encrypted else "plain"
    print(f"\n{label} store of {VALUES} values, {len(expected.data)} bytes, seed {SEED}: "
          + ", ".join(f"{k} {v}" for k, v in sorted(results.items())))
    for failure in failures:
        print("FAILURE", failure)
    assert failures == []
