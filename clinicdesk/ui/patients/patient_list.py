"""The patient list: a real Qt model that fetches lazily.

With no search text it pages through every patient in name order, ``PAGE_SIZE`` rows at a time,
using keyset paging (each page costs the same), so 100,000 patients open instantly and the
view asks for more as the user scrolls (``canFetchMore``/``fetchMore``). With search text it
shows the service's search results, exact matches first.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from clinicdesk.domain.dates import age_on, format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import PatientSummary
from clinicdesk.services.patients import PatientService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.table_model import AnyIndex, PagedTableModel

PAGE_SIZE = 50  # more than a screenful (the view asks for the next page as it scrolls)
SEARCH_LIMIT = 200
# Short headings, so that every column fits beside the record (the tooltips say them in full).
COLUMNS = ("Name", "Born", "Age", "NHS no.", "Phone", "Postcode", "Clinic no.")
COLUMN_TIPS = ("", "Date of birth", "Age in years", "NHS number", "", "", "Clinic patient number")
_DISPLAY = Qt.ItemDataRole.DisplayRole.value
_TOOLTIP = Qt.ItemDataRole.ToolTipRole.value
_FOREGROUND = Qt.ItemDataRole.ForegroundRole.value
_USER = Qt.ItemDataRole.UserRole.value
_ROLES_ANSWERED = frozenset({_DISPLAY, _TOOLTIP, _FOREGROUND, _USER})


class PatientListModel(PagedTableModel[PatientSummary]):
    COLUMNS = COLUMNS
    PAGE_ROWS = PAGE_SIZE

    def __init__(
        self, patients: PatientService, user: CurrentUser, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._patients = patients
        self._user = user
        self._query = ""
        self._include_archived = False
        self._today = patients.today()
        self.reload()

    # -- what is shown --------------------------------------------------------------------

    @property
    def query(self) -> str:
        return self._query

    def set_query(self, text: str) -> None:
        self._query = text.strip()
        self.reload()

    def set_include_archived(self, include: bool) -> None:
        self._include_archived = include
        self.reload()

    def set_user(self, user: CurrentUser) -> None:
        """Start over as another user (signed in at the lock screen): every live patient."""
        self._user = user
        self._query = ""
        self._include_archived = False
        self.reload()

    def reload(self) -> None:
        self.beginResetModel()
        self._today = self._patients.today()
        if self._query:
            self._rows = self._patients.search(
                self._user, self._query, limit=SEARCH_LIMIT, include_archived=self._include_archived
            )
            self._exhausted = True
        else:
            self._rows = self._patients.list_page(
                self._user, None, PAGE_SIZE, include_archived=self._include_archived
            )
            self._exhausted = len(self._rows) < PAGE_SIZE
        self.endResetModel()

    def summary_at(self, row: int) -> PatientSummary | None:
        return self.row_at(row)

    def row_of(self, patient_id: str) -> int:
        for row, summary in enumerate(self._rows):
            if summary.id == patient_id:
                return row
        return -1

    def replace_summary(self, summary: PatientSummary) -> None:
        """Show a saved change in place (services return what changed; no full re-query)."""
        row = self.row_of(summary.id)
        if row >= 0:
            self._rows[row] = summary
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    # -- lazy fetching --------------------------------------------------------------------

    def next_page(self, last: PatientSummary) -> list[PatientSummary]:
        return self._patients.list_page(
            self._user,
            (last.last_name, last.first_name, last.id),
            PAGE_SIZE,
            include_archived=self._include_archived,
        )

    # -- QAbstractTableModel --------------------------------------------------------------

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == _TOOLTIP
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMN_TIPS)
        ):
            return COLUMN_TIPS[section] or None
        return super().headerData(section, orientation, role)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        # The view asks for a dozen roles of every cell it paints: those the list never
        # answers go back at once, compared as plain numbers (no enum looked up per call).
        if role not in _ROLES_ANSWERED:
            return None
        row = index.row()
        if not 0 <= row < len(self._rows) or not index.isValid():
            return None
        summary = self._rows[row]
        if role == _DISPLAY:
            return self._display(summary, index.column())
        if role == _TOOLTIP and summary.archived:
            return "Archived record"
        if role == _FOREGROUND and summary.archived:
            return QColor("gray")
        if role == _USER:
            return summary.id
        return None

    def _display(self, summary: PatientSummary, column: int) -> str | None:
        if column == 0:
            name = f"{summary.last_name.upper()}, {summary.first_name}"
            if summary.preferred_name:
                name += f" ({summary.preferred_name})"
            # First, so that a long name cut short at the column's edge keeps the marker.
            return ("[archived] " if summary.archived else "") + name
        if column == 1:
            return format_uk(summary.date_of_birth)
        if column == 2:
            return str(age_on(summary.date_of_birth, self._today))
        if column == 3:
            return format_nhs_number(summary.nhs_number)
        if column == 4:
            return summary.phone
        if column == 5:
            return summary.postcode
        if column == 6:
            return summary.patient_number
        return None
