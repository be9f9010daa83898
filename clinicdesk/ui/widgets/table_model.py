"""The shape every read-only list table in ClinicDesk shares: one row per item of a Python
list, fixed column titles. Subclasses give ``COLUMNS`` and ``data``; the counting, the headers
and the row look-up live here once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from clinicdesk.errors import UserError
from clinicdesk.ui.widgets.chosen_file import ask_save_path
from clinicdesk.ui.widgets.errors import show_user_error

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPushButton

AnyIndex = QModelIndex | QPersistentModelIndex
Row = TypeVar("Row")


class ListTableModel(QAbstractTableModel, Generic[Row]):
    COLUMNS: tuple[str, ...] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []

    def set_rows(self, rows: Sequence[Row]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    @property
    def rows(self) -> list[Row]:
        return list(self._rows)

    def row_at(self, row: int) -> Row | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_for(self, index: AnyIndex) -> Row | None:
        """The item behind ``index``, or None for an invalid index or column."""
        if not index.isValid() or not 0 <= index.column() < len(self.COLUMNS):
            return None
        return self.row_at(index.row())

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.COLUMNS)
        ):
            return self.COLUMNS[section]
        return None


class PagedTableModel(ListTableModel[Row]):
    """A list fetched a page of ``PAGE_ROWS`` at a time: the view asks for more as the user
    scrolls (``canFetchMore``/``fetchMore``), and ``next_page`` fetches the rows after the
    last one shown. A subclass loads the first page and sets ``_exhausted`` when it was short."""

    PAGE_ROWS = 100

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._exhausted = True

    def next_page(self, last: Row) -> Sequence[Row]:
        raise NotImplementedError

    def canFetchMore(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: AnyIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or self._exhausted or not self._rows:
            self._exhausted = True
            return
        page = self.next_page(self._rows[-1])
        if len(page) < self.PAGE_ROWS:
            self._exhausted = True
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()


def list_table_view(
    model: QAbstractTableModel,
    name: str,
    widths: Sequence[int] = (),
    *,
    single_selection: bool = False,
    alternating_rows: bool = True,
    wrapped_rows: bool = False,
) -> QTableView:
    """A read-only, row-selecting table over ``model`` in the look the list windows share.
    A long cell is cut short with "…", or with ``wrapped_rows`` wrapped at word breaks (the
    record's own tables, whose titles and names are read in full)."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    if single_selection:
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating_rows)
    table.setWordWrap(wrapped_rows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(22)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    header.setStretchLastSection(True)
    for column, width in enumerate(widths):
        table.setColumnWidth(column, width)
    return table


def export_button(name: str, tip: str) -> QPushButton:
    """A list window's "Export CSV…" button (``tip`` says what is saved)."""
    from PySide6.QtWidgets import QPushButton  # the patient list (start-up) has none

    button = QPushButton("&Export CSV…")
    button.setObjectName(name)
    button.setToolTip(tip)
    return button


def export_csv_as(
    parent: QWidget, title: str, default: Path, export: Callable[[Path], object]
) -> None:
    """Ask where to save a list window's CSV (``.csv`` added when left off), then ``export``
    there; a refusal (a folder that cannot be written, say) is shown, nothing else changes."""
    path = ask_save_path(parent, title, default, ".csv", "CSV files")
    if path is None:
        return
    try:
        export(path)
    except UserError as exc:
        show_user_error(parent, exc)
