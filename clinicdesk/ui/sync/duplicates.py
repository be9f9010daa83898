"""Duplicate patients, offered for merging after a sync (and from Clinic > Duplicate patients):
the same person registered at two sites. Each pair is listed with why it looks like one person;
merging keeps the chosen record and moves everything of the other onto it
(``services.patient_merge``: nothing is deleted, and it is audited and synced)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.patient import Patient
from clinicdesk.errors import UserError
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.patient_merge import Duplicate, PatientMergeService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error

HEADERS = ("First record", "Second record", "Why")


def describe(patient: Patient, sites: dict[str, str]) -> str:
    d = patient.details
    nhs = f", NHS {d.nhs_number}" if d.nhs_number else ""
    number = f", clinic no. {patient.patient_number}" if patient.patient_number else ""
    return (
        f"{patient.display_name}, born {format_uk(d.date_of_birth)}{nhs}{number} "
        f"(registered at {sites.get(patient.site_id, '?')})"
    )


class DuplicatesDialog(QDialog):
    def __init__(
        self,
        services: ClinicServices,
        user: CurrentUser,
        merged: Callable[[str], None],
        parent: QWidget | None = None,
        *,
        pairs: list[Duplicate] | None = None,
    ) -> None:
        """``merged(kept_id)`` is called after each merge (the window refreshes). ``pairs``:
        the duplicates already found (on a large clinic the look-up takes seconds: the
        window's sync has it done off the GUI thread); None looks them up now."""
        super().__init__(parent)
        self.setObjectName("duplicates_dialog")
        self.setWindowTitle("The same patient at two sites?")
        self.service = PatientMergeService(services)
        self.sites: dict[str, str] = {s.id: s.name for s in services.clinic.sites()}
        self.user = user
        self.merged = merged
        self.pairs: list[Duplicate] = []
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setObjectName("duplicates_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setObjectName("duplicates_table")
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        self.keep_first = QPushButton("Keep the &first, merge the second into it")
        self.keep_first.setObjectName("keep_first")
        self.keep_first.clicked.connect(lambda: self.merge(keep_first=True))
        self.keep_second = QPushButton("Keep the &second, merge the first into it")
        self.keep_second.setObjectName("keep_second")
        self.keep_second.clicked.connect(lambda: self.merge(keep_first=False))
        close = QPushButton("Not now")
        close.clicked.connect(self.reject)
        buttons.addWidget(self.keep_first)
        buttons.addWidget(self.keep_second)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout.addLayout(buttons)
        self.resize(900, 360)
        self.reload(pairs)

    def reload(self, pairs: list[Duplicate] | None = None) -> None:
        self.pairs = self.service.duplicates(self.user) if pairs is None else pairs
        self.table.setRowCount(len(self.pairs))
        for row, pair in enumerate(self.pairs):
            texts = (describe(pair.first, self.sites), describe(pair.second, self.sites))
            for col, text in enumerate((*texts, pair.reason)):
                self.table.setItem(row, col, QTableWidgetItem(text))
        count = len(self.pairs)
        self.summary.setText(
            "No patient is registered twice."
            if not count
            else f"{count} patient{'s look' if count != 1 else ' looks'} registered at two "
            "sites. Merging keeps every consultation, treatment, measurement, photo, consent, "
            "document and audit entry of both records; the other record is archived, not "
            "deleted. Check they are the same person first."
        )
        if count:
            self.table.selectRow(0)
        for button in (self.keep_first, self.keep_second):
            button.setEnabled(bool(count))

    def merge(self, *, keep_first: bool) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.pairs):
            return
        pair = self.pairs[row]
        kept, away = (pair.first, pair.second) if keep_first else (pair.second, pair.first)
        try:
            self.service.merge(self.user, kept.id, kept.version, away.id, away.version)
        except UserError as exc:
            show_user_error(self, exc)
        else:
            self.merged(kept.id)
        self.reload()
