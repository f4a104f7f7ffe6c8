"""How values look in a list: type names, short previews, masking of secrets."""

from __future__ import annotations

import re
from typing import Any

from zhi_gui.core import jsonvalues
from zhi_gui.core.secrets import is_secret, is_secret_metadata  # the one authority, re-exported

__all__ = ["MASK", "is_secret", "is_secret_metadata", "label", "preview", "type_name"]

MASK = "\u2022" * 8
PREVIEW_LIMIT = 160
_FULL_DECODE_LIMIT = 8192
# A JSON string with nothing to unescape: its text is the bytes between the quotes. Most
# values of a config tree are such strings; decoding each as JSON was a third of the work of
# making a row (a tree of 100,000 values expanded whole makes 100,000).
_PLAIN_STRING = re.compile(rb'"[^"\\\x00-\x1f]*"')


def label(metadata: dict[str, Any], name: str, default: Any = None) -> Any:
    """A label in either form zhi uses: flat ``{"ui.password": true}`` or nested
    ``{"ui": {"password": true}}``."""
    if name in metadata:
        return metadata[name]
    namespace, _, key = name.partition(".")
    nested = metadata.get(namespace)
    if isinstance(nested, dict) and key in nested:
        return nested[key]
    return default


def type_name(value_json: bytes) -> str:
    """JSON type from the first byte (cheap for 100,000 rows)."""
    text = value_json.lstrip()[:1]
    if not text:
        return "null"
    first = text[0:1]
    if first == b'"':
        return "string"
    if first == b"{":
        return "map"
    if first == b"[":
        return "list"
    if first in (b"t", b"f"):
        return "bool"
    if first == b"n":
        return "null"
    if any(c in value_json for c in (b".", b"e", b"E")):
        return "float"
    return "int"


def preview(value_json: bytes, secret: bool = False) -> str:
    """One line for a list cell; never shows a secret."""
    if secret:
        return MASK
    if not value_json:
        return "null"
    if len(value_json) <= _FULL_DECODE_LIMIT and _PLAIN_STRING.fullmatch(value_json):
        try:
            text = value_json[1:-1].decode()
        except UnicodeDecodeError:
            pass  # not UTF-8: the strict decoder below says so
        else:
            return text if len(text) <= PREVIEW_LIMIT else text[:PREVIEW_LIMIT] + " \u2026"
    if len(value_json) > _FULL_DECODE_LIMIT:
        text = value_json[:PREVIEW_LIMIT].decode("utf-8", "replace")
        return text.replace("\n", " ") + " \u2026"
    try:
        value = jsonvalues.loads(value_json)
    except jsonvalues.JSONProblem:
        return value_json[:PREVIEW_LIMIT].decode("utf-8", "replace")
    text = value if isinstance(value, str) else jsonvalues.to_text(value)
    text = text.replace("\r", "").replace("\n", " \u21b5 ")
    return text if len(text) <= PREVIEW_LIMIT else text[:PREVIEW_LIMIT] + " \u2026"
