"""The outcomes screen's exports: the pseudonymised CSV and the PDF audit report, each asked
for with a save dialog and audited by the service (the file is in place only when recorded)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtWidgets import QWidget

from clinicdesk.domain.outcomes import Summary
from clinicdesk.domain.words import plural
from clinicdesk.errors import UserError
from clinicdesk.services.outcomes import OutcomesService
from clinicdesk.services.session import CurrentUser
from clinicdesk.ui.widgets.chosen_file import ask_save_path, documents_folder
from clinicdesk.ui.widgets.errors import show_user_error
from clinicdesk.ui.widgets.table_model import export_csv_as


def export_csv(
    parent: QWidget, service: OutcomesService, user: CurrentUser, summary: Summary
) -> None:
    def write(path: Path) -> None:
        rows = service.export_csv(user, summary, path)
        _status(parent, f"Exported {plural(rows, 'row')} (no names) to {path.name}.")

    default = Path.home() / f"outcomes-{date.today():%Y-%m-%d}.csv"
    export_csv_as(parent, "Export the outcomes (pseudonymised)", default, write)


def export_pdf(
    parent: QWidget,
    service: OutcomesService,
    user: CurrentUser,
    summary: Summary,
    clinic_name: str = "",
    path: Path | None = None,
) -> None:
    if path is None:
        default = documents_folder() / f"outcomes-audit-{date.today():%Y-%m-%d}.pdf"
        path = ask_save_path(parent, "Save the outcomes audit report", default, ".pdf", "PDF files")
        if path is None:
            return
    try:
        service.export_pdf(user, summary, path, clinic_name)
    except UserError as exc:
        show_user_error(parent, exc)
        return
    _status(parent, f"Saved the audit report to {path.name}.")


def _status(parent: QWidget, text: str) -> None:
    label = getattr(parent, "status_label", None)
    if label is not None:
        label.setText(text)
