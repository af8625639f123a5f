"""The workbench window: opens the demo capture, reports errors in the window, screenshots."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gui_helpers import warm_kernels  # noqa: F401 (autouse fixture)
from gui_helpers import WAIT_MS, FrameLog, new_window, shown_rgb, wait_idle

pytest.importorskip("pytestqt")


@pytest.fixture
def window(qtbot):
    win = new_window()
    yield win
    win.close()


def test_window_opens_the_demo_capture_and_shows_it_rendered(qtbot, window):
    frames = FrameLog(window.viewer)
    window.open_demo()
    qtbot.waitUntil(lambda: window.session.capture is not None, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: frames.last() is not None, timeout=WAIT_MS)
    rgb = shown_rgb(window.viewer.pane_a.base)
    assert rgb.ndim == 3 and rgb.shape[2] == 3
    assert rgb.std() > 20  # a chart, not a blank frame
    assert "demo" in window.facts_label.text()
    wait_idle(qtbot, window)
    assert window.scopes._last is not None  # the histogram came with the frame


def test_an_unreadable_file_is_a_message_in_the_window_and_the_capture_stays(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    from app.simulate import demo_capture
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: shown.append(self.text()) or 0)
    win = new_window(interactive=True)
    try:
        capture = demo_capture((320, 180))
        win.session.add_capture(capture)
        bad = tmp_path / "broken.dng"
        bad.write_bytes(b"this is not a DNG at all" * 10)
        win.open_paths([str(bad)])
        qtbot.waitUntil(lambda: bool(shown), timeout=WAIT_MS)
        assert "broken.dng" in shown[0] and "TIFF" in shown[0]
        assert win.session.capture is capture and len(win.session.captures) == 1
    finally:
        win.session.undo_stack.setClean()
        win.close()


def test_a_headerless_dump_asks_for_its_geometry_with_the_size_checked(qtbot, tmp_path, monkeypatch):
    from widgets import raw_geometry_dialog
    dump = tmp_path / "sensor_dump.raw"
    mosaic = (np.arange(64 * 48, dtype=np.uint16).reshape(48, 64) % 1024)
    dump.write_bytes(mosaic.astype("<u2").tobytes())
    asked = []

    def answer(dialog):
        asked.append(dialog.check.text())
        dialog.width_box.setValue(64)
        dialog.height_box.setValue(48)
        dialog.bits_box.setValue(10)
        dialog.packing_box.setCurrentText("u16le")
        asked.append(dialog.check.text())
        return 1

    monkeypatch.setattr(raw_geometry_dialog.RawGeometryDialog, "exec", answer)
    win = new_window(interactive=True)
    try:
        win.open_paths([str(dump)])
        qtbot.waitUntil(lambda: win.session.capture is not None, timeout=WAIT_MS)
        assert win.session.capture.width == 64 and win.session.capture.bits == 10
        assert asked[-1].startswith(raw_geometry_dialog.OK_MARK)
    finally:
        win.close()


def test_the_title_names_the_profile_and_marks_changes(qtbot, window):
    from app.simulate import demo_capture
    window.session.add_capture(demo_capture((320, 180)))
    name = window.session.profile.identity.name
    assert name in window.windowTitle() and "*" not in window.windowTitle()
    assert "demo" in window.windowTitle()
    window.session.set_stage("colour", saturation=1.3)
    assert f"{name}*" in window.windowTitle().replace(" (not saved)", "")
    window.session.undo_stack.undo()
    assert "*" not in window.windowTitle()


def test_screenshot_option_writes_a_png_of_the_window(tmp_path):
    from PySide6.QtGui import QImage
    from widgets.app import main
    target = tmp_path / "shot.png"
    dump = tmp_path / "dump.bin"  # the name says nothing: the geometry comes from --raw-format
    dump.write_bytes((np.arange(96 * 64, dtype=np.uint16) % 4096).astype("<u2").tobytes())
    assert main(["--raw-format", "96x64:12:GRBG", str(dump), "--screenshot", str(target)]) == 0
    image = QImage(str(target))
    assert not image.isNull() and image.width() >= 800


def test_screenshot_of_an_unreadable_file_fails_cleanly(tmp_path, capsys):
    from widgets.app import run_gui
    missing = tmp_path / "nothing.dng"
    assert run_gui([str(missing)], screenshot=str(tmp_path / "x.png")) == 2
    assert "file not found" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_dropped_files_are_opened(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    opened = []
    monkeypatch.setattr(window, "open_paths", lambda paths, raw_format=None: opened.extend(paths))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.dng"))])
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert opened == [str(tmp_path / "a.dng")]


def test_switching_capture_keeps_the_tuning(qtbot, window):
    from app.simulate import demo_capture
    from app.warmup import synthetic_capture
    window.session.add_capture(demo_capture((320, 180)))
    window.session.set_stage("colour", saturation=1.4)
    tuned = window.session.profile
    window.session.add_capture(synthetic_capture(200, 150))
    window.browser.list.setCurrentRow(0)
    assert window.session.current_index == 0 and window.session.profile is tuned
    qtbot.waitUntil(lambda: window.browser.list.count() == 2, timeout=WAIT_MS)
    window.session.undo_stack.setClean()


def test_every_shortcut_is_listed_once(window):
    rows = window.shortcut_rows()
    names = [name for name, _ in rows]
    keys = [k for _, k in rows]
    assert "Fit" in names and "Open capture" in names and "Undo" in names
    assert len(keys) == len(set(keys)), "two actions share a shortcut"


def test_file_dialog_filters_name_every_supported_suffix():
    from app.loaders import SUPPORTED_SUFFIXES
    from widgets.main_window import file_filters
    first = file_filters().split(";;")[0]
    assert all(f"*{s}" in first and f"*{s.upper()}" in first for s in SUPPORTED_SUFFIXES)
    assert Path(__file__).exists()
