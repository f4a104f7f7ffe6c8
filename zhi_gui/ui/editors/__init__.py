"""Type-aware editors for one zhi value and its labels (see ``ValueEditor``)."""

from zhi_gui.ui.editors.metadata import MetadataEditor
from zhi_gui.ui.editors.new_key import NEW_KEY_TYPES, NewKeyDialog
from zhi_gui.ui.editors.secret import SecretClipboard
from zhi_gui.ui.editors.value_editor import ValueEditor

__all__ = ["NEW_KEY_TYPES", "MetadataEditor", "NewKeyDialog", "SecretClipboard", "ValueEditor"]
