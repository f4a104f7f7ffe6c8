"""Two path-ordered streams walked side by side (transfer.stream_diff): the same
changes as comparing both trees whole, whatever the chunks; a stream out of order is
refused (the caller then reads both sides whole)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Sequence

import pytest

from zhi_gui.core.diff import diff_from_changes, diff_trees
from zhi_gui.core.model import Entry
from zhi_gui.transfer import stream_diff
from zhi_gui.transfer.stream_diff import Unsorted, changed_pairs


async def chunks(entries: list[Entry], size: int) -> AsyncIterator[tuple[Sequence[Entry], int]]:
    for start in range(0, len(entries), size):
        await asyncio.sleep(0)
        yield entries[start:start + size], len(entries)
    if not entries:
        yield [], 0


def tree(rng: random.Random, n: int) -> dict[str, Entry]:
    paths = {f"g{rng.randrange(20)}/k{rng.randrange(n * 3)}" for _ in range(n)}
    return {p: Entry(p, str(rng.randrange(4)).encode(), b'{"x":1}' if rng.random() < 0.1 else b"") for p in paths}


@pytest.mark.parametrize("seed", range(12))
def test_the_same_changes_as_two_whole_trees(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    monkeypatch.setattr(stream_diff, "MERGE_SLICE", rng.choice([1, 3, 2000]))  # slices end anywhere
    old, new = tree(rng, rng.choice([0, 1, 50, 400])), tree(rng, rng.choice([0, 1, 50, 400]))
    if seed % 3 == 0:  # mostly the same tree
        new = {**old, **dict(list(new.items())[:5])}
    seen: list[tuple[int, int]] = []
    pairs, old_count, new_count = asyncio.run(changed_pairs(
        chunks(sorted(old.values()), rng.choice([1, 7, 64, 1000])),
        chunks(sorted(new.values()), rng.choice([1, 7, 64, 1000])),
        None, lambda done, total: seen.append((done, total))))
    assert (old_count, new_count) == (len(old), len(new))
    streamed = diff_from_changes(pairs, new_count)
    whole = diff_trees(old, new)
    assert [(c.path, c.kind) for c in streamed.changes] == [(c.path, c.kind) for c in whole.changes]
    assert streamed.counts == whole.counts
    if new:
        assert seen[-1] == (len(new), len(new)), "the progress ends at the whole count"


def test_a_stream_out_of_path_order_is_refused() -> None:
    good = [Entry(f"a/{i:03}", b"1") for i in range(10)]
    within = [*good[:3], good[5], good[4], *good[6:]]
    across = good[5:] + good[:5]  # each chunk in order, the second starting before the first ended
    for bad, size in ((within, 100), (across, 5)):
        with pytest.raises(Unsorted):
            asyncio.run(changed_pairs(chunks(good, 3), chunks(bad, size)))


def test_both_streams_are_closed_when_the_walk_stops() -> None:
    closed: list[str] = []

    async def endless(name: str) -> AsyncIterator[tuple[Sequence[Entry], int]]:
        try:
            n = 0
            while True:
                await asyncio.sleep(0.001)
                yield [Entry(f"{name}/{n:06}", b"1")], 0
                n += 1
        finally:
            closed.append(name)

    async def go() -> None:
        task = asyncio.ensure_future(changed_pairs(endless("a"), endless("b")))
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(go())
    assert sorted(closed) == ["a", "b"]
