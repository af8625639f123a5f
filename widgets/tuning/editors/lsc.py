"""Lens-shading grids as heat maps: one per Bayer channel, for the stage and each CT table.

A tuner checks shading tables by their shape (a smooth bowl, centred, no spikes) and by how
the channels differ (colour shading), so the four channels share one colour scale, the grid
is drawn the way it lies over the frame (row 0 at the top), and hovering reads out a sample.
The grids are displayed as stored; nothing is computed here beyond their range.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.isp.stages import BAYER_CHANNELS, LensShading
from widgets.tuning import declared
from widgets.tuning.binding import ParamBinding
from widgets.tuning.controls import ParamEditor

COLOUR_MAP = "viridis"
TABLE_CHANNELS = ("r", "gr", "gb", "b")   # LscEntry's grids, in BAYER_CHANNELS order


@dataclass(frozen=True)
class GridSource:
    """A set of grids to show: a title and (channel name, rows x cols array) pairs."""

    title: str
    grids: tuple[tuple[str, np.ndarray], ...]
    note: str = ""


def grid_sources(profile) -> list[GridSource]:
    """What the profile holds: the stage's own grids, each per-CT table, the luminance grid."""
    out = []
    stage = profile.stages.lsc.gains
    stage_label = declared.label(LensShading.spec("gains"))
    if stage is not None:
        out.append(GridSource(f"Stage {stage_label.lower()}",
                              tuple((n, np.asarray(g, np.float64)) for n, g in zip(BAYER_CHANNELS, stage)),
                              "the stage's own grids (used when the profile has no per-CT tables)"))
    section = profile.lsc
    for entry in section.tables:
        chans = entry.channels()
        out.append(GridSource(f"Table {entry.ct:g} K",
                              tuple((n, chans[k]) for n, k in zip(BAYER_CHANNELS, TABLE_CHANNELS)),
                              f"{section.gains} gains, {section.grid.layout} layout"))
    if section.luminance is not None:
        out.append(GridSource("Luminance", (("Y", np.asarray(section.luminance, np.float64)),),
                              f"shared by every channel, strength {section.luminance_strength:g}"))
    return out


class LensShadingView(QWidget):
    """Heat maps of the profile's lens-shading grids; follows the session (undo included)."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.sources: list[GridSource] = []
        self._key = None
        self.source = QComboBox(self)
        self.source.currentIndexChanged.connect(self._show)
        self.info = QLabel(self)
        self.info.setEnabled(False)
        self.readout = QLabel(" ", self)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.canvas = pg.GraphicsLayoutWidget(self)
        self.canvas.setBackground(None)
        self.canvas.setMinimumSize(420, 340)
        self.canvas.scene().sigMouseMoved.connect(self._hover)
        self.boxes: list[tuple[pg.ViewBox, pg.ImageItem, pg.LabelItem, str, np.ndarray]] = []
        self.bar: pg.ColorBarItem | None = None

        top = QHBoxLayout()
        top.addWidget(QLabel("Grids:", self))
        top.addWidget(self.source, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        lay.addLayout(top)
        lay.addWidget(self.info)
        lay.addWidget(self.canvas, 1)
        lay.addWidget(self.readout)
        session.profileChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the maps when the grids changed (not on every edit of another stage)."""
        profile = self.session.profile
        key = (profile.stages.lsc.gains, profile.lsc)
        if key == self._key:
            return
        self._key = key
        current = self.source.currentText()
        self.sources = grid_sources(self.session.profile)
        self.source.blockSignals(True)
        self.source.clear()
        for s in self.sources:
            self.source.addItem(s.title)
        index = max(0, self.source.findText(current))
        self.source.setCurrentIndex(index)
        self.source.blockSignals(False)
        self._show(index)

    def _show(self, index: int) -> None:
        self.canvas.clear()
        self.boxes.clear()
        self.bar = None
        if not self.sources:
            self.info.setText("No lens-shading grids: the stage has none (identity) and the profile "
                              "has no per-CT tables.")
            return
        src = self.sources[index]
        arrays = [g for _, g in src.grids]
        lo = min(float(a.min()) for a in arrays)
        hi = max(float(a.max()) for a in arrays)
        rows, cols = arrays[0].shape
        self.info.setText(f"{cols} × {rows} samples · {src.note} · scale {lo:.3f} – {hi:.3f}")
        text = self.palette().color(QPalette.ColorRole.WindowText)
        per_row = 2 if len(src.grids) > 1 else 1
        images = []
        for i, (name, grid) in enumerate(src.grids):
            r, c = divmod(i, per_row)
            title = pg.LabelItem(f"{name}   {grid.min():.3f} – {grid.max():.3f}", color=text, size="9pt")
            self.canvas.addItem(title, row=2 * r, col=c)
            box = self.canvas.addViewBox(row=2 * r + 1, col=c, lockAspect=True, enableMouse=False,
                                         enableMenu=False, invertY=True)
            image = pg.ImageItem(grid, axisOrder="row-major")
            box.addItem(image)
            box.autoRange(padding=0.02)
            images.append(image)
            self.boxes.append((box, image, title, name, grid))
        self.bar = pg.ColorBarItem(values=(lo, hi if hi > lo else lo + 1e-6), colorMap=COLOUR_MAP,
                                   interactive=False, width=12)
        self.bar.setImageItem(images)
        rows_used = 2 * ((len(src.grids) + per_row - 1) // per_row)
        self.canvas.addItem(self.bar, row=1, col=per_row, rowspan=rows_used - 1)
        grid_layout = self.canvas.ci.layout
        for r in range(0, rows_used, 2):   # title rows stay one line high; the maps take the rest
            grid_layout.setRowMaximumHeight(r, self.fontMetrics().height() + 6)
            grid_layout.setRowStretchFactor(r + 1, 1)

    def _hover(self, pos) -> None:
        for box, _image, _title, name, grid in self.boxes:
            if box.sceneBoundingRect().contains(pos):
                p = box.mapSceneToView(pos)
                col, row = int(np.floor(p.x())), int(np.floor(p.y()))
                if 0 <= row < grid.shape[0] and 0 <= col < grid.shape[1]:
                    self.readout.setText(f"{name}  row {row}, column {col}:  {grid[row, col]:.4f}")
                    return
        self.readout.setText(" ")

    def select(self, title: str) -> bool:
        index = self.source.findText(title)
        if index >= 0:
            self.source.setCurrentIndex(index)
        return index >= 0


class GridEditor(ParamEditor):
    """The panel's row for a grid parameter: its size and a button opening the heat maps."""

    viewRequested = Signal()

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        self.summary = QLabel(self)
        self.summary.setEnabled(False)
        button = QPushButton("Heat maps…", self)
        button.setToolTip("Show the lens-shading grids of the stage and of every CT table.")
        button.clicked.connect(self.viewRequested)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        lay.addWidget(self.summary, 1)
        lay.addWidget(button)
        self.refresh()

    def refresh(self) -> None:
        grids = self.binding.value()
        if grids is None:
            self.summary.setText("none (identity)")
        else:
            self.summary.setText(f"{len(grids)} grids of {len(grids[0][0])} × {len(grids[0])}")
        self.label.set_changed(not self.binding.is_default())

    def reset_actions(self):
        return [(f"Reset {declared.label(self.spec)} to its default", self.reset)]


class LensShadingDialog(QDialog):
    """A non-modal window around LensShadingView."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Lens shading")
        self.view = LensShadingView(session, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.view)
        self.resize(640, 560)
