"""Assessment use cases: record, correct, view and import trichoscopy assessments; the
measurements table, chart series and change-against-baseline report built from them.

Assessments are clinical records: clinicians record them, admins may view them, reception may
do neither (a refused call is audited). Every mutation and every view writes an audit entry in
the same transaction, naming the patient in ``detail`` so it shows in the patient's access log.
Updates are optimistic: a stale version raises ``ConcurrentEdit`` with both versions.
A CSV import is all or nothing: every row is checked first, then one transaction creates one
assessment per visit date, with one audit entry for the import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path

from clinicdesk.domain.assessment_csv import (
    MAX_FILE_BYTES,
    CsvImportError,
    CsvProblem,
    ImportedVisit,
    parse_assessment_csv,
)
from clinicdesk.domain.assessments import (
    Assessment,
    AssessmentDetails,
    AssessmentSource,
    BaselineReport,
    Region,
    changes_from_baseline,
    validate_assessment,
)
from clinicdesk.domain.dates import BEFORE_BIRTH, format_uk
from clinicdesk.domain.measurement_table import (
    MeasurementTable,
    SeriesPoint,
    chart_series,
    measurement_table,
)
from clinicdesk.domain.patient import Patient
from clinicdesk.domain.record_info import changed_fields
from clinicdesk.domain.roles import Permission
from clinicdesk.errors import ConcurrentEdit, NotFound, ValidationError
from clinicdesk.services.patients import existing_patient
from clinicdesk.services.session import CurrentUser, require
from clinicdesk.storage import audit
from clinicdesk.storage.assessments import AssessmentRepository
from clinicdesk.storage.clinic import ClinicRepository
from clinicdesk.storage.database import Database, write_transaction
from clinicdesk.storage.patients import PatientRepository

Today = Callable[[], date]
RawRow = Mapping[str, str | None]
ENTITY = "assessment"


class AssessmentService:
    def __init__(self, db: Database, today: Today = date.today) -> None:
        self.db = db
        self.repo = AssessmentRepository(db)
        self.patients = PatientRepository(db)
        self.sites = ClinicRepository(db)
        self.today = today

    # -- recording ------------------------------------------------------------------------

    def add(
        self, user: CurrentUser, patient_id: str, raw: RawRow, regions: Sequence[RawRow]
    ) -> Assessment:
        """Record an assessment from the form's text (``validate_assessment`` describes it).
        The clinician and site default to the acting user and their site."""
        require(self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY)
        details = validate_assessment(raw, regions, today=self.today())
        with write_transaction(self.db):
            patient = self._patient(patient_id)
            details = self._complete(user, patient, details)
            new_id = self.repo.insert(patient.id, details, user.actor)
            audit.append(
                self.db,
                user.actor,
                "create",
                ENTITY,
                new_id,
                {"patient": patient.id, "regions": [m.region.value for m in details.regions]},
            )
        return self._must_get(new_id)

    def update(
        self,
        user: CurrentUser,
        assessment_id: str,
        expected_version: int,
        raw: RawRow,
        regions: Sequence[RawRow],
    ) -> Assessment:
        require(
            self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY, entity_id=assessment_id
        )
        details = validate_assessment(raw, regions, today=self.today())
        with write_transaction(self.db):
            current = self._must_get(assessment_id)
            patient = self._patient(current.patient_id)
            if details.clinician_id is None:
                details = replace(details, clinician_id=current.details.clinician_id)
            if details.visit_site_id is None:
                details = replace(details, visit_site_id=current.details.visit_site_id)
            details = self._complete(user, patient, replace(details, source=current.details.source))
            if not self.repo.update(assessment_id, expected_version, details, user.actor):
                raise ConcurrentEdit("assessment", details, current)
            audit.append(
                self.db,
                user.actor,
                "update",
                ENTITY,
                assessment_id,
                {"patient": patient.id, "fields": _changed(current.details, details)},
            )
        return self._must_get(assessment_id)

    def archive(self, user: CurrentUser, assessment_id: str, expected_version: int) -> None:
        """Remove an assessment entered in error (kept, archived; never hard-deleted)."""
        require(
            self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY, entity_id=assessment_id
        )
        with write_transaction(self.db):
            current = self._must_get(assessment_id)
            if not self.repo.archive(assessment_id, expected_version, user.actor):
                raise ConcurrentEdit("assessment", None, current)
            audit.append(
                self.db,
                user.actor,
                "archive",
                ENTITY,
                assessment_id,
                {"patient": current.patient_id},
            )

    def import_csv(
        self, user: CurrentUser, patient_id: str, source: Path | str | bytes
    ) -> list[Assessment]:
        """Import a trichoscopy CSV file (a path, or its text or bytes) for ``patient_id``: one
        assessment per visit date, all in one transaction, or nothing. Raises
        ``CsvImportError`` listing every bad row and column. A visit date that already has an
        assessment for this patient is refused (enter those regions on that assessment)."""
        require(self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY)
        return self.import_visits(user, patient_id, read_assessment_csv(source, self.today()))

    def import_visits(
        self, user: CurrentUser, patient_id: str, visits: Sequence[ImportedVisit]
    ) -> list[Assessment]:
        """Store visits already read from a CSV file by ``read_assessment_csv`` (which the GUI
        runs on a worker thread): all of them in one transaction, or nothing."""
        require(self.db, user, Permission.EDIT_CLINICAL_RECORDS, entity=ENTITY)
        with write_transaction(self.db):
            patient = self._patient(patient_id)
            existing = self.repo.visit_dates(patient.id)
            problems: list[CsvProblem] = []
            for visit in visits:
                if visit.visit_date < patient.details.date_of_birth:
                    problems.extend(CsvProblem(n, "visit_date", BEFORE_BIRTH) for n in visit.rows)
                elif visit.visit_date in existing:
                    problems.extend(
                        CsvProblem(
                            n,
                            "visit_date",
                            f"the patient already has an assessment on "
                            f"{format_uk(visit.visit_date)}",
                        )
                        for n in visit.rows
                    )
            if problems:
                problems.sort(key=lambda p: p.row)
                raise CsvImportError(
                    f"Nothing was imported: {len(problems)} problem(s) in the file.", problems
                )
            new_ids = []
            for visit in visits:
                details = self._complete(
                    user,
                    patient,
                    AssessmentDetails(visit.visit_date, visit.regions, source=AssessmentSource.CSV),
                )
                new_ids.append(self.repo.insert(patient.id, details, user.actor))
            audit.append(
                self.db,
                user.actor,
                "import",
                ENTITY,
                patient.id,
                {
                    "patient": patient.id,
                    "assessments": new_ids,
                    "rows": sum(len(v.rows) for v in visits),
                },
            )
        return [self._must_get(i) for i in new_ids]

    # -- viewing --------------------------------------------------------------------------

    def get(self, user: CurrentUser, assessment_id: str) -> Assessment:
        require(
            self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY, entity_id=assessment_id
        )
        assessment = self._must_get(assessment_id)
        self._audit_view(user, ENTITY, assessment_id, assessment.patient_id, "assessment")
        return assessment

    def list_for_patient(self, user: CurrentUser, patient_id: str) -> list[Assessment]:
        """The patient's assessments, oldest visit first."""
        return self._view(user, patient_id, "list")

    def measurements(self, user: CurrentUser, patient_id: str) -> MeasurementTable:
        """The regions x visits table, derived ratios included."""
        return measurement_table(self._view(user, patient_id, "table"))

    def series(self, user: CurrentUser, patient_id: str) -> dict[Region, tuple[SeriesPoint, ...]]:
        """Per region, visit date -> total density and mean diameter, for the charts."""
        return chart_series(self._view(user, patient_id, "chart"))

    def baseline_report(
        self,
        user: CurrentUser,
        patient_id: str,
        *,
        treatment_id: str | None = None,
        treatment_date: date | None = None,
    ) -> BaselineReport:
        """Every later assessment against the baseline: the assessment on or before the
        treatment day. The treatment is ``treatment_id``'s, else ``treatment_date``, else the
        patient's first treatment; a patient never treated is compared with their first
        assessment."""
        assessments = self._view(user, patient_id, "baseline report")
        if treatment_id is not None:
            treatment_date = self.repo.treatment_date(treatment_id)
            if treatment_date is None:
                raise NotFound("That treatment does not exist; it may have been removed.")
        elif treatment_date is None:
            treatment_date = self.repo.first_treatment_date(patient_id)
        return changes_from_baseline(assessments, treatment_date)

    # -- helpers --------------------------------------------------------------------------

    def _view(self, user: CurrentUser, patient_id: str, what: str) -> list[Assessment]:
        require(
            self.db, user, Permission.VIEW_CLINICAL_RECORDS, entity=ENTITY, entity_id=patient_id
        )
        self._patient(patient_id)
        self._audit_view(user, "assessments", patient_id, patient_id, what)
        return self.repo.for_patient(patient_id)

    def _audit_view(
        self, user: CurrentUser, entity: str, entity_id: str, patient_id: str, what: str
    ) -> None:
        audit.record(
            self.db,
            user.actor,
            "view",
            entity,
            entity_id,
            {"patient": patient_id, "what": what},
        )

    def _complete(
        self, user: CurrentUser, patient: Patient, details: AssessmentDetails
    ) -> AssessmentDetails:
        """Fill the clinician and site defaults and check what needs the database."""
        details = replace(
            details,
            clinician_id=details.clinician_id or user.id,
            visit_site_id=details.visit_site_id or user.site_id,
        )
        errors: dict[str, str] = {}
        if details.visit_date < patient.details.date_of_birth:
            errors["visit_date"] = BEFORE_BIRTH
        assert details.clinician_id is not None and details.visit_site_id is not None
        if not self.repo.is_clinician(details.clinician_id):
            errors["clinician_id"] = "must be one of the clinic's clinicians"
        if not self.sites.site_exists(details.visit_site_id):
            errors["visit_site_id"] = "is not one of this clinic's sites"
        if details.treatment_id is not None and not self.repo.treatment_belongs_to(
            details.treatment_id, patient.id
        ):
            errors["treatment_id"] = "is not one of this patient's treatments"
        if errors:
            raise ValidationError(errors)
        return details

    def _patient(self, patient_id: str) -> Patient:
        return existing_patient(self.patients, patient_id)

    def _must_get(self, assessment_id: str) -> Assessment:
        assessment = self.repo.get(assessment_id)
        if assessment is None:
            raise NotFound("That assessment does not exist; it may have been removed.")
        return assessment


def _changed(before: AssessmentDetails, after: AssessmentDetails) -> list[str]:
    """Names of the changed fields (regions as ``regions[frontal]``), for the audit entry."""
    names = changed_fields(before, after, skip=("regions", "source"))
    for region in Region:
        old, new = before.region(region), after.region(region)
        if (old is None) != (new is None) or (
            old is not None and new is not None and replace(old, id=None) != replace(new, id=None)
        ):
            names.append(f"regions[{region.value}]")
    return names


def read_assessment_csv(source: Path | str | bytes, today: date) -> list[ImportedVisit]:
    """The visits in a trichoscopy CSV file (a path, or its text or bytes), checked row by row
    (``CsvImportError`` lists every problem). Reads no database: safe on a worker thread."""
    return parse_assessment_csv(_read(source), today=today)


def _read(source: Path | str | bytes) -> bytes | str:
    """A path's bytes (refusing a missing, unreadable or oversized file), or the text as is."""
    if not isinstance(source, Path):
        return source
    try:
        size = source.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CsvImportError(
                f"The file is too large for a measurements file (over "
                f"{MAX_FILE_BYTES // (1024 * 1024)} MB); nothing was imported."
            )
        return source.read_bytes()
    except IsADirectoryError:
        raise CsvImportError(f"{source.name} is a folder, not a CSV file.") from None
    except FileNotFoundError:
        raise CsvImportError(f"The file {source.name} was not found.") from None
    except OSError as exc:
        raise CsvImportError(
            f"The file {source.name} could not be read ({exc.strerror})."
        ) from None
