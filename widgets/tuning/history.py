"""The edit history of the profile, for a dock: click a step to go back (or forward) to it.

A `QUndoView` on the session's undo stack: each row is one undo step (a whole slider drag is
one), the first row is the profile as opened, and the saved state is marked with an icon.
"""
from __future__ import annotations

from PySide6.QtWidgets import QStyle, QUndoView, QWidget


class HistoryView(QUndoView):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(session.undo_stack, parent)
        self.session = session
        self.setEmptyLabel("Profile as opened")
        self.setCleanIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogSaveButton))
        self.setAlternatingRowColors(True)
        self.setToolTip("Every change to the profile. Click a step to return to it; the disk icon "
                        "marks the saved state.")
