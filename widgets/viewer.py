"""The image viewer: zoom, pan, stage taps, before/after split, A/B comparison, probe, ROI, WB pick.

What is rendered follows what is on screen:

- below 100 % the whole frame is rendered as a fitted preview (`View.preview`) at the size it
  takes on screen (quantised in quarter-octave steps while zooming, so wheel steps do not each
  re-run the pipeline at a new size);
- from 100 % on, the visible area (plus a margin, so small pans need no render) is rendered at
  full resolution (`View.region`) over the preview, which stays underneath while panning.

The reference image (the "before" of the split and the "B" of A/B) is the session's reference:
a snapshot of the tuning (Snapshot, Ctrl+B) or another profile (Profile > Compare with
profile), otherwise the shipped neutral profile (the stages' defaults): "what did my tuning
do" against the last state the tuner chose to keep, another tuning, or no tuning at all. The
labels on the image say which.

The viewer builds jobs for the render worker and shows its results; it computes nothing itself.
"""
from __future__ import annotations

import math
import time

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QColor, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar, QVBoxLayout, QWidget

from app.isp.pipeline import TAPS
from app.isp.taps import TAP_TITLES
from app.isp.views import View
from tuning_profiles import default_profile
from widgets.image_pane import ImagePane
from widgets.render_worker import PickJob, ProbeJob, RenderJob, RenderWorker, StatsJob

SURROUND = QColor(118, 118, 118)  # 18 % grey (sRGB 118): the surround images are judged against
REGION_MARGIN = 0.25  # extra fraction of the visible size rendered around a 1:1 region
ZOOM_STEP = 2 ** 0.25  # quarter octave: wheel-zoom previews are rendered at these sizes
ZOOM_PRESETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
ONE_TO_ONE = 0.98  # from this zoom on, the visible region is rendered at full resolution
RANGE_SETTLE_MS = 40  # coalesce zoom/pan into one render plan per this interval
MODES = ("single", "split", "ab")


def preview_box(frame: tuple[int, int], zoom: float, fit_zoom: float) -> tuple[int, int]:
    """Width and height to ask `View.preview` for: the frame's size on screen, in device pixels.

    At the fitted zoom that size exactly (the image is then painted 1:1, unscaled); elsewhere
    the zoom is rounded up to the next quarter octave, so that a preview is never smaller than
    the screen area it fills and wheel steps do not each ask for a new size.
    """
    if abs(zoom - fit_zoom) <= 1e-3 * fit_zoom:
        return max(16, round(frame[0] * zoom)), max(16, round(frame[1] * zoom))
    steps = math.ceil(math.log(zoom, ZOOM_STEP) - 1e-6)
    z = ZOOM_STEP ** steps
    return max(16, math.ceil(frame[0] * z)), max(16, math.ceil(frame[1] * z))


def region_for(visible: QRectF, frame: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Capture rectangle (x, y, w, h) to render at 1:1 for a visible area: the area plus a margin."""
    mx, my = visible.width() * REGION_MARGIN, visible.height() * REGION_MARGIN
    x0 = max(0, math.floor(visible.left() - mx))
    y0 = max(0, math.floor(visible.top() - my))
    x1 = min(frame[0], math.ceil(visible.right() + mx))
    y1 = min(frame[1], math.ceil(visible.bottom() + my))
    if x1 - x0 < 1 or y1 - y0 < 1:
        return None
    return x0, y0, x1 - x0, y1 - y0


def _contains(outer: tuple | None, inner: QRectF, frame: tuple[int, int]) -> bool:
    if outer is None:
        return False
    x, y, w, h = outer
    vis = inner.intersected(QRectF(0, 0, *frame))
    return vis.left() >= x and vis.top() >= y and vis.right() <= x + w and vis.bottom() <= y + h


class _GraphicsView(pg.GraphicsLayoutWidget):
    """Emits `painted` after each paint, so the viewer knows when a frame reached the screen."""

    painted = Signal()

    def paintEvent(self, ev):  # noqa: N802 (Qt API)
        super().paintEvent(ev)
        self.painted.emit()


class Viewer(QWidget):
    frameShown = Signal(list)  # [(RenderResult, perf_counter when painted)]
    scopesReady = Signal(object)  # RenderResult carrying histogram / waveform
    roiStats = Signal(object)  # RoiReport
    roiCleared = Signal()
    probed = Signal(object)  # ProbeResult
    cursorLeft = Signal()
    renderTimed = Signal(object)  # RenderResult of the current image
    message = Signal(str)  # short feedback for the status bar
    zoomChanged = Signal(float)

    def __init__(self, session, worker: RenderWorker, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.worker = worker
        self.mode = "single"
        self.tap = "final"
        self.scopes = "histogram"
        self._neutral = default_profile()
        self._requested: dict[tuple, tuple] = {}
        self._unpainted: list = []
        self._probe_layer = "base"
        self._last_views: dict[tuple, View] = {}

        self.view = _GraphicsView()
        self.view.setBackground(SURROUND)
        self.view.ci.setContentsMargins(0, 0, 0, 0)
        self.view.ci.setSpacing(3)
        self.view.painted.connect(self._painted)
        self.pane_a = ImagePane("A")
        self.pane_b = ImagePane("B")
        self.pane_b.setXLink(self.pane_a)
        self.pane_b.setYLink(self.pane_a)
        self.view.addItem(self.pane_a, 0, 0)
        for pane in (self.pane_a, self.pane_b):
            pane.sigRangeChanged.connect(self._range_changed)
            pane.sigResized.connect(self._range_changed)
            pane.rectPicked.connect(self._rect_picked)
        self.pane_a.roiChanged.connect(self._roi_moved)
        self.pane_a.roiRemoved.connect(self.clear_roi)
        self.view.scene().sigMouseMoved.connect(self._mouse_moved)

        self._settle = QTimer(self, singleShot=True, interval=RANGE_SETTLE_MS)
        self._settle.timeout.connect(self._plan)
        self._empty = QLabel("No capture open.\nFile \u25b8 Open (Ctrl+O), or drop a RAW file here.",
                             self.view)
        self._empty.setObjectName("emptyHint")
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.toolbar = QToolBar("Viewer", self)
        self.toolbar.setObjectName("viewerToolbar")
        self._build_actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.view, 1)

        worker.rendered.connect(self._on_rendered)
        worker.probed.connect(self.probed)
        worker.picked.connect(self._on_picked)
        worker.statsReady.connect(self.roiStats)
        session.profileChanged.connect(self.refresh)
        session.referenceChanged.connect(self._reference_changed)
        session.captureChanged.connect(self._capture_changed)
        self._update_labels()

    # ----- actions ------------------------------------------------------------------------------
    def _action(self, text: str, shortcut: str | QKeySequence | None, slot, checkable=False, tip=""):
        act = QAction(text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.setCheckable(checkable)
        act.setToolTip(f"{tip or text} ({act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
                       if shortcut else (tip or text))
        act.triggered.connect(slot)
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        tb = self.toolbar
        self.act_fit = self._action("Fit", "F", self.fit, tip="Fit the image in the window")
        self.act_100 = self._action("100%", "1", lambda: self.set_zoom(1.0), tip="Actual pixels")
        self.act_200 = self._action("200%", "2", lambda: self.set_zoom(2.0), tip="Two screen pixels per pixel")
        self.act_zoom_in = self._action("Zoom in", QKeySequence.StandardKey.ZoomIn, lambda: self.step_zoom(+1))
        self.act_zoom_out = self._action("Zoom out", QKeySequence.StandardKey.ZoomOut, lambda: self.step_zoom(-1))
        self.zoom_label = QLabel("")
        self.zoom_label.setObjectName("zoomLabel")
        self.zoom_label.setMinimumWidth(52)
        for act in (self.act_fit, self.act_100):
            tb.addAction(act)
        tb.addWidget(self.zoom_label)
        tb.addSeparator()

        group = QActionGroup(self)
        self.mode_actions = {}
        for mode, text, key, tip in (
                ("single", "Single", "S", "Show the current tuning only"),
                ("split", "Split", "\\", "Split view: reference left of the divider, current right"),
                ("ab", "A/B", "Y", "Current tuning (A) beside the reference (B), zoom and pan locked")):
            act = self._action(text, key, lambda _=False, m=mode: self.set_mode(m), checkable=True, tip=tip)
            group.addAction(act)
            tb.addAction(act)
            self.mode_actions[mode] = act
        self.mode_actions["single"].setChecked(True)
        self.act_snapshot = self._action("Snapshot", "Ctrl+B", self.take_snapshot,
                                         tip="Keep the current tuning as the reference (B / before)")
        tb.addAction(self.act_snapshot)
        tb.addSeparator()

        tools = QActionGroup(self)
        self.tool_actions = {}
        for tool, text, key, tip in (
                ("pan", "Pan", "H", "Drag to pan, wheel to zoom"),
                ("roi", "ROI", "R", "Drag a rectangle: statistics of that area"),
                ("wb", "WB", "W", "Click or drag on a neutral area: white balance from it")):
            act = self._action(text, key, lambda _=False, t=tool: self.set_tool(t), checkable=True, tip=tip)
            tools.addAction(act)
            tb.addAction(act)
            self.tool_actions[tool] = act
        self.tool_actions["pan"].setChecked(True)
        self.act_clear_roi = self._action("Clear ROI", "Shift+R", self.clear_roi)
        tb.addSeparator()

        self.tap_combo = QComboBox()
        self.tap_combo.setObjectName("tapCombo")
        self.tap_combo.setToolTip("Stage tap: show the image after this stage (Alt+1 .. Alt+7)")
        self.tap_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tap_combo.setMinimumContentsLength(14)
        for tap in TAPS:
            self.tap_combo.addItem(TAP_TITLES[tap], tap)
        self.tap_combo.setCurrentIndex(TAPS.index("final"))
        self.tap_combo.currentIndexChanged.connect(lambda i: self.set_tap(self.tap_combo.itemData(i)))
        tb.addWidget(QLabel(" Tap "))
        tb.addWidget(self.tap_combo)
        self.tap_actions = [self._action(TAP_TITLES[tap], f"Alt+{i + 1}",
                                         lambda _=False, i=i: self.tap_combo.setCurrentIndex(i))
                            for i, tap in enumerate(TAPS)]

    def menu_actions(self) -> dict[str, list]:
        """Actions for the window's View menu, grouped."""
        return {"zoom": [self.act_fit, self.act_100, self.act_200, self.act_zoom_in, self.act_zoom_out],
                "mode": [*self.mode_actions.values(), self.act_snapshot],
                "tool": [*self.tool_actions.values(), self.act_clear_roi],
                "tap": self.tap_actions}

    # ----- public state -------------------------------------------------------------------------
    def panes(self) -> list[ImagePane]:
        return [self.pane_a, self.pane_b] if self.mode == "ab" else [self.pane_a]

    def reference_profile(self):
        return self.session.reference or self._neutral

    def reference_name(self) -> str:
        return self.session.reference_name if self.session.reference is not None else "neutral defaults"

    def set_mode(self, mode: str) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown viewer mode {mode!r}")
        if mode == self.mode:
            return
        was_fitted = self._fitted()
        if self.mode == "ab":
            self.view.ci.removeItem(self.pane_b)
        self.mode = mode
        self.mode_actions[mode].setChecked(True)
        if mode == "ab":
            self.view.addItem(self.pane_b, 0, 1)
            if self.session.capture is not None:
                self.pane_b.set_frame(self.session.capture.width, self.session.capture.height)
        self.pane_a.set_split(mode == "split")
        for key in [k for k in self._requested if k[0] != "A"]:
            del self._requested[key]
        if was_fitted:  # the panes change size: keep showing the whole frame
            self.fit()
        self._update_labels()
        self.refresh()

    def set_tap(self, tap: str) -> None:
        if tap not in TAPS or tap == self.tap:
            return
        self.tap = tap
        if self.tap_combo.currentData() != tap:
            self.tap_combo.setCurrentIndex(TAPS.index(tap))
        self._update_labels()
        self.refresh()

    def set_tool(self, tool: str) -> None:
        for pane in (self.pane_a, self.pane_b):
            pane.tool = tool
        self.tool_actions[tool].setChecked(True)
        cursor = Qt.CursorShape.OpenHandCursor if tool == "pan" else Qt.CursorShape.CrossCursor
        self.view.setCursor(cursor)

    def set_scopes(self, scopes: str) -> None:
        """What the worker computes with each current frame: "histogram", "waveform", "parade"."""
        if scopes != self.scopes:
            self.scopes = scopes
            self._requested.pop(("A", "base"), None)
            self.refresh()

    def take_snapshot(self) -> None:
        self.session.take_snapshot()
        self.message.emit("Snapshot taken: the reference (B / before) is now the current tuning")

    def _reference_changed(self) -> None:
        self._update_labels()
        self.refresh()

    # ----- zoom -----------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.pane_a.zoom()

    def fit(self) -> None:
        self.pane_a.fit()

    def set_zoom(self, zoom: float, centre: QPointF | None = None) -> None:
        self.pane_a.set_zoom(zoom, centre)

    def step_zoom(self, direction: int) -> None:
        current = self.zoom()
        if direction > 0:
            target = next((z for z in ZOOM_PRESETS if z > current * 1.01), ZOOM_PRESETS[-1])
        else:
            target = next((z for z in reversed(ZOOM_PRESETS) if z < current * 0.99), None)
            if target is None or target < self.pane_a.fit_zoom():
                self.fit()
                return
        self.set_zoom(target)

    # ----- planning renders -------------------------------------------------------------------------
    def _capture_changed(self) -> None:
        capture = self.session.capture
        self._requested.clear()
        self._empty.setVisible(capture is None)
        for pane in (self.pane_a, self.pane_b):
            pane.clear_images()
            if capture is not None:
                pane.set_frame(capture.width, capture.height)
        self.clear_roi()
        self.refresh()

    def refresh(self) -> None:
        """Re-plan now (tuning, tap, mode or capture changed)."""
        self._update_labels()
        self._plan()

    def _range_changed(self, *_args) -> None:
        if not self._settle.isActive():
            self._settle.start()
        self.zoomChanged.emit(self.zoom())
        self._update_zoom_label()

    def _fitted(self) -> bool:
        z = self.zoom()
        return self.pane_a.fitted or abs(z - self.pane_a.fit_zoom()) < 1e-3 * max(z, 1e-9)

    def _update_zoom_label(self) -> None:
        z = self.zoom()
        fitted = self._fitted()
        self.zoom_label.setText(f" {z * 100:.0f}%{' fit' if fitted else ''} ")

    def _plan(self) -> None:
        capture = self.session.capture
        if capture is None:
            return
        frame = (capture.width, capture.height)
        zoom = self.pane_a.zoom()
        base = View.preview(*preview_box(frame, zoom, self.pane_a.fit_zoom()))
        detail = None
        if zoom >= ONE_TO_ONE:
            visible = self.pane_a.viewRect()
            prev = self._last_views.get(("A", "detail"))
            prev_rect = (prev.x, prev.y, prev.width, prev.height) if prev is not None else None
            if _contains(prev_rect, visible, frame) and prev.width * prev.height <= \
                    4 * (1 + 2 * REGION_MARGIN) ** 2 * max(visible.width() * visible.height(), 1):
                detail = prev
            else:
                rect = region_for(visible, frame)
                # All of the frame in view: the base layer is already rendered at full size.
                detail = View.region(*rect) if rect and rect != (0, 0, *frame) else None
        if detail is None:
            for pane in (self.pane_a, self.pane_b):
                pane.detail.clear_image()
                pane.before_detail.clear_image()
            for key in [k for k in self._requested if k[1] == "detail"]:
                del self._requested[key]
            self._last_views.pop(("A", "detail"), None)
        self._probe_layer = "detail" if detail is not None else "base"
        sides = ["A"] + (["before"] if self.mode == "split" else []) + (["B"] if self.mode == "ab" else [])
        roi = self.roi_rect_tuple()
        for layer, view in (("detail", detail), ("base", base)):
            if view is None:
                continue
            for side in sides:
                profile = self.session.profile if side == "A" else self.reference_profile()
                scopes = self.scopes if side == "A" and layer == "base" else ""
                wants_roi = side == "A" and roi is not None and layer == self._probe_layer
                # The profile by identity (frozen models; == would compare every table).
                state = (profile, (capture.token, view, self.tap, scopes, roi if wants_roi else None))
                prev = self._requested.get((side, layer))
                if prev is not None and prev[0] is profile and prev[1] == state[1]:
                    continue
                self._requested[(side, layer)] = state
                self._last_views[(side, layer)] = view
                self.worker.submit(RenderJob(capture, profile, view, self.tap, side, layer, scopes,
                                             roi if wants_roi else None))

    # ----- results ----------------------------------------------------------------------------------
    def _on_rendered(self, result) -> None:
        job = result.job
        capture = self.session.capture
        if capture is None or job.capture is not capture or job.tap != self.tap:
            return
        if self._requested.get((job.side, job.layer)) is None:
            return  # that layer is no longer wanted (zoomed out, mode changed)
        pane = self.pane_b if job.side == "B" else self.pane_a
        if job.side == "B" and self.mode != "ab" or job.side == "before" and self.mode != "split":
            return
        if job.side == "before":
            item = pane.before_detail if job.layer == "detail" else pane.before_base
        else:
            item = pane.detail if job.layer == "detail" else pane.base
        item.show_image(result.display, result.rect)
        self._unpainted.append(result)
        if job.side == "A":
            if job.layer == "base" and result.histogram is not None:
                self.scopesReady.emit(result)
            if result.roi is not None:
                self.roiStats.emit(result.roi)
            self.renderTimed.emit(result)

    def _painted(self) -> None:
        if not self._unpainted:
            return
        now = time.perf_counter()
        shown, self._unpainted = self._unpainted, []
        self.frameShown.emit([(r, now) for r in shown])

    # ----- tools ------------------------------------------------------------------------------------
    def _rect_picked(self, tool: str, rect: QRectF) -> None:
        capture = self.session.capture
        if capture is None:
            return
        if tool == "roi":
            self.pane_a.set_roi(rect)
            self._roi_moved(rect)
        elif tool == "wb":
            view = self._last_views.get(("A", self._probe_layer)) or self._last_views.get(("A", "base"))
            if view is None:
                return
            layer = self._probe_layer if self._last_views.get(("A", self._probe_layer)) is view else "base"
            if layer == "detail" and not _contains((view.x, view.y, view.width, view.height), rect,
                                                   (capture.width, capture.height)):
                layer, view = "base", self._last_views[("A", "base")]
            self.worker.submit(PickJob(capture, self.session.profile, view, layer,
                                       (rect.x(), rect.y(), rect.width(), rect.height())))

    def _on_picked(self, result) -> None:
        if result.gains is None:
            self.message.emit(f"White balance not picked: {result.error}")
            return
        r, g, b = result.gains
        self.session.set_stage("wb", enabled=True, source="manual", gains=(r, g, b))
        self.message.emit(f"White balance picked: gains R {r:.3f}  G {g:.3f}  B {b:.3f}")

    def roi_rect_tuple(self) -> tuple | None:
        rect = self.pane_a.roi_rect()
        if rect is None:
            return None
        return (round(rect.x(), 1), round(rect.y(), 1), round(rect.width(), 1), round(rect.height(), 1))

    def _roi_moved(self, _rect=None) -> None:
        capture = self.session.capture
        roi = self.roi_rect_tuple()
        if capture is None or roi is None:
            return
        self.worker.submit(StatsJob(capture, self._probe_layer, roi))

    def set_roi(self, x: float, y: float, w: float, h: float) -> None:
        self._rect_picked("roi", QRectF(x, y, w, h))

    def clear_roi(self) -> None:
        if self.pane_a.roi is not None:
            self.pane_a.set_roi(None)
            self.roiCleared.emit()

    def pick_white_balance(self, x: float, y: float, w: float, h: float) -> None:
        """As if the tuner dragged the picker over this capture rectangle."""
        self._rect_picked("wb", QRectF(x, y, w, h))

    def _mouse_moved(self, pos) -> None:
        capture = self.session.capture
        if capture is None:
            return
        for pane in self.panes():
            if pane.sceneBoundingRect().contains(pos):
                p = pane.mapSceneToView(pos)
                if 0 <= p.x() < capture.width and 0 <= p.y() < capture.height:
                    view = self._last_views.get(("A", self._probe_layer))
                    if view is not None:
                        self.worker.submit(ProbeJob(capture, self.session.profile, view,
                                                    self._probe_layer, p.x(), p.y()))
                        return
        self.cursorLeft.emit()

    # ----- labels and layout ------------------------------------------------------------------------
    def _update_labels(self) -> None:
        key = (self.mode, self.tap, self.reference_name())
        if key == getattr(self, "_labels_key", None):
            return
        self._labels_key = key
        tap = "" if self.tap == "final" else f" \u00b7 {TAP_TITLES[self.tap]}"
        ref = self.reference_name()
        if self.mode == "split":
            self.pane_a.set_labels(f"Before \u00b7 {ref}{tap}", f"After \u00b7 current{tap}")
        elif self.mode == "ab":
            self.pane_a.set_labels(f"A \u00b7 current{tap}")
            self.pane_b.set_labels(f"B \u00b7 {ref}{tap}")
        else:
            self.pane_a.set_labels(TAP_TITLES[self.tap] if self.tap != "final" else "")

    def resizeEvent(self, ev):  # noqa: N802 (Qt API)
        super().resizeEvent(ev)
        self._empty.setGeometry(self.view.rect())
