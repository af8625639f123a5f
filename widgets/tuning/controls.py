"""Editors for scalar, choice, switch and vector parameters, configured only from a ParamSpec.

Each editor is one row (label, control, value) bound to a `ParamBinding`. It writes through the
binding and re-reads in `refresh()` whenever its stage changes in the session (so undo updates
it), with its signals blocked, so a refresh never echoes back as an edit. A slider being dragged
is not moved by a refresh: the drag owns it until release.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QToolTip, QVBoxLayout, QWidget

from superqt import QToggleSwitch

from widgets.tuning import declared
from widgets.tuning.binding import ParamBinding
from widgets.tuning.edits import with_element
from widgets.tuning.inputs import ComboBox, DoubleSpinBox, Slider, SpinBox

ROW_MARGINS = (0, 0, 0, 0)
UNBOUNDED = 1e9  # a spin box's limit for a value declared without a bound


class ParamLabel(QLabel):
    """A parameter's name: bold when the value differs from its default; double-click resets."""

    def __init__(self, text: str, on_reset, parent=None):
        super().__init__(text, parent)
        self._on_reset = on_reset

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._on_reset()

    def set_changed(self, changed: bool) -> None:
        font = self.font()
        if font.bold() != changed:
            font.setBold(changed)
            self.setFont(font)

    def set_overridden(self, note: str | None, base_tip: str) -> None:
        font = self.font()
        font.setItalic(note is not None)
        self.setFont(font)
        self.setToolTip(base_tip if note is None else f"{base_tip}\n\n{note}")


class ParamEditor(QWidget):
    """Base of every parameter editor: binding, label, reset menu, error display."""

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(parent)
        self.binding = binding
        self.spec = binding.spec
        self.tip = declared.describe(self.spec)
        self.setToolTip(self.tip)
        self.label = ParamLabel(declared.label(self.spec), self.reset, self)
        self.label.setToolTip(self.tip)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        binding.failed.connect(self._failed)
        self._seen = binding.stage_values()
        binding.session.profileChanged.connect(self._profile_changed)

    def _profile_changed(self) -> None:
        """Refresh when this editor's stage changed (undo, redo, another widget, a file)."""
        values = self.binding.stage_values()
        if values is not self._seen and values != self._seen:
            self._seen = values
            self.refresh()

    # -- for the stage group: what to align across rows
    def aligned_labels(self) -> list[QLabel]:
        return [self.label]

    def aligned_values(self) -> list[QWidget]:
        return []

    def refresh(self) -> None:
        raise NotImplementedError

    def reset(self) -> None:
        self.binding.reset()

    def reset_actions(self) -> list[tuple[str, object]]:
        return [(f"Reset {declared.label(self.spec)}", self.reset)]

    def set_overridden(self, note: str | None) -> None:
        """Mark the parameter as replaced by a per-condition table at the current capture."""
        self.label.set_overridden(note, self.tip)

    def _menu(self, pos) -> None:
        menu = QMenu(self)
        for text, slot in self.reset_actions():
            action = QAction(text, menu)
            action.triggered.connect(slot)
            menu.addAction(action)
        menu.exec(self.mapToGlobal(pos))

    def _failed(self, message: str) -> None:
        self.refresh()
        QToolTip.showText(self.mapToGlobal(self.rect().center()), message, self)


def _row(*widgets, stretch_index: int = 1) -> QHBoxLayout:
    lay = QHBoxLayout()
    lay.setContentsMargins(*ROW_MARGINS)
    lay.setSpacing(6)
    for i, w in enumerate(widgets):
        lay.addWidget(w, 1 if i == stretch_index else 0)
    return lay


class NumberEditor(ParamEditor):
    """Slider + spin box for an int or float (or one element of a vector, `index`)."""

    def __init__(self, binding: ParamBinding, index: int | None = None, text: str | None = None,
                 parent: QWidget | None = None):
        super().__init__(binding, parent)
        spec = self.spec
        self.index = index
        if text is not None:
            self.label.setText(text)
        self.is_int = spec.kind == "int"
        self.step = declared.step_of(spec)
        lo = spec.minimum if spec.minimum is not None else -UNBOUNDED
        hi = spec.maximum if spec.maximum is not None else UNBOUNDED
        self.lo, self.hi = lo, hi

        self.spin = SpinBox(self) if self.is_int else DoubleSpinBox(self)
        if not self.is_int:
            self.spin.setDecimals(declared.decimals(spec))
        self.spin.setRange(int(lo) if self.is_int else lo, int(hi) if self.is_int else hi)
        self.spin.setSingleStep(int(self.step) if self.is_int else self.step)
        self.spin.setSuffix(declared.suffix(spec))
        self.spin.setToolTip(self.tip)
        self.spin.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.spin.customContextMenuRequested.connect(lambda p: self._menu(self.spin.mapTo(self, p)))

        self.slider = Slider(self)
        bounded = spec.minimum is not None and spec.maximum is not None
        self.slider.setVisible(bounded)
        self.slider.setRange(0, self._position(hi) if bounded else 0)
        self.slider.setPageStep(max(1, self.slider.maximum() // 10))
        self.slider.setToolTip(self.tip)

        self.setLayout(_row(self.label, self.slider, self.spin))
        self.slider.sliderPressed.connect(lambda: self.binding.begin_drag(self.index))
        self.slider.sliderReleased.connect(self.binding.end_drag)
        self.slider.valueChanged.connect(self._slider_changed)
        self.spin.valueChanged.connect(self._spin_changed)
        self.refresh()

    # value <-> slider position (integer steps from the minimum)
    def _position(self, value: float) -> int:
        return int(round((value - self.lo) / self.step))

    def _value_at(self, position: int):
        value = min(self.hi, self.lo + position * self.step)
        return int(round(value)) if self.is_int else round(value, declared.decimals(self.spec) + 2)

    def aligned_values(self) -> list[QWidget]:
        return [self.spin]

    def current(self):
        value = self.binding.value()
        return value if self.index is None else value[self.index]

    def refresh(self) -> None:
        self.label.set_changed(not self.binding.is_default(self.index))
        if self.slider.isSliderDown():
            return   # the drag owns slider and spin box; the session trails it by one throttle tick
        value = self.current()
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._position(value))

    def _slider_changed(self, position: int) -> None:
        value = self._value_at(position)
        with QSignalBlocker(self.spin):
            self.spin.setValue(value)
        self._edit(value)

    def _spin_changed(self, value) -> None:
        with QSignalBlocker(self.slider):
            self.slider.setValue(self._position(value))
        self._edit(value)

    def _edit(self, value) -> None:
        if self.index is None:
            self.binding.edit(value)
        else:
            self.binding.edit(with_element(self.binding.value(), self.index, value), part=self.index)

    def reset(self) -> None:
        if self.index is None:
            self.binding.reset()
        else:
            default = self.spec.default[self.index]
            self.binding.commit(with_element(self.binding.value(), self.index, default))

    def reset_actions(self):
        default = self.spec.default if self.index is None else self.spec.default[self.index]
        unit = f" {self.spec.unit}" if self.spec.unit else ""
        return [(f"Reset {self.label.text()} to {declared.fmt(self.spec, default)}{unit}", self.reset)]


class VectorEditor(ParamEditor):
    """A caption and one NumberEditor row per element, labelled from the declared `labels`."""

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        count = len(binding.value())
        names = declared.element_labels(self.spec, count)
        self.rows = [NumberEditor(binding, i, f"  {names[i]}", self) for i in range(count)]
        lay = QVBoxLayout(self)
        lay.setContentsMargins(*ROW_MARGINS)
        lay.setSpacing(2)
        lay.addWidget(self.label)
        for row in self.rows:
            lay.addWidget(row)

    def aligned_labels(self):
        return [r.label for r in self.rows]

    def aligned_values(self):
        return [r.spin for r in self.rows]

    def refresh(self) -> None:
        for row in self.rows:
            row.refresh()
        self.label.set_changed(not self.binding.is_default())

    def set_overridden(self, note):
        super().set_overridden(note)
        for row in self.rows:
            row.set_overridden(note)

    def reset_actions(self):
        return [(f"Reset all of {declared.label(self.spec)}", self.reset)]


class ChoiceEditor(ParamEditor):
    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        self.combo = ComboBox(self)
        for choice in self.spec.choices:
            self.combo.addItem(declared.choice_text(choice), choice)
        self.combo.setToolTip(self.tip)
        self.setLayout(_row(self.label, self.combo))
        self.combo.activated.connect(lambda i: self.binding.commit(self.combo.itemData(i)))
        self.refresh()

    def refresh(self) -> None:
        with QSignalBlocker(self.combo):
            self.combo.setCurrentIndex(self.combo.findData(self.binding.value()))
        self.label.set_changed(not self.binding.is_default())

    def reset_actions(self):
        return [(f"Reset {declared.label(self.spec)} to {declared.choice_text(str(self.spec.default))}",
                 self.reset)]


def on_off_switch(parent: QWidget) -> QToggleSwitch:
    """A switch whose on state reads at a glance: a muted blue groove, dark grey when off
    (the palette's grey highlight made on look dimmer than off)."""
    switch = QToggleSwitch(parent)
    switch.onColor = QColor("#4f7cb3")
    switch.offColor = QColor("#4a4a4a")
    return switch


class BoolEditor(ParamEditor):
    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        self.switch = on_off_switch(self)
        self.switch.setToolTip(self.tip)
        row = _row(self.label, self.switch, stretch_index=-1)
        row.addStretch(1)
        self.setLayout(row)
        self.switch.toggled.connect(self.binding.commit)
        self.refresh()

    def refresh(self) -> None:
        with QSignalBlocker(self.switch):
            self.switch.setChecked(bool(self.binding.value()))
        self.label.set_changed(not self.binding.is_default())


class UnsupportedEditor(ParamEditor):
    """A kind this panel has no editor for: shown, never silently dropped."""

    def __init__(self, binding: ParamBinding, parent: QWidget | None = None):
        super().__init__(binding, parent)
        note = QLabel(f"({self.spec.kind}: no editor)", self)
        note.setEnabled(False)
        self.setLayout(_row(self.label, note))

    def refresh(self) -> None:
        self.label.set_changed(not self.binding.is_default())
