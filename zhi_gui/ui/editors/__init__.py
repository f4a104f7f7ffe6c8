"""Type-aware editors for one zhi value and its labels (see ``ValueEditor``).

The New key dialog and the secret clipboard load on first use (PEP 562): the
window's first paint needs only the value editor (issue 14, cold start)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from zhi_gui.ui.editors.metadata import MetadataEditor
from zhi_gui.ui.editors.value_editor import ValueEditor

if TYPE_CHECKING:
    from zhi_gui.ui.editors.new_key import NEW_KEY_TYPES, NewKeyDialog
    from zhi_gui.ui.editors.secret import SecretClipboard

__all__ = ["NEW_KEY_TYPES", "MetadataEditor", "NewKeyDialog", "SecretClipboard", "ValueEditor"]

_LAZY = {"NEW_KEY_TYPES": "new_key", "NewKeyDialog": "new_key", "SecretClipboard": "secret"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
