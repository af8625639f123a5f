"""Scopes of the current image: RGB + luma histogram, luma waveform or RGB parade.

A plain pyqtgraph plot fed by the render worker (which computes the counts and the waveform
picture with each current frame); not `HistogramLUTItem`, which recomputes on the GUI thread.
Linear or log counts is a display choice made here.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSettings, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QStackedWidget, QVBoxLayout, QWidget
from superqt.utils import qthrottled

from app import analysis

SCOPES = (("histogram", "Histogram"), ("waveform", "Luma waveform"), ("parade", "RGB parade"))
CURVES = (("R", QColor(235, 80, 70)), ("G", QColor(80, 200, 90)), ("B", QColor(80, 130, 245)),
          ("Y", QColor(225, 225, 225)))
PLOT_BACKGROUND = QColor(30, 30, 30)
UPDATE_INTERVAL_MS = 80  # scopes follow a slider drag at ~12 Hz: repainting them at 60 Hz would
# take a third of the GUI thread from the image itself


class Scopes(QWidget):
    modeChanged = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        settings = QSettings()
        self.mode_combo = QComboBox()
        for key, title in SCOPES:
            self.mode_combo.addItem(title, key)
        self.log_box = QCheckBox("Log")
        self.log_box.setToolTip("Logarithmic counts: shows the sparse ends (shadows, highlights)")
        self.log_box.setChecked(settings.value("scopes/log", False, type=bool))
        self.clip_label = QLabel("")
        self.clip_label.setObjectName("clipLabel")
        self.clip_label.setToolTip("Share of pixels at 0 (crushed) and at 255 (clipped) per channel")

        self.hist_plot = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.hist_plot.setMenuEnabled(False)
        self.hist_plot.setMouseEnabled(False, False)
        self.hist_plot.hideButtons()
        self.hist_plot.getPlotItem().hideAxis("left")
        self.hist_plot.getPlotItem().getAxis("bottom").setTicks([[(v, str(v)) for v in (0, 64, 128, 192, 255)]])
        self.hist_plot.setXRange(0, 255, padding=0.01)
        self._curves = {}
        x = np.arange(analysis.LEVELS + 1, dtype=np.float64)
        for name, colour in CURVES:
            fill = QColor(colour)
            fill.setAlpha(0 if name == "Y" else 70)
            pen = pg.mkPen(colour, width=1.2 if name == "Y" else 1.0)
            curve = pg.PlotDataItem(x, np.zeros(analysis.LEVELS), stepMode="center", pen=pen,
                                    fillLevel=0 if name != "Y" else None, brush=fill)
            self.hist_plot.addItem(curve)
            self._curves[name] = curve

        self.wave_plot = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.wave_plot.setMenuEnabled(False)
        self.wave_plot.setMouseEnabled(False, False)
        self.wave_plot.hideButtons()
        self.wave_plot.getPlotItem().hideAxis("bottom")
        self.wave_plot.getPlotItem().getAxis("left").setTicks([[(v, str(v)) for v in (0, 64, 128, 192, 255)]])
        self.wave_plot.showGrid(x=False, y=True, alpha=0.25)
        self.wave_image = pg.ImageItem(axisOrder="row-major")
        self.wave_plot.addItem(self.wave_image)
        self.wave_plot.setYRange(0, 256, padding=0.01)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.hist_plot)
        self.stack.addWidget(self.wave_plot)
        top = QHBoxLayout()
        top.setContentsMargins(4, 2, 4, 0)
        top.addWidget(self.mode_combo, 1)
        top.addWidget(self.log_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 2)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.clip_label)
        self._last = None
        # Throttled (first call at once, then at most one per interval, the last one kept).
        self.show_result = qthrottled(self._show_result, timeout=UPDATE_INTERVAL_MS, parent=self)
        self.mode_combo.currentIndexChanged.connect(self._mode_changed)
        self.log_box.toggled.connect(self._log_toggled)
        mode = settings.value("scopes/mode", "histogram")
        self.mode_combo.setCurrentIndex(max(0, [k for k, _ in SCOPES].index(mode) if mode in dict(SCOPES) else 0))
        self.setMinimumSize(220, 150)

    @property
    def mode(self) -> str:
        return self.mode_combo.currentData()

    def _mode_changed(self) -> None:
        self.stack.setCurrentWidget(self.hist_plot if self.mode == "histogram" else self.wave_plot)
        self.log_box.setEnabled(self.mode == "histogram")
        QSettings().setValue("scopes/mode", self.mode)
        self.modeChanged.emit(self.mode)

    def _log_toggled(self, on: bool) -> None:
        QSettings().setValue("scopes/log", on)
        if self._last is not None:
            self._show_result(self._last)

    def _show_result(self, result) -> None:
        """Show the scopes carried by a RenderResult (histogram, and waveform if asked for)."""
        self._last = result
        hist = result.histogram
        if hist is not None:
            log = self.log_box.isChecked()
            for i, (name, _colour) in enumerate(CURVES):
                counts = hist[i].astype(np.float64)
                self._curves[name].setData(np.arange(analysis.LEVELS + 1),
                                           np.log10(counts + 1.0) if log else counts)
            # Ignore the two end bins for scaling: a clipped sky would flatten the rest.
            peak = hist[:, 1:-1].max()
            top = np.log10(peak + 1.0) * 1.05 if log else peak * 1.05
            self.hist_plot.setYRange(0, max(top, 1.0), padding=0)
            fractions = analysis.clip_fractions(hist)
            low = " ".join(f"{n} {lo * 100:.1f}" for n, (lo, _) in zip("RGB", fractions))
            high = " ".join(f"{n} {hi * 100:.1f}" for n, (_, hi) in zip("RGB", fractions))
            self.clip_label.setText(f"at 0: {low} %   at 255: {high} %")
        if result.waveform is not None:
            image = result.waveform
            self.wave_image.setImage(image, autoLevels=False)
            self.wave_image.setRect(0, 0, image.shape[1], analysis.LEVELS)
            self.wave_plot.setXRange(0, image.shape[1], padding=0)

    def clear(self) -> None:
        self._last = None
        for curve in self._curves.values():
            curve.setData(np.arange(analysis.LEVELS + 1), np.zeros(analysis.LEVELS))
        self.wave_image.clear()
        self.clip_label.setText("")
