"""The viewer renders what the tuning says: changes, undo, split, A/B, 1:1 regions, taps, tools."""
from __future__ import annotations

import numpy as np
import pytest

from gui_helpers import warm_kernels  # noqa: F401 (autouse fixture)
from gui_helpers import DEMO_SIZE, WAIT_MS, FrameLog, new_window, shown_rgb, wait_idle

pytest.importorskip("pytestqt")


@pytest.fixture(scope="module")
def demo():
    from app.simulate.demo import demo_result
    return demo_result(DEMO_SIZE)


@pytest.fixture(scope="module")
def window(qapp, demo):
    win = new_window(size=(1100, 760))
    win.session.add_capture(demo.capture)
    yield win
    win.session.undo_stack.setClean()
    win.close()


@pytest.fixture
def frames(qtbot, window):
    """Each test starts from the single view, fitted, final tap, no ROI, the tuning's first state."""
    viewer = window.viewer
    viewer.set_mode("single")
    viewer.set_tap("final")
    viewer.set_tool("pan")
    viewer.clear_roi()
    window.session.undo_stack.setIndex(0)
    qtbot.waitUntil(lambda: abs(viewer.pane_a.boundingRect().width() - viewer.view.width()) < 8, timeout=5000)
    viewer.fit()
    log = FrameLog(viewer)
    qtbot.waitUntil(lambda: log.shown_with(window.session.profile) or
                    viewer.pane_a.base.image is not None and not window.worker.busy, timeout=WAIT_MS)
    wait_idle(qtbot, window)
    return log


def _wait_profile_shown(qtbot, frames, window, side="A", layer="base"):
    profile = window.session.profile if side == "A" else window.viewer.reference_profile()
    qtbot.waitUntil(lambda: frames.shown_with(profile, side, layer), timeout=WAIT_MS)


def _patch_mean(result, rect):
    from app.analysis import map_rect
    img = result.image
    x0, y0, x1, y1 = map_rect(rect, None, result.rect, (img.shape[1], img.shape[0]))
    return img[y0:y1, x0:x1].reshape(-1, 3).astype(np.float64).mean(axis=0)


def _grey_step_rect(demo, index=4):
    x0, y0, x1, y1 = demo.truth["geometry"]["grey_steps"]["steps"][index]["rect"]
    inset = 4  # stay clear of the edges (blur, sharpening halo)
    return (x0 + inset, y0 + inset, x1 - x0 - 2 * inset, y1 - y0 - 2 * inset)


def test_a_parameter_change_reaches_the_image_and_undo_restores_it(qtbot, window, frames):
    before = shown_rgb(window.viewer.pane_a.base)
    frames.reset()
    window.session.set_stage("colour", saturation=0.0)
    _wait_profile_shown(qtbot, frames, window)
    grey = shown_rgb(window.viewer.pane_a.base)
    assert np.abs(grey.astype(int) - before.astype(int)).max() > 20
    spread = grey.max(axis=2).astype(int) - grey.min(axis=2).astype(int)
    assert spread.max() <= 2  # saturation 0: R = G = B
    frames.reset()
    window.session.undo_stack.undo()
    _wait_profile_shown(qtbot, frames, window)
    assert np.array_equal(shown_rgb(window.viewer.pane_a.base), before)


def test_split_view_renders_the_reference_under_the_divider(qtbot, window, frames):
    viewer = window.viewer
    window.session.set_stage("exposure", ev=1.0)
    viewer.set_mode("split")
    _wait_profile_shown(qtbot, frames, window, side="before")
    _wait_profile_shown(qtbot, frames, window, side="A")
    before = shown_rgb(viewer.pane_a.before_base)
    after = shown_rgb(viewer.pane_a.base)
    assert before.shape == after.shape and before.mean() < after.mean() - 10  # +1 EV is brighter
    assert viewer.pane_a.divider.isVisible()
    assert viewer.reference_name() == "neutral defaults"


def test_ab_view_renders_the_snapshot_beside_with_locked_zoom(qtbot, window, frames):
    viewer = window.viewer
    viewer.take_snapshot()
    window.session.set_stage("colour", saturation=2.0)
    viewer.set_mode("ab")
    _wait_profile_shown(qtbot, frames, window, side="B")
    _wait_profile_shown(qtbot, frames, window, side="A")
    a, b = shown_rgb(viewer.pane_a.base), shown_rgb(viewer.pane_b.base)
    chroma = lambda img: (img.max(axis=2).astype(int) - img.min(axis=2)).mean()  # noqa: E731
    assert chroma(a) > chroma(b) * 1.3
    viewer.set_zoom(2.0)
    qtbot.waitUntil(lambda: viewer.pane_b.viewRect() == viewer.pane_a.viewRect(), timeout=5000)
    window.session.set_reference(None)


def test_zoom_to_100_percent_renders_the_visible_region_at_full_resolution(qtbot, window, frames):
    from PySide6.QtCore import QRectF
    from app.warmup import synthetic_capture
    viewer = window.viewer
    window.session.add_capture(synthetic_capture(2400, 1800))  # larger than the pane
    qtbot.waitUntil(lambda: frames.last() is not None and frames.last().job.capture is window.session.capture,
                    timeout=WAIT_MS)
    assert frames.last().job.view.kind == "preview"
    viewer.set_zoom(1.0)
    assert viewer.zoom() == pytest.approx(1.0, rel=1e-2)
    frame = QRectF(0, 0, window.session.capture.width, window.session.capture.height)

    def covers_visible():
        result = frames.last(layer="detail")
        if result is None:
            return False
        x, y, w, h = result.rect
        return QRectF(x, y, w, h).contains(viewer.pane_a.viewRect().intersected(frame))
    qtbot.waitUntil(covers_visible, timeout=WAIT_MS)
    result = frames.last(layer="detail")
    assert result.job.view.kind == "roi"
    x, y, w, h = result.rect
    assert result.image.shape[:2] == (h, w)  # one image pixel per capture pixel
    assert viewer.pane_a.detail.isVisible()
    viewer.fit()
    qtbot.waitUntil(lambda: not viewer.pane_a.detail.isVisible(), timeout=5000)
    window.session.select_capture(0)


def test_white_balance_picker_neutralises_the_grey_patch(qtbot, window, frames, demo):
    window.session.set_stage("wb", source="manual", gains=(1.3, 1.0, 2.6))  # a wrong balance
    _wait_profile_shown(qtbot, frames, window)
    rect = _grey_step_rect(demo)
    tinted = _patch_mean(frames.last(), rect)
    assert tinted.max() - tinted.min() > 15
    wrong = window.session.profile
    window.viewer.pick_white_balance(*rect)
    qtbot.waitUntil(lambda: window.session.profile is not wrong, timeout=WAIT_MS)
    wb = window.session.profile.stages.wb
    assert wb.source == "manual" and wb.enabled and wb.gains[1] == 1.0
    _wait_profile_shown(qtbot, frames, window)
    neutral = _patch_mean(frames.last(), rect)
    assert neutral.max() - neutral.min() < 3.0, neutral
    truth = demo.truth["white_balance"]["gains"]
    assert wb.gains[0] == pytest.approx(truth[0], rel=0.05) and wb.gains[2] == pytest.approx(truth[2], rel=0.05)


def test_roi_statistics_and_pixel_probe(qtbot, window, frames, demo):
    from PySide6.QtCore import QPointF
    stats, probes = [], []
    window.viewer.roiStats.connect(stats.append)
    window.viewer.probed.connect(probes.append)
    rect = _grey_step_rect(demo)
    window.viewer.set_roi(*rect)
    qtbot.waitUntil(lambda: bool(stats), timeout=WAIT_MS)
    report = stats[-1]
    names = [c.name for c in report.raw.channels]
    assert names == ["R", "Gr", "Gb", "B"] and all(c.mean > 0 for c in report.raw.channels)
    assert report.output is not None and report.output.pixels > 0
    assert window.inspector.roi_table.rowCount() == 7
    cx, cy = rect[0] + rect[2] / 2, rect[1] + rect[3] / 2
    window.viewer._mouse_moved(window.viewer.pane_a.mapViewToScene(QPointF(cx, cy)))
    qtbot.waitUntil(lambda: bool(probes), timeout=5000)
    probe = probes[-1]
    assert abs(probe.x - cx) <= 1 and abs(probe.y - cy) <= 1
    assert probe.raw[0] in ("R", "Gr", "Gb", "B") and len(probe.linear) == 3 and len(probe.output) == 3
    assert "x " in window.cursor_label.text()


def test_stage_tap_shows_the_sensor_mosaic_in_grey(qtbot, window, frames):
    window.viewer.set_tap("mosaic")
    qtbot.waitUntil(lambda: frames.last() is not None and frames.last().job.tap == "mosaic", timeout=WAIT_MS)
    rgb = frames.last().image
    assert np.array_equal(rgb[..., 0], rgb[..., 1]) and np.array_equal(rgb[..., 1], rgb[..., 2])
    window.viewer.set_tap("final")
