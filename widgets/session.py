"""The document the workbench edits: open captures, the current tuning profile, undo history.

Every widget that changes the tuning goes through `Session.set_profile` (or the stage helper
`set_stage`), which pushes an undoable command; consecutive changes with the same `merge_key`
(a slider drag) merge into one undo step. Widgets listen to `profileChanged` and re-read
`session.profile`; the renderer re-resolves `session.params()` for the current capture.
Profiles and IspParams are frozen pydantic models, so an undo step is just two references.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from app.capture import Capture
from app.isp.stages import IspParams
from tuning_profiles import Profile, default_profile, resolve_for_capture

_MERGE_IDS: dict[str, int] = {}


def _merge_id(key: str | None) -> int:
    if key is None:
        return -1
    return _MERGE_IDS.setdefault(key, len(_MERGE_IDS) + 1)


class _ProfileEdit(QUndoCommand):
    def __init__(self, session: "Session", before: Profile, after: Profile, text: str, merge_key: str | None):
        super().__init__(text)
        self._session = session
        self._before = before
        self._after = after
        self._id = _merge_id(merge_key)

    def id(self) -> int:  # noqa: A003 (Qt API)
        return self._id

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 (Qt API)
        if other.id() != self._id or self._id == -1:
            return False
        self._after = other._after  # noqa: SLF001
        self.setText(other.text())
        return True

    def redo(self) -> None:
        self._session._apply(self._after)  # noqa: SLF001

    def undo(self) -> None:
        self._session._apply(self._before)  # noqa: SLF001


class Session(QObject):
    """Open captures + the profile being tuned + its undo stack and file."""

    profileChanged = Signal()
    captureChanged = Signal()
    capturesChanged = Signal()
    modifiedChanged = Signal(bool)
    pathChanged = Signal()
    referenceChanged = Signal()  # the "B" of A/B and "before" of the split view changed

    def __init__(self, profile: Profile | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._clean_changed)
        self._profile = profile or default_profile()
        self.profile_path: Path | None = None
        self.captures: list[Capture] = []
        self.current_index = -1
        self.reference: Profile | None = None  # the "B" of A/B comparison; None: neutral defaults
        self.reference_name = ""

    def set_reference(self, profile: Profile | None, name: str = "") -> None:
        """Compare against `profile` (a snapshot of the current tuning, or another profile)."""
        self.reference = profile
        self.reference_name = name if profile is not None else ""
        self.referenceChanged.emit()

    def take_snapshot(self) -> None:
        self.set_reference(self._profile, "snapshot")

    def _clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    # ----- profile -----------------------------------------------------------------------
    @property
    def profile(self) -> Profile:
        return self._profile

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def set_profile(self, profile: Profile, text: str = "Edit", merge_key: str | None = None) -> None:
        """Make `profile` current as one undoable step (merged with the previous one of the same key)."""
        if profile == self._profile:
            return
        self.undo_stack.push(_ProfileEdit(self, self._profile, profile, text, merge_key))

    def set_stage(self, stage: str, merge_key: str | None = None, **values) -> None:
        """Change parameters of one stage (validated by its declaration; ValueError if invalid)."""
        stages = self._profile.stages.with_stage(stage, **values)  # validates that stage
        names = ", ".join(values)
        # Only the edited stage needs validating (the profile has no cross-checks on `stages`):
        # re-validating the whole profile, LSC tables included, cost ~2 ms of GUI time per edit.
        self.set_profile(self._profile.model_copy(update={"stages": stages}), f"{stage}: {names}",
                         merge_key)

    def replace_document(self, profile: Profile, path: Path | None) -> None:
        """A newly opened or created profile: history starts afresh, nothing is modified."""
        self.undo_stack.clear()
        self.profile_path = path
        self._apply(profile)
        self.undo_stack.setClean()
        self.pathChanged.emit()
        self.modifiedChanged.emit(False)

    def mark_saved(self, path: Path) -> None:
        self.profile_path = path
        self.undo_stack.setClean()
        self.pathChanged.emit()

    def _apply(self, profile: Profile) -> None:
        self._profile = profile
        self.profileChanged.emit()

    # ----- captures ----------------------------------------------------------------------
    @property
    def capture(self) -> Capture | None:
        return self.captures[self.current_index] if 0 <= self.current_index < len(self.captures) else None

    def add_capture(self, capture: Capture, make_current: bool = True) -> None:
        self.captures.append(capture)
        self.capturesChanged.emit()
        if make_current:
            self.select_capture(len(self.captures) - 1)

    def select_capture(self, index: int) -> None:
        """Switch capture; the tuning (profile) stays as it is."""
        if index != self.current_index and 0 <= index < len(self.captures):
            self.current_index = index
            self.captureChanged.emit()

    def params(self, profile: Profile | None = None) -> IspParams:
        """The profile (default: the current one) resolved for the current capture."""
        profile = profile or self._profile
        capture = self.capture
        return resolve_for_capture(profile, capture) if capture is not None else profile.stages
