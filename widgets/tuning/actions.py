"""The Profile menu: new, open, save, export to firmware, import, revert; undo and redo.

Every file operation goes through `dialogs` (patchable in tests), writes atomically, and turns
a `CamtuneError` (or an OS error) into a message box: a tuner's work never dies with the app.
The window's close is guarded: with unsaved changes it asks Save / Discard / Cancel.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QWidget

from app.atomic import atomic_write_bytes
from app.errors import CamtuneError
from tuning_profiles import default_profile, load_profile, save_profile
from tuning_profiles.formats import EXPORT_FORMATS, ImportOptions, export_profile, import_file, module
from widgets.tuning import dialogs

PROFILE_SUFFIX = ".json"
PROFILE_FILTER = "camtune profiles (*.json);;All files (*)"
FIRMWARE_FILTER = "Firmware tuning files (*.json *.yaml *.yml);;All files (*)"
# Menu text, file suffix and dialog filter of each firmware format's file.
EXPORT_FILES = {
    "rpi-vc4": ("Raspberry Pi vc4 (libcamera JSON)…", ".json", "JSON (*.json)"),
    "rpi-pisp": ("Raspberry Pi 5 PiSP (libcamera JSON)…", ".json", "JSON (*.json)"),
    "rkisp1": ("Rockchip RkISP1 (libcamera YAML)…", ".yaml", "YAML (*.yaml *.yml)"),
    "c-header": ("C header…", ".h", "C headers (*.h)"),
    "blob": ("Binary blob…", ".bin", "Binary (*.bin)"),
}


def window_title(session, base: str = "camtune") -> str:
    """ "name* — base": the profile's file name (or its sensor name if never saved), * if modified."""
    name = document_name(session)
    return f"{name}{'*' if session.modified else ''} — {base}"


def document_name(session) -> str:
    if session.profile_path is not None:
        return Path(session.profile_path).name
    return f"{session.profile.identity.name} (not saved)"


def _check_target(path: Path) -> None:
    if path.is_dir():
        raise CamtuneError("is a folder; give a file name", path)
    if not path.parent.is_dir():
        raise CamtuneError("the folder does not exist", path)


class ProfileActions(QObject):
    """The profile's QActions, its menu, and the unsaved-changes guard on `window`."""

    status = Signal(str)   # a short confirmation for the status bar

    def __init__(self, session, window: QWidget):
        super().__init__(window)
        self.session = session
        self.window = window
        self.new_action = self._action("&New profile", self.new, tip="Start from the default profile.")
        self.open_action = self._action("&Open profile…", self.open)
        self.save_action = self._action("&Save profile", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save profile &as…", self.save_as, QKeySequence.StandardKey.SaveAs)
        self.import_action = self._action("&Import firmware file…", self.import_firmware,
                                          tip="Open a Raspberry Pi or RkISP1 tuning file as a new profile.")
        self.compare_action = self._action(
            "&Compare with profile…", self.compare_with, "Ctrl+Shift+B",
            tip="Show another profile as the reference: B in A/B, before in the split view.")
        self.revert_action = self._action("&Revert to saved", self.revert,
                                          tip="Reload the saved file (undoable).")
        self.export_actions: dict[str, QAction] = {}
        for fmt in EXPORT_FORMATS:
            text = EXPORT_FILES.get(fmt, (f"{fmt}…",))[0]
            doc = (module(fmt).__doc__ or "").strip().splitlines()
            self.export_actions[fmt] = self._action(text, lambda _=False, f=fmt: self.export(f),
                                                    tip=doc[0] if doc else fmt)
        stack = session.undo_stack
        self.undo_action = stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts([QKeySequence("Ctrl+Z")])
        self.redo_action = stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        window.addActions([self.save_action, self.save_as_action, self.undo_action, self.redo_action])
        window.installEventFilter(self)
        session.modifiedChanged.connect(self._update)
        session.pathChanged.connect(self._update)
        self._update()

    def _action(self, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _=False: slot())
        return action

    def _update(self, *_) -> None:
        self.revert_action.setEnabled(self.session.profile_path is not None and self.session.modified)

    # ----- menus -------------------------------------------------------------------------
    def menu(self, parent: QWidget | None = None) -> QMenu:
        menu = QMenu("&Profile", parent or self.window)
        menu.addActions([self.new_action, self.open_action])
        menu.addSeparator()
        menu.addActions([self.save_action, self.save_as_action])
        export = menu.addMenu("&Export to firmware")
        export.addActions(list(self.export_actions.values()))
        menu.addAction(self.import_action)
        menu.addSeparator()
        menu.addAction(self.compare_action)
        menu.addSeparator()
        menu.addAction(self.revert_action)
        return menu

    def window_title(self, base: str = "camtune") -> str:
        return window_title(self.session, base)

    # ----- guard -------------------------------------------------------------------------
    def maybe_save(self) -> bool:
        """True when it is fine to drop the current profile (saved, discarded, or unchanged)."""
        if not self.session.modified:
            return True
        answer = dialogs.ask_save_changes(self.window, document_name(self.session))
        if answer == "save":
            return self.save()
        return answer == "discard"

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt API)
        if obj is self.window and event.type() == QEvent.Type.Close and not self.maybe_save():
            event.ignore()
            return True
        return False

    # ----- documents ---------------------------------------------------------------------
    def _start(self, path: Path | None) -> Path:
        if path is not None:
            return path
        if self.session.profile_path is not None:
            return Path(self.session.profile_path).parent
        return Path.cwd()

    def _fail(self, title: str, err: Exception) -> bool:
        if isinstance(err, OSError):
            err = CamtuneError(err.strerror or str(err), err.filename)
        dialogs.show_error(self.window, title, str(err))
        return False

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.session.replace_document(default_profile(), None)
        self.status.emit("New profile")
        return True

    def _load(self, title: str, path: Path | None):
        """(path, profile) from `path` or a file dialog; None when cancelled or unreadable."""
        path = path or dialogs.ask_path(self.window, "open", title, self._start(None), PROFILE_FILTER)
        if path is None:
            return None
        try:
            return Path(path), load_profile(path)
        except (CamtuneError, OSError) as err:
            self._fail("Cannot open the profile", err)
            return None

    def open(self, path: Path | None = None) -> bool:
        if not self.maybe_save():
            return False
        loaded = self._load("Open profile", path)
        if loaded is None:
            return False
        path, profile = loaded
        self.session.replace_document(profile, path)
        self.status.emit(f"Opened {path.name}")
        return True

    def compare_with(self, path: Path | None = None) -> bool:
        """Load a profile as the comparison reference; the tuned profile is not touched."""
        loaded = self._load("Compare with profile", path)
        if loaded is None:
            return False
        path, profile = loaded
        self.session.set_reference(profile, path.name)
        self.status.emit(f"Comparing with {path.name}")
        return True

    def save(self) -> bool:
        if self.session.profile_path is None:
            return self.save_as()
        return self._write(Path(self.session.profile_path))

    def save_as(self, path: Path | None = None) -> bool:
        if path is None:
            start = self._start(None) / f"{self.session.profile.identity.name}{PROFILE_SUFFIX}"
            path = dialogs.ask_path(self.window, "save", "Save profile as", start, PROFILE_FILTER)
            if path is None:
                return False
        path = Path(path)
        if not path.suffix:
            path = path.with_suffix(PROFILE_SUFFIX)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            _check_target(path)
            save_profile(self.session.profile, path)
        except (CamtuneError, OSError) as err:
            return self._fail("Cannot save the profile", err)
        self.session.mark_saved(path)
        self.status.emit(f"Saved {path.name}")
        return True

    def revert(self) -> bool:
        """Go back to the saved file, as one undoable step."""
        path = self.session.profile_path
        if path is None:
            return False
        try:
            saved = load_profile(path)
        except (CamtuneError, OSError) as err:
            return self._fail("Cannot revert", err)
        self.session.set_profile(saved, f"Revert to {Path(path).name}")
        self.session.mark_saved(Path(path))
        self.status.emit(f"Reverted to {Path(path).name}")
        return True

    # ----- firmware ----------------------------------------------------------------------
    def export(self, fmt: str, path: Path | None = None) -> bool:
        """Write the profile as firmware format `fmt`; show the exporter's notes."""
        _, suffix, filters = EXPORT_FILES.get(fmt, ("", "", "All files (*)"))
        if path is None:
            start = self._start(None) / f"{self.session.profile.identity.name}{suffix}"
            path = dialogs.ask_path(self.window, "save", f"Export {fmt}", start, f"{filters};;All files (*)")
            if path is None:
                return False
        path = Path(path)
        try:
            _check_target(path)
            if self.session.profile_path is not None and path.resolve() == Path(self.session.profile_path).resolve():
                raise CamtuneError("is the profile being edited; export to another file", path)
            exported = export_profile(self.session.profile, fmt)
            atomic_write_bytes(path, exported.data)
        except (CamtuneError, OSError) as err:
            return self._fail(f"Cannot export {fmt}", err)
        message = f"Exported {fmt} to {path.name} ({len(exported.data)} bytes)"
        self.status.emit(message)
        if exported.notes:
            dialogs.show_info(self.window, f"Exported {fmt}",
                              message + ".\n\nNotes:\n• " + "\n• ".join(exported.notes))
        return True

    def import_firmware(self, path: Path | None = None) -> bool:
        """Open a firmware tuning file as a new, unsaved profile (its notes are shown)."""
        path = path or dialogs.ask_path(self.window, "open", "Import firmware tuning file",
                                        self._start(None), FIRMWARE_FILTER)
        if path is None:
            return False
        try:
            fmt, imported = import_file(path, ImportOptions())
        except (CamtuneError, OSError) as err:
            return self._fail("Cannot import", err)
        if not self.maybe_save():
            return False
        self.session.replace_document(imported.profile, None)
        self.status.emit(f"Imported {Path(path).name} ({fmt})")
        if imported.notes:
            dialogs.show_info(self.window, f"Imported {fmt}",
                              f"Imported {Path(path).name}.\n\nNotes:\n• " + "\n• ".join(imported.notes))
        return True
