"""Taking one side of a comparison (core.compare): the key alone or a whole
subtree, deletes for what the side lacks, masked file secrets never taken."""

from __future__ import annotations

from zhi_gui.core.compare import take_plan, with_staged
from zhi_gui.core.model import Entry


def tree(**values: str) -> dict[str, Entry]:
    return {p.replace("__", "/"): Entry(p.replace("__", "/"), v.encode(), b"", "v1") for p, v in values.items()}


def test_a_key_alone_takes_only_that_key() -> None:
    side = tree(a="1", a__b="2")
    target = tree(a="9", a__b="8")
    plan = take_plan(side, target, "a", subtree=False)
    assert list(plan.sets) == ["a"] and not plan.deletes
    assert plan.sets["a"].version == "", "a taken entry never carries the other side's version (it would be a CAS)"


def test_a_subtree_sets_adds_and_deletes_to_match_the_side() -> None:
    side = tree(svc__a="1", svc__b="2", other="x")
    target = tree(svc__a="1", svc__c="3", other="y")
    plan = take_plan(side, target, "svc", subtree=True)
    assert list(plan.sets) == ["svc/b"]  # svc/a is the same: nothing staged for it
    assert plan.deletes == ("svc/c",)
    assert "other" not in plan.sets, "outside the subtree nothing changes"


def test_labels_count_as_a_difference() -> None:
    side = {"k": Entry("k", b"1", b'{"ui.password":true}')}
    target = {"k": Entry("k", b"1", b"")}
    assert list(take_plan(side, target, "k", subtree=False).sets) == ["k"]


def test_a_key_missing_on_the_side_is_deleted() -> None:
    plan = take_plan({}, tree(k="1"), "k", subtree=False)
    assert plan.deletes == ("k",) and not plan.sets


def test_masked_secrets_are_skipped_and_said() -> None:
    side = tree(db__password='"***"', db__host='"h"')
    plan = take_plan(side, {}, "db", subtree=True, masked={"db/password"})
    assert list(plan.sets) == ["db/host"]
    assert plan.skipped == ("db/password",)
    assert "1 secret(s) skipped" in plan.summary()


def test_the_whole_tree_and_an_empty_plan() -> None:
    same = tree(a="1", b="2")
    plan = take_plan(same, dict(same), "", subtree=True)
    assert plan.empty and "already agree" in plan.summary()


def test_with_staged_applies_sets_and_deletes() -> None:
    result = with_staged(tree(a="1", b="2"), {"a": None, "c": Entry("c", b"3")})
    assert sorted(result) == ["b", "c"]
