"""The Profile menu: save, open, export, import, revert, unsaved-changes guard, history view."""
from __future__ import annotations

from pathlib import Path

import pytest

import widgets.tuning  # noqa: F401  (applies the PySide6 6.12 / Python 3.11 workaround first)
from PySide6.QtWidgets import QMainWindow, QMessageBox

from tuning_profiles import DEMO_PROFILE, load_profile
from tuning_profiles.formats import EXPORT_FORMATS, export_profile
from widgets.session import Session
from widgets.tuning import dialogs
from widgets.tuning.actions import ProfileActions, window_title
from widgets.tuning.history import HistoryView


class Boxes:
    """Every message box the code opens, answered without a display."""

    def __init__(self, monkeypatch):
        self.shown: list[tuple[str, str, str]] = []
        self.answer = QMessageBox.StandardButton.Cancel
        for kind in ("critical", "information", "warning"):
            monkeypatch.setattr(QMessageBox, kind, self._record(kind))
        monkeypatch.setattr(QMessageBox, "question", self._question)

    def _record(self, kind):
        def show(parent, title, text, *args, **kwargs):
            self.shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok
        return staticmethod(show)

    def _question(self, parent, title, text, *args, **kwargs):
        self.shown.append(("question", title, text))
        return self.answer

    def kinds(self) -> list[str]:
        return [k for k, _, _ in self.shown]


@pytest.fixture
def boxes(monkeypatch):
    return Boxes(monkeypatch)


@pytest.fixture
def paths(monkeypatch):
    """Answers for the file dialogs, in order."""
    queue: list[Path | None] = []
    monkeypatch.setattr(dialogs, "ask_path", lambda *a, **k: queue.pop(0))
    return queue


@pytest.fixture
def app(qtbot, boxes):
    window = QMainWindow()
    qtbot.addWidget(window)
    session = Session(load_profile(DEMO_PROFILE))
    actions = ProfileActions(session, window)
    window.menuBar().addMenu(actions.menu())
    return session, window, actions


def test_menu_has_every_entry_and_shortcuts(app):
    _, _, actions = app
    menu = actions.menu()
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[:4] == ["&New profile", "&Open profile…", "&Save profile", "Save profile &as…"]
    export = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert len(export.actions()) == len(EXPORT_FORMATS)
    assert actions.save_action.shortcut().toString() == "Ctrl+S"
    assert actions.undo_action.shortcut().toString() == "Ctrl+Z"
    assert actions.redo_action.shortcut().toString() == "Ctrl+Shift+Z"


def test_export_writes_the_firmware_file_and_shows_its_notes(tmp_path, app, paths, boxes):
    session, _, actions = app
    paths.append(tmp_path / "imx.json")
    assert actions.export("rpi-vc4")
    expected = export_profile(session.profile, "rpi-vc4")
    assert (tmp_path / "imx.json").read_bytes() == expected.data
    assert boxes.kinds() == (["information"] if expected.notes else [])
    assert actions.export("c-header", tmp_path / "imx.h")
    assert (tmp_path / "imx.h").read_bytes().startswith(b"/*")


@pytest.mark.parametrize("target", ["folder", "missing/x.json"])
def test_export_refuses_a_bad_path_with_a_dialog(tmp_path, app, paths, boxes, target):
    _, _, actions = app
    (tmp_path / "folder").mkdir()
    paths.append(tmp_path / target)
    assert not actions.export("rkisp1")
    [(kind, title, text)] = boxes.shown
    assert kind == "critical" and "rkisp1" in title and str(tmp_path / target) in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_export_never_overwrites_the_profile_being_edited(tmp_path, app, boxes):
    session, _, actions = app
    path = tmp_path / "p.json"
    assert actions.save_as(path)
    text = path.read_text()
    assert not actions.export("rpi-pisp", path)
    assert path.read_text() == text and "profile being edited" in boxes.shown[-1][2]


def test_save_as_open_revert_and_window_title(tmp_path, app, paths, boxes):
    session, _, actions = app
    assert actions.window_title() == "virtual-nikon-d5100 (not saved) — camtune"
    paths.append(tmp_path / "demo")                        # the suffix is added
    assert actions.save_as()
    path = tmp_path / "demo.json"
    assert load_profile(path) == session.profile
    assert not session.modified and session.profile_path == path
    session.set_stage("sharpen", strength=2.0)
    assert window_title(session, "camtune") == "demo.json* — camtune"
    assert actions.revert_action.isEnabled()
    assert actions.revert()
    assert session.profile.stages.sharpen.strength == load_profile(path).stages.sharpen.strength
    assert not session.modified
    session.undo_stack.undo()                                # a revert is undoable
    assert session.profile.stages.sharpen.strength == 2.0 and session.modified
    boxes.answer = QMessageBox.StandardButton.Discard
    assert actions.new() and boxes.kinds() == ["question"]
    assert session.profile_path is None and not session.modified
    paths.append(path)
    assert actions.open()
    assert session.profile_path == path and not session.modified


def test_open_shows_a_broken_file_in_a_dialog(tmp_path, app, paths, boxes):
    session, _, actions = app
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": 2, "stages": {"tone": {"gamma": 9}}}')
    before = session.profile
    paths.append(bad)
    assert not actions.open()
    assert boxes.shown[-1][0] == "critical" and "tone.gamma" in boxes.shown[-1][2]
    assert session.profile is before


def test_compare_with_another_profile_sets_the_reference_only(tmp_path, app, paths, boxes):
    session, _, actions = app
    seen = []
    session.referenceChanged.connect(lambda: seen.append(session.reference_name))
    other = tmp_path / "other.json"
    actions.save_as(other)
    session.set_stage("sharpen", strength=2.0)
    tuned = session.profile
    paths.append(other)
    assert actions.compare_with()
    assert session.reference == load_profile(other) and session.reference_name == "other.json"
    assert session.profile is tuned and session.modified  # the document is untouched
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    paths.append(bad)
    assert not actions.compare_with()
    assert boxes.shown[-1][0] == "critical" and session.reference_name == "other.json"
    session.take_snapshot()
    assert session.reference is tuned and seen == ["other.json", "snapshot"]


def test_save_failure_is_a_dialog_not_a_crash(tmp_path, app, boxes):
    _, _, actions = app
    assert not actions.save_as(tmp_path / "missing" / "p.json")
    assert boxes.shown[-1][0] == "critical"


def test_import_a_firmware_file_as_a_new_document(tmp_path, app, boxes):
    session, _, actions = app
    firmware = tmp_path / "imx.yaml"
    firmware.write_bytes(export_profile(session.profile, "rkisp1").data)
    assert actions.import_firmware(firmware)
    assert session.profile_path is None and not session.modified
    assert session.profile.ccm.tables                        # the tables came back
    assert actions.import_firmware(tmp_path / "nothing.json") is False
    assert boxes.shown[-1][0] == "critical"


def test_unsaved_changes_block_close_on_cancel(qtbot, tmp_path, app, boxes, paths):
    session, window, actions = app
    window.show()
    session.set_stage("exposure", ev=1.0)
    boxes.answer = QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert window.isVisible() and boxes.kinds() == ["question"]
    assert not actions.new() and session.profile.stages.exposure.ev == 1.0

    boxes.answer = QMessageBox.StandardButton.Save
    paths.append(tmp_path / "kept.json")
    assert window.close()
    assert load_profile(tmp_path / "kept.json").stages.exposure.ev == 1.0


def test_discard_closes_without_saving(qtbot, app, boxes):
    session, window, actions = app
    window.show()
    session.set_stage("exposure", ev=1.0)
    boxes.answer = QMessageBox.StandardButton.Discard
    assert actions.maybe_save()
    assert window.close()


def test_history_lists_each_step(qtbot):
    session = Session()
    view = HistoryView(session)
    qtbot.addWidget(view)
    session.set_stage("exposure", ev=1.0)
    session.set_stage("tone", gamma=2.4)
    assert view.model().rowCount() == 3                      # "as opened" + two steps
    view.setCurrentIndex(view.model().index(0, 0))
    assert session.profile.stages.exposure.ev == 0.0 and session.undo_stack.index() == 0
