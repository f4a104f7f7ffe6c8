"""The Diff dock's content, with its :class:`DiffView` built when first needed.

The Diff dock sits behind the Plugin tab when a window opens, so the first paint
does not show it; building the view (a tree, a side-by-side value diff, their
models and actions) and importing its modules cost about a tenth of the cold start
(issue 14). The holder builds the view the first time it is asked for it (the
History panel compares, the app completes the window after its first paint) or
its dock comes forward, whichever comes first; from then on it is the same view as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QVBoxLayout, QWidget

if TYPE_CHECKING:
    from zhi_gui.ui.history.diff_view import DiffView
    from zhi_gui.ui.tasks import Runner


class DiffHolder(QWidget):
    """An empty widget until :meth:`view` is called (or its dock comes forward), then the DiffView's frame."""

    def __init__(self, run: Runner | None = None) -> None:
        super().__init__()
        self.setObjectName("diff-holder")
        self._run = run
        self._view: DiffView | None = None
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)

    @property
    def built(self) -> bool:
        return self._view is not None

    def view(self) -> DiffView:
        if self._view is None:
            from zhi_gui.ui.history.diff_view import DiffView  # deferred: see the module docstring

            # F7 / Shift+F7 are window actions of the History panel, not the view's own
            self._view = DiffView(self, shortcuts=False, run=self._run)
            self._layout.addWidget(self._view)
        return self._view

    def dock_visibility_changed(self, visible: bool) -> None:
        """Connected to the dock's visibilityChanged: the dock came forward (its tab was
        chosen, or it was shown). Not the holder's own show event: a dock behind another's
        tab keeps its content "visible" and only the dock says when it is on screen."""
        if visible:
            self.view()
