"""Rendering off the GUI thread, latest wins (napari's slicer pattern).

The GUI builds immutable jobs (`RenderJob`, `ProbeJob`, `PickJob`, `StatsJob`, `ThumbJob`) and
`submit`s them. Each job has a slot (`job.slot`); a job put into a slot replaces the one waiting
there, so a slider drag never queues up stale frames: requests superseded while the worker was
busy are dropped (and counted), and a render whose slot got a newer job stops at the next
checkpoint (after the costly front nodes, whose output stays cached for the newer job).

One worker thread takes the most urgent waiting slot (the current image before the comparison
image, a zoomed-in region before the full-frame preview, renders before probes and thumbnails),
renders with the pipeline of that capture, side and layer (kept, so each keeps its own cache and
buffers), and emits the result; the old image stays on screen until then. Results carry their
timings; the scopes (histogram, waveform) and the ROI statistics are computed here too, never on
the GUI thread. Display buffers are pooled: a fresh 6 MB array per frame costs more in page
faults than the whole late-stage render.

Sides: "A" is the current tuning, "B" the reference (A/B comparison), "before" the reference of
the before/after split. Layers: "base" is the fitted preview of the whole frame, "detail" the
full-resolution region shown at 1:1 and beyond.
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, Signal

from app import analysis
from app.capture import Capture
from app.isp import prepare
from app.isp.pipeline import Pipeline
from app.isp.stages import IspParams, WhiteBalance
from app.isp.taps import to_display
from app.isp.kernels.colour import to_bgrx
from app.isp.views import View, resolve
from tuning_profiles import Profile, resolve_for_capture

MAX_PIPELINES = 8  # (capture, side, layer) pipelines kept; the least recently used is dropped
WAVEFORM_COLUMNS = 360


class BufferPool:
    """Display buffers reused once nobody holds them any more.

    A fresh 6 MB array costs ~10 ms of page faults at its first write on this kind of machine
    (the pipeline's own buffers are reused for the same reason); a buffer is free again when
    the only references left are the pool's (the GUI dropped the image and the result).
    """

    def __init__(self, keep: int = 8):
        self._buffers: list[np.ndarray] = []
        self._keep = keep

    def take(self, shape: tuple) -> np.ndarray:
        for i in range(len(self._buffers)):
            if self._buffers[i].shape == shape and self._free(i):
                buf = self._buffers.pop(i)
                self._buffers.append(buf)  # most recently used last
                return buf
        buf = np.empty(shape, np.uint8)
        self._buffers.append(buf)
        for i in range(len(self._buffers) - self._keep):
            if self._free(0):
                del self._buffers[0]
        return buf

    def _free(self, i: int) -> bool:
        # Only the pool's list refers to it (getrefcount counts its own argument too).
        return sys.getrefcount(self._buffers[i]) <= 2


def display_copy(rgb: np.ndarray, pool: BufferPool | None = None) -> np.ndarray:
    """A copy of an 8-bit RGB image as (H, W, 4) B, G, R, 255 bytes: Qt's native RGB32 layout,
    which it paints without a per-paint format conversion. `out[..., 2::-1]` is the RGB view."""
    shape = rgb.shape[:2] + (4,)
    out = pool.take(shape) if pool is not None else np.empty(shape, np.uint8)
    to_bgrx(rgb, out)
    return out


def view_rect(capture: Capture, view: View) -> tuple[int, int, int, int]:
    """The capture rectangle (x, y, w, h) a view's image covers."""
    g = resolve(view, capture.width, capture.height, capture.is_mosaic)
    if g.kind == "roi":
        wy, wx = g.window[0], g.window[1]
        cy, cx, ch, cw = g.crop
        return wx + cx, wy + cy, cw, ch
    return 0, 0, capture.width, capture.height


@dataclass(frozen=True)
class RenderJob:
    capture: Capture
    profile: Profile
    view: View
    tap: str = "final"
    side: str = "A"
    layer: str = "base"
    scopes: str = ""  # "" none, "histogram", "waveform", "parade"
    roi: tuple | None = None  # capture rect (x, y, w, h) for statistics
    tag: object = None  # passed back untouched (e.g. a benchmark's change number)
    issued: float = field(default_factory=time.perf_counter)

    @property
    def slot(self) -> tuple:
        return ("render", self.side, self.layer)


@dataclass(frozen=True)
class ProbeJob:
    capture: Capture
    profile: Profile
    view: View
    layer: str
    x: float
    y: float
    slot = ("probe",)


@dataclass(frozen=True)
class PickJob:
    """White-balance picker: gains that make `rect` (capture pixels) neutral."""

    capture: Capture
    profile: Profile
    view: View
    layer: str
    rect: tuple
    slot = ("pick",)


@dataclass(frozen=True)
class StatsJob:
    """ROI statistics of the image on screen (after the ROI moved)."""

    capture: Capture
    layer: str
    rect: tuple
    slot = ("stats",)


@dataclass(frozen=True)
class ThumbJob:
    capture: Capture
    profile: Profile
    width: int = 192
    height: int = 128

    @property
    def slot(self) -> tuple:
        return ("thumb", self.capture.token)


@dataclass(frozen=True)
class RoiReport:
    rect: tuple
    output: analysis.AreaStats | None  # rendered values of the tap on screen
    raw: analysis.AreaStats | None  # sensor DN above black per Bayer channel


@dataclass(frozen=True)
class RenderResult:
    job: RenderJob
    display: np.ndarray  # (H, W, 4) uint8 B, G, R, 255: owned by the result, handed to Qt as is
    rect: tuple  # capture rectangle the image covers
    render_ms: float  # pipeline + display conversion
    nodes: dict  # ms per pipeline node that ran
    latency_ms: float  # from the job's creation to the result (queue wait included)
    histogram: np.ndarray | None = None
    waveform: np.ndarray | None = None  # displayable uint8 RGB
    roi: RoiReport | None = None
    started: float = 0.0  # perf_counter when the worker took the job
    finished: float = 0.0  # perf_counter when the result was ready

    @property
    def image(self) -> np.ndarray:
        """(H, W, 3) uint8 RGB view of the displayed pixels."""
        return self.display[..., 2::-1]


@dataclass(frozen=True)
class ProbeResult:
    x: int
    y: int
    raw: tuple | None  # (Bayer channel name, DN above black)
    linear: tuple | None  # linear sRGB (0..1) of the pixel on screen
    output: tuple | None  # 8-bit values on screen
    scale: float  # image pixels per capture pixel of the layer probed


@dataclass(frozen=True)
class PickResult:
    gains: tuple | None
    error: str = ""


# Taps whose render may stop early for a newer job of the same slot: after the costly front
# nodes (Pipeline.render_front).
_CHECKPOINTED = ("final", "tone", "denoise")

_PRIORITY = (("render", "A", "detail"), ("render", "A", "base"), ("render", "before", "detail"),
             ("render", "B", "detail"), ("render", "before", "base"), ("render", "B", "base"),
             ("pick",), ("stats",), ("probe",))


class RenderWorker(QObject):
    """One worker thread, one pending job per slot (latest wins); results come back as signals."""

    rendered = Signal(object)  # RenderResult
    probed = Signal(object)  # ProbeResult
    picked = Signal(object)  # PickResult
    statsReady = Signal(object)  # RoiReport
    thumbnailReady = Signal(object, object)  # capture, uint8 RGB image
    failed = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cv = threading.Condition()
        self._pending: dict[tuple, object] = {}
        self._stop = False
        self._busy = False
        self.dropped = 0  # jobs replaced before they were started
        self._pipelines: OrderedDict[tuple, Pipeline] = OrderedDict()
        self._params: OrderedDict[tuple, tuple[Profile, IspParams]] = OrderedDict()
        self._shown: dict[tuple, tuple] = {}  # (token, side, layer) -> (image, rect, scale)
        self._display_pool = BufferPool()
        self._thread = threading.Thread(target=self._loop, name="camtune-render", daemon=True)
        self._thread.start()

    # ----- GUI thread -----------------------------------------------------------------------
    def submit(self, job) -> None:
        with self._cv:
            if job.slot in self._pending:
                self.dropped += 1
            self._pending[job.slot] = job
            self._cv.notify()

    def cancel(self, slot_prefix: tuple) -> None:
        """Drop waiting jobs whose slot starts with `slot_prefix` (e.g. ("render", "B"))."""
        with self._cv:
            for slot in [s for s in self._pending if s[:len(slot_prefix)] == slot_prefix]:
                del self._pending[slot]

    @property
    def busy(self) -> bool:
        return self._busy or bool(self._pending)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cv:
            self._stop = True
            self._pending.clear()
            self._cv.notify()
        self._thread.join(timeout)

    # ----- worker thread ----------------------------------------------------------------------
    def _take(self):
        for slot in _PRIORITY:
            if slot in self._pending:
                return self._pending.pop(slot)
        return self._pending.pop(next(iter(self._pending)))  # thumbnails, in order

    def _loop(self) -> None:
        while True:
            with self._cv:
                while not self._pending and not self._stop:
                    if self._busy:
                        self._busy = False
                        self.idle.emit()
                    self._cv.wait()
                if self._stop:
                    return
                job = self._take()
                self._busy = True
            try:
                self._run(job)
            except RuntimeError as err:
                if "deleted" in str(err):  # the window is gone (closed without stop())
                    return
                self._report(job, err)
            except Exception as err:  # a bug must not kill the worker: report it, go on
                self._report(job, err)

    def _report(self, job, err: Exception) -> None:
        detail = traceback.format_exc(limit=4)
        try:
            self.failed.emit(f"{type(job).__name__} failed: {type(err).__name__}: {err}\n{detail}")
        except RuntimeError:  # the window is gone
            pass

    def _superseded(self, job) -> bool:
        with self._cv:
            if job.slot in self._pending and not self._stop:
                self.dropped += 1
                return True
            return False

    def _run(self, job) -> None:
        if isinstance(job, RenderJob):
            result = self._render(job)
            if result is not None:
                self.rendered.emit(result)
        elif isinstance(job, ProbeJob):
            self.probed.emit(self._probe(job))
        elif isinstance(job, PickJob):
            self.picked.emit(self._pick(job))
        elif isinstance(job, StatsJob):
            report = self._stats(job.capture, job.layer, job.rect)
            if report is not None:
                self.statsReady.emit(report)
        elif isinstance(job, ThumbJob):
            pipe = Pipeline(job.capture)  # not kept: one render
            image = pipe.render(self._resolve(job.profile, job.capture),
                                View.preview(job.width, job.height)).copy()
            self.thumbnailReady.emit(job.capture, image)

    def _pipeline(self, capture: Capture, side: str, layer: str) -> Pipeline:
        key = (capture.token, side, layer)
        pipe = self._pipelines.get(key)
        if pipe is None or pipe.capture is not capture:
            pipe = self._pipelines[key] = Pipeline(capture)
            while len(self._pipelines) > MAX_PIPELINES:
                self._pipelines.popitem(last=False)
        self._pipelines.move_to_end(key)
        return pipe

    def _resolve(self, profile: Profile, capture: Capture) -> IspParams:
        key = (id(profile), capture.token)
        hit = self._params.get(key)
        if hit is not None and hit[0] is profile:
            return hit[1]
        params = resolve_for_capture(profile, capture)
        self._params[key] = (profile, params)
        while len(self._params) > 16:
            self._params.popitem(last=False)
        return params

    def _render(self, job: RenderJob) -> RenderResult | None:
        t0 = time.perf_counter()
        pipe = self._pipeline(job.capture, job.side, job.layer)
        params = self._resolve(job.profile, job.capture)
        nodes: dict[str, float] = {}
        if job.tap in _CHECKPOINTED:
            # Render up to the encoding; give up if a newer job for this slot came meanwhile
            # (what was rendered stays in the pipeline's cache for it).
            pipe.render_front(params, job.view)
            nodes.update(pipe.timings)
            if self._superseded(job):
                return None
        data = pipe.render(params, job.view, tap=job.tap)
        nodes.update(pipe.timings)
        if job.tap != "final":
            data = to_display(job.tap, data, job.capture.white_level)
        display = display_copy(data, self._display_pool)  # a copy: the pipeline reuses its buffers
        image = display[..., 2::-1]
        rect = view_rect(job.capture, job.view)
        render_ms = (time.perf_counter() - t0) * 1e3
        scale = image.shape[1] / rect[2]
        self._shown[(job.capture.token, job.side, job.layer)] = (image, rect, scale)
        hist = wave = None
        if job.scopes:
            hist = analysis.histogram(image)
            if job.scopes in ("waveform", "parade"):
                wave = analysis.waveform_image(
                    analysis.waveform(image, WAVEFORM_COLUMNS, parade=job.scopes == "parade"))
        roi = self._stats(job.capture, job.layer, job.roi) if job.roi else None
        done = time.perf_counter()
        return RenderResult(job, display, rect, render_ms, nodes, (done - job.issued) * 1e3,
                            hist, wave, roi, t0, done)

    def _stats(self, capture: Capture, layer: str, rect) -> RoiReport | None:
        """ROI statistics on the image on screen: the detail layer if it holds the whole ROI."""
        output = None
        for name in dict.fromkeys((layer, "base")):
            shown = self._shown.get((capture.token, "A", name))
            if shown is None:
                continue
            image, image_rect, scale = shown
            ix, iy, iw, ih = image_rect
            x, y, w, h = rect
            if name != "base" and not (x >= ix and y >= iy and x + w <= ix + iw and y + h <= iy + ih):
                continue
            box = analysis.map_rect(rect, (capture.width, capture.height), image_rect,
                                    (image.shape[1], image.shape[0]))
            if box is not None:
                output = analysis.roi_stats(image, box, scale=scale)
                break
        return RoiReport(tuple(rect), output, analysis.raw_roi_stats(capture, rect))

    def _probe(self, job: ProbeJob) -> ProbeResult:
        x, y = int(job.x), int(job.y)
        raw = analysis.raw_sample(job.capture, x, y)
        shown = self._shown.get((job.capture.token, "A", job.layer))
        output = linear = None
        scale = 1.0
        if shown is not None:
            image, rect, scale = shown
            output = analysis.image_sample(image, rect, job.x, job.y)
            pipe = self._pipeline(job.capture, "A", job.layer)
            data = pipe.render(self._resolve(job.profile, job.capture), job.view, tap="linear")
            linear = analysis.image_sample(data, view_rect(job.capture, job.view), job.x, job.y)
        return ProbeResult(x, y, raw, linear, output, scale)

    def _pick(self, job: PickJob) -> PickResult:
        capture = job.capture
        params = self._resolve(job.profile, capture)
        pipe = self._pipeline(capture, "A", job.layer)
        camera_rgb = pipe.render(params, job.view, tap="demosaic")
        if camera_rgb.ndim != 3:
            return PickResult(None, "white balance needs a colour image (the demosaic is off)")
        rect = view_rect(capture, job.view)
        box = analysis.map_rect(job.rect, (capture.width, capture.height), rect,
                                (camera_rgb.shape[1], camera_rgb.shape[0]))
        if box is None:
            return PickResult(None, "the picked area is outside the image")
        black, white = prepare.levels(capture, params)
        current = prepare.wb_gains(capture, params, black, white)
        spec = WhiteBalance.spec("gains")
        try:
            gains = analysis.wb_gains_for_patch(camera_rgb, box, current, (spec.minimum, spec.maximum))
        except ValueError as err:
            return PickResult(None, str(err))
        return PickResult(tuple(round(g, 4) for g in gains))
