"""3x3 colour-matrix editor: nine spin boxes, row sums, and "keep rows summing to 1".

Rows summing to 1 keep white-balanced greys grey, which is what a tuner usually wants to
preserve while trading saturation against noise; the arithmetic lives in `edits.matrix_set`.
Range, step and unit come from the matrix's declaration.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from widgets.tuning import declared
from widgets.tuning.binding import ParamBinding
from widgets.tuning.controls import ParamEditor
from widgets.tuning.edits import matrix_set, normalise_rows, row_sums
from widgets.tuning.inputs import DoubleSpinBox

# Calibrated matrices carry more digits than the edit step; show them rather than round them away.
EXTRA_DECIMALS = 2
SUM_TOLERANCE = 5e-4


class MatrixEditor(ParamEditor):
    """Edits a row-major 3x3 matrix parameter; each change of one element is one edit."""

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        spec = self.spec
        self.decimals = declared.decimals(spec) + EXTRA_DECIMALS
        grid = QGridLayout()
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(2)
        self.cells: list[DoubleSpinBox] = []
        self.sums: list[QLabel] = []
        for i in range(9):
            spin = DoubleSpinBox(self)
            spin.setDecimals(self.decimals)
            spin.setRange(spec.minimum, spec.maximum)
            spin.setSingleStep(declared.step_of(spec))
            spin.setButtonSymbols(DoubleSpinBox.ButtonSymbols.NoButtons)
            spin.setToolTip(self.tip)
            spin.valueChanged.connect(lambda v, i=i: self._changed(i, v))
            row, col = divmod(i, 3)
            grid.addWidget(spin, row, col)
            self.cells.append(spin)
        for row in range(3):
            total = QLabel(self)
            total.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            total.setToolTip("Sum of the row: 1 keeps white-balanced greys neutral.")
            total.setEnabled(False)
            grid.addWidget(total, row, 3)
            self.sums.append(total)

        self.keep_rows = QCheckBox("Keep rows summing to 1", self)
        self.keep_rows.setToolTip("Compensate each change on the same row (on the diagonal, or on "
                                  "the other two when the diagonal changes) so greys stay grey.")
        normalise = QToolButton(self)
        normalise.setText("Normalise rows")
        normalise.setToolTip("Scale each row so it sums to 1.")
        normalise.setAutoRaise(True)
        normalise.clicked.connect(self._normalise)

        options = QHBoxLayout()
        options.setContentsMargins(0, 0, 0, 0)
        options.addWidget(self.keep_rows)
        options.addStretch(1)
        options.addWidget(normalise)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(3)
        lay.addWidget(self.label)
        lay.addLayout(grid)
        lay.addLayout(options)
        self.refresh()

    def refresh(self) -> None:
        matrix = self.binding.value()
        for spin, value in zip(self.cells, matrix):
            with QSignalBlocker(spin):
                spin.setValue(value)
        for label, total in zip(self.sums, row_sums(matrix)):
            label.setText(f"Σ {total:.{self.decimals}f}")
        self.label.set_changed(not self.binding.is_default())

    def _changed(self, index: int, value: float) -> None:
        matrix = matrix_set(self.binding.value(), index, value, self.keep_rows.isChecked())
        self.binding.edit(matrix, part=index)

    def _normalise(self) -> None:
        self.binding.commit(normalise_rows(self.binding.value()))

    def set_element(self, index: int, value: float) -> None:
        """Type `value` into element `index` (as a tuner would)."""
        self.cells[index].setValue(value)

    def reset_actions(self):
        return [(f"Reset {declared.label(self.spec)} to its default", self.reset)]

    def rows_sum_to_one(self) -> bool:
        return all(abs(s - 1.0) < SUM_TOLERANCE for s in row_sums(self.binding.value()))
