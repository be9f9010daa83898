"""The list tables' shared look (``list_table_view``): a long cell is cut short with "…" in the
list windows, and wrapped in the record's own tables (the Timeline and the access log), whose
titles and names are read in full."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView
from pytestqt.qtbot import QtBot

from clinicdesk.ui.admin.access_log import AccessLogTab
from clinicdesk.ui.widgets.table_model import ListTableModel, list_table_view
from tests.conftest import Clinic
from tests.services.clinical_setup import eligible_patient
from tests.ui.conftest import WindowFactory


class _Names(ListTableModel[str]):
    COLUMNS = ("Name",)


def test_a_list_table_cuts_long_cells_short_unless_asked_to_wrap(qtbot: QtBot) -> None:
    model = _Names()
    cut = list_table_view(model, "cut")
    wrapped = list_table_view(model, "wrapped", wrapped_rows=True)
    for table in (cut, wrapped):
        qtbot.addWidget(table)
        assert table.textElideMode() == Qt.TextElideMode.ElideRight
    assert not cut.wordWrap()
    assert wrapped.wordWrap()


def test_the_access_log_wraps_its_rows_and_keeps_its_column_widths(qtbot: QtBot) -> None:
    tab = AccessLogTab()
    qtbot.addWidget(tab)
    table = tab.table
    assert table.objectName() == "access_log_table"
    assert table.wordWrap()
    assert (table.columnWidth(0), table.columnWidth(1)) == (130, 220)
    assert table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert table.selectionMode() == QAbstractItemView.SelectionMode.ExtendedSelection


def test_the_timeline_wraps_its_rows_and_selects_one_at_a_time(
    clinic: Clinic, open_window: WindowFactory
) -> None:
    window = open_window(clinic.clinician)
    window.open_patient(eligible_patient(clinic).id)
    table = window.timeline.table
    assert table.wordWrap()
    assert (table.columnWidth(0), table.columnWidth(1)) == (96, 120)
    assert table.selectionMode() == QAbstractItemView.SelectionMode.SingleSelection
    assert table.alternatingRowColors()
