"""Where a copied value lands (transfer.subtree_ops.target_path)."""

from __future__ import annotations

import pytest

from zhi_gui.transfer.subtree_ops import target_path


@pytest.mark.parametrize(("path", "source", "target", "expected"), [
    ("services/api/image", "services/api", "services/api", "services/api/image"),
    ("services/api/image", "services/api", "apps/api-v2", "apps/api-v2/image"),
    ("services/api/image", "services/api/image", "apps/image", "apps/image"),  # one key, renamed
    ("services/api/image", "", "backup", "backup/services/api/image"),  # the whole tree below a path
    ("services/api/image", "services", "", "api/image"),  # a subtree to the top
])
def test_target_path(path: str, source: str, target: str, expected: str) -> None:
    assert target_path(path, source, target) == expected


def test_a_key_to_the_top_has_no_path() -> None:
    assert target_path("a/b", "a/b", "") == "", "refused by plan_copy as not a zhi path"
