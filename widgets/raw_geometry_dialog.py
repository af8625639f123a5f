"""Asking for the geometry of a headerless sensor dump, with the file-size check shown live.

Shown when the loader cannot tell a dump's geometry (no `--raw-format`, sidecar or telling file
name). Fields start from whatever the sidecar and the file name do say; ranges and choices come
from `app.loaders.rawspec`. The answer is a RawSpec string for `load_capture(raw_format=...)`.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QSpinBox,
                               QVBoxLayout, QWidget)

from app.capture import CFA_PATTERNS
from app.errors import CamtuneError, CaptureError, GeometryError
from app.loaders.headerless import check_size
from app.loaders.rawspec import MAX_DIM, PACKINGS, RawSpec, collect_hints, container_packing, packing_bits

OK_MARK, BAD_MARK = "\u2714", "\u2718"


def needs_geometry(err: Exception) -> bool:
    """Whether a load failure is a headerless dump whose geometry is unknown or does not fit."""
    return isinstance(err, GeometryError)


class RawGeometryDialog(QDialog):
    def __init__(self, path: str | Path, reason: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.path = Path(path)
        self.setWindowTitle("Headerless capture geometry")
        try:
            self.file_size = self.path.stat().st_size
        except OSError:
            self.file_size = 0
        try:
            hints, _ = collect_hints(self.path, None)
        except CamtuneError:
            hints = None

        self.width_box = QSpinBox(maximum=MAX_DIM, minimum=1)
        self.height_box = QSpinBox(maximum=MAX_DIM, minimum=1)
        self.bits_box = QSpinBox(minimum=1, maximum=max(packing_bits(p) for p in PACKINGS))
        self.cfa_box = QComboBox()
        self.cfa_box.addItems(CFA_PATTERNS)
        self.packing_box = QComboBox()
        self.packing_box.addItems(PACKINGS)
        self.offset_box = QSpinBox(minimum=0, maximum=max(self.file_size, 0))
        self.offset_box.setSuffix(" bytes")
        self.offset_box.setToolTip("Header bytes to skip before the first line")
        self.width_box.setValue(getattr(hints, "width", None) or 1920)
        self.height_box.setValue(getattr(hints, "height", None) or 1080)
        bits = getattr(hints, "bits", None) or 12
        self.bits_box.setValue(bits)
        self.cfa_box.setCurrentText(getattr(hints, "cfa", None) or "RGGB")
        self.packing_box.setCurrentText(getattr(hints, "packing", None) or container_packing(bits))
        self.offset_box.setValue(getattr(hints, "offset", None) or 0)

        self.check = QLabel()
        self.check.setWordWrap(True)
        self.check.setObjectName("sizeCheck")
        form = QFormLayout()
        form.addRow("Width", self.width_box)
        form.addRow("Height", self.height_box)
        form.addRow("Bits per pixel", self.bits_box)
        form.addRow("CFA pattern", self.cfa_box)
        form.addRow("Packing", self.packing_box)
        form.addRow("Offset", self.offset_box)
        intro = QLabel(f"<b>{self.path.name}</b> ({self.file_size:,} bytes) has no header: give its "
                       f"geometry.<br><span style='color:#a0a0a0'>{reason}</span>")
        intro.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open |
                                        QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.check)
        layout.addWidget(self.buttons)
        for box in (self.width_box, self.height_box, self.bits_box, self.offset_box):
            box.valueChanged.connect(self._update)
        self.cfa_box.currentTextChanged.connect(self._update)
        self.packing_box.currentTextChanged.connect(self._packing_changed)
        self.setMinimumWidth(460)
        self._update()

    def _packing_changed(self) -> None:
        cap = packing_bits(self.packing_box.currentText())
        if self.bits_box.value() > cap:
            self.bits_box.setValue(cap)
        self._update()

    def spec(self) -> RawSpec:
        """The geometry as entered; CamtuneError when it is not valid."""
        return RawSpec(width=self.width_box.value(), height=self.height_box.value(),
                       bits=self.bits_box.value(), cfa=self.cfa_box.currentText(),
                       packing=self.packing_box.currentText(), offset=self.offset_box.value())

    def spec_string(self) -> str:
        return str(self.spec())

    def _update(self) -> None:
        ok = False
        try:
            spec = self.spec()
            check_size(spec, self.file_size, self.path)
            ok = True
            text = f"{OK_MARK} {spec.expected_bytes():,} bytes expected: matches the file."
        except CaptureError as err:
            text = f"{BAD_MARK} {err.reason}"
        except CamtuneError as err:
            text = f"{BAD_MARK} {err}"
        self.check.setText(text)
        self.check.setProperty("ok", ok)
        self.check.style().unpolish(self.check)
        self.check.style().polish(self.check)
        self.buttons.button(QDialogButtonBox.StandardButton.Open).setEnabled(ok)
