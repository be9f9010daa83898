"""An editable table of list items (hair treatments, allergies, labs...) for a form.

Each row keeps the id of the stored item in the first cell's user data, so a save updates that
item instead of adding a new one. Coded columns use a combo box of the enum's labels; the table
returns the raw text of every cell, and the domain validates it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.ui.widgets.dates import DateEdit
from clinicdesk.ui.widgets.styles import ERROR_STYLE

ID_ROLE = Qt.ItemDataRole.UserRole + 1
INVALID_COLOUR = "#f8d7da"  # the background of a cell whose value was refused
INVALID_BRUSH = QBrush(QColor(INVALID_COLOUR))


def mark_cell(item: QTableWidgetItem, message: str | None, tip: str = "") -> None:
    """Show a table cell as refused (its background, ``message`` as its tip), or as fine
    again (``tip``, the cell's usual tip)."""
    item.setBackground(INVALID_BRUSH if message else QBrush())
    item.setToolTip(message or tip)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    choices: type[StrEnum] | None = None  # members with a ``label`` property
    placeholder: str = ""
    width: int = 0
    # Shown, never typed: filled by the form from the other cells (``set_derived``), and
    # left out of ``rows``.
    derived: bool = False
    # Typed in a ``DateEdit`` (kept as typed, with its calendar pop-up), as in every form.
    date: bool = False


class DateDelegate(QStyledItemDelegate):
    """Edits a date cell in the forms' ``DateEdit``: nothing typed is corrected (the save
    refuses a date that is not real, at the cell), and its calendar writes the day picked."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = DateEdit(parent)
        editor.setObjectName("cell_date")
        editor.setMaximumWidth(16_777_215)  # as wide as the column
        editor.setFrame(False)
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, DateEdit):
            editor.setText(str(index.data() or ""))
        else:
            super().setEditorData(editor, index)

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, DateEdit):
            model.setData(index, editor.text())
        else:
            super().setModelData(editor, model, index)


class ItemTable(QWidget):
    changed = Signal()

    def __init__(
        self,
        name: str,
        columns: Sequence[Column],
        add_label: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.name = name
        self.columns = tuple(columns)
        self._loading = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(self.columns))
        self.table.setObjectName(f"{name}_table")
        self.table.setHorizontalHeaderLabels([c.header for c in self.columns])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setMinimumHeight(140)
        for i, column in enumerate(self.columns):
            if column.width:
                self.table.setColumnWidth(i, column.width)
            if column.date:
                self.table.setItemDelegateForColumn(i, DateDelegate(self.table))
        self.table.itemChanged.connect(self._item_changed)
        layout.addWidget(self.table)
        buttons = QHBoxLayout()
        self.add_button = QPushButton(add_label)
        self.add_button.setObjectName(f"{name}_add")
        self.add_button.clicked.connect(self._add_clicked)
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.setObjectName(f"{name}_remove")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.error_label = QLabel()
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setWordWrap(True)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

    # -- rows -----------------------------------------------------------------------------

    def add_row(self, values: Mapping[str, str] | None = None, item_id: str | None = None) -> int:
        values = values or {}
        row = self.table.rowCount()
        self._loading = True
        try:
            self.table.insertRow(row)
            for col, column in enumerate(self.columns):
                if column.choices is not None:
                    combo = QComboBox()
                    for member in column.choices:
                        combo.addItem(str(getattr(member, "label", member.value)), member.value)
                    wanted = values.get(column.key, "")
                    if wanted:
                        combo.setCurrentIndex(max(combo.findData(wanted), 0))
                    combo.currentIndexChanged.connect(self._combo_changed)
                    self.table.setCellWidget(row, col, combo)
                    item = QTableWidgetItem()
                else:
                    item = QTableWidgetItem(values.get(column.key, ""))
                    if column.placeholder:
                        item.setToolTip(column.placeholder)
                    if column.derived:
                        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                if col == 0:
                    item.setData(ID_ROLE, item_id or "")
                self.table.setItem(row, col, item)
        finally:
            self._loading = False
        if not values:
            self.changed.emit()
        return row

    def _add_clicked(self) -> None:
        # A slot returns None (see MainWindow's actions): add_row's int stays out of Qt.
        self.add_row()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self.changed.emit()

    def load(self, rows: Sequence[tuple[str | None, Mapping[str, str]]]) -> None:
        self._loading = True
        try:
            self.table.setRowCount(0)
        finally:
            self._loading = False
        for item_id, values in rows:
            self.add_row(values, item_id)
        self.show_errors({})

    def rows(self) -> list[dict[str, str]]:
        result = []
        for row in range(self.table.rowCount()):
            values: dict[str, str] = {}
            for col, column in enumerate(self.columns):
                if column.derived:
                    continue
                widget = self.table.cellWidget(row, col)
                if isinstance(widget, QComboBox):
                    values[column.key] = str(widget.currentData() or "")
                else:
                    item = self.table.item(row, col)
                    values[column.key] = item.text() if item else ""
            first = self.table.item(row, 0)
            values["id"] = str(first.data(ID_ROLE) or "") if first else ""
            result.append(values)
        return result

    def set_cell(self, row: int, key: str, text: str) -> None:
        """Type into a cell (used by keyboard-less callers and tests)."""
        col = [c.key for c in self.columns].index(key)
        widget = self.table.cellWidget(row, col)
        if isinstance(widget, QComboBox):
            widget.setCurrentIndex(max(widget.findData(text), 0))
        else:
            item = self.table.item(row, col)
            assert item is not None
            item.setText(text)

    def cell_text(self, row: int, key: str) -> str:
        """What a cell shows (a coded cell: its stored value)."""
        col = [c.key for c in self.columns].index(key)
        widget = self.table.cellWidget(row, col)
        if isinstance(widget, QComboBox):
            return str(widget.currentData() or "")
        item = self.table.item(row, col)
        return item.text() if item else ""

    def set_derived(self, row: int, key: str, text: str, tip: str = "") -> None:
        """Show ``text`` in a derived cell without counting as an edit."""
        col = [c.key for c in self.columns].index(key)
        item = self.table.item(row, col)
        if item is None:
            return
        with self.quietly():
            item.setText(text)
            item.setToolTip(tip or text)

    @contextlib.contextmanager
    def quietly(self) -> Iterator[None]:
        """What is changed inside (a derived cell's look, marks) is not an edit: no
        ``changed``."""
        was_loading, self._loading = self._loading, True
        try:
            yield
        finally:
            self._loading = was_loading

    # -- errors ---------------------------------------------------------------------------

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """``errors`` keyed like ``treatments[1].started_on`` (only this table's are used)."""
        messages = []
        keys = [c.key for c in self.columns]
        # Marking cells is no edit: their itemChanged must not count as one (nor make the
        # lab ranges be worked out again for every cell marked).
        with self.quietly():
            for row in range(self.table.rowCount()):
                for col, key in enumerate(keys):
                    message = errors.get(f"{self.name}[{row}].{key}")
                    item = self.table.item(row, col)
                    if item is None:
                        continue
                    mark_cell(item, message, self.columns[col].placeholder)
                    widget = self.table.cellWidget(row, col)
                    style = f"background: {INVALID_COLOUR};" if message else ""
                    if widget is not None and widget.styleSheet() != style:
                        # Only a change: setting a style sheet polishes the widget again.
                        widget.setStyleSheet(style)
                    if message:
                        messages.append(f"Row {row + 1}, {self.columns[col].header}: {message}")
        self.error_label.setText("\n".join(messages))
        self.error_label.setVisible(bool(messages))

    def set_read_only(self, read_only: bool) -> None:
        triggers = (
            QAbstractItemView.EditTrigger.NoEditTriggers
            if read_only
            else QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setEditTriggers(triggers)
        for row in range(self.table.rowCount()):
            for col in range(len(self.columns)):
                widget = self.table.cellWidget(row, col)
                if widget is not None:
                    widget.setEnabled(not read_only)
        self.add_button.setVisible(not read_only)
        self.remove_button.setVisible(not read_only)

    def _item_changed(self, _item: QTableWidgetItem) -> None:
        if not self._loading:
            self.changed.emit()

    def _combo_changed(self, _index: int) -> None:
        if not self._loading:
            self.changed.emit()
