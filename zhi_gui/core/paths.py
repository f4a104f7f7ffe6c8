"""zhi's path rules (zhi-protocol.md 3): ``/``-separated lowercase segments."""

from __future__ import annotations

import re

from zhi_gui.core.errors import InvalidArgument

SEGMENT_RE = re.compile(r"^[a-z](?:[a-z0-9._-]*[a-z0-9])?$")
# A whole valid path in one match: the common case costs one C call, not one per segment.
_VALID_PATH_RE = re.compile(r"[a-z](?:[a-z0-9._-]*[a-z0-9])?(?:/[a-z](?:[a-z0-9._-]*[a-z0-9])?)*")
MAX_PATH_LENGTH = 1024
MAX_TREE_ID_LENGTH = 200
SHOWN_CHARS = 80  # how much of a refused input an error message repeats


def shown(text: str, limit: int = SHOWN_CHARS) -> str:
    """``text`` quoted for an error message, cut so a huge input is never echoed whole."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}\u2026 ({len(text)} characters)"


def path_problem(path: str) -> str | None:
    """Why ``path`` breaks zhi's rules, in words for a user; None if it is valid."""
    if len(path) <= MAX_PATH_LENGTH and _VALID_PATH_RE.fullmatch(path):
        return None
    if not path:
        return "the path is empty"
    if len(path) > MAX_PATH_LENGTH:
        return f"the path is longer than {MAX_PATH_LENGTH} characters"
    if path.startswith("/") or path.endswith("/"):
        return "a path must not start or end with '/'"
    for segment in path.split("/"):
        if not segment:
            return "a path must not contain an empty segment ('//')"
        if not SEGMENT_RE.match(segment):
            return (
                f"segment {shown(segment)} must start with a lowercase letter, end with a letter or"
                " digit, and use only a-z, 0-9, '.', '_' and '-'"
            )
    return None


def is_valid_path(path: str) -> bool:
    return path_problem(path) is None


def validate_path(path: str) -> str:
    problem = path_problem(path)
    if problem:
        raise InvalidArgument(f"invalid path {shown(path)}: {problem}", {"path": path[:SHOWN_CHARS]})
    return path


def tree_id_problem(tree_id: str) -> str | None:
    """Tree ids are opaque to zhi, but must never name anything outside a store."""
    if not tree_id:
        return "the tree id is empty"
    if len(tree_id) > MAX_TREE_ID_LENGTH:
        return f"the tree id is longer than {MAX_TREE_ID_LENGTH} characters"
    if tree_id in (".", "..") or any(c in tree_id for c in "/\\\0"):
        return "a tree id must not be '.', '..' or contain '/', '\\' or NUL"
    if any(ord(c) < 32 for c in tree_id):
        return "a tree id must not contain control characters"
    return None


def validate_tree_id(tree_id: str) -> str:
    problem = tree_id_problem(tree_id)
    if problem:
        raise InvalidArgument(f"invalid tree id {shown(tree_id)}: {problem}", {"tree_id": tree_id[:SHOWN_CHARS]})
    return tree_id


def split_path(path: str) -> list[str]:
    return path.split("/")


def parent_path(path: str) -> str:
    head, _, _ = path.rpartition("/")
    return head


def under_prefix(path: str, prefix: str) -> bool:
    """True when ``path`` is selected by ``prefix``: '' = all, 'a/' = below a, 'a/b' = exact or below."""
    if not prefix:
        return True
    if prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")
