"""One stage in the panel: a collapsible section with the stage's switch and reset in its header.

The rows are whatever editors the panel's kind table makes from the stage's `specs()`. The
switch is the stage's declared `enabled` parameter; reset puts every other parameter back to
its declared default and leaves the switch as it is.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QToolButton, QToolTip, QWidget
from superqt import QCollapsible

from widgets.tuning import declared
from widgets.tuning.binding import ParamBinding, error_text
from widgets.tuning.controls import ParamEditor, on_off_switch

ANIMATION_MS = 120
CHANGED_MARK = " •"


class StageGroup(QCollapsible):
    """A stage's header (switch, title, reset) and its parameter editors."""

    tablesRequested = Signal(str)   # the stage's name: open its per-condition tables

    def __init__(self, session, stage: str, make_editor, parent: QWidget | None = None):
        super().__init__(declared.stage_label(stage), parent, expandedIcon="▾", collapsedIcon="▸")
        self.session = session
        self.stage = stage
        self._seen: tuple | None = None  # the stage and tables last shown (see refresh)
        self.title = declared.stage_label(stage)
        self.setDuration(ANIMATION_MS)
        specs = declared.stage_specs(stage)
        self.enabled_binding = ParamBinding(session, stage, next(s for s in specs if s.name == declared.ENABLED), self)
        self.editors: dict[str, ParamEditor] = {}
        self._build_header()
        for spec in specs:
            if spec.name == declared.ENABLED:
                continue
            editor = make_editor(ParamBinding(session, stage, spec, self))
            self.editors[spec.name] = editor
            self.addWidget(editor)
        self.table_buttons = []
        for table in declared.table_sections():
            if table.section == stage:
                button = QPushButton(self)
                button.setToolTip(f"Edit {table.title}: values per condition that replace this "
                                  "stage's own values when the profile is resolved for a capture.")
                button.clicked.connect(lambda _=False, s=stage: self.tablesRequested.emit(s))
                self.table_buttons.append((button, table))
                self.addWidget(button)
        self.content().layout().setSpacing(3)
        self.content().layout().setContentsMargins(14, 2, 4, 6)
        self.refresh()

    def _build_header(self) -> None:
        button = self.toggleButton()
        button.setToolTip(declared.stage_summary(self.stage))
        font = button.font()
        font.setBold(True)
        button.setFont(font)
        self.switch = on_off_switch(self)
        self.switch.setToolTip(f"Run {self.title.lower()} (off: its input passes through).")
        self.switch.toggled.connect(self.enabled_binding.commit)
        self.reset_button = QToolButton(self)
        self.reset_button.setText("↺")
        self.reset_button.setAutoRaise(True)
        self.reset_button.setToolTip(f"Reset every {self.title.lower()} parameter to its default.")
        self.reset_button.clicked.connect(self.reset)
        header = QWidget(self)
        lay = QHBoxLayout(header)
        lay.setContentsMargins(2, 0, 2, 0)
        lay.setSpacing(4)
        self.layout().removeWidget(button)
        lay.addWidget(self.switch)
        lay.addWidget(button, 1)
        lay.addWidget(self.reset_button)
        self.layout().insertWidget(0, header)
        self.layout().setContentsMargins(0, 2, 0, 2)
        self.layout().setSpacing(0)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda p: self._menu(header.mapToGlobal(p)))
        button.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        button.customContextMenuRequested.connect(lambda p: self._menu(button.mapToGlobal(p)))

    def _menu(self, global_pos) -> None:
        menu = QMenu(self)
        menu.addAction(f"Reset {self.title.lower()}", self.reset)
        menu.exec(global_pos)

    # ----- state ---------------------------------------------------------------------------
    def refresh(self) -> None:
        profile = self.session.profile
        values = getattr(profile.stages, self.stage)
        # Profiles are frozen and an edit copies only what it changes, so an identical stage
        # and tables mean nothing to redo (a drag refreshes every group at every step).
        seen = (values, *(getattr(getattr(profile, t.section), t.field) for _, t in self.table_buttons))
        if self._seen is not None and all(a is b for a, b in zip(seen, self._seen)):
            return
        self._seen = seen
        enabled = bool(getattr(values, declared.ENABLED))
        if self.switch.isChecked() != enabled:  # setting it anyway restarts the switch's animation
            with QSignalBlocker(self.switch):
                self.switch.setChecked(enabled)
        for editor in self.editors.values():   # the editors refresh themselves
            editor.setEnabled(self.switch.isChecked())
        changed = any(not e.binding.is_default() for e in self.editors.values())
        self.setText(self.title + (CHANGED_MARK if changed else ""))
        for button, table in self.table_buttons:
            count = len(getattr(getattr(self.session.profile, table.section), table.field))
            button.setText(f"{table.title} ({count})…")

    def reset(self) -> None:
        defaults = {name: e.spec.default for name, e in self.editors.items()}
        try:
            self.session.set_stage(self.stage, **defaults)
        except ValueError as err:   # only if a declaration's default breaks its own range
            QToolTip.showText(self.mapToGlobal(self.rect().topLeft()), error_text(err), self)

    def is_changed(self) -> bool:
        return self.text().endswith(CHANGED_MARK)

    def apply_filter(self, text: str) -> bool:
        """Show only rows whose label or name contains `text`; True if any (or the title) matches."""
        text = text.strip().lower()
        if not text or text in self.title.lower():
            for editor in self.editors.values():
                editor.show()
            return True
        any_shown = False
        for name, editor in self.editors.items():
            match = text in name.lower() or text in editor.label.text().lower()
            editor.setVisible(match)
            any_shown |= match
        return any_shown


def align(editors) -> None:
    """One label column and one value column across `editors` (the whole panel)."""
    labels = [lab for e in editors for lab in e.aligned_labels()]
    values = [v for e in editors for v in e.aligned_values()]
    if labels:
        width = max(lab.sizeHint().width() for lab in labels)
        for lab in labels:
            lab.setMinimumWidth(width)
    if values:
        width = max(v.sizeHint().width() for v in values)
        for v in values:
            v.setFixedWidth(width)
