"""Resolving a change sync parked: the value the clinician chose (one of the two, or one they
typed) is saved as a normal, audited edit through the record's own service, and the conflict
is marked resolved (``ConflictService.mark_resolved``) in the same transaction: if the save is
refused (a field the record's checks reject, a permission, someone's newer edit), nothing is
saved and the conflict stays open. Both happen as this user, and both sync like any other
change.

A patient's details (``PatientService.update``), consultations, treatments and adverse events
(``ClinicalService.update_*``), assessments and their regions (``AssessmentService.update``)
are saved here, each filled in as the record's own form would be (``conflict_fields``: dates
the UK way, coded values by their labels, clinicians and sites by name). A conflict on another
kind of record is changed in the tab ``conflict_fields.tab`` names; ``mark_resolved`` then
closes it. A delete (an archive) that met an edit elsewhere kept the edit: the clinician says
whether to archive now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clinicdesk.domain.assessments import Region, assessment_form, region_form
from clinicdesk.domain.clinical import (
    EligibilityBlocked,
    RawValue,
    adverse_event_form,
    consultation_form,
    treatment_form,
)
from clinicdesk.domain.dates import format_uk
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import NotFound, UserError, ValidationError
from clinicdesk.services.conflict_fields import (
    RECORD_FIELDS,
    Field,
    Kind,
    Names,
    noun,
    tab,
)
from clinicdesk.services.conflicts import ConflictService
from clinicdesk.services.context import ClinicServices
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage.database import write_transaction
from clinicdesk.storage.sync_state import SyncConflict, record_is_live, record_patient

NO_PATIENT = "(a clinic record, no patient)"
Chosen = dict[str, RawValue]  # form key -> the form's value


@dataclass(frozen=True)
class FieldChoice:
    """One conflicting field as the record's tab shows it."""

    column: str
    label: str
    hub: str
    incoming: str
    options: tuple[str, ...] = ()  # the form's list, to pick a value neither side has


@dataclass(frozen=True)
class ConflictView:
    """One parked conflict as the Conflicts screen shows it."""

    conflict: SyncConflict
    patient_name: str
    hub_by: str
    incoming_by: str
    record: str = ""  # what kind of record ("Treatment")
    fields: tuple[FieldChoice, ...] = ()
    editable: bool = False  # the values can be chosen and saved here
    hint: str = ""  # otherwise: where to change the record, then Mark resolved


def shown(value: Any) -> str:
    return "" if value is None else str(value)


def _plain_field(column: str) -> Field:
    """A column no form lists: a date-like one the UK way, anything else as it is."""
    dated = column.endswith(("_on", "_date")) or column == "date_of_birth"
    return Field(column, column.replace("_", " ").capitalize(), Kind.DATE if dated else Kind.TEXT)


def _shown_value(field: Field, stored: Any, names: Names) -> str:
    if field.column == "deleted_at":
        return "Archived" if stored else "Kept"
    try:
        return field.shown(field.form_value(stored), names)
    except (ValueError, TypeError):  # not what the column usually holds: as it is
        return shown(stored)


def _as_text(value: RawValue) -> str:
    """A form value for a form that takes text only (assessments, patients)."""
    if isinstance(value, bool):
        return "1" if value else ""
    if value is None:
        return ""
    return value if isinstance(value, str) else ",".join(value)


class ConflictResolution:
    def __init__(self, services: ClinicServices) -> None:
        self.services = services
        self.conflicts = ConflictService(services.db)
        # table -> (who may save it, how it is saved: user, row id, chosen form values)
        self.savers: dict[str, tuple[Permission, Callable[[CurrentUser, str, Chosen], None]]] = {
            "patients": (Permission.PATIENT_DEMOGRAPHICS, self._save_patient),
            "consultations": (Permission.EDIT_CLINICAL_RECORDS, self._save_consultation),
            "treatments": (Permission.EDIT_CLINICAL_RECORDS, self._save_treatment),
            "adverse_events": (Permission.EDIT_CLINICAL_RECORDS, self._save_adverse_event),
            "assessments": (Permission.EDIT_CLINICAL_RECORDS, self._save_assessment),
            "assessment_regions": (Permission.EDIT_CLINICAL_RECORDS, self._save_region),
        }

    # -- the list -------------------------------------------------------------------------

    def open_conflicts(self, user: CurrentUser) -> list[ConflictView]:
        users = self.services.clinic.repo.users()
        names: dict[str, str] = {u.id: u.display_name for u in users}
        clinicians = [u for u in users if u.role == Role.CLINICIAN.value]
        base = Names(
            {u.id: u.display_name for u in clinicians},
            [u.id for u in sorted(clinicians, key=lambda u: u.display_name.casefold()) if u.active],
            {s.id: s.name for s in self.services.clinic.sites()},
            {},
        )
        found = []
        for c in self.conflicts.conflicts(user):
            patient_id = c.patient_id or record_patient(self.services.db, c.table_name, c.row_id)
            patient = self.services.patients.repo.get(patient_id) if patient_id else None
            view_names = self._names(base, patient_id)
            found.append(
                ConflictView(
                    c,
                    patient.display_name if patient is not None else NO_PATIENT,
                    names.get(c.hub_updated_by, c.hub_updated_by),
                    names.get(c.incoming_updated_by, c.incoming_updated_by),
                    noun(c.table_name),
                    self._choices(c, view_names),
                    self._editable(user, c),
                    self._hint(user, c),
                )
            )
        return found

    def _names(self, base: Names, patient_id: str | None) -> Names:
        """``base`` with the patient's treatments, as an adverse event's form lists them."""
        if not patient_id:
            return base
        treatments = {
            t.id: f"Treatment of {format_uk(t.details.treated_on)}"
            for t in self.services.clinical.repo.treatments(patient_id)
        }
        return Names(base.clinicians, base.active_clinicians, base.sites, treatments)

    def _fields(self, c: SyncConflict) -> dict[str, Field]:
        fields = RECORD_FIELDS.get(c.table_name, {})
        if c.table_name != "assessment_regions":
            return fields
        found = self.services.assessments.repo.region_row(c.row_id)
        if found is None:
            return fields
        region = found[1]
        return {
            column: Field(f.column, f"{region.label}: {f.label}", f.kind, f.key, f.enum)
            for column, f in fields.items()
        }

    def _choices(self, c: SyncConflict, names: Names) -> tuple[FieldChoice, ...]:
        fields = self._fields(c)
        choices = []
        for column in c.columns or [""]:
            field = fields.get(column) or _plain_field(column)
            choices.append(
                FieldChoice(
                    column,
                    field.label if column else "",
                    _shown_value(field, c.hub_values.get(column), names),
                    _shown_value(field, c.incoming_values.get(column), names),
                    tuple(field.options(names)),
                )
            )
        return tuple(choices)

    def _saver_fits(self, c: SyncConflict) -> bool:
        """A service here saves the fields this conflict names."""
        fields = self._fields(c)
        return (
            c.kind == "edit"
            and c.table_name in self.savers
            and bool(c.columns)
            and all(column in fields for column in c.columns)
        )

    def _settled_here(self, c: SyncConflict) -> bool:
        return self._saver_fits(c) and record_is_live(self.services.db, c.table_name, c.row_id)

    def _editable(self, user: CurrentUser, c: SyncConflict) -> bool:
        return self._settled_here(c) and user.may(self.savers[c.table_name][0])

    def _hint(self, user: CurrentUser, c: SyncConflict) -> str:
        if c.kind == "delete":
            return ""
        if self._saver_fits(c) and not record_is_live(self.services.db, c.table_name, c.row_id):
            return (
                f"This {noun(c.table_name).lower()} was archived or removed here: there is "
                "nothing to change. Mark resolved."
            )
        if self._settled_here(c) and not self._editable(user, c):
            return (
                f"Your role ({user.role.label}) does not allow changing this record: ask a "
                "clinician to settle it here."
            )
        return f"Change it in {tab(c.table_name)}, then Mark resolved."

    # -- resolving ------------------------------------------------------------------------

    def save_values(self, user: CurrentUser, conflict_id: str, values: Mapping[str, str]) -> None:
        """Save ``values`` (column -> text as the record's tab shows it) to the record as
        ``user``'s edit and mark the conflict resolved, in one transaction. A value the
        record's checks refuse raises ``ValidationError`` naming the field as its tab does;
        nothing is saved and the conflict stays open."""
        require(
            self.services.db,
            user,
            Permission.RUN_SYNC,
            entity="sync_conflict",
            entity_id=conflict_id,
        )
        conflict = self._open(conflict_id)
        if not self._settled_here(conflict):
            raise UserError(self._hint(user, conflict))
        permission, save = self.savers[conflict.table_name]
        # Checked (and a refusal audited) before the transaction, which would undo the entry.
        require(
            self.services.db,
            user,
            permission,
            entity=conflict.table_name,
            entity_id=conflict.row_id,
        )
        fields = self._fields(conflict)
        patient_id = conflict.patient_id or record_patient(
            self.services.db, conflict.table_name, conflict.row_id
        )
        names = self._names(
            Names(
                {u.id: u.display_name for u in self.services.clinic.repo.users()},
                [],
                {s.id: s.name for s in self.services.clinic.sites()},
                {},
            ),
            patient_id,
        )
        chosen: Chosen = {}
        for column in conflict.columns:
            field = fields[column]
            value = field.typed(values.get(column, ""), names)
            if field.kind is Kind.FLAG and not isinstance(value, bool):
                raise ValidationError({field.label: "must be Yes or No"})
            chosen[field.form_key] = value
        try:
            with write_transaction(self.services.db):
                save(user, conflict.row_id, chosen)
                self.conflicts.mark_resolved(user, conflict_id)
        except ValidationError as exc:
            raise ValidationError(
                {_error_label(key, fields): message for key, message in exc.errors.items()}
            ) from None
        except EligibilityBlocked as exc:
            raise UserError(
                f"{exc.message} Change the treatment in the record's Timeline tab, where a "
                "reason to go ahead can be given, then choose Mark resolved here."
            ) from None

    def settle_delete(self, user: CurrentUser, conflict_id: str, *, archive: bool) -> None:
        """A delete that met an edit: the edit was kept; archive the record now, or keep it."""
        conflict = self._open(conflict_id)
        if archive:
            if conflict.table_name != "patients":
                raise UserError(
                    f"Archive this record in {tab(conflict.table_name)}, then choose Mark resolved."
                )
            current = self.services.patients.get(user, conflict.row_id)
            if not current.archived:
                self.services.patients.set_archived(user, current.id, current.version, True)
        self.conflicts.mark_resolved(user, conflict_id)

    def mark_resolved(self, user: CurrentUser, conflict_id: str) -> None:
        self.conflicts.mark_resolved(user, conflict_id)

    def _open(self, conflict_id: str) -> SyncConflict:
        conflict = self.conflicts.repo.conflict(conflict_id)
        if conflict is None or conflict.status != "open":
            raise UserError("This conflict was resolved meanwhile (perhaps at another site).")
        return conflict

    # -- each record's own save -----------------------------------------------------------

    def _save_patient(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        patients = self.services.patients
        current = patients.get(user, row_id)
        form = current.details.as_form() | {k: _as_text(v) for k, v in chosen.items()}
        patients.update(user, current.id, current.version, form)

    def _save_consultation(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        clinical = self.services.clinical
        current = clinical.consultation(user, row_id)
        form = consultation_form(current.details) | chosen
        clinical.update_consultation(user, row_id, current.version, form)

    def _save_treatment(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        clinical = self.services.clinical
        current = clinical.treatment(user, row_id)
        form = treatment_form(current.details) | chosen
        clinical.update_treatment(user, row_id, current.version, form)

    def _save_adverse_event(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        clinical = self.services.clinical
        current = clinical.adverse_event(user, row_id)
        form = adverse_event_form(current.details) | chosen
        clinical.update_adverse_event(user, row_id, current.version, form)

    def _save_assessment(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        assessments = self.services.assessments
        current = assessments.get(user, row_id)
        form = assessment_form(current.details) | {k: _as_text(v) for k, v in chosen.items()}
        regions = [region_form(m) for m in current.details.regions]
        assessments.update(user, row_id, current.version, form, regions)

    def _save_region(self, user: CurrentUser, row_id: str, chosen: Chosen) -> None:
        assessments = self.services.assessments
        found = assessments.repo.region_row(row_id)
        if found is None:
            raise NotFound("That region's measurements do not exist; they may have been removed.")
        current = assessments.get(user, found[0])
        regions = [region_form(m) for m in current.details.regions]
        if not any(r.get("id") == row_id for r in regions):
            raise UserError(
                f"{found[1].label} is no longer measured on this assessment: change it in the "
                "record's Measurements tab, then choose Mark resolved here."
            )
        regions = [
            r | {k: _as_text(v) for k, v in chosen.items()} if r.get("id") == row_id else r
            for r in regions
        ]
        form = assessment_form(current.details)
        assessments.update(user, found[0], current.version, form, regions)


def _error_label(key: str, fields: Mapping[str, Field]) -> str:
    """A field a save refused, named as the record's tab names it."""
    for field in fields.values():
        if key == field.form_key:
            return field.label
    if key.startswith("regions[") and "]." in key:
        region, _, measure = key[len("regions[") :].partition("].")
        for field in fields.values():
            if field.column == measure:
                try:
                    return f"{Region(region).label}: {field.label.split(': ')[-1]}"
                except ValueError:
                    return field.label
    return key.replace("_", " ").capitalize()
