"""Input widgets that do not steal the scroll wheel.

In a scrolling panel full of sliders, a wheel turn meant to scroll must not change whichever
value happens to pass under the pointer. These inputs take the wheel only once they have focus
(a click or Tab), otherwise the event goes on to the scroll area.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QSlider, QSpinBox


class _WheelWhenFocused:
    def _setup_focus(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def wheelEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class Slider(_WheelWhenFocused, QSlider):
    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._setup_focus()


class DoubleSpinBox(_WheelWhenFocused, QDoubleSpinBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._setup_focus()
        self.setKeyboardTracking(False)   # typed text commits on Enter or focus out
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setAccelerated(True)


class SpinBox(_WheelWhenFocused, QSpinBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._setup_focus()
        self.setKeyboardTracking(False)
        self.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.setAccelerated(True)


class ComboBox(_WheelWhenFocused, QComboBox):
    def __init__(self, parent=None):
        super().__init__(parent)
        self._setup_focus()
