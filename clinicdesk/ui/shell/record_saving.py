"""Saving the open record: a new patient (asking first about a possible duplicate), changed
demographics and medical history; the messages at the fields when the services refuse, and the
choice offered when someone else saved the record meanwhile. ``RecordSavingWindow`` is the
layer of ``MainWindow`` that does it; what it needs from the rest of the window is declared
here and made by ``MainWindow``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.patient import Patient, PatientDetails, PatientSummary
from clinicdesk.errors import ConcurrentEdit, DuplicatePatient, UserError, ValidationError
from clinicdesk.ui.patients.patient_list import PatientListModel
from clinicdesk.ui.shell.record_tabs import RecordTabsWindow
from clinicdesk.ui.widgets.errors import show_user_error

# Imported when a save first needs them (the record's forms are made on first need too).
if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit

    from clinicdesk.domain.medical import MedicalHistory
    from clinicdesk.ui.patients.duplicate_patient import DuplicateChoice, DuplicatePatientDialog


def field_labels() -> dict[str, str]:
    """The demographics form's labels by field name, for the side-by-side of two versions."""
    from clinicdesk.ui.patients.patient_form import GROUPS

    return {name: (label or "Address line 2") for _, specs in GROUPS for name, label, _, _ in specs}


class RecordSavingWindow(RecordTabsWindow):
    """Saving the record (see the module docstring)."""

    model: PatientListModel
    search_box: QLineEdit
    history: MedicalHistory | None
    duplicate_dialog: DuplicatePatientDialog | None
    _demographics_dirty: bool
    _medical_dirty: bool
    _version_override: int | None

    # Made by MainWindow.
    def open_patient(self, patient_id: str) -> None:
        raise NotImplementedError

    def run_search(self) -> None:
        raise NotImplementedError

    def _set_clean(self) -> None:
        raise NotImplementedError

    def _update_result_label(self) -> None:
        raise NotImplementedError

    def save(self) -> bool:
        """Save what changed; True when everything on screen is now stored."""
        if self.creating:
            return self._save_new()
        if self.patient is None:
            return True
        ok = True
        if self._demographics_dirty:
            ok = self._save_demographics()
        if ok and self._medical_dirty:
            ok = self._save_medical()
        return ok

    def _save_new(self, *, duplicate_reason: str = "") -> bool:
        from clinicdesk.ui.patients.duplicate_patient import DuplicateChoice

        raw = self.demographics.raw()
        try:
            patient = self.services.patients.register(
                self.user, raw, duplicate_reason=duplicate_reason
            )
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except DuplicatePatient as exc:
            choice, reason = self._ask_about_duplicate(exc, registering=True)
            if choice is DuplicateChoice.GO_AHEAD:
                return self._save_new(duplicate_reason=reason)
            if choice is DuplicateChoice.OPEN_EXISTING:
                self._set_clean()
                self.creating = False
                self.open_patient(exc.existing[0])
                return True
            return False  # the form stays as typed
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.demographics.show_errors({})
        self.statusBar().showMessage(f"Registered {patient.display_name}.", 5000)
        self._set_clean()
        self.creating = False
        self.model.reload()
        if self.model.row_of(patient.id) < 0:
            # Not on the loaded page of the list: search for the new patient so the list
            # shows (and selects) the record just made.
            self.search_box.setText(f"{patient.details.first_name} {patient.details.last_name}")
            self.run_search()
        self._update_result_label()
        self.open_patient(patient.id)
        return True

    def _ask_about_duplicate(
        self, exc: DuplicatePatient, *, registering: bool
    ) -> tuple[DuplicateChoice, str]:
        """Another live patient has the NHS number: open theirs, go ahead with a written
        reason, or go back to the form as typed."""
        from clinicdesk.ui.patients.duplicate_patient import DuplicatePatientDialog

        dialog = DuplicatePatientDialog(exc, registering=registering, parent=self)
        self.duplicate_dialog = dialog
        dialog.exec()
        self.duplicate_dialog = None
        dialog.deleteLater()
        return dialog.choice, dialog.reason_text()

    def _save_demographics(self, *, duplicate_reason: str = "") -> bool:
        from clinicdesk.ui.patients.duplicate_patient import DuplicateChoice

        assert self.patient is not None
        version = self._version_override or self.patient.version
        try:
            patient = self.services.patients.update(
                self.user,
                self.patient.id,
                version,
                self.demographics.raw(),
                duplicate_reason=duplicate_reason,
            )
        except ValidationError as exc:
            self._show_validation(exc)
            return False
        except DuplicatePatient as exc:
            choice, reason = self._ask_about_duplicate(exc, registering=False)
            if choice is DuplicateChoice.GO_AHEAD:
                return self._save_demographics(duplicate_reason=reason)
            return False  # the edit stays on screen, unsaved
        except ConcurrentEdit as exc:
            self._resolve_concurrent_edit(exc)
            return False
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.patient = patient
        self._version_override = None
        self._demographics_dirty = False
        self.demographics.show_errors({})
        today = self.services.patients.today()
        self.header.show_patient(
            patient, patient.age(today), self.services.patients.banner(self.user, patient.id)
        )
        self._name_patient_in_forms(patient)
        self.model.replace_summary(_summary_of(patient))
        self.statusBar().showMessage("Saved.", 4000)
        self._update_actions()
        return True

    def _save_medical(self) -> bool:
        assert self.patient is not None
        today = self.services.patients.today()
        try:
            history = self.medical.collect(today)
            saved = self.services.patients.save_medical_history(self.user, self.patient.id, history)
        except ValidationError as exc:
            self.medical.show_errors(exc.errors)
            self.tabs.setCurrentWidget(self.medical)
            self.statusBar().showMessage(
                "Not saved: correct the medical history entries marked in red.", 8000
            )
            return False
        except ConcurrentEdit as exc:
            from PySide6.QtWidgets import QMessageBox

            from clinicdesk.domain.medical import MedicalHistory

            theirs = exc.theirs
            assert isinstance(theirs, MedicalHistory)
            answer = QMessageBox.question(
                self,
                "Someone else saved this medical history",
                exc.message + "\n\nYes: show the saved version (your changes are dropped).\n"
                "No: keep your changes on screen; saving again replaces the other version.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self._medical_dirty = False
                self.medical.load(theirs, today)
                self._update_actions()
            else:
                self.medical.adopt_version(theirs.version)
            return False
        except UserError as exc:
            show_user_error(self, exc)
            return False
        self.history = saved
        self.medical.load(saved, today)
        self._medical_dirty = False
        self.header.set_banner(self.services.patients.banner(self.user, self.patient.id))
        self.statusBar().showMessage("Medical history saved.", 4000)
        self._update_actions()
        return True

    def _show_validation(self, exc: ValidationError) -> None:
        if "duplicate_reason" in exc.errors:  # not a field of the form: the dialog's reason
            show_user_error(self, exc)
            return
        self.demographics.show_errors(exc.errors)
        self.tabs.setCurrentWidget(self.demographics)
        self.statusBar().showMessage("Not saved: correct the fields marked in red.", 8000)

    def _resolve_concurrent_edit(self, exc: ConcurrentEdit) -> None:
        from clinicdesk.ui.widgets.concurrent_edit import ConcurrentEditDialog, compare_rows

        theirs = exc.theirs
        assert isinstance(theirs, Patient)
        mine_form = self.demographics.raw()
        theirs_form = _display_form(theirs.details)
        editor = self.services.clinic.repo.user_by_id(theirs.updated_by)
        who = editor.display_name if editor else "another user"
        dialog = ConcurrentEditDialog(
            exc.message,
            compare_rows(field_labels(), _display_raw(mine_form), theirs_form),
            who,
            self,
        )
        self.concurrent_dialog = dialog
        dialog.exec()
        if dialog.choice == ConcurrentEditDialog.KEEP_MINE:
            # The user has seen the other version; a further Save replaces it knowingly.
            self._version_override = theirs.version
            self.statusBar().showMessage(
                "Your changes are still on screen. Press Save again to replace the other version.",
                10000,
            )
        elif dialog.choice == ConcurrentEditDialog.USE_SAVED:
            self._demographics_dirty = False
            self.open_patient(theirs.id)
        else:
            # Closed without choosing (Escape, or the idle lock): nothing is lost or replaced;
            # the edits stay on screen and the next Save shows both versions again.
            self.statusBar().showMessage("Not saved: someone else changed this record.", 10000)


def _summary_of(patient: Patient) -> PatientSummary:
    d = patient.details
    return PatientSummary(
        patient.id,
        d.first_name,
        d.last_name,
        d.preferred_name,
        d.date_of_birth,
        d.sex,
        d.nhs_number,
        d.phone,
        d.postcode,
        patient.archived,
        patient.patient_number,
        d.interpreter_language,
    )


def _display_form(details: PatientDetails) -> dict[str, str]:
    form = details.as_form()
    form["nhs_number"] = format_nhs_number(details.nhs_number)
    form["sex"] = details.sex.label
    form.pop("home_site_id", None)
    return form


def _display_raw(raw: dict[str, str]) -> dict[str, str]:
    shown = dict(raw)
    shown.pop("home_site_id", None)
    return shown
