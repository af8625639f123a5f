"""The inspector dock: the pixel under the cursor and the statistics of the ROI.

Values come from the render worker (`ProbeResult`, `RoiReport`); this widget only formats them.
Raw values are sensor DN above black at full resolution; rendered values are those of the image
on screen, whose scale is said (a preview averages pixels, which lowers the measured noise).
"""
from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QAbstractItemView, QGroupBox, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

PLACEHOLDER = "\u2013"


def _num(v: float, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return PLACEHOLDER
    if math.isinf(v):
        return "\u221e"
    return f"{v:.{digits}f}"


def probe_text(p) -> str:
    """One-line summary for the status bar."""
    parts = [f"x {p.x}  y {p.y}"]
    if p.raw:
        parts.append(f"{p.raw[0]} {p.raw[1]:.0f} DN")
    if p.linear and len(p.linear) == 3:
        parts.append("lin " + " ".join(f"{v:.3f}" for v in p.linear))
    if p.output:
        parts.append("out " + " ".join(f"{v:.0f}" for v in p.output[:3]))
    return "   ".join(parts)


class Inspector(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.probe_label = QLabel(PLACEHOLDER)
        self.probe_label.setObjectName("probeLabel")
        self.probe_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.probe_label.setWordWrap(True)
        probe_box = QGroupBox("Pixel under the cursor")
        QVBoxLayout(probe_box).addWidget(self.probe_label)

        self.roi_table = QTableWidget(0, 4)
        self.roi_table.setHorizontalHeaderLabels(["", "mean", "std", "SNR dB"])
        self.roi_table.verticalHeader().setVisible(False)
        self.roi_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.roi_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.roi_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.roi_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.roi_note = QLabel("Draw a rectangle with the ROI tool (R).")
        self.roi_note.setWordWrap(True)
        self.roi_note.setObjectName("roiNote")
        roi_box = QGroupBox("ROI statistics")
        roi_layout = QVBoxLayout(roi_box)
        roi_layout.addWidget(self.roi_note)
        roi_layout.addWidget(self.roi_table, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(probe_box)
        layout.addWidget(roi_box, 1)
        self.clear_roi()

    def show_probe(self, p) -> None:
        lines = [f"<b>x</b> {p.x} &nbsp; <b>y</b> {p.y}"]
        if p.raw:
            lines.append(f"<b>raw</b> {p.raw[0]} &nbsp;{p.raw[1]:.0f} DN above black")
        if p.linear and len(p.linear) == 3:
            lines.append("<b>linear</b> " + " &nbsp;".join(f"{v:.4f}" for v in p.linear))
        if p.output:
            scale = "" if p.scale >= 0.999 else f" &nbsp;<i>(preview {p.scale * 100:.0f} %)</i>"
            lines.append("<b>shown</b> " + " &nbsp;".join(f"{v:.0f}" for v in p.output[:3]) + scale)
        self.probe_label.setText("<br>".join(lines))

    def clear_probe(self) -> None:
        self.probe_label.setText(PLACEHOLDER)

    def show_roi(self, report) -> None:
        rows = []
        if report.raw is not None:
            rows += [(f"raw {c.name}", c) for c in report.raw.channels]
        if report.output is not None:
            rows += [(f"shown {c.name}", c) for c in report.output.channels]
        self.roi_table.setRowCount(len(rows))
        for r, (name, c) in enumerate(rows):
            for col, text in enumerate((name, _num(c.mean), _num(c.std, 2), _num(c.snr_db))):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                                      if col else Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
                self.roi_table.setItem(r, col, item)
        x, y, w, h = report.rect
        note = f"{w:.0f}\u00d7{h:.0f} px at ({x:.0f}, {y:.0f}). Raw: DN above black, full resolution."
        if report.output is not None:
            scale = report.output.scale
            note += (" Shown: 8-bit values on screen" +
                     ("." if scale >= 0.999 else f", preview at {scale * 100:.0f} % (noise averaged)."))
        self.roi_note.setText(note)

    def clear_roi(self) -> None:
        self.roi_table.setRowCount(0)
        self.roi_note.setText("Draw a rectangle with the ROI tool (R) to measure mean, noise and SNR.")
