"""One image pane of the viewer: a pyqtgraph ViewBox in capture-pixel coordinates.

It holds two image layers per side (a fitted preview of the whole frame under a full-resolution
region shown from 1:1 on), the "before" layers of the split view clipped at a draggable divider,
the ROI rectangle, and the rubber band of the ROI and white-balance tools. It draws what it is
given and reports what the user did; it never renders or computes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsRectItem

pg.setConfigOptions(imageAxisOrder="row-major", antialias=False)

DIVIDER_PEN = pg.mkPen(QColor(235, 235, 235), width=2)
DIVIDER_HOVER_PEN = pg.mkPen(QColor(255, 255, 255), width=3)
ROI_PEN = pg.mkPen(QColor(255, 210, 74), width=1.5)
BAND_PEN = pg.mkPen(QColor(255, 255, 255), width=1, style=Qt.PenStyle.DashLine)
LABEL_FILL = pg.mkBrush(QColor(20, 20, 20, 170))
SMOOTH_BELOW = 0.98  # paint scale under which a layer is filtered (1:1 within 2 %: a plain blit)
FIT_PADDING = 0.02  # fraction of the frame added on each side when fitting
CLICK_PICK_SCREEN_PX = 9  # a click with the white-balance picker samples this many screen pixels


class RgbImageItem(pg.ImageItem):
    """An 8-bit colour layer placed on capture coordinates; smooth only when scaled down.

    `show_image` takes (H, W, 4) B, G, R, 255 bytes (the worker's `display`), wrapped as a
    Format_RGB32 QImage without a copy: Qt's native layout, painted with no conversion (an RGB888
    image costs a conversion at every paint, ~3 ms at 1440x1080). Other arrays take pyqtgraph's
    own path (uint8 RGB with no levels: its makeQImage fast path, never makeARGB).
    """

    def __init__(self):
        super().__init__(axisOrder="row-major")
        self.footprint: tuple | None = None  # capture rect (x, y, w, h) the image covers

    def show_image(self, image, rect) -> None:
        self.setImage(image, autoLevels=False)
        self.setRect(QRectF(*rect))
        self.footprint = tuple(rect)
        self.setVisible(True)

    def render(self):
        image = self.image
        if image is None or image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
            return super().render()
        h, w = image.shape[:2]
        qimage = QImage(image.data, w, h, image.strides[0], QImage.Format.Format_RGB32)
        qimage.keep = image  # the QImage borrows the array's memory
        self.qimage = qimage
        self._renderRequired = False
        self._unrenderable = False

    def clear_image(self) -> None:
        self.clear()
        self.footprint = None
        self.setVisible(False)

    def paint(self, painter: QPainter, *args):
        scale = abs(painter.worldTransform().m11())
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < SMOOTH_BELOW)
        super().paint(painter, *args)


class _Clip(QGraphicsRectItem):
    """A borderless rectangle that clips its children (the split view's "before" side)."""

    def __init__(self):
        super().__init__()
        self.setPen(QPen(Qt.PenStyle.NoPen))
        self.setBrush(QBrush(Qt.BrushStyle.NoBrush))
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemClipsChildrenToShape, True)


class ImagePane(pg.ViewBox):
    """A ViewBox showing one capture (x right, y down, 1 unit = 1 capture pixel)."""

    rectPicked = Signal(str, QRectF)  # tool ("roi" | "wb"), capture rectangle
    roiChanged = Signal(QRectF)
    roiRemoved = Signal()
    dividerMoved = Signal(float)

    def __init__(self, name: str):
        super().__init__(lockAspect=True, invertY=True, enableMenu=False, defaultPadding=FIT_PADDING)
        self.name = name
        self.tool = "pan"
        self.frame = (0, 0)
        self.base = RgbImageItem()
        self.detail = RgbImageItem()
        self.addItem(self.base)
        self.addItem(self.detail)
        self.detail.setZValue(1)
        self._clip = _Clip()
        self._clip.setZValue(2)
        self.addItem(self._clip, ignoreBounds=True)
        self.before_base = RgbImageItem()
        self.before_detail = RgbImageItem()
        for item in (self.before_base, self.before_detail):
            item.setParentItem(self._clip)
        self.before_detail.setZValue(1)
        self._clip.setVisible(False)
        self.divider = pg.InfiniteLine(angle=90, movable=True, pen=DIVIDER_PEN, hoverPen=DIVIDER_HOVER_PEN)
        self.divider.setZValue(10)
        self.divider.setVisible(False)
        self.addItem(self.divider, ignoreBounds=True)
        self.divider.sigPositionChanged.connect(self._divider_moved)
        self._band = QGraphicsRectItem()
        self._band.setPen(BAND_PEN)
        self._band.setBrush(QBrush(QColor(255, 255, 255, 30)))
        self._band.setZValue(20)
        self._band.setVisible(False)
        self.addItem(self._band, ignoreBounds=True)
        self._band_origin: QPointF | None = None
        self.roi: pg.RectROI | None = None
        self._labels: list[tuple[pg.TextItem, str]] = []
        self.fitted = True  # follow resizes with a fit until the user zooms or pans
        self.sigResized.connect(self._place_labels)
        self.sigResized.connect(self._refit)
        self.sigRangeChangedManually.connect(self._manual_range)
        for item in (self.base, self.detail, self.before_base, self.before_detail):
            item.setVisible(False)

    # ----- frame and zoom ---------------------------------------------------------------------
    def set_frame(self, width: int, height: int) -> None:
        changed = (width, height) != self.frame
        self.frame = (width, height)
        # Panning stops a frame's size beyond the edges; any pane shape can still fit the frame.
        m = 2 * max(width, height)
        self.setLimits(xMin=-m, xMax=width + m, yMin=-m, yMax=height + m, minXRange=4, minYRange=4)
        self.divider.setBounds((0, width))
        if changed:
            self.divider.setValue(width / 2)
            self.fit()

    def fit(self) -> None:
        self.fitted = True
        if self.frame[0]:
            self.setRange(QRectF(0, 0, *self.frame), padding=FIT_PADDING)

    def _refit(self) -> None:
        if self.fitted:
            self.fit()

    def _manual_range(self, *_args) -> None:
        self.fitted = False

    def device_ratio(self) -> float:
        view = self.scene().views()[0] if self.scene() and self.scene().views() else None
        return view.devicePixelRatioF() if view is not None else 1.0

    def zoom(self) -> float:
        """Device pixels per capture pixel (1.0 = 100 %)."""
        sx = self.viewPixelSize()[0]
        return self.device_ratio() / sx if sx > 0 else 1.0

    def fit_zoom(self) -> float:
        w, h = self.frame
        if not w:
            return 1.0
        size = self.boundingRect()
        return self.device_ratio() * min(size.width() / w, size.height() / h) / (1 + 2 * FIT_PADDING)

    def set_zoom(self, zoom: float, centre: QPointF | None = None) -> None:
        """Zoom to `zoom` device pixels per capture pixel around `centre` (default: the view centre)."""
        size = self.boundingRect()
        if size.width() <= 0 or not self.frame[0]:
            return
        self.fitted = False
        centre = centre or self.viewRect().center()
        w = size.width() * self.device_ratio() / zoom
        h = size.height() * self.device_ratio() / zoom
        self.setRange(QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h), padding=0)

    def fitted_frame_size(self) -> tuple[int, int]:
        """Device pixels the whole frame takes on screen when fitted."""
        z = self.fit_zoom()
        return round(self.frame[0] * z), round(self.frame[1] * z)

    def device_size(self) -> tuple[int, int]:
        size = self.boundingRect()
        r = self.device_ratio()
        return max(16, int(size.width() * r)), max(16, int(size.height() * r))

    # ----- split view ---------------------------------------------------------------------------
    def set_split(self, on: bool) -> None:
        self._clip.setVisible(on)
        self.divider.setVisible(on)
        self._update_clip()

    def _divider_moved(self) -> None:
        self._update_clip()
        self.dividerMoved.emit(float(self.divider.value()))

    def _update_clip(self) -> None:
        w, h = self.frame
        x = float(self.divider.value())
        self._clip.setRect(QRectF(-w, -h, x + w, 3 * h))

    # ----- labels (fixed in the pane's corner, not in image coordinates) ------------------------
    def set_labels(self, *texts: str) -> None:
        """Up to two labels: top left, top right ("" hides)."""
        for item, _ in self._labels:
            item.setParentItem(None)
            if item.scene():
                item.scene().removeItem(item)
        self._labels = []
        for text, corner in zip(texts, ("left", "right")):
            if not text:
                continue
            item = pg.TextItem(text, color=(235, 235, 235), fill=LABEL_FILL,
                               anchor=(0, 0) if corner == "left" else (1, 0))
            item.setParentItem(self)
            item.setZValue(30)
            self._labels.append((item, corner))
        self._place_labels()

    def _place_labels(self) -> None:
        width = self.boundingRect().width()
        for item, corner in self._labels:
            item.setPos(8 if corner == "left" else width - 8, 8)

    # ----- ROI ----------------------------------------------------------------------------------
    def set_roi(self, rect: QRectF | None) -> None:
        if rect is None:
            if self.roi is not None:
                self.removeItem(self.roi)
                self.roi = None
            return
        if self.roi is None:
            self.roi = pg.RectROI([rect.x(), rect.y()], [rect.width(), rect.height()], pen=ROI_PEN,
                                  rotatable=False, removable=True, invertible=False)
            self.roi.setZValue(15)
            self.roi.sigRegionChanged.connect(lambda: self.roiChanged.emit(self.roi_rect()))
            self.roi.sigRemoveRequested.connect(lambda: self.roiRemoved.emit())
            self.addItem(self.roi, ignoreBounds=True)
        else:
            self.roi.setPos([rect.x(), rect.y()], update=False, finish=False)
            self.roi.setSize([rect.width(), rect.height()], finish=False)

    def roi_rect(self) -> QRectF | None:
        if self.roi is None:
            return None
        pos, size = self.roi.pos(), self.roi.size()
        return QRectF(pos.x(), pos.y(), size.x(), size.y())

    # ----- tools: drag a rectangle (ROI, white-balance picker) ------------------------------------
    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph API)
        if self.tool == "pan" or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapToView(ev.pos())
        if ev.isStart():
            self._band_origin = self.mapToView(ev.buttonDownPos())
            self._band.setVisible(True)
        if self._band_origin is None:
            return
        rect = QRectF(self._band_origin, p).normalized()
        self._band.setRect(rect)
        if ev.isFinish():
            self._band.setVisible(False)
            self._band_origin = None
            clipped = rect.intersected(QRectF(0, 0, *self.frame))
            if clipped.width() >= 1 and clipped.height() >= 1:
                self.rectPicked.emit(self.tool, clipped)

    def mouseClickEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        if self.tool == "wb" and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapToView(ev.pos())
            half = max(2.0, CLICK_PICK_SCREEN_PX * self.viewPixelSize()[0] / 2)
            rect = QRectF(p.x() - half, p.y() - half, 2 * half, 2 * half)
            clipped = rect.intersected(QRectF(0, 0, *self.frame))
            if clipped.width() >= 1 and clipped.height() >= 1:
                self.rectPicked.emit("wb", clipped)
            return
        super().mouseClickEvent(ev)

    def clear_images(self) -> None:
        for item in (self.base, self.detail, self.before_base, self.before_detail):
            item.clear_image()
