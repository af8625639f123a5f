"""Tone-curve editor: draggable control points over the curve and the stage's resulting LUT.

Drag a point to move it (one undo step per drag), double-click empty space to add a point on
the curve, right-click a point to remove it. The plotted lines are the engine's own: the curve
through the points (`app.isp.tone.monotone_cubic`, what the kernel interpolates) and the whole
stage response from linear input (`app.isp.tone.response`), so what is drawn is what renders.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.isp import tone
from widgets.tuning.binding import ParamBinding
from widgets.tuning.controls import ParamEditor
from widgets.tuning.edits import curve_insert, curve_move, curve_remove, nearest

SAMPLES = 257          # points drawn per line (display only)
PICK_RADIUS_PX = 9     # how close to a point a press must be to grab it
PLOT_HEIGHT = 230
HINT = "Drag points · double-click adds · right-click removes"


class _EditBox(pg.ViewBox):
    """A fixed view that turns mouse gestures into curve edits instead of pan and zoom."""

    def __init__(self, editor: "CurveEditor"):
        super().__init__(enableMenu=False)
        self.editor = editor
        self.setMouseEnabled(False, False)

    def _radius(self) -> tuple[float, float]:
        px = self.viewPixelSize()
        return px[0] * PICK_RADIUS_PX, px[1] * PICK_RADIUS_PX

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph API)
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            start = self.mapToView(ev.buttonDownPos())
            if not self.editor.press(start.x(), start.y(), *self._radius()):
                ev.ignore()
                return
        ev.accept()
        pos = self.mapToView(ev.pos())
        self.editor.drag_to(pos.x(), pos.y())
        if ev.isFinish():
            self.editor.release()

    def mouseClickEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        pos = self.mapToView(ev.pos())
        if ev.button() == Qt.MouseButton.RightButton:
            ev.accept()
            self.editor.remove_at(pos.x(), pos.y(), *self._radius())
        elif ev.button() == Qt.MouseButton.LeftButton and ev.double():
            ev.accept()
            self.editor.add_on_curve(pos.x())
        else:
            ev.ignore()

    def hoverEvent(self, ev):  # noqa: N802 (pyqtgraph API)
        if not ev.isExit():
            pos = self.mapToView(ev.pos())
            self.editor.hover(pos.x(), pos.y(), *self._radius())


class CurveEditor(ParamEditor):
    """Edits a curve parameter (control points, x strictly increasing, bounds from its spec)."""

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        spec = self.spec
        self.lo = spec.minimum if spec.minimum is not None else 0.0
        self.hi = spec.maximum if spec.maximum is not None else 1.0
        self.points = tuple(binding.value())
        self.active = -1
        self._grab = (0.0, 0.0)   # point minus pointer at the press: the point does not jump

        self.box = _EditBox(self)
        self.plot = pg.PlotWidget(viewBox=self.box, background=None)
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setFixedHeight(PLOT_HEIGHT)
        self.plot.setToolTip(f"{self.tip}\n\n{HINT}")
        item = self.plot.getPlotItem()
        margin = (self.hi - self.lo) * 0.03
        item.setXRange(self.lo - margin, self.hi + 2 * margin, padding=0)   # room for the last label
        item.setYRange(self.lo - margin, self.hi + margin, padding=0)
        item.showGrid(x=True, y=True, alpha=0.12)
        item.setContentsMargins(0, 6, 6, 0)
        self._style_axes(item)

        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        accent = pal.color(QPalette.ColorRole.Highlight)
        faint = QColor(text)
        faint.setAlpha(70)
        lut = QColor(text)
        lut.setAlpha(150)
        self.xs = np.linspace(self.lo, self.hi, SAMPLES)
        item.plot([self.lo, self.hi], [self.lo, self.hi], pen=pg.mkPen(faint, width=1, style=Qt.PenStyle.DashLine))
        self.lut_line = item.plot(pen=pg.mkPen(lut, width=1.2, style=Qt.PenStyle.DotLine), antialias=True)
        self.curve_line = item.plot(pen=pg.mkPen(accent, width=2), antialias=True)
        self.dots = pg.ScatterPlotItem(size=9, pen=pg.mkPen(text, width=1.2), brush=pg.mkBrush(accent),
                                       antialias=True)
        item.addItem(self.dots)

        self.legend = QLabel("━ curve    ┈ stage output", self)
        self.legend.setToolTip("Solid: the curve through the points, on encoded values.\n"
                               "Dotted: the whole tone stage (transfer, then curve) from linear input.")
        self.legend.setEnabled(False)
        self.readout = QLabel(HINT, self)
        self.readout.setEnabled(False)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.label)
        lay.addWidget(self.plot)
        lay.addWidget(self.legend)
        lay.addWidget(self.readout)
        self.refresh()

    def _style_axes(self, item) -> None:
        text = self.palette().color(QPalette.ColorRole.WindowText)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setTextPen(text)
            axis.setPen(pg.mkPen(QColor(text.red(), text.green(), text.blue(), 110)))
            axis.setStyle(tickLength=-4, hideOverlappingLabels=False)

    # ----- model -> view -----------------------------------------------------------------
    def refresh(self) -> None:
        if not self.binding.dragging:
            self.points = tuple(self.binding.value())
        self._draw()
        self.label.set_changed(not self.binding.is_default())

    def _draw(self) -> None:
        pts = np.asarray(self.points, dtype=np.float64)
        self.curve_line.setData(self.xs, tone.monotone_cubic(pts, self.xs))
        stage = self.binding.stage_values()
        try:
            lut = tone.response(stage.model_copy(update={self.spec.name: self.points}), self.xs)
            self.lut_line.setData(self.xs, lut)
        except (AttributeError, TypeError):   # a curve outside a tone stage has no LUT to show
            self.lut_line.setData([], [])
        brushes = [pg.mkBrush(self.palette().color(QPalette.ColorRole.BrightText if i == self.active
                                                   else QPalette.ColorRole.Highlight))
                   for i in range(len(pts))]
        self.dots.setData(pts[:, 0], pts[:, 1], brush=brushes)

    def _say(self, index: int) -> None:
        if index < 0:
            self.readout.setText(f"{len(self.points)} points · {HINT}")
        else:
            x, y = self.points[index]
            self.readout.setText(f"Point {index + 1}: in {x:.3f} → out {y:.3f}")

    # ----- gestures (also the API tests drive) -------------------------------------------
    def press(self, x: float, y: float, rx: float, ry: float) -> bool:
        self.active = nearest(self.points, x, y, rx, ry)
        if self.active < 0:
            return False
        px, py = self.points[self.active]
        self._grab = (px - x, py - y)
        self.binding.begin_drag()
        return True

    def drag_to(self, x: float, y: float) -> None:
        if self.active < 0:
            return
        x, y = x + self._grab[0], y + self._grab[1]
        self.points = curve_move(self.points, self.active, x, y, self.spec)
        self._draw()
        self._say(self.active)
        self.binding.edit(self.points)

    def release(self) -> None:
        self.binding.end_drag()
        self.active = -1
        self.refresh()

    def move_point(self, index: int, x: float, y: float) -> None:
        """Move one point as a whole drag would (one undo step)."""
        self.active = index
        self._grab = (0.0, 0.0)
        self.binding.begin_drag()
        self.drag_to(x, y)
        self.release()

    def add_on_curve(self, x: float) -> int:
        """Add a point at input `x` on the current curve (the shape does not change)."""
        y = float(tone.monotone_cubic(np.asarray(self.points, dtype=np.float64), np.array([x]))[0])
        points, index = curve_insert(self.points, x, y, self.spec)
        if index >= 0:
            self.binding.commit(points)
            self._say(index)
        return index

    def remove_point(self, index: int) -> bool:
        points = curve_remove(self.points, index)
        if points == self.points:
            self.readout.setText("A curve needs at least two points.")
            return False
        self.binding.commit(points)
        return True

    def remove_at(self, x: float, y: float, rx: float, ry: float) -> None:
        index = nearest(self.points, x, y, rx, ry)
        if index >= 0:
            self.remove_point(index)

    def hover(self, x: float, y: float, rx: float, ry: float) -> None:
        if self.active < 0:
            self._say(nearest(self.points, x, y, rx, ry))

    def point_position(self, index: int) -> QPoint:
        """Where point `index` is, in the plot's viewport coordinates (for tests and tooltips)."""
        x, y = self.points[index]
        scene = self.box.mapViewToScene(QPointF(x, y))
        return self.plot.mapFromScene(scene)
