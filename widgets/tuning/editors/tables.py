"""The profile's per-condition tables (CCMs per CT, AWB CT curve, strengths per gain) as tables.

Columns come from the entry models' declarations (`declared.table_sections`). A typed value is
validated as the whole profile would be (`Profile.replace`); a rejected value is not applied and
its message, with the path of the bad value, is shown under the table and on the cell. Every
accepted edit is one undo step through the session.
"""
from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QTabWidget, QVBoxLayout, QWidget)
from pydantic import ValidationError

from tuning_profiles import facts_for_capture
from tuning_profiles.store import messages
from widgets.tuning import declared, dialogs
from widgets.tuning.declared import TableSection
from widgets.tuning.edits import clamp, insert_entry, nearest_entry, with_element

ERROR_COLOUR = QColor(200, 60, 60, 110)


class EntryTableModel(QAbstractTableModel):
    """Rows = entries of one table of `session.profile`, columns = their (flattened) numbers."""

    errorChanged = Signal(str)

    def __init__(self, session, table: TableSection, parent=None):
        super().__init__(parent)
        self.session = session
        self.table = table
        self.error = ""
        self.error_cell: tuple[int, int] | None = None
        self._entries = self._read()
        session.profileChanged.connect(self._reload)

    # ----- reading -----------------------------------------------------------------------
    def _read(self) -> list[dict]:
        section = getattr(self.session.profile, self.table.section)
        entries = [e.model_dump() for e in getattr(section, self.table.field)]
        self._decimals = [declared.column_decimals(c.spec, [self._pick(e, c) for e in entries])
                          for c in self.table.columns]
        return entries

    @staticmethod
    def _pick(entry: dict, column) -> float:
        value = entry[column.spec.name]
        return value if column.index is None else value[column.index]

    def _reload(self) -> None:
        entries = self._read()
        if entries == self._entries:
            return
        if len(entries) == len(self._entries):   # values changed: keep the view's selection and editor
            self._entries = entries
            self.dataChanged.emit(self.index(0, 0), self.index(len(entries) - 1, self.columnCount() - 1))
            return
        self.beginResetModel()
        self._entries = entries
        self.endResetModel()

    def entries(self) -> list[dict]:
        return [dict(e) for e in self._entries]

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: N802 (Qt API)
        return 0 if parent.isValid() else len(self.table.columns)

    def _value(self, row: int, col: int) -> float:
        return self._pick(self._entries[row], self.table.columns[col])

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row, col = index.row(), index.column()
        column = self.table.columns[col]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{self._value(row, col):.{self._decimals[col]}f}"
        if role == Qt.ItemDataRole.EditRole:
            return f"{self._value(row, col):.10g}"
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.error if self.error_cell == (row, col) else declared.describe(column.spec)
        if role == Qt.ItemDataRole.BackgroundRole and self.error_cell == (row, col):
            return ERROR_COLOUR
        return None

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            column = self.table.columns[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return column.header
            if role == Qt.ItemDataRole.ToolTipRole:
                return declared.describe(column.spec)
        elif role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def flags(self, index):
        return super().flags(index) | Qt.ItemFlag.ItemIsEditable

    # ----- writing -----------------------------------------------------------------------
    def setData(self, index, value, role=Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802 (Qt API)
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        row, col = index.row(), index.column()
        column = self.table.columns[col]
        where = f"{self.table.section}.{self.table.field}[{row}].{column.spec.name}"
        if column.index is not None:
            where += f"[{column.index}]"
        try:
            number = float(str(value).strip())
        except ValueError:
            return self._fail(f"{where}: {str(value).strip()!r} is not a number", (row, col))
        entries = self.entries()
        name = column.spec.name
        entries[row][name] = number if column.index is None else with_element(entries[row][name],
                                                                               column.index, number)
        return self.apply(entries, f"{where} = {number:g}", (row, col))

    def apply(self, entries: list[dict], text: str, cell: tuple[int, int] | None = None) -> bool:
        """Validate `entries` as the profile's table; push one undo step, or show why not."""
        profile = self.session.profile
        section = getattr(profile, self.table.section).model_dump()
        section[self.table.field] = entries
        try:
            new = profile.replace(**{self.table.section: section})
        except ValidationError as err:
            found = messages(err, {self.table.section: section})
            return self._fail("; ".join(found) if found else str(err), cell)
        except ValueError as err:
            return self._fail(str(err), cell)
        self._set_error("", None)
        self.session.set_profile(new, text)
        return True

    def _fail(self, message: str, cell) -> bool:
        self._set_error(message, cell)
        return False

    def _set_error(self, message: str, cell) -> None:
        old = self.error_cell
        self.error, self.error_cell = message, cell
        for c in (old, cell):
            if c is not None and c[0] < len(self._entries):
                index = self.index(*c)
                self.dataChanged.emit(index, index)
        self.errorChanged.emit(message)

    def template(self, key_value: float) -> dict:
        """A new entry's values: the nearest entry's, else the stage's same-named parameters."""
        key = self.table.key.name
        near = nearest_entry(self._entries, key, key_value)
        if near is not None:
            return dict(near)
        stage = getattr(self.session.profile.stages, self.table.section, None)
        out = {}
        for spec in declared.entry_specs(self.table.entry):
            if stage is not None and spec.name in type(stage).model_fields:
                out[spec.name] = getattr(stage, spec.name)
            else:   # unity: the neutral value of a ratio or gain, kept inside the declared range
                out[spec.name] = clamp(spec, 1.0)
        return out

    def add_entry(self, key_value: float) -> int:
        """Insert an entry at `key_value` (row, or -1 if rejected)."""
        key = self.table.key.name
        entries, row = insert_entry(self.entries(), key, key_value, self.template(key_value))
        return row if self.apply(entries, f"{self.table.section}.{self.table.field}: add {key} {key_value:g}") else -1

    def remove_rows(self, rows: list[int]) -> bool:
        entries = [e for i, e in enumerate(self.entries()) if i not in set(rows)]
        if len(entries) == len(self._entries):
            return False
        return self.apply(entries, f"{self.table.section}.{self.table.field}: remove {len(rows)} entr"
                                   f"{'y' if len(rows) == 1 else 'ies'}")


class TableEditor(QWidget):
    """One table: the view, Add/Remove, and the inline error line."""

    def __init__(self, session, table: TableSection, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.table = table
        self.model = EntryTableModel(session, table, self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 6)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.view.horizontalHeader().setMinimumSectionSize(48)
        self.error = QLabel(self)
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pal = self.error.palette()
        pal.setColor(QPalette.ColorRole.WindowText, QColor(230, 110, 100))
        self.error.setPalette(pal)
        self.error.hide()
        self.model.errorChanged.connect(self._error)

        add = QPushButton("Add…", self)
        add.setToolTip(f"Add an entry at a {declared.label(table.key)} you choose (the current "
                       "capture's by default), starting from the nearest entry's values.")
        add.clicked.connect(self.ask_add)
        remove = QPushButton("Remove", self)
        remove.setToolTip("Remove the selected entries.")
        remove.clicked.connect(self.remove_selected)
        self.count = QLabel(self)
        self.count.setEnabled(False)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.count, 1)
        buttons.addWidget(add)
        buttons.addWidget(remove)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.setSpacing(4)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.error)
        lay.addLayout(buttons)
        self.model.modelReset.connect(self._count)
        self._count()

    def _count(self) -> None:
        n = self.model.rowCount()
        self.count.setText(f"{n} entr{'y' if n == 1 else 'ies'} by {declared.label(self.table.key)}"
                           + ("" if n else " (empty: the stage's own value applies)"))

    def _error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def suggested_key(self) -> float:
        """The current capture's condition (its CT or gain), else the first key or the minimum."""
        key = self.table.key
        capture = self.session.capture
        if capture is not None:
            value = getattr(facts_for_capture(self.session.profile, capture), key.name, None)
            if value is not None:
                return clamp(key, float(value))
        entries = self.model.entries()
        if entries:
            return float(entries[-1][key.name])
        return float(key.minimum if key.minimum is not None else 0.0)

    def ask_add(self) -> None:
        key = self.table.key
        unit = f" ({key.unit})" if key.unit else ""
        value = dialogs.ask_number(self, f"Add to {self.table.title}", f"{declared.label(key)}{unit}:",
                                   self.suggested_key(), key.minimum, key.maximum, declared.decimals(key))
        if value is not None:
            row = self.model.add_entry(value)
            if row >= 0:
                self.view.selectRow(row)

    def remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        if rows:
            self.model.remove_rows(rows)


class TablesEditor(QWidget):
    """Every per-condition table of the profile, one tab each."""

    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.tabs = QTabWidget(self)
        self.tables: dict[str, TableEditor] = {}
        for table in declared.table_sections():
            editor = TableEditor(session, table, self.tabs)
            self.tabs.addTab(editor, table.title)
            self.tables[f"{table.section}.{table.field}"] = editor
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.tabs)

    def show_section(self, section: str) -> None:
        for key, editor in self.tables.items():
            if key.split(".")[0] == section:
                self.tabs.setCurrentWidget(editor)
                return


class TablesDialog(QDialog):
    def __init__(self, session, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Per-condition tables")
        self.editor = TablesEditor(session, self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.editor)
        self.resize(760, 420)
