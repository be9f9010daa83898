"""What the care list windows share (Clinic > Follow-ups due, Clinic > Find lot): rows that each
belong to a patient, and the chosen row's patient opened in the main window."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QWidget

from clinicdesk.services.clinical import ClinicalService
from clinicdesk.services.session import CurrentUser


class PatientRowsDialog(QDialog):
    """A list window over ``service`` as ``user``; ``open_patient`` opens a patient's record.
    A subclass says which patient the chosen row belongs to (``selected_patient_id``)."""

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

    def selected_patient_id(self) -> str | None:
        raise NotImplementedError

    def open_selected_patient(self) -> None:
        patient_id = self.selected_patient_id()
        if patient_id is not None:
            self._open_patient(patient_id)
