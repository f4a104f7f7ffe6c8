"""Decoding and encoding of zhi's JSON values and metadata labels."""

from __future__ import annotations

import json
from typing import Any

from zhi_gui.core.errors import InvalidArgument

JSONValue = Any  # None | bool | int | float | str | list | dict


def decode_value(value_json: bytes) -> JSONValue:
    """Empty bytes mean null (zhi-protocol.md 3)."""
    if not value_json:
        return None
    try:
        return json.loads(value_json)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"value is not valid JSON: {exc}") from exc


def encode_value(value: JSONValue) -> bytes:
    """Compact JSON, UTF-8, ints kept as ints, no NaN (zhi's Go side rejects it)."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(f"value cannot be stored as JSON: {exc}") from exc


def check_value_json(value_json: bytes) -> None:
    """Raise InvalidArgument unless ``value_json`` is empty or one valid JSON document."""
    if value_json:
        decode_value(value_json)


def decode_metadata(metadata_json: bytes) -> dict[str, Any]:
    """Metadata is a JSON object of labels, or empty; ``null`` counts as empty."""
    if not metadata_json or not metadata_json.strip():
        return {}
    try:
        data = json.loads(metadata_json)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"metadata is not valid JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InvalidArgument("metadata must be a JSON object of labels")
    return data


def check_metadata_json(metadata_json: bytes) -> None:
    decode_metadata(metadata_json)


def encode_metadata(labels: dict[str, Any]) -> bytes:
    return encode_value(labels) if labels else b""
