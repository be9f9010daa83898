"""Clinic > Find lot: which patients were treated with a device kit or anaesthetic lot.

The answer to a field safety notice. The lot typed matches exactly (trimmed, any case; never a
prefix, so ``KIT-24-0012`` does not find ``KIT-24-00123``) in the kit lot or the anaesthetic
lot of a treatment (``ClinicalService.patients_for_lot``, audited as a search; clinicians and
administrators only). One row per treatment, the matching lot named and shown in bold. A row
opens the patient in the main window; Export CSV writes the rows shown for the notice's
paperwork (``write_lot_csv``: a plain function, tested without widgets).
"""

from __future__ import annotations

import csv
import os
import re
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.text import spreadsheet_safe
from clinicdesk.domain.words import plural
from clinicdesk.errors import UserError
from clinicdesk.services.clinical import ClinicalService, LotMatch
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.fields import close_buttons, plain_label
from clinicdesk.ui.widgets.styles import ERROR_STYLE
from clinicdesk.ui.widgets.table_model import (
    AnyIndex,
    ListTableModel,
    export_button,
    export_csv_as,
    list_table_view,
)

COLUMNS = (
    "Patient",
    "Date of birth",
    "Phone",
    "Treated on",
    "Kit",
    "Kit lot",
    "Anaesthetic",
    "Anaesthetic lot",
    "Matched",
)
COLUMN_WIDTHS = (170, 96, 120, 86, 130, 110, 220, 116)
KIT_LOT, ANAESTHETIC_LOT = COLUMNS.index("Kit lot"), COLUMNS.index("Anaesthetic lot")
CSV_COLUMNS = (
    "patient_id",
    "last_name",
    "first_name",
    "date_of_birth",
    "treatment_id",
    "treated_on",
    "kit_name",
    "kit_lot",
    "anaesthetic_name",
    "anaesthetic_lot",
    "matched",
)
LOT_MAX = 60


def matched_text(match: LotMatch) -> str:
    names = {"kit": "Kit lot", "anaesthetic": "Anaesthetic lot"}
    return " and ".join(names.get(part, part) for part in match.matched)


def write_lot_csv(
    path: Path,
    matches: Sequence[LotMatch],
    place: Callable[[Path, Path], object] = os.replace,
) -> int:
    """Write ``matches`` to ``path`` as CSV (UTF-8 with BOM, for spreadsheet programs); how
    many rows. Written under a temporary name and moved into place by ``place(temporary,
    path)`` (the export's audit entry renames it in the transaction that records it), so a
    failed write leaves no partial file and never replaces an earlier export with half of one,
    and a failed record leaves no file at all."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CSV_COLUMNS)
            for m in matches:
                writer.writerow(
                    [
                        spreadsheet_safe(str(m.patient_id)),
                        spreadsheet_safe(m.last_name),
                        spreadsheet_safe(m.first_name),
                        m.date_of_birth.isoformat(),
                        spreadsheet_safe(m.treatment_id),
                        m.treated_on.isoformat(),
                        spreadsheet_safe(m.kit_name),
                        spreadsheet_safe(m.kit_lot),
                        spreadsheet_safe(m.anaesthetic_name),
                        spreadsheet_safe(m.anaesthetic_lot),
                        " ".join(m.matched),
                    ]
                )
            handle.flush()
            os.fsync(handle.fileno())
        place(temporary, path)
    except OSError as exc:
        raise UserError(f"The list could not be written to {path}: {exc.strerror or exc}.") from exc
    finally:
        temporary.unlink(missing_ok=True)
    return len(matches)


class LotMatchesModel(ListTableModel[LotMatch]):
    """The treatments that used the lot looked up, as the service ordered them."""

    COLUMNS = COLUMNS

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        match = self.row_for(index)
        if match is None:
            return None
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            values = (
                f"{match.last_name.upper()}, {match.first_name}",
                format_uk(match.date_of_birth),
                match.phone,
                format_uk(match.treated_on),
                match.kit_name,
                match.kit_lot,
                match.anaesthetic_name,
                match.anaesthetic_lot,
                matched_text(match),
            )
            return values[column]
        if role == Qt.ItemDataRole.FontRole and (
            (column == KIT_LOT and "kit" in match.matched)
            or (column == ANAESTHETIC_LOT and "anaesthetic" in match.matched)
        ):
            font = QFont()
            font.setBold(True)
            return font
        return None


class LotFinderDialog(QDialog):
    def __init__(
        self,
        service: ClinicalService,
        user: CurrentUser,
        open_patient: Callable[[str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.user = user
        self._open_patient = open_patient
        self.lot = ""  # the lot the rows shown were found for
        self.setObjectName("lot_finder")
        self.setWindowTitle("Find patients by lot number")
        layout = QVBoxLayout(self)

        intro = QLabel(
            "Type a device kit or anaesthetic lot number exactly as on the label (for a field "
            "safety notice). Upper and lower case are the same; part of a lot finds nothing."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        top = QHBoxLayout()
        self.lot_edit = QLineEdit()
        self.lot_edit.setObjectName("lot_number")
        self.lot_edit.setPlaceholderText("Lot number, for example KIT-24-0012")
        self.lot_edit.setMaxLength(LOT_MAX)
        self.lot_edit.setClearButtonEnabled(True)
        lot_label = QLabel("&Lot")
        lot_label.setBuddy(self.lot_edit)
        self.find_button = QPushButton("&Find")
        self.find_button.setObjectName("lot_find")
        self.find_button.setDefault(True)
        top.addWidget(lot_label)
        top.addWidget(self.lot_edit, 1)
        top.addWidget(self.find_button)
        layout.addLayout(top)
        self.error_label = QLabel()
        self.error_label.setObjectName("lot_error")
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setVisible(False)
        layout.addWidget(self.error_label)

        self.model = LotMatchesModel(self)
        self.table = list_table_view(self.model, "lot_table", COLUMN_WIDTHS, single_selection=True)
        layout.addWidget(self.table, 1)
        self.count_label = plain_label("lot_count")
        layout.addWidget(self.count_label)

        self.open_button = QPushButton("&Open patient")
        self.open_button.setObjectName("lot_open_patient")
        self.export_button = export_button("lot_export", "Save the treatments listed as a CSV file")
        layout.addWidget(close_buttons(self, self.open_button, self.export_button))

        self.find_button.clicked.connect(self._find_clicked)
        self.lot_edit.returnPressed.connect(self._find_clicked)
        self.table.activated.connect(self._row_activated)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.open_button.clicked.connect(self._open_clicked)
        self.export_button.clicked.connect(self._export_clicked)
        self.resize(1080, 480)
        self._update()
        self.lot_edit.setFocus()

    def look_up(self, lot: str | None = None) -> list[LotMatch]:
        """Look up ``lot`` (default: the one typed) and show the treatments that used it."""
        if lot is not None:
            self.lot_edit.setText(lot)
        typed = self.lot_edit.text().strip()
        if not typed:
            self.error_label.setText("Type the lot number to look for.")
            self.error_label.setVisible(True)
            return []
        self.error_label.setVisible(False)
        try:
            matches = self.service.patients_for_lot(self.user, typed)
        except UserError as exc:
            show_user_error(self, exc)
            return []
        self.lot = typed
        self.model.set_rows(matches)
        self.count_label.setText(self._summary(typed, matches))
        self._update()
        return matches

    @staticmethod
    def _summary(lot: str, matches: Sequence[LotMatch]) -> str:
        if not matches:
            return f"No treatment used lot {lot}."
        patients = len({m.patient_id for m in matches})
        treatments = len(matches)
        return (
            f"{plural(patients, 'patient')} "
            f"({plural(treatments, 'treatment')}) treated with lot {lot}."
        )

    def selected(self) -> LotMatch | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _update(self) -> None:
        self.open_button.setEnabled(self.selected() is not None)
        self.export_button.setEnabled(self.model.rowCount() > 0)

    def export_csv(self, path: Path) -> int:
        """Write the list shown to ``path``; the export is audited (it names patients)."""
        rows = self.model.rows
        patients = len({m.patient_id for m in rows})

        def place(staged: Path, target: Path) -> None:
            self.service.lot_exported(
                self.user, self.lot, len(rows), patients, staged=staged, path=target
            )

        written = write_lot_csv(path, rows, place)
        self.count_label.setText(f"Exported {plural(written, 'treatment')} to {path.name}.")
        return written

    def default_export_name(self) -> str:
        lot = re.sub(r"[^A-Za-z0-9._-]+", "_", self.lot).strip("._") or "lot"
        return f"lot-{lot}-{date.today():%Y-%m-%d}.csv"

    # -- slots (return None: see MainWindow._build_actions) ---------------------------------

    def _find_clicked(self) -> None:
        self.look_up()

    def _selection_changed(self, *_args: object) -> None:
        self._update()

    def _row_activated(self, index: QModelIndex) -> None:
        match = self.model.row_at(index.row())
        if match is not None:
            self._open_patient(match.patient_id)

    def _open_clicked(self) -> None:
        match = self.selected()
        if match is not None:
            self._open_patient(match.patient_id)

    def _export_clicked(self) -> None:
        default = Path.home() / self.default_export_name()
        export_csv_as(self, "Export patients treated with this lot", default, self.export_csv)
