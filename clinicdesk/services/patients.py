"""Patient use cases: register, update, archive, view, search; medical history; classification.

Every call takes the acting user. Each mutation and each view of a record writes an audit entry
in the same transaction. Updates are optimistic: the caller passes the version it read, and if
someone saved in between, ``ConcurrentEdit`` carries both versions and nothing is overwritten.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING

from clinicdesk.domain.dates import BEFORE_BIRTH, format_uk
from clinicdesk.domain.identifiers import format_nhs_number
from clinicdesk.domain.ids import PatientId, SiteId
from clinicdesk.domain.patient import (
    Patient,
    PatientDetails,
    PatientSummary,
    validate_duplicate_reason,
    validate_patient,
)
from clinicdesk.domain.record_info import changed_fields
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import (
    ConcurrentEdit,
    DuplicatePatient,
    NhsNumberHolder,
    NotFound,
    ValidationError,
)
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import ListKey, PatientRepository

# The medical history and classifications come with an open record, not with the patient
# list: imported where used, so that start-up does without them (their coded lists are slow
# to make).
if TYPE_CHECKING:
    from clinicdesk.domain.classification import Classification
    from clinicdesk.domain.medical import BannerItem, MedicalHistory
    from clinicdesk.storage.retention import RetentionRepository

Today = Callable[[], date]
RESTRICTED = (
    "This record is restricted after the patient's erasure request: only an administrator "
    "can open it (Admin > Records due for destruction)."
)


@dataclass(frozen=True)
class PatientRecord:
    """A patient with the sections the acting user's role may see (``None`` = not allowed)."""

    patient: Patient
    banner: list[BannerItem]
    medical_history: MedicalHistory | None
    classifications: list[Classification] | None


def existing_patient(patients: PatientRepository, patient_id: str) -> Patient:
    """The patient's record, or ``NotFound`` naming the id asked for: every service that acts
    on a patient's records starts here. The id is shown (cut short) because on the command
    line it is what was typed; in the GUI it only appears when another workstation removed
    the record meanwhile."""
    patient = patients.get(patient_id)
    if patient is None:
        shown = "".join(ch for ch in " ".join(str(patient_id).split()) if ch.isprintable())
        shown = shown if len(shown) <= 40 else f"{shown[:39]}…"
        raise NotFound(
            f"The patient record “{shown}” does not exist: it may have been removed, or the "
            "id is mistyped. Find the patient by name instead."
        )
    return patient


class PatientService:
    def __init__(self, db: Database, today: Today = date.today) -> None:
        self.db = db
        self.repo = PatientRepository(db)
        self.sites = ClinicRepository(db)
        self.today = today

    @functools.cached_property
    def restrictions(self) -> RetentionRepository:
        """The erasure requests' restrictions, made when first asked about (not at sign-in:
        the list and the search leave restricted patients out in their own queries)."""
        from clinicdesk.storage.retention import RetentionRepository

        return RetentionRepository(self.db)

    # -- patients -------------------------------------------------------------------------

    def register(
        self,
        user: CurrentUser,
        raw: Mapping[str, str | None],
        *,
        duplicate_reason: str = "",
    ) -> Patient:
        """Register a patient. If a live patient already has the NHS number, this raises
        ``DuplicatePatient`` naming them, unless ``duplicate_reason`` says in writing (at least
        ``DUPLICATE_REASON_MIN`` characters) why a second record gets it; that reason is kept
        in the audit entry."""
        require(self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient")
        details = validate_patient(raw, today=self.today())
        reason = validate_duplicate_reason(duplicate_reason)
        if details.home_site_id is None:
            details = replace(details, home_site_id=user.site_id)
        with write_transaction(self.db):
            shared_with = self._refuse_unexplained_duplicate(details, reason)
            self._check_home_site(details.home_site_id)
            patient_id = self.repo.insert(details, user.actor)
            audit.append(
                self.db, user.actor, "create", "patient", patient_id, _shared(shared_with, reason)
            )
        return self._must_get(patient_id)

    def update(
        self,
        user: CurrentUser,
        patient_id: str,
        expected_version: int,
        raw: Mapping[str, str | None],
        *,
        duplicate_reason: str = "",
    ) -> Patient:
        """Save a patient's demographics. Changing the NHS number to one another live patient
        has follows the rule of ``register``: ``DuplicatePatient`` unless a written reason."""
        require(
            self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient", entity_id=patient_id
        )
        details = validate_patient(raw, today=self.today())
        reason = validate_duplicate_reason(duplicate_reason)
        with write_transaction(self.db):
            current = self._must_get(patient_id)
            if details.home_site_id is None:
                details = replace(details, home_site_id=current.details.home_site_id)
            self._check_home_site(details.home_site_id, unchanged=current.details.home_site_id)
            shared_with: list[PatientId] = []
            if details.nhs_number != current.details.nhs_number:
                # A number that was already shared (and explained) is not asked about again.
                shared_with = self._refuse_unexplained_duplicate(details, reason, current.id)
            if not self.repo.update(current.id, expected_version, details, user.actor):
                raise ConcurrentEdit("patient record", details, current)
            audit.append(
                self.db,
                user.actor,
                "update",
                "patient",
                patient_id,
                {"fields": changed_fields(current.details, details)} | _shared(shared_with, reason),
            )
        return self._must_get(patient_id)

    def set_archived(
        self, user: CurrentUser, patient_id: str, expected_version: int, archived: bool
    ) -> Patient:
        require(
            self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient", entity_id=patient_id
        )
        with write_transaction(self.db):
            current = self._must_get(patient_id)
            if not self.repo.set_archived(current.id, expected_version, archived, user.actor):
                raise ConcurrentEdit("patient record", None, current)
            action = "archive" if archived else "restore"
            audit.append(self.db, user.actor, action, "patient", patient_id, {})
        return self._must_get(patient_id)

    def get(self, user: CurrentUser, patient_id: str) -> Patient:
        """Open a patient's record (audited as a view)."""
        require(
            self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient", entity_id=patient_id
        )
        patient = self._must_get(patient_id)
        if not user.may(Permission.INFORMATION_GOVERNANCE) and self.restrictions.is_restricted(
            patient.id
        ):
            audit.record(self.db, user.actor, "denied", "patient", patient_id, {"restricted": True})
            raise NotFound(RESTRICTED)
        audit.record(self.db, user.actor, "view", "patient", patient_id, {})
        return patient

    def record(self, user: CurrentUser, patient_id: str) -> PatientRecord:
        from clinicdesk.domain.medical import banner_items

        """The whole record as this user may see it (audited as one view)."""
        patient = self.get(user, patient_id)
        history = self.repo.get_medical_history(patient_id)
        medical = user.may(Permission.VIEW_MEDICAL)
        return PatientRecord(
            patient,
            banner_items(history),
            history if medical else None,
            self.repo.classifications(patient_id) if medical else None,
        )

    def search(
        self, user: CurrentUser, text: str, *, limit: int = 200, include_archived: bool = False
    ) -> list[PatientSummary]:
        """Patients matching ``text`` (clinic number, names, date of birth, phone, email, NHS
        number). A date of birth may be typed with a two-digit year: 26/10/63 finds 26/10/1963
        (a birth date is never in the future), as a receptionist reading it off a form would."""
        require(self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient")
        return self.repo.search(
            text, limit=limit, include_archived=include_archived, today=self.today()
        )

    def list_page(
        self,
        user: CurrentUser,
        after: ListKey | None,
        limit: int,
        *,
        include_archived: bool = False,
    ) -> list[PatientSummary]:
        require(self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient")
        return self.repo.list_page(after, limit, include_archived=include_archived)

    def count(self, user: CurrentUser, *, include_archived: bool = False) -> int:
        require(self.db, user, Permission.PATIENT_DEMOGRAPHICS, entity="patient")
        return self.repo.count(include_archived=include_archived)

    def duplicates_of(self, details: PatientDetails, exclude: str | None = None) -> list[PatientId]:
        """Live patients with the same NHS number (to warn before saving a second record)."""
        if not details.nhs_number:
            return []
        return [p for p in self.repo.find_by_nhs_number(details.nhs_number) if p != exclude]

    def _refuse_unexplained_duplicate(
        self, details: PatientDetails, reason: str, exclude: str | None = None
    ) -> list[PatientId]:
        """The other live patients with this NHS number; ``DuplicatePatient`` naming them when
        there are some and no reason was given."""
        existing = self.duplicates_of(details, exclude)
        if existing and not reason:
            others = [self._must_get(patient_id) for patient_id in existing]
            holders = [
                NhsNumberHolder(
                    other.id,
                    f"{other.details.first_name} {other.details.last_name}",
                    format_uk(other.details.date_of_birth),
                    other.archived,
                )
                for other in others
            ]
            raise DuplicatePatient(format_nhs_number(details.nhs_number), holders)
        return existing

    def _check_home_site(self, site_id: SiteId | None, unchanged: SiteId | None = None) -> None:
        # Checked here, not left to the foreign key: a raw constraint error names no field.
        # A record keeps the home site it already has even if that site was archived since.
        if site_id is None or site_id == unchanged:
            return
        if not self.sites.site_exists(site_id):
            raise ValidationError({"home_site_id": "is not one of this clinic's sites"})

    def _must_get(self, patient_id: str) -> Patient:
        return existing_patient(self.repo, patient_id)

    # -- medical history ------------------------------------------------------------------

    def banner(self, user: CurrentUser, patient_id: str) -> list[BannerItem]:
        from clinicdesk.domain.medical import banner_items

        require(self.db, user, Permission.RED_FLAG_BANNER, entity="patient", entity_id=patient_id)
        return banner_items(self.repo.get_medical_history(patient_id))

    def medical_history(self, user: CurrentUser, patient_id: str) -> MedicalHistory:
        require(
            self.db, user, Permission.VIEW_MEDICAL, entity="medical_history", entity_id=patient_id
        )
        self._must_get(patient_id)
        return self.repo.get_medical_history(patient_id)

    def save_medical_history(
        self, user: CurrentUser, patient_id: str, history: MedicalHistory
    ) -> MedicalHistory:
        require(
            self.db, user, Permission.EDIT_MEDICAL, entity="medical_history", entity_id=patient_id
        )
        from clinicdesk.domain.medical import dates_before_birth

        with write_transaction(self.db):
            patient = self._must_get(patient_id)
            if errors := dates_before_birth(history, patient.details.date_of_birth):
                raise ValidationError(errors)
            if not self.repo.save_medical_history(patient.id, history, user.actor):
                raise ConcurrentEdit(
                    "medical history", history, self.repo.get_medical_history(patient_id)
                )
            audit.append(
                self.db,
                user.actor,
                "update",
                "medical_history",
                patient_id,
                {
                    "treatments": len(history.treatments),
                    "red_flags": len(history.red_flags),
                    "allergies": len(history.allergies),
                    "labs": len(history.labs),
                },
            )
        return self.repo.get_medical_history(patient_id)

    # -- classification -------------------------------------------------------------------

    def classifications(self, user: CurrentUser, patient_id: str) -> list[Classification]:
        require(
            self.db, user, Permission.VIEW_MEDICAL, entity="classification", entity_id=patient_id
        )
        return self.repo.classifications(patient_id)

    def add_classification(
        self,
        user: CurrentUser,
        patient_id: str,
        scale: str,
        grade: str,
        assessed_on: str,
        note: str = "",
    ) -> list[Classification]:
        require(
            self.db, user, Permission.EDIT_MEDICAL, entity="classification", entity_id=patient_id
        )
        from clinicdesk.domain.classification import validate_classification

        classification = validate_classification(
            scale, grade, assessed_on, note, today=self.today()
        )
        with write_transaction(self.db):
            patient = self._must_get(patient_id)
            if classification.assessed_on < patient.details.date_of_birth:
                raise ValidationError({"assessed_on": BEFORE_BIRTH})
            new_id = self.repo.add_classification(patient.id, classification, user.actor)
            audit.append(
                self.db,
                user.actor,
                "create",
                "classification",
                new_id,
                {"patient": patient_id, "scale": classification.scale.value},
            )
        return self.repo.classifications(patient_id)

    def remove_classification(
        self, user: CurrentUser, patient_id: str, classification: Classification
    ) -> list[Classification]:
        require(
            self.db, user, Permission.EDIT_MEDICAL, entity="classification", entity_id=patient_id
        )
        if classification.id is None:
            raise NotFound("That classification was never saved.")
        with write_transaction(self.db):
            if not self.repo.archive_classification(
                classification.id, classification.version, user.actor
            ):
                raise ConcurrentEdit("classification", classification, None)
            audit.append(
                self.db,
                user.actor,
                "archive",
                "classification",
                classification.id,
                {"patient": patient_id},
            )
        return self.repo.classifications(patient_id)


def _shared(shared_with: list[PatientId], reason: str) -> dict[str, object]:
    """The audit detail of a record given an NHS number other live patients have."""
    if not shared_with:
        return {}
    return {"nhs_number_shared_with": list(shared_with), "duplicate_reason": reason}
