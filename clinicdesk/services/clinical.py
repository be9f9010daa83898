"""Clinical use cases: consultations, treatments (eligibility check, override, follow-ups),
adverse events and the clinical timeline. ``ClinicalService`` also offers the follow-up list
and booking (``services.follow_ups``) and the lot look-up (``services.lots``), by inheritance.

Every call takes the acting user and checks the role first (DESIGN.md "Security model":
consultations, treatments and adverse events are the clinician's, which an administrator may
view and reception may not; follow-ups are everyone's). Each mutation and each view of records
writes one audit entry in the same transaction as the change; an eligibility override writes a
second entry, ``override``, with the blocking reasons and the clinician's reason. Updates are
optimistic: a stale version raises ``ConcurrentEdit`` carrying both versions.

Recording a treatment creates its follow-ups (CLINICAL.md schedule) in the same transaction;
changing a treatment's date moves the follow-ups that have not been attended. The eligibility
check covers red flags, labs, who took consent, and (``services.consents``) a signed procedure
consent in force and the cooling-off period from the consent discussion.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Generic, Protocol, TypeVar

from clinicdesk.domain.clinical import (
    AdverseEvent,
    AdverseEventDetails,
    Consultation,
    ConsultationDetails,
    EligibilityBlocked,
    Raw,
    Treatment,
    TreatmentDetails,
    eligibility_blockers,
    validate_adverse_event,
    validate_consultation,
    validate_override_reason,
    validate_treatment,
)
from clinicdesk.domain.dates import BEFORE_BIRTH
from clinicdesk.domain.follow_ups import FollowUp
from clinicdesk.domain.ids import PatientId, UserId
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.record_info import changed_fields
from clinicdesk.domain.roles import Permission, Role
from clinicdesk.errors import ConcurrentEdit, NotFound, ValidationError
from clinicdesk.services.consents import treatment_consent_blockers
from clinicdesk.services.follow_ups import FollowUpUseCases
from clinicdesk.services.lots import LotLookup
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.services.timeline import (
    TimelineItem,
    TimelineKind,
    assessment_title,
    clinical_timeline,
)
from clinicdesk.storage import audit
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.clinical import ClinicalRepository, DueFollowUp, LotMatch
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository
from clinicdesk.storage.records import Actor

Today = Callable[[], date]

__all__ = [
    "ClinicalService",
    "ClinicianChoice",
    "DueFollowUp",
    "EligibilityBlocked",
    "LotMatch",
    "TimelineItem",
    "TimelineKind",
    "TreatmentSaved",
    "assessment_title",
]


@dataclass(frozen=True)
class ClinicianChoice:
    """A clinician as the forms list them (treating clinician, who took consent)."""

    id: UserId
    name: str
    registration_number: str
    active: bool


@dataclass(frozen=True)
class TreatmentSaved:
    """What saving a treatment changed: the treatment and its follow-ups."""

    treatment: Treatment
    follow_ups: list[FollowUp]


class _PatientRecord(Protocol):
    @property
    def patient_id(self) -> str: ...


_Record = TypeVar("_Record", bound=_PatientRecord)
_T = TypeVar("_T")
_Details = ConsultationDetails | TreatmentDetails | AdverseEventDetails
_D = TypeVar("_D", bound=_Details)


class _StoredRecord(_PatientRecord, Protocol):
    @property
    def details(self) -> _Details: ...


_R = TypeVar("_R", bound=_StoredRecord)


@dataclass(frozen=True)
class _Kind(Generic[_R, _D]):
    """How the shared create and update steps reach one kind of clinical record."""

    entity: str  # in the audit trail and permission checks
    noun: str  # in the concurrent-edit message
    check: Callable[[Patient, Raw], _D]  # the form, validated against the patient and clinic
    insert: Callable[[PatientId, _D, Actor], str]
    update: Callable[[str, int, _D, Actor], bool]  # False: the version was stale
    must: Callable[[str], _R]


@dataclass(frozen=True)
class _Steps:
    """A kind's own steps inside the save's transaction: after the save (returning more for
    the audit entry) and after the audit entry."""

    after_save: Callable[[str], Mapping[str, object]] = lambda record_id: {}
    after_audit: Callable[[str], None] = lambda record_id: None


# Run after the form is checked and before the save (the stored record, when changing one);
# may refuse the save by raising.
_OwnSteps = Callable[[Patient, _D, _R | None], _Steps]


def _no_steps(patient: Patient, details: object, current: object) -> _Steps:
    return _Steps()


class ClinicalService(FollowUpUseCases, LotLookup):
    """Consultations, treatments and adverse events, their timeline and the clinicians to
    choose from; follow-ups (``services.follow_ups``) and the lot look-up (``services.lots``)
    are inherited."""

    def __init__(self, db: Database, today: Today = date.today) -> None:
        self.db = db
        self.repo = ClinicalRepository(db)
        self.assessments = AssessmentRepository(db)
        self.patients = PatientRepository(db)
        self.clinic = ClinicRepository(db)
        self.today = today
        self._consultations = _Kind(
            "consultation",
            "consultation",
            self._checked_consultation,
            self.repo.insert_consultation,
            self.repo.update_consultation,
            self._must_consultation,
        )
        self._treatments = _Kind(
            "treatment",
            "treatment record",
            self._checked_treatment,
            self.repo.insert_treatment,
            self.repo.update_treatment,
            self._must_treatment,
        )
        self._events = _Kind(
            "adverse_event",
            "adverse event",
            self._checked_event,
            self.repo.insert_adverse_event,
            self.repo.update_adverse_event,
            self._must_event,
        )

    # -- helpers ----------------------------------------------------------------------------

    def _patient(self, patient_id: str) -> Patient:
        return existing_patient(self.patients, patient_id)

    def _check_people_and_place(
        self, errors: dict[str, str], site_id: str, clinicians: dict[str, str]
    ) -> None:
        if not self.clinic.site_exists(site_id):
            errors.setdefault("site_id", "is not one of this clinic's sites")
        for key, user_id in clinicians.items():
            row = self.clinic.user_by_id(user_id)
            if row is None or not row.active or row.role != Role.CLINICIAN.value:
                errors.setdefault(key, "must be one of the clinic's clinicians")

    @staticmethod
    def _not_before_birth(
        errors: dict[str, str], patient: Patient, dates: dict[str, date | None]
    ) -> None:
        for key, value in dates.items():
            if value is not None and value < patient.details.date_of_birth:
                errors.setdefault(key, BEFORE_BIRTH)

    def _view(self, user: CurrentUser, entity: str, entity_id: str, patient_id: str) -> None:
        audit.record(self.db, user.actor, "view", entity, entity_id, {"patient": patient_id})

    def _view_one(
        self, user: CurrentUser, entity: str, record_id: str, must: Callable[[str], _Record]
    ) -> _Record:
        """One clinical record, for whoever may see clinical records; audited as a view."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=entity, entity_id=record_id)
        record = must(record_id)
        self._view(user, entity, record_id, record.patient_id)
        return record

    def _view_all(
        self, user: CurrentUser, entity: str, patient_id: str, fetch: Callable[[str], list[_T]]
    ) -> list[_T]:
        """A patient's records of one kind (``entity`` is the plural); audited as one view."""
        require(
            self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=entity, entity_id=patient_id
        )
        self._patient(patient_id)
        self._view(user, entity, patient_id, patient_id)
        return fetch(patient_id)

    def _create(
        self,
        user: CurrentUser,
        kind: _Kind[_R, _D],
        patient_id: str,
        raw: Raw,
        steps: _OwnSteps[_D, _R] = _no_steps,
    ) -> _R:
        """Check the permission and the form, store a new record, audit its creation."""
        require(
            self.db,
            user,
            Permission.EDIT_CLINICAL_RECORDS,
            entity=kind.entity,
            entity_id=patient_id,
        )
        with write_transaction(self.db):
            patient = self._patient(patient_id)
            details = kind.check(patient, raw)
            own = steps(patient, details, None)
            new_id = kind.insert(patient.id, details, user.actor)
            detail = {"patient": patient_id, **own.after_save(new_id)}
            audit.append(self.db, user.actor, "create", kind.entity, new_id, detail)
            own.after_audit(new_id)
        return kind.must(new_id)

    def _update(
        self,
        user: CurrentUser,
        kind: _Kind[_R, _D],
        record_id: str,
        expected_version: int,
        raw: Raw,
        steps: _OwnSteps[_D, _R] = _no_steps,
    ) -> _R:
        """Check the permission, load the record, check the form, save it if nobody else has
        since (``ConcurrentEdit`` otherwise), audit the fields that changed."""
        require(
            self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=kind.entity, entity_id=record_id
        )
        with write_transaction(self.db):
            current = kind.must(record_id)
            patient = self._patient(current.patient_id)
            details = kind.check(patient, raw)
            own = steps(patient, details, current)
            if not kind.update(record_id, expected_version, details, user.actor):
                raise ConcurrentEdit(kind.noun, details, current)
            detail = {
                "patient": current.patient_id,
                "fields": changed_fields(current.details, details),
                **own.after_save(record_id),
            }
            audit.append(self.db, user.actor, "update", kind.entity, record_id, detail)
            own.after_audit(record_id)
        return kind.must(record_id)

    def clinicians(self, user: CurrentUser) -> list[ClinicianChoice]:
        """The clinic's clinicians, active and disabled (an older record may name one who has
        left), by name. For whoever may see clinical records: listing user accounts needs
        ``MANAGE_CLINIC``, but a clinician filling in a form must pick a colleague."""
        require(self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity="clinicians")
        found = [
            ClinicianChoice(row.id, row.display_name, row.registration_number, row.active)
            for row in self.clinic.users()
            if row.role == Role.CLINICIAN.value
        ]
        return sorted(found, key=lambda c: (c.name.casefold(), c.id))

    # -- consultations ----------------------------------------------------------------------

    def _checked_consultation(self, patient: Patient, raw: Raw) -> ConsultationDetails:
        details = validate_consultation(raw, today=self.today())
        errors: dict[str, str] = {}
        self._check_people_and_place(
            errors, details.site_id, {"clinician_id": details.clinician_id}
        )
        self._not_before_birth(
            errors,
            patient,
            {
                "consulted_on": details.consulted_on,
                "discussed_on": details.discussed_on,
                "decided_on": details.decided_on,
            },
        )
        if errors:
            raise ValidationError(errors)
        return details

    def add_consultation(self, user: CurrentUser, patient_id: str, raw: Raw) -> Consultation:
        return self._create(user, self._consultations, patient_id, raw)

    def update_consultation(
        self, user: CurrentUser, consultation_id: str, expected_version: int, raw: Raw
    ) -> Consultation:
        return self._update(user, self._consultations, consultation_id, expected_version, raw)

    def consultation(self, user: CurrentUser, consultation_id: str) -> Consultation:
        return self._view_one(user, "consultation", consultation_id, self._must_consultation)

    def consultations(self, user: CurrentUser, patient_id: str) -> list[Consultation]:
        return self._view_all(user, "consultations", patient_id, self.repo.consultations)

    def _must_consultation(self, consultation_id: str) -> Consultation:
        found = self.repo.consultation(consultation_id)
        if found is None:
            raise NotFound("That consultation does not exist; it may have been removed.")
        return found

    # -- treatments -------------------------------------------------------------------------

    def eligibility(
        self,
        user: CurrentUser,
        patient_id: str,
        treated_on: date,
        *,
        consent_taken_by_treating_clinician: bool = True,
    ) -> list[str]:
        """What would block a treatment on ``treated_on`` (empty: eligible). Shown by the form
        before saving; ``record_treatment`` runs the same check."""
        require(
            self.db,
            user,
            Permission.EDIT_CLINICAL_RECORDS,
            entity="treatment",
            entity_id=patient_id,
        )
        self._patient(patient_id)
        return self._blockers(patient_id, treated_on, consent_taken_by_treating_clinician)

    def _blockers(self, patient_id: str, treated_on: date, same_clinician: bool) -> list[str]:
        consent: list[str] = []
        if not same_clinician:
            consent.append(
                "Consent was not taken by the treating clinician (GMC guidance for cosmetic "
                "interventions)."
            )
        # A signed procedure consent in force, and the cooling-off period from the discussion.
        consent.extend(treatment_consent_blockers(self.db, patient_id, treated_on))
        history = self.patients.get_medical_history(patient_id)
        return eligibility_blockers(history, treated_on, consent_blockers=consent)

    def _checked_treatment(self, patient: Patient, raw: Raw) -> TreatmentDetails:
        details = validate_treatment(raw, today=self.today())
        errors: dict[str, str] = {}
        self._check_people_and_place(
            errors,
            details.site_id,
            {
                "clinician_id": details.clinician_id,
                "consent_taken_by_id": details.consent_taken_by_id,
            },
        )
        self._not_before_birth(errors, patient, {"treated_on": details.treated_on})
        if errors:
            raise ValidationError(errors)
        return details

    def _treatment_steps(
        self,
        user: CurrentUser,
        patient: Patient,
        details: TreatmentDetails,
        current: Treatment | None,
        override_reason: str,
    ) -> _Steps:
        """A treatment's own steps: the eligibility check before the save (raises
        ``EligibilityBlocked`` unless eligible or overridden; on a change, only when the date
        or who took consent changes: a typo fix does not re-open a decision already made),
        then its follow-ups (created, or moved with the date), then the override, if any."""
        blockers: list[str] = []
        reason = ""
        before = None if current is None else current.details
        if before is None or (
            details.treated_on,
            details.clinician_id,
            details.consent_taken_by_id,
        ) != (before.treated_on, before.clinician_id, before.consent_taken_by_id):
            reason = validate_override_reason(override_reason)
            blockers = self._blockers(
                patient.id, details.treated_on, details.consent_taken_by_id == details.clinician_id
            )
            if blockers and not reason:
                raise EligibilityBlocked(blockers)

        def follow_ups(treatment_id: str) -> dict[str, object]:
            if before is None:
                created = self.repo.create_follow_ups(
                    patient.id, treatment_id, details.treated_on, user.actor
                )
                return {"follow_ups": created}
            moved = 0
            if details.treated_on != before.treated_on:
                moved = self.repo.move_follow_ups(treatment_id, details.treated_on, user.actor)
            return {"follow_ups_moved": moved}

        def override(treatment_id: str) -> None:
            if blockers:
                self._record_override(user, patient, treatment_id, blockers, reason)

        return _Steps(after_save=follow_ups, after_audit=override)

    def _record_override(
        self,
        user: CurrentUser,
        patient: Patient,
        treatment_id: str,
        blockers: list[str],
        reason: str,
    ) -> None:
        override_id = self.repo.add_override(patient.id, treatment_id, blockers, reason, user.actor)
        audit.append(
            self.db,
            user.actor,
            "override",
            "treatment",
            treatment_id,
            {
                "patient": patient.id,
                "override": override_id,
                "blocking_reasons": blockers,
                "reason": reason,
            },
        )

    def record_treatment(
        self, user: CurrentUser, patient_id: str, raw: Raw, *, override_reason: str = ""
    ) -> TreatmentSaved:
        """Record a micrograft session and schedule its follow-ups.

        Raises ``EligibilityBlocked`` (nothing saved) when the check finds reasons and no
        ``override_reason`` was given; with one, the override is stored and audited."""
        saved = self._create(
            user,
            self._treatments,
            patient_id,
            raw,
            lambda patient, details, current: self._treatment_steps(
                user, patient, details, current, override_reason
            ),
        )
        return self._saved(saved.id)

    def update_treatment(
        self,
        user: CurrentUser,
        treatment_id: str,
        expected_version: int,
        raw: Raw,
        *,
        override_reason: str = "",
    ) -> TreatmentSaved:
        """Change a treatment record. The eligibility check runs again only when the date or
        who took consent changes (a typo fix does not re-open a decision already made); a new
        date moves the follow-ups that have not been attended."""
        self._update(
            user,
            self._treatments,
            treatment_id,
            expected_version,
            raw,
            lambda patient, details, current: self._treatment_steps(
                user, patient, details, current, override_reason
            ),
        )
        return self._saved(treatment_id)

    def treatment(self, user: CurrentUser, treatment_id: str) -> Treatment:
        return self._view_one(user, "treatment", treatment_id, self._must_treatment)

    def treatments(self, user: CurrentUser, patient_id: str) -> list[Treatment]:
        return self._view_all(user, "treatments", patient_id, self.repo.treatments)

    def _must_treatment(self, treatment_id: str) -> Treatment:
        found = self.repo.treatment(treatment_id)
        if found is None:
            raise NotFound("That treatment record does not exist; it may have been removed.")
        return found

    def _saved(self, treatment_id: str) -> TreatmentSaved:
        return TreatmentSaved(
            self._must_treatment(treatment_id), self.repo.follow_ups_of_treatment(treatment_id)
        )

    # -- adverse events ---------------------------------------------------------------------

    def _checked_event(self, patient: Patient, raw: Raw) -> AdverseEventDetails:
        details = validate_adverse_event(raw, today=self.today())
        treatment = self.repo.treatment(details.treatment_id)
        if treatment is None or treatment.patient_id != patient.id:
            raise ValidationError({"treatment_id": "is not one of this patient's treatments"})
        if details.onset_on < treatment.details.treated_on:
            raise ValidationError({"onset_on": "is before the treatment"})
        return details

    def add_adverse_event(self, user: CurrentUser, patient_id: str, raw: Raw) -> AdverseEvent:
        return self._create(
            user,
            self._events,
            patient_id,
            raw,
            lambda patient, details, current: _Steps(
                after_save=lambda _: {"treatment": details.treatment_id}
            ),
        )

    def update_adverse_event(
        self, user: CurrentUser, event_id: str, expected_version: int, raw: Raw
    ) -> AdverseEvent:
        return self._update(user, self._events, event_id, expected_version, raw)

    def adverse_event(self, user: CurrentUser, event_id: str) -> AdverseEvent:
        return self._view_one(user, "adverse_event", event_id, self._must_event)

    def adverse_events(self, user: CurrentUser, patient_id: str) -> list[AdverseEvent]:
        return self._view_all(user, "adverse_events", patient_id, self.repo.adverse_events)

    def _must_event(self, event_id: str) -> AdverseEvent:
        found = self.repo.adverse_event(event_id)
        if found is None:
            raise NotFound("That adverse event does not exist; it may have been removed.")
        return found

    # -- timeline ---------------------------------------------------------------------------

    def timeline(self, user: CurrentUser, patient_id: str) -> list[TimelineItem]:
        """Every consultation, treatment, assessment, adverse event and follow-up, newest
        first (one audited view)."""
        require(
            self.db,
            user,
            Permission.VIEW_CLINICAL_RECORDS,
            entity="clinical_timeline",
            entity_id=patient_id,
        )
        self._patient(patient_id)
        items = clinical_timeline(self.repo, self.assessments, patient_id)
        self._view(user, "clinical_timeline", patient_id, patient_id)
        return items
