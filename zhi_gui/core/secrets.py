"""The one answer to "is this value a secret?" for the whole project.

A value is secret when its labels set ``ui.password`` or ``store.writeonly``,
in either form zhi uses (flat ``{"ui.password": true}`` or nested
``{"ui": {"password": true}}``). The value tree, the diffs, key history, the
review and anything that exports or logs values ask here; they must never
decide for themselves (a nested label once leaked a password into the diff).

Hand-written metadata says "true", "yes" or 1 as often as true: for secrets,
every spelling that means yes counts, since masking too much is harmless and
masking too little is not.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zhi_gui.core.entries import Entry
from zhi_gui.core.errors import InvalidArgument

SECRET_LABELS = ("ui.password", "store.writeonly")
_MARKERS = (b"password", b"writeonly")  # cheap pre-check before decoding metadata
_YES = frozenset({"true", "yes", "1", "on"})


def secret_flag(value: Any) -> bool:
    """Does a secret label's value mean yes?"""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() in _YES
    if isinstance(value, (int, float)):
        return value != 0
    return False


def is_secret_labels(metadata: Mapping[str, Any]) -> bool:
    """Secret in either spelling: a yes in the flat or in the nested form wins."""
    for name in SECRET_LABELS:
        if secret_flag(metadata.get(name)):
            return True
        namespace, _, key = name.partition(".")
        nested = metadata.get(namespace)
        if isinstance(nested, Mapping) and secret_flag(nested.get(key)):
            return True
    return False


def is_secret_metadata(metadata_json: bytes) -> bool:
    if not metadata_json or not any(marker in metadata_json for marker in _MARKERS):
        return False
    from zhi_gui.core.jsonvalues import decode_metadata

    try:
        metadata = decode_metadata(metadata_json)
    except InvalidArgument:
        return False
    return is_secret_labels(metadata)


def is_secret(entry: Entry | None) -> bool:
    return entry is not None and is_secret_metadata(entry.metadata_json)
