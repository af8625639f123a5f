"""The tuning panel: every ISP stage's parameters, generated from their declarations.

One collapsible section per stage of `IspParams`, in pipeline order; one editor per declared
parameter, chosen by its kind (`EDITORS`). Adding a stage or a parameter to `app/isp/stages.py`
adds it here with no change to this package. The panel follows `Session.profileChanged` (undo,
redo, opening a file) and marks parameters that a per-condition table replaces at the current
capture.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QScrollArea, QToolButton, QVBoxLayout, QWidget

from widgets.tuning import declared
from widgets.tuning.binding import ParamBinding
from widgets.tuning.controls import (BoolEditor, ChoiceEditor, NumberEditor, ParamEditor, UnsupportedEditor,
                                     VectorEditor)
from widgets.tuning.editors.curve import CurveEditor
from widgets.tuning.editors.lsc import GridEditor, LensShadingDialog
from widgets.tuning.editors.matrix import MatrixEditor
from widgets.tuning.editors.tables import TablesDialog
from widgets.tuning.stage_group import StageGroup, align

EDITORS: dict[str, type[ParamEditor]] = {
    "bool": BoolEditor, "int": NumberEditor, "float": NumberEditor, "choice": ChoiceEditor,
    "vector": VectorEditor, "matrix3x3": MatrixEditor, "curve": CurveEditor, "grid": GridEditor,
}
OVERRIDE_DELAY_MS = 150   # resolving for the capture waits until edits pause


def make_editor(binding: ParamBinding) -> ParamEditor:
    return EDITORS.get(binding.spec.kind, UnsupportedEditor)(binding)


class TuningPanel(QWidget):
    """Scrollable stage sections with a filter; `editor(stage, name)` finds a parameter's editor."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.groups: dict[str, StageGroup] = {}
        self._rules: dict[str, QFrame] = {}
        self._expanded_before: dict[str, bool] | None = None
        self._tables: TablesDialog | None = None
        self._shading: LensShadingDialog | None = None

        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("Filter parameters…")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self.apply_filter)
        expand = self._tool("▾▾", "Expand every stage", lambda: self.expand_all(True))
        collapse = self._tool("▸▸", "Collapse every stage", lambda: self.expand_all(False))
        top = QHBoxLayout()
        top.setContentsMargins(4, 4, 4, 2)
        top.setSpacing(2)
        top.addWidget(self.filter, 1)
        top.addWidget(expand)
        top.addWidget(collapse)

        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(2, 0, 2, 4)
        column.setSpacing(0)
        for stage in declared.stage_names():
            group = StageGroup(session, stage, make_editor, body)
            group.tablesRequested.connect(self.open_tables)
            for editor in group.editors.values():
                if isinstance(editor, GridEditor):
                    editor.viewRequested.connect(self.open_lens_shading)
            self.groups[stage] = group
            column.addWidget(group)
            self._rules[stage] = _rule(body)
            column.addWidget(self._rules[stage])
        column.addStretch(1)
        align([e for g in self.groups.values() for e in g.editors.values()])

        self.scroll = QScrollArea(self)
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.scroll, 1)

        self._override_timer = QTimer(self)
        self._override_timer.setSingleShot(True)
        self._override_timer.setInterval(OVERRIDE_DELAY_MS)
        self._override_timer.timeout.connect(self.show_overrides)
        session.profileChanged.connect(self.refresh)
        session.captureChanged.connect(self._override_timer.start)

    def _tool(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    # ----- lookup ------------------------------------------------------------------------
    def group(self, stage: str) -> StageGroup:
        return self.groups[stage]

    def editor(self, stage: str, name: str) -> ParamEditor:
        return self.groups[stage].editors[name]

    # ----- following the session ---------------------------------------------------------
    def refresh(self) -> None:
        for group in self.groups.values():
            group.refresh()
        self._override_timer.start()

    def show_overrides(self) -> None:
        """Mark parameters whose value at the current capture comes from a per-condition table."""
        try:
            resolved = self.session.params()
        except Exception:   # noqa: BLE001 (a capture the profile cannot resolve: no marks)
            resolved = self.session.profile.stages
        base = self.session.profile.stages
        for stage, group in self.groups.items():
            mine, theirs = getattr(base, stage), getattr(resolved, stage)
            for name, editor in group.editors.items():
                value = getattr(theirs, name)
                editor.set_overridden(None if value == getattr(mine, name) else _override_note(editor, value))

    # ----- view --------------------------------------------------------------------------
    def expand_all(self, expand: bool = True) -> None:
        for group in self.groups.values():
            (group.expand if expand else group.collapse)(animate=False)

    def apply_filter(self, text: str) -> None:
        """Show the stages and rows matching `text`, expanded; clearing it restores the view."""
        filtering = bool(text.strip())
        if filtering and self._expanded_before is None:
            self._expanded_before = {s: g.isExpanded() for s, g in self.groups.items()}
        for stage, group in self.groups.items():
            match = group.apply_filter(text)
            group.setVisible(match)
            self._rules[stage].setVisible(match)
            if filtering and match:
                group.expand(animate=False)
            elif not filtering and self._expanded_before is not None:
                (group.expand if self._expanded_before[stage] else group.collapse)(animate=False)
        if not filtering:
            self._expanded_before = None

    def open_tables(self, stage: str = "") -> TablesDialog:
        if self._tables is None:
            self._tables = TablesDialog(self.session, self)
        if stage:
            self._tables.editor.show_section(stage)
        self._tables.show()
        self._tables.raise_()
        return self._tables

    def open_lens_shading(self) -> LensShadingDialog:
        if self._shading is None:
            self._shading = LensShadingDialog(self.session, self)
        self._shading.show()
        self._shading.raise_()
        return self._shading


def _override_note(editor: ParamEditor, value) -> str:
    spec = editor.spec
    if spec.kind in declared.SCALAR_KINDS:
        unit = f" {spec.unit}" if spec.unit else ""
        return f"At the current capture a per-condition table gives {declared.fmt(spec, value)}{unit}."
    if spec.kind == "vector":
        return f"At the current capture a per-condition table gives ({', '.join(declared.fmt(spec, v) for v in value)})."
    return "At the current capture a per-condition table gives this value."


def _rule(parent: QWidget) -> QFrame:
    line = QFrame(parent)
    line.setFrameShape(QFrame.Shape.HLine)
    line.setFrameShadow(QFrame.Shadow.Sunken)
    line.setEnabled(False)
    return line
