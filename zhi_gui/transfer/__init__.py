"""Moving config in and out, without Qt: file formats (``formats``), export and the
import preview applied as one compare-and-set save (``transfer``), and the
``zhi-gui export`` / ``zhi-gui import`` command line (``cli``)."""

from zhi_gui.transfer.formats import MASK, Format, Imported, Refused, decode, encode, format_for
from zhi_gui.transfer.transfer import (
    Change,
    ImportConflict,
    Kind,
    Preview,
    apply_import,
    compute_preview,
    export_tree,
    preview_import,
)

__all__ = [
    "MASK",
    "Change",
    "Format",
    "ImportConflict",
    "Imported",
    "Kind",
    "Preview",
    "Refused",
    "apply_import",
    "compute_preview",
    "decode",
    "encode",
    "export_tree",
    "format_for",
    "preview_import",
]
